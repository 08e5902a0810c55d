//! The handlers: each checks its input, runs the work on the blocking pool
//! (searches in their bounded slots) and maps the result to HTTP.

use super::*;

pub(super) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, WebError> + Send + 'static,
) -> Result<T, WebError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| WebError::Internal(format!("worker failed: {e}")))?
}

/// A Message-ID from a path segment (axum has percent-decoded it); see
/// [`crate::message::ids::from_path`].
pub(super) fn checked_id(raw: &str) -> Result<String, WebError> {
    crate::message::ids::from_path(raw).ok_or_else(|| WebError::NotFound("not a Message-ID".into()))
}

#[derive(serde::Deserialize, Default)]
pub(super) struct PageQuery {
    q: Option<String>,
    o: Option<usize>,
    /// lore's result formats: `t` threads, `m` mbox.gz, `A` Atom.
    x: Option<String>,
}

/// A thread page's options: `link=lore|msgid|here` picks the archive its
/// changelog blocks' `Link:` points into.
#[derive(serde::Deserialize)]
pub(super) struct ThreadQuery {
    link: Option<String>,
}

pub(super) fn checked_query(q: &str) -> Result<String, WebError> {
    if q.len() > MAX_QUERY {
        return Err(WebError::BadRequest(format!(
            "the query is longer than {MAX_QUERY} bytes"
        )));
    }
    Ok(q.to_string())
}

pub(super) async fn home(
    State(st): State<Arc<AppState>>,
    Query(pq): Query<PageQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    index_or_search(st, None, pq, &headers).await
}

pub(super) async fn list_index(
    State(st): State<Arc<AppState>>,
    UrlPath(list): UrlPath<String>,
    Query(pq): Query<PageQuery>,
    headers: axum::http::HeaderMap,
) -> Response {
    index_or_search(st, Some(list), pq, &headers).await
}

/// A list's newest messages as Atom, as lore's `/{list}/new.atom`.
pub(super) async fn list_atom(
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
pub(super) async fn results_as(
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

pub(super) async fn index_or_search(
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
pub(super) async fn thread_page<const LAYOUT: u8>(
    State(st): State<Arc<AppState>>,
    UrlPath((list, msgid)): UrlPath<(String, String)>,
    Query(tq): Query<ThreadQuery>,
    headers: axum::http::HeaderMap,
) -> Result<Response, WebError> {
    let layout = pages::Layout::from_u8(LAYOUT);
    let id = checked_id(&msgid)?;
    let links = pages::LinkChoice::new(st.base_for(&headers), tq.link.as_deref());
    let (etag, html) = blocking(move || {
        let a = st.thread(&id)?;
        let etag = format!(
            "W/\"{}-{}-{}-{}-{}\"",
            a.key.1,
            a.key.2,
            layout as u8,
            links.key(),
            st.commits_generation()
        );
        let key = (
            format!(
                "{list}\u{0}{id}\u{0}{}\u{0}{}\u{0}{}",
                layout as u8,
                links.key(),
                st.commits_generation()
            ),
            a.key.clone(),
        );
        let html = st.cached_page(key, || {
            let reply = if layout == pages::Layout::Message {
                pages::ReplyInfo::of(&st, &id)?
            } else {
                pages::ReplyInfo::default()
            };
            let versions = series::version_links(&st, &list, &a)?;
            let mut page = pages::thread(&list, &id, layout, &a, &links, reply, versions)?;
            page.applied = super::commits::applied_in_thread(&st, &a);
            Ok(page)
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
pub(super) fn still_fresh(headers: &axum::http::HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

/// Messages never change: let caches keep single-message responses.
pub(super) fn immutable(r: impl IntoResponse) -> Response {
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
pub(super) async fn series_page(
    State(st): State<Arc<AppState>>,
    UrlPath((list, msgid)): UrlPath<(String, String)>,
) -> Result<Response, WebError> {
    let id = checked_id(&msgid)?;
    blocking(move || series::series_page(&st, &list, &id))
        .await
        .map(IntoResponse::into_response)
}

/// A revision a commit page may name: a hash or a ref, never an option.
fn checked_rev(rev: &str) -> Result<String, WebError> {
    let fine = !rev.is_empty()
        && rev.len() <= 64
        && !rev.starts_with('-')
        && rev
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-/".contains(&b));
    match fine {
        true => Ok(rev.to_string()),
        false => Err(WebError::NotFound("not a commit".into())),
    }
}

/// A commit and what the list said of it (`serve --repo`).
pub(super) async fn commit_page(
    State(st): State<Arc<AppState>>,
    UrlPath(sha): UrlPath<String>,
) -> Result<Response, WebError> {
    let rev = checked_rev(&sha)?;
    blocking(move || super::commits::commit_page(&st, &rev))
        .await
        .map(IntoResponse::into_response)
}

/// The same as JSON: `commits --json` for this one commit.
pub(super) async fn api_commit(
    State(st): State<Arc<AppState>>,
    UrlPath(sha): UrlPath<String>,
) -> Result<Response, ApiError> {
    let rev = checked_rev(&sha)?;
    let doc = blocking(move || super::commits::commit_json(&st, &rev)).await?;
    Ok(axum::Json(doc).into_response())
}

/// Query of an interdiff page: the older posting.
#[derive(serde::Deserialize)]
pub(super) struct InterdiffQuery {
    from: String,
}

/// What changed in a patch between two postings.
pub(super) async fn interdiff_page(
    State(st): State<Arc<AppState>>,
    UrlPath((list, msgid)): UrlPath<(String, String)>,
    Query(q): Query<InterdiffQuery>,
) -> Result<Response, WebError> {
    let id = checked_id(&msgid)?;
    let from = checked_id(&q.from)?;
    blocking(move || series::interdiff_page(&st, &list, &id, &from))
        .await
        .map(IntoResponse::into_response)
}

pub(super) async fn raw(
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

pub(super) async fn mbox_gz(
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

pub(super) async fn atom(
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

pub(super) async fn redirect(
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

pub(super) async fn api_thread(
    State(st): State<Arc<AppState>>,
    UrlPath(msgid): UrlPath<String>,
) -> Result<Response, ApiError> {
    let id = checked_id(&msgid)?;
    let doc = blocking(move || {
        let a = st.thread(&id)?;
        Ok(crate::report::thread_json(&a.view, &a.consensus))
    })
    .await?;
    Ok(axum::Json(doc).into_response())
}

pub(super) async fn api_search(
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

pub(super) async fn who_page(
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

pub(super) async fn api_who(
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

pub(super) async fn api_unknown(UrlPath(rest): UrlPath<String>) -> ApiError {
    ApiError(WebError::NotFound(format!(
        "no API at /api/{rest}: there are /api/thread/MSGID, /api/search?q= and /api/who?q="
    )))
}

pub(super) async fn style() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/style.css"),
    )
        .into_response()
}

pub(super) async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.js"),
    )
        .into_response()
}
