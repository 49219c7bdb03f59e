//! Lots' public records kept in the database (`public_snapshots`): built once per stamp, read
//! back exactly as built by any server given the same secret, never used at another stamp, and
//! never shown when edited by hand.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::json;
use store::{LotStamp, Store};

use crate::helpers::{TestApp, backends, days_ago, new_id, spawn_demo};

async fn stamp(app: &TestApp, coop: i64, code: &str) -> LotStamp {
    app.store
        .lot_stamp(coop, code)
        .await
        .expect("stamp")
        .unwrap_or_else(|| panic!("[{}] lot {code}", app.backend))
}

/// Opens the lot's page (building and keeping its record) and waits until the record is kept.
async fn open_and_keep(app: &TestApp, coop: i64, code: &str) -> LotStamp {
    let (status, html) = lot_page(app, coop, code).await;
    assert_eq!(status, StatusCode::OK, "[{}] {code}: {html}", app.backend);
    let stamp = stamp(app, coop, code).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while !app.store.has_kept_public_lot(&stamp).await.expect("kept?") {
        assert!(
            Instant::now() < deadline,
            "[{}] the record of {code} was never kept",
            app.backend
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stamp
}

async fn lot_page(app: &TestApp, coop: i64, code: &str) -> (StatusCode, String) {
    let response = app
        .client
        .get(format!("{}/htx/{coop}/lo/{code}", app.base))
        .send()
        .await
        .expect("lot page");
    let status = response.status();
    (status, response.text().await.expect("body"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_lots_kept_record_reads_back_exactly_as_it_was_built() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let mut seen = 0;
        for coop in app.coops.clone() {
            for lot in app.store.lots(coop.id, None).await.expect("lots") {
                let stamp = open_and_keep(&app, coop.id, &lot.code).await;
                let kept = app.store.public_lot_at(&stamp).await.expect("kept record");
                let built = app.store.public_lot(coop.id, &lot.code).await.expect("built now");
                assert_eq!(
                    serde_json::to_value(&*kept).expect("json"),
                    serde_json::to_value(&built).expect("json"),
                    "[{backend}] {}: the kept record is not what building it gives",
                    lot.code
                );
                seen += 1;
            }
        }
        assert!(seen >= 6, "[{backend}] only {seen} demo lots");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_record_serves_every_server_with_the_secret_and_never_another_stamp() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let code = "CN-2609-01-A";
        let before = open_and_keep(&app, coop, code).await;

        // Another replica with the same secret reads the record the first one kept.
        let second = app.second_server().await;
        let (status, html) = lot_page(&second, coop, code).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {html}");
        assert!(
            second.store.has_kept_public_lot(&before).await.expect("kept?"),
            "[{backend}] a server with the same secret does not trust the kept record"
        );
        // A process with another secret cannot tell it from a forgery: it builds its own and
        // leaves the kept one in place for those who can.
        let stranger = Store::connect(&app.database_url)
            .await
            .expect("connect")
            .sealing_with("another secret");
        assert!(!stranger.has_kept_public_lot(&before).await.expect("kept?"));
        let built = stranger.public_lot_at(&before).await.expect("built");
        assert_eq!(built.lot.code, code);
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert!(
            app.store.has_kept_public_lot(&before).await.expect("kept?"),
            "[{backend}] a stranger overwrote the kept record"
        );

        // A new event: the second server's page shows it at once, although both its memory and
        // the database keep the record of the old stamp.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/{code}/events"),
                &app.veg().leader,
                json!({ "id": new_id(), "type": "recall", "occurred_at": days_ago(0), "reason": "Nhãn in sai hạn dùng" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, html) = lot_page(&second, coop, code).await;
        assert!(
            html.contains("Nhãn in sai hạn dùng"),
            "[{backend}] the page after the recall does not show it"
        );
        assert_ne!(stamp(&app, coop, code).await, before);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_record_edited_by_hand_is_never_shown() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let code = "CN-2609-01-A";
        let name = app.store.cooperative(coop).await.expect("coop").name;
        let (status, batch) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/{code}/labels"),
                &app.veg().leader,
                json!({ "count": 1, "pack_size": "1 kg" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{batch}");
        let label_url = batch["labels"][0]["url"].as_str().expect("url").to_owned();
        let stamp = open_and_keep(&app, coop, code).await;
        // Someone with access to the database rewrites who grew the lot in the kept record
        // (inflating it, editing the JSON, deflating it again), keeping its stamp and seal.
        let db = app.store.connection();
        let backend_kind = db.get_database_backend();
        let kept = kept_body(&app, stamp.lot_id).await;
        let mut json = String::new();
        flate2::read::DeflateDecoder::new(kept.as_slice())
            .read_to_string(&mut json)
            .expect("inflate");
        assert!(json.contains(&name), "[{backend}] the record names its cooperative");
        let forged = json.replace(&name, "HTX Giả Mạo");
        let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(forged.as_bytes()).expect("deflate");
        let forged = encoder.finish().expect("deflate");
        let placeholder = if backend == "postgres" { "$1" } else { "?" };
        db.execute_raw(sea_orm::Statement::from_sql_and_values(
            backend_kind,
            format!(
                "UPDATE public_snapshots SET body = {placeholder} WHERE lot_id = {}",
                stamp.lot_id
            ),
            [forged.clone().into()],
        ))
        .await
        .expect("hand edit");
        assert_eq!(
            kept_body(&app, stamp.lot_id).await,
            forged,
            "[{backend}] the edit did not take"
        );

        assert!(
            !app.store.has_kept_public_lot(&stamp).await.expect("kept?"),
            "[{backend}] an edited record still passes its seal"
        );
        let read = app.store.public_lot_at(&stamp).await.expect("record");
        assert_eq!(read.cooperative.name, name, "[{backend}] the forged name was used");
        // A server that never saw the lot (nothing in its memory) shows the truth too.
        let fresh = app.second_server().await;
        let (status, html) = lot_page(&fresh, coop, code).await;
        assert_eq!(status, StatusCode::OK);
        assert!(html.contains(&name), "[{backend}] the real cooperative is not named");
        assert!(!html.contains("HTX Giả Mạo"), "[{backend}] the forged record was shown");
        // Nor through a label, whose scan reads the kept record with the label.
        let label_path = label_url.strip_prefix(&app.base).expect("our base");
        let label_page = fresh
            .client
            .get(format!("{}{label_path}", fresh.base))
            .send()
            .await
            .expect("label page");
        assert_eq!(label_page.status(), StatusCode::OK);
        let html = label_page.text().await.expect("body");
        assert!(
            html.contains(&name),
            "[{backend}] the label page does not name the cooperative"
        );
        assert!(
            !html.contains("HTX Giả Mạo"),
            "[{backend}] the label page showed the forged record"
        );

        // The operator's pass replaces a record that fails its seal.
        assert!(app.store.keep_public_records(&Unwatched).await.expect("keep") >= 1);
        assert!(
            app.store.has_kept_public_lot(&stamp).await.expect("kept?"),
            "[{backend}] the forged record was not replaced"
        );
        let read = app.store.public_lot_at(&stamp).await.expect("record");
        assert_eq!(read.cooperative.name, name);
    }
}

/// Progress nobody watches.
struct Unwatched;

impl store::VerifyProgress for Unwatched {
    fn start(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rolling_a_lot_row_back_by_hand_never_brings_back_what_it_showed_before() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let code = "CN-2609-01-A";
        let before = open_and_keep(&app, coop, code).await;
        let (_, html) = lot_page(&app, coop, code).await;
        assert!(html.contains("badge verified"), "[{backend}] genuine before the recall");
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/{code}/events"),
                &app.veg().leader,
                json!({ "id": new_id(), "type": "recall", "occurred_at": days_ago(0), "reason": "Nhiễm khuẩn" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (_, html) = lot_page(&app, coop, code).await;
        assert!(html.contains("badge recalled"), "[{backend}] recalled");
        // Someone puts the lot row back as it was before the recall (the recall event stays):
        // the page this server kept for that stamp must not come back.
        app.store
            .connection()
            .execute_unprepared(&format!(
                "UPDATE lots SET head = '{}', event_count = {}, status = '{}' WHERE id = {}",
                before.head, before.event_count, before.status, before.lot_id
            ))
            .await
            .expect("hand edit");
        let (_, html) = lot_page(&app, coop, code).await;
        assert!(
            !html.contains("badge verified"),
            "[{backend}] the lot shows as genuine again after its row was rolled back"
        );
    }
}

/// The deflated body of a lot's kept public record, as stored.
async fn kept_body(app: &TestApp, lot_id: i64) -> Vec<u8> {
    let db = app.store.connection();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT body FROM public_snapshots WHERE lot_id = {lot_id}"),
        ))
        .await
        .expect("read")
        .expect("row");
    row.try_get("", "body").expect("body")
}
