//! The web UI and JSON API (axum). The only module that knows HTTP and HTML.
//!
//! URLs follow `../shared/spec/interface.md` (lore's shapes). Every page is
//! rendered on the server from the store and the index, read-only: the
//! server never writes to the store. Work that touches SQLite, tantivy or
//! the consensus engine runs on the blocking pool. Mail text reaches HTML
//! only through askama's auto-escaping; no template marks mail data safe.

mod feeds;
mod pages;
mod series;

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

/// A thread read once: its tree, decoded bodies and positions. Shared by
/// every page of the thread until a message joins it.
pub struct Analysis {
    /// (root, messages, highest row): changes when the thread grows.
    pub key: (String, i64, i64),
    /// The tree.
    pub view: crate::store::ThreadView,
    /// Decoded bodies, by node.
    pub bodies: Vec<String>,
    /// Each body cut by the one quote splitter, by node.
    pub segments: Vec<Vec<crate::quote::Segment>>,
    /// Positions and patches.
    pub consensus: crate::consensus::Consensus,
}

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
    mailmap: Option<crate::mailmap::Mailmap>,
    maintainers: Option<crate::maintainers::Maintainers>,
    /// Slots for searches running at once (see [`AppState::search`]).
    searches: Arc<tokio::sync::Semaphore>,
    /// How long a search waits for a slot before the answer is 503.
    search_wait: Duration,
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
}

impl AppState {
    /// Opens the archive for reading.
    pub fn open(config: Config) -> crate::error::Result<AppState> {
        let store = Store::open(&config.data)?;
        let index = Index::open(&config.data).ok();
        Ok(AppState {
            stores: crate::store::Pool::new(&config.data, Some(store)),
            threads: Mutex::new(Lru::new(64, usize::MAX)),
            pages: Mutex::new(Lru::new(512, 64 << 20)),
            index,
            base_url: config.base_url,
            mailmap: config.mailmap,
            maintainers: config.maintainers,
            searches: Arc::new(tokio::sync::Semaphore::new(
                SEARCHES_PER_CORE * std::thread::available_parallelism().map_or(2, |n| n.get()),
            )),
            search_wait: SEARCH_WAIT,
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

    /// The thread containing `msgid`, read once per version of the thread.
    pub fn analysis(&self, msgid: &str) -> Result<Arc<Analysis>, WebError> {
        let key = self
            .with_store(|s| s.thread_version(msgid))?
            .ok_or_else(|| WebError::NotFound(format!("no message <{msgid}> in the archive")))?;
        if let Some(a) = self.threads.lock().expect("thread cache").get(&key) {
            return Ok(a);
        }
        let (view, inputs) = self.with_store(|s| {
            let view = s.thread_by_root(&key.0)?;
            let inputs = s.consensus_inputs(&view)?;
            Ok((view, inputs))
        })?;
        // Cut once, for the consensus engine and for the page.
        let segments = crate::par::map(&inputs, |m| crate::quote::segment(&m.body));
        let consensus = crate::consensus::analyze_segmented(&inputs, &segments, self.context());
        let bodies = inputs.into_iter().map(|m| m.body).collect();
        let a = Arc::new(Analysis {
            key: key.clone(),
            view,
            bodies,
            segments,
            consensus,
        });
        self.threads
            .lock()
            .expect("thread cache")
            .put(key, a.clone(), 1);
        Ok(a)
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

    fn context(&self) -> Context<'_> {
        Context {
            mailmap: self.mailmap.as_ref(),
            maintainers: self.maintainers.as_ref(),
        }
    }
}

/// Errors a handler answers with.
#[derive(Debug)]
pub enum WebError {
    /// 404 with a reason.
    NotFound(String),
    /// 400 with a reason.
    BadRequest(String),
    /// 500: the archive failed.
    Internal(String),
    /// 503: every search slot stayed busy; try again shortly.
    Busy,
}

impl From<crate::error::Error> for WebError {
    fn from(e: crate::error::Error) -> Self {
        WebError::Internal(e.to_string())
    }
}

/// A server-side failure's detail goes to the server's log under an id;
/// the reader is told the id, not the internals (paths, SQL, library
/// messages).
fn logged(detail: &str) -> String {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let id = format!("{secs:x}-{n}");
    eprintln!("whosaid: error {id}: {detail}");
    format!("the server failed to answer (error {id}; its log says why)")
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, why) = match self {
            WebError::NotFound(w) => (StatusCode::NOT_FOUND, w),
            WebError::BadRequest(w) => (StatusCode::BAD_REQUEST, w),
            WebError::Internal(w) => (StatusCode::INTERNAL_SERVER_ERROR, logged(&w)),
            WebError::Busy => {
                let page = pages::ErrorPage {
                    title: "Busy".into(),
                    why: "too many searches are running; try again in a few seconds".into(),
                };
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    [(header::RETRY_AFTER, HeaderValue::from_static("5"))],
                    page,
                )
                    .into_response();
            }
        };
        let page = pages::ErrorPage {
            title: status.canonical_reason().unwrap_or("error").to_string(),
            why,
        };
        (status, page).into_response()
    }
}

