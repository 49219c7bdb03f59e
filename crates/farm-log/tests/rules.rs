//! The validation rules, as a farmer or leader would meet them.

mod common;

use common::*;
use farm_log::{
    BannedList, ChildLot, EventBody, LotCode, LotState, LotStatus, Note, PhiOverride, Role, ValidationContext,
};

fn check(state: &LotState, event: &farm_log::Event, role: Role) -> Result<(), farm_log::ValidationErrors> {
    let banned = BannedList::vietnam();
    state.check(
        event,
        &ValidationContext {
            actor_role: role,
            banned: &banned,
            area_m2: None,
        },
    )
}

fn check_on(state: &LotState, event: &farm_log::Event, area_m2: i64) -> Result<(), farm_log::ValidationErrors> {
    let banned = BannedList::vietnam();
    state.check(
        event,
        &ValidationContext {
            actor_role: Role::Member,
            banned: &banned,
            area_m2: Some(area_m2.into()),
        },
    )
}

#[test]
fn a_harvest_no_plot_of_that_size_could_grow_is_refused_naming_the_field() {
    let state = grown_lot();
    // Two sào in the North (720 m²): 3 t of rice is a heavy crop, 50 t a typing slip.
    let harvest_at = "2026-09-20T07:00:00+07:00";
    assert!(check_on(&state, &event(3, harvest_at, harvest("3 tấn")), 720).is_ok());
    let errors = check_on(&state, &event(3, harvest_at, harvest("50 tấn")), 720).unwrap_err();
    assert_eq!(
        (errors.0[0].field.as_str(), errors.0[0].code),
        ("quantity", "too_much_for_area")
    );
    assert!(errors.0[0].message_vi.contains("50 tấn"), "{}", errors.0[0].message_vi);
    // Without a known area only the absolute bound applies.
    assert!(check(&state, &event(3, harvest_at, harvest("50 tấn")), Role::Member).is_ok());
}

#[test]
fn a_kept_fold_judges_the_next_events_as_the_whole_history_does() {
    let full = grown_lot();
    let kept = LotState::from_folded(full.folded());
    for (seq, at, body) in [
        (3, "2026-07-25T07:00:00+07:00", harvest("2 tấn")),
        (3, "2026-08-20T07:00:00+07:00", harvest("2 tấn")),
        (3, "2026-04-01T07:00:00+07:00", harvest("2 tấn")),
    ] {
        let next = event(seq, at, body);
        assert_eq!(
            check(&full, &next, Role::Member).map_err(|e| e.0),
            check(&kept, &next, Role::Member).map_err(|e| e.0),
            "{at}"
        );
    }
    let mut full = full;
    let mut kept = kept;
    let next = event(3, "2026-08-20T07:00:00+07:00", harvest("2 tấn"));
    full.push(next.clone());
    kept.push(next);
    assert_eq!(full.folded(), kept.folded());
    assert_eq!(kept.folded().events, 3);
}

fn grown_lot() -> LotState {
    LotState::from_events(
        None,
        vec![
            event(1, "2026-05-02T07:00:00+07:00", seeding()),
            event(
                2,
                "2026-07-20T06:30:00+07:00",
                spraying(pesticide("Chess 50WG", "Pymetrozine", 14)),
            ),
        ],
    )
}

#[test]
fn harvest_before_seeding_is_rejected() {
    let state = grown_lot();
    let errors = check(
        &state,
        &event(3, "2026-04-30T07:00:00+07:00", harvest("5 tấn")),
        Role::Member,
    )
    .unwrap_err();
    let error = errors
        .0
        .iter()
        .find(|e| e.code == "harvest_before_seeding")
        .expect("error");
    assert_eq!(error.field, "occurred_at");
    assert!(
        error.message_vi.contains("30/04/2026") && error.message_vi.contains("02/05/2026"),
        "{}",
        error.message_vi
    );
}

#[test]
fn harvest_inside_pre_harvest_interval_is_rejected_with_the_allowed_date() {
    let state = grown_lot();
    let errors = check(
        &state,
        &event(3, "2026-07-30T07:00:00+07:00", harvest("5 tấn")),
        Role::Leader,
    )
    .unwrap_err();
    let error = errors.first().expect("error");
    assert_eq!(
        (error.code, error.field.as_str()),
        ("inside_pre_harvest_interval", "occurred_at")
    );
    assert!(error.message_vi.contains("Chess 50WG"), "{}", error.message_vi);
    assert!(error.message_vi.contains("03/08/2026"), "{}", error.message_vi);
}

#[test]
fn harvest_after_the_interval_is_accepted() {
    let state = grown_lot();
    assert!(
        check(
            &state,
            &event(3, "2026-08-03T07:00:00+07:00", harvest("5 tấn")),
            Role::Member
        )
        .is_ok()
    );
}

#[test]
fn leader_override_allows_harvest_inside_the_interval_but_member_override_does_not() {
    let state = grown_lot();
    let body = EventBody::Harvest {
        quantity: qty("5 tấn"),
        phi_override: Some(PhiOverride {
            reason: Note::parse("Mẫu kiểm nghiệm dư lượng đạt, phiếu số 123/KN", "reason").unwrap(),
        }),
    };
    let harvest = event(3, "2026-07-30T07:00:00+07:00", body);
    assert!(check(&state, &harvest, Role::Leader).is_ok());
    let errors = check(&state, &harvest, Role::Member).unwrap_err();
    assert_eq!(errors.first().map(|e| e.code), Some("override_requires_leader"));
}

