//! Scoring the positions engine against hand-labelled gold sets.
//!
//! `tests/gold/*.tsv` hold, for real threads, every participant's final
//! position and every trailer a reply credits to a patch, labelled blind from
//! the raw mail (`tests/gold/LABELLING.md`). [`parse`] reads a set, [`score`]
//! runs the engine on each labelled thread of an imported archive and counts
//! agreement: precision and recall per stance, the grade of objections,
//! authors, objections by the class the labeller named, and the share of
//! patches whose credited trailers are exactly the labelled ones. The
//! `gold_eval` example prints it; a test holds the pooled figures to a
//! recorded snapshot.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::consensus::{self, Position};
use crate::stance::{Grade, Stance};
use crate::store::Store;

/// One labelled position.
#[derive(Debug, Clone)]
pub struct GoldStance {
    /// A Message-ID in the thread (its root, as labelled).
    pub root: String,
    /// The person's address.
    pub email: String,
    /// `support`, `oppose` or `neutral`.
    pub label: String,
    /// For objections: `changes` or `objects`, when labelled.
    pub grade: Option<String>,
    /// For objections: the labeller's class (`inline`, `agreement`, ...).
    pub class: Option<String>,
}

/// A gold set.
#[derive(Debug, Clone, Default)]
pub struct GoldSet {
    /// Positions, in file order.
    pub stances: Vec<GoldStance>,
    /// Per checked patch, the credited (trailer name lower-cased, address).
    pub trailers: BTreeMap<String, BTreeSet<(String, String)>>,
}

/// Reads a gold TSV (see `tests/gold/LABELLING.md`).
pub fn parse(text: &str) -> Result<GoldSet, String> {
    let mut set = GoldSet::default();
    let mut class = None;
    for (n, line) in text.lines().enumerate() {
        if let Some(rest) = line.strip_prefix("# class:") {
            let name = rest.split(';').next().unwrap_or("").trim();
            class = Some(name.to_string());
            continue;
        }
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let cols: Vec<&str> = line.split('\t').collect();
        match cols.as_slice() {
            ["stance", root, email, label, rest @ ..] if rest.len() <= 1 => {
                set.stances.push(GoldStance {
                    root: root.to_string(),
                    email: email.to_lowercase(),
                    label: label.to_string(),
                    grade: rest.first().map(|g| g.to_string()),
                    class: if *label == "oppose" {
                        class.take()
                    } else {
                        None
                    },
                });
                class = None;
            }
            ["trailer", patch, name, email] => {
                set.trailers
                    .entry(patch.to_string())
                    .or_default()
                    .insert((name.to_lowercase(), email.to_lowercase()));
            }
            ["patch", patch] => {
                set.trailers.entry(patch.to_string()).or_default();
            }
            _ => return Err(format!("line {}: not a gold line: {line:?}", n + 1)),
        }
    }
    Ok(set)
}

/// How the engine did on a gold set.
#[derive(Debug, Clone, Default)]
pub struct Score {
    /// (gold, whosaid) stance pairs and their counts.
    pub confusion: BTreeMap<(String, String), usize>,
    /// Every disagreement, one line each.
    pub misses: Vec<String>,
    /// Objections found, by the labeller's class: (found, labelled).
    pub classes: BTreeMap<String, (usize, usize)>,
    /// Objections found with the labelled grade: (same grade, found with a grade label).
    pub grades: (usize, usize),
    /// Patch authors: (right, labelled).
    pub authors: (usize, usize),
    /// Patches whose credited trailers are exactly the labelled ones.
    pub trailers_exact: usize,
    /// Patches checked.
    pub trailers_total: usize,
    /// Trailer disagreements.
    pub trailer_misses: Vec<String>,
}

const LABELS: [&str; 3] = ["support", "oppose", "neutral"];

impl Score {
    fn count(&self, gold: &str, got: &str) -> usize {
        self.confusion
            .get(&(gold.to_string(), got.to_string()))
            .copied()
            .unwrap_or(0)
    }

    /// Precision of a stance: of those whosaid gave it, how many were right.
    pub fn precision(&self, label: &str) -> Option<f64> {
        let given: usize = LABELS.iter().map(|g| self.count(g, label)).sum();
        (given > 0).then(|| self.count(label, label) as f64 / given as f64)
    }

    /// Recall of a stance: of those labelled with it, how many whosaid found.
    pub fn recall(&self, label: &str) -> Option<f64> {
        let labelled: usize = LABELS.iter().map(|w| self.count(label, w)).sum();
        (labelled > 0).then(|| self.count(label, label) as f64 / labelled as f64)
    }

