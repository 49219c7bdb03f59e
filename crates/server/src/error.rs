//! One error type for every handler, turned into one JSON shape:
//! `{ "error": code, "message": …, "field": …, "errors": [...], "request_id": … }`.
//! Messages are Vietnamese unless the request asked for English; a 500 never leaks detail, it
//! logs the cause with the request id and tells the client that id.

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use farm_log::{FieldError, ValidationErrors};
use serde::Serialize;
use store::StoreError;

/// The language of messages for the current request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// Tiếng Việt (default).
    Vi,
    /// English.
    En,
}

impl Lang {
    /// Picks English only when the client prefers it (`Accept-Language: en…` or `?lang=en`).
    pub fn from_headers(accept_language: Option<&str>, query: Option<&str>) -> Lang {
        if let Some(query) = query {
            for pair in query.split('&') {
                match pair {
                    "lang=en" => return Lang::En,
                    "lang=vi" => return Lang::Vi,
                    _ => {}
                }
            }
        }
        let first = accept_language
            .unwrap_or("")
            .split(',')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if first.starts_with("en") { Lang::En } else { Lang::Vi }
    }
}

/// Facts about the request being served, visible to error rendering.
#[derive(Debug, Clone)]
pub struct RequestContext {
    /// Message language.
    pub lang: Lang,
    /// The request id (also in the `x-request-id` header).
    pub request_id: String,
}

tokio::task_local! {
    /// Set by the request-context middleware for the duration of each request.
    pub static REQUEST: RequestContext;
}

/// The id of the request being served; outside the request-id layers (the public pages) a
/// fresh random one, which the caller logs with the error it shows it for.
pub fn request_id() -> String {
    let id = current().request_id;
    if id.is_empty() {
        uuid::Uuid::new_v4().simple().to_string()[..12].to_owned()
    } else {
        id
    }
}

/// The language of messages for the request being served.
pub fn lang() -> Lang {
    current().lang
}

fn current() -> RequestContext {
    REQUEST.try_with(Clone::clone).unwrap_or(RequestContext {
        lang: Lang::Vi,
        request_id: String::new(),
    })
}

/// Everything a handler can fail with.
#[derive(Debug)]
pub enum AppError {
    /// 400: the request could not be read at all (malformed JSON, bad path).
    BadRequest(String, String),
    /// 401: no valid token.
    Unauthenticated,
    /// 403: authenticated but not allowed.
    Forbidden(String, String),
    /// 404.
    NotFound(&'static str),
    /// 409.
    Conflict {
        /// The field concerned.
        field: String,
        /// English explanation.
        message_en: String,
        /// Vietnamese explanation.
        message_vi: String,
    },
    /// 413.
    PayloadTooLarge,
    /// 415.
    UnsupportedMediaType,
    /// 422: readable but invalid, with every problem listed.
    Invalid(ValidationErrors),
    /// 503: something the server needs is missing (e.g. the label font); says what to install.
    Unavailable(String, String),
    /// 500: logged, never shown.
    Internal(String),
}

impl AppError {
    /// A 403 with both languages.
    pub fn forbidden(message_en: &str, message_vi: &str) -> Self {
        AppError::Forbidden(message_en.to_owned(), message_vi.to_owned())
    }

