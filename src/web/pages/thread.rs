//! A thread page (flat, nested, or one message): the data its template
//! shows, gathered from the thread's analysis.

use super::*;

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
    /// The commits the thread's patches were applied as (`serve --repo`).
    pub applied: Vec<crate::web::commits::AppliedView>,
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
pub(super) const LINK_TARGETS: [(&str, &str, &str); 3] = [
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
    a: &'a crate::web::Analysis,
    links_to: &LinkChoice,
    reply: ReplyInfo,
    versions: crate::web::series::VersionLinks,
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
    let changelog = changelog_blocks(view, consensus, layout, msgid, links_to);

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
        applied: Vec::new(),
    })
}

/// Changelog blocks: on a message page the one for the patch the message
/// is about; on a thread page one per patch, newest revision first.
fn changelog_blocks(
    view: &crate::store::ThreadView,
    consensus: &crate::consensus::Consensus,
    layout: Layout,
    msgid: &str,
    links_to: &LinkChoice,
) -> Vec<(String, String)> {
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
    patches_for_log
        .into_iter()
        .map(|p| {
            (
                p.subject.clone(),
                crate::report::changelog_block(
                    consensus,
                    p,
                    crate::report::link_target(view, consensus, p),
                    links_to.base(),
                ),
            )
        })
        .collect()
}

/// The most messages a thread page shows (and dots its timeline draws).
/// Long kernel threads run to a few hundred; a page of thousands is of use
/// to no one and costs the server a render each.
pub const MAX_SHOWN: usize = 1000;

/// At most [`MAX_SHOWN`] items of `all`, centred on the first for which
/// `current` holds (the start when none does).
pub(super) fn window<T>(all: &[T], current: impl Fn(&T) -> bool) -> &[T] {
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
    crate::web::feeds::mboxrd_gz(&raws)
}
