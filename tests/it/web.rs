//! The web UI and API, called in-process (the router, no socket): every
//! route's status, content type and key elements, and mail carrying
//! `<script>` rendered inert on every page that shows it.

use std::path::Path;
use std::sync::Arc;

use axum::body::Body;
use axum::http::Request;
use tower::ServiceExt;

use crate::support;

const XSS: &str = "<script>alert(1)</script>";

fn archive(data: &Path) -> axum::Router {
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes");
    let mut store = whosaid::store::Store::open(data).unwrap();
    let index = whosaid::index::Index::open_for_writing(data).unwrap();
    let inputs: Vec<whosaid::import::Input> = [
        "linux-mm-hmm-users.mbox",
        "linux-kbuild-modpost-series.mbox",
    ]
    .iter()
    .map(|f| whosaid::import::Input::Mbox(samples.join(f)))
    .collect();
    whosaid::import::import(&mut store, &index, &inputs, &Default::default(), |_| {}).unwrap();
    drop((store, index));
    support::import_spec(
        data,
        &format!(
            "xss@example.org | | | 0 | {XSS}\\nNAK, {XSS}. | [PATCH] {XSS} | \"{XSS}\" <evil@example.org>
             xss-reply@example.org | <xss@example.org> | | 5 | Looks good. {XSS}\\n\\nAcked-by: Ev <ev@example.org> | Re: [PATCH] {XSS} | Ev <ev@example.org>
             lone@example.org | | | 9 | Hello. | A lone message | Lo <lo@example.org>
             fix@example.org | | | 10 | Fix the leak. | [PATCH] mod: fix a leak | Sam A <sam@example.org>
             fix-r@example.org | <fix@example.org> | | 11 | > +\\tkfree(p);\\n> +\\treturn 0;\\n\\nThis still leaks on the error path, please free it there too. | Re: [PATCH] mod: fix a leak | Ana R <ana@example.org>
             fix-a@example.org | <fix-r@example.org> | | 12 | Good catch, will fix in v2. | Re: [PATCH] mod: fix a leak | Sam A <sam@example.org>
             drop@example.org | | | 20 | Rename. | [PATCH] mod: rename a helper | Sam A <sam@example.org>
             drop-r@example.org | <drop@example.org> | | 21 | Why is this needed at all? | Re: [PATCH] mod: rename a helper | Ana R <ana@example.org>
             drop-a@example.org | <drop-r@example.org> | | 22 | You're right, let's drop this patch. | Re: [PATCH] mod: rename a helper | Sam A <sam@example.org>"
        ),
    );
    app(data)
}

/// The web app over an existing data dir.
pub fn app(data: &Path) -> axum::Router {
    whosaid::web::router(Arc::new(state(data)))
}

fn state(data: &Path) -> whosaid::web::AppState {
    whosaid::web::AppState::open(whosaid::web::Config {
        data: data.to_path_buf(),
        base_url: Some("https://archive.example".into()),
        mailmap: None,
        maintainers: None,
        repo: None,
    })
    .unwrap()
}

pub struct Got {
    pub status: u16,
    pub content_type: String,
    pub location: String,
    pub csp: String,
    pub retry_after: String,
    pub body: Vec<u8>,
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

pub fn get(app: &axum::Router, uri: &str) -> Got {
    let rt = runtime();
    rt.block_on(async {
        let resp = app
            .clone()
            .oneshot(Request::get(uri).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap_or("").to_string())
                .unwrap_or_default()
        };
        let (status, content_type, location, csp, retry_after) = (
            resp.status().as_u16(),
            header("content-type"),
            header("location"),
            header("content-security-policy"),
            header("retry-after"),
        );
        let body = axum::body::to_bytes(resp.into_body(), 64 << 20)
            .await
            .unwrap()
            .to_vec();
        Got {
            status,
            content_type,
            location,
            csp,
            retry_after,
            body,
        }
    })
}

const HMM: &str = "20190129165428.3931-1-jgarnier@redhat.example.com";

