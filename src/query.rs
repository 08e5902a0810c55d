//! The query language: lore's prefixes and operators, parsed leniently.
//!
//! `parse` turns what a user typed into an [`Expr`] plus notes about what it
//! ignored or read differently. It refuses only queries that would be
//! pathologically expensive or contain nothing to search for, with a message
//! saying why. It knows nothing about the index; `index` turns an `Expr` into
//! a search.
//!
//! Grammar (lowest precedence first): `a OR b`; `a AND b` or just `a b`;
//! `NOT a`, `-a`; `( ... )`, `prefix:word`, `prefix:"a phrase"`, `word*`,
//! `"a phrase"`. Prefixes are listed in [`PREFIXES`].

use chrono::{Datelike, NaiveDate, TimeZone, Utc};

/// Where a term is searched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    /// Bare words: subject, sender and body.
    Default,
    /// `s:`
    Subject,
    /// `f:`
    From,
    /// `t:`
    To,
    /// `c:`
    Cc,
    /// `tc:`
    ToCc,
    /// `a:` any address: from, to, cc.
    Address,
    /// `b:` the whole body: original, quoted, attributions, diffs.
    Body,
    /// `nq:` what the sender wrote.
    Original,
    /// `q:` what the sender quoted.
    Quoted,
    /// `m:` Message-ID, exact.
    MessageId,
    /// `l:` list name, exact.
    List,
    /// `dfn:` file names in diffs.
    DiffFile,
    /// `dfa:` removed lines.
    DiffRemoved,
    /// `dfb:` added lines.
    DiffAdded,
    /// `dfhh:` hunk headers.
    HunkHeader,
    /// `tr:` trailer name, exact (`tr:reviewed-by`).
    Trailer,
}

/// The prefixes users type, with their fields and what they mean.
pub const PREFIXES: [(&str, Field, &str); 17] = [
    ("s", Field::Subject, "subject"),
    ("f", Field::From, "sender (name or address)"),
    ("t", Field::To, "To: recipients"),
    ("c", Field::Cc, "Cc: recipients"),
    ("tc", Field::ToCc, "To: or Cc: recipients"),
    ("a", Field::Address, "any address: From, To or Cc"),
    ("b", Field::Body, "whole body: original, quoted and diffs"),
    ("nq", Field::Original, "what the sender wrote (not quoted)"),
    ("q", Field::Quoted, "what the sender quoted"),
    ("m", Field::MessageId, "Message-ID"),
    ("l", Field::List, "list name"),
    ("dfn", Field::DiffFile, "file name in a diff"),
    ("dfa", Field::DiffRemoved, "removed lines of a diff"),
    ("dfb", Field::DiffAdded, "added lines of a diff"),
    (
        "dfhh",
        Field::HunkHeader,
        "hunk header (function) of a diff",
    ),
    ("tr", Field::Trailer, "trailer name, e.g. tr:reviewed-by"),
    (
        "d",
        Field::Default,
        "date range: d:2019-03-01..2019-03-31, d:2.weeks.ago..",
    ),
];

/// A parsed query.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// A word, or a word prefix (`kern*`).
    Term {
        /// Where.
        field: Field,
        /// The word as typed (the index tokenizes it).
        text: String,
        /// `kern*`
        prefix: bool,
    },
    /// Words in order.
    Phrase {
        /// Where.
        field: Field,
        /// The phrase as typed.
        text: String,
    },
    /// Messages dated in `[from, to)`, unix seconds; None is open.
    DateRange {
        /// Start, inclusive.
        from: Option<i64>,
        /// End, exclusive.
        to: Option<i64>,
    },
    /// All of these.
    And(Vec<Expr>),
    /// Any of these.
    Or(Vec<Expr>),
    /// Not this.
    Not(Box<Expr>),
}

/// The result of [`parse`]: a query and notes for the user.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    /// What to search.
    pub expr: Expr,
    /// What was ignored or read differently, in words.
    pub notes: Vec<String>,
}

/// A query that is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    /// Longer than [`MAX_QUERY_BYTES`].
    #[error("the query is {0} bytes long; the limit is {MAX_QUERY_BYTES}: search for fewer words")]
    TooLong(usize),
    /// More than [`MAX_CLAUSES`] words and phrases.
    #[error("the query has {0} terms; the limit is {MAX_CLAUSES}")]
    TooManyClauses(usize),
    /// Parentheses nested deeper than [`MAX_DEPTH`].
    #[error("parentheses nest {0} deep; the limit is {MAX_DEPTH}")]
    TooDeep(usize),
    /// Nothing left to search for.
    #[error("nothing to search for{0}")]
    Empty(String),
}

