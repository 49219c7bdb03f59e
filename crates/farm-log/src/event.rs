//! Typed farm-diary events. An event is written once and never changed: mistakes are fixed by a
//! later `Correction` that points at the original, which stays in the history.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Deserializer, Serialize};
use uuid::Uuid;

use crate::chain::ChainHead;
use crate::error::FieldError;
use crate::ids::LotCode;
use crate::model::InputKind;
use crate::quantity::Quantity;
use crate::text::{Note, ShortText};

/// A stored event: what the client sent plus what the server stamped on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The client-chosen id; re-sending the same id is how offline sync stays idempotent.
    pub id: Uuid,
    /// Position in the lot's chain, starting at 1.
    pub seq: u64,
    /// When it happened in the field, with the offset the farmer was in.
    pub occurred_at: DateTime<FixedOffset>,
    /// When the server stored it (+07:00).
    pub recorded_at: DateTime<FixedOffset>,
    /// The member who logged it.
    pub actor: i64,
    /// Optional free text.
    pub note: Option<Note>,
    /// Optional place it happened.
    pub location: Option<GeoPoint>,
    /// Photos taken for it, by the blake3 hash of the stored image (empty for most events).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<PhotoHash>,
    /// The typed content.
    pub body: EventBody,
}

/// What a client sends to append one event; read from JSON by [`crate::draft::parse_draft`],
/// which names every bad field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventDraft {
    /// Client-generated UUID (v4 or v7).
    pub id: Uuid,
    /// When it happened, with its UTC offset, e.g. `2026-05-02T07:30:00+07:00`.
    pub occurred_at: DateTime<FixedOffset>,
    /// Optional free text.
    pub note: Option<Note>,
    /// Optional place.
    pub location: Option<GeoPoint>,
    /// Photos already uploaded, by hash.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub photos: Vec<PhotoHash>,
    /// The typed content, tagged by `type`.
    #[serde(flatten)]
    pub body: EventBody,
}

/// The most photos one event may carry.
pub const MAX_PHOTOS: usize = 4;

/// A photo, named by the blake3 hash of its stored bytes (64 lowercase hex digits in JSON).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PhotoHash(pub [u8; 32]);

impl PhotoHash {
    /// Reads 64 hex digits; `field` names it in errors.
    pub fn parse(text: &str, field: &str) -> Result<Self, FieldError> {
        let text = text.trim();
        let bad = || {
            FieldError::new(
                field,
                "invalid_photo",
                "Mã ảnh phải gồm 64 chữ số hệ 16 (mã băm blake3 của ảnh đã tải lên).",
                "A photo is named by 64 hex digits (the blake3 hash of an uploaded photo).",
            )
        };
        if text.len() != 64 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(Self(bytes))
    }

    /// The 64 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }
}

impl std::fmt::Display for PhotoHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl Serialize for PhotoHash {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for PhotoHash {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        PhotoHash::parse(&text, "photos").map_err(|e| serde::de::Error::custom(e.message_en))
    }
}

/// A point on the map, kept as whole micro-degrees so it encodes exactly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct GeoPoint {
    /// Latitude × 1,000,000.
    pub lat_micro: i32,
    /// Longitude × 1,000,000.
    pub lon_micro: i32,
}

impl GeoPoint {
    /// Checks the ranges and rounds to micro-degrees (about 11 cm).
    pub fn from_degrees(lat: f64, lon: f64, field: &str) -> Result<Self, FieldError> {
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(FieldError::new(
                field,
                "invalid_location",
                "Toạ độ không hợp lệ: vĩ độ từ -90 đến 90, kinh độ từ -180 đến 180.",
                "Invalid coordinates: latitude must be within -90..90 and longitude within -180..180.",
            ));
        }
        Ok(Self {
            lat_micro: (lat * 1e6).round() as i32,
            lon_micro: (lon * 1e6).round() as i32,
        })
    }

    /// Latitude in degrees.
    pub fn lat(&self) -> f64 {
        f64::from(self.lat_micro) / 1e6
    }

    /// Longitude in degrees.
    pub fn lon(&self) -> f64 {
        f64::from(self.lon_micro) / 1e6
    }
}

