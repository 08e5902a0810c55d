//! A person page: every thread an address wrote in, with the position
//! they took, paged.

use super::*;

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

pub(super) fn who_report(
    st: &AppState,
    q: &str,
    max_threads: usize,
) -> Result<crate::report::Who, WebError> {
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
pub(super) fn thread_roots(st: &AppState, q: &str) -> Result<Vec<String>, WebError> {
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
pub(super) fn position_of<'a>(
    a: &'a crate::web::Analysis,
    email: &str,
) -> Option<&'a crate::consensus::Position> {
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
pub(super) fn statement_class(p: &crate::consensus::Position) -> usize {
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
