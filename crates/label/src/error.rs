//! The crate's errors: what is wrong with a scanned or typed link ([`LinkError`]), why a label
//! could not be drawn ([`LabelError`]), and why a signed batch does not check out
//! ([`SignatureError`]). Each has a stable `code()` for programs and plain-words messages.

/// A link, serial, digest, GTIN, lot code or base URL that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    /// A serial must have 16 symbols.
    #[error("The serial has {found} characters; it must have exactly 16 (hyphens are ignored).")]
    SerialLength {
        /// How many symbols were found.
        found: usize,
    },
    /// A serial may only use the Crockford base32 alphabet.
    #[error("The serial contains '{ch}', which is not allowed: use digits and the letters A–Z except U.")]
    SerialCharacter {
        /// The offending character.
        ch: char,
    },
    /// The `d=` digest must have 20 symbols.
    #[error("The check code (d=) has {found} characters; it must have exactly 20.")]
    DigestLength {
        /// How many symbols were found.
        found: usize,
    },
    /// The `d=` digest may only use the Crockford base32 alphabet.
    #[error("The check code (d=) contains '{ch}', which is not allowed: use digits and the letters A–Z except U.")]
    DigestCharacter {
        /// The offending character.
        ch: char,
    },
    /// The last symbol of the digest has bits set that no digest produces.
    #[error("The check code (d=) is not one this system prints: its last character is wrong.")]
    DigestPadding,
    /// The link has no `d=` parameter where one is required.
    #[error("The link has no check code (d=).")]
    MissingDigest,
    /// The GTIN has characters other than digits.
    #[error("The GTIN must contain only digits.")]
    GtinNotDigits,
    /// The GTIN has the wrong number of digits.
    #[error("The GTIN has {found} digits; it must have 8, 12, 13 or 14.")]
    GtinLength {
        /// How many characters were found.
        found: usize,
    },
    /// The GTIN's last digit does not match the others.
    #[error("The GTIN's check digit is wrong: the number was mistyped or damaged.")]
    GtinCheckDigit,
    /// The lot code is not 1–20 characters from `A–Z a–z 0–9 . _ -`.
    #[error("{message}")]
    LotCode {
        /// The explanation from the lot code's own rules.
        message: String,
    },
    /// The base URL is not `http(s)://host[:port][/prefix]`.
    #[error("The base URL is not usable: {reason}")]
    BaseUrl {
        /// What is wrong, in plain words.
        reason: String,
    },
    /// The link does not start with the expected base URL.
    #[error("The link does not start with {expected}.")]
    WrongBase {
        /// The base URL that was expected.
        expected: String,
    },
    /// The path is neither `/01/…/21/…` nor `/l/…`.
    #[error("The address is not a label link: expected /01/<GTIN>/10/<lot>/21/<serial> or /l/<serial>.")]
    NotALabelPath,
}

impl LinkError {
    /// A stable machine-readable code, e.g. `bad_gtin_check_digit`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SerialLength { .. } => "bad_serial_length",
            Self::SerialCharacter { .. } => "bad_serial_character",
            Self::DigestLength { .. } => "bad_digest_length",
            Self::DigestCharacter { .. } => "bad_digest_character",
            Self::DigestPadding => "bad_digest_padding",
            Self::MissingDigest => "missing_digest",
            Self::GtinNotDigits => "bad_gtin_digits",
            Self::GtinLength { .. } => "bad_gtin_length",
            Self::GtinCheckDigit => "bad_gtin_check_digit",
            Self::LotCode { .. } => "bad_lot_code",
            Self::BaseUrl { .. } => "bad_base_url",
            Self::WrongBase { .. } => "wrong_base_url",
            Self::NotALabelPath => "not_a_label_path",
        }
    }
}

