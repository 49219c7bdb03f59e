//! A recall is announced at the top of every page a buyer can reach for the lot: its own label
//! and lot pages, and the label of every lot packed from it.

use serde_json::json;
use tests::browser::Browser;

use crate::support::{PACKED_LOT, PARENT_LOT, append, issue_label, lot_page, start};

/// Asserts the page shown carries the recall banner, as an alert that names the reason.
async fn assert_recall_banner(browser: &Browser, reason: &str) {
    let banner = browser.find("#recall").await;
    assert_eq!(
        banner.attr("role").await.expect("role").as_deref(),
        Some("alert"),
        "the recall banner is announced to screen readers"
    );
    assert!(
        banner.is_displayed().await.expect("visibility"),
        "the recall banner is visible"
    );
    let text = banner.text().await.expect("banner text");
    assert!(text.contains(reason), "the banner gives the reason: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_lot_shows_the_recall_banner() {
    let Some((browser, app)) = start("a_recalled_lot_shows_the_recall_banner").await else {
        return;
    };
    let label = issue_label(&app, PACKED_LOT).await;
    browser.open(&label.url).await;
    assert!(
        browser.find_all("#recall").await.is_empty(),
        "no banner before the recall"
    );

    let reason = "Mẫu kiểm tra có dư lượng vượt ngưỡng";
    append(
        &app,
        PACKED_LOT,
        json!({ "type": "recall", "occurred_at": "2026-11-20T08:00:00+07:00", "reason": reason }),
    )
    .await;
    browser.open(&label.url).await;
    assert_recall_banner(&browser, reason).await;
    browser.screenshot().await;
    browser.open(&lot_page(&app, PACKED_LOT)).await;
    assert_recall_banner(&browser, reason).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_parent_lot_shows_the_recall_banner_on_its_childs_label_page() {
    let Some((browser, app)) = start("a_recalled_parent_lot_shows_the_recall_banner_on_its_childs_label_page").await
    else {
        return;
    };
    let label = issue_label(&app, PACKED_LOT).await;
    let reason = "Nguồn nước tưới bị nhiễm bẩn";
    append(
        &app,
        PARENT_LOT,
        json!({ "type": "recall", "occurred_at": "2026-11-20T08:00:00+07:00", "reason": reason }),
    )
    .await;
    browser.open(&label.url).await;
    assert_recall_banner(&browser, reason).await;
    let text = browser.find("#recall").await.text().await.expect("banner text");
    assert!(
        text.contains(PARENT_LOT),
        "the banner names the recalled parent lot: {text}"
    );
    browser.screenshot().await;
    browser.close().await;
}
