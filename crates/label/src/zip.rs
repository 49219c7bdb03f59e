//! In-memory ZIP archives of label images for print shops.

use std::io::{Cursor, Write as _};

use zip::write::SimpleFileOptions;

use crate::error::LabelError;

/// Packs `(name, bytes)` pairs into a ZIP archive in memory. PNGs are stored as they are
/// (already compressed), everything else is deflated. Names must be plain relative paths
/// (no `..`, no leading `/`, no backslashes) and unique.
pub fn zip_files(files: Vec<(String, Vec<u8>)>) -> Result<Vec<u8>, LabelError> {
    let mut writer = zip::ZipWriter::new(Cursor::new(Vec::new()));
    let mut seen = std::collections::HashSet::new();
    for (name, bytes) in files {
        let bad = |reason| LabelError::ZipName {
            name: name.clone(),
            reason,
        };
        if name.is_empty() || name.ends_with('/') {
            return Err(bad("it must name a file"));
        }
        if name.starts_with('/') || name.contains('\\') || name.split('/').any(|part| part == "..") {
            return Err(bad("it must be a plain relative path"));
        }
        if !seen.insert(name.clone()) {
            return Err(bad("another file already has this name"));
        }
        let method = if name.to_ascii_lowercase().ends_with(".png") {
            zip::CompressionMethod::Stored
        } else {
            zip::CompressionMethod::Deflated
        };
        let options = SimpleFileOptions::default().compression_method(method);
        writer
            .start_file(name.as_str(), options)
            .map_err(|e| LabelError::Zip(e.to_string()))?;
        writer.write_all(&bytes).map_err(|e| LabelError::Zip(e.to_string()))?;
    }
    let cursor = writer.finish().map_err(|e| LabelError::Zip(e.to_string()))?;
    Ok(cursor.into_inner())
}

#[cfg(test)]
mod tests {
    use std::io::Read as _;

    use super::*;

    #[test]
    fn archive_reads_back_with_every_file() {
        let files = vec![
            ("ABCDEFGHJKMNPQRS.png".to_owned(), vec![0x89, b'P', b'N', b'G', 1, 2, 3]),
            ("ABCDEFGHJKMNPQRT.svg".to_owned(), b"<svg></svg>".repeat(50)),
            ("readme/nhãn.txt".to_owned(), "Nhãn truy xuất".as_bytes().to_vec()),
        ];
        let archive = zip_files(files.clone()).expect("zips");
        let mut reader = zip::ZipArchive::new(Cursor::new(archive)).expect("reads");
        assert_eq!(reader.len(), files.len());
        for (name, bytes) in files {
            let mut file = reader.by_name(&name).expect("file is there");
            let mut back = Vec::new();
            file.read_to_end(&mut back).expect("reads file");
            assert_eq!(back, bytes, "{name}");
        }
    }

    #[test]
    fn unsafe_or_repeated_names_are_refused() {
        for name in ["", "../x.png", "/etc/x.png", "a\\b.png", "dir/"] {
            let error = zip_files(vec![(name.to_owned(), vec![1])]).expect_err(name);
            assert_eq!(error.code(), "bad_zip_name");
        }
        let twice = vec![("a.png".to_owned(), vec![1]), ("a.png".to_owned(), vec![2])];
        assert_eq!(zip_files(twice).expect_err("repeated").code(), "bad_zip_name");
    }

    #[test]
    fn an_empty_archive_is_valid() {
        let archive = zip_files(Vec::new()).expect("zips");
        assert_eq!(zip::ZipArchive::new(Cursor::new(archive)).expect("reads").len(), 0);
    }
}
