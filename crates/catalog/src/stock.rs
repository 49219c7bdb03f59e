//! Stock is derived, never typed: what each packed lot still holds, less what was recorded as
//! sold or written off from it, counted in whole sale units (a bag is filled from one lot).

use farm_log::{FieldError, Quantity};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Why stock left: a sale, or a write-off (spoiled, damaged, given away, counted short).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Sold.
    Sale,
    /// Written off.
    WriteOff,
}

impl MovementKind {
    /// The stored and JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sale => "sale",
            Self::WriteOff => "write_off",
        }
    }

    /// Reads a stored or sent name; `field` names it in errors.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        match raw.trim() {
            "sale" => Ok(Self::Sale),
            "write_off" => Ok(Self::WriteOff),
            other => Err(FieldError::new(
                field,
                "invalid_kind",
                format!(
                    "Loại \"{}\" không hợp lệ: dùng sale (bán) hoặc write_off (hao hụt).",
                    other.chars().take(40).collect::<String>()
                ),
                format!(
                    "Kind \"{}\" is invalid: use sale or write_off.",
                    other.chars().take(40).collect::<String>()
                ),
            )),
        }
    }

    /// How a leader reads it.
    pub fn name_vi(self) -> &'static str {
        match self {
            Self::Sale => "Bán",
            Self::WriteOff => "Hao hụt",
        }
    }
}

/// One lot a listing sells from, as the store sees it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotStock {
    /// The lot's code.
    pub code: String,
    /// What the lot holds now in the pack size's dimension, in base units (after any later
    /// packing or merging took from it).
    pub held: Decimal,
    /// What was recorded as sold or written off from it, in the same base units (by any listing).
    pub moved: Decimal,
    /// Recalled lots sell nothing.
    pub recalled: bool,
}

impl LotStock {
    /// Whole sale units of `pack_size` left in this lot; 0 when recalled.
    pub fn units(&self, pack_size: &Quantity) -> u64 {
        let per_unit = pack_size.in_base_unit();
        if self.recalled || per_unit <= Decimal::ZERO {
            return 0;
        }
        let left = (self.held - self.moved).max(Decimal::ZERO);
        // `floor` leaves scale 0, so the mantissa is the whole number of units. A quotient too
        // large for a decimal or a u64 saturates rather than panicking or reading as zero.
        match left.checked_div(per_unit) {
            Some(units) => u64::try_from(units.floor().mantissa()).unwrap_or(u64::MAX),
            None => u64::MAX,
        }
    }
}

/// Whole sale units a listing can sell: the sum over its lots.
pub fn units_available(lots: &[LotStock], pack_size: &Quantity) -> u64 {
    lots.iter()
        .fold(0, |total, lot| total.saturating_add(lot.units(pack_size)))
}

/// Takes `units` from the lots in order (first lot first): the units drawn from each lot, by
/// index. `Err(available)` when the lots hold fewer than `units` together; nothing is drawn.
pub fn allocate(lots: &[LotStock], pack_size: &Quantity, units: u64) -> Result<Vec<(usize, u64)>, u64> {
    let available = units_available(lots, pack_size);
    if units > available {
        return Err(available);
    }
    let mut left = units;
    let mut drawn = Vec::new();
    for (i, lot) in lots.iter().enumerate() {
        if left == 0 {
            break;
        }
        let here = lot.units(pack_size).min(left);
        if here > 0 {
            drawn.push((i, here));
            left -= here;
        }
    }
    Ok(drawn)
}

#[cfg(test)]
mod tests {
    use super::*;
    use farm_log::Unit;

    fn lot(code: &str, held: i64, moved: i64, recalled: bool) -> LotStock {
        LotStock {
            code: code.into(),
            held: Decimal::from(held),
            moved: Decimal::from(moved),
            recalled,
        }
    }

    fn kg(value: i64) -> Quantity {
        Quantity::new(Decimal::from(value), Unit::Kilogram, "pack_size").expect("positive")
    }

    #[test]
    fn a_bag_is_filled_from_one_lot_so_remainders_do_not_add_up() {
        // 12 kg and 13 kg left: two 5 kg bags each, not five.
        let lots = [lot("A", 12, 0, false), lot("B", 20, 7, false)];
        assert_eq!(units_available(&lots, &kg(5)), 4);
    }

    #[test]
    fn a_recalled_lot_sells_nothing_and_oversold_lots_never_go_negative() {
        let lots = [lot("A", 100, 0, true), lot("B", 10, 40, false), lot("C", 10, 0, false)];
        assert_eq!(units_available(&lots, &kg(5)), 2);
    }

    #[test]
    fn sales_draw_from_the_first_lot_first_and_refuse_more_than_there_is() {
        let lots = [lot("A", 10, 0, false), lot("B", 50, 0, false)];
        assert_eq!(allocate(&lots, &kg(5), 3), Ok(vec![(0, 2), (1, 1)]));
        assert_eq!(allocate(&lots, &kg(5), 13), Err(12));
        assert_eq!(allocate(&lots, &kg(5), 0), Ok(vec![]));
    }

    #[test]
    fn small_packs_count_whole_units_of_decimal_holdings() {
        let half_kilo = Quantity::new(Decimal::new(500, 0), Unit::Gram, "pack_size").expect("positive");
        let lots = [LotStock {
            code: "A".into(),
            held: Decimal::new(12_300, 3),
            moved: Decimal::new(250, 3),
            recalled: false,
        }];
        // 12.05 kg left fill 24 bags of 500 g.
        assert_eq!(units_available(&lots, &half_kilo), 24);
    }
}
