//! Threading: one small archive per hard case, written as data, with its
//! expected trees as text. The policy is in `src/thread/mod.rs`'s docs.

use std::fmt::Write as _;
use std::path::Path;

use expect_test::{Expect, expect};
use whosaid::store::Store;

use crate::support::import_spec;

/// Every thread of the store, as indented ids, threads sorted by root.
fn render(data: &Path) -> String {
    let store = Store::open(data).unwrap();
    let mut roots: Vec<String> = Vec::new();
    for line in store.content_listing().unwrap() {
        let id = line.split(' ').next().unwrap().to_string();
        let view = store
            .thread(&id)
            .unwrap()
            .expect("every message is in a thread");
        if !roots.contains(&view.root) {
            roots.push(view.root.clone());
        }
    }
    roots.sort();
    let mut out = String::new();
    for root in roots {
        let view = store.thread_by_root(&root).unwrap();
        for &(i, depth) in &view.order {
            let n = &view.nodes[i];
            let ghost = if n.ghost { " (not in the archive)" } else { "" };
            writeln!(out, "{}{}{ghost}", "  ".repeat(depth), n.message_id).unwrap();
        }
    }
    out
}

/// Imports each step in turn and renders the threads after each.
#[track_caller]
fn check(steps: &[&str], expected: Expect) {
    let data = tempfile::tempdir().unwrap();
    let mut out = String::new();
    for (i, step) in steps.iter().enumerate() {
        import_spec(data.path(), step);
        if steps.len() > 1 {
            writeln!(out, "after import {}:", i + 1).unwrap();
        }
        out += &render(data.path());
    }
    expected.assert_eq(&out);
}

