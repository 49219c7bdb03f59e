//! The per-lot provenance chain: `head_0 = genesis(lot identity)`,
//! `head_n = H_chain(head_{n-1} || canonical(event_n))`, both blake3 in derive-key mode with their
//! own context strings so a genesis can never be confused with a link. See `docs/provenance.md`.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::canonical::{Encoder, encode_event};
use crate::event::Event;
use crate::ids::LotCode;
use crate::quantity::Quantity;

/// blake3 derive-key context for lot genesis values.
pub const GENESIS_CONTEXT: &str = "nguon 2026-11 lot genesis v1";
/// blake3 derive-key context for chain links.
pub const LINK_CONTEXT: &str = "nguon 2026-11 lot chain link v1";

/// A 32-byte chain head, shown as 64 lowercase hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ChainHead(pub [u8; 32]);

impl ChainHead {
    /// Lowercase hex.
    pub fn to_hex(&self) -> String {
        blake3::Hash::from_bytes(self.0).to_hex().to_string()
    }

    /// Parses 64 hex digits (either case). Every stored event's head is parsed when a lot is
    /// verified, so this is a vectorized decode rather than a digit at a time.
    pub fn from_hex(hex: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        (hex.len() == 64 && faster_hex::hex_decode(hex.as_bytes(), &mut bytes).is_ok()).then_some(Self(bytes))
    }
}

impl std::fmt::Debug for ChainHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChainHead({})", self.to_hex())
    }
}

impl std::fmt::Display for ChainHead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for ChainHead {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for ChainHead {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let hex = String::deserialize(deserializer)?;
        ChainHead::from_hex(&hex).ok_or_else(|| serde::de::Error::custom("expected 64 hex digits"))
    }
}

/// A parent lot as committed to by a child's genesis: which lot, its head when the child was
/// made, and how much of it went in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentLink {
    /// The parent's code.
    pub lot_code: LotCode,
    /// The parent's chain head right after the packing or merging event.
    pub head: ChainHead,
    /// How much of the parent went into the child.
    pub quantity: Quantity,
}

/// Everything that identifies a lot, hashed into its genesis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenesisInput {
    /// The owning cooperative.
    pub cooperative_id: i64,
    /// The lot's code.
    pub lot_code: LotCode,
    /// The product grown or packed.
    pub product_id: i64,
    /// The plots it grows on, in ascending order.
    pub plot_ids: Vec<i64>,
    /// When the lot was created.
    pub created_at: DateTime<FixedOffset>,
    /// For packed or merged lots, the parents, in ascending order of code.
    pub parents: Vec<ParentLink>,
}

/// What a lot made by packing or merging starts with: the sum of what its parents gave, in the
/// base unit of their dimension. `None` for a lot grown in the field.
pub fn initial_holding(parents: &[ParentLink]) -> Option<Quantity> {
    let first = parents.first()?;
    let dimension = first.quantity.unit.dimension();
    let total = parents
        .iter()
        .filter(|p| p.quantity.unit.dimension() == dimension)
        .map(|p| p.quantity.in_base_unit())
        .sum::<rust_decimal::Decimal>();
    Some(Quantity {
        value: total.normalize(),
        unit: crate::quantity::Unit::base_of(dimension),
    })
}

/// The head every lot starts from.
pub fn genesis(input: &GenesisInput) -> ChainHead {
    let mut plot_ids = input.plot_ids.clone();
    plot_ids.sort_unstable();
    let mut parents = input.parents.clone();
    parents.sort_by(|a, b| a.lot_code.cmp(&b.lot_code));
    let mut out = Encoder::new();
    out.u8(1)
        .i64(input.cooperative_id)
        .str(input.lot_code.as_ref())
        .i64(input.product_id)
        .list(&plot_ids, |o, id| {
            o.i64(*id);
        })
        .datetime(&input.created_at)
        .list(&parents, |o, p| {
            o.str(p.lot_code.as_ref()).fixed(&p.head.0).quantity(&p.quantity);
        });
    ChainHead(blake3::derive_key(GENESIS_CONTEXT, &out.finish()))
}

/// The head after appending an event's canonical bytes.
pub fn next_head(previous: &ChainHead, canonical_event: &[u8]) -> ChainHead {
    let mut hasher = blake3::Hasher::new_derive_key(LINK_CONTEXT);
    hasher.update(&previous.0);
    hasher.update(canonical_event);
    ChainHead(*hasher.finalize().as_bytes())
}

/// The head after appending an event.
pub fn link(previous: &ChainHead, event: &Event) -> ChainHead {
    next_head(previous, &encode_event(event))
}

