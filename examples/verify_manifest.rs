//! # Checking a store against a corpus manifest
//!
//! Every message of `../shared/corpora/*` is listed in its `MANIFEST.tsv` with
//! the sha256 of its original bytes. After an import, every one of them must be
//! in the store byte for byte. The store checks each copy against its own
//! checksum as it reads it back, so a pass here means: decompressed, verified,
//! and equal to the original.
//!
//! ```sh
//! cargo run --release --example verify_manifest -- DATA_DIR ../shared/corpora/linux-kbuild
//! ```

use std::collections::HashSet;
use std::path::PathBuf;

use sha2::{Digest, Sha256};
use whosaid::store::{Store, hex};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(corpus)) = (args.next(), args.next()) else {
        return Err("usage: verify_manifest DATA_DIR CORPUS_DIR".into());
    };
    let store = Store::open(&PathBuf::from(data))?;
    // Both the exact bytes and the bytes without a final newline: the corpus
    // builder added a newline to messages that had none (`added_final_newline`).
    let (mut exact, mut stripped) = (HashSet::new(), HashSet::new());
    let copies = store.for_each_raw(|sha, raw| {
        exact.insert(hex(sha));
        if let Some(s) = raw.strip_suffix(b"\n") {
            stripped.insert(hex(&Sha256::digest(s)));
        }
    })?;
    let manifest = std::fs::read_to_string(PathBuf::from(&corpus).join("MANIFEST.tsv"))?;
    let (mut rows, mut missing) = (0, 0);
    for line in manifest.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        rows += 1;
        let found = exact.contains(cols[6]) || cols[5] == "1" && stripped.contains(cols[6]);
        if !found {
            missing += 1;
            eprintln!(
                "missing: message {} ({} at byte {})",
                cols[0], cols[1], cols[2]
            );
        }
    }
    println!("{corpus}: {rows} manifest rows, {copies} stored copies checked, {missing} missing");
    if missing > 0 {
        return Err(format!("{missing} messages are not stored byte-exact").into());
    }
    Ok(())
}
