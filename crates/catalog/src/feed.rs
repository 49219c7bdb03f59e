//! One listing as the sales channels see it, what each channel requires, and the channels'
//! formats: Google Merchant Center RSS 2.0 (`g:` namespace), the Meta catalog CSV, and the
//! schema.org `Product` + `Offer` JSON-LD of the public catalog page.
//!
//! Attribute names and enumerated values are the channels' own, in English, as their specs
//! require; the words (titles, descriptions) are the cooperative's.

use serde::Serialize;

mod google;
mod jsonld;
mod meta;

pub use google::google_rss;
pub use jsonld::json_ld;
pub use meta::meta_csv;

/// Whether a listing can be bought now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    /// Active, with at least one whole sale unit in a lot that is not recalled.
    InStock,
    /// Paused, sold out, or every lot recalled.
    OutOfStock,
}

impl Availability {
    /// Google Merchant Center's value: `in_stock` or `out_of_stock`.
    pub fn google(self) -> &'static str {
        match self {
            Self::InStock => "in_stock",
            Self::OutOfStock => "out_of_stock",
        }
    }

    /// Meta catalog's value: `in stock` or `out of stock`.
    pub fn meta(self) -> &'static str {
        match self {
            Self::InStock => "in stock",
            Self::OutOfStock => "out of stock",
        }
    }

    /// schema.org's `ItemAvailability` URL: `https://schema.org/InStock` or
    /// `https://schema.org/OutOfStock`.
    pub fn schema_org(self) -> &'static str {
        match self {
            Self::InStock => "https://schema.org/InStock",
            Self::OutOfStock => "https://schema.org/OutOfStock",
        }
    }
}

/// A sales channel with a feed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// Google Merchant Center (RSS 2.0 with the `g:` namespace).
    Google,
    /// Meta (Facebook/Instagram) catalog, CSV.
    Meta,
}

/// A listing as every channel sees it; built by the server from the store's listing and the
/// site's URLs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedItem {
    /// Stable id across versions, e.g. `NGUON-3-17` (cooperative 3, listing 17). Also the MPN
    /// when there is no GTIN.
    pub id: String,
    /// Title (≤ 150 characters).
    pub title: String,
    /// Description; channels that require one leave the listing out without it.
    pub description: Option<String>,
    /// The listing's page on the cooperative's catalog (price, stock, the trace link).
    pub link: String,
    /// The traceability page of the lot being sold now.
    pub trace_link: String,
    /// The main photo's absolute URL.
    pub image_link: Option<String>,
    /// Further photos' absolute URLs.
    pub additional_image_links: Vec<String>,
    /// In stock or not.
    pub availability: Availability,
    /// Whole sale units available (0 when out of stock).
    pub quantity: u64,
    /// Price per sale unit in đồng.
    pub price_vnd: u64,
    /// The cooperative's name.
    pub brand: String,
    /// GTIN of the sale unit, digits only.
    pub gtin: Option<String>,
    /// Manufacturer part number when there is no GTIN: the listing's stable id.
    pub mpn: Option<String>,
    /// Google product category (id or path), when known.
    pub google_product_category: Option<String>,
}

/// A listing left out of a channel's feed, and the attribute it lacks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    /// The listing's feed id.
    pub id: String,
    /// The channel.
    pub channel: Channel,
    /// The channel's name of the missing attribute, e.g. `description` or `image_link`.
    pub attribute: &'static str,
}

/// The most characters a title may have on Google Merchant Center.
const GOOGLE_MAX_TITLE: usize = 150;
/// The most characters a description may have on Google Merchant Center.
const GOOGLE_MAX_DESCRIPTION: usize = 5000;
/// The most characters a title may have in a Meta catalog.
const META_MAX_TITLE: usize = 200;
/// The most characters a description may have in a Meta catalog.
const META_MAX_DESCRIPTION: usize = 9999;

