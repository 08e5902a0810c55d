//! Search placed in threads: each hit with the thread and list it is in,
//! hits gathered by thread, and the threads a query touches.

use super::Reader;
use crate::error::Result;
use crate::index::{Hit, SearchOptions, Sort};
use crate::query::Parsed;

/// A hit, and where it is.
#[derive(Debug, Clone)]
pub struct Placed {
    /// What the index found.
    pub hit: Hit,
    /// Its thread's root (None for a message not threaded yet).
    pub root: Option<String>,
    /// The first list it was seen on, or `all`.
    pub list: String,
}

/// One page of results.
#[derive(Debug, Clone, Default)]
pub struct Found {
    /// Messages matching, in all.
    pub total: usize,
    /// The page's hits, in the order asked for.
    pub hits: Vec<Placed>,
}

/// Runs `parsed` and places each hit of the page asked for.
pub fn search(r: &impl Reader, parsed: &Parsed, opts: SearchOptions) -> Result<Found> {
    let stores = r.stores();
    let results = r.search_index()?.search(parsed, opts, &|row| {
        stores.with(|s| s.quoted_text(row)).ok()
    })?;
    let hits = r.with_store(|s| {
        results
            .hits
            .iter()
            .map(|hit| {
                let list = s.lists_of(hit.row)?.into_iter().next();
                Ok(Placed {
                    hit: hit.clone(),
                    root: s.thread_root_of(hit.row)?,
                    list: list.unwrap_or_else(|| "all".into()),
                })
            })
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(Found {
        total: results.total,
        hits,
    })
}

/// Hits per thread: for each of the threads `opts` pages over (in the
/// order of their first hit), its hits among the first ten times as many
/// hits as threads asked for.
pub fn search_threads(
    r: &impl Reader,
    parsed: &Parsed,
    opts: SearchOptions,
) -> Result<(usize, Vec<Vec<Placed>>)> {
    let fetch = SearchOptions {
        limit: (opts.limit + opts.offset) * 10,
        offset: 0,
        ..opts
    };
    let found = search(r, parsed, fetch)?;
    let threads = by_thread(found.hits, |p| thread_of(p).to_string());
    let page = threads
        .into_iter()
        .skip(opts.offset)
        .take(opts.limit)
        .collect();
    Ok((found.total, page))
}

/// The thread a hit is in, named by its root (the message itself when it
/// is not threaded yet).
pub fn thread_of(p: &Placed) -> &str {
    p.root.as_deref().unwrap_or(&p.hit.message_id)
}

/// `items` gathered under their threads, threads in the order of their
/// first item, items in their order.
pub fn by_thread<T>(items: Vec<T>, root: impl Fn(&T) -> String) -> Vec<Vec<T>> {
    let mut where_: std::collections::HashMap<String, usize> = Default::default();
    let mut out: Vec<Vec<T>> = Vec::new();
    for item in items {
        match where_.entry(root(&item)) {
            std::collections::hash_map::Entry::Occupied(e) => out[*e.get()].push(item),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(out.len());
                out.push(vec![item]);
            }
        }
    }
    out
}

/// The roots of the threads the newest `max_hits` hits of `parsed` are
/// in, newest first, each once, at most `max_threads` of them.
pub fn thread_roots(
    r: &impl Reader,
    parsed: &Parsed,
    max_hits: usize,
    max_threads: usize,
) -> Result<Vec<String>> {
    let opts = SearchOptions {
        limit: max_hits,
        offset: 0,
        sort: Sort::Date,
        snippets: false,
    };
    let hits = r.search_index()?.search(parsed, opts, &|_| None)?;
    r.with_store(|s| {
        let mut seen = std::collections::HashSet::new();
        let mut roots = Vec::new();
        for h in &hits.hits {
            if roots.len() >= max_threads {
                break;
            }
            if let Some(root) = s.thread_root_of(h.row)?
                && seen.insert(root.clone())
            {
                roots.push(root);
            }
        }
        Ok(roots)
    })
}
