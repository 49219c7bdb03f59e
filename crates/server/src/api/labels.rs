//! Labels: issuing a signed batch for a lot, printable sheets and print-shop ZIPs, the
//! cooperative's public keys, and resolving a scanned serial.

use std::sync::Arc;

use axum::Json;
use axum::extract::{Query, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use farm_log::Quantity;
use label::{LabelFont, SheetLayout};
use serde::{Deserialize, Serialize};
use store::{CooperativeKey, FoundLabel, IssueRequest, LabelBatch, LabelResolution, LabelStatus};
use utoipa::ToSchema;

use super::ApiPath;
use crate::AppState;
use crate::access::{leader_of, may_read_lot, member_of, overseer_of};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};

/// How labels are made: where their links point and the font their text is set in.
#[derive(Clone)]
pub struct LabelSettings {
    /// The base of every label URL (`https://…`, no trailing slash).
    pub base_url: label::BaseUrl,
    /// The font for printed sheets, or why it could not be loaded.
    pub font: Result<Arc<LabelFont>, String>,
}

impl std::fmt::Debug for LabelSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabelSettings")
            .field("base_url", &self.base_url.to_string())
            .field("font", &self.font.as_ref().map(|_| "loaded"))
            .finish()
    }
}

/// A batch of labels to issue.
#[derive(Debug, Deserialize, ToSchema)]
pub struct IssueLabelsRequest {
    /// How many labels (1–10,000).
    pub count: u32,
    /// What one labelled pack holds, e.g. "1 kg", "500 g", "10 kg".
    pub pack_size: String,
}

/// Issues labels for a lot (leaders): 422 lists every failed pre-label check, or says how many
/// labels the lot's quantity still allows.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/labels", tag = "labels", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    request_body = IssueLabelsRequest,
    responses((status = 201, description = "The signed batch and its labels", body = Value),
        (status = 422, description = "A pre-label check failed or the count exceeds the lot's quantity")))]
pub async fn issue_labels(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
    ApiJson(request): ApiJson<IssueLabelsRequest>,
) -> Result<(StatusCode, Json<LabelBatch>), AppError> {
    leader_of(&principal, coop_id)?;
    let pack_size = Quantity::parse(&request.pack_size, None, "pack_size")?;
    let batch = state
        .store
        .issue_labels(
            &principal,
            IssueRequest {
                lot_code: code,
                count: request.count,
                pack_size,
                base_url: state.labels.base_url.clone(),
            },
        )
        .await?;
    Ok((StatusCode::CREATED, Json(batch)))
}

/// The lot's label batches (signed records), newest first.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/labels", tag = "labels", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "Batch records", body = Value)))]
pub async fn list_label_batches(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Json<Vec<label::BatchRecord>>, AppError> {
    member_of(&principal, coop_id)?;
    let lot = state.store.lot(coop_id, &code).await?;
    may_read_lot(&state.store, &principal, &lot).await?;
    Ok(Json(state.store.label_batches(coop_id, &code).await?))
}

/// One batch: its signed record, serials and labels. Save it to verify offline with
/// `nguon labels verify FILE`.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/label-batches/{batch_id}", tag = "labels", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("batch_id" = String, Path, description = "Batch id")),
    responses((status = 200, description = "The batch", body = Value), (status = 404, description = "No such batch")))]
pub async fn get_label_batch(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, batch_id)): ApiPath<(i64, String)>,
) -> Result<Json<LabelBatch>, AppError> {
    overseer_of(&principal, coop_id)?;
    Ok(Json(state.store.label_batch(coop_id, &batch_id).await?))
}

/// How to print a sheet.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SheetQuery {
    /// `3x8`, `4x10`, `5x13` on A4, or a single-label page such as `50x30mm`. Default `3x8`.
    pub layout: Option<String>,
}

fn layout(raw: Option<&str>) -> Result<SheetLayout, AppError> {
    SheetLayout::parse(raw.unwrap_or("3x8")).map_err(|e| {
        AppError::invalid(farm_log::FieldError::new(
            "layout",
            "invalid_layout",
            format!("Khổ in không hợp lệ: {e}. Ví dụ: 3x8, 4x10, 5x13 hoặc 50x30mm."),
            format!("Invalid layout: {e}. Examples: 3x8, 4x10, 5x13 or 50x30mm."),
        ))
    })
}

pub(crate) fn attachment(bytes: Vec<u8>, content_type: &'static str, filename: String) -> Response {
    let mut response = bytes.into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn font(state: &AppState) -> Result<Arc<LabelFont>, AppError> {
    state.labels.font.clone().map_err(|why| {
        AppError::Unavailable(
            format!("Label sheets cannot be printed: {why}"),
            format!("Không in được tờ tem: {why}"),
        )
    })
}

/// The batch as a printable PDF (leaders).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/label-batches/{batch_id}/sheet.pdf", tag = "labels", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("batch_id" = String, Path, description = "Batch id"),
        ("layout" = Option<String>, Query, description = "3x8 (default), 4x10, 5x13, or 50x30mm for thermal printers")),
    responses((status = 200, description = "PDF", content_type = "application/pdf"), (status = 503, description = "The label font is not installed")))]
pub async fn label_sheet(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, batch_id)): ApiPath<(i64, String)>,
    Query(query): Query<SheetQuery>,
) -> Result<Response, AppError> {
    leader_of(&principal, coop_id)?;
    let pdf = sheet_pdf(&state, coop_id, &batch_id, query.layout.as_deref()).await?;
    Ok(attachment(pdf, "application/pdf", format!("tem-{batch_id}.pdf")))
}

