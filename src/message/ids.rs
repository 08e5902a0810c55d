//! Lenient Message-ID, In-Reply-To and References extraction.
//!
//! Real headers carry ids in every shape: several `<...>` tokens with commas
//! between them, Gnus comments (`<id> (Joe's message of "Tue, ...")`), a
//! quoted phrase before the id, ids without brackets, spaces inside brackets,
//! and an id cut short without its `>`. This module takes every id it can find
//! and nothing from comments or quoted phrases.

/// Every Message-ID in a header value, in order, without angle brackets.
///
/// Tokens in angle brackets are taken with whitespace removed; comments and
/// quoted strings are skipped. When the value has no bracketed token, bare
/// words that contain `@` are taken instead.
pub fn extract(value: &str) -> Vec<String> {
    let cleaned = strip_comments_and_quotes(value);
    let mut ids = Vec::new();
    let mut rest = cleaned.as_str();
    while let Some(open) = rest.find('<') {
        let after = &rest[open + 1..];
        match after.find(['>', '<']) {
            Some(close) if after.as_bytes()[close] == b'>' => {
                push_id(&mut ids, &after[..close]);
                rest = &after[close + 1..];
            }
            Some(close) => {
                // `<a <b>`: the first token was never closed.
                if after[..close].contains('@') {
                    push_id(&mut ids, &after[..close]);
                }
                rest = &after[close..];
            }
            None => {
                // Truncated `<id` at the end of the header.
                if after.contains('@') {
                    push_id(&mut ids, after);
                }
                rest = "";
            }
        }
    }
    if ids.is_empty() && !cleaned.contains('<') {
        for word in cleaned.split(|c: char| c.is_whitespace() || c == ',') {
            if word.contains('@') {
                push_id(&mut ids, word);
            }
        }
    }
    ids
}

/// The Message-ID of a `Message-ID` header value: the first id found, or the
/// whole value when it is a single word without brackets or `@`.
pub fn extract_message_id(value: &str) -> Option<String> {
    if let Some(first) = extract(value).into_iter().next() {
        return Some(first);
    }
    let cleaned = strip_comments_and_quotes(value);
    let word = cleaned.trim();
    (usable(word) && !word.contains(char::is_whitespace) && !word.contains(['<', '>']))
        .then(|| word.to_string())
}

/// The longest Message-ID a URL may name.
pub const MAX_PATH_ID: usize = 2048;

/// The Message-ID a URL path segment names (already percent-decoded), with
/// optional angle brackets and spaces around it, inside or out; `None` for
/// an empty or overlong one or one with control characters (NUL, newlines).
/// The id is only ever a bound SQL parameter, never a file name, so `/`,
/// `..` and `%` are just bytes of it. Decoding its own output gives it back.
pub fn from_path(segment: &str) -> Option<String> {
    let mut id = segment.trim();
    while let Some(inner) = id.strip_prefix('<').and_then(|x| x.strip_suffix('>')) {
        id = inner.trim();
    }
    usable(id).then(|| id.to_string())
}

/// Whether an extracted id looks like a real Message-ID (`local@domain`
/// without spaces). In-Reply-To often holds other things: `yes`, an address.
pub fn is_plausible(id: &str) -> bool {
    match id.rsplit_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.is_empty()
                && usable(id)
                && !id.contains(char::is_whitespace)
        }
        None => false,
    }
}

/// Takes an id with folding whitespace removed. An id with control
/// characters (NUL, escapes) or longer than [`MAX_PATH_ID`] is no id: no
/// URL could name it, and no honest mailer makes one.
fn push_id(ids: &mut Vec<String>, raw: &str) {
    let id: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    let id = id.trim_matches(|c| c == '"' || c == '\'');
    if usable(id) {
        ids.push(id.to_string());
    }
}

/// Not empty, at most [`MAX_PATH_ID`] bytes, no control characters: the
/// ids a header may give and a URL may name are the same ones.
fn usable(id: &str) -> bool {
    !id.is_empty() && id.len() <= MAX_PATH_ID && !id.chars().any(char::is_control)
}

