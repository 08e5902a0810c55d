//! Threads in the store: incremental (re)threading and reading a thread.
//!
//! New messages are stored with `threaded = 0`. [`Store::rethread`] finds every
//! message that shares an id (its own or a referenced one) with them,
//! transitively: the only messages whose tree can change. It rebuilds the
//! forest of exactly that set with [`thread::build`], which does not depend
//! on input order, so the result equals a full rebuild. A crash before it
//! commits leaves the flags at 0 and the next run finishes the job.

use std::collections::{HashMap, HashSet};

use super::Store;
use super::db::{Db, DbError, Param};
use crate::error::Result;
use crate::message::Person;
use crate::thread::{self, ThreadNode, ThreadView};

/// What [`Store::rethread`] did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct RethreadReport {
    /// Messages that were waiting to be threaded.
    pub pending: u64,
    /// Messages whose threads were rebuilt (the pending ones and their threads).
    pub rebuilt: u64,
    /// Threads among the rebuilt messages.
    pub threads: u64,
    /// Seconds spent.
    pub seconds: f64,
}

/// A line of a thread index.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ThreadSummary {
    /// The root's Message-ID.
    pub root: String,
    /// The root's subject.
    pub subject: String,
    /// Unix seconds of the latest message.
    pub last_date: Option<i64>,
    /// Messages in the thread.
    pub messages: u64,
    /// Senders, by name (address when nameless).
    pub participants: Vec<String>,
}

/// One message as threading needs it: the whole archive is loaded at once
/// after a first import, so ids stay as the store keeps them (one per line)
/// and the key inline.
struct ThreadRow {
    id: i64,
    msgid: Box<str>,
    date: Option<i64>,
    irt: Box<str>,
    refs: Box<str>,
    key: [u8; 32],
}

/// The thread root of the message or ghost with Message-ID `?1`: one
/// row, or none for an id the archive does not know (or a message not
/// threaded yet).
const ROOT_OF: &str =
    "SELECT thread_root FROM messages WHERE msgid = ?1 AND thread_root IS NOT NULL
     UNION ALL SELECT root FROM ghosts WHERE mid = ?1 LIMIT 1";

impl Store {
    /// Messages waiting to be threaded.
    pub fn pending_threading(&self) -> Result<u64> {
        Ok(self
            .query_one::<i64>("SELECT count(*) FROM messages WHERE threaded = 0", &[])?
            .unwrap_or(0) as u64)
    }

    /// Threads the messages that are waiting, and rebuilds every thread they
    /// touch. See the module docs.
    pub fn rethread(&self) -> Result<RethreadReport> {
        let started = std::time::Instant::now();
        let err = self.err();
        let tx = self.writer()?;
        let pending: Vec<i64> =
            self.query_column("SELECT id FROM messages WHERE threaded = 0", &[])?;
        let mut report = RethreadReport {
            pending: pending.len() as u64,
            ..RethreadReport::default()
        };
        if pending.is_empty() {
            return Ok(report);
        }
        let total: i64 = self
            .query_one("SELECT count(*) FROM messages", &[])?
            .unwrap_or(0);
        let load = |where_clause: &str, p: &[&dyn Param]| -> Result<Vec<ThreadRow>> {
            let sql = format!(
                "SELECT id, msgid, date, in_reply_to, refs, canonical_sha FROM messages {where_clause}"
            );
            let mut out = Vec::new();
            for r in self.query(&sql, p)? {
                let text = |i| r.get::<String>(i).map(String::into_boxed_str);
                let key = r.blob(5).map_err(&err)?;
                out.push(ThreadRow {
                    id: r.get(0).map_err(&err)?,
                    msgid: text(1).map_err(&err)?,
                    date: r.get(2).map_err(&err)?,
                    irt: text(3).map_err(&err)?,
                    refs: text(4).map_err(&err)?,
                    key: key.try_into().unwrap_or_else(|_| {
                        // Not a sha256 (never written so): still a stable key.
                        let mut k = [0u8; 32];
                        k.iter_mut().zip(key).for_each(|(k, b)| *k = *b);
                        k
                    }),
                });
            }
            Ok(out)
        };
        // Most of the archive is new (a first import): rebuild everything.
        let full = pending.len() as i64 * 2 >= total;
        let rows: Vec<ThreadRow> = if full {
            load("", &[])?
        } else {
            let members = closure(&self.db, &pending).map_err(&err)?;
            let mut rows = Vec::with_capacity(members.len());
            for id in members {
                rows.extend(load("WHERE id = ?1", &[&id])?);
            }
            rows
        };
        let nodes: Vec<thread::Node<'_>> = rows
            .iter()
            .map(|r| thread::Node {
                message_id: &r.msgid,
                in_reply_to: &r.irt,
                references: &r.refs,
                date: r.date,
                key: &r.key,
            })
            .collect();
        let forest = thread::build(&nodes);
        let roots = forest.roots();

        if full {
            self.execute("DELETE FROM ghosts", &[])?;
        } else {
            for id in &forest.ids {
                self.execute("DELETE FROM ghosts WHERE mid = ?1", &[id])?;
            }
        }
        // Parent of node i as (row id, ghost mid).
        let parent_of = |i: usize| -> (Option<i64>, Option<&str>) {
            match forest.parent[i] {
                Some(p) if forest.is_ghost(p) => (None, Some(forest.ids[p])),
                Some(p) => (Some(rows[p].id), None),
                None => (None, None),
            }
        };
        let mut seen_roots = HashSet::new();
        for (i, row) in rows.iter().enumerate() {
            let (pm, pg) = parent_of(i);
            let root = &forest.ids[roots[i]];
            seen_roots.insert(roots[i]);
            self.execute(
                "UPDATE messages SET thread_root = ?1, parent_message = ?2, parent_ghost = ?3,
                    threaded = 1 WHERE id = ?4",
                &[root, &pm, &pg, &row.id],
            )?;
        }
        report.threads = seen_roots.len() as u64;
        #[allow(clippy::needless_range_loop)] // g indexes ids, roots and parents alike
        for g in forest.messages..forest.ids.len() {
            if forest.is_kept(g) {
                let (pm, pg) = parent_of(g);
                self.execute(
                    "INSERT INTO ghosts(mid, root, parent_message, parent_ghost) VALUES(?1, ?2, ?3, ?4)",
                    &[&forest.ids[g], &forest.ids[roots[g]], &pm, &pg],
                )?;
            }
        }
        crate::failpoint("rethread");
        tx.commit()?;
        report.rebuilt = rows.len() as u64;
        report.seconds = started.elapsed().as_secs_f64();
        Ok(report)
    }

