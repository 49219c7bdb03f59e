//! A lot's care diary (nhật ký canh tác) as a cooperative leader hands it to an auditor such as
//! a VietGAP inspector: a spreadsheet ([`render_csv`]) and a printable A4 document
//! ([`render_pdf`]).
//!
//! This crate is pure like `farm-log`, `label` and `media`: values in, bytes out. It does no IO
//! (the caller reads the font file and sends or writes the bytes) and depends on no web,
//! database or async crate.
//!
//! Both documents list one line per entry of [`farm_log::timeline::timeline`]: corrections are
//! folded into the event they correct (which then says what corrected it and what it said
//! before), voided events stay listed and marked, and every spraying shows its pre-harvest
//! interval against the harvest that followed. The PDF opens with the lot's chain head and
//! event count, so the auditor can compare them with the lot's public page.
//!
//! Words are Vietnamese by default and English with [`Language::En`]; dates are `dd/mm/yyyy`
//! and times `HH:mm` in Vietnam's time (+07:00).

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset};
use farm_log::{ChainHead, Event, LotCode, LotStatus, Region};

mod csv;
pub mod error;
pub mod import;
mod pdf;
pub mod rows;
pub mod trace;
mod words;

pub use crate::csv::render_csv;
pub use crate::error::DiaryError;
pub use crate::pdf::{DiaryFont, render_pdf};
pub use crate::rows::{DiaryRow, RowAmendment, diary_rows};

/// The language of a diary's headings, event types and verdicts. User-typed text (names,
/// notes, reasons) is printed as typed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Language {
    /// Tiếng Việt (the default).
    #[default]
    Vi,
    /// English, for foreign buyers' auditors.
    En,
}

impl Language {
    /// `vi` or `en`.
    pub fn code(self) -> &'static str {
        match self {
            Language::Vi => "vi",
            Language::En => "en",
        }
    }

    /// Reads `vi` or `en` (any case, surrounding spaces ignored); anything else is `None`.
    pub fn from_code(code: &str) -> Option<Self> {
        match code.trim().to_ascii_lowercase().as_str() {
            "vi" => Some(Language::Vi),
            "en" => Some(Language::En),
            _ => None,
        }
    }
}

/// The cooperative the lot belongs to, as the diary's header names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CooperativeInfo {
    /// "HTX Nông nghiệp …".
    pub name: String,
    /// Its address as one line (street, commune, province).
    pub address: String,
    /// Its region, which says what a "sào" is; when given, areas are also shown in sào (or
    /// công in the South) next to m².
    pub region: Option<Region>,
}

/// One plot the lot grows on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlotInfo {
    /// The name the farmer uses ("Ruộng Đồng Chùa").
    pub name: String,
    /// The commune it is in.
    pub commune: String,
    /// Its mã số vùng trồng, when it has one.
    pub growing_area_code: Option<String>,
}

/// Everything a diary shows, gathered by the caller from the store.
#[derive(Debug, Clone)]
pub struct DiaryInput {
    /// Whose lot it is.
    pub cooperative: CooperativeInfo,
    /// The lot's code.
    pub lot_code: LotCode,
    /// The product's name ("Gạo ST25", "Bưởi da xanh").
    pub product_name: String,
    /// The plots the lot grows on.
    pub plots: Vec<PlotInfo>,
    /// The households that grew it ("Hộ ông Nguyễn Văn An").
    pub growers: Vec<String>,
    /// Who logged events: member id (an event's `actor`) to name. An actor missing here is
    /// shown by number.
    pub members: BTreeMap<i64, String>,
    /// The lot's status now.
    pub status: LotStatus,
    /// The lot's chain head now, as its public page shows it.
    pub chain_head: ChainHead,
    /// How many events the chain holds (corrections included); must equal `events.len()`.
    pub event_count: u64,
    /// When the diary is made; shown in Vietnam's time.
    pub generated_at: DateTime<FixedOffset>,
    /// The lot's events as stored, all of them (seq 1, 2, … with no gap), corrections included.
    pub events: Vec<Event>,
}
