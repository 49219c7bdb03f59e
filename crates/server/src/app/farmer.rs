//! The farmer's screens: home (my plots, my lots, each with the waiting period still running),
//! a lot with its diary, the big "what did you just do?" buttons and the farmer's recent entries
//! to correct, and one short form per kind of step, filled in from what this farmer did last time
//! (as corrected since) so a typical step is a few taps and the amount. Leaders log shipping with
//! the same form.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use std::str::FromStr;

use chrono::{Duration, NaiveDateTime, TimeZone};
use farm_log::validate::{show_date, show_datetime};
use farm_log::{EventBody, EventKind, InputKind, LotStatus, Region, Role, Unit, VIETNAM_OFFSET};
use rust_decimal::Decimal;
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

/// The kinds the step form logs: the farm kinds, and for leaders shipping (xuất hàng).
pub const FORM_KINDS: [EventKind; 7] = [
    EventKind::Seeding,
    EventKind::Fertilizing,
    EventKind::Spraying,
    EventKind::Irrigation,
    EventKind::Observation,
    EventKind::Harvest,
    EventKind::Shipping,
];

/// A member may correct their own entries from the app for this many days after logging them
/// (leaders correct any entry at any time; older fixes go through a leader).
pub const CORRECTABLE_DAYS: i64 = 14;

fn kind_slug(kind: EventKind) -> &'static str {
    kind.as_str()
}

