//! Writing: a batch of messages put in one transaction, rows only new
//! messages add held back and written as multi-row INSERTs.

use super::*;

/// What [`Writer::put`] did with a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PutOutcome {
    /// A message not seen before.
    New,
    /// A new copy (other bytes) of a message already stored.
    NewCopy,
    /// These exact bytes were already stored.
    Duplicate,
    /// A new message under a Message-ID that already names other content.
    ReusedId,
}

/// A message ready to be stored: computed by the import workers so the
/// writer only writes.
#[derive(Debug)]
pub struct Incoming {
    /// sha256 of the raw bytes.
    pub sha256: [u8; 32],
    /// The identity of the message across copies; see [`fingerprint`].
    pub fingerprint: [u8; 32],
    /// Size of the raw bytes.
    pub size: usize,
    /// The raw bytes, zstd-compressed.
    pub zraw: Vec<u8>,
    /// The parsed message.
    pub message: Message,
    /// Its place in a patch series.
    pub facts: crate::series::PatchFacts,
    /// The list it was imported into.
    pub list: ListName,
}

/// What [`Writer::put`] did, in full.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Put {
    /// New, new copy, duplicate or reused id.
    pub outcome: PutOutcome,
    /// The message's store row.
    pub row: i64,
    /// The message's searchable content or lists changed: the index must
    /// learn of it.
    pub changed: bool,
    /// The copy just put is the message's canonical copy (its content is what
    /// the index should hold).
    pub canonical: bool,
}

/// A write transaction. Dropping it without [`Writer::commit`] rolls back.
pub struct Writer<'a> {
    store: &'a Store,
    done: bool,
    /// Lists already recorded in this transaction: one statement fewer a
    /// message (each is a round trip to a PostgreSQL store).
    lists: std::collections::HashSet<(String, Option<String>)>,
    /// Rows of this transaction not written yet.
    deferred: Deferred,
}

/// Rows that only new messages add (their raw copy, their references,
/// their list), written together before anything reads those tables
/// again and at the commit: a few multi-row statements a batch instead of
/// three or four a message, each a round trip to a PostgreSQL store.
/// A put that touches a message already stored writes them out first.
#[derive(Default)]
pub(super) struct Deferred {
    /// sha256, message row, size, compressed raw.
    raws: Vec<(Vec<u8>, i64, i64, Vec<u8>)>,
    /// Message-ID mentioned, message row.
    refs: Vec<(String, i64)>,
    /// Message row, list name.
    lists: Vec<(i64, String)>,
    /// Message row, patch-id, for each message with a diff.
    patch_ids: Vec<(i64, Option<String>)>,
    /// The sha256 of every raw in `raws`.
    shas: std::collections::HashSet<[u8; 32]>,
}

impl Drop for Writer<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.store.db.batch("ROLLBACK");
        }
    }
}

