//! The diary as a printable A4 document: a header block that names the lot and carries its chain
//! head and event count, then a table of the diary's lines that wraps long text inside its
//! cells, splits a line taller than what is left of a page across pages, repeats the table's
//! header row on every page and numbers the pages "Trang i/n".
//!
//! Voided entries are shaded grey and struck through; sprayings whose pre-harvest interval was
//! not respected are shaded red with the verdict in red. Layout happens first (so the page
//! count is known for the footers), drawing second.

use krilla::Document;
use krilla::color::rgb;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::metadata::{DateTime as PdfDateTime, Metadata};
use krilla::num::NormalizedF32;
use krilla::page::PageSettings;
use krilla::paint::{Fill, FillRule, Stroke};
use krilla::surface::Surface;
use krilla::text::{GlyphId, KrillaGlyph};

use chrono::{Datelike as _, Timelike as _};
use farm_log::VIETNAM_OFFSET;

use crate::rows::{DiaryRow, diary_rows, show_datetime};
use crate::words::{self, Words};
use crate::{DiaryError, DiaryInput, Language};

/// A4 portrait in points (1/72 inch).
const PAGE_WIDTH: f32 = 595.276;
const PAGE_HEIGHT: f32 = 841.89;
/// Page margins: 12 mm at the sides and top; the bottom one also holds the footer.
const MARGIN_X: f32 = 34.0;
const MARGIN_TOP: f32 = 34.0;
const MARGIN_BOTTOM: f32 = 44.0;
/// The footer's baseline, from the top of the page.
const FOOTER_BASELINE: f32 = PAGE_HEIGHT - 22.0;
const CONTENT_WIDTH: f32 = PAGE_WIDTH - 2.0 * MARGIN_X;
const CONTENT_BOTTOM: f32 = PAGE_HEIGHT - MARGIN_BOTTOM;

/// Text sizes in points.
const TITLE_PT: f32 = 14.0;
const FIELD_PT: f32 = 8.5;
const TABLE_PT: f32 = 7.5;
const SMALL_PT: f32 = 7.0;
/// Line height as a multiple of the text size.
const LINE_SPACING: f32 = 1.25;
/// White space inside each table cell.
const CELL_PAD_X: f32 = 2.5;
const CELL_PAD_Y: f32 = 2.5;

/// The table's columns (widths in points): sequence (five digits fit), date and time, type, input product, amount, pre-harvest
/// interval, who logged it; details and notes take the rest of the width.
const FIXED_COLUMNS: [f32; 7] = [30.0, 50.0, 56.0, 82.0, 50.0, 70.0, 56.0];
const COLUMNS: usize = FIXED_COLUMNS.len() + 1;
const TYPE_COLUMN: usize = 2;
/// A table row of at most this many lines is never split across pages.
const UNSPLIT_ROW_LINES: usize = 12;
/// A longer row is split only when at least this many of its lines fit on the page.
const MIN_SPLIT_LINES: usize = 4;
const INTERVAL_COLUMN: usize = 5;

/// A straight line from one point to another.
type Segment = ((f32, f32), (f32, f32));

const BLACK: (u8, u8, u8) = (0, 0, 0);
const MUTED: (u8, u8, u8) = (85, 85, 85);
const GRID: (u8, u8, u8) = (150, 150, 150);
const HEADER_FILL: (u8, u8, u8) = (218, 232, 218);
const VOID_FILL: (u8, u8, u8) = (230, 230, 230);
const VOID_TEXT: (u8, u8, u8) = (105, 105, 105);
const BREACH_FILL: (u8, u8, u8) = (253, 222, 222);
const BREACH_TEXT: (u8, u8, u8) = (170, 0, 0);

/// A font for the diary: the label font type, which is checked to have every Vietnamese letter.
/// The caller reads the file.
#[derive(Clone, Debug)]
pub struct DiaryFont(label::LabelFont);

