//! The diary's lines: one per entry of the lot's timeline, every cell already written out in the
//! chosen language, shared by the spreadsheet and the printed document.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use farm_log::timeline::{Amendment, SprayInterval, timeline};
use farm_log::{AppliedInput, Event, EventBody, EventKind, Quantity, Region, Unit, VIETNAM_OFFSET};
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::words::{self, Words};
use crate::{DiaryError, DiaryInput, Language};

/// What later corrections did to an entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowAmendment {
    /// Never corrected.
    None,
    /// A later correction replaced its content; the row shows the corrected content.
    Corrected {
        /// The sequence number of the correcting event.
        by_seq: Option<u64>,
        /// Why.
        reason: String,
        /// When the correction was recorded.
        at: DateTime<FixedOffset>,
    },
    /// A later correction voided it; the row still shows what it said.
    Voided {
        /// The sequence number of the voiding event.
        by_seq: Option<u64>,
        /// Why.
        reason: String,
        /// When the correction was recorded.
        at: DateTime<FixedOffset>,
    },
}

/// One line of the diary. Text cells are written out in the diary's language; cells that do
/// not apply are empty strings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiaryRow {
    /// The event's position in the lot's chain.
    pub seq: u64,
    /// The event's id.
    pub event_id: Uuid,
    /// Its type.
    pub kind: EventKind,
    /// When it happened, `dd/mm/yyyy` in Vietnam's time.
    pub date: String,
    /// When it happened, `HH:mm` in Vietnam's time.
    pub time: String,
    /// When it was stored, `dd/mm/yyyy HH:mm` in Vietnam's time.
    pub recorded_at: String,
    /// The type's name ("Phun thuốc BVTV").
    pub event_type: String,
    /// The lot's plots (events belong to the lot, not to one plot of it).
    pub plot: String,
    /// The fertilizer or pesticide applied, with its registration number when known.
    pub input_product: String,
    /// Its active ingredients (hoạt chất), comma-separated.
    pub active_ingredients: String,
    /// The amount as farmers write it ("1,5 lít", "45.000 kg").
    pub amount: String,
    /// The rest of the event's content ("Đối tượng: Sâu cuốn lá; Diện tích phun: …").
    pub details: String,
    /// For a spraying: its pre-harvest interval against the harvest that followed.
    pub interval: Option<SprayInterval>,
    /// For a spraying: the interval's verdict in words ("Đạt", "KHÔNG ĐẠT", …).
    pub interval_verdict: String,
    /// The name of the member who logged it.
    pub logged_by: String,
    /// The note typed with it.
    pub note: String,
    /// What later corrections did to it.
    pub amendment: RowAmendment,
    /// The amendment in words, naming the correcting event ("ĐÃ HỦY bởi sự kiện #7 …").
    pub amendment_text: String,
}

impl DiaryRow {
    /// True when a later correction voided this event.
    pub fn is_voided(&self) -> bool {
        matches!(self.amendment, RowAmendment::Voided { .. })
    }

    /// True for a spraying (not voided) whose harvest came inside its pre-harvest interval
    /// without a leader's override.
    pub fn interval_breached(&self) -> bool {
        !self.is_voided() && self.interval.is_some_and(|interval| !interval.respected())
    }
}

