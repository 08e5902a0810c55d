//! The raw header block: field names and unfolded values, as bytes.
//!
//! We scan headers ourselves rather than trust a MIME parser for them, because
//! the fields threading depends on (Message-ID, In-Reply-To, References, Date)
//! need our own lenient readers, and raw 8-bit Latin-1 must be decoded as
//! windows-1252 before RFC 2047 decoding (mail-parser turns it into U+FFFD).

use std::borrow::Cow;

use mail_parser::parsers::MessageStream;
use mail_parser::{Address, HeaderValue};

/// One header field.
#[derive(Debug, Clone)]
pub struct RawHeader<'a> {
    /// The field name as written (compare with `eq_ignore_ascii_case`).
    pub name: &'a str,
    /// The value with folding line breaks kept, as the bytes were.
    pub value: &'a [u8],
}

/// The header block of a message.
#[derive(Debug, Default)]
pub struct HeaderBlock<'a> {
    /// The fields in order.
    pub fields: Vec<RawHeader<'a>>,
    /// Byte offset where the body starts (after the blank line), or the end.
    pub body_offset: usize,
    /// True when the block ended without a blank line (a truncated message or
    /// a line that is not a header).
    pub unterminated: bool,
    /// The longest header line, in bytes.
    pub longest_line: usize,
}

impl<'a> HeaderBlock<'a> {
    /// Scans the header block at the start of `raw`.
    pub fn scan(raw: &'a [u8]) -> HeaderBlock<'a> {
        let mut block = HeaderBlock::default();
        let mut pos = 0;
        // (name, value start) of the field being read.
        let mut current: Option<(&'a str, usize)> = None;
        let mut value_end = 0;
        loop {
            if pos >= raw.len() {
                block.unterminated = true;
                block.body_offset = raw.len();
                break;
            }
            let line_end = memchr::memchr(b'\n', &raw[pos..]).map_or(raw.len(), |i| pos + i + 1);
            let line = &raw[pos..line_end];
            block.longest_line = block.longest_line.max(line.len());
            let content = trim_eol(line);
            if content.is_empty() {
                block.body_offset = line_end;
                break;
            }
            if content[0] == b' ' || content[0] == b'\t' {
                if current.is_some() {
                    value_end = pos + content.len();
                    pos = line_end;
                    continue;
                }
                // A continuation with nothing to continue: skip it.
                pos = line_end;
                continue;
            }
            let name_end = memchr::memchr(b':', content).filter(|&c| {
                c > 0
                    && content[..c]
                        .trim_ascii_end()
                        .iter()
                        .all(|&b| (33..=126).contains(&b))
            });
            let Some(colon) = name_end else {
                if pos == 0 && content.starts_with(b"From ") {
                    // An mbox envelope line left in the message.
                    pos = line_end;
                    continue;
                }
                block.unterminated = true;
                block.body_offset = pos;
                break;
            };
            if let Some((name, start)) = current.take() {
                block.fields.push(RawHeader {
                    name,
                    value: &raw[start..value_end],
                });
            }
            let name = std::str::from_utf8(content[..colon].trim_ascii_end()).unwrap_or("");
            current = Some((name, pos + colon + 1));
            value_end = pos + content.len();
            pos = line_end;
        }
        if let Some((name, start)) = current {
            block.fields.push(RawHeader {
                name,
                value: &raw[start..value_end.max(start)],
            });
        }
        block
    }

    /// The first field with this name.
    pub fn first(&self, name: &str) -> Option<&'a [u8]> {
        self.fields
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value)
    }

    /// All fields with this name, in order.
    pub fn all<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'a [u8]> + 's {
        self.fields
            .iter()
            .filter(move |f| f.name.eq_ignore_ascii_case(name))
            .map(|f| f.value)
    }
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// Header bytes as text: UTF-8 when valid, else windows-1252 (the superset of
/// Latin-1 that real 8-bit headers are written in).
pub fn to_text(value: &[u8]) -> Cow<'_, str> {
    match std::str::from_utf8(value) {
        Ok(s) => Cow::Borrowed(s),
        Err(_) => {
            encoding_rs::WINDOWS_1252
                .decode_without_bom_handling(value)
                .0
        }
    }
}

