//! The farmer's screens: home (my plots, my lots), a lot with its diary and the big "what did
//! you just do?" buttons, and one short form per kind of step, filled in from what this farmer
//! did last time so a typical step is a few taps and the amount.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::{Duration, NaiveDateTime, TimeZone};
use farm_log::validate::show_date;
use farm_log::{EventBody, EventKind, InputKind, LotStatus, Role, Unit, VIETNAM_OFFSET};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use store::{AppendItem, AppendOutcome, InputProduct, Lot, StoreError};

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Signed, SyncMode, refused};
use crate::access::{leader_only_kind, may_append, may_read_lot};
use crate::web::i18n::{Messages, PageLang, fill};
use crate::web::view::{EntryView, entries};

/// The kinds a farmer logs from the phone, in the order of a season.
pub const FARM_KINDS: [EventKind; 6] = [
    EventKind::Seeding,
    EventKind::Fertilizing,
    EventKind::Spraying,
    EventKind::Irrigation,
    EventKind::Observation,
    EventKind::Harvest,
];

fn kind_slug(kind: EventKind) -> &'static str {
    kind.as_str()
}

fn kind_from_slug(slug: &str) -> Option<EventKind> {
    FARM_KINDS.into_iter().find(|k| k.as_str() == slug)
}

fn store_failure(ctx: &Ctx) -> impl Fn(StoreError) -> PageError + '_ {
    move |error| match error {
        StoreError::NotFound { .. } => ctx.error(Failure::NotFound),
        other => ctx.error(Failure::Store(other)),
    }
}

/// A lot of the signed-in member's cooperative (another cooperative's is 403).
pub(super) async fn own_lot(ctx: &Ctx, code: &str) -> Result<Lot, PageError> {
    let principal = ctx.principal()?;
    let store = &ctx.state.store;
    match store.lot(principal.cooperative_id, code).await {
        Ok(lot) => Ok(lot),
        Err(error) => Err(super::not_here(ctx, error, store.lot_code_elsewhere(principal.cooperative_id, code)).await),
    }
}

struct LotCard {
    code: String,
    href: String,
    product: String,
    plots: String,
    status: String,
    status_class: &'static str,
}

struct PlotLine {
    name: String,
    detail: String,
}

#[derive(Template)]
#[template(path = "app/home.html")]
struct HomePage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    hello: String,
    plots: Vec<PlotLine>,
    open: Vec<LotCard>,
    done: Vec<LotCard>,
    new_lot_href: Option<String>,
    manage: Vec<(String, String)>,
}

fn is_open(status: LotStatus) -> bool {
    matches!(status, LotStatus::Growing | LotStatus::Harvested)
}

/// `GET /app`: my plots and my lots as big cards.
pub async fn home(Signed(ctx): Signed) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    let store = &ctx.state.store;
    let fail = store_failure(&ctx);
    let m = ctx.m();
    let words = ctx.words();
    let only_mine = (principal.role == Role::Member).then_some(principal.member_id);
    let lots = store.lots(principal.cooperative_id, only_mine).await.map_err(&fail)?;
    let plots = store.plots(principal.cooperative_id).await.map_err(&fail)?;
    let products = store.products(principal.cooperative_id).await.map_err(&fail)?;
    let card = |lot: &Lot| LotCard {
        code: lot.code.clone(),
        href: ctx.href(&format!("/lo/{}", super::encode_component(&lot.code))),
        product: products
            .iter()
            .find(|p| p.id == lot.product_id)
            .map(|p| p.name.clone())
            .unwrap_or_default(),
        plots: super::plot_names(&plots, &lot.plot_ids),
        status: words.status(lot.status),
        status_class: lot.status.as_str(),
    };
    let (open, done): (Vec<&Lot>, Vec<&Lot>) = lots.iter().partition(|lot| is_open(lot.status));
    let mut open: Vec<&Lot> = open;
    // Newest first: the lot being worked on now is at the top.
    open.sort_by(|a, b| b.created_at.cmp(&a.created_at));
    let my_plots = plots
        .iter()
        .filter(|plot| principal.role != Role::Member || plot.member_ids.contains(&principal.member_id))
        .map(|plot| PlotLine {
            name: plot.name.clone(),
            detail: format!("{} · {}", plot.area_display, plot.commune),
        })
        .collect();
    let page = HomePage {
        c: ctx.chrome(m.app_name.clone()).await,
        m,
        hello: fill(&m.hello, &[("name", &principal.name)]),
        new_lot_href: (principal.role == Role::Leader).then(|| ctx.href("/lo-moi")),
        manage: if principal.role == Role::Member {
            vec![]
        } else {
            let mut links = vec![(m.members_title.clone(), ctx.href("/thanh-vien"))];
            links.extend(super::registry::links(&ctx));
            links
        },
        plots: my_plots,
        open: open.into_iter().map(card).collect(),
        done: done.into_iter().map(card).collect(),
    };
    Ok(ctx.page(StatusCode::OK, page.render()))
}

