//! Documents we write are valid against GS1's EPCIS 2.0 JSON schema (formats checked), say
//! what CBV 2.0 says they should, and read back into the same events.

use chrono::{DateTime, FixedOffset};
use epcis::{ChainedEvent, Cooperative, Exporter, Lot, MergeInput, Plot, Product, Step, Window, read_document};
use farm_log::chain::link;
use farm_log::{
    AppliedInput, ChainHead, ChildLot, Event, EventBody, GeoPoint, InputKind, InputSnapshot, LotCode, Note, Quantity,
    ShortText,
};
use serde_json::Value;
use uuid::Uuid;

fn at(text: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(text).expect("time")
}

fn q(text: &str) -> Quantity {
    Quantity::parse(text, None, "q").expect("quantity")
}

fn short(text: &str) -> ShortText {
    ShortText::parse(text, "t").expect("text")
}

fn coop(prefix: Option<&str>) -> Cooperative {
    Cooperative {
        id: 1,
        name: "HTX Rau an toàn Tây Tựu".into(),
        address: "Thôn Thượng, Tây Tựu, Hà Nội".into(),
        gs1_company_prefix: prefix.map(str::to_owned),
        gln: None,
    }
}

fn product(gtin: Option<&str>) -> Product {
    Product {
        commodity: "Cải ngọt".into(),
        variety: None,
        gtin: gtin.map(str::to_owned),
    }
}

/// A chain of events, each linked to the one before from `genesis`.
fn chain(genesis: ChainHead, bodies: Vec<(u64, &str, EventBody)>) -> Vec<ChainedEvent> {
    let base = 1000 + 100 * u128::from(genesis.0[0] - 1);
    let mut head = genesis;
    bodies
        .into_iter()
        .map(|(n, when, body)| {
            let event = Event {
                id: Uuid::from_u128(base + n as u128),
                seq: n,
                occurred_at: at(when),
                recorded_at: at("2026-11-20T10:00:00+07:00") + chrono::Duration::seconds(n as i64),
                actor: 7,
                note: (n == 2).then(|| Note::parse("Bón lót trước khi gieo", "note").expect("note")),
                location: (n == 1).then_some(GeoPoint {
                    lat_micro: 21_071_200,
                    lon_micro: 105_732_100,
                }),
                photos: Vec::new(),
                body,
            };
            head = link(&head, &event);
            ChainedEvent { event, head }
        })
        .collect()
}

fn fertilizer() -> AppliedInput {
    AppliedInput {
        input_product_id: 4,
        snapshot: Some(InputSnapshot {
            trade_name: "NPK Lâm Thao 5-10-3".into(),
            kind: InputKind::Fertilizer,
            active_ingredients: vec!["Đạm (N) 5%".into()],
            registration_number: None,
            phi_days: None,
        }),
    }
}

fn pesticide() -> AppliedInput {
    AppliedInput {
        input_product_id: 5,
        snapshot: Some(InputSnapshot {
            trade_name: "Radiant 60SC".into(),
            kind: InputKind::Pesticide,
            active_ingredients: vec!["Spinetoram".into()],
            registration_number: Some("BVTV-123".into()),
            phi_days: Some(3),
        }),
    }
}

struct Sample {
    exporter: Exporter,
    lots: Vec<(Lot, Vec<ChainedEvent>, Option<Vec<MergeInput>>)>,
}

fn plot() -> Plot {
    Plot {
        id: 3,
        name: "Ruộng Đồng Chùa".into(),
        area: q("1080 m2"),
        commune: "Phường Tây Tựu".into(),
        location: Some(GeoPoint {
            lat_micro: 21_071_200,
            lon_micro: 105_732_100,
        }),
        growing_area_code: None,
    }
}

