use expect_test::{Expect, expect};

use super::*;

/// Parses `raw` and renders the fields users see, one per line.
#[track_caller]
fn check(raw: &str, expected: Expect) {
    check_bytes(raw.as_bytes(), expected)
}

#[track_caller]
fn check_bytes(raw: &[u8], expected: Expect) {
    let actual = match parse(raw) {
        ParseOutcome::NotAMessage(w) => format!("not a message: {}\n", w.detail),
        ParseOutcome::Message(m, warnings) => {
            let mut out = format!(
                "id: {}{}\nfrom: {:?} <{}>\n",
                m.message_id,
                if m.synthetic_id { " (synthetic)" } else { "" },
                m.from.name,
                m.from.email
            );
            if let Some(a) = &m.patch_author {
                out += &format!("patch author: {:?} <{}>\n", a.name, a.email);
            }
            if !m.in_reply_to.is_empty() {
                out += &format!("in-reply-to: {:?}\n", m.in_reply_to);
            }
            if !m.references.is_empty() {
                out += &format!("references: {:?}\n", m.references);
            }
            for p in m.to.iter().chain(&m.cc) {
                out += &format!("rcpt: {:?} <{}>\n", p.name, p.email);
            }
            out += &format!(
                "date: {}\nsubject: {:?}\n",
                m.date.map_or("unknown".into(), |d| d.to_rfc3339()),
                m.subject
            );
            if let Some(l) = &m.list_id {
                out += &format!("list: {l}\n");
            }
            out += &format!(
                "body{}: {:?}\n",
                if m.html_only { " (from html)" } else { "" },
                m.body
            );
            for p in &m.patches {
                out += &format!("patch {:?}: {} bytes\n", p.name, p.text.len());
            }
            for w in warnings {
                out += &format!("warning {:?}: {}\n", w.kind, w.detail);
            }
            out
        }
    };
    expected.assert_eq(&actual);
}