    /// The root of the thread that holds the message (or ghost) with this
    /// Message-ID.
    pub fn root_of(&self, message_id: &str) -> Result<Option<String>> {
        self.query_one(ROOT_OF, &[&message_id])
    }

    /// The first list (by name) a message was seen in, without loading its
    /// thread.
    pub fn first_list_of(&self, message_id: &str) -> Result<Option<String>> {
        // min() rather than ORDER BY ... LIMIT 1: SQLite re-prepares an
        // ordered statement on every binding.
        Ok(self
            .query_one::<Option<String>>(
                "SELECT min(l.list) FROM message_lists l
                 WHERE l.message IN (SELECT id FROM messages WHERE msgid = ?1)",
                &[&message_id],
            )?
            .flatten())
    }

    /// The thread that contains the message (or ghost) with this Message-ID.
    pub fn thread(&self, message_id: &str) -> Result<Option<ThreadView>> {
        match self.root_of(message_id)? {
            Some(root) => self.thread_by_root(&root).map(Some),
            None => Ok(None),
        }
    }

    /// The thread a Message-ID belongs to and its version: (root, number of
    /// messages, highest row). The version changes whenever a message joins
    /// the thread, so it keys caches of anything derived from the thread.
    pub fn thread_version(&self, message_id: &str) -> Result<Option<(String, i64, i64)>> {
        // One statement (every view of a cached page asks this: on
        // PostgreSQL each statement is a round trip), around `ROOT_OF`.
        let err = self.err();
        static SQL: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
            format!(
                "SELECT t.thread_root,
                    (SELECT COUNT(*) FROM messages WHERE thread_root = t.thread_root),
                    (SELECT MAX(id) FROM messages WHERE thread_root = t.thread_root)
                 FROM ({ROOT_OF}) t"
            )
        });
        let Some(r) = self.query_row(&SQL, &[&message_id])? else {
            return Ok(None);
        };
        let root: String = r.get(0).map_err(&err)?;
        let count: i64 = r.get(1).map_err(&err)?;
        let max: Option<i64> = r.get(2).map_err(&err)?;
        Ok(Some((root, count, max.unwrap_or(0))))
    }

    /// The root Message-ID of every thread, sorted.
    pub fn thread_roots(&self) -> Result<Vec<String>> {
        self.query_column(
            "SELECT DISTINCT thread_root FROM messages WHERE thread_root IS NOT NULL ORDER BY 1",
            &[],
        )
    }

    /// Threads newest first (by their latest message), optionally of one
    /// list, for an index page.
    pub fn recent_threads(
        &self,
        list: Option<&str>,
        offset: usize,
        limit: usize,
    ) -> Result<Vec<ThreadSummary>> {
        // Two steps: the page's threads by their aggregates alone, then
        // subject and participants for those only. In one statement SQLite
        // worked out the participants of every thread in the list before
        // sorting (25 ms a page on linux-kbuild; now a few).
        let err = self.err();
        let page = self.query(
            "SELECT m.thread_root, MAX(m.date), COUNT(*), MIN(m.subject)
             FROM messages m
             WHERE m.thread_root IS NOT NULL
               AND (CAST(?1 AS TEXT) IS NULL OR EXISTS (SELECT 1 FROM message_lists l
                                           WHERE l.message = m.id AND l.list = CAST(?1 AS TEXT)))
             GROUP BY m.thread_root ORDER BY MAX(m.date) DESC, m.thread_root LIMIT ?2 OFFSET ?3",
            &[&list, &(limit as i64), &(offset as i64)],
        )?;
        let mut out = Vec::with_capacity(page.len());
        for r in page {
            let root: String = r.get(0).map_err(&err)?;
            let last_date: Option<i64> = r.get(1).map_err(&err)?;
            let messages: i64 = r.get(2).map_err(&err)?;
            let any_subject: String = r.get(3).map_err(&err)?;
            let subject: String = self
                .query_one(
                    "SELECT subject FROM messages WHERE msgid = ?1 LIMIT 1",
                    &[&root],
                )?
                .unwrap_or(any_subject);
            // In order of first appearance (sorted here: an ORDER BY would
            // make SQLite re-prepare the statement on every binding).
            let mut who: Vec<(String, Option<i64>)> = self
                .query(
                    "SELECT CASE from_name WHEN '' THEN from_email ELSE from_name END AS who, MIN(date)
                     FROM messages WHERE thread_root = ?1 GROUP BY who",
                    &[&root],
                )?
                .iter()
                .map(|r| Ok((r.get(0).map_err(&err)?, r.get(1).map_err(&err)?)))
                .collect::<Result<_>>()?;
            who.sort_by(|a, b| {
                (a.1.unwrap_or(i64::MAX), &a.0).cmp(&(b.1.unwrap_or(i64::MAX), &b.0))
            });
            out.push(ThreadSummary {
                root,
                last_date,
                messages: messages as u64,
                subject,
                participants: who.into_iter().map(|(w, _)| w).collect(),
            });
        }
        Ok(out)
    }

    /// Every list name with its message count, largest first.
    pub fn lists(&self) -> Result<Vec<(String, u64)>> {
        let mut lists = self.lists_by_name()?;
        lists.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(lists)
    }

    /// The thread named by its root Message-ID.
    pub fn thread_by_root(&self, root: &str) -> Result<ThreadView> {
        let err = self.err();
        let mut nodes: Vec<ThreadNode> = Vec::new();
        let mut parents: Vec<(Option<i64>, Option<String>)> = Vec::new();
        let rows = self.query(
            "SELECT m.id, m.msgid, m.from_name, m.from_email, m.date, m.tz_offset, m.subject,
                m.is_patch, m.is_reply, m.patch_version, m.patch_index, m.patch_total, m.has_diff,
                m.parent_message, m.parent_ghost, m.author_name, m.author_email,
                m.in_reply_to, m.refs,
                (SELECT string_agg(list, ' ' ORDER BY list) FROM message_lists
                    WHERE message = m.id)
             FROM messages m WHERE m.thread_root = ?1",
            &[&root],
        )?;
        for r in rows {
            let node = (|| -> std::result::Result<_, super::DbError> {
                let date: Option<i64> = r.get(4)?;
                let tz: Option<i32> = r.get(5)?;
                let lists: Option<String> = r.get(19)?;
                let msgid: String = r.get(1)?;
                let irt: String = r.get(17)?;
                let refs: String = r.get(18)?;
                let chain =
                    thread::reference_chain(&msgid, thread::lines(&irt), thread::lines(&refs))
                        .into_iter()
                        .map(str::to_string)
                        .collect();
                Ok((
                    ThreadNode {
                        message_id: msgid,
                        chain,
                        row: Some(r.get(0)?),
                        parent: None,
                        ghost: false,
                        from: Person {
                            name: r.get(2)?,
                            email: r.get(3)?,
                        },
                        author: Person {
                            name: r.get(15)?,
                            email: r.get(16)?,
                        },
                        date: date.map(|d| (d, tz.unwrap_or(0))),
                        subject: r.get(6)?,
                        lists: lists
                            .map(|l| l.split(' ').map(str::to_string).collect())
                            .unwrap_or_default(),
                        is_patch: r.get(7)?,
                        is_reply: r.get(8)?,
                        version: r.get(9)?,
                        index: r.get(10)?,
                        total: r.get(11)?,
                        has_diff: r.get(12)?,
                    },
                    (r.get::<Option<i64>>(13)?, r.get::<Option<String>>(14)?),
                ))
            })();
            let (node, parent) = node.map_err(&err)?;
            nodes.push(node);
            parents.push(parent);
        }
        let ghosts = self.query(
            "SELECT mid, parent_message, parent_ghost FROM ghosts WHERE root = ?1",
            &[&root],
        )?;
        for g in ghosts {
            let mid: String = g.get(0).map_err(&err)?;
            let pm: Option<i64> = g.get(1).map_err(&err)?;
            let pg: Option<String> = g.get(2).map_err(&err)?;
            nodes.push(ThreadNode {
                message_id: mid,
                row: None,
                parent: None,
                ghost: true,
                from: Person::default(),
                author: Person::default(),
                date: None,
                subject: String::new(),
                lists: Vec::new(),
                is_patch: false,
                is_reply: false,
                version: 1,
                index: None,
                total: None,
                has_diff: false,
                chain: Vec::new(),
            });
            parents.push((pm, pg));
        }
        let by_row: HashMap<i64, usize> = nodes
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.row.map(|r| (r, i)))
            .collect();
        let by_ghost: HashMap<String, usize> = nodes
            .iter()
            .enumerate()
            .filter(|(_, n)| n.ghost)
            .map(|(i, n)| (n.message_id.clone(), i))
            .collect();
        for (i, (pm, pg)) in parents.into_iter().enumerate() {
            nodes[i].parent = match (pm, pg) {
                (Some(row), _) => by_row.get(&row).copied(),
                (None, Some(mid)) => by_ghost.get(&mid).copied(),
                (None, None) => None,
            };
        }
        let parent_links: Vec<Option<usize>> = nodes.iter().map(|n| n.parent).collect();
        let order = thread::tree_order(&parent_links, |i| {
            (
                nodes[i].date.map_or(i64::MAX, |d| d.0),
                nodes[i].message_id.clone(),
            )
        });
        Ok(ThreadView {
            root: root.to_string(),
            nodes,
            order,
        })
    }
}

