//! Crashes, concurrency and a failing disk (issue 8): an import killed at
//! any phase resumes to exactly a clean import; the web keeps answering
//! while an import writes; a full or read-only disk gives a clear error and
//! a consistent store.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::e2e::{free_port, wait_for};
use crate::support::{corpus, listing, text, whosaid};

pub fn kbuild_2019() -> String {
    corpus("linux-kbuild")
        .join("linux-kbuild-2019.mbox")
        .to_str()
        .unwrap()
        .to_string()
}

/// Queries whose answers (ids, threads, snippets) must not depend on how
/// the archive got its messages.
const QUERIES: [&str; 5] = [
    "s:modpost",
    "f:masahiroy b:Kconfig",
    "\"reviewed by\"",
    "nq:warning",
    "dfn:Makefile",
];

/// Everything a user can see of an archive: its messages (ids, content,
/// lists, copies), the thread each is in, the index's document count and
/// the answers to `QUERIES`.
pub fn observable(data: &Path) -> Vec<String> {
    let mut out = listing(data);
    let store = whosaid::store::Store::open(data).unwrap();
    for line in listing(data) {
        let id = line.split(' ').next().unwrap();
        out.push(format!("{id} in {:?}", store.root_of(id).unwrap()));
    }
    let index = whosaid::index::Index::open(data).unwrap();
    out.push(format!("index documents: {}", index.num_docs().unwrap()));
    for q in QUERIES {
        let got = whosaid(data, &["search", "--json", "--limit", "200", q]);
        let json: serde_json::Value = serde_json::from_slice(&got.stdout)
            .unwrap_or_else(|_| panic!("search {q}: {}", text(&got)));
        let mut hits: Vec<String> = json["hits"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| format!("{q} -> {} {}", h["message_id"], h["thread_root"]))
            .collect();
        hits.sort();
        out.push(format!("{q}: {} hits", json["total"]));
        out.extend(hits);
    }
    out
}

pub fn import_with(data: &Path, input: &str, env: Option<&str>) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_whosaid"));
    cmd.arg("--data")
        .arg(data)
        .args(["import", "--batch", "97", input])
        .env_remove("WHOSAID_DATA")
        .env_remove("WHOSAID_FAILPOINT");
    if let Some(spec) = env {
        cmd.env("WHOSAID_FAILPOINT", spec);
    }
    cmd.output().unwrap()
}

/// `failpoint spec`: where the import is killed (see `whosaid::failpoint`).
const KILL_POINTS: &str = "
put:1
put:1400
store-commit:1
store-commit:20
index-commit:1
index-merge:1
rethread:1
";