impl DiaryFont {
    /// Loads a TrueType or OpenType font, refusing one that cannot write Vietnamese.
    pub fn from_bytes(data: Vec<u8>) -> Result<Self, DiaryError> {
        label::LabelFont::from_bytes(data)
            .map(Self)
            .map_err(|error| match error {
                label::LabelError::FontLacksVietnamese { missing } => DiaryError::FontLacksVietnamese { missing },
                _ => DiaryError::UnreadableFont,
            })
    }

    /// The font already loaded (and checked) for printing labels.
    pub fn from_label_font(font: label::LabelFont) -> Self {
        Self(font)
    }
}

/// Measures and wraps text with the font's advance widths (kerning ignored), on the label
/// crate's font metrics.
struct Measure<'a>(label::TextMetrics<'a>);

impl<'a> std::ops::Deref for Measure<'a> {
    type Target = label::TextMetrics<'a>;

    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl<'a> Measure<'a> {
    fn new(font: &'a DiaryFont) -> Result<Self, DiaryError> {
        label::TextMetrics::new(&font.0)
            .map(Measure)
            .map_err(|_| DiaryError::UnreadableFont)
    }

    fn char_width(&self, ch: char, size: f32) -> f32 {
        self.charmap
            .map(ch)
            .and_then(|glyph| self.metrics.advance_width(glyph))
            .unwrap_or(0.6)
            * size
    }

    fn width(&self, text: &str, size: f32) -> f32 {
        text.chars().map(|ch| self.char_width(ch, size)).sum()
    }

    /// The text as it can be drawn: line breaks kept, other control characters and unusual
    /// spaces made plain spaces, and a character the font has no glyph for (an emoji in a
    /// note) shown as "?" rather than failing the whole diary.
    fn clean(&self, text: &str) -> String {
        text.chars()
            .filter(|&ch| ch != '\r')
            .map(|ch| match ch {
                '\n' => '\n',
                ch if ch.is_whitespace() || ch.is_control() => ' ',
                ch if self.charmap.map(ch).is_none() => '?',
                ch => ch,
            })
            .collect()
    }

    /// Breaks `text` into lines no wider than `width` at `size`: at line breaks, between words,
    /// and inside a word that is wider than a whole line. Runs of blank lines count as one.
    fn wrap(&self, text: &str, size: f32, width: f32) -> Vec<String> {
        let text = self.clean(text);
        let space = self.char_width(' ', size);
        let mut lines: Vec<String> = Vec::new();
        for paragraph in text.split('\n') {
            if paragraph.trim().is_empty() {
                if lines.last().is_some_and(|line| !line.is_empty()) {
                    lines.push(String::new());
                }
                continue;
            }
            let mut line = String::new();
            let mut line_width = 0.0;
            for word in paragraph.split_whitespace() {
                let word_width = self.width(word, size);
                if !line.is_empty() {
                    if line_width + space + word_width <= width {
                        line.push(' ');
                        line.push_str(word);
                        line_width += space + word_width;
                        continue;
                    }
                    lines.push(std::mem::take(&mut line));
                    line_width = 0.0;
                }
                if word_width <= width {
                    line.push_str(word);
                    line_width = word_width;
                    continue;
                }
                for ch in word.chars() {
                    let ch_width = self.char_width(ch, size);
                    if !line.is_empty() && line_width + ch_width > width {
                        lines.push(std::mem::take(&mut line));
                        line_width = 0.0;
                    }
                    line.push(ch);
                    line_width += ch_width;
                }
            }
            lines.push(line);
        }
        while lines.last().is_some_and(String::is_empty) {
            lines.pop();
        }
        lines
    }

    /// The glyphs of a cleaned line, one per character at its advance width: the same widths
    /// the layout measured, and no shaping engine run per line (which dominated the time of a
    /// long diary). Each glyph maps back to its character, so the text can be copied and
    /// searched in the PDF.
    fn glyphs(&self, text: &str) -> Vec<KrillaGlyph> {
        text.char_indices()
            .map(|(at, ch)| {
                let glyph = self.charmap.map(ch).map_or(0, |glyph| glyph.to_u32());
                KrillaGlyph::new(
                    GlyphId::new(glyph),
                    self.char_width(ch, 1.0),
                    0.0,
                    0.0,
                    0.0,
                    at..at + ch.len_utf8(),
                    None,
                )
            })
            .collect()
    }

    /// The baseline of a line whose slot starts at `top`, centring the glyphs in the slot.
    fn baseline(&self, top: f32, size: f32) -> f32 {
        let slot = size * LINE_SPACING;
        top + (slot - (self.ascent + self.descent) * size) / 2.0 + self.ascent * size
    }
}

/// How a table line is marked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mark {
    Plain,
    Voided,
    Breached,
}

