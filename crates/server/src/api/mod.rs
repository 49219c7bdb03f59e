//! The JSON API under `/api/v1`. Each handler authenticates, states its access rule (see
//! [`crate::access`]), parses its input into domain types naming any bad field, and calls the
//! store.

mod cooperatives;
mod exports;
mod labels;
mod listings;
mod lots;
mod public;
mod registry;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequestParts, Path};
use axum::http::request::Parts;
use axum::routing::{get, post, put};
use serde::de::DeserializeOwned;

pub use cooperatives::*;
pub use exports::*;
pub use labels::*;
pub use listings::*;
pub use lots::*;
pub use public::*;
pub use registry::*;

use crate::AppState;
use crate::error::AppError;

/// Path parameters; a malformed one (e.g. a non-numeric id) is a 400 in the usual error shape.
#[derive(Debug)]
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state)
            .await
            .map(|Path(value)| ApiPath(value))
            .map_err(|rejection| {
                AppError::BadRequest(
                    format!("The address is not valid: {}", rejection.body_text()),
                    format!("Địa chỉ không hợp lệ: {}", rejection.body_text()),
                )
            })
    }
}

/// Optional text fields: empty or whitespace-only means absent.
pub(crate) fn optional<T>(
    raw: Option<&str>,
    parse: impl FnOnce(&str) -> Result<T, farm_log::FieldError>,
) -> Result<Option<T>, farm_log::FieldError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => parse(text).map(Some),
    }
}

/// Every API route.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(crate::openapi::openapi_json))
        .route("/me", get(me))
        .route("/cooperatives/{coop_id}", get(get_cooperative))
        .route("/cooperatives/{coop_id}/members", get(list_members).post(add_member))
        .route("/cooperatives/{coop_id}/members/{member_id}/tokens", post(issue_token))
        .route("/cooperatives/{coop_id}/tokens/{token_id}/revoke", post(revoke_token))
        .route("/cooperatives/{coop_id}/plots", get(list_plots).post(create_plot))
        .route("/cooperatives/{coop_id}/plots/{plot_id}/members", post(assign_plot))
        .route(
            "/cooperatives/{coop_id}/products",
            get(list_products).post(create_product),
        )
        .route(
            "/cooperatives/{coop_id}/input-products",
            get(list_input_products).post(create_input_product),
        )
        .route("/cooperatives/{coop_id}/lots", get(list_lots).post(create_lot))
        .route("/cooperatives/{coop_id}/lots/{code}", get(get_lot))
        .route(
            "/cooperatives/{coop_id}/lots/{code}/events",
            get(list_events).post(append_event),
        )
        .route("/cooperatives/{coop_id}/lots/{code}/history", get(lot_history))
        .route("/cooperatives/{coop_id}/lots/{code}/genealogy", get(lot_genealogy))
        .route(
            "/cooperatives/{coop_id}/lots/{code}/acknowledge-alteration",
            post(acknowledge_alteration),
        )
        .route("/cooperatives/{coop_id}/events/batch", post(append_batch))
        .route("/cooperatives/{coop_id}/merges", post(merge_lots))
        .route(
            "/cooperatives/{coop_id}/lots/{code}/labels",
            get(list_label_batches).post(issue_labels),
        )
        .route("/cooperatives/{coop_id}/label-batches/{batch_id}", get(get_label_batch))
        .route(
            "/cooperatives/{coop_id}/label-batches/{batch_id}/sheet.pdf",
            get(label_sheet),
        )
        .route(
            "/cooperatives/{coop_id}/label-batches/{batch_id}/labels.zip",
            get(label_zip),
        )
        .route("/cooperatives/{coop_id}/keys", get(cooperative_keys))
        .route("/cooperatives/{coop_id}/lots/{code}/epcis", get(lot_epcis))
        .route(
            "/cooperatives/{coop_id}/epcis",
            get(cooperative_epcis)
                .post(import_epcis)
                .layer(DefaultBodyLimit::max(MAX_EPCIS_BYTES)),
        )
        .route("/cooperatives/{coop_id}/lots/{code}/trace.xlsx", get(trace_xlsx))
        .route("/cooperatives/{coop_id}/lots/{code}/trace.csv", get(trace_csv))
        .route("/cooperatives/{coop_id}/lots/{code}/diary.csv", get(diary_csv))
        .route("/cooperatives/{coop_id}/lots/{code}/diary.pdf", get(diary_pdf))
        .route(
            "/cooperatives/{coop_id}/listings",
            get(list_listings).post(create_listing),
        )
        .route(
            "/cooperatives/{coop_id}/listings/{listing_id}",
            get(get_listing).put(update_listing),
        )
        .route(
            "/cooperatives/{coop_id}/listings/{listing_id}/status",
            put(set_listing_status),
        )
        .route(
            "/cooperatives/{coop_id}/listings/{listing_id}/movements",
            post(record_movement),
        )
        .route("/cooperatives/{coop_id}/feeds", get(get_feeds))
        .route("/cooperatives/{coop_id}/feeds/rotate", post(rotate_feeds))
        .route("/labels/{serial}", get(resolve_label))
        .route("/cooperatives/{coop_id}/profile", put(set_profile))
        .route(
            "/cooperatives/{coop_id}/certificates",
            get(list_certificates).post(add_certificate),
        )
        .route(
            "/cooperatives/{coop_id}/products/{product_id}/shelf-life",
            put(set_shelf_life),
        )
        .route(
            "/cooperatives/{coop_id}/certificates/{certificate_id}/scan",
            put(set_certificate_scan).layer(DefaultBodyLimit::max(media::MAX_UPLOAD_BYTES + 1)),
        )
        .route(
            "/cooperatives/{coop_id}/photos",
            post(upload_photo).layer(DefaultBodyLimit::max(media::MAX_UPLOAD_BYTES + 1)),
        )
        .route(
            "/cooperatives/{coop_id}/products/{product_id}/photo",
            put(set_product_photo).layer(DefaultBodyLimit::max(media::MAX_UPLOAD_BYTES + 1)),
        )
}