pub(super) fn kind_from_slug(slug: &str) -> Option<EventKind> {
    FORM_KINDS.into_iter().find(|k| k.as_str() == slug)
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

/// A lot with what its screens name it by: the plots it grows on and its product.
pub(super) struct LotPlace {
    pub lot: Lot,
    pub product: store::Product,
    /// The plots' names, comma-separated.
    pub plot_names: String,
    /// The plots' area in square metres, when measured.
    pub area_m2: Option<Decimal>,
    pub region: Region,
}

impl LotPlace {
    /// "Ruộng Đồng Chùa · Cải ngọt": the field first, as the farmer thinks of it.
    pub fn heading(&self) -> String {
        if self.plot_names.is_empty() {
            self.product.name.clone()
        } else {
            format!("{} · {}", self.plot_names, self.product.name)
        }
    }
}

pub(super) async fn place(ctx: &Ctx, lot: Lot) -> Result<LotPlace, PageError> {
    let principal = ctx.principal()?;
    let store = &ctx.state.store;
    let fail = store_failure(ctx);
    let product = store
        .product(principal.cooperative_id, lot.product_id)
        .await
        .map_err(&fail)?;
    let plots = store.plots(principal.cooperative_id).await.map_err(&fail)?;
    let region = store.cooperative(principal.cooperative_id).await.map_err(&fail)?.region;
    Ok(LotPlace {
        plot_names: super::plot_names(&plots, &lot.plot_ids),
        area_m2: super::amounts::lot_area(&plots, &lot.plot_ids),
        lot,
        product,
        region,
    })
}

/// "Cách ly sau phun Radiant 60SC: còn 3 ngày, thu hoạch từ 15/12/2026".
pub(super) fn waiting_text(until: &chrono::DateTime<chrono::FixedOffset>, product: &str, m: &AppMessages) -> String {
    let left = *until - store::now();
    let date = show_date(until);
    if left >= Duration::days(1) {
        let days = (left.num_hours() + 23) / 24;
        fill(
            &m.waiting_days,
            &[("product", product), ("n", &days.to_string()), ("date", &date)],
        )
    } else {
        let hours = ((left.num_minutes() + 59) / 60).max(1);
        fill(
            &m.waiting_hours,
            &[
                ("product", product),
                ("n", &hours.to_string()),
                ("date", &date),
                ("time", &until.format("%H:%M").to_string()),
            ],
        )
    }
}

struct LotCard {
    code: String,
    href: String,
    heading: String,
    status: String,
    status_class: &'static str,
    waiting: Option<String>,
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
}

fn is_open(status: LotStatus) -> bool {
    matches!(status, LotStatus::Growing | LotStatus::Harvested)
}

/// `GET /app`: a member's plots and lots as big cards (each saying how long a waiting period
/// still runs); leaders and inspectors get the cooperative's dashboard.
pub async fn home(Signed(ctx): Signed) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    if principal.role != Role::Member {
        return super::dashboard::page(&ctx).await;
    }
    let store = &ctx.state.store;
    let fail = store_failure(&ctx);
    let m = ctx.m();
    let words = ctx.words();
    let lots = store
        .lot_overview(principal.cooperative_id, Some(principal.member_id))
        .await
        .map_err(&fail)?;
    let plots = store.plots(principal.cooperative_id).await.map_err(&fail)?;
    let products = store.products(principal.cooperative_id).await.map_err(&fail)?;
    let card = |item: &store::LotOverview| {
        let lot = &item.lot;
        let product = products
            .iter()
            .find(|p| p.id == lot.product_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        let names = super::plot_names(&plots, &lot.plot_ids);
        LotCard {
            code: lot.code.clone(),
            href: ctx.href(&format!("/lo/{}", super::encode_component(&lot.code))),
            heading: if names.is_empty() {
                product
            } else {
                format!("{names} · {product}")
            },
            status: words.status(lot.status),
            status_class: lot.status.as_str(),
            waiting: item
                .waiting_until
                .as_ref()
                .map(|(until, product)| waiting_text(until, product, m)),
        }
    };
    let (mut open, done): (Vec<&store::LotOverview>, Vec<&store::LotOverview>) =
        lots.iter().partition(|item| is_open(item.lot.status));
    // Newest first: the lot being worked on now is at the top.
    open.sort_by(|a, b| b.lot.created_at.cmp(&a.lot.created_at));
    let my_plots = plots
        .iter()
        .filter(|plot| plot.member_ids.contains(&principal.member_id))
        .map(|plot| PlotLine {
            name: plot.name.clone(),
            detail: format!("{} · {}", plot.area_display, plot.commune),
        })
        .collect();
    let page = HomePage {
        c: ctx.chrome(m.app_name.clone()).await,
        m,
        hello: fill(&m.hello, &[("name", &principal.name)]),
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

/// One of the signed-in member's recent entries on a lot, with the way to correct it.
struct MyEntry {
    title: String,
    when: String,
    href: String,
}

#[derive(Template)]
#[template(path = "app/lot.html")]
struct LotPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    code: String,
    status: String,
    available: Option<String>,
    waiting: Option<String>,
    buttons: Vec<KindButton>,
    read_only: bool,
    entries: Vec<EntryView>,
    mine: Vec<MyEntry>,
    csv_href: String,
    pdf_href: String,
    /// Leaders: (id, label, link) of what they can do with the lot beyond logging steps.
    actions: Vec<(&'static str, String, String)>,
    recall_href: Option<String>,
    /// Who received the goods of a recalled lot (and of lots made from it), to contact.
    recipients: Vec<String>,
    /// Lots it was made from, and lots made from it: (link, code, quantity).
    parents: Vec<(String, String, String)>,
    children: Vec<(String, String, String)>,
}

/// Which of the farm kinds this person may log on this lot now.
pub(super) fn loggable(role: Role, status: LotStatus) -> Vec<EventKind> {
    if role == Role::Inspector || !is_open(status) {
        return vec![];
    }
    FARM_KINDS
        .into_iter()
        .filter(|kind| role == Role::Leader || !leader_only_kind(*kind))
        .filter(|kind| status == LotStatus::Growing || *kind == EventKind::Observation || *kind == EventKind::Harvest)
        .collect()
}

/// A one-line summary of a step: "Bón phân — NPK Lâm Thao 5-10-3, 10 kg".
pub(super) fn summary(body: &EventBody, words: &Messages, lang: PageLang) -> String {
    let q = |q: &farm_log::Quantity| super::amounts::quantity(q, lang);
    let name = |input: &farm_log::AppliedInput| {
        input
            .snapshot
            .as_ref()
            .map_or_else(String::new, |s| s.trade_name.clone())
    };
    let detail = match body {
        EventBody::Seeding {
            quantity, seed_source, ..
        } => format!("{seed_source}, {}", q(quantity)),
        EventBody::Fertilizing { input, amount, .. } => format!("{}, {}", name(input), q(amount)),
        EventBody::Spraying { input, dose, .. } => format!("{}, {}", name(input), q(dose)),
        EventBody::Irrigation { amount, method, .. } => match (amount, method) {
            (Some(amount), _) => q(amount),
            (None, Some(method)) => method.to_string(),
            (None, None) => String::new(),
        },
        EventBody::Observation { subject } => subject.to_string(),
        EventBody::Harvest { quantity, .. } => q(quantity),
        EventBody::Shipping { to, quantity, .. } => match quantity {
            Some(quantity) => format!("{to}, {}", q(quantity)),
            None => to.to_string(),
        },
        _ => String::new(),
    };
    if detail.is_empty() {
        words.kind(body.kind())
    } else {
        format!("{} — {detail}", words.kind(body.kind()))
    }
}

/// Whether this person may correct this entry from the app: leaders any step the forms log;
/// members their own farm steps for [`CORRECTABLE_DAYS`].
pub(super) fn may_correct(principal: &store::Principal, event: &farm_log::Event) -> bool {
    let kind = event.body.kind();
    match principal.role {
        Role::Leader => FORM_KINDS.contains(&kind),
        Role::Member => {
            FARM_KINDS.contains(&kind)
                && event.actor == principal.member_id
                && store::now() - event.recorded_at <= Duration::days(CORRECTABLE_DAYS)
        }
        Role::Inspector => false,
    }
}

/// `GET /app/lo/{code}`: the lot's diary and what can be logged on it.
pub async fn lot(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    let principal = ctx.principal()?.clone();
    let store = &ctx.state.store;
    let fail = store_failure(&ctx);
    let lot = own_lot(&ctx, &code).await?;
    may_read_lot(store, &principal, &lot.access())
        .await
        .map_err(|e| refused(&ctx, e))?;
    let history = store.history(principal.cooperative_id, &code).await.map_err(&fail)?;
    let place = place(&ctx, lot).await?;
    let lot = &place.lot;
    let m = ctx.m();
    let words = ctx.words();
    let events: Vec<farm_log::Event> = history.events.into_iter().map(|e| e.event).collect();
    let mut timeline = entries(&events, words, None, &ctx.prefix);
    timeline.reverse();
    let base = ctx.href(&format!("/lo/{}", super::encode_component(&lot.code)));
    let buttons: Vec<KindButton> = loggable(principal.role, lot.status)
        .into_iter()
        .map(|kind| KindButton {
            href: format!("{base}/ghi/{}", kind_slug(kind)),
            label: words.kind(kind),
            class: kind.as_str(),
        })
        .collect();
    // The entries as they stand now (corrections folded in, voided ones gone).
    let state = farm_log::LotState::from_events(lot.initial_quantity, events.clone());
    let mut mine: Vec<MyEntry> = state
        .effective_events()
        .iter()
        .filter(|event| may_correct(&principal, event))
        .map(|event| MyEntry {
            title: summary(&event.body, words, ctx.lang),
            when: show_datetime(&event.occurred_at),
            href: format!("{base}/sua/{}", event.id),
        })
        .collect();
    mine.reverse();
    mine.truncate(10);
    let leader = principal.role == Role::Leader;
    let mut actions = vec![];
    if leader {
        if matches!(lot.status, LotStatus::Harvested | LotStatus::Packed) && !history.available.is_empty() {
            actions.push(("pack-link", m.pack_link.clone(), format!("{base}/dong-goi")));
            actions.push(("ship-link", m.ship_link.clone(), format!("{base}/ghi/shipping")));
            actions.push((
                "merge-link",
                m.merge_link.clone(),
                ctx.href(&format!("/gop-lo?lo={}", super::encode_component(&lot.code))),
            ));
        }
        if lot.status == LotStatus::Packed {
            actions.push(("labels-link", m.labels_link.clone(), format!("{base}/tem")));
        }
        if lot.status != LotStatus::Recalled {
            actions.push(("import-link", m.import_link.clone(), format!("{base}/nhap-nhat-ky")));
        }
    }
    let waiting = if is_open(lot.status) {
        state
            .sprayings
            .iter()
            .filter(|s| s.earliest_harvest() > store::now())
            .filter(|s| state.last_harvest.is_none_or(|h| h < s.occurred_at))
            .max_by_key(|s| s.earliest_harvest())
            .map(|s| waiting_text(&s.earliest_harvest(), &s.trade_name, m))
    } else {
        None
    };
    let recipients = if lot.status == LotStatus::Recalled && principal.role != Role::Member {
        super::season::recipients(&ctx, &lot.code).await?
    } else {
        vec![]
    };
    let available = (!history.available.is_empty() && lot.status != LotStatus::Growing).then(|| {
        let amounts: Vec<String> = history
            .available
            .iter()
            .map(|q| super::amounts::quantity(q, ctx.lang))
            .collect();
        fill(&m.lot_holds, &[("amount", &amounts.join(", "))])
    });
    let heading = place.heading();
    let page = LotPage {
        csv_href: format!("{base}/nhat-ky.csv"),
        pdf_href: format!("{base}/nhat-ky.pdf"),
        parents: genealogy(&ctx, &lot.parents, words),
        children: genealogy(&ctx, &lot.children, words),
        recall_href: (leader && lot.status != LotStatus::Recalled).then(|| format!("{base}/thu-hoi")),
        c: ctx.chrome(format!("{heading} · {}", lot.code)).await,
        m,
        read_only: buttons.is_empty() && actions.is_empty(),
        heading,
        code: lot.code.clone(),
        status: words.status(lot.status),
        available,
        waiting,
        buttons,
        entries: timeline,
        mine,
        actions,
        recipients,
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
    pub(super) csrf: String,
    #[serde(default)]
    pub(super) id: String,
    #[serde(default)]
    pub(super) occurred_at: String,
    #[serde(default)]
    pub(super) input_product_id: String,
    #[serde(default)]
    pub(super) amount: String,
    #[serde(default)]
    pub(super) unit: String,
    /// Spraying: the dose mixed in one sprayer tank, and how many tanks.
    #[serde(default)]
    pub(super) per_tank: String,
    #[serde(default)]
    pub(super) per_tank_unit: String,
    #[serde(default)]
    pub(super) tanks: String,
    /// "1" once the farmer confirmed an amount the form questioned.
    #[serde(default)]
    pub(super) confirm_amount: String,
    #[serde(default)]
    pub(super) method: String,
    #[serde(default)]
    pub(super) target_pest: String,
    #[serde(default)]
    pub(super) seed_source: String,
    #[serde(default)]
    pub(super) variety: String,
    #[serde(default)]
    pub(super) seed_lot: String,
    #[serde(default)]
    pub(super) water_source: String,
    #[serde(default)]
    pub(super) subject: String,
    #[serde(default)]
    pub(super) override_reason: String,
    /// Shipping: from where, to whom, the delivery note, and the receiver's phone (off-chain).
    #[serde(default)]
    pub(super) from: String,
    #[serde(default)]
    pub(super) to: String,
    #[serde(default)]
    pub(super) document_ref: String,
    #[serde(default)]
    pub(super) phone: String,
    /// Corrections: why, and whether the entry is voided rather than replaced.
    #[serde(default)]
    pub(super) reason: String,
    #[serde(default)]
    pub(super) void: String,
    #[serde(default)]
    pub(super) note: String,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
    /// `data-*` attributes the phone's script reads (pre-harvest interval, usual rate, tank dose).
    data: Vec<(&'static str, String)>,
}

/// What a correction form corrects.
pub(super) struct Correcting {
    /// The entry, in one line.
    pub summary: String,
    /// When it happened.
    pub when: String,
    /// Where the correction is posted.
    pub action: String,
}

#[derive(Template)]
#[template(path = "app/step.html")]
struct StepPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    subheading: String,
    kind: &'static str,
    action: String,
    back: String,
    form: StepForm,
    inputs: Vec<Choice>,
    input_label: String,
    units: Vec<Choice>,
    amount_label: String,
    amount_required: bool,
    earliest_harvest: Option<String>,
    /// The chosen product's dose per tank, shown as the per-tank field's unit.
    tank: Option<(String, String)>,
    /// `data-*` attributes of the form (the lot's area, message templates).
    data: Vec<(&'static str, String)>,
    leader: bool,
    fresh: bool,
    errors: Vec<String>,
    invalid: Vec<String>,
    confirm: bool,
    correcting: Option<Correcting>,
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
        EventKind::Harvest | EventKind::Shipping => &[Unit::Kilogram, Unit::Decitonne, Unit::Tonne, Unit::Piece],
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
            label: super::amounts::unit_name(*unit, lang).to_owned(),
            selected: unit.code() == chosen,
            data: vec![],
        })
        .collect()
}

/// The registry's usable products of the kind a step needs (banned ones are never offered),
/// each carrying what the phone needs to recompute the form: its pre-harvest interval, its
/// usual rate per area and its dose per tank.
fn input_choices(step: &Step, chosen: &str, m: &AppMessages, lang: PageLang) -> Vec<Choice> {
    let kind = step.kind;
    let wanted = match kind {
        EventKind::Fertilizing => InputKind::Fertilizer,
        EventKind::Spraying => InputKind::Pesticide,
        _ => return vec![],
    };
    let region = step.place.region;
    step.inputs
        .iter()
        .filter(|input| input.kind == wanted && input.banned_ingredients.is_empty())
        .map(|input| {
            let phi = match (kind, input.phi_days) {
                (EventKind::Spraying, Some(days)) => format!(" ({})", fill(&m.phi_days, &[("n", &days.to_string())])),
                (EventKind::Spraying, None) => format!(" ({})", m.no_phi),
                _ => String::new(),
            };
            let mut data = vec![("phi", input.phi_days.map(|d| d.to_string()).unwrap_or_default())];
            if let Some(usage) = step.usage.iter().find(|u| u.input_product_id == input.id) {
                if let Some((low, high, unit)) = usage.rate_per_ha {
                    data.push(("rate-low", low.normalize().to_string()));
                    data.push(("rate-high", high.normalize().to_string()));
                    data.push(("rate-unit", unit.code().to_owned()));
                    data.push(("rate-unit-name", super::amounts::unit_name(unit, lang).to_owned()));
                    data.push(("usual", super::amounts::usual_text(low, high, unit, region, lang)));
                }
                if let Some((dose, litres)) = usage.tank_dose {
                    data.push(("tank-dose", dose.value.normalize().to_string()));
                    data.push(("tank-dose-text", editable(dose.value, lang)));
                    data.push(("tank-unit", dose.unit.code().to_owned()));
                    data.push(("tank-unit-name", super::amounts::unit_name(dose.unit, lang).to_owned()));
                    data.push(("tank-litres", super::amounts::number(litres, lang)));
                    data.push(("tank-text", super::amounts::quantity(&dose, lang)));
                }
            }
            data.push(("name", input.trade_name.clone()));
            Choice {
                value: input.id.to_string(),
                label: format!("{}{phi}", input.trade_name),
                selected: input.id.to_string() == chosen,
                data,
            }
        })
        .collect()
}

/// A decimal as the farmer would type it back unchanged.
fn editable(value: Decimal, lang: PageLang) -> String {
    match lang {
        PageLang::Vi => farm_log::quantity::editable_number_vi(value),
        PageLang::En => value.normalize().to_string(),
    }
}

fn now_local() -> String {
    store::now().format("%Y-%m-%dT%H:%M").to_string()
}

/// Starts a form from what this farmer did last time (as corrected since): the same product,
/// amount and unit.
async fn defaults(ctx: &Ctx, kind: EventKind) -> Result<StepForm, PageError> {
    let principal = ctx.principal()?;
    let last = ctx
        .state
        .store
        .last_effective_event_by(principal.member_id, kind)
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
    if kind == EventKind::Shipping {
        // A shipping leaves from the cooperative, and usually takes all the lot still holds.
        let coop = ctx
            .state
            .store
            .cooperative(principal.cooperative_id)
            .await
            .map_err(|e| ctx.error(Failure::Store(e)))?;
        form.from = format!("{}, {}", coop.name, coop.commune);
    }
    if let Some(last) = last {
        fill_from(&mut form, &last.body, ctx.lang);
    }
    Ok(form)
}

/// Fills a form's fields from a step's content (for the next step's defaults, or to correct it).
pub(super) fn fill_from(form: &mut StepForm, body: &EventBody, lang: PageLang) {
    let mut amount = |q: &farm_log::Quantity| {
        // Shown as the farmer would type it, so that sending it unchanged keeps it.
        form.amount = editable(q.value, lang);
        form.unit = q.unit.code().to_owned();
    };
    let text = |t: &Option<farm_log::ShortText>| t.as_ref().map(|t| t.to_string()).unwrap_or_default();
    match body {
        EventBody::Fertilizing {
            input,
            amount: a,
            method,
        } => {
            amount(a);
            form.input_product_id = input.input_product_id.to_string();
            form.method = text(method);
        }
        EventBody::Spraying {
            input,
            dose,
            target_pest,
            ..
        } => {
            amount(dose);
            form.input_product_id = input.input_product_id.to_string();
            form.target_pest = text(target_pest);
        }
        EventBody::Seeding {
            seed_source,
            variety,
            quantity,
            seed_lot,
        } => {
            amount(quantity);
            form.seed_source = seed_source.to_string();
            form.variety = text(variety);
            form.seed_lot = text(seed_lot);
        }
        EventBody::Irrigation {
            method,
            water_source,
            amount: a,
        } => {
            form.method = text(method);
            form.water_source = text(water_source);
            if let Some(a) = a {
                amount(a);
            }
        }
        EventBody::Observation { subject } => form.subject = subject.to_string(),
        EventBody::Harvest { quantity, .. } => amount(quantity),
        EventBody::Shipping {
            from,
            to,
            document_ref,
            quantity,
        } => {
            form.from = from.to_string();
            form.to = to.to_string();
            form.document_ref = text(document_ref);
            if let Some(q) = quantity {
                amount(q);
            }
        }
        _ => {}
    }
}

/// The earliest harvest day a spraying now with this product implies.
fn earliest_harvest(inputs: &[InputProduct], chosen: &str, from: &str, m: &AppMessages) -> Option<String> {
    let input = inputs.iter().find(|i| i.id.to_string() == chosen)?;
    let Some(days) = input.phi_days else {
        return Some(m.earliest_harvest_none.clone());
    };
    let sprayed = NaiveDateTime::parse_from_str(from, "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| VIETNAM_OFFSET.from_local_datetime(&t).single())
        .unwrap_or_else(store::now);
    let day = sprayed + Duration::days(i64::from(days));
    Some(fill(&m.earliest_harvest, &[("date", &show_date(&day))]))
}

pub(super) struct Step {
    pub place: LotPlace,
    pub kind: EventKind,
    pub inputs: Vec<InputProduct>,
    pub usage: Vec<store::InputUsage>,
}

impl Step {
    pub fn lot(&self) -> &Lot {
        &self.place.lot
    }
}

pub(super) async fn step(ctx: &Ctx, code: &str, slug: &str) -> Result<Step, PageError> {
    let kind = kind_from_slug(slug).ok_or_else(|| ctx.error(Failure::NotFound))?;
    let lot = own_lot(ctx, code).await?;
    step_on(ctx, lot, kind, kind).await
}

/// The step form's context for `kind` on a lot, checked as `access_kind` (a correction is
/// checked as a correction, whatever kind it corrects).
pub(super) async fn step_on(ctx: &Ctx, lot: Lot, kind: EventKind, access_kind: EventKind) -> Result<Step, PageError> {
    let principal = ctx.principal()?;
    let store = &ctx.state.store;
    let fail = store_failure(ctx);
    may_append(store, principal, &lot.access(), access_kind)
        .await
        .map_err(|e| refused(ctx, e))?;
    if kind == EventKind::Shipping {
        crate::access::leader_of(principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    }
    let (inputs, usage) = match kind {
        EventKind::Fertilizing | EventKind::Spraying => (
            store.input_products(principal.cooperative_id).await.map_err(&fail)?,
            store.input_usage(principal.cooperative_id).await.map_err(&fail)?,
        ),
        _ => (vec![], vec![]),
    };
    Ok(Step {
        place: place(ctx, lot).await?,
        kind,
        inputs,
        usage,
    })
}

/// How a step form is shown: fresh (`GET`), or again with what was sent and what is wrong.
pub(super) struct Shown {
    pub status: StatusCode,
    pub errors: Vec<String>,
    pub invalid: Vec<String>,
    pub confirm: bool,
    pub fresh: bool,
}

impl Shown {
    pub fn fresh() -> Self {
        Self {
            status: StatusCode::OK,
            errors: vec![],
            invalid: vec![],
            confirm: false,
            fresh: true,
        }
    }
}

pub(super) async fn render_step(
    ctx: &Ctx,
    step: &Step,
    form: StepForm,
    shown: Shown,
    correcting: Option<Correcting>,
) -> Response {
    let m = ctx.m();
    let words = ctx.words();
    let kind = step.kind;
    let lang = ctx.lang;
    let mut form = form;
    let inputs = input_choices(step, &form.input_product_id, m, lang);
    // With no product chosen yet, the first one is (a select shows its first option).
    if !inputs.iter().any(|c| c.selected)
        && let Some(first) = inputs.first()
    {
        form.input_product_id = first.value.clone();
    }
    let earliest = (kind == EventKind::Spraying && correcting.is_none())
        .then(|| earliest_harvest(&step.inputs, &form.input_product_id, &form.occurred_at, m))
        .flatten();
    let tank = (kind == EventKind::Spraying)
        .then(|| {
            step.usage
                .iter()
                .find(|u| u.input_product_id.to_string() == form.input_product_id)
                .and_then(|u| u.tank_dose)
        })
        .flatten();
    if let Some((dose, _)) = tank {
        if form.per_tank.is_empty() {
            form.per_tank = editable(dose.value, lang);
        }
        form.per_tank_unit = dose.unit.code().to_owned();
    }
    let tank = tank.map(|(dose, litres)| {
        (
            super::amounts::unit_name(dose.unit, lang).to_owned(),
            fill(
                &m.tank_label,
                &[
                    ("dose", &super::amounts::quantity(&dose, lang)),
                    ("litres", &super::amounts::number(litres, lang)),
                ],
            ),
        )
    });
    let place = &step.place;
    let (local_m2, local_word) = super::amounts::local_area(place.region, lang);
    let mut data = vec![
        ("local-area-m2", local_m2.normalize().to_string()),
        ("local-area-name", local_word.to_owned()),
        ("lot", place.lot.code.clone()),
        ("lang", lang.code().to_owned()),
        ("earliest", m.earliest_harvest.clone()),
        ("earliest-none", m.earliest_harvest_none.clone()),
        ("far-high", m.amount_far_high.clone()),
        ("far-low", m.amount_far_low.clone()),
        ("tank-high", m.tank_far_high.clone()),
        ("tank-low", m.tank_far_low.clone()),
        ("tank-label", m.tank_label.clone()),
        ("far-factor", super::amounts::FAR_FACTOR.to_string()),
    ];
    if let Some(area) = place.area_m2 {
        data.push(("area-m2", area.normalize().to_string()));
        data.push(("area-text", super::amounts::area_text(area, place.region, lang)));
    }
    let heading = match &correcting {
        Some(_) => fill(
            &m.correct_heading,
            &[("what", &words.kind(kind)), ("place", &place.heading())],
        ),
        None => format!("{} · {}", words.kind(kind), place.heading()),
    };
    let code = super::encode_component(&place.lot.code);
    let page = StepPage {
        c: ctx.chrome(format!("{heading} · {}", place.lot.code)).await,
        m,
        subheading: fill(&m.lot_line, &[("lot", &place.lot.code)]),
        heading,
        kind: kind.as_str(),
        action: match &correcting {
            Some(fix) => fix.action.clone(),
            None => ctx.href(&format!("/lo/{code}/ghi/{}", kind_slug(kind))),
        },
        back: ctx.href(&format!("/lo/{code}")),
        units: unit_choices(kind, &form.unit, lang),
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
            EventKind::Shipping => m.ship_quantity.clone(),
            _ => m.amount.clone(),
        },
        amount_required: !matches!(kind, EventKind::Irrigation | EventKind::Shipping) && tank.is_none(),
        earliest_harvest: earliest,
        tank,
        data,
        leader: ctx.principal.as_ref().is_some_and(|p| p.role == Role::Leader),
        fresh: shown.fresh,
        form,
        errors: shown.errors,
        invalid: shown.invalid,
        confirm: shown.confirm,
        correcting,
    };
    ctx.page(shown.status, page.render())
}

/// `GET /app/lo/{code}/ghi/{kind}`: the form, filled in.
pub async fn form(Signed(ctx): Signed, Path((code, slug)): Path<(String, String)>) -> Result<Response, PageError> {
    let step = step(&ctx, &code, &slug).await?;
    let mut form = defaults(&ctx, step.kind).await?;
    if step.kind == EventKind::Shipping {
        // A new delivery note each time, and all the lot still holds as a start.
        form.document_ref.clear();
        let principal = ctx.principal()?;
        let history = ctx
            .state
            .store
            .history(principal.cooperative_id, &step.lot().code)
            .await
            .map_err(|e| ctx.error(Failure::Store(e)))?;
        if let Some(holds) = history.available.first() {
            form.amount = editable(holds.value, ctx.lang);
            form.unit = holds.unit.code().to_owned();
        }
    }
    Ok(render_step(&ctx, &step, form, Shown::fresh(), None).await)
}

fn text(value: &str) -> Option<Value> {
    let value = value.trim();
    (!value.is_empty()).then(|| Value::String(value.to_owned()))
}

/// A number as the page's language types it, as plain decimal text.
fn typed(value: &str, lang: PageLang) -> String {
    match lang {
        PageLang::Vi => farm_log::quantity::typed_number_vi(value),
        PageLang::En => value.trim().replace(',', "."),
    }
}

/// The dose mixed per tank, when the farmer gave it.
pub(super) fn per_tank(form: &StepForm, lang: PageLang) -> Option<farm_log::Quantity> {
    let value = Decimal::from_str(&typed(&form.per_tank, lang)).ok()?;
    let unit = Unit::from_code_or_name(&form.per_tank_unit)?;
    farm_log::Quantity::new(value, unit, "per_tank").ok()
}

/// The JSON draft the API would receive for this form, so the same reader checks it and names
/// the same fields.
pub(super) fn draft_json(kind: EventKind, form: &StepForm, lang: PageLang) -> Value {
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
        // In Vietnamese "1.500" is fifteen hundred and "1,5" one and a half.
        if let Some(amount) = text(&form.amount) {
            return Some(json!({ "value": typed(amount.as_str().unwrap_or(""), lang), "unit": form.unit }));
        }
        // No total typed: the dose per tank times the tanks, when both were given.
        if kind == EventKind::Spraying
            && let (Some(dose), Ok(tanks)) = (per_tank(form, lang), Decimal::from_str(&typed(&form.tanks, lang)))
        {
            return Some(json!({ "value": (dose.value * tanks).normalize().to_string(), "unit": dose.unit.code() }));
        }
        None
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
        EventKind::Shipping => {
            put("from", text(&form.from));
            put("to", text(&form.to));
            put("document_ref", text(&form.document_ref));
            put("quantity", quantity());
        }
        _ => {}
    }
    Value::Object(draft)
}

/// The form field an error names (the draft's field paths, e.g. `input.input_product_id`).
pub(super) fn form_field(path: &str) -> &'static str {
    let last = path.rsplit('.').next().unwrap_or(path);
    match last {
        "input_product_id" | "input" => "input_product_id",
        "amount" | "dose" | "quantity" | "value" | "unit" => "amount",
        "occurred_at" => "occurred_at",
        "seed_source" => "seed_source",
        "subject" => "subject",
        "reason" if path.contains("phi_override") => "override_reason",
        "phi_override" => "override_reason",
        "reason" => "reason",
        "photo" | "photos" => "photo",
        "note" => "note",
        "method" => "method",
        "target_pest" => "target_pest",
        "variety" => "variety",
        "seed_lot" => "seed_lot",
        "water_source" => "water_source",
        "from" => "from",
        "to" => "to",
        "document_ref" => "document_ref",
        "phone" => "phone",
        "tanks" | "per_tank" => "tanks",
        _ => "",
    }
}

/// What the form's amount questions, when the farmer has not confirmed it yet.
pub(super) async fn amount_questions(ctx: &Ctx, step: &Step, form: &StepForm, body: &EventBody) -> Vec<String> {
    if form.confirm_amount == "1" {
        return vec![];
    }
    let (input, amount) = match body {
        EventBody::Fertilizing { input, amount, .. } => (input, amount),
        EventBody::Spraying { input, dose, .. } => (input, dose),
        _ => return vec![],
    };
    let Some(product) = step.inputs.iter().find(|i| i.id == input.input_product_id) else {
        return vec![];
    };
    let usage = step.usage.iter().find(|u| u.input_product_id == product.id);
    let mixed = (step.kind == EventKind::Spraying)
        .then(|| per_tank(form, ctx.lang))
        .flatten();
    super::amounts::questions(
        amount,
        mixed.as_ref(),
        &product.trade_name,
        usage,
        (step.place.area_m2, step.place.region),
        ctx.lang,
        ctx.m(),
    )
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
    let phone = match text(&form.phone) {
        Some(raw) if step.kind == EventKind::Shipping => {
            match farm_log::PhoneNumber::parse(raw.as_str().unwrap_or(""), "phone") {
                Ok(phone) => Some(phone),
                Err(error) => {
                    return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &[error], false).await);
                }
            }
        }
        _ => None,
    };
    if let Some(photo) = photo {
        // Stored first, by its hash; the event then names it (and a resend of the same photo
        // names the same hash, so the resend is recognised).
        let prepared = match crate::api::prepare_photo(photo).await {
            Ok(prepared) => prepared,
            Err(crate::error::AppError::Invalid(errors)) => {
                return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &errors.0, false).await);
            }
            Err(crate::error::AppError::PayloadTooLarge) => {
                let error = farm_log::FieldError::new(
                    "photo",
                    "too_large",
                    "Ảnh quá lớn (tối đa 12 MB).",
                    "The photo is too large (12 MB at most).",
                );
                return Ok(refuse(&ctx, &step, form, StatusCode::PAYLOAD_TOO_LARGE, &[error], false).await);
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
        Err(errors) => return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &errors.0, false).await),
    };
    let questions = amount_questions(&ctx, &step, &form, &draft.body).await;
    if !questions.is_empty() {
        let errors: Vec<farm_log::FieldError> = questions
            .into_iter()
            .map(|text| farm_log::FieldError::new("amount", "unusual_amount", text.clone(), text))
            .collect();
        return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &errors, true).await);
    }
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
            return Ok(refuse(&ctx, &step, form, StatusCode::UNPROCESSABLE_ENTITY, &errors.0, false).await);
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
            return Ok(refuse(&ctx, &step, fresh, StatusCode::CONFLICT, &[error], false).await);
        }
        Err(error) => return Err(ctx.error(Failure::Store(error))),
    };
    if let (Some(phone), Some(outcome)) = (&phone, &outcome) {
        ctx.state
            .store
            .set_shipment_contact(
                principal.cooperative_id,
                &step.lot().code,
                &outcome.event().event.id.to_string(),
                phone,
            )
            .await
            .map_err(|e| ctx.error(Failure::Store(e)))?;
    }
    let words = ctx.words();
    let message = match &outcome {
        Some(AppendOutcome::Created { event }) => saved_message(event, &step, m, words),
        _ => m.already_saved.clone(),
    };
    let lot_path = format!("/lo/{}", super::encode_component(&step.lot().code));
    Ok(saved(&ctx, message, outcome.as_ref(), &lot_path).await)
}

