//! The rules that judge the patch: objections, doubts, requests for
//! changes, approval, concession, agreement, questions.

use super::*;

/// A harsh verdict (blocking), a doubting question or another way proposed
/// (requests changes): the kind and the rule.
pub(super) fn critical(lower: &Hay) -> Option<(Kind, Rule)> {
    if lower.contains_any(&HARSH) {
        return Some((Kind::Objection, Rule::Harsh));
    }
    if lower.contains_any(&DOUBTS) {
        return Some((Kind::RequestsChanges, Rule::CriticalQuestion));
    }
    if lower.contains_any(&OTHERWISE) || lower.trim_end().ends_with(", no?") {
        return Some((Kind::RequestsChanges, Rule::SuggestsOtherwise));
    }
    None
}

/// "I don't think this is appropriate"; "I don't think this change is
/// needed" (not "I don't think that's needed", an answer to the author's
/// "should I add a Fixes: tag?").
pub(super) fn dont_think(lower: &str) -> bool {
    THINK_NOT.iter().any(|n| {
        lower.match_indices(n).any(|(i, _)| {
            let rest = &lower[i + n.len()..];
            THINK_WHAT.iter().any(|w| {
                rest.strip_prefix(w).is_some_and(|v| {
                    THINK_VERDICT.iter().any(|t| v.starts_with(t))
                        || w.ends_with("change is ") && v.starts_with("needed")
                        || w.ends_with("patch is ") && v.starts_with("needed")
                })
            })
        })
    })
}

/// "Doing this as a config option makes no sense": about the patch
/// (this, you, the change), not a statement.
pub(super) fn makes_no_sense(lower: &Hay) -> bool {
    lower.contains_any(&[
        "makes no sense",
        "make no sense",
        "doesn't make sense",
        "does not make sense",
        "doesn't make any sense",
        "does not make any sense",
    ]) && lower.contains_any(&["this", "you", "patch", "change"])
        && !lower.ends_with('?')
}

/// The patch breaks the build, said by someone who built it.
pub(super) fn build_breaks(lower: &Hay) -> bool {
    lower.contains_any(BUILD_BREAKS)
        && !lower.contains_any(&[
            "without this",
            "without the patch",
            "before this",
            "was fixed",
        ])
}

/// Objections: "this is wrong", "this breaks", problem reports.
pub(super) fn objects(s: &Sentence) -> Option<Hit> {
    let (main, hedged, iffy, not_objecting) = (&s.main, s.hedged, s.iffy, s.not_objecting);
    // Objections and requests for changes.
    let objection = main.contains_any(VERDICTS) || reports_problem(main)
        || dont_think(main)
        || makes_no_sense(main)
        || build_breaks(main)
        || main.contains_any(REGRESSIONS)
        || main.contains("none of") && main.contains(" work")
        // "This is worrying", "I am more concerned with people getting
        // errors"; not "I'm not worried about that".
        || main.contains_any(&[
            "this is worrying",
            "that is worrying",
            "this is concerning",
            "that is concerning",
            "i'm worried",
            "i am worried",
            "i'm concerned",
            "i am concerned",
            "i'm more concerned",
            "i am more concerned",
            "my main concern",
            "my concern is",
        ]) && !main.contains_any(&[
            "not worried",
            "not concerned",
            "not too worried",
            "less concerned",
            "no concern",
            "not that concerned",
        ]);
    // A bug the reply found that is not the patch's: "Also I found
    // another bug", "an unrelated issue", "a pre-existing problem".
    let objection = objection
        && !main.contains_any(&[
            "another bug",
            "unrelated",
            "separate issue",
            "separate problem",
            "different issue",
            "pre-existing",
            "preexisting",
            "existing bug",
            "not caused by this",
            "independent of this patch",
        ]);
    // "Please don't add ...": an objection to something the patch does;
    // "please do not record the commit ID" is not.
    const CODE_VERBS: [&str; 16] = [
        "add",
        "use",
        "change",
        "introduce",
        "merge",
        "apply",
        "put",
        "break",
        "remove",
        "include",
        "export",
        "hardcode",
        "duplicate",
        "touch",
        "mix",
        "do this",
    ];
    let dont = ["please don't ", "please do not "]
        .iter()
        .find_map(|p| main.find(p).map(|i| &main[i + p.len()..]));
    let objection =
        objection || dont.is_some_and(|rest| CODE_VERBS.iter().any(|v| rest.starts_with(v)));
    // "Won't this regress LLD 11?": a concern put as a question.
    let objection = objection
        || main.ends_with('?')
            && main.contains_any(&[
                "won't this",
                "wouldn't this",
                "doesn't this",
                "does this not",
                "isn't this",
                "won't that",
                "wouldn't that",
            ])
            && main.contains_any(&["break", "regress", "cause", "hurt", "slow"]);
    if objection && !not_objecting && !iffy {
        return Some(Hit::new(
            if hedged {
                Kind::Question
            } else {
                Kind::Objection
            },
            if hedged {
                Rule::HedgedObjection
            } else {
                Rule::Objection
            },
            false,
            None,
        ));
    }
    None
}

