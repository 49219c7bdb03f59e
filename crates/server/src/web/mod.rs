//! The public lookup site: server-rendered HTML for buyers who scan a label (the Digital Link
//! and short URLs printed in the QR code), lot and cooperative pages, and a GS1 Digital Link
//! resolver around them (400 for a malformed link, 404 for an unknown one, CORS, linksets,
//! `/.well-known/gs1resolver`). No page needs JavaScript, and the Content-Security-Policy
//! allows none.

pub(crate) mod assets;
mod cache;
mod scans;
mod shop;
pub use resolver::looks_compressed;
pub use shop::feed_id;
pub mod i18n;
mod resolver;
mod sitemap;
mod spliced;
pub(crate) mod verdicts;
pub(crate) mod view;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::DateTime;
use farm_log::validate::show_date;
use farm_log::{CodeCheck, Verdict};
use label::Serial;
use store::{BatchView, LotStamp, PublicLot, StoreError};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use i18n::{Messages, PageLang, fill};
use verdicts::{Judged, LabelAnswer, LabelRead, LabelStep, VerdictView};
use view::{CertView, EntryView, Fact, LotSection, ProductCard};

/// Cache-Control of lot and cooperative pages and linksets: shared caches may keep them, but
/// every use asks first (a 304 when unchanged), so a recall shows at once even to a browser that
/// has the page.
pub(crate) const REVALIDATE: &str = "public, no-cache";

/// A label scanned at least this many times …
pub const COPY_MIN_SCANS: u64 = 20;
/// … over at least this many days since its first scan looks like a copied label.
pub const COPY_MIN_DAYS: i64 = 30;

/// The Content-Security-Policy of every HTML page: no script or style from anywhere but here.
pub(crate) const CSP: &str =
    "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Where the public site lives and what it keeps in memory (bounded; see `cache.rs`).
#[derive(Debug)]
pub struct Site {
    /// The absolute base URL (`https://host[/prefix]`), for canonical links and linksets.
    base: String,
    /// The path prefix (`""` or `/prefix`), for links inside pages.
    prefix: String,
    /// Lots' public data, under the stamp they were read at (bounded by bytes: a lot that grew
    /// all season holds thousands of events).
    lots: cache::SizedCache<LotStamp, PublicLot>,
    /// Label batches' records and verdicts, per batch and integrity epoch.
    batches: cache::Cache<(String, i64), BatchView>,
    /// Label pages rendered without what differs from label to label (serial, address, scans).
    shells: cache::SizedCache<ShellKey, Shell>,
    catalogs: cache::Cache<shop::CatalogKey, shop::CatalogData>,
    /// The last ETag of each cooperative's feeds and when its bytes last changed.
    feeds_seen: Mutex<HashMap<(i64, catalog::Channel), shop::SeenFeed>>,
    /// Which scans count.
    scan_limits: scans::ScanLimiter,
    /// A random word per process that marks where a label's own values go in a kept page:
    /// nothing stored can contain it, since nobody knows it.
    marker: String,
    /// This build and address, in the key of every label page kept in the database.
    fingerprint: String,
}

/// Most bytes of lots' public data kept at once (about 4,000 lots of a few events each).
const LOTS_BYTES: u64 = 32 * 1024 * 1024;
/// Most label batches kept at once (a few hundred bytes each).
const BATCHES_KEPT: usize = 50_000;
/// Most bytes of rendered label pages kept at once.
const SHELL_BYTES: u64 = 48 * 1024 * 1024;

impl Site {
    /// A site whose printed links start with `base`.
    pub fn new(base: &label::BaseUrl) -> Self {
        Self {
            base: base.to_string(),
            prefix: base.path_prefix().to_owned(),
            lots: cache::SizedCache::with_bytes(LOTS_BYTES, 4_096, LOTS_BYTES / 4),
            batches: cache::Cache::with_entries(BATCHES_KEPT),
            shells: cache::SizedCache::with_bytes(SHELL_BYTES, 4_096, 1 << 20),
            catalogs: cache::Cache::with_entries(256),
            feeds_seen: Mutex::new(HashMap::new()),
            scan_limits: scans::ScanLimiter::default(),
            marker: format!("nguon{}", uuid::Uuid::new_v4().simple()),
            fingerprint: fingerprint(base.as_ref()),
        }
    }

    /// The path prefix the pages are served under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// What identifies this build's pages for `base`: a hash of the running program (templates,
/// messages and styles are compiled into it) and the address. A program that cannot be read
/// gets a random one: its pages are kept for itself alone.
fn fingerprint(base: &str) -> String {
    static PROGRAM: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
        let hashed = std::env::current_exe()
            .and_then(std::fs::File::open)
            .and_then(|mut file| {
                let mut hasher = blake3::Hasher::new();
                std::io::copy(&mut file, &mut hasher)?;
                Ok(hasher.finalize().to_hex().to_string())
            });
        hashed.unwrap_or_else(|_| uuid::Uuid::new_v4().simple().to_string())
    });
    let hash = blake3::hash(format!("{}|{base}", *PROGRAM).as_bytes());
    hash.to_hex()[..24].to_owned()
}

/// Every public page and the resolver.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/tem", get(check_code))
        .route("/htx/{coop_id}", get(cooperative_page))
        .route("/htx/{coop_id}/lo/{code}", get(lot_page))
        .route("/htx/{coop_id}/san-pham", get(shop::catalog_page))
        .route("/htx/{coop_id}/san-pham/{listing_id}", get(shop::listing_page))
        .route("/feeds/{token}/{file}", get(shop::feed))
        .route("/01/{*rest}", get(resolve).options(preflight))
        .route("/l/{*rest}", get(resolve).options(preflight))
        .route("/.well-known/gs1resolver", get(resolver::well_known))
        .route("/robots.txt", get(sitemap::robots))
        .route("/sitemap.xml", get(sitemap::sitemap))
        .route("/media/{hash}/{file}", get(media_file))
        .route("/static/{name}", get(assets::serve))
        // Security headers on every public response.
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
}

