//! `whosaid search` and `who`: queries over the index, printed or as JSON.

use crate::cli::*;

/// Store and index brought up to date, and the query parsed, with the
/// parser's notes on standard error. None (after saying why) when the query
/// is refused.
pub(in crate::cli) fn prepare_query(
    data: &std::path::Path,
    query: &str,
) -> anyhow::Result<Option<(Store, Index, crate::query::Parsed)>> {
    let archive = open_searchable(data)?;
    match crate::query::parse(query, chrono::Utc::now().timestamp()) {
        Ok(parsed) => {
            for note in &parsed.notes {
                eprintln!("note: {note}");
            }
            let (store, index) = archive.into_parts();
            let index = index.expect("open_searchable opens the index");
            Ok(Some((store, index, parsed)))
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
    let Some((store, index, parsed)) = prepare_query(data, query)? else {
        return Ok(ExitCode::from(2));
    };
    // For --threads, fetch more hits and keep the first of each thread.
    let fetch = if by_thread {
        SearchOptions {
            limit: (opts.limit + opts.offset) * 10,
            offset: 0,
            ..opts
        }
    } else {
        opts
    };
    let pool = crate::store::Pool::new(data, None);
    let results = index.search(&parsed, fetch, &|row| {
        pool.with(|s| s.quoted_text(row)).ok()
    })?;
    let mut hits: Vec<(crate::index::Hit, String, usize)> = Vec::new();
    for hit in results.hits {
        let root = store
            .thread_root_of(hit.row)?
            .unwrap_or_else(|| hit.message_id.clone());
        if by_thread && let Some(existing) = hits.iter_mut().find(|(_, r, _)| *r == root) {
            existing.2 += 1;
            continue;
        }
        hits.push((hit, root, 1));
    }
    if by_thread {
        hits = hits
            .into_iter()
            .skip(opts.offset)
            .take(opts.limit)
            .collect();
    }
    if json {
        let hits_json: Vec<serde_json::Value> = hits
            .iter()
            .map(|(h, root, n)| {
                let mut v = report::hit_json(h, root);
                if by_thread {
                    v["thread_hits"] = (*n).into();
                }
                v
            })
            .collect();
        let out =
            serde_json::json!({"total": results.total, "hits": hits_json, "notes": parsed.notes});
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        let bold = std::io::stdout().is_terminal();
        let mut out = visible_stdout();
        let _ = writeln!(
            out,
            "{} message{} match{}",
            results.total,
            if results.total == 1 { "" } else { "s" },
            if opts.sort == Sort::Relevance {
                ", best first"
            } else {
                ", newest first"
            }
        );
        for (h, root, n) in &hits {
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
                let _ = writeln!(out, "    {}", mark(&h.snippet, &h.highlights, bold));
            }
            let thread = if by_thread {
                format!("  ({n} in thread <{root}>)")
            } else {
                String::new()
            };
            let _ = writeln!(out, "    <{}>{thread}", h.message_id);
        }
    }
    Ok(if results.total == 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The snippet with matched words in bold (terminal) or *stars* (pipe).
pub(in crate::cli) fn mark(snippet: &str, highlights: &[(usize, usize)], bold: bool) -> String {
    let (open, close) = if bold {
        ("\x1b[1m", "\x1b[0m")
    } else {
        ("*", "*")
    };
    let mut out = String::with_capacity(snippet.len() + highlights.len() * 8);
    let mut at = 0;
    for &(start, end) in highlights {
        if start < at
            || end > snippet.len()
            || !snippet.is_char_boundary(start)
            || !snippet.is_char_boundary(end)
        {
            continue;
        }
        out.push_str(&snippet[at..start]);
        out.push_str(open);
        out.push_str(&snippet[start..end]);
        out.push_str(close);
        at = end;
    }
    out.push_str(&snippet[at..]);
    out.replace('\n', " ")
}

pub(in crate::cli) fn cmd_who(
    data: &std::path::Path,
    files: &ReviewFiles,
    json: bool,
    max_threads: usize,
    query: &str,
) -> anyhow::Result<ExitCode> {
    let Some((store, index, parsed)) = prepare_query(data, query)? else {
        return Ok(ExitCode::from(2));
    };
    let who = report::who(&store, &index, &parsed, files.context(), max_threads)?;
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
