//! Search over the sample archive: for each prefix a query that must match
//! and one that must not, written as data with the expected Message-IDs.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use expect_test::{Expect, expect};
use whosaid::index::{Index, SearchOptions, Sort};

/// The samples, imported once for all tests here.
fn data() -> &'static Path {
    static DATA: OnceLock<PathBuf> = OnceLock::new();
    DATA.get_or_init(|| {
        let dir = crate::support::lasting_dir();
        crate::support::import_samples(&dir);
        dir
    })
}

/// 2024-04-01 00:00 UTC, for relative dates.
const NOW: i64 = 1_711_929_600;

/// Runs each query and renders its hits' Message-IDs (oldest first, so the
/// text is stable), or its refusal.
#[track_caller]
fn check(queries: &[&str], expected: Expect) {
    let index = Index::open(data()).unwrap();
    let mut out = String::new();
    for q in queries {
        let shown: String = q.chars().take(60).collect();
        let more = if q.len() > shown.len() {
            format!("... ({} bytes)", q.len())
        } else {
            String::new()
        };
        out += &format!("{shown}{more}\n");
        match whosaid::query::parse(q, NOW) {
            Err(e) => out += &format!("  refused: {e}\n"),
            Ok(parsed) => {
                for n in &parsed.notes {
                    out += &format!("  note: {n}\n");
                }
                let r = index
                    .search(
                        &parsed,
                        SearchOptions {
                            limit: 100,
                            offset: 0,
                            sort: Sort::Date,
                            snippets: false,
                        },
                        &|_| None,
                    )
                    .unwrap();
                assert_eq!(r.total, r.hits.len());
                if r.hits.is_empty() {
                    out += "  (none)\n";
                }
                for h in r.hits.iter().rev() {
                    out += &format!("  {}\n", h.message_id);
                }
            }
        }
    }
    expected.assert_eq(&out);
}

