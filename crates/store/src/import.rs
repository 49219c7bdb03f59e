//! What comes into Nguồn from outside: an EPCIS document Nguồn exported, replayed into a
//! cooperative (lots, products, plots, input products and every event with its original id,
//! time and quantities), and a cooperative's own diary kept on paper or in Excel.

use std::collections::{BTreeSet, HashMap};

use farm_log::{EventBody, Gtin, InputKind, InputSnapshot, ShortText};
use sea_orm::EntityTrait;
use serde::Serialize;

use crate::entities::media;
use crate::{
    AppendItem, MergeInput, MergeRequest, NewInputProduct, NewLot, NewPlot, NewProduct, Principal, Store, StoreError,
};

/// What an import did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportReport {
    /// Lots made (growing lots created up front, and lots made by packing or merging).
    pub lots_created: Vec<String>,
    /// Events written now.
    pub events_added: usize,
    /// Events that were already there (an earlier run of the same import).
    pub events_existing: usize,
    /// Products, plots and input products added to the cooperative's registries.
    pub registry_added: Vec<String>,
    /// Photos named by events whose images are not on this server, left off those events.
    pub photos_left_out: usize,
}

/// Told how an import advances.
pub trait ImportProgress: Send + Sync {
    /// The import has `total` events to write.
    fn start(&self, total: u64);
    /// `done` more were written.
    fn advance(&self, done: u64);
}

/// No progress to show.
pub struct NoProgress;

impl ImportProgress for NoProgress {
    fn start(&self, _total: u64) {}
    fn advance(&self, _done: u64) {}
}

/// The most events one transaction of an import writes.
const IMPORT_BATCH: usize = 200;

fn short(text: &str, field: &str) -> Result<ShortText, StoreError> {
    ShortText::parse(text, field).map_err(StoreError::from)
}