/// A batch's printable sheet in a layout (`3x8` when none is given).
pub(crate) async fn sheet_pdf(
    state: &AppState,
    coop_id: i64,
    batch_id: &str,
    layout_name: Option<&str>,
) -> Result<Vec<u8>, AppError> {
    let layout = layout(layout_name)?;
    let font = font(state)?;
    let faces = state.store.label_faces(coop_id, batch_id).await?;
    tokio::task::spawn_blocking(move || label::render_pdf(&faces, &layout, &font, |_| {}))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// Image format for print shops.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ZipQuery {
    /// `png` (default, 300 dpi) or `svg`.
    pub format: Option<String>,
}

/// The batch's QR codes as a ZIP of PNGs or SVGs named by serial (leaders).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/label-batches/{batch_id}/labels.zip", tag = "labels", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("batch_id" = String, Path, description = "Batch id"),
        ("format" = Option<String>, Query, description = "png (default) or svg")),
    responses((status = 200, description = "ZIP", content_type = "application/zip")))]
pub async fn label_zip(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, batch_id)): ApiPath<(i64, String)>,
    Query(query): Query<ZipQuery>,
) -> Result<Response, AppError> {
    leader_of(&principal, coop_id)?;
    let zip = qr_zip(&state, coop_id, &batch_id, query.format.as_deref()).await?;
    Ok(attachment(zip, "application/zip", format!("tem-{batch_id}.zip")))
}

/// A batch's QR codes as a ZIP of PNGs (`png`, the default) or SVGs (`svg`) named by serial.
pub(crate) async fn qr_zip(
    state: &AppState,
    coop_id: i64,
    batch_id: &str,
    format: Option<&str>,
) -> Result<Vec<u8>, AppError> {
    let svg = match format.unwrap_or("png") {
        "png" => false,
        "svg" => true,
        other => {
            return Err(AppError::invalid(farm_log::FieldError::new(
                "format",
                "invalid_format",
                format!("Định dạng \"{other}\" không hỗ trợ; chọn png hoặc svg."),
                format!("Format \"{other}\" is not supported; choose png or svg."),
            )));
        }
    };
    let batch = state.store.label_batch(coop_id, batch_id).await?;
    tokio::task::spawn_blocking(move || -> Result<Vec<u8>, label::LabelError> {
        let mut files = Vec::with_capacity(batch.labels.len());
        for l in &batch.labels {
            files.push(if svg {
                (
                    format!("{:05}-{}.svg", l.position, l.serial),
                    label::qr_svg(&l.url)?.into_bytes(),
                )
            } else {
                (
                    format!("{:05}-{}.png", l.position, l.serial),
                    label::qr_png(&l.url, label::PRINT_MODULE_PX)?,
                )
            });
        }
        label::zip_files(files)
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// The cooperative's public signing keys (public: anyone may check a label batch).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/keys", tag = "labels",
    params(("coop_id" = i64, Path, description = "Cooperative id")),
    responses((status = 200, description = "Public keys", body = Value), (status = 404, description = "No such cooperative")))]
pub async fn cooperative_keys(
    State(state): State<AppState>,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Vec<CooperativeKey>>, AppError> {
    Ok(Json(state.store.cooperative_keys(coop_id).await?))
}

/// The digest parameter of a scanned URL.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ResolveQuery {
    /// The `d` parameter from the QR code's URL.
    pub d: Option<String>,
}

/// What a scan resolves to.
#[derive(Debug, Serialize)]
struct Resolution {
    /// `verified`, `altered` or `unknown`.
    verification: &'static str,
    /// Whether the scanned URL's digest disagrees with the batch's (a copied or forged label).
    #[serde(skip_serializing_if = "Option::is_none")]
    digest_mismatch: Option<bool>,
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    label: Option<Box<FoundLabel>>,
}

/// Resolves a label serial (public; every call counts as a scan): `verified` when the lot's
/// stored history up to the issue point hashes to the label's digest and the batch signature is
/// valid, `altered` when not, `unknown` for a serial never issued.
#[utoipa::path(get, path = "/api/v1/labels/{serial}", tag = "labels",
    params(("serial" = String, Path, description = "The label's serial"), ("d" = Option<String>, Query, description = "Digest from the scanned URL")),
    responses((status = 200, description = "Resolution", body = Value), (status = 404, description = "Unknown serial: `verification` is `unknown`")))]
pub async fn resolve_label(
    State(state): State<AppState>,
    ApiPath(serial): ApiPath<String>,
    Query(query): Query<ResolveQuery>,
) -> Result<Response, AppError> {
    let unknown = || {
        (
            StatusCode::NOT_FOUND,
            Json(Resolution {
                verification: "unknown",
                digest_mismatch: None,
                label: None,
            }),
        )
            .into_response()
    };
    let Ok(serial) = label::Serial::parse(&serial) else {
        return Ok(unknown());
    };
    let found = match state.store.resolve_label(&serial, true).await? {
        LabelResolution::Unknown => return Ok(unknown()),
        LabelResolution::Found(found) => found,
    };
    let digest_mismatch = query.d.as_deref().map(|d| {
        label::Digest::parse(d)
            .map(|scanned| scanned.to_string() != found.digest)
            .unwrap_or(true)
    });
    let verification = match found.status {
        LabelStatus::Verified => "verified",
        LabelStatus::Altered => "altered",
    };
    Ok(Json(Resolution {
        verification,
        digest_mismatch,
        label: Some(found),
    })
    .into_response())
}