/// The parts every page shares (base.html).
#[derive(Debug, Clone)]
pub struct PageMeta {
    lang: &'static str,
    title: String,
    description: String,
    css: String,
    icon: String,
    canonical: Option<String>,
    og_type: &'static str,
    og_locale: String,
    og_image: Option<String>,
    json_ld: Option<String>,
    home: String,
    switch_href: String,
    switch_lang: &'static str,
    switch_label: String,
}

/// What a request asked for that every page needs. The query is read where it lies (a scan
/// costs no copies of it).
struct Ask<'q> {
    lang: PageLang,
    remember: bool,
    query: &'q str,
}

impl<'q> Ask<'q> {
    fn new(headers: &HeaderMap, query: Option<&'q str>) -> Self {
        let query = query.unwrap_or("");
        let (lang, remember) = i18n::choose(headers, query_param(query, "lang"));
        Self { lang, remember, query }
    }

    fn pairs(&self) -> impl Iterator<Item = (&'q str, &'q str)> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
    }

    fn m(&self) -> &'static Messages {
        self.lang.messages()
    }

    /// The same address in the other language (other parameters kept, e.g. `d=`).
    fn switch_href(&self) -> String {
        let mut parts: Vec<String> = self
            .pairs()
            .filter(|(k, _)| *k != "lang")
            .map(|(k, v)| format!("{k}={v}"))
            .collect();
        parts.push(format!("lang={}", self.lang.other().code()));
        format!("?{}", parts.join("&"))
    }
}

/// The value of a query parameter, as sent.
fn query_param<'q>(query: &'q str, name: &str) -> Option<&'q str> {
    query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl Site {
    fn meta(&self, ask: &Ask, title: String, description: String) -> PageMeta {
        let m = ask.m();
        let other = ask.lang.other();
        PageMeta {
            lang: ask.lang.code(),
            title,
            description,
            css: assets::css_path(&self.prefix),
            icon: assets::icon_path(&self.prefix),
            canonical: None,
            og_type: "website",
            og_locale: m.og_locale.clone(),
            og_image: None,
            json_ld: None,
            home: format!("{}/", self.prefix),
            switch_href: ask.switch_href(),
            switch_lang: other.code(),
            switch_label: m.switch_label.clone(),
        }
    }
}

/// Renders a template into an HTML response with caching headers; a matching `If-None-Match`
/// gets a 304.
fn html(
    status: StatusCode,
    rendered: Result<String, askama::Error>,
    ask: &Ask,
    request_headers: &HeaderMap,
    cache_control: &'static str,
) -> Response {
    let body = match rendered {
        Ok(body) => body,
        Err(error) => {
            tracing::error!(%error, "a page template failed to render");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let etag = format!("W/\"{}\"", &blake3::hash(body.as_bytes()).to_hex()[..20]);
    page_response(status, body, etag, ask, request_headers, cache_control)
}

/// An HTML response with its ETag (304 when the client has it), cache and language headers,
/// and the language cookie when the visitor just chose one.
fn page_response(
    status: StatusCode,
    body: impl Into<Body>,
    etag: String,
    ask: &Ask,
    request_headers: &HeaderMap,
    cache_control: &'static str,
) -> Response {
    let not_modified = status == StatusCode::OK
        && request_headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.split(',').any(|tag| tag.trim() == etag));
    let mut response = if not_modified {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (status, body.into()).into_response()
    };
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    headers.insert(
        header::VARY,
        HeaderValue::from_static("Accept-Language, Cookie, Accept"),
    );
    headers.insert(header::CONTENT_LANGUAGE, HeaderValue::from_static(ask.lang.code()));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, value);
    }
    if ask.remember {
        remember_lang(headers, ask.lang);
    }
    response
}

/// Sets the cookie that remembers a visitor's language for a year.
pub(crate) fn remember_lang(headers: &mut HeaderMap, lang: PageLang) {
    let cookie = format!(
        "{}={}; Path=/; Max-Age=31536000; SameSite=Lax",
        i18n::LANG_COOKIE,
        lang.code()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.append(header::SET_COOKIE, value);
    }
}

impl Site {
    /// Whether pages are served over https (session cookies are then `Secure`).
    pub fn is_https(&self) -> bool {
        self.base.starts_with("https://")
    }
}

#[derive(Template)]
#[template(path = "problem.html")]
struct ProblemPage<'a> {
    page: PageMeta,
    m: &'a Messages,
    class: &'static str,
    heading: String,
    lines: Vec<String>,
    /// Where the type-the-code box sends (on pages about a code that did not scan right).
    check_action: Option<String>,
}

/// The kinds of answer that are not a page of something.
enum Problem {
    /// 400: the address is not a link we can read; the reason.
    Invalid(String),
    /// 404 for a label serial nobody issued.
    UnknownLabel,
    /// 404 for anything else.
    NotFound,
    /// A label whose batch and lot are gone from the records.
    Altered(store::Reason),
    /// 500, logged with its cause.
    Failed(StoreError),
}

impl Site {
    fn problem(&self, problem: Problem, ask: &Ask, headers: &HeaderMap) -> Response {
        let m = ask.m();
        // A code that did not scan right: the box to type it is the way on.
        let check_action = matches!(problem, Problem::UnknownLabel | Problem::Invalid(_)).then(|| self.check_action());
        let (status, class, heading, lines) = match problem {
            Problem::Invalid(reason) => (
                StatusCode::BAD_REQUEST,
                "invalid",
                m.invalid_title.clone(),
                vec![m.invalid_text.clone(), reason],
            ),
            Problem::UnknownLabel => (
                StatusCode::NOT_FOUND,
                "unknown",
                m.unknown_title.clone(),
                vec![m.unknown_text.clone(), m.unknown_hint.clone()],
            ),
            Problem::NotFound => (
                StatusCode::NOT_FOUND,
                "unknown",
                m.not_found_title.clone(),
                vec![m.not_found_text.clone()],
            ),
            Problem::Altered(reason) => (
                StatusCode::OK,
                "altered",
                m.altered_title.clone(),
                vec![
                    m.altered_summary.clone(),
                    match ask.lang {
                        PageLang::Vi => reason.vi,
                        PageLang::En => reason.en,
                    },
                ],
            ),
            Problem::Failed(error) => {
                let request_id = crate::error::request_id();
                tracing::error!(%error, %request_id, "a public page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "invalid",
                    m.error_title.clone(),
                    vec![fill(&m.error_text, &[("id", &request_id)])],
                )
            }
        };
        let page = ProblemPage {
            page: self.meta(ask, heading.clone(), lines.join(" ")),
            m,
            class,
            heading,
            lines,
            check_action,
        };
        html(status, page.render(), ask, headers, "no-cache")
    }
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage<'a> {
    page: PageMeta,
    m: &'a Messages,
    cooperatives: Vec<CoopLink>,
    check_action: String,
}