/// Longest query accepted, in bytes.
pub const MAX_QUERY_BYTES: usize = 4096;
/// Most words and phrases in one query.
pub const MAX_CLAUSES: usize = 64;
/// Deepest parenthesis nesting.
pub const MAX_DEPTH: usize = 16;
/// Shortest word prefix for `word*`.
pub const MIN_PREFIX_CHARS: usize = 2;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    And,
    Or,
    Not,
    /// `-x` / `+x` markers are folded into `Not` / nothing.
    Atom(Expr),
}

/// Parses a query typed by a user. `now` (unix seconds) anchors relative
/// dates such as `d:2.weeks.ago..`.
pub fn parse(input: &str, now: i64) -> Result<Parsed, QueryError> {
    if input.len() > MAX_QUERY_BYTES {
        return Err(QueryError::TooLong(input.len()));
    }
    let mut notes = Vec::new();
    let tokens = tokenize(input, now, &mut notes)?;
    let clauses = tokens
        .iter()
        .filter(|t| matches!(t, Token::Atom(_)))
        .count();
    if clauses > MAX_CLAUSES {
        return Err(QueryError::TooManyClauses(clauses));
    }
    let mut depth = 0usize;
    for t in &tokens {
        match t {
            Token::Open => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(QueryError::TooDeep(depth));
                }
            }
            Token::Close => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // Depth is bounded above, so the recursive descent below is too.
    let mut parser = Parser {
        tokens,
        pos: 0,
        notes: &mut notes,
    };
    let expr = parser.or();
    if parser.pos < parser.tokens.len() {
        parser.notes.push("ignored an unmatched ')'".into());
    }
    match expr {
        Some(expr) if has_positive(&expr) => Ok(Parsed { expr, notes }),
        Some(_) => Err(QueryError::Empty(
            ": a query needs at least one thing that must match, not only NOT".into(),
        )),
        None => {
            let why = if notes.is_empty() {
                String::new()
            } else {
                format!(" ({})", notes.join("; "))
            };
            Err(QueryError::Empty(why))
        }
    }
}

fn has_positive(e: &Expr) -> bool {
    match e {
        Expr::Not(_) => false,
        Expr::And(v) => v.iter().any(has_positive),
        Expr::Or(v) => v.iter().all(has_positive),
        _ => true,
    }
}

struct Parser<'n> {
    tokens: Vec<Token>,
    pos: usize,
    notes: &'n mut Vec<String>,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.pos)
    }

    fn or(&mut self) -> Option<Expr> {
        let mut parts = Vec::new();
        loop {
            if let Some(e) = self.and() {
                parts.push(e);
            }
            match self.peek() {
                Some(Token::Or) => {
                    self.pos += 1;
                    if parts.is_empty()
                        || matches!(self.peek(), None | Some(Token::Close | Token::Or))
                    {
                        self.notes
                            .push("ignored an OR with nothing on one side".into());
                    }
                }
                _ => break,
            }
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Expr::Or(parts)),
        }
    }

    fn and(&mut self) -> Option<Expr> {
        let mut parts = Vec::new();
        loop {
            match self.peek() {
                None | Some(Token::Or) | Some(Token::Close) => break,
                Some(Token::And) => {
                    self.pos += 1;
                    if parts.is_empty()
                        || matches!(self.peek(), None | Some(Token::Close | Token::Or))
                    {
                        self.notes
                            .push("ignored an AND with nothing on one side".into());
                    }
                }
                _ => {
                    if let Some(e) = self.unary() {
                        parts.push(e);
                    }
                }
            }
        }
        match parts.len() {
            0 => None,
            1 => parts.pop(),
            _ => Some(Expr::And(parts)),
        }
    }

    fn unary(&mut self) -> Option<Expr> {
        match self.peek()? {
            Token::Not => {
                self.pos += 1;
                match self.peek() {
                    None | Some(Token::Close | Token::Or | Token::And) => {
                        self.notes
                            .push("ignored a NOT with nothing after it".into());
                        None
                    }
                    _ => self.unary().map(|e| Expr::Not(Box::new(e))),
                }
            }
            Token::Open => {
                self.pos += 1;
                let inner = self.or();
                match self.peek() {
                    Some(Token::Close) => self.pos += 1,
                    _ => self.notes.push("added a missing ')' at the end".into()),
                }
                if inner.is_none() {
                    self.notes.push("ignored empty parentheses".into());
                }
                inner
            }
            Token::Atom(_) => {
                let Some(Token::Atom(e)) = self.tokens.get(self.pos).cloned() else {
                    return None;
                };
                self.pos += 1;
                Some(e)
            }
            Token::Close | Token::And | Token::Or => {
                self.pos += 1;
                None
            }
        }
    }
}