/// An error from the JSON API: the same statuses, answered as JSON
/// (`{"status": 404, "error": "..."}`) so that scripts need not parse HTML.
#[derive(Debug)]
pub struct ApiError(WebError);

impl From<WebError> for ApiError {
    fn from(e: WebError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, why) = match self.0 {
            WebError::NotFound(w) => (StatusCode::NOT_FOUND, w),
            WebError::BadRequest(w) => (StatusCode::BAD_REQUEST, w),
            WebError::Internal(w) => (StatusCode::INTERNAL_SERVER_ERROR, logged(&w)),
            WebError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "too many searches are running; try again in a few seconds".to_string(),
            ),
        };
        let body = axum::Json(serde_json::json!({"status": status.as_u16(), "error": why}));
        let mut resp = (status, body).into_response();
        if status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        resp
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
        .route("/api/{*rest}", get(api_unknown))
        .route("/who/{email}", get(who_page))
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

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WebError::Internal(format!("worker failed: {e}")))?
}

/// A Message-ID from a path segment (axum has percent-decoded it); see
/// [`crate::message::ids::from_path`].
fn checked_id(raw: &str) -> Result<String, WebError> {
    crate::message::ids::from_path(raw).ok_or_else(|| WebError::NotFound("not a Message-ID".into()))
}

#[derive(serde::Deserialize, Default)]
struct PageQuery {
    q: Option<String>,
    o: Option<usize>,
    /// lore's result formats: `t` threads, `m` mbox.gz, `A` Atom.
    x: Option<String>,
}

/// A thread page's options: `link=lore|msgid|here` picks the archive its
/// changelog blocks' `Link:` points into.
#[derive(serde::Deserialize)]
struct ThreadQuery {
    link: Option<String>,
}

fn checked_query(q: &str) -> Result<String, WebError> {
    if q.len() > MAX_QUERY {
        return Err(WebError::BadRequest(format!(
            "the query is longer than {MAX_QUERY} bytes"
        )));
    }
    Ok(q.to_string())
}

async fn home(
    State(st): State<Arc<AppState>>,
    Query(pq): Query<PageQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    index_or_search(st, None, pq, &headers).await
}

async fn list_index(
    State(st): State<Arc<AppState>>,
    UrlPath(list): UrlPath<String>,
    Query(pq): Query<PageQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    index_or_search(st, Some(list), pq, &headers).await
}

/// A list's newest messages as Atom, as lore's `/{list}/new.atom`.
async fn list_atom(
    State(st): State<Arc<AppState>>,
    UrlPath(list): UrlPath<String>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let base = st.base_for(&headers);
    let feed = st
        .search(move |st| feeds::results_atom(st, Some(&list), "", &base))
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed,
    )
        .into_response())
}

/// Search results in one of lore's other formats: `x=A` (Atom) or `x=m`
/// (mbox.gz).
async fn results_as(
    st: Arc<AppState>,
    list: Option<String>,
    q: String,
    format: &str,
    base: String,
) -> Result<Response, WebError> {
    if format == "m" {
        let gz = st
            .search(move |st| feeds::results_mbox_gz(st, list.as_deref(), &q))
            .await?;
        return Ok((
            [
                (header::CONTENT_TYPE, "application/gzip"),
                (
                    header::CONTENT_DISPOSITION,
                    "attachment; filename=\"results.mbox.gz\"",
                ),
            ],
            gz,
        )
            .into_response());
    }
    let feed = st
        .search(move |st| feeds::results_atom(st, list.as_deref(), &q, &base))
        .await?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed,
    )
        .into_response())
}

