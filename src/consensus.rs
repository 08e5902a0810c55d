//! Consensus: who stands where in a thread, with the evidence. Sans-IO.
//!
//! [`analyze`] takes the messages of one thread (tree links, senders, dates,
//! decoded bodies) and returns every participant's position, with the whole
//! history of their signals, and the trailers credited to each patch. Signals
//! come only from what a sender wrote ([`quote::segment`]'s original text):
//! trailers, checked against the sender as b4 does, and prose, read by
//! [`crate::stance::analyze`]. Agreement takes the position of the person agreed
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
mod walk;

use anchors::{ids, is_cover};
pub use identity::{is_bot, same_person};
use signals::Read;
pub use signals::original_text;
use walk::Walk;

use crate::message::Person;
use crate::quote::{self, Kind as SegKind};
use crate::stance::{Grade, Kind, Rule, Stance};
use crate::thread::ThreadNode;

/// One message of the thread, as the engine needs it: the skeleton the
/// store keeps (tree link, sender, date, patch counters) and its body.
#[derive(Debug, Clone, Default)]
pub struct MessageInput {
    /// Where it sits and who sent it.
    pub node: ThreadNode,
    /// Decoded body (empty for ghosts).
    pub body: String,
}

impl std::ops::Deref for MessageInput {
    type Target = ThreadNode;
    fn deref(&self) -> &ThreadNode {
        &self.node
    }
}

impl std::ops::DerefMut for MessageInput {
    fn deref_mut(&mut self) -> &mut ThreadNode {
        &mut self.node
    }
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
    pub rule: Rule,
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

impl Signal {
    /// A verified signal message `m` gives, at the stance and grade its kind
    /// takes by itself, about no patch yet.
    fn said(kind: Kind, m: &MessageInput, evidence: String, rule: Rule) -> Signal {
        Signal {
            kind,
            message_id: m.message_id.clone(),
            date: m.seconds(),
            evidence,
            target: None,
            patch: None,
            scope: "patch",
            conditional: false,
            stance: kind.stance(),
            verified: true,
            rule,
            grade: Grade::of(kind),
            shown_by: None,
            covers: Vec::new(),
        }
    }

    /// The same signal about `patches` (indices into `msgs`), scoped.
    fn about(mut self, msgs: &[MessageInput], patches: &[usize], scope: &'static str) -> Signal {
        self.patch =
            (patches.len() == 1 && scope == "patch").then(|| msgs[patches[0]].message_id.clone());
        self.scope = scope;
        self.covers = ids(msgs, patches);
        self
    }
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
    /// A request its writer calls a nit (it does not hold the series back).
    #[serde(skip)]
    pub nit: bool,
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
    /// Someone who has said nothing yet.
    fn new(person: Person) -> Position {
        Position {
            person,
            aliases: Vec::new(),
            role: Role::Participant,
            stance: Stance::Neutral,
            grade: Grade::Neutral,
            changed: false,
            signals: Vec::new(),
            patches: Vec::new(),
        }
    }

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
        // A stance that stands from another patch (a request on 1/2 after
        // which 2/2 was queued) is shown by what took it there.
        let recent = if recent.is_empty() { taking } else { recent };
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
    let reads = read_all(msgs, segments);
    let mut walk = Walk::new(msgs, &reads);
    walk.run();
    let (subsystems, maintainers) = subsystems(msgs, ctx);
    let patches = patch_credits(msgs, &mut walk.credits);
    let mut positions = walk.people.list;
    positions::finish(&mut positions, msgs, &maintainers);
    Consensus {
        positions,
        patches,
        subsystems,
    }
}

/// What each message says depends on its own text only: its original
/// text, prose rules and scope phrases, read once up front, over the cores.
fn read_all(msgs: &[MessageInput], segments: &[Vec<quote::Segment>]) -> Vec<Read> {
    let pairs: Vec<(&MessageInput, &[quote::Segment])> = msgs
        .iter()
        .zip(
            segments
                .iter()
                .map(Vec::as_slice)
                .chain(std::iter::repeat(&[][..])),
        )
        .collect();
    crate::par::map(&pairs, |(m, segs)| Read::of(&m.body, segs))
}

/// The subsystems a thread is about (subject prefixes, and with a
/// MAINTAINERS file the sections covering the files its patches change),
/// and the maintainers those sections list.
fn subsystems(msgs: &[MessageInput], ctx: Context<'_>) -> (Vec<String>, Vec<Person>) {
    let resolve = |p: &Person| ctx.mailmap.map_or_else(|| p.clone(), |map| map.resolve(p));
    let mut names: Vec<String> = Vec::new();
    let mut maintainers: Vec<Person> = Vec::new();
    let add = |name: &str, names: &mut Vec<String>| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_string());
        }
    };
    for m in msgs.iter().filter(|m| m.posts_patch()) {
        for prefix in subject_prefixes(&m.subject) {
            add(&prefix, &mut names);
        }
        let Some(file) = ctx.maintainers else {
            continue;
        };
        for path in changed_files(&m.body) {
            for section in file.sections_for(&path) {
                add(&section.name, &mut names);
                maintainers.extend(section.maintainers.iter().map(resolve));
            }
        }
    }
    (names, maintainers)
}

/// The files a body's diffs change.
fn changed_files(body: &str) -> Vec<String> {
    quote::segment(body)
        .iter()
        .filter(|s| s.kind == SegKind::Diff)
        .flat_map(|seg| quote::summarize_diff(seg.text(body)).files)
        .collect()
}

/// Every patch and cover letter with the trailers credited to it.
fn patch_credits(
    msgs: &[MessageInput],
    credits: &mut HashMap<usize, Vec<Credit>>,
) -> Vec<PatchCredits> {
    (0..msgs.len())
        .filter(|&i| msgs[i].posts_patch())
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
        .collect()
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
