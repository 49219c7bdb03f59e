//! Signed label batches: a cooperative's ed25519 key signs a record of what it issued (which
//! lot, which chain head, how many labels, which serials), so anyone holding the record can
//! check it later without trusting the server.
//!
//! The signature covers a canonical byte encoding of [`BatchRecord`], not its JSON, so it does
//! not depend on field order or whitespace. [`BatchRecord::canonical_bytes`] documents the layout.

use std::fmt;

use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use farm_log::ChainHead;
use farm_log::ids::{Gtin, LotCode};

use crate::error::SignatureError;
use crate::serial::Serial;

/// The only [`BatchRecord::format_version`] this code writes and reads.
pub const BATCH_FORMAT_VERSION: u32 = 1;

/// The domain separator that starts every signed message.
pub const BATCH_DOMAIN: &str = "nguon label batch v1";

/// The blake3 `derive_key` context for [`serials_digest`].
pub const SERIALS_CONTEXT: &str = "nguon 2026-11 label serials v1";

/// A cooperative's signing key. `Debug` shows only the key id, never the secret.
#[derive(Clone)]
pub struct CoopSigningKey(SigningKey);

impl CoopSigningKey {
    /// Rebuilds a key from its 32 secret bytes, e.g. read back from storage.
    pub fn from_secret_bytes(secret: [u8; 32]) -> Self {
        Self(SigningKey::from_bytes(&secret))
    }

    /// Makes a new key from a cryptographically secure generator, e.g. `&mut rand::rng()`.
    pub fn generate<R: rand::CryptoRng + ?Sized>(rng: &mut R) -> Self {
        let mut secret = [0u8; 32];
        rng.fill_bytes(&mut secret);
        Self::from_secret_bytes(secret)
    }

    /// The 32 secret bytes, for storing the key. Keep them secret.
    pub fn secret_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// The public half, to publish and pin.
    pub fn public_key(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }
}

impl fmt::Debug for CoopSigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CoopSigningKey")
            .field("key_id", &self.public_key().key_id())
            .field("secret", &"<redacted>")
            .finish()
    }
}

/// A cooperative's public key; its text form is 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

impl PublicKey {
    /// Reads 64 hex digits.
    pub fn parse(hex: &str) -> Result<Self, SignatureError> {
        let bytes: [u8; 32] = decode_hex(hex.trim()).ok_or(SignatureError::Malformed {
            what: "The public key",
            reason: "expected 64 hexadecimal digits",
        })?;
        VerifyingKey::from_bytes(&bytes)
            .map(Self)
            .map_err(|_| SignatureError::Malformed {
                what: "The public key",
                reason: "the digits are not an ed25519 public key",
            })
    }

    /// The 32 key bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// A short name for the key: the first 8 bytes of its blake3 hash, as 16 hex digits.
    pub fn key_id(&self) -> String {
        encode_hex(&blake3::hash(self.0.as_bytes()).as_bytes()[..8])
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_hex(self.0.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

/// An ed25519 signature; its text form is 128 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct BatchSignature(ed25519_dalek::Signature);

impl BatchSignature {
    /// Reads 128 hex digits.
    pub fn parse(hex: &str) -> Result<Self, SignatureError> {
        let bytes: [u8; 64] = decode_hex(hex.trim()).ok_or(SignatureError::Malformed {
            what: "The signature",
            reason: "expected 128 hexadecimal digits",
        })?;
        Ok(Self(ed25519_dalek::Signature::from_bytes(&bytes)))
    }

    /// The 64 signature bytes.
    pub fn to_bytes(&self) -> [u8; 64] {
        self.0.to_bytes()
    }
}

impl fmt::Display for BatchSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_hex(&self.0.to_bytes()))
    }
}

impl fmt::Debug for BatchSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BatchSignature({self})")
    }
}

text_form!(PublicKey, SignatureError);
text_form!(BatchSignature, SignatureError);

/// What a cooperative states when it issues a batch of labels for a lot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchRecord {
    /// The record layout; [`BATCH_FORMAT_VERSION`].
    pub format_version: u32,
    /// The issuing cooperative's id.
    pub cooperative_id: i64,
    /// The issuing cooperative's name as printed.
    pub cooperative_name: String,
    /// The batch's id (a UUID in text form).
    pub batch_id: String,
    /// The lot the labels are for.
    pub lot_code: LotCode,
    /// The product's GTIN-14, if it has one.
    pub gtin: Option<Gtin>,
    /// The product name as printed.
    pub product_name: String,
    /// How many labels were issued; equals the number of serials.
    pub count: u32,
    /// What one labelled pack holds, e.g. `1 KGM` (UN/ECE Rec 20 unit).
    pub pack_size: String,
    /// The lot's chain head when the labels were issued (64 hex digits in JSON).
    pub chain_head: ChainHead,
    /// How many events the lot's history held at that moment.
    pub event_count: u64,
    /// When the batch was issued, RFC 3339 with its offset, e.g. `2026-11-20T08:30:00+07:00`.
    pub issued_at: String,
    /// The member who issued the batch.
    pub issued_by: i64,
    /// [`serials_digest`] of the serials in issue order (64 hex digits); set by [`sign`].
    pub serials_digest: String,
    /// [`PublicKey::key_id`] of the signing key; set by [`sign`].
    pub key_id: String,
}