/// A growing lot sown, fed, sprayed, watered, observed (then corrected twice), harvested and
/// packed into two lots; one child shipped and the other recalled; and a merge of two lots.
fn sample(prefix: Option<&str>, gtin: Option<&str>) -> Sample {
    let exporter = Exporter::new(coop(prefix), "https://nguon.example.vn");
    let parent = Lot {
        code: LotCode::parse("CN-2609-01", "c").expect("code"),
        product: product(gtin),
        plots: vec![plot()],
        genesis: ChainHead([1; 32]),
        initial: None,
        derived: false,
    };
    let observation_id = Uuid::from_u128(1005);
    let parent_events = chain(
        parent.genesis,
        vec![
            (
                1,
                "2026-09-25T07:00:00+07:00",
                EventBody::Seeding {
                    seed_source: short("Công ty CP Giống cây trồng Trung ương"),
                    seed_lot: Some(short("CN-0826")),
                    variety: None,
                    quantity: q("300 g"),
                },
            ),
            (
                2,
                "2026-09-24T06:30:00+07:00",
                EventBody::Fertilizing {
                    input: fertilizer(),
                    amount: q("30 kg"),
                    method: Some(short("Bón lót")),
                },
            ),
            (
                3,
                "2026-10-01T16:00:00+07:00",
                EventBody::Spraying {
                    input: pesticide(),
                    dose: q("0.5 LTR"),
                    area: Some(q("1080 m2")),
                    target_pest: Some(short("Sâu tơ")),
                },
            ),
            (
                4,
                "2026-10-02T17:00:00+07:00",
                EventBody::Irrigation {
                    method: Some(short("Tưới phun mưa")),
                    water_source: None,
                    amount: Some(q("2 m2")),
                },
            ),
            (
                5,
                "2026-10-03T07:00:00+07:00",
                EventBody::Observation {
                    subject: short("Sâu cuốn lá"),
                },
            ),
            (
                6,
                "2026-10-03T09:00:00+07:00",
                EventBody::Correction {
                    corrects: observation_id,
                    reason: Note::parse("Ghi nhầm loại sâu", "r").expect("note"),
                    replacement: Some(Box::new(EventBody::Observation {
                        subject: short("Sâu tơ"),
                    })),
                },
            ),
            (
                7,
                "2026-10-03T10:00:00+07:00",
                EventBody::Correction {
                    corrects: observation_id,
                    reason: Note::parse("Không có sâu", "r").expect("note"),
                    replacement: None,
                },
            ),
            (
                8,
                "2026-10-20T06:00:00+07:00",
                EventBody::Harvest {
                    quantity: q("1,2 TNE"),
                    phi_override: None,
                },
            ),
            (
                9,
                "2026-10-20T09:00:00+07:00",
                EventBody::Packing {
                    children: vec![
                        ChildLot {
                            code: LotCode::parse("CN-2609-01-A", "c").expect("code"),
                            quantity: q("600 kg"),
                        },
                        ChildLot {
                            code: LotCode::parse("CN-2609-01-B", "c").expect("code"),
                            quantity: q("550 kg"),
                        },
                    ],
                },
            ),
        ],
    );
    let child = |code: &str, genesis: u8, initial: &str| Lot {
        code: LotCode::parse(code, "c").expect("code"),
        product: product(gtin),
        plots: vec![plot()],
        genesis: ChainHead([genesis; 32]),
        initial: Some(q(initial)),
        derived: true,
    };
    let a = child("CN-2609-01-A", 2, "600 kg");
    let a_events = chain(
        a.genesis,
        vec![(
            1,
            "2026-10-21T08:00:00+07:00",
            EventBody::Shipping {
                from: short("Kho HTX"),
                to: short("Chợ đầu mối Long Biên"),
                document_ref: Some(short("PX-0142")),
                quantity: Some(q("600 kg")),
            },
        )],
    );
    let b = child("CN-2609-01-B", 3, "550 kg");
    let b_events = chain(
        b.genesis,
        vec![
            (
                1,
                "2026-10-22T08:00:00+07:00",
                EventBody::Merging {
                    output_lot: LotCode::parse("M-1", "c").expect("code"),
                    quantity: q("50 kg"),
                },
            ),
            (
                2,
                "2026-10-23T08:00:00+07:00",
                EventBody::Recall {
                    reason: Note::parse("Phát hiện dư lượng", "r").expect("note"),
                },
            ),
        ],
    );
    let other = Lot {
        derived: false,
        ..child("CC-2608-02", 4, "800 kg")
    };
    let other_events = chain(
        other.genesis,
        vec![(
            1,
            "2026-10-22T08:00:00+07:00",
            EventBody::Merging {
                output_lot: LotCode::parse("M-1", "c").expect("code"),
                quantity: q("20 kg"),
            },
        )],
    );
    let merged = Lot {
        code: LotCode::parse("M-1", "c").expect("code"),
        product: product(gtin),
        plots: vec![plot()],
        genesis: ChainHead([5; 32]),
        initial: Some(q("70 kg")),
        derived: true,
    };
    let inputs = vec![
        MergeInput {
            lot_code: "CN-2609-01-B".into(),
            product_gtin: gtin.map(str::to_owned),
            event: b_events[0].clone(),
            quantity: q("50 kg"),
        },
        MergeInput {
            lot_code: "CC-2608-02".into(),
            product_gtin: gtin.map(str::to_owned),
            event: other_events[0].clone(),
            quantity: q("20 kg"),
        },
    ];
    Sample {
        exporter,
        lots: vec![
            (parent, parent_events, None),
            (a, a_events, None),
            (b, b_events, None),
            (other, other_events, None),
            (merged, Vec::new(), Some(inputs)),
        ],
    }
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(epcis::SCHEMA).expect("schema JSON");
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the schema compiles")
}

