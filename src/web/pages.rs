//! Page data: what each template shows, computed from the store, the index
//! and the consensus engine. Plain Rust values; the templates in
//! `templates/` escape every string.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;

use super::{AppState, MAX_PAGE, WebError};
use crate::index::{SearchOptions, Sort};
use crate::links;
use crate::quote::{self, Kind as SegKind};
use crate::report::format_date;
use crate::stance::Stance;

const PER_PAGE: usize = 25;

/// The escaper of every template (`askama.toml`): askama's HTML escaping,
/// and each [`is_invisible`] character written as `[U+202E]`, so a body
/// that reorders or hides text with them (reviewers read patches here)
/// shows what it does. Plain text, no markup: the same output is safe in
/// an attribute.
///
/// [`is_invisible`]: crate::message::headers::is_invisible
#[derive(Debug, Clone, Copy)]
pub struct Html;

impl askama::filters::Escaper for Html {
    fn write_escaped_str<W: std::fmt::Write>(&self, mut dest: W, text: &str) -> std::fmt::Result {
        use crate::message::headers::{is_invisible, visible_form};
        let mut start = 0;
        for (i, c) in text.match_indices(is_invisible) {
            askama::filters::Html.write_escaped_str(&mut dest, &text[start..i])?;
            c.chars()
                .try_for_each(|c| dest.write_str(&visible_form(c)))?;
            start = i + c.len();
        }
        askama::filters::Html.write_escaped_str(dest, &text[start..])
    }
}

/// An error page.
#[derive(Template, WebTemplate)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub title: String,
    pub why: String,
}

/// One line of a thread index.
pub struct IndexRow {
    pub href: String,
    pub subject: String,
    pub date: String,
    pub messages: u64,
    pub participants: String,
    pub summary: String,
}

/// Home and list index.
#[derive(Template, WebTemplate)]
#[template(path = "index.html")]
pub struct IndexPage {
    pub title: String,
    pub list: String,
    pub lists: Vec<(String, u64)>,
    pub rows: Vec<IndexRow>,
    pub next: Option<String>,
    pub prev: Option<String>,
}

/// One search hit.
pub struct HitRow {
    pub href: String,
    pub subject: String,
    pub from: String,
    pub date: String,
    /// The snippet cut into (text, matched) pieces.
    pub snippet: Vec<(String, bool)>,
    /// The words are in what the message quotes.
    pub in_quotes: bool,
}

/// A thread's hits, for results shown by thread.
pub struct ThreadHits {
    pub root: String,
    pub href: String,
    pub subject: String,
    pub hits: Vec<HitRow>,
}

/// Search results.
#[derive(Template, WebTemplate)]
#[template(path = "search.html")]
pub struct SearchPage {
    pub title: String,
    pub query: String,
    pub list: String,
    pub total: usize,
    pub hits: Vec<HitRow>,
    /// With `x=t`: the hits under their threads.
    pub threads: Vec<ThreadHits>,
    pub by_thread: bool,
    /// (label, href) of the results as messages, threads, mbox.gz, Atom.
    pub formats: Vec<(&'static str, String)>,
    pub notes: Vec<String>,
    pub error: String,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub prefixes: Vec<(&'static str, &'static str)>,
}

/// How a thread page lays out its messages.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Layout {
    /// `/{list}/{msgid}/`: one message, the outline around it.
    Message,
    /// `T/`: all messages by date.
    Flat,
    /// `t/`: all messages, indented as the tree.
    Nested,
}

impl Layout {
    /// The layout a route's const parameter names.
    pub const fn from_u8(n: u8) -> Layout {
        match n {
            0 => Layout::Message,
            1 => Layout::Flat,
            _ => Layout::Nested,
        }
    }
}

/// Consecutive lines of one class inside a message part (without the
/// last newline): added lines, a trailer, plain text.
pub struct Run<'a> {
    pub class: &'static str,
    pub text: &'a str,
}

/// A piece of a message body.
pub struct Part<'a> {
    /// original, quoted, attribution, signature, diff
    pub kind: &'static str,
    pub depth: usize,
    /// The whole piece, without its last newline.
    pub text: &'a str,
    /// Number of lines.
    pub lines: usize,
    /// The piece cut where the class of its lines changes, for diffs and
    /// for original text with trailers; empty when one class covers it all.
    pub runs: Vec<Run<'a>>,
}

/// One message (or ghost) on a thread page.
pub struct MsgView<'a> {
    pub anchor: String,
    pub message_id: String,
    pub ghost: bool,
    pub from: String,
    pub email: String,
    pub date: String,
    pub subject: String,
    pub indent: usize,
    pub permalink: String,
    pub raw: String,
    /// The parent's anchor, on this page or the thread page.
    pub parent_href: String,
    /// The subject says nothing the parent's did not ("Re: " aside): the
    /// outline leaves it out, as lore does.
    pub repeats_parent: bool,
    pub parts: Vec<Part<'a>>,
    pub current: bool,
}

/// How an objection weighs, as the positions panel says it.
fn grade_label(grade: crate::stance::Grade) -> &'static str {
    match grade {
        crate::stance::Grade::RequestsChanges => "changes requested",
        crate::stance::Grade::Objects => "blocks",
        crate::stance::Grade::Approves | crate::stance::Grade::Neutral => "",
    }
}

/// One row of the positions panel.
pub struct PosRow {
    pub name: String,
    pub email: String,
    pub who_href: String,
    pub role: &'static str,
    pub stance: &'static str,
    /// For objections: "changes requested" or "blocks" (a NAK, a wrong
    /// approach); empty otherwise.
    pub grade: &'static str,
    pub changed: bool,
    pub kind: String,
    pub evidence: String,
    pub evidence_href: String,
    /// For conversation evidence: the reply that shows it.
    pub shown_by_href: String,
    /// An author's latest concession ("good catch, will fix"), if any
    /// came after the evidence.
    pub conceded: String,
    pub conceded_href: String,
}

/// A cell of the series grid: what a reviewer said on a patch.
#[derive(Default)]
pub struct GridCell {
    pub label: String,
    pub class: &'static str,
    /// The message behind it.
    pub href: String,
}

