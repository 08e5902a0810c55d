//! # Where a thread page's time goes
//!
//! Times each step of rendering one thread page on an imported archive:
//! loading the thread, parsing its messages, the consensus engine, and the
//! whole page through the router (in-process, no socket). Medians of 21.
//! `PAGE_BENCH_PROFILE=consensus|analysis|page` repeats just that step 300
//! times, for `perf record`.
//!
//! ```sh
//! cargo run --release --example page_bench -- DATA_DIR LIST MSGID
//! ```

use std::sync::Arc;
use std::time::Instant;

use tower::ServiceExt;
use whosaid::store::Store;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn time<T>(mut f: impl FnMut() -> T) -> f64 {
    median(
        (0..21)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed().as_secs_f64() * 1e3
            })
            .collect(),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(list), Some(msgid)) = (args.next(), args.next(), args.next()) else {
        return Err("usage: page_bench DATA_DIR LIST MSGID".into());
    };
    let data = std::path::PathBuf::from(data);
    let store = Store::open(&data)?;
    let view = store.thread(&msgid)?.ok_or("no such message")?;
    let inputs = whosaid::archive::consensus_inputs(&store, &view)?;
    println!("{} messages", view.nodes.len());
    // For a profiler: one step, 300 times, and nothing else.
    let profile = std::env::var("PAGE_BENCH_PROFILE").unwrap_or_default();
    if profile == "consensus" {
        for _ in 0..300 {
            std::hint::black_box(whosaid::consensus::analyze(&inputs));
        }
        return Ok(());
    }
    println!(
        "load thread      {:7.2} ms",
        time(|| store.thread(&msgid).unwrap())
    );
    let rows: Vec<i64> = view.nodes.iter().filter_map(|n| n.row).collect();
    println!(
        "read raws        {:7.2} ms",
        time(|| store.canonical_raws(&rows).unwrap())
    );
    let raws = store.canonical_raws(&rows)?;
    // The machine's speed right now (it varies on a shared host): one
    // sha256 pass over the thread's bytes, the least any reader does.
    let baseline = time(|| {
        use sha2::Digest;
        raws.iter().map(sha2::Sha256::digest).collect::<Vec<_>>()
    });
    println!(
        "baseline         {:7.2} ms (sha256 of the thread's {} bytes)",
        baseline,
        raws.iter().map(Vec::len).sum::<usize>()
    );
    println!(
        "parse raws       {:7.2} ms (every header, one thread)",
        time(|| {
            raws.iter()
                .map(|r| whosaid::message::parse(r))
                .collect::<Vec<_>>()
        })
    );
    println!(
        "read+decode      {:7.2} ms (bodies only, every core)",
        time(|| whosaid::archive::consensus_inputs(&store, &view).unwrap())
    );
    println!(
        "consensus        {:7.2} ms",
        time(|| whosaid::consensus::analyze(&inputs))
    );
    let open = || {
        let state = whosaid::web::AppState::open(whosaid::web::Config {
            data: data.clone(),
            base_url: Some("https://example.org".into()),
            mailmap: None,
            maintainers: None,
            repo: None,
        })
        .unwrap();
        whosaid::web::router(Arc::new(state))
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let uri = format!("/{list}/{}/T/", whosaid::links::encode_message_id(&msgid));
    let get = |app: &axum::Router| {
        rt.block_on(async {
            let resp = app
                .clone()
                .oneshot(
                    axum::http::Request::get(&uri)
                        .body(axum::body::Body::empty())
                        .unwrap(),
                )
                .await
                .unwrap();
            axum::body::to_bytes(resp.into_body(), usize::MAX)
                .await
                .unwrap()
                .len()
        })
    };
    println!("open archive     {:7.2} ms", time(open));
    let state = Arc::new(whosaid::web::AppState::open(whosaid::web::Config {
        data: data.clone(),
        base_url: Some("https://example.org".into()),
        mailmap: None,
        maintainers: None,
        repo: None,
    })?);
    let app = whosaid::web::router(state.clone());
    println!("page bytes       {:7}", get(&app));
    println!(
        "page, new server {:7.2} ms (archive opened, thread read, rendered)",
        time(|| get(&open()))
    );
    println!(
        "thread analysed  {:7.2} ms (read, decoded, segmented, consensus; the rest is the page)",
        time(|| {
            state.clear_caches();
            state.thread(&msgid).unwrap()
        })
    );
    if profile == "page" {
        for _ in 0..300 {
            state.clear_caches();
            get(&app);
        }
        return Ok(());
    }
    if profile == "analysis" {
        for _ in 0..300 {
            state.clear_caches();
            std::hint::black_box(state.thread(&msgid).unwrap());
        }
        return Ok(());
    }
    let mut runs: Vec<f64> = (0..41)
        .map(|_| {
            state.clear_caches();
            let t = Instant::now();
            std::hint::black_box(get(&app));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    let first = runs[runs.len() / 2];
    println!(
        "page, first view {first:7.2} ms (running server, thread read, rendered; {:.1}x baseline; fastest {:.2} ms, slowest {:.2} ms of {})",
        first / baseline,
        runs[0],
        runs[runs.len() - 1],
        runs.len()
    );
    println!(
        "page, cached     {:7.2} ms (thread unchanged)",
        time(|| get(&app))
    );
    Ok(())
}
