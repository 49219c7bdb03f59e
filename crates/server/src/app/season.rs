//! The leader's end of a season in the app: pack a harvested lot into bags, boxes or fruit sold
//! by the piece (each pack size kept so its labels say the same), merge lots into one, and a
//! recall that first says what will happen and who received the goods (shipping is logged with
//! the step form).

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use askama::Template;
use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{NaiveDateTime, TimeZone};
use farm_log::validate::show_date;
use farm_log::{Dimension, LotCode, LotStatus, Note, Quantity, Unit, VIETNAM_OFFSET};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::json;
use store::{AppendItem, LotPack, MergeInput, MergeRequest, StoreError};

use super::{AppMessages, Chrome, Ctx, Failure, PageError, Posted, Signed, refused};
use crate::access::leader_of;
use crate::web::i18n::{PageLang, fill};

fn leader(ctx: &Ctx) -> Result<store::Principal, PageError> {
    let principal = ctx.principal()?.clone();
    leader_of(&principal, principal.cooperative_id).map_err(|e| refused(ctx, e))?;
    Ok(principal)
}

fn fail(ctx: &Ctx) -> impl Fn(StoreError) -> PageError + '_ {
    move |e| match e {
        StoreError::NotFound { .. } => ctx.error(Failure::NotFound),
        other => ctx.error(Failure::Store(other)),
    }
}

fn say(ctx: &Ctx, error: &farm_log::FieldError) -> String {
    ctx.pick(error.message_en.clone(), error.message_vi.clone())
}

fn now_local() -> String {
    store::now().format("%Y-%m-%dT%H:%M").to_string()
}

/// `2026-12-06T07:30` (the phone's local time in Vietnam) as a time with its offset.
fn local_time(text: &str) -> Option<chrono::DateTime<chrono::FixedOffset>> {
    NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%dT%H:%M")
        .ok()
        .and_then(|t| VIETNAM_OFFSET.from_local_datetime(&t).single())
}

/// A count as typed: "1.100" is eleven hundred.
pub(super) fn typed_count(text: &str, lang: PageLang) -> Option<u64> {
    let plain = match lang {
        PageLang::Vi => farm_log::quantity::typed_number_vi(text),
        PageLang::En => text.trim().replace([',', ' '], ""),
    };
    plain.parse::<u64>().ok().filter(|n| *n > 0)
}

/// The pack words a leader chooses from; the last sells fruit by the piece.
const PACK_WORDS: [&str; 6] = ["túi", "hộp", "thùng", "bao", "khay", "quả"];

/// Every lot made from `code`, at any depth, the lot first.
pub(super) async fn lineage_down(ctx: &Ctx, code: &str) -> Result<Vec<store::Lot>, PageError> {
    let principal = ctx.principal()?;
    let store = &ctx.state.store;
    let first = store.lot(principal.cooperative_id, code).await.map_err(fail(ctx))?;
    let mut seen = BTreeSet::from([first.code.clone()]);
    let mut order = vec![first];
    let mut next = 0;
    while next < order.len() {
        let children: Vec<String> = order[next].children.iter().map(|c| c.lot_code.clone()).collect();
        for child in children {
            if seen.insert(child.clone()) {
                order.push(store.lot(principal.cooperative_id, &child).await.map_err(fail(ctx))?);
            }
        }
        next += 1;
    }
    Ok(order)
}

/// Who received the goods of a lot and of every lot made from it: one line per delivery.
pub(super) async fn recipients(ctx: &Ctx, code: &str) -> Result<Vec<String>, PageError> {
    let principal = ctx.principal()?;
    let codes: Vec<String> = lineage_down(ctx, code).await?.into_iter().map(|l| l.code).collect();
    let shipments = ctx
        .state
        .store
        .shipments(principal.cooperative_id, &codes)
        .await
        .map_err(fail(ctx))?;
    let m = ctx.m();
    Ok(shipments
        .iter()
        .map(|s| {
            let mut line = format!("{} · {}", show_date(&s.occurred_at), s.to);
            if let Some(quantity) = &s.quantity {
                line.push_str(&format!(" · {}", super::amounts::quantity(quantity, ctx.lang)));
            }
            if let Some(document) = &s.document_ref {
                line.push_str(&format!(" · {}", fill(&m.recipient_document, &[("ref", document)])));
            }
            if let Some(phone) = &s.phone {
                line.push_str(&format!(" · {}", fill(&m.recipient_phone, &[("phone", phone)])));
            }
            line.push_str(&format!(" ({})", fill(&m.lot_line, &[("lot", &s.lot_code)])));
            line
        })
        .collect())
}

