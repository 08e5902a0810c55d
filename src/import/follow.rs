//! The search index kept in step with the store: after an import, on a
//! node following a shared store, and rebuilt from scratch.

use super::*;

/// Indexes the rows the store changed after sequence `since` (at most
/// about `limit` of them), except the rows in `skip` (already indexed with
/// their latest content). Reads each message's canonical copy from the
/// store and parses it on every core. Returns the number of rows indexed
/// and the sequence reached: commit the index with that, not with the
/// store's maximum, which a concurrent importer may have moved on.
pub fn sync_index(
    store: &Store,
    writer: &mut IndexWriter<'_>,
    since: i64,
    skip: &std::collections::HashSet<i64>,
    limit: usize,
) -> Result<(u64, i64)> {
    let mut seq = since;
    let mut count = 0;
    let mut seen = 0;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get());
    while seen < limit {
        let batch = store.changed_since(seq, 512.min(limit - seen))?;
        seen += batch.len();
        let Some(&(_, last)) = batch.last() else {
            break;
        };
        seq = last;
        let mut raws = Vec::with_capacity(batch.len());
        for (row, _) in batch.into_iter().filter(|(row, _)| !skip.contains(row)) {
            raws.push((row, store.canonical_raw(row)?, store.lists_of(row)?));
        }
        let chunk = raws.len().div_ceil(workers).max(1);
        let docs: Vec<Option<IndexDoc>> = std::thread::scope(|scope| {
            let handles: Vec<_> = raws
                .chunks(chunk)
                .map(|part| {
                    scope.spawn(move || {
                        part.iter()
                            .map(|(_, raw, _)| match message::parse(raw) {
                                ParseOutcome::Message(m, _) => Some(IndexDoc::from_message(&m)),
                                ParseOutcome::NotAMessage(_) => None,
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap_or_default())
                .collect()
        });
        for ((row, _, lists), doc) in raws.iter().zip(docs) {
            if let Some(doc) = doc {
                writer.upsert(*row, &doc, lists, true)?;
                count += 1;
            }
        }
    }
    Ok((count, seq))
}

/// How many changed rows a follower indexes per index commit by default: a
/// node killed while catching up keeps what it committed and resumes there.
pub const FOLLOW_CHUNK: usize = 5_000;

/// Brings a node's index up to the store it follows, committing every
/// `chunk` rows (see [`FOLLOW_CHUNK`]), and returns the rows indexed. Takes
/// the data dir's lock for each chunk only, so an importer on this node can
/// take it between chunks; if the lock is busy (an import is indexing
/// itself), does nothing.
/// Used by `whosaid serve` on a shared store; idempotent, so a node killed
/// at any point converges when it runs again.
pub fn follow(store: &Store, index: &Index, data_dir: &Path, chunk: usize) -> Result<u64> {
    let mut total = 0;
    loop {
        let since = index.indexed_seq()?;
        if since >= store.max_index_seq()? {
            return Ok(total);
        }
        let lock = match lock_data_dir(data_dir) {
            Ok(lock) => lock,
            Err(Error::Locked(_)) => return Ok(total),
            Err(e) => return Err(e),
        };
        let since = index.indexed_seq()?;
        let mut writer = index.writer()?;
        let (n, reached) = sync_index(
            store,
            &mut writer,
            since,
            &std::collections::HashSet::new(),
            chunk,
        )?;
        crate::failpoint("follow-commit");
        writer.commit(reached)?;
        drop(lock);
        total += n;
        // Lets an importer waiting for the lock in (lock_data_dir_waiting).
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Rebuilds the search index from the store (`whosaid reindex`).
pub fn reindex(store: &Store, index: &Index) -> Result<u64> {
    let mut writer = index.writer()?;
    writer.clear()?;
    let (count, reached) = sync_index(
        store,
        &mut writer,
        0,
        &std::collections::HashSet::new(),
        usize::MAX,
    )?;
    writer.commit(reached)?;
    Ok(count)
}

/// Returns the heap the index writer freed to the system before the
/// threading pass allocates its own: glibc keeps freed memory in its arenas,
/// and without this the two peaks added up (anonymous peak of a 16x-corpus
/// import 426 MiB).
pub(super) fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only releases free pages of glibc's own heap; it
    // has no preconditions and touches no memory the program holds.
    unsafe {
        libc::malloc_trim(0);
    }
}
