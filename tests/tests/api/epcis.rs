//! EPCIS 2.0 out and back in, and the recall spreadsheet, end to end on both backends: what a
//! lot's genealogy and a whole cooperative export is valid against GS1's schema, carries the
//! CBV mapping, and imports into another Nguồn as the same lots and events.

use std::collections::BTreeMap;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, spawn_demo, spawn_empty};

/// A document describing one growing lot of the demo vegetable product on Ruộng Đồng Chùa,
/// with no events: the smallest import that succeeds.
pub fn one_lot_document(code: &str) -> Value {
    json!({
        "@context": [epcis::EPCIS_CONTEXT, { "nguon": "urn:nguon:epcis:" }],
        "type": "EPCISDocument", "schemaVersion": "2.0", "creationDate": "2026-11-30T12:00:00+07:00",
        "epcisHeader": { "epcisMasterData": { "vocabularyList": [ { "type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": [
            { "id": format!("urn:epc:class:lgtin:893604912.0001.{code}"), "attributes": [ { "id": "urn:nguon:epcis:lot", "attribute": {
                "code": code, "derived": false, "genesis": "00",
                "product": { "commodity": "Cải ngọt", "variety": null, "gtin": "08936049120015" },
                "plots": [ { "name": "Ruộng Đồng Chùa", "area": { "value": "1080", "unit": "MTK" }, "commune": "Phường Tây Tựu", "location": null, "growing_area_code": null } ]
            } } ] }
        ] } ] } },
        "epcisBody": { "eventList": [] }
    })
}

fn validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(epcis::SCHEMA).expect("schema");
    jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("schema compiles")
}

fn assert_valid(document: &Value, what: &str) {
    let errors: Vec<String> = validator()
        .iter_errors(document)
        .map(|e| format!("{e} at {}", e.instance_path))
        .collect();
    assert!(errors.is_empty(), "{what} is not valid EPCIS 2.0: {errors:#?}");
}

async fn get_bytes(app: &TestApp, path: &str, token: &str) -> (StatusCode, String, Vec<u8>) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    (status, content_type, response.bytes().await.expect("body").to_vec())
}

