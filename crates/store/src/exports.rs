//! What leaves Nguồn in a standard form: a cooperative's lots, their products, plots and
//! events gathered for an EPCIS document or a trace spreadsheet, one lot at a time so a whole
//! cooperative can be streamed, and a lot's genealogy (every lot connected to it by packing or
//! merging, both ways).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use farm_log::chain::{ParentLink, initial_holding};
use farm_log::{ChainHead, EventBody, GeoPoint, LotCode};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use crate::entities::{events, lot_parents, lot_plots, lots, plots, products};
use crate::lots::{event_from_row, parse_head};
use crate::registry::quantity_from_columns;
use crate::{Store, StoreError};

/// A lot ready for export: its description and its database id.
#[derive(Debug, Clone)]
pub struct ExportLot {
    /// Its id here.
    pub id: i64,
    /// Its product's id.
    pub product_id: i64,
    /// What the document says about it.
    pub lot: epcis::Lot,
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

impl Store {
    /// The cooperative as an EPCIS document names it.
    pub async fn export_cooperative(&self, cooperative_id: i64) -> Result<epcis::Cooperative, StoreError> {
        let coop = self.cooperative(cooperative_id).await?;
        Ok(epcis::Cooperative {
            id: coop.id,
            name: coop.name,
            address: format!("{}, {}, {}", coop.address, coop.commune, coop.province),
            gs1_company_prefix: coop.gs1_company_prefix,
            gln: coop.gln,
        })
    }

    /// The codes of every lot connected to `code` by packing or merging (ancestors, descendants,
    /// and the other inputs of merges among them), `code` included, oldest first.
    pub async fn genealogy_codes(&self, cooperative_id: i64, code: &str) -> Result<Vec<String>, StoreError> {
        let start = self.lot_row(&self.db, cooperative_id, code).await?;
        let rows = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(cooperative_id))
            .all(&self.db)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let links = lot_parents::Entity::find()
            .filter(lot_parents::Column::ChildLotId.is_in(ids))
            .all(&self.db)
            .await?;
        let mut neighbours: HashMap<i64, Vec<i64>> = HashMap::new();
        for link in &links {
            neighbours
                .entry(link.child_lot_id)
                .or_default()
                .push(link.parent_lot_id);
            neighbours
                .entry(link.parent_lot_id)
                .or_default()
                .push(link.child_lot_id);
        }
        let mut seen = BTreeSet::from([start.id]);
        let mut queue = vec![start.id];
        while let Some(id) = queue.pop() {
            for next in neighbours.get(&id).into_iter().flatten() {
                if seen.insert(*next) {
                    queue.push(*next);
                }
            }
        }
        let codes: HashMap<i64, String> = rows.into_iter().map(|r| (r.id, r.code)).collect();
        Ok(seen.into_iter().filter_map(|id| codes.get(&id).cloned()).collect())
    }

