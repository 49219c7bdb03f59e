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
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use tests::browser::Browser;

use crate::helpers::TestApp;
use crate::support::{sign_in, start};

/// How long the page may take to send its queue once the signal is back.
const SYNC_WAIT: Duration = Duration::from_secs(20);

/// How long the service worker may take to install and take control of the page.
const WORKER_WAIT: Duration = Duration::from_secs(10);

/// How long the page may take to show a change on screen (saved note, counter).
const SCREEN_WAIT: Duration = Duration::from_secs(5);

/// Long enough for a page with signal to have tried sending its queue again ("every few
/// seconds"), so a duplicate would have had its chance to arrive.
const RESEND_CHANCE: Duration = Duration::from_secs(7);

/// What the saved-on-the-phone note says.
const SAVED_ON_PHONE: &str = "Đã lưu trên máy";

/// Saves the screen as `browser-screenshots/<test>-<step>.png`.
async fn screenshot(browser: &Browser, step: &str) -> PathBuf {
    let shot = browser.screenshot().await;
    let stem = shot.file_stem().and_then(|s| s.to_str()).expect("a screenshot name");
    let path = shot.with_file_name(format!("{stem}-{step}.png"));
    std::fs::copy(&shot, &path).expect("copy the screenshot");
    let _ = writeln!(std::io::stderr(), "step screenshot: {}", path.display());
    path
}

/// Runs asynchronous JavaScript: `done(value)` answers.
async fn eval_async(browser: &Browser, script: &str) -> Value {
    browser
        .client()
        .execute_async(
            &format!("const done = arguments[arguments.length - 1];\n{script}"),
            Vec::new(),
        )
        .await
        .unwrap_or_else(|e| panic!("evaluate {script}: {e}"))
}

