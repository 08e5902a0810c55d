//! Threading: reply trees from In-Reply-To and References, sans-IO.
//!
//! Strict JWZ-style threading without subject grouping: a message's parent is
//! the last plausible id of its References (In-Reply-To appended when it is
//! not among them). Ids that are referenced but not archived become ghost
//! nodes, so their replies stay together. Cycles (from forged or broken
//! headers) are cut, never followed. Everything is iterative: reply chains
//! of any depth cost linear time and no stack.

use std::collections::HashMap;

use crate::message::ids::is_plausible;

/// The input for one message.
#[derive(Debug, Clone)]
pub struct Node<'a> {
    /// Its Message-ID.
    pub message_id: &'a str,
    /// In-Reply-To ids.
    pub in_reply_to: &'a [String],
    /// References ids.
    pub references: &'a [String],
}

/// The threads of a set of messages.
#[derive(Debug, Clone, Default)]
pub struct Forest {
    /// Message-ID of every node: first the messages (in input order), then ghosts.
    pub ids: Vec<String>,
    /// Parent of every node, as an index into `ids`.
    pub parent: Vec<Option<usize>>,
    /// Number of real messages (the first `messages` nodes).
    pub messages: usize,
}

impl Forest {
    /// Whether node `i` is a ghost (referenced, not archived).
    pub fn is_ghost(&self, i: usize) -> bool {
        i >= self.messages
    }

    /// The root of every node (iterative, memoised).
    pub fn roots(&self) -> Vec<usize> {
        let n = self.ids.len();
        let mut root: Vec<Option<usize>> = vec![None; n];
        let mut path = Vec::new();
        for start in 0..n {
            let mut cur = start;
            while root[cur].is_none() {
                path.push(cur);
                match self.parent[cur] {
                    Some(p) => cur = p,
                    None => {
                        root[cur] = Some(cur);
                        break;
                    }
                }
            }
            let r = root[cur].expect("set above");
            for i in path.drain(..) {
                root[i] = Some(r);
            }
        }
        root.into_iter()
            .map(|r| r.expect("every node has a root"))
            .collect()
    }

    /// Number of threads that hold at least one real message.
    pub fn thread_count(&self) -> usize {
        let roots = self.roots();
        let mut seen = vec![false; self.ids.len()];
        let mut count = 0;
        for &r in &roots[..self.messages] {
            if !seen[r] {
                seen[r] = true;
                count += 1;
            }
        }
        count
    }
}

/// Builds the reply forest of `nodes`.
pub fn build(nodes: &[Node<'_>]) -> Forest {
    let mut index: HashMap<&str, usize> = HashMap::with_capacity(nodes.len());
    let mut ids: Vec<String> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        // A reused Message-ID: the first message keeps the id for replies.
        index.entry(node.message_id).or_insert(i);
        ids.push(node.message_id.to_string());
    }
    let messages = nodes.len();
    let mut parent: Vec<Option<usize>> = vec![None; messages];
    let intern = |id: &str, ids: &mut Vec<String>, parent: &mut Vec<Option<usize>>| -> usize {
        if let Some(&i) = index.get(id) {
            return i;
        }
        let i = ids.len();
        ids.push(id.to_string());
        parent.push(None);
        i
    };
    let mut ghost_index: HashMap<String, usize> = HashMap::new();
    for (i, node) in nodes.iter().enumerate() {
        let mut chain: Vec<&str> = node
            .references
            .iter()
            .map(String::as_str)
            .filter(|r| is_plausible(r) && *r != node.message_id)
            .collect();
        if let Some(irt) = node
            .in_reply_to
            .iter()
            .map(String::as_str)
            .find(|r| is_plausible(r) && *r != node.message_id)
            && chain.last() != Some(&irt)
        {
            chain.retain(|r| *r != irt);
            chain.push(irt);
        }
        let mut prev: Option<usize> = None;
        for id in chain {
            let j = match ghost_index.get(id) {
                Some(&j) => j,
                None => {
                    let j = intern(id, &mut ids, &mut parent);
                    if j >= messages {
                        ghost_index.insert(id.to_string(), j);
                    }
                    j
                }
            };
            // References chain: earlier ids are ancestors of later ones; only
            // fill in parents nobody set (the message's own headers win).
            if let Some(p) = prev
                && parent[j].is_none()
                && p != j
                && j >= messages
            {
                parent[j] = Some(p);
            }
            prev = Some(j);
        }
        if let Some(p) = prev.filter(|&p| p != i) {
            parent[i] = Some(p);
        }
    }
    cut_cycles(&mut parent);
    Forest {
        ids,
        parent,
        messages,
    }
}

/// Removes parent links that close a cycle: walking up from each node, a node
/// seen twice on the same walk loses its parent.
fn cut_cycles(parent: &mut [Option<usize>]) {
    const WHITE: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut color = vec![WHITE; parent.len()];
    let mut path = Vec::new();
    for start in 0..parent.len() {
        let mut cur = start;
        while color[cur] == WHITE {
            color[cur] = ON_PATH;
            path.push(cur);
            match parent[cur] {
                Some(p) if color[p] == ON_PATH => {
                    parent[cur] = None; // cut the cycle here
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

#[cfg(test)]
mod tests {
    use super::*;

    fn forest(spec: &[(&str, &[&str])]) -> Forest {
        let refs: Vec<(String, Vec<String>)> = spec
            .iter()
            .map(|(id, r)| (id.to_string(), r.iter().map(|s| s.to_string()).collect()))
            .collect();
        let nodes: Vec<Node<'_>> = refs
            .iter()
            .map(|(id, r)| Node {
                message_id: id,
                in_reply_to: &[],
                references: r,
            })
            .collect();
        build(&nodes)
    }

    #[test]
    fn ghosts_cycles_and_deep_chains() {
        // Two replies to a missing parent stay one thread.
        assert_eq!(
            forest(&[("b@x", &["a@x"]), ("c@x", &["a@x"])]).thread_count(),
            1
        );
        // A References cycle is cut, not followed.
        let f = forest(&[("a@x", &["b@x"]), ("b@x", &["a@x"])]);
        assert_eq!(f.thread_count(), 1);
        // Self reference and bogus ids fuse nothing.
        assert_eq!(
            forest(&[("a@x", &["a@x"]), ("b@x", &["yes"]), ("c@x", &["yes"])]).thread_count(),
            3
        );
        // 100,000 deep.
        let ids: Vec<String> = (0..100_000).map(|i| format!("{i}@x")).collect();
        let refs: Vec<Vec<String>> = (0..100_000)
            .map(|i| {
                if i == 0 {
                    vec![]
                } else {
                    vec![ids[i - 1].clone()]
                }
            })
            .collect();
        let nodes: Vec<Node<'_>> = (0..100_000)
            .map(|i| Node {
                message_id: &ids[i],
                in_reply_to: &[],
                references: &refs[i],
            })
            .collect();
        assert_eq!(build(&nodes).thread_count(), 1);
    }
}
