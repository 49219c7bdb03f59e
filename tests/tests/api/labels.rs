//! Labels through the API: issuing, the quantity cap and pre-label checks, resolving a scan
//! (verified, altered, unknown, digest mismatch), scan counts, print files decoded by real QR
//! decoders, and the published key.

use std::collections::BTreeSet;
use std::io::Read;

use reqwest::StatusCode;
use sea_orm::ConnectionTrait;
use serde_json::{Value, json};

use crate::helpers::{TestApp, backends, new_id, spawn_demo};

fn labels_path(app: &TestApp, code: &str) -> String {
    format!("/api/v1/cooperatives/{}/lots/{code}/labels", app.veg().id)
}

async fn issue(app: &TestApp, code: &str, count: u32, pack_size: &str) -> (StatusCode, Value) {
    app.post(
        &format!("{}?lang=en", labels_path(app, code)),
        &app.veg().leader,
        json!({ "count": count, "pack_size": pack_size }),
    )
    .await
}

async fn resolve(app: &TestApp, serial: &str, digest: Option<&str>) -> (StatusCode, Value) {
    let query = digest.map(|d| format!("?d={d}")).unwrap_or_default();
    app.call(
        reqwest::Method::GET,
        &format!("/api/v1/labels/{serial}{query}"),
        None,
        None,
    )
    .await
}

