//! Standard formats out and in: a lot's genealogy or a whole cooperative as an EPCIS 2.0
//! JSON-LD document (the cooperative's streamed, optionally for a date range), an EPCIS document
//! of ours imported back, a lot's trace spreadsheet for a recall (XLSX or CSV), and its care
//! diary (CSV or PDF) for bearer tokens as in the app.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{RawQuery, Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use diary::{CooperativeInfo, DiaryFont, DiaryInput, Language, PlotInfo};
use farm_log::{ChainHead, FieldError, LotCode};
use store::{ExportLot, ImportReport, Lot, Principal, Store, StoreError};

use super::{ApiPath, attachment};
use crate::AppState;
use crate::access::{leader_of, may_read_lot, member_of, overseer_of};
use crate::error::{AppError, Lang};
use crate::extract::Auth;

/// The largest EPCIS document an import accepts.
pub const MAX_EPCIS_BYTES: usize = 32 * 1024 * 1024;

async fn readable_lot(state: &AppState, principal: &Principal, coop_id: i64, code: &str) -> Result<Lot, AppError> {
    member_of(principal, coop_id)?;
    let lot = state.store.lot(coop_id, code).await?;
    may_read_lot(&state.store, principal, &lot.access()).await?;
    Ok(lot)
}

fn exporter(state: &AppState, coop: epcis::Cooperative) -> epcis::Exporter {
    epcis::Exporter::new(coop, state.labels.base_url.as_ref())
}

async fn with_events(
    store: &Store,
    coop_id: i64,
    lots: Vec<ExportLot>,
) -> Result<Vec<epcis::LotWithEvents>, StoreError> {
    let mut out = Vec::with_capacity(lots.len());
    for lot in lots {
        let (events, merge) = store.export_events(coop_id, &lot).await?;
        out.push((lot.lot, events, merge));
    }
    Ok(out)
}

/// A lot and every lot connected to it by packing or merging, as one EPCIS 2.0 JSON-LD
/// document (lot readers).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/epcis", tag = "exports", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "An EPCIS 2.0 EPCISDocument (JSON-LD), valid against GS1's EPCIS JSON schema", content_type = "application/ld+json", body = Object)))]
pub async fn lot_epcis(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Response, AppError> {
    readable_lot(&state, &principal, coop_id, &code).await?;
    let codes = state.store.genealogy_codes(coop_id, &code).await?;
    let lots = state.store.export_lots(coop_id, Some(&codes)).await?;
    let lots = with_events(&state.store, coop_id, lots).await?;
    let document = exporter(&state, state.store.export_cooperative(coop_id).await?).document(store::now(), &lots);
    let mut response = Json(document).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(epcis::MEDIA_TYPE));
    Ok(response)
}

fn query_value(query: Option<&str>, name: &str) -> Option<String> {
    query?
        .split('&')
        .filter_map(|pair| pair.split_once('=').or(Some((pair, ""))))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.replace("%2F", "/").replace("%2f", "/").replace('+', " "))
}

/// Reads `from` and `to` (both days included) into the window of events to write.
pub fn window(query: Option<&str>) -> Result<epcis::Window, AppError> {
    let from = query_value(query, "from");
    let to = query_value(query, "to");
    epcis::Window::from_days(from.as_deref(), to.as_deref()).map_err(AppError::Invalid)
}

/// The whole cooperative as one EPCIS 2.0 JSON-LD document, streamed lot by lot; `from` and
/// `to` (dd/mm/yyyy, both included) keep only the events that happened in those days
/// (leaders and inspectors).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/epcis", tag = "exports", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"),
        ("from" = Option<String>, Query, description = "First day, dd/mm/yyyy or yyyy-mm-dd"),
        ("to" = Option<String>, Query, description = "Last day, dd/mm/yyyy or yyyy-mm-dd")),
    responses((status = 200, description = "An EPCIS 2.0 EPCISDocument (JSON-LD), streamed", content_type = "application/ld+json", body = Object)))]
