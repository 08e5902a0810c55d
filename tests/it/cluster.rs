//! Several nodes sharing one PostgreSQL store (issue 9): each `whosaid
//! serve` keeps its own index, following the store. An import on one node
//! reaches the pages of another, which reads from a streaming replica,
//! within seconds; a second importer is refused; a node killed while
//! catching up resumes and converges with nothing missing or doubled.
//! The test runs its own primary and replica (`.ci/postgres.sh`).

use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::crash::{Killed, get, import_with, kbuild_2019, observable};
use crate::e2e::{free_port, wait_for};
use crate::support::{create_database, mbox, own_postgres, own_replica, text, whosaid};

/// `whosaid serve` on `data`, following the store `url`.
fn node(data: &Path, url: &str, port: u16, env: &[(&str, &str)]) -> Killed {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_whosaid"));
    cmd.arg("--data")
        .arg(data)
        .args(["--store", url, "serve", "--follow-chunk", "500", "--addr"])
        .arg(format!("127.0.0.1:{port}"))
        .env_remove("WHOSAID_DATA")
        .env_remove("WHOSAID_FAILPOINT")
        .env_remove(whosaid::store::config::TEST_POSTGRES_ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Killed(cmd.spawn().unwrap())
}

/// Polls `f` every 50 ms for up to `limit`; the time it took to hold.
fn within(limit: Duration, what: &str, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    start.elapsed()
}

/// The one value `sql` answers on the server at `url`; None while the
/// server cannot be reached or the database is not there yet.
fn ask<T: for<'a> postgres::types::FromSql<'a>>(url: &str, sql: &str) -> Option<T> {
    let mut c = postgres::Client::connect(url, postgres::NoTls).ok()?;
    Some(c.query_one(sql, &[]).unwrap().get(0))
}

/// Opens a data dir's index and store (the store is the shared one).
fn behind(data: &Path) -> i64 {
    let store = whosaid::store::Store::open(data).unwrap();
    let seq = whosaid::index::Index::open(data)
        .and_then(|i| i.indexed_seq())
        .unwrap_or(0);
    store.max_index_seq().unwrap() - seq
}

#[test]
fn nodes_sharing_a_postgres_store_follow_its_imports() {
    let url = create_database(&own_postgres().0, "whosaid_cluster");
    // The same database on the replica, once it has streamed there.
    let replica = format!(
        "{}/{}",
        own_replica().rsplit_once('/').unwrap().0,
        url.rsplit_once('/').unwrap().1
    );
    within(
        Duration::from_secs(30),
        "the replica has the database",
        || ask::<bool>(&replica, "SELECT true").is_some(),
    );
    let (a, b, c, importer) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (pa, pb) = (free_port(), free_port());
    let _node_a = node(a.path(), &url, pa, &[]);
    wait_for(pa, "node A");
    // B reads from the replica (once A's schema has streamed there): no
    // NOTIFY reaches it, so it polls.
    within(
        Duration::from_secs(30),
        "the replica has the schema",
        || ask(&replica, "SELECT to_regclass('meta') IS NOT NULL") == Some(true),
    );
    let _node_b = node(b.path(), &replica, pb, &[]);
    wait_for(pb, "node B");
    let id = "20190129165428.3931-1-jgarnier@redhat.example.com";
    assert_eq!(
        get(pb, &format!("/r/{id}")).0,
        404,
        "B knows the message before any import"
    );

    // Import on node A's data dir while A serves; B shows the messages.
    let samples =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes/linux-mm-hmm-users.mbox");
    let out = whosaid(a.path(), &["import", samples.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    let search = within(
        Duration::from_secs(15),
        "B's search shows the import",
        || {
            let (status, body) = get(pb, "/api/search?q=s:dax");
            status == 200 && body.contains(id)
        },
    );
    let (status, page) = get(pb, &format!("/r/{id}"));
    assert_eq!(status, 308, "B redirects the permalink: {page}");
    let location = page
        .lines()
        .find_map(|l| l.strip_prefix("location: "))
        .unwrap()
        .trim()
        .to_string();
    let (status, page) = get(pb, &location);
    assert_eq!(status, 200);
    assert!(page.contains("allow to mirror vma of a file on a DAX backed filesystem"));
    eprintln!("node B searched the import {search:?} after it ended");

    // A second importer is refused while one holds the store.
    let holder = whosaid::store::Store::open(a.path()).unwrap();
    holder.lock_importer().unwrap();
    let out = whosaid(
        importer.path(),
        &["--store", &url, "import", samples.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("another import is writing to the store postgres://"),
        "{}",
        text(&out)
    );
    holder.unlock_importer().unwrap();
    drop(holder);
    // An import pointed at the replica is refused and says where to go.
    let elsewhere = tempfile::tempdir().unwrap();
    let out = whosaid(
        elsewhere.path(),
        &["--store", &replica, "import", samples.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("this store is a read replica: import into its primary"),
        "{}",
        text(&out)
    );

    // A larger import from a node of its own.
    let out = whosaid(importer.path(), &["import", &kbuild_2019()]);
    assert!(out.status.success(), "{}", text(&out));

    // A new node C builds its index from zero, 500 rows per commit; it is
    // killed at its third commit, with two committed.
    let pc = free_port();
    let mut killed = node(
        c.path(),
        &url,
        pc,
        &[("WHOSAID_FAILPOINT", "follow-commit:3")],
    );
    let status = killed.0.wait().unwrap();
    assert_eq!(
        status.signal(),
        Some(9),
        "node C was not killed mid-catch-up"
    );
    let left = behind(c.path());
    let index = whosaid::index::Index::open(c.path()).unwrap();
    let docs = index.num_docs().unwrap();
    assert!(
        left > 0 && (900..=1_000).contains(&docs),
        "C should hold two commits of 500 rows: {docs} documents, {left} changes behind"
    );
    drop(index);

    // Restarted, it converges; so have A and B.
    let _node_c = node(c.path(), &url, pc, &[]);
    wait_for(pc, "node C");
    for (name, dir) in [("C", c.path()), ("A", a.path()), ("B", b.path())] {
        within(
            Duration::from_secs(60),
            &format!("node {name} catches up"),
            || behind(dir) == 0,
        );
    }
    let store = whosaid::store::Store::open(c.path()).unwrap();
    let messages = store.message_count().unwrap();
    eprintln!("observing the importer's data dir");
    let expected = observable(importer.path());
    assert!(
        expected.contains(&format!("index documents: {messages}")),
        "importer's index"
    );
    for (name, dir) in [("A", a.path()), ("B", b.path()), ("C", c.path())] {
        eprintln!("observing node {name}");
        let got = observable(dir);
        assert!(
            got == expected,
            "node {name} differs from the importer: {:?}",
            got.iter()
                .filter(|l| !expected.contains(l))
                .take(5)
                .collect::<Vec<_>>()
        );
    }
    // And its pages show the new messages.
    let (status, body) = get(pc, "/api/search?q=s:modpost");
    assert_eq!(status, 200);
    assert!(body.contains("\"message_id\""), "{body}");

    // The primary restarts under the nodes: no request fails for it, and
    // the followers reconnect and take the next import.
    crate::support::restart_own_postgres();
    let (status, _) = get(pa, &format!("/r/{id}"));
    assert_eq!(status, 308, "the first request after a restart");
    let series = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-mboxes/linux-kbuild-modpost-series.mbox");
    let out = whosaid(importer.path(), &["import", series.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    for (name, port) in [("A", pa), ("B", pb), ("C", pc)] {
        within(
            Duration::from_secs(15),
            &format!("node {name} after the restart"),
            || {
                let (status, body) = get(port, "/api/search?q=s:lookups");
                status == 200 && body.contains("20240311093000.1022-1-ksato@example.jp")
            },
        );
    }

    // An importer killed before it threads leaves its messages unthreaded
    // in the store. A new node on the replica starts and serves all the
    // same (threading is the primary's to do), and shows the thread once
    // the next import on the primary has threaded it.
    let input = importer.path().join("pending.mbox");
    std::fs::write(
        &input,
        mbox("pending-1@example.org | | | 0 | first | [PATCH] pending threading
              pending-2@example.org | <pending-1@example.org> | <pending-1@example.org> | 5 | reply | Re: [PATCH] pending threading"),
    )
    .unwrap();
    let input = input.to_str().unwrap();
    let out = import_with(importer.path(), input, Some("rethread:1"));
    assert_eq!(out.status.signal(), Some(9), "{}", text(&out));
    within(
        Duration::from_secs(30),
        "the replica has the unthreaded messages",
        || ask(&replica, "SELECT count(*) FROM messages WHERE threaded = 0") == Some(2i64),
    );
    let d = tempfile::tempdir().unwrap();
    let pd = free_port();
    let _node_d = node(d.path(), &replica, pd, &[]);
    wait_for(pd, "node D, on a replica with threading pending");
    assert_eq!(get(pd, "/").0, 200, "node D serves");
    let out = whosaid(importer.path(), &["import", input]);
    assert!(out.status.success(), "{}", text(&out));
    within(
        Duration::from_secs(15),
        "node D shows the thread threaded on the primary",
        || {
            let (status, page) = get(pd, "/r/pending-2@example.org");
            let Some(location) = page.lines().find_map(|l| l.strip_prefix("location: ")) else {
                return false;
            };
            let (status2, thread) = get(pd, location.trim());
            status == 308
                && status2 == 200
                && thread.contains("pending-1@example.org")
                && thread.contains("pending-2@example.org")
        },
    );
}
