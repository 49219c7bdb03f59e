//! The Google Merchant Center feed: RSS 2.0 with Google's `g:` namespace, written with
//! quick-xml so every text is escaped.

use std::io;

use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{
    Channel, FeedItem, Identifier, Missing, additional_images, channel_price, clean_text, fed_items, identifier,
    present,
};

/// The namespace URI of Google Merchant Center's attributes, bound to the `g:` prefix.
pub(crate) const GOOGLE_NAMESPACE: &str = "http://base.google.com/ns/1.0";

/// The most `g:additional_image_link` elements Google reads for one item.
const MAX_ADDITIONAL_IMAGES: usize = 10;

/// The Google Merchant Center RSS 2.0 document for `items`, under a channel with `title`, `link`
/// and `description`, and the listings left out with what each lacks (one [`Missing`] per
/// attribute, see [`super::missing_attributes`]).
///
/// Every fed item has `g:id`, `g:title`, `g:description`, `g:link`, `g:image_link`, up to 10
/// `g:additional_image_link`, `g:availability`, `g:price` (`45000 VND`), `g:brand`,
/// `g:condition` (`new`), `g:gtin` or else `g:mpn` or else `g:identifier_exists` = `no`, and
/// `g:google_product_category` when known. Control characters XML 1.0 forbids are stripped.
pub fn google_rss(title: &str, link: &str, description: &str, items: &[FeedItem]) -> (String, Vec<Missing>) {
    let (fed, missing) = fed_items(items, Channel::Google);
    // Writing into a `Vec<u8>` cannot fail and only `&str` goes in, so neither fallback is ever
    // taken; they keep a request path free of panics all the same.
    let xml = match write_rss(title, link, description, &fed) {
        Ok(bytes) => String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
        Err(_) => String::new(),
    };
    (xml, missing)
}

fn write_rss(title: &str, link: &str, description: &str, fed: &[&FeedItem]) -> io::Result<Vec<u8>> {
    let mut writer = Writer::new_with_indent(Vec::new(), b' ', 2);
    writer.write_event(Event::Decl(BytesDecl::new("1.0", Some("UTF-8"), None)))?;
    writer
        .create_element("rss")
        .with_attribute(("version", "2.0"))
        .with_attribute(("xmlns:g", GOOGLE_NAMESPACE))
        .write_inner_content(|writer| {
            writer.create_element("channel").write_inner_content(|writer| {
                text_element(writer, "title", title)?;
                text_element(writer, "link", link)?;
                text_element(writer, "description", description)?;
                for item in fed {
                    writer
                        .create_element("item")
                        .write_inner_content(|writer| write_item(writer, item))?;
                }
                Ok(())
            })?;
            Ok(())
        })?;
    Ok(writer.into_inner())
}

/// One item's attributes, in the order Google's spec lists them.
fn write_item(writer: &mut Writer<Vec<u8>>, item: &FeedItem) -> io::Result<()> {
    text_element(writer, "g:id", &item.id)?;
    text_element(writer, "g:title", &item.title)?;
    text_element(
        writer,
        "g:description",
        &present(item.description.as_ref()).unwrap_or_default(),
    )?;
    text_element(writer, "g:link", &item.link)?;
    text_element(
        writer,
        "g:image_link",
        &present(item.image_link.as_ref()).unwrap_or_default(),
    )?;
    for url in additional_images(item, MAX_ADDITIONAL_IMAGES) {
        text_element(writer, "g:additional_image_link", url)?;
    }
    text_element(writer, "g:availability", item.availability.google())?;
    text_element(writer, "g:price", &channel_price(item.price_vnd))?;
    text_element(writer, "g:brand", &item.brand)?;
    text_element(writer, "g:condition", "new")?;
    match identifier(item) {
        Identifier::Gtin(gtin) => text_element(writer, "g:gtin", &gtin)?,
        Identifier::Mpn(mpn) => text_element(writer, "g:mpn", &mpn)?,
        Identifier::None => text_element(writer, "g:identifier_exists", "no")?,
    }
    if let Some(category) = present(item.google_product_category.as_ref()) {
        text_element(writer, "g:google_product_category", &category)?;
    }
    Ok(())
}

