//! Reading a stored event body whose type is already known (the events table keeps it in its
//! own `kind` column) without serde's buffering.
//!
//! `EventBody` is tagged inside its JSON (`{"type": "harvest", …}`). serde reads such an enum by
//! first collecting the whole object into a generic tree, then picking the variant and reading
//! the tree again; for the many small events `nguon verify` reads, that was a fifth of its time.
//! When the type is known beforehand, the object can be read straight into its variant.
//! [`event_body!`] declares the enum once and, beside it, a private mirror whose variants are
//! chosen from outside (by [`ByKind`]) and that reads `type` as one more field, so that a body is
//! still refused when its `type` is missing, repeated or not the kind it was stored under.

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use crate::event::EventKind;

/// Declares `EventBody` as written, plus `StoredBody`, a mirror with the same variants, fields
/// and field attributes, read by [`ByKind`], and `EventBody::from_stored_json`.
macro_rules! event_body {
    (
        $(#[$enum_meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$variant_meta:meta])*
                $variant:ident {
                    $( $(#[$field_meta:meta])* $field:ident : $ty:ty ),* $(,)?
                }
            ),* $(,)?
        }
    ) => {
        $(#[$enum_meta])*
        pub enum $name {
            $( $(#[$variant_meta])* $variant { $( $(#[$field_meta])* $field : $ty ),* } ),*
        }

        /// `EventBody` read with its variant chosen beforehand; `type` is read as a field.
        #[derive(::serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        enum StoredBody {
            $(
                $variant {
                    #[serde(rename = "type")]
                    stored_type: $crate::stored_body::StoredType,
                    $( $(#[$field_meta])* $field : $ty ),*
                }
            ),*
        }

        impl $name {
            /// Reads a body stored as JSON whose type is `kind` (as [`EventKind::as_str`] names
            /// it), which is what decides the variant; faster, as nothing is read twice. Whatever
            /// it reads, `serde_json::from_str` reads as the same body. It refuses a body whose
            /// own `type` is missing, repeated, not a string or another kind, and one not plainly
            /// written (escapes, exponents …: see `plainly_written`), which the caller then
            /// reads the tagged way.
            pub fn from_stored_json(kind: &str, json: &str) -> Result<$name, serde_json::Error> {
                if !$crate::stored_body::plainly_written(json) {
                    return Err(<serde_json::Error as ::serde::de::Error>::custom(
                        "not plainly written: read it with serde_json::from_str",
                    ));
                }
                let mut reader = serde_json::Deserializer::from_str(json);
                let stored: StoredBody =
                    ::serde::Deserialize::deserialize($crate::stored_body::ByKind { kind, reader: &mut reader })?;
                reader.end()?;
                match stored {
                    $(
                        StoredBody::$variant { stored_type, $($field),* } => {
                            let body = $name::$variant { $($field),* };
                            if stored_type.0 == body.kind() {
                                Ok(body)
                            } else {
                                Err(<serde_json::Error as ::serde::de::Error>::custom(format!(
                                    "the body's type is {} but it is stored as {}",
                                    stored_type.0.as_str(),
                                    body.kind().as_str()
                                )))
                            }
                        }
                    ),*
                }
            }
        }
    };
}

pub(crate) use event_body;

/// A body's own `type`, read only from a JSON string, as the tagged reading reads it (serde
/// would also take an enum's object form, `{"harvest": null}`, for an `EventKind`).
pub(crate) struct StoredType(pub(crate) EventKind);

impl<'de> de::Deserialize<'de> for StoredType {
    fn deserialize<D: de::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Text;
        impl Visitor<'_> for Text {
            type Value = StoredType;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an event type as a string")
            }
            fn visit_str<E: de::Error>(self, text: &str) -> Result<StoredType, E> {
                let kind: de::value::StrDeserializer<'_, E> = text.into_deserializer();
                EventKind::deserialize(kind).map(StoredType)
            }
        }
        deserializer.deserialize_str(Text)
    }
}

/// Whether `json` holds nothing that serde_json skips more leniently than it reads, so that an
/// unknown key's value (which the mirror skips, where the tagged reading reads it whole) cannot
/// make one reading refuse what the other accepts: no escapes (a lone surrogate), no digit
/// followed by an `e` and fewer than 300 digits in all (a number beyond `f64`), at most 100
/// objects and arrays (nesting past serde_json's limit of 128). Stored bodies are written by
/// serde_json and nearly all pass; the rest are read the tagged way. Counted without a branch per
/// byte, so the compiler vectorizes it: a loop deciding byte by byte cost as much as the
/// buffering this reading saves.
pub(crate) fn plainly_written(json: &str) -> bool {
    let bytes = json.as_bytes();
    if bytes.len() < 2 || bytes.contains(&b'\\') {
        return false;
    }
    let (mut opened, mut digits, mut exponent) = (0usize, 0usize, false);
    // Each byte with the next one; counted in chunks of 64 into bytes, which vectorizes.
    let pairs = bytes.len() - 1;
    for (these, next) in bytes[..pairs].chunks(64).zip(bytes[1..].chunks(64)) {
        let (mut open, mut digit_count, mut exp) = (0u8, 0u8, 0u8);
        for (&byte, &after) in these.iter().zip(next) {
            open += u8::from((byte == b'{') | (byte == b'['));
            let digit = byte.wrapping_sub(b'0') < 10;
            digit_count += u8::from(digit);
            exp |= u8::from(digit & ((after | 0x20) == b'e'));
        }
        opened += usize::from(open);
        digits += usize::from(digit_count);
        exponent |= exp != 0;
    }
    // The last byte has no next one: it only counts.
    let last = bytes[pairs];
    opened += usize::from((last == b'{') | (last == b'['));
    digits += usize::from(last.is_ascii_digit());
    opened <= 100 && digits < 300 && !exponent
}

/// Presents a JSON object as an externally tagged enum whose variant is `kind`: the mirror's
/// derived reader then takes the object's fields straight from the JSON.
pub(crate) struct ByKind<'a, 'de> {
    pub(crate) kind: &'a str,
    pub(crate) reader: &'a mut serde_json::Deserializer<serde_json::de::StrRead<'de>>,
}

impl<'de> de::Deserializer<'de> for ByKind<'_, 'de> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("a stored event body is read as an enum only"))
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_enum(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf option
        unit unit_struct newtype_struct seq tuple tuple_struct map struct identifier ignored_any
    }
}

