//! Writing: the bounded merge policy and the writer an import holds.

use super::*;

impl Index {
    /// The one writer. Only the importer holds it.
    pub fn writer(&self) -> Result<IndexWriter<'_>> {
        let options = tantivy::indexer::IndexWriterOptions::builder()
            .num_worker_threads(2)
            .memory_budget_per_thread(WRITER_HEAP / 2)
            .num_merge_threads(1)
            .build();
        let writer = self
            .index
            .writer_with_options(options)
            .map_err(index_err(&self.path))?;
        writer.set_merge_policy(Box::new(BoundedMerge {
            dir: self.path.clone(),
            budget: MERGE_BUDGET,
        }));
        Ok(IndexWriter {
            writer,
            index: self,
        })
    }
}

/// Merges segments only in groups whose files together stay under a byte
/// budget.
///
/// Why: tantivy reads the segments it merges through mmap, and every page
/// it touches counts in the importer's resident memory until the merge
/// ends. Its default policy merges by document-count levels with no upper
/// bound on the total, so near the end of a large import it merged the whole
/// index at once (linux-kbuild x4: 159 MiB of file pages on top of 212 MiB
/// of heap; x16 183 on 237). Bounding each merge, and running one merge at a
/// time, bounds that peak whatever the archive's size (x16: 55 MiB on 242).
/// The price is more segments in a large index (one per `budget / 2` to
/// `budget` bytes: 14 at x16 instead of 7), which costs a search a term
/// lookup per segment; search_bench at x16 measured no slowdown (p99 11.8 ms
/// against 12.7 with 15 segments and 16.0 in the last growth run).
#[derive(Debug)]
pub(super) struct BoundedMerge {
    dir: PathBuf,
    budget: u64,
}

/// The writer's indexing heap, shared by its two threads. Each thread
/// flushes a segment when its half is full (about 6,000 kbuild messages,
/// 12 MB on disk). 100 MB kept linux-kbuild to two segments and no merge
/// (0.5 s faster), but it is the largest part of a big import's peak: at
/// x16, 288 MiB (235 anonymous) against 231 (213) with 64 MB.
pub(super) const WRITER_HEAP: usize = 64_000_000;

/// The most segment bytes one merge reads. With one merge at a time this
/// bounds the index's share of the importer's resident memory.
pub(super) const MERGE_BUDGET: u64 = 64 << 20;

/// Merge no fewer segments than this at once.
pub(super) const MIN_MERGE: usize = 2;

impl BoundedMerge {
    pub(super) fn size(&self, meta: &tantivy::index::SegmentMeta) -> u64 {
        use tantivy::index::SegmentComponent as C;
        [
            C::Postings,
            C::Positions,
            C::Terms,
            C::Store,
            C::FastFields,
            C::FieldNorms,
        ]
        .into_iter()
        .filter_map(|c| std::fs::metadata(self.dir.join(meta.relative_path(c))).ok())
        .map(|m| m.len())
        .sum()
    }
}

impl tantivy::indexer::MergePolicy for BoundedMerge {
    fn compute_merge_candidates(
        &self,
        segments: &[tantivy::index::SegmentMeta],
    ) -> Vec<tantivy::indexer::MergeCandidate> {
        // Smallest first; a segment above half the budget is finished
        // unless deletes (re-imported messages) left a third of it dead.
        let mut sized: Vec<(u64, &tantivy::index::SegmentMeta)> =
            segments.iter().map(|m| (self.size(m), m)).collect();
        sized.sort_by_key(|&(size, _)| size);
        let mut out = Vec::new();
        let mut group = Vec::new();
        let mut total = 0;
        for (size, meta) in sized {
            if size > self.budget / 2 {
                if meta.num_deleted_docs() * 3 > meta.max_doc() && size <= self.budget {
                    out.push(tantivy::indexer::MergeCandidate(vec![meta.id()]));
                }
                continue;
            }
            if total + size > self.budget {
                if group.len() >= MIN_MERGE {
                    out.push(tantivy::indexer::MergeCandidate(std::mem::take(&mut group)));
                }
                group.clear();
                total = 0;
            }
            group.push(meta.id());
            total += size;
        }
        if group.len() >= MIN_MERGE {
            out.push(tantivy::indexer::MergeCandidate(group));
        }
        out
    }
}

/// The index writer, held by one importer at a time.
pub struct IndexWriter<'a> {
    writer: tantivy::IndexWriter,
    index: &'a Index,
}

