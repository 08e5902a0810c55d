//! Consensus: who stands where in a thread, with the evidence. Sans-IO.
//!
//! [`analyze`] takes the messages of one thread (tree links, senders, dates,
//! decoded bodies) and returns every participant's position, with the whole
//! history of their signals, and the trailers credited to each patch. Signals
//! come only from what a sender wrote ([`quote::segment`]'s original text):
//! trailers, checked against the sender as b4 does, and prose, read by
//! [`stance::analyze`]. Agreement takes the position of the person agreed
//! with at that moment. The latest stance-bearing signal stands; a change of
//! mind is marked. Nothing is stated without the sentence that shows it.

use std::collections::HashMap;

use serde::Serialize;

mod anchors;
mod conversation;
mod identity;
mod positions;
mod signals;
#[cfg(test)]
mod tests;

use anchors::{anchors, ids, is_cover, targets};
pub use identity::{is_bot, same_person};
use identity::{normalise_name, plausible_address};
use positions::{final_stance, per_patch};
pub use signals::original_text;
use signals::{Read, hold_if_conditional, lead_in, prose_signals};

use crate::message::Person;
use crate::quote::{self, Kind as SegKind};
use crate::stance::{self, Grade, Kind, Stance};

/// One message of the thread, as the engine needs it.
#[derive(Debug, Clone)]
pub struct MessageInput {
    /// Message-ID.
    pub message_id: String,
    /// Parent (index into the input).
    pub parent: Option<usize>,
    /// Not in the archive.
    pub ghost: bool,
    /// Sender.
    pub from: Person,
    /// Unix seconds.
    pub date: Option<i64>,
    /// Subject.
    pub subject: String,
    /// A `[PATCH]`-tagged message.
    pub is_patch: bool,
    /// A reply (`Re:`).
    pub is_reply: bool,
    /// Revision.
    pub version: u32,
    /// Counter `n`.
    pub index: Option<u32>,
    /// Counter `m`.
    pub total: Option<u32>,
    /// Carries a diff.
    pub has_diff: bool,
    /// Patch author (in-body `From:`, else sender).
    pub author: Person,
    /// Decoded body (empty for ghosts).
    pub body: String,
}

/// A role in the thread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Wrote or posted the patches.
    Author,
    /// Applied them.
    Maintainer,
    /// A robot (test robot, syzbot, CI).
    Bot,
    /// Gave a review signal.
    Reviewer,
    /// Took part otherwise.
    Participant,
}

impl Role {
    /// The name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Author => "author",
            Role::Maintainer => "maintainer",
            Role::Bot => "bot",
            Role::Reviewer => "reviewer",
            Role::Participant => "participant",
        }
    }
}

/// One signal, with its evidence.
#[derive(Debug, Clone, Serialize)]
pub struct Signal {
    /// What it says.
    pub kind: Kind,
    /// The message that says it.
    pub message_id: String,
    /// When.
    pub date: Option<i64>,
    /// The sentence (or trailer line) that says it.
    pub evidence: String,
    /// For agreement: the person agreed or disagreed with (address).
    pub target: Option<String>,
    /// The patch it is about, when it is about one patch.
    pub patch: Option<String>,
    /// "series" or "patch".
    pub scope: &'static str,
    /// "with that fixed, feel free to add my Reviewed-by".
    pub conditional: bool,
    /// The stance it took (None for neutral signals that change nothing).
    pub stance: Option<Stance>,
    /// For trailers: the trailer names the sender (b4's check). Unverified
    /// trailers are listed but never credited.
    pub verified: bool,
    /// The rule that produced it.
    pub rule: &'static str,
    /// How strongly it weighs: approves, requests changes, objects, neutral.
    pub grade: Grade,
    /// For conversation evidence: the reply that shows it (the author's
    /// concession or rebuttal).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shown_by: Option<String>,
    /// The patches it is about (Message-IDs): one, some or all of a series;
    /// empty for prose that answers no patch.
    #[serde(skip)]
    pub covers: Vec<String>,
}

/// Where someone stands on one patch.
#[derive(Debug, Clone, Serialize)]
pub struct PatchStance {
    /// The patch's Message-ID.
    pub patch: String,
    /// Their latest stance on it.
    pub stance: Stance,
    /// The signal that took it (kind as on screen).
    pub kind: Kind,
    /// The sentence or trailer line.
    pub evidence: String,
    /// The message that says it.
    pub message_id: String,
}

