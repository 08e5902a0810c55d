//! End to end in a real headless Chromium (Debian `chromium` and
//! `chromium-driver`, installed by `.ci/run`), driven over WebDriver with
//! fantoccini: the sample archive's seed-like thread, its positions panel,
//! folding quotes, a `/r/` link and a search. Saves a screenshot of the
//! thread page to `target/e2e/thread.png`.

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{ClientBuilder, Locator};

const HMM: &str = "20190129165428.3931-1-jgarnier@redhat.example.com";

/// Kills the child when the test ends, however it ends.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn tool(name: &str) -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "this test needs `{name}` on PATH: install Debian's chromium and chromium-driver \
             (apt-get install chromium chromium-driver), as .ci/run does"
        )
    })
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub fn wait_for(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "{what} did not start listening on port {port}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn start(cmd: &mut Command) -> Running {
    Running(
        cmd.stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("process starts"),
    )
}

/// The samples imported into a fresh data dir and served; the server
/// and its data dir live as long as the returned values.
fn serve_samples() -> (tempfile::TempDir, Running, String) {
    let data = tempfile::tempdir().unwrap();
    crate::support::import_samples(data.path());
    let port = free_port();
    let server = start(
        Command::new(env!("CARGO_BIN_EXE_whosaid"))
            .arg("--data")
            .arg(data.path())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")]),
    );
    wait_for(port, "whosaid serve");
    (data, server, format!("http://127.0.0.1:{port}"))
}

/// chromedriver, and the port it listens on.
fn driver() -> (Running, u16) {
    let chromedriver = tool("chromedriver");
    let dport = free_port();
    let running = start(Command::new(&chromedriver).arg(format!("--port={dport}")));
    wait_for(dport, "chromedriver");
    (running, dport)
}

/// A headless Chromium session with a window `width` x `height` pixels.
async fn browser(dport: u16, width: u32, height: u32) -> fantoccini::Client {
    let chromium = tool("chromium");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                     "--disable-dev-shm-usage", format!("--window-size={width},{height}")],
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&format!("http://127.0.0.1:{dport}"))
        .await
        .expect("chromedriver session")
}

/// Runs `test` in a headless Chromium window `width` x `height` pixels
/// (a chromedriver of its own), and closes the window after it.
fn in_browser(width: u32, height: u32, test: impl AsyncFnOnce(&fantoccini::Client)) {
    let (_driver, dport) = driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(dport, width, height).await;
        test(&c).await;
        c.close().await.unwrap();
    });
}

/// The text of the first element `css` selects.
async fn text_of(c: &fantoccini::Client, css: &str) -> String {
    c.find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
}

fn screenshot_path(name: &str) -> PathBuf {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/e2e")
        .join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    p
}

