//! Pass 3, per-message signals: what each message's own text says (prose
//! rules and trailers), read once before the thread is walked, and how a
//! prose signal takes its stance from the thread at that moment.

use std::collections::HashMap;

use super::anchors::{ids, targets};
use super::identity::{is_bot, same_person};
use super::{MessageInput, Position, Signal};
use crate::message::Person;
use crate::quote::{self, Kind as SegKind};
use crate::stance::{self, Grade, Kind, Rule, Scope, Stance};

/// A conditional signal ("with that fixed, feel free to add my
/// Reviewed-by") supports, unless its giver objects in the same message
/// (the request it waits for): then it waits for the condition and does not
/// override the objection. Offered after an earlier NAK, it is a change of
/// mind: the NAK's points are now a condition.
pub(super) fn hold_if_conditional(signal: &mut Signal, opposed_here: bool) {
    if signal.conditional && opposed_here {
        signal.stance = None;
    }
}

/// The sentence written just before a trailer line, in the paragraph before
/// it (other trailer lines skipped): "With the updated commit message:".
pub(super) fn lead_in(original: &str, trailer_at: usize) -> String {
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

/// What one message's own text says, read before the thread is walked.
pub(super) struct Read {
    /// The original text (quotes, attributions, signatures and diffs left out).
    pub(super) original: String,
    /// Prose rules that matched it.
    pub(super) found: Vec<stance::Found>,
    /// Scope phrases ("for the series", "for 2/5"), by offset.
    pub(super) scopes: Vec<(usize, Scope)>,
    /// Sentences written just under quoted lines of a patch (inline review).
    pub(super) inline: Vec<String>,
}

impl Read {
    pub(super) fn of(body: &str, segments: &[quote::Segment]) -> Read {
        let original = original_of(body, segments);
        let (found, scopes) = stance::read(&original);
        Read {
            original,
            found,
            scopes,
            inline: under_hunks(body, segments),
        }
    }
}

/// The sentences of original text that follow quoted lines of a diff.
fn under_hunks(body: &str, segments: &[quote::Segment]) -> Vec<String> {
    let mut out = Vec::new();
    let mut after_hunk = false;
    for seg in segments {
        match seg.kind {
            SegKind::Quoted { .. } => after_hunk = quotes_a_hunk(seg.text(body)),
            SegKind::Original if after_hunk => {
                out.extend(
                    stance::sentences(seg.text(body))
                        .into_iter()
                        .map(|(_, s)| s),
                );
            }
            SegKind::Original | SegKind::Attribution => {}
            SegKind::Signature | SegKind::Diff => after_hunk = false,
        }
    }
    out
}

/// Quoted lines that are lines of a diff: `> +added`, `> -removed` (code
/// follows the sign at once or after a tab, unlike a "- item" bullet),
/// `> @@ ... @@`. Two such lines, or a hunk header.
fn quotes_a_hunk(quoted: &str) -> bool {
    let mut changed = 0;
    for line in quoted.lines() {
        let rest = line.trim_start_matches(['>', ' ']);
        if rest.starts_with("@@ ") {
            return true;
        }
        let mut chars = rest.chars();
        let sign = chars.next();
        let next = chars.next();
        let code = matches!(sign, Some('+' | '-'))
            && !rest.starts_with("+++")
            && !rest.starts_with("---")
            && next.is_none_or(|c| c == '\t' || !c.is_whitespace());
        changed += usize::from(code);
    }
    changed >= 2
}

/// The original text of a body, segments joined.
pub fn original_text(body: &str) -> String {
    original_of(body, &quote::segment(body))
}

/// [`original_text`] from segments already cut.
pub(super) fn original_of(body: &str, segments: &[quote::Segment]) -> String {
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
pub(super) fn prose_signals(
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
    let has_offer = found.iter().any(|f| f.rule.is_trailer_offer());
    let parent = m.parent.filter(|&p| !msgs[p].ghost);
    let parent_sender = parent.map(|p| msgs[p].from.clone());
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
        let mut agreed_grade = None;
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
                // Agreeing with a named person takes where they stand now,
                // and disagreeing with someone takes the other side of it;
                // agreeing with the message answered takes what it said.
                let theirs = target_person.filter(|&t| t != who).and_then(|t| {
                    if named.is_some() || kind == Kind::Disagree {
                        current.get(&t).copied()
                    } else {
                        // A message that took no stance (a question, an
                        // argument) from someone who blocks the patch:
                        // agreeing with it takes their side.
                        parent
                            .and_then(|p| said_in(&people[t], &msgs[p]))
                            .or_else(|| blocks(&people[t], current.get(&t)))
                    }
                });
                // Only an objection's grade is taken over (and only then
                // looked up: a 100,000-message chain of "Agreed." among
                // people with no stance would scan their signals each time).
                if theirs == Some(Stance::Oppose) {
                    agreed_grade = target_person.and_then(|t| latest_grade(&people[t]));
                }
                match (kind, theirs) {
                    (Kind::Agree, Some(s)) if s != Stance::Neutral => Some(s),
                    (Kind::Disagree, Some(Stance::Support)) => Some(Stance::Oppose),
                    (Kind::Disagree, Some(Stance::Oppose)) => Some(Stance::Support),
                    _ => None,
                }
            }
            _ => kind.stance(),
        };
        let speaker = Speaker {
            author: is_author,
            bot: is_bot(&m.from),
            straight_to_patch: anchor.is_some() && m.parent == anchor,
        };
        let (kind, stance) = speaker.reads(f.rule, kind, stance);
        let stance = if nit_beside_review(f.rule, &people[who], current.get(&who)) {
            None
        } else {
            stance
        };
        out.push((
            f.offset,
            Signal {
                kind,
                message_id: m.message_id.clone(),
                date: m.seconds(),
                evidence: f.evidence,
                target,
                patch: (patches.len() == 1 && scope_name == "patch")
                    .then(|| msgs[patches[0]].message_id.clone()),
                scope: scope_name,
                conditional: f.conditional,
                stance,
                verified: true,
                rule: f.rule,
                grade: grade_of(kind, stance, agreed_grade),
                shown_by: None,
                covers: ids(msgs, &patches),
            },
        ));
    }
    out
}

