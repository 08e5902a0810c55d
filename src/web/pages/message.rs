//! A message as the thread page shows it: body parts, header lines,
//! reply instructions, its neighbours in the thread.

use super::*;

/// Consecutive lines of one class inside a message part (without the
/// last newline): added lines, a trailer, plain text.
pub struct Run<'a> {
    pub class: &'static str,
    pub text: &'a str,
}

/// A piece of a message body.
pub struct Part<'a> {
    /// original, quoted, attribution, signature, diff
    pub kind: &'static str,
    pub depth: usize,
    /// The whole piece, without its last newline.
    pub text: &'a str,
    /// Number of lines.
    pub lines: usize,
    /// The piece cut where the class of its lines changes, for diffs and
    /// for original text with trailers; empty when one class covers it all.
    pub runs: Vec<Run<'a>>,
}

/// One message (or ghost) on a thread page.
pub struct MsgView<'a> {
    pub anchor: String,
    pub message_id: String,
    pub ghost: bool,
    pub from: String,
    pub email: String,
    pub date: String,
    pub subject: String,
    pub indent: usize,
    pub permalink: String,
    pub raw: String,
    /// The parent's anchor, on this page or the thread page.
    pub parent_href: String,
    /// The subject says nothing the parent's did not ("Re: " aside): the
    /// outline leaves it out, as lore does.
    pub repeats_parent: bool,
    pub parts: Vec<Part<'a>>,
    pub current: bool,
}

/// A body cut into parts by the one quote splitter, diff lines classed.
pub(super) fn parts_of<'a>(body: &'a str, segments: &[quote::Segment]) -> Vec<Part<'a>> {
    segments
        .iter()
        .map(|seg| {
            let text = seg.text(body);
            let (kind, depth) = match seg.kind {
                SegKind::Original => ("original", 0),
                SegKind::Quoted { depth } => ("quoted", (depth as usize).min(6)),
                SegKind::Attribution => ("attribution", 0),
                SegKind::Signature => ("signature", 0),
                SegKind::Diff => ("diff", 0),
            };
            let class_of = |l: &str| match kind {
                "diff" if l.starts_with("+++") || l.starts_with("---") => "file",
                "diff" if l.starts_with('+') => "add",
                "diff" if l.starts_with('-') => "del",
                "diff" if l.starts_with("@@") => "hunk",
                "diff" if l.starts_with("diff ") => "file",
                "original" if crate::trailers::parse_line(l.trim(), 0).is_some() => "trailer",
                _ => "",
            };
            let mut runs: Vec<Run<'a>> = Vec::new();
            let mut lines = 0;
            if kind == "diff" || kind == "original" {
                // (class, start, end) of the run being built.
                let mut open: Option<(&'static str, usize, usize)> = None;
                let mut at = 0;
                for line in text.split_inclusive('\n') {
                    let content = line.trim_end_matches(['\n', '\r']);
                    let class = class_of(content);
                    let end = at + content.len();
                    open = match open {
                        Some((c, start, _)) if c == class => Some((c, start, end)),
                        Some((c, start, stop)) => {
                            runs.push(Run {
                                class: c,
                                text: &text[start..stop],
                            });
                            Some((class, at, end))
                        }
                        None => Some((class, at, end)),
                    };
                    at += line.len();
                    lines += 1;
                }
                if let Some((c, start, stop)) = open {
                    runs.push(Run {
                        class: c,
                        text: &text[start..stop],
                    });
                }
                if runs.len() == 1 && runs[0].class.is_empty() {
                    runs.clear();
                }
            } else {
                lines = text.lines().count();
            }
            Part {
                kind,
                depth,
                text: text.trim_end_matches(['\n', '\r']),
                lines,
                runs,
            }
        })
        .collect()
}

/// Recipients a message page names (and puts in its reply commands).
pub const MAX_RECIPIENTS: usize = 100;

