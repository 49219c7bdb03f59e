//! The leader's season in a phone's Chromium (360×740): harvest → pack into bags and boxes →
//! print labels → ship, with a recall that first says what it will do and who received the
//! goods; pomelos labelled one by one; merging lots; the home dashboard; 46 households in a
//! searchable list; a feed-link rotation that asks first, with copy buttons; the usual rate of
//! an input; and the public listing page a buyer can act on. Every screen passes axe-core and
//! fits the phone; taps are counted for docs/performance.md.

use std::io::Write;
use std::time::Duration;

use fantoccini::elements::Element;
use serde_json::json;
use tests::browser::Browser;

use crate::helpers::TestApp;
use crate::support::{
    assert_fits, choose, farmer, find_text, heights, screenshot, sign_in, start, tap, type_into, wait_for, wait_url,
};

fn report_taps(journey: &str, taps: usize) {
    let _ = writeln!(std::io::stderr(), "taps: {journey}: {taps}");
}

/// How long a form post may take to land on its next page on a busy machine.
const POST_WAIT: Duration = Duration::from_secs(60);

async fn leader_of(app: &TestApp, coop: i64) -> store::Member {
    app.store
        .members(coop)
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.role == farm_log::Role::Leader)
        .expect("a leader")
}

/// Taps `element` (a form's button) and waits for the next page's one-time message, which it
/// returns. The page tapped on is marked first, so its own message is never taken for the next.
async fn tap_then_flash(browser: &Browser, element: &Element, taps: &mut usize) -> String {
    browser.eval("window.__nguonBefore = true; return null;").await;
    tap(element, taps).await;
    wait_for("the next page's message", POST_WAIT, || async {
        let seen = browser
            .eval(
                "if (window.__nguonBefore) return null; \
                 const f = document.getElementById('flash'); return f ? f.textContent : null;",
            )
            .await;
        match seen.as_str() {
            Some(text) if !text.trim().is_empty() => Ok(text.to_owned()),
            _ => Err(format!("{seen} on {}", browser.url().await)),
        }
    })
    .await
}

/// The text of the element with `id` once it contains `wanted`, waiting up to `POST_WAIT` (the
/// page that holds it may still be on its way).
async fn text_once_it_says(browser: &Browser, id: &str, wanted: &str) -> String {
    wait_for(&format!("#{id} saying {wanted:?}"), POST_WAIT, || async {
        let text = browser
            .eval(&format!(
                "const e = document.getElementById('{id}'); return e ? e.textContent : null;"
            ))
            .await;
        match text.as_str() {
            Some(t) if t.contains(wanted) => Ok(t.to_owned()),
            _ => Err(format!("{text} on {}", browser.url().await)),
        }
    })
    .await
}

