//! Property tests of the canonical encoding and the chain: deterministic, injective, and any
//! change to any stored field of any event changes the head.

mod common;

use chrono::{DateTime, Duration, FixedOffset, TimeZone};
use farm_log::canonical::encode_event;
use farm_log::chain::{ChainHead, ChainVerifier, GenesisInput, StoredLink, genesis, link};
use farm_log::{
    AppliedInput, ChildLot, Event, EventBody, GeoPoint, InputKind, InputSnapshot, LotCode, Note, PhiOverride,
    PhotoHash, Quantity, ShortText, Unit,
};
use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

fn short_text() -> impl Strategy<Value = ShortText> {
    "[a-zA-Z0-9ăâđêôơưạếữ][a-zA-Z0-9ăâđêôơưạếữ ,.-]{0,24}".prop_map(|s| ShortText::parse(&s, "t").expect("valid"))
}

fn note() -> impl Strategy<Value = Note> {
    "[a-zA-Z0-9ăâđêôơư][a-zA-Z0-9ăâđêôơư \n]{0,40}".prop_map(|s| Note::parse(&s, "t").expect("valid"))
}

fn quantity() -> impl Strategy<Value = Quantity> {
    // Up to 10,000 of any unit: within every dimension's bound (10,000 t is the largest).
    (1u64..=10_000, 0u32..4, 0usize..Unit::ALL.len()).prop_map(|(v, scale, unit)| {
        Quantity::new(Decimal::new(v as i64, scale), Unit::ALL[unit], "q").expect("positive")
    })
}

fn datetime() -> impl Strategy<Value = DateTime<FixedOffset>> {
    (1_600_000_000i64..1_900_000_000, -12i32..=14, 0u32..3).prop_map(|(secs, hours, millis)| {
        let offset = FixedOffset::east_opt(hours * 3600).expect("offset");
        offset.timestamp_opt(secs, millis * 250_000_000).single().expect("time")
    })
}

fn lot_code() -> impl Strategy<Value = LotCode> {
    "[A-Za-z0-9._-]{1,20}".prop_map(|s| LotCode::parse(&s, "code").expect("valid"))
}

fn applied_input() -> impl Strategy<Value = AppliedInput> {
    (
        1i64..1000,
        proptest::option::of((
            short_text(),
            any::<bool>(),
            proptest::collection::vec("[A-Za-z-]{1,12}", 0..3),
            proptest::option::of("[A-Z0-9/-]{1,12}"),
            proptest::option::of(0u32..60),
        )),
    )
        .prop_map(|(id, snapshot)| AppliedInput {
            input_product_id: id,
            snapshot: snapshot.map(|(name, pesticide, ingredients, reg, phi)| InputSnapshot {
                trade_name: name.to_string(),
                kind: if pesticide {
                    InputKind::Pesticide
                } else {
                    InputKind::Fertilizer
                },
                active_ingredients: ingredients,
                registration_number: reg,
                phi_days: phi,
            }),
        })
}