fn schema_errors(document: &Value) -> Vec<String> {
    validator()
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}

fn document(sample: &Sample) -> Value {
    sample.exporter.document(at("2026-11-30T12:00:00+07:00"), &sample.lots)
}

fn events(document: &Value) -> &Vec<Value> {
    document["epcisBody"]["eventList"].as_array().expect("event list")
}

fn by_nguon_id(document: &Value, id: u128) -> &Value {
    let id = Uuid::from_u128(id).to_string();
    events(document)
        .iter()
        .find(|e| e["nguon:eventId"] == id.as_str() && e.get("nguon:corrects").is_none())
        .unwrap_or_else(|| panic!("event {id}"))
}

#[test]
fn exported_documents_are_valid_epcis_2_0_for_every_identifier_kind() {
    for (prefix, gtin) in [
        (Some("893604912"), Some("08936049120015")),
        (None, Some("08936049120015")),
        (None, None),
    ] {
        let doc = document(&sample(prefix, gtin));
        assert_eq!(schema_errors(&doc), Vec::<String>::new(), "{prefix:?} {gtin:?}");
    }
}

#[test]
fn the_schema_check_catches_what_the_standard_forbids() {
    let mut doc = document(&sample(Some("893604912"), Some("08936049120015")));
    doc["epcisBody"]["eventList"][0]["eventTimeZoneOffset"] = Value::String("+7".into());
    doc["epcisBody"]["eventList"][1]["eventID"] = Value::String("not a uri".into());
    doc["epcisBody"]["eventList"][2]["eventTime"] = Value::String("25/09/2026".into());
    doc["epcisBody"]["eventList"][3]["madeUp"] = Value::Bool(true);
    let errors = schema_errors(&doc);
    for field in ["eventTimeZoneOffset", "eventID", "eventTime", "madeUp"] {
        assert!(
            errors.iter().any(|e| e.contains(field)),
            "{field} not caught: {errors:#?}"
        );
    }
}

