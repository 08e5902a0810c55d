//! The web UI and JSON API (axum). The only module that knows HTTP and HTML.
//!
//! URLs follow `../shared/spec/interface.md` (lore's shapes). Every page is
//! rendered on the server from the store and the index, read-only: the
//! server never writes to the store. Work that touches SQLite, tantivy or
//! the consensus engine runs on the blocking pool. Mail text reaches HTML
//! only through askama's auto-escaping; no template marks mail data safe.

mod commits;
mod errors;
mod feeds;
mod handlers;
mod pages;
mod series;

pub use errors::{ApiError, WebError};
use handlers::*;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;

use crate::archive::Reader;
use crate::consensus::Context;
use crate::index::Index;
use crate::store::Store;

/// The Content-Security-Policy of every response: nothing remote, no
/// inline script or style.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; \
                       base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Longest query accepted (bytes), as the CLI's parser allows.
pub const MAX_QUERY: usize = 4096;
/// Most results on one page.
pub const MAX_PAGE: usize = 200;

pub use crate::archive::Analysis;

/// A small least-recently-used cache with a size bound.
struct Lru<K, V> {
    entries: std::collections::VecDeque<(K, V, usize)>,
    bytes: usize,
    max_bytes: usize,
    max_entries: usize,
}

impl<K: PartialEq, V: Clone> Lru<K, V> {
    fn new(max_entries: usize, max_bytes: usize) -> Self {
        Lru {
            entries: std::collections::VecDeque::new(),
            bytes: 0,
            max_bytes,
            max_entries,
        }
    }

    fn clear(&mut self) {
        self.entries.clear();
        self.bytes = 0;
    }

    fn get(&mut self, key: &K) -> Option<V> {
        let i = self.entries.iter().position(|(k, _, _)| k == key)?;
        let e = self.entries.remove(i)?;
        let v = e.1.clone();
        self.entries.push_back(e);
        Some(v)
    }

    fn put(&mut self, key: K, value: V, size: usize) {
        if size > self.max_bytes {
            return;
        }
        if let Some(i) = self.entries.iter().position(|(k, _, _)| *k == key)
            && let Some((_, _, old)) = self.entries.remove(i)
        {
            self.bytes -= old;
        }
        while self.entries.len() >= self.max_entries || self.bytes + size > self.max_bytes {
            match self.entries.pop_front() {
                Some((_, _, n)) => self.bytes -= n,
                None => break,
            }
        }
        self.bytes += size;
        self.entries.push_back((key, value, size));
    }
}

/// Rendered pages, by (path, thread version).
type PageKey = (String, (String, i64, i64));

/// What the handlers share.
pub struct AppState {
    stores: crate::store::Pool,
    threads: Mutex<Lru<(String, i64, i64), Arc<Analysis>>>,
    pages: Mutex<Lru<PageKey, Arc<String>>>,
    index: Option<Index>,
    base_url: Option<String>,
    review: crate::archive::Review,
    /// Slots for searches running at once (see [`AppState::search`]).
    searches: Arc<tokio::sync::Semaphore>,
    /// How long a search waits for a slot before the answer is 503.
    search_wait: Duration,
    /// The repository whose commits the pages show (`serve --repo`).
    repo: Option<commits::Repo>,
}

/// Searches that may run at once, per core: a search is CPU work on a
/// blocking thread, and tokio would start up to 512 of them, so a crawler
/// that fires hundreds at once would slow every page and hold memory for
/// each. Beyond the slots, searches wait (up to [`SEARCH_WAIT`]); thread
/// pages, messages and redirects never do.
pub const SEARCHES_PER_CORE: usize = 2;

/// How long a search waits for a slot before it is answered 503 with
/// `Retry-After`.
pub const SEARCH_WAIT: Duration = Duration::from_secs(5);

