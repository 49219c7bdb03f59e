//! Reading a diary a cooperative already keeps — a CSV or Excel sheet, one row per care step —
//! into events for one lot. Columns are found by their Vietnamese (or English) headings: date,
//! time, step, product, amount (with its unit, or a unit column), plot, person, note. Step
//! names are the ones farmers write ("bón thúc", "phun thuốc", "làm cỏ" …), units the ones they
//! use (sào, công, bao, chai, lít, kg, "1.500" for fifteen hundred).
//!
//! Every row that cannot be read is reported with its line and the reason; nothing is returned
//! to write unless all rows read. Each row gets an event id derived from what it says, so
//! importing the same file again finds its rows already there.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use farm_log::event::EventDraft;
use farm_log::quantity::typed_number_vi;
use farm_log::{AppliedInput, Dimension, EventBody, InputKind, Note, Quantity, Region, ShortText, VIETNAM_OFFSET};
use uuid::Uuid;

/// The most rows one import reads.
pub const MAX_ROWS: usize = 10_000;

/// The largest file one import reads.
pub const MAX_FILE_BYTES: usize = 5 * 1024 * 1024;

/// What a row said the time was when it did not say: early morning, when most field work is
/// done and logged.
pub const DEFAULT_TIME: (u32, u32) = (7, 0);

/// An input product of the cooperative's registry, as the import matches product names.
#[derive(Debug, Clone)]
pub struct RegistryInput {
    /// Its id.
    pub id: i64,
    /// Fertilizer or pesticide.
    pub kind: InputKind,
    /// Its trade name.
    pub trade_name: String,
}

/// What the rows are read against.
#[derive(Debug, Clone)]
pub struct ImportContext {
    /// The cooperative, for event ids.
    pub cooperative_id: i64,
    /// The lot the diary belongs to.
    pub lot_code: String,
    /// The cooperative's region, which says what "sào" and "công" are.
    pub region: Region,
    /// The cooperative's fertilizers and pesticides.
    pub inputs: Vec<RegistryInput>,
    /// The names of the lot's plots.
    pub plots: Vec<String>,
    /// Now: rows dated later are refused.
    pub now: DateTime<FixedOffset>,
}

/// One row read into an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRow {
    /// Its line in the file (the heading is line 1).
    pub line: usize,
    /// The event it becomes.
    pub draft: EventDraft,
}

/// Why a row (or the file) cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    /// The line (1 for the heading or the file as a whole).
    pub line: usize,
    /// The column concerned, as headed in the file, when one is.
    pub column: Option<String>,
    /// In Vietnamese.
    pub message_vi: String,
    /// In English.
    pub message_en: String,
}