/// `URI | status | content type | what the body must contain (;-separated)`.
const ROUTES: &str = "
/ | 200 | text/html | Recent threads; /linux-mm/; mm/hmm: allow to mirror; open objection
/linux-mm/ | 200 | text/html | linux-mm; mm/hmm
/nolist/ | 404 | text/html | no list named nolist
/?q=merging | 200 | text/html | match; <mark>; Query language
/?q=nq:NAK | 200 | text/html | match
/?q=q:fail | 200 | text/html | match; I <mark>fail</mark> to see why; found in quoted text
/?q=fail | 200 | text/html | match; found in quoted text
/linux-mm/HMM/ | 200 | text/html | Positions; class=\"badge oppose\"; permalink
/linux-mm/HMM/T/ | 200 | text/html | Positions; Dana Whitfield; badge oppose; <span class=\"grade\">blocks</span>; Series; <svg class=\"timeline\"; For the changelog; Link: https://archive.example/r/; <details class=\"quoted\n/linux-mm/HMM/t/ | 200 | text/html | Thread; class=\"msg d1\n/linux-mm/HMM/raw | 200 | text/plain | Message-ID: <HMM>
/linux-mm/HMM/t.atom | 200 | application/atom+xml | <feed; <entry>
/linux-mm/HMM/t.mbox.gz | 200 | application/gzip | 
/r/HMM | 308 | | 
/r/nobody@example.org | 404 | text/html | no message
/linux-mm/nobody@example.org/T/ | 404 | text/html | no message
/api/thread/HMM | 200 | application/json | \"positions\"; \"patches\"; \"stance\":\"oppose\"; \"grade\":\"objects\"
/api/search?q=s:hmm | 200 | application/json | \"total\"; \"hits\"
/_/style.css | 200 | text/css | prefers-color-scheme
/_/app.js | 200 | text/javascript | clipboard
/no/such/page/at/all | 404 | text/html | 
/input/xss@example.org/ | 200 | text/html | &#60;script&#62;alert(1)&#60;/script&#62;
/input/xss@example.org/T/ | 200 | text/html | &#60;script&#62;alert(1)&#60;/script&#62;; Acked-by: Ev
/input/xss@example.org/t.atom | 200 | application/atom+xml | &#60;script&#62;
/?q=alert | 200 | text/html | match
/api/thread/xss@example.org | 200 | application/json | alert(1)
/who/dana.whitfield@intel.example.com | 200 | text/html | Dana Whitfield; badge oppose; NAK to merging this without its users
/who/dana.whitfield@intel.example.com?q=s:nothing-matches | 200 | text/html | 0 threads
/who/nobody@example.org | 404 | text/html | nobody writing as
/who/evil@example.org | 200 | text/html | &#60;script&#62;
/api/who?q=s:hmm | 200 | application/json | \"people\"; \"oppose\":
/api/who | 400 | application/json | give a query; \"status\":400
/api/thread/nobody@example.org | 404 | application/json | \"status\":404
/api/nothing/here | 404 | application/json | no API at /api/nothing/here
/linux-kbuild/20240318101500.2231-3-ksato@example.jp/ | 200 | text/html | <a href=\"/linux-kbuild/20240311093000.1022-1-ksato@example.jp/T/#m-20240318101500.2231-1-ksato@example.jp\">parent</a>; href=\"/linux-kbuild/20240311093000.1022-1-ksato@example.jp/T/#m-
/ | 200 | text/html | Skip to content; <main id=\"main\"
/input/ | 200 | text/html | 1 message ·; 2 messages ·
/linux-kbuild/20240318101500.2231-3-ksato@example.jp/ | 200 | text/html | <dt>To</dt><dd>linux-kbuild@vger.example.org</dd>; --in-reply-to=&#39;&#60;20240318101500.2231-3-ksato@example.jp&#62;&#39;; --cc=nadia.chen@example.com; mailto:ksato@example.jp?In-Reply-To=%3C20240318101500.2231-3-ksato@example.jp%3E; rel=\"prev\" href=\"/linux-kbuild/20240318101500.2231-2-ksato@example.jp/\"; rel=\"next\"
/linux-kbuild/20240311093000.1022-1-ksato@example.jp/T/ | 200 | text/html | <span class=\"vh\">Re: [PATCH 2/3] modpost: remove the second pass over vmlinux.o, </span>Tom Berglund</a>
/linux-kbuild/20240311093000.1022-1-ksato@example.jp/series/ | 200 | text/html | change-id <code>20240311-modpost-hash-7d1c2a</code>; <h2>v2 <small>2024-03-18; <span class=\"state\">applied</span>; <td class=\"art\">1/1/1</td>; <span class=\"state\">superseded</span>; Tom Berglund: Nacked-by; What changed in v2
/linux-kbuild/20240311093000.1022-1-ksato@example.jp/T/ | 200 | text/html | <nav class=\"versions\"; href=\"/linux-kbuild/20240311093000.1022-1-ksato@example.jp/series/\">all versions, patch by patch</a>; <td class=\"oppose\"><a href=\"/linux-kbuild/20240311093000.1022-1-ksato@example.jp/T/#m-Ze8kL2ZqXb0Jx7aQ@berglund.example.se\">NAK</a></td>
/input/lone@example.org/series/ | 404 | text/html | not part of a patch series
/input/lone@example.org/interdiff/?from=lone@example.org | 404 | text/html | not a posted patch
/input/lone@example.org/interdiff/ | 400 | | 
/linux-kbuild/new.atom | 200 | application/atom+xml | <title>linux-kbuild: new messages</title>; <entry>; Applied to kbuild-next
/nolist/new.atom | 200 | application/atom+xml | <feed
/?q=modpost&x=A | 200 | application/atom+xml | <entry>; <title>modpost</title>
/?q=modpost&x=m | 200 | application/gzip | 
/?q=modpost&x=t | 200 | text/html | class=\"subject thread\" href=\"/linux-kbuild/20240311093000.1022-1-ksato@example.jp/T/\"; <strong>threads</strong>
/?q=modpost | 200 | text/html | <strong>messages</strong>; href=\"/?q=modpost&#38;x=m\">mbox.gz</a>; <time>2024-03-22 01:02 +0000</time>; <time>2024-03-19 14:30 +0000</time>
/?q=d:2019-01-01.. | 200 | text/html | rel=\"next\" href=\"/?q=d:2019-01-01..&#38;o=25\"
/?q=d:2019-01-01..&o=25 | 200 | text/html | rel=\"prev\" href=\"/?q=d:2019-01-01..\"
/?q=d:2019-13-45.. | 200 | text/html | could not read the date range d:2019-13-45..
/input/fix@example.org/T/ | 200 | text/html | <span class=\"kind\">conceded</span> <a href=\"/input/fix@example.org/T/#m-fix-a@example.org\">“Good catch, will fix in v2.”</a>; <span class=\"grade\">changes requested</span>
/input/drop@example.org/T/ | 200 | text/html | <tr class=\"pos neutral\" data-email=\"sam@example.org\">; withdraws
/linux-mm/HMM/T/ | 200 | text/html | <kbd>j</kbd>; <text class=\"who\"; aria-label=\"Dana Whitfield, 
/c/da6345d17ac5 | 404 | text/html | serve --repo
/api/c/da6345d17ac5 | 404 | application/json | serve --repo; \"status\":404
/c/--output=x | 404 | text/html | not a commit
";