/// A participant's position.
#[derive(Debug, Clone, Serialize)]
pub struct Position {
    /// Who.
    pub person: Person,
    /// Other addresses of the same person seen in the thread.
    pub aliases: Vec<String>,
    /// Role.
    pub role: Role,
    /// Where they stand at the end.
    pub stance: Stance,
    /// How strongly: approves, requests changes, objects, neutral.
    pub grade: Grade,
    /// They stood elsewhere before.
    pub changed: bool,
    /// Every signal, oldest first.
    pub signals: Vec<Signal>,
    /// Per patch, the latest stance they took on it (patches in thread
    /// order; patches they said nothing about are absent).
    pub patches: Vec<PatchStance>,
}

impl Position {
    /// The signal that best shows where they stand: of the signals that took
    /// their final stance, the strongest kind (a NAK over an agreement, a
    /// trailer over a "looks good"), the latest of those.
    pub fn evidence(&self) -> Option<&Signal> {
        let rank = |k: Kind| match k {
            Kind::NackedBy | Kind::Nak | Kind::Applied => 0,
            Kind::AckedBy
            | Kind::ReviewedBy
            | Kind::TestedBy
            | Kind::Objection
            | Kind::Withdraws => 1,
            Kind::RequestsChanges | Kind::Approval => 2,
            Kind::Agree | Kind::Disagree => 3,
            _ => 4,
        };
        let taking: Vec<&Signal> = self
            .signals
            .iter()
            .filter(|s| s.verified && s.stance == Some(self.stance))
            .collect();
        // Only signals since the stance was last taken count.
        let since = self
            .signals
            .iter()
            .rposition(|s| s.verified && s.stance.is_some() && s.stance != Some(self.stance))
            .map_or(0, |i| i + 1);
        let recent: Vec<&Signal> = self.signals[since..]
            .iter()
            .filter(|s| taking.iter().any(|t| std::ptr::eq(*t, *s)))
            .collect();
        // An unconditional signal shows it better than a conditional one.
        let weight = |s: &Signal| rank(s.kind) * 2 + usize::from(s.conditional);
        let best = recent.iter().map(|s| weight(s)).min()?;
        recent
            .into_iter()
            .rev()
            .find(|s| weight(s) == best)
            .or_else(|| self.signals.last())
    }
}

/// A trailer credited to a patch.
#[derive(Debug, Clone, Serialize)]
pub struct Credit {
    /// `Acked-by`, `Reviewed-by`, ...
    pub name: String,
    /// Who gives it.
    pub person: Person,
    /// The message it came from.
    pub source: String,
    /// Given for the whole series or this patch.
    pub scope: &'static str,
    /// Given on a condition.
    pub conditional: bool,
    /// The trailer names its sender.
    pub verified: bool,
    /// The sentence or line.
    pub evidence: String,
}

/// A patch (or cover letter) and the trailers it collected.
#[derive(Debug, Clone, Serialize)]
pub struct PatchCredits {
    /// Message-ID.
    pub message_id: String,
    /// Subject.
    pub subject: String,
    /// Revision.
    pub version: u32,
    /// Counter `n` (0 for a cover letter).
    pub index: Option<u32>,
    /// Counter `m`.
    pub total: Option<u32>,
    /// A cover letter.
    pub cover: bool,
    /// Patch author.
    pub author: Person,
    /// Trailers given in replies, oldest first.
    pub trailers: Vec<Credit>,
}

/// What [`analyze`] found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Consensus {
    /// Every participant.
    pub positions: Vec<Position>,
    /// Every patch and cover letter.
    pub patches: Vec<PatchCredits>,
    /// Subsystems the thread is about: subject prefixes (`mm/hmm`) and,
    /// with a MAINTAINERS file, the sections covering the files it changes.
    pub subsystems: Vec<String>,
}

/// What the engine may know beyond the thread.
#[derive(Debug, Clone, Copy, Default)]
pub struct Context<'a> {
    /// One person, many addresses.
    pub mailmap: Option<&'a crate::mailmap::Mailmap>,
    /// Subsystems and their maintainers.
    pub maintainers: Option<&'a crate::maintainers::Maintainers>,
}