/// The answer once a step is stored: the lot page with the message, or JSON for app.js.
pub(super) async fn saved(ctx: &Ctx, message: String, outcome: Option<&AppendOutcome>, lot_path: &str) -> Response {
    if ctx.sync != Some(SyncMode::Background) {
        ctx.flash(message).await;
    }
    if ctx.sync.is_some() {
        let created = outcome.is_some_and(AppendOutcome::is_created);
        let body = json!({
            "outcome": if created { "created" } else { "existing" },
            "id": outcome.map(|o| o.event().event.id.to_string()),
            "redirect": ctx.href(lot_path),
        });
        let status = if created { StatusCode::CREATED } else { StatusCode::OK };
        return (status, axum::Json(body)).into_response();
    }
    ctx.see_other(lot_path)
}

/// A step that cannot be stored: the form again with the problems (or, for app.js, JSON).
/// `confirm` when the farmer may confirm an unusual amount and send it again.
pub(super) async fn refuse(
    ctx: &Ctx,
    step: &Step,
    form: StepForm,
    status: StatusCode,
    errors: &[farm_log::FieldError],
    confirm: bool,
) -> Response {
    let (messages, fields) = explain(ctx, errors);
    if ctx.sync.is_some() {
        return (
            status,
            axum::Json(json!({ "errors": messages, "fields": fields, "confirm": confirm })),
        )
            .into_response();
    }
    let shown = Shown {
        status,
        errors: messages,
        invalid: fields,
        confirm,
        fresh: false,
    };
    render_step(ctx, step, form, shown, None).await
}

