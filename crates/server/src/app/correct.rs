//! Fixing a mistake from the app: a correction step on one of one's own recent entries (leaders:
//! any entry). The original stays in the history and in the chain, as the chain requires; the
//! correction says what it should have said, or voids it, with the reason. Forms and defaults
//! read entries as corrected, so the next step starts from the right amount.

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use farm_log::{EventKind, LotState};
use serde_json::{Value, json};
use store::{AppendItem, StoreError};

use super::farmer::{self, Correcting, Shown, StepForm, StepInput};
use super::{Ctx, Failure, PageError, Signed, refused};
use crate::access::may_read_lot;
use crate::web::i18n::fill;

/// The entry to correct, as it stands now, and the form's context.
async fn target(ctx: &Ctx, code: &str, event_id: &str) -> Result<(farmer::Step, farm_log::Event), PageError> {
    let principal = ctx.principal()?.clone();
    let store = &ctx.state.store;
    let lot = farmer::own_lot(ctx, code).await?;
    may_read_lot(store, &principal, &lot.access())
        .await
        .map_err(|e| refused(ctx, e))?;
    let history = store
        .history(principal.cooperative_id, &lot.code)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let events: Vec<farm_log::Event> = history.events.into_iter().map(|e| e.event).collect();
    if !events.iter().any(|e| e.id.to_string() == event_id) {
        return Err(ctx.error(Failure::NotFound));
    }
    let m = ctx.m();
    let state = LotState::from_events(lot.initial_quantity, events);
    let Some(entry) = state
        .effective_events()
        .into_iter()
        .find(|e| e.id.to_string() == event_id)
    else {
        return Err(ctx.error(Failure::Invalid(m.already_voided.clone())));
    };
    if !farmer::may_correct(&principal, &entry) {
        return Err(ctx.error(Failure::Forbidden(fill(
            &m.cannot_correct,
            &[("days", &farmer::CORRECTABLE_DAYS.to_string())],
        ))));
    }
    let step = farmer::step_on(ctx, lot, entry.body.kind(), EventKind::Correction).await?;
    Ok((step, entry))
}

fn correcting(ctx: &Ctx, step: &farmer::Step, entry: &farm_log::Event) -> Correcting {
    Correcting {
        summary: farmer::summary(&entry.body, ctx.words(), ctx.lang),
        when: farm_log::validate::show_datetime(&entry.occurred_at),
        action: ctx.href(&format!(
            "/lo/{}/sua/{}",
            super::encode_component(&step.lot().code),
            entry.id
        )),
    }
}

/// `GET /app/lo/{code}/sua/{event}`: the entry's form, filled with what it says now.
pub async fn form(Signed(ctx): Signed, Path((code, event_id)): Path<(String, String)>) -> Result<Response, PageError> {
    let (step, entry) = target(&ctx, &code, &event_id).await?;
    let mut form = StepForm {
        id: uuid::Uuid::now_v7().to_string(),
        ..StepForm::default()
    };
    farmer::fill_from(&mut form, &entry.body, ctx.lang);
    let fix = correcting(&ctx, &step, &entry);
    Ok(farmer::render_step(&ctx, &step, form, Shown::fresh(), Some(fix)).await)
}

/// `POST /app/lo/{code}/sua/{event}`: appends the correction, then back to the lot.
pub async fn submit(
    Signed(ctx): Signed,
    Path((code, event_id)): Path<(String, String)>,
    StepInput { form, .. }: StepInput,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let (step, entry) = target(&ctx, &code, &event_id).await?;
    let principal = ctx.principal()?.clone();
    let m = ctx.m();
    let replacement = (form.void != "1").then(|| {
        let mut body = farmer::draft_json(step.kind, &form, ctx.lang);
        if let Value::Object(fields) = &mut body {
            for key in ["id", "occurred_at", "note", "photos"] {
                fields.remove(key);
            }
        }
        body
    });
    let mut draft = json!({
        "id": form.id.trim(),
        "type": "correction",
        "occurred_at": store::now().to_rfc3339(),
        "corrects": entry.id.to_string(),
        "reason": form.reason.trim(),
    });
    if let (Some(replacement), Value::Object(fields)) = (replacement, &mut draft) {
        fields.insert("replacement".into(), replacement);
    }
    let fix = correcting(&ctx, &step, &entry);
    let again = |status: StatusCode, errors: &[farm_log::FieldError], form: StepForm, fix: Correcting| {
        let (messages, fields) = farmer::explain(&ctx, errors);
        let shown = Shown {
            status,
            errors: messages,
            invalid: fields,
            confirm: false,
            fresh: false,
        };
        farmer::render_step(&ctx, &step, form, shown, Some(fix))
    };
    let draft = match farm_log::draft::parse_draft(&draft, "") {
        Ok(draft) => draft,
        Err(errors) => return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, &errors.0, form, fix).await),
    };
    let stored = ctx
        .state
        .store
        .append(
            &principal,
            vec![AppendItem {
                lot_code: step.lot().code.clone(),
                draft,
            }],
            false,
        )
        .await;
    let outcome = match stored {
        Ok(mut outcomes) => outcomes.pop(),
        Err(StoreError::Invalid(errors)) => {
            return Ok(again(StatusCode::UNPROCESSABLE_ENTITY, &errors.0, form, fix).await);
        }
        Err(StoreError::Conflict {
            field,
            message,
            message_vi,
        }) => {
            let error = farm_log::FieldError::new(field, "conflict", message_vi, message);
            let fresh = StepForm {
                id: uuid::Uuid::now_v7().to_string(),
                ..form
            };
            return Ok(again(StatusCode::CONFLICT, &[error], fresh, fix).await);
        }
        Err(error) => return Err(ctx.error(Failure::Store(error))),
    };
    let message = if form.void == "1" {
        fill(&m.correction_voided, &[("what", &fix.summary)])
    } else {
        fill(&m.correction_saved, &[("what", &fix.summary)])
    };
    let lot_path = format!("/lo/{}", super::encode_component(&step.lot().code));
    Ok(farmer::saved(&ctx, message, outcome.as_ref(), &lot_path).await)
}