fn digest_of(url: &str) -> String {
    url.rsplit_once("?d=")
        .map(|(_, d)| d.to_owned())
        .expect("the URL carries a digest")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn issued_labels_resolve_as_verified_until_the_history_is_altered() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let (status, batch) = issue(&app, "CN-2609-01-A", 3, "1 kg").await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {batch}");
        let labels = batch["labels"].as_array().expect("labels");
        assert_eq!(labels.len(), 3);
        let serials: BTreeSet<&str> = labels.iter().map(|l| l["serial"].as_str().expect("serial")).collect();
        assert_eq!(serials.len(), 3, "serials are distinct");
        let url = labels[0]["url"].as_str().expect("url");
        // Cải ngọt has a GTIN, so the label is a GS1 Digital Link in qualifier order.
        assert!(
            url.starts_with(&format!("{}/01/08936049120015/10/CN-2609-01-A/21/", app.base)),
            "[{backend}] {url}"
        );
        let serial = labels[0]["serial"].as_str().expect("serial");
        let digest = digest_of(url);
        assert!(digest.len() >= 20, "a ≥ 96-bit digest: {digest}");

        let (status, before) = resolve(&app, serial, Some(&digest)).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {before}");
        assert_eq!(
            before["scan_count"], 0,
            "asking the API is not a scan: [{backend}] {before}"
        );
        // A person opening the label page is.
        let page = app.client.get(url).send().await.expect("label page");
        assert_eq!(page.status(), StatusCode::OK);
        let (_, first) = resolve(&app, serial, Some(&digest)).await;
        assert_eq!(first["verdict"], "genuine", "[{backend}] {first}");
        assert_eq!(first["verification"], "verified", "[{backend}] {first}");
        assert_eq!(first["digest_mismatch"], false);
        assert_eq!(first["lot"]["code"], "CN-2609-01-A");
        assert_eq!(first["batch"]["count"], 3);
        assert_eq!(first["scan_count"], 1);
        assert!(
            first["first_scanned_at"]
                .as_str()
                .is_some_and(|t| t.ends_with("+07:00"))
        );

        // Scans are counted in memory, flushed, and keep counting across the flush.
        app.store.flush_scans().await.expect("flush");
        let page = app.client.get(url).send().await.expect("label page");
        assert_eq!(page.status(), StatusCode::OK);
        let (_, second) = resolve(&app, serial, None).await;
        assert_eq!(second["scan_count"], 2, "[{backend}] {second}");
        assert_eq!(second["first_scanned_at"], first["first_scanned_at"]);
        assert!(second.get("digest_mismatch").is_none());

        // A URL whose digest was changed (a label copied onto other produce) is called out.
        let (_, forged_digest) = resolve(&app, serial, Some("0000000000000000000A")).await;
        assert_eq!(forged_digest["verification"], "verified");
        assert_eq!(forged_digest["verdict"], "mismatched");
        assert_eq!(forged_digest["digest_mismatch"], true);

        // A serial never issued is unknown, whatever its shape.
        for forged in ["7ZZZZZZZZZZZZZZZ", "not-a-serial"] {
            let (status, body) = resolve(&app, forged, None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "[{backend}] {body}");
            assert_eq!(body["verification"], "unknown");
        }

        // Events after printing do not touch what the label vouches for.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{}/lots/CN-2609-01-A/events", app.veg().id),
                &app.veg().leader,
                json!({ "id": new_id(), "type": "observation", "occurred_at": "2026-11-01T08:00:00+07:00", "subject": "Kiểm tra kho" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        assert_eq!(resolve(&app, serial, None).await.1["verification"], "verified");

        // Editing the parent's spraying (the history behind the packed lot) flips it too, and no
        // more labels can be issued against it.
        let parent_spraying = "UPDATE events SET occurred_at = '2026-10-20T16:30:00+07:00' WHERE kind = 'spraying' \
             AND lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01')";
        app.store
            .connection()
            .execute_unprepared(parent_spraying)
            .await
            .expect("tamper with the parent");
        let (_, upstream) = resolve(&app, serial, Some(&digest)).await;
        assert_eq!(upstream["verification"], "altered", "[{backend}] {upstream}");
        assert!(
            upstream["reason"].as_str().is_some_and(|r| r.contains("CN-2609-01,")),
            "{upstream}"
        );
        let (status, body) = issue(&app, "CN-2609-01-A", 1, "1 kg").await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");

        // Editing the stored shipping event (before printing) flips every label to altered.
        app.store
            .connection()
            .execute_unprepared(
                "UPDATE events SET body = REPLACE(body, '600', '900') WHERE kind = 'shipping' AND seq = 1 \
                 AND lot_id = (SELECT id FROM lots WHERE code = 'CN-2609-01-A')",
            )
            .await
            .expect("tamper");
        let (status, altered) = resolve(&app, serial, Some(&digest)).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(altered["verification"], "altered", "[{backend}] {altered}");
        assert!(
            altered["reason"].as_str().is_some_and(|r| r.contains("changed")),
            "{altered}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_counted_while_flushes_write_are_each_counted_once() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let (status, batch) = issue(&app, "CN-2609-01-A", 1, "1 kg").await;
        assert_eq!(status, StatusCode::CREATED, "{batch}");
        let serial = label::Serial::parse(batch["labels"][0]["serial"].as_str().expect("serial")).expect("serial");
        let store = app.store.clone();
        let flushing = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let flusher = {
            let (store, flushing) = (store.clone(), flushing.clone());
            tokio::spawn(async move {
                let mut flushes = 0_u64;
                while flushing.load(std::sync::atomic::Ordering::Relaxed) {
                    if store.flush_scans().await.expect("flush") > 0 {
                        flushes += 1;
                    }
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                flushes
            })
        };
        // Each answer counts its own scan: one more than the answer before, whether the counts
        // before it are in memory, being written, or written.
        for expected in 1..=300_u64 {
            let scanned = store
                .scan_label(&serial, "vi", true)
                .await
                .expect("scan")
                .expect("label");
            assert_eq!(scanned.scan_count, expected, "[{backend}] answer {expected}");
        }
        flushing.store(false, std::sync::atomic::Ordering::Relaxed);
        let flushes = flusher.await.expect("flusher");
        assert!(
            flushes > 1,
            "[{backend}] only {flushes} flushes wrote counts beside the scans"
        );
        store.flush_scans().await.expect("flush");
        let stored = store
            .scan_label(&serial, "vi", false)
            .await
            .expect("scan")
            .expect("label");
        assert_eq!(stored.scan_count, 300, "[{backend}] stored after the last flush");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_product_without_gtin_gets_the_short_form_and_the_cap_says_what_remains() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
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
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = issue(&app, "RM-2611-01", 1, "1 kg").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["errors"][0]["code"], "not_harvested", "{body}");
        assert_eq!(body["field"], "lot");

        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/RM-2611-01/events"),
                &leader,
                json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-11-10T06:00:00+07:00", "quantity": "25 kg" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");

        let (status, body) = issue(&app, "RM-2611-01", 60, "500 g").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert_eq!(body["field"], "count");
        assert_eq!(body["errors"][0]["code"], "exceeds_lot_quantity");
        let message = body["message"].as_str().expect("message");
        assert!(message.contains("At most 50 labels"), "{message}");

        let (status, batch) = issue(&app, "RM-2611-01", 20, "500 g").await;
        assert_eq!(status, StatusCode::CREATED, "{batch}");
        let url = batch["labels"][0]["url"].as_str().expect("url");
        let serial = batch["labels"][0]["serial"].as_str().expect("serial");
        assert_eq!(url, format!("{}/l/{serial}?d={}", app.base, digest_of(url)));

        // 25 kg − 10 kg labelled leaves 15 kg: 30 more half-kilo bags, not 31.
        let (status, body) = issue(&app, "RM-2611-01", 31, "0,5 kg").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|m| m.contains("At most 30 labels")),
            "{body}"
        );
        let (status, body) = issue(&app, "RM-2611-01", 2, "1 lít").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["field"], "pack_size");
        let (status, _) = issue(&app, "RM-2611-01", 30, "0,5 kg").await;
        assert_eq!(status, StatusCode::CREATED);

        // All 25 kg carry labels; packing 20 kg of it into a child lot does not make room for
        // a second set of labels on the same produce.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/RM-2611-01/events"),
                &leader,
                json!({ "id": new_id(), "type": "packing", "occurred_at": "2026-11-10T09:00:00+07:00",
                        "children": [ { "code": "RM-2611-01-A", "quantity": "20 kg" } ] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = issue(&app, "RM-2611-01-A", 1, "1 kg").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains("At most 0 labels")),
            "{body}"
        );

        // A recalled lot gets no labels, and the answer says so.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CC-2608-02/events"),
                &leader,
                json!({ "id": new_id(), "type": "recall", "occurred_at": "2026-11-12T09:00:00+07:00", "reason": "Mẫu kiểm tra có dư lượng vượt ngưỡng" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = issue(&app, "CC-2608-02", 1, "1 kg").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["code"], "lot_recalled", "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains("recalled")),
            "{body}"
        );

        // A recall of the parent after packing stops labels on the lots packed from it.
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-2609-01/events"),
                &leader,
                json!({ "id": new_id(), "type": "recall", "occurred_at": "2026-11-12T09:30:00+07:00", "reason": "Nguồn nước tưới bị nhiễm bẩn" }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let (status, body) = issue(&app, "CN-2609-01-B", 1, "1 kg").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["errors"][0]["code"], "parent_lot_recalled", "{body}");

        // 30 kg harvested, 10 kg labelled on the lot, then all of it packed into three 10 kg lots:
        // two of them can still be labelled in full, the third not at all.
        let (_, lot) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots"),
                &leader,
                json!({ "code": "RM-2611-02", "product_id": product["id"], "plot_ids": [plots[0]["id"]] }),
            )
            .await;
        assert_eq!(lot["code"], "RM-2611-02");
        for event in [
            json!({ "id": new_id(), "type": "harvest", "occurred_at": "2026-11-11T06:00:00+07:00", "quantity": "30 kg" }),
            json!({ "id": new_id(), "type": "packing", "occurred_at": "2026-11-11T09:00:00+07:00",
                    "children": [ { "code": "RM-2611-02-A", "quantity": "10 kg" }, { "code": "RM-2611-02-B", "quantity": "10 kg" },
                                  { "code": "RM-2611-02-C", "quantity": "10 kg" } ] }),
        ] {
            if event["type"] == "packing" {
                assert_eq!(issue(&app, "RM-2611-02", 10, "1 kg").await.0, StatusCode::CREATED);
            }
            let (status, body) = app
                .post(
                    &format!("/api/v1/cooperatives/{coop}/lots/RM-2611-02/events"),
                    &leader,
                    event,
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        assert_eq!(issue(&app, "RM-2611-02-A", 10, "1 kg").await.0, StatusCode::CREATED);
        assert_eq!(issue(&app, "RM-2611-02-B", 10, "1 kg").await.0, StatusCode::CREATED);
        let (status, body) = issue(&app, "RM-2611-02-C", 1, "1 kg").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            body["message"].as_str().is_some_and(|m| m.contains("At most 0 labels")),
            "{body}"
        );

        for bad in [
            json!({ "count": 0, "pack_size": "1 kg" }),
            json!({ "count": 1, "pack_size": "1 thúng" }),
        ] {
            let (status, body) = app.post(&labels_path(&app, "CN-2609-01-A"), &leader, bad.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} → {body}");
            assert!(
                ["count", "pack_size"].contains(&body["field"].as_str().unwrap_or_default()),
                "{body}"
            );
        }
    }
}

