//! Text as the rules read it: sentences, and each sentence lower-cased
//! with what governs it (a hedge, a condition, a "but").

use super::*;

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
pub(super) fn sentence_end(s: &str) -> Option<usize> {
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
pub(super) struct Hay {
    pub(super) text: String,
    pub(super) grams: Box<[u64; GRAM_WORDS]>,
}

/// Bitmap size: 2^14 bits keeps the map sparse even for a pasted
/// thousand-character log line, where a smaller map fills up and stops
/// answering no.
pub(super) const GRAM_BITS: u32 = 14;

pub(super) const GRAM_WORDS: usize = 1 << (GRAM_BITS - 6);

impl Hay {
    pub(super) fn new(text: String) -> Hay {
        let mut grams = Box::new([0u64; GRAM_WORDS]);
        for w in text.as_bytes().windows(3) {
            let h = Hay::gram(w);
            grams[h / 64] |= 1 << (h % 64);
        }
        Hay { text, grams }
    }

    /// The bit of a trigram: the top bits of a multiplicative hash.
    pub(super) fn gram(w: &[u8]) -> usize {
        (u32::from_le_bytes([w[0], w[1], w[2], 0]).wrapping_mul(0x9E37_79B1) >> (32 - GRAM_BITS))
            as usize
    }

    /// Whether the sentence contains any of `phrases`.
    pub(super) fn contains_any(&self, phrases: &[&str]) -> bool {
        phrases.iter().any(|p| self.contains(p))
    }

    /// Whether the sentence contains `phrase` (the same answer as
    /// `str::contains`, faster when it is no).
    pub(super) fn contains(&self, phrase: &str) -> bool {
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

pub(super) fn has_word(hay: &str, word: &str) -> bool {
    hay.match_indices(word).any(|(i, _)| {
        let before = hay[..i].chars().next_back();
        let after = hay[i + word.len()..].chars().next();
        !before.is_some_and(|c| c.is_alphanumeric()) && !after.is_some_and(|c| c.is_alphanumeric())
    })
}

pub(super) fn any_phrase(hay: &str, phrases: &[&str]) -> bool {
    phrases.iter().any(|p| hay.contains(p))
}

pub(super) fn any_word(hay: &str, words: &[&str]) -> bool {
    words.iter().any(|w| has_word(hay, w))
}

/// One sentence as the rules read it.
pub(super) struct Sentence {
    /// As written.
    pub(super) text: String,
    /// Lower case, curly apostrophes straightened, emphasis dropped.
    pub(super) lower: Hay,
    /// The part that decides: after "but" in "while I agree ..., but ...".
    pub(super) main: Hay,
    /// Hedged: "maybe", "I'm not sure".
    pub(super) hedged: bool,
    /// A condition: "with that fixed".
    pub(super) conditional_clause: bool,
    /// A conditional clause that carries no stance: "if others disagree".
    pub(super) iffy: bool,
    /// The sentence opens with agreement that "but" then limits.
    pub(super) limited_agreement: bool,
    /// "I don't object", "nothing wrong".
    pub(super) not_objecting: bool,
}

impl Sentence {
    pub(super) fn new(text: String, lower: Hay) -> Sentence {
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
