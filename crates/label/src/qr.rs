//! QR codes for label links: the module matrix, grayscale PNG and compact SVG.
//!
//! Every code uses error-correction level M (about 15 % of the symbol can be damaged or dirty
//! and still read, the usual choice for printed packaging) and a quiet zone of 4 modules, the
//! minimum the QR standard asks for.

use std::fmt::Write as _;

use image::ImageEncoder as _;

use crate::error::LabelError;

/// Modules of white border around the symbol, as the QR standard requires.
pub const QUIET_ZONE_MODULES: usize = 4;

/// Pixels per module for print-ready PNGs at 300 dpi.
///
/// 5 px at 300 dpi is 5 / 300 in = 0.42 mm per module: a version-7 code (45 modules, the size
/// of a Digital Link with a 20-character lot) plus its quiet zone is 53 × 0.42 mm = 22.4 mm, and
/// every module is printed by whole dots, which cheap thermal and laser printers need to keep
/// edges sharp. 4 px (0.34 mm, 18 mm for the same code) is the smallest size that still scans
/// reliably with phone cameras.
pub const PRINT_MODULE_PX: u32 = 5;

/// Dots per inch the print constants assume.
pub const PRINT_DPI: f32 = 300.0;

/// The fewest printer dots per module that scan reliably.
pub const MIN_DOTS_PER_MODULE: f32 = 4.0;

/// A QR symbol's dark and light modules, without the quiet zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrMatrix {
    width: usize,
    version: u8,
    dark: Vec<bool>,
}

impl QrMatrix {
    /// Encodes `text` at error-correction level M in the smallest version that holds it.
    pub fn encode(text: &str) -> Result<Self, LabelError> {
        let code = qrcode::QrCode::with_error_correction_level(text, qrcode::EcLevel::M)
            .map_err(|_| LabelError::TooLongForQr { length: text.len() })?;
        let version = match code.version() {
            qrcode::Version::Normal(v) | qrcode::Version::Micro(v) => u8::try_from(v).unwrap_or(0),
        };
        let dark = code
            .to_colors()
            .into_iter()
            .map(|color| color == qrcode::Color::Dark)
            .collect();
        Ok(Self {
            width: code.width(),
            version,
            dark,
        })
    }

    /// Modules per side of the symbol itself (21 for version 1, 4 more per version).
    pub fn width(&self) -> usize {
        self.width
    }

    /// Modules per side including the quiet zone on both sides.
    pub fn width_with_quiet_zone(&self) -> usize {
        self.width + 2 * QUIET_ZONE_MODULES
    }

    /// The QR version (1–40).
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Whether the module in column `x`, row `y` (0-based, quiet zone excluded) is dark.
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && y < self.width && self.dark[y * self.width + x]
    }

    /// Horizontal runs of dark modules as `(x, y, length)`, the fewest rectangles that cover
    /// the symbol row by row.
    pub fn dark_runs(&self) -> Vec<(usize, usize, usize)> {
        let mut runs = Vec::new();
        for y in 0..self.width {
            let mut x = 0;
            while x < self.width {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < self.width && self.is_dark(x, y) {
                        x += 1;
                    }
                    runs.push((start, y, x - start));
                } else {
                    x += 1;
                }
            }
        }
        runs
    }

    /// The side of the whole image, quiet zone included, in millimetres when printed with
    /// `module_mm` per module.
    pub fn printed_side_mm(&self, module_mm: f32) -> f32 {
        self.width_with_quiet_zone() as f32 * module_mm
    }
}

/// Encodes `url` as an 8-bit grayscale PNG with `module_px` pixels per module and the quiet
/// zone included; use [`PRINT_MODULE_PX`] for 300 dpi printing.
pub fn qr_png(url: &str, module_px: u32) -> Result<Vec<u8>, LabelError> {
    let matrix = QrMatrix::encode(url)?;
    matrix_png(&matrix, module_px)
}

/// Draws an already encoded matrix as a grayscale PNG.
pub fn matrix_png(matrix: &QrMatrix, module_px: u32) -> Result<Vec<u8>, LabelError> {
    if module_px == 0 {
        return Err(LabelError::ZeroModuleSize);
    }
    let modules = u32::try_from(matrix.width_with_quiet_zone())
        .map_err(|_| LabelError::Png("the symbol is too large".to_owned()))?;
    let side = modules
        .checked_mul(module_px)
        .ok_or_else(|| LabelError::Png("the image would be too large".to_owned()))?;
    let side_px = side as usize;
    let quiet = QUIET_ZONE_MODULES;
    let step = module_px as usize;
    let mut pixels = vec![255u8; side_px * side_px];
    for (x, y, length) in matrix.dark_runs() {
        let left = (x + quiet) * step;
        let right = left + length * step;
        for row in (y + quiet) * step..(y + quiet + 1) * step {
            pixels[row * side_px + left..row * side_px + right].fill(0);
        }
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&pixels, side, side, image::ExtendedColorType::L8)
        .map_err(|error| LabelError::Png(error.to_string()))?;
    Ok(png)
}

