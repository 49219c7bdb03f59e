//! The spreadsheet an auditor opens: read back with the `csv` reader, as Excel would see it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::*;
use diary::{DiaryError, Language, render_csv};

/// The header and the rows, BOM checked and removed.
fn read(bytes: &[u8]) -> (Vec<String>, Vec<Vec<String>>) {
    let body = bytes
        .strip_prefix(b"\xEF\xBB\xBF".as_slice())
        .expect("starts with a UTF-8 byte-order mark");
    let mut reader = csv::ReaderBuilder::new().has_headers(true).from_reader(body);
    let header = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let rows = reader
        .records()
        .map(|record| record.unwrap().iter().map(str::to_owned).collect())
        .collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header
        .iter()
        .position(|title| title == name)
        .unwrap_or_else(|| panic!("no column {name:?} in {header:?}"))
}

fn row_with_seq<'r>(header: &[String], rows: &'r [Vec<String>], seq: u64) -> &'r [String] {
    let index = column(header, "Số thứ tự trong chuỗi");
    rows.iter()
        .find(|row| row[index] == seq.to_string())
        .unwrap_or_else(|| panic!("no row for seq {seq}"))
}

#[test]
fn the_file_starts_with_a_bom_and_a_vietnamese_header_row() {
    let bytes = render_csv(&diary_input(season()), Language::Vi).unwrap();
    assert_eq!(&bytes[..3], b"\xEF\xBB\xBF");
    let (header, _) = read(&bytes);
    assert_eq!(header.len(), 18);
    for title in [
        "Mã lô",
        "Ngày (dd/mm/yyyy)",
        "Công việc",
        "Thửa ruộng",
        "Hoạt chất",
        "Thời gian cách ly yêu cầu (ngày)",
        "Số ngày từ phun đến thu hoạch",
        "Người ghi",
        "Ghi chú",
        "Đính chính",
        "Mã sự kiện",
    ] {
        column(&header, title);
    }
}

#[test]
fn there_is_one_row_per_entry_and_corrections_are_not_rows_of_their_own() {
    let (header, rows) = read(&render_csv(&diary_input(season()), Language::Vi).unwrap());
    let seq = column(&header, "Số thứ tự trong chuỗi");
    let listed: Vec<&str> = rows.iter().map(|row| row[seq].as_str()).collect();
    assert_eq!(listed, ["1", "2", "3", "4", "5", "6", "7"]);
    assert!(rows.iter().all(|row| row.len() == header.len()));
    assert!(rows.iter().all(|row| row[column(&header, "Mã lô")] == LOT));
}

#[test]
fn a_corrected_entry_shows_the_new_content_what_corrected_it_and_what_it_said_before() {
    let (header, rows) = read(&render_csv(&diary_input(season()), Language::Vi).unwrap());
    let row = row_with_seq(&header, &rows, 3);
    assert_eq!(row[column(&header, "Lượng")], "10 kg");
    let amendment = &row[column(&header, "Đính chính")];
    assert!(
        amendment.starts_with("Đã đính chính bởi sự kiện #9 (25/03/2026 09:05): Ghi nhầm lượng phân"),
        "{amendment}"
    );
    assert!(amendment.contains("Ghi ban đầu: Urê Phú Mỹ; 20 kg"), "{amendment}");
}

#[test]
fn a_voided_entry_stays_listed_and_says_it_was_voided_and_why() {
    let (header, rows) = read(&render_csv(&diary_input(season()), Language::Vi).unwrap());
    let row = row_with_seq(&header, &rows, 5);
    assert_eq!(row[column(&header, "Công việc")], "Quan sát");
    assert_eq!(row[column(&header, "Chi tiết")], "Sâu cuốn lá nhỏ, mật độ thấp");
    assert_eq!(
        row[column(&header, "Đính chính")],
        "ĐÃ HỦY bởi sự kiện #8 (25/03/2026 09:00): Ghi nhầm lô, quan sát này thuộc lô khác"
    );
    let untouched = row_with_seq(&header, &rows, 4);
    assert_eq!(untouched[column(&header, "Đính chính")], "");
}

#[test]
fn each_spraying_shows_its_interval_the_days_to_harvest_and_the_verdict() {
    let (header, rows) = read(&render_csv(&diary_input(season()), Language::Vi).unwrap());
    let required = column(&header, "Thời gian cách ly yêu cầu (ngày)");
    let days = column(&header, "Số ngày từ phun đến thu hoạch");
    let verdict = column(&header, "Đánh giá thời gian cách ly");

    let early = row_with_seq(&header, &rows, 4);
    assert_eq!(early[column(&header, "Công việc")], "Phun thuốc BVTV");
    assert_eq!(early[column(&header, "Vật tư")], "Anvil 5SC");
    assert_eq!(early[column(&header, "Hoạt chất")], "Hexaconazole");
    assert_eq!(early[column(&header, "Lượng")], "1,5 lít");
    assert_eq!(
        early[column(&header, "Chi tiết")],
        "Đối tượng: Bệnh khô vằn; Diện tích phun: 2.000 m² (2 công)"
    );
    // Whole days, as the interval rule counts them: 01/03 16:00 to 25/03 06:00 is 23 days.
    assert_eq!((early[required].as_str(), early[days].as_str()), ("7", "23"));
    assert_eq!(early[verdict], "Đạt");

    let late = row_with_seq(&header, &rows, 6);
    assert_eq!((late[required].as_str(), late[days].as_str()), ("7", "4"));
    assert_eq!(late[verdict], "KHÔNG ĐẠT");

    let harvest = row_with_seq(&header, &rows, 7);
    assert_eq!(
        (
            harvest[required].as_str(),
            harvest[days].as_str(),
            harvest[verdict].as_str()
        ),
        ("", "", "")
    );
    assert_eq!(harvest[column(&header, "Lượng")], "6 tấn");
}

