//! GS1 Digital Link resolver behaviour, to the GS1-Conformant Resolver standard 1.2: the links
//! a product, lot or label has (RFC 9264 linksets with GS1 link types and an absolute anchor),
//! what a request asks for (`?linkType=` in its `gs1:` short or full-URI form, or
//! `Accept: application/linkset+json`), redirects to one link type that carry the query string
//! on and a `Link` header to the linkset, 404 with the list of link types for one it does not
//! have, 400 for query-string AIs that are malformed or contradict the path, and the
//! `/.well-known/gs1resolver` description.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use store::{Product, PublicLot};

use super::Site;
use crate::AppState;

const GS1: &str = "https://gs1.org/voc/";
/// The namespaces a full-URI link type may be written in (GS1 moved its vocabulary to ref.gs1.org).
const GS1_NAMESPACES: [&str; 4] = [
    "https://ref.gs1.org/voc/",
    "https://gs1.org/voc/",
    "http://gs1.org/voc/",
    "http://ref.gs1.org/voc/",
];
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

/// A request to the resolver: what it wants, the query string to pass on to where it is sent,
/// and the absolute base its linkset anchors are written under.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ask {
    /// What it wants.
    pub wanted: Wanted,
    /// The query string less `linkType` (and `lang`, which the target reads from its cookie).
    pub pass_on: String,
    /// `https://host[/prefix]`.
    pub base: String,
}