/// `<name>text</name>`, the text cleaned of forbidden characters and escaped by quick-xml.
fn text_element(writer: &mut Writer<Vec<u8>>, name: &str, text: &str) -> io::Result<()> {
    let text = clean_text(text);
    writer.create_element(name).write_text_content(BytesText::new(&text))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use quick_xml::escape::unescape;
    use quick_xml::events::Event;
    use quick_xml::name::{Namespace, ResolveResult};
    use quick_xml::reader::NsReader;

    use super::*;
    use crate::feed::test_items::{bare, mango, rice};

    /// An element read back: its namespace URI (if any), local name and unescaped text.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Element {
        namespace: Option<String>,
        name: String,
        text: String,
    }

    /// The feed read back with a namespace-aware reader: the root's attributes, the channel's
    /// own elements, and each item's elements.
    #[derive(Debug, Default)]
    struct Feed {
        root: String,
        root_attributes: BTreeMap<String, String>,
        channel: Vec<Element>,
        items: Vec<Vec<Element>>,
    }

    impl Feed {
        fn channel_text(&self, name: &str) -> &str {
            self.channel
                .iter()
                .find(|e| e.name == name)
                .map(|e| e.text.as_str())
                .expect("channel element")
        }
    }

    fn parse(xml: &str) -> Feed {
        let mut reader = NsReader::from_str(xml);
        let mut feed = Feed::default();
        // Local names of the open elements, and the escaped text since the last start tag.
        let mut path: Vec<String> = Vec::new();
        let mut raw_text = String::new();
        loop {
            let (namespace, event) = reader.read_resolved_event().expect("well-formed XML");
            let namespace = match namespace {
                ResolveResult::Bound(Namespace(uri)) => Some(String::from_utf8(uri.to_vec()).expect("UTF-8")),
                _ => None,
            };
            match event {
                Event::Start(start) => {
                    let name = String::from_utf8(start.local_name().as_ref().to_vec()).expect("UTF-8");
                    if path.is_empty() {
                        feed.root = name.clone();
                        for attribute in start.attributes() {
                            let attribute = attribute.expect("attribute");
                            feed.root_attributes.insert(
                                String::from_utf8(attribute.key.as_ref().to_vec()).expect("UTF-8"),
                                attribute
                                    .decode_and_unescape_value(reader.decoder())
                                    .expect("attribute value")
                                    .into_owned(),
                            );
                        }
                    }
                    if name == "item" {
                        feed.items.push(Vec::new());
                    }
                    path.push(name);
                    raw_text.clear();
                }
                Event::Text(text) => raw_text.push_str(&text.decode().expect("UTF-8")),
                Event::GeneralRef(reference) => {
                    raw_text.push('&');
                    raw_text.push_str(&reference.decode().expect("UTF-8"));
                    raw_text.push(';');
                }
                Event::End(_) => {
                    let name = path.pop().expect("open element");
                    let element = Element {
                        namespace,
                        name,
                        text: unescape(&raw_text).expect("known entities").into_owned(),
                    };
                    match path.last().map(String::as_str) {
                        Some("item") => feed.items.last_mut().expect("open item").push(element),
                        Some("channel") if element.name != "item" => feed.channel.push(element),
                        _ => {}
                    }
                    raw_text.clear();
                }
                Event::Empty(_) => panic!("no empty elements expected"),
                Event::Eof => break,
                _ => {}
            }
        }
        feed
    }

    /// Every value of each `g:` attribute of one item; panics on an element outside Google's
    /// namespace.
    fn attributes(item: &[Element]) -> BTreeMap<String, Vec<String>> {
        let mut map: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for element in item {
            assert_eq!(element.namespace.as_deref(), Some(GOOGLE_NAMESPACE), "{element:?}");
            map.entry(element.name.clone()).or_default().push(element.text.clone());
        }
        map
    }

    fn one<'a>(map: &'a BTreeMap<String, Vec<String>>, name: &str) -> &'a str {
        match map.get(name).map(Vec::as_slice) {
            Some([value]) => value,
            other => panic!("{name}: expected one value, got {other:?}"),
        }
    }

    fn feed_of(items: &[FeedItem]) -> (String, Vec<Missing>) {
        google_rss(
            "Nguồn — HTX Tân Hòa",
            "https://nguon.example/hop-tac-xa/3",
            "Nông sản <có> nguồn gốc",
            items,
        )
    }

    #[test]
    fn every_fed_item_has_every_required_attribute_with_googles_values() {
        let (xml, missing) = feed_of(&[rice(), mango()]);
        assert!(missing.is_empty());
        assert!(xml.starts_with(r#"<?xml version="1.0" encoding="UTF-8"?>"#), "{xml}");
        let feed = parse(&xml);
        assert_eq!(feed.root, "rss");
        assert_eq!(feed.root_attributes.get("version").map(String::as_str), Some("2.0"));
        assert_eq!(
            feed.root_attributes.get("xmlns:g").map(String::as_str),
            Some(GOOGLE_NAMESPACE)
        );
        assert_eq!(feed.channel_text("title"), "Nguồn — HTX Tân Hòa");
        assert_eq!(feed.channel_text("link"), "https://nguon.example/hop-tac-xa/3");
        assert_eq!(feed.channel_text("description"), "Nông sản <có> nguồn gốc");
        assert_eq!(feed.items.len(), 2);

        let required = [
            "id",
            "title",
            "description",
            "link",
            "image_link",
            "availability",
            "price",
            "brand",
            "condition",
        ];
        for (item, source) in feed.items.iter().zip([rice(), mango()]) {
            let map = attributes(item);
            for name in required {
                assert!(!one(&map, name).is_empty(), "{name} of {}", source.id);
            }
            assert_eq!(one(&map, "id"), source.id);
            assert_eq!(one(&map, "title"), source.title);
            assert_eq!(Some(one(&map, "description")), source.description.as_deref());
            assert_eq!(one(&map, "link"), source.link);
            assert_eq!(Some(one(&map, "image_link")), source.image_link.as_deref());
            assert_eq!(one(&map, "brand"), source.brand);
            assert_eq!(one(&map, "condition"), "new");
        }

        let rice_attributes = attributes(&feed.items[0]);
        assert_eq!(one(&rice_attributes, "price"), "45000 VND");
        assert_eq!(one(&rice_attributes, "availability"), "in_stock");
        assert_eq!(one(&rice_attributes, "gtin"), "08935049500018");
        assert!(!rice_attributes.contains_key("mpn"));
        assert!(!rice_attributes.contains_key("identifier_exists"));
        assert_eq!(one(&rice_attributes, "google_product_category"), "2660");
        assert_eq!(
            rice_attributes.get("additional_image_link").map(Vec::as_slice),
            Some(rice().additional_image_links.as_slice())
        );

        let mango_attributes = attributes(&feed.items[1]);
        assert_eq!(one(&mango_attributes, "price"), "1234567 VND");
        assert_eq!(one(&mango_attributes, "availability"), "out_of_stock");
        assert_eq!(one(&mango_attributes, "mpn"), "NGUON-3-18");
        assert!(!mango_attributes.contains_key("gtin"));
        assert!(!mango_attributes.contains_key("google_product_category"));
        assert!(!mango_attributes.contains_key("additional_image_link"));
    }

    #[test]
    fn an_item_without_description_or_photo_is_left_out_and_reported() {
        let (xml, missing) = feed_of(&[bare(), rice()]);
        let feed = parse(&xml);
        assert_eq!(feed.items.len(), 1);
        assert_eq!(one(&attributes(&feed.items[0]), "id"), "NGUON-3-17");
        let reported: Vec<(&str, Channel, &str)> = missing
            .iter()
            .map(|m| (m.id.as_str(), m.channel, m.attribute))
            .collect();
        assert_eq!(
            reported,
            [
                ("NGUON-3-19", Channel::Google, "description"),
                ("NGUON-3-19", Channel::Google, "image_link"),
            ]
        );
    }

    #[test]
    fn markup_quotes_and_vietnamese_round_trip_exactly() {
        let item = FeedItem {
            title: r#"Bưởi <Năm Roi> & "cam" 'sành' ]]> &amp; Đặc sản"#.into(),
            description: Some("Dòng 1 & <2>\nDòng \"3\"\t'4'".into()),
            brand: "HTX <Mỹ> & Hòa".into(),
            ..rice()
        };
        let (xml, missing) = feed_of(std::slice::from_ref(&item));
        assert!(missing.is_empty());
        assert!(!xml.contains("<Năm Roi>"));
        let map = attributes(&parse(&xml).items[0]);
        assert_eq!(one(&map, "title"), item.title);
        assert_eq!(Some(one(&map, "description")), item.description.as_deref());
        assert_eq!(one(&map, "brand"), item.brand);
    }

    #[test]
    fn control_characters_are_stripped_so_the_document_stays_valid_xml() {
        let item = FeedItem {
            title: "Gạo\u{0} ST25\u{1b}\u{8}".into(),
            description: Some("Dòng 1\r\nDòng 2\u{c}\u{7f}".into()),
            ..rice()
        };
        let (xml, missing) = feed_of(&[item]);
        assert!(missing.is_empty());
        let forbidden = |c: char| c.is_control() && !matches!(c, '\n' | '\t' | '\r');
        assert!(!xml.chars().any(forbidden), "{xml:?}");
        let map = attributes(&parse(&xml).items[0]);
        assert_eq!(one(&map, "title"), "Gạo ST25");
        assert_eq!(one(&map, "description"), "Dòng 1\nDòng 2");
    }

    #[test]
    fn an_item_with_neither_gtin_nor_mpn_says_no_identifier_exists() {
        let item = FeedItem {
            gtin: None,
            mpn: None,
            ..rice()
        };
        let (xml, _) = feed_of(&[item]);
        let map = attributes(&parse(&xml).items[0]);
        assert_eq!(one(&map, "identifier_exists"), "no");
        assert!(!map.contains_key("gtin") && !map.contains_key("mpn"));
    }

    #[test]
    fn at_most_ten_additional_photos_and_only_web_urls() {
        let mut links: Vec<String> = (0..14).map(|i| format!("https://nguon.example/anh/{i}.jpg")).collect();
        links.insert(0, "data:image/png;base64,AAAA".into());
        let item = FeedItem {
            additional_image_links: links.clone(),
            ..rice()
        };
        let (xml, _) = feed_of(&[item]);
        let map = attributes(&parse(&xml).items[0]);
        assert_eq!(map.get("additional_image_link").map(Vec::as_slice), Some(&links[1..11]));
    }

    #[test]
    fn an_empty_catalog_is_still_a_valid_channel() {
        let (xml, missing) = feed_of(&[]);
        assert!(missing.is_empty());
        let feed = parse(&xml);
        assert!(feed.items.is_empty());
        assert_eq!(feed.channel_text("title"), "Nguồn — HTX Tân Hòa");
    }
}