/// A diary line laid out in its cells.
struct TableRow {
    cells: [Vec<String>; COLUMNS],
    /// How many leading lines of each cell a strike-through line crosses (voided rows).
    struck: [usize; COLUMNS],
    mark: Mark,
}

impl TableRow {
    fn lines(&self) -> usize {
        self.cells.iter().map(Vec::len).max().unwrap_or(0).max(1)
    }
}

/// Something placed on a page; y is measured from the top of the page.
enum Item {
    Text {
        x: f32,
        top: f32,
        size: f32,
        text: String,
        color: (u8, u8, u8),
    },
    TableHeader {
        top: f32,
    },
    /// Lines `from..to` of a table row (a row taller than a page is split).
    Row {
        index: usize,
        top: f32,
        from: usize,
        to: usize,
    },
}

/// The x of each column's left edge, and the right edge last.
fn column_edges() -> [f32; COLUMNS + 1] {
    let mut edges = [MARGIN_X; COLUMNS + 1];
    for (i, width) in FIXED_COLUMNS.iter().enumerate() {
        edges[i + 1] = edges[i] + width;
    }
    edges[COLUMNS] = MARGIN_X + CONTENT_WIDTH;
    edges
}

fn column_text_width(edges: &[f32; COLUMNS + 1], column: usize) -> f32 {
    (edges[column + 1] - edges[column] - 2.0 * CELL_PAD_X).max(1.0)
}

/// Fills pages from the top, starting a new page when the next piece does not fit; once the
/// table has begun, every new page starts with its header row.
struct Composer {
    pages: Vec<Vec<Item>>,
    y: f32,
    in_table: bool,
    header_height: f32,
}

impl Composer {
    fn new(header_height: f32) -> Self {
        Self {
            pages: vec![Vec::new()],
            y: MARGIN_TOP,
            in_table: false,
            header_height,
        }
    }

    fn push(&mut self, item: Item) {
        if let Some(page) = self.pages.last_mut() {
            page.push(item);
        }
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
        if self.in_table {
            self.push(Item::TableHeader { top: self.y });
            self.y += self.header_height;
        }
    }

    fn room(&self) -> f32 {
        CONTENT_BOTTOM - self.y
    }

    /// One line of text of `size` at `x`, on a new page when this one is full.
    fn line(&mut self, x: f32, size: f32, text: String, color: (u8, u8, u8)) {
        let height = size * LINE_SPACING;
        if self.room() < height {
            self.new_page();
        }
        self.push(Item::Text {
            x,
            top: self.y,
            size,
            text,
            color,
        });
        self.y += height;
    }
}

