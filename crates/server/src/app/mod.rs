//! The cooperative's app under `/app`: members sign in with their phone number and a password,
//! farmers log care steps from a phone, leaders manage members. Server-rendered HTML forms that
//! work without JavaScript; the same authorization rules as the JSON API (`access.rs`).
//!
//! Sessions live in the database (tower-sessions over the store), in an HttpOnly, SameSite=Lax
//! cookie scoped to `/app`, Secure when the site is served over https. Every form carries a
//! per-session CSRF token; sign-in attempts are rate-limited per address and accounts lock
//! after repeated wrong passwords.

mod amounts;
mod auth;
mod correct;
mod dashboard;
mod diary;
mod farmer;
pub mod i18n;
mod import;
mod labels;
mod leader;
mod listings;
mod members;
mod offline;
mod registry;
mod season;
mod sessions;

use std::sync::Arc;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequestParts, OptionalFromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use store::{Principal, StoreError};
use tower_governor::GovernorLayer;
use tower_governor::governor::GovernorConfigBuilder;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::cookie::time::Duration as CookieDuration;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

use crate::AppState;
use crate::web::i18n::{Messages, PageLang, choose};
pub use i18n::AppMessages;

/// The app's Content-Security-Policy: its own script and service worker, nothing inline.
const APP_CSP: &str = "default-src 'none'; script-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A session ends after this long without a visit (a farmer who logs weekly stays signed in).
pub const SESSION_IDLE: CookieDuration = CookieDuration::days(30);

const MEMBER_KEY: &str = "member_id";
const CSRF_KEY: &str = "csrf";
const FLASH_KEY: &str = "flash";

