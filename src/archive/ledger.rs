//! The review ledger of a series across its versions: every tag and
//! objection pinned to the (patch, version) it was given on, then
//! followed forward.
//!
//! A patch's postings are chained through [`SeriesPatch::previous`] (same
//! subject, else same patch-id, else same place). A tag given on vK is
//! *carried* to each later posting while the patch is unchanged
//! (patch-id) and *stale* from the first posting that changed it. An
//! objection or change request on vK is *addressed* when the objector
//! approves a later posting or the author's changelog for a later version
//! names them, *withdrawn* when the objector concedes, else *open*.

use std::collections::HashMap;

use serde::Serialize;

use super::{Analysis, Reader};
use crate::consensus::{Credit, Signal};
use crate::error::Result;
use crate::message::Person;
use crate::series::Change;
use crate::stance::{Grade, Kind, Stance};
use crate::store::{Series, SeriesPatch};

/// A series' ledger.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Ledger {
    /// Each patch followed across versions, in the order of its newest
    /// posting.
    pub patches: Vec<PatchHistory>,
}

/// One patch across the versions that posted it.
#[derive(Debug, Clone, Serialize)]
pub struct PatchHistory {
    /// Its newest subject as sent.
    pub subject: String,
    /// Oldest first.
    pub postings: Vec<Posting>,
    /// A later version left it out (not a partial re-roll).
    pub dropped_in: Option<u32>,
    /// Tags given on any posting, oldest first, with their state at the
    /// newest posting.
    pub tags: Vec<TagEntry>,
    /// Objections and change requests, oldest first.
    pub objections: Vec<ObjectionEntry>,
}

/// One posting of a patch.
#[derive(Debug, Clone, Serialize)]
pub struct Posting {
    /// Revision.
    pub version: u32,
    /// Message-ID.
    pub message_id: String,
    /// What changed since the posting before (None for the first).
    pub change: Option<Change>,
}

/// A tag and where it stands.
#[derive(Debug, Clone, Serialize)]
pub struct TagEntry {
    /// `Reviewed-by`, ...
    pub name: String,
    /// Who gave it.
    pub person: Person,
    /// The version it was given on.
    pub given_on: u32,
    /// The message that gave it.
    pub source: String,
    /// The line or sentence.
    pub evidence: String,
    /// Given on a condition.
    pub conditional: bool,
    /// `holds` (given on the newest posting), `carried` (given earlier,
    /// the patch unchanged since) or `stale` (the patch changed after).
    pub state: &'static str,
    /// For a stale tag: the version whose posting changed the patch.
    pub changed_in: Option<u32>,
}

/// An objection or change request and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct ObjectionEntry {
    /// Who objected.
    pub person: Person,
    /// `objects` or `requests-changes`.
    pub grade: &'static str,
    /// The version it was raised on.
    pub given_on: u32,
    /// The message that raised it.
    pub source: String,
    /// The sentence.
    pub evidence: String,
    /// `open`, `addressed` or `withdrawn`.
    pub state: &'static str,
    /// What shows the state (the approval, the changelog line, the
    /// concession), with its message (or the cover letter of the
    /// version whose changelog says so).
    pub because: Option<(String, String)>,
}

/// The `series --json` document: the series' fields as before, and its
/// ledger.
#[derive(Serialize)]
pub struct SeriesDoc<'a> {
    /// The series.
    #[serde(flatten)]
    pub series: &'a Series,
    /// Its ledger.
    pub ledger: &'a Ledger,
}

/// Reads each version's thread and builds the ledger of `series`.
pub fn ledger(r: &impl Reader, series: &Series) -> Result<Ledger> {
    let mut threads: HashMap<String, std::sync::Arc<Analysis>> = HashMap::new();
    for v in &series.versions {
        if !threads.contains_key(&v.thread_root)
            && let Some(a) = r.analysis(&v.thread_root)?
        {
            threads.insert(v.thread_root.clone(), a);
        }
    }
    Ok(build(series, &threads))
}

/// The ledger of `series` from its versions' threads (by root).
pub fn build(series: &Series, threads: &HashMap<String, std::sync::Arc<Analysis>>) -> Ledger {
    let mut chains = chains(series);
    for chain in &mut chains {
        for posting in &chain.postings {
            let Some(a) = thread_of(series, threads, posting.version) else {
                continue;
            };
            let tags = tags_on(a, &posting.message_id);
            chain
                .tags
                .extend(tags.into_iter().map(|c| tag_entry(c, posting.version)));
            chain
                .objections
                .extend(objections_on(a, &posting.message_id, posting.version));
        }
        follow_tags(chain);
        follow_objections(chain, series, threads);
    }
    Ledger { patches: chains }
}

