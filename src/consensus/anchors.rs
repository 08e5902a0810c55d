//! Pass 2, anchors and scope: which patch or cover letter each message
//! answers, and which patches a statement covers ("for the series", "for
//! 2/5").

use super::MessageInput;
use crate::stance::Scope;

pub(super) fn is_cover(msgs: &[MessageInput], i: usize) -> bool {
    let m = &msgs[i];
    m.is_patch
        && !m.is_reply
        && (m.index == Some(0)
            || (!m.has_diff
                && m.index.is_none()
                && msgs
                    .iter()
                    .any(|c| c.parent == Some(i) && c.posts_patch() && c.has_diff)))
}

/// For each message, the nearest ancestor (or itself) that is a patch or
/// cover letter.
pub(super) fn anchors(msgs: &[MessageInput]) -> Vec<Option<usize>> {
    // Each message's answer is its parent's unless it is an anchor itself:
    // walk up only as far as a message already answered, and answer the
    // whole walk (walking to the top from each message was quadratic: 30 s
    // for a reply chain 100,000 deep). A walk longer than the thread is a
    // cycle, which has no anchor.
    let is_anchor = |c: usize| msgs[c].posts_patch();
    let mut memo: Vec<Option<Option<usize>>> = vec![None; msgs.len()];
    let mut walk = Vec::new();
    for i in 0..msgs.len() {
        let mut cur = Some(i);
        let found = loop {
            let Some(c) = cur else { break None };
            if let Some(known) = memo[c] {
                break known;
            }
            if is_anchor(c) {
                memo[c] = Some(Some(c));
                break Some(c);
            }
            if walk.len() > msgs.len() {
                break None;
            }
            walk.push(c);
            cur = msgs[c].parent;
        };
        for c in walk.drain(..) {
            memo[c] = Some(found);
        }
    }
    memo.into_iter().map(Option::flatten).collect()
}

/// The patches of the series whose cover is `cover`.
pub(super) fn series_patches(msgs: &[MessageInput], cover: usize) -> Vec<usize> {
    let c = &msgs[cover];
    (0..msgs.len())
        .filter(|&j| {
            let m = &msgs[j];
            j != cover
                && m.parent == Some(cover)
                && m.is_patch
                && !m.is_reply
                && m.version == c.version
                && m.from.email == c.from.email
        })
        .collect()
}

/// Which patches a signal is about: (patch indices, scope name).
pub(super) fn targets(
    msgs: &[MessageInput],
    anchor: usize,
    prose: Option<&Scope>,
) -> (Vec<usize>, &'static str) {
    let cover = if is_cover(msgs, anchor) {
        Some(anchor)
    } else {
        msgs[anchor].parent.filter(|&p| is_cover(msgs, p))
    };
    match (prose, cover) {
        (Some(Scope::Series), Some(c)) => (series_patches(msgs, c), "series"),
        (Some(Scope::Patches(ns)), Some(c)) => {
            let picked: Vec<usize> = series_patches(msgs, c)
                .into_iter()
                .filter(|&p| msgs[p].index.is_some_and(|n| ns.contains(&n)))
                .collect();
            if picked.is_empty() {
                (vec![anchor], "patch")
            } else {
                (picked, "patch")
            }
        }
        (_, Some(c)) if c == anchor => (series_patches(msgs, c), "series"),
        // "For the series" on a series without a cover letter: every patch
        // of the same revision, count and sender.
        (Some(Scope::Series), None) if msgs[anchor].total.is_some_and(|t| t > 1) => {
            let a = &msgs[anchor];
            let members: Vec<usize> = (0..msgs.len())
                .filter(|&j| {
                    let m = &msgs[j];
                    m.is_patch
                        && !m.is_reply
                        && !m.ghost
                        && m.version == a.version
                        && m.total == a.total
                        && m.from.email == a.from.email
                })
                .collect();
            (members, "series")
        }
        _ => (vec![anchor], "patch"),
    }
}

pub(super) fn ids(msgs: &[MessageInput], patches: &[usize]) -> Vec<String> {
    patches
        .iter()
        .map(|&p| msgs[p].message_id.clone())
        .collect()
}
