//! Marketplace listings end to end: what a leader lists from packed lots, the stock derived from
//! those lots less recorded sales and write-offs, versions, pause and archive, and what Google
//! (RSS read back with a namespace-aware XML parser), Meta (CSV read back with a CSV reader) and
//! the public catalog page (HTML with schema.org JSON-LD) say about it — prices, availability,
//! recalls, caching headers, rotating feed URLs and who may do what.

use std::collections::BTreeMap;

use reqwest::header::HeaderValue;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{DemoCoop, TestApp, backends, days_ago, new_id, png_photo, spawn_demo};

/// The namespace Google Merchant Center's attributes live in.
const GOOGLE_NAMESPACE: &str = "http://base.google.com/ns/1.0";

/// The demo vegetable cooperative's two packed lots, both packed from `PARENT_LOT` (600 kg and
/// 550 kg of cải ngọt).
const LOT_A: &str = "CN-2609-01-A";
const LOT_B: &str = "CN-2609-01-B";
const PARENT_LOT: &str = "CN-2609-01";

/// The demo's harvested tomato lot (800 kg), packed by `pack_tomatoes` into `TOMATOES_1`
/// (300 kg) and `TOMATOES_2` (200 kg): lots no demo listing sells from, so their stock is known.
const TOMATO_PARENT: &str = "CC-2608-02";
const TOMATOES_1: &str = "CC-2608-02-P1";
const TOMATOES_2: &str = "CC-2608-02-P2";

/// Every attribute Google requires of an item (and one of `gtin`/`mpn`).
const GOOGLE_REQUIRED: [&str; 9] = [
    "id",
    "title",
    "description",
    "link",
    "image_link",
    "availability",
    "price",
    "brand",
    "condition",
];

/// Every column Meta requires of a row.
const META_REQUIRED: [&str; 9] = [
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "link",
    "image_link",
    "brand",
];

/// A response read whole.
struct Page {
    status: StatusCode,
    headers: reqwest::header::HeaderMap,
    body: String,
}

impl Page {
    fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }
}

/// GETs a path under the app or an absolute URL, with extra request headers.
async fn fetch(app: &TestApp, url: &str, headers: &[(&'static str, &str)]) -> Page {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        format!("{}{url}", app.base)
    };
    let mut request = app.client.get(url);
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_str(value).expect("header value"));
    }
    let response = request.send().await.expect("request sent");
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body read"),
    }
}

/// Uploads a real photo as the cooperative's leader; returns its hash.
async fn upload_photo(app: &TestApp, coop: &DemoCoop) -> String {
    let (status, body) = app
        .upload(
            Method::POST,
            &format!("/api/v1/cooperatives/{}/photos", coop.id),
            Some(&coop.leader),
            png_photo(64, 48),
            "image/png",
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "[{}] photo upload: {body}", app.backend);
    body["hash"].as_str().expect("a hash").to_owned()
}

/// Packs the demo's harvested tomatoes into `TOMATOES_1` (300 kg) and `TOMATOES_2` (200 kg).
async fn pack_tomatoes(app: &TestApp) {
    let veg = app.veg();
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{}/lots/{TOMATO_PARENT}/events", veg.id),
            &veg.leader,
            json!({ "id": new_id(), "type": "packing", "occurred_at": days_ago(1),
                "children": [ { "code": TOMATOES_1, "quantity": "300 kg" }, { "code": TOMATOES_2, "quantity": "200 kg" } ] }),
        )
        .await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "[{}] pack the tomatoes: {body}",
        app.backend
    );
}

/// Whether `html` shows `text` escaped, in either form askama might use (`&#60;` or `&lt;`).
fn shows_escaped(html: &str, text: &str) -> bool {
    let numeric = text
        .replace('&', "&#38;")
        .replace('<', "&#60;")
        .replace('>', "&#62;")
        .replace('"', "&#34;");
    let named = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    html.contains(&numeric) || html.contains(&named)
}

/// The fields of a complete listing of cải ngọt in 500 g bags.
fn listing_fields(title: &str, price: &str, lots: &[&str], photo: &str) -> Value {
    json!({
        "title_vi": title,
        "description_vi": "Cải ngọt VietGAP, thu hoạch sáng, đóng túi trong ngày.",
        "price_vnd": price,
        "pack_size": "500 g",
        "photos": [photo],
        "lots": lots,
    })
}

fn listings_path(coop: &DemoCoop) -> String {
    format!("/api/v1/cooperatives/{}/listings", coop.id)
}

/// Creates a listing as the cooperative's leader; returns the listing as the API shows it.
async fn create_listing(app: &TestApp, coop: &DemoCoop, fields: Value) -> Value {
    let (status, body) = app.post(&listings_path(coop), &coop.leader, fields).await;
    assert_eq!(
        status,
        StatusCode::CREATED,
        "[{}] create a listing: {body}",
        app.backend
    );
    body
}

/// A listing with its versions and movements, as any member reads it.
async fn listing(app: &TestApp, coop: &DemoCoop, id: i64) -> Value {
    let (status, body) = app.get(&format!("{}/{id}", listings_path(coop)), &coop.leader).await;
    assert_eq!(status, StatusCode::OK, "[{}] read listing {id}: {body}", app.backend);
    body
}

/// Records a sale or write-off; returns the status and the answer.
async fn movement(app: &TestApp, coop: &DemoCoop, listing_id: i64, body: Value) -> (StatusCode, Value) {
    app.post(
        &format!("{}/{listing_id}/movements", listings_path(coop)),
        &coop.leader,
        body,
    )
    .await
}

/// Sets a listing's status; returns the listing.
async fn set_status(app: &TestApp, coop: &DemoCoop, listing_id: i64, status: &str) -> Value {
    let (code, body) = app
        .call(
            Method::PUT,
            &format!("{}/{listing_id}/status", listings_path(coop)),
            Some(&coop.leader),
            Some(json!({ "status": status })),
        )
        .await;
    assert_eq!(code, StatusCode::OK, "[{}] set status {status}: {body}", app.backend);
    body
}

/// The feed URLs and gaps, as the leader reads them.
async fn feeds(app: &TestApp, coop: &DemoCoop) -> Value {
    let (status, body) = app
        .get(&format!("/api/v1/cooperatives/{}/feeds", coop.id), &coop.leader)
        .await;
    assert_eq!(status, StatusCode::OK, "[{}] feeds: {body}", app.backend);
    body
}

/// The cooperative's name, the brand of every item it feeds.
async fn coop_name(app: &TestApp, coop: &DemoCoop) -> String {
    let (status, body) = app
        .get(&format!("/api/v1/cooperatives/{}", coop.id), &coop.leader)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["name"].as_str().expect("a name").to_owned()
}

