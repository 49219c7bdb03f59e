//! The public lookup site over plain HTTP: what a buyer's phone receives for a label, lot or
//! cooperative page, the GS1 Digital Link resolver's answers (400, 404, redirects, CORS,
//! linksets, the well-known description), languages, caching headers, page weight, escaping,
//! certificates and product photos. What it looks like in a browser is in tests/browser.

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, new_id, spawn_demo};

/// Issues `count` labels on a vegetable lot and returns their URLs.
async fn label_urls(app: &TestApp, code: &str, count: u32) -> Vec<String> {
    let (status, batch) = app
        .post(
            &format!("/api/v1/cooperatives/{}/lots/{code}/labels", app.veg().id),
            &app.veg().leader,
            json!({ "count": count, "pack_size": "1 kg" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    batch["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l["url"].as_str().expect("url").to_owned())
        .collect()
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

async fn fetch(app: &TestApp, method: Method, url: &str, headers: &[(&'static str, &str)]) -> Page {
    let url = if url.starts_with("http") {
        url.to_owned()
    } else {
        format!("{}{url}", app.base)
    };
    let mut request = app.client.request(method, url);
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_str(value).expect("header"));
    }
    let response = request.send().await.expect("sent");
    Page {
        status: response.status(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

async fn get(app: &TestApp, url: &str) -> Page {
    fetch(app, Method::GET, url, &[]).await
}

fn header<'a>(page: &'a Page, name: &str) -> &'a str {
    page.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

fn scan_count(body: &str) -> u64 {
    let start = body.find("<p id=\"scans\">").expect("scan line");
    let text = &body[start..];
    let after = &text[text.find("quét ").expect("count") + "quét ".len()..];
    after.split(' ').next().expect("n").parse().expect("a number")
}

fn json_ld(body: &str) -> Value {
    let start = body.find("application/ld+json\">").expect("JSON-LD") + "application/ld+json\">".len();
    let end = start + body[start..].find("</script>").expect("end");
    serde_json::from_str(&body[start..end]).expect("JSON-LD parses")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scanned_label_opens_a_verified_page_with_the_lots_history_in_vietnamese() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let urls = label_urls(&app, "CN-2609-01-A", 2).await;
        let page = get(&app, &urls[0]).await;
        assert_eq!(page.status, StatusCode::OK, "[{backend}] {}", page.body);
        let body = &page.body;
        assert!(body.starts_with("<!doctype html>\n<html lang=\"vi\">"), "{body}");
        assert!(body.contains("class=\"badge verified\"") && body.contains("Đã xác minh"));
        // The spraying in the parent lot, with the days that passed before harvest.
        assert!(
            body.contains("Thu hoạch 15 ngày sau lần phun này — thời gian cách ly yêu cầu: 3 ngày."),
            "{body}"
        );
        assert!(body.contains("<section class=\"parent-lot\""));
        assert!(body.contains("<ol class=\"timeline\" id=\"timeline\">"));
        // The demo's packing, two days before the cooperative's latest step (which the demo puts
        // DEMO_LATEST_DAYS_AGO days before it is loaded), as dd/mm/yyyy.
        let packed = (store::now() - chrono::Duration::days(nguon::demo::DEMO_LATEST_DAYS_AGO + 2))
            .format("%d/%m/%Y")
            .to_string();
        assert!(body.contains(&packed), "dates as dd/mm/yyyy: {packed}");
        assert!(body.contains("1,2 tấn") && body.contains("30 ml"), "amounts with units");
        // Circular 02/2024 consumer fields.
        for fact in [
            "Tên sản phẩm",
            "Đơn vị sản xuất",
            "Thu hoạch",
            "Đóng gói",
            "Hạn sử dụng",
            "Số sê-ri tem",
            "08936049120015",
        ] {
            assert!(body.contains(fact), "[{backend}] {fact} missing");
        }
        assert!(body.contains("VietGAP-TT-11-01-0123"), "the cooperative's certificate");
        assert!(body.contains("Hộ ông Trần Văn Bình"), "the household that grew it");
        assert!(body.contains("Tem này đã được quét 1 lần, lần đầu ngày"));
        // No script runs: only the JSON-LD data block, and a CSP that allows none.
        assert_eq!(body.matches("<script").count(), 1);
        let csp = header(&page, "content-security-policy");
        assert!(
            csp.contains("default-src 'none'") && !csp.contains("script-src"),
            "{csp}"
        );
        assert_eq!(header(&page, "x-content-type-options"), "nosniff");
        assert_eq!(header(&page, "referrer-policy"), "same-origin");
        assert!(header(&page, "etag").starts_with("W/\""));
        assert_eq!(header(&page, "cache-control"), "private, no-cache");
        assert_eq!(header(&page, "access-control-allow-origin"), "*");
        assert!(header(&page, "link").contains("rel=\"linkset\""));
        let product = json_ld(body);
        assert_eq!(product["@type"], "Product");
        assert_eq!(product["gtin14"], "08936049120015");
        assert_eq!(
            product["hasCertification"][0]["certificationIdentification"],
            "VietGAP-TT-11-01-0123"
        );
        assert!(body.contains("<meta property=\"og:title\" content=\"Cải ngọt"));

        // Each GET is a scan; HEAD is not.
        let again = get(&app, &urls[0]).await;
        assert_eq!(scan_count(&again.body), 2);
        let head = fetch(&app, Method::HEAD, &urls[0], &[]).await;
        assert_eq!(head.status, StatusCode::OK);
        assert!(head.body.is_empty());
        app.store.flush_scans().await.expect("flush");
        assert_eq!(
            scan_count(&get(&app, &urls[0]).await.body),
            3,
            "[{backend}] counts survive a flush"
        );
        let (_, api) = app
            .call(
                Method::GET,
                &format!(
                    "/api/v1/labels/{}",
                    urls[0]
                        .split("/21/")
                        .nth(1)
                        .and_then(|s| s.split('?').next())
                        .expect("serial")
                ),
                None,
                None,
            )
            .await;
        assert_eq!(
            api["scan_count"], 3,
            "the page's scans are the label's scans, and asking the API is not one: {api}"
        );

        // The short form of the same label answers the same page.
        let serial = urls[1].split("/21/").nth(1).expect("serial part");
        let short = get(&app, &format!("/l/{serial}")).await;
        assert_eq!(short.status, StatusCode::OK);
        assert!(short.body.contains("Đã xác minh"));

        // A changed d= (a copied label) is called out; a missing one is explained.
        let forged = format!("{}?d=0000000000000000000A", urls[1].split('?').next().expect("path"));
        let forged = get(&app, &forged).await;
        assert!(
            forged.body.contains("không khớp với lô tem đã đăng ký"),
            "{}",
            forged.body
        );
        let bare = get(&app, urls[1].split('?').next().expect("path")).await;
        assert!(bare.body.contains("không có mã kiểm tra (d=)"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_label_page_fits_in_30_kb_and_is_compressed_for_3g() {
    let app = spawn_demo("sqlite").await;
    let urls = label_urls(&app, "CN-2609-01-A", 1).await;
    for encoding in ["br", "gzip"] {
        let page = fetch(&app, Method::GET, &urls[0], &[("accept-encoding", encoding)]).await;
        assert_eq!(header(&page, "content-encoding"), encoding);
        let bytes = page.body.len();
        assert!(bytes < 30 * 1024, "{encoding}: {bytes} bytes");
    }
    let css = {
        let page = get(&app, &urls[0]).await;
        let start = page.body.find("/static/site.").expect("stylesheet");
        page.body[start..start + page.body[start..].find('"').expect("end")].to_owned()
    };
    let asset = get(&app, &css).await;
    assert_eq!(asset.status, StatusCode::OK);
    assert_eq!(header(&asset, "cache-control"), "public, max-age=31536000, immutable");
    assert!(header(&asset, "content-type").starts_with("text/css"));
    assert_eq!(
        get(&app, "/static/site.000000000000.css").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unchanged_lot_page_answers_304_to_its_etag() {
    let app = spawn_demo("sqlite").await;
    let path = format!("/htx/{}/lo/CN-2609-01", app.veg().id);
    let first = get(&app, &path).await;
    assert_eq!(first.status, StatusCode::OK);
    assert_eq!(
        header(&first, "cache-control"),
        "public, no-cache",
        "kept, but asked for again before each use: a recall must show at once"
    );
    let etag = header(&first, "etag").to_owned();
    let again = fetch(&app, Method::GET, &path, &[("if-none-match", &etag)]).await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_resolver_answers_400_404_redirects_cors_and_linksets_as_gs1_asks() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let urls = label_urls(&app, "CN-2609-01-A", 1).await;
        let path = urls[0]
            .strip_prefix(&app.base)
            .expect("our base")
            .split('?')
            .next()
            .expect("path")
            .to_owned();

        // Syntax errors: a readable page, never 200.
        let bad = get(&app, "/01/08936049120016/10/CN-2609-01-A").await;
        assert_eq!(bad.status, StatusCode::BAD_REQUEST);
        assert!(
            bad.body.contains("Chữ số kiểm tra của mã GTIN không đúng"),
            "{}",
            bad.body
        );
        assert!(header(&bad, "content-type").starts_with("text/html"));
        let bad_en = get(&app, "/01/0893604912001X?lang=en").await;
        assert_eq!(bad_en.status, StatusCode::BAD_REQUEST);
        assert!(bad_en.body.contains("A GTIN contains only digits."));
        assert_eq!(
            get(&app, "/01/08936049120015/17/261231").await.status,
            StatusCode::BAD_REQUEST
        );

        // Unknown things: 404 pages.
        let unknown_serial = get(&app, "/l/7ZZZZZZZZZZZZZZZ").await;
        assert_eq!(unknown_serial.status, StatusCode::NOT_FOUND);
        assert!(
            unknown_serial.body.contains("class=\"badge unknown\"") && unknown_serial.body.contains("Không tìm thấy")
        );
        assert_eq!(get(&app, "/01/00000000000017").await.status, StatusCode::NOT_FOUND);
        assert_eq!(
            get(&app, "/01/08936049120015/10/NO-SUCH-LOT").await.status,
            StatusCode::NOT_FOUND
        );
        // A real serial under another lot's path is not that lot's label.
        let elsewhere = path.replace("/10/CN-2609-01-A/", "/10/CN-2609-01-B/");
        assert_eq!(get(&app, &elsewhere).await.status, StatusCode::NOT_FOUND);

        // A product key alone redirects to the product's information; a lot key is the lot page.
        let no_redirects = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client");
        let product = no_redirects
            .get(format!("{}/01/8936049120015", app.base))
            .send()
            .await
            .expect("sent");
        assert_eq!(product.status(), StatusCode::TEMPORARY_REDIRECT);
        let location = product.headers()["location"].to_str().expect("location");
        assert!(
            location.starts_with(&format!("/htx/{}#sp-", app.veg().id)),
            "{location}"
        );
        let lot = get(&app, "/01/08936049120015/10/CN-2609-01-A").await;
        assert_eq!(lot.status, StatusCode::OK);
        assert!(lot.body.contains("Nhật ký lô CN-2609-01-A"));

        // GET, HEAD and OPTIONS, with CORS.
        let options = fetch(&app, Method::OPTIONS, &path, &[("origin", "https://shop.example")]).await;
        assert_eq!(options.status, StatusCode::NO_CONTENT);
        assert_eq!(header(&options, "access-control-allow-origin"), "*");
        assert!(header(&options, "allow").contains("HEAD"));
        let head = fetch(&app, Method::HEAD, "/01/08936049120015/10/CN-2609-01-A", &[]).await;
        assert_eq!(head.status, StatusCode::OK);
        assert_eq!(header(&head, "access-control-allow-origin"), "*");

        // The linkset, by parameter or by Accept; one link type by redirect.
        let by_param = get(&app, &format!("{path}?linkType=linkset")).await;
        let by_accept = fetch(&app, Method::GET, &path, &[("accept", "application/linkset+json")]).await;
        for linkset in [&by_param, &by_accept] {
            assert_eq!(header(linkset, "content-type"), "application/linkset+json");
            let value: Value = serde_json::from_str(&linkset.body).expect("linkset JSON");
            let entry = &value["linkset"][0];
            assert_eq!(entry["anchor"], format!("{}{path}", app.base));
            assert!(
                entry["https://gs1.org/voc/traceability"][0]["href"]
                    .as_str()
                    .is_some_and(|h| h.ends_with("/lo/CN-2609-01-A"))
            );
            assert!(entry["https://gs1.org/voc/pip"][0]["href"].is_string());
            assert!(entry["https://gs1.org/voc/certificationInfo"][0]["href"].is_string());
            assert!(entry.get("https://gs1.org/voc/recallStatus").is_none(), "not recalled");
        }
        let redirect = no_redirects
            .get(format!("{}{path}?linkType=gs1:traceability", app.base))
            .send()
            .await
            .expect("sent");
        assert_eq!(redirect.status(), StatusCode::TEMPORARY_REDIRECT);

        // The resolver describes itself.
        let well_known = get(&app, "/.well-known/gs1resolver").await;
        let description: Value = serde_json::from_str(&well_known.body).expect("JSON");
        assert_eq!(description["resolverRoot"], app.base);
        assert_eq!(description["supportedPrimaryKeys"][0], "01");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn english_is_chosen_by_the_switch_remembered_by_cookie_and_guessed_from_the_browser() {
    let app = spawn_demo("sqlite").await;
    let path = format!("/htx/{}", app.veg().id);
    let vi = get(&app, &path).await;
    assert!(vi.body.contains("<html lang=\"vi\">") && vi.body.contains("id=\"lang-switch\" href=\"?lang=en\""));
    let switched = get(&app, &format!("{path}?lang=en")).await;
    assert!(switched.body.contains("<html lang=\"en\">") && switched.body.contains("Certificates"));
    let cookie = header(&switched, "set-cookie").to_owned();
    assert!(
        cookie.starts_with("lang=en;") && cookie.contains("Max-Age="),
        "{cookie}"
    );
    let remembered = fetch(&app, Method::GET, &path, &[("cookie", "lang=en")]).await;
    assert!(remembered.body.contains("<html lang=\"en\">"));
    assert_eq!(header(&remembered, "content-language"), "en");
    let guessed = fetch(&app, Method::GET, &path, &[("accept-language", "en-GB,en;q=0.8")]).await;
    assert!(guessed.body.contains("<html lang=\"en\">"));
    let back = fetch(&app, Method::GET, &format!("{path}?lang=vi"), &[("cookie", "lang=en")]).await;
    assert!(back.body.contains("<html lang=\"vi\">"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_users_typed_is_shown_as_text_never_as_markup() {
    let app = spawn_demo("sqlite").await;
    let coop = app.veg().id;
    let payload = "<script>alert(1)</script><img src=x onerror=alert(2)>";
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01-A/events"),
            &app.veg().leader,
            json!({ "id": new_id(), "type": "observation", "occurred_at": "2026-11-02T08:00:00+07:00", "subject": "\"quoted\" & <b>bold</b>", "note": payload }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let page = get(&app, &format!("/htx/{coop}/lo/CN-2609-01-A")).await;
    assert!(!page.body.contains("<script>alert"), "{}", page.body);
    assert!(!page.body.contains("<img src=x"));
    assert!(page.body.contains("&#60;script&#62;alert(1)&#60;/script&#62;"));
    assert!(page.body.contains("&#60;b&#62;bold&#60;/b&#62;"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificates_are_checked_and_shown_with_their_validity() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let leader = app.veg().leader.clone();
        let path = format!("/api/v1/cooperatives/{coop}/certificates");
        let (status, body) = app
            .post(&path, &leader, json!({ "scheme": "vietgap", "number": "X", "body": "Y", "valid_from": "31/02/2026", "valid_to": "2027-01-01" }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "valid_from", "{body}");
        let (status, body) = app
            .post(&path, &leader, json!({ "scheme": "halal", "number": "X", "body": "Y", "valid_from": "2026-01-01", "valid_to": "2025-01-01" }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["field"], "scheme", "{body}");
        let (status, body) = app
            .post(&path, &leader, json!({ "scheme": "organic", "number": "HC-77", "body": "Y", "valid_from": "2027-01-01", "valid_to": "2026-01-01" }))
            .await;
        assert_eq!(
            (status, body["field"].as_str()),
            (StatusCode::UNPROCESSABLE_ENTITY, Some("valid_to")),
            "{body}"
        );
        let (status, body) = app
            .post(&path, &leader, json!({ "scheme": "organic", "number": "HC-77", "body": "Control Union", "scope": "Rau cải", "valid_from": "01/01/2026", "valid_to": "31/12/2027" }))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(body["valid_to"], "2027-12-31");
        let page = get(&app, &format!("/htx/{coop}")).await;
        assert!(page.body.contains("HC-77") && page.body.contains("01/01/2026 – 31/12/2027"));
        // The demo's tomato certificate ended on 14/01/2025.
        let expired = &page.body[page.body.find("VietGAP-TT-11-01-0045").expect("expired cert") - 200..];
        assert!(
            expired.contains("cert expired") && expired.contains("Đã hết hạn"),
            "[{backend}]"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_photo_is_resized_stripped_and_served_lazily_and_a_non_photo_is_refused() {
    let app = spawn_demo("sqlite").await;
    let coop = app.veg().id;
    let leader = app.veg().leader.clone();
    let product = app.store.products(coop).await.expect("products")[0].id;
    let path = format!("/api/v1/cooperatives/{coop}/products/{product}/photo");
    let (status, body) = app
        .upload(
            Method::PUT,
            &path,
            Some(&leader),
            b"%PDF-1.7 not a photo".to_vec(),
            "image/jpeg",
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["field"], "photo");
    assert!(
        body["message"].as_str().is_some_and(|m| m.contains("không phải ảnh")),
        "{body}"
    );

    // A photo as a phone sends it: large, with GPS in its EXIF.
    let mut jpeg = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::from_fn(2400, 1800, |x, y| {
        image::Rgb([(x % 200) as u8, (y % 200) as u8, 60])
    }))
    .write_to(&mut std::io::Cursor::new(&mut jpeg), image::ImageFormat::Jpeg)
    .expect("jpeg");
    let exif = b"Exif\0\0GPSLatitude 21.0536 GPSLongitude 105.7352";
    let mut segment = vec![0xFF, 0xE1];
    segment.extend_from_slice(&u16::try_from(exif.len() + 2).expect("short").to_be_bytes());
    segment.extend_from_slice(exif);
    jpeg.splice(2..2, segment);
    let (status, body) = app.upload(Method::PUT, &path, Some(&leader), jpeg, "image/jpeg").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let hash = body["photo"].as_str().expect("photo hash").to_owned();

    let full = app
        .client
        .get(format!("{}/media/{hash}/full.jpg", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(full.headers()["cache-control"], "public, max-age=31536000, immutable");
    let full = full.bytes().await.expect("bytes");
    assert_eq!(blake3::hash(&full).to_hex().to_string(), hash, "stored by its hash");
    let decoded = image::load_from_memory(&full).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (1600, 1200));
    assert!(!full.windows(3).any(|w| w == b"GPS"), "no GPS left");
    let card = app
        .client
        .get(format!("{}/media/{hash}/card.jpg", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        image::load_from_memory(&card.bytes().await.expect("bytes"))
            .expect("jpeg")
            .width(),
        720
    );

    let page = get(&app, &format!("/htx/{coop}/lo/CN-2609-01-A")).await;
    assert!(page.body.contains(&format!("src=\"/media/{hash}/card.jpg\"")));
    assert!(page.body.contains("loading=\"lazy\""));
    assert_eq!(
        get(&app, "/media/not-a-hash/card.jpg").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cooperative_may_hide_its_growers_and_the_change_shows_at_once() {
    let app = spawn_demo("sqlite").await;
    let coop = app.veg().id;
    let urls = label_urls(&app, "CN-2609-01-A", 1).await;
    assert!(get(&app, &urls[0]).await.body.contains("Hộ ông Trần Văn Bình"));
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/cooperatives/{coop}/profile"),
            Some(&app.veg().leader),
            Some(json!({ "grower_display": "hidden", "description": "HTX <b>rau</b>" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let page = get(&app, &urls[0]).await;
    assert!(
        !page.body.contains("Trần Văn Bình"),
        "the cached page was refreshed by the write"
    );
    assert!(page.body.contains("Hộ thành viên của hợp tác xã"));
    let (status, body) = app
        .call(
            Method::PUT,
            &format!("/api/v1/cooperatives/{coop}/profile"),
            Some(&app.veg().leader),
            Some(json!({ "grower_display": "initials" })),
        )
        .await;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("grower_display"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recall_upstream_and_a_label_copied_onto_many_packs_are_both_called_out() {
    let app = spawn_demo("sqlite").await;
    let coop = app.veg().id;
    let urls = label_urls(&app, "CN-2609-01-A", 2).await;
    // A label scanned 25 times since 40 days ago looks copied.
    let serial = urls[0]
        .split("/21/")
        .nth(1)
        .and_then(|s| s.split('?').next())
        .expect("serial");
    let first = (chrono::Utc::now() - chrono::Duration::days(40))
        .format("%Y-%m-%dT%H:%M:%S+00:00")
        .to_string();
    app.store
        .connection()
        .execute_unprepared(&format!(
            "UPDATE labels SET scan_count = 24, first_scanned_at = '{first}' WHERE serial = '{serial}'"
        ))
        .await
        .expect("update");
    let copied = get(&app, &urls[0]).await;
    assert!(copied.body.contains("id=\"copy-warning\""), "{}", copied.body);
    assert!(copied.body.contains("25 lần"));
    assert!(
        !get(&app, &urls[1]).await.body.contains("copy-warning"),
        "a fresh label is fine"
    );

    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01/events"),
            &app.veg().leader,
            json!({ "id": new_id(), "type": "recall", "occurred_at": "2026-11-20T08:00:00+07:00", "reason": "Phát hiện dư lượng thuốc vượt ngưỡng" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let child = get(&app, &urls[1]).await;
    assert!(
        child.body.contains("<div id=\"recall\" role=\"alert\">"),
        "{}",
        child.body
    );
    assert!(
        child
            .body
            .contains("Lô CN-2609-01 bị thu hồi ngày 20/11/2026: Phát hiện dư lượng thuốc vượt ngưỡng")
    );
    let path = urls[1]
        .strip_prefix(&app.base)
        .expect("base")
        .split('?')
        .next()
        .expect("path")
        .to_owned();
    let linkset: Value =
        serde_json::from_str(&get(&app, &format!("{path}?linkType=linkset")).await.body).expect("json");
    assert!(linkset["linkset"][0]["https://gs1.org/voc/recallStatus"][0]["href"].is_string());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_altered_history_turns_the_label_page_red() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let urls = label_urls(&app, "CN-2609-01-A", 1).await;
        app.store
            .connection()
            .execute_unprepared(
                "UPDATE events SET note = 'Phun 3 ml' WHERE kind = 'spraying' \
                 AND lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01')",
            )
            .await
            .expect("tamper");
        let page = get(&app, &urls[0]).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains("class=\"badge altered\""),
            "[{backend}] {}",
            page.body
        );
        assert!(page.body.contains("Cảnh báo: dữ liệu đã bị thay đổi"));
        assert!(page.body.contains("đã bị sửa sau khi đóng gói"), "the reason is given");
    }
}
