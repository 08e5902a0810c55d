//! # Evaluating the consensus engine against a hand-labelled gold set
//!
//! `tests/gold/*.tsv` hold, for real threads, every participant's final
//! position and every trailer a reply credits to a patch, labelled blind
//! from the raw mail (see `tests/gold/LABELLING.md`). This prints precision
//! and recall per stance, the confusion matrix, authors, objection grades
//! and classes, every disagreement, and the share of patches whose credited
//! trailers are exactly the labelled ones. Several files are scored
//! together.
//!
//! ```sh
//! cargo run --release --example gold_eval -- DATA_DIR tests/gold/linux-modules-blind1.tsv
//! ```

use whosaid::gold;
use whosaid::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let Some(data) = args.next() else {
        return Err("usage: gold_eval DATA_DIR GOLD_TSV...".into());
    };
    let mut text = String::new();
    for path in args {
        text.push_str(&std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?);
        text.push('\n');
    }
    if text.is_empty() {
        return Err("usage: gold_eval DATA_DIR GOLD_TSV...".into());
    }
    let store = Store::open(std::path::Path::new(&data))?;
    let set = gold::parse(&text)?;
    print!("{}", gold::score(&store, &set)?.report());
    Ok(())
}
