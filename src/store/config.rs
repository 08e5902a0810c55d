//! Where a data dir's store lives.
//!
//! By default the store is the SQLite file in the data dir. A data dir whose
//! `store.conf` says `store = postgres://...` uses that PostgreSQL database
//! instead, and keeps only its search index (a cache derived from the store)
//! on local disk: several nodes, each with its own data dir, share one
//! database. `whosaid --store URL` writes the file; a data dir never switches
//! stores afterwards, since its index describes one store.
//!
//! For the test suite, `WHOSAID_TEST_POSTGRES=postgres://.../postgres` makes
//! every new data dir get a fresh database of its own on that server, so the
//! same tests run against both engines unchanged.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The configuration file in a data dir.
pub const CONFIG_FILE: &str = "store.conf";

/// The environment variable that points new data dirs at a PostgreSQL
/// server, one fresh database each (tests only).
pub const TEST_POSTGRES_ENV: &str = "WHOSAID_TEST_POSTGRES";

/// Where a store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (or key=value string).
    Postgres(String),
}

/// The store of `data_dir`.
pub fn location(data_dir: &Path) -> Result<Location> {
    let file = data_dir.join(CONFIG_FILE);
    match std::fs::read_to_string(&file) {
        Ok(text) => return parse(&file, &text),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(cause) => return Err(Error::Io { path: file, cause }),
    }
    let sqlite = data_dir.join(super::DB_FILE);
    if let Ok(base) = std::env::var(TEST_POSTGRES_ENV)
        && !base.is_empty()
        && !sqlite.exists()
    {
        return fresh_test_database(data_dir, &base);
    }
    Ok(Location::Sqlite(sqlite))
}

/// Reads `store = URL` from a configuration file (`#` starts a comment).
fn parse(file: &Path, text: &str) -> Result<Location> {
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if line.is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(bad(file, format!("`{line}` is not `key = value`")));
        };
        let (key, value) = (key.trim(), value.trim());
        if key != "store" {
            return Err(bad(file, format!("unknown key `{key}` (known: store)")));
        }
        return if value == "sqlite" {
            Ok(Location::Sqlite(
                file.parent().unwrap_or(Path::new(".")).join(super::DB_FILE),
            ))
        } else if is_postgres_url(value) {
            Ok(Location::Postgres(value.to_string()))
        } else {
            Err(bad(
                file,
                format!(
                    "store `{}` is neither `sqlite` nor a postgres:// URL",
                    redacted(value)
                ),
            ))
        };
    }
    Err(bad(file, "no `store = ...` line".into()))
}

fn bad(file: &Path, detail: String) -> Error {
    Error::Config {
        path: file.to_path_buf(),
        detail,
    }
}

/// True for a URL the PostgreSQL store takes.
pub fn is_postgres_url(s: &str) -> bool {
    s.starts_with("postgres://") || s.starts_with("postgresql://")
}

/// Points `data_dir` at the store `store` (`sqlite` or a postgres:// URL),
/// as `whosaid --store` does: writes `store.conf` the first time; refuses
/// to switch a data dir that already has another store.
pub fn configure(data_dir: &Path, store: &str) -> Result<()> {
    let wanted = if store == "sqlite" {
        Location::Sqlite(data_dir.join(super::DB_FILE))
    } else if is_postgres_url(store) {
        Location::Postgres(store.to_string())
    } else {
        return Err(bad(
            data_dir,
            format!(
                "--store `{}` is neither `sqlite` nor a postgres:// URL",
                redacted(store)
            ),
        ));
    };
    let file = data_dir.join(CONFIG_FILE);
    let current = if file.exists() {
        Some(location(data_dir)?)
    } else if data_dir.join(super::DB_FILE).exists() {
        Some(Location::Sqlite(data_dir.join(super::DB_FILE)))
    } else {
        None
    };
    match current {
        Some(c) if c == wanted => Ok(()),
        Some(c) => Err(bad(
            data_dir,
            format!(
                "this data dir belongs to the store {}, not {}; its index describes that \
                 store: use another --data for the other one",
                describe(&c),
                describe(&wanted)
            ),
        )),
        None => write_config(data_dir, store),
    }
}

fn describe(l: &Location) -> String {
    match l {
        Location::Sqlite(p) => p.display().to_string(),
        Location::Postgres(url) => redacted(url),
    }
}

fn write_config(data_dir: &Path, store: &str) -> Result<()> {
    std::fs::create_dir_all(data_dir).map_err(|cause| Error::Io {
        path: data_dir.to_path_buf(),
        cause,
    })?;
    let file = data_dir.join(CONFIG_FILE);
    let text = format!(
        "# The store this data dir's index follows (written by whosaid --store).\nstore = {store}\n"
    );
    std::fs::write(&file, text).map_err(|cause| Error::Io { path: file, cause })
}

