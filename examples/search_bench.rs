//! # Search latency over an archive
//!
//! Opens a data dir that has been imported (the benchmark script imports
//! linux-kbuild), then runs a fixed set of realistic queries many times and
//! prints each query's median and p99, and p50/p99 over all runs. Queries are
//! parsed, run, and their first page of hits fetched with snippets: the work
//! a search page does.
//!
//! ```sh
//! cargo run --release --example search_bench -- DATA_DIR [RUNS]
//! ```

use std::time::Instant;

use whosaid::index::{Index, SearchOptions, Sort};

/// Words, phrases, authors, original/quoted, diffs, trailers, dates,
/// operators, wildcards: what a maintainer types.
const QUERIES: [&str; 24] = [
    "reproducible",
    "\"section mismatch\"",
    "f:chancellor",
    "s:\"scripts/kallsyms\"",
    "q:kallsyms",
    "nq:kallsyms",
    "b:kallsyms",
    "d:2023-01-01..2023-02-01",
    "clang AND lto",
    "m:20200624203200.78870-1-samitolvanen@google.com",
    "dfn:scripts/Makefile.modpost",
    "dfn:Kconfig s:kconfig",
    "dfb:CONFIG_LTO_CLANG",
    "dfhh:modpost",
    "tr:reviewed-by f:nathan",
    "tr:tested-by d:2022-01-01..2022-12-31",
    "s:kbuild d:2021-01-01..2021-12-31",
    "nq:\"looks good to me\"",
    "kern* -rust",
    "rust OR clang OR gcc",
    "(modpost OR kallsyms) NOT s:re",
    "a:masahiroy@kernel.org s:\"PATCH v2\"",
    "\"reviewed by\"",
    "l:linux-kbuild s:fix",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let data = args.next().ok_or("usage: search_bench DATA_DIR [RUNS]")?;
    let runs: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(50);
    let index = Index::open(std::path::Path::new(&data))?;
    let now = chrono::Utc::now().timestamp();
    let opts = SearchOptions {
        limit: 20,
        offset: 0,
        sort: Sort::Date,
        snippets: true,
    };
    // Snippets of hits matched only in quotes come from the store, as in
    // `whosaid search` and the web page.
    let stores = whosaid::store::Pool::new(std::path::Path::new(&data), None);
    let quoted = |row| stores.with(|s| s.quoted_text(row)).ok();
    let mut all = Vec::new();
    println!("| query | hits | median ms | p99 ms |\n| --- | ---: | ---: | ---: |");
    for q in QUERIES {
        let parsed = whosaid::query::parse(q, now)?;
        let total = index.search(&parsed, opts, &quoted)?.total; // warm up
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let started = Instant::now();
            let parsed = whosaid::query::parse(q, now)?;
            let results = index.search(&parsed, opts, &quoted)?;
            std::hint::black_box(results);
            times.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "| `{q}` | {total} | {:.2} | {:.2} |",
            pct(&times, 50.0),
            pct(&times, 99.0)
        );
        all.extend(times);
    }
    all.sort_by(f64::total_cmp);
    println!(
        "\nall {} runs: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        all.len(),
        pct(&all, 50.0),
        pct(&all, 99.0),
        all[all.len() - 1]
    );
    Ok(())
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    let i = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[i]
}
