//! The checks a lot must pass before labels are printed for it: a buyer who scans the label is
//! told the produce was harvested, is not recalled, respected every pesticide's pre-harvest
//! interval (or a leader overrode it with a recorded reason) and had nothing banned on it.
//!
//! A label usually goes on a lot made by packing, whose sprayings and harvest live in its parent,
//! so the checks run over the lot's whole lineage: the lot first, then its ancestors.

use chrono::{DateTime, FixedOffset};

use crate::event::{AppliedInput, EventBody};
use crate::validate::{SprayRecord, show_date};
use crate::{BannedList, FieldError, LotState, LotStatus, ValidationErrors};

/// One lot of the lineage and its folded history.
#[derive(Debug, Clone)]
pub struct LineageLot {
    /// The lot's code.
    pub code: String,
    /// Its history.
    pub state: LotState,
}

fn lot_error(code: &'static str, vi: String, en: String) -> FieldError {
    FieldError::new("lot", code, vi, en)
}

/// Every reason the first lot of `lineage` may not be labelled now; empty when it may.
pub fn check(lineage: &[LineageLot], banned: &BannedList, now: DateTime<FixedOffset>) -> ValidationErrors {
    let mut errors = ValidationErrors::default();
    let Some(lot) = lineage.first() else {
        return errors;
    };
    for (depth, item) in lineage.iter().enumerate() {
        if item.state.status == LotStatus::Recalled {
            errors.push(if depth == 0 {
                lot_error(
                    "lot_recalled",
                    format!("Lô {} đã bị thu hồi, không được in tem.", item.code),
                    format!("Lot {} has been recalled; no labels may be printed for it.", item.code),
                )
            } else {
                lot_error(
                    "parent_lot_recalled",
                    format!(
                        "Lô gốc {} của lô {} đã bị thu hồi, không được in tem.",
                        item.code, lot.code
                    ),
                    format!(
                        "Lot {}, which lot {} came from, has been recalled; no labels may be printed.",
                        item.code, lot.code
                    ),
                )
            });
        }
    }
    if lot.state.status == LotStatus::Closed {
        errors.push(lot_error(
            "lot_closed",
            format!("Lô {} đã đóng, không in thêm tem.", lot.code),
            format!("Lot {} is closed; no more labels may be printed for it.", lot.code),
        ));
    }
    if lineage.iter().all(|item| item.state.last_harvest.is_none()) {
        errors.push(lot_error(
            "not_harvested",
            format!("Lô {} chưa được ghi thu hoạch, chưa thể in tem.", lot.code),
            format!(
                "Lot {} has no recorded harvest yet; labels come after harvest.",
                lot.code
            ),
        ));
    }
    for item in lineage {
        check_intervals(item, now, &mut errors);
        check_banned(item, banned, &mut errors);
    }
    errors
}

fn interval_error(item: &LineageLot, spray: &SprayRecord, until: &DateTime<FixedOffset>, what: &str) -> FieldError {
    let days = (*until - spray.occurred_at).num_days();
    lot_error(
        "inside_pre_harvest_interval",
        format!(
            "Lô {}: phun {} ngày {}, thời gian cách ly {} ngày, nhưng {} chỉ sau {} ngày (sớm nhất ngày {}).",
            item.code,
            spray.trade_name,
            show_date(&spray.occurred_at),
            spray.phi_days,
            if what == "harvest" { "thu hoạch" } else { "in tem" },
            days,
            show_date(&spray.earliest_harvest())
        ),
        format!(
            "Lot {}: {} was sprayed on {} with a {}-day pre-harvest interval, but the {} came only {} days later (earliest {}).",
            item.code,
            spray.trade_name,
            show_date(&spray.occurred_at),
            spray.phi_days,
            what,
            days,
            show_date(&spray.earliest_harvest())
        ),
    )
}

/// Each harvest must come after every earlier spraying's interval, unless it carries a leader's
/// override. A lot with no harvest of its own (made by packing) that was sprayed afterwards may
/// not be labelled before that spraying's interval is over.
fn check_intervals(item: &LineageLot, now: DateTime<FixedOffset>, errors: &mut ValidationErrors) {
    let events = item.state.effective_events();
    let mut harvested = false;
    for harvest in &events {
        let EventBody::Harvest { phi_override, .. } = &harvest.body else {
            continue;
        };
        harvested = true;
        if phi_override.is_some() {
            continue;
        }
        for spray in &item.state.sprayings {
            if spray.occurred_at <= harvest.occurred_at && harvest.occurred_at < spray.earliest_harvest() {
                errors.push(interval_error(item, spray, &harvest.occurred_at, "harvest"));
            }
        }
    }
    if !harvested {
        for spray in &item.state.sprayings {
            if now < spray.earliest_harvest() {
                errors.push(interval_error(item, spray, &now, "labelling"));
            }
        }
    }
}

fn check_banned(item: &LineageLot, banned: &BannedList, errors: &mut ValidationErrors) {
    for event in item.state.effective_events() {
        let (EventBody::Spraying { input, .. } | EventBody::Fertilizing { input, .. }) = &event.body else {
            continue;
        };
        let AppliedInput {
            snapshot: Some(snapshot),
            ..
        } = input
        else {
            continue;
        };
        for ban in banned.banned_among(&snapshot.active_ingredients) {
            errors.push(lot_error(
                "banned_active_ingredient",
                format!(
                    "Lô {}: ngày {} đã dùng {} chứa hoạt chất cấm {} ({}).",
                    item.code,
                    show_date(&event.occurred_at),
                    snapshot.trade_name,
                    ban.name,
                    ban.source
                ),
                format!(
                    "Lot {}: {} used on {} contains {}, which is banned ({}).",
                    item.code,
                    snapshot.trade_name,
                    show_date(&event.occurred_at),
                    ban.name,
                    ban.source
                ),
            ));
        }
    }
}
