//! Many phones syncing to one lot at once still make one linear chain with nothing lost.

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{TestApp, backends, new_id, spawn_demo};

/// A lot's history, asserted intact and one gapless chain (seq 1, 2, … n).
async fn linear_history(app: &TestApp, backend: &str, coop: i64, lot: &str) -> serde_json::Value {
    let (_, history) = app
        .get(
            &format!("/api/v1/cooperatives/{coop}/lots/{lot}/history"),
            &app.veg().leader,
        )
        .await;
    assert_eq!(
        history["chain"]["status"], "intact",
        "[{backend}] {lot}: {}",
        history["chain"]
    );
    let events = history["events"].as_array().expect("events");
    let seqs: Vec<i64> = events.iter().map(|e| e["seq"].as_i64().expect("seq")).collect();
    assert_eq!(
        seqs,
        (1..=events.len() as i64).collect::<Vec<_>>(),
        "[{backend}] {lot}: one gapless chain"
    );
    history
}

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
        let history = linear_history(&app, backend, coop, "CN-RACE-01").await;
        let events = history["events"].as_array().expect("events");
        assert_eq!(events.len(), writers, "[{backend}] one event per writer");
        for id in &acknowledged {
            assert!(
                events.iter().any(|e| e["id"] == id.as_str()),
                "[{backend}] acknowledged event {id} is stored"
            );
        }
        assert_eq!(history["lot"]["event_count"], writers);
    }
}

/// Two listings selling the same lot, and twice as many sales arriving at once as the lot has
/// units: exactly as many as there are units are recorded, the others are refused, and the lot
/// is never oversold.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_sales_from_two_listings_of_one_lot_never_oversell_it() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg();
        let listings = format!("/api/v1/cooperatives/{}/listings", veg.id);
        let mut ids = Vec::new();
        let mut units = Vec::new();
        for title in ["Cải ngọt bao 100 kg (sỉ)", "Cải ngọt bao 100 kg (nhà hàng)"] {
            // CN-2609-01-B holds 550 kg less the demo's sales: a few whole 100 kg sacks, shared.
            let (status, body) = app
                .post(
                    &listings,
                    &veg.leader,
                    json!({ "title_vi": title, "price_vnd": "2.500.000", "pack_size": "100 kg", "lots": ["CN-2609-01-B"] }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
            units.push(body["units"].as_u64().expect("units"));
            ids.push(body["id"].as_i64().expect("id"));
        }
        let stock = units[0] as usize;
        assert!(
            stock >= 2 && units[1] == units[0],
            "[{backend}] both see the lot's {units:?}"
        );
        let mut tasks = Vec::new();
        for sale in 0..stock * 2 + 2 {
            let client = app.client.clone();
            let url = format!("{}{listings}/{}/movements", app.base, ids[sale % 2]);
            let token = veg.leader.clone();
            tasks.push(tokio::spawn(async move {
                let body = json!({ "id": new_id(), "kind": "sale", "units": 1 });
                client
                    .post(&url)
                    .bearer_auth(token)
                    .json(&body)
                    .send()
                    .await
                    .expect("sent")
                    .status()
            }));
        }
        let statuses: Vec<StatusCode> = futures::future::join_all(tasks)
            .await
            .into_iter()
            .map(|t| t.expect("task"))
            .collect();
        let sold = statuses.iter().filter(|s| **s == StatusCode::CREATED).count();
        let refused = statuses
            .iter()
            .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
            .count();
        assert_eq!((sold, refused), (stock, stock + 2), "[{backend}] {statuses:?}");
        let mut recorded = 0;
        for id in &ids {
            let (_, body) = app.get(&format!("{listings}/{id}"), &veg.leader).await;
            assert_eq!(body["units"], 0, "[{backend}] sold out: {body}");
            assert_eq!(body["availability"], "out_of_stock", "[{backend}]");
            recorded += body["movements"].as_array().expect("movements").len();
        }
        assert_eq!(recorded, stock, "[{backend}] one movement per recorded sale");
    }
}

