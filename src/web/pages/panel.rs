//! The positions panel of a thread page: the table of positions, the
//! series grid and the timeline.

use super::*;

/// How an objection weighs, as the positions panel says it.
pub(super) fn grade_label(grade: crate::stance::Grade) -> &'static str {
    match grade {
        crate::stance::Grade::RequestsChanges => "changes requested",
        crate::stance::Grade::Objects => "blocks",
        crate::stance::Grade::Approves | crate::stance::Grade::Neutral => "",
    }
}

/// One row of the positions panel.
pub struct PosRow {
    pub name: String,
    pub email: String,
    pub who_href: String,
    pub role: &'static str,
    pub stance: &'static str,
    /// For objections: "changes requested" or "blocks" (a NAK, a wrong
    /// approach); empty otherwise.
    pub grade: &'static str,
    pub changed: bool,
    pub kind: String,
    pub evidence: String,
    pub evidence_href: String,
    /// For conversation evidence: the reply that shows it.
    pub shown_by_href: String,
    /// An author's latest concession ("good catch, will fix"), if any
    /// came after the evidence.
    pub conceded: String,
    pub conceded_href: String,
}

/// A cell of the series grid: what a reviewer said on a patch.
#[derive(Default)]
pub struct GridCell {
    pub label: String,
    pub class: &'static str,
    /// The message behind it.
    pub href: String,
}

/// A patch's row: subject, link, and a cell per reviewer.
pub type GridRow = (String, String, Vec<GridCell>);

/// The series grid: patches by reviewers.
pub struct Grid {
    pub reviewers: Vec<String>,
    pub rows: Vec<GridRow>,
}

/// The timeline: marks, rows named by person, its size and dates.
pub struct Timeline {
    pub dots: Vec<Dot>,
    /// (baseline, name) of each row.
    pub rows: Vec<(u32, String)>,
    pub width: u32,
    /// Width of the names' column.
    pub names: u32,
    pub height: u32,
    pub first_date: String,
    pub last_date: String,
}

/// A mark on the timeline.
pub struct Dot {
    pub x: u32,
    pub y: u32,
    pub class: &'static str,
    pub title: String,
    pub href: String,
}

/// The positions panel's rows: each person's final stance and what shows
/// it, and an author's latest concession ("will fix in v2").
pub(super) fn position_rows(
    consensus: &crate::consensus::Consensus,
    href_of: &dyn Fn(&str) -> String,
) -> Vec<PosRow> {
    consensus
        .positions
        .iter()
        .map(|p| {
            let e = p.evidence();
            let conceded = (p.role == crate::consensus::Role::Author)
                .then(|| {
                    p.signals
                        .iter()
                        .rev()
                        .find(|s| s.kind == crate::stance::Kind::Concedes)
                })
                .flatten()
                .filter(|c| e.is_none_or(|e| c.date >= e.date));
            PosRow {
                name: p.person.display().to_string(),
                email: p.person.email.clone(),
                who_href: format!("/who/{}", links::encode_message_id(&p.person.email)),
                role: p.role.as_str(),
                stance: stance_class(p.stance),
                grade: grade_label(p.grade),
                changed: p.changed,
                kind: e
                    .map(|s| {
                        format!(
                            "{}{}",
                            s.kind.as_str(),
                            if s.conditional { " (conditional)" } else { "" }
                        )
                    })
                    .unwrap_or_default(),
                evidence: e.map(|s| s.evidence.clone()).unwrap_or_default(),
                evidence_href: e.map(|s| href_of(&s.message_id)).unwrap_or_default(),
                shown_by_href: e
                    .and_then(|s| s.shown_by.as_deref())
                    .map(href_of)
                    .unwrap_or_default(),
                conceded: conceded.map(|c| c.evidence.clone()).unwrap_or_default(),
                conceded_href: conceded.map(|c| href_of(&c.message_id)).unwrap_or_default(),
            }
        })
        .collect()
}

/// A grid cell's label for the kind of signal behind it.
pub(super) fn cell_label(kind: crate::stance::Kind) -> &'static str {
    match kind.as_str() {
        "acked-by" => "Acked",
        "reviewed-by" => "Reviewed",
        "tested-by" => "Tested",
        "nak" | "nacked-by" => "NAK",
        "applied" => "Applied",
        "approval" => "OK",
        "objection" | "disagree" => "objection",
        "requests-changes" => "changes",
        "withdraws" => "withdrawn",
        other => other,
    }
}

