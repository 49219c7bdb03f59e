//! Amounts that make sense: how much of an input a step used, set against the lot's area and
//! what the input's label says (its usual rate per area, its dose per sprayer tank). An amount
//! far outside them is questioned before it is stored (a unit slip, "80" for "8"), never
//! silently accepted; the farmer may confirm it. `web/static/app.js` runs the same check on the
//! phone, from the numbers this module puts on the form, so it also holds without signal.

use farm_log::{Dimension, Quantity, Region, Unit};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use store::InputUsage;

use super::AppMessages;
use crate::web::i18n::{PageLang, fill};

/// An amount more than this many times the usual highest rate (or less than the usual lowest
/// divided by it) is questioned.
pub const FAR_FACTOR: u32 = 2;

/// The local unit of area farmers count in: sào in the North and Centre, công in the South.
pub fn local_area(region: Region, lang: PageLang) -> (Decimal, &'static str) {
    match (region, lang) {
        (Region::South, PageLang::Vi) => (region.cong_square_metres(), "công"),
        (Region::South, PageLang::En) => (region.cong_square_metres(), "công"),
        (_, _) => (region.sao_square_metres(), "sào"),
    }
}

/// A number as the page's language writes it, rounded to what a person reads: two decimals
/// under 10, one under 100, whole above.
pub fn number(value: Decimal, lang: PageLang) -> String {
    let places = if value.abs() < Decimal::TEN {
        2
    } else if value.abs() < Decimal::from(100) {
        1
    } else {
        0
    };
    let rounded = value.round_dp(places).normalize();
    match lang {
        PageLang::Vi => farm_log::quantity::format_decimal_vi(rounded),
        PageLang::En => {
            let text = rounded.to_string();
            let (int, frac) = text
                .split_once('.')
                .map_or((text.as_str(), None), |(i, f)| (i, Some(f)));
            let digits = int.trim_start_matches('-');
            let mut grouped = String::new();
            for (i, c) in digits.chars().enumerate() {
                if i > 0 && (digits.len() - i) % 3 == 0 {
                    grouped.push(',');
                }
                grouped.push(c);
            }
            let sign = if int.starts_with('-') { "-" } else { "" };
            match frac {
                Some(f) => format!("{sign}{grouped}.{f}"),
                None => format!("{sign}{grouped}"),
            }
        }
    }
}

/// A unit's short name in the page's language.
pub fn unit_name(unit: Unit, lang: PageLang) -> &'static str {
    match lang {
        PageLang::Vi => unit.name_vi(),
        PageLang::En => unit.name_en(),
    }
}

/// A quantity in words: "10 kg", "1.500 g", never "10 KGM".
pub fn quantity(q: &Quantity, lang: PageLang) -> String {
    format!("{} {}", number(q.value, lang), unit_name(q.unit, lang))
}

/// The lot's area as a farmer says it: "3 sào (1.080 m²)".
pub fn area_text(square_metres: Decimal, region: Region, lang: PageLang) -> String {
    let (local, word) = local_area(region, lang);
    format!(
        "{} {word} ({} m²)",
        number(square_metres / local, lang),
        number(square_metres, lang)
    )
}

/// The usual rate, per the local unit of area: "7,2–14,4 kg/sào".
pub fn usual_text(low: Decimal, high: Decimal, unit: Unit, region: Region, lang: PageLang) -> String {
    let (local, word) = local_area(region, lang);
    let per_local = |per_ha: Decimal| per_ha * local / Decimal::from(10_000);
    format!(
        "{}–{} {}/{word}",
        number(per_local(low), lang),
        number(per_local(high), lang),
        unit_name(unit, lang)
    )
}

