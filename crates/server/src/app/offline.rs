//! What makes the app installable and usable without signal: the web app manifest and the
//! service worker script (served under `/app/` so it may control the app's pages). The queue of
//! steps logged offline lives in `web/static/app.js`.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::web::i18n::PageLang;

/// `GET /app/sw.js`: not fingerprinted (a service worker's address must stay the same), so
/// browsers check it for updates on each visit. Its scope is `/app`, the app's start page
/// included (a script under `/app/` may only control `/app/…` unless the server allows more,
/// and the installed app opens on `/app`).
pub async fn service_worker(State(state): State<AppState>) -> Response {
    let scope = format!("{}/app", state.site.prefix());
    let mut response = (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("../../../../web/static/sw.js"),
    )
        .into_response();
    if let Ok(scope) = HeaderValue::from_str(&scope) {
        response.headers_mut().insert("service-worker-allowed", scope);
    }
    response
}

/// `GET /app/manifest.webmanifest`: "add to home screen" opens the app full screen.
pub async fn manifest(State(state): State<AppState>) -> Response {
    let prefix = state.site.prefix();
    let m = super::i18n::messages(PageLang::Vi);
    let manifest = serde_json::json!({
        "name": m.install_name,
        "short_name": "Nguồn",
        "lang": "vi",
        "start_url": format!("{prefix}/app"),
        "scope": format!("{prefix}/app"),
        "display": "standalone",
        "background_color": "#f7f8f5",
        "theme_color": "#1d6b3a",
        "icons": [{
            "src": crate::web::assets::icon_path(prefix),
            "sizes": "any",
            "type": "image/svg+xml",
            "purpose": "any"
        }]
    });
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/manifest+json"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        manifest.to_string(),
    )
        .into_response()
}

/// How many lots' pages a phone keeps at most (a leader of a large cooperative signs in on a
/// phone too; the lots with the latest activity come first).
const PRECACHE_LOTS: usize = 60;

/// `GET /app/ngoai-tuyen.json`: what the phone should keep to work without signal, fetched by
/// the service worker right after sign-in (and whenever the home page opens with signal): the
/// home page, every open lot the member may log on with each step form they may use, and the
/// app's assets. `version` changes when any of it may have changed (a new lot, a step logged,
/// a new input, another session), so an unchanged list costs one small request.
pub async fn precache_list(super::Signed(ctx): super::Signed) -> Result<Response, super::PageError> {
    let principal = ctx.principal()?.clone();
    let store = &ctx.state.store;
    let fail = |e| ctx.error(super::Failure::Store(e));
    let only = (principal.role == farm_log::Role::Member).then_some(principal.member_id);
    let mut lots = store.lot_overview(principal.cooperative_id, only).await.map_err(fail)?;
    lots.retain(|item| {
        matches!(
            item.lot.status,
            farm_log::LotStatus::Growing | farm_log::LotStatus::Harvested
        )
    });
    lots.sort_by(|a, b| b.last_logged.cmp(&a.last_logged).then(b.lot.id.cmp(&a.lot.id)));
    lots.truncate(PRECACHE_LOTS);
    let inputs = store.input_products(principal.cooperative_id).await.map_err(fail)?;
    let prefix = &ctx.prefix;
    let mut urls = vec![
        ctx.href(""),
        crate::web::assets::css_path(prefix),
        crate::web::assets::app_css_path(prefix),
        crate::web::assets::app_js_path(prefix),
        crate::web::assets::icon_path(prefix),
        ctx.href("/manifest.webmanifest"),
    ];
    let mut fingerprint = blake3::Hasher::new();
    fingerprint.update(ctx.csrf.as_bytes());
    fingerprint.update(&principal.member_id.to_le_bytes());
    fingerprint.update(ctx.lang.code().as_bytes());
    for input in &inputs {
        fingerprint.update(&input.id.to_le_bytes());
    }
    let usage = store.input_usage(principal.cooperative_id).await.map_err(fail)?;
    fingerprint.update(format!("{usage:?}").as_bytes());
    for item in &lots {
        let lot = &item.lot;
        fingerprint.update(lot.code.as_bytes());
        fingerprint.update(&lot.event_count.to_le_bytes());
        fingerprint.update(lot.status.as_str().as_bytes());
        let base = ctx.href(&format!("/lo/{}", super::encode_component(&lot.code)));
        urls.push(base.clone());
        for kind in super::farmer::loggable(principal.role, lot.status) {
            urls.push(format!("{base}/ghi/{}", kind.as_str()));
        }
    }
    // A step this member logged anywhere changes their forms' defaults.
    for kind in super::farmer::FARM_KINDS {
        if let Some(event) = store
            .last_effective_event_by(principal.member_id, kind)
            .await
            .map_err(fail)?
        {
            fingerprint.update(event.id.as_bytes());
            fingerprint.update(format!("{:?}", event.body).as_bytes());
        }
    }
    for url in &urls {
        fingerprint.update(url.as_bytes());
    }
    let body = serde_json::json!({
        "version": fingerprint.finalize().to_hex().to_string(),
        "urls": urls,
    });
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        axum::Json(body),
    )
        .into_response())
}
