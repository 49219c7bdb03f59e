//! A rice lot's season as the store would hand it over: seeding, two fertilizings (one later
//! corrected), two sprayings (the second too close to harvest), an observation later voided,
//! a harvest, and the two corrections. Also the font and external-tool lookups with their
//! loud-skip rule.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeMap;
use std::io::Write as _;

use chrono::{DateTime, FixedOffset};
use diary::{CooperativeInfo, DiaryFont, DiaryInput, PlotInfo};
use farm_log::{
    AppliedInput, ChainHead, Event, EventBody, InputKind, InputSnapshot, LotCode, LotStatus, Note, Quantity, Region,
    ShortText,
};
use uuid::Uuid;

pub const LOT: &str = "LUA-HT26.01";
pub const PRODUCT: &str = "Gạo ST25 Tân Phú";
pub const PLOT: &str = "Ruộng Đồng Chùa";
pub const FORMULA_NOTE: &str = "=HYPERLINK(\"http://example.invalid\",\"Bấm vào đây\")";
pub const FORMULA_MEMBER: &str = "+84 912 345 678 Lê Văn Cường";
pub const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";

pub fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).unwrap()
}

pub fn short(text: &str) -> ShortText {
    ShortText::parse(text, "t").unwrap()
}

pub fn note(text: &str) -> Note {
    Note::parse(text, "n").unwrap()
}

pub fn quantity(text: &str) -> Quantity {
    Quantity::parse(text, Some(Region::South), "q").unwrap()
}

pub fn event(seq: u64, when: &str, actor: i64, body: EventBody) -> Event {
    Event {
        id: Uuid::from_u128(0xD1A2_0000 + u128::from(seq)),
        seq,
        occurred_at: at(when),
        recorded_at: at(when),
        actor,
        note: None,
        location: None,
        photos: Vec::new(),
        body,
    }
}

pub fn input(id: i64, name: &str, kind: InputKind, ingredients: &[&str], phi_days: Option<u32>) -> AppliedInput {
    AppliedInput {
        input_product_id: id,
        snapshot: Some(InputSnapshot {
            trade_name: name.to_owned(),
            kind,
            active_ingredients: ingredients.iter().map(|i| (*i).to_owned()).collect(),
            registration_number: None,
            phi_days,
        }),
    }
}

pub fn fertilizing(amount: &str) -> EventBody {
    EventBody::Fertilizing {
        input: input(1, "Urê Phú Mỹ", InputKind::Fertilizer, &[], None),
        amount: quantity(amount),
        method: Some(short("Bón thúc đẻ nhánh")),
    }
}

pub fn spraying(name: &str, ingredient: &str, phi_days: u32, target: &str) -> EventBody {
    EventBody::Spraying {
        input: input(2, name, InputKind::Pesticide, &[ingredient], Some(phi_days)),
        dose: quantity("1,5 lít"),
        area: Some(quantity("2 công")),
        target_pest: Some(short(target)),
    }
}

pub fn harvest() -> EventBody {
    EventBody::Harvest {
        quantity: quantity("6 tấn"),
        phi_override: None,
    }
}

/// The season; after folding, seq 1–7 remain: 3 is corrected by 9, 5 is voided by 8, 6 is a
/// spraying 4 days (and 23 hours) before the harvest with a 7-day interval.
pub fn season() -> Vec<Event> {
    let mut fertilized = event(2, "2026-01-20T06:30:00+07:00", 1, fertilizing("8 kg"));
    fertilized.note = Some(note(FORMULA_NOTE));
    let mut sprayed = event(
        4,
        "2026-03-01T16:00:00+07:00",
        1,
        spraying("Anvil 5SC", "Hexaconazole", 7, "Bệnh khô vằn"),
    );
    sprayed.note = Some(note("Phun chiều mát, trời lặng gió."));
    vec![
        event(
            1,
            "2026-01-05T07:00:00+07:00",
            1,
            EventBody::Seeding {
                seed_source: short("Trung tâm Giống cây trồng Sóc Trăng"),
                seed_lot: Some(short("ST25-2025-118")),
                variety: Some(short("ST25")),
                quantity: quantity("120 kg"),
            },
        ),
        fertilized,
        event(3, "2026-02-10T07:15:00+07:00", 2, fertilizing("20 kg")),
        sprayed,
        event(
            5,
            "2026-03-10T08:00:00+07:00",
            2,
            EventBody::Observation {
                subject: short("Sâu cuốn lá nhỏ, mật độ thấp"),
            },
        ),
        event(
            6,
            "2026-03-20T07:00:00+07:00",
            3,
            spraying("Virtako 40WG", "Chlorantraniliprole", 7, "Sâu cuốn lá"),
        ),
        event(7, "2026-03-25T06:00:00+07:00", 1, harvest()),
        event(
            8,
            "2026-03-25T09:00:00+07:00",
            1,
            EventBody::Correction {
                corrects: Uuid::from_u128(0xD1A2_0000 + 5),
                reason: note("Ghi nhầm lô, quan sát này thuộc lô khác"),
                replacement: None,
            },
        ),
        event(
            9,
            "2026-03-25T09:05:00+07:00",
            1,
            EventBody::Correction {
                corrects: Uuid::from_u128(0xD1A2_0000 + 3),
                reason: note("Ghi nhầm lượng phân"),
                replacement: Some(Box::new(fertilizing("10 kg"))),
            },
        ),
    ]
}