impl Writer<'_> {
    /// Stores one message; see the module docs for what counts as new.
    pub fn put(&mut self, m: &Incoming) -> Result<Put> {
        let s = self.store;
        let msg = &m.message;
        if self.deferred.shas.contains(&m.sha256) {
            self.flush()?;
        }
        // One round trip for both questions: is this raw stored (kind 0),
        // and what does its Message-ID name already (kind 1)?
        let found = s.query(
            "SELECT 0, r.message, (SELECT canonical_sha FROM messages WHERE id = r.message), NULL
             FROM raws r WHERE r.sha256 = ?1
             UNION ALL
             SELECT 1, id, canonical_sha, fingerprint FROM messages WHERE msgid = ?2",
            &[&&m.sha256[..], &msg.message_id],
        )?;
        let kind = |r: &Row| r.get::<i64>(0).map_err(s.err());
        let mut existing = None;
        let mut named = Vec::new();
        for r in &found {
            if kind(r)? == 0 {
                existing = Some(r);
            } else {
                named.push(r);
            }
        }
        if let Some(r) = existing {
            // A message stored before: its rows must all be written.
            self.flush()?;
            let row: i64 = r.get(1).map_err(s.err())?;
            let changed = self.link_list(row, &m.list, false)?;
            if changed {
                self.bump_index_seq(row)?;
            }
            return Ok(Put {
                outcome: PutOutcome::Duplicate,
                row,
                changed,
                canonical: r.blob(2).map_err(s.err())? == &m.sha256[..],
            });
        }
        // Every message under this Message-ID: the one with this content,
        // if stored, and whether the id already names other content.
        let mut same = None;
        for r in &named {
            if r.blob(3).map_err(s.err())? == &m.fingerprint[..] {
                same = Some(*r);
            }
        }
        let mut seq_set = false;
        let put = match same {
            Some(r) => {
                self.flush()?;
                let row: i64 = r.get(1).map_err(s.err())?;
                let becomes_canonical = m.sha256[..] < *r.blob(2).map_err(s.err())?;
                if becomes_canonical {
                    self.write_summary(Some(row), m)?;
                }
                Put {
                    outcome: PutOutcome::NewCopy,
                    row,
                    changed: becomes_canonical,
                    canonical: becomes_canonical,
                }
            }
            None => {
                let reused = !named.is_empty();
                let row = self.write_summary(None, m)?;
                seq_set = true;
                let outcome = if reused {
                    PutOutcome::ReusedId
                } else {
                    PutOutcome::New
                };
                Put {
                    outcome,
                    row,
                    changed: true,
                    canonical: true,
                }
            }
        };
        self.deferred
            .raws
            .push((m.sha256.to_vec(), put.row, m.size as i64, m.zraw.clone()));
        self.deferred.shas.insert(m.sha256);
        let new_row = matches!(put.outcome, PutOutcome::New | PutOutcome::ReusedId);
        let new_list = self.link_list(put.row, &m.list, new_row)?;
        let put = Put {
            changed: put.changed || new_list,
            ..put
        };
        if put.changed && !seq_set {
            self.bump_index_seq(put.row)?;
        }
        Ok(put)
    }

    /// Gives the row the next index sequence number: the index must (re)index it.
    /// The sequence is the maximum plus one, not a SQL sequence: with one
    /// writer at a time ([`Store::lock_importer`]), numbers become visible
    /// in order, so a follower that has seen `n` has seen everything below.
    fn bump_index_seq(&mut self, row: i64) -> Result<()> {
        self.store.execute(
            "UPDATE messages SET index_seq = (SELECT coalesce(max(index_seq), 0) + 1 FROM messages)
             WHERE id = ?1",
            &[&row],
        )?;
        Ok(())
    }

    /// Removes the `msg_refs` rows of the summary `id` is about to replace,
    /// by key: the table has no index by message (it was 4.3 MB of 95 on
    /// linux-kbuild), so the ids come from the row itself.
    fn forget_refs(&mut self, id: i64) -> Result<()> {
        let s = self.store;
        let ids = threads::ids_of_row(&s.db, id).map_err(s.err())?;
        for mid in ids.unwrap_or_default() {
            s.execute(
                "DELETE FROM msg_refs WHERE mid = ?1 AND message = ?2",
                &[&mid, &id],
            )?;
        }
        Ok(())
    }

    /// Drops the patch-id of a summary being replaced, written or deferred.
    fn forget_patch_id(&mut self, id: i64) -> Result<()> {
        self.deferred.patch_ids.retain(|(row, _)| *row != id);
        self.store
            .execute("DELETE FROM patch_ids WHERE message = ?1", &[&id])?;
        Ok(())
    }

    /// Inserts (id None) or replaces the summary row from this copy, and
    /// marks the message for threading.
    fn write_summary(&mut self, id: Option<i64>, m: &Incoming) -> Result<i64> {
        let s = self.store;
        let msg = &m.message;
        let f = &m.facts;
        let date = msg.date.map(|d| d.timestamp());
        let tz = msg.date.map(|d| d.offset().local_minus_utc());
        let irt = msg.in_reply_to.join("\n");
        let refs = msg.references.join("\n");
        let summary: [&dyn Param; 19] = [
            &date,
            &tz,
            &msg.from.name,
            &msg.from.email,
            &msg.subject,
            &irt,
            &refs,
            &&m.sha256[..],
            &f.subject.base,
            &f.subject.patch,
            &f.subject.reply,
            &f.subject.version,
            &f.subject.index,
            &f.subject.total,
            &f.has_diff,
            &f.change_id,
            &f.author.name,
            &f.author.email,
            &msg.synthetic_id,
        ];
        let id = match id {
            Some(id) => {
                self.forget_refs(id)?;
                self.forget_patch_id(id)?;
                let mut params = summary.to_vec();
                params.push(&id);
                s.execute(
                    "UPDATE messages SET date=?1, tz_offset=?2, from_name=?3, from_email=?4,
                        subject=?5, in_reply_to=?6, refs=?7, canonical_sha=?8, subject_base=?9,
                        is_patch=?10, is_reply=?11, patch_version=?12, patch_index=?13,
                        patch_total=?14, has_diff=?15, change_id=?16, author_name=?17,
                        author_email=?18, synthetic=?19, threaded=0
                     WHERE id = ?20",
                    &params,
                )?;
                id
            }
            None => {
                let fingerprint: &[u8] = &m.fingerprint;
                let mut params = summary.to_vec();
                params.push(&msg.message_id);
                params.push(&fingerprint);
                s.query_one::<i64>(
                    "INSERT INTO messages(date, tz_offset, from_name, from_email, subject,
                        in_reply_to, refs, canonical_sha, subject_base, is_patch, is_reply,
                        patch_version, patch_index, patch_total, has_diff, change_id,
                        author_name, author_email, synthetic, msgid, fingerprint, threaded,
                        index_seq)
                     VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                        ?17, ?18, ?19, ?20, ?21, 0,
                        (SELECT coalesce(max(index_seq), 0) + 1 FROM messages))
                     RETURNING id",
                    &params,
                )?
                .ok_or_else(|| s.missing("an insert returned no row id".into()))?
            }
        };
        if f.has_diff {
            self.deferred.patch_ids.push((id, f.patch_id.clone()));
        }
        // The ids this message mentions (its own and its reference chain):
        // how threading finds the messages a new one can touch.
        let chain = crate::thread::reference_chain(
            &msg.message_id,
            msg.in_reply_to.iter().map(String::as_str),
            msg.references.iter().map(String::as_str),
        );
        // (A replaced summary's old rows went in `forget_refs`, after the
        // deferred rows were written.)
        let refs = &mut self.deferred.refs;
        refs.push((msg.message_id.clone(), id));
        refs.extend(chain.into_iter().map(|mid| (mid.to_string(), id)));
        Ok(id)
    }

    /// Adds the message to the list; true if it was not in it yet. A
    /// `new_row` (inserted in this put) is in no list: its row is deferred.
    fn link_list(&mut self, id: i64, list: &ListName, new_row: bool) -> Result<bool> {
        let s = self.store;
        if self.lists.insert((list.name.clone(), list.list_id.clone())) {
            s.execute(
                "INSERT INTO lists(name, list_id) VALUES(?1, ?2)
                 ON CONFLICT(name) DO UPDATE SET list_id = coalesce(lists.list_id, excluded.list_id)",
                &[&list.name, &list.list_id],
            )?;
        }
        if new_row {
            self.deferred.lists.push((id, list.name.clone()));
            return Ok(true);
        }
        let inserted = s.execute(
            "INSERT OR IGNORE INTO message_lists(message, list) VALUES(?1, ?2)",
            &[&id, &list.name],
        )?;
        Ok(inserted > 0)
    }

    /// Writes the deferred rows: multi-row INSERTs of 64 rows, the rest
    /// in 32, 16, ... 1, so each table has at most seven statement shapes
    /// to prepare and cache.
    fn flush(&mut self) -> Result<()> {
        let d = std::mem::take(&mut self.deferred);
        let s = self.store;
        write_rows(
            s,
            "INSERT INTO raws(sha256, message, size, zraw)",
            &d.raws,
            |r| vec![&r.0, &r.1, &r.2, &r.3],
        )?;
        write_rows(
            s,
            "INSERT OR IGNORE INTO msg_refs(mid, message)",
            &d.refs,
            |r| vec![&r.0, &r.1],
        )?;
        write_rows(
            s,
            "INSERT OR IGNORE INTO message_lists(message, list)",
            &d.lists,
            |r| vec![&r.0, &r.1],
        )?;
        write_rows(
            s,
            "INSERT INTO patch_ids(message, patch_id)",
            &d.patch_ids,
            |r| vec![&r.0, &r.1],
        )
    }

    /// Makes everything put so far durable. A PostgreSQL store also tells
    /// the nodes following it ([`INDEX_CHANNEL`]) once the commit is
    /// visible.
    pub fn commit(mut self) -> Result<()> {
        self.flush()?;
        let s = self.store;
        s.db.notify(INDEX_CHANNEL).map_err(s.err())?;
        // A failed COMMIT leaves the transaction to the rollback in `drop`.
        s.db.batch("COMMIT").map_err(s.err())?;
        self.done = true;
        Ok(())
    }
}