#[test]
fn banned_active_ingredient_is_rejected_naming_the_law() {
    let state = grown_lot();
    let errors = check(
        &state,
        &event(
            3,
            "2026-07-21T07:00:00+07:00",
            spraying(pesticide("Gramoxone 20SL", "Paraquat dichloride", 7)),
        ),
        Role::Leader,
    )
    .unwrap_err();
    let error = errors.first().expect("error");
    assert_eq!(
        (error.code, error.field.as_str()),
        ("banned_active_ingredient", "input_product_id")
    );
    assert!(
        error.message_vi.contains("Paraquat") && error.message_vi.contains("Thông tư"),
        "{}",
        error.message_vi
    );
}

#[test]
fn event_in_the_future_beyond_clock_skew_is_rejected() {
    let state = grown_lot();
    let mut e = event(
        3,
        "2026-11-20T10:04:00+07:00",
        EventBody::Observation {
            subject: text("Sâu cuốn lá"),
        },
    );
    assert!(
        check(&state, &e, Role::Member).is_ok(),
        "a 4-minute-fast phone clock is tolerated"
    );
    e.occurred_at = at("2026-11-20T10:30:00+07:00");
    assert_eq!(
        check(&state, &e, Role::Member).unwrap_err().first().map(|e| e.code),
        Some("in_future")
    );
}

#[test]
fn packing_more_than_harvested_is_rejected_per_unit() {
    let mut state = grown_lot();
    state.push(event(3, "2026-08-05T07:00:00+07:00", harvest("2 tấn")));
    let children = |a: &str, b: &str| EventBody::Packing {
        children: vec![
            ChildLot {
                code: LotCode::parse("A1", "c").unwrap(),
                quantity: qty(a),
            },
            ChildLot {
                code: LotCode::parse("A2", "c").unwrap(),
                quantity: qty(b),
            },
        ],
    };
    assert!(
        check(
            &state,
            &event(4, "2026-08-06T07:00:00+07:00", children("1500 kg", "5 tạ")),
            Role::Leader
        )
        .is_ok()
    );
    let errors = check(
        &state,
        &event(4, "2026-08-06T07:00:00+07:00", children("1500 kg", "6 tạ")),
        Role::Leader,
    )
    .unwrap_err();
    let error = errors.first().expect("error");
    assert_eq!(error.code, "exceeds_lot_quantity");
    assert!(
        error.message_vi.contains("2.100 kg") && error.message_vi.contains("2.000 kg"),
        "{}",
        error.message_vi
    );
    let errors = check(
        &state,
        &event(4, "2026-08-06T07:00:00+07:00", children("10 lít", "1 kg")),
        Role::Leader,
    )
    .unwrap_err();
    assert_eq!(
        errors.first().map(|e| e.field.as_str()),
        Some("children[0].quantity"),
        "litres were never harvested"
    );
}

#[test]
fn closed_lot_takes_no_events_but_can_still_be_recalled() {
    let mut state = grown_lot();
    state.push(event(3, "2026-08-05T07:00:00+07:00", EventBody::Close { reason: None }));
    assert_eq!(state.status, LotStatus::Closed);
    let errors = check(
        &state,
        &event(
            4,
            "2026-08-06T07:00:00+07:00",
            EventBody::Observation { subject: text("x") },
        ),
        Role::Leader,
    )
    .unwrap_err();
    assert_eq!(errors.first().map(|e| e.code), Some("lot_closed"));
    let recall = EventBody::Recall {
        reason: Note::parse("Phát hiện dư lượng", "reason").unwrap(),
    };
    assert!(check(&state, &event(4, "2026-08-06T07:00:00+07:00", recall), Role::Leader).is_ok());
}

#[test]
fn correction_replaces_the_original_in_the_effective_history_but_keeps_it_stored() {
    let mut state = grown_lot();
    let original = event(3, "2026-08-05T07:00:00+07:00", harvest("2 tấn"));
    state.push(original.clone());
    let correction = event(
        4,
        "2026-08-05T09:00:00+07:00",
        EventBody::Correction {
            corrects: original.id,
            reason: Note::parse("Cân nhầm, thực tế 1,8 tấn", "reason").unwrap(),
            replacement: Some(Box::new(harvest("1,8 tấn"))),
        },
    );
    assert!(check(&state, &correction, Role::Leader).is_ok());
    state.push(correction);
    assert_eq!(state.events().len(), 4, "the original stays stored");
    assert_eq!(
        state.available(farm_log::Dimension::Mass),
        rust_decimal::Decimal::from(1800)
    );
}

#[test]
fn correction_must_keep_the_original_type() {
    let mut state = grown_lot();
    let original = event(3, "2026-08-05T07:00:00+07:00", harvest("2 tấn"));
    state.push(original.clone());
    let correction = event(
        4,
        "2026-08-05T09:00:00+07:00",
        EventBody::Correction {
            corrects: original.id,
            reason: Note::parse("nhầm", "reason").unwrap(),
            replacement: Some(Box::new(seeding())),
        },
    );
    let errors = check(&state, &correction, Role::Leader).unwrap_err();
    assert_eq!(
        errors.first().map(|e| (e.code, e.field.as_str())),
        Some(("kind_mismatch", "replacement.type"))
    );
}