/// The subsystem prefixes of a subject: "kbuild: modpost: speed up" gives
/// `kbuild` and `modpost`.
pub fn subject_prefixes(subject: &str) -> Vec<String> {
    let base = crate::series::parse_subject(subject).base;
    let mut out = Vec::new();
    let mut rest = base.as_str();
    while let Some((head, tail)) = rest.split_once(": ") {
        let head = head.trim();
        if head.is_empty() || head.contains(' ') || head.len() > 40 {
            break;
        }
        out.push(head.to_string());
        rest = tail;
    }
    out
}

impl Consensus {
    /// A one-line summary: "2 acks, 1 review, 1 NAK open".
    pub fn summary(&self) -> String {
        let count = |k: Kind| {
            self.positions
                .iter()
                .flat_map(|p| &p.signals)
                .filter(|s| s.kind == k && s.verified && !s.conditional)
                .count()
        };
        let conditional = self
            .positions
            .iter()
            .flat_map(|p| &p.signals)
            .filter(|s| s.conditional)
            .count();
        let opposed = self
            .positions
            .iter()
            .filter(|p| p.stance == Stance::Oppose)
            .count();
        let mut parts = Vec::new();
        for (k, one, many) in [
            (Kind::AckedBy, "ack", "acks"),
            (Kind::ReviewedBy, "review", "reviews"),
            (Kind::TestedBy, "test", "tests"),
        ] {
            match count(k) {
                0 => {}
                1 => parts.push(format!("1 {one}")),
                n => parts.push(format!("{n} {many}")),
            }
        }
        if conditional > 0 {
            parts.push(format!("{conditional} conditional"));
        }
        if opposed > 0 {
            parts.push(format!(
                "{opposed} open objection{}",
                if opposed == 1 { "" } else { "s" }
            ));
        }
        if self
            .positions
            .iter()
            .any(|p| p.signals.iter().any(|s| s.kind == Kind::Applied))
        {
            parts.push("applied".into());
        }
        if parts.is_empty() {
            "no review signals".into()
        } else {
            parts.join(", ")
        }
    }
}

/// Reads one thread with no mailmap or MAINTAINERS. See the module docs.
pub fn analyze(msgs: &[MessageInput]) -> Consensus {
    analyze_with(msgs, Context::default())
}

/// Reads one thread. See the module docs.
pub fn analyze_with(msgs: &[MessageInput], ctx: Context<'_>) -> Consensus {
    let segments = crate::par::map(msgs, |m| quote::segment(&m.body));
    analyze_segmented(msgs, &segments, ctx)
}