/// A patch's row: subject, link, and a cell per reviewer.
pub type GridRow = (String, String, Vec<GridCell>);

/// The series grid: patches by reviewers.
pub struct Grid {
    pub reviewers: Vec<String>,
    pub rows: Vec<GridRow>,
}

/// The timeline: marks, rows named by person, its size and dates.
pub struct Timeline {
    pub dots: Vec<Dot>,
    /// (baseline, name) of each row.
    pub rows: Vec<(u32, String)>,
    pub width: u32,
    /// Width of the names' column.
    pub names: u32,
    pub height: u32,
    pub first_date: String,
    pub last_date: String,
}

/// A mark on the timeline.
pub struct Dot {
    pub x: u32,
    pub y: u32,
    pub class: &'static str,
    pub title: String,
    pub href: String,
}

/// A thread page (also the single-message page).
#[derive(Template, WebTemplate)]
#[template(path = "thread.html")]
pub struct ThreadPage<'a> {
    pub title: String,
    pub list: String,
    pub root_href: String,
    pub flat_href: String,
    pub nested_href: String,
    pub mbox_href: String,
    pub atom_href: String,
    pub api_href: String,
    pub single: bool,
    pub outline: Vec<MsgView<'a>>,
    pub messages: Vec<MsgView<'a>>,
    pub summary: String,
    pub subsystems: String,
    pub positions: Vec<PosRow>,
    pub grid: Option<Grid>,
    pub timeline: Timeline,
    pub subject: String,
    pub changelog: Vec<(String, String)>,
    /// On a message page: the previous and next message in thread order,
    /// as (href, subject).
    pub around: (Option<Neighbour>, Option<Neighbour>),
    /// The series page, if the thread holds a patch series.
    pub series_href: String,
    /// The series' versions: (label, thread page, shown here).
    pub versions: Vec<(String, String, bool)>,
    /// On a message page: To/Cc and how to reply.
    pub reply: ReplyInfo,
    /// (label, href, chosen) of each archive `Link:` may point into.
    pub link_choices: Vec<(&'static str, String, bool)>,
    /// Says so when the thread is longer than the page shows.
    pub partial: String,
}

fn page_href(list: Option<&str>, query: Option<&str>, offset: usize) -> String {
    let base = match list {
        Some(l) => format!("/{}/", links::encode_message_id(l)),
        None => "/".to_string(),
    };
    let mut params = Vec::new();
    if let Some(q) = query {
        params.push(format!("q={}", links::encode_message_id(q)));
    }
    if offset > 0 {
        params.push(format!("o={offset}"));
    }
    if params.is_empty() {
        base
    } else {
        format!("{base}?{}", params.join("&"))
    }
}

/// The href of a message on its list.
fn message_href(list: &str, msgid: &str) -> String {
    format!(
        "/{}/{}/",
        links::encode_message_id(list),
        links::encode_message_id(msgid)
    )
}

/// The list a message is shown under: its first list.
pub fn list_of(st: &AppState, msgid: &str) -> Result<Option<String>, WebError> {
    st.with_store(|s| {
        if s.root_of(msgid)?.is_none() {
            return Ok(None);
        }
        Ok(Some(
            s.first_list_of(msgid)?.unwrap_or_else(|| "all".into()),
        ))
    })
}

pub fn index(st: &AppState, list: Option<&str>, offset: usize) -> Result<IndexPage, WebError> {
    let (threads, lists) =
        st.with_store(|s| Ok((s.recent_threads(list, offset, PER_PAGE + 1)?, s.lists()?)))?;
    if let Some(l) = list
        && !lists.iter().any(|(name, _)| name == l)
    {
        return Err(WebError::NotFound(format!("no list named {l}")));
    }
    // The summaries come from the thread cache the thread pages share.
    let summaries = threads
        .iter()
        .take(PER_PAGE)
        .map(|t| {
            let a = st.analysis(&t.root)?;
            let list = a
                .view
                .nodes
                .iter()
                .find(|n| !n.ghost)
                .and_then(|n| n.lists.first().cloned())
                .unwrap_or_else(|| "all".into());
            Ok((a.consensus.summary(), list))
        })
        .collect::<Result<Vec<_>, WebError>>()?;
    let more = threads.len() > PER_PAGE;
    let rows = threads
        .into_iter()
        .take(PER_PAGE)
        .zip(summaries)
        .map(|(t, (summary, tlist))| {
            let mut people = t.participants.clone();
            let extra = people.len().saturating_sub(5);
            people.truncate(5);
            let mut participants = people.join(", ");
            if extra > 0 {
                participants.push_str(&format!(" and {extra} more"));
            }
            IndexRow {
                href: format!("{}T/", message_href(list.unwrap_or(&tlist), &t.root)),
                subject: t.subject,
                date: format_date(t.last_date.map(|d| (d, 0)), false),
                messages: t.messages,
                participants,
                summary,
            }
        })
        .collect();
    Ok(IndexPage {
        title: list.map_or("whosaid".to_string(), |l| format!("{l} - whosaid")),
        list: list.unwrap_or("").to_string(),
        lists,
        rows,
        next: more.then(|| page_href(list, None, offset + PER_PAGE)),
        prev: (offset > 0).then(|| page_href(list, None, offset.saturating_sub(PER_PAGE))),
    })
}

pub(super) fn run_search(
    st: &AppState,
    list: Option<&str>,
    q: &str,
    offset: usize,
    limit: usize,
) -> Result<(crate::index::SearchResults, Vec<String>, Vec<String>), WebError> {
    let Some(index) = st.index.as_ref() else {
        return Err(WebError::Internal(
            "the search index is missing; run `whosaid reindex`".into(),
        ));
    };
    let text = match list {
        Some(l) if q.trim().is_empty() => format!("l:{l}"),
        Some(l) => format!("({q}) l:{l}"),
        None => q.to_string(),
    };
    let parsed = crate::query::parse(&text, chrono::Utc::now().timestamp())
        .map_err(|e| WebError::BadRequest(e.to_string()))?;
    let results = index.search(
        &parsed,
        SearchOptions {
            limit: limit.min(MAX_PAGE),
            offset,
            sort: Sort::Date,
            snippets: true,
        },
        &|row| st.with_store(|s| s.quoted_text(row)).ok(),
    )?;
    let lists = st.with_store(|s| {
        results
            .hits
            .iter()
            .map(|h| {
                s.lists_of(h.row)
                    .map(|l| l.first().cloned().unwrap_or_else(|| "all".into()))
            })
            .collect::<crate::error::Result<Vec<String>>>()
    })?;
    Ok((results, lists, parsed.notes))
}

