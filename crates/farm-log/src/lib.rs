//! Nguồn's domain: cooperatives, plots, lots, typed farm-diary events, their validation, and the
//! blake3 provenance chain that makes a lot's history tamper-evident.
//!
//! This crate never does IO and knows nothing of databases or HTTP: it takes values and returns
//! values, so every rule here can be tested in isolation and reused by the store, the server and
//! the command line alike.

#[macro_use]
mod newtype;

pub mod banned;
pub mod canonical;
pub mod chain;
pub mod draft;
pub mod error;
pub mod event;
pub mod ids;
pub mod model;
pub mod prelabel;
pub mod quantity;
pub mod text;
pub mod timeline;
pub mod validate;

pub use banned::BannedList;
pub use chain::{ChainHead, ChainStatus, GenesisInput, ParentLink};
pub use error::{FieldError, ValidationErrors};
pub use event::{
    AppliedInput, ChildLot, Event, EventBody, EventKind, GeoPoint, InputSnapshot, MAX_PHOTOS, PhiOverride, PhotoHash,
};
pub use ids::{Gln, Gs1CompanyPrefix, Gtin, LotCode, PhoneNumber};
pub use model::{CertificateScheme, GrowerDisplay, InputKind, LotStatus, Region, Role};
pub use quantity::{Dimension, Quantity, Unit};
pub use text::{Note, Password, ShortText};
pub use validate::{LotState, ValidationContext};

/// Vietnam's offset from UTC (+07:00, no daylight saving): the offset dates are shown in.
pub const VIETNAM_OFFSET: chrono::FixedOffset = match chrono::FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("+07:00 is a valid offset"),
};
