//! A listing's fields as a leader types them, parsed once into values that are known good.

use farm_log::{FieldError, Gtin, LotCode, PhotoHash, Quantity, ValidationErrors};
use serde::Deserialize;

/// The most photos a listing shows.
pub const MAX_LISTING_PHOTOS: usize = 8;
/// The most lots one listing sells from.
pub const MAX_LISTING_LOTS: usize = 20;
/// The highest price accepted for one sale unit, in đồng (a sanity bound against a typo).
pub const MAX_PRICE_VND: u64 = 1_000_000_000;

/// Trims `raw`, normalizes line ends to `\n` (browsers send a textarea's lines as `\r\n`),
/// collapses whitespace when `single_line`, then bounds the length; `None` when blank.
fn bounded(raw: &str, max: usize, field: &str, single_line: bool) -> Result<Option<String>, FieldError> {
    // Line ends are kept as `\n` only, so the same text always shows and hashes the same. This
    // comes before the control-character check, which would otherwise refuse every `\r`.
    let normalized = raw.trim().replace("\r\n", "\n").replace('\r', "\n");
    if normalized.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(
            field,
            "control_characters",
            "Có ký tự điều khiển không hợp lệ.",
            "Contains invalid control characters.",
        ));
    }
    let text = if single_line {
        normalized.split_whitespace().collect::<Vec<_>>().join(" ")
    } else {
        normalized
    };
    if text.is_empty() {
        return Ok(None);
    }
    // Counted after normalizing, so what is stored is what is measured.
    let count = text.chars().count();
    if count > max {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("Quá dài: {count} ký tự, tối đa {max} ký tự."),
            format!("Too long: {count} characters, at most {max} allowed."),
        ));
    }
    Ok(Some(text))
}

macro_rules! text_field {
    ($(#[$doc:meta])* $name:ident, $max:expr, $single_line:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The most characters it may have.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw` and bounds it; `None` when blank. `field` names it in errors.
            pub fn parse_optional(raw: &str, field: &str) -> Result<Option<Self>, FieldError> {
                Ok(bounded(raw, Self::MAX_CHARS, field, $single_line)?.map(Self))
            }

            /// Like [`Self::parse_optional`], but blank is an error.
            pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
                Self::parse_optional(raw, field)?.ok_or_else(|| {
                    FieldError::new(field, "required", "Trường này không được để trống.", "This field must not be empty.")
                })
            }

            /// The text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_field!(
    /// A listing's title: one line, at most 150 characters (Google Merchant's limit).
    Title,
    150,
    true
);
text_field!(
    /// A listing's description: at most 5,000 characters (Google Merchant's limit).
    Description,
    5000,
    false
);
text_field!(
    /// A Google product category: its numeric id ("2660") or its path
    /// ("Food, Beverages & Tobacco > Food Items > Grains, Rice & Cereal > Rice").
    Category,
    750,
    true
);

/// `text` without a trailing currency word or sign, in any letter case: `VND`, `VNĐ` (as most
/// Vietnamese write it), `đồng`, `đ` or `₫`.
fn without_currency(text: &str) -> &str {
    const SUFFIXES: [&str; 5] = ["vnđ", "vnd", "đồng", "đ", "₫"];
    let text = text.trim();
    for suffix in SUFFIXES {
        let chars = suffix.chars().count();
        if let Some((start, _)) = text.char_indices().rev().nth(chars - 1)
            && text[start..].to_lowercase() == suffix
        {
            return text[..start].trim_end();
        }
    }
    text
}

/// A price in Vietnamese đồng for one sale unit: a whole number from 1 to 1,000,000,000 (đồng has
/// no smaller unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct PriceVnd(u64);

impl PriceVnd {
    /// Reads `45000`, `45.000`, `45,000`, `45 000`, `45.000 đ`, `45000₫`, `45.000 VND` or
    /// `45.000 VNĐ`.
    /// Separators must group thousands; a decimal part is refused (đồng are whole).
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        let number = without_currency(text);
        let bad = || {
            FieldError::new(
                field,
                "invalid_price",
                format!(
                    "Giá \"{}\" không hợp lệ: nhập số đồng nguyên, ví dụ 45000 hoặc 45.000.",
                    text.chars().take(40).collect::<String>()
                ),
                format!(
                    "Price \"{}\" is invalid: give whole đồng, e.g. 45000 or 45.000.",
                    text.chars().take(40).collect::<String>()
                ),
            )
        };
        if number.is_empty() {
            return Err(FieldError::new(
                field,
                "required",
                "Hãy nhập giá bán (đồng).",
                "Enter the price in đồng.",
            ));
        }
        let groups: Vec<&str> = number.split(['.', ',', ' ', '\u{a0}']).collect();
        if groups
            .iter()
            .any(|g| g.is_empty() || !g.chars().all(|c| c.is_ascii_digit()))
        {
            return Err(bad());
        }
        if groups.len() > 1 && (groups[0].len() > 3 || groups[1..].iter().any(|g| g.len() != 3)) {
            return Err(bad());
        }
        let digits: String = groups.concat();
        let value: u64 = digits.parse().map_err(|_| bad())?;
        if value == 0 || value > MAX_PRICE_VND {
            return Err(FieldError::new(
                field,
                "price_out_of_range",
                "Giá phải từ 1 đồng đến 1.000.000.000 đồng.",
                "The price must be between 1 and 1,000,000,000 đồng.",
            ));
        }
        Ok(Self(value))
    }

    /// A price known to be in range (stored values).
    pub fn new(value: u64) -> Option<Self> {
        (1..=MAX_PRICE_VND).contains(&value).then_some(Self(value))
    }

    /// The amount in đồng.
    pub fn get(self) -> u64 {
        self.0
    }
}

