//! The canonical byte encoding of events and lot identities, version 1, specified in
//! `docs/provenance.md`. Every variable-length field is length-prefixed and every optional field
//! carries a presence byte, so the encoding is deterministic and injective: two different events
//! never share bytes. Change nothing here without bumping the version.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use uuid::Uuid;

use crate::event::{ChildLot, Event, EventBody, GeoPoint, InputSnapshot, PhiOverride};
use crate::quantity::Quantity;

/// The version byte that starts an encoded event without photos.
pub const EVENT_ENCODING_VERSION: u8 = 1;
/// The version byte of an event that carries photos: version 1's layout with the photos' hashes
/// after the location (docs/provenance.md §3 and §9).
pub const EVENT_ENCODING_VERSION_PHOTOS: u8 = 2;

/// Appends canonical fields to a byte buffer.
#[derive(Debug, Default)]
pub struct Encoder {
    bytes: Vec<u8>,
}

impl Encoder {
    /// A new, empty encoder.
    pub fn new() -> Self {
        Self::default()
    }

    /// The bytes written so far.
    pub fn finish(self) -> Vec<u8> {
        self.bytes
    }

    /// One byte.
    pub fn u8(&mut self, value: u8) -> &mut Self {
        self.bytes.push(value);
        self
    }

    /// 8 bytes, big-endian.
    pub fn u64(&mut self, value: u64) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// 8 bytes, big-endian two's complement.
    pub fn i64(&mut self, value: i64) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// 4 bytes, big-endian two's complement.
    pub fn i32(&mut self, value: i32) -> &mut Self {
        self.bytes.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A length (u32, big-endian) followed by the UTF-8 bytes.
    pub fn str(&mut self, value: &str) -> &mut Self {
        self.bytes.extend_from_slice(&(value.len() as u32).to_be_bytes());
        self.bytes.extend_from_slice(value.as_bytes());
        self
    }

    /// Raw bytes of a fixed, known length (hashes, UUIDs).
    pub fn fixed(&mut self, value: &[u8]) -> &mut Self {
        self.bytes.extend_from_slice(value);
        self
    }

    /// 16 bytes.
    pub fn uuid(&mut self, value: &Uuid) -> &mut Self {
        self.fixed(value.as_bytes())
    }

    /// RFC 3339 text with the original offset, seconds or finer as stored.
    pub fn datetime(&mut self, value: &DateTime<FixedOffset>) -> &mut Self {
        self.str(&canonical_datetime(value))
    }

    /// Normalized decimal text then the Rec 20 unit code.
    pub fn quantity(&mut self, value: &Quantity) -> &mut Self {
        self.str(&value.value.normalize().to_string()).str(value.unit.code())
    }

    /// 0 for absent, 1 followed by the value for present.
    pub fn option<T>(&mut self, value: Option<&T>, write: impl FnOnce(&mut Self, &T)) -> &mut Self
    where
        T: ?Sized,
    {
        match value {
            None => self.u8(0),
            Some(inner) => {
                self.u8(1);
                write(self, inner);
                self
            }
        }
    }

    /// A count (u32, big-endian) followed by each item.
    pub fn list<T>(&mut self, items: &[T], mut write: impl FnMut(&mut Self, &T)) -> &mut Self {
        self.bytes.extend_from_slice(&(items.len() as u32).to_be_bytes());
        for item in items {
            write(self, item);
        }
        self
    }
}

/// The one text form of a timestamp used everywhere a timestamp is stored or hashed.
pub fn canonical_datetime(value: &DateTime<FixedOffset>) -> String {
    value.to_rfc3339_opts(SecondsFormat::AutoSi, false)
}

/// Encodes a stored event: version, id, seq, kind tag, timestamps, actor, note, location, the
/// photos (version 2 only), body.
pub fn encode_event(event: &Event) -> Vec<u8> {
    let mut out = Encoder::new();
    let version = if event.photos.is_empty() {
        EVENT_ENCODING_VERSION
    } else {
        EVENT_ENCODING_VERSION_PHOTOS
    };
    out.u8(version)
        .uuid(&event.id)
        .u64(event.seq)
        .datetime(&event.occurred_at)
        .datetime(&event.recorded_at)
        .i64(event.actor)
        .option(event.note.as_ref(), |o, n| {
            o.str(n.as_ref());
        })
        .option(event.location.as_ref(), encode_location);
    if !event.photos.is_empty() {
        out.list(&event.photos, |o, photo| {
            o.fixed(&photo.0);
        });
    }
    encode_body(&mut out, &event.body);
    out.finish()
}

fn encode_location(out: &mut Encoder, point: &GeoPoint) {
    out.i32(point.lat_micro).i32(point.lon_micro);
}

fn encode_text<T: AsRef<str>>(out: &mut Encoder, text: &T) {
    out.str(text.as_ref());
}

fn encode_snapshot(out: &mut Encoder, snapshot: &InputSnapshot) {
    out.str(&snapshot.trade_name)
        .str(snapshot.kind.as_str())
        .list(&snapshot.active_ingredients, |o, a| {
            o.str(a);
        })
        .option(snapshot.registration_number.as_ref(), |o, r| {
            o.str(r);
        })
        .option(snapshot.phi_days.as_ref(), |o, d| {
            o.u64(u64::from(*d));
        });
}

fn encode_quantity(out: &mut Encoder, quantity: &Quantity) {
    out.quantity(quantity);
}

/// Encodes a body: its kind tag, then its fields in declaration order.
pub fn encode_body(out: &mut Encoder, body: &EventBody) {
    out.u8(body.kind().tag());
    match body {
        EventBody::Seeding {
            seed_source,
            seed_lot,
            variety,
            quantity,
        } => {
            out.str(seed_source.as_ref())
                .option(seed_lot.as_ref(), encode_text)
                .option(variety.as_ref(), encode_text)
                .quantity(quantity);
        }
        EventBody::Fertilizing { input, amount, method } => {
            out.i64(input.input_product_id)
                .option(input.snapshot.as_ref(), encode_snapshot)
                .quantity(amount)
                .option(method.as_ref(), encode_text);
        }
        EventBody::Spraying {
            input,
            dose,
            area,
            target_pest,
        } => {
            out.i64(input.input_product_id)
                .option(input.snapshot.as_ref(), encode_snapshot)
                .quantity(dose)
                .option(area.as_ref(), encode_quantity)
                .option(target_pest.as_ref(), encode_text);
        }
        EventBody::Irrigation {
            method,
            water_source,
            amount,
        } => {
            out.option(method.as_ref(), encode_text)
                .option(water_source.as_ref(), encode_text)
                .option(amount.as_ref(), encode_quantity);
        }
        EventBody::Observation { subject } => {
            out.str(subject.as_ref());
        }
        EventBody::Harvest { quantity, phi_override } => {
            out.quantity(quantity)
                .option(phi_override.as_ref(), |o, p: &PhiOverride| {
                    o.str(p.reason.as_ref());
                });
        }
        EventBody::Packing { children } => {
            out.list(children, |o, c: &ChildLot| {
                o.str(c.code.as_ref()).quantity(&c.quantity);
            });
        }
        EventBody::Merging { output_lot, quantity } => {
            out.str(output_lot.as_ref()).quantity(quantity);
        }
        EventBody::Shipping {
            from,
            to,
            document_ref,
            quantity,
        }
        | EventBody::Receiving {
            from,
            to,
            document_ref,
            quantity,
        } => {
            out.str(from.as_ref())
                .str(to.as_ref())
                .option(document_ref.as_ref(), encode_text)
                .option(quantity.as_ref(), encode_quantity);
        }
        EventBody::Correction {
            corrects,
            reason,
            replacement,
        } => {
            out.uuid(corrects)
                .str(reason.as_ref())
                .option(replacement.as_deref(), encode_body);
        }
        EventBody::Recall { reason } => {
            out.str(reason.as_ref());
        }
        EventBody::Close { reason } => {
            out.option(reason.as_ref(), encode_text);
        }
        EventBody::AlterationAcknowledged {
            history,
            previous_head,
            explanation,
        } => {
            out.fixed(&history.0).fixed(&previous_head.0).str(explanation.as_ref());
        }
        EventBody::Override { rule, reason } => {
            out.u8(rule.tag()).str(reason.as_ref());
        }
    }
}
