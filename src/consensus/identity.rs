//! Pass 1, identity: who a sender is. b4's identity check (same address or
//! same name, "Last, First" read as "First Last"), robots, and addresses as
//! mail systems write them.

use std::collections::HashMap;

use super::Position;
use crate::message::Person;

/// Everyone who writes in a thread, one [`Position`] each, found by address
/// (or by name when there is none).
#[derive(Default)]
pub(super) struct People {
    /// In order of appearance.
    pub(super) list: Vec<Position>,
    by_email: HashMap<String, usize>,
}

impl People {
    /// The person who writes as `p`, added when new. Another address of
    /// someone already here is theirs when the full name (at least two
    /// words) is the same; one-word names never merge.
    pub(super) fn index(&mut self, p: &Person) -> usize {
        let key = if p.email.is_empty() {
            format!("name:{}", normalise_name(&p.name))
        } else {
            p.email.to_lowercase()
        };
        if let Some(&i) = self.by_email.get(&key) {
            // First seen as a bare address, later with a name: show the name.
            let shown = &mut self.list[i].person;
            if (shown.name.is_empty() || shown.name == shown.email) && !p.name.is_empty() {
                shown.name = p.name.clone();
            }
            return i;
        }
        let name = normalise_name(&p.name);
        if name.split_whitespace().count() >= 2
            && let Some(i) = self
                .list
                .iter()
                .position(|q| normalise_name(&q.person.name) == name)
        {
            let known = &mut self.list[i];
            if !p.email.is_empty()
                && known.person.email != p.email
                && !known.aliases.contains(&p.email)
            {
                known.aliases.push(p.email.clone());
            }
            self.by_email.insert(key, i);
            return i;
        }
        self.list.push(Position::new(p.clone()));
        self.by_email.insert(key, self.list.len() - 1);
        self.list.len() - 1
    }
}

/// A display name without what a relay adds and without a bracketed
/// comment: "Ana Ruiz via B4 Relay" and "Ana Ruiz (Google)" are Ana Ruiz.
fn bare_name(name: &str) -> &str {
    let name = name.trim().trim_matches('"');
    let name = name.find(" via ").map_or(name, |i| &name[..i]);
    match name.find(" (") {
        Some(i) if name.ends_with(')') => name[..i].trim_end(),
        _ => name.trim_end(),
    }
}

pub(super) fn normalise_name(name: &str) -> String {
    let name = bare_name(name).to_lowercase();
    // "Last, First" → "first last"
    let name = match name.split_once(',') {
        Some((last, first)) => format!("{} {}", first.trim(), last.trim()),
        None => name,
    };
    name.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// b4's identity check: the same address, or the same name.
pub fn same_person(a: &Person, b: &Person) -> bool {
    (!a.email.is_empty() && a.email.eq_ignore_ascii_case(&b.email))
        || (!a.name.is_empty() && same_name(&a.name, &b.name))
}

/// `normalise_name(a) == normalise_name(b)` without building either (the
/// engine asks this for every message against every author).
pub(super) fn same_name(a: &str, b: &str) -> bool {
    fn words(name: &str) -> impl Iterator<Item = &str> {
        let name = bare_name(name);
        let (first, last) = match name.split_once(',') {
            Some((last, first)) => (first, last),
            None => (name, ""),
        };
        first.split_whitespace().chain(last.split_whitespace())
    }
    let same_word = |p: &str, q: &str| {
        p == q
            || p.chars()
                .flat_map(char::to_lowercase)
                .eq(q.chars().flat_map(char::to_lowercase))
    };
    let (mut x, mut y) = (words(a), words(b));
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if same_word(p, q) => {}
            _ => return false,
        }
    }
}

/// Robots by address or name.
pub fn is_bot(p: &Person) -> bool {
    let e = p.email.to_lowercase();
    let n = p.name.to_lowercase();
    e.starts_with("lkp@")
        || e.contains("syzbot")
        || e.contains("noreply")
        || e.contains("no-reply")
        || e.starts_with("bot@")
        || e.contains("-bot@")
        || e.contains("patchwork")
        || n.contains("test robot")
        || n.contains("syzbot")
        || n.ends_with(" bot")
        || n.contains("patchwork")
        || n.contains("ci bot")
}

/// An address as mail systems write it: one `@`, a dotted domain, no
/// commas or spaces. "name@gmail,com" is not.
pub(super) fn plausible_address(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains(['@', ',', ' ', ';'])
                && !local.contains([',', ' ', ';'])
        }
        None => false,
    }
}
