//! Nguồn's lots and events as EPCIS 2.0 JSON-LD, mapped to CBV 2.0. The document is written in
//! three parts so a whole cooperative can be streamed: [`Exporter::document_start`] (context,
//! header with the lots' master data), the events of each lot ([`Exporter::lot_events`]), and
//! [`DOCUMENT_END`].

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset};
use farm_log::{ChainHead, Dimension, Event, EventBody, GeoPoint, LotCode, LotState, Quantity, Unit};
use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use crate::ids::{
    BIZSTEP_NS, DOCUMENT_NS, NGUON_NS, PLACE_NS, cooperative_id, event_id, geo_uri, lot_class, plot_id, text_uri,
};

/// The GS1 EPCIS 2.0 JSON-LD context.
pub const EPCIS_CONTEXT: &str = "https://ref.gs1.org/standards/epcis/epcis-context.jsonld";

/// What closes a document opened by [`Exporter::document_start`].
pub const DOCUMENT_END: &str = "]}}";

/// The master-data attribute that carries a lot's own description (product, plots, parents).
pub const LOT_ATTRIBUTE: &str = "urn:nguon:epcis:lot";

/// The cooperative whose lots are exported.
#[derive(Debug, Clone)]
pub struct Cooperative {
    /// Its id here.
    pub id: i64,
    /// "HTX …".
    pub name: String,
    /// Street address, commune, province in one line.
    pub address: String,
    /// GS1 company prefix, when it has one.
    pub gs1_company_prefix: Option<String>,
    /// Global Location Number, when it has one.
    pub gln: Option<String>,
}

/// A product as the master data names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Product {
    /// "Cải ngọt".
    pub commodity: String,
    /// "Savior".
    pub variety: Option<String>,
    /// GTIN-14.
    pub gtin: Option<String>,
}

impl Product {
    /// Commodity and variety, as shown to people.
    pub fn name(&self) -> String {
        match &self.variety {
            Some(variety) => format!("{} {variety}", self.commodity),
            None => self.commodity.clone(),
        }
    }
}

/// A plot a lot grows on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plot {
    /// Its id here.
    pub id: i64,
    /// "Ruộng Đồng Chùa".
    pub name: String,
    /// Its area.
    pub area: Quantity,
    /// Commune.
    pub commune: String,
    /// Where it is.
    pub location: Option<GeoPoint>,
    /// Mã số vùng trồng.
    pub growing_area_code: Option<String>,
}

/// One lot and what the document says about it besides its events.
#[derive(Debug, Clone)]
pub struct Lot {
    /// Its code.
    pub code: LotCode,
    /// Its product.
    pub product: Product,
    /// Its plots.
    pub plots: Vec<Plot>,
    /// Its chain's genesis (head 0).
    pub genesis: ChainHead,
    /// What a packed or merged lot started with.
    pub initial: Option<Quantity>,
    /// True for a lot made by packing or merging (it exists once its parents made it).
    pub derived: bool,
}

/// A stored event with the chain head recorded after it.
#[derive(Debug, Clone)]
pub struct ChainedEvent {
    /// The event.
    pub event: Event,
    /// The chain head right after it.
    pub head: ChainHead,
}

/// One input of the merge that made a lot.
#[derive(Debug, Clone)]
pub struct MergeInput {
    /// The input lot.
    pub lot_code: String,
    /// Its product's GTIN, for its class identifier.
    pub product_gtin: Option<String>,
    /// The merging event appended to it.
    pub event: ChainedEvent,
    /// How much of it went in.
    pub quantity: Quantity,
}

/// Which events to write: those that happened in `[from, to)`, or all.
#[derive(Debug, Clone, Copy, Default)]
pub struct Window {
    /// First instant included.
    pub from: Option<DateTime<FixedOffset>>,
    /// First instant excluded.
    pub to: Option<DateTime<FixedOffset>>,
}