struct CoopLink {
    name: String,
    place: String,
    href: String,
}

async fn home(State(state): State<AppState>, RawQuery(query): RawQuery, headers: HeaderMap) -> Response {
    let site = &state.site;
    let ask = Ask::new(&headers, query.as_deref());
    let m = ask.m();
    let cooperatives = match state.store.cooperatives().await {
        Ok(list) => list,
        Err(error) => return site.problem(Problem::Failed(error), &ask, &headers),
    };
    let page = HomePage {
        page: site.meta(&ask, format!("Nguồn — {}", m.home_heading), m.home_text.clone()),
        check_action: site.check_action(),
        m,
        cooperatives: cooperatives
            .into_iter()
            .map(|c| CoopLink {
                href: format!("{}/htx/{}", site.prefix, c.id),
                place: format!("{}, {}", c.commune, c.province),
                name: c.name,
            })
            .collect(),
    };
    html(StatusCode::OK, page.render(), &ask, &headers, REVALIDATE)
}

#[derive(Template)]
#[template(path = "label.html")]
struct LabelPage<'a> {
    page: PageMeta,
    m: &'a Messages,
    recall: RecallView,
    badge: VerdictView,
    summary: Vec<Fact>,
    /// An SMS to the cooperative about a label thought fake (the serial in its text).
    report_href: Option<String>,
    check_action: String,
    warnings: Vec<String>,
    proof: Vec<Fact>,
    product: ProductCard,
    /// The scan line (HTML), or its place in a kept page ([`SCAN_MARKER`]).
    scan_block: String,
    facts: Vec<Fact>,
    certificates: Vec<CertView>,
    history_heading: String,
    entries: Vec<EntryView>,
    parents: Vec<LotSection>,
    lot_href: String,
}

/// The recall banner: which lots, and what the buyer should do.
struct RecallView {
    lines: Vec<String>,
    /// `tel:` link to the cooperative.
    call_href: String,
    call_text: String,
}

impl RecallView {
    fn of(lot: &PublicLot, m: &Messages) -> Self {
        let phone = &lot.cooperative.phone;
        Self {
            lines: view::recall_lines(lot, m),
            call_href: format!("tel:{}", Self::digits(phone)),
            call_text: fill(&m.recall_call, &[("phone", phone)]),
        }
    }

    /// A phone number as `tel:` and `sms:` links take it.
    fn digits(phone: &str) -> String {
        phone.chars().filter(|c| c.is_ascii_digit() || *c == '+').collect()
    }
}

/// Text as a URL's query value (UTF-8, every byte but the unreserved ones percent-encoded).
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

impl Site {
    /// Where the type-the-code box sends.
    fn check_action(&self) -> String {
        format!("{}/tem", self.prefix)
    }
}

/// What the type-the-code box sends.
#[derive(Debug, serde::Deserialize)]
struct CheckCode {
    #[serde(default)]
    serial: String,
}

/// `GET /tem?serial=…`: the code printed under a QR code, typed by hand, opens its label page
/// (the short link, without a check code: the page says the address lacks one). A code that
/// cannot be a serial is a 400 page saying why, with the box to try again.
async fn check_code(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    axum::extract::Query(form): axum::extract::Query<CheckCode>,
    headers: HeaderMap,
) -> Response {
    let site = &state.site;
    let ask = Ask::new(&headers, query.as_deref());
    let typed: String = form
        .serial
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    match Serial::parse(&typed) {
        Ok(serial) => resolver::redirect(&format!("{}/l/{serial}", site.prefix)),
        Err(error) => {
            let reason = ask
                .m()
                .link_error
                .get(error.code())
                .cloned()
                .unwrap_or_else(|| error.to_string());
            site.problem(Problem::Invalid(reason), &ask, &headers)
        }
    }
}

#[derive(Template)]
#[template(path = "lot.html")]
struct LotPage<'a> {
    page: PageMeta,
    m: &'a Messages,
    recall: RecallView,
    badge: VerdictView,
    summary: Vec<Fact>,
    product: ProductCard,
    facts: Vec<Fact>,
    certificates: Vec<CertView>,
    history_heading: String,
    entries: Vec<EntryView>,
    parents: Vec<LotSection>,
}

#[derive(Template)]
#[template(path = "cooperative.html")]
struct CooperativePage<'a> {
    page: PageMeta,
    m: &'a Messages,
    name: String,
    description: Option<String>,
    catalog_href: String,
    facts: Vec<Fact>,
    certificates: Vec<CertView>,
    products: Vec<ProductItem>,
    lots: Vec<LotItem>,
}

struct ProductItem {
    anchor: String,
    name: String,
    photo: Option<view::PhotoView>,
    lines: Vec<String>,
}

struct LotItem {
    code: String,
    product: String,
    status: String,
    href: String,
}

fn today() -> chrono::NaiveDate {
    verdicts::today()
}

impl Site {
    pub(crate) fn lot_href(&self, coop_id: i64, code: &str) -> String {
        format!("{}/htx/{coop_id}/lo/{code}", self.prefix)
    }

    fn absolute(&self, path_with_prefix: &str) -> String {
        let origin_len = self.base.len() - self.prefix.len();
        format!("{}{path_with_prefix}", &self.base[..origin_len])
    }

