//! Label serials: 80 random bits, written as 16 Crockford base32 symbols.

use std::fmt;

use crate::crockford::{self, Problem};
use crate::error::LinkError;

/// One label's serial: 80 random bits (10 bytes), shown as 16 uppercase Crockford base32
/// symbols such as `7Q2M9XKD4HB0RT1S`.
///
/// 80 bits make guessing a valid serial hopeless (a cooperative issuing a billion labels leaves
/// one chance in 10¹⁵ per guess), and base32 keeps the text short, case-insensitive and free of
/// look-alike letters, so it can be read aloud or typed from a damaged label.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Serial([u8; 10]);

impl Serial {
    /// The number of symbols in the text form.
    pub const TEXT_LEN: usize = 16;

    /// Draws a new serial from a cryptographically secure generator, e.g. `&mut rand::rng()`.
    pub fn random<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut bytes = [0u8; 10];
        rng.fill_bytes(&mut bytes);
        Self(bytes)
    }

    /// Wraps raw bytes, e.g. read back from storage.
    pub fn from_bytes(bytes: [u8; 10]) -> Self {
        Self(bytes)
    }

    /// The raw 10 bytes.
    pub fn as_bytes(&self) -> &[u8; 10] {
        &self.0
    }

    /// Reads the text form: any case, `O` as `0`, `I`/`L` as `1`, hyphens ignored.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        crockford::decode::<10>(text.trim())
            .map(Self)
            .map_err(|problem| match problem {
                Problem::Length { found } => LinkError::SerialLength { found },
                Problem::Character { ch } => LinkError::SerialCharacter { ch },
                // 80 bits fill 16 symbols exactly, so there are no padding bits to get wrong.
                Problem::Padding => LinkError::SerialLength { found: Self::TEXT_LEN },
            })
    }

    /// The text form in groups of four for printing: `7Q2M-9XKD-4HB0-RT1S`.
    pub fn short(&self) -> String {
        let text = self.to_string();
        let groups: Vec<&str> = (0..Self::TEXT_LEN / 4).map(|i| &text[i * 4..i * 4 + 4]).collect();
        groups.join("-")
    }
}

impl fmt::Display for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crockford::encode(&self.0))
    }
}

impl fmt::Debug for Serial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Serial({self})")
    }
}

text_form!(Serial, LinkError);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_serials_print_as_sixteen_uppercase_symbols_and_parse_back() {
        let mut rng = rand::rng();
        for _ in 0..200 {
            let serial = Serial::random(&mut rng);
            let text = serial.to_string();
            assert_eq!(text.len(), 16);
            assert!(text.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
            assert_eq!(Serial::parse(&text), Ok(serial));
            assert_eq!(Serial::parse(&text.to_lowercase()), Ok(serial));
            assert_eq!(Serial::parse(&serial.short()), Ok(serial));
        }
    }

    #[test]
    fn short_form_groups_by_four() {
        let serial = Serial::from_bytes([0; 10]);
        assert_eq!(serial.short(), "0000-0000-0000-0000");
        let serial = Serial::parse("ABCDEFGHJKMNPQRS").expect("valid serial");
        assert_eq!(serial.short(), "ABCD-EFGH-JKMN-PQRS");
    }

    #[test]
    fn look_alike_letters_are_read_as_digits() {
        assert_eq!(Serial::parse("OOOOIIIILLLL0000"), Serial::parse("0000111111110000"));
    }

    #[test]
    fn wrong_length_and_characters_are_named() {
        let short = Serial::parse("ABCDEFGH").expect_err("too short");
        assert_eq!(short, LinkError::SerialLength { found: 8 });
        assert_eq!(short.code(), "bad_serial_length");
        assert!(short.to_string().contains("exactly 16"));
        let bad = Serial::parse("ABCDEFGHJKMNPQRU").expect_err("U is not base32");
        assert_eq!(bad, LinkError::SerialCharacter { ch: 'U' });
        assert!(bad.to_string().contains("'U'"));
    }

    #[test]
    fn serde_uses_the_text_form() {
        let serial = Serial::parse("ABCDEFGHJKMNPQRS").expect("valid serial");
        let json = serde_json::to_string(&serial).expect("serializes");
        assert_eq!(json, "\"ABCDEFGHJKMNPQRS\"");
        assert_eq!(serde_json::from_str::<Serial>(&json).expect("deserializes"), serial);
        assert!(serde_json::from_str::<Serial>("\"nope\"").is_err());
    }
}