/// The diary of `input` as PDF bytes: A4 portrait, text in `font`, words in `language`.
pub fn render_pdf(input: &DiaryInput, language: Language, font: &DiaryFont) -> Result<Vec<u8>, DiaryError> {
    let rows = diary_rows(input, language)?;
    let words = Words::of(language);
    let measure = Measure::new(font)?;
    let edges = column_edges();

    let header_cells = [
        words.head_seq,
        words.head_when,
        words.head_type,
        words.head_input,
        words.head_amount,
        words.head_interval,
        words.head_logged_by,
        words.head_notes,
    ]
    .map(|title| title.to_owned());
    let header = lay_out_cells(&measure, &edges, header_cells);
    let header_lines = header.iter().map(Vec::len).max().unwrap_or(1).max(1);
    let line_height = TABLE_PT * LINE_SPACING;
    let header_height = header_lines as f32 * line_height + 2.0 * CELL_PAD_Y;
    let table: Vec<TableRow> = rows
        .iter()
        .map(|row| table_row(&measure, &edges, row, words, language))
        .collect();

    let mut composer = Composer::new(header_height);
    compose_header(&mut composer, &measure, input, words, language);
    compose_table(&mut composer, &measure, &table, words);

    draw(input, language, font, &measure, &composer.pages, &header, &table)
}

