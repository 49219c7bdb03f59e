//! Logging events as farmers and leaders do, and the rules they run into.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{backends, new_id, spawn_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn member_logs_fertilizing_and_sees_it_in_the_history() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.new_veg_lot("CN-TEST-01").await;
        let npk = app.input_id(coop, "NPK").await;
        let id = new_id();
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-01/events"),
                &app.veg().member,
                json!({ "id": id, "type": "fertilizing", "occurred_at": "2026-10-01T06:30:00+07:00",
                        "input": { "input_product_id": npk }, "amount": "8 kg", "method": "Bón lót" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        assert_eq!(body["outcome"], "created");
        assert_eq!(body["event"]["seq"], 1);
        assert_eq!(
            body["event"]["occurred_at"], "2026-10-01T06:30:00+07:00",
            "[{backend}] the offset is kept"
        );
        assert_eq!(
            body["event"]["body"]["input"]["snapshot"]["trade_name"], "NPK Lâm Thao 5-10-3",
            "[{backend}] the registry entry is frozen into the event"
        );

        let (status, history) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-01/history"),
                &app.veg().inspector.clone().expect("inspector"),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {history}");
        assert_eq!(history["chain"]["status"], "intact");
        assert_eq!(history["events"][0]["id"], id);
        assert_eq!(history["lot"]["head"], history["chain"]["head"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resending_the_same_event_is_idempotent_and_a_changed_resend_conflicts() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.new_veg_lot("CN-TEST-02").await;
        let path = format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-02/events");
        let event = json!({ "id": new_id(), "type": "observation", "occurred_at": "2026-10-02T08:00:00+07:00", "subject": "Rệp muội", "note": "Ít" });
        let (first, created) = app.post(&path, &app.veg().member, event.clone()).await;
        let (second, again) = app.post(&path, &app.veg().member, event.clone()).await;
        assert_eq!(
            (first, second),
            (StatusCode::CREATED, StatusCode::OK),
            "[{backend}] {again}"
        );
        assert_eq!(again["outcome"], "existing");
        assert_eq!(
            again["event"], created["event"],
            "[{backend}] the stored event is returned unchanged"
        );

        let mut changed = event.clone();
        changed["subject"] = json!("Sâu tơ");
        let (status, body) = app.post(&path, &app.veg().member, changed).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend}] {body}");
        assert_eq!(body["field"], "id");

        let (_, events) = app.get(&path, &app.veg().leader).await;
        assert_eq!(
            events.as_array().map(Vec::len),
            Some(1),
            "[{backend}] nothing was duplicated: {events}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn harvest_inside_the_pre_harvest_interval_is_rejected_unless_a_leader_overrides_with_a_reason() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.new_veg_lot("CN-TEST-03").await;
        let path = format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-03/events");
        let radiant = app.input_id(coop, "Radiant").await;
        let (status, body) = app
            .post(
                &path,
                &app.veg().member,
                json!({ "id": new_id(), "type": "spraying", "occurred_at": "2026-11-01T16:00:00+07:00",
                "input": { "input_product_id": radiant }, "dose": "30 ml", "target_pest": "Sâu xanh" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let harvest = json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-11-03T06:00:00+07:00", "quantity": "500 kg" });
        let (status, body) = app.post(&path, &app.veg().member, harvest.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "occurred_at");
        assert_eq!(body["errors"][0]["code"], "inside_pre_harvest_interval");
        let message = body["message"].as_str().unwrap_or_default();
        assert!(
            message.contains("Radiant 60SC") && message.contains("04/11/2026"),
            "[{backend}] Vietnamese message names the product and date: {message}"
        );

        let mut overridden = harvest.clone();
        overridden["phi_override"] = json!({ "reason": "Kết quả kiểm nghiệm dư lượng đạt, phiếu 77/KN" });
        let (status, body) = app.post(&path, &app.veg().member, overridden.clone()).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{backend}] a member cannot override: {body}"
        );
        assert_eq!(body["field"], "phi_override");

        let (status, body) = app.post(&path, &app.veg().leader, overridden).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let (_, history) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-03/history"),
                &app.veg().leader,
            )
            .await;
        assert_eq!(
            history["events"][1]["body"]["phi_override"]["reason"], "Kết quả kiểm nghiệm dư lượng đạt, phiếu 77/KN",
            "[{backend}] the override is part of the history"
        );
        assert_eq!(history["chain"]["status"], "intact");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn banned_pesticide_and_bad_quantities_are_rejected_naming_the_field() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.new_veg_lot("CN-TEST-04").await;
        let path = format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-04/events");
        let gramoxone = app.input_id(coop, "Gramoxone").await;
        let (status, body) = app
            .post(
                &path,
                &app.veg().member,
                json!({ "id": new_id(), "type": "spraying", "occurred_at": "2026-11-01T16:00:00+07:00",
                "input": { "input_product_id": gramoxone }, "dose": "30 ml" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["errors"][0]["code"], "banned_active_ingredient");
        assert_eq!(body["field"], "input_product_id");

        for (quantity, fragment) in [
            ("0 kg", "greater than 0"),
            ("-2 kg", "greater than 0"),
            ("5 bushels", "Unknown unit"),
        ] {
            let (status, body) = app
                .call(
                    reqwest::Method::POST,
                    &path,
                    Some(&app.veg().member),
                    Some(json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-11-01T06:00:00+07:00", "quantity": quantity })),
                )
                .await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{backend}] {quantity}: {body}"
            );
            assert_eq!(body["field"], "quantity", "[{backend}] {body}");
            let en = app
                .client
                .post(format!("{}{}", app.base, path))
                .bearer_auth(&app.veg().member)
                .header("accept-language", "en-US,en;q=0.9")
                .json(&json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-11-01T06:00:00+07:00", "quantity": quantity }))
                .send()
                .await
                .expect("sent");
            let en: serde_json::Value = en.json().await.expect("json");
            assert!(
                en["message"].as_str().unwrap_or_default().contains(fragment),
                "[{backend}] English message: {en}"
            );
        }

        let (status, body) = app
            .post(
                &path,
                &app.veg().member,
                json!({ "id": new_id(), "type": "observation", "occurred_at": "2026-11-01T08:00:00", "subject": "x" }),
            )
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{backend}] a date without offset: {body}"
        );
        assert_eq!(body["field"], "occurred_at");

        let (status, body) = app
            .post(&path, &app.veg().member, json!({ "id": new_id(), "type": "observation", "occurred_at": "2026-11-01T08:00:00+07:00", "subject": "x".repeat(201) }))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{backend}] over-long text: {body}"
        );
        assert_eq!(body["field"], "subject");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_is_stored_whole_or_not_at_all() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.new_veg_lot("CN-TEST-05").await;
        let path = format!("/api/v1/cooperatives/{coop}/events/batch");
        let good = |day: u32| json!({ "lot_code": "CN-TEST-05", "id": new_id(), "type": "irrigation", "occurred_at": format!("2026-10-{day:02}T17:00:00+07:00"), "amount": "500 lít" });
        let bad = json!({ "lot_code": "CN-TEST-05", "id": new_id(), "type": "harvest", "occurred_at": "2026-10-05T06:00:00+07:00", "quantity": "0 kg" });
        let (status, body) = app
            .post(&path, &app.veg().member, json!({ "events": [good(1), good(2), bad] }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "events[2].quantity", "[{backend}] {body}");
        assert_eq!(
            app.event_seqs("CN-TEST-05").await,
            Vec::<i64>::new(),
            "[{backend}] nothing from the failed batch was kept"
        );
        // A lot the cooperative does not have is named by its place in the batch; the good
        // events before it are not kept either.
        let mut stray = good(4);
        stray["lot_code"] = json!("KHONG-CO-LO-NAY");
        let (status, body) = app
            .post(&path, &app.veg().member, json!({ "events": [good(3), stray] }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "events[1].lot_code", "[{backend}] {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains("KHONG-CO-LO-NAY")),
            "[{backend}] the message names the lot: {body}"
        );
        // Who may log is checked for every event, not only the first on each lot: a member's
        // batch whose third event on the same lot is one only leaders record is refused whole.
        let close = json!({ "lot_code": "CN-TEST-05", "id": new_id(), "type": "close", "occurred_at": "2026-10-06T06:00:00+07:00" });
        let (status, body) = app
            .post(&path, &app.veg().member, json!({ "events": [good(3), good(4), close] }))
            .await;
        assert_eq!(
            status,
            StatusCode::FORBIDDEN,
            "[{backend}] members do not close lots: {body}"
        );
        // A member not working the lot's plot may not log on it, in a batch as one by one.
        let (status, body) = app
            .post(&path, &app.veg().other_member, json!({ "events": [good(3), good(4)] }))
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{backend}] not their plot: {body}");
        assert_eq!(
            app.event_seqs("CN-TEST-05").await,
            Vec::<i64>::new(),
            "[{backend}] nothing from the refused batches was kept"
        );

        let batch = json!({ "events": [good(1), good(2), good(3)] });
        let (status, body) = app.post(&path, &app.veg().member, batch.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let (status, body) = app.post(&path, &app.veg().member, batch).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "[{backend}] a re-sent batch changes nothing: {body}"
        );
        assert_eq!(app.event_seqs("CN-TEST-05").await, vec![1, 2, 3], "[{backend}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn packing_splits_a_lot_into_children_within_what_was_harvested() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.new_veg_lot("CN-TEST-06").await;
        let path = format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-06/events");
        let leader = app.veg().leader.clone();
        let (status, body) = app.post(&path, &leader, json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-11-01T06:00:00+07:00", "quantity": "1 tấn" })).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let packing = |a: &str, b: &str| {
            json!({ "id": new_id(), "type": "packing", "occurred_at": "2026-11-01T10:00:00+07:00",
            "children": [ { "code": "CN-TEST-06-A", "quantity": a }, { "code": "CN-TEST-06-B", "quantity": b } ] })
        };
        let (status, body) = app.post(&path, &leader, packing("600 kg", "5 tạ")).await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{backend}] 1.100 kg of 1.000: {body}"
        );
        assert_eq!(body["errors"][0]["code"], "exceeds_lot_quantity");
        let (status, body) = app.post(&path, &app.veg().member, packing("600 kg", "4 tạ")).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{backend}] members do not pack: {body}");
        let (status, body) = app.post(&path, &leader, packing("600 kg", "4 tạ")).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");

        let (_, genealogy) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-06/genealogy"),
                &leader,
            )
            .await;
        let children: Vec<&str> = genealogy["children"]
            .as_array()
            .expect("children")
            .iter()
            .map(|c| c["lot_code"].as_str().unwrap_or_default())
            .collect();
        assert_eq!(
            children,
            vec!["CN-TEST-06-A", "CN-TEST-06-B"],
            "[{backend}] {genealogy}"
        );
        let (_, child) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-06-A/history"),
                &leader,
            )
            .await;
        assert_eq!(child["lot"]["status"], "packed");
        assert_eq!(child["lot"]["parents"][0]["lot_code"], "CN-TEST-06");
        assert_eq!(
            child["lot"]["parents"][0]["parent_head"], body["event"]["head"],
            "[{backend}] the child's genesis commits to the parent's head after packing"
        );
        assert_eq!(child["chain"]["status"], "intact");
        let (status, body) = app
            .post(&format!("/api/v1/cooperatives/{coop}/lots/CN-TEST-06-A/events"), &leader,
                json!({ "id": new_id(), "type": "packing", "occurred_at": "2026-11-02T10:00:00+07:00", "children": [ { "code": "CN-TEST-06-A1", "quantity": "601 kg" } ] }))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{backend}] a child holds only what it was given: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn merging_lots_makes_one_lot_that_commits_to_every_input() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let leader = app.veg().leader.clone();
        let merge = json!({ "output_code": "CN-MERGE-01", "occurred_at": "2026-10-29T08:00:00+07:00",
            "inputs": [ { "lot_code": "CN-2609-01", "quantity": "40 kg", "event_id": new_id() }, { "lot_code": "CC-2608-02", "quantity": "100 kg", "event_id": new_id() } ] });
        let (status, lot) = app
            .post(&format!("/api/v1/cooperatives/{coop}/merges"), &leader, merge.clone())
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {lot}");
        assert_eq!(lot["initial_quantity"], json!({ "value": "140", "unit": "KGM" }));
        assert_eq!(lot["parents"].as_array().map(Vec::len), Some(2));
        let (status, again) = app
            .post(&format!("/api/v1/cooperatives/{coop}/merges"), &leader, merge)
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "[{backend}] re-sending the same merge returns the same lot: {again}"
        );
        assert_eq!(again["id"], lot["id"]);
        let too_much = json!({ "output_code": "CN-MERGE-02", "occurred_at": "2026-10-29T08:00:00+07:00",
            "inputs": [ { "lot_code": "CN-2609-01", "quantity": "5 kg", "event_id": new_id() }, { "lot_code": "CC-2608-02", "quantity": "701 kg", "event_id": new_id() } ] });
        let (status, body) = app
            .post(&format!("/api/v1/cooperatives/{coop}/merges"), &leader, too_much)
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "inputs[1].quantity");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_lot_takes_no_more_care_events() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let path = format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/events");
        let (status, body) = app.post(&path, &app.veg().leader, json!({ "id": new_id(), "type": "recall", "occurred_at": "2026-11-02T08:00:00+07:00", "reason": "Mẫu kiểm tra vượt ngưỡng dư lượng" })).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let (_, lot) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02"),
                &app.veg().leader,
            )
            .await;
        assert_eq!(lot["status"], "recalled");
        let (status, body) = app.post(&path, &app.veg().leader, json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-11-02T09:00:00+07:00", "quantity": "5 kg" })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["errors"][0]["code"], "lot_recalled");
    }
}
