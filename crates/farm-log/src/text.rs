//! Bounded text typed by users: names, notes, reasons. Once a value exists it is trimmed,
//! non-empty and within its length bound, so nothing downstream re-checks it.

use crate::error::FieldError;

fn parse_bounded(raw: &str, max_chars: usize, field: &str) -> Result<String, FieldError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(FieldError::new(
            field,
            "required",
            "Trường này không được để trống.",
            "This field must not be empty.",
        ));
    }
    let count = trimmed.chars().count();
    if count > max_chars {
        return Err(FieldError::new(
            field,
            "too_long",
            format!("Quá dài: {count} ký tự, tối đa {max_chars} ký tự."),
            format!("Too long: {count} characters, at most {max_chars} allowed."),
        ));
    }
    if trimmed.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(FieldError::new(
            field,
            "control_characters",
            "Có ký tự điều khiển không hợp lệ.",
            "Contains invalid control characters.",
        ));
    }
    Ok(trimmed.to_owned())
}

macro_rules! bounded_text {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        string_newtype!($(#[$doc])* $name);

        impl $name {
            /// The most characters a value may have.
            pub const MAX_CHARS: usize = $max;

            /// Trims `raw` and checks it is non-empty and within bounds; `field` names it in errors.
            pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
                parse_bounded(raw, Self::MAX_CHARS, field).map(Self)
            }
        }
    };
}

bounded_text!(
    /// A name or short label: at most 200 characters.
    ShortText,
    200
);
bounded_text!(
    /// A free-text note or reason: at most 2,000 characters.
    Note,
    2000
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed() {
        assert_eq!(
            ShortText::parse("  Ruộng Đồng Chùa ", "name").map(|t| t.0),
            Ok("Ruộng Đồng Chùa".into())
        );
    }

    #[test]
    fn empty_text_is_rejected_naming_the_field() {
        let error = ShortText::parse("   ", "name").unwrap_err();
        assert_eq!(error.field, "name");
        assert_eq!(error.code, "required");
    }

    #[test]
    fn over_long_text_is_rejected_with_the_count() {
        let error = ShortText::parse(&"ă".repeat(201), "name").unwrap_err();
        assert_eq!(error.code, "too_long");
        assert!(error.message_en.contains("201"), "{}", error.message_en);
    }

    #[test]
    fn vietnamese_letters_count_as_one_character_each() {
        assert!(ShortText::parse(&"ữ".repeat(200), "name").is_ok());
    }
}
