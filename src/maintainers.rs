//! A kernel-style `MAINTAINERS` file: subsystems, their files and their
//! maintainers. Sans-IO.
//!
//! A section is a title line followed by tagged lines: `M:` maintainer,
//! `R:` reviewer, `L:` list, `F:` file pattern, `X:` excluded pattern (the
//! other tags are kept out). Patterns follow the file's own rules: a
//! trailing `/` is a directory and everything below it, `*` and `?` match
//! within one path component, a plain path matches itself and, if it is a
//! directory, what is below it.

use crate::message::Person;
use crate::message::headers::decode_addresses;

/// One section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Section {
    /// Its title: "MEMORY MANAGEMENT - HMM".
    pub name: String,
    /// `M:` lines.
    pub maintainers: Vec<Person>,
    /// `R:` lines.
    pub reviewers: Vec<Person>,
    /// `L:` lines.
    pub lists: Vec<String>,
    files: Vec<String>,
    excludes: Vec<String>,
}

/// A parsed MAINTAINERS file.
#[derive(Debug, Clone, Default)]
pub struct Maintainers {
    /// Sections in file order.
    pub sections: Vec<Section>,
}

fn tag(line: &str) -> Option<(char, &str)> {
    let mut chars = line.chars();
    let t = chars.next()?;
    (t.is_ascii_uppercase() && chars.next() == Some(':')).then(|| (t, line[2..].trim()))
}

fn person(value: &str) -> Option<Person> {
    let a = decode_addresses(value.as_bytes()).into_iter().next()?;
    Some(Person {
        name: a.name.unwrap_or_default(),
        email: a.email?.to_lowercase(),
    })
}

impl Maintainers {
    /// Parses the file.
    pub fn parse(text: &str) -> Maintainers {
        let mut sections = Vec::new();
        let mut current: Option<Section> = None;
        for line in text.lines() {
            let line = line.trim_end();
            if line.trim().is_empty() {
                if let Some(s) = current
                    .take()
                    .filter(|s| !s.files.is_empty() || !s.maintainers.is_empty())
                {
                    sections.push(s);
                }
                continue;
            }
            match tag(line) {
                Some((t, value)) => {
                    let Some(s) = current.as_mut() else { continue };
                    match t {
                        'M' => s.maintainers.extend(person(value)),
                        'R' => s.reviewers.extend(person(value)),
                        'L' => s
                            .lists
                            .push(value.split_whitespace().next().unwrap_or("").to_string()),
                        'F' => s.files.push(value.to_string()),
                        'X' => s.excludes.push(value.to_string()),
                        _ => {}
                    }
                }
                None => {
                    if let Some(s) = current
                        .take()
                        .filter(|s| !s.files.is_empty() || !s.maintainers.is_empty())
                    {
                        sections.push(s);
                    }
                    current = Some(Section {
                        name: line.trim().to_string(),
                        ..Section::default()
                    });
                }
            }
        }
        if let Some(s) = current.filter(|s| !s.files.is_empty() || !s.maintainers.is_empty()) {
            sections.push(s);
        }
        Maintainers { sections }
    }

    /// The sections whose patterns cover `path`.
    pub fn sections_for<'a>(&'a self, path: &'a str) -> impl Iterator<Item = &'a Section> + 'a {
        self.sections.iter().filter(move |s| {
            s.files.iter().any(|p| pattern_matches(p, path))
                && !s.excludes.iter().any(|p| pattern_matches(p, path))
        })
    }
}

/// Whether a MAINTAINERS `F:` pattern covers a path.
pub fn pattern_matches(pattern: &str, path: &str) -> bool {
    if let Some(dir) = pattern.strip_suffix('/') {
        return path.starts_with(dir) && path[dir.len()..].starts_with('/')
            || glob_prefix(dir, path);
    }
    if !pattern.contains(['*', '?']) {
        return path == pattern
            || path
                .strip_prefix(pattern)
                .is_some_and(|rest| rest.starts_with('/'));
    }
    let pat: Vec<&str> = pattern.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    pat.len() == segs.len() && pat.iter().zip(&segs).all(|(p, s)| glob(p, s))
}

/// A directory pattern with wildcards (`drivers/*/foo/`) covers what is below.
fn glob_prefix(dir: &str, path: &str) -> bool {
    let pat: Vec<&str> = dir.split('/').collect();
    let segs: Vec<&str> = path.split('/').collect();
    segs.len() > pat.len() && pat.iter().zip(&segs).all(|(p, s)| glob(p, s))
}

/// `*` and `?` within one component, iteratively (no recursion).
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    let (mut pi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some((pi, ti));
            pi += 1;
        } else if let Some((sp, st)) = star {
            pi = sp + 1;
            ti = st + 1;
            star = Some((sp, st + 1));
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = "\
Descriptions of section entries and preferred order
\tM: *Mail* patches to: FullName <address@domain>

HMM - HETEROGENEOUS MEMORY MANAGEMENT
M:\tJoël Garnier <jgarnier@redhat.example.com>
L:\tlinux-mm@kvack.org
S:\tMaintained
F:\tinclude/linux/hmm*
F:\tmm/hmm*

KERNEL BUILD + files below scripts/ (unless maintained elsewhere)
M:\tMarc Oliveira <marc.oliveira@example.org>
R:\tNadia Chen <nadia.chen@example.com>
L:\tlinux-kbuild@vger.kernel.org
F:\tMakefile
F:\tscripts/
X:\tscripts/checkpatch.pl
";

    #[test]
    fn sections_and_patterns() {
        let m = Maintainers::parse(FILE);
        let names = |p: &str| {
            m.sections_for(p)
                .map(|s| s.name.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names("mm/hmm.c"), ["HMM - HETEROGENEOUS MEMORY MANAGEMENT"]);
        assert_eq!(
            names("include/linux/hmm.h"),
            ["HMM - HETEROGENEOUS MEMORY MANAGEMENT"]
        );
        assert_eq!(
            names("scripts/mod/modpost.c"),
            ["KERNEL BUILD + files below scripts/ (unless maintained elsewhere)"]
        );
        assert!(names("scripts/checkpatch.pl").is_empty());
        assert!(names("mm/memory.c").is_empty());
        assert_eq!(
            m.sections[1].maintainers[0].email,
            "marc.oliveira@example.org"
        );
        assert_eq!(m.sections[1].reviewers[0].name, "Nadia Chen");
        assert!(pattern_matches("drivers/*/phy/", "drivers/net/phy/foo.c"));
        assert!(!pattern_matches("drivers/net/*", "drivers/net/phy/foo.c"));
        assert!(pattern_matches(
            "Documentation/kbuild",
            "Documentation/kbuild/kconfig.rst"
        ));
    }
}