/// The header block: title, the lot's particulars as label–value lines, how to check the chain
/// head, and what the table's marks mean.
fn compose_header(
    composer: &mut Composer,
    measure: &Measure<'_>,
    input: &DiaryInput,
    words: &Words,
    language: Language,
) {
    for line in measure.wrap(words.title, TITLE_PT, CONTENT_WIDTH) {
        composer.line(MARGIN_X, TITLE_PT, line, BLACK);
    }
    composer.y += 4.0;
    let or_dash = |text: String| if text.trim().is_empty() { "—".to_owned() } else { text };
    let plots = input
        .plots
        .iter()
        .map(|plot| {
            let mut about = vec![plot.commune.trim().to_owned()];
            if let Some(code) = plot
                .growing_area_code
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
            {
                about.push(format!("{} {code}", words.growing_area_code));
            }
            about.retain(|part| !part.is_empty());
            if about.is_empty() {
                plot.name.trim().to_owned()
            } else {
                format!("{} ({})", plot.name.trim(), about.join("; "))
            }
        })
        .collect::<Vec<_>>()
        .join("; ");
    let generated = format!("{} ({})", show_datetime(&input.generated_at), words.vietnam_time);
    let fields = [
        (words.field_cooperative, input.cooperative.name.trim().to_owned()),
        (words.field_address, input.cooperative.address.trim().to_owned()),
        (words.field_lot, input.lot_code.to_string()),
        (words.field_product, input.product_name.trim().to_owned()),
        (words.field_plots, plots),
        (
            words.field_growers,
            input
                .growers
                .iter()
                .map(|name| name.trim())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        (words.field_status, words::lot_status(input.status, language).to_owned()),
        (words.field_generated_at, generated),
        (words.field_chain_head, input.chain_head.to_hex()),
        (words.field_event_count, input.event_count.to_string()),
    ];
    let label_width = fields
        .iter()
        .map(|(label, _)| measure.width(&format!("{label}:"), FIELD_PT))
        .fold(0.0, f32::max)
        + 8.0;
    let value_x = MARGIN_X + label_width;
    let value_width = CONTENT_WIDTH - label_width;
    for (label, value) in fields {
        for (i, line) in measure
            .wrap(&or_dash(value), FIELD_PT, value_width)
            .into_iter()
            .enumerate()
        {
            let height = FIELD_PT * LINE_SPACING;
            if composer.room() < height {
                composer.new_page();
            }
            if i == 0 {
                composer.push(Item::Text {
                    x: MARGIN_X,
                    top: composer.y,
                    size: FIELD_PT,
                    text: format!("{label}:"),
                    color: MUTED,
                });
            }
            composer.line(value_x, FIELD_PT, line, BLACK);
        }
    }
    composer.y += 4.0;
    for paragraph in [words.how_to_check, words.legend] {
        for line in measure.wrap(paragraph, SMALL_PT, CONTENT_WIDTH) {
            composer.line(MARGIN_X, SMALL_PT, line, MUTED);
        }
    }
    composer.y += 6.0;
}

/// The table: its header row, then every row, moved to the next page when it does not fit
/// what is left of this one, and split across pages when it is taller than a whole page.
fn compose_table(composer: &mut Composer, measure: &Measure<'_>, table: &[TableRow], words: &Words) {
    let line_height = TABLE_PT * LINE_SPACING;
    let padding = 2.0 * CELL_PAD_Y;
    composer.in_table = true;
    if composer.room() < composer.header_height + line_height + padding {
        composer.new_page();
    } else {
        composer.push(Item::TableHeader { top: composer.y });
        composer.y += composer.header_height;
    }
    if table.is_empty() {
        composer.y += CELL_PAD_Y;
        for line in measure.wrap(words.no_entries, FIELD_PT, CONTENT_WIDTH) {
            composer.line(MARGIN_X + CELL_PAD_X, FIELD_PT, line, BLACK);
        }
        return;
    }
    let fresh_top = MARGIN_TOP + composer.header_height;
    let lines_fitting = |room: f32| ((room - padding) / line_height).floor().max(0.0) as usize;
    let page_lines = lines_fitting(CONTENT_BOTTOM - fresh_top).max(1);
    for (index, row) in table.iter().enumerate() {
        let total = row.lines();
        let mut from = 0;
        while from < total {
            let remaining = total - from;
            let room = lines_fitting(composer.room());
            if room >= remaining {
                composer.push(Item::Row {
                    index,
                    top: composer.y,
                    from,
                    to: total,
                });
                composer.y += remaining as f32 * line_height + padding;
                break;
            }
            let at_page_top = composer.y <= fresh_top + 0.01;
            // A short row is never split: it starts the next page. A long one fills what is
            // left of this page, unless only a few lines are left.
            let short = from == 0 && remaining <= UNSPLIT_ROW_LINES.min(page_lines);
            if !at_page_top && (short || room < MIN_SPLIT_LINES) {
                composer.new_page();
                continue;
            }
            let take = room.clamp(1, remaining);
            composer.push(Item::Row {
                index,
                top: composer.y,
                from,
                to: from + take,
            });
            from += take;
            composer.new_page();
        }
    }
}

/// Wraps each cell's text to its column.
fn lay_out_cells(
    measure: &Measure<'_>,
    edges: &[f32; COLUMNS + 1],
    texts: [String; COLUMNS],
) -> [Vec<String>; COLUMNS] {
    let mut column = 0;
    texts.map(|text| {
        let lines = measure.wrap(&text, TABLE_PT, column_text_width(edges, column));
        column += 1;
        lines
    })
}

fn table_row(
    measure: &Measure<'_>,
    edges: &[f32; COLUMNS + 1],
    row: &DiaryRow,
    words: &Words,
    language: Language,
) -> TableRow {
    let join = |parts: &[&str]| {
        parts
            .iter()
            .map(|part| part.trim())
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join("\n")
    };
    let mark = if row.is_voided() {
        Mark::Voided
    } else if row.interval_breached() {
        Mark::Breached
    } else {
        Mark::Plain
    };
    let status = match mark {
        Mark::Voided => words.voided,
        _ if !row.amendment_text.is_empty() => words.corrected,
        _ => "",
    };
    let interval = match row.interval {
        Some(interval) => {
            let mut lines = Vec::new();
            if let Some(required) = interval.required_days {
                lines.push(format!(
                    "{}: {}",
                    words.required,
                    words::days(i64::from(required), language)
                ));
            }
            if let Some(days) = interval.days_to_harvest {
                lines.push(format!("{}: {}", words.actual, words::days(days, language)));
            }
            lines.push(row.interval_verdict.clone());
            lines.join("\n")
        }
        None => String::new(),
    };
    let texts = [
        row.seq.to_string(),
        format!("{}\n{}", row.date, row.time),
        join(&[&row.event_type, status]),
        join(&[&row.input_product, &row.active_ingredients]),
        row.amount.clone(),
        interval,
        row.logged_by.clone(),
        join(&[&row.details, &row.note, &row.amendment_text]),
    ];
    let type_lines = measure
        .wrap(&row.event_type, TABLE_PT, column_text_width(edges, TYPE_COLUMN))
        .len();
    let cells = lay_out_cells(measure, edges, texts);
    let mut struck = [0; COLUMNS];
    if mark == Mark::Voided {
        struck[1] = cells[1].len();
        struck[TYPE_COLUMN] = type_lines;
        for column in [3, 4, INTERVAL_COLUMN] {
            struck[column] = cells[column].len();
        }
    }
    TableRow { cells, struck, mark }
}

/// Draws the laid-out pages, with a footer naming the lot and the page "i/n" on each.
fn draw(
    input: &DiaryInput,
    language: Language,
    font: &DiaryFont,
    measure: &Measure<'_>,
    pages: &[Vec<Item>],
    header: &[Vec<String>; COLUMNS],
    table: &[TableRow],
) -> Result<Vec<u8>, DiaryError> {
    let words = Words::of(language);
    let settings = PageSettings::from_wh(PAGE_WIDTH, PAGE_HEIGHT)
        .ok_or_else(|| DiaryError::Pdf("A4 is not a usable page size".to_owned()))?;
    let edges = column_edges();
    let mut document = Document::new();
    document.set_metadata(metadata(input, language));
    let count = pages.len();
    let footer_left = format!(
        "{} — {}: {} — {}: {}",
        words.title,
        words.field_lot,
        input.lot_code,
        words.field_generated_at,
        show_datetime(&input.generated_at)
    );
    for (number, items) in (1..).zip(pages) {
        let mut page = document.start_page_with(settings.clone());
        let mut surface = page.surface();
        let mut pen = Pen {
            surface: &mut surface,
            font,
            measure,
        };
        for item in items {
            match item {
                Item::Text {
                    x,
                    top,
                    size,
                    text,
                    color,
                } => pen.text(*x, measure.baseline(*top, *size), *size, text, *color),
                Item::TableHeader { top } => pen.table_header(&edges, *top, header),
                Item::Row { index, top, from, to } => {
                    if let Some(row) = table.get(*index) {
                        pen.row(&edges, *top, row, *from, *to);
                    }
                }
            }
        }
        let page_text = format!("{} {number}/{count}", words.page);
        let page_width = measure.width(&page_text, SMALL_PT);
        pen.text(
            PAGE_WIDTH - MARGIN_X - page_width,
            FOOTER_BASELINE,
            SMALL_PT,
            &page_text,
            MUTED,
        );
        let left_room = CONTENT_WIDTH - page_width - 12.0;
        if let Some(left) = measure.wrap(&footer_left, SMALL_PT, left_room).first() {
            pen.text(MARGIN_X, FOOTER_BASELINE, SMALL_PT, left, MUTED);
        }
        surface.finish();
        page.finish();
    }
    document.finish().map_err(|error| DiaryError::Pdf(format!("{error:?}")))
}

fn metadata(input: &DiaryInput, language: Language) -> Metadata {
    let words = Words::of(language);
    let at = input.generated_at.with_timezone(&VIETNAM_OFFSET);
    let date = PdfDateTime::new(u16::try_from(at.year()).unwrap_or(0))
        .month(u8::try_from(at.month()).unwrap_or(1))
        .day(u8::try_from(at.day()).unwrap_or(1))
        .hour(u8::try_from(at.hour()).unwrap_or(0))
        .minute(u8::try_from(at.minute()).unwrap_or(0))
        .second(u8::try_from(at.second()).unwrap_or(0))
        .utc_offset_hour(7)
        .utc_offset_minute(0);
    Metadata::new()
        .title(format!("{} — {}", words.title, input.lot_code))
        .authors(vec![input.cooperative.name.trim().to_owned()])
        .language(language.code().to_owned())
        .creation_date(date)
}

/// Draws on one page's surface.
struct Pen<'s, 'p, 'm> {
    surface: &'s mut Surface<'p>,
    font: &'s DiaryFont,
    measure: &'s Measure<'m>,
}

