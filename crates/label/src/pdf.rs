//! Printable PDF label sheets: A4 sheets of equal labels for office printers, or one label
//! per page for thermal label printers.
//!
//! Every label shows its QR code as an image of one pixel per module, drawn without interpolation
//! at a whole number of 300 dpi dots per module and aligned to that grid (sharp on the printer,
//! and a few hundred bytes per code instead of hundreds of path rectangles) and, beside
//! or below it, what a buyer in Vietnam looks for on a pack: the product name, what the pack
//! holds, the pack and use-by dates, the lot, the cooperative and its phone, a certificate mark
//! when one is valid, "Quét mã QR để xem nguồn gốc", and the short serial to type in by hand.
//! Text is shrunk to fit its line and, past a legible minimum, cut with "…"; everything is also
//! clipped to the label so nothing reaches a neighbour.
//!
//! A calibration page ([`calibration_pdf`]) prints the label outline, a 5 mm ruler and the
//! safe area, so a leader can line a thermal printer (40×30, 50×30, 60×40 mm rolls) or an A4
//! sheet of die-cut labels up before printing hundreds.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect, Size as PageSize, Transform};
use krilla::image::{BitsPerComponent, CustomImage, Image, ImageColorspace};
use krilla::page::PageSettings;
use krilla::paint::FillRule;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};
use skrifa::MetadataProvider as _;
use skrifa::instance::{LocationRef, Size};

use crate::error::LabelError;
use crate::qr::{MIN_DOTS_PER_MODULE, PRINT_DPI, QrMatrix};

/// Points (1/72 inch, the PDF unit) per millimetre.
const PT_PER_MM: f32 = 72.0 / 25.4;
/// A4 portrait, in millimetres.
const A4_MM: (f32, f32) = (210.0, 297.0);
/// Left and right page margins of A4 sheets: most laser and inkjet printers cannot print the
/// outer 4–5 mm.
const SHEET_MARGIN_X_MM: f32 = 5.0;
/// Top and bottom page margins of A4 sheets.
const SHEET_MARGIN_Y_MM: f32 = 8.5;
/// White space kept inside every label edge, so a sheet fed slightly askew or a die-cut label
/// placed a little off does not lose its content.
const LABEL_PADDING_MM: f32 = 1.5;
/// The smallest label a grid may produce; below this the QR code and text cannot both fit.
const MIN_CELL_MM: (f32, f32) = (30.0, 18.0);
/// Sizes accepted for single labels.
const SINGLE_RANGE_MM: std::ops::RangeInclusive<f32> = 20.0..=300.0;
/// The largest and smallest text sizes, in points.
const MAX_TEXT_PT: f32 = 10.0;
const MIN_TEXT_PT: f32 = 4.5;
/// The product name is printed this much larger than the other lines.
const PRODUCT_NAME_SCALE: f32 = 1.3;
/// Line height as a multiple of the text size.
const LINE_SPACING: f32 = 1.2;

/// How labels are arranged on pages.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SheetLayout {
    /// A4 portrait sheets cut into `columns` × `rows` equal labels (e.g. `3x8`, `4x10`, `5x13`)
    /// inside 5 mm side and 8.5 mm top and bottom margins.
    Grid {
        /// Labels across.
        columns: u32,
        /// Labels down.
        rows: u32,
    },
    /// One label per page of exactly this size, for thermal label printers (e.g. `50x30mm`).
    Single {
        /// Label width in millimetres.
        width_mm: f32,
        /// Label height in millimetres.
        height_mm: f32,
    },
}

impl SheetLayout {
    /// Reads `3x8` (columns × rows on A4) or `50x30mm` (one label of that size per page).
    pub fn parse(text: &str) -> Result<Self, LabelError> {
        let text = text.trim().to_ascii_lowercase().replace('×', "x");
        let (first, second) = text.split_once('x').ok_or_else(|| {
            layout_error(format!(
                "\"{text}\" is not a sheet layout: write columns × rows such as 3x8, or a label size such as 50x30mm."
            ))
        })?;
        let layout = if let Some(height) = second.strip_suffix("mm") {
            let number = |part: &str| {
                part.trim().replace(',', ".").parse::<f32>().map_err(|_| {
                    layout_error(format!(
                        "\"{text}\": label sizes are numbers of millimetres, such as 50x30mm."
                    ))
                })
            };
            Self::Single {
                width_mm: number(first)?,
                height_mm: number(height)?,
            }
        } else {
            let number = |part: &str| {
                part.trim().parse::<u32>().map_err(|_| {
                    layout_error(format!(
                        "\"{text}\": columns and rows are whole numbers, such as 3x8; label sizes end in mm, such as 50x30mm."
                    ))
                })
            };
            Self::Grid {
                columns: number(first)?,
                rows: number(second)?,
            }
        };
        layout.check()?;
        Ok(layout)
    }

