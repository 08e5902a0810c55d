//! # How many series span more than one version, and how they were linked
//!
//! Reads every thread of an imported archive whose root posts a patch,
//! gathers each series once (by the set of its versions' threads) and
//! counts the series with more than one version, per way a version was
//! linked. With `--show N`, prints N versions linked only by their patch
//! subjects (the cover letter renamed or missing), beside the version
//! before them, for checking by hand; `--unlinked N` prints N pairs of
//! single-version series by the same sender that share a patch subject
//! but were not linked.
//!
//! ```sh
//! cargo run --release --example series_census -- DATA_DIR [--show 20] [--unlinked 20]
//! ```

use std::collections::{BTreeMap, BTreeSet};

use whosaid::store::{Series, Store};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let data = std::path::Path::new(args.get(1).ok_or("give a data dir")?);
    let flag = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0)
    };
    let store = Store::open(data)?;
    let mut seen: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut all: Vec<Series> = Vec::new();
    for root in store.thread_roots()? {
        let Some(series) = store.series_outline(&root)? else {
            continue;
        };
        // One series however it was reached: by every message it holds.
        let mut key: Vec<String> = series
            .versions
            .iter()
            .flat_map(|v| v.cover.iter().chain(&v.patches))
            .map(|p| p.message_id.clone())
            .collect();
        key.sort();
        if seen.insert(key) {
            all.push(series);
        }
    }
    report(&all);
    show_patch_subject_links(&all, flag("--show"));
    show_unlinked(&all, flag("--unlinked"));
    Ok(())
}

/// Series, those with more than one version, and versions per link.
fn report(all: &[Series]) {
    let multi: Vec<&Series> = all.iter().filter(|s| s.versions.len() > 1).collect();
    let only_by_subjects = multi
        .iter()
        .filter(|s| {
            let others = s
                .versions
                .iter()
                .filter(|v| v.linked_by != "patch-subjects");
            others.count() < 2
        })
        .count();
    let mut by: BTreeMap<&str, usize> = BTreeMap::new();
    for s in &multi {
        for v in &s.versions {
            *by.entry(v.linked_by).or_default() += 1;
        }
    }
    println!("series: {}", all.len());
    println!("with more than one version: {}", multi.len());
    println!("  of which more than one version only through patch subjects: {only_by_subjects}");
    println!("versions in them, by how linked: {by:?}");
}

/// Versions linked by patch subjects alone, each beside the version before.
fn show_patch_subject_links(all: &[Series], n: usize) {
    let mut shown = 0;
    for s in all {
        for w in s.versions.windows(2) {
            if shown >= n
                || w[1].linked_by != "patch-subjects" && w[0].linked_by != "patch-subjects"
            {
                continue;
            }
            shown += 1;
            println!("\n{shown}. {} <{}>", s.sender.display(), s.sender.email);
            for v in w {
                let first = v.cover.as_ref().or(v.patches.first());
                let subject = first.map_or("", |p| p.subject.as_str());
                println!(
                    "   v{} ({}) {} <{}>",
                    v.version, v.linked_by, subject, v.thread_root
                );
            }
        }
    }
}

/// Single-version series by one sender sharing a patch subject.
fn show_unlinked(all: &[Series], n: usize) {
    let single: Vec<&Series> = all.iter().filter(|s| s.versions.len() == 1).collect();
    let mut by_subject: BTreeMap<(String, String), Vec<&Series>> = BTreeMap::new();
    for s in &single {
        for p in &s.versions[0].patches {
            let base = whosaid::series::parse_subject(&p.subject).base;
            let group = by_subject
                .entry((s.sender.email.clone(), base))
                .or_default();
            if !group.iter().any(|g| std::ptr::eq(*g, *s)) {
                group.push(s);
            }
        }
    }
    let mut shown = 0;
    for ((who, base), group) in by_subject.iter().filter(|(_, g)| g.len() > 1) {
        if shown >= n {
            break;
        }
        shown += 1;
        println!("\nunlinked {shown}. {who}: \"{base}\"");
        for s in group.iter().take(2) {
            let v = &s.versions[0];
            let first = v.cover.as_ref().or(v.patches.first());
            println!(
                "   v{} {} patch(es) {} <{}>",
                v.version,
                v.patches.len(),
                first.map_or("", |p| p.subject.as_str()),
                v.thread_root
            );
        }
    }
}
