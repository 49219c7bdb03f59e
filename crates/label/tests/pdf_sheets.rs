//! End-to-end checks of printable label sheets: render real PDFs with a real Vietnamese font,
//! rasterize them at 300 dpi with poppler and read every QR code back with zbar.
//!
//! The external tools are optional on a developer machine: without them these tests print a
//! loud SKIPPED line and pass, unless `NGUON_REQUIRE_TOOLS=1` is set (as CI should), when a
//! missing tool fails the test.

use std::collections::BTreeSet;
use std::io::Write as _;

use farm_log::ids::{Gtin, LotCode};
use label::{BaseUrl, Digest, LabelFace, LabelFont, LabelLink, Serial, SheetLayout, render_pdf};

const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const COOPERATIVE: &str = "Hợp tác xã Rau an toàn Tây Tựu";
const PRODUCT: &str = "Bưởi da xanh";

/// Reports a missing prerequisite: a loud skip, or a failure when tools are required.
fn skip(what: &str, install: &str) {
    if std::env::var("NGUON_REQUIRE_TOOLS").as_deref() == Ok("1") {
        panic!("{what} not found and NGUON_REQUIRE_TOOLS=1 — install {install}");
    }
    // Written straight to stderr: the test harness captures `eprintln!` of passing tests.
    let _ = writeln!(
        std::io::stderr(),
        "\n*** SKIPPED: {what} not found — install {install} ***\n"
    );
}

fn font() -> Option<LabelFont> {
    match std::fs::read(DEJAVU) {
        Ok(bytes) => Some(LabelFont::from_bytes(bytes).expect("DejaVu Sans covers Vietnamese")),
        Err(_) => {
            skip(DEJAVU, "fonts-dejavu-core");
            None
        }
    }
}

fn faces(count: usize) -> Vec<LabelFace> {
    let base = BaseUrl::parse("https://truyxuat.nguon.vn").expect("valid base");
    let gtin = Gtin::parse("8935049500018", "gtin").expect("valid gtin");
    let lot = LotCode::parse("BUOI-TAYTUU-2026.11A", "lot").expect("valid lot");
    let digest = Digest::of_head(blake3::hash(b"lot head").as_bytes());
    let mut rng = rand::rng();
    (0..count)
        .map(|i| {
            let serial = Serial::random(&mut rng);
            let link = if i % 3 == 2 {
                LabelLink::Short {
                    base: base.clone(),
                    serial,
                    digest,
                }
            } else {
                LabelLink::DigitalLink {
                    base: base.clone(),
                    gtin: gtin.clone(),
                    lot: lot.clone(),
                    serial,
                    digest,
                }
            };
            let product_name = if i == 1 {
                "Bưởi da xanh ruột hồng loại đặc biệt xuất khẩu Bến Tre đóng hộp quà tặng Tết".to_owned()
            } else {
                PRODUCT.to_owned()
            };
            LabelFace {
                url: link.to_url(),
                product_name,
                lot_code: lot.to_string(),
                pack_date: "20/11/2026".to_owned(),
                cooperative_name: COOPERATIVE.to_owned(),
                serial_short: serial.short(),
                certificate_mark: (i % 2 == 0).then(|| "VietGAP".to_owned()),
                pack_size: Some("Túi 500 g".to_owned()),
                use_by: Some("27/11/2026".to_owned()),
                cooperative_phone: Some("0912 345 670".to_owned()),
            }
        })
        .collect()
}

#[test]
fn a_three_by_eight_sheet_of_thirty_labels_scans_back_to_every_issued_url() {
    let Some(font) = font() else { return };
    let faces = faces(30);
    let layout = SheetLayout::parse("3x8").expect("valid layout");
    let mut pages_done = Vec::new();
    let pdf = render_pdf(&faces, &layout, &font, |page| pages_done.push(page)).expect("renders");
    assert!(pdf.starts_with(b"%PDF-"));
    assert_eq!(pages_done, vec![1, 2]);

    if let Some(text) = tests::pdf_text(&pdf) {
        // Long names may wrap onto two lines; compare with whitespace collapsed.
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(COOPERATIVE), "cooperative name lost in:\n{text}");
        assert!(text.contains(PRODUCT), "product name lost in:\n{text}");
        assert!(text.contains("Đóng gói: 20/11/2026"));
        assert!(text.contains(&faces[0].serial_short));
        assert!(text.contains("VietGAP"));
        // The over-long name is cut with an ellipsis rather than spilling over.
        assert!(text.contains('…'), "long name was not truncated:\n{text}");
    }
    if let Some(codes) = tests::decode_sheet(&pdf, &layout) {
        let issued: BTreeSet<String> = faces.iter().map(|face| face.url.clone()).collect();
        assert_eq!(codes.len(), faces.len(), "one QR code per label: {codes:#?}");
        assert_eq!(codes.into_iter().collect::<BTreeSet<_>>(), issued);
    }
}

