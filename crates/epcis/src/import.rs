//! Reading an EPCIS document that Nguồn exported back into lots and the steps that rebuild them:
//! growing lots with their product and plots, then every event (with its id, time, quantities,
//! note, place and photos) in an order the chain rules accept — a lot's events by sequence
//! number, packing before the lots it makes are used, a merge once each input reached it.
//!
//! Only our own documents can be read back: the CBV fields say what happened for anyone, and the
//! `nguon:` extension fields carry what is needed to rebuild it exactly.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, FixedOffset};
use farm_log::event::EventDraft;
use farm_log::{EventBody, GeoPoint, LotCode, Note, PhotoHash, Quantity};
use serde::Deserialize;
use serde_json::Value;
use uuid::Uuid;

use crate::export::{LOT_ATTRIBUTE, Product};
use crate::ids::parse_geo_uri;

/// A problem with the document, and where it is.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct ImportError {
    /// Where in the document, e.g. `epcisBody.eventList[3].nguon:body`.
    pub path: String,
    /// What is wrong, in plain English.
    pub message: String,
}

fn error(path: impl Into<String>, message: impl Into<String>) -> ImportError {
    ImportError {
        path: path.into(),
        message: message.into(),
    }
}

/// A plot as the document describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPlot {
    /// Its name; plots are matched by name in the target cooperative.
    pub name: String,
    /// Area.
    pub area: Quantity,
    /// Commune.
    pub commune: String,
    /// Where it is.
    pub location: Option<GeoPoint>,
    /// Mã số vùng trồng.
    pub growing_area_code: Option<String>,
}

/// A lot the document describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanLot {
    /// Its code.
    pub code: LotCode,
    /// Its product.
    pub product: Product,
    /// Its plots.
    pub plots: Vec<PlanPlot>,
    /// Made by packing or merging (created by those steps, not up front).
    pub derived: bool,
}

/// One step of rebuilding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// Append this event to this lot. An applied input carries the snapshot it had; the
    /// importer finds or makes the matching entry in the target registry.
    Append {
        /// The lot.
        lot_code: LotCode,
        /// The event as first sent, with its original id and time.
        draft: EventDraft,
    },
    /// Merge lots into a new one.
    Merge {
        /// The lot made.
        output: LotCode,
        /// When.
        occurred_at: DateTime<FixedOffset>,
        /// The note on each merging event.
        note: Option<Note>,
        /// Each input lot, how much of it, and the id of its merging event.
        inputs: Vec<(LotCode, Quantity, Uuid)>,
    },
}

/// Everything needed to rebuild what a document describes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// The lots, growing ones first to be created.
    pub lots: Vec<PlanLot>,
    /// The steps in an order the chain rules accept.
    pub steps: Vec<Step>,
}

impl Plan {
    /// How many of our events the steps write (a merge writes one per input).
    pub fn event_count(&self) -> usize {
        self.steps
            .iter()
            .map(|step| match step {
                Step::Append { .. } => 1,
                Step::Merge { inputs, .. } => inputs.len(),
            })
            .sum()
    }
}

#[derive(Debug, Deserialize)]
struct LotDescription {
    code: String,
    derived: bool,
    product: ProductDescription,
    plots: Vec<PlotDescription>,
}

#[derive(Debug, Deserialize)]
struct ProductDescription {
    commodity: String,
    variety: Option<String>,
    gtin: Option<String>,
}

#[derive(Debug, Deserialize)]
struct PlotDescription {
    name: String,
    area: Quantity,
    commune: String,
    location: Option<GeoPoint>,
    growing_area_code: Option<String>,
}

#[derive(Debug, Deserialize)]
struct CorrectionDescription {
    #[serde(rename = "eventId")]
    event_id: Uuid,
    seq: u64,
    #[serde(rename = "occurredAt")]
    occurred_at: String,
    #[serde(rename = "recordTime")]
    record_time: String,
    note: Option<String>,
    reason: String,
    #[serde(default)]
    location: Option<GeoPoint>,
    #[serde(default)]
    photos: Vec<String>,
    replacement: Option<EventBody>,
}

#[derive(Debug, Deserialize)]
struct MergeInputDescription {
    lot: String,
    #[serde(rename = "eventId")]
    event_id: Uuid,
    seq: u64,
    quantity: Quantity,
    #[serde(rename = "recordTime")]
    record_time: String,
}

/// A lot's next event, waiting for its turn.
#[derive(Debug)]
enum Item {
    Append(Box<EventDraft>, DateTime<FixedOffset>),
    Merge(usize),
    /// An acknowledgement of an alteration in the source database: it attests that database's
    /// stored history, which an import does not bring, so it is not replayed.
    Skip(DateTime<FixedOffset>),
}