pub fn search(
    st: &AppState,
    list: Option<&str>,
    q: &str,
    offset: usize,
    by_thread: bool,
) -> Result<SearchPage, WebError> {
    let x = if by_thread { "&x=t" } else { "" };
    let mut page = SearchPage {
        title: format!("{q} - whosaid search"),
        query: q.to_string(),
        list: list.unwrap_or("").to_string(),
        total: 0,
        hits: Vec::new(),
        threads: Vec::new(),
        by_thread,
        formats: [
            ("messages", ""),
            ("threads", "&x=t"),
            ("mbox.gz", "&x=m"),
            ("Atom", "&x=A"),
        ]
        .iter()
        .map(|(label, x)| (*label, format!("{}{x}", page_href(list, Some(q), 0))))
        .collect(),
        notes: Vec::new(),
        error: String::new(),
        prev: None,
        next: None,
        prefixes: crate::query::PREFIXES
            .iter()
            .map(|&(p, _, d)| (p, d))
            .collect(),
    };
    match run_search(st, list, q, offset, PER_PAGE) {
        Ok((results, lists, notes)) => {
            page.total = results.total;
            page.notes = notes;
            page.next = (offset + PER_PAGE < results.total)
                .then(|| format!("{}{x}", page_href(list, Some(q), offset + PER_PAGE)));
            page.prev = (offset > 0).then(|| {
                format!(
                    "{}{x}",
                    page_href(list, Some(q), offset.saturating_sub(PER_PAGE))
                )
            });
            // With x=t: each hit's thread, as (root, thread page).
            let threads = if by_thread {
                st.with_store(|s| {
                    results
                        .hits
                        .iter()
                        .zip(&lists)
                        .map(|(h, l)| {
                            let root = s.thread_root_of(h.row)?.unwrap_or_default();
                            let href = format!("{}T/", message_href(l, &root));
                            Ok((root, href))
                        })
                        .collect::<crate::error::Result<Vec<_>>>()
                })?
            } else {
                Vec::new()
            };
            page.hits = results
                .hits
                .into_iter()
                .zip(lists)
                .map(|(h, l)| HitRow {
                    href: message_href(&l, &h.message_id),
                    subject: h.subject,
                    from: if h.from_name.is_empty() {
                        h.from_email
                    } else {
                        h.from_name
                    },
                    // Lists of hits are in time order: say their times in
                    // one zone (UTC), as lore does, or a 15:38 -0800 mail
                    // reads as older than a 20:00 +0100 one before it.
                    date: format_date(h.date.map(|(t, _)| (t, 0)), false),
                    snippet: cut_snippet(&h.snippet, &h.highlights),
                    in_quotes: h.in_quotes,
                })
                .collect();
            if by_thread {
                page.threads = group_by_thread(std::mem::take(&mut page.hits), threads);
            }
        }
        Err(WebError::BadRequest(why)) => page.error = why,
        Err(e) => return Err(e),
    }
    Ok(page)
}

/// Hits gathered under their threads (lore's `x=t`), threads in the
/// order of their newest hit.
fn group_by_thread(hits: Vec<HitRow>, threads: Vec<(String, String)>) -> Vec<ThreadHits> {
    let mut out: Vec<ThreadHits> = Vec::new();
    for (h, (root, href)) in hits.into_iter().zip(threads) {
        match out.iter_mut().find(|t| t.root == root) {
            Some(t) => t.hits.push(h),
            None => out.push(ThreadHits {
                href,
                subject: h.subject.clone(),
                root,
                hits: vec![h],
            }),
        }
    }
    out
}

fn cut_snippet(snippet: &str, highlights: &[(usize, usize)]) -> Vec<(String, bool)> {
    let mut out = Vec::new();
    let mut at = 0;
    for &(a, b) in highlights {
        if a < at
            || b > snippet.len()
            || !snippet.is_char_boundary(a)
            || !snippet.is_char_boundary(b)
        {
            continue;
        }
        out.push((snippet[at..a].to_string(), false));
        out.push((snippet[a..b].to_string(), true));
        at = b;
    }
    out.push((snippet[at..].to_string(), false));
    out
}

pub fn search_json(st: &AppState, q: &str, offset: usize) -> Result<serde_json::Value, WebError> {
    let (results, _, notes) = run_search(st, None, q, offset, 20)?;
    let hits: Vec<serde_json::Value> = st.with_store(|s| {
        results
            .hits
            .iter()
            .map(|h| {
                let root = s
                    .thread_root_of(h.row)?
                    .unwrap_or_else(|| h.message_id.clone());
                Ok(crate::report::hit_json(h, &root))
            })
            .collect()
    })?;
    Ok(serde_json::json!({"total": results.total, "hits": hits, "notes": notes}))
}

fn stance_class(s: Stance) -> &'static str {
    match s {
        Stance::Support => "support",
        Stance::Oppose => "oppose",
        Stance::Neutral => "neutral",
    }
}

pub(super) fn anchor_of(msgid: &str) -> String {
    format!("m-{}", links::encode_message_id(msgid).replace('%', "_"))
}

