//! The cooperative's catalog: the public page of what it sells (`/htx/{id}/san-pham`), one page
//! per listing, and the marketplace feeds at unguessable URLs (`/feeds/{token}/google.xml`,
//! `/feeds/{token}/meta.csv`). All of them read one snapshot per cooperative, kept while the
//! store's generation holds, so platforms that poll hourly cost a lookup and a hash.

use std::sync::{Arc, OnceLock};

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use catalog::{Availability, Channel, FeedItem, Missing, format_vnd};
use chrono::{DateTime, FixedOffset};
use store::{Certificate, Listing, PublicCooperative, Store, StoreError};

use super::i18n::{Messages, PageLang, fill};
use super::{Ask, PageMeta, Problem, REVALIDATE, Site, html, today};
use crate::AppState;

/// What a kept catalog was read at, besides its lots: the cooperative's revisions, the
/// integrity epoch, and the day (a lot past its use-by date stops selling at midnight).
pub type CatalogKey = (store::CatalogStamp, chrono::NaiveDate);

/// What the catalog and the feeds of one cooperative show, read at one [`CatalogKey`].
#[derive(Debug)]
pub struct CatalogData {
    /// Its listed lots as they were read; the snapshot holds while they are unchanged.
    marks: Vec<store::LotMark>,
    /// The cooperative, its certificates and products.
    pub public: PublicCooperative,
    /// Its listings that are not archived, newest first.
    pub listings: Vec<Listing>,
    /// When a listing last changed, archived ones included.
    pub listings_updated_at: Option<DateTime<FixedOffset>>,
    /// The Google feed, rendered on first request.
    google: OnceLock<RenderedFeed>,
    /// The Meta feed, rendered on first request.
    meta: OnceLock<RenderedFeed>,
}

impl CatalogData {
    /// The latest change to anything shown: a listing's version, status or sale (archived
    /// listings too, since archiving takes one out), or an event on a listed lot (a recall).
    pub fn last_change(&self) -> Option<DateTime<FixedOffset>> {
        self.listings
            .iter()
            .map(|l| l.last_change)
            .chain(self.listings_updated_at)
            .max()
    }
}

/// The codes of every lot the listings sell from.
fn listed_codes(listings: &[Listing]) -> Vec<String> {
    let mut codes: Vec<String> = listings
        .iter()
        .flat_map(|l| l.fields.lots.iter().map(|c| c.to_string()))
        .collect();
    codes.sort();
    codes.dedup();
    codes
}

impl Site {
    /// The catalog of a cooperative, from memory while what it was read at holds: the
    /// cooperative's revisions, the integrity epoch and the day, then its listed lots (two
    /// indexed queries, true across several server processes).
    pub(crate) async fn catalog(&self, store: &Store, coop_id: i64) -> Result<Arc<CatalogData>, StoreError> {
        let stamp = store
            .catalog_stamp(coop_id)
            .await?
            .ok_or(StoreError::not_found("cooperative"))?;
        let key = (stamp, today());
        if let Some(data) = self.catalogs.get(&key)
            && store.lot_marks(coop_id, &listed_codes(&data.listings)).await? == data.marks
        {
            return Ok(data);
        }
        let listings = store.listings(coop_id, false).await?;
        // The marks before the data, so kept data is never older than its marks.
        let marks = store.lot_marks(coop_id, &listed_codes(&listings)).await?;
        let listings = store.listings(coop_id, false).await?;
        let data = Arc::new(CatalogData {
            marks,
            public: store.public_cooperative(coop_id).await?,
            listings,
            listings_updated_at: store.listings_updated_at(coop_id).await?,
            google: OnceLock::new(),
            meta: OnceLock::new(),
        });
        self.catalogs.put(key, data.clone());
        Ok(data)
    }

    /// `/htx/{id}/san-pham`.
    pub(crate) fn catalog_href(&self, coop_id: i64) -> String {
        format!("{}/htx/{coop_id}/san-pham", self.prefix)
    }

    /// `/htx/{id}/san-pham/{listing}`.
    pub(crate) fn listing_href(&self, coop_id: i64, listing_id: i64) -> String {
        format!("{}/htx/{coop_id}/san-pham/{listing_id}", self.prefix)
    }

    /// The absolute address of a path under the site.
    pub(crate) fn absolute_href(&self, href: &str) -> String {
        self.absolute(href)
    }

    /// The absolute addresses of a cooperative's Google and Meta feeds.
    pub(crate) fn feed_urls(&self, token: &str) -> (String, String) {
        (
            self.absolute(&format!("{}/feeds/{token}/google.xml", self.prefix)),
            self.absolute(&format!("{}/feeds/{token}/meta.csv", self.prefix)),
        )
    }

