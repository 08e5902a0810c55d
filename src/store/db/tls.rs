//! TLS to PostgreSQL, with libpq's meaning of the URL's `ssl*` parameters.
//!
//! Users write the URLs they give `psql`: `sslmode=verify-full`,
//! `sslrootcert=/etc/ssl/db-ca.crt`, `sslcert=`/`sslkey=` for a client
//! certificate. tokio-postgres knows only `sslmode=disable|prefer|require`
//! and no file parameters, and leaves verification to the TLS connector,
//! so this module takes those parameters out of the URL and builds a
//! rustls configuration that verifies as libpq does:
//!
//! | sslmode            | encrypted            | certificate checked                    |
//! |--------------------|----------------------|----------------------------------------|
//! | disable            | never                | -                                      |
//! | allow, prefer (default) | if the server can | chain, if a root CA is known           |
//! | require            | always               | chain, if a root CA is known           |
//! | verify-ca          | always               | chain (a root CA is required)          |
//! | verify-full        | always               | chain and the URL's host name          |
//!
//! A root CA is known from `sslrootcert=FILE`, `sslrootcert=system` (the
//! system's store; libpq then insists on verify-full, and so do we), or
//! libpq's default file `~/.postgresql/root.crt`. A client certificate
//! comes from `sslcert`+`sslkey`, or libpq's defaults
//! `~/.postgresql/postgresql.crt` and `.key` when both exist.
//! (`allow` tries TLS first here; libpq tries plain first.)

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::WebPkiSupportedAlgorithms;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName, UnixTime};
use rustls::{
    CertificateError, ClientConfig, DigitallySignedStruct, RootCertStore, SignatureScheme,
};

use super::DbError;

/// libpq's `sslmode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Disable,
    Allow,
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

/// Each `sslmode` by its name in a URL.
const MODES: [(&str, Mode); 6] = [
    ("disable", Mode::Disable),
    ("allow", Mode::Allow),
    ("prefer", Mode::Prefer),
    ("require", Mode::Require),
    ("verify-ca", Mode::VerifyCa),
    ("verify-full", Mode::VerifyFull),
];

impl Mode {
    fn name(self) -> &'static str {
        MODES
            .iter()
            .find(|(_, m)| *m == self)
            .map_or("", |(n, _)| n)
    }
}

/// Where the trusted root certificates come from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Root {
    File(PathBuf),
    System,
}

/// The TLS half of a connection URL.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Settings {
    mode: Mode,
    root: Option<Root>,
    /// Client certificate and key files.
    client: Option<(PathBuf, PathBuf)>,
}

/// Connects to the server at `url`, with TLS as its `ssl*` parameters ask.
pub(crate) fn connect(url: &str) -> Result<postgres::Client, DbError> {
    let home = std::env::var_os("HOME").map(PathBuf::from);
    let (url, settings) = split(url, home.as_deref()).map_err(DbError::Tls)?;
    if settings.mode == Mode::Disable {
        // As libpq: no TLS, so no certificate files are read.
        return Ok(postgres::Client::connect(&url, postgres::NoTls)?);
    }
    let config = client_config(&settings).map_err(DbError::Tls)?;
    Ok(postgres::Client::connect(
        &url,
        tokio_postgres_rustls::MakeRustlsConnect::new(config),
    )?)
}