/// [`analyze_with`] for a caller that has already cut every body into
/// segments with [`quote::segment`] (`segments[i]` for `msgs[i]`), as a
/// thread page does to show them.
pub fn analyze_segmented(
    msgs: &[MessageInput],
    segments: &[Vec<quote::Segment>],
    ctx: Context<'_>,
) -> Consensus {
    let normalised = normalise(msgs, ctx);
    let msgs: &[MessageInput] = &normalised;
    let resolve = |p: Person| ctx.mailmap.map_or_else(|| p.clone(), |map| map.resolve(&p));
    let mut order: Vec<usize> = (0..msgs.len()).filter(|&i| !msgs[i].ghost).collect();
    order.sort_by_key(|&i| (msgs[i].date.unwrap_or(i64::MAX), i));

    // People by address, in order of appearance.
    let mut people: Vec<Position> = Vec::new();
    let mut by_email: HashMap<String, usize> = HashMap::new();
    let person_index =
        |people: &mut Vec<Position>, by_email: &mut HashMap<String, usize>, p: &Person| -> usize {
            let key = if p.email.is_empty() {
                format!("name:{}", normalise_name(&p.name))
            } else {
                p.email.to_lowercase()
            };
            if let Some(&i) = by_email.get(&key) {
                // First seen as a bare address, later with a name: show the name.
                let shown = &mut people[i].person;
                if (shown.name.is_empty() || shown.name == shown.email) && !p.name.is_empty() {
                    shown.name = p.name.clone();
                }
                return i;
            }
            // Another address of someone already here: the same full name (at
            // least two words) in the same thread. One-word names never merge.
            let name = normalise_name(&p.name);
            if name.split_whitespace().count() >= 2
                && let Some(i) = people
                    .iter()
                    .position(|q| normalise_name(&q.person.name) == name)
            {
                if !p.email.is_empty()
                    && people[i].person.email != p.email
                    && !people[i].aliases.contains(&p.email)
                {
                    people[i].aliases.push(p.email.clone());
                }
                by_email.insert(key, i);
                return i;
            }
            *by_email.entry(key).or_insert_with(|| {
                people.push(Position {
                    person: p.clone(),
                    aliases: Vec::new(),
                    role: Role::Participant,
                    stance: Stance::Neutral,
                    grade: Grade::Neutral,
                    changed: false,
                    signals: Vec::new(),
                    patches: Vec::new(),
                });
                people.len() - 1
            })
        };
    let authors: Vec<Person> = msgs
        .iter()
        .filter(|m| m.is_patch && !m.is_reply && !m.ghost)
        .flat_map(|m| [m.from.clone(), m.author.clone()])
        .collect();
    let posters: Vec<Person> = msgs
        .iter()
        .filter(|m| m.is_patch && !m.is_reply && !m.ghost)
        .map(|m| m.from.clone())
        .collect();
    // The first patch posted: its author's work is what the thread is about.
    // A patch someone else posts in the thread is their alternative.
    let first_patch = order
        .iter()
        .copied()
        .find(|&i| msgs[i].is_patch && !msgs[i].is_reply);
    // Everyone who writes in the thread (a trailer carried in a patch counts
    // as the position of its giver only if they take part).
    let senders: Vec<&Person> = order.iter().map(|&i| &msgs[i].from).collect();
    let mut current: HashMap<usize, Stance> = HashMap::new();
    let mut credits: HashMap<usize, Vec<Credit>> = HashMap::new();
    // What each message says depends on its own text only: read each one's
    // original text, prose rules and scope phrases once, up front.
    let pairs: Vec<(&MessageInput, &[quote::Segment])> = msgs
        .iter()
        .zip(
            segments
                .iter()
                .map(Vec::as_slice)
                .chain(std::iter::repeat(&[][..])),
        )
        .collect();
    let read: Vec<Read> = crate::par::map(&pairs, |(m, segs)| Read::of(&m.body, segs));

    let anchors = anchors(msgs);
    let talk = conversation::evidence(msgs, &read, &anchors);
    for &i in &order {
        let m = &msgs[i];
        let who = person_index(&mut people, &mut by_email, &m.from);
        if is_pull_request(m) {
            // "Please pull ..." in a maintainer's own [GIT PULL] asks
            // nothing of anyone: sending it is the maintainer's support.
            people[who].signals.push(pull_request_signal(m));
            current.insert(who, Stance::Support);
            continue;
        }
        let Some(anchor) = anchors[i] else {
            // Not about a patch: prose still counts, about the thread.
            for (_, mut signal) in
                prose_signals(msgs, &read[i], i, None, who, &people, &current, &authors)
            {
                hold_if_conditional(&mut signal, current.get(&who));
                if let Some(s) = signal.stance {
                    current.insert(who, s);
                }
                people[who].signals.push(signal);
            }
            continue;
        };
        if anchor == i {
            let alternative = first_patch.is_some_and(|f| {
                let root = &msgs[f];
                ![&root.from, &root.author]
                    .iter()
                    .any(|a| same_person(a, &m.from) || same_person(a, &m.author))
            });
            people[who].signals.push(Signal {
                kind: Kind::Posted,
                message_id: m.message_id.clone(),
                date: m.date,
                evidence: m.subject.clone(),
                target: None,
                patch: (!is_cover(msgs, i)).then(|| m.message_id.clone()),
                scope: if is_cover(msgs, i) { "series" } else { "patch" },
                conditional: false,
                // Posting an alternative to the thread's patch is a position
                // on one's own patch, not on the one under review.
                stance: (!alternative).then_some(Stance::Support),
                verified: true,
                rule: if alternative {
                    "posted-alternative"
                } else {
                    "posted"
                },
                grade: if alternative {
                    Grade::Neutral
                } else {
                    Grade::Approves
                },
                shown_by: None,
                covers: ids(msgs, &targets(msgs, anchor, None).0),
            });
            if !alternative {
                current.insert(who, Stance::Support);
            }
            // Review trailers the patch carries from an earlier revision
            // ("Reviewed-by: Nathan ..." above the `---`) are the position
            // of their givers who take part in the thread, until they say
            // otherwise. They are not credited again: the patch has them.
            for line in read[i].original.lines() {
                if line.trim() == "---" {
                    break;
                }
                let Some(t) = crate::trailers::parse_line(line.trim_end(), 0) else {
                    continue;
                };
                let kind = Kind::of_trailer(&t.key);
                let Some(person) = t.person else { continue };
                if !matches!(kind, Kind::AckedBy | Kind::ReviewedBy | Kind::TestedBy)
                    || same_person(&person, &m.from)
                    || same_person(&person, &m.author)
                {
                    continue;
                }
                let Some(sender) = senders.iter().find(|s| same_person(s, &person)) else {
                    continue;
                };
                let giver = person_index(&mut people, &mut by_email, sender);
                if current.contains_key(&giver) {
                    continue;
                }
                people[giver].signals.push(Signal {
                    kind,
                    message_id: m.message_id.clone(),
                    date: m.date,
                    evidence: line.trim().to_string(),
                    target: None,
                    patch: (!is_cover(msgs, i)).then(|| m.message_id.clone()),
                    scope: "patch",
                    conditional: false,
                    stance: Some(Stance::Support),
                    verified: true,
                    rule: "carried-trailer",
                    grade: Grade::of(kind),
                    shown_by: None,
                    covers: vec![m.message_id.clone()],
                });
                current.insert(giver, Stance::Support);
            }
            continue;
        }
        // Trailers, from original text only, scoped by the prose before them.
        let original = &read[i].original;
        let scopes = &read[i].scopes;
        let mut pending: Vec<(usize, Signal)> = Vec::new();
        let mut offset = 0;
        for line in original.split_inclusive('\n') {
            let here = offset;
            offset += line.len();
            let Some(t) = crate::trailers::parse_line(line.trim_end(), here) else {
                continue;
            };
            let Some(person) = t.person.clone() else {
                continue;
            };
            let kind = Kind::of_trailer(&t.key);
            // "With the updated commit message:" just before the trailer.
            let conditional = stance::conditional_lead(&lead_in(original, here));
            // An author's Tested-by in a reply to their own patch is about
            // someone else's proposal, not a review of the patch.
            let own = same_person(&person, &msgs[anchor].author)
                || same_person(&person, &msgs[anchor].from);
            // The scope set before the trailer, or one that finishes the
            // offer on the next line ("Reviewed-by: ... / to that patch.").
            let next = here + line.len();
            let after = scopes.iter().find(|(o, _)| {
                *o >= next
                    && original[next..*o].trim().is_empty()
                    && ["to ", "for "]
                        .iter()
                        .any(|w| original[*o..].starts_with(w))
            });
            let scope = after
                .or_else(|| scopes.iter().rev().find(|(o, _)| *o <= here))
                .map(|(_, s)| s.clone());
            let (patches, scope_name) = targets(msgs, anchor, scope.as_ref());
            let verified = same_person(&person, &m.from);
            let stance = if !verified || own {
                None
            } else {
                kind.stance()
            };
            let signal = Signal {
                kind,
                message_id: m.message_id.clone(),
                date: m.date,
                evidence: line.trim().to_string(),
                target: (!verified).then(|| person.email.clone()),
                patch: (patches.len() == 1 && scope_name == "patch")
                    .then(|| msgs[patches[0]].message_id.clone()),
                scope: scope_name,
                conditional,
                stance,
                verified,
                rule: if own { "own-trailer" } else { "trailer" },
                grade: stance.map_or(Grade::Neutral, |_| Grade::of(kind)),
                shown_by: None,
                covers: ids(msgs, &patches),
            };
            // "sedat.dilek@gmail,com" from Sedat Dilek: the sender's address.
            let credited = if verified && !plausible_address(&person.email) {
                Person {
                    name: person.name.clone(),
                    email: m.from.email.clone(),
                }
            } else {
                person.clone()
            };
            if kind != Kind::OtherTrailer && !own {
                for &p in &patches {
                    credits.entry(p).or_default().push(Credit {
                        name: t.name.clone(),
                        person: credited.clone(),
                        source: m.message_id.clone(),
                        scope: scope_name,
                        conditional,
                        verified,
                        evidence: line.trim().to_string(),
                    });
                }
            }
            pending.push((here, signal));
        }
        pending.extend(prose_signals(
            msgs,
            &read[i],
            i,
            Some(anchor),
            who,
            &people,
            &current,
            &authors,
        ));
        // What the conversation shows comes after the message's own words.
        pending.extend(talk[i].iter().map(|e| {
            let (patches, scope_name) = targets(msgs, anchor, None);
            let signal = Signal {
                kind: e.kind,
                message_id: m.message_id.clone(),
                date: m.date,
                evidence: e.evidence.clone(),
                target: None,
                patch: (patches.len() == 1 && scope_name == "patch")
                    .then(|| msgs[patches[0]].message_id.clone()),
                scope: scope_name,
                conditional: false,
                stance: e.kind.stance(),
                verified: true,
                rule: e.rule,
                grade: Grade::of(e.kind),
                shown_by: e.shown_by.clone(),
                covers: ids(msgs, &patches),
            };
            (usize::MAX, signal)
        }));
        // In the order they were written: "I withdraw my NAK. Acked-by: ..."
        pending.sort_by_key(|(offset, _)| *offset);
        let mut applied_here = false;
        for (_, mut signal) in pending {
            hold_if_conditional(&mut signal, current.get(&who));
            // "Applied, thanks. While I am here, it is not clear to me how
            // ...": questions after taking the patch do not undo it, nor
            // does checkpatch's output pasted below "Applied" (only a NAK
            // does).
            if applied_here
                && signal.stance == Some(Stance::Oppose)
                && !matches!(signal.kind, Kind::Nak | Kind::NackedBy)
            {
                signal.stance = None;
            }
            applied_here |= signal.kind == Kind::Applied;
            // A retracted trailer is no longer credited to the patches the
            // retraction is about.
            if signal.rule == "retracts-trailer" {
                for id in &signal.covers {
                    if let Some(p) = msgs.iter().position(|x| x.message_id == *id)
                        && let Some(list) = credits.get_mut(&p)
                    {
                        list.retain(|c| !same_person(&c.person, &m.from));
                    }
                }
            }
            if signal.stance.is_none() {
                signal.grade = Grade::Neutral;
            }
            if let Some(s) = signal.stance {
                current.insert(who, s);
            }
            people[who].signals.push(signal);
        }
        // Conditional trailer offers in prose are credits too (marked).
        let offers: Vec<Signal> = people[who]
            .signals
            .iter()
            .filter(|s| s.message_id == m.message_id && s.rule.ends_with("trailer-offer"))
            .cloned()
            .collect();
        for s in offers {
            let name = match s.kind {
                Kind::AckedBy => "Acked-by",
                Kind::ReviewedBy => "Reviewed-by",
                Kind::TestedBy => "Tested-by",
                _ => continue,
            };
            let scope = stance::read_scope(&s.evidence.to_lowercase());
            let (patches, scope_name) = targets(msgs, anchor, scope.as_ref());
            for p in patches {
                credits.entry(p).or_default().push(Credit {
                    name: name.to_string(),
                    person: m.from.clone(),
                    source: m.message_id.clone(),
                    scope: scope_name,
                    conditional: s.conditional,
                    verified: true,
                    evidence: s.evidence.clone(),
                });
            }
        }
    }

    // Subsystems and the maintainers of the files the patches change.
    let mut subsystems: Vec<String> = Vec::new();
    let mut listed_maintainers: Vec<Person> = Vec::new();
    for m in msgs
        .iter()
        .filter(|m| m.is_patch && !m.is_reply && !m.ghost)
    {
        for prefix in subject_prefixes(&m.subject) {
            if !subsystems.contains(&prefix) {
                subsystems.push(prefix);
            }
        }
        let Some(file) = ctx.maintainers else {
            continue;
        };
        for seg in quote::segment(&m.body)
            .iter()
            .filter(|s| s.kind == SegKind::Diff)
        {
            for path in quote::summarize_diff(seg.text(&m.body)).files {
                for section in file.sections_for(&path) {
                    if !subsystems.contains(&section.name) {
                        subsystems.push(section.name.clone());
                    }
                    listed_maintainers
                        .extend(section.maintainers.iter().map(|p| resolve(p.clone())));
                }
            }
        }
    }

    // Final stance, change of mind, role.
    let patch_order: Vec<&str> = (0..msgs.len())
        .filter(|&i| msgs[i].is_patch && !msgs[i].is_reply && !msgs[i].ghost)
        .map(|i| msgs[i].message_id.as_str())
        .collect();
    let version_of: HashMap<&str, u32> = (0..msgs.len())
        .map(|i| (msgs[i].message_id.as_str(), msgs[i].version))
        .collect();
    for p in &mut people {
        let stances: Vec<Stance> = p.signals.iter().filter_map(|s| s.stance).collect();
        p.patches = per_patch(&p.signals, &patch_order);
        p.stance = final_stance(&p.signals, &p.patches, &version_of);
        p.grade = match p.stance {
            Stance::Neutral => Grade::Neutral,
            Stance::Support => Grade::Approves,
            Stance::Oppose => p.evidence().map_or(Grade::RequestsChanges, |s| {
                if s.grade == Grade::Objects {
                    Grade::Objects
                } else {
                    Grade::RequestsChanges
                }
            }),
        };
        // A first stance after silence is not a change of mind.
        let taken: Vec<Stance> = stances
            .iter()
            .copied()
            .skip_while(|s| *s == Stance::Neutral)
            .collect();
        p.changed = taken.windows(2).any(|w| w[0] != w[1]);
        p.role = if is_bot(&p.person) {
            Role::Bot
        } else if posters.iter().any(|a| same_person(a, &p.person))
            || authors.iter().any(|a| same_person(a, &p.person))
                && !p
                    .signals
                    .iter()
                    .any(|s| s.kind != Kind::Posted && s.stance.is_some())
        {
            Role::Author
        } else if p
            .signals
            .iter()
            .any(|s| s.kind == Kind::Applied || s.rule == "maintainer-holds")
            || listed_maintainers.iter().any(|m| same_person(m, &p.person))
        {
            Role::Maintainer
        } else if p.signals.iter().any(|s| {
            s.stance.is_some() || matches!(s.kind, Kind::Agree | Kind::Disagree | Kind::Question)
        }) {
            Role::Reviewer
        } else {
            Role::Participant
        };
    }
    let patches = (0..msgs.len())
        .filter(|&i| msgs[i].is_patch && !msgs[i].is_reply && !msgs[i].ghost)
        .map(|i| PatchCredits {
            message_id: msgs[i].message_id.clone(),
            subject: msgs[i].subject.clone(),
            version: msgs[i].version,
            index: msgs[i].index,
            total: msgs[i].total,
            cover: is_cover(msgs, i),
            author: msgs[i].author.clone(),
            trailers: credits.remove(&i).unwrap_or_default(),
        })
        .collect();
    Consensus {
        positions: people,
        patches,
        subsystems,
    }
}

