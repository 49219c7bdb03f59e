//! The public lookup site: server-rendered HTML for buyers who scan a label (the Digital Link
//! and short URLs printed in the QR code), lot and cooperative pages, and a GS1 Digital Link
//! resolver around them (400 for a malformed link, 404 for an unknown one, CORS, linksets,
//! `/.well-known/gs1resolver`). No page needs JavaScript, and the Content-Security-Policy
//! allows none.

pub(crate) mod assets;
mod cache;
mod shop;
pub use resolver::looks_compressed;
pub use shop::feed_id;
pub mod i18n;
mod resolver;
mod sitemap;
mod spliced;
pub(crate) mod view;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use askama::Template;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, FixedOffset};
use farm_log::validate::show_date;
use label::Serial;
use store::{FoundLabel, LabelResolution, LabelStatus, PublicLot, StoreError};
use tower_http::set_header::SetResponseHeaderLayer;

use crate::AppState;
use i18n::{Messages, PageLang, fill};
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

/// Where the public site lives and what it keeps in memory.
#[derive(Debug)]
pub struct Site {
    /// The absolute base URL (`https://host[/prefix]`), for canonical links and linksets.
    base: String,
    /// The path prefix (`""` or `/prefix`), for links inside pages.
    prefix: String,
    labels: cache::Cache<String, LabelData>,
    lots: cache::Cache<(i64, String), PublicLot>,
    catalogs: cache::Cache<i64, shop::CatalogData>,
    feed_tokens: cache::Cache<String, Option<(i64, DateTime<FixedOffset>)>>,
    /// The last ETag of each cooperative's feeds and when its bytes last changed.
    feeds_seen: Mutex<HashMap<(i64, catalog::Channel), shop::SeenFeed>>,
}

impl Site {
    /// A site whose printed links start with `base`.
    pub fn new(base: &label::BaseUrl) -> Self {
        Self {
            base: base.to_string(),
            prefix: base.path_prefix().to_owned(),
            labels: cache::Cache::default(),
            lots: cache::Cache::default(),
            catalogs: cache::Cache::default(),
            feed_tokens: cache::Cache::default(),
            feeds_seen: Mutex::new(HashMap::new()),
        }
    }

    /// The path prefix the pages are served under.
    pub fn prefix(&self) -> &str {
        &self.prefix
    }
}

/// A resolved label and its lot, with the scans counted since they were read.
#[derive(Debug)]
struct LabelData {
    found: FoundLabel,
    lot: PublicLot,
    scans_since: AtomicU64,
    first_scan_since: OnceLock<DateTime<FixedOffset>>,
    /// Rendered pages by language and check-code state, without their scan line.
    pages: Mutex<HashMap<(PageLang, DigestCheck), Arc<Shell>>>,
    /// The `Link: rel="linkset"` header of its page.
    link_header: Option<HeaderValue>,
    /// The first scan and its day as shown, once there is one (it never changes after).
    first_scan_shown: OnceLock<(DateTime<FixedOffset>, String)>,
}

/// Every public page and the resolver.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
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
}

/// The kinds of answer that are not a page of something.
enum Problem {
    /// 400: the address is not a link we can read; the reason.
    Invalid(String),
    /// 404 for a label serial nobody issued.
    UnknownLabel,
    /// 404 for anything else.
    NotFound,
    /// 500, logged with its cause.
    Failed(StoreError),
}

impl Site {
    fn problem(&self, problem: Problem, ask: &Ask, headers: &HeaderMap) -> Response {
        let m = ask.m();
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
    recalls: Vec<String>,
    badge: Badge,
    warnings: Vec<String>,
    proof: Vec<Fact>,
    product: ProductCard,
    /// The scan line's place: [`SCAN_MARKER`], replaced per request.
    scan_block: &'static str,
    facts: Vec<Fact>,
    certificates: Vec<CertView>,
    history_heading: String,
    entries: Vec<EntryView>,
    parents: Vec<LotSection>,
    lot_href: String,
}

struct Badge {
    class: &'static str,
    title: String,
    summary: String,
    reason: Option<String>,
}

#[derive(Template)]
#[template(path = "lot.html")]
struct LotPage<'a> {
    page: PageMeta,
    m: &'a Messages,
    recalls: Vec<String>,
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
    store::now().date_naive()
}

impl Site {
    pub(crate) fn lot_href(&self, coop_id: i64, code: &str) -> String {
        format!("{}/htx/{coop_id}/lo/{code}", self.prefix)
    }