/// The series grid: every non-cover patch, every reviewer who spoke on
/// one; each cell links to the message behind it.
pub(super) fn series_grid(
    consensus: &crate::consensus::Consensus,
    href_of: &dyn Fn(&str) -> String,
) -> Option<Grid> {
    let patches: Vec<&crate::consensus::PatchCredits> =
        consensus.patches.iter().filter(|p| !p.cover).collect();
    let reviewers: Vec<&crate::consensus::Position> = consensus
        .positions
        .iter()
        .filter(|p| {
            p.role != crate::consensus::Role::Author
                && p.patches
                    .iter()
                    .any(|s| patches.iter().any(|q| q.message_id == s.patch))
        })
        .collect();
    if patches.len() < 2 || reviewers.is_empty() {
        return None;
    }
    let cell = |p: &crate::consensus::PatchCredits, r: &crate::consensus::Position| {
        let Some(s) = r.patches.iter().find(|s| s.patch == p.message_id) else {
            return GridCell::default();
        };
        let conditional = p
            .trailers
            .iter()
            .any(|t| t.conditional && t.person.email == r.person.email);
        let label = cell_label(s.kind);
        GridCell {
            label: if conditional && s.stance != Stance::Oppose {
                format!("{label}?")
            } else {
                label.to_string()
            },
            class: stance_class(s.stance),
            href: href_of(&s.message_id),
        }
    };
    Some(Grid {
        reviewers: reviewers
            .iter()
            .map(|r| r.person.display().to_string())
            .collect(),
        rows: patches
            .iter()
            .map(|p| {
                let cells = reviewers.iter().map(|r| cell(p, r)).collect();
                (p.subject.clone(), href_of(&p.message_id), cells)
            })
            .collect(),
    })
}

/// Width of the timeline's drawing, and of its column of names.
pub(super) const TIMELINE_WIDTH: u32 = 640;

pub(super) const TIMELINE_NAMES: u32 = 130;

/// People given a row of their own; the rest share the last row.
pub(super) const TIMELINE_ROWS: usize = 9;

/// The timeline: one row per participant (named), a mark per message at
/// its time, shaped and coloured by the sender's stance then. `here`
/// prefixes the anchors (the thread page, from a message page).
pub(super) fn timeline(
    view: &crate::store::ThreadView,
    consensus: &crate::consensus::Consensus,
    here: &str,
) -> Timeline {
    let mut dated: Vec<(i64, usize)> = view
        .order
        .iter()
        .filter_map(|&(i, _)| view.nodes[i].date.map(|d| (d.0, i)))
        .collect();
    // In time order (the order the arrow keys walk them); one mark per
    // message up to MAX_SHOWN, beyond that an even sample.
    dated.sort();
    if dated.len() > MAX_SHOWN {
        let step = dated.len().div_ceil(MAX_SHOWN);
        dated = dated.into_iter().step_by(step).collect();
    }
    let (lo, hi) = dated
        .iter()
        .fold((i64::MAX, i64::MIN), |(a, b), &(t, _)| (a.min(t), b.max(t)));
    let people = &consensus.positions;
    let mut stance_at: HashMap<&str, &'static str> = HashMap::new();
    for p in people {
        for s in &p.signals {
            if let Some(st) = s.stance {
                stance_at.insert(s.message_id.as_str(), stance_class(st));
            }
        }
    }
    let row_of = |email: &str| {
        people
            .iter()
            .position(|p| p.person.email == email)
            .unwrap_or(0)
            .min(TIMELINE_ROWS)
    };
    let span = TIMELINE_WIDTH - TIMELINE_NAMES - 20;
    let dots = dated
        .iter()
        .map(|&(t, i)| {
            let n = &view.nodes[i];
            let x = if hi > lo {
                (t - lo) as f64 / (hi - lo) as f64 * f64::from(span)
            } else {
                f64::from(span) / 2.0
            };
            let class = stance_at
                .get(n.message_id.as_str())
                .copied()
                .unwrap_or("neutral");
            Dot {
                x: TIMELINE_NAMES + 10 + x as u32,
                y: 12 + row_of(&n.from.email) as u32 * 14,
                class,
                title: format!(
                    "{}, {}, {}: {}",
                    n.from.display(),
                    format_date(n.date, false),
                    if class == "neutral" {
                        "no stance"
                    } else {
                        class
                    },
                    n.subject
                ),
                href: format!("{here}#{}", anchor_of(&n.message_id)),
            }
        })
        .collect();
    let mut rows: Vec<(u32, String)> = people
        .iter()
        .take(TIMELINE_ROWS)
        .enumerate()
        .map(|(r, p)| (16 + r as u32 * 14, p.person.display().to_string()))
        .collect();
    if people.len() > TIMELINE_ROWS {
        rows.push((
            16 + TIMELINE_ROWS as u32 * 14,
            format!("{} others", people.len() - TIMELINE_ROWS),
        ));
    }
    let day = |t: i64, none: i64| {
        format_date((t != none).then_some((t, 0)), false)
            .get(..10)
            .unwrap_or("")
            .to_string()
    };
    let height = 40 + rows.len() as u32 * 14;
    Timeline {
        dots,
        rows,
        width: TIMELINE_WIDTH,
        names: TIMELINE_NAMES,
        height,
        first_date: day(lo, i64::MAX),
        last_date: day(hi, i64::MIN),
    }
}
