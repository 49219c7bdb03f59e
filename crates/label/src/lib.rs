//! Nguồn's QR labels: what a label's QR code says, how it is drawn, and how a cooperative
//! vouches for the labels it issued.
//!
//! This crate does no IO (callers read fonts and write files) and knows nothing of databases or
//! HTTP. It builds on `farm-log`'s identifiers (`Gtin`, `LotCode`) and chain heads.
//!
//! # Identifiers
//! - [`Serial`]: 80 random bits per label, written as 16 Crockford base32 symbols
//!   (`Serial::random(&mut rand::rng())`, [`Serial::parse`], `Display`, [`Serial::short`] →
//!   `ABCD-EFGH-JKMN-PQRS`; serde as the string).
//! - [`Digest`]: the first 96 bits of the lot's chain head at issue, 20 base32 symbols
//!   ([`Digest::of_head`], [`Digest::matches_head`], [`Digest::parse`]).
//!
//! # Links
//! - [`BaseUrl::parse`]: `https://host[:port][/prefix]` (or `http://` for local use).
//! - [`LabelLink`]: `DigitalLink` → `{base}/01/{gtin14}/10/{lot}/21/{serial}?d={digest}` (GS1
//!   Digital Link, qualifiers in GS1 order) or `Short` → `{base}/l/{serial}?d={digest}`;
//!   [`LabelLink::to_url`] and its exact inverse [`LabelLink::parse`].
//! - [`ScannedPath::parse`]: the resolver's lenient reading of a scanned path and query
//!   (GTIN-8/12/13/14 normalized to 14 digits; a missing or damaged `d=` is reported in
//!   [`ScannedDigest`] rather than failing the whole link).
//!
//! # Drawing
//! - [`QrMatrix::encode`] (level M, 4-module quiet zone), [`qr_png`], [`qr_svg`],
//!   [`PRINT_MODULE_PX`] for 300 dpi.
//! - [`render_pdf`] lays [`LabelFace`]s out per [`SheetLayout`] (`3x8` A4 sheets or `50x30mm`
//!   single labels, e.g. `40x30mm`, `50x30mm`, `60x40mm` thermal rolls) with a [`LabelFont`] that
//!   must cover Vietnamese; [`calibration_pdf`] prints the outlines to line a printer up.
//! - [`zip_files`] packs PNGs or SVGs for a print shop.
//!
//! # Signatures
//! [`CoopSigningKey`] signs a [`BatchRecord`] (its documented canonical bytes, not its JSON)
//! into a [`SignedBatch`] with [`sign`]; [`SignedBatch::verify`] checks signature, key id,
//! serials and an optional pinned [`PublicKey`]; [`verify_record`] checks a record alone.
//!
//! # Errors
//! [`LinkError`], [`LabelError`] and [`SignatureError`] carry plain-words messages and a
//! stable `code()` such as `bad_gtin_check_digit`.

/// `FromStr` and serde for a value whose text form is its `Display` and whose `parse` reads it
/// back: serials, digests, keys and signatures travel in JSON as those strings.
macro_rules! text_form {
    ($name:ident, $error:ty) => {
        impl std::str::FromStr for $name {
            type Err = $error;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
                Self::parse(&text).map_err(serde::de::Error::custom)
            }
        }
    };
}

mod crockford;
pub mod digest;
pub mod error;
pub mod link;
pub mod pdf;
pub mod qr;
pub mod serial;
pub mod sign;
pub mod zip;

pub use digest::Digest;
pub use error::{LabelError, LinkError, SignatureError};
pub use link::{BaseUrl, LabelLink, ResolverPath, ScannedDigest, ScannedPath};
pub use pdf::{LabelFace, LabelFont, SCAN_PROMPT, SheetLayout, TextMetrics, calibration_pdf, render_pdf};
pub use qr::{PRINT_MODULE_PX, QUIET_ZONE_MODULES, QrMatrix, qr_png, qr_svg};
pub use serial::Serial;
pub use sign::{
    BatchRecord, BatchSignature, CoopSigningKey, PublicKey, SignedBatch, serials_digest, sign, verify_record,
};
pub use zip::zip_files;
