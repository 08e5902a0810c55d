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

mod rules;
pub use rules::{PROSE, Row, Rule};

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

/// Splits text into sentences: paragraphs joined across line breaks, then cut
/// after `.`, `?` or `!`. Trailer-like lines stay sentences of their own.
/// Returns (offset, sentence).
pub fn sentences(text: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut start = 0;
    let mut offset = 0;
    let flush = |current: &mut String, start: usize, out: &mut Vec<(usize, String)>| {
        let s = current.trim();
        if !s.is_empty() {
            out.push((start, s.to_string()));
        }
        current.clear();
    };
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim();
        let is_trailer = crate::trailers::parse_line(trimmed, 0).is_some();
        let ends_block = trimmed.is_empty() || is_trailer || trimmed.ends_with(':');
        if trimmed.is_empty() || is_trailer {
            flush(&mut current, start, &mut out);
            if is_trailer {
                out.push((offset, trimmed.to_string()));
            }
            offset += line.len();
            start = offset;
            continue;
        }
        if current.is_empty() {
            start = offset + (line.len() - line.trim_start().len());
        } else {
            current.push(' ');
        }
        // Cut after sentence ends inside the line.
        let mut rest = trimmed;
        while let Some(pos) = sentence_end(rest) {
            current.push_str(&rest[..=pos]);
            flush(&mut current, start, &mut out);
            rest = rest[pos + 1..].trim_start();
            // `rest` is a slice of `line`: its position is its start.
            start = offset + (rest.as_ptr() as usize - line.as_ptr() as usize);
        }
        current.push_str(rest);
        if ends_block {
            flush(&mut current, start, &mut out);
        }
        offset += line.len();
    }
    flush(&mut current, start, &mut out);
    out
}

/// Index of a sentence-ending `.`, `?` or `!` followed by a space (not in
/// "e.g. x", "v2.1", "etc. and").
fn sentence_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    for i in 0..b.len() {
        if b[i] == b';' && b.get(i + 1) == Some(&b' ') {
            return Some(i);
        }
        if matches!(b[i], b'.' | b'?' | b'!') && b.get(i + 1) == Some(&b' ') {
            let word_start = s[..i].rfind(' ').map_or(0, |p| p + 1);
            let word = &s[word_start..i];
            if ["e.g", "i.e", "etc", "vs", "cf", "approx"]
                .contains(&word.to_ascii_lowercase().as_str())
            {
                continue;
            }
            if b.get(i + 2)
                .is_some_and(|c| c.is_ascii_uppercase() || !c.is_ascii_alphabetic())
            {
                return Some(i);
            }
        }
    }
    None
}

/// A lower-cased sentence with a bitmap of the byte trigrams in it. The
/// rules ask hundreds of "does it contain this phrase" questions of every
/// sentence and nearly all answers are no; the bitmap gives most of those
/// answers without searching (a phrase one of whose trigrams is missing
/// cannot be there). Derefs to the text for everything else.
#[derive(Clone)]
struct Hay {
    text: String,
    grams: Box<[u64; GRAM_WORDS]>,
}

/// Bitmap size: 2^14 bits keeps the map sparse even for a pasted
/// thousand-character log line, where a smaller map fills up and stops
/// answering no.
const GRAM_BITS: u32 = 14;
const GRAM_WORDS: usize = 1 << (GRAM_BITS - 6);

impl Hay {
    fn new(text: String) -> Hay {
        let mut grams = Box::new([0u64; GRAM_WORDS]);
        for w in text.as_bytes().windows(3) {
            let h = Hay::gram(w);
            grams[h / 64] |= 1 << (h % 64);
        }
        Hay { text, grams }
    }

    /// The bit of a trigram: the top bits of a multiplicative hash.
    fn gram(w: &[u8]) -> usize {
        (u32::from_le_bytes([w[0], w[1], w[2], 0]).wrapping_mul(0x9E37_79B1) >> (32 - GRAM_BITS))
            as usize
    }

    /// Whether the sentence contains any of `phrases`.
    fn contains_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.contains(p))
    }

    /// Whether the sentence contains `phrase` (the same answer as
    /// `str::contains`, faster when it is no).
    fn contains(&self, phrase: &str) -> bool {
        let absent = phrase.as_bytes().windows(3).any(|w| {
            let h = Hay::gram(w);
            self.grams[h / 64] & (1 << (h % 64)) == 0
        });
        !absent && self.text.contains(phrase)
    }
}

impl std::ops::Deref for Hay {
    type Target = str;
    fn deref(&self) -> &str {
        &self.text
    }
}

fn has_word(hay: &str, word: &str) -> bool {
    hay.match_indices(word).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
    })
}

fn any_phrase(hay: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| hay.contains(p))
}

fn any_word(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| has_word(hay, w))
}

/// Words that make "NAK" a protocol term, not a review verdict.
const PROTOCOL: [&str; 16] = [
    "i2c",
    "smbus",
    "nak bit",
    "ack bit",
    "device",
    "slave",
    "master",
    "bus",
    "transfer",
    "returns",
    "received",
    "receives",
    "sends",
    "signaled",
    "signalled",
    "ack/nak",
];

const HEDGES: [&str; 7] = [
    "maybe", "perhaps", "might", "not sure", "i wonder", "possibly", "probably",
];

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

