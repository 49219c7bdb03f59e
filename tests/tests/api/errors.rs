//! Bad input always gets a clear error in one shape, with the right status, and never a leak.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{backends, new_id, spawn_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_has_the_same_shape_and_status() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let leader = app.veg().leader.clone();
        let events = format!("{}/api/v1/cooperatives/{coop}/lots/CN-2609-01/events", app.base);

        let (status, body) = app
            .call(Method::GET, &format!("/api/v1/cooperatives/{coop}/lots"), None, None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "[{backend}] {body}");
        assert_eq!(body["error"], "unauthenticated");
        assert!(
            body["message"].is_string() && body.get("field").is_some(),
            "[{backend}] {body}"
        );
        let (status, _) = app
            .call(Method::GET, "/api/v1/me", Some("nguon_not-a-real-token"), None)
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);

        let malformed = app
            .client
            .post(&events)
            .bearer_auth(&leader)
            .header("content-type", "application/json")
            .body("{\"id\": ")
            .send()
            .await
            .expect("sent");
        assert_eq!(malformed.status(), StatusCode::BAD_REQUEST, "[{backend}]");
        let body: serde_json::Value = malformed.json().await.expect("json");
        assert_eq!(body["error"], "bad_request");

        let not_json = app
            .client
            .post(&events)
            .bearer_auth(&leader)
            .body("type=harvest")
            .send()
            .await
            .expect("sent");
        assert_eq!(not_json.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE, "[{backend}]");

        let huge = format!(
            "{{\"id\":\"{}\",\"type\":\"observation\",\"occurred_at\":\"2026-11-01T08:00:00+07:00\",\"subject\":\"x\",\"note\":\"{}\"}}",
            new_id(),
            "a".repeat(2 * 1024 * 1024)
        );
        let too_large = app
            .client
            .post(&events)
            .bearer_auth(&leader)
            .header("content-type", "application/json")
            .body(huge)
            .send()
            .await
            .expect("sent");
        assert_eq!(too_large.status(), StatusCode::PAYLOAD_TOO_LARGE, "[{backend}]");
        assert_eq!(
            too_large.headers().get("connection").map(|v| v.as_bytes()),
            Some(&b"close"[..]),
            "[{backend}] the unread rest of the body makes the connection unusable; clients must be told"
        );
        let body: serde_json::Value = too_large.json().await.expect("json");
        assert_eq!(body["error"], "payload_too_large");

        let (status, body) = app
            .get(&format!("/api/v1/cooperatives/{coop}/lots/NO-SUCH-LOT"), &leader)
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::NOT_FOUND, Some("not_found")),
            "[{backend}] {body}"
        );
        let (status, body) = app.get("/api/v1/cooperatives/abc/lots", &leader).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{backend}] {body}");

        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots"),
                &leader,
                json!({ "code": "CN-2609-01", "product_id": 1, "plot_ids": [1] }),
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend}] a duplicate lot code: {body}");
        assert_eq!(body["field"], "code");
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots"),
                &leader,
                json!({ "code": "LÔ 1/2", "product_id": 1, "plot_ids": [1] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "code");
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/members"),
                &leader,
                json!({ "name": "Hộ ông Test", "phone": "12", "role": "member" }),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("phone")),
            "[{backend}] {body}"
        );
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/products"),
                &leader,
                json!({ "commodity": "Gạo", "gtin": "8936049120016" }),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("gtin")),
            "[{backend}] a wrong check digit: {body}"
        );
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/input-products"),
                &leader,
                json!({ "kind": "pesticide", "trade_name": "X", "active_ingredients": ["Abamectin"] }),
            )
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("phi_days")),
            "[{backend}] {body}"
        );
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/plots"),
                &leader,
                json!({ "name": "Ruộng mới", "area": "2 sào", "commune": "Tây Tựu" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        assert_eq!(
            body["area"],
            json!({ "value": "720", "unit": "MTK" }),
            "[{backend}] a northern sào is 360 m²"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unexpected_failure_is_a_500_with_a_request_id_and_no_internal_detail() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        app.store
            .connection()
            .execute_unprepared("UPDATE lots SET status = 'bogus-internal-value' WHERE code = 'CC-2608-02'")
            .await
            .expect("damage a row");
        let response = app
            .client
            .get(format!("{}/api/v1/cooperatives/{coop}/lots/CC-2608-02", app.base))
            .bearer_auth(&app.veg().leader)
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR, "[{backend}]");
        let header_id = response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let text = response.text().await.expect("body");
        let body: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(body["error"], "internal");
        assert!(
            !header_id.is_empty() && body["request_id"] == header_id.as_str(),
            "[{backend}] {text}"
        );
        assert!(
            !text.contains("bogus") && !text.to_lowercase().contains("sql") && !text.contains("status"),
            "[{backend}] leaked detail: {text}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_check_reports_the_database() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let (status, body) = app.call(Method::GET, "/healthz", None, None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["database"], backend);
    }
}