/// Who says a sentence, as far as it changes what the sentence means.
struct Speaker {
    /// The author of the patch it answers.
    author: bool,
    /// A robot (build bots, CI).
    bot: bool,
    /// It answers the patch itself.
    straight_to_patch: bool,
}

impl Speaker {
    /// What the speaker's place makes of a signal.
    fn reads(&self, rule: Rule, kind: Kind, stance: Option<Stance>) -> (Kind, Option<Stance>) {
        // Authors defending their own work stay supporters: agreeing with
        // a critic or describing the bug the patch fixes ("this breaks
        // zfs") does not make them oppose it; only giving it up does. Nor
        // does an author taking back a problem they reported. Robots
        // report; they take no side.
        if self.bot || self.author && (stance == Some(Stance::Oppose) || rule == Rule::FalseAlarm) {
            return (kind, None);
        }
        // "Please drop this patch" from anyone but its author: a reviewer
        // wants it out.
        if rule == Rule::Abandons && !self.author {
            return (Kind::Objection, Some(Stance::Oppose));
        }
        // "Done." takes the patch only when someone else says it straight
        // to the patch ("will you pick this up?" in its notes).
        if rule == Rule::Done && (self.author || !self.straight_to_patch) {
            return (kind, None);
        }
        (kind, stance)
    }
}

/// A nit after one's own ack or review leaves it standing (one given on a
/// condition still waits for it).
fn nit_beside_review(rule: Rule, p: &Position, now: Option<&Stance>) -> bool {
    rule == Rule::NitRequest
        && now == Some(&Stance::Support)
        && p.signals
            .iter()
            .rev()
            .find(|s| s.stance.is_some())
            .is_some_and(|s| s.stance == Some(Stance::Support) && !s.conditional)
}

/// The stance a person's message `m` took, if it took one. Signals are in
/// date order, so the search stops at the first older than `m`.
fn said_in(p: &Position, m: &MessageInput) -> Option<Stance> {
    p.signals
        .iter()
        .rev()
        .take_while(|s| s.date >= m.seconds())
        .filter(|s| s.message_id == m.message_id)
        .find_map(|s| s.stance)
}

/// Oppose, when a person's stance now is a blocking objection (checked
/// only for those who oppose: the grade is found by a scan).
fn blocks(p: &Position, now: Option<&Stance>) -> Option<Stance> {
    (now == Some(&Stance::Oppose) && latest_grade(p) == Some(Grade::Objects))
        .then_some(Stance::Oppose)
}

/// The grade of the latest signal that took a stance.
fn latest_grade(p: &Position) -> Option<Grade> {
    p.signals
        .iter()
        .rev()
        .find(|s| s.stance.is_some())
        .map(|s| s.grade)
}

/// A signal's grade: its kind's, except that agreement takes the grade of
/// the position agreed with, and disagreement with a supporter objects.
pub(super) fn grade_of(kind: Kind, stance: Option<Stance>, agreed: Option<Grade>) -> Grade {
    match (kind, stance) {
        (_, None) => Grade::Neutral,
        (Kind::Agree | Kind::Disagree, Some(Stance::Support)) => Grade::Approves,
        (Kind::Agree, Some(Stance::Oppose)) => match agreed {
            Some(g @ (Grade::Objects | Grade::RequestsChanges)) => g,
            _ => Grade::RequestsChanges,
        },
        (_, Some(Stance::Neutral)) => Grade::Neutral,
        _ => Grade::of(kind),
    }
}