/// What a maintainer's sentence taking the patch opens with, after
/// "thanks,", "yes," and the like: "applied", "queued up", "I've applied".
const TAKES: [&str; 17] = [
    "applied",
    "queued",
    "picked up",
    "i've applied",
    "i have applied",
    "i applied",
    "i've queued",
    "i queued",
    "i've picked",
    "i picked",
    "i've merged",
    "i merged",
    "i've taken",
    "i took",
    "merged to",
    "now applied",
    "pushed to",
];

/// Words before the verb that do not change what the sentence says.
const INTERJECTIONS: [&str; 9] = [
    "thanks",
    "thank you",
    "yes",
    "okay",
    "ok",
    "great",
    "groovy",
    "nice",
    "good",
];

/// A maintainer takes the patch: "Applied, thanks", "Thanks queued up",
/// "Yes, applied now", "I fixed those, squashed, and pushed".
fn takes_the_patch(lower: &str) -> bool {
    let mut lead = lower.trim_start();
    while let Some(word) = INTERJECTIONS.iter().find(|w| lead.starts_with(*w)) {
        lead = lead[word.len()..].trim_start_matches([',', '!', '.', ' ', ';', '-']);
    }
    TAKES.iter().any(|t| lead.starts_with(t))
        // "I fixed it up and applied to linux-kbuild/fixes."
        || [
            "and applied to ",
            "and applied it to ",
            "and queued it",
            "and queued to ",
            "and pushed",
            "merged and pushed",
            "pushed to modules-next",
            "pushed onto modules-next",
            "pushed it to ",
            "pushed this to ",
            "pushed this onto ",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// Harsh verdicts on the patch: they block it.
const HARSH: [&str; 16] = [
    "is a terrible hack",
    "is an ugly hack",
    "is a horrible hack",
    "is a gross hack",
    "like a terrible hack",
    "like a hack",
    "with this hack",
    "too whack",
    "won't be able to apply",
    "i can't apply this",
    "i cannot apply this",
    "i won't apply this",
    "i'm not going to apply",
    "i am not going to apply",
    "don't paper over",
    "not appropriate",
];

/// Questions that doubt the patch as it is.
const DOUBTS: [&str; 16] = [
    "what am i missing",
    "am i missing something",
    "why is this needed",
    "why is this necessary",
    "why is that needed",
    "why do we need this",
    "why do we need to",
    "why would we want",
    "what's the point",
    "what is the point",
    "is this really needed",
    "is this really necessary",
    "do we really need",
    "why bother",
    "how is this better",
    "what problem does this solve",
];

/// Another way proposed instead of what the patch does.
const OTHERWISE: [&str; 44] = [
    "why not just",
    "why not use",
    "why don't you just",
    "why don't we just",
    "can't you just",
    "couldn't you just",
    "can't we just",
    "couldn't we just",
    "just remove it",
    "just drop it",
    "what if you use",
    "what if you just",
    "how about using",
    "what about using",
    "would be better to",
    "would be cleaner to",
    "would be simpler to",
    "would be simplest",
    "it'd be better to",
    "a better approach",
    "a better solution",
    "a better way",
    "there is no need to",
    "there's no need to",
    "no need for this",
    "this is not needed",
    "is unnecessary",
    "is wasteful",
    "is pointless",
    "i'd rather see",
    "you'd be better off",
    "would be better off",
    "couldn't we do",
    "can't we do",
    "shouldn't this be",
    "shouldn't it be",
    "don't we need to",
    "it would be good to have",
    "it would be nice to have",
    "it'd be nice if you",
    "it would be nice if you",
    "i'd actually prefer",
    "i would prefer",
    "i'd much prefer",
];

/// A harsh verdict (blocking), a doubting question or another way proposed
/// (requests changes): the kind and the rule.
fn critical(lower: &Hay) -> Option<(Kind, Rule)> {
    if lower.contains_any(&HARSH) {
        return Some((Kind::Objection, Rule::Harsh));
    }
    if lower.contains_any(&DOUBTS) {
        return Some((Kind::RequestsChanges, Rule::CriticalQuestion));
    }
    if lower.contains_any(&OTHERWISE) || lower.trim_end().ends_with(", no?") {
        return Some((Kind::RequestsChanges, Rule::SuggestsOtherwise));
    }
    None
}

/// Verdicts that the patch is wrong.
const VERDICTS: &[&str] = &[
    "this is wrong",
    "that is wrong",
    "that's wrong",
    "this is broken",
    "is not correct",
    "isn't correct",
    "is incorrect",
    "this breaks",
    "this will break",
    "will break",
    "breaks the",
    "i don't think we should",
    "i do not think we should",
    "i don't think this should",
    "i don't think it should",
    "i don't think this change belongs",
    "i don't think this belongs",
    "i don't think it belongs",
    "i do not think this belongs",
    "we should not",
    "we shouldn't",
    "i object",
    "i'm against",
    "i am against",
    "not acceptable",
    "unacceptable",
    "doesn't work",
    "does not work",
    "is buggy",
    "this is a regression",
    "shouldn't be merged",
    "should not be merged",
    "not be merged",
    "doesn't look right",
    "does not look right",
    "not ok",
    "not okay",
    "is bogus",
    "is broken",
    "never worked",
    "silently broke",
    "this change broke",
    "this commit broke",
    "this patch broke",
    "my objection",
    "non-starter",
    "hell no",
    "not the right fix",
    "not the right approach",
    "not the right way",
    "not the right solution",
    "don't think this is the right",
    "do not think this is the right",
    "don't think it's the right",
    "don't think it is the right",
    "do not think it is the right",
    "don't think that's the right",
    "do not think that is the right",
    "isn't the right",
    "rather than applying this",
    "instead of applying this",
    "share the same concern",
    "share your concern",
    "share this concern",
    "nonstarter",
    "not a big fan",
    "not a fan of",
    "patch is wrong",
    "series is wrong",
    "change is wrong",
    "approach is wrong",
    "commit is wrong",
    "is not the right thing",
    "should be rejected",
    "not going to work",
    "is not needed at all",
    "change is not needed",
    "changes is not needed",
    "changes are not needed",
    "patch is not needed",
    "understand why this is needed",
    "i'm not convinced",
    "i am not convinced",
    "spotted a bug",
    "spotted a small bug",
    "i found a bug",
    "there's a bug in",
    "there is a bug in",
];

/// "The build fails", a compiler's error line: the patch does not build
/// (not "without this patch the build fails").
const BUILD_BREAKS: &[&str] = &[
    "fails to build",
    "failed to build",
    "build fails",
    "build failure",
    "fails to compile",
    "doesn't compile",
    "does not compile",
    "doesn't build",
    "does not build",
    "fails to boot",
    "fails to pass",
];

/// "I don't think it is appropriate": what the patch does is doubted as
/// a whole. Built from its parts: [`dont_think`].
const THINK_NOT: [&str; 3] = ["i don't think ", "i do not think ", "i dont think "];
const THINK_WHAT: [&str; 7] = [
    "it is ",
    "it's ",
    "this is ",
    "that is ",
    "that's ",
    "this change is ",
    "this patch is ",
];
const THINK_VERDICT: [&str; 4] = ["appropriate", "a good idea", "correct", "right"];

/// "I don't think this is appropriate"; "I don't think this change is
/// needed" (not "I don't think that's needed", an answer to the author's
/// "should I add a Fixes: tag?").
fn dont_think(lower: &str) -> bool {
    THINK_NOT.iter().any(|n| {
        lower.match_indices(n).any(|(i, _)| {
            let rest = &lower[i + n.len()..];
            THINK_WHAT.iter().any(|w| {
                rest.strip_prefix(w).is_some_and(|v| {
                    THINK_VERDICT.iter().any(|t| v.starts_with(t))
                        || w.ends_with("change is ") && v.starts_with("needed")
                        || w.ends_with("patch is ") && v.starts_with("needed")
                })
            })
        })
    })
}

/// "Doing this as a config option makes no sense": about the patch
/// (this, you, the change), not a statement.
fn makes_no_sense(lower: &Hay) -> bool {
    lower.contains_any(&[
        "makes no sense",
        "make no sense",
        "doesn't make sense",
        "does not make sense",
        "doesn't make any sense",
        "does not make any sense",
    ]) && lower.contains_any(&["this", "you", "patch", "change"])
        && !lower.ends_with('?')
}

/// The patch breaks the build, said by someone who built it.
fn build_breaks(lower: &Hay) -> bool {
    lower.contains_any(BUILD_BREAKS)
        && !lower.contains_any(&[
            "without this",
            "without the patch",
            "before this",
            "was fixed",
        ])
}

/// Reports that the patch causes a regression.
const REGRESSIONS: &[&str] = &[
    "reverting this patch fixes",
    "reverting the patch fixes",
    "reverting it fixes",
    "reverting this commit fixes",
    "caused by this patch",
    "this patch causes",
    "bisected to this",
    "bisected it to this",
    "this is a regression",
    "this is a clear regression",
    "this is a serious regression",
    "noticed a regression",
    "found a regression",
    "see a regression",
    "there is a regression",
    "there's a regression",
    "causes a regression",
    "introduces a regression",
];

/// Approval of the patch.
const APPROVALS: &[&str] = &[
    "looks good",
    "look good",
    "lgtm",
    "looks fine",
    "looks ok",
    "looks okay",
    "looks correct",
    "looks right",
    "i'm fine with",
    "i am fine with",
    "fine by me",
    "fine with me",
    "that works for me",
    "this works for me",
    "worth pursuing",
    "i like this",
    "i like the idea",
    "i like it",
    "good to go",
    "ship it",
    "no objection",
    "i don't object",
    "i do not object",
    "have no objection",
    "nice cleanup",
    "nice work",
    "good work",
    "thanks for doing this",
    "great work",
    "pretty awesome",
    "is awesome",
    "much needed",
    "really nice",
    "very nice",
    "great idea",
    "good idea",
    "nice improvement",
    "sgtm",
    "looks neat",
    "not want to block",
    "don't want to block",
    "won't block",
    "i will pick up",
    "i'll pick up",
    "i will pick it up",
    "i'll pick it up",
    "i can pick it up",
    "ready to pick it up",
    "ready to pick up",
    "ready to pick this up",
    "looks sane",
    "seems sane",
    "sounds good to me",
    "i'm ok with",
    "i am ok with",
    "i'm okay with",
    "i am okay with",
    "good enough",
    "this is all good",
    "that is all good",
    "it's all good",
    "so far, so good",
    "i can apply this",
    "i can apply it",
    "i can pick this",
    "i can take this",
    "happy to queue",
    "happy to take this",
    "happy to take it",
    "happy to apply",
    "happy to pick",
];

/// One sentence as the rules read it.
struct Sentence {
    /// As written.
    text: String,
    /// Lower case, curly apostrophes straightened, emphasis dropped.
    lower: Hay,
    /// The part that decides: after "but" in "while I agree ..., but ...".
    main: Hay,
    /// Hedged: "maybe", "I'm not sure".
    hedged: bool,
    /// A condition: "with that fixed".
    conditional_clause: bool,
    /// A conditional clause that carries no stance: "if others disagree".
    iffy: bool,
    /// The sentence opens with agreement that "but" then limits.
    limited_agreement: bool,
    /// "I don't object", "nothing wrong".
    not_objecting: bool,
}

impl Sentence {
    fn new(text: String, lower: Hay) -> Sentence {
        let hedged = HEDGES.iter().any(|h| lower.contains(h));
        let conditional_clause = CONDITIONS.iter().any(|c| lower.contains(c));
        // Conditional clauses ("if others disagree") carry no stance.
        let iffy = lower.contains_any(&[
            "if others",
            "if anyone",
            "if you disagree",
            "unless you",
            "unless someone",
            "if somebody",
            "if someone",
            "in case you",
        ]);

        // "while I agree ..., but ...": the part after "but" decides.
        let (limited_agreement, main) = match lower.split_once(" but ") {
            Some((a, b))
                if a.contains("agree") || a.starts_with("while") || a.starts_with("although") =>
            {
                (true, Hay::new(b.to_string()))
            }
            _ => (false, lower.clone()),
        };

        let not_objecting = lower.contains_any(&[
            "i don't object",
            "i do not object",
            "no objection",
            "not object",
            "don't have any objection",
            "have no objection",
            // "I don't think this is wrong."
            "don't think this is wrong",
            "do not think this is wrong",
            "don't think it is wrong",
            "don't think it's wrong",
            "nothing wrong",
        ]);
        Sentence {
            text,
            lower,
            main,
            hedged,
            conditional_clause,
            iffy,
            limited_agreement,
            not_objecting,
        }
    }
}

/// What a rule found in a sentence.
struct Hit {
    kind: Kind,
    rule: Rule,
    conditional: bool,
    target_name: Option<String>,
}

impl Hit {
    fn new(kind: Kind, rule: Rule, conditional: bool, target_name: Option<String>) -> Hit {
        Hit {
            kind,
            rule,
            conditional,
            target_name,
        }
    }
}

/// The prose rules in the order they are tried; the first that fires on a
/// sentence decides it. Their names and examples are in [`PROSE`].
const CASCADE: [fn(&Sentence) -> Option<Hit>; 17] = [
    trailer_offer,
    gives_up,
    bare_ack,
    done,
    retracts,
    false_alarm,
    withdraws,
    maintainer_decision,
    nak,
    disagrees,
    objects,
    critical_rule,
    requests,
    approves,
    concedes,
    agrees,
    asks,
];

/// Offers of a trailer in prose: "feel free to add my Reviewed-by".
fn trailer_offer(s: &Sentence) -> Option<Hit> {
    let (lower, conditional_clause) = (&s.lower, s.conditional_clause);
    // Offers of a trailer in prose: "feel free to add my Reviewed-by".
    let offer = lower.contains_any(&[
        "feel free to add",
        "you can add",
        "you may add",
        "please add my",
        "add my",
        "consider this",
        "free to add",
    ]);
    if offer {
        let kind = if lower.contains("review") {
            Some(Kind::ReviewedBy)
        } else if lower.contains("tested") || lower.contains("tested-by") {
            Some(Kind::TestedBy)
        } else if has_word(lower, "ack") || lower.contains("acked") || lower.contains("ack-by") {
            Some(Kind::AckedBy)
        } else {
            None
        };
        if let Some(kind) = kind {
            return Some(Hit::new(
                kind,
                if conditional_clause {
                    Rule::ConditionalTrailerOffer
                } else {
                    Rule::TrailerOffer
                },
                conditional_clause,
                None,
            ));
        }
    }

    None
}

/// An author giving a patch up.
fn gives_up(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // An author giving a patch up.
    if lower.contains_any(&[
        "please ignore this patch",
        "please drop this patch",
        "please disregard this patch",
        "part of my local",
        "my local build setup",
        "my local setup",
        "not needed after all",
        "no longer needed",
        "i'll drop this patch",
        "i will drop this patch",
        "keep it in my own tree",
        "keep it in my tree",
        "self-nak",
        "self nak",
        "nak myself",
        "let's drop this patch",
        "let's drop this one",
        "i withdraw this patch",
        "i withdraw this series",
        "i withdraw the patch",
        "i retract this patch",
        "i retract this series",
        "let's forget about this",
        "forget about this patch",
    ]) {
        return Some(Hit::new(Kind::Withdraws, Rule::Abandons, false, None));
    }

    None
}

/// A bare "Ack." from a reviewer.
fn bare_ack(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // A bare "Ack." from a reviewer is approval (an author's "Ack."
    // acknowledges a review point; the engine ignores it for authors).
    if ["ack", "ack.", "acked", "acked.", "ack!"].contains(&lower.trim()) {
        return Some(Hit::new(Kind::Approval, Rule::BareAck, false, None));
    }

    None
}

/// "Done. Thanks," answering "will you pick this up?".
fn done(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // "Done. Thanks," answering "will you pick this up?": the engine
    // keeps it only in a direct reply to the patch.
    if [
        "done.",
        "done",
        "done, thanks.",
        "done, thanks",
        "done. thanks,",
        "done. thanks.",
        "done, thanks!",
    ]
    .contains(&lower.trim())
    {
        return Some(Hit::new(Kind::Applied, Rule::Done, false, None));
    }

    None
}

/// Taking back one's own trailer.
fn retracts(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // Taking back one's own trailer: "Oh, scrap that. I misread".
    if lower.contains_any(&[
        "scrap that",
        "scratch that",
        "disregard my ack",
        "disregard my review",
        "ignore my ack",
        "ignore my review",
        "ignore my tested-by",
        "retract my ack",
        "retract my review",
        "withdraw my ack",
        "withdraw my review",
        "withdraw my tested-by",
    ]) {
        return Some(Hit::new(
            Kind::Withdraws,
            Rule::RetractsTrailer,
            false,
            None,
        ));
    }

    None
}

/// A problem report taken back.
fn false_alarm(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // A problem report taken back: "Sorry for the noise, this looks
    // to be an issue in my toolchain."
    if lower.contains("false alarm")
        || lower.contains("sorry for the noise")
            && lower.contains_any(&[
                "issue",
                "problem",
                "my setup",
                "my mistake",
                "my fault",
                "my bad",
                "unrelated",
                "not related",
            ])
    {
        return Some(Hit::new(Kind::Withdraws, Rule::FalseAlarm, false, None));
    }

    None
}

/// Withdrawals of a NAK or objection.
fn withdraws(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // Withdrawals.
    if lower.contains_any(&[
        "withdraw my",
        "retract my",
        "drop my nak",
        "drop my objection",
        "my nak is withdrawn",
        "consider my nak",
        "i no longer object",
        "rescind my",
    ]) {
        return Some(Hit::new(Kind::Withdraws, Rule::Withdraw, false, None));
    }

    None
}

/// A maintainer taking the patch, or holding it back.
fn maintainer_decision(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // Maintainer decisions.
    let applied_negated = [
        "not applied",
        "doesn't apply",
        "does not apply",
        "didn't apply",
        "failed to apply",
        "can't apply",
        "cannot apply",
        "won't apply",
        "not apply",
        "before it can be applied",
        "applied on top",
        "applies cleanly",
        // Applied locally to try it: "I applied your patch and added -v".
        "applied your patch and",
        "applied the patch and",
        "applied this patch and",
        "applied it locally",
        "applied locally",
    ]
    .iter()
    .any(|p| lower.contains(p));
    if !applied_negated && takes_the_patch(lower) {
        return Some(Hit::new(Kind::Applied, Rule::Applied, false, None));
    }
    // "I'll hold off on reviewing until Monday" holds nothing back.
    if !lower.contains("hold off")
        && lower.contains_any(&[
            "i'll hold",
            "i will hold",
            "won't merge",
            "will not merge",
            "not going to merge",
            "not merging this",
            "i'll drop this series",
            "i will drop this series",
            "i'll drop this from",
            "i will drop this from",
        ])
    {
        return Some(Hit::new(
            Kind::Objection,
            Rule::MaintainerHolds,
            false,
            None,
        ));
    }

    None
}

/// A NAK in prose, unless it is a protocol NAK or negated.
fn nak(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // NAK in prose, unless it is a protocol NAK or negated.
    let nak = (lower.contains("nak") || lower.contains("nack"))
        && any_word(
            lower,
            &["nak", "nack", "naked", "nacked", "nak'd", "nack'd"],
        );
    if nak
        && !any_word(lower, &PROTOCOL)
        && !lower.contains("not a nak")
        && !lower.contains("no nak")
        && !lower.contains("without a nak")
    {
        return Some(Hit::new(Kind::Nak, Rule::NakProse, false, None));
    }

    None
}

/// Disagreement with the person replied to.
fn disagrees(s: &Sentence) -> Option<Hit> {
    let (main, iffy) = (&s.main, s.iffy);
    // Disagreement with the person replied to.
    if !iffy
        && main.contains_any(&[
            "i fail to see",
            "agree to disagree",
            "i disagree",
            "i don't agree",
            "i do not agree",
            "you're wrong",
            "you are wrong",
            "that's not true",
            "that is not true",
            "i'm not convinced",
            "i am not convinced",
            "not convinced",
            "i don't buy",
            "i don't see why",
            "i do not see why",
            "that's not how",
        ])
    {
        return Some(Hit::new(Kind::Disagree, Rule::Disagree, false, None));
    }

    None
}

/// Objections: "this is wrong", "this breaks", problem reports.
fn objects(s: &Sentence) -> Option<Hit> {
    let (main, hedged, iffy, not_objecting) = (&s.main, s.hedged, s.iffy, s.not_objecting);
    // Objections and requests for changes.
    let objection = main.contains_any(VERDICTS) || reports_problem(main)
        || dont_think(main)
        || makes_no_sense(main)
        || build_breaks(main)
        || main.contains_any(REGRESSIONS)
        || main.contains("none of") && main.contains(" work")
        // "This is worrying", "I am more concerned with people getting
        // errors"; not "I'm not worried about that".
        || main.contains_any(&[
            "this is worrying",
            "that is worrying",
            "this is concerning",
            "that is concerning",
            "i'm worried",
            "i am worried",
            "i'm concerned",
            "i am concerned",
            "i'm more concerned",
            "i am more concerned",
            "my main concern",
            "my concern is",
        ]) && !main.contains_any(&[
            "not worried",
            "not concerned",
            "not too worried",
            "less concerned",
            "no concern",
            "not that concerned",
        ]);
    // A bug the reply found that is not the patch's: "Also I found
    // another bug", "an unrelated issue", "a pre-existing problem".
    let objection = objection
        && !main.contains_any(&[
            "another bug",
            "unrelated",
            "separate issue",
            "separate problem",
            "different issue",
            "pre-existing",
            "preexisting",
            "existing bug",
            "not caused by this",
            "independent of this patch",
        ]);
    // "Please don't add ...": an objection to something the patch does;
    // "please do not record the commit ID" is not.
    const CODE_VERBS: [&str; 16] = [
        "add",
        "use",
        "change",
        "introduce",
        "merge",
        "apply",
        "put",
        "break",
        "remove",
        "include",
        "export",
        "hardcode",
        "duplicate",
        "touch",
        "mix",
        "do this",
    ];
    let dont = ["please don't ", "please do not "]
        .iter()
        .find_map(|p| main.find(p).map(|i| &main[i + p.len()..]));
    let objection =
        objection || dont.is_some_and(|rest| CODE_VERBS.iter().any(|v| rest.starts_with(v)));
    // "Won't this regress LLD 11?": a concern put as a question.
    let objection = objection
        || main.ends_with('?')
            && main.contains_any(&[
                "won't this",
                "wouldn't this",
                "doesn't this",
                "does this not",
                "isn't this",
                "won't that",
                "wouldn't that",
            ])
            && main.contains_any(&["break", "regress", "cause", "hurt", "slow"]);
    if objection && !not_objecting && !iffy {
        return Some(Hit::new(
            if hedged {
                Kind::Question
            } else {
                Kind::Objection
            },
            if hedged {
                Rule::HedgedObjection
            } else {
                Rule::Objection
            },
            false,
            None,
        ));
    }
    None
}

/// Another way proposed, a doubting question, a harsh verdict.
fn critical_rule(s: &Sentence) -> Option<Hit> {
    let (main, conditional_clause, iffy, not_objecting) =
        (&s.main, s.conditional_clause, s.iffy, s.not_objecting);
    // Another way proposed, a question that doubts the patch, a
    // harsh verdict: "why not just use strcmp()?", "what am I
    // missing?", "this is a terrible hack".
    if !iffy
        && !conditional_clause
        && !not_objecting
        && let Some((kind, rule)) = critical(main)
    {
        return Some(Hit::new(kind, rule, false, None));
    }
    None
}

/// Requests for changes.
fn requests(s: &Sentence) -> Option<Hit> {
    let (main, conditional_clause, iffy) = (&s.main, s.conditional_clause, s.iffy);
    let request = (main.starts_with("please ")
        || main.contains(": please ")
        || main.contains(", please "))
        && main.contains_any(&[
            "fix", "change", "split", "rename", "drop", "use ", "move", "rework", "resend",
            "update", "remove", "add ", "make", "send a v", "reword", "squash", "keep",
            "insert", "sort",
        ])
        || main.contains_any(&[
            "could you please",
            "can you please",
            "could you ",
            "would you mind",
            "you need to",
            "this needs to",
            "needs to be fixed",
            "should be fixed",
            "must be fixed",
            "needs a v",
            "please send a v",
            "needs fixing",
            "needs rework",
        ]) && !main.ends_with('?')
            && !main.contains("thank")
        || main.contains_any(&[
            "could you please",
            "can you please",
            "could you ",
            "would you mind",
        ]) && main.contains_any(&[
            "fix", "change", "split", "rename", "drop", "rework", "resend", "update",
            "remove", "move", "put ",
        ])
        // "At least can you add some comments?"
        || ["can you ", "can you at least "]
            .iter()
            .filter_map(|p| main.find(p).map(|i| &main[i + p.len()..]))
            .any(|rest| {
                ["add ", "fix", "change", "split", "rename", "drop", "rework", "resend",
                 "update", "remove", "move", "put "]
                .iter()
                .any(|v| rest.starts_with(v))
            });
    let request = request
        || main.contains_any(&[
            "unclear to me",
            "before this patch is accepted",
            "before this patch is applied",
            "before this is accepted",
            "before this is merged",
            "before this gets merged",
            "before this can be merged",
            "before this can go in",
            "before this goes in",
            "not clear to me",
            "is unclear",
            "does not explain",
            "doesn't explain",
            "doesn't really explain",
            "you should have",
            "you should use",
            "you should add",
            "you should not",
            "you shouldn't",
            "you should drop",
            "you should remove",
            "you should keep",
            "i'd like to see",
            "i would like to see",
            "i'd prefer",
            "can you resend",
            "please send v2",
            "please send a v2",
            "please send v3",
            "please send a v3",
            "please send a new version",
            "also, i prefer",
            "could you resend",
            "an alternative solution could be",
            "an alternative approach could be",
            "an alternative solution would be",
            "an alternative approach would be",
            "wouldn't it be better",
            "another iteration",
            "must be done right",
            "must be done properly",
            "needs to be done properly",
            "should be done properly",
            "can be made clearer",
            "could be made clearer",
            "can be simplified",
            "could be simplified",
            "would be better implemented",
            "needs a respin",
            "please respin",
            "we will need to",
            "we'll need to",
            "should have a fixes tag",
            "needs a fixes tag",
            "missing a fixes tag",
            "missing fixes tag",
            "would it not be better",
            "would it be better to",
            "isn't it better to",
        ])

        // "Might you want to update the names?"; not "you might want to
        // have a look at ...".
        || ["you might want to ", "might you want to ", "you may want to "]
            .iter()
            .filter_map(|p| main.find(p).map(|i| &main[i + p.len()..]))
            .any(|rest| {
                [
                    "update", "change", "rename", "fix", "add ", "remove", "drop",
                    "use ", "move", "split", "squash", "reword",
                ]
                .iter()
                .any(|v| rest.starts_with(v))
            })
        || should_be_changed(main)
        // "Instead of the link to lore, you can refer to the commit."
        || main.starts_with("instead of ")
            && main.contains_any(&["you can ", "you could ", "please ", "use "])
        // "Why not fix the linker instead?"
        || main.starts_with("why not ") && main.contains(" instead")
        // "I think "selects" is strange here."
        || main.contains_any(&[
            "is strange", "looks strange", "seems strange", "is weird", "looks weird",
            "it's strange", "it's weird",
        ])
            && !main.ends_with('?')
        // "I still see inconsistency in your patch, though."
        || main.contains("i still see")
            && main.contains_any(&["inconsisten", "problem", "issue", "bug", "breakage"]);
    // "In future, please Cc the author", "you need to backport": how to
    // send patches, not a change to this one.
    let process = main.contains_any(&[
        "in future",
        "in the future",
        "next time",
        "please cc",
        "cc me",
        "backport",
    ]);
    if request && !iffy && !conditional_clause && !process {
        // "A nitpick, but as long as you're respinning, could you
        // ...": a small request that does not undo a review given.
        let nit = any_word(
            main,
            &[
                "nit",
                "nits",
                "nitpick",
                "nit-pick",
                "nitpicking",
                "nitpicks",
            ],
        ) || main.contains_any(&[
            "as long as you're respinning",
            "as long as you are respinning",
            "if you respin",
            "if you're respinning",
            "if you are respinning",
            "if there's a v",
            "if there is a v",
            "if you send a v",
            "when you respin",
        ]);
        return Some(Hit::new(
            Kind::RequestsChanges,
            if nit {
                Rule::NitRequest
            } else {
                Rule::RequestsChanges
            },
            false,
            None,
        ));
    }

    None
}

/// "The top-level Makefile should be cleaned up", "this should be done
/// in the driver": something asked to be done otherwise.
fn should_be_changed(lower: &str) -> bool {
    const ADVERBS: [&str; 6] = [
        "entirely ",
        "really ",
        "just ",
        "also ",
        "rather ",
        "instead ",
    ];
    const DONE: [&str; 12] = [
        "done ",
        "handled ",
        "moved",
        "split",
        "specified ",
        "separate",
        "dropped",
        "removed",
        "cleaned up",
        "included",
        "renamed",
        "changed",
    ];
    lower.match_indices("should be ").any(|(i, m)| {
        let mut rest = &lower[i + m.len()..];
        while let Some(r) = ADVERBS.iter().find_map(|a| rest.strip_prefix(a)) {
            rest = r;
        }
        DONE.iter().any(|d| rest.starts_with(d))
    }) && !lower.ends_with('?')
}

/// Approval, approval on a condition, and approval negated.
fn approves(s: &Sentence) -> Option<Hit> {
    let (main, conditional_clause, iffy) = (&s.main, s.conditional_clause, s.iffy);
    // Approval.
    let approval = main.contains_any(APPROVALS)
        // "I have tested this patch ... and everything worked as expected."
        || main.contains_any(&[
            "works as expected",
            "worked as expected",
            "works well",
            "worked well",
            "works fine",
            "worked fine",
            "works really well",
            "worked really well",
            "works great",
            "worked great",
            "works perfectly",
            "worked perfectly",
        ])
            && main.contains("test")
            && !main.contains_any(&["without", "before", "revert"]);
    let negated_approval = main.contains_any(&[
        "not a good idea",
        "not a great idea",
        "doesn't look good",
        "does not look good",
        "not look good",
        "not fine",
        "isn't fine",
        "not good",
        "doesn't belong",
        "does not belong",
        "should not be in the kernel",
        "shouldn't be in the kernel",
        "not sure it looks good",
        "not good enough",
        "isn't good enough",
    ])
        // "I don't like this", "I dislike how ...": about the patch; "I
        // don't like saying X" is not.
        || ["don't like ", "do not like ", "dislike "].iter().any(|p| {
            main.find(p).is_some_and(|i| {
                let next = main[i + p.len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(['.', ',', '!', ';', ':']);
                ["this", "it", "it.", "that", "the", "how", "these", "those", "your"].contains(&next)
            })
        })
        // "This doesn't make sense" is a verdict; "it doesn't make much
        // sense to keep them" is an argument.
        || [
            "doesn't make sense",
            "does not make sense",
            "doesn't make a whole lot of sense",
            "doesn't make much sense",
            "makes little sense",
        ]
        .iter()
        .any(|p| main.contains(p) && !main.contains(&format!("{p} to ")));
    let hypothetical = main.contains_any(&[
        "would be nice",
        "would be really nice",
        "what'd be",
        "it'd be nice",
        "if we could",
        // "Perhaps it would be a good idea to have a meeting": a
        // suggestion, not a verdict on the patch.
        "be a good idea to",
        "be a good idea if",
        "be a great idea to",
    ]);
    // "I can pick this up, but I commented on the first paragraph":
    // an offer with a reservation is not a verdict.
    let reserved_offer = main.contains_any(&[
        "i can pick this",
        "i can apply this",
        "i can apply it",
        "i can take this",
        "i can pick it up",
    ]) && main.contains(" but ");
    let approval =
        approval && !hypothetical && !reserved_offer || ["nice!", "nice."].contains(&main.trim());
    if approval && !negated_approval && !iffy && !main.ends_with('?') {
        // "After that, this should be good to go": approval on a condition.
        let conditional = conditional_clause
            || [
                "after that",
                "once that",
                "once this",
                "once those",
                "after those",
            ]
            .iter()
            .any(|p| main.starts_with(p))
            // "Other than that, looks good to me": the points above
            // come first.
            || main.contains_any(&[
                "other than that",
                "otherwise",
                "apart from that",
                "aside from that",
                "with that fixed",
                "with those fixed",
                "with these fixed",
                "with that addressed",
            ]);
        return Some(Hit::new(
            Kind::Approval,
            if conditional {
                Rule::ConditionalApproval
            } else {
                Rule::Approval
            },
            conditional,
            None,
        ));
    }
    if negated_approval && !iffy {
        return Some(Hit::new(
            Kind::Objection,
            Rule::NegatedApproval,
            false,
            None,
        ));
    }

    None
}

/// Concessions (the engine keeps them only when the author says them).
fn concedes(s: &Sentence) -> Option<Hit> {
    let main = &s.main;
    // Concessions (the engine keeps them only when the author says them).
    if main.contains_any(&[
        "good catch",
        "will fix",
        "i'll fix",
        "i will fix",
        "will do",
        "fixed in v",
        "i'll send a v",
        "i will send a v",
        "will send a v",
        "will update in v",
        "will address",
        "i'll address",
        "you're right, ",
        "will change it",
        "i'll change",
        "will drop",
        "i'll drop",
        "fair enough",
        "i stand corrected",
        "my bad",
        "my mistake",
    ]) {
        // For anyone but the author, the engine reads this as agreement.
        return Some(Hit::new(Kind::Concedes, Rule::Concedes, false, None));
    }

    None
}

/// Agreement with the person replied to (or named).
fn agrees(s: &Sentence) -> Option<Hit> {
    let (sentence, main, iffy) = (&s.text, &s.main, s.iffy);
    // Agreement with the person replied to (or named).
    if !s.limited_agreement && !iffy {
        let agree = main.contains_any(&[
            "you're correct",
            "you are correct",
            "you're right",
            "you are right",
            "i agree",
            "agreed",
            "fair point",
            "good point",
            "that's right",
            "that is right",
            "exactly this",
            "+1",
            "same here",
            "i concur",
            "seconded",
            "sounds good",
            "sounds reasonable",
            "makes sense to me",
            "that makes sense",
            "i am with ",
            "i'm with ",
            "i thought so",
            "i thought the same",
        ]);
        let negated = main.contains_any(&[
            "don't agree",
            "do not agree",
            "not agree",
            "not right",
            "not correct",
            "if you agree",
            "do you agree",
            "would you agree",
        ]);
        if agree && !negated && !main.ends_with('?') {
            return Some(Hit::new(
                Kind::Agree,
                Rule::Agree,
                false,
                agreed_with(sentence),
            ));
        }
    }
    None
}

/// A question.
fn asks(s: &Sentence) -> Option<Hit> {
    let sentence = &s.text;

    if sentence.trim_end().ends_with('?') {
        return Some(Hit::new(Kind::Question, Rule::Question, false, None));
    }
    None
}

/// A report of a problem seen with the patch: "when I boot it I see the
/// following issues:", "if I build with O=, I have this error."
fn reports_problem(lower: &Hay) -> bool {
    const SEEING: [&str; 16] = [
        "i see the following",
        "i see this",
        "i see these",
        "i have this",
        "i get this",
        "i got this",
        "i get the following",
        "i got the following",
        "i'm seeing",
        "i am seeing",
        "we are seeing",
        "we're seeing",
        "i hit this",
        "i hit the following",
        "i'm getting",
        "i am getting",
    ];
    const TROUBLE: [&str; 12] = [
        "error",
        "issue",
        "warning",
        "failure",
        "fail",
        "crash",
        "breakage",
        "regression",
        "problem",
        "oops",
        "panic",
        "splat",
    ];
    SEEING.iter().any(|p| lower.contains(p)) && TROUBLE.iter().any(|w| lower.contains(w))
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

/// Clauses that put a signal on a condition ("with that fixed").
const CONDITIONS: [&str; 21] = [
    "with that fixed",
    "with those fixed",
    "with this fixed",
    "with the above",
    "once that",
    "once this",
    "once those",
    "if you fix",
    "if that is fixed",
    "if those are fixed",
    "with that addressed",
    "with those addressed",
    "with the comments addressed",
    "with that changed",
    "with these changes",
    "with the nit",
    "with the typo",
    "with that nit",
    "provided that",
    "assuming",
    "with those changes",
];

/// "I agree with Tom", "agree with Nadia about patch 2": the name.
fn agreed_with(sentence: &str) -> Option<String> {
    let lower = sentence.to_lowercase();
    let at = ["agree with ", "i am with ", "i'm with "]
        .iter()
        .find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let rest = &sentence[at..];
    let name: String = rest
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
        .next()?
        .to_string();
    let lname = name.to_lowercase();
    if name.is_empty()
        || [
            "you",
            "the",
            "that",
            "this",
            "him",
            "her",
            "them",
            "everything",
            "all",
            "most",
            "your",
        ]
        .contains(&lname.as_str())
    {
        return None;
    }
    Some(name)
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
fn numbers_after(s: &str) -> Vec<u32> {
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
