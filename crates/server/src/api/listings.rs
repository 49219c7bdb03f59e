//! Marketplace listings: what a cooperative sells from its packed lots, their versions and
//! derived stock, sales and write-offs, and the feed URLs for Google and Meta.

use axum::Json;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use catalog::{Availability, ListingFields, ListingInput, ListingStatus, Missing, MovementKind, format_vnd};
use farm_log::{Note, Quantity};
use serde::{Deserialize, Serialize};
use store::{Listing, ListingLot, ListingVersion, NewMovement, StockMovement};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{ApiPath, optional};
use crate::AppState;
use crate::access::{leader_of, overseer_of};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};

/// A listing's fields, as typed: the same for a new listing and a new version of one.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(default)]
pub struct ListingRequest {
    /// Title in Vietnamese (required, ≤ 150 characters).
    pub title_vi: String,
    /// Title in English.
    pub title_en: String,
    /// Description in Vietnamese (channels require one).
    pub description_vi: String,
    /// Description in English.
    pub description_en: String,
    /// Price of one sale unit in đồng: `45000`, `45.000`, `45.000 đ`.
    pub price_vnd: String,
    /// What one sale unit holds: `5 kg`, `1 cái`.
    pub pack_size: String,
    /// GTIN of the sale unit, when it has one.
    pub gtin: String,
    /// Google product category, id or path.
    pub category: String,
    /// Photos by hash (upload them first with `POST …/photos`); the first is the main one.
    pub photos: Vec<String>,
    /// Codes of the packed lots it sells from, in the order they are sold from.
    pub lots: Vec<String>,
    /// For an edit: the version it was made from. When another leader saved a newer version
    /// meanwhile, the edit is refused with 409 (field `version`) instead of undoing theirs.
    pub version: Option<i32>,
}

impl ListingRequest {
    /// The listing's fields, every one checked.
    pub(crate) fn parse(self) -> Result<ListingFields, AppError> {
        ListingFields::parse(&ListingInput {
            title_vi: self.title_vi,
            title_en: self.title_en,
            description_vi: self.description_vi,
            description_en: self.description_en,
            price_vnd: self.price_vnd,
            pack_size: self.pack_size,
            gtin: self.gtin,
            category: self.category,
            photos: self.photos,
            lots: self.lots,
        })
        .map_err(AppError::Invalid)
    }
}

/// A listing as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingView {
    /// Id.
    pub id: i64,
    /// Its id in every feed (also its MPN without a GTIN).
    pub feed_id: String,
    /// Current version.
    pub version: i32,
    /// `active`, `paused` or `archived`.
    #[schema(value_type = String)]
    pub status: ListingStatus,
    /// Title in Vietnamese.
    pub title_vi: String,
    /// Title in English.
    pub title_en: Option<String>,
    /// Description in Vietnamese.
    pub description_vi: Option<String>,
    /// Description in English.
    pub description_en: Option<String>,
    /// Price of one sale unit, in đồng.
    pub price_vnd: u64,
    /// The price as shown: `45.000 ₫`.
    pub price_text: String,
    /// What one sale unit holds.
    #[schema(value_type = Object)]
    pub pack_size: Quantity,
    /// GTIN-14.
    pub gtin: Option<String>,
    /// Google product category.
    pub category: Option<String>,
    /// Photo hashes.
    pub photos: Vec<String>,
    /// Its lots with their stock, in the order they are sold from.
    #[schema(value_type = Vec<Object>)]
    pub lots: Vec<ListingLot>,
    /// Whole sale units left in lots that are not recalled.
    pub units: u64,
    /// `in_stock` or `out_of_stock` (paused, sold out or recalled).
    #[schema(value_type = String)]
    pub availability: Availability,
    /// The lot a buyer gets now.
    pub selling_lot: String,
    /// Its traceability page.
    pub trace_url: String,
    /// Its page in the cooperative's catalog.
    pub url: String,
    /// First listed.
    pub created_at: String,
    /// Current version made.
    pub updated_at: String,
}

