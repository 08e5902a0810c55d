//! Commits (`serve --repo PATH`): the commit page `/c/{sha}`, what the list
//! said of a commit, and the "applied as" line of a thread page.
//!
//! The repository's history is read once, on a thread of its own, when the
//! server starts; until it is read, a commit page answers 503 and thread
//! pages show no commits (the pages cached meanwhile are dropped once it
//! is read, and their ETags change).

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use askama::Template;
use askama_web::WebTemplate;

use super::{AppState, WebError};
use crate::archive::commits::{Applied, CommitMatch, CommitReport, Discussion, Discussions};
use crate::git::Commit;

/// The repository a server shows commits of, and its commits once read.
pub struct Repo {
    pub(super) path: PathBuf,
    applied: RwLock<Option<Arc<Applied>>>,
}

impl Repo {
    pub(super) fn new(path: PathBuf) -> Repo {
        Repo {
            path,
            applied: RwLock::new(None),
        }
    }

    /// The commits, once read.
    pub(super) fn applied(&self) -> Option<Arc<Applied>> {
        self.applied.read().expect("repo lock").clone()
    }
}

impl AppState {
    /// Reads the repository's history on a thread of its own (nothing to
    /// do without `--repo`); each page cached meanwhile is dropped once it
    /// is read. A failure is logged and leaves commits unshown.
    pub fn start_reading_repo(self: &Arc<Self>) {
        let Some(repo) = &self.repo else { return };
        let (st, path) = (self.clone(), repo.path.clone());
        std::thread::spawn(move || match Applied::read(&*st, &path, &[]) {
            Ok(applied) => {
                let (read, found) = applied.counts();
                eprintln!(
                    "whosaid: {}: {found} of {read} commits found on the list",
                    path.display()
                );
                if let Some(repo) = &st.repo {
                    *repo.applied.write().expect("repo lock") = Some(Arc::new(applied));
                }
                st.clear_caches();
            }
            Err(e) => eprintln!("whosaid: cannot read commits of {}: {e}", path.display()),
        });
    }

    /// What tells pages rendered before the commits were read from those
    /// after: 0 before (or without a repository), 1 after.
    pub(super) fn commits_generation(&self) -> u8 {
        self.repo
            .as_ref()
            .is_some_and(|r| r.applied().is_some())
            .into()
    }
}

/// A commit a thread's patch was applied as, for the thread page.
pub struct AppliedView {
    /// The patch's subject as posted.
    pub subject: String,
    /// The first 12 digits of the hash.
    pub short: String,
    /// The commit page.
    pub href: String,
    /// Where it went in (`v31`, `master`), if known.
    pub contained_in: String,
    /// How it was matched, and how sure (`patch-id, high`).
    pub how: String,
}

