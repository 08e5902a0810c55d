//! Search results and lists as lore serves them besides pages: an Atom
//! feed (`x=A`, `/{list}/new.atom`) and an mbox.gz of the messages
//! (`x=m`, and a thread's `t.mbox.gz`).

use std::io::Write as _;

use askama::Template;

use super::pages::{AtomFeed, Entry, run_search};
use super::{AppState, WebError};
use crate::archive::search::Placed;
use crate::links;
use crate::report::format_date;

/// Entries in a feed of search results or of a list.
pub const FEED_ENTRIES: usize = 50;

/// Messages in the mbox.gz of search results (lore gives 200 too).
pub const MBOX_RESULTS: usize = 200;

/// Raw messages as one gzipped mboxrd, in the order given.
pub fn mboxrd_gz(raws: &[Vec<u8>]) -> Result<Vec<u8>, WebError> {
    let io = |e: std::io::Error| WebError::Internal(e.to_string());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    for raw in raws {
        gz.write_all(b"From mboxrd@z Thu Jan  1 00:00:00 1970\n")
            .map_err(io)?;
        let mut escaped = crate::mbox::escape_mboxrd(raw);
        if !escaped.ends_with(b"\n") {
            escaped.push(b'\n');
        }
        gz.write_all(&escaped).map_err(io)?;
        gz.write_all(b"\n").map_err(io)?;
    }
    gz.finish().map_err(io)
}

/// The newest messages matching `q` (on `list`; an empty `q` is the whole
/// list) as an Atom feed, links under `base`.
pub fn results_atom(
    st: &AppState,
    list: Option<&str>,
    q: &str,
    base: &str,
) -> Result<String, WebError> {
    let (found, _) = run_search(st, list, q, 0, FEED_ENTRIES)?;
    let rows: Vec<i64> = found.hits.iter().map(|p| p.hit.row).collect();
    let raws = st.with_store(|s| s.canonical_raws(&rows))?;
    let entries: Vec<Entry> = found
        .hits
        .iter()
        .zip(raws)
        .map(
            |(
                Placed {
                    hit: h, list: l, ..
                },
                raw,
            )| Entry {
                id: format!("{base}{}", links::permalink(&h.message_id)),
                title: h.subject.clone(),
                author: if h.from_name.is_empty() {
                    h.from_email.clone()
                } else {
                    h.from_name.clone()
                },
                updated: rfc3339(h.date),
                href: format!(
                    "{base}/{}/{}/",
                    links::encode_message_id(l),
                    links::encode_message_id(&h.message_id)
                ),
                text: crate::message::body_text(&raw),
            },
        )
        .collect();
    let title = match (list, q.trim()) {
        (Some(l), "") => format!("{l}: new messages"),
        (Some(l), q) => format!("{q} in {l}"),
        (None, q) => q.to_string(),
    };
    AtomFeed {
        id: format!(
            "{base}/{}?q={}&x=A",
            list.map(links::encode_message_id).unwrap_or_default(),
            links::encode_message_id(q)
        ),
        title,
        updated: entries
            .first()
            .map(|e| e.updated.clone())
            .unwrap_or_else(|| rfc3339(None)),
        entries,
    }
    .render()
    .map_err(|e| WebError::Internal(e.to_string()))
}

/// The newest [`MBOX_RESULTS`] messages matching `q` as a gzipped mboxrd,
/// oldest first (as `git am` and mail clients read them).
pub fn results_mbox_gz(st: &AppState, list: Option<&str>, q: &str) -> Result<Vec<u8>, WebError> {
    let (found, _) = run_search(st, list, q, 0, MBOX_RESULTS)?;
    let mut rows: Vec<i64> = found.hits.iter().map(|p| p.hit.row).collect();
    rows.reverse();
    let raws = st.with_store(|s| s.canonical_raws(&rows))?;
    mboxrd_gz(&raws)
}

fn rfc3339(date: Option<(i64, i32)>) -> String {
    let s = format_date(date, true);
    if s.is_empty() {
        "1970-01-01T00:00:00+00:00".to_string()
    } else {
        s
    }
}
