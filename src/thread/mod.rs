//! Threading: reply trees from In-Reply-To and References, sans-IO.
//!
//! Strict JWZ-style threading without subject grouping (subject grouping fuses
//! unrelated `[PATCH] fix typo` threads: two stay two). The policy, one rule
//! per hard case, tested in `tests/it/thread.rs` and on real corpora by
//! `real_corpora_thread_soundly`:
//!
//! * **Parent**: the reference chain of a message is its References, cut
//!   after the In-Reply-To id when that id is among them, with the
//!   In-Reply-To id appended when it is not. Ids that are not plausible
//!   Message-IDs (no `@`, addresses, the message's own id) are dropped
//!   first; Gnus comments are skipped, their id kept. The parent is the last
//!   id of the chain.
//! * **Ghosts**: ids that are referenced but not archived become ghosts,
//!   kept only as a missing parent or where branches meet; earlier ids of a
//!   chain become the ghosts' ancestors (the first message to say so wins,
//!   by date, id and hash, so the result does not depend on import order).
//!   An arriving message replaces its ghost.
//! * **Reused ids**: a reused Message-ID belongs to its earliest message; a
//!   later message with that id and no parent of its own is shown as a
//!   child of the first.
//! * **Cycles**: self-references are dropped; links that would close a
//!   cycle are cut at its earliest message, the new root.
//! * **Thread names**: a thread is its root's Message-ID (a ghost's if the
//!   root is missing); imposters never become roots. Dates only order
//!   siblings, undated last.
//!
//! Everything is iterative and linear: reply chains of any depth cost no
//! stack, References with thousands of ids cost one pass.

use std::collections::HashMap;

use crate::message::ids::is_plausible;

mod view;
pub use self::view::{ThreadNode, ThreadView};

/// The input for one message. Its ids are borrowed as the store keeps them,
/// one per line, so threading a whole archive holds each id once (a
/// `Vec<String>` per message cost 3x the ids' own bytes at 16x linux-kbuild).
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// Its Message-ID.
    pub message_id: &'a str,
    /// In-Reply-To ids, one per line.
    pub in_reply_to: &'a str,
    /// References ids, one per line.
    pub references: &'a str,
    /// Date (unix seconds), if known: decides who owns a reused id and whose
    /// References describe a ghost's ancestry.
    pub date: Option<i64>,
    /// A tie-breaker that is stable across imports (the content hash).
    pub key: &'a [u8],
}

/// The ids of a list kept one per line.
pub fn lines(ids: &str) -> impl Iterator<Item = &str> {
    ids.split('\n').filter(|id| !id.is_empty())
}

/// The reference chain of a message: ancestors oldest first, parent last.
/// See the module docs for the rules.
pub fn reference_chain<'a>(
    own_id: &str,
    in_reply_to: impl IntoIterator<Item = &'a str>,
    references: impl IntoIterator<Item = &'a str>,
) -> Vec<&'a str> {
    let usable = |id: &&'a str| is_plausible(id) && *id != own_id;
    let mut chain: Vec<&'a str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for id in references.into_iter().filter(usable) {
        if seen.insert(id) {
            chain.push(id);
        }
    }
    if let Some(irt) = in_reply_to.into_iter().find(usable) {
        match chain.iter().position(|&id| id == irt) {
            // References that go on past the In-Reply-To id are reversed or
            // wrong; trust In-Reply-To and the ancestry before it.
            Some(pos) => chain.truncate(pos + 1),
            None => chain.push(irt),
        }
    }
    chain
}

/// The threads of a set of messages.
#[derive(Debug, Clone, Default)]
pub struct Forest<'a> {
    /// Message-ID of every node: first the messages (in input order), then
    /// ghosts. Borrowed from the nodes.
    pub ids: Vec<&'a str>,
    /// Parent of every node, as an index into `ids`.
    pub parent: Vec<Option<usize>>,
    /// Number of real messages (the first `messages` nodes).
    pub messages: usize,
    /// Which nodes are in the forest (ghosts can be pruned; see [`build`]).
    pub kept: Vec<bool>,
}

