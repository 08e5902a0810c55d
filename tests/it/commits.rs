//! From commits back to their postings: kmod's history against the
//! linux-modules list it was reviewed on (`../shared/corpora/kmod`).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use whosaid::archive::Archive;
use whosaid::archive::commits::{CommitMatch, Postings};

/// kmod cloned from its bundle into a temporary directory.
pub fn kmod_clone() -> tempfile::TempDir {
    let bundle = crate::support::corpus("kmod").join("kmod.bundle");
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new("git")
        .args(["-c", "init.defaultBranch=master", "clone", "--quiet"])
        .arg(&bundle)
        .arg(dir.path().join("kmod"))
        .status()
        .expect("this test needs git on PATH");
    assert!(status.success(), "git clone {}", bundle.display());
    dir
}

/// `git ARGS` in `dir`, which must succeed: its output.
fn git(dir: &Path, args: &[&str], stdin: Option<Vec<u8>>) -> Vec<u8> {
    let mut child = Command::new("git")
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("this test needs git on PATH");
    let mut input = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        if let Some(bytes) = stdin {
            input.write_all(&bytes).unwrap();
        }
    });
    let out = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    assert!(out.status.success(), "git {args:?} in {}", dir.display());
    out.stdout
}

/// A copy of `repo`'s history with every `Link:` and `Message-Id:` line
/// taken out of its commit messages (through `git fast-export` and
/// `fast-import`: trees, authors and dates unchanged).
fn without_links(repo: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("kmod");
    std::fs::create_dir(&copy).unwrap();
    git(&copy, &["init", "--quiet", "--initial-branch=main"], None);
    let stream = git(repo, &["fast-export", "--all", "--signed-tags=strip"], None);
    git(
        &copy,
        &["fast-import", "--quiet"],
        Some(strip_links(&stream)),
    );
    let head = String::from_utf8(git(repo, &["symbolic-ref", "HEAD"], None)).unwrap();
    git(&copy, &["symbolic-ref", "HEAD", head.trim()], None);
    dir
}

/// A fast-export stream with the `Link:`/`Message-Id:` lines of its
/// commit messages removed (each `data N` count rewritten to match).
fn strip_links(stream: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(stream.len());
    let (mut rest, mut in_commit) = (stream, false);
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|&b| b == b'\n')
            .map_or(rest.len(), |i| i + 1);
        let (line, tail) = rest.split_at(end);
        rest = tail;
        if line.starts_with(b"commit ") {
            in_commit = true;
        } else if line.starts_with(b"blob")
            || line.starts_with(b"tag ")
            || line.starts_with(b"reset ")
        {
            in_commit = false;
        }
        let Some(count) = line.strip_prefix(b"data ") else {
            out.extend_from_slice(line);
            continue;
        };
        let n: usize = std::str::from_utf8(count).unwrap().trim().parse().unwrap();
        let (data, tail) = rest.split_at(n);
        rest = tail;
        let data = if in_commit {
            drop_link_lines(data)
        } else {
            data.to_vec()
        };
        out.extend_from_slice(format!("data {}\n", data.len()).as_bytes());
        out.extend_from_slice(&data);
    }
    out
}

/// `message` without its `Link:` and `Message-Id:` lines.
fn drop_link_lines(message: &[u8]) -> Vec<u8> {
    message
        .split_inclusive(|&b| b == b'\n')
        .filter(|l| {
            let lower = l.to_ascii_lowercase();
            !lower.starts_with(b"link:") && !lower.starts_with(b"message-id:")
        })
        .flatten()
        .copied()
        .collect()
}

