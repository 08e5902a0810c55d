//! Search results: by message or by thread (lore's `x=t`), and as JSON.

use super::*;

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

pub(in crate::web) fn run_search(
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
pub(super) fn group_by_thread(
    hits: Vec<HitRow>,
    threads: Vec<(String, String)>,
) -> Vec<ThreadHits> {
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

pub(super) fn cut_snippet(snippet: &str, highlights: &[(usize, usize)]) -> Vec<(String, bool)> {
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
