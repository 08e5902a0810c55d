//! whosaid: a mailing-list archiver that records who said what in review.
//!
//! Data flows one way, and each step is a module:
//!
//! ```text
//! mbox / Maildir ──▶ mbox::MboxReader ──▶ RawMessage (bytes, offset)
//!   ──▶ message::parse ──▶ Message + quote::segment, trailers, series facts
//!   ──▶ thread::build ──▶ store::Store (raw bytes: the ground truth)
//!                       + index::Index (tantivy: derived, rebuildable)
//!   ──▶ archive (search, who, a thread read by consensus::analyze)
//!   ──▶ cli (argv, terminal, exit codes) and web (HTTP, HTML)
//! ```
//!
//! Parsing, quote-splitting, threading and consensus are sans-IO: values
//! in, values and warnings out. `ARCHITECTURE.md` is the map.
//!
//! The whole flow through the library, as `whosaid import` and `whosaid
//! thread` run it: import a series and its review into an empty data
//! dir, then ask who stands where.
//!
//! ```
//! use whosaid::archive::{Archive, Reader};
//! use whosaid::stance::Stance;
//! use whosaid::import::{self, ImportConfig, Input};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let data = tempfile::tempdir()?;
//! let mbox = concat!(env!("CARGO_MANIFEST_DIR"), "/sample-mboxes/linux-kbuild-modpost-series.mbox");
//!
//! // Import: one importer at a time holds the data dir.
//! let _lock = import::lock_data_dir(data.path())?;
//! let mut archive = Archive::open_store_only(data.path())?;
//! let index = archive.index_for_writing()?;
//! let inputs = [Input::Mbox(mbox.into())];
//! let report = import::import(archive.store_mut(), &index, &inputs, &ImportConfig::default(), |_| {})?;
//! assert_eq!(report.stored, report.read);
//!
//! // Read: the thread holding the cover letter, with its positions.
//! let thread = archive
//!     .analysis("20240311093000.1022-1-ksato@example.jp")?
//!     .expect("the archive has the series");
//! let nadia = thread
//!     .consensus
//!     .positions
//!     .iter()
//!     .find(|p| p.person.email == "nadia.chen@example.com")
//!     .expect("Nadia reviewed it");
//! assert_eq!(nadia.stance, Stance::Support);
//! println!("{}: {}", nadia.person.display(), nadia.evidence().unwrap().evidence);
//! # Ok(())
//! # }
//! ```
#![warn(missing_docs)]
pub mod archive;
pub mod cli;
pub mod consensus;
pub mod error;
pub mod git;
pub mod gold;
pub mod import;
pub mod index;
pub mod links;
pub mod mailmap;
pub mod maintainers;
pub mod mbox;
pub mod message;
pub mod par;
pub mod query;
pub mod quote;
pub mod report;
pub mod series;
pub mod stance;
pub mod store;
pub mod thread;
pub mod trailers;
pub mod web;

/// Fault injection for the crash tests (tests/it/crash.rs): with
/// `WHOSAID_FAILPOINT=NAME:N` in the environment, the process kills itself
/// with SIGKILL (no destructor, no flush, no rollback) the N-th time it
/// passes the point `NAME`. Without the variable this is one relaxed atomic
/// load. The points: `put` (a message written into an open store
/// transaction), `store-commit` (a batch just committed, not yet indexed),
/// `index-commit` (the index's files written, its meta not yet switched),
/// `index-merge` (merges running after the index commit), `rethread`
/// (threading computed, not committed).
pub fn failpoint(name: &str) {
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicU64, Ordering};
    static SPEC: OnceLock<Option<(String, u64)>> = OnceLock::new();
    static HITS: AtomicU64 = AtomicU64::new(0);
    let spec = SPEC.get_or_init(|| {
        let v = std::env::var("WHOSAID_FAILPOINT").ok()?;
        let (point, n) = v.rsplit_once(':')?;
        Some((point.to_string(), n.parse().ok()?))
    });
    if let Some((point, n)) = spec
        && point == name
        && HITS.fetch_add(1, Ordering::Relaxed) + 1 == *n
    {
        // SAFETY: kill(2) on our own pid; nothing else to uphold.
        unsafe {
            libc::kill(libc::getpid(), libc::SIGKILL);
        }
    }
}