impl ListingView {
    pub(crate) fn new(state: &AppState, listing: &Listing) -> Self {
        let fields = &listing.fields;
        let site = &state.site;
        Self {
            id: listing.id,
            feed_id: crate::web::feed_id(listing),
            version: listing.version,
            status: listing.status,
            title_vi: fields.title_vi.to_string(),
            title_en: fields.title_en.as_ref().map(ToString::to_string),
            description_vi: fields.description_vi.as_ref().map(ToString::to_string),
            description_en: fields.description_en.as_ref().map(ToString::to_string),
            price_vnd: fields.price.get(),
            price_text: format_vnd(fields.price.get()),
            pack_size: fields.pack_size,
            gtin: fields.gtin.as_ref().map(ToString::to_string),
            category: fields.category.as_ref().map(ToString::to_string),
            photos: fields.photos.iter().map(|p| p.to_hex()).collect(),
            lots: listing.lots.clone(),
            units: listing.units,
            availability: listing.availability(),
            selling_lot: listing.selling_lot().to_owned(),
            trace_url: site.absolute_href(&site.lot_href(listing.cooperative_id, listing.selling_lot())),
            url: site.absolute_href(&site.listing_href(listing.cooperative_id, listing.id)),
            created_at: farm_log::canonical::canonical_datetime(&listing.created_at),
            updated_at: farm_log::canonical::canonical_datetime(&listing.updated_at),
        }
    }
}

/// A listing with its price history and its sales and write-offs.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingDetail {
    /// The listing.
    #[serde(flatten)]
    pub listing: ListingView,
    /// Every version, newest first (the price history).
    #[schema(value_type = Vec<Object>)]
    pub versions: Vec<ListingVersion>,
    /// Sales and write-offs, newest first, one per lot drawn from.
    #[schema(value_type = Vec<Object>)]
    pub movements: Vec<StockMovement>,
}

/// Filters for the list.
#[derive(Debug, Deserialize)]
pub struct ListingsQuery {
    /// Include archived listings.
    #[serde(default)]
    pub archived: bool,
}

/// The cooperative's listings, newest first (leaders and inspectors: sales notes may name buyers).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/listings", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("archived" = Option<bool>, Query, description = "Include archived listings")),
    responses((status = 200, description = "Listings", body = Vec<ListingView>)))]
pub async fn list_listings(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    Query(query): Query<ListingsQuery>,
) -> Result<Json<Vec<ListingView>>, AppError> {
    overseer_of(&principal, coop_id)?;
    let listings = state.store.listings(coop_id, query.archived).await?;
    Ok(Json(listings.iter().map(|l| ListingView::new(&state, l)).collect()))
}

/// Lists a product for sale from packed lots (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/listings", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = ListingRequest,
    responses((status = 201, description = "Listed", body = ListingView), (status = 422, description = "Invalid field")))]
pub async fn create_listing(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<ListingRequest>,
) -> Result<(StatusCode, Json<ListingView>), AppError> {
    leader_of(&principal, coop_id)?;
    let listing = state.store.create_listing(&principal, request.parse()?).await?;
    Ok((StatusCode::CREATED, Json(ListingView::new(&state, &listing))))
}

/// One listing with its price history and stock movements (leaders and inspectors).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/listings/{listing_id}", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("listing_id" = i64, Path, description = "Listing id")),
    responses((status = 200, description = "The listing", body = ListingDetail), (status = 404, description = "No such listing")))]
pub async fn get_listing(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, listing_id)): ApiPath<(i64, i64)>,
) -> Result<Json<ListingDetail>, AppError> {
    overseer_of(&principal, coop_id)?;
    let listing = state.store.listing(coop_id, listing_id).await?;
    Ok(Json(ListingDetail {
        listing: ListingView::new(&state, &listing),
        versions: state.store.listing_versions(coop_id, listing_id).await?,
        movements: state.store.stock_movements(coop_id, listing_id).await?,
    }))
}

/// Edits a listing as a new version; the earlier versions stay (leaders).
#[utoipa::path(put, path = "/api/v1/cooperatives/{coop_id}/listings/{listing_id}", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("listing_id" = i64, Path, description = "Listing id")),
    request_body = ListingRequest,
    responses((status = 200, description = "The listing's new version", body = ListingView),
        (status = 409, description = "A newer version was saved since `version`"), (status = 422, description = "Invalid field")))]
pub async fn update_listing(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, listing_id)): ApiPath<(i64, i64)>,
    ApiJson(request): ApiJson<ListingRequest>,
) -> Result<Json<ListingView>, AppError> {
    leader_of(&principal, coop_id)?;
    let based_on = request.version;
    let listing = state
        .store
        .update_listing(&principal, listing_id, request.parse()?, based_on)
        .await?;
    Ok(Json(ListingView::new(&state, &listing)))
}