#[test]
fn thread_page_in_a_real_browser() {
    let (_data, _server, base) = serve_samples();
    let (_driver, dport) = driver();
    let shot = screenshot_path("thread.png");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = browser(dport, 1280, 1800).await;

        // The seed-like argument: the objector and the maintainer who
        // concedes to her both stand against merging.
        c.goto(&format!("{base}/linux-mm/{HMM}/T/")).await.unwrap();
        let row = |email: &str| format!("tr.pos[data-email='{email}']");
        let dana = c
            .find(Locator::Css(&row("dana.whitfield@intel.example.com")))
            .await
            .unwrap();
        assert!(
            dana.attr("class")
                .await
                .unwrap()
                .unwrap()
                .contains("oppose")
        );
        assert!(
            dana.text()
                .await
                .unwrap()
                .contains("NAK to merging this without its users")
        );
        let akm = c
            .find(Locator::Css(&row("akm@linux-foundation.example.org")))
            .await
            .unwrap();
        let akm_text = akm.text().await.unwrap();
        assert!(
            akm.attr("class").await.unwrap().unwrap().contains("oppose"),
            "{akm_text}"
        );
        assert!(akm_text.contains("maintainer"), "{akm_text}");
        let author = c
            .find(Locator::Css(&row("jgarnier@redhat.example.com")))
            .await
            .unwrap();
        assert!(
            author
                .attr("class")
                .await
                .unwrap()
                .unwrap()
                .contains("support")
        );
        // The copy button appears when JavaScript runs.
        let copy = c.find(Locator::Css("button.copy")).await.unwrap();
        assert!(copy.is_displayed().await.unwrap());

        std::fs::write(&shot, c.screenshot().await.unwrap()).unwrap();

        // Fold and unfold a quote.
        let quote = c.find(Locator::Css("details.quoted")).await.unwrap();
        assert_eq!(quote.prop("open").await.unwrap().as_deref(), Some("true"));
        let summary = quote.find(Locator::Css("summary")).await.unwrap();
        summary.click().await.unwrap();
        assert_eq!(quote.prop("open").await.unwrap().as_deref(), Some("false"));
        summary.click().await.unwrap();
        assert_eq!(quote.prop("open").await.unwrap().as_deref(), Some("true"));

        // A permalink: /r/ redirects to the message in its thread.
        let link = c
            .find(Locator::Css("article.msg a[href^='/r/']"))
            .await
            .unwrap();
        link.click().await.unwrap();
        let url = c.current_url().await.unwrap();
        assert!(url.path().starts_with("/linux-mm/"), "{url}");
        assert!(!url.path().starts_with("/r/"), "{url}");
        c.find(Locator::Css("article.msg")).await.unwrap();

        // A search from the header form.
        c.goto(&base).await.unwrap();
        let q = c.find(Locator::Id("q")).await.unwrap();
        q.send_keys("nq:NAK").await.unwrap();
        c.find(Locator::Css("form.search button"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        c.wait()
            .for_element(Locator::Css("ol.hits li"))
            .await
            .unwrap();
        let hits = text_of(&c, "ol.hits").await;
        assert!(
            hits.contains("mm/hmm") && hits.contains("modpost"),
            "{hits}"
        );
        let marked = c.find(Locator::Css("ol.hits mark")).await.unwrap();
        assert_eq!(marked.text().await.unwrap(), "NAK");

        c.close().await.unwrap();
    });
    assert!(shot.is_file());
}

const SERIES: &str = "20240311093000.1022-1-ksato@example.jp";

/// The newest version's cover letter of the four-version sample series.
const KCONFIG_V4: &str = "20240405-kconfig-v4-0-ksato@example.jp";

/// For every filled cell of the series grid: the text of the cell and of
/// the column header above it, and whether the two line up on screen.
const GRID_CELLS: &str = r#"
const out = [];
for (const table of document.querySelectorAll("table.grid")) {
  const heads = [...table.querySelectorAll("thead th")];
  for (const row of table.querySelectorAll("tbody tr")) {
    [...row.children].forEach((cell, i) => {
      if (cell.tagName !== "TD" || !cell.textContent.trim()) return;
      const head = heads[i];
      const a = cell.getBoundingClientRect(), b = head.getBoundingClientRect();
      out.push([row.querySelector("th").textContent.trim(), head.textContent.trim(),
                cell.textContent.trim(), Math.abs(a.left - b.left) < 1 && a.width > 0]);
    });
  }
}
return out;
"#;

