//! The rules by name: every rule that can produce a signal, with the
//! sentences that must make it fire and those that must not.
//!
//! Prose rules ([`Rule::is_prose`]) are applied by [`super::read`] in the
//! order of [`PROSE`]; the engine's own rules (posting, trailers,
//! conversation evidence) are applied by `consensus` and tested on small
//! threads there. `tests.rs` runs every row of [`PROSE`] and fails when a
//! rule has no example. The consensus engine matches these variants, never
//! their names; the names are what JSON and the evidence column show.

use serde::Serialize;

/// A rule that produced a signal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rule {
    /// "Feel free to add my Reviewed-by."
    TrailerOffer,
    /// "With that fixed, feel free to add my Reviewed-by."
    ConditionalTrailerOffer,
    /// An author giving the patch up: "please ignore this patch".
    Abandons,
    /// A bare "Ack." from a reviewer.
    BareAck,
    /// "Done." answering "will you pick this up?".
    Done,
    /// Taking back one's own trailer: "scratch that".
    RetractsTrailer,
    /// A problem report taken back: "sorry for the noise".
    FalseAlarm,
    /// "I withdraw my NAK."
    Withdraw,
    /// "Applied, thanks."
    Applied,
    /// "I'll hold this series until the driver side is posted."
    MaintainerHolds,
    /// "NAK" in prose (not a protocol NAK).
    NakProse,
    /// "I fail to see why", "I disagree".
    Disagree,
    /// "This is wrong", "this breaks X".
    Objection,
    /// An objection hedged into a question: "I'm not sure this is wrong".
    HedgedObjection,
    /// "This is a terrible hack", "I won't be able to apply this".
    Harsh,
    /// "What am I missing?", "Why is this needed at all?"
    CriticalQuestion,
    /// "Why not just use X?", "..., no?"
    SuggestsOtherwise,
    /// "Please split this", "could you rename".
    RequestsChanges,
    /// A request its writer calls a nit.
    NitRequest,
    /// "Looks good to me."
    Approval,
    /// "After that, this should be good to go."
    ConditionalApproval,
    /// "This doesn't look good to me."
    NegatedApproval,
    /// The author: "good catch, will fix".
    Concedes,
    /// "You're correct", "+1".
    Agree,
    /// A question.
    Question,
    /// The author posted the patch or series.
    Posted,
    /// A patch posted in the thread by someone else: their alternative.
    PostedAlternative,
    /// A maintainer's `[GIT PULL]`.
    PullRequest,
    /// A review trailer carried in a re-posted patch.
    CarriedTrailer,
    /// A trailer in a reply.
    Trailer,
    /// The author's own trailer in a reply to their own patch.
    OwnTrailer,
    /// A review the author answered with a concession.
    AuthorConceded,
    /// A review the author argued against.
    AuthorRebutted,
    /// Words under quoted hunks of the patch that ask for a change.
    InlineReview,
}

/// A prose rule's row: the sentences that must make it fire, and some
/// near misses that must not.
pub struct Row {
    /// The rule.
    pub rule: Rule,
    /// Sentences it must fire on.
    pub fires: &'static [&'static str],
    /// Sentences it must not fire on.
    pub quiet: &'static [&'static str],
}