/// A message page's header lines and lore's reply instructions.
#[derive(Default)]
pub struct ReplyInfo {
    pub to: String,
    pub cc: String,
    /// `git send-email --in-reply-to=... --to=... --cc=... /path/to/YOUR_REPLY`.
    pub send_email: String,
    /// A `mailto:` with the same recipients, subject and In-Reply-To.
    pub mailto: String,
}

impl ReplyInfo {
    /// From the stored copy of `msgid`: its To/Cc, and how to reply to all.
    pub fn of(st: &AppState, msgid: &str) -> Result<ReplyInfo, WebError> {
        let raw = st.with_store(|s| s.raw_by_message_id(msgid))?;
        let Some(raw) = raw.first() else {
            return Ok(ReplyInfo::default());
        };
        let crate::message::ParseOutcome::Message(m, _) = crate::message::parse(raw) else {
            return Ok(ReplyInfo::default());
        };
        // A message to 100,000 people shows the first hundred, and says so.
        let list = |people: &[crate::message::Person]| {
            let mut shown: Vec<String> = people
                .iter()
                .take(MAX_RECIPIENTS)
                .map(|p| p.display().to_string())
                .collect();
            if people.len() > MAX_RECIPIENTS {
                shown.push(format!("and {} more", people.len() - MAX_RECIPIENTS));
            }
            shown.join(", ")
        };
        // Reply to all: the sender, then everyone else it went to, once each.
        let mut seen = std::collections::HashSet::new();
        let mut cc: Vec<&str> = Vec::new();
        for p in m.to.iter().chain(&m.cc) {
            let e = p.email.as_str();
            if !e.is_empty()
                && !e.eq_ignore_ascii_case(&m.from.email)
                && seen.insert(e.to_ascii_lowercase())
            {
                cc.push(e);
            }
            if cc.len() == MAX_RECIPIENTS {
                break;
            }
        }
        let mut send = format!(
            "git send-email \\\n  --in-reply-to='<{msgid}>' \\\n  --to={} \\\n",
            m.from.email
        );
        for c in &cc {
            send.push_str(&format!("  --cc={c} \\\n"));
        }
        send.push_str("  /path/to/YOUR_REPLY");
        let subject = if m.subject.to_ascii_lowercase().starts_with("re:") {
            m.subject.clone()
        } else {
            format!("Re: {}", m.subject)
        };
        let mailto = format!(
            "mailto:{}?In-Reply-To=%3C{}%3E&Cc={}&Subject={}",
            links::encode_message_id(&m.from.email),
            links::encode_message_id(msgid),
            links::encode_message_id(&cc.join(",")),
            links::encode_message_id(&subject)
        );
        Ok(ReplyInfo {
            to: list(&m.to),
            cc: list(&m.cc),
            send_email: send,
            mailto,
        })
    }
}

/// A subject without its "Re:"/"Fwd:" prefixes and spacing differences.
pub(super) fn bare_subject(subject: &str) -> String {
    let mut s = subject.trim();
    loop {
        let lower = s.to_ascii_lowercase();
        let cut = ["re:", "fwd:", "fw:", "aw:"]
            .iter()
            .find(|p| lower.starts_with(*p))
            .map(|p| p.len());
        match cut {
            Some(n) => s = s[n..].trim_start(),
            None => break,
        }
    }
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A message next to another in its thread: (href, subject).
pub type Neighbour = (String, String);

/// The messages before and after `msgid` in the thread's order (ghosts
/// skipped).
pub(super) fn neighbours(
    view: &crate::store::ThreadView,
    msgid: &str,
    list: &str,
) -> (Option<Neighbour>, Option<Neighbour>) {
    let order: Vec<usize> = view
        .order
        .iter()
        .map(|&(i, _)| i)
        .filter(|&i| !view.nodes[i].ghost)
        .collect();
    let Some(at) = order
        .iter()
        .position(|&i| view.nodes[i].message_id == msgid)
    else {
        return (None, None);
    };
    let link = |i: usize| {
        let n = &view.nodes[i];
        (message_href(list, &n.message_id), n.subject.clone())
    };
    (
        at.checked_sub(1).map(|p| link(order[p])),
        order.get(at + 1).map(|&n| link(n)),
    )
}
