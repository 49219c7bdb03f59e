//! Reading spreadsheet diaries: headings found by their usual names, Vietnamese step names and
//! units read as farmers mean them, every bad row named by its line, and ids that do not change
//! when the same file is read again.

use diary::import::{ImportContext, RegistryInput, read_rows, read_table};
use farm_log::{EventBody, InputKind, Region};

fn context(region: Region) -> ImportContext {
    ImportContext {
        cooperative_id: 3,
        lot_code: "L-1".into(),
        region,
        inputs: vec![
            RegistryInput {
                id: 11,
                kind: InputKind::Fertilizer,
                trade_name: "NPK Lâm Thao 5-10-3".into(),
            },
            RegistryInput {
                id: 12,
                kind: InputKind::Pesticide,
                trade_name: "Anvil 5SC".into(),
            },
        ],
        plots: vec!["Vườn bưởi số 3".into(), "Vườn bưởi số 5".into()],
        now: chrono::DateTime::parse_from_rfc3339("2026-12-01T00:00:00+07:00").expect("now"),
    }
}

fn read(text: &str, region: Region) -> Vec<diary::import::ImportedRow> {
    let table = read_table(text.as_bytes()).expect("table");
    read_rows(&table, &context(region)).expect("rows")
}

#[test]
fn units_and_numbers_are_read_as_farmers_write_them() {
    let rows = read(
        "Ngày,Công việc,Vật tư,Lượng,Đơn vị,Diện tích,Thửa,Người thực hiện\n\
         01/10/2026,bón thúc,npk lâm thao 5-10-3,\"1.500\",kg,,Vườn bưởi số 3,Anh Tám\n\
         02/10/2026,Bón phân,NPK Lâm Thao 5-10-3,3 yến,,,,\n\
         03/10/2026,Phun thuốc,Anvil 5SC,\"1,5\",lít,2 công,,\n\
         \n\
         04/10/2026,Phun thuốc,Anvil 5SC,2,gói,1 sào,,\n",
        Region::South,
    );
    assert_eq!(rows.len(), 4, "the blank line is skipped");
    assert_eq!(rows[3].line, 6, "lines count as in the file");
    match &rows[0].draft.body {
        EventBody::Fertilizing { amount, method, .. } => {
            assert_eq!(amount.value.to_string(), "1500");
            assert_eq!(method.as_ref().map(AsRef::<str>::as_ref), Some("Bón thúc"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        rows[0].draft.note.as_ref().map(ToString::to_string).as_deref(),
        Some("Người thực hiện: Anh Tám. Thửa: Vườn bưởi số 3"),
        "with two plots, the row's plot goes in the note"
    );
    match &rows[1].draft.body {
        EventBody::Fertilizing { amount, .. } => {
            assert_eq!((amount.value.to_string(), amount.unit.code()), ("30".into(), "KGM"))
        }
        other => panic!("{other:?}"),
    }
    match &rows[2].draft.body {
        EventBody::Spraying { dose, area, .. } => {
            assert_eq!((dose.value.to_string(), dose.unit.code()), ("1.5".into(), "LTR"));
            let area = area.expect("area");
            assert_eq!(
                (area.value.to_string(), area.unit.code()),
                ("2000".into(), "MTK"),
                "a công is 1,000 m²"
            );
        }
        other => panic!("{other:?}"),
    }
    match &rows[3].draft.body {
        EventBody::Spraying { dose, area, .. } => {
            assert_eq!(dose.unit.code(), "H87", "a packet is a piece");
            assert_eq!(
                area.map(|a| a.value.to_string()),
                Some("500".into()),
                "a sào is 500 m² in the South"
            );
        }
        other => panic!("{other:?}"),
    }
    let north = read(
        "Ngày;Công việc;Vật tư;Lượng;Diện tích\n01/10/2026;phun;Anvil 5SC;1 chai;1 sào\n",
        Region::North,
    );
    match &north[0].draft.body {
        EventBody::Spraying { area, .. } => assert_eq!(area.map(|a| a.value.to_string()), Some("360".into())),
        other => panic!("{other:?}"),
    }
}

#[test]
fn every_bad_row_is_named_by_its_line_and_column() {
    let table = read_table(
        "Ngày,Công việc,Vật tư,Lượng,Thửa\n\
         01/10/2026,Bón phân,Phân lạ,2 kg,\n\
         hôm qua,Tưới nước,,,\n\
         03/10/2026,Bón phân,Anvil 5SC,2 kg,\n\
         04/10/2026,Thu hoạch,,,\n\
         05/10/2026,Quan sát,Sâu,,Ruộng khác\n\
         06/10/2026,Phun thuốc,Anvil 5SC,1 sào,\n\
         01/01/2027,Tưới nước,,,\n"
            .as_bytes(),
    )
    .expect("table");
    let errors = read_rows(&table, &context(Region::South)).expect_err("bad rows");
    let lines: Vec<usize> = errors.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(errors[0].column.as_deref(), Some("Vật tư"));
    assert!(errors[2].message_vi.contains("thuốc BVTV"), "{:?}", errors[2]);
    assert_eq!(errors[3].column.as_deref(), Some("Lượng"));
    assert!(errors[4].message_en.contains("not one of lot L-1's plots"));
    assert!(errors[5].message_vi.contains("không phải diện tích"));
    assert!(errors[6].message_en.contains("future"));
}

#[test]
fn the_same_rows_get_the_same_ids_and_repeated_rows_distinct_ones() {
    let text = "Ngày,Công việc\n01/10/2026,Làm cỏ\n01/10/2026,Làm cỏ\n02/10/2026,Làm cỏ\n";
    let first = read(text, Region::North);
    let again = read(text, Region::North);
    let ids: Vec<_> = first.iter().map(|r| r.draft.id).collect();
    assert_eq!(ids, again.iter().map(|r| r.draft.id).collect::<Vec<_>>());
    assert_ne!(ids[0], ids[1], "a row written twice is two steps");
    assert_eq!(ids[0].get_version_num(), 8);
    let shifted = read("Ngày,Công việc\n02/10/2026,Làm cỏ\n", Region::North);
    assert_eq!(shifted[0].draft.id, ids[2], "ids do not depend on the row's position");
}

#[test]
fn the_sample_excel_diary_reads_with_its_dates() {
    let bytes = std::fs::read(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fixtures/nhat-ky-buoi-vuon-so-5.xlsx"
    ))
    .expect("sample");
    let table = read_table(&bytes).expect("an xlsx table");
    let mut context = context(Region::South);
    context.inputs.push(RegistryInput {
        id: 13,
        kind: InputKind::Fertilizer,
        trade_name: "Phân bò ủ hoai".into(),
    });
    context.inputs.push(RegistryInput {
        id: 14,
        kind: InputKind::Fertilizer,
        trade_name: "Kali Canada (KCl)".into(),
    });
    let rows = read_rows(&table, &context).expect("rows");
    assert_eq!(rows.len(), 7);
    assert_eq!(rows[0].draft.occurred_at.to_rfc3339(), "2026-10-20T07:00:00+07:00");
    assert!(matches!(rows[6].draft.body, EventBody::Harvest { .. }));
}

#[test]
fn a_file_that_is_not_utf8_csv_or_lacks_the_needed_columns_says_so() {
    let latin1 = b"Ng\xe0y,C\xf4ng vi\xeac\n";
    assert!(read_table(latin1).expect_err("not utf-8").message_en.contains("UTF-8"));
    let table = read_table("Ngày,Vật tư\n01/10/2026,NPK\n".as_bytes()).expect("table");
    let errors = read_rows(&table, &context(Region::North)).expect_err("no step column");
    assert_eq!(errors[0].line, 1);
    assert!(errors[0].message_vi.contains("Công việc"));
}
