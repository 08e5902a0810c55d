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
    /// Its patch-ids (`git patch-id --stable`) with git's diff algorithms
    /// myers, histogram and patience, each once: a patch posted with
    /// another algorithm than the reader's has another patch-id. A patch
    /// with binary files has one more per length its blob ids may have
    /// been cut to.
    pub patch_ids: Vec<String>,
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
/// `git log` options), oldest first, merges left out. `on_commit` is told
/// of each.
pub fn commits(
    repo: &Path,
    revs: &[String],
    mut on_commit: impl FnMut(usize),
) -> Result<Vec<Commit>> {
    let format = format!("--format={START}%H%x00%an%x00%ae%x00%at%x00%ct%x00%B%x00");
    let mut out: Vec<Commit> = Vec::new();
    log(repo, revs, &[&format], |text| {
        out.extend(parse_one(text));
        on_commit(out.len());
    })?;
    let mut at: std::collections::HashMap<String, usize> = Default::default();
    for (i, c) in out.iter_mut().enumerate() {
        c.patch_ids.extend(crate::series::patch_id(&c.patch));
        c.patch_ids.extend(abbreviated_patch_ids(&c.patch));
        at.insert(c.sha.clone(), i);
    }
    for algorithm in ["--diff-algorithm=histogram", "--diff-algorithm=patience"] {
        let format = format!("--format={START}%H%x00");
        log(repo, revs, &[&format, algorithm], |text| {
            let Some((sha, patch)) = text.strip_prefix(START).and_then(|t| t.split_once('\0'))
            else {
                return;
            };
            let Some(&i) = at.get(sha) else { return };
            if let Some(id) = crate::series::patch_id(patch)
                && !out[i].patch_ids.contains(&id)
            {
                out[i].patch_ids.push(id);
            }
        })?;
    }
    Ok(out)
}

/// A binary file's patch-id is made of its blob ids as the patch writes
/// them: in full when posted with `--binary` (format-patch's default), cut
/// to the poster's `core.abbrev` (7 to 12 digits) when not. The patch-ids
/// of a patch with binary files (read with full ids) under each cut.
fn abbreviated_patch_ids(patch: &str) -> Vec<String> {
    if !patch.contains("\nBinary files ") {
        return Vec::new();
    }
    (7..=12)
        .filter_map(|n| {
            let cut: String = patch
                .split_inclusive('\n')
                .map(|line| abbreviate_index_line(line, n))
                .collect();
            crate::series::patch_id(&cut)
        })
        .collect()
}

/// `index A..B[ mode]` with A and B cut to `n` digits; other lines as
/// they are.
fn abbreviate_index_line(line: &str, n: usize) -> std::borrow::Cow<'_, str> {
    let Some((ids, rest)) = line.strip_prefix("index ").map(|r| {
        r.split_once([' ', '\n'])
            .map_or((r, ""), |(a, _)| (a, &r[a.len()..]))
    }) else {
        return line.into();
    };
    let Some((a, b)) = ids.split_once("..") else {
        return line.into();
    };
    let cut = |id: &str| id.get(..n).unwrap_or(id).to_string();
    format!("index {}..{}{rest}", cut(a), cut(b)).into()
}

/// Runs `git log -p` over `revs` with `args` (its format starting each
/// commit with [`START`]) and hands each commit's text to `each`.
fn log(repo: &Path, revs: &[String], args: &[&str], mut each: impl FnMut(&str)) -> Result<()> {
    let io = |cause| Error::Io {
        path: PathBuf::from(repo),
        cause,
    };
    let mut child = git(repo)
        .args([
            "log",
            "--reverse",
            "--no-merges",
            "-p",
            "--no-color",
            "--no-ext-diff",
            // Full blob ids: a binary file's patch-id is made of them, and
            // format-patch posts them in full.
            "--full-index",
        ])
        .args(args)
        .args(if revs.is_empty() {
            vec!["HEAD".to_string()]
        } else {
            revs.to_vec()
        })
        .arg("--")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|cause| spawn_error(repo, cause))?;
    let stdout = child.stdout.take().expect("piped");
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
            each(&pending);
            pending.clear();
        }
        pending.push_str(&text);
    }
    if !pending.is_empty() {
        each(&pending);
    }
    let status = child.wait_with_output().map_err(io)?;
    if !status.status.success() {
        return Err(Error::Config {
            path: PathBuf::from(repo),
            detail: format!(
                "git log {} failed: {}; name commits as git log takes them (a range \
                 such as v6.1..v6.2, hashes, or options such as --since=2024-01-01)",
                revs.join(" "),
                String::from_utf8_lossy(&status.stderr).trim()
            ),
        });
    }
    Ok(())
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
        patch_ids: Vec::new(),
    })
}

