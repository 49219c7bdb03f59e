//! Reading an event draft from JSON field by field, so every problem names its exact field
//! (`quantity`, `children[1].code`, `replacement.amount`) in both languages. A derived
//! deserializer cannot do this for internally tagged enums: serde buffers their content and
//! loses the path.

use chrono::DateTime;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::{FieldError, ValidationErrors};
use crate::event::{AppliedInput, ChildLot, EventBody, EventDraft, GeoPoint, MAX_PHOTOS, PhiOverride, PhotoHash};
use crate::ids::LotCode;
use crate::quantity::Quantity;
use crate::text::{Note, ShortText};

/// The `type` values a client may send.
pub const EVENT_TYPES: [&str; 13] = [
    "seeding",
    "fertilizing",
    "spraying",
    "irrigation",
    "observation",
    "harvest",
    "packing",
    "merging",
    "shipping",
    "receiving",
    "correction",
    "recall",
    "close",
];

struct Reader<'o, 'e> {
    object: &'o Map<String, Value>,
    prefix: String,
    errors: &'e mut ValidationErrors,
}

fn missing(field: String) -> FieldError {
    FieldError::new(
        field,
        "required",
        "Thiếu thông tin bắt buộc.",
        "This field is required.",
    )
}

fn wrong_type(field: String, what_vi: &str, what_en: &str) -> FieldError {
    FieldError::new(
        field,
        "invalid_value",
        format!("Cần {what_vi}."),
        format!("Expected {what_en}."),
    )
}

