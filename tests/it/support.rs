//! Shared helpers: the shared corpora, temporary data dirs, the binary.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/corpora/NAME`, or a panic that says how to get it.
pub fn corpus(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpora");
    let dir = root.join(name);
    assert!(
        dir.is_dir(),
        "this test needs the shared corpora at {}: check out ../shared beside the repository (see README.md)",
        dir.display()
    );
    dir
}

/// The small corpora (all but linux-kbuild).
pub const SMALL_CORPORA: [&str; 5] = [
    "notmuch-default",
    "notmuch-edge",
    "notmuch-lkml",
    "hyperkitty-testdata",
    "public-inbox-t",
];

/// One MANIFEST.tsv row.
#[derive(Debug, Clone)]
pub struct ManifestRow {
    pub sha256: String,
    pub added_final_newline: bool,
}

/// A corpus's manifest.
pub fn manifest(name: &str) -> Vec<ManifestRow> {
    let text =
        std::fs::read_to_string(corpus(name).join("MANIFEST.tsv")).expect("MANIFEST.tsv readable");
    text.lines()
        .skip(1)
        .map(|line| {
            let cols: Vec<&str> = line.split('\t').collect();
            ManifestRow {
                sha256: cols[6].to_string(),
                added_final_newline: cols[5] == "1",
            }
        })
        .collect()
}

/// The sha256 of every stored raw copy, and of each one without its final
/// newline (for manifest rows whose newline was added by the corpus builder).
pub fn stored_hashes(data: &Path) -> (HashSet<String>, HashSet<String>) {
    use sha2::{Digest, Sha256};
    let store = whosaid::store::Store::open(data).expect("store opens");
    let mut exact = HashSet::new();
    let mut without_newline = HashSet::new();
    store
        .for_each_raw(|sha, raw| {
            exact.insert(whosaid::store::hex(sha));
            if let Some(stripped) = raw.strip_suffix(b"\n") {
                without_newline.insert(whosaid::store::hex(&Sha256::digest(stripped)));
            }
        })
        .expect("every raw decompresses and matches its checksum");
    (exact, without_newline)
}

/// Runs the whosaid binary.
pub fn whosaid(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_whosaid"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("WHOSAID_DATA")
        .output()
        .expect("whosaid runs")
}

/// Stdout and stderr of a run, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The order-independent listing of a store's contents.
pub fn listing(data: &Path) -> Vec<String> {
    whosaid::store::Store::open(data)
        .expect("store opens")
        .content_listing()
        .expect("listing")
}

/// Turns lines of `ID | In-Reply-To | References | minutes | body | subject |
/// from` into an mbox. Empty columns are left out of the message (or get a
/// default); minutes are after 2020-01-01 10:00 UTC.
pub fn mbox(spec: &str) -> String {
    let mut out = String::new();
    for line in spec.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let cols: Vec<&str> = line.split('|').map(str::trim).collect();
        let col = |i: usize| cols.get(i).copied().unwrap_or("");
        let (id, irt, refs) = (col(0), col(1), col(2));
        let minutes: i64 = col(3).parse().unwrap_or(0);
        let date = chrono::DateTime::from_timestamp(1_577_872_800 + minutes * 60, 0).unwrap();
        writeln!(out, "From mboxrd@z Thu Jan  1 00:00:00 1970").unwrap();
        let subject = if col(5).is_empty() {
            format!("message {id}")
        } else {
            col(5).to_string()
        };
        let from = if col(6).is_empty() {
            "Someone <someone@example.org>"
        } else {
            col(6)
        };
        writeln!(out, "From: {from}\nTo: list@example.org").unwrap();
        writeln!(
            out,
            "Message-ID: <{id}>\nSubject: {subject}\nDate: {}",
            date.to_rfc2822()
        )
        .unwrap();
        if !irt.is_empty() {
            writeln!(out, "In-Reply-To: {irt}").unwrap();
        }
        if !refs.is_empty() {
            writeln!(out, "References: {refs}").unwrap();
        }
        let body = if col(4).is_empty() {
            "text".to_string()
        } else {
            col(4).replace("\\n", "\n")
        };
        writeln!(out, "\n{body}\n").unwrap();
    }
    out
}