struct KindButton {
    href: String,
    label: String,
    class: &'static str,
}

#[derive(Template)]
#[template(path = "app/lot.html")]
struct LotPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    code: String,
    product: String,
    status: String,
    buttons: Vec<KindButton>,
    read_only: bool,
    entries: Vec<EntryView>,
    csv_href: String,
    pdf_href: String,
    recall_action: Option<String>,
    labels_href: Option<String>,
    /// Lots it was made from, and lots made from it: (link, code, quantity).
    parents: Vec<(String, String, String)>,
    children: Vec<(String, String, String)>,
}

/// Which of the farm kinds this person may log on this lot now.
fn loggable(role: Role, status: LotStatus) -> Vec<EventKind> {
    if role == Role::Inspector || !is_open(status) {
        return vec![];
    }
    FARM_KINDS
        .into_iter()
        .filter(|kind| role == Role::Leader || !leader_only_kind(*kind))
        .filter(|kind| status == LotStatus::Growing || *kind == EventKind::Observation || *kind == EventKind::Harvest)
        .collect()
}

/// `GET /app/lo/{code}`: the lot's diary and what can be logged on it.
pub async fn lot(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    let store = &ctx.state.store;
    let fail = store_failure(&ctx);
    let lot = own_lot(&ctx, &code).await?;
    may_read_lot(store, &principal, &lot)
        .await
        .map_err(|e| refused(&ctx, e))?;
    let history = store.history(principal.cooperative_id, &code).await.map_err(&fail)?;
    let product = store
        .product(principal.cooperative_id, lot.product_id)
        .await
        .map_err(&fail)?;
    let m = ctx.m();
    let words = ctx.words();
    let events: Vec<farm_log::Event> = history.events.into_iter().map(|e| e.event).collect();
    let mut timeline = entries(&events, words, None, &ctx.prefix);
    timeline.reverse();
    let buttons: Vec<KindButton> = loggable(principal.role, lot.status)
        .into_iter()
        .map(|kind| KindButton {
            href: ctx.href(&format!(
                "/lo/{}/ghi/{}",
                super::encode_component(&lot.code),
                kind_slug(kind)
            )),
            label: words.kind(kind),
            class: kind.as_str(),
        })
        .collect();
    let base = ctx.href(&format!("/lo/{}", super::encode_component(&lot.code)));
    let page = LotPage {
        csv_href: format!("{base}/nhat-ky.csv"),
        pdf_href: format!("{base}/nhat-ky.pdf"),
        labels_href: (principal.role == Role::Leader && lot.status == LotStatus::Packed).then(|| format!("{base}/tem")),
        parents: genealogy(&ctx, &lot.parents, words),
        children: genealogy(&ctx, &lot.children, words),
        recall_action: (principal.role == Role::Leader && lot.status != LotStatus::Recalled)
            .then(|| format!("{base}/thu-hoi")),
        c: ctx.chrome(format!("{} · {}", lot.code, product.name)).await,
        m,
        read_only: buttons.is_empty(),
        code: lot.code.clone(),
        product: product.name,
        status: words.status(lot.status),
        buttons,
        entries: timeline,
    };
    Ok(ctx.page(StatusCode::OK, page.render()))
}

