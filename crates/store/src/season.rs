//! What the cooperative's app needs to carry a season through, read and written beside the chain:
//! an overview of every lot (waiting periods running, stock, use-by dates, labels), members who
//! have gone quiet, the last step a member logged as it stands after corrections, who received
//! a lot's goods, how inputs are meant to be used, how a lot was packed, and the members'
//! details and plots.

use std::collections::{BTreeSet, HashMap};
use std::str::FromStr;

use chrono::{DateTime, Duration, FixedOffset, NaiveDate};
use farm_log::{
    Dimension, Event, EventBody, EventKind, LotState, LotStatus, PhoneNumber, Quantity, Role, ShortText, Unit,
};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

use crate::entities::{
    events, input_products, input_usage, label_batches, lot_packs, members, plot_assignments, shipment_contacts,
};
use crate::lots::event_from_row;
use crate::registry::quantity_from_columns;
use crate::{Lot, Member, Store, StoreError, now, timestamp_text};

/// A lot as the app's home screens summarise it.
#[derive(Debug, Clone)]
pub struct LotOverview {
    /// The lot.
    pub lot: Lot,
    /// The end of the longest pre-harvest interval still running, and the product behind it.
    pub waiting_until: Option<(DateTime<FixedOffset>, String)>,
    /// What it still holds, per dimension, in base units (kg, L, pieces).
    pub available: Vec<Quantity>,
    /// Whether labels were issued on it.
    pub labelled: bool,
    /// When it was packed (the packing or merging event that made it), for packed lots.
    pub packed_on: Option<DateTime<FixedOffset>>,
    /// The last day it may be sold (pack date + the product's shelf life), when known.
    pub use_by: Option<NaiveDate>,
    /// When the last step was logged on it.
    pub last_logged: Option<DateTime<FixedOffset>>,
}

impl LotOverview {
    /// Whether it still holds anything.
    pub fn has_stock(&self) -> bool {
        !self.available.is_empty()
    }
}

/// One delivery of a lot's goods (a shipping event), for contacting receivers in a recall.
#[derive(Debug, Clone)]
pub struct Shipment {
    /// The lot shipped.
    pub lot_code: String,
    /// The shipping event.
    pub event_id: String,
    /// When it left.
    pub occurred_at: DateTime<FixedOffset>,
    /// Who or where received it.
    pub to: String,
    /// How much, when recorded.
    pub quantity: Option<Quantity>,
    /// Delivery note or invoice number.
    pub document_ref: Option<String>,
    /// The receiver's phone, when the leader gave one (kept off the public chain).
    pub phone: Option<String>,
}

/// What an input's label says about how much to use.
#[derive(Debug, Clone, PartialEq)]
pub struct InputUsage {
    /// The input product.
    pub input_product_id: i64,
    /// The usual rate per hectare, lowest and highest, in a base unit (kg or L).
    pub rate_per_ha: Option<(Decimal, Decimal, Unit)>,
    /// The dose for one sprayer tank, and the tank's size in litres.
    pub tank_dose: Option<(Quantity, Decimal)>,
}

/// How a packed lot was packed in the app.
#[derive(Debug, Clone, PartialEq)]
pub struct LotPack {
    /// What one pack is called: "túi", "hộp", "thùng", "quả" …
    pub word: String,
    /// What one pack holds (for fruit sold by the piece, its average weight).
    pub pack_size: Quantity,
    /// Sold by the piece (one label per fruit) rather than in packs of a set weight.
    pub per_piece: bool,
    /// How many packs or pieces.
    pub packs: u64,
}

impl LotPack {
    /// What one label says the pack holds, in Vietnamese (labels are printed in Vietnamese):
    /// "Túi 500 g", "1 quả (khoảng 1,2 kg)", "1 quả".
    pub fn label_text(&self) -> String {
        if self.per_piece && self.pack_size.unit != Unit::Piece {
            format!("1 {} (khoảng {})", self.word, self.pack_size.display_vi())
        } else if self.per_piece {
            format!("1 {}", self.word)
        } else {
            let mut chars = self.word.chars();
            let word = match chars.next() {
                Some(first) => first.to_uppercase().collect::<String>() + chars.as_str(),
                None => String::new(),
            };
            format!("{word} {}", self.pack_size.display_vi())
        }
    }
}

/// A member's details as a leader edits them.
#[derive(Debug, Clone)]
pub struct MemberDetails {
    /// Name.
    pub name: ShortText,
    /// Phone.
    pub phone: PhoneNumber,
    /// Role.
    pub role: Role,
}