/// Whether a lot's stored history still hashes to what was recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum ChainStatus {
    /// Every stored event hashes to its recorded head.
    Intact {
        /// The current head.
        head: ChainHead,
        /// How many events are chained.
        events: u64,
    },
    /// The history was changed after it was recorded.
    Altered {
        /// The first position that does not match (0 means the lot's identity itself).
        at_seq: u64,
        /// The event there, when one is stored.
        event_id: Option<Uuid>,
        /// What did not match, in plain words.
        reason: String,
        /// The seq of the leader's acknowledgement that covers exactly this stored history,
        /// when there is one and everything after it is intact: the lot may be logged on again,
        /// but it stays altered for everyone who reads it.
        #[serde(skip_serializing_if = "Option::is_none")]
        acknowledged_by: Option<u64>,
    },
}

impl ChainStatus {
    /// True when intact.
    pub fn is_intact(&self) -> bool {
        matches!(self, ChainStatus::Intact { .. })
    }

    /// True when altered and no leader has acknowledged this very alteration (appends are
    /// refused until one does).
    pub fn is_unacknowledged_alteration(&self) -> bool {
        matches!(
            self,
            ChainStatus::Altered {
                acknowledged_by: None,
                ..
            }
        )
    }
}

/// blake3 derive-key context for the digest of a stored history.
pub const HISTORY_CONTEXT: &str = "nguon 2026-12 stored history v1";

/// A running digest of a lot's history *as stored*, including whatever in it no longer hashes
/// (the lot's identity and stored genesis, then each row's id, seq, recorded head and content,
/// or why the content cannot be read). An acknowledgement names the digest of the rows before
/// it, so it covers exactly the alteration the leader saw, and a later change no longer matches.
#[derive(Debug, Clone)]
pub struct StoredHistory(blake3::Hasher);

impl StoredHistory {
    /// Starts from the lot's identity as stored and the genesis stored for it.
    pub fn start(identity: &GenesisInput, stored_genesis: &ChainHead) -> Self {
        let mut hasher = blake3::Hasher::new_derive_key(HISTORY_CONTEXT);
        hasher.update(&genesis(identity).0);
        hasher.update(&stored_genesis.0);
        Self(hasher)
    }

    /// Adds one stored row, with its event's canonical bytes when it could be read.
    pub fn add(&mut self, link: &StoredLink, canonical: Option<&[u8]>) {
        let mut out = Encoder::new();
        out.uuid(&link.event_id).u64(link.seq).fixed(&link.recorded_head.0);
        match (&link.event, canonical) {
            (Ok(_), Some(bytes)) => {
                out.u8(1).u64(bytes.len() as u64);
                self.0.update(&out.finish());
                self.0.update(bytes);
            }
            (Err(why), _) => {
                out.u8(0).str(why);
                self.0.update(&out.finish());
            }
            (Ok(event), None) => {
                let bytes = encode_event(event);
                out.u8(1).u64(bytes.len() as u64);
                self.0.update(&out.finish());
                self.0.update(&bytes);
            }
        }
    }

    /// The digest so far.
    pub fn digest(&self) -> ChainHead {
        ChainHead(*self.0.finalize().as_bytes())
    }
}

/// One stored event as read back for verification: the event (or why it could not be read)
/// and the head recorded with it.
#[derive(Debug, Clone)]
pub struct StoredLink {
    /// The stored id, even when the rest could not be decoded.
    pub event_id: Uuid,
    /// The stored seq.
    pub seq: u64,
    /// The decoded event, or why decoding failed.
    pub event: Result<Event, String>,
    /// The head stored beside it.
    pub recorded_head: ChainHead,
}

/// Walks a chain incrementally, so callers can stream millions of events through it.
///
/// After the first mismatch the walk only looks for a leader's acknowledgement
/// ([`crate::EventBody::AlterationAcknowledged`]) naming the digest of exactly the stored rows
/// before it; from a matching one it goes on checking, linked from the head the
/// acknowledgement names, and the result is `Altered` with `acknowledged_by` set.
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    head: ChainHead,
    count: u64,
    failure: Option<ChainStatus>,
    /// The alteration a leader acknowledged, and the acknowledgement's seq.
    acknowledged: Option<(ChainStatus, u64)>,
    /// The stored rows so far (kept only while a failure could still be acknowledged).
    history: StoredHistory,
}

impl ChainVerifier {
    /// Starts from a lot's identity, checking it against the genesis stored for it.
    pub fn start(identity: &GenesisInput, stored_genesis: &ChainHead) -> Self {
        let head = genesis(identity);
        let failure = (head != *stored_genesis).then(|| ChainStatus::Altered {
            at_seq: 0,
            event_id: None,
            reason: "the lot's identity (cooperative, code, product, plots, creation time or parents) no longer matches its genesis".into(),
            acknowledged_by: None,
        });
        Self {
            head,
            count: 0,
            failure,
            acknowledged: None,
            history: StoredHistory::start(identity, stored_genesis),
        }
    }

