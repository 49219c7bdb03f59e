//! What a leader sets for the public lookup site: the cooperative's profile (description, how
//! growers are named), certificates, a product's shelf life and photo.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::NaiveDate;
use farm_log::{CertificateScheme, FieldError, GrowerDisplay, Note, ShortText};
use serde::Deserialize;
use store::{Certificate, Cooperative, CooperativeProfile, NewCertificate, NewMedia, Product, StoredMedia};
use utoipa::ToSchema;

use super::{ApiPath, optional};
use crate::AppState;
use crate::access::{leader_of, member_of, writer_of};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};

/// How the cooperative shows itself to buyers.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ProfileRequest {
    /// Who they are, a few sentences (empty removes it).
    #[serde(default)]
    pub description: Option<String>,
    /// `name` (the member's registered name) or `hidden` ("a member household").
    pub grower_display: String,
}

/// Sets the public profile (leaders).
#[utoipa::path(put, path = "/api/v1/cooperatives/{coop_id}/profile", tag = "public site", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = ProfileRequest,
    responses((status = 200, description = "The cooperative", body = Value), (status = 422, description = "Invalid field")))]
pub async fn set_profile(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<ProfileRequest>,
) -> Result<Json<Cooperative>, AppError> {
    leader_of(&principal, coop_id)?;
    let profile = CooperativeProfile {
        description: optional(request.description.as_deref(), |t| Note::parse(t, "description"))?,
        grower_display: GrowerDisplay::parse(&request.grower_display, "grower_display")?,
    };
    Ok(Json(state.store.set_cooperative_profile(coop_id, profile).await?))
}

/// A certificate to record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewCertificateRequest {
    /// `vietgap`, `globalgap`, `organic`, `ocop` or `other`.
    pub scheme: String,
    /// The certificate's number.
    pub number: String,
    /// The certifying body (tổ chức chứng nhận).
    pub body: String,
    /// What it covers.
    #[serde(default)]
    pub scope: Option<String>,
    /// The one product it covers; none for all of the cooperative's production.
    #[serde(default)]
    pub product_id: Option<i64>,
    /// First valid day, `yyyy-mm-dd` or `dd/mm/yyyy`.
    pub valid_from: String,
    /// Last valid day, `yyyy-mm-dd` or `dd/mm/yyyy`.
    pub valid_to: String,
}

impl NewCertificateRequest {
    /// The certificate, every field checked; every problem is listed.
    pub(crate) fn parse(&self) -> Result<NewCertificate, AppError> {
        let request = self;
        let mut errors = farm_log::ValidationErrors::default();
        let scheme = CertificateScheme::parse(&request.scheme, "scheme").map_err(|e| errors.push(e));
        let number = ShortText::parse(&request.number, "number").map_err(|e| errors.push(e));
        let body = ShortText::parse(&request.body, "body").map_err(|e| errors.push(e));
        let scope = optional(request.scope.as_deref(), |t| ShortText::parse(t, "scope")).map_err(|e| errors.push(e));
        let valid_from = day(&request.valid_from, "valid_from").map_err(|e| errors.push(e));
        let valid_to = day(&request.valid_to, "valid_to").map_err(|e| errors.push(e));
        let (Ok(scheme), Ok(number), Ok(body), Ok(scope), Ok(valid_from), Ok(valid_to)) =
            (scheme, number, body, scope, valid_from, valid_to)
        else {
            return Err(AppError::Invalid(errors));
        };
        Ok(NewCertificate {
            product_id: request.product_id,
            scheme,
            number,
            body,
            scope,
            valid_from,
            valid_to,
        })
    }
}

fn day(raw: &str, field: &str) -> Result<NaiveDate, FieldError> {
    let raw = raw.trim();
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .or_else(|_| NaiveDate::parse_from_str(raw, "%d/%m/%Y"))
        .map_err(|_| {
            FieldError::new(
                field,
                "invalid_date",
                format!("Ngày \"{raw}\" không hợp lệ; viết dd/mm/yyyy, ví dụ 31/12/2027."),
                format!("\"{raw}\" is not a date; write yyyy-mm-dd or dd/mm/yyyy, e.g. 31/12/2027."),
            )
        })?;
    farm_log::not_before_2000(day, field)?;
    Ok(day)
}

/// Records a certificate (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/certificates", tag = "public site", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = NewCertificateRequest,
    responses((status = 201, description = "Recorded", body = Value), (status = 422, description = "Invalid field")))]
pub async fn add_certificate(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewCertificateRequest>,
) -> Result<(StatusCode, Json<Certificate>), AppError> {
    leader_of(&principal, coop_id)?;
    let certificate = request.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.add_certificate(coop_id, certificate).await?),
    ))
}

/// The cooperative's certificates (anyone in it).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/certificates", tag = "public site", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), responses((status = 200, description = "Certificates", body = Value)))]
pub async fn list_certificates(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Vec<Certificate>>, AppError> {
    member_of(&principal, coop_id)?;
    Ok(Json(state.store.certificates(coop_id).await?))
}

/// A product's shelf life.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ShelfLifeRequest {
    /// Days it keeps after packing (hạn sử dụng), 1–3650; none when unknown.
    pub shelf_life_days: Option<u32>,
}

