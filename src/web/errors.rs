//! What a handler answers when it cannot answer the page: an HTML error
//! page, or JSON from the API; a server failure shows an id, not internals.

use super::*;

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
    /// 503: what the page needs is still being read (the reason says
    /// what); try again shortly.
    NotReady(String),
}

impl From<crate::error::Error> for WebError {
    fn from(e: crate::error::Error) -> Self {
        match e {
            crate::error::Error::Query(e) => WebError::BadRequest(e.to_string()),
            e => WebError::Internal(e.to_string()),
        }
    }
}

/// A server-side failure's detail goes to the server's log under an id;
/// the reader is told the id, not the internals (paths, SQL, library
/// messages).
pub(super) fn logged(detail: &str) -> String {
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
            WebError::Busy | WebError::NotReady(_) => {
                let why = match self {
                    WebError::NotReady(w) => w,
                    _ => "too many searches are running; try again in a few seconds".into(),
                };
                let page = pages::ErrorPage {
                    title: "Busy".into(),
                    why,
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
pub struct ApiError(pub(super) WebError);

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
            WebError::NotReady(w) => (StatusCode::SERVICE_UNAVAILABLE, w),
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