fn simple_body() -> impl Strategy<Value = EventBody> {
    let o_text = || proptest::option::of(short_text());
    let o_qty = || proptest::option::of(quantity());
    prop_oneof![
        (short_text(), o_text(), o_text(), quantity()).prop_map(|(seed_source, seed_lot, variety, quantity)| {
            EventBody::Seeding {
                seed_source,
                seed_lot,
                variety,
                quantity,
            }
        }),
        (applied_input(), quantity(), o_text()).prop_map(|(input, amount, method)| EventBody::Fertilizing {
            input,
            amount,
            method
        }),
        (applied_input(), quantity(), o_qty(), o_text()).prop_map(|(input, dose, area, target_pest)| {
            EventBody::Spraying {
                input,
                dose,
                area,
                target_pest,
            }
        }),
        (o_text(), o_text(), o_qty()).prop_map(|(method, water_source, amount)| EventBody::Irrigation {
            method,
            water_source,
            amount
        }),
        short_text().prop_map(|subject| EventBody::Observation { subject }),
        (quantity(), proptest::option::of(note())).prop_map(|(quantity, o)| EventBody::Harvest {
            quantity,
            phi_override: o.map(|reason| PhiOverride { reason })
        }),
        proptest::collection::vec((lot_code(), quantity()), 0..4).prop_map(|children| EventBody::Packing {
            children: children
                .into_iter()
                .map(|(code, quantity)| ChildLot { code, quantity })
                .collect()
        }),
        (lot_code(), quantity()).prop_map(|(output_lot, quantity)| EventBody::Merging { output_lot, quantity }),
        (short_text(), short_text(), o_text(), o_qty()).prop_map(|(from, to, document_ref, quantity)| {
            EventBody::Shipping {
                from,
                to,
                document_ref,
                quantity,
            }
        }),
        (short_text(), short_text(), o_text(), o_qty()).prop_map(|(from, to, document_ref, quantity)| {
            EventBody::Receiving {
                from,
                to,
                document_ref,
                quantity,
            }
        }),
        note().prop_map(|reason| EventBody::Recall { reason }),
        o_text().prop_map(|reason| EventBody::Close { reason }),
    ]
}

fn body() -> impl Strategy<Value = EventBody> {
    prop_oneof![
        4 => simple_body(),
        1 => (any::<u128>(), note(), proptest::option::of(simple_body())).prop_map(|(id, reason, replacement)| {
            EventBody::Correction { corrects: Uuid::from_u128(id), reason, replacement: replacement.map(Box::new) }
        }),
    ]
}

fn event() -> impl Strategy<Value = Event> {
    (
        any::<u128>(),
        1u64..1000,
        datetime(),
        datetime(),
        -5i64..100_000,
        proptest::option::of(note()),
        proptest::option::of((-90_000_000i32..=90_000_000, -180_000_000i32..=180_000_000)),
        (body(), proptest::collection::vec(any::<[u8; 32]>(), 0..3)),
    )
        .prop_map(
            |(id, seq, occurred_at, recorded_at, actor, note, location, (body, photos))| Event {
                id: Uuid::from_u128(id),
                seq,
                occurred_at,
                recorded_at,
                actor,
                note,
                location: location.map(|(lat_micro, lon_micro)| GeoPoint { lat_micro, lon_micro }),
                photos: photos.into_iter().map(PhotoHash).collect(),
                body,
            },
        )
}

/// Equality of everything stored, including the UTC offsets (chrono's `==` ignores them).
fn same_stored(a: &Event, b: &Event) -> bool {
    a == b && a.occurred_at.offset() == b.occurred_at.offset() && a.recorded_at.offset() == b.recorded_at.offset()
}

/// A one-field change to an event, chosen by `which`.
fn mutate(event: &mut Event, which: u8) {
    match which % 11 {
        0 => event.id = Uuid::from_u128(event.id.as_u128().wrapping_add(1)),
        1 => event.occurred_at += Duration::seconds(1),
        2 => {
            let shifted =
                FixedOffset::east_opt((event.occurred_at.offset().local_minus_utc() + 3600) % 86_400).expect("offset");
            event.occurred_at = event.occurred_at.with_timezone(&shifted);
        }
        3 => event.recorded_at -= Duration::milliseconds(250),
        4 => event.actor += 1,
        5 => {
            event.note = match &event.note {
                Some(n) => Some(Note::parse(&format!("{n}!"), "n").expect("valid")),
                None => Some(Note::parse("x", "n").expect("valid")),
            }
        }
        6 => {
            event.location = match event.location {
                Some(p) => Some(GeoPoint {
                    lat_micro: p.lat_micro ^ 1,
                    ..p
                }),
                None => Some(GeoPoint {
                    lat_micro: 0,
                    lon_micro: 0,
                }),
            }
        }
        7 => event.seq += 1,
        // A photo swapped for another, or one more (an event without photos gets its first).
        8 => match event.photos.first_mut() {
            Some(photo) => photo.0[0] ^= 1,
            None => event.photos.push(PhotoHash([7; 32])),
        },
        9 => {
            if event.photos.pop().is_none() {
                event.photos.push(PhotoHash([9; 32]));
            }
        }
        _ => {
            event.body = match &event.body {
                EventBody::Observation { subject } => EventBody::Observation {
                    subject: ShortText::parse(&format!("{subject}x"), "s").expect("valid"),
                },
                _ => EventBody::Observation {
                    subject: ShortText::parse("changed", "s").expect("valid"),
                },
            }
        }
    }
}

