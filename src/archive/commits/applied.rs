//! A repository's history matched once, for the web's commit pages and
//! thread pages.

use std::collections::HashMap;

use super::{CommitMatch, Postings};
use crate::archive::Reader;
use crate::error::Result;
use crate::git::Commit;

/// A repository's commits matched to their postings, both ways: what the
/// web's commit pages and a thread page's "applied as" read.
pub struct Applied {
    repo: std::path::PathBuf,
    postings: Postings,
    commits: Vec<Commit>,
    found: Vec<CommitMatch>,
    /// Commit by full hash.
    by_sha: HashMap<String, usize>,
    /// Commits by the Message-ID of their posting.
    by_posting: HashMap<String, Vec<usize>>,
    /// The (last) commit each posting went in as.
    shas_by_posting: HashMap<String, String>,
    /// The first tag (else branch) holding each matched commit.
    contained_in: HashMap<String, Option<String>>,
    /// The repository's `.mailmap`.
    mailmap: Option<crate::mailmap::Mailmap>,
}

impl Applied {
    /// Reads `revs` of `repo` (HEAD's history when empty) and matches
    /// every commit.
    pub fn read(r: &impl Reader, repo: &std::path::Path, revs: &[String]) -> Result<Applied> {
        let commits = crate::git::commits(repo, revs, |_| {})?;
        let postings = Postings::read(r)?;
        let found: Vec<CommitMatch> = commits.iter().map(|c| postings.find(c)).collect();
        let mut by_posting: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, m) in found.iter().enumerate() {
            if let Some(p) = &m.posting {
                by_posting.entry(p.clone()).or_default().push(i);
            }
        }
        let matched: Vec<&str> = found
            .iter()
            .filter(|m| m.posting.is_some())
            .map(|m| m.sha.as_str())
            .collect();
        let mut named = crate::git::first_contained_in(repo, &matched)?;
        // Those on no tag or branch (a detached HEAD) are asked once.
        let contained_in = matched
            .iter()
            .map(|sha| (sha.to_string(), named.remove(*sha)))
            .collect();
        let shas_by_posting = by_posting
            .iter()
            .filter_map(|(p, is)| Some((p.clone(), commits[*is.last()?].sha.clone())))
            .collect();
        let by_sha = commits
            .iter()
            .enumerate()
            .map(|(i, c)| (c.sha.clone(), i))
            .collect();
        Ok(Applied {
            repo: repo.to_path_buf(),
            postings,
            commits,
            found,
            by_sha,
            by_posting,
            shas_by_posting,
            contained_in,
            mailmap: crate::git::mailmap(repo),
        })
    }

    /// The commits `message_id` was applied as, with their matches.
    pub fn of_posting(&self, message_id: &str) -> Vec<(&Commit, &CommitMatch)> {
        self.by_posting
            .get(message_id)
            .into_iter()
            .flatten()
            .map(|&i| (&self.commits[i], &self.found[i]))
            .collect()
    }

    /// The commit `rev` names (a hash or a prefix of 7 or more hex digits,
    /// or any revision the repository knows) and its match; read from the
    /// repository when it was outside the history read.
    pub fn commit(&self, rev: &str) -> Result<Option<(Commit, CommitMatch)>> {
        let known = self.by_sha.get(rev).copied().or_else(|| {
            let hex = rev.len() >= 7 && rev.bytes().all(|b| b.is_ascii_hexdigit());
            let mut hits = self
                .by_sha
                .iter()
                .filter(|(s, _)| hex && s.starts_with(rev));
            match (hits.next(), hits.next()) {
                (Some((_, &i)), None) => Some(i),
                _ => None,
            }
        });
        if let Some(i) = known {
            return Ok(Some((self.commits[i].clone(), self.found[i].clone())));
        }
        Ok(crate::git::commit(&self.repo, rev)?.map(|c| {
            let m = self.postings.find(&c);
            (c, m)
        }))
    }

    /// Where `sha` first went in: a tag (`v31`) or a branch (`master`).
    pub fn contained_in(&self, sha: &str) -> Option<String> {
        if let Some(n) = self.contained_in.get(sha) {
            return n.clone();
        }
        crate::git::first_contained_in(&self.repo, &[sha])
            .ok()?
            .remove(sha)
    }

    /// The commit each posting went in as (Message-ID to hash), for
    /// [`super::Discussions::knowing`].
    pub fn shas_by_posting(&self) -> &HashMap<String, String> {
        &self.shas_by_posting
    }

    /// The repository's `.mailmap`, if it has one.
    pub fn mailmap(&self) -> Option<&crate::mailmap::Mailmap> {
        self.mailmap.as_ref()
    }

    /// How many commits were read, and how many of them were found.
    pub fn counts(&self) -> (usize, usize) {
        let found = self.found.iter().filter(|m| m.posting.is_some()).count();
        (self.commits.len(), found)
    }
}