fn row_error(line: usize, column: Option<&str>, vi: impl Into<String>, en: impl Into<String>) -> RowError {
    RowError {
        line,
        column: column.map(str::to_owned),
        message_vi: vi.into(),
        message_en: en.into(),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Column {
    Date,
    Time,
    Step,
    Product,
    Amount,
    Unit,
    Plot,
    Area,
    Person,
    Note,
}

const HEADINGS: &[(Column, &[&str])] = &[
    (Column::Date, &["ngày", "ngày thực hiện", "ngày làm", "ngay", "date"]),
    (Column::Time, &["giờ", "thời gian", "gio", "time"]),
    (
        Column::Step,
        &[
            "công việc",
            "công đoạn",
            "hoạt động",
            "nội dung công việc",
            "cong viec",
            "step",
            "activity",
        ],
    ),
    (
        Column::Product,
        &[
            "vật tư",
            "tên vật tư",
            "tên thuốc",
            "tên phân",
            "thuốc/phân bón",
            "giống",
            "vat tu",
            "product",
            "input",
        ],
    ),
    (
        Column::Amount,
        &[
            "lượng",
            "số lượng",
            "liều lượng",
            "lượng dùng",
            "so luong",
            "amount",
            "quantity",
        ],
    ),
    (Column::Unit, &["đơn vị", "đvt", "don vi", "unit"]),
    (
        Column::Plot,
        &["thửa", "thửa ruộng", "lô đất", "mảnh vườn", "thua", "plot"],
    ),
    (Column::Area, &["diện tích", "diện tích phun", "dien tich", "area"]),
    (
        Column::Person,
        &[
            "người thực hiện",
            "người làm",
            "người ghi",
            "nguoi thuc hien",
            "person",
            "by",
        ],
    ),
    (Column::Note, &["ghi chú", "ghi chu", "note", "notes"]),
];

/// Lowercase, single spaces, no surrounding space or punctuation at the ends.
fn normalize(text: &str) -> String {
    text.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_lowercase()
        .trim_matches(|c: char| c == ':' || c == '*' || c == '.')
        .to_owned()
}

/// What a step name means.
fn step(name: &str) -> Option<(&'static str, Option<&'static str>)> {
    let name = normalize(name);
    let found = match name.as_str() {
        "gieo" | "gieo hạt" | "gieo trồng" | "trồng" | "trồng cây con" | "xuống giống" | "cấy" | "gieo hat"
        | "seeding" | "sowing" | "planting" => ("seeding", None),
        "bón phân" | "bón" | "phân bón" | "bon phan" | "fertilizing" => ("fertilizing", None),
        "bón lót" | "bon lot" => ("fertilizing", Some("Bón lót")),
        "bón thúc" | "bon thuc" => ("fertilizing", Some("Bón thúc")),
        "phun thuốc" | "phun thuốc bvtv" | "phun" | "xịt thuốc" | "phun thuốc trừ sâu" | "phun thuoc" | "spraying" => {
            ("spraying", None)
        }
        "tưới" | "tưới nước" | "tưới tiêu" | "tuoi nuoc" | "irrigation" | "watering" => {
            ("irrigation", None)
        }
        "thu hoạch" | "thu hái" | "hái" | "gặt" | "thu hoach" | "harvest" => ("harvest", None),
        "quan sát" | "kiểm tra" | "theo dõi" | "quan sat" | "observation" => ("observation", None),
        "làm cỏ"
        | "xới đất"
        | "làm đất"
        | "tỉa cành"
        | "tỉa lá"
        | "bao trái"
        | "cày"
        | "bừa"
        | "vệ sinh đồng ruộng"
        | "tỉa thưa" => ("chore", None),
        _ => return None,
    };
    Some(found)
}

const KNOWN_STEPS: &str = "gieo trồng, bón phân (bón lót, bón thúc), phun thuốc, tưới nước, thu hoạch, quan sát, làm cỏ, tỉa cành, bao trái, làm đất";

/// A table of text cells with each row's line in the file, the first row its headings.
pub type Table = Vec<(usize, Vec<String>)>;

/// The file's rows: an Excel workbook (`.xlsx`, first sheet) or CSV (comma or semicolon,
/// UTF-8 with or without BOM).
pub fn read_table(bytes: &[u8]) -> Result<Table, RowError> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(row_error(
            1,
            None,
            format!("Tệp quá lớn (tối đa {} MB).", MAX_FILE_BYTES / 1024 / 1024),
            format!("The file is too large (at most {} MB).", MAX_FILE_BYTES / 1024 / 1024),
        ));
    }
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else {
        read_csv(bytes)
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, RowError> {
    use calamine::{Data, Reader};
    let unreadable = |why: String| {
        row_error(
            1,
            None,
            format!("Không đọc được tệp Excel: {why}"),
            format!("The Excel file cannot be read: {why}"),
        )
    };
    let mut workbook =
        calamine::Xlsx::new(std::io::Cursor::new(bytes.to_vec())).map_err(|e| unreadable(e.to_string()))?;
    let name = workbook
        .sheet_names()
        .first()
        .cloned()
        .ok_or_else(|| unreadable("no sheet".into()))?;
    let range = workbook.worksheet_range(&name).map_err(|e| unreadable(e.to_string()))?;
    // The range starts at the first cell used; lines are counted from the sheet's top.
    let first_line = range.start().map_or(1, |(row, _)| row as usize + 1);
    Ok(range
        .rows()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .iter()
                .map(|cell| match cell {
                    Data::DateTime(date) => date
                        .as_datetime()
                        .map(|t| {
                            if t.time() == NaiveTime::MIN {
                                t.format("%d/%m/%Y").to_string()
                            } else if t.date() == NaiveDate::from_ymd_opt(1899, 12, 31).unwrap_or_default() {
                                t.format("%H:%M").to_string()
                            } else {
                                t.format("%d/%m/%Y %H:%M").to_string()
                            }
                        })
                        .unwrap_or_default(),
                    Data::Float(value) => {
                        let text = value.to_string();
                        text.strip_suffix(".0").map(str::to_owned).unwrap_or(text)
                    }
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect();
            (first_line + i, cells)
        })
        .collect())
}

fn read_csv(bytes: &[u8]) -> Result<Table, RowError> {
    let text = String::from_utf8(bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes).to_vec()).map_err(|_| {
        row_error(
            1,
            None,
            "Tệp CSV phải lưu dạng UTF-8 (trong Excel: Lưu thành → CSV UTF-8).",
            "The CSV file must be UTF-8 (in Excel: Save as → CSV UTF-8).",
        )
    })?;
    let first = text.lines().next().unwrap_or_default();
    let delimiter = if first.matches(';').count() > first.matches(',').count() {
        b';'
    } else {
        b','
    };
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(text.as_bytes());
    let mut table = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let record = record.map_err(|e| {
            row_error(
                e.position().map_or(i + 1, |p| p.line() as usize),
                None,
                format!("Dòng không đọc được: {e}"),
                format!("The line cannot be read: {e}"),
            )
        })?;
        // The csv crate's own line count skips blank lines; count the file's newlines instead.
        let line = record.position().map_or(i + 1, |p| {
            let bytes = text.as_bytes();
            let mut at = usize::try_from(p.byte()).unwrap_or(usize::MAX).min(bytes.len());
            // A record's position can be the blank lines before it.
            while at < bytes.len() && matches!(bytes[at], b'\n' | b'\r') {
                at += 1;
            }
            bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
        });
        table.push((line, record.iter().map(str::to_owned).collect()));
    }
    Ok(table)
}

