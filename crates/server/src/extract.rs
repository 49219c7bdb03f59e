//! Extractors: JSON bodies whose errors name the field, and the bearer-token principal.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::request::Parts;
use farm_log::FieldError;
use serde::de::DeserializeOwned;
use store::Principal;

use crate::AppState;
use crate::error::AppError;

/// A JSON body. Syntax errors are 400; a value of the wrong shape is 422 naming its path
/// (e.g. `events[2].quantity`); a body over the limit is 413.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let is_json = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(';')
                    .next()
                    .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
            });
        if !is_json {
            return Err(AppError::UnsupportedMediaType);
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection: BytesRejection| {
                if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    AppError::PayloadTooLarge
                } else {
                    AppError::BadRequest(
                        "The request body could not be read.".into(),
                        "Không đọc được dữ liệu gửi lên.".into(),
                    )
                }
            })?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// Where in a JSON value a string holds a NUL character, as a path like `events[2].note`.
fn nul_at(value: &serde_json::Value, path: &str) -> Option<String> {
    let join = |key: &str| {
        if path.is_empty() {
            key.to_owned()
        } else {
            format!("{path}.{key}")
        }
    };
    match value {
        serde_json::Value::String(text) => text.contains('\0').then(|| path.to_owned()),
        serde_json::Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| nul_at(item, &format!("{path}[{i}]"))),
        serde_json::Value::Object(fields) => fields.iter().find_map(|(key, item)| {
            if key.contains('\0') {
                return Some(join(key));
            }
            nul_at(item, &join(key))
        }),
        _ => None,
    }
}

/// Parses JSON, reporting the path of a value that does not fit. Anything after the value
/// (a second object, stray text) is refused, and so is a NUL character in any string: no
/// stored text may hold one, and PostgreSQL refuses them where SQLite would not.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let escaped_nul = bytes.windows(6).any(|w| w.eq_ignore_ascii_case(b"\\u0000"));
    if escaped_nul
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(bytes)
        && let Some(field) = nul_at(&value, "")
    {
        return Err(AppError::invalid(FieldError::new(
            field,
            "nul_character",
            "Văn bản có ký tự rỗng (NUL), không được phép.",
            "The text contains a NUL character, which is not allowed.",
        )));
    }
    let deserializer = &mut serde_json::Deserializer::from_slice(bytes);
    let value = deserialize_named(deserializer)?;
    deserializer.end().map_err(|_| {
        AppError::BadRequest(
            "The body has more after its JSON value: send exactly one JSON value.".into(),
            "Dữ liệu gửi lên còn thừa nội dung sau giá trị JSON: chỉ gửi đúng một giá trị JSON.".into(),
        )
    })?;
    Ok(value)
}

fn deserialize_named<'de, T: DeserializeOwned>(
    deserializer: &mut serde_json::Deserializer<serde_json::de::SliceRead<'de>>,
) -> Result<T, AppError> {
    serde_path_to_error::deserialize(deserializer).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        use serde_json::error::Category;
        match inner.classify() {
            Category::Syntax | Category::Eof | Category::Io => AppError::BadRequest(
                format!("The body is not valid JSON: {inner}"),
                format!("Dữ liệu gửi lên không phải JSON hợp lệ: {inner}"),
            ),
            Category::Data => {
                let field = if path == "." { String::new() } else { path };
                let message = strip_position(&inner.to_string());
                AppError::invalid(FieldError::new(
                    field.clone(),
                    "invalid_value",
                    format!("Giá trị của trường \"{field}\" không hợp lệ: {message}"),
                    format!("Invalid value for \"{field}\": {message}"),
                ))
            }
        }
    })
}

fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(index) => message[..index].to_owned(),
        None => message.to_owned(),
    }
}

/// The authenticated caller.
#[derive(Debug, Clone)]
pub struct Auth(pub Principal);

impl FromRequestParts<AppState> for Auth {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let header = parts
            .headers
            .get(AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let token = header
            .strip_prefix("Bearer ")
            .or_else(|| header.strip_prefix("bearer "))
            .unwrap_or("")
            .trim();
        if token.is_empty() {
            return Err(AppError::Unauthenticated);
        }
        match state.store.authenticate(token).await? {
            Some(principal) => Ok(Auth(principal)),
            None => Err(AppError::Unauthenticated),
        }
    }
}