/// The app's routes, with their session layer and security headers.
pub fn routes(state: &AppState) -> Router<AppState> {
    let prefix = state.site.prefix().to_owned();
    let sessions = SessionManagerLayer::new(sessions::DbSessions::new(state.store.clone()))
        .with_name("nguon_session")
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_secure(state.site.is_https())
        .with_path(format!("{prefix}/app"))
        .with_expiry(Expiry::OnInactivity(SESSION_IDLE));
    // Ten tries in a burst per address, then one every six seconds: plenty for a person
    // mistyping, far too slow for guessing.
    let limit = Arc::new(
        GovernorConfigBuilder::default()
            .per_second(6)
            .burst_size(10)
            .methods(vec![Method::POST])
            .finish()
            .unwrap_or_default(),
    );
    let sign_in = get(auth::form)
        .post(auth::submit)
        .layer(GovernorLayer::new(limit).error_handler(auth::too_many));
    Router::new()
        .route("/app", get(farmer::home))
        .route("/app/dang-nhap", sign_in)
        .route("/app/dang-xuat", post(auth::sign_out))
        .route("/app/lo/{code}", get(farmer::lot))
        .route("/app/lo-moi", get(leader::new_lot).post(leader::create_lot))
        .route(
            "/app/lo/{code}/thu-hoi",
            get(season::recall_confirm).post(leader::recall),
        )
        .route("/app/lo/{code}/dong-goi", get(season::pack_form).post(season::pack))
        .route("/app/gop-lo", get(season::merge_form).post(season::merge))
        .route(
            "/app/lo/{code}/sua/{event_id}",
            get(correct::form).post(correct::submit),
        )
        .route("/app/ngoai-tuyen.json", get(offline::precache_list))
        .route("/app/tem/can-chinh.pdf", get(labels::calibration))
        .route("/app/lo/{code}/tem", get(labels::form).post(labels::issue))
        .route("/app/lo/{code}/tem/{batch_id}", get(labels::batch))
        .route("/app/tem/{batch_id}/tem.pdf", get(labels::sheet))
        .route("/app/tem/{batch_id}/tem.zip", get(labels::zip))
        .route(
            "/app/lo/{code}/ghi/{kind}",
            get(farmer::form)
                .post(farmer::submit)
                .layer(axum::extract::DefaultBodyLimit::max(
                    media::MAX_UPLOAD_BYTES + 256 * 1024,
                )),
        )
        .route("/app/lo/{code}/nhat-ky.csv", get(diary::csv))
        .route("/app/lo/{code}/nhat-ky.pdf", get(diary::pdf))
        .route(
            "/app/lo/{code}/nhap-nhat-ky",
            get(import::form)
                .post(import::submit)
                .layer(axum::extract::DefaultBodyLimit::max(import::UPLOAD_LIMIT)),
        )
        .route("/app/thanh-vien", get(members::list).post(members::add))
        .route(
            "/app/danh-muc/{kind}",
            get(registry::list)
                .post(registry::add)
                .layer(axum::extract::DefaultBodyLimit::max(
                    media::MAX_UPLOAD_BYTES + 256 * 1024,
                )),
        )
        .route("/app/ban-hang", get(listings::list))
        .route(
            "/app/ban-hang/moi",
            get(listings::new_form)
                .post(listings::create)
                .layer(axum::extract::DefaultBodyLimit::max(listings::FORM_BODY_LIMIT)),
        )
        .route(
            "/app/ban-hang/kenh/doi-duong-dan",
            get(listings::rotate_confirm).post(listings::rotate),
        )
        .route("/app/ban-hang/{listing_id}", get(listings::show))
        .route(
            "/app/ban-hang/{listing_id}/sua",
            get(listings::edit_form)
                .post(listings::update)
                .layer(axum::extract::DefaultBodyLimit::max(listings::FORM_BODY_LIMIT)),
        )
        .route("/app/ban-hang/{listing_id}/ghi-ban", post(listings::record))
        .route("/app/ban-hang/{listing_id}/trang-thai", post(listings::set_status))
        .route("/app/thanh-vien/{member_id}/mat-khau", post(members::reset_password))
        .route("/app/thanh-vien/{member_id}/mo-khoa", post(members::unlock))
        .route("/app/thanh-vien/{member_id}/trang-thai", post(members::set_active))
        .route("/app/thanh-vien/{member_id}/thua", post(members::assign_plot))
        .route("/app/thanh-vien/{member_id}/bo-thua", post(members::unassign_plot))
        .route("/app/thanh-vien/{member_id}", get(members::edit))
        .route("/app/thanh-vien/{member_id}/sua", post(members::update))
        .route(
            "/app/danh-muc/vat-tu/{input_id}",
            get(registry::usage_form).post(registry::set_usage),
        )
        .layer(sessions)
        .layer(axum::middleware::from_fn_with_state(
            (state.site.is_https(), format!("{prefix}/app")),
            visitor_token,
        ))
        .route("/app/sw.js", get(offline::service_worker))
        .route("/app/manifest.webmanifest", get(offline::manifest))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(APP_CSP),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        // Pages about one person's work: never kept by a shared cache.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// What every app request knows: its language, the session, who is signed in, the CSRF token
/// and the site's path prefix.
pub struct Ctx {
    lang: PageLang,
    remember_lang: bool,
    session: Session,
    principal: Option<Principal>,
    csrf: String,
    prefix: String,
    path: String,
    state: AppState,
    /// Set when app.js posts a form itself (`X-Nguon-Sync`): it wants JSON, not a page.
    sync: Option<SyncMode>,
    /// The service worker fetching pages to keep for use without signal: a message meant for
    /// the next page the member sees is left for it.
    precache: bool,
    /// Whether this page showed a one-time message (the service worker does not keep it).
    flashed: std::sync::atomic::AtomicBool,
}

/// Who is posting a form through app.js.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyncMode {
    /// The farmer tapped "Lưu" with signal: show the saved message on the next page.
    Page,
    /// The queue of steps logged offline is being sent in the background.
    Background,
}

fn sync_mode(parts: &Parts) -> Option<SyncMode> {
    match parts.headers.get("x-nguon-sync").map(|v| v.as_bytes()) {
        Some(b"page") => Some(SyncMode::Page),
        Some(_) => Some(SyncMode::Background),
        None => None,
    }
}

/// A [`Ctx`] with someone signed in; anyone else is sent to the sign-in page.
pub struct Signed(pub Ctx);

impl Ctx {
    /// The message in the page's language, from a pair the store gave.
    pub(crate) fn pick(&self, message_en: String, message_vi: String) -> String {
        match self.lang {
            PageLang::Vi => message_vi,
            PageLang::En => message_en,
        }
    }

