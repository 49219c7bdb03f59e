//! The diary as a spreadsheet: UTF-8 with a byte-order mark (without it Excel reads Vietnamese
//! as mojibake), one header row, one row per diary line, CRLF line ends, quoting by the `csv`
//! crate.
//!
//! Cells people typed are defused against formula injection: a cell that starts with `=`, `+`,
//! `-`, `@`, a tab or a carriage return gets a leading apostrophe, so Excel or LibreOffice shows
//! it as text instead of running it.

use crate::rows::{DiaryRow, diary_rows};
use crate::words::Words;
use crate::{DiaryError, DiaryInput, Language};

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// The diary of `input` as CSV bytes (BOM, header row, one row per diary line).
pub fn render_csv(input: &DiaryInput, language: Language) -> Result<Vec<u8>, DiaryError> {
    let rows = diary_rows(input, language)?;
    let words = Words::of(language);
    let mut writer = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(BOM.to_vec());
    let header = [
        words.col_lot,
        words.col_seq,
        words.col_date,
        words.col_time,
        words.col_recorded_at,
        words.col_type,
        words.col_plot,
        words.col_input,
        words.col_active_ingredients,
        words.col_amount,
        words.col_details,
        words.col_required_days,
        words.col_days_to_harvest,
        words.col_verdict,
        words.col_logged_by,
        words.col_note,
        words.col_amendment,
        words.col_event_id,
    ];
    writer.write_record(header).map_err(csv_error)?;
    let lot = defuse(input.lot_code.as_ref());
    for row in &rows {
        writer.write_record(record(row, &lot)).map_err(csv_error)?;
    }
    writer
        .into_inner()
        .map_err(|error| DiaryError::Csv(error.error().to_string()))
}

fn record(row: &DiaryRow, lot: &str) -> [String; 18] {
    let interval = row.interval;
    [
        lot.to_owned(),
        row.seq.to_string(),
        row.date.clone(),
        row.time.clone(),
        row.recorded_at.clone(),
        defuse(&row.event_type),
        defuse(&row.plot),
        defuse(&row.input_product),
        defuse(&row.active_ingredients),
        defuse(&row.amount),
        defuse(&row.details),
        interval
            .and_then(|interval| interval.required_days)
            .map(|days| days.to_string())
            .unwrap_or_default(),
        interval
            .and_then(|interval| interval.days_to_harvest)
            .map(|days| days.to_string())
            .unwrap_or_default(),
        defuse(&row.interval_verdict),
        defuse(&row.logged_by),
        defuse(&row.note),
        defuse(&row.amendment_text),
        row.event_id.to_string(),
    ]
}

/// The cell as a spreadsheet will show it as text: a leading apostrophe before a character
/// that would start a formula.
pub(crate) fn defuse(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

fn csv_error(error: ::csv::Error) -> DiaryError {
    DiaryError::Csv(error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_start_a_formula_get_an_apostrophe() {
        for dangerous in ["=1+1", "+84912", "-2+3", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defuse(dangerous), format!("'{dangerous}"));
        }
        for harmless in ["Anvil 5SC", "1,5 lít", "Sâu cuốn lá", "", "a=b"] {
            assert_eq!(defuse(harmless), harmless);
        }
    }
}