    /// A listing as the channels see it. Its GTIN is its own, else its product's when every lot
    /// it sells is of one product with a GTIN (the GTIN its labels carry) and no other listing
    /// carries that GTIN; without either, its MPN is its feed id.
    pub(crate) fn feed_item(&self, data: &CatalogData, listing: &Listing) -> FeedItem {
        let fields = &listing.fields;
        let coop_name = data.public.cooperative.name.as_str();
        let id = feed_id(listing);
        // A GTIN names one trade item: a product's GTIN stands in only for the one listing of
        // it that has none, never for two listings (two pack sizes) at once.
        let product_gtin = product_gtin(data, listing).filter(|gtin| {
            !data.listings.iter().any(|other| {
                other.id != listing.id
                    && (other.fields.gtin.as_ref().is_some_and(|g| g.to_string() == *gtin)
                        || (product_gtin(data, other).as_ref() == Some(gtin) && !sells_another_pack(other)))
            })
        });
        // One GTIN per trade item: the labels' GTIN (the product's) names the pack size they
        // were printed for; a listing of another pack size has no GTIN, and says so
        // (identifier_exists = no) rather than borrowing an id that is not its own.
        let other_pack = self::product_gtin(data, listing).is_some() && sells_another_pack(listing);
        let product_gtin = product_gtin.filter(|_| !other_pack);
        let gtin = fields.gtin.as_ref().map(ToString::to_string).or(product_gtin);
        let photo =
            |hash: &farm_log::PhotoHash| self.absolute(&format!("{}/media/{}/full.jpg", self.prefix, hash.to_hex()));
        FeedItem {
            title: fields.title_vi.to_string(),
            description: fields.description_vi.as_ref().map(ToString::to_string),
            link: self.absolute(&self.listing_href(listing.cooperative_id, listing.id)),
            trace_link: self.absolute(&self.lot_href(listing.cooperative_id, listing.selling_lot())),
            image_link: fields.photos.first().map(photo),
            additional_image_links: fields.photos.iter().skip(1).map(photo).collect(),
            availability: listing.availability(),
            quantity: if listing.availability() == Availability::InStock {
                listing.units
            } else {
                0
            },
            price_vnd: fields.price.get(),
            brand: coop_name.to_owned(),
            // As stored: GTIN-14, zero-padded, which Google and Meta both accept.
            mpn: (gtin.is_none() && !other_pack).then(|| id.clone()),
            gtin,
            google_product_category: fields.category.as_ref().map(ToString::to_string),
            id,
        }
    }

    /// Which listings each feed leaves out, and the attribute they lack.
    pub(crate) fn feed_gaps(&self, data: &CatalogData) -> Vec<Missing> {
        let mut gaps = Vec::new();
        for listing in &data.listings {
            let item = self.feed_item(data, listing);
            for channel in [Channel::Google, Channel::Meta] {
                for attribute in catalog::missing_attributes(&item, channel) {
                    gaps.push(Missing {
                        id: item.id.clone(),
                        channel,
                        attribute,
                    });
                }
            }
        }
        gaps
    }
}

/// The GTIN of the product a listing without its own GTIN sells, when it sells one product and
/// that product has one.
fn product_gtin(data: &CatalogData, listing: &Listing) -> Option<String> {
    if listing.fields.gtin.is_some() {
        return None;
    }
    match listing.product_ids().as_slice() {
        [only] => data
            .public
            .products
            .iter()
            .find(|p| p.id == *only)
            .and_then(|p| p.gtin.clone()),
        _ => None,
    }
}

/// Whether the lots a listing sells were labelled for other pack sizes only (no labels: no
/// labelled pack to differ from).
fn sells_another_pack(listing: &Listing) -> bool {
    let packs: Vec<&farm_log::Quantity> = listing.lots.iter().flat_map(|l| &l.labelled_packs).collect();
    !packs.is_empty() && !packs.iter().any(|p| store::same_pack(p, &listing.fields.pack_size))
}

/// The id a listing has in every feed, stable across its versions: `NGUON-{coop}-{listing}`.
pub fn feed_id(listing: &Listing) -> String {
    format!("NGUON-{}-{}", listing.cooperative_id, listing.id)
}

#[derive(Template)]
#[template(path = "catalog.html")]
struct CatalogPage<'a> {
    page: PageMeta,
    m: &'a Messages,
    heading: String,
    coop_href: String,
    coop_name: String,
    items: Vec<ListingCard>,
}