fn saved_message(event: &store::StoredEvent, step: &Step, m: &AppMessages, words: &Messages) -> String {
    let lot = &step.lot().code;
    if let EventBody::Spraying { input, .. } = &event.event.body
        && let Some(product) = step.inputs.iter().find(|i| i.id == input.input_product_id)
    {
        let days = i64::from(product.phi_days.unwrap_or(0));
        let day = event.event.occurred_at + Duration::days(days);
        return fill(
            &m.saved_spraying,
            &[
                ("product", &product.trade_name),
                ("lot", lot),
                ("date", &show_date(&day)),
            ],
        );
    }
    fill(&m.saved, &[("what", &words.kind(step.kind)), ("lot", lot)])
}

/// Messages for the page's top and the fields to mark.
pub(super) fn explain(ctx: &Ctx, errors: &[farm_log::FieldError]) -> (Vec<String>, Vec<String>) {
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
    pub(super) form: StepForm,
    pub(super) photo: Option<axum::body::Bytes>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn principal(role: Role) -> store::Principal {
        store::Principal {
            member_id: 7,
            name: "Hộ ông An".into(),
            cooperative_id: 1,
            role,
            token_id: 0,
        }
    }

    fn entry(actor: i64, days_ago: i64, body: EventBody) -> farm_log::Event {
        let at = store::now() - Duration::days(days_ago);
        farm_log::Event {
            id: uuid::Uuid::new_v4(),
            seq: 1,
            occurred_at: at,
            recorded_at: at,
            actor,
            note: None,
            location: None,
            photos: vec![],
            body,
        }
    }

    fn seen() -> EventBody {
        EventBody::Observation {
            subject: farm_log::ShortText::parse("Sâu", "subject").expect("text"),
        }
    }

    #[test]
    fn members_correct_only_their_own_recent_entries_and_leaders_any_step() {
        let member = principal(Role::Member);
        assert!(may_correct(&member, &entry(7, 2, seen())));
        assert!(may_correct(&member, &entry(7, CORRECTABLE_DAYS - 1, seen())));
        assert!(
            !may_correct(&member, &entry(7, CORRECTABLE_DAYS + 1, seen())),
            "too old"
        );
        assert!(!may_correct(&member, &entry(8, 2, seen())), "someone else's");
        let recall = EventBody::Recall {
            reason: farm_log::Note::parse("lý do", "reason").expect("note"),
        };
        assert!(
            !may_correct(&principal(Role::Leader), &entry(8, 2, recall)),
            "not a step"
        );
        assert!(may_correct(&principal(Role::Leader), &entry(8, 400, seen())));
        assert!(!may_correct(&principal(Role::Inspector), &entry(7, 1, seen())));
    }
}
