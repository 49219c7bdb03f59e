//! Quantities with UN/ECE Recommendation 20 unit codes, Vietnamese display names and the
//! conversions that make sense (mass to mass, volume to volume, area to area).

use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::FieldError;
use crate::model::Region;

/// What a unit measures; quantities only convert within one dimension.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dimension {
    /// Mass, base unit kilogram.
    Mass,
    /// Volume, base unit litre.
    Volume,
    /// Area, base unit square metre.
    Area,
    /// Countable pieces (bags, fruits, boxes).
    Count,
}

/// A unit by its UN/ECE Rec 20 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Unit {
    /// Gram (GRM).
    Gram,
    /// Kilogram (KGM).
    Kilogram,
    /// Decitonne (DTN), the Vietnamese "tạ" of 100 kg.
    Decitonne,
    /// Tonne (TNE), "tấn".
    Tonne,
    /// Millilitre (MLT).
    Millilitre,
    /// Litre (LTR).
    Litre,
    /// Square metre (MTK).
    SquareMetre,
    /// Decare (DAA), 1,000 m²: the "công" of the South.
    Decare,
    /// Hectare (HAR).
    Hectare,
    /// Piece (H87): bags, fruits, boxes.
    Piece,
}

impl Unit {
    /// Every unit, for listings and property tests.
    pub const ALL: [Unit; 10] = [
        Unit::Gram,
        Unit::Kilogram,
        Unit::Decitonne,
        Unit::Tonne,
        Unit::Millilitre,
        Unit::Litre,
        Unit::SquareMetre,
        Unit::Decare,
        Unit::Hectare,
        Unit::Piece,
    ];

    /// The Rec 20 code, e.g. `KGM`.
    pub fn code(self) -> &'static str {
        match self {
            Unit::Gram => "GRM",
            Unit::Kilogram => "KGM",
            Unit::Decitonne => "DTN",
            Unit::Tonne => "TNE",
            Unit::Millilitre => "MLT",
            Unit::Litre => "LTR",
            Unit::SquareMetre => "MTK",
            Unit::Decare => "DAA",
            Unit::Hectare => "HAR",
            Unit::Piece => "H87",
        }
    }

    /// The short name Vietnamese users write, e.g. `kg`, `tạ`, `m²`.
    pub fn name_vi(self) -> &'static str {
        match self {
            Unit::Gram => "g",
            Unit::Kilogram => "kg",
            Unit::Decitonne => "tạ",
            Unit::Tonne => "tấn",
            Unit::Millilitre => "ml",
            Unit::Litre => "lít",
            Unit::SquareMetre => "m²",
            Unit::Decare => "công (1.000 m²)",
            Unit::Hectare => "ha",
            Unit::Piece => "cái",
        }
    }

    /// The English short name.
    pub fn name_en(self) -> &'static str {
        match self {
            Unit::Gram => "g",
            Unit::Kilogram => "kg",
            Unit::Decitonne => "quintal (100 kg)",
            Unit::Tonne => "t",
            Unit::Millilitre => "ml",
            Unit::Litre => "L",
            Unit::SquareMetre => "m²",
            Unit::Decare => "decare (1,000 m²)",
            Unit::Hectare => "ha",
            Unit::Piece => "pcs",
        }
    }

    /// What the unit measures.
    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Gram | Unit::Kilogram | Unit::Decitonne | Unit::Tonne => Dimension::Mass,
            Unit::Millilitre | Unit::Litre => Dimension::Volume,
            Unit::SquareMetre | Unit::Decare | Unit::Hectare => Dimension::Area,
            Unit::Piece => Dimension::Count,
        }
    }

    /// How many base units (kg, L, m², piece) one of this unit is.
    pub fn base_factor(self) -> Decimal {
        match self {
            Unit::Gram | Unit::Millilitre => Decimal::new(1, 3),
            Unit::Kilogram | Unit::Litre | Unit::SquareMetre | Unit::Piece => Decimal::ONE,
            Unit::Decitonne => Decimal::from(100),
            Unit::Tonne | Unit::Decare => Decimal::from(1000),
            Unit::Hectare => Decimal::from(10_000),
        }
    }

    /// The base unit of a dimension.
    pub fn base_of(dimension: Dimension) -> Unit {
        match dimension {
            Dimension::Mass => Unit::Kilogram,
            Dimension::Volume => Unit::Litre,
            Dimension::Area => Unit::SquareMetre,
            Dimension::Count => Unit::Piece,
        }
    }

    /// Looks a unit up by Rec 20 code or by a name users type (`kg`, `tạ`, `lít`, `ha` …).
    pub fn from_code_or_name(raw: &str) -> Option<Unit> {
        let lower = raw.trim().to_lowercase();
        let unit = match lower.as_str() {
            "grm" | "g" | "gram" | "gam" => Unit::Gram,
            "kgm" | "kg" | "kilogram" | "ký" | "kí" | "cân" => Unit::Kilogram,
            "dtn" | "tạ" | "ta" => Unit::Decitonne,
            "tne" | "t" | "tấn" | "tan" | "tonne" => Unit::Tonne,
            "mlt" | "ml" => Unit::Millilitre,
            "ltr" | "l" | "lít" | "lit" | "litre" | "liter" => Unit::Litre,
            "mtk" | "m2" | "m²" => Unit::SquareMetre,
            "daa" => Unit::Decare,
            "har" | "ha" | "hecta" | "héc-ta" => Unit::Hectare,
            "h87" | "cái" | "cây" | "quả" | "trái" | "bao" | "túi" | "thùng" | "hộp" | "piece" | "pcs" => {
                Unit::Piece
            }
            _ => return None,
        };
        Some(unit)
    }
}