impl Store {
    /// Replays an EPCIS document Nguồn exported into `principal`'s cooperative, as that leader.
    /// Lots, products (by GTIN, else by name), plots (by name) and input products (by every
    /// field of the snapshot) that are missing are made; events keep their ids, times, notes,
    /// places and quantities. Each step goes through the same rules as when it was first logged.
    /// An interrupted import can be run again: what is already there is found, not doubled.
    pub async fn import_epcis(
        &self,
        principal: &Principal,
        plan: &epcis::Plan,
        dry_run: bool,
        progress: &dyn ImportProgress,
    ) -> Result<ImportReport, StoreError> {
        let coop = principal.cooperative_id;
        let mut report = ImportReport::default();
        let mut products: HashMap<String, i64> = HashMap::new();
        let mut lot_product: HashMap<String, i64> = HashMap::new();
        let existing_products = self.products(coop).await?;
        let mut existing_plots = self.plots(coop).await?;
        for lot in &plan.lots {
            let key = format!("{:?}", lot.product);
            let product_id = match products.get(&key) {
                Some(id) => *id,
                None => {
                    let found = existing_products.iter().find(|p| match &lot.product.gtin {
                        Some(gtin) => p.gtin.as_deref() == Some(gtin.as_str()),
                        None => {
                            p.gtin.is_none() && p.commodity == lot.product.commodity && p.variety == lot.product.variety
                        }
                    });
                    let id = match found {
                        Some(product) => product.id,
                        None if dry_run => {
                            report.registry_added.push(format!("product {}", lot.product.name()));
                            -1
                        }
                        None => {
                            let made = self
                                .create_product(
                                    coop,
                                    NewProduct {
                                        commodity: short(&lot.product.commodity, "commodity")?,
                                        variety: lot
                                            .product
                                            .variety
                                            .as_deref()
                                            .map(|v| short(v, "variety"))
                                            .transpose()?,
                                        gtin: lot
                                            .product
                                            .gtin
                                            .as_deref()
                                            .map(|g| Gtin::parse(g, "gtin"))
                                            .transpose()?,
                                    },
                                )
                                .await?;
                            report.registry_added.push(format!("product {}", made.name));
                            made.id
                        }
                    };
                    products.insert(key, id);
                    id
                }
            };
            lot_product.insert(lot.code.to_string(), product_id);
            if lot.derived {
                continue;
            }
            let mut plot_ids = Vec::new();
            for plot in &lot.plots {
                match existing_plots.iter().find(|p| p.name == plot.name) {
                    Some(found) => plot_ids.push(found.id),
                    None if dry_run => report.registry_added.push(format!("plot {}", plot.name)),
                    None => {
                        let made = self
                            .create_plot(
                                coop,
                                NewPlot {
                                    name: short(&plot.name, "name")?,
                                    area: plot.area,
                                    commune: short(&plot.commune, "commune")?,
                                    location: plot.location,
                                    growing_area_code: plot
                                        .growing_area_code
                                        .as_deref()
                                        .map(|c| short(c, "growing_area_code"))
                                        .transpose()?,
                                },
                            )
                            .await?;
                        report.registry_added.push(format!("plot {}", made.name));
                        plot_ids.push(made.id);
                        existing_plots.push(made);
                    }
                }
            }
            match self.lot(coop, lot.code.as_ref()).await {
                Ok(_) => {}
                Err(StoreError::NotFound { .. }) => {
                    report.lots_created.push(lot.code.to_string());
                    if !dry_run {
                        self.create_lot(
                            coop,
                            NewLot {
                                code: lot.code.clone(),
                                product_id,
                                plot_ids,
                            },
                        )
                        .await?;
                    }
                }
                Err(other) => return Err(other),
            }
        }
        progress.start(plan.event_count() as u64);
        if dry_run {
            report.events_added = plan.event_count();
            report
                .lots_created
                .extend(plan.lots.iter().filter(|l| l.derived).map(|l| l.code.to_string()));
            return Ok(report);
        }
        let mut inputs: HashMap<String, i64> = HashMap::new();
        let mut batch: Vec<AppendItem> = Vec::new();
        let mut made_in_batch: BTreeSet<String> = BTreeSet::new();
        for step in &plan.steps {
            match step {
                epcis::Step::Append { lot_code, draft } => {
                    if made_in_batch.contains(lot_code.as_ref()) || batch.len() >= IMPORT_BATCH {
                        self.import_batch(principal, &mut batch, &mut report, progress).await?;
                        made_in_batch.clear();
                    }
                    let mut draft = draft.clone();
                    self.resolve_inputs(coop, &mut draft.body, &mut inputs, &mut report)
                        .await?;
                    let before = draft.photos.len();
                    let mut kept = Vec::new();
                    for photo in draft.photos {
                        if media::Entity::find_by_id((photo.to_hex(), "full".to_owned()))
                            .one(&self.db)
                            .await?
                            .is_some()
                        {
                            kept.push(photo);
                        }
                    }
                    report.photos_left_out += before - kept.len();
                    draft.photos = kept;
                    if let EventBody::Packing { children } = &draft.body {
                        made_in_batch.extend(children.iter().map(|c| c.code.to_string()));
                        report.lots_created.extend(children.iter().map(|c| c.code.to_string()));
                    }
                    batch.push(AppendItem {
                        lot_code: lot_code.to_string(),
                        draft,
                    });
                }
                epcis::Step::Merge {
                    output,
                    occurred_at,
                    note,
                    inputs: merged,
                } => {
                    self.import_batch(principal, &mut batch, &mut report, progress).await?;
                    made_in_batch.clear();
                    let existed = self.lot(coop, output.as_ref()).await.is_ok();
                    self.merge(
                        principal,
                        MergeRequest {
                            output_code: output.clone(),
                            product_id: lot_product.get(output.as_ref()).copied(),
                            occurred_at: *occurred_at,
                            note: note.clone(),
                            inputs: merged
                                .iter()
                                .map(|(lot_code, quantity, event_id)| MergeInput {
                                    lot_code: lot_code.clone(),
                                    quantity: *quantity,
                                    event_id: *event_id,
                                })
                                .collect(),
                        },
                    )
                    .await?;
                    if existed {
                        report.events_existing += merged.len();
                    } else {
                        report.events_added += merged.len();
                        report.lots_created.push(output.to_string());
                    }
                    progress.advance(merged.len() as u64);
                }
            }
        }
        self.import_batch(principal, &mut batch, &mut report, progress).await?;
        Ok(report)
    }

    async fn import_batch(
        &self,
        principal: &Principal,
        batch: &mut Vec<AppendItem>,
        report: &mut ImportReport,
        progress: &dyn ImportProgress,
    ) -> Result<(), StoreError> {
        if batch.is_empty() {
            return Ok(());
        }
        let items = std::mem::take(batch);
        let count = items.len() as u64;
        let outcomes = self.append(principal, items, true).await?;
        for outcome in &outcomes {
            if outcome.is_created() {
                report.events_added += 1;
            } else {
                report.events_existing += 1;
            }
        }
        progress.advance(count);
        Ok(())
    }

