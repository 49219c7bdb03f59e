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
        recall(&app, coop, code, "Nhãn in sai hạn dùng").await;
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
        let (_, label_path) = one_label(&app, coop, code).await;
        let stamp = open_and_keep(&app, coop, code).await;
        // Someone with access to the database rewrites who grew the lot in the kept record
        // (inflating it, editing the JSON, deflating it again), keeping its stamp and seal.
        let db = app.store.connection();
        let backend_kind = db.get_database_backend();
        let kept = kept_body(&app, stamp.lot_id).await;
        let forged = forge(&kept, &name, "HTX Giả Mạo");
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
        let html = get_page(&fresh, &label_path).await;
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
        recall(&app, coop, code, "Nhiễm khuẩn").await;
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

/// Issues a batch of one label on `code` and returns its batch id and the label's path.
async fn one_label(app: &TestApp, coop: i64, code: &str) -> (String, String) {
    let (status, batch) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots/{code}/labels"),
            &app.veg().leader,
            json!({ "count": 1, "pack_size": "1 kg" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let url = batch["labels"][0]["url"].as_str().expect("url");
    let path = url.strip_prefix(&app.base).expect("our base").to_owned();
    let batch_id = batch["signed"]["record"]["batch_id"]
        .as_str()
        .expect("batch id")
        .to_owned();
    (batch_id, path)
}

async fn get_page(app: &TestApp, path: &str) -> String {
    let response = app
        .client
        .get(format!("{}{path}", app.base))
        .send()
        .await
        .expect("label page");
    assert_eq!(response.status(), StatusCode::OK, "[{}] {path}", app.backend);
    response.text().await.expect("body")
}

/// The Vietnamese label page kept for a batch, as stored: (key, packed body, seal).
async fn kept_page(app: &TestApp, batch_id: &str) -> Option<(String, Vec<u8>, String)> {
    let db = app.store.connection();
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            format!("SELECT key, body, seal FROM kept_pages WHERE batch_id = '{batch_id}' AND lang = 'vi'"),
        ))
        .await
        .expect("read")?;
    Some((
        row.try_get("", "key").expect("key"),
        row.try_get("", "body").expect("body"),
        row.try_get("", "seal").expect("seal"),
    ))
}

