//! Patch series in the store: the versions of a series and their patches.
//!
//! A series version is what one sender posted under one revision number: a
//! cover letter (`0/N`, or a "naked" cover without a diff whose replies are
//! the patches) and its patches. Versions of one series are linked when they
//! share a thread (a v2 sent in reply to v1, a partial re-roll in reply to a
//! v1 patch), a b4 `change-id`, or the sender and the cover letter's subject.

use std::collections::{BTreeMap, BTreeSet};

use super::{Store, ThreadView};
use crate::error::Result;
use crate::message::{self, Person};

/// A series and all its known versions.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Series {
    /// The series' subject (the newest cover letter's, without tags).
    pub subject: String,
    /// Who posted it.
    pub sender: Person,
    /// b4's change-id, if any version states one.
    pub change_id: Option<String>,
    /// Versions, oldest first.
    pub versions: Vec<SeriesVersion>,
}

/// One posted revision.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeriesVersion {
    /// Revision number (1 when the subject has none).
    pub version: u32,
    /// The cover letter, if there is one.
    pub cover: Option<SeriesPatch>,
    /// Patches, by counter.
    pub patches: Vec<SeriesPatch>,
    /// The thread it was posted in (root Message-ID).
    pub thread_root: String,
    /// Fewer patches than the counters say: a partial re-roll or lost mail.
    pub partial: bool,
    /// What the cover letter (or the patch notes) says changed.
    pub changes: Vec<String>,
}

/// One message of a series.
#[derive(Debug, Clone, serde::Serialize)]
pub struct SeriesPatch {
    /// Message-ID.
    pub message_id: String,
    /// Subject as sent.
    pub subject: String,
    /// Counter `n` (0 for a cover letter), if any.
    pub index: Option<u32>,
    /// Counter `m`, if any.
    pub total: Option<u32>,
    /// Patch author (in-body `From:`, else sender).
    pub author: Person,
    /// Unix seconds, if known.
    pub date: Option<i64>,
}

/// The series messages of one thread, by (sender, version).
fn versions_in(view: &ThreadView, sender: &str) -> BTreeMap<u32, SeriesVersion> {
    let mut out: BTreeMap<u32, SeriesVersion> = BTreeMap::new();
    let is_series_msg = |i: usize| {
        let n = &view.nodes[i];
        n.posts_patch() && n.from.email == sender
    };
    for &(i, _) in &view.order {
        if !is_series_msg(i) {
            continue;
        }
        let n = &view.nodes[i];
        let entry = out.entry(n.version).or_insert_with(|| SeriesVersion {
            version: n.version,
            cover: None,
            patches: Vec::new(),
            thread_root: view.root.clone(),
            partial: false,
            changes: Vec::new(),
        });
        let item = SeriesPatch {
            message_id: n.message_id.clone(),
            subject: n.subject.clone(),
            index: n.index,
            total: n.total,
            author: n.author.clone(),
            date: n.date.map(|d| d.0),
        };
        // A naked cover letter: no counter, no diff, and patches of the same
        // version answer it.
        let answered_by_patches = view.nodes.iter().enumerate().any(|(j, c)| {
            c.parent == Some(i) && is_series_msg(j) && c.version == n.version && c.has_diff
        });
        let is_cover =
            n.index == Some(0) || (!n.has_diff && n.index.is_none() && answered_by_patches);
        if is_cover && entry.cover.is_none() {
            entry.cover = Some(item);
        } else if !entry
            .patches
            .iter()
            .any(|p| p.message_id == item.message_id)
        {
            entry.patches.push(item);
        }
    }
    out
}