impl<'de> Deserialize<'de> for GeoPoint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Degrees { lat: f64, lon: f64 },
            Micro { lat_micro: i32, lon_micro: i32 },
        }
        match Raw::deserialize(deserializer)? {
            Raw::Degrees { lat, lon } => {
                GeoPoint::from_degrees(lat, lon, "").map_err(|e| serde::de::Error::custom(e.message_en))
            }
            Raw::Micro { lat_micro, lon_micro } => {
                GeoPoint::from_degrees(f64::from(lat_micro) / 1e6, f64::from(lon_micro) / 1e6, "")
                    .map_err(|e| serde::de::Error::custom(e.message_en))
            }
        }
    }
}

/// What was known of an input product when it was applied, frozen into the event so that later
/// edits of the registry never change the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSnapshot {
    /// Trade name, e.g. "Anvil 5SC".
    pub trade_name: String,
    /// Fertilizer or pesticide.
    pub kind: InputKind,
    /// Active ingredients (hoạt chất), e.g. ["Hexaconazole"].
    pub active_ingredients: Vec<String>,
    /// Registration number, when registered.
    pub registration_number: Option<String>,
    /// Pre-harvest interval in days (thời gian cách ly), for pesticides.
    pub phi_days: Option<u32>,
}

/// An input product as referenced by an event: the registry id and, once stored, its snapshot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedInput {
    /// The registry entry.
    pub input_product_id: i64,
    /// Filled in by the server from the registry; anything a client sends here is replaced.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot: Option<InputSnapshot>,
}

/// A leader's explicit decision to harvest inside a pre-harvest interval, with the reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhiOverride {
    /// Why the interval is overridden (e.g. residue test passed, lab report number).
    pub reason: Note,
}

/// One child lot made by packing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChildLot {
    /// The new lot's code.
    pub code: LotCode,
    /// How much of the parent goes into it.
    pub quantity: Quantity,
}

