//! The sample archive, parsed: a golden file of what whosaid reads from every
//! message (people, dates, segments, trailers). Regenerate with
//! `UPDATE_EXPECT=1 cargo test` and review the diff.

use std::fmt::Write;
use std::path::Path;

use whosaid::mbox::{Item, MboxReader};
use whosaid::message::{self, ParseOutcome};
use whosaid::quote::{self, Kind};

#[track_caller]
fn check(file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("sample-mboxes")
        .join(file);
    let mut out = String::new();
    for item in MboxReader::new(std::fs::File::open(&path).unwrap()) {
        let Item::Message(raw) = item.unwrap() else {
            panic!("{file}: skipped bytes")
        };
        let ParseOutcome::Message(m, warnings) = message::parse(&raw.bytes) else {
            panic!("{file}: not a message at {}", raw.offset)
        };
        writeln!(out, "@{} <{}>", raw.offset, m.message_id).unwrap();
        writeln!(out, "  from: {} <{}>", m.from.name, m.from.email).unwrap();
        if let Some(a) = &m.patch_author {
            writeln!(out, "  patch author: {} <{}>", a.name, a.email).unwrap();
        }
        writeln!(
            out,
            "  date: {}",
            m.date.map_or("unknown".into(), |d| d.to_rfc3339())
        )
        .unwrap();
        writeln!(out, "  subject: {}", m.subject).unwrap();
        if let Some(parent) = m.in_reply_to.first() {
            writeln!(out, "  in reply to: <{parent}>").unwrap();
        }
        let cc: Vec<String> = m.cc.iter().map(|p| p.display().to_string()).collect();
        writeln!(out, "  cc: {}", cc.join(", ")).unwrap();
        if m.html_only {
            writeln!(out, "  (converted from HTML)").unwrap();
        }
        let segments = quote::segment(&m.body);
        let kinds: Vec<String> = segments
            .iter()
            .map(|s| match s.kind {
                Kind::Original => format!("original({})", s.text(&m.body).lines().count()),
                Kind::Quoted { depth } => {
                    format!("quoted{depth}({})", s.text(&m.body).lines().count())
                }
                Kind::Attribution => "attribution".into(),
                Kind::Signature => "signature".into(),
                Kind::Diff => {
                    let d = quote::summarize_diff(s.text(&m.body));
                    format!(
                        "diff[{}; {}]",
                        d.files.join(" "),
                        d.hunk_headers.join(" | ")
                    )
                }
            })
            .collect();
        writeln!(out, "  segments: {}", kinds.join(" ")).unwrap();
        for t in whosaid::trailers::find(&m.body, &segments) {
            writeln!(out, "  trailer: {}: {}", t.name, t.value).unwrap();
        }
        for w in warnings {
            writeln!(out, "  warning: {}", w.detail).unwrap();
        }
    }
    expect_test::expect_file![format!("golden/{file}.txt")].assert_eq(&out);
}

#[test]
fn hmm_argument() {
    check("linux-mm-hmm-users.mbox");
}

#[test]
fn modpost_series() {
    check("linux-kbuild-modpost-series.mbox");
}

/// The sample archive through the command line: `thread` and `series`.
#[test]
fn thread_and_series_commands() {
    let data = tempfile::tempdir().unwrap();
    crate::support::import_samples(data.path());
    let mut golden = String::new();
    for args in [
        &["thread", "<alpine.DEB.2.21.1901301702250.8722@example.net>"][..],
        &[
            "thread",
            "https://lore.kernel.org/linux-kbuild/87h6h4lars.fsf%40example.dk/T/#u",
        ][..],
        &["series", "CAHtmlOnly0x1234abcd@mail.gmail.example.com"][..],
        &[
            "series",
            "--json",
            "20190129165428.3931-3-jgarnier@redhat.example.com",
        ][..],
        &[
            "trailers",
            "20190129165428.3931-3-jgarnier@redhat.example.com",
        ][..],
        &["who", "s:hmm"][..],
        // Four versions: the ledger of tags and objections across them.
        &["series", "20240405-kconfig-v4-0-ksato@example.jp"][..],
        &["trailers", "20240405-kconfig-v4-2-ksato@example.jp"][..],
        &["trailers", "20240405-kconfig-v4-1-ksato@example.jp"][..],
        &["trailers", "20240403-kconfig-v2-2-ksato@example.jp"][..],
        &["series", "--json", "v3-tom@berglund.example.se"][..],
    ] {
        let out = crate::support::whosaid(data.path(), args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            crate::support::text(&out)
        );
        writeln!(
            golden,
            "$ whosaid {}\n{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout)
        )
        .unwrap();
    }
    expect_test::expect_file!["golden/commands.txt"].assert_eq(&golden);
}

