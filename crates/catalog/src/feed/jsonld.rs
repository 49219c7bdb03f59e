//! The schema.org JSON-LD of the public catalog page: one `Product` with its `Offer` per listing,
//! safe to embed in `<script type="application/ld+json">`.

use serde::Serialize;

use super::{FeedItem, Identifier, clean_text, identifier, is_web_url, present};

/// The JSON-LD document: a graph of products.
#[derive(Serialize)]
struct Graph {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@graph")]
    graph: Vec<Product>,
}

/// A schema.org `Product`.
#[derive(Serialize)]
struct Product {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    image: Vec<String>,
    sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    gtin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    mpn: Option<String>,
    brand: Brand,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    offers: Offer,
    #[serde(rename = "subjectOf", skip_serializing_if = "Option::is_none")]
    subject_of: Option<WebPage>,
}

/// A schema.org `Brand`.
#[derive(Serialize)]
struct Brand {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: String,
}

/// A schema.org `Offer`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Offer {
    #[serde(rename = "@type")]
    kind: &'static str,
    price: String,
    price_currency: &'static str,
    availability: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    item_condition: &'static str,
}

/// A schema.org `WebPage`: the lot's traceability page.
#[derive(Serialize)]
struct WebPage {
    #[serde(rename = "@type")]
    kind: &'static str,
    name: &'static str,
    url: String,
}

/// The schema.org JSON-LD for `items`: `{"@context":"https://schema.org","@graph":[…]}` with one
/// `Product` per item (all of them: nothing is filtered), each with `name`, `description` and
/// `image` when present, `sku` (the id), `gtin` or else `mpn`, `brand`, `url`, an `Offer` (price
/// as a string of whole đồng, `VND`, availability, new condition) and the traceability page as
/// `subjectOf`.
///
/// `<`, `>` and `&` are written as `\u003c`, `\u003e` and `\u0026` (and U+2028/U+2029 escaped
/// too), so the text is still JSON but can never close the `<script>` element it is embedded in.
pub fn json_ld(items: &[FeedItem]) -> String {
    let graph = Graph {
        context: "https://schema.org",
        graph: items.iter().map(product).collect(),
    };
    // Serializing these plain structs to a string cannot fail; the fallback is an empty graph.
    let json = serde_json::to_string(&graph)
        .unwrap_or_else(|_| String::from(r#"{"@context":"https://schema.org","@graph":[]}"#));
    escape_for_script(&json)
}

fn product(item: &FeedItem) -> Product {
    let url = web_url(&item.link);
    let image = item
        .image_link
        .iter()
        .chain(&item.additional_image_links)
        .filter_map(|url| web_url(url))
        .collect();
    let (gtin, mpn) = match identifier(item) {
        Identifier::Gtin(gtin) => (Some(gtin), None),
        Identifier::Mpn(mpn) => (None, Some(mpn)),
        Identifier::None => (None, None),
    };
    Product {
        kind: "Product",
        name: clean_text(&item.title),
        description: present(item.description.as_ref()),
        image,
        sku: clean_text(&item.id),
        gtin,
        mpn,
        brand: Brand {
            kind: "Brand",
            name: clean_text(&item.brand),
        },
        url: url.clone(),
        offers: Offer {
            kind: "Offer",
            price: item.price_vnd.to_string(),
            price_currency: "VND",
            availability: item.availability.schema_org(),
            url,
            item_condition: "https://schema.org/NewCondition",
        },
        subject_of: web_url(&item.trace_link).map(|url| WebPage {
            kind: "WebPage",
            name: "Nguồn gốc",
            url,
        }),
    }
}

/// `url` trimmed when it is an absolute `http(s)` URL.
fn web_url(url: &str) -> Option<String> {
    let url = url.trim();
    is_web_url(url).then(|| url.to_owned())
}

/// JSON text that cannot end a `<script>` element or open a comment in it. These characters can
/// only stand inside JSON strings, where the `\uXXXX` escapes mean the same.
fn escape_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;
    use crate::feed::test_items::{bare, mango, rice};

    fn parse(text: &str) -> Value {
        serde_json::from_str(text).expect("valid JSON")
    }

    #[test]
    fn every_item_is_a_product_with_an_offer() {
        let value = parse(&json_ld(&[rice(), mango(), bare()]));
        assert_eq!(value["@context"], "https://schema.org");
        let graph = value["@graph"].as_array().expect("graph");
        assert_eq!(graph.len(), 3, "JSON-LD leaves no listing out");

        let product = &graph[0];
        assert_eq!(product["@type"], "Product");
        assert_eq!(product["name"], rice().title);
        assert_eq!(product["description"], rice().description.expect("description"));
        assert_eq!(
            product["image"],
            json!([
                "https://nguon.example/anh/abc.jpg",
                "https://nguon.example/anh/def.jpg",
                "https://nguon.example/anh/g,h.jpg"
            ])
        );
        assert_eq!(product["sku"], "NGUON-3-17");
        assert_eq!(product["gtin"], "08935049500018");
        assert!(product.get("mpn").is_none());
        assert_eq!(
            product["brand"],
            json!({"@type": "Brand", "name": "HTX Nông nghiệp Tân Hòa"})
        );
        assert_eq!(product["url"], rice().link);
        assert_eq!(
            product["offers"],
            json!({
                "@type": "Offer",
                "price": "45000",
                "priceCurrency": "VND",
                "availability": "https://schema.org/InStock",
                "url": rice().link,
                "itemCondition": "https://schema.org/NewCondition",
            })
        );
        assert_eq!(
            product["subjectOf"],
            json!({"@type": "WebPage", "name": "Nguồn gốc", "url": rice().trace_link})
        );

        let mango_product = &graph[1];
        assert_eq!(mango_product["offers"]["price"], "1234567");
        assert_eq!(mango_product["offers"]["availability"], "https://schema.org/OutOfStock");
        assert_eq!(mango_product["mpn"], "NGUON-3-18");
        assert!(mango_product.get("gtin").is_none());

        let bare_product = &graph[2];
        assert!(bare_product.get("description").is_none());
        assert!(bare_product.get("image").is_none());
        assert_eq!(bare_product["offers"]["priceCurrency"], "VND");
    }

    #[test]
    fn a_title_with_a_closing_script_tag_cannot_break_out_of_the_script_element() {
        let item = FeedItem {
            title: "Gạo</script><script>alert('x')</script> & <!-- Đặc sản".into(),
            description: Some("</SCRIPT>".into()),
            ..rice()
        };
        let text = json_ld(std::slice::from_ref(&item));
        assert!(
            !text.contains('<') && !text.contains('>') && !text.contains('&'),
            "{text}"
        );
        assert!(!text.to_lowercase().contains("</script"));
        let value = parse(&text);
        assert_eq!(value["@graph"][0]["name"], item.title);
        assert_eq!(value["@graph"][0]["description"], "</SCRIPT>");
    }

    #[test]
    fn an_empty_catalog_is_an_empty_graph() {
        assert_eq!(
            parse(&json_ld(&[])),
            json!({"@context": "https://schema.org", "@graph": []})
        );
    }
}
