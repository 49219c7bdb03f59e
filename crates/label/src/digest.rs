//! The check code printed on a label: the first 96 bits of the lot's chain head when the
//! label was issued.

use std::fmt;

use crate::crockford::{self, Problem};
use crate::error::LinkError;

/// The first 12 bytes (96 bits) of a lot's 32-byte chain head, shown as 20 Crockford base32
/// symbols in the `d=` parameter of a label link.
///
/// 96 bits keep the QR code small while leaving a forger no practical way to produce a
/// different history whose head starts the same way (a second-preimage search of 2⁹⁶ blake3
/// evaluations).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Digest([u8; 12]);

impl Digest {
    /// The number of symbols in the text form.
    pub const TEXT_LEN: usize = 20;

    /// Truncates a chain head (e.g. `farm_log::ChainHead.0`) to its first 12 bytes.
    pub fn of_head(head: &[u8; 32]) -> Self {
        let mut bytes = [0u8; 12];
        bytes.copy_from_slice(&head[..12]);
        Self(bytes)
    }

    /// Whether `head` starts with this digest.
    pub fn matches_head(&self, head: &[u8; 32]) -> bool {
        head[..12] == self.0
    }

    /// The raw 12 bytes.
    pub fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }

    /// Reads the text form: any case, `O` as `0`, `I`/`L` as `1`, hyphens ignored.
    pub fn parse(text: &str) -> Result<Self, LinkError> {
        crockford::decode::<12>(text.trim())
            .map(Self)
            .map_err(|problem| match problem {
                Problem::Length { found } => LinkError::DigestLength { found },
                Problem::Character { ch } => LinkError::DigestCharacter { ch },
                Problem::Padding => LinkError::DigestPadding,
            })
    }
}

impl fmt::Display for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crockford::encode(&self.0))
    }
}

impl fmt::Debug for Digest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Digest({self})")
    }
}

text_form!(Digest, LinkError);

#[cfg(test)]
mod tests {
    use super::*;

    fn head(seed: u8) -> [u8; 32] {
        *blake3::hash(&[seed]).as_bytes()
    }

    #[test]
    fn digest_is_twenty_symbols_and_matches_only_its_head() {
        let digest = Digest::of_head(&head(1));
        let text = digest.to_string();
        assert_eq!(text.len(), 20);
        assert_eq!(Digest::parse(&text), Ok(digest));
        assert_eq!(Digest::parse(&text.to_lowercase()), Ok(digest));
        assert!(digest.matches_head(&head(1)));
        assert!(!digest.matches_head(&head(2)));
    }

    #[test]
    fn a_changed_byte_after_the_twelfth_still_matches() {
        let mut other = head(1);
        other[20] ^= 1;
        assert!(Digest::of_head(&head(1)).matches_head(&other));
        other[11] ^= 1;
        assert!(!Digest::of_head(&head(1)).matches_head(&other));
    }

    #[test]
    fn bad_digests_are_named() {
        assert_eq!(Digest::parse("ABC"), Err(LinkError::DigestLength { found: 3 }));
        assert_eq!(
            Digest::parse("ABCDEFGHJKMNPQRSTVW!"),
            Err(LinkError::DigestCharacter { ch: '!' })
        );
        assert_eq!(Digest::parse("ZZZZZZZZZZZZZZZZZZZZ"), Err(LinkError::DigestPadding));
    }
}
