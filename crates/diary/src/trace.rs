//! A traceability spreadsheet for a recall, in the spirit of FSMA 204: one row per critical
//! tracking event — growing (sowing), harvesting, packing, transformation (merging), shipping,
//! receiving, and any recall — over every lot connected to the one asked about, up and down
//! its genealogy, with the key data elements: traceability lot code, product description and
//! GTIN, quantity and unit of measure, location, date, the reference document, the input lots,
//! and where the lot code was assigned. Headers are in Vietnamese and English; dates are real
//! dates in the XLSX (`dd/mm/yyyy`), so the sheet sorts and filters as it should.
//!
//! Rows come from each lot's timeline: corrections are folded in and voided events left out.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, FixedOffset};
use farm_log::timeline::{Amendment, timeline};
use farm_log::{Event, EventBody, Quantity, Unit, VIETNAM_OFFSET};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use crate::DiaryError;
use crate::csv::defuse;

/// One lot of the genealogy.
#[derive(Debug, Clone)]
pub struct TraceLot {
    /// Its code (the traceability lot code).
    pub code: String,
    /// "Cải ngọt", "Bưởi Da xanh".
    pub product: String,
    /// Its product's GTIN, when it has one.
    pub gtin: Option<String>,
    /// Where it grew: each plot as "name (commune)".
    pub plots: Vec<String>,
    /// Its events as stored, in chain order.
    pub events: Vec<Event>,
}

/// Everything the spreadsheet shows.
#[derive(Debug, Clone)]
pub struct TraceInput {
    /// The cooperative that assigned the lot codes (the traceability lot code source).
    pub cooperative: String,
    /// Its address.
    pub address: String,
    /// The lots connected to the one asked about, that one included.
    pub lots: Vec<TraceLot>,
}

/// A critical tracking event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cte {
    /// Sowing or planting.
    Growing,
    /// Harvest.
    Harvesting,
    /// Packing into new lots.
    Packing,
    /// Merging lots into a new one.
    Transformation,
    /// Shipping.
    Shipping,
    /// Receiving.
    Receiving,
    /// A recall.
    Recall,
}

impl Cte {
    /// "Thu hoạch / Harvesting".
    pub fn label(self) -> &'static str {
        match self {
            Cte::Growing => "Gieo trồng / Growing",
            Cte::Harvesting => "Thu hoạch / Harvesting",
            Cte::Packing => "Sơ chế, đóng gói / Initial packing",
            Cte::Transformation => "Gộp lô / Transformation",
            Cte::Shipping => "Xuất hàng / Shipping",
            Cte::Receiving => "Nhận hàng / Receiving",
            Cte::Recall => "Thu hồi / Recall",
        }
    }
}

/// One row of the sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TraceRow {
    /// The tracking event.
    pub cte: Cte,
    /// When it happened, in the offset it was logged with.
    pub at: DateTime<FixedOffset>,
    /// The traceability lot code the row is about.
    pub lot_code: String,
    /// Product description.
    pub product: String,
    /// GTIN, when there is one.
    pub gtin: String,
    /// Quantity, when the event states one.
    pub quantity: Option<Quantity>,
    /// Where it happened (for shipping: where from).
    pub location: String,
    /// For shipping: where to; for receiving: where from.
    pub other_party: String,
    /// Reference document (delivery note, invoice) or, for a recall, its reason.
    pub reference: String,
    /// The lots it was made from, with how much of each.
    pub input_lots: String,
    /// The event's id.
    pub event_id: String,
}

/// The column headers, Vietnamese / English.
pub const HEADERS: [&str; 15] = [
    "Sự kiện / Critical tracking event",
    "Mã lô truy xuất / Traceability lot code",
    "Sản phẩm / Product description",
    "GTIN",
    "Số lượng / Quantity",
    "Đơn vị / Unit of measure",
    "Ngày / Date",
    "Giờ / Time",
    "Địa điểm / Location",
    "Nơi nhận hoặc nơi gửi / Ship-to or ship-from",
    "Chứng từ / Reference document",
    "Lô đầu vào / Input lots",
    "Nơi cấp mã lô / Traceability lot code source",
    "Địa chỉ nơi cấp mã lô / Lot code source address",
    "Mã sự kiện / Event id",
];

fn unit_name(unit: Unit) -> &'static str {
    match unit {
        Unit::Piece => "pcs",
        other => other.name_en(),
    }
}

