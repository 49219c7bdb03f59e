//! Fuzzing the parsers that read what people and phones send: quantities, lot codes and event
//! drafts. Whatever the input, they answer `Ok` or an error naming a field — never a panic —
//! and what they accept reads back the same. Run in CI with a bounded number of cases
//! (`NGUON_FUZZ_CASES`, default 2,000 per target); docs/reliability.md records longer runs.

use farm_log::draft::parse_draft;
use farm_log::quantity::typed_number_vi;
use farm_log::{LotCode, Quantity, Region};
use proptest::prelude::*;
use serde_json::{Map, Value};

fn cases() -> ProptestConfig {
    let cases = std::env::var("NGUON_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Text shaped like a typed amount: digits, separators, signs, spaces and unit words, with
/// anything else mixed in.
fn amount_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[-+]?[0-9.,]{0,40} ?(kg|g|tấn|tạ|yến|lít|ml|ha|m2|m²|sào|công|cái|quả|KGM|TNE|LTR|HAR|H87|)",
        "[0-9]{20,40} ?(kg|tấn|ha|sào)",
        any::<String>(),
    ]
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        amount_text().prop_map(Value::String),
        "[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}[+-][0-9]{2}:[0-9]{2}".prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("[a-z_]{1,16}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect::<Map<String, Value>>())),
        ]
    })
}

/// An object that looks like a draft (the real keys and types), with any values.
fn draft_like() -> impl Strategy<Value = Value> {
    let kinds = prop::sample::select(farm_log::draft::EVENT_TYPES.to_vec());
    (
        kinds,
        any_json(),
        any_json(),
        any_json(),
        prop::option::of("[0-9a-f-]{0,40}"),
        prop::option::of(".{0,30}"),
    )
        .prop_map(|(kind, a, b, c, id, time)| {
            let mut object = Map::new();
            object.insert("type".into(), Value::String(kind.to_owned()));
            if let Some(id) = id {
                object.insert("id".into(), Value::String(id));
            }
            if let Some(time) = time {
                object.insert("occurred_at".into(), Value::String(time));
            }
            for (key, value) in [
                ("quantity", a.clone()),
                ("amount", b),
                ("dose", c),
                ("children", a),
                ("input", Value::Null),
            ] {
                object.insert(key.into(), value);
            }
            Value::Object(object)
        })
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn a_typed_quantity_is_read_or_refused_never_a_panic(text in amount_text()) {
        for region in [None, Some(Region::North), Some(Region::Central), Some(Region::South)] {
            if let Ok(quantity) = Quantity::parse(&text, region, "amount") {
                // Anything accepted is within its bound and reads back the same.
                prop_assert!(quantity.in_base_unit() <= quantity.unit.dimension().max_in_base_unit());
                let again = Quantity::parse(&format!("{} {}", quantity.value, quantity.unit.code()), None, "amount");
                prop_assert_eq!(again.ok(), Some(quantity));
            }
        }
        let _ = Quantity::parse(&typed_number_vi(&text), None, "amount");
    }

    #[test]
    fn a_lot_code_is_read_or_refused_never_a_panic(text in any::<String>()) {
        if let Ok(code) = LotCode::parse(&text, "code") {
            prop_assert_eq!(LotCode::parse(code.as_ref(), "code").ok(), Some(code));
        }
    }

    #[test]
    fn any_json_is_read_as_a_draft_or_refused_naming_fields(value in prop_oneof![any_json(), draft_like()]) {
        match parse_draft(&value, "events[0]") {
            Ok(draft) => prop_assert!(draft.occurred_at.date_naive() >= farm_log::EARLIEST_DATE),
            Err(errors) => {
                prop_assert!(!errors.0.is_empty());
                prop_assert!(errors.0.iter().all(|e| e.field.starts_with("events[0]")));
            }
        }
    }
}
