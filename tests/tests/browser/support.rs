//! What the browser tests share: starting the app and the browser together, issuing a label on
//! a demo lot, appending events, and the addresses of the public pages.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use reqwest::StatusCode;
use serde_json::{Value, json};
use tests::browser::{Browser, VIEWPORT};

use crate::helpers::{TestApp, new_id, spawn_demo};

/// The packed demo lot of the vegetable cooperative (cải ngọt, which has a GTIN); its parent,
/// the harvested lot `CN-2609-01`, holds the seeding, spraying and harvest behind it.
pub const PACKED_LOT: &str = "CN-2609-01-A";
/// The lot `PACKED_LOT` was packed from.
pub const PARENT_LOT: &str = "CN-2609-01";

/// A browser and an app with the demo cooperatives on a fresh SQLite database; `None` when the
/// browser tools are missing (the skip has been announced).
pub async fn start(test: &str) -> Option<(Browser, TestApp)> {
    let browser = Browser::launch(test).await?;
    Some((browser, spawn_demo("sqlite").await))
}

/// One issued label: its serial and the URL its QR code carries.
pub struct Label {
    pub serial: String,
    pub url: String,
}

/// Issues one 1 kg label on a lot of the vegetable cooperative, as its leader.
pub async fn issue_label(app: &TestApp, code: &str) -> Label {
    let (status, batch) = app
        .post(
            &format!("/api/v1/cooperatives/{}/lots/{code}/labels", app.veg().id),
            &app.veg().leader,
            json!({ "count": 1, "pack_size": "1 kg" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "issue a label on {code}: {batch}");
    let text = |key: &str| batch["labels"][0][key].as_str().expect("a label").to_owned();
    Label {
        serial: text("serial"),
        url: text("url"),
    }
}

/// Appends one event (given without its id) to a lot of the vegetable cooperative.
pub async fn append(app: &TestApp, code: &str, mut event: Value) {
    event["id"] = json!(new_id());
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{}/lots/{code}/events", app.veg().id),
            &app.veg().leader,
            event,
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "append to {code}: {body}");
}

/// The public page of a lot of the vegetable cooperative.
pub fn lot_page(app: &TestApp, code: &str) -> String {
    format!("{}/htx/{}/lo/{code}", app.base, app.veg().id)
}

/// The public page of the vegetable cooperative.
pub fn cooperative_page(app: &TestApp) -> String {
    format!("{}/htx/{}", app.base, app.veg().id)
}

/// `url` with one more query parameter.
pub fn with_query(url: &str, parameter: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}{parameter}")
}

/// The `lang` attribute of the page's `<html>` element.
pub async fn page_language(browser: &Browser) -> String {
    browser
        .find("html")
        .await
        .attr("lang")
        .await
        .expect("read html lang")
        .unwrap_or_default()
}

/// The classes of the verification badge (`badge verified`, `badge altered` …).
pub async fn badge_classes(browser: &Browser) -> String {
    browser
        .find("#verification")
        .await
        .attr("class")
        .await
        .expect("read the badge's class")
        .unwrap_or_default()
}

/// The text of the verification badge's heading.
pub async fn badge_heading(browser: &Browser) -> String {
    browser
        .find("#verification :is(h1, h2, h3)")
        .await
        .text()
        .await
        .expect("read the badge heading")
}

/// The `event-{kind}` kinds of the entries of the timeline matched by `selector`, in order.
pub async fn timeline_kinds(browser: &Browser, selector: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    for item in browser.find_all(&format!("{selector} > li.event")).await {
        let class = item.attr("class").await.expect("read a class").unwrap_or_default();
        kinds.extend(
            class
                .split_whitespace()
                .filter_map(|c| c.strip_prefix("event-"))
                .map(str::to_owned),
        );
    }
    kinds
}

