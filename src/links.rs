//! Permalink shapes shared by the JSON output, the command line and the web
//! pages.
//!
//! Message-IDs appear in URLs percent-encoded, with `/` written `%2F`, as on
//! lore, so a lore link becomes a whosaid link by changing the host.

/// Percent-encodes a Message-ID for one URL path segment: everything except
/// RFC 3986 unreserved characters and the sub-delimiters lore leaves alone
/// (`@`, `+`, `=`, `$`, `!`, `*`, `'`, `,`, `;`, `:`) is encoded.
pub fn encode_message_id(message_id: &str) -> String {
    let mut out = String::with_capacity(message_id.len() + 8);
    for &b in message_id.as_bytes() {
        if b.is_ascii_alphanumeric() || b"-._~@+=$!*',;:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The permanent link of a message: `/r/{msgid}`.
pub fn permalink(message_id: &str) -> String {
    format!("/r/{}", encode_message_id(message_id))
}

/// The URL a changelog's `Link:` gives for a message under `base`: lore
/// and whosaid answer `BASE/r/ID`; patch.msgid.link answers `BASE/ID`.
pub fn link_url(base: &str, message_id: &str) -> String {
    let base = base.trim_end_matches('/');
    if base.ends_with("://patch.msgid.link") {
        format!("{base}/{}", encode_message_id(message_id))
    } else {
        format!("{base}{}", permalink(message_id))
    }
}

/// Reads a Message-ID as a user may give it: bare, in angle brackets,
/// percent-encoded, or inside a lore/whosaid URL
/// (`https://lore.kernel.org/r/ID`, `.../list/ID/T/`).
pub fn message_id_from_user(input: &str) -> String {
    let s = input.trim();
    let s = if s.starts_with("http://") || s.starts_with("https://") {
        let path = s.split_once("://").map_or(s, |(_, rest)| rest);
        let path = path.split(['?', '#']).next().unwrap_or(path);
        path.split('/')
            .skip(1)
            .find(|seg| seg.contains('@') || seg.contains("%40"))
            .unwrap_or(path)
    } else {
        s
    };
    let s = s.strip_prefix('<').unwrap_or(s);
    let s = s.strip_suffix('>').unwrap_or(s);
    if s.contains('%') {
        percent_decode(s)
    } else {
        s.to_string()
    }
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn encodes_like_lore() {
        assert_eq!(super::permalink("a/b@x"), "/r/a%2Fb@x");
        assert_eq!(
            super::link_url("https://patch.msgid.link/", "a/b@x"),
            "https://patch.msgid.link/a%2Fb@x"
        );
        assert_eq!(
            super::link_url("https://lore.kernel.org", "a@x"),
            "https://lore.kernel.org/r/a@x"
        );
        assert_eq!(
            super::permalink("20190129.3931-1-jg@redhat.com"),
            "/r/20190129.3931-1-jg@redhat.com"
        );
        assert_eq!(super::encode_message_id("x y%?#<>"), "x%20y%25%3F%23%3C%3E");
        assert_eq!(super::encode_message_id("é@x"), "%C3%A9@x");
        for input in [
            "a/b@x",
            "<a/b@x>",
            "a%2Fb@x",
            "https://lore.kernel.org/r/a%2Fb@x",
            "https://lore.kernel.org/linux-mm/a%2Fb@x/T/#u",
        ] {
            assert_eq!(super::message_id_from_user(input), "a/b@x", "{input}");
        }
        assert_eq!(super::message_id_from_user("50%@x"), "50%@x");
    }
}
