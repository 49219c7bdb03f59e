//! Support shared by Nguồn's tests: reading printed label sheets back with the tools a print
//! shop's proof would use, and a headless browser for the public pages ([`browser`]). The
//! end-to-end tests themselves live in `tests/`.
//!
//! Tools outside cargo (`pdftoppm`, `zbarimg`, `pdftotext`) are used whenever present. When one
//! is missing the caller is told to skip, loudly on stderr; with `NGUON_REQUIRE_TOOLS=1` (as in
//! CI) a missing tool is a failure instead.

pub mod browser;

use std::io::Write;
use std::path::Path;
use std::process::Command;

use label::SheetLayout;

/// Whether `name` can be run. When it cannot: panics under `NGUON_REQUIRE_TOOLS=1`, otherwise
/// says loudly that the check is skipped and which Debian package provides it.
pub fn tool(name: &str, package: &str) -> bool {
    if Command::new(name).arg("-v").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var("NGUON_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "NGUON_REQUIRE_TOOLS=1 but {name} is not installed (apt-get install {package})"
    );
    // Written to the stderr handle, not with eprintln!, which the test harness captures.
    let message = format!("\n*** SKIPPED: {name} not found — install {package} to check printed labels ***\n");
    let _ = std::io::stderr().write_all(message.as_bytes());
    false
}

/// Rasterizes a printed sheet at 300 dpi with `pdftoppm` and decodes every label's QR code with
/// `zbarimg`, one label cell at a time (as a phone sees one label; zbar misses codes when a
/// whole A4 page of them is in one image). `None` when the tools are missing.
pub fn decode_sheet(pdf: &[u8], layout: &SheetLayout) -> Option<Vec<String>> {
    if !(tool("pdftoppm", "poppler-utils") && tool("zbarimg", "zbar-tools")) {
        return None;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let pdf_path = dir.path().join("sheet.pdf");
    std::fs::write(&pdf_path, pdf).expect("write the PDF");
    let output = Command::new("pdftoppm")
        .args(["-r", "300", "-png"])
        .arg(&pdf_path)
        .arg(dir.path().join("page"))
        .output()
        .expect("run pdftoppm");
    assert!(
        output.status.success(),
        "pdftoppm: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .expect("read the directory")
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|path| path.extension().is_some_and(|ext| ext == "png"))
        .collect();
    pages.sort();
    let dots_per_mm = 300.0 / 25.4;
    let (width_mm, height_mm) = layout.label_size_mm();
    let mut cells = Vec::new();
    for page in &pages {
        let image = image::open(page).expect("read a rasterized page");
        for index in 0..layout.labels_per_page() {
            let (x_mm, y_mm) = layout.label_origin_mm(index);
            let (x, y) = ((x_mm * dots_per_mm) as u32, (y_mm * dots_per_mm) as u32);
            let (w, h) = ((width_mm * dots_per_mm) as u32, (height_mm * dots_per_mm) as u32);
            if x + w > image.width() + 2 || y + h > image.height() + 2 {
                continue;
            }
            let cell = image.crop_imm(x, y, w.min(image.width() - x), h.min(image.height() - y));
            let path = dir.path().join(format!("cell-{}.png", cells.len()));
            cell.save(&path).expect("write a label cell");
            cells.push(path);
        }
    }
    Some(zbar(&cells))
}

fn zbar(images: &[impl AsRef<Path>]) -> Vec<String> {
    // zbarimg exits 4 when some image has no code (an empty cell on the last page).
    let output = Command::new("zbarimg")
        .args(["--raw", "-q", "-Sdisable", "-Sqrcode.enable"])
        .args(images.iter().map(AsRef::as_ref))
        .output()
        .expect("run zbarimg");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_owned)
        .collect()
}

/// The text `pdftotext` extracts from a PDF, or `None` when it is missing.
pub fn pdf_text(pdf: &[u8]) -> Option<String> {
    if !tool("pdftotext", "poppler-utils") {
        return None;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("text.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    let output = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("run pdftotext");
    assert!(output.status.success(), "pdftotext failed");
    Some(String::from_utf8_lossy(&output.stdout).into_owned())
}

/// The size of a PDF's first page in millimetres, read with `pdfinfo`, or `None` when it is
/// missing.
pub fn pdf_page_mm(pdf: &[u8]) -> Option<(f64, f64)> {
    if !tool("pdfinfo", "poppler-utils") {
        return None;
    }
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("page.pdf");
    std::fs::write(&path, pdf).expect("write the PDF");
    let output = Command::new("pdfinfo").arg(&path).output().expect("run pdfinfo");
    assert!(output.status.success(), "pdfinfo failed");
    let text = String::from_utf8_lossy(&output.stdout);
    let line = text
        .lines()
        .find_map(|l| l.strip_prefix("Page size:"))
        .unwrap_or_else(|| panic!("no page size in {text}"));
    let mut numbers = line
        .split_whitespace()
        .filter_map(|w| w.parse::<f64>().ok())
        .map(|pt| pt * 25.4 / 72.0);
    Some((numbers.next()?, numbers.next()?))
}
