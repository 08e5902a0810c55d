//! # Evaluating the consensus engine against a hand-labelled gold set
//!
//! `tests/gold/*.tsv` hold, for real threads, every participant's
//! final position and every trailer a reply credits to a patch, labelled by
//! reading the threads (see the file's header). This prints precision and
//! recall per stance, the confusion matrix, every disagreement, and the share
//! of patches whose credited trailers are exactly the labelled ones.
//!
//! ```sh
//! cargo run --release --example gold_eval -- DATA_DIR tests/gold/linux-kbuild-heldout.tsv
//! ```

use std::collections::{BTreeMap, BTreeSet};

use whosaid::consensus;
use whosaid::stance::Stance;
use whosaid::store::Store;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(data), Some(gold)) = (args.next(), args.next()) else {
        return Err("usage: gold_eval DATA_DIR GOLD_TSV".into());
    };
    let store = Store::open(std::path::Path::new(&data))?;
    let text = std::fs::read_to_string(&gold)?;
    let mut stances: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    let mut trailers: BTreeMap<String, BTreeSet<(String, String)>> = BTreeMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let cols: Vec<&str> = line.split('\t').collect();
        match cols.as_slice() {
            ["stance", root, email, label] => stances
                .entry(root.to_string())
                .or_default()
                .push((email.to_string(), label.to_string())),
            ["trailer", patch, name, email] => {
                trailers
                    .entry(patch.to_string())
                    .or_default()
                    .insert((name.to_lowercase(), email.to_string()));
            }
            ["patch", patch] => {
                trailers.entry(patch.to_string()).or_default();
            }
            _ => return Err(format!("bad gold line: {line:?}").into()),
        }
    }
    let labels = ["support", "oppose", "neutral"];
    let mut confusion: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut misses = Vec::new();
    for (root, people) in &stances {
        let view = store
            .thread(root)?
            .ok_or_else(|| format!("thread {root} not in the archive"))?;
        let c = consensus::analyze(&store.consensus_inputs(&view)?);
        for (email, gold_label) in people {
            let found = c
                .positions
                .iter()
                .find(|p| p.person.email == *email || p.aliases.iter().any(|a| a == email))
                .map_or(Stance::Neutral, |p| p.stance);
            let got = found.as_str().to_string();
            *confusion
                .entry((gold_label.clone(), got.clone()))
                .or_default() += 1;
            if got != *gold_label {
                let why = c
                    .positions
                    .iter()
                    .find(|p| p.person.email == *email || p.aliases.iter().any(|a| a == email))
                    .and_then(|p| p.evidence())
                    .map(|s| format!("{}: {}", s.kind.as_str(), s.evidence))
                    .unwrap_or_else(|| "no signal".into());
                misses.push(format!(
                    "  {root} {email}: gold {gold_label}, got {got} ({})",
                    why.chars().take(100).collect::<String>()
                ));
            }
        }
    }
    println!(
        "stance, {} labelled positions in {} threads\n",
        confusion.values().sum::<usize>(),
        stances.len()
    );
    println!("| gold \\ whosaid | support | oppose | neutral |\n| --- | ---: | ---: | ---: |");
    for g in labels {
        let row: Vec<String> = labels
            .iter()
            .map(|w| {
                confusion
                    .get(&(g.to_string(), w.to_string()))
                    .copied()
                    .unwrap_or(0)
                    .to_string()
            })
            .collect();
        println!("| {g} | {} |", row.join(" | "));
    }
    println!("\n| stance | precision | recall |\n| --- | ---: | ---: |");
    for l in labels {
        let tp = confusion
            .get(&(l.to_string(), l.to_string()))
            .copied()
            .unwrap_or(0) as f64;
        let predicted: usize = labels
            .iter()
            .map(|g| {
                confusion
                    .get(&(g.to_string(), l.to_string()))
                    .copied()
                    .unwrap_or(0)
            })
            .sum();
        let actual: usize = labels
            .iter()
            .map(|w| {
                confusion
                    .get(&(l.to_string(), w.to_string()))
                    .copied()
                    .unwrap_or(0)
            })
            .sum();
        let ratio = |n: f64, d: usize| {
            if d == 0 {
                "-".to_string()
            } else {
                format!("{:.2}", n / d as f64)
            }
        };
        println!("| {l} | {} | {} |", ratio(tp, predicted), ratio(tp, actual));
    }
    if !misses.is_empty() {
        println!("\ndisagreements:\n{}", misses.join("\n"));
    }
    // Trailer attribution: exact set per patch.
    let mut exact = 0;
    let mut trailer_misses = Vec::new();
    for (patch, want) in &trailers {
        let view = store
            .thread(patch)?
            .ok_or_else(|| format!("patch {patch} not in the archive"))?;
        let c = consensus::analyze(&store.consensus_inputs(&view)?);
        let got: BTreeSet<(String, String)> = c
            .patches
            .iter()
            .find(|p| p.message_id == *patch)
            .map(|p| {
                p.trailers
                    .iter()
                    .filter(|t| t.verified && !t.conditional)
                    .map(|t| (t.name.to_lowercase(), t.person.email.clone()))
                    .collect()
            })
            .unwrap_or_default();
        if got == *want {
            exact += 1;
        } else {
            trailer_misses.push(format!("  {patch}: gold {want:?}, got {got:?}"));
        }
    }
    println!(
        "\ntrailer attribution: {exact} of {} patches exact",
        trailers.len()
    );
    if !trailer_misses.is_empty() {
        println!("{}", trailer_misses.join("\n"));
    }
    Ok(())
}