async fn index_or_search(
    st: Arc<AppState>,
    list: Option<String>,
    pq: PageQuery,
    headers: &axum::http::HeaderMap,
) -> Response {
    let offset = pq.o.unwrap_or(0).min(1_000_000);
    let format = pq.x.unwrap_or_default();
    let result = match pq.q.filter(|q| !q.trim().is_empty()) {
        Some(q) => match checked_query(&q) {
            Ok(q) if format == "A" || format == "m" => {
                results_as(st.clone(), list, q, &format, st.base_for(headers)).await
            }
            Ok(q) => {
                let threads = format == "t";
                st.search(move |st| pages::search(st, list.as_deref(), &q, offset, threads))
                    .await
                    .map(IntoResponse::into_response)
            }
            Err(e) => Err(e),
        },
        None => blocking(move || {
            // Index pages change only when an import stores something: cached
            // per store version (crawlers hit the front pages all day, and a
            // list page aggregates the whole list).
            let version = st.with_store(|s| s.max_index_seq())?;
            let key = (
                format!("index\u{0}{}\u{0}{offset}", list.as_deref().unwrap_or("")),
                (String::new(), version, 0),
            );
            st.cached_page(key, || pages::index(&st, list.as_deref(), offset))
        })
        .await
        .map(|html| {
            (
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                )],
                html.as_ref().clone(),
            )
                .into_response()
        }),
    };
    result.unwrap_or_else(IntoResponse::into_response)
}

/// A thread page, from the page cache when the thread has not changed. The
/// ETag is the thread's version, so a revalidating client or crawler gets
/// 304 without a render.
async fn thread_page<const LAYOUT: u8>(
    State(st): State<Arc<AppState>>,
    UrlPath((list, msgid)): UrlPath<(String, String)>,
    Query(tq): Query<ThreadQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let layout = pages::Layout::from_u8(LAYOUT);
    let id = checked_id(&msgid)?;
    let links = pages::LinkChoice::new(st.base_for(&headers), tq.link.as_deref());
    let (etag, html) = blocking(move || {
        let a = st.analysis(&id)?;
        let etag = format!(
            "W/\"{}-{}-{}-{}\"",
            a.key.1,
            a.key.2,
            layout as u8,
            links.key()
        );
        let key = (
            format!("{list}\u{0}{id}\u{0}{}\u{0}{}", layout as u8, links.key()),
            a.key.clone(),
        );
        let html = st.cached_page(key, || {
            let reply = if layout == pages::Layout::Message {
                pages::ReplyInfo::of(&st, &id)?
            } else {
                pages::ReplyInfo::default()
            };
            let versions = series::version_links(&st, &list, &a.view.root)?;
            pages::thread(&list, &id, layout, &a, &links, reply, versions)
        })?;
        Ok((etag, html))
    })
    .await?;
    let etag_value = HeaderValue::from_str(&etag).expect("ascii etag");
    if still_fresh(&headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            ),
            (header::ETAG, etag_value),
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
        ],
        html.as_str().to_owned(),
    )
        .into_response())
}

/// Whether the request's `If-None-Match` names `etag`: the client's copy is
/// current and a 304 will do.
fn still_fresh(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

/// Messages never change: let caches keep single-message responses.
fn immutable(r: impl IntoResponse) -> Response {
    let mut r = r.into_response();
    if r.status().is_success() || r.status() == StatusCode::NOT_MODIFIED {
        r.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=86400"),
        );
    }
    r
}

/// Every version of the series a message belongs to.
async fn series_page(
    State(st): State<Arc<AppState>>,
    UrlPath((list, msgid)): UrlPath<(String, String)>,
) -> Result<Response, WebError> {
    let id = checked_id(&msgid)?;
    blocking(move || series::series_page(&st, &list, &id))
        .await
        .map(IntoResponse::into_response)
}