/// The list era (2019-09-25 to 2024-07-31, 214 commits): as many found
/// as kmod's PROVENANCE.md baseline less its one false match; every Link:
/// followed; in a copy of the history without its Link: trailers, the
/// postings they named are found again by the other ways, and none
/// wrongly with high confidence.
#[test]
fn kmod_commits_find_their_postings() {
    let clone = kmod_clone();
    let repo = clone.path().join("kmod");
    let range = [
        "--since=2019-09-25".to_string(),
        "--until=2024-08-01".to_string(),
    ];
    let commits = whosaid::git::commits(&repo, &range, |_| {}).unwrap();
    assert_eq!(commits.len(), 214);
    let archive = Archive::open(crate::support::modules_data()).unwrap();
    let postings = Postings::read(&archive).unwrap();
    let with: Vec<_> = commits.iter().map(|c| postings.find(c)).collect();
    let rewritten = without_links(&repo);
    let unlinked = whosaid::git::commits(&rewritten.path().join("kmod"), &range, |_| {}).unwrap();
    assert_eq!(unlinked.len(), commits.len());
    for (c, u) in commits.iter().zip(&unlinked) {
        assert_eq!(
            c.subject(),
            u.subject(),
            "the same history, in the same order"
        );
        assert!(whosaid::archive::commits::trailer_links(&u.message).is_empty());
    }
    let without: Vec<_> = unlinked.iter().map(|c| postings.find(c)).collect();
    let run = Run {
        commits: &commits,
        with: &with,
        without: &without,
        postings: &postings,
    };
    let found = with.iter().filter(|m| m.posting.is_some()).count();
    eprintln!(
        "with Link: {found} of 214 found (link {}, patch-id {}, subject-author {}, link-other {}, subject {}); {} changed when applied",
        run.count("link"),
        run.count("patch-id"),
        run.count("subject-author"),
        run.count("link-other"),
        run.count("subject"),
        with.iter().filter(|m| m.changed_when_applied).count()
    );
    // The baseline's 172 counts "testsuite: update gitignore" (6436260f,
    // committed 2019-11-06) as the 2021 patch of that subject: a posting
    // after its commit is not it.
    assert!(found >= 171, "{found}");
    // 26 commits have a Link: into the archive, and each is found: 24 name
    // their posting; one names a reply in its thread, and one a bug report
    // ("Buffer overflow in modprobe") with a proposed fix of its own
    // (f975f6bf): for both the commit's diff finds its posting.
    let linking: Vec<usize> = (0..commits.len())
        .filter(|&i| with[i].links.iter().any(|l| postings.knows(l)))
        .collect();
    assert_eq!(linking.len(), 26);
    assert!(linking.iter().all(|&i| with[i].posting.is_some()));
    assert_eq!(run.count("link"), 24);
    let linked = run.linked_to_their_own_posting();
    let again = linked
        .iter()
        .filter(|&&(i, p)| run.found_again(i, p))
        .count();
    eprintln!(
        "Link: not read: {again} of {} linked postings found again",
        linked.len()
    );
    for method in [
        "link",
        "patch-id",
        "subject-author",
        "link-other",
        "subject",
    ] {
        eprintln!("{}", run.per_method(method, &linked));
    }
    let wrong_high: Vec<String> = linked
        .iter()
        .filter(|&&(i, p)| without[i].confidence == Some("high") && !run.found_again(i, p))
        .map(|(i, p)| format!("{}: {:?} for <{p}>", commits[*i].sha, without[*i].posting))
        .collect();
    assert!(wrong_high.is_empty(), "{}", wrong_high.join("\n"));
    assert!(
        again * 100 >= linked.len() * 95,
        "{again} of {}",
        linked.len()
    );
}

/// One matching of the list era: with its Link: trailers, and in the copy
/// of the history without them.
struct Run<'a> {
    commits: &'a [whosaid::git::Commit],
    with: &'a [CommitMatch],
    without: &'a [CommitMatch],
    postings: &'a Postings,
}

impl Run<'_> {
    /// Commits matched by `method` (with Link: trailers).
    fn count(&self, method: &str) -> usize {
        self.with.iter().filter(|m| m.method == method).count()
    }

    /// The posting `p` carries commit `i`'s subject, and its diff.
    fn agrees(&self, i: usize, p: &str) -> (bool, bool) {
        let c = &self.commits[i];
        self.postings
            .posted(p)
            .map_or((false, false), |(subject, id)| {
                (
                    subject == whosaid::series::parse_subject(c.subject()).base,
                    id.is_some_and(|id| c.patch_ids.iter().any(|p| p == id)),
                )
            })
    }

    /// The commits whose Link: names their own posting (its subject or its
    /// diff), with that posting.
    fn linked_to_their_own_posting(&self) -> Vec<(usize, &str)> {
        (0..self.commits.len())
            .filter(|&i| self.with[i].method == "link")
            .map(|i| (i, self.with[i].posting.as_deref().unwrap()))
            .filter(|&(i, p)| {
                let (subject, diff) = self.agrees(i, p);
                subject || diff
            })
            .collect()
    }

    /// Without its Link:, commit `i` was matched to `named`, or to an
    /// identical re-post (same patch-id: one Link names the first of two
    /// postings sent two minutes apart, and the newest before the commit
    /// is taken).
    fn found_again(&self, i: usize, named: &str) -> bool {
        let found = self.without[i].posting.as_deref();
        let id_of = |m: &str| self.postings.posted(m).and_then(|p| p.1);
        found == Some(named)
            || found.is_some_and(|f| id_of(named).is_some() && id_of(f) == id_of(named))
    }

    /// For `method`: how many commits it matched with Link: kept, how many
    /// of those postings carry the commit's subject and how many its diff
    /// (a second signal for the other method); without Link:, how many of
    /// the `linked` postings it found again, and how many it got wrong.
    fn per_method(&self, method: &str, linked: &[(usize, &str)]) -> String {
        let of: Vec<usize> = (0..self.commits.len())
            .filter(|&i| self.with[i].method == method)
            .collect();
        let agree: Vec<(bool, bool)> = of
            .iter()
            .map(|&i| self.agrees(i, self.with[i].posting.as_deref().unwrap()))
            .collect();
        let by_method: Vec<&(usize, &str)> = linked
            .iter()
            .filter(|(i, _)| self.without[*i].method == method)
            .collect();
        let right = by_method
            .iter()
            .filter(|&&&(i, p)| self.found_again(i, p))
            .count();
        format!(
            "{method}: {} found ({} with the commit's subject, {} with its diff); without \
             Link: {right} right, {} wrong of the linked",
            of.len(),
            agree.iter().filter(|a| a.0).count(),
            agree.iter().filter(|a| a.1).count(),
            by_method.len() - right
        )
    }
}