/// Phones syncing batches at once, to shared lots, some of them with an event id reused for
/// other content: every batch is all-or-nothing on its own. (On SQLite, batches arriving
/// together are written in one transaction, each in a savepoint: a refused batch must leave
/// nothing behind and take nothing of the others with it.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_batches_are_each_all_or_nothing_whatever_arrives_beside_them() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let lots = ["CN-GROUP-01", "CN-GROUP-02", "CN-GROUP-03"];
        for lot in lots {
            app.new_veg_lot(lot).await;
        }
        // An event already stored; a batch re-using its id for other content is refused.
        let taken = new_id();
        let (status, _) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-GROUP-01/events"),
                &app.veg().leader,
                json!({ "id": taken, "type": "irrigation", "occurred_at": "2026-10-01T06:00:00+07:00", "amount": "100 lít" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}]");
        // A harvest on each lot, so that every batch can also pack a child lot out of it: a
        // write made before the batch is refused, which its savepoint must take back.
        for lot in lots {
            let (status, body) = app
                .post(
                    &format!("/api/v1/cooperatives/{coop}/lots/{lot}/events"),
                    &app.veg().leader,
                    json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-10-01T07:00:00+07:00", "quantity": "500 kg" }),
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        }
        let path = format!("{}/api/v1/cooperatives/{coop}/events/batch", app.base);
        let batches = 18;
        let mut tasks = Vec::new();
        for batch in 0..batches {
            let (client, path, token, taken) = (
                app.client.clone(),
                path.clone(),
                app.veg().leader.clone(),
                taken.clone(),
            );
            tasks.push(tokio::spawn(async move {
                let refused = batch % 3 == 2;
                let mut events: Vec<serde_json::Value> = (0..5)
                    .map(|i| {
                        json!({ "id": new_id(), "lot_code": lots[(batch + i) % lots.len()], "type": "irrigation",
                                "occurred_at": format!("2026-10-{:02}T07:{:02}:00+07:00", batch % 28 + 1, i),
                                "amount": format!("{} lít", 200 + batch * 10 + i) })
                    })
                    .collect();
                events.push(
                    json!({ "id": new_id(), "lot_code": lots[batch % lots.len()], "type": "packing",
                                    "occurred_at": format!("2026-10-{:02}T08:00:00+07:00", batch % 28 + 1),
                                    "children": [ { "code": format!("CN-GROUP-P{batch:02}"), "quantity": "1 kg" } ] }),
                );
                if refused {
                    events.push(json!({ "id": taken, "lot_code": "CN-GROUP-01", "type": "irrigation",
                                        "occurred_at": "2026-10-02T06:00:00+07:00", "amount": "999 lít" }));
                }
                let ids: Vec<String> = events
                    .iter()
                    .map(|e| e["id"].as_str().unwrap_or_default().to_owned())
                    .collect();
                let response = client
                    .post(&path)
                    .bearer_auth(token)
                    .json(&json!({ "events": events }))
                    .send()
                    .await
                    .expect("sent");
                let status = response.status();
                let body: serde_json::Value = response.json().await.expect("json");
                (batch, refused, status, body, ids)
            }));
        }
        let mut stored = Vec::new();
        let mut absent = Vec::new();
        for task in futures::future::join_all(tasks).await {
            let (batch, refused, status, body, ids) = task.expect("task");
            if refused {
                assert_eq!(status, StatusCode::CONFLICT, "[{backend}] {body}");
                assert_eq!(body["field"], "events[6].id", "[{backend}] {body}");
                absent.extend(ids.into_iter().take(6));
            } else {
                assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
                stored.extend(ids);
            }
            let (child, _) = app
                .get(
                    &format!("/api/v1/cooperatives/{coop}/lots/CN-GROUP-P{batch:02}"),
                    &app.veg().leader,
                )
                .await;
            let expected = if refused { StatusCode::NOT_FOUND } else { StatusCode::OK };
            assert_eq!(child, expected, "[{backend}] child lot of batch {batch}");
        }
        let mut total = 0;
        let mut seen = Vec::new();
        for lot in lots {
            let history = linear_history(&app, backend, coop, lot).await;
            let events = history["events"].as_array().expect("events");
            total += events.len();
            seen.extend(events.iter().map(|e| e["id"].as_str().unwrap_or_default().to_owned()));
        }
        for id in &stored {
            assert!(seen.contains(id), "[{backend}] acknowledged event {id} is stored");
        }
        for id in &absent {
            assert!(
                !seen.contains(id),
                "[{backend}] event {id} of a refused batch was stored"
            );
        }
        assert_eq!(
            total,
            stored.len() + 1 + lots.len(),
            "[{backend}] exactly the accepted batches, the first event and the harvests"
        );
    }
}