// Declared through `event_body!`, which also gives `EventBody::from_stored_json` (read by a
// known kind, without serde buffering the object first).
crate::stored_body::event_body! {
    /// The typed content of an event, tagged by `type` in JSON.
    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    pub enum EventBody {
        /// Gieo hạt / trồng cây con.
        Seeding {
            /// Where the seed or seedlings came from.
            seed_source: ShortText,
            /// The seed supplier's lot number.
            #[serde(default)]
            seed_lot: Option<ShortText>,
            /// Variety, e.g. "ST25".
            #[serde(default)]
            variety: Option<ShortText>,
            /// How much seed or how many seedlings.
            quantity: Quantity,
        },
        /// Bón phân.
        Fertilizing {
            /// The fertilizer applied.
            input: AppliedInput,
            /// How much.
            amount: Quantity,
            /// How (bón lót, bón thúc, phun qua lá …).
            #[serde(default)]
            method: Option<ShortText>,
        },
        /// Phun thuốc BVTV.
        Spraying {
            /// The pesticide applied.
            input: AppliedInput,
            /// Total amount of product used.
            dose: Quantity,
            /// Area sprayed.
            #[serde(default)]
            area: Option<Quantity>,
            /// The pest or disease targeted.
            #[serde(default)]
            target_pest: Option<ShortText>,
        },
        /// Tưới nước.
        Irrigation {
            /// How (tưới rãnh, tưới nhỏ giọt …).
            #[serde(default)]
            method: Option<ShortText>,
            /// Water source (giếng khoan, kênh …).
            #[serde(default)]
            water_source: Option<ShortText>,
            /// Volume of water.
            #[serde(default)]
            amount: Option<Quantity>,
        },
        /// Quan sát, ghi chú đồng ruộng.
        Observation {
            /// What was seen, e.g. "Sâu cuốn lá".
            subject: ShortText,
        },
        /// Thu hoạch.
        Harvest {
            /// How much was harvested.
            quantity: Quantity,
            /// A leader's override of a pre-harvest interval, recorded with its reason.
            #[serde(default)]
            phi_override: Option<PhiOverride>,
        },
        /// Sơ chế, đóng gói: splits the lot into child lots.
        Packing {
            /// The child lots and what goes into each.
            children: Vec<ChildLot>,
        },
        /// This lot (or part of it) goes into another lot together with other lots.
        Merging {
            /// The lot being made.
            output_lot: LotCode,
            /// How much of this lot goes in.
            quantity: Quantity,
        },
        /// Xuất hàng.
        Shipping {
            /// From where.
            from: ShortText,
            /// To whom or where.
            to: ShortText,
            /// Delivery note or invoice number.
            #[serde(default)]
            document_ref: Option<ShortText>,
            /// How much.
            #[serde(default)]
            quantity: Option<Quantity>,
        },
        /// Nhận hàng.
        Receiving {
            /// From where.
            from: ShortText,
            /// Where it was received.
            to: ShortText,
            /// Delivery note or invoice number.
            #[serde(default)]
            document_ref: Option<ShortText>,
            /// How much.
            #[serde(default)]
            quantity: Option<Quantity>,
        },
        /// Đính chính: fixes an earlier event; the original stays in the history.
        Correction {
            /// The event being corrected.
            corrects: Uuid,
            /// Why.
            reason: Note,
            /// What it should have said (same type as the original); none voids the original.
            #[serde(default)]
            replacement: Option<Box<EventBody>>,
        },
        /// Thu hồi sản phẩm.
        Recall {
            /// Why the lot is recalled.
            reason: Note,
        },
        /// Kết thúc lô: sold out or disposed of.
        Close {
            /// Why, if worth saying.
            #[serde(default)]
            reason: Option<ShortText>,
        },
        /// A leader acknowledges that the lot's stored history was altered behind the application's
        /// back, so that logging can go on. The alteration stays visible to everyone; this only
        /// records who saw it, what they say happened, and exactly which stored history they saw.
        /// Appended by the store (never sent by a client), which fills in both digests.
        AlterationAcknowledged {
            /// The digest of the stored history before this event, as it was read when acknowledged
            /// ([`crate::chain::StoredHistory`]). A later change to that history no longer matches it.
            history: ChainHead,
            /// The head this event is linked from: the lot's recorded head when it was appended.
            previous_head: ChainHead,
            /// What the leader says happened.
            explanation: Note,
        },
        /// A leader's decision to go ahead where a rule would refuse, with the reason, recorded
        /// before the thing it allows (e.g. printing labels for a lot past its use-by date).
        Override {
            /// The rule set aside.
            rule: OverrideRule,
            /// Why.
            reason: Note,
        },
    }
}

/// A rule a leader may set aside with an [`EventBody::Override`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OverrideRule {
    /// Issue labels for a lot whose use-by date has passed.
    LabelPastUseBy,
}

impl OverrideRule {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideRule::LabelPastUseBy => "label_past_use_by",
        }
    }

    /// The one-byte tag of the canonical encoding. Never reuse or renumber a tag.
    pub fn tag(self) -> u8 {
        match self {
            OverrideRule::LabelPastUseBy => 1,
        }
    }

    /// What it allowed, in Vietnamese.
    pub fn name_vi(self) -> &'static str {
        match self {
            OverrideRule::LabelPastUseBy => "In tem cho lô đã quá hạn sử dụng",
        }
    }

    /// What it allowed, in English.
    pub fn name_en(self) -> &'static str {
        match self {
            OverrideRule::LabelPastUseBy => "Labels printed for a lot past its use-by date",
        }
    }
}

/// The type of an event without its content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// See [`EventBody::Seeding`].
    Seeding,
    /// See [`EventBody::Fertilizing`].
    Fertilizing,
    /// See [`EventBody::Spraying`].
    Spraying,
    /// See [`EventBody::Irrigation`].
    Irrigation,
    /// See [`EventBody::Observation`].
    Observation,
    /// See [`EventBody::Harvest`].
    Harvest,
    /// See [`EventBody::Packing`].
    Packing,
    /// See [`EventBody::Merging`].
    Merging,
    /// See [`EventBody::Shipping`].
    Shipping,
    /// See [`EventBody::Receiving`].
    Receiving,
    /// See [`EventBody::Correction`].
    Correction,
    /// See [`EventBody::Recall`].
    Recall,
    /// See [`EventBody::Close`].
    Close,
    /// See [`EventBody::AlterationAcknowledged`].
    AlterationAcknowledged,
    /// See [`EventBody::Override`].
    Override,
}

