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
}