#[test]
fn original_versus_quoted() {
    // Dana wrote it; Joël quoted it.
    check(
        &[
            "nq:\"I fail to see why HMM\"",
            "q:\"I fail to see why HMM\"",
            "b:\"I fail to see why HMM\"",
        ],
        expect![[r#"
            nq:"I fail to see why HMM"
              CAPcyv4gQx0cC2+yBd1S8d0tGv7Vf3UHyTLYMxs+oH6DkqK0pLQ@mail.gmail.example.com
            q:"I fail to see why HMM"
              20190129195511.GD3176@redhat.example.com
            b:"I fail to see why HMM"
              CAPcyv4gQx0cC2+yBd1S8d0tGv7Vf3UHyTLYMxs+oH6DkqK0pLQ@mail.gmail.example.com
              20190129195511.GD3176@redhat.example.com
        "#]],
    );
    // An mboxrd-escaped ">From " line is the sender's own text.
    check(
        &["nq:\"from what I can see\"", "q:\"from what I can see\""],
        expect![[r#"
        nq:"from what I can see"
          87lg2yvpzc.fsf@example.net
        q:"from what I can see"
          (none)
    "#]],
    );
}

#[test]
fn header_prefixes() {
    check(
        &[
            "s:modpost s:unresolved",
            "s:hmm s:modpost",
            "f:\"Tom Berglund\" s:v2",
            "f:nobody",
            "t:linux-kbuild s:v2 f:lars",
            "t:nobody",
            "c:ingrid",
            "c:ilya.wexler@example.net f:anton",
            "tc:akm@linux-foundation.example.org f:dana",
            "a:lkp",
            "a:LKP@Intel.Example.com",
            "f:lkp@intel.example.com s:modpost",
            "t:lkp@intel.example.com",
            "a:intel.example.com",
            "a:nobody",
            "tc:nobody",
            "m:87h6h4lars.fsf@example.dk",
            "m:<87h6h4lars.fsf@example.dk>",
            "m:87h6h4lars",
            "l:linux-mm f:kruger",
            "l:linux-kbuild f:kruger",
        ],
        expect![[r#"
            s:modpost s:unresolved
              20240311093000.1022-4-ksato@example.jp
              202403121945.xK2bQ9Lm-lkp@intel.example.com
              20240318101500.2231-4-ksato@example.jp
            s:hmm s:modpost
              (none)
            f:"Tom Berglund" s:v2
              Zfg1qW8mN2sAx4bE@berglund.example.se
            f:nobody
              (none)
            t:linux-kbuild s:v2 f:lars
              87h6h4lars.fsf@example.dk
              v2-lars@example.dk
            t:nobody
              (none)
            c:ingrid
              (none)
            c:ilya.wexler@example.net f:anton
              20190129165218.4c3e1e1a47b9a9e4d8f2c7b1@linux-foundation.example.org
            tc:akm@linux-foundation.example.org f:dana
              CAPcyv4hb8+mH3DsM7rH1zJf1Ygaoy8Q4BNRtUQXvzN1ZAvNE6A@mail.gmail.example.com
              CAPcyv4gQx0cC2+yBd1S8d0tGv7Vf3UHyTLYMxs+oH6DkqK0pLQ@mail.gmail.example.com
              CAPcyv4jLr2zW2c1uV7Fh3mXo4rZbqgS0aYt8HqSgxwT3a9kDcw@mail.gmail.example.com
            a:lkp
              202403121945.xK2bQ9Lm-lkp@intel.example.com
            a:LKP@Intel.Example.com
              202403121945.xK2bQ9Lm-lkp@intel.example.com
            f:lkp@intel.example.com s:modpost
              202403121945.xK2bQ9Lm-lkp@intel.example.com
            t:lkp@intel.example.com
              (none)
            a:intel.example.com
              20190129165428.3931-1-jgarnier@redhat.example.com
              20190129165428.3931-2-jgarnier@redhat.example.com
              20190129165428.3931-3-jgarnier@redhat.example.com
              20190129165428.3931-4-jgarnier@redhat.example.com
              CAPcyv4hb8+mH3DsM7rH1zJf1Ygaoy8Q4BNRtUQXvzN1ZAvNE6A@mail.gmail.example.com
              CAPcyv4gQx0cC2+yBd1S8d0tGv7Vf3UHyTLYMxs+oH6DkqK0pLQ@mail.gmail.example.com
              CAPcyv4jLr2zW2c1uV7Fh3mXo4rZbqgS0aYt8HqSgxwT3a9kDcw@mail.gmail.example.com
              20190129165218.4c3e1e1a47b9a9e4d8f2c7b1@linux-foundation.example.org
              87pnsevq1x.fsf@example.net
              87lg2yvpzc.fsf@example.net
              alpine.DEB.2.21.1901301702250.8722@example.net
              2f0c4b5e-9a7d-4c8b-bb1e-3c4f0d1e5a77@amd.example.com
              202403121945.xK2bQ9Lm-lkp@intel.example.com
            a:nobody
              (none)
            tc:nobody
              (none)
            m:87h6h4lars.fsf@example.dk
              87h6h4lars.fsf@example.dk
            m:<87h6h4lars.fsf@example.dk>
              87h6h4lars.fsf@example.dk
            m:87h6h4lars
              (none)
            l:linux-mm f:kruger
              2f0c4b5e-9a7d-4c8b-bb1e-3c4f0d1e5a77@amd.example.com
            l:linux-kbuild f:kruger
              (none)
        "#]],
    );
}

#[test]
fn diff_and_trailer_prefixes() {
    check(
        &[
            "dfn:mm/hmm.c",
            "dfn:modpost.h",
            "dfn:Makefile",
            "dfb:hash_for_each_possible",
            "dfa:hash_for_each_possible",
            "dfa:\"second pass: pick up exports\"",
            "dfhh:hmm_vma_get_pfns",
            "dfhh:main s:v2",
            "dfhh:hmm_vma_walk_pmd s:v2",
            "dfb:\"second pass: pick up exports\"",
            "b:zebra",
            "b:\"stale value\"",
            "tr:nacked-by",
            "tr:tested-by f:lars",
            "tr:acked-by f:nadia",
        ],
        expect![[r#"
            dfn:mm/hmm.c
              20190129165428.3931-3-jgarnier@redhat.example.com
              20190129165428.3931-4-jgarnier@redhat.example.com
            dfn:modpost.h
              20240311093000.1022-4-ksato@example.jp
              20240318101500.2231-4-ksato@example.jp
            dfn:Makefile
              (none)
            dfb:hash_for_each_possible
              20240311093000.1022-2-ksato@example.jp
              20240318101500.2231-2-ksato@example.jp
            dfa:hash_for_each_possible
              (none)
            dfa:"second pass: pick up exports"
              20240311093000.1022-3-ksato@example.jp
              20240318101500.2231-3-ksato@example.jp
            dfhh:hmm_vma_get_pfns
              20190129165428.3931-4-jgarnier@redhat.example.com
            dfhh:main s:v2
              20240318101500.2231-3-ksato@example.jp
            dfhh:hmm_vma_walk_pmd s:v2
              (none)
            dfb:"second pass: pick up exports"
              (none)
            b:zebra
              (none)
            b:"stale value"
              87lg2yvpzc.fsf@example.net
            tr:nacked-by
              Ze8kL2ZqXb0Jx7aQ@berglund.example.se
            tr:tested-by f:lars
              87h6h4lars.fsf@example.dk
              v2-lars@example.dk
            tr:acked-by f:nadia
              (none)
        "#]],
    );
}

#[test]
fn dates_operators_and_wildcards() {
    check(
        &[
            "d:2019-01-30..2019-01-30 f:ilya",
            "d:..2019-01-29 f:ilya",
            "d:2.weeks.ago.. s:v2",
            "s:v2 -f:kenji",
            "f:tom OR f:marc",
            "(f:tom OR f:marc) NOT s:v2",
            "withdraw*",
            "s:\"speed up\" applied",
        ],
        expect![[r#"
            d:2019-01-30..2019-01-30 f:ilya
              87pnsevq1x.fsf@example.net
              87lg2yvpzc.fsf@example.net
              alpine.DEB.2.21.1901301702250.8722@example.net
            d:..2019-01-29 f:ilya
              (none)
            d:2.weeks.ago.. s:v2
              20240318101500.2231-1-ksato@example.jp
              20240318101500.2231-2-ksato@example.jp
              20240318101500.2231-3-ksato@example.jp
              20240318101500.2231-4-ksato@example.jp
              Zfg1qW8mN2sAx4bE@berglund.example.se
              87h6h4lars.fsf@example.dk
              CAHtmlOnly0x1234abcd@mail.gmail.example.com
              CAK7LNARapplied0001@mail.gmail.example.com
              20240403-kconfig-v2-0-ksato@example.jp
              20240403-kconfig-v2-1-ksato@example.jp
              20240403-kconfig-v2-2-ksato@example.jp
              v2-lars@example.dk
              v2-ingrid@example.dk
              v2-kenji@example.jp
              v2-ingrid2@example.dk
            s:v2 -f:kenji
              Zfg1qW8mN2sAx4bE@berglund.example.se
              87h6h4lars.fsf@example.dk
              CAHtmlOnly0x1234abcd@mail.gmail.example.com
              CAK7LNARapplied0001@mail.gmail.example.com
              v2-lars@example.dk
              v2-ingrid@example.dk
              v2-ingrid2@example.dk
            f:tom OR f:marc
              Ze8kL2ZqXb0Jx7aQ@berglund.example.se
              Zfg1qW8mN2sAx4bE@berglund.example.se
              CAK7LNARapplied0001@mail.gmail.example.com
              v1-tom@berglund.example.se
              v1-marc@example.org
              v3-tom@berglund.example.se
            (f:tom OR f:marc) NOT s:v2
              Ze8kL2ZqXb0Jx7aQ@berglund.example.se
              v1-tom@berglund.example.se
              v1-marc@example.org
              v3-tom@berglund.example.se
            withdraw*
              Zfg1qW8mN2sAx4bE@berglund.example.se
              v2-ingrid2@example.dk
            s:"speed up" applied
              CAK7LNARapplied0001@mail.gmail.example.com
        "#]],
    );
}

#[test]
fn bad_queries_explain_themselves() {
    check(
        &[
            "\"unbalanced quote",
            "NOT",
            "*",
            "foo:bar modpost",
            "((hmm",
            &"x".repeat(100 * 1024),
        ],
        expect![[r#"
            "unbalanced quote
              note: a quote was not closed; read the phrase to the end
              (none)
            NOT
              refused: nothing to search for (ignored a NOT with nothing after it)
            *
              refused: nothing to search for (ignored *: a wildcard needs at least 2 letters before the *)
            foo:bar modpost
              note: unknown prefix foo: searched as words
              (none)
            ((hmm
              note: added a missing ')' at the end
              note: added a missing ')' at the end
              20190129165428.3931-1-jgarnier@redhat.example.com
              20190129165428.3931-2-jgarnier@redhat.example.com
              20190129165428.3931-3-jgarnier@redhat.example.com
              20190129165428.3931-4-jgarnier@redhat.example.com
              CAPcyv4hb8+mH3DsM7rH1zJf1Ygaoy8Q4BNRtUQXvzN1ZAvNE6A@mail.gmail.example.com
              20190129191230.GB3176@redhat.example.com
              CAPcyv4gQx0cC2+yBd1S8d0tGv7Vf3UHyTLYMxs+oH6DkqK0pLQ@mail.gmail.example.com
              20190129195511.GD3176@redhat.example.com
              CAPcyv4jLr2zW2c1uV7Fh3mXo4rZbqgS0aYt8HqSgxwT3a9kDcw@mail.gmail.example.com
              20190129165218.4c3e1e1a47b9a9e4d8f2c7b1@linux-foundation.example.org
              87pnsevq1x.fsf@example.net
              87lg2yvpzc.fsf@example.net
              alpine.DEB.2.21.1901301702250.8722@example.net
              2f0c4b5e-9a7d-4c8b-bb1e-3c4f0d1e5a77@amd.example.com
            xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx... (102400 bytes)
              refused: the query is 102400 bytes long; the limit is 4096: search for fewer words
        "#]],
    );
}

/// On linux-kbuild: the acceptance queries of the search issue.
#[test]
fn kbuild_prefixes_find_what_they_say() {
    let data = crate::support::kbuild_data();
    let index = Index::open(data).unwrap();
    let store = whosaid::store::Store::open(data).unwrap();
    let run = |q: &str| {
        let parsed = whosaid::query::parse(q, NOW).unwrap();
        index
            .search(
                &parsed,
                SearchOptions {
                    limit: 10_000,
                    offset: 0,
                    sort: Sort::Date,
                    snippets: false,
                },
                &|_| None,
            )
            .unwrap()
    };
    let parse_row = |row: i64| match whosaid::message::parse(&store.canonical_raw(row).unwrap()) {
        whosaid::message::ParseOutcome::Message(m, _) => m,
        other => panic!("{other:?}"),
    };
    // dfn: every hit's diff touches the file.
    let hits = run("dfn:scripts/Makefile.modpost");
    assert!(hits.total > 20, "dfn: found only {}", hits.total);
    for hit in &hits.hits {
        let doc = whosaid::index::IndexDoc::from_message(&parse_row(hit.row));
        assert!(
            doc.diff_files
                .iter()
                .any(|f| f.contains("Makefile.modpost")),
            "{} touches {:?}",
            hit.message_id,
            doc.diff_files
        );
    }
    // tr:reviewed-by f:NAME: that person's reviews, carrying the trailer.
    let hits = run("tr:reviewed-by f:chancellor");
    assert!(hits.total > 20, "reviews found: {}", hits.total);
    for hit in &hits.hits {
        assert!(
            hit.from_name.to_lowercase().contains("chancellor")
                || hit.from_email.contains("chancellor")
        );
        let doc = whosaid::index::IndexDoc::from_message(&parse_row(hit.row));
        assert!(
            doc.trailers.iter().any(|t| t == "reviewed-by"),
            "{} has {:?}",
            hit.message_id,
            doc.trailers
        );
    }
    // s:kbuild d:2021: inside the range, and fewer than without it.
    let all = run("s:kbuild");
    let in_2021 = run("s:kbuild d:2021-01-01..2021-12-31");
    assert!(in_2021.total > 100 && in_2021.total < all.total);
    let (start, end) = (1_609_459_200, 1_640_995_200); // 2021-01-01, 2022-01-01 UTC
    for hit in &in_2021.hits {
        let t = hit.date.expect("a dated hit").0;
        assert!((start..end).contains(&t), "{} dated {t}", hit.message_id);
    }
    // The index holds each message exactly once.
    assert_eq!(index.num_docs().unwrap(), store.message_count().unwrap());
}

/// `search --json` has the interface's shape, and exit codes say what happened.
#[test]
fn search_command_json_and_exit_codes() {
    let out = crate::support::whosaid(data(), &["search", "--json", "--limit", "2", "f:dana"]);
    assert_eq!(out.status.code(), Some(0), "{}", crate::support::text(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["total"], 3);
    let hit = &json["hits"][0];
    assert_eq!(
        hit["message_id"],
        "CAPcyv4jLr2zW2c1uV7Fh3mXo4rZbqgS0aYt8HqSgxwT3a9kDcw@mail.gmail.example.com"
    );
    assert_eq!(
        hit["thread_root"],
        "20190129165428.3931-1-jgarnier@redhat.example.com"
    );
    assert_eq!(hit["from"]["name"], "Dana Whitfield");
    assert_eq!(hit["date"], "2019-01-29T12:30:52-08:00");
    assert!(
        hit["snippet"]
            .as_str()
            .unwrap()
            .starts_with("I'm fine to continue")
    );
    assert_eq!(json["hits"].as_array().unwrap().len(), 2);
    let none = crate::support::whosaid(data(), &["search", "f:nobody-at-all"]);
    assert_eq!(none.status.code(), Some(1));
    let bad = crate::support::whosaid(data(), &["search", "*"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(crate::support::text(&bad).contains("a wildcard needs at least 2 letters"));
    let grouped = crate::support::whosaid(data(), &["search", "--json", "--threads", "s:modpost"]);
    let json: serde_json::Value = serde_json::from_slice(&grouped.stdout).unwrap();
    assert_eq!(json["hits"].as_array().unwrap().len(), 1, "one thread");
    assert_eq!(json["hits"][0]["thread_hits"], json["total"]);
}