    /// Checks the numbers are printable: at least one label, labels no smaller than 30 × 18 mm
    /// on a grid, single labels between 20 and 300 mm a side.
    pub fn check(&self) -> Result<(), LabelError> {
        match *self {
            Self::Grid { columns, rows } => {
                if columns == 0 || rows == 0 {
                    return Err(layout_error(format!(
                        "{self}: a sheet needs at least one column and one row."
                    )));
                }
                let (width, height) = self.label_size_mm();
                if width < MIN_CELL_MM.0 {
                    return Err(layout_error(format!(
                        "{self}: each label would be {width:.1} mm wide on A4; at least {} mm is needed for the QR code and text, so use fewer columns.",
                        MIN_CELL_MM.0
                    )));
                }
                if height < MIN_CELL_MM.1 {
                    return Err(layout_error(format!(
                        "{self}: each label would be {height:.1} mm tall on A4; at least {} mm is needed for a readable QR code, so use fewer rows.",
                        MIN_CELL_MM.1
                    )));
                }
            }
            Self::Single { width_mm, height_mm } => {
                if !SINGLE_RANGE_MM.contains(&width_mm) || !SINGLE_RANGE_MM.contains(&height_mm) {
                    return Err(layout_error(format!(
                        "{self}: a single label must be between {} and {} mm on each side.",
                        SINGLE_RANGE_MM.start(),
                        SINGLE_RANGE_MM.end()
                    )));
                }
            }
        }
        Ok(())
    }

    /// How many labels one page holds.
    pub fn labels_per_page(&self) -> usize {
        match *self {
            Self::Grid { columns, rows } => (columns as usize).saturating_mul(rows as usize),
            Self::Single { .. } => 1,
        }
    }

    /// One label's size in millimetres.
    pub fn label_size_mm(&self) -> (f32, f32) {
        match *self {
            Self::Grid { columns, rows } => (
                (A4_MM.0 - 2.0 * SHEET_MARGIN_X_MM) / columns.max(1) as f32,
                (A4_MM.1 - 2.0 * SHEET_MARGIN_Y_MM) / rows.max(1) as f32,
            ),
            Self::Single { width_mm, height_mm } => (width_mm, height_mm),
        }
    }

    fn page_size_mm(&self) -> (f32, f32) {
        match *self {
            Self::Grid { .. } => A4_MM,
            Self::Single { width_mm, height_mm } => (width_mm, height_mm),
        }
    }

    /// The top-left corner of the `index`-th label on its page, in millimetres from the page's
    /// top-left corner.
    pub fn label_origin_mm(&self, index: usize) -> (f32, f32) {
        match *self {
            Self::Grid { columns, .. } => {
                let columns = columns.max(1) as usize;
                let (width, height) = self.label_size_mm();
                (
                    SHEET_MARGIN_X_MM + (index % columns) as f32 * width,
                    SHEET_MARGIN_Y_MM + (index / columns) as f32 * height,
                )
            }
            Self::Single { .. } => (0.0, 0.0),
        }
    }
}

impl fmt::Display for SheetLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Grid { columns, rows } => write!(f, "{columns}x{rows}"),
            Self::Single { width_mm, height_mm } => write!(f, "{width_mm}x{height_mm}mm"),
        }
    }
}

impl FromStr for SheetLayout {
    type Err = LabelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::parse(text)
    }
}

fn layout_error(message: String) -> LabelError {
    LabelError::Layout(message)
}

/// What one label shows. Texts are printed as given (the pack date already as `dd/mm/yyyy`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFace {
    /// The link in the QR code.
    pub url: String,
    /// The product's name, printed largest.
    pub product_name: String,
    /// The lot code.
    pub lot_code: String,
    /// The pack date, e.g. `20/11/2026`.
    pub pack_date: String,
    /// The cooperative's name.
    pub cooperative_name: String,
    /// The serial in groups of four ([`crate::Serial::short`]), for typing in when the QR
    /// code cannot be scanned.
    pub serial_short: String,
    /// A certification such as `VietGAP`, if the lot has one valid today.
    pub certificate_mark: Option<String>,
    /// What one pack holds, as the buyer reads it: `Túi 500 g`, `1 quả (khoảng 1,2 kg)`.
    pub pack_size: Option<String>,
    /// The last day to use it (hạn sử dụng), `dd/mm/yyyy`, when the product's shelf life is known.
    pub use_by: Option<String>,
    /// The cooperative's phone, for a buyer with a question.
    pub cooperative_phone: Option<String>,
}

/// The line every label carries under its QR code, telling a buyer what the code is for.
pub const SCAN_PROMPT: &str = "Quét mã QR để xem nguồn gốc";

/// Letters a label font must have: every Vietnamese letter, in both cases.
const VIETNAMESE_LETTERS: &str = "aàáảãạăằắẳẵặâầấẩẫậbcdđeèéẻẽẹêềếểễệghiìíỉĩịklmnoòóỏõọôồốổỗộơờớởỡợpqrstuùúủũụưừứửữựvxyỳýỷỹỵ\
AÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬBCDĐEÈÉẺẼẸÊỀẾỂỄỆGHIÌÍỈĨỊKLMNOÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢPQRSTUÙÚỦŨỤƯỪỨỬỮỰVXYỲÝỶỸỴ0123456789:/-#";

/// A font for label text, checked to have every Vietnamese letter.
#[derive(Clone)]
pub struct LabelFont {
    data: Arc<Vec<u8>>,
    font: Font,
}

