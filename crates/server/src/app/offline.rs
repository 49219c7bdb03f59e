//! What makes the app installable and usable without signal: the web app manifest and the
//! service worker script (served under `/app/` so it may control the app's pages). The queue of
//! steps logged offline lives in `web/static/app.js`.

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::web::i18n::PageLang;

/// `GET /app/sw.js`: not fingerprinted (a service worker's address must stay the same), so
/// browsers check it for updates on each visit.
pub async fn service_worker() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        ],
        include_str!("../../../../web/static/sw.js"),
    )
        .into_response()
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
        "scope": format!("{prefix}/app/"),
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