impl Pen<'_, '_, '_> {
    fn text(&mut self, x: f32, baseline: f32, size: f32, text: &str, color: (u8, u8, u8)) {
        if text.is_empty() {
            return;
        }
        self.surface.set_stroke(None);
        self.surface.set_fill(Some(fill(color)));
        let glyphs = self.measure.glyphs(text);
        self.surface.draw_glyphs(
            Point::from_xy(x, baseline),
            &glyphs,
            self.font.0.krilla_font().clone(),
            text,
            size,
            false,
        );
    }

    fn rect(&mut self, x: f32, y: f32, width: f32, height: f32, color: (u8, u8, u8)) {
        let Some(rect) = Rect::from_xywh(x, y, width, height) else {
            return;
        };
        let mut builder = PathBuilder::new();
        builder.push_rect(rect);
        if let Some(path) = builder.finish() {
            self.surface.set_stroke(None);
            self.surface.set_fill(Some(fill(color)));
            self.surface.draw_path(&path);
        }
    }

    fn lines(&mut self, segments: &[Segment], width: f32, color: (u8, u8, u8)) {
        let mut builder = PathBuilder::new();
        for &((x1, y1), (x2, y2)) in segments {
            builder.move_to(x1, y1);
            builder.line_to(x2, y2);
        }
        if let Some(path) = builder.finish() {
            self.surface.set_fill(None);
            self.surface.set_stroke(Some(Stroke {
                paint: rgb::Color::new(color.0, color.1, color.2).into(),
                width,
                ..Stroke::default()
            }));
            self.surface.draw_path(&path);
            self.surface.set_stroke(None);
        }
    }

    /// The cell borders of a band of the table from `top` to `bottom`.
    fn grid(&mut self, edges: &[f32; COLUMNS + 1], top: f32, bottom: f32) {
        let mut segments: Vec<Segment> = edges.iter().map(|&x| ((x, top), (x, bottom))).collect();
        segments.push(((edges[0], top), (edges[COLUMNS], top)));
        segments.push(((edges[0], bottom), (edges[COLUMNS], bottom)));
        self.lines(&segments, 0.4, GRID);
    }

    fn table_header(&mut self, edges: &[f32; COLUMNS + 1], top: f32, header: &[Vec<String>; COLUMNS]) {
        let lines = header.iter().map(Vec::len).max().unwrap_or(1).max(1);
        let height = lines as f32 * TABLE_PT * LINE_SPACING + 2.0 * CELL_PAD_Y;
        self.rect(edges[0], top, edges[COLUMNS] - edges[0], height, HEADER_FILL);
        for (column, cell) in header.iter().enumerate() {
            for (i, line) in cell.iter().enumerate() {
                let line_top = top + CELL_PAD_Y + i as f32 * TABLE_PT * LINE_SPACING;
                let baseline = self.measure.baseline(line_top, TABLE_PT);
                self.text(edges[column] + CELL_PAD_X, baseline, TABLE_PT, line, BLACK);
            }
        }
        self.grid(edges, top, top + height);
    }

    fn row(&mut self, edges: &[f32; COLUMNS + 1], top: f32, row: &TableRow, from: usize, to: usize) {
        let line_height = TABLE_PT * LINE_SPACING;
        let height = (to - from) as f32 * line_height + 2.0 * CELL_PAD_Y;
        match row.mark {
            Mark::Voided => self.rect(edges[0], top, edges[COLUMNS] - edges[0], height, VOID_FILL),
            Mark::Breached => self.rect(edges[0], top, edges[COLUMNS] - edges[0], height, BREACH_FILL),
            Mark::Plain => {}
        }
        let mut strikes = Vec::new();
        for (column, cell) in row.cells.iter().enumerate() {
            let color = match row.mark {
                Mark::Voided => VOID_TEXT,
                Mark::Breached if column == INTERVAL_COLUMN => BREACH_TEXT,
                _ => BLACK,
            };
            // A row continued from the previous page repeats its sequence number there.
            if column == 0 && from > 0 {
                if let Some(seq) = cell.first() {
                    let baseline = self.measure.baseline(top + CELL_PAD_Y, TABLE_PT);
                    self.text(edges[0] + CELL_PAD_X, baseline, TABLE_PT, seq, MUTED);
                }
                continue;
            }
            for (i, line) in cell.iter().enumerate().take(to).skip(from) {
                let line_top = top + CELL_PAD_Y + (i - from) as f32 * line_height;
                let baseline = self.measure.baseline(line_top, TABLE_PT);
                let x = edges[column] + CELL_PAD_X;
                self.text(x, baseline, TABLE_PT, line, color);
                if i < row.struck[column] {
                    let y = baseline - TABLE_PT * 0.3;
                    let width = self.measure.width(line, TABLE_PT);
                    strikes.push(((x, y), (x + width, y)));
                }
            }
        }
        if !strikes.is_empty() {
            self.lines(&strikes, 0.6, VOID_TEXT);
        }
        self.grid(edges, top, top + height);
    }
}

