use expect_test::expect;

use super::*;

/// One line of input per case, and the signals it must give (or "-").
const CASES: &str = "
NAK to merging this without its users.                          | nak
NAK.                                                            | nak
Nacked, this breaks the ABI.                                    | nak
The device returns a NAK on the second byte.                    | -
The I2C controller signals NACK when the slave is busy.         | -
This is not a NAK, just a question about the locking.           | -
I withdraw my NAK.                                              | withdraws
With the update in v2 I no longer object.                       | withdraws
This is wrong: the second pass is needed for external modules.  | objection
I don't think we should drop the pass.                          | objection
Please don't add another config option for this.                | objection
I don't object to this change.                                  | approval
I'm not sure this is wrong, maybe it is fine.                   | question
If others disagree, we can revisit this later.                  | -
While I agree with the goal, but this breaks out-of-tree builds. | objection
Looks good to me.                                               | approval
LGTM                                                            | approval
I'm fine with this.                                             | approval
This doesn't look good to me.                                   | objection
You're correct.                                                 | agree
I agree with Tom about patch 2.                                 | agree scope=[2] target=Tom
Do you agree that HMM is doing something novel?                 | question
Well let just agree to disagree and leave it at that.           | disagree
Again, I fail to see why HMM is suddenly unable to make progress. | disagree
Good catch, will fix in v3.                                     | concedes
Applied to kbuild-next, thanks.                                 | applied
Thanks, applied.                                                | applied
Thanks queued up.                                               | applied
Yes, applied now.                                               | applied
I fixed those, squashed, and pushed.                            | applied
I've merged and pushed this onto modules-next.                  | applied
Good catch, queued for the next release would be nice.          | concedes
This patch does not apply on top of next.                       | -
I'll hold this series until the driver side is posted.          | objection
Please split this into two patches.                             | requests-changes
Could you please rename the helper to match the others?         | requests-changes
With that fixed, feel free to add my Reviewed-by.               | reviewed-by conditional
Feel free to add my Acked-by.                                   | acked-by
For the series: feel free to add my Tested-by.                  | tested-by scope=series
When I boot it in qemu I see the following issues:              | objection
Hi, it looks good but if I build with O=<dir>, I have this error. | objection
But, more importantly, none of your patches works correctly.    | objection
I think 'selects' is strange here.                                | requests-changes
I still see inconsistency in your patch, though.                | requests-changes
I'm ok with this patch; a quick grep shows a few more cases.    | approval
SGTM                                                            | approval
For this patch set, the above is probably good enough.          | approval
This is not good enough for stable.                             | objection
I have tested this patch and everything worked as expected.     | approval
It works fine without this patch, so I don't see the point.     | -
I thought so when I read it also.                               | agree
Reverting this patch fixes the problem.                         | objection
Looks sane to me, thanks!                                       | approval
I'd prefer a separate option for the pattern.                   | requests-changes
I know you don't care, but I will voice my objection, for the record: | objection
That's just a non-starter, I'm afraid.                          | objection
I am not a big fan of this patch, at least...                   | objection
Can you resend with the new name for sound/soc/ti/Kconfig ?     | requests-changes
Why not fix the linker instead?                                 | requests-changes
I noticed a regression.                                         | objection
This is worrying -- there has been no discussion about this.    | objection
I am more concerned with people getting errors such as          | objection
I'm not worried about the extra call.                           | -
Also I found another bug - clicking on '..' menu doesn't work:  | -
Perhaps it would be a good idea to have a quick meeting about this. | -
Other than that, this is all good.                              | approval conditional
I can apply this series together with Lukas' base patch.        | approval
I can pick this up, but I commented on the first paragraph.     | -
I tested the series, and it works really well here.             | approval
But at least can you add some comments?                         | requests-changes
A nitpick, but could you put __ref just before the function name? | requests-changes rule=nit-request
Nit: please drop the blank line.                                | requests-changes rule=nit-request
Done.                                                           | applied rule=done
What'd be really nice is if we could link kallsyms only once.   | -
Nice!                                                           | approval
I will drop this.                                               | concedes
Please insert the new one to the proper line.                   | requests-changes
Nit: I would personally do it the other way around.            | -
That said, I do not want to block this patchset.               | approval
I'm fairly sure this never worked.                              | objection
I reported that this change silently broke dash users.         | objection
Thanks! Run a quick test in xterm. Looks neat!                  | approval
The current minimal version is 2.21, so I will pick up v2.      | approval
I'll keep it in my own tree for smatch runs.                    | withdraws
Oh, scrap that. I misread your patch.                          | withdraws
For patches 1 and 3: looks good to me.                          | approval scope=[1, 3]
For 2/5 and 4/5 this looks good.                                | approval scope=[2, 4]
Patches 1-3 look good to me.                                    | approval scope=[1, 2, 3]
Why is the lock dropped here?                                   | question
Please do not record the commit ID until it lands.              | -
Please don't add another knob for this.                         | objection
Won't this regress support for LLD 11 through 14?               | objection
This sentence is unclear to me.                                 | requests-changes
You should have !debug !strip here.                             | requests-changes
Nit: the comment has a typo.                                    | -
This is pretty awesome and much needed I think.                 | approval
That is not a good idea.                                        | objection
Please ignore this patch, v2 is coming.                         | withdraws
I've NAK'd FIT support on 32-bit Arm in the past.               | nak
Ack.                                                            | approval
I like the idea!                                                | approval
Sounds reasonable!                                              | agree
I am with Christoph.                                            | agree target=Christoph
This doesn't make a whole lot of sense.                         | objection
It doesn't make much sense to keep them around.                 | -
I don't think this change belongs upstream as is.               | objection
The issue should be resolved before this patch is accepted.     | requests-changes
After that, I think this should be good to go in.               | approval conditional
It still works for me.                                          | -
That works for me.                                              | approval
I don't like saying it, but that is what it is.                 | -
I really dislike how you changed the Makefile.                  | objection
I would say it is worth pursuing this direction.                | approval
The problem is actually part of my local build setup.           | withdraws
Looks good to me; Masahiro, I assume you'll be taking this one? | approval, question
Our rework uses the helper from patch 1 and needs patch 3.      | -
About patch 2: please split it.                                 | requests-changes scope=[2]
Reviewed-by: Jane Doe <jane@example.org>                        | -
For me this is a *regression*.                                  | objection
Wouldn't it be better to make this depend on the signature?     | requests-changes
OK, I am ready to pick it up for 5.3-rc1.                       | approval
Sorry for the noise, this looks to be a time32 issue in Ubuntu. | withdraws
Sorry for the noise, resending with the right list.             | -
It looks good to me, so feel free to add my Reviewed-by to that patch. | reviewed-by scope=[]
There is no regression with this patch.                         | -
I do not think this is the right fix.                           | objection
Urrg, hell no.                                                  | objection
I'd like to remove the switch rather than applying this patch.  | objection
I share the same concern about sizes.                           | objection
OK, I dropped 3/3 from my tree. Please send v2.                 | requests-changes
Might you want to update the names above?                       | requests-changes
You might want to have a look at scripts/Makefile.build.       | -
It is the right fix.                                            | -
I fixed it up and applied to linux-kbuild/fixes.                | applied
I applied your patch and added -v option to see which assembler was invoked. | -
";