fn show_quantity(quantity: &Quantity) -> String {
    format!("{} {}", quantity.value.normalize(), unit_name(quantity.unit))
}

/// A merge seen from its inputs: when, each input lot with how much of it, and an event id.
type Merge = (DateTime<FixedOffset>, Vec<(String, Quantity)>, String);

/// The rows of the sheet, by date, then lot code.
pub fn trace_rows(input: &TraceInput) -> Vec<TraceRow> {
    let mut rows = Vec::new();
    let lots: BTreeMap<&str, &TraceLot> = input.lots.iter().map(|l| (l.code.as_str(), l)).collect();
    let coop_place = format!("{} ({})", input.cooperative, input.address);
    // Merges: every input's merging event names the output; one row for the output lot.
    let mut merges: BTreeMap<String, Merge> = BTreeMap::new();
    for lot in &input.lots {
        let product = lot.product.clone();
        let gtin = lot.gtin.clone().unwrap_or_default();
        let place = lot.plots.join("; ");
        let row = |cte, event: &Event| TraceRow {
            cte,
            at: event.occurred_at,
            lot_code: lot.code.clone(),
            product: product.clone(),
            gtin: gtin.clone(),
            quantity: None,
            location: place.clone(),
            other_party: String::new(),
            reference: String::new(),
            input_lots: String::new(),
            event_id: event.id.to_string(),
        };
        for entry in timeline(&lot.events) {
            if matches!(entry.amendment, Amendment::Voided { .. }) {
                continue;
            }
            let event = &entry.event;
            match &event.body {
                EventBody::Seeding { quantity, .. } => rows.push(TraceRow {
                    quantity: Some(*quantity),
                    ..row(Cte::Growing, event)
                }),
                EventBody::Harvest { quantity, .. } => rows.push(TraceRow {
                    quantity: Some(*quantity),
                    ..row(Cte::Harvesting, event)
                }),
                EventBody::Packing { children } => {
                    for child in children {
                        let child_lot = lots.get(child.code.as_ref());
                        rows.push(TraceRow {
                            lot_code: child.code.to_string(),
                            product: child_lot.map_or(product.clone(), |l| l.product.clone()),
                            gtin: child_lot.map_or(gtin.clone(), |l| l.gtin.clone().unwrap_or_default()),
                            quantity: Some(child.quantity),
                            location: coop_place.clone(),
                            input_lots: format!("{} ({})", lot.code, show_quantity(&child.quantity)),
                            ..row(Cte::Packing, event)
                        });
                    }
                }
                EventBody::Merging { output_lot, quantity } => {
                    let merge = merges
                        .entry(output_lot.to_string())
                        .or_insert_with(|| (event.occurred_at, Vec::new(), event.id.to_string()));
                    merge.1.push((lot.code.clone(), *quantity));
                }
                EventBody::Shipping {
                    from,
                    to,
                    document_ref,
                    quantity,
                } => rows.push(TraceRow {
                    quantity: *quantity,
                    location: from.to_string(),
                    other_party: to.to_string(),
                    reference: document_ref.as_ref().map(ToString::to_string).unwrap_or_default(),
                    ..row(Cte::Shipping, event)
                }),
                EventBody::Receiving {
                    from,
                    to,
                    document_ref,
                    quantity,
                } => rows.push(TraceRow {
                    quantity: *quantity,
                    location: to.to_string(),
                    other_party: from.to_string(),
                    reference: document_ref.as_ref().map(ToString::to_string).unwrap_or_default(),
                    ..row(Cte::Receiving, event)
                }),
                EventBody::Recall { reason } => rows.push(TraceRow {
                    location: coop_place.clone(),
                    reference: reason.to_string(),
                    ..row(Cte::Recall, event)
                }),
                _ => {}
            }
        }
    }
    for (output, (at, inputs, event_id)) in merges {
        let output_lot = lots.get(output.as_str());
        let mut total: BTreeMap<farm_log::Dimension, Decimal> = BTreeMap::new();
        for (_, quantity) in &inputs {
            *total.entry(quantity.unit.dimension()).or_default() += quantity.in_base_unit();
        }
        rows.push(TraceRow {
            cte: Cte::Transformation,
            at,
            lot_code: output.clone(),
            product: output_lot.map(|l| l.product.clone()).unwrap_or_default(),
            gtin: output_lot.and_then(|l| l.gtin.clone()).unwrap_or_default(),
            quantity: (total.len() == 1)
                .then(|| total.into_iter().next())
                .flatten()
                .map(|(dimension, value)| Quantity {
                    value: value.normalize(),
                    unit: Unit::base_of(dimension),
                }),
            location: coop_place.clone(),
            other_party: String::new(),
            reference: String::new(),
            input_lots: inputs
                .iter()
                .map(|(code, quantity)| format!("{code} ({})", show_quantity(quantity)))
                .collect::<Vec<_>>()
                .join("; "),
            event_id,
        });
    }
    rows.sort_by(|a, b| {
        a.at.cmp(&b.at)
            .then_with(|| a.lot_code.cmp(&b.lot_code))
            .then(a.cte.cmp(&b.cte))
    });
    rows
}