/// What the farmer is asked to check, if anything, about an amount of `product` used on a lot
/// of `area_m2` square metres in `region`; `per_tank` is the dose mixed per sprayer tank when
/// they said.
pub fn questions(
    amount: &Quantity,
    per_tank: Option<&Quantity>,
    product: &str,
    usage: Option<&InputUsage>,
    (area_m2, region): (Option<Decimal>, Region),
    lang: PageLang,
    m: &AppMessages,
) -> Vec<String> {
    let Some(usage) = usage else { return Vec::new() };
    let far = Decimal::from(FAR_FACTOR);
    let mut out = Vec::new();
    if let (Some((low, high, unit)), Some(area)) = (usage.rate_per_ha, area_m2)
        && area > Decimal::ZERO
        && amount.unit.dimension() == unit.dimension()
        && matches!(unit.dimension(), Dimension::Mass | Dimension::Volume)
    {
        let per_ha = amount.in_base_unit() * Decimal::from(10_000) / area;
        let (local, word) = local_area(region, lang);
        let rate = format!(
            "{} {}/{word}",
            number(per_ha * local / Decimal::from(10_000), lang),
            unit_name(unit, lang)
        );
        let values = |times: String| {
            [
                ("amount", quantity(amount, lang)),
                ("area", area_text(area, region, lang)),
                ("rate", rate.clone()),
                ("times", times),
                ("product", product.to_owned()),
                ("usual", usual_text(low, high, unit, region, lang)),
            ]
        };
        let filled = |template: &str, times: String| {
            let values = values(times);
            let pairs: Vec<(&str, &str)> = values.iter().map(|(k, v)| (*k, v.as_str())).collect();
            fill(template, &pairs)
        };
        if per_ha > high * far {
            out.push(filled(&m.amount_far_high, times(per_ha, high)));
        } else if per_ha * far < low {
            out.push(filled(&m.amount_far_low, times(low, per_ha)));
        }
    }
    if let (Some((label, litres)), Some(mixed)) = (usage.tank_dose, per_tank)
        && mixed.unit.dimension() == label.unit.dimension()
    {
        let (mixed_base, label_base) = (mixed.in_base_unit(), label.in_base_unit());
        let ratio = if mixed_base > label_base * far {
            Some((&m.tank_far_high, times(mixed_base, label_base)))
        } else if mixed_base * far < label_base {
            Some((&m.tank_far_low, times(label_base, mixed_base)))
        } else {
            None
        };
        if let Some((template, times)) = ratio {
            out.push(fill(
                template,
                &[
                    ("dose", &quantity(mixed, lang)),
                    ("label", &quantity(&label, lang)),
                    ("litres", &number(litres, lang)),
                    ("product", product),
                    ("times", &times),
                ],
            ));
        }
    }
    out
}

/// How many times `a` is `b`, as a whole number (at least 2 when it is far out).
fn times(a: Decimal, b: Decimal) -> String {
    if b <= Decimal::ZERO {
        return "—".to_owned();
    }
    (a / b).round().to_u64().unwrap_or(u64::MAX).max(2).to_string()
}

/// A quantity as a person types it in the page's language: in Vietnamese "1.200 kg" is twelve
/// hundred kilograms and "1,5 kg" one and a half (the number read by
/// [`farm_log::quantity::typed_number_vi`]); in English commas group thousands.
pub fn typed_quantity(
    raw: &str,
    region: Option<Region>,
    lang: PageLang,
    field: &str,
) -> Result<Quantity, farm_log::FieldError> {
    let text = raw.trim();
    let split = text
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '.' | ',' | '-' | '+' | ' ' | '\u{a0}')))
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number = match lang {
        PageLang::Vi => farm_log::quantity::typed_number_vi(number),
        PageLang::En => number.trim().replace([',', ' '], ""),
    };
    Quantity::parse(&format!("{number} {}", unit.trim()), region, field)
}