fn events(document: &Value) -> &Vec<Value> {
    document["epcisBody"]["eventList"].as_array().expect("events")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lots_epcis_document_covers_its_genealogy_and_is_valid_epcis_2_0() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let (status, content_type, body) = get_bytes(
            &app,
            &format!("/api/v1/cooperatives/{}/lots/CN-2609-01-A/epcis", veg.id),
            &veg.leader,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "[{backend}]");
        assert_eq!(content_type, "application/ld+json");
        let document: Value = serde_json::from_slice(&body).expect("JSON");
        assert_valid(&document, "the lot's document");
        let list = events(&document);
        // Up: the parent's care steps and harvest; across: the packing; down: A's shipping.
        let steps: Vec<&str> = list.iter().filter_map(|e| e["bizStep"].as_str()).collect();
        for step in [
            "urn:nguon:bizstep:sowing",
            "urn:nguon:bizstep:fertilizing",
            "urn:nguon:bizstep:spraying",
            "creating_class_instance",
            "packing",
            "shipping",
        ] {
            assert!(steps.contains(&step), "[{backend}] {step} missing from {steps:?}");
        }
        let harvest = list.iter().find(|e| e["action"] == "ADD").expect("harvest");
        assert_eq!(
            harvest["quantityList"][0]["epcClass"],
            "urn:epc:class:lgtin:893604912.0001.CN-2609-01"
        );
        assert_eq!(harvest["quantityList"][0]["quantity"], 1.2);
        assert_eq!(harvest["quantityList"][0]["uom"], "TNE");
        let shipping = list.iter().find(|e| e["bizStep"] == "shipping").expect("shipping");
        assert_eq!(shipping["destinationList"][0]["type"], "location");
        assert!(
            list.iter().any(|e| e.get("errorDeclaration").is_some()),
            "[{backend}] the demo's correction"
        );
        // The eventID is the chain head after the event, as a UUID.
        let history: Value = app
            .get(
                &format!("/api/v1/cooperatives/{}/lots/CN-2609-01/history", veg.id),
                &veg.leader,
            )
            .await
            .1;
        let first = &history["events"][0];
        let exported = list
            .iter()
            .find(|e| e["nguon:eventId"] == first["id"])
            .expect("the first event");
        let head = farm_log::ChainHead::from_hex(first["head"].as_str().expect("head")).expect("hex");
        assert_eq!(exported["eventID"], epcis::ids::event_id(&head).as_str());
        // A member who does not work the lot's plot may not export it.
        let (status, _, _) = get_bytes(
            &app,
            &format!("/api/v1/cooperatives/{}/lots/CN-2609-01-A/epcis", veg.id),
            &veg.other_member,
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooperative_export_is_streamed_valid_and_honours_its_date_range() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let path = format!("/api/v1/cooperatives/{}/epcis", veg.id);
        let (status, _, body) = get_bytes(&app, &path, &veg.inspector.clone().expect("inspector")).await;
        assert_eq!(status, StatusCode::OK, "[{backend}]");
        let all: Value = serde_json::from_slice(&body).expect("JSON");
        assert_valid(&all, "the whole cooperative");
        // A range of days in the middle of the demo's season (it moves with today's date).
        let day_of = |event: &Value| {
            chrono::DateTime::parse_from_rfc3339(event["eventTime"].as_str().expect("time"))
                .expect("time")
                .with_timezone(&farm_log::VIETNAM_OFFSET)
                .date_naive()
        };
        let mut days: Vec<chrono::NaiveDate> = events(&all).iter().map(day_of).collect();
        days.sort();
        let (first, last) = (days[days.len() / 4], days[days.len() / 2]);
        let query = format!("?from={}&to={}", first.format("%d/%m/%Y"), last.format("%Y-%m-%d"));
        let (status, _, body) = get_bytes(&app, &format!("{path}{query}"), &veg.leader).await;
        assert_eq!(status, StatusCode::OK);
        let range: Value = serde_json::from_slice(&body).expect("JSON");
        assert_valid(&range, "a date range");
        assert!(
            !events(&range).is_empty() && events(&range).len() < events(&all).len(),
            "[{backend}] {query}"
        );
        for event in events(&range) {
            let day = day_of(event);
            assert!(first <= day && day <= last, "[{backend}] {day} outside {query}");
        }
        // A bad date names its field; an inverted range too.
        let (status, bad) = app.get(&format!("{path}?from=32/13/2026"), &veg.leader).await;
        assert_eq!(
            (status, bad["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("from"))
        );
        let (status, bad) = app
            .get(&format!("{path}?from=02/10/2026&to=01/10/2026"), &veg.leader)
            .await;
        assert_eq!(
            (status, bad["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("to"))
        );
        let (status, _) = app.get(&path, &veg.member).await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "members do not export the whole cooperative"
        );
    }
}

/// Every lot of a cooperative with what the round trip must keep.
async fn lots_and_events(app: &TestApp, coop: i64, token: &str) -> BTreeMap<String, (Value, Vec<Value>)> {
    let (_, lots) = app.get(&format!("/api/v1/cooperatives/{coop}/lots"), token).await;
    let mut out = BTreeMap::new();
    for lot in lots.as_array().expect("lots") {
        let code = lot["code"].as_str().expect("code").to_owned();
        let (_, history) = app
            .get(&format!("/api/v1/cooperatives/{coop}/lots/{code}/history"), token)
            .await;
        assert_eq!(history["chain"]["status"], "intact", "{code}");
        let parents: Vec<Value> = lot["parents"]
            .as_array()
            .expect("parents")
            .iter()
            .map(|p| json!({ "lot": p["lot_code"], "quantity": p["quantity"] }))
            .collect();
        let events = history["events"]
            .as_array()
            .expect("events")
            .iter()
            .map(|e| {
                let mut e = e.clone();
                let map = e.as_object_mut().expect("object");
                // Who logged it, when it was stored here and the chain heads belong to this
                // database; everything else must come back.
                for key in ["recorded_at", "actor", "head"] {
                    map.remove(key);
                }
                // Registry ids are this database's too; the input's snapshot must match.
                for pointer in ["/body/input", "/body/replacement/input"] {
                    if let Some(input) = e.pointer_mut(pointer).and_then(Value::as_object_mut) {
                        input.remove("input_product_id");
                    }
                }
                e
            })
            .collect();
        let summary = json!({ "status": lot["status"], "parents": parents, "initial": lot["initial_quantity"], "plots": lot["plot_ids"].as_array().map(Vec::len) });
        out.insert(code, (summary, events));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exported_cooperative_imports_into_another_nguon_as_the_same_lots_and_events() {
    for backend in backends().await {
        let source = spawn_demo(backend).await;
        let veg = source.veg().clone();
        let (_, _, body) = get_bytes(&source, &format!("/api/v1/cooperatives/{}/epcis", veg.id), &veg.leader).await;
        let document: Value = serde_json::from_slice(&body).expect("JSON");

        let target = spawn_empty(backend).await;
        let (coop, _, token) = target
            .store
            .create_cooperative(
                store::NewCooperative {
                    name: farm_log::ShortText::parse("HTX Nhận Dữ Liệu", "n").expect("name"),
                    address: farm_log::ShortText::parse("Thôn Đông", "a").expect("address"),
                    province: farm_log::ShortText::parse("Hà Nội", "p").expect("province"),
                    commune: farm_log::ShortText::parse("Tây Tựu", "c").expect("commune"),
                    phone: farm_log::PhoneNumber::parse("0243 765 4321", "phone").expect("phone"),
                    region: farm_log::Region::North,
                    gs1_company_prefix: None,
                    gln: None,
                },
                store::NewMember {
                    name: farm_log::ShortText::parse("Chị Lan", "n").expect("name"),
                    phone: farm_log::PhoneNumber::parse("0912 000 111", "phone").expect("phone"),
                    role: farm_log::Role::Leader,
                },
            )
            .await
            .expect("cooperative");
        let import = format!("/api/v1/cooperatives/{}/epcis", coop.id);
        let (status, dry) = target
            .call(
                Method::POST,
                &format!("{import}?dry_run=true"),
                Some(&token.token),
                Some(document.clone()),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {dry}");
        assert!(dry["events_added"].as_u64().unwrap_or_default() >= 15, "{dry}");
        let (_, lots) = target
            .get(&format!("/api/v1/cooperatives/{}/lots", coop.id), &token.token)
            .await;
        assert_eq!(lots.as_array().map(Vec::len), Some(0), "a dry run writes nothing");

        let (status, report) = target
            .call(Method::POST, &import, Some(&token.token), Some(document.clone()))
            .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {report}");
        assert_eq!(report["events_added"], dry["events_added"], "{report}");
        let before = lots_and_events(&source, veg.id, &veg.leader).await;
        let after = lots_and_events(&target, coop.id, &token.token).await;
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            after.keys().collect::<Vec<_>>(),
            "[{backend}]"
        );
        for (code, (lot, events)) in &before {
            let (lot_after, events_after) = &after[code];
            assert_eq!(lot, lot_after, "[{backend}] lot {code}");
            assert_eq!(events.len(), events_after.len(), "[{backend}] {code}");
            for (a, b) in events.iter().zip(events_after) {
                assert_eq!(a, b, "[{backend}] lot {code}");
            }
        }
        // Importing the same document again adds nothing.
        let (status, again) = target
            .call(Method::POST, &import, Some(&token.token), Some(document.clone()))
            .await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(again["events_added"], 0, "{again}");
        assert_eq!(again["events_existing"], report["events_added"]);
        // And the imported cooperative exports a valid document of its own.
        let (_, _, body) = get_bytes(&target, &import, &token.token).await;
        assert_valid(&serde_json::from_slice(&body).expect("JSON"), "the re-export");

        // What is not ours is refused with the reason, and nothing is written.
        let (status, refused) = target
            .call(
                Method::POST,
                &import,
                Some(&token.token),
                Some(json!({ "type": "EPCISDocument" })),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        let (status, _) = target
            .upload(
                Method::POST,
                &import,
                Some(&token.token),
                b"<xml/>".to_vec(),
                "application/xml",
            )
            .await;
        assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    }
}

fn sheet_rows(bytes: &[u8]) -> Vec<Vec<calamine::Data>> {
    use calamine::Reader;
    let mut workbook = calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx workbook");
    let name = workbook.sheet_names()[0].clone();
    let range = workbook.worksheet_range(&name).expect("sheet");
    range.rows().map(<[calamine::Data]>::to_vec).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_recall_spreadsheet_lists_every_tracking_event_up_and_down_the_genealogy() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let (status, content_type, xlsx) = get_bytes(
            &app,
            &format!("/api/v1/cooperatives/{}/lots/CN-2609-01-A/trace.xlsx", veg.id),
            &veg.member,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "[{backend}]");
        assert!(content_type.contains("spreadsheetml"), "{content_type}");
        let rows = sheet_rows(&xlsx);
        let header: Vec<String> = rows[0].iter().map(ToString::to_string).collect();
        assert_eq!(header[0], "Sự kiện / Critical tracking event");
        assert!(
            header.contains(&"Mã lô truy xuất / Traceability lot code".to_owned()),
            "{header:?}"
        );
        assert!(header.contains(&"Số lượng / Quantity".to_owned()));
        let cell = |row: &Vec<calamine::Data>, title: &str| -> String {
            let col = header.iter().position(|h| h.starts_with(title)).expect(title);
            row[col].to_string()
        };
        let body = &rows[1..];
        let of = |cte: &str, lot: &str| {
            body.iter()
                .find(|r| cell(r, "Sự kiện").starts_with(cte) && cell(r, "Mã lô") == lot)
                .unwrap_or_else(|| panic!("[{backend}] no {cte} row for {lot}"))
        };
        // Up the genealogy: growing and harvesting of the parent lot.
        assert_eq!(cell(of("Gieo trồng", "CN-2609-01"), "Đơn vị"), "g");
        let harvest = of("Thu hoạch", "CN-2609-01");
        assert_eq!(
            (cell(harvest, "Số lượng"), cell(harvest, "Đơn vị")),
            ("1.2".to_owned(), "t".to_owned())
        );
        assert!(cell(harvest, "Địa điểm").contains("Ruộng Đồng Chùa"));
        assert_eq!(cell(harvest, "GTIN"), "08936049120015");
        assert_eq!(cell(harvest, "Nơi cấp mã lô"), "HTX Rau an toàn Tây Tựu");
        // Across: both lots the packing made, with their input lot; down: A's shipping.
        assert!(cell(of("Sơ chế", "CN-2609-01-A"), "Lô đầu vào").starts_with("CN-2609-01 ("));
        of("Sơ chế", "CN-2609-01-B");
        let shipping = of("Xuất hàng", "CN-2609-01-A");
        assert_eq!(cell(shipping, "Số lượng"), "600");
        assert!(!cell(shipping, "Nơi nhận").is_empty());
        // Dates are real dates, and the rows are in date order.
        let date_col = header.iter().position(|h| h.starts_with("Ngày")).expect("date column");
        let dates: Vec<f64> = body
            .iter()
            .map(|r| match &r[date_col] {
                calamine::Data::DateTime(d) => d.as_f64(),
                other => panic!("[{backend}] not a date cell: {other:?}"),
            })
            .collect();
        assert!(dates.windows(2).all(|w| w[0] <= w[1]), "{dates:?}");
        // Lots that have nothing to do with A stay out.
        assert!(body.iter().all(|r| cell(r, "Mã lô") != "CC-2608-02"));

        let (status, content_type, csv) = get_bytes(
            &app,
            &format!("/api/v1/cooperatives/{}/lots/CN-2609-01-A/trace.csv", veg.id),
            &veg.leader,
        )
        .await;
        assert_eq!(status, StatusCode::OK);
        assert!(content_type.starts_with("text/csv"));
        assert!(csv.starts_with(b"\xEF\xBB\xBF"), "a BOM for Excel");
        let mut reader = csv::Reader::from_reader(&csv[3..]);
        assert_eq!(reader.records().count(), body.len(), "the CSV has the workbook's rows");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_care_diary_is_available_to_bearer_tokens_in_csv_and_pdf() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let base = format!("/api/v1/cooperatives/{}/lots/CN-2609-01", veg.id);
        let (status, content_type, csv) = get_bytes(&app, &format!("{base}/diary.csv"), &veg.member).await;
        assert_eq!(status, StatusCode::OK, "[{backend}]");
        assert!(content_type.starts_with("text/csv"));
        let text = String::from_utf8(csv).expect("utf-8");
        assert!(
            text.contains("Bón phân") && text.contains("Phân hữu cơ vi sinh Sông Gianh"),
            "{text}"
        );
        let (_, _, english) = get_bytes(&app, &format!("{base}/diary.csv?lang=en"), &veg.member).await;
        assert!(String::from_utf8_lossy(&english).contains("Fertilizing"));
        let (status, content_type, pdf) = get_bytes(
            &app,
            &format!("{base}/diary.pdf"),
            &veg.inspector.clone().expect("inspector"),
        )
        .await;
        assert_eq!((status, content_type.as_str()), (StatusCode::OK, "application/pdf"));
        assert!(pdf.starts_with(b"%PDF"));
        let (status, _, _) = get_bytes(&app, &format!("{base}/diary.csv"), &veg.other_member).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        let anonymous = app
            .client
            .get(format!("{}{base}/diary.pdf", app.base))
            .send()
            .await
            .expect("sent");
        assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    }
}
