//! Writes `fixtures/nhat-ky-buoi-vuon-so-5.xlsx`, the sample pomelo diary kept in Excel that
//! `nguon import diary` reads (dates as real Excel dates, as a cooperative's sheet has them):
//! `cargo run -p diary --example sample_diary_xlsx`.

use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

/// Date (yyyy-mm-dd), step, product, amount, unit, area, plot, person, note.
type Row = (
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
    &'static str,
);

fn main() -> Result<(), XlsxError> {
    let rows: &[Row] = &[
        (
            "2026-10-20",
            "Tỉa cành",
            "",
            "",
            "",
            "",
            "Vườn bưởi số 5",
            "Hộ ông Lê Văn Sáu",
            "Tỉa cành tăm, cành sâu bệnh",
        ),
        (
            "2026-10-25",
            "Bón phân",
            "Phân bò ủ hoai",
            "1,5",
            "tấn",
            "",
            "Vườn bưởi số 5",
            "Hộ ông Lê Văn Sáu",
            "Bón quanh tán",
        ),
        (
            "2026-10-30",
            "Tưới nước",
            "Kênh nội đồng",
            "2.000",
            "lít",
            "",
            "Vườn bưởi số 5",
            "Hộ ông Lê Văn Sáu",
            "",
        ),
        (
            "2026-11-02",
            "Kiểm tra",
            "Nhện đỏ",
            "",
            "",
            "",
            "Vườn bưởi số 5",
            "Hộ ông Lê Văn Sáu",
            "Rải rác phía đông vườn",
        ),
        (
            "2026-11-05",
            "Bao trái",
            "",
            "",
            "",
            "",
            "Vườn bưởi số 5",
            "Hộ ông Lê Văn Sáu",
            "Bao 1.200 trái",
        ),
        (
            "2026-11-08",
            "Bón thúc",
            "Kali Canada (KCl)",
            "2",
            "bao",
            "",
            "Vườn bưởi số 5",
            "Hộ ông Lê Văn Sáu",
            "Bao 50 kg",
        ),
        (
            "2026-11-25",
            "Thu hoạch",
            "",
            "4",
            "tấn",
            "",
            "Vườn bưởi số 5",
            "Hộ ông Lê Văn Sáu",
            "Trái đạt 1,2–1,8 kg",
        ),
    ];
    let mut workbook = Workbook::new();
    let sheet = workbook.add_worksheet();
    sheet.set_name("Nhật ký vườn 5")?;
    let bold = Format::new().set_bold();
    let date = Format::new().set_num_format("dd/mm/yyyy");
    for (col, heading) in [
        "Ngày",
        "Công việc",
        "Vật tư",
        "Số lượng",
        "ĐVT",
        "Diện tích",
        "Thửa",
        "Người thực hiện",
        "Ghi chú",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string_with_format(0, col as u16, *heading, &bold)?;
    }
    for (i, row) in rows.iter().enumerate() {
        let r = (i + 1) as u32;
        sheet.write_datetime_with_format(r, 0, &ExcelDateTime::parse_from_str(row.0)?, &date)?;
        let cells = [row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8];
        for (col, cell) in cells.iter().enumerate() {
            if !cell.is_empty() {
                sheet.write_string(r, (col + 1) as u16, *cell)?;
            }
        }
    }
    sheet.set_column_width(1, 14)?;
    sheet.set_column_width(2, 22)?;
    sheet.set_column_width(6, 16)?;
    sheet.set_column_width(7, 20)?;
    sheet.set_column_width(8, 30)?;
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/nhat-ky-buoi-vuon-so-5.xlsx"
    );
    workbook.save(path)?;
    println!("wrote {path}");
    Ok(())
}