fn identity() -> GenesisInput {
    GenesisInput {
        cooperative_id: 1,
        lot_code: LotCode::parse("LUA-HT26-01", "code").expect("valid"),
        product_id: 2,
        plot_ids: vec![3, 4],
        created_at: common::at("2026-05-01T08:00:00+07:00"),
        parents: vec![],
    }
}

fn chain_heads(events: &[Event]) -> Vec<ChainHead> {
    let mut head = genesis(&identity());
    events
        .iter()
        .map(|e| {
            head = link(&head, e);
            head
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn encoding_is_deterministic(e in event()) {
        prop_assert_eq!(encode_event(&e), encode_event(&e.clone()));
        let json = serde_json::to_string(&e).expect("json");
        let back: Event = serde_json::from_str(&json).expect("json back");
        prop_assert_eq!(encode_event(&e), encode_event(&back), "a JSON round trip through storage keeps the bytes");
    }

    #[test]
    fn a_stored_body_read_by_its_kind_is_the_body_the_tagged_reading_gives(b in body(), kind_pick in any::<usize>(), cut in any::<usize>()) {
        let json = serde_json::to_string(&b).expect("json");
        let kinds = farm_log::draft::EVENT_TYPES;
        // Read the fast way, or refused (escapes, exponents …: the store then reads it the tagged
        // way) — never read as another body.
        if let Ok(read) = EventBody::from_stored_json(b.kind().as_str(), &json) {
            prop_assert_eq!(read, b.clone());
        }
        // Under another kind, or cut short, it is refused — never read as something else.
        let other = kinds[kind_pick % kinds.len()];
        if other != b.kind().as_str() {
            prop_assert!(EventBody::from_stored_json(other, &json).is_err());
        }
        let cut = &json[..json.floor_char_boundary(cut % json.len())];
        if let Ok(read) = EventBody::from_stored_json(b.kind().as_str(), cut) {
            prop_assert_eq!(serde_json::from_str::<EventBody>(cut).ok(), Some(read));
        }
    }

    #[test]
    fn distinct_events_encode_differently(a in event(), b in event()) {
        prop_assert_eq!(encode_event(&a) == encode_event(&b), same_stored(&a, &b));
    }

    #[test]
    fn any_single_field_change_changes_the_encoding(e in event(), which in any::<u8>()) {
        let mut changed = e.clone();
        mutate(&mut changed, which);
        prop_assert!(!same_stored(&e, &changed));
        prop_assert_ne!(encode_event(&e), encode_event(&changed));
    }

    #[test]
    fn changing_any_stored_event_changes_the_head(events in proptest::collection::vec(event(), 1..8), pick in any::<usize>(), which in any::<u8>()) {
        let original_head = *chain_heads(&events).last().expect("non-empty");
        let mut tampered = events.clone();
        let index = pick % tampered.len();
        mutate(&mut tampered[index], which);
        prop_assert_ne!(original_head, *chain_heads(&tampered).last().expect("non-empty"));
    }

    #[test]
    fn verifier_names_the_first_altered_event(events in proptest::collection::vec(event(), 1..8), pick in any::<usize>(), which in any::<u8>()) {
        let events: Vec<Event> = events.into_iter().enumerate().map(|(i, e)| Event { seq: i as u64 + 1, ..e }).collect();
        let heads = chain_heads(&events);
        let index = pick % events.len();
        let mut tampered = events.clone();
        mutate(&mut tampered[index], which);
        let stored_genesis = genesis(&identity());
        let mut verifier = ChainVerifier::start(&identity(), &stored_genesis);
        for (event, head) in tampered.iter().zip(&heads) {
            verifier.feed(&StoredLink { event_id: event.id, seq: event.seq, event: Ok(event.clone()), recorded_head: *head });
        }
        let status = verifier.finish(heads.last().expect("non-empty"), events.len() as u64);
        match status {
            farm_log::ChainStatus::Altered { at_seq, .. } => prop_assert_eq!(at_seq, index as u64 + 1),
            farm_log::ChainStatus::Intact { .. } => prop_assert!(false, "tampering went unnoticed"),
        }
    }
}

#[test]
fn untouched_chain_verifies_intact() {
    let events: Vec<Event> = (1..=3)
        .map(|i| common::event(i, "2026-05-02T07:00:00+07:00", common::seeding()))
        .collect();
    let heads = chain_heads(&events);
    let mut verifier = ChainVerifier::start(&identity(), &genesis(&identity()));
    for (event, head) in events.iter().zip(&heads) {
        verifier.feed(&StoredLink {
            event_id: event.id,
            seq: event.seq,
            event: Ok(event.clone()),
            recorded_head: *head,
        });
    }
    assert!(verifier.finish(&heads[2], 3).is_intact());
}

#[test]
fn a_deleted_last_event_is_noticed() {
    let events: Vec<Event> = (1..=3)
        .map(|i| common::event(i, "2026-05-02T07:00:00+07:00", common::seeding()))
        .collect();
    let heads = chain_heads(&events);
    let mut verifier = ChainVerifier::start(&identity(), &genesis(&identity()));
    for (event, head) in events.iter().zip(&heads).take(2) {
        verifier.feed(&StoredLink {
            event_id: event.id,
            seq: event.seq,
            event: Ok(event.clone()),
            recorded_head: *head,
        });
    }
    assert!(matches!(
        verifier.finish(&heads[2], 3),
        farm_log::ChainStatus::Altered { at_seq: 3, .. }
    ));
}

#[test]
fn genesis_commits_to_the_lot_identity_and_parents() {
    let base = identity();
    let mut other_product = base.clone();
    other_product.product_id = 9;
    assert_ne!(genesis(&base), genesis(&other_product));
    let mut child = base.clone();
    child.parents = vec![farm_log::ParentLink {
        lot_code: base.lot_code.clone(),
        head: genesis(&base),
        quantity: common::qty("10 kg"),
    }];
    let mut other_parent_head = child.clone();
    other_parent_head.parents[0].head = genesis(&other_product);
    assert_ne!(genesis(&child), genesis(&other_parent_head));
}

/// The worked example of `docs/provenance.md` §8: if this fails, the document no longer describes
/// the encoding (or the encoding changed without a version bump).
#[test]
fn documented_worked_example_matches() {
    fn hex(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
    let genesis_head = genesis(&identity());
    assert_eq!(
        genesis_head.to_hex(),
        "5fd0562308b1ebbafb968d30d7a61698feebf0d9ba3613168ac1f347e8c51efc"
    );
    let event = common::event(
        1,
        "2026-05-02T07:00:00+07:00",
        EventBody::Observation {
            subject: common::text("Sâu cuốn lá"),
        },
    );
    assert_eq!(event.id, Uuid::from_u128(1001));
    assert_eq!(
        hex(&encode_event(&event)),
        concat!(
            "01000000000000000000000000000003e9",
            "0000000000000001",
            "00000019323032362d30352d30325430373a30303a30302b30373a3030",
            "00000019323032362d31312d32305431303a30303a30302b30373a3030",
            "0000000000000007",
            "00",
            "00",
            "05",
            "0000000f53c3a275206375e1bb916e206cc3a1",
        )
    );
    assert_eq!(
        link(&genesis_head, &event).to_hex(),
        "f3f2474d6acf69b444e5f34ef17ee511356ac475a4f4aae09a331d5e55112fee"
    );
}