#[test]
fn every_route_answers_and_mail_is_inert() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    let mut failures = Vec::new();
    for line in ROUTES.lines().filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.splitn(4, '|').map(str::trim).chain([""; 4]).collect();
        let uri = cols[0].replace("HMM", HMM);
        let got = get(&app, &uri);
        let body = String::from_utf8_lossy(&got.body).to_string();
        if got.status.to_string() != cols[1] {
            failures.push(format!("{uri}: status {} (want {})", got.status, cols[1]));
        }
        if !got.content_type.starts_with(cols[2]) {
            failures.push(format!(
                "{uri}: content type {:?} (want {})",
                got.content_type, cols[2]
            ));
        }
        for want in cols[3].split("; ").filter(|w| !w.is_empty()) {
            let want = want.replace("HMM", HMM);
            let want = want.replace("\\\"", "\"");
            if !body.contains(&want) {
                failures.push(format!("{uri}: body lacks {want:?}"));
            }
        }
        if got.content_type.starts_with("text/html") || got.content_type.contains("xml") {
            if body.contains(XSS) {
                failures.push(format!("{uri}: mail's <script> reached the page unescaped"));
            }
            if got.csp.is_empty() || !got.csp.contains("default-src 'none'") {
                failures.push(format!("{uri}: no strict Content-Security-Policy"));
            }
        }
        if got.status == 308 && got.location != format!("/linux-mm/{HMM}/") {
            failures.push(format!("{uri}: redirects to {:?}", got.location));
        }
    }
    let long = format!("/?q={}", "a".repeat(whosaid::web::MAX_QUERY + 1));
    if get(&app, &long).status != 400 {
        failures.push("an overlong query is not refused with 400".into());
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn mbox_download_loads_back_as_the_same_thread() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    let got = get(&app, &format!("/linux-mm/{HMM}/t.mbox.gz"));
    let mut text = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&got.body[..]), &mut text)
        .unwrap();
    let text = String::from_utf8_lossy(&text);
    assert_eq!(
        text.matches("\nFrom mboxrd@z ").count() + 1,
        14,
        "14 messages"
    );
    assert!(text.starts_with("From mboxrd@z "));
    let again = tempfile::tempdir().unwrap();
    let file = again.path().join("t.mbox");
    std::fs::write(&file, text.as_bytes()).unwrap();
    let out = support::whosaid(again.path(), &["import", file.to_str().unwrap()]);
    assert!(out.status.success());
    let out = support::whosaid(again.path(), &["thread", HMM]);
    assert!(
        support::text(&out).contains("positions"),
        "{}",
        support::text(&out)
    );
}

