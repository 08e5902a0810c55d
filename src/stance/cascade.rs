//! The prose rules, tried in order on each sentence (`CASCADE`): the
//! first that fires gives the sentence its signal.

use super::*;

/// A maintainer takes the patch: "Applied, thanks", "Thanks queued up",
/// "Yes, applied now", "I fixed those, squashed, and pushed".
pub(super) fn takes_the_patch(lower: &str) -> bool {
    let mut lead = lower.trim_start();
    while let Some(word) = INTERJECTIONS.iter().find(|w| lead.starts_with(*w)) {
        lead = lead[word.len()..].trim_start_matches([',', '!', '.', ' ', ';', '-']);
    }
    TAKES.iter().any(|t| lead.starts_with(t))
        // "I fixed it up and applied to linux-kbuild/fixes."
        || [
            "and applied to ",
            "and applied it to ",
            "and queued it",
            "and queued to ",
            "and pushed",
            "merged and pushed",
            "pushed to modules-next",
            "pushed onto modules-next",
            "pushed it to ",
            "pushed this to ",
            "pushed this onto ",
        ]
        .iter()
        .any(|p| lower.contains(p))
}

/// What a rule found in a sentence.
pub(super) struct Hit {
    pub(super) kind: Kind,
    pub(super) rule: Rule,
    pub(super) conditional: bool,
    pub(super) target_name: Option<String>,
}

impl Hit {
    pub(super) fn new(
        kind: Kind,
        rule: Rule,
        conditional: bool,
        target_name: Option<String>,
    ) -> Hit {
        Hit {
            kind,
            rule,
            conditional,
            target_name,
        }
    }
}

/// The prose rules in the order they are tried; the first that fires on a
/// sentence decides it. Their names and examples are in [`PROSE`].
pub(super) const CASCADE: [fn(&Sentence) -> Option<Hit>; 17] = [
    trailer_offer,
    gives_up,
    bare_ack,
    done,
    retracts,
    false_alarm,
    withdraws,
    maintainer_decision,
    nak,
    disagrees,
    objects,
    critical_rule,
    requests,
    approves,
    concedes,
    agrees,
    asks,
];

/// Offers of a trailer in prose: "feel free to add my Reviewed-by".
pub(super) fn trailer_offer(s: &Sentence) -> Option<Hit> {
    let (lower, conditional_clause) = (&s.lower, s.conditional_clause);
    // Offers of a trailer in prose: "feel free to add my Reviewed-by".
    let offer = lower.contains_any(&[
        "feel free to add",
        "you can add",
        "you may add",
        "please add my",
        "add my",
        "consider this",
        "free to add",
    ]);
    if offer {
        let kind = if lower.contains("review") {
            Some(Kind::ReviewedBy)
        } else if lower.contains("tested") || lower.contains("tested-by") {
            Some(Kind::TestedBy)
        } else if has_word(lower, "ack") || lower.contains("acked") || lower.contains("ack-by") {
            Some(Kind::AckedBy)
        } else {
            None
        };
        if let Some(kind) = kind {
            return Some(Hit::new(
                kind,
                if conditional_clause {
                    Rule::ConditionalTrailerOffer
                } else {
                    Rule::TrailerOffer
                },
                conditional_clause,
                None,
            ));
        }
    }

    None
}

/// An author giving a patch up.
pub(super) fn gives_up(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // An author giving a patch up.
    if lower.contains_any(&[
        "please ignore this patch",
        "please drop this patch",
        "please disregard this patch",
        "part of my local",
        "my local build setup",
        "my local setup",
        "not needed after all",
        "no longer needed",
        "i'll drop this patch",
        "i will drop this patch",
        "keep it in my own tree",
        "keep it in my tree",
        "self-nak",
        "self nak",
        "nak myself",
        "let's drop this patch",
        "let's drop this one",
        "i withdraw this patch",
        "i withdraw this series",
        "i withdraw the patch",
        "i retract this patch",
        "i retract this series",
        "let's forget about this",
        "forget about this patch",
    ]) {
        return Some(Hit::new(Kind::Withdraws, Rule::Abandons, false, None));
    }

    None
}

/// A bare "Ack." from a reviewer.
pub(super) fn bare_ack(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // A bare "Ack." from a reviewer is approval (an author's "Ack."
    // acknowledges a review point; the engine ignores it for authors).
    if ["ack", "ack.", "acked", "acked.", "ack!"].contains(&lower.trim()) {
        return Some(Hit::new(Kind::Approval, Rule::BareAck, false, None));
    }

    None
}