fn parse_date(raw: &str, time: Option<&str>) -> Option<DateTime<FixedOffset>> {
    let raw = raw.trim();
    let (day_text, inline_time) = match raw.split_once(' ') {
        Some((day, time)) => (day, Some(time)),
        None => (raw, None),
    };
    let day = ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d"]
        .iter()
        .find_map(|format| NaiveDate::parse_from_str(day_text, format).ok())?;
    let time = match time.or(inline_time).map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => NaiveTime::parse_from_str(text, "%H:%M")
            .or_else(|_| NaiveTime::parse_from_str(text, "%H:%M:%S"))
            .or_else(|_| NaiveTime::parse_from_str(&text.replace('h', ":"), "%H:%M"))
            .ok()?,
        None => NaiveTime::from_hms_opt(DEFAULT_TIME.0, DEFAULT_TIME.1, 0)?,
    };
    VIETNAM_OFFSET.from_local_datetime(&day.and_time(time)).single()
}

/// The amount a farmer wrote, with its unit from the amount cell or the unit column.
fn parse_amount(amount: &str, unit: Option<&str>, region: Region) -> Result<Quantity, String> {
    let amount = amount.trim();
    let split = amount
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | ' ' | '\u{a0}')))
        .unwrap_or(amount.len());
    let (number, written_unit) = amount.split_at(split);
    let unit = match written_unit.trim() {
        "" => unit.map(str::trim).unwrap_or_default(),
        written => written,
    };
    // Containers count as pieces: a bag, a bottle, a packet, a can.
    let unit = match normalize(unit).as_str() {
        "chai" | "gói" | "goi" | "can" | "bình" | "lọ" => "cái".to_owned(),
        "lit" => "lít".to_owned(),
        other => other.to_owned(),
    };
    let number = typed_number_vi(number);
    Quantity::parse(&format!("{number} {unit}"), Some(region), "amount").map_err(|e| e.message_vi)
}

fn short(text: &str, line: usize, column: &str) -> Result<ShortText, RowError> {
    ShortText::parse(text, column).map_err(|e| row_error(line, Some(column), e.message_vi, e.message_en))
}

