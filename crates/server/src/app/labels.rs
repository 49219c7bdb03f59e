//! Issuing and printing QR labels from the leader's phone or laptop, in three screens: the lot
//! page's "In tem QR" → how many and what pack size (filled from how the lot was packed; counts
//! read as typed, "1.100" is eleven hundred) → the batch, titled by product, lot and date, with
//! its print files: A4 sheets, the thermal rolls common in Vietnam (40×30, 50×30, 60×40 mm), and
//! a calibration page to line the printer up first.

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

/// A batch's pack size in words ("500 g", not "500 GRM").
fn pack_words(record_pack: &str, lang: PageLang) -> String {
    Quantity::parse(record_pack, None, "pack_size")
        .map(|q| super::amounts::quantity(&q, lang))
        .unwrap_or_else(|_| record_pack.to_owned())
}

/// The sheet layouts offered: (value, words, whether it is a thermal roll with a calibration
/// page).
pub(super) fn layouts(m: &AppMessages) -> Vec<(&'static str, String, bool)> {
    vec![
        ("3x8", m.layout_a4_24.clone(), false),
        ("4x10", m.layout_a4_40.clone(), false),
        ("5x13", m.layout_a4_65.clone(), false),
        ("40x30mm", fill(&m.layout_thermal, &[("size", "40×30")]), true),
        ("50x30mm", fill(&m.layout_thermal, &[("size", "50×30")]), true),
        ("60x40mm", fill(&m.layout_thermal, &[("size", "60×40")]), true),
    ]
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
    /// How the lot was packed in the app, when it was: "200 túi 500 g".
    packed_as: Option<String>,
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
    let pack = ctx
        .state
        .store
        .lot_pack(principal.cooperative_id, &lot.code)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let batches = records
        .iter()
        .map(|r| BatchLine {
            href: ctx.href(&format!("{}/tem/{}", lot_path(&lot.code), r.batch_id)),
            summary: fill(
                &m.batch_summary,
                &[
                    ("count", &super::amounts::number(r.count.into(), ctx.lang)),
                    ("pack", &pack_words(&r.pack_size, ctx.lang)),
                    ("at", &when(&r.issued_at)),
                ],
            ),
        })
        .collect();
    let typed_size = |q: &Quantity| {
        format!(
            "{} {}",
            match ctx.lang {
                PageLang::Vi => farm_log::quantity::editable_number_vi(q.value),
                PageLang::En => q.value.normalize().to_string(),
            },
            super::amounts::unit_name(q.unit, ctx.lang)
        )
    };
    let page = LabelsPage {
        c: ctx.chrome(fill(&m.labels_title, &[("lot", &lot.code)])).await,
        m,
        heading: fill(&m.labels_title, &[("lot", &lot.code)]),
        action: ctx.href(&format!("{}/tem", lot_path(&lot.code))),
        back: ctx.href(&lot_path(&lot.code)),
        count: match (&pack, form.count.is_empty()) {
            (_, false) => form.count.clone(),
            (Some(pack), true) if records.is_empty() => super::amounts::number(pack.packs.into(), ctx.lang),
            _ => "24".into(),
        },
        pack_size: match (&pack, form.pack_size.is_empty()) {
            (_, false) => form.pack_size.clone(),
            (Some(pack), true) => typed_size(&pack.pack_size),
            (None, true) => "1 kg".into(),
        },
        packed_as: pack.as_ref().map(|p| {
            fill(
                &m.packed_as,
                &[
                    ("packs", &super::season::pack_words(p, ctx.lang, m)),
                    ("label", &super::season::label_words(p, ctx.lang, m)),
                ],
            )
        }),
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
    // "1.100" is eleven hundred, as Vietnamese write it.
    let count = super::season::typed_count(&form.count, ctx.lang)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or(());
    let pack_size = super::amounts::typed_quantity(&form.pack_size, None, ctx.lang, "pack_size");
    let (count, pack_size) = match (count, pack_size) {
        (Ok(count), Ok(pack_size)) => (count, pack_size),
        (count, pack_size) => {
            let mut errors = vec![];
            if count.is_err() {
                errors.push(fill(&m.label_count_invalid, &[("count", form.count.trim())]));
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
            ctx.flash(fill(
                &m.labels_issued,
                &[("count", &super::amounts::number(record.count.into(), ctx.lang))],
            ))
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
    calibration: String,
    layouts: Vec<(&'static str, String, bool)>,
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
    let pack = ctx
        .state
        .store
        .lot_pack(principal.cooperative_id, &lot.code)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let day = DateTime::parse_from_rfc3339(&record.issued_at)
        .map(|t| farm_log::validate::show_date(&t))
        .unwrap_or_default();
    // "Cải ngọt · lô CN-2609-01-A · 06/12/2026": what the leader printed, not an id.
    let heading = fill(
        &m.batch_title,
        &[
            ("product", &record.product_name),
            ("lot", record.lot_code.as_ref()),
            ("date", &day),
        ],
    );
    let pack_text = match &pack {
        Some(pack) => super::season::label_words(pack, ctx.lang, m),
        None => pack_words(&record.pack_size, ctx.lang),
    };
    let page = BatchPage {
        c: ctx.chrome(heading.clone()).await,
        m,
        heading,
        summary: fill(
            &m.batch_summary,
            &[
                ("count", &super::amounts::number(record.count.into(), ctx.lang)),
                ("pack", &pack_text),
                ("at", &when(&record.issued_at)),
            ],
        ),
        sheet_action: format!("{files}/tem.pdf"),
        calibration: ctx.href("/tem/can-chinh.pdf"),
        layouts: layouts(m),
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

/// `GET /app/tem/can-chinh.pdf?layout=40x30mm`: a calibration page to line the printer up.
pub async fn calibration(Signed(ctx): Signed, Query(query): Query<SheetQuery>) -> Result<Response, PageError> {
    leader(&ctx)?;
    let layout = label::SheetLayout::parse(query.layout.as_deref().unwrap_or("50x30mm"))
        .map_err(|e| ctx.error(Failure::Invalid(e.to_string())))?;
    let font = ctx
        .state
        .labels
        .font
        .clone()
        .map_err(|why| ctx.error(Failure::Unavailable(why)))?;
    let pdf = tokio::task::spawn_blocking(move || label::calibration_pdf(&layout, &font))
        .await
        .map_err(|e| ctx.error(Failure::Unavailable(e.to_string())))?
        .map_err(|e| ctx.error(Failure::Invalid(e.to_string())))?;
    Ok(crate::api::attachment(
        pdf,
        "application/pdf",
        "can-chinh-may-in.pdf".to_owned(),
    ))
}
