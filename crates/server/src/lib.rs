//! Nguồn's HTTP face: the axum router, the JSON API under `/api/v1`, authentication and
//! authorization, and the mapping of errors to responses.
//!
//! This is the only crate that knows HTTP. It holds no business rules: those live in `farm-log`,
//! and persistence lives in `store`.

pub mod access;
pub mod api;
pub mod app;
pub mod error;
pub mod extract;
pub mod openapi;
mod openapi_truth;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use store::Store;
use tokio::net::TcpListener;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

use crate::error::{Lang, REQUEST, RequestContext};

/// The largest request body accepted (a batch of offline events fits easily).
pub const MAX_BODY_BYTES: usize = 1024 * 1024;

/// What every handler can reach. Cloned for every request (axum clones its handlers' state), so
/// it is one reference-counted pointer: cloning the parts one by one cost several contended
/// atomic operations per request on the scan hot path.
#[derive(Clone, Debug)]
pub struct AppState(Arc<AppParts>);

/// The parts of [`AppState`].
#[derive(Debug)]
pub struct AppParts {
    /// The database.
    pub store: Store,
    /// Label links and the print font.
    pub labels: api::LabelSettings,
    /// The public lookup site and what it keeps in memory.
    pub site: web::Site,
    /// How often the whole database is verified in the background (zero: never).
    pub reverify_every: std::time::Duration,
}

impl std::ops::Deref for AppState {
    type Target = AppParts;

    fn deref(&self) -> &AppParts {
        &self.0
    }
}

impl AppState {
    /// The state for a store and label settings; the public site lives under the label links'
    /// base URL.
    pub fn new(store: Store, labels: api::LabelSettings) -> Self {
        Self(Arc::new(AppParts {
            site: web::Site::new(&labels.base_url),
            store,
            labels,
            reverify_every: REVERIFY_EVERY,
        }))
    }

    /// The same state, verifying the whole database in the background every `every` (zero:
    /// never). Call before serving.
    pub fn reverifying_every(self, every: std::time::Duration) -> Self {
        match Arc::try_unwrap(self.0) {
            Ok(mut parts) => {
                parts.reverify_every = every;
                Self(Arc::new(parts))
            }
            Err(shared) => {
                tracing::warn!(
                    "the background verification interval was set after the state was shared; kept as it was"
                );
                Self(shared)
            }
        }
    }
}

/// How often the whole database is verified in the background by default. An alteration the
/// database's triggers see (any UPDATE or DELETE of what the chain or a label covers) shows at
/// once; one they cannot see (triggers dropped, the file edited byte by byte) shows within this
/// interval plus one verification pass (ARCHITECTURE.md, "Verdicts").
pub const REVERIFY_EVERY: std::time::Duration = std::time::Duration::from_secs(600);

/// How often counted label scans are written to the database; a crash loses at most this much.
pub const SCAN_FLUSH_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Request ids: a random prefix chosen at startup and a counter, unique per process and run.
/// (A random UUID per request asked the kernel for randomness on every page view.)
#[derive(Clone, Debug)]
struct SequentialRequestIds {
    prefix: Arc<str>,
    next: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for SequentialRequestIds {
    fn default() -> Self {
        let random = uuid::Uuid::new_v4().simple().to_string();
        Self {
            prefix: Arc::from(&random[..12]),
            next: Arc::new(std::sync::atomic::AtomicU64::new(1)),
        }
    }
}

impl MakeRequestId for SequentialRequestIds {
    fn make_request_id<B>(&mut self, _request: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix))
            .ok()
            .map(RequestId::new)
    }
}

async fn request_context(request: Request, next: Next) -> Response {
    let accept_language = request
        .headers()
        .get("accept-language")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let lang = Lang::from_headers(accept_language.as_deref(), request.uri().query());
    let request_id = request
        .headers()
        .get(&REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    REQUEST
        .scope(RequestContext { lang, request_id }, next.run(request))
        .await
}

async fn healthz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(serde_json::json!({ "status": "ok", "database": state.store.backend_name() })).into_response(),
        Err(error) => {
            tracing::error!(%error, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable" })),
            )
                .into_response()
        }
    }
}

