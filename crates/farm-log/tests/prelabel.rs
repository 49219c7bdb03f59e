//! The checks before labels are printed, each with a passing and a failing lineage.

mod common;

use common::*;
use farm_log::prelabel::{LineageLot, check};
use farm_log::{BannedList, EventBody, LotState, Note, PhiOverride};

fn lot(code: &str, initial: Option<&str>, events: Vec<farm_log::Event>) -> LineageLot {
    LineageLot {
        code: code.into(),
        state: LotState::from_events(initial.map(qty), events),
    }
}

fn codes(lineage: &[LineageLot]) -> Vec<&'static str> {
    check(lineage, &BannedList::vietnam(), at("2026-11-20T10:00:00+07:00"))
        .0
        .iter()
        .map(|e| e.code)
        .collect()
}

fn note(text: &str) -> Note {
    Note::parse(text, "reason").expect("note")
}

/// A parent lot sprayed on 01/10 with a 7-day interval and harvested `harvest_at`.
fn parent(harvest_at: &str, phi_override: bool) -> LineageLot {
    lot(
        "LUA-01",
        None,
        vec![
            event(1, "2026-09-01T07:00:00+07:00", seeding()),
            event(
                2,
                "2026-10-01T16:00:00+07:00",
                spraying(pesticide("Anvil 5SC", "Hexaconazole", 7)),
            ),
            event(
                3,
                harvest_at,
                EventBody::Harvest {
                    quantity: qty("1000 kg"),
                    phi_override: phi_override.then(|| PhiOverride {
                        reason: note("Mẫu kiểm nghiệm dư lượng đạt, phiếu số 12/2026"),
                    }),
                },
            ),
        ],
    )
}

fn child() -> LineageLot {
    lot("LUA-01-A", Some("500 kg"), vec![])
}

#[test]
fn a_packed_lot_from_a_clean_harvest_may_be_labelled() {
    assert_eq!(
        codes(&[child(), parent("2026-10-20T06:00:00+07:00", false)]),
        Vec::<&str>::new()
    );
}

#[test]
fn a_growing_lot_is_refused_because_it_is_not_harvested() {
    let growing = lot("LUA-02", None, vec![event(1, "2026-09-01T07:00:00+07:00", seeding())]);
    let errors = check(&[growing], &BannedList::vietnam(), at("2026-11-20T10:00:00+07:00"));
    assert_eq!(errors.0.len(), 1);
    assert_eq!(errors.0[0].code, "not_harvested");
    assert_eq!(errors.0[0].field, "lot");
    assert!(
        errors.0[0].message_vi.contains("chưa được ghi thu hoạch"),
        "{:?}",
        errors.0[0]
    );
}

#[test]
fn a_harvest_inside_the_interval_in_the_parent_is_refused_with_the_dates() {
    let errors = check(
        &[child(), parent("2026-10-04T06:00:00+07:00", false)],
        &BannedList::vietnam(),
        at("2026-11-20T10:00:00+07:00"),
    );
    assert_eq!(errors.0.len(), 1, "{errors:?}");
    let error = &errors.0[0];
    assert_eq!(error.code, "inside_pre_harvest_interval");
    assert!(
        error.message_en.contains("Anvil 5SC") && error.message_en.contains("01/10/2026"),
        "{}",
        error.message_en
    );
    assert!(error.message_vi.contains("LUA-01"), "{}", error.message_vi);
}

#[test]
fn a_recorded_leader_override_lets_the_harvest_pass() {
    assert_eq!(
        codes(&[child(), parent("2026-10-04T06:00:00+07:00", true)]),
        Vec::<&str>::new()
    );
}

#[test]
fn a_recalled_lot_or_parent_is_refused() {
    let recall = |seq| {
        event(
            seq,
            "2026-11-01T08:00:00+07:00",
            EventBody::Recall {
                reason: note("Phát hiện dư lượng vượt ngưỡng"),
            },
        )
    };
    let mut recalled_parent = parent("2026-10-20T06:00:00+07:00", false);
    recalled_parent.state.push(recall(4));
    assert_eq!(codes(&[child(), recalled_parent]), vec!["parent_lot_recalled"]);
    let recalled_child = lot("LUA-01-A", Some("500 kg"), vec![recall(1)]);
    assert_eq!(
        codes(&[recalled_child, parent("2026-10-20T06:00:00+07:00", false)]),
        vec!["lot_recalled"]
    );
}

#[test]
fn a_banned_ingredient_anywhere_in_the_lineage_is_refused() {
    let sprayed = lot(
        "RAU-03",
        None,
        vec![
            event(1, "2026-09-01T07:00:00+07:00", seeding()),
            event(
                2,
                "2026-09-05T16:00:00+07:00",
                spraying(pesticide("Gramoxone 20SL", "Paraquat", 7)),
            ),
            event(3, "2026-10-20T06:00:00+07:00", harvest("300 kg")),
        ],
    );
    let errors = check(&[sprayed], &BannedList::vietnam(), at("2026-11-20T10:00:00+07:00"));
    assert_eq!(errors.0.len(), 1, "{errors:?}");
    assert_eq!(errors.0[0].code, "banned_active_ingredient");
    assert!(
        errors.0[0].message_en.contains("Paraquat"),
        "{}",
        errors.0[0].message_en
    );
}

#[test]
fn a_packed_lot_sprayed_after_packing_waits_for_the_interval() {
    let treated = lot(
        "BUOI-01-T1",
        Some("500 kg"),
        vec![event(
            1,
            "2026-11-18T08:00:00+07:00",
            spraying(pesticide("Score 250EC", "Difenoconazole", 7)),
        )],
    );
    let lineage = [treated, parent("2026-10-20T06:00:00+07:00", false)];
    assert_eq!(codes(&lineage), vec!["inside_pre_harvest_interval"]);
    let later = check(&lineage, &BannedList::vietnam(), at("2026-11-25T09:00:00+07:00"));
    assert!(later.0.is_empty(), "{later:?}");
}
