use expect_test::{Expect, expect};

use super::*;

/// Renders each segment as `kind | first line ...` so the cut points show.
#[track_caller]
fn check(body: &str, expected: Expect) {
    let mut out = String::new();
    for seg in segment(body) {
        let label = match seg.kind {
            Kind::Original => "original".to_string(),
            Kind::Quoted { depth } => format!("quoted{depth}"),
            Kind::Attribution => "attribution".to_string(),
            Kind::Signature => "signature".to_string(),
            Kind::Diff => "diff".to_string(),
        };
        for line in seg.text(body).lines() {
            out += &format!("{label:<11} | {line}\n");
        }
    }
    expected.assert_eq(&out);
}

#[test]
fn reply_with_nested_quotes_and_signature() {
    check(
        "On Tue, 12 Mar 2019 12:30:52 -0700 Dan Williams <dan@x> wrote:\n\n> On Tue, Mar 12, 2019 at 12:06 PM Jerome Glisse <jg@x> wrote:\n> > Well let just agree to disagree\n>\n> I'm fine to continue.\n\nYou're correct.\n-- \nAndrew\n",
        expect![[r#"
            attribution | On Tue, 12 Mar 2019 12:30:52 -0700 Dan Williams <dan@x> wrote:
            original    | 
            quoted1     | > On Tue, Mar 12, 2019 at 12:06 PM Jerome Glisse <jg@x> wrote:
            quoted2     | > > Well let just agree to disagree
            quoted1     | >
            quoted1     | > I'm fine to continue.
            original    | 
            original    | You're correct.
            signature   | -- 
            signature   | Andrew
        "#]],
    );
}

#[test]
fn wrapped_and_foreign_attributions() {
    check(
        "On Tue, Mar 12, 2019 at 12:06 PM Jerome Glisse\n<jglisse@x> wrote:\n> text\nAm 12.03.2019 um 10:00 schrieb Hans:\n> mehr\n* Dan <d@x> [2019-03-12 10:00]:\n> mutt\nQuoting Dan (2019-03-12):\n> q\n",
        expect![[r#"
            attribution | On Tue, Mar 12, 2019 at 12:06 PM Jerome Glisse
            attribution | <jglisse@x> wrote:
            quoted1     | > text
            attribution | Am 12.03.2019 um 10:00 schrieb Hans:
            quoted1     | > mehr
            attribution | * Dan <d@x> [2019-03-12 10:00]:
            quoted1     | > mutt
            attribution | Quoting Dan (2019-03-12):
            quoted1     | > q
        "#]],
    );
}

#[test]
fn patch_with_diffstat_diff_and_git_signature() {
    let body = "Frobnicate less.\n\nSigned-off-by: A <a@x>\n---\n mm/hmm.c | 3 ++-\n 1 file changed\n\ndiff --git a/mm/hmm.c b/mm/hmm.c\nindex 1..2 100644\n--- a/mm/hmm.c\n+++ b/mm/hmm.c\n@@ -10,4 +10,4 @@ static int hmm_vma_walk(struct x)\n context\n-old\n+new\n\n another\n-- \n2.20.1\n";
    check(
        body,
        expect![[r#"
            original    | Frobnicate less.
            original    | 
            original    | Signed-off-by: A <a@x>
            original    | ---
            original    |  mm/hmm.c | 3 ++-
            original    |  1 file changed
            original    | 
            diff        | diff --git a/mm/hmm.c b/mm/hmm.c
            diff        | index 1..2 100644
            diff        | --- a/mm/hmm.c
            diff        | +++ b/mm/hmm.c
            diff        | @@ -10,4 +10,4 @@ static int hmm_vma_walk(struct x)
            diff        |  context
            diff        | -old
            diff        | +new
            diff        | 
            diff        |  another
            signature   | -- 
            signature   | 2.20.1
        "#]],
    );
    let diff = segment(body)
        .into_iter()
        .find(|s| s.kind == Kind::Diff)
        .unwrap();
    expect![[r#"
        DiffSummary {
            files: [
                "mm/hmm.c",
            ],
            hunk_headers: [
                "static int hmm_vma_walk(struct x)",
            ],
            added: [
                "new",
            ],
            removed: [
                "old",
            ],
        }
    "#]]
    .assert_debug_eq(&summarize_diff(diff.text(body)));
}

#[test]
fn quoted_diff_stays_quoted_and_short_hunk_ends() {
    check(
        "> @@ -1,2 +1,2 @@\n> -a\n> +b\n\nThis is wrong.\n\n--- a/x\n+++ b/x\n@@ -1,5 +1,5 @@\n-a\n+b\nRest of my mail.\n",
        expect![[r#"
            quoted1     | > @@ -1,2 +1,2 @@
            quoted1     | > -a
            quoted1     | > +b
            original    | 
            original    | This is wrong.
            original    | 
            diff        | --- a/x
            diff        | +++ b/x
            diff        | @@ -1,5 +1,5 @@
            diff        | -a
            diff        | +b
            original    | Rest of my mail.
        "#]],
    );
}

#[test]
fn outlook_top_post_and_signature_then_quote() {
    check(
        "Fine by me.\n\n-----Original Message-----\nFrom: X\nSent: Tuesday\n\nold text\n",
        expect![[r#"
            original    | Fine by me.
            original    | 
            attribution | -----Original Message-----
            quoted1     | From: X
            quoted1     | Sent: Tuesday
            quoted1     | 
            quoted1     | old text
        "#]],
    );
    check(
        "Top post.\n-- \nSig\nOn Mon, X wrote:\n> below\n",
        expect![[r#"
            original    | Top post.
            signature   | -- 
            signature   | Sig
            attribution | On Mon, X wrote:
            quoted1     | > below
        "#]],
    );
}

#[test]
fn deep_quotes_do_not_recurse() {
    let body = format!("{} deep\n", ">".repeat(100_000));
    let segs = segment(&body);
    assert_eq!(segs.len(), 1);
    assert_eq!(segs[0].kind, Kind::Quoted { depth: 100_000 });
}

#[test]
fn over_counted_hunk_still_ends_at_git_signature() {
    check(
        "diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,9 +1,9 @@\n-a\n+b\n-- \n2.43.0\n",
        expect![[r#"
            diff        | diff --git a/x b/x
            diff        | --- a/x
            diff        | +++ b/x
            diff        | @@ -1,9 +1,9 @@
            diff        | -a
            diff        | +b
            signature   | -- 
            signature   | 2.43.0
        "#]],
    );
}