/// Sets how long a product keeps after packing (leaders); the label page shows the expiry.
#[utoipa::path(put, path = "/api/v1/cooperatives/{coop_id}/products/{product_id}/shelf-life", tag = "public site", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("product_id" = i64, Path, description = "Product id")),
    request_body = ShelfLifeRequest,
    responses((status = 200, description = "The product", body = Value), (status = 422, description = "Invalid field")))]
pub async fn set_shelf_life(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, product_id)): ApiPath<(i64, i64)>,
    ApiJson(request): ApiJson<ShelfLifeRequest>,
) -> Result<Json<Product>, AppError> {
    leader_of(&principal, coop_id)?;
    if let Some(days) = request.shelf_life_days
        && !(1..=3650).contains(&days)
    {
        return Err(FieldError::new(
            "shelf_life_days",
            "out_of_range",
            "Hạn sử dụng phải từ 1 đến 3.650 ngày.",
            "Shelf life must be between 1 and 3,650 days.",
        )
        .into());
    }
    Ok(Json(
        state
            .store
            .set_product_shelf_life(coop_id, product_id, request.shelf_life_days)
            .await?,
    ))
}

/// Uploads a product's photo (leaders): the body is the image itself (JPEG, PNG or WebP, at
/// most 12 MB). It is resized, stripped of EXIF/GPS and stored by its blake3 hash.
#[utoipa::path(put, path = "/api/v1/cooperatives/{coop_id}/products/{product_id}/photo", tag = "public site", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("product_id" = i64, Path, description = "Product id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses((status = 200, description = "The product with its photo hash", body = Value),
        (status = 413, description = "Too large"), (status = 422, description = "Not a photo")))]
pub async fn set_product_photo(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, product_id)): ApiPath<(i64, i64)>,
    body: Bytes,
) -> Result<Json<Product>, AppError> {
    leader_of(&principal, coop_id)?;
    let photo = prepare_photo(body).await?;
    Ok(Json(state.store.set_product_photo(coop_id, product_id, photo).await?))
}

/// Decodes, checks, resizes and re-encodes an uploaded photo (off the async threads), ready to
/// store under its hash; a non-image or an oversize upload is refused naming `photo`.
pub(crate) async fn prepare_photo(body: Bytes) -> Result<NewMedia, AppError> {
    let prepared = tokio::task::spawn_blocking(move || media::prepare_photo(&body))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?;
    let photo = match prepared {
        Ok(photo) => photo,
        Err(media::PhotoError::TooLarge { .. }) => return Err(AppError::PayloadTooLarge),
        Err(error) => {
            return Err(FieldError::new("photo", "invalid_photo", error.message_vi(), error.to_string()).into());
        }
    };
    Ok(NewMedia {
        hash: photo.hash,
        variants: photo
            .variants
            .into_iter()
            .map(|v| {
                (
                    v.name.to_owned(),
                    StoredMedia {
                        content_type: v.content_type.to_owned(),
                        width: v.width,
                        height: v.height,
                        bytes: v.bytes,
                    },
                )
            })
            .collect(),
    })
}

/// A photo for a farm step (any member): stored by its hash, which the event then names in
/// `photos`. Raw image bytes (JPEG, PNG or WebP), up to 12 MB.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/photos", tag = "events", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The photo"),
    responses((status = 201, description = "Stored: its hash", body = serde_json::Value), (status = 422, description = "Not a photo"), (status = 413, description = "Too large")))]
pub async fn upload_photo(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), AppError> {
    writer_of(&principal, coop_id)?;
    let photo = prepare_photo(body).await?;
    state.store.store_media(&photo).await?;
    let prefix = state.site.prefix();
    Ok((
        StatusCode::CREATED,
        Json(serde_json::json!({
            "hash": photo.hash,
            "card": format!("{prefix}/media/{}/card.jpg", photo.hash),
            "full": format!("{prefix}/media/{}/full.jpg", photo.hash),
        })),
    ))
}

/// A scan (photo) of a paper certificate (leaders): shown to buyers next to the certificate.
/// Raw image bytes (JPEG, PNG or WebP), up to 12 MB.
#[utoipa::path(put, path = "/api/v1/cooperatives/{coop_id}/certificates/{certificate_id}/scan", tag = "cooperatives", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("certificate_id" = i64, Path, description = "Certificate id")),
    request_body(content = Vec<u8>, content_type = "image/jpeg", description = "The scan"),
    responses((status = 200, description = "The certificate", body = serde_json::Value), (status = 422, description = "Not a photo"), (status = 404, description = "No such certificate")))]
pub async fn set_certificate_scan(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, certificate_id)): ApiPath<(i64, i64)>,
    body: Bytes,
) -> Result<Json<Certificate>, AppError> {
    leader_of(&principal, coop_id)?;
    let scan = prepare_photo(body).await?;
    Ok(Json(
        state.store.set_certificate_scan(coop_id, certificate_id, &scan).await?,
    ))
}