    /// The report `gold_eval` prints.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let total: usize = self.confusion.values().sum();
        let _ = writeln!(out, "stance, {total} labelled positions\n");
        let _ = writeln!(
            out,
            "| gold \\ whosaid | support | oppose | neutral |\n| --- | ---: | ---: | ---: |"
        );
        for g in LABELS {
            let row: Vec<String> = LABELS
                .iter()
                .map(|w| self.count(g, w).to_string())
                .collect();
            let _ = writeln!(out, "| {g} | {} |", row.join(" | "));
        }
        let ratio = |r: Option<f64>| r.map_or("-".into(), |r| format!("{r:.2}"));
        let _ = writeln!(
            out,
            "\n| stance | precision | recall |\n| --- | ---: | ---: |"
        );
        for l in LABELS {
            let _ = writeln!(
                out,
                "| {l} | {} | {} |",
                ratio(self.precision(l)),
                ratio(self.recall(l))
            );
        }
        let _ = writeln!(
            out,
            "\nauthors: {} of {}; objection grades: {} of {} found objections graded as labelled",
            self.authors.0, self.authors.1, self.grades.0, self.grades.1
        );
        if !self.classes.is_empty() {
            let _ = writeln!(
                out,
                "\n| objection class | found | labelled |\n| --- | ---: | ---: |"
            );
            for (class, (found, labelled)) in &self.classes {
                let _ = writeln!(out, "| {class} | {found} | {labelled} |");
            }
        }
        if !self.misses.is_empty() {
            let _ = writeln!(out, "\ndisagreements:\n{}", self.misses.join("\n"));
        }
        let _ = writeln!(
            out,
            "\ntrailer attribution: {} of {} patches exact",
            self.trailers_exact, self.trailers_total
        );
        for m in &self.trailer_misses {
            let _ = writeln!(out, "{m}");
        }
        out
    }
}

/// An error while scoring: the store failed, or a labelled thread is not
/// in the archive.
#[derive(Debug, thiserror::Error)]
pub enum ScoreError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] crate::error::Error),
    /// A labelled Message-ID is not in the archive.
    #[error("{0} is not in the archive: import the corpus the gold set was labelled on")]
    Missing(String),
}

/// Runs the engine on every labelled thread and scores it.
pub fn score(store: &Store, set: &GoldSet) -> Result<Score, ScoreError> {
    let mut score = Score::default();
    let mut analysed: BTreeMap<String, consensus::Consensus> = BTreeMap::new();
    let mut analyse = |id: &str| -> Result<consensus::Consensus, ScoreError> {
        if let Some(c) = analysed.get(id) {
            return Ok(c.clone());
        }
        let view = store
            .thread(id)?
            .ok_or_else(|| ScoreError::Missing(id.to_string()))?;
        let c = consensus::analyze(&crate::archive::consensus_inputs(store, &view)?);
        analysed.insert(id.to_string(), c.clone());
        Ok(c)
    };
    for g in &set.stances {
        let c = analyse(&g.root)?;
        let found = c.positions.iter().find(|p| {
            p.person.email.eq_ignore_ascii_case(&g.email) || p.aliases.contains(&g.email)
        });
        score_stance(&mut score, g, found);
    }
    for (patch, want) in &set.trailers {
        let c = analyse(patch)?;
        let got: BTreeSet<(String, String)> = c
            .patches
            .iter()
            .find(|p| p.message_id == *patch)
            .map(|p| {
                p.trailers
                    .iter()
                    .filter(|t| t.verified && !t.conditional)
                    .map(|t| (t.name.to_lowercase(), t.person.email.to_lowercase()))
                    .collect()
            })
            .unwrap_or_default();
        score.trailers_total += 1;
        if got == *want {
            score.trailers_exact += 1;
        } else {
            score
                .trailer_misses
                .push(format!("  {patch}: gold {want:?}, got {got:?}"));
        }
    }
    Ok(score)
}

fn score_stance(score: &mut Score, g: &GoldStance, found: Option<&Position>) {
    let got = found.map_or(Stance::Neutral, |p| p.stance).as_str();
    *score
        .confusion
        .entry((g.label.clone(), got.to_string()))
        .or_default() += 1;
    if found.is_some_and(|p| p.role == consensus::Role::Author) {
        score.authors.1 += 1;
        score.authors.0 += usize::from(got == g.label);
    }
    if let Some(class) = &g.class {
        let entry = score.classes.entry(class.clone()).or_default();
        entry.1 += 1;
        entry.0 += usize::from(got == "oppose");
    }
    if let (Some(want), Some(p)) = (&g.grade, found.filter(|p| p.stance == Stance::Oppose)) {
        score.grades.1 += 1;
        let same = matches!(
            (want.as_str(), p.grade),
            ("changes", Grade::RequestsChanges) | ("objects", Grade::Objects)
        );
        score.grades.0 += usize::from(same);
    }
    if got != g.label {
        let why = found
            .and_then(|p| p.evidence())
            .map(|s| format!("{}: {}", s.rule, s.evidence))
            .unwrap_or_else(|| "no signal".into());
        score.misses.push(format!(
            "  {} {}: gold {}, got {got} ({})",
            g.root,
            g.email,
            g.label,
            why.chars().take(140).collect::<String>()
        ));
    }
}