/// Another way proposed, a doubting question, a harsh verdict.
pub(super) fn critical_rule(s: &Sentence) -> Option<Hit> {
    let (main, conditional_clause, iffy, not_objecting) =
        (&s.main, s.conditional_clause, s.iffy, s.not_objecting);
    // Another way proposed, a question that doubts the patch, a
    // harsh verdict: "why not just use strcmp()?", "what am I
    // missing?", "this is a terrible hack".
    if !iffy
        && !conditional_clause
        && !not_objecting
        && let Some((kind, rule)) = critical(main)
    {
        return Some(Hit::new(kind, rule, false, None));
    }
    None
}

/// Requests for changes.
pub(super) fn requests(s: &Sentence) -> Option<Hit> {
    let (main, conditional_clause, iffy) = (&s.main, s.conditional_clause, s.iffy);
    let request = asks_to_change(main)
        || main.contains_any(REQUESTS)
        || verb_after(main, &["you might want to ", "might you want to ", "you may want to "], MAY_WANT_VERBS)
        || should_be_changed(main)
        // "Instead of the link to lore, you can refer to the commit."
        || main.starts_with("instead of ")
            && main.contains_any(&["you can ", "you could ", "please ", "use "])
        // "Why not fix the linker instead?"
        || main.starts_with("why not ") && main.contains(" instead")
        // "I think "selects" is strange here."
        || main.contains_any(STRANGE) && !main.ends_with('?')
        // "I still see inconsistency in your patch, though."
        || main.contains("i still see")
            && main.contains_any(&["inconsisten", "problem", "issue", "bug", "breakage"]);
    // "In future, please Cc the author", "you need to backport": how to
    // send patches, not a change to this one.
    let process = main.contains_any(SENDING);
    if request && !iffy && !conditional_clause && !process {
        // "A nitpick, but as long as you're respinning, could you
        // ...": a small request that does not undo a review given.
        let nit = any_word(
            main,
            &[
                "nit",
                "nits",
                "nitpick",
                "nit-pick",
                "nitpicking",
                "nitpicks",
            ],
        ) || main.contains_any(&[
            "as long as you're respinning",
            "as long as you are respinning",
            "if you respin",
            "if you're respinning",
            "if you are respinning",
            "if there's a v",
            "if there is a v",
            "if you send a v",
            "when you respin",
        ]);
        return Some(Hit::new(
            Kind::RequestsChanges,
            if nit {
                Rule::NitRequest
            } else {
                Rule::RequestsChanges
            },
            false,
            None,
        ));
    }

    None
}

/// A request put to the author: "please fix ...", "could you rename ...",
/// "this needs to be fixed", "can you at least add ...".
pub(super) fn asks_to_change(main: &Hay) -> bool {
    (main.starts_with("please ") || main.contains(": please ") || main.contains(", please "))
        && main.contains_any(PLEASE_VERBS)
        || main.contains_any(ASKS) && !main.ends_with('?') && !main.contains("thank")
        || main.contains_any(&["could you please", "can you please", "could you ", "would you mind"])
            && main.contains_any(ASKED_VERBS)
        // "At least can you add some comments?"
        || verb_after(main, &["can you ", "can you at least "], CAN_YOU_VERBS)
}

/// Whether one of `verbs` follows one of `leads` at once: "can you add",
/// "you might want to rename".
pub(super) fn verb_after(main: &str, leads: &[&str], verbs: &[&str]) -> bool {
    leads
        .iter()
        .filter_map(|p| main.find(p).map(|i| &main[i + p.len()..]))
        .any(|rest| verbs.iter().any(|v| rest.starts_with(v)))
}