impl EventKind {
    /// The wire and storage name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Seeding => "seeding",
            EventKind::Fertilizing => "fertilizing",
            EventKind::Spraying => "spraying",
            EventKind::Irrigation => "irrigation",
            EventKind::Observation => "observation",
            EventKind::Harvest => "harvest",
            EventKind::Packing => "packing",
            EventKind::Merging => "merging",
            EventKind::Shipping => "shipping",
            EventKind::Receiving => "receiving",
            EventKind::Correction => "correction",
            EventKind::Recall => "recall",
            EventKind::Close => "close",
            EventKind::AlterationAcknowledged => "alteration_acknowledged",
            EventKind::Override => "override",
        }
    }

    /// The Vietnamese name farmers use.
    pub fn name_vi(self) -> &'static str {
        match self {
            EventKind::Seeding => "Gieo trồng",
            EventKind::Fertilizing => "Bón phân",
            EventKind::Spraying => "Phun thuốc BVTV",
            EventKind::Irrigation => "Tưới nước",
            EventKind::Observation => "Quan sát",
            EventKind::Harvest => "Thu hoạch",
            EventKind::Packing => "Sơ chế, đóng gói",
            EventKind::Merging => "Gộp lô",
            EventKind::Shipping => "Xuất hàng",
            EventKind::Receiving => "Nhận hàng",
            EventKind::Correction => "Đính chính",
            EventKind::Recall => "Thu hồi",
            EventKind::Close => "Kết thúc lô",
            EventKind::AlterationAcknowledged => "Xác nhận dữ liệu đã bị thay đổi",
            EventKind::Override => "Quyết định ngoại lệ của ban quản lý",
        }
    }

    /// The one-byte tag used by the canonical encoding. Never reuse or renumber a tag.
    pub fn tag(self) -> u8 {
        match self {
            EventKind::Seeding => 1,
            EventKind::Fertilizing => 2,
            EventKind::Spraying => 3,
            EventKind::Irrigation => 4,
            EventKind::Observation => 5,
            EventKind::Harvest => 6,
            EventKind::Packing => 7,
            EventKind::Merging => 8,
            EventKind::Shipping => 9,
            EventKind::Receiving => 10,
            EventKind::Correction => 11,
            EventKind::Recall => 12,
            EventKind::Close => 13,
            EventKind::AlterationAcknowledged => 14,
            EventKind::Override => 15,
        }
    }
}

impl EventBody {
    /// The type of this body.
    pub fn kind(&self) -> EventKind {
        match self {
            EventBody::Seeding { .. } => EventKind::Seeding,
            EventBody::Fertilizing { .. } => EventKind::Fertilizing,
            EventBody::Spraying { .. } => EventKind::Spraying,
            EventBody::Irrigation { .. } => EventKind::Irrigation,
            EventBody::Observation { .. } => EventKind::Observation,
            EventBody::Harvest { .. } => EventKind::Harvest,
            EventBody::Packing { .. } => EventKind::Packing,
            EventBody::Merging { .. } => EventKind::Merging,
            EventBody::Shipping { .. } => EventKind::Shipping,
            EventBody::Receiving { .. } => EventKind::Receiving,
            EventBody::Correction { .. } => EventKind::Correction,
            EventBody::Recall { .. } => EventKind::Recall,
            EventBody::Close { .. } => EventKind::Close,
            EventBody::AlterationAcknowledged { .. } => EventKind::AlterationAcknowledged,
            EventBody::Override { .. } => EventKind::Override,
        }
    }

    /// The input product this event applies, if any.
    pub fn applied_input_mut(&mut self) -> Option<&mut AppliedInput> {
        match self {
            EventBody::Fertilizing { input, .. } | EventBody::Spraying { input, .. } => Some(input),
            EventBody::Correction {
                replacement: Some(body),
                ..
            } => body.applied_input_mut(),
            _ => None,
        }
    }
}