/// The square metres of a lot's plots, when they are measured as areas.
pub fn lot_area(plots: &[store::Plot], plot_ids: &[i64]) -> Option<Decimal> {
    let total: Decimal = plots
        .iter()
        .filter(|p| plot_ids.contains(&p.id) && p.area.unit.dimension() == Dimension::Area)
        .map(|p| p.area.in_base_unit())
        .sum();
    (total > Decimal::ZERO).then_some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Quantity {
        Quantity::parse(text, Some(Region::North), "q").expect("quantity")
    }

    fn npk() -> InputUsage {
        // 200–400 kg per hectare: 7,2–14,4 kg per sào Bắc Bộ.
        InputUsage {
            input_product_id: 1,
            rate_per_ha: Some((Decimal::from(200), Decimal::from(400), Unit::Kilogram)),
            tank_dose: None,
        }
    }

    fn m() -> &'static AppMessages {
        super::super::i18n::messages(PageLang::Vi)
    }

    #[test]
    fn a_usual_amount_raises_no_question() {
        let area = Some(Decimal::from(1080));
        for amount in ["30 kg", "40 kg", "16 kg", "0,04 tấn"] {
            let asked = questions(
                &q(amount),
                None,
                "NPK",
                Some(&npk()),
                (area, Region::North),
                PageLang::Vi,
                m(),
            );
            assert!(asked.is_empty(), "{amount}: {asked:?}");
        }
    }

    #[test]
    fn a_unit_slip_is_questioned_with_the_numbers_a_farmer_knows() {
        let area = Some(Decimal::from(1080));
        let asked = questions(
            &q("8 tấn"),
            None,
            "NPK",
            Some(&npk()),
            (area, Region::North),
            PageLang::Vi,
            m(),
        );
        assert_eq!(asked.len(), 1, "{asked:?}");
        for words in ["8 tấn", "3 sào (1.080 m²)", "2.667 kg/sào", "7,2–14,4 kg/sào", "NPK"] {
            assert!(asked[0].contains(words), "{words} in {}", asked[0]);
        }
        let low = questions(
            &q("50 g"),
            None,
            "NPK",
            Some(&npk()),
            (area, Region::North),
            PageLang::Vi,
            m(),
        );
        assert_eq!(low.len(), 1, "{low:?}");
    }

    #[test]
    fn without_an_area_a_rate_or_the_same_kind_of_unit_nothing_is_asked() {
        let usage = npk();
        assert!(
            questions(
                &q("8 tấn"),
                None,
                "NPK",
                Some(&usage),
                (None, Region::North),
                PageLang::Vi,
                m()
            )
            .is_empty()
        );
        assert!(
            questions(
                &q("8 tấn"),
                None,
                "NPK",
                None,
                (Some(Decimal::ONE), Region::North),
                PageLang::Vi,
                m()
            )
            .is_empty()
        );
        assert!(
            questions(
                &q("8000 lít"),
                None,
                "NPK",
                Some(&usage),
                (Some(Decimal::from(1080)), Region::North),
                PageLang::Vi,
                m()
            )
            .is_empty()
        );
    }

    #[test]
    fn a_tank_mixed_far_stronger_than_the_label_is_questioned() {
        let usage = InputUsage {
            input_product_id: 2,
            rate_per_ha: None,
            tank_dose: Some((q("20 ml"), Decimal::from(16))),
        };
        let asked = |mixed: &str| {
            questions(
                &q("60 ml"),
                Some(&q(mixed)),
                "Radiant",
                Some(&usage),
                (None, Region::North),
                PageLang::Vi,
                m(),
            )
        };
        assert!(asked("20 ml").is_empty());
        assert!(asked("35 ml").is_empty());
        let strong = asked("200 ml");
        assert_eq!(strong.len(), 1);
        assert!(
            strong[0].contains("10 lần") && strong[0].contains("16 lít"),
            "{strong:?}"
        );
    }

    #[test]
    fn quantities_read_as_typed_in_each_language() {
        let read = |text: &str, lang| typed_quantity(text, Some(Region::North), lang, "q").expect(text);
        assert_eq!(read("1.200 kg", PageLang::Vi), q("1200 kg"));
        assert_eq!(read("1,5 kg", PageLang::Vi), q("1,5 kg"));
        assert_eq!(read("500g", PageLang::Vi), q("500 g"));
        assert_eq!(read("1 500 kg", PageLang::Vi), q("1500 kg"));
        assert_eq!(read("1,200 kg", PageLang::En), q("1200 kg"));
        assert_eq!(read("1.5 kg", PageLang::En), q("1,5 kg"));
        assert_eq!(read("2 sào", PageLang::Vi), q("720 m2"));
        assert!(typed_quantity("kg", None, PageLang::Vi, "q").is_err());
    }

    #[test]
    fn numbers_read_as_each_language_writes_them() {
        assert_eq!(number(Decimal::new(26666667, 4), PageLang::Vi), "2.667");
        assert_eq!(number(Decimal::new(26666667, 4), PageLang::En), "2,667");
        assert_eq!(number(Decimal::new(456, 1), PageLang::Vi), "45,6");
        assert_eq!(number(Decimal::new(72, 1), PageLang::Vi), "7,2");
        assert_eq!(number(Decimal::from(1500), PageLang::Vi), "1.500");
        assert_eq!(quantity(&q("10 kg"), PageLang::Vi), "10 kg");
    }
}
