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
mod stored_body;
pub mod text;
pub mod timeline;
pub mod validate;
pub mod verdict;

pub use banned::BannedList;
pub use chain::{ChainHead, ChainStatus, GenesisInput, ParentLink};
pub use error::{FieldError, ValidationErrors};
pub use event::{
    AppliedInput, ChildLot, Event, EventBody, EventKind, GeoPoint, InputSnapshot, MAX_PHOTOS, OverrideRule,
    PhiOverride, PhotoHash,
};
pub use ids::{Gln, Gs1CompanyPrefix, Gtin, LotCode, PhoneNumber};
pub use model::{CertificateScheme, GrowerDisplay, InputKind, LotStatus, Region, Role};
pub use quantity::{Dimension, Quantity, Unit};
pub use text::{Note, Password, ShortText};
pub use validate::{FoldedLot, LotState, ValidationContext};
pub use verdict::{CodeCheck, Integrity, Verdict};

/// No date a cooperative records can be before this day: Vietnam's cooperatives of today were
/// formed under the 2012 Law on Cooperatives, and nothing in Nguồn predates 2000. An earlier
/// date is a typing slip (`01/01/0202`, `1926`) and is refused with its field named.
pub const EARLIEST_DATE: chrono::NaiveDate = match chrono::NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(day) => day,
    None => panic!("2000-01-01 is a valid date"),
};

/// Refuses a day before [`EARLIEST_DATE`], naming `field`.
pub fn not_before_2000(day: chrono::NaiveDate, field: &str) -> Result<(), FieldError> {
    if day < EARLIEST_DATE {
        return Err(FieldError::new(
            field,
            "too_early",
            format!(
                "Ngày {} quá sớm: không thể trước 01/01/2000. Hãy kiểm tra lại năm.",
                day.format("%d/%m/%Y")
            ),
            format!(
                "{} is too early: nothing can be dated before 01/01/2000. Check the year.",
                day.format("%d/%m/%Y")
            ),
        ));
    }
    Ok(())
}

/// Vietnam's offset from UTC (+07:00, no daylight saving): the offset dates are shown in.
pub const VIETNAM_OFFSET: chrono::FixedOffset = match chrono::FixedOffset::east_opt(7 * 3600) {
    Some(offset) => offset,
    None => panic!("+07:00 is a valid offset"),
};