#[derive(Template)]
#[template(path = "listing.html")]
struct ListingPage<'a> {
    page: PageMeta,
    m: &'a Messages,
    coop_href: String,
    coop_name: String,
    item: ListingCard,
    description: Option<String>,
    /// The main photo large: (src, srcset).
    hero: Option<(String, String)>,
    /// The other photos, large too: (src, srcset).
    photos: Vec<(String, String)>,
    /// How a buyer reaches the cooperative: (call link, call words, Zalo link, hint).
    contact: Option<(String, String, String, String)>,
}

/// A photo's address at card size and its `srcset` with the full size, so a phone's screen
/// gets a sharp picture without the full file on a small one.
fn large_photo(site: &Site, hash: &farm_log::PhotoHash) -> (String, String) {
    let hex = hash.to_hex();
    let card = format!("{}/media/{hex}/card.jpg", site.prefix);
    let full = format!("{}/media/{hex}/full.jpg", site.prefix);
    (card.clone(), format!("{card} 720w, {full} 1600w"))
}

struct ListingCard {
    id: String,
    href: String,
    title: String,
    photo: Option<String>,
    price: String,
    per_pack: String,
    stock: String,
    in_stock: bool,
    recalled: bool,
    lot_line: String,
    trace_href: String,
    marks: Vec<String>,
}

/// The schemes of the certificates valid today that cover the listing's products (or the whole
/// cooperative).
fn marks(certificates: &[Certificate], listing: &Listing) -> Vec<String> {
    let products = listing.product_ids();
    let mut marks: Vec<String> = certificates
        .iter()
        .filter(|c| c.valid_on(today()) && c.product_id.is_none_or(|p| products.contains(&p)))
        .map(|c| c.scheme.display_name().to_owned())
        .collect();
    marks.sort();
    marks.dedup();
    marks
}

fn card(site: &Site, data: &CatalogData, listing: &Listing, lang: PageLang, m: &Messages) -> ListingCard {
    let fields = &listing.fields;
    let title = match (lang, &fields.title_en) {
        (PageLang::En, Some(title)) => title.to_string(),
        _ => fields.title_vi.to_string(),
    };
    let stock = if listing.recalled() {
        m.listing_recalled.clone()
    } else if listing.status != catalog::ListingStatus::Active {
        m.listing_paused.clone()
    } else if listing.units == 0 {
        m.out_of_stock.clone()
    } else {
        fill(&m.in_stock_units, &[("count", &listing.units.to_string())])
    };
    let coop_id = listing.cooperative_id;
    ListingCard {
        id: feed_id(listing),
        href: site.listing_href(coop_id, listing.id),
        title,
        photo: fields
            .photos
            .first()
            .map(|hash| format!("{}/media/{}/card.jpg", site.prefix, hash.to_hex())),
        price: format_vnd(fields.price.get()),
        per_pack: fill(&m.per_pack, &[("pack", &fields.pack_size.display_vi())]),
        stock,
        in_stock: listing.availability() == Availability::InStock,
        recalled: listing.recalled(),
        lot_line: fill(&m.listing_lot, &[("lot", listing.selling_lot())]),
        trace_href: site.lot_href(coop_id, listing.selling_lot()),
        marks: marks(&data.public.certificates, listing),
    }
}

/// The JSON-LD of listings, absolute links throughout.
fn json_ld(site: &Site, data: &CatalogData, listings: &[&Listing]) -> String {
    let items: Vec<FeedItem> = listings.iter().map(|l| site.feed_item(data, l)).collect();
    catalog::json_ld(&items)
}

/// The catalog of the cooperative named in the address, or the page that says why not.
async fn page_data(
    state: &AppState,
    coop_id: &str,
    ask: &Ask<'_>,
    headers: &HeaderMap,
) -> Result<Arc<CatalogData>, Response> {
    let site = &state.site;
    let Ok(coop_id) = coop_id.parse::<i64>() else {
        return Err(site.problem(Problem::NotFound, ask, headers));
    };
    match site.catalog(&state.store, coop_id).await {
        Ok(data) => Ok(data),
        Err(StoreError::NotFound { .. }) => Err(site.problem(Problem::NotFound, ask, headers)),
        Err(error) => Err(site.problem(Problem::Failed(error), ask, headers)),
    }
}

