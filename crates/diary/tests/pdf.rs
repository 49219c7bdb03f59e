//! The printed diary: rendered with a real Vietnamese font and read back with poppler's
//! `pdftotext`, as an auditor's PDF viewer would show it.
//!
//! The font and `pdftotext` are optional on a developer machine: without them these tests print
//! a loud SKIPPED line and pass, unless `NGUON_REQUIRE_TOOLS=1` is set (as CI does), when a
//! missing one fails the test.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::Command;

use common::*;
use diary::{DiaryError, DiaryFont, Language, render_pdf};

/// The PDF's text as `pdftotext -layout` reads it, or `None` after a loud skip.
fn pdf_text(bytes: &[u8]) -> Option<String> {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nhat-ky.pdf");
    std::fs::write(&path, bytes).unwrap();
    match Command::new("pdftotext").arg("-layout").arg(&path).arg("-").output() {
        Ok(output) => {
            assert!(
                output.status.success(),
                "pdftotext failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            Some(String::from_utf8(output.stdout).expect("pdftotext writes UTF-8"))
        }
        Err(_) => {
            skip("pdftotext", "poppler-utils");
            None
        }
    }
}

/// Pages in the document: page objects (`/Type /Page`, not `/Type /Pages`).
fn page_count(bytes: &[u8]) -> usize {
    let mut count = 0;
    for (at, _) in bytes.windows(5).enumerate().filter(|(_, w)| w == b"/Type") {
        let rest = &bytes[at + 5..];
        let rest = &rest[rest.iter().take_while(|b| b.is_ascii_whitespace()).count()..];
        if rest.starts_with(b"/Page") && !rest[5..].starts_with(b"s") {
            count += 1;
        }
    }
    count
}

/// The text with line breaks and column gaps folded away.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Whether the words of `phrase` appear in order in `text`, at most a few words apart: a
/// phrase that wrapped inside its table cell is read back interleaved with the neighbouring
/// cells' lines.
fn has_in_order(text: &str, phrase: &str) -> bool {
    const MAX_GAP: usize = 24;
    let words: Vec<&str> = text.split_whitespace().collect();
    let wanted: Vec<&str> = phrase.split_whitespace().collect();
    let Some((first, rest)) = wanted.split_first() else {
        return true;
    };
    words
        .iter()
        .enumerate()
        .filter(|(_, word)| *word == first)
        .any(|(start, _)| {
            let mut at = start;
            rest.iter().all(|next| {
                let found = words[at + 1..].iter().take(MAX_GAP + 1).position(|word| word == next);
                if let Some(offset) = found {
                    at += offset + 1;
                }
                found.is_some()
            })
        })
}

#[test]
fn phrases_are_found_across_interleaved_cells_but_not_scattered_words() {
    let text = "Ghi chép số 2000: thăm đồng buổi\n0 15:00 An sáng.";
    assert!(has_in_order(text, "Ghi chép số 2000: thăm đồng buổi sáng."));
    assert!(!has_in_order(text, "Ghi chép số 1999:"));
    assert!(!has_in_order(text, "sáng. Ghi"));
}

#[test]
fn the_diary_is_a_pdf_with_vietnamese_headings_the_lot_and_its_chain_head() {
    let Some(font) = font() else { return };
    let input = diary_input(season());
    let bytes = render_pdf(&input, Language::Vi, &font).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert_eq!(page_count(&bytes), 1);
    let Some(text) = pdf_text(&bytes) else { return };
    let flat = words(&text);
    for expected in [
        "NHẬT KÝ CANH TÁC",
        "Hợp tác xã: HTX Nông nghiệp Tân Phú",
        &format!("Mã lô: {LOT}"),
        &format!("Sản phẩm: {PRODUCT}"),
        "Thửa ruộng: Ruộng Đồng Chùa (Xã Tân Phú; mã số vùng trồng VN-STR-0012)",
        "Hộ trồng: Hộ ông Nguyễn Văn An",
        "Trạng thái lô: Đã thu hoạch",
        "Xuất lúc: 02/04/2026 10:04 (giờ Việt Nam, UTC+07:00)",
        &format!("Mã chuỗi: {}", input.chain_head.to_hex()),
        "Số sự kiện: 9",
        "Trang 1/1",
    ] {
        assert!(flat.contains(expected), "{expected:?} missing from:\n{text}");
    }
    for expected in [
        "Ngày, giờ Công việc Vật tư, hoạt chất Lượng Thời gian cách ly Người ghi Chi tiết, ghi chú",
        "Phun thuốc BVTV",
        "Anvil 5SC Hexaconazole",
        "Giống: ST25; Nguồn giống: Trung tâm Giống cây trồng Sóc Trăng; Lô giống: ST25-2025-118",
    ] {
        assert!(has_in_order(&text, expected), "{expected:?} missing from:\n{text}");
    }
}

#[test]
fn voided_entries_and_sprayings_too_close_to_harvest_are_marked() {
    let Some(font) = font() else { return };
    let bytes = render_pdf(&diary_input(season()), Language::Vi, &font).unwrap();
    let Some(text) = pdf_text(&bytes) else { return };
    for expected in [
        "Quan sát ĐÃ HỦY",
        "ĐÃ HỦY bởi sự kiện #8 (25/03/2026 09:00): Ghi nhầm lô, quan sát này thuộc lô khác",
        "Yêu cầu: 7 ngày Thực tế: 4 ngày KHÔNG ĐẠT",
        "Đã đính chính bởi sự kiện #9 (25/03/2026 09:05): Ghi nhầm lượng phân",
        "Ghi ban đầu: Urê Phú Mỹ; 20 kg; Cách bón: Bón thúc đẻ nhánh",
    ] {
        assert!(has_in_order(&text, expected), "{expected:?} missing from:\n{text}");
    }
    assert_eq!(
        text.matches("KHÔNG ĐẠT").count(),
        1,
        "only the late spraying fails:\n{text}"
    );
}

#[test]
fn english_diaries_have_english_headings_and_page_numbers() {
    let Some(font) = font() else { return };
    let bytes = render_pdf(&diary_input(season()), Language::En, &font).unwrap();
    let Some(text) = pdf_text(&bytes) else { return };
    for expected in [
        "FARM DIARY",
        "Chain head:",
        "Lot status: Harvested",
        "Logged by",
        "Pesticide spraying",
        "Required: 7 days Actual: 4 days NOT RESPECTED",
        "Field observation VOIDED",
        "Page 1/1",
    ] {
        assert!(has_in_order(&text, expected), "{expected:?} missing from:\n{text}");
    }
    assert!(!text.contains("Trang 1/"), "{text}");
}

#[test]
fn a_long_history_continues_over_numbered_pages_with_the_header_row_repeated() {
    let Some(font) = font() else { return };
    let bytes = render_pdf(&diary_input(long_season(2000)), Language::Vi, &font).unwrap();
    let pages = page_count(&bytes);
    assert!(pages > 50, "2000 entries on only {pages} pages");
    let Some(text) = pdf_text(&bytes) else { return };
    let page_texts: Vec<&str> = text.split('\u{c}').filter(|page| !page.trim().is_empty()).collect();
    assert_eq!(page_texts.len(), pages);
    for (number, page) in (1..).zip(&page_texts) {
        assert!(
            page.contains(&format!("Trang {number}/{pages}")),
            "page {number}:\n{page}"
        );
        assert!(
            page.contains("Người ghi"),
            "page {number} lacks the header row:\n{page}"
        );
    }
    assert!(
        has_in_order(page_texts[0], "Ghi chép số 1: thăm đồng buổi sáng."),
        "first entry missing"
    );
    assert!(
        has_in_order(
            page_texts[pages - 1],
            "2000 Thu hoạch 6 tấn Ghi chép số 2000: thăm đồng buổi sáng."
        ),
        "last entry missing from the last page:\n{}",
        page_texts[pages - 1]
    );
}

#[test]
fn a_very_long_note_wraps_and_continues_on_the_next_page_without_losing_text() {
    let Some(font) = font() else { return };
    let mut events = season();
    let mut long = String::from("BẮT ĐẦU GHI CHÚ ");
    while long.chars().count() < 1900 {
        long.push_str("Lúa trổ đều, hạt chắc, không có sâu bệnh đáng kể trên ruộng. ");
    }
    long.push_str("Mãcôngviệcdàikhôngcókhoảngtrắngnàocả ");
    long.push_str("HẾT GHI CHÚ");
    events[6].note = Some(note(&long));
    // The harvest's override reason is long too, so the row is taller than a page.
    if let farm_log::EventBody::Harvest { phi_override, .. } = &mut events[6].body {
        *phi_override = Some(farm_log::PhiOverride {
            reason: note(&long.replace("BẮT ĐẦU GHI CHÚ", "BẮT ĐẦU LÝ DO")),
        });
    }
    let bytes = render_pdf(&diary_input(events), Language::Vi, &font).unwrap();
    assert!(page_count(&bytes) >= 2);
    let Some(text) = pdf_text(&bytes) else { return };
    for expected in ["BẮT ĐẦU GHI CHÚ", "BẮT ĐẦU LÝ DO", "HẾT GHI CHÚ"] {
        assert!(has_in_order(&text, expected), "{expected:?} missing from:\n{text}");
    }
    assert!(text.contains("Trang 2/"), "{text}");
    // The word without spaces is broken inside its cell, but every letter is there.
    let letters: String = text.split_whitespace().collect();
    assert!(letters.contains("Mãcôngviệcdàikhôngcókhoảngtrắngnàocả"), "{text}");
}

#[test]
fn a_lot_with_no_events_gets_a_one_page_diary_that_says_so() {
    let Some(font) = font() else { return };
    let bytes = render_pdf(&diary_input(Vec::new()), Language::Vi, &font).unwrap();
    assert_eq!(page_count(&bytes), 1);
    let Some(text) = pdf_text(&bytes) else { return };
    assert!(text.contains("Lô chưa có ghi chép nào."), "{text}");
    assert!(text.contains("Trang 1/1"), "{text}");
}

#[test]
fn characters_the_font_cannot_draw_do_not_stop_the_diary() {
    let Some(font) = font() else { return };
    let mut events = season();
    events[0].note = Some(note("Gieo xong 🌾 trước cơn mưa \u{2028}chiều."));
    let bytes = render_pdf(&diary_input(events), Language::Vi, &font).unwrap();
    let Some(text) = pdf_text(&bytes) else { return };
    assert!(has_in_order(&text, "Gieo xong ? trước cơn mưa chiều."), "{text}");
}

#[test]
fn a_file_that_is_not_a_font_is_refused() {
    let error = DiaryFont::from_bytes(b"not a font".to_vec()).unwrap_err();
    assert_eq!(error, DiaryError::UnreadableFont);
    assert_eq!(error.code(), "unreadable_font");
}