impl LabelFont {
    /// Loads a TrueType or OpenType font (the caller reads the file), refusing one that cannot
    /// write Vietnamese.
    pub fn from_bytes(data: Vec<u8>) -> Result<Self, LabelError> {
        let data = Arc::new(data);
        let font_ref = skrifa::FontRef::new(&data).map_err(|_| LabelError::UnreadableFont)?;
        let charmap = font_ref.charmap();
        let missing: Vec<String> = VIETNAMESE_LETTERS
            .chars()
            .filter(|&ch| charmap.map(ch).is_none())
            .map(String::from)
            .collect();
        if !missing.is_empty() {
            let mut shown = missing.iter().take(12).cloned().collect::<Vec<_>>().join(", ");
            if missing.len() > 12 {
                shown.push_str(&format!(" and {} more", missing.len() - 12));
            }
            return Err(LabelError::FontLacksVietnamese { missing: shown });
        }
        let font = Font::new(krilla::Data::from(Arc::clone(&data)), 0).ok_or(LabelError::UnreadableFont)?;
        Ok(Self { data, font })
    }
}

impl LabelFont {
    /// The font file's bytes, for measuring text.
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// The font as krilla embeds it.
    pub fn krilla_font(&self) -> &Font {
        &self.font
    }
}

impl fmt::Debug for LabelFont {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "LabelFont({} bytes)", self.data.len())
    }
}

/// A font's character map and metrics, ready for measuring text (kerning ignored; clipping
/// covers the rest). The diary's PDF measures with it too.
pub struct TextMetrics<'a> {
    /// Characters to glyphs.
    pub charmap: skrifa::charmap::Charmap<'a>,
    /// Glyph advance widths.
    pub metrics: skrifa::metrics::GlyphMetrics<'a>,
    /// Ascent and descent per point of text size (descent is positive downwards).
    pub ascent: f32,
    /// See `ascent`.
    pub descent: f32,
}

type Measure<'a> = TextMetrics<'a>;

impl<'a> TextMetrics<'a> {
    /// The metrics of a loaded font.
    pub fn new(font: &'a LabelFont) -> Result<Self, LabelError> {
        let font_ref = skrifa::FontRef::new(&font.data).map_err(|_| LabelError::UnreadableFont)?;
        let metrics = font_ref.metrics(Size::new(1.0), LocationRef::default());
        Ok(Self {
            charmap: font_ref.charmap(),
            metrics: font_ref.glyph_metrics(Size::new(1.0), LocationRef::default()),
            ascent: metrics.ascent,
            descent: -metrics.descent,
        })
    }

    fn has_glyph(&self, ch: char) -> bool {
        ch.is_whitespace() || self.charmap.map(ch).is_some()
    }

    /// Width in points at `size` points.
    fn width(&self, text: &str, size: f32) -> f32 {
        let em: f32 = text
            .chars()
            .map(|ch| {
                self.charmap
                    .map(ch)
                    .and_then(|glyph| self.metrics.advance_width(glyph))
                    .unwrap_or(0.6)
            })
            .sum();
        em * size
    }

    /// The size (at most `size`) at which `text` fits `width`, and the text, cut with "…" if
    /// even the smallest size is too wide.
    fn fit(&self, text: &str, size: f32, width: f32) -> (f32, String) {
        let natural = self.width(text, size);
        if natural <= width {
            return (size, text.to_owned());
        }
        // Text already below the legible minimum (a crowded label) is not shrunk further.
        let floor = MIN_TEXT_PT.min(size);
        let shrunk = size * width / natural;
        if shrunk >= floor {
            return (shrunk, text.to_owned());
        }
        let ellipsis = if self.charmap.map('…').is_some() {
            "…"
        } else {
            "..."
        };
        let mut chars: Vec<char> = text.chars().collect();
        while !chars.is_empty() {
            chars.pop();
            let kept: String = chars.iter().collect();
            let candidate = format!("{}{ellipsis}", kept.trim_end());
            if self.width(&candidate, floor) <= width {
                return (floor, candidate);
            }
        }
        (floor, String::new())
    }
}

/// A rectangle in points, origin top-left, y downwards.
#[derive(Debug, Clone, Copy)]
struct Area {
    x: f32,
    y: f32,
    width: f32,
    height: f32,
}

impl Area {
    fn rect(&self) -> Option<Rect> {
        Rect::from_xywh(self.x, self.y, self.width, self.height)
    }
}

