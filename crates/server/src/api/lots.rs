//! Lots, their events, history with chain status, genealogy, batches and merges.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::DateTime;
use farm_log::draft::parse_draft;
use farm_log::{LotCode, Note, Quantity, Role};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::{
    AppendItem, AppendOutcome, Lot, LotAccess, LotHistory, LotLink, MergeInput, MergeRequest, NewLot, StoredEvent,
};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiPath, optional};
use crate::AppState;
use crate::access::{leader_of, may_append, may_log_kind, may_read_lot, member_of};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};

/// The cooperative's lots (members see lots on their plots).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots", tag = "lots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), responses((status = 200, description = "Lots", body = Value)))]
pub async fn list_lots(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Vec<Lot>>, AppError> {
    member_of(&principal, coop_id)?;
    let only = (principal.role == Role::Member).then_some(principal.member_id);
    Ok(Json(state.store.lots(coop_id, only).await?))
}

/// A new growing lot.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewLotRequest {
    /// Code: 1–20 of `A–Z a–z 0–9 . _ -`, unique in the cooperative.
    pub code: String,
    /// The product grown.
    pub product_id: i64,
    /// The plots it grows on.
    pub plot_ids: Vec<i64>,
}

/// Creates a lot (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/lots", tag = "lots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = NewLotRequest,
    responses((status = 201, description = "Created", body = Value), (status = 409, description = "Code already used"), (status = 422, description = "Invalid field")))]
pub async fn create_lot(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewLotRequest>,
) -> Result<(StatusCode, Json<Lot>), AppError> {
    leader_of(&principal, coop_id)?;
    let lot = NewLot {
        code: LotCode::parse(&request.code, "code")?,
        product_id: request.product_id,
        plot_ids: request.plot_ids,
    };
    Ok((StatusCode::CREATED, Json(state.store.create_lot(coop_id, lot).await?)))
}

async fn readable_lot(
    state: &AppState,
    principal: &store::Principal,
    coop_id: i64,
    code: &str,
) -> Result<Lot, AppError> {
    member_of(principal, coop_id)?;
    let lot = state.store.lot(coop_id, code).await?;
    may_read_lot(&state.store, principal, &lot.access()).await?;
    Ok(lot)
}

/// One lot.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}", tag = "lots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "The lot", body = Value), (status = 404, description = "No such lot")))]
pub async fn get_lot(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Json<Lot>, AppError> {
    Ok(Json(readable_lot(&state, &principal, coop_id, &code).await?))
}

/// A lot's events in chain order.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/events", tag = "events", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "Events", body = Value)))]
pub async fn list_events(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Json<Vec<StoredEvent>>, AppError> {
    readable_lot(&state, &principal, coop_id, &code).await?;
    Ok(Json(state.store.events(coop_id, &code).await?))
}

fn status_for(outcomes: &[AppendOutcome]) -> StatusCode {
    if outcomes.iter().any(AppendOutcome::is_created) {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    }
}

/// Appends one event. Body: `{ "id": uuid, "type": …, "occurred_at": "…+07:00", … }`. Re-sending
/// the same id and content answers 200 with the stored event; the same id with other content 409.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/events", tag = "events", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    request_body(content = Value, description = "An event draft: id, type, occurred_at with offset, optional note and location, and the type's fields"),
    responses((status = 201, description = "Stored", body = Value), (status = 200, description = "Already stored (idempotent re-send)", body = Value),
        (status = 409, description = "Id reused with different content"), (status = 422, description = "Breaks a rule; the field is named")))]
pub async fn append_event(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
    ApiJson(raw): ApiJson<Value>,
) -> Result<(StatusCode, Json<AppendOutcome>), AppError> {
    member_of(&principal, coop_id)?;
    let draft = parse_draft(&raw, "").map_err(AppError::Invalid)?;
    let lot = state.store.lot_access(coop_id, &code).await?;
    may_append(&state.store, &principal, &lot, draft.body.kind()).await?;
    let outcomes = state
        .store
        .append(&principal, vec![AppendItem { lot_code: code, draft }], false)
        .await?;
    let status = status_for(&outcomes);
    let outcome = outcomes
        .into_iter()
        .next()
        .ok_or_else(|| AppError::Internal("append returned nothing".into()))?;
    Ok((status, Json(outcome)))
}

