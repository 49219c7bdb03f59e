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
