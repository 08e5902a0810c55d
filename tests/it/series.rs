//! Patch series: versions linked by thread, change-id or sender and subject.

use std::fmt::Write as _;

use expect_test::{Expect, expect};
use whosaid::store::Store;

use crate::support::import_spec;

const DIFF: &str = r"Fix.\n---\ndiff --git a/f.c b/f.c\n--- a/f.c\n+++ b/f.c\n@@ -1 +1 @@\n-a\n+b";

/// Imports the steps (with `DIFF` substituted for `$DIFF`), then renders the
/// series of `msgid`.
#[track_caller]
fn check(steps: &[&str], msgid: &str, expected: Expect) {
    let data = tempfile::tempdir().unwrap();
    for step in steps {
        import_spec(data.path(), &step.replace("$DIFF", DIFF));
    }
    let store = Store::open(data.path()).unwrap();
    let mut out = String::new();
    match store.series(msgid).unwrap() {
        None => out.push_str("no series\n"),
        Some(s) => {
            writeln!(
                out,
                "{} by {} change-id={:?}",
                s.subject, s.sender.email, s.change_id
            )
            .unwrap();
            for v in s.versions {
                writeln!(
                    out,
                    "v{}{} in thread {} ({})",
                    v.version,
                    if v.partial { " (partial)" } else { "" },
                    v.thread_root,
                    v.linked_by
                )
                .unwrap();
                if let Some(c) = v.cover {
                    writeln!(out, "  cover {}", c.message_id).unwrap();
                }
                for p in v.patches {
                    write!(out, "  patch {} {:?}/{:?}", p.message_id, p.index, p.total).unwrap();
                    match (p.change, &p.previous) {
                        (Some(c), Some(was)) => writeln!(out, " {c:?} from {was}").unwrap(),
                        (Some(c), None) => writeln!(out, " {c:?}").unwrap(),
                        _ => writeln!(out).unwrap(),
                    }
                }
                for d in v.dropped {
                    writeln!(out, "  dropped {d}").unwrap();
                }
                for c in v.changes {
                    writeln!(out, "  | {c}").unwrap();
                }
            }
        }
    }
    expected.assert_eq(&out);
}

const KEN: &str = "Ken <ken@example.org>";