fn decimal(text: &str) -> Result<Decimal, StoreError> {
    Decimal::from_str(text).map_err(|e| StoreError::Corrupt(format!("decimal {text}: {e}")))
}

fn parse_time(text: &str) -> Option<DateTime<FixedOffset>> {
    DateTime::parse_from_rfc3339(text).ok()
}

/// The event's body as it stands after the lot's corrections; `None` when a correction voided it.
fn effective_body(event: &Event, corrections: &[Event]) -> Option<EventBody> {
    let latest = corrections.iter().rev().find_map(|c| match &c.body {
        EventBody::Correction {
            corrects, replacement, ..
        } if *corrects == event.id => Some(replacement.as_deref().cloned()),
        _ => None,
    });
    match latest {
        None => Some(event.body.clone()),
        Some(replacement) => replacement,
    }
}

impl Store {
    /// Every lot of the cooperative (for a member, the lots on their plots) with what the home
    /// screens say about it, newest first.
    pub async fn lot_overview(
        &self,
        cooperative_id: i64,
        only_for_member: Option<i64>,
    ) -> Result<Vec<LotOverview>, StoreError> {
        let lots = self.lots(cooperative_id, only_for_member).await?;
        if lots.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<i64> = lots.iter().map(|l| l.id).collect();
        let mut by_lot: HashMap<i64, Vec<Event>> = HashMap::new();
        let mut by_id: HashMap<String, DateTime<FixedOffset>> = HashMap::new();
        for chunk in ids.chunks(500) {
            for row in events::Entity::find()
                .filter(events::Column::LotId.is_in(chunk.to_vec()))
                .order_by_asc(events::Column::LotId)
                .order_by_asc(events::Column::Seq)
                .all(&self.db)
                .await?
            {
                // A damaged row is reported by verification; the overview skips it.
                if let Ok(event) = event_from_row(&row) {
                    by_id.insert(row.id.clone(), event.occurred_at);
                    by_lot.entry(row.lot_id).or_default().push(event);
                }
            }
        }
        // Parents outside the list (a member's view) still date the packing that made a lot.
        let missing: Vec<String> = lots
            .iter()
            .flat_map(|l| l.parents.iter().map(|p| p.via_event_id.clone()))
            .filter(|id| !by_id.contains_key(id))
            .collect();
        for chunk in missing.chunks(500) {
            for row in events::Entity::find()
                .filter(events::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await?
            {
                if let Some(at) = parse_time(&row.occurred_at) {
                    by_id.insert(row.id, at);
                }
            }
        }
        let labelled: BTreeSet<i64> = label_batches::Entity::find()
            .filter(label_batches::Column::LotId.is_in(ids.clone()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|b| b.lot_id)
            .collect();
        let shelf_life: HashMap<i64, Option<u32>> = self
            .products(cooperative_id)
            .await?
            .into_iter()
            .map(|p| (p.id, p.shelf_life_days))
            .collect();
        let at = now();
        let mut out = Vec::with_capacity(lots.len());
        for lot in lots {
            let events = by_lot.remove(&lot.id).unwrap_or_default();
            let last_logged = events.iter().map(|e| e.recorded_at).max();
            let state = LotState::from_events(lot.initial_quantity, events);
            let waiting_until = if matches!(lot.status, LotStatus::Growing | LotStatus::Harvested) {
                state
                    .sprayings
                    .iter()
                    .filter(|s| s.earliest_harvest() > at)
                    .filter(|s| state.last_harvest.is_none_or(|h| h < s.occurred_at))
                    .max_by_key(|s| s.earliest_harvest())
                    .map(|s| (s.earliest_harvest(), s.trade_name.clone()))
            } else {
                None
            };
            let available = if matches!(lot.status, LotStatus::Closed | LotStatus::Recalled) {
                Vec::new()
            } else {
                [Dimension::Mass, Dimension::Volume, Dimension::Count]
                    .into_iter()
                    .filter_map(|d| {
                        let value = state.available(d);
                        (value > Decimal::ZERO).then(|| Quantity {
                            value: value.normalize(),
                            unit: Unit::base_of(d),
                        })
                    })
                    .collect()
            };
            let packed_on = lot
                .parents
                .iter()
                .filter_map(|p| by_id.get(&p.via_event_id).copied())
                .max();
            let use_by = match (packed_on, shelf_life.get(&lot.product_id).copied().flatten()) {
                (Some(packed), Some(days)) => Some((packed + Duration::days(i64::from(days))).date_naive()),
                _ => None,
            };
            out.push(LotOverview {
                labelled: labelled.contains(&lot.id),
                waiting_until,
                available,
                packed_on,
                use_by,
                last_logged,
                lot,
            });
        }
        Ok(out)
    }

    /// When each member of the cooperative last logged a step (on any of its lots); members who
    /// never did are absent.
    pub async fn members_last_logged(
        &self,
        cooperative_id: i64,
    ) -> Result<HashMap<i64, DateTime<FixedOffset>>, StoreError> {
        let member_ids: Vec<i64> = members::Entity::find()
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.id)
            .collect();
        let mut out = HashMap::new();
        for chunk in member_ids.chunks(500) {
            let rows: Vec<(i64, Option<String>)> = events::Entity::find()
                .select_only()
                .column(events::Column::ActorMemberId)
                .column_as(events::Column::RecordedAt.max(), "last")
                .filter(events::Column::ActorMemberId.is_in(chunk.to_vec()))
                .group_by(events::Column::ActorMemberId)
                .into_tuple()
                .all(&self.db)
                .await?;
            for (member, last) in rows {
                // Stored times all carry +07:00, so the greatest text is the latest time.
                if let Some(at) = last.as_deref().and_then(parse_time) {
                    out.insert(member, at);
                }
            }
        }
        Ok(out)
    }

    /// The last step of `kind` a member logged, as it stands after any correction (a voided one
    /// is skipped for the one before it): forms start from what was really used last time.
    pub async fn last_effective_event_by(&self, member_id: i64, kind: EventKind) -> Result<Option<Event>, StoreError> {
        let rows = events::Entity::find()
            .filter(events::Column::ActorMemberId.eq(member_id))
            .filter(events::Column::Kind.eq(kind.as_str()))
            .order_by_desc(events::Column::RecordedAt)
            .limit(10)
            .all(&self.db)
            .await?;
        let mut corrections_of: HashMap<i64, Vec<Event>> = HashMap::new();
        for row in rows {
            let Ok(event) = event_from_row(&row) else { continue };
            if let std::collections::hash_map::Entry::Vacant(slot) = corrections_of.entry(row.lot_id) {
                let corrections = events::Entity::find()
                    .filter(events::Column::LotId.eq(row.lot_id))
                    .filter(events::Column::Kind.eq(EventKind::Correction.as_str()))
                    .order_by_asc(events::Column::Seq)
                    .all(&self.db)
                    .await?
                    .iter()
                    .filter_map(|r| event_from_row(r).ok())
                    .collect();
                slot.insert(corrections);
            }
            let corrections = corrections_of.get(&row.lot_id).map(Vec::as_slice).unwrap_or_default();
            if let Some(body) = effective_body(&event, corrections) {
                return Ok(Some(Event { body, ..event }));
            }
        }
        Ok(None)
    }

    /// Every delivery recorded on these lots of the cooperative (shipping events, corrections
    /// applied), oldest first, with the receivers' phones where known.
    pub async fn shipments(&self, cooperative_id: i64, lot_codes: &[String]) -> Result<Vec<Shipment>, StoreError> {
        let mut out = Vec::new();
        for code in lot_codes {
            let lot = self.lot_row(&self.db, cooperative_id, code).await?;
            let rows = events::Entity::find()
                .filter(events::Column::LotId.eq(lot.id))
                .filter(events::Column::Kind.is_in([EventKind::Shipping.as_str(), EventKind::Correction.as_str()]))
                .order_by_asc(events::Column::Seq)
                .all(&self.db)
                .await?;
            let parsed: Vec<Event> = rows.iter().filter_map(|r| event_from_row(r).ok()).collect();
            let corrections: Vec<Event> = parsed
                .iter()
                .filter(|e| e.body.kind() == EventKind::Correction)
                .cloned()
                .collect();
            let phones: HashMap<String, String> = shipment_contacts::Entity::find()
                .filter(shipment_contacts::Column::LotId.eq(lot.id))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|c| (c.event_id, c.phone))
                .collect();
            for event in parsed.iter().filter(|e| e.body.kind() == EventKind::Shipping) {
                if let Some(EventBody::Shipping {
                    to,
                    quantity,
                    document_ref,
                    ..
                }) = effective_body(event, &corrections)
                {
                    out.push(Shipment {
                        lot_code: lot.code.clone(),
                        event_id: event.id.to_string(),
                        occurred_at: event.occurred_at,
                        to: to.to_string(),
                        quantity,
                        document_ref: document_ref.map(|d| d.to_string()),
                        phone: phones.get(&event.id.to_string()).cloned(),
                    });
                }
            }
        }
        out.sort_by_key(|s| s.occurred_at);
        Ok(out)
    }