/// Server configuration.
pub struct Config {
    /// The data dir.
    pub data: PathBuf,
    /// This archive's address for `Link:` lines and feeds, e.g.
    /// `https://archive.example.org`; `None`: the address each request
    /// was made to (its `Host`).
    pub base_url: Option<String>,
    /// A `.mailmap`.
    pub mailmap: Option<crate::mailmap::Mailmap>,
    /// A MAINTAINERS file.
    pub maintainers: Option<crate::maintainers::Maintainers>,
    /// A git repository whose commits the pages link to their postings.
    pub repo: Option<PathBuf>,
}

impl AppState {
    /// Opens the archive for reading.
    pub fn open(config: Config) -> crate::error::Result<AppState> {
        let (store, index) = crate::archive::Archive::open_for_serving(&config.data)?.into_parts();
        Ok(AppState {
            stores: crate::store::Pool::new(&config.data, Some(store)),
            threads: Mutex::new(Lru::new(64, usize::MAX)),
            pages: Mutex::new(Lru::new(512, 64 << 20)),
            index,
            base_url: config.base_url,
            review: crate::archive::Review {
                mailmap: config.mailmap,
                maintainers: config.maintainers,
            },
            searches: Arc::new(tokio::sync::Semaphore::new(
                SEARCHES_PER_CORE * std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            search_wait: SEARCH_WAIT,
            repo: config.repo.map(commits::Repo::new),
        })
    }

    /// The same state with `slots` searches at once, each waiting at most
    /// `wait` for a slot (for tests and deployments that tune it).
    pub fn with_search_limit(mut self, slots: usize, wait: Duration) -> AppState {
        self.searches = Arc::new(tokio::sync::Semaphore::new(slots));
        self.search_wait = wait;
        self
    }

    /// Runs the search `f` on a blocking thread once a search slot is free.
    async fn search<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&AppState) -> Result<T, WebError> + Send + 'static,
    ) -> Result<T, WebError> {
        let permit = tokio::time::timeout(self.search_wait, self.searches.clone().acquire_owned())
            .await
            .map_err(|_| WebError::Busy)?
            .map_err(|_| WebError::Busy)?;
        let st = self.clone();
        blocking(move || {
            let _permit = permit;
            f(&st)
        })
        .await
    }

    /// Runs `f` with a store connection from the pool.
    fn with_store<T>(&self, f: impl Fn(&Store) -> crate::error::Result<T>) -> Result<T, WebError> {
        Ok(self.stores.with(f)?)
    }

    /// Forgets every cached thread and page, as if each were viewed for the
    /// first time (for benchmarks of a first view on a running server).
    pub fn clear_caches(&self) {
        self.threads.lock().expect("thread cache").clear();
        self.pages.lock().expect("page cache").clear();
    }

    /// The page under `key` from the page cache, or rendered by `render` and
    /// kept there.
    fn cached_page<T: askama::Template>(
        &self,
        key: PageKey,
        render: impl FnOnce() -> Result<T, WebError>,
    ) -> Result<Arc<String>, WebError> {
        if let Some(html) = self.pages.lock().expect("page cache").get(&key) {
            return Ok(html);
        }
        let html = Arc::new(
            render()?
                .render()
                .map_err(|e| WebError::Internal(format!("rendering failed: {e}")))?,
        );
        let size = html.len();
        self.pages
            .lock()
            .expect("page cache")
            .put(key, html.clone(), size);
        Ok(html)
    }

    /// The thread containing `msgid` (read once per version of the
    /// thread), or 404.
    pub fn thread(&self, msgid: &str) -> Result<Arc<Analysis>, WebError> {
        Reader::analysis(self, msgid)?
            .ok_or_else(|| WebError::NotFound(format!("no message <{msgid}> in the archive")))
    }

    /// This archive's address as seen by the request: the configured base
    /// URL, else the request's `Host` (with `X-Forwarded-Proto`'s scheme
    /// when a proxy says https).
    pub fn base_for(&self, headers: &axum::http::HeaderMap) -> String {
        if let Some(b) = &self.base_url {
            return b.trim_end_matches('/').to_string();
        }
        let host = headers
            .get(header::HOST)
            .and_then(|h| h.to_str().ok())
            .filter(|h| {
                !h.is_empty()
                    && h.len() <= 255
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || ".-:[]_".contains(c))
            })
            .unwrap_or("localhost");
        let https = headers
            .get("x-forwarded-proto")
            .and_then(|h| h.to_str().ok())
            .is_some_and(|p| p.eq_ignore_ascii_case("https"));
        format!("{}://{host}", if https { "https" } else { "http" })
    }
}

