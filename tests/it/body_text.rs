//! A thread page decodes bodies with `message::body_text`, which hands the
//! MIME parser only the MIME headers; an import uses `message::parse`; both
//! read a plain one-part message without the MIME parser. All must show the
//! same text as the MIME parser for every message, whatever its headers.

use whosaid::mbox::{Item, MboxReader};
use whosaid::message::{self, ParseOutcome};

/// Every message of every mbox under `dir`: `body_text` equals the body plus
/// patch attachments that `parse` gives. Returns how many were compared.
fn check_dir(dir: &std::path::Path) -> usize {
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "mbox"))
        .collect();
    files.sort();
    let mut n = 0;
    for path in files {
        let file = std::fs::File::open(&path).unwrap();
        for item in MboxReader::new(file) {
            let Ok(Item::Message(raw)) = item else {
                continue;
            };
            let ParseOutcome::Message(m, _) = message::parse(&raw.bytes) else {
                assert_eq!(message::body_text(&raw.bytes), "");
                continue;
            };
            let mut expected = m.body.clone();
            for p in &m.patches {
                expected.push('\n');
                expected.push_str(&p.text);
            }
            assert_eq!(
                message::body_text(&raw.bytes),
                expected,
                "{} at byte {}: <{}>",
                path.display(),
                raw.offset,
                m.message_id
            );
            // ... and both equal what the MIME parser alone makes of it.
            assert_eq!(
                message::mime_body_text(&raw.bytes),
                expected,
                "{} at byte {}: <{}>",
                path.display(),
                raw.offset,
                m.message_id
            );
            n += 1;
        }
    }
    n
}

#[test]
fn body_text_matches_parse_on_samples_and_edge_case_corpora() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut n = check_dir(&std::path::Path::new(root).join("sample-mboxes"));
    let shared = std::path::Path::new(root).join("../shared/corpora");
    assert!(
        shared.is_dir(),
        "{} is missing: these tests read the shared corpora beside the repo",
        shared.display()
    );
    for corpus in [
        "public-inbox-t",
        "hyperkitty-testdata",
        "notmuch-edge",
        "notmuch-lkml",
        "notmuch-default",
    ] {
        n += check_dir(&shared.join(corpus));
    }
    // The 20,000 linux-kbuild messages take a minute in a debug build:
    // `WHOSAID_BODY_TEXT_KBUILD=1 cargo test --release body_text` adds them.
    if std::env::var_os("WHOSAID_BODY_TEXT_KBUILD").is_some() {
        n += check_dir(&shared.join("linux-kbuild"));
    }
    eprintln!("{n} messages compared");
    assert!(n > 100, "only {n} messages compared");
}
