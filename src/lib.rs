//! whosaid: a mailing-list archiver that records who said what in review.
pub mod archive;
pub mod cli;
pub mod consensus;
pub mod error;
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
