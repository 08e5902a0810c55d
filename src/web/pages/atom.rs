//! A thread as an Atom feed.

use super::*;

/// The most entries a thread's Atom feed holds.
pub const MAX_FEED: usize = 100;

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
    let a = st.thread(msgid)?;
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