struct PendingMerge {
    output: LotCode,
    occurred_at: DateTime<FixedOffset>,
    note: Option<Note>,
    inputs: Vec<(LotCode, Quantity, Uuid)>,
    record_time: DateTime<FixedOffset>,
}

fn time(value: &str, path: &str) -> Result<DateTime<FixedOffset>, ImportError> {
    DateTime::parse_from_rfc3339(value)
        .map_err(|_| error(path, format!("\"{value}\" is not a date-time with an offset")))
}

fn text<'v>(event: &'v Value, key: &str, path: &str) -> Result<&'v str, ImportError> {
    event
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| error(format!("{path}.{key}"), "missing or not a string"))
}

fn parse<T: for<'de> Deserialize<'de>>(value: &Value, path: &str) -> Result<T, ImportError> {
    T::deserialize(value).map_err(|e| error(path, e.to_string()))
}

fn lot_code(raw: &str, path: &str) -> Result<LotCode, ImportError> {
    LotCode::parse(raw, "lot").map_err(|e| error(path, e.message_en))
}

fn note(raw: Option<&str>, path: &str) -> Result<Option<Note>, ImportError> {
    raw.map(|text| Note::parse(text, "note").map_err(|e| error(path, e.message_en)))
        .transpose()
}

fn photos(raw: &[String], path: &str) -> Result<Vec<PhotoHash>, ImportError> {
    raw.iter()
        .map(|hash| PhotoHash::parse(hash, "photos").map_err(|e| error(path, e.message_en)))
        .collect()
}