/// A lot's links to the lots it was made from or that were made from it.
fn genealogy(ctx: &Ctx, links: &[store::LotLink], words: &Messages) -> Vec<(String, String, String)> {
    links
        .iter()
        .map(|l| {
            (
                ctx.href(&format!("/lo/{}", super::encode_component(&l.lot_code))),
                l.lot_code.clone(),
                words.quantity(&l.quantity),
            )
        })
        .collect()
}

/// The values a form shows: what was sent, or the defaults.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct StepForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    occurred_at: String,
    #[serde(default)]
    input_product_id: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    method: String,
    #[serde(default)]
    target_pest: String,
    #[serde(default)]
    seed_source: String,
    #[serde(default)]
    variety: String,
    #[serde(default)]
    seed_lot: String,
    #[serde(default)]
    water_source: String,
    #[serde(default)]
    subject: String,
    #[serde(default)]
    override_reason: String,
    #[serde(default)]
    note: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "app/step.html")]
struct StepPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    kind: &'static str,
    action: String,
    back: String,
    form: StepForm,
    inputs: Vec<Choice>,
    input_label: String,
    units: Vec<Choice>,
    amount_label: String,
    earliest_harvest: Option<String>,
    leader: bool,
    errors: Vec<String>,
    invalid: Vec<String>,
}

impl StepPage<'_> {
    fn is_invalid(&self, field: &str) -> bool {
        self.invalid.iter().any(|f| f == field)
    }
}

/// The unit choices for a kind's amount, the form's unit first.
fn unit_choices(kind: EventKind, chosen: &str, lang: PageLang) -> Vec<Choice> {
    let units: &[Unit] = match kind {
        EventKind::Spraying => &[Unit::Millilitre, Unit::Litre, Unit::Gram, Unit::Kilogram],
        EventKind::Irrigation => &[Unit::Litre],
        EventKind::Seeding => &[Unit::Kilogram, Unit::Gram, Unit::Piece],
        EventKind::Harvest => &[Unit::Kilogram, Unit::Decitonne, Unit::Tonne, Unit::Piece],
        _ => &[
            Unit::Kilogram,
            Unit::Decitonne,
            Unit::Gram,
            Unit::Litre,
            Unit::Millilitre,
        ],
    };
    units
        .iter()
        .map(|unit| Choice {
            value: unit.code().to_owned(),
            label: match lang {
                PageLang::Vi => unit.name_vi().to_owned(),
                PageLang::En => unit.name_en().to_owned(),
            },
            selected: unit.code() == chosen,
        })
        .collect()
}

/// The registry's usable products of the kind a step needs (banned ones are never offered).
fn input_choices(inputs: &[InputProduct], kind: EventKind, chosen: &str, m: &AppMessages) -> Vec<Choice> {
    let wanted = match kind {
        EventKind::Fertilizing => InputKind::Fertilizer,
        EventKind::Spraying => InputKind::Pesticide,
        _ => return vec![],
    };
    inputs
        .iter()
        .filter(|input| input.kind == wanted && input.banned_ingredients.is_empty())
        .map(|input| {
            let phi = match (kind, input.phi_days) {
                (EventKind::Spraying, Some(days)) => format!(" ({})", fill(&m.phi_days, &[("n", &days.to_string())])),
                (EventKind::Spraying, None) => format!(" ({})", m.no_phi),
                _ => String::new(),
            };
            Choice {
                value: input.id.to_string(),
                label: format!("{}{phi}", input.trade_name),
                selected: input.id.to_string() == chosen,
            }
        })
        .collect()
}