fn decode_png(bytes: &[u8]) -> String {
    let image = image::load_from_memory(bytes).expect("a PNG").to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(image);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code per image");
    grids[0].decode().expect("decodes").1
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn print_files_decode_back_to_the_issued_urls_and_the_batch_verifies_offline() {
    let app = spawn_demo("sqlite").await;
    let (status, batch) = issue(&app, "CN-2609-01-A", 12, "1 kg").await;
    assert_eq!(status, StatusCode::CREATED, "{batch}");
    let issued: BTreeSet<String> = batch["labels"]
        .as_array()
        .expect("labels")
        .iter()
        .map(|l| l["url"].as_str().expect("url").to_owned())
        .collect();
    let batch_id = batch["signed"]["record"]["batch_id"].as_str().expect("batch id");
    let coop = app.veg().id;
    let client = reqwest::Client::new();
    let fetch = |path: String| {
        client
            .get(format!("{}{path}", app.base))
            .bearer_auth(&app.veg().leader)
            .send()
    };

    let zip = fetch(format!(
        "/api/v1/cooperatives/{coop}/label-batches/{batch_id}/labels.zip"
    ))
    .await
    .expect("zip");
    assert_eq!(zip.headers()["content-type"], "application/zip");
    let bytes = zip.bytes().await.expect("zip bytes");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).expect("a ZIP");
    let mut decoded = BTreeSet::new();
    for i in 0..archive.len() {
        let mut file = archive.by_index(i).expect("entry");
        let name = file.name().expect("entry name").to_string();
        assert!(name.ends_with(".png"), "{name}");
        let mut png = Vec::new();
        file.read_to_end(&mut png).expect("read");
        decoded.insert(decode_png(&png));
    }
    assert_eq!(decoded, issued, "every PNG decodes to its issued URL");

    let svg = fetch(format!(
        "/api/v1/cooperatives/{coop}/label-batches/{batch_id}/labels.zip?format=svg"
    ))
    .await
    .expect("svg zip")
    .bytes()
    .await
    .expect("svg zip bytes");
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(svg.to_vec())).expect("a ZIP");
    assert_eq!(archive.len(), issued.len());
    let mut first = archive.by_index(0).expect("entry");
    let name = first.name().expect("entry name").to_string();
    let mut text = String::new();
    first.read_to_string(&mut text).expect("read");
    assert!(name.ends_with(".svg") && text.contains("<svg"), "{name}: {text}");
    drop(first);
    let (status, body) = app
        .get(
            &format!("/api/v1/cooperatives/{coop}/label-batches/{batch_id}/labels.zip?format=gif"),
            &app.veg().leader,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "format");

    let pdf = fetch(format!(
        "/api/v1/cooperatives/{coop}/label-batches/{batch_id}/sheet.pdf?layout=4x10"
    ))
    .await
    .expect("pdf");
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let pdf = pdf.bytes().await.expect("pdf bytes");
    assert!(pdf.starts_with(b"%PDF"));
    let layout = label::SheetLayout::parse("4x10").expect("layout");
    if let Some(scanned) = tests::decode_sheet(&pdf, &layout) {
        assert_eq!(scanned.len(), issued.len(), "one code per label: {scanned:#?}");
        let scanned: BTreeSet<String> = scanned.into_iter().collect();
        assert_eq!(
            scanned, issued,
            "every label on the rasterized sheet decodes with zbarimg"
        );
    }

    let (status, body) = app
        .get(
            &format!("/api/v1/cooperatives/{coop}/label-batches/{batch_id}/sheet.pdf?layout=9x99"),
            &app.veg().leader,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["field"], "layout");

    // The signed batch verifies against the key the cooperative publishes, and not once altered.
    let (_, keys) = app
        .call(
            reqwest::Method::GET,
            &format!("/api/v1/cooperatives/{coop}/keys"),
            None,
            None,
        )
        .await;
    let public_key = keys[0]["public_key"].as_str().expect("a published key");
    assert_eq!(keys[0]["algorithm"], "ed25519");
    assert!(keys[0].get("secret_key").is_none() && !keys.to_string().contains("secret"));
    let (_, stored) = app
        .get(
            &format!("/api/v1/cooperatives/{coop}/label-batches/{batch_id}"),
            &app.veg().leader,
        )
        .await;
    let signed: label::SignedBatch = serde_json::from_value(stored["signed"].clone()).expect("signed batch");
    let pinned = label::PublicKey::parse(public_key).expect("key");
    signed.verify(Some(&pinned)).expect("the batch verifies");
    let mut forged = signed.clone();
    forged.record.count = 13;
    assert!(forged.verify(Some(&pinned)).is_err(), "an altered record fails");
}