/// A new status for a listing.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ListingStatusRequest {
    /// `active`, `paused` or `archived`.
    pub status: String,
}

/// Pauses, archives or reactivates a listing, as a new version (leaders).
#[utoipa::path(put, path = "/api/v1/cooperatives/{coop_id}/listings/{listing_id}/status", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("listing_id" = i64, Path, description = "Listing id")),
    request_body = ListingStatusRequest,
    responses((status = 200, description = "The listing", body = ListingView), (status = 422, description = "Invalid status")))]
pub async fn set_listing_status(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, listing_id)): ApiPath<(i64, i64)>,
    ApiJson(request): ApiJson<ListingStatusRequest>,
) -> Result<Json<ListingView>, AppError> {
    leader_of(&principal, coop_id)?;
    let status = ListingStatus::parse(&request.status, "status")?;
    let listing = state.store.set_listing_status(&principal, listing_id, status).await?;
    Ok(Json(ListingView::new(&state, &listing)))
}

/// A sale or write-off.
#[derive(Debug, Deserialize, ToSchema)]
pub struct MovementRequest {
    /// The client's id (UUID): sending the same movement again records nothing new.
    pub id: Uuid,
    /// `sale` or `write_off`.
    pub kind: String,
    /// Whole sale units.
    pub units: u64,
    /// A note: who bought, why it was written off.
    #[serde(default)]
    pub note: Option<String>,
}

impl MovementRequest {
    pub(crate) fn parse(&self) -> Result<NewMovement, AppError> {
        Ok(NewMovement {
            id: self.id,
            kind: MovementKind::parse(&self.kind, "kind")?,
            units: self.units,
            note: optional(self.note.as_deref(), |t| Note::parse(t, "note"))?,
        })
    }
}

/// Records a sale or write-off, drawn from the listing's lots in order (leaders). More than the
/// stock is refused with 422 naming `units`; nothing is recorded.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/listings/{listing_id}/movements", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("listing_id" = i64, Path, description = "Listing id")),
    request_body = MovementRequest,
    responses((status = 201, description = "Recorded, one entry per lot drawn from", body = Value),
        (status = 409, description = "The id was used for another movement"),
        (status = 422, description = "More than the stock, or an invalid field")))]
pub async fn record_movement(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, listing_id)): ApiPath<(i64, i64)>,
    ApiJson(request): ApiJson<MovementRequest>,
) -> Result<(StatusCode, Json<Vec<StockMovement>>), AppError> {
    leader_of(&principal, coop_id)?;
    let recorded = state
        .store
        .record_movement(&principal, listing_id, request.parse()?)
        .await?;
    Ok((StatusCode::CREATED, Json(recorded)))
}

/// The cooperative's feed URLs and what each feed leaves out.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedsView {
    /// Google Merchant Center feed (RSS 2.0).
    pub google: String,
    /// Meta catalog feed (CSV).
    pub meta: String,
    /// The public catalog page.
    pub catalog: String,
    /// Listings left out of a feed, and the attribute they lack.
    #[schema(value_type = Vec<Object>)]
    pub missing: Vec<Missing>,
}

async fn feeds_view(state: &AppState, coop_id: i64, token: &str) -> Result<FeedsView, AppError> {
    let site = &state.site;
    let data = site.catalog(&state.store, coop_id).await?;
    let (google, meta) = site.feed_urls(token);
    Ok(FeedsView {
        google,
        meta,
        catalog: site.absolute_href(&site.catalog_href(coop_id)),
        missing: site.feed_gaps(&data),
    })
}

/// The feed URLs, made on first use, and what each feed leaves out (leaders).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/feeds", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")),
    responses((status = 200, description = "Feed URLs", body = FeedsView)))]
pub async fn get_feeds(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<FeedsView>, AppError> {
    leader_of(&principal, coop_id)?;
    let token = state.store.feed_token(coop_id).await?;
    Ok(Json(feeds_view(&state, coop_id, &token).await?))
}

/// New feed URLs; the old ones answer 404 at once (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/feeds/rotate", tag = "listings", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")),
    responses((status = 200, description = "The new feed URLs", body = FeedsView)))]
pub async fn rotate_feeds(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<FeedsView>, AppError> {
    leader_of(&principal, coop_id)?;
    let token = state.store.rotate_feed_token(coop_id).await?;
    Ok(Json(feeds_view(&state, coop_id, &token).await?))
}