impl<'de> de::EnumAccess<'de> for ByKind<'_, 'de> {
    type Error = serde_json::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), Self::Error> {
        let kind: de::value::StrDeserializer<'_, serde_json::Error> = self.kind.into_deserializer();
        Ok((seed.deserialize(kind)?, self))
    }
}

impl<'de> de::VariantAccess<'de> for ByKind<'_, 'de> {
    type Error = serde_json::Error;

    fn unit_variant(self) -> Result<(), Self::Error> {
        Err(de::Error::custom("every event body has fields"))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value, Self::Error> {
        Err(de::Error::custom("every event body has fields"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value, Self::Error> {
        Err(de::Error::custom("every event body has fields"))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        de::Deserializer::deserialize_struct(&mut *self.reader, "EventBody", fields, visitor)
    }
}

#[cfg(test)]
mod tests {
    use crate::event::{AppliedInput, ChildLot, EventBody, InputSnapshot, OverrideRule, PhiOverride};
    use crate::{ChainHead, InputKind, LotCode, Note, Quantity, ShortText};

    fn text(value: &str) -> ShortText {
        ShortText::parse(value, "t").expect("short text")
    }

    fn note(value: &str) -> Note {
        Note::parse(value, "n").expect("note")
    }

    fn qty(value: &str) -> Quantity {
        Quantity::parse(value, None, "q").expect("quantity")
    }

    fn code(value: &str) -> LotCode {
        LotCode::parse(value, "c").expect("lot code")
    }

    /// One body of every kind, with its optional fields both filled and left out.
    fn every_kind() -> Vec<EventBody> {
        let input = AppliedInput {
            input_product_id: 7,
            snapshot: Some(InputSnapshot {
                trade_name: "Regent 800WG".to_owned(),
                kind: InputKind::Pesticide,
                active_ingredients: vec!["Fipronil".to_owned()],
                registration_number: Some("VN-123".to_owned()),
                phi_days: Some(14),
            }),
        };
        let head = ChainHead::from_hex(&"ab".repeat(32)).expect("head");
        vec![
            EventBody::Seeding {
                seed_source: text("Viện lúa ĐBSCL"),
                seed_lot: Some(text("L-12")),
                variety: Some(text("ST25")),
                quantity: qty("40 kg"),
            },
            EventBody::Seeding {
                seed_source: text("HTX"),
                seed_lot: None,
                variety: None,
                quantity: qty("1000 cây"),
            },
            EventBody::Fertilizing {
                input: AppliedInput {
                    input_product_id: 8,
                    snapshot: None,
                },
                amount: qty("12.5 kg"),
                method: Some(text("bón thúc")),
            },
            EventBody::Spraying {
                input,
                dose: qty("0.5 l"),
                area: Some(qty("2000 m2")),
                target_pest: Some(text("Rầy nâu")),
            },
            EventBody::Irrigation {
                method: None,
                water_source: Some(text("kênh")),
                amount: None,
            },
            EventBody::Observation {
                subject: text("Sâu cuốn lá"),
            },
            EventBody::Harvest {
                quantity: qty("1.2 tấn"),
                phi_override: Some(PhiOverride {
                    reason: note("Mưa bão, thu sớm"),
                }),
            },
            EventBody::Packing {
                children: vec![ChildLot {
                    code: code("ST25-A1"),
                    quantity: qty("500 kg"),
                }],
            },
            EventBody::Merging {
                output_lot: code("ST25-M"),
                quantity: qty("200 kg"),
            },
            EventBody::Shipping {
                from: text("Kho HTX"),
                to: text("Siêu thị"),
                document_ref: Some(text("PX-01")),
                quantity: Some(qty("300 kg")),
            },
            EventBody::Receiving {
                from: text("HTX A"),
                to: text("Kho B"),
                document_ref: None,
                quantity: None,
            },
            EventBody::Correction {
                corrects: uuid::Uuid::nil(),
                reason: note("Ghi nhầm số lượng"),
                replacement: Some(Box::new(EventBody::Harvest {
                    quantity: qty("1.1 tấn"),
                    phi_override: None,
                })),
            },
            EventBody::Recall {
                reason: note("Dư lượng vượt ngưỡng"),
            },
            EventBody::Close { reason: None },
            EventBody::AlterationAcknowledged {
                history: head,
                previous_head: head,
                explanation: note("Máy chủ bị sửa tay"),
            },
            EventBody::Override {
                rule: OverrideRule::LabelPastUseBy,
                reason: note("Hàng còn tốt"),
            },
        ]
    }

    #[test]
    fn a_stored_body_reads_back_the_same_by_its_kind_as_by_its_tag() {
        let bodies = every_kind();
        let kinds: std::collections::HashSet<_> = bodies.iter().map(|b| b.kind()).collect();
        assert_eq!(kinds.len(), 15, "every kind is covered");
        for body in bodies {
            let json = serde_json::to_string(&body).expect("json");
            let kind = body.kind().as_str();
            assert_eq!(EventBody::from_stored_json(kind, &json).expect(kind), body);
            assert_eq!(serde_json::from_str::<EventBody>(&json).expect(kind), body);
        }
    }

    #[test]
    fn a_body_whose_type_is_missing_repeated_or_another_kind_is_refused() {
        let json = r#"{"type":"observation","subject":"Sâu"}"#;
        assert!(EventBody::from_stored_json("observation", json).is_ok());
        let refused = [
            ("recall", json),
            ("observation", r#"{"subject":"Sâu"}"#),
            (
                "observation",
                r#"{"type":"observation","subject":"Sâu","type":"observation"}"#,
            ),
            ("observation", r#"{"type":"recall","subject":"Sâu"}"#),
            ("observation", r#"{"type":"observation","subject":"Sâu"} trailing"#),
            ("observation", r#"{"type":"observation"}"#),
            ("no_such_kind", json),
            ("observation", "[]"),
            // The type in an enum's object form, which serde takes for an enum but the tagged
            // reading does not.
            ("observation", r#"{"type":{"observation":null},"subject":"Sâu"}"#),
        ];
        for (kind, json) in refused {
            assert!(EventBody::from_stored_json(kind, json).is_err(), "{kind} {json}");
        }
        // The bodies refused whatever their kind are refused by the tagged reading too.
        for (_, json) in refused[1..6].iter().chain(&refused[8..]) {
            assert!(serde_json::from_str::<EventBody>(json).is_err(), "{json}");
        }
    }

    #[test]
    fn an_unknown_key_whose_value_the_tagged_reading_refuses_is_refused_too() {
        let deep = format!("{}{}", "[".repeat(130), "]".repeat(130));
        let long = "9".repeat(400);
        for value in ["1e400", "-2.5E+999", r#""\ud800""#, deep.as_str(), long.as_str()] {
            for json in [
                format!(r#"{{"type":"observation","subject":"Sâu","z":{value}}}"#),
                format!(r#"{{"type":"harvest","quantity":{{"value":"12","unit":"kg","z":{value}}}}}"#),
            ] {
                let kind = if json.contains("harvest") {
                    "harvest"
                } else {
                    "observation"
                };
                assert!(serde_json::from_str::<EventBody>(&json).is_err(), "{json}");
                assert!(EventBody::from_stored_json(kind, &json).is_err(), "{json}");
            }
        }
        // Unknown keys with ordinary values are skipped by both readings alike.
        let json = r#"{"type":"harvest","quantity":{"value":"12","unit":"kg","z":[1,{"a":2.5}]},"y":null}"#;
        assert_eq!(
            EventBody::from_stored_json("harvest", json).ok(),
            serde_json::from_str::<EventBody>(json).ok()
        );
        assert!(EventBody::from_stored_json("harvest", json).is_ok());
    }

    #[test]
    fn plainness_is_decided_over_the_whole_text() {
        use super::plainly_written;
        assert!(plainly_written(
            r#"{"type":"harvest","quantity":{"value":"12.5","unit":"KGM"}}"#
        ));
        let filler = "a".repeat(63);
        for text in [
            r#"{"a":"x\"y"}"#.to_owned(),
            "[12e5]".to_owned(),
            "[12E5]".to_owned(),
            "[1.5e-3]".to_owned(),
            format!("{filler}1e"),
            format!("{filler}{filler}9E"),
            "[".repeat(101),
            "9".repeat(300),
            format!("[{}]", ["1"; 300].join(",")),
        ] {
            assert!(!plainly_written(&text), "{text}");
        }
        assert!(plainly_written(&"[".repeat(100)));
        assert!(plainly_written(&"9".repeat(299)));
    }
}
