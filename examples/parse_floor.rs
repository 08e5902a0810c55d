//! # The floors: split and parse an mbox (and index it), store nothing
//!
//! This is the work an import cannot avoid: reading the bytes, splitting them
//! into messages and parsing each one (headers, MIME, body segmentation). The
//! benchmarks (`bench/import.sh`, `bench/compare.sh`) run it beside `whosaid
//! import` so the import's cost is reported as a ratio to this floor,
//! measured in the same run.
//!
//! With `--index DIR` it also indexes every message into a new search index
//! in `DIR`, as the import does, but keeps no store: no raw copies, no
//! compression, no SQLite, no threading. That is the parse-plus-index floor.
//!
//! ```sh
//! cargo run --release --example parse_floor -- ../shared/corpora/linux-kbuild/*.mbox
//! cargo run --release --example parse_floor -- --index /tmp/floor ../shared/corpora/linux-kbuild/*.mbox
//! ```

use std::time::Instant;

use whosaid::index::{Index, IndexDoc};
use whosaid::mbox::{Item, MboxReader};
use whosaid::message::{self, ParseOutcome};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let index_dir = match args.first().map(String::as_str) {
        Some("--index") if args.len() > 1 => {
            let dir = args[1].clone();
            args.drain(..2);
            Some(dir)
        }
        _ => None,
    };
    let index = match &index_dir {
        Some(dir) => Some(Index::open_for_writing(std::path::Path::new(dir))?),
        None => None,
    };
    let mut writer = match &index {
        Some(i) => Some(i.writer()?),
        None => None,
    };
    let lists = ["linux-kbuild".to_string()];
    let started = Instant::now();
    let (mut messages, mut bytes, mut segments) = (0u64, 0u64, 0usize);
    for path in &args {
        // The splitter streams: memory stays bounded by the largest message.
        for item in MboxReader::new(std::fs::File::open(path)?) {
            let Item::Message(raw) = item? else { continue };
            bytes += raw.bytes.len() as u64;
            // Parsing never fails; a message without headers is reported.
            if let ParseOutcome::Message(m, _warnings) = message::parse(&raw.bytes) {
                // The one function that decides what is quoted.
                segments += whosaid::quote::segment(&m.body).len();
                messages += 1;
                if let Some(w) = writer.as_mut() {
                    w.upsert(messages as i64, &IndexDoc::from_message(&m), &lists, false)?;
                }
            }
        }
    }
    let what = if let Some(w) = writer {
        w.commit(messages as i64)?;
        "parse + index floor"
    } else {
        "parse floor"
    };
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{what}: {messages} messages, {:.1} MB, {segments} segments in {secs:.2} s ({:.0} messages/s, {:.1} MB/s, parsing on 1 thread)",
        bytes as f64 / 1e6,
        messages as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