pub async fn cooperative_epcis(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    overseer_of(&principal, coop_id)?;
    let window = window(query.as_deref())?;
    let coop = state.store.export_cooperative(coop_id).await?;
    let lots = state.store.export_lots(coop_id, None).await?;
    let exporter = exporter(&state, coop);
    let start = exporter.document_start(store::now(), &lots.iter().map(|l| l.lot.clone()).collect::<Vec<_>>());
    let (sender, receiver) = tokio::sync::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let store = state.store.clone();
    tokio::spawn(async move {
        if sender.send(Ok(Bytes::from(start))).await.is_err() {
            return;
        }
        let mut first = true;
        for lot in lots {
            let (events, merge) = match store.export_events(coop_id, &lot).await {
                Ok(found) => found,
                Err(error) => {
                    // The answer has begun: cut it short, so the client sees a broken document
                    // rather than a complete-looking one with a lot missing.
                    tracing::error!(%error, lot = %lot.lot.code, "the cooperative's EPCIS export failed midway");
                    let _ = sender.send(Err(std::io::Error::other("export failed"))).await;
                    return;
                }
            };
            let mut chunk = String::new();
            for event in exporter.lot_events(&lot.lot, &events, merge.as_deref(), window) {
                if !first {
                    chunk.push(',');
                }
                first = false;
                chunk.push_str(&event.to_string());
            }
            if !chunk.is_empty() && sender.send(Ok(Bytes::from(chunk))).await.is_err() {
                return;
            }
        }
        let _ = sender
            .send(Ok(Bytes::from_static(epcis::DOCUMENT_END.as_bytes())))
            .await;
    });
    let stream = futures_util::stream::unfold(receiver, |mut receiver| async move {
        receiver.recv().await.map(|item| (item, receiver))
    });
    let mut response = Body::from_stream(stream).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(epcis::MEDIA_TYPE));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"epcis-htx-{coop_id}.jsonld\"")) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    Ok(response)
}

/// Imports an EPCIS document exported by Nguồn into this cooperative (leaders):
/// lots, products, plots, inputs and every event with its id, time and quantities.
/// `?dry_run=true` only says what it would do. Running it again adds nothing.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/epcis", tag = "exports", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("dry_run" = Option<bool>, Query, description = "true: check and report, write nothing")),
    request_body(content = Object, description = "An EPCISDocument exported by Nguồn", content_type = "application/ld+json"),
    responses((status = 200, description = "What was (or would be) imported", body = ImportReportSchema)))]
pub async fn import_epcis(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    RawQuery(query): RawQuery,
    request: Request,
) -> Result<Json<ImportReport>, AppError> {
    leader_of(&principal, coop_id)?;
    let content_type = request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
        .unwrap_or_default();
    if content_type != "application/ld+json" && content_type != "application/json" {
        return Err(AppError::UnsupportedMediaType);
    }
    let bytes = axum::body::to_bytes(request.into_body(), MAX_EPCIS_BYTES)
        .await
        .map_err(|_| AppError::PayloadTooLarge)?;
    let document: serde_json::Value = serde_json::from_slice(&bytes).map_err(|e| {
        AppError::BadRequest(
            format!("The body is not valid JSON: {e}"),
            format!("Dữ liệu gửi lên không phải JSON hợp lệ: {e}"),
        )
    })?;
    let plan = epcis::read_document(&document).map_err(|errors| {
        let mut list = farm_log::ValidationErrors::default();
        for e in errors {
            list.push(FieldError::new(
                e.path.clone(),
                "invalid_epcis",
                format!("Tài liệu EPCIS không nhập được: {}", e.message),
                format!("The EPCIS document cannot be imported: {}", e.message),
            ));
        }
        AppError::Invalid(list)
    })?;
    let dry_run = query_value(query.as_deref(), "dry_run").is_some_and(|v| v == "true" || v == "1");
    Ok(Json(
        state
            .store
            .import_epcis(&principal, &plan, dry_run, &store::NoProgress)
            .await?,
    ))
}

/// What an import did, for the OpenAPI document.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImportReportSchema {
    /// Lots made.
    lots_created: Vec<String>,
    /// Events written now.
    events_added: u64,
    /// Events already there.
    events_existing: u64,
    /// Registry entries added ("product …", "plot …", "input …").
    registry_added: Vec<String>,
    /// Photos left off events because their images are not on this server.
    photos_left_out: u64,
}

/// The trace spreadsheet's input for a lot's genealogy.
pub(crate) async fn trace_input(
    store: &Store,
    coop_id: i64,
    code: &str,
) -> Result<diary::trace::TraceInput, StoreError> {
    let coop = store.cooperative(coop_id).await?;
    let codes = store.genealogy_codes(coop_id, code).await?;
    let lots = store.export_lots(coop_id, Some(&codes)).await?;
    let mut trace_lots = Vec::with_capacity(lots.len());
    for lot in lots {
        let (events, _) = store.export_events(coop_id, &lot).await?;
        trace_lots.push(diary::trace::TraceLot {
            code: lot.lot.code.to_string(),
            product: lot.lot.product.name(),
            gtin: lot.lot.product.gtin.clone(),
            plots: lot
                .lot
                .plots
                .iter()
                .map(|p| format!("{} ({})", p.name, p.commune))
                .collect(),
            events: events.into_iter().map(|e| e.event).collect(),
        });
    }
    Ok(diary::trace::TraceInput {
        cooperative: coop.name,
        address: format!("{}, {}, {}", coop.address, coop.commune, coop.province),
        lots: trace_lots,
    })
}

fn internal(error: diary::DiaryError) -> AppError {
    AppError::Internal(error.to_string())
}

