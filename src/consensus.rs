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

use crate::message::Person;
use crate::quote::{self, Kind as SegKind};
use crate::stance::{self, Kind, Scope, Stance};

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

fn normalise_name(name: &str) -> String {
    let name = name.trim().trim_matches('"').to_lowercase();
    // "Last, First" → "first last"
    let name = match name.split_once(',') {
        Some((last, first)) => format!("{} {}", first.trim(), last.trim()),
        None => name,
    };
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// b4's identity check: the same address, or the same name.
pub fn same_person(a: &Person, b: &Person) -> bool {
    (!a.email.is_empty() && a.email.eq_ignore_ascii_case(&b.email))
        || (!a.name.is_empty() && same_name(&a.name, &b.name))
}

/// `normalise_name(a) == normalise_name(b)` without building either (the
/// engine asks this for every message against every author).
fn same_name(a: &str, b: &str) -> bool {
    fn words(name: &str) -> impl Iterator<Item = &str> {
        let name = name.trim().trim_matches('"');
        let (first, last) = match name.split_once(',') {
            Some((last, first)) => (first, last),
            None => (name, ""),
        };
        first.split_whitespace().chain(last.split_whitespace())
    }
    let same_word = |p: &str, q: &str| {
        p == q
            || p.chars()
                .flat_map(char::to_lowercase)
                .eq(q.chars().flat_map(char::to_lowercase))
    };
    let (mut x, mut y) = (words(a), words(b));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if same_word(p, q) => {}
            _ => return false,
        }
    }
}

/// Robots by address or name.
pub fn is_bot(p: &Person) -> bool {
    let e = p.email.to_lowercase();
    let n = p.name.to_lowercase();
    e.starts_with("lkp@")
        || e.contains("syzbot")
        || e.contains("noreply")
        || e.contains("no-reply")
        || e.starts_with("bot@")
        || e.contains("-bot@")
        || e.contains("patchwork")
        || n.contains("test robot")
        || n.contains("syzbot")
        || n.ends_with(" bot")
        || n.contains("patchwork")
        || n.contains("ci bot")
}

fn is_cover(msgs: &[MessageInput], i: usize) -> bool {
    let m = &msgs[i];
    m.is_patch
        && !m.is_reply
        && (m.index == Some(0)
            || (!m.has_diff
                && m.index.is_none()
                && msgs
                    .iter()
                    .any(|c| c.parent == Some(i) && c.is_patch && !c.is_reply && c.has_diff)))
}

/// For each message, the nearest ancestor (or itself) that is a patch or
/// cover letter.
fn anchors(msgs: &[MessageInput]) -> Vec<Option<usize>> {
    // Each message's answer is its parent's unless it is an anchor itself:
    // walk up only as far as a message already answered, and answer the
    // whole walk (walking to the top from each message was quadratic: 30 s
    // for a reply chain 100,000 deep). A walk longer than the thread is a
    // cycle, which has no anchor.
    let is_anchor = |c: usize| msgs[c].is_patch && !msgs[c].is_reply && !msgs[c].ghost;
    let mut memo: Vec<Option<Option<usize>>> = vec![None; msgs.len()];
    let mut walk = Vec::new();
    for i in 0..msgs.len() {
        let mut cur = Some(i);
        let found = loop {
            let Some(c) = cur else { break None };
            if let Some(known) = memo[c] {
                break known;
            }
            if is_anchor(c) {
                memo[c] = Some(Some(c));
                break Some(c);
            }
            if walk.len() > msgs.len() {
                break None;
            }
            walk.push(c);
            cur = msgs[c].parent;
        };
        for c in walk.drain(..) {
            memo[c] = Some(found);
        }
    }
    memo.into_iter().map(Option::flatten).collect()
}

/// The patches of the series whose cover is `cover`.
fn series_patches(msgs: &[MessageInput], cover: usize) -> Vec<usize> {
    let c = &msgs[cover];
    (0..msgs.len())
        .filter(|&j| {
            let m = &msgs[j];
            j != cover
                && m.parent == Some(cover)
                && m.is_patch
                && !m.is_reply
                && m.version == c.version
                && m.from.email == c.from.email
        })
        .collect()
}