/// A batch of events, stored all together or not at all. Each event carries its `lot_code`.
#[derive(Debug, Deserialize)]
pub struct BatchRequest {
    /// The events, in the order they should be chained.
    pub events: Vec<Value>,
}

/// The answer to a batch.
#[derive(Debug, Serialize)]
pub struct BatchResponse {
    /// One outcome per event, in order.
    pub events: Vec<AppendOutcome>,
}

/// The most events one batch may carry.
pub const MAX_BATCH: usize = 500;

/// Appends a batch atomically (offline sync). Errors name `events[i].field`.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/events/batch", tag = "events", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")),
    request_body(content = Value, description = "{ \"events\": [ { \"lot_code\": …, event draft … } ] }"),
    responses((status = 201, description = "Stored (some or all new)", body = Value), (status = 200, description = "All already stored", body = Value),
        (status = 409, description = "An id reused with different content"), (status = 422, description = "An event breaks a rule")))]
pub async fn append_batch(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<BatchRequest>,
) -> Result<(StatusCode, Json<BatchResponse>), AppError> {
    member_of(&principal, coop_id)?;
    if request.events.is_empty() || request.events.len() > MAX_BATCH {
        return Err(AppError::invalid(farm_log::FieldError::new(
            "events",
            "batch_size",
            format!("Mỗi lần gửi từ 1 đến {MAX_BATCH} sự kiện."),
            format!("Send between 1 and {MAX_BATCH} events per batch."),
        )));
    }
    let mut items = Vec::with_capacity(request.events.len());
    let mut errors = farm_log::ValidationErrors::default();
    for (i, raw) in request.events.iter().enumerate() {
        let prefix = format!("events[{i}]");
        let lot_code = raw.get("lot_code").and_then(Value::as_str).map(str::to_owned);
        match (lot_code, parse_draft(raw, &prefix)) {
            (Some(lot_code), Ok(draft)) => items.push(AppendItem { lot_code, draft }),
            (lot_code, draft) => {
                if lot_code.is_none() {
                    errors.push(farm_log::FieldError::new(
                        format!("{prefix}.lot_code"),
                        "required",
                        "Thiếu mã lô.",
                        "The lot code is missing.",
                    ));
                }
                if let Err(e) = draft {
                    errors.0.extend(e.0);
                }
            }
        }
    }
    if !errors.0.is_empty() {
        return Err(AppError::Invalid(errors));
    }
    // Only who may log on each lot is read here, once per lot however many of its events the
    // batch carries; the append reads and locks the lot itself.
    let mut lots: std::collections::HashMap<String, LotAccess> = std::collections::HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if let Some(lot) = lots.get(&item.lot_code) {
            may_log_kind(&principal, lot, item.draft.body.kind())?;
        } else {
            let lot = state
                .store
                .lot_access(coop_id, &item.lot_code)
                .await
                .map_err(|e| match e {
                    store::StoreError::NotFound { .. } => AppError::invalid(farm_log::FieldError::new(
                        format!("events[{i}].lot_code"),
                        "unknown_lot",
                        format!("Không có lô {} trong HTX.", item.lot_code),
                        format!("No lot {} in this cooperative.", item.lot_code),
                    )),
                    other => other.into(),
                })?;
            may_append(&state.store, &principal, &lot, item.draft.body.kind()).await?;
            lots.insert(item.lot_code.clone(), lot);
        }
    }
    let outcomes = state.store.append(&principal, items, true).await?;
    Ok((status_for(&outcomes), Json(BatchResponse { events: outcomes })))
}

