//! No input breaks anything: quantities past any cooperative's scale, dates before 2000, NUL
//! bytes, trailing JSON, a line break in `?next=`, stored values that no longer parse — each gets
//! a clear 4xx naming what is wrong (or is left out), on SQLite and PostgreSQL alike; and the
//! app's session rules (no stored session for a look at the sign-in page, a password reset signs
//! the member out everywhere).

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::json;

use crate::helpers::{TestApp, backends, days_ago, new_id, spawn_demo};
use crate::phone::Phone;

/// The largest decimal there is.
const HUGE: &str = "79228162514264337593543950335";

async fn raw(app: &TestApp, method: Method, path: &str, token: Option<&str>, body: &str) -> (StatusCode, String) {
    let mut request = app
        .client
        .request(method, format!("{}{path}", app.base))
        .header("content-type", "application/json")
        .body(body.to_owned());
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quantities_past_any_cooperatives_scale_are_refused_naming_the_field() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let events = format!("/api/v1/cooperatives/{}/lots/CC-2608-02/events", veg.id);
        for amount in [
            format!("{HUGE} kg"),
            format!("{HUGE} tấn"),
            "10001 tấn".to_owned(),
            "-5 kg".to_owned(),
        ] {
            let (status, body) = app
                .post(
                    &events,
                    &veg.leader,
                    json!({ "id": new_id(), "type": "irrigation", "occurred_at": days_ago(0), "amount": amount }),
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {amount}: {body}");
            assert_eq!(body["field"], "amount", "[{backend}] {amount}: {body}");
        }
        // Per area: a harvest no plot of that size could grow.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots/CC-2608-02/events", veg.id),
                &veg.leader,
                json!({ "id": new_id(), "type": "harvest", "occurred_at": days_ago(0), "quantity": "9000 tấn" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/listings", veg.id),
                &veg.leader,
                json!({ "title_vi": "Cải", "price_vnd": "20000", "pack_size": format!("{HUGE} kg"), "lots": ["CN-2609-01-A"] }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "pack_size", "[{backend}] {body}");

        // A listing stored before the bound (or edited by hand) with such a pack size is left
        // out; the catalog and both feeds still answer.
        app.store
            .connection()
            .execute_unprepared(&format!(
                "UPDATE listing_versions SET pack_value = '{HUGE}', pack_unit = 'TNE'"
            ))
            .await
            .expect("store a huge pack size");
        let (_, feeds) = app
            .get(&format!("/api/v1/cooperatives/{}/feeds", veg.id), &veg.leader)
            .await;
        for url in [
            format!("{}/htx/{}/san-pham", app.base, veg.id),
            feeds["google"].as_str().expect("google").to_owned(),
            feeds["meta"].as_str().expect("meta").to_owned(),
        ] {
            let response = app.client.get(&url).send().await.expect("page");
            assert_eq!(response.status(), StatusCode::OK, "[{backend}] {url}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dates_before_2000_are_refused_naming_the_field() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots/CC-2608-02/events", veg.id),
                &veg.leader,
                json!({ "id": new_id(), "type": "observation", "occurred_at": "1999-12-31T07:00:00+07:00", "subject": "Rệp" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "occurred_at", "[{backend}] {body}");
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/certificates", veg.id),
                &veg.leader,
                json!({ "scheme": "vietgap", "number": "VG-1", "body": "Cục Trồng trọt", "valid_from": "01/01/1920", "valid_to": "31/12/2027" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "valid_from", "[{backend}] {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nul_byte_anywhere_is_a_4xx_on_both_backends() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        for path in [
            format!("/htx/{}/lo/CN%002609", veg.id),
            format!("/htx/{}/lo/CN-2609-01?lang=v%00i", veg.id),
            "/01/08936049120015/10/CN%00A".to_owned(),
            "/l/ABC%00DEF".to_owned(),
            format!("/htx/{}/san-pham/1%00", veg.id),
        ] {
            let response = app
                .client
                .get(format!("{}{path}", app.base))
                .send()
                .await
                .expect("sent");
            assert!(
                response.status().is_client_error(),
                "[{backend}] {path}: {}",
                response.status()
            );
        }
        let (status, body) = app
            .call(
                Method::GET,
                &format!("/api/v1/cooperatives/{}/lots/CN%002609/history", veg.id),
                Some(&veg.leader),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "[{backend}] {body}");
        for field in ["subject", "note"] {
            let mut event =
                json!({ "id": new_id(), "type": "observation", "occurred_at": days_ago(0), "subject": "Rệp" });
            event[field] = json!("Rệp\u{0}muội");
            let (status, body) = app
                .post(
                    &format!("/api/v1/cooperatives/{}/lots/CC-2608-02/events", veg.id),
                    &veg.leader,
                    event,
                )
                .await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {field}: {body}");
            assert_eq!(body["field"], field, "[{backend}] {body}");
        }
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/products", veg.id),
                &veg.leader,
                json!({ "commodity": "Su\u{0}hào" }),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anything_after_a_json_body_is_a_400() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let event = json!({ "id": new_id(), "type": "observation", "occurred_at": days_ago(0), "subject": "Rệp" });
        for trailing in [
            format!("{event} {{}}"),
            format!("{event}garbage"),
            format!("{event}{event}"),
        ] {
            let (status, body) = raw(
                &app,
                Method::POST,
                &format!("/api/v1/cooperatives/{}/lots/CC-2608-02/events", veg.id),
                Some(&veg.leader),
                &trailing,
            )
            .await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "[{backend}] {trailing}: {body}");
        }
        let (_, history) = app
            .get(
                &format!("/api/v1/cooperatives/{}/lots/CC-2608-02/history", veg.id),
                &veg.leader,
            )
            .await;
        assert!(
            !history["events"]
                .to_string()
                .contains(event["id"].as_str().expect("id")),
            "[{backend}] nothing was stored"
        );
        // White space after the value is fine.
        let (status, body) = raw(
            &app,
            Method::POST,
            &format!("/api/v1/cooperatives/{}/lots/CC-2608-02/events", veg.id),
            Some(&veg.leader),
            &format!("{event}\n  "),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_line_break_in_next_is_ignored_and_looking_at_the_sign_in_page_stores_no_session() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let sessions = || count(&app, "sessions");
        let before = sessions().await;
        for _ in 0..20 {
            let response = app
                .client
                .get(format!("{}/app/dang-nhap", app.base))
                .send()
                .await
                .expect("page");
            assert_eq!(response.status(), StatusCode::OK);
        }
        assert_eq!(sessions().await, before, "[{backend}] twenty looks stored no session");
        for next in ["/app%0D%0ASet-Cookie:%20x=1", "/app/lo/A%0Ab", "/app\\\\evil.example"] {
            let response = app
                .client
                .get(format!("{}/app/dang-nhap?next={next}", app.base))
                .send()
                .await
                .expect("page");
            assert!(
                response.status().is_success() || response.status().is_client_error(),
                "[{backend}] {next}: {}",
                response.status()
            );
            assert!(
                response
                    .headers()
                    .get("set-cookie")
                    .is_none_or(|c| !c.to_str().unwrap_or("").contains("x=1"))
            );
        }
        // Signing in still works, with the form's token from the cookie, and only then is a
        // session stored.
        let phone = Phone::new(&app);
        let (status, _, _) = phone.sign_in("0912345672", crate::phone::PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] the farmer signs in");
        assert_eq!(sessions().await, before + 1, "[{backend}] one session, at sign-in");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_reset_signs_the_member_out_everywhere() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let farmer = Phone::new(&app);
        let (status, _, _) = farmer.sign_in("0912345672", crate::phone::PASSWORD).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, _) = farmer.get("/app").await;
        assert_eq!(status, StatusCode::OK, "[{backend}] signed in");
        let member = app
            .store
            .member_by_phone(app.veg().id, "0912345672")
            .await
            .expect("the farmer");
        app.store
            .set_password(
                app.veg().id,
                member.id,
                &farm_log::Password::parse("mat-khau-moi-2026", "password").expect("password"),
            )
            .await
            .expect("reset");
        let (status, _, location) = farmer.get("/app").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] the old session is gone");
        assert!(
            location.unwrap_or_default().contains("/app/dang-nhap"),
            "[{backend}] back to sign-in"
        );
    }
}

/// Rows in a table (for what a test must not have stored).
async fn count(app: &TestApp, table: &str) -> i64 {
    let row = app
        .store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            app.store.connection().get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}