/// A body cut into parts by the one quote splitter, diff lines classed.
fn parts_of<'a>(body: &'a str, segments: &[quote::Segment]) -> Vec<Part<'a>> {
    segments
        .iter()
        .map(|seg| {
            let text = seg.text(body);
            let (kind, depth) = match seg.kind {
                SegKind::Original => ("original", 0),
                SegKind::Quoted { depth } => ("quoted", (depth as usize).min(6)),
                SegKind::Attribution => ("attribution", 0),
                SegKind::Signature => ("signature", 0),
                SegKind::Diff => ("diff", 0),
            };
            let class_of = |l: &str| match kind {
                "diff" if l.starts_with("+++") || l.starts_with("---") => "file",
                "diff" if l.starts_with('+') => "add",
                "diff" if l.starts_with('-') => "del",
                "diff" if l.starts_with("@@") => "hunk",
                "diff" if l.starts_with("diff ") => "file",
                "original" if crate::trailers::parse_line(l.trim(), 0).is_some() => "trailer",
                _ => "",
            };
            let mut runs: Vec<Run<'a>> = Vec::new();
            let mut lines = 0;
            if kind == "diff" || kind == "original" {
                // (class, start, end) of the run being built.
                let mut open: Option<(&'static str, usize, usize)> = None;
                let mut at = 0;
                for line in text.split_inclusive('\n') {
                    let content = line.trim_end_matches(['\n', '\r']);
                    let class = class_of(content);
                    let end = at + content.len();
                    open = match open {
                        Some((c, start, _)) if c == class => Some((c, start, end)),
                        Some((c, start, stop)) => {
                            runs.push(Run {
                                class: c,
                                text: &text[start..stop],
                            });
                            Some((class, at, end))
                        }
                        None => Some((class, at, end)),
                    };
                    at += line.len();
                    lines += 1;
                }
                if let Some((c, start, stop)) = open {
                    runs.push(Run {
                        class: c,
                        text: &text[start..stop],
                    });
                }
                if runs.len() == 1 && runs[0].class.is_empty() {
                    runs.clear();
                }
            } else {
                lines = text.lines().count();
            }
            Part {
                kind,
                depth,
                text: text.trim_end_matches(['\n', '\r']),
                lines,
                runs,
            }
        })
        .collect()
}

/// Recipients a message page names (and puts in its reply commands).
pub const MAX_RECIPIENTS: usize = 100;

/// A message page's header lines and lore's reply instructions.
#[derive(Default)]
pub struct ReplyInfo {
    pub to: String,
    pub cc: String,
    /// `git send-email --in-reply-to=... --to=... --cc=... /path/to/YOUR_REPLY`.
    pub send_email: String,
    /// A `mailto:` with the same recipients, subject and In-Reply-To.
    pub mailto: String,
}

impl ReplyInfo {
    /// From the stored copy of `msgid`: its To/Cc, and how to reply to all.
    pub fn of(st: &AppState, msgid: &str) -> Result<ReplyInfo, WebError> {
        let raw = st.with_store(|s| s.raw_by_message_id(msgid))?;
        let Some(raw) = raw.first() else {
            return Ok(ReplyInfo::default());
        };
        let crate::message::ParseOutcome::Message(m, _) = crate::message::parse(raw) else {
            return Ok(ReplyInfo::default());
        };
        // A message to 100,000 people shows the first hundred, and says so.
        let list = |people: &[crate::message::Person]| {
            let mut shown: Vec<String> = people
                .iter()
                .take(MAX_RECIPIENTS)
                .map(|p| p.display().to_string())
                .collect();
            if people.len() > MAX_RECIPIENTS {
                shown.push(format!("and {} more", people.len() - MAX_RECIPIENTS));
            }
            shown.join(", ")
        };
        // Reply to all: the sender, then everyone else it went to, once each.
        let mut seen = std::collections::HashSet::new();
        let mut cc: Vec<&str> = Vec::new();
        for p in m.to.iter().chain(&m.cc) {
            let e = p.email.as_str();
            if !e.is_empty()
                && !e.eq_ignore_ascii_case(&m.from.email)
                && seen.insert(e.to_ascii_lowercase())
            {
                cc.push(e);
            }
            if cc.len() == MAX_RECIPIENTS {
                break;
            }
        }
        let mut send = format!(
            "git send-email \\\n  --in-reply-to='<{msgid}>' \\\n  --to={} \\\n",
            m.from.email
        );
        for c in &cc {
            send.push_str(&format!("  --cc={c} \\\n"));
        }
        send.push_str("  /path/to/YOUR_REPLY");
        let subject = if m.subject.to_ascii_lowercase().starts_with("re:") {
            m.subject.clone()
        } else {
            format!("Re: {}", m.subject)
        };
        let mailto = format!(
            "mailto:{}?In-Reply-To=%3C{}%3E&Cc={}&Subject={}",
            links::encode_message_id(&m.from.email),
            links::encode_message_id(msgid),
            links::encode_message_id(&cc.join(",")),
            links::encode_message_id(&subject)
        );
        Ok(ReplyInfo {
            to: list(&m.to),
            cc: list(&m.cc),
            send_email: send,
            mailto,
        })
    }
}