/// `45000` → `45.000 ₫`, as Vietnamese shops write prices.
pub fn format_vnd(value: u64) -> String {
    let digits = value.to_string();
    let mut out = String::with_capacity(digits.len() + 6);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out.push_str(" ₫");
    out
}

/// Where a listing stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ListingStatus {
    /// On sale: in the catalog and the feeds.
    Active,
    /// Taken off sale for now: shown and fed as out of stock.
    Paused,
    /// Gone: in no catalog or feed; kept with its history.
    Archived,
}

impl ListingStatus {
    /// The stored and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Paused => "paused",
            Self::Archived => "archived",
        }
    }

    /// Reads a stored or typed name; `field` names it in errors.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "active" => Ok(Self::Active),
            "paused" => Ok(Self::Paused),
            "archived" => Ok(Self::Archived),
            other => Err(FieldError::new(
                field,
                "invalid_status",
                format!(
                    "Trạng thái \"{}\" không hợp lệ: dùng active, paused hoặc archived.",
                    other.chars().take(40).collect::<String>()
                ),
                format!(
                    "Status \"{}\" is invalid: use active, paused or archived.",
                    other.chars().take(40).collect::<String>()
                ),
            )),
        }
    }

    /// How a leader reads it.
    pub fn name_vi(self) -> &'static str {
        match self {
            Self::Active => "Đang bán",
            Self::Paused => "Tạm ngừng",
            Self::Archived => "Đã lưu trữ",
        }
    }
}

/// What a leader sends for a new listing or a new version of one, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ListingInput {
    /// Title in Vietnamese (required).
    pub title_vi: String,
    /// Title in English (optional).
    pub title_en: String,
    /// Description in Vietnamese.
    pub description_vi: String,
    /// Description in English.
    pub description_en: String,
    /// Price per sale unit in đồng, as typed.
    pub price_vnd: String,
    /// What one sale unit holds, e.g. `5 kg`.
    pub pack_size: String,
    /// GTIN of the sale unit, when it has one.
    pub gtin: String,
    /// Google product category (id or path).
    pub category: String,
    /// Photos by their blake3 hashes (uploaded first).
    pub photos: Vec<String>,
    /// The packed lots it sells, by code, in the order they are sold from.
    pub lots: Vec<String>,
}

/// The value, or `None` with the error kept in `errors`. A function, not a closure: a closure's
/// argument type is fixed by its first call, and the fields have different types.
fn take<T>(errors: &mut ValidationErrors, result: Result<T, FieldError>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(e) => {
            errors.push(e);
            None
        }
    }
}

/// A listing's fields, parsed: everything a version of a listing holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListingFields {
    /// Title in Vietnamese.
    pub title_vi: Title,
    /// Title in English.
    pub title_en: Option<Title>,
    /// Description in Vietnamese.
    pub description_vi: Option<Description>,
    /// Description in English.
    pub description_en: Option<Description>,
    /// Price per sale unit.
    pub price: PriceVnd,
    /// What one sale unit holds.
    pub pack_size: Quantity,
    /// GTIN of the sale unit.
    pub gtin: Option<Gtin>,
    /// Google product category.
    pub category: Option<Category>,
    /// Photos, first is the main one.
    pub photos: Vec<PhotoHash>,
    /// Lots it sells from, in order, no repeats.
    pub lots: Vec<LotCode>,
}