async fn raw(
    State(st): State<Arc<AppState>>,
    UrlPath((_list, msgid)): UrlPath<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let id = checked_id(&msgid)?;
    let copies = blocking(move || st.with_store(|s| s.raw_by_message_id(&id))).await?;
    let Some(first) = copies.into_iter().next() else {
        return Err(WebError::NotFound("no such message in the archive".into()));
    };
    // The bytes' own checksum: a strong validator that never goes stale.
    let etag = format!(
        "\"{}\"",
        crate::store::hex(&<sha2::Sha256 as sha2::Digest>::digest(&first))
    );
    let etag_value = HeaderValue::from_str(&etag).expect("hex etag");
    if still_fresh(&headers, &etag) {
        return Ok(immutable((
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag_value)],
        )));
    }
    Ok(immutable((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            ),
            (header::ETAG, etag_value),
        ],
        first,
    )))
}

async fn mbox_gz(
    State(st): State<Arc<AppState>>,
    UrlPath((_list, msgid)): UrlPath<(String, String)>,
) -> Result<Response, WebError> {
    let id = checked_id(&msgid)?;
    let bytes = blocking(move || pages::thread_mbox_gz(&st, &id)).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/gzip"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"t.mbox.gz\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

async fn atom(
    State(st): State<Arc<AppState>>,
    UrlPath((list, msgid)): UrlPath<(String, String)>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let id = checked_id(&msgid)?;
    let base = st.base_for(&headers);
    let feed = blocking(move || pages::thread_atom(&st, &list, &id, &base)).await?;
    Ok((
        [(header::CONTENT_TYPE, "application/atom+xml; charset=utf-8")],
        feed,
    )
        .into_response())
}

async fn redirect(
    State(st): State<Arc<AppState>>,
    UrlPath(msgid): UrlPath<String>,
) -> Result<Response, WebError> {
    let id = checked_id(&msgid)?;
    let lookup = id.clone();
    let list = blocking(move || pages::list_of(&st, &lookup)).await?;
    let Some(list) = list else {
        return Err(WebError::NotFound(format!(
            "no message <{id}> in the archive"
        )));
    };
    Ok(Redirect::permanent(&format!(
        "/{}/{}/",
        crate::links::encode_message_id(&list),
        crate::links::encode_message_id(&id)
    ))
    .into_response())
}

async fn api_thread(
    State(st): State<Arc<AppState>>,
    UrlPath(msgid): UrlPath<String>,
) -> Result<Response, ApiError> {
    let id = checked_id(&msgid)?;
    let doc = blocking(move || {
        let a = st.analysis(&id)?;
        Ok(crate::report::thread_json(&a.view, &a.consensus))
    })
    .await?;
    Ok(axum::Json(doc).into_response())
}

async fn api_search(
    State(st): State<Arc<AppState>>,
    Query(pq): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let q = checked_query(pq.q.as_deref().unwrap_or(""))?;
    let offset = pq.o.unwrap_or(0);
    let doc = st
        .search(move |st| pages::search_json(st, &q, offset))
        .await?;
    Ok(axum::Json(doc).into_response())
}

async fn who_page(
    State(st): State<Arc<AppState>>,
    UrlPath(email): UrlPath<String>,
    Query(pq): Query<PageQuery>,
) -> Result<Response, WebError> {
    if email.is_empty() || email.len() > 320 || email.chars().any(|c| c.is_control() || c == '"') {
        return Err(WebError::NotFound("not an address".into()));
    }
    let q = checked_query(pq.q.as_deref().unwrap_or(""))?;
    let offset = pq.o.unwrap_or(0);
    st.search(move |st| pages::who_page(st, &email, &q, offset))
        .await
        .map(IntoResponse::into_response)
}

async fn api_who(
    State(st): State<Arc<AppState>>,
    Query(pq): Query<PageQuery>,
) -> Result<Response, ApiError> {
    let q = checked_query(pq.q.as_deref().unwrap_or(""))?;
    if q.trim().is_empty() {
        return Err(WebError::BadRequest("give a query: /api/who?q=s:modpost".into()).into());
    }
    let doc = st.search(move |st| pages::who_json(st, &q)).await?;
    Ok(axum::Json(doc).into_response())
}

async fn api_unknown(UrlPath(rest): UrlPath<String>) -> ApiError {
    ApiError(WebError::NotFound(format!(
        "no API at /api/{rest}: there are /api/thread/MSGID, /api/search?q= and /api/who?q="
    )))
}

async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
        .into_response()
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
