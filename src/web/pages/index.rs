//! The home page and list pages: threads, newest first.

use super::*;

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
            let a = st.thread(&t.root)?;
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
