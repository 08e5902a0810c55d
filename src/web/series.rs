//! The series page (`/{list}/{msgid}/series/`): every known version of a
//! series, its patches, and each patch's state and Patchwork-style
//! Acked/Reviewed/Tested counts; and the versions a thread page links.

use askama::Template;
use askama_web::WebTemplate;

use super::{AppState, WebError};
use crate::consensus::{Consensus, Position};
use crate::links;
use crate::report::format_date;
use crate::stance::{Kind, Stance};
use crate::store::{Series, SeriesPatch};

/// One patch's row.
pub struct PatchRow {
    pub subject: String,
    pub href: String,
    /// "applied", "superseded", "changes requested", "objected", "new".
    pub state: &'static str,
    /// Acked-by, Reviewed-by, Tested-by credited to it.
    pub art: [usize; 3],
    /// The person and message behind the state, if any.
    pub why: String,
    pub why_href: String,
}

/// One version's block.
pub struct VersionBlock {
    pub version: u32,
    pub date: String,
    pub thread_href: String,
    pub patches: Vec<PatchRow>,
    pub changes: Vec<String>,
    pub partial: bool,
}

/// The series page.
#[derive(Template, WebTemplate)]
#[template(path = "series.html")]
pub struct SeriesPage {
    pub title: String,
    pub subject: String,
    pub sender: String,
    pub change_id: String,
    /// Newest first.
    pub versions: Vec<VersionBlock>,
    /// Each patch across versions: tags and objections and where they
    /// stand (empty for a series of one version).
    pub ledger: Vec<LedgerRow>,
    /// The same as a patch x reviewer grid: reviewers, then per patch its
    /// subject and a cell per reviewer.
    pub grid: (Vec<String>, Vec<(String, Vec<GridCell>)>),
}

/// Where one reviewer stands on one patch now, and how they got there.
#[derive(Default)]
pub struct GridCell {
    /// `holds`, `carried`, `stale`, `open`, `addressed`, `withdrawn`, or
    /// empty.
    pub state: &'static str,
    /// What shows: `Reviewed-by`, `objection`.
    pub what: String,
    /// Every entry, oldest first: `v1 Reviewed-by (carried)`.
    pub history: String,
}