fn fill(color: (u8, u8, u8)) -> Fill {
    Fill {
        paint: rgb::Color::new(color.0, color.1, color.2).into(),
        opacity: NormalizedF32::ONE,
        rule: FillRule::NonZero,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// DejaVu Sans, or `None` after a loud skip (a failure when `NGUON_REQUIRE_TOOLS=1`).
    fn dejavu() -> Option<DiaryFont> {
        match std::fs::read("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf") {
            Ok(bytes) => Some(DiaryFont::from_bytes(bytes).expect("DejaVu Sans covers Vietnamese")),
            Err(_) => {
                use std::io::Write as _;
                if std::env::var("NGUON_REQUIRE_TOOLS").as_deref() == Ok("1") {
                    panic!("DejaVu Sans not found and NGUON_REQUIRE_TOOLS=1 — install fonts-dejavu-core");
                }
                // Written straight to stderr: the test harness captures `eprintln!` of passing tests.
                let _ = writeln!(
                    std::io::stderr(),
                    "*** SKIPPED: DejaVu Sans not installed — install fonts-dejavu-core ***"
                );
                None
            }
        }
    }

    #[test]
    fn wrapped_lines_never_exceed_the_width_and_keep_every_letter() {
        let Some(font) = dejavu() else {
            return;
        };
        let measure = Measure::new(&font).expect("font reads");
        let text = "Phun lúc sáng sớm, trời lặng gió.\n\n\n\nBưởidaxanhruộthồngloạiđặcbiệtxuấtkhẩuBếnTre rồi thêm chữ";
        for width in [20.0, 60.0, 200.0] {
            let lines = measure.wrap(text, TABLE_PT, width);
            for line in &lines {
                assert!(
                    measure.width(line, TABLE_PT) <= width + 0.01 || line.chars().count() == 1,
                    "{line:?}"
                );
            }
            let joined: String = lines.concat().split_whitespace().collect();
            let expected: String = text.split_whitespace().collect();
            assert_eq!(joined, expected);
            assert!(
                lines.windows(2).all(|pair| !(pair[0].is_empty() && pair[1].is_empty())),
                "blank lines collapse: {lines:?}"
            );
        }
    }

    #[test]
    fn characters_the_font_lacks_become_question_marks_not_errors() {
        let Some(font) = dejavu() else {
            return;
        };
        let measure = Measure::new(&font).expect("font reads");
        assert_eq!(measure.clean("Lúa tốt 🌾\tlắm\r\n"), "Lúa tốt ? lắm\n");
    }
}
