//! The leader's sales screens (`/app/ban-hang`) in a phone's Chromium: the demo leader of the
//! vegetable cooperative lists a bag of cải ngọt with a photo from the home screen, records a
//! sale, raises the price (a second version) and pauses the listing, which the public catalog
//! then shows as paused; a form sent without a price comes back naming the price and keeping
//! what was typed. Every screen on the way passes axe-core.

use std::io::Write;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::json;
use tests::browser::{Browser, VIEWPORT};

use crate::helpers::TestApp;
use crate::support::{sign_in, start, wait_offline_ready};

/// The demo's second packed lot of cải ngọt, the one the new listing sells from.
const LISTED_LOT: &str = "CN-2609-01-B";

/// What the leader types as the title.
const TITLE: &str = "Cải ngọt Tây Tựu túi 500 g — hái sáng";

/// How long a form post may take to land on its next page: the photo is checked, resized and
/// stored by an unoptimised test build on a busy machine.
const POST_WAIT: Duration = Duration::from_secs(60);

/// Saves the screen as `browser-screenshots/<test>-<step>.png`, and the whole page, taller than
/// the phone's screen, as `<test>-<step>-full.png`: the screen scrolled down a screenful at a
/// time, the shots stacked.
async fn screenshot(browser: &Browser, step: &str) -> PathBuf {
    let shot = browser.screenshot().await;
    let stem = shot
        .file_stem()
        .and_then(|s| s.to_str())
        .expect("a screenshot name")
        .to_owned();
    let path = shot.with_file_name(format!("{stem}-{step}.png"));
    std::fs::copy(&shot, &path).expect("copy the screenshot");
    let full = shot.with_file_name(format!("{stem}-{step}-full.png"));
    whole_page(browser, &full).await;
    let _ = writeln!(
        std::io::stderr(),
        "step screenshots: {} {}",
        path.display(),
        full.display()
    );
    path
}

/// Saves the whole page as one PNG at `path`, and scrolls back to the top.
async fn whole_page(browser: &Browser, path: &std::path::Path) {
    let number = |v: serde_json::Value| v.as_f64().expect("a number");
    let height = number(browser.eval("return document.documentElement.scrollHeight;").await);
    let screen = number(browser.eval("return window.innerHeight;").await);
    let mut shots = Vec::new();
    let mut y = 0.0;
    loop {
        let at = number(
            browser
                .eval(&format!("window.scrollTo(0, {y}); return window.scrollY;"))
                .await,
        );
        let png = browser.client().screenshot().await.expect("take a screenshot");
        shots.push((at, image::load_from_memory(&png).expect("a PNG").to_rgba8()));
        y += screen;
        if y >= height || shots.len() >= 12 {
            break;
        }
    }
    browser.eval("window.scrollTo(0, 0); return null;").await;
    let (first_width, first_height) = shots[0].1.dimensions();
    let scale = f64::from(first_height) / screen;
    let (last_at, last) = shots.last().expect("a shot");
    let total = (last_at * scale) as u32 + last.height();
    let mut page = image::RgbaImage::new(first_width, total);
    for (at, shot) in &shots {
        image::imageops::replace(&mut page, shot, 0, (at * scale) as i64);
    }
    page.save(path).expect("write the whole-page screenshot");
}

/// Asserts the screen fits the phone: nothing makes it scroll sideways.
async fn assert_fits(browser: &Browser) {
    let (width, _) = VIEWPORT;
    assert_eq!(
        browser.eval("return document.documentElement.scrollWidth;").await,
        json!(width),
        "{} is wider than the phone",
        browser.url().await
    );
}

/// Every button, field and fold of `<main>` shown narrower or shorter than the 24 CSS pixels
/// WCAG 2.2 asks of a target at the least, as `tag#id (width×height)`.
async fn small_targets(browser: &Browser) -> Vec<String> {
    let found = browser
        .eval(
            r#"return [...document.querySelectorAll('main button, main input:not([type=hidden]), main textarea, main summary')]
                .filter(e => e.offsetParent !== null)
                .map(e => [e, e.getBoundingClientRect()])
                .filter(([, r]) => r.width < 24 || r.height < 24)
                .map(([e, r]) => `${e.tagName.toLowerCase()}#${e.id || e.name || ''} (${Math.round(r.width)}×${Math.round(r.height)})`);"#,
        )
        .await;
    found
        .as_array()
        .expect("a list")
        .iter()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect()
}