#[derive(Template)]
#[template(path = "app/recall.html")]
struct RecallPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    lots: Vec<String>,
    listings: Vec<String>,
    labels: Option<String>,
    recipients: Vec<String>,
    action: String,
    back: String,
}

/// `GET /app/lo/{code}/thu-hoi`: what a recall will do, who received the goods, and the
/// confirmation.
pub async fn recall_confirm(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    let principal = leader(&ctx)?;
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    let m = ctx.m();
    let store = &ctx.state.store;
    let base = format!("/lo/{}", super::encode_component(&lot.code));
    if lot.status == LotStatus::Recalled {
        ctx.flash(m.already_recalled.clone()).await;
        return Ok(ctx.see_other(&base));
    }
    let lineage = lineage_down(&ctx, &lot.code).await?;
    let products: HashMap<i64, String> = store
        .products(principal.cooperative_id)
        .await
        .map_err(fail(&ctx))?
        .into_iter()
        .map(|p| (p.id, p.name))
        .collect();
    let words = ctx.words();
    let lots: Vec<String> = lineage
        .iter()
        .filter(|l| l.status != LotStatus::Recalled)
        .map(|l| {
            format!(
                "{} — {} ({})",
                l.code,
                products.get(&l.product_id).cloned().unwrap_or_default(),
                words.status(l.status)
            )
        })
        .collect();
    let codes: BTreeSet<&str> = lineage.iter().map(|l| l.code.as_str()).collect();
    let listings: Vec<String> = store
        .listings(principal.cooperative_id, false)
        .await
        .map_err(fail(&ctx))?
        .iter()
        .filter(|l| l.lots.iter().any(|lot| codes.contains(lot.code.as_str())))
        .map(|l| l.fields.title_vi.to_string())
        .collect();
    let mut labels = 0u64;
    for l in &lineage {
        for batch in store
            .label_batches(principal.cooperative_id, &l.code)
            .await
            .map_err(fail(&ctx))?
        {
            labels = labels.saturating_add(u64::from(batch.count));
        }
    }
    let page = RecallPage {
        c: ctx.chrome(fill(&m.recall_confirm_title, &[("lot", &lot.code)])).await,
        m,
        heading: fill(&m.recall_confirm_title, &[("lot", &lot.code)]),
        lots,
        listings,
        labels: (labels > 0).then(|| {
            fill(
                &m.recall_labels,
                &[("n", &super::amounts::number(Decimal::from(labels), ctx.lang))],
            )
        }),
        recipients: recipients(&ctx, &lot.code).await?,
        action: ctx.href(&format!("{base}/thu-hoi")),
        back: ctx.href(&base),
    };
    Ok(ctx.page(StatusCode::OK, page.render()))
}

struct PackRow {
    index: usize,
    code: String,
    word: String,
    size: String,
    count: String,
}

#[derive(Template)]
#[template(path = "app/pack.html")]
struct PackPage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    heading: String,
    holds: String,
    action: String,
    back: String,
    id: String,
    occurred_at: String,
    note: String,
    rows: Vec<PackRow>,
    words: Vec<(&'static str, String)>,
    errors: Vec<String>,
}

/// How many pack rows the form offers (a harvest is rarely split more ways at once).
const PACK_ROWS: usize = 4;

/// Lot codes for the packs: the lot's code with -A, -B … not yet used in the cooperative.
async fn suggested_codes(ctx: &Ctx, lot: &store::Lot) -> Result<Vec<String>, PageError> {
    let principal = ctx.principal()?;
    let taken: BTreeSet<String> = ctx
        .state
        .store
        .lots(principal.cooperative_id, None)
        .await
        .map_err(fail(ctx))?
        .into_iter()
        .map(|l| l.code)
        .collect();
    Ok(('A'..='Z')
        .map(|letter| format!("{}-{letter}", lot.code))
        .filter(|code| !taken.contains(code) && LotCode::parse(code, "code").is_ok())
        .take(PACK_ROWS)
        .collect())
}