#[test]
fn path_ids_cannot_reach_the_filesystem() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    for uri in [
        "/linux-mm/..%2F..%2Fetc%2Fpasswd/raw",
        "/linux-mm/%00/raw",
        "/r/a%0Ab@x",
        "/linux-mm/..%2Fstore.sqlite3/raw",
    ] {
        let got = get(&app, uri);
        assert_eq!(got.status, 404, "{uri}");
    }
}

#[test]
fn thread_pages_revalidate_with_their_etag() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    let uri = format!("/linux-mm/{HMM}/T/");
    let rt = runtime();
    let first = rt.block_on(
        app.clone()
            .oneshot(Request::get(&uri).body(Body::empty()).unwrap()),
    );
    let first = first.unwrap();
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    assert!(etag.starts_with("W/\""), "{etag}");
    let rendered = rt
        .block_on(axum::body::to_bytes(first.into_body(), 64 << 20))
        .unwrap();
    let again = rt
        .block_on(
            app.clone().oneshot(
                Request::get(&uri)
                    .header("if-none-match", &etag)
                    .body(Body::empty())
                    .unwrap(),
            ),
        )
        .unwrap();
    assert_eq!(again.status(), 304);
    // The cached page is the page first rendered.
    assert_eq!(get(&app, &uri).body, rendered.to_vec());
}

/// Index pages are cached per store version: a repeat view is the cached
/// page, and an import that stores a message shows it on the next view.
#[test]
fn list_pages_follow_imports() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    let before = get(&app, "/input/");
    assert_eq!(before.status, 200);
    assert_eq!(get(&app, "/input/").body, before.body, "a repeat view");
    assert!(!String::from_utf8_lossy(&before.body).contains("cache-check"));
    support::import_spec(
        dir.path(),
        "late@example.org | | | 9 | A late patch. | [PATCH] cache-check | Lu <lu@example.org>",
    );
    let after = get(&app, "/input/");
    assert_eq!(after.status, 200);
    assert!(
        String::from_utf8_lossy(&after.body).contains("cache-check"),
        "the new thread is listed after the import"
    );
}

/// Searches run in a bounded number of slots; when none frees up in time
/// the answer is 503 with Retry-After, and pages that are not searches
/// never wait for one.
#[test]
fn searches_beyond_their_slots_are_turned_away_and_pages_are_not() {
    let dir = tempfile::tempdir().unwrap();
    let _imported = archive(dir.path());
    let full = whosaid::web::router(Arc::new(
        state(dir.path()).with_search_limit(0, std::time::Duration::from_millis(20)),
    ));
    for uri in [
        "/?q=merging",
        "/linux-mm/?q=hmm",
        "/api/search?q=s:hmm",
        "/api/who?q=s:hmm",
        "/who/dana.whitfield@intel.example.com",
    ] {
        let got = get(&full, uri);
        assert_eq!(got.status, 503, "{uri}");
        assert_eq!(got.retry_after, "5", "{uri}");
        assert!(
            String::from_utf8_lossy(&got.body).contains("try again"),
            "{uri}"
        );
    }
    for uri in [
        "/".to_string(),
        "/linux-mm/".into(),
        format!("/linux-mm/{HMM}/T/"),
        format!("/r/{HMM}"),
    ] {
        let got = get(&full, &uri);
        assert!([200, 308].contains(&got.status), "{uri}: {}", got.status);
    }
    // With a slot, the same search answers.
    let open = whosaid::web::router(Arc::new(
        state(dir.path()).with_search_limit(1, std::time::Duration::from_millis(20)),
    ));
    assert_eq!(get(&open, "/?q=merging").status, 200);
}