impl Store {
    /// The series that contains the message with this Message-ID (a cover
    /// letter, a patch, or a reply to either), with every known version.
    /// None when the message is unknown or not part of a series.
    pub fn series(&self, message_id: &str) -> Result<Option<Series>> {
        let Some(view) = self.thread(message_id)? else {
            return Ok(None);
        };
        // From the message up to the nearest patch or cover letter.
        let mut cur = view
            .nodes
            .iter()
            .position(|n| n.message_id == message_id && !n.ghost);
        let start = loop {
            match cur {
                Some(i) if view.nodes[i].posts_patch() => break Some(i),
                Some(i) => cur = view.nodes[i].parent,
                None => break None,
            }
        };
        let Some(start) = start else { return Ok(None) };
        let sender = view.nodes[start].from.clone();

        let mut versions: BTreeMap<u32, SeriesVersion> = BTreeMap::new();
        let mut seen_threads: BTreeSet<String> = BTreeSet::new();
        let mut todo: Vec<String> = vec![view.root.clone()];
        let mut change_ids: BTreeSet<String> = BTreeSet::new();
        // Follow links between threads, a bounded number of hops.
        while let Some(root) = todo.pop() {
            if !seen_threads.insert(root.clone()) || seen_threads.len() > 64 {
                continue;
            }
            let view = self.thread_by_root(&root)?;
            for (v, found) in versions_in(&view, &sender.email) {
                let entry = versions.entry(v).or_insert_with(|| SeriesVersion {
                    patches: Vec::new(),
                    ..found.clone()
                });
                if entry.cover.is_none() {
                    entry.cover = found.cover.clone();
                }
                for p in found.patches {
                    if !entry.patches.iter().any(|q| q.message_id == p.message_id) {
                        entry.patches.push(p);
                    }
                }
            }
            let ids: Vec<String> = versions
                .values()
                .flat_map(|v| v.cover.iter().chain(&v.patches))
                .map(|p| p.message_id.clone())
                .collect();
            for id in &ids {
                let cid: Option<String> = self
                    .query_one::<Option<String>>(
                        "SELECT change_id FROM messages WHERE msgid = ?1 AND change_id IS NOT NULL",
                        &[id],
                    )
                    .ok()
                    .flatten()
                    .flatten();
                change_ids.extend(cid);
            }
            let mut more: BTreeSet<String> = BTreeSet::new();
            for cid in &change_ids {
                more.extend(self.query_column::<String>(
                    "SELECT DISTINCT thread_root FROM messages WHERE change_id = ?1",
                    &[cid],
                )?);
            }
            // Cover letters (and single patches) by subject, when no change-id says more.
            let cover_subjects: Vec<String> = versions
                .values()
                .filter_map(|v| {
                    v.cover.as_ref().or(if v.patches.len() == 1 {
                        v.patches.first()
                    } else {
                        None
                    })
                })
                .map(|p| crate::series::parse_subject(&p.subject).base)
                .collect();
            for base in cover_subjects {
                more.extend(self.query_column::<String>(
                    "SELECT DISTINCT thread_root FROM messages
                     WHERE is_patch != 0 AND is_reply = 0 AND from_email = ?1 AND subject_base = ?2",
                    &[&sender.email, &base],
                )?);
            }
            todo.extend(more.into_iter().filter(|r| !seen_threads.contains(r)));
        }

        let mut versions: Vec<SeriesVersion> = versions.into_values().collect();
        for v in &mut versions {
            v.patches
                .sort_by_key(|p| (p.index.unwrap_or(0), p.date, p.message_id.clone()));
            let expected = v
                .cover
                .as_ref()
                .and_then(|c| c.total)
                .or_else(|| v.patches.iter().find_map(|p| p.total));
            v.partial = expected.is_some_and(|t| (v.patches.len() as u32) < t);
            let notes_from = v.cover.as_ref().or(v.patches.first());
            if let Some(p) = notes_from
                && let Some(raw) = self.raw_by_message_id(&p.message_id)?.into_iter().next()
                && let message::ParseOutcome::Message(m, _) = message::parse(&raw)
            {
                v.changes = crate::series::changes(&m.body);
            }
        }
        // The newest cover letter names the series; a partial re-roll has none.
        let subject = versions
            .iter()
            .rev()
            .find_map(|v| v.cover.as_ref())
            .or_else(|| versions.iter().rev().find_map(|v| v.patches.first()))
            .map(|p| crate::series::parse_subject(&p.subject).base)
            .unwrap_or_default();
        Ok(Some(Series {
            subject,
            sender,
            change_id: change_ids.into_iter().next(),
            versions,
        }))
    }
}