#[test]
fn typed_text_that_would_run_as_a_formula_gets_a_leading_apostrophe() {
    let (header, rows) = read(&render_csv(&diary_input(season()), Language::Vi).unwrap());
    let note = &row_with_seq(&header, &rows, 2)[column(&header, "Ghi chú")];
    assert_eq!(note, &format!("'{FORMULA_NOTE}"));
    let logged_by = &row_with_seq(&header, &rows, 6)[column(&header, "Người ghi")];
    assert_eq!(logged_by, &format!("'{FORMULA_MEMBER}"));
    let harmless = &row_with_seq(&header, &rows, 4)[column(&header, "Ghi chú")];
    assert_eq!(harmless, "Phun chiều mát, trời lặng gió.");
}

#[test]
fn dates_are_day_first_in_vietnam_time_and_vietnamese_text_is_intact() {
    let (header, rows) = read(&render_csv(&diary_input(season()), Language::Vi).unwrap());
    let seeding = row_with_seq(&header, &rows, 1);
    assert_eq!(seeding[column(&header, "Ngày (dd/mm/yyyy)")], "05/01/2026");
    assert_eq!(seeding[column(&header, "Giờ")], "07:00");
    assert_eq!(seeding[column(&header, "Thửa ruộng")], PLOT);
    assert_eq!(seeding[column(&header, "Người ghi")], "Nguyễn Văn An");
    assert_eq!(
        seeding[column(&header, "Chi tiết")],
        "Giống: ST25; Nguồn giống: Trung tâm Giống cây trồng Sóc Trăng; Lô giống: ST25-2025-118"
    );
    assert_eq!(
        seeding[column(&header, "Mã sự kiện")],
        "00000000-0000-0000-0000-0000d1a20001"
    );
}

#[test]
fn a_time_logged_with_another_offset_is_shown_in_vietnam_time() {
    let mut events = season();
    events[0].occurred_at = at("2026-01-04T23:30:00+00:00");
    let (header, rows) = read(&render_csv(&diary_input(events), Language::Vi).unwrap());
    let seeding = row_with_seq(&header, &rows, 1);
    assert_eq!(seeding[column(&header, "Ngày (dd/mm/yyyy)")], "05/01/2026");
    assert_eq!(seeding[column(&header, "Giờ")], "06:30");
}

#[test]
fn english_diaries_have_english_headings_types_and_verdicts() {
    let (header, rows) = read(&render_csv(&diary_input(season()), Language::En).unwrap());
    assert_eq!(header[0], "Lot code");
    let kind = column(&header, "Activity");
    let verdict = column(&header, "Pre-harvest interval verdict");
    let late = rows.iter().find(|row| row[1] == "6").unwrap();
    assert_eq!(late[kind], "Pesticide spraying");
    assert_eq!(late[verdict], "NOT RESPECTED");
    assert_eq!(late[column(&header, "Amount")], "1.5 L");
    let voided = rows.iter().find(|row| row[1] == "5").unwrap();
    assert!(voided[column(&header, "Amendment")].starts_with("VOIDED by event #8"));
}

#[test]
fn a_lot_with_no_events_gives_just_the_header_row() {
    let (header, rows) = read(&render_csv(&diary_input(Vec::new()), Language::Vi).unwrap());
    assert_eq!(header.len(), 18);
    assert!(rows.is_empty());
}

#[test]
fn a_history_with_a_missing_event_is_refused_rather_than_printed_incomplete() {
    let mut events = season();
    events.remove(3);
    let mut input = diary_input(events);
    let error = render_csv(&input, Language::Vi).unwrap_err();
    assert_eq!(error, DiaryError::SequenceGap { expected: 4, found: 5 });
    assert!(error.to_string().contains("Event number 4 is missing"), "{error}");

    input.events = season();
    input.event_count = 12;
    let error = render_csv(&input, Language::Vi).unwrap_err();
    assert_eq!(error.code(), "event_count_mismatch");
}

#[test]
fn events_given_out_of_order_are_listed_in_chain_order() {
    let mut events = season();
    events.reverse();
    let (_, rows) = read(&render_csv(&diary_input(events), Language::Vi).unwrap());
    let listed: Vec<&str> = rows.iter().map(|row| row[1].as_str()).collect();
    assert_eq!(listed, ["1", "2", "3", "4", "5", "6", "7"]);
}

#[test]
fn two_thousand_events_give_two_thousand_rows() {
    let (_, rows) = read(&render_csv(&diary_input(long_season(2000)), Language::Vi).unwrap());
    assert_eq!(rows.len(), 2000);
    assert_eq!(rows[1999][5], "Thu hoạch");
}

#[test]
fn a_steps_photos_are_listed_by_the_hashes_that_name_them() {
    let mut events = season();
    events[0].photos = vec![farm_log::PhotoHash([0xab; 32]), farm_log::PhotoHash([0x01; 32])];
    let (header, rows) = read(&render_csv(&diary_input(events), Language::Vi).unwrap());
    let details = column(&header, "Chi tiết");
    let first = row_with_seq(&header, &rows, 1);
    assert!(
        first[details].contains(&format!("Ảnh (mã blake3): {}, {}", "ab".repeat(32), "01".repeat(32))),
        "{:?}",
        first[details]
    );
    let second = row_with_seq(&header, &rows, 2);
    assert!(
        !second[details].contains("Ảnh"),
        "no photos, no mention: {:?}",
        second[details]
    );
}