impl<'o> Reader<'o, '_> {
    fn path(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.prefix)
        }
    }

    fn present(&self, name: &str) -> Option<&'o Value> {
        self.object.get(name).filter(|v| !v.is_null())
    }

    fn string(&mut self, name: &str, required: bool) -> Option<String> {
        match self.present(name) {
            None => {
                if required {
                    self.errors.push(missing(self.path(name)));
                }
                None
            }
            Some(Value::String(text)) if text.trim().is_empty() && !required => None,
            Some(Value::String(text)) => Some(text.clone()),
            Some(Value::Number(number)) => Some(number.to_string()),
            Some(_) => {
                self.errors
                    .push(wrong_type(self.path(name), "một chuỗi ký tự", "a string"));
                None
            }
        }
    }

    fn parsed<T>(
        &mut self,
        name: &str,
        required: bool,
        parse: impl FnOnce(&str, &str) -> Result<T, FieldError>,
    ) -> Option<T> {
        let text = self.string(name, required)?;
        match parse(&text, &self.path(name)) {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    fn short(&mut self, name: &str, required: bool) -> Option<ShortText> {
        self.parsed(name, required, ShortText::parse)
    }

    fn note(&mut self, name: &str, required: bool) -> Option<Note> {
        self.parsed(name, required, Note::parse)
    }

    fn quantity(&mut self, name: &str, required: bool) -> Option<Quantity> {
        if let Some(Value::Object(parts)) = self.present(name) {
            let value = match parts.get("value") {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    self.errors.push(missing(self.path(&format!("{name}.value"))));
                    return None;
                }
            };
            let unit = parts.get("unit").and_then(Value::as_str).unwrap_or_default().to_owned();
            return match Quantity::parse(&format!("{value} {unit}"), None, &self.path(name)) {
                Ok(q) => Some(q),
                Err(e) => {
                    self.errors.push(e);
                    None
                }
            };
        }
        self.parsed(name, required, |text, field| Quantity::parse(text, None, field))
    }

    fn input(&mut self) -> Option<AppliedInput> {
        let id = match self.present("input") {
            Some(Value::Object(input)) => input.get("input_product_id").and_then(Value::as_i64),
            Some(Value::Number(n)) => n.as_i64(),
            _ => self.present("input_product_id").and_then(Value::as_i64),
        };
        match id {
            Some(input_product_id) => Some(AppliedInput {
                input_product_id,
                snapshot: None,
            }),
            None => {
                self.errors.push(FieldError::new(
                    self.path("input_product_id"),
                    "required",
                    "Chọn vật tư (phân bón hoặc thuốc) từ danh mục của HTX.",
                    "Choose the input product from the cooperative's registry (input.input_product_id).",
                ));
                None
            }
        }
    }

    fn body(&mut self, kind: &str) -> Option<EventBody> {
        let body = match kind {
            "seeding" => {
                let seed_source = self.short("seed_source", true);
                let seed_lot = self.short("seed_lot", false);
                let variety = self.short("variety", false);
                let quantity = self.quantity("quantity", true);
                EventBody::Seeding {
                    seed_source: seed_source?,
                    seed_lot,
                    variety,
                    quantity: quantity?,
                }
            }
            "fertilizing" => {
                let input = self.input();
                let amount = self.quantity("amount", true);
                let method = self.short("method", false);
                EventBody::Fertilizing {
                    input: input?,
                    amount: amount?,
                    method,
                }
            }
            "spraying" => {
                let input = self.input();
                let dose = self.quantity("dose", true);
                let area = self.quantity("area", false);
                let target_pest = self.short("target_pest", false);
                EventBody::Spraying {
                    input: input?,
                    dose: dose?,
                    area,
                    target_pest,
                }
            }
            "irrigation" => EventBody::Irrigation {
                method: self.short("method", false),
                water_source: self.short("water_source", false),
                amount: self.quantity("amount", false),
            },
            "observation" => EventBody::Observation {
                subject: self.short("subject", true)?,
            },
            "harvest" => {
                let quantity = self.quantity("quantity", true);
                let phi_override = match self.present("phi_override") {
                    Some(Value::Object(o)) => {
                        let mut inner = Reader {
                            object: o,
                            prefix: self.path("phi_override"),
                            errors: &mut *self.errors,
                        };
                        inner.note("reason", true).map(|reason| PhiOverride { reason })
                    }
                    Some(_) => {
                        self.errors.push(wrong_type(
                            self.path("phi_override"),
                            "{\"reason\": …}",
                            "{\"reason\": …}",
                        ));
                        None
                    }
                    None => None,
                };
                EventBody::Harvest {
                    quantity: quantity?,
                    phi_override,
                }
            }
            "packing" => {
                let Some(Value::Array(items)) = self.present("children") else {
                    self.errors.push(missing(self.path("children")));
                    return None;
                };
                let mut children = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    let Value::Object(o) = item else {
                        self.errors.push(wrong_type(
                            self.path(&format!("children[{i}]")),
                            "{\"code\", \"quantity\"}",
                            "{\"code\", \"quantity\"}",
                        ));
                        continue;
                    };
                    let mut inner = Reader {
                        object: o,
                        prefix: self.path(&format!("children[{i}]")),
                        errors: &mut *self.errors,
                    };
                    let code = inner.parsed("code", true, LotCode::parse);
                    let quantity = inner.quantity("quantity", true);
                    if let (Some(code), Some(quantity)) = (code, quantity) {
                        children.push(ChildLot { code, quantity });
                    }
                }
                if children.len() != items.len() {
                    return None;
                }
                EventBody::Packing { children }
            }
            "merging" => {
                let output_lot = self.parsed("output_lot", true, LotCode::parse);
                let quantity = self.quantity("quantity", true);
                EventBody::Merging {
                    output_lot: output_lot?,
                    quantity: quantity?,
                }
            }
            "shipping" | "receiving" => {
                let from = self.short("from", true);
                let to = self.short("to", true);
                let document_ref = self.short("document_ref", false);
                let quantity = self.quantity("quantity", false);
                let (from, to) = (from?, to?);
                if kind == "shipping" {
                    EventBody::Shipping {
                        from,
                        to,
                        document_ref,
                        quantity,
                    }
                } else {
                    EventBody::Receiving {
                        from,
                        to,
                        document_ref,
                        quantity,
                    }
                }
            }
            "correction" => {
                let corrects = self.parsed("corrects", true, |text, field| {
                    Uuid::parse_str(text)
                        .map_err(|_| wrong_type(field.to_owned(), "mã sự kiện (UUID)", "an event id (UUID)"))
                });
                let reason = self.note("reason", true);
                let replacement = match self.present("replacement") {
                    Some(Value::Object(o)) => {
                        let mut inner = Reader {
                            object: o,
                            prefix: self.path("replacement"),
                            errors: &mut *self.errors,
                        };
                        let kind = inner.kind()?;
                        if kind == "correction" {
                            inner.errors.push(FieldError::new(
                                inner.path("type"),
                                "invalid_choice",
                                "Không thể đính chính bằng một đính chính khác.",
                                "A correction cannot replace an event with another correction.",
                            ));
                            return None;
                        }
                        Some(Box::new(inner.body(&kind)?))
                    }
                    Some(_) => {
                        self.errors.push(wrong_type(
                            self.path("replacement"),
                            "nội dung sự kiện",
                            "an event body",
                        ));
                        return None;
                    }
                    None => None,
                };
                EventBody::Correction {
                    corrects: corrects?,
                    reason: reason?,
                    replacement,
                }
            }
            "recall" => EventBody::Recall {
                reason: self.note("reason", true)?,
            },
            "close" => EventBody::Close {
                reason: self.short("reason", false),
            },
            _ => return None,
        };
        Some(body)
    }

    fn kind(&mut self) -> Option<String> {
        let kind = self.string("type", true)?;
        if EVENT_TYPES.contains(&kind.as_str()) {
            Some(kind)
        } else {
            let allowed = EVENT_TYPES.join(", ");
            self.errors.push(FieldError::new(
                self.path("type"),
                "invalid_choice",
                format!("Loại nhật ký \"{kind}\" không hợp lệ; chọn một trong: {allowed}."),
                format!("Unknown event type \"{kind}\"; choose one of: {allowed}."),
            ));
            None
        }
    }
}