/// Reads a document exported by Nguồn into a plan, or every problem found.
pub fn read_document(document: &Value) -> Result<Plan, Vec<ImportError>> {
    let mut errors = Vec::new();
    if document.get("type").and_then(Value::as_str) != Some("EPCISDocument") {
        return Err(vec![error(
            "type",
            "this is not an EPCIS document (type must be EPCISDocument)",
        )]);
    }
    let lots = read_lots(document, &mut errors);
    let Some(events) = document.pointer("/epcisBody/eventList").and_then(Value::as_array) else {
        errors.push(error("epcisBody.eventList", "the document has no event list"));
        return Err(errors);
    };
    let mut queues: BTreeMap<String, BTreeMap<u64, Item>> = BTreeMap::new();
    let mut merges: Vec<PendingMerge> = Vec::new();
    let mut put = |errors: &mut Vec<ImportError>, lot: &str, seq: u64, item: Item, path: &str| {
        if queues.entry(lot.to_owned()).or_default().insert(seq, item).is_some() {
            errors.push(error(path, format!("lot {lot} has two events numbered {seq}")));
        }
    };
    for (i, event) in events.iter().enumerate() {
        let path = format!("epcisBody.eventList[{i}]");
        if event.get("nguon:corrects").is_some() {
            // A corrective event: its content is in the corrected event's declaration.
            continue;
        }
        if let Some(inputs) = event.get("nguon:mergeInputs") {
            match read_merge(event, inputs, &path) {
                Ok(merge) => {
                    let index = merges.len();
                    for (seq, lot) in merge.1 {
                        put(&mut errors, &lot, seq, Item::Merge(index), &path);
                    }
                    merges.push(merge.0);
                }
                Err(e) => errors.push(e),
            }
            continue;
        }
        if event.get("nguon:eventId").is_none() {
            errors.push(error(
                &path,
                "this event was not exported by Nguồn (it has no nguon:eventId); only Nguồn's own documents can be imported",
            ));
            continue;
        }
        match read_event(event, &path) {
            Ok((lot, seq, draft, recorded)) => {
                let lot_text = lot.to_string();
                let draft_id = draft.id;
                let item = if matches!(draft.body, EventBody::AlterationAcknowledged { .. }) {
                    Item::Skip(recorded)
                } else {
                    Item::Append(Box::new(draft), recorded)
                };
                put(&mut errors, &lot_text, seq, item, &path);
                if let Some(list) = event.pointer("/errorDeclaration/nguon:corrections") {
                    match read_corrections(list, draft_id, &format!("{path}.errorDeclaration")) {
                        Ok(corrections) => {
                            for (seq, draft, recorded) in corrections {
                                put(
                                    &mut errors,
                                    &lot_text,
                                    seq,
                                    Item::Append(Box::new(draft), recorded),
                                    &path,
                                );
                            }
                        }
                        Err(e) => errors.push(e),
                    }
                }
            }
            Err(e) => errors.push(e),
        }
    }
    let known: BTreeSet<String> = lots.iter().map(|l| l.code.to_string()).collect();
    for (lot, queue) in &queues {
        if !known.contains(lot) {
            errors.push(error(
                "epcisHeader",
                format!("events name lot {lot}, which the master data does not describe"),
            ));
        }
        let numbers: Vec<u64> = queue.keys().copied().collect();
        let expected: Vec<u64> = (1..=numbers.len() as u64).collect();
        if numbers != expected {
            errors.push(error(
                "epcisBody.eventList",
                format!(
                    "lot {lot}'s events are not complete (numbers {:?}…): import needs a whole export, not a date-range extract",
                    numbers.iter().take(5).collect::<Vec<_>>()
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let steps = order(&lots, queues, merges).map_err(|e| vec![e])?;
    let mut lots = lots;
    lots.sort_by_key(|lot| lot.derived);
    Ok(Plan { lots, steps })
}

fn read_lots(document: &Value, errors: &mut Vec<ImportError>) -> Vec<PlanLot> {
    let mut lots = Vec::new();
    let vocabularies = document
        .pointer("/epcisHeader/epcisMasterData/vocabularyList")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for (v, vocabulary) in vocabularies.iter().enumerate() {
        if vocabulary.get("type").and_then(Value::as_str) != Some("urn:epcglobal:epcis:vtype:EPCClass") {
            continue;
        }
        let elements = vocabulary
            .get("vocabularyElementList")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (e, element) in elements.iter().enumerate() {
            let path = format!("epcisHeader.epcisMasterData.vocabularyList[{v}].vocabularyElementList[{e}]");
            let Some(description) = element
                .get("attributes")
                .and_then(Value::as_array)
                .and_then(|list| {
                    list.iter()
                        .find(|a| a.get("id").and_then(Value::as_str) == Some(LOT_ATTRIBUTE))
                })
                .and_then(|a| a.get("attribute"))
            else {
                continue;
            };
            let read = parse::<LotDescription>(description, &path).and_then(|d| {
                Ok(PlanLot {
                    code: lot_code(&d.code, &path)?,
                    product: Product {
                        commodity: d.product.commodity,
                        variety: d.product.variety,
                        gtin: d.product.gtin,
                    },
                    plots: d
                        .plots
                        .into_iter()
                        .map(|p| PlanPlot {
                            name: p.name,
                            area: p.area,
                            commune: p.commune,
                            location: p.location,
                            growing_area_code: p.growing_area_code,
                        })
                        .collect(),
                    derived: d.derived,
                })
            });
            match read {
                Ok(lot) => lots.push(lot),
                Err(e) => errors.push(e),
            }
        }
    }
    if lots.is_empty() {
        errors.push(error(
            "epcisHeader.epcisMasterData",
            "the document describes no lots (no master data written by Nguồn)",
        ));
    }
    lots
}

type ReadEvent = (LotCode, u64, EventDraft, DateTime<FixedOffset>);

fn read_event(event: &Value, path: &str) -> Result<ReadEvent, ImportError> {
    let lot = lot_code(text(event, "nguon:lot", path)?, &format!("{path}.nguon:lot"))?;
    let id = Uuid::parse_str(text(event, "nguon:eventId", path)?)
        .map_err(|e| error(format!("{path}.nguon:eventId"), e.to_string()))?;
    let seq = event
        .get("nguon:seq")
        .and_then(Value::as_u64)
        .filter(|seq| *seq > 0)
        .ok_or_else(|| error(format!("{path}.nguon:seq"), "missing or not a positive number"))?;
    let occurred_at = time(text(event, "eventTime", path)?, &format!("{path}.eventTime"))?;
    let recorded = time(text(event, "recordTime", path)?, &format!("{path}.recordTime"))?;
    let body: EventBody = parse(
        event.get("nguon:body").unwrap_or(&Value::Null),
        &format!("{path}.nguon:body"),
    )?;
    let location = match event.pointer("/readPoint/id").and_then(Value::as_str) {
        Some(uri) => Some(parse_geo_uri(uri).ok_or_else(|| error(format!("{path}.readPoint.id"), "not a geo: URI"))?),
        None => None,
    };
    let photo_list: Vec<String> = match event.get("nguon:photos") {
        Some(list) => parse(list, &format!("{path}.nguon:photos"))?,
        None => Vec::new(),
    };
    let draft = EventDraft {
        id,
        occurred_at,
        note: note(
            event.get("nguon:note").and_then(Value::as_str),
            &format!("{path}.nguon:note"),
        )?,
        location,
        photos: photos(&photo_list, &format!("{path}.nguon:photos"))?,
        body,
    };
    Ok((lot, seq, draft, recorded))
}

fn read_corrections(
    list: &Value,
    corrects: Uuid,
    path: &str,
) -> Result<Vec<(u64, EventDraft, DateTime<FixedOffset>)>, ImportError> {
    let corrections: Vec<CorrectionDescription> = parse(list, &format!("{path}.nguon:corrections"))?;
    let mut out = Vec::new();
    for (i, c) in corrections.into_iter().enumerate() {
        let here = format!("{path}.nguon:corrections[{i}]");
        let reason = Note::parse(&c.reason, "reason").map_err(|e| error(&here, e.message_en))?;
        out.push((
            c.seq,
            EventDraft {
                id: c.event_id,
                occurred_at: time(&c.occurred_at, &here)?,
                note: note(c.note.as_deref(), &here)?,
                location: c.location,
                photos: photos(&c.photos, &here)?,
                body: EventBody::Correction {
                    corrects,
                    reason,
                    replacement: c.replacement.map(Box::new),
                },
            },
            time(&c.record_time, &here)?,
        ));
    }
    Ok(out)
}

fn read_merge(event: &Value, inputs: &Value, path: &str) -> Result<(PendingMerge, Vec<(u64, String)>), ImportError> {
    let output = lot_code(text(event, "nguon:lot", path)?, &format!("{path}.nguon:lot"))?;
    let described: Vec<MergeInputDescription> = parse(inputs, &format!("{path}.nguon:mergeInputs"))?;
    let mut list = Vec::new();
    let mut seqs = Vec::new();
    let mut record_time = None;
    for (i, input) in described.into_iter().enumerate() {
        let here = format!("{path}.nguon:mergeInputs[{i}]");
        let code = lot_code(&input.lot, &here)?;
        seqs.push((input.seq, code.to_string()));
        record_time = record_time.or(Some(time(&input.record_time, &here)?));
        list.push((code, input.quantity, input.event_id));
    }
    let record_time = record_time.ok_or_else(|| error(path, "a merge needs its inputs"))?;
    Ok((
        PendingMerge {
            output,
            occurred_at: time(text(event, "eventTime", path)?, &format!("{path}.eventTime"))?,
            note: note(
                event.get("nguon:note").and_then(Value::as_str),
                &format!("{path}.nguon:note"),
            )?,
            inputs: list,
            record_time,
        },
        seqs,
    ))
}

/// Orders the lots' events so every step finds its lot made and its turn come: among the
/// lots' next events that can run, the one recorded first.
fn order(
    lots: &[PlanLot],
    mut queues: BTreeMap<String, BTreeMap<u64, Item>>,
    merges: Vec<PendingMerge>,
) -> Result<Vec<Step>, ImportError> {
    let mut exists: BTreeSet<String> = lots.iter().filter(|l| !l.derived).map(|l| l.code.to_string()).collect();
    let mut steps = Vec::new();
    loop {
        let mut best: Option<(DateTime<FixedOffset>, String)> = None;
        for (lot, queue) in &queues {
            if !exists.contains(lot) {
                continue;
            }
            let Some((_, item)) = queue.iter().next() else { continue };
            let at = match item {
                Item::Append(_, recorded) | Item::Skip(recorded) => *recorded,
                Item::Merge(index) => {
                    let merge = &merges[*index];
                    let ready = merge.inputs.iter().all(|(code, _, _)| {
                        exists.contains(code.as_ref())
                            && matches!(
                                queues.get(code.as_ref()).and_then(|q| q.values().next()),
                                Some(Item::Merge(i)) if i == index
                            )
                    });
                    if !ready {
                        continue;
                    }
                    merge.record_time
                }
            };
            if best.as_ref().is_none_or(|(t, _)| at < *t) {
                best = Some((at, lot.clone()));
            }
        }
        let Some((_, lot)) = best else { break };
        let Some(queue) = queues.get_mut(&lot) else { break };
        let Some((_, item)) = queue.pop_first() else { break };
        match item {
            Item::Skip(_) => {}
            Item::Append(draft, _) => {
                if let EventBody::Packing { children } = &draft.body {
                    exists.extend(children.iter().map(|c| c.code.to_string()));
                }
                steps.push(Step::Append {
                    lot_code: lot_code(&lot, "nguon:lot")?,
                    draft: *draft,
                });
            }
            Item::Merge(index) => {
                let merge = &merges[index];
                for (code, _, _) in &merge.inputs {
                    if let Some(queue) = queues.get_mut(code.as_ref()) {
                        queue.pop_first();
                    }
                }
                exists.insert(merge.output.to_string());
                steps.push(Step::Merge {
                    output: merge.output.clone(),
                    occurred_at: merge.occurred_at,
                    note: merge.note.clone(),
                    inputs: merge.inputs.clone(),
                });
            }
        }
    }
    if let Some((lot, _)) = queues.iter().find(|(_, q)| !q.is_empty()) {
        return Err(error(
            "epcisBody.eventList",
            format!(
                "lot {lot}'s events cannot be replayed: the lot is never made, or a merge misses one of its inputs"
            ),
        ));
    }
    Ok(steps)
}
