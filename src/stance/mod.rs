//! Stance in prose: an explainable rule set, sans-IO.
//!
//! [`analyze`] reads what a sender wrote (original text only: the caller
//! passes the original segments of [`crate::quote::segment`]) sentence by
//! sentence and returns [`Found`] signals, each with the sentence that carries
//! it and the name of the rule that fired. Negation, hedging and the known
//! traps ("I don't object", "while I agree ..., but", "if others disagree",
//! an I2C protocol NAK) are handled by the rules themselves; a quoted NAK never
//! reaches here.

use serde::Serialize;

mod cascade;
mod judgements;
mod phrases;
mod rules;
mod sentence;

use cascade::*;
use judgements::*;
use phrases::*;
pub use rules::{PROSE, Row, Rule};
pub use sentence::sentences;
use sentence::*;

/// What a sentence (or trailer) says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// `Acked-by:`, or "feel free to add my Ack".
    AckedBy,
    /// `Reviewed-by:`
    ReviewedBy,
    /// `Tested-by:`
    TestedBy,
    /// `Nacked-by:` and its spellings.
    NackedBy,
    /// "NAK" in prose.
    Nak,
    /// "looks good", "LGTM", "I'm fine with this".
    Approval,
    /// "this is wrong", "I don't think we should".
    Objection,
    /// "please split this", "could you rename".
    RequestsChanges,
    /// "you're correct", "I agree".
    Agree,
    /// "I fail to see why", "let's agree to disagree".
    Disagree,
    /// The author: "good catch, will fix in v3".
    Concedes,
    /// "I withdraw my NAK".
    Withdraws,
    /// "Applied, thanks", "queued".
    Applied,
    /// A question.
    Question,
    /// The author posted the patch or series.
    Posted,
    /// Other person trailers (Reported-by, Suggested-by, Signed-off-by, ...).
    OtherTrailer,
}

impl Kind {
    /// The name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::AckedBy => "acked-by",
            Kind::ReviewedBy => "reviewed-by",
            Kind::TestedBy => "tested-by",
            Kind::NackedBy => "nacked-by",
            Kind::Nak => "nak",
            Kind::Approval => "approval",
            Kind::Objection => "objection",
            Kind::RequestsChanges => "requests-changes",
            Kind::Agree => "agree",
            Kind::Disagree => "disagree",
            Kind::Concedes => "concedes",
            Kind::Withdraws => "withdraws",
            Kind::Applied => "applied",
            Kind::Question => "question",
            Kind::Posted => "posted",
            Kind::OtherTrailer => "trailer",
        }
    }

    /// The stance a signal of this kind takes by itself (agreement takes its
    /// target's; see the consensus engine).
    pub fn stance(self) -> Option<Stance> {
        match self {
            Kind::AckedBy
            | Kind::ReviewedBy
            | Kind::TestedBy
            | Kind::Approval
            | Kind::Applied
            | Kind::Posted => Some(Stance::Support),
            Kind::NackedBy | Kind::Nak | Kind::Objection | Kind::RequestsChanges => {
                Some(Stance::Oppose)
            }
            Kind::Withdraws => Some(Stance::Neutral),
            Kind::Agree | Kind::Disagree | Kind::Concedes | Kind::Question | Kind::OtherTrailer => {
                None
            }
        }
    }

    /// The trailer kind of a trailer key, if it is a review trailer.
    pub fn of_trailer(key: &str) -> Kind {
        match key {
            "acked-by" => Kind::AckedBy,
            "reviewed-by" => Kind::ReviewedBy,
            "tested-by" => Kind::TestedBy,
            "nacked-by" | "nack-by" | "naked-by" | "nak-by" => Kind::NackedBy,
            // Combined trailers as people write them: "Reviewed-and-tested-by".
            k if k.starts_with("reviewed-and-") || k.starts_with("reviewed-") => Kind::ReviewedBy,
            k if k.starts_with("acked-and-") => Kind::AckedBy,
            k if k.starts_with("tested-and-") => Kind::TestedBy,
            _ => Kind::OtherTrailer,
        }
    }
}

/// Where someone stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stance {
    /// For it.
    Support,
    /// Against it, or wants it changed.
    Oppose,
    /// Neither (or no longer either).
    Neutral,
}

