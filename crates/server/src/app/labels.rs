//! Issuing and printing QR labels from the leader's phone or laptop, in three screens: the lot
//! page's "In tem QR" → how many and what pack size → the batch with its print files.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::DateTime;
use farm_log::Quantity;
use farm_log::validate::show_datetime;
use serde::Deserialize;
use store::{IssueRequest, StoreError};

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Signed, refused};
use crate::access::leader_of;
use crate::web::i18n::{PageLang, fill};

fn leader(ctx: &Ctx) -> Result<store::Principal, PageError> {
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    Ok(principal)
}

fn when(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .map(|t| show_datetime(&t))
        .unwrap_or_else(|_| text.to_owned())
}

struct BatchLine {
    href: String,
    summary: String,
}

#[derive(Template)]
#[template(path = "app/labels.html")]
struct LabelsPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    action: String,
    back: String,
    count: String,
    pack_size: String,
    batches: Vec<BatchLine>,
    errors: Vec<String>,
    /// Asked for once the lot turned out to be past its use-by date: a leader's reason to
    /// print anyway (recorded in the lot's diary).
    past_use_by_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct IssueForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    count: String,
    #[serde(default)]
    pack_size: String,
    /// Present once the form asked for it.
    #[serde(default)]
    past_use_by_reason: Option<String>,
}

fn lot_path(code: &str) -> String {
    format!("/lo/{}", super::encode_component(code))
}

