//! Pass 4, conversation evidence: a message read with what answered it.
//!
//! Most review is worded as neither "NAK" nor "please change": an
//! observation under a quoted hunk ("This leaks on the error path."), a
//! question ("Why is this needed?"). What shows that it asked for a change
//! is the conversation around it:
//!
//! - the patch's author answers it with a concession ("good catch, will
//!   fix", "you're right, dropped in v2"): the review asked for changes;
//! - the author argues back ("this is intentional", "I disagree"): the
//!   review is an objection the author defends against;
//! - the reviewer's own words sit under quoted lines of the patch, with no
//!   approval, and are not only praise or questions: inline review.
//!
//! This pass finds those for every message before the thread is walked, so
//! that the walk meets them in order and agreement with a reviewer ("+1",
//! "sounds good" under the reviewer's point) takes the reviewer's resolved
//! position. A message that already takes a stance by its own words (a
//! tag, "looks good", "NAK") gets no conversation evidence: its words win.

use super::MessageInput;
use super::identity::{is_bot, same_person};
use super::signals::Read;
use crate::stance::{self, Kind, Rule};

/// A stance a message takes, shown by the conversation around it.
#[derive(Debug, Clone)]
pub(super) struct Evidence {
    /// What it shows.
    pub(super) kind: Kind,
    /// The rule that found it.
    pub(super) rule: Rule,
    /// The chain, quoted: "requested changes: '...'; the author conceded: '...'".
    pub(super) evidence: String,
    /// The reply that shows it (the author's concession or rebuttal).
    pub(super) shown_by: Option<String>,
}

/// Conversation evidence for every message (`out[i]` for `msgs[i]`).
pub(super) fn evidence(
    msgs: &[MessageInput],
    reads: &[Read],
    anchors: &[Option<usize>],
) -> Vec<Option<Evidence>> {
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); msgs.len()];
    for (i, m) in msgs.iter().enumerate() {
        if let Some(p) = m.parent.filter(|&p| p < msgs.len()) {
            children[p].push(i);
        }
    }
    (0..msgs.len())
        .map(|i| of_message(msgs, reads, anchors, &children[i], i))
        .collect()
}

fn of_message(
    msgs: &[MessageInput],
    reads: &[Read],
    anchors: &[Option<usize>],
    children: &[usize],
    i: usize,
) -> Option<Evidence> {
    let m = &msgs[i];
    let anchor = anchors[i].filter(|&a| a != i)?;
    let is_author = |p: &crate::message::Person| {
        same_person(p, &msgs[anchor].from) || same_person(p, &msgs[anchor].author)
    };
    if m.ghost || is_author(&m.from) || is_bot(&m.from) || takes_a_stance(&reads[i]) {
        return None;
    }
    // A concession answers a request or a question, not praise.
    let said = key_sentence(&reads[i]).filter(|s| {
        let asks = |s: &str| s.trim_end().ends_with('?') || asks_for_change(s);
        asks(s) || reads[i].inline.iter().any(|s| asks(s))
    })?;
    let answers = children
        .iter()
        .copied()
        .filter(|&c| !msgs[c].ghost && is_author(&msgs[c].from));
    for c in answers {
        if let Some(yes) = concession(&reads[c]) {
            return Some(Evidence {
                kind: Kind::RequestsChanges,
                rule: Rule::AuthorConceded,
                evidence: format!("requested changes: \"{said}\"; the author conceded: \"{yes}\""),
                shown_by: Some(msgs[c].message_id.clone()),
            });
        }
        if has_statement(&reads[i])
            && let Some(no) = rebuttal(&reads[c])
        {
            return Some(Evidence {
                kind: Kind::RequestsChanges,
                rule: Rule::AuthorRebutted,
                evidence: format!("objected: \"{said}\"; the author argued back: \"{no}\""),
                shown_by: Some(msgs[c].message_id.clone()),
            });
        }
    }
    // Inline review answers the patch itself; hunks quoted again further
    // down a discussion are the discussion's.
    if m.parent != Some(anchor) {
        return None;
    }
    reads[i]
        .inline
        .iter()
        .find(|s| asks_for_change(s))
        .map(|s| Evidence {
            kind: Kind::RequestsChanges,
            // A comment its writer calls a nit weighs as one.
            rule: if is_nit(s) {
                Rule::NitRequest
            } else {
                Rule::InlineReview
            },
            evidence: s.clone(),
            shown_by: None,
        })
}

/// The message's own words take a stance (or carry a review trailer): the
/// conversation adds nothing to them. A conditional trailer offer carries
/// the request itself; "other than that, looks good" leaves the points
/// before it to be read.
fn takes_a_stance(read: &Read) -> bool {
    read.found.iter().any(|f| {
        (!f.conditional || f.rule.is_trailer_offer())
            && (f.kind.stance().is_some() || matches!(f.kind, Kind::Agree | Kind::Disagree))
    }) || read.original.lines().any(|l| {
        crate::trailers::parse_line(l.trim(), 0)
            .is_some_and(|t| Kind::of_trailer(&t.key).stance().is_some())
    })
}

