//! A buyer's first screen leads with the answer: genuine or not, what it is, who grew it and
//! where, when it was harvested, the last spraying and whether its waiting period was kept,
//! the certificates valid today — then the diary. A buyer who suspects a fake can text the
//! cooperative in one tap, and one whose QR code will not scan can type the printed code.

use serde_json::json;

use crate::support::{PACKED_LOT, badge_classes, issue_label, start};

async fn wait_until_address_contains(browser: &tests::browser::Browser, part: &str) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while !browser.url().await.contains(part) {
        assert!(
            std::time::Instant::now() < deadline,
            "never reached {part}: at {}",
            browser.url().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.find("main").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buyers_page_leads_with_the_answer_and_a_fake_can_be_reported_or_a_code_typed() {
    let Some((browser, app)) =
        start("the_buyers_page_leads_with_the_answer_and_a_fake_can_be_reported_or_a_code_typed").await
    else {
        return;
    };
    let label = issue_label(&app, PACKED_LOT).await;
    browser.open(&label.url).await;

    // The verdict and the summary are on the first screen of a 360 × 740 phone.
    let summary_top = browser
        .eval("return document.querySelector('#summary').getBoundingClientRect().top;")
        .await;
    let height = browser.eval("return window.innerHeight;").await;
    assert!(
        summary_top.as_f64().unwrap_or(f64::MAX) < height.as_f64().unwrap_or(0.0),
        "the summary starts at {summary_top}, below the first screen ({height})"
    );
    assert!(badge_classes(&browser).await.contains("verified"));
    let summary = browser.find("#summary").await.text().await.expect("summary text");
    for expected in [
        "Cải ngọt",
        "Hộ trồng",
        "Thu hoạch",
        "Lần phun thuốc BVTV cuối",
        "đã đủ thời gian cách ly",
        "VietGAP",
    ] {
        assert!(
            summary.contains(expected),
            "{expected} missing from the summary: {summary}"
        );
    }
    // One tap writes a text message to the cooperative naming this label.
    let report = browser
        .eval("return document.querySelector('p.report a').getAttribute('href');")
        .await;
    let report = report.as_str().unwrap_or_default();
    assert!(report.starts_with("sms:"), "{report}");
    assert!(report.contains(&label.serial), "the message names the label: {report}");
    browser.assert_accessible().await;
    browser.screenshot().await;

    // The QR code is torn: the buyer types the code printed under it on the home page, as they
    // read it (lower case, with dashes).
    browser.open(&format!("{}/", app.base)).await;
    let typed: String = label
        .serial
        .to_lowercase()
        .chars()
        .collect::<Vec<char>>()
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-");
    browser
        .find("#serial")
        .await
        .send_keys(&typed)
        .await
        .expect("type the code");
    browser
        .find("#check-code button[type=submit]")
        .await
        .click()
        .await
        .expect("tap check");
    wait_until_address_contains(&browser, &format!("/l/{}", label.serial)).await;
    assert!(
        badge_classes(&browser).await.contains("verified"),
        "the label's page, genuine"
    );
    let text = browser.text().await;
    assert!(text.contains(PACKED_LOT), "{text}");

    // A code that cannot be one is explained, with the box to try again.
    browser.open(&format!("{}/", app.base)).await;
    browser.find("#serial").await.send_keys("ABC-12").await.expect("type");
    browser
        .find("#check-code button[type=submit]")
        .await
        .click()
        .await
        .expect("tap check");
    wait_until_address_contains(&browser, "/tem?").await;
    assert!(badge_classes(&browser).await.contains("invalid"));
    assert_eq!(
        browser
            .eval("return document.querySelectorAll('#serial').length;")
            .await,
        json!(1),
        "the box is there to try again"
    );
    browser.assert_accessible().await;
    browser.close().await;
}