/// Removes RFC 5322 comments (nested parentheses) and quoted strings, which
/// never hold the ids we want but often hold `<` or `@`.
fn strip_comments_and_quotes(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    let mut depth = 0usize;
    let mut in_quote = false;
    let mut in_angle = false;
    let mut chars = value.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' if depth > 0 || in_quote => {
                chars.next();
            }
            '"' if depth == 0 && !in_angle => in_quote = !in_quote,
            '(' if !in_quote && !in_angle => depth += 1,
            ')' if !in_quote && depth > 0 => depth -= 1,
            _ if in_quote || depth > 0 => {}
            '<' => {
                in_angle = true;
                out.push(c);
            }
            '>' => {
                in_angle = false;
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    if in_quote {
        // An unterminated quote: better to read the value without quote rules.
        return value.to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    #[track_caller]
    fn check(value: &str, expected: Expect) {
        expected.assert_eq(&format!("{:?}", super::extract(value)));
    }

    #[test]
    fn shapes_found_in_real_headers() {
        check("<a@b>", expect![[r#"["a@b"]"#]]);
        check(" <a@b> <c@d>", expect![[r#"["a@b", "c@d"]"#]]);
        check("<a@b>,<c@d>", expect![[r#"["a@b", "c@d"]"#]]);
        check("<a@b>\r\n\t<c@d>", expect![[r#"["a@b", "c@d"]"#]]);
        check(
            r#"<87x@gnus.org> (Joe's message of "Tue, 12 Mar 2019 <x@y>")"#,
            expect![[r#"["87x@gnus.org"]"#]],
        );
        check(
            r#""Your message of Mon, 11 Mar" <200903@host>"#,
            expect![[r#"["200903@host"]"#]],
        );
        check(
            "id-without-brackets@host",
            expect![[r#"["id-without-brackets@host"]"#]],
        );
        check("< spaced@host >", expect![[r#"["spaced@host"]"#]]);
        check("<truncated@host", expect![[r#"["truncated@host"]"#]]);
        check("<yes>", expect![[r#"["yes"]"#]]);
        check("", expect![["[]"]]);
        check("(only a comment <x@y>)", expect![["[]"]]);
        check(
            "<a@b> (nested (comment) here) <c@d>",
            expect![[r#"["a@b", "c@d"]"#]],
        );
    }

    #[test]
    fn message_id_header() {
        assert_eq!(super::extract_message_id("<x@y>"), Some("x@y".into()));
        assert_eq!(
            super::extract_message_id(" bare-token "),
            Some("bare-token".into())
        );
        assert_eq!(super::extract_message_id("  "), None);
    }

    #[test]
    fn plausibility() {
        assert!(super::is_plausible("a@b"));
        assert!(!super::is_plausible("yes"));
        assert!(!super::is_plausible("@b"));
    }
}

#[cfg(test)]
mod path_tests {
    use super::from_path;

    /// `segment -> decoded`, one per line; `None` is refused.
    const CASES: &str = "
abc@example.org -> abc@example.org
<abc@example.org> -> abc@example.org
 <abc@example.org>  -> abc@example.org
a/b/../c%2F@x -> a/b/../c%2F@x
<> -> None
< <a@b> > -> a@b
<20v/9)1L > -> 20v/9)1L
";

    #[test]
    fn path_segments_decode_to_ids() {
        for line in CASES.lines().filter(|l| !l.trim().is_empty()) {
            let (input, want) = line.split_once(" -> ").unwrap();
            let got = from_path(input);
            assert_eq!(got.as_deref().unwrap_or("None"), want, "{input:?}");
            if let Some(id) = got {
                // Found by fuzz/fuzz_targets/msgid_path.rs: a space inside the
                // brackets made decoding its own output give another id.
                assert_eq!(from_path(&id), Some(id.clone()), "{input:?}");
            }
        }
        for bad in ["a\0b@x", "a\nb@x", &"x".repeat(2049)] {
            assert_eq!(from_path(bad), None, "{bad:?}");
        }
    }
}