/// Which patches a signal is about: (patch indices, scope name).
fn targets(
    msgs: &[MessageInput],
    anchor: usize,
    prose: Option<&Scope>,
) -> (Vec<usize>, &'static str) {
    let cover = if is_cover(msgs, anchor) {
        Some(anchor)
    } else {
        msgs[anchor].parent.filter(|&p| is_cover(msgs, p))
    };
    match (prose, cover) {
        (Some(Scope::Series), Some(c)) => (series_patches(msgs, c), "series"),
        (Some(Scope::Patches(ns)), Some(c)) => {
            let picked: Vec<usize> = series_patches(msgs, c)
                .into_iter()
                .filter(|&p| msgs[p].index.is_some_and(|n| ns.contains(&n)))
                .collect();
            if picked.is_empty() {
                (vec![anchor], "patch")
            } else {
                (picked, "patch")
            }
        }
        (_, Some(c)) if c == anchor => (series_patches(msgs, c), "series"),
        // "For the series" on a series without a cover letter: every patch
        // of the same revision, count and sender.
        (Some(Scope::Series), None) if msgs[anchor].total.is_some_and(|t| t > 1) => {
            let a = &msgs[anchor];
            let members: Vec<usize> = (0..msgs.len())
                .filter(|&j| {
                    let m = &msgs[j];
                    m.is_patch
                        && !m.is_reply
                        && !m.ghost
                        && m.version == a.version
                        && m.total == a.total
                        && m.from.email == a.from.email
                })
                .collect();
            (members, "series")
        }
        _ => (vec![anchor], "patch"),
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
    let mapped: Vec<MessageInput>;
    let msgs = match ctx.mailmap {
        Some(map) if !map.is_empty() => {
            mapped = msgs
                .iter()
                .map(|m| MessageInput {
                    from: map.resolve(&m.from),
                    author: map.resolve(&m.author),
                    ..m.clone()
                })
                .collect();
            &mapped[..]
        }
        _ => msgs,
    };
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
    for &i in &order {
        let m = &msgs[i];
        let who = person_index(&mut people, &mut by_email, &m.from);
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
        // In the order they were written: "I withdraw my NAK. Acked-by: ..."
        pending.sort_by_key(|(offset, _)| *offset);
        let mut applied_here = false;
        for (_, mut signal) in pending {
            hold_if_conditional(&mut signal, current.get(&who));
            // "Applied, thanks. While I am here, it is not clear to me how
            // ...": questions after taking the patch do not undo it.
            if applied_here && signal.kind == Kind::RequestsChanges {
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

/// A conditional signal ("with that fixed, feel free to add my
/// Reviewed-by") supports, unless its giver objects at that moment (the
/// request may be in the same message): then it waits for the condition
/// and does not override the objection.
fn hold_if_conditional(signal: &mut Signal, now: Option<&Stance>) {
    if signal.conditional && now == Some(&Stance::Oppose) {
        signal.stance = None;
    }
}

/// An address as mail systems write it: one `@`, a dotted domain, no
/// commas or spaces. "name@gmail,com" is not.
fn plausible_address(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains(['@', ',', ' ', ';'])
                && !local.contains([',', ' ', ';'])
        }
        None => false,
    }
}

fn ids(msgs: &[MessageInput], patches: &[usize]) -> Vec<String> {
    patches
        .iter()
        .map(|&p| msgs[p].message_id.clone())
        .collect()
}

/// The sentence written just before a trailer line, in the paragraph before
/// it (other trailer lines skipped): "With the updated commit message:".
fn lead_in(original: &str, trailer_at: usize) -> String {
    let before = &original[..trailer_at];
    let lines: Vec<&str> = before
        .lines()
        .rev()
        .skip_while(|l| l.trim().is_empty() || crate::trailers::parse_line(l.trim(), 0).is_some())
        .take_while(|l| !l.trim().is_empty())
        .collect();
    let paragraph: Vec<&str> = lines.into_iter().rev().collect();
    let paragraph = paragraph.join("\n");
    stance::sentences(&paragraph)
        .pop()
        .map(|(_, s)| s)
        .unwrap_or_default()
}

/// Per patch, the latest stance-taking signal about it.
fn per_patch(signals: &[Signal], patch_order: &[&str]) -> Vec<PatchStance> {
    let mut latest: HashMap<&str, &Signal> = HashMap::new();
    for s in signals.iter().filter(|s| s.verified && s.stance.is_some()) {
        for c in &s.covers {
            latest.insert(c.as_str(), s);
        }
    }
    patch_order
        .iter()
        .filter_map(|&id| {
            let s = latest.get(id)?;
            Some(PatchStance {
                patch: id.to_string(),
                stance: s.stance.unwrap_or(Stance::Neutral),
                kind: s.kind,
                evidence: s.evidence.clone(),
                message_id: s.message_id.clone(),
            })
        })
        .collect()
}

/// The stance that stands: the latest one taken, except that a request for
/// changes on one patch does not undo a review of the rest of the series
/// (Petr reviews 1/5, 3/5 and 5/5 and asks for a nit in 2/5: he supports
/// it), and a blocking objection to one patch stands when the latest signal
/// approves another of the same revision (a new revision answers the
/// objections to the old one).
fn final_stance(
    signals: &[Signal],
    patches: &[PatchStance],
    version_of: &HashMap<&str, u32>,
) -> Stance {
    let Some(last) = signals.iter().rev().find(|s| s.stance.is_some()) else {
        return Stance::Neutral;
    };
    let stance = last.stance.unwrap_or(Stance::Neutral);
    // Only a signal about one patch of several is weighed against the others.
    if last.covers.len() != 1 || patches.len() < 2 {
        return stance;
    }
    let version = version_of.get(last.covers[0].as_str());
    let others: Vec<&PatchStance> = patches
        .iter()
        .filter(|p| p.patch != last.covers[0] && version_of.get(p.patch.as_str()) == version)
        .collect();
    let blocking = |k: Kind| {
        matches!(
            k,
            Kind::Nak | Kind::NackedBy | Kind::Objection | Kind::Disagree
        )
    };
    match (stance, last.kind) {
        (Stance::Oppose, Kind::RequestsChanges)
            if others.iter().any(|p| p.stance == Stance::Support)
                && !others
                    .iter()
                    .any(|p| blocking(p.kind) && p.stance == Stance::Oppose) =>
        {
            Stance::Support
        }
        (Stance::Support, _)
            if others
                .iter()
                .any(|p| blocking(p.kind) && p.stance == Stance::Oppose) =>
        {
            Stance::Oppose
        }
        _ => stance,
    }
}

/// What one message's own text says, read before the thread is walked.
struct Read {
    /// The original text (quotes, attributions, signatures and diffs left out).
    original: String,
    /// Prose rules that matched it.
    found: Vec<stance::Found>,
    /// Scope phrases ("for the series", "for 2/5"), by offset.
    scopes: Vec<(usize, Scope)>,
}

impl Read {
    fn of(body: &str, segments: &[quote::Segment]) -> Read {
        let original = original_of(body, segments);
        let (found, scopes) = stance::read(&original);
        Read {
            original,
            found,
            scopes,
        }
    }
}

/// The original text of a body, segments joined.
pub fn original_text(body: &str) -> String {
    original_of(body, &quote::segment(body))
}

/// [`original_text`] from segments already cut.
fn original_of(body: &str, segments: &[quote::Segment]) -> String {
    let mut out = String::new();
    for seg in segments {
        if seg.kind == SegKind::Original {
            out.push_str(seg.text(body));
            if !out.ends_with('\n') {
                out.push('\n');
            }
        }
    }
    out
}

/// Prose signals of message `i`, with their offsets in its original text.
#[allow(clippy::too_many_arguments)]
fn prose_signals(
    msgs: &[MessageInput],
    read: &Read,
    i: usize,
    anchor: Option<usize>,
    who: usize,
    people: &[Position],
    current: &HashMap<usize, Stance>,
    authors: &[Person],
) -> Vec<(usize, Signal)> {
    let mut out = Vec::new();
    let m = &msgs[i];
    let found = read.found.clone();
    // The author of what this message answers: the poster or in-body author
    // of its patch or cover letter (authors of other patches in the thread
    // are reviewers here). Without an anchor, anyone who posted a patch.
    let is_author = match anchor {
        Some(a) => same_person(&msgs[a].from, &m.from) || same_person(&msgs[a].author, &m.from),
        None => authors.iter().any(|a| same_person(a, &m.from)),
    };
    let has_offer = found.iter().any(|f| f.rule.ends_with("trailer-offer"));
    let parent_sender = m
        .parent
        .filter(|&p| !msgs[p].ghost)
        .map(|p| msgs[p].from.clone());
    for f in found {
        // A conditional offer carries the request; do not count it twice.
        if has_offer && f.kind == Kind::RequestsChanges {
            continue;
        }
        let mut kind = f.kind;
        if kind == Kind::Concedes && !is_author {
            kind = Kind::Agree;
        }
        let (patches, scope_name) = match anchor {
            Some(a) => targets(msgs, a, f.scope.as_ref()),
            None => (Vec::new(), "series"),
        };
        let mut target = None;
        let stance = match kind {
            Kind::Agree | Kind::Disagree => {
                let named = f.target_name.as_ref().and_then(|n| {
                    let n = n.to_lowercase();
                    people.iter().position(|p| {
                        p.person.name.to_lowercase().split_whitespace().next() == Some(n.as_str())
                    })
                });
                let target_person = named.or_else(|| {
                    parent_sender.as_ref().and_then(|ps| {
                        people
                            .iter()
                            .position(|p| p.person.email == ps.email && !ps.email.is_empty())
                    })
                });
                target = target_person.map(|t| people[t].person.email.clone());
                let theirs = target_person
                    .filter(|&t| t != who)
                    .and_then(|t| current.get(&t).copied());
                match (kind, theirs) {
                    (Kind::Agree, Some(s)) if s != Stance::Neutral => Some(s),
                    (Kind::Disagree, Some(Stance::Support)) => Some(Stance::Oppose),
                    (Kind::Disagree, Some(Stance::Oppose)) => Some(Stance::Support),
                    _ => None,
                }
            }
            _ => kind.stance(),
        };
        // Authors defending their own work stay supporters: agreeing with a
        // critic or describing the bug the patch fixes ("this breaks zfs")
        // does not make them oppose it. Only giving it up does.
        // Nor does an author taking back a problem they reported.
        let stance = if is_author && (stance == Some(Stance::Oppose) || f.rule == "false-alarm") {
            None
        } else {
            stance
        };
        // "Done." takes the patch only when someone else says it straight
        // to the patch ("will you pick this up?" in its notes).
        let stance = if f.rule == "done" && (is_author || anchor.is_none() || m.parent != anchor) {
            None
        } else {
            stance
        };
        // A nit after one's own ack or review leaves it standing (one given
        // on a condition still waits for it).
        let unconditional_support = || {
            people[who]
                .signals
                .iter()
                .rev()
                .find(|s| s.stance.is_some())
                .is_some_and(|s| s.stance == Some(Stance::Support) && !s.conditional)
        };
        let stance = if f.rule == "nit-request"
            && current.get(&who) == Some(&Stance::Support)
            && unconditional_support()
        {
            None
        } else {
            stance
        };
        out.push((
            f.offset,
            Signal {
                kind,
                message_id: m.message_id.clone(),
                date: m.date,
                evidence: f.evidence,
                target,
                patch: (patches.len() == 1 && scope_name == "patch")
                    .then(|| msgs[patches[0]].message_id.clone()),
                scope: scope_name,
                conditional: f.conditional,
                stance,
                verified: true,
                rule: f.rule,
                covers: ids(msgs, &patches),
            },
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_checks_like_b4() {
        let p = |n: &str, e: &str| Person {
            name: n.into(),
            email: e.into(),
        };
        assert!(same_person(&p("Jane Doe", "jane@x"), &p("J", "JANE@x")));
        assert!(same_person(&p("Doe, Jane", "a@x"), &p("Jane  Doe", "b@y")));
        assert!(same_person(
            &p("\"Jane DÖE\"", "a@x"),
            &p("jane döe", "b@y")
        ));
        assert!(!same_person(
            &p("Jane Doe Smith", "a@x"),
            &p("Jane Doe", "b@y")
        ));
        assert!(!same_person(&p("Jane", "a@x"), &p("Jane Doe", "b@y")));
        assert!(!same_person(
            &p("Ingrid Sol", "ingrid@x"),
            &p("Lars H", "lars@x")
        ));
        assert!(is_bot(&p("kernel test robot", "lkp@intel.com")));
        assert!(is_bot(&p("syzbot", "syzbot+abc@syzkaller.appspotmail.com")));
        assert!(!is_bot(&p("Robert Botham", "rb@x")));
    }

    fn msg(
        id: &str,
        parent: Option<usize>,
        from: Person,
        subject: &str,
        body: &str,
    ) -> MessageInput {
        MessageInput {
            message_id: id.into(),
            parent,
            ghost: false,
            from: from.clone(),
            date: Some(parent.map_or(0, |p| p as i64 + 1)),
            subject: subject.into(),
            is_patch: subject.contains("[PATCH"),
            is_reply: subject.starts_with("Re:"),
            version: 1,
            index: None,
            total: None,
            has_diff: false,
            author: from,
            body: body.into(),
        }
    }

    #[test]
    fn trailers_on_a_condition_by_the_author_and_per_patch_stances() {
        let p = |n: &str, e: &str| Person {
            name: n.into(),
            email: e.into(),
        };
        let author = p("Lukas H", "lukas@x");
        let petr = p("Petr M", "petr@x");
        let mut msgs = vec![msg(
            "c@x",
            None,
            author.clone(),
            "[PATCH 0/2] klp",
            "Cover.\n",
        )];
        for n in 1..=2 {
            let mut m = msg(
                &format!("{n}@x"),
                Some(0),
                author.clone(),
                &format!("[PATCH {n}/2] klp"),
                "Change.\n",
            );
            (m.index, m.total, m.has_diff) = (Some(n), Some(2), true);
            msgs.push(m);
        }
        msgs[0].index = Some(0);
        let reply = |id: &str, parent: usize, who: &Person, body: &str, date: i64| MessageInput {
            date: Some(date),
            ..msg(id, Some(parent), who.clone(), "Re: [PATCH] klp", body)
        };
        msgs.push(reply(
            "r1@x",
            1,
            &petr,
            "Looks good.\n\nReviewed-by: Petr M <petr@x>\n",
            10,
        ));
        msgs.push(reply(
            "r2@x",
            2,
            &petr,
            "Otherwise fine. With the updated commit message:\n\nReviewed-by: Petr M <petr@x>\n",
            11,
        ));
        msgs.push(reply(
            "r3@x",
            2,
            &petr,
            "Nit: please rename the helper.\n",
            12,
        ));
        msgs.push(reply(
            "r4@x",
            5,
            &author,
            "Tested-by: Lukas H <lukas@x>\n",
            13,
        ));
        let ana = p("Ana R", "ana@x");
        msgs.push(reply("r5@x", 1, &ana, "Acked-by: Ana R <ana@x>\n", 14));
        msgs.push(reply(
            "r6@x",
            7,
            &ana,
            "Oh, scrap that. I misread the patch.\n",
            15,
        ));
        let c = analyze(&msgs);
        let credited: Vec<String> = c
            .patches
            .iter()
            .map(|p| {
                let t: Vec<String> = p
                    .trailers
                    .iter()
                    .map(|t| format!("{}{}", t.name, if t.conditional { "?" } else { "" }))
                    .collect();
                format!("{}: {}", p.message_id, t.join(" "))
            })
            .collect();
        assert_eq!(credited, ["c@x: ", "1@x: Reviewed-by", "2@x: Reviewed-by?"]);
        let petr = c
            .positions
            .iter()
            .find(|p| p.person.email == "petr@x")
            .unwrap();
        let per: Vec<String> = petr
            .patches
            .iter()
            .map(|s| format!("{} {}", s.patch, s.stance.as_str()))
            .collect();
        assert_eq!(per, ["1@x support", "2@x oppose"]);
        assert_eq!(
            petr.stance,
            Stance::Support,
            "a nit does not undo the review of 1/2"
        );
    }

    #[test]
    fn carried_tags_alternatives_done_and_mangled_addresses() {
        let p = |n: &str, e: &str| Person {
            name: n.into(),
            email: e.into(),
        };
        let (author, nathan, arvind, linus, sedat) = (
            p("Fang Song", "fs@x"),
            p("Nathan C", "nathan@x"),
            p("Arvind S", "arvind@x"),
            p("Linus T", "linus@x"),
            p("Sedat Dilek", "sedat.dilek@gmail.com"),
        );
        let reply =
            |id: &str, parent: usize, who: &Person, subject: &str, body: &str, date: i64| {
                MessageInput {
                    date: Some(date),
                    ..msg(id, Some(parent), who.clone(), subject, body)
                }
            };
        let mut root = msg(
            "p@x",
            None,
            author.clone(),
            "[PATCH v2] fix prefix",
            "Fix it.\n\nReviewed-by: Nathan C <nathan@x>\nSigned-off-by: Fang Song <fs@x>\n---\n",
        );
        root.version = 2;
        let mut alt = reply(
            "alt@x",
            0,
            &arvind,
            "[PATCH] do it differently",
            "Another way.\n",
            3,
        );
        alt.is_reply = false;
        let msgs = vec![
            root,
            reply(
                "n@x",
                0,
                &nathan,
                "Re: [PATCH v2] fix prefix",
                "Cc: stable goes above my tag.\n",
                1,
            ),
            reply(
                "l@x",
                0,
                &linus,
                "Re: [PATCH v2] fix prefix",
                "Done. Thanks,\n",
                2,
            ),
            alt,
            reply(
                "s@x",
                0,
                &sedat,
                "Re: [PATCH v2] fix prefix",
                "Tested-by: Sedat Dilek <sedat.dilek@gmail,com>\n",
                4,
            ),
        ];
        let c = analyze(&msgs);
        let got: Vec<String> = c
            .positions
            .iter()
            .map(|p| {
                let why = p.evidence().map_or("-", |s| s.rule);
                format!("{} {} {}", p.person.email, p.stance.as_str(), why)
            })
            .collect();
        assert_eq!(
            got,
            [
                "fs@x support posted",
                "nathan@x support carried-trailer",
                "linus@x support done",
                "arvind@x neutral -",
                "sedat.dilek@gmail.com support trailer",
            ]
        );
        let credited: Vec<String> = c.patches[0]
            .trailers
            .iter()
            .map(|t| format!("{} {}", t.name, t.person.email))
            .collect();
        assert_eq!(
            credited,
            ["Tested-by sedat.dilek@gmail.com"],
            "carried tags are not credited twice"
        );
    }

    #[test]
    fn one_person_two_addresses_by_full_name_only() {
        let p = |n: &str, e: &str| Person {
            name: n.into(),
            email: e.into(),
        };
        let msgs = vec![
            msg(
                "p@x",
                None,
                p("Arnd Bergmann", "arnd@kernel.org"),
                "[PATCH] fix",
                "Fix.\n",
            ),
            msg(
                "r1@x",
                Some(0),
                p("Arnd Bergmann", "arnd@arndb.de"),
                "Re: [PATCH] fix",
                "Please ignore this patch.\n",
            ),
            msg(
                "r2@x",
                Some(0),
                p("Arnd", "arnd@other.org"),
                "Re: [PATCH] fix",
                "Looks good.\n",
            ),
        ];
        let c = analyze(&msgs);
        let arnd: Vec<&Position> = c
            .positions
            .iter()
            .filter(|p| p.person.name.starts_with("Arnd"))
            .collect();
        assert_eq!(arnd.len(), 2, "the one-word name stays apart");
        assert_eq!(arnd[0].aliases, ["arnd@arndb.de"]);
        assert_eq!(
            arnd[0].stance,
            Stance::Neutral,
            "the author gave the patch up"
        );
    }
}
