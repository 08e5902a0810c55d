use expect_test::{Expect, expect};

use super::*;

/// 2024-03-20 12:00:00 UTC
const NOW: i64 = 1_710_936_000;

fn show(e: &Expr) -> String {
    match e {
        Expr::Term {
            field,
            text,
            prefix,
        } => {
            format!("{field:?}:{text}{}", if *prefix { "*" } else { "" })
        }
        Expr::Phrase { field, text } => format!("{field:?}:\"{text}\""),
        Expr::DateRange { from, to } => {
            let f = |t: &Option<i64>| {
                t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                    .map_or("-".into(), |d| d.format("%Y-%m-%dT%H:%M").to_string())
            };
            format!("date[{}..{})", f(from), f(to))
        }
        Expr::And(v) => format!("AND({})", v.iter().map(show).collect::<Vec<_>>().join(", ")),
        Expr::Or(v) => format!("OR({})", v.iter().map(show).collect::<Vec<_>>().join(", ")),
        Expr::Not(e) => format!("NOT({})", show(e)),
    }
}

#[track_caller]
fn check(query: &str, expected: Expect) {
    let actual = match parse(query, NOW) {
        Ok(p) => {
            let mut s = show(&p.expr);
            for n in p.notes {
                s += &format!("\nnote: {n}");
            }
            s
        }
        Err(e) => format!("refused: {e}"),
    };
    expected.assert_eq(&actual);
}

#[test]
fn prefixes_and_operators() {
    check("hmm", expect!["Default:hmm"]);
    check(
        "s:hmm f:dan nq:\"fail to see\"",
        expect![[r#"AND(Subject:hmm, From:dan, Original:"fail to see")"#]],
    );
    check(
        "a OR b c",
        expect!["OR(Default:a, AND(Default:b, Default:c))"],
    );
    check(
        "(a OR b) AND NOT c",
        expect!["AND(OR(Default:a, Default:b), NOT(Default:c))"],
    );
    check(
        "kern* -rust +gcc",
        expect!["AND(Default:kern*, NOT(Default:rust), Default:gcc)"],
    );
    check(
        "-(a b) c",
        expect!["AND(NOT(AND(Default:a, Default:b)), Default:c)"],
    );
    check(
        "tr:reviewed-by f:yamada",
        expect!["AND(Trailer:reviewed-by, From:yamada)"],
    );
    check(
        "dfn:mm/hmm.c dfb:foo dfa:bar dfhh:main",
        expect!["AND(DiffFile:mm/hmm.c, DiffAdded:foo, DiffRemoved:bar, HunkHeader:main)"],
    );
    check(
        "m:<a@b> l:linux-mm t:x c:y tc:z a:w b:v q:u",
        expect![
            "AND(MessageId:<a@b>, List:linux-mm, To:x, Cc:y, ToCc:z, Address:w, Body:v, Quoted:u)"
        ],
    );
}

#[test]
fn dates() {
    check(
        "d:2019-03-01..2019-03-31",
        expect!["date[2019-03-01T00:00..2019-04-01T00:00)"],
    );
    check("d:2.weeks.ago..", expect!["date[2024-03-06T12:00..-)"]);
    check("d:..yesterday", expect!["date[-..2024-03-20T00:00)"]);
    check(
        "d:20190301",
        expect!["date[2019-03-01T00:00..2019-03-02T00:00)"],
    );
    check(
        "d:2021 s:kbuild",
        expect!["AND(date[2021-01-01T00:00..2022-01-01T00:00), Subject:kbuild)"],
    );
    check(
        "d:2021-02..2021-03",
        expect!["date[2021-02-01T00:00..2021-04-01T00:00)"],
    );
    check("d:last.month..", expect!["date[2024-02-19T12:00..-)"]);
    check(
        "d:soon x",
        expect![[r#"
        Default:x
        note: could not read the date range d:soon; write d:2019-03-01..2019-03-31 or d:2.weeks.ago.."#]],
    );
}

#[test]
fn lenient_with_mistakes() {
    check(
        "\"unbalanced quote",
        expect![[r#"
        Default:"unbalanced quote"
        note: a quote was not closed; read the phrase to the end"#]],
    );
    check(
        "NOT",
        expect![[r#"refused: nothing to search for (ignored a NOT with nothing after it)"#]],
    );
    check(
        "x NOT",
        expect![[r#"
        Default:x
        note: ignored a NOT with nothing after it"#]],
    );
    check(
        "*",
        expect![[
            r#"refused: nothing to search for (ignored *: a wildcard needs at least 2 letters before the *)"#
        ]],
    );
    check(
        "k* kernel",
        expect![[r#"
        Default:kernel
        note: ignored k*: a wildcard needs at least 2 letters before the *"#]],
    );
    check(
        "foo:bar baz",
        expect![[r#"
        AND(Default:foo:bar, Default:baz)
        note: unknown prefix foo: searched as words"#]],
    );
    check(
        "(a b",
        expect![[r#"
        AND(Default:a, Default:b)
        note: added a missing ')' at the end"#]],
    );
    check(
        "a) b",
        expect![[r#"
        Default:a
        note: ignored an unmatched ')'"#]],
    );
    check(
        "OR a",
        expect![[r#"
        Default:a
        note: ignored an OR with nothing on one side"#]],
    );
    check(
        "-a",
        expect![
            "refused: nothing to search for: a query needs at least one thing that must match, not only NOT"
        ],
    );
    check("", expect!["refused: nothing to search for"]);
    check(
        "https://lore.kernel.org/r/x",
        expect!["Default:https://lore.kernel.org/r/x"],
    );
}

#[test]
fn expensive_queries_are_refused() {
    check(
        &"x".repeat(100 * 1024),
        expect![
            "refused: the query is 102400 bytes long; the limit is 4096: search for fewer words"
        ],
    );
    check(
        &"w ".repeat(65),
        expect!["refused: the query has 65 terms; the limit is 64"],
    );
    check(
        &format!("{}x{}", "(".repeat(17), ")".repeat(17)),
        expect!["refused: parentheses nest 17 deep; the limit is 16"],
    );
}
