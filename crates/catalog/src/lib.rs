//! Marketplace listings, pure: what a cooperative sells, with the trace link attached.
//!
//! - [`fields`]: a listing's fields parsed from what a leader typed (titles, descriptions, price
//!   in đồng, pack size, GTIN, category, photos, the lots it sells), errors naming the field.
//! - [`stock`]: how many sale units a listing has, derived from the lots it sells (what each
//!   packed lot still holds less what was sold or written off), never typed.
//! - [`feed`]: one listing as the channels see it ([`FeedItem`]), what each channel requires
//!   and which listing lacks what ([`Missing`]), and the Google Merchant RSS 2.0 feed, the Meta
//!   catalog CSV and the schema.org `Product`/`Offer` JSON-LD.
//!
//! No IO: values in, values or bytes out.

pub mod feed;
pub mod fields;
pub mod stock;

pub use feed::{Availability, Channel, FeedItem, Missing, google_rss, json_ld, meta_csv, missing_attributes};
pub use fields::{
    Category, Description, ListingFields, ListingInput, ListingStatus, MAX_LISTING_LOTS, MAX_LISTING_PHOTOS, PriceVnd,
    Title, format_vnd,
};
pub use stock::{LotStock, MovementKind, units_available};