impl BatchRecord {
    /// The bytes that are signed.
    ///
    /// Layout (version 1): the domain separator [`BATCH_DOMAIN`] as a string, then every field
    /// in declaration order. A string is its UTF-8 length as a big-endian `u32` followed by its
    /// bytes; `u32`, `u64` and `i64` are big-endian of their width; an optional value is a
    /// `0x00` byte when absent or `0x01` followed by the value; the chain head is its 32 raw
    /// bytes. Every field has a fixed width or a length prefix, so no two different records
    /// encode the same way, and a future layout changes the domain separator and version.
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        put_str(&mut out, BATCH_DOMAIN);
        out.extend_from_slice(&self.format_version.to_be_bytes());
        out.extend_from_slice(&self.cooperative_id.to_be_bytes());
        put_str(&mut out, &self.cooperative_name);
        put_str(&mut out, &self.batch_id);
        put_str(&mut out, self.lot_code.as_ref());
        match &self.gtin {
            None => out.push(0),
            Some(gtin) => {
                out.push(1);
                put_str(&mut out, gtin.as_ref());
            }
        }
        put_str(&mut out, &self.product_name);
        out.extend_from_slice(&self.count.to_be_bytes());
        put_str(&mut out, &self.pack_size);
        out.extend_from_slice(&self.chain_head.0);
        out.extend_from_slice(&self.event_count.to_be_bytes());
        put_str(&mut out, &self.issued_at);
        out.extend_from_slice(&self.issued_by.to_be_bytes());
        put_str(&mut out, &self.serials_digest);
        put_str(&mut out, &self.key_id);
        out
    }
}

fn put_str(out: &mut Vec<u8>, text: &str) {
    // Strings in a record are short; anything beyond 4 GiB could not be built in memory here.
    let length = u32::try_from(text.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&length.to_be_bytes());
    out.extend_from_slice(text.as_bytes());
}

/// blake3 in `derive_key` mode with [`SERIALS_CONTEXT`] over the serials' 10-byte forms in
/// order, as 64 hex digits. The fixed width of each serial makes the input unambiguous.
pub fn serials_digest(serials: &[Serial]) -> String {
    let mut hasher = blake3::Hasher::new_derive_key(SERIALS_CONTEXT);
    for serial in serials {
        hasher.update(serial.as_bytes());
    }
    hasher.finalize().to_hex().to_string()
}

/// A batch record with the serials it commits to and the cooperative's signature.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SignedBatch {
    /// What was issued.
    pub record: BatchRecord,
    /// The labels' serials in issue order.
    pub serials: Vec<Serial>,
    /// The key that signed.
    pub public_key: PublicKey,
    /// The signature over [`BatchRecord::canonical_bytes`].
    pub signature: BatchSignature,
}

/// Signs a batch. `record.serials_digest` and `record.key_id` are derived here from `serials`
/// and `key` (whatever they held is replaced), and `record.format_version` is set to
/// [`BATCH_FORMAT_VERSION`]; `record.count` must equal the number of serials.
pub fn sign(
    key: &CoopSigningKey,
    mut record: BatchRecord,
    serials: Vec<Serial>,
) -> Result<SignedBatch, SignatureError> {
    if usize::try_from(record.count).ok() != Some(serials.len()) {
        return Err(SignatureError::CountMismatch {
            in_record: record.count,
            listed: serials.len(),
        });
    }
    let public_key = key.public_key();
    record.format_version = BATCH_FORMAT_VERSION;
    record.serials_digest = serials_digest(&serials);
    record.key_id = public_key.key_id();
    let signature = BatchSignature(key.0.sign(&record.canonical_bytes()));
    Ok(SignedBatch {
        record,
        serials,
        public_key,
        signature,
    })
}