impl ListingFields {
    /// Parses every field and reports every problem, each naming its field (`lots[1]`,
    /// `photos[0]` for list entries).
    pub fn parse(input: &ListingInput) -> Result<Self, ValidationErrors> {
        let mut errors = ValidationErrors::default();
        let title_vi = take(&mut errors, Title::parse(&input.title_vi, "title_vi"));
        let title_en = take(&mut errors, Title::parse_optional(&input.title_en, "title_en"));
        let description_vi = take(
            &mut errors,
            Description::parse_optional(&input.description_vi, "description_vi"),
        );
        let description_en = take(
            &mut errors,
            Description::parse_optional(&input.description_en, "description_en"),
        );
        let price = take(&mut errors, PriceVnd::parse(&input.price_vnd, "price_vnd"));
        let pack_size = take(
            &mut errors,
            if input.pack_size.trim().is_empty() {
                Err(FieldError::new(
                    "pack_size",
                    "required",
                    "Hãy nhập quy cách một đơn vị bán, ví dụ 5 kg hoặc 1 trái.",
                    "Enter what one sale unit holds, e.g. 5 kg or 1 pcs.",
                ))
            } else {
                Quantity::parse(&input.pack_size, None, "pack_size")
            },
        );
        let gtin = take(
            &mut errors,
            match input.gtin.trim() {
                "" => Ok(None),
                raw => Gtin::parse(raw, "gtin").map(Some),
            },
        );
        let category = take(&mut errors, Category::parse_optional(&input.category, "category"));
        let mut photos = Vec::new();
        if input.photos.len() > MAX_LISTING_PHOTOS {
            errors.push(FieldError::new(
                "photos",
                "too_many_photos",
                format!("Tối đa {MAX_LISTING_PHOTOS} ảnh cho một sản phẩm."),
                format!("At most {MAX_LISTING_PHOTOS} photos per listing."),
            ));
        } else {
            for (i, raw) in input.photos.iter().enumerate() {
                if let Some(hash) = take(&mut errors, PhotoHash::parse(raw, &format!("photos[{i}]")))
                    && !photos.contains(&hash)
                {
                    photos.push(hash);
                }
            }
        }
        let mut lots: Vec<LotCode> = Vec::new();
        // Blank entries (an unused select in the form) are skipped, but errors keep naming the
        // entry by its index in the input, so the form can point at the right one.
        let codes: Vec<(usize, &String)> = input
            .lots
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.trim().is_empty())
            .collect();
        if codes.is_empty() {
            errors.push(FieldError::new(
                "lots",
                "required",
                "Hãy chọn ít nhất một lô đã đóng gói để bán.",
                "Choose at least one packed lot to sell from.",
            ));
        } else if codes.len() > MAX_LISTING_LOTS {
            errors.push(FieldError::new(
                "lots",
                "too_many_lots",
                format!("Tối đa {MAX_LISTING_LOTS} lô cho một sản phẩm."),
                format!("At most {MAX_LISTING_LOTS} lots per listing."),
            ));
        } else {
            for (i, raw) in codes {
                if let Some(code) = take(&mut errors, LotCode::parse(raw, &format!("lots[{i}]")))
                    && !lots.contains(&code)
                {
                    lots.push(code);
                }
            }
        }
        match (title_vi, price, pack_size) {
            (Some(title_vi), Some(price), Some(pack_size)) if errors.0.is_empty() => Ok(Self {
                title_vi,
                title_en: title_en.flatten(),
                description_vi: description_vi.flatten(),
                description_en: description_en.flatten(),
                price,
                pack_size,
                gtin: gtin.flatten(),
                category: category.flatten(),
                photos,
                lots,
            }),
            // Every `None` above came with an error, so `errors` is not empty here.
            _ => Err(errors),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn price(raw: &str) -> Result<u64, &'static str> {
        PriceVnd::parse(raw, "price_vnd").map(PriceVnd::get).map_err(|e| e.code)
    }

    fn fields_with_errors(input: &ListingInput) -> Vec<String> {
        match ListingFields::parse(input) {
            Ok(fields) => panic!("expected errors, parsed {fields:?}"),
            Err(errors) => errors.0.into_iter().map(|e| e.field).collect(),
        }
    }

    fn good_input() -> ListingInput {
        ListingInput {
            title_vi: "Gạo ST25".into(),
            price_vnd: "45.000 đ".into(),
            pack_size: "5 kg".into(),
            lots: vec!["LUA-2025-01".into()],
            ..ListingInput::default()
        }
    }

    #[test]
    fn prices_are_read_the_ways_vietnamese_shops_write_them() {
        for (raw, expected) in [
            ("45000", 45_000),
            ("45.000", 45_000),
            ("45,000", 45_000),
            ("45 000 đ", 45_000),
            ("45.000₫", 45_000),
            ("45000đ", 45_000),
            ("45.000 VND", 45_000),
            ("45.000 VNĐ", 45_000),
            ("45.000 vnđ", 45_000),
            ("45.000 đồng", 45_000),
            (" 1.234.567 VND ", 1_234_567),
            ("1.000.000.000", 1_000_000_000),
            ("1", 1),
        ] {
            assert_eq!(price(raw), Ok(expected), "{raw:?}");
        }
    }