/// A subject without its "Re:"/"Fwd:" prefixes and spacing differences.
fn bare_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let cut = ["re:", "fwd:", "fw:", "aw:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => break,
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A message next to another in its thread: (href, subject).
pub type Neighbour = (String, String);

/// The messages before and after `msgid` in the thread's order (ghosts
/// skipped).
fn neighbours(
    view: &crate::store::ThreadView,
    msgid: &str,
    list: &str,
) -> (Option<Neighbour>, Option<Neighbour>) {
    let order: Vec<usize> = view
        .order
        .iter()
        .map(|&(i, _)| i)
        .filter(|&i| !view.nodes[i].ghost)
        .collect();
    let Some(at) = order
        .iter()
        .position(|&i| view.nodes[i].message_id == msgid)
    else {
        return (None, None);
    };
    let link = |i: usize| {
        let n = &view.nodes[i];
        (message_href(list, &n.message_id), n.subject.clone())
    };
    (
        at.checked_sub(1).map(|p| link(order[p])),
        order.get(at + 1).map(|&n| link(n)),
    )
}

/// Where a thread page's changelog `Link:` lines point: this archive (as
/// the request reached it, or its configured base URL), lore, or
/// patch.msgid.link.
#[derive(Clone)]
pub struct LinkChoice {
    /// This archive's address.
    pub here: String,
    /// `here`, `lore` or `msgid`.
    pub chosen: &'static str,
}

/// The archives a changelog's `Link:` may point into, by name.
const LINK_TARGETS: [(&str, &str, &str); 3] = [
    ("here", "", "this archive"),
    ("lore", "https://lore.kernel.org", "lore"),
    ("msgid", "https://patch.msgid.link", "patch.msgid.link"),
];

impl LinkChoice {
    pub fn new(here: String, asked: Option<&str>) -> LinkChoice {
        let chosen = LINK_TARGETS
            .iter()
            .find(|(name, _, _)| Some(*name) == asked)
            .map_or("here", |t| t.0);
        LinkChoice { here, chosen }
    }

    /// The base URL `Link:` lines use.
    pub fn base(&self) -> &str {
        match LINK_TARGETS.iter().find(|t| t.0 == self.chosen) {
            Some((_, base, _)) if !base.is_empty() => base,
            _ => &self.here,
        }
    }

    /// What tells pages made for different choices apart in the cache.
    pub fn key(&self) -> String {
        format!("{}:{}", self.chosen, self.here)
    }
}

pub fn thread<'a>(
    list: &str,
    msgid: &str,
    layout: Layout,
    a: &'a super::Analysis,
    links_to: &LinkChoice,
    reply: ReplyInfo,
    versions: super::series::VersionLinks,
) -> Result<ThreadPage<'a>, WebError> {
    let (view, bodies, consensus) = (&a.view, &a.bodies, &a.consensus);
    // On a message page the other messages are on the thread page.
    let root_href = message_href(list, &view.root);
    let here = if layout == Layout::Message {
        format!("{root_href}T/")
    } else {
        String::new()
    };

    let view_of = |i: usize, depth: usize, with_body: bool| {
        let n = &view.nodes[i];
        MsgView {
            anchor: anchor_of(&n.message_id),
            message_id: n.message_id.clone(),
            ghost: n.ghost,
            from: n.from.display().to_string(),
            email: n.from.email.clone(),
            date: format_date(n.date, false),
            subject: n.subject.clone(),
            indent: depth.min(12),
            permalink: links::permalink(&n.message_id),
            raw: format!("{}raw", message_href(list, &n.message_id)),
            parent_href: n
                .parent
                .map(|p| format!("{here}#{}", anchor_of(&view.nodes[p].message_id)))
                .unwrap_or_default(),
            repeats_parent: n
                .parent
                .is_some_and(|p| bare_subject(&view.nodes[p].subject) == bare_subject(&n.subject)),
            parts: if with_body && !n.ghost {
                parts_of(&bodies[i], &a.segments[i])
            } else {
                Vec::new()
            },
            current: n.message_id == msgid,
        }
    };
    // A thread longer than a page holds shows the stretch around the
    // message asked for, in the outline and in the messages.
    let outline_order = window(&view.order, |&(i, _)| view.nodes[i].message_id == msgid);
    let outline: Vec<MsgView<'a>> = outline_order
        .iter()
        .map(|&(i, d)| view_of(i, d, false))
        .collect();
    let messages: Vec<MsgView<'a>> = match layout {
        Layout::Message => view
            .order
            .iter()
            .filter(|&&(i, _)| view.nodes[i].message_id == msgid && !view.nodes[i].ghost)
            .map(|&(i, d)| view_of(i, d, true))
            .collect(),
        // Bodies cut into parts on every core: a long thread has many.
        Layout::Nested => crate::par::map(outline_order, |&(i, d)| view_of(i, d, true)),
        Layout::Flat => {
            let mut order: Vec<usize> = view.order.iter().map(|&(i, _)| i).collect();
            order.sort_by_key(|&i| (view.nodes[i].date.map(|d| d.0).unwrap_or(i64::MAX), i));
            let order = window(&order, |&i| view.nodes[i].message_id == msgid);
            crate::par::map(order, |&i| view_of(i, 0, true))
        }
    };
    let partial = if view.order.len() > MAX_SHOWN {
        format!(
            "This thread has {} messages; the page shows the {MAX_SHOWN} around the one \
             asked for. The mbox.gz download holds them all.",
            view.order.len()
        )
    } else {
        String::new()
    };
    if layout == Layout::Message && messages.is_empty() {
        return Err(WebError::NotFound(format!(
            "<{msgid}> is referenced in the thread but not in the archive"
        )));
    }

    let href_of = |m: &str| format!("{root_href}T/#{}", anchor_of(m));
    let positions = position_rows(consensus, &href_of);
    let grid = series_grid(consensus, &href_of);
    let timeline = timeline(view, consensus, &here);
    // Changelog blocks: on a message page the one for the patch the message
    // is about; on a thread page one per patch, newest revision first.
    let mut patches_for_log: Vec<&crate::consensus::PatchCredits> = match layout {
        Layout::Message => crate::report::patch_of(view, consensus, msgid)
            .into_iter()
            .collect(),
        _ => consensus
            .patches
            .iter()
            .filter(|p| !p.cover || consensus.patches.len() == 1)
            .collect(),
    };
    patches_for_log.sort_by_key(|p| (std::cmp::Reverse(p.version), p.index));
    let changelog = patches_for_log
        .into_iter()
        .map(|p| {
            (
                p.subject.clone(),
                crate::report::changelog_block(consensus, p, links_to.base()),
            )
        })
        .collect();

    Ok(ThreadPage {
        title: format!("{} - whosaid", view.subject()),
        list: list.to_string(),
        flat_href: format!("{root_href}T/"),
        nested_href: format!("{root_href}t/"),
        mbox_href: format!("{root_href}t.mbox.gz"),
        atom_href: format!("{root_href}t.atom"),
        api_href: format!("/api/thread/{}", links::encode_message_id(&view.root)),
        around: neighbours(view, msgid, list),
        series_href: versions.series_href,
        versions: versions.versions,
        reply,
        link_choices: LINK_TARGETS
            .iter()
            .map(|(name, _, label)| {
                let href = if *name == "here" {
                    "?".to_string()
                } else {
                    format!("?link={name}")
                };
                (*label, href, *name == links_to.chosen)
            })
            .collect(),
        root_href,
        single: layout == Layout::Message,
        outline,
        messages,
        summary: consensus.summary(),
        subsystems: consensus.subsystems.join(", "),
        positions,
        grid,
        timeline,
        subject: view.subject().to_string(),
        changelog,
        partial,
    })
}