/// Fails, saying why, unless `repo` is a git repository the git command
/// can read.
pub fn check_repository(repo: &Path) -> Result<()> {
    let out = git(repo)
        .args(["rev-parse", "--git-dir"])
        .output()
        .map_err(|cause| spawn_error(repo, cause))?;
    if out.status.success() {
        return Ok(());
    }
    Err(Error::Config {
        path: PathBuf::from(repo),
        detail: format!(
            "not a git repository ({}); give --repo the path of a clone",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
    })
}

/// One commit named by `rev` (a hash, a prefix of one, or a ref), if the
/// repository has it and it is no merge (a merge carries no patch).
pub fn commit(repo: &Path, rev: &str) -> Result<Option<Commit>> {
    let Some(sha) = resolve(repo, rev)? else {
        return Ok(None);
    };
    Ok(commits(repo, &["--no-walk".to_string(), sha], |_| {})?.pop())
}

/// The full hash of the commit `rev` names, if it names one (never read
/// as an option or a range).
fn resolve(repo: &Path, rev: &str) -> Result<Option<String>> {
    if rev.starts_with('-') || rev.contains("..") {
        return Ok(None);
    }
    let out = git(repo)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(|cause| spawn_error(repo, cause))?;
    let sha = String::from_utf8_lossy(&out.stdout).trim().to_string();
    Ok((out.status.success() && !sha.is_empty()).then_some(sha))
}

/// `git -C repo`, its messages in English (they are read back).
fn git(repo: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C").arg(repo).env("LC_ALL", "C");
    cmd
}

/// Why `git` could not be started in `repo`.
fn spawn_error(repo: &Path, cause: std::io::Error) -> Error {
    match cause.kind() {
        std::io::ErrorKind::NotFound => Error::Config {
            path: PathBuf::from(repo),
            detail: "the git command was not found: install git to read commits".into(),
        },
        _ => Error::Io {
            path: PathBuf::from(repo),
            cause,
        },
    }
}

/// Where each of `shas` first went in: the first tag that contains it
/// (`v31`), else the branch it is on (`master`); shas on neither are left
/// out. One `git name-rev` per 500 commits.
pub fn first_contained_in(
    repo: &Path,
    shas: &[&str],
) -> Result<std::collections::HashMap<String, String>> {
    let mut out = std::collections::HashMap::new();
    for refs in [&["--tags"][..], &[]] {
        let wanted: Vec<&str> = shas
            .iter()
            .copied()
            .filter(|s| !out.contains_key(*s))
            .collect();
        for chunk in wanted.chunks(500) {
            let names = name_rev(repo, refs, chunk)?;
            for (sha, name) in chunk.iter().zip(names) {
                let name = name.split(['~', '^']).next().unwrap_or("").to_string();
                if !name.is_empty() && name != "undefined" {
                    out.insert(sha.to_string(), name);
                }
            }
        }
    }
    Ok(out)
}

/// `git name-rev --name-only ARGS SHAS`: a name per sha, in order.
fn name_rev(repo: &Path, args: &[&str], shas: &[&str]) -> Result<Vec<String>> {
    let out = git(repo)
        .args(["name-rev", "--name-only"])
        .args(args)
        .args(shas)
        .output()
        .map_err(|cause| spawn_error(repo, cause))?;
    if !out.status.success() {
        return Err(Error::Config {
            path: PathBuf::from(repo),
            detail: format!(
                "git name-rev failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// The `.mailmap` at the tip of `repo` (HEAD's), if it has one: how its
/// people's addresses join (git's own `--use-mailmap` reads the same).
pub fn mailmap(repo: &Path) -> Option<crate::mailmap::Mailmap> {
    let out = git(repo)
        .args(["show", "HEAD:.mailmap"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| crate::mailmap::Mailmap::parse(&String::from_utf8_lossy(&out.stdout)).0)
}
