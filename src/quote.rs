//! Body segmentation: the one function that decides what is quoted.
//!
//! [`segment`] cuts a decoded body into runs of whole lines: what the sender
//! wrote ([`Kind::Original`]), what they quoted ([`Kind::Quoted`], with depth),
//! attribution lines ("On ..., X wrote:"), the signature (after `-- `), and
//! diffs. The search index and the web view both call it, so what a page shows
//! as quoted and what `q:`/`nq:` search as quoted can never disagree.
//!
//! It works line by line with a small state machine: no recursion, no
//! backtracking beyond the three lines an attribution may span.

use serde::Serialize;

/// What a run of lines is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Kind {
    /// Text the sender wrote.
    Original,
    /// Quoted text; `depth` counts the `>` markers (1 = quoting the parent).
    Quoted {
        /// Quote depth, at least 1.
        depth: u32,
    },
    /// "On Tue, 12 Mar 2019, Dan Williams wrote:" and its relatives.
    Attribution,
    /// The signature, from the `-- ` line on.
    Signature,
    /// A diff: file headers and hunks.
    Diff,
}

/// A run of whole lines of one kind: `text[start..end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Segment {
    /// What the lines are.
    #[serde(flatten)]
    pub kind: Kind,
    /// Byte offset of the first line.
    pub start: usize,
    /// Byte offset just past the last line (including its newline).
    pub end: usize,
}

impl Segment {
    /// The segment's text.
    pub fn text<'a>(&self, body: &'a str) -> &'a str {
        &body[self.start..self.end]
    }
}

/// What a diff segment touches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DiffSummary {
    /// Files named by the diff (new names, then old names that differ).
    pub files: Vec<String>,
    /// Hunk headers: the text after the second `@@` (usually a function).
    pub hunk_headers: Vec<String>,
    /// Added lines, without the `+`.
    pub added: Vec<String>,
    /// Removed lines, without the `-`.
    pub removed: Vec<String>,
}

/// Cuts `body` into segments. See the module docs.
pub fn segment(body: &str) -> Vec<Segment> {
    let lines: Vec<(usize, &str)> = line_spans(body);
    let mut kinds: Vec<Kind> = Vec::with_capacity(lines.len());
    let mut state = State::Normal;
    let mut i = 0;
    while i < lines.len() {
        let line = trim_cr(lines[i].1);
        let depth = quote_depth(line);
        let kind = match state {
            _ if depth > 0 && !matches!(state, State::Hunk { .. }) => {
                if !matches!(state, State::Signature) {
                    state = State::Normal;
                }
                mark_attribution(&lines, &mut kinds, i);
                Kind::Quoted { depth }
            }
            State::OutlookQuote => Kind::Quoted { depth: 1 },
            State::Hunk { .. } if line == "-- " && next_is_version(&lines, i) => {
                // git's signature after a hunk whose header over-counts.
                state = State::Signature;
                Kind::Signature
            }
            State::Hunk { old, new } => {
                if !matches!(
                    line.as_bytes().first(),
                    Some(b'+' | b'-' | b'\\' | b' ') | None
                ) {
                    // The hunk was shorter than its header said: read the
                    // line again as ordinary text.
                    state = State::Normal;
                    continue;
                }
                let (old, new) = hunk_step(line, old, new);
                state = if old == 0 && new == 0 {
                    State::DiffHeader
                } else {
                    State::Hunk { old, new }
                };
                Kind::Diff
            }
            State::DiffHeader if line.starts_with("@@ ") => {
                state = hunk_start(line);
                Kind::Diff
            }
            State::DiffHeader if is_diff_header_line(line) => Kind::Diff,
            State::Signature => Kind::Signature,
            State::Normal | State::DiffHeader => {
                state = State::Normal;
                if is_diff_start(&lines, i) {
                    state = State::DiffHeader;
                    Kind::Diff
                } else if line == "-- " || line == "--" {
                    state = State::Signature;
                    Kind::Signature
                } else if is_outlook_marker(line) {
                    state = State::OutlookQuote;
                    Kind::Attribution
                } else {
                    Kind::Original
                }
            }
        };
        kinds.push(kind);
        i += 1;
    }
    let mut segments: Vec<Segment> = Vec::new();
    for ((start, line), kind) in lines.iter().zip(kinds) {
        let end = start + line.len();
        match segments.last_mut() {
            Some(last) if last.kind == kind => last.end = end,
            _ => segments.push(Segment {
                kind,
                start: *start,
                end,
            }),
        }
    }
    segments
}