#[test]
fn the_dense_five_by_thirteen_sheet_still_scans() {
    let Some(font) = font() else { return };
    let faces = faces(65);
    let layout = SheetLayout::parse("5x13").expect("valid layout");
    let pdf = render_pdf(&faces, &layout, &font, |_| {}).expect("renders");
    if let Some(codes) = tests::decode_sheet(&pdf, &layout) {
        let issued: BTreeSet<String> = faces.iter().map(|face| face.url.clone()).collect();
        assert_eq!(codes.into_iter().collect::<BTreeSet<_>>(), issued);
    }
}

#[test]
fn single_labels_print_one_per_page_and_scan() {
    let Some(font) = font() else { return };
    let faces = faces(3);
    let layout = SheetLayout::parse("50x30mm").expect("valid layout");
    let mut pages_done = Vec::new();
    let pdf = render_pdf(&faces, &layout, &font, |page| pages_done.push(page)).expect("renders");
    assert_eq!(pages_done, vec![1, 2, 3]);
    if let Some(text) = tests::pdf_text(&pdf) {
        assert!(text.contains(PRODUCT));
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(flat.contains(COOPERATIVE), "{text}");
    }
    if let Some(codes) = tests::decode_sheet(&pdf, &layout) {
        let issued: Vec<String> = faces.iter().map(|face| face.url.clone()).collect();
        assert_eq!(codes, issued, "pages come in label order");
    }
}

#[test]
fn portrait_single_labels_stack_the_code_above_the_text() {
    let Some(font) = font() else { return };
    let faces = faces(1);
    let layout = SheetLayout::parse("40x60mm").expect("valid layout");
    let pdf = render_pdf(&faces, &layout, &font, |_| {}).expect("renders");
    if let Some(codes) = tests::decode_sheet(&pdf, &layout) {
        assert_eq!(codes, vec![faces[0].url.clone()]);
    }
}

#[test]
fn a_label_too_small_for_its_qr_code_is_refused() {
    let Some(font) = font() else { return };
    let layout = SheetLayout::parse("25x20mm").expect("valid layout");
    let error = render_pdf(&faces(1), &layout, &font, |_| {}).expect_err("too small");
    assert_eq!(error.code(), "qr_too_small");
    assert!(error.to_string().contains("at least 4"), "{error}");
}

#[test]
fn characters_the_font_cannot_draw_are_named() {
    let Some(font) = font() else { return };
    let mut faces = faces(2);
    faces[1].product_name = "Trà 漢".to_owned();
    let layout = SheetLayout::parse("3x8").expect("valid layout");
    let error = render_pdf(&faces, &layout, &font, |_| {}).expect_err("missing glyph");
    assert_eq!(error.to_string(), "Label 2: the font has no glyph for '漢'.");
}

#[test]
fn an_empty_batch_is_refused() {
    let Some(font) = font() else { return };
    let layout = SheetLayout::parse("3x8").expect("valid layout");
    assert_eq!(
        render_pdf(&[], &layout, &font, |_| {}).expect_err("empty").code(),
        "no_labels"
    );
}

#[test]
fn fonts_without_vietnamese_or_not_fonts_at_all_are_refused() {
    assert_eq!(
        LabelFont::from_bytes(b"not a font".to_vec())
            .expect_err("garbage")
            .code(),
        "unreadable_font"
    );
    // The URW clones of the PostScript core fonts cover Western European Latin but not
    // Vietnamese's horned letters and stacked tone marks.
    let candidates = [
        "/usr/share/fonts/opentype/urw-base35/NimbusMonoPS-Regular.otf",
        "/usr/share/fonts/opentype/urw-base35/C059-Roman.otf",
    ];
    let Some(bytes) = candidates.iter().find_map(|path| std::fs::read(path).ok()) else {
        skip("a Latin font without Vietnamese (URW base35)", "fonts-urw-base35");
        return;
    };
    let error = LabelFont::from_bytes(bytes).expect_err("URW fonts have no Vietnamese");
    assert_eq!(error.code(), "font_lacks_vietnamese");
    let message = error.to_string();
    assert!(message.contains("Vietnamese") && message.contains('ạ'), "{message}");
}