    /// Feeds the next stored event. After the first mismatch, further events are only looked
    /// at for an acknowledgement of it.
    pub fn feed(&mut self, link: &StoredLink) {
        // Encoded once, for the link and for the stored-history digest.
        let bytes = link.event.as_ref().ok().map(encode_event);
        if self.failure.is_none() {
            self.check(link, bytes.as_deref());
        }
        // An acknowledgement resumes the walk after a failure, including the one it meets
        // itself when it links from a head that does not follow from the events (the lot's
        // recorded head or count was edited).
        if self.failure.is_some() {
            self.try_acknowledgement(link, bytes.as_deref());
        }
        self.history.add(link, bytes.as_deref());
    }

    /// After a failure: a stored acknowledgement that names the digest of every row before it
    /// and links from the head it names resumes the walk.
    fn try_acknowledgement(&mut self, link: &StoredLink, bytes: Option<&[u8]>) {
        let (Ok(event), Some(bytes)) = (&link.event, bytes) else {
            return;
        };
        let crate::EventBody::AlterationAcknowledged {
            history, previous_head, ..
        } = &event.body
        else {
            return;
        };
        if *history != self.history.digest() || next_head(previous_head, bytes) != link.recorded_head {
            return;
        }
        if let Some(failure) = self.failure.take() {
            self.acknowledged = Some((failure, link.seq));
        }
        self.head = link.recorded_head;
        self.count = link.seq;
    }

    fn check(&mut self, link: &StoredLink, bytes: Option<&[u8]>) {
        let expected_seq = self.count + 1;
        let altered = |reason: String| ChainStatus::Altered {
            at_seq: expected_seq,
            event_id: Some(link.event_id),
            reason,
            acknowledged_by: None,
        };
        if link.seq != expected_seq {
            self.failure = Some(altered(format!(
                "expected event number {expected_seq}, found number {}: an event is missing or was inserted",
                link.seq
            )));
            return;
        }
        let bytes = match (&link.event, bytes) {
            (Ok(_), Some(bytes)) => bytes,
            (Err(why), _) => {
                self.failure = Some(altered(format!("the stored event can no longer be read: {why}")));
                return;
            }
            (Ok(_), None) => return,
        };
        let head = next_head(&self.head, bytes);
        if head != link.recorded_head {
            self.failure = Some(altered(
                "the stored event no longer hashes to the head recorded with it".into(),
            ));
            return;
        }
        self.head = head;
        self.count = expected_seq;
    }

    /// The digest of every row fed so far, as an acknowledgement appended next would name it.
    pub fn stored_history(&self) -> ChainHead {
        self.history.digest()
    }

    /// Ends the walk, checking the lot's recorded head and event count.
    pub fn finish(self, lot_head: &ChainHead, lot_event_count: u64) -> ChainStatus {
        if let Some(failure) = self.failure {
            return failure;
        }
        if self.count != lot_event_count || self.head != *lot_head {
            return ChainStatus::Altered {
                at_seq: self.count + 1,
                event_id: None,
                reason: format!(
                    "the lot records {lot_event_count} events and head {}, but {} events were found",
                    lot_head.to_hex(),
                    self.count
                ),
                acknowledged_by: None,
            };
        }
        match self.acknowledged {
            Some((
                ChainStatus::Altered {
                    at_seq,
                    event_id,
                    reason,
                    ..
                },
                by,
            )) => ChainStatus::Altered {
                at_seq,
                event_id,
                reason,
                acknowledged_by: Some(by),
            },
            _ => ChainStatus::Intact {
                head: self.head,
                events: self.count,
            },
        }
    }
}

#[cfg(test)]
mod hex_tests {
    use super::ChainHead;

    #[test]
    fn a_head_reads_back_from_its_hex_and_nothing_else_reads_as_one() {
        let head = ChainHead(*blake3::hash(b"lot").as_bytes());
        let hex = head.to_hex();
        assert_eq!(hex.len(), 64);
        assert_eq!(ChainHead::from_hex(&hex), Some(head));
        assert_eq!(ChainHead::from_hex(&hex.to_uppercase()), Some(head));
        for bad in [
            String::new(),
            hex[..62].to_owned(),
            format!("{hex}00"),
            format!("0x{}", &hex[..62]),
            format!("{}g", &hex[..63]),
            format!("{} ", &hex[..63]),
            format!("{}é", &hex[..62]),
        ] {
            assert_eq!(ChainHead::from_hex(&bad), None, "{bad:?}");
        }
    }
}