/// Polls `check` every 200 ms until it gives `Some`, for at most `wait`; panics saying `what`
/// (and the last thing seen) when it never does.
async fn wait_for<T, F, Fut>(what: &str, wait: Duration, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>>,
{
    let start = Instant::now();
    loop {
        match check().await {
            Ok(value) => return value,
            Err(seen) if start.elapsed() >= wait => {
                panic!("waited {wait:?} for {what}; last seen: {seen}")
            }
            Err(_) => tokio::time::sleep(Duration::from_millis(200)).await,
        }
    }
}

/// The number shown in the element `#{id}` (`sync-pending`, `sync-done`), read from the page
/// (the status may be hidden while there is nothing to say); `Err` says what is there instead.
async fn counter(browser: &Browser, id: &str) -> Result<u64, String> {
    let text = browser
        .eval(&format!(
            "const e = document.getElementById({id:?}); return e ? e.textContent : null;"
        ))
        .await;
    match text.as_str() {
        Some(text) => text.trim().parse().map_err(|_| format!("#{id} shows {text:?}")),
        None => Err(format!("no #{id} on {}", browser.url().await)),
    }
}

/// Waits until `#sync-pending` shows `expected`.
async fn wait_pending(browser: &Browser, expected: u64, wait: Duration) {
    wait_for(&format!("#sync-pending to show {expected}"), wait, || async {
        match counter(browser, "sync-pending").await {
            Ok(n) if n == expected => Ok(()),
            Ok(n) => Err(format!("{n}")),
            Err(seen) => Err(seen),
        }
    })
    .await;
}

/// The event id the step form will send (its hidden `id` field).
async fn form_event_id(browser: &Browser) -> String {
    browser
        .find("#step-form input[name=id]")
        .await
        .prop("value")
        .await
        .expect("read the event id")
        .unwrap_or_default()
}

/// Waits until a service worker controls the page, reloading it once if the worker only took
/// control of later pages; returns the worker's registration: `{scope, script}`.
async fn wait_for_service_worker(browser: &Browser) -> Value {
    let controlled = || async {
        match browser
            .eval("return navigator.serviceWorker && navigator.serviceWorker.controller ? navigator.serviceWorker.controller.scriptURL : null;")
            .await
        {
            Value::String(script) => Ok(script),
            other => Err(format!("controller {other}")),
        }
    };
    let start = Instant::now();
    let mut reloaded = false;
    loop {
        if controlled().await.is_ok() {
            break;
        }
        if !reloaded && start.elapsed() >= WORKER_WAIT / 2 {
            let _ = writeln!(
                std::io::stderr(),
                "offline: no service worker controls {} yet; reloading once",
                browser.url().await
            );
            browser.client().refresh().await.expect("reload");
            reloaded = true;
        }
        assert!(
            start.elapsed() < WORKER_WAIT,
            "no service worker controls {} after {WORKER_WAIT:?}: {}",
            browser.url().await,
            eval_async(browser, REGISTRATIONS).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    eval_async(
        browser,
        "navigator.serviceWorker.getRegistration().then(r => done(r ? { scope: r.scope, \
         script: (r.active || r.waiting || r.installing || {}).scriptURL || null } : null), \
         e => done({ error: String(e) }));",
    )
    .await
}

/// Every service worker registration of the page's origin, for failure messages.
const REGISTRATIONS: &str = "if (!navigator.serviceWorker) { done('no navigator.serviceWorker'); } else { \
     navigator.serviceWorker.getRegistrations().then(rs => done(rs.map(r => ({ scope: r.scope, \
     active: r.active && r.active.scriptURL, waiting: r.waiting && r.waiting.scriptURL, \
     installing: r.installing && r.installing.scriptURL })))); }";

/// Everything in every IndexedDB database of the page's origin, as
/// `{database: {store: [records]}}` (the contract names no database or store).
async fn indexed_db(browser: &Browser) -> Value {
    eval_async(
        browser,
        r#"(async () => {
            const out = {};
            for (const { name } of await indexedDB.databases()) {
                const db = await new Promise((ok, ko) => {
                    const r = indexedDB.open(name);
                    r.onsuccess = () => ok(r.result);
                    r.onerror = () => ko(r.error);
                });
                out[name] = {};
                for (const store of db.objectStoreNames) {
                    out[name][store] = await new Promise((ok, ko) => {
                        const r = db.transaction(store).objectStore(store).getAll();
                        r.onsuccess = () => ok(r.result);
                        r.onerror = () => ko(r.error);
                    });
                }
                db.close();
            }
            return out;
        })().then(done, e => done({ error: String(e) }));"#,
    )
    .await
}

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
        json!({ "scope": format!("{}/app/", app.base), "script": format!("{}/app/sw.js", app.base) }),
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

    // First step: 3 (kilograms, the form's unit), saved on the phone.
    let first_id = form_event_id(&browser).await;
    log_amount(&browser, "3").await;
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
    wait_pending(&browser, 1, SCREEN_WAIT).await;
    let second_id = form_event_id(&browser).await;
    assert_ne!(second_id, first_id, "the form has a new event id for the next step");
    screenshot(&browser, "1-offline-saved").await;

    // Second step: 4.
    log_amount(&browser, "4").await;
    wait_pending(&browser, 2, SCREEN_WAIT).await;
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
            (first_id.clone(), "3".to_owned(), "KGM".to_owned(), member.id),
            (second_id.clone(), "4".to_owned(), "KGM".to_owned(), member.id),
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

/// A TCP forwarder in front of the app whose line can be cut: the way a phone loses signal for
/// everything at once, its service worker included (chromedriver's emulation cuts only the page).
struct Line {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Line {
    async fn to(app: &TestApp) -> Self {
        let target: std::net::SocketAddr = app
            .base
            .trim_start_matches("http://")
            .parse()
            .expect("the app's address");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let port = listener.local_addr().expect("address").port();
        let cut = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let open = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let (cut_in, open_in) = (cut.clone(), open.clone());
        tokio::spawn(async move {
            while let Ok((mut phone, _)) = listener.accept().await {
                if cut_in.load(std::sync::atomic::Ordering::SeqCst) {
                    continue; // dropped: the connection is refused at once
                }
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut phone, &mut server).await;
                    }
                });
                open_in.lock().expect("lock").push(task);
            }
        });
        Self { port, cut, open }
    }

    fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Cuts every open connection and refuses new ones, or lets them through again.
    fn set_cut(&self, cut: bool) {
        self.cut.store(cut, std::sync::atomic::Ordering::SeqCst);
        if cut {
            for task in self.open.lock().expect("lock").drain(..) {
                task.abort();
            }
        }
    }
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
    let heading = browser.find("main h1").await.text().await.expect("heading");
    assert_eq!(heading.trim(), code, "the lot page opens from what the worker kept");
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
