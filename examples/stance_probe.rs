//! What the prose rules find in each line of standard input: the quickest
//! way to see why a sentence did or did not count.
//!
//! ```text
//! $ echo "I believe this patch series is wrong." | cargo run --example stance_probe
//! I believe this patch series is wrong.  => objection (objection)
//! ```
use std::io::BufRead;

fn main() -> std::io::Result<()> {
    for line in std::io::stdin().lock().lines() {
        let line = line?;
        let (found, _) = whosaid::stance::read(&line);
        let found: Vec<String> = found
            .iter()
            .map(|f| {
                let cond = if f.conditional {
                    ", on a condition"
                } else {
                    ""
                };
                format!("{} ({}{cond})", f.rule.as_str(), f.kind.as_str())
            })
            .collect();
        println!("{line}  => {}", found.join("; "));
    }
    Ok(())
}
