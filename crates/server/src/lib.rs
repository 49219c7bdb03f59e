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
        }))
    }
}

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
        .layer(CompressionLayer::new().gzip(true).br(true))
        .layer(SetResponseHeaderLayer::overriding(
            axum::http::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .with_state(state)
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
    let served = axum::serve(
        listener,
        router(state).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await;
    sweeper.abort();
    let _ = stop.send(());
    let _ = flusher.await;
    served
}
