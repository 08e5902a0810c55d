//! Hostile input (issue 8): each case from the list a public archive must
//! survive, imported between two good messages. For every case: the import
//! neither panics nor hangs and its memory stays bounded, the good messages
//! on both sides are stored, a warning names the message where there is
//! something to say, and every page that shows it answers and is inert.
//!
//! The cases are data: `CASES` gives each one's name, the Message-ID its
//! page is reached by, and the warning expected; `hostile_message` builds
//! its bytes.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support;
use crate::web::get;

const SEP: &str = "From mboxrd@z Thu Jan  1 00:00:00 1970\n";

/// Scripts and handlers that must never reach a page as markup.
const PAYLOADS: [&str; 4] = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "\"><svg onload=alert(3)>",
    "javascript:alert(4)",
];

/// `name | Message-ID its pages are reached by (empty: none of its own) |
/// what the import's warnings say about it (empty: nothing required)`.
const CASES: &str = "
header-10mb           | header-10mb@x       | a header line of 10485761 bytes
header-block-10mb     | header-block-10mb@x |
recipients-100k       | recipients@x        |
mime-10k-parts        | mime-parts@x        |
mime-nested-5k        | mime-nested@x       |
content-length-1gb    | content-length@x    |
base64-8mb-text       | base64-text@x       |
base64-garbage        | base64-garbage@x    |
qp-soft-breaks        | qp-soft@x           |
qp-escapes            | qp-escapes@x        |
utf8-invalid-headers  | utf8-headers@x      |
utf8-invalid-msgid    | \u{ff}\u{fe}\u{fd}@x |
bidi-names            | bidi@x              |
refs-cycle-a          | cycle-a@x           |
refs-cycle-b          | cycle-b@x           |
refs-self             | self@x              |
msgid-slash           | a/b/c@x             |
msgid-dotdot          | ../../etc/passwd@x  |
msgid-percent         | 100%25%2F@x         |
msgid-nul             |                     | Message-ID \"<nul\\0byte@x>\" (12 bytes) holds no usable id
msgid-newline         | split-id@x          |
msgid-10kb            |                     | (10244 bytes) holds no usable id
xss-everywhere        | xss-all@x           |
";

fn good(id: &str) -> String {
    format!(
        "{SEP}From: Good Sender <good@example.org>\nMessage-ID: <{id}>\nDate: Mon, 3 Jan 2022 10:00:00 +0000\nSubject: good {id}\n\nNothing to see.\n\n"
    )
}

/// Headers and body around the hostile part.
fn message(id: &str, headers: &str, body: &str) -> Vec<u8> {
    let mut m = SEP.to_string();
    for (name, default) in [
        ("From", "Someone <someone@example.org>".to_string()),
        ("Date", "Mon, 3 Jan 2022 11:00:00 +0000".into()),
        ("Subject", format!("hostile {id}")),
    ] {
        if !headers.starts_with(&format!("{name}:")) && !headers.contains(&format!("\n{name}:")) {
            writeln!(m, "{name}: {default}").unwrap();
        }
    }
    if !id.is_empty() {
        writeln!(m, "Message-ID: <{id}>").unwrap();
    }
    m.push_str(headers);
    m.push('\n');
    m.push_str(body);
    m.push_str("\n\n");
    m.into_bytes()
}

