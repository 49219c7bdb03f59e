//! What a buyer sees after scanning a label: the lot's timeline (with the history of the lot it
//! was packed from) under a verification badge, in both URL forms a label can carry; and the
//! red warning when the stored history was changed afterwards.

use sea_orm::ConnectionTrait;
use serde_json::json;
use tests::browser::{Browser, VIEWPORT};

use crate::support::{
    PACKED_LOT, PARENT_LOT, append, badge_classes, badge_heading, issue_label, page_language, start, timeline_kinds,
};

/// Asserts the page shown is a label page whose badge says verified, in Vietnamese.
async fn assert_verified(browser: &Browser) {
    assert_eq!(page_language(browser).await, "vi");
    let classes = badge_classes(browser).await;
    assert!(
        classes.split_whitespace().any(|c| c == "verified"),
        "badge classes: {classes}"
    );
    assert_eq!(badge_heading(browser).await.trim(), "Đã xác minh");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_digital_link_label_shows_the_timeline_under_a_verified_badge() {
    let Some((browser, app)) = start("a_scanned_digital_link_label_shows_the_timeline_under_a_verified_badge").await
    else {
        return;
    };
    let label = issue_label(&app, PACKED_LOT).await;
    assert!(
        label.url.starts_with(&format!("{}/01/", app.base)),
        "cải ngọt has a GTIN, so its label is a GS1 Digital Link: {}",
        label.url
    );
    browser.open(&label.url).await;

    // The page is laid out for a phone: the viewport really is 360 CSS pixels wide, and nothing
    // makes the page scroll sideways.
    let (width, _) = VIEWPORT;
    assert_eq!(browser.eval("return window.innerWidth;").await, json!(width));
    assert_eq!(
        browser.eval("return document.documentElement.scrollWidth;").await,
        json!(width),
        "the page is wider than the phone"
    );

    assert_verified(&browser).await;
    // The packed lot's own timeline, and the history behind it in the lot it was packed from.
    assert!(
        !timeline_kinds(&browser, "#timeline").await.is_empty(),
        "no events in #timeline"
    );
    let parent = browser.find("section.parent-lot").await;
    assert!(
        parent.text().await.expect("parent text").contains(PARENT_LOT),
        "the parent section names {PARENT_LOT}"
    );
    let parent_kinds = timeline_kinds(&browser, "section.parent-lot ol.timeline").await;
    for kind in ["seeding", "spraying", "harvest", "packing"] {
        assert!(
            parent_kinds.iter().any(|k| k == kind),
            "no {kind} in the parent's timeline: {parent_kinds:?}"
        );
    }
    let text = browser.text().await;
    assert!(text.contains(PACKED_LOT), "the page names the lot: {text}");

    // Each scan is counted, and the buyer sees how often this label was scanned.
    let scans = browser.find("#scans").await.text().await.expect("scan line");
    assert!(scans.contains("quét 1 lần"), "first scan: {scans}");
    browser.open(&label.url).await;
    let scans = browser.find("#scans").await.text().await.expect("scan line");
    assert!(scans.contains("quét 2 lần"), "second scan: {scans}");

    let screenshot = browser.screenshot().await;
    let png = std::fs::read(&screenshot).expect("read the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "the screenshot is a PNG");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_label_link_for_a_product_without_gtin_shows_the_verified_badge() {
    let Some((browser, app)) = start("a_short_label_link_for_a_product_without_gtin_shows_the_verified_badge").await
    else {
        return;
    };
    let coop = app.veg().id;
    let leader = app.veg().leader.clone();
    let (_, product) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/products"),
            &leader,
            json!({ "commodity": "Rau muống" }),
        )
        .await;
    let (_, plots) = app.get(&format!("/api/v1/cooperatives/{coop}/plots"), &leader).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots"),
            &leader,
            json!({ "code": "RM-2611-01", "product_id": product["id"], "plot_ids": [plots[0]["id"]] }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    append(
        &app,
        "RM-2611-01",
        json!({ "type": "harvest", "occurred_at": "2026-11-10T06:00:00+07:00", "quantity": "25 kg" }),
    )
    .await;
    let label = issue_label(&app, "RM-2611-01").await;
    assert!(
        label.url.starts_with(&format!("{}/l/{}?d=", app.base, label.serial)),
        "a product without GTIN gets the short form: {}",
        label.url
    );

    browser.open(&label.url).await;
    assert_verified(&browser).await;
    assert_eq!(timeline_kinds(&browser, "#timeline").await, ["harvest"]);
    assert!(browser.text().await.contains("Rau muống"), "the page names the product");
    browser.screenshot().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lot_altered_in_the_database_shows_the_red_warning_on_its_label_page() {
    let Some((browser, app)) = start("a_lot_altered_in_the_database_shows_the_red_warning_on_its_label_page").await
    else {
        return;
    };
    // An untouched lot's label, to compare the badge with.
    let untouched = issue_label(&app, "CC-2608-02").await;
    browser.open(&untouched.url).await;
    assert_verified(&browser).await;
    let verified_color = browser
        .find("#verification")
        .await
        .css_value("background-color")
        .await
        .expect("badge colour");

    // Someone with database access changes the quantity shipped, after the labels were printed.
    // (Before anyone opens the page: a page already served may be reused for up to 30 s when
    // the database is edited behind the app's back, see server/src/web/cache.rs.)
    let label = issue_label(&app, PACKED_LOT).await;
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE events SET body = REPLACE(body, '600', '900') WHERE kind = 'shipping' AND seq = 1 \
             AND lot_id = (SELECT id FROM lots WHERE code = '{PACKED_LOT}')"
        ))
        .await
        .expect("tamper with the stored history");

    browser.open(&label.url).await;
    let classes = badge_classes(&browser).await;
    assert!(
        classes.split_whitespace().any(|c| c == "altered") && !classes.contains("verified"),
        "badge classes after tampering: {classes}"
    );
    let heading = badge_heading(&browser).await;
    assert!(heading.trim().starts_with("Cảnh báo"), "badge heading: {heading}");
    let altered_color = browser
        .find("#verification")
        .await
        .css_value("background-color")
        .await
        .expect("badge colour");
    assert_ne!(
        altered_color, verified_color,
        "the warning looks different from the verified badge"
    );
    assert!(is_reddish(&altered_color), "the warning is red: {altered_color}");
    browser.screenshot().await;
    browser.close().await;
}

/// Whether a computed CSS colour (`rgb(…)`/`rgba(…)`) is dominated by red.
fn is_reddish(color: &str) -> bool {
    let channels: Vec<f64> = color
        .trim_start_matches("rgba(")
        .trim_start_matches("rgb(")
        .trim_end_matches(')')
        .split(',')
        .filter_map(|c| c.trim().parse().ok())
        .collect();
    matches!(channels.as_slice(), [r, g, b, ..] if *r > *g + 15.0 && *r > *b + 15.0)
}