    fn m(&self) -> &'static AppMessages {
        i18n::messages(self.lang)
    }

    fn words(&self) -> &'static Messages {
        self.lang.messages()
    }

    /// A link inside the app.
    fn href(&self, path: &str) -> String {
        format!("{}/app{path}", self.prefix)
    }

    fn principal(&self) -> Result<&Principal, PageError> {
        self.principal.as_ref().ok_or_else(|| self.error(Failure::SignIn))
    }

    fn error(&self, failure: Failure) -> PageError {
        PageError {
            failure: Box::new(failure),
            lang: self.lang,
            prefix: self.prefix.clone(),
            path: self.path.clone(),
            csrf: self.csrf.clone(),
        }
    }

    /// Refuses a form whose token is not this session's (a forged cross-site post, or a page
    /// left open across a sign-out).
    fn check_csrf(&self, sent: &str) -> Result<(), PageError> {
        let expected = self.csrf.as_bytes();
        let sent = sent.as_bytes();
        let same =
            expected.len() == sent.len() && expected.iter().zip(sent).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        if same && !expected.is_empty() {
            Ok(())
        } else {
            Err(self.error(Failure::Csrf))
        }
    }

    /// Shows `text` once, on the next page.
    async fn flash(&self, text: String) {
        if let Err(error) = self.session.insert(FLASH_KEY, text).await {
            tracing::warn!(%error, "could not keep a message for the next page");
        }
    }

    async fn take_flash(&self) -> Option<String> {
        self.session.remove::<String>(FLASH_KEY).await.ok().flatten()
    }

    /// The parts of the page frame.
    async fn chrome(&self, title: String) -> Chrome {
        let m = self.m();
        let flash = if self.precache { None } else { self.take_flash().await };
        self.flashed
            .store(flash.is_some(), std::sync::atomic::Ordering::Relaxed);
        Chrome {
            lang: self.lang.code(),
            title,
            css: crate::web::assets::css_path(&self.prefix),
            app_css: crate::web::assets::app_css_path(&self.prefix),
            app_js: crate::web::assets::app_js_path(&self.prefix),
            icon: crate::web::assets::icon_path(&self.prefix),
            home: self.href(""),
            switch_href: format!("{}?lang={}", self.path, self.lang.other().code()),
            switch_label: m.switch_label.clone(),
            switch_lang: self.lang.other().code(),
            user: self.principal.as_ref().map(|p| p.name.clone()),
            leader: self
                .principal
                .as_ref()
                .is_some_and(|p| matches!(p.role, farm_log::Role::Leader | farm_log::Role::Inspector)),
            members_href: self.href("/thanh-vien"),
            sign_out: self.href("/dang-xuat"),
            csrf: self.csrf.clone(),
            flash,
        }
    }

    /// An HTML page, with the language cookie when the visitor just chose one.
    fn page(&self, status: StatusCode, rendered: Result<String, askama::Error>) -> Response {
        let mut response = match rendered {
            Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
            Err(error) => {
                tracing::error!(%error, "an app template failed to render");
                return StatusCode::INTERNAL_SERVER_ERROR.into_response();
            }
        };
        if self.remember_lang {
            crate::web::remember_lang(response.headers_mut(), self.lang);
        }
        if self.flashed.load(std::sync::atomic::Ordering::Relaxed) {
            // A page with a one-time message is not one to open again without signal.
            response
                .headers_mut()
                .insert("x-nguon-flash", HeaderValue::from_static("1"));
        }
        response
    }

    /// After a form: back to a page with `303 See Other`.
    fn see_other(&self, path: &str) -> Response {
        Redirect::to(&self.href(path)).into_response()
    }
}

async fn build_ctx(parts: &mut Parts, state: &AppState) -> Result<Ctx, Response> {
    let session = Session::from_request_parts(parts, state)
        .await
        .map_err(|(status, why)| (status, why).into_response())?;
    let query = parts.uri.query().unwrap_or("");
    let lang_param = query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == "lang")
        .map(|(_, v)| v);
    let (lang, remember_lang) = choose(&parts.headers, lang_param);
    let member_id: Option<i64> = session.get(MEMBER_KEY).await.ok().flatten();
    let principal = match member_id {
        Some(id) => match state.store.session_principal(id).await {
            Ok(found) => found,
            Err(error) => {
                tracing::error!(%error, "could not read the signed-in member");
                return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
            }
        },
        None => None,
    };
    // A signed-in session keeps its own token (set at sign-in); a visitor's is in a cookie, so
    // that a page seen signed out stores nothing.
    let csrf = match session.get::<String>(CSRF_KEY).await.ok().flatten() {
        Some(token) => token,
        None => match parts.extensions.get::<VisitorToken>() {
            Some(VisitorToken(token)) => token.clone(),
            None => {
                tracing::error!("no visitor token: the app's routes lost their layer");
                return Err(StatusCode::SERVICE_UNAVAILABLE.into_response());
            }
        },
    };
    Ok(Ctx {
        lang,
        remember_lang,
        session,
        principal,
        csrf,
        prefix: state.site.prefix().to_owned(),
        path: parts.uri.path().to_owned(),
        state: state.clone(),
        sync: sync_mode(parts),
        precache: parts.headers.contains_key("x-nguon-precache"),
        flashed: std::sync::atomic::AtomicBool::new(false),
    })
}

