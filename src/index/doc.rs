//! What the index holds about one message, as plain data.
//!
//! Built by the import workers from the parsed message with the same
//! segmentation the web view uses ([`quote::segment`]), so search and display
//! agree on what is quoted. Holds no tantivy types.

use crate::message::Message;
use crate::quote::{self, Kind};
use crate::trailers;

/// One message, ready to be indexed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexDoc {
    /// Message-ID.
    pub message_id: String,
    /// Subject.
    pub subject: String,
    /// Sender's name.
    pub from_name: String,
    /// Sender's address.
    pub from_email: String,
    /// To recipients, "Name address" each.
    pub to: Vec<String>,
    /// Cc recipients, "Name address" each.
    pub cc: Vec<String>,
    /// To addresses alone, lower-cased (for exact `t:addr@host`).
    pub to_addrs: Vec<String>,
    /// Cc addresses alone, lower-cased.
    pub cc_addrs: Vec<String>,
    /// Unix seconds, if known.
    pub date: Option<i64>,
    /// Sender's zone offset, seconds east.
    pub tz: i32,
    /// What the sender wrote, without quotes, attributions, signature, diffs.
    pub original: String,
    /// What the sender quoted.
    pub quoted: String,
    /// Attribution lines and signatures.
    pub extra: String,
    /// Files the diffs touch.
    pub diff_files: Vec<String>,
    /// Added lines.
    pub added: String,
    /// Removed lines.
    pub removed: String,
    /// Hunk headers.
    pub hunk_headers: String,
    /// Trailer names, lower-cased (`reviewed-by`), from original text only.
    pub trailers: Vec<String>,
}

impl IndexDoc {
    /// Builds the document of a parsed message.
    pub fn from_message(msg: &Message) -> IndexDoc {
        let mut doc = IndexDoc {
            message_id: msg.message_id.clone(),
            subject: msg.subject.clone(),
            from_name: msg.from.name.clone(),
            from_email: msg.from.email.clone(),
            to: msg
                .to
                .iter()
                .map(|p| format!("{} {}", p.name, p.email))
                .collect(),
            cc: msg
                .cc
                .iter()
                .map(|p| format!("{} {}", p.name, p.email))
                .collect(),
            to_addrs: msg.to.iter().map(|p| p.email.to_lowercase()).collect(),
            cc_addrs: msg.cc.iter().map(|p| p.email.to_lowercase()).collect(),
            date: msg.date.map(|d| d.timestamp()),
            tz: msg.date.map_or(0, |d| d.offset().local_minus_utc()),
            ..IndexDoc::default()
        };
        let add_body = |doc: &mut IndexDoc, body: &str| {
            let segments = quote::segment(body);
            for seg in &segments {
                let text = seg.text(body);
                let target = match seg.kind {
                    Kind::Original => &mut doc.original,
                    Kind::Quoted { .. } => &mut doc.quoted,
                    Kind::Attribution | Kind::Signature => &mut doc.extra,
                    Kind::Diff => {
                        let d = quote::summarize_diff(text);
                        for f in d.files {
                            if !doc.diff_files.contains(&f) {
                                doc.diff_files.push(f);
                            }
                        }
                        for (lines, into) in
                            [(d.added, &mut doc.added), (d.removed, &mut doc.removed)]
                        {
                            for l in lines {
                                into.push_str(&l);
                                into.push('\n');
                            }
                        }
                        for h in d.hunk_headers {
                            doc.hunk_headers.push_str(&h);
                            doc.hunk_headers.push('\n');
                        }
                        continue;
                    }
                };
                if let Kind::Quoted { .. } = seg.kind {
                    quote::push_unquoted(target, text);
                } else {
                    target.push_str(text);
                }
            }
            for t in trailers::find(body, &segments) {
                if !doc.trailers.contains(&t.key) {
                    doc.trailers.push(t.key);
                }
            }
        };
        add_body(&mut doc, &msg.body);
        for patch in &msg.patches {
            add_body(&mut doc, &patch.text);
        }
        doc
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_text_is_what_the_index_holds_as_quoted() {
        let raw = b"From: A <a@example.org>\nSubject: Re: x\nMessage-ID: <q@example.org>\n\n\
On Mon, B wrote:\n> first quoted line\n>> deeper quote\n\nMy reply.\n\n> more quoted\nBye.\n";
        let crate::message::ParseOutcome::Message(msg, _) = crate::message::parse(raw) else {
            panic!("a message");
        };
        let doc = IndexDoc::from_message(&msg);
        assert_eq!(doc.quoted, "first quoted line\ndeeper quote\nmore quoted\n");
        assert_eq!(
            quote::quoted_text(&crate::message::body_text(raw)),
            doc.quoted
        );
    }
}