pub fn import_spec(data: &Path, spec: &str) -> whosaid::import::ImportReport {
    let file = data.join("input.mbox");
    std::fs::write(&file, mbox(spec)).unwrap();
    let mut store = whosaid::store::Store::open(data).unwrap();
    let index = whosaid::index::Index::open_for_writing(data).unwrap();
    let report = whosaid::import::import(
        &mut store,
        &index,
        &[whosaid::import::Input::Mbox(file.clone())],
        &whosaid::import::ImportConfig::default(),
        |_| {},
    )
    .unwrap();
    std::fs::remove_file(file).unwrap();
    report
}

/// linux-kbuild imported once for all tests that read it.
pub fn kbuild_data() -> &'static Path {
    static DATA: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DATA.get_or_init(|| imported("linux-kbuild"))
}

/// linux-modules imported once for all tests that read it.
pub fn modules_data() -> &'static Path {
    static DATA: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    DATA.get_or_init(|| imported("linux-modules"))
}

/// A shared corpus imported into a fresh [`lasting_dir`].
fn imported(name: &str) -> PathBuf {
    let dir = lasting_dir();
    let out = whosaid(&dir, &["import", corpus(name).to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    dir
}

/// A new temporary directory that lasts until the test process exits, for
/// data shared by tests (a `TempDir` in a static is never dropped: each
/// run used to leave its shared imports in /tmp).
pub fn lasting_dir() -> PathBuf {
    let dir = tempfile::tempdir().unwrap().keep();
    at_exit(Cleanup::Remove(dir.clone()));
    dir
}

/// A throwaway PostgreSQL cluster of this test process's own (whatever
/// `$WHOSAID_TEST_POSTGRES` says, since it needs a replica too), started on
/// a free loopback port with `.ci/postgres.sh` and stops when it exits: its URL
/// and port. Panics saying what to install when the machine has no
/// PostgreSQL server.
pub fn own_postgres() -> &'static (String, u16) {
    static OWN: std::sync::OnceLock<(String, u16)> = std::sync::OnceLock::new();
    OWN.get_or_init(|| {
        let port = crate::e2e::free_port();
        let url = pg_script("start", &port.to_string(), &["fast"]);
        (url, port)
    })
}

/// Restarts [`own_postgres`] (a fast shutdown: every client is cut off).
pub fn restart_own_postgres() {
    let dir = pg_dir(&own_postgres().1.to_string());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args(["restart", &dir])
        .output()
        .unwrap();
    assert!(out.status.success(), "restart: {}", text(&out));
}

/// A streaming replica of [`own_postgres`], started on first use: the URL
/// of its `postgres` database.
pub fn own_replica() -> &'static str {
    static REPLICA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    REPLICA.get_or_init(|| {
        let primary = own_postgres().1.to_string();
        pg_script("replica", &crate::e2e::free_port().to_string(), &[&primary])
    })
}

/// A PostgreSQL cluster of this test process's own that takes TCP
/// connections over TLS only (`.ci/postgres.sh start-tls`): its URL (host
/// `localhost`) and the directory holding its CA and client certificates.
pub fn own_tls_postgres() -> &'static (String, PathBuf) {
    static OWN: std::sync::OnceLock<(String, PathBuf)> = std::sync::OnceLock::new();
    OWN.get_or_init(|| {
        let port = crate::e2e::free_port().to_string();
        let url = pg_script("start-tls", &port, &[]);
        (url, PathBuf::from(pg_dir(&port)))
    })
}