/// Types a member's phone and the demo password on the sign-in page the browser shows, and taps
/// "Đăng nhập"; waits for the page that follows (the sign-in page has a heading too, so it waits
/// for the address to leave it first).
pub async fn type_sign_in(browser: &Browser, phone: &str) {
    browser
        .find("#phone")
        .await
        .send_keys(phone)
        .await
        .expect("type the phone");
    browser
        .find("#password")
        .await
        .send_keys(nguon::demo::DEMO_PASSWORD)
        .await
        .expect("type the password");
    browser
        .find("main form button[type=submit]")
        .await
        .click()
        .await
        .expect("tap sign in");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    while browser.url().await.contains("/app/dang-nhap") {
        assert!(
            std::time::Instant::now() < deadline,
            "still on the sign-in page 15 s after tapping: {}",
            browser.text().await
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser.find("main h1").await;
}

/// Opens the sign-in page and signs in; ends at the app's home.
pub async fn sign_in(browser: &Browser, app: &TestApp, phone: &str) {
    browser.open(&format!("{}/app/dang-nhap", app.base)).await;
    type_sign_in(browser, phone).await;
    assert_eq!(browser.url().await, format!("{}/app", app.base), "signed in, at home");
}

/// The first demo member of the vegetable cooperative who has plots: the farmer of these tests.
pub async fn farmer(app: &TestApp) -> store::Member {
    app.store
        .members(app.veg().id)
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.role == farm_log::Role::Member && !m.plot_ids.is_empty())
        .expect("a demo member with plots")
}

/// How long the service worker may take to install and take control of the page.
pub const WORKER_WAIT: Duration = Duration::from_secs(10);

/// How long the page may take to show a change on screen (saved note, counter).
pub const SCREEN_WAIT: Duration = Duration::from_secs(5);

/// Saves the screen as `browser-screenshots/<test>-<step>.png`.
pub async fn screenshot(browser: &Browser, step: &str) -> PathBuf {
    let shot = browser.screenshot().await;
    let stem = shot.file_stem().and_then(|s| s.to_str()).expect("a screenshot name");
    let path = shot.with_file_name(format!("{stem}-{step}.png"));
    std::fs::copy(&shot, &path).expect("copy the screenshot");
    let _ = writeln!(std::io::stderr(), "step screenshot: {}", path.display());
    path
}

/// Runs asynchronous JavaScript: `done(value)` answers.
pub async fn eval_async(browser: &Browser, script: &str) -> Value {
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
pub async fn wait_for<T, F, Fut>(what: &str, wait: Duration, mut check: F) -> T
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
pub async fn counter(browser: &Browser, id: &str) -> Result<u64, String> {
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
pub async fn wait_pending(browser: &Browser, expected: u64, wait: Duration) {
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
pub async fn form_event_id(browser: &Browser) -> String {
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
pub async fn wait_for_service_worker(browser: &Browser) -> Value {
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
pub const REGISTRATIONS: &str = "if (!navigator.serviceWorker) { done('no navigator.serviceWorker'); } else { \
     navigator.serviceWorker.getRegistrations().then(rs => done(rs.map(r => ({ scope: r.scope, \
     active: r.active && r.active.scriptURL, waiting: r.waiting && r.waiting.scriptURL, \
     installing: r.installing && r.installing.scriptURL })))); }";

/// Everything in every IndexedDB database of the page's origin, as
/// `{database: {store: [records]}}` (the contract names no database or store).
pub async fn indexed_db(browser: &Browser) -> Value {
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

/// Asserts the screen fits the phone: nothing makes it scroll sideways.
pub async fn assert_fits(browser: &Browser) {
    let (width, _) = VIEWPORT;
    assert_eq!(
        browser.eval("return document.documentElement.scrollWidth;").await,
        json!(width),
        "{} is wider than the phone",
        browser.url().await
    );
}

/// A farmer's tap on `element`, counted.
pub async fn tap(element: &Element, taps: &mut usize) {
    element.click().await.expect("tap");
    *taps += 1;
}

/// Waits until the service worker says it kept everything the app listed for use without
/// signal (`data-offline-ready` on the page), reloading the page once if the worker was not
/// yet there to be asked; returns how many addresses it kept.
pub async fn wait_offline_ready(browser: &Browser) -> u64 {
    let ready = || async {
        match browser
            .eval("return document.body.getAttribute('data-offline-ready');")
            .await
        {
            Value::String(count) => count.parse::<u64>().map_err(|_| count),
            other => Err(format!("data-offline-ready: {other}")),
        }
    };
    let start = Instant::now();
    let mut reloaded = false;
    loop {
        if let Ok(count) = ready().await {
            return count;
        }
        if !reloaded && start.elapsed() >= Duration::from_secs(10) {
            browser.client().refresh().await.expect("reload");
            reloaded = true;
        }
        assert!(
            start.elapsed() < Duration::from_secs(40),
            "the app was not kept for use without signal within 40 s on {}: {}",
            browser.url().await,
            eval_async(browser, REGISTRATIONS).await
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The first element matching `selector` whose text contains `text`.
pub async fn find_text(browser: &Browser, selector: &str, text: &str) -> Element {
    wait_for(&format!("{selector} saying {text:?}"), SCREEN_WAIT, || async {
        let mut seen = vec![];
        for element in browser.find_all(selector).await {
            let shown = element.text().await.unwrap_or_default();
            if shown.contains(text) {
                return Ok(element);
            }
            seen.push(shown);
        }
        Err(format!("{seen:?} on {}", browser.url().await))
    })
    .await
}

/// Waits until the page's address satisfies `wanted` (after a tap that navigates).
pub async fn wait_url(browser: &Browser, what: &str, wanted: impl Fn(&str) -> bool) -> String {
    wait_for(what, Duration::from_secs(15), || async {
        let url = browser.url().await;
        if wanted(&url) { Ok(url) } else { Err(url) }
    })
    .await
}

/// The rendered height in CSS pixels of every element matching `selector` that is shown.
pub async fn heights(browser: &Browser, selector: &str) -> Vec<f64> {
    let found = browser
        .eval(&format!(
            "return Array.from(document.querySelectorAll({selector:?})).filter(e => e.offsetParent !== null)\
             .map(e => e.getBoundingClientRect().height);"
        ))
        .await;
    found
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Replaces what a field holds with `text`.
pub async fn type_into(browser: &Browser, selector: &str, text: &str) {
    let field = browser.find(selector).await;
    field.clear().await.unwrap_or_else(|e| panic!("clear {selector}: {e}"));
    field
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
}

/// Chooses the option of a `<select>` by its value, as a tap on the list would, and fires the
/// `change` event the page listens to.
pub async fn choose(browser: &Browser, selector: &str, value: &str) {
    let done = browser
        .eval(&format!(
            "const s = document.querySelector({selector:?}); if (!s) return false; s.value = {value:?}; \
             s.dispatchEvent(new Event('change', {{ bubbles: true }})); return s.value === {value:?};"
        ))
        .await;
    assert_eq!(done, json!(true), "choose {value} in {selector}");
}

/// Vietnam's date today, `dd/mm/yyyy`, `days` from now.
pub fn vn_day(days: i64) -> String {
    (store::now() + chrono::Duration::days(days))
        .format("%d/%m/%Y")
        .to_string()
}

/// A TCP forwarder in front of the app whose line can be cut: the way a phone loses signal for
/// everything at once, its service worker included (chromedriver's emulation cuts only the page).
pub struct Line {
    port: u16,
    cut: std::sync::Arc<std::sync::atomic::AtomicBool>,
    open: std::sync::Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Line {
    pub async fn to(app: &TestApp) -> Self {
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

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Cuts every open connection and refuses new ones, or lets them through again.
    pub fn set_cut(&self, cut: bool) {
        self.cut.store(cut, std::sync::atomic::Ordering::SeqCst);
        if cut {
            for task in self.open.lock().expect("lock").drain(..) {
                task.abort();
            }
        }
    }
}
