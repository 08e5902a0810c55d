//! Raw message bytes → [`Message`], sans-IO, never failing.
//!
//! [`parse`] always returns a message and a list of [`ParseWarning`]s; only
//! bytes with no header at all are refused ([`ParseOutcome::NotAMessage`]).
//! MIME structure, transfer encodings and charsets are mail-parser's job; the
//! fields whosaid depends on (ids, date, addresses, 8-bit headers) are read
//! here, leniently, by [`headers`], [`ids`] and [`date`].

pub mod date;
pub mod flowed;
pub mod headers;
pub mod ids;

use chrono::{DateTime, FixedOffset};
use mail_parser::{MessageParser, MimeHeaders, PartType};
use serde::Serialize;
use sha2::{Digest, Sha256};

use self::headers::{DecodedAddress, HeaderBlock};

/// A person as mail names them: display name and lower-cased address.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Person {
    /// Display name, or empty.
    pub name: String,
    /// Address, lower-cased, or empty when none could be read.
    pub email: String,
}

impl Person {
    fn from_decoded(a: DecodedAddress) -> Person {
        let mut name = a.name.unwrap_or_default();
        let mut email = a.email.unwrap_or_default();
        // pipermail: "jjl at pobox.com (John J. Lee)" arrives as a name only.
        if email.is_empty()
            && let Some((addr, rest)) = pipermail_address(&name)
        {
            email = addr;
            name = rest;
        }
        let name = headers::without_invisible(name);
        let name = name.trim().trim_matches(['"', '\'']).trim().to_string();
        let name = if name.eq_ignore_ascii_case(&email) {
            String::new()
        } else {
            name
        };
        Person {
            name,
            email: email.to_lowercase(),
        }
    }

    /// The name to show: the display name, else the address.
    pub fn display(&self) -> &str {
        if self.name.is_empty() {
            &self.email
        } else {
            &self.name
        }
    }
}

fn pipermail_address(text: &str) -> Option<(String, String)> {
    let (addr_part, name) = match text.split_once('(') {
        Some((a, n)) => (a.trim(), n.trim_end_matches(')').trim().to_string()),
        None => (text.trim(), String::new()),
    };
    let (local, domain) = addr_part.split_once(" at ")?;
    let (local, domain) = (local.trim(), domain.trim());
    if local.is_empty() || domain.is_empty() || local.contains(' ') || domain.contains(' ') {
        return None;
    }
    Some((format!("{local}@{domain}"), name))
}

/// A patch carried as an attachment rather than inline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PatchAttachment {
    /// File name, if the part named one.
    pub name: String,
    /// The decoded text of the patch.
    pub text: String,
}

/// One parsed message: the "meat" (see ARCHITECTURE.md).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Message {
    /// Message-ID without angle brackets (synthetic when the message had none).
    pub message_id: String,
    /// True when `message_id` was made up from the content hash.
    pub synthetic_id: bool,
    /// In-Reply-To ids, in order.
    pub in_reply_to: Vec<String>,
    /// References ids, in order.
    pub references: Vec<String>,
    /// The sender.
    pub from: Person,
    /// The author named by an in-body `From:` line (git send-email patches
    /// sent on someone else's behalf).
    pub patch_author: Option<Person>,
    /// To recipients.
    pub to: Vec<Person>,
    /// Cc recipients.
    pub cc: Vec<Person>,
    /// The date, if one could be read honestly.
    pub date: Option<DateTime<FixedOffset>>,
    /// Subject, decoded and unfolded.
    pub subject: String,
    /// The List-Id, without angle brackets and description.
    pub list_id: Option<String>,
    /// The decoded text parts, joined, with LF line ends and flowed text
    /// unwrapped. HTML-only mail is converted to text.
    pub body: String,
    /// True when the only text was HTML and `body` was converted from it.
    pub html_only: bool,
    /// Patches sent as attachments.
    pub patches: Vec<PatchAttachment>,
}

/// Something in a message that was odd but did not stop it being stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseWarning {
    /// The kind, for grouping in the import summary.
    pub kind: WarningKind,
    /// What exactly, in words.
    pub detail: String,
}

