//! What the browser tests share: starting the app and the browser together, issuing a label on
//! a demo lot, appending events, and the addresses of the public pages.

use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::browser::Browser;

use crate::helpers::{TestApp, new_id, spawn_demo};

/// The packed demo lot of the vegetable cooperative (cải ngọt, which has a GTIN); its parent,
/// the harvested lot `CN-2609-01`, holds the seeding, spraying and harvest behind it.
pub const PACKED_LOT: &str = "CN-2609-01-A";
/// The lot `PACKED_LOT` was packed from.
pub const PARENT_LOT: &str = "CN-2609-01";

/// A browser and an app with the demo cooperatives on a fresh SQLite database; `None` when the
/// browser tools are missing (the skip has been announced).
pub async fn start(test: &str) -> Option<(Browser, TestApp)> {
    let browser = Browser::launch(test).await?;
    Some((browser, spawn_demo("sqlite").await))
}

/// One issued label: its serial and the URL its QR code carries.
pub struct Label {
    pub serial: String,
    pub url: String,
}

/// Issues one 1 kg label on a lot of the vegetable cooperative, as its leader.
pub async fn issue_label(app: &TestApp, code: &str) -> Label {
    let (status, batch) = app
        .post(
            &format!("/api/v1/cooperatives/{}/lots/{code}/labels", app.veg().id),
            &app.veg().leader,
            json!({ "count": 1, "pack_size": "1 kg" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "issue a label on {code}: {batch}");
    let text = |key: &str| batch["labels"][0][key].as_str().expect("a label").to_owned();
    Label {
        serial: text("serial"),
        url: text("url"),
    }
}

/// Appends one event (given without its id) to a lot of the vegetable cooperative.
pub async fn append(app: &TestApp, code: &str, mut event: Value) {
    event["id"] = json!(new_id());
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{}/lots/{code}/events", app.veg().id),
            &app.veg().leader,
            event,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "append to {code}: {body}");
}

/// The public page of a lot of the vegetable cooperative.
pub fn lot_page(app: &TestApp, code: &str) -> String {
    format!("{}/htx/{}/lo/{code}", app.base, app.veg().id)
}

/// The public page of the vegetable cooperative.
pub fn cooperative_page(app: &TestApp) -> String {
    format!("{}/htx/{}", app.base, app.veg().id)
}

/// `url` with one more query parameter.
pub fn with_query(url: &str, parameter: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{parameter}")
}

/// The `lang` attribute of the page's `<html>` element.
pub async fn page_language(browser: &Browser) -> String {
    browser
        .find("html")
        .await
        .attr("lang")
        .await
        .expect("read html lang")
        .unwrap_or_default()
}

/// The classes of the verification badge (`badge verified`, `badge altered` …).
pub async fn badge_classes(browser: &Browser) -> String {
    browser
        .find("#verification")
        .await
        .attr("class")
        .await
        .expect("read the badge's class")
        .unwrap_or_default()
}

/// The text of the verification badge's heading.
pub async fn badge_heading(browser: &Browser) -> String {
    browser
        .find("#verification :is(h1, h2, h3)")
        .await
        .text()
        .await
        .expect("read the badge heading")
}

/// The `event-{kind}` kinds of the entries of the timeline matched by `selector`, in order.
pub async fn timeline_kinds(browser: &Browser, selector: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    for item in browser.find_all(&format!("{selector} > li.event")).await {
        let class = item.attr("class").await.expect("read a class").unwrap_or_default();
        kinds.extend(
            class
                .split_whitespace()
                .filter_map(|c| c.strip_prefix("event-"))
                .map(str::to_owned),
        );
    }
    kinds
}

/// Types a member's phone and the demo password on the sign-in page the browser shows, and taps
/// "Đăng nhập"; waits for the page that follows (the sign-in page has a heading too, so it waits
/// for the address to leave it first).
pub async fn type_sign_in(browser: &Browser, phone: &str) {
    browser
        .find("#phone")
        .await
        .send_keys(phone)
        .await
        .expect("type the phone");
    browser
        .find("#password")
        .await
        .send_keys(nguon::demo::DEMO_PASSWORD)
        .await
        .expect("type the password");
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await
        .expect("tap sign in");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while browser.url().await.contains("/app/dang-nhap") {
        assert!(
            std::time::Instant::now() < deadline,
            "still on the sign-in page 15 s after tapping: {}",
            browser.text().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.find("main h1").await;
}

/// Opens the sign-in page and signs in; ends at the app's home.
pub async fn sign_in(browser: &Browser, app: &TestApp, phone: &str) {
    browser.open(&format!("{}/app/dang-nhap", app.base)).await;
    type_sign_in(browser, phone).await;
    assert_eq!(browser.url().await, format!("{}/app", app.base), "signed in, at home");
}

/// The first demo member of the vegetable cooperative who has plots: the farmer of these tests.
pub async fn farmer(app: &TestApp) -> store::Member {
    app.store
        .members(app.veg().id)
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.role == farm_log::Role::Member && !m.plot_ids.is_empty())
        .expect("a demo member with plots")
}
