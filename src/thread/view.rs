//! A thread as the rest of whosaid reads it: each message's skeleton (its
//! place in the tree, sender, date, subject and patch counters, no body)
//! and the display order. The store reads these; the consensus engine, the
//! reports and the pages take them as they are.

use crate::message::Person;

/// One node of a thread: a message or a ghost.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ThreadNode {
    /// Message-ID.
    pub message_id: String,
    /// Store row, None for a ghost.
    #[serde(skip)]
    pub row: Option<i64>,
    /// Parent node (index into the view's nodes).
    pub parent: Option<usize>,
    /// Referenced but not in the archive.
    pub ghost: bool,
    /// Sender (empty for a ghost).
    pub from: Person,
    /// Patch author: the in-body `From:` of a patch, else the sender.
    pub author: Person,
    /// Unix seconds and the sender's zone offset in seconds.
    pub date: Option<(i64, i32)>,
    /// Subject.
    pub subject: String,
    /// Lists the message was seen in, sorted.
    pub lists: Vec<String>,
    /// Series facts.
    pub is_patch: bool,
    /// `Re:` and friends.
    pub is_reply: bool,
    /// Revision.
    pub version: u32,
    /// Counter `n` of `n/m`.
    pub index: Option<u32>,
    /// Counter `m` of `n/m`.
    pub total: Option<u32>,
    /// Carries a diff.
    pub has_diff: bool,
    /// The reference chain from its own headers (see
    /// [`super::reference_chain`]): why it sits where it sits.
    pub chain: Vec<String>,
}

/// A whole thread, in display order.
#[derive(Debug, Clone)]
pub struct ThreadView {
    /// The root's Message-ID: the thread's name.
    pub root: String,
    /// All nodes.
    pub nodes: Vec<ThreadNode>,
    /// Depth-first order (siblings by date), with depths.
    pub order: Vec<(usize, usize)>,
}

impl ThreadNode {
    /// Its date in unix seconds, if known.
    pub fn seconds(&self) -> Option<i64> {
        self.date.map(|(t, _)| t)
    }

    /// A patch or cover letter posted (not a reply, not a ghost).
    pub fn posts_patch(&self) -> bool {
        self.is_patch && !self.is_reply && !self.ghost
    }
}

impl ThreadView {
    /// The thread's subject: the root's, else the first message's.
    pub fn subject(&self) -> &str {
        self.order
            .iter()
            .map(|&(i, _)| &self.nodes[i])
            .find(|n| !n.ghost)
            .map_or("", |n| n.subject.as_str())
    }
}