impl std::fmt::Display for Unit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.code())
    }
}

impl Serialize for Unit {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.code())
    }
}

impl<'de> Deserialize<'de> for Unit {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Unit::from_code_or_name(&raw).ok_or_else(|| serde::de::Error::custom(format!("unknown unit \"{raw}\"")))
    }
}

/// A positive amount with its unit. Values are exact decimals, never floats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Quantity {
    /// The amount, always > 0, normalized (no trailing zeros).
    #[serde(with = "rust_decimal::serde::str")]
    pub value: Decimal,
    /// The unit.
    pub unit: Unit,
}

/// Units that need the cooperative's region to mean something.
const REGIONAL_UNITS: [&str; 3] = ["sào", "sao", "công"];

fn unknown_unit(field: &str, unit: &str) -> FieldError {
    FieldError::new(
        field,
        "unknown_unit",
        format!("Đơn vị \"{unit}\" không được hỗ trợ. Dùng kg, g, tạ, tấn, lít, ml, m², ha, sào, công hoặc cái."),
        format!("Unknown unit \"{unit}\". Use a UN/ECE Rec 20 code such as KGM, GRM, TNE, LTR, MLT, MTK, HAR or H87."),
    )
}

impl Dimension {
    /// The largest amount one quantity may hold, in the base unit: more than any cooperative
    /// records in one event or one pack, and small enough that sums and products of quantities
    /// never overflow a decimal. Mass 10,000 t; volume 10,000,000 L; area 100,000 ha; count
    /// 10,000,000 pieces.
    pub fn max_in_base_unit(self) -> Decimal {
        match self {
            Dimension::Mass | Dimension::Volume | Dimension::Count => Decimal::from(10_000_000),
            Dimension::Area => Decimal::from(1_000_000_000),
        }
    }
}