/// Reads one event draft from a JSON object, naming every bad field under `prefix`
/// (empty for a single event, `events[3]` in a batch).
pub fn parse_draft(value: &Value, prefix: &str) -> Result<EventDraft, ValidationErrors> {
    let mut errors = ValidationErrors::default();
    let Value::Object(object) = value else {
        return Err(wrong_type(prefix.to_owned(), "một đối tượng JSON", "a JSON object").into());
    };
    let mut reader = Reader {
        object,
        prefix: prefix.to_owned(),
        errors: &mut errors,
    };
    let id = reader.parsed("id", true, |text, field| {
        Uuid::parse_str(text).map_err(|_| wrong_type(field.to_owned(), "mã sự kiện dạng UUID", "a UUID"))
    });
    let occurred_at = reader.parsed("occurred_at", true, |text, field| {
        let at = DateTime::parse_from_rfc3339(text.trim()).map_err(|_| {
            FieldError::new(
                field,
                "invalid_datetime",
                format!("\"{text}\" không phải ngày giờ kèm múi giờ, ví dụ 2026-05-02T07:30:00+07:00."),
                format!("\"{text}\" is not a date-time with its offset, e.g. 2026-05-02T07:30:00+07:00."),
            )
        })?;
        crate::not_before_2000(at.date_naive(), field)?;
        Ok(at)
    });
    let note = reader.note("note", false);
    let location = match reader.present("location") {
        Some(Value::Object(o)) => {
            let lat = o.get("lat").and_then(Value::as_f64);
            let lon = o.get("lon").and_then(Value::as_f64);
            match (lat, lon) {
                (Some(lat), Some(lon)) => match GeoPoint::from_degrees(lat, lon, &reader.path("location")) {
                    Ok(point) => Some(point),
                    Err(e) => {
                        reader.errors.push(e);
                        None
                    }
                },
                _ => {
                    reader.errors.push(wrong_type(
                        reader.path("location"),
                        "{\"lat\": số, \"lon\": số}",
                        "{\"lat\": number, \"lon\": number}",
                    ));
                    None
                }
            }
        }
        Some(_) => {
            reader.errors.push(wrong_type(
                reader.path("location"),
                "{\"lat\", \"lon\"}",
                "{\"lat\", \"lon\"}",
            ));
            None
        }
        None => None,
    };
    let mut photos = Vec::new();
    match reader.present("photos") {
        Some(Value::Array(items)) if items.len() > MAX_PHOTOS => reader.errors.push(FieldError::new(
            reader.path("photos"),
            "too_many",
            format!("Mỗi ghi chép có tối đa {MAX_PHOTOS} ảnh."),
            format!("An event has at most {MAX_PHOTOS} photos."),
        )),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                let field = reader.path(&format!("photos[{i}]"));
                match item.as_str().map(|text| PhotoHash::parse(text, &field)) {
                    Some(Ok(photo)) if !photos.contains(&photo) => photos.push(photo),
                    Some(Ok(_)) => {}
                    Some(Err(error)) => reader.errors.push(error),
                    None => reader.errors.push(wrong_type(field, "mã ảnh", "a photo hash")),
                }
            }
        }
        Some(_) => {
            let field = reader.path("photos");
            reader
                .errors
                .push(wrong_type(field, "danh sách mã ảnh", "a list of photo hashes"));
        }
        None => {}
    }
    let body = reader.kind().and_then(|kind| reader.body(&kind));
    match (id, occurred_at, body) {
        (Some(id), Some(occurred_at), Some(body)) if errors.0.is_empty() => Ok(EventDraft {
            id,
            occurred_at,
            note,
            location,
            photos,
            body,
        }),
        _ => {
            if errors.0.is_empty() {
                errors.push(wrong_type(prefix.to_owned(), "một sự kiện hợp lệ", "a valid event"));
            }
            Err(errors)
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_good_draft_parses() {
        let draft = parse_draft(
            &json!({ "id": "0193a5a0-0000-7000-8000-000000000001", "type": "fertilizing", "occurred_at": "2026-05-02T07:30:00+07:00",
                     "input": { "input_product_id": 4 }, "amount": "8 kg", "note": " bón lót " }),
            "",
        )
        .expect("valid");
        assert!(matches!(draft.body, EventBody::Fertilizing { .. }));
        assert_eq!(draft.note.map(|n| n.to_string()), Some("bón lót".into()));
    }

    #[test]
    fn every_bad_field_is_named_with_its_path() {
        let errors = parse_draft(
            &json!({ "id": "nope", "type": "packing", "occurred_at": "2026-05-02 07:30",
                     "children": [ { "code": "A1", "quantity": "5 kg" }, { "code": "LÔ 2", "quantity": "0 kg" } ] }),
            "events[3]",
        )
        .unwrap_err();
        let fields: Vec<&str> = errors.0.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(
            fields,
            vec![
                "events[3].id",
                "events[3].occurred_at",
                "events[3].children[1].code",
                "events[3].children[1].quantity"
            ]
        );
    }

    #[test]
    fn a_date_before_2000_is_refused_with_its_field() {
        let errors = parse_draft(
            &json!({ "id": "0193a5a0-0000-7000-8000-000000000001", "type": "observation", "subject": "sâu",
                     "occurred_at": "1926-05-02T07:30:00+07:00" }),
            "events[0]",
        )
        .unwrap_err();
        assert_eq!(
            (errors.0[0].field.as_str(), errors.0[0].code),
            ("events[0].occurred_at", "too_early")
        );
    }

    #[test]
    fn unknown_type_lists_the_allowed_ones() {
        let errors = parse_draft(&json!({ "id": "0193a5a0-0000-7000-8000-000000000001", "type": "dancing", "occurred_at": "2026-05-02T07:30:00+07:00" }), "").unwrap_err();
        assert_eq!(errors.0[0].field, "type");
        assert!(errors.0[0].message_en.contains("harvest"));
    }
}