/// `/htx/{id}/san-pham`: everything the cooperative sells, with price, stock and the trace link.
pub(super) async fn catalog_page(
    State(state): State<AppState>,
    Path(coop_id): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let site = &state.site;
    let ask = Ask::new(&headers, query.as_deref());
    let m = ask.m();
    let data = match page_data(&state, &coop_id, &ask, &headers).await {
        Ok(data) => data,
        Err(problem) => return problem,
    };
    let coop = &data.public.cooperative;
    let heading = fill(&m.catalog_title, &[("coop", &coop.name)]);
    // What can be bought comes first, newest first within each group.
    let mut shown: Vec<&Listing> = data.listings.iter().collect();
    shown.sort_by_key(|l| (l.availability() != Availability::InStock, std::cmp::Reverse(l.id)));
    let mut page = CatalogPage {
        page: site.meta(&ask, heading.clone(), heading.clone()),
        m,
        heading,
        coop_href: format!("{}/htx/{}", site.prefix, coop.id),
        coop_name: coop.name.clone(),
        items: shown.iter().map(|l| card(site, &data, l, ask.lang, m)).collect(),
    };
    page.page.canonical = Some(site.absolute(&site.catalog_href(coop.id)));
    page.page.json_ld = (!shown.is_empty()).then(|| json_ld(site, &data, &shown));
    html(StatusCode::OK, page.render(), &ask, &headers, REVALIDATE)
}