/// Percent-decodes a query value (`+` is a space).
pub(crate) fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl Wanted {
    /// Reads `?linkType=` (short `gs1:` form or full URI) and the Accept header.
    pub fn from_request(headers: &HeaderMap, link_type: Option<&str>) -> Self {
        if let Some(link_type) = link_type {
            let decoded = decode(link_type);
            let short = decoded
                .strip_prefix("gs1:")
                .or_else(|| GS1_NAMESPACES.iter().find_map(|ns| decoded.strip_prefix(ns)))
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

impl Ask {
    /// What a request to the resolver asks, from its headers and query string.
    pub fn new(headers: &HeaderMap, query: Option<&str>, base: &str) -> Self {
        let query = query.unwrap_or("");
        let pairs = || query.split('&').filter(|p| !p.is_empty());
        let link_type = pairs().find_map(|pair| pair.strip_prefix("linkType="));
        let pass_on = pairs()
            .filter(|pair| !pair.starts_with("linkType=") && *pair != "linkType" && !pair.starts_with("lang="))
            .collect::<Vec<_>>()
            .join("&");
        Self {
            wanted: Wanted::from_request(headers, link_type),
            pass_on,
            base: base.to_owned(),
        }
    }
}

/// Answers with the linkset, a redirect to one link, or the default (the page). The links are
/// only built when asked for. A redirect carries the request's query string on to its target
/// and a `Link` header to the linkset; a link type this item does not have is a 404 whose body
/// is the linkset, so the client sees which it has.
pub fn answer(
    ask: Ask,
    links: impl FnOnce() -> Vec<TypedLink>,
    anchor_path: &str,
    default: impl FnOnce() -> Response,
) -> Response {
    let anchor = format!("{}{anchor_path}", ask.base);
    let mut response = match ask.wanted {
        Wanted::Default => default(),
        Wanted::Linkset => linkset(&links(), &anchor),
        Wanted::LinkType(link_type) => {
            let links = links();
            match links.iter().find(|l| l.link_type == link_type) {
                Some(link) => redirect(&link.href),
                None => {
                    let mut response = linkset(&links, &anchor);
                    *response.status_mut() = StatusCode::NOT_FOUND;
                    response
                }
            }
        }
    };
    if response.status().is_redirection() {
        let location: Option<String> = response
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(|l| with_query(l, &ask.pass_on));
        if let Some(value) = location.and_then(|l| HeaderValue::from_str(&l).ok()) {
            response.headers_mut().insert(header::LOCATION, value);
        }
        if let Some(link) = linkset_header(&anchor) {
            response.headers_mut().insert(header::LINK, link);
        }
    }
    response
}

/// `target` with `query` added before any fragment (and after any query it already has).
fn with_query(target: &str, query: &str) -> String {
    if query.is_empty() {
        return target.to_owned();
    }
    let (before, fragment) = match target.split_once('#') {
        Some((before, fragment)) => (before, Some(fragment)),
        None => (target, None),
    };
    let joiner = if before.contains('?') { '&' } else { '?' };
    match fragment {
        Some(fragment) => format!("{before}{joiner}{query}#{fragment}"),
        None => format!("{before}{joiner}{query}"),
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

/// `GET /.well-known/gs1resolver`: what this resolver answers, per the GS1-Conformant Resolver
/// standard 1.2 (primary keys as AI codes, context values as arrays, the JSON-LD context).
pub async fn well_known(State(state): State<AppState>) -> Response {
    let site = &state.site;
    let body = json!({
        "name": "Nguồn — truy xuất nguồn gốc nông sản (HTX)",
        "resolverRoot": site.base,
        "supportedPrimaryKeys": ["01"],
        "supportedLinkType": [
            { "namespace": GS1, "prefix": "gs1:", "profile": "https://ref.gs1.org/voc/?show=linktypes" }
        ],
        "linkTypes": ["gs1:defaultLink", "gs1:traceability", "gs1:pip", "gs1:certificationInfo", "gs1:recallStatus"],
        "linkTypeDefaultCanBeLinkset": false,
        "supportedContextValuesEnumerated": [
            { "name": "lang", "values": ["vi", "en"] }
        ],
        "jsonLdContextLocation": "https://ref.gs1.org/voc/data/linkset.jsonld",
        "validatesQueryStringAIs": true,
        "supportsCompressedLinks": false,
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

/// What a query-string Application Identifier must look like.
#[derive(Debug, Clone, Copy)]
enum AiFormat {
    /// Up to n characters of GS1's character set 82.
    Text(usize),
    /// A date YYMMDD (day 00 means the month's end).
    Date,
    /// Exactly n digits.
    Digits(usize),
    /// 1 to n digits.
    UpToDigits(usize),
}

/// The query-string AIs a Digital Link for produce may carry (GS1 General Specifications).
fn ai_format(ai: &str) -> Option<AiFormat> {
    Some(match ai {
        "01" | "02" => AiFormat::Digits(14),
        "10" | "21" | "22" | "254" => AiFormat::Text(20),
        "11" | "12" | "13" | "15" | "16" | "17" => AiFormat::Date,
        "235" => AiFormat::Text(28),
        "240" | "241" | "250" | "251" => AiFormat::Text(30),
        "30" | "37" => AiFormat::UpToDigits(8),
        "422" | "424" | "426" => AiFormat::Digits(3),
        "7003" => AiFormat::Digits(10),
        ai if ai.len() == 4
            && (ai.starts_with("31")
                || ai.starts_with("32")
                || ai.starts_with("33")
                || ai.starts_with("34")
                || ai.starts_with("35")
                || ai.starts_with("36"))
            && ai.as_bytes()[3] <= b'5' =>
        {
            AiFormat::Digits(6)
        }
        _ => return None,
    })
}

fn is_cset82(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!\"%&'()*+,-./:;<=>?_".contains(c)
}

fn valid(format: AiFormat, value: &str) -> bool {
    let digits = |n: usize| value.len() == n && value.bytes().all(|b| b.is_ascii_digit());
    match format {
        AiFormat::Text(max) => !value.is_empty() && value.chars().count() <= max && value.chars().all(is_cset82),
        AiFormat::Digits(n) => digits(n),
        AiFormat::UpToDigits(max) => (1..=max).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit()),
        AiFormat::Date => {
            digits(6) && {
                let number = |range: std::ops::Range<usize>| value[range].parse::<u32>().unwrap_or(99);
                let (year, month, day) = (2000 + number(0..2) as i32, number(2..4), number(4..6));
                (1..=12).contains(&month) && (day == 0 || chrono::NaiveDate::from_ymd_opt(year, month, day).is_some())
            }
        }
    }
}

/// Checks the GS1 Application Identifiers in a resolver request's query string: each one we
/// know must be well-formed, and a `01`, `10` or `21` must agree with the key and qualifiers in
/// the path. Returns the reason to show (in `lang`) for a 400.
pub fn query_ai_error(path: &label::ResolverPath, query: Option<&str>, lang: super::i18n::PageLang) -> Option<String> {
    let pick = |vi: String, en: String| match lang {
        super::i18n::PageLang::Vi => vi,
        super::i18n::PageLang::En => en,
    };
    let (gtin, lot, serial) = match path {
        label::ResolverPath::Product { gtin } => (Some(gtin.to_string()), None, None),
        label::ResolverPath::Lot { gtin, lot } => (Some(gtin.to_string()), Some(lot.to_string()), None),
        label::ResolverPath::Label(scanned) => (
            scanned.gtin.as_ref().map(ToString::to_string),
            scanned.lot.as_ref().map(ToString::to_string),
            Some(scanned.serial.to_string()),
        ),
    };
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (key, raw) = pair.split_once('=').unwrap_or((pair, ""));
        if key.is_empty() || !key.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let value = decode(raw);
        let Some(format) = ai_format(key) else { continue };
        if !valid(format, &value) {
            return Some(pick(
                format!("Giá trị \"{value}\" của AI ({key}) trong chuỗi truy vấn không đúng định dạng GS1."),
                format!("The value \"{value}\" of AI ({key}) in the query string does not have GS1's format for it."),
            ));
        }
        let in_path = match key {
            "01" => gtin.as_deref().map(|g| (g, "GTIN")),
            "10" => lot.as_deref().map(|l| (l, "lô / lot")),
            "21" => serial.as_deref().map(|s| (s, "số sê-ri / serial")),
            _ => None,
        };
        let contradicts = match (key, in_path) {
            ("01", Some((path_value, _))) => format!("{value:0>14}") != path_value,
            (_, Some((path_value, _))) => value != path_value,
            // A qualifier the path does not carry belongs in the path, in GS1's order.
            ("10" | "21", None) => true,
            _ => false,
        };
        if contradicts {
            let said = in_path.map(|(v, _)| v).unwrap_or("—");
            return Some(pick(
                format!("AI ({key}) = \"{value}\" trong chuỗi truy vấn mâu thuẫn với đường dẫn ({said})."),
                format!("AI ({key}) = \"{value}\" in the query string contradicts the path ({said})."),
            ));
        }
    }
    None
}

/// Whether a path segment looks like a compressed GS1 Digital Link (a base64url string of the
/// binary encoding), which this resolver does not decompress.
pub fn looks_compressed(path: &str) -> bool {
    let segment = path.trim_start_matches('/');
    segment.len() >= 8
        && !segment.contains(['/', '.'])
        && segment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        && segment.bytes().any(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
}