/// The consensus engine on the samples, as the positions JSON shows it:
/// person, role, final stance, change of mind, and every signal.
#[test]
fn positions_on_the_samples() {
    let data = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes");
    let out = crate::support::whosaid(data.path(), &["import", samples.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let mut golden = String::new();
    for root in [
        "20190129165428.3931-1-jgarnier@redhat.example.com",
        "20240311093000.1022-1-ksato@example.jp",
    ] {
        let out = crate::support::whosaid(data.path(), &["thread", "--json", root]);
        let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        writeln!(golden, "thread {root}").unwrap();
        for p in json["positions"].as_array().unwrap() {
            writeln!(
                golden,
                "  {} {} {}{}",
                p["person"]["email"].as_str().unwrap(),
                p["role"].as_str().unwrap(),
                p["stance"].as_str().unwrap(),
                if p["changed"].as_bool().unwrap() {
                    " changed"
                } else {
                    ""
                }
            )
            .unwrap();
            for s in p["signals"].as_array().unwrap() {
                writeln!(
                    golden,
                    "    {} {}{}{} {}: {}",
                    s["kind"].as_str().unwrap(),
                    s["stance"].as_str().unwrap_or("-"),
                    if s["conditional"].as_bool().unwrap() {
                        " conditional"
                    } else {
                        ""
                    },
                    if s["verified"].as_bool().unwrap() {
                        ""
                    } else {
                        " UNVERIFIED"
                    },
                    s["patch"]
                        .as_str()
                        .map_or(format!("[{}]", s["scope"].as_str().unwrap()), |p| format!(
                            "[{p}]"
                        )),
                    s["evidence"].as_str().unwrap()
                )
                .unwrap();
            }
        }
        for p in json["patches"].as_array().unwrap() {
            let trailers: Vec<String> = p["trailers"]
                .as_array()
                .unwrap()
                .iter()
                .map(|t| {
                    format!(
                        "{} {}{}{}",
                        t["name"].as_str().unwrap(),
                        t["person"]["email"].as_str().unwrap(),
                        if t["conditional"].as_bool().unwrap() {
                            " (conditional)"
                        } else {
                            ""
                        },
                        if t["verified"].as_bool().unwrap() {
                            ""
                        } else {
                            " (unverified)"
                        }
                    )
                })
                .collect();
            writeln!(
                golden,
                "  patch {}: {}",
                p["subject"].as_str().unwrap(),
                trailers.join(", ")
            )
            .unwrap();
        }
    }
    expect_test::expect_file!["golden/positions.txt"].assert_eq(&golden);
}

/// MAINTAINERS names subsystems and maintainers; a mailmap joins addresses.
#[test]
fn maintainers_and_mailmap() {
    let data = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes");
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures");
    assert_eq!(
        crate::support::whosaid(data.path(), &["import", samples.to_str().unwrap()])
            .status
            .code(),
        Some(0)
    );
    let maintainers = fixtures.join("MAINTAINERS");
    let mailmap = fixtures.join("mailmap");
    let out = crate::support::whosaid(
        data.path(),
        &[
            "thread",
            "--json",
            "--maintainers",
            maintainers.to_str().unwrap(),
            "--mailmap",
            mailmap.to_str().unwrap(),
            "20190129165428.3931-1-jgarnier@redhat.example.com",
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", crate::support::text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["subsystems"],
        serde_json::json!(["mm/hmm", "HMM - HETEROGENEOUS MEMORY MANAGEMENT"])
    );
    let role = |email: &str| {
        json["positions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["person"]["email"] == email)
            .map(|p| p["role"].clone())
    };
    assert_eq!(
        role("akm@linux-foundation.example.org"),
        Some("maintainer".into())
    );
    assert_eq!(role("dana@kernel.example.org"), Some("reviewer".into()));
    assert_eq!(
        role("dana.whitfield@intel.example.com"),
        None,
        "the old address is mapped"
    );
}
