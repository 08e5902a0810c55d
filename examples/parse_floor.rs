//! # The parse floor: split and parse an mbox, store nothing
//!
//! This is the work an import cannot avoid: reading the bytes, splitting them
//! into messages and parsing each one (headers, MIME, body segmentation). The
//! import benchmark (`bench/import.sh`) runs it beside `whosaid import` so the
//! import's cost is reported as a ratio to this floor, measured in the same run.
//!
//! ```sh
//! cargo run --release --example parse_floor -- ../shared/corpora/linux-kbuild/*.mbox
//! ```

use std::time::Instant;

use whosaid::mbox::{Item, MboxReader};
use whosaid::message::{self, ParseOutcome};

fn main() -> std::io::Result<()> {
    let started = Instant::now();
    let (mut messages, mut bytes, mut segments) = (0u64, 0u64, 0usize);
    for path in std::env::args().skip(1) {
        // The splitter streams: memory stays bounded by the largest message.
        for item in MboxReader::new(std::fs::File::open(&path)?) {
            let Item::Message(raw) = item? else { continue };
            bytes += raw.bytes.len() as u64;
            // Parsing never fails; a message without headers is reported.
            if let ParseOutcome::Message(m, _warnings) = message::parse(&raw.bytes) {
                // The one function that decides what is quoted.
                segments += whosaid::quote::segment(&m.body).len();
                messages += 1;
            }
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "parse floor: {messages} messages, {:.1} MB, {segments} segments in {secs:.2} s ({:.0} messages/s, {:.1} MB/s, 1 thread)",
        bytes as f64 / 1e6,
        messages as f64 / secs,
        bytes as f64 / 1e6 / secs
    );
    Ok(())
}