fn now_local() -> String {
    store::now().format("%Y-%m-%dT%H:%M").to_string()
}

/// Starts a form from what this farmer did last time: the same product, amount and unit.
async fn defaults(ctx: &Ctx, kind: EventKind) -> Result<StepForm, PageError> {
    let principal = ctx.principal()?;
    let last = ctx
        .state
        .store
        .last_event_by(principal.member_id, kind)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let mut form = StepForm {
        id: uuid::Uuid::now_v7().to_string(),
        occurred_at: now_local(),
        unit: match kind {
            EventKind::Spraying => "MLT",
            EventKind::Irrigation => "LTR",
            _ => "KGM",
        }
        .to_owned(),
        ..StepForm::default()
    };
    let Some(last) = last else { return Ok(form) };
    let lang = ctx.lang;
    let mut amount = |q: &farm_log::Quantity| {
        // Shown as the farmer would type it, so that sending it unchanged keeps it.
        form.amount = match lang {
            PageLang::Vi => farm_log::quantity::editable_number_vi(q.value),
            PageLang::En => q.value.normalize().to_string(),
        };
        form.unit = q.unit.code().to_owned();
    };
    match &last.body {
        EventBody::Fertilizing {
            input,
            amount: a,
            method,
        } => {
            amount(a);
            form.input_product_id = input.input_product_id.to_string();
            form.method = method.as_ref().map(|t| t.to_string()).unwrap_or_default();
        }
        EventBody::Spraying {
            input,
            dose,
            target_pest,
            ..
        } => {
            amount(dose);
            form.input_product_id = input.input_product_id.to_string();
            form.target_pest = target_pest.as_ref().map(|t| t.to_string()).unwrap_or_default();
        }
        EventBody::Seeding {
            seed_source,
            variety,
            quantity,
            ..
        } => {
            amount(quantity);
            form.seed_source = seed_source.to_string();
            form.variety = variety.as_ref().map(|t| t.to_string()).unwrap_or_default();
        }
        EventBody::Irrigation {
            method, water_source, ..
        } => {
            form.method = method.as_ref().map(|t| t.to_string()).unwrap_or_default();
            form.water_source = water_source.as_ref().map(|t| t.to_string()).unwrap_or_default();
        }
        // A harvest's quantity or what was seen differs every time: nothing to carry over.
        _ => {}
    }
    Ok(form)
}

/// The earliest harvest day a spraying now with this product implies.
fn earliest_harvest(inputs: &[InputProduct], chosen: &str, from: &str, m: &AppMessages) -> Option<String> {
    let input = inputs.iter().find(|i| i.id.to_string() == chosen)?;
    let days = input.phi_days?;
    let sprayed = NaiveDateTime::parse_from_str(from, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| VIETNAM_OFFSET.from_local_datetime(&t).single())
        .unwrap_or_else(store::now);
    let day = sprayed + Duration::days(i64::from(days));
    Some(fill(&m.earliest_harvest, &[("date", &show_date(&day))]))
}

struct Step {
    lot: Lot,
    kind: EventKind,
    inputs: Vec<InputProduct>,
}

async fn step(ctx: &Ctx, code: &str, slug: &str) -> Result<Step, PageError> {
    let principal = ctx.principal()?;
    let kind = kind_from_slug(slug).ok_or_else(|| ctx.error(Failure::NotFound))?;
    let store = &ctx.state.store;
    let fail = store_failure(ctx);
    let lot = own_lot(ctx, code).await?;
    may_append(store, principal, &lot, kind)
        .await
        .map_err(|e| refused(ctx, e))?;
    let inputs = match kind {
        EventKind::Fertilizing | EventKind::Spraying => {
            store.input_products(principal.cooperative_id).await.map_err(&fail)?
        }
        _ => vec![],
    };
    Ok(Step { lot, kind, inputs })
}