/// Anything no route serves: a 404, except a compressed GS1 Digital Link (one base64url path
/// segment), which this resolver does not decompress and says so with a 400 any origin can read.
async fn not_found(request: Request) -> Response {
    if request.method() == axum::http::Method::GET && web::looks_compressed(request.uri().path()) {
        let mut response = error::AppError::BadRequest(
            "This looks like a compressed GS1 Digital Link, which this resolver does not decompress. Scan the label again or use the uncompressed link (/01/{gtin}/10/{lot}/21/{serial}).".into(),
            "Đây có vẻ là Digital Link GS1 dạng nén; hệ thống chưa giải nén được. Hãy quét lại tem hoặc dùng đường dẫn đầy đủ (/01/{gtin}/10/{lot}/21/{serial}).".into(),
        )
        .into_response();
        response.headers_mut().insert(
            axum::http::header::ACCESS_CONTROL_ALLOW_ORIGIN,
            HeaderValue::from_static("*"),
        );
        return response;
    }
    error::AppError::NotFound("page").into_response()
}

/// A request that names a NUL byte in its path or query: no such address exists, and PostgreSQL
/// refuses the byte where SQLite would not, so it is a 400 before anything reads it.
async fn refuse_nul(request: Request, next: Next) -> Response {
    let uri = request.uri();
    let has_nul = |text: &str| {
        text.contains('\0')
            || text
                .as_bytes()
                .windows(3)
                .any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
    };
    if has_nul(uri.path()) || uri.query().is_some_and(has_nul) {
        return error::AppError::BadRequest(
            "The address contains a NUL byte (%00); no page or API address does.".into(),
            "Địa chỉ có ký tự rỗng (%00); không trang hay địa chỉ API nào có ký tự này.".into(),
        )
        .into_response();
    }
    next.run(request).await
}

/// A panic in a handler is a bug; it still gets the ordinary 500 answer, with an id that the
/// log line carries, and the server goes on.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let what = panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
        .unwrap_or_else(|| "a panic".to_owned());
    let request_id = uuid::Uuid::new_v4().simple().to_string()[..12].to_owned();
    tracing::error!(%request_id, panic = %what, "a handler panicked");
    let mut response = (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({
            "error": "internal",
            "message": format!("Hệ thống gặp lỗi. Khi báo lỗi, vui lòng gửi kèm mã yêu cầu {request_id}."),
            "field": null,
            "request_id": request_id,
        })),
    )
        .into_response();
    if let Ok(value) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

/// The layer that turns a handler's panic into [`panic_response`].
fn catch_panics() -> tower_http::catch_panic::CatchPanicLayer<fn(Box<dyn std::any::Any + Send + 'static>) -> Response> {
    tower_http::catch_panic::CatchPanicLayer::custom(panic_response as fn(_) -> Response)
}

/// How long a request body may go without a byte arriving (a phone on 3G sends a photo in
/// small steps; a client that stops sending is let go).
pub const BODY_IDLE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);
/// How long a client may take to send a request's headers.
pub const HEADER_READ_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a graceful shutdown waits for requests in flight before dropping their connections.
pub const SHUTDOWN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);

/// The whole application: API, health check, the cooperative's app, public pages, request ids,
/// tracing, body limit, compression.
///
/// The public pages (what a scanned QR opens) skip the per-request context, request-id and
/// trace layers: they are the hot path of the lookup benchmark, they read their language from
/// the request themselves, and a failing page logs the id it shows.
pub fn router(state: AppState) -> Router {
    let prefix = state.site.prefix().to_owned();
    let app_pages = app::routes(&state);
    let (app_pages, public) = if prefix.is_empty() {
        (Router::new().merge(app_pages), Router::new().merge(web::routes()))
    } else {
        (
            Router::new().nest(&prefix, app_pages),
            Router::new().nest(&prefix, web::routes()),
        )
    };
    let traced = Router::new()
        .route("/healthz", get(healthz))
        .nest("/api/v1", api::routes())
        .merge(app_pages)
        .fallback(not_found)
        .layer(middleware::from_fn(request_context))
        .layer(PropagateRequestIdLayer::new(REQUEST_ID))
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request| {
            let request_id = request.headers().get(&REQUEST_ID).and_then(|v| v.to_str().ok()).unwrap_or("-");
            // DEBUG: errors log their request id themselves, and an INFO span formats its fields
            // on every request, which showed up in the lookup benchmark's profile.
            tracing::debug_span!("request", method = %request.method(), path = %request.uri().path(), request_id = %request_id)
        }))
        .layer(SetRequestIdLayer::new(REQUEST_ID, SequentialRequestIds::default()));
    traced
        .merge(public)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(BODY_IDLE_TIMEOUT))
        .layer(middleware::from_fn(refuse_nul))
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(catch_panics())
        .with_state(state)
}

