//! Label throughput: 1,000 serials, links, QR codes and a 3x8 A4 PDF against the 1-second
//! goal, then QR + PNG per label. A plain `Instant` loop (`harness = false`), run with
//! `cargo bench -p label`.

use std::time::Instant;

use farm_log::ids::{Gtin, LotCode};
use label::{
    BaseUrl, Digest, LabelFace, LabelFont, LabelLink, PRINT_MODULE_PX, QrMatrix, Serial, SheetLayout, qr_png,
    render_pdf,
};

const DEJAVU: &str = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
const LABELS: usize = 1_000;

fn main() {
    let Ok(font_bytes) = std::fs::read(DEJAVU) else {
        println!("labels bench: {DEJAVU} not found (install fonts-dejavu-core); nothing measured.");
        return;
    };
    let font = match LabelFont::from_bytes(font_bytes) {
        Ok(font) => font,
        Err(error) => {
            println!("labels bench: cannot use {DEJAVU}: {error}");
            return;
        }
    };
    let (base, gtin, lot) = match (
        BaseUrl::parse("https://truyxuat.nguon.vn"),
        Gtin::parse("8935049500018", "gtin"),
        LotCode::parse("BUOI-TAYTUU-2026.11A", "lot"),
    ) {
        (Ok(base), Ok(gtin), Ok(lot)) => (base, gtin, lot),
        _ => {
            println!("labels bench: fixed inputs failed to parse");
            std::process::exit(1);
        }
    };
    let digest = Digest::of_head(blake3::hash(b"lot head").as_bytes());
    let layout = SheetLayout::Grid { columns: 3, rows: 8 };

    // Warm up allocators, font parsing and code paths once.
    let _ = batch(&base, &gtin, &lot, digest, &font, &layout, 24);

    let start = Instant::now();
    let (serial_ms, pdf_ms, pages, bytes) = match batch(&base, &gtin, &lot, digest, &font, &layout, LABELS) {
        Ok(figures) => figures,
        Err(error) => {
            println!("labels bench: rendering failed: {error}");
            std::process::exit(1);
        }
    };
    let total_ms = start.elapsed().as_secs_f64() * 1e3;
    println!(
        "{LABELS} labels, 3x8 A4 ({pages} pages, {} KiB PDF): total {total_ms:.0} ms = {:.2} × the 1 s goal",
        bytes / 1024,
        total_ms / 1000.0
    );
    println!("  serials + URLs {serial_ms:.1} ms; PDF incl. QR encoding, layout, font subsetting {pdf_ms:.0} ms");

    let mut rng = rand::rng();
    let urls: Vec<String> = (0..LABELS)
        .map(|_| digital_link(&base, &gtin, &lot, Serial::random(&mut rng), digest).to_url())
        .collect();
    let start = Instant::now();
    for url in &urls {
        if let Err(error) = QrMatrix::encode(url) {
            println!("labels bench: QR failed: {error}");
            std::process::exit(1);
        }
    }
    let matrix_us = start.elapsed().as_secs_f64() * 1e6 / LABELS as f64;
    println!("QR matrix only: {matrix_us:.0} µs per label over {LABELS}");

    let start = Instant::now();
    let mut png_bytes = 0;
    for url in &urls {
        match qr_png(url, PRINT_MODULE_PX) {
            Ok(png) => png_bytes += png.len(),
            Err(error) => {
                println!("labels bench: PNG failed: {error}");
                std::process::exit(1);
            }
        }
    }
    let per_label_us = start.elapsed().as_secs_f64() * 1e6 / LABELS as f64;
    println!(
        "QR + PNG ({PRINT_MODULE_PX} px/module): {per_label_us:.0} µs per label over {LABELS} ({} bytes average)",
        png_bytes / LABELS
    );
}

fn digital_link(base: &BaseUrl, gtin: &Gtin, lot: &LotCode, serial: Serial, digest: Digest) -> LabelLink {
    LabelLink::DigitalLink {
        base: base.clone(),
        gtin: gtin.clone(),
        lot: lot.clone(),
        serial,
        digest,
    }
}

/// Issues `count` labels and renders them; returns the phase timings in ms, pages and bytes.
fn batch(
    base: &BaseUrl,
    gtin: &Gtin,
    lot: &LotCode,
    digest: Digest,
    font: &LabelFont,
    layout: &SheetLayout,
    count: usize,
) -> Result<(f64, f64, usize, usize), label::LabelError> {
    let start = Instant::now();
    let mut rng = rand::rng();
    let faces: Vec<LabelFace> = (0..count)
        .map(|_| {
            let serial = Serial::random(&mut rng);
            LabelFace {
                url: digital_link(base, gtin, lot, serial, digest).to_url(),
                product_name: "Bưởi da xanh".to_owned(),
                lot_code: lot.to_string(),
                pack_date: "20/11/2026".to_owned(),
                cooperative_name: "Hợp tác xã Rau an toàn Tây Tựu".to_owned(),
                serial_short: serial.short(),
                certificate_mark: Some("VietGAP".to_owned()),
                pack_size: Some("Túi 500 g".to_owned()),
                use_by: Some("27/11/2026".to_owned()),
                cooperative_phone: Some("0912 345 670".to_owned()),
            }
        })
        .collect();
    let serial_ms = start.elapsed().as_secs_f64() * 1e3;

    let start = Instant::now();
    let mut pages = 0;
    let pdf = render_pdf(&faces, layout, font, |done| pages = done)?;
    let pdf_ms = start.elapsed().as_secs_f64() * 1e3;
    Ok((serial_ms, pdf_ms, pages, pdf.len()))
}