    /// Points an applied input (and one in a correction's replacement) at the entry of this
    /// cooperative's registry that matches its snapshot, adding the entry when none does.
    async fn resolve_inputs(
        &self,
        cooperative_id: i64,
        body: &mut EventBody,
        known: &mut HashMap<String, i64>,
        report: &mut ImportReport,
    ) -> Result<(), StoreError> {
        let Some(applied) = body.applied_input_mut() else {
            return Ok(());
        };
        let Some(snapshot) = applied.snapshot.clone() else {
            return Err(farm_log::FieldError::new(
                "input",
                "unknown_input_product",
                "Sự kiện nhập vào thiếu thông tin vật tư.",
                "An imported event names an input product without describing it.",
            )
            .into());
        };
        let key = serde_json::to_string(&snapshot).unwrap_or_default();
        if let Some(id) = known.get(&key) {
            applied.input_product_id = *id;
            return Ok(());
        }
        let same = |p: &crate::InputProduct| {
            p.kind == snapshot.kind
                && p.trade_name == snapshot.trade_name
                && p.active_ingredients == snapshot.active_ingredients
                && p.registration_number == snapshot.registration_number
                && p.phi_days == snapshot.phi_days
        };
        let id = match self.input_products(cooperative_id).await?.into_iter().find(same) {
            Some(found) => found.id,
            None => {
                let InputSnapshot {
                    trade_name,
                    kind,
                    active_ingredients,
                    registration_number,
                    phi_days,
                } = snapshot;
                let made = self
                    .create_input_product(
                        cooperative_id,
                        NewInputProduct {
                            kind,
                            trade_name: short(&trade_name, "trade_name")?,
                            active_ingredients: active_ingredients
                                .iter()
                                .map(|a| short(a, "active_ingredients"))
                                .collect::<Result<_, _>>()?,
                            registration_number: registration_number
                                .as_deref()
                                .map(|r| short(r, "registration_number"))
                                .transpose()?,
                            phi_days: if kind == InputKind::Pesticide {
                                phi_days.or(Some(0))
                            } else {
                                phi_days
                            },
                        },
                    )
                    .await?;
                report.registry_added.push(format!("input {}", made.trade_name));
                made.id
            }
        };
        known.insert(key, id);
        applied.input_product_id = id;
        Ok(())
    }
}

/// What a diary import is read against: the cooperative's region, its fertilizers and
/// pesticides (id, kind, trade name) and the names of the lot's plots.
#[derive(Debug, Clone)]
pub struct DiaryImportContext {
    /// Says what "sào" and "công" are.
    pub region: farm_log::Region,
    /// Id, kind and trade name of each input product.
    pub inputs: Vec<(i64, InputKind, String)>,
    /// The lot's plots, by name.
    pub plots: Vec<String>,
}

/// A diary row the lot's rules refuse.
#[derive(Debug, Clone, Serialize)]
pub struct DiaryRowProblem {
    /// The row's line in the file.
    pub line: usize,
    /// The field concerned (`occurred_at`, `input_product_id` …).
    pub field: String,
    /// In Vietnamese.
    pub message_vi: String,
    /// In English.
    pub message_en: String,
}

/// Why a diary import wrote nothing.
#[derive(Debug)]
pub enum DiaryImportFailure {
    /// Rows the lot's rules refuse, each with its line.
    Rows(Vec<DiaryRowProblem>),
    /// The store failed.
    Store(StoreError),
}

impl From<StoreError> for DiaryImportFailure {
    fn from(error: StoreError) -> Self {
        DiaryImportFailure::Store(error)
    }
}

/// What a diary import did (or, dry, would do).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DiaryImportReport {
    /// Rows read.
    pub rows: usize,
    /// Events written now (or that would be).
    pub added: usize,
    /// Rows already in the lot from an earlier import of the same file.
    pub existing: usize,
    /// True when nothing was written.
    pub dry_run: bool,
}

impl Store {
    /// What a diary import for this lot is read against.
    pub async fn diary_import_context(
        &self,
        cooperative_id: i64,
        lot_code: &str,
    ) -> Result<DiaryImportContext, StoreError> {
        let coop = self.cooperative(cooperative_id).await?;
        let lot = self.lot(cooperative_id, lot_code).await?;
        let inputs = self
            .input_products(cooperative_id)
            .await?
            .into_iter()
            .map(|i| (i.id, i.kind, i.trade_name))
            .collect();
        let plots = self
            .plots(cooperative_id)
            .await?
            .into_iter()
            .filter(|p| lot.plot_ids.contains(&p.id))
            .map(|p| p.name)
            .collect();
        Ok(DiaryImportContext {
            region: coop.region,
            inputs,
            plots,
        })
    }

