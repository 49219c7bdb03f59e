//! The leader's sales screens: the cooperative's listings with their stock, the feed links for
//! Google and Meta with what each feed leaves out (in words a leader reads), one listing with its
//! stock per lot, price history and sales, and the forms to list a product, edit it (a new
//! version), pause, sell again or archive it, record a sale or write-off and change the feed
//! links. Leaders change them, inspectors read them, members do not see them (403).

use std::collections::HashMap;

use askama::Template;
use axum::Form;
use axum::body::Bytes;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::Response;
use catalog::{Channel, ListingFields, ListingInput, ListingStatus, MovementKind, format_vnd};
use farm_log::validate::show_datetime;
use farm_log::{FieldError, LotStatus, Note, Role};
use serde::Deserialize;
use store::{Listing, NewMovement, Principal, StoreError};

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Posted, Signed, refused};
use crate::access::{leader_of, overseer_of};
use crate::error::AppError;
use crate::web::i18n::{PageLang, fill};

/// New photos one form takes: one file input each, since a phone's camera gives one at a time.
const NEW_PHOTOS: usize = 3;

/// The largest body the listing forms accept: the new photos and the text around them.
pub const FORM_BODY_LIMIT: usize = NEW_PHOTOS * media::MAX_UPLOAD_BYTES + 256 * 1024;

fn say(lang: PageLang, error: &FieldError) -> String {
    match lang {
        PageLang::Vi => error.message_vi.clone(),
        PageLang::En => error.message_en.clone(),
    }
}

/// Leaders and inspectors of their own cooperative read the sales screens.
fn overseer(ctx: &Ctx) -> Result<Principal, PageError> {
    let principal = ctx.principal()?.clone();
    overseer_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    Ok(principal)
}

/// Only leaders change them.
fn leader(ctx: &Ctx) -> Result<Principal, PageError> {
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    Ok(principal)
}

/// A listing of the signed-in member's cooperative: another cooperative's is 403, an unknown
/// id (or one that is not a number) 404.
async fn own_listing(ctx: &Ctx, raw_id: &str) -> Result<Listing, PageError> {
    let principal = ctx.principal()?;
    let id = raw_id.parse::<i64>().map_err(|_| ctx.error(Failure::NotFound))?;
    let store = &ctx.state.store;
    match store.listing(principal.cooperative_id, id).await {
        Ok(listing) => Ok(listing),
        Err(error) => Err(super::not_here(ctx, error, store.listing_elsewhere(principal.cooperative_id, id)).await),
    }
}

fn listing_path(id: i64) -> String {
    format!("/ban-hang/{id}")
}

fn status_name(m: &AppMessages, status: ListingStatus) -> String {
    match status {
        ListingStatus::Active => m.status_active.clone(),
        ListingStatus::Paused => m.status_paused.clone(),
        ListingStatus::Archived => m.status_archived.clone(),
    }
}

fn kind_name(m: &AppMessages, kind: MovementKind) -> String {
    match kind {
        MovementKind::Sale => m.kind_sale.clone(),
        MovementKind::WriteOff => m.kind_write_off_short.clone(),
    }
}

fn channel_name(m: &AppMessages, channel: Channel) -> String {
    match channel {
        Channel::Google => m.channel_google.clone(),
        Channel::Meta => m.channel_meta.clone(),
    }
}

/// A channel's attribute name (`description`, `image_link` …) as a leader reads it.
fn attribute_name(m: &AppMessages, attribute: &str) -> String {
    match attribute {
        "id" => m.attr_id.clone(),
        "title" => m.attr_title.clone(),
        "description" => m.attr_description.clone(),
        "link" => m.attr_link.clone(),
        "image_link" => m.attr_image_link.clone(),
        "price" => m.attr_price.clone(),
        "brand" => m.attr_brand.clone(),
        other => other.to_owned(),
    }
}

/// The title in the page's language, Vietnamese when there is no English one.
fn title_in(lang: PageLang, fields: &ListingFields) -> String {
    match (lang, &fields.title_en) {
        (PageLang::En, Some(title)) => title.to_string(),
        _ => fields.title_vi.to_string(),
    }
}

fn price_per_pack(m: &AppMessages, fields: &ListingFields) -> String {
    fill(
        &m.price_per_pack,
        &[
            ("price", &format_vnd(fields.price.get())),
            ("pack", &fields.pack_size.display_vi()),
        ],
    )
}