#[test]
fn plain_reply() {
    check(
        "From: \"Dan W.\" <Dan@Example.ORG>\nTo: a@example.org, \"B\" <b@example.org>\nCc: list@vger.example.org\nSubject: Re: [PATCH 09/10] mm/hmm:\n  allow mirroring\nDate: Tue, 12 Mar 2019 12:30:52 -0700\nMessage-ID: <x1@example.org>\nIn-Reply-To: <x0@example.org>\nReferences: <r1@example.org>\n <x0@example.org>\nList-Id: Linux MM <linux-mm.kvack.org>\n\nI fail to see why.\n",
        expect![[r#"
            id: x1@example.org
            from: "Dan W." <dan@example.org>
            in-reply-to: ["x0@example.org"]
            references: ["r1@example.org", "x0@example.org"]
            rcpt: "" <a@example.org>
            rcpt: "B" <b@example.org>
            rcpt: "" <list@vger.example.org>
            date: 2019-03-12T12:30:52-07:00
            subject: "Re: [PATCH 09/10] mm/hmm: allow mirroring"
            list: linux-mm.kvack.org
            body: "I fail to see why.\n"
        "#]],
    );
}

#[test]
fn missing_id_and_date() {
    check(
        "From: a@example.org\nSubject: x\n\nbody\n",
        expect![[r#"
        id: b2f44fd078af071ee3d714f0bba2e80e@synthetic.whosaid.invalid (synthetic)
        from: "" <a@example.org>
        date: unknown
        subject: "x"
        body: "body\n"
        warning NoMessageId: no Message-ID header
        warning BadDate: no Date header; date unknown
    "#]],
    );
}

#[test]
fn unusable_message_ids_say_why() {
    check(
        "From: a@example.org\nMessage-ID:\nDate: Mon, 3 Jan 2005 10:00:00 +0000\n\nbody\n",
        expect![[r#"
            id: a37c28ddd3eaf67136ba8308b03d717a@synthetic.whosaid.invalid (synthetic)
            from: "" <a@example.org>
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body: "body\n"
            warning NoMessageId: an empty Message-ID header
        "#]],
    );
    check(
        "From: a@example.org\nMessage-ID: <a\u{0}b@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\n\nbody\n",
        expect![[r#"
            id: d497eaf4e94c2d529bfbce92e0790c6b@synthetic.whosaid.invalid (synthetic)
            from: "" <a@example.org>
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body: "body\n"
            warning NoMessageId: Message-ID "<a\0b@x>" (7 bytes) holds no usable id: control characters, or longer than 2048 bytes
        "#]],
    );
}

#[test]
fn date_falls_back_to_received() {
    check(
        "Received: from x by y; Tue, 12 Mar 2019 10:00:00 +0100\nFrom: a@example.org\nDate: 12 Mar 2019 09:00 XYZT\nMessage-ID: <d@x>\n\nb\n",
        expect![[r#"
            id: d@x
            from: "" <a@example.org>
            date: 2019-03-12T10:00:00+01:00
            subject: ""
            body: "b\n"
            warning DateFromReceived: unknown time zone "XYZT" in "12 Mar 2019 09:00 XYZT"; used the Received date
        "#]],
    );
}

#[test]
fn latin1_headers_and_pipermail_from() {
    check_bytes(
        b"From: jjl at pobox.com (John J. L\xe9e)\nSubject: Caf\xe9\nMessage-ID: <p@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\n\nb\n",
        expect![[r#"
            id: p@x
            from: "John J. Lée" <jjl@pobox.com>
            date: 2005-01-03T10:00:00+00:00
            subject: "Café"
            body: "b\n"
        "#]],
    );
}

#[test]
fn gnus_in_reply_to_and_bogus_one() {
    check(
        "From: a@x\nMessage-ID: <g@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\nIn-Reply-To: <87a@gnus> (Joe's message of \"Mon, 3 Jan 2005\")\n\nb\n",
        expect![[r#"
            id: g@x
            from: "" <a@x>
            in-reply-to: ["87a@gnus"]
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body: "b\n"
        "#]],
    );
    check(
        "From: a@x\nMessage-ID: <g@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\nIn-Reply-To: <yes>\n\nb\n",
        expect![[r#"
            id: g@x
            from: "" <a@x>
            in-reply-to: ["yes"]
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body: "b\n"
            warning BadReference: In-Reply-To "<yes>" holds no Message-ID
        "#]],
    );
}

#[test]
fn quoted_printable_flowed_crlf() {
    check(
        "From: a@x\r\nMessage-ID: <q@x>\r\nDate: Mon, 3 Jan 2005 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nThis line =\r\nflows on and =C3=A9=20\r\ncontinues.\r\n> quoted=20\r\n> too\r\n",
        expect![[r#"
            id: q@x
            from: "" <a@x>
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body: "This line flows on and é continues.\n> quoted too\n"
        "#]],
    );
}

#[test]
fn html_only_becomes_text() {
    check(
        "From: a@x\nMessage-ID: <h@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\nContent-Type: text/html\n\n<p>Hello <b>world</b></p><p>&lt;script&gt;</p>\n",
        expect![[r#"
            id: h@x
            from: "" <a@x>
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body (from html): "Hello world\n<script>\n"
        "#]],
    );
}

#[test]
fn git_send_email_on_behalf_and_attached_patch() {
    check(
        "From: Sender <s@x>\nMessage-ID: <pa@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\nSubject: [PATCH] x\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nFrom: Real Author <ra@x>\n\nFix it.\n--b\nContent-Type: text/x-patch; name=\"fix.patch\"\nContent-Disposition: attachment; filename=\"fix.patch\"\n\ndiff --git a/f b/f\n--- a/f\n+++ b/f\n@@ -1 +1 @@\n-a\n+b\n--b--\n",
        expect![[r#"
            id: pa@x
            from: "Sender" <s@x>
            patch author: "Real Author" <ra@x>
            date: 2005-01-03T10:00:00+00:00
            subject: "[PATCH] x"
            body: "From: Real Author <ra@x>\n\nFix it."
            patch "fix.patch": 52 bytes
        "#]],
    );
}

#[test]
fn bad_input() {
    check(
        "",
        expect![[r#"
        not a message: empty message
    "#]],
    );
    check_bytes(
        b"\x00\x01\x02garbage\n\n",
        expect![[r#"
        not a message: 12 bytes without a single header line
    "#]],
    );
    check(
        "From: a@x\nMessage-ID: <t@x>\nSubject: cut off",
        expect![[r#"
        id: t@x
        from: "" <a@x>
        date: unknown
        subject: "cut off"
        body: ""
        warning TruncatedHeaders: header block ends at byte 44 without a blank line
        warning BadDate: no Date header; date unknown
    "#]],
    );
    let long = format!(
        "From: a@x\nX-Long: {}\nMessage-ID: <l@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\n\nb\n",
        "y".repeat(1 << 20)
    );
    match parse(long.as_bytes()) {
        ParseOutcome::Message(m, w) => {
            assert_eq!(m.message_id, "l@x");
            assert_eq!(w[0].kind, WarningKind::LongHeaderLine);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn dmarc_rewritten_from_is_undone() {
    check(
        "From: Jane Doe via linux-foo <linux-foo@lists.example.org>\nReply-To: Jane Doe <jane@example.com>, linux-foo@lists.example.org\nMessage-ID: <d1@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\n\nb\n",
        expect![[r#"
            id: d1@x
            from: "Jane Doe" <jane@example.com>
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body: "b\n"
        "#]],
    );
    check(
        "From: \"Jane Doe via linux-foo\" <linux-foo@lists.example.org>\nX-Original-From: Jane Doe <jane@example.com>\nMessage-ID: <d2@x>\nDate: Mon, 3 Jan 2005 10:00:00 +0000\n\nb\n",
        expect![[r#"
            id: d2@x
            from: "Jane Doe" <jane@example.com>
            date: 2005-01-03T10:00:00+00:00
            subject: ""
            body: "b\n"
        "#]],
    );
}