/// The thread version `v` of `series` was posted in, as read.
fn thread_of<'a>(
    series: &Series,
    threads: &'a HashMap<String, std::sync::Arc<Analysis>>,
    v: u32,
) -> Option<&'a Analysis> {
    let version = series.versions.iter().find(|x| x.version == v)?;
    threads.get(&version.thread_root).map(|a| a.as_ref())
}

/// Each patch's postings, chained by their counterparts.
fn chains(series: &Series) -> Vec<PatchHistory> {
    let mut out: Vec<PatchHistory> = Vec::new();
    let mut chain_of: HashMap<&str, usize> = HashMap::new();
    for v in &series.versions {
        for p in &v.patches {
            let posting = Posting {
                version: v.version,
                message_id: p.message_id.clone(),
                change: p.change,
            };
            let at = p.previous.as_deref().and_then(|m| chain_of.get(m).copied());
            let i = match at {
                Some(i) => {
                    out[i].postings.push(posting);
                    out[i].subject = p.subject.clone();
                    i
                }
                None => {
                    out.push(new_history(p, posting));
                    out.len() - 1
                }
            };
            chain_of.insert(&p.message_id, i);
        }
        for d in &v.dropped {
            if let Some(h) = out.iter_mut().find(|h| {
                h.dropped_in.is_none()
                    && h.postings
                        .last()
                        .is_some_and(|p| posted_subject(series, &p.message_id) == Some(d))
            }) {
                h.dropped_in = Some(v.version);
            }
        }
    }
    out
}

fn new_history(p: &SeriesPatch, posting: Posting) -> PatchHistory {
    PatchHistory {
        subject: p.subject.clone(),
        postings: vec![posting],
        dropped_in: None,
        tags: Vec::new(),
        objections: Vec::new(),
    }
}

/// The subject `message_id` was posted under in `series`.
fn posted_subject<'a>(series: &'a Series, message_id: &str) -> Option<&'a String> {
    series
        .versions
        .iter()
        .flat_map(|v| &v.patches)
        .find(|p| p.message_id == message_id)
        .map(|p| &p.subject)
}

/// The credited tags given on the patch `message_id` (or its cover
/// letter for the whole series) in its thread.
fn tags_on<'a>(a: &'a Analysis, message_id: &str) -> Vec<&'a Credit> {
    a.consensus
        .patches
        .iter()
        .filter(|p| p.message_id == message_id)
        .flat_map(|p| &p.trailers)
        .filter(|t| {
            let name = t.name.to_ascii_lowercase();
            t.verified && !name.starts_with("na") && name != "nacked-by"
        })
        .collect()
}

fn tag_entry(c: &Credit, version: u32) -> TagEntry {
    TagEntry {
        name: crate::report::canonical_trailer_name(&c.name),
        person: c.person.clone(),
        given_on: version,
        source: c.source.clone(),
        evidence: c.evidence.clone(),
        conditional: c.conditional,
        state: "holds",
        changed_in: None,
    }
}

/// Each tag's state at the newest posting: carried while unchanged,
/// stale from the first change.
fn follow_tags(h: &mut PatchHistory) {
    let newest = h.postings.last().map_or(0, |p| p.version);
    for t in &mut h.tags {
        let later = h.postings.iter().filter(|p| p.version > t.given_on);
        let changed = later
            .clone()
            .find(|p| p.change != Some(Change::Unchanged))
            .map(|p| p.version);
        (t.state, t.changed_in) = match changed {
            Some(v) => ("stale", Some(v)),
            None if t.given_on < newest => ("carried", None),
            None => ("holds", None),
        };
    }
}

/// The objections and change requests raised on the patch `message_id`
/// (or on its whole series) in its thread: each person's first.
fn objections_on(a: &Analysis, message_id: &str, version: u32) -> Vec<ObjectionEntry> {
    let mut out = Vec::new();
    for p in &a.consensus.positions {
        // Their plainest word against it: a NAK, then an objection, then a
        // request, then agreeing with someone else's.
        let rank = |s: &Signal| match s.kind {
            Kind::NackedBy | Kind::Nak => 0,
            Kind::Objection => 1,
            Kind::RequestsChanges => 2,
            _ => 3,
        };
        let against = p
            .signals
            .iter()
            .filter(|s| opposes(s) && about(s, message_id));
        let Some(s) = against.min_by_key(|s| rank(s)) else {
            continue;
        };
        out.push(ObjectionEntry {
            person: p.person.clone(),
            grade: if s.grade == Grade::Objects {
                "objects"
            } else {
                "requests-changes"
            },
            given_on: version,
            source: s.message_id.clone(),
            evidence: s.evidence.clone(),
            state: "open",
            because: None,
        });
    }
    out
}