/// The sentence that best shows what a review said: the first written under
/// a quoted hunk, else the first of any length.
fn key_sentence(read: &Read) -> Option<String> {
    read.inline
        .iter()
        .find(|s| words(s) >= 3)
        .cloned()
        .or_else(|| {
            stance::sentences(&read.original)
                .into_iter()
                .map(|(_, s)| s)
                .find(|s| words(s) >= 3 && !is_greeting(s))
        })
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

fn is_greeting(s: &str) -> bool {
    let l = s.trim().to_lowercase();
    l.starts_with("hi ")
        || l.starts_with("hello")
        || l.starts_with("thanks for")
        || l.starts_with("thank you for")
}

/// At least one sentence of the review is not a question.
fn has_statement(read: &Read) -> bool {
    stance::sentences(&read.original)
        .iter()
        .any(|(_, s)| words(s) >= 3 && !s.trim_end().ends_with('?') && !is_greeting(s))
}

const CONCESSIONS: [&str; 52] = [
    "good catch",
    "nice catch",
    "will fix",
    "i'll fix",
    "i will fix",
    "will do",
    "will change",
    "i'll change",
    "will update",
    "i'll update",
    "will rework",
    "i'll rework",
    "will remove",
    "i'll remove",
    "will drop",
    "i'll drop",
    "will rename",
    "i'll rename",
    "will add",
    "i'll add",
    "will split",
    "i'll split",
    "will address",
    "i'll address",
    "will respin",
    "i'll respin",
    "will resend",
    "i'll resend",
    "will send v",
    "will send a v",
    "i'll send v",
    "i'll send a v",
    "fixed in v",
    "done in v",
    "changed in v",
    "addressed in v",
    "dropped in v",
    "in the next version",
    "in the next revision",
    "in the next iteration",
    "in the next spin",
    "in v2",
    "in v3",
    "in v4",
    "for v2",
    "for v3",
    "you're right",
    "you are right",
    "you're correct",
    "you are correct",
    "my bad",
    "i stand corrected",
];

/// The author's reply concedes the point: the sentence that does.
fn concession(read: &Read) -> Option<String> {
    sentence_with(read, &CONCESSIONS, |l| {
        !l.contains("you're right that") && !l.trim_end().ends_with('?') && !l.contains("if you")
    })
}

/// The first sentence of a reply's own text that holds one of `phrases`
/// and passes `keep` (both read in lower case).
fn sentence_with(read: &Read, phrases: &[&str], keep: impl Fn(&str) -> bool) -> Option<String> {
    stance::sentences(&read.original)
        .into_iter()
        .map(|(_, s)| s)
        .find(|s| {
            let l = s.to_lowercase().replace('\u{2019}', "'");
            phrases.iter().any(|p| l.contains(p)) && keep(&l)
        })
}

const REBUTTALS: [&str; 17] = [
    "this is intentional",
    "that's intentional",
    "that is intentional",
    "it's intentional",
    "it is intentional",
    "on purpose",
    "i disagree",
    "i don't agree",
    "i do not agree",
    "i'd rather keep",
    "i would rather keep",
    "i prefer to keep",
    "i'd prefer to keep",
    "i don't think so",
    "that's not the case",
    "that is not the case",
    "that's not true",
];

/// The author's reply argues back: the sentence that does.
fn rebuttal(read: &Read) -> Option<String> {
    sentence_with(read, &REBUTTALS, |_| true)
}

const PRAISE: [&str; 16] = [
    "nice", "good", "great", "fine", "ok", "okay", "right", "agreed", "thanks", "thank", "correct",
    "indeed", "yes", "yep", "neat", "cool",
];

/// Words that make a remark under a hunk a request: what should change,
/// what is wrong with it.
const CUES: [&str; 39] = [
    "should",
    "need",
    "must",
    "please",
    "instead",
    "drop",
    "remove",
    "rename",
    "could use",
    "just use",
    "missing",
    "leak",
    "wrong",
    "broken",
    "typo",
    "unnecessary",
    "not needed",
    "redundant",
    "s/",
    "nit",
    "prefer",
    "don't",
    "doesn't",
    "isn't",
    "no need",
    "better",
    "can be",
    "incorrect",
    "bug",
    "wasteful",
    "pointless",
    "avoid",
    "move ",
    "split",
    "unused",
    "not used",
    "can't",
    "cannot",
    "rather",
];

/// Imperatives a review comment opens with: "Drop the cast."
const IMPERATIVES: [&str; 16] = [
    "drop", "remove", "use", "add", "move", "rename", "make", "fix", "keep", "avoid", "split",
    "put", "replace", "check", "return", "call",
];

/// A sentence under a quoted hunk that asks for a change: a statement (not a
/// question the author may answer as a question), not praise, that says
/// what should change or what is wrong.
fn asks_for_change(s: &str) -> bool {
    let l = s.to_lowercase().replace('\u{2019}', "'");
    let n = words(&l);
    let praise = n <= 6
        && l.split(|c: char| !c.is_alphanumeric())
            .any(|w| PRAISE.contains(&w));
    let first = l.split_whitespace().next().unwrap_or("");
    let cued = CUES.iter().any(|c| l.contains(c)) || IMPERATIVES.contains(&first);
    // "I will drop this.", "I see X but failed to find Y": the reviewer's
    // own plans and observations; "$ make ...", "# comment": pasted text.
    let own_plan = [
        "i will ",
        "i'll ",
        "i see ",
        "i think the above",
        "i tested",
        "i've tested",
    ]
    .iter()
    .any(|p| l.starts_with(p));
    let pasted = l.starts_with(['$', '#', '[', '+', '-']) || l.contains("make -");
    n >= 3
        && !own_plan
        && !pasted
        && cued
        && !praise
        && !l.trim_end().ends_with('?')
        && !l.contains("makes sense")
        && !l.contains("looks good")
        && !is_greeting(s)
}

/// "Nit: ...", "a nitpick": a small request.
fn is_nit(s: &str) -> bool {
    s.to_lowercase()
        .split(|c: char| !c.is_alphanumeric() && c != '-')
        .any(|w| matches!(w, "nit" | "nits" | "nitpick" | "nit-pick" | "nitpicking"))
}
