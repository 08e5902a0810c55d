//! Patch subjects and series, as kernel maintainers write them. Sans-IO.
//!
//! [`parse_subject`] reads `Re: [RFC PATCH net-next v2 3/5] foo: bar` into its
//! parts. [`change_id`] and [`changes`] read what a cover letter says about the
//! series. The store groups messages into series versions with these; see
//! `Store::series`. [`patch_id`] names a patch's change across postings.

use serde::Serialize;

mod patch_id;
mod versions;
pub use self::patch_id::patch_id;
pub use self::versions::{Change, PatchKey, correspond, interdiff};

/// What a subject line says about a message.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SubjectInfo {
    /// `Re:`, `Aw:`, `Fwd:` (or similar) before the tags: a reply.
    pub reply: bool,
    /// A `[PATCH ...]`-style tag was found.
    pub patch: bool,
    /// `RFC` appeared in the tags.
    pub rfc: bool,
    /// `RESEND` appeared in the tags.
    pub resend: bool,
    /// Revision: `v3` → 3; 1 when none is written.
    pub version: u32,
    /// `2/7` → Some(2); None when there is no counter.
    pub index: Option<u32>,
    /// `2/7` → Some(7).
    pub total: Option<u32>,
    /// Other tag words: `net-next`, `GIT PULL`, subsystem names.
    pub tags: Vec<String>,
    /// The subject without reply prefixes and tags: the series' name.
    pub base: String,
}

/// Reads a subject line. Never fails: a subject without tags has `patch: false`
/// and `base` = the subject without reply prefixes.
pub fn parse_subject(subject: &str) -> SubjectInfo {
    let mut info = SubjectInfo {
        version: 1,
        ..SubjectInfo::default()
    };
    let mut rest = subject.trim();
    loop {
        // Reply prefixes: Re:, RE:, Aw:, Fwd:, Fw:, Sv:, Vs:, Antw:, Re[2]:.
        if let Some(after) = strip_reply_prefix(rest) {
            info.reply = true;
            rest = after.trim_start();
            continue;
        }
        if rest.starts_with('[') {
            let Some(close) = rest.find(']') else { break };
            let tag = &rest[1..close];
            read_tag(tag, &mut info);
            rest = rest[close + 1..].trim_start();
            continue;
        }
        break;
    }
    info.base = rest.split_whitespace().collect::<Vec<_>>().join(" ");
    info
}

fn strip_reply_prefix(s: &str) -> Option<&str> {
    let colon = s.find(':')?;
    if colon == 0 || colon > 6 {
        return None;
    }
    let word = &s[..colon];
    let word = word.split('[').next().unwrap_or(word); // Re[2]:
    let lower = word.to_ascii_lowercase();
    const PREFIXES: [&str; 10] = [
        "re", "aw", "fwd", "fw", "sv", "vs", "antw", "odp", "r", "rif",
    ];
    PREFIXES.contains(&lower.as_str()).then(|| &s[colon + 1..])
}

fn read_tag(tag: &str, info: &mut SubjectInfo) {
    // "[PATCHv3 2/7]" → "PATCH v3 2/7"; nested brackets flatten.
    let normalised = tag.replace(['[', ']'], " ");
    for word in normalised.split_whitespace() {
        let upper = word.to_ascii_uppercase();
        if let Some(v) = upper.strip_prefix("PATCH") {
            info.patch = true;
            if let Some(n) = parse_version(v) {
                info.version = n;
            } else if !v.is_empty() {
                info.tags.push(word.to_string());
            }
        } else if upper == "RFC" || upper.starts_with("RFC") && parse_version(&upper[3..]).is_some()
        {
            info.rfc = true;
            info.patch = true;
            if let Some(n) = parse_version(&upper[3..]) {
                info.version = n;
            }
        } else if upper.starts_with("RESEND") {
            info.resend = true;
        } else if let Some(n) = parse_version(&upper) {
            info.version = n;
        } else if let Some((i, n)) = parse_counter(word) {
            info.index = Some(i);
            info.total = Some(n);
        } else {
            info.tags.push(word.to_string());
        }
    }
}

/// `v3`, `V3` (also `-v3`) → 3.
fn parse_version(s: &str) -> Option<u32> {
    let s = s.trim_start_matches('-');
    let digits = s.strip_prefix('v').or_else(|| s.strip_prefix('V'))?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok().filter(|&n| n > 0 && n < 1000)
}

/// `2/7`, `02/10` → (2, 7).
fn parse_counter(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('/')?;
    let a: u32 = a.parse().ok()?;
    let b: u32 = b.parse().ok()?;
    (b > 0 && a <= b && b < 10_000).then_some((a, b))
}

/// The `change-id:` b4 writes in cover letters (and single patches).
pub fn change_id(body: &str) -> Option<String> {
    body.lines().find_map(|line| {
        let (name, value) = line.trim().split_once(':')?;
        let value = value.trim();
        (name.eq_ignore_ascii_case("change-id") && !value.is_empty() && !value.contains(' '))
            .then(|| value.to_string())
    })
}