/// The diary's lines for `input`, in chain order: corrections folded into the events they
/// correct. Fails when the events are not the lot's whole history (a gap in the sequence
/// numbers, or fewer or more events than the chain counts).
pub fn diary_rows(input: &DiaryInput, language: Language) -> Result<Vec<DiaryRow>, DiaryError> {
    let events = complete_history(input)?;
    let words = Words::of(language);
    let region = input.cooperative.region;
    let plot = input
        .plots
        .iter()
        .map(|plot| plot.name.trim())
        .collect::<Vec<_>>()
        .join("; ");
    // The timeline keeps the last correction of an event; so does this map.
    let mut corrected_by: HashMap<Uuid, u64> = HashMap::new();
    for event in &events {
        if let EventBody::Correction { corrects, .. } = &event.body {
            corrected_by.insert(*corrects, event.seq);
        }
    }
    let originals: HashMap<Uuid, &Event> = events.iter().map(|event| (event.id, event)).collect();
    let rows = timeline(&events)
        .into_iter()
        .map(|entry| {
            let event = &entry.event;
            let content = describe(&event.body, region, language);
            let occurred = event.occurred_at.with_timezone(&VIETNAM_OFFSET);
            let by_seq = corrected_by.get(&event.id).copied();
            let (amendment, amendment_text) = match &entry.amendment {
                Amendment::None => (RowAmendment::None, String::new()),
                Amendment::Corrected { reason, at } => {
                    let original = originals
                        .get(&event.id)
                        .map(|original| summary(&describe(&original.body, region, language)))
                        .unwrap_or_default();
                    let mut text = format!(
                        "{}{}: {}",
                        words.corrected,
                        by_event(words, by_seq, at),
                        reason.as_ref()
                    );
                    if !original.is_empty() {
                        text.push_str(&format!(" — {}: {original}", words.originally));
                    }
                    let amendment = RowAmendment::Corrected {
                        by_seq,
                        reason: reason.to_string(),
                        at: *at,
                    };
                    (amendment, text)
                }
                Amendment::Voided { reason, at } => {
                    let text = format!("{}{}: {}", words.voided, by_event(words, by_seq, at), reason.as_ref());
                    let amendment = RowAmendment::Voided {
                        by_seq,
                        reason: reason.to_string(),
                        at: *at,
                    };
                    (amendment, text)
                }
            };
            DiaryRow {
                seq: event.seq,
                event_id: event.id,
                kind: event.body.kind(),
                date: occurred.format("%d/%m/%Y").to_string(),
                time: occurred.format("%H:%M").to_string(),
                recorded_at: show_datetime(&event.recorded_at),
                event_type: words::event_type(event.body.kind(), language).to_owned(),
                plot: plot.clone(),
                input_product: content.input_product,
                active_ingredients: content.active_ingredients,
                amount: content.amount,
                details: with_photos(content.details, &event.photos, words),
                interval: entry.interval,
                interval_verdict: entry
                    .interval
                    .map(|interval| verdict(&interval, words).to_owned())
                    .unwrap_or_default(),
                logged_by: input
                    .members
                    .get(&event.actor)
                    .map(|name| name.trim().to_owned())
                    .unwrap_or_else(|| format!("{} #{}", words.member_number, event.actor)),
                note: event.note.as_ref().map(ToString::to_string).unwrap_or_default(),
                amendment,
                amendment_text,
            }
        })
        .collect();
    Ok(rows)
}

/// The events in sequence order, checked to be the lot's whole history.
fn complete_history(input: &DiaryInput) -> Result<Vec<Event>, DiaryError> {
    let mut events = input.events.clone();
    events.sort_by_key(|event| event.seq);
    for (expected, event) in (1u64..).zip(&events) {
        if event.seq != expected {
            return Err(DiaryError::SequenceGap {
                expected,
                found: event.seq,
            });
        }
    }
    if u64::try_from(events.len()).ok() != Some(input.event_count) {
        return Err(DiaryError::EventCountMismatch {
            stated: input.event_count,
            listed: events.len(),
        });
    }
    Ok(events)
}

fn by_event(words: &Words, by_seq: Option<u64>, at: &DateTime<FixedOffset>) -> String {
    match by_seq {
        Some(seq) => format!(" {} #{seq} ({})", words.by_event, show_datetime(at)),
        None => format!(" ({})", show_datetime(at)),
    }
}

/// `dd/mm/yyyy HH:mm` in Vietnam's time.
pub(crate) fn show_datetime(at: &DateTime<FixedOffset>) -> String {
    at.with_timezone(&VIETNAM_OFFSET).format("%d/%m/%Y %H:%M").to_string()
}

fn verdict(interval: &SprayInterval, words: &Words) -> &'static str {
    match (interval.required_days, interval.days_to_harvest) {
        (None, _) => words.interval_unknown,
        (Some(_), None) => words.not_harvested,
        (Some(required), Some(days)) if days >= i64::from(required) => words.respected,
        _ if interval.overridden => words.overridden,
        _ => words.not_respected,
    }
}