async fn render_step(
    ctx: &Ctx,
    step: &Step,
    form: StepForm,
    status: StatusCode,
    errors: Vec<String>,
    invalid: Vec<String>,
) -> Response {
    let m = ctx.m();
    let words = ctx.words();
    let kind = step.kind;
    let mut form = form;
    let inputs = input_choices(&step.inputs, kind, &form.input_product_id, m);
    // With no product chosen yet, the first one is (a select shows its first option).
    if !inputs.iter().any(|c| c.selected)
        && let Some(first) = inputs.first()
    {
        form.input_product_id = first.value.clone();
    }
    let earliest = (kind == EventKind::Spraying)
        .then(|| earliest_harvest(&step.inputs, &form.input_product_id, &form.occurred_at, m))
        .flatten();
    let heading = format!("{} · {}", words.kind(kind), step.lot.code);
    let code = super::encode_component(&step.lot.code);
    let page = StepPage {
        c: ctx.chrome(heading.clone()).await,
        m,
        heading,
        kind: kind.as_str(),
        action: ctx.href(&format!("/lo/{code}/ghi/{}", kind_slug(kind))),
        back: ctx.href(&format!("/lo/{code}")),
        units: unit_choices(kind, &form.unit, ctx.lang),
        inputs,
        input_label: match kind {
            EventKind::Spraying => m.input_pesticide.clone(),
            _ => m.input_fertilizer.clone(),
        },
        amount_label: match kind {
            EventKind::Spraying => m.dose.clone(),
            EventKind::Seeding => m.quantity.clone(),
            EventKind::Irrigation => m.water_amount.clone(),
            EventKind::Harvest => m.harvest_quantity.clone(),
            _ => m.amount.clone(),
        },
        earliest_harvest: earliest,
        leader: ctx.principal.as_ref().is_some_and(|p| p.role == Role::Leader),
        form,
        errors,
        invalid,
    };
    ctx.page(status, page.render())
}

/// `GET /app/lo/{code}/ghi/{kind}`: the form, filled in.
pub async fn form(Signed(ctx): Signed, Path((code, slug)): Path<(String, String)>) -> Result<Response, PageError> {
    let step = step(&ctx, &code, &slug).await?;
    let form = defaults(&ctx, step.kind).await?;
    Ok(render_step(&ctx, &step, form, StatusCode::OK, vec![], vec![]).await)
}

fn text(value: &str) -> Option<Value> {
    let value = value.trim();
    (!value.is_empty()).then(|| Value::String(value.to_owned()))
}

/// The JSON draft the API would receive for this form, so the same reader checks it and names
/// the same fields.
fn draft_json(kind: EventKind, form: &StepForm, lang: PageLang) -> Value {
    let mut draft = Map::new();
    draft.insert("id".into(), json!(form.id.trim()));
    draft.insert("type".into(), json!(kind.as_str()));
    // The phone's clock is local time in Vietnam; the offset is stored with it.
    let occurred = NaiveDateTime::parse_from_str(form.occurred_at.trim(), "%Y-%m-%dT%H:%M")
        .map(|t| format!("{}+07:00", t.format("%Y-%m-%dT%H:%M:%S")))
        .unwrap_or_else(|_| form.occurred_at.trim().to_owned());
    draft.insert("occurred_at".into(), json!(occurred));
    if let Some(note) = text(&form.note) {
        draft.insert("note".into(), note);
    }
    let quantity = || {
        text(&form.amount).map(|amount| {
            let typed = amount.as_str().unwrap_or("");
            // In Vietnamese "1.500" is fifteen hundred and "1,5" one and a half.
            let value = match lang {
                PageLang::Vi => farm_log::quantity::typed_number_vi(typed),
                PageLang::En => typed.replace(',', "."),
            };
            json!({ "value": value, "unit": form.unit })
        })
    };
    let input = || {
        form.input_product_id
            .trim()
            .parse::<i64>()
            .ok()
            .map(|id| json!({ "input_product_id": id }))
    };
    let mut put = |name: &str, value: Option<Value>| {
        if let Some(value) = value {
            draft.insert(name.to_owned(), value);
        }
    };
    match kind {
        EventKind::Seeding => {
            put("seed_source", text(&form.seed_source));
            put("variety", text(&form.variety));
            put("seed_lot", text(&form.seed_lot));
            put("quantity", quantity());
        }
        EventKind::Fertilizing => {
            put("input", input());
            put("amount", quantity());
            put("method", text(&form.method));
        }
        EventKind::Spraying => {
            put("input", input());
            put("dose", quantity());
            put("target_pest", text(&form.target_pest));
        }
        EventKind::Irrigation => {
            put("method", text(&form.method));
            put("water_source", text(&form.water_source));
            put("amount", quantity());
        }
        EventKind::Observation => put("subject", text(&form.subject)),
        EventKind::Harvest => {
            put("quantity", quantity());
            put(
                "phi_override",
                text(&form.override_reason).map(|reason| json!({ "reason": reason })),
            );
        }
        _ => {}
    }
    Value::Object(draft)
}