/// A lot's history and whether its chain is intact (`intact`, or `altered` at event N).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/history", tag = "lots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "History with chain status", body = Value)))]
pub async fn lot_history(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Json<LotHistory>, AppError> {
    readable_lot(&state, &principal, coop_id, &code).await?;
    Ok(Json(state.store.history(coop_id, &code).await?))
}

/// A lot's parents and children.
#[derive(Debug, Serialize)]
pub struct Genealogy {
    /// The lot's code.
    pub lot_code: String,
    /// Lots it was made from.
    pub parents: Vec<LotLink>,
    /// Lots made from it.
    pub children: Vec<LotLink>,
}

/// A lot's genealogy, one step each way.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/genealogy", tag = "lots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    responses((status = 200, description = "Parents and children", body = Value)))]
pub async fn lot_genealogy(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
) -> Result<Json<Genealogy>, AppError> {
    let lot = readable_lot(&state, &principal, coop_id, &code).await?;
    Ok(Json(Genealogy {
        lot_code: lot.code,
        parents: lot.parents,
        children: lot.children,
    }))
}

/// One input of a merge.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeInputRequest {
    /// The input lot.
    pub lot_code: String,
    /// How much of it goes in, e.g. "500 kg".
    #[schema(value_type = String)]
    pub quantity: Quantity,
    /// Client-chosen id of the merging event on this lot.
    pub event_id: Uuid,
}

/// Several lots into one.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MergeRequestBody {
    /// The new lot's code.
    pub output_code: String,
    /// Its product (the first input's when absent).
    #[serde(default)]
    pub product_id: Option<i64>,
    /// When, with offset.
    pub occurred_at: String,
    /// Optional note.
    #[serde(default)]
    pub note: Option<String>,
    /// At least two lots.
    pub inputs: Vec<MergeInputRequest>,
}

/// Merges lots into a new lot (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/merges", tag = "lots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = MergeRequestBody,
    responses((status = 201, description = "The new lot", body = Value), (status = 422, description = "Invalid or more than a lot holds")))]
pub async fn merge_lots(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<MergeRequestBody>,
) -> Result<(StatusCode, Json<Lot>), AppError> {
    leader_of(&principal, coop_id)?;
    let occurred_at = DateTime::parse_from_rfc3339(request.occurred_at.trim()).map_err(|_| {
        farm_log::FieldError::new(
            "occurred_at",
            "invalid_datetime",
            "Cần ngày giờ kèm múi giờ, ví dụ 2026-08-10T07:30:00+07:00.",
            "A date-time with its offset is needed, e.g. 2026-08-10T07:30:00+07:00.",
        )
    })?;
    let inputs = request
        .inputs
        .iter()
        .enumerate()
        .map(|(i, input)| {
            Ok(MergeInput {
                lot_code: LotCode::parse(&input.lot_code, &format!("inputs[{i}].lot_code"))?,
                quantity: input.quantity,
                event_id: input.event_id,
            })
        })
        .collect::<Result<Vec<_>, farm_log::FieldError>>()?;
    let merge = MergeRequest {
        output_code: LotCode::parse(&request.output_code, "output_code")?,
        product_id: request.product_id,
        occurred_at,
        note: optional(request.note.as_deref(), |t| Note::parse(t, "note"))?,
        inputs,
    };
    let lot = state.store.merge(&principal, merge).await?;
    Ok((StatusCode::CREATED, Json(lot)))
}

/// What a leader says about an alteration of a lot's record.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AcknowledgeRequest {
    /// What happened, as far as the cooperative knows (e.g. "a technician edited the database
    /// by mistake on 02/12; the paper diary says 8 kg").
    pub explanation: String,
}

/// Acknowledges that a lot's stored diary was altered outside the application (leaders), so
/// that it can be logged on again: one `alteration_acknowledged` event naming exactly the stored
/// history the leader saw. Buyers are still told the record was changed. 409 when the record is
/// not altered (or its alteration is already acknowledged).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/lots/{code}/acknowledge-alteration", tag = "lots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("code" = String, Path, description = "Lot code")),
    request_body = AcknowledgeRequest,
    responses((status = 201, description = "The acknowledgement, as stored", body = Value),
        (status = 409, description = "Nothing to acknowledge"), (status = 422, description = "Invalid explanation")))]
pub async fn acknowledge_alteration(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, code)): ApiPath<(i64, String)>,
    ApiJson(request): ApiJson<AcknowledgeRequest>,
) -> Result<(StatusCode, Json<StoredEvent>), AppError> {
    leader_of(&principal, coop_id)?;
    let explanation = Note::parse(&request.explanation, "explanation")?;
    let event = state
        .store
        .acknowledge_alteration(&principal, &code, explanation)
        .await?;
    Ok((StatusCode::CREATED, Json(event)))
}