/// "The top-level Makefile should be cleaned up", "this should be done
/// in the driver": something asked to be done otherwise.
pub(super) fn should_be_changed(lower: &str) -> bool {
    const ADVERBS: [&str; 6] = [
        "entirely ",
        "really ",
        "just ",
        "also ",
        "rather ",
        "instead ",
    ];
    const DONE: [&str; 12] = [
        "done ",
        "handled ",
        "moved",
        "split",
        "specified ",
        "separate",
        "dropped",
        "removed",
        "cleaned up",
        "included",
        "renamed",
        "changed",
    ];
    lower.match_indices("should be ").any(|(i, m)| {
        let mut rest = &lower[i + m.len()..];
        while let Some(r) = ADVERBS.iter().find_map(|a| rest.strip_prefix(a)) {
            rest = r;
        }
        DONE.iter().any(|d| rest.starts_with(d))
    }) && !lower.ends_with('?')
}

/// Approval, approval on a condition, and approval negated.
pub(super) fn approves(s: &Sentence) -> Option<Hit> {
    let (main, conditional_clause, iffy) = (&s.main, s.conditional_clause, s.iffy);
    // Approval.
    let approval = main.contains_any(APPROVALS)
        // "I have tested this patch ... and everything worked as expected."
        || main.contains_any(&[
            "works as expected",
            "worked as expected",
            "works well",
            "worked well",
            "works fine",
            "worked fine",
            "works really well",
            "worked really well",
            "works great",
            "worked great",
            "works perfectly",
            "worked perfectly",
        ])
            && main.contains("test")
            && !main.contains_any(&["without", "before", "revert"]);
    let negated_approval = main.contains_any(&[
        "not a good idea",
        "not a great idea",
        "doesn't look good",
        "does not look good",
        "not look good",
        "not fine",
        "isn't fine",
        "not good",
        "doesn't belong",
        "does not belong",
        "should not be in the kernel",
        "shouldn't be in the kernel",
        "not sure it looks good",
        "not good enough",
        "isn't good enough",
    ])
        // "I don't like this", "I dislike how ...": about the patch; "I
        // don't like saying X" is not.
        || ["don't like ", "do not like ", "dislike "].iter().any(|p| {
            main.find(p).is_some_and(|i| {
                let next = main[i + p.len()..]
                    .split_whitespace()
                    .next()
                    .unwrap_or("")
                    .trim_end_matches(['.', ',', '!', ';', ':']);
                ["this", "it", "it.", "that", "the", "how", "these", "those", "your"].contains(&next)
            })
        })
        // "This doesn't make sense" is a verdict; "it doesn't make much
        // sense to keep them" is an argument.
        || [
            "doesn't make sense",
            "does not make sense",
            "doesn't make a whole lot of sense",
            "doesn't make much sense",
            "makes little sense",
        ]
        .iter()
        .any(|p| main.contains(p) && !main.contains(&format!("{p} to ")));
    let hypothetical = main.contains_any(&[
        "would be nice",
        "would be really nice",
        "what'd be",
        "it'd be nice",
        "if we could",
        // "Perhaps it would be a good idea to have a meeting": a
        // suggestion, not a verdict on the patch.
        "be a good idea to",
        "be a good idea if",
        "be a great idea to",
    ]);
    // "I can pick this up, but I commented on the first paragraph":
    // an offer with a reservation is not a verdict.
    let reserved_offer = main.contains_any(&[
        "i can pick this",
        "i can apply this",
        "i can apply it",
        "i can take this",
        "i can pick it up",
    ]) && main.contains(" but ");
    let approval =
        approval && !hypothetical && !reserved_offer || ["nice!", "nice."].contains(&main.trim());
    if approval && !negated_approval && !iffy && !main.ends_with('?') {
        // "After that, this should be good to go": approval on a condition.
        let conditional = conditional_clause
            || [
                "after that",
                "once that",
                "once this",
                "once those",
                "after those",
            ]
            .iter()
            .any(|p| main.starts_with(p))
            // "Other than that, looks good to me": the points above
            // come first.
            || main.contains_any(&[
                "other than that",
                "otherwise",
                "apart from that",
                "aside from that",
                "with that fixed",
                "with those fixed",
                "with these fixed",
                "with that addressed",
            ]);
        return Some(Hit::new(
            Kind::Approval,
            if conditional {
                Rule::ConditionalApproval
            } else {
                Rule::Approval
            },
            conditional,
            None,
        ));
    }
    if negated_approval && !iffy {
        return Some(Hit::new(
            Kind::Objection,
            Rule::NegatedApproval,
            false,
            None,
        ));
    }

    None
}

