//! # How long a series page takes to show ten versions of thirty patches
//!
//! Writes a series of 10 versions x 30 patches (each version in its own
//! thread, a reviewer's tag on every patch of every version, a change
//! request on one patch per version, a third of the patches changed in
//! each version), imports it into a temporary data dir, and times the
//! series page on a running server: first view (caches cleared: every
//! version's thread read, every patch's patch-id, the ledger) and cached.
//! The newest version's thread page is timed alike as the same-run
//! baseline. Medians of 21.
//!
//! ```sh
//! cargo run --release --example series_bench
//! ```

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Instant;

use tower::ServiceExt;

const VERSIONS: u32 = 10;
const PATCHES: u32 = 30;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mbox = dir.path().join("series.mbox");
    std::fs::write(&mbox, series_mbox())?;
    let data = dir.path().join("data");
    let _lock = whosaid::import::lock_data_dir(&data)?;
    let mut archive = whosaid::archive::Archive::open_store_only(&data)?;
    let index = archive.index_for_writing()?;
    let inputs = [whosaid::import::Input::Mbox(mbox)];
    let config = whosaid::import::ImportConfig::default();
    let report = whosaid::import::import(archive.store_mut(), &index, &inputs, &config, |_| {})?;
    let versions = archive
        .store()
        .series(&cover(VERSIONS))?
        .map_or(0, |s| s.versions.len());
    println!(
        "imported {} messages; the series has {versions} versions",
        report.stored
    );
    let state = Arc::new(whosaid::web::AppState::open(whosaid::web::Config {
        data: data.clone(),
        base_url: Some("https://example.org".into()),
        mailmap: None,
        maintainers: None,
        repo: None,
    })?);
    let app = whosaid::web::router(state.clone());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let get = |uri: &str| {
        rt.block_on(async {
            let req = axum::http::Request::get(uri)
                .body(axum::body::Body::empty())
                .unwrap();
            let resp = app.clone().oneshot(req).await.unwrap();
            assert_eq!(resp.status(), 200, "{uri}");
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap()
                .len()
        })
    };
    let newest = format!("/l/{}/", cover(VERSIONS));
    for (what, uri) in [
        ("thread page (baseline)", format!("{newest}T/")),
        ("series page", format!("{newest}series/")),
    ] {
        let bytes = get(&uri);
        let first = median(|| {
            state.clear_caches();
            get(&uri);
        });
        let cached = median(|| {
            get(&uri);
        });
        println!("{what:24} first view {first:7.2} ms, cached {cached:6.2} ms, {bytes} bytes");
    }
    Ok(())
}

fn median(mut f: impl FnMut()) -> f64 {
    let mut runs: Vec<f64> = (0..21)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[runs.len() / 2]
}

fn cover(v: u32) -> String {
    format!("v{v}-0@bench.example")
}

/// The series as one mbox.
fn series_mbox() -> String {
    let mut out = String::new();
    let mut minute = 0;
    for v in 1..=VERSIONS {
        let tag = if v == 1 {
            String::new()
        } else {
            format!(" v{v}")
        };
        let changes = if v == 1 {
            String::new()
        } else {
            format!(
                "Changes in v{v}:\n- rework patches {} and {}\n",
                v % PATCHES + 1,
                (v * 7) % PATCHES + 1
            )
        };
        let root = cover(v);
        mail(
            &mut out,
            &root,
            None,
            "Ann Author <ann@bench.example>",
            &format!("[PATCH{tag} 00/{PATCHES}] bench: a long series"),
            &format!("Thirty patches.\n\n{changes}"),
            &mut minute,
        );
        for n in 1..=PATCHES {
            let id = format!("v{v}-{n}@bench.example");
            // A third of the patches change in each version.
            let rev = if n % 3 == v % 3 { v } else { 0 };
            let body = format!(
                "Patch {n}.\n\nSigned-off-by: Ann Author <ann@bench.example>\n---\ndiff --git a/f{n}.c b/f{n}.c\nindex 1111111..2222222 100644\n--- a/f{n}.c\n+++ b/f{n}.c\n@@ -1,3 +1,3 @@\n context\n-old {n}\n+new {n} rev {rev}\n context\n-- \n2.43.0\n"
            );
            mail(
                &mut out,
                &id,
                Some(&root),
                "Ann Author <ann@bench.example>",
                &format!("[PATCH{tag} {n:02}/{PATCHES}] bench: step {n}"),
                &body,
                &mut minute,
            );
            let reply = format!("r{v}-{n}@bench.example");
            let text = if n == v {
                "Please split this into two patches.\n"
            } else {
                "Looks good.\n\nReviewed-by: Rita Reviewer <rita@bench.example>\n"
            };
            mail(
                &mut out,
                &reply,
                Some(&id),
                "Rita Reviewer <rita@bench.example>",
                &format!("Re: [PATCH{tag} {n:02}/{PATCHES}] bench: step {n}"),
                &format!("> Patch {n}.\n\n{text}"),
                &mut minute,
            );
        }
    }
    out
}

fn mail(
    out: &mut String,
    id: &str,
    parent: Option<&str>,
    from: &str,
    subject: &str,
    body: &str,
    minute: &mut i64,
) {
    *minute += 1;
    let date = chrono::DateTime::from_timestamp(1_700_000_000 + *minute * 60, 0).unwrap();
    let _ = write!(
        out,
        "From mboxrd@z Thu Jan  1 00:00:00 1970\nFrom: {from}\nTo: l@bench.example\nList-Id: <l.bench.example>\nSubject: {subject}\nDate: {}\nMessage-ID: <{id}>\n",
        date.to_rfc2822()
    );
    if let Some(p) = parent {
        let _ = write!(out, "In-Reply-To: <{p}>\nReferences: <{p}>\n");
    }
    let _ = write!(out, "\n{body}\n");
}