#[test]
fn rules_one_line_each() {
    let mut failures = Vec::new();
    for line in CASES.lines().filter(|l| !l.trim().is_empty()) {
        let (input, expected) = line.split_once('|').unwrap();
        let (input, expected) = (input.trim(), expected.trim());
        let found: Vec<String> = analyze(input)
            .into_iter()
            .map(|f| {
                let mut s = f.kind.as_str().to_string();
                if f.conditional {
                    s += " conditional";
                }
                match f.scope {
                    Some(Scope::Series) => s += " scope=series",
                    Some(Scope::Patches(p)) => s += &format!(" scope={p:?}"),
                    None => {}
                }
                if let Some(t) = f.target_name {
                    s += &format!(" target={t}");
                }
                // The rule's name, where a case asks for it.
                if expected.contains("rule=") {
                    s += &format!(" rule={}", f.rule);
                }
                s
            })
            .collect();
        let actual = if found.is_empty() {
            "-".to_string()
        } else {
            found.join(", ")
        };
        if actual != expected {
            failures.push(format!(
                "{input:?}\n    expected {expected}\n    got      {actual}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} rule cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn sentences_join_wrapped_lines_and_keep_trailers_apart() {
    let text =
        "Looks good. I tested it on\narm64 too.\n\nFor patches 1 and 3:\nReviewed-by: A <a@x>\n";
    expect![[r#"
        [
            (
                0,
                "Looks good.",
            ),
            (
                12,
                "I tested it on arm64 too.",
            ),
            (
                39,
                "For patches 1 and 3:",
            ),
            (
                60,
                "Reviewed-by: A <a@x>",
            ),
        ]
    "#]]
    .assert_debug_eq(&sentences(text));
}

/// Every prose rule of the table fires on each of its examples and stays
/// quiet on its near misses; a rule with no example fails.
#[test]
fn every_rule_fires_on_its_examples() {
    let mut failures = Vec::new();
    for row in PROSE {
        if row.fires.is_empty() {
            failures.push(format!("{}: no example", row.rule));
        }
        for text in row.fires {
            if !analyze(text).iter().any(|f| f.rule == row.rule) {
                failures.push(format!(
                    "{}: did not fire on {text:?}: {:?}",
                    row.rule,
                    rules_of(text)
                ));
            }
        }
        for text in row.quiet {
            if analyze(text).iter().any(|f| f.rule == row.rule) {
                failures.push(format!("{}: fired on {text:?}", row.rule));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn rules_of(text: &str) -> Vec<&'static str> {
    analyze(text).iter().map(|f| f.rule.as_str()).collect()
}
