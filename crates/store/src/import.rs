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
