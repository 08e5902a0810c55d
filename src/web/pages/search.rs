//! Search results: by message or by thread (lore's `x=t`), and as JSON.

use super::*;
use crate::archive::search::{Found, Placed};

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

/// The page of messages matching `q` (within `list`; an empty `q` is the
/// whole list), newest first, and the parser's notes.
pub(in crate::web) fn run_search(
    st: &AppState,
    list: Option<&str>,
    q: &str,
    offset: usize,
    limit: usize,
) -> Result<(Found, Vec<String>), WebError> {
    let text = match list {
        Some(l) if q.trim().is_empty() => format!("l:{l}"),
        Some(l) => format!("({q}) l:{l}"),
        None => q.to_string(),
    };
    let parsed = parse_query(&text)?;
    let opts = SearchOptions {
        limit: limit.min(MAX_PAGE),
        offset,
        sort: Sort::Date,
        snippets: true,
    };
    let found = crate::archive::search::search(st, &parsed, opts)?;
    Ok((found, parsed.notes))
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
        Ok((found, notes)) => {
            page.total = found.total;
            page.notes = notes;
            page.next = (offset + PER_PAGE < found.total)
                .then(|| format!("{}{x}", page_href(list, Some(q), offset + PER_PAGE)));
            page.prev = (offset > 0).then(|| {
                format!(
                    "{}{x}",
                    page_href(list, Some(q), offset.saturating_sub(PER_PAGE))
                )
            });
            if by_thread {
                page.threads = thread_rows(found.hits);
            } else {
                page.hits = found.hits.into_iter().map(hit_row).collect();
            }
        }
        Err(WebError::BadRequest(why)) => page.error = why,
        Err(e) => return Err(e),
    }
    Ok(page)
}

/// Hits gathered under their threads (lore's `x=t`), threads in the
/// order of their newest hit.
fn thread_rows(hits: Vec<Placed>) -> Vec<ThreadHits> {
    crate::archive::search::by_thread(hits, |p| p.root.clone().unwrap_or_default())
        .into_iter()
        .map(|hits| {
            let first = &hits[0];
            let root = first.root.as_deref().unwrap_or_default();
            ThreadHits {
                href: format!("{}T/", message_href(&first.list, root)),
                subject: first.hit.subject.clone(),
                hits: hits.into_iter().map(hit_row).collect(),
            }
        })
        .collect()
}

/// A hit as a results page shows it.
fn hit_row(p: Placed) -> HitRow {
    let h = p.hit;
    HitRow {
        href: message_href(&p.list, &h.message_id),
        snippet: h.snippet_pieces(),
        subject: h.subject,
        from: if h.from_name.is_empty() {
            h.from_email
        } else {
            h.from_name
        },
        // Lists of hits are in time order: say their times in one zone
        // (UTC), as lore does, or a 15:38 -0800 mail reads as older than a
        // 20:00 +0100 one before it.
        date: format_date(h.date.map(|(t, _)| (t, 0)), false),
        in_quotes: h.in_quotes,
    }
}

pub fn search_json(st: &AppState, q: &str, offset: usize) -> Result<serde_json::Value, WebError> {
    let (found, notes) = run_search(st, None, q, offset, 20)?;
    let hits: Vec<serde_json::Value> = found
        .hits
        .iter()
        .map(|p| crate::report::hit_json(&p.hit, crate::archive::search::thread_of(p)))
        .collect();
    Ok(serde_json::json!({"total": found.total, "hits": hits, "notes": notes}))
}
