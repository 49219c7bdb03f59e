//! The leader's sales screens over HTTP, as a phone's browser uses them: list a product with a
//! photo through the form, fix a mistyped price, change the price (both stay in the history),
//! record sales (a double tap records once, more than the stock is refused), pause it (the
//! public catalog says so), see which product a feed leaves out and why, and change the feed
//! links (the old ones stop working).

use reqwest::StatusCode;

use crate::helpers::{backends, png_photo, spawn_demo};
use crate::phone::{Phone, value_of};

/// The demo lot still holding produce (its sibling `-A` was shipped whole).
const PACKED: &str = "CN-2609-01-B";

/// The `value` of the element with this id.
fn value_by_id(page: &str, id: &str) -> Option<String> {
    let at = page.find(&format!("id=\"{id}\""))?;
    let rest = &page[at..];
    let tag = &page[page[..at].rfind('<')?..at];
    let (start, end) = if tag.starts_with("<textarea") {
        let start = rest.find('>')? + 1;
        (start, start + rest[start..].find("</textarea>")?)
    } else {
        let start = rest.find("value=\"")? + 7;
        (start, start + rest[start..].find('"')?)
    };
    Some(rest[start..end].trim().replace("&#x2f;", "/").replace("&#47;", "/"))
}

/// The name (`lots[3]`) of the checkbox offering lot `code`.
fn lot_box(page: &str, code: &str) -> String {
    let at = page
        .find(&format!("value=\"{code}\""))
        .unwrap_or_else(|| panic!("a checkbox for {code}"));
    let before = &page[..at];
    let name = before.rfind("name=\"").expect("a name") + 6;
    before[name..name + before[name..].find('"').expect("end")].to_owned()
}