#[test]
fn cbv_business_steps_dispositions_and_lot_classes_are_as_documented() {
    let doc = document(&sample(Some("893604912"), Some("08936049120015")));
    let class = "urn:epc:class:lgtin:893604912.0001.CN-2609-01";
    let sowing = by_nguon_id(&doc, 1001);
    assert_eq!(sowing["type"], "ObjectEvent");
    assert_eq!(sowing["bizStep"], "urn:nguon:bizstep:sowing");
    assert_eq!(sowing["readPoint"]["id"], "geo:21.071200,105.732100");
    assert_eq!(sowing["nguon:input"]["quantity"]["value"], "300");
    let fertilizing = by_nguon_id(&doc, 1002);
    assert_eq!(fertilizing["bizStep"], "urn:nguon:bizstep:fertilizing");
    assert_eq!(fertilizing["nguon:input"]["tradeName"], "NPK Lâm Thao 5-10-3");
    assert_eq!(fertilizing["nguon:input"]["quantity"]["unit"], "KGM");
    assert_eq!(fertilizing["eventTimeZoneOffset"], "+07:00");
    assert_eq!(by_nguon_id(&doc, 1003)["nguon:input"]["preHarvestIntervalDays"], 3);
    assert_eq!(by_nguon_id(&doc, 1004)["bizStep"], "urn:nguon:bizstep:irrigating");
    let harvest = by_nguon_id(&doc, 1008);
    assert_eq!(
        (harvest["action"].as_str(), harvest["bizStep"].as_str()),
        (Some("ADD"), Some("creating_class_instance"))
    );
    assert_eq!(harvest["quantityList"][0]["epcClass"], class);
    assert_eq!(harvest["quantityList"][0]["uom"], "TNE");
    assert_eq!(harvest["ilmd"]["cbvmda:lotNumber"], "CN-2609-01");
    let packing = by_nguon_id(&doc, 1009);
    assert_eq!(packing["type"], "TransformationEvent");
    assert_eq!(packing["inputQuantityList"][0]["epcClass"], class);
    assert_eq!(packing["inputQuantityList"][0]["quantity"], 1150.0);
    assert_eq!(
        packing["outputQuantityList"][1]["epcClass"],
        "urn:epc:class:lgtin:893604912.0001.CN-2609-01-B"
    );
    let shipping = events(&doc)
        .iter()
        .find(|e| e["bizStep"] == "shipping")
        .expect("a shipping");
    assert_eq!(shipping["disposition"], "in_transit");
    assert_eq!(shipping["sourceList"][0]["source"], "urn:nguon:place:Kho%20HTX");
    assert!(
        shipping["destinationList"][0]["destination"]
            .as_str()
            .is_some_and(|d| d.starts_with("urn:nguon:place:Ch"))
    );
    let recall = events(&doc)
        .iter()
        .find(|e| e["disposition"] == "recalled")
        .expect("a recall");
    assert_eq!(recall["persistentDisposition"]["set"][0], "recalled");
    assert_eq!(
        recall["quantityList"][0]["quantity"], 500.0,
        "what B still held: 550 kg less 50 kg merged"
    );
    let merge = events(&doc)
        .iter()
        .find(|e| e.get("nguon:mergeInputs").is_some())
        .expect("the merge");
    assert_eq!(merge["type"], "TransformationEvent");
    assert_eq!(merge["inputQuantityList"].as_array().map(Vec::len), Some(2));
    assert_eq!(merge["outputQuantityList"][0]["quantity"], 70.0);
}

#[test]
fn event_ids_are_the_chain_heads_as_uuids_and_stable() {
    let sample = sample(None, None);
    let doc = document(&sample);
    let fertilizing = &sample.lots[0].1[1];
    let head = fertilizing.head;
    let expected = epcis::ids::event_id(&head);
    assert_eq!(by_nguon_id(&doc, 1002)["eventID"], expected.as_str());
    assert_eq!(by_nguon_id(&doc, 1002)["nguon:chainHead"], head.to_hex());
    let again = document(&sample);
    assert_eq!(
        doc["epcisBody"], again["epcisBody"],
        "exporting twice gives the same events"
    );
    let ids: std::collections::BTreeSet<&str> = events(&doc).iter().filter_map(|e| e["eventID"].as_str()).collect();
    assert_eq!(ids.len(), events(&doc).len(), "event ids are unique");
}

#[test]
fn a_corrected_event_declares_the_error_and_points_at_its_corrective_event() {
    let doc = document(&sample(None, None));
    let original = by_nguon_id(&doc, 1005);
    let declaration = &original["errorDeclaration"];
    // The last correction voided the observation.
    assert_eq!(declaration["reason"], "did_not_occur");
    assert_eq!(declaration["declarationTime"], "2026-10-03T10:00:00+07:00");
    assert_eq!(declaration["nguon:corrections"].as_array().map(Vec::len), Some(2));
    let corrective = events(&doc)
        .iter()
        .find(|e| e.get("nguon:corrects").is_some())
        .expect("the first correction's corrective event");
    assert_eq!(corrective["nguon:body"]["subject"], "Sâu tơ");
    assert_eq!(corrective["eventTime"], original["eventTime"]);
    assert_eq!(
        corrective["errorDeclaration"]["reason"], "did_not_occur",
        "superseded by the void"
    );
}

