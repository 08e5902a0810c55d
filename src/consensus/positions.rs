//! Pass 5, positions: from each person's signals in order, the stance they
//! hold on each patch and the one that stands at the end.

use std::collections::HashMap;

use super::identity::{is_bot, same_person};
use super::{MessageInput, PatchStance, Position, Role, Signal};
use crate::message::Person;
use crate::stance::{Grade, Kind, Rule, Stance};

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
                nit: s.rule == Rule::NitRequest,
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
            if last.rule == Rule::NitRequest
                && others.iter().any(|p| p.stance == Stance::Support)
                && !others
                    .iter()
                    .any(|p| blocking(p.kind) && p.stance == Stance::Oppose) =>
        {
            Stance::Support
        }
        (Stance::Support, _) if others.iter().any(|p| p.stance == Stance::Oppose && !p.nit) => {
            Stance::Oppose
        }
        _ => stance,
    }
}

/// Each person's final stance, grade, change of mind and role, from their
/// signals in order. `maintainers` are the people MAINTAINERS lists for the
/// files the thread's patches change.
pub(super) fn finish(people: &mut [Position], msgs: &[MessageInput], maintainers: &[Person]) {
    let postings: Vec<&MessageInput> = msgs.iter().filter(|m| m.posts_patch()).collect();
    let patch_order: Vec<&str> = postings.iter().map(|m| m.message_id.as_str()).collect();
    let version_of: HashMap<&str, u32> = msgs
        .iter()
        .map(|m| (m.message_id.as_str(), m.version))
        .collect();
    for p in people {
        p.patches = per_patch(&p.signals, &patch_order);
        p.stance = final_stance(&p.signals, &p.patches, &version_of);
        p.grade = final_grade(p);
        p.changed = changed_mind(&p.signals);
        p.role = role(p, &postings, maintainers);
    }
}

/// The grade of the final stance: an objection is blocking when the signal
/// that shows it best is.
fn final_grade(p: &Position) -> Grade {
    match p.stance {
        Stance::Neutral => Grade::Neutral,
        Stance::Support => Grade::Approves,
        Stance::Oppose => match p.evidence().map(|s| s.grade) {
            Some(Grade::Objects) => Grade::Objects,
            _ => Grade::RequestsChanges,
        },
    }
}

/// They stood one way and then another (a first stance after silence is
/// not a change of mind).
fn changed_mind(signals: &[Signal]) -> bool {
    let taken: Vec<Stance> = signals
        .iter()
        .filter_map(|s| s.stance)
        .skip_while(|s| *s == Stance::Neutral)
        .collect();
    taken.windows(2).any(|w| w[0] != w[1])
}

fn role(p: &Position, postings: &[&MessageInput], maintainers: &[Person]) -> Role {
    let posted = postings.iter().any(|m| same_person(&m.from, &p.person));
    let wrote = postings
        .iter()
        .any(|m| same_person(&m.from, &p.person) || same_person(&m.author, &p.person));
    let reviewed = p
        .signals
        .iter()
        .any(|s| s.kind != Kind::Posted && s.stance.is_some());
    if is_bot(&p.person) {
        Role::Bot
    } else if posted || wrote && !reviewed {
        Role::Author
    } else if p
        .signals
        .iter()
        .any(|s| s.kind == Kind::Applied || s.rule == Rule::MaintainerHolds)
        || maintainers.iter().any(|m| same_person(m, &p.person))
    {
        Role::Maintainer
    } else if p.signals.iter().any(|s| {
        s.stance.is_some() || matches!(s.kind, Kind::Agree | Kind::Disagree | Kind::Question)
    }) {
        Role::Reviewer
    } else {
        Role::Participant
    }
}
