//! The language switch: one link turns the page English, and the choice sticks (a cookie) for
//! the next plain URL a buyer opens, until they switch back.

use crate::support::{PACKED_LOT, badge_heading, issue_label, page_language, start};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_language_switch_turns_the_page_english_and_the_choice_sticks() {
    let Some((browser, app)) = start("the_language_switch_turns_the_page_english_and_the_choice_sticks").await else {
        return;
    };
    let label = issue_label(&app, PACKED_LOT).await;
    browser.open(&label.url).await;
    assert_eq!(page_language(&browser).await, "vi");
    assert_eq!(badge_heading(&browser).await.trim(), "Đã xác minh");

    let switch = browser.find("#lang-switch").await;
    assert_eq!(switch.attr("hreflang").await.expect("hreflang").as_deref(), Some("en"));
    assert_eq!(switch.text().await.expect("link text").trim(), "English");
    switch.click().await.expect("click English");
    browser.find("html[lang='en']").await;
    assert_eq!(badge_heading(&browser).await.trim(), "Verified");
    assert!(
        browser.url().await.contains(&label.serial),
        "the switch stays on the same label: {}",
        browser.url().await
    );

    // The printed URL has no ?lang: the cookie keeps the page English.
    browser.open(&label.url).await;
    assert_eq!(page_language(&browser).await, "en");
    assert_eq!(badge_heading(&browser).await.trim(), "Verified");

    let switch = browser.find("#lang-switch").await;
    assert_eq!(switch.attr("hreflang").await.expect("hreflang").as_deref(), Some("vi"));
    assert_eq!(switch.text().await.expect("link text").trim(), "Tiếng Việt");
    switch.click().await.expect("click Tiếng Việt");
    browser.find("html[lang='vi']").await;
    assert_eq!(badge_heading(&browser).await.trim(), "Đã xác minh");
    browser.open(&label.url).await;
    assert_eq!(page_language(&browser).await, "vi");
    browser.close().await;
}