/// The attributes of `channel` that `item` lacks, in the channel's own names and in the order its
/// spec lists them; empty when the item may be fed.
///
/// Blank text counts as missing, so does a `link` or `image_link` that is not an absolute
/// `http(s)` URL, and a title or description longer than the channel takes (Google: 150 and
/// 5,000 characters; Meta: 200 and 9,999). `availability` and `condition` (always `new`) are never
/// missing; neither is Google's `gtin`/`mpn`, which falls back to `identifier_exists` = `no`.
pub fn missing_attributes(item: &FeedItem, channel: Channel) -> Vec<&'static str> {
    let (max_title, max_description) = match channel {
        Channel::Google => (GOOGLE_MAX_TITLE, GOOGLE_MAX_DESCRIPTION),
        Channel::Meta => (META_MAX_TITLE, META_MAX_DESCRIPTION),
    };
    let id = clean_text(&item.id).is_empty();
    let title = {
        let title = clean_text(&item.title);
        title.is_empty() || title.chars().count() > max_title
    };
    let description = match item.description.as_deref().map(clean_text) {
        Some(text) => text.is_empty() || text.chars().count() > max_description,
        None => true,
    };
    let link = !is_web_url(&item.link);
    let image_link = !item.image_link.as_deref().is_some_and(is_web_url);
    let price = item.price_vnd == 0;
    let brand = clean_text(&item.brand).is_empty();
    let checks: &[(&'static str, bool)] = match channel {
        Channel::Google => &[
            ("id", id),
            ("title", title),
            ("description", description),
            ("link", link),
            ("image_link", image_link),
            ("price", price),
            ("brand", brand),
        ],
        Channel::Meta => &[
            ("id", id),
            ("title", title),
            ("description", description),
            ("price", price),
            ("link", link),
            ("image_link", image_link),
            ("brand", brand),
        ],
    };
    checks
        .iter()
        .filter(|(_, missing)| *missing)
        .map(|(name, _)| *name)
        .collect()
}

/// Splits `items` into those `channel` takes and, for the others, one [`Missing`] per attribute
/// they lack.
fn fed_items(items: &[FeedItem], channel: Channel) -> (Vec<&FeedItem>, Vec<Missing>) {
    let mut fed = Vec::with_capacity(items.len());
    let mut missing = Vec::new();
    for item in items {
        let lacks = missing_attributes(item, channel);
        if lacks.is_empty() {
            fed.push(item);
        } else {
            missing.extend(lacks.into_iter().map(|attribute| Missing {
                id: item.id.clone(),
                channel,
                attribute,
            }));
        }
    }
    (fed, missing)
}

/// `text` trimmed, with line ends as `\n` and without the control characters XML 1.0 forbids
/// (and the C1 controls, which no channel wants): tabs and line feeds stay.
fn clean_text(text: &str) -> String {
    text.trim()
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .chars()
        .filter(|&c| (!c.is_control() || c == '\n' || c == '\t') && c != '\u{fffe}' && c != '\u{ffff}')
        .collect()
}

/// Whether `url` is an absolute `http://` or `https://` URL with something after the scheme and
/// no whitespace or control characters in it.
fn is_web_url(url: &str) -> bool {
    let rest = ["http://", "https://"].iter().find_map(|scheme| {
        url.get(..scheme.len())
            .filter(|head| head.eq_ignore_ascii_case(scheme))
            .map(|_| &url[scheme.len()..])
    });
    rest.is_some_and(|rest| !rest.is_empty() && !url.chars().any(|c| c.is_whitespace() || c.is_control()))
}

/// An optional text value, cleaned; `None` when absent or blank.
fn present(value: Option<&String>) -> Option<String> {
    value.map(|text| clean_text(text)).filter(|text| !text.is_empty())
}