/// The form field an error names (the draft's field paths, e.g. `input.input_product_id`).
fn form_field(path: &str) -> &'static str {
    let last = path.rsplit('.').next().unwrap_or(path);
    match last {
        "input_product_id" | "input" => "input_product_id",
        "amount" | "dose" | "quantity" | "value" | "unit" => "amount",
        "occurred_at" => "occurred_at",
        "seed_source" => "seed_source",
        "subject" => "subject",
        "reason" | "phi_override" => "override_reason",
        "photo" | "photos" => "photo",
        "note" => "note",
        "method" => "method",
        "target_pest" => "target_pest",
        "variety" => "variety",
        "seed_lot" => "seed_lot",
        "water_source" => "water_source",
        _ => "",
    }
}

/// `POST /app/lo/{code}/ghi/{kind}`: checks and stores the step, then back to the lot.
pub async fn submit(
    Signed(ctx): Signed,
    Path((code, slug)): Path<(String, String)>,
    StepInput { form, photo }: StepInput,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let step = step(&ctx, &code, &slug).await?;
    let principal = ctx.principal()?.clone();
    let m = ctx.m();
    let mut draft = draft_json(step.kind, &form, ctx.lang);
    if let Some(photo) = photo {
        // Stored first, by its hash; the event then names it (and a resend of the same photo
        // names the same hash, so the resend is recognised).
        let prepared = match crate::api::prepare_photo(photo).await {
            Ok(prepared) => prepared,
            Err(crate::error::AppError::Invalid(errors)) => {
                return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &errors.0).await);
            }
            Err(crate::error::AppError::PayloadTooLarge) => {
                let error = farm_log::FieldError::new(
                    "photo",
                    "too_large",
                    "Ảnh quá lớn (tối đa 12 MB).",
                    "The photo is too large (12 MB at most).",
                );
                return Ok(refuse(&ctx, &step, form, StatusCode::PAYLOAD_TOO_LARGE, &[error]).await);
            }
            Err(other) => return Err(refused(&ctx, other)),
        };
        ctx.state
            .store
            .store_media(&prepared)
            .await
            .map_err(|e| ctx.error(Failure::Store(e)))?;
        if let Value::Object(fields) = &mut draft {
            fields.insert("photos".into(), json!([prepared.hash]));
        }
    }
    let draft = match farm_log::draft::parse_draft(&draft, "") {
        Ok(draft) => draft,
        Err(errors) => return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &errors.0).await),
    };
    let stored = ctx
        .state
        .store
        .append(
            &principal,
            vec![AppendItem {
                lot_code: step.lot.code.clone(),
                draft,
            }],
            false,
        )
        .await;
    let outcome = match stored {
        Ok(mut outcomes) => outcomes.pop(),
        Err(StoreError::Invalid(errors)) => {
            return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &errors.0).await);
        }
        Err(StoreError::Conflict {
            field,
            message: message_en,
            message_vi,
        }) => {
            let error = farm_log::FieldError::new(field, "conflict", message_vi, message_en);
            let mut fresh = form;
            // A new id, so sending the form again makes a new entry rather than clash again.
            fresh.id = uuid::Uuid::now_v7().to_string();
            return Ok(refuse(&ctx, &step, fresh, StatusCode::CONFLICT, &[error]).await);
        }
        Err(error) => return Err(ctx.error(Failure::Store(error))),
    };
    let words = ctx.words();
    let message = match &outcome {
        Some(AppendOutcome::Created { event }) => saved_message(event, &step, m, words),
        _ => m.already_saved.clone(),
    };
    let lot_path = format!("/lo/{}", super::encode_component(&step.lot.code));
    if ctx.sync != Some(SyncMode::Background) {
        ctx.flash(message).await;
    }
    if ctx.sync.is_some() {
        let created = outcome.as_ref().is_some_and(AppendOutcome::is_created);
        let body = json!({
            "outcome": if created { "created" } else { "existing" },
            "id": outcome.as_ref().map(|o| o.event().event.id.to_string()),
            "redirect": ctx.href(&lot_path),
        });
        let status = if created { StatusCode::CREATED } else { StatusCode::OK };
        return Ok((status, axum::Json(body)).into_response());
    }
    Ok(ctx.see_other(&lot_path))
}