/// A row's cells as text; `defused` for CSV, where a cell could be read as a formula.
fn cells(row: &TraceRow, input: &TraceInput, defused: bool) -> [String; 15] {
    let local = row.at.with_timezone(&VIETNAM_OFFSET);
    let defuse = |text: &str| if defused { defuse(text) } else { text.to_owned() };
    [
        row.cte.label().to_owned(),
        row.lot_code.clone(),
        defuse(&row.product),
        row.gtin.clone(),
        row.quantity
            .map(|q| q.value.normalize().to_string())
            .unwrap_or_default(),
        row.quantity.map(|q| unit_name(q.unit).to_owned()).unwrap_or_default(),
        local.format("%d/%m/%Y").to_string(),
        local.format("%H:%M").to_string(),
        defuse(&row.location),
        defuse(&row.other_party),
        defuse(&row.reference),
        row.input_lots.clone(),
        defuse(&input.cooperative),
        defuse(&input.address),
        row.event_id.clone(),
    ]
}

/// The sheet as CSV: UTF-8 with a byte-order mark, the bilingual header row, CRLF line ends,
/// cells people typed defused against formula injection.
pub fn render_trace_csv(input: &TraceInput) -> Result<Vec<u8>, DiaryError> {
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(b"\xEF\xBB\xBF".to_vec());
    let error = |e: ::csv::Error| DiaryError::Csv(e.to_string());
    writer.write_record(HEADERS).map_err(error)?;
    for row in trace_rows(input) {
        writer.write_record(cells(&row, input, true)).map_err(error)?;
    }
    writer.into_inner().map_err(|e| DiaryError::Csv(e.error().to_string()))
}

/// The sheet as XLSX: a frozen, filterable header row, quantities as numbers and dates as
/// dates shown `dd/mm/yyyy`, so Excel sorts them as such.
pub fn render_trace_xlsx(input: &TraceInput) -> Result<Vec<u8>, DiaryError> {
    use rust_xlsxwriter::{ExcelDateTime, Format, FormatAlign, Workbook};
    let error = |e: rust_xlsxwriter::XlsxError| DiaryError::Xlsx(e.to_string());
    let rows = trace_rows(input);
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Truy xuat - Trace").map_err(error)?;
    let bold = Format::new().set_bold().set_text_wrap().set_align(FormatAlign::Top);
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (col, header) in HEADERS.iter().enumerate() {
        sheet
            .write_string_with_format(0, col as u16, *header, &bold)
            .map_err(error)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        let text = cells(row, input, false);
        for (col, cell) in text.iter().enumerate() {
            match col {
                4 => {
                    if let Some(value) = row.quantity.and_then(|q| q.value.to_f64()) {
                        sheet.write_number(r, 4, value).map_err(error)?;
                    }
                }
                6 => {
                    let local = row.at.with_timezone(&VIETNAM_OFFSET);
                    let day = ExcelDateTime::from_ymd(local.year() as u16, local.month() as u8, local.day() as u8)
                        .map_err(error)?;
                    sheet.write_datetime_with_format(r, 6, &day, &date).map_err(error)?;
                }
                // Text cells are written as text, so nothing in them is read as a formula.
                _ => {
                    sheet.write_string(r, col as u16, cell.as_str()).map_err(error)?;
                }
            }
        }
    }
    sheet
        .autofilter(0, 0, rows.len() as u32, (HEADERS.len() - 1) as u16)
        .map_err(error)?;
    sheet.set_freeze_panes(1, 0).map_err(error)?;
    for (col, width) in [22, 18, 22, 16, 12, 10, 12, 8, 32, 28, 20, 32, 28, 36, 38]
        .into_iter()
        .enumerate()
    {
        sheet.set_column_width(col as u16, width).map_err(error)?;
    }
    workbook.save_to_buffer().map_err(error)
}