fn hostile_message(name: &str) -> Vec<u8> {
    let xss = PAYLOADS.join(" ");
    // The same inside a well-formed quoted string, so it reaches the name.
    let quoted = xss.replace('"', "\\\"");
    match name {
        "header-10mb" => message(
            "header-10mb@x",
            &format!("X-Junk: {}\n", "x".repeat((10 << 20) - "X-Junk: ".len())),
            "body",
        ),
        "header-block-10mb" => {
            let mut h = String::new();
            for i in 0..100_000 {
                writeln!(h, "X-Line-{i}: {}", "y".repeat(90)).unwrap();
            }
            message("header-block-10mb@x", &h, "body")
        }
        "recipients-100k" => {
            let mut to = String::from("To: ");
            for i in 0..100_000 {
                write!(to, "User {i} <user{i}@example.org>,\n ").unwrap();
            }
            to.push_str("last@example.org\n");
            message(
                "recipients@x",
                &to,
                "Acked-by: Some One <someone@example.org>",
            )
        }
        "mime-10k-parts" => {
            let mut body = String::new();
            for i in 0..10_000 {
                write!(body, "--b\nContent-Type: text/plain\n\npart {i}\n").unwrap();
            }
            body.push_str("--b--");
            message(
                "mime-parts@x",
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n",
                &body,
            )
        }
        "mime-nested-5k" => {
            let depth = 5_000;
            let mut body = String::new();
            for i in 1..depth {
                write!(
                    body,
                    "--n{}\nContent-Type: multipart/mixed; boundary=n{i}\n\n",
                    i - 1
                )
                .unwrap();
            }
            write!(
                body,
                "--n{}\nContent-Type: text/plain\n\ndeep inside\n",
                depth - 1
            )
            .unwrap();
            for i in (0..depth).rev() {
                writeln!(body, "--n{i}--").unwrap();
            }
            message(
                "mime-nested@x",
                "MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=n0\n",
                &body,
            )
        }
        "content-length-1gb" => message(
            "content-length@x",
            "Content-Length: 1000000000\n",
            "A short body that claims to be a gigabyte.",
        ),
        "base64-8mb-text" => {
            let text = "All work and no play makes a dull boy.\n".repeat((8 << 20) / 39);
            let b64 = base64(text.as_bytes());
            let mut body = String::new();
            for chunk in b64.as_bytes().chunks(76) {
                body.push_str(std::str::from_utf8(chunk).unwrap());
                body.push('\n');
            }
            message(
                "base64-text@x",
                "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n",
                &body,
            )
        }
        "base64-garbage" => message(
            "base64-garbage@x",
            "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n",
            &"SGVsbG8=!!@@##\u{0}===%%%\nQUJD\n====\n".repeat(50_000),
        ),
        "qp-soft-breaks" => message(
            "qp-soft@x",
            "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n",
            &"=\n".repeat(1 << 20),
        ),
        "qp-escapes" => message(
            "qp-escapes@x",
            "MIME-Version: 1.0\nContent-Type: text/plain\nContent-Transfer-Encoding: quoted-printable\n",
            &"=41=4=ZZ=\r=0".repeat(300_000),
        ),
        "utf8-invalid-headers" => {
            let mut m = message(
                "utf8-headers@x",
                "",
                "Reviewed-by: R\u{fffd}viewer <rev@example.org>",
            );
            let bad = b"\xff\xfe\xc3(\xa0\xe2\x28\xa1";
            let mut headers = Vec::new();
            for h in [
                "From: Bad",
                "To: list",
                "Cc: x",
                "Subject: s",
                "Date: Mon",
                "List-Id: l",
                "In-Reply-To: <r",
                "References: <r",
                "X-Other: o",
            ] {
                headers.extend_from_slice(h.as_bytes());
                headers.extend_from_slice(bad);
                headers.extend_from_slice(if h.starts_with("In-") || h.starts_with("Ref") {
                    b"@x>\n"
                } else {
                    b" <bad@example.org>\n"
                });
            }
            // Before the message's own headers, so they win where repeated.
            let at = m.iter().position(|&b| b == b'\n').unwrap() + 1;
            m.splice(at..at, headers);
            m
        }
        "utf8-invalid-msgid" => {
            let mut m = message("", "", "an id of invalid UTF-8");
            let at = m.iter().position(|&b| b == b'\n').unwrap() + 1;
            m.splice(at..at, b"Message-ID: <\xff\xfe\xfd@x>\n".iter().copied());
            m
        }
        "bidi-names" => message(
            "bidi@x",
            "From: \"\u{202e}sdlavroT suniL\u{202c} Li\u{200b}nus\u{2066}\" <mallory@example.org>\n",
            "Acked-by: Li\u{200b}nus \u{202e}Torvalds <mallory@example.org>\nNAKed-by: \u{2067}Eve\u{2069} <eve@example.org>",
        ),
        "refs-cycle-a" => message(
            "cycle-a@x",
            "In-Reply-To: <cycle-b@x>\nReferences: <cycle-b@x>\n",
            "A replies to B",
        ),
        "refs-cycle-b" => message(
            "cycle-b@x",
            "In-Reply-To: <cycle-a@x>\nReferences: <cycle-a@x> <cycle-b@x> <cycle-a@x>\n",
            "B replies to A",
        ),
        "refs-self" => message(
            "self@x",
            "In-Reply-To: <self@x>\nReferences: <self@x> <self@x>\n",
            "I reply to myself",
        ),
        "msgid-slash" => message("a/b/c@x", "", "slashes"),
        "msgid-dotdot" => message("../../etc/passwd@x", "", "dots"),
        "msgid-percent" => message("100%25%2F@x", "", "percent"),
        "msgid-nul" => message("nul\0byte@x", "", "a NUL in the id"),
        "msgid-newline" => {
            // A folded Message-ID: the fold is not part of the id.
            let mut m = message("", "Message-ID: <split-\n id@x>\n", "folded id");
            m.extend_from_slice(b"");
            m
        }
        "msgid-10kb" => message(&format!("{}@x", "L".repeat(10 << 10)), "", "a long id"),
        "xss-everywhere" => message(
            "xss-all@x",
            &format!(
                "From: \"{quoted}\" <evil@example.org>\nTo: \"{xss}\" <list@example.org>\nList-Id: \"{quoted}\" <xss.example.org>\nIn-Reply-To: <{xss}@x>\nSubject: [PATCH] {xss}\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=z\n"
            ),
            &format!(
                "--z\nContent-Type: text/plain\n\n{xss}\n> {xss}\nSee {} and <{}>.\n\nAcked-by: {xss} <{}>\nReviewed-by: Ev <ev@example.org>\n\ndiff --git a/{xss} b/{xss}\n--- a/{xss}\n+++ b/{xss}\n@@ -1 +1 @@ {xss}\n-{xss}\n+{xss}\n--z\nContent-Type: text/x-patch; name=\"{xss}.patch\"\nContent-Disposition: attachment; filename=\"{xss}.patch\"\n\ndiff --git a/x b/x\n--z--",
                PAYLOADS[3], PAYLOADS[3], PAYLOADS[0]
            ),
        ),
        other => panic!("no case named {other}"),
    }
}

fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len() / 3 * 4 + 4);
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().fold(0u32, |n, &b| n << 8 | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                ABC[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

struct Case {
    name: String,
    id: String,
    warning: String,
}

fn cases() -> Vec<Case> {
    CASES
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let c: Vec<&str> = l.split('|').map(str::trim).collect();
            Case {
                name: c[0].into(),
                id: c[1].into(),
                warning: c[2].into(),
            }
        })
        .collect()
}

/// Runs `whosaid import -v` on `mbox`; fails on a hang (no time limit is
/// asserted: a watchdog kills only a run that is clearly stuck). Gives the
/// output and the peak resident memory in MiB, as wait4 reports it.
fn import_watched(data: &Path, mbox: &Path) -> (i32, String, u64) {
    let out_path = data.with_extension("out");
    let out = std::fs::File::create(&out_path).unwrap();
    // Reaped below with wait4 (for its rusage), not with Child::wait.
    #[allow(clippy::zombie_processes)]
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_whosaid"))
        .arg("--data")
        .arg(data)
        .args(["import", "-v"])
        .arg(mbox)
        .stdout(out.try_clone().unwrap())
        .stderr(out)
        .spawn()
        .unwrap();
    let pid = child.id() as libc::pid_t;
    let start = Instant::now();
    let (status, rusage) = loop {
        let mut status = 0;
        let mut rusage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: a child of ours, reaped once, with valid out-pointers.
        let r = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut rusage) };
        if r == pid {
            break (status, rusage);
        }
        assert!(r == 0, "wait4: {}", std::io::Error::last_os_error());
        if start.elapsed() > Duration::from_secs(600) {
            unsafe { libc::kill(pid, libc::SIGKILL) };
            panic!("import of {} hung", mbox.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(
        libc::WIFEXITED(status),
        "import died: {}",
        std::fs::read_to_string(&out_path).unwrap_or_default()
    );
    let text = String::from_utf8_lossy(&std::fs::read(&out_path).unwrap()).to_string();
    (
        libc::WEXITSTATUS(status),
        text,
        rusage.ru_maxrss as u64 / 1024,
    )
}

/// A page of the message `id`, reached as users reach it: its permalink,
/// redirected to its page.
fn page_of(app: &axum::Router, id: &str, suffix: &str) -> (u16, String, String) {
    let r = get(app, &whosaid::links::permalink(id));
    if r.status != 308 {
        return (r.status, String::new(), String::new());
    }
    let uri = format!("{}{suffix}", r.location);
    let got = get(app, &uri);
    let body = String::from_utf8_lossy(&got.body).to_string();
    (got.status, uri, body)
}

/// What must not appear in a page: any payload as markup, and the
/// invisible characters that reorder or hide a name.
fn unsafe_in(body: &str) -> Vec<String> {
    let mut found = Vec::new();
    for p in &PAYLOADS[..3] {
        if body.contains(p) {
            found.push(format!("unescaped {p:?}"));
        }
    }
    if body.contains("href=\"javascript:") {
        found.push("a javascript: link".into());
    }
    for c in ['\u{202e}', '\u{2066}', '\u{2067}', '\u{200b}'] {
        if body.contains(c) {
            found.push(format!("invisible U+{:04X} shown", c as u32));
        }
    }
    found
}

#[test]
fn hostile_messages_are_stored_reported_and_rendered_inert() {
    let dir = tempfile::tempdir().unwrap();
    let cases = cases();
    let mut mbox = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        mbox.extend_from_slice(good(&format!("before-{i}@x")).as_bytes());
        mbox.extend_from_slice(&hostile_message(&case.name));
    }
    mbox.extend_from_slice(good("last@x").as_bytes());
    let input = dir.path().join("hostile.mbox");
    std::fs::write(&input, &mbox).unwrap();
    let data = dir.path().join("data");
    let (code, output, peak_mib) = import_watched(&data, &input);
    eprintln!(
        "{} MB of hostile input imported; peak RSS {peak_mib} MiB",
        mbox.len() >> 20
    );
    assert_eq!(code, 0, "{output}");
    assert!(!output.contains("panicked"), "{output}");
    // The largest case is 10 MB; the importer's own footprint is ~100 MiB.
    assert!(
        peak_mib < 768,
        "import of {} MB took {peak_mib} MiB",
        mbox.len() >> 20
    );

    let mut failures = Vec::new();
    let listing = support::listing(&data);
    let stored = |id: &str| listing.iter().any(|l| l.starts_with(&format!("{id} ")));
    for (i, case) in cases.iter().enumerate() {
        let id = format!("before-{i}@x");
        if !stored(&id) {
            failures.push(format!("{id}, before {}, not stored", case.name));
        }
    }
    if !stored("last@x") {
        failures.push("the message after the last case is not stored".into());
    }
    // One stored message per case: nothing swallowed, nothing split off.
    if listing.len() != 2 * cases.len() + 1 {
        failures.push(format!(
            "{} messages stored, want {}:\n{}",
            listing.len(),
            2 * cases.len() + 1,
            listing.join("\n")
        ));
    }

    let app = crate::web::app(&data);
    for case in &cases {
        if !case.warning.is_empty() {
            let named = output.lines().any(|l| {
                l.contains(&case.warning)
                    && (case.id.is_empty() || l.contains(&format!("<{}>", case.id)))
            });
            if !named {
                failures.push(format!(
                    "{}: no warning saying {:?} names it",
                    case.name, case.warning
                ));
            }
        }
        if case.id.is_empty() {
            continue;
        }
        if !stored(&case.id) {
            failures.push(format!("{}: <{}> not stored", case.name, case.id));
            continue;
        }
        for suffix in ["", "T/", "t/", "raw", "t.atom"] {
            let (status, uri, body) = page_of(&app, &case.id, suffix);
            if status != 200 {
                failures.push(format!("{}: {uri} answers {status}", case.name));
                continue;
            }
            if body.len() > 32 << 20 {
                failures.push(format!("{}: {uri} is {} bytes", case.name, body.len()));
            }
            if suffix != "raw" {
                for f in unsafe_in(&body) {
                    failures.push(format!("{}: {uri}: {f}", case.name));
                }
            }
        }
    }
    // Search, list and people pages show the same fields.
    for uri in [
        "/?q=alert",
        "/?q=s:hostile",
        "/hostile/",
        "/xss/",
        "/who/evil@example.org",
        "/api/who?q=s:hostile",
        "/",
    ] {
        let got = get(&app, uri);
        let body = String::from_utf8_lossy(&got.body);
        if got.status != 200 {
            failures.push(format!("{uri} answers {}", got.status));
        }
        for f in unsafe_in(&body) {
            failures.push(format!("{uri}: {f}"));
        }
    }
    // The bidi case still names its people, without the controls.
    let (_, _, bidi) = page_of(&app, "bidi@x", "T/");
    if !bidi.contains("Linus") || !bidi.contains("Eve") {
        failures.push("bidi@x: the names are gone from its thread page".into());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// A reply chain 100,000 messages deep: threading, the thread page and the
/// API neither recurse nor blow up.
#[test]
fn a_reply_chain_100000_deep_imports_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let depth = 100_000;
    let mut mbox = String::with_capacity(depth * 220);
    for i in 0..depth {
        write!(
            mbox,
            "{SEP}From: P{} <p{}@example.org>\nMessage-ID: <deep{i}@x>\nDate: Mon, 3 Jan 2022 10:{:02}:00 +0000\nSubject: Re: deep\n",
            i % 7,
            i % 7,
            i % 60
        )
        .unwrap();
        if i > 0 {
            write!(
                mbox,
                "In-Reply-To: <deep{}@x>\nReferences: <deep0@x> <deep{}@x>\n",
                i - 1,
                i - 1
            )
            .unwrap();
        }
        mbox.push_str("\nAgreed.\n\n");
    }
    let input = dir.path().join("deep.mbox");
    std::fs::write(&input, &mbox).unwrap();
    let data = dir.path().join("data");
    let (code, output, peak_mib) = import_watched(&data, &input);
    assert_eq!(code, 0, "{output}");
    eprintln!("100,000-deep chain: peak RSS {peak_mib} MiB");
    assert!(peak_mib < 768, "{peak_mib} MiB");
    let app = crate::web::app(&data);
    for suffix in ["", "T/", "t/"] {
        let (status, uri, body) = page_of(&app, "deep99999@x", suffix);
        assert_eq!(status, 200, "{uri}");
        assert!(body.len() < 32 << 20, "{uri}: {} bytes", body.len());
        // The page says it shows part of the thread, around the message.
        assert!(body.contains("This thread has 100000 messages"), "{uri}");
        assert!(body.contains("deep99999@x"), "{uri}");
    }
    let api = get(&app, "/api/thread/deep0@x");
    assert_eq!(api.status, 200);
}

/// Text output for a terminal shows what a message could use against it:
/// escape sequences in a subject or a name cannot retitle the window,
/// clear the screen or reorder the line.
#[test]
fn terminal_output_makes_control_characters_visible() {
    let dir = tempfile::tempdir().unwrap();
    let mut mbox = message(
        "term@x",
        "From: \"Ev\u{202e}il\" <ev@example.org>\nSubject: [PATCH] evil \u{1b}]0;pwned\u{7} \u{1b}[2J\u{9b}31m\n",
        "Acked-by: Ev <ev@example.org>",
    );
    mbox.extend_from_slice(good("after-term@x").as_bytes());
    let input = dir.path().join("term.mbox");
    std::fs::write(&input, &mbox).unwrap();
    let data = dir.path().join("data");
    let out = support::whosaid(&data, &["import", input.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out));
    for args in [
        &["thread", "term@x"][..],
        &["search", "s:evil"],
        &["who", "s:evil"],
        &["stats"],
    ] {
        let out = support::whosaid(&data, args);
        let shown = String::from_utf8_lossy(&out.stdout);
        assert!(
            !shown.contains(['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}']),
            "{args:?} printed a control character:\n{shown:?}"
        );
        if args[0] != "stats" {
            assert!(
                shown.contains("evil ^[]0;pwned^G ^[[2J[U+009B]31m"),
                "{args:?}:\n{shown}"
            );
        }
    }
}