/// Kinds of [`ParseWarning`] (and of import warnings in general).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WarningKind {
    /// No Message-ID header; a synthetic id was made.
    NoMessageId,
    /// No Date header, or one that could not be read.
    BadDate,
    /// The date came from a Received header instead of Date.
    DateFromReceived,
    /// No sender address could be read.
    NoFrom,
    /// The header block did not end with a blank line.
    TruncatedHeaders,
    /// A header line is unreasonably long.
    LongHeaderLine,
    /// An In-Reply-To or References value held no usable id.
    BadReference,
    /// Bytes that are not a mail message at all (skipped).
    NotAMessage,
    /// A message too large to hold (skipped).
    TooLarge,
    /// An input path that is not an mbox, Maildir or message (skipped).
    NotMbox,
    /// A Message-ID already stored with different content (kept as a variant).
    ReusedMessageId,
    /// Reading an input failed part way.
    ReadError,
    /// An input with no bytes at all.
    EmptyInput,
}

impl WarningKind {
    /// A short label for summaries.
    pub fn label(self) -> &'static str {
        match self {
            WarningKind::NoMessageId => "no Message-ID (synthetic id made)",
            WarningKind::BadDate => "date missing or unreadable",
            WarningKind::DateFromReceived => "date taken from Received header",
            WarningKind::NoFrom => "no sender address",
            WarningKind::TruncatedHeaders => "header block not terminated",
            WarningKind::LongHeaderLine => "header line over 64 KiB",
            WarningKind::BadReference => "In-Reply-To/References without a Message-ID",
            WarningKind::NotAMessage => "not a mail message (skipped)",
            WarningKind::TooLarge => "message too large (skipped)",
            WarningKind::NotMbox => "not an mbox or Maildir (skipped)",
            WarningKind::ReusedMessageId => "Message-ID reused with different content",
            WarningKind::ReadError => "read error",
            WarningKind::EmptyInput => "empty input",
        }
    }
}

/// The result of [`parse`].
#[derive(Debug)]
pub enum ParseOutcome {
    /// A message (possibly with warnings).
    Message(Box<Message>, Vec<ParseWarning>),
    /// Bytes with no header: not stored.
    NotAMessage(ParseWarning),
}

/// Header lines longer than this are reported.
const LONG_HEADER_LINE: usize = 64 * 1024;

