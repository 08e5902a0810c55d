//! People: who took which position across the threads a query matches
//! (`whosaid who`, `/api/who`), and one address's threads (`/who/ADDR`).

use std::collections::HashMap;

use super::search::thread_roots;
use super::{Analysis, Reader};
use crate::consensus::{Position, Role};
use crate::error::Result;
use crate::message::Person;
use crate::query::Parsed;
use crate::stance::{Kind, Stance};

/// One thing a person said that shows their position in a thread.
#[derive(Debug, Clone)]
pub struct Statement {
    /// The message that says it.
    pub message_id: String,
    /// The thread.
    pub thread_root: String,
    /// The thread's subject.
    pub subject: String,
    /// Their final stance in that thread.
    pub stance: Stance,
    /// The thread is about their own patch: they authored it, and their
    /// support of it is not a review.
    pub authored: bool,
    /// The signal's kind.
    pub kind: Kind,
    /// The sentence or trailer line.
    pub evidence: String,
    /// Unix seconds.
    pub date: Option<i64>,
}

/// A person across the threads a query matches.
#[derive(Debug, Clone)]
pub struct WhoPerson {
    /// Who.
    pub person: Person,
    /// Threads they took part in.
    pub threads: usize,
    /// Threads where they stand for, against, neither, and threads about
    /// their own patches (counted there only).
    pub counts: [usize; 4],
    /// Newest first.
    pub statements: Vec<Statement>,
}

/// `who`: the people of the threads matching a query.
#[derive(Debug, Clone, Default)]
pub struct Who {
    /// Threads read.
    pub threads: usize,
    /// Most active first.
    pub people: Vec<WhoPerson>,
}

/// Reads the newest `max_threads` threads matching `parsed` and gathers,
/// per person, their final positions and the statements that show them.
pub fn who(r: &impl Reader, parsed: &Parsed, max_threads: usize) -> Result<Who> {
    let roots = thread_roots(r, parsed, 2000, max_threads)?;
    let mut people: Vec<(WhoPerson, i64)> = Vec::new();
    let mut at: HashMap<String, usize> = HashMap::new();
    for root in &roots {
        let Some(a) = r.analysis(root)? else {
            continue;
        };
        for p in a.consensus.positions.iter().filter(|p| took_part(p)) {
            let i = *at.entry(p.person.email.clone()).or_insert_with(|| {
                people.push((WhoPerson::new(p.person.clone()), 0));
                people.len() - 1
            });
            let (e, latest) = &mut people[i];
            e.threads += 1;
            e.counts[statement_class(p)] += 1;
            if let Some(s) = p.evidence().or(p.signals.last()) {
                *latest = (*latest).max(s.date.unwrap_or(0));
                e.statements.push(Statement {
                    message_id: s.message_id.clone(),
                    thread_root: root.clone(),
                    subject: a.view.subject().to_string(),
                    stance: p.stance,
                    authored: p.role == Role::Author,
                    kind: s.kind,
                    evidence: s.evidence.clone(),
                    date: s.date,
                });
            }
        }
    }
    people.sort_by(|(a, la), (b, lb)| b.threads.cmp(&a.threads).then(lb.cmp(la)));
    let mut people: Vec<WhoPerson> = people.into_iter().map(|(e, _)| e).collect();
    for e in &mut people {
        e.statements.sort_by_key(|s| std::cmp::Reverse(s.date));
    }
    Ok(Who {
        threads: roots.len(),
        people,
    })
}

/// Whether a position counts as taking part: anything said beyond
/// posting, or being the author.
fn took_part(p: &Position) -> bool {
    p.role == Role::Author || p.signals.iter().any(|s| s.kind != Kind::Posted)
}

impl WhoPerson {
    fn new(person: Person) -> WhoPerson {
        WhoPerson {
            person,
            threads: 0,
            counts: [0; 4],
            statements: Vec::new(),
        }
    }
}

/// Which count a position goes to: support, oppose, neutral, or authored
/// (their own patch; their support of it is not a review).
pub fn statement_class(p: &Position) -> usize {
    match p.stance {
        _ if p.role == Role::Author => 3,
        Stance::Support => 0,
        Stance::Oppose => 1,
        Stance::Neutral => 2,
    }
}

