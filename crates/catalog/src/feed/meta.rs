//! The Meta (Facebook/Instagram) catalog feed: UTF-8 CSV without a byte-order mark, one header
//! row with Meta's field names, written with the `csv` crate so every cell is quoted as needed.

use super::{
    Channel, FeedItem, Identifier, Missing, additional_images, channel_price, clean_text, fed_items, identifier,
    present,
};

/// The header row: Meta's field names, required ones first.
const HEADER: [&str; 14] = [
    "id",
    "title",
    "description",
    "availability",
    "condition",
    "price",
    "link",
    "image_link",
    "brand",
    "gtin",
    "mpn",
    "additional_image_link",
    "google_product_category",
    "quantity_to_sell_on_facebook",
];

/// The most further photos Meta reads for one item.
const MAX_ADDITIONAL_IMAGES: usize = 20;

/// The Meta catalog CSV for `items` and the listings left out with what each lacks (one
/// [`Missing`] per attribute, see [`super::missing_attributes`]).
///
/// Columns as in the header row (`id,title,description,availability,condition,price,link,
/// image_link,brand,gtin,mpn,additional_image_link,google_product_category,
/// quantity_to_sell_on_facebook`): availability `in stock`/`out of stock`, condition `new`, price
/// `45000 VND`, `gtin` or else `mpn`, up to 20 further photos comma-separated in one cell, and
/// empty cells for absent optional values.
pub fn meta_csv(items: &[FeedItem]) -> (Vec<u8>, Vec<Missing>) {
    let (fed, missing) = fed_items(items, Channel::Meta);
    // Writing into a `Vec<u8>` with rows of one length cannot fail; the fallback keeps a
    // request path free of panics all the same.
    (write_csv(&fed).unwrap_or_default(), missing)
}

fn write_csv(fed: &[&FeedItem]) -> csv::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(HEADER)?;
    for item in fed {
        writer.write_record(row(item))?;
    }
    writer.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// A cell a leader typed, safe to open in a spreadsheet: one that starts with `=`, `+`, `-`, `@`
/// (or a tab or carriage return, which some spreadsheets skip before looking) gets a leading
/// space. A spreadsheet then reads it as text rather than a formula, and Meta, which trims
/// the space, shows it as typed. (The apostrophe spreadsheets use would show on Facebook.)
fn defuse(cell: String) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!(" {cell}")
    } else {
        cell
    }
}