/// The positions panel's rows: each person's final stance and what shows
/// it, and an author's latest concession ("will fix in v2").
fn position_rows(
    consensus: &crate::consensus::Consensus,
    href_of: &dyn Fn(&str) -> String,
) -> Vec<PosRow> {
    consensus
        .positions
        .iter()
        .map(|p| {
            let e = p.evidence();
            let conceded = (p.role == crate::consensus::Role::Author)
                .then(|| {
                    p.signals
                        .iter()
                        .rev()
                        .find(|s| s.kind == crate::stance::Kind::Concedes)
                })
                .flatten()
                .filter(|c| e.is_none_or(|e| c.date >= e.date));
            PosRow {
                name: p.person.display().to_string(),
                email: p.person.email.clone(),
                who_href: format!("/who/{}", links::encode_message_id(&p.person.email)),
                role: p.role.as_str(),
                stance: stance_class(p.stance),
                grade: grade_label(p.grade),
                changed: p.changed,
                kind: e
                    .map(|s| {
                        format!(
                            "{}{}",
                            s.kind.as_str(),
                            if s.conditional { " (conditional)" } else { "" }
                        )
                    })
                    .unwrap_or_default(),
                evidence: e.map(|s| s.evidence.clone()).unwrap_or_default(),
                evidence_href: e.map(|s| href_of(&s.message_id)).unwrap_or_default(),
                shown_by_href: e
                    .and_then(|s| s.shown_by.as_deref())
                    .map(href_of)
                    .unwrap_or_default(),
                conceded: conceded.map(|c| c.evidence.clone()).unwrap_or_default(),
                conceded_href: conceded.map(|c| href_of(&c.message_id)).unwrap_or_default(),
            }
        })
        .collect()
}

/// A grid cell's label for the kind of signal behind it.
fn cell_label(kind: crate::stance::Kind) -> &'static str {
    match kind.as_str() {
        "acked-by" => "Acked",
        "reviewed-by" => "Reviewed",
        "tested-by" => "Tested",
        "nak" | "nacked-by" => "NAK",
        "applied" => "Applied",
        "approval" => "OK",
        "objection" | "disagree" => "objection",
        "requests-changes" => "changes",
        "withdraws" => "withdrawn",
        other => other,
    }
}

/// The series grid: every non-cover patch, every reviewer who spoke on
/// one; each cell links to the message behind it.
fn series_grid(
    consensus: &crate::consensus::Consensus,
    href_of: &dyn Fn(&str) -> String,
) -> Option<Grid> {
    let patches: Vec<&crate::consensus::PatchCredits> =
        consensus.patches.iter().filter(|p| !p.cover).collect();
    let reviewers: Vec<&crate::consensus::Position> = consensus
        .positions
        .iter()
        .filter(|p| {
            p.role != crate::consensus::Role::Author
                && p.patches
                    .iter()
                    .any(|s| patches.iter().any(|q| q.message_id == s.patch))
        })
        .collect();
    if patches.len() < 2 || reviewers.is_empty() {
        return None;
    }
    let cell = |p: &crate::consensus::PatchCredits, r: &crate::consensus::Position| {
        let Some(s) = r.patches.iter().find(|s| s.patch == p.message_id) else {
            return GridCell::default();
        };
        let conditional = p
            .trailers
            .iter()
            .any(|t| t.conditional && t.person.email == r.person.email);
        let label = cell_label(s.kind);
        GridCell {
            label: if conditional && s.stance != Stance::Oppose {
                format!("{label}?")
            } else {
                label.to_string()
            },
            class: stance_class(s.stance),
            href: href_of(&s.message_id),
        }
    };
    Some(Grid {
        reviewers: reviewers
            .iter()
            .map(|r| r.person.display().to_string())
            .collect(),
        rows: patches
            .iter()
            .map(|p| {
                let cells = reviewers.iter().map(|r| cell(p, r)).collect();
                (p.subject.clone(), href_of(&p.message_id), cells)
            })
            .collect(),
    })
}

/// Width of the timeline's drawing, and of its column of names.
const TIMELINE_WIDTH: u32 = 640;
const TIMELINE_NAMES: u32 = 130;
/// People given a row of their own; the rest share the last row.
const TIMELINE_ROWS: usize = 9;