/// Renders labels into a PDF, in order, filling each page left to right, top to bottom.
/// `on_page` is called with the number of pages finished so far, for progress reports.
/// QR codes are encoded first, on scoped threads across the machine's cores; no IO happens.
pub fn render_pdf(
    faces: &[LabelFace],
    layout: &SheetLayout,
    font: &LabelFont,
    mut on_page: impl FnMut(usize),
) -> Result<Vec<u8>, LabelError> {
    layout.check()?;
    if faces.is_empty() {
        return Err(LabelError::NoLabels);
    }
    let measure = Measure::new(font)?;
    for (index, face) in faces.iter().enumerate() {
        if let Some(ch) = face_texts(face).flat_map(str::chars).find(|&ch| !measure.has_glyph(ch)) {
            return Err(LabelError::MissingGlyph { label: index + 1, ch });
        }
    }
    let matrices = encode_in_parallel(faces)?;
    let (page_width, page_height) = layout.page_size_mm();
    let settings = PageSettings::from_wh(page_width * PT_PER_MM, page_height * PT_PER_MM)
        .ok_or_else(|| layout_error(format!("{layout}: the page size is not usable.")))?;
    let (label_width, label_height) = layout.label_size_mm();
    let mut document = Document::new();
    let per_page = layout.labels_per_page();
    for (page_index, (page_faces, page_matrices)) in faces.chunks(per_page).zip(matrices.chunks(per_page)).enumerate() {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        for (slot, (face, matrix)) in page_faces.iter().zip(page_matrices).enumerate() {
            let (x, y) = layout.label_origin_mm(slot);
            let cell = Area {
                x: x * PT_PER_MM,
                y: y * PT_PER_MM,
                width: label_width * PT_PER_MM,
                height: label_height * PT_PER_MM,
            };
            let number = page_index * layout.labels_per_page() + slot + 1;
            draw_label(&mut surface, cell, face, matrix, font, &measure, number)?;
        }
        surface.finish();
        page.finish();
        on_page(page_index + 1);
    }
    document.finish().map_err(|error| LabelError::Pdf(error.to_string()))
}

/// A page to line the printer up before a print run: every label's outline (a hairline on its
/// edge), the safe area inside the padding (dashed), a centre cross, a ruler of 5 mm ticks along
/// the top and left of each label, and the label's size in words. Printed on the real labels, the
/// outline should sit on the label's edge; if it does not, adjust the printer's offset.
pub fn calibration_pdf(layout: &SheetLayout, font: &LabelFont) -> Result<Vec<u8>, LabelError> {
    use krilla::paint::{Stroke, StrokeDash};
    layout.check()?;
    let (page_width, page_height) = layout.page_size_mm();
    let settings = PageSettings::from_wh(page_width * PT_PER_MM, page_height * PT_PER_MM)
        .ok_or_else(|| layout_error(format!("{layout}: the page size is not usable.")))?;
    let (label_width, label_height) = layout.label_size_mm();
    let measure = Measure::new(font)?;
    let mut document = Document::new();
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let hairline = Stroke {
        width: 0.3,
        ..Stroke::default()
    };
    for slot in 0..layout.labels_per_page() {
        let (x, y) = layout.label_origin_mm(slot);
        let cell = Area {
            x: x * PT_PER_MM,
            y: y * PT_PER_MM,
            width: label_width * PT_PER_MM,
            height: label_height * PT_PER_MM,
        };
        let inset = 0.15;
        let mut outline = PathBuilder::new();
        if let Some(rect) = Rect::from_xywh(
            cell.x + inset,
            cell.y + inset,
            cell.width - 2.0 * inset,
            cell.height - 2.0 * inset,
        ) {
            outline.push_rect(rect);
        }
        // The centre cross and the 5 mm ruler ticks (longer every centimetre).
        let (cx, cy) = (cell.x + cell.width / 2.0, cell.y + cell.height / 2.0);
        let arm = 2.0 * PT_PER_MM;
        outline.move_to(cx - arm, cy);
        outline.line_to(cx + arm, cy);
        outline.move_to(cx, cy - arm);
        outline.line_to(cx, cy + arm);
        let mut mm = 5.0;
        while mm < label_width {
            let tick = if (mm as u32).is_multiple_of(10) { 2.0 } else { 1.0 } * PT_PER_MM;
            outline.move_to(cell.x + mm * PT_PER_MM, cell.y);
            outline.line_to(cell.x + mm * PT_PER_MM, cell.y + tick);
            mm += 5.0;
        }
        let mut mm = 5.0;
        while mm < label_height {
            let tick = if (mm as u32).is_multiple_of(10) { 2.0 } else { 1.0 } * PT_PER_MM;
            outline.move_to(cell.x, cell.y + mm * PT_PER_MM);
            outline.line_to(cell.x + tick, cell.y + mm * PT_PER_MM);
            mm += 5.0;
        }
        surface.set_fill(None);
        surface.set_stroke(Some(hairline.clone()));
        if let Some(path) = outline.finish() {
            surface.draw_path(&path);
        }
        let padding = LABEL_PADDING_MM * PT_PER_MM;
        if let Some(safe) = path_of_rects([Rect::from_xywh(
            cell.x + padding,
            cell.y + padding,
            cell.width - 2.0 * padding,
            cell.height - 2.0 * padding,
        )]) {
            surface.set_stroke(Some(Stroke {
                dash: Some(StrokeDash {
                    array: vec![1.5, 1.5],
                    offset: 0.0,
                }),
                ..hairline.clone()
            }));
            surface.draw_path(&safe);
        }
        surface.set_stroke(None);
        surface.set_fill(Some(krilla::paint::Fill::default()));
        let size_text = format!("{}×{} mm", trim_mm(label_width), trim_mm(label_height));
        let text_area = Area {
            x: cell.x + padding + 2.5 * PT_PER_MM,
            y: cell.y + padding + 2.5 * PT_PER_MM,
            width: cell.width - 2.0 * padding - 3.0 * PT_PER_MM,
            height: cell.height - 2.0 * padding - 3.0 * PT_PER_MM,
        };
        let items = [
            TextItem {
                scale: 1.3,
                text: size_text,
                may_wrap: false,
                never_cut: true,
            },
            TextItem {
                scale: 1.0,
                text: "In thử để canh lề".to_owned(),
                may_wrap: true,
                never_cut: false,
            },
            TextItem {
                scale: 1.0,
                text: "Viền phải trùng mép tem".to_owned(),
                may_wrap: true,
                never_cut: false,
            },
        ];
        for line in layout_text(&measure, text_area, &items) {
            surface.draw_text(
                Point::from_xy(line.x, line.baseline),
                font.font.clone(),
                line.size,
                &line.text,
                false,
                TextDirection::Auto,
            );
        }
    }
    surface.finish();
    page.finish();
    document.finish().map_err(|error| LabelError::Pdf(error.to_string()))
}