/// One patch of the ledger.
pub struct LedgerRow {
    pub subject: String,
    /// `v1 v2= v3~`: posted, unchanged, changed.
    pub postings: String,
    pub dropped_in: Option<u32>,
    /// (`v1 → v2`, interdiff page) for each posting that changed the patch.
    pub interdiffs: Vec<(String, String)>,
    /// (state, `Reviewed-by: Name`, given on, href of the message, note).
    pub tags: Vec<(&'static str, String, u32, String, String)>,
    /// (state, who, given on, evidence, href, because).
    pub objections: Vec<(&'static str, String, u32, String, String, String)>,
}

fn href(list: &str, msgid: &str) -> String {
    format!(
        "/{}/{}/",
        links::encode_message_id(list),
        links::encode_message_id(msgid)
    )
}

/// The list a thread is shown under.
fn list_of(st: &AppState, root: &str, fallback: &str) -> Result<String, WebError> {
    Ok(st
        .with_store(|s| s.first_list_of(root))?
        .unwrap_or_else(|| fallback.to_string()))
}

/// The series that `msgid` belongs to, or 404.
fn series_of(st: &AppState, msgid: &str) -> Result<Series, WebError> {
    st.with_store(|s| s.series(msgid))?
        .ok_or_else(|| WebError::NotFound(format!("<{msgid}> is not part of a patch series")))
}

pub fn series_page(st: &AppState, list: &str, msgid: &str) -> Result<SeriesPage, WebError> {
    let series = series_of(st, msgid)?;
    let newest = series.versions.iter().map(|v| v.version).max().unwrap_or(1);
    let mut versions = Vec::new();
    for v in series.versions.iter().rev() {
        let a = st.thread(&v.thread_root)?;
        let vlist = list_of(st, &v.thread_root, list)?;
        let superseded = v.version < newest;
        versions.push(VersionBlock {
            version: v.version,
            date: format_date(
                v.cover
                    .as_ref()
                    .or(v.patches.first())
                    .and_then(|p| p.date)
                    .map(|d| (d, 0)),
                false,
            )
            .get(..10)
            .unwrap_or("")
            .to_string(),
            thread_href: format!("{}T/", href(&vlist, &v.thread_root)),
            patches: v
                .patches
                .iter()
                .map(|p| patch_row(&a.consensus, p, superseded, &vlist, &v.thread_root))
                .collect(),
            changes: v.changes.clone(),
            partial: v.partial,
        });
    }
    let (ledger, grid) = if series.versions.len() > 1 {
        let ledger = crate::archive::ledger::ledger(st, &series)?;
        let rows = ledger.patches.iter().map(|h| ledger_row(h, list)).collect();
        (rows, reviewer_grid(&ledger))
    } else {
        (Vec::new(), (Vec::new(), Vec::new()))
    };
    Ok(SeriesPage {
        ledger,
        grid,
        title: format!("{} - series - whosaid", series.subject),
        subject: series.subject.clone(),
        sender: series.sender.display().to_string(),
        change_id: series.change_id.clone().unwrap_or_default(),
        versions,
    })
}

/// The ledger as a patch x reviewer grid: each cell the reviewer's newest
/// tag or objection on the patch (an open objection outranks a tag), its
/// history in the cell's title.
fn reviewer_grid(
    ledger: &crate::archive::ledger::Ledger,
) -> (Vec<String>, Vec<(String, Vec<GridCell>)>) {
    let mut people: Vec<(String, String)> = Vec::new();
    for h in &ledger.patches {
        let who = h
            .tags
            .iter()
            .map(|t| &t.person)
            .chain(h.objections.iter().map(|o| &o.person));
        for p in who {
            if !people.iter().any(|(e, _)| e.eq_ignore_ascii_case(&p.email)) {
                people.push((p.email.clone(), p.display().to_string()));
            }
        }
    }
    let rows = ledger
        .patches
        .iter()
        .map(|h| {
            let cells = people
                .iter()
                .map(|(email, _)| grid_cell(h, email))
                .collect();
            (crate::series::parse_subject(&h.subject).base, cells)
        })
        .collect();
    (people.into_iter().map(|(_, name)| name).collect(), rows)
}

/// One reviewer's cell for one patch.
fn grid_cell(h: &crate::archive::ledger::PatchHistory, email: &str) -> GridCell {
    let mine = |p: &crate::message::Person| p.email.eq_ignore_ascii_case(email);
    let mut entries: Vec<(u32, &'static str, String)> = Vec::new();
    for t in h.tags.iter().filter(|t| mine(&t.person)) {
        entries.push((t.given_on, t.state, t.name.clone()));
    }
    for o in h.objections.iter().filter(|o| mine(&o.person)) {
        let what = if o.grade == "objects" {
            "objection"
        } else {
            "changes requested"
        };
        entries.push((o.given_on, o.state, what.to_string()));
    }
    entries.sort_by_key(|e| e.0);
    let history = entries
        .iter()
        .map(|(v, state, what)| format!("v{v} {what} ({state})"))
        .collect::<Vec<_>>()
        .join("; ");
    let shown = entries
        .iter()
        .rev()
        .find(|e| e.1 == "open")
        .or(entries.last());
    match shown {
        Some((_, state, what)) => GridCell {
            state,
            what: what.clone(),
            history,
        },
        None => GridCell::default(),
    }
}

/// A patch of the ledger as the page shows it.
fn ledger_row(h: &crate::archive::ledger::PatchHistory, list: &str) -> LedgerRow {
    let interdiffs = h
        .postings
        .windows(2)
        .filter(|w| w[1].change == Some(crate::series::Change::Changed))
        .map(|w| {
            let label = format!("v{} → v{}", w[0].version, w[1].version);
            let page = format!(
                "{}interdiff/?from={}",
                href(list, &w[1].message_id),
                links::encode_message_id(&w[0].message_id)
            );
            (label, page)
        })
        .collect();
    let postings = crate::report::postings_text(&h.postings);
    let tags = h
        .tags
        .iter()
        .map(|t| {
            let note = match t.changed_in {
                Some(v) => format!("the patch changed in v{v}"),
                None => String::new(),
            };
            let what = format!("{}: {}", t.name, t.person.display());
            (t.state, what, t.given_on, links::permalink(&t.source), note)
        })
        .collect();
    let objections = h
        .objections
        .iter()
        .map(|o| {
            let because = o
                .because
                .as_ref()
                .map(|(w, _)| w.clone())
                .unwrap_or_default();
            let who = o.person.display().to_string();
            let href = links::permalink(&o.source);
            (o.state, who, o.given_on, o.evidence.clone(), href, because)
        })
        .collect();
    LedgerRow {
        subject: crate::series::parse_subject(&h.subject).base,
        postings,
        dropped_in: h.dropped_in,
        interdiffs,
        tags,
        objections,
    }
}

/// A patch's state: applied (a maintainer took it), else superseded (a
/// later version exists), else the weightiest stance a reviewer holds on
/// it (a blocking objection, changes requested), else new.
fn patch_row(c: &Consensus, p: &SeriesPatch, superseded: bool, list: &str, root: &str) -> PatchRow {
    let mut stances: Vec<(&Position, &crate::consensus::PatchStance)> = Vec::new();
    for pos in &c.positions {
        if let Some(s) = pos.patches.iter().find(|s| s.patch == p.message_id) {
            stances.push((pos, s));
        }
    }
    let applied = stances.iter().find(|(_, s)| s.kind == Kind::Applied);
    let blocked = stances.iter().find(|(_, s)| {
        s.stance == Stance::Oppose
            && matches!(
                s.kind,
                Kind::Nak | Kind::NackedBy | Kind::Objection | Kind::Disagree
            )
    });
    let changes = stances.iter().find(|(_, s)| s.stance == Stance::Oppose);
    let (state, why) = match (applied, superseded, blocked, changes) {
        (Some(w), ..) => ("applied", Some(w)),
        (None, true, b, c) => ("superseded", b.or(c)),
        (None, false, Some(w), _) => ("objected", Some(w)),
        (None, false, None, Some(w)) => ("changes requested", Some(w)),
        _ => ("new", None),
    };
    let credits = c.patches.iter().find(|q| q.message_id == p.message_id);
    let mut art = [0; 3];
    for t in credits
        .iter()
        .flat_map(|q| &q.trailers)
        .filter(|t| t.verified && !t.conditional)
    {
        match t.name.to_ascii_lowercase().as_str() {
            "acked-by" => art[0] += 1,
            "reviewed-by" => art[1] += 1,
            "tested-by" => art[2] += 1,
            _ => {}
        }
    }
    let thread = format!("{}T/", href(list, root));
    PatchRow {
        subject: p.subject.clone(),
        href: format!("{thread}#{}", super::pages::anchor_of(&p.message_id)),
        state,
        art,
        why: why
            .map(|(pos, s)| format!("{}: {}", pos.person.display(), s.evidence))
            .unwrap_or_default(),
        why_href: why
            .map(|(_, s)| format!("{thread}#{}", super::pages::anchor_of(&s.message_id)))
            .unwrap_or_default(),
    }
}

/// What a thread page links of its series: the series page, and each
/// version as (label, thread page, in this thread).
#[derive(Default)]
pub struct VersionLinks {
    pub series_href: String,
    pub versions: Vec<(String, String, bool)>,
}

/// The series links of the thread `a`; empty when it holds no series
/// (its root posts no patch: a reply thread is not read again).
pub fn version_links(
    st: &AppState,
    list: &str,
    a: &crate::archive::Analysis,
) -> Result<VersionLinks, WebError> {
    let root = a.view.root.as_str();
    let root_posts = a
        .view
        .nodes
        .iter()
        .any(|n| n.message_id == root && n.posts_patch());
    if !root_posts {
        return Ok(VersionLinks::default());
    }
    let Some(series) = st.with_store(|s| s.series_outline(root))? else {
        return Ok(VersionLinks::default());
    };
    let page = format!("{}series/", href(list, root));
    let mut out = Vec::new();
    for v in &series.versions {
        let vlist = list_of(st, &v.thread_root, list)?;
        out.push((
            format!("v{}", v.version),
            format!("{}T/", href(&vlist, &v.thread_root)),
            v.thread_root == root,
        ));
    }
    Ok(VersionLinks {
        series_href: page,
        versions: out,
    })
}

/// The interdiff of two postings of a patch.
#[derive(Template, WebTemplate)]
#[template(path = "interdiff.html")]
pub struct InterdiffPage {
    pub title: String,
    pub subject: String,
    /// (label `v2`, message page) of the older and the newer posting.
    pub from: (String, String),
    pub to: (String, String),
    /// Each line of the unified diff with its class: `add`, `del`,
    /// `hunk` or `ctx`.
    pub lines: Vec<(&'static str, String)>,
}

/// The interdiff from the posting `from` to the posting `msgid` (both
/// patches, any two versions).
pub fn interdiff_page(
    st: &AppState,
    list: &str,
    msgid: &str,
    from: &str,
) -> Result<InterdiffPage, WebError> {
    let (old_label, old_body) = posting(st, from)?;
    let (new_label, new_body) = posting(st, msgid)?;
    let diff = crate::series::interdiff(&old_body, &new_body, &old_label, &new_label);
    let lines = diff_lines(&diff);
    let subject = st
        .thread(msgid)?
        .view
        .nodes
        .iter()
        .find(|n| n.message_id == msgid)
        .map(|n| crate::series::parse_subject(&n.subject).base)
        .unwrap_or_default();
    Ok(InterdiffPage {
        title: format!("{subject}: {old_label} to {new_label} - whosaid"),
        subject,
        from: (old_label, href(list, from)),
        to: (new_label, href(list, msgid)),
        lines,
    })
}

/// Each line of a unified diff with its class: `add`, `del`, `hunk` or
/// `ctx`.
pub(super) fn diff_lines(diff: &str) -> Vec<(&'static str, String)> {
    diff.lines()
        .map(|l| {
            let class = match l.as_bytes().first() {
                Some(b'@') => "hunk",
                Some(b'+') if !l.starts_with("+++ ") => "add",
                Some(b'-') if !l.starts_with("--- ") => "del",
                _ => "ctx",
            };
            (class, l.to_string())
        })
        .collect()
}

/// A posted patch's version label (`v2`) and body, or 404.
fn posting(st: &AppState, msgid: &str) -> Result<(String, String), WebError> {
    let a = st.thread(msgid)?;
    let i = a
        .view
        .nodes
        .iter()
        .position(|n| n.message_id == msgid && n.posts_patch())
        .ok_or_else(|| WebError::NotFound(format!("<{msgid}> is not a posted patch")))?;
    Ok((format!("v{}", a.view.nodes[i].version), a.bodies[i].clone()))
}