async fn render_form(
    ctx: &Ctx,
    code: &str,
    status: StatusCode,
    form: &IssueForm,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = leader(ctx)?;
    let lot = super::farmer::own_lot(ctx, code).await?;
    let records = ctx
        .state
        .store
        .label_batches(principal.cooperative_id, &lot.code)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let m = ctx.m();
    let batches = records
        .iter()
        .map(|r| BatchLine {
            href: ctx.href(&format!("{}/tem/{}", lot_path(&lot.code), r.batch_id)),
            summary: fill(
                &m.batch_summary,
                &[
                    ("count", &r.count.to_string()),
                    ("pack", &r.pack_size),
                    ("at", &when(&r.issued_at)),
                ],
            ),
        })
        .collect();
    let page = LabelsPage {
        c: ctx.chrome(fill(&m.labels_title, &[("lot", &lot.code)])).await,
        m,
        heading: fill(&m.labels_title, &[("lot", &lot.code)]),
        action: ctx.href(&format!("{}/tem", lot_path(&lot.code))),
        back: ctx.href(&lot_path(&lot.code)),
        count: if form.count.is_empty() {
            "24".into()
        } else {
            form.count.clone()
        },
        pack_size: if form.pack_size.is_empty() {
            "1 kg".into()
        } else {
            form.pack_size.clone()
        },
        batches,
        errors,
        past_use_by_reason: form.past_use_by_reason.clone(),
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/lo/{code}/tem`: how many labels, what pack size, and the batches printed before.
pub async fn form(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    render_form(&ctx, &code, StatusCode::OK, &IssueForm::default(), vec![]).await
}

fn say(lang: PageLang, e: &farm_log::FieldError) -> String {
    match lang {
        PageLang::Vi => e.message_vi.clone(),
        PageLang::En => e.message_en.clone(),
    }
}

/// `POST /app/lo/{code}/tem`: issues and signs the batch, then shows its print files.
pub async fn issue(
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Form(form): Form<IssueForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let principal = leader(&ctx)?;
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    let m = ctx.m();
    let count = form.count.trim().parse::<u32>();
    let pack_size = Quantity::parse(&form.pack_size, None, "pack_size");
    let (count, pack_size) = match (count, pack_size) {
        (Ok(count), Ok(pack_size)) => (count, pack_size),
        (count, pack_size) => {
            let mut errors = vec![];
            if count.is_err() {
                errors.push(format!("{}: {}", m.label_count, form.count));
            }
            if let Err(e) = pack_size {
                errors.push(say(ctx.lang, &e));
            }
            return render_form(&ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await;
        }
    };
    let past_use_by_reason = match form.past_use_by_reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => match farm_log::Note::parse(reason, "past_use_by_reason") {
            Ok(reason) => Some(reason),
            Err(e) => {
                let errors = vec![say(ctx.lang, &e)];
                return render_form(&ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await;
            }
        },
        _ => None,
    };
    let issued = ctx
        .state
        .store
        .issue_labels(
            &principal,
            IssueRequest {
                lot_code: lot.code.clone(),
                count,
                pack_size,
                base_url: ctx.state.labels.base_url.clone(),
                past_use_by_reason,
            },
        )
        .await;
    match issued {
        Ok(batch) => {
            let record = &batch.signed.record;
            ctx.flash(fill(&m.labels_issued, &[("count", &record.count.to_string())]))
                .await;
            Ok(ctx.see_other(&format!("{}/tem/{}", lot_path(&lot.code), record.batch_id)))
        }
        Err(StoreError::Invalid(list)) => {
            let errors = list.0.iter().map(|e| say(ctx.lang, e)).collect();
            let mut form = form;
            if list.0.iter().any(|e| e.code == "past_use_by") {
                form.past_use_by_reason.get_or_insert_with(String::new);
            }
            render_form(&ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, &form, errors).await
        }
        Err(error) => Err(ctx.error(Failure::Store(error))),
    }
}

#[derive(Template)]
#[template(path = "app/batch.html")]
struct BatchPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    summary: String,
    sheet_action: String,
    zip_png: String,
    zip_svg: String,
    first_label: Option<String>,
    back: String,
}

/// `GET /app/lo/{code}/tem/{batch_id}`: the batch's print files.
pub async fn batch(Signed(ctx): Signed, Path((code, batch_id)): Path<(String, String)>) -> Result<Response, PageError> {
    let principal = leader(&ctx)?;
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    let batch = own_batch(&ctx, principal.cooperative_id, &batch_id).await?;
    let record = &batch.signed.record;
    if record.lot_code.as_ref() != lot.code {
        return Err(ctx.error(Failure::NotFound));
    }
    let m = ctx.m();
    let files = ctx.href(&format!("/tem/{}", record.batch_id));
    let page = BatchPage {
        c: ctx.chrome(fill(&m.batch_title, &[("batch", &record.batch_id)])).await,
        m,
        heading: fill(&m.batch_title, &[("batch", &record.batch_id)]),
        summary: fill(
            &m.batch_summary,
            &[
                ("count", &record.count.to_string()),
                ("pack", &record.pack_size),
                ("at", &when(&record.issued_at)),
            ],
        ),
        sheet_action: format!("{files}/tem.pdf"),
        zip_png: format!("{files}/tem.zip?format=png"),
        zip_svg: format!("{files}/tem.zip?format=svg"),
        first_label: batch.labels.first().map(|l| l.url.clone()),
        back: ctx.href(&lot_path(&lot.code)),
    };
    Ok(ctx.page(StatusCode::OK, page.render()))
}

#[derive(Debug, Deserialize)]
pub struct SheetQuery {
    #[serde(default)]
    layout: Option<String>,
}

/// `GET /app/tem/{batch_id}/tem.pdf?layout=`.
pub async fn sheet(
    Signed(ctx): Signed,
    Path(batch_id): Path<String>,
    Query(query): Query<SheetQuery>,
) -> Result<Response, PageError> {
    let principal = leader(&ctx)?;
    own_batch(&ctx, principal.cooperative_id, &batch_id).await?;
    let pdf = crate::api::sheet_pdf(&ctx.state, principal.cooperative_id, &batch_id, query.layout.as_deref())
        .await
        .map_err(|e| refused(&ctx, e))?;
    Ok(crate::api::attachment(
        pdf,
        "application/pdf",
        format!("tem-{batch_id}.pdf"),
    ))
}

#[derive(Debug, Deserialize)]
pub struct ZipQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /app/tem/{batch_id}/tem.zip?format=png|svg`.
pub async fn zip(
    Signed(ctx): Signed,
    Path(batch_id): Path<String>,
    Query(query): Query<ZipQuery>,
) -> Result<Response, PageError> {
    let principal = leader(&ctx)?;
    own_batch(&ctx, principal.cooperative_id, &batch_id).await?;
    let zip = crate::api::qr_zip(&ctx.state, principal.cooperative_id, &batch_id, query.format.as_deref())
        .await
        .map_err(|e| refused(&ctx, e))?;
    Ok(crate::api::attachment(
        zip,
        "application/zip",
        format!("tem-{batch_id}.zip"),
    ))
}

/// A label batch of the cooperative (another cooperative's is 403).
async fn own_batch(ctx: &Ctx, cooperative_id: i64, batch_id: &str) -> Result<store::LabelBatch, PageError> {
    let store = &ctx.state.store;
    match store.label_batch(cooperative_id, batch_id).await {
        Ok(batch) => Ok(batch),
        Err(error) => Err(super::not_here(ctx, error, store.label_batch_elsewhere(cooperative_id, batch_id)).await),
    }
}