    /// A 422 for one field.
    pub fn invalid(error: FieldError) -> Self {
        AppError::Invalid(error.into())
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Invalid(errors) => AppError::Invalid(errors),
            StoreError::NotFound { what } => AppError::NotFound(what),
            StoreError::Conflict {
                field,
                message,
                message_vi,
            } => AppError::Conflict {
                field,
                message_en: message,
                message_vi,
            },
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::invalid(error)
    }
}

#[derive(Serialize)]
struct FieldErrorBody {
    field: String,
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct ErrorBody {
    error: &'static str,
    message: String,
    field: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    errors: Vec<FieldErrorBody>,
    #[serde(skip_serializing_if = "String::is_empty")]
    request_id: String,
}

fn pick(lang: Lang, en: String, vi: String) -> String {
    if lang == Lang::En { en } else { vi }
}

fn not_found_vi(what: &str) -> &'static str {
    match what {
        "listing" => "Không tìm thấy sản phẩm đăng bán này.",
        "lot" => "Không tìm thấy lô này.",
        "cooperative" => "Không tìm thấy HTX này.",
        "member" => "Không tìm thấy thành viên này.",
        "plot" => "Không tìm thấy thửa ruộng này.",
        "product" => "Không tìm thấy sản phẩm này.",
        "token" => "Không tìm thấy mã truy cập này.",
        "label batch" => "Không tìm thấy đợt in tem này.",
        _ => "Không tìm thấy.",
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let context = current();
        let lang = context.lang;
        let (status, code, message, field, errors) = match self {
            AppError::BadRequest(en, vi) => (StatusCode::BAD_REQUEST, "bad_request", pick(lang, en, vi), None, vec![]),
            AppError::Unauthenticated => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                pick(
                    lang,
                    "A valid API token is required: send it as `Authorization: Bearer …`.".into(),
                    "Cần mã truy cập hợp lệ (gửi trong tiêu đề Authorization: Bearer …).".into(),
                ),
                None,
                vec![],
            ),
            AppError::Forbidden(en, vi) => (StatusCode::FORBIDDEN, "forbidden", pick(lang, en, vi), None, vec![]),
            AppError::Unavailable(en, vi) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                pick(lang, en, vi),
                None,
                vec![],
            ),
            AppError::NotFound(what) => (
                StatusCode::NOT_FOUND,
                "not_found",
                pick(lang, format!("No such {what}."), not_found_vi(what).into()),
                None,
                vec![],
            ),
            AppError::Conflict {
                field,
                message_en,
                message_vi,
            } => (
                StatusCode::CONFLICT,
                "conflict",
                pick(lang, message_en, message_vi),
                Some(field),
                vec![],
            ),
            AppError::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                pick(
                    lang,
                    "The request body is too large.".into(),
                    "Dữ liệu gửi lên quá lớn.".into(),
                ),
                None,
                vec![],
            ),
            AppError::UnsupportedMediaType => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                pick(
                    lang,
                    "Send JSON with `Content-Type: application/json`.".into(),
                    "Hãy gửi dữ liệu JSON (Content-Type: application/json).".into(),
                ),
                None,
                vec![],
            ),
            AppError::Invalid(errors) => {
                let first = errors.first().cloned();
                let list: Vec<FieldErrorBody> = errors
                    .0
                    .into_iter()
                    .map(|e| FieldErrorBody {
                        field: e.field,
                        code: e.code,
                        message: pick(lang, e.message_en, e.message_vi),
                    })
                    .collect();
                let (message, field) = match first {
                    Some(e) => (pick(lang, e.message_en, e.message_vi), Some(e.field)),
                    None => (
                        pick(lang, "The input is invalid.".into(), "Dữ liệu không hợp lệ.".into()),
                        None,
                    ),
                };
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid", message, field, list)
            }
            AppError::Internal(cause) => {
                tracing::error!(request_id = %context.request_id, %cause, "internal error");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    pick(
                        lang,
                        format!(
                            "Something went wrong on our side. Quote request id {} if you report it.",
                            context.request_id
                        ),
                        format!(
                            "Hệ thống gặp lỗi. Khi báo lỗi, vui lòng gửi kèm mã yêu cầu {}.",
                            context.request_id
                        ),
                    ),
                    None,
                    vec![],
                )
            }
        };
        let body = ErrorBody {
            error: code,
            message,
            field,
            errors,
            request_id: context.request_id,
        };
        let mut response = (status, Json(body)).into_response();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            // The rest of the body was never read, so this connection cannot carry another
            // request: say so, or a client that pools connections sends its next request into
            // a socket the server is about to close.
            response
                .headers_mut()
                .insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}
