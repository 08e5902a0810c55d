//! # Where a thread page's time goes
//!
//! Times each step of rendering one thread page on an imported archive:
//! loading the thread, parsing its messages, the consensus engine, and the
//! whole page through the router (in-process, no socket). Medians of 21.
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
    let inputs = store.consensus_inputs(&view)?;
    println!("{} messages", view.nodes.len());
    println!(
        "load thread      {:7.2} ms",
        time(|| store.thread(&msgid).unwrap())
    );
    println!(
        "parse bodies     {:7.2} ms",
        time(|| store.consensus_inputs(&view).unwrap())
    );
    println!(
        "consensus        {:7.2} ms",
        time(|| whosaid::consensus::analyze(&inputs))
    );
    let open = || {
        let state = whosaid::web::AppState::open(whosaid::web::Config {
            data: data.clone(),
            base_url: "https://example.org".into(),
            mailmap: None,
            maintainers: None,
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
    let app = open();
    println!("page bytes       {:7}", get(&app));
    println!(
        "page, first view {:7.2} ms (thread read, rendered)",
        time(|| get(&open()))
    );
    println!(
        "page, cached     {:7.2} ms (thread unchanged)",
        time(|| get(&app))
    );
    Ok(())
}