/// Commits after the list moved to GitHub were not posted: nothing is
/// claimed for them with more than low confidence unless a Link: says so.
#[test]
fn github_era_commits_are_not_claimed() {
    let clone = kmod_clone();
    let repo = clone.path().join("kmod");
    let commits =
        whosaid::git::commits(&repo, &["--since=2024-08-01".to_string()], |_| {}).unwrap();
    let archive = Archive::open(crate::support::modules_data()).unwrap();
    let postings = Postings::read(&archive).unwrap();
    let claimed: Vec<String> = commits
        .iter()
        .map(|c| postings.find(c))
        .filter(|m| m.posting.is_some())
        .map(|m| format!("{} {} {}", &m.sha[..12], m.method, m.subject))
        .collect();
    eprintln!(
        "GitHub era: {} of {} commits matched:\n{}",
        claimed.len(),
        commits.len(),
        claimed.join("\n")
    );
    // PROVENANCE.md: one carries a Link: into the list, four were posted.
    assert!(claimed.len() <= 10, "{}", claimed.join("\n"));
}

/// What was said of a commit, on three real kmod commits checked by hand:
/// a Reviewed-by in git nobody gave on the list (Emil Velikov's on the CI
/// series, written "Reviewed-by: Reviewed-by:" in git) on a series that
/// went in whole, tags given on the list, and later patches whose Fixes:
/// names the commit and the release announcement that lists it.
#[test]
fn kmod_commits_say_what_the_list_said() {
    let clone = kmod_clone();
    let repo = clone.path().join("kmod");
    let revs = [
        "--since=2019-09-25".to_string(),
        "--until=2024-08-01".to_string(),
    ];
    let commits = whosaid::git::commits(&repo, &revs, |_| {}).unwrap();
    let (archive, _) = Archive::open_searchable(crate::support::modules_data()).unwrap();
    let postings = Postings::read(&archive).unwrap();
    let applied: std::collections::HashMap<String, String> = commits
        .iter()
        .filter_map(|c| Some((postings.find(c).posting?, c.sha.clone())))
        .collect();
    let said = |sha: &str| {
        let c = commits.iter().find(|c| c.sha.starts_with(sha)).unwrap();
        let m = postings.find(c);
        whosaid::archive::commits::Discussions::new(&archive)
            .knowing(&applied)
            .of(c, &m)
            .unwrap()
            .expect("found on the list")
    };
    let ci = said("da6345d17ac5");
    assert!(
        ci.not_on_list.iter().any(|t| t.contains("Emil Velikov")),
        "{ci:?}"
    );
    let holders = said("42b32d30c38e");
    assert!(
        holders
            .credited
            .iter()
            .any(|t| t == "Reviewed-by: Luis Chamberlain <mcgrof@kernel.org>"),
        "{holders:?}"
    );
    // The patch was sent twice in its series (subjects differing in case)
    // and Luis reviewed the other copy: the tag was given.
    let twice = said("7089386eeff8");
    assert!(twice.not_on_list.is_empty(), "{twice:?}");
    assert!(
        twice
            .credited
            .iter()
            .any(|t| t.contains("Luis Chamberlain")),
        "{twice:?}"
    );
    // "For the two: Reviewed-by" in reply to patch 2/2, carried by 1/2.
    let two = said("184a070733c0");
    assert!(
        two.given_elsewhere
            .iter()
            .any(|t| t.contains("Emil Velikov")),
        "{two:?}"
    );
    // The whole CI series went in.
    assert_eq!(ci.series.len(), 5, "{ci:?}");
    assert!(ci.series.iter().all(|s| s.applied_as.is_some()), "{ci:?}");
    // Named after: by Fixes: tags, and listed in the release announcement.
    let builtin = said("e7e2cb61fa9f");
    let kind_of = |id: &str| {
        builtin
            .mentions
            .iter()
            .find(|m| m.message_id == id)
            .map(|m| m.kind)
    };
    assert_eq!(
        kind_of("20210818212440.2224127-1-lucas.demarchi@intel.com"),
        Some("fixes"),
        "{builtin:?}"
    );
    assert_eq!(
        kind_of("CAKi4VAL0R+rzTirDQmFGVTRYLL6ACYN3oXVegfPgovvN5ibR6A@mail.gmail.com"),
        Some("release"),
        "kmod 27's announcement: {builtin:?}"
    );
    let dates: Vec<_> = builtin.mentions.iter().map(|m| m.date).collect();
    assert!(
        dates.windows(2).all(|w| w[0] >= w[1]),
        "newest first: {dates:?}"
    );
}