/// Takes libpq's TLS parameters out of `url`: the URL tokio-postgres
/// accepts (its `sslmode` one it knows) and the settings. `home` is where
/// libpq's default files are looked for.
fn split(url: &str, home: Option<&Path>) -> Result<(String, Settings), String> {
    let (base, query) = match url.split_once('?') {
        Some((b, q)) => (b, q),
        None => (url, ""),
    };
    let (mut mode, mut root, mut cert, mut key) = (None, None, None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let value = percent_encoding::percent_decode_str(v)
            .decode_utf8_lossy()
            .into_owned();
        match k {
            "sslmode" => match MODES.iter().find(|(name, _)| *name == value) {
                Some(&(_, m)) => mode = Some(m),
                None => {
                    let names: Vec<&str> = MODES.iter().map(|(name, _)| *name).collect();
                    let (last, rest) = names.split_last().expect("modes");
                    return Err(format!(
                        "sslmode `{value}`: expected {} or {last}",
                        rest.join(", ")
                    ));
                }
            },
            "sslrootcert" if value == "system" => root = Some(Root::System),
            "sslrootcert" => root = Some(Root::File(PathBuf::from(value))),
            "sslcert" => cert = Some(PathBuf::from(value)),
            "sslkey" => key = Some(PathBuf::from(value)),
            "sslpassword" | "sslcrl" | "sslcrldir" => {
                return Err(format!(
                    "{k} is not supported: use an unencrypted client key, and a CA that \
                     does not need a revocation list"
                ));
            }
            _ => kept.push(pair),
        }
    }
    let mode = match (mode, &root) {
        (None, Some(Root::System)) => Mode::VerifyFull,
        (Some(m), Some(Root::System)) if m != Mode::VerifyFull && m != Mode::Disable => {
            return Err(
                "sslrootcert=system needs sslmode=verify-full (as libpq): a public CA \
                 vouches for names, so only checking the name means anything"
                    .into(),
            );
        }
        (m, _) => m.unwrap_or(Mode::Prefer),
    };
    let default = |name: &str| {
        home.map(|h| h.join(".postgresql").join(name))
            .filter(|p| p.is_file())
    };
    let root = root.or_else(|| default("root.crt").map(Root::File));
    if root.is_none() && matches!(mode, Mode::VerifyCa | Mode::VerifyFull) {
        return Err(format!(
            "sslmode={} needs the CA that signed the server's certificate: add \
             sslrootcert=/path/to/ca.crt (or sslrootcert=system for a public CA) to the URL",
            mode.name()
        ));
    }
    let client = match (cert, key) {
        (Some(c), Some(k)) => Some((c, k)),
        (None, None) => default("postgresql.crt").zip(default("postgresql.key")),
        _ => return Err("a client certificate needs both sslcert and sslkey".into()),
    };
    // tokio-postgres verifies nothing itself: it needs only whether to
    // ask for TLS.
    let theirs = match mode {
        Mode::Disable => Some("disable"),
        Mode::Allow | Mode::Prefer => None,
        Mode::Require | Mode::VerifyCa | Mode::VerifyFull => Some("require"),
    };
    let mut params: Vec<String> = kept.iter().map(|p| p.to_string()).collect();
    if let Some(m) = theirs {
        params.push(format!("sslmode={m}"));
    }
    let url = if params.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", params.join("&"))
    };
    Ok((url, Settings { mode, root, client }))
}

fn client_config(s: &Settings) -> Result<ClientConfig, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let chain = match &s.root {
        None => None,
        Some(root) => {
            let mut store = RootCertStore::empty();
            match root {
                Root::File(path) => {
                    let certs = CertificateDer::pem_file_iter(path)
                        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                        .map_err(|e| format!("sslrootcert {}: {e}", path.display()))?;
                    let (added, _) = store.add_parsable_certificates(certs);
                    if added == 0 {
                        return Err(format!(
                            "sslrootcert {}: no PEM certificate in it",
                            path.display()
                        ));
                    }
                }
                Root::System => {
                    let found = rustls_native_certs::load_native_certs();
                    store.add_parsable_certificates(found.certs);
                    if store.is_empty() {
                        return Err(format!(
                            "sslrootcert=system: the system has no CA certificates \
                             (install ca-certificates){}",
                            found
                                .errors
                                .first()
                                .map(|e| format!(": {e}"))
                                .unwrap_or_default()
                        ));
                    }
                }
            }
            Some(
                WebPkiServerVerifier::builder_with_provider(Arc::new(store), provider.clone())
                    .build()
                    .map_err(|e| format!("sslrootcert: {e}"))?,
            )
        }
    };
    let verifier = Verifier {
        chain,
        check_name: s.mode == Mode::VerifyFull,
        algorithms: provider.signature_verification_algorithms,
    };
    let builder = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier));
    match &s.client {
        None => Ok(builder.with_no_client_auth()),
        Some((cert, key)) => {
            let certs = CertificateDer::pem_file_iter(cert)
                .and_then(|i| i.collect::<Result<Vec<_>, _>>())
                .map_err(|e| format!("sslcert {}: {e}", cert.display()))?;
            let key = PrivateKeyDer::from_pem_file(key)
                .map_err(|e| format!("sslkey {}: {e}", key.display()))?;
            builder
                .with_client_auth_cert(certs, key)
                .map_err(|e| format!("sslcert/sslkey: {e}"))
        }
    }
}

