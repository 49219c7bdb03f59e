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

/// A password a leader sets for a member: 8 to 128 characters, kept as typed (spaces count).
/// It never prints itself, so it cannot end up in a log.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(…)")
    }
}

impl Password {
    /// The fewest characters a password may have.
    pub const MIN_CHARS: usize = 8;
    /// The most characters a password may have (argon2 takes any length; this bounds the work).
    pub const MAX_CHARS: usize = 128;

    /// Checks the length; `field` names it in errors.
    pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
        let count = raw.chars().count();
        if count < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                "too_short",
                format!("Mật khẩu cần ít nhất {} ký tự.", Self::MIN_CHARS),
                format!("A password needs at least {} characters.", Self::MIN_CHARS),
            ));
        }
        if count > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                "too_long",
                format!("Mật khẩu dài tối đa {} ký tự.", Self::MAX_CHARS),
                format!("A password has at most {} characters.", Self::MAX_CHARS),
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    /// The password itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_password_is_bounded_and_never_printed() {
        assert_eq!(
            Password::parse("1234567", "password").map(|_| ()).unwrap_err().code,
            "too_short"
        );
        assert_eq!(
            Password::parse(&"x".repeat(129), "password")
                .map(|_| ())
                .unwrap_err()
                .code,
            "too_long"
        );
        let password = Password::parse(" lúa ST25 ", "password").expect("8 characters with spaces");
        assert_eq!(password.expose(), " lúa ST25 ");
        assert!(!format!("{password:?}").contains("ST25"));
    }

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