/// A maintainer's `[GIT PULL]` mail (not a reply to one).
fn is_pull_request(m: &MessageInput) -> bool {
    !m.is_reply && !m.ghost && m.subject.to_ascii_uppercase().contains("[GIT PULL")
}

fn pull_request_signal(m: &MessageInput) -> Signal {
    Signal {
        kind: Kind::Posted,
        message_id: m.message_id.clone(),
        date: m.date,
        evidence: m.subject.clone(),
        target: None,
        patch: None,
        scope: "series",
        conditional: false,
        stance: Some(Stance::Support),
        verified: true,
        rule: "pull-request",
        grade: Grade::Approves,
        shown_by: None,
        covers: Vec::new(),
    }
}

/// The thread as the passes read it: senders and authors through the
/// mailmap, and a reply whose Subject lacks "Re:" (no diff, no counter,
/// answering a patch) marked as the reply it is.
fn normalise<'a>(
    msgs: &'a [MessageInput],
    ctx: Context<'_>,
) -> std::borrow::Cow<'a, [MessageInput]> {
    let mailmap = ctx.mailmap.filter(|map| !map.is_empty());
    let unmarked_reply = |m: &MessageInput| {
        m.is_patch
            && !m.is_reply
            && !m.has_diff
            && m.index.is_none()
            && m.parent
                .and_then(|p| msgs.get(p))
                .is_some_and(|p| p.is_patch && !p.ghost)
    };
    if mailmap.is_none() && !msgs.iter().any(unmarked_reply) {
        return std::borrow::Cow::Borrowed(msgs);
    }
    let out = msgs
        .iter()
        .map(|m| {
            let mut m2 = m.clone();
            if let Some(map) = mailmap {
                m2.from = map.resolve(&m.from);
                m2.author = map.resolve(&m.author);
            }
            m2.is_reply |= unmarked_reply(m);
            m2
        })
        .collect();
    std::borrow::Cow::Owned(out)
}