/// The lot's trace for a recall as an Excel workbook: one row per critical tracking event
/// (growing, harvesting, packing, merging, shipping, receiving, recall) up and down its
/// genealogy, with the key data elements, headers in Vietnamese and English (lot readers).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/trace.xlsx", tag = "exports", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "XLSX workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>)))]
pub async fn trace_xlsx(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Response, AppError> {
    let lot = readable_lot(&state, &principal, coop_id, &code).await?;
    let input = trace_input(&state.store, coop_id, &lot.code).await?;
    let bytes = tokio::task::spawn_blocking(move || diary::trace::render_trace_xlsx(&input))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(internal)?;
    Ok(attachment(
        bytes,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        format!("truy-xuat-{}.xlsx", lot.code),
    ))
}

/// The same trace as CSV (UTF-8 with BOM, opens in Excel) (lot readers).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/trace.csv", tag = "exports", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String)))]
pub async fn trace_csv(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Response, AppError> {
    let lot = readable_lot(&state, &principal, coop_id, &code).await?;
    let input = trace_input(&state.store, coop_id, &lot.code).await?;
    let bytes = diary::trace::render_trace_csv(&input).map_err(internal)?;
    Ok(attachment(
        bytes,
        "text/csv; charset=utf-8",
        format!("truy-xuat-{}.csv", lot.code),
    ))
}

/// A lot's care diary as the diary crate prints it, gathered from the store.
pub(crate) async fn diary_input(store: &Store, lot: &Lot) -> Result<DiaryInput, StoreError> {
    let coop = lot.cooperative_id;
    let history = store.history(coop, &lot.code).await?;
    let cooperative = store.cooperative(coop).await?;
    let product = store.product(coop, lot.product_id).await?;
    let plots: Vec<store::Plot> = store
        .plots(coop)
        .await?
        .into_iter()
        .filter(|p| lot.plot_ids.contains(&p.id))
        .collect();
    let members = store.members(coop).await?;
    let growers = members
        .iter()
        .filter(|m| m.plot_ids.iter().any(|p| lot.plot_ids.contains(p)))
        .map(|m| m.name.clone())
        .collect();
    let chain_head =
        ChainHead::from_hex(&lot.head).ok_or_else(|| StoreError::Corrupt(format!("lot {} head", lot.code)))?;
    let lot_code = LotCode::parse(&lot.code, "code").map_err(|e| StoreError::Corrupt(e.to_string()))?;
    Ok(DiaryInput {
        cooperative: CooperativeInfo {
            name: cooperative.name,
            address: cooperative.address,
            region: Some(cooperative.region),
        },
        lot_code,
        product_name: product.name,
        plots: plots
            .into_iter()
            .map(|p| PlotInfo {
                name: p.name,
                commune: p.commune,
                growing_area_code: p.growing_area_code,
            })
            .collect(),
        growers,
        members: members.into_iter().map(|m| (m.id, m.name)).collect::<BTreeMap<_, _>>(),
        status: lot.status,
        chain_head,
        event_count: history.events.len() as u64,
        generated_at: store::now(),
        events: history.events.into_iter().map(|e| e.event).collect(),
    })
}

fn diary_language() -> Language {
    match crate::error::lang() {
        Lang::En => Language::En,
        Lang::Vi => Language::Vi,
    }
}

/// The lot's care diary (nhật ký canh tác) as CSV, for an auditor; English with `?lang=en`
/// (lot readers).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/diary.csv", tag = "exports", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code"),
        ("lang" = Option<String>, Query, description = "vi (default) or en")),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String)))]
pub async fn diary_csv(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Response, AppError> {
    let lot = readable_lot(&state, &principal, coop_id, &code).await?;
    let input = diary_input(&state.store, &lot).await?;
    let bytes = diary::render_csv(&input, diary_language()).map_err(internal)?;
    Ok(attachment(
        bytes,
        "text/csv; charset=utf-8",
        format!("nhat-ky-{}.csv", lot.code),
    ))
}

/// The lot's care diary as an A4 PDF (lot readers).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/diary.pdf", tag = "exports", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code"),
        ("lang" = Option<String>, Query, description = "vi (default) or en")),
    responses((status = 200, description = "PDF", content_type = "application/pdf", body = Vec<u8>)))]
pub async fn diary_pdf(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Response, AppError> {
    let lot = readable_lot(&state, &principal, coop_id, &code).await?;
    let input = diary_input(&state.store, &lot).await?;
    let font = match &state.labels.font {
        Ok(font) => DiaryFont::from_label_font(font.as_ref().clone()),
        Err(why) => {
            return Err(AppError::Unavailable(
                format!("The diary cannot be printed: {why}"),
                format!("Không in được nhật ký: {why}"),
            ));
        }
    };
    let language = diary_language();
    let bytes = tokio::task::spawn_blocking(move || diary::render_pdf(&input, language, &font))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(internal)?;
    Ok(attachment(
        bytes,
        "application/pdf",
        format!("nhat-ky-{}.pdf", lot.code),
    ))
}