    /// schema.org `Product` JSON-LD, with the verdict as a `PropertyValue` (the same word the
    /// badge and the API say).
    fn json_ld(&self, lot: &PublicLot, url: &str, serial: Option<&str>, verdict: Verdict) -> String {
        let coop = &lot.cooperative;
        let mut product = serde_json::json!({
            "@context": "https://schema.org",
            "@type": "Product",
            "name": lot.product.name,
            "url": url,
            "brand": { "@type": "Brand", "name": coop.name },
            "manufacturer": {
                "@type": "Organization",
                "name": coop.name,
                "telephone": coop.phone,
                "address": {
                    "@type": "PostalAddress",
                    "streetAddress": coop.address,
                    "addressLocality": coop.commune,
                    "addressRegion": coop.province,
                    "addressCountry": "VN"
                }
            },
            "countryOfOrigin": { "@type": "Country", "name": "Việt Nam" },
            "sku": lot.lot.code,
        });
        if let Some(gtin) = &lot.product.gtin {
            product["gtin14"] = gtin.clone().into();
        }
        if let Some(serial) = serial {
            product["serialNumber"] = serial.into();
        }
        product["additionalProperty"] = serde_json::json!([{
            "@type": "PropertyValue",
            "propertyID": "nguon:verdict",
            "name": "Nguồn verdict",
            "value": verdict.as_str(),
        }]);
        if let Some(day) = lot.use_by {
            product["expires"] = day.to_string().into();
        }
        if let Some(at) = lot.packed_at.or(lot.harvested_at) {
            product["productionDate"] = at.date_naive().to_string().into();
        }
        if let Some(hash) = &lot.product.photo {
            product["image"] = self.absolute(&format!("{}/media/{hash}/full.jpg", self.prefix)).into();
        }
        let certifications: Vec<serde_json::Value> = lot
            .certificates
            .iter()
            .map(|c| {
                serde_json::json!({
                    "@type": "Certification",
                    "name": c.scheme.display_name(),
                    "certificationIdentification": c.number,
                    "issuedBy": { "@type": "Organization", "name": c.body },
                    "validFrom": c.valid_from.to_string(),
                    "expires": c.valid_to.to_string(),
                })
            })
            .collect();
        if !certifications.is_empty() {
            product["hasCertification"] = certifications.into();
        }
        // `</script>` inside a string must not end the element.
        product.to_string().replace('<', "\\u003c")
    }

    fn og_image(&self, lot: &PublicLot) -> Option<String> {
        lot.product
            .photo
            .as_ref()
            .map(|hash| self.absolute(&format!("{}/media/{hash}/card.jpg", self.prefix)))
    }
}