    fn absolute(&self, path_with_prefix: &str) -> String {
        let origin_len = self.base.len() - self.prefix.len();
        format!("{}{path_with_prefix}", &self.base[..origin_len])
    }

    fn json_ld(&self, lot: &PublicLot, url: &str, serial: Option<&str>) -> String {
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
    async fn public_lot(&self, store: &store::Store, coop_id: i64, code: &str) -> Result<Arc<PublicLot>, StoreError> {
        let generation = store.generation();
        let key = (coop_id, code.to_owned());
        if let Some(lot) = self.lots.get(&key, generation) {
            return Ok(lot);
        }
        let lot = Arc::new(store.public_lot(coop_id, code).await?);
        self.lots.put(key, generation, lot.clone());
        Ok(lot)
    }

    fn render_lot(&self, lot: &PublicLot, ask: &Ask, headers: &HeaderMap) -> Response {
        let m = ask.m();
        let title = fill(&m.lot_title, &[("lot", &lot.lot.code), ("product", &lot.product.name)]);
        let description = format!("{} — {}", lot.product.name, lot.cooperative.name);
        let canonical = self.absolute(&self.lot_href(lot.cooperative.id, &lot.lot.code));
        let mut facts = view::lot_facts(lot, m);
        facts.push(Fact::new(&m.fact_status, m.status(lot.lot.status)));
        let mut page = LotPage {
            page: self.meta(ask, title, description),
            m,
            recalls: view::recall_lines(lot, m),
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
        page.page.json_ld = Some(self.json_ld(lot, &canonical, None));
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
    match site.public_lot(&state.store, coop_id, &code).await {
        // The page's `Link: rel="linkset"` points here with `?linkType=linkset`.
        Ok(lot) => resolver::answer(
            resolver::Ask::new(&headers, query.as_deref(), &site.base),
            || resolver::lot_links(site, &lot),
            &site.lot_href(lot.cooperative.id, &lot.lot.code)[site.prefix.len()..],
            || site.render_lot(&lot, &ask, &headers),
        ),
        Err(StoreError::NotFound { .. }) => site.problem(Problem::NotFound, &ask, &headers),
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
    let mut response = resolve_inner(&state, method, uri.query(), headers, uri.path()).await;
    let headers = response.headers_mut();
    headers.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, HeaderValue::from_static("Link"));
    response
}

async fn resolve_inner(
    state: &AppState,
    method: &Method,
    query: Option<&str>,
    headers: &HeaderMap,
    full_path: &str,
) -> Response {
    let site = &state.site;
    let ask = Ask::new(headers, query);
    let path = full_path.strip_prefix(site.prefix.as_str()).unwrap_or(full_path);
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
            match site.public_lot(&state.store, found.0, &found.1).await {
                Ok(public) => resolver::answer(
                    wants,
                    || resolver::lot_links(site, &public),
                    path,
                    || site.render_lot(&public, &ask, headers),
                ),
                Err(StoreError::NotFound { .. }) => site.problem(Problem::NotFound, &ask, headers),
                Err(error) => site.problem(Problem::Failed(error), &ask, headers),
            }
        }
        label::ResolverPath::Label(scanned) => {
            let data = match site.label_data(&state.store, &scanned.serial).await {
                Ok(Some(data)) => data,
                Ok(None) => return site.problem(Problem::UnknownLabel, &ask, headers),
                Err(error) => return site.problem(Problem::Failed(error), &ask, headers),
            };
            // A Digital Link must name the label's own product and lot.
            let names_other_lot = scanned.lot.as_ref().is_some_and(|l| l.as_ref() != data.lot.lot.code)
                || scanned
                    .gtin
                    .as_ref()
                    .is_some_and(|g| data.lot.product.gtin.as_deref() != Some(g.as_ref()));
            if names_other_lot {
                return site.problem(Problem::UnknownLabel, &ask, headers);
            }
            let links = || resolver::label_links(site, &data.lot, &data.found.url);
            resolver::answer(wants, links, path, || {
                // Only a person opening the page counts as a scan, not HEAD or a linkset fetch.
                let counted = *method == Method::GET;
                site.render_label(state, &data, &scanned.digest, counted, &ask, headers)
            })
        }
    }
}

impl Site {
    async fn label_data(&self, store: &store::Store, serial: &Serial) -> Result<Option<Arc<LabelData>>, StoreError> {
        let key = serial.to_string();
        let generation = store.generation();
        if let Some(data) = self.labels.get(&key, generation) {
            return Ok(Some(data));
        }
        let found = match store.resolve_label(serial, false).await? {
            LabelResolution::Unknown => return Ok(None),
            LabelResolution::Found(found) => *found,
        };
        let lot = store.public_lot(found.lot.cooperative_id, &found.lot.code).await?;
        let path = found.url.strip_prefix(&self.base).unwrap_or(&found.url);
        let link_header = resolver::linkset_header(path.split('?').next().unwrap_or(path));
        let data = Arc::new(LabelData {
            link_header,
            first_scan_shown: OnceLock::new(),
            found,
            lot,
            scans_since: AtomicU64::new(0),
            first_scan_since: OnceLock::new(),
            pages: Mutex::new(HashMap::new()),
        });
        self.labels.put(key, generation, data.clone());
        Ok(Some(data))
    }