/// A raw message never changes: its ETag is its sha256, it revalidates
/// with a 304, and caches may keep it a day.
#[test]
fn raw_messages_carry_their_checksum_as_etag() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    let uri = format!("/linux-mm/{HMM}/raw");
    let rt = runtime();
    let ask = |etag: Option<&str>| {
        let mut req = Request::get(&uri);
        if let Some(e) = etag {
            req = req.header("if-none-match", e);
        }
        rt.block_on(app.clone().oneshot(req.body(Body::empty()).unwrap()))
            .unwrap()
    };
    let first = ask(None);
    assert_eq!(first.status(), 200);
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    let cache = first.headers()["cache-control"]
        .to_str()
        .unwrap()
        .to_string();
    let body = rt
        .block_on(axum::body::to_bytes(first.into_body(), 1 << 20))
        .unwrap();
    use sha2::Digest as _;
    assert_eq!(
        etag,
        format!("\"{}\"", whosaid::store::hex(&sha2::Sha256::digest(&body)))
    );
    assert!(cache.contains("max-age=86400"), "{cache}");
    let again = ask(Some(&etag));
    assert_eq!(again.status(), 304);
    assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
    assert_eq!(ask(Some("\"other\"")).status(), 200);
}

/// The stance badges' text against their colour, in the light and the dark
/// scheme of `static/style.css`: WCAG AA for normal text (4.5:1).
#[test]
fn stance_badges_are_readable_in_light_and_dark_mode() {
    let css = include_str!("../../static/style.css");
    let dark_at = css.find("prefers-color-scheme: dark").unwrap();
    let (light, dark) = css.split_at(dark_at);
    let var = |block: &str, name: &str| -> [f64; 3] {
        let at = block
            .find(&format!("--{name}:"))
            .unwrap_or_else(|| panic!("--{name}"));
        let hex = block[at..].split_once('#').unwrap().1;
        let channel = |i: usize| {
            let c = f64::from(u8::from_str_radix(&hex[i..i + 2], 16).unwrap()) / 255.0;
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        [channel(0), channel(2), channel(4)]
    };
    let luminance = |c: [f64; 3]| 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    let mut low = Vec::new();
    for (scheme, block) in [("light", light), ("dark", dark)] {
        let text = luminance(var(block, "on-badge"));
        for stance in ["support", "oppose", "neutral"] {
            let bg = luminance(var(block, stance));
            let ratio = (text.max(bg) + 0.05) / (text.min(bg) + 0.05);
            if ratio < 4.5 {
                low.push(format!("{scheme} {stance}: {ratio:.1}:1"));
            }
        }
    }
    assert!(low.is_empty(), "badges below 4.5:1: {low:?}");
}

/// A thread's Atom feed lists the newest first by the instant each mail
/// was sent, whatever zone its sender wrote the time in.
#[test]
fn feeds_order_entries_by_instant_not_local_time() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    let got = get(
        &app,
        "/linux-kbuild/20240311093000.1022-1-ksato@example.jp/t.atom",
    );
    let body = String::from_utf8(got.body).unwrap();
    let times: Vec<chrono::DateTime<chrono::FixedOffset>> = body
        .split("<updated>")
        .skip(2) // the feed's own
        .map(|s| chrono::DateTime::parse_from_rfc3339(s.split('<').next().unwrap()).unwrap())
        .collect();
    assert!(times.len() > 10, "{body}");
    let zones: std::collections::HashSet<i32> =
        times.iter().map(|t| t.offset().local_minus_utc()).collect();
    assert!(zones.len() > 2, "the sample mixes time zones");
    for w in times.windows(2) {
        assert!(w[0] >= w[1], "{} listed before {}", w[0], w[1]);
    }
}