async fn cooperative_page(
    State(state): State<AppState>,
    Path(coop_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let site = &state.site;
    let ask = Ask::new(&headers, query.as_deref());
    let m = ask.m();
    let Ok(coop_id) = coop_id.parse::<i64>() else {
        return site.problem(Problem::NotFound, &ask, &headers);
    };
    let public = match state.store.public_cooperative(coop_id).await {
        Ok(public) => public,
        Err(StoreError::NotFound { .. }) => return site.problem(Problem::NotFound, &ask, &headers),
        Err(error) => return site.problem(Problem::Failed(error), &ask, &headers),
    };
    let coop = &public.cooperative;
    let mut facts = vec![
        Fact::new(
            &m.fact_address,
            format!("{}, {}, {}", coop.address, coop.commune, coop.province),
        ),
        Fact::new(&m.fact_phone, coop.phone.clone()),
    ];
    if let Some(gln) = &coop.gln {
        facts.push(Fact::new(&m.fact_gln, gln.clone()));
    }
    let mut page = CooperativePage {
        page: site.meta(
            &ask,
            coop.name.clone(),
            coop.description
                .clone()
                .unwrap_or_else(|| format!("{} — {}, {}", coop.name, coop.commune, coop.province)),
        ),
        m,
        name: coop.name.clone(),
        description: coop.description.clone(),
        catalog_href: site.catalog_href(coop.id),
        facts,
        certificates: view::certificates(&public.certificates, &public.products, m, today(), &site.prefix),
        products: public
            .products
            .iter()
            .map(|p| ProductItem {
                anchor: format!("sp-{}", p.id),
                name: p.name.clone(),
                photo: view::photo(p, &site.prefix, m),
                lines: p.gtin.iter().map(|g| format!("{}: {g}", m.fact_gtin)).collect(),
            })
            .collect(),
        lots: public
            .lots
            .iter()
            .map(|l| LotItem {
                href: site.lot_href(coop.id, &l.code),
                code: l.code.clone(),
                product: l.product.clone(),
                status: m.status(l.status),
            })
            .collect(),
    };
    page.page.canonical = Some(site.absolute(&format!("{}/htx/{}", site.prefix, coop.id)));
    html(StatusCode::OK, page.render(), &ask, &headers, REVALIDATE)
}

impl Site {
    fn render_lot(&self, judged: &Judged, ask: &Ask, headers: &HeaderMap) -> Response {
        let lot = &judged.lot;
        let m = ask.m();
        let badge = verdicts::verdict_view(judged, ask.lang, m);
        let title = format!(
            "{} — {}",
            fill(&m.lot_title, &[("lot", &lot.lot.code), ("product", &lot.product.name)]),
            badge.title
        );
        let description = format!("{} — {}. {}", lot.product.name, lot.cooperative.name, badge.summary);
        let canonical = self.absolute(&self.lot_href(lot.cooperative.id, &lot.lot.code));
        let mut facts = view::lot_facts(lot, m);
        facts.push(Fact::new(&m.fact_status, m.status(lot.lot.status)));
        let mut page = LotPage {
            page: self.meta(ask, title, description),
            m,
            recall: RecallView::of(lot, m),
            badge,
            summary: view::summary(lot, m, today()),
            product: view::product_card(lot, &self.prefix, m),
            facts,
            certificates: view::certificates(
                &lot.certificates,
                std::slice::from_ref(&lot.product),
                m,
                today(),
                &self.prefix,
            ),
            history_heading: fill(&m.history_of_lot, &[("lot", &lot.lot.code)]),
            entries: view::entries(&lot.events, m, None, &self.prefix),
            parents: view::parent_sections(lot, m, &self.prefix),
        };
        page.page.json_ld = Some(self.json_ld(lot, &canonical, None, judged.verdict));
        page.page.og_type = "product";
        page.page.og_image = self.og_image(lot);
        page.page.canonical = Some(canonical);
        let mut response = html(StatusCode::OK, page.render(), ask, headers, REVALIDATE);
        resolver::add_linkset_header(&mut response, &self.lot_href(lot.cooperative.id, &lot.lot.code));
        response
    }
}

async fn lot_page(
    State(state): State<AppState>,
    Path((coop_id, code)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let site = &state.site;
    let ask = Ask::new(&headers, query.as_deref());
    let Ok(coop_id) = coop_id.parse::<i64>() else {
        return site.problem(Problem::NotFound, &ask, &headers);
    };
    if farm_log::LotCode::parse(&code, "code").is_err() {
        return site.problem(Problem::NotFound, &ask, &headers);
    }
    match site.judge_lot(&state.store, coop_id, &code).await {
        // The page's `Link: rel="linkset"` points here with `?linkType=linkset`.
        Ok(Some(judged)) => resolver::answer(
            resolver::Ask::new(&headers, query.as_deref(), &site.base),
            || resolver::lot_links(site, &judged.lot),
            &site.lot_href(judged.lot.cooperative.id, &judged.lot.lot.code)[site.prefix.len()..],
            || site.render_lot(&judged, &ask, &headers),
        ),
        Ok(None) | Err(StoreError::NotFound { .. }) => site.problem(Problem::NotFound, &ask, &headers),
        Err(error) => site.problem(Problem::Failed(error), &ask, &headers),
    }
}

/// `OPTIONS` on resolver paths: what may be asked, from any origin.
async fn preflight() -> Response {
    (
        StatusCode::NO_CONTENT,
        [
            (header::ALLOW, "GET, HEAD, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (header::ACCESS_CONTROL_ALLOW_METHODS, "GET, HEAD, OPTIONS"),
            (header::ACCESS_CONTROL_ALLOW_HEADERS, "Accept, Accept-Language"),
            (header::ACCESS_CONTROL_MAX_AGE, "86400"),
        ],
    )
        .into_response()
}

/// GET and HEAD on `/01/…` and `/l/…`: a label, a lot or a product.
async fn resolve(State(state): State<AppState>, request: Request<Body>) -> Response {
    // Read from the request in place: extracting the headers would copy them on every scan.
    let (method, headers, uri) = (request.method(), request.headers(), request.uri());
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let asked = Asked {
        method,
        query: uri.query(),
        headers,
        path: uri.path(),
        peer,
    };
    let mut response = resolve_inner(&state, &asked).await;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Link"));
    response
}

/// What a resolver request asked, read in place.
struct Asked<'r> {
    method: &'r Method,
    query: Option<&'r str>,
    headers: &'r HeaderMap,
    path: &'r str,
    /// The peer's address, when the server knows it.
    peer: Option<IpAddr>,
}

async fn resolve_inner(state: &AppState, asked: &Asked<'_>) -> Response {
    let site = &state.site;
    let headers = asked.headers;
    let query = asked.query;
    let ask = Ask::new(headers, query);
    let path = asked.path.strip_prefix(site.prefix.as_str()).unwrap_or(asked.path);
    let parsed = match label::ResolverPath::parse(path, query) {
        Ok(parsed) => parsed,
        Err(error) => {
            let reason = ask
                .m()
                .link_error
                .get(error.code())
                .cloned()
                .unwrap_or_else(|| error.to_string());
            return site.problem(Problem::Invalid(reason), &ask, headers);
        }
    };
    if let Some(reason) = resolver::query_ai_error(&parsed, query, ask.lang) {
        return site.problem(Problem::Invalid(reason), &ask, headers);
    }
    let wants = resolver::Ask::new(headers, query, &site.base);
    match parsed {
        label::ResolverPath::Product { gtin } => match state.store.product_by_gtin(gtin.as_ref()).await {
            Ok(Some(product)) => {
                let target = format!("{}/htx/{}#sp-{}", site.prefix, product.cooperative_id, product.id);
                resolver::answer(
                    wants,
                    || resolver::product_links(site, &product, &target),
                    path,
                    || resolver::redirect(&target),
                )
            }
            Ok(None) => site.problem(Problem::NotFound, &ask, headers),
            Err(error) => site.problem(Problem::Failed(error), &ask, headers),
        },
        label::ResolverPath::Lot { gtin, lot } => {
            let found = match state.store.lot_by_gtin(gtin.as_ref(), lot.as_ref()).await {
                Ok(Some(found)) => found,
                Ok(None) => return site.problem(Problem::NotFound, &ask, headers),
                Err(error) => return site.problem(Problem::Failed(error), &ask, headers),
            };
            match site.judge_lot(&state.store, found.0, &found.1).await {
                Ok(Some(judged)) => resolver::answer(
                    wants,
                    || resolver::lot_links(site, &judged.lot),
                    path,
                    || site.render_lot(&judged, &ask, headers),
                ),
                Ok(None) | Err(StoreError::NotFound { .. }) => site.problem(Problem::NotFound, &ask, headers),
                Err(error) => site.problem(Problem::Failed(error), &ask, headers),
            }
        }
        label::ResolverPath::Label(scanned) => {
            let named = scanned
                .gtin
                .as_ref()
                .zip(scanned.lot.as_ref())
                .map(|(g, l)| (g.as_ref(), l.as_ref()));
            // Only a person opening the page counts as a scan: not HEAD, a linkset or a
            // redirect, not a link preview or a crawler, and a few times an hour at most from
            // one address.
            let counted = || {
                *asked.method == Method::GET
                    && !headers
                        .get(header::USER_AGENT)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(scans::is_fetcher)
                    && site.scan_limits.allow(
                        asked.peer.unwrap_or(IpAddr::from([0, 0, 0, 0])),
                        &scanned.serial.to_string(),
                    )
            };
            let read = match site
                .read_label(&state.store, &scanned.serial, named, &scanned.digest, ask.lang)
                .await
            {
                Ok(LabelStep::Read(read)) => read,
                Ok(LabelStep::Answered(LabelAnswer::Found(judged))) => {
                    // A damaged batch, or a label whose batch or lot is gone.
                    let label_url = judged.label.as_ref().map(|l| l.url.clone()).unwrap_or_default();
                    let links = || resolver::label_links(site, &judged.lot, &label_url);
                    return resolver::answer(wants, links, path, || {
                        let counted = judged.label.is_some() && counted();
                        site.render_judged_label(state, &judged, counted, &ask, headers)
                    });
                }
                Ok(LabelStep::Answered(LabelAnswer::Unknown | LabelAnswer::NotThisLabel)) => {
                    return site.problem(Problem::UnknownLabel, &ask, headers);
                }
                Ok(LabelStep::Answered(LabelAnswer::Altered(reason))) => {
                    return site.problem(Problem::Altered(reason), &ask, headers);
                }
                Err(error) => return site.problem(Problem::Failed(error), &ask, headers),
            };
            if matches!(wants.wanted, resolver::Wanted::Default) {
                // The page: from a rendered page kept in memory or in the database when there
                // is one under exactly what it depends on, so most scans read no lot at all.
                let counted = counted();
                return site.render_label(state, *read, counted, &ask, headers).await;
            }
            let judged = match site.judge_read(&state.store, *read).await {
                Ok(judged) => judged,
                Err(error) => return site.problem(Problem::Failed(error), &ask, headers),
            };
            let label_url = judged.label.as_ref().map(|l| l.url.clone()).unwrap_or_default();
            let links = || resolver::label_links(site, &judged.lot, &label_url);
            resolver::answer(wants, links, path, || {
                site.render_judged_label(state, &judged, false, &ask, headers)
            })
        }
    }
}

impl Site {
    /// The label page. Everything but the label's serial, address and scan line is the same for
    /// every label of a batch in one language and check-code state on one day, so that is
    /// rendered once and kept (in memory, and in the database for every process and restart);
    /// each request splices its own values in. The lot is read only when no kept page fits.
    async fn render_label(
        &self,
        state: &AppState,
        read: LabelRead,
        counted: bool,
        ask: &Ask<'_>,
        headers: &HeaderMap,
    ) -> Response {
        let label = &read.label;
        if counted {
            // Counting only touches memory; it is written with the next flush.
            state.store.count_scan(&label.serial);
        }
        let scan_count = label.scan_count + u64::from(counted);
        // A label's own values go in as they are only when they need no escaping anywhere in the
        // page (always, for links this service printed); otherwise the page is rendered whole.
        let plain = |text: &str| {
            !text
                .chars()
                .any(|c| matches!(c, '"' | '\'' | '<' | '>' | '&' | '\\') || c.is_whitespace())
        };
        if !(plain(&label.serial) && plain(&label.url)) {
            return match self.judge_read(&state.store, read).await {
                Ok(judged) => self.render_label_page(&judged, Some(scan_count), ask, headers),
                Err(error) => self.problem(Problem::Failed(error), ask, headers),
            };
        }
        let key = ShellKey {
            batch_id: read.batch.batch_id.clone(),
            stamp: read.stamp.clone(),
            lang: ask.lang,
            code: read.code,
            day: today(),
        };
        let shell = match self.shells.get(&key) {
            Some(shell) => shell,
            None => match self.kept_or_rendered_shell(state, &read, &key, ask, headers).await {
                Ok(shell) => {
                    self.shells.put(key, shell.clone());
                    shell
                }
                Err(response) => return response,
            },
        };
        let canonical = label.url.split('?').next().unwrap_or(&label.url);
        let scan_block = self.scan_block(label.first_scanned_at.as_deref(), scan_count, ask.m());
        let mut pieces = Vec::with_capacity(shell.parts.len() * 2);
        for (part, slot) in shell
            .parts
            .iter()
            .zip(shell.slots.iter().map(Some).chain(std::iter::repeat(None)))
        {
            pieces.push(part.clone());
            match slot {
                Some(Slot::Serial) => pieces.push(axum::body::Bytes::copy_from_slice(label.serial.as_bytes())),
                Some(Slot::Url) => pieces.push(axum::body::Bytes::copy_from_slice(canonical.as_bytes())),
                Some(Slot::Scans) => pieces.push(axum::body::Bytes::from(scan_block.clone())),
                None => {}
            }
        }
        let body = Body::new(spliced::Spliced::new(pieces));
        // The shell's hash, the serial and the count name the bytes without hashing them again.
        let etag = format!("W/\"{}-{}-{scan_count}\"", shell.hash, label.serial);
        let mut response = page_response(StatusCode::OK, body, etag, ask, headers, "private, no-cache");
        let path = label.url.strip_prefix(&self.base).unwrap_or(&label.url);
        if let Some(link) = resolver::linkset_header(path.split('?').next().unwrap_or(path)) {
            response.headers_mut().insert(header::LINK, link);
        }
        response
    }

    /// A label page's shell that memory does not hold: the one kept in the database under
    /// exactly `key`, else rendered from the lot now and kept.
    async fn kept_or_rendered_shell(
        &self,
        state: &AppState,
        read: &LabelRead,
        key: &ShellKey,
        ask: &Ask<'_>,
        headers: &HeaderMap,
    ) -> Result<Arc<Shell>, Response> {
        let kept_key = key.kept(&self.fingerprint);
        let lang = ask.lang.code();
        if let Some(shell) = state
            .store
            .kept_page_of(&read.label, lang, &kept_key)
            .and_then(|bytes| Shell::unpack(&bytes))
        {
            return Ok(Arc::new(shell));
        }
        let judged = self
            .judge_read(&state.store, read.clone())
            .await
            .map_err(|error| self.problem(Problem::Failed(error), ask, headers))?;
        let shell = self
            .label_shell(&judged, ask)
            .map_err(|error| html(StatusCode::OK, Err(error), ask, headers, "private, no-cache"))?;
        state.store.keep_page(&key.batch_id, lang, kept_key, shell.pack());
        Ok(Arc::new(shell))
    }

    /// A judged label's page rendered whole: a damaged batch's, or a label whose batch or lot is
    /// gone (nothing to keep).
    fn render_judged_label(
        &self,
        state: &AppState,
        judged: &Judged,
        counted: bool,
        ask: &Ask,
        headers: &HeaderMap,
    ) -> Response {
        let scan_count = judged.label.as_ref().map(|label| {
            if counted {
                state.store.count_scan(&label.serial);
            }
            label.scan_count + u64::from(counted)
        });
        self.render_label_page(judged, scan_count, ask, headers)
    }

    /// "Tem này đã được quét N lần …" and, when the pattern looks like a copied label, the
    /// warning, as HTML with every value escaped.
    fn scan_block(&self, first_scanned_at: Option<&str>, scan_count: u64, m: &Messages) -> String {
        let first = first_scanned_at
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .or_else(|| (scan_count > 0).then(store::now));
        let n = scan_count.to_string();
        let scans = match first {
            Some(first) => fill(&m.scans_first, &[("n", &n), ("date", &show_date(&first))]),
            None => fill(&m.scans, &[("n", &n)]),
        };
        let mut block = format!("<p id=\"scans\">{}</p>", escape_html(&scans));
        let copied =
            first.filter(|first| scan_count >= COPY_MIN_SCANS && (store::now() - *first).num_days() >= COPY_MIN_DAYS);
        if let Some(first) = copied {
            let warning = fill(&m.copy_warning, &[("n", &n), ("date", &show_date(&first))]);
            block.push_str(&format!(
                "<p id=\"copy-warning\" class=\"warn\">{}</p>",
                escape_html(&warning)
            ));
        }
        block
    }

    /// The label page, rendered whole (a label whose batch is gone, or values that need
    /// escaping).
    fn render_label_page(&self, judged: &Judged, scan_count: Option<u64>, ask: &Ask, headers: &HeaderMap) -> Response {
        let label = judged.label.as_ref();
        let serial = label.map(|l| l.serial.clone()).unwrap_or_default();
        let url = label.map(|l| l.url.clone()).unwrap_or_default();
        let canonical = url.split('?').next().unwrap_or(&url).to_owned();
        let scans = match (label, scan_count) {
            (Some(label), Some(count)) => self.scan_block(label.first_scanned_at.as_deref(), count, ask.m()),
            _ => String::new(),
        };
        match self
            .label_template(judged, ask, &serial, &canonical, &scans)
            .and_then(|page| page.render())
        {
            Ok(body) => {
                let etag = format!("W/\"{}\"", &blake3::hash(body.as_bytes()).to_hex()[..20]);
                page_response(StatusCode::OK, body, etag, ask, headers, "private, no-cache")
            }
            Err(error) => html(StatusCode::OK, Err(error), ask, headers, "private, no-cache"),
        }
    }

    /// The label page with a label's serial, canonical address and scan line given.
    fn label_template<'a>(
        &self,
        judged: &Judged,
        ask: &Ask<'a>,
        serial: &str,
        canonical: &str,
        scan_block: &str,
    ) -> Result<LabelPage<'static>, askama::Error> {
        let m = ask.m();
        let lot = &judged.lot;
        let badge = verdicts::verdict_view(judged, ask.lang, m);
        let warnings = match judged.code {
            CodeCheck::Absent if judged.batch.is_some() => vec![m.digest_missing.clone()],
            // A mismatch is the verdict itself unless something graver is.
            CodeCheck::Differs if judged.verdict != Verdict::Mismatched => vec![m.digest_mismatch.clone()],
            _ => Vec::new(),
        };
        let proof = match &judged.batch {
            Some(batch) => proof_facts(batch, m),
            None => Vec::new(),
        };
        let mut facts = view::lot_facts(lot, m);
        if !serial.is_empty() {
            facts.push(Fact::new(&m.fact_serial, serial.to_owned()));
        }
        let event_count = judged.batch.as_ref().map(|b| b.record.event_count);
        let mut page = LabelPage {
            page: self.meta(
                ask,
                format!("{} — {}", lot.product.name, badge.title),
                format!("{} — {}. {}", lot.product.name, lot.cooperative.name, badge.summary),
            ),
            m,
            recall: RecallView::of(lot, m),
            badge,
            summary: view::summary(lot, m, today()),
            report_href: (!serial.is_empty()).then(|| {
                format!(
                    "sms:{}?body={}",
                    RecallView::digits(&lot.cooperative.phone),
                    percent_encode(&fill(&m.report_fake_body, &[("serial", serial)]))
                )
            }),
            check_action: self.check_action(),
            warnings,
            proof,
            product: view::product_card(lot, &self.prefix, m),
            scan_block: scan_block.to_owned(),
            facts,
            certificates: view::certificates(
                &lot.certificates,
                std::slice::from_ref(&lot.product),
                m,
                today(),
                &self.prefix,
            ),
            history_heading: fill(&m.history_of_lot, &[("lot", &lot.lot.code)]),
            entries: view::entries(&lot.events, m, event_count, &self.prefix),
            parents: view::parent_sections(lot, m, &self.prefix),
            lot_href: self.lot_href(lot.cooperative.id, &lot.lot.code),
        };
        // The switch keeps only the check code, so the page is the same for every visitor.
        let d = match (judged.code, &judged.batch) {
            (CodeCheck::Matches, Some(batch)) => {
                format!("d={}&", label::Digest::of_head(&batch.record.chain_head.0))
            }
            _ => String::new(),
        };
        page.page.switch_href = format!("?{d}lang={}", ask.lang.other().code());
        page.page.json_ld = Some(self.json_ld(lot, canonical, (!serial.is_empty()).then_some(serial), judged.verdict));
        page.page.og_type = "product";
        page.page.og_image = self.og_image(lot);
        page.page.canonical = (!canonical.is_empty()).then(|| canonical.to_owned());
        Ok(page)
    }

    /// The label page rendered with markers where a label's own values go, cut there.
    fn label_shell(&self, judged: &Judged, ask: &Ask) -> Result<Shell, askama::Error> {
        let serial_marker = format!("{}s", self.marker);
        let url_marker = format!("{}u", self.marker);
        let rendered = self
            .label_template(judged, ask, &serial_marker, &url_marker, SCAN_MARKER)?
            .render()?;
        let mut parts = Vec::new();
        let mut slots = Vec::new();
        let mut rest = rendered.as_str();
        loop {
            let next = [
                (rest.find(&serial_marker), serial_marker.len(), Slot::Serial),
                (rest.find(&url_marker), url_marker.len(), Slot::Url),
                (rest.find(SCAN_MARKER), SCAN_MARKER.len(), Slot::Scans),
            ]
            .into_iter()
            .filter_map(|(at, len, slot)| at.map(|at| (at, len, slot)))
            .min_by_key(|(at, _, _)| *at);
            match next {
                Some((at, len, slot)) => {
                    parts.push(axum::body::Bytes::copy_from_slice(&rest.as_bytes()[..at]));
                    slots.push(slot);
                    rest = &rest[at + len..];
                }
                None => {
                    parts.push(axum::body::Bytes::copy_from_slice(rest.as_bytes()));
                    break;
                }
            }
        }
        Ok(Shell {
            hash: blake3::hash(rendered.as_bytes()).to_hex()[..20].to_owned(),
            bytes: rendered.len() as u64,
            parts,
            slots,
        })
    }
}