/// The timeline: one row per participant (named), a mark per message at
/// its time, shaped and coloured by the sender's stance then. `here`
/// prefixes the anchors (the thread page, from a message page).
fn timeline(
    view: &crate::store::ThreadView,
    consensus: &crate::consensus::Consensus,
    here: &str,
) -> Timeline {
    let mut dated: Vec<(i64, usize)> = view
        .order
        .iter()
        .filter_map(|&(i, _)| view.nodes[i].date.map(|d| (d.0, i)))
        .collect();
    // In time order (the order the arrow keys walk them); one mark per
    // message up to MAX_SHOWN, beyond that an even sample.
    dated.sort();
    if dated.len() > MAX_SHOWN {
        let step = dated.len().div_ceil(MAX_SHOWN);
        dated = dated.into_iter().step_by(step).collect();
    }
    let (lo, hi) = dated
        .iter()
        .fold((i64::MAX, i64::MIN), |(a, b), &(t, _)| (a.min(t), b.max(t)));
    let people = &consensus.positions;
    let mut stance_at: HashMap<&str, &'static str> = HashMap::new();
    for p in people {
        for s in &p.signals {
            if let Some(st) = s.stance {
                stance_at.insert(s.message_id.as_str(), stance_class(st));
            }
        }
    }
    let row_of = |email: &str| {
        people
            .iter()
            .position(|p| p.person.email == email)
            .unwrap_or(0)
            .min(TIMELINE_ROWS)
    };
    let span = TIMELINE_WIDTH - TIMELINE_NAMES - 20;
    let dots = dated
        .iter()
        .map(|&(t, i)| {
            let n = &view.nodes[i];
            let x = if hi > lo {
                (t - lo) as f64 / (hi - lo) as f64 * f64::from(span)
            } else {
                f64::from(span) / 2.0
            };
            let class = stance_at
                .get(n.message_id.as_str())
                .copied()
                .unwrap_or("neutral");
            Dot {
                x: TIMELINE_NAMES + 10 + x as u32,
                y: 12 + row_of(&n.from.email) as u32 * 14,
                class,
                title: format!(
                    "{}, {}, {}: {}",
                    n.from.display(),
                    format_date(n.date, false),
                    if class == "neutral" {
                        "no stance"
                    } else {
                        class
                    },
                    n.subject
                ),
                href: format!("{here}#{}", anchor_of(&n.message_id)),
            }
        })
        .collect();
    let mut rows: Vec<(u32, String)> = people
        .iter()
        .take(TIMELINE_ROWS)
        .enumerate()
        .map(|(r, p)| (16 + r as u32 * 14, p.person.display().to_string()))
        .collect();
    if people.len() > TIMELINE_ROWS {
        rows.push((
            16 + TIMELINE_ROWS as u32 * 14,
            format!("{} others", people.len() - TIMELINE_ROWS),
        ));
    }
    let day = |t: i64, none: i64| {
        format_date((t != none).then_some((t, 0)), false)
            .get(..10)
            .unwrap_or("")
            .to_string()
    };
    let height = 40 + rows.len() as u32 * 14;
    Timeline {
        dots,
        rows,
        width: TIMELINE_WIDTH,
        names: TIMELINE_NAMES,
        height,
        first_date: day(lo, i64::MAX),
        last_date: day(hi, i64::MIN),
    }
}

/// The most entries a thread's Atom feed holds.
pub const MAX_FEED: usize = 100;

/// The most messages a thread page shows (and dots its timeline draws).
/// Long kernel threads run to a few hundred; a page of thousands is of use
/// to no one and costs the server a render each.
pub const MAX_SHOWN: usize = 1000;

/// At most [`MAX_SHOWN`] items of `all`, centred on the first for which
/// `current` holds (the start when none does).
fn window<T>(all: &[T], current: impl Fn(&T) -> bool) -> &[T] {
    if all.len() <= MAX_SHOWN {
        return all;
    }
    let at = all.iter().position(current).unwrap_or(0);
    let start = at.saturating_sub(MAX_SHOWN / 2).min(all.len() - MAX_SHOWN);
    &all[start..start + MAX_SHOWN]
}

/// The thread as gzipped mboxrd, every stored message, by date.
pub fn thread_mbox_gz(st: &AppState, msgid: &str) -> Result<Vec<u8>, WebError> {
    let raws = st
        .with_store(|s| {
            let Some(view) = s.thread(msgid)? else {
                return Ok(None);
            };
            let mut rows: Vec<(i64, i64)> = view
                .nodes
                .iter()
                .filter_map(|n| n.row.map(|r| (n.date.map_or(i64::MAX, |d| d.0), r)))
                .collect();
            rows.sort();
            let rows: Vec<i64> = rows.into_iter().map(|(_, r)| r).collect();
            s.canonical_raws(&rows).map(Some)
        })?
        .ok_or_else(|| WebError::NotFound(format!("no message <{msgid}> in the archive")))?;
    super::feeds::mboxrd_gz(&raws)
}

/// An Atom entry.
pub struct Entry {
    pub id: String,
    pub title: String,
    pub author: String,
    pub updated: String,
    pub href: String,
    pub text: String,
}

/// The thread as an Atom feed.
#[derive(Template)]
#[template(path = "thread.atom", escape = "html")]
pub struct AtomFeed {
    pub id: String,
    pub title: String,
    pub updated: String,
    pub entries: Vec<Entry>,
}

pub fn thread_atom(st: &AppState, list: &str, msgid: &str, base: &str) -> Result<String, WebError> {
    let a = st.analysis(msgid)?;
    let (view, bodies) = (&a.view, &a.bodies);
    let rfc = |d: Option<(i64, i32)>| {
        let s = format_date(d, true);
        if s.is_empty() {
            "1970-01-01T00:00:00+00:00".to_string()
        } else {
            s
        }
    };
    // The newest entries only, newest first: a feed reader wants what is
    // new.
    // By the instant, not the text of the local time.
    let mut newest: Vec<usize> = (0..view.nodes.len())
        .filter(|&i| !view.nodes[i].ghost)
        .collect();
    newest.sort_by_key(|&i| std::cmp::Reverse(view.nodes[i].date.map(|d| d.0)));
    newest.truncate(MAX_FEED);
    let entries: Vec<Entry> = newest
        .into_iter()
        .map(|i| {
            let n = &view.nodes[i];
            let updated = rfc(n.date);
            Entry {
                id: format!("{}{}", base, links::permalink(&n.message_id)),
                title: n.subject.clone(),
                author: n.from.display().to_string(),
                updated,
                href: format!("{}{}", base, message_href(list, &n.message_id)),
                text: bodies[i].clone(),
            }
        })
        .collect();
    let feed = AtomFeed {
        id: format!("{}{}", base, links::permalink(&view.root)),
        title: view.subject().to_string(),
        updated: entries
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_default(),
        entries,
    };
    feed.render().map_err(|e| WebError::Internal(e.to_string()))
}

/// One statement on a person page.
pub struct StatementRow {
    pub href: String,
    pub thread_href: String,
    pub subject: String,
    pub stance: &'static str,
    pub kind: &'static str,
    pub evidence: String,
    pub date: String,
}

/// A person page.
#[derive(Template, WebTemplate)]
#[template(path = "who.html")]
pub struct WhoPage {
    pub title: String,
    pub name: String,
    pub email: String,
    pub query: String,
    /// Threads they wrote in (or are named in), in all.
    pub threads: usize,
    /// Threads whose positions the counts cover (the newest
    /// [`WHO_COUNTED`]).
    pub counted: usize,
    pub counts: [usize; 4],
    pub statements: Vec<StatementRow>,
    /// The statements shown: numbers `first..=last` of `counted`.
    pub first: usize,
    pub last: usize,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub error: String,
}

