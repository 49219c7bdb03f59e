//! GS1 Digital Link resolver behaviour: the links a product, lot or label has (RFC 9264
//! linksets with GS1 link types), what a request asks for (`?linkType=`, or
//! `Accept: application/linkset+json`), redirects to one link type, and the
//! `/.well-known/gs1resolver` description.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use store::{Product, PublicLot};

use super::Site;
use crate::AppState;

const GS1: &str = "https://gs1.org/voc/";
const LINKSET_TYPE: &str = "application/linkset+json";

/// One typed link.
#[derive(Debug, Clone)]
pub struct TypedLink {
    /// `defaultLink`, `traceability`, `pip`, `certificationInfo`, `recallStatus`.
    pub link_type: &'static str,
    /// Absolute URL.
    pub href: String,
    /// What it is.
    pub title: String,
}

/// What the request asked the resolver for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    /// The default: the page.
    Default,
    /// The whole linkset.
    Linkset,
    /// A redirect to one link type (without the `gs1:` prefix).
    LinkType(String),
}

impl Wanted {
    /// Reads `?linkType=` and the Accept header.
    pub fn from_request(headers: &HeaderMap, link_type: Option<&str>) -> Self {
        if let Some(link_type) = link_type {
            let decoded = link_type
                .replace("%3A", ":")
                .replace("%3a", ":")
                .replace("%2F", "/")
                .replace("%2f", "/");
            let short = decoded
                .strip_prefix("gs1:")
                .or_else(|| decoded.strip_prefix(GS1))
                .unwrap_or(&decoded);
            return match short {
                "linkset" | "all" => Wanted::Linkset,
                other => Wanted::LinkType(other.to_owned()),
            };
        }
        let accepts_linkset = headers
            .get_all(header::ACCEPT)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.split(',').any(|t| t.trim().starts_with(LINKSET_TYPE)));
        if accepts_linkset {
            Wanted::Linkset
        } else {
            Wanted::Default
        }
    }
}

/// Answers with the linkset, a redirect to one link, or the default (the page).
/// The links are only built when asked for.
pub fn answer(
    wanted: Wanted,
    links: impl FnOnce() -> Vec<TypedLink>,
    anchor_path: &str,
    default: impl FnOnce() -> Response,
) -> Response {
    match wanted {
        Wanted::Default => default(),
        Wanted::Linkset => linkset(&links(), anchor_path),
        Wanted::LinkType(link_type) => match links().into_iter().find(|l| l.link_type == link_type) {
            Some(link) => redirect(&link.href),
            // GS1: an unknown or absent link type falls back to the default link.
            None => default(),
        },
    }
}

/// A 307 to `location`.
pub fn redirect(location: &str) -> Response {
    match HeaderValue::from_str(location) {
        Ok(value) => (StatusCode::TEMPORARY_REDIRECT, [(header::LOCATION, value)]).into_response(),
        Err(_) => StatusCode::NOT_FOUND.into_response(),
    }
}

