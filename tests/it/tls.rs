//! TLS to a PostgreSQL store: the URL's `ssl*` parameters mean what they
//! mean to libpq (`psql`), checked against a server that takes TCP
//! connections over TLS only, with a certificate for `localhost` signed by
//! a CA of the test's own (`.ci/postgres.sh start-tls`).

use std::process::Command;

use crate::support::{own_tls_postgres, text};

/// Runs `whosaid --store URL ARGS` in a fresh data dir, with a `HOME`
/// that has no `~/.postgresql` (libpq's default certificate files).
fn run(url: &str, args: &[&str]) -> std::process::Output {
    let (data, home) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    Command::new(env!("CARGO_BIN_EXE_whosaid"))
        .arg("--data")
        .arg(data.path())
        .args(["--store", url])
        .args(args)
        .env("HOME", home.path())
        .env_remove("WHOSAID_DATA")
        .env_remove(whosaid::store::config::TEST_POSTGRES_ENV)
        .output()
        .unwrap()
}

#[test]
fn tls_parameters_mean_what_they_mean_to_libpq() {
    let (base, dir) = own_tls_postgres();
    let dir = dir.to_str().unwrap();
    let url = |user: &str, host: &str, query: &str| {
        base.replace("whosaid@localhost", &format!("{user}@{host}")) + &query.replace("{dir}", dir)
    };
    // The realistic setup: verify the server fully, import.
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-mboxes");
    let out = run(
        &url(
            "whosaid",
            "localhost",
            "?sslmode=verify-full&sslrootcert={dir}/ca.crt",
        ),
        &["import", samples],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // user, host, query: "ok" (the store answers `stats`) or what the
    // error says.
    let cases = [
        // The server refuses plain connections: every "ok" below is TLS.
        // (With TLS disabled, certificate files are not read, as in libpq.)
        (
            "whosaid",
            "localhost",
            "?sslmode=disable&sslrootcert={dir}/nothing.crt",
            "rejects connection for host \"127.0.0.1\", user \"whosaid\", database \"postgres\", no encryption",
        ),
        // libpq's default, prefer: TLS when the server has it, unverified
        // without a root CA.
        ("whosaid", "localhost", "", "ok"),
        ("whosaid", "localhost", "?sslmode=require", "ok"),
        (
            "whosaid",
            "localhost",
            "?sslmode=require&sslrootcert={dir}/other-ca.crt",
            "invalid peer certificate: UnknownIssuer (no CA in sslrootcert signed the server's certificate)",
        ),
        (
            "whosaid",
            "localhost",
            "?sslmode=verify-full",
            "sslmode=verify-full needs the CA that signed the server's certificate: add sslrootcert=",
        ),
        (
            "whosaid",
            "localhost",
            "?sslmode=verify-full&sslrootcert={dir}/other-ca.crt",
            "UnknownIssuer",
        ),
        (
            "whosaid",
            "localhost",
            "?sslmode=verify-full&sslrootcert={dir}/nothing.crt",
            "sslrootcert {dir}/nothing.crt: I/O error: No such file or directory",
        ),
        // The certificate names localhost only: verify-full holds the URL's
        // host to it, verify-ca does not.
        (
            "whosaid",
            "127.0.0.1",
            "?sslmode=verify-full&sslrootcert={dir}/ca.crt",
            "certificate not valid for name \"127.0.0.1\"",
        ),
        (
            "whosaid",
            "127.0.0.1",
            "?sslmode=verify-ca&sslrootcert={dir}/ca.crt",
            "ok",
        ),
        // A role that must show a client certificate.
        (
            "certuser",
            "localhost",
            "?sslmode=verify-full&sslrootcert={dir}/ca.crt&sslcert={dir}/client.crt&sslkey={dir}/client.key",
            "ok",
        ),
        (
            "certuser",
            "localhost",
            "?sslmode=verify-full&sslrootcert={dir}/ca.crt",
            "connection requires a valid client certificate",
        ),
        (
            "whosaid",
            "localhost",
            "?sslmode=verify",
            "sslmode `verify`: expected disable, allow, prefer, require, verify-ca or verify-full",
        ),
    ];
    let mut failed = Vec::new();
    for (user, host, query, want) in cases {
        let out = run(&url(user, host, query), &["stats"]);
        let said = text(&out);
        let held = match want {
            "ok" => out.status.code() == Some(0) && said.contains("messages"),
            error => out.status.code() == Some(2) && said.contains(&error.replace("{dir}", dir)),
        };
        if !held {
            failed.push(format!(
                "{user}@{host} {query}: wanted {want}, got exit {:?}: {said}",
                out.status.code()
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}