/// Parses one raw message. Never panics, never fails on a message with
/// headers; see the module docs.
pub fn parse(raw: &[u8]) -> ParseOutcome {
    let block = HeaderBlock::scan(raw);
    if block.fields.is_empty() {
        let detail = if raw.is_empty() {
            "empty message".to_string()
        } else {
            format!("{} bytes without a single header line", raw.len())
        };
        return ParseOutcome::NotAMessage(ParseWarning {
            kind: WarningKind::NotAMessage,
            detail,
        });
    }
    let mut warnings = Vec::new();
    let mut warn = |kind, detail: String| warnings.push(ParseWarning { kind, detail });
    if block.unterminated {
        warn(
            WarningKind::TruncatedHeaders,
            format!(
                "header block ends at byte {} without a blank line",
                block.body_offset
            ),
        );
    }
    if block.longest_line > LONG_HEADER_LINE {
        warn(
            WarningKind::LongHeaderLine,
            format!("a header line of {} bytes", block.longest_line),
        );
    }

    let (message_id, synthetic_id) = match block
        .first("message-id")
        .and_then(|v| ids::extract_message_id(&headers::to_text(v)))
    {
        Some(id) => (id, false),
        None => {
            let detail = match block.first("message-id") {
                None => "no Message-ID header".to_string(),
                Some(v) if headers::to_text(v).trim().is_empty() => {
                    "an empty Message-ID header".to_string()
                }
                Some(v) => {
                    let value = headers::to_text(v);
                    let shown: String = value.trim().chars().take(60).collect();
                    format!(
                        "Message-ID {shown:?} ({} bytes) holds no usable id: control \
                         characters, or longer than {} bytes",
                        value.trim().len(),
                        ids::MAX_PATH_ID
                    )
                }
            };
            warn(WarningKind::NoMessageId, detail);
            (synthetic_message_id(raw), true)
        }
    };
    let date = read_date(&block, &mut warn);

    let from = block
        .first("from")
        .map(headers::decode_addresses)
        .and_then(|list| list.into_iter().next())
        .map(Person::from_decoded)
        .unwrap_or_default();
    if from.email.is_empty() {
        let shown = block
            .first("from")
            .map(|v| headers::unfold(&headers::to_text(v)));
        warn(
            WarningKind::NoFrom,
            format!("From {shown:?} has no address"),
        );
    }
    let from = undo_dmarc_rewrite(from, &block);
    let people = |name: &str| -> Vec<Person> {
        block
            .all(name)
            .flat_map(headers::decode_addresses)
            .map(Person::from_decoded)
            .collect()
    };
    let to = people("to");
    let cc = people("cc");

    // Threading ids. An id that is one of the message's own addresses is a
    // mailer putting an address where a Message-ID belongs: drop it, or it
    // would fuse every thread that person replied to.
    let addresses: std::collections::HashSet<String> = std::iter::once(&from)
        .chain(&to)
        .chain(&cc)
        .chain(&people("reply-to"))
        .chain(&people("sender"))
        .map(|p| p.email.clone())
        .filter(|e| !e.is_empty())
        .collect();
    let mut dropped = Vec::new();
    let mut read_ids = |name: &str| -> Vec<String> {
        block
            .all(name)
            .flat_map(|v| ids::extract(&headers::to_text(v)))
            .filter(|id| {
                let is_address = addresses.contains(&id.to_lowercase());
                if is_address {
                    dropped.push(format!("{name} <{id}> is an address, not a Message-ID"));
                }
                !is_address
            })
            .collect()
    };
    let in_reply_to = read_ids("in-reply-to");
    let references = read_ids("references");
    let any_dropped = !dropped.is_empty();
    for d in dropped {
        warn(WarningKind::BadReference, d);
    }
    if block
        .first("in-reply-to")
        .is_some_and(|v| !v.trim_ascii().is_empty())
        && !in_reply_to.iter().any(|id| ids::is_plausible(id))
        && !any_dropped
    {
        let value = headers::unfold(&headers::to_text(block.first("in-reply-to").unwrap_or(b"")));
        warn(
            WarningKind::BadReference,
            format!("In-Reply-To {value:?} holds no Message-ID"),
        );
    }

    let subject = block
        .first("subject")
        .map(headers::decode_unstructured)
        .map(headers::without_invisible)
        .unwrap_or_default();
    let list_id = block
        .first("list-id")
        .map(headers::decode_unstructured)
        .map(headers::without_invisible)
        .and_then(|v| {
            let id = ids::extract(&v).into_iter().next().unwrap_or(v);
            let id = id.trim().to_string();
            (!id.is_empty()).then_some(id)
        });

    let (body, html_only, patches) = read_body(raw, &block);
    let patch_author = in_body_from(&body);

    ParseOutcome::Message(
        Box::new(Message {
            message_id,
            synthetic_id,
            in_reply_to,
            references,
            from,
            patch_author,
            to,
            cc,
            date,
            subject,
            list_id,
            body,
            html_only,
            patches,
        }),
        warnings,
    )
}

/// Only the text a reader sees: the decoded body followed by the text of
/// patch attachments, as [`parse`] would give them, without reading the
/// headers the store already holds (a thread page needs just this).
pub fn body_text(raw: &[u8]) -> String {
    let block = HeaderBlock::scan(raw);
    if block.fields.is_empty() {
        return String::new();
    }
    if let Some(body) = plain_body(raw, &block) {
        return body;
    }
    // The MIME parser reads every header it is given, and a list message
    // carries dozens (Received, DKIM, ARC). Only the MIME ones decide the
    // body: hand it those and the body. A block that did not end cleanly
    // goes whole, so the parser sees what `parse` shows it.
    let (body, _, patches) = if block.unterminated {
        read_mime_body(raw, &block)
    } else {
        let mut mime = Vec::with_capacity(raw.len() - block.body_offset + 512);
        for f in block.fields.iter().filter(|f| {
            let n = f.name.as_bytes();
            f.name.eq_ignore_ascii_case("mime-version")
                || (n.len() > 8 && n[..8].eq_ignore_ascii_case(b"content-"))
        }) {
            mime.extend_from_slice(f.name.as_bytes());
            mime.push(b':');
            mime.extend_from_slice(f.value);
            mime.push(b'\n');
        }
        mime.push(b'\n');
        mime.extend_from_slice(&raw[block.body_offset..]);
        read_mime_body(&mime, &HeaderBlock::scan(&mime))
    };
    with_patches(body, &patches)
}