impl SignedBatch {
    /// Checks the signature over the record, that the record names this key, that the listed
    /// serials are the ones the record commits to, and, when `pinned` is given (the key the
    /// verifier already trusts for this cooperative), that it signed.
    pub fn verify(&self, pinned: Option<&PublicKey>) -> Result<(), SignatureError> {
        if let Some(pinned) = pinned
            && *pinned != self.public_key
        {
            return Err(SignatureError::UnpinnedKey {
                pinned: pinned.key_id(),
                found: self.public_key.key_id(),
            });
        }
        verify_record(&self.record, &self.signature, &self.public_key)?;
        if usize::try_from(self.record.count).ok() != Some(self.serials.len()) {
            return Err(SignatureError::CountMismatch {
                in_record: self.record.count,
                listed: self.serials.len(),
            });
        }
        if serials_digest(&self.serials) != self.record.serials_digest {
            return Err(SignatureError::SerialsMismatch);
        }
        Ok(())
    }
}

/// Checks a record's signature without its serials (the online lookup path): the format
/// version, that the record names `public_key`, and the signature itself.
pub fn verify_record(
    record: &BatchRecord,
    signature: &BatchSignature,
    public_key: &PublicKey,
) -> Result<(), SignatureError> {
    if record.format_version != BATCH_FORMAT_VERSION {
        return Err(SignatureError::UnsupportedVersion {
            found: record.format_version,
        });
    }
    if record.key_id != public_key.key_id() {
        return Err(SignatureError::KeyIdMismatch {
            in_record: record.key_id.clone(),
            supplied: public_key.key_id(),
        });
    }
    public_key
        .0
        .verify_strict(&record.canonical_bytes(), &signature.0)
        .map_err(|_| SignatureError::BadSignature)
}

fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 15)]));
    }
    out
}

fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2 {
        return None;
    }
    let mut out = [0u8; N];
    for (i, pair) in text.as_bytes().chunks_exact(2).enumerate() {
        let high = char::from(pair[0]).to_digit(16)?;
        let low = char::from(pair[1]).to_digit(16)?;
        out[i] = u8::try_from(high * 16 + low).ok()?;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u8) -> CoopSigningKey {
        CoopSigningKey::from_secret_bytes([seed; 32])
    }

    fn serials(count: u8) -> Vec<Serial> {
        (0..count).map(|i| Serial::from_bytes([i; 10])).collect()
    }

    fn record() -> BatchRecord {
        BatchRecord {
            format_version: BATCH_FORMAT_VERSION,
            cooperative_id: 7,
            cooperative_name: "Hợp tác xã Rau an toàn Tây Tựu".to_owned(),
            batch_id: "0193a3b2-7c1e-7000-8000-000000000001".to_owned(),
            lot_code: LotCode::parse("RAU-2026.11-01", "lot").expect("valid lot"),
            gtin: Some(Gtin::parse("8935049500018", "gtin").expect("valid gtin")),
            product_name: "Cải ngọt".to_owned(),
            count: 3,
            pack_size: "1 KGM".to_owned(),
            chain_head: ChainHead(*blake3::hash(b"head").as_bytes()),
            event_count: 12,
            issued_at: "2026-11-20T08:30:00+07:00".to_owned(),
            issued_by: 42,
            serials_digest: String::new(),
            key_id: String::new(),
        }
    }

    fn signed() -> SignedBatch {
        sign(&key(1), record(), serials(3)).expect("signs")
    }

    #[test]
    fn a_signed_batch_verifies_with_and_without_a_pinned_key() {
        let batch = signed();
        assert_eq!(batch.verify(None), Ok(()));
        assert_eq!(batch.verify(Some(&key(1).public_key())), Ok(()));
        assert_eq!(batch.record.key_id, key(1).public_key().key_id());
        assert_eq!(batch.record.key_id.len(), 16);
        assert_eq!(batch.record.serials_digest, serials_digest(&serials(3)));
    }

    #[test]
    fn a_signed_batch_survives_json() {
        let batch = signed();
        let json = serde_json::to_string_pretty(&batch).expect("serializes");
        assert!(json.contains("\"chain_head\": \""));
        let back: SignedBatch = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, batch);
        assert_eq!(back.verify(None), Ok(()));
    }

    #[test]
    fn tampering_with_any_record_field_breaks_the_signature() {
        type Tamper = (&'static str, fn(&mut BatchRecord));
        let tampers: Vec<Tamper> = vec![
            ("cooperative_id", |r| r.cooperative_id += 1),
            ("cooperative_name", |r| r.cooperative_name.push('.')),
            ("batch_id", |r| {
                r.batch_id = "0193a3b2-7c1e-7000-8000-000000000002".into()
            }),
            ("lot_code", |r| {
                r.lot_code = LotCode::parse("RAU-2026.11-02", "lot").expect("valid")
            }),
            ("gtin", |r| r.gtin = None),
            ("product_name", |r| r.product_name = "Cải bẹ".into()),
            ("pack_size", |r| r.pack_size = "2 KGM".into()),
            ("chain_head", |r| r.chain_head.0[31] ^= 1),
            ("event_count", |r| r.event_count -= 1),
            ("issued_at", |r| r.issued_at = "2026-11-20T08:30:00+00:00".into()),
            ("issued_by", |r| r.issued_by = 43),
        ];
        for (field, tamper) in tampers {
            let mut batch = signed();
            tamper(&mut batch.record);
            assert_eq!(batch.verify(None), Err(SignatureError::BadSignature), "{field}");
        }
    }

    #[test]
    fn tampering_with_derived_fields_is_named() {
        let mut batch = signed();
        batch.record.count = 4;
        assert_eq!(batch.verify(None), Err(SignatureError::BadSignature));

        let mut batch = signed();
        batch.record.serials_digest = serials_digest(&serials(2));
        assert_eq!(batch.verify(None), Err(SignatureError::BadSignature));

        let mut batch = signed();
        batch.record.key_id = key(2).public_key().key_id();
        assert!(matches!(batch.verify(None), Err(SignatureError::KeyIdMismatch { .. })));

        let mut batch = signed();
        batch.record.format_version = 2;
        assert_eq!(batch.verify(None), Err(SignatureError::UnsupportedVersion { found: 2 }));
    }

    #[test]
    fn tampering_with_a_serial_is_detected() {
        let mut batch = signed();
        batch.serials[1] = Serial::from_bytes([9; 10]);
        assert_eq!(batch.verify(None), Err(SignatureError::SerialsMismatch));

        let mut batch = signed();
        batch.serials.swap(0, 2);
        assert_eq!(batch.verify(None), Err(SignatureError::SerialsMismatch));

        let mut batch = signed();
        batch.serials.pop();
        assert!(matches!(batch.verify(None), Err(SignatureError::CountMismatch { .. })));
    }

    #[test]
    fn tampering_with_the_signature_is_detected() {
        let mut batch = signed();
        let mut bytes = batch.signature.to_bytes();
        bytes[5] ^= 0x40;
        batch.signature = BatchSignature(ed25519_dalek::Signature::from_bytes(&bytes));
        assert_eq!(batch.verify(None), Err(SignatureError::BadSignature));
    }

    #[test]
    fn another_key_is_refused_when_a_key_is_pinned() {
        let batch = sign(&key(2), record(), serials(3)).expect("signs");
        assert_eq!(batch.verify(None), Ok(()));
        let error = batch.verify(Some(&key(1).public_key())).expect_err("wrong key");
        assert_eq!(error.code(), "unpinned_key");

        // Swapping in the trusted key without re-signing fails too.
        let mut swapped = batch;
        swapped.public_key = key(1).public_key();
        assert!(matches!(
            swapped.verify(None),
            Err(SignatureError::KeyIdMismatch { .. })
        ));
    }

    #[test]
    fn the_online_path_verifies_a_record_without_serials() {
        let batch = signed();
        assert_eq!(
            verify_record(&batch.record, &batch.signature, &batch.public_key),
            Ok(())
        );
        let mut record = batch.record.clone();
        record.product_name.push('!');
        assert_eq!(
            verify_record(&record, &batch.signature, &batch.public_key),
            Err(SignatureError::BadSignature)
        );
    }

    #[test]
    fn count_must_match_serials_when_signing() {
        let error = sign(&key(1), record(), serials(2)).expect_err("count is 3");
        assert_eq!(
            error,
            SignatureError::CountMismatch {
                in_record: 3,
                listed: 2
            }
        );
    }

    #[test]
    fn keys_round_trip_and_debug_hides_the_secret() {
        let key = CoopSigningKey::generate(&mut rand::rng());
        let again = CoopSigningKey::from_secret_bytes(key.secret_bytes());
        assert_eq!(again.public_key(), key.public_key());
        let text = key.public_key().to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(PublicKey::parse(&text), Ok(key.public_key()));
        assert_eq!(
            PublicKey::parse("zz").map_err(|e| e.code()),
            Err("malformed_key_or_signature")
        );
        let debug = format!("{key:?}");
        assert!(debug.contains("<redacted>"));
        let secret_hex = encode_hex(&key.secret_bytes());
        assert!(!debug.contains(&secret_hex));
        assert!(!debug.contains(&format!("{:?}", key.secret_bytes())));
    }

    #[test]
    fn canonical_bytes_start_with_the_domain_and_differ_per_field_boundary() {
        let mut a = record();
        a.cooperative_name = "ab".into();
        a.batch_id = "c".into();
        let mut b = record();
        b.cooperative_name = "a".into();
        b.batch_id = "bc".into();
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
        assert!(a.canonical_bytes()[4..].starts_with(BATCH_DOMAIN.as_bytes()));
    }
}