/// One item's cells, in the header's order.
fn row(item: &FeedItem) -> [String; HEADER.len()] {
    let (gtin, mpn) = match identifier(item) {
        Identifier::Gtin(gtin) => (gtin, String::new()),
        Identifier::Mpn(mpn) => (String::new(), mpn),
        Identifier::None => (String::new(), String::new()),
    };
    // Meta splits this cell at commas, so a comma inside one URL is percent-encoded.
    let additional_image_link = additional_images(item, MAX_ADDITIONAL_IMAGES)
        .map(|url| url.replace(',', "%2C"))
        .collect::<Vec<_>>()
        .join(",");
    [
        clean_text(&item.id),
        defuse(clean_text(&item.title)),
        defuse(present(item.description.as_ref()).unwrap_or_default()),
        item.availability.meta().to_owned(),
        "new".to_owned(),
        channel_price(item.price_vnd),
        clean_text(&item.link),
        present(item.image_link.as_ref()).unwrap_or_default(),
        defuse(clean_text(&item.brand)),
        gtin,
        mpn,
        additional_image_link,
        present(item.google_product_category.as_ref()).unwrap_or_default(),
        item.quantity.to_string(),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::feed::test_items::{bare, mango, rice};

    /// The CSV read back with `csv::Reader`: the header and each row keyed by it.
    fn parse(bytes: &[u8]) -> (Vec<String>, Vec<BTreeMap<String, String>>) {
        let mut reader = csv::Reader::from_reader(bytes);
        let header: Vec<String> = reader
            .headers()
            .expect("header row")
            .iter()
            .map(str::to_owned)
            .collect();
        let rows = reader
            .records()
            .map(|record| {
                let record = record.expect("well-formed row");
                header.iter().cloned().zip(record.iter().map(str::to_owned)).collect()
            })
            .collect();
        (header, rows)
    }

    #[test]
    fn the_header_is_metas_field_names_and_there_is_no_byte_order_mark() {
        let (bytes, _) = meta_csv(&[]);
        assert!(bytes.starts_with(b"id,title,description,"));
        let (header, rows) = parse(&bytes);
        assert_eq!(header, HEADER);
        assert!(rows.is_empty());
    }

    #[test]
    fn every_fed_item_has_metas_values() {
        let (bytes, missing) = meta_csv(&[rice(), mango()]);
        assert!(missing.is_empty());
        let (_, rows) = parse(&bytes);
        assert_eq!(rows.len(), 2);
        let (rice_row, mango_row) = (&rows[0], &rows[1]);
        let item = rice();
        assert_eq!(rice_row["id"], item.id);
        assert_eq!(rice_row["title"], item.title);
        assert_eq!(Some(rice_row["description"].as_str()), item.description.as_deref());
        assert_eq!(rice_row["availability"], "in stock");
        assert_eq!(rice_row["condition"], "new");
        assert_eq!(rice_row["price"], "45000 VND");
        assert_eq!(rice_row["link"], item.link);
        assert_eq!(Some(rice_row["image_link"].as_str()), item.image_link.as_deref());
        assert_eq!(rice_row["brand"], item.brand);
        assert_eq!(rice_row["gtin"], "08935049500018");
        assert_eq!(rice_row["mpn"], "");
        assert_eq!(
            rice_row["additional_image_link"],
            "https://nguon.example/anh/def.jpg,https://nguon.example/anh/g%2Ch.jpg"
        );
        assert_eq!(rice_row["google_product_category"], "2660");
        assert_eq!(rice_row["quantity_to_sell_on_facebook"], "12");

        assert_eq!(mango_row["availability"], "out of stock");
        assert_eq!(mango_row["price"], "1234567 VND");
        assert_eq!(mango_row["gtin"], "");
        assert_eq!(mango_row["mpn"], "NGUON-3-18");
        assert_eq!(mango_row["additional_image_link"], "");
        assert_eq!(mango_row["google_product_category"], "");
        assert_eq!(mango_row["quantity_to_sell_on_facebook"], "0");
    }

    #[test]
    fn an_item_without_description_or_photo_is_left_out_and_reported() {
        let (bytes, missing) = meta_csv(&[rice(), bare()]);
        let (_, rows) = parse(&bytes);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["id"], "NGUON-3-17");
        let reported: Vec<(&str, Channel, &str)> = missing
            .iter()
            .map(|m| (m.id.as_str(), m.channel, m.attribute))
            .collect();
        assert_eq!(
            reported,
            [
                ("NGUON-3-19", Channel::Meta, "description"),
                ("NGUON-3-19", Channel::Meta, "image_link")
            ]
        );
    }

    #[test]
    fn a_description_with_commas_quotes_and_newlines_round_trips() {
        let item = FeedItem {
            title: r#"Gạo "ST25", 5 kg; <loại 1> & ngon"#.into(),
            description: Some(
                "Hạt dài, trắng, \"dẻo\".\nNấu: 1 chén gạo, 1,2 chén nước.\n\n'Không' chất bảo quản".into(),
            ),
            ..rice()
        };
        let (bytes, missing) = meta_csv(std::slice::from_ref(&item));
        assert!(missing.is_empty());
        let (_, rows) = parse(&bytes);
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0]["title"], item.title);
        assert_eq!(Some(rows[0]["description"].as_str()), item.description.as_deref());
    }

    #[test]
    fn cells_that_would_start_a_formula_are_read_as_text() {
        for typed in ["=HYPERLINK(\"http://x\")", "+84 bưởi", "-50% gạo", "@SUM(A1)"] {
            let mut item = rice();
            item.title = typed.to_owned();
            item.description = Some(typed.to_owned());
            let (bytes, _) = meta_csv(&[item]);
            let (_, rows) = parse(&bytes);
            assert_eq!(rows[0]["title"], format!(" {typed}"), "{typed}");
            assert_eq!(rows[0]["description"], format!(" {typed}"), "{typed}");
        }
        let (bytes, _) = meta_csv(&[rice()]);
        let (_, rows) = parse(&bytes);
        assert!(!rows[0]["title"].starts_with(' '), "ordinary text is left alone");
    }

    #[test]
    fn at_most_twenty_additional_photos() {
        let links: Vec<String> = (0..25).map(|i| format!("https://nguon.example/anh/{i}.jpg")).collect();
        let item = FeedItem {
            additional_image_links: links.clone(),
            ..rice()
        };
        let (bytes, _) = meta_csv(&[item]);
        let (_, rows) = parse(&bytes);
        assert_eq!(rows[0]["additional_image_link"], links[..20].join(","));
    }
}