/// The ids `msg_refs` holds for message `id` (its own and its reference
/// chain, as `put` wrote them), read from its row: the table is keyed by
/// id, not by message. `None` if there is no such message.
pub(super) fn ids_of_row(db: &Db, id: i64) -> std::result::Result<Option<Vec<String>>, DbError> {
    let Some(r) = db.query_row(
        "SELECT msgid, in_reply_to, refs FROM messages WHERE id = ?1",
        &[&id],
    )?
    else {
        return Ok(None);
    };
    let (msgid, irt, refs): (String, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
    let chain = thread::reference_chain(&msgid, thread::lines(&irt), thread::lines(&refs));
    Ok(Some(
        std::iter::once(msgid.as_str())
            .chain(chain)
            .map(str::to_string)
            .collect(),
    ))
}

/// Every message that shares an id with `start`, transitively.
fn closure(db: &Db, start: &[i64]) -> std::result::Result<Vec<i64>, DbError> {
    let mut seen_msgs: HashSet<i64> = start.iter().copied().collect();
    let mut seen_ids: HashSet<String> = HashSet::new();
    let mut todo: Vec<i64> = start.to_vec();
    while let Some(m) = todo.pop() {
        for id in ids_of_row(db, m)?.unwrap_or_default() {
            if !seen_ids.insert(id.clone()) {
                continue;
            }
            for r in db.query("SELECT message FROM msg_refs WHERE mid = ?1", &[&id])? {
                let other: i64 = r.get(0)?;
                if seen_msgs.insert(other) {
                    todo.push(other);
                }
            }
        }
    }
    let mut out: Vec<i64> = seen_msgs.into_iter().collect();
    out.sort_unstable();
    Ok(out)
}

impl Store {
    /// The body text of each message of a thread (empty for a message not
    /// in the archive), in the order of `view.nodes`, each parsed from its
    /// canonical copy.
    pub fn bodies(&self, view: &ThreadView) -> Result<Vec<String>> {
        let rows: Vec<i64> = view.nodes.iter().filter_map(|n| n.row).collect();
        // Unpacking and decoding are most of a long thread's cost and need
        // no connection: spread them over the cores.
        let path = self.path();
        let mut bodies = crate::par::map(&self.canonical_packed(&rows)?, |p| {
            p.unpack(path).map(|raw| crate::message::body_text(&raw))
        })
        .into_iter();
        let mut out = Vec::with_capacity(view.nodes.len());
        for n in &view.nodes {
            out.push(match n.row {
                Some(_) => bodies.next().transpose()?.unwrap_or_default(),
                None => String::new(),
            });
        }
        Ok(out)
    }
}
