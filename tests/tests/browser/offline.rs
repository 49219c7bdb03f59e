//! The cooperative's app without signal, in a phone's Chromium: a member opens the fertilizing
//! form with signal (the service worker keeps it), loses the signal, logs two steps — each kept
//! on the phone (IndexedDB) under its own event id — and when the signal returns the page sends
//! them by itself, and the server stores each exactly once, however often the page is reloaded
//! or the signal drops again afterwards.
//!
//! "No signal" is chromedriver's network emulation ([`Browser::set_offline`]), which is the
//! page's only: the service worker runs in a target of its own that chromedriver does not
//! emulate, so a GET the worker passes on to the network still reaches the server while the
//! page is "offline" (a page fetch of a never-cached app address answers 200). What this test
//! can prove is the page's part: with `navigator.onLine` false it keeps the steps on the phone,
//! and its own requests (the form's POST, which the worker leaves alone) cannot reach the
//! server. The last test proves the worker's part: it puts a TCP line ([`Line`]) between the
//! browser and the app and cuts it, so nothing gets through; the kept pages still open, and a
//! step saved while `navigator.onLine` wrongly says "online" is kept and sent later.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::{Duration, Instant};

use serde_json::json;
use tests::browser::Browser;

use crate::helpers::TestApp;
use crate::support::{
    Line, SCREEN_WAIT, counter, eval_async, form_event_id, indexed_db, screenshot, sign_in, start, wait_for,
    wait_for_service_worker, wait_pending,
};

/// How long the page may take to send its queue once the signal is back.
const SYNC_WAIT: Duration = Duration::from_secs(20);

/// Long enough for a page with signal to have tried sending its queue again ("every few
/// seconds"), so a duplicate would have had its chance to arrive.
const RESEND_CHANCE: Duration = Duration::from_secs(7);

/// What the saved-on-the-phone note says.
const SAVED_ON_PHONE: &str = "Đã lưu trên máy";

/// Whether a fetch of `url` from the page gets an answer: `true` with its status, `false`
/// with the error.
async fn fetch_from_page(browser: &Browser, url: &str) -> (bool, String) {
    let answer = eval_async(
        browser,
        &format!(
            "fetch({url:?}, {{ cache: 'no-store' }}).then(r => done({{ ok: true, seen: String(r.status) }}), \
             e => done({{ ok: false, seen: String(e) }}));"
        ),
    )
    .await;
    (
        answer["ok"].as_bool().unwrap_or(false),
        answer["seen"].as_str().unwrap_or_default().to_owned(),
    )
}

/// The fertilizing steps stored on the lot: `(event id, amount, unit, actor)`.
async fn stored_fertilizings(app: &TestApp, code: &str) -> Vec<(String, String, String, i64)> {
    let history = app.store.history(app.veg().id, code).await.expect("history");
    history
        .events
        .iter()
        .map(|stored| {
            let event = &stored.event;
            let farm_log::EventBody::Fertilizing { amount, .. } = &event.body else {
                panic!("only fertilizing is logged on {code}: {:?}", event.body);
            };
            (
                event.id.to_string(),
                amount.value.normalize().to_string(),
                amount.unit.code().to_owned(),
                event.actor,
            )
        })
        .collect()
}

/// [`stored_fertilizings`], sorted.
async fn sorted_fertilizings(app: &TestApp, code: &str) -> Vec<(String, String, String, i64)> {
    let mut stored = stored_fertilizings(app, code).await;
    stored.sort();
    stored
}