impl Quantity {
    /// Builds a quantity, rejecting zero and negative amounts and amounts above the
    /// dimension's bound ([`Dimension::max_in_base_unit`]).
    pub fn new(value: Decimal, unit: Unit, field: &str) -> Result<Self, FieldError> {
        if value <= Decimal::ZERO {
            return Err(FieldError::new(
                field,
                "not_positive",
                "Số lượng phải lớn hơn 0.",
                "The quantity must be greater than 0.",
            ));
        }
        let dimension = unit.dimension();
        let max = dimension.max_in_base_unit();
        if value.checked_mul(unit.base_factor()).is_none_or(|base| base > max) {
            let base = Unit::base_of(dimension);
            return Err(FieldError::new(
                field,
                "too_large",
                format!(
                    "Số lượng quá lớn: tối đa {} {} cho một lần ghi.",
                    format_decimal_vi(max),
                    base.name_vi()
                ),
                format!(
                    "The quantity is too large: at most {} {} at a time.",
                    max,
                    base.name_en()
                ),
            ));
        }
        if value.scale() > 6 {
            return Err(FieldError::new(
                field,
                "too_precise",
                "Số lượng có quá nhiều chữ số thập phân (tối đa 6).",
                "The quantity has too many decimal places (at most 6).",
            ));
        }
        Ok(Self {
            value: value.normalize(),
            unit,
        })
    }

    /// Parses text such as `8 kg`, `1,5 tấn`, `250ml`, `500KGM`. A comma is the decimal mark
    /// (as Vietnamese write it) and dots are then thousands separators; without a comma a dot is
    /// the decimal mark. `region` gives "sào" and "công" their local size; without it they are refused.
    pub fn parse(raw: &str, region: Option<Region>, field: &str) -> Result<Self, FieldError> {
        let text = raw.trim();
        let split = text
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ',' || c == '-' || c == '+'))
            .unwrap_or(text.len());
        let (number, unit_text) = text.split_at(split);
        let unit_text = unit_text.trim();
        let number = if number.contains(',') {
            number.replace('.', "").replace(',', ".")
        } else {
            number.to_owned()
        };
        let value = Decimal::from_str(&number).map_err(|_| {
            FieldError::new(
                field,
                "invalid_quantity",
                format!("\"{text}\" không phải là số lượng hợp lệ (ví dụ: 8 kg, 1,5 tấn, 250 ml)."),
                format!("\"{text}\" is not a valid quantity (e.g. 8 kg, 1.5 TNE, 250 MLT)."),
            )
        })?;
        if unit_text.is_empty() {
            return Err(FieldError::new(
                field,
                "missing_unit",
                "Thiếu đơn vị (ví dụ: kg, lít, ha).",
                "The unit is missing (e.g. KGM, LTR, HAR).",
            ));
        }
        let lower = unit_text.to_lowercase();
        if REGIONAL_UNITS.contains(&lower.as_str()) {
            let region = region.ok_or_else(|| unknown_unit(field, unit_text))?;
            let square_metres = if lower == "công" {
                region.cong_square_metres()
            } else {
                region.sao_square_metres()
            };
            return Quantity::new(
                value.checked_mul(square_metres).unwrap_or(Decimal::MAX),
                Unit::SquareMetre,
                field,
            );
        }
        if lower == "yến" || lower == "yen" {
            return Quantity::new(
                value.checked_mul(Decimal::TEN).unwrap_or(Decimal::MAX),
                Unit::Kilogram,
                field,
            );
        }
        let unit = Unit::from_code_or_name(unit_text).ok_or_else(|| unknown_unit(field, unit_text))?;
        Quantity::new(value, unit, field)
    }

    /// The amount expressed in the dimension's base unit (kg, L, m², piece). Quantities are
    /// bounded ([`Quantity::new`]) so this cannot overflow; a value built by hand past the bound
    /// saturates instead of panicking.
    pub fn in_base_unit(&self) -> Decimal {
        self.value.checked_mul(self.unit.base_factor()).unwrap_or(Decimal::MAX)
    }

    /// Converts to another unit of the same dimension; `None` across dimensions.
    pub fn convert_to(&self, unit: Unit) -> Option<Quantity> {
        (unit.dimension() == self.unit.dimension()).then(|| Quantity {
            value: self
                .in_base_unit()
                .checked_div(unit.base_factor())
                .unwrap_or(Decimal::MAX)
                .normalize(),
            unit,
        })
    }

    /// How a Vietnamese user writes it: `1.500,5 kg`.
    pub fn display_vi(&self) -> String {
        format!("{} {}", format_decimal_vi(self.value), self.unit.name_vi())
    }
}