fn stock_text(m: &AppMessages, listing: &Listing) -> String {
    if listing.units > 0 {
        fill(&m.listing_units, &[("n", &listing.units.to_string())])
    } else {
        m.listing_out_of_stock.clone()
    }
}

fn thumbnail(ctx: &Ctx, hash: &str) -> String {
    format!("{}/media/{hash}/card.jpg", ctx.prefix)
}

struct ListingRow {
    href: String,
    title: String,
    price: String,
    status: String,
    stock: String,
    recalled: bool,
}

struct FeedLinks {
    google: String,
    meta: String,
    rotate_action: String,
}

struct GapLine {
    href: String,
    text: String,
}

#[derive(Template)]
#[template(path = "app/listings.html")]
struct ListingsPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    new_href: Option<String>,
    rows: Vec<ListingRow>,
    archived: Vec<ListingRow>,
    archived_label: String,
    feeds: Option<FeedLinks>,
    catalog_href: String,
    gaps: Vec<GapLine>,
}

/// `GET /app/ban-hang`: what the cooperative sells, its feed links and what the feeds leave out.
pub async fn list(Signed(ctx): Signed) -> Result<Response, PageError> {
    let principal = overseer(&ctx)?;
    let coop = principal.cooperative_id;
    let store = &ctx.state.store;
    let site = &ctx.state.site;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let m = ctx.m();
    let row = |listing: &Listing| ListingRow {
        href: ctx.href(&listing_path(listing.id)),
        title: title_in(ctx.lang, &listing.fields),
        price: price_per_pack(m, &listing.fields),
        status: status_name(m, listing.status),
        stock: stock_text(m, listing),
        recalled: listing.recalled(),
    };
    let listings = store.listings(coop, true).await.map_err(fail)?;
    let (archived, current): (Vec<&Listing>, Vec<&Listing>) =
        listings.iter().partition(|l| l.status == ListingStatus::Archived);
    let leads = principal.role == Role::Leader;
    // The token is the feeds' only secret: leaders see it, inspectors do not.
    let feeds = if leads {
        let token = store.feed_token(coop).await.map_err(fail)?;
        let (google, meta) = site.feed_urls(&token);
        Some(FeedLinks {
            google,
            meta,
            rotate_action: ctx.href("/ban-hang/kenh/doi-duong-dan"),
        })
    } else {
        None
    };
    let data = site.catalog(store, coop).await.map_err(fail)?;
    // One line per listing and missing attribute, naming every channel that leaves it out.
    let mut missing: Vec<(String, &'static str, Vec<Channel>)> = vec![];
    for gap in site.feed_gaps(&data) {
        match missing
            .iter_mut()
            .find(|(id, attribute, _)| *id == gap.id && *attribute == gap.attribute)
        {
            Some((_, _, channels)) => channels.push(gap.channel),
            None => missing.push((gap.id, gap.attribute, vec![gap.channel])),
        }
    }
    let gaps = missing
        .into_iter()
        .map(|(id, attribute, channels)| {
            let listing = data.listings.iter().find(|l| crate::web::feed_id(l) == id);
            let channels = channels
                .into_iter()
                .map(|c| channel_name(m, c))
                .collect::<Vec<_>>()
                .join(", ");
            GapLine {
                href: listing.map_or_else(|| ctx.href("/ban-hang"), |l| ctx.href(&listing_path(l.id))),
                text: fill(
                    &m.feed_gap,
                    &[
                        (
                            "title",
                            &listing.map(|l| title_in(ctx.lang, &l.fields)).unwrap_or_default(),
                        ),
                        ("id", &id),
                        ("what", &attribute_name(m, attribute)),
                        ("channels", &channels),
                    ],
                ),
            }
        })
        .collect();
    let page = ListingsPage {
        c: ctx.chrome(m.sales_title.clone()).await,
        m,
        new_href: leads.then(|| ctx.href("/ban-hang/moi")),
        rows: current.into_iter().map(row).collect(),
        archived_label: fill(&m.archived_listings, &[("n", &archived.len().to_string())]),
        archived: archived.into_iter().map(row).collect(),
        feeds,
        catalog_href: site.absolute_href(&site.catalog_href(coop)),
        gaps,
    };
    Ok(ctx.page(StatusCode::OK, page.render()))
}

struct LotLine {
    href: String,
    code: String,
    units: String,
    status: String,
    recalled: bool,
}

struct HistoryLine {
    version: i32,
    when: String,
    price: String,
    status: String,
    who: String,
}

struct MovementLine {
    when: String,
    kind: String,
    units: u64,
    lot: String,
    note: String,
    who: String,
}

/// What the sale or write-off form sends.
#[derive(Debug, Default)]
struct MovementForm {
    id: String,
    kind: String,
    units: String,
    note: String,
}

struct StatusButton {
    value: &'static str,
    label: String,
    danger: bool,
}

#[derive(Template)]
#[template(path = "app/listing.html")]
struct ListingPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    title: String,
    price: String,
    status: String,
    stock: String,
    in_stock: bool,
    recalled: bool,
    photos: Vec<String>,
    descriptions: Vec<(String, String)>,
    gtin: Option<String>,
    category: Option<String>,
    public_href: Option<String>,
    lots: Vec<LotLine>,
    history: Vec<HistoryLine>,
    movements: Vec<MovementLine>,
    leader: bool,
    edit_href: String,
    record_action: String,
    status_action: String,
    status_buttons: Vec<StatusButton>,
    form: MovementForm,
    errors: Vec<String>,
    invalid: Vec<String>,
    back: String,
}