/// An event's content split into the diary's cells.
#[derive(Default)]
struct Content {
    input_product: String,
    active_ingredients: String,
    amount: String,
    details: String,
}

/// The content in one short line, for "what it said before the correction".
fn summary(content: &Content) -> String {
    [
        content.input_product.as_str(),
        content.active_ingredients.as_str(),
        content.amount.as_str(),
        content.details.as_str(),
    ]
    .into_iter()
    .filter(|part| !part.is_empty())
    .collect::<Vec<_>>()
    .join("; ")
}

fn describe(body: &EventBody, region: Option<Region>, language: Language) -> Content {
    let words = Words::of(language);
    let quantity = |q: &Quantity| show_quantity(q, region, language);
    let mut details: Vec<String> = Vec::new();
    let mut detail = |label: &str, value: Option<String>| {
        if let Some(value) = value.filter(|value| !value.trim().is_empty()) {
            details.push(format!("{label}: {}", value.trim()));
        }
    };
    let mut content = Content::default();
    match body {
        EventBody::Seeding {
            seed_source,
            seed_lot,
            variety,
            quantity: amount,
        } => {
            detail(words.variety, variety.as_ref().map(ToString::to_string));
            detail(words.seed_source, Some(seed_source.to_string()));
            detail(words.seed_lot, seed_lot.as_ref().map(ToString::to_string));
            content.amount = quantity(amount);
        }
        EventBody::Fertilizing { input, amount, method } => {
            (content.input_product, content.active_ingredients) = applied(input, words);
            content.amount = quantity(amount);
            detail(words.fertilizing_method, method.as_ref().map(ToString::to_string));
        }
        EventBody::Spraying {
            input,
            dose,
            area,
            target_pest,
        } => {
            (content.input_product, content.active_ingredients) = applied(input, words);
            content.amount = quantity(dose);
            detail(words.target_pest, target_pest.as_ref().map(ToString::to_string));
            detail(words.area_sprayed, area.as_ref().map(quantity));
        }
        EventBody::Irrigation {
            method,
            water_source,
            amount,
        } => {
            content.amount = amount.as_ref().map(quantity).unwrap_or_default();
            detail(words.irrigation_method, method.as_ref().map(ToString::to_string));
            detail(words.water_source, water_source.as_ref().map(ToString::to_string));
        }
        EventBody::Observation { subject } => {
            details.push(subject.to_string());
        }
        EventBody::Harvest {
            quantity: amount,
            phi_override,
        } => {
            content.amount = quantity(amount);
            detail(
                words.phi_override,
                phi_override.as_ref().map(|over| over.reason.to_string()),
            );
        }
        EventBody::Packing { children } => {
            let listed = children
                .iter()
                .map(|child| format!("{} ({})", child.code, quantity(&child.quantity)))
                .collect::<Vec<_>>()
                .join(", ");
            detail(words.child_lots, Some(listed));
        }
        EventBody::Merging {
            output_lot,
            quantity: amount,
        } => {
            content.amount = quantity(amount);
            detail(words.into_lot, Some(output_lot.to_string()));
        }
        EventBody::Shipping {
            from,
            to,
            document_ref,
            quantity: amount,
        }
        | EventBody::Receiving {
            from,
            to,
            document_ref,
            quantity: amount,
        } => {
            content.amount = amount.as_ref().map(quantity).unwrap_or_default();
            detail(words.from, Some(from.to_string()));
            detail(words.to, Some(to.to_string()));
            detail(words.document, document_ref.as_ref().map(ToString::to_string));
        }
        EventBody::Correction { reason, .. } | EventBody::Recall { reason } => {
            detail(words.reason, Some(reason.to_string()));
        }
        EventBody::Close { reason } => {
            detail(words.reason, reason.as_ref().map(ToString::to_string));
        }
        EventBody::AlterationAcknowledged { explanation, .. } => {
            detail(words.reason, Some(explanation.to_string()));
        }
        EventBody::Override { reason, .. } => {
            detail(words.reason, Some(reason.to_string()));
        }
    }
    content.details = details.join("; ");
    content
}

