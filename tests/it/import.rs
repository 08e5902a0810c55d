//! Import: corpora byte-exact, idempotent, order-independent, crash-safe, and
//! bad input never stops the good messages.

use std::path::Path;
use std::time::Duration;

use crate::support::*;

#[test]
fn every_small_corpus_message_is_stored_byte_exact() {
    let mut with_dictionary = Vec::new();
    for name in SMALL_CORPORA {
        let data = tempfile::tempdir().unwrap();
        let out = whosaid(data.path(), &["import", corpus(name).to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
        let (exact, without_newline) = stored_hashes(data.path());
        let rows = manifest(name);
        for row in &rows {
            let found = exact.contains(&row.sha256)
                || row.added_final_newline && without_newline.contains(&row.sha256);
            assert!(
                found,
                "{name}: message {} is not stored byte-exact",
                row.sha256
            );
        }
        let expected: std::collections::HashSet<&str> =
            rows.iter().map(|r| r.sha256.as_str()).collect();
        let extra = exact.len() - expected.len().min(exact.len());
        assert_eq!(
            exact.len(),
            expected.len(),
            "{name}: {extra} stored copies not in the manifest"
        );
        let store = whosaid::store::Store::open(data.path()).unwrap();
        if store.dictionary().unwrap().is_some() {
            with_dictionary.push(name);
        }
    }
    // Corpora of 100 messages or more train a compression dictionary; the
    // byte-exact check above then covers frames written with one.
    assert!(
        !with_dictionary.is_empty(),
        "no corpus trained a dictionary"
    );
    eprintln!("compressed with a trained dictionary: {with_dictionary:?}");
}

#[test]
fn reimport_stores_nothing_new() {
    for name in SMALL_CORPORA {
        let data = tempfile::tempdir().unwrap();
        let path = corpus(name);
        let first = whosaid(data.path(), &["import", path.to_str().unwrap()]);
        assert_eq!(first.status.code(), Some(0), "{name}: {}", text(&first));
        let before = listing(data.path());
        let again = whosaid(data.path(), &["import", "--json", path.to_str().unwrap()]);
        let report: serde_json::Value = serde_json::from_slice(&again.stdout).expect("json report");
        assert_eq!(report["stored"], 0, "{name}");
        assert_eq!(report["new_copies"], 0, "{name}");
        assert_eq!(report["duplicates"], report["read"], "{name}");
        assert_eq!(listing(data.path()), before, "{name}");
        let index = whosaid::index::Index::open(data.path()).unwrap();
        assert_eq!(
            index.num_docs().unwrap() as usize,
            before.len(),
            "{name}: index documents"
        );
    }
}

#[test]
fn import_order_does_not_change_the_store() {
    // A cross-post: the same message as two lists delivered it (other
    // List-Id and Received lines), plus a reply only one list has.
    let dir = tempfile::tempdir().unwrap();
    let copy = |list: &str, hop: &str| {
        format!(
            "From mboxrd@z Thu Jan  1 00:00:00 1970\nReceived: from {hop}; Mon, 3 Jan 2005 10:00:01 +0000\nList-Id: <{list}.example.org>\nFrom: Ann <ann@example.org>\nMessage-ID: <xpost@example.org>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\nSubject: [PATCH] cross-posted\n\nbody\n\n"
        )
    };
    let reply = "From mboxrd@z Thu Jan  1 00:00:00 1970\nList-Id: <beta.example.org>\nFrom: Bob <bob@example.org>\nMessage-ID: <reply@example.org>\nIn-Reply-To: <xpost@example.org>\nDate: Mon, 3 Jan 2005 11:00:00 +0000\nSubject: Re: [PATCH] cross-posted\n\nAcked-by: Bob <bob@example.org>\n\n";
    let a = write(dir.path(), "alpha.mbox", copy("alpha", "mx1").as_bytes());
    let b = write(
        dir.path(),
        "beta.mbox",
        format!("{}{reply}", copy("beta", "mx2")).as_bytes(),
    );
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    for (data, order) in [(&one, [&a, &b]), (&two, [&b, &a])] {
        for p in order {
            let out = whosaid(data.path(), &["import", p]);
            assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        }
    }
    let listing_one = listing(one.path());
    assert_eq!(
        listing_one.len(),
        2,
        "the cross-post is one message:\n{listing_one:#?}"
    );
    assert!(
        listing_one[1].contains("lists=alpha,beta"),
        "{listing_one:#?}"
    );
    assert_eq!(listing_one, listing(two.path()));

    // The same holds for real corpora that share messages.
    let one = tempfile::tempdir().unwrap();
    let two = tempfile::tempdir().unwrap();
    let (c1, c2) = (corpus("notmuch-default"), corpus("notmuch-edge"));
    for (data, order) in [(&one, [&c1, &c2]), (&two, [&c2, &c1])] {
        for p in order {
            assert_eq!(
                whosaid(data.path(), &["import", p.to_str().unwrap()])
                    .status
                    .code(),
                Some(0)
            );
        }
    }
    assert_eq!(listing(one.path()), listing(two.path()));
}

#[test]
fn killed_import_resumes_to_exactly_a_clean_import() {
    let input = corpus("linux-kbuild").join("linux-kbuild-2019.mbox");
    let input = input.to_str().unwrap();
    let clean = tempfile::tempdir().unwrap();
    assert_eq!(
        whosaid(clean.path(), &["import", input]).status.code(),
        Some(0)
    );
    let expected = listing(clean.path());

    let data = tempfile::tempdir().unwrap();
    let mut killed_midway = 0;
    for delay_ms in [30u64, 150, 300, 500, 800] {
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_whosaid"))
            .args([
                "--data",
                data.path().to_str().unwrap(),
                "import",
                "--batch",
                "97",
                input,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGKILL: no destructor, no rollback, no flush.
        let was_running = child.try_wait().unwrap().is_none();
        child.kill().unwrap();
        child.wait().unwrap();
        if was_running {
            killed_midway += 1;
        }
        let partial = listing(data.path());
        assert!(
            partial.iter().all(|line| expected.contains(line)),
            "a killed import stored something a clean one does not"
        );
    }
    assert!(
        killed_midway >= 2,
        "the import finished too fast to be killed midway; use a larger input"
    );
    let out = whosaid(data.path(), &["import", input]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(listing(data.path()), expected);
    // The index holds every message once: none lost, none doubled.
    let index = whosaid::index::Index::open(data.path()).unwrap();
    assert_eq!(index.num_docs().unwrap() as usize, expected.len());
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path.to_str().unwrap().to_string()
}

#[test]
fn bad_input_is_reported_and_good_messages_around_it_are_stored() {
    let dir = tempfile::tempdir().unwrap();
    let sep = "From mboxrd@z Thu Jan  1 00:00:00 1970\n";
    let good = |id: &str| {
        format!(
            "{sep}From: a@example.org\nMessage-ID: <{id}>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\nSubject: {id}\n\nbody\n\n"
        )
    };
    let mut mixed = Vec::new();
    mixed.extend(good("good1@x").as_bytes());
    let garbage_offset = mixed.len();
    mixed.extend(sep.as_bytes());
    mixed.extend(b"\x00\x01\xff\xfe binary garbage \x80\x81\n\x00\n\n");
    mixed.extend(good("good2@x").as_bytes());
    mixed.extend(
        format!(
            "{sep}From: a@example.org\nMessage-ID: <long@x>\nX-Long: {}\n\nb\n\n",
            "y".repeat(1 << 20)
        )
        .as_bytes(),
    );
    mixed.extend(good("good3@x").as_bytes());
    let truncated_offset = mixed.len();
    mixed.extend(format!("{sep}From: a@example.org\nMessage-ID: <trunc@x>\nSubj").as_bytes());
    let mixed_path = write(dir.path(), "mixed.mbox", &mixed);
    let empty = write(dir.path(), "empty.mbox", b"");
    let png = write(
        dir.path(),
        "image.png",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR binary",
    );
    let missing = dir.path().join("does-not-exist.mbox");

    let data = tempfile::tempdir().unwrap();
    let out = whosaid(
        data.path(),
        &[
            "import",
            "-v",
            &mixed_path,
            &empty,
            &png,
            missing.to_str().unwrap(),
        ],
    );
    let output = text(&out);
    // A missing input is an error (exit 2), but everything else is imported.
    assert_eq!(out.status.code(), Some(2), "{output}");
    assert!(output.contains("does-not-exist.mbox"), "{output}");
    assert!(
        output.contains(&format!("mixed.mbox: byte {garbage_offset}: ")),
        "garbage not named by offset:\n{output}"
    );
    assert!(output.contains("without a single header line"), "{output}");
    assert!(
        output.contains(&format!(
            "mixed.mbox: byte {truncated_offset} <trunc@x>: header block ends"
        )),
        "{output}"
    );
    assert!(output.contains("<long@x>: a header line of"), "{output}");
    assert!(
        output.contains("image.png: byte 0: "),
        "non-mbox file not named:\n{output}"
    );
    let listing = listing(data.path());
    for id in ["good1@x", "good2@x", "good3@x", "long@x", "trunc@x"] {
        assert!(
            listing.iter().any(|l| l.starts_with(&format!("{id} "))),
            "{id} not stored:\n{output}"
        );
    }
    assert_eq!(listing.len(), 5);
}

#[test]
fn gz_maildir_and_stdin_inputs() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let msg = |id: &str| {
        format!(
            "From: a@example.org\nMessage-ID: <{id}>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\nSubject: s\n\nFrom the top\n"
        )
    };
    // .gz mbox
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(
        format!(
            "From x Thu Jan  1 00:00:00 1970\n{}\n",
            msg("gz@x").replace("\nFrom the", "\n>From the")
        )
        .as_bytes(),
    )
    .unwrap();
    let gz_path = write(dir.path(), "list.mbox.gz", &gz.finish().unwrap());
    // Maildir
    let maildir = dir.path().join("Maildir");
    std::fs::create_dir_all(maildir.join("cur")).unwrap();
    std::fs::create_dir_all(maildir.join("new")).unwrap();
    std::fs::write(maildir.join("cur/1:2,S"), msg("cur@x")).unwrap();
    std::fs::write(maildir.join("new/2"), msg("new@x")).unwrap();

    let data = tempfile::tempdir().unwrap();
    let out = whosaid(
        data.path(),
        &["import", &gz_path, maildir.to_str().unwrap()],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_whosaid"))
        .args([
            "--data",
            data.path().to_str().unwrap(),
            "import",
            "--list",
            "piped",
            "-",
        ])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(msg("stdin@x").as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    let store = whosaid::store::Store::open(data.path()).unwrap();
    for id in ["gz@x", "cur@x", "new@x", "stdin@x"] {
        let raws = store.raw_by_message_id(id).unwrap();
        assert_eq!(raws.len(), 1, "{id}");
        // Exact bytes, with the mboxrd escape of the .gz copy undone.
        assert_eq!(String::from_utf8_lossy(&raws[0]), msg(id), "{id}");
    }
    let stats: serde_json::Value =
        serde_json::from_slice(&whosaid(data.path(), &["stats", "--json"]).stdout).unwrap();
    let lists: Vec<&str> = stats["lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert_eq!(lists, ["list", "maildir", "piped"]);
}

#[test]
fn empty_input_is_nothing_found_and_second_importer_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let empty = write(dir.path(), "empty.mbox", b"");
    let data = tempfile::tempdir().unwrap();
    let out = whosaid(data.path(), &["import", &empty]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));

    let _held = whosaid::import::lock_data_dir(data.path()).unwrap();
    let out = whosaid(data.path(), &["import", &empty]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out).contains("another import is writing to"),
        "{}",
        text(&out)
    );
}
