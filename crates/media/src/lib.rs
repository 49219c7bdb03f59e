//! Photos, pure (no IO): an uploaded product or field photo is decoded with the `image` crate
//! (anything that is not a JPEG, PNG or WebP picture is refused), limited in size, resized, and
//! re-encoded as JPEG. Re-encoding from pixels drops every EXIF field, GPS position included.
//! The result is named by the blake3 hash of the full-size JPEG, so what is stored is what is
//! hashed.

use std::io::Cursor;

use image::{DynamicImage, ImageFormat, ImageReader, Limits};

/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 12 * 1024 * 1024;
/// The longest side of the stored full-size photo.
pub const FULL_MAX_SIDE: u32 = 1600;
/// The longest side of the small copy pages show (a 360 px phone at 2× density).
pub const CARD_MAX_SIDE: u32 = 720;
/// The largest picture decoded, in pixels per side (a 50-megapixel phone is about 8,200 px).
const MAX_DECODED_SIDE: u32 = 12_000;
const JPEG_QUALITY: u8 = 82;

/// Why a photo was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhotoError {
    /// Nothing was sent.
    #[error("The photo is empty.")]
    Empty,
    /// Too many bytes.
    #[error("The photo is {found} bytes; at most {max} are accepted.")]
    TooLarge {
        /// Bytes sent.
        found: usize,
        /// Bytes allowed.
        max: usize,
    },
    /// Not a JPEG, PNG or WebP picture.
    #[error("This file is not a photo (JPEG, PNG or WebP).")]
    NotAnImage,
    /// Could not be decoded or is too large in pixels.
    #[error("The photo could not be read: {0}")]
    Unreadable(String),
}

impl PhotoError {
    /// The same in Vietnamese.
    pub fn message_vi(&self) -> String {
        match self {
            Self::Empty => "Ảnh trống.".into(),
            Self::TooLarge { found, max } => {
                format!(
                    "Ảnh nặng {} MB; chỉ nhận tối đa {} MB.",
                    found.div_ceil(1024 * 1024),
                    max / (1024 * 1024)
                )
            }
            Self::NotAnImage => "Tệp này không phải ảnh (JPEG, PNG hoặc WebP).".into(),
            Self::Unreadable(_) => "Không đọc được ảnh này; hãy chụp lại.".into(),
        }
    }
}

/// One stored size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Variant {
    /// `full` or `card`.
    pub name: &'static str,
    /// Always `image/jpeg`.
    pub content_type: &'static str,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The JPEG.
    pub bytes: Vec<u8>,
}

/// A photo ready to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PreparedPhoto {
    /// blake3 of the full-size JPEG, lowercase hex.
    pub hash: String,
    /// `full` (≤ 1600 px) then `card` (≤ 720 px).
    pub variants: Vec<Variant>,
}

/// Decodes, checks, resizes and re-encodes an uploaded photo.
pub fn prepare_photo(bytes: &[u8]) -> Result<PreparedPhoto, PhotoError> {
    if bytes.is_empty() {
        return Err(PhotoError::Empty);
    }
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(PhotoError::TooLarge {
            found: bytes.len(),
            max: MAX_UPLOAD_BYTES,
        });
    }
    let format = image::guess_format(bytes).map_err(|_| PhotoError::NotAnImage)?;
    if !matches!(format, ImageFormat::Jpeg | ImageFormat::Png | ImageFormat::WebP) {
        return Err(PhotoError::NotAnImage);
    }
    let mut reader = ImageReader::with_format(Cursor::new(bytes), format);
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_DECODED_SIDE);
    limits.max_image_height = Some(MAX_DECODED_SIDE);
    limits.max_alloc = Some(512 * 1024 * 1024);
    reader.limits(limits);
    let image = reader.decode().map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    let full = encode("full", &fit(&image, FULL_MAX_SIDE))?;
    let card = encode("card", &fit(&image, CARD_MAX_SIDE))?;
    Ok(PreparedPhoto {
        hash: blake3::hash(&full.bytes).to_hex().to_string(),
        variants: vec![full, card],
    })
}

fn fit(image: &DynamicImage, max_side: u32) -> DynamicImage {
    if image.width() <= max_side && image.height() <= max_side {
        image.clone()
    } else {
        image.resize(max_side, max_side, image::imageops::FilterType::Triangle)
    }
}

fn encode(name: &'static str, image: &DynamicImage) -> Result<Variant, PhotoError> {
    let rgb = image.to_rgb8();
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, JPEG_QUALITY)
        .encode_image(&rgb)
        .map_err(|e| PhotoError::Unreadable(e.to_string()))?;
    Ok(Variant {
        name,
        content_type: "image/jpeg",
        width: rgb.width(),
        height: rgb.height(),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn png(width: u32, height: u32) -> Vec<u8> {
        let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut bytes = Vec::new();
        DynamicImage::ImageRgb8(image)
            .write_to(&mut Cursor::new(&mut bytes), ImageFormat::Png)
            .unwrap();
        bytes
    }

    #[test]
    fn a_large_photo_is_resized_to_both_sizes_and_named_by_its_hash() {
        let photo = prepare_photo(&png(2400, 1200)).unwrap();
        let sizes: Vec<(u32, u32)> = photo.variants.iter().map(|v| (v.width, v.height)).collect();
        assert_eq!(sizes, vec![(1600, 800), (720, 360)]);
        assert_eq!(photo.hash, blake3::hash(&photo.variants[0].bytes).to_hex().to_string());
        assert!(image::load_from_memory(&photo.variants[1].bytes).is_ok());
    }

    #[test]
    fn exif_and_gps_do_not_survive() {
        // A JPEG with an APP1 Exif segment carrying a GPS tag name.
        let mut jpeg = Vec::new();
        DynamicImage::ImageRgb8(image::RgbImage::new(40, 30))
            .write_to(&mut Cursor::new(&mut jpeg), ImageFormat::Jpeg)
            .unwrap();
        let exif = b"Exif\0\0GPSLatitude 10.762622 GPSLongitude 106.660172";
        let mut segment = vec![0xFF, 0xE1];
        segment.extend_from_slice(&u16::try_from(exif.len() + 2).unwrap().to_be_bytes());
        segment.extend_from_slice(exif);
        jpeg.splice(2..2, segment);
        assert!(jpeg.windows(11).any(|w| w == b"GPSLatitude"));
        let photo = prepare_photo(&jpeg).unwrap();
        for variant in &photo.variants {
            assert!(!variant.bytes.windows(4).any(|w| w == b"Exif"));
            assert!(!variant.bytes.windows(3).any(|w| w == b"GPS"));
        }
    }

    #[test]
    fn what_is_not_a_photo_is_refused_with_a_reason() {
        assert_eq!(prepare_photo(b""), Err(PhotoError::Empty));
        assert_eq!(prepare_photo(b"%PDF-1.7 not a photo"), Err(PhotoError::NotAnImage));
        assert!(matches!(
            prepare_photo(&vec![0u8; MAX_UPLOAD_BYTES + 1]),
            Err(PhotoError::TooLarge { .. })
        ));
        let mut truncated = png(50, 50);
        truncated.truncate(60);
        assert!(matches!(prepare_photo(&truncated), Err(PhotoError::Unreadable(_))));
    }
}