/// Accepts connections until `shutdown` resolves, then lets requests in flight finish for at
/// most [`SHUTDOWN_DEADLINE`] and drops the connections still open (a client that sent half a
/// request cannot keep the server from stopping). Each request carries its peer's address
/// (`ConnectInfo`), which sign-in rate limits and scan counting use; headers must arrive within
/// [`HEADER_READ_TIMEOUT`].
async fn serve_connections(
    listener: TcpListener,
    app: Router,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use hyper_util::server::conn::auto::Builder;
    use tower::ServiceExt;

    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(HEADER_READ_TIMEOUT);
    builder.http2().timer(TokioTimer::new());
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait a moment rather than spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let service = app
            .clone()
            .map_request(move |request: axum::http::Request<hyper::body::Incoming>| {
                let mut request = request.map(axum::body::Body::new);
                request.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                request
            });
        let connection = builder
            .serve_connection_with_upgrades(
                TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            )
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "a connection ended with an error");
            }
        });
    }
    drop(listener);
    tokio::select! {
        () = graceful.shutdown() => {}
        () = tokio::time::sleep(SHUTDOWN_DEADLINE) => {
            tracing::warn!("requests still in flight after the shutdown deadline are dropped");
        }
    }
    Ok(())
}

/// Serves on an already-bound listener until `shutdown` resolves; tests bind port 0.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let address: Option<SocketAddr> = listener.local_addr().ok();
    tracing::info!(?address, backend = state.store.backend_name(), "serving");
    let store = state.store.clone();
    let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
    // The flusher owns every write of scan counts, the last one included, so a shutdown never
    // interrupts a flush halfway.
    let flusher = tokio::spawn(async move {
        let mut tick = tokio::time::interval(SCAN_FLUSH_INTERVAL);
        loop {
            let last = tokio::select! {
                _ = tick.tick() => false,
                _ = &mut stopped => true,
            };
            if let Err(error) = store.flush_scans().await {
                if last {
                    tracing::error!(%error, "label scan counts since the last flush are lost");
                } else {
                    tracing::warn!(%error, "could not write label scan counts; keeping them for the next try");
                }
            }
            if last {
                break;
            }
        }
    });
    // The whole database, verified now and then: what bounds how long an alteration that the
    // database's triggers cannot see goes unseen.
    let reverifier = (!state.reverify_every.is_zero()).then(|| {
        let store = state.store.clone();
        let every = state.reverify_every;
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            // The first tick is now: the first pass waits one interval (a restart is not a pass).
            tick.tick().await;
            loop {
                tick.tick().await;
                match store.reverify_all().await {
                    Ok(true) => tracing::warn!(
                        "the background verification found a new alteration; every verdict is checked again"
                    ),
                    Ok(false) => {}
                    Err(error) => tracing::warn!(%error, "the background verification failed"),
                }
            }
        })
    });
    // The peer address is what sign-in rate limiting counts by.
    // Expired app sessions are deleted hourly (a session is also refused once expired).
    let sweeper = {
        let store = state.store.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(std::time::Duration::from_secs(3600));
            loop {
                tick.tick().await;
                if let Err(error) = store.delete_expired_sessions().await {
                    tracing::warn!(%error, "could not delete expired sessions");
                }
            }
        })
    };
    let served = serve_connections(listener, router(state), shutdown).await;
    sweeper.abort();
    if let Some(reverifier) = reverifier {
        reverifier.abort();
    }
    let _ = stop.send(());
    let _ = flusher.await;
    served
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::Request;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    use super::*;

    #[tokio::test]
    async fn a_panicking_handler_answers_the_ordinary_500_with_a_request_id() {
        let app: Router = Router::new()
            .route(
                "/boom",
                get(|| async {
                    let empty: Vec<u8> = Vec::new();
                    // An index out of bounds, as a bug would make one.
                    format!("{}", empty[usize::from(empty.is_empty())])
                }),
            )
            .layer(catch_panics());
        let response = app
            .oneshot(Request::get("/boom").body(Body::empty()).unwrap_or_default())
            .await
            .unwrap_or_else(|e| match e {});
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let id = response
            .headers()
            .get(REQUEST_ID)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .unwrap_or_default();
        let body = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        assert_eq!(json["error"], "internal");
        assert_eq!(json["request_id"], id.as_str());
        assert!(id.len() == 12, "{id}");
        assert!(json["message"].as_str().is_some_and(|m| m.contains(&id)));
    }
}