fn opposes(s: &Signal) -> bool {
    s.stance == Some(Stance::Oppose) && matches!(s.grade, Grade::Objects | Grade::RequestsChanges)
}

/// The signal bears on the patch `message_id`.
fn about(s: &Signal, message_id: &str) -> bool {
    match &s.patch {
        Some(p) => p == message_id,
        None => s.covers.iter().any(|c| c == message_id),
    }
}

/// Each objection's state: withdrawn, addressed (a later approval by the
/// objector, or a later changelog naming them) or open.
fn follow_objections(
    h: &mut PatchHistory,
    series: &Series,
    threads: &HashMap<String, std::sync::Arc<Analysis>>,
) {
    let postings = h.postings.clone();
    let dropped_in = h.dropped_in;
    for o in &mut h.objections {
        o.because = None;
        o.state = "open";
        let later = later_signals(o, &postings, series, threads);
        let said = |what: &dyn Fn(&Signal) -> bool| {
            later
                .iter()
                .find(|(_, s)| what(s))
                .map(|(_, s)| (s.evidence.clone(), s.message_id.clone()))
        };
        // A concession or withdrawal, a later approval (a tag or "looks
        // good"), a changelog naming them, the patch dropped.
        let conceded = said(&|s| matches!(s.kind, Kind::Withdraws | Kind::Concedes));
        let approved = said(&|s| s.stance == Some(Stance::Support) && s.grade == Grade::Approves);
        if let Some(because) = conceded {
            (o.state, o.because) = ("withdrawn", Some(because));
        } else if let Some(because) = approved {
            (o.state, o.because) = ("addressed", Some(because));
        } else if let Some(because) = changelog_naming(o, series) {
            (o.state, o.because) = ("addressed", Some(because));
        } else if let Some(v) = dropped_in {
            let why = format!("the patch was dropped in v{v}");
            (o.state, o.because) = ("addressed", Some((why, cover_of(series, v))));
        }
    }
}

/// The objector's later signals on this patch, in every version's thread
/// from the one the objection was raised in.
fn later_signals<'a>(
    o: &ObjectionEntry,
    postings: &'a [Posting],
    series: &'a Series,
    threads: &'a HashMap<String, std::sync::Arc<Analysis>>,
) -> Vec<(&'a Posting, Signal)> {
    let mut out = Vec::new();
    for posting in postings.iter().filter(|p| p.version >= o.given_on) {
        let Some(a) = thread_of(series, threads, posting.version) else {
            continue;
        };
        let mine = a
            .consensus
            .positions
            .iter()
            .filter(|p| crate::consensus::same_person(&p.person, &o.person));
        for p in mine {
            for s in &p.signals {
                let after = posting.version > o.given_on
                    || s.message_id != o.source && s.date >= date_of(a, &o.source);
                if after && about(s, &posting.message_id) {
                    out.push((posting, s.clone()));
                }
            }
        }
    }
    out
}

fn date_of(a: &Analysis, message_id: &str) -> Option<i64> {
    a.view
        .nodes
        .iter()
        .find(|n| n.message_id == message_id)
        .and_then(|n| n.seconds())
}

/// The cover letter (or first patch) of version `v`.
fn cover_of(series: &Series, v: u32) -> String {
    series
        .versions
        .iter()
        .find(|x| x.version == v)
        .and_then(|x| x.cover.as_ref().or(x.patches.first()))
        .map(|p| p.message_id.clone())
        .unwrap_or_default()
}

/// A changelog line of a later version that names the objector.
fn changelog_naming(o: &ObjectionEntry, series: &Series) -> Option<(String, String)> {
    let names = names_of(&o.person);
    for v in series.versions.iter().filter(|v| v.version > o.given_on) {
        for line in &v.changes {
            let lower = line.to_lowercase();
            if names.iter().any(|n| has_word(&lower, n)) {
                return Some((line.trim().to_string(), cover_of(series, v.version)));
            }
        }
    }
    None
}

/// The words a changelog names a person by: each part of their name of
/// three letters or more, and their address before the `@`.
fn names_of(p: &Person) -> Vec<String> {
    let mut names: Vec<String> = p
        .name
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= 3)
        .map(str::to_lowercase)
        .collect();
    if let Some((local, _)) = p.email.split_once('@')
        && local.len() >= 3
    {
        names.push(local.to_lowercase());
    }
    names
}

/// `word` stands alone in `text`.
fn has_word(text: &str, word: &str) -> bool {
    text.match_indices(word).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + word.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}
