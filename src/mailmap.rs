//! git's `.mailmap`: one person, many addresses. Sans-IO.
//!
//! Lines map a commit name and/or address to a proper name and/or address:
//!
//! ```text
//! Proper Name <proper@email>
//! <proper@email> <commit@email>
//! Proper Name <proper@email> <commit@email>
//! Proper Name <proper@email> Commit Name <commit@email>
//! ```
//!
//! Matching follows git: by address (case-insensitive), or by name and
//! address when the line names both.

use crate::message::Person;

/// A parsed mailmap.
#[derive(Debug, Clone, Default)]
pub struct Mailmap {
    entries: Vec<Entry>,
}

#[derive(Debug, Clone)]
struct Entry {
    proper_name: Option<String>,
    proper_email: Option<String>,
    commit_name: Option<String>,
    commit_email: String,
}

impl Mailmap {
    /// Parses mailmap text; lines it cannot read are skipped and returned
    /// (1-based line numbers) so the caller can say so.
    pub fn parse(text: &str) -> (Mailmap, Vec<usize>) {
        let mut map = Mailmap::default();
        let mut bad = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.split('#').next().unwrap_or("").trim();
            if line.is_empty() {
                continue;
            }
            // Pieces: name? <email> name? <email>?
            let mut parts: Vec<(Option<String>, String)> = Vec::new();
            let mut rest = line;
            while let Some(open) = rest.find('<') {
                let Some(close) = rest[open..].find('>') else {
                    break;
                };
                let name = rest[..open].trim();
                let email = rest[open + 1..open + close].trim().to_lowercase();
                parts.push(((!name.is_empty()).then(|| name.to_string()), email));
                rest = &rest[open + close + 1..];
            }
            match parts.as_slice() {
                [(name, email)] => map.entries.push(Entry {
                    proper_name: name.clone(),
                    proper_email: None,
                    commit_name: None,
                    commit_email: email.clone(),
                }),
                [(pname, pemail), (cname, cemail)] => map.entries.push(Entry {
                    proper_name: pname.clone(),
                    proper_email: Some(pemail.clone()),
                    commit_name: cname.clone(),
                    commit_email: cemail.clone(),
                }),
                _ => bad.push(n + 1),
            }
        }
        (map, bad)
    }

    /// The person as the mailmap names them.
    pub fn resolve(&self, p: &Person) -> Person {
        let email = p.email.to_lowercase();
        // A line that names the commit name too is more specific: it wins.
        let hit = self
            .entries
            .iter()
            .find(|e| {
                e.commit_email == email
                    && e.commit_name
                        .as_deref()
                        .is_some_and(|n| n.eq_ignore_ascii_case(&p.name))
            })
            .or_else(|| {
                self.entries
                    .iter()
                    .find(|e| e.commit_email == email && e.commit_name.is_none())
            });
        match hit {
            Some(e) => Person {
                name: e.proper_name.clone().unwrap_or_else(|| p.name.clone()),
                email: e.proper_email.clone().unwrap_or(email),
            },
            None => p.clone(),
        }
    }

    /// Whether the mailmap has no entries.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn git_forms() {
        let (map, bad) = Mailmap::parse(
            "# comment\nJane Doe <jane@new.org>\n<jane@new.org> <jane@old.org>\nJoe Bloggs <joe@new.org> Joe <JOE@old.org>\nbroken line\n",
        );
        assert_eq!(bad, [5]);
        let p = |n: &str, e: &str| Person {
            name: n.into(),
            email: e.into(),
        };
        assert_eq!(
            map.resolve(&p("J. Doe", "jane@new.org")),
            p("Jane Doe", "jane@new.org")
        );
        assert_eq!(
            map.resolve(&p("Jane", "jane@old.org")),
            p("Jane", "jane@new.org")
        );
        assert_eq!(
            map.resolve(&p("Joe", "joe@old.org")),
            p("Joe Bloggs", "joe@new.org")
        );
        assert_eq!(
            map.resolve(&p("Someone Else", "joe@old.org")),
            p("Someone Else", "joe@old.org")
        );
    }
}