/// Files, hunk headers and changed lines of a diff segment's text.
pub fn summarize_diff(diff: &str) -> DiffSummary {
    let mut summary = DiffSummary::default();
    let add_file = |summary: &mut DiffSummary, name: &str| {
        let name = name.trim();
        let name = name.split('\t').next().unwrap_or(name);
        let name = name
            .strip_prefix("a/")
            .or_else(|| name.strip_prefix("b/"))
            .unwrap_or(name);
        if !name.is_empty() && name != "/dev/null" && !summary.files.iter().any(|f| f == name) {
            summary.files.push(name.to_string());
        }
    };
    let mut in_hunk = (0u32, 0u32);
    for line in diff.lines() {
        if in_hunk != (0, 0) {
            in_hunk = hunk_step(line, in_hunk.0, in_hunk.1);
            if let Some(added) = line.strip_prefix('+') {
                summary.added.push(added.to_string());
            } else if let Some(removed) = line.strip_prefix('-') {
                summary.removed.push(removed.to_string());
            }
            continue;
        }
        if let Some(rest) = line.strip_prefix("diff --git ") {
            // "a/x b/y": take both halves when they split cleanly.
            if let Some((a, b)) = rest.split_once(" b/") {
                add_file(&mut summary, &format!("b/{b}"));
                add_file(&mut summary, a);
            }
        } else if let Some(rest) = line.strip_prefix("+++ ") {
            add_file(&mut summary, rest);
        } else if let Some(rest) = line.strip_prefix("--- ") {
            add_file(&mut summary, rest);
        } else if line.starts_with("@@ ") {
            if let State::Hunk { old, new } = hunk_start(line) {
                in_hunk = (old, new);
            }
            if let Some(header) = line.splitn(3, "@@").nth(2) {
                let header = header.trim();
                if !header.is_empty() {
                    summary.hunk_headers.push(header.to_string());
                }
            }
        }
    }
    summary
}

#[derive(Debug, Clone, Copy)]
enum State {
    Normal,
    Signature,
    OutlookQuote,
    DiffHeader,
    Hunk { old: u32, new: u32 },
}

fn line_spans(body: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for line in body.split_inclusive('\n') {
        out.push((start, line));
        start += line.len();
    }
    out
}

fn trim_cr(line: &str) -> &str {
    let line = line.strip_suffix('\n').unwrap_or(line);
    line.strip_suffix('\r').unwrap_or(line)
}

/// Number of `>` markers at the start of a line (spaces between them allowed).
pub fn quote_depth(line: &str) -> u32 {
    let mut depth = 0;
    for b in line.bytes() {
        match b {
            b'>' => depth += 1,
            b' ' | b'\t' if depth > 0 => {}
            b' ' if depth == 0 => return 0,
            _ => break,
        }
    }
    depth
}

/// Marks the attribution lines before a quoted block that starts at line `i`:
/// the last non-blank line (at most one blank line between), and the line
/// before it when the attribution wraps ("On ... Dan Williams\n<dan@x> wrote:").
fn mark_attribution(lines: &[(usize, &str)], kinds: &mut [Kind], i: usize) {
    if i == 0 || matches!(kinds[i - 1], Kind::Quoted { .. } | Kind::Attribution) {
        return;
    }
    let mut j = i - 1;
    if trim_cr(lines[j].1).trim().is_empty() {
        if j == 0 {
            return;
        }
        j -= 1;
    }
    if !matches!(kinds[j], Kind::Original | Kind::Signature) {
        return;
    }
    let last = trim_cr(lines[j].1).trim();
    if !is_attribution(last) {
        return;
    }
    kinds[j] = Kind::Attribution;
    if starts_like_attribution(last) {
        return;
    }
    // Wrapped over two or three lines: the first starts like one, the last
    // ends like one.
    for back in 1..=2 {
        let Some(k) = j.checked_sub(back) else { return };
        let first = trim_cr(lines[k].1).trim();
        if first.is_empty() || !matches!(kinds[k], Kind::Original | Kind::Signature) {
            return;
        }
        if starts_like_attribution(first) {
            for kind in &mut kinds[k..=j] {
                *kind = Kind::Attribution;
            }
            return;
        }
    }
}

const ATTRIBUTION_ENDINGS: [&str; 14] = [
    "wrote:",
    "wrote :",
    "writes:",
    "said:",
    "schrieb:",
    "a écrit :",
    "a écrit:",
    "escribió:",
    "scrisse:",
    "napisał:",
    "kirjoitti:",
    "skrev:",
    "ha scritto:",
    "wrote the following:",
];

fn ends_like_attribution(line: &str) -> bool {
    let lower = line.to_lowercase();
    ATTRIBUTION_ENDINGS.iter().any(|e| lower.ends_with(e))
}