    /// Writes a lot's diary rows (`(line, draft)`) as events, all or none, as `principal`. Every
    /// row is first checked against the lot's rules as it would stand after the rows before it
    /// (pre-harvest intervals, harvest after seeding, banned ingredients, dates), and every
    /// refused row is reported with its line before anything is written. Rows whose event id
    /// the lot already has (an earlier import of the same file) are left as they are.
    pub async fn import_diary(
        &self,
        principal: &Principal,
        lot_code: &str,
        rows: Vec<(usize, farm_log::event::EventDraft)>,
        dry_run: bool,
        progress: &dyn ImportProgress,
    ) -> Result<DiaryImportReport, DiaryImportFailure> {
        let coop = principal.cooperative_id;
        let history = self.history(coop, lot_code).await?;
        let existing: BTreeSet<uuid::Uuid> = history.events.iter().map(|e| e.event.id).collect();
        let registry: HashMap<i64, InputSnapshot> = self
            .input_products(coop)
            .await?
            .into_iter()
            .map(|p| {
                (
                    p.id,
                    InputSnapshot {
                        trade_name: p.trade_name,
                        kind: p.kind,
                        active_ingredients: p.active_ingredients,
                        registration_number: p.registration_number,
                        phi_days: p.phi_days,
                    },
                )
            })
            .collect();
        let mut state = farm_log::LotState::from_events(
            history.lot.initial_quantity,
            history.events.iter().map(|e| e.event.clone()),
        );
        // The same bound on amounts per area as an append uses: the lot's plots' total area.
        let lot_plots: Vec<crate::Plot> = self
            .plots(coop)
            .await?
            .into_iter()
            .filter(|p| history.lot.plot_ids.contains(&p.id))
            .collect();
        let area_m2 = (!lot_plots.is_empty()
            && lot_plots.len() == history.lot.plot_ids.len()
            && lot_plots
                .iter()
                .all(|p| p.area.unit.dimension() == farm_log::Dimension::Area))
        .then(|| {
            lot_plots.iter().fold(rust_decimal::Decimal::ZERO, |sum, p| {
                sum.saturating_add(p.area.in_base_unit())
            })
        });
        let context = farm_log::ValidationContext {
            actor_role: principal.role,
            banned: &self.banned,
            area_m2,
        };
        let mut report = DiaryImportReport {
            rows: rows.len(),
            dry_run,
            ..Default::default()
        };
        progress.start(rows.len() as u64);
        let mut problems = Vec::new();
        let mut items = Vec::new();
        let mut lines = Vec::new();
        let mut seq = history.events.len() as u64;
        let now = crate::now();
        for (line, draft) in rows {
            progress.advance(1);
            if existing.contains(&draft.id) {
                report.existing += 1;
                continue;
            }
            let mut body = draft.body.clone();
            if let Some(applied) = body.applied_input_mut() {
                applied.snapshot = registry.get(&applied.input_product_id).cloned();
            }
            let event = farm_log::Event {
                id: draft.id,
                seq: seq + 1,
                occurred_at: draft.occurred_at,
                recorded_at: now,
                actor: principal.member_id,
                note: draft.note.clone(),
                location: draft.location,
                photos: draft.photos.clone(),
                body,
            };
            match state.check(&event, &context) {
                Ok(()) => {
                    state.push(event);
                    seq += 1;
                    lines.push(line);
                    items.push(AppendItem {
                        lot_code: lot_code.to_owned(),
                        draft,
                    });
                }
                Err(errors) => problems.extend(errors.0.into_iter().map(|e| DiaryRowProblem {
                    line,
                    field: e.field,
                    message_vi: e.message_vi,
                    message_en: e.message_en,
                })),
            }
        }
        if !problems.is_empty() {
            return Err(DiaryImportFailure::Rows(problems));
        }
        report.added = items.len();
        if dry_run || items.is_empty() {
            return Ok(report);
        }
        match self.append(principal, items, true).await {
            Ok(_) => Ok(report),
            Err(StoreError::Invalid(errors)) => Err(DiaryImportFailure::Rows(
                errors
                    .0
                    .into_iter()
                    .map(|e| {
                        // Errors are named `events[i].field`; i is the i-th row written.
                        let (index, field) = e
                            .field
                            .strip_prefix("events[")
                            .and_then(|rest| rest.split_once("]."))
                            .and_then(|(i, f)| i.parse::<usize>().ok().map(|i| (i, f.to_owned())))
                            .unwrap_or((0, e.field.clone()));
                        DiaryRowProblem {
                            line: lines.get(index).copied().unwrap_or_default(),
                            field,
                            message_vi: e.message_vi,
                            message_en: e.message_en,
                        }
                    })
                    .collect(),
            )),
            Err(other) => Err(DiaryImportFailure::Store(other)),
        }
    }
}