/// How a channel identifies the product: its GTIN, else its MPN, else neither.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Identifier {
    /// The sale unit's GTIN.
    Gtin(String),
    /// The manufacturer part number (our listing id).
    Mpn(String),
    /// Neither: Google's `identifier_exists` = `no`.
    None,
}

fn identifier(item: &FeedItem) -> Identifier {
    if let Some(gtin) = present(item.gtin.as_ref()) {
        Identifier::Gtin(gtin)
    } else if let Some(mpn) = present(item.mpn.as_ref()) {
        Identifier::Mpn(mpn)
    } else {
        Identifier::None
    }
}

/// The item's further photos that are web URLs, at most `max` of them.
fn additional_images(item: &FeedItem, max: usize) -> impl Iterator<Item = &str> {
    item.additional_image_links
        .iter()
        .map(|url| url.trim())
        .filter(|url| is_web_url(url))
        .take(max)
}

/// A price as the channels write it: whole đồng and the ISO 4217 code, `45000 VND`.
fn channel_price(price_vnd: u64) -> String {
    format!("{price_vnd} VND")
}

#[cfg(test)]
pub(crate) mod test_items {
    //! Listings shared by the feed tests.

    use super::{Availability, FeedItem};

    /// A complete listing that every channel takes.
    pub(crate) fn rice() -> FeedItem {
        FeedItem {
            id: "NGUON-3-17".into(),
            title: "Gạo ST25 \"Sóc Trăng\" <5 kg> & quà".into(),
            description: Some(
                "Gạo thơm, dẻo.\nTrồng theo VietGAP, \"không\" thuốc cấm, 100% sạch, <b>ngon</b> & rẻ.".into(),
            ),
            link: "https://nguon.example/hop-tac-xa/3/san-pham/17".into(),
            trace_link: "https://nguon.example/t/01/08935049500018/10/LUA-2025-01".into(),
            image_link: Some("https://nguon.example/anh/abc.jpg".into()),
            additional_image_links: vec![
                "https://nguon.example/anh/def.jpg".into(),
                "https://nguon.example/anh/g,h.jpg".into(),
            ],
            availability: Availability::InStock,
            quantity: 12,
            price_vnd: 45000,
            brand: "HTX Nông nghiệp Tân Hòa".into(),
            gtin: Some("08935049500018".into()),
            mpn: None,
            google_product_category: Some("2660".into()),
        }
    }

    /// A listing without a GTIN, out of stock.
    pub(crate) fn mango() -> FeedItem {
        FeedItem {
            id: "NGUON-3-18".into(),
            title: "Xoài cát Hòa Lộc".into(),
            description: Some("Xoài chín cây.".into()),
            link: "https://nguon.example/hop-tac-xa/3/san-pham/18".into(),
            trace_link: "https://nguon.example/t/NGUON-3-18".into(),
            image_link: Some("https://nguon.example/anh/xoai.jpg".into()),
            additional_image_links: Vec::new(),
            availability: Availability::OutOfStock,
            quantity: 0,
            price_vnd: 1_234_567,
            brand: "HTX Hòa Lộc".into(),
            gtin: None,
            mpn: Some("NGUON-3-18".into()),
            google_product_category: None,
        }
    }