    /// The cooperative's lots (or only those named), oldest first — parents always come before
    /// the lots made from them — with their products and plots.
    pub async fn export_lots(
        &self,
        cooperative_id: i64,
        only: Option<&[String]>,
    ) -> Result<Vec<ExportLot>, StoreError> {
        let mut query = lots::Entity::find().filter(lots::Column::CooperativeId.eq(cooperative_id));
        if let Some(codes) = only {
            query = query.filter(lots::Column::Code.is_in(codes.iter().cloned()));
        }
        let rows = query.order_by_asc(lots::Column::Id).all(&self.db).await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let product_rows: HashMap<i64, products::Model> = products::Entity::find()
            .filter(products::Column::CooperativeId.eq(cooperative_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let plot_rows: HashMap<i64, plots::Model> = plots::Entity::find()
            .filter(plots::Column::CooperativeId.eq(cooperative_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let mut lot_plot_ids: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
        for row in lot_plots::Entity::find()
            .filter(lot_plots::Column::LotId.is_in(ids.clone()))
            .order_by_asc(lot_plots::Column::PlotId)
            .all(&self.db)
            .await?
        {
            lot_plot_ids.entry(row.lot_id).or_default().push(row.plot_id);
        }
        let all_codes: HashMap<i64, String> = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(cooperative_id))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|r| (r.id, r.code))
            .collect();
        let mut parents: HashMap<i64, Vec<ParentLink>> = HashMap::new();
        for row in lot_parents::Entity::find()
            .filter(lot_parents::Column::ChildLotId.is_in(ids))
            .all(&self.db)
            .await?
        {
            let code = all_codes.get(&row.parent_lot_id).cloned().unwrap_or_default();
            parents.entry(row.child_lot_id).or_default().push(ParentLink {
                lot_code: LotCode::parse(&code, "code").map_err(corrupt)?,
                head: parse_head(&row.parent_head)?,
                quantity: quantity_from_columns(&row.quantity_value, &row.quantity_unit)?,
            });
        }
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let product = product_rows
                .get(&row.product_id)
                .ok_or_else(|| corrupt(format!("lot {} names a missing product", row.code)))?;
            let mut lot_plots = Vec::new();
            for plot_id in lot_plot_ids.get(&row.id).into_iter().flatten() {
                let plot = plot_rows
                    .get(plot_id)
                    .ok_or_else(|| corrupt(format!("lot {} names a missing plot", row.code)))?;
                lot_plots.push(epcis::Plot {
                    id: plot.id,
                    name: plot.name.clone(),
                    area: quantity_from_columns(&plot.area_value, &plot.area_unit)?,
                    commune: plot.commune.clone(),
                    location: match (plot.lat_micro, plot.lon_micro) {
                        (Some(lat_micro), Some(lon_micro)) => Some(GeoPoint { lat_micro, lon_micro }),
                        _ => None,
                    },
                    growing_area_code: plot.growing_area_code.clone(),
                });
            }
            let links = parents.remove(&row.id).unwrap_or_default();
            out.push(ExportLot {
                id: row.id,
                product_id: row.product_id,
                lot: epcis::Lot {
                    code: LotCode::parse(&row.code, "code").map_err(corrupt)?,
                    product: epcis::Product {
                        commodity: product.commodity.clone(),
                        variety: product.variety.clone(),
                        gtin: product.gtin.clone(),
                    },
                    plots: lot_plots,
                    genesis: parse_head(&row.genesis)?,
                    initial: initial_holding(&links),
                    derived: !links.is_empty(),
                },
            });
        }
        Ok(out)
    }

    /// A lot's events in chain order with the head after each, and, when the lot was made by
    /// merging, the merging event on each input. An unreadable stored event is an error: an
    /// export never silently leaves part of a history out.
    pub async fn export_events(
        &self,
        cooperative_id: i64,
        lot: &ExportLot,
    ) -> Result<(Vec<epcis::ChainedEvent>, Option<Vec<epcis::MergeInput>>), StoreError> {
        let rows = events::Entity::find()
            .filter(events::Column::LotId.eq(lot.id))
            .order_by_asc(events::Column::Seq)
            .all(&self.db)
            .await?;
        let chained = rows
            .iter()
            .map(|row| {
                Ok(epcis::ChainedEvent {
                    event: event_from_row(row)
                        .map_err(|why| corrupt(format!("lot {} event {}: {why}", lot.lot.code, row.seq)))?,
                    head: parse_head(&row.head)?,
                })
            })
            .collect::<Result<Vec<_>, StoreError>>()?;
        let links = lot_parents::Entity::find()
            .filter(lot_parents::Column::ChildLotId.eq(lot.id))
            .all(&self.db)
            .await?;
        let mut inputs = Vec::new();
        for link in links {
            let Some(row) = events::Entity::find_by_id(link.via_event_id.clone())
                .one(&self.db)
                .await?
            else {
                continue;
            };
            let event = event_from_row(&row).map_err(corrupt)?;
            if !matches!(event.body, EventBody::Merging { .. }) {
                continue;
            }
            let parent = lots::Entity::find_by_id(link.parent_lot_id)
                .one(&self.db)
                .await?
                .ok_or(StoreError::not_found("parent lot"))?;
            let gtin = products::Entity::find_by_id(parent.product_id)
                .filter(products::Column::CooperativeId.eq(cooperative_id))
                .one(&self.db)
                .await?
                .and_then(|p| p.gtin);
            inputs.push(epcis::MergeInput {
                lot_code: parent.code,
                product_gtin: gtin,
                quantity: quantity_from_columns(&link.quantity_value, &link.quantity_unit)?,
                event: epcis::ChainedEvent {
                    event,
                    head: ChainHead::from_hex(&row.head).ok_or_else(|| corrupt("head"))?,
                },
            });
        }
        inputs.sort_by(|a, b| a.lot_code.cmp(&b.lot_code));
        Ok((chained, (!inputs.is_empty()).then_some(inputs)))
    }
}
