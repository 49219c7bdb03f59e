//! A serial nobody issued (a forged or mistyped label) gets a plain "not found" page with a 404.

use reqwest::StatusCode;

use crate::support::{badge_classes, page_language, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unknown_serial_shows_the_not_found_page() {
    let Some((browser, app)) = start("an_unknown_serial_shows_the_not_found_page").await else {
        return;
    };
    for url in [
        format!("{}/l/7ZZZZZZZZZZZZZZZ?d=0000000000000000000A", app.base),
        format!("{}/01/08936049120015/10/CN-2609-01-A/21/7ZZZZZZZZZZZZZZZ", app.base),
    ] {
        let response = app.client.get(&url).send().await.expect("request sent");
        assert_eq!(response.status(), StatusCode::NOT_FOUND, "{url}");
        browser.open(&url).await;
        assert_eq!(page_language(&browser).await, "vi");
        let text = browser.text().await;
        assert!(text.contains("Không tìm thấy"), "{url} says not found: {text}");
        let classes = badge_classes(&browser).await;
        assert!(
            classes.split_whitespace().any(|c| c == "unknown") && !classes.contains("verified"),
            "{url} vouches for nothing: badge classes {classes}"
        );
    }
    browser.screenshot().await;
    browser.close().await;
}
