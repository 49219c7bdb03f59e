//! `robots.txt` and `sitemap.xml`: search engines may index the public pages (the cooperatives,
//! their catalogs and listings) and are told to stay out of the app, the API and the feeds.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::AppState;

/// `GET /robots.txt`.
pub async fn robots(State(state): State<AppState>) -> Response {
    let site = &state.site;
    let prefix = &site.prefix;
    let body = format!(
        "User-agent: *\nAllow: {prefix}/\nDisallow: {prefix}/app\nDisallow: {prefix}/api/\nDisallow: {prefix}/feeds/\n\nSitemap: {}/sitemap.xml\n",
        site.base
    );
    (
        [
            (header::CONTENT_TYPE, "text/plain; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        body,
    )
        .into_response()
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `GET /sitemap.xml`: the home page, every cooperative's page and catalog, and the listings
/// each catalog shows (sitemaps.org protocol 0.9).
pub async fn sitemap(State(state): State<AppState>) -> Response {
    let site = &state.site;
    let store = &state.store;
    let cooperatives = match store.cooperatives().await {
        Ok(list) => list,
        Err(error) => {
            tracing::error!(%error, "the sitemap could not read the cooperatives");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let mut urls = vec![(format!("{}/", site.base), None)];
    for coop in cooperatives {
        let catalog = site.catalog(store, coop.id).await.ok();
        let updated = catalog
            .as_ref()
            .and_then(|c| c.last_change())
            .map(|t| t.date_naive().to_string());
        urls.push((site.absolute(&format!("{}/htx/{}", site.prefix, coop.id)), None));
        urls.push((site.absolute(&site.catalog_href(coop.id)), updated));
        for listing in catalog.iter().flat_map(|c| c.listings.iter()) {
            urls.push((
                site.absolute(&site.listing_href(coop.id, listing.id)),
                Some(listing.last_change.date_naive().to_string()),
            ));
        }
    }
    let mut body = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    for (loc, updated) in urls {
        body.push_str("<url><loc>");
        body.push_str(&escape(&loc));
        body.push_str("</loc>");
        if let Some(day) = updated {
            body.push_str(&format!("<lastmod>{day}</lastmod>"));
        }
        body.push_str("</url>\n");
    }
    body.push_str("</urlset>\n");
    (
        [
            (header::CONTENT_TYPE, "application/xml; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
        .into_response()
}