#[test]
fn a_document_reads_back_into_the_same_events_in_an_order_the_chain_accepts() {
    let sample = sample(Some("893604912"), Some("08936049120015"));
    let doc = document(&sample);
    let plan = read_document(&doc).expect("our own document reads back");
    assert_eq!(plan.lots.len(), 5);
    assert!(!plan.lots[0].derived, "growing lots come first");
    assert_eq!(plan.lots[0].plots[0].name, "Ruộng Đồng Chùa");
    let mut appended = Vec::new();
    let mut position = std::collections::HashMap::new();
    for (i, step) in plan.steps.iter().enumerate() {
        match step {
            Step::Append { lot_code, draft } => {
                position.insert(draft.id, i);
                appended.push((lot_code.to_string(), draft.clone()));
            }
            Step::Merge {
                output,
                inputs,
                occurred_at,
                ..
            } => {
                assert_eq!(output.as_ref(), "M-1");
                assert_eq!(*occurred_at, at("2026-10-22T08:00:00+07:00"));
                assert_eq!(inputs.len(), 2);
                for (_, _, id) in inputs {
                    position.insert(*id, i);
                }
            }
        }
    }
    assert_eq!(plan.event_count(), 13);
    for (lot, events, _) in &sample.lots {
        for chained in events {
            let event = &chained.event;
            if matches!(event.body, EventBody::Merging { .. }) {
                continue;
            }
            let (code, draft) = appended
                .iter()
                .find(|(_, d)| d.id == event.id)
                .unwrap_or_else(|| panic!("{} read back", event.id));
            assert_eq!(code, lot.code.as_ref());
            assert_eq!(draft.occurred_at, event.occurred_at);
            assert_eq!(draft.occurred_at.offset(), event.occurred_at.offset());
            assert_eq!(draft.note, event.note);
            assert_eq!(draft.location, event.location);
            assert_eq!(draft.body, event.body, "{}", event.id);
        }
        // Within a lot, events come back in chain order.
        let order: Vec<usize> = events.iter().map(|e| position[&e.event.id]).collect();
        assert!(order.windows(2).all(|w| w[0] < w[1]), "{}: {order:?}", lot.code);
    }
    // Packing comes before anything on the lots it makes.
    assert!(position[&Uuid::from_u128(1009)] < position[&sample.lots[1].1[0].event.id]);
}

#[test]
fn a_date_range_extract_or_a_foreign_document_is_refused_with_the_reason() {
    let sample = sample(None, None);
    let meta: Vec<Lot> = sample.lots.iter().map(|l| l.0.clone()).collect();
    let mut text = sample.exporter.document_start(at("2026-11-30T12:00:00+07:00"), &meta);
    let window = Window {
        from: Some(at("2026-10-01T00:00:00+07:00")),
        to: Some(at("2026-10-21T00:00:00+07:00")),
    };
    let events = sample
        .exporter
        .lot_events(&sample.lots[0].0, &sample.lots[0].1, None, window);
    assert!(events.iter().all(|e| {
        e["eventTime"]
            .as_str()
            .is_some_and(|t| ("2026-10-01".."2026-10-21").contains(&t))
    }));
    assert_eq!(
        events.len(),
        6,
        "spraying, irrigation, observation, corrective, harvest, packing"
    );
    text.push_str(&events.iter().map(Value::to_string).collect::<Vec<_>>().join(","));
    text.push_str(epcis::DOCUMENT_END);
    let extract: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(schema_errors(&extract), Vec::<String>::new());
    let errors = read_document(&extract).expect_err("incomplete");
    assert!(errors.iter().any(|e| e.message.contains("not complete")), "{errors:?}");

    let foreign = serde_json::json!({
        "@context": [epcis::EPCIS_CONTEXT], "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-01-01T00:00:00Z",
        "epcisBody": { "eventList": [ { "type": "ObjectEvent", "action": "OBSERVE", "epcList": [], "eventTime": "2026-01-01T00:00:00Z", "eventTimeZoneOffset": "+00:00" } ] }
    });
    let errors = read_document(&foreign).expect_err("foreign");
    assert!(
        errors.iter().any(|e| e.message.contains("not exported by Nguồn")),
        "{errors:?}"
    );
}