/// What a cover letter (or a patch's notes below `---`) says changed: the
/// lines of a "Changes in v2:" / "Changes since v1:" / "v2:" section.
pub fn changes(body: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_section = false;
    for line in body.lines() {
        let trimmed = line.trim();
        let lower = trimmed.to_ascii_lowercase();
        let is_heading = lower.ends_with(':')
            && (lower.starts_with("changes")
                || lower.starts_with("changelog")
                || lower.starts_with("since v")
                || (lower.starts_with('v')
                    && lower.len() <= 16
                    && lower[1..2].bytes().all(|b| b.is_ascii_digit())));
        if is_heading {
            in_section = true;
            out.push(trimmed.to_string());
            continue;
        }
        if in_section {
            if trimmed.is_empty() {
                in_section = false;
            } else if trimmed == "-- " || trimmed == "---" {
                break;
            } else {
                out.push(format!("  {trimmed}"));
            }
        }
    }
    out
}

/// What the store keeps about a message's place in a patch series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchFacts {
    /// The parsed subject.
    pub subject: SubjectInfo,
    /// The message carries a diff (inline or attached).
    pub has_diff: bool,
    /// b4's `change-id:`, if the message states one.
    pub change_id: Option<String>,
    /// The patch author: the in-body `From:` when present, else the sender.
    pub author: crate::message::Person,
    /// The patch-id of its diff ([`patch_id`]), when it has one.
    pub patch_id: Option<String>,
}

/// Reads the series facts of a parsed message.
/// `has_diff` comes from the caller, which has segmented the body already
/// (the import builds the index document from the same segments).
pub fn facts(message: &crate::message::Message, has_diff: bool) -> PatchFacts {
    let subject = parse_subject(&message.subject);
    // Only a patch or cover letter states the series' change-id; a reply
    // quoting one does not (and quoted lines start with '>').
    let change_id = if subject.patch && !subject.reply {
        change_id(&message.body)
    } else {
        None
    };
    let author = message
        .patch_author
        .clone()
        .unwrap_or_else(|| message.from.clone());
    PatchFacts {
        subject,
        has_diff,
        change_id,
        author,
        patch_id: has_diff.then(|| patch_id(&message.body)).flatten(),
    }
}

#[cfg(test)]
mod tests {
    use expect_test::{Expect, expect};

    #[track_caller]
    fn check(subject: &str, expected: Expect) {
        let i = super::parse_subject(subject);
        let mut out = format!("base={:?} v{}", i.base, i.version);
        if let (Some(n), Some(t)) = (i.index, i.total) {
            out += &format!(" {n}/{t}");
        }
        for (flag, name) in [
            (i.reply, "reply"),
            (i.patch, "patch"),
            (i.rfc, "rfc"),
            (i.resend, "resend"),
        ] {
            if flag {
                out += &format!(" {name}");
            }
        }
        if !i.tags.is_empty() {
            out += &format!(" tags={:?}", i.tags);
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn subjects_as_maintainers_write_them() {
        check("[PATCH] fix typo", expect![[r#"base="fix typo" v1 patch"#]]);
        check(
            "[PATCH v3 2/7] mm: x",
            expect![[r#"base="mm: x" v3 2/7 patch"#]],
        );
        check("[PATCHv3] mm: x", expect![[r#"base="mm: x" v3 patch"#]]);
        check(
            "[RFC PATCH net-next v2 0/5] net: y",
            expect![[r#"base="net: y" v2 0/5 patch rfc tags=["net-next"]"#]],
        );
        check(
            "Re: [PATCH 09/10] mm/hmm: z",
            expect![[r#"base="mm/hmm: z" v1 9/10 reply patch"#]],
        );
        check(
            "Aw: Re: Fwd: [PATCH RESEND v2 1/2] a",
            expect![[r#"base="a" v2 1/2 reply patch resend"#]],
        );
        check(
            "[PATCH 2/7 v3] late version",
            expect![[r#"base="late version" v3 2/7 patch"#]],
        );
        check("[PATCH V2] upper", expect![[r#"base="upper" v2 patch"#]]);
        check(
            "[PATCH] [net-next] two groups",
            expect![[r#"base="two groups" v1 patch tags=["net-next"]"#]],
        );
        check(
            "[RFCv2 3/4] rfc only",
            expect![[r#"base="rfc only" v2 3/4 patch rfc"#]],
        );
        check(
            "[GIT PULL] kbuild fixes",
            expect![[r#"base="kbuild fixes" v1 tags=["GIT", "PULL"]"#]],
        );
        check(
            "RE:  Re[2]: plain   reply",
            expect![[r#"base="plain reply" v1 reply"#]],
        );
        check(
            "Reply-To handling: not a prefix",
            expect![[r#"base="Reply-To handling: not a prefix" v1"#]],
        );
        check(
            "[PATCH bpf-next v2 02/10] bpf: q",
            expect![[r#"base="bpf: q" v2 2/10 patch tags=["bpf-next"]"#]],
        );
        check("[PATCH", expect![[r#"base="[PATCH" v1"#]]);
    }

    #[test]
    fn cover_letter_facts() {
        let body = "Intro.\n\nChanges in v2:\n- patch 2: keep the pass (Tom)\n- drop x\n\nOther text\nchange-id: 20240311-modpost-hash-7d1c2a\n";
        assert_eq!(
            super::change_id(body).as_deref(),
            Some("20240311-modpost-hash-7d1c2a")
        );
        expect![[r#"
            [
                "Changes in v2:",
                "  - patch 2: keep the pass (Tom)",
                "  - drop x",
            ]
        "#]]
        .assert_debug_eq(&super::changes(body));
    }
}
