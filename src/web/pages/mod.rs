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

mod atom;
mod index;
mod message;
mod panel;
mod search;
mod thread;
mod who;

pub use self::atom::*;
pub use self::index::*;
pub use self::message::*;
pub use self::panel::*;
pub use self::search::*;
pub use self::thread::*;
pub use self::who::*;

pub(super) const PER_PAGE: usize = 25;

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

pub(super) fn page_href(list: Option<&str>, query: Option<&str>, offset: usize) -> String {
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
pub(super) fn message_href(list: &str, msgid: &str) -> String {
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

pub(super) fn stance_class(s: Stance) -> &'static str {
    match s {
        Stance::Support => "support",
        Stance::Oppose => "oppose",
        Stance::Neutral => "neutral",
    }
}

pub(super) fn anchor_of(msgid: &str) -> String {
    format!("m-{}", links::encode_message_id(msgid).replace('%', "_"))
}

pub(super) fn parse_query(q: &str) -> Result<crate::query::Parsed, WebError> {
    crate::query::parse(q, chrono::Utc::now().timestamp())
        .map_err(|e| WebError::BadRequest(e.to_string()))
}
