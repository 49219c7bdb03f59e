//! Two servers on one database, as a province would run them behind a load balancer: what one
//! writes, the other shows on its next request (a new event, a recall, a sale in the feeds),
//! scans counted on either add up once both have flushed, and appends through both at once make
//! one linear chain. Both backends (two processes on one SQLite file work too, one writer at a
//! time).

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, backends, days_ago, new_id, spawn_demo};

async fn etag(app: &TestApp, url: &str) -> String {
    let response = app.client.get(url).send().await.expect("feed");
    assert_eq!(response.status(), StatusCode::OK, "{url}");
    response
        .headers()
        .get("etag")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned()
}

async fn page(app: &TestApp, path: &str) -> String {
    app.client
        .get(format!("{}{path}", app.base))
        .header("user-agent", "Mozilla/5.0 (Linux; Android 12) Mobile")
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("body")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_on_one_database_agree_on_scans_appends_feeds_and_verdicts() {
    for backend in backends().await {
        let a = spawn_demo(backend).await;
        let b = a.second_server().await;
        let veg = a.veg().clone();
        let coop = veg.id;

        // A label issued through A, scanned through both.
        let (status, batch) = a
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01-A/labels"),
                &veg.leader,
                json!({ "count": 1, "pack_size": "1 kg" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{batch}");
        let url = batch["labels"][0]["url"].as_str().expect("url").to_owned();
        let path = url.strip_prefix(&a.base).expect("A's address").to_owned();
        let serial = batch["labels"][0]["serial"].as_str().expect("serial").to_owned();
        for server in [&a, &a, &b] {
            assert!(page(server, &path).await.contains("badge verified"), "[{backend}]");
        }
        a.store.flush_scans().await.expect("flush A");
        b.store.flush_scans().await.expect("flush B");
        for server in [&a, &b] {
            let (_, resolved) = server
                .call(Method::GET, &format!("/api/v1/labels/{serial}"), None, None)
                .await;
            assert_eq!(
                resolved["scan_count"], 3,
                "[{backend}] both servers' scans, once: {resolved}"
            );
        }

        // An event appended through A shows on B's lot page at once.
        let lot_page = format!("/htx/{coop}/lo/CC-2608-02");
        let _ = page(&b, &lot_page).await;
        let (status, body) = a
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/events"),
                &veg.leader,
                json!({ "id": new_id(), "type": "observation", "occurred_at": days_ago(0), "subject": "Bọ nhảy xuất hiện ở luống 3" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(
            page(&b, &lot_page).await.contains("Bọ nhảy xuất hiện ở luống 3"),
            "[{backend}] B shows A's new event"
        );

        // Appends through both at once: one linear chain.
        let mut writers = Vec::new();
        for (i, server) in [&a, &b, &a, &b].into_iter().enumerate() {
            let client = server.client.clone();
            let url = format!("{}/api/v1/cooperatives/{coop}/lots/CC-2608-02/events", server.base);
            let token = veg.leader.clone();
            writers.push(tokio::spawn(async move {
                for j in 0..5 {
                    let response = client
                        .post(&url)
                        .bearer_auth(&token)
                        .json(&json!({ "id": new_id(), "type": "irrigation", "occurred_at": days_ago(0), "method": format!("tưới {i}-{j}") }))
                        .send()
                        .await
                        .expect("append");
                    let status = response.status();
                    let body = response.text().await.unwrap_or_default();
                    assert_eq!(status, StatusCode::CREATED, "{body}");
                }
            }));
        }
        for writer in writers {
            writer.await.expect("writer");
        }
        let (_, history) = b
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/history"),
                &veg.leader,
            )
            .await;
        assert_eq!(history["chain"]["status"], "intact", "[{backend}] {}", history["chain"]);

        // A listing's feed: the same ETag from both, and a sale through A changes B's at once.
        let (_, photo) = a
            .upload(
                Method::POST,
                &format!("/api/v1/cooperatives/{coop}/photos"),
                Some(&veg.leader),
                crate::helpers::png_photo(64, 48),
                "image/png",
            )
            .await;
        let (status, listing) = a
            .post(
                &format!("/api/v1/cooperatives/{coop}/listings"),
                &veg.leader,
                json!({ "title_vi": "Cải ngọt túi 1 kg", "description_vi": "Cải ngọt VietGAP.", "price_vnd": "25.000",
                        "pack_size": "1 kg", "photos": [photo["hash"]], "lots": ["CN-2609-01-B"] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{listing}");
        let (_, feeds) = a.get(&format!("/api/v1/cooperatives/{coop}/feeds"), &veg.leader).await;
        // Meta's feed carries the quantity left, so a sale changes its bytes.
        let google = feeds["meta"].as_str().expect("meta").replace(&a.base, "");
        let (before_a, before_b) = (
            etag(&a, &format!("{}{google}", a.base)).await,
            etag(&b, &format!("{}{google}", b.base)).await,
        );
        assert_eq!(before_a, before_b, "[{backend}] one feed, one ETag");
        let (status, body) = a
            .post(
                &format!("/api/v1/cooperatives/{coop}/listings/{}/movements", listing["id"]),
                &veg.leader,
                json!({ "id": new_id(), "kind": "sale", "units": 3 }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let after_b = etag(&b, &format!("{}{google}", b.base)).await;
        assert_ne!(after_b, before_b, "[{backend}] B's feed changed with A's sale");
        assert_eq!(
            after_b,
            etag(&a, &format!("{}{google}", a.base)).await,
            "[{backend}] and agrees with A's"
        );

        // A recall through B reaches the label page A serves, at once.
        let (status, body) = b
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01/events"),
                &veg.leader,
                json!({ "id": new_id(), "type": "recall", "occurred_at": days_ago(0), "reason": "Dư lượng vượt ngưỡng" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert!(
            page(&a, &path).await.contains("badge recalled"),
            "[{backend}] A shows B's recall"
        );
    }
}