impl Forest<'_> {
    /// Whether node `i` is a ghost (referenced, not archived).
    pub fn is_ghost(&self, i: usize) -> bool {
        i >= self.messages
    }

    /// The root of every node (iterative, memoised).
    pub fn roots(&self) -> Vec<usize> {
        roots(&self.parent)
    }

    /// Whether node `i` is part of the forest: every message, and the ghosts
    /// that [`build`] kept.
    pub fn is_kept(&self, i: usize) -> bool {
        self.kept[i]
    }
}

/// The root of every node given parent links (which must be acyclic).
pub fn roots(parent: &[Option<usize>]) -> Vec<usize> {
    let n = parent.len();
    let mut root: Vec<usize> = vec![usize::MAX; n];
    let mut path = Vec::new();
    for start in 0..n {
        let mut cur = start;
        while root[cur] == usize::MAX {
            path.push(cur);
            match parent[cur] {
                Some(p) if path.len() <= n => cur = p,
                _ => {
                    root[cur] = cur;
                    break;
                }
            }
        }
        let r = root[cur];
        for i in path.drain(..) {
            root[i] = r;
        }
    }
    root
}

/// Depth-first order of a tree given parent links: each node with its depth,
/// children sorted by `key`. Iterative.
pub fn tree_order<K: Ord>(
    parent: &[Option<usize>],
    key: impl Fn(usize) -> K,
) -> Vec<(usize, usize)> {
    let n = parent.len();
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); n];
    let mut tops = Vec::new();
    for (i, p) in parent.iter().enumerate() {
        match p {
            Some(p) => children[*p].push(i),
            None => tops.push(i),
        }
    }
    for c in &mut children {
        c.sort_by_key(|&i| key(i));
    }
    tops.sort_by_key(|&i| key(i));
    let mut out = Vec::with_capacity(n);
    let mut stack: Vec<(usize, usize)> = tops.into_iter().rev().map(|t| (t, 0)).collect();
    while let Some((node, depth)) = stack.pop() {
        out.push((node, depth));
        for &c in children[node].iter().rev() {
            stack.push((c, depth + 1));
        }
    }
    out
}

/// Builds the reply forest of `nodes`. The result does not depend on the
/// order of `nodes` (only node numbering follows it).
pub fn build<'a>(nodes: &[Node<'a>]) -> Forest<'a> {
    let messages = nodes.len();
    // Process in a canonical order: date, then id, then content.
    let mut order: Vec<usize> = (0..messages).collect();
    order.sort_by(|&a, &b| {
        let (x, y) = (&nodes[a], &nodes[b]);
        (x.date.unwrap_or(i64::MAX), x.message_id, x.key).cmp(&(
            y.date.unwrap_or(i64::MAX),
            y.message_id,
            y.key,
        ))
    });
    let mut owner: HashMap<&str, usize> = HashMap::with_capacity(messages);
    for &i in &order {
        owner.entry(nodes[i].message_id).or_insert(i);
    }
    let mut ids: Vec<&'a str> = nodes.iter().map(|n| n.message_id).collect();
    let mut parent: Vec<Option<usize>> = vec![None; messages];
    let mut ghosts: HashMap<&str, usize> = HashMap::new();
    // The resolved chains of all messages in one buffer, in canonical order:
    // message `order[k]`'s chain is `chained[starts[k]..starts[k + 1]]`.
    let mut chained: Vec<usize> = Vec::with_capacity(messages * 2);
    let mut starts: Vec<usize> = Vec::with_capacity(messages + 1);
    for &i in &order {
        starts.push(chained.len());
        let node = &nodes[i];
        let chain = reference_chain(
            node.message_id,
            lines(node.in_reply_to),
            lines(node.references),
        );
        for id in chain {
            let j = match owner.get(id).or_else(|| ghosts.get(id)) {
                Some(&j) => j,
                None => {
                    let j = ids.len();
                    ids.push(id);
                    parent.push(None);
                    ghosts.insert(id, j);
                    j
                }
            };
            chained.push(j);
        }
    }
    starts.push(chained.len());
    let chain_of = |k: usize| &chained[starts[k]..starts[k + 1]];
    // A message's own parent comes from its own headers.
    for (k, &i) in order.iter().enumerate() {
        if let Some(&p) = chain_of(k).last() {
            parent[i] = Some(p);
        }
    }
    // Ghost ancestry: the first chain (in canonical order) that places a
    // ghost under another node decides.
    for k in 0..order.len() {
        for pair in chain_of(k).windows(2) {
            let (above, ghost) = (pair[0], pair[1]);
            if ghost >= messages && parent[ghost].is_none() && above != ghost {
                parent[ghost] = Some(above);
            }
        }
    }
    // Imposters without a parent of their own go under the owner of their id.
    for &i in &order {
        let first = owner[nodes[i].message_id];
        if first != i && parent[i].is_none() {
            parent[i] = Some(first);
        }
    }
    cut_cycles(&mut parent, &order);
    let kept = prune_ghosts(&mut parent, messages);
    Forest {
        ids,
        parent,
        messages,
        kept,
    }
}