/// The cookie that carries a signed-out visitor's form token (the sign-in form's): kept in the
/// browser, not in a stored session, so looking at the sign-in page writes nothing.
const VISITOR_COOKIE: &str = "nguon_form";

/// A signed-out visitor's form token, from their cookie or made now.
#[derive(Debug, Clone)]
struct VisitorToken(String);

/// Gives every app request a [`VisitorToken`], and sets its cookie when it was made now.
async fn visitor_token(
    axum::extract::State((https, path)): axum::extract::State<(bool, String)>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let sent = request
        .headers()
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == VISITOR_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|value| value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()));
    let made = sent.is_none();
    let token = sent.unwrap_or_else(new_csrf_token);
    request.extensions_mut().insert(VisitorToken(token.clone()));
    let mut response = next.run(request).await;
    if made {
        let secure = if https { "; Secure" } else { "" };
        let cookie = format!("{VISITOR_COOKIE}={token}; Path={path}; HttpOnly; SameSite=Lax; Max-Age=86400{secure}");
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn new_csrf_token() -> String {
    uuid::Uuid::new_v4().simple().to_string() + &uuid::Uuid::new_v4().simple().to_string()
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        build_ctx(parts, state).await
    }
}

impl FromRequestParts<AppState> for Signed {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let ctx = build_ctx(parts, state).await?;
        if ctx.principal.is_none() && ctx.sync.is_some() {
            // The offline queue keeps its entries and asks the farmer to sign in again.
            let body = serde_json::json!({ "errors": [ctx.m().sync_sign_in.clone()] });
            return Err((StatusCode::UNAUTHORIZED, axum::Json(body)).into_response());
        }
        if ctx.principal.is_none() {
            let next = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("");
            let target = format!("{}/app/dang-nhap?next={}", ctx.prefix, encode_component(next));
            return Err(Redirect::to(&target).into_response());
        }
        Ok(Signed(ctx))
    }
}

impl OptionalFromRequestParts<AppState> for Ctx {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Option<Self>, Self::Rejection> {
        build_ctx(parts, state).await.map(Some)
    }
}

/// Percent-encodes a query parameter value.
fn encode_component(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// The frame every app page shares (app/base.html).
pub struct Chrome {
    lang: &'static str,
    title: String,
    css: String,
    app_css: String,
    app_js: String,
    icon: String,
    home: String,
    switch_href: String,
    switch_label: String,
    switch_lang: &'static str,
    user: Option<String>,
    leader: bool,
    members_href: String,
    sign_out: String,
    csrf: String,
    flash: Option<String>,
}

/// Why an app page could not be shown.
#[derive(Debug)]
pub enum Failure {
    /// Nobody is signed in.
    SignIn,
    /// Signed in, but this is not theirs to see or do.
    Forbidden(String),
    /// No such thing in their cooperative.
    NotFound,
    /// The form's CSRF token is wrong or missing.
    Csrf,
    /// What was asked for cannot be done as asked; why.
    Invalid(String),
    /// Something the server needs is missing (e.g. the font for PDFs); why.
    Unavailable(String),
    /// The store failed.
    Store(StoreError),
}

/// An app error page in the visitor's language.
#[derive(Debug)]
pub struct PageError {
    failure: Box<Failure>,
    lang: PageLang,
    prefix: String,
    path: String,
    csrf: String,
}

#[derive(Template)]
#[template(path = "app/problem.html")]
struct ProblemPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    text: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let m = i18n::messages(self.lang);
        let (status, heading, text) = match *self.failure {
            Failure::SignIn => {
                let target = format!("{}/app/dang-nhap?next={}", self.prefix, encode_component(&self.path));
                return Redirect::to(&target).into_response();
            }
            Failure::Forbidden(why) => (StatusCode::FORBIDDEN, m.forbidden_title.clone(), why),
            Failure::NotFound => (
                StatusCode::NOT_FOUND,
                m.not_found_title.clone(),
                m.not_found_text.clone(),
            ),
            Failure::Csrf => (StatusCode::FORBIDDEN, m.csrf_title.clone(), m.csrf_text.clone()),
            Failure::Invalid(why) => (StatusCode::UNPROCESSABLE_ENTITY, m.cannot_title.clone(), why),
            Failure::Unavailable(why) => {
                tracing::error!(%why, "an app page cannot be served");
                (StatusCode::SERVICE_UNAVAILABLE, m.error_title.clone(), why)
            }
            Failure::Store(StoreError::NotFound { .. }) => (
                StatusCode::NOT_FOUND,
                m.not_found_title.clone(),
                m.not_found_text.clone(),
            ),
            Failure::Store(error) => {
                tracing::error!(%error, "an app page failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    m.error_title.clone(),
                    m.error_text.clone(),
                )
            }
        };
        let href = |path: &str| format!("{}/app{path}", self.prefix);
        let c = Chrome {
            lang: self.lang.code(),
            title: heading.clone(),
            css: crate::web::assets::css_path(&self.prefix),
            app_css: crate::web::assets::app_css_path(&self.prefix),
            app_js: crate::web::assets::app_js_path(&self.prefix),
            icon: crate::web::assets::icon_path(&self.prefix),
            home: href(""),
            switch_href: format!("{}?lang={}", self.path, self.lang.other().code()),
            switch_label: m.switch_label.clone(),
            switch_lang: self.lang.other().code(),
            user: None,
            leader: false,
            members_href: href("/thanh-vien"),
            sign_out: href("/dang-xuat"),
            csrf: self.csrf.clone(),
            flash: None,
        };
        let page = ProblemPage { c, m, heading, text };
        match page.render() {
            Ok(body) => (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response(),
            Err(_) => status.into_response(),
        }
    }
}