/// A number as a Vietnamese farmer types it, as plain decimal text (`1500`, `1.5`): a comma
/// is the decimal mark and dots then group thousands (`1.500,5`); without a comma, dots that
/// group thousands exactly (`1.500`, `12.000.000`, as [`Quantity::display_vi`] prints them)
/// are thousands separators, and any other dot is a decimal point (`1.5`, `0.500`, `1.50`).
/// Spaces between digit groups are dropped (`1 500`). Text that is not a number is returned
/// trimmed, for the reader to refuse with its usual message.
///
/// Only for what people type: stored quantities are plain decimals and are read as such.
pub fn typed_number_vi(raw: &str) -> String {
    let text: String = raw.trim().chars().filter(|c| !matches!(c, ' ' | '\u{a0}')).collect();
    if text.contains(',') {
        return text.replace('.', "").replace(',', ".");
    }
    let digits = text.trim_start_matches(['-', '+']);
    let mut groups = digits.split('.');
    let first = groups.next().unwrap_or("");
    let rest: Vec<&str> = groups.collect();
    let grouped = !rest.is_empty()
        && (1..=3).contains(&first.len())
        && !first.starts_with('0')
        && first.bytes().all(|b| b.is_ascii_digit())
        && rest
            .iter()
            .all(|g| g.len() == 3 && g.bytes().all(|b| b.is_ascii_digit()));
    if grouped { text.replace('.', "") } else { text }
}

/// A decimal as the app shows it in a field a Vietnamese farmer may edit: a comma for decimals,
/// no thousands dots (`1,5`, `1500`), so [`typed_number_vi`] reads it back unchanged.
pub fn editable_number_vi(value: Decimal) -> String {
    value.normalize().to_string().replace('.', ",")
}