fn prefix_field(name: &str) -> Option<Field> {
    PREFIXES
        .iter()
        .find(|(p, _, _)| *p == name)
        .map(|&(_, f, _)| f)
}

fn tokenize(input: &str, now: i64, notes: &mut Vec<String>) -> Result<Vec<Token>, QueryError> {
    let chars: Vec<char> = input.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c == '(' {
            tokens.push(Token::Open);
            i += 1;
            continue;
        }
        if c == ')' {
            tokens.push(Token::Close);
            i += 1;
            continue;
        }
        // Leading - or + on a word, phrase or group.
        let mut negate = false;
        if (c == '-' || c == '+') && chars.get(i + 1).is_some_and(|n| !n.is_whitespace()) {
            negate = c == '-';
            i += 1;
            if chars[i] == '(' {
                if negate {
                    tokens.push(Token::Not);
                }
                continue;
            }
        }
        // A word (possibly prefix:word or prefix:"phrase") or a phrase.
        let start = i;
        let mut field = Field::Default;
        let mut is_date = false;
        if chars[i] != '"' {
            let mut j = i;
            while j < chars.len() && !chars[j].is_whitespace() && !"():\"".contains(chars[j]) {
                j += 1;
            }
            if j < chars.len() && chars[j] == ':' && j > i {
                let name: String = chars[i..j].iter().collect();
                match prefix_field(&name) {
                    Some(f) => {
                        field = f;
                        is_date = name == "d";
                        i = j + 1;
                    }
                    None if name == "http" || name == "https" => {}
                    None => notes.push(format!("unknown prefix {name}: searched as words")),
                }
            }
        }
        let (text, phrase) = if chars.get(i) == Some(&'"') {
            let close = chars[i + 1..].iter().position(|&ch| ch == '"');
            let end = close.map_or(chars.len(), |p| i + 1 + p);
            if close.is_none() {
                notes.push("a quote was not closed; read the phrase to the end".into());
            }
            let t: String = chars[i + 1..end].iter().collect();
            i = (end + 1).min(chars.len());
            (t, true)
        } else {
            let mut j = i;
            while j < chars.len() && !chars[j].is_whitespace() && chars[j] != '(' && chars[j] != ')'
            {
                j += 1;
            }
            let t: String = chars[i..j].iter().collect();
            i = j;
            (t, false)
        };
        let _ = start;
        if !phrase && !negate && field == Field::Default && !is_date {
            match text.as_str() {
                "AND" => {
                    tokens.push(Token::And);
                    continue;
                }
                "OR" => {
                    tokens.push(Token::Or);
                    continue;
                }
                "NOT" => {
                    tokens.push(Token::Not);
                    continue;
                }
                _ => {}
            }
        }
        let atom = if is_date {
            match parse_date_range(&text, now) {
                Some((from, to)) => Some(Expr::DateRange { from, to }),
                None => {
                    notes.push(format!(
                        "could not read the date range d:{text}; write d:2019-03-01..2019-03-31 or d:2.weeks.ago.."
                    ));
                    None
                }
            }
        } else if phrase {
            (!text.trim().is_empty()).then_some(Expr::Phrase { field, text })
        } else if let Some(stem) = text.strip_suffix('*') {
            let stem = stem.trim_end_matches('*');
            if stem.chars().filter(|c| c.is_alphanumeric()).count() < MIN_PREFIX_CHARS {
                notes.push(format!(
                    "ignored {text}: a wildcard needs at least {MIN_PREFIX_CHARS} letters before the *"
                ));
                None
            } else {
                Some(Expr::Term {
                    field,
                    text: stem.to_string(),
                    prefix: true,
                })
            }
        } else if text.is_empty() {
            if field != Field::Default {
                notes.push("ignored a prefix with nothing after it".into());
            }
            None
        } else {
            Some(Expr::Term {
                field,
                text,
                prefix: false,
            })
        };
        if let Some(atom) = atom {
            if negate {
                tokens.push(Token::Not);
            }
            tokens.push(Token::Atom(atom));
        }
    }
    Ok(tokens)
}

