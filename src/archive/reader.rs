//! What an operation needs of an open archive, and a thread read by the
//! consensus engine.

use std::sync::Arc;

use crate::consensus::{Consensus, Context, MessageInput};
use crate::error::Result;
use crate::index::Index;
use crate::store::{Pool, Store, ThreadView};

/// An open archive as the operations read it. The command line's
/// [`super::Archive`] holds one store connection; the web server's state
/// holds a pool of them and caches the threads it has read.
pub trait Reader {
    /// Runs `f` with a store connection.
    fn with_store<T>(&self, f: impl Fn(&Store) -> Result<T>) -> Result<T>;

    /// Connections to the store for work spread over threads (a search's
    /// snippets ask for quoted text from each).
    fn stores(&self) -> &Pool;

    /// The search index, or [`crate::error::Error::NoIndex`].
    fn search_index(&self) -> Result<&Index>;

    /// The mailmap and MAINTAINERS positions are read with.
    fn context(&self) -> Context<'_>;

    /// The thread holding `msgid` with its positions, None when the
    /// archive does not have it. The web keeps the threads it read.
    fn analysis(&self, msgid: &str) -> Result<Option<Arc<Analysis>>> {
        let Some(key) = self.with_store(|s| s.thread_version(msgid))? else {
            return Ok(None);
        };
        let read = self.with_store(|s| analyze(s, key.clone(), self.context()))?;
        Ok(Some(Arc::new(read)))
    }
}

/// A mailmap and a MAINTAINERS file, owned (see [`Context`]).
#[derive(Default)]
pub struct Review {
    /// Who is who.
    pub mailmap: Option<crate::mailmap::Mailmap>,
    /// Who maintains what.
    pub maintainers: Option<crate::maintainers::Maintainers>,
}

impl Review {
    /// Borrowed, as the consensus engine takes it.
    pub fn context(&self) -> Context<'_> {
        Context {
            mailmap: self.mailmap.as_ref(),
            maintainers: self.maintainers.as_ref(),
        }
    }
}

/// A thread read once: its tree, decoded bodies and positions. The web
/// shares one among every page of the thread until a message joins it.
pub struct Analysis {
    /// (root, messages, highest row): changes when the thread grows.
    pub key: (String, i64, i64),
    /// The tree.
    pub view: ThreadView,
    /// Decoded bodies, by node.
    pub bodies: Vec<String>,
    /// Each body cut by the one quote splitter, by node.
    pub segments: Vec<Vec<crate::quote::Segment>>,
    /// Positions and patches.
    pub consensus: Consensus,
}

/// Reads the thread `key` names (see [`Store::thread_version`]) with the
/// consensus engine.
pub fn analyze(store: &Store, key: (String, i64, i64), ctx: Context<'_>) -> Result<Analysis> {
    let mut view = store.thread_by_root(&key.0)?;
    let bodies = store.bodies(&view)?;
    // The nodes lend themselves to the engine and come back (a 100,000
    // message thread is not copied).
    let inputs: Vec<MessageInput> = std::mem::take(&mut view.nodes)
        .into_iter()
        .zip(bodies)
        .map(|(node, body)| MessageInput { node, body })
        .collect();
    // Cut once, for the consensus engine and for the pages.
    let segments = crate::par::map(&inputs, |m| crate::quote::segment(&m.body));
    let consensus = crate::consensus::analyze_segmented(&inputs, &segments, ctx);
    let (nodes, bodies) = inputs.into_iter().map(|m| (m.node, m.body)).unzip();
    view.nodes = nodes;
    Ok(Analysis {
        key,
        view,
        bodies,
        segments,
        consensus,
    })
}

/// The messages of a thread as the consensus engine reads them: each
/// node's skeleton and its body. The store knows nothing of the engine;
/// this is where the two meet.
pub fn consensus_inputs(store: &Store, view: &ThreadView) -> Result<Vec<MessageInput>> {
    let bodies = store.bodies(view)?;
    Ok(view
        .nodes
        .iter()
        .cloned()
        .zip(bodies)
        .map(|(node, body)| MessageInput { node, body })
        .collect())
}