async fn render_pack(
    ctx: &Ctx,
    code: &str,
    status: StatusCode,
    fields: &HashMap<String, String>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = leader(ctx)?;
    let lot = super::farmer::own_lot(ctx, code).await?;
    let history = ctx
        .state
        .store
        .history(principal.cooperative_id, &lot.code)
        .await
        .map_err(fail(ctx))?;
    let place = super::farmer::place(ctx, lot).await?;
    let m = ctx.m();
    let suggested = suggested_codes(ctx, &place.lot).await?;
    let get = |name: &str| fields.get(name).cloned().unwrap_or_default();
    let rows = (0..PACK_ROWS)
        .map(|i| PackRow {
            index: i,
            code: fields
                .get(&format!("code[{i}]"))
                .cloned()
                .unwrap_or_else(|| suggested.get(i).cloned().unwrap_or_default()),
            word: fields
                .get(&format!("word[{i}]"))
                .cloned()
                .unwrap_or_else(|| "túi".to_owned()),
            size: get(&format!("size[{i}]")),
            count: get(&format!("count[{i}]")),
        })
        .collect();
    let amounts: Vec<String> = history
        .available
        .iter()
        .map(|q| super::amounts::quantity(q, ctx.lang))
        .collect();
    let lot_path = format!("/lo/{}", super::encode_component(&place.lot.code));
    let page = PackPage {
        c: ctx.chrome(fill(&m.pack_title, &[("place", &place.heading())])).await,
        m,
        heading: fill(&m.pack_title, &[("place", &place.heading())]),
        holds: fill(&m.lot_holds, &[("amount", &amounts.join(", "))]),
        action: ctx.href(&format!("{lot_path}/dong-goi")),
        back: ctx.href(&lot_path),
        id: fields
            .get("id")
            .cloned()
            .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
        occurred_at: fields.get("occurred_at").cloned().unwrap_or_else(now_local),
        note: get("note"),
        rows,
        words: PACK_WORDS
            .iter()
            .map(|w| {
                (
                    *w,
                    if *w == "quả" {
                        m.pack_per_piece.clone()
                    } else {
                        (*w).to_owned()
                    },
                )
            })
            .collect(),
        errors,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/lo/{code}/dong-goi`.
pub async fn pack_form(Signed(ctx): Signed, Path(code): Path<String>) -> Result<Response, PageError> {
    render_pack(&ctx, &code, StatusCode::OK, &HashMap::new(), vec![]).await
}

/// One pack row as typed, read into what packing records and what labels will say.
struct PackLine {
    code: LotCode,
    pack: LotPack,
    quantity: Quantity,
}

/// `POST /app/lo/{code}/dong-goi`: records the packing (the new lots are made with it) and how
/// each was packed, then back to the lot.
pub async fn pack(
    Signed(ctx): Signed,
    Path(code): Path<String>,
    Posted { fields, .. }: Posted,
) -> Result<Response, PageError> {
    ctx.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let principal = leader(&ctx)?;
    let lot = super::farmer::own_lot(&ctx, &code).await?;
    let m = ctx.m();
    let store = &ctx.state.store;
    let region = store
        .cooperative(principal.cooperative_id)
        .await
        .map_err(fail(&ctx))?
        .region;
    let history = store
        .history(principal.cooperative_id, &lot.code)
        .await
        .map_err(fail(&ctx))?;
    let holds_mass = history.available.iter().any(|q| q.unit.dimension() == Dimension::Mass);
    let holds_pieces = history.available.iter().any(|q| q.unit.dimension() == Dimension::Count);
    let mut errors = vec![];
    let mut lines = vec![];
    for i in 0..PACK_ROWS {
        let get = |name: &str| fields.get(&format!("{name}[{i}]")).map_or("", |v| v.trim());
        if get("count").is_empty() && get("size").is_empty() {
            continue;
        }
        let row = i + 1;
        let word = PACK_WORDS.iter().find(|w| **w == get("word")).copied().unwrap_or("túi");
        let per_piece = word == "quả";
        let code = LotCode::parse(get("code"), "code").map_err(|e| errors.push(format!("{row}: {}", say(&ctx, &e))));
        let count = typed_count(get("count"), ctx.lang);
        if count.is_none() {
            errors.push(fill(
                &m.pack_bad_count,
                &[("row", &row.to_string()), ("count", get("count"))],
            ));
        }
        let size = if per_piece && get("size").is_empty() && holds_pieces {
            Ok(Quantity {
                value: Decimal::ONE,
                unit: Unit::Piece,
            })
        } else {
            super::amounts::typed_quantity(get("size"), Some(region), ctx.lang, "size")
        }
        .map_err(|e| errors.push(format!("{row}: {}", say(&ctx, &e))));
        let (Ok(code), Some(count), Ok(size)) = (code, count, size) else {
            continue;
        };
        // Fruit sold by the piece from a harvest counted in fruit: the new lot holds fruit,
        // one label each; otherwise it holds the packs' weight (or volume, or pieces).
        let (quantity, pack_size) = if per_piece && holds_pieces && !holds_mass {
            let one = Quantity {
                value: Decimal::ONE,
                unit: Unit::Piece,
            };
            (Quantity::new(Decimal::from(count), Unit::Piece, "quantity"), one)
        } else {
            let base = Unit::base_of(size.unit.dimension());
            let total = size.in_base_unit().checked_mul(Decimal::from(count));
            (
                total.map_or_else(
                    || {
                        Err(farm_log::FieldError::new(
                            "quantity",
                            "too_large",
                            "Số quá lớn.",
                            "Too large.",
                        ))
                    },
                    |total| Quantity::new(total.normalize(), base, "quantity"),
                ),
                size,
            )
        };
        match quantity {
            Ok(quantity) => lines.push(PackLine {
                code,
                pack: LotPack {
                    word: word.to_owned(),
                    pack_size,
                    per_piece,
                    packs: count,
                },
                quantity,
            }),
            Err(e) => errors.push(format!("{row}: {}", say(&ctx, &e))),
        }
    }
    if lines.is_empty() && errors.is_empty() {
        errors.push(m.pack_nothing.clone());
    }
    if !errors.is_empty() {
        return render_pack(&ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, &fields, errors).await;
    }
    let occurred = local_time(fields.get("occurred_at").map_or("", String::as_str))
        .map(|t| t.to_rfc3339())
        .unwrap_or_default();
    let mut draft = json!({
        "id": fields.get("id").map_or("", |v| v.trim()),
        "type": "packing",
        "occurred_at": occurred,
        "children": lines.iter().map(|l| json!({
            "code": l.code.to_string(),
            "quantity": { "value": l.quantity.value.to_string(), "unit": l.quantity.unit.code() },
        })).collect::<Vec<_>>(),
    });
    if let Some(note) = fields.get("note").map(|n| n.trim()).filter(|n| !n.is_empty()) {
        draft["note"] = json!(note);
    }
    let draft = match farm_log::draft::parse_draft(&draft, "") {
        Ok(draft) => draft,
        Err(errors) => {
            let errors = errors.0.iter().map(|e| say(&ctx, e)).collect();
            return render_pack(&ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, &fields, errors).await;
        }
    };
    let stored = store
        .append(
            &principal,
            vec![AppendItem {
                lot_code: lot.code.clone(),
                draft,
            }],
            false,
        )
        .await;
    match stored {
        Ok(_) => {}
        Err(StoreError::Invalid(list)) => {
            let errors = list.0.iter().map(|e| say(&ctx, e)).collect();
            return render_pack(&ctx, &code, StatusCode::UNPROCESSABLE_ENTITY, &fields, errors).await;
        }
        Err(StoreError::Conflict {
            message, message_vi, ..
        }) => {
            let mut fields = fields.clone();
            fields.insert("id".into(), uuid::Uuid::now_v7().to_string());
            let errors = vec![ctx.pick(message, message_vi)];
            return render_pack(&ctx, &code, StatusCode::CONFLICT, &fields, errors).await;
        }
        Err(error) => return Err(ctx.error(Failure::Store(error))),
    }
    for line in &lines {
        store
            .set_lot_pack(principal.cooperative_id, line.code.as_ref(), &line.pack)
            .await
            .map_err(fail(&ctx))?;
    }
    let made: Vec<String> = lines
        .iter()
        .map(|l| format!("{} ({})", l.code, pack_words(&l.pack, ctx.lang, m)))
        .collect();
    ctx.flash(fill(&m.packed, &[("lots", &made.join(", "))])).await;
    Ok(ctx.see_other(&format!("/lo/{}", super::encode_component(&lot.code))))
}

/// "200 túi 500 g", "150 quả (khoảng 1,2 kg mỗi quả)".
pub(super) fn pack_words(pack: &LotPack, lang: PageLang, m: &AppMessages) -> String {
    let size = super::amounts::quantity(&pack.pack_size, lang);
    let count = super::amounts::number(Decimal::from(pack.packs), lang);
    if pack.per_piece && pack.pack_size.unit != Unit::Piece {
        fill(
            &m.packs_per_piece,
            &[("n", &count), ("word", &pack.word), ("weight", &size)],
        )
    } else if pack.per_piece {
        format!("{count} {}", pack.word)
    } else {
        format!("{count} {} {size}", pack.word)
    }
}

/// What one label of a packed lot says it holds: "Túi 500 g", "1 quả (khoảng 1,2 kg)".
pub(super) fn label_words(pack: &LotPack, lang: PageLang, m: &AppMessages) -> String {
    let size = super::amounts::quantity(&pack.pack_size, lang);
    if pack.per_piece && pack.pack_size.unit != Unit::Piece {
        fill(&m.label_per_piece, &[("word", &pack.word), ("weight", &size)])
    } else if pack.per_piece {
        format!("1 {}", pack.word)
    } else {
        let mut word = pack.word.clone();
        if let Some(first) = word.get(..1) {
            word = first.to_uppercase() + &word[1..];
        }
        format!("{word} {size}")
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct MergeQuery {
    #[serde(default)]
    lo: Option<String>,
}

struct MergeRow {
    index: usize,
    code: String,
    label: String,
    checked: bool,
    quantity: String,
    event_id: String,
}

#[derive(Template)]
#[template(path = "app/merge.html")]
struct MergePage<'a> {
    c: Chrome,
    m: &'a AppMessages,
    action: String,
    rows: Vec<MergeRow>,
    products: Vec<(i64, String, bool)>,
    output_code: String,
    occurred_at: String,
    note: String,
    errors: Vec<String>,
}

async fn render_merge(
    ctx: &Ctx,
    status: StatusCode,
    fields: &HashMap<String, String>,
    first: Option<&str>,
    errors: Vec<String>,
) -> Result<Response, PageError> {
    let principal = leader(ctx)?;
    let store = &ctx.state.store;
    let overview = store
        .lot_overview(principal.cooperative_id, None)
        .await
        .map_err(fail(ctx))?;
    let products = store.products(principal.cooperative_id).await.map_err(fail(ctx))?;
    let m = ctx.m();
    let mergeable: Vec<&store::LotOverview> = overview
        .iter()
        .filter(|o| matches!(o.lot.status, LotStatus::Harvested | LotStatus::Packed) && o.has_stock())
        .collect();
    let name = |id: i64| {
        products
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_default()
    };
    let rows: Vec<MergeRow> = mergeable
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let holds: Vec<String> = o
                .available
                .iter()
                .map(|q| super::amounts::quantity(q, ctx.lang))
                .collect();
            let sent = fields.get(&format!("pick[{i}]"));
            MergeRow {
                index: i,
                code: o.lot.code.clone(),
                label: format!("{} — {} ({})", o.lot.code, name(o.lot.product_id), holds.join(", ")),
                checked: sent.is_some_and(|c| *c == o.lot.code)
                    || (fields.is_empty() && first == Some(o.lot.code.as_str())),
                quantity: fields.get(&format!("quantity[{i}]")).cloned().unwrap_or_else(|| {
                    o.available
                        .first()
                        .map(|q| super::amounts::quantity(q, ctx.lang))
                        .unwrap_or_default()
                }),
                event_id: fields
                    .get(&format!("event[{i}]"))
                    .cloned()
                    .unwrap_or_else(|| uuid::Uuid::now_v7().to_string()),
            }
        })
        .collect();
    let chosen_product = fields
        .get("product_id")
        .cloned()
        .or_else(|| {
            first
                .and_then(|code| mergeable.iter().find(|o| o.lot.code == code))
                .map(|o| o.lot.product_id.to_string())
        })
        .unwrap_or_default();
    let page = MergePage {
        c: ctx.chrome(m.merge_title.clone()).await,
        m,
        action: ctx.href("/gop-lo"),
        rows,
        products: products
            .iter()
            .map(|p| (p.id, p.name.clone(), p.id.to_string() == chosen_product))
            .collect(),
        output_code: fields.get("output_code").cloned().unwrap_or_default(),
        occurred_at: fields.get("occurred_at").cloned().unwrap_or_else(now_local),
        note: fields.get("note").cloned().unwrap_or_default(),
        errors,
    };
    Ok(ctx.page(status, page.render()))
}

/// `GET /app/gop-lo?lo=CODE`: choose the lots to merge and how much of each.
pub async fn merge_form(Signed(ctx): Signed, Query(query): Query<MergeQuery>) -> Result<Response, PageError> {
    render_merge(&ctx, StatusCode::OK, &HashMap::new(), query.lo.as_deref(), vec![]).await
}

/// `POST /app/gop-lo`: merges the chosen lots into a new lot, then opens it.
pub async fn merge(Signed(ctx): Signed, Posted { fields, .. }: Posted) -> Result<Response, PageError> {
    ctx.check_csrf(fields.get("csrf").map_or("", String::as_str))?;
    let principal = leader(&ctx)?;
    let m = ctx.m();
    let store = &ctx.state.store;
    let region = store
        .cooperative(principal.cooperative_id)
        .await
        .map_err(fail(&ctx))?
        .region;
    let mut errors = vec![];
    let mut inputs = vec![];
    let mut indexes: Vec<usize> = fields
        .keys()
        .filter_map(|k| k.strip_prefix("pick[")?.strip_suffix(']')?.parse().ok())
        .collect();
    indexes.sort_unstable();
    for i in indexes {
        let get = |name: &str| fields.get(&format!("{name}[{i}]")).map_or("", |v| v.trim());
        let code = LotCode::parse(get("pick"), "inputs");
        let quantity = super::amounts::typed_quantity(get("quantity"), Some(region), ctx.lang, "quantity");
        let event_id = uuid::Uuid::from_str(get("event"));
        match (code, quantity, event_id) {
            (Ok(lot_code), Ok(quantity), Ok(event_id)) => inputs.push(MergeInput {
                lot_code,
                quantity,
                event_id,
            }),
            (code, quantity, _) => {
                for error in [code.err(), quantity.err()].into_iter().flatten() {
                    errors.push(format!("{}: {}", get("pick"), say(&ctx, &error)));
                }
            }
        }
    }
    let output = LotCode::parse(fields.get("output_code").map_or("", String::as_str), "output_code")
        .map_err(|e| errors.push(say(&ctx, &e)))
        .ok();
    let occurred_at = local_time(fields.get("occurred_at").map_or("", String::as_str));
    if occurred_at.is_none() {
        errors.push(m.bad_time.clone());
    }
    let note = match fields.get("note").map(|n| n.trim()).filter(|n| !n.is_empty()) {
        Some(text) => Note::parse(text, "note")
            .map(Some)
            .map_err(|e| errors.push(say(&ctx, &e)))
            .ok()
            .flatten(),
        None => None,
    };
    let product_id = fields.get("product_id").and_then(|p| p.parse::<i64>().ok());
    let (Some(output_code), Some(occurred_at), true) = (output, occurred_at, errors.is_empty()) else {
        return render_merge(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &fields, None, errors).await;
    };
    let merged = store
        .merge(
            &principal,
            MergeRequest {
                output_code,
                product_id,
                occurred_at,
                note,
                inputs,
            },
        )
        .await;
    match merged {
        Ok(lot) => {
            ctx.flash(fill(&m.merged, &[("lot", &lot.code)])).await;
            Ok(ctx.see_other(&format!("/lo/{}", super::encode_component(&lot.code))))
        }
        Err(StoreError::Invalid(list)) => {
            let errors = list.0.iter().map(|e| say(&ctx, e)).collect();
            render_merge(&ctx, StatusCode::UNPROCESSABLE_ENTITY, &fields, None, errors).await
        }
        Err(StoreError::Conflict {
            message, message_vi, ..
        }) => {
            let errors = vec![ctx.pick(message, message_vi)];
            render_merge(&ctx, StatusCode::CONFLICT, &fields, None, errors).await
        }
        Err(StoreError::NotFound { .. }) => {
            render_merge(
                &ctx,
                StatusCode::UNPROCESSABLE_ENTITY,
                &fields,
                None,
                vec![m.merge_unknown_lot.clone()],
            )
            .await
        }
        Err(error) => Err(ctx.error(Failure::Store(error))),
    }
}