    /// The label page. Everything but the scan line is the same for every scan of a label in
    /// one language with the same check code, so that is rendered once and kept with the
    /// label's data; each request splices in its scan line.
    fn render_label(
        &self,
        state: &AppState,
        data: &LabelData,
        digest: &label::ScannedDigest,
        counted: bool,
        ask: &Ask,
        headers: &HeaderMap,
    ) -> Response {
        let found = &data.found;
        if counted {
            data.scans_since.fetch_add(1, Ordering::Relaxed);
            let _ = data.first_scan_since.set(store::now());
            // Counting only touches memory; it is written with the next flush. Only while a
            // flush is moving counts does it wait, on a task of its own.
            if !state.store.try_count_scan(&found.serial)
                && let Ok(serial) = Serial::parse(&found.serial)
            {
                let store = state.store.clone();
                tokio::spawn(async move { store.count_scan(&serial).await });
            }
        }
        let check = match digest {
            label::ScannedDigest::Present(d) if d.to_string() == found.digest => DigestCheck::Matches,
            label::ScannedDigest::Absent => DigestCheck::Absent,
            _ => DigestCheck::Differs,
        };
        let key = (ask.lang, check);
        let cached = data.pages.lock().ok().and_then(|pages| pages.get(&key).cloned());
        let shell = match cached {
            Some(shell) => shell,
            None => match self.label_shell(data, check, ask) {
                Ok(shell) => {
                    let shell = Arc::new(shell);
                    // A differing check code can be anything a visitor typed: not kept.
                    if check != DigestCheck::Differs
                        && let Ok(mut pages) = data.pages.lock()
                    {
                        pages.insert(key, shell.clone());
                    }
                    shell
                }
                Err(error) => return html(StatusCode::OK, Err(error), ask, headers, "private, no-cache"),
            },
        };
        let (scan_block, scan_count) = self.scan_block(data, ask.m());
        // The shell's two halves go out as they are kept (shared, not copied) around the scan line.
        let body = Body::new(spliced::Spliced::new([
            shell.before.clone(),
            axum::body::Bytes::from(scan_block),
            shell.after.clone(),
        ]));
        // The shell's hash and the count name the bytes without hashing them again.
        let etag = format!("W/\"{}-{scan_count}\"", shell.hash);
        let mut response = page_response(StatusCode::OK, body, etag, ask, headers, "private, no-cache");
        if let Some(link) = &data.link_header {
            response.headers_mut().insert(header::LINK, link.clone());
        }
        response
    }

    /// "Tem này đã được quét N lần …" and, when the pattern looks like a copied label, the
    /// warning, as HTML with every value escaped.
    fn scan_block(&self, data: &LabelData, m: &Messages) -> (String, u64) {
        let found = &data.found;
        let scan_count = found.scan_count + data.scans_since.load(Ordering::Relaxed);
        let first_scan = match data.first_scan_shown.get() {
            Some(known) => Some(known),
            None => found
                .first_scanned_at
                .as_deref()
                .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
                .or_else(|| data.first_scan_since.get().copied())
                .map(|first| data.first_scan_shown.get_or_init(|| (first, show_date(&first)))),
        };
        let n = scan_count.to_string();
        let scans = match first_scan {
            Some((_, day)) => fill(&m.scans_first, &[("n", &n), ("date", day)]),
            None => fill(&m.scans, &[("n", &n)]),
        };
        let mut block = format!("<p id=\"scans\">{}</p>", escape_html(&scans));
        let copied = first_scan
            .filter(|(first, _)| scan_count >= COPY_MIN_SCANS && (store::now() - *first).num_days() >= COPY_MIN_DAYS);
        if let Some((_, day)) = copied {
            let warning = fill(&m.copy_warning, &[("n", &n), ("date", day)]);
            block.push_str(&format!(
                "<p id=\"copy-warning\" class=\"warn\">{}</p>",
                escape_html(&warning)
            ));
        }
        (block, scan_count)
    }

