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
use store::{CooperativeKey, IssueRequest, LabelBatch};
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
    /// For a lot past its use-by date: why labels must be printed anyway (a leader's decision,
    /// recorded in the lot's diary before the labels). Without it such a lot gets none (422
    /// on this field).
    #[serde(default)]
    pub past_use_by_reason: Option<String>,
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
    let past_use_by_reason = super::optional(request.past_use_by_reason.as_deref(), |t| {
        farm_log::Note::parse(t, "past_use_by_reason")
    })?;
    let batch = state
        .store
        .issue_labels(
            &principal,
            IssueRequest {
                lot_code: code,
                count: request.count,
                pack_size,
                base_url: state.labels.base_url.clone(),
                past_use_by_reason,
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
    may_read_lot(&state.store, &principal, &lot.access()).await?;
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

/// What a scan resolves to: the same verdict the label page shows.
#[derive(Debug, Serialize)]
struct Resolution {
    /// `genuine`, `recalled`, `altered`, `mismatched`, `expired` or `unknown`: what the buyer is
    /// told, the same word on every surface.
    verdict: &'static str,
    /// Whether the record still hashes as recorded and printed: `verified`, `altered` or
    /// `unknown` (a recalled or expired lot can be `verified`; only `verdict` says whether to
    /// trust the product).
    verification: &'static str,
    /// Why the record is altered, in English.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<String>,
    /// The same in Vietnamese.
    #[serde(skip_serializing_if = "Option::is_none")]
    reason_vi: Option<String>,
    /// Whether the scanned URL's check code disagrees with the batch's (a copied or forged label).
    #[serde(skip_serializing_if = "Option::is_none")]
    digest_mismatch: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    serial: Option<String>,
    /// The URL printed in its QR code.
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// The batch's check code.
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
    /// Scans so far (people opening the label page; this call is not one).
    #[serde(skip_serializing_if = "Option::is_none")]
    scan_count: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_scanned_at: Option<String>,
    /// The signed batch record.
    #[serde(skip_serializing_if = "Option::is_none")]
    batch: Option<label::BatchRecord>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    public_key: Option<String>,
    /// The lot as it is now.
    #[serde(skip_serializing_if = "Option::is_none")]
    lot: Option<store::Lot>,
    /// The lot's use-by date (yyyy-mm-dd).
    #[serde(skip_serializing_if = "Option::is_none")]
    use_by: Option<chrono::NaiveDate>,
    /// Recalls of the lot or a lot it was made from.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    recalls: Vec<store::RecallNotice>,
}

/// Resolves a label serial (public; a call is not a scan: only a person opening the label page
/// counts). `verdict` is what the label page says: `genuine`, `recalled`, `altered`,
/// `mismatched` (the `d=` is not the batch's), `expired`; `unknown` (404) for a serial never
/// issued.
#[utoipa::path(get, path = "/api/v1/labels/{serial}", tag = "labels",
    params(("serial" = String, Path, description = "The label's serial"), ("d" = Option<String>, Query, description = "Digest from the scanned URL")),
    responses((status = 200, description = "Resolution", body = Value), (status = 404, description = "Unknown serial: `verdict` and `verification` are `unknown`")))]
pub async fn resolve_label(
    State(state): State<AppState>,
    ApiPath(serial): ApiPath<String>,
    Query(query): Query<ResolveQuery>,
) -> Result<Response, AppError> {
    let unknown = || {
        (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "verdict": "unknown", "verification": "unknown" })),
        )
            .into_response()
    };
    let Ok(serial) = label::Serial::parse(&serial) else {
        return Ok(unknown());
    };
    let digest = match query.d.as_deref() {
        None => label::ScannedDigest::Absent,
        Some(d) => match label::Digest::parse(d) {
            Ok(d) => label::ScannedDigest::Present(d),
            Err(error) => label::ScannedDigest::Malformed(error),
        },
    };
    let judged = match state
        .site
        .judge_label(&state.store, &serial, None, &digest, crate::web::i18n::PageLang::Vi)
        .await?
    {
        crate::web::verdicts::LabelAnswer::Found(judged) => judged,
        crate::web::verdicts::LabelAnswer::Altered(reason) => {
            return Ok(Json(serde_json::json!({
                "verdict": "altered", "verification": "altered", "reason": reason.en, "reason_vi": reason.vi,
            }))
            .into_response());
        }
        _ => return Ok(unknown()),
    };
    let label = judged.label.as_ref();
    let batch = judged.batch.as_ref();
    Ok(Json(Resolution {
        verdict: judged.verdict.as_str(),
        verification: if judged.reason.is_some() { "altered" } else { "verified" },
        reason: judged.reason.as_ref().map(|r| r.en.clone()),
        reason_vi: judged.reason.as_ref().map(|r| r.vi.clone()),
        digest_mismatch: query.d.as_ref().map(|_| judged.code == farm_log::CodeCheck::Differs),
        serial: label.map(|l| l.serial.clone()),
        url: label.map(|l| l.url.clone()),
        digest: batch.map(|b| label::Digest::of_head(&b.record.chain_head.0).to_string()),
        scan_count: label.map(|l| l.scan_count),
        first_scanned_at: label.and_then(|l| l.first_scanned_at.clone()),
        batch: batch.map(|b| b.record.clone()),
        signature: batch.map(|b| b.signature.clone()),
        public_key: batch.map(|b| b.public_key.clone()),
        lot: Some(judged.lot.lot.clone()),
        use_by: judged.lot.use_by,
        recalls: judged.lot.recalls.clone(),
    })
    .into_response())
}
