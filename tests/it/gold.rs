//! The positions engine against the hand-labelled gold sets of
//! `tests/gold/`, pooled per corpus, held to the figures recorded in
//! `tests/gold/SNAPSHOT.tsv`: a change that lowers any of them fails here.
//! A change that raises them updates the snapshot on purpose, in a commit
//! of its own (the failure message prints the line to write).

use std::path::Path;

use crate::support::{kbuild_data, modules_data};

/// The figures a snapshot line holds, in its column order.
fn figures(score: &whosaid::gold::Score) -> Vec<f64> {
    let f = |x: Option<f64>| (x.unwrap_or(0.0) * 100.0).round() / 100.0;
    vec![
        f(score.precision("support")),
        f(score.recall("support")),
        f(score.precision("oppose")),
        f(score.recall("oppose")),
        f(Some(score.authors.0 as f64 / score.authors.1.max(1) as f64)),
        f(Some(
            score.trailers_exact as f64 / score.trailers_total.max(1) as f64,
        )),
    ]
}

fn check(name: &str, data: &Path, files: &[&str]) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/gold");
    let mut all = String::new();
    for f in files {
        all.push_str(&std::fs::read_to_string(root.join(f)).unwrap());
        all.push('\n');
    }
    let set = whosaid::gold::parse(&all).unwrap();
    let store = whosaid::store::Store::open(data).unwrap();
    let score = whosaid::gold::score(&store, &set).unwrap();
    let got = figures(&score);
    let snapshot = std::fs::read_to_string(root.join("SNAPSHOT.tsv")).unwrap();
    let line = snapshot
        .lines()
        .find(|l| l.split('\t').next() == Some(name))
        .unwrap_or_else(|| panic!("SNAPSHOT.tsv has no line for {name}"));
    let want: Vec<f64> = line
        .split('\t')
        .skip(1)
        .map(|x| x.parse().unwrap())
        .collect();
    let columns = [
        "support precision",
        "support recall",
        "oppose precision",
        "oppose recall",
        "authors",
        "trailers exact",
    ];
    let now: Vec<String> = got.iter().map(|x| format!("{x:.2}")).collect();
    let lower: Vec<String> = columns
        .iter()
        .zip(got.iter().zip(&want))
        .filter(|(_, (g, w))| **g + 1e-9 < **w)
        .map(|(c, (g, w))| format!("{c} {g:.2} < {w:.2}"))
        .collect();
    assert!(
        lower.is_empty(),
        "{name}: the engine scores lower than the snapshot: {}\nnow: {name}\t{}\n{}",
        lower.join(", "),
        now.join("\t"),
        score.report()
    );
}

#[test]
fn linux_kbuild_gold_sets_hold_their_figures() {
    let sets = [
        "linux-kbuild-dev1.tsv",
        "linux-kbuild-dev2.tsv",
        "linux-kbuild-dev3.tsv",
        "linux-kbuild-heldout.tsv",
        "linux-kbuild-heldout2.tsv",
        "linux-kbuild-heldout3.tsv",
        "linux-kbuild-heldout4.tsv",
        "linux-kbuild-heldout5.tsv",
        "linux-kbuild-heldout6.tsv",
        "linux-kbuild-heldout7.tsv",
    ];
    check("linux-kbuild", kbuild_data(), &sets);
}

#[test]
fn linux_modules_gold_sets_hold_their_figures() {
    check(
        "linux-modules",
        modules_data(),
        &[
            "linux-modules-blind1.tsv",
            "linux-modules-blind2.tsv",
            "linux-modules-blind3.tsv",
            "linux-modules-blind4.tsv",
        ],
    );
}
