//! The stylesheet and icon, compiled into the binary and served under names that carry their
//! content hash (`site.3f2a9c1d.css`), so browsers may keep them for a year without asking.

use std::sync::LazyLock;

use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

struct Asset {
    name: String,
    content_type: &'static str,
    bytes: &'static [u8],
}

fn fingerprint(stem: &str, extension: &str, content_type: &'static str, bytes: &'static [u8]) -> Asset {
    let hash = blake3::hash(bytes).to_hex();
    Asset {
        name: format!("{stem}.{}.{extension}", &hash[..12]),
        content_type,
        bytes,
    }
}

static ASSETS: LazyLock<[Asset; 4]> = LazyLock::new(|| {
    [
        fingerprint(
            "site",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("../../../../web/static/site.css"),
        ),
        fingerprint(
            "icon",
            "svg",
            "image/svg+xml",
            include_bytes!("../../../../web/static/icon.svg"),
        ),
        fingerprint(
            "app",
            "css",
            "text/css; charset=utf-8",
            include_bytes!("../../../../web/static/app.css"),
        ),
        fingerprint(
            "app",
            "js",
            "text/javascript; charset=utf-8",
            include_bytes!("../../../../web/static/app.js"),
        ),
    ]
});

/// The stylesheet's path under the site prefix.
pub fn css_path(prefix: &str) -> String {
    format!("{prefix}/static/{}", ASSETS[0].name)
}

/// The icon's path under the site prefix.
pub fn icon_path(prefix: &str) -> String {
    format!("{prefix}/static/{}", ASSETS[1].name)
}

/// The cooperative app's extra stylesheet (big touch targets, forms).
pub fn app_css_path(prefix: &str) -> String {
    format!("{prefix}/static/{}", ASSETS[2].name)
}

/// The cooperative app's script (offline queue, service worker registration).
pub fn app_js_path(prefix: &str) -> String {
    format!("{prefix}/static/{}", ASSETS[3].name)
}

/// `GET /static/{name}`: only the current fingerprinted names exist.
pub async fn serve(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(asset) => (
            [
                (header::CONTENT_TYPE, HeaderValue::from_static(asset.content_type)),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ),
            ],
            asset.bytes,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