/// How the batch proves what it says, for "how we know".
fn proof_facts(batch: &BatchView, m: &Messages) -> Vec<Fact> {
    let record = &batch.record;
    vec![
        Fact::new(
            &m.proof_digest,
            label::Digest::of_head(&record.chain_head.0).to_string(),
        ),
        Fact::new(&m.proof_chain_head, record.chain_head.to_hex()),
        Fact::new(&m.proof_events, record.event_count.to_string()),
        Fact::new(&m.proof_batch, record.batch_id.clone()),
        Fact::new(
            &m.proof_issued,
            DateTime::parse_from_rfc3339(&record.issued_at)
                .map(|t| show_date(&t))
                .unwrap_or_else(|_| record.issued_at.clone()),
        ),
        Fact::new(&m.proof_key, record.key_id.clone()),
        Fact::new(&m.proof_public_key, batch.public_key.clone()),
        Fact::new(&m.proof_signature, batch.signature.clone()),
    ]
}

/// Where the scan line goes in a rendered label page; nothing a user types can contain it in
/// the rendered output, since askama escapes `<`.
const SCAN_MARKER: &str = "<nguon-scans/>";

/// What a kept label page depends on besides the label itself. The verdict it shows is fixed by
/// these: the lot's data by its stamp, the batch's check by the batch and the integrity epoch
/// (in the stamp), the check code, and the day (expiry, certificates valid or not).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ShellKey {
    batch_id: String,
    stamp: LotStamp,
    lang: PageLang,
    code: CodeCheck,
    day: chrono::NaiveDate,
}

