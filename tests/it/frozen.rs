//! What users read, frozen byte for byte while the code is reshaped: the
//! JSON of `thread --json`, `search --json` and `who --json`, and the
//! pages of the sample threads (message, flat, nested, series, person,
//! search, list, feeds). A change that means to alter one of them updates
//! `golden/frozen/` in the same commit (`UPDATE_EXPECT=1 cargo test
//! frozen`) and says why.

use std::path::Path;

use crate::support;

const HMM: &str = "20190129165428.3931-1-jgarnier@redhat.example.com";
const SERIES: &str = "20240311093000.1022-1-ksato@example.jp";

#[test]
fn command_json_is_unchanged() {
    let data = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes");
    let out = support::whosaid(data.path(), &["import", samples.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out));
    for (name, args) in [
        ("thread-hmm.json", &["thread", "--json", HMM][..]),
        ("thread-series.json", &["thread", "--json", SERIES][..]),
        ("search-modpost.json", &["search", "--json", "modpost"][..]),
        ("who-hmm.json", &["who", "--json", "s:hmm"][..]),
        ("series.json", &["series", "--json", SERIES][..]),
    ] {
        let out = support::whosaid(data.path(), args);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            support::text(&out)
        );
        expect_test::expect_file![format!("golden/frozen/{name}")]
            .assert_eq(&String::from_utf8_lossy(&out.stdout));
    }
}

#[test]
fn pages_are_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes");
    let out = support::whosaid(dir.path(), &["import", samples.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", support::text(&out));
    let app = crate::web::app(dir.path());
    for (name, uri) in [
        ("home.html", "/".to_string()),
        ("list.html", "/linux-kbuild/".to_string()),
        ("message.html", format!("/linux-kbuild/{SERIES}/")),
        ("flat.html", format!("/linux-mm/{HMM}/T/")),
        ("nested.html", format!("/linux-kbuild/{SERIES}/t/")),
        ("series.html", format!("/linux-kbuild/{SERIES}/series/")),
        // Four versions: the ledger, and what changed in a patch.
        (
            "series-ledger.html",
            "/linux-kbuild/20240405-kconfig-v4-0-ksato@example.jp/series/".to_string(),
        ),
        (
            "interdiff.html",
            "/linux-kbuild/20240404-kconfig-v3-2-ksato@example.jp/interdiff/?from=20240403-kconfig-v2-2-ksato%40example.jp".to_string(),
        ),
        (
            "who.html",
            "/who/dana.whitfield@intel.example.com".to_string(),
        ),
        ("search.html", "/?q=modpost".to_string()),
        ("search-threads.html", "/?q=modpost&x=t".to_string()),
        ("thread.atom", format!("/linux-mm/{HMM}/t.atom")),
        ("list.atom", "/linux-kbuild/new.atom".to_string()),
        ("api-thread.json", format!("/api/thread/{HMM}")),
        ("api-who.json", "/api/who?q=s:modpost".to_string()),
    ] {
        let got = crate::web::get(&app, &uri);
        assert_eq!(got.status, 200, "{uri}");
        expect_test::expect_file![format!("golden/frozen/{name}")]
            .assert_eq(&String::from_utf8_lossy(&got.body));
    }
}
