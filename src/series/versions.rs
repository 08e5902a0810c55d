//! Which patch of one version is which patch of the next: by subject, by
//! patch-id when the subject changed, else by place.

use serde::Serialize;

/// What became of a patch since the version before.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Change {
    /// No patch of the version before corresponds to it.
    New,
    /// The same diff (patch-id) as its counterpart.
    Unchanged,
    /// Its counterpart's diff differs (or one of them has none).
    Changed,
}

/// One patch as correspondence reads it.
#[derive(Debug, Clone, Copy)]
pub struct PatchKey<'a> {
    /// Subject without tags (`foo: bar`).
    pub base: &'a str,
    /// Counter `n` of `n/m`.
    pub index: Option<u32>,
    /// See [`super::patch_id`].
    pub patch_id: Option<&'a str>,
}

/// Whether two patches are the same patch, by one rule.
type Same = &'static dyn Fn(&PatchKey<'_>, &PatchKey<'_>) -> bool;

/// For each patch of `cur`, its counterpart in `prev` (an index) and what
/// changed; and the patches of `prev` no patch of `cur` continues.
/// Counterparts are found by subject first, then by patch-id (a renamed
/// patch), then by counter among what is left.
pub fn correspond(
    prev: &[PatchKey<'_>],
    cur: &[PatchKey<'_>],
) -> (Vec<(Option<usize>, Change)>, Vec<usize>) {
    let mut taken = vec![false; prev.len()];
    let mut found: Vec<Option<usize>> = vec![None; cur.len()];
    let rules: [Same; 3] = [
        &|p, c| p.base == c.base,
        &|p, c| p.patch_id.is_some() && p.patch_id == c.patch_id,
        &|p, c| p.index.is_some() && p.index == c.index,
    ];
    for same in rules {
        for (i, c) in cur.iter().enumerate() {
            if found[i].is_some() {
                continue;
            }
            if let Some(j) = (0..prev.len()).find(|&j| !taken[j] && same(&prev[j], c)) {
                taken[j] = true;
                found[i] = Some(j);
            }
        }
    }
    let out = found
        .iter()
        .zip(cur)
        .map(|(&j, c)| {
            let change = match j {
                None => Change::New,
                Some(j) if c.patch_id.is_some() && prev[j].patch_id == c.patch_id => {
                    Change::Unchanged
                }
                Some(_) => Change::Changed,
            };
            (j, change)
        })
        .collect();
    let dropped = (0..prev.len()).filter(|&j| !taken[j]).collect();
    (out, dropped)
}

/// The interdiff of two postings of a patch: a unified diff (3 lines of
/// context) from the old posting's diff to the new one's, headed `old` and
/// `new`; the commit messages are left out. Empty when the diffs are equal.
pub fn interdiff(old_body: &str, new_body: &str, old: &str, new: &str) -> String {
    let (a, b) = (
        comparable(diff_part(old_body)),
        comparable(diff_part(new_body)),
    );
    if a == b {
        return String::new();
    }
    similar::TextDiff::from_lines(&a, &b)
        .unified_diff()
        .context_radius(3)
        .header(old, new)
        .to_string()
}

/// A diff as `git range-diff` compares it: without the `index` lines of
/// text files (blob ids, which differ whenever the base does) and with its
/// hunk headers' line numbers left out (`@@ fn_name`), so that what is
/// shown is what changed in the patch, not where it applied. A binary
/// file's `index` line is its content: kept, its ids cut to 7 digits (a
/// posting may write them in full or abbreviated).
fn comparable(diff: &str) -> String {
    let mut out = String::with_capacity(diff.len());
    let mut files = diff.split_inclusive('\n').peekable();
    while files.peek().is_some() {
        let mut file = vec![files.next().expect("peeked")];
        while let Some(l) = files.next_if(|l| !l.starts_with("diff ")) {
            file.push(l);
        }
        let binary = file
            .iter()
            .any(|l| l.starts_with("Binary files ") || l.starts_with("GIT binary patch"));
        for line in file {
            out.push_str(&comparable_line(line, binary));
        }
    }
    out
}

/// One line of [`comparable`].
fn comparable_line(line: &str, binary: bool) -> std::borrow::Cow<'_, str> {
    if let Some(rest) = line.strip_prefix("index ") {
        if !binary {
            return "".into();
        }
        let ids = rest.split([' ', '\n']).next().unwrap_or("");
        let cut = |id: &str| id.get(..7).unwrap_or(id).to_string();
        return match ids.split_once("..") {
            Some((a, b)) => format!("index {}..{}\n", cut(a), cut(b)).into(),
            None => line.into(),
        };
    }
    match line.strip_prefix("@@ ").and_then(|r| r.split_once(" @@")) {
        Some((_, context)) => format!("@@{context}").into(),
        None => line.into(),
    }
}

/// A patch mail's diff: from its first `diff ` line to its signature.
fn diff_part(body: &str) -> &str {
    let start = if body.starts_with("diff ") {
        Some(0)
    } else {
        body.find("\ndiff ").map(|i| i + 1)
    };
    let Some(start) = start else {
        return "";
    };
    let rest = &body[start..];
    match rest.find("\n-- \n") {
        Some(end) => &rest[..end + 1],
        None => rest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key<'a>(base: &'a str, index: u32, id: &'a str) -> PatchKey<'a> {
        PatchKey {
            base,
            index: Some(index),
            patch_id: Some(id),
        }
    }

    #[test]
    fn subjects_then_patch_ids_then_places() {
        let prev = [
            key("a: one", 1, "1"),
            key("a: two", 2, "2"),
            key("a: three", 3, "3"),
            key("a: four", 4, "4"),
        ];
        let cur = [
            key("a: one", 1, "1"),     // unchanged
            key("a: two", 2, "22"),    // changed
            key("a: 3rd", 3, "3"),     // renamed, same diff
            key("a: new one", 4, "5"), // takes four's place: changed
            key("a: five", 5, "6"),    // new
        ];
        let (out, dropped) = correspond(&prev, &cur);
        assert_eq!(
            out,
            [
                (Some(0), Change::Unchanged),
                (Some(1), Change::Changed),
                (Some(2), Change::Unchanged),
                (Some(3), Change::Changed),
                (None, Change::New),
            ]
        );
        assert!(dropped.is_empty());
        let (_, dropped) = correspond(&prev, &cur[..2]);
        assert_eq!(dropped, [2, 3]);
    }

    #[test]
    fn interdiff_shows_what_changed_between_two_diffs() {
        // Blob ids and hunk line numbers differ with the base; they are
        // not what changed in the patch (as in `git range-diff`).
        let patch = |line: &str, index: &str, at: u32| {
            format!(
                "Fix.\n---\n f | 2 +-\n\ndiff --git a/f b/f\nindex {index} 100644\n--- a/f\n\
                 +++ b/f\n@@ -{at} +{at} @@ fn f()\n-a\n+{line}\n-- \n2.43.0\n"
            )
        };
        let out = interdiff(
            &patch("b", "1a..2b", 1),
            &patch("c", "3c..4d", 9),
            "v1",
            "v2",
        );
        assert_eq!(
            out,
            "--- v1\n+++ v2\n@@ -3,4 +3,4 @@\n +++ b/f\n @@ fn f()\n -a\n-+b\n++c\n"
        );
        let rebased = interdiff(
            &patch("b", "1a..2b", 1),
            &patch("b", "5e..6f", 7),
            "v1",
            "v2",
        );
        assert_eq!(rebased, "");
        // A binary file's blob ids are its content; full or cut, the same.
        let binary = |index: &str| {
            format!(
                "x\n---\ndiff --git a/b b/b\nindex {index} 100644\nBinary files a/b and b/b differ\n"
            )
        };
        let full = "1234567aaaa..89abcdefbbbb";
        assert_eq!(
            interdiff(&binary(full), &binary("1234567..89abcde"), "v1", "v2"),
            ""
        );
        assert_ne!(
            interdiff(&binary(full), &binary("1234567..0000000"), "v1", "v2"),
            ""
        );
    }
}
