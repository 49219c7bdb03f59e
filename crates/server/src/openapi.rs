//! The OpenAPI 3.1 document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::api;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The API description.
#[derive(OpenApi)]
#[openapi(
    info(title = "Nguồn API", description = "Farm diaries with tamper-evident lot histories for Vietnamese cooperatives."),
    modifiers(&BearerAuth),
    paths(
        api::me,
        api::get_cooperative,
        api::list_members,
        api::add_member,
        api::issue_token,
        api::revoke_token,
        api::list_plots,
        api::create_plot,
        api::assign_plot,
        api::list_products,
        api::create_product,
        api::list_input_products,
        api::create_input_product,
        api::list_lots,
        api::create_lot,
        api::get_lot,
        api::list_events,
        api::append_event,
        api::append_batch,
        api::lot_history,
        api::lot_genealogy,
        api::acknowledge_alteration,
        api::merge_lots,
        api::issue_labels,
        api::list_label_batches,
        api::get_label_batch,
        api::label_sheet,
        api::label_zip,
        api::cooperative_keys,
        api::resolve_label,
        api::set_profile,
        api::add_certificate,
        api::list_certificates,
        api::set_shelf_life,
        api::set_product_photo,
        api::upload_photo,
        api::set_certificate_scan,
        api::list_listings,
        api::create_listing,
        api::get_listing,
        api::update_listing,
        api::set_listing_status,
        api::record_movement,
        api::get_feeds,
        api::rotate_feeds,
        api::lot_epcis,
        api::cooperative_epcis,
        api::import_epcis,
        api::trace_xlsx,
        api::trace_csv,
        api::diary_csv,
        api::diary_pdf,
    )
)]
pub struct ApiDoc;

/// The document: what utoipa generates from the handlers, with the real success schemas,
/// error responses and binary bodies of `crate::openapi_truth`.
pub fn document() -> serde_json::Value {
    let mut document = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    crate::openapi_truth::apply(&mut document);
    document
}

/// Serves the document.
pub async fn openapi_json() -> Json<serde_json::Value> {
    Json(document())
}