impl ShellKey {
    /// The key a page is kept under in the database: these values and the site's fingerprint
    /// (its build and address), so a page rendered by another build or for another address is
    /// never used.
    fn kept(&self, fingerprint: &str) -> String {
        // Every field of the stamp, as the kept public records write it: a field added to the
        // stamp is in the key without anyone remembering to add it here.
        let stamp = serde_json::to_string(&self.stamp).unwrap_or_default();
        format!("{fingerprint}|{}|{stamp}|{:?}|{}", self.batch_id, self.code, self.day)
    }
}

/// Where a label's own value goes in a kept page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Serial,
    Url,
    Scans,
}

/// A rendered label page cut where a label's own values go: `parts[i]`, then `slots[i]`'s value,
/// and the last part.
#[derive(Debug)]
struct Shell {
    hash: String,
    bytes: u64,
    parts: Vec<axum::body::Bytes>,
    slots: Vec<Slot>,
}

/// How a shell is packed to be kept in the database: a version byte, the hash (20 bytes), then
/// each part as its length (4 bytes, little-endian) and bytes followed by its slot (1 byte; none
/// after the last part).
const SHELL_PACKING: u8 = 1;

impl Slot {
    fn byte(self) -> u8 {
        match self {
            Slot::Serial => 0,
            Slot::Url => 1,
            Slot::Scans => 2,
        }
    }

