//! What a buyer is told about a lot or a scanned label, decided in one place so that every
//! surface — the badge, the page title, the share preview, the JSON-LD, the JSON API, the
//! catalog — says the same thing at the same moment.

use chrono::NaiveDate;
use serde::Serialize;

/// Whether the stored record still hashes to what was recorded (and, for a label, to what it
/// was printed with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Integrity {
    /// Every check passed.
    Intact,
    /// Something was changed after it was recorded (acknowledged by a leader or not: the
    /// buyer is told either way).
    Altered,
}

/// How the check code (`d=`) in a scanned label's URL compares with its batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CodeCheck {
    /// A lot page: no label, nothing to compare.
    NoLabel,
    /// The code matches the batch's.
    Matches,
    /// The URL carries no code (a hand-typed or short link).
    Absent,
    /// The code is not this batch's: the label in hand is not one of it.
    Differs,
}

/// What the buyer is told, most serious first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The lot (or a lot it was made from) is recalled: stop eating it, return it.
    Recalled,
    /// The record was changed after it was recorded or printed.
    Altered,
    /// The scanned label's check code is not its batch's.
    Mismatched,
    /// The use-by date has passed.
    Expired,
    /// Unchanged, not recalled, in date: the only green state.
    Genuine,
}

impl Verdict {
    /// Decides from the facts; `today` is the day in Vietnam.
    pub fn decide(
        integrity: Integrity,
        recalled: bool,
        code: CodeCheck,
        use_by: Option<NaiveDate>,
        today: NaiveDate,
    ) -> Verdict {
        if recalled {
            Verdict::Recalled
        } else if integrity == Integrity::Altered {
            Verdict::Altered
        } else if code == CodeCheck::Differs {
            Verdict::Mismatched
        } else if use_by.is_some_and(|day| today > day) {
            Verdict::Expired
        } else {
            Verdict::Genuine
        }
    }

    /// The wire name: `recalled`, `altered`, `mismatched`, `expired` or `genuine`.
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Recalled => "recalled",
            Verdict::Altered => "altered",
            Verdict::Mismatched => "mismatched",
            Verdict::Expired => "expired",
            Verdict::Genuine => "genuine",
        }
    }

    /// Only a genuine lot may be shown as verified (green) anywhere.
    pub fn is_genuine(self) -> bool {
        self == Verdict::Genuine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    #[test]
    fn only_an_intact_unrecalled_matching_in_date_lot_is_genuine() {
        let use_by = Some(day(10));
        let decide = |i, r, c, today| Verdict::decide(i, r, c, use_by, day(today));
        assert_eq!(
            decide(Integrity::Intact, false, CodeCheck::Matches, 10),
            Verdict::Genuine
        );
        assert_eq!(
            decide(Integrity::Intact, false, CodeCheck::Absent, 10),
            Verdict::Genuine
        );
        assert_eq!(
            decide(Integrity::Intact, false, CodeCheck::NoLabel, 10),
            Verdict::Genuine
        );
        assert_eq!(
            decide(Integrity::Intact, false, CodeCheck::Matches, 11),
            Verdict::Expired
        );
        assert_eq!(
            decide(Integrity::Intact, false, CodeCheck::Differs, 1),
            Verdict::Mismatched
        );
        assert_eq!(
            decide(Integrity::Altered, false, CodeCheck::Matches, 1),
            Verdict::Altered
        );
        assert_eq!(
            decide(Integrity::Altered, true, CodeCheck::Differs, 11),
            Verdict::Recalled
        );
        assert_eq!(
            decide(Integrity::Intact, true, CodeCheck::Matches, 1),
            Verdict::Recalled
        );
        assert!(Verdict::decide(Integrity::Intact, false, CodeCheck::Matches, None, day(30)).is_genuine());
    }
}
