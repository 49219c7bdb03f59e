//! What the storage and growth benchmarks share: a cooperative to measure with and the events
//! they append.

#![allow(dead_code, clippy::unwrap_used)]

use std::process::Command;

// The allocator `nguon serve` runs with (crates/nguon/src/main.rs): the server and store both
// benchmarks measure run in their own process, so with the default one their figures would not
// be the binary's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use farm_log::{GeoPoint, InputKind, LotCode, PhoneNumber, Quantity, Region, Role, ShortText};
use serde_json::{Value, json};
use store::{NewCooperative, NewInputProduct, NewLot, NewMember, NewPlot, NewProduct, Principal, Store};
use uuid::Uuid;

pub fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

pub fn text(s: &str) -> ShortText {
    ShortText::parse(s, "bench").unwrap()
}

pub fn have(tool: &str) -> bool {
    Command::new(tool).arg("--version").output().is_ok()
}

/// A cooperative with a leader (and their API token), a large plot, a fertilizer and `lots` lots.
pub struct Farm {
    pub coop: i64,
    pub principal: Principal,
    pub token: String,
    pub fertilizer: i64,
    pub lots: Vec<String>,
}

/// Lot codes are `{prefix}-000000`, `{prefix}-000001`, …
pub async fn farm(store: &Store, lots: usize, prefix: &str) -> Farm {
    let (coop, _, token) = store
        .create_cooperative(
            NewCooperative {
                name: text("HTX Đo hiệu năng"),
                address: text("Thôn 1"),
                province: text("Hà Nội"),
                commune: text("Tây Tựu"),
                phone: PhoneNumber::parse("0912000000", "phone").unwrap(),
                region: Region::North,
                gs1_company_prefix: None,
                gln: None,
            },
            NewMember {
                name: text("Nguyễn Văn Đo"),
                phone: PhoneNumber::parse("0912000001", "phone").unwrap(),
                role: Role::Leader,
            },
        )
        .await
        .unwrap();
    let principal = store.authenticate(&token.token).await.unwrap().unwrap();
    let plot = store
        .create_plot(
            coop.id,
            NewPlot {
                name: text("Cánh đồng mẫu lớn"),
                area: Quantity::parse("50 ha", None, "area").unwrap(),
                commune: text("Tây Tựu"),
                location: Some(GeoPoint::from_degrees(21.08, 105.73, "location").unwrap()),
                growing_area_code: None,
            },
        )
        .await
        .unwrap();
    let product = store
        .create_product(
            coop.id,
            NewProduct {
                commodity: text("Cải ngọt"),
                variety: None,
                gtin: None,
            },
        )
        .await
        .unwrap();
    let fertilizer = store
        .create_input_product(
            coop.id,
            NewInputProduct {
                kind: InputKind::Fertilizer,
                trade_name: text("Đạm Phú Mỹ"),
                active_ingredients: vec![text("Urê 46%N")],
                registration_number: None,
                phi_days: None,
            },
        )
        .await
        .unwrap();
    let mut codes = Vec::with_capacity(lots);
    for i in 0..lots {
        let code = format!("{prefix}-{i:06}");
        store
            .create_lot(
                coop.id,
                NewLot {
                    code: LotCode::parse(&code, "code").unwrap(),
                    product_id: product.id,
                    plot_ids: vec![plot.id],
                },
            )
            .await
            .unwrap();
        codes.push(code);
    }
    Farm {
        coop: coop.id,
        principal,
        token: token.token,
        fertilizer: fertilizer.id,
        lots: codes,
    }
}

/// The `n`-th event of a lot as JSON: fertilizing, irrigation and observation in turn, one
/// minute apart, all in the past.
pub fn event_json(fertilizer: i64, n: usize) -> Value {
    let occurred = (chrono::DateTime::parse_from_rfc3339("2025-01-01T06:00:00+07:00").unwrap()
        + chrono::Duration::minutes(n as i64))
    .to_rfc3339();
    let id = Uuid::new_v4();
    match n % 3 {
        0 => json!({ "id": id, "type": "fertilizing", "occurred_at": occurred,
                     "input": { "input_product_id": fertilizer }, "amount": "8 kg", "method": "Bón thúc" }),
        1 => json!({ "id": id, "type": "irrigation", "occurred_at": occurred,
                     "method": "Tưới phun mưa", "water_source": "Giếng khoan", "amount": "2000 lít" }),
        _ => json!({ "id": id, "type": "observation", "occurred_at": occurred,
                     "subject": "Sâu xanh", "note": "Mật độ thấp ở đầu luống phía bắc" }),
    }
}

/// [`event_json`] read as the API reads it.
pub fn draft(fertilizer: i64, n: usize) -> farm_log::event::EventDraft {
    farm_log::draft::parse_draft(&event_json(fertilizer, n), "").unwrap()
}
