//! The harness itself, on a page the app has always served (the JSON health check): the
//! screen is a Vietnamese phone's, and axe-core really reports what it finds, so the accessibility test
//! cannot pass by checking nothing.

use serde_json::json;
use tests::browser::{LANGUAGES, VIEWPORT};

use crate::support::start;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_browser_is_phone_sized_and_axe_reports_a_page_without_a_language() {
    let Some((browser, app)) = start("the_browser_is_phone_sized_and_axe_reports_a_page_without_a_language").await
    else {
        return;
    };
    browser.open(&format!("{}/healthz", app.base)).await;
    // The emulated phone's screen. (This page has no viewport meta tag, so a phone lays it out
    // 980 pixels wide; the label page test checks that the real pages fit 360.)
    let (width, height) = VIEWPORT;
    assert_eq!(
        browser
            .eval("return [screen.width, screen.height, window.devicePixelRatio];")
            .await,
        json!([width, height, 2])
    );
    assert!(browser.text().await.contains("ok"), "{}", browser.text().await);
    assert_eq!(browser.eval("return navigator.languages;").await, json!(LANGUAGES));

    // Chromium shows JSON in a bare document with no lang attribute: axe calls that serious.
    let violations = browser.axe().await;
    let missing_lang = violations
        .iter()
        .find(|v| v.id == "html-has-lang")
        .unwrap_or_else(|| panic!("axe missed html-has-lang: {violations:?}"));
    assert_eq!(missing_lang.impact, "serious");
    assert_eq!(missing_lang.targets, ["html"]);
    browser.close().await;
}