/// Maps an access rule's refusal (an API error) to a page.
fn refused(ctx: &Ctx, error: crate::error::AppError) -> PageError {
    use crate::error::AppError;
    match error {
        AppError::Forbidden(en, vi) => ctx.error(Failure::Forbidden(match ctx.lang {
            PageLang::Vi => vi,
            PageLang::En => en,
        })),
        AppError::NotFound(_) => ctx.error(Failure::NotFound),
        AppError::Invalid(errors) => ctx.error(Failure::Invalid(
            errors
                .0
                .iter()
                .map(|e| match ctx.lang {
                    PageLang::Vi => e.message_vi.clone(),
                    PageLang::En => e.message_en.clone(),
                })
                .collect::<Vec<_>>()
                .join(" "),
        )),
        AppError::Unavailable(en, vi) => ctx.error(Failure::Unavailable(match ctx.lang {
            PageLang::Vi => vi,
            PageLang::En => en,
        })),
        other => ctx.error(Failure::Store(StoreError::Corrupt(format!("{other:?}")))),
    }
}

/// What a lookup inside the member's cooperative that failed means: another cooperative's
/// thing is forbidden (403, as in the API), a thing nobody has is not found (404).
async fn not_here(
    ctx: &Ctx,
    error: StoreError,
    elsewhere: impl std::future::Future<Output = Result<bool, StoreError>>,
) -> PageError {
    match error {
        StoreError::NotFound { .. } => match elsewhere.await {
            Ok(true) => refused(ctx, crate::access::foreign()),
            Ok(false) => ctx.error(Failure::NotFound),
            Err(error) => ctx.error(Failure::Store(error)),
        },
        other => ctx.error(Failure::Store(other)),
    }
}

/// The names of the plots with these ids, comma-separated, in the ids' order.
fn plot_names(plots: &[store::Plot], ids: &[i64]) -> String {
    ids.iter()
        .filter_map(|id| plots.iter().find(|p| p.id == *id))
        .map(|p| p.name.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A posted form, urlencoded or multipart: its text fields, and its non-empty files by field
/// name (a file input left empty sends an empty part, which is dropped).
pub struct Posted {
    fields: std::collections::HashMap<String, String>,
    files: std::collections::HashMap<String, axum::body::Bytes>,
}

impl axum::extract::FromRequest<AppState> for Posted {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &AppState) -> Result<Self, Response> {
        use std::collections::HashMap;
        let multipart = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if !multipart {
            let axum::Form(fields) = axum::Form::<HashMap<String, String>>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?;
            return Ok(Self {
                fields,
                files: HashMap::new(),
            });
        }
        let mut parts = axum::extract::Multipart::from_request(request, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let (mut fields, mut files) = (HashMap::new(), HashMap::new());
        while let Some(field) = parts.next_field().await.map_err(IntoResponse::into_response)? {
            let name = field.name().unwrap_or_default().to_owned();
            if field.file_name().is_some() {
                let bytes = field.bytes().await.map_err(IntoResponse::into_response)?;
                if !bytes.is_empty() {
                    files.insert(name, bytes);
                }
            } else {
                let text = field.text().await.map_err(IntoResponse::into_response)?;
                fields.insert(name, text);
            }
        }
        Ok(Self { fields, files })
    }
}