/// The section of a page with this id, up to the next `</section>`.
fn section<'a>(page: &'a str, id: &str) -> &'a str {
    let at = page
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("a section {id}"));
    let end = page[at..].find("</section>").map_or(page.len(), |e| at + e);
    &page[at..end]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_leader_lists_prices_sells_pauses_and_manages_the_feeds_from_the_phone() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let veg = app.veg().id;
        let leader = Phone::leader_of(&app, veg).await;
        let (status, home, _) = leader.get("/app").await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            home.contains("href=\"/app/ban-hang\""),
            "[{backend}] the home screen links to sales"
        );

        let (status, form, _) = leader.get("/app/ban-hang/moi").await;
        assert_eq!(status, StatusCode::OK, "[{backend}] {form}");
        assert!(form.contains("enctype=\"multipart/form-data\"") && form.contains("type=\"file\""));
        let csrf = value_of(&form, "csrf").expect("csrf");
        let lot = lot_box(&form, PACKED);
        let before = app.store.listings(veg, true).await.expect("listings").len();
        let title = "Cải ngọt Tây Tựu túi 5 kg";
        let description = "Cải ngọt VietGAP, thu hoạch buổi sáng, đóng túi 5 kg trong ngày.";

        // A mistyped price: the form comes back naming it, with everything typed kept.
        let typed = |price: &'static str| {
            vec![
                ("csrf", csrf.as_str()),
                ("title_vi", title),
                ("description_vi", description),
                ("price_vnd", price),
                ("pack_size", "5 kg"),
                (lot.as_str(), PACKED),
            ]
        };
        let (status, page, _) = leader.post_multipart("/app/ban-hang/moi", &typed("45k"), vec![]).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {page}");
        assert!(
            page.contains("href=\"#price_vnd\""),
            "[{backend}] the error links to the price"
        );
        assert!(
            page.contains("Giá bán một đơn vị (đồng):"),
            "[{backend}] the price is named"
        );
        let price_input = &page[page.find("id=\"price_vnd\"").expect("price input")..];
        assert!(
            price_input[..price_input.find('>').expect("end")].contains("aria-invalid=\"true\""),
            "[{backend}] the price input is marked"
        );
        assert_eq!(value_of(&page, "price_vnd").as_deref(), Some("45k"), "[{backend}]");
        assert_eq!(value_of(&page, "title_vi").as_deref(), Some(title), "[{backend}]");
        assert!(page.contains(&format!(">{description}</textarea>")), "[{backend}]");
        assert!(
            page.contains(&format!("value=\"{PACKED}\" checked")),
            "[{backend}] the lot stays ticked"
        );
        assert_eq!(
            app.store.listings(veg, true).await.expect("listings").len(),
            before,
            "[{backend}] nothing listed"
        );

        // Fixed, with a photo from the phone's camera.
        let (status, page, location) = leader
            .post_multipart(
                "/app/ban-hang/moi",
                &typed("45.000"),
                vec![("photo1", png_photo(1600, 1200))],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let location = location.expect("location");
        let id: i64 = location
            .strip_prefix("/app/ban-hang/")
            .and_then(|id| id.parse().ok())
            .unwrap_or_else(|| panic!("a listing page: {location}"));
        let listing = app.store.listing(veg, id).await.expect("listed");
        assert_eq!(listing.fields.price.get(), 45_000);
        let photo = listing.fields.photos.first().expect("a photo").to_hex();
        let full = app.store.media(&photo, "full").await.expect("read").expect("stored");
        assert_eq!(full.content_type, "image/jpeg");
        let units = listing.units;
        assert!(units > 10, "[{backend}] {units} units in stock");

        let (_, list, _) = leader.get("/app/ban-hang").await;
        assert!(list.contains(title) && list.contains("45.000 ₫"), "[{backend}] {list}");
        let (status, page, _) = leader.get(&location).await;
        assert_eq!(status, StatusCode::OK);
        assert!(
            page.contains(&format!("/media/{photo}/card.jpg")),
            "[{backend}] the photo shows"
        );
        assert!(
            page.contains(&format!("href=\"/app/lo/{PACKED}\"")),
            "[{backend}] stock per lot"
        );

        // A new price: a new version, and both prices in the history.
        let (status, edit, _) = leader.get(&format!("{location}/sua")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(value_of(&edit, "price_vnd").as_deref(), Some("45000"), "[{backend}]");
        assert_eq!(
            value_of(&edit, "photos[0]").as_deref(),
            Some(photo.as_str()),
            "[{backend}]"
        );
        let lot = lot_box(&edit, PACKED);
        let (status, page, _) = leader
            .post(
                &format!("{location}/sua"),
                &[
                    ("csrf", &csrf),
                    ("title_vi", title),
                    ("description_vi", description),
                    ("price_vnd", "50.000"),
                    ("pack_size", &value_of(&edit, "pack_size").expect("pack size")),
                    ("photos[0]", &photo),
                    (&lot, PACKED),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let (_, page, _) = leader.get(&location).await;
        let history = section(&page, "price-history");
        assert!(
            history.contains("45.000 ₫") && history.contains("50.000 ₫"),
            "[{backend}] {history}"
        );
        assert_eq!(app.store.listing(veg, id).await.expect("listing").version, 2);

        // A sale: the stock drops, and a double tap records it once.
        let movement = value_of(&page, "id").expect("a movement id");
        let sale = [
            ("csrf", csrf.as_str()),
            ("id", movement.as_str()),
            ("kind", "sale"),
            ("units", "3"),
            ("note", "Chợ Long Biên"),
        ];
        for _ in 0..2 {
            let (status, page, _) = leader.post(&format!("{location}/ghi-ban"), &sale).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        }
        assert_eq!(
            app.store.listing(veg, id).await.expect("listing").units,
            units - 3,
            "[{backend}]"
        );
        let (_, page, _) = leader.get(&location).await;
        assert!(section(&page, "movements").contains("Chợ Long Biên"), "[{backend}]");

        // More than the stock: refused with the store's words, nothing recorded.
        let fresh = value_of(&page, "id").expect("a movement id");
        assert_ne!(fresh, movement, "[{backend}] each page has a fresh id");
        let too_many = (units - 3 + 1).to_string();
        let (status, page, _) = leader
            .post(
                &format!("{location}/ghi-ban"),
                &[
                    ("csrf", &csrf),
                    ("id", &fresh),
                    ("kind", "sale"),
                    ("units", &too_many),
                    ("note", ""),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "[{backend}] {page}");
        assert!(page.contains("Không đủ hàng"), "[{backend}] {page}");
        assert_eq!(value_of(&page, "units").as_deref(), Some(too_many.as_str()));
        assert_eq!(
            app.store.listing(veg, id).await.expect("listing").units,
            units - 3,
            "[{backend}]"
        );

        // Paused: the public catalog says so at once.
        let (status, _, _) = leader
            .post(
                &format!("{location}/trang-thai"),
                &[("csrf", &csrf), ("status", "paused")],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        // A buyer's phone, signed in nowhere.
        let (status, catalog, _) = Phone::new(&app).get(&format!("/htx/{veg}/san-pham")).await;
        assert_eq!(status, StatusCode::OK);
        let at = catalog
            .find(&format!("id=\"NGUON-{veg}-{id}\""))
            .unwrap_or_else(|| panic!("[{backend}] the listing's card: {catalog}"));
        let card = &catalog[at..at + catalog[at..].find("</li>").expect("card end")];
        assert!(card.contains("Tạm ngừng bán"), "[{backend}] {card}");

        // A listing without a description is named under what the feeds leave out.
        let (_, form, _) = leader.get("/app/ban-hang/moi").await;
        let lot = lot_box(&form, PACKED);
        let bare = "Cải ngọt túi 1 kg";
        let (status, page, location) = leader
            .post_multipart(
                "/app/ban-hang/moi",
                &[
                    ("csrf", &csrf),
                    ("title_vi", bare),
                    ("price_vnd", "12000"),
                    ("pack_size", "1 kg"),
                    (&lot, PACKED),
                ],
                vec![("photo1", png_photo(800, 600))],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}] {page}");
        let bare_id = location
            .and_then(|l| l.rsplit('/').next().map(str::to_owned))
            .expect("listing id");
        let (_, list, _) = leader.get("/app/ban-hang").await;
        let gaps = section(&list, "channels");
        assert!(
            gaps.contains(&format!(
                "{bare} (NGUON-{veg}-{bare_id}): thiếu mô tả (hoặc mô tả quá dài) — không có trong nguồn cấp Google, Meta"
            )),
            "[{backend}] {gaps}"
        );
        assert!(
            !gaps.contains(&format!("(NGUON-{veg}-{id}): thiếu mô tả")),
            "[{backend}] the described one is fed"
        );

        // New feed links: the old ones stop working at once.
        let old = value_by_id(&list, "feed-google").expect("the Google feed link");
        assert!(old.starts_with(&app.base), "[{backend}] {old}");
        let fetch = |url: String| async move { reqwest::get(url).await.expect("sent").status() };
        assert_eq!(fetch(old.clone()).await, StatusCode::OK, "[{backend}]");
        let (status, _, location) = leader
            .post("/app/ban-hang/kenh/doi-duong-dan", &[("csrf", &csrf)])
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "[{backend}]");
        assert!(location.is_some_and(|l| l.starts_with("/app/ban-hang")));
        let (_, list, _) = leader.get("/app/ban-hang").await;
        let new = value_by_id(&list, "feed-google").expect("the new link");
        assert_ne!(new, old, "[{backend}]");
        assert_eq!(fetch(old).await, StatusCode::NOT_FOUND, "[{backend}]");
        assert_eq!(fetch(new).await, StatusCode::OK, "[{backend}]");
        let meta = value_by_id(&list, "feed-meta").expect("the Meta link");
        assert_eq!(fetch(meta).await, StatusCode::OK, "[{backend}]");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_cooperatives_listing_is_forbidden_and_an_unknown_one_not_found() {
    let app = spawn_demo("sqlite").await;
    let veg = app.veg().id;
    let pomelo = app.coops[1].id;
    let (status, listed) = app
        .post(
            &format!("/api/v1/cooperatives/{veg}/listings"),
            &app.veg().leader,
            serde_json::json!({"title_vi": "Cải ngọt", "price_vnd": "45000", "pack_size": "5 kg", "lots": [PACKED]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{listed}");
    let id = listed["id"].as_i64().expect("id");
    let stranger = Phone::leader_of(&app, pomelo).await;
    let (status, page, _) = stranger.get(&format!("/app/ban-hang/{id}")).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{page}");
    let (status, _, _) = stranger.get("/app/ban-hang/98765").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _, _) = stranger.get("/app/ban-hang/not-a-number").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (_, page, _) = stranger.get("/app/ban-hang").await;
    let csrf = value_of(&page, "csrf").expect("csrf");
    let (status, _, _) = stranger
        .post(
            &format!("/app/ban-hang/{id}/trang-thai"),
            &[("csrf", &csrf), ("status", "archived")],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.listing(veg, id).await.expect("listing").status.as_str(),
        "active"
    );
}