/// The import keeps each posting's patch-id (as `git patch-id --stable`
/// gives it for the posting's diff); a store of schema 2, written before
/// they were kept, is marked as schema 3 when opened and has them computed
/// and kept on first use.
#[test]
fn patch_ids_are_kept_at_import_and_rebuilt_when_missing() {
    let data = tempfile::tempdir().unwrap();
    let sample = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-mboxes/linux-kbuild-kconfig-versions.mbox");
    let out = crate::support::whosaid(data.path(), &["import", sample.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::support::text(&out));
    let kept = |archive: &Archive| {
        use whosaid::archive::Reader;
        let rows = archive.with_store(|s| s.patch_postings()).unwrap();
        rows.iter()
            .filter(|r| r.has_diff)
            .map(|r| {
                let body = archive.with_store(|s| s.body_at(r.row)).unwrap().unwrap();
                let computed = whosaid::series::patch_id(&body);
                (r.message_id.clone(), r.patch_id.clone(), computed)
            })
            .collect::<Vec<_>>()
    };
    let archive = Archive::open(data.path()).unwrap();
    let at_import = kept(&archive);
    assert_eq!(at_import.len(), 9, "the patches of v1 to v4: {at_import:?}");
    for (mid, stored, computed) in &at_import {
        assert!(computed.is_some(), "{mid}");
        assert_eq!(stored.as_ref(), Some(computed), "{mid}");
    }
    let found = |archive: &Archive| {
        let postings = Postings::read(archive).unwrap();
        at_import
            .iter()
            .map(|(mid, _, _)| postings.posted(mid).map(|(_, id)| id.map(str::to_string)))
            .collect::<Vec<_>>()
    };
    let before = found(&archive);
    drop(archive);
    // As a store of schema 2 was: no patch-ids kept.
    crate::support::store_sql(
        data.path(),
        "DELETE FROM patch_ids; UPDATE meta SET value = '2' WHERE key = 'schema_version'",
    );
    let archive = Archive::open(data.path()).unwrap();
    let version = "SELECT value FROM meta WHERE key = 'schema_version'";
    assert_eq!(crate::support::store_value(data.path(), version), "3");
    assert!(kept(&archive).iter().all(|(_, stored, _)| stored.is_none()));
    assert_eq!(found(&archive), before, "computed from the raws");
    assert_eq!(kept(&archive), at_import, "and kept again");
}

/// A `Link:` to a reply, on a commit whose diff and subject match no
/// posting: the reply is where it was discussed (`link-other`); the same
/// `Link:` after one to the posting gives way to it.
#[test]
fn a_link_to_a_reply_names_the_discussion_when_nothing_else_is_found() {
    let data = tempfile::tempdir().unwrap();
    crate::support::import_samples(data.path());
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git(dir, &["init", "--quiet", "--initial-branch=main"], None);
    std::fs::write(dir.join("f"), "x\n").unwrap();
    git(dir, &["add", "f"], None);
    let reply = "https://lore.kernel.org/r/Ze8kL2ZqXb0Jx7aQ@berglund.example.se";
    let posting = "https://lore.kernel.org/r/20240311093000.1022-3-ksato@example.jp";
    for message in [
        format!("an unrelated change\n\nLink: {reply}\n"),
        format!("an unrelated change\n\nLink: {reply}\nLink: {posting}\n"),
    ] {
        git(
            dir,
            &[
                "-c",
                "user.name=A",
                "-c",
                "user.email=a@x",
                "commit",
                "--quiet",
                "--allow-empty",
                "-m",
                &message,
            ],
            None,
        );
    }
    let commits = whosaid::git::commits(dir, &[], |_| {}).unwrap();
    let archive = Archive::open(data.path()).unwrap();
    let postings = Postings::read(&archive).unwrap();
    let found: Vec<(&str, Option<String>)> = commits
        .iter()
        .map(|c| {
            let m = postings.find(c);
            (m.method, m.posting)
        })
        .collect();
    assert_eq!(
        found,
        [
            (
                "link-other",
                Some("Ze8kL2ZqXb0Jx7aQ@berglund.example.se".to_string())
            ),
            (
                "link",
                Some("20240311093000.1022-3-ksato@example.jp".to_string())
            ),
        ]
    );
}