/// Waits until a page is kept for the batch under a key other than `not`.
async fn wait_for_page(app: &TestApp, batch_id: &str, not: Option<&str>) -> (String, Vec<u8>, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(kept) = kept_page(app, batch_id).await
            && Some(kept.0.as_str()) != not
        {
            return kept;
        }
        assert!(
            Instant::now() < deadline,
            "[{}] no label page was kept for batch {batch_id}",
            app.backend
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn set_page(app: &TestApp, batch_id: &str, key: &str, body: Vec<u8>, seal: &str) {
    let db = app.store.connection();
    let backend = db.get_database_backend();
    let (a, b, c) = if app.backend == "postgres" {
        ("$1", "$2", "$3")
    } else {
        ("?", "?", "?")
    };
    db.execute_raw(sea_orm::Statement::from_sql_and_values(
        backend,
        format!(
            "UPDATE kept_pages SET key = {a}, body = {b}, seal = {c} WHERE batch_id = '{batch_id}' AND lang = 'vi'"
        ),
        [key.into(), body.into(), seal.into()],
    ))
    .await
    .expect("hand edit");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_label_page_serves_other_servers_and_is_never_shown_edited_or_stale() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        let code = "CN-2609-01-A";
        let name = app.store.cooperative(coop).await.expect("coop").name;
        let (batch_a, path_a) = one_label(&app, coop, code).await;
        let (batch_b, path_b) = one_label(&app, coop, code).await;
        let first_a = get_page(&app, &path_a).await;
        let first_b = get_page(&app, &path_b).await;
        assert!(first_a.contains("badge verified") && first_b.contains("badge verified"));
        let (key_a, body_a, seal_a) = wait_for_page(&app, &batch_a, None).await;
        wait_for_page(&app, &batch_b, None).await;
        let serial_b = path_b
            .rsplit('/')
            .next()
            .expect("serial")
            .split('?')
            .next()
            .expect("serial");

        // A server that never rendered it (nothing in memory) shows the same page from the
        // database, with the label's own serial spliced in.
        let fresh = app.second_server().await;
        let again_b = get_page(&fresh, &path_b).await;
        assert!(again_b.contains(serial_b), "[{backend}] the label's serial is missing");
        assert!(again_b.contains("badge verified") && again_b.contains(&name) && again_b.contains(&batch_b));
        assert!(get_page(&fresh, &path_a).await.contains("badge verified"));

        // Batch A's page copied over batch B's, seal and all: B's label still shows B's page.
        set_page(&app, &batch_b, &key_a, body_a.clone(), &seal_a).await;
        let copied = get_page(&app.second_server().await, &path_b).await;
        assert!(
            copied.contains(serial_b),
            "[{backend}] another batch's kept page was shown"
        );
        assert!(
            !copied.contains(&batch_a),
            "[{backend}] batch A's page was shown for a label of batch B"
        );

        // That render was kept again for B (wait for it, or it could overwrite what follows).
        let (key_b, body_b, seal_b) = wait_for_page(&app, &batch_b, Some(&key_a)).await;

        // B's page forged (unpacked, the cooperative's name replaced by one of the same length,
        // so the page still unpacks, packed again), key and seal kept: a fresh server renders
        // the truth.
        let fake = "Z".repeat(name.len());
        set_page(&app, &batch_b, &key_b, forge_page(&body_b, &name, &fake), &seal_b).await;
        let forged = get_page(&app.second_server().await, &path_b).await;
        assert!(forged.contains(&name), "[{backend}] the real cooperative is not named");
        assert!(
            !forged.contains(&fake),
            "[{backend}] a kept page edited by hand was shown"
        );

        // A recall: every server shows it at once, although the database keeps the page of
        // the lot's old stamp (and `fresh` has it in memory too).
        recall(&app, coop, code, "Nhãn in sai hạn dùng").await;
        let recalled = get_page(&fresh, &path_a).await;
        assert!(
            recalled.contains("badge recalled") && !recalled.contains("badge verified"),
            "[{backend}] the label page does not show the recall"
        );
        let (key_after, _, _) = wait_for_page(&app, &batch_a, Some(&key_a)).await;
        assert_ne!(key_after, key_a);
        let recalled_fresh = get_page(&app.second_server().await, &path_a).await;
        assert!(
            recalled_fresh.contains("badge recalled"),
            "[{backend}] a fresh server shows the lot as not recalled"
        );
    }
}

/// A lot recalled through the API by its cooperative's leader.
async fn recall(app: &TestApp, coop: i64, code: &str, reason: &str) {
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots/{code}/events"),
            &app.veg().leader,
            json!({ "id": new_id(), "type": "recall", "occurred_at": days_ago(0), "reason": reason }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// A kept record forged by hand: inflated, every `real` (which it must contain) replaced by
/// `fake`, deflated again.
fn forge(deflated: &[u8], real: &str, fake: &str) -> Vec<u8> {
    let mut bytes = Vec::new();
    flate2::read::DeflateDecoder::new(deflated)
        .read_to_end(&mut bytes)
        .expect("inflate");
    let mut encoder = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(&replaced(&bytes, real, fake)).expect("deflate");
    encoder.finish().expect("deflate")
}

/// A kept label page forged by hand: unpacked (LZ4, its length in front), every `real` replaced
/// by `fake`, packed again.
fn forge_page(packed: &[u8], real: &str, fake: &str) -> Vec<u8> {
    let bytes = lz4_flex::block::decompress_size_prepended(packed).expect("a kept page unpacks");
    lz4_flex::block::compress_prepend_size(&replaced(&bytes, real, fake))
}

/// `bytes` with every `real` (which they must contain) replaced by `fake`; the bytes around are
/// left as they are (a kept page holds binary lengths).
fn replaced(bytes: &[u8], real: &str, fake: &str) -> Vec<u8> {
    let (real, fake) = (real.as_bytes(), fake.as_bytes());
    let mut forged = Vec::with_capacity(bytes.len());
    let mut rest = bytes;
    let mut found = false;
    while !rest.is_empty() {
        if rest.starts_with(real) {
            forged.extend_from_slice(fake);
            rest = &rest[real.len()..];
            found = true;
        } else {
            forged.push(rest[0]);
            rest = &rest[1..];
        }
    }
    assert!(
        found,
        "the kept body does not contain {}",
        String::from_utf8_lossy(real)
    );
    forged
}