/// Runs `.ci/postgres.sh VERB DIR PORT ARGS` with a new directory, which
/// is stopped and removed when the test process exits; its URL.
fn pg_script(verb: &str, port: &str, args: &[&str]) -> String {
    let dir = pg_dir(port);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh");
    let out = Command::new("bash")
        .arg(&script)
        .args([verb, &dir, port])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "cannot start a PostgreSQL server for the tests ({}): install Debian's \
         `postgresql` package, or set {} to a server's URL",
        text(&out).trim(),
        whosaid::store::config::TEST_POSTGRES_ENV,
    );
    at_exit(Cleanup::StopPostgres(dir));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// The directory of this test process's cluster on `port`.
fn pg_dir(port: &str) -> String {
    format!("/tmp/whosaid-test-pg-{}-{port}", std::process::id())
}

/// What the test process undoes when it exits.
enum Cleanup {
    /// Stop the cluster in this directory and remove it.
    StopPostgres(String),
    /// Remove this directory.
    Remove(PathBuf),
}

static CLEANUPS: std::sync::Mutex<Vec<Cleanup>> = std::sync::Mutex::new(Vec::new());

/// Registers `c` to run when the test process exits.
fn at_exit(c: Cleanup) {
    let mut all = CLEANUPS.lock().unwrap();
    if all.is_empty() {
        // SAFETY: registers a plain function to run at exit; it touches no
        // Rust state that exit tears down but this mutex.
        unsafe {
            libc::atexit(clean_up);
        }
    }
    all.push(c);
}

extern "C" fn clean_up() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join(".ci/postgres.sh");
    let all = std::mem::take(&mut *CLEANUPS.lock().unwrap_or_else(|e| e.into_inner()));
    // Last registered first: replicas before their primary.
    for c in all.into_iter().rev() {
        match c {
            Cleanup::StopPostgres(dir) => {
                let _ = Command::new("bash")
                    .arg(&script)
                    .args(["stop", &dir])
                    .output();
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Remove(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
        }
    }
}

/// A fresh, empty database on `base`'s server: its URL.
pub fn create_database(base: &str, name: &str) -> String {
    let db = format!("{name}_{}_{}", std::process::id(), rand_suffix());
    let mut client = postgres::Client::connect(base, postgres::NoTls).unwrap();
    client
        .batch_execute(&format!("CREATE DATABASE {db}"))
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    format!("{prefix}/{db}")
}
fn rand_suffix() -> u32 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos(),
    );
    h.finish() as u32
}

/// Runs `sql` on the store of the data dir `data`, whichever engine it is
/// (for tests that take a store back to an older state).
pub fn store_sql(data: &Path, sql: &str) {
    match whosaid::store::config::location(data).unwrap() {
        whosaid::store::config::Location::Sqlite(file) => {
            rusqlite::Connection::open(file)
                .unwrap()
                .execute_batch(sql)
                .unwrap();
        }
        whosaid::store::config::Location::Postgres(url) => {
            postgres::Client::connect(&url, postgres::NoTls)
                .unwrap()
                .batch_execute(sql)
                .unwrap();
        }
    }
}

/// The first column of the first row `sql` selects from the store of the
/// data dir `data`, as text.
pub fn store_value(data: &Path, sql: &str) -> String {
    match whosaid::store::config::location(data).unwrap() {
        whosaid::store::config::Location::Sqlite(file) => rusqlite::Connection::open(file)
            .unwrap()
            .query_row(sql, [], |r| r.get::<_, String>(0))
            .unwrap(),
        whosaid::store::config::Location::Postgres(url) => {
            postgres::Client::connect(&url, postgres::NoTls)
                .unwrap()
                .query_one(sql, &[])
                .unwrap()
                .get::<_, String>(0)
        }
    }
}

/// Imports the sample archive (`sample-mboxes/`) into the data dir `data`,
/// which must succeed.
pub fn import_samples(data: &Path) {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes");
    let out = whosaid(data, &["import", samples.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}