/// Formats a decimal the Vietnamese way: dot for thousands, comma for decimals.
pub fn format_decimal_vi(value: Decimal) -> String {
    let text = value.normalize().to_string();
    let (int_part, frac_part) = match text.split_once('.') {
        Some((i, f)) => (i.to_owned(), Some(f.to_owned())),
        None => (text.clone(), None),
    };
    let (sign, digits) = match int_part.strip_prefix('-') {
        Some(d) => ("-", d.to_owned()),
        None => ("", int_part),
    };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push('.');
        }
        grouped.push(c);
    }
    match frac_part {
        Some(f) => format!("{sign}{grouped},{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// Reads a quantity written as text (`"8 kg"`) or as its stored parts (`{"value": "8", "unit":
/// "KGM"}`, the value also as a JSON number), through [`Quantity::parse`] either way. A visitor
/// of its own rather than an untagged enum: stored event bodies hold quantities, and an untagged
/// enum buffers each one before trying its forms (whole-database verification reads millions).
impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::{self, IgnoredAny, MapAccess, Visitor};

        fn parsed<E: de::Error>(text: &str) -> Result<Quantity, E> {
            Quantity::parse(text, None, "").map_err(|e| E::custom(e.message_en))
        }

        /// A number written either as a JSON string or a JSON number.
        struct Number(String);

        impl<'de> Deserialize<'de> for Number {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                struct NumberVisitor;
                impl Visitor<'_> for NumberVisitor {
                    type Value = Number;
                    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                        f.write_str("a number or a string")
                    }
                    fn visit_str<E: de::Error>(self, v: &str) -> Result<Number, E> {
                        Ok(Number(v.to_owned()))
                    }
                    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Number, E> {
                        Ok(Number(v.to_string()))
                    }
                    // Whole numbers read as a float would be: the same text for every value a
                    // quantity can hold.
                    #[allow(clippy::cast_precision_loss)]
                    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Number, E> {
                        self.visit_f64(v as f64)
                    }
                    #[allow(clippy::cast_precision_loss)]
                    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Number, E> {
                        self.visit_f64(v as f64)
                    }
                }
                deserializer.deserialize_any(NumberVisitor)
            }
        }

        struct QuantityVisitor;

        impl<'de> Visitor<'de> for QuantityVisitor {
            type Value = Quantity;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a quantity such as \"8 kg\" or {\"value\": \"8\", \"unit\": \"KGM\"}")
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Quantity, E> {
                parsed(v)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Quantity, A::Error> {
                #[derive(Deserialize)]
                #[serde(field_identifier, rename_all = "lowercase")]
                enum Field {
                    Value,
                    Unit,
                    #[serde(other)]
                    Other,
                }
                let (mut value, mut unit): (Option<Number>, Option<String>) = (None, None);
                while let Some(key) = map.next_key::<Field>()? {
                    match key {
                        Field::Value if value.is_none() => value = Some(map.next_value()?),
                        Field::Unit if unit.is_none() => unit = Some(map.next_value()?),
                        Field::Value => return Err(de::Error::duplicate_field("value")),
                        Field::Unit => return Err(de::Error::duplicate_field("unit")),
                        Field::Other => {
                            map.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                let value = value.ok_or_else(|| de::Error::missing_field("value"))?;
                let unit = unit.ok_or_else(|| de::Error::missing_field("unit"))?;
                parsed(&format!("{} {unit}", value.0))
            }
        }

        deserializer.deserialize_any(QuantityVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quantity {
        Quantity::parse(text, Some(Region::North), "q").unwrap()
    }

    #[test]
    fn vietnamese_decimal_comma_and_thousand_dots_parse() {
        assert_eq!(
            q("1.500,5 kg"),
            Quantity {
                value: Decimal::new(15005, 1),
                unit: Unit::Kilogram
            }
        );
        assert_eq!(
            q("1.5 TNE"),
            Quantity {
                value: Decimal::new(15, 1),
                unit: Unit::Tonne
            }
        );
        assert_eq!(q("250ml").unit, Unit::Millilitre);
    }

    #[test]
    fn numbers_typed_the_vietnamese_way_read_as_meant_and_editable_ones_read_back() {
        for (typed, meant) in [
            ("1.500", "1500"),
            ("12.000.000", "12000000"),
            ("1.500,5", "1500.5"),
            ("1,5", "1.5"),
            ("1 500", "1500"),
            ("1.5", "1.5"),
            ("0.500", "0.500"),
            ("1.50", "1.50"),
            ("25", "25"),
            ("1.2345", "1.2345"),
            ("abc", "abc"),
        ] {
            assert_eq!(typed_number_vi(typed), meant, "{typed}");
        }
        for value in [
            Decimal::new(1125, 3),
            Decimal::from(1500),
            Decimal::new(25, 2),
            Decimal::from(7),
        ] {
            let shown = editable_number_vi(value);
            assert_eq!(Decimal::from_str(&typed_number_vi(&shown)).unwrap(), value, "{shown}");
        }
    }

    #[test]
    fn zero_negative_and_unknown_units_are_rejected() {
        assert_eq!(
            Quantity::parse("0 kg", None, "amount").unwrap_err().code,
            "not_positive"
        );
        assert_eq!(
            Quantity::parse("-3 kg", None, "amount").unwrap_err().code,
            "not_positive"
        );
        let error = Quantity::parse("3 bushels", None, "amount").unwrap_err();
        assert_eq!((error.code, error.field.as_str()), ("unknown_unit", "amount"));
        assert_eq!(Quantity::parse("3", None, "amount").unwrap_err().code, "missing_unit");
    }

    #[test]
    fn the_largest_decimal_or_more_than_ten_thousand_tonnes_is_refused_not_a_panic() {
        for text in [
            "79228162514264337593543950335 kg",
            "79228162514264337593543950335 tấn",
            "79228162514264337593543950335 sào",
            "99999999999999999999999999999999 kg",
            "10001 tấn",
            "10000001 kg",
            "10000001 cái",
            "100001 ha",
        ] {
            let error = Quantity::parse(text, Some(Region::North), "amount").unwrap_err();
            assert!(
                matches!(error.code, "too_large" | "invalid_quantity"),
                "{text}: {}",
                error.code
            );
        }
        assert_eq!(q("10000 tấn").in_base_unit(), Decimal::from(10_000_000));
        assert_eq!(q("100000 ha").unit, Unit::Hectare);
    }

    #[test]
    fn sao_depends_on_the_region() {
        assert_eq!(
            q("2 sào"),
            Quantity {
                value: Decimal::from(720),
                unit: Unit::SquareMetre
            }
        );
        let central = Quantity::parse("2 sào", Some(Region::Central), "area").unwrap();
        assert_eq!(central.value, Decimal::from(1000));
        assert!(Quantity::parse("2 sào", None, "area").is_err());
    }

    #[test]
    fn conversions_stay_within_a_dimension() {
        assert_eq!(
            q("2 tạ").convert_to(Unit::Kilogram).map(|x| x.value),
            Some(Decimal::from(200))
        );
        assert_eq!(q("3 yến").value, Decimal::from(30));
        assert_eq!(q("1 ha").convert_to(Unit::Kilogram), None);
    }

    #[test]
    fn display_uses_vietnamese_separators() {
        assert_eq!(q("45000 kg").display_vi(), "45.000 kg");
        assert_eq!(q("1234,25 lít").display_vi(), "1.234,25 lít");
    }

    #[test]
    fn json_accepts_text_or_parts() {
        let a: Quantity = serde_json::from_str(r#""8 kg""#).unwrap();
        let b: Quantity = serde_json::from_str(r#"{"value":"8","unit":"KGM"}"#).unwrap();
        let c: Quantity = serde_json::from_str(r#"{"value":8,"unit":"KGM"}"#).unwrap();
        assert_eq!(a, b);
        assert_eq!(b, c);
        assert_eq!(serde_json::to_string(&a).unwrap(), r#"{"value":"8","unit":"KGM"}"#);
        // Inside an event body, as stored (an internally tagged enum hands the quantity over
        // buffered): the same three forms, and what is not a quantity is refused by name.
        for amount in [
            r#""8 kg""#,
            r#"{"value":"8","unit":"KGM"}"#,
            r#"{"value":8,"unit":"KGM"}"#,
        ] {
            let body: crate::EventBody =
                serde_json::from_str(&format!(r#"{{"type":"harvest","quantity":{amount}}}"#)).unwrap();
            assert!(
                matches!(body, crate::EventBody::Harvest { quantity, .. } if quantity == a),
                "{amount}"
            );
        }
        let c: Quantity = serde_json::from_str(r#"{"value":"8.5","unit":"kg","note":"ignored"}"#).unwrap();
        assert_eq!(c.value, Decimal::new(85, 1));
        for (bad, says) in [
            (r#"{"value":"8"}"#, "missing field `unit`"),
            (r#"{"unit":"kg"}"#, "missing field `value`"),
            (r#"{"value":"8","value":"9","unit":"kg"}"#, "duplicate field `value`"),
            (r#"{"value":"-8","unit":"kg"}"#, ""),
            (r#"{"value":"8","unit":"parsec"}"#, "unit"),
            (r#""nothing""#, ""),
            (r#"true"#, "a quantity such as"),
            (r#"{"value":true,"unit":"kg"}"#, "a number or a string"),
        ] {
            let error = serde_json::from_str::<Quantity>(bad).unwrap_err().to_string();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }
}