/// A label, sheet or archive that could not be produced.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum LabelError {
    /// The text is too long for any QR code at error-correction level M.
    #[error("The link is too long to fit in a QR code ({length} bytes).")]
    TooLongForQr {
        /// The link's length in bytes.
        length: usize,
    },
    /// The pixel size per QR module must be at least 1.
    #[error("A QR module must be at least 1 pixel wide.")]
    ZeroModuleSize,
    /// The PNG encoder failed.
    #[error("The PNG image could not be encoded: {0}")]
    Png(String),
    /// A sheet layout string could not be read or is out of range.
    #[error("{0}")]
    Layout(String),
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
    /// A label's text uses a character the font cannot draw.
    #[error("Label {label}: the font has no glyph for '{ch}'.")]
    MissingGlyph {
        /// The 1-based label number.
        label: usize,
        /// The character that cannot be drawn.
        ch: char,
    },
    /// The QR code would print too small to scan reliably.
    #[error(
        "Label {label}: the QR code would print at {px_per_module:.1} dots per module at 300 dpi (at least 4 are needed); use bigger labels or a shorter base URL."
    )]
    QrTooSmall {
        /// The 1-based label number.
        label: usize,
        /// Dots per module the layout allows at 300 dpi.
        px_per_module: f32,
    },
    /// There was nothing to print.
    #[error("There are no labels to print.")]
    NoLabels,
    /// The PDF writer failed.
    #[error("The PDF could not be written: {0}")]
    Pdf(String),
    /// A file name in a ZIP archive is unsafe or repeated.
    #[error("The file name {name:?} cannot be used in the archive: {reason}")]
    ZipName {
        /// The offending name.
        name: String,
        /// Why it is refused.
        reason: &'static str,
    },
    /// The ZIP writer failed.
    #[error("The ZIP archive could not be written: {0}")]
    Zip(String),
}

impl LabelError {
    /// A stable machine-readable code, e.g. `qr_too_small`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::TooLongForQr { .. } => "too_long_for_qr",
            Self::ZeroModuleSize => "zero_module_size",
            Self::Png(_) => "png_encoding_failed",
            Self::Layout(_) => "bad_sheet_layout",
            Self::UnreadableFont => "unreadable_font",
            Self::FontLacksVietnamese { .. } => "font_lacks_vietnamese",
            Self::MissingGlyph { .. } => "missing_glyph",
            Self::QrTooSmall { .. } => "qr_too_small",
            Self::NoLabels => "no_labels",
            Self::Pdf(_) => "pdf_failed",
            Self::ZipName { .. } => "bad_zip_name",
            Self::Zip(_) => "zip_failed",
        }
    }
}

/// Why a signed batch or record does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The record's format version is not one this code knows.
    #[error("The batch record has format version {found}; only version 1 is known.")]
    UnsupportedVersion {
        /// The version found in the record.
        found: u32,
    },
    /// The record names a different key than the one supplied.
    #[error("The batch record names key {in_record}, but the signature comes with key {supplied}.")]
    KeyIdMismatch {
        /// The key id written in the record.
        in_record: String,
        /// The id of the public key supplied.
        supplied: String,
    },
    /// The key is not the one the verifier trusts for this cooperative.
    #[error("The batch was signed with key {found}, not the cooperative's key {pinned}.")]
    UnpinnedKey {
        /// The id of the trusted key.
        pinned: String,
        /// The id of the key that signed.
        found: String,
    },
    /// The signature does not match the record.
    #[error("The signature does not match the batch record: the record was changed or signed with another key.")]
    BadSignature,
    /// The record's count differs from the number of serials listed.
    #[error("The batch record says {in_record} labels, but {listed} serials are listed.")]
    CountMismatch {
        /// The count in the record.
        in_record: u32,
        /// The number of serials listed.
        listed: usize,
    },
    /// The listed serials are not the ones the record commits to.
    #[error("The listed serials are not the ones the signed record commits to.")]
    SerialsMismatch,
    /// A key or signature string could not be read.
    #[error("{what} is not valid: {reason}")]
    Malformed {
        /// Which value, e.g. "The public key".
        what: &'static str,
        /// What is wrong.
        reason: &'static str,
    },
}

impl SignatureError {
    /// A stable machine-readable code, e.g. `bad_signature`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnsupportedVersion { .. } => "unsupported_batch_version",
            Self::KeyIdMismatch { .. } => "key_id_mismatch",
            Self::UnpinnedKey { .. } => "unpinned_key",
            Self::BadSignature => "bad_signature",
            Self::CountMismatch { .. } => "serial_count_mismatch",
            Self::SerialsMismatch => "serials_mismatch",
            Self::Malformed { .. } => "malformed_key_or_signature",
        }
    }
}
