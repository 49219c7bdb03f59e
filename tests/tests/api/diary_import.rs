//! Importing a diary kept in Excel or CSV from the leader's app, end to end on both backends:
//! the sample files in fixtures/ go in, a bad file is refused row by row with nothing written,
//! a rule broken by a row is reported with its line, and importing again adds nothing.

use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{TestApp, backends, spawn_demo};
use crate::phone::{Answer, Phone};

const CSV_SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/nhat-ky-cai-ngot-bai-sau.csv");
const XLSX_SAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/nhat-ky-buoi-vuon-so-5.xlsx");

async fn upload(phone: &Phone, lot: &str, name: &str, bytes: Vec<u8>, check_only: bool) -> Answer {
    let path = format!("/app/lo/{lot}/nhap-nhat-ky");
    let csrf = phone.csrf(&path).await;
    let mut form = Form::new().text("csrf", csrf);
    if check_only {
        form = form.text("dry_run", "1");
    }
    form = form.part("file", Part::bytes(bytes).file_name(name.to_owned()));
    let response = phone
        .client
        .post(format!("{}{path}", phone.base))
        .multipart(form)
        .send()
        .await
        .expect("sent");
    let status = response.status();
    let location = response
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    (status, response.text().await.expect("body"), location)
}

async fn events(app: &TestApp, coop: i64, lot: &str) -> Vec<store::StoredEvent> {
    app.store.events(coop, lot).await.expect("events")
}