/// Unfolds a header value: line breaks removed, runs of whitespace made one
/// space, ends trimmed.
/// Whether `c` is a character that shows nothing yet changes what a reader
/// sees: bidirectional overrides, embeddings and isolates (the "Trojan
/// Source" characters), direction marks, zero-width spaces and joiners of
/// words, the byte-order mark. Zero-width (non-)joiners are not among them:
/// scripts and emoji need them.
pub fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// How a page or a terminal shows an [`is_invisible`] (or control)
/// character instead of letting it act: `[U+202E]`.
pub fn visible_form(c: char) -> String {
    format!("[U+{:04X}]", u32::from(c))
}

/// A name or subject without [`is_invisible`] characters: a sender must not
/// make "Linus" out of "sunil" reversed, nor two different-looking names look
/// alike. The raw message keeps them; bodies show them (see the web's
/// escaper).
pub fn without_invisible(text: String) -> String {
    if text.contains(is_invisible) {
        text.chars().filter(|&c| !is_invisible(c)).collect()
    } else {
        text
    }
}

/// A header value on one line: folds and runs of white space become one
/// space, and the ends are trimmed.
pub fn unfold(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Decodes an unstructured header value (Subject, List-Id): charset, RFC 2047
/// encoded words, folding.
pub fn decode_unstructured(value: &[u8]) -> String {
    let text = to_text(value);
    let mut input = text.into_owned().into_bytes();
    input.extend_from_slice(b"\n");
    let decoded = match MessageStream::new(&input).parse_unstructured() {
        HeaderValue::Text(t) => t.into_owned(),
        _ => String::new(),
    };
    unfold(&decoded)
}

/// A name and an address, as decoded from an address header.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodedAddress {
    /// The display name, if any.
    pub name: Option<String>,
    /// The address, if any.
    pub email: Option<String>,
}

/// Decodes an address list header (From, To, Cc), including groups.
pub fn decode_addresses(value: &[u8]) -> Vec<DecodedAddress> {
    let text = to_text(value);
    let mut input = text.into_owned().into_bytes();
    input.extend_from_slice(b"\n");
    let parsed = MessageStream::new(&input).parse_address();
    let mut out = Vec::new();
    let mut push = |name: Option<&str>, email: Option<&str>| {
        let name = name.map(unfold).filter(|n| !n.is_empty());
        let email = email
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_string);
        if name.is_some() || email.is_some() {
            out.push(DecodedAddress { name, email });
        }
    };
    if let HeaderValue::Address(address) = &parsed {
        match address {
            Address::List(list) => {
                for a in list {
                    push(a.name(), a.address());
                }
            }
            Address::Group(groups) => {
                for g in groups {
                    for a in &g.addresses {
                        push(a.name(), a.address());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scans_folded_and_odd_headers() {
        let raw = b"From mboxrd@z Thu Jan  1 00:00:00 1970\nSubject: a\n folded\nX-Long:\tv\r\nSubject : b\n\nbody";
        let block = HeaderBlock::scan(raw);
        let names: Vec<_> = block.fields.iter().map(|f| f.name).collect();
        assert_eq!(names, ["Subject", "X-Long", "Subject"]);
        assert_eq!(block.first("subject"), Some(&b" a\n folded"[..]));
        assert_eq!(&raw[block.body_offset..], b"body");
        assert!(!block.unterminated);
    }

    #[test]
    fn truncated_header_block() {
        let block = HeaderBlock::scan(b"Subject: a\nTo: b");
        assert!(block.unterminated);
        assert_eq!(block.fields.len(), 2);
        assert_eq!(block.first("to"), Some(&b" b"[..]));
    }

    #[test]
    fn decodes_encoded_words_and_latin1() {
        assert_eq!(
            decode_unstructured(b" =?utf-8?q?Gr=C3=BC=C3=9Fe?= aus\n\tBerlin"),
            "Grüße aus Berlin"
        );
        assert_eq!(
            decode_unstructured(b" Caf\xe9 \x93quoted\x94"),
            "Café “quoted”"
        );
        let from = decode_addresses(b" =?ISO-8859-1?Q?Andr=E9?= <andre@example.org>");
        assert_eq!(from[0].name.as_deref(), Some("André"));
        assert_eq!(from[0].email.as_deref(), Some("andre@example.org"));
        let raw_latin1 = decode_addresses(b" Andr\xe9 M\xfcller <am@example.org>, b@example.org");
        assert_eq!(raw_latin1[0].name.as_deref(), Some("André Müller"));
        assert_eq!(raw_latin1[1].email.as_deref(), Some("b@example.org"));
    }
}