/// A size in millimetres without a needless ".0".
fn trim_mm(mm: f32) -> String {
    if (mm - mm.round()).abs() < 0.05 {
        format!("{}", mm.round() as i64)
    } else {
        format!("{mm:.1}")
    }
}

/// Encodes every label's QR code, spread over the machine's cores: choosing the best QR mask
/// is the most expensive step of a sheet, and the labels are independent.
fn encode_in_parallel(faces: &[LabelFace]) -> Result<Vec<QrMatrix>, LabelError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).min(8);
    let chunk = faces.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = faces
            .chunks(chunk)
            .map(|part| {
                scope.spawn(move || {
                    part.iter()
                        .map(|face| QrMatrix::encode(&face.url))
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut matrices = Vec::with_capacity(faces.len());
        for worker in workers {
            let part = worker
                .join()
                .map_err(|_| LabelError::Pdf("a QR encoding thread panicked".to_owned()))??;
            matrices.extend(part);
        }
        Ok(matrices)
    })
}

fn face_texts(face: &LabelFace) -> impl Iterator<Item = &str> {
    [
        face.product_name.as_str(),
        face.lot_code.as_str(),
        face.pack_date.as_str(),
        face.cooperative_name.as_str(),
        face.serial_short.as_str(),
        SCAN_PROMPT,
    ]
    .into_iter()
    .chain(face.certificate_mark.as_deref())
    .chain(face.pack_size.as_deref())
    .chain(face.use_by.as_deref())
    .chain(face.cooperative_phone.as_deref())
}

fn draw_label(
    surface: &mut Surface<'_>,
    cell: Area,
    face: &LabelFace,
    matrix: &QrMatrix,
    font: &LabelFont,
    measure: &Measure<'_>,
    number: usize,
) -> Result<(), LabelError> {
    let padding = LABEL_PADDING_MM * PT_PER_MM;
    let content = Area {
        x: cell.x + padding,
        y: cell.y + padding,
        width: cell.width - 2.0 * padding,
        height: cell.height - 2.0 * padding,
    };
    // Wide labels put the QR code on the left and text on the right; tall ones stack them.
    let landscape = content.width >= content.height * 1.3;
    let (qr_area, text_area) = if landscape {
        let side = content.height.min(content.width * 0.5);
        (
            Area {
                x: content.x,
                y: content.y + (content.height - side) / 2.0,
                width: side,
                height: side,
            },
            Area {
                x: content.x + side,
                y: content.y,
                width: content.width - side,
                height: content.height,
            },
        )
    } else {
        let side = content.width.min(content.height * 0.6);
        (
            Area {
                x: content.x + (content.width - side) / 2.0,
                y: content.y,
                width: side,
                height: side,
            },
            Area {
                x: content.x,
                y: content.y + side,
                width: content.width,
                height: content.height - side,
            },
        )
    };

    // Everything fallible happens before the clip is pushed, so it is always popped again.
    let qr = plan_qr(qr_area, matrix, number)?;
    let image = Image::from_custom(QrPixels::of(matrix), false).map_err(LabelError::Pdf)?;
    let lines = layout_text(measure, text_area, &text_items(face));
    let Some(clip) = path_of_rects([cell.rect()]) else {
        return Err(layout_error("A label has no area.".to_owned()));
    };
    surface.push_clip_path(&clip, &FillRule::NonZero);
    if let Some(size) = PageSize::from_wh(qr.side, qr.side) {
        surface.push_transform(&Transform::from_translate(qr.left, qr.top));
        surface.draw_image(image, size);
        surface.pop();
    }
    for line in lines {
        surface.draw_text(
            Point::from_xy(line.x, line.baseline),
            font.font.clone(),
            line.size,
            &line.text,
            false,
            TextDirection::Auto,
        );
    }
    surface.pop();
    Ok(())
}

fn path_of_rects(rects: impl IntoIterator<Item = Option<Rect>>) -> Option<krilla::geom::Path> {
    let mut builder = PathBuilder::new();
    for rect in rects.into_iter().flatten() {
        builder.push_rect(rect);
    }
    builder.finish()
}

/// A QR code's modules, quiet zone included, as 8-bit gray pixels (one per module).
#[derive(Clone, Hash)]
struct QrPixels {
    side: u32,
    pixels: Arc<Vec<u8>>,
}

impl QrPixels {
    fn of(matrix: &QrMatrix) -> Self {
        let side = matrix.width_with_quiet_zone();
        let quiet = crate::qr::QUIET_ZONE_MODULES;
        let mut pixels = vec![255u8; side * side];
        for y in 0..matrix.width() {
            for x in 0..matrix.width() {
                if matrix.is_dark(x, y) {
                    pixels[(y + quiet) * side + x + quiet] = 0;
                }
            }
        }
        Self {
            side: u32::try_from(side).unwrap_or(u32::MAX),
            pixels: Arc::new(pixels),
        }
    }
}

impl CustomImage for QrPixels {
    fn color_channel(&self) -> &[u8] {
        &self.pixels
    }

    fn alpha_channel(&self) -> Option<&[u8]> {
        None
    }

    fn bits_per_component(&self) -> BitsPerComponent {
        BitsPerComponent::Eight
    }

    fn size(&self) -> (u32, u32) {
        (self.side, self.side)
    }

    fn icc_profile(&self) -> Option<&[u8]> {
        None
    }

    fn color_space(&self) -> ImageColorspace {
        ImageColorspace::Luma
    }
}

/// Where a QR code goes and how big it is, in points, quiet zone included.
struct QrPlacement {
    left: f32,
    top: f32,
    side: f32,
}

/// Places the QR code at the largest whole-dot module size (at 300 dpi) that fits `area`,
/// centred and aligned to the 300 dpi grid, so every module prints as the same number of
/// printer dots. Refuses sizes under [`MIN_DOTS_PER_MODULE`].
fn plan_qr(area: Area, matrix: &QrMatrix, number: usize) -> Result<QrPlacement, LabelError> {
    let modules = matrix.width_with_quiet_zone() as f32;
    let pt_per_dot = 72.0 / PRINT_DPI;
    let available = area.width / pt_per_dot / modules;
    let dots_per_module = available.floor();
    if dots_per_module < MIN_DOTS_PER_MODULE {
        return Err(LabelError::QrTooSmall {
            label: number,
            px_per_module: available,
        });
    }
    let side = dots_per_module * pt_per_dot * modules;
    let snap = |value: f32| (value / pt_per_dot).round() * pt_per_dot;
    Ok(QrPlacement {
        left: snap(area.x + (area.width - side) / 2.0),
        top: snap(area.y + (area.height - side) / 2.0),
        side,
    })
}

/// One piece of label text: how much larger than the base size it is printed, and whether it
/// may take two lines.
struct TextItem {
    scale: f32,
    text: String,
    may_wrap: bool,
    /// Codes a person may need to type (lot, serial) are shrunk as far as needed, never cut.
    never_cut: bool,
}

fn text_items(face: &LabelFace) -> Vec<TextItem> {
    let item = |scale, text: String, may_wrap, never_cut| TextItem {
        scale,
        text,
        may_wrap,
        never_cut,
    };
    let mut items = vec![item(PRODUCT_NAME_SCALE, face.product_name.clone(), true, false)];
    if let Some(pack) = &face.pack_size {
        items.push(item(1.1, pack.clone(), false, false));
    }
    if let Some(mark) = &face.certificate_mark {
        items.push(item(1.0, mark.clone(), false, false));
    }
    items.push(item(1.0, format!("Đóng gói: {}", face.pack_date), false, false));
    if let Some(day) = &face.use_by {
        items.push(item(1.0, format!("HSD: {day}"), false, true));
    }
    items.push(item(1.0, format!("Lô: {}", face.lot_code), false, true));
    items.push(item(1.0, face.cooperative_name.clone(), true, false));
    if let Some(phone) = &face.cooperative_phone {
        items.push(item(1.0, format!("ĐT: {phone}"), false, true));
    }
    items.push(item(1.0, SCAN_PROMPT.to_owned(), true, false));
    items.push(item(1.0, face.serial_short.clone(), false, true));
    items
}

/// A line of text placed on the page: baseline start, size in points, and its width.
#[derive(Debug)]
struct PlacedLine {
    x: f32,
    baseline: f32,
    size: f32,
    text: String,
}

/// Lays the items out in `area`: one base size chosen so all lines fit the height, names that
/// would otherwise shrink a lot wrapped onto two lines at a space, every line then shrunk or
/// cut to fit the width, and the block centred vertically.
fn layout_text(measure: &Measure<'_>, area: Area, items: &[TextItem]) -> Vec<PlacedLine> {
    let inset = PT_PER_MM;
    let width = (area.width - inset).max(0.0);
    let mut wrapped = vec![false; items.len()];
    let mut base_size = MAX_TEXT_PT;
    // Wrapping adds lines, which lowers the base size, which may make more names fit on one
    // line again; three rounds settle it in practice, and any outcome is valid.
    for _ in 0..3 {
        let units: f32 = items
            .iter()
            .zip(&wrapped)
            .map(|(item, &wrap)| item.scale * if wrap { 2.0 } else { 1.0 })
            .sum();
        base_size = (area.height / (units * LINE_SPACING)).min(MAX_TEXT_PT);
        let mut changed = false;
        for (item, wrap) in items.iter().zip(wrapped.iter_mut()) {
            let needs = measure.width(&item.text, base_size * item.scale) * 0.7 > width;
            if !*wrap && item.may_wrap && needs && item.text.trim().contains(' ') {
                *wrap = true;
                changed = true;
            }
        }
        if !changed {
            break;
        }
    }
    // Each printed line: the height of its slot, its text size and its text.
    let mut lines: Vec<(f32, f32, String)> = Vec::new();
    for (item, &wrap) in items.iter().zip(&wrapped) {
        let size = base_size * item.scale;
        let slot = size * LINE_SPACING;
        if wrap {
            for (fitted, text) in wrap_in_two(measure, item.text.trim(), size, width) {
                lines.push((slot, fitted, text));
            }
        } else if item.never_cut {
            let natural = measure.width(&item.text, size);
            let fitted = if natural > width { size * width / natural } else { size };
            lines.push((slot, fitted, item.text.clone()));
        } else {
            let (fitted, text) = measure.fit(&item.text, size, width);
            lines.push((slot, fitted, text));
        }
    }
    let block_height: f32 = lines.iter().map(|(slot, _, _)| slot).sum();
    let mut line_top = area.y + ((area.height - block_height) / 2.0).max(0.0);
    let mut placed = Vec::with_capacity(lines.len());
    for (slot, size, text) in lines {
        // Centre the glyphs' ascent-to-descent box in the line's slot.
        let baseline = line_top + slot / 2.0 + (measure.ascent - measure.descent) * size / 2.0;
        line_top += slot;
        if text.is_empty() {
            continue;
        }
        placed.push(PlacedLine {
            x: area.x + inset,
            baseline,
            size,
            text,
        });
    }
    placed
}

/// Two lines of one shared size for a long name: split where the halves are most even when
/// both then fit at a legible size; otherwise the first line takes as many words as fit at the
/// smallest size and the second line the rest, cut with "…".
fn wrap_in_two(measure: &Measure<'_>, text: &str, size: f32, width: f32) -> [(f32, String); 2] {
    let (first, second) = balanced_split(measure, text, size);
    let shared = measure
        .fit(first, size, width)
        .0
        .min(measure.fit(second, size, width).0);
    let floor = MIN_TEXT_PT.min(size);
    if shared > floor {
        return [first, second].map(|half| (shared, half.to_owned()));
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    let taken = (1..words.len())
        .rev()
        .find(|&count| measure.width(&words[..count].join(" "), floor) <= width)
        .unwrap_or(1);
    let (first, second) = (words[..taken].join(" "), words[taken..].join(" "));
    [measure.fit(&first, floor, width), measure.fit(&second, floor, width)]
}

/// Splits `text` at the space that makes the longer half shortest.
fn balanced_split<'t>(measure: &Measure<'_>, text: &'t str, size: f32) -> (&'t str, &'t str) {
    text.match_indices(' ')
        .map(|(at, _)| (text[..at].trim_end(), text[at + 1..].trim_start()))
        .min_by(|a, b| {
            let longer = |(left, right): &(&str, &str)| measure.width(left, size).max(measure.width(right, size));
            longer(a).total_cmp(&longer(b))
        })
        .unwrap_or((text, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn skip_without_dejavu() {
        use std::io::Write as _;
        if std::env::var("NGUON_REQUIRE_TOOLS").as_deref() == Ok("1") {
            panic!("DejaVu Sans not found and NGUON_REQUIRE_TOOLS=1 — install fonts-dejavu-core");
        }
        // Written straight to stderr: the test harness captures `eprintln!` of passing tests.
        let _ = writeln!(
            std::io::stderr(),
            "*** SKIPPED: DejaVu Sans not found — install fonts-dejavu-core ***"
        );
    }

    fn dejavu() -> Option<LabelFont> {
        let bytes = std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf").ok()?;
        Some(LabelFont::from_bytes(bytes).expect("DejaVu covers Vietnamese"))
    }

    fn face(product_name: &str, cooperative_name: &str) -> LabelFace {
        LabelFace {
            url: "https://truyxuat.nguon.vn/l/ABCDEFGHJKMNPQRS?d=ABCDEFGHJKMNPQRSTVW0".to_owned(),
            product_name: product_name.to_owned(),
            lot_code: "BUOI-TAYTUU-2026.11A".to_owned(),
            pack_date: "20/11/2026".to_owned(),
            cooperative_name: cooperative_name.to_owned(),
            serial_short: "ABCD-EFGH-JKMN-PQRS".to_owned(),
            certificate_mark: Some("VietGAP".to_owned()),
            pack_size: Some("Túi 500 g".to_owned()),
            use_by: Some("27/11/2026".to_owned()),
            cooperative_phone: Some("0912 345 670".to_owned()),
        }
    }

    #[test]
    fn text_never_leaves_its_area_whatever_the_size_or_length() {
        let Some(font) = dejavu() else {
            skip_without_dejavu();
            return;
        };
        let measure = Measure::new(&font).expect("font reads");
        let long = "Bưởi da xanh ruột hồng loại đặc biệt xuất khẩu Bến Tre đóng hộp quà tặng Tết Nguyên Đán";
        let unbroken = "Bưởidaxanhruộthồngloạiđặcbiệtxuấtkhẩu";
        for (width_mm, height_mm) in [(30.0, 30.0), (20.0, 18.0), (10.0, 40.0), (60.0, 8.0), (4.0, 4.0)] {
            for (product, cooperative) in [("Cam", "HTX A"), (long, long), (unbroken, unbroken)] {
                let area = Area {
                    x: 10.0,
                    y: 20.0,
                    width: width_mm * PT_PER_MM,
                    height: height_mm * PT_PER_MM,
                };
                let lines = layout_text(&measure, area, &text_items(&face(product, cooperative)));
                for line in &lines {
                    let context = format!("{width_mm}x{height_mm} mm: {line:?}");
                    assert!(
                        line.x >= area.x && line.x + measure.width(&line.text, line.size) <= area.x + area.width + 0.01,
                        "{context}"
                    );
                    assert!(line.baseline - measure.ascent * line.size >= area.y - 0.01, "{context}");
                    assert!(
                        line.baseline + measure.descent * line.size <= area.y + area.height + 0.01,
                        "{context}"
                    );
                }
            }
        }
    }

    #[test]
    fn long_names_wrap_onto_two_lines_before_shrinking() {
        let Some(font) = dejavu() else {
            skip_without_dejavu();
            return;
        };
        let measure = Measure::new(&font).expect("font reads");
        let area = Area {
            x: 0.0,
            y: 0.0,
            width: 23.0 * PT_PER_MM,
            height: 27.0 * PT_PER_MM,
        };
        let lines = layout_text(
            &measure,
            area,
            &text_items(&face("Bưởi da xanh", "Hợp tác xã Rau an toàn Tây Tựu")),
        );
        let texts: Vec<&str> = lines.iter().map(|line| line.text.as_str()).collect();
        assert!(!texts.iter().any(|text| text.contains('…')), "{texts:?}");
        assert_eq!(
            texts.concat().replace(' ', ""),
            format!(
                "BưởidaxanhTúi500gVietGAPĐónggói:20/11/2026HSD:27/11/2026Lô:BUOI-TAYTUU-2026.11A{}ĐT:0912345670{}ABCD-EFGH-JKMN-PQRS",
                "HợptácxãRauantoànTâyTựu", "QuétmãQRđểxemnguồngốc"
            )
        );
    }

    #[test]
    fn the_common_thermal_sizes_and_their_calibration_pages_print() {
        let Some(font) = dejavu() else {
            skip_without_dejavu();
            return;
        };
        for size in ["40x30mm", "50x30mm", "60x40mm"] {
            let layout = SheetLayout::parse(size).expect(size);
            let labels = render_pdf(&[face("Bưởi da xanh", "HTX Mỏ Cày")], &layout, &font, |_| {}).expect(size);
            assert!(labels.starts_with(b"%PDF"), "{size}");
            let calibration = calibration_pdf(&layout, &font).expect(size);
            assert!(calibration.starts_with(b"%PDF"), "{size}");
        }
        let sheet = calibration_pdf(&SheetLayout::parse("3x8").expect("3x8"), &font).expect("A4");
        assert!(sheet.starts_with(b"%PDF"));
    }

    #[test]
    fn grid_layouts_parse_and_print_back() {
        for text in ["3x8", "4x10", "5x13", " 2X4 ", "3×8"] {
            let layout = SheetLayout::parse(text).expect(text);
            assert!(matches!(layout, SheetLayout::Grid { .. }));
            assert_eq!(SheetLayout::parse(&layout.to_string()), Ok(layout));
        }
        assert_eq!(SheetLayout::parse("3x8"), Ok(SheetLayout::Grid { columns: 3, rows: 8 }));
        assert_eq!(SheetLayout::parse("5x13").map(|l| l.labels_per_page()), Ok(65));
    }

    #[test]
    fn single_layouts_parse_with_millimetres() {
        assert_eq!(
            SheetLayout::parse("50x30mm"),
            Ok(SheetLayout::Single {
                width_mm: 50.0,
                height_mm: 30.0
            })
        );
        assert_eq!(
            SheetLayout::parse("62,5x40MM"),
            Ok(SheetLayout::Single {
                width_mm: 62.5,
                height_mm: 40.0
            })
        );
    }

    #[test]
    fn bad_layouts_say_why() {
        for (text, words) in [
            ("0x8", "at least one column"),
            ("3x0", "one row"),
            ("9x8", "wide"),
            ("3x20", "tall"),
            ("1000000x1", "wide"),
            ("3-8", "not a sheet layout"),
            ("axb", "whole numbers"),
            ("-3x8", "whole numbers"),
            ("50x30cm", "whole numbers"),
            ("5x1000mm", "between 20 and 300"),
            ("ax30mm", "millimetres"),
        ] {
            let error = SheetLayout::parse(text).expect_err(text);
            assert_eq!(error.code(), "bad_sheet_layout");
            assert!(error.to_string().contains(words), "{text}: {error}");
        }
    }
}