/// The prose rules in the order `read` tries them, with their examples.
pub const PROSE: &[Row] = &[
    Row {
        rule: Rule::TrailerOffer,
        fires: &[
            "Feel free to add my Reviewed-by.",
            "You can add my Acked-by.",
        ],
        quiet: &["Please add a comment here."],
    },
    Row {
        rule: Rule::ConditionalTrailerOffer,
        fires: &["With that fixed, feel free to add my Reviewed-by."],
        quiet: &["Feel free to add my Reviewed-by."],
    },
    Row {
        rule: Rule::Abandons,
        fires: &[
            "Please ignore this patch.",
            "This is no longer needed.",
            "You're right, let's drop this patch.",
            "OK, I withdraw this patch.",
        ],
        quiet: &["Please ignore the whitespace changes."],
    },
    Row {
        rule: Rule::BareAck,
        fires: &["Ack."],
        quiet: &["Ack, will fix."],
    },
    Row {
        rule: Rule::Done,
        fires: &["Done, thanks."],
        quiet: &["Done with the first part, the rest needs work."],
    },
    Row {
        rule: Rule::RetractsTrailer,
        fires: &[
            "Oh, scrap that. I misread the patch.",
            "Please ignore my ack.",
        ],
        quiet: &["Please ignore the noise above."],
    },
    Row {
        rule: Rule::FalseAlarm,
        fires: &["Sorry for the noise, this is an issue in my toolchain."],
        quiet: &["Sorry for the late reply."],
    },
    Row {
        rule: Rule::Withdraw,
        fires: &[
            "I withdraw my NAK.",
            "With the update in v2 I no longer object.",
        ],
        quiet: &["I do not withdraw anything here, this is still wrong."],
    },
    Row {
        rule: Rule::Applied,
        fires: &["Applied, thanks.", "Thanks queued up.", "Yes, applied now."],
        quiet: &[
            "This does not apply to linux-next.",
            "I applied it locally to test.",
        ],
    },
    Row {
        rule: Rule::MaintainerHolds,
        fires: &["I'll hold this series until the driver side is posted."],
        quiet: &["I'll hold off on reviewing until Monday, then look again."],
    },
    Row {
        rule: Rule::NakProse,
        fires: &[
            "NAK to merging this without its users.",
            "Nacked, this breaks the ABI.",
        ],
        quiet: &[
            "The device returns a NAK on the second byte.",
            "This is not a NAK.",
        ],
    },
    Row {
        rule: Rule::Disagree,
        fires: &[
            "I fail to see why HMM is unable to make progress.",
            "I disagree.",
        ],
        quiet: &["I don't disagree with the goal, if you agree."],
    },
    Row {
        rule: Rule::Objection,
        fires: &[
            "This is wrong: the second pass is needed.",
            "This breaks out-of-tree builds.",
            "I believe this patch series is wrong.",
            "I don't think it is appropriate to change a core function for a test.",
            "Doing this as a config option does not make any sense.",
            "As such this change is not needed.",
            "This patch fails to build on powerpc.",
            "Manually tuning this is just not going to work.",
        ],
        quiet: &[
            "I don't think this is wrong.",
            "I found another bug, unrelated to this.",
            "I don't think that's needed, the old kernels are gone.",
            "It makes no sense to keep dead code around.",
            "Without this patch the build fails on powerpc.",
            "We could work around it, but I do not think it is worth it.",
        ],
    },
    Row {
        rule: Rule::HedgedObjection,
        fires: &["I'm not sure this is wrong, maybe it is fine."],
        quiet: &["This is wrong."],
    },
    Row {
        rule: Rule::Harsh,
        fires: &["This is a terrible hack.", "I won't be able to apply this."],
        quiet: &["How about an ugly hack like this:"],
    },
    Row {
        rule: Rule::CriticalQuestion,
        fires: &["What am I missing?", "Why is this needed at all?"],
        quiet: &["What version of gcc did you use?"],
    },
    Row {
        rule: Rule::SuggestsOtherwise,
        fires: &[
            "Why not just use strcmp() here?",
            "Merging them would be simplest, no?",
            "I suspect you'd be better off with atomic_long.",
            "Couldn't we do something like below?",
            "It would be good to have the example in the commit message.",
        ],
        quiet: &["Why did you use strcmp() here?"],
    },
    Row {
        rule: Rule::RequestsChanges,
        fires: &[
            "Please split this into two patches.",
            "Could you rename the helper?",
            "At least can you add some comments?",
            "The top-level Makefile should be cleaned up as well.",
            "This should be entirely done by the build system.",
            "Another iteration makes more sense to me.",
            "This patch should have a Fixes tag.",
            "That's different and can be made clearer.",
            "Instead of the link to lore, you can refer to the commit.",
            "Doing this work is not easy, but it must be done right.",
        ],
        quiet: &[
            "You might want to have a look at scripts/Makefile.build.",
            "In future, please Cc the author of the commit you fix.",
            "You need to backport the fix as well.",
            "That should be fine.",
            "Should this be done in the driver?",
            "Could you please add me to the recipients when you send the v2 patch set?",
        ],
    },
    Row {
        rule: Rule::NitRequest,
        fires: &["A nitpick, but could you rename the helper?"],
        quiet: &["Could you rename the helper?"],
    },
    Row {
        rule: Rule::Approval,
        fires: &["Looks good to me.", "LGTM"],
        quiet: &[
            "This doesn't look good to me.",
            "Does this look good to you?",
        ],
    },
    Row {
        rule: Rule::ConditionalApproval,
        fires: &[
            "After that, this should be good to go.",
            "Other than that, looks good.",
        ],
        quiet: &["Looks good to me."],
    },
    Row {
        rule: Rule::NegatedApproval,
        fires: &["This doesn't look good to me.", "I don't like this."],
        quiet: &["I don't like saying this, but it looks good."],
    },
    Row {
        rule: Rule::Concedes,
        fires: &["Good catch, will fix in v3."],
        quiet: &["Will you fix this in v3?"],
    },
    Row {
        rule: Rule::Agree,
        fires: &["You're correct.", "I agree with Tom about patch 2."],
        quiet: &["Do you agree?", "I don't agree."],
    },
    Row {
        rule: Rule::Question,
        fires: &["Do you agree that HMM is doing something novel?"],
        quiet: &["It is the right fix."],
    },
];