/// The positions panel and the series grid at phone and desktop widths:
/// every verdict sits under its reviewer's name, the page does not scroll
/// sideways, and the evidence stays on screen. Saves both screenshots.
#[test]
fn tables_keep_their_columns_at_phone_and_desktop_widths() {
    let (_data, _server, base) = serve_samples();
    let (_driver, dport) = driver();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        for (width, name) in [(390, "phone"), (1280, "desktop")] {
            let c = browser(dport, width, 1800).await;
            c.goto(&format!("{base}/linux-kbuild/{SERIES}/T/")).await.unwrap();
            let cells = c.execute(GRID_CELLS, vec![]).await.unwrap();
            let cells: Vec<(String, String, String, bool)> =
                serde_json::from_value(cells).unwrap();
            assert!(cells.len() >= 10, "{name}: {cells:?}");
            for (patch, head, cell, aligned) in &cells {
                assert!(aligned, "{name}: {cell} on {patch} is not under {head}");
            }
            let nak = cells
                .iter()
                .find(|(p, _, c, _)| p.starts_with("[PATCH 2/3]") && c == "NAK")
                .unwrap_or_else(|| panic!("{name}: no NAK on 2/3 in {cells:?}"));
            assert_eq!(nak.1, "Tom Berglund", "{name}: the NAK on 2/3 is Tom's");
            // No sideways scrolling of the page, and the evidence column
            // ends inside the window.
            let fits = c
                .execute(
                    "const w = document.documentElement.clientWidth;
                     const ev = [...document.querySelectorAll('table.people td.evidence')];
                     return [document.documentElement.scrollWidth <= w,
                             ev.length > 0 && ev.every(e => e.getBoundingClientRect().right <= w + 1)];",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(fits, serde_json::json!([true, true]), "{name}");
            std::fs::write(
                screenshot_path(&format!("thread-{name}.png")),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
            // The home page's long subjects wrap instead of widening it.
            c.goto(&base).await.unwrap();
            let wide = c
                .execute(
                    "return document.documentElement.scrollWidth <= document.documentElement.clientWidth;",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(wide, serde_json::json!(true), "{name}: home page scrolls sideways");
            // The series page: every version's patches, readable at this
            // width too.
            c.goto(&format!("{base}/linux-kbuild/{SERIES}/series/")).await.unwrap();
            let states = c
                .execute(
                    "return [document.documentElement.scrollWidth <= document.documentElement.clientWidth,
                             [...document.querySelectorAll('span.state')].map(s => s.textContent)];",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(states[0], serde_json::json!(true), "{name}: series page scrolls sideways");
            assert_eq!(
                states[1],
                serde_json::json!(["applied", "applied", "applied", "superseded", "superseded", "superseded"]),
                "{name}"
            );
            std::fs::write(
                screenshot_path(&format!("series-{name}.png")),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
            // Four versions: the ledger marks the stale tag (struck
            // through) and the objection still open.
            c.goto(&format!("{base}/linux-kbuild/{KCONFIG_V4}/series/")).await.unwrap();
            let ledger = c
                .execute(
                    "const stale = document.querySelector('.tag-stale a');
                     return [document.documentElement.scrollWidth <= document.documentElement.clientWidth,
                             stale ? stale.textContent : null,
                             stale ? getComputedStyle(stale).textDecorationLine : null,
                             [...document.querySelectorAll('.objection-open')].map(o => o.textContent.includes('Tom Berglund'))];",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(
                ledger,
                serde_json::json!([true, "Tested-by: Lars Højgaard", "line-through", [true]]),
                "{name}"
            );
            // The reviewer grid: Lars's cell on the changed patch is stale,
            // Tom's is open, and each says its history.
            let grid = c
                .execute(
                    "const cells = [...document.querySelectorAll('table.reviewers td')];
                     const of = s => cells.filter(c => c.classList.contains('cell-' + s)).map(c => c.title);
                     return [of('stale'), of('open')];",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(
                grid,
                serde_json::json!([["v2 Tested-by (stale)"], ["v1 objection (addressed); v3 changes requested (open)"]]),
                "{name}: reviewer grid"
            );
            std::fs::write(
                screenshot_path(&format!("ledger-{name}.png")),
                c.screenshot().await.unwrap(),
            )
            .unwrap();
            // Its interdiff link shows what changed in the patch.
            c.find(fantoccini::Locator::Css("a.interdiff")).await.unwrap().click().await.unwrap();
            let diff = c
                .execute(
                    "return [document.documentElement.scrollWidth <= document.documentElement.clientWidth,
                             document.querySelectorAll('pre.interdiff .add').length,
                             document.querySelectorAll('pre.interdiff .del').length];",
                    vec![],
                )
                .await
                .unwrap();
            assert_eq!(diff, serde_json::json!([true, 1, 1]), "{name}: interdiff");
            c.close().await.unwrap();
        }
    });
}

/// The timeline is one Tab stop; the arrow keys then walk its marks,
/// each named for a screen reader by person, date and stance.
#[test]
fn the_timeline_is_one_tab_stop_walked_by_arrow_keys() {
    let (_data, _server, base) = serve_samples();
    in_browser(1280, 1800, async |c| {
        c.goto(&format!("{base}/linux-kbuild/{SERIES}/T/"))
            .await
            .unwrap();
        let stops = c
            .execute(
                "return [...document.querySelectorAll('svg.timeline, svg.timeline a')]
                   .filter(e => e.tabIndex >= 0).length;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(stops, serde_json::json!(1));
        let svg = c.find(Locator::Css("svg.timeline")).await.unwrap();
        svg.send_keys("\u{E014}").await.unwrap(); // ArrowRight
        svg.send_keys("\u{E014}").await.unwrap();
        let walked = c
            .execute(
                "const marks = [...document.querySelectorAll('svg.timeline a')];
                 return [marks.indexOf(document.activeElement),
                         document.activeElement.getAttribute('aria-label')];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(walked[0], serde_json::json!(1), "{walked}");
        let label = walked[1].as_str().unwrap_or_default();
        // "Tom Berglund, 2024-03-11 19:02 +0100, oppose: Re: [PATCH 2/3] ..."
        let (who, rest) = label.split_once(", ").unwrap_or_default();
        assert!(
            ["Kenji Sato", "Tom Berglund", "Nadia Chen"].contains(&who)
                && rest.starts_with("2024-03-")
                && [", support:", ", oppose:", ", no stance:"]
                    .iter()
                    .any(|s| rest.contains(s)),
            "{label}"
        );
    });
}

/// `serve --repo`: a thread page links each patch to the commit it was
/// applied as, and the commit page says how the posting was found, what
/// changed when it was applied, which tags nobody gave on the list, and
/// who named the commit later (linux-modules against kmod's history).
#[test]
fn commit_pages_and_the_applied_link_in_a_real_browser() {
    let data = tempfile::tempdir().unwrap();
    let list = crate::support::corpus("linux-modules");
    let out = crate::support::whosaid(data.path(), &["import", list.to_str().unwrap()]);
    assert!(out.status.success(), "{}", crate::support::text(&out));
    let clone = crate::commits::kmod_clone();
    let port = free_port();
    let _server = start(
        Command::new(env!("CARGO_BIN_EXE_whosaid"))
            .arg("--data")
            .arg(data.path())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}"), "--repo"])
            .arg(clone.path().join("kmod")),
    );
    wait_for(port, "whosaid serve");
    let base = format!("http://127.0.0.1:{port}");
    wait_for_commits(port, "/c/da6345d17ac5");
    // The same as JSON, as `commits --json` gives it.
    let (status, json) = http_get(port, "/api/c/da6345d17ac5");
    assert_eq!(status, 200, "{json}");
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["method"], "patch-id", "{doc}");
    assert_eq!(doc["discussion"]["version"], 1, "{doc}");
    in_browser(1280, 1800, async |c| {
        // The CI series: patch 1/5 went in as da6345d17ac5.
        c.goto(&format!(
            "{base}/r/20240712202011.906033-2-lucas.de.marchi@gmail.com"
        ))
        .await
        .unwrap();
        let link = c
            .find(Locator::Css(
                "section.applied a[href='/c/da6345d17ac5797bebfb4eccaf8bbc31301c442e']",
            ))
            .await
            .expect("the thread page links the commit");
        assert_eq!(link.text().await.unwrap(), "da6345d17ac5");
        link.click().await.unwrap();
        let h1 = text_of(c, "h1").await;
        assert_eq!(h1, "ci: Replace package installation with local action");
        assert!(text_of(c, "li.not-on-list").await.contains("Emil Velikov"));
        let found = text_of(c, "p.found").await;
        assert!(found.contains("patch-id, high"), "{found}");
        // Applied with changes: the diff of the posted diff to the commit's
        // (the maintainer added a comment line).
        c.goto(&format!("{base}/c/b5683f45d9f4")).await.unwrap();
        let changed = text_of(c, "pre.interdiff").await;
        assert!(changed.contains("allow to skip tests"), "{changed}");
        // Named later by a Fixes: tag.
        c.goto(&format!("{base}/c/e7e2cb61fa9f")).await.unwrap();
        c.find(Locator::Css(
            "section.mentions a[href*='20210818212440.2224127-1-lucas.demarchi@intel.com']",
        ))
        .await
        .expect("the later fix is listed");
    });
}

/// Waits until the server on `port` has read the repository: `path`, a
/// commit page, stops answering 503.
fn wait_for_commits(port: u16, path: &str) {
    let start = Instant::now();
    loop {
        let (status, _) = http_get(port, path);
        if status == 200 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(180),
            "{path} still answers {status}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// `GET path` on the server on `port`: status (0 when it cannot be
/// reached) and body.
fn http_get(port: u16, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let Ok(mut conn) = TcpStream::connect(("127.0.0.1", port)) else {
        return (0, String::new());
    };
    let _ = write!(conn, "GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n");
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    let status = answer.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    (status, body.to_string())
}