/// Encodes `url` as a compact SVG: a white square and all dark modules as one path, with the
/// `viewBox` in modules (quiet zone included) so it scales to any print size.
pub fn qr_svg(url: &str) -> Result<String, LabelError> {
    let matrix = QrMatrix::encode(url)?;
    let side = matrix.width_with_quiet_zone();
    let mut path = String::new();
    for (x, y, length) in matrix.dark_runs() {
        // Writing to a String cannot fail.
        let _ = write!(
            path,
            "M{} {}h{length}v1h-{length}z",
            x + QUIET_ZONE_MODULES,
            y + QUIET_ZONE_MODULES
        );
    }
    Ok(format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\">\
<rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\"{path}\"/></svg>\n"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BaseUrl, Digest, LabelLink, Serial};
    use farm_log::ids::{Gtin, LotCode};

    fn decode_png(png: &[u8]) -> String {
        let image = image::load_from_memory(png).expect("PNG decodes").to_luma8();
        let (width, height) = image.dimensions();
        let mut prepared = rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            image.get_pixel(x as u32, y as u32).0[0]
        });
        let grids = prepared.detect_grids();
        assert_eq!(grids.len(), 1, "exactly one QR code in the image");
        grids[0].decode().expect("QR decodes").1
    }

    fn digital_link(serial: Serial) -> LabelLink {
        LabelLink::DigitalLink {
            base: BaseUrl::parse("https://truyxuat.nguon.vn").expect("valid base"),
            gtin: Gtin::parse("8935049500018", "gtin").expect("valid gtin"),
            lot: LotCode::parse("HTXTAYTUU-2026.11-01", "lot").expect("valid lot"),
            serial,
            digest: Digest::of_head(blake3::hash(b"head").as_bytes()),
        }
    }

    fn short_link(serial: Serial) -> LabelLink {
        LabelLink::Short {
            base: BaseUrl::parse("https://truyxuat.nguon.vn").expect("valid base"),
            serial,
            digest: Digest::of_head(blake3::hash(b"head").as_bytes()),
        }
    }

    #[test]
    fn digital_link_with_twenty_character_lot_fits_two_centimetres_at_four_dots_per_module() {
        let mut rng = rand::rng();
        let url = digital_link(Serial::random(&mut rng)).to_url();
        assert_eq!(url.len(), 110, "{url}");
        let matrix = QrMatrix::encode(&url).expect("encodes");
        // 2 cm at 300 dpi is 236 dots; at 4 dots per module that is 59 modules with quiet zone.
        let dots_in_two_cm = (20.0 / 25.4 * PRINT_DPI).floor() as usize;
        assert!(
            matrix.width_with_quiet_zone() * 4 <= dots_in_two_cm,
            "version {} needs {} modules",
            matrix.version(),
            matrix.width_with_quiet_zone()
        );
        assert!(matrix.version() <= 8);
    }

    #[test]
    fn png_decodes_back_to_exactly_the_url_for_both_link_forms() {
        let mut rng = rand::rng();
        for link in [
            digital_link(Serial::random(&mut rng)),
            short_link(Serial::random(&mut rng)),
        ] {
            let url = link.to_url();
            let png = qr_png(&url, PRINT_MODULE_PX).expect("renders");
            assert_eq!(decode_png(&png), url);
        }
    }

    #[test]
    fn many_random_serials_decode_at_four_pixels_per_module() {
        let mut rng = rand::rng();
        for i in 0..60 {
            let serial = Serial::random(&mut rng);
            let link = if i % 2 == 0 {
                digital_link(serial)
            } else {
                short_link(serial)
            };
            let url = link.to_url();
            let png = qr_png(&url, 4).expect("renders");
            assert_eq!(decode_png(&png), url);
        }
    }

    #[test]
    fn png_has_the_quiet_zone_and_module_size() {
        let png = qr_png("https://a.vn/l/0000000000000000", 3).expect("renders");
        let image = image::load_from_memory(&png).expect("PNG decodes").to_luma8();
        let matrix = QrMatrix::encode("https://a.vn/l/0000000000000000").expect("encodes");
        assert_eq!(image.width() as usize, matrix.width_with_quiet_zone() * 3);
        // The quiet zone is white and the top-left finder pattern starts right after it.
        assert_eq!(image.get_pixel(11, 11).0[0], 255);
        assert_eq!(image.get_pixel(12, 12).0[0], 0);
        assert!(matches!(qr_png("x", 0), Err(LabelError::ZeroModuleSize)));
    }

    #[test]
    fn svg_is_one_path_with_a_viewbox_in_modules() {
        let url = short_link(Serial::from_bytes([1; 10])).to_url();
        let svg = qr_svg(&url).expect("renders");
        let side = QrMatrix::encode(&url).expect("encodes").width_with_quiet_zone();
        assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        assert!(svg.contains(&format!("viewBox=\"0 0 {side} {side}\"")));
        assert_eq!(svg.matches("<path").count(), 1);
        assert!(svg.len() < 12_000, "{} bytes", svg.len());
    }

    #[test]
    fn text_too_long_for_any_qr_code_is_an_error() {
        let error = qr_png(&"x".repeat(3000), 4).expect_err("too long");
        assert_eq!(error.code(), "too_long_for_qr");
    }
}