/// A step that cannot be stored: the form again with the problems (or, for app.js, JSON).
async fn refuse(
    ctx: &Ctx,
    step: &Step,
    form: StepForm,
    status: StatusCode,
    errors: &[farm_log::FieldError],
) -> Response {
    let (messages, fields) = explain(ctx, errors);
    if ctx.sync.is_some() {
        return (status, axum::Json(json!({ "errors": messages, "fields": fields }))).into_response();
    }
    render_step(ctx, step, form, status, messages, fields).await
}

fn saved_message(event: &store::StoredEvent, step: &Step, m: &AppMessages, words: &Messages) -> String {
    if let EventBody::Spraying { input, .. } = &event.event.body
        && let Some(product) = step.inputs.iter().find(|i| i.id == input.input_product_id)
    {
        let days = i64::from(product.phi_days.unwrap_or(0));
        let day = event.event.occurred_at + Duration::days(days);
        return fill(
            &m.saved_spraying,
            &[
                ("product", &product.trade_name),
                ("lot", &step.lot.code),
                ("date", &show_date(&day)),
            ],
        );
    }
    fill(&m.saved, &[("what", &words.kind(step.kind)), ("lot", &step.lot.code)])
}

/// Messages for the page's top and the fields to mark.
fn explain(ctx: &Ctx, errors: &[farm_log::FieldError]) -> (Vec<String>, Vec<String>) {
    let messages = errors
        .iter()
        .map(|e| match ctx.lang {
            PageLang::Vi => e.message_vi.clone(),
            PageLang::En => e.message_en.clone(),
        })
        .collect();
    let fields = errors.iter().map(|e| form_field(&e.field).to_owned()).collect();
    (messages, fields)
}

/// A step form as sent: urlencoded without a photo, or multipart with one (`photo`).
pub struct StepInput {
    form: StepForm,
    photo: Option<axum::body::Bytes>,
}

impl axum::extract::FromRequest<crate::AppState> for StepInput {
    type Rejection = Response;

    async fn from_request(request: axum::extract::Request, state: &crate::AppState) -> Result<Self, Response> {
        let super::Posted { fields, mut files } = super::Posted::from_request(request, state).await?;
        let fields: Map<String, Value> = fields.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        let form = serde_json::from_value(Value::Object(fields))
            .map_err(|e| (StatusCode::BAD_REQUEST, e.to_string()).into_response())?;
        Ok(Self {
            form,
            photo: files.remove("photo"),
        })
    }
}