    /// A listing without a description or any photo.
    pub(crate) fn bare() -> FeedItem {
        FeedItem {
            id: "NGUON-3-19".into(),
            title: "Bưởi da xanh".into(),
            description: None,
            image_link: None,
            ..mango()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::test_items::{bare, mango, rice};
    use super::*;

    #[test]
    fn a_complete_listing_lacks_nothing_on_either_channel() {
        for channel in [Channel::Google, Channel::Meta] {
            assert_eq!(missing_attributes(&rice(), channel), Vec::<&str>::new());
            assert_eq!(missing_attributes(&mango(), channel), Vec::<&str>::new());
        }
    }

    #[test]
    fn a_listing_without_description_or_photo_lacks_both_on_each_channel() {
        assert_eq!(
            missing_attributes(&bare(), Channel::Google),
            ["description", "image_link"]
        );
        assert_eq!(
            missing_attributes(&bare(), Channel::Meta),
            ["description", "image_link"]
        );
    }

    #[test]
    fn blank_text_and_non_web_links_count_as_missing() {
        let item = FeedItem {
            id: " ".into(),
            title: "\t\n".into(),
            description: Some("   ".into()),
            link: "javascript:alert(1)".into(),
            image_link: Some("/anh/abc.jpg".into()),
            brand: "\u{7}".into(),
            price_vnd: 0,
            ..rice()
        };
        assert_eq!(
            missing_attributes(&item, Channel::Google),
            ["id", "title", "description", "link", "image_link", "price", "brand"]
        );
        assert_eq!(
            missing_attributes(&item, Channel::Meta),
            ["id", "title", "description", "price", "link", "image_link", "brand"]
        );
        let ftp = FeedItem {
            link: "ftp://nguon.example/x".into(),
            image_link: Some("https://".into()),
            ..rice()
        };
        assert_eq!(missing_attributes(&ftp, Channel::Google), ["link", "image_link"]);
        let upper = FeedItem {
            link: "HTTPS://nguon.example/x".into(),
            ..rice()
        };
        assert!(missing_attributes(&upper, Channel::Google).is_empty());
    }

    #[test]
    fn titles_and_descriptions_are_bounded_by_each_channels_own_limit() {
        let long_title = FeedItem {
            title: "á".repeat(151),
            ..rice()
        };
        assert_eq!(missing_attributes(&long_title, Channel::Google), ["title"]);
        assert!(missing_attributes(&long_title, Channel::Meta).is_empty());
        let longer_title = FeedItem {
            title: "á".repeat(201),
            ..rice()
        };
        assert_eq!(missing_attributes(&longer_title, Channel::Meta), ["title"]);
        let exactly = FeedItem {
            title: "á".repeat(150),
            description: Some("ư".repeat(5000)),
            ..rice()
        };
        assert!(missing_attributes(&exactly, Channel::Google).is_empty());

        let long_description = FeedItem {
            description: Some("ư".repeat(5001)),
            ..rice()
        };
        assert_eq!(missing_attributes(&long_description, Channel::Google), ["description"]);
        assert!(missing_attributes(&long_description, Channel::Meta).is_empty());
        let longer_description = FeedItem {
            description: Some("ư".repeat(10_000)),
            ..rice()
        };
        assert_eq!(missing_attributes(&longer_description, Channel::Meta), ["description"]);
    }

    #[test]
    fn availability_is_spelled_as_each_channel_wants() {
        assert_eq!(Availability::InStock.google(), "in_stock");
        assert_eq!(Availability::OutOfStock.google(), "out_of_stock");
        assert_eq!(Availability::InStock.meta(), "in stock");
        assert_eq!(Availability::OutOfStock.meta(), "out of stock");
        assert_eq!(Availability::InStock.schema_org(), "https://schema.org/InStock");
        assert_eq!(Availability::OutOfStock.schema_org(), "https://schema.org/OutOfStock");
    }

    #[test]
    fn control_characters_are_stripped_but_line_ends_and_tabs_stay() {
        assert_eq!(
            clean_text(" a\u{0}b\u{1b}c\u{85}d\u{ffff}\r\ne\tf\rg "),
            "abcd\ne\tf\ng"
        );
    }

    #[test]
    fn the_gtin_wins_over_the_mpn_and_neither_is_said_so() {
        assert_eq!(identifier(&rice()), Identifier::Gtin("08935049500018".into()));
        assert_eq!(identifier(&mango()), Identifier::Mpn("NGUON-3-18".into()));
        let neither = FeedItem {
            gtin: Some(" ".into()),
            mpn: None,
            ..rice()
        };
        assert_eq!(identifier(&neither), Identifier::None);
    }
}
