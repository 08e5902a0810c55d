//! The archive as the command line and the web open it: the store, the
//! search index beside it, and the catch-up that finishes what an
//! interrupted import left (threading, indexing), and the operations both
//! front ends show: a thread with its positions ([`Reader::analysis`]),
//! search placed in threads ([`search`]), people ([`who`]). Neither `cli`
//! nor `web` opens a store or an index itself, or reads a thread with the
//! consensus engine: they open an [`Archive`] (the web keeps a pool of its
//! stores and a cache of threads behind the same [`Reader`]).

pub mod commits;
pub mod ledger;
mod reader;
pub mod search;
pub mod who;

pub use self::reader::{Analysis, Reader, Review, analyze, consensus_inputs};

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::import;
use crate::index::Index;
use crate::store::Store;

/// An open archive: its data dir, store and (once opened) search index.
pub struct Archive {
    data: PathBuf,
    store: Store,
    index: Option<Index>,
    review: Review,
    /// Further connections, for work that runs on several threads (the
    /// search's snippets); opened on first use.
    pool: crate::store::Pool,
}

/// What [`Archive::catch_up_index`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexCatchUp {
    /// The index holds everything the store does.
    Current,
    /// An import is running and holds the data dir: the index misses its
    /// newest `behind` changes until it commits them.
    ImportRunning {
        /// Store changes the index has not seen yet.
        behind: i64,
    },
}

impl Archive {
    /// Opens the store in `data` (SQLite there, or the PostgreSQL store its
    /// `store.conf` names) and threads what an interrupted import left
    /// unthreaded.
    pub fn open(data: &Path) -> Result<Archive> {
        let archive = Archive::open_store_only(data)?;
        archive.catch_up_threading()?;
        Ok(archive)
    }

    /// The store alone, as it is (for `fsck`, `import`, `serve`, which
    /// decide themselves what to catch up).
    pub fn open_store_only(data: &Path) -> Result<Archive> {
        Ok(Archive {
            data: data.to_path_buf(),
            store: Store::open(data)?,
            index: None,
            review: Review::default(),
            pool: crate::store::Pool::new(data, None),
        })
    }

    /// [`Archive::open`], and the search index opened for searching and
    /// brought up to the store when no import is running.
    pub fn open_searchable(data: &Path) -> Result<(Archive, IndexCatchUp)> {
        let mut archive = Archive::open(data)?;
        archive.index = Some(Index::open(data)?);
        let caught = archive.catch_up_index()?;
        Ok((archive, caught))
    }

    /// The store and, if it opens, the search index, with no catch-up:
    /// for a server, which never writes (the index may be missing or of
    /// another version until `reindex`; searches then say so).
    pub fn open_for_serving(data: &Path) -> Result<Archive> {
        let mut archive = Archive::open_store_only(data)?;
        archive.index = Index::open(data).ok();
        Ok(archive)
    }

    /// The search index opened for writing (import, reindex, a server's
    /// follower): an index of another schema version is emptied. Only the
    /// holder of the import lock may call this.
    pub fn index_for_writing(&self) -> Result<Index> {
        Index::open_for_writing(&self.data)
    }

    /// The same archive reading positions with `review`'s mailmap and
    /// MAINTAINERS.
    pub fn with_review(mut self, review: Review) -> Archive {
        self.review = review;
        self
    }

    /// The data dir.
    pub fn data(&self) -> &Path {
        &self.data
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The store, for an import.
    pub fn store_mut(&mut self) -> &mut Store {
        &mut self.store
    }

    /// The search index, if opened.
    pub fn index(&self) -> Option<&Index> {
        self.index.as_ref()
    }

    /// The store and the index, taken apart (the web keeps the store in a
    /// pool of its own).
    pub fn into_parts(self) -> (Store, Option<Index>) {
        (self.store, self.index)
    }

    /// Threads messages an interrupted import left unthreaded. A read
    /// replica cannot thread, and on a shared store an importer at work
    /// threads its own messages: both are left alone.
    pub fn catch_up_threading(&self) -> Result<()> {
        let store = &self.store;
        if store.is_replica() || store.pending_threading()? == 0 {
            return Ok(());
        }
        match store.lock_importer() {
            Ok(()) => {}
            Err(Error::StoreLocked(_)) => return Ok(()),
            Err(e) => return Err(e),
        }
        let done = store.rethread().map(drop);
        store.unlock_importer()?;
        done
    }

    /// Brings the index up to the store when an import was interrupted,
    /// unless an import is running (then it says how far behind it is).
    pub fn catch_up_index(&self) -> Result<IndexCatchUp> {
        match &self.index {
            Some(index) => self.catch_up(index),
            None => Ok(IndexCatchUp::Current),
        }
    }

    /// [`Archive::catch_up_index`] for an index opened apart (for writing).
    pub fn catch_up(&self, index: &Index) -> Result<IndexCatchUp> {
        let behind = self.store.max_index_seq()? - index.indexed_seq()?;
        if behind <= 0 {
            return Ok(IndexCatchUp::Current);
        }
        let Ok(_lock) = import::lock_data_dir(&self.data) else {
            return Ok(IndexCatchUp::ImportRunning { behind });
        };
        let mut writer = index.writer()?;
        let (_, reached) = import::sync_index(
            &self.store,
            &mut writer,
            index.indexed_seq()?,
            &Default::default(),
            usize::MAX,
        )?;
        writer.commit(reached)?;
        Ok(IndexCatchUp::Current)
    }
}

impl Reader for Archive {
    fn with_store<T>(&self, f: impl Fn(&Store) -> Result<T>) -> Result<T> {
        f(&self.store)
    }

    fn stores(&self) -> &crate::store::Pool {
        &self.pool
    }

    fn search_index(&self) -> Result<&Index> {
        self.index.as_ref().ok_or(Error::NoIndex)
    }

    fn context(&self) -> crate::consensus::Context<'_> {
        self.review.context()
    }
}