/// The Google feed's items, each as its `g:` attributes by local name (the first of a repeated
/// one). Panics unless the document is well-formed RSS 2.0 whose item attributes are all in
/// Google's namespace.
fn google_items(xml: &str) -> Vec<BTreeMap<String, String>> {
    let document = roxmltree::Document::parse(xml).unwrap_or_else(|e| panic!("the Google feed is not XML: {e}\n{xml}"));
    let rss = document.root_element();
    assert_eq!(rss.tag_name().name(), "rss", "{xml}");
    assert_eq!(rss.tag_name().namespace(), None);
    assert_eq!(rss.attribute("version"), Some("2.0"));
    assert_eq!(
        rss.lookup_namespace_uri(Some("g")),
        Some(GOOGLE_NAMESPACE),
        "g: is Google's"
    );
    let channel = rss.children().find(|n| n.has_tag_name("channel")).expect("a channel");
    for name in ["title", "link", "description"] {
        assert!(
            channel
                .children()
                .any(|n| n.has_tag_name(name) && n.text().is_some_and(|t| !t.trim().is_empty())),
            "the channel has a {name}"
        );
    }
    channel
        .children()
        .filter(|n| n.has_tag_name("item"))
        .map(|item| {
            let mut attributes = BTreeMap::new();
            for element in item.children().filter(roxmltree::Node::is_element) {
                assert_eq!(
                    element.tag_name().namespace(),
                    Some(GOOGLE_NAMESPACE),
                    "<{}> of an item is in Google's namespace",
                    element.tag_name().name()
                );
                attributes
                    .entry(element.tag_name().name().to_owned())
                    .or_insert_with(|| element.text().unwrap_or_default().to_owned());
            }
            attributes
        })
        .collect()
}

/// The Meta feed's rows, each as its cells by column name. Panics unless every required column
/// is in the header row.
fn meta_rows(csv_text: &str) -> Vec<BTreeMap<String, String>> {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    for column in META_REQUIRED {
        assert!(header.iter().any(|h| h == column), "Meta column {column} in {header:?}");
    }
    reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed CSV row");
            header.iter().cloned().zip(record.iter().map(str::to_owned)).collect()
        })
        .collect()
}

/// The Google and Meta feeds of a cooperative, read back.
struct Feeds {
    google: Vec<BTreeMap<String, String>>,
    meta: Vec<BTreeMap<String, String>>,
}

impl Feeds {
    fn google_item(&self, id: &str) -> Option<&BTreeMap<String, String>> {
        self.google
            .iter()
            .find(|item| item.get("id").map(String::as_str) == Some(id))
    }

    fn meta_row(&self, id: &str) -> Option<&BTreeMap<String, String>> {
        self.meta
            .iter()
            .find(|row| row.get("id").map(String::as_str) == Some(id))
    }
}

async fn read_feeds(app: &TestApp, urls: &Value) -> Feeds {
    let google = fetch(app, urls["google"].as_str().expect("google URL"), &[]).await;
    assert_eq!(google.status, StatusCode::OK, "[{}] {}", app.backend, google.body);
    assert!(
        google.header("content-type").starts_with("application/rss+xml"),
        "{}",
        google.header("content-type")
    );
    let meta = fetch(app, urls["meta"].as_str().expect("meta URL"), &[]).await;
    assert_eq!(meta.status, StatusCode::OK, "[{}] {}", app.backend, meta.body);
    assert!(meta.header("content-type").starts_with("text/csv"));
    Feeds {
        google: google_items(&google.body),
        meta: meta_rows(&meta.body),
    }
}

/// The catalog page of a cooperative.
async fn catalog_page(app: &TestApp, coop: &DemoCoop) -> String {
    let page = fetch(app, &format!("/htx/{}/san-pham", coop.id), &[]).await;
    assert_eq!(page.status, StatusCode::OK, "[{}] {}", app.backend, page.body);
    page.body
}

/// The card of a listing on a catalog page (`<li id="NGUON-…">…</li>`), if shown.
fn card<'a>(html: &'a str, feed_id: &str) -> Option<&'a str> {
    let start = html.find(&format!("<li id=\"{feed_id}\""))?;
    let end = start + html[start..].find("</li>").expect("the card ends");
    Some(&html[start..end])
}

/// The page's JSON-LD, parsed.
fn json_ld(html: &str) -> Value {
    let open = "<script type=\"application/ld+json\">";
    let start = html.find(open).expect("JSON-LD on the page") + open.len();
    let end = start + html[start..].find("</script>").expect("the script ends");
    serde_json::from_str(&html[start..end]).expect("the JSON-LD parses")
}

/// The schema.org `Product` of a listing in a page's JSON-LD.
fn product<'a>(ld: &'a Value, feed_id: &str) -> Option<&'a Value> {
    ld["@graph"]
        .as_array()
        .expect("a graph")
        .iter()
        .find(|p| p["sku"] == feed_id)
}

fn text(value: &Value, key: &str) -> String {
    value[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key} in {value}"))
        .to_owned()
}

fn number(value: &Value, key: &str) -> u64 {
    value[key].as_u64().unwrap_or_else(|| panic!("{key} in {value}"))
}