/// A new growing lot of the vegetable cooperative on Ruộng Bãi Sau, the sample CSV's plot.
async fn bai_sau_lot(app: &TestApp, code: &str) {
    let coop = app.veg().id;
    let plot = app
        .store
        .plots(coop)
        .await
        .expect("plots")
        .into_iter()
        .find(|p| p.name == "Ruộng Bãi Sau")
        .expect("plot");
    let product = app.store.products(coop).await.expect("products")[0].id;
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots"),
            &app.veg().leader,
            serde_json::json!({ "code": code, "product_id": product, "plot_ids": [plot.id] }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_csv_diary_imports_once_and_a_second_import_adds_nothing() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        bai_sau_lot(&app, "CN-2611-02").await;
        let phone = Phone::leader_of(&app, coop).await;
        let bytes = std::fs::read(CSV_SAMPLE).expect("sample");

        // Checking first writes nothing and says what would be written.
        let (status, page, _) = upload(&phone, "CN-2611-02", "nhat-ky.csv", bytes.clone(), true).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {page}");
        assert!(page.contains("9 dòng, 9 dòng mới"), "[{backend}] {page}");
        assert!(events(&app, coop, "CN-2611-02").await.is_empty());

        let (status, _, location) = upload(&phone, "CN-2611-02", "nhat-ky.csv", bytes.clone(), false).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        assert_eq!(location.as_deref(), Some("/app/lo/CN-2611-02"));
        let written = events(&app, coop, "CN-2611-02").await;
        assert_eq!(written.len(), 9, "[{backend}]");
        let kinds: Vec<&str> = written.iter().map(|e| e.event.body.kind().as_str()).collect();
        assert_eq!(
            kinds,
            [
                "observation",
                "fertilizing",
                "seeding",
                "irrigation",
                "fertilizing",
                "observation",
                "spraying",
                "observation",
                "harvest"
            ]
        );
        let show = |i: usize| serde_json::to_value(&written[i].event).expect("json");
        // "2 bao" is two bags; "Bón lót" is the method; the person and note are kept.
        assert_eq!(
            show(1)["body"]["amount"],
            serde_json::json!({ "value": "2", "unit": "H87" })
        );
        assert_eq!(show(1)["body"]["method"], "Bón lót");
        assert_eq!(show(1)["note"], "Người thực hiện: Hộ bà Lê Thị Mai. Bao 25 kg");
        assert_eq!(show(1)["occurred_at"], "2026-09-03T06:00:00+07:00");
        assert_eq!(show(2)["body"]["quantity"]["unit"], "GRM");
        assert_eq!(show(3)["body"]["water_source"], "Giếng khoan");
        // "1 chai" over "2 sào" in the North: one bottle on 720 m².
        assert_eq!(
            show(6)["body"]["dose"],
            serde_json::json!({ "value": "1", "unit": "H87" })
        );
        assert_eq!(
            show(6)["body"]["area"],
            serde_json::json!({ "value": "720", "unit": "MTK" })
        );
        assert_eq!(show(6)["body"]["input"]["snapshot"]["trade_name"], "Radiant 60SC");
        assert_eq!(show(7)["body"]["subject"], "Làm cỏ");
        // "1.500" is fifteen hundred kilograms.
        assert_eq!(
            show(8)["body"]["quantity"],
            serde_json::json!({ "value": "1500", "unit": "KGM" })
        );
        let (status, history) = app
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/CN-2611-02/history"),
                &app.veg().leader,
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(history["chain"]["status"], "intact");
        assert_eq!(history["lot"]["status"], "harvested");

        // The same file again: nothing added, and the page says so.
        let (status, page, _) = upload(&phone, "CN-2611-02", "nhat-ky.csv", bytes, true).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains("0 dòng mới") && page.contains("9 dòng đã có"),
            "[{backend}] {page}"
        );
        let phone_again = Phone::leader_of(&app, coop).await;
        let (status, _, _) = upload(
            &phone_again,
            "CN-2611-02",
            "nhat-ky.csv",
            std::fs::read(CSV_SAMPLE).expect("sample"),
            false,
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_eq!(
            events(&app, coop, "CN-2611-02").await.len(),
            9,
            "[{backend}] re-import adds nothing"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_excel_diary_imports_into_a_new_pomelo_lot() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.pomelo().id;
        // A new pomelo lot on the sample's garden (the demo's own lots move with today's date).
        let plot = app
            .store
            .plots(coop)
            .await
            .expect("plots")
            .into_iter()
            .find(|p| p.name == "Vườn bưởi số 5")
            .expect("plot");
        let product = app.store.products(coop).await.expect("products")[0].id;
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots"),
                &app.pomelo().leader,
                serde_json::json!({ "code": "BDX-2610-05", "product_id": product, "plot_ids": [plot.id] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        let before = 0;
        let phone = Phone::leader_of(&app, coop).await;
        let bytes = std::fs::read(XLSX_SAMPLE).expect("sample");
        let (status, page, _) = upload(&phone, "BDX-2610-05", "nhat-ky.xlsx", bytes, false).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let written = events(&app, coop, "BDX-2610-05").await;
        assert_eq!(written.len(), before + 7, "[{backend}]");
        let show = |i: usize| serde_json::to_value(&written[before + i].event).expect("json");
        assert_eq!(
            show(0)["occurred_at"],
            "2026-10-20T07:00:00+07:00",
            "an Excel date, logged at 07:00"
        );
        assert_eq!(show(0)["body"]["subject"], "Tỉa cành");
        assert_eq!(
            show(1)["body"]["amount"],
            serde_json::json!({ "value": "1.5", "unit": "TNE" }),
            "'1,5 tấn'"
        );
        assert_eq!(
            show(2)["body"]["amount"],
            serde_json::json!({ "value": "2000", "unit": "LTR" }),
            "'2.000 lít'"
        );
        assert_eq!(show(6)["body"]["type"], "harvest");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_row_is_reported_with_its_line_and_nothing_is_written() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let coop = app.veg().id;
        bai_sau_lot(&app, "CN-2611-03").await;
        let phone = Phone::leader_of(&app, coop).await;
        let file = "Ngày,Công việc,Vật tư,Lượng,Thửa\n\
                    03/09/2026,Bón lót,Phân hữu cơ vi sinh Sông Gianh,2 bao,Ruộng Bãi Sau\n\
                    31/02/2026,Bón thúc,Đạm Urê Phú Mỹ,3 kg,Ruộng Bãi Sau\n\
                    05/09/2026,Nhảy múa,,,Ruộng Bãi Sau\n\
                    06/09/2026,Phun thuốc,Thuốc lạ,1 chai,Ruộng Bãi Sau\n\
                    07/09/2026,Bón thúc,Đạm Urê Phú Mỹ,3 thúng,Ruộng Bãi Sau\n\
                    08/09/2026,Bón thúc,Radiant 60SC,1 chai,Ruộng Bãi Sau\n\
                    09/09/2026,Tưới nước,,,Ruộng Đồng Chùa\n";
        let (status, page, _) = upload(&phone, "CN-2611-03", "sai.csv", file.as_bytes().to_vec(), false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {page}");
        let table = &page[page.find("import-problems").expect("the problems table")..];
        for line in 3..=8 {
            assert!(
                table.contains(&format!("<tr><td>{line}</td>")),
                "[{backend}] line {line} not reported: {table}"
            );
        }
        assert!(!table.contains("<tr><td>2</td>"), "the good row is not reported");
        for words in [
            "31/02/2026",
            "Nhảy múa",
            "Thuốc lạ",
            "3 thúng",
            "Radiant 60SC",
            "Ruộng Đồng Chùa",
        ] {
            assert!(table.contains(words), "[{backend}] {words}: {table}");
        }
        assert!(
            events(&app, coop, "CN-2611-03").await.is_empty(),
            "[{backend}] all or nothing"
        );

        // A row the lot's rules refuse (harvest one day after a spraying with a 3-day interval)
        // is reported with its line too, before anything is written.
        let file = "Ngày;Công việc;Vật tư;Lượng\n\
                    03/09/2026;Gieo hạt;Hạt giống Phú Nông;200 g\n\
                    10/09/2026;Phun thuốc;Radiant 60SC;1 chai\n\
                    11/09/2026;Thu hoạch;;500 kg\n";
        let (status, page, _) = upload(&phone, "CN-2611-03", "cach-ly.csv", file.as_bytes().to_vec(), false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {page}");
        let table = &page[page.find("import-problems").expect("the problems table")..];
        assert!(
            table.contains("<tr><td>4</td>") && table.contains("cách ly"),
            "[{backend}] {table}"
        );
        assert!(events(&app, coop, "CN-2611-03").await.is_empty());

        // A file without the columns a diary needs says which are missing.
        let (status, page, _) = upload(&phone, "CN-2611-03", "x.csv", b"a,b\n1,2\n".to_vec(), false).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(page.contains("Thiếu cột Ngày, Công việc"), "{page}");
    }
}