impl Stance {
    /// The name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Stance::Support => "support",
            Stance::Oppose => "oppose",
            Stance::Neutral => "neutral",
        }
    }
}

/// How strongly a signal or position weighs, as Gerrit grades votes: beside
/// [`Stance`], which stays as it was, it tells a request for changes (the
/// idea is fine, this version is not) from a blocking objection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Grade {
    /// Tags, "looks good", applied.
    Approves,
    /// Fixable: this version should not go in as it is.
    RequestsChanges,
    /// Blocking: a NAK, the approach is wrong, drop it.
    Objects,
    /// Neither.
    Neutral,
}

impl Grade {
    /// The name used in JSON and on screen.
    pub fn as_str(self) -> &'static str {
        match self {
            Grade::Approves => "approves",
            Grade::RequestsChanges => "requests-changes",
            Grade::Objects => "objects",
            Grade::Neutral => "neutral",
        }
    }

    /// The grade a signal of this kind carries by itself (agreement takes
    /// its target's; see the consensus engine).
    pub fn of(kind: Kind) -> Grade {
        match kind {
            Kind::AckedBy
            | Kind::ReviewedBy
            | Kind::TestedBy
            | Kind::Approval
            | Kind::Applied
            | Kind::Posted => Grade::Approves,
            Kind::NackedBy | Kind::Nak | Kind::Objection | Kind::Disagree => Grade::Objects,
            Kind::RequestsChanges => Grade::RequestsChanges,
            Kind::Agree
            | Kind::Concedes
            | Kind::Withdraws
            | Kind::Question
            | Kind::OtherTrailer => Grade::Neutral,
        }
    }
}

/// Which patches a statement is about, when the prose says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scope {
    /// "for the series", "for all patches".
    Series,
    /// "for patches 1-3", "for 2/5 and 4/5", "patch 2".
    Patches(Vec<u32>),
}

/// One signal found in prose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Found {
    /// What it says.
    pub kind: Kind,
    /// The sentence that says it.
    pub evidence: String,
    /// The rule that fired (for explanations and tests).
    pub rule: Rule,
    /// "with that fixed, feel free to add my Reviewed-by".
    pub conditional: bool,
    /// Patches the sentence names, if any.
    pub scope: Option<Scope>,
    /// A person the sentence names as the one agreed or disagreed with
    /// ("I agree with Tom"): the name as written.
    pub target_name: Option<String>,
    /// Byte offset of the sentence in the text given to [`analyze`].
    pub offset: usize,
}

/// Analyzes what a sender wrote. `text` is original text only.
pub fn analyze(text: &str) -> Vec<Found> {
    read(text).0
}

/// [`analyze`], and where in `text` each scope phrase ("for the series",
/// "for 2/5") starts: trailers below a scope phrase take its scope.
pub fn read(text: &str) -> (Vec<Found>, Vec<(usize, Scope)>) {
    let mut out = Vec::new();
    let mut scopes = Vec::new();
    let mut scope: Option<Scope> = None;
    for (offset, sentence) in sentences(text) {
        // Emphasis (*word*) is read as the word.
        let lower = Hay::new(sentence.to_lowercase().replace('’', "'").replace('*', ""));
        // Scope phrases carry over to the sentences and trailers after them.
        if let Some(s) = read_scope(&lower) {
            scopes.push((offset, s.clone()));
            scope = Some(s);
        }
        // Trailer lines are read by the trailer reader, not here.
        if crate::trailers::parse_line(&sentence, 0).is_some() {
            continue;
        }
        let s = Sentence::new(sentence, lower);
        if let Some(hit) = CASCADE.iter().find_map(|rule| rule(&s)) {
            out.push(Found {
                kind: hit.kind,
                evidence: s.text,
                rule: hit.rule,
                conditional: hit.conditional,
                scope: scope.clone(),
                target_name: hit.target_name,
                offset,
            });
        }
    }
    // A mail that calls its request a nit makes its other requests nits too
    // (the quoted style rule after "A nitpick, but could you ...").
    if out.iter().any(|f| f.rule == Rule::NitRequest) {
        for f in out.iter_mut().filter(|f| f.kind == Kind::RequestsChanges) {
            f.rule = Rule::NitRequest;
        }
    }
    (out, scopes)
}

