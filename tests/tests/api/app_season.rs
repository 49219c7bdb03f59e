//! The season's new app screens over HTTP, on both backends, as a phone's browser without
//! script uses them: what the phone is told to keep for use without signal, amounts that are
//! questioned until confirmed, corrections, packing into bags and fruit sold by the piece, the
//! labels that come out of it, shipping with a receiver to call in a recall, the leader's home,
//! members at scale, and the confirmations before a recall or a feed-link rotation.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, backends, spawn_demo};
use crate::phone::{PASSWORD, Phone, value_of};

async fn member_phone(app: &TestApp, coop: i64, role: farm_log::Role) -> store::Member {
    app.store
        .members(coop)
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.role == role && (role != farm_log::Role::Member || !m.plot_ids.is_empty()))
        .expect("a member with that role")
}

async fn signed_in(app: &TestApp, member: &store::Member) -> Phone {
    let phone = Phone::new(app);
    let (status, _, _) = phone.sign_in(&member.phone, PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{} signs in", member.name);
    phone
}

/// The fields of the step form at `path`, as a browser would send them untouched.
async fn form_fields(phone: &Phone, path: &str) -> Vec<(String, String)> {
    let (status, page, _) = phone.get(path).await;
    assert_eq!(status, StatusCode::OK, "{path}: {page}");
    let mut fields = vec![];
    for name in ["csrf", "id", "occurred_at", "amount"] {
        if let Some(value) = value_of(&page, name) {
            fields.push((name.to_owned(), value));
        }
    }
    for name in ["unit", "input_product_id"] {
        if let Some(value) = selected_of(&page, name) {
            fields.push((name.to_owned(), value));
        }
    }
    fields
}

/// The value of the selected option of the select named `name`.
fn selected_of(page: &str, name: &str) -> Option<String> {
    let at = page.find(&format!("name=\"{name}\""))?;
    let rest = &page[at..page[at..].find("</select>").map_or(page.len(), |e| at + e)];
    let selected = rest.find(" selected>")?;
    let before = &rest[..selected];
    let value = before.rfind("value=\"")? + 7;
    let end = before[value..].find('"')?;
    Some(before[value..value + end].to_owned())
}

fn with(fields: &[(String, String)], changes: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = fields
        .iter()
        .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
        .cloned()
        .collect();
    out.extend(changes.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    out
}

async fn post(phone: &Phone, path: &str, fields: &[(String, String)]) -> (StatusCode, String, Option<String>) {
    let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    phone.post(path, &pairs).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_phones_session_outlives_a_server_restart_so_the_steps_it_kept_are_sent() {
    let app = spawn_demo("sqlite").await;
    let member = member_phone(&app, app.veg().id, farm_log::Role::Member).await;
    let code = app.growing_lot("CN-2612-20", member.id).await;
    let phone = signed_in(&app, &member).await;
    let path = format!("/app/lo/{code}/ghi/observation");
    let fields = form_fields(&phone, &path).await;
    app.server.stop().await;
    let down = phone.client.get(format!("{}/app", app.base)).send().await;
    assert!(down.is_err(), "the server is down");
    app.server.start().await;
    let response = phone
        .client
        .post(format!("{}{path}", app.base))
        .header("X-Nguon-Sync", "1")
        .form(&with(&fields, &[("subject", "Rầy nâu")]))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::CREATED,
        "the same session, after the restart"
    );
    let history = app.store.history(app.veg().id, &code).await.expect("history");
    assert_eq!(history.events.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_phone_is_told_to_keep_every_form_of_the_members_open_lots_and_nothing_of_others() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let member = member_phone(&app, veg, farm_log::Role::Member).await;
        let mine = app.growing_lot("CN-2612-21", member.id).await;
        let others: Vec<store::Member> = app
            .store
            .members(veg)
            .await
            .expect("members")
            .into_iter()
            .filter(|m| m.role == farm_log::Role::Member && m.id != member.id && !m.plot_ids.is_empty())
            .filter(|m| m.plot_ids.iter().all(|p| !member.plot_ids.contains(p)))
            .collect();
        let theirs = app.growing_lot("CN-2612-22", others[0].id).await;
        let phone = signed_in(&app, &member).await;
        let (status, body, _) = phone.get("/app/ngoai-tuyen.json").await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {body}");
        let list: Value = serde_json::from_str(&body).expect("json");
        let urls: Vec<&str> = list["urls"]
            .as_array()
            .expect("urls")
            .iter()
            .filter_map(Value::as_str)
            .collect();
        assert!(urls.contains(&"/app"), "[{backend}] the start page: {urls:?}");
        for kind in [
            "seeding",
            "fertilizing",
            "spraying",
            "irrigation",
            "observation",
            "harvest",
        ] {
            let form = format!("/app/lo/{mine}/ghi/{kind}");
            assert!(urls.contains(&form.as_str()), "[{backend}] {form} in {urls:?}");
        }
        assert!(
            !urls.iter().any(|u| u.contains(&theirs) || u.contains("CN-2609-01")),
            "[{backend}] nothing of other plots or closed lots: {urls:?}"
        );
        for url in &urls {
            let (status, _, _) = phone.get(url).await;
            assert_eq!(status, StatusCode::OK, "[{backend}] every kept address opens: {url}");
        }
        // Unchanged, the list keeps its version; a logged step changes it.
        let again: Value = serde_json::from_str(&phone.get("/app/ngoai-tuyen.json").await.1).expect("json");
        assert_eq!(again["version"], list["version"], "[{backend}]");
        let path = format!("/app/lo/{mine}/ghi/observation");
        let fields = form_fields(&phone, &path).await;
        let (status, _, _) = post(&phone, &path, &with(&fields, &[("subject", "Sâu tơ")])).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        let after: Value = serde_json::from_str(&phone.get("/app/ngoai-tuyen.json").await.1).expect("json");
        assert_ne!(
            after["version"], list["version"],
            "[{backend}] a step changes what is kept"
        );
        // Signed out: nothing.
        let (status, _, location) = Phone::new(&app).get("/app/ngoai-tuyen.json").await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        assert!(location.is_some_and(|l| l.starts_with("/app/dang-nhap")));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_amount_far_from_the_usual_rate_is_questioned_until_the_farmer_confirms_it() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let member = member_phone(&app, veg, farm_log::Role::Member).await;
        let code = app.growing_lot("CN-2612-23", member.id).await;
        let phone = signed_in(&app, &member).await;
        let path = format!("/app/lo/{code}/ghi/fertilizing");
        let fields = form_fields(&phone, &path).await;
        // 8 tạ of urea on 3 sào, without the page's script.
        let (status, page, _) = post(&phone, &path, &with(&fields, &[("amount", "8"), ("unit", "DTN")])).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}]");
        assert!(
            page.contains("gấp") && page.contains("kg/sào") && page.contains("8 tạ"),
            "[{backend}] {page}"
        );
        assert!(
            page.contains("name=\"confirm_amount\""),
            "[{backend}] the farmer may confirm"
        );
        // The phone's queue gets the same question, in JSON.
        let response = phone
            .client
            .post(format!("{}{path}", app.base))
            .header("X-Nguon-Sync", "page")
            .form(&with(&fields, &[("amount", "8"), ("unit", "DTN")]))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let answer: Value = response.json().await.expect("json");
        assert_eq!(answer["confirm"], true, "[{backend}] {answer}");
        assert_eq!(answer["fields"][0], "amount");
        assert!(
            app.store.history(veg, &code).await.expect("h").events.is_empty(),
            "[{backend}]"
        );
        // A usual amount is not questioned; a confirmed unusual one is stored.
        let (status, _, _) = post(&phone, &path, &with(&fields, &[("amount", "15"), ("unit", "KGM")])).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        let fields = form_fields(&phone, &path).await;
        let (status, _, _) = post(
            &phone,
            &path,
            &with(&fields, &[("amount", "8"), ("unit", "DTN"), ("confirm_amount", "1")]),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        assert_eq!(app.store.history(veg, &code).await.expect("h").events.len(), 2);
        // A spraying mixed ten times stronger than the label says is questioned too.
        let spray = format!("/app/lo/{code}/ghi/spraying");
        let radiant = app.input_id(veg, "Radiant").await.to_string();
        let fields = form_fields(&phone, &spray).await;
        let (status, page, _) = post(
            &phone,
            &spray,
            &with(
                &fields,
                &[
                    ("input_product_id", &radiant),
                    ("amount", ""),
                    ("per_tank", "200"),
                    ("per_tank_unit", "MLT"),
                    ("tanks", "1"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}]");
        assert!(
            page.contains("liều trên nhãn") && page.contains("10 lần"),
            "[{backend}] {page}"
        );
        // The dose from tanks, without the page's script: 3 tanks of 20 ml.
        let (status, _, _) = post(
            &phone,
            &spray,
            &with(
                &fields,
                &[
                    ("input_product_id", &radiant),
                    ("amount", ""),
                    ("per_tank", "20"),
                    ("per_tank_unit", "MLT"),
                    ("tanks", "3"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        let events = app.store.history(veg, &code).await.expect("h").events;
        let Some(farm_log::EventBody::Spraying { dose, .. }) = events.last().map(|e| &e.event.body) else {
            panic!("[{backend}] a spraying");
        };
        assert_eq!(
            (dose.value.normalize().to_string(), dose.unit.code()),
            ("60".into(), "MLT")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_correct_their_own_entries_leaders_any_and_a_voided_step_is_not_the_next_default() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let member = member_phone(&app, veg, farm_log::Role::Member).await;
        let leader = member_phone(&app, veg, farm_log::Role::Leader).await;
        let code = app.growing_lot("CN-2612-24", member.id).await;
        // Another member on the same plot.
        let neighbour = app
            .store
            .members(veg)
            .await
            .expect("members")
            .into_iter()
            .find(|m| m.role == farm_log::Role::Member && m.id != member.id)
            .expect("another member");
        app.store
            .assign_plot(veg, member.plot_ids[0], neighbour.id)
            .await
            .expect("assign");
        let phone = signed_in(&app, &member).await;
        let path = format!("/app/lo/{code}/ghi/fertilizing");
        let fields = form_fields(&phone, &path).await;
        let (status, _, _) = post(&phone, &path, &with(&fields, &[("amount", "17")])).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let mine = fields.iter().find(|(k, _)| k == "id").expect("id").1.clone();
        let fix = format!("/app/lo/{code}/sua/{mine}");
        let (_, lot_page, _) = phone.get(&format!("/app/lo/{code}")).await;
        assert!(
            lot_page.contains(&format!("href=\"{fix}\"")),
            "[{backend}] the entry offers a fix"
        );

        let other = signed_in(&app, &neighbour).await;
        let (status, page, _) = other.get(&fix).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "[{backend}] not theirs: {page}");
        let (_, their_lot, _) = other.get(&format!("/app/lo/{code}")).await;
        assert!(
            !their_lot.contains(&fix),
            "[{backend}] no fix offered on another's entry"
        );
        let boss = signed_in(&app, &leader).await;
        assert_eq!(
            boss.get(&fix).await.0,
            StatusCode::OK,
            "[{backend}] leaders fix any entry"
        );

        // Without a reason: refused, naming it.
        let (_, form, _) = phone.get(&fix).await;
        let csrf = value_of(&form, "csrf").expect("csrf");
        let id = value_of(&form, "id").expect("id");
        let base = [
            ("csrf", csrf.as_str()),
            ("id", id.as_str()),
            ("amount", "14"),
            ("unit", "KGM"),
        ];
        let input = value_of(&form, "input_product_id").unwrap_or_default();
        let (status, page, _) = phone
            .post(
                &fix,
                &[base.as_slice(), &[("input_product_id", input.as_str())]].concat(),
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {page}");
        // Voided: the next form starts from the step before it (the demo's 8 kg of urea).
        let (status, _, _) = phone
            .post(
                &fix,
                &[
                    base.as_slice(),
                    &[
                        ("input_product_id", input.as_str()),
                        ("reason", "Ghi nhầm lô"),
                        ("void", "1"),
                    ],
                ]
                .concat(),
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        let history = app.store.history(veg, &code).await.expect("h");
        assert_eq!(
            history.events.len(),
            2,
            "[{backend}] the original stays, the correction follows"
        );
        assert_eq!(
            value_of(&phone.get(&path).await.1, "amount").as_deref(),
            Some("8"),
            "[{backend}]"
        );
        // A voided entry cannot be corrected again.
        assert_eq!(phone.get(&fix).await.0, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_packs_into_bags_and_fruit_by_the_piece_and_prints_labels_that_say_so() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let leader = member_phone(&app, veg, farm_log::Role::Leader).await;
        let farmer = member_phone(&app, veg, farm_log::Role::Member).await;
        let code = app.growing_lot("CN-2612-25", farmer.id).await;
        let boss = signed_in(&app, &leader).await;
        // Harvest 1.200 kg in the app ("1.200" is twelve hundred).
        let harvest = format!("/app/lo/{code}/ghi/harvest");
        let fields = form_fields(&boss, &harvest).await;
        let (status, page, _) = post(&boss, &harvest, &with(&fields, &[("amount", "1.200"), ("unit", "KGM")])).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        // Pack: 1.100 bags of 500 g and 12 boxes of 5 kg.
        let pack = format!("/app/lo/{code}/dong-goi");
        let (_, form, _) = boss.get(&pack).await;
        assert!(
            form.contains(&format!("value=\"{code}-A\"")),
            "[{backend}] codes suggested"
        );
        let csrf = value_of(&form, "csrf").expect("csrf");
        let id = value_of(&form, "id").expect("id");
        let occurred = value_of(&form, "occurred_at").expect("time");
        let a = format!("{code}-A");
        let b = format!("{code}-B");
        let fields = [
            ("csrf", csrf.as_str()),
            ("id", id.as_str()),
            ("occurred_at", occurred.as_str()),
            ("code[0]", a.as_str()),
            ("word[0]", "túi"),
            ("size[0]", "500 g"),
            ("count[0]", "1.100"),
            ("code[1]", b.as_str()),
            ("word[1]", "thùng"),
            ("size[1]", "5 kg"),
            ("count[1]", "12"),
        ];
        let (status, page, location) = boss.post(&pack, &fields).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        assert_eq!(location.as_deref(), Some(format!("/app/lo/{code}").as_str()));
        let child = app.store.lot(veg, &a).await.expect("A");
        assert_eq!(
            child
                .initial_quantity
                .map(|q| (q.value.normalize().to_string(), q.unit.code())),
            Some(("550".into(), "KGM")),
            "[{backend}] 1.100 × 500 g"
        );
        // Sent twice (a double tap, a resend): packed once.
        assert_eq!(boss.post(&pack, &fields).await.0, StatusCode::SEE_OTHER);
        assert_eq!(app.store.lot(veg, &code).await.expect("lot").children.len(), 2);

        // The labels form starts from how the lot was packed.
        let (_, labels, _) = boss.get(&format!("/app/lo/{a}/tem")).await;
        assert_eq!(value_of(&labels, "count").as_deref(), Some("1.100"), "[{backend}]");
        assert_eq!(value_of(&labels, "pack_size").as_deref(), Some("500 g"), "[{backend}]");
        assert!(labels.contains("Túi 500 g"), "[{backend}] {labels}");
        let csrf = value_of(&labels, "csrf").expect("csrf");
        let (status, page, location) = boss
            .post(
                &format!("/app/lo/{a}/tem"),
                &[("csrf", &csrf), ("count", "1.100"), ("pack_size", "500 g")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let batch_path = location.expect("the batch");
        let (_, batch, _) = boss.get(&batch_path).await;
        let today = store::now().format("%d/%m/%Y").to_string();
        let product = app.store.product(veg, child.product_id).await.expect("product").name;
        assert!(
            batch.contains(&format!("<h1>{product} · lô {a} · in ngày {today}</h1>")),
            "[{backend}] a human title: {batch}"
        );
        assert!(
            batch.contains("1.100 tem") && batch.contains("Túi 500 g"),
            "[{backend}] {batch}"
        );
        assert!(
            !batch.contains("GRM") && !batch.contains("KGM"),
            "[{backend}] no unit codes"
        );
        for size in ["40x30mm", "50x30mm", "60x40mm"] {
            assert!(
                batch.contains(&format!("value=\"{size}\"")),
                "[{backend}] {size} offered"
            );
            assert!(
                batch.contains(&format!("can-chinh.pdf?layout={size}")),
                "[{backend}] its calibration"
            );
        }
        let batch_id = batch_path.rsplit('/').next().expect("id");
        let pdf = boss
            .client
            .get(format!("{}/app/tem/{batch_id}/tem.pdf?layout=40x30mm", app.base))
            .send()
            .await
            .expect("sent")
            .bytes()
            .await
            .expect("pdf");
        assert!(pdf.starts_with(b"%PDF"), "[{backend}]");
        if let Some((w, h)) = tests::pdf_page_mm(&pdf) {
            assert!(
                (w - 40.0).abs() < 0.5 && (h - 30.0).abs() < 0.5,
                "[{backend}] {w}×{h} mm"
            );
        }
        let sheet = boss
            .client
            .get(format!("{}/app/tem/{batch_id}/tem.pdf?layout=3x8", app.base))
            .send()
            .await
            .expect("sent")
            .bytes()
            .await
            .expect("pdf");
        if let Some(text) = tests::pdf_text(&sheet) {
            let flat = text.replace('\n', " ");
            for words in [
                "Túi 500 g",
                "Quét mã QR để xem nguồn gốc",
                "HSD:",
                "Đóng gói:",
                "ĐT:",
                "VietGAP",
            ] {
                assert!(flat.contains(words), "[{backend}] the label says {words}: {flat}");
            }
        }
        for size in ["40x30mm", "50x30mm", "60x40mm"] {
            let response = boss
                .client
                .get(format!("{}/app/tem/can-chinh.pdf?layout={size}", app.base))
                .send()
                .await
                .expect("sent");
            assert_eq!(response.status(), StatusCode::OK, "[{backend}] {size}");
            let pdf = response.bytes().await.expect("pdf");
            if let Some((w, h)) = tests::pdf_page_mm(&pdf) {
                let (want_w, want_h) = match size {
                    "40x30mm" => (40.0, 30.0),
                    "50x30mm" => (50.0, 30.0),
                    _ => (60.0, 40.0),
                };
                assert!(
                    (w - want_w).abs() < 0.5 && (h - want_h).abs() < 0.5,
                    "[{backend}] {size}: {w}×{h}"
                );
            }
            if let Some(text) = tests::pdf_text(&pdf) {
                assert!(text.contains("mm"), "[{backend}] the size is printed: {text}");
            }
        }

        // Pomelos sold by the piece, labelled one by one with their average weight.
        let pomelo = app.pomelo().id;
        let pomelo_leader = member_phone(&app, pomelo, farm_log::Role::Leader).await;
        let south = signed_in(&app, &pomelo_leader).await;
        let pack = "/app/lo/BDX-2609-01/dong-goi";
        let (_, form, _) = south.get(pack).await;
        let csrf = value_of(&form, "csrf").expect("csrf");
        let id = value_of(&form, "id").expect("id");
        let occurred = value_of(&form, "occurred_at").expect("time");
        let (status, page, _) = south
            .post(
                pack,
                &[
                    ("csrf", csrf.as_str()),
                    ("id", id.as_str()),
                    ("occurred_at", occurred.as_str()),
                    ("code[0]", "BDX-2609-01-Q"),
                    ("word[0]", "quả"),
                    ("size[0]", "1,2 kg"),
                    ("count[0]", "80"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let (_, labels, _) = south.get("/app/lo/BDX-2609-01-Q/tem").await;
        assert!(labels.contains("1 quả (khoảng 1,2 kg)"), "[{backend}] {labels}");
        assert_eq!(value_of(&labels, "count").as_deref(), Some("80"));
        let csrf = value_of(&labels, "csrf").expect("csrf");
        let (status, page, location) = south
            .post(
                "/app/lo/BDX-2609-01-Q/tem",
                &[("csrf", &csrf), ("count", "80"), ("pack_size", "1,2 kg")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let (_, batch, _) = south.get(&location.expect("batch")).await;
        assert!(
            batch.contains("80 tem") && batch.contains("1 quả (khoảng 1,2 kg)"),
            "[{backend}] {batch}"
        );
        let batch_id = app.store.label_batches(pomelo, "BDX-2609-01-Q").await.expect("b")[0]
            .batch_id
            .clone();
        let faces = app.store.label_faces(pomelo, &batch_id).await.expect("faces");
        assert_eq!(faces.len(), 80);
        assert_eq!(faces[0].pack_size.as_deref(), Some("1 quả (khoảng 1,2 kg)"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shipping_keeps_the_receivers_phone_for_a_recall_and_never_shows_it_to_buyers() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let leader = member_phone(&app, veg, farm_log::Role::Leader).await;
        let boss = signed_in(&app, &leader).await;
        let path = "/app/lo/CN-2609-01-B/ghi/shipping";
        let (status, form, _) = boss.get(path).await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {form}");
        let from = value_of(&form, "from").expect("from");
        assert!(
            from.contains("HTX"),
            "[{backend}] leaves from where the leader ships from: {from}"
        );
        assert_eq!(
            value_of(&form, "document_ref").as_deref(),
            Some(""),
            "[{backend}] a new delivery note"
        );
        assert_eq!(
            value_of(&form, "amount").as_deref(),
            Some("550"),
            "[{backend}] all the lot holds, as a start"
        );
        let fields = form_fields(&boss, path).await;
        let (status, page, _) = post(
            &boss,
            path,
            &with(
                &fields,
                &[
                    ("to", "Bếp ăn Trường Tiểu học Tây Tựu"),
                    ("phone", "0987 654 321"),
                    ("document_ref", "PXK-2612-07"),
                    ("from", &from),
                    ("amount", "120"),
                    ("unit", "KGM"),
                ],
            ),
        )
        .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let (_, confirm, _) = boss.get("/app/lo/CN-2609-01/thu-hoi").await;
        assert!(
            confirm.contains("Bếp ăn Trường Tiểu học Tây Tựu")
                && confirm.contains("0987654321")
                && confirm.contains("PXK-2612-07"),
            "[{backend}] the recall lists who received the goods: {confirm}"
        );
        assert!(confirm.contains("CN-2609-01-A") && confirm.contains("CN-2609-01-B"));
        assert_ne!(
            app.store.lot(veg, "CN-2609-01").await.expect("lot").status,
            farm_log::LotStatus::Recalled,
            "[{backend}] asking is not recalling"
        );
        let public = Phone::new(&app).get(&format!("/htx/{veg}/lo/CN-2609-01-B")).await.1;
        assert!(
            public.contains("Bếp ăn Trường Tiểu học Tây Tựu"),
            "[{backend}] the delivery is public"
        );
        assert!(
            !public.contains("0987654321") && !public.contains("654 321"),
            "[{backend}] its phone is not"
        );
        // Members do not ship from the app.
        let member = member_phone(&app, veg, farm_log::Role::Member).await;
        let farmer = signed_in(&app, &member).await;
        assert_eq!(farmer.get(path).await.0, StatusCode::FORBIDDEN, "[{backend}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaders_home_shows_the_season_at_a_glance() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let leader = member_phone(&app, veg, farm_log::Role::Leader).await;
        let farmer = member_phone(&app, veg, farm_log::Role::Member).await;
        // A lot sprayed now is in its waiting period; a lot recalled; stock close to its use-by.
        let sprayed = app.growing_lot("CN-2612-26", farmer.id).await;
        let radiant = app.input_id(veg, "Radiant").await;
        let (status, body) = app
            .post(
                &format!("/api/v1/cooperatives/{veg}/lots/{sprayed}/events"),
                &app.veg().leader,
                serde_json::json!({
                    "id": crate::helpers::new_id(), "type": "spraying",
                    "occurred_at": store::now().to_rfc3339(),
                    "input": { "input_product_id": radiant }, "dose": "20 ml",
                }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{backend}] {body}");
        let fresh_pack = app.packed_today_keeping_two_days("CN-2612-28", farmer.id).await;
        let boss = signed_in(&app, &leader).await;
        let csrf = boss.csrf("/app/lo/CC-2608-02/thu-hoi").await;
        let (status, _, _) = boss
            .post(
                "/app/lo/CC-2608-02/thu-hoi",
                &[("csrf", &csrf), ("reason", "Dư lượng vượt ngưỡng")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        let (status, home, _) = boss.get("/app").await;
        assert_eq!(status, StatusCode::OK);
        let section = |id: &str| {
            let start = home
                .find(&format!("id=\"{id}\""))
                .unwrap_or_else(|| panic!("[{backend}] #{id}: {home}"));
            let end = home[start..].find("</section>").map_or(home.len(), |e| start + e);
            home[start..end].to_owned()
        };
        let waiting = section("waiting");
        assert!(
            waiting.contains(&sprayed) && waiting.contains("còn 3 ngày"),
            "[{backend}] {waiting}"
        );
        assert!(section("recalled").contains("CC-2608-02"), "[{backend}]");
        assert!(section("growing").contains(&sprayed), "[{backend}]");
        // Stock packed today of a product that keeps 2 days is close to its use-by date.
        let expiring = section("expiring");
        assert!(
            expiring.contains(&fresh_pack) && expiring.contains("còn 2 ngày"),
            "[{backend}] {expiring}"
        );
        assert!(
            section("to-label").contains(&fresh_pack),
            "[{backend}] packed, no labels yet"
        );
        // A household given a plot that never logged anything is listed to be called; one that
        // logged this week is not.
        let quiet_one = app
            .store
            .add_member(
                veg,
                store::NewMember {
                    name: farm_log::ShortText::parse("Hộ bà Lê Thị Hoa", "name").expect("name"),
                    phone: farm_log::PhoneNumber::parse("0966 111 222", "phone").expect("phone"),
                    role: farm_log::Role::Member,
                },
            )
            .await
            .expect("add");
        app.store
            .assign_plot(veg, farmer.plot_ids[0], quiet_one.id)
            .await
            .expect("assign");
        let (_, home, _) = boss.get("/app").await;
        let start = home.find("id=\"quiet\"").expect("#quiet");
        let quiet = &home[start..start + home[start..].find("</section>").expect("end")];
        assert!(
            quiet.contains("Hộ bà Lê Thị Hoa")
                && quiet.contains("tel:0966111222")
                && quiet.contains("chưa ghi lần nào"),
            "[{backend}] {quiet}"
        );
        assert!(
            !quiet.contains(&farmer.name),
            "[{backend}] the farmer logged today: {quiet}"
        );
        // The farmer's own home stays the farmer's.
        let field = signed_in(&app, &farmer).await;
        let (_, mine, _) = field.get("/app").await;
        assert!(
            !mine.contains("id=\"quiet\"") && mine.contains("còn 3 ngày"),
            "[{backend}] {mine}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_at_scale_are_found_by_name_phone_or_plot_and_plots_can_be_unassigned() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        for n in 1..=46 {
            app.store
                .add_member(
                    veg,
                    store::NewMember {
                        name: farm_log::ShortText::parse(&format!("Hộ bà Nguyễn Thị Số {n}"), "name").expect("name"),
                        phone: farm_log::PhoneNumber::parse(&format!("0977{n:06}"), "phone").expect("phone"),
                        role: farm_log::Role::Member,
                    },
                )
                .await
                .expect("add");
        }
        let leader = member_phone(&app, veg, farm_log::Role::Leader).await;
        let boss = signed_in(&app, &leader).await;
        let (_, list, _) = boss.get("/app/thanh-vien").await;
        assert!(
            list.matches("class=\"member-row\"").count() >= 46 + 3,
            "[{backend}] one row per member"
        );
        assert!(
            !list.contains("/mat-khau"),
            "[{backend}] no per-row forms: a member is edited on their own screen"
        );
        let (_, found, _) = boss.get("/app/thanh-vien?q=nguyen+thi+so+37").await;
        assert_eq!(
            found.matches("class=\"member-row\"").count(),
            1,
            "[{backend}] marks do not matter: {found}"
        );
        assert!(found.contains("Số 37"));
        let (_, by_phone, _) = boss.get("/app/thanh-vien?q=0977000012").await;
        assert_eq!(by_phone.matches("class=\"member-row\"").count(), 1, "[{backend}]");
        // One member on their own screen: a plot assigned, then unassigned.
        let farmer = member_phone(&app, veg, farm_log::Role::Member).await;
        let code = app.growing_lot("CN-2612-27", farmer.id).await;
        let screen = format!("/app/thanh-vien/{}", farmer.id);
        let (status, page, _) = boss.get(&screen).await;
        assert_eq!(status, StatusCode::OK, "[{backend}]");
        assert!(page.contains("Bỏ giao"), "[{backend}] {page}");
        let csrf = value_of(&page, "csrf").expect("csrf");
        let plot = farmer.plot_ids[0].to_string();
        let (status, _, location) = boss
            .post(&format!("{screen}/bo-thua"), &[("csrf", &csrf), ("plot_id", &plot)])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        assert_eq!(location.as_deref(), Some(screen.as_str()));
        let after = app.store.member(veg, farmer.id).await.expect("member");
        assert!(!after.plot_ids.contains(&farmer.plot_ids[0]), "[{backend}]");
        let field = signed_in(&app, &farmer).await;
        assert_eq!(
            field.get(&format!("/app/lo/{code}")).await.0,
            StatusCode::FORBIDDEN,
            "[{backend}]"
        );
        // Details edited; a phone another member has is a conflict, not an overwrite.
        let (status, _, _) = boss
            .post(
                &format!("{screen}/sua"),
                &[
                    ("csrf", &csrf),
                    ("name", "Hộ ông Trần Văn Bình"),
                    ("phone", &leader.phone),
                    ("role", "member"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "[{backend}]");
        let (status, _, _) = boss
            .post(
                &format!("{screen}/sua"),
                &[
                    ("csrf", &csrf),
                    ("name", "Hộ ông Trần Văn Bình"),
                    ("phone", &farmer.phone),
                    ("role", "member"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        assert_eq!(
            app.store.member(veg, farmer.id).await.expect("m").name,
            "Hộ ông Trần Văn Bình"
        );
        // A leader cannot demote themselves.
        let own = format!("/app/thanh-vien/{}/sua", leader.id);
        let (status, _, _) = boss
            .post(
                &own,
                &[
                    ("csrf", &csrf),
                    ("name", &leader.name),
                    ("phone", &leader.phone),
                    ("role", "member"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_the_feed_links_says_what_happens_before_it_happens() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let leader = member_phone(&app, veg, farm_log::Role::Leader).await;
        let boss = signed_in(&app, &leader).await;
        let token = app.store.feed_token(veg).await.expect("token");
        let (status, page, _) = boss.get("/app/ban-hang/kenh/doi-duong-dan").await;
        assert_eq!(status, StatusCode::OK, "[{backend}]");
        assert!(page.contains(&token), "[{backend}] the links that will stop: {page}");
        assert!(page.contains("ngừng hoạt động ngay") && page.contains("Google Merchant Center"));
        assert_eq!(
            app.store.feed_token(veg).await.expect("token"),
            token,
            "[{backend}] not rotated yet"
        );
        let csrf = value_of(&page, "csrf").expect("csrf");
        let (status, _, _) = boss.post("/app/ban-hang/kenh/doi-duong-dan", &[("csrf", &csrf)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert_ne!(
            app.store.feed_token(veg).await.expect("token"),
            token,
            "[{backend}] rotated"
        );
        let (_, sales, _) = boss.get("/app/ban-hang").await;
        assert!(sales.contains("data-copy=\"feed-google\"") && sales.contains("data-copy=\"feed-meta\""));
    }
}