    fn of(byte: u8) -> Option<Self> {
        match byte {
            0 => Some(Slot::Serial),
            1 => Some(Slot::Url),
            2 => Some(Slot::Scans),
            _ => None,
        }
    }
}

impl Shell {
    /// The shell as kept in the database.
    fn pack(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(usize::try_from(self.bytes).unwrap_or(0) + 64);
        out.push(SHELL_PACKING);
        out.extend_from_slice(self.hash.as_bytes());
        for (i, part) in self.parts.iter().enumerate() {
            out.extend_from_slice(&u32::try_from(part.len()).unwrap_or(u32::MAX).to_le_bytes());
            out.extend_from_slice(part);
            if let Some(slot) = self.slots.get(i) {
                out.push(slot.byte());
            }
        }
        out
    }

    /// A shell read back from the database; `None` when the bytes are not one.
    fn unpack(bytes: &[u8]) -> Option<Self> {
        let (&version, rest) = bytes.split_first()?;
        if version != SHELL_PACKING || rest.len() < 20 {
            return None;
        }
        let (hash, mut rest) = rest.split_at(20);
        let hash = std::str::from_utf8(hash).ok()?.to_owned();
        let mut parts = Vec::new();
        let mut slots = Vec::new();
        let mut total = 0u64;
        loop {
            let (len, after) = rest.split_at_checked(4)?;
            let len = usize::try_from(u32::from_le_bytes(len.try_into().ok()?)).ok()?;
            let (part, after) = after.split_at_checked(len)?;
            parts.push(axum::body::Bytes::copy_from_slice(part));
            total = total.saturating_add(len as u64);
            match after.split_first() {
                None => break,
                Some((&slot, after)) => {
                    slots.push(Slot::of(slot)?);
                    rest = after;
                }
            }
        }
        Some(Shell {
            hash,
            bytes: total,
            parts,
            slots,
        })
    }
}

impl cache::Weight for Shell {
    fn bytes(&self) -> u64 {
        self.bytes
    }
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// `GET /media/{hash}/{card|full}.jpg`: stored photos, immutable since they are named by hash.
async fn media_file(State(state): State<AppState>, Path((hash, file)): Path<(String, String)>) -> Response {
    let Some(variant) = file.strip_suffix(".jpg") else {
        return StatusCode::NOT_FOUND.into_response();
    };
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) || !matches!(variant, "card" | "full") {
        return StatusCode::NOT_FOUND.into_response();
    }
    match state.store.media(&hash, variant).await {
        Ok(Some(media)) => (
            [
                (header::CONTENT_TYPE, media.content_type),
                (header::CACHE_CONTROL, "public, max-age=31536000, immutable".to_owned()),
            ],
            media.bytes,
        )
            .into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(error) => {
            tracing::error!(%error, "could not read a photo");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}