/// The lead-in written just before a trailer line makes it conditional:
/// "With the updated commit message:", "With the comments addressed, you
/// can add:", "Once that is fixed:".
pub fn conditional_lead(lead: &str) -> bool {
    let lower = lead.trim().to_lowercase().replace('’', "'");
    if lower.is_empty() {
        return false;
    }
    CONDITIONS.iter().any(|c| lower.contains(c))
        || lower.ends_with(':')
            && (lower.starts_with("with ")
                || lower.starts_with("once ")
                || lower.starts_with("if "))
            && ![
                "with this patch",
                "with your patch",
                "with this applied",
                "with the patch",
            ]
            .iter()
            .any(|p| lower.starts_with(p))
}

/// "for the series", "for patches 1-3", "for 2/5 and 4/5", "for patch 2".
pub fn read_scope(lower: &str) -> Option<Scope> {
    // Every scope below names a series, a set, "all", a patch or a counter
    // ("2/5"); most sentences have none of them.
    if !any_phrase(lower, &["series", "set", "all ", "patch", "/"]) {
        return None;
    }
    // "feel free to add my Reviewed-by to that patch": one patch, unnamed;
    // not the series the message answers.
    if any_phrase(
        lower,
        &["to that patch", "for that patch", "to that one patch"],
    ) {
        return Some(Scope::Patches(Vec::new()));
    }
    if any_phrase(
        lower,
        &[
            "for the series",
            "for the whole series",
            "for the entire series",
            "for all patches",
            "for the set",
            "for the whole set",
            "whole series",
            "entire series",
            "for all of them",
        ],
    ) {
        return Some(Scope::Series);
    }
    // "for patch 2", "for patches 1-3", "about patch 2", "for 2/5 and 4/5",
    // or a sentence that starts with them ("Patches 1-3 look good"). A patch
    // merely mentioned ("uses the helper from patch 1") is not a scope.
    let introduced = |at: usize| {
        let before = lower[..at].trim_end();
        at == 0
            || ["for", "about", "on", "to", "with"].iter().any(|w| {
                before.ends_with(w)
                    && !before[..before.len() - w.len()]
                        .chars()
                        .next_back()
                        .is_some_and(char::is_alphanumeric)
            })
    };
    let mut numbers: Vec<u32> = Vec::new();
    let mut found = false;
    for (i, _) in lower.match_indices("patch") {
        if introduced(i) {
            found = true;
            numbers.extend(numbers_after(&lower[i..]));
        }
    }
    for word in lower.split(|c: char| c.is_whitespace() || c == ',') {
        // `word` is a slice of `lower`: its position is its start.
        let word_at = word.as_ptr() as usize - lower.as_ptr() as usize;
        if let Some((a, b)) = word.split_once('/') {
            let (a, b) = (
                a.trim_matches(|c: char| !c.is_ascii_digit()),
                b.trim_matches(|c: char| !c.is_ascii_digit()),
            );
            if let (Ok(a), Ok(_)) = (a.parse::<u32>(), b.parse::<u32>()) {
                // "for 2/5 and 4/5": the first counter must be introduced; the rest follow it.
                if found || introduced(word_at) {
                    found = true;
                    numbers.push(a);
                }
            }
        }
    }
    numbers.sort_unstable();
    numbers.dedup();
    (found && !numbers.is_empty() && numbers.iter().all(|&n| n > 0 && n < 1000))
        .then_some(Scope::Patches(numbers))
}

/// Numbers right after "patch"/"patches": "1-3", "1, 2 and 4", "#2".
pub(super) fn numbers_after(s: &str) -> Vec<u32> {
    let rest = s.trim_start_matches(|c: char| c.is_alphabetic());
    let mut out = Vec::new();
    let words = rest
        .split(|c: char| c.is_whitespace() || c == ',' || c == ':' || c == '#')
        .filter(|w| !w.is_empty());
    for w in words {
        let w = w.trim_end_matches(['.', ')', ';']);
        if let Some((a, b)) = w.split_once('-') {
            if let (Ok(a), Ok(b)) = (a.parse::<u32>(), b.parse::<u32>())
                && a <= b
                && b - a < 100
            {
                out.extend(a..=b);
                continue;
            }
            break;
        } else if let Ok(n) = w.split('/').next().unwrap_or(w).parse::<u32>() {
            out.push(n);
        } else if w == "and" || w == "&" || w == "to" {
            continue;
        } else {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests;