/// The whole sale units of `pack_kg` kg left in a listing's lots as the API lists them, worked
/// out here from what each lot holds and what was moved from it.
fn expected_units(listing: &Value, pack_kg: f64) -> Vec<u64> {
    listing["lots"]
        .as_array()
        .expect("lots")
        .iter()
        .map(|lot| {
            if lot["recalled"] == true {
                return 0;
            }
            let held: f64 = text(lot, "held").parse().expect("held");
            let moved: f64 = text(lot, "moved").parse().expect("moved");
            (((held - moved).max(0.0) + 1e-9) / pack_kg).floor() as u64
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_feeds_parse_and_every_item_carries_every_required_attribute_with_the_listings_values() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let photo = upload_photo(&app, &veg).await;
        let plain = create_listing(
            &app,
            &veg,
            listing_fields("Cải ngọt túi 500 g", "45.000 đ", &[LOT_B], &photo),
        )
        .await;
        pack_tomatoes(&app).await;
        // Its own GTIN wins over its product's.
        let mut with_gtin = listing_fields("Cà chua hộp 500 g", "45000", &[TOMATOES_1], &photo);
        with_gtin["gtin"] = json!("8936049121012");
        let with_gtin = create_listing(&app, &veg, with_gtin).await;
        // Two products and no GTIN of its own: no GTIN fits, so its id is its MPN.
        let mixed = create_listing(
            &app,
            &veg,
            listing_fields("Rau củ tổng hợp 500 g", "45000", &[TOMATOES_2, LOT_B], &photo),
        )
        .await;
        // Everything in LOT_A was shipped to a supermarket: nothing of it is for sale.
        let shipped = create_listing(&app, &veg, listing_fields("Cải ngọt lô A", "45000", &[LOT_A], &photo)).await;
        assert_eq!(shipped["units"], 0, "[{backend}] {shipped}");
        assert_eq!(shipped["availability"], "out_of_stock");

        // The listing as the API shows it: the price as typed, the stock worked out from the lot.
        assert_eq!(plain["price_vnd"], 45_000, "[{backend}] {plain}");
        assert_eq!(plain["price_text"], "45.000 ₫");
        assert_eq!(plain["version"], 1);
        assert_eq!(plain["status"], "active");
        assert_eq!(plain["lots"][0]["code"], LOT_B);
        assert_eq!(
            plain["lots"][0]["held"].as_str().map(|h| h.parse::<f64>()),
            Some(Ok(550.0)),
            "{plain}"
        );
        let units = number(&plain, "units");
        assert_eq!(vec![units], expected_units(&plain, 0.5), "[{backend}] {plain}");
        assert!(units > 0);
        assert_eq!(plain["availability"], "in_stock");
        assert_eq!(plain["selling_lot"], LOT_B);

        let brand = coop_name(&app, &veg).await;
        let urls = feeds(&app, &veg).await;
        let feeds = read_feeds(&app, &urls).await;
        let (_, all) = app.get(&listings_path(&veg), &veg.leader).await;
        let all = all.as_array().expect("listings").clone();
        assert!(
            !feeds.google.is_empty() && !feeds.meta.is_empty(),
            "[{backend}] empty feeds"
        );

        // Every item of either feed: every required attribute, the price and availability its
        // listing has now.
        for item in &feeds.google {
            for attribute in GOOGLE_REQUIRED {
                assert!(
                    item.get(attribute).is_some_and(|v| !v.trim().is_empty()),
                    "[{backend}] Google item lacks {attribute}: {item:?}"
                );
            }
            assert!(
                item.contains_key("gtin") || item.contains_key("mpn"),
                "[{backend}] Google item has neither gtin nor mpn: {item:?}"
            );
            let listing = all
                .iter()
                .find(|l| l["feed_id"] == item["id"].as_str())
                .unwrap_or_else(|| panic!("[{backend}] no listing for {item:?}"));
            assert_eq!(item["price"], format!("{} VND", listing["price_vnd"]));
            assert_eq!(item["availability"], text(listing, "availability"));
            assert_eq!(item["condition"], "new");
            assert_eq!(item["brand"], brand);
            assert_eq!(item["link"], text(listing, "url"));
        }
        for row in &feeds.meta {
            for column in META_REQUIRED {
                assert!(
                    row.get(column).is_some_and(|v| !v.trim().is_empty()),
                    "[{backend}] Meta row lacks {column}: {row:?}"
                );
            }
            let listing = all
                .iter()
                .find(|l| l["feed_id"] == row["id"].as_str())
                .unwrap_or_else(|| panic!("[{backend}] no listing for {row:?}"));
            assert_eq!(row["price"], format!("{} VND", listing["price_vnd"]));
            let availability = if listing["availability"] == "in_stock" {
                "in stock"
            } else {
                "out of stock"
            };
            assert_eq!(row["availability"], availability);
            assert_eq!(row["condition"], "new");
        }

        // The plain listing in detail, in both feeds.
        let id = text(&plain, "feed_id");
        let item = feeds
            .google_item(&id)
            .unwrap_or_else(|| panic!("[{backend}] {id} not in the Google feed: {:?}", feeds.google));
        assert_eq!(item["title"], "Cải ngọt túi 500 g");
        assert_eq!(item["description"], text(&plain, "description_vi"));
        assert_eq!(item["price"], "45000 VND");
        assert_eq!(item["availability"], "in_stock");
        // Other listings of cải ngọt have no GTIN of their own either (the demo's, lot A's): a
        // GTIN names one trade item, so none of them takes the product's.
        assert!(!item.contains_key("gtin"), "[{backend}] {item:?}");
        assert_eq!(item["mpn"], id);
        assert!(
            item["image_link"].ends_with(&format!("/media/{photo}/full.jpg")),
            "{}",
            item["image_link"]
        );
        let row = feeds.meta_row(&id).expect("in the Meta feed");
        assert_eq!(row["title"], "Cải ngọt túi 500 g");
        assert_eq!(row["price"], "45000 VND");
        assert_eq!(row["availability"], "in stock");
        assert_eq!(row["link"], item["link"]);
        assert_eq!(row["image_link"], item["image_link"]);
        assert_eq!(row["brand"], brand);
        assert_eq!(row["gtin"], "");
        assert_eq!(row["mpn"], id);
        assert_eq!(row["quantity_to_sell_on_facebook"], units.to_string());

        // The GTIN listing is identified by its GTIN, as GTIN-14.
        let gtin_id = text(&with_gtin, "feed_id");
        let gtin_item = feeds.google_item(&gtin_id).expect("GTIN listing fed to Google");
        assert_eq!(gtin_item["gtin"], "08936049121012");
        assert!(!gtin_item.contains_key("mpn"));
        assert_eq!(feeds.meta_row(&gtin_id).expect("fed to Meta")["gtin"], "08936049121012");
        let mixed_id = text(&mixed, "feed_id");
        let mixed_item = feeds.google_item(&mixed_id).expect("mixed listing fed to Google");
        assert_eq!(
            mixed_item["mpn"], mixed_id,
            "without any GTIN the listing's id is its MPN"
        );
        assert!(!mixed_item.contains_key("gtin"));
        let mixed_row = feeds.meta_row(&mixed_id).expect("fed to Meta");
        assert_eq!(
            (mixed_row["gtin"].as_str(), mixed_row["mpn"].as_str()),
            ("", mixed_id.as_str())
        );
        let shipped_id = text(&shipped, "feed_id");
        assert_eq!(
            feeds.google_item(&shipped_id).expect("fed")["availability"],
            "out_of_stock"
        );

        // The photo opens, and the link opens the listing's page, which carries the trace link
        // to the lot being sold; that page opens too and is the lot's.
        let image = fetch(&app, &item["image_link"], &[]).await;
        assert_eq!(image.status, StatusCode::OK);
        assert_eq!(image.header("content-type"), "image/jpeg");
        let page = fetch(&app, &item["link"], &[]).await;
        assert_eq!(page.status, StatusCode::OK, "[{backend}] {}", item["link"]);
        let trace = format!("/htx/{}/lo/{LOT_B}", veg.id);
        assert!(
            page.body.contains(&format!("class=\"trace\" href=\"{trace}\"")),
            "[{backend}] the listing page links to the lot's trace page: {}",
            page.body
        );
        assert_eq!(text(&plain, "trace_url"), format!("{}{trace}", app.base));
        let lot_page = fetch(&app, &trace, &[]).await;
        assert_eq!(lot_page.status, StatusCode::OK);
        assert!(lot_page.body.contains(LOT_B));
        // The listing page's JSON-LD has the same offer.
        let ld = json_ld(&page.body);
        let offer = &product(&ld, &id).expect("the product")["offers"];
        assert_eq!(offer["price"], "45000");
        assert_eq!(offer["priceCurrency"], "VND");
        assert_eq!(offer["availability"], "https://schema.org/InStock");

        // Once it is the only listing of cải ngọt without a GTIN of its own, it carries the
        // product's GTIN (the one on its labels) instead of an MPN.
        for other in &all {
            let title = other["title_vi"].as_str().unwrap_or("");
            if other["id"] != plain["id"] && title.starts_with("Cải ngọt") {
                set_status(&app, &veg, other["id"].as_i64().expect("id"), "archived").await;
            }
        }
        let feeds = read_feeds(&app, &urls).await;
        let item = feeds.google_item(&id).expect("still fed");
        assert_eq!(
            item["gtin"], "08936049120015",
            "[{backend}] without a GTIN of its own, the one listing of a product has its product's"
        );
        assert!(!item.contains_key("mpn"));
        assert_eq!(feeds.meta_row(&id).expect("fed to Meta")["gtin"], "08936049120015");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_lacking_a_photo_or_description_is_left_out_of_the_feeds_and_named_under_missing() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let bare = create_listing(
            &app,
            &veg,
            json!({ "title_vi": "Cải ngọt chưa có ảnh", "price_vnd": "30000", "pack_size": "500 g", "lots": [LOT_B] }),
        )
        .await;
        let id = text(&bare, "feed_id");
        let urls = feeds(&app, &veg).await;
        let missing: Vec<(String, String)> = urls["missing"]
            .as_array()
            .expect("missing")
            .iter()
            .filter(|m| m["id"] == id.as_str())
            .map(|m| (text(m, "channel"), text(m, "attribute")))
            .collect();
        let expected: Vec<(String, String)> = [
            ("google", "description"),
            ("google", "image_link"),
            ("meta", "description"),
            ("meta", "image_link"),
        ]
        .iter()
        .map(|(c, a)| ((*c).to_owned(), (*a).to_owned()))
        .collect();
        assert_eq!(missing, expected, "[{backend}] {urls}");
        let read = read_feeds(&app, &urls).await;
        assert!(
            read.google_item(&id).is_none(),
            "[{backend}] fed to Google without a photo"
        );
        assert!(read.meta_row(&id).is_none(), "[{backend}] fed to Meta without a photo");

        // A photo alone is not enough: the description is still missing.
        let photo = upload_photo(&app, &veg).await;
        let path = format!("{}/{}", listings_path(&veg), bare["id"]);
        let (status, body) = app
            .call(
                Method::PUT,
                &path,
                Some(&veg.leader),
                Some(
                    json!({ "title_vi": "Cải ngọt chưa có ảnh", "price_vnd": "30000", "pack_size": "500 g", "lots": [LOT_B], "photos": [photo] }),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {body}");
        let urls = feeds(&app, &veg).await;
        let attributes: Vec<String> = urls["missing"]
            .as_array()
            .expect("missing")
            .iter()
            .filter(|m| m["id"] == id.as_str())
            .map(|m| text(m, "attribute"))
            .collect();
        assert_eq!(attributes, ["description", "description"], "[{backend}] {urls}");
        assert!(read_feeds(&app, &urls).await.google_item(&id).is_none());

        // Complete, it is fed at once and nothing is missing any more.
        let (status, body) = app
            .call(
                Method::PUT,
                &path,
                Some(&veg.leader),
                Some(listing_fields("Cải ngọt đủ thông tin", "30000", &[LOT_B], &photo)),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {body}");
        let urls = feeds(&app, &veg).await;
        assert!(
            !urls["missing"]
                .as_array()
                .expect("missing")
                .iter()
                .any(|m| m["id"] == id.as_str()),
            "[{backend}] {urls}"
        );
        let read = read_feeds(&app, &urls).await;
        assert_eq!(
            read.google_item(&id).expect("fed to Google")["title"],
            "Cải ngọt đủ thông tin"
        );
        assert_eq!(
            read.meta_row(&id).expect("fed to Meta")["title"],
            "Cải ngọt đủ thông tin"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stock_is_derived_from_the_lots_less_sales_and_write_offs_and_never_goes_below_zero() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let photo = upload_photo(&app, &veg).await;
        pack_tomatoes(&app).await;
        // Crates of 70 kg from TOMATOES_1 (300 kg: 4 crates, 20 kg over) first, then TOMATOES_2
        // (200 kg: 2 crates, 60 kg over); what is left over in each lot makes no crate.
        let mut fields = listing_fields("Cà chua thùng 70 kg", "900.000", &[TOMATOES_1, TOMATOES_2], &photo);
        fields["pack_size"] = json!("70 kg");
        let created = create_listing(&app, &veg, fields).await;
        let id = i64::try_from(number(&created, "id")).expect("id");
        let per_lot: Vec<u64> = created["lots"]
            .as_array()
            .expect("lots")
            .iter()
            .map(|l| number(l, "units"))
            .collect();
        assert_eq!(per_lot, [4, 2], "[{backend}] {created}");
        assert_eq!(expected_units(&created, 70.0), [4, 2]);
        assert_eq!(number(&created, "units"), 6);
        let (units_b, total) = (4, 6);

        // A sale larger than what TOMATOES_1 has draws the rest from TOMATOES_2, in the listed
        // order.
        let sale_id = new_id();
        let sale = json!({ "id": sale_id, "kind": "sale", "units": 5, "note": "Bếp ăn trường Tây Tựu" });
        let (status, first) = movement(&app, &veg, id, sale.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {first}");
        let drawn: Vec<(String, u64)> = first
            .as_array()
            .expect("one entry per lot")
            .iter()
            .map(|m| (text(m, "lot_code"), number(m, "units")))
            .collect();
        assert_eq!(
            drawn,
            [(TOMATOES_1.to_owned(), 4), (TOMATOES_2.to_owned(), 1)],
            "[{backend}]"
        );
        let after_sale = listing(&app, &veg, id).await;
        assert_eq!(number(&after_sale, "units"), 1, "[{backend}] {after_sale}");
        assert_eq!(after_sale["lots"][0]["moved"], "280", "[{backend}] {after_sale}");
        assert_eq!(after_sale["lots"][1]["moved"], "70");
        assert_eq!(
            after_sale["selling_lot"], TOMATOES_2,
            "TOMATOES_1 is sold out, TOMATOES_2 is sold now"
        );

        // The same movement again is the same answer and records nothing new.
        let (status, again) = movement(&app, &veg, id, sale.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {again}");
        assert_eq!(again, first, "[{backend}] a retry gets the first answer");
        let detail = listing(&app, &veg, id).await;
        assert_eq!(
            number(&detail, "units"),
            total - units_b - 1,
            "[{backend}] a retry sells nothing"
        );
        assert_eq!(detail["movements"].as_array().expect("movements").len(), 2);

        // The same id with other content is a conflict, and nothing is recorded.
        let mut other = sale.clone();
        other["units"] = json!(1);
        let (status, body) = movement(&app, &veg, id, other).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend}] {body}");
        assert_eq!(body["field"], "id");
        let mut other = sale.clone();
        other["kind"] = json!("write_off");
        let (status, _) = movement(&app, &veg, id, other).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(number(&listing(&app, &veg, id).await, "units"), total - units_b - 1);

        // More than the stock is refused naming `units`, and nothing is recorded.
        let left = total - units_b - 1;
        let (status, body) = movement(
            &app,
            &veg,
            id,
            json!({ "id": new_id(), "kind": "sale", "units": left + 1 }),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "units", "{body}");
        assert_eq!(body["errors"][0]["code"], "exceeds_stock");
        let detail = listing(&app, &veg, id).await;
        assert_eq!(number(&detail, "units"), left);
        assert_eq!(detail["movements"].as_array().expect("movements").len(), 2);
        for bad in [json!(0), json!(-1), json!("nhiều")] {
            let (status, body) =
                movement(&app, &veg, id, json!({ "id": new_id(), "kind": "sale", "units": bad })).await;
            assert_eq!(
                status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "[{backend}] units {bad}: {body}"
            );
            assert_eq!(body["field"], "units", "{body}");
        }
        let (status, body) = movement(&app, &veg, id, json!({ "id": new_id(), "kind": "gift", "units": 1 })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "kind");

        // Writing off exactly what is left empties it: out of stock everywhere, and nothing more
        // can be sold.
        let (status, body) = movement(
            &app,
            &veg,
            id,
            json!({ "id": new_id(), "kind": "write_off", "units": left, "note": "Dập lá khi vận chuyển" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let detail = listing(&app, &veg, id).await;
        assert_eq!(detail["units"], 0);
        assert_eq!(detail["availability"], "out_of_stock");
        let kinds: Vec<String> = detail["movements"]
            .as_array()
            .expect("movements")
            .iter()
            .map(|m| text(m, "kind"))
            .collect();
        assert!(kinds.contains(&"write_off".to_owned()) && kinds.contains(&"sale".to_owned()));
        let (status, body) = movement(&app, &veg, id, json!({ "id": new_id(), "kind": "sale", "units": 1 })).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "units");
        let feed_id = text(&detail, "feed_id");
        let read = read_feeds(&app, &feeds(&app, &veg).await).await;
        assert_eq!(read.google_item(&feed_id).expect("fed")["availability"], "out_of_stock");
        let row = read.meta_row(&feed_id).expect("fed");
        assert_eq!(row["availability"], "out of stock");
        assert_eq!(row["quantity_to_sell_on_facebook"], "0");
        let html = catalog_page(&app, &veg).await;
        let shown = card(&html, &feed_id).expect("on the catalog");
        assert!(shown.contains("sold-out") && shown.contains("Hết hàng"), "{shown}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn edits_are_versions_with_a_price_history_and_pause_and_archive_reach_every_channel() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let photo = upload_photo(&app, &veg).await;
        let created = create_listing(&app, &veg, listing_fields("Cải ngọt túi", "45.000", &[LOT_B], &photo)).await;
        let id = i64::try_from(number(&created, "id")).expect("id");
        let feed_id = text(&created, "feed_id");
        let path = format!("{}/{id}", listings_path(&veg));
        let urls = feeds(&app, &veg).await;

        // A new price is a new version; the old price stays in the history.
        let edit = listing_fields("Cải ngọt túi", "52.000 VNĐ", &[LOT_B], &photo);
        let (status, body) = app
            .call(Method::PUT, &path, Some(&veg.leader), Some(edit.clone()))
            .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {body}");
        assert_eq!(body["version"], 2);
        assert_eq!(body["price_vnd"], 52_000);
        let (status, body) = app.call(Method::PUT, &path, Some(&veg.leader), Some(edit)).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["version"], 2, "[{backend}] an unchanged edit makes no version");
        let detail = listing(&app, &veg, id).await;
        let history: Vec<(i64, u64)> = detail["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| (v["version"].as_i64().expect("version"), number(v, "price_vnd")))
            .collect();
        assert_eq!(history, [(2, 52_000), (1, 45_000)], "[{backend}] {detail}");
        let read = read_feeds(&app, &urls).await;
        assert_eq!(read.google_item(&feed_id).expect("fed")["price"], "52000 VND");
        assert_eq!(read.meta_row(&feed_id).expect("fed")["price"], "52000 VND");
        let ld = json_ld(&catalog_page(&app, &veg).await);
        assert_eq!(product(&ld, &feed_id).expect("product")["offers"]["price"], "52000");

        // A bad edit changes nothing.
        let (status, body) = app
            .call(
                Method::PUT,
                &path,
                Some(&veg.leader),
                Some(listing_fields("Cải ngọt túi", "52,5", &[LOT_B], &photo)),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "price_vnd");
        let (status, body) = app
            .call(
                Method::PUT,
                &format!("{path}/status"),
                Some(&veg.leader),
                Some(json!({ "status": "deleted" })),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "status");
        assert_eq!(listing(&app, &veg, id).await["version"], 2);

        // Paused: out of stock in the API, both feeds and the catalog, though the lot has stock.
        let paused = set_status(&app, &veg, id, "paused").await;
        assert_eq!(paused["version"], 3);
        assert_eq!(paused["status"], "paused");
        assert_eq!(paused["availability"], "out_of_stock");
        let read = read_feeds(&app, &urls).await;
        assert_eq!(read.google_item(&feed_id).expect("fed")["availability"], "out_of_stock");
        assert_eq!(read.meta_row(&feed_id).expect("fed")["availability"], "out of stock");
        let html = catalog_page(&app, &veg).await;
        let shown = card(&html, &feed_id).expect("a paused listing is still shown");
        assert!(shown.contains("sold-out") && shown.contains("Tạm ngừng bán"), "{shown}");
        assert_eq!(
            product(&json_ld(&html), &feed_id).expect("product")["offers"]["availability"],
            "https://schema.org/OutOfStock"
        );

        // Active again: in stock again.
        let active = set_status(&app, &veg, id, "active").await;
        assert_eq!(active["availability"], "in_stock");
        let read = read_feeds(&app, &urls).await;
        assert_eq!(read.google_item(&feed_id).expect("fed")["availability"], "in_stock");

        // Archived: gone from the catalog, its page and both feeds; kept with its history.
        let archived = set_status(&app, &veg, id, "archived").await;
        assert_eq!(archived["status"], "archived");
        let html = catalog_page(&app, &veg).await;
        assert!(
            card(&html, &feed_id).is_none(),
            "[{backend}] archived but on the catalog"
        );
        assert!(!html.contains(&feed_id), "[{backend}] archived but in the JSON-LD");
        let page = fetch(&app, &format!("/htx/{}/san-pham/{id}", veg.id), &[]).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        let read = read_feeds(&app, &urls).await;
        assert!(read.google_item(&feed_id).is_none() && read.meta_row(&feed_id).is_none());
        let (_, shown) = app.get(&listings_path(&veg), &veg.leader).await;
        assert!(!shown.as_array().expect("list").iter().any(|l| l["id"] == id));
        let (_, kept) = app
            .get(&format!("{}?archived=true", listings_path(&veg)), &veg.leader)
            .await;
        assert!(kept.as_array().expect("list").iter().any(|l| l["id"] == id));
        let detail = listing(&app, &veg, id).await;
        let statuses: Vec<String> = detail["versions"]
            .as_array()
            .expect("versions")
            .iter()
            .map(|v| text(v, "status"))
            .collect();
        assert_eq!(statuses, ["archived", "active", "paused", "active", "active"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_lot_turns_its_listings_out_of_stock_in_both_feeds_and_the_catalog_at_once() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let photo = upload_photo(&app, &veg).await;
        pack_tomatoes(&app).await;
        // `b` sells a lot that is recalled itself, `a` a lot whose parent is recalled.
        let on_b = create_listing(&app, &veg, listing_fields("Cà chua", "45000", &[TOMATOES_1], &photo)).await;
        let on_a = create_listing(&app, &veg, listing_fields("Cải ngọt lô B", "45000", &[LOT_B], &photo)).await;
        let (b, a) = (text(&on_b, "feed_id"), text(&on_a, "feed_id"));
        let urls = feeds(&app, &veg).await;
        // Read everything once first, so whatever is kept in memory is what a recall must beat.
        let before = read_feeds(&app, &urls).await;
        for id in [&a, &b] {
            assert_eq!(before.google_item(id).expect("fed")["availability"], "in_stock");
        }
        let html = catalog_page(&app, &veg).await;
        assert!(!card(&html, &b).expect("shown").contains("sold-out"));

        let recall = |code: &'static str| {
            let app = &app;
            let leader = veg.leader.clone();
            async move {
                let (status, body) = app
                    .post(
                        &format!("/api/v1/cooperatives/{}/lots/{code}/events", app.veg().id),
                        &leader,
                        json!({ "id": new_id(), "type": "recall", "occurred_at": days_ago(0), "reason": "Mẫu kiểm tra có dư lượng vượt ngưỡng" }),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "recall {code}: {body}");
            }
        };

        // The lot itself recalled: its listing is out of stock everywhere; the other is not.
        recall(TOMATOES_1).await;
        let detail = listing(&app, &veg, i64::try_from(number(&on_b, "id")).expect("id")).await;
        assert_eq!(detail["availability"], "out_of_stock", "[{backend}] {detail}");
        assert_eq!(detail["units"], 0);
        assert_eq!(detail["lots"][0]["recalled"], true);
        let after = read_feeds(&app, &urls).await;
        assert_eq!(
            after.google_item(&b).expect("fed")["availability"],
            "out_of_stock",
            "[{backend}]"
        );
        assert_eq!(after.meta_row(&b).expect("fed")["availability"], "out of stock");
        assert_eq!(after.meta_row(&b).expect("fed")["quantity_to_sell_on_facebook"], "0");
        assert_eq!(after.google_item(&a).expect("fed")["availability"], "in_stock");
        let html = catalog_page(&app, &veg).await;
        let shown = card(&html, &b).expect("shown");
        assert!(
            shown.contains("sold-out") && shown.contains("Lô hàng đã bị thu hồi — không bán"),
            "[{backend}] {shown}"
        );
        let ld = json_ld(&html);
        assert_eq!(
            product(&ld, &b).expect("product")["offers"]["availability"],
            "https://schema.org/OutOfStock"
        );
        assert_eq!(
            product(&ld, &a).expect("product")["offers"]["availability"],
            "https://schema.org/InStock"
        );
        let (status, body) = movement(
            &app,
            &veg,
            i64::try_from(number(&on_b, "id")).expect("id"),
            json!({ "id": new_id(), "kind": "sale", "units": 1 }),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "[{backend}] a recalled lot sells nothing: {body}"
        );
        assert_eq!(body["field"], "units");

        // The lot LOT_B was packed from recalled: its listing follows at once.
        recall(PARENT_LOT).await;
        let after = read_feeds(&app, &urls).await;
        assert_eq!(
            after.google_item(&a).expect("fed")["availability"],
            "out_of_stock",
            "[{backend}]"
        );
        assert_eq!(after.meta_row(&a).expect("fed")["availability"], "out of stock");
        let html = catalog_page(&app, &veg).await;
        let shown = card(&html, &a).expect("shown");
        assert!(
            shown.contains("Lô hàng đã bị thu hồi — không bán"),
            "[{backend}] {shown}"
        );
        assert_eq!(
            product(&json_ld(&html), &a).expect("product")["offers"]["availability"],
            "https://schema.org/OutOfStock"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feeds_answer_304_to_their_etag_or_date_until_a_listing_changes() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let photo = upload_photo(&app, &veg).await;
        let created = create_listing(&app, &veg, listing_fields("Cải ngọt", "45000", &[LOT_B], &photo)).await;
        let urls = feeds(&app, &veg).await;
        for key in ["google", "meta"] {
            let url = text(&urls, key);
            let first = fetch(&app, &url, &[]).await;
            assert_eq!(first.status, StatusCode::OK);
            let etag = first.header("etag");
            let modified = first.header("last-modified");
            assert!(
                !etag.is_empty() && modified.ends_with(" GMT"),
                "[{backend}] {key}: {etag} {modified}"
            );
            assert_eq!(first.header("x-robots-tag"), "noindex");
            let same = fetch(&app, &url, &[("if-none-match", &etag)]).await;
            assert_eq!(same.status, StatusCode::NOT_MODIFIED, "[{backend}] {key} by ETag");
            assert!(same.body.is_empty());
            assert_eq!(same.header("etag"), etag);
            let same = fetch(&app, &url, &[("if-modified-since", &modified)]).await;
            assert_eq!(same.status, StatusCode::NOT_MODIFIED, "[{backend}] {key} by date");
            let older = fetch(&app, &url, &[("if-modified-since", "Mon, 01 Jan 2024 00:00:00 GMT")]).await;
            assert_eq!(older.status, StatusCode::OK, "[{backend}] {key} changed since 2024");
            let other = fetch(&app, &url, &[("if-none-match", "\"not-it\"")]).await;
            assert_eq!(other.status, StatusCode::OK);
        }
        let google = fetch(&app, &text(&urls, "google"), &[]).await;
        let meta = fetch(&app, &text(&urls, "meta"), &[]).await;

        // A sale changes the Meta feed (its quantity): the old ETag no longer matches.
        let id = i64::try_from(number(&created, "id")).expect("id");
        let (status, body) = movement(&app, &veg, id, json!({ "id": new_id(), "kind": "sale", "units": 3 })).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let again = fetch(&app, &text(&urls, "meta"), &[("if-none-match", &meta.header("etag"))]).await;
        assert_eq!(again.status, StatusCode::OK, "[{backend}] the Meta quantity changed");
        assert_ne!(again.header("etag"), meta.header("etag"));
        // Pausing changes what Google is told (availability): its old ETag no longer matches.
        set_status(&app, &veg, id, "paused").await;
        let again = fetch(
            &app,
            &text(&urls, "google"),
            &[("if-none-match", &google.header("etag"))],
        )
        .await;
        assert_eq!(
            again.status,
            StatusCode::OK,
            "[{backend}] the Google availability changed"
        );
        assert_ne!(again.header("etag"), google.header("etag"));
        assert!(again.body.contains("out_of_stock"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_urls_are_unguessable_per_cooperative_and_rotating_makes_the_old_ones_404() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let (veg, pomelo) = (app.veg().clone(), app.pomelo().clone());
        let photo = upload_photo(&app, &veg).await;
        let created = create_listing(&app, &veg, listing_fields("Cải ngọt", "45000", &[LOT_B], &photo)).await;
        let feed_id = text(&created, "feed_id");
        let first = feeds(&app, &veg).await;
        assert_eq!(
            feeds(&app, &veg).await["google"],
            first["google"],
            "stable until rotated"
        );
        let token = |url: &str| -> String {
            url.split("/feeds/")
                .nth(1)
                .and_then(|rest| rest.split('/').next())
                .expect("a token")
                .to_owned()
        };
        let veg_token = token(&text(&first, "google"));
        assert_eq!(token(&text(&first, "meta")), veg_token);
        assert!(
            veg_token.len() >= 32 && veg_token.bytes().all(|b| b.is_ascii_hexdigit()),
            "[{backend}] an unguessable token: {veg_token}"
        );
        assert_eq!(
            text(&first, "google"),
            format!("{}/feeds/{veg_token}/google.xml", app.base)
        );
        assert_eq!(text(&first, "catalog"), format!("{}/htx/{}/san-pham", app.base, veg.id));
        let pomelo_feeds = feeds(&app, &pomelo).await;
        let pomelo_token = token(&text(&pomelo_feeds, "google"));
        assert_ne!(pomelo_token, veg_token, "each cooperative has its own");
        let pomelo_read = read_feeds(&app, &pomelo_feeds).await;
        assert!(pomelo_read.google_item(&feed_id).is_none() && pomelo_read.meta_row(&feed_id).is_none());

        // Unknown tokens and files are plain 404s.
        let guessed = "0".repeat(veg_token.len());
        for path in [
            format!("/feeds/{guessed}/google.xml"),
            format!("/feeds/{veg_token}/feed.json"),
            format!("/feeds/{}/google.xml", veg.id),
        ] {
            assert_eq!(fetch(&app, &path, &[]).await.status, StatusCode::NOT_FOUND, "{path}");
        }

        let (status, rotated) = app
            .post(
                &format!("/api/v1/cooperatives/{}/feeds/rotate", veg.id),
                &veg.leader,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {rotated}");
        assert_ne!(token(&text(&rotated, "google")), veg_token);
        for key in ["google", "meta"] {
            let old = fetch(&app, &text(&first, key), &[]).await;
            assert_eq!(old.status, StatusCode::NOT_FOUND, "[{backend}] the old {key} URL");
            assert!(!old.body.contains(&feed_id));
        }
        let read = read_feeds(&app, &rotated).await;
        assert!(read.google_item(&feed_id).is_some() && read.meta_row(&feed_id).is_some());
        assert_eq!(feeds(&app, &veg).await["google"], rotated["google"]);
        // The other cooperative's feeds are untouched.
        assert_eq!(
            fetch(&app, &text(&pomelo_feeds, "google"), &[]).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markup_typed_into_a_listing_is_text_on_the_pages_and_well_formed_in_the_feeds() {
    let app = spawn_demo("sqlite").await;
    let veg = app.veg().clone();
    let photo = upload_photo(&app, &veg).await;
    let title = "Cải <script>alert(1)</script> & \"ngon\" ]]> </li>";
    let description = "Rau <b>sạch</b> & tươi </script><script>alert(2)</script>";
    let mut fields = listing_fields(title, "45000", &[LOT_B], &photo);
    fields["description_vi"] = json!(description);
    let created = create_listing(&app, &veg, fields).await;
    let feed_id = text(&created, "feed_id");
    assert_eq!(created["title_vi"], title);

    for path in [
        format!("/htx/{}/san-pham", veg.id),
        format!("/htx/{}/san-pham/{}", veg.id, created["id"]),
    ] {
        let page = fetch(&app, &path, &[]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(!page.body.contains("<script>alert"), "{path}: {}", page.body);
        assert!(!page.body.contains("<b>sạch"), "{path}");
        assert!(shows_escaped(&page.body, title), "{path}: {}", page.body);
        let ld = json_ld(&page.body);
        let product = product(&ld, &feed_id).expect("the product");
        assert_eq!(product["name"], title, "{path}: the JSON-LD keeps the title as typed");
    }
    let urls = feeds(&app, &veg).await;
    let google = fetch(&app, &text(&urls, "google"), &[]).await;
    assert!(!google.body.contains("<script>"), "{}", google.body);
    let read = read_feeds(&app, &urls).await;
    let item = read.google_item(&feed_id).expect("fed");
    assert_eq!(item["title"], title);
    assert_eq!(item["description"], description);
    let row = read.meta_row(&feed_id).expect("fed");
    assert_eq!(row["title"], title);
    assert_eq!(row["description"], description);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_a_cooperatives_own_leader_may_change_its_listings_and_another_cooperatives_ids_are_not_found() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let (veg, pomelo) = (app.veg().clone(), app.pomelo().clone());
        let photo = upload_photo(&app, &veg).await;
        let fields = listing_fields("Cải ngọt", "45000", &[LOT_B], &photo);
        let created = create_listing(&app, &veg, fields.clone()).await;
        let id = number(&created, "id");
        let pomelo_photo = upload_photo(&app, &pomelo).await;
        let mut pomelo_fields = listing_fields("Bưởi da xanh", "65000", &["BDX-2609-01-T2"], &pomelo_photo);
        pomelo_fields["pack_size"] = json!("1,5 kg");
        let pomelo_listing = create_listing(&app, &pomelo, pomelo_fields).await;
        let pomelo_id = number(&pomelo_listing, "id");

        let sale = || json!({ "id": new_id(), "kind": "sale", "units": 1 });
        let status_body = json!({ "status": "paused" });
        // (method, path under the cooperative, body, may an inspector do it)
        let calls = |listing_id: u64| -> Vec<(Method, String, Option<Value>, bool)> {
            vec![
                (Method::GET, "/listings".to_owned(), None, true),
                (Method::POST, "/listings".to_owned(), Some(fields.clone()), false),
                (Method::GET, format!("/listings/{listing_id}"), None, true),
                (
                    Method::PUT,
                    format!("/listings/{listing_id}"),
                    Some(fields.clone()),
                    false,
                ),
                (
                    Method::PUT,
                    format!("/listings/{listing_id}/status"),
                    Some(status_body.clone()),
                    false,
                ),
                (
                    Method::POST,
                    format!("/listings/{listing_id}/movements"),
                    Some(sale()),
                    false,
                ),
                (Method::GET, "/feeds".to_owned(), None, false),
                (Method::POST, "/feeds/rotate".to_owned(), Some(json!({})), false),
            ]
        };

        // Another cooperative's leader is refused on every listing route.
        for (method, path, body, _) in calls(id) {
            let path = format!("/api/v1/cooperatives/{}{path}", veg.id);
            let (status, answer) = app.call(method.clone(), &path, Some(&pomelo.leader), body).await;
            assert_eq!(
                status,
                StatusCode::FORBIDDEN,
                "[{backend}] foreign leader {method} {path}: {answer}"
            );
        }
        // The inspector reads but changes nothing; members neither read (sales notes may name
        // buyers) nor change anything.
        let inspector = veg.inspector.clone().expect("an inspector");
        for token in [&veg.member, &veg.other_member, &inspector] {
            for (method, path, body, read) in calls(id) {
                let path = format!("/api/v1/cooperatives/{}{path}", veg.id);
                let (status, answer) = app.call(method.clone(), &path, Some(token), body).await;
                if read && *token == inspector {
                    assert_eq!(status, StatusCode::OK, "[{backend}] {method} {path}: {answer}");
                } else {
                    assert_eq!(status, StatusCode::FORBIDDEN, "[{backend}] {method} {path}: {answer}");
                }
            }
        }
        // A leader naming another cooperative's listing under their own cooperative finds
        // nothing, and changes nothing there.
        for (method, path, body, _) in calls(pomelo_id)
            .into_iter()
            .filter(|(_, p, _, _)| p.contains("/listings/"))
        {
            let path = format!("/api/v1/cooperatives/{}{path}", veg.id);
            let (status, answer) = app.call(method.clone(), &path, Some(&veg.leader), body).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "[{backend}] {method} {path}: {answer}");
            assert_eq!(answer["error"], "not_found");
        }
        let untouched = listing(&app, &pomelo, i64::try_from(pomelo_id).expect("id")).await;
        assert_eq!(untouched["version"], 1, "[{backend}] {untouched}");
        assert_eq!(untouched["movements"].as_array().expect("movements").len(), 0);
        let (_, list) = app.get(&listings_path(&veg), &veg.leader).await;
        assert!(
            !list.as_array().expect("list").iter().any(|l| l["id"] == pomelo_id),
            "[{backend}] the other cooperative's listing is not listed"
        );
        // Nor can a listing sell another cooperative's lots.
        let mut foreign_lot = listing_fields("Bưởi", "65000", &["BDX-2609-01-T2"], &photo);
        foreign_lot["pack_size"] = json!("1,5 kg");
        let (status, body) = app.post(&listings_path(&veg), &veg.leader, foreign_lot).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "lots[0]");
        // A growing lot is not for sale.
        let (status, body) = app
            .post(
                &listings_path(&veg),
                &veg.leader,
                listing_fields("Cải chưa đóng gói", "45000", &[PARENT_LOT], &photo),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["errors"][0]["code"], "lot_not_packed");
    }
}

/// What was sold from a packed lot is gone: packing or merging it again may take only what is
/// left, so the same goods are never sold twice through a lot made from it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn goods_sold_from_a_lot_cannot_be_packed_again_into_another_lot() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg();
        pack_tomatoes(&app).await;
        let listed = create_listing(
            &app,
            veg,
            json!({ "title_vi": "Cà chua thùng 100 kg", "price_vnd": "1.500.000", "pack_size": "100 kg", "lots": [TOMATOES_1] }),
        )
        .await;
        assert_eq!(listed["units"], 3, "[{backend}] 300 kg in 100 kg crates: {listed}");
        let (status, body) = movement(
            &app,
            veg,
            listed["id"].as_i64().expect("id"),
            json!({ "id": new_id(), "kind": "sale", "units": 2, "note": "Chợ đầu mối Long Biên" }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let events = format!("/api/v1/cooperatives/{}/lots/{TOMATOES_1}/events", veg.id);
        let repack = |code: &str, quantity: &str| {
            json!({ "id": new_id(), "type": "packing", "occurred_at": days_ago(1),
                "children": [ { "code": code, "quantity": quantity } ] })
        };
        let (status, body) = app
            .post(&events, &veg.leader, repack("CC-2608-02-P1-X", "150 kg"))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "children[0].quantity", "[{backend}] {body}");
        assert_eq!(body["errors"][0]["code"], "already_sold", "[{backend}] {body}");
        assert!(
            body["message"].as_str().unwrap_or("").contains("100 kg"),
            "[{backend}] the message says what is left: {body}"
        );
        let (status, body) = app
            .post(&events, &veg.leader, repack("CC-2608-02-P1-Y", "100 kg"))
            .await;
        assert_eq!(
            status,
            StatusCode::CREATED,
            "[{backend}] what is left can be packed: {body}"
        );
        let after = listing(&app, veg, listed["id"].as_i64().expect("id")).await;
        assert_eq!(after["units"], 0, "[{backend}] nothing left to sell: {after}");
    }
}

/// Two leaders edit the same listing from the same version: the second save is refused instead
/// of silently undoing the first one's price.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_made_from_an_old_version_is_refused_instead_of_undoing_a_newer_one() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg();
        let photo = upload_photo(&app, veg).await;
        let created = create_listing(
            &app,
            veg,
            listing_fields("Cải ngọt túi 500 g", "45000", &[LOT_B], &photo),
        )
        .await;
        let id = created["id"].as_i64().expect("id");
        let path = format!("{}/{id}", listings_path(veg));
        let mut first = listing_fields("Cải ngọt túi 500 g", "52.000", &[LOT_B], &photo);
        first["version"] = json!(1);
        let (status, body) = app.call(Method::PUT, &path, Some(&veg.leader), Some(first)).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {body}");
        assert_eq!(body["version"], 2);
        let mut second = listing_fields("Cải ngọt VietGAP túi 500 g", "45000", &[LOT_B], &photo);
        second["version"] = json!(1);
        let (status, body) = app
            .call(Method::PUT, &path, Some(&veg.leader), Some(second.clone()))
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend}] {body}");
        assert_eq!(body["field"], "version", "[{backend}] {body}");
        let now = listing(&app, veg, id).await;
        assert_eq!(
            (now["version"].clone(), now["price_vnd"].clone()),
            (json!(2), json!(52_000)),
            "[{backend}] {now}"
        );
        // Made again from the current version, it is saved.
        second["version"] = json!(2);
        let (status, body) = app.call(Method::PUT, &path, Some(&veg.leader), Some(second)).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {body}");
        assert_eq!(body["version"], 3);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_of_another_pack_than_the_labels_never_carries_the_labels_gtin() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().clone();
        let photo = upload_photo(&app, &veg).await;
        // Labels for 1 kg bags of lot B: they carry the product's GTIN.
        let (status, batch) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots/{LOT_B}/labels", veg.id),
                &veg.leader,
                json!({ "count": 2, "pack_size": "1 kg" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {batch}");

        // A 500 g bag may not reuse the 1 kg bag's GTIN …
        let mut half = listing_fields("Cải ngọt túi 500 g", "18000", &[LOT_B], &photo);
        half["gtin"] = json!("8936049120015");
        let (status, refused) = app.post(&listings_path(&veg), &veg.leader, half.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {refused}");
        assert_eq!(refused["field"], "gtin");
        assert_eq!(refused["errors"][0]["code"], "gtin_other_pack");
        // … and without one of its own, the feeds say it has no identifier.
        half.as_object_mut().expect("object").remove("gtin");
        let half = create_listing(&app, &veg, half).await;
        let mut kilo = listing_fields("Cải ngọt túi 1 kg", "32000", &[LOT_B], &photo);
        kilo["pack_size"] = json!("1000 g");
        let kilo = create_listing(&app, &veg, kilo).await;
        assert_eq!(
            kilo["lots"][0]["labelled_packs"][0],
            json!({ "value": "1", "unit": "KGM" })
        );

        let feeds = read_feeds(&app, &feeds(&app, &veg).await).await;
        let half_item = feeds.google_item(&text(&half, "feed_id")).expect("fed to Google");
        assert!(
            !half_item.contains_key("gtin") && !half_item.contains_key("mpn"),
            "[{backend}] {half_item:?}"
        );
        assert_eq!(half_item.get("identifier_exists").map(String::as_str), Some("no"));
        let half_row = feeds.meta_row(&text(&half, "feed_id")).expect("fed to Meta");
        assert_eq!((half_row["gtin"].as_str(), half_row["mpn"].as_str()), ("", ""));
        // The 1 kg bag (1000 g is 1 kg) is the labelled trade item: it carries the GTIN.
        let kilo_item = feeds.google_item(&text(&kilo, "feed_id")).expect("fed to Google");
        assert_eq!(
            kilo_item.get("gtin").map(String::as_str),
            Some("08936049120015"),
            "[{backend}]"
        );
        let (status, _) = app
            .post(
                &listings_path(&veg),
                &veg.leader,
                json!({ "title_vi": "Cải ngọt 1 kg", "price_vnd": "32000", "pack_size": "1 kg", "gtin": "8936049120015", "lots": [LOT_B] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "its own labelled pack may state the GTIN");
    }
}