#[test]
fn tree_from_references_and_in_reply_to() {
    check(
        &["
        a@x |          |                 | 0
        b@x | <a@x>    | <a@x>           | 1
        c@x | <b@x>    | <a@x> <b@x>     | 2
        d@x | <a@x>    |                 | 3
        e@x |          | <a@x> <d@x>     | 4
        "],
        expect![[r#"
            a@x
              b@x
                c@x
              d@x
                e@x
        "#]],
    );
}

#[test]
fn no_subject_grouping() {
    // Same subject, no headers linking them: two threads.
    check(
        &["p1@x | | | 0\np2@x | | | 1"],
        expect![[r#"
        p1@x
        p2@x
    "#]],
    );
}

#[test]
fn missing_parent_becomes_a_ghost_and_keeps_replies_together() {
    check(
        &["
        b@x | <gone@x> | <root@x> <gone@x> | 1
        c@x | <gone@x> | <root@x> <gone@x> | 2
        d@x | <root@x> | <root@x>          | 3
        "],
        expect![[r#"
            root@x (not in the archive)
              d@x
              gone@x (not in the archive)
                b@x
                c@x
        "#]],
    );
}

#[test]
fn ghost_becomes_the_real_message_and_threads_merge() {
    check(
        &[
            "
            b@x | <a@x> | <a@x> | 1
            other@x | | | 5
            ",
            "
            a@x | | | 0
            c@x | <a@x> | <a@x> | 2
            ",
        ],
        expect![[r#"
            after import 1:
            a@x (not in the archive)
              b@x
            other@x
            after import 2:
            a@x
              b@x
              c@x
            other@x
        "#]],
    );
}

#[test]
fn reply_arrives_before_parent() {
    // Imported in the "wrong" order, and dated before its parent too.
    check(
        &["b@x | <a@x> | <a@x> | 0", "a@x | | | 10"],
        expect![[r#"
        after import 1:
        a@x (not in the archive)
          b@x
        after import 2:
        a@x
          b@x
    "#]],
    );
}

#[test]
fn junk_in_reply_to_fuses_nothing() {
    check(
        &[r#"
        one@x   | <yes>                     | | 0
        two@x   | <yes>                     | | 1
        three@x | someone@example.org       | | 2
        four@x  | "Someone" <someone@example.org> | | 3
        five@x  | Your message of "Mon, 1 Jan 2020" <one@x> | | 4
        six@x   | <one@x> (Someone's message of "Mon, 1 Jan") | | 5
        "#],
        expect![[r#"
            four@x
            one@x
              five@x
              six@x
            three@x
            two@x
        "#]],
    );
}

#[test]
fn cycles_and_self_references_are_cut_not_followed() {
    check(
        &["
        a@x | <b@x> | <c@x> <b@x> | 0
        b@x | <c@x> | <a@x> <c@x> | 1
        c@x | <a@x> | <b@x> <a@x> | 2
        s@x | <s@x> | <s@x>       | 3
        "],
        expect![[r#"
            a@x
              c@x
                b@x
            s@x
        "#]],
    );
}

#[test]
fn reused_message_id_keeps_both_messages() {
    // The same id with other content: the later one shows under the first;
    // replies go to the first.
    check(
        &["
        dup@x |  |  | 0 | first text
        dup@x |  |  | 5 | other text
        r@x   | <dup@x> | <dup@x> | 6
        "],
        expect![[r#"
            dup@x
              dup@x
              r@x
        "#]],
    );
}

#[test]
fn reversed_references_trust_in_reply_to() {
    check(
        &["
        a@x | | | 0
        b@x | <a@x> | <a@x> | 1
        c@x | <b@x> | <b@x> <a@x> | 2
        "],
        expect![[r#"
            a@x
              b@x
                c@x
        "#]],
    );
}

#[test]
fn long_chain_of_absent_ancestors_is_pruned_to_what_matters() {
    let refs: Vec<String> = (0..10_000).map(|i| format!("<anc{i}@x>")).collect();
    let spec = format!(
        "m@x | <anc9999@x> | {} | 0\nn@x | <anc5000@x> | {} | 1",
        refs.join(" "),
        refs[..5001].join(" ")
    );
    check(
        &[&spec],
        expect![[r#"
        anc5000@x (not in the archive)
          n@x
          anc9999@x (not in the archive)
            m@x
    "#]],
    );
}

#[test]
fn incremental_import_rebuilds_only_the_threads_it_touches() {
    let data = tempfile::tempdir().unwrap();
    let first = import_spec(
        data.path(),
        "a@x | | | 0\nb@x | <a@x> | <a@x> | 1\nc@x | <b@x> | <a@x> <b@x> | 2\nz@x | | | 3\ny@x | <z@x> | <z@x> | 4",
    );
    assert_eq!(first.threading.threads, 2);
    let second = import_spec(data.path(), "d@x | <c@x> | <a@x> <b@x> <c@x> | 5");
    assert_eq!(second.threading.pending, 1);
    assert_eq!(
        second.threading.rebuilt, 4,
        "only the a@x thread is rebuilt"
    );
    assert_eq!(second.threading.threads, 1);
}

#[test]
fn thread_json_matches_the_interface() {
    let data = tempfile::tempdir().unwrap();
    import_spec(
        data.path(),
        "a@x | | | 0\nb@x | <gone@x> | <a@x> <gone@x> | 1",
    );
    let out = crate::support::whosaid(data.path(), &["thread", "--json", "b@x"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    expect![[r#"
        {
          "messages": [
            {
              "date": "2020-01-01T10:00:00+00:00",
              "depth": 0,
              "from": {
                "email": "someone@example.org",
                "name": "Someone"
              },
              "ghost": false,
              "list": "input",
              "message_id": "a@x",
              "parent": null,
              "subject": "message a@x",
              "url": "/r/a@x"
            },
            {
              "depth": 1,
              "ghost": true,
              "message_id": "gone@x",
              "parent": "a@x",
              "url": "/r/gone@x"
            },
            {
              "date": "2020-01-01T10:01:00+00:00",
              "depth": 2,
              "from": {
                "email": "someone@example.org",
                "name": "Someone"
              },
              "ghost": false,
              "list": "input",
              "message_id": "b@x",
              "parent": "gone@x",
              "subject": "message b@x",
              "url": "/r/b@x"
            }
          ],
          "patches": [],
          "positions": [
            {
              "changed": false,
              "grade": "neutral",
              "per_patch": [],
              "person": {
                "aliases": [],
                "email": "someone@example.org",
                "name": "Someone"
              },
              "role": "participant",
              "signals": [],
              "stance": "neutral"
            }
          ],
          "root": "a@x",
          "subject": "message a@x",
          "subsystems": [],
          "summary": "no review signals"
        }"#]]
    .assert_eq(&serde_json::to_string_pretty(&json).unwrap());
    let missing = crate::support::whosaid(data.path(), &["thread", "nope@x"]);
    assert_eq!(missing.status.code(), Some(1));
}

#[test]
fn deep_chain_and_huge_references_import_and_thread() {
    let n = 50_000;
    let mut spec = String::from("m0@x | | | 0\n");
    for i in 1..n {
        writeln!(spec, "m{i}@x | <m{}@x> | | {i}", i - 1).unwrap();
    }
    let data = tempfile::tempdir().unwrap();
    let report = import_spec(data.path(), &spec);
    assert_eq!(report.stored, n);
    assert_eq!(report.threading.threads, 1);
    let store = Store::open(data.path()).unwrap();
    let view = store.thread(&format!("m{}@x", n - 1)).unwrap().unwrap();
    assert_eq!(view.order.len(), n as usize);
    assert_eq!(
        view.order.last().unwrap().1,
        n as usize - 1,
        "the last message is 49,999 deep"
    );
    let out = crate::support::whosaid(data.path(), &["thread", "m49999@x"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("[depth 49999] ▶ Someone"));
}

/// On real mail: every message is in exactly one thread, and every parent
/// link is one the child's own headers state (or a reused id's owner).
#[test]
fn real_corpora_thread_soundly() {
    let mut corpora: Vec<&str> = crate::support::SMALL_CORPORA.to_vec();
    corpora.push("linux-kbuild");
    for name in corpora {
        let data = tempfile::tempdir().unwrap();
        let out = crate::support::whosaid(
            data.path(),
            &["import", crate::support::corpus(name).to_str().unwrap()],
        );
        assert_eq!(
            out.status.code(),
            Some(0),
            "{name}: {}",
            crate::support::text(&out)
        );
        let store = Store::open(data.path()).unwrap();
        let listing = store.content_listing().unwrap();
        let mut seen = std::collections::HashMap::new();
        let mut patch_series_threads = 0;
        for root in store.thread_roots().unwrap() {
            let view = store.thread_by_root(&root).unwrap();
            assert_eq!(
                view.order.len(),
                view.nodes.len(),
                "{name}: thread {root} lost nodes"
            );
            let mut senders = std::collections::BTreeSet::new();
            for n in &view.nodes {
                if !n.ghost {
                    *seen.entry((n.message_id.clone(), n.row)).or_insert(0) += 1;
                }
                if n.is_patch && !n.is_reply {
                    senders.insert(n.from.email.clone());
                }
                let Some(p) = n.parent else { continue };
                let parent = &view.nodes[p];
                if n.ghost {
                    // A ghost's parent is an earlier id of some message's chain.
                    let justified = view.nodes.iter().any(|m| {
                        let pos = |id: &str| m.chain.iter().position(|c| c == id);
                        matches!((pos(&parent.message_id), pos(&n.message_id)), (Some(a), Some(b)) if a < b)
                    });
                    assert!(
                        justified,
                        "{name}: ghost {} placed under {} without a header saying so",
                        n.message_id, parent.message_id
                    );
                } else {
                    let justified =
                        n.chain.contains(&parent.message_id) || parent.message_id == n.message_id;
                    assert!(
                        justified,
                        "{name}: {} placed under {} without a header saying so",
                        n.message_id, parent.message_id
                    );
                }
                if n.chain.iter().any(|id| id == "yes") {
                    panic!("{name}: <yes> survived into a reference chain");
                }
            }
            if senders.len() > 1 {
                patch_series_threads += 1;
            }
        }
        assert_eq!(
            seen.len(),
            listing.len(),
            "{name}: messages missing from threads"
        );
        assert!(
            seen.values().all(|&c| c == 1),
            "{name}: a message is in two threads"
        );
        eprintln!(
            "{name}: {} threads; {patch_series_threads} hold patches from several senders, each linked by headers",
            store.thread_roots().unwrap().len()
        );
    }
}

/// Importing a corpus in pieces (the last ones rethreaded incrementally)
/// gives exactly the threads of importing it at once.
#[test]
fn incremental_threading_equals_a_full_rebuild() {
    for name in ["notmuch-lkml", "notmuch-edge"] {
        let dir = crate::support::corpus(name);
        let mbox = std::fs::read(dir.join(format!("{name}.mbox"))).unwrap();
        let offsets: Vec<usize> = std::fs::read_to_string(dir.join("MANIFEST.tsv"))
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| l.split('\t').nth(2).unwrap().parse().unwrap())
            .collect();
        // The first three quarters, then the last tenth (replies before
        // their parents), then the rest: the last two are small enough to
        // be rethreaded incrementally.
        let (q3, n9) = (
            offsets[offsets.len() * 3 / 4],
            offsets[offsets.len() * 9 / 10],
        );
        let pieces = tempfile::tempdir().unwrap();
        let whole = tempfile::tempdir().unwrap();
        let mut rebuilt = Vec::new();
        for (from, to) in [(0, q3), (n9, mbox.len()), (q3, n9)] {
            let file = pieces.path().join("piece.mbox");
            std::fs::write(&file, &mbox[from..to]).unwrap();
            let out = crate::support::whosaid(
                pieces.path(),
                &["import", "--json", "--list", name, file.to_str().unwrap()],
            );
            assert_eq!(out.status.code(), Some(0), "{}", crate::support::text(&out));
            let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            rebuilt.push(report["threading"]["rebuilt"].as_u64().unwrap());
        }
        let total = Store::open(pieces.path()).unwrap().message_count().unwrap();
        assert!(
            rebuilt[1] < total && rebuilt[2] < total,
            "{name}: not incremental: {rebuilt:?} of {total}"
        );
        let file = whole.path().join("whole.mbox");
        std::fs::write(&file, &mbox).unwrap();
        let out = crate::support::whosaid(
            whole.path(),
            &["import", "--list", name, file.to_str().unwrap()],
        );
        assert_eq!(out.status.code(), Some(0));
        let (a, b) = (render(pieces.path()), render(whole.path()));
        assert!(
            a.lines().count() > 50,
            "{name}: too few lines to mean anything"
        );
        assert_eq!(a, b, "{name}: incremental threads differ from a full build");
    }
}