#[test]
fn v2_in_reply_to_v1_and_a_reply_finds_its_series() {
    check(
        &[&format!(
            r"
            c1@x |         |               | 0 | intro   | [PATCH 0/2] foo: bar | {KEN}
            p1@x | <c1@x>  | <c1@x>        | 1 | $DIFF   | [PATCH 1/2] foo: one | {KEN}
            p2@x | <c1@x>  | <c1@x>        | 2 | $DIFF   | [PATCH 2/2] foo: two | {KEN}
            r1@x | <p2@x>  | <c1@x> <p2@x> | 3 | NAK     | Re: [PATCH 2/2] foo: two |
            c2@x | <c1@x>  | <c1@x>        | 9 | Changes in v2:\n- fix two\n | [PATCH v2 0/2] foo: bar | {KEN}
            q1@x | <c2@x>  | <c1@x> <c2@x> | 10 | $DIFF  | [PATCH v2 1/2] foo: one | {KEN}
            q2@x | <c2@x>  | <c1@x> <c2@x> | 11 | $DIFF  | [PATCH v2 2/2] foo: two | {KEN}
            "
        )],
        "r1@x",
        expect![[r#"
            foo: bar by ken@example.org change-id=None
            v1 in thread c1@x (thread)
              cover c1@x
              patch p1@x Some(1)/Some(2)
              patch p2@x Some(2)/Some(2)
            v2 in thread c1@x (thread)
              cover c2@x
              patch q1@x Some(1)/Some(2) Unchanged from p1@x
              patch q2@x Some(2)/Some(2) Unchanged from p2@x
              | Changes in v2:
              |   - fix two
        "#]],
    );
}

#[test]
fn partial_reroll_in_reply_to_a_v1_patch() {
    check(
        &[&format!(
            r"
            c1@x |         |               | 0 | intro | [PATCH 0/3] foo: bar | {KEN}
            p1@x | <c1@x>  | <c1@x>        | 1 | $DIFF | [PATCH 1/3] foo: one | {KEN}
            p2@x | <c1@x>  | <c1@x>        | 2 | $DIFF | [PATCH 2/3] foo: two | {KEN}
            p3@x | <c1@x>  | <c1@x>        | 3 | $DIFF | [PATCH 3/3] foo: three | {KEN}
            v2p2@x | <p2@x> | <c1@x> <p2@x> | 9 | $DIFF | [PATCH v2 2/3] foo: two | {KEN}
            "
        )],
        "v2p2@x",
        expect![[r#"
            foo: bar by ken@example.org change-id=None
            v1 in thread c1@x (thread)
              cover c1@x
              patch p1@x Some(1)/Some(3)
              patch p2@x Some(2)/Some(3)
              patch p3@x Some(3)/Some(3)
            v2 (partial) in thread c1@x (thread)
              patch v2p2@x Some(2)/Some(3) Unchanged from p2@x
        "#]],
    );
}

#[test]
fn naked_cover_letter() {
    check(
        &[&format!(
            r"
            c@x  |        |        | 0 | Two fixes. | [PATCH] foo: fixes | {KEN}
            p1@x | <c@x>  | <c@x>  | 1 | $DIFF      | [PATCH 1/2] foo: one | {KEN}
            p2@x | <c@x>  | <c@x>  | 2 | $DIFF      | [PATCH 2/2] foo: two | {KEN}
            "
        )],
        "p1@x",
        expect![[r#"
            foo: fixes by ken@example.org change-id=None
            v1 in thread c@x (thread)
              cover c@x
              patch p1@x Some(1)/Some(2)
              patch p2@x Some(2)/Some(2)
        "#]],
    );
}

#[test]
fn versions_in_separate_threads_link_by_change_id_or_sender_and_subject() {
    let v1 = format!(
        r"
        a1@x | | | 0 | intro\nchange-id: 20240101-foo-1a2b | [PATCH 0/1] foo: renamed later | {KEN}
        a2@x | <a1@x> | <a1@x> | 1 | $DIFF | [PATCH 1/1] foo: one | {KEN}
        "
    );
    let v3 = format!(
        r"
        b1@x | | | 60 | intro\nchange-id: 20240101-foo-1a2b | [PATCH v3 0/1] foo: better name | {KEN}
        b2@x | <b1@x> | <b1@x> | 61 | $DIFF | [PATCH v3 1/1] foo: one | {KEN}
        "
    );
    check(
        &[&v1, &v3],
        "b2@x",
        expect![[r#"
            foo: better name by ken@example.org change-id=Some("20240101-foo-1a2b")
            v1 in thread a1@x (change-id)
              cover a1@x
              patch a2@x Some(1)/Some(1)
            v3 in thread b1@x (thread)
              cover b1@x
              patch b2@x Some(1)/Some(1) Unchanged from a2@x
        "#]],
    );
    // Without change-id: same sender and cover subject link; another sender's
    // series of the same name does not.
    let by = |who: &str, id: &str, minutes: u32, v: &str| {
        format!("{id} | | | {minutes} | $DIFF | [PATCH{v}] foo: fix typo | {who}")
    };
    check(
        &[
            &by(KEN, "k1@x", 0, ""),
            &by("Ann <ann@example.org>", "ann@x", 5, ""),
            &by(KEN, "k2@x", 60, " v2"),
        ],
        "k2@x",
        expect![[r#"
            foo: fix typo by ken@example.org change-id=None
            v1 in thread k1@x (cover-subject)
              patch k1@x None/None
            v2 in thread k2@x (thread)
              patch k2@x None/None Unchanged from k1@x
        "#]],
    );
}

/// A cover letter renamed between versions, no change-id, no thread
/// between them: two patch subjects in common link them; the patches are
/// followed by subject, by patch-id when renamed, else by place.
#[test]
fn versions_whose_cover_was_renamed_link_by_patch_subjects() {
    let other = "\\n---\\ndiff --git a/f.c b/f.c\\n--- a/f.c\\n+++ b/f.c\\n@@ -1 +1 @@\\n-a\\n+c";
    check(
        &[
            &format!(
                r"
                c1@x | | | 0 | intro | [PATCH 0/3] foo: speed up | {KEN}
                p1@x | <c1@x> | <c1@x> | 1 | $DIFF | [PATCH 1/3] foo: one | {KEN}
                p2@x | <c1@x> | <c1@x> | 2 | $DIFF | [PATCH 2/3] foo: two | {KEN}
                p3@x | <c1@x> | <c1@x> | 3 | $DIFF | [PATCH 3/3] foo: three | {KEN}
                "
            ),
            &format!(
                r"
                c2@x | | | 90 | Changes in v2:\n- drop three\n | [PATCH v2 0/2] foo: speed up lookups | {KEN}
                q1@x | <c2@x> | <c2@x> | 91 | $DIFF | [PATCH v2 1/2] foo: one | {KEN}
                q2@x | <c2@x> | <c2@x> | 92 | Two.{other} | [PATCH v2 2/2] foo: two | {KEN}
                "
            ),
            // Someone else's series with the same patch subjects is not it.
            "o1@x | | | 95 | $DIFF | [PATCH v2 1/2] foo: one | Eve <eve@example.org>\n\
             o2@x | <o1@x> | <o1@x> | 96 | $DIFF | [PATCH v2 2/2] foo: two | Eve <eve@example.org>",
        ],
        "q2@x",
        expect![[r#"
            foo: speed up lookups by ken@example.org change-id=None
            v1 in thread c1@x (patch-subjects)
              cover c1@x
              patch p1@x Some(1)/Some(3)
              patch p2@x Some(2)/Some(3)
              patch p3@x Some(3)/Some(3)
            v2 in thread c2@x (thread)
              cover c2@x
              patch q1@x Some(1)/Some(2) Unchanged from p1@x
              patch q2@x Some(2)/Some(2) Changed from p2@x
              dropped [PATCH 3/3] foo: three
              | Changes in v2:
              |   - drop three
        "#]],
    );
}

#[test]
fn a_plain_reply_thread_is_no_series() {
    check(
        &["a@x | | | 0\nb@x | <a@x> | <a@x> | 1"],
        "b@x",
        expect![[r#"
        no series
    "#]],
    );
}

/// `series::patch_id` is `git patch-id --stable` on every patch posted to
/// linux-modules (the whole body as whosaid decodes it, fed to git as one
/// stream with a made-up commit id before each).
#[test]
fn patch_id_is_git_patch_id_stable_on_corpus_patches() {
    let mut bodies = Vec::new();
    for year in 2019..=2024 {
        let path =
            crate::support::corpus("linux-modules").join(format!("linux-modules-{year}.mbox"));
        let file = std::fs::File::open(&path).unwrap();
        for item in whosaid::mbox::MboxReader::new(std::io::BufReader::new(file)) {
            let whosaid::mbox::Item::Message(raw) = item.unwrap() else {
                continue;
            };
            if let whosaid::message::ParseOutcome::Message(m, _) =
                whosaid::message::parse(&raw.bytes)
            {
                let subject = whosaid::series::parse_subject(&m.subject);
                if subject.patch && !subject.reply && m.body.contains("\ndiff ") {
                    bodies.push(m.body.clone());
                }
            }
        }
    }
    let mut stream = String::new();
    for (i, body) in bodies.iter().enumerate() {
        writeln!(stream, "From {i:040x} Mon Sep 17 00:00:00 2001").unwrap();
        stream.push_str(body);
        if !body.ends_with('\n') {
            stream.push('\n');
        }
    }
    let git = git_patch_ids(&stream);
    let (mut same, mut differ) = (0, Vec::new());
    for (i, body) in bodies.iter().enumerate() {
        let ours = whosaid::series::patch_id(body);
        // A body quoting a `From <commit>` line of its own (a forwarded
        // patch) is another commit to git in the stream: ask it alone.
        let alone = || git_patch_ids(body).into_values().next();
        let theirs = git.get(&i).cloned().or_else(alone);
        match (&ours, &theirs) {
            (Some(a), Some(b)) if a == b => same += 1,
            (None, None) => {}
            (a, b) => differ.push(format!("patch {i}: whosaid {a:?}, git {b:?}")),
        }
    }
    eprintln!("{} patches, {same} patch-ids equal to git's", bodies.len());
    assert!(differ.is_empty(), "{}", differ.join("\n"));
    assert!(same >= 500, "only {same} patches compared");
}

/// `git patch-id --stable` over `stream`: the first id printed for each
/// commit number (the last 16 hex digits of the commit id).
fn git_patch_ids(stream: &str) -> std::collections::HashMap<usize, String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new("git")
        .args(["patch-id", "--stable"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("this test needs git on PATH");
    let mut stdin = child.stdin.take().unwrap();
    let input = stream.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap().unwrap();
    let mut ids = std::collections::HashMap::new();
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        let (id, commit) = line.split_once(' ').unwrap();
        let n = usize::from_str_radix(&commit[24..], 16).unwrap_or(usize::MAX);
        ids.entry(n).or_insert_with(|| id.to_string());
    }
    ids
}

/// The ledger follows a new version imported later, without a rebuild:
/// v1-v3 of the four-version sample first, then v4.
#[test]
fn a_version_imported_later_joins_the_ledger() {
    let sample = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-mboxes/linux-kbuild-kconfig-versions.mbox");
    let text = std::fs::read_to_string(sample).unwrap();
    let cut = text.find("Message-Id: <20240405-kconfig-v4-0").unwrap();
    let cut = text[..cut].rfind("From mboxrd@z").unwrap();
    let data = tempfile::tempdir().unwrap();
    let ledger_of = |part: &str, name: &str| {
        let file = data.path().join(name);
        std::fs::write(&file, part).unwrap();
        let out = crate::support::whosaid(data.path(), &["import", file.to_str().unwrap()]);
        assert_eq!(out.status.code(), Some(0), "{}", crate::support::text(&out));
        let out = crate::support::whosaid(data.path(), &["series", "v3-tom@berglund.example.se"]);
        let text = String::from_utf8_lossy(&out.stdout).to_string();
        text[text.find("ledger:").unwrap()..].to_string()
    };
    let before = ledger_of(&text[..cut], "v1-v3.mbox");
    let after = ledger_of(&text[cut..], "v4.mbox");
    // v4 changed nothing: Nadia's v1 tag still carried, Tom's v3 request
    // still open, and her v4 tag joins.
    assert!(before.contains("posted v1 v2= v3=\n"), "{before}");
    assert!(!before.contains("given on v4"), "{before}");
    assert!(after.contains("posted v1 v2= v3= v4=\n"), "{after}");
    assert!(
        after.contains("Reviewed-by: Nadia Chen <nadia.chen@example.com>  (given on v4, holds)"),
        "{after}"
    );
    assert!(after.contains("(given on v1, carried)"), "{after}");
    assert!(
        after.contains("open changes requested from Tom Berglund"),
        "{after}"
    );
}