impl ListingPage<'_> {
    fn is_invalid(&self, field: &str) -> bool {
        self.invalid.iter().any(|f| f == field)
    }
}

async fn render_listing(
    ctx: &Ctx,
    listing: &Listing,
    status: StatusCode,
    form: MovementForm,
    errors: Vec<String>,
    invalid: Vec<String>,
) -> Result<Response, PageError> {
    let principal = overseer(ctx)?;
    let coop = principal.cooperative_id;
    let store = &ctx.state.store;
    let site = &ctx.state.site;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let m = ctx.m();
    let words = ctx.words();
    let versions = store.listing_versions(coop, listing.id).await.map_err(fail)?;
    let movements = store.stock_movements(coop, listing.id).await.map_err(fail)?;
    let fields = &listing.fields;
    let mut descriptions = vec![];
    if let Some(text) = &fields.description_vi {
        descriptions.push((m.f_description_vi.clone(), text.to_string()));
    }
    if let Some(text) = &fields.description_en {
        descriptions.push((m.f_description_en.clone(), text.to_string()));
    }
    let leads = principal.role == Role::Leader;
    let status_buttons = [
        (ListingStatus::Paused, "paused", &m.pause, false),
        (ListingStatus::Active, "active", &m.resume, false),
        (ListingStatus::Archived, "archived", &m.archive, true),
    ]
    .into_iter()
    .filter(|(s, ..)| *s != listing.status)
    // An archived listing comes back by selling it again; pausing it first would be a detour.
    .filter(|(s, ..)| !(listing.status == ListingStatus::Archived && *s == ListingStatus::Paused))
    .map(|(_, value, label, danger)| StatusButton {
        value,
        label: label.clone(),
        danger,
    })
    .collect();
    let form = MovementForm {
        id: if form.id.trim().is_empty() {
            uuid::Uuid::new_v4().to_string()
        } else {
            form.id
        },
        ..form
    };
    let title = title_in(ctx.lang, fields);
    let page = ListingPage {
        c: ctx.chrome(title.clone()).await,
        m,
        price: price_per_pack(m, fields),
        status: status_name(m, listing.status),
        stock: stock_text(m, listing),
        // The colour tells whether units are left; the status beside it says whether they sell.
        in_stock: listing.units > 0,
        recalled: listing.recalled(),
        photos: fields.photos.iter().map(|p| thumbnail(ctx, &p.to_hex())).collect(),
        descriptions,
        gtin: fields.gtin.as_ref().map(ToString::to_string),
        category: fields.category.as_ref().map(ToString::to_string),
        // Archived listings are on no public page.
        public_href: (listing.status != ListingStatus::Archived)
            .then(|| site.listing_href(listing.cooperative_id, listing.id)),
        lots: listing
            .lots
            .iter()
            .map(|lot| LotLine {
                href: ctx.href(&format!("/lo/{}", super::encode_component(&lot.code))),
                code: lot.code.clone(),
                units: fill(&m.lot_units, &[("n", &lot.units.to_string())]),
                status: words.status(lot.status),
                recalled: lot.recalled,
            })
            .collect(),
        history: versions
            .iter()
            .map(|v| HistoryLine {
                version: v.version,
                when: show_datetime(&v.created_at),
                price: format_vnd(v.price_vnd),
                status: status_name(m, v.status),
                who: v.created_by.clone(),
            })
            .collect(),
        movements: movements
            .iter()
            .map(|mv| MovementLine {
                when: show_datetime(&mv.recorded_at),
                kind: kind_name(m, mv.kind),
                units: mv.units,
                lot: mv.lot_code.clone(),
                note: mv.note.clone().unwrap_or_default(),
                who: mv.recorded_by.clone(),
            })
            .collect(),
        leader: leads,
        edit_href: ctx.href(&format!("{}/sua", listing_path(listing.id))),
        record_action: ctx.href(&format!("{}/ghi-ban", listing_path(listing.id))),
        status_action: ctx.href(&format!("{}/trang-thai", listing_path(listing.id))),
        status_buttons,
        form,
        errors,
        invalid,
        back: ctx.href("/ban-hang"),
        title,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/ban-hang/{id}`: the listing, its stock per lot, price history and sales.
pub async fn show(Signed(ctx): Signed, Path(id): Path<String>) -> Result<Response, PageError> {
    overseer(&ctx)?;
    let listing = own_listing(&ctx, &id).await?;
    render_listing(&ctx, &listing, StatusCode::OK, MovementForm::default(), vec![], vec![]).await
}

fn text(sent: &HashMap<String, String>, name: &str) -> String {
    sent.get(name).cloned().unwrap_or_default()
}

/// `POST /app/ban-hang/{id}/ghi-ban`: records a sale or write-off, once per form id.
pub async fn record(
    Signed(ctx): Signed,
    Path(id): Path<String>,
    Posted { fields: sent, .. }: Posted,
) -> Result<Response, PageError> {
    ctx.check_csrf(&text(&sent, "csrf"))?;
    let principal = leader(&ctx)?;
    let listing = own_listing(&ctx, &id).await?;
    let m = ctx.m();
    let form = MovementForm {
        id: text(&sent, "id"),
        kind: text(&sent, "kind"),
        units: text(&sent, "units"),
        note: text(&sent, "note"),
    };
    let mut errors = vec![];
    let mut invalid = vec![];
    let mut bad = |field: &str, message: String| {
        errors.push(message);
        invalid.push(field.to_owned());
    };
    // The page puts a fresh id in every form; a post without one (an old page) records once
    // per post.
    let movement_id = uuid::Uuid::parse_str(form.id.trim()).unwrap_or_else(|_| uuid::Uuid::new_v4());
    let kind = MovementKind::parse(&form.kind, "kind")
        .map_err(|e| bad("kind", say(ctx.lang, &e)))
        .ok();
    let units = form.units.trim().parse::<u64>().ok().filter(|n| *n > 0).or_else(|| {
        bad("units", m.units_invalid.clone());
        None
    });
    let note = crate::api::optional(Some(&form.note), |t| Note::parse(t, "note"))
        .map_err(|e| bad("note", say(ctx.lang, &e)))
        .ok();
    let (Some(kind), Some(units), Some(note)) = (kind, units, note) else {
        return render_listing(&ctx, &listing, StatusCode::UNPROCESSABLE_ENTITY, form, errors, invalid).await;
    };
    let recorded = ctx
        .state
        .store
        .record_movement(
            &principal,
            listing.id,
            NewMovement {
                id: movement_id,
                kind,
                units,
                note,
            },
        )
        .await;
    match recorded {
        Ok(_) => {
            ctx.flash(fill(
                &m.recorded,
                &[("kind", &kind_name(m, kind)), ("n", &units.to_string())],
            ))
            .await;
            Ok(ctx.see_other(&listing_path(listing.id)))
        }
        Err(StoreError::Invalid(list)) => {
            let errors = list.0.iter().map(|e| say(ctx.lang, e)).collect();
            let invalid = list.0.iter().map(|e| e.field.clone()).collect();
            render_listing(&ctx, &listing, StatusCode::UNPROCESSABLE_ENTITY, form, errors, invalid).await
        }
        Err(StoreError::Conflict {
            message: message_en,
            message_vi,
            ..
        }) => {
            let message = ctx.pick(message_en, message_vi);
            // That id is spent: the form comes back with a fresh one.
            let form = MovementForm {
                id: String::new(),
                ..form
            };
            render_listing(&ctx, &listing, StatusCode::CONFLICT, form, vec![message], vec![]).await
        }
        Err(error) => Err(ctx.error(Failure::Store(error))),
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    status: String,
}

/// `POST /app/ban-hang/{id}/trang-thai`: pause, sell again or archive (a new version).
pub async fn set_status(
    Signed(ctx): Signed,
    Path(id): Path<String>,
    Form(form): Form<StatusForm>,
) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let principal = leader(&ctx)?;
    let listing = own_listing(&ctx, &id).await?;
    let status = ListingStatus::parse(&form.status, "status").map_err(|e| refused(&ctx, e.into()))?;
    let changed = ctx
        .state
        .store
        .set_listing_status(&principal, listing.id, status)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    let m = ctx.m();
    ctx.flash(fill(
        &m.status_changed,
        &[
            ("title", &title_in(ctx.lang, &changed.fields)),
            ("status", &status_name(m, changed.status)),
        ],
    ))
    .await;
    Ok(ctx.see_other(&listing_path(listing.id)))
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    #[serde(default)]
    csrf: String,
}

/// `POST /app/ban-hang/kenh/doi-duong-dan`: new feed links; the old ones stop working at once.
pub async fn rotate(Signed(ctx): Signed, Form(form): Form<CsrfForm>) -> Result<Response, PageError> {
    ctx.check_csrf(&form.csrf)?;
    let principal = leader(&ctx)?;
    ctx.state
        .store
        .rotate_feed_token(principal.cooperative_id)
        .await
        .map_err(|e| ctx.error(Failure::Store(e)))?;
    ctx.flash(ctx.m().rotated.clone()).await;
    Ok(ctx.see_other("/ban-hang#channels"))
}

#[derive(Template)]
#[template(path = "app/rotate.html")]
struct RotatePage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    google: String,
    meta: String,
    listed: usize,
    action: String,
    back: String,
}

/// `GET /app/ban-hang/kenh/doi-duong-dan`: what rotating the feed links does, before it is done.
pub async fn rotate_confirm(Signed(ctx): Signed) -> Result<Response, PageError> {
    let principal = leader(&ctx)?;
    let store = &ctx.state.store;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let token = store.feed_token(principal.cooperative_id).await.map_err(fail)?;
    let (google, meta) = ctx.state.site.feed_urls(&token);
    let listed = store
        .listings(principal.cooperative_id, false)
        .await
        .map_err(fail)?
        .len();
    let m = ctx.m();
    let page = RotatePage {
        c: ctx.chrome(m.rotate_title.clone()).await,
        m,
        google,
        meta,
        listed,
        action: ctx.href("/ban-hang/kenh/doi-duong-dan"),
        back: ctx.href("/ban-hang#channels"),
    };
    Ok(ctx.page(StatusCode::OK, page.render()))
}

/// What the listing form sends, as typed. Ticked photos and lots are `photos[i]` and
/// `lots[i]`: a posted form is read into a map, which keeps one value per name, and the index
/// keeps the order (the first photo is the main one, the first lot is sold first).
#[derive(Debug, Default)]
struct ListingForm {
    /// The version the form was filled from (edits only): saving over a newer one is refused.
    version: String,
    title_vi: String,
    title_en: String,
    description_vi: String,
    description_en: String,
    price_vnd: String,
    pack_size: String,
    gtin: String,
    category: String,
    photos: Vec<String>,
    lots: Vec<String>,
}

/// A quantity as a Vietnamese leader types it and the form reads it back: a decimal comma, no
/// thousands dots (`1,5 kg`, `500 g`, `1000 g`), the unit's short Vietnamese name.
fn typed_quantity(quantity: &farm_log::Quantity) -> String {
    let unit = quantity.unit.name_vi();
    let unit = if farm_log::Unit::from_code_or_name(unit) == Some(quantity.unit) {
        unit
    } else {
        quantity.unit.code()
    };
    format!("{} {unit}", quantity.value.normalize().to_string().replace('.', ","))
}

/// The non-empty values of `name[0]`, `name[1]` … in index order.
fn indexed(sent: &HashMap<String, String>, name: &str) -> Vec<String> {
    let mut found: Vec<(usize, String)> = sent
        .iter()
        .filter_map(|(key, value)| {
            let index = key.strip_prefix(name)?.strip_prefix('[')?.strip_suffix(']')?;
            Some((index.parse().ok()?, value.trim().to_owned()))
        })
        .filter(|(_, value)| !value.is_empty())
        .collect();
    found.sort();
    found.into_iter().map(|(_, value)| value).collect()
}

impl ListingForm {
    fn from_listing(listing: &Listing) -> Self {
        let fields = &listing.fields;
        let text = |t: &Option<catalog::Description>| t.as_ref().map(ToString::to_string).unwrap_or_default();
        Self {
            version: listing.version.to_string(),
            title_vi: fields.title_vi.to_string(),
            title_en: fields.title_en.as_ref().map(ToString::to_string).unwrap_or_default(),
            description_vi: text(&fields.description_vi),
            description_en: text(&fields.description_en),
            price_vnd: fields.price.get().to_string(),
            pack_size: typed_quantity(&fields.pack_size),
            gtin: fields.gtin.as_ref().map(ToString::to_string).unwrap_or_default(),
            category: fields.category.as_ref().map(ToString::to_string).unwrap_or_default(),
            photos: fields.photos.iter().map(|p| p.to_hex()).collect(),
            lots: fields.lots.iter().map(ToString::to_string).collect(),
        }
    }

    fn from_posted(sent: &HashMap<String, String>) -> Self {
        Self {
            version: text(sent, "version"),
            title_vi: text(sent, "title_vi"),
            title_en: text(sent, "title_en"),
            description_vi: text(sent, "description_vi"),
            description_en: text(sent, "description_en"),
            price_vnd: text(sent, "price_vnd"),
            pack_size: text(sent, "pack_size"),
            gtin: text(sent, "gtin"),
            category: text(sent, "category"),
            photos: indexed(sent, "photos"),
            lots: indexed(sent, "lots"),
        }
    }

    fn input(&self) -> ListingInput {
        ListingInput {
            title_vi: self.title_vi.clone(),
            title_en: self.title_en.clone(),
            description_vi: self.description_vi.clone(),
            description_en: self.description_en.clone(),
            price_vnd: self.price_vnd.clone(),
            pack_size: self.pack_size.clone(),
            gtin: self.gtin.clone(),
            category: self.category.clone(),
            photos: self.photos.clone(),
            lots: self.lots.clone(),
        }
    }
}

struct LotChoice {
    index: usize,
    code: String,
    label: String,
    checked: bool,
}

struct PhotoChoice {
    index: usize,
    hash: String,
    thumb: String,
}

struct NewPhoto {
    name: String,
    label: String,
    invalid: bool,
}

#[derive(Template)]
#[template(path = "app/listing_form.html")]
struct ListingFormPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    intro: Option<String>,
    action: String,
    back: String,
    submit: String,
    form: ListingForm,
    lots: Vec<LotChoice>,
    photos: Vec<PhotoChoice>,
    new_photos: Vec<NewPhoto>,
    /// (field, message), the field being the id of the input it is about.
    errors: Vec<(String, String)>,
    invalid: Vec<String>,
}

impl ListingFormPage<'_> {
    fn is_invalid(&self, field: &str) -> bool {
        self.invalid.iter().any(|f| f == field)
    }

    /// The less used fields stay folded unless something is in them.
    fn more_open(&self) -> bool {
        let form = &self.form;
        [&form.title_en, &form.description_en, &form.gtin, &form.category]
            .iter()
            .any(|v| !v.trim().is_empty())
            || ["title_en", "description_en", "gtin", "category"]
                .iter()
                .any(|f| self.is_invalid(f))
    }
}

/// The input an error's field belongs to: `lots[2]` → `lots`, `photos[0]` → `photos`.
fn input_of(field: &str) -> String {
    field.split('[').next().unwrap_or(field).to_owned()
}

fn field_label(m: &AppMessages, input: &str) -> String {
    match input {
        "title_vi" => m.f_title_vi.clone(),
        "title_en" => m.f_title_en.clone(),
        "description_vi" => m.f_description_vi.clone(),
        "description_en" => m.f_description_en.clone(),
        "price_vnd" => m.f_price.clone(),
        "pack_size" => m.f_pack.clone(),
        "gtin" => m.f_listing_gtin.clone(),
        "category" => m.f_category.clone(),
        "photos" => m.f_photos.clone(),
        "lots" => m.f_lots.clone(),
        other => match other.strip_prefix("photo") {
            Some(n) => fill(&m.f_photo_n, &[("n", n)]),
            None => other.to_owned(),
        },
    }
}

/// Field errors as the form shows them: "label: message", each linking to its input.
fn form_errors(ctx: &Ctx, list: &[FieldError]) -> (Vec<(String, String)>, Vec<String>) {
    let m = ctx.m();
    let mut errors = vec![];
    let mut invalid = vec![];
    for error in list {
        let input = input_of(&error.field);
        errors.push((
            input.clone(),
            format!("{}: {}", field_label(m, &input), say(ctx.lang, error)),
        ));
        invalid.push(input);
    }
    (errors, invalid)
}

async fn render_form(
    ctx: &Ctx,
    existing: Option<&Listing>,
    status: StatusCode,
    form: ListingForm,
    errors: Vec<(String, String)>,
    invalid: Vec<String>,
) -> Result<Response, PageError> {
    let principal = leader(ctx)?;
    let coop = principal.cooperative_id;
    let store = &ctx.state.store;
    let fail = |e: StoreError| ctx.error(Failure::Store(e));
    let m = ctx.m();
    let words = ctx.words();
    let lots = store.lots(coop, None).await.map_err(fail)?;
    let products = store.products(coop).await.map_err(fail)?;
    // The chosen lots first, in their order; then every other packed lot that is neither
    // recalled nor closed (the store refuses those).
    let mut shown: Vec<&store::Lot> = form
        .lots
        .iter()
        .filter_map(|code| lots.iter().find(|l| l.code == *code))
        .collect();
    let mut others: Vec<&store::Lot> = lots
        .iter()
        .filter(|l| l.initial_quantity.is_some() && !matches!(l.status, LotStatus::Recalled | LotStatus::Closed))
        .filter(|l| !form.lots.contains(&l.code))
        .collect();
    others.sort_by(|a, b| a.code.cmp(&b.code));
    shown.extend(others);
    let lot_choices = shown
        .into_iter()
        .enumerate()
        .map(|(index, lot)| {
            let product = products.iter().find(|p| p.id == lot.product_id);
            let mut label = format!(
                "{} — {} · {}",
                lot.code,
                product.map(|p| p.name.as_str()).unwrap_or_default(),
                words.status(lot.status)
            );
            if let Some(gtin) = product.and_then(|p| p.gtin.as_ref()) {
                label.push_str(&format!(" · GTIN {gtin}"));
            }
            LotChoice {
                index,
                code: lot.code.clone(),
                label,
                checked: form.lots.contains(&lot.code),
            }
        })
        .collect();
    let photos = form
        .photos
        .iter()
        .enumerate()
        .map(|(index, hash)| PhotoChoice {
            index,
            hash: hash.clone(),
            thumb: thumbnail(ctx, hash),
        })
        .collect();
    let new_photos = (1..=NEW_PHOTOS)
        .map(|n| {
            let name = format!("photo{n}");
            NewPhoto {
                label: fill(&m.f_photo_n, &[("n", &n.to_string())]),
                invalid: invalid.contains(&name),
                name,
            }
        })
        .collect();
    let (heading, intro, action, back, submit) = match existing {
        None => (
            m.new_listing.clone(),
            None,
            ctx.href("/ban-hang/moi"),
            ctx.href("/ban-hang"),
            m.create_listing.clone(),
        ),
        Some(listing) => (
            fill(&m.edit_heading, &[("title", &title_in(ctx.lang, &listing.fields))]),
            Some(m.edit_intro.clone()),
            ctx.href(&format!("{}/sua", listing_path(listing.id))),
            ctx.href(&listing_path(listing.id)),
            m.save.clone(),
        ),
    };
    let page = ListingFormPage {
        c: ctx.chrome(heading.clone()).await,
        m,
        heading,
        intro,
        action,
        back,
        submit,
        form,
        lots: lot_choices,
        photos,
        new_photos,
        errors,
        invalid,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/ban-hang/moi`.
pub async fn new_form(Signed(ctx): Signed) -> Result<Response, PageError> {
    render_form(&ctx, None, StatusCode::OK, ListingForm::default(), vec![], vec![]).await
}

/// `GET /app/ban-hang/{id}/sua`: the form filled with the current version.
pub async fn edit_form(Signed(ctx): Signed, Path(id): Path<String>) -> Result<Response, PageError> {
    leader(&ctx)?;
    let listing = own_listing(&ctx, &id).await?;
    let form = ListingForm::from_listing(&listing);
    render_form(&ctx, Some(&listing), StatusCode::OK, form, vec![], vec![]).await
}

/// `POST /app/ban-hang/moi`: lists the product; its page opens.
pub async fn create(Signed(ctx): Signed, Posted { fields, files }: Posted) -> Result<Response, PageError> {
    ctx.check_csrf(&text(&fields, "csrf"))?;
    leader(&ctx)?;
    save(&ctx, None, &fields, &files).await
}

/// `POST /app/ban-hang/{id}/sua`: a new version; the old one stays in the history.
pub async fn update(
    Signed(ctx): Signed,
    Path(id): Path<String>,
    Posted { fields, files }: Posted,
) -> Result<Response, PageError> {
    ctx.check_csrf(&text(&fields, "csrf"))?;
    leader(&ctx)?;
    let listing = own_listing(&ctx, &id).await?;
    save(&ctx, Some(&listing), &fields, &files).await
}

async fn save(
    ctx: &Ctx,
    existing: Option<&Listing>,
    sent: &HashMap<String, String>,
    files: &HashMap<String, Bytes>,
) -> Result<Response, PageError> {
    let principal = leader(ctx)?;
    let store = &ctx.state.store;
    let m = ctx.m();
    let mut form = ListingForm::from_posted(sent);
    let mut errors = vec![];
    let mut invalid = vec![];
    // New photos are checked, resized and stored first, and join the ticked ones: if the form
    // comes back for another field, they are kept and need not be taken again.
    for n in 1..=NEW_PHOTOS {
        let name = format!("photo{n}");
        let Some(bytes) = files.get(&name) else {
            continue;
        };
        let failed = match crate::api::prepare_photo(bytes.clone()).await {
            Ok(photo) => {
                store
                    .store_media(&photo)
                    .await
                    .map_err(|e| ctx.error(Failure::Store(e)))?;
                if !form.photos.contains(&photo.hash) {
                    form.photos.push(photo.hash);
                }
                continue;
            }
            Err(AppError::Invalid(list)) => list.0.iter().map(|e| say(ctx.lang, e)).collect::<Vec<_>>().join(" "),
            Err(AppError::PayloadTooLarge) => m.photo_too_large.clone(),
            Err(other) => return Err(refused(ctx, other)),
        };
        errors.push((name.clone(), format!("{}: {failed}", field_label(m, &name))));
        invalid.push(name);
    }
    let fields = match ListingFields::parse(&form.input()) {
        Ok(fields) => Some(fields),
        Err(list) => {
            let (more, bad) = form_errors(ctx, &list.0);
            errors.extend(more);
            invalid.extend(bad);
            None
        }
    };
    let Some(fields) = fields.filter(|_| errors.is_empty()) else {
        return render_form(ctx, existing, StatusCode::UNPROCESSABLE_ENTITY, form, errors, invalid).await;
    };
    let saved = match existing {
        None => store.create_listing(&principal, fields).await,
        Some(listing) => {
            let based_on = form.version.trim().parse::<i32>().ok();
            store.update_listing(&principal, listing.id, fields, based_on).await
        }
    };
    match saved {
        Ok(listing) => {
            let text = if existing.is_some() {
                &m.listing_saved
            } else {
                &m.listing_created
            };
            ctx.flash(fill(text, &[("title", &title_in(ctx.lang, &listing.fields))]))
                .await;
            Ok(ctx.see_other(&listing_path(listing.id)))
        }
        Err(StoreError::Invalid(list)) => {
            let (errors, invalid) = form_errors(ctx, &list.0);
            render_form(ctx, existing, StatusCode::UNPROCESSABLE_ENTITY, form, errors, invalid).await
        }
        Err(StoreError::Conflict {
            message: message_en,
            message_vi,
            field,
            ..
        }) => {
            let message = ctx.pick(message_en, message_vi);
            let input = input_of(&field);
            render_form(
                ctx,
                existing,
                StatusCode::CONFLICT,
                form,
                vec![(input.clone(), message)],
                vec![input],
            )
            .await
        }
        Err(StoreError::NotFound { .. }) => Err(ctx.error(Failure::NotFound)),
        Err(error) => Err(ctx.error(Failure::Store(error))),
    }
}

#[cfg(test)]
mod tests {
    use farm_log::{Quantity, Unit};
    use rust_decimal::Decimal;

    use super::typed_quantity;

    #[test]
    fn an_edit_form_shows_the_pack_size_as_typed_and_reads_it_back_unchanged() {
        for (value, unit, shown) in [
            (Decimal::new(500, 0), Unit::Gram, "500 g"),
            (Decimal::new(15, 1), Unit::Kilogram, "1,5 kg"),
            (Decimal::new(1000, 0), Unit::Gram, "1000 g"),
            (Decimal::new(2, 0), Unit::Piece, "2 cái"),
            (Decimal::new(3, 0), Unit::Decare, "3 DAA"),
        ] {
            let quantity = Quantity::new(value, unit, "pack_size").expect("positive");
            assert_eq!(typed_quantity(&quantity), shown);
            assert_eq!(
                Quantity::parse(shown, None, "pack_size").expect("reads back"),
                quantity,
                "{shown}"
            );
        }
    }
}
