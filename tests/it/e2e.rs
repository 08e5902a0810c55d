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

#[test]
fn thread_page_in_a_real_browser() {
    let chromium = tool("chromium");
    let chromedriver = tool("chromedriver");
    let data = tempfile::tempdir().unwrap();
    let samples = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-mboxes");
    let out = crate::support::whosaid(data.path(), &["import", samples.to_str().unwrap()]);
    assert!(out.status.success(), "{}", crate::support::text(&out));

    let port = free_port();
    let _server = start(
        Command::new(env!("CARGO_BIN_EXE_whosaid"))
            .arg("--data")
            .arg(data.path())
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")]),
    );
    wait_for(port, "whosaid serve");
    let dport = free_port();
    let _driver = start(Command::new(&chromedriver).arg(format!("--port={dport}")));
    wait_for(dport, "chromedriver");

    let base = format!("http://127.0.0.1:{port}");
    let shot = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/e2e/thread.png");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            serde_json::json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1280,1800"],
            }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&format!("http://127.0.0.1:{dport}"))
            .await
            .expect("chromedriver session");

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

        std::fs::create_dir_all(shot.parent().unwrap()).unwrap();
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
        let hits = c
            .find(Locator::Css("ol.hits"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
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