pub fn diary_input(events: Vec<Event>) -> DiaryInput {
    DiaryInput {
        cooperative: CooperativeInfo {
            name: "HTX Nông nghiệp Tân Phú".to_owned(),
            address: "Ấp Tân Phú, xã Tân Phú, tỉnh Sóc Trăng".to_owned(),
            region: Some(Region::South),
        },
        lot_code: LotCode::parse(LOT, "lot").unwrap(),
        product_name: PRODUCT.to_owned(),
        plots: vec![PlotInfo {
            name: PLOT.to_owned(),
            commune: "Xã Tân Phú".to_owned(),
            growing_area_code: Some("VN-STR-0012".to_owned()),
        }],
        growers: vec!["Hộ ông Nguyễn Văn An".to_owned()],
        members: BTreeMap::from([
            (1, "Nguyễn Văn An".to_owned()),
            (2, "Trần Thị Bích".to_owned()),
            (3, FORMULA_MEMBER.to_owned()),
        ]),
        status: LotStatus::Harvested,
        chain_head: ChainHead(*blake3_like_head()),
        event_count: events.len() as u64,
        generated_at: at("2026-04-02T03:04:00+00:00"),
        events,
    }
}

/// A fixed chain head; its hex starts with "a1b2".
pub fn blake3_like_head() -> &'static [u8; 32] {
    &[
        0xa1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x90, 0x01, 0x12,
        0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0,
    ]
}

/// A long season: `count` events cycling through fertilizing, spraying and observation, the
/// last one a harvest.
pub fn long_season(count: u64) -> Vec<Event> {
    let start = at("2026-01-01T07:00:00+07:00");
    (1..=count)
        .map(|seq| {
            let when = (start + chrono::Duration::hours(i64::try_from(seq).unwrap())).to_rfc3339();
            let body = if seq == count {
                harvest()
            } else {
                match seq % 3 {
                    0 => fertilizing("5 kg"),
                    1 => spraying("Anvil 5SC", "Hexaconazole", 7, "Bệnh đạo ôn"),
                    _ => EventBody::Observation {
                        subject: short("Lúa đẻ nhánh đều, không thấy sâu bệnh"),
                    },
                }
            };
            let mut logged = event(seq, &when, 1 + i64::try_from(seq % 2).unwrap(), body);
            logged.note = Some(note(&format!("Ghi chép số {seq}: thăm đồng buổi sáng.")));
            logged
        })
        .collect()
}

/// Reports a missing prerequisite: a loud skip, or a failure when tools are required.
pub fn skip(what: &str, install: &str) {
    if std::env::var("NGUON_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{what} not found and NGUON_REQUIRE_TOOLS=1 — install {install}");
    }
    // Written straight to stderr: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: {what} not installed — install {install} ***\n"
    );
}

/// DejaVu Sans, or `None` after a loud skip.
pub fn font() -> Option<DiaryFont> {
    match std::fs::read(DEJAVU) {
        Ok(bytes) => Some(DiaryFont::from_bytes(bytes).expect("DejaVu Sans covers Vietnamese")),
        Err(_) => {
            skip(DEJAVU, "fonts-dejavu-core");
            None
        }
    }
}
