//! Identifiers with rules: lot codes that fit GS1 AI 10, GTINs with their check digit,
//! Vietnamese phone numbers, GS1 company prefixes and GLNs.

use crate::error::FieldError;

string_newtype!(
    /// A lot code: 1–20 characters from `A–Z a–z 0–9 . _ -`, so it fits GS1 AI 10 unescaped.
    LotCode
);

impl LotCode {
    /// Checks the character set and length.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let code = raw.trim();
        let valid_chars = code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if code.is_empty() || code.len() > 20 || !valid_chars {
            return Err(FieldError::new(
                field,
                "invalid_lot_code",
                format!(
                    "Mã lô \"{}\" không hợp lệ: dùng 1–20 ký tự gồm chữ không dấu, số, dấu chấm, gạch dưới hoặc gạch ngang.",
                    truncate_for_message(code)
                ),
                format!(
                    "Lot code \"{}\" is invalid: use 1–20 characters from A–Z, a–z, 0–9, '.', '_' or '-'.",
                    truncate_for_message(code)
                ),
            ));
        }
        Ok(Self(code.to_owned()))
    }
}

string_newtype!(
    /// A GTIN (8, 12, 13 or 14 digits) whose check digit is right; stored as GTIN-14.
    Gtin
);

impl Gtin {
    /// Checks length, digits and the GS1 mod-10 check digit, and pads to 14 digits.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let digits = raw.trim();
        let bad = |why_vi: &str, why_en: &str| {
            FieldError::new(
                field,
                "invalid_gtin",
                format!("Mã GTIN không hợp lệ: {why_vi}."),
                format!("Invalid GTIN: {why_en}."),
            )
        };
        if !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(bad("chỉ được gồm chữ số", "it must contain only digits"));
        }
        if ![8, 12, 13, 14].contains(&digits.len()) {
            return Err(bad(
                "phải có 8, 12, 13 hoặc 14 chữ số",
                "it must have 8, 12, 13 or 14 digits",
            ));
        }
        let padded = format!("{digits:0>14}");
        if gs1_check_digit(&padded[..13]) != padded.as_bytes()[13] - b'0' {
            return Err(bad("sai số kiểm tra", "the check digit is wrong"));
        }
        Ok(Self(padded))
    }
}

/// The GS1 mod-10 check digit for a string of digits (weights 3,1,3,… from the right).
pub fn gs1_check_digit(digits: &str) -> u8 {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| u32::from(b - b'0') * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

string_newtype!(
    /// A Vietnamese phone number, normalized to its national form `0xxxxxxxxx`.
    PhoneNumber
);

impl PhoneNumber {
    /// Accepts spaces, dots and dashes, and the `+84`/`84` prefixes; keeps 10 national digits.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let compact: String = raw
            .trim()
            .chars()
            .filter(|c| !matches!(c, ' ' | '.' | '-' | '(' | ')'))
            .collect();
        let national = if let Some(rest) = compact.strip_prefix("+84") {
            format!("0{rest}")
        } else if (compact.len() == 11 || compact.len() == 12) && compact.starts_with("84") {
            format!("0{}", &compact[2..])
        } else {
            compact
        };
        // Mobile numbers have 10 digits, landlines 11 (0 + area code + 8 digits).
        let valid = (national.len() == 10 || national.len() == 11)
            && national.starts_with('0')
            && national.chars().all(|c| c.is_ascii_digit());
        if !valid {
            return Err(FieldError::new(
                field,
                "invalid_phone",
                "Số điện thoại không hợp lệ: cần 10 chữ số (di động) hoặc 11 chữ số (cố định), bắt đầu bằng 0 (ví dụ 0912 345 678).",
                "Invalid phone number: expected 10 digits (mobile) or 11 (landline) starting with 0 (e.g. 0912 345 678).",
            ));
        }
        Ok(Self(national))
    }
}

string_newtype!(
    /// A GS1 company prefix: 6 to 12 digits (Vietnam's start with 893).
    Gs1CompanyPrefix
);

impl Gs1CompanyPrefix {
    /// Checks it is 6–12 digits.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let digits = raw.trim();
        if !(6..=12).contains(&digits.len()) || !digits.chars().all(|c| c.is_ascii_digit()) {
            return Err(FieldError::new(
                field,
                "invalid_gs1_prefix",
                "Mã doanh nghiệp GS1 phải gồm 6–12 chữ số.",
                "A GS1 company prefix has 6–12 digits.",
            ));
        }
        Ok(Self(digits.to_owned()))
    }
}

string_newtype!(
    /// A Global Location Number: 13 digits with a GS1 check digit.
    Gln
);

impl Gln {
    /// Checks length, digits and check digit.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let digits = raw.trim();
        let valid = digits.len() == 13
            && digits.chars().all(|c| c.is_ascii_digit())
            && gs1_check_digit(&digits[..12]) == digits.as_bytes()[12] - b'0';
        if !valid {
            return Err(FieldError::new(
                field,
                "invalid_gln",
                "Mã địa điểm GLN phải gồm 13 chữ số với số kiểm tra đúng.",
                "A GLN has 13 digits with a valid check digit.",
            ));
        }
        Ok(Self(digits.to_owned()))
    }
}

fn truncate_for_message(text: &str) -> String {
    text.chars().take(24).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lot_codes_allow_gs1_safe_characters() {
        assert!(LotCode::parse("LUA-HT26.01_a", "code").is_ok());
    }

    #[test]
    fn lot_codes_reject_spaces_slashes_diacritics_and_length() {
        for bad in ["", "LÔ1", "A B", "A/B", "A%2F", &"X".repeat(21)] {
            assert!(LotCode::parse(bad, "code").is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn gtin_check_digit_is_verified_and_padded_to_14() {
        assert_eq!(
            Gtin::parse("8935049500018", "gtin").map(|g| g.0),
            Ok("08935049500018".into())
        );
        assert!(Gtin::parse("8935049500019", "gtin").is_err());
        assert!(Gtin::parse("89350495000", "gtin").is_err());
    }

    #[test]
    fn phone_numbers_are_normalized() {
        for raw in ["0912 345 678", "+84 912 345 678", "84912345678", "0912.345.678"] {
            assert_eq!(
                PhoneNumber::parse(raw, "phone").map(|p| p.0),
                Ok("0912345678".into()),
                "{raw}"
            );
        }
        assert_eq!(
            PhoneNumber::parse("0243 765 4321", "phone").map(|p| p.0),
            Ok("02437654321".into())
        );
        assert!(PhoneNumber::parse("12345", "phone").is_err());
        assert!(PhoneNumber::parse("091234567a", "phone").is_err());
    }

    #[test]
    fn gln_check_digit_is_verified() {
        let body = "893504950000";
        let good = format!("{body}{}", gs1_check_digit(body));
        assert!(Gln::parse(&good, "gln").is_ok());
        let bad = format!("{body}{}", (gs1_check_digit(body) + 1) % 10);
        assert!(Gln::parse(&bad, "gln").is_err());
    }
}
