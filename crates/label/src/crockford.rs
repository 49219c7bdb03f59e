//! Crockford base32 for fixed-size byte strings: uppercase output without padding, forgiving
//! input (any case, `O` read as `0`, `I` and `L` read as `1`, hyphens ignored).

/// The 32 symbols, in value order. `I`, `L`, `O` and `U` are left out so nothing is misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Why a string is not the base32 form of `N` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Problem {
    /// Wrong number of symbols (hyphens not counted).
    Length { found: usize },
    /// A character outside the alphabet and its aliases.
    Character { ch: char },
    /// The unused low bits of the last symbol are not zero, so the text is not canonical.
    Padding,
}

/// The number of symbols needed for `bytes` bytes.
pub(crate) const fn encoded_len(bytes: usize) -> usize {
    (bytes * 8).div_ceil(5)
}

/// Encodes bytes, most significant bit first, zero-padding the last symbol.
pub(crate) fn encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(encoded_len(bytes.len()));
    let mut buffer: u16 = 0;
    let mut bits = 0;
    for &byte in bytes {
        buffer = (buffer << 8) | u16::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[usize::from((buffer >> bits) & 31)]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[usize::from((buffer << (5 - bits)) & 31)]));
    }
    out
}

/// Decodes exactly `N` bytes, accepting Crockford's aliases and ignoring hyphens.
pub(crate) fn decode<const N: usize>(text: &str) -> Result<[u8; N], Problem> {
    let symbols: Vec<u8> = text
        .chars()
        .filter(|&c| c != '-')
        .map(symbol_value)
        .collect::<Result<_, _>>()?;
    if symbols.len() != encoded_len(N) {
        return Err(Problem::Length { found: symbols.len() });
    }
    let mut out = [0u8; N];
    let mut buffer: u16 = 0;
    let mut bits = 0;
    let mut written = 0;
    for value in symbols {
        buffer = (buffer << 5) | u16::from(value);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            // Only the low 8 bits are meant; the mask makes the truncation explicit.
            out[written] = ((buffer >> bits) & 0xff) as u8;
            written += 1;
        }
        buffer &= (1 << bits) - 1;
    }
    if buffer != 0 {
        return Err(Problem::Padding);
    }
    Ok(out)
}

fn symbol_value(ch: char) -> Result<u8, Problem> {
    let upper = match ch.to_ascii_uppercase() {
        'O' => '0',
        'I' | 'L' => '1',
        other => other,
    };
    ALPHABET
        .iter()
        .position(|&symbol| char::from(symbol) == upper)
        .and_then(|index| u8::try_from(index).ok())
        .ok_or(Problem::Character { ch })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_bytes_round_trip_through_sixteen_symbols() {
        let bytes = [0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02, 0x03, 0xfe, 0xff];
        let text = encode(&bytes);
        assert_eq!(text.len(), 16);
        assert_eq!(decode::<10>(&text), Ok(bytes));
    }

    #[test]
    fn twelve_bytes_need_twenty_symbols_and_canonical_padding() {
        let bytes = [0xff; 12];
        let text = encode(&bytes);
        assert_eq!(text.len(), 20);
        assert_eq!(decode::<12>(&text), Ok(bytes));
        // The last symbol carries 1 data bit and 4 padding bits; setting a padding bit is refused.
        let mut bad = text.clone();
        bad.pop();
        bad.push('Z');
        assert_eq!(decode::<12>(&bad), Err(Problem::Padding));
    }

    #[test]
    fn aliases_and_lowercase_are_accepted() {
        assert_eq!(decode::<5>("oilo0"), decode::<5>("01100"));
        assert_eq!(decode::<5>("abcd-efgh"), decode::<5>("ABCDEFGH"));
    }

    #[test]
    fn unknown_characters_and_lengths_are_named() {
        assert_eq!(decode::<5>("ABCDEFGU"), Err(Problem::Character { ch: 'U' }));
        assert_eq!(decode::<5>("ABC"), Err(Problem::Length { found: 3 }));
    }
}