fn linkset(links: &[TypedLink], anchor: &str) -> Response {
    let mut entry = serde_json::Map::new();
    entry.insert("anchor".into(), Value::String(anchor.to_owned()));
    for link in links {
        let key = format!("{GS1}{}", link.link_type);
        let target = json!({
            "href": link.href,
            "title": link.title,
            "type": "text/html",
            "hreflang": ["vi", "en"],
        });
        match entry.get_mut(&key) {
            Some(Value::Array(targets)) => targets.push(target),
            _ => {
                entry.insert(key, Value::Array(vec![target]));
            }
        }
    }
    let body = json!({ "linkset": [Value::Object(entry)] });
    (
        [
            (header::CONTENT_TYPE, LINKSET_TYPE),
            (header::CACHE_CONTROL, super::REVALIDATE),
            (header::VARY, "Accept"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// `Link: <…?linkType=linkset>; rel="linkset"` on a resolver page.
pub fn add_linkset_header(response: &mut Response, path: &str) {
    if let Some(value) = linkset_header(path) {
        response.headers_mut().insert(header::LINK, value);
    }
}

/// The `Link` header value pointing at a page's linkset.
pub fn linkset_header(path: &str) -> Option<HeaderValue> {
    HeaderValue::from_str(&format!(
        "<{path}?linkType=linkset>; rel=\"linkset\"; type=\"{LINKSET_TYPE}\""
    ))
    .ok()
}

fn link(link_type: &'static str, href: String, title: impl Into<String>) -> TypedLink {
    TypedLink {
        link_type,
        href,
        title: title.into(),
    }
}

/// A product's links: its information page.
pub fn product_links(site: &Site, product: &Product, target: &str) -> Vec<TypedLink> {
    let href = site.absolute(target);
    vec![
        link("defaultLink", href.clone(), product.name.clone()),
        link("pip", href, product.name.clone()),
    ]
}

/// A lot's links: its trace page, product, certificates and recall status.
pub fn lot_links(site: &Site, lot: &PublicLot) -> Vec<TypedLink> {
    let page = site.absolute(&site.lot_href(lot.cooperative.id, &lot.lot.code));
    let mut links = vec![
        link(
            "defaultLink",
            page.clone(),
            format!("{} — {}", lot.product.name, lot.lot.code),
        ),
        link(
            "traceability",
            page.clone(),
            format!("Truy xuất nguồn gốc lô {}", lot.lot.code),
        ),
    ];
    links.extend(common_links(site, lot, &page));
    links
}

/// A label's links: the label page by default, the lot's trace page, product, certificates,
/// recall status.
pub fn label_links(site: &Site, lot: &PublicLot, label_url: &str) -> Vec<TypedLink> {
    let lot_page = site.absolute(&site.lot_href(lot.cooperative.id, &lot.lot.code));
    let mut links = vec![
        link(
            "defaultLink",
            label_url.to_owned(),
            format!("{} — tem truy xuất", lot.product.name),
        ),
        link(
            "traceability",
            lot_page.clone(),
            format!("Truy xuất nguồn gốc lô {}", lot.lot.code),
        ),
    ];
    links.extend(common_links(site, lot, &lot_page));
    links
}

fn common_links(site: &Site, lot: &PublicLot, lot_page: &str) -> Vec<TypedLink> {
    let coop_page = site.absolute(&format!("{}/htx/{}", site.prefix, lot.cooperative.id));
    let mut links = vec![link(
        "pip",
        format!("{coop_page}#sp-{}", lot.product.id),
        lot.product.name.clone(),
    )];
    if !lot.certificates.is_empty() {
        links.push(link(
            "certificationInfo",
            format!("{coop_page}#certificates"),
            lot.certificates
                .iter()
                .map(|c| format!("{} {}", c.scheme.display_name(), c.number))
                .collect::<Vec<_>>()
                .join(", "),
        ));
    }
    if !lot.recalls.is_empty() {
        links.push(link(
            "recallStatus",
            format!("{lot_page}#recall"),
            format!("Thu hồi / recalled: {}", lot.recalls[0].reason),
        ));
    }
    links
}

/// `GET /.well-known/gs1resolver`: what this resolver answers, per the GS1 resolver standard.
pub async fn well_known(State(state): State<AppState>) -> Response {
    let site = &state.site;
    let body = json!({
        "name": "Nguồn — truy xuất nguồn gốc nông sản (HTX)",
        "resolverRoot": site.base,
        "supportedPrimaryKeys": ["gtin"],
        "supportedLinkType": [
            { "namespace": GS1, "prefix": "gs1:", "profile": "https://gs1.org/voc/?show=linktypes" }
        ],
        "linkTypes": ["gs1:defaultLink", "gs1:traceability", "gs1:pip", "gs1:certificationInfo", "gs1:recallStatus"],
        "linkTypeDefaultCanBeLinkset": false,
        "supportedContextValuesEnumerated": { "lang": ["vi", "en"] },
        "paths": [
            "/01/{gtin}",
            "/01/{gtin}/10/{lot}",
            "/01/{gtin}/10/{lot}/21/{serial}?d={digest}",
            "/l/{serial}?d={digest}"
        ],
    });
    (
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body.to_string(),
    )
        .into_response()
}