impl Window {
    /// The days `from` and `to` (both included), each written `dd/mm/yyyy` or `yyyy-mm-dd` and
    /// read in Vietnam's time; either may be absent. Every unreadable day, and an end before
    /// the start, is named.
    pub fn from_days(from: Option<&str>, to: Option<&str>) -> Result<Self, farm_log::ValidationErrors> {
        let mut errors = farm_log::ValidationErrors::default();
        let mut read = |raw: Option<&str>, field: &str| match raw.map(str::trim).filter(|v| !v.is_empty()) {
            None => None,
            Some(raw) => match day_start(raw, field) {
                Ok(at) => Some(at),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let from = read(from, "from");
        let to = read(to, "to").map(|day| day + chrono::Duration::days(1));
        if let (Some(from), Some(to)) = (from, to)
            && from >= to
        {
            errors.push(farm_log::FieldError::new(
                "to",
                "before_from",
                "Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.",
                "The end date must not be before the start date.",
            ));
        }
        errors.into_result()?;
        Ok(Self { from, to })
    }

    fn contains(&self, at: &DateTime<FixedOffset>) -> bool {
        self.from.is_none_or(|from| *at >= from) && self.to.is_none_or(|to| *at < to)
    }
}

/// One lot with its events and, when it was made by merging, the merge's inputs.
pub type LotWithEvents = (Lot, Vec<ChainedEvent>, Option<Vec<MergeInput>>);

/// A day written `dd/mm/yyyy` or `yyyy-mm-dd`, as the start of that day in Vietnam.
fn day_start(raw: &str, field: &str) -> Result<DateTime<FixedOffset>, farm_log::FieldError> {
    use chrono::TimeZone;
    let bad = || {
        farm_log::FieldError::new(
            field,
            "invalid_date",
            format!("\"{raw}\" không phải ngày dạng dd/mm/yyyy (ví dụ 01/09/2026)."),
            format!("\"{raw}\" is not a date written dd/mm/yyyy or yyyy-mm-dd (e.g. 01/09/2026)."),
        )
    };
    let day = chrono::NaiveDate::parse_from_str(raw, "%d/%m/%Y")
        .or_else(|_| chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d"))
        .map_err(|_| bad())?;
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| farm_log::VIETNAM_OFFSET.from_local_datetime(&t).single())
        .ok_or_else(bad)
}

/// Writes one cooperative's EPCIS documents.
#[derive(Debug, Clone)]
pub struct Exporter {
    coop: Cooperative,
    base: String,
}

fn decimal_number(value: Decimal) -> Value {
    value
        .normalize()
        .to_f64()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

/// An EPCIS quantity element; pieces are a plain count (no `uom`), as EPCIS counts instances.
fn quantity_element(class: &str, quantity: &Quantity) -> Value {
    let mut element = json!({ "epcClass": class, "quantity": decimal_number(quantity.value) });
    if quantity.unit != Unit::Piece {
        element["uom"] = Value::String(quantity.unit.code().to_owned());
    }
    element
}

fn quantity_json(quantity: &Quantity) -> Value {
    json!({ "value": quantity.value.normalize().to_string(), "unit": quantity.unit.code() })
}

fn bizstep(word: &str) -> String {
    format!("{BIZSTEP_NS}{word}")
}

impl Exporter {
    /// An exporter for `coop`, whose public pages live under `base` (no trailing slash).
    pub fn new(coop: Cooperative, base: &str) -> Self {
        Self {
            coop,
            base: base.trim_end_matches('/').to_owned(),
        }
    }

    /// The class identifier of a lot of a product with `gtin` (see [`crate::ids::lot_class`]).
    pub fn lot_class(&self, code: &str, gtin: Option<&str>) -> String {
        lot_class(
            &self.base,
            self.coop.id,
            self.coop.gs1_company_prefix.as_deref(),
            gtin,
            code,
        )
    }

    fn coop_uri(&self) -> String {
        cooperative_id(
            &self.base,
            self.coop.id,
            self.coop.gs1_company_prefix.as_deref(),
            self.coop.gln.as_deref(),
        )
    }

    /// The JSON-LD context: GS1's, plus our prefix and the extension fields that hold JSON.
    pub fn context() -> Value {
        let mut ours = Map::new();
        ours.insert("nguon".into(), Value::String(NGUON_NS.to_owned()));
        for term in ["body", "input", "corrections", "mergeInputs", "lot"] {
            ours.insert(
                format!("nguon:{term}"),
                json!({ "@id": format!("{NGUON_NS}{term}"), "@type": "@json" }),
            );
        }
        json!([EPCIS_CONTEXT, Value::Object(ours)])
    }

    /// The start of a document: context, header, master data for `lots`, and the opening of the
    /// event list. Events follow, separated by commas, then [`DOCUMENT_END`].
    pub fn document_start(&self, created: DateTime<FixedOffset>, lots: &[Lot]) -> String {
        let lot_elements: Vec<Value> = lots.iter().map(|lot| self.lot_master_data(lot)).collect();
        let mut places = vec![json!({
            "id": self.coop_uri(),
            "attributes": [
                { "id": "urn:epcglobal:cbv:mda#name", "attribute": self.coop.name },
                { "id": "urn:epcglobal:cbv:mda#streetAddressOne", "attribute": self.coop.address },
                { "id": "urn:epcglobal:cbv:mda#countryCode", "attribute": "VN" },
            ],
        })];
        let mut seen = std::collections::BTreeSet::new();
        for plot in lots.iter().flat_map(|lot| &lot.plots) {
            if seen.insert(plot.id) {
                let mut attributes = vec![
                    json!({ "id": "urn:epcglobal:cbv:mda#name", "attribute": plot.name }),
                    json!({ "id": "urn:epcglobal:cbv:mda#city", "attribute": plot.commune }),
                    json!({ "id": "urn:epcglobal:cbv:mda#countryCode", "attribute": "VN" }),
                ];
                if let Some(point) = &plot.location {
                    attributes.push(json!({ "id": "urn:epcglobal:cbv:mda#latitude", "attribute": point.lat() }));
                    attributes.push(json!({ "id": "urn:epcglobal:cbv:mda#longitude", "attribute": point.lon() }));
                }
                places.push(json!({
                    "id": plot_id(&self.base, self.coop.id, plot.id),
                    "attributes": attributes,
                    "children": [],
                }));
            }
        }
        let header = json!({
            "@context": Self::context(),
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": farm_log::canonical::canonical_datetime(&created),
            "epcisHeader": { "epcisMasterData": { "vocabularyList": [
                { "type": "urn:epcglobal:epcis:vtype:EPCClass", "vocabularyElementList": lot_elements },
                { "type": "urn:epcglobal:epcis:vtype:BusinessLocation", "vocabularyElementList": places },
            ] } },
        });
        let mut text = header.to_string();
        text.pop();
        text.push_str(",\"epcisBody\":{\"eventList\":[");
        text
    }

    fn lot_master_data(&self, lot: &Lot) -> Value {
        let plots: Vec<Value> = lot
            .plots
            .iter()
            .map(|plot| {
                json!({
                    "id": plot_id(&self.base, self.coop.id, plot.id),
                    "name": plot.name,
                    "area": quantity_json(&plot.area),
                    "commune": plot.commune,
                    "location": plot.location.map(|p| json!({ "lat_micro": p.lat_micro, "lon_micro": p.lon_micro })),
                    "growing_area_code": plot.growing_area_code,
                })
            })
            .collect();
        let description = json!({
            "code": lot.code.as_ref(),
            "derived": lot.derived,
            "genesis": lot.genesis.to_hex(),
            "product": { "commodity": lot.product.commodity, "variety": lot.product.variety, "gtin": lot.product.gtin },
            "plots": plots,
        });
        json!({
            "id": self.lot_class(lot.code.as_ref(), lot.product.gtin.as_deref()),
            "attributes": [
                { "id": "urn:epcglobal:cbv:mda#lotNumber", "attribute": lot.code.as_ref() },
                { "id": "urn:epcglobal:cbv:mda#descriptionShort", "attribute": lot.product.name() },
                { "id": "urn:epcglobal:cbv:mda#countryOfOrigin", "attribute": "VN" },
                { "id": LOT_ATTRIBUTE, "attribute": description },
            ],
        })
    }

    /// The EPCIS events of one lot, in chain order: each event but corrections and merging as an
    /// ObjectEvent or (packing) a TransformationEvent; `merge` — the inputs when the lot was made
    /// by merging — as one TransformationEvent first. Corrected events carry an
    /// `errorDeclaration`; each correction with new content adds a corrective event.
    pub fn lot_events(
        &self,
        lot: &Lot,
        events: &[ChainedEvent],
        merge: Option<&[MergeInput]>,
        window: Window,
    ) -> Vec<Value> {
        let class = self.lot_class(lot.code.as_ref(), lot.product.gtin.as_deref());
        let location = match lot.plots.as_slice() {
            [only] if !lot.derived => plot_id(&self.base, self.coop.id, only.id),
            _ => self.coop_uri(),
        };
        let mut out = Vec::new();
        if let Some(inputs) = merge
            && let Some(first) = inputs.first()
            && window.contains(&first.event.event.occurred_at)
        {
            out.push(self.merge_event(lot, &class, inputs));
        }
        let mut corrections: HashMap<Uuid, Vec<&ChainedEvent>> = HashMap::new();
        for chained in events {
            if let EventBody::Correction { corrects, .. } = &chained.event.body {
                corrections.entry(*corrects).or_default().push(chained);
            }
        }
        let originals: HashMap<Uuid, &ChainedEvent> = events.iter().map(|e| (e.event.id, e)).collect();
        let mut state = LotState::new(lot.initial);
        for chained in events {
            let event = &chained.event;
            let held = holdings(&state);
            state.push(event.clone());
            if !window.contains(&event.occurred_at) {
                continue;
            }
            match &event.body {
                EventBody::Merging { .. } => {}
                EventBody::Correction {
                    corrects, replacement, ..
                } => {
                    if let (Some(body), Some(original)) = (replacement, originals.get(corrects)) {
                        let mut corrective =
                            self.object_event(lot, &class, &location, &original.event, body, &chained.head, &held);
                        corrective["recordTime"] = Value::String(stamp(&event.recorded_at));
                        corrective["nguon:corrects"] = Value::String(corrects.to_string());
                        corrective["nguon:eventId"] = Value::String(event.id.to_string());
                        corrective["nguon:seq"] = json!(event.seq);
                        // A later correction of the same event supersedes this one.
                        let list = corrections.get(corrects).map(Vec::as_slice).unwrap_or_default();
                        if let Some(position) = list.iter().position(|c| c.event.id == event.id)
                            && let Some(next) = list.get(position + 1)
                        {
                            corrective["errorDeclaration"] = declaration(next, &[]);
                        }
                        out.push(corrective);
                    }
                }
                EventBody::Packing { children } => out.push(self.packing_event(lot, &class, chained, children)),
                body => {
                    let mut value = self.object_event(lot, &class, &location, event, body, &chained.head, &held);
                    if let Some(list) = corrections.get(&event.id) {
                        value["errorDeclaration"] = declaration(list.last().copied().unwrap_or(chained), list);
                    }
                    out.push(value);
                }
            }
        }
        out
    }

    fn common(&self, kind: &str, lot: &Lot, event: &Event, id: &ChainHead) -> Value {
        let mut value = json!({
            "type": kind,
            "eventTime": stamp(&event.occurred_at),
            "eventTimeZoneOffset": event.occurred_at.offset().to_string(),
            "recordTime": stamp(&event.recorded_at),
            "eventID": event_id(id),
            "nguon:eventId": event.id.to_string(),
            "nguon:seq": event.seq,
            "nguon:lot": lot.code.as_ref(),
            "nguon:chainHead": id.to_hex(),
        });
        if let Some(note) = &event.note {
            value["nguon:note"] = Value::String(note.to_string());
        }
        if !event.photos.is_empty() {
            value["nguon:photos"] = json!(event.photos.iter().map(|p| p.to_hex()).collect::<Vec<_>>());
        }
        if let Some(point) = &event.location {
            value["readPoint"] = json!({ "id": geo_uri(point) });
        }
        value
    }

    #[allow(clippy::too_many_arguments)]
    fn object_event(
        &self,
        lot: &Lot,
        class: &str,
        location: &str,
        event: &Event,
        body: &EventBody,
        head: &ChainHead,
        held: &[Quantity],
    ) -> Value {
        let mut value = self.common("ObjectEvent", lot, event, head);
        value["action"] = json!("OBSERVE");
        value["bizLocation"] = json!({ "id": location });
        value["nguon:body"] = serde_json::to_value(body).unwrap_or(Value::Null);
        let mut what: Vec<Value> = Vec::new();
        match body {
            EventBody::Seeding {
                seed_source,
                seed_lot,
                variety,
                quantity,
            } => {
                value["bizStep"] = json!(bizstep("sowing"));
                value["nguon:input"] = json!({
                    "kind": "seed", "source": seed_source.as_ref(), "seedLot": seed_lot.as_ref().map(AsRef::<str>::as_ref),
                    "variety": variety.as_ref().map(AsRef::<str>::as_ref), "quantity": quantity_json(quantity),
                });
            }
            EventBody::Fertilizing { input, amount, method } => {
                value["bizStep"] = json!(bizstep("fertilizing"));
                value["nguon:input"] = input_json(input, amount, method.as_ref().map(AsRef::as_ref), None, None);
            }
            EventBody::Spraying {
                input,
                dose,
                area,
                target_pest,
            } => {
                value["bizStep"] = json!(bizstep("spraying"));
                value["nguon:input"] = input_json(
                    input,
                    dose,
                    None,
                    area.as_ref(),
                    target_pest.as_ref().map(AsRef::as_ref),
                );
            }
            EventBody::Irrigation {
                method,
                water_source,
                amount,
            } => {
                value["bizStep"] = json!(bizstep("irrigating"));
                value["nguon:input"] = json!({
                    "kind": "water", "method": method.as_ref().map(AsRef::<str>::as_ref),
                    "source": water_source.as_ref().map(AsRef::<str>::as_ref), "quantity": amount.as_ref().map(quantity_json),
                });
            }
            EventBody::Observation { .. } => value["bizStep"] = json!("inspecting"),
            EventBody::Harvest { quantity, .. } => {
                value["action"] = json!("ADD");
                value["bizStep"] = json!("creating_class_instance");
                value["disposition"] = json!("active");
                what.push(quantity_element(class, quantity));
                value["ilmd"] = json!({
                    "cbvmda:lotNumber": lot.code.as_ref(),
                    "cbvmda:countryOfOrigin": "VN",
                });
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
                let shipping = matches!(body, EventBody::Shipping { .. });
                value["bizStep"] = json!(if shipping { "shipping" } else { "receiving" });
                value["disposition"] = json!(if shipping { "in_transit" } else { "in_progress" });
                value["bizLocation"] = json!({ "id": self.coop_uri() });
                let mut sources = vec![json!({ "type": "location", "source": text_uri(PLACE_NS, from.as_ref()) })];
                let mut destinations =
                    vec![json!({ "type": "location", "destination": text_uri(PLACE_NS, to.as_ref()) })];
                if shipping {
                    sources.push(json!({ "type": "owning_party", "source": self.coop_uri() }));
                } else {
                    destinations.push(json!({ "type": "owning_party", "destination": self.coop_uri() }));
                }
                value["sourceList"] = Value::Array(sources);
                value["destinationList"] = Value::Array(destinations);
                if let Some(reference) = document_ref {
                    value["bizTransactionList"] =
                        json!([{ "type": "desadv", "bizTransaction": text_uri(DOCUMENT_NS, reference.as_ref()) }]);
                }
                if let Some(quantity) = quantity {
                    what.push(quantity_element(class, quantity));
                }
            }
            EventBody::Recall { .. } => {
                value["bizStep"] = json!("holding");
                value["disposition"] = json!("recalled");
                value["persistentDisposition"] = json!({ "set": ["recalled"] });
                value["bizLocation"] = json!({ "id": self.coop_uri() });
                what.extend(held.iter().map(|q| quantity_element(class, q)));
            }
            EventBody::Close { .. } => {
                value["action"] = json!("DELETE");
                value["bizStep"] = json!("decommissioning");
                value["disposition"] = json!("inactive");
                value["bizLocation"] = json!({ "id": self.coop_uri() });
                what.extend(held.iter().map(|q| quantity_element(class, q)));
            }
            // Records about the record, not about the produce: a leader's decision to set a rule
            // aside, and a leader's acknowledgement that the stored history was altered.
            EventBody::Override { .. } => value["bizStep"] = json!(bizstep("overriding_rule")),
            EventBody::AlterationAcknowledged { .. } => value["bizStep"] = json!(bizstep("acknowledging_alteration")),
            EventBody::Packing { .. } | EventBody::Merging { .. } | EventBody::Correction { .. } => {}
        }
        if what.is_empty() {
            // The crop growing on its plot has no identifier of its own before harvest creates
            // the lot's class, so the lot is named by `nguon:lot` and the place by bizLocation.
            value["epcList"] = json!([]);
        } else {
            value["quantityList"] = Value::Array(what);
        }
        value
    }

    fn packing_event(&self, lot: &Lot, class: &str, chained: &ChainedEvent, children: &[farm_log::ChildLot]) -> Value {
        let mut value = self.common("TransformationEvent", lot, &chained.event, &chained.head);
        let mut taken: BTreeMap<Unit, Decimal> = BTreeMap::new();
        for child in children {
            *taken.entry(child.quantity.unit).or_default() += child.quantity.value;
        }
        value["inputQuantityList"] = Value::Array(
            taken
                .into_iter()
                .map(|(unit, value)| quantity_element(class, &Quantity { value, unit }))
                .collect(),
        );
        value["outputQuantityList"] = Value::Array(
            children
                .iter()
                .map(|child| {
                    quantity_element(
                        &self.lot_class(child.code.as_ref(), lot.product.gtin.as_deref()),
                        &child.quantity,
                    )
                })
                .collect(),
        );
        value["bizStep"] = json!("packing");
        value["disposition"] = json!("active");
        value["bizLocation"] = json!({ "id": self.coop_uri() });
        value["ilmd"] = json!({ "cbvmda:countryOfOrigin": "VN" });
        value["nguon:body"] = serde_json::to_value(&chained.event.body).unwrap_or(Value::Null);
        value
    }

    fn merge_event(&self, lot: &Lot, class: &str, inputs: &[MergeInput]) -> Value {
        let first = &inputs[0].event.event;
        // One EPCIS event stands for the merging event on every input; its id is the output
        // lot's genesis, which commits to each input's head right after its merging event.
        let mut value = self.common("TransformationEvent", lot, first, &lot.genesis);
        if let Some(map) = value.as_object_mut() {
            map.remove("nguon:eventId");
            map.remove("nguon:seq");
        }
        value["inputQuantityList"] = Value::Array(
            inputs
                .iter()
                .map(|input| {
                    quantity_element(
                        &self.lot_class(&input.lot_code, input.product_gtin.as_deref()),
                        &input.quantity,
                    )
                })
                .collect(),
        );
        let mut total: BTreeMap<Dimension, Decimal> = BTreeMap::new();
        for input in inputs {
            *total.entry(input.quantity.unit.dimension()).or_default() += input.quantity.in_base_unit();
        }
        value["outputQuantityList"] = Value::Array(
            total
                .into_iter()
                .map(|(dimension, value)| {
                    quantity_element(
                        class,
                        &Quantity {
                            value,
                            unit: Unit::base_of(dimension),
                        },
                    )
                })
                .collect(),
        );
        value["bizStep"] = json!("repackaging");
        value["disposition"] = json!("active");
        value["bizLocation"] = json!({ "id": self.coop_uri() });
        value["ilmd"] = json!({ "cbvmda:lotNumber": lot.code.as_ref(), "cbvmda:countryOfOrigin": "VN" });
        value["nguon:mergeInputs"] = Value::Array(
            inputs
                .iter()
                .map(|input| {
                    json!({
                        "lot": input.lot_code,
                        "eventId": input.event.event.id.to_string(),
                        "seq": input.event.event.seq,
                        "quantity": quantity_json(&input.quantity),
                        "chainHead": input.event.head.to_hex(),
                        "recordTime": stamp(&input.event.event.recorded_at),
                    })
                })
                .collect(),
        );
        value
    }

    /// A whole document in memory (one lot's genealogy, or a test's cooperative).
    pub fn document(&self, created: DateTime<FixedOffset>, lots: &[LotWithEvents]) -> Value {
        let meta: Vec<Lot> = lots.iter().map(|(lot, _, _)| lot.clone()).collect();
        let mut text = self.document_start(created, &meta);
        let mut first = true;
        for (lot, events, merge) in lots {
            for event in self.lot_events(lot, events, merge.as_deref(), Window::default()) {
                if !first {
                    text.push(',');
                }
                first = false;
                text.push_str(&event.to_string());
            }
        }
        text.push_str(DOCUMENT_END);
        serde_json::from_str(&text).unwrap_or(Value::Null)
    }
}

/// A timestamp as stored and hashed (with its offset).
fn stamp(at: &DateTime<FixedOffset>) -> String {
    farm_log::canonical::canonical_datetime(at)
}

/// What a lot holds before an event, per dimension in its base unit (only what is above zero).
fn holdings(state: &LotState) -> Vec<Quantity> {
    [Dimension::Mass, Dimension::Volume, Dimension::Count, Dimension::Area]
        .into_iter()
        .filter_map(|dimension| {
            let value = state.available(dimension);
            (value > Decimal::ZERO).then(|| Quantity {
                value: value.normalize(),
                unit: Unit::base_of(dimension),
            })
        })
        .collect()
}

fn input_json(
    input: &farm_log::AppliedInput,
    amount: &Quantity,
    method: Option<&str>,
    area: Option<&Quantity>,
    target: Option<&str>,
) -> Value {
    let snapshot = input.snapshot.as_ref();
    json!({
        "kind": snapshot.map(|s| s.kind.as_str()),
        "tradeName": snapshot.map(|s| s.trade_name.as_str()),
        "activeIngredients": snapshot.map(|s| s.active_ingredients.clone()),
        "registrationNumber": snapshot.and_then(|s| s.registration_number.clone()),
        "preHarvestIntervalDays": snapshot.and_then(|s| s.phi_days),
        "quantity": quantity_json(amount),
        "method": method,
        "area": area.map(quantity_json),
        "targetPest": target,
    })
}

/// The error declaration a correction makes about the event it corrects. `all` lists every
/// correction of that event, for a reader that wants the whole story (ours does).
fn declaration(correction: &ChainedEvent, all: &[&ChainedEvent]) -> Value {
    let (reason, corrective) = match &correction.event.body {
        EventBody::Correction {
            replacement: Some(_), ..
        } => ("incorrect_data", vec![Value::String(event_id(&correction.head))]),
        _ => ("did_not_occur", Vec::new()),
    };
    let mut value = json!({
        "declarationTime": stamp(&correction.event.occurred_at),
        "reason": reason,
        "correctiveEventIDs": corrective,
    });
    if !all.is_empty() {
        value["nguon:corrections"] = Value::Array(
            all.iter()
                .map(|c| {
                    let (reason, replacement) = match &c.event.body {
                        EventBody::Correction {
                            reason, replacement, ..
                        } => (reason.to_string(), replacement.as_deref()),
                        _ => (String::new(), None),
                    };
                    json!({
                        "eventId": c.event.id.to_string(),
                        "seq": c.event.seq,
                        "occurredAt": stamp(&c.event.occurred_at),
                        "recordTime": stamp(&c.event.recorded_at),
                        "note": c.event.note.as_ref().map(ToString::to_string),
                        "reason": reason,
                        "location": c.event.location.map(|p| json!({ "lat_micro": p.lat_micro, "lon_micro": p.lon_micro })),
                        "photos": c.event.photos.iter().map(|p| p.to_hex()).collect::<Vec<_>>(),
                        "replacement": replacement.map(|b| serde_json::to_value(b).unwrap_or(Value::Null)),
                        "chainHead": c.head.to_hex(),
                    })
                })
                .collect(),
        );
    }
    value
}