    /// Keeps the receiver's phone of a shipping event on a lot of the cooperative.
    pub async fn set_shipment_contact(
        &self,
        cooperative_id: i64,
        lot_code: &str,
        event_id: &str,
        phone: &PhoneNumber,
    ) -> Result<(), StoreError> {
        let lot = self.lot_row(&self.db, cooperative_id, lot_code).await?;
        let event = events::Entity::find_by_id(event_id.to_owned())
            .filter(events::Column::LotId.eq(lot.id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("event"))?;
        let _guard = self.write_guard().await;
        shipment_contacts::Entity::delete_by_id(event.id.clone())
            .exec(&self.db)
            .await?;
        shipment_contacts::ActiveModel {
            event_id: Set(event.id),
            lot_id: Set(lot.id),
            phone: Set(phone.to_string()),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// How the cooperative's inputs are meant to be used, where a leader said.
    pub async fn input_usage(&self, cooperative_id: i64) -> Result<Vec<InputUsage>, StoreError> {
        let ids: Vec<i64> = input_products::Entity::find()
            .filter(input_products::Column::CooperativeId.eq(cooperative_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|i| i.id)
            .collect();
        let rows = input_usage::Entity::find()
            .filter(input_usage::Column::InputProductId.is_in(ids))
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                let rate_per_ha = match (&row.rate_low, &row.rate_high, &row.rate_unit) {
                    (Some(low), Some(high), Some(unit)) => Some((
                        decimal(low)?,
                        decimal(high)?,
                        Unit::from_code_or_name(unit).ok_or_else(|| StoreError::Corrupt(format!("unit {unit}")))?,
                    )),
                    _ => None,
                };
                let tank_dose = match (&row.tank_dose_value, &row.tank_dose_unit, &row.tank_litres) {
                    (Some(value), Some(unit), Some(litres)) => {
                        Some((quantity_from_columns(value, unit)?, decimal(litres)?))
                    }
                    _ => None,
                };
                Ok(InputUsage {
                    input_product_id: row.input_product_id,
                    rate_per_ha,
                    tank_dose,
                })
            })
            .collect()
    }

    /// Records how an input of the cooperative is meant to be used (replacing what was said).
    pub async fn set_input_usage(&self, cooperative_id: i64, usage: &InputUsage) -> Result<(), StoreError> {
        input_products::Entity::find_by_id(usage.input_product_id)
            .filter(input_products::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("input product"))?;
        if let Some((low, high, unit)) = usage.rate_per_ha
            && (low <= Decimal::ZERO || high < low || !matches!(unit, Unit::Kilogram | Unit::Litre))
        {
            return Err(farm_log::FieldError::new(
                "rate_low",
                "invalid_rate",
                "Lượng thường dùng phải lớn hơn 0, và mức thấp không lớn hơn mức cao.",
                "The usual rate must be above 0, the low end no higher than the high end.",
            )
            .into());
        }
        let _guard = self.write_guard().await;
        input_usage::Entity::delete_by_id(usage.input_product_id)
            .exec(&self.db)
            .await?;
        if usage.rate_per_ha.is_none() && usage.tank_dose.is_none() {
            return Ok(());
        }
        input_usage::ActiveModel {
            input_product_id: Set(usage.input_product_id),
            rate_low: Set(usage.rate_per_ha.map(|(low, _, _)| low.normalize().to_string())),
            rate_high: Set(usage.rate_per_ha.map(|(_, high, _)| high.normalize().to_string())),
            rate_unit: Set(usage.rate_per_ha.map(|(_, _, unit)| unit.code().to_owned())),
            tank_dose_value: Set(usage.tank_dose.map(|(q, _)| q.value.normalize().to_string())),
            tank_dose_unit: Set(usage.tank_dose.map(|(q, _)| q.unit.code().to_owned())),
            tank_litres: Set(usage.tank_dose.map(|(_, litres)| litres.normalize().to_string())),
            updated_at: Set(timestamp_text(&now())),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// How a lot of the cooperative was packed in the app, when it was.
    pub async fn lot_pack(&self, cooperative_id: i64, code: &str) -> Result<Option<LotPack>, StoreError> {
        let lot = self.lot_row(&self.db, cooperative_id, code).await?;
        let Some(row) = lot_packs::Entity::find_by_id(lot.id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(Some(LotPack {
            word: row.pack_word,
            pack_size: quantity_from_columns(&row.pack_value, &row.pack_unit)?,
            per_piece: row.per_piece,
            packs: u64::try_from(row.packs).unwrap_or(0),
        }))
    }

    /// Records how lots of the cooperative were packed (replacing what was recorded).
    pub async fn set_lot_pack(&self, cooperative_id: i64, code: &str, pack: &LotPack) -> Result<(), StoreError> {
        let lot = self.lot_row(&self.db, cooperative_id, code).await?;
        let _guard = self.write_guard().await;
        lot_packs::Entity::delete_by_id(lot.id).exec(&self.db).await?;
        lot_packs::ActiveModel {
            lot_id: Set(lot.id),
            pack_word: Set(pack.word.clone()),
            pack_value: Set(pack.pack_size.value.normalize().to_string()),
            pack_unit: Set(pack.pack_size.unit.code().to_owned()),
            per_piece: Set(pack.per_piece),
            packs: Set(i64::try_from(pack.packs).unwrap_or(i64::MAX)),
            created_at: Set(timestamp_text(&now())),
        }
        .insert(&self.db)
        .await?;
        Ok(())
    }

    /// Changes a member's name, phone and role. A phone another member has is a conflict.
    pub async fn edit_member(
        &self,
        cooperative_id: i64,
        member_id: i64,
        details: &MemberDetails,
    ) -> Result<Member, StoreError> {
        let row = members::Entity::find_by_id(member_id)
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("member"))?;
        {
            let _guard = self.write_guard().await;
            let mut active: members::ActiveModel = row.into();
            active.name = Set(details.name.to_string());
            active.phone = Set(details.phone.to_string());
            active.role = Set(details.role.as_str().to_owned());
            active.update(&self.db).await.map_err(|e| {
                StoreError::unique(
                    e,
                    "phone",
                    "A member with this phone number already exists in the cooperative.",
                    "Số điện thoại này đã có trong HTX.",
                )
            })?;
        }
        self.member(cooperative_id, member_id).await
    }

    /// Takes a plot away from a member (both of this cooperative); the plot's lots and their
    /// history stay as they are. Unassigning a plot the member does not have is harmless.
    pub async fn unassign_plot(&self, cooperative_id: i64, plot_id: i64, member_id: i64) -> Result<(), StoreError> {
        self.plot(cooperative_id, plot_id).await?;
        self.member(cooperative_id, member_id).await?;
        let _guard = self.write_guard().await;
        plot_assignments::Entity::delete_many()
            .filter(plot_assignments::Column::PlotId.eq(plot_id))
            .filter(plot_assignments::Column::MemberId.eq(member_id))
            .exec(&self.db)
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use farm_log::event::EventBody;

    fn event(id: u128, body: EventBody) -> Event {
        let at = DateTime::parse_from_rfc3339("2026-11-01T07:00:00+07:00").expect("time");
        Event {
            id: uuid::Uuid::from_u128(id),
            seq: 1,
            occurred_at: at,
            recorded_at: at,
            actor: 1,
            note: None,
            location: None,
            photos: Vec::new(),
            body,
        }
    }

    fn observation(subject: &str) -> EventBody {
        EventBody::Observation {
            subject: ShortText::parse(subject, "subject").expect("text"),
        }
    }

    fn correction(corrects: u128, replacement: Option<EventBody>) -> Event {
        event(
            corrects + 100,
            EventBody::Correction {
                corrects: uuid::Uuid::from_u128(corrects),
                reason: farm_log::Note::parse("ghi nhầm", "reason").expect("note"),
                replacement: replacement.map(Box::new),
            },
        )
    }

    #[test]
    fn the_latest_correction_decides_what_an_event_says() {
        let original = event(1, observation("Sâu xanh"));
        assert_eq!(effective_body(&original, &[]), Some(observation("Sâu xanh")));
        let fixed = [
            correction(1, Some(observation("Sâu tơ"))),
            correction(1, Some(observation("Bọ nhảy"))),
        ];
        assert_eq!(effective_body(&original, &fixed), Some(observation("Bọ nhảy")));
        assert_eq!(effective_body(&original, &[correction(1, None)]), None);
        assert_eq!(
            effective_body(&original, &[correction(2, None)]),
            Some(observation("Sâu xanh")),
            "a correction of another event changes nothing"
        );
    }
}