async fn check_screen(browser: &Browser) {
    assert_fits(browser).await;
    browser.assert_accessible().await;
    let back = heights(browser, "a.back").await;
    assert!(back.iter().all(|h| *h >= 44.0), "back buttons: {back:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_harvests_packs_prints_labels_and_ships_and_a_recall_lists_who_received_the_goods() {
    let Some((browser, app)) =
        start("a_leader_harvests_packs_prints_labels_and_ships_and_a_recall_lists_who_received_the_goods").await
    else {
        return;
    };
    let veg = app.veg().id;
    let leader = leader_of(&app, veg).await;
    let grower = farmer(&app).await;
    let code = app.growing_lot("CN-2612-30", grower.id).await;
    sign_in(&browser, &app, &leader.phone).await;
    let lot_url = format!("{}/app/lo/{code}", app.base);

    // Harvest: 1.200 kg.
    let mut taps = 0;
    browser.open(&lot_url).await;
    tap(&find_text(&browser, "ul.kinds a", "Thu hoạch").await, &mut taps).await;
    let amount = browser.find("#amount").await;
    tap(&amount, &mut taps).await;
    amount.clear().await.expect("clear");
    amount.send_keys("1.200").await.expect("type");
    let _ = tap_then_flash(&browser, &browser.find("#save").await, &mut taps).await;
    report_taps("log a harvest (lot → Thu hoạch → amount → save)", taps);
    assert!(
        browser
            .find("#holds")
            .await
            .text()
            .await
            .expect("holds")
            .contains("1.200 kg")
    );
    check_screen(&browser).await;

    // Pack: 1.100 bags of 500 g, 12 boxes of 5 kg.
    let mut taps = 0;
    tap(&browser.find("#pack-link").await, &mut taps).await;
    browser.find("#pack-form").await;
    check_screen(&browser).await;
    for (row, count, word, size) in [(0, "1.100", "túi", "500 g"), (1, "12", "thùng", "5 kg")] {
        let field = browser.find(&format!("#count-{row}")).await;
        tap(&field, &mut taps).await;
        field.send_keys(count).await.expect("type");
        choose(&browser, &format!("#word-{row}"), word).await;
        taps += 1;
        let field = browser.find(&format!("#size-{row}")).await;
        tap(&field, &mut taps).await;
        field.send_keys(size).await.expect("type");
    }
    screenshot(&browser, "pack").await;
    let packed = tap_then_flash(&browser, &browser.find("#save").await, &mut taps).await;
    assert!(
        packed.contains(&format!("{code}-A")) && packed.contains("1.100 túi 500 g") && packed.contains("12 thùng 5 kg"),
        "{packed}"
    );
    report_taps("pack a harvest into two pack sizes", taps);

    // Labels for the bags: the form already knows the count and the size.
    let mut taps = 0;
    let child = format!("{code}-A");
    tap(&find_text(&browser, "#genealogy a", &child).await, &mut taps).await;
    tap(&browser.find("#labels-link").await, &mut taps).await;
    let count = browser.find("#count").await.prop("value").await.expect("count");
    assert_eq!(
        count.as_deref(),
        Some("1.100"),
        "read as eleven hundred, shown as typed"
    );
    let packed_as = browser.find("#packed-as").await.text().await.expect("packed as");
    assert!(packed_as.contains("Túi 500 g"), "{packed_as}");
    check_screen(&browser).await;
    let _ = tap_then_flash(
        &browser,
        &browser.find("#issue-labels button[type=submit]").await,
        &mut taps,
    )
    .await;
    report_taps("print labels for a packed lot (lot → In tem → create)", taps);
    let heading = browser.find("main h1").await.text().await.expect("heading");
    let today = store::now().format("%d/%m/%Y").to_string();
    let product = app
        .store
        .product(veg, app.store.lot(veg, &child).await.expect("lot").product_id)
        .await
        .expect("product")
        .name;
    assert_eq!(
        heading,
        format!("{product} · lô {child} · in ngày {today}"),
        "a human title"
    );
    let summary = browser.find("#batch-summary").await.text().await.expect("summary");
    assert!(
        summary.contains("1.100 tem") && summary.contains("Túi 500 g"),
        "{summary}"
    );
    let layouts: Vec<String> = browser
        .eval("return Array.from(document.querySelectorAll('#layout option')).map(o => o.textContent);")
        .await
        .as_array()
        .expect("layouts")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    for size in ["40×30", "50×30", "60×40"] {
        assert!(layouts.iter().any(|l| l.contains(size)), "{size} in {layouts:?}");
    }
    assert_eq!(
        browser.find_all("#calibration a").await.len(),
        3,
        "a calibration page per roll"
    );
    check_screen(&browser).await;
    screenshot(&browser, "batch").await;

    // Ship the boxes to a school kitchen.
    let mut taps = 0;
    browser.open(&format!("{}/app/lo/{code}-B", app.base)).await;
    tap(&browser.find("#ship-link").await, &mut taps).await;
    let amount = browser.find("#amount").await.prop("value").await.expect("amount");
    assert_eq!(amount.as_deref(), Some("60"), "all the lot holds");
    for (selector, text) in [("#to", "Bếp ăn Trường Tiểu học Tây Tựu"), ("#phone", "0987 654 321")] {
        let field = browser.find(selector).await;
        tap(&field, &mut taps).await;
        field.clear().await.expect("clear");
        field.send_keys(text).await.expect("type");
    }
    check_screen(&browser).await;
    let _ = tap_then_flash(&browser, &browser.find("#save").await, &mut taps).await;
    report_taps("ship a packed lot (lot → Xuất hàng → to → phone → save)", taps);

    // A recall first says what it will do, and who received the goods.
    let mut taps = 0;
    browser.open(&lot_url).await;
    tap(&browser.find("#recall-link").await, &mut taps).await;
    let effects = browser.find("#recall-effects").await.text().await.expect("effects");
    assert!(
        effects.contains(&format!("{code}-A")) && effects.contains(&format!("{code}-B")),
        "{effects}"
    );
    assert!(
        effects.contains("1.100 tem"),
        "the labels that will say recalled: {effects}"
    );
    let received = browser.find("#recipients").await.text().await.expect("recipients");
    assert!(
        received.contains("Bếp ăn Trường Tiểu học Tây Tựu") && received.contains("0987654321"),
        "{received}"
    );
    check_screen(&browser).await;
    let reason = browser.find("#reason").await;
    tap(&reason, &mut taps).await;
    reason.send_keys("Phát hiện dư lượng vượt ngưỡng").await.expect("type");
    let done = tap_then_flash(&browser, &browser.find("#recall-form button").await, &mut taps).await;
    assert!(done.contains(&format!("{code}-B")), "{done}");
    report_taps("recall a lot (lot → Thu hồi… → reason → confirm)", taps);
    let contact = browser.find("#recipients").await.text().await.expect("recipients");
    assert!(
        contact.contains("0987654321"),
        "the recalled lot's page keeps who to call: {contact}"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pomelos_sold_by_the_piece_are_labelled_one_by_one_with_their_average_weight() {
    let Some((browser, app)) =
        start("pomelos_sold_by_the_piece_are_labelled_one_by_one_with_their_average_weight").await
    else {
        return;
    };
    let pomelo = app.pomelo().id;
    let leader = leader_of(&app, pomelo).await;
    sign_in(&browser, &app, &leader.phone).await;
    browser.open(&format!("{}/app/lo/BDX-2609-01/dong-goi", app.base)).await;
    browser.find("#pack-form").await;
    type_into(&browser, "#count-0", "80").await;
    choose(&browser, "#word-0", "quả").await;
    type_into(&browser, "#size-0", "1,2 kg").await;
    type_into(&browser, "#code-0", "BDX-2609-01-Q").await;
    let packed = tap_then_flash(&browser, &browser.find("#save").await, &mut 0).await;
    assert!(packed.contains("80 quả") && packed.contains("1,2 kg"), "{packed}");
    browser.open(&format!("{}/app/lo/BDX-2609-01-Q/tem", app.base)).await;
    let packed_as = browser.find("#packed-as").await.text().await.expect("text");
    assert!(packed_as.contains("1 quả (khoảng 1,2 kg)"), "{packed_as}");
    let _ = tap_then_flash(
        &browser,
        &browser.find("#issue-labels button[type=submit]").await,
        &mut 0,
    )
    .await;
    let summary = browser.find("#batch-summary").await.text().await.expect("summary");
    assert!(
        summary.contains("80 tem") && summary.contains("1 quả (khoảng 1,2 kg)"),
        "{summary}"
    );
    check_screen(&browser).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_merges_two_households_lots_into_one() {
    let Some((browser, app)) = start("a_leader_merges_two_households_lots_into_one").await else {
        return;
    };
    let veg = app.veg().id;
    let leader = leader_of(&app, veg).await;
    // A second household's harvest of cải ngọt, to bag together with the packed one.
    let grower = farmer(&app).await;
    let other = app.growing_lot("CN-2612-32", grower.id).await;
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{veg}/lots/{other}/events"),
            &app.veg().leader,
            json!({ "id": crate::helpers::new_id(), "type": "harvest",
                    "occurred_at": store::now().to_rfc3339(), "quantity": "300 kg" }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    sign_in(&browser, &app, &leader.phone).await;
    let mut taps = 0;
    browser.open(&format!("{}/app/lo/CN-2609-01-B", app.base)).await;
    tap(&browser.find("#merge-link").await, &mut taps).await;
    browser.find("#merge-form").await;
    check_screen(&browser).await;
    // CN-2609-01-B is ticked already; add the other harvest, 100 kg of each.
    let rows = browser.find_all("#merge-lots .merge-row").await;
    let mut picked = 0;
    for row in rows {
        let text = row.text().await.expect("text");
        if text.contains("CN-2609-01-B") || text.contains(&other) {
            let quantity = row
                .find(fantoccini::Locator::Css("input[name^=quantity]"))
                .await
                .expect("quantity");
            tap(&quantity, &mut taps).await;
            quantity.clear().await.expect("clear");
            quantity.send_keys("100 kg").await.expect("type");
            let check = row
                .find(fantoccini::Locator::Css("input[type=checkbox]"))
                .await
                .expect("box");
            if !check.is_selected().await.expect("selected") {
                tap(&check, &mut taps).await;
            }
            picked += 1;
        }
    }
    assert_eq!(picked, 2, "two lots to merge");
    let code = browser.find("#output_code").await;
    tap(&code, &mut taps).await;
    code.send_keys("GOP-2612-01").await.expect("type");
    let merged = tap_then_flash(&browser, &browser.find("#save").await, &mut taps).await;
    assert!(merged.contains("GOP-2612-01"), "{merged}");
    report_taps("merge two lots", taps);
    wait_url(&browser, "the new lot", |u| u.ends_with("/app/lo/GOP-2612-01")).await;
    let genealogy = browser.find("#genealogy").await.text().await.expect("genealogy");
    assert!(
        genealogy.contains("CN-2609-01-B") && genealogy.contains(&other),
        "{genealogy}"
    );
    let lot = app.store.lot(veg, "GOP-2612-01").await.expect("merged");
    assert_eq!(lot.parents.len(), 2);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_leaders_home_shows_the_season_and_46_households_are_found_in_a_searchable_list() {
    let Some((browser, app)) =
        start("the_leaders_home_shows_the_season_and_46_households_are_found_in_a_searchable_list").await
    else {
        return;
    };
    let veg = app.veg().id;
    for n in 1..=46 {
        let member = app
            .store
            .add_member(
                veg,
                store::NewMember {
                    name: farm_log::ShortText::parse(&format!("Hộ ông Phạm Văn Số {n}"), "name").expect("name"),
                    phone: farm_log::PhoneNumber::parse(&format!("0966{n:06}"), "phone").expect("phone"),
                    role: farm_log::Role::Member,
                },
            )
            .await
            .expect("add");
        if n <= 3 {
            let plot = app.store.plots(veg).await.expect("plots")[0].id;
            app.store.assign_plot(veg, plot, member.id).await.expect("assign");
        }
    }
    let leader = leader_of(&app, veg).await;
    let fresh = app
        .packed_today_keeping_two_days("CN-2612-33", farmer(&app).await.id)
        .await;
    sign_in(&browser, &app, &leader.phone).await;
    let counts = browser.find("#dash-counts").await.text().await.expect("counts");
    for words in [
        "Đang trong thời gian cách ly",
        "chờ in tem",
        "sắp hết hạn",
        "thu hồi",
        "Lô đang trồng",
        "chưa ghi nhật ký 7 ngày",
    ] {
        assert!(
            counts.to_lowercase().contains(&words.to_lowercase()),
            "{words} in {counts}"
        );
    }
    let quiet = browser.find("#quiet").await.text().await.expect("quiet");
    assert!(
        quiet.contains("Hộ ông Phạm Văn Số 2") && quiet.contains("chưa ghi lần nào"),
        "{quiet}"
    );
    let expiring = browser.find("#expiring").await.text().await.expect("expiring");
    assert!(
        expiring.contains(&fresh) && expiring.contains("còn 2 ngày"),
        "{expiring}"
    );
    check_screen(&browser).await;
    screenshot(&browser, "dashboard").await;

    // Members: one row each, found as the leader types.
    let mut taps = 0;
    tap(
        &browser.find("#leader-actions a[href=\"/app/thanh-vien\"]").await,
        &mut taps,
    )
    .await;
    let rows = browser.find_all(".member-row").await.len();
    assert!(rows >= 49, "46 households and the demo's members: {rows}");
    check_screen(&browser).await;
    let search = browser.find("#member-search").await;
    tap(&search, &mut taps).await;
    search.send_keys("pham van so 37").await.expect("type");
    let shown = wait_for("the list filtered", Duration::from_secs(5), || async {
        let shown = browser
            .eval("return Array.from(document.querySelectorAll('.member-row')).filter(r => !r.hidden).map(r => r.textContent);")
            .await;
        match shown.as_array() {
            Some(rows) if rows.len() == 1 => Ok(rows[0].clone()),
            other => Err(format!("{other:?}")),
        }
    })
    .await;
    assert!(shown.as_str().is_some_and(|t| t.contains("Số 37")), "{shown}");
    // The row shown is the match (the others are hidden).
    let href = browser
        .eval("return Array.from(document.querySelectorAll('.member-row')).find(r => !r.hidden).querySelector('a').getAttribute('href');")
        .await;
    browser
        .open(&format!("{}{}", app.base, href.as_str().expect("href")))
        .await;
    taps += 1;
    report_taps("find one household among 49 and open it", taps);
    let heading = browser.find("main h1").await.text().await.expect("heading");
    assert_eq!(heading, "Hộ ông Phạm Văn Số 37");
    check_screen(&browser).await;
    // A plot given, then taken back.
    let assigned = tap_then_flash(&browser, &browser.find("#assign-plot button").await, &mut 0).await;
    assert!(assigned.contains("Đã giao thửa"), "{assigned}");
    let plots_before = browser.find_all(".assigned-plot").await.len();
    assert_eq!(plots_before, 1);
    let unassigned = tap_then_flash(&browser, &browser.find(".assigned-plot button").await, &mut 0).await;
    assert!(unassigned.contains("Đã bỏ giao thửa"), "{unassigned}");
    assert!(browser.find_all(".assigned-plot").await.is_empty());
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn feed_links_are_copied_with_a_tap_and_rotated_only_after_the_leader_reads_what_happens() {
    let Some((browser, app)) =
        start("feed_links_are_copied_with_a_tap_and_rotated_only_after_the_leader_reads_what_happens").await
    else {
        return;
    };
    let veg = app.veg().id;
    let leader = leader_of(&app, veg).await;
    let token = app.store.feed_token(veg).await.expect("token");
    sign_in(&browser, &app, &leader.phone).await;
    browser.open(&format!("{}/app/ban-hang", app.base)).await;
    let copy = browser.find("button[data-copy=feed-google]").await;
    assert!(
        copy.is_displayed().await.expect("shown"),
        "the page's script shows the copy buttons"
    );
    copy.click().await.expect("copy");
    let told = wait_for("the copy confirmed", Duration::from_secs(5), || async {
        let text = browser.find("#copy-status").await.text().await.unwrap_or_default();
        if text.contains("Đã chép") {
            Ok(text)
        } else {
            Err(text)
        }
    })
    .await;
    assert!(told.contains("Google Merchant Center"), "{told}");
    let copied = browser
        .eval("const f = document.getElementById('feed-google'); return [f.selectionStart, f.selectionEnd, f.value.length];")
        .await;
    let clipboard_or_selection = copied[1].as_i64().unwrap_or(0) > 0 || told.contains("Đã chép");
    assert!(clipboard_or_selection, "{copied}");
    check_screen(&browser).await;
    browser.find("#rotate-link").await.click().await.expect("rotate");
    let effects = browser.find("#rotate-effects").await.text().await.expect("effects");
    assert!(effects.contains(&token), "the links that will stop: {effects}");
    assert!(effects.contains("ngừng hoạt động ngay"), "{effects}");
    assert_eq!(
        app.store.feed_token(veg).await.expect("token"),
        token,
        "nothing changed yet"
    );
    check_screen(&browser).await;
    let done = tap_then_flash(&browser, &browser.find("#rotate-form button").await, &mut 0).await;
    assert!(done.contains("Đường dẫn cũ không còn dùng được"), "{done}");
    assert_ne!(app.store.feed_token(veg).await.expect("token"), token);
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_copies_an_inputs_usual_rate_from_its_label_and_a_slip_is_then_questioned() {
    let Some((browser, app)) =
        start("a_leader_copies_an_inputs_usual_rate_from_its_label_and_a_slip_is_then_questioned").await
    else {
        return;
    };
    let veg = app.veg().id;
    let leader = leader_of(&app, veg).await;
    sign_in(&browser, &app, &leader.phone).await;
    browser.open(&format!("{}/app/danh-muc/vat-tu", app.base)).await;
    type_into(&browser, "#trade_name", "Kali Phú Mỹ").await;
    type_into(&browser, "#active_ingredients", "Kali (K2O) 60%").await;
    let _ = tap_then_flash(&browser, &browser.find("#add-entry button[type=submit]").await, &mut 0).await;
    browser.find("#usage-form").await;
    check_screen(&browser).await;
    type_into(&browser, "#rate_low", "3").await;
    type_into(&browser, "#rate_high", "5").await;
    choose(&browser, "#rate_per", "sao").await;
    let _ = tap_then_flash(&browser, &browser.find("#usage-form button[type=submit]").await, &mut 0).await;
    let list = browser.find("#entries").await.text().await.expect("entries");
    assert!(
        list.contains("Kali Phú Mỹ") && list.contains("thường dùng 3–5 kg/sào"),
        "{list}"
    );
    // A member's 30 kg on 3 sào (10 kg/sào) is questioned.
    let grower = farmer(&app).await;
    let code = app.growing_lot("CN-2612-31", grower.id).await;
    let input = app.input_id(veg, "Kali Phú Mỹ").await;
    browser
        .open(&format!("{}/app/lo/{code}/ghi/fertilizing", app.base))
        .await;
    choose(&browser, "#input_product_id", &input.to_string()).await;
    type_into(&browser, "#amount", "40").await;
    choose(&browser, "#unit", "KGM").await;
    browser.find("#save").await.click().await.expect("save");
    let check = browser.find("#amount-check").await;
    let question = wait_for("the question", Duration::from_secs(5), || async {
        let text = check.text().await.unwrap_or_default();
        if text.contains("3–5 kg/sào") {
            Ok(text)
        } else {
            Err(text)
        }
    })
    .await;
    assert!(question.contains("13,3 kg/sào"), "{question}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_buyer_on_a_listing_page_sees_a_large_photo_and_can_call_or_zalo_the_cooperative() {
    let Some((browser, app)) =
        start("a_buyer_on_a_listing_page_sees_a_large_photo_and_can_call_or_zalo_the_cooperative").await
    else {
        return;
    };
    let veg = app.veg().id;
    let mut hashes = vec![];
    for (width, height) in [(1600, 1200), (1200, 900)] {
        let (status, uploaded) = app
            .upload(
                reqwest::Method::POST,
                &format!("/api/v1/cooperatives/{veg}/photos"),
                Some(&app.veg().leader),
                crate::helpers::png_photo(width, height),
                "image/png",
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "{uploaded}");
        hashes.push(uploaded["hash"].as_str().expect("hash").to_owned());
    }
    let (status, listing) = app
        .post(
            &format!("/api/v1/cooperatives/{veg}/listings"),
            &app.veg().leader,
            json!({
                "title_vi": "Cải ngọt Tây Tựu túi 500 g",
                "description_vi": "Hái buổi sáng, giao trong ngày.",
                "price_vnd": "18.000",
                "pack_size": "500 g",
                "lots": ["CN-2609-01-B"],
                "photos": hashes,
            }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{listing}");
    browser
        .open(&format!("{}/htx/{veg}/san-pham/{}", app.base, listing["id"]))
        .await;
    browser.find("#hero-photo").await;
    let width = browser
        .eval("return document.getElementById('hero-photo').getBoundingClientRect().width;")
        .await
        .as_f64()
        .unwrap_or(0.0);
    assert!(
        width >= 280.0,
        "the photo fills the phone's width, not a thumbnail: {width}"
    );
    let call = browser
        .find("#call")
        .await
        .attr("href")
        .await
        .expect("href")
        .unwrap_or_default();
    let coop = app.store.cooperative(veg).await.expect("coop");
    let digits: String = coop.phone.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(call, format!("tel:{digits}"));
    let zalo = browser
        .find("#zalo")
        .await
        .attr("href")
        .await
        .expect("href")
        .unwrap_or_default();
    assert_eq!(zalo, format!("https://zalo.me/{digits}"));
    let buttons = heights(&browser, ".contact-buttons a").await;
    assert!(buttons.len() == 2 && buttons.iter().all(|h| *h >= 44.0), "{buttons:?}");
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "listing").await;

    // The leader's form says the photo is what the feeds need.
    let leader = leader_of(&app, veg).await;
    sign_in(&browser, &app, &leader.phone).await;
    browser.open(&format!("{}/app/ban-hang/moi", app.base)).await;
    let legend = browser.find("#photo-required").await.text().await.expect("text");
    assert!(legend.contains("bắt buộc") && legend.contains("Google"), "{legend}");
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_imports_a_kept_diary_watching_its_upload_progress_and_lands_on_the_lot() {
    let Some((browser, app)) =
        start("a_leader_imports_a_kept_diary_watching_its_upload_progress_and_lands_on_the_lot").await
    else {
        return;
    };
    let veg = app.veg().id;
    // A growing lot on Ruộng Bãi Sau, the plot the sample diary names.
    let plot = app
        .store
        .plots(veg)
        .await
        .expect("plots")
        .into_iter()
        .find(|p| p.name == "Ruộng Bãi Sau")
        .expect("plot");
    let product = app.store.products(veg).await.expect("products")[0].id;
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{veg}/lots"),
            &app.veg().leader,
            json!({ "code": "CN-2611-02", "product_id": product, "plot_ids": [plot.id] }),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::CREATED, "{body}");
    let leader = leader_of(&app, veg).await;
    sign_in(&browser, &app, &leader.phone).await;
    browser
        .open(&format!("{}/app/lo/CN-2611-02/nhap-nhat-ky", app.base))
        .await;
    check_screen(&browser).await;
    // What the page shows while the file travels, kept where the next page can still read it.
    browser
        .eval(
            "sessionStorage.removeItem('import-seen'); \
             const send = XMLHttpRequest.prototype.send; \
             XMLHttpRequest.prototype.send = function (body) { \
               const note = () => sessionStorage.setItem('import-seen', JSON.stringify({ \
                 hidden: document.getElementById('import-sending').hidden, \
                 value: document.getElementById('import-progress').value, \
                 text: document.getElementById('import-sending-text').textContent, \
                 disabled: document.querySelector('#import-diary button[type=submit]').disabled })); \
               this.upload.addEventListener('progress', note); \
               this.upload.addEventListener('load', note); \
               return send.call(this, body); }; \
             return null;",
        )
        .await;
    let sample = std::path::Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../fixtures/nhat-ky-cai-ngot-bai-sau.csv"
    ))
    .canonicalize()
    .expect("the sample diary");
    browser
        .find("#file")
        .await
        .send_keys(sample.to_str().expect("utf-8 path"))
        .await
        .expect("choose the file");
    let mut taps = 2; // the file field and the file chosen
    // The screen checks first ("Chỉ kiểm tra" is ticked): nothing is written yet.
    tap(&browser.find("#import-diary button[type=submit]").await, &mut taps).await;
    let checked = text_once_it_says(&browser, "import-summary", "9 dòng mới").await;
    assert!(checked.contains("Tệp hợp lệ"), "{checked}");
    assert!(app.store.events(veg, "CN-2611-02").await.expect("events").is_empty());
    check_screen(&browser).await;
    // Then for real: the answer has "Chỉ kiểm tra" unticked; choose the file again (a page that
    // answers a post cannot keep it) and send.
    let ticked = browser
        .eval("return document.querySelector('input[name=dry_run]').checked;")
        .await;
    assert_eq!(ticked, false, "after a good check the next tap writes");
    taps += 2; // the file field and the file chosen, again
    browser
        .find("#file")
        .await
        .send_keys(sample.to_str().expect("utf-8 path"))
        .await
        .expect("choose the file again");
    tap(&browser.find("#import-diary button[type=submit]").await, &mut taps).await;
    let lot_page = format!("{}/app/lo/CN-2611-02", app.base);
    wait_url(&browser, "the lot after the import", |url| url == lot_page).await;
    let flash = text_once_it_says(&browser, "flash", "Đã ghi").await;
    assert!(flash.contains("Đã ghi 9 dòng"), "{flash}");
    let seen = browser.eval("return sessionStorage.getItem('import-seen');").await;
    let seen: serde_json::Value = serde_json::from_str(seen.as_str().expect("progress was shown")).expect("json");
    assert_eq!(seen["hidden"], false, "the progress box is shown while sending: {seen}");
    assert_eq!(seen["value"], 100, "{seen}");
    assert_eq!(seen["disabled"], true, "a second tap cannot send it twice: {seen}");
    assert!(seen["text"].as_str().is_some_and(|t| t.contains("đang đọc")), "{seen}");
    assert_eq!(app.store.events(veg, "CN-2611-02").await.expect("events").len(), 9);
    report_taps(
        "import a kept diary, checked first (file → choose → Nhập nhật ký → file → choose → Nhập nhật ký)",
        taps,
    );
    check_screen(&browser).await;
    browser.close().await;
}
