//! Trailers: `Acked-by: Name <addr>` and their relatives, in original text.
//!
//! A trailer counts only where the sender wrote it: [`find`] reads the
//! original segments of [`crate::quote::segment`], never quoted text, diffs or
//! signatures. The person named is parsed but not judged here: whether it is
//! the sender (b4's check) is the consensus engine's business.

use serde::Serialize;

use crate::message::Person;
use crate::message::headers::decode_addresses;
use crate::quote::{Kind, Segment};

/// One trailer line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trailer {
    /// The name as written, e.g. `Reviewed-by`.
    pub name: String,
    /// The name lower-cased, for matching (`nacked-by`).
    pub key: String,
    /// The value as written.
    pub value: String,
    /// The person, for `*-by` trailers whose value holds an address.
    pub person: Option<Person>,
    /// Byte offset of the line in the body.
    pub offset: usize,
}

/// Trailer names that are not `*-by` but are trailers all the same.
const OTHER_NAMES: [&str; 6] = ["link", "closes", "fixes", "cc", "change-id", "message-id"];

/// Finds the trailers in the original text of `body`.
pub fn find(body: &str, segments: &[Segment]) -> Vec<Trailer> {
    let mut out = Vec::new();
    for seg in segments.iter().filter(|s| s.kind == Kind::Original) {
        let mut offset = seg.start;
        for line in seg.text(body).split_inclusive('\n') {
            if let Some(t) = parse_line(line.trim_end(), offset) {
                out.push(t);
            }
            offset += line.len();
        }
    }
    out
}

/// Reads one line as a trailer, if it is one.
pub fn parse_line(line: &str, offset: usize) -> Option<Trailer> {
    let stripped = line.trim_start();
    if line.len() - stripped.len() > 4 || line.len() > 1000 {
        return None;
    }
    let (name, value) = stripped.split_once(':')?;
    let value = value.trim();
    if value.is_empty() || name.is_empty() || !name.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return None;
    }
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return None;
    }
    let key = name.to_ascii_lowercase();
    let is_by = key.ends_with("-by") && key.len() > 3;
    if !is_by && !OTHER_NAMES.contains(&key.as_str()) {
        return None;
    }
    let person = if is_by || key == "cc" {
        // "Name <addr> # comment" and "Name <addr> [tweaked]": the address decides.
        let addr_part = match value.find('>') {
            Some(i) => &value[..=i],
            None => value.split(['#', '[']).next().unwrap_or(value).trim(),
        };
        decode_addresses(addr_part.as_bytes())
            .into_iter()
            .next()
            .filter(|a| a.email.as_deref().is_some_and(|e| e.contains('@')))
            .map(|a| Person {
                name: crate::message::headers::without_invisible(a.name.unwrap_or_default())
                    .trim_matches('"')
                    .to_string(),
                email: a.email.unwrap_or_default().to_lowercase(),
            })
    } else {
        None
    };
    // "Acked-by: me" is a trailer without a person; keep it so the consensus
    // engine can credit the sender.
    Some(Trailer {
        name: name.to_string(),
        key,
        value: value.to_string(),
        person,
        offset,
    })
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    #[track_caller]
    fn check(body: &str, expected: Expect) {
        let segments = crate::quote::segment(body);
        let out: Vec<String> = super::find(body, &segments)
            .into_iter()
            .map(|t| match t.person {
                Some(p) => format!("{} = {:?} <{}>", t.name, p.name, p.email),
                None => format!("{} = {:?}", t.name, t.value),
            })
            .collect();
        expected.assert_eq(&out.join("\n"));
    }

    #[test]
    fn trailers_in_original_text_only() {
        check(
            "> Signed-off-by: Quoted Author <qa@x>\n\nLooks good.\n\nReviewed-by: Jane Doe <Jane@Example.org>\nAcked-by: \"Doe, John\" <jd@x> # for the mm bits\nTested-by: t@x [on arm64]\nNAKed-by: me\nLink: https://lore.kernel.org/r/123@x\nNote: not a trailer\n-- \nSigned-off-by: in a signature <s@x>\n",
            expect![[r#"
                Reviewed-by = "Jane Doe" <jane@example.org>
                Acked-by = "Doe, John" <jd@x>
                Tested-by = "" <t@x>
                NAKed-by = "me"
                Link = "https://lore.kernel.org/r/123@x""#]],
        );
    }

    #[test]
    fn not_trailers() {
        check(
            "http://x.org/by: no\nre-by:\nFoo bar-by: x <y@z>\n",
            expect![[""]],
        );
    }
}
