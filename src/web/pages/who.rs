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

/// Threads a person page lists at a time.
pub const WHO_PER_PAGE: usize = 25;

/// Threads whose positions a person page counts (the newest; beyond them
/// the page says so).
pub const WHO_COUNTED: usize = 500;

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
    let found = match crate::archive::who::person(st, email, q, WHO_COUNTED, (offset, WHO_PER_PAGE))
    {
        Ok(found) => found,
        Err(crate::error::Error::Query(e)) => {
            page.error = e.to_string();
            return Ok(page);
        }
        Err(e) => return Err(e.into()),
    };
    if found.counted == 0 && q.trim().is_empty() {
        return Err(WebError::NotFound(format!(
            "nobody writing as {email} in the archive"
        )));
    }
    (page.name, page.counts, page.counted) = (found.name, found.counts, found.counted);
    if found.counted == 0 {
        return Ok(page);
    }
    page.threads = found.threads;
    page.statements = found.shown.into_iter().map(statement_row).collect();
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
    let who = crate::archive::who::who(st, &parse_query(q)?, 50)?;
    Ok(crate::report::who_json(&who))
}

/// A row of a person page.
fn statement_row(s: crate::archive::who::PersonStatement) -> StatementRow {
    StatementRow {
        href: links::permalink(&s.signal.message_id),
        thread_href: format!("{}T/", message_href(&s.list, &s.root)),
        subject: s.subject,
        stance: ["support", "oppose", "neutral", "authored"][s.class],
        kind: s.signal.kind.as_str(),
        evidence: s.signal.evidence,
        date: format_date(s.signal.date.map(|d| (d, 0)), false),
    }
}
