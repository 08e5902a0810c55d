//! Commits read from a git repository the user names, with the `git`
//! command: one `git log -p` over the range, parsed as it streams. The
//! command is what the user's own git does (their config, their repository
//! format), and one process reads any number of commits; a library (gix)
//! would add a large dependency to read what one command prints.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// One commit as matching needs it.
#[derive(Debug, Clone, Default)]
pub struct Commit {
    /// Full hash.
    pub sha: String,
    /// Author's name.
    pub author_name: String,
    /// Author's address.
    pub author_email: String,
    /// Author date, unix seconds.
    pub author_date: i64,
    /// Commit date, unix seconds.
    pub commit_date: i64,
    /// The whole message: subject, body, trailers.
    pub message: String,
    /// The diff (`git log -p` output after the message).
    pub patch: String,
}

impl Commit {
    /// The subject line.
    pub fn subject(&self) -> &str {
        self.message.lines().next().unwrap_or("")
    }
}

/// A marker no commit message holds, ahead of each commit's header.
const START: &str = "\u{1}whosaid-commit\u{1}";

/// The commits `revs` names in `repo` (a range such as `v1..v2`, hashes, or
/// `--all`), oldest first, merges left out. `on_commit` is told of each.
pub fn commits(
    repo: &Path,
    revs: &[String],
    mut on_commit: impl FnMut(usize),
) -> Result<Vec<Commit>> {
    let io = |cause| Error::Io {
        path: PathBuf::from(repo),
        cause,
    };
    let mut child = Command::new("git")
        .arg("-C")
        .arg(repo)
        .args([
            "log",
            "--reverse",
            "--no-merges",
            "-p",
            "--no-color",
            "--no-ext-diff",
        ])
        .arg(format!(
            "--format={START}%H%x00%an%x00%ae%x00%at%x00%ct%x00%B%x00"
        ))
        .args(if revs.is_empty() {
            vec!["HEAD".to_string()]
        } else {
            revs.to_vec()
        })
        .arg("--")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(io)?;
    let stdout = child.stdout.take().expect("piped");
    let mut out: Vec<Commit> = Vec::new();
    let mut reader = BufReader::new(stdout);
    let mut pending = String::new();
    let mut line = Vec::new();
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 {
            break;
        }
        let text = String::from_utf8_lossy(&line);
        if text.starts_with(START) && !pending.is_empty() {
            out.extend(parse_one(&pending));
            on_commit(out.len());
            pending.clear();
        }
        pending.push_str(&text);
    }
    out.extend(parse_one(&pending));
    let status = child.wait_with_output().map_err(io)?;
    if !status.status.success() {
        return Err(Error::Config {
            path: PathBuf::from(repo),
            detail: format!(
                "git log {} failed: {}",
                revs.join(" "),
                String::from_utf8_lossy(&status.stderr).trim()
            ),
        });
    }
    Ok(out)
}

/// One commit's text: the header fields, NUL-separated, then the patch.
fn parse_one(text: &str) -> Option<Commit> {
    let text = text.strip_prefix(START)?;
    let mut fields = text.splitn(7, '\0');
    let mut next = || fields.next().unwrap_or("").to_string();
    let (sha, author_name, author_email) = (next(), next(), next());
    let author_date = next().parse().unwrap_or(0);
    let commit_date = next().parse().unwrap_or(0);
    let message = next().trim_end().to_string();
    let patch = next().trim_start_matches('\n').to_string();
    Some(Commit {
        sha,
        author_name,
        author_email,
        author_date,
        commit_date,
        message,
        patch,
    })
}