/// Taps `element` and waits up to `POST_WAIT` for the next page to be shown (the page tapped on
/// is marked first, so an element of the old page is never read as the new one's).
async fn tap_and_wait(browser: &Browser, element: &fantoccini::elements::Element, what: &str) {
    browser
        .eval("document.documentElement.dataset.left = 'no'; return null;")
        .await;
    element.click().await.unwrap_or_else(|e| panic!("tap {what}: {e}"));
    let deadline = Instant::now() + POST_WAIT;
    loop {
        let still = browser
            .client()
            .execute(
                "return document.readyState === 'complete' && document.documentElement.dataset.left === undefined;",
                Vec::new(),
            )
            .await;
        if still.as_ref().is_ok_and(|v| v == &json!(true)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "tapping {what} led nowhere; still at {}",
            browser.url().await
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where the top of the first element matching `selector` is on the page, in CSS pixels.
async fn top_of(browser: &Browser, selector: &str) -> serde_json::Value {
    browser
        .eval(&format!(
            "return document.querySelector('{selector}').getBoundingClientRect().top + window.scrollY;"
        ))
        .await
}

/// The status of the last navigation's answer (200, 422 …).
async fn response_status(browser: &Browser) -> serde_json::Value {
    browser
        .eval("return performance.getEntriesByType('navigation')[0].responseStatus;")
        .await
}

/// The text of the first element matching `selector`.
async fn text_of(browser: &Browser, selector: &str) -> String {
    browser
        .find(selector)
        .await
        .text()
        .await
        .unwrap_or_else(|e| panic!("read the text of {selector}: {e}"))
}

/// The number in "Còn 1100 đơn vị bán" (the listing's units) or "1100 đơn vị" (a lot's).
fn units_in(text: &str, before: &str) -> u64 {
    let at = text
        .find(before)
        .unwrap_or_else(|| panic!("no \"{before}\" in {text:?}"))
        + before.len();
    let digits: String = text[at..]
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no number after \"{before}\" in {text:?}"))
}

/// The units the listing page says are left, in all and in `LISTED_LOT`.
async fn units_shown(browser: &Browser) -> (u64, u64) {
    let total = units_in(&text_of(browser, "#listing-status").await, "Còn");
    let mut lot = None;
    for line in browser.find_all("#stock li").await {
        let text = line.text().await.expect("a stock line");
        if text.starts_with(LISTED_LOT) {
            lot = Some(units_in(&text, "—"));
        }
    }
    (total, lot.unwrap_or_else(|| panic!("no stock line for {LISTED_LOT}")))
}

/// The one button in `scope` whose text is `label`.
async fn button(browser: &Browser, scope: &str, label: &str) -> fantoccini::elements::Element {
    for candidate in browser.find_all(&format!("{scope} button")).await {
        if candidate.text().await.expect("button text").trim() == label {
            return candidate;
        }
    }
    panic!("no button \"{label}\" in {scope} on {}", browser.url().await);
}

/// The demo leader of the vegetable cooperative.
async fn leader(app: &TestApp) -> store::Member {
    app.store
        .members(app.veg().id)
        .await
        .expect("members")
        .into_iter()
        .find(|m| m.role == farm_log::Role::Leader)
        .expect("the demo leader")
}

/// Waits until every image matching `selector` has loaded and has pixels (the media link works).
async fn assert_images_load(browser: &Browser, selector: &str) {
    let script = format!(
        r#"const images = [...document.querySelectorAll('{selector}')];
        images.forEach(i => {{ i.loading = 'eager'; }});
        return images.map(i => i.complete && i.naturalWidth > 0);"#
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let loaded = browser.eval(&script).await;
        let loaded = loaded.as_array().expect("a list");
        assert!(!loaded.is_empty(), "no image {selector} on {}", browser.url().await);
        if loaded.iter().all(|l| l == &json!(true)) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "an image {selector} did not load: {loaded:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_lists_a_product_with_a_photo_sells_some_raises_its_price_and_pauses_it() {
    let Some((browser, app)) =
        start("a_leader_lists_a_product_with_a_photo_sells_some_raises_its_price_and_pauses_it").await
    else {
        return;
    };
    let coop = app.veg().id;
    let leader = leader(&app).await;
    // The phone's camera roll: a photo file on disk, as the file picker would hand it over.
    let dir = tempfile::tempdir().expect("a temporary folder");
    let photo_path = dir.path().join("IMG_3107.png");
    std::fs::write(&photo_path, crate::helpers::png_photo(800, 600)).expect("write the photo");

    // Home → "Bán hàng": the listings, the feed links and what the feeds leave out.
    sign_in(&browser, &app, &leader.phone).await;
    // A few seconds after sign-in the phone says it has kept the lots for use without signal;
    // the buttons must not move when that line appears (it once pushed them down a line, and a
    // tap on "Bán hàng" landed on "Lô mới" above it).
    let before = top_of(&browser, "#sales-link").await;
    wait_offline_ready(&browser).await;
    assert!(
        browser
            .find("#offline-ready")
            .await
            .is_displayed()
            .await
            .expect("shown?"),
        "the phone says it is ready for use without signal"
    );
    assert_eq!(
        top_of(&browser, "#sales-link").await,
        before,
        "\"Bán hàng\" stays where it was when the ready line appears"
    );
    let sales = browser.find("#sales-link").await;
    assert_eq!(sales.text().await.expect("link text").trim(), "Bán hàng");
    tap_and_wait(&browser, &sales, "Bán hàng").await;
    assert_eq!(browser.url().await, format!("{}/app/ban-hang", app.base));
    for feed in ["#feed-google", "#feed-meta"] {
        let value = browser
            .find(feed)
            .await
            .prop("value")
            .await
            .expect("the feed link")
            .unwrap_or_default();
        assert!(value.starts_with("http"), "{feed} holds a link: {value:?}");
    }
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "1-listings").await;

    // "Đăng bán sản phẩm mới": the form.
    let new = browser.find("#new-listing").await;
    assert_eq!(new.text().await.expect("link text").trim(), "Đăng bán sản phẩm mới");
    tap_and_wait(&browser, &new, "Đăng bán sản phẩm mới").await;
    let title = browser.find("#title_vi").await;
    assert_eq!(browser.url().await, format!("{}/app/ban-hang/moi", app.base));
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "2-form").await;
    let small = small_targets(&browser).await;
    assert!(
        small.is_empty(),
        "targets too small for a finger on the form: {small:?}"
    );
    title.send_keys(TITLE).await.expect("type the title");
    browser
        .find("#description_vi")
        .await
        .send_keys("Cải ngọt VietGAP hái buổi sáng, đóng túi 500 g trong ngày.")
        .await
        .expect("type the description");
    browser
        .find("#price_vnd")
        .await
        .send_keys("45.000")
        .await
        .expect("type the price");
    browser
        .find("#pack_size")
        .await
        .send_keys("500 g")
        .await
        .expect("type the pack size");
    let lot = browser
        .find(&format!("#lots input[type=checkbox][value=\"{LISTED_LOT}\"]"))
        .await;
    lot.click().await.expect("tick the lot");
    assert!(lot.is_selected().await.expect("ticked?"), "{LISTED_LOT} is ticked");
    browser
        .find("#photo1")
        .await
        .send_keys(photo_path.to_str().expect("a path"))
        .await
        .expect("attach the photo");
    screenshot(&browser, "3-form-filled").await;
    let submit = browser.find("#listing-form button[type=submit]").await;
    tap_and_wait(&browser, &submit, "Đăng bán").await;

    // The listing's page: the price, the stock, version 1 in the price history.
    let listing_url = browser.url().await;
    assert!(
        listing_url
            .strip_prefix(&format!("{}/app/ban-hang/", app.base))
            .is_some_and(|id| !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit())),
        "Đăng bán leads to the new listing's page: {listing_url}"
    );
    let listing_id = listing_url.rsplit('/').next().expect("an id").to_owned();
    let flash = text_of(&browser, "#flash").await;
    assert!(flash.contains(TITLE), "the confirmation names the product: {flash}");
    assert_eq!(text_of(&browser, "main h1").await, TITLE);
    let price = text_of(&browser, "#price").await;
    assert!(price.contains("45.000 ₫"), "the price in đồng: {price}");
    assert!(price.contains("500 g"), "the pack size: {price}");
    let status = text_of(&browser, "#listing-status").await;
    assert!(status.contains("Đang bán"), "listed and selling: {status}");
    let (units, lot_units) = units_shown(&browser).await;
    assert!(units > 3, "some bags to sell: {status}");
    assert!(lot_units >= units, "the lot holds what the listing sells");
    let history = text_of(&browser, "#price-history").await;
    assert!(
        history.contains("45.000 ₫") && history.contains("Phiên bản 1"),
        "version 1 at 45.000 ₫: {history}"
    );
    assert_eq!(browser.find_all("#photos img").await.len(), 1, "the photo is shown");
    assert_images_load(&browser, "#photos img").await;
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "4-listing").await;
    let small = small_targets(&browser).await;
    assert!(
        small.is_empty(),
        "targets too small for a finger on the listing: {small:?}"
    );

    // A sale of 3 bags: 3 fewer left, on the listing and on its lot.
    let field = browser.find("#units").await;
    field.send_keys("3").await.expect("type the units");
    browser
        .find("#note")
        .await
        .send_keys("Chợ Tây Tựu")
        .await
        .expect("type the note");
    let record = button(&browser, "#record-form", "Ghi lại").await;
    tap_and_wait(&browser, &record, "Ghi lại").await;
    let flash = text_of(&browser, "#flash").await;
    assert!(flash.contains("Bán 3"), "the sale is confirmed: {flash}");
    assert_eq!(browser.url().await, listing_url);
    let (after, lot_after) = units_shown(&browser).await;
    assert_eq!(after, units - 3, "3 fewer bags on the listing");
    assert_eq!(lot_after, lot_units - 3, "3 fewer bags in {LISTED_LOT}");
    let movements = text_of(&browser, "#movements").await;
    assert!(
        movements.contains("Bán 3") && movements.contains(LISTED_LOT),
        "the sale is in the list: {movements}"
    );
    screenshot(&browser, "5-sold").await;

    // "Sửa thông tin, giá": 52.000 đ, a second version; both prices in the history.
    let edit = browser.find("#edit-listing").await;
    tap_and_wait(&browser, &edit, "Sửa thông tin, giá").await;
    let price_field = browser.find("#price_vnd").await;
    assert_eq!(browser.url().await, format!("{listing_url}/sua"));
    assert_eq!(
        browser.find("#title_vi").await.prop("value").await.expect("title"),
        Some(TITLE.to_owned()),
        "the form starts from the current version"
    );
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    price_field.clear().await.expect("clear the price");
    price_field.send_keys("52.000").await.expect("type the new price");
    screenshot(&browser, "6-edit").await;
    let save = browser.find("#listing-form button[type=submit]").await;
    tap_and_wait(&browser, &save, "Lưu").await;
    assert_eq!(browser.url().await, listing_url, "back on the listing's page");
    let flash = text_of(&browser, "#flash").await;
    assert!(flash.contains("phiên bản mới"), "a new version: {flash}");
    let price = text_of(&browser, "#price").await;
    assert!(
        price.contains("52.000 ₫") && price.contains("500 g"),
        "the new price, the same pack: {price}"
    );
    let history = text_of(&browser, "#price-history").await;
    for part in ["52.000 ₫", "45.000 ₫", "Phiên bản 1", "Phiên bản 2"] {
        assert!(history.contains(part), "the history shows {part}: {history}");
    }
    assert_eq!(
        browser.find_all("#photos img").await.len(),
        1,
        "the photo stays with the new version"
    );
    assert_eq!(
        units_shown(&browser).await,
        (after, lot_after),
        "a new price sells nothing"
    );
    browser.assert_accessible().await;
    screenshot(&browser, "7-repriced").await;

    // "Tạm ngừng bán": the public catalog shows it paused.
    let pause = button(&browser, "#status-actions", "Tạm ngừng bán").await;
    tap_and_wait(&browser, &pause, "Tạm ngừng bán").await;
    let flash = text_of(&browser, "#flash").await;
    assert!(flash.contains("Tạm ngừng bán"), "paused: {flash}");
    let status = text_of(&browser, "#listing-status").await;
    assert!(status.contains("Tạm ngừng bán"), "the page says paused: {status}");
    assert!(
        browser.find_all("#status-actions button").await.len() >= 2,
        "sell again and archive are offered"
    );
    browser.assert_accessible().await;
    screenshot(&browser, "8-paused").await;
    browser.open(&format!("{}/htx/{coop}/san-pham", app.base)).await;
    assert_eq!(response_status(&browser).await, json!(200));
    let card = text_of(&browser, &format!("li#NGUON-{coop}-{listing_id}")).await;
    for part in [TITLE, "52.000 ₫", "Tạm ngừng bán"] {
        assert!(card.contains(part), "the public card shows {part}: {card}");
    }
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "9-catalog").await;

    // The sales list: the listing with its new price, paused.
    browser.open(&format!("{}/app/ban-hang", app.base)).await;
    let listings = text_of(&browser, "#listings").await;
    assert!(
        listings.contains(TITLE) && listings.contains("52.000 ₫") && listings.contains("Tạm ngừng bán"),
        "the sales list shows the listing paused at 52.000 ₫: {listings}"
    );
    browser.assert_accessible().await;
    browser.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listing_sent_without_a_price_comes_back_naming_the_price_with_the_title_kept() {
    let Some((browser, app)) =
        start("a_listing_sent_without_a_price_comes_back_naming_the_price_with_the_title_kept").await
    else {
        return;
    };
    let leader = leader(&app).await;
    let dir = tempfile::tempdir().expect("a temporary folder");
    let photo_path = dir.path().join("IMG_3108.png");
    std::fs::write(&photo_path, crate::helpers::png_photo(800, 600)).expect("write the photo");
    sign_in(&browser, &app, &leader.phone).await;
    let form_url = format!("{}/app/ban-hang/moi", app.base);
    browser.open(&form_url).await;
    browser
        .find("#title_vi")
        .await
        .send_keys(TITLE)
        .await
        .expect("type the title");
    browser
        .find("#pack_size")
        .await
        .send_keys("500 g")
        .await
        .expect("type the pack size");
    browser
        .find(&format!("#lots input[type=checkbox][value=\"{LISTED_LOT}\"]"))
        .await
        .click()
        .await
        .expect("tick the lot");
    browser
        .find("#photo1")
        .await
        .send_keys(photo_path.to_str().expect("a path"))
        .await
        .expect("attach the photo");
    let submit = browser.find("#listing-form button[type=submit]").await;

    // The phone itself stops the form: the price is required.
    submit.click().await.expect("tap Đăng bán");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(browser.url().await, form_url, "the browser kept the form");
    assert_eq!(
        browser
            .eval("return document.getElementById('price_vnd').validity.valueMissing;")
            .await,
        json!(true),
        "the browser flags the empty price"
    );
    assert!(browser.find_all("#errors").await.is_empty(), "nothing was sent yet");

    // A browser that does not check forms sends it: the server names the price.
    browser
        .eval("document.getElementById('listing-form').noValidate = true; return null;")
        .await;
    let submit = browser.find("#listing-form button[type=submit]").await;
    tap_and_wait(&browser, &submit, "Đăng bán").await;
    let errors = text_of(&browser, "#errors").await;
    assert_eq!(response_status(&browser).await, json!(422));
    assert!(
        errors.contains("Giá bán một đơn vị (đồng)"),
        "the errors name the price field: {errors}"
    );
    assert!(
        !errors.contains("Tên sản phẩm") && !errors.contains("Quy cách"),
        "only the price is wrong: {errors}"
    );
    // The message links to the price input, which is marked invalid.
    let link = browser.find("#errors a[href=\"#price_vnd\"]").await;
    assert!(link.text().await.expect("link text").contains("Giá bán"));
    assert_eq!(
        browser
            .find("#price_vnd")
            .await
            .attr("aria-invalid")
            .await
            .expect("aria-invalid"),
        Some("true".to_owned())
    );
    // The errors come before the form, and what was typed stays.
    assert_eq!(
        browser
            .eval(
                "return !!(document.getElementById('errors').compareDocumentPosition(document.getElementById('listing-form')) & Node.DOCUMENT_POSITION_FOLLOWING);"
            )
            .await,
        json!(true),
        "the errors are at the top of the form"
    );
    assert_eq!(
        browser.find("#title_vi").await.prop("value").await.expect("title"),
        Some(TITLE.to_owned()),
        "the title typed stays"
    );
    assert_eq!(
        browser.find("#pack_size").await.prop("value").await.expect("pack"),
        Some("500 g".to_owned()),
        "the pack size typed stays"
    );
    assert!(
        browser
            .find(&format!("#lots input[type=checkbox][value=\"{LISTED_LOT}\"]"))
            .await
            .is_selected()
            .await
            .expect("ticked?"),
        "the lot stays ticked"
    );
    // The photo was kept: it comes back ticked, and need not be taken again.
    let kept = browser
        .find_all("#photos input[type=checkbox][name^=\"photos[\"]")
        .await;
    assert_eq!(kept.len(), 1, "the photo sent comes back as a kept photo");
    assert!(
        kept[0].is_selected().await.expect("ticked?"),
        "the kept photo is ticked"
    );
    assert_images_load(&browser, "#photos img").await;
    // Following the link puts the cursor in the price.
    link.click().await.expect("tap the error");
    assert_eq!(
        browser.eval("return document.activeElement.id;").await,
        json!("price_vnd"),
        "the error leads to the price input"
    );
    assert_eq!(
        browser
            .eval("return document.querySelector('label[for=price_vnd]').getBoundingClientRect().top >= 0;")
            .await,
        json!(true),
        "the price's label stays in sight above it"
    );
    assert_fits(&browser).await;
    browser.assert_accessible().await;
    screenshot(&browser, "errors").await;
    browser.close().await;
}
