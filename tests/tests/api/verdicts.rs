//! What a buyer is told is true on every surface at once: the label page (GS1 Digital Link and
//! short link), the lot page and the JSON API give the same verdict the moment the stored record
//! is tampered with, a lot is recalled or passes its use-by date, or a label's check code is not
//! its batch's; and only people count as scans.

use reqwest::{Method, StatusCode};
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, days_ago, new_id, spawn_demo, spawn_demo_reverifying};

/// A label printed for the demo's packed lot, and every address a buyer may read it at.
struct Printed {
    serial: String,
    digest: String,
    /// `/01/…/21/{serial}?d=…`, as in the QR code.
    gs1: String,
    /// `/l/{serial}?d=…`.
    short: String,
    /// `/htx/{coop}/lo/CN-2609-01-A`.
    lot_page: String,
    /// `/api/v1/labels/{serial}?d=…`.
    api: String,
    /// The other labels of the batch: (serial, path of its QR URL).
    others: Vec<(String, String)>,
}

async fn print_labels(app: &TestApp) -> Printed {
    let coop = app.veg().id;
    let (status, batch) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01-A/labels"),
            &app.veg().leader,
            json!({ "count": 3, "pack_size": "1 kg" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let path = |label: &Value| {
        let url = label["url"].as_str().expect("url");
        url.strip_prefix(&app.base).expect("our base").to_owned()
    };
    let labels = batch["labels"].as_array().expect("labels");
    let serial = labels[0]["serial"].as_str().expect("serial").to_owned();
    let gs1 = path(&labels[0]);
    let digest = gs1.split("d=").nth(1).expect("a check code").to_owned();
    Printed {
        short: format!("/l/{serial}?d={digest}"),
        api: format!("/api/v1/labels/{serial}?d={digest}"),
        lot_page: format!("/htx/{coop}/lo/CN-2609-01-A"),
        others: labels[1..]
            .iter()
            .map(|l| (l["serial"].as_str().expect("serial").to_owned(), path(l)))
            .collect(),
        serial,
        digest,
        gs1,
    }
}

/// A page as a buyer's phone gets it.
async fn page(app: &TestApp, path: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .header(
            "user-agent",
            "Mozilla/5.0 (Linux; Android 12) Chrome/120.0 Mobile Safari/537.36",
        )
        .send()
        .await
        .expect("page");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

/// The verdict word in a page's JSON-LD.
fn json_ld_verdict(html: &str) -> String {
    let json = html
        .split("<script type=\"application/ld+json\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .expect("JSON-LD");
    let value: Value = serde_json::from_str(json).expect("JSON-LD parses");
    value["additionalProperty"][0]["value"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// The `<title>` and the share preview's title.
fn titles(html: &str) -> (String, String) {
    let title = html
        .split("<title>")
        .nth(1)
        .and_then(|rest| rest.split("</title>").next())
        .unwrap_or_default()
        .to_owned();
    let og = html
        .split("<meta property=\"og:title\" content=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_default()
        .to_owned();
    (title, og)
}

/// Asserts one page says `verdict` with the badge `class`, and that nothing on it is green.
fn assert_page_says(html: &str, verdict: &str, class: &str, title_word: &str, context: &str) {
    assert!(
        html.contains(&format!("class=\"badge {class}\"")),
        "{context}: badge {class} expected"
    );
    assert_eq!(json_ld_verdict(html), verdict, "{context}: JSON-LD");
    let (title, og) = titles(html);
    assert!(title.contains(title_word), "{context}: <title> {title}");
    assert!(og.contains(title_word), "{context}: og:title {og}");
    if verdict != "genuine" {
        assert!(!html.contains("badge verified"), "{context}: a green badge");
        assert!(
            !title.contains("Đã xác minh") && !og.contains("Đã xác minh"),
            "{context}: green title"
        );
    }
}

/// Every surface of the printed label says `verdict`.
async fn every_surface_says(app: &TestApp, printed: &Printed, verdict: &str, context: &str) {
    let (class, word) = match verdict {
        "genuine" => ("verified", "Đã xác minh"),
        "altered" => ("altered", "dữ liệu đã bị thay đổi"),
        "recalled" => ("recalled", "Đã thu hồi"),
        "expired" => ("expired", "Đã quá hạn sử dụng"),
        other => panic!("no page class for {other}"),
    };
    for path in [&printed.gs1, &printed.short, &printed.lot_page] {
        let (status, html) = page(app, path).await;
        assert_eq!(status, StatusCode::OK, "[{}] {context}: {path}", app.backend);
        assert_page_says(
            &html,
            verdict,
            class,
            word,
            &format!("[{}] {context}: {path}", app.backend),
        );
    }
    let (status, api) = app.call(Method::GET, &printed.api, None, None).await;
    assert_eq!(status, StatusCode::OK, "[{}] {context}: {api}", app.backend);
    assert_eq!(api["verdict"], verdict, "[{}] {context}: {api}", app.backend);
}

async fn sql(app: &TestApp, statement: &str) {
    app.store
        .connection()
        .execute_unprepared(statement)
        .await
        .unwrap_or_else(|e| panic!("[{}] {statement}: {e}", app.backend));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_tamper_shows_as_altered_on_every_surface_at_once() {
    let lot = "(SELECT id FROM lots WHERE code = 'CN-2609-01-A')";
    let parent = "(SELECT id FROM lots WHERE code = 'CN-2609-01')";
    for backend in backends().await {
        for case in [
            "change a body",
            "delete a middle event",
            "swap seqs",
            "change the lot's product",
            "edit the batch's serial list",
            "delete a label row",
        ] {
            let app = spawn_demo(backend).await;
            let printed = print_labels(&app).await;
            // Every surface read once, so whatever a cache keeps is there when the record changes.
            every_surface_says(&app, &printed, "genuine", case).await;
            let (other_serial, other_path) = printed.others[0].clone();
            match case {
                "change a body" => {
                    sql(
                        &app,
                        &format!("UPDATE events SET body = replace(body, 'Bác Tôm', 'Bác Tám') WHERE lot_id = {lot}"),
                    )
                    .await
                }
                "delete a middle event" => {
                    sql(&app, &format!("DELETE FROM events WHERE lot_id = {parent} AND seq = 5")).await
                }
                "swap seqs" => {
                    sql(
                        &app,
                        &format!("UPDATE events SET seq = -3 WHERE lot_id = {parent} AND seq = 3"),
                    )
                    .await;
                    sql(
                        &app,
                        &format!("UPDATE events SET seq = 3 WHERE lot_id = {parent} AND seq = 4"),
                    )
                    .await;
                    sql(
                        &app,
                        &format!("UPDATE events SET seq = 4 WHERE lot_id = {parent} AND seq = -3"),
                    )
                    .await;
                }
                "change the lot's product" => {
                    sql(&app, "UPDATE lots SET product_id = 2 WHERE code = 'CN-2609-01-A'").await
                }
                "edit the batch's serial list" => {
                    sql(
                        &app,
                        &format!("UPDATE labels SET serial = 'ABCDEFGHJKMNPQRS' WHERE serial = '{other_serial}'"),
                    )
                    .await
                }
                "delete a label row" => sql(&app, &format!("DELETE FROM labels WHERE serial = '{other_serial}'")).await,
                _ => unreachable!(),
            }
            every_surface_says(&app, &printed, "altered", case).await;
            if case.contains("label") || case.contains("serial") {
                // The label whose row was renamed or removed is not "unknown": its batch was
                // altered, and that is what its buyer is told.
                let (status, html) = page(&app, &other_path).await;
                assert_eq!(status, StatusCode::OK, "[{backend}] {case}: {html}");
                assert!(
                    html.contains("badge altered"),
                    "[{backend}] {case}: the missing label's page"
                );
                let short = format!("/l/{other_serial}?d={}", printed.digest);
                let (status, html) = page(&app, &short).await;
                assert_eq!(status, StatusCode::OK, "[{backend}] {case}: {html}");
                assert!(
                    html.contains("badge altered"),
                    "[{backend}] {case}: the missing label's short link"
                );
            }
            // nguon verify says so too (the whole-database check, labels included).
            let report = app.store.verify_all(&NoProgress).await.expect("verify");
            let lots = report.lots.iter().filter(|r| !r.status.is_intact()).count();
            assert!(
                lots + report.batches.len() > 0,
                "[{backend}] {case}: verify found nothing"
            );
            if case.contains("label") || case.contains("serial") {
                assert!(
                    report.batches.iter().any(|b| b.lot_code == "CN-2609-01-A"),
                    "[{backend}] {case}: verify names the batch: {:?}",
                    report.batches
                );
            }
        }
    }
}

/// `nguon verify` reads lots a window at a time; however small the windows, it finds what one
/// pass over everything finds: every lot once, the altered parent, what was made from it, and
/// the batch whose list of labels was edited. Keeping what it verified in small windows still
/// leaves the child of the altered lot unverified, so its label says "altered".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verification_in_small_windows_finds_what_one_pass_finds() {
    let parent = "(SELECT id FROM lots WHERE code = 'CN-2609-01')";
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let printed = print_labels(&app).await;
        every_surface_says(&app, &printed, "genuine", "before").await;
        let (other_serial, _) = printed.others[0].clone();
        sql(&app, &format!("DELETE FROM events WHERE lot_id = {parent} AND seq = 5")).await;
        sql(
            &app,
            &format!("UPDATE labels SET serial = 'ABCDEFGHJKMNPQRS' WHERE serial = '{other_serial}'"),
        )
        .await;
        let whole = app.store.verify_all(&NoProgress).await.expect("verify");
        let lots: i64 = app
            .store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                app.store.connection().get_database_backend(),
                "SELECT COUNT(*) AS n FROM lots",
            ))
            .await
            .expect("count lots")
            .expect("a row")
            .try_get("", "n")
            .expect("n");
        assert_eq!(whole.lots.len() as i64, lots, "[{backend}] every lot once");
        let altered: Vec<&str> = whole
            .lots
            .iter()
            .filter(|l| !l.status.is_intact())
            .map(|l| l.lot_code.as_str())
            .collect();
        assert!(
            altered.contains(&"CN-2609-01"),
            "[{backend}] the parent is altered: {altered:?}"
        );
        assert!(
            whole.batches.iter().any(|b| b.lot_code == "CN-2609-01-A"),
            "[{backend}] the edited batch is named: {:?}",
            whole.batches
        );
        let as_json = |report: &store::VerifyReport| serde_json::to_value(report).expect("a report");
        for window in [1, 2, 3] {
            let windowed = app
                .store
                .clone()
                .verifying_in_windows_of(window)
                .verify_all(&NoProgress)
                .await
                .expect("verify in windows");
            assert_eq!(
                as_json(&windowed),
                as_json(&whole),
                "[{backend}] windows of {window} lots"
            );
        }
        let kept = app
            .store
            .clone()
            .verifying_in_windows_of(1)
            .verify_and_keep(&NoProgress)
            .await
            .expect("verify and keep");
        assert_eq!(as_json(&kept), as_json(&whole), "[{backend}] kept in windows of 1");
        every_surface_says(&app, &printed, "altered", "after verifying in windows of one lot").await;
    }
}

struct NoProgress;

impl store::VerifyProgress for NoProgress {
    fn start(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lot_past_its_use_by_date_is_red_everywhere_out_of_stock_and_gets_no_labels_without_a_reason() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let leader = app.veg().leader.clone();
        let printed = print_labels(&app).await;
        every_surface_says(&app, &printed, "genuine", "in date").await;
        // A listing with everything the feeds require, selling from the packed lot.
        let (status, photo) = app
            .upload(
                Method::POST,
                &format!("/api/v1/cooperatives/{coop}/photos"),
                Some(&leader),
                crate::helpers::png_photo(64, 48),
                "image/png",
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{photo}");
        let (status, listing) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/listings"),
                &leader,
                json!({ "title_vi": "Cải ngọt túi 1 kg", "description_vi": "Cải ngọt VietGAP, đóng túi trong ngày.",
                        "price_vnd": "25.000", "pack_size": "1 kg", "photos": [photo["hash"]], "lots": ["CN-2609-01-A"] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{listing}");
        let feed_id = listing["feed_id"].as_str().expect("feed id").to_owned();
        let (status, catalog) = page(&app, &format!("/htx/{coop}/san-pham")).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            catalog.contains("InStock"),
            "[{backend}] the demo sells cải ngọt: {catalog}"
        );
        let (_, feeds) = app.get(&format!("/api/v1/cooperatives/{coop}/feeds"), &leader).await;
        let google = feeds["google"].as_str().expect("google feed").replace(&app.base, "");
        let meta = feeds["meta"].as_str().expect("meta feed").replace(&app.base, "");

        // Cải ngọt keeps one day; the demo packed it a few days ago.
        let product = app.store.products(coop).await.expect("products")[0].id;
        let (status, body) = app
            .call(
                Method::PUT,
                &format!("/api/v1/cooperatives/{coop}/products/{product}/shelf-life"),
                Some(&leader),
                Some(json!({ "shelf_life_days": 1 })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        every_surface_says(&app, &printed, "expired", "past its use-by date").await;
        let (_, html) = page(&app, &printed.gs1).await;
        assert!(html.contains("Đừng ăn sản phẩm đã quá hạn"), "[{backend}] what to do");

        // Out of stock in the catalog and in both feeds.
        let (_, catalog) = page(&app, &format!("/htx/{coop}/san-pham")).await;
        assert!(!catalog.contains("\"InStock\""), "[{backend}] {catalog}");
        let (_, xml) = page(&app, &google).await;
        let item = xml
            .split("<item>")
            .find(|item| item.contains(&feed_id))
            .unwrap_or_else(|| panic!("[{backend}] {feed_id} in {xml}"));
        assert!(
            item.contains("<g:availability>out_of_stock</g:availability>"),
            "[{backend}] {item}"
        );
        let (_, csv) = page(&app, &meta).await;
        let row = csv
            .lines()
            .find(|line| line.starts_with(&feed_id))
            .unwrap_or_else(|| panic!("[{backend}] {feed_id} in {csv}"));
        assert!(row.contains(",out of stock,"), "[{backend}] {row}");

        // No new labels for it, unless a leader says why; the reason goes in the lot's diary.
        let path = format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01-A/labels");
        let (status, body) = app
            .post(&path, &leader, json!({ "count": 2, "pack_size": "1 kg" }))
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "past_use_by_reason", "[{backend}] {body}");
        let reason = "Khai nhầm hạn sử dụng; hàng bảo quản lạnh, còn tốt";
        let (status, body) = app
            .post(
                &path,
                &leader,
                json!({ "count": 2, "pack_size": "1 kg", "past_use_by_reason": reason }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let (_, history) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01-A/history"),
                &leader,
            )
            .await;
        let last = history["events"].as_array().and_then(|e| e.last()).expect("an event");
        assert_eq!(last["body"]["type"], "override", "[{backend}] {last}");
        assert_eq!(last["body"]["reason"], reason);
        assert_eq!(
            history["chain"]["status"], "intact",
            "the override is chained like any step"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_recalled_lot_is_never_green_and_tells_the_buyer_what_to_do() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let printed = print_labels(&app).await;
        every_surface_says(&app, &printed, "genuine", "before the recall").await;
        // The recall is of the parent: everything made from it is recalled for the buyer.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01/events"),
                &app.veg().leader,
                json!({ "id": new_id(), "type": "recall", "occurred_at": days_ago(0), "reason": "Dư lượng thuốc vượt ngưỡng" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        every_surface_says(&app, &printed, "recalled", "recalled upstream").await;
        let (_, html) = page(&app, &printed.gs1).await;
        assert!(
            html.contains("Ngừng ăn hoặc dùng sản phẩm ngay"),
            "[{backend}] what to do"
        );
        let phone: String = app
            .store
            .cooperative(coop)
            .await
            .expect("coop")
            .phone
            .chars()
            .filter(char::is_ascii_digit)
            .collect();
        assert!(
            html.contains(&format!("href=\"tel:{phone}\"")),
            "[{backend}] the cooperative's phone, one tap to call"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_label_whose_check_code_is_not_its_batchs_is_never_green() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let printed = print_labels(&app).await;
        let forged = printed.gs1.replace(&printed.digest, "0000000000000000000A");
        let (status, html) = page(&app, &forged).await;
        assert_eq!(status, StatusCode::OK);
        assert_page_says(
            &html,
            "mismatched",
            "mismatched",
            "Tem không khớp",
            &format!("[{backend}] forged d="),
        );
        let api = printed.api.replace(&printed.digest, "0000000000000000000A");
        let (_, body) = app.call(Method::GET, &api, None, None).await;
        assert_eq!(body["verdict"], "mismatched", "[{backend}] {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appends_to_an_altered_lot_are_refused_until_a_leader_acknowledges_it() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let veg = app.veg().clone();
        let events = format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/events");
        let observation =
            || json!({ "id": new_id(), "type": "observation", "occurred_at": days_ago(0), "subject": "Rệp" });
        let (status, body) = app.post(&events, &veg.leader, observation()).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        sql(
            &app,
            "UPDATE events SET note = 'sửa tay' WHERE seq = 2 AND lot_id = (SELECT id FROM lots WHERE code = 'CC-2608-02')",
        )
        .await;
        let (status, body) = app.post(&events, &veg.leader, observation()).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend}] {body}");
        assert_eq!(body["field"], "lot", "[{backend}] {body}");
        assert!(
            body["message"]
                .as_str()
                .unwrap_or_default()
                .contains("ban quản lý xác nhận"),
            "[{backend}] says who can unblock it: {body}"
        );
        let acknowledge = format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/acknowledge-alteration");
        let explanation = json!({ "explanation": "Kỹ thuật viên sửa nhầm ghi chú; sổ giấy ghi đúng" });
        let (status, _) = app.post(&acknowledge, &veg.member, explanation.clone()).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{backend}] only leaders acknowledge");
        let (status, ack) = app.post(&acknowledge, &veg.leader, explanation.clone()).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {ack}");
        assert_eq!(ack["body"]["type"], "alteration_acknowledged", "{ack}");
        let (status, body) = app.post(&events, &veg.leader, observation()).await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] logging goes on: {body}");
        let (status, body) = app.post(&acknowledge, &veg.leader, explanation.clone()).await;
        assert_eq!(
            status,
            StatusCode::CONFLICT,
            "[{backend}] nothing left to acknowledge: {body}"
        );
        // Buyers still see that the record was changed, and the history says so.
        let (_, html) = page(&app, &format!("/htx/{coop}/lo/CC-2608-02")).await;
        assert!(html.contains("badge altered"), "[{backend}] still altered for buyers");
        let (_, history) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/history"),
                &veg.leader,
            )
            .await;
        assert_eq!(
            history["chain"]["status"], "altered",
            "[{backend}] {}",
            history["chain"]
        );
        assert!(history["chain"]["acknowledged_by"].is_u64(), "{}", history["chain"]);
        // A new alteration is a new block.
        sql(
            &app,
            "UPDATE events SET note = 'sửa lần nữa' WHERE seq = 1 AND lot_id = (SELECT id FROM lots WHERE code = 'CC-2608-02')",
        )
        .await;
        let (status, body) = app.post(&events, &veg.leader, observation()).await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend}] {body}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_people_count_as_scans_and_one_address_cannot_force_the_copy_warning() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let printed = print_labels(&app).await;
        async fn count(app: &TestApp, api: &str) -> Option<u64> {
            app.call(Method::GET, api, None, None).await.1["scan_count"].as_u64()
        }
        assert_eq!(count(&app, &printed.api).await, Some(0));
        for agent in [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Zalo-LinkPreview/1.0",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "TelegramBot (like TwitterBot)",
            "curl/8.5.0",
        ] {
            let response = app
                .client
                .get(format!("{}{}", app.base, printed.gs1))
                .header("user-agent", agent)
                .send()
                .await
                .expect("page");
            assert_eq!(response.status(), StatusCode::OK, "{agent}");
        }
        assert_eq!(
            count(&app, &printed.api).await,
            Some(0),
            "[{backend}] previews, crawlers, scripts and the API are not scans"
        );
        // A label first scanned forty days ago: twenty scans from one place must not make it
        // look copied.
        sql(
            &app,
            &format!(
                "UPDATE labels SET first_scanned_at = '{}' WHERE serial = '{}'",
                days_ago(40),
                printed.serial
            ),
        )
        .await;
        for _ in 0..20 {
            let (status, html) = page(&app, &printed.gs1).await;
            assert_eq!(status, StatusCode::OK);
            assert!(!html.contains("copy-warning"), "[{backend}] forced from one address");
        }
        assert_eq!(
            count(&app, &printed.api).await,
            Some(u64::from(3u32)),
            "[{backend}] one address adds a few scans per label per hour"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_the_triggers_cannot_see_shows_within_one_background_verification() {
    for backend in backends().await {
        let app = spawn_demo_reverifying(backend, std::time::Duration::from_secs(1)).await;
        let printed = print_labels(&app).await;
        every_surface_says(&app, &printed, "genuine", "before").await;
        // Someone who knows about the triggers drops the one that would have told, then edits.
        let drop = match backend {
            "postgres" => "DROP TRIGGER nguon_tamper_events ON events",
            _ => "DROP TRIGGER nguon_tamper_events_update",
        };
        sql(&app, drop).await;
        sql(
            &app,
            "UPDATE events SET body = replace(body, 'Bác Tôm', 'Bác Tám') WHERE lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01-A')",
        )
        .await;
        // Within one interval and one pass over the (small) database, every surface says so.
        let started = std::time::Instant::now();
        loop {
            let (_, html) = page(&app, &printed.gs1).await;
            if html.contains("badge altered") {
                break;
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(15),
                "[{backend}] still not altered after 15 s"
            );
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        }
        every_surface_says(&app, &printed, "altered", "after the background verification").await;
    }
}