fn starts_like_attribution(line: &str) -> bool {
    [
        "On ", "Le ", "Am ", "El ", "Il ", "Op ", "Dnia ", "Quoting ", "In ", "* ", "At ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
}

/// One-line attribution forms.
fn is_attribution(line: &str) -> bool {
    if line.len() > 400 {
        return false;
    }
    if ends_like_attribution(line) {
        return true;
    }
    // "Am 12.03.2019 um 10:00 schrieb Hans:", "Le mardi, Jean a écrit :"
    const VERBS: [&str; 6] = ["wrote", "writes", "schrieb", "écrit", "escribió", "scrisse"];
    if starts_like_attribution(line)
        && line.ends_with(':')
        && VERBS.iter().any(|v| line.contains(v))
    {
        return true;
    }
    // mutt: "* Dan Williams <dan@x> [2019-03-12 12:30]:"
    if line.starts_with("* ") && line.ends_with("]:") && line.contains('[') {
        return true;
    }
    // "Quoting Dan Williams (2019-03-12 12:30:52):"
    line.starts_with("Quoting ") && line.ends_with(':')
}

fn is_outlook_marker(line: &str) -> bool {
    let t = line.trim();
    t.starts_with("-----") && t.ends_with("-----") && t.to_lowercase().contains("original message")
}

/// Whether a diff starts at line `i`: `diff --git`, or `--- ` directly followed
/// by `+++ ` (plain `diff -u`), or `Index:` with its `===` line.
fn is_diff_start(lines: &[(usize, &str)], i: usize) -> bool {
    let line = trim_cr(lines[i].1);
    let next = lines.get(i + 1).map(|l| trim_cr(l.1)).unwrap_or("");
    line.starts_with("diff --git ")
        || line.starts_with("diff -") && next.starts_with("--- ")
        || line.starts_with("--- ") && next.starts_with("+++ ")
        || line.starts_with("Index: ") && next.starts_with("=====")
}

fn is_diff_header_line(line: &str) -> bool {
    const PREFIXES: [&str; 16] = [
        "diff ",
        "index ",
        "--- ",
        "+++ ",
        "new file mode",
        "deleted file mode",
        "old mode",
        "new mode",
        "similarity index",
        "dissimilarity index",
        "rename from",
        "rename to",
        "copy from",
        "copy to",
        "Binary files",
        "GIT binary patch",
    ];
    PREFIXES.iter().any(|p| line.starts_with(p))
        || line.starts_with("Index: ")
        || line.starts_with("=====")
}

/// Whether the line after `i` is a git version ("2.43.0"), as git
/// format-patch writes after its `-- ` line.
fn next_is_version(lines: &[(usize, &str)], i: usize) -> bool {
    lines.get(i + 1).is_some_and(|l| {
        let v = trim_cr(l.1).trim();
        !v.is_empty()
            && v.starts_with(|c: char| c.is_ascii_digit())
            && v.split('.').count() >= 2
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
    })
}

/// Reads `@@ -a,b +c,d @@`; without counts the hunk lasts one line each.
fn hunk_start(line: &str) -> State {
    let mut parts = line.split_whitespace().skip(1);
    let count = |p: Option<&str>, sign: char| -> Option<u32> {
        let p = p?.strip_prefix(sign)?;
        Some(match p.split_once(',') {
            Some((_, n)) => n.parse().ok()?,
            None => 1,
        })
    };
    match (count(parts.next(), '-'), count(parts.next(), '+')) {
        (Some(old), Some(new)) if old > 0 || new > 0 => State::Hunk { old, new },
        _ => State::DiffHeader,
    }
}

/// Counts one hunk line down. An empty line is a context line whose space a
/// mailer stripped.
fn hunk_step(line: &str, old: u32, new: u32) -> (u32, u32) {
    match line.as_bytes().first() {
        Some(b'+') => (old, new.saturating_sub(1)),
        Some(b'-') => (old.saturating_sub(1), new),
        Some(b'\\') => (old, new),
        Some(b' ') | None => (old.saturating_sub(1), new.saturating_sub(1)),
        // Not a hunk line: the hunk was shorter than it said. End it.
        _ => (0, 0),
    }
}

/// The quoted text of a body, markers dropped: what the index holds as
/// quoted (`index::IndexDoc::from_message`), and what a search snippet of
/// quoted words is cut from (the index searches quoted text but does not
/// store it).
pub fn quoted_text(body: &str) -> String {
    let mut out = String::new();
    for seg in segment(body) {
        if let Kind::Quoted { .. } = seg.kind {
            push_unquoted(&mut out, seg.text(body));
        }
    }
    out
}

/// Appends quoted lines without their markers: quote markers are not words.
pub fn push_unquoted(out: &mut String, quoted: &str) {
    for line in quoted.lines() {
        out.push_str(line.trim_start_matches(['>', ' ', '\t']));
        out.push('\n');
    }
}

#[cfg(test)]
mod tests;
