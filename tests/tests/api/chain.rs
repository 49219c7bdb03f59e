//! Tampering with stored rows is detected by the history API.

use sea_orm::ConnectionTrait;

use crate::helpers::{backends, spawn_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn changing_a_stored_event_with_sql_shows_the_lot_as_altered_at_that_event() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let path = format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/history");
        let (_, before) = app.get(&path, &app.veg().leader).await;
        assert_eq!(before["chain"]["status"], "intact", "[{backend}] {}", before["chain"]);
        let sprayed = before["events"]
            .as_array()
            .expect("events")
            .iter()
            .find(|e| e["body"]["type"] == "spraying")
            .expect("a spraying")
            .clone();
        // Someone moves the spraying date back a week to hide a pre-harvest-interval breach.
        app.store
            .connection()
            .execute_unprepared(&format!(
                "UPDATE events SET occurred_at = '2026-10-13T16:00:00+07:00' WHERE id = '{}'",
                sprayed["id"].as_str().expect("id")
            ))
            .await
            .expect("tamper");
        let (_, after) = app.get(&path, &app.veg().leader).await;
        assert_eq!(after["chain"]["status"], "altered", "[{backend}] {}", after["chain"]);
        assert_eq!(after["chain"]["at_seq"], sprayed["seq"]);
        assert_eq!(after["chain"]["event_id"], sprayed["id"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleting_the_last_event_or_editing_the_lot_identity_is_detected() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let db = app.store.connection();
        db.execute_unprepared("DELETE FROM events WHERE seq = (SELECT MAX(seq) FROM events e2 WHERE e2.lot_id = events.lot_id) AND lot_id = (SELECT id FROM lots WHERE code = 'CC-2608-02')")
            .await
            .expect("delete");
        let (_, after) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/history"),
                &app.veg().leader,
            )
            .await;
        assert_eq!(after["chain"]["status"], "altered", "[{backend}] {}", after["chain"]);
        db.execute_unprepared("UPDATE lots SET product_id = 2 WHERE code = 'CN-2609-01-A'")
            .await
            .expect("swap product");
        let (_, child) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01-A/history"),
                &app.veg().leader,
            )
            .await;
        assert_eq!(child["chain"]["status"], "altered", "[{backend}] {}", child["chain"]);
        assert_eq!(child["chain"]["at_seq"], 0, "[{backend}] the lot's identity itself");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hiding_a_recall_by_editing_the_status_column_is_detected() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/events"),
                &app.veg().leader,
                serde_json::json!({ "id": crate::helpers::new_id(), "type": "recall", "occurred_at": "2026-11-02T08:00:00+07:00", "reason": "Dư lượng vượt ngưỡng" }),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "[{backend}] {body}");
        app.store
            .connection()
            .execute_unprepared("UPDATE lots SET status = 'harvested' WHERE code = 'CC-2608-02'")
            .await
            .expect("hide the recall");
        let (_, history) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/history"),
                &app.veg().leader,
            )
            .await;
        assert_eq!(
            history["chain"]["status"], "altered",
            "[{backend}] {}",
            history["chain"]
        );
        assert!(
            history["chain"]["reason"]
                .as_str()
                .unwrap_or_default()
                .contains("recalled"),
            "[{backend}] {}",
            history["chain"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_steps_photo_is_part_of_its_record_so_a_swapped_or_removed_photo_shows_as_altered() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let member = app.veg().member.clone();
        let photos = format!("/api/v1/cooperatives/{coop}/photos");
        let (status, first) = app
            .upload(
                reqwest::Method::POST,
                &photos,
                Some(&member),
                crate::helpers::png_photo(900, 600),
                "image/png",
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "[{backend}] {first}");
        let hash = first["hash"].as_str().expect("hash").to_owned();
        let (_, second) = app
            .upload(
                reqwest::Method::POST,
                &photos,
                Some(&member),
                crate::helpers::png_photo(640, 480),
                "image/png",
            )
            .await;
        let other = second["hash"].as_str().expect("hash").to_owned();
        assert_ne!(hash, other);
        let (status, refused) = app
            .upload(
                reqwest::Method::POST,
                &photos,
                Some(&member),
                b"not an image".to_vec(),
                "image/png",
            )
            .await;
        assert_eq!(
            status,
            reqwest::StatusCode::UNPROCESSABLE_ENTITY,
            "[{backend}] {refused}"
        );
        assert_eq!(refused["field"], "photo");

        let events = format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01/events");
        let step = |photos: Vec<String>| {
            serde_json::json!({
                "id": crate::helpers::new_id(),
                "type": "observation",
                "occurred_at": "2026-11-24T07:00:00+07:00",
                "subject": "Lá vàng ở góc ruộng",
                "photos": photos,
            })
        };
        let (status, body) = app.post(&events, &member, step(vec!["ab".repeat(32)])).await;
        assert_eq!(status, reqwest::StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(
            body["field"], "photos[0]",
            "[{backend}] a photo that was never uploaded"
        );
        let (status, body) = app.post(&events, &member, step(vec![hash.clone()])).await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "[{backend}] {body}");
        let id = body["event"]["id"].as_str().expect("id").to_owned();
        assert_eq!(body["event"]["photos"][0], hash.as_str());

        let path = format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01/history");
        let (_, history) = app.get(&path, &app.veg().leader).await;
        assert_eq!(history["chain"]["status"], "intact", "[{backend}] {}", history["chain"]);
        // The public page shows the photo, small and lazy.
        let page = app
            .client
            .get(format!("{}/htx/{coop}/lo/CN-2609-01", app.base))
            .send()
            .await
            .expect("sent")
            .text()
            .await
            .expect("page");
        assert!(
            page.contains(&format!("src=\"/media/{hash}/card.jpg\"")) && page.contains("loading=\"lazy\""),
            "[{backend}] the photo on the public timeline"
        );

        for (tamper, what) in [
            (
                format!("UPDATE events SET photos = '{other}' WHERE id = '{id}'"),
                "swapped",
            ),
            (
                "UPDATE events SET photos = NULL WHERE id = 'ID'".replace("ID", &id),
                "removed",
            ),
        ] {
            app.store
                .connection()
                .execute_unprepared(&tamper)
                .await
                .expect("tamper");
            let (_, after) = app.get(&path, &app.veg().leader).await;
            assert_eq!(
                after["chain"]["status"], "altered",
                "[{backend}] photo {what}: {}",
                after["chain"]
            );
            assert_eq!(after["chain"]["event_id"], id.as_str());
        }
    }
}