/// Reads every row of `table` (headings first) into events for `context`'s lot, or returns
/// every row that cannot be read.
pub fn read_rows(table: &Table, context: &ImportContext) -> Result<Vec<ImportedRow>, Vec<RowError>> {
    let Some((_, headings)) = table.first() else {
        return Err(vec![row_error(1, None, "Tệp trống.", "The file is empty.")]);
    };
    let mut columns: HashMap<Column, (usize, String)> = HashMap::new();
    for (index, heading) in headings.iter().enumerate() {
        let name = normalize(heading);
        if let Some((column, _)) = HEADINGS.iter().find(|(_, names)| names.contains(&name.as_str())) {
            columns.entry(*column).or_insert((index, heading.trim().to_owned()));
        }
    }
    let missing: Vec<&str> = [(Column::Date, "Ngày"), (Column::Step, "Công việc")]
        .iter()
        .filter(|(column, _)| !columns.contains_key(column))
        .map(|(_, name)| *name)
        .collect();
    if !missing.is_empty() {
        return Err(vec![row_error(
            1,
            None,
            format!(
                "Thiếu cột {}. Dòng đầu tiên phải là tiêu đề cột: Ngày, Công việc, Vật tư, Lượng, Đơn vị, Thửa, Người thực hiện, Ghi chú.",
                missing.join(", ")
            ),
            format!(
                "The {} column is missing. The first line must name the columns: Ngày (date), Công việc (step), Vật tư (product), Lượng (amount), Đơn vị (unit), Thửa (plot), Người thực hiện (person), Ghi chú (note).",
                missing.join(", ")
            ),
        )]);
    }
    let rows = &table[1..];
    if rows.len() > MAX_ROWS {
        return Err(vec![row_error(
            1,
            None,
            format!("Tệp có quá nhiều dòng (tối đa {MAX_ROWS})."),
            format!("The file has too many rows (at most {MAX_ROWS})."),
        )]);
    }
    let mut errors = Vec::new();
    let mut out = Vec::new();
    let mut seen: HashMap<String, u32> = HashMap::new();
    for (line, row) in rows {
        let line = *line;
        if row.iter().all(|cell| cell.trim().is_empty()) {
            continue;
        }
        let cell = |column: Column| -> Option<(&str, &str)> {
            columns
                .get(&column)
                .map(|(index, heading)| (row.get(*index).map(|c| c.trim()).unwrap_or_default(), heading.as_str()))
        };
        match read_row(line, &cell, context) {
            Ok((content_key, draft)) => {
                let occurrence = seen.entry(content_key.clone()).or_insert(0);
                *occurrence += 1;
                let mut draft = draft;
                draft.id = row_id(context, &content_key, *occurrence);
                out.push(ImportedRow { line, draft });
            }
            Err(mut row_errors) => errors.append(&mut row_errors),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(errors) }
}

type CellReader<'a> = dyn Fn(Column) -> Option<(&'a str, &'a str)> + 'a;

fn read_row<'a>(
    line: usize,
    cell: &CellReader<'a>,
    context: &ImportContext,
) -> Result<(String, EventDraft), Vec<RowError>> {
    let mut errors = Vec::new();
    let text = |column: Column| cell(column).map(|(value, _)| value).unwrap_or_default();
    let heading =
        |column: Column, fallback: &'static str| cell(column).map_or(fallback.to_owned(), |(_, h)| h.to_owned());
    let date_text = text(Column::Date);
    let occurred_at = match parse_date(date_text, cell(Column::Time).map(|(v, _)| v)) {
        Some(at) if at > context.now + chrono::Duration::minutes(5) => {
            errors.push(row_error(
                line,
                Some(&heading(Column::Date, "Ngày")),
                format!("Ngày {date_text} ở tương lai."),
                format!("{date_text} is in the future."),
            ));
            None
        }
        Some(at) => Some(at),
        None => {
            errors.push(row_error(
                line,
                Some(&heading(Column::Date, "Ngày")),
                format!("\"{date_text}\" không phải ngày dạng dd/mm/yyyy (giờ dạng HH:mm)."),
                format!("\"{date_text}\" is not a date written dd/mm/yyyy (and time HH:mm)."),
            ));
            None
        }
    };
    let step_text = text(Column::Step);
    let kind = step(step_text);
    if kind.is_none() {
        errors.push(row_error(
            line,
            Some(&heading(Column::Step, "Công việc")),
            format!("Không hiểu công việc \"{step_text}\". Dùng một trong: {KNOWN_STEPS}."),
            format!("Unknown step \"{step_text}\". Use one of: {KNOWN_STEPS}."),
        ));
    }
    let product = text(Column::Product);
    let amount_text = text(Column::Amount);
    let unit_text = cell(Column::Unit).map(|(v, _)| v);
    let amount_heading = heading(Column::Amount, "Lượng");
    let amount = |required: bool, errors: &mut Vec<RowError>| -> Option<Quantity> {
        if amount_text.is_empty() {
            if required {
                errors.push(row_error(
                    line,
                    Some(&amount_heading),
                    "Thiếu lượng (ví dụ 8 kg, 2 bao, 1,5 lít).",
                    "The amount is missing (e.g. 8 kg, 2 bags, 1.5 L).",
                ));
            }
            return None;
        }
        match parse_amount(amount_text, unit_text, context.region) {
            Ok(quantity) => Some(quantity),
            Err(why) => {
                errors.push(row_error(
                    line,
                    Some(&amount_heading),
                    format!("Lượng \"{amount_text}\" không đọc được: {why}"),
                    format!("The amount \"{amount_text}\" cannot be read (use kg, g, tạ, yến, tấn, lít, ml, sào, công, ha, m², bao, chai, gói, cái)."),
                ));
                None
            }
        }
    };
    let product_heading = heading(Column::Product, "Vật tư");
    let input = |wanted: InputKind, errors: &mut Vec<RowError>| -> Option<AppliedInput> {
        if product.is_empty() {
            errors.push(row_error(
                line,
                Some(&product_heading),
                "Thiếu tên vật tư (phân bón hoặc thuốc).",
                "The product (fertilizer or pesticide) is missing.",
            ));
            return None;
        }
        let name = normalize(product);
        match context.inputs.iter().find(|i| normalize(&i.trade_name) == name) {
            Some(found) if found.kind == wanted => Some(AppliedInput {
                input_product_id: found.id,
                snapshot: None,
            }),
            Some(found) => {
                errors.push(row_error(
                    line,
                    Some(&product_heading),
                    format!(
                        "\"{}\" là {} trong danh mục, không dùng cho công việc này.",
                        found.trade_name,
                        if found.kind == InputKind::Pesticide {
                            "thuốc BVTV"
                        } else {
                            "phân bón"
                        }
                    ),
                    format!(
                        "\"{}\" is a {} in the registry, not usable for this step.",
                        found.trade_name,
                        found.kind.as_str()
                    ),
                ));
                None
            }
            None => {
                errors.push(row_error(
                    line,
                    Some(&product_heading),
                    format!("Không có vật tư \"{product}\" trong danh mục của HTX: thêm vào danh mục trước, hoặc sửa tên cho đúng."),
                    format!("No input product \"{product}\" in the cooperative's registry: add it first, or correct the name."),
                ));
                None
            }
        }
    };
    let body = match kind {
        Some(("fertilizing", method)) => {
            let input = input(InputKind::Fertilizer, &mut errors);
            let amount = amount(true, &mut errors);
            match (input, amount) {
                (Some(input), Some(amount)) => Some(EventBody::Fertilizing {
                    input,
                    amount,
                    method: method.and_then(|m| ShortText::parse(m, "method").ok()),
                }),
                _ => None,
            }
        }
        Some(("spraying", _)) => {
            let input = input(InputKind::Pesticide, &mut errors);
            let dose = amount(true, &mut errors);
            let area_text = text(Column::Area);
            let area = if area_text.is_empty() {
                None
            } else {
                match parse_amount(area_text, None, context.region) {
                    Ok(area) if area.unit.dimension() == Dimension::Area => Some(area),
                    _ => {
                        errors.push(row_error(
                            line,
                            Some(&heading(Column::Area, "Diện tích")),
                            format!("Diện tích \"{area_text}\" không đọc được (ví dụ 2 sào, 1 công, 0,5 ha, 720 m²)."),
                            format!("The area \"{area_text}\" cannot be read (e.g. 2 sào, 1 công, 0.5 ha, 720 m²)."),
                        ));
                        None
                    }
                }
            };
            if let Some(dose) = dose
                && dose.unit.dimension() == Dimension::Area
            {
                errors.push(row_error(
                    line,
                    Some(&amount_heading),
                    "Liều lượng phun là lượng thuốc (ml, lít, chai, gói), không phải diện tích.",
                    "A spraying's amount is the product used (ml, L, bottles, packets), not an area.",
                ));
            }
            match (input, dose) {
                (Some(input), Some(dose)) if dose.unit.dimension() != Dimension::Area => Some(EventBody::Spraying {
                    input,
                    dose,
                    area,
                    target_pest: None,
                }),
                _ => None,
            }
        }
        Some(("seeding", _)) => {
            let quantity = amount(true, &mut errors);
            if product.is_empty() {
                errors.push(row_error(
                    line,
                    Some(&product_heading),
                    "Gieo trồng: ghi nguồn giống (giống gì, mua ở đâu) ở cột Vật tư.",
                    "Seeding: write the seed source in the product column.",
                ));
            }
            match (quantity, product.is_empty()) {
                (Some(quantity), false) => short(product, line, &product_heading)
                    .map_err(|e| errors.push(e))
                    .ok()
                    .map(|seed_source| EventBody::Seeding {
                        seed_source,
                        seed_lot: None,
                        variety: None,
                        quantity,
                    }),
                _ => None,
            }
        }
        Some(("irrigation", _)) => Some(EventBody::Irrigation {
            method: None,
            water_source: (!product.is_empty())
                .then(|| ShortText::parse(product, "water_source").ok())
                .flatten(),
            amount: amount(false, &mut errors),
        }),
        Some(("harvest", _)) => amount(true, &mut errors).map(|quantity| EventBody::Harvest {
            quantity,
            phi_override: None,
        }),
        Some(("observation", _)) => {
            let subject = if product.is_empty() { step_text } else { product };
            short(subject, line, &product_heading)
                .map_err(|e| errors.push(e))
                .ok()
                .map(|subject| EventBody::Observation { subject })
        }
        Some(("chore", _)) => short(step_text, line, &heading(Column::Step, "Công việc"))
            .map_err(|e| errors.push(e))
            .ok()
            .map(|subject| EventBody::Observation { subject }),
        _ => None,
    };
    let plot = text(Column::Plot);
    if !plot.is_empty() && !context.plots.iter().any(|p| normalize(p) == normalize(plot)) {
        errors.push(row_error(
            line,
            Some(&heading(Column::Plot, "Thửa")),
            format!(
                "Thửa \"{plot}\" không thuộc lô {} (lô ở: {}).",
                context.lot_code,
                context.plots.join(", ")
            ),
            format!(
                "Plot \"{plot}\" is not one of lot {}'s plots ({}).",
                context.lot_code,
                context.plots.join(", ")
            ),
        ));
    }
    let mut note_parts = Vec::new();
    let person = text(Column::Person);
    if !person.is_empty() {
        note_parts.push(format!("Người thực hiện: {person}"));
    }
    if !plot.is_empty() && context.plots.len() > 1 {
        note_parts.push(format!("Thửa: {plot}"));
    }
    let written_note = text(Column::Note);
    if !written_note.is_empty() {
        note_parts.push(written_note.to_owned());
    }
    let note = if note_parts.is_empty() {
        None
    } else {
        match Note::parse(&note_parts.join(". "), "note") {
            Ok(note) => Some(note),
            Err(e) => {
                errors.push(row_error(
                    line,
                    Some(&heading(Column::Note, "Ghi chú")),
                    e.message_vi,
                    e.message_en,
                ));
                None
            }
        }
    };
    match (occurred_at, body) {
        (Some(occurred_at), Some(body)) if errors.is_empty() => {
            let key = [
                date_text,
                text(Column::Time),
                step_text,
                product,
                amount_text,
                unit_text.unwrap_or_default(),
                text(Column::Area),
                plot,
                person,
                written_note,
            ]
            .iter()
            .map(|c| normalize(c))
            .collect::<Vec<_>>()
            .join("\u{1f}");
            Ok((
                key,
                EventDraft {
                    id: Uuid::nil(),
                    occurred_at,
                    note,
                    location: None,
                    photos: Vec::new(),
                    body,
                },
            ))
        }
        _ => Err(errors),
    }
}

/// A row's event id: what the row says (and how many times the same row came before it),
/// hashed with the cooperative and lot, as a version 8 UUID. The same file gives the same ids.
fn row_id(context: &ImportContext, content: &str, occurrence: u32) -> Uuid {
    let mut hasher = blake3::Hasher::new_derive_key("nguon 2026-12 diary import row v1");
    hasher.update(&context.cooperative_id.to_be_bytes());
    hasher.update(context.lot_code.as_bytes());
    hasher.update(&[0]);
    hasher.update(content.as_bytes());
    hasher.update(&occurrence.to_be_bytes());
    let hash = hasher.finalize();
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash.as_bytes()[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
}