impl Rule {
    /// The name shown in JSON and in the evidence column.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::TrailerOffer => "trailer-offer",
            Rule::ConditionalTrailerOffer => "conditional-trailer-offer",
            Rule::Abandons => "abandons",
            Rule::BareAck => "bare-ack",
            Rule::Done => "done",
            Rule::RetractsTrailer => "retracts-trailer",
            Rule::FalseAlarm => "false-alarm",
            Rule::Withdraw => "withdraw",
            Rule::Applied => "applied",
            Rule::MaintainerHolds => "maintainer-holds",
            Rule::NakProse => "nak-prose",
            Rule::Disagree => "disagree",
            Rule::Objection => "objection",
            Rule::HedgedObjection => "hedged-objection",
            Rule::Harsh => "harsh",
            Rule::CriticalQuestion => "critical-question",
            Rule::SuggestsOtherwise => "suggests-otherwise",
            Rule::RequestsChanges => "requests-changes",
            Rule::NitRequest => "nit-request",
            Rule::Approval => "approval",
            Rule::ConditionalApproval => "conditional-approval",
            Rule::NegatedApproval => "negated-approval",
            Rule::Concedes => "concedes",
            Rule::Agree => "agree",
            Rule::Question => "question",
            Rule::Posted => "posted",
            Rule::PostedAlternative => "posted-alternative",
            Rule::PullRequest => "pull-request",
            Rule::CarriedTrailer => "carried-trailer",
            Rule::Trailer => "trailer",
            Rule::OwnTrailer => "own-trailer",
            Rule::AuthorConceded => "author-conceded",
            Rule::AuthorRebutted => "author-rebutted",
            Rule::InlineReview => "inline-review",
        }
    }

    /// A trailer offered in prose, on a condition or not.
    pub fn is_trailer_offer(self) -> bool {
        matches!(self, Rule::TrailerOffer | Rule::ConditionalTrailerOffer)
    }

    /// Read from a sentence by [`super::read`] (else applied by the engine).
    pub fn is_prose(self) -> bool {
        PROSE.iter().any(|row| row.rule == self)
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Rule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}