    /// The label page rendered around a marker where the scan line goes.
    fn label_shell(&self, data: &LabelData, check: DigestCheck, ask: &Ask) -> Result<Shell, askama::Error> {
        let m = ask.m();
        let found = &data.found;
        let lot = &data.lot;
        let badge = match found.status {
            LabelStatus::Verified => Badge {
                class: "verified",
                title: m.verified_title.clone(),
                summary: fill(&m.verified_summary, &[("coop", &lot.cooperative.name)]),
                reason: None,
            },
            LabelStatus::Altered => Badge {
                class: "altered",
                title: m.altered_title.clone(),
                summary: m.altered_summary.clone(),
                reason: match ask.lang {
                    PageLang::Vi => found.reason_vi.clone(),
                    PageLang::En => found.reason.clone(),
                },
            },
        };
        let warnings = match check {
            DigestCheck::Matches => Vec::new(),
            DigestCheck::Absent => vec![m.digest_missing.clone()],
            DigestCheck::Differs => vec![m.digest_mismatch.clone()],
        };
        let batch = &found.batch;
        let proof = vec![
            Fact::new(&m.proof_digest, found.digest.clone()),
            Fact::new(&m.proof_chain_head, batch.chain_head.to_hex()),
            Fact::new(&m.proof_events, batch.event_count.to_string()),
            Fact::new(&m.proof_batch, batch.batch_id.clone()),
            Fact::new(
                &m.proof_issued,
                DateTime::parse_from_rfc3339(&batch.issued_at)
                    .map(|t| show_date(&t))
                    .unwrap_or_else(|_| batch.issued_at.clone()),
            ),
            Fact::new(&m.proof_key, batch.key_id.clone()),
            Fact::new(&m.proof_public_key, found.public_key.clone()),
            Fact::new(&m.proof_signature, found.signature.clone()),
        ];
        let mut facts = view::lot_facts(lot, m);
        facts.push(Fact::new(&m.fact_serial, found.serial.clone()));
        let lot_href = self.lot_href(lot.cooperative.id, &lot.lot.code);
        let canonical = found.url.split('?').next().unwrap_or(&found.url).to_owned();
        let mut page = LabelPage {
            page: self.meta(
                ask,
                format!("{} — {}", lot.product.name, badge.title),
                format!("{} — {}. {}", lot.product.name, lot.cooperative.name, badge.summary),
            ),
            m,
            recalls: view::recall_lines(lot, m),
            badge,
            warnings,
            proof,
            product: view::product_card(lot, &self.prefix, m),
            scan_block: SCAN_MARKER,
            facts,
            certificates: view::certificates(
                &lot.certificates,
                std::slice::from_ref(&lot.product),
                m,
                today(),
                &self.prefix,
            ),
            history_heading: fill(&m.history_of_lot, &[("lot", &lot.lot.code)]),
            entries: view::entries(&lot.events, m, Some(batch.event_count), &self.prefix),
            parents: view::parent_sections(lot, m, &self.prefix),
            lot_href,
        };
        // The switch keeps only the check code, so the shell is the same for every visitor.
        let d = match check {
            DigestCheck::Matches => format!("d={}&", found.digest),
            _ => String::new(),
        };
        page.page.switch_href = format!("?{d}lang={}", ask.lang.other().code());
        page.page.json_ld = Some(self.json_ld(lot, &canonical, Some(&found.serial)));
        page.page.og_type = "product";
        page.page.og_image = self.og_image(lot);
        page.page.canonical = Some(canonical);
        let rendered = page.render()?;
        let (before, after) = rendered.split_once(SCAN_MARKER).unwrap_or((&rendered, ""));
        Ok(Shell {
            hash: blake3::hash(rendered.as_bytes()).to_hex()[..20].to_owned(),
            before: axum::body::Bytes::copy_from_slice(before.as_bytes()),
            after: axum::body::Bytes::copy_from_slice(after.as_bytes()),
        })
    }
}

/// Where the scan line goes in a rendered label page; nothing a user types can contain it in
/// the rendered output, since askama escapes `<`.
const SCAN_MARKER: &str = "<nguon-scans/>";

/// A rendered label page without its scan line.
#[derive(Debug)]
struct Shell {
    hash: String,
    before: axum::body::Bytes,
    after: axum::body::Bytes,
}

/// How the scanned `d=` compares with the label's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum DigestCheck {
    Matches,
    Absent,
    Differs,
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
