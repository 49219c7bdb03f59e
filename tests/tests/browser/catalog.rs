//! The cooperative's catalog page as a buyer's phone and a search engine read it: the
//! schema.org Product and Offer in its JSON-LD, the "Xem nguồn gốc" link that leads to the
//! traceability page of the lot being sold, and no serious accessibility problem.

use std::time::{Duration, Instant};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tests::browser::Browser;

use crate::helpers::{TestApp, png_photo};
use crate::support::{start, with_query};

/// The demo's second packed lot of cải ngọt (550 kg), the one the listing sells from.
const LISTED_LOT: &str = "CN-2609-01-B";

/// Lists 500 g bags of `LISTED_LOT` at 45.000 đ, with a photo, as the vegetable cooperative's
/// leader; returns the listing as the API shows it.
async fn list_cai_ngot(app: &TestApp) -> Value {
    let veg = app.veg();
    let (status, photo) = app
        .upload(
            Method::POST,
            &format!("/api/v1/cooperatives/{}/photos", veg.id),
            Some(&veg.leader),
            png_photo(64, 48),
            "image/png",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "upload a photo: {photo}");
    let (status, listing) = app
        .post(
            &format!("/api/v1/cooperatives/{}/listings", veg.id),
            &veg.leader,
            json!({
                "title_vi": "Cải ngọt VietGAP túi 500 g",
                "title_en": "VietGAP choy sum, 500 g bag",
                "description_vi": "Cải ngọt thu hoạch sáng, đóng túi trong ngày.",
                "price_vnd": "45.000 đ",
                "pack_size": "500 g",
                "photos": [photo["hash"]],
                "lots": [LISTED_LOT],
            }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "create a listing: {listing}");
    listing
}

/// Every JSON-LD block of the page shown, each parsed.
async fn json_ld_blocks(browser: &Browser) -> Vec<Value> {
    let texts = browser
        .eval(r#"return [...document.querySelectorAll('script[type="application/ld+json"]')].map(s => s.textContent);"#)
        .await;
    texts
        .as_array()
        .expect("a list of texts")
        .iter()
        .map(|text| {
            let text = text.as_str().expect("a text");
            serde_json::from_str(text).unwrap_or_else(|e| panic!("the JSON-LD does not parse ({e}): {text}"))
        })
        .collect()
}

/// Waits up to 5 s for the browser to be somewhere other than `from`.
async fn wait_to_leave(browser: &Browser, from: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let url = browser.url().await;
        if url != from || Instant::now() > deadline {
            return url;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_catalog_page_offers_the_listing_in_json_ld_and_leads_to_the_lots_trace_page() {
    let Some((browser, app)) =
        start("the_catalog_page_offers_the_listing_in_json_ld_and_leads_to_the_lots_trace_page").await
    else {
        return;
    };
    let listing = list_cai_ngot(&app).await;
    let feed_id = listing["feed_id"].as_str().expect("a feed id").to_owned();
    let catalog = format!("{}/htx/{}/san-pham", app.base, app.veg().id);
    browser.open(&catalog).await;

    // The JSON-LD parses, and the listing's Product carries its Offer.
    let blocks = json_ld_blocks(&browser).await;
    let product = blocks
        .iter()
        .filter_map(|block| block["@graph"].as_array())
        .flatten()
        .find(|p| p["sku"] == feed_id.as_str())
        .unwrap_or_else(|| panic!("no Product {feed_id} in {blocks:?}"))
        .clone();
    assert_eq!(product["@type"], "Product");
    assert_eq!(product["name"], "Cải ngọt VietGAP túi 500 g");
    let offer = &product["offers"];
    assert_eq!(offer["@type"], "Offer");
    assert_eq!(offer["price"], "45000", "{offer}");
    assert_eq!(offer["priceCurrency"], "VND");
    assert_eq!(offer["availability"], "https://schema.org/InStock");
    let trace_url = format!("{}/htx/{}/lo/{LISTED_LOT}", app.base, app.veg().id);
    assert_eq!(product["subjectOf"]["url"], trace_url.as_str(), "{product}");

    // The card a buyer sees: the title, the price in đồng, the stock and the lot.
    let card = browser.find(&format!("li#{feed_id}")).await;
    let text = card.text().await.expect("card text");
    for part in [
        "Cải ngọt VietGAP túi 500 g",
        "45.000 ₫",
        "Còn hàng",
        LISTED_LOT,
        "Xem nguồn gốc",
    ] {
        assert!(text.contains(part), "the card shows {part}: {text}");
    }
    browser.screenshot().await;
    browser.assert_accessible().await;

    // "Xem nguồn gốc" opens the traceability page of the lot being sold.
    card.find(fantoccini::Locator::Css("a.trace"))
        .await
        .expect("the trace link")
        .click()
        .await
        .expect("tap Xem nguồn gốc");
    let landed = wait_to_leave(&browser, &catalog).await;
    assert_eq!(landed, trace_url, "the trace link leads to the lot's page");
    let status = browser
        .eval("return performance.getEntriesByType('navigation')[0].responseStatus;")
        .await;
    assert_eq!(status, json!(200), "the lot page answered 200");
    let heading = browser.find("main h1").await.text().await.expect("heading");
    let page = browser.text().await;
    assert!(
        page.contains(LISTED_LOT),
        "the page is the listed lot's ({heading}): {page}"
    );
    let canonical = browser
        .eval(r#"return document.querySelector('link[rel="canonical"]')?.href ?? null;"#)
        .await;
    assert_eq!(
        canonical,
        json!(trace_url),
        "the page is the lot's own, not a sibling's"
    );

    // The catalog has nothing serious for axe in English either.
    browser.open(&with_query(&catalog, "lang=en")).await;
    let text = browser
        .find(&format!("li#{feed_id}"))
        .await
        .text()
        .await
        .expect("card text");
    assert!(text.contains("VietGAP choy sum, 500 g bag"), "{text}");
    browser.assert_accessible().await;
    browser.close().await;
}
