//! The cooperative's app (`/app`) in a phone's Chromium: a member of the vegetable cooperative
//! signs in with phone and password, opens a growing lot from the home screen and logs
//! fertilizing in at most four taps; every screen on the way passes axe-core.

use std::io::Write;
use std::time::Instant;

use crate::support::{assert_fits, screenshot, sign_in, start, tap, type_sign_in};

/// The most taps logging a step may take, from the home screen to the saved step.
const MOST_TAPS: usize = 4;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_in_and_logs_fertilizing_in_at_most_four_taps() {
    let Some((browser, app)) = start("a_member_signs_in_and_logs_fertilizing_in_at_most_four_taps").await else {
        return;
    };
    let started = Instant::now();
    let coop = app.veg().id;
    let member = &crate::support::farmer(&app).await;
    let code = app.growing_lot("CN-2611-21", member.id).await;
    let lot_path = format!("/app/lo/{code}");

    // Signed out, the app sends the phone to the sign-in page.
    browser.open(&format!("{}/app", app.base)).await;
    let url = browser.url().await;
    assert!(
        url.starts_with(&format!("{}/app/dang-nhap", app.base)),
        "signed out, /app goes to sign in: {url}"
    );
    browser.find("#phone").await;
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "1-sign-in").await;
    type_sign_in(&browser, &member.phone).await;

    // Home: the member's lots as big cards.
    let card = browser.find(&format!("a.bigcard[href=\"{lot_path}\"]")).await;
    assert_eq!(
        browser.url().await,
        format!("{}/app", app.base),
        "signed in, back to /app"
    );
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "2-home").await;

    let mut taps = 0;
    tap(&card, &mut taps).await;

    // The lot: one button per kind of step.
    browser.find("ul.kinds a").await;
    assert_eq!(browser.url().await, format!("{}{lot_path}", app.base));
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "3-lot").await;
    let mut fertilizing = None;
    for button in browser.find_all("ul.kinds a").await {
        if button.text().await.expect("button text").trim() == "Bón phân" {
            fertilizing = Some(button);
        }
    }
    let fertilizing = fertilizing.expect("a \"Bón phân\" button on the lot page");
    tap(&fertilizing, &mut taps).await;

    // The fertilizing form, prefilled from this member's last fertilizing.
    let amount = browser.find("#amount").await;
    assert_eq!(browser.url().await, format!("{}{lot_path}/ghi/fertilizing", app.base));
    let unit = browser.find("#unit").await.prop("value").await.expect("the unit");
    assert_eq!(
        unit.as_deref(),
        Some("KGM"),
        "the form starts in kilograms, the unit of this member's last fertilizing"
    );
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "4-form").await;
    // Tap the amount field, replace what was prefilled, tap "Lưu".
    tap(&amount, &mut taps).await;
    amount.clear().await.expect("clear the amount");
    amount.send_keys("7,5").await.expect("type the amount");
    screenshot(&browser, "5-form-filled").await;
    let save = browser.find("#save").await;
    assert_eq!(save.text().await.expect("button text").trim(), "Lưu");
    tap(&save, &mut taps).await;

    // Back on the lot page: the confirmation, and the step in the timeline.
    let flash = browser.find("#flash").await.text().await.expect("flash text");
    assert_eq!(browser.url().await, format!("{}{lot_path}", app.base));
    assert!(flash.contains("Đã lưu"), "the confirmation: {flash}");
    let timeline = browser.find("#timeline").await.text().await.expect("timeline text");
    assert!(
        timeline.contains("7,5 kg"),
        "the timeline shows the amount typed: {timeline}"
    );
    browser.assert_accessible().await;
    screenshot(&browser, "6-saved").await;
    assert!(
        taps <= MOST_TAPS,
        "logging fertilizing took {taps} taps, more than {MOST_TAPS}"
    );

    // Stored once, as this member's.
    let history = app.store.history(coop, &code).await.expect("history");
    assert_eq!(history.events.len(), 1, "exactly one step stored");
    let stored = &history.events[0].event;
    assert_eq!(stored.actor, member.id, "stored as the member who signed in");
    let farm_log::EventBody::Fertilizing { amount, .. } = &stored.body else {
        panic!("a fertilizing was stored: {:?}", stored.body);
    };
    assert_eq!(amount.value.normalize().to_string(), "7.5");
    assert_eq!(amount.unit.code(), "KGM");

    let _ = writeln!(
        std::io::stderr(),
        "app: {taps} taps, {:.1} s in the browser",
        started.elapsed().as_secs_f64()
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_recalls_a_lot_in_the_app_and_its_public_page_shows_the_banner_at_once() {
    let Some((browser, app)) =
        start("a_leader_recalls_a_lot_in_the_app_and_its_public_page_shows_the_banner_at_once").await
    else {
        return;
    };
    let coop = app.veg().id;
    let members = app.store.members(coop).await.expect("members");
    let leader = members
        .iter()
        .find(|m| m.role == farm_log::Role::Leader)
        .expect("the demo leader");
    // The buyer's page of a child lot, opened before the recall: no banner.
    let public = format!("{}/htx/{coop}/lo/CN-2609-01-B", app.base);
    browser.open(&public).await;
    assert!(
        browser.find_all("#recall").await.is_empty(),
        "no banner before the recall"
    );

    sign_in(&browser, &app, &leader.phone).await;
    browser.find("#manage").await;
    // The parent lot: its page leads to the recall, which first says what it will do.
    browser.open(&format!("{}/app/lo/CN-2609-01", app.base)).await;
    browser.find("#recall-link").await.click().await.expect("tap recall");
    let effects = browser.find("#recall-effects").await.text().await.expect("effects");
    for lot in ["CN-2609-01-A", "CN-2609-01-B"] {
        assert!(
            effects.contains(lot),
            "the recall names {lot} before it is done: {effects}"
        );
    }
    let received = browser.find("#recipients").await.text().await.expect("recipients");
    assert!(
        received.contains("Chuỗi cửa hàng rau sạch Bác Tôm") && received.contains("PXK-2610-118"),
        "who received the goods, to contact: {received}"
    );
    assert!(
        app.store.lot(coop, "CN-2609-01").await.expect("lot").status != farm_log::LotStatus::Recalled,
        "nothing is recalled before the confirmation"
    );
    let reason = browser.find("#recall-form textarea").await;
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    reason
        .send_keys("Mẫu kiểm nghiệm dư lượng vượt ngưỡng (phiếu KN-118)")
        .await
        .expect("type the reason");
    browser
        .find("#recall-form button[type=submit]")
        .await
        .click()
        .await
        .expect("tap recall");
    let flash = browser.find("#flash").await.text().await.expect("flash text");
    assert!(
        flash.contains("CN-2609-01-B"),
        "the recall reached the child lot: {flash}"
    );
    screenshot(&browser, "recalled").await;

    // The buyer's page shows the banner straight away, naming the reason.
    browser.open(&public).await;
    let banner = browser.find("#recall").await.text().await.expect("banner text");
    assert!(banner.contains("KN-118"), "the banner gives the reason: {banner}");
    browser.assert_accessible().await;
    screenshot(&browser, "public-banner").await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_another_cooperative_is_refused_on_every_screen_of_this_one() {
    let Some((browser, app)) = start("a_member_of_another_cooperative_is_refused_on_every_screen_of_this_one").await
    else {
        return;
    };
    let veg = app.veg().id;
    let veg_members = app.store.members(veg).await.expect("members");
    let target = veg_members
        .iter()
        .find(|m| m.role == farm_log::Role::Member)
        .expect("a member");
    let pomelo = app.store.members(app.pomelo().id).await.expect("members");
    let stranger = pomelo
        .iter()
        .find(|m| m.role == farm_log::Role::Member)
        .expect("a member of the other cooperative");
    let growing = app.growing_lot("CN-2611-60", target.id).await;
    sign_in(&browser, &app, &stranger.phone).await;
    for path in [
        format!("/app/lo/{growing}"),
        format!("/app/lo/{growing}/ghi/fertilizing"),
        format!("/app/lo/{growing}/ghi/spraying"),
        "/app/lo/CN-2609-01".to_owned(),
        "/app/lo/CN-2609-01-A/tem".to_owned(),
        format!("/app/lo/{growing}/nhat-ky.csv"),
    ] {
        browser.open(&format!("{}{path}", app.base)).await;
        let heading = browser.find("main h1").await.text().await.expect("heading");
        assert_eq!(heading.trim(), "Không có quyền", "{path}: {heading}");
        let text = browser.text().await;
        assert!(
            !text.contains(&target.name) && !text.contains("Lưu"),
            "{path} shows nothing of theirs: {text}"
        );
    }
    browser.assert_accessible().await;
    screenshot(&browser, "refused").await;
    browser.close().await;
}