/// "Done. Thanks," answering "will you pick this up?".
pub(super) fn done(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // "Done. Thanks," answering "will you pick this up?": the engine
    // keeps it only in a direct reply to the patch.
    if [
        "done.",
        "done",
        "done, thanks.",
        "done, thanks",
        "done. thanks,",
        "done. thanks.",
        "done, thanks!",
    ]
    .contains(&lower.trim())
    {
        return Some(Hit::new(Kind::Applied, Rule::Done, false, None));
    }

    None
}

/// Taking back one's own trailer.
pub(super) fn retracts(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // Taking back one's own trailer: "Oh, scrap that. I misread".
    if lower.contains_any(&[
        "scrap that",
        "scratch that",
        "disregard my ack",
        "disregard my review",
        "ignore my ack",
        "ignore my review",
        "ignore my tested-by",
        "retract my ack",
        "retract my review",
        "withdraw my ack",
        "withdraw my review",
        "withdraw my tested-by",
    ]) {
        return Some(Hit::new(
            Kind::Withdraws,
            Rule::RetractsTrailer,
            false,
            None,
        ));
    }

    None
}

/// A problem report taken back.
pub(super) fn false_alarm(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // A problem report taken back: "Sorry for the noise, this looks
    // to be an issue in my toolchain."
    if lower.contains("false alarm")
        || lower.contains("sorry for the noise")
            && lower.contains_any(&[
                "issue",
                "problem",
                "my setup",
                "my mistake",
                "my fault",
                "my bad",
                "unrelated",
                "not related",
            ])
    {
        return Some(Hit::new(Kind::Withdraws, Rule::FalseAlarm, false, None));
    }

    None
}

/// Withdrawals of a NAK or objection.
pub(super) fn withdraws(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // Withdrawals.
    if lower.contains_any(&[
        "withdraw my",
        "retract my",
        "drop my nak",
        "drop my objection",
        "my nak is withdrawn",
        "consider my nak",
        "i no longer object",
        "rescind my",
    ]) {
        return Some(Hit::new(Kind::Withdraws, Rule::Withdraw, false, None));
    }

    None
}

/// A maintainer taking the patch, or holding it back.
pub(super) fn maintainer_decision(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // Maintainer decisions.
    let applied_negated = [
        "not applied",
        "doesn't apply",
        "does not apply",
        "didn't apply",
        "failed to apply",
        "can't apply",
        "cannot apply",
        "won't apply",
        "not apply",
        "before it can be applied",
        "applied on top",
        "applies cleanly",
        // Applied locally to try it: "I applied your patch and added -v".
        "applied your patch and",
        "applied the patch and",
        "applied this patch and",
        "applied it locally",
        "applied locally",
    ]
    .iter()
    .any(|p| lower.contains(p));
    if !applied_negated && takes_the_patch(lower) {
        return Some(Hit::new(Kind::Applied, Rule::Applied, false, None));
    }
    // "I'll hold off on reviewing until Monday" holds nothing back.
    if !lower.contains("hold off")
        && lower.contains_any(&[
            "i'll hold",
            "i will hold",
            "won't merge",
            "will not merge",
            "not going to merge",
            "not merging this",
            "i'll drop this series",
            "i will drop this series",
            "i'll drop this from",
            "i will drop this from",
        ])
    {
        return Some(Hit::new(
            Kind::Objection,
            Rule::MaintainerHolds,
            false,
            None,
        ));
    }

    None
}

/// A NAK in prose, unless it is a protocol NAK or negated.
pub(super) fn nak(s: &Sentence) -> Option<Hit> {
    let lower = &s.lower;
    // NAK in prose, unless it is a protocol NAK or negated.
    let nak = (lower.contains("nak") || lower.contains("nack"))
        && any_word(
            lower,
            &["nak", "nack", "naked", "nacked", "nak'd", "nack'd"],
        );
    if nak
        && !any_word(lower, &PROTOCOL)
        && !lower.contains("not a nak")
        && !lower.contains("no nak")
        && !lower.contains("without a nak")
    {
        return Some(Hit::new(Kind::Nak, Rule::NakProse, false, None));
    }

    None
}

/// Disagreement with the person replied to.
pub(super) fn disagrees(s: &Sentence) -> Option<Hit> {
    let (main, iffy) = (&s.main, s.iffy);
    // Disagreement with the person replied to.
    if !iffy
        && main.contains_any(&[
            "i fail to see",
            "agree to disagree",
            "i disagree",
            "i don't agree",
            "i do not agree",
            "you're wrong",
            "you are wrong",
            "that's not true",
            "that is not true",
            "i'm not convinced",
            "i am not convinced",
            "not convinced",
            "i don't buy",
            "i don't see why",
            "i do not see why",
            "that's not how",
        ])
    {
        return Some(Hit::new(Kind::Disagree, Rule::Disagree, false, None));
    }

    None
}