/// Reads `a..b`, `a..`, `..b` or a single date. Dates: `2019-03-01`,
/// `20190301`, `2019-03`, `2019`, and relative ones (`2.weeks.ago`,
/// `3.days`, `yesterday`, `today`, `last.week`). A day as an end includes
/// the whole day. Returns `[from, to)` in unix seconds.
pub fn parse_date_range(text: &str, now: i64) -> Option<(Option<i64>, Option<i64>)> {
    match text.split_once("..") {
        Some((a, b)) => {
            let from = if a.is_empty() {
                None
            } else {
                Some(parse_date(a, now)?.0)
            };
            let to = if b.is_empty() {
                None
            } else {
                Some(parse_date(b, now)?.1)
            };
            if from.is_none() && to.is_none() {
                return None;
            }
            Some((from, to))
        }
        None => {
            let (start, end) = parse_date(text, now)?;
            Some((Some(start), Some(end)))
        }
    }
}

/// One date as the span it names: `[start, end)`.
fn parse_date(text: &str, now: i64) -> Option<(i64, i64)> {
    let t = text.trim().to_ascii_lowercase();
    let day = |d: NaiveDate| {
        let start = Utc.from_utc_datetime(&d.and_hms_opt(0, 0, 0)?).timestamp();
        Some((start, start + 86_400))
    };
    let today = Utc.timestamp_opt(now, 0).single()?.date_naive();
    match t.as_str() {
        "today" => return day(today),
        "yesterday" => return day(today.pred_opt()?),
        "now" => return Some((now, now + 1)),
        _ => {}
    }
    // Relative: N.unit.ago, N.unit, last.unit
    let parts: Vec<&str> = t
        .split('.')
        .filter(|p| !p.is_empty() && *p != "ago")
        .collect();
    let unit_seconds = |u: &str| -> Option<i64> {
        let u = u.trim_end_matches('s');
        Some(match u {
            "second" | "sec" => 1,
            "minute" | "min" => 60,
            "hour" => 3600,
            "day" => 86_400,
            "week" => 7 * 86_400,
            "month" => 30 * 86_400,
            "year" => 365 * 86_400,
            _ => return None,
        })
    };
    if parts.len() == 2 {
        let n = if parts[0] == "last" {
            Some(1)
        } else {
            parts[0].parse::<i64>().ok()
        };
        if let (Some(n), Some(secs)) = (n, unit_seconds(parts[1])) {
            let t = now.checked_sub(n.checked_mul(secs)?)?;
            return Some((t, t + 1));
        }
    }
    // Absolute: YYYY-MM-DD, YYYYMMDD, YYYY-MM, YYYY.
    let digits: String = t.chars().filter(|c| c.is_ascii_digit()).collect();
    let plain = t.chars().all(|c| c.is_ascii_digit() || c == '-');
    if !plain {
        return None;
    }
    match digits.len() {
        8 => {
            let d = NaiveDate::from_ymd_opt(
                digits[..4].parse().ok()?,
                digits[4..6].parse().ok()?,
                digits[6..].parse().ok()?,
            )?;
            day(d)
        }
        6 => {
            let (y, m) = (digits[..4].parse().ok()?, digits[4..].parse().ok()?);
            let start = NaiveDate::from_ymd_opt(y, m, 1)?;
            let next = if m == 12 {
                NaiveDate::from_ymd_opt(y + 1, 1, 1)?
            } else {
                NaiveDate::from_ymd_opt(y, m + 1, 1)?
            };
            Some((day(start)?.0, day(next)?.0))
        }
        4 => {
            let y: i32 = digits.parse().ok()?;
            let start = NaiveDate::from_ymd_opt(y, 1, 1)?;
            let next = NaiveDate::from_ymd_opt(y + 1, 1, 1)?;
            debug_assert!(start.year() == y);
            Some((day(start)?.0, day(next)?.0))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests;
