//! Signing in and out.

use askama::Template;
use axum::Form;
use axum::extract::Query;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use farm_log::{Password, PhoneNumber};
use serde::Deserialize;
use store::SignIn;
use tower_governor::GovernorError;

use super::{AppMessages, CSRF_KEY, Chrome, Ctx, MEMBER_KEY, PageError, new_csrf_token};
use crate::web::i18n::{PageLang, fill};
use farm_log::validate::show_datetime;

#[derive(Template)]
#[template(path = "app/sign_in.html")]
struct SignInPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    action: String,
    phone: String,
    next: String,
    errors: Vec<String>,
    cooperatives: Vec<(i64, String)>,
}

#[derive(Debug, Deserialize)]
pub struct Next {
    #[serde(default)]
    next: Option<String>,
}

/// Only a path inside the app may be returned to (never another site), and only one that can
/// stand in a `Location` header as it is: anything else (a line break, a control character,
/// a backslash) is ignored and the app's home is used.
fn safe_next(ctx: &Ctx, next: Option<&str>) -> String {
    let home = ctx.href("");
    match next {
        Some(next)
            if next.starts_with(&home)
                && !next.starts_with("//")
                && !next.contains("://")
                && next.len() <= 500
                && next.bytes().all(|b| b.is_ascii_graphic() && b != b'\\') =>
        {
            next.to_owned()
        }
        _ => home,
    }
}

async fn render(
    ctx: &Ctx,
    status: StatusCode,
    phone: String,
    next: String,
    errors: Vec<String>,
    cooperatives: Vec<(i64, String)>,
) -> Response {
    let m = ctx.m();
    let page = SignInPage {
        c: ctx.chrome(m.sign_in_title.clone()).await,
        m,
        action: ctx.href("/dang-nhap"),
        phone,
        next,
        errors,
        cooperatives,
    };
    ctx.page(status, page.render())
}

/// `GET /app/dang-nhap`.
pub async fn form(ctx: Ctx, Query(query): Query<Next>) -> Response {
    let next = safe_next(&ctx, query.next.as_deref());
    if ctx.principal.is_some() {
        return axum::response::Redirect::to(&next).into_response();
    }
    render(&ctx, StatusCode::OK, String::new(), next, vec![], vec![]).await
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    cooperative_id: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /app/dang-nhap`.
pub async fn submit(ctx: Ctx, Form(form): Form<SignInForm>) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let m = ctx.m();
    let next = safe_next(&ctx, form.next.as_deref());
    let phone_text = form.phone.chars().take(40).collect::<String>();
    let wrong = |extra: Option<String>| {
        let mut errors = vec![m.wrong_password.clone()];
        errors.extend(extra);
        errors
    };
    let phone = match PhoneNumber::parse(&form.phone, "phone") {
        Ok(phone) => phone,
        Err(error) => {
            let message = match ctx.lang {
                PageLang::Vi => error.message_vi,
                PageLang::En => error.message_en,
            };
            return Ok(render(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                phone_text,
                next,
                vec![message],
                vec![],
            )
            .await);
        }
    };
    // A password too short or too long to be anyone's is simply wrong.
    let Ok(password) = Password::parse(&form.password, "password") else {
        return Ok(render(&ctx, StatusCode::UNAUTHORIZED, phone_text, next, wrong(None), vec![]).await);
    };
    let cooperative_id = form.cooperative_id.as_deref().and_then(|id| id.parse::<i64>().ok());
    let outcome = ctx
        .state
        .store
        .sign_in(&phone, &password, cooperative_id)
        .await
        .map_err(|e| ctx.error(super::Failure::Store(e)))?;
    match outcome {
        SignIn::Signed(principal) => {
            // A new session id at sign-in, so an id planted before cannot ride along.
            let session = &ctx.session;
            let stored = async {
                session.cycle_id().await?;
                session.insert(MEMBER_KEY, principal.member_id).await?;
                session.insert(CSRF_KEY, new_csrf_token()).await
            };
            if let Err(error) = stored.await {
                return Err(ctx.error(super::Failure::Store(store::StoreError::Corrupt(error.to_string()))));
            }
            tracing::info!(member_id = principal.member_id, "signed in");
            Ok(axum::response::Redirect::to(&next).into_response())
        }
        SignIn::Wrong { attempts_left } => {
            let extra = attempts_left
                .filter(|n| *n <= 3)
                .map(|n| fill(&m.attempts_left, &[("n", &n.to_string())]));
            Ok(render(&ctx, StatusCode::UNAUTHORIZED, phone_text, next, wrong(extra), vec![]).await)
        }
        SignIn::Locked { until } => {
            let message = fill(&m.locked, &[("time", &show_datetime(&until))]);
            Ok(render(&ctx, StatusCode::LOCKED, phone_text, next, vec![message], vec![]).await)
        }
        SignIn::Choose(cooperatives) => Ok(render(
            &ctx,
            StatusCode::OK,
            phone_text,
            next,
            vec![m.choose_coop_text.clone()],
            cooperatives,
        )
        .await),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// `POST /app/dang-xuat`: forgets the session.
pub async fn sign_out(ctx: Ctx, Form(form): Form<CsrfOnly>) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    if let Err(error) = ctx.session.flush().await {
        tracing::warn!(%error, "could not delete a session");
    }
    Ok(ctx.see_other("/dang-nhap"))
}

/// The answer when one address tries to sign in too often: a short page in Vietnamese and
/// English (the language cookie is not read here), with `Retry-After`.
pub fn too_many(error: GovernorError) -> Response {
    let (status, wait) = match error {
        GovernorError::TooManyRequests { wait_time, .. } => (StatusCode::TOO_MANY_REQUESTS, wait_time.max(1)),
        GovernorError::UnableToExtractKey => (StatusCode::INTERNAL_SERVER_ERROR, 60),
        GovernorError::Other { code, .. } => (code, 60),
    };
    let vi = &super::i18n::messages(PageLang::Vi).too_many;
    let en = &super::i18n::messages(PageLang::En).too_many;
    let body = format!(
        "<!doctype html><html lang=\"vi\"><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>429</title><h1>{vi}</h1><p lang=\"en\">{en}</p></html>"
    );
    let mut response = (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], body).into_response();
    if let Ok(value) = HeaderValue::from_str(&wait.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}