/// `/htx/{id}/san-pham/{listing}`: one listing, the link a feed sends buyers to.
pub(super) async fn listing_page(
    State(state): State<AppState>,
    Path((coop_id, listing_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let site = &state.site;
    let ask = Ask::new(&headers, query.as_deref());
    let m = ask.m();
    let Ok(listing_id) = listing_id.parse::<i64>() else {
        return site.problem(Problem::NotFound, &ask, &headers);
    };
    let data = match page_data(&state, &coop_id, &ask, &headers).await {
        Ok(data) => data,
        Err(problem) => return problem,
    };
    let Some(listing) = data.listings.iter().find(|l| l.id == listing_id) else {
        return site.problem(Problem::NotFound, &ask, &headers);
    };
    let coop = &data.public.cooperative;
    let item = card(site, &data, listing, ask.lang, m);
    let description = match (ask.lang, &listing.fields.description_en) {
        (PageLang::En, Some(text)) => Some(text.to_string()),
        _ => listing.fields.description_vi.as_ref().map(ToString::to_string),
    };
    let phone: String = coop.phone.chars().filter(char::is_ascii_digit).collect();
    let contact = (!phone.is_empty()).then(|| {
        (
            format!("tel:{phone}"),
            fill(&m.listing_call, &[("coop", &coop.name)]),
            format!("https://zalo.me/{phone}"),
            fill(&m.listing_contact_hint, &[("phone", &coop.phone)]),
        )
    });
    let mut page = ListingPage {
        page: site.meta(
            &ask,
            format!("{} — {}", item.title, coop.name),
            description.clone().unwrap_or_else(|| item.title.clone()),
        ),
        m,
        coop_href: format!("{}/htx/{}", site.prefix, coop.id),
        coop_name: coop.name.clone(),
        hero: listing.fields.photos.first().map(|hash| large_photo(site, hash)),
        photos: listing
            .fields
            .photos
            .iter()
            .skip(1)
            .map(|hash| large_photo(site, hash))
            .collect(),
        contact,
        item,
        description,
    };
    page.page.canonical = Some(site.absolute(&site.listing_href(coop.id, listing.id)));
    page.page.og_type = "product";
    page.page.og_image = listing
        .fields
        .photos
        .first()
        .map(|hash| site.absolute(&format!("{}/media/{}/full.jpg", site.prefix, hash.to_hex())));
    page.page.json_ld = Some(json_ld(site, &data, &[listing]));
    html(StatusCode::OK, page.render(), &ask, &headers, REVALIDATE)
}

/// `/feeds/{token}/{file}`: `google.xml` or `meta.csv`. An unknown or rotated token is a plain
/// 404 (the token is the only secret; nothing says whether a cooperative exists).
/// The ETag a feed was last sent with, and when its bytes last changed.
pub type SeenFeed = (String, DateTime<FixedOffset>);

/// A feed as sent: its bytes, its ETag and its Last-Modified, made once per snapshot.
#[derive(Debug)]
pub struct RenderedFeed {
    body: axum::body::Bytes,
    etag: HeaderValue,
    modified: DateTime<FixedOffset>,
    last_modified: HeaderValue,
}

impl Site {
    /// The cooperative a feed token opens and when the token was made (one indexed query, so a
    /// rotation on any server process closes the old URL everywhere at once).
    async fn feed_owner(&self, store: &Store, token: &str) -> Result<Option<(i64, DateTime<FixedOffset>)>, StoreError> {
        if token.len() > 100
            || !token
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Ok(None);
        }
        store.cooperative_by_feed_token(token).await
    }

    fn render_feed(&self, data: &CatalogData, channel: Channel, token_made: DateTime<FixedOffset>) -> RenderedFeed {
        let coop = &data.public.cooperative;
        let items: Vec<FeedItem> = data.listings.iter().map(|l| self.feed_item(data, l)).collect();
        let body = match channel {
            Channel::Google => {
                let catalog_url = self.absolute(&self.catalog_href(coop.id));
                catalog::google_rss(&coop.name, &catalog_url, &format!("{} — Nguồn", coop.name), &items)
                    .0
                    .into_bytes()
            }
            Channel::Meta => catalog::meta_csv(&items).0,
        };
        let etag = format!("\"{}\"", &blake3::hash(&body).to_hex()[..24]);
        let mut modified = data.last_change().map_or(token_made, |at| at.max(token_made));
        // Some changes carry no date of their own (the cooperative's name is the brand, a
        // product's GTIN): when the bytes differ from the last ones sent, they changed now.
        if let Ok(mut seen) = self.feeds_seen.lock() {
            let key = (coop.id, channel);
            match seen.get(&key) {
                Some((previous, at)) if *previous == etag => modified = modified.max(*at),
                Some(_) => modified = modified.max(store::now()),
                None => {}
            }
            if seen.len() >= 10_000 && !seen.contains_key(&key) {
                seen.clear();
            }
            seen.insert(key, (etag.clone(), modified));
        }
        RenderedFeed {
            body: body.into(),
            etag: HeaderValue::from_str(&etag).unwrap_or_else(|_| HeaderValue::from_static("\"\"")),
            modified,
            last_modified: HeaderValue::from_str(&httpdate(modified))
                .unwrap_or_else(|_| HeaderValue::from_static("Thu, 01 Jan 1970 00:00:00 GMT")),
        }
    }
}

/// `/feeds/{token}/{file}`: `google.xml` or `meta.csv`. An unknown or rotated token is a plain
/// 404 (the token is the only secret; nothing says whether a cooperative exists). A poll that
/// sends the ETag (or a date not older than the last change) gets a 304 without a body.
pub(super) async fn feed(
    State(state): State<AppState>,
    Path((token, file)): Path<(String, String)>,
    headers: HeaderMap,
) -> Response {
    let (channel, content_type) = match file.as_str() {
        "google.xml" => (Channel::Google, "application/rss+xml; charset=utf-8"),
        "meta.csv" => (Channel::Meta, "text/csv; charset=utf-8"),
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    if token.len() != 40 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let site = &state.site;
    let failed = |error: StoreError| {
        tracing::error!(%error, "could not build a feed");
        StatusCode::INTERNAL_SERVER_ERROR.into_response()
    };
    let (coop_id, token_made) = match site.feed_owner(&state.store, &token).await {
        Ok(Some(found)) => found,
        Ok(None) => return StatusCode::NOT_FOUND.into_response(),
        Err(error) => return failed(error),
    };
    let data = match site.catalog(&state.store, coop_id).await {
        Ok(data) => data,
        Err(error) => return failed(error),
    };
    let slot = match channel {
        Channel::Google => &data.google,
        Channel::Meta => &data.meta,
    };
    let feed = slot.get_or_init(|| site.render_feed(&data, channel, token_made));
    // If-None-Match compares weakly (a compressing proxy may have made the tag weak); a date in
    // the future is ignored, as HTTP asks.
    let fresh = match headers.get(header::IF_NONE_MATCH) {
        Some(tags) => tags.to_str().is_ok_and(|tags| {
            tags.split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.strip_prefix("W/").unwrap_or(t).as_bytes() == feed.etag.as_bytes())
        }),
        None => headers
            .get(header::IF_MODIFIED_SINCE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| DateTime::parse_from_rfc2822(v).ok())
            .is_some_and(|since| {
                since.timestamp() <= store::now().timestamp() && feed.modified.timestamp() <= since.timestamp()
            }),
    };
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        (StatusCode::OK, feed.body.clone()).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert(
        HeaderName::from_static("x-robots-tag"),
        HeaderValue::from_static("noindex"),
    );
    h.insert(header::ETAG, feed.etag.clone());
    h.insert(header::LAST_MODIFIED, feed.last_modified.clone());
    response
}

/// An HTTP date: `Thu, 26 Nov 2026 01:00:00 GMT`.
fn httpdate(at: DateTime<FixedOffset>) -> String {
    at.with_timezone(&chrono::Utc)
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string()
}