impl Reader for AppState {
    fn with_store<T>(
        &self,
        f: impl Fn(&Store) -> crate::error::Result<T>,
    ) -> crate::error::Result<T> {
        self.stores.with(f)
    }

    fn stores(&self) -> &crate::store::Pool {
        &self.stores
    }

    fn search_index(&self) -> crate::error::Result<&Index> {
        self.index.as_ref().ok_or(crate::error::Error::NoIndex)
    }

    fn context(&self) -> Context<'_> {
        self.review.context()
    }

    /// The thread, from the cache while it has not grown.
    fn analysis(&self, msgid: &str) -> crate::error::Result<Option<Arc<Analysis>>> {
        let Some(key) = self.stores.with(|s| s.thread_version(msgid))? else {
            return Ok(None);
        };
        if let Some(a) = self.threads.lock().expect("thread cache").get(&key) {
            return Ok(Some(a));
        }
        let a = self
            .stores
            .with(|s| crate::archive::analyze(s, key.clone(), self.context()))?;
        let a = Arc::new(a);
        self.threads
            .lock()
            .expect("thread cache")
            .put(key, a.clone(), 1);
        Ok(Some(a))
    }
}

/// The router, with every route, timeouts and security headers.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/", get(home))
        .route("/_/style.css", get(style))
        .route("/_/app.js", get(script))
        .route("/r/{msgid}", get(redirect))
        .route("/api/thread/{msgid}", get(api_thread))
        .route("/api/search", get(api_search))
        .route("/api/who", get(api_who))
        .route("/api/c/{sha}", get(api_commit))
        .route("/api/{*rest}", get(api_unknown))
        .route("/who/{email}", get(who_page))
        .route("/c/{sha}", get(commit_page))
        .route("/{list}/", get(list_index))
        .route("/{list}/new.atom", get(list_atom))
        .route(
            "/{list}/{msgid}/",
            get(thread_page::<{ pages::Layout::Message as u8 }>),
        )
        .route(
            "/{list}/{msgid}/T/",
            get(thread_page::<{ pages::Layout::Flat as u8 }>),
        )
        .route(
            "/{list}/{msgid}/t/",
            get(thread_page::<{ pages::Layout::Nested as u8 }>),
        )
        .route("/{list}/{msgid}/series/", get(series_page))
        .route("/{list}/{msgid}/interdiff/", get(interdiff_page))
        .route("/{list}/{msgid}/raw", get(raw))
        .route("/{list}/{msgid}/t.mbox.gz", get(mbox_gz))
        .route("/{list}/{msgid}/t.atom", get(atom))
        .fallback(|| async { WebError::NotFound("no such page".into()) })
        .layer(TimeoutLayer::with_status_code(
            StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(15),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .with_state(state)
}

/// Serves until Ctrl-C.
pub async fn serve(state: Arc<AppState>, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    axum::serve(listener, router(state))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(resp: Response) -> (u16, String) {
        let status = resp.status().as_u16();
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let bytes = rt
            .block_on(axum::body::to_bytes(resp.into_body(), 1 << 20))
            .unwrap();
        (status, String::from_utf8(bytes.to_vec()).unwrap())
    }

    /// A server-side failure tells the reader an id to quote, never the
    /// internals (the detail goes to the log).
    #[test]
    fn internal_errors_show_an_id_not_the_detail() {
        let detail = "no such table: messages_v2 in /srv/whosaid/store.sqlite3";
        for resp in [
            WebError::Internal(detail.into()).into_response(),
            ApiError(WebError::Internal(detail.into())).into_response(),
        ] {
            let (status, text) = body(resp);
            assert_eq!(status, 500);
            assert!(
                !text.contains("messages_v2") && !text.contains("/srv/"),
                "{text}"
            );
            assert!(text.contains("(error "), "{text}");
        }
    }
}