/// A body followed by the text of its patch attachments, one per line block.
fn with_patches(mut body: String, patches: &[PatchAttachment]) -> String {
    for p in patches {
        body.push('\n');
        body.push_str(&p.text);
    }
    body
}

/// Lists that rewrite From for DMARC send "Jane Doe via linux-foo
/// <linux-foo@lists.example.org>" and keep the sender in X-Original-From or
/// Reply-To. Gives back the real sender when the headers say who it is.
fn undo_dmarc_rewrite(from: Person, block: &HeaderBlock<'_>) -> Person {
    let lower = from.name.to_lowercase();
    let Some(at) = lower.find(" via ") else {
        return from;
    };
    let real_name = from.name[..at].trim().trim_matches(['"', '\'']).to_string();
    let same_name = |p: &Person| p.name.trim().eq_ignore_ascii_case(&real_name);
    let decoded = |name: &str| -> Vec<Person> {
        block
            .all(name)
            .flat_map(headers::decode_addresses)
            .map(Person::from_decoded)
            .collect()
    };
    if let Some(orig) = decoded("x-original-from")
        .into_iter()
        .find(|p| !p.email.is_empty())
    {
        return Person {
            name: if orig.name.is_empty() {
                real_name
            } else {
                orig.name
            },
            email: orig.email,
        };
    }
    let reply_to = decoded("reply-to");
    let pick = reply_to
        .iter()
        .find(|p| same_name(p))
        .or(if reply_to.len() == 1 {
            reply_to.first()
        } else {
            None
        });
    match pick {
        Some(p) if !p.email.is_empty() && p.email != from.email => Person {
            name: real_name,
            email: p.email.clone(),
        },
        _ => Person {
            name: real_name,
            email: from.email,
        },
    }
}

/// The stable Message-ID given to a message that has none: derived from the
/// hash of its bytes, under a domain that cannot clash with real ids.
pub fn synthetic_message_id(raw: &[u8]) -> String {
    let digest = Sha256::digest(raw);
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}@synthetic.whosaid.invalid")
}

fn read_date(
    block: &HeaderBlock<'_>,
    warn: &mut impl FnMut(WarningKind, String),
) -> Option<DateTime<FixedOffset>> {
    let header = block
        .first("date")
        .map(|v| headers::unfold(&headers::to_text(v)));
    let from_date = header.as_deref().map(date::parse);
    let problem = match &from_date {
        Some(Ok(p)) if !p.zone_assumed => return Some(p.date),
        Some(Ok(_)) => "Date has no time zone".to_string(),
        Some(Err(e)) => e.to_string(),
        None => "no Date header".to_string(),
    };
    // The Received header nearest the top was written by a machine.
    let received = block.all("received").find_map(|v| {
        let text = headers::to_text(v);
        let (_, when) = text.rsplit_once(';')?;
        date::parse(&headers::unfold(when))
            .ok()
            .filter(|p| !p.zone_assumed)
    });
    match (received, from_date) {
        (Some(r), _) => {
            warn(
                WarningKind::DateFromReceived,
                format!("{problem}; used the Received date"),
            );
            Some(r.date)
        }
        (None, Some(Ok(p))) => {
            warn(WarningKind::BadDate, format!("{problem}; read as UTC"));
            Some(p.date)
        }
        (None, _) => {
            warn(WarningKind::BadDate, format!("{problem}; date unknown"));
            None
        }
    }
}

/// Decodes the text parts. Returns the body, whether it came from HTML only,
/// and the patches sent as attachments.
fn read_body(raw: &[u8], block: &HeaderBlock<'_>) -> (String, bool, Vec<PatchAttachment>) {
    match plain_body(raw, block) {
        Some(body) => (body, false, Vec::new()),
        None => read_mime_body(raw, block),
    }
}

/// What the MIME parser alone makes of the body and patch attachments; the
/// reference [`plain_body`] is tested against.
#[doc(hidden)]
pub fn mime_body_text(raw: &[u8]) -> String {
    let block = HeaderBlock::scan(raw);
    if block.fields.is_empty() {
        return String::new();
    }
    let (body, _, patches) = read_mime_body(raw, &block);
    with_patches(body, &patches)
}