/// Types `amount` into the form (replacing what is there) and taps "Lưu".
async fn log_amount(browser: &Browser, amount: &str) {
    let field = browser.find("#amount").await;
    field.clear().await.expect("clear the amount");
    field.send_keys(amount).await.expect("type the amount");
    browser.find("#save").await.click().await.expect("tap save");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_network_can_be_cut_and_given_back() {
    let Some((browser, app)) = start("the_network_can_be_cut_and_given_back").await else {
        return;
    };
    // The health check: no service worker controls it and no Content-Security-Policy keeps
    // its script from fetching (the public pages allow no fetch at all).
    let page = format!("{}/healthz", app.base);
    browser.open(&page).await;
    browser
        .eval(
            "window.__network = []; \
             addEventListener('offline', () => __network.push('offline')); \
             addEventListener('online', () => __network.push('online')); return null;",
        )
        .await;
    assert_eq!(browser.eval("return navigator.onLine;").await, json!(true));
    let (reached, seen) = fetch_from_page(&browser, &page).await;
    assert!(reached, "with signal, the page reaches the server: {seen}");

    browser.set_offline(true).await;
    assert_eq!(
        browser.eval("return navigator.onLine;").await,
        json!(false),
        "offline, navigator.onLine is false"
    );
    let (reached, seen) = fetch_from_page(&browser, &page).await;
    assert!(!reached, "offline, a fetch from the page fails (it answered {seen})");
    assert_eq!(browser.eval("return __network;").await, json!(["offline"]));

    browser.set_offline(false).await;
    assert_eq!(browser.eval("return navigator.onLine;").await, json!(true));
    let (reached, seen) = fetch_from_page(&browser, &page).await;
    assert!(reached, "back online, the page reaches the server again: {seen}");
    assert_eq!(browser.eval("return __network;").await, json!(["offline", "online"]));

    // Offline holds for the next page too: it does not load (Chromium shows its error page).
    let text = browser.text().await;
    browser.set_offline(true).await;
    let navigation = browser.client().goto(&format!("{page}?again")).await;
    assert_eq!(browser.eval("return navigator.onLine;").await, json!(false));
    let shown = browser
        .eval("return [location.href, document.body ? document.body.innerText : null];")
        .await;
    assert_ne!(
        shown[1],
        json!(text),
        "offline, a new page does not load (navigation: {navigation:?}; shown: {shown})"
    );
    browser.set_offline(false).await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_steps_logged_without_signal_arrive_exactly_once_when_it_returns() {
    let Some((browser, app)) = start("two_steps_logged_without_signal_arrive_exactly_once_when_it_returns").await
    else {
        return;
    };
    let member = &crate::support::farmer(&app).await;
    let code = app.growing_lot("CN-2611-31", member.id).await;
    let lot_url = format!("{}/app/lo/{code}", app.base);
    let form_url = format!("{lot_url}/ghi/fertilizing");

    // With signal: sign in, open the lot and the fertilizing form.
    sign_in(&browser, &app, &member.phone).await;
    browser.open(&lot_url).await;
    browser.find("ul.kinds a").await;
    browser.open(&form_url).await;
    browser.find("#step-form").await;

    // The service worker registered from the app takes control of the form page.
    let registration = wait_for_service_worker(&browser).await;
    assert_eq!(
        registration,
        json!({ "scope": format!("{}/app", app.base), "script": format!("{}/app/sw.js", app.base) }),
        "the app's service worker"
    );
    // Once more with the worker in control, so the form and its assets go through it.
    browser.open(&form_url).await;
    browser.find("#step-form").await;
    wait_for_service_worker(&browser).await;
    let status_role = browser
        .eval("const s = document.getElementById('sync-status'); return s && s.getAttribute('role');")
        .await;
    assert_eq!(status_role, json!("status"), "#sync-status is a status");
    wait_pending(&browser, 0, SCREEN_WAIT).await;
    assert_eq!(stored_fertilizings(&app, &code).await, Vec::new(), "nothing logged yet");

    // No signal.
    browser.set_offline(true).await;
    assert_eq!(browser.eval("return navigator.onLine;").await, json!(false));

    // First step: 12 (kilograms, the form's unit), saved on the phone; the form closes, so a
    // second tap cannot log it twice.
    let first_id = form_event_id(&browser).await;
    log_amount(&browser, "12").await;
    let note = wait_for("the saved-on-the-phone note", SCREEN_WAIT, || async {
        let Some(note) = browser.find_all("#offline-saved").await.into_iter().next() else {
            return Err("no #offline-saved".to_owned());
        };
        let shown = note.is_displayed().await.unwrap_or(false);
        let text = note.text().await.unwrap_or_default();
        if shown && text.contains(SAVED_ON_PHONE) {
            Ok(text)
        } else {
            Err(format!("#offline-saved shown: {shown}, text {text:?}"))
        }
    })
    .await;
    assert_eq!(
        browser.url().await,
        form_url,
        "saving offline stays on the form ({note})"
    );
    assert!(
        !browser
            .find("#step-form")
            .await
            .is_displayed()
            .await
            .expect("displayed"),
        "the form is closed once the step is saved on the phone"
    );
    wait_pending(&browser, 1, SCREEN_WAIT).await;
    screenshot(&browser, "1-offline-saved").await;

    // "Ghi thêm một lần nữa": the form again, with an event id of its own.
    browser.find("#log-again").await.click().await.expect("tap log again");
    let second_id = form_event_id(&browser).await;
    assert_ne!(second_id, first_id, "the form has a new event id for the next step");

    // Second step: 15.
    log_amount(&browser, "15").await;
    wait_pending(&browser, 2, SCREEN_WAIT).await;
    browser.find("#log-again").await.click().await.expect("tap log again");
    let third_id = form_event_id(&browser).await;
    assert_eq!(browser.url().await, form_url, "still on the form");
    let ids: BTreeSet<&str> = [&first_id, &second_id, &third_id]
        .into_iter()
        .map(String::as_str)
        .collect();
    assert_eq!(ids.len(), 3, "every step gets an event id of its own: {ids:?}");

    // Both are on the phone, under the ids the form had, and none reached the server.
    let queued = indexed_db(&browser).await;
    let queued_text = queued.to_string();
    for id in [&first_id, &second_id] {
        assert!(
            queued_text.contains(id.as_str()),
            "the step with event id {id} is kept in IndexedDB: {queued}"
        );
    }
    assert!(
        !queued_text.contains(third_id.as_str()),
        "the id the form holds now is not used yet: {queued}"
    );
    assert_eq!(
        stored_fertilizings(&app, &code).await,
        Vec::new(),
        "nothing reaches the server without signal"
    );
    browser.assert_accessible().await;
    screenshot(&browser, "2-offline-two-pending").await;

    // The signal returns: the page sends its queue by itself.
    browser.set_offline(false).await;
    let started = Instant::now();
    wait_pending(&browser, 0, SYNC_WAIT).await;
    let _ = writeln!(
        std::io::stderr(),
        "offline: the queue was sent {:.1} s after the signal returned",
        started.elapsed().as_secs_f64()
    );
    let done = counter(&browser, "sync-done").await.expect("#sync-done");
    assert!(done >= 2, "#sync-done counts the two steps sent: {done}");
    screenshot(&browser, "3-synced").await;

    let expect = {
        let mut expect = vec![
            (first_id.clone(), "12".to_owned(), "KGM".to_owned(), member.id),
            (second_id.clone(), "15".to_owned(), "KGM".to_owned(), member.id),
        ];
        expect.sort();
        expect
    };
    assert_eq!(
        sorted_fertilizings(&app, &code).await,
        expect,
        "both steps stored once, under their own ids, as the member's"
    );

    // Reloads, and the signal dropping and returning again, send nothing twice.
    for _ in 0..2 {
        browser.client().refresh().await.expect("reload");
        browser.find("#step-form").await;
        wait_pending(&browser, 0, SCREEN_WAIT).await;
    }
    // (The page reloads "without signal" too, but through the service worker, which
    // chromedriver's emulation does not cut off: it says nothing about the worker's cache.)
    browser.set_offline(true).await;
    browser.client().refresh().await.expect("reload without signal");
    browser.find("#step-form").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    browser.set_offline(false).await;
    browser.open(&form_url).await;
    browser.find("#step-form").await;
    tokio::time::sleep(RESEND_CHANCE).await;
    wait_pending(&browser, 0, SCREEN_WAIT).await;
    assert_eq!(
        sorted_fertilizings(&app, &code).await,
        expect,
        "still exactly the two steps after reloads and another loss of signal"
    );
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_photo_taken_without_signal_travels_with_its_step_when_the_signal_returns() {
    let Some((browser, app)) =
        start("a_photo_taken_without_signal_travels_with_its_step_when_the_signal_returns").await
    else {
        return;
    };
    let coop = app.veg().id;
    let member = &crate::support::farmer(&app).await;
    let code = app.growing_lot("CN-2611-32", member.id).await;
    let form_url = format!("{}/app/lo/{code}/ghi/observation", app.base);
    // The phone's camera roll: a photo file on disk, as the file picker would hand it over.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let photo_path = dir.path().join("IMG_2041.png");
    std::fs::write(&photo_path, crate::helpers::png_photo(1200, 900)).expect("write the photo");

    sign_in(&browser, &app, &member.phone).await;
    browser.open(&form_url).await;
    browser.find("#step-form").await;
    wait_for_service_worker(&browser).await;
    browser.open(&form_url).await;
    browser.find("#step-form").await;

    browser.set_offline(true).await;
    let id = form_event_id(&browser).await;
    browser
        .find("#subject")
        .await
        .send_keys("Bệnh thán thư trên lá")
        .await
        .expect("type what was seen");
    browser
        .find("#photo")
        .await
        .send_keys(photo_path.to_str().expect("a path"))
        .await
        .expect("attach the photo");
    browser.find("#save").await.click().await.expect("tap save");
    wait_pending(&browser, 1, SCREEN_WAIT).await;
    let queued = indexed_db(&browser).await;
    assert!(
        queued.to_string().contains(&id),
        "the step waits on the phone with its id: {queued}"
    );
    assert!(app.store.history(coop, &code).await.expect("history").events.is_empty());
    screenshot(&browser, "photo-waiting").await;

    browser.set_offline(false).await;
    wait_pending(&browser, 0, SYNC_WAIT).await;
    let history = app.store.history(coop, &code).await.expect("history");
    assert_eq!(history.events.len(), 1, "one step arrived");
    let event = &history.events[0].event;
    assert_eq!(event.id.to_string(), id);
    let photo = event.photos.first().expect("the photo came with it").to_hex();
    let stored = app.store.media(&photo, "card").await.expect("read").expect("stored");
    assert_eq!(stored.content_type, "image/jpeg", "re-encoded as JPEG");
    assert!(matches!(history.chain, farm_log::ChainStatus::Intact { .. }));
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_no_line_at_all_the_kept_pages_open_and_a_step_waits_until_the_line_returns() {
    let Some((browser, app)) =
        start("with_no_line_at_all_the_kept_pages_open_and_a_step_waits_until_the_line_returns").await
    else {
        return;
    };
    let coop = app.veg().id;
    let member = &crate::support::farmer(&app).await;
    let code = app.growing_lot("CN-2611-33", member.id).await;
    let line = Line::to(&app).await;
    let lot_url = format!("{}/app/lo/{code}", line.base());
    let form_url = format!("{lot_url}/ghi/observation");

    // With signal, through the line: sign in, open the lot and the form (the worker keeps them).
    browser.open(&format!("{}/app/dang-nhap", line.base())).await;
    crate::support::type_sign_in(&browser, &member.phone).await;
    browser.open(&form_url).await;
    browser.find("#step-form").await;
    wait_for_service_worker(&browser).await;
    browser.open(&lot_url).await;
    browser.find("ul.kinds").await;
    browser.open(&form_url).await;
    browser.find("#step-form").await;

    // The line goes dead for the page and the worker alike.
    line.set_cut(true);
    browser.open(&lot_url).await;
    let shown = browser.find("#lot-code").await.text().await.expect("lot code");
    assert_eq!(shown.trim(), code, "the lot page opens from what the worker kept");
    browser.open(&form_url).await;
    browser
        .find("#subject")
        .await
        .send_keys("Ruộng ngập sau mưa")
        .await
        .expect("type");
    let id = form_event_id(&browser).await;
    browser.find("#save").await.click().await.expect("tap save");
    // navigator.onLine still says "online": the post fails on the way and the step is kept.
    wait_pending(&browser, 1, SCREEN_WAIT).await;
    assert!(app.store.history(coop, &code).await.expect("history").events.is_empty());
    screenshot(&browser, "no-line").await;

    line.set_cut(false);
    wait_pending(&browser, 0, SYNC_WAIT).await;
    let history = app.store.history(coop, &code).await.expect("history");
    assert_eq!(history.events.len(), 1, "the step arrived once");
    assert_eq!(history.events[0].event.id.to_string(), id);
    browser.close().await;
}
