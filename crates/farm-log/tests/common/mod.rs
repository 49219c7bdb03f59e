//! Builders shared by the farm-log tests.
#![allow(dead_code, missing_docs)]

use chrono::{DateTime, FixedOffset};
use farm_log::{AppliedInput, Event, EventBody, InputKind, InputSnapshot, Quantity, ShortText};
use uuid::Uuid;

pub fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("test date")
}

pub fn qty(text: &str) -> Quantity {
    Quantity::parse(text, None, "q").expect("test quantity")
}

pub fn text(value: &str) -> ShortText {
    ShortText::parse(value, "t").expect("test text")
}

pub fn event(seq: u64, occurred_at: &str, body: EventBody) -> Event {
    Event {
        id: Uuid::from_u128(seq as u128 + 1000),
        seq,
        occurred_at: at(occurred_at),
        recorded_at: at("2026-11-20T10:00:00+07:00"),
        actor: 7,
        note: None,
        location: None,
        photos: Vec::new(),
        body,
    }
}

pub fn seeding() -> EventBody {
    EventBody::Seeding {
        seed_source: text("Công ty Giống Cây trồng Miền Nam"),
        seed_lot: None,
        variety: Some(text("ST25")),
        quantity: qty("120 kg"),
    }
}

pub fn pesticide(name: &str, ingredient: &str, phi_days: u32) -> AppliedInput {
    AppliedInput {
        input_product_id: 3,
        snapshot: Some(InputSnapshot {
            trade_name: name.into(),
            kind: InputKind::Pesticide,
            active_ingredients: vec![ingredient.into()],
            registration_number: None,
            phi_days: Some(phi_days),
        }),
    }
}

pub fn spraying(input: AppliedInput) -> EventBody {
    EventBody::Spraying {
        input,
        dose: qty("250 ml"),
        area: Some(qty("1 ha")),
        target_pest: Some(text("Rầy nâu")),
    }
}

pub fn harvest(quantity: &str) -> EventBody {
    EventBody::Harvest {
        quantity: qty(quantity),
        phi_override: None,
    }
}
