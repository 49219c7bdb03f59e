//! Why a diary could not be made: an incomplete history, an unusable font, or a writer that
//! failed. Each error has a plain-words message and a stable [`DiaryError::code`].

/// A diary that could not be produced.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DiaryError {
    /// The events given are not the whole history the chain counts, so the diary would not
    /// match the chain head it prints.
    #[error("The lot's chain counts {stated} events but {listed} were given; a diary must list the whole history.")]
    EventCountMismatch {
        /// The event count of the chain.
        stated: u64,
        /// How many events were given.
        listed: usize,
    },
    /// The events' sequence numbers skip or repeat one, so part of the history is missing.
    #[error("Event number {expected} is missing from the history given (found {found} in its place).")]
    SequenceGap {
        /// The sequence number that should come next.
        expected: u64,
        /// The one found instead.
        found: u64,
    },
    /// The font file could not be read as a font.
    #[error("The file is not a font that can be embedded (TrueType or OpenType expected).")]
    UnreadableFont,
    /// The font cannot write Vietnamese.
    #[error(
        "The font has no glyphs for some Vietnamese letters ({missing}); choose a font with full Vietnamese support, e.g. DejaVu Sans or Noto Sans."
    )]
    FontLacksVietnamese {
        /// The first missing letters, comma-separated.
        missing: String,
    },
    /// The CSV writer failed.
    #[error("The CSV file could not be written: {0}")]
    Csv(String),
    /// The PDF writer failed.
    #[error("The PDF file could not be written: {0}")]
    Pdf(String),
    /// The XLSX writer failed.
    #[error("The spreadsheet could not be written: {0}")]
    Xlsx(String),
}

impl DiaryError {
    /// A stable machine-readable code, e.g. `event_count_mismatch`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::EventCountMismatch { .. } => "event_count_mismatch",
            Self::SequenceGap { .. } => "sequence_gap",
            Self::UnreadableFont => "unreadable_font",
            Self::FontLacksVietnamese { .. } => "font_lacks_vietnamese",
            Self::Csv(_) => "csv_failed",
            Self::Pdf(_) => "pdf_failed",
            Self::Xlsx(_) => "xlsx_failed",
        }
    }
}
