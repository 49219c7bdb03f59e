//! The clauses of GS1's resolver standard (1.2) a conformance pass checks: the well-known
//! description, absolute linkset anchors, link types in full-URI form, 404 with the list for a
//! link type an item lacks, the query string carried through redirects with a `Link` header,
//! query-string AIs checked, the lot page's linkset, compressed links, robots.txt and the
//! sitemap.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_demo};

struct Answer {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

async fn fetch(app: &TestApp, path: &str) -> Answer {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let response = client.get(format!("{}{path}", app.base)).send().await.expect("sent");
    Answer {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

fn header<'a>(answer: &'a Answer, name: &str) -> &'a str {
    answer.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

const LOT: &str = "/01/08936049120015/10/CN-2609-01-A";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_well_known_description_has_the_fields_the_standard_names() {
    let app = spawn_demo("sqlite").await;
    let answer = fetch(&app, "/.well-known/gs1resolver").await;
    let description: Value = serde_json::from_str(&answer.body).expect("JSON");
    assert_eq!(description["supportedPrimaryKeys"], serde_json::json!(["01"]));
    assert!(description["supportedContextValuesEnumerated"].is_array());
    assert!(
        description["jsonLdContextLocation"]
            .as_str()
            .is_some_and(|u| u.starts_with("https://"))
    );
    assert_eq!(header(&answer, "access-control-allow-origin"), "*");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linksets_have_an_absolute_anchor_and_a_missing_link_type_is_a_404_listing_the_others() {
    let app = spawn_demo("sqlite").await;
    let linkset = fetch(&app, &format!("{LOT}?linkType=linkset")).await;
    let value: Value = serde_json::from_str(&linkset.body).expect("linkset");
    let anchor = value["linkset"][0]["anchor"].as_str().expect("anchor");
    assert_eq!(anchor, format!("{}{LOT}", app.base));
    assert!(anchor.starts_with("http://") || anchor.starts_with("https://"));

    let missing = fetch(&app, &format!("{LOT}?linkType=gs1:allergenInfo")).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(header(&missing, "content-type"), "application/linkset+json");
    let list: Value = serde_json::from_str(&missing.body).expect("the list");
    assert!(
        list["linkset"][0]["https://gs1.org/voc/traceability"].is_array(),
        "{list}"
    );
    assert_eq!(header(&missing, "access-control-allow-origin"), "*");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_uri_link_types_mean_their_short_form_and_redirects_carry_the_query_on() {
    let app = spawn_demo("sqlite").await;
    let short = fetch(&app, &format!("{LOT}?linkType=gs1:traceability")).await;
    assert_eq!(short.status, StatusCode::TEMPORARY_REDIRECT);
    for full in [
        "https://ref.gs1.org/voc/traceability",
        "https%3A%2F%2Fref.gs1.org%2Fvoc%2Ftraceability",
        "https://gs1.org/voc/traceability",
    ] {
        let answer = fetch(&app, &format!("{LOT}?linkType={full}")).await;
        assert_eq!(answer.status, StatusCode::TEMPORARY_REDIRECT, "{full}");
        assert_eq!(header(&answer, "location"), header(&short, "location"), "{full}");
    }
    // Everything but linkType goes on to the target, before its fragment; a Link header
    // points at the linkset.
    let product = fetch(&app, "/01/08936049120015?utm_source=zalo&17=261231").await;
    assert_eq!(product.status, StatusCode::TEMPORARY_REDIRECT);
    let location = header(&product, "location");
    assert!(location.contains("?utm_source=zalo&17=261231#sp-"), "{location}");
    assert!(
        header(&product, "link").contains("rel=\"linkset\""),
        "{:?}",
        product.headers
    );
    let typed = fetch(&app, &format!("{LOT}?linkType=gs1:pip&campaign=tet")).await;
    assert!(
        header(&typed, "location").contains("campaign=tet"),
        "{:?}",
        typed.headers
    );
    assert!(!header(&typed, "location").contains("linkType"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_or_contradicting_query_string_ais_are_a_400_that_says_why() {
    let app = spawn_demo("sqlite").await;
    let bad_date = fetch(&app, &format!("{LOT}?17=99999X")).await;
    assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
    assert!(bad_date.body.contains("(17)"), "{}", bad_date.body);
    assert_eq!(
        fetch(&app, &format!("{LOT}?17=261331")).await.status,
        StatusCode::BAD_REQUEST,
        "month 13"
    );
    assert_eq!(
        fetch(&app, &format!("{LOT}?17=261200")).await.status,
        StatusCode::OK,
        "day 00 is the month's end"
    );
    assert_eq!(fetch(&app, &format!("{LOT}?3103=000500")).await.status, StatusCode::OK);
    assert_eq!(
        fetch(&app, &format!("{LOT}?3103=5kg")).await.status,
        StatusCode::BAD_REQUEST
    );
    let contradicting = fetch(&app, &format!("{LOT}?10=CN-2609-01-B")).await;
    assert_eq!(contradicting.status, StatusCode::BAD_REQUEST);
    assert!(contradicting.body.contains("mâu thuẫn"), "{}", contradicting.body);
    assert_eq!(
        fetch(&app, &format!("{LOT}?10=CN-2609-01-A")).await.status,
        StatusCode::OK,
        "agreeing is fine"
    );
    let on_product = fetch(&app, "/01/08936049120015?10=CN-2609-01-A&lang=en").await;
    assert_eq!(
        on_product.status,
        StatusCode::BAD_REQUEST,
        "a qualifier belongs in the path"
    );
    assert!(on_product.body.contains("contradicts the path"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_lot_pages_linkset_link_returns_a_linkset() {
    let app = spawn_demo("sqlite").await;
    let page = fetch(&app, &format!("/htx/{}/lo/CN-2609-01-A", app.veg().id)).await;
    assert_eq!(page.status, StatusCode::OK);
    let link = header(&page, "link");
    let target = link
        .strip_prefix('<')
        .and_then(|l| l.split_once('>'))
        .map(|(t, _)| t.to_owned())
        .expect("a Link header");
    let target = target.strip_prefix(&app.base).unwrap_or(&target).to_owned();
    let linkset = fetch(&app, &target).await;
    assert_eq!(linkset.status, StatusCode::OK);
    assert_eq!(header(&linkset, "content-type"), "application/linkset+json");
    let value: Value = serde_json::from_str(&linkset.body).expect("JSON");
    assert!(value["linkset"][0]["https://gs1.org/voc/traceability"].is_array());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_compressed_digital_link_is_refused_with_a_400_that_says_so_to_any_origin() {
    let app = spawn_demo("sqlite").await;
    let answer = fetch(&app, "/AQnYUc1gmiA8Y-Vk").await;
    assert_eq!(answer.status, StatusCode::BAD_REQUEST);
    assert_eq!(header(&answer, "access-control-allow-origin"), "*");
    let body: Value = serde_json::from_str(&answer.body).expect("JSON error");
    assert!(body["message"].as_str().is_some_and(|m| m.contains("nén")), "{body}");
    // Ordinary unknown addresses stay 404.
    assert_eq!(fetch(&app, "/khong-co").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn robots_txt_points_at_a_sitemap_of_the_public_cooperative_pages() {
    let app = spawn_demo("sqlite").await;
    let robots = fetch(&app, "/robots.txt").await;
    assert_eq!(robots.status, StatusCode::OK);
    assert!(robots.body.contains("Disallow: /app") && robots.body.contains("Disallow: /api/"));
    assert!(
        robots.body.contains(&format!("Sitemap: {}/sitemap.xml", app.base)),
        "{}",
        robots.body
    );
    let sitemap = fetch(&app, "/sitemap.xml").await;
    assert_eq!(sitemap.status, StatusCode::OK);
    let document = roxmltree::Document::parse(&sitemap.body).expect("XML");
    let locations: Vec<&str> = document
        .descendants()
        .filter(|n| n.has_tag_name(("http://www.sitemaps.org/schemas/sitemap/0.9", "loc")))
        .filter_map(|n| n.text())
        .collect();
    for coop in [app.veg().id, app.pomelo().id] {
        assert!(
            locations.contains(&format!("{}/htx/{coop}", app.base).as_str()),
            "{locations:?}"
        );
        assert!(locations.contains(&format!("{}/htx/{coop}/san-pham", app.base).as_str()));
    }
    assert!(locations.iter().any(|l| l.contains("/san-pham/")), "listing pages");
    assert!(locations.iter().all(|l| !l.contains("/app") && !l.contains("/api/")));
}