impl IndexWriter<'_> {
    /// Adds (or replaces) the document of store row `row`. `replace` must be
    /// true when the row may already be in the index.
    pub fn upsert(
        &mut self,
        row: i64,
        doc: &IndexDoc,
        lists: &[String],
        replace: bool,
    ) -> Result<()> {
        let f = &self.index.fields;
        if replace {
            self.writer
                .delete_term(Term::from_field_u64(f.row, row as u64));
        }
        let mut d = TantivyDocument::default();
        d.add_u64(f.row, row as u64);
        d.add_text(f.msgid, &doc.message_id);
        d.add_text(f.subject, &doc.subject);
        d.add_text(f.from, format!("{} {}", doc.from_name, doc.from_email));
        d.add_text(f.from_name, &doc.from_name);
        d.add_text(f.from_email, &doc.from_email);
        d.add_text(f.from_addr, doc.from_email.to_lowercase());
        for a in &doc.to_addrs {
            d.add_text(f.to_addr, a);
        }
        for a in &doc.cc_addrs {
            d.add_text(f.cc_addr, a);
        }
        for t in &doc.to {
            d.add_text(f.to, t);
        }
        for c in &doc.cc {
            d.add_text(f.cc, c);
        }
        for l in lists {
            d.add_text(f.list, l.to_lowercase());
        }
        if let Some(date) = doc.date {
            d.add_date(f.date, tantivy::DateTime::from_timestamp_secs(date));
        }
        d.add_i64(f.tz, i64::from(doc.tz));
        d.add_text(f.original, &doc.original);
        d.add_text(f.quoted, &doc.quoted);
        d.add_text(f.extra, &doc.extra);
        for file in &doc.diff_files {
            d.add_text(f.dfn, file);
        }
        d.add_text(f.dfa, &doc.removed);
        d.add_text(f.dfb, &doc.added);
        d.add_text(f.dfhh, &doc.hunk_headers);
        for t in &doc.trailers {
            d.add_text(f.trailer, t);
        }
        self.writer
            .add_document(d)
            .map_err(index_err(&self.index.path))?;
        Ok(())
    }

    /// Removes everything (for `reindex`).
    pub fn clear(&mut self) -> Result<()> {
        self.writer
            .delete_all_documents()
            .map_err(index_err(&self.index.path))?;
        Ok(())
    }

    /// Makes everything added durable and records that the index now holds
    /// the store up to sequence `seq`.
    pub fn commit(mut self, seq: i64) -> Result<()> {
        let err = index_err(&self.index.path);
        let mut prepared = self.writer.prepare_commit().map_err(&err)?;
        prepared.set_payload(&seq.to_string());
        crate::failpoint("index-commit");
        prepared.commit().map_err(&err)?;
        crate::failpoint("index-merge");
        self.writer.wait_merging_threads().map_err(&err)?;
        Ok(())
    }
}

#[cfg(test)]
mod merge_tests {
    use tantivy::index::{SegmentComponent, SegmentId};
    use tantivy::indexer::MergePolicy;

    use super::BoundedMerge;

    /// Segments of the given sizes (MB, in a budget of 64) → the merges the
    /// policy asks for, as lists of sizes.
    fn check(sizes: &[u64], expect: &[&[u64]]) {
        let dir = tempfile::tempdir().unwrap();
        let index = tantivy::Index::create_in_ram(tantivy::schema::Schema::builder().build());
        let metas: Vec<_> = sizes
            .iter()
            .map(|&mb| {
                let meta = index.new_segment_meta(SegmentId::generate_random(), 100);
                let f = std::fs::File::create(
                    dir.path()
                        .join(meta.relative_path(SegmentComponent::Postings)),
                )
                .unwrap();
                f.set_len(mb << 20).unwrap();
                (meta, mb)
            })
            .collect();
        let policy = BoundedMerge {
            dir: dir.path().to_path_buf(),
            budget: 64 << 20,
        };
        let only: Vec<_> = metas.iter().map(|(m, _)| m.clone()).collect();
        let got: Vec<Vec<u64>> = policy
            .compute_merge_candidates(&only)
            .into_iter()
            .map(|c| {
                let mut g: Vec<u64> =
                    c.0.iter()
                        .map(|id| metas.iter().find(|(m, _)| m.id() == *id).unwrap().1)
                        .collect();
                g.sort();
                g
            })
            .collect();
        let want: Vec<Vec<u64>> = expect.iter().map(|g| g.to_vec()).collect();
        assert_eq!(got, want, "sizes {sizes:?}");
    }

    #[test]
    fn merges_stay_within_the_budget() {
        // One segment: nothing to merge with.
        check(&[20], &[]);
        // Flushed segments merge in groups up to the budget, smallest first
        // (the writer runs one merge at a time).
        check(&[20, 20, 20], &[&[20, 20, 20]]);
        check(&[20, 20, 20, 20, 20], &[&[20, 20, 20], &[20, 20]]);
        check(&[5, 30, 10, 20, 12], &[&[5, 10, 12, 20]]);
        // Segments over half the budget are finished and never read again,
        // however many pile up.
        check(&[40, 50, 60, 33], &[]);
        check(&[40, 50, 60, 10, 12], &[&[10, 12]]);
    }
}
