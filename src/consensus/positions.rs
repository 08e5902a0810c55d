//! Pass 5, positions: from each person's signals in order, the stance they
//! hold on each patch and the one that stands at the end.

use std::collections::HashMap;

use super::{PatchStance, Signal};
use crate::stance::{Kind, Stance};

/// Per patch, the latest stance-taking signal about it.
pub(super) fn per_patch(signals: &[Signal], patch_order: &[&str]) -> Vec<PatchStance> {
    let mut latest: HashMap<&str, &Signal> = HashMap::new();
    for s in signals.iter().filter(|s| s.verified && s.stance.is_some()) {
        for c in &s.covers {
            latest.insert(c.as_str(), s);
        }
    }
    patch_order
        .iter()
        .filter_map(|&id| {
            let s = latest.get(id)?;
            Some(PatchStance {
                patch: id.to_string(),
                stance: s.stance.unwrap_or(Stance::Neutral),
                kind: s.kind,
                evidence: s.evidence.clone(),
                message_id: s.message_id.clone(),
            })
        })
        .collect()
}

/// The stance that stands: the latest one taken, except that a request for
/// changes on one patch does not undo a review of the rest of the series
/// (Petr reviews 1/5, 3/5 and 5/5 and asks for a nit in 2/5: he supports
/// it), and a blocking objection to one patch stands when the latest signal
/// approves another of the same revision (a new revision answers the
/// objections to the old one).
pub(super) fn final_stance(
    signals: &[Signal],
    patches: &[PatchStance],
    version_of: &HashMap<&str, u32>,
) -> Stance {
    let Some(last) = signals.iter().rev().find(|s| s.stance.is_some()) else {
        return Stance::Neutral;
    };
    let stance = last.stance.unwrap_or(Stance::Neutral);
    // Only a signal about one patch of several is weighed against the others.
    if last.covers.len() != 1 || patches.len() < 2 {
        return stance;
    }
    let version = version_of.get(last.covers[0].as_str());
    let others: Vec<&PatchStance> = patches
        .iter()
        .filter(|p| p.patch != last.covers[0] && version_of.get(p.patch.as_str()) == version)
        .collect();
    let blocking = |k: Kind| {
        matches!(
            k,
            Kind::Nak | Kind::NackedBy | Kind::Objection | Kind::Disagree
        )
    };
    match (stance, last.kind) {
        (Stance::Oppose, Kind::RequestsChanges)
            if others.iter().any(|p| p.stance == Stance::Support)
                && !others
                    .iter()
                    .any(|p| blocking(p.kind) && p.stance == Stance::Oppose) =>
        {
            Stance::Support
        }
        (Stance::Support, _)
            if others
                .iter()
                .any(|p| blocking(p.kind) && p.stance == Stance::Oppose) =>
        {
            Stance::Oppose
        }
        _ => stance,
    }
}
