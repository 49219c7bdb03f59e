//! Many phones syncing to one lot at once still make one linear chain with nothing lost.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{backends, new_id, spawn_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_four_concurrent_writers_to_one_lot_make_one_linear_chain() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.new_veg_lot("CN-RACE-01").await;
        let path = format!("{}/api/v1/cooperatives/{coop}/lots/CN-RACE-01/events", app.base);
        let writers = 24;
        let mut tasks = Vec::new();
        for writer in 0..writers {
            let client = app.client.clone();
            let path = path.clone();
            let token = if writer % 2 == 0 {
                app.veg().leader.clone()
            } else {
                app.veg().member.clone()
            };
            tasks.push(tokio::spawn(async move {
                let id = new_id();
                let body = json!({ "id": id, "type": "irrigation", "occurred_at": format!("2026-10-{:02}T17:00:00+07:00", writer % 28 + 1), "amount": format!("{} lít", 100 + writer) });
                let response = client.post(&path).bearer_auth(token).json(&body).send().await.expect("sent");
                (response.status(), id)
            }));
        }
        let mut acknowledged = Vec::new();
        for task in futures::future::join_all(tasks).await {
            let (status, id) = task.expect("task");
            assert_eq!(status, StatusCode::CREATED, "[{backend}] every writer is acknowledged");
            acknowledged.push(id);
        }
        let (_, history) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-RACE-01/history"),
                &app.veg().leader,
            )
            .await;
        let events = history["events"].as_array().expect("events");
        let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
        assert_eq!(
            seqs,
            (1..=writers as i64).collect::<Vec<_>>(),
            "[{backend}] one gapless chain"
        );
        for id in &acknowledged {
            assert!(
                events.iter().any(|e| e["id"] == id.as_str()),
                "[{backend}] acknowledged event {id} is stored"
            );
        }
        assert_eq!(history["chain"]["status"], "intact", "[{backend}] {}", history["chain"]);
        assert_eq!(history["lot"]["event_count"], writers);
    }
}