/// Checks a server's certificate as libpq's mode asks: the chain to a
/// known root when there is one, the name only for verify-full. The
/// handshake's signatures are always checked.
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_name: bool,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        // webpki checks the chain before the name: a name error means the
        // chain held.
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp, now) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) if !self.check_name => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// What `split` makes of a URL, as one line: the URL passed on, the
    /// mode, the root and the client files; or the error.
    fn check(url: &str, home: Option<&Path>, want: &str) {
        let got = match super::split(url, home) {
            Ok((url, s)) => format!(
                "{url} | {:?} | {:?} | {:?}",
                s.mode,
                s.root,
                s.client
                    .map(|(c, k)| format!("{} {}", c.display(), k.display()))
            ),
            Err(e) => format!("error: {e}"),
        };
        assert_eq!(got, want, "{url}");
    }

    #[test]
    fn splits_libpq_tls_parameters_out_of_urls() {
        let cases = [
            (
                "postgres://u@h/db",
                "postgres://u@h/db | Prefer | None | None",
            ),
            (
                "postgres://u@h/db?sslmode=disable&application_name=x",
                "postgres://u@h/db?application_name=x&sslmode=disable | Disable | None | None",
            ),
            (
                "postgres://u@h/db?sslmode=verify-full&sslrootcert=/etc/ca%20dir/ca.crt",
                "postgres://u@h/db?sslmode=require | VerifyFull | Some(File(\"/etc/ca dir/ca.crt\")) | None",
            ),
            (
                "postgres://u@h/db?sslmode=verify-ca&sslrootcert=ca.crt&sslcert=c.crt&sslkey=c.key",
                "postgres://u@h/db?sslmode=require | VerifyCa | Some(File(\"ca.crt\")) | Some(\"c.crt c.key\")",
            ),
            (
                "postgres://u@h/db?sslmode=allow",
                "postgres://u@h/db | Allow | None | None",
            ),
            (
                "postgres://u@h/db?sslrootcert=system",
                "postgres://u@h/db?sslmode=require | VerifyFull | Some(System) | None",
            ),
            (
                "postgres://u@h/db?sslrootcert=system&sslmode=require",
                "error: sslrootcert=system needs sslmode=verify-full (as libpq): a public CA vouches for names, so only checking the name means anything",
            ),
            (
                "postgres://u@h/db?sslmode=verify-full",
                "error: sslmode=verify-full needs the CA that signed the server's certificate: add sslrootcert=/path/to/ca.crt (or sslrootcert=system for a public CA) to the URL",
            ),
            (
                "postgres://u@h/db?sslmode=on",
                "error: sslmode `on`: expected disable, allow, prefer, require, verify-ca or verify-full",
            ),
            (
                "postgres://u@h/db?sslcert=c.crt",
                "error: a client certificate needs both sslcert and sslkey",
            ),
            (
                "postgres://u@h/db?sslpassword=x",
                "error: sslpassword is not supported: use an unencrypted client key, and a CA that does not need a revocation list",
            ),
        ];
        for (url, want) in cases {
            check(url, None, want);
        }
    }

    #[test]
    fn libpq_default_files_count_when_present() {
        let home = tempfile::tempdir().unwrap();
        let dir = home.path().join(".postgresql");
        std::fs::create_dir(&dir).unwrap();
        // Only a root: require then checks the chain; verify-full is allowed.
        std::fs::write(dir.join("root.crt"), "").unwrap();
        let root = dir.join("root.crt");
        check(
            "postgres://u@h/db?sslmode=verify-full",
            Some(home.path()),
            &format!(
                "postgres://u@h/db?sslmode=require | VerifyFull | Some(File({root:?})) | None"
            ),
        );
        // A client certificate needs both files.
        std::fs::write(dir.join("postgresql.crt"), "").unwrap();
        check(
            "postgres://u@h/db",
            Some(home.path()),
            &format!("postgres://u@h/db | Prefer | Some(File({root:?})) | None"),
        );
        std::fs::write(dir.join("postgresql.key"), "").unwrap();
        check(
            "postgres://u@h/db",
            Some(home.path()),
            &format!(
                "postgres://u@h/db | Prefer | Some(File({root:?})) | Some(\"{0}/postgresql.crt {0}/postgresql.key\")",
                dir.display()
            ),
        );
    }
}