fn parse_query(q: &str) -> Result<crate::query::Parsed, WebError> {
    crate::query::parse(q, chrono::Utc::now().timestamp())
        .map_err(|e| WebError::BadRequest(e.to_string()))
}

fn who_report(st: &AppState, q: &str, max_threads: usize) -> Result<crate::report::Who, WebError> {
    let Some(index) = st.index.as_ref() else {
        return Err(WebError::Internal(
            "the search index is missing; run `whosaid reindex`".into(),
        ));
    };
    let parsed = parse_query(q)?;
    st.with_store(|s| crate::report::who(s, index, &parsed, st.context(), max_threads))
}

/// Threads a person page lists at a time.
pub const WHO_PER_PAGE: usize = 25;

/// Threads whose positions a person page counts (the newest; beyond them
/// the page says so).
pub const WHO_COUNTED: usize = 500;

/// The roots of the threads matching `q`, newest first, each once.
fn thread_roots(st: &AppState, q: &str) -> Result<Vec<String>, WebError> {
    let Some(index) = st.index.as_ref() else {
        return Err(WebError::Internal(
            "the search index is missing; run `whosaid reindex`".into(),
        ));
    };
    let parsed = parse_query(q)?;
    let hits = index
        .search(
            &parsed,
            crate::index::SearchOptions {
                limit: 100_000,
                offset: 0,
                sort: crate::index::Sort::Date,
                snippets: false,
            },
            &|_| None,
        )
        .map_err(WebError::from)?;
    st.with_store(|s| {
        let mut seen = std::collections::HashSet::new();
        let mut roots = Vec::new();
        for h in &hits.hits {
            if let Some(root) = s.thread_root_of(h.row)?
                && seen.insert(root.clone())
            {
                roots.push(root);
            }
        }
        Ok(roots)
    })
}

/// Where `email` stands in one thread: the position of the person who
/// wrote from it (their address, or another of theirs the thread joined
/// it with), or who is named by it in a trailer.
fn position_of<'a>(a: &'a super::Analysis, email: &str) -> Option<&'a crate::consensus::Position> {
    let c = &a.consensus;
    c.positions
        .iter()
        .find(|p| p.person.email.eq_ignore_ascii_case(email))
        .or_else(|| {
            let sender = a
                .view
                .nodes
                .iter()
                .find(|n| n.from.email.eq_ignore_ascii_case(email))?;
            c.positions
                .iter()
                .find(|p| crate::consensus::same_person(&p.person, &sender.from))
        })
}

/// Which count a person's position goes to: support, oppose, neutral, or
/// authored (their own patch; their support of it is not a review).
fn statement_class(p: &crate::consensus::Position) -> usize {
    match p.stance {
        _ if p.role == crate::consensus::Role::Author => 3,
        Stance::Support => 0,
        Stance::Oppose => 1,
        Stance::Neutral => 2,
    }
}

pub fn who_page(st: &AppState, email: &str, q: &str, offset: usize) -> Result<WhoPage, WebError> {
    let mut page = WhoPage {
        title: format!("{email} - whosaid"),
        name: String::new(),
        email: email.to_string(),
        query: q.to_string(),
        threads: 0,
        counted: 0,
        counts: [0; 4],
        statements: Vec::new(),
        first: 0,
        last: 0,
        error: String::new(),
        prev: None,
        next: None,
    };
    // Quote the address so it is one term of the query language; someone
    // known only from trailers is found by their address anywhere.
    let within = |base: String| {
        if q.trim().is_empty() {
            base
        } else {
            format!("{base} AND ({q})")
        }
    };
    let mut roots = match thread_roots(st, &within(format!("f:\"{email}\""))) {
        Ok(r) => r,
        Err(WebError::BadRequest(why)) => {
            page.error = why;
            return Ok(page);
        }
        Err(e) => return Err(e),
    };
    if roots.is_empty() {
        roots = thread_roots(st, &within(format!("\"{email}\"")))?;
    }
    for root in roots.iter().take(WHO_COUNTED) {
        let a = st.analysis(root)?;
        let Some(p) = position_of(&a, email) else {
            continue;
        };
        if page.name.is_empty() {
            page.name = p.person.display().to_string();
        }
        page.counts[statement_class(p)] += 1;
        page.counted += 1;
    }
    if page.counted == 0 {
        if q.trim().is_empty() {
            return Err(WebError::NotFound(format!(
                "nobody writing as {email} in the archive"
            )));
        }
        return Ok(page);
    }
    page.threads = roots.len();
    let shown = roots.iter().skip(offset).take(WHO_PER_PAGE);
    for root in shown {
        let a = st.analysis(root)?;
        let Some(p) = position_of(&a, email) else {
            continue;
        };
        let Some(sig) = p.evidence().or(p.signals.last()) else {
            continue;
        };
        let list = st.with_store(|s| s.first_list_of(root))?;
        page.statements.push(StatementRow {
            href: links::permalink(&sig.message_id),
            thread_href: format!("{}T/", message_href(list.as_deref().unwrap_or("all"), root)),
            subject: a.view.subject().to_string(),
            stance: ["support", "oppose", "neutral", "authored"][statement_class(p)],
            kind: sig.kind.as_str(),
            evidence: sig.evidence.clone(),
            date: format_date(sig.date.map(|d| (d, 0)), false),
        });
    }
    let here = |o: usize| {
        let mut href = format!("?o={o}");
        if !q.trim().is_empty() {
            href.push_str(&format!("&q={}", links::encode_message_id(q)));
        }
        href
    };
    page.prev = (offset > 0).then(|| here(offset.saturating_sub(WHO_PER_PAGE)));
    page.next = (offset + WHO_PER_PAGE < page.threads).then(|| here(offset + WHO_PER_PAGE));
    page.first = offset + 1;
    page.last = (offset + WHO_PER_PAGE).min(page.threads);
    Ok(page)
}

pub fn who_json(st: &AppState, q: &str) -> Result<serde_json::Value, WebError> {
    Ok(crate::report::who_json(&who_report(st, q, 50)?))
}