fn read_mime_body(raw: &[u8], block: &HeaderBlock<'_>) -> (String, bool, Vec<PatchAttachment>) {
    let parser = MessageParser::new()
        .with_mime_headers()
        .default_header_ignore();
    let Some(parsed) = parser.parse(raw) else {
        let rest = &raw[block.body_offset.min(raw.len())..];
        return (
            normalise_newlines(&headers::to_text(rest)),
            false,
            Vec::new(),
        );
    };
    let mut body = String::new();
    let mut saw_plain = false;
    for (i, part) in parsed.text_bodies().enumerate() {
        let is_html = matches!(part.body, PartType::Html(_));
        saw_plain |= !is_html;
        let Some(text) = parsed.body_text(i) else {
            continue;
        };
        let mut text = normalise_newlines(&text);
        if let Some(ct) = part.content_type()
            && ct
                .attribute("format")
                .is_some_and(|f| f.eq_ignore_ascii_case("flowed"))
        {
            let delsp = ct
                .attribute("delsp")
                .is_some_and(|d| d.eq_ignore_ascii_case("yes"));
            text = flowed::unflow(&text, delsp);
        }
        if !body.is_empty() && !body.ends_with('\n') {
            body.push('\n');
        }
        body.push_str(&text);
    }
    let html_only = !saw_plain && !body.is_empty();
    let mut patches = Vec::new();
    for part in parsed.attachments() {
        let name = part.attachment_name().unwrap_or("").to_string();
        let ctype = part
            .content_type()
            .map(|ct| format!("{}/{}", ct.ctype(), ct.subtype().unwrap_or("")).to_ascii_lowercase())
            .unwrap_or_default();
        let text = match &part.body {
            PartType::Text(t) => normalise_newlines(t),
            PartType::Binary(b) | PartType::InlineBinary(b)
                if ctype.contains("patch") || ctype.contains("diff") =>
            {
                normalise_newlines(&String::from_utf8_lossy(b))
            }
            _ => continue,
        };
        let lname = name.to_ascii_lowercase();
        let is_patch = ctype.contains("x-patch")
            || ctype.contains("x-diff")
            || lname.ends_with(".patch")
            || lname.ends_with(".diff")
            || text.starts_with("diff --git ")
            || text.contains("\ndiff --git ");
        if is_patch {
            patches.push(PatchAttachment { name, text });
        }
    }
    (body, html_only, patches)
}

/// The body of the commonest list message, one part of plain UTF-8 or
/// ASCII text sent as is, without the MIME parser: the same text it would
/// give (tests/it/body_text.rs compares them on every corpus message), at a
/// fraction of the cost. None for anything else.
fn plain_body(raw: &[u8], block: &HeaderBlock<'_>) -> Option<String> {
    if block.unterminated {
        return None;
    }
    let value = |name: &str| -> Option<Option<String>> {
        let mut values = block.all(name);
        let first = values.next();
        if values.next().is_some() {
            return None; // two of them: let the parser decide
        }
        Some(first.map(|v| {
            headers::unfold(&headers::to_text(v))
                .trim()
                .to_ascii_lowercase()
        }))
    };
    if let Some(ct) = value("content-type")? {
        let mut params = ct.split(';').map(str::trim);
        if params.next() != Some("text/plain") {
            return None;
        }
        for p in params.filter(|p| !p.is_empty()) {
            let (k, v) = p.split_once('=')?;
            let v = v.trim().trim_matches('"');
            if k.trim() != "charset" || !matches!(v, "us-ascii" | "utf-8") {
                return None;
            }
        }
    }
    if let Some(cte) = value("content-transfer-encoding")?
        && !matches!(cte.as_str(), "7bit" | "8bit")
    {
        return None;
    }
    if let Some(cd) = value("content-disposition")?
        && cd != "inline"
    {
        return None;
    }
    let text = std::str::from_utf8(&raw[block.body_offset..]).ok()?;
    Some(normalise_newlines(text))
}

fn normalise_newlines(text: &str) -> String {
    if text.contains('\r') {
        text.replace("\r\n", "\n")
    } else {
        text.to_string()
    }
}

/// The `From:` line git send-email puts first in the body when the sender is
/// not the author.
fn in_body_from(body: &str) -> Option<Person> {
    let first = body.lines().find(|l| !l.trim().is_empty())?;
    let value = first.strip_prefix("From:")?;
    let person = headers::decode_addresses(value.as_bytes())
        .into_iter()
        .next()
        .map(Person::from_decoded)?;
    (!person.email.is_empty()).then_some(person)
}

#[cfg(test)]
mod tests;