/// The commits the postings of thread `a` were applied as, in thread order.
pub fn applied_in_thread(st: &AppState, a: &crate::archive::Analysis) -> Vec<AppliedView> {
    let Some(applied) = st.repo.as_ref().and_then(|r| r.applied()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &(i, _) in &a.view.order {
        let n = &a.view.nodes[i];
        for (c, m) in applied.of_posting(&n.message_id) {
            out.push(AppliedView {
                subject: n.subject.clone(),
                short: c.sha.get(..12).unwrap_or(&c.sha).to_string(),
                href: format!("/c/{}", c.sha),
                contained_in: applied.contained_in(&c.sha).unwrap_or_default(),
                how: format!("{}, {}", m.method, m.confidence.unwrap_or("")),
            });
        }
    }
    out
}

/// The commit page.
#[derive(Template, WebTemplate)]
#[template(path = "commit.html")]
pub struct CommitPage {
    pub title: String,
    pub sha: String,
    pub subject: String,
    pub author: String,
    pub date: String,
    pub contained_in: String,
    /// The commit message after its subject line.
    pub message: String,
    /// How the posting was found: method, confidence, its page, its
    /// Message-ID; `None` when it was not.
    pub found: Option<(String, String, String, String)>,
    /// The posting's thread page and version label.
    pub thread: (String, String),
    /// The diff of the posting's diff to the commit's, when they differ:
    /// (class, line).
    pub interdiff: Vec<(&'static str, String)>,
    pub credited: Vec<String>,
    pub not_on_list: Vec<String>,
    /// Given in the thread or series, but to another posting.
    pub given_elsewhere: Vec<String>,
    pub open_objections: Vec<String>,
    /// Later messages naming the commit, newest first.
    pub mentions: Vec<MentionView>,
    /// The patches of the posting's version, when it had more than one.
    pub series: Vec<SiblingView>,
}

/// A later message naming a commit, on its page.
pub struct MentionView {
    pub href: String,
    pub subject: String,
    pub message_id: String,
    pub date: String,
    /// How it names the commit, in words.
    pub kind: &'static str,
}

/// A patch of the same version of the series, on a commit's page.
pub struct SiblingView {
    pub href: String,
    pub subject: String,
    /// The commit it went in as (full hash), or empty.
    pub commit: String,
    /// The commit's own posting.
    pub this: bool,
}

/// The commit `rev` names, its match, and the history it was read with;
/// 404 without a repository or such a commit, 503 while it is read.
fn locate(st: &AppState, rev: &str) -> Result<(Arc<Applied>, Commit, CommitMatch), WebError> {
    let repo = st.repo.as_ref().ok_or_else(|| {
        WebError::NotFound("this server shows no repository's commits (serve --repo)".into())
    })?;
    let applied = repo.applied().ok_or_else(|| {
        WebError::NotReady(format!(
            "the commits of {} are still being read; try again in a few seconds",
            repo.path.file_name().unwrap_or_default().to_string_lossy()
        ))
    })?;
    let (c, m) = applied.commit(rev)?.ok_or_else(|| {
        WebError::NotFound(format!(
            "no commit {rev} in the repository (or a merge, which carries no patch of its own)"
        ))
    })?;
    Ok((applied, c, m))
}

/// What the list said of the commit `c`, posted as `posting`.
fn discussion(
    st: &AppState,
    applied: &Applied,
    c: &Commit,
    m: &CommitMatch,
) -> Result<Option<Discussion>, WebError> {
    Ok(Discussions::new(st)
        .knowing(applied.shas_by_posting())
        .with_mailmap(applied.mailmap())
        .of(c, m)?)
}

/// `/api/c/{sha}`: the commit's match and discussion, as `commits --json`
/// gives each commit.
pub fn commit_json(st: &AppState, rev: &str) -> Result<serde_json::Value, WebError> {
    let (applied, c, m) = locate(st, rev)?;
    let d = discussion(st, &applied, &c, &m)?;
    let report = CommitReport {
        found: &m,
        discussion: d.as_ref(),
    };
    serde_json::to_value(report).map_err(|e| WebError::Internal(e.to_string()))
}

/// The page of the commit `rev` names.
pub fn commit_page(st: &AppState, rev: &str) -> Result<CommitPage, WebError> {
    let (applied, c, m) = locate(st, rev)?;
    let mut page = CommitPage {
        title: format!("{} - whosaid", c.subject()),
        sha: c.sha.clone(),
        subject: c.subject().to_string(),
        author: format!("{} <{}>", c.author_name, c.author_email),
        date: crate::report::format_date(Some((c.author_date, 0)), false),
        contained_in: applied.contained_in(&c.sha).unwrap_or_default(),
        message: c
            .message
            .split_once('\n')
            .map_or("", |(_, rest)| rest)
            .trim()
            .to_string(),
        found: None,
        thread: Default::default(),
        interdiff: Vec::new(),
        credited: Vec::new(),
        not_on_list: Vec::new(),
        given_elsewhere: Vec::new(),
        open_objections: Vec::new(),
        mentions: Vec::new(),
        series: Vec::new(),
    };
    if let Some(posting) = &m.posting {
        page.found = Some((
            m.method.to_string(),
            m.confidence.unwrap_or("").to_string(),
            page_of(st, posting)?,
            posting.clone(),
        ));
        if let Some(d) = discussion(st, &applied, &c, &m)? {
            fill_discussion(st, &mut page, d, posting)?;
        }
    }
    Ok(page)
}

/// What the list said of the commit, posted as `posting`.
fn fill_discussion(
    st: &AppState,
    page: &mut CommitPage,
    d: Discussion,
    posting: &str,
) -> Result<(), WebError> {
    if !d.thread.is_empty() {
        page.thread = (
            format!("{}T/", page_of(st, &d.thread)?),
            format!("v{}", d.version),
        );
    }
    if let Some(diff) = &d.interdiff {
        page.interdiff = super::series::diff_lines(diff);
    }
    page.credited = d.credited;
    page.not_on_list = d.not_on_list;
    page.given_elsewhere = d.given_elsewhere;
    page.open_objections = d.open_objections;
    page.mentions = d
        .mentions
        .into_iter()
        .map(|m| {
            Ok(MentionView {
                href: page_of(st, &m.message_id)?,
                date: crate::report::format_date(m.date.map(|d| (d, 0)), false),
                kind: m.says(),
                subject: m.subject,
                message_id: m.message_id,
            })
        })
        .collect::<Result<_, WebError>>()?;
    page.series = d
        .series
        .into_iter()
        .map(|s| {
            Ok(SiblingView {
                href: page_of(st, &s.message_id)?,
                subject: s.subject,
                commit: s.applied_as.unwrap_or_default(),
                this: s.message_id == posting,
            })
        })
        .collect::<Result<_, WebError>>()?;
    Ok(())
}

/// The page of the message `id`, in its first list.
fn page_of(st: &AppState, id: &str) -> Result<String, WebError> {
    Ok(match super::pages::list_of(st, id)? {
        Some(list) => super::pages::message_href(&list, id),
        None => format!("/r/{}", crate::links::encode_message_id(id)),
    })
}