/// Runs `insert` (`INSERT INTO t(columns)`) with VALUES for every row,
/// several rows a statement (see [`Writer::flush`]).
pub(super) fn write_rows<T>(
    s: &Store,
    insert: &str,
    rows: &[T],
    params: impl Fn(&T) -> Vec<&dyn Param>,
) -> Result<()> {
    const MOST: usize = 64;
    let mut rest = rows;
    while !rest.is_empty() {
        let n = if rest.len() >= MOST {
            MOST
        } else {
            1 << rest.len().ilog2()
        };
        let (part, tail) = rest.split_at(n);
        let values: Vec<Vec<&dyn Param>> = part.iter().map(&params).collect();
        let one = format!("({})", vec!["?"; values[0].len()].join(", "));
        let sql = format!("{insert} VALUES {}", vec![one; n].join(", "));
        let flat: Vec<&dyn Param> = values.into_iter().flatten().collect();
        s.execute(&sql, &flat)?;
        rest = tail;
    }
    Ok(())
}

impl Store {
    /// Starts a write transaction.
    pub fn writer(&self) -> Result<Writer<'_>> {
        self.db.begin().map_err(self.err())?;
        Ok(Writer {
            store: self,
            done: false,
            lists: std::collections::HashSet::new(),
            deferred: Deferred::default(),
        })
    }
}
