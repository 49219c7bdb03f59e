//! GS1 EPCIS 2.0 for Nguồn, pure: a cooperative's lots and their events written as an EPCIS
//! 2.0 JSON-LD `EPCISDocument` with CBV 2.0 business steps and dispositions ([`export`]), and a
//! document Nguồn wrote read back into the lots and steps that rebuild them ([`import`]).
//!
//! Like `farm-log` and `catalog`, this crate does no IO and knows no web or database crate:
//! the caller gathers lots and events from the store and sends or writes the text. How each
//! event maps, which identifiers are used and how the `eventID` relates to the provenance
//! chain is written down in `docs/epcis.md`.
//!
//! The GS1 schema the documents are checked against in tests is in `schema/` with GS1's
//! licence notice; [`SCHEMA`] holds its text.

pub mod export;
pub mod ids;
pub mod import;

pub use export::{
    ChainedEvent, Cooperative, DOCUMENT_END, EPCIS_CONTEXT, Exporter, Lot, LotWithEvents, MergeInput, Plot, Product,
    Window,
};
pub use import::{ImportError, Plan, PlanLot, PlanPlot, Step, read_document};

/// GS1's EPCIS 2.0 JSON schema (see `schema/README.md` for where it came from).
pub const SCHEMA: &str = include_str!("../schema/EPCIS-JSON-Schema.json");

/// The media type of EPCIS 2.0 JSON-LD documents.
pub const MEDIA_TYPE: &str = "application/ld+json";
