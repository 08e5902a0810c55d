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
    let (a, b) = (diff_part(old_body), diff_part(new_body));
    if a == b {
        return String::new();
    }
    similar::TextDiff::from_lines(a, b)
        .unified_diff()
        .context_radius(3)
        .header(old, new)
        .to_string()
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
        let patch = |line: &str| {
            format!(
                "Fix.\n---\n f | 2 +-\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+{line}\n-- \n2.43.0\n"
            )
        };
        let out = interdiff(&patch("b"), &patch("c"), "v1", "v2");
        assert_eq!(
            out,
            "--- v1\n+++ v2\n@@ -3,4 +3,4 @@\n +++ b/f\n @@ -1 +1 @@\n -a\n-+b\n++c\n"
        );
        assert_eq!(interdiff(&patch("b"), &patch("b"), "v1", "v2"), "");
    }
}