/// The product's name (with its registration number) and active ingredients, from the snapshot
/// frozen into the event; an event stored without one shows the registry id.
fn applied(input: &AppliedInput, words: &Words) -> (String, String) {
    match &input.snapshot {
        Some(snapshot) => {
            let name = match snapshot.registration_number.as_deref().map(str::trim) {
                Some(number) if !number.is_empty() => {
                    format!("{} ({} {number})", snapshot.trade_name.trim(), words.registration)
                }
                _ => snapshot.trade_name.trim().to_owned(),
            };
            let ingredients = snapshot
                .active_ingredients
                .iter()
                .map(|name| name.trim())
                .filter(|name| !name.is_empty())
                .collect::<Vec<_>>()
                .join(", ");
            (name, ingredients)
        }
        None => (
            format!("{} #{}", words.input_number, input.input_product_id),
            String::new(),
        ),
    }
}

/// A quantity as users of `language` write it; an area also in the cooperative's sào (công in
/// the South), since doses and plots are spoken of per sào.
fn show_quantity(quantity: &Quantity, region: Option<Region>, language: Language) -> String {
    let number = |value: Decimal| match language {
        Language::Vi => farm_log::quantity::format_decimal_vi(value),
        Language::En => format_decimal_en(value),
    };
    let mut text = match language {
        Language::Vi => quantity.display_vi(),
        Language::En => format!("{} {}", number(quantity.value), quantity.unit.name_en()),
    };
    if let (Unit::SquareMetre, Some(region)) = (quantity.unit, region) {
        let (per_unit, name) = match region {
            Region::South => (region.cong_square_metres(), "công"),
            Region::North | Region::Central => (region.sao_square_metres(), "sào"),
        };
        let local = (quantity.value / per_unit).round_dp(2).normalize();
        let approximately = if local * per_unit == quantity.value { "" } else { "≈ " };
        if !local.is_zero() {
            text.push_str(&format!(" ({approximately}{} {name})", number(local)));
        }
    }
    text
}

/// `1,500.5`: comma for thousands, dot for decimals.
fn format_decimal_en(value: Decimal) -> String {
    farm_log::quantity::format_decimal_vi(value)
        .chars()
        .map(|c| match c {
            '.' => ',',
            ',' => '.',
            other => other,
        })
        .collect()
}

/// The details, followed by the event's photos (their full hashes, which name the images on the
/// public pages and are part of the chained record).
fn with_photos(details: String, photos: &[farm_log::PhotoHash], words: &Words) -> String {
    if photos.is_empty() {
        return details;
    }
    let list = photos.iter().map(|p| p.to_hex()).collect::<Vec<_>>().join(", ");
    let photos = format!("{}: {list}", words.photos);
    if details.is_empty() {
        photos
    } else {
        format!("{details}; {photos}")
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn area(square_metres: i64) -> Quantity {
        Quantity::new(Decimal::from(square_metres), Unit::SquareMetre, "area").unwrap()
    }

    #[test]
    fn areas_are_also_shown_in_the_regions_sao_or_cong() {
        assert_eq!(
            show_quantity(&area(720), Some(Region::North), Language::Vi),
            "720 m² (2 sào)"
        );
        assert_eq!(
            show_quantity(&area(1000), Some(Region::Central), Language::Vi),
            "1.000 m² (2 sào)"
        );
        assert_eq!(
            show_quantity(&area(1500), Some(Region::South), Language::Vi),
            "1.500 m² (1,5 công)"
        );
        assert_eq!(
            show_quantity(&area(1000), Some(Region::North), Language::Vi),
            "1.000 m² (≈ 2,78 sào)"
        );
        assert_eq!(show_quantity(&area(720), None, Language::Vi), "720 m²");
    }

    #[test]
    fn english_amounts_use_english_separators_and_unit_names() {
        let mass = Quantity::new(Decimal::new(15005, 1), Unit::Kilogram, "q").unwrap();
        assert_eq!(show_quantity(&mass, None, Language::En), "1,500.5 kg");
        assert_eq!(show_quantity(&mass, None, Language::Vi), "1.500,5 kg");
        let volume = Quantity::new(Decimal::new(15, 1), Unit::Litre, "q").unwrap();
        assert_eq!(show_quantity(&volume, None, Language::En), "1.5 L");
    }
}
