//! `whosaid search` and `who`: queries over the index, printed or as JSON.

use crate::archive::search::{self, Placed};
use crate::cli::*;

/// The archive with its index brought up to date, and the query parsed,
/// with the parser's notes on standard error. None (after saying why) when
/// the query is refused.
pub(in crate::cli) fn prepare_query(
    data: &std::path::Path,
    query: &str,
) -> anyhow::Result<Option<(Archive, crate::query::Parsed)>> {
    let archive = open_searchable(data)?;
    match crate::query::parse(query, chrono::Utc::now().timestamp()) {
        Ok(parsed) => {
            for note in &parsed.notes {
                eprintln!("note: {note}");
            }
            Ok(Some((archive, parsed)))
        }
        Err(e) => {
            eprintln!("whosaid: cannot search for that: {e}");
            Ok(None)
        }
    }
}

pub(in crate::cli) fn cmd_search(
    data: &std::path::Path,
    json: bool,
    opts: SearchOptions,
    by_thread: bool,
    query: &str,
) -> anyhow::Result<ExitCode> {
    let Some((archive, parsed)) = prepare_query(data, query)? else {
        return Ok(ExitCode::from(2));
    };
    // By thread: the first hit of each thread, and how many it has.
    let (total, hits): (usize, Vec<(Placed, usize)>) = if by_thread {
        let (total, threads) = search::search_threads(&archive, &parsed, opts)?;
        let firsts = threads
            .into_iter()
            .map(|t| {
                let n = t.len();
                (t.into_iter().next().expect("a thread has a hit"), n)
            })
            .collect();
        (total, firsts)
    } else {
        let found = search::search(&archive, &parsed, opts)?;
        (
            found.total,
            found.hits.into_iter().map(|p| (p, 1)).collect(),
        )
    };
    if json {
        let hits_json: Vec<serde_json::Value> = hits
            .iter()
            .map(|(p, n)| {
                let mut v = report::hit_json(&p.hit, search::thread_of(p));
                if by_thread {
                    v["thread_hits"] = (*n).into();
                }
                v
            })
            .collect();
        let out = serde_json::json!({"total": total, "hits": hits_json, "notes": parsed.notes});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let bold = std::io::stdout().is_terminal();
        let mut out = visible_stdout();
        let _ = writeln!(
            out,
            "{} message{} match{}",
            total,
            if total == 1 { "" } else { "s" },
            if opts.sort == Sort::Relevance {
                ", best first"
            } else {
                ", newest first"
            }
        );
        for (p, n) in &hits {
            let (h, root) = (&p.hit, search::thread_of(p));
            let who = if h.from_name.is_empty() {
                &h.from_email
            } else {
                &h.from_name
            };
            let _ = writeln!(
                out,
                "\n{}  {}  {}",
                report::format_date(h.date, false),
                who,
                h.subject
            );
            if !h.snippet.is_empty() {
                let _ = writeln!(out, "    {}", mark(h, bold));
            }
            let thread = if by_thread {
                format!("  ({n} in thread <{root}>)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "    <{}>{thread}", h.message_id);
        }
    }
    Ok(if total == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The snippet with matched words in bold (terminal) or *stars* (pipe),
/// on one line.
pub(in crate::cli) fn mark(hit: &crate::index::Hit, bold: bool) -> String {
    let (open, close) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    let marked: String = hit
        .snippet_pieces()
        .into_iter()
        .map(|(text, matched)| {
            if matched {
                format!("{open}{text}{close}")
            } else {
                text
            }
        })
        .collect();
    marked.replace('\n', " ")
}

pub(in crate::cli) fn cmd_who(
    data: &std::path::Path,
    files: Review,
    json: bool,
    max_threads: usize,
    query: &str,
) -> anyhow::Result<ExitCode> {
    let Some((archive, parsed)) = prepare_query(data, query)? else {
        return Ok(ExitCode::from(2));
    };
    let archive = archive.with_review(files);
    let who = crate::archive::who::who(&archive, &parsed, max_threads)?;
    if json {
        println!("{}", serde_json::to_string_pretty(&report::who_json(&who))?);
    } else {
        let mut out = visible_stdout();
        let _ = writeln!(
            out,
            "{} {}; {} {} took part",
            who.threads,
            if who.threads == 1 {
                "thread matches"
            } else {
                "threads match"
            },
            who.people.len(),
            if who.people.len() == 1 {
                "person"
            } else {
                "people"
            }
        );
        for e in &who.people {
            let _ = writeln!(
                out,
                "\n{} <{}>: {} thread{}, {} support, {} oppose, {} neutral, {} authored",
                e.person.display(),
                e.person.email,
                e.threads,
                if e.threads == 1 { "" } else { "s" },
                e.counts[0],
                e.counts[1],
                e.counts[2],
                e.counts[3]
            );
            for st in e.statements.iter().take(5) {
                let _ = writeln!(
                    out,
                    "    {} {} {}: \"{}\"  [{}]",
                    report::format_date(st.date.map(|d| (d, 0)), true)
                        .get(..10)
                        .unwrap_or(""),
                    if st.authored {
                        "authored"
                    } else {
                        st.stance.as_str()
                    },
                    st.kind.as_str(),
                    st.evidence,
                    st.subject
                );
            }
        }
    }
    Ok(if who.threads == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}