/// Without `--base-url`, links name the address the page was asked on;
/// the changelog block's `Link:` follows the reader's pick of archive.
#[test]
fn links_name_the_address_asked_on_or_the_archive_picked() {
    let dir = tempfile::tempdir().unwrap();
    let _ = archive(dir.path());
    let state = whosaid::web::AppState::open(whosaid::web::Config {
        data: dir.path().to_path_buf(),
        base_url: None,
        mailmap: None,
        maintainers: None,
        repo: None,
    })
    .unwrap();
    let app = whosaid::web::router(Arc::new(state));
    let asked = |uri: &str, host: &str| -> String {
        runtime().block_on(async {
            let resp = app
                .clone()
                .oneshot(
                    Request::get(uri)
                        .header("host", host)
                        .body(Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            let body = axum::body::to_bytes(resp.into_body(), 64 << 20)
                .await
                .unwrap();
            String::from_utf8(body.to_vec()).unwrap()
        })
    };
    let page = format!("/linux-mm/{HMM}/T/");
    let here = asked(&page, "mail.example.net:8080");
    assert!(
        here.contains("Link: http://mail.example.net:8080/r/20190129165428.3931-"),
        "{here}"
    );
    assert!(!here.contains("127.0.0.1"));
    let lore = asked(&format!("{page}?link=lore"), "mail.example.net:8080");
    assert!(lore.contains("Link: https://lore.kernel.org/r/20190129165428.3931-"));
    assert!(lore.contains("<strong>lore</strong>"));
    let msgid = asked(&format!("{page}?link=msgid"), "mail.example.net:8080");
    assert!(msgid.contains("Link: https://patch.msgid.link/20190129165428.3931-"));
    let feed = asked(&format!("/linux-mm/{HMM}/t.atom"), "mail.example.net");
    assert!(feed.contains("<id>http://mail.example.net/r/"), "{feed}");
    // A Host that is not a host name is not written into a page.
    let odd = asked(&page, "evil.example\"><script>");
    assert!(odd.contains("Link: http://localhost/r/20190129165428.3931-"));
}

/// On a real list: a maintainer's person page counts every thread they
/// wrote in and pages through them, and every person link on the newest
/// thread pages leads to a person page.
#[test]
fn person_pages_are_complete_and_every_person_link_resolves() {
    let app = app(support::kbuild_data());
    let page = String::from_utf8(get(&app, "/who/masahiroy@kernel.org").body).unwrap();
    let threads: usize = page
        .split("<p class=\"count\">")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no thread count in {page}"));
    assert!(threads > 1000, "{threads} threads");
    assert!(
        page.contains(&format!("threads 1-25 of {threads}")),
        "{page}"
    );
    assert!(page.contains("rel=\"next\" href=\"?o=25\""));
    let last = String::from_utf8(
        get(
            &app,
            &format!("/who/masahiroy@kernel.org?o={}", threads - 1),
        )
        .body,
    )
    .unwrap();
    assert!(last.contains(&format!("threads {threads}-{threads} of {threads}")));
    assert!(last.contains("rel=\"prev\"") && !last.contains("rel=\"next\""));

    let mut unresolved = Vec::new();
    let mut links = std::collections::BTreeSet::new();
    for o in [0, 25, 50] {
        let list = String::from_utf8(get(&app, &format!("/linux-kbuild/?o={o}")).body).unwrap();
        for t in list.split("class=\"subject\" href=\"").skip(1) {
            let href = t.split('"').next().unwrap();
            let thread = String::from_utf8(get(&app, href).body).unwrap();
            for w in thread.split("href=\"/who/").skip(1) {
                links.insert(format!("/who/{}", w.split('"').next().unwrap()));
            }
        }
    }
    for l in &links {
        let status = get(&app, l).status;
        if status != 200 {
            unresolved.push(format!("{l}: {status}"));
        }
    }
    assert!(links.len() > 40, "{} person links", links.len());
    assert!(unresolved.is_empty(), "{unresolved:?}");

    // A 64-patch series: its changelog blocks fold into one box, each
    // block opened on demand, none open at first.
    let big = String::from_utf8(
        get(
            &app,
            "/linux-kbuild/20210818060533.3569517-1-keescook@chromium.org/T/",
        )
        .body,
    )
    .unwrap();
    let blocks = big.matches("<details class=\"panel changelog\"").count();
    assert!(blocks > 60, "{blocks} changelog blocks");
    assert!(big.contains("<details class=\"panel changelogs\"><summary><h2>For the changelog"));
    assert!(!big.contains("<details class=\"panel changelog\" open"));
}

/// lore's `x=m`: the search results as an mbox.gz that mail tools load,
/// every hit once, oldest first.
#[test]
fn search_results_download_as_mbox() {
    let dir = tempfile::tempdir().unwrap();
    let app = archive(dir.path());
    let got = get(&app, "/?q=s:modpost&x=m");
    assert_eq!(got.status, 200);
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&got.body[..]), &mut bytes)
        .unwrap();
    let text = String::from_utf8_lossy(&bytes);
    let page = String::from_utf8(get(&app, "/api/search?q=s:modpost").body).unwrap();
    let total: usize = serde_json::from_str::<serde_json::Value>(&page).unwrap()["total"]
        .as_u64()
        .unwrap() as usize;
    assert_eq!(text.matches("From mboxrd@z ").count(), total);
    let first = text.find("Message-Id: <20240311093000.1022").unwrap();
    let last = text.find("Message-Id: <20240318101500.2231").unwrap();
    assert!(first < last, "oldest first");
}