/// Where `email` stands in one thread: the position of the person who
/// wrote from it (their address, or another of theirs the thread joined
/// it with), or who is named by it in a trailer.
pub fn position_of<'a>(a: &'a Analysis, email: &str) -> Option<&'a Position> {
    let c = &a.consensus;
    c.positions
        .iter()
        .find(|p| p.person.email.eq_ignore_ascii_case(email))
        .or_else(|| {
            let sender = a
                .view
                .nodes
                .iter()
                .find(|n| n.from.email.eq_ignore_ascii_case(email))?;
            c.positions
                .iter()
                .find(|p| crate::consensus::same_person(&p.person, &sender.from))
        })
}

/// One address's threads, a page of them at a time (`/who/ADDR`).
#[derive(Debug, Clone, Default)]
pub struct PersonThreads {
    /// Their name, as the first counted thread knows them.
    pub name: String,
    /// Threads they wrote in (or are named in), in all; 0 when no thread
    /// of the query has a position of theirs.
    pub threads: usize,
    /// Threads whose positions `counts` covers (the newest of them).
    pub counted: usize,
    /// Support, oppose, neutral, authored (see [`statement_class`]).
    pub counts: [usize; 4],
    /// The page's threads, newest first.
    pub shown: Vec<PersonStatement>,
}

/// Where one address stands in one thread, and the words that show it.
#[derive(Debug, Clone)]
pub struct PersonStatement {
    /// The thread.
    pub root: String,
    /// The list the thread is on (`all` when none).
    pub list: String,
    /// The thread's subject.
    pub subject: String,
    /// See [`statement_class`].
    pub class: usize,
    /// Their evidence.
    pub signal: crate::consensus::Signal,
}

/// The threads `email` wrote in among those matching `q` (any query, or
/// "" for all), else the threads that name it: counts over the newest
/// `counted` of them and the `shown.0..shown.0 + shown.1`th in full.
pub fn person(
    r: &impl Reader,
    email: &str,
    q: &str,
    counted: usize,
    shown: (usize, usize),
) -> Result<PersonThreads> {
    // Quote the address so it is one term of the query language; someone
    // known only from trailers is found by their address anywhere.
    let within = |base: String| -> Result<Parsed> {
        let text = if q.trim().is_empty() {
            base
        } else {
            format!("{base} AND ({q})")
        };
        Ok(crate::query::parse(&text, chrono::Utc::now().timestamp())?)
    };
    let mut roots = thread_roots(r, &within(format!("f:\"{email}\""))?, 100_000, usize::MAX)?;
    if roots.is_empty() {
        roots = thread_roots(r, &within(format!("\"{email}\""))?, 100_000, usize::MAX)?;
    }
    let mut out = PersonThreads::default();
    for root in roots.iter().take(counted) {
        let Some(a) = r.analysis(root)? else { continue };
        let Some(p) = position_of(&a, email) else {
            continue;
        };
        if out.name.is_empty() {
            out.name = p.person.display().to_string();
        }
        out.counts[statement_class(p)] += 1;
        out.counted += 1;
    }
    if out.counted == 0 {
        return Ok(out);
    }
    out.threads = roots.len();
    for root in roots.iter().skip(shown.0).take(shown.1) {
        if let Some(st) = statement_in(r, root, email)? {
            out.shown.push(st);
        }
    }
    Ok(out)
}

/// Where `email` stands in the thread `root`, if they took a position.
fn statement_in(r: &impl Reader, root: &str, email: &str) -> Result<Option<PersonStatement>> {
    let Some(a) = r.analysis(root)? else {
        return Ok(None);
    };
    let Some(p) = position_of(&a, email) else {
        return Ok(None);
    };
    let Some(sig) = p.evidence().or(p.signals.last()) else {
        return Ok(None);
    };
    let list = r.with_store(|s| s.first_list_of(root))?;
    Ok(Some(PersonStatement {
        root: root.to_string(),
        list: list.unwrap_or_else(|| "all".into()),
        subject: a.view.subject().to_string(),
        class: statement_class(p),
        signal: sig.clone(),
    }))
}