/// Keeps a ghost only where it helps a reader: as the missing parent of a
/// message, or as the missing ancestor where two branches meet. Other ghosts
/// (a long References chain of absent ancestors) are spliced out and their
/// one branch moves up. Linear: ghosts are decided deepest first, each
/// passing its count of branches up, and each removed ghost is climbed by at
/// most one branch.
fn prune_ghosts(parent: &mut [Option<usize>], messages: usize) -> Vec<bool> {
    let n = parent.len();
    let mut kept = vec![true; n];
    if n == messages {
        return kept;
    }
    // Depth of every node (iteratively, memoised).
    let mut depth = vec![usize::MAX; n];
    let mut path = Vec::new();
    for start in 0..n {
        let mut cur = start;
        while depth[cur] == usize::MAX {
            path.push(cur);
            match parent[cur] {
                Some(p) => cur = p,
                None => {
                    depth[cur] = 0;
                    path.pop();
                    break;
                }
            }
        }
        while let Some(x) = path.pop() {
            depth[x] = depth[parent[x].expect("on a path up")] + 1;
        }
    }
    // Branches (kept nodes) below each ghost, not counting through kept ghosts.
    let mut branches = vec![0usize; n];
    let mut direct_parent_of_message = vec![false; n];
    for p in parent[..messages].iter().flatten() {
        if *p >= messages {
            direct_parent_of_message[*p] = true;
            branches[*p] += 1;
        }
    }
    let mut ghosts: Vec<usize> = (messages..n).collect();
    ghosts.sort_by_key(|&g| std::cmp::Reverse(depth[g]));
    for g in ghosts {
        let keep = direct_parent_of_message[g] || branches[g] >= 2;
        kept[g] = keep;
        if let Some(p) = parent[g].filter(|&p| p >= messages) {
            branches[p] += if keep { 1 } else { branches[g] };
        }
    }
    // Re-point every kept node past removed ghosts.
    for x in 0..n {
        if !kept[x] {
            continue;
        }
        let mut p = parent[x];
        while let Some(q) = p.filter(|&q| !kept[q]) {
            p = parent[q];
        }
        parent[x] = p;
    }
    for x in 0..n {
        if !kept[x] {
            parent[x] = None;
        }
    }
    kept
}

/// Removes parent links that close a cycle. Walking up from each node (in
/// canonical order), when the walk meets itself, the earliest node of the
/// cycle (in canonical order) loses its parent and so becomes the root, as
/// the oldest message should.
fn cut_cycles(parent: &mut [Option<usize>], order: &[usize]) {
    const WHITE: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let n = parent.len();
    // Ghosts rank after every message.
    let mut rank = vec![usize::MAX; n];
    for (r, &i) in order.iter().enumerate() {
        rank[i] = r;
    }
    let mut color = vec![WHITE; n];
    let mut path: Vec<usize> = Vec::new();
    for start in order.iter().copied().chain(0..n) {
        let mut cur = start;
        while color[cur] == WHITE {
            color[cur] = ON_PATH;
            path.push(cur);
            match parent[cur] {
                Some(p) if color[p] == ON_PATH => {
                    let from = path
                        .iter()
                        .rposition(|&x| x == p)
                        .expect("p is on the path");
                    let earliest = path[from..]
                        .iter()
                        .copied()
                        .min_by_key(|&x| (rank[x], x))
                        .expect("a cycle has nodes");
                    parent[earliest] = None;
                    break;
                }
                Some(p) => cur = p,
                None => break,
            }
        }
        for i in path.drain(..) {
            color[i] = DONE;
        }
    }
}