/// A URL without its password, for messages and logs.
pub fn redacted(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        // key=value form: drop password=...
        return url
            .split_whitespace()
            .filter(|kv| !kv.starts_with("password="))
            .collect::<Vec<_>>()
            .join(" ");
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    let authority = match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split(':').next().unwrap_or("");
            format!("{user}@{host}")
        }
        None => authority.to_string(),
    };
    // Query parameters may carry a password too.
    let path = match path.split_once('?') {
        Some((p, q)) => {
            let q: Vec<&str> = q
                .split('&')
                .filter(|kv| !kv.starts_with("password="))
                .collect();
            if q.is_empty() {
                p.to_string()
            } else {
                format!("{p}?{}", q.join("&"))
            }
        }
        None => path.to_string(),
    };
    format!("{scheme}://{authority}{path}")
}

/// `url` with its database name replaced.
fn with_database(url: &str, db: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("postgres", url));
    let (authority, query) = match rest.find('/') {
        Some(i) => {
            let (a, p) = rest.split_at(i);
            (a, p.split_once('?').map(|(_, q)| q))
        }
        None => (
            rest.split('?').next().unwrap_or(rest),
            rest.split_once('?').map(|(_, q)| q),
        ),
    };
    match query {
        Some(q) => format!("{scheme}://{authority}/{db}?{q}"),
        None => format!("{scheme}://{authority}/{db}"),
    }
}

/// Creates a database of its own for a new data dir (tests; see the
/// module docs) and records it in the data dir's `store.conf`.
fn fresh_test_database(data_dir: &Path, base: &str) -> Result<Location> {
    use sha2::{Digest, Sha256};
    let err = |cause| Error::Store {
        path: PathBuf::from(redacted(base)),
        cause,
    };
    let dir = std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf());
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut h = Sha256::new();
    h.update(dir.as_os_str().as_encoded_bytes());
    h.update(nonce.to_le_bytes());
    h.update(std::process::id().to_le_bytes());
    let name = format!("whosaid_t_{}", &super::hex(&h.finalize())[..20]);
    super::db::create_test_database(base, &name, &dir).map_err(err)?;
    let url = with_database(base, &name);
    let file = data_dir.join(CONFIG_FILE);
    let text = format!("# A database of its own for a test data dir.\nstore = {url}\n");
    // Two processes opening the same new data dir at once: the first
    // writer wins, the other drops its database and uses the winner's.
    match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&file)
    {
        Ok(mut f) => {
            use std::io::Write;
            f.write_all(text.as_bytes())
                .map_err(|cause| Error::Io { path: file, cause })?;
            Ok(Location::Postgres(url))
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let _ = super::db::drop_test_database(base, &name);
            location(data_dir)
        }
        Err(cause) => Err(Error::Io { path: file, cause }),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn redacts_passwords() {
        let cases = [
            ("postgres://u:secret@h:5432/db", "postgres://u@h:5432/db"),
            (
                "postgres://h/db?password=x&sslmode=disable",
                "postgres://h/db?sslmode=disable",
            ),
            ("postgresql://u@h/db", "postgresql://u@h/db"),
            ("host=h password=x dbname=d", "host=h dbname=d"),
        ];
        for (url, shown) in cases {
            assert_eq!(super::redacted(url), shown, "{url}");
        }
    }

    #[test]
    fn replaces_the_database() {
        let cases = [
            ("postgres://u@h:5/postgres", "postgres://u@h:5/t1"),
            (
                "postgres://u@h:5/postgres?sslmode=disable",
                "postgres://u@h:5/t1?sslmode=disable",
            ),
            ("postgres://u@h:5", "postgres://u@h:5/t1"),
        ];
        for (url, want) in cases {
            assert_eq!(super::with_database(url, "t1"), want, "{url}");
        }
    }

    #[test]
    fn reads_the_config_file() {
        let cases = [
            ("store = postgres://h/db\n", "Postgres(\"postgres://h/db\")"),
            (
                "# comment\n\nstore = sqlite # the default\n",
                "Sqlite(\"d/store.sqlite3\")",
            ),
            (
                "store = mysql://h/db\n",
                "error: d/store.conf: store `mysql://h/db` is neither `sqlite` nor a postgres:// URL",
            ),
            (
                "colour = blue\n",
                "error: d/store.conf: unknown key `colour` (known: store)",
            ),
            ("", "error: d/store.conf: no `store = ...` line"),
        ];
        for (text, want) in cases {
            let got = match super::parse(std::path::Path::new("d/store.conf"), text) {
                Ok(l) => format!("{l:?}"),
                Err(e) => format!("error: {e}"),
            };
            assert_eq!(got, want, "{text:?}");
        }
    }
}