/// Concessions (the engine keeps them only when the author says them).
pub(super) fn concedes(s: &Sentence) -> Option<Hit> {
    let main = &s.main;
    // Concessions (the engine keeps them only when the author says them).
    if main.contains_any(&[
        "good catch",
        "will fix",
        "i'll fix",
        "i will fix",
        "will do",
        "fixed in v",
        "i'll send a v",
        "i will send a v",
        "will send a v",
        "will update in v",
        "will address",
        "i'll address",
        "you're right, ",
        "will change it",
        "i'll change",
        "will drop",
        "i'll drop",
        "fair enough",
        "i stand corrected",
        "my bad",
        "my mistake",
    ]) {
        // For anyone but the author, the engine reads this as agreement.
        return Some(Hit::new(Kind::Concedes, Rule::Concedes, false, None));
    }

    None
}

/// Agreement with the person replied to (or named).
pub(super) fn agrees(s: &Sentence) -> Option<Hit> {
    let (sentence, main, iffy) = (&s.text, &s.main, s.iffy);
    // Agreement with the person replied to (or named).
    if !s.limited_agreement && !iffy {
        let agree = main.contains_any(&[
            "you're correct",
            "you are correct",
            "you're right",
            "you are right",
            "i agree",
            "agreed",
            "fair point",
            "good point",
            "that's right",
            "that is right",
            "exactly this",
            "+1",
            "same here",
            "i concur",
            "seconded",
            "sounds good",
            "sounds reasonable",
            "makes sense to me",
            "that makes sense",
            "i am with ",
            "i'm with ",
            "i thought so",
            "i thought the same",
        ]);
        let negated = main.contains_any(&[
            "don't agree",
            "do not agree",
            "not agree",
            "not right",
            "not correct",
            "if you agree",
            "do you agree",
            "would you agree",
        ]);
        if agree && !negated && !main.ends_with('?') {
            return Some(Hit::new(
                Kind::Agree,
                Rule::Agree,
                false,
                agreed_with(sentence),
            ));
        }
    }
    None
}

/// A question.
pub(super) fn asks(s: &Sentence) -> Option<Hit> {
    let sentence = &s.text;

    if sentence.trim_end().ends_with('?') {
        return Some(Hit::new(Kind::Question, Rule::Question, false, None));
    }
    None
}

/// A report of a problem seen with the patch: "when I boot it I see the
/// following issues:", "if I build with O=, I have this error."
pub(super) fn reports_problem(lower: &Hay) -> bool {
    const SEEING: [&str; 16] = [
        "i see the following",
        "i see this",
        "i see these",
        "i have this",
        "i get this",
        "i got this",
        "i get the following",
        "i got the following",
        "i'm seeing",
        "i am seeing",
        "we are seeing",
        "we're seeing",
        "i hit this",
        "i hit the following",
        "i'm getting",
        "i am getting",
    ];
    const TROUBLE: [&str; 12] = [
        "error",
        "issue",
        "warning",
        "failure",
        "fail",
        "crash",
        "breakage",
        "regression",
        "problem",
        "oops",
        "panic",
        "splat",
    ];
    SEEING.iter().any(|p| lower.contains(p)) && TROUBLE.iter().any(|w| lower.contains(w))
}

/// "I agree with Tom", "agree with Nadia about patch 2": the name.
pub(super) fn agreed_with(sentence: &str) -> Option<String> {
    let lower = sentence.to_lowercase();
    let at = ["agree with ", "i am with ", "i'm with "]
        .iter()
        .find_map(|p| lower.find(p).map(|i| i + p.len()))?;
    let rest = &sentence[at..];
    let name: String = rest
        .split(|c: char| !c.is_alphanumeric() && c != '-' && c != '\'')
        .next()?
        .to_string();
    let lname = name.to_lowercase();
    if name.is_empty()
        || [
            "you",
            "the",
            "that",
            "this",
            "him",
            "her",
            "them",
            "everything",
            "all",
            "most",
            "your",
        ]
        .contains(&lname.as_str())
    {
        return None;
    }
    Some(name)
}