    #[test]
    fn decimals_misplaced_separators_zero_negatives_words_and_huge_prices_are_refused() {
        for raw in [
            "45.5", "4,50", "45.00", "4.5000", "1234.567", "45..000", "abc", "-5", "45 VNDD",
        ] {
            assert_eq!(price(raw), Err("invalid_price"), "{raw:?}");
        }
        for raw in ["0", "0đ", "2.000.000.000", "1.000.000.001"] {
            assert_eq!(price(raw), Err("price_out_of_range"), "{raw:?}");
        }
        for raw in ["", "   ", "VND", "đ"] {
            assert_eq!(price(raw), Err("required"), "{raw:?}");
        }
    }

    #[test]
    fn format_vnd_groups_thousands_with_dots() {
        assert_eq!(format_vnd(45_000), "45.000 ₫");
        assert_eq!(format_vnd(1_234_567), "1.234.567 ₫");
        assert_eq!(format_vnd(999), "999 ₫");
        assert_eq!(format_vnd(1_000), "1.000 ₫");
    }

    #[test]
    fn an_empty_listing_reports_every_required_field_at_once() {
        let fields = fields_with_errors(&ListingInput::default());
        assert_eq!(fields, ["title_vi", "price_vnd", "pack_size", "lots"]);
    }

    #[test]
    fn a_good_listing_parses() {
        let fields = ListingFields::parse(&good_input()).expect("valid listing");
        assert_eq!(fields.title_vi.as_str(), "Gạo ST25");
        assert_eq!(fields.price.get(), 45_000);
        assert_eq!(fields.lots.len(), 1);
        assert_eq!(fields.description_vi, None);
    }

    #[test]
    fn a_description_typed_in_a_browser_textarea_keeps_its_lines() {
        // Browsers send a textarea's line ends as CR LF.
        let input = ListingInput {
            description_vi: "Dòng một\r\nDòng hai\rDòng ba\n".into(),
            ..good_input()
        };
        let fields = ListingFields::parse(&input).expect("valid listing");
        let description = fields.description_vi.expect("description");
        assert_eq!(description.as_str(), "Dòng một\nDòng hai\nDòng ba");
    }

    #[test]
    fn other_control_characters_are_refused_naming_the_field() {
        let input = ListingInput {
            title_en: "Rice\u{0}".into(),
            description_en: "Bell\u{7}".into(),
            ..good_input()
        };
        assert_eq!(fields_with_errors(&input), ["title_en", "description_en"]);
    }

    #[test]
    fn titles_are_one_line_and_measured_after_collapsing_spaces() {
        let title = Title::parse("  Gạo \n ST25\t 5 kg ", "title_vi").expect("title");
        assert_eq!(title.as_str(), "Gạo ST25 5 kg");
        let spaced = format!("{}  {}", "á".repeat(100), "â".repeat(49));
        assert_eq!(
            Title::parse(&spaced, "title_vi").map(|t| t.as_str().chars().count()),
            Ok(150)
        );
        let long = "á".repeat(151);
        assert_eq!(Title::parse(&long, "title_vi").map_err(|e| e.code), Err("too_long"));
    }

    #[test]
    fn list_entries_are_named_by_index_and_repeats_are_dropped() {
        let input = ListingInput {
            lots: vec!["LUA-1".into(), "bad code!".into(), "LUA-1".into()],
            photos: vec!["zz".into()],
            ..good_input()
        };
        assert_eq!(fields_with_errors(&input), ["photos[0]", "lots[1]"]);
        let input = ListingInput {
            lots: vec![" ".into(), "LUA-1".into(), "bad code!".into()],
            ..good_input()
        };
        assert_eq!(fields_with_errors(&input), ["lots[2]"]);
        let input = ListingInput {
            lots: vec!["LUA-1".into(), " ".into(), "LUA-1".into(), "LUA-2".into()],
            photos: vec!["ab".repeat(32), "AB".repeat(32)],
            ..good_input()
        };
        let fields = ListingFields::parse(&input).expect("valid listing");
        assert_eq!(fields.lots.len(), 2);
        assert_eq!(fields.photos.len(), 1);
    }

    #[test]
    fn too_many_photos_or_lots_are_refused() {
        let input = ListingInput {
            photos: vec!["ab".repeat(32); MAX_LISTING_PHOTOS + 1],
            lots: (0..=MAX_LISTING_LOTS).map(|i| format!("LOT-{i}")).collect(),
            ..good_input()
        };
        assert_eq!(fields_with_errors(&input), ["photos", "lots"]);
    }

    proptest! {
        #[test]
        fn every_price_in_range_reads_back_from_its_shop_format(value in 1u64..=MAX_PRICE_VND) {
            let shown = format_vnd(value);
            prop_assert_eq!(price(&shown), Ok(value));
            prop_assert_eq!(price(&value.to_string()), Ok(value));
        }
    }
}