#[test]
fn an_import_killed_at_any_phase_resumes_to_exactly_a_clean_import() {
    let input = kbuild_2019();
    let clean = tempfile::tempdir().unwrap();
    let out = import_with(clean.path(), &input, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let expected = observable(clean.path());

    let mut failures = Vec::new();
    for spec in KILL_POINTS.lines().map(str::trim).filter(|l| !l.is_empty()) {
        let data = tempfile::tempdir().unwrap();
        let killed = import_with(data.path(), &input, Some(spec));
        if killed.status.signal() != Some(libc::SIGKILL) {
            failures.push(format!(
                "{spec}: the import was not killed there ({:?})",
                killed.status
            ));
            continue;
        }
        // What a killed import left is part of a clean import, never more.
        if data.path().join("store.sqlite3").exists() {
            let partial = listing(data.path());
            let clean_listing = listing(clean.path());
            if let Some(extra) = partial.iter().find(|l| !clean_listing.contains(l)) {
                failures.push(format!("{spec}: killed import stored {extra}"));
            }
        }
        let again = import_with(data.path(), &input, None);
        if again.status.code() != Some(0) {
            failures.push(format!("{spec}: re-import failed: {}", text(&again)));
            continue;
        }
        let got = observable(data.path());
        if got != expected {
            let missing: Vec<_> = expected.iter().filter(|l| !got.contains(l)).collect();
            let extra: Vec<_> = got.iter().filter(|l| !expected.contains(l)).collect();
            failures.push(format!(
                "{spec}: after re-import, missing {:?}, extra {:?}",
                &missing[..missing.len().min(5)],
                &extra[..extra.len().min(5)]
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A GET over a fresh connection: status and the whole response.
pub fn get(port: u16, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = Vec::new();
    s.read_to_end(&mut response).unwrap();
    let response = String::from_utf8_lossy(&response).to_string();
    let status = response
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "{path}: not an HTTP response: {:?}",
                &response[..response.len().min(64)]
            )
        });
    (status, response)
}

/// A GET over a fresh connection; the status code.
fn status_of(port: u16, path: &str) -> u16 {
    get(port, path).0
}

pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_web_answers_while_an_import_writes() {
    let data = tempfile::tempdir().unwrap();
    let out = whosaid(data.path(), &["import", samples().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let port = free_port();
    let _server = Killed(
        Command::new(env!("CARGO_BIN_EXE_whosaid"))
            .arg("--data")
            .arg(data.path())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    wait_for(port, "whosaid serve");
    let hmm = "20190129165428.3931-1-jgarnier@redhat.example.com";
    let pages = [
        "/".to_string(),
        format!("/linux-mm/{hmm}/T/"),
        "/?q=merging".into(),
        format!("/r/{hmm}"),
        "/linux-mm/".into(),
        "/api/search?q=s:hmm".into(),
    ];

    let inputs = [
        kbuild_2019(),
        corpus("linux-kbuild")
            .join("linux-kbuild-2020.mbox")
            .to_str()
            .unwrap()
            .to_string(),
    ];
    let mut import = Command::new(env!("CARGO_BIN_EXE_whosaid"))
        .arg("--data")
        .arg(data.path())
        .args(["import", "--batch", "200"])
        .args(&inputs)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut during = 0;
    let mut bad = Vec::new();
    while import.try_wait().unwrap().is_none() {
        for page in &pages {
            let status = status_of(port, page);
            if ![200, 308].contains(&status) {
                bad.push(format!("{page}: {status}"));
            }
            if import.try_wait().unwrap().is_none() {
                during += 1;
            }
        }
    }
    let mut err = String::new();
    import
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    assert!(import.wait().unwrap().success(), "{err}");
    assert!(bad.is_empty(), "{}", bad.join("\n"));
    assert!(
        during >= 2 * pages.len(),
        "only {during} answers came while the import ran: readers wait for the writer"
    );
    eprintln!("{during} pages answered during the import");
    // The new messages show once the import has committed.
    for page in ["/linux-kbuild/", "/?q=s:modpost"] {
        assert_eq!(status_of(port, page), 200, "{page}");
    }
    let out = whosaid(data.path(), &["search", "s:modpost"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

/// A small filesystem of its own (tmpfs), for running out of space and
/// turning read-only. Unmounted when dropped.
struct Mount(tempfile::TempDir);

impl Mount {
    fn new(size: &str) -> Mount {
        let dir = tempfile::tempdir().unwrap();
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "this test mounts a small tmpfs to fill it, which needs root (CI runs as root): {}",
            text(&out)
        );
        Mount(dir)
    }

    fn remount(&self, options: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.0.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
    }

    /// A mount of `size` with the sample archive imported into its data
    /// dir; the data dir and its listing.
    fn with_samples(size: &str) -> (Mount, std::path::PathBuf, Vec<String>) {
        let disk = Mount::new(size);
        let data = disk.0.path().join("data");
        let out = whosaid(&data, &["import", samples().to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let listing = listing(&data);
        (disk, data, listing)
    }
}

fn samples() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes")
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.0.path()).status();
    }
}

fn fsck(data: &Path) -> std::process::Output {
    whosaid(data, &["fsck"])
}

#[test]
fn a_full_disk_fails_clearly_and_the_store_stays_consistent() {
    // A disk the samples fit on and 2019's 2,767 messages do not. On
    // SQLite their store and index take ~17 MB, and the samples alone
    // reach 3 MB (SQLite's log of their import, with 32 KiB pages, before
    // it is folded into the store): 4 MB. On a PostgreSQL store only the
    // index is on this disk, 5.7 MB, which a 4 MB disk held on a lucky
    // run: 3 MB.
    let on_postgres =
        std::env::var(whosaid::store::config::TEST_POSTGRES_ENV).is_ok_and(|v| !v.is_empty());
    let size = if on_postgres { "3m" } else { "4m" };
    let (disk, data, before) = Mount::with_samples(size);

    let input = kbuild_2019();
    let full = import_with(&data, &input, None);
    let said = text(&full);
    assert_eq!(full.status.code(), Some(2), "{said}");
    assert!(said.contains("the disk is full: free space"), "{said}");
    assert!(
        said.contains(data.to_str().unwrap()),
        "names the place: {said}"
    );
    // Whatever was committed is whole and readable; nothing already stored
    // is lost.
    let out = fsck(&data);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let partial = listing(&data);
    assert!(before.iter().all(|l| partial.contains(l)));

    // With room again, the same import completes to a clean import.
    disk.remount("size=200m");
    let out = import_with(&data, &input, None);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let clean = tempfile::tempdir().unwrap();
    for i in [samples().to_str().unwrap(), &input] {
        assert_eq!(import_with(clean.path(), i, None).status.code(), Some(0));
    }
    assert_eq!(observable(&data), observable(clean.path()));
}

#[test]
fn a_read_only_data_dir_refuses_imports_clearly() {
    let (disk, data, before) = Mount::with_samples("64m");
    disk.remount("ro");
    let out = import_with(&data, &kbuild_2019(), None);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("read-only file system"), "{said}");
    assert!(
        said.contains(data.to_str().unwrap()),
        "names the place: {said}"
    );
    // Reading needs SQLite's shared-memory file: refused as clearly.
    let out = whosaid(&data, &["search", "s:hmm"]);
    let said = text(&out);
    assert_eq!(out.status.code(), Some(2), "{said}");
    assert!(said.contains("read-only file system"), "{said}");
    disk.remount("rw");
    assert_eq!(listing(&data), before);
    assert_eq!(fsck(&data).status.code(), Some(0));
}
