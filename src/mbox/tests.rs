use expect_test::{Expect, expect};

use super::*;

/// Splits `input` with several chunk sizes (so every boundary case is hit)
/// and renders the items one per line.
#[track_caller]
fn check(input: &str, expected: Expect) {
    let render = |chunk: usize| {
        let config = SplitConfig {
            chunk_bytes: chunk,
            max_message_bytes: 1 << 20,
        };
        let mut out = String::new();
        for item in MboxReader::with_config(input.as_bytes(), config) {
            match item.unwrap() {
                Item::Message(m) => {
                    out += &format!("@{} {:?}\n", m.offset, String::from_utf8_lossy(&m.bytes))
                }
                Item::Skipped {
                    offset,
                    len,
                    reason,
                } => out += &format!("@{offset} skipped {len} bytes: {reason:?}\n"),
            }
        }
        out
    };
    let actual = render(1 << 20);
    for chunk in [1, 2, 3, 7, 64] {
        assert_eq!(render(chunk), actual, "chunk size {chunk} disagrees");
    }
    expected.assert_eq(&actual);
}

const SEP: &str = "From mboxrd@z Thu Jan  1 00:00:00 1970\n";

#[test]
fn mboxrd_two_messages() {
    check(
        &format!("{SEP}Subject: a\n\nbody a\n\n{SEP}Subject: b\n\nbody b\n\n"),
        expect![[r#"
            @0 "Subject: a\n\nbody a\n"
            @59 "Subject: b\n\nbody b\n"
        "#]],
    );
}

#[test]
fn mboxrd_unescapes_one_level() {
    check(
        &format!("{SEP}Subject: a\n\n>From here\n>>From there\n> >From not\nx >From no\n\n"),
        expect![[r#"
            @0 "Subject: a\n\nFrom here\n>From there\n> >From not\nx >From no\n"
        "#]],
    );
}

#[test]
fn escaped_header_line_is_unescaped() {
    check(
        &format!("{SEP}>From x\nSubject: a\n\nb\n"),
        expect![[r#"
        @0 "From x\nSubject: a\n\nb\n"
    "#]],
    );
}

#[test]
fn from_in_body_without_blank_line_is_not_a_separator() {
    check(
        &format!("{SEP}Subject: a\n\nline\nFrom me Thu Jan  1 00:00:00 1970\nmore\n"),
        expect![[r#"
            @0 "Subject: a\n\nline\nFrom me Thu Jan  1 00:00:00 1970\nmore\n"
        "#]],
    );
}

#[test]
fn malformed_from_line_after_blank_is_body_text() {
    check(
        &format!("{SEP}Subject: a\n\nhi\n\nFrom here on, we agree.\n"),
        expect![[r#"
        @0 "Subject: a\n\nhi\n\nFrom here on, we agree.\n"
    "#]],
    );
}

#[test]
fn last_message_without_trailing_newline() {
    check(
        &format!("{SEP}Subject: a\n\nx\n\n{SEP}Subject: b\n\nno newline"),
        expect![[r#"
        @0 "Subject: a\n\nx\n"
        @54 "Subject: b\n\nno newline"
    "#]],
    );
}

#[test]
fn first_message_without_from_line() {
    check(
        &format!("Subject: a\n\nx\n\n{SEP}Subject: b\n\ny\n"),
        expect![[r#"
        @0 "Subject: a\n\nx\n"
        @15 "Subject: b\n\ny\n"
    "#]],
    );
}

#[test]
fn crlf_file() {
    let sep = SEP.replace('\n', "\r\n");
    check(
        &format!("{sep}Subject: a\r\n\r\nx\r\n\r\n{sep}Subject: b\r\n\r\n>From y\r\n\r\n"),
        expect![[r#"
            @0 "Subject: a\r\n\r\nx\r\n"
            @59 "Subject: b\r\n\r\nFrom y\r\n"
        "#]],
    );
}

#[test]
fn pipermail_from_line() {
    check(
        "From jjl at pobox.com  Mon Jan  3 10:00:00 2005\nSubject: a\n\nx\n\nFrom a at b.org  Tue Jan  4 11:00:00 2005\nSubject: b\n\ny\n",
        expect![[r#"
            @0 "Subject: a\n\nx\n"
            @63 "Subject: b\n\ny\n"
        "#]],
    );
}

#[test]
fn mboxcl2_content_length_keeps_unescaped_from_lines() {
    let body = "line\n\nFrom me Thu Jan  1 00:00:00 1970\n>From kept\n";
    check(
        &format!(
            "{SEP}Content-Length: {}\nSubject: a\n\n{body}\n{SEP}Subject: b\n\n>From also kept\n",
            body.len()
        ),
        expect![[r#"
            @0 "Content-Length: 50\nSubject: a\n\nline\n\nFrom me Thu Jan  1 00:00:00 1970\n>From kept\n"
            @121 "Subject: b\n\n>From also kept\n"
        "#]],
    );
}

#[test]
fn wrong_content_length_is_ignored() {
    check(
        &format!("{SEP}Content-Length: 3\nSubject: a\n\nbody here\n\n{SEP}Subject: b\n\nc\n"),
        expect![[r#"
        @0 "Content-Length: 3\nSubject: a\n\nbody here\n"
        @80 "Subject: b\n\nc\n"
    "#]],
    );
}

#[test]
fn empty_and_whitespace_input() {
    check("", expect![[""]]);
    check("\n\n", expect![[""]]);
}

#[test]
fn not_an_mbox() {
    check(
        "\u{1}\u{2}binary junk\n",
        expect![[r#"
        @0 skipped 14 bytes: NotMbox
    "#]],
    );
}

#[test]
fn junk_before_first_separator_keeps_later_messages() {
    check(
        &format!("%PDF-1.4 junk\n\n{SEP}Subject: b\n\ny\n"),
        expect![[r#"
        @0 skipped 15 bytes: NotMbox
        @15 "Subject: b\n\ny\n"
    "#]],
    );
}

#[test]
fn oversized_message_is_skipped_and_reported() {
    let big = "x".repeat(100) + "\n";
    let input = format!(
        "{SEP}Subject: a\n\nsmall\n\n{SEP}Subject: big\n\n{}\n{SEP}Subject: c\n\nz\n",
        big.repeat(50)
    );
    let config = SplitConfig {
        chunk_bytes: 512,
        max_message_bytes: 2000,
    };
    let items: Vec<Item> = MboxReader::with_config(input.as_bytes(), config)
        .map(Result::unwrap)
        .collect();
    assert_eq!(items.len(), 3);
    assert!(matches!(&items[0], Item::Message(m) if m.bytes == b"Subject: a\n\nsmall\n"));
    let big_offset = (SEP.len() + "Subject: a\n\nsmall\n\n".len()) as u64;
    match &items[1] {
        Item::Skipped {
            offset,
            len,
            reason: SkipReason::TooLarge,
        } => {
            assert_eq!(*offset, big_offset);
            assert_eq!(
                *len,
                (SEP.len() + "Subject: big\n\n".len() + 50 * 101 + 1) as u64
            );
        }
        other => panic!("expected a skipped message, got {other:?}"),
    }
    assert!(matches!(&items[2], Item::Message(m) if m.bytes == b"Subject: c\n\nz\n"));
}

#[test]
fn escape_round_trips() {
    let original = b"Subject: x\n\nFrom a\n>From b\nx From c\n";
    let escaped = escape_mboxrd(original);
    assert_eq!(escaped, b"Subject: x\n\n>From a\n>>From b\nx From c\n");
    assert_eq!(unescape(&escaped), original);
}

/// An endless-looking mbox: `count` copies of one message, produced on the fly.
struct Repeat {
    message: Vec<u8>,
    count: usize,
    pos: usize,
}

impl std::io::Read for Repeat {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.count == 0 {
            return Ok(0);
        }
        let n = buf.len().min(self.message.len() - self.pos);
        buf[..n].copy_from_slice(&self.message[self.pos..self.pos + n]);
        self.pos += n;
        if self.pos == self.message.len() {
            self.pos = 0;
            self.count -= 1;
        }
        Ok(n)
    }
}

#[test]
fn memory_is_bounded_by_chunk_and_message_not_file() {
    let message =
        format!("{SEP}Subject: x\n\n{}\n", "line of body text\n".repeat(100)).into_bytes();
    let count = 50_000; // about 90 MB in all
    let config = SplitConfig {
        chunk_bytes: 1 << 16,
        max_message_bytes: 1 << 20,
    };
    let mut reader = MboxReader::with_config(
        Repeat {
            message: message.clone(),
            count,
            pos: 0,
        },
        config,
    );
    let (mut seen, mut peak) = (0, 0);
    while let Some(item) = reader.next() {
        assert!(matches!(item.unwrap(), Item::Message(_)));
        seen += 1;
        peak = peak.max(reader.buffered());
    }
    assert_eq!(seen, count);
    assert!(
        peak <= 2 * (1 << 16) + message.len(),
        "held {peak} bytes at once"
    );
}
