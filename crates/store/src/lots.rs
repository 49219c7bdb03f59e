//! Lots: creation, lookup, genealogy, and the mapping of stored events back to domain events.

use std::collections::HashMap;

use chrono::DateTime;
use farm_log::chain::{ChainHead, GenesisInput, ParentLink, genesis};
use farm_log::{Event, EventBody, GeoPoint, LotCode, LotStatus, Note, Quantity};
use sea_orm::sea_query::{Expr, ExprTrait, JoinType, Order, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set, StatementBuilder,
};
use uuid::Uuid;

use crate::entities::{events, lot_parents, lot_plots, lots, plots};
use crate::registry::quantity_from_columns;
use crate::{Lot, LotAccess, LotHistory, LotLink, NewLot, Store, StoreError, StoredEvent, now, timestamp_text};

/// Reads a stored event row back into a domain event; any inconsistency is reported as text, so
/// verification can name it instead of failing.
pub(crate) fn event_from_row(row: &events::Model) -> Result<Event, String> {
    let body = match EventBody::from_stored_json(&row.kind, &row.body) {
        Ok(body) => body,
        // Refused: read it the slow way, which says what is wrong with it.
        Err(_) => {
            let body: EventBody = serde_json::from_str(&row.body).map_err(|e| format!("body: {e}"))?;
            if body.kind().as_str() != row.kind {
                return Err(format!(
                    "kind column says {} but the body is {}",
                    row.kind,
                    body.kind().as_str()
                ));
            }
            body
        }
    };
    let location = match (row.lat_micro, row.lon_micro) {
        (Some(lat_micro), Some(lon_micro)) => Some(GeoPoint { lat_micro, lon_micro }),
        (None, None) => None,
        _ => return Err("location has only one coordinate".into()),
    };
    let note = match &row.note {
        Some(text) => {
            let note = Note::parse(text, "note").map_err(|e| e.message_en)?;
            if note.as_ref() != text {
                return Err("note is not in its stored form".into());
            }
            Some(note)
        }
        None => None,
    };
    Ok(Event {
        id: Uuid::parse_str(&row.id).map_err(|e| format!("id: {e}"))?,
        seq: u64::try_from(row.seq).map_err(|_| "negative seq".to_owned())?,
        occurred_at: DateTime::parse_from_rfc3339(&row.occurred_at).map_err(|e| format!("occurred_at: {e}"))?,
        recorded_at: DateTime::parse_from_rfc3339(&row.recorded_at).map_err(|e| format!("recorded_at: {e}"))?,
        actor: row.actor_member_id,
        note,
        location,
        photos: match &row.photos {
            // Stored only when there are some: an empty list in the column is not a stored form.
            Some(text) => {
                let photos = text
                    .split(' ')
                    .map(|hash| farm_log::PhotoHash::parse(hash, "photos").map_err(|e| e.message_en))
                    .collect::<Result<Vec<_>, _>>()?;
                if photos.is_empty() {
                    return Err("photos is empty rather than absent".into());
                }
                photos
            }
            None => Vec::new(),
        },
        body,
    })
}

pub(crate) fn event_to_row(
    event: &Event,
    lot_id: i64,
    head: &ChainHead,
    content_digest: &str,
) -> Result<events::ActiveModel, StoreError> {
    Ok(events::ActiveModel {
        id: Set(event.id.to_string()),
        lot_id: Set(lot_id),
        seq: Set(event.seq as i64),
        kind: Set(event.body.kind().as_str().to_owned()),
        occurred_at: Set(timestamp_text(&event.occurred_at)),
        recorded_at: Set(timestamp_text(&event.recorded_at)),
        actor_member_id: Set(event.actor),
        note: Set(event.note.as_ref().map(ToString::to_string)),
        lat_micro: Set(event.location.map(|l| l.lat_micro)),
        lon_micro: Set(event.location.map(|l| l.lon_micro)),
        body: Set(serde_json::to_string(&event.body).map_err(|e| StoreError::Corrupt(e.to_string()))?),
        head: Set(head.to_hex()),
        content_digest: Set(content_digest.to_owned()),
        photos: Set(
            (!event.photos.is_empty()).then(|| event.photos.iter().map(|p| p.to_hex()).collect::<Vec<_>>().join(" "))
        ),
    })
}

pub(crate) fn parse_head(hex: &str) -> Result<ChainHead, StoreError> {
    ChainHead::from_hex(hex).ok_or_else(|| StoreError::Corrupt(format!("chain head {hex:?}")))
}

/// What a packed or merged lot started with, derived from its parent links (which its genesis
/// commits to), so it cannot be inflated without the chain noticing.
pub(crate) async fn initial_quantity(
    db: &impl ConnectionTrait,
    row: &lots::Model,
) -> Result<Option<Quantity>, StoreError> {
    Ok(farm_log::chain::initial_holding(&genesis_input(db, row).await?.parents))
}

/// The plots a lot grows on, in ascending order.
pub(crate) async fn lot_plot_ids(db: &impl ConnectionTrait, lot_id: i64) -> Result<Vec<i64>, StoreError> {
    Ok(lot_plots::Entity::find()
        .filter(lot_plots::Column::LotId.eq(lot_id))
        .order_by_asc(lot_plots::Column::PlotId)
        .all(db)
        .await?
        .into_iter()
        .map(|p| p.plot_id)
        .collect())
}

/// A lot's id and its plots (one row per plot, one with no plot when it has none), by code.
pub(crate) fn lot_access_statement(cooperative_id: i64, code: &str, backend: sea_orm::DbBackend) -> sea_orm::Statement {
    let mut select = Query::select();
    select
        .column((lots::Entity, lots::Column::Id))
        .column((lot_plots::Entity, lot_plots::Column::PlotId))
        .from(lots::Entity)
        .join(
            JoinType::LeftJoin,
            lot_plots::Entity,
            Expr::col((lot_plots::Entity, lot_plots::Column::LotId)).equals((lots::Entity, lots::Column::Id)),
        )
        .and_where(Expr::col((lots::Entity, lots::Column::CooperativeId)).eq(cooperative_id))
        .and_where(Expr::col((lots::Entity, lots::Column::Code)).eq(code))
        .order_by((lot_plots::Entity, lot_plots::Column::PlotId), Order::Asc);
    StatementBuilder::build(&select, &backend)
}

/// The lot's identity as hashed into its genesis, rebuilt from the stored rows.
pub(crate) async fn genesis_input(db: &impl ConnectionTrait, row: &lots::Model) -> Result<GenesisInput, StoreError> {
    let plot_ids = lot_plot_ids(db, row.id).await?;
    let parent_rows = lot_parents::Entity::find()
        .filter(lot_parents::Column::ChildLotId.eq(row.id))
        .all(db)
        .await?;
    let mut parents = Vec::with_capacity(parent_rows.len());
    for parent in parent_rows {
        let parent_lot = lots::Entity::find_by_id(parent.parent_lot_id)
            .one(db)
            .await?
            .ok_or(StoreError::not_found("parent lot"))?;
        parents.push(ParentLink {
            lot_code: LotCode::parse(&parent_lot.code, "code").map_err(|e| StoreError::Corrupt(e.to_string()))?,
            head: parse_head(&parent.parent_head)?,
            quantity: quantity_from_columns(&parent.quantity_value, &parent.quantity_unit)?,
        });
    }
    Ok(GenesisInput {
        cooperative_id: row.cooperative_id,
        lot_code: LotCode::parse(&row.code, "code").map_err(|e| StoreError::Corrupt(e.to_string()))?,
        product_id: row.product_id,
        plot_ids,
        created_at: DateTime::parse_from_rfc3339(&row.created_at).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        parents,
    })
}

/// A parent of a lot being derived (by packing or merging), with what the genesis commits to.
pub(crate) struct DerivedParent {
    pub lot_id: i64,
    pub link: ParentLink,
    pub via_event_id: Uuid,
}

/// Inserts a lot made by packing or merging, whose genesis commits to its parents' heads.
pub(crate) async fn insert_derived_lot(
    db: &impl ConnectionTrait,
    cooperative_id: i64,
    code: &LotCode,
    product_id: i64,
    plot_ids: &[i64],
    parents: Vec<DerivedParent>,
    field: &str,
) -> Result<lots::Model, StoreError> {
    let created_at = now();
    let identity = GenesisInput {
        cooperative_id,
        lot_code: code.clone(),
        product_id,
        plot_ids: plot_ids.to_vec(),
        created_at,
        parents: parents.iter().map(|p| p.link.clone()).collect(),
    };
    let row = insert_lot_row(db, &identity, LotStatus::Packed, field).await?;
    for parent in parents {
        lot_parents::ActiveModel {
            child_lot_id: Set(row.id),
            parent_lot_id: Set(parent.lot_id),
            parent_head: Set(parent.link.head.to_hex()),
            quantity_value: Set(parent.link.quantity.value.to_string()),
            quantity_unit: Set(parent.link.quantity.unit.code().to_owned()),
            via_event_id: Set(parent.via_event_id.to_string()),
        }
        .insert(db)
        .await?;
    }
    Ok(row)
}

async fn insert_lot_row(
    db: &impl ConnectionTrait,
    identity: &GenesisInput,
    status: LotStatus,
    field: &str,
) -> Result<lots::Model, StoreError> {
    let genesis = genesis(identity).to_hex();
    let row = lots::ActiveModel {
        cooperative_id: Set(identity.cooperative_id),
        code: Set(identity.lot_code.to_string()),
        product_id: Set(identity.product_id),
        status: Set(status.as_str().to_owned()),
        created_at: Set(timestamp_text(&identity.created_at)),
        genesis: Set(genesis.clone()),
        head: Set(genesis),
        event_count: Set(0),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::unique(
            e,
            field,
            &format!("Lot code {} is already used in this cooperative.", identity.lot_code),
            &format!("Mã lô {} đã được dùng trong HTX.", identity.lot_code),
        )
    })?;
    for plot_id in &identity.plot_ids {
        lot_plots::ActiveModel {
            lot_id: Set(row.id),
            plot_id: Set(*plot_id),
        }
        .insert(db)
        .await?;
    }
    Ok(row)
}

impl Store {
    /// Creates a growing lot on some of the cooperative's plots.
    pub async fn create_lot(&self, cooperative_id: i64, lot: NewLot) -> Result<Lot, StoreError> {
        self.product_for_field(cooperative_id, lot.product_id).await?;
        if lot.plot_ids.is_empty() {
            return Err(farm_log::FieldError::new(
                "plot_ids",
                "required",
                "Chọn ít nhất một thửa ruộng.",
                "Choose at least one plot.",
            )
            .into());
        }
        let known = plots::Entity::find()
            .filter(plots::Column::CooperativeId.eq(cooperative_id))
            .filter(plots::Column::Id.is_in(lot.plot_ids.clone()))
            .all(&self.db)
            .await?;
        if let Some(unknown) = lot.plot_ids.iter().find(|id| !known.iter().any(|p| p.id == **id)) {
            return Err(farm_log::FieldError::new(
                "plot_ids",
                "unknown_plot",
                format!("Không có thửa ruộng số {unknown} trong HTX."),
                format!("No plot {unknown} in this cooperative."),
            )
            .into());
        }
        let mut plot_ids = lot.plot_ids.clone();
        plot_ids.sort_unstable();
        plot_ids.dedup();
        let identity = GenesisInput {
            cooperative_id,
            lot_code: lot.code,
            product_id: lot.product_id,
            plot_ids,
            created_at: now(),
            parents: Vec::new(),
        };
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let row = insert_lot_row(&txn, &identity, LotStatus::Growing, "code").await?;
        txn.commit().await?;
        drop(_guard);
        self.lot_from_row(row).await
    }

    pub(crate) async fn lot_row(
        &self,
        db: &impl ConnectionTrait,
        cooperative_id: i64,
        code: &str,
    ) -> Result<lots::Model, StoreError> {
        lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(cooperative_id))
            .filter(lots::Column::Code.eq(code))
            .one(db)
            .await?
            .ok_or(StoreError::not_found("lot"))
    }

    async fn links(
        &self,
        rows: Vec<lot_parents::Model>,
        other: impl Fn(&lot_parents::Model) -> i64,
    ) -> Result<Vec<LotLink>, StoreError> {
        let ids: Vec<i64> = rows.iter().map(&other).collect();
        let codes: HashMap<i64, String> = lots::Entity::find()
            .filter(lots::Column::Id.is_in(ids))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|l| (l.id, l.code))
            .collect();
        rows.iter()
            .map(|r| {
                Ok(LotLink {
                    lot_id: other(r),
                    lot_code: codes.get(&other(r)).cloned().unwrap_or_default(),
                    quantity: quantity_from_columns(&r.quantity_value, &r.quantity_unit)?,
                    parent_head: r.parent_head.clone(),
                    via_event_id: r.via_event_id.clone(),
                })
            })
            .collect()
    }

    pub(crate) async fn lot_from_row(&self, row: lots::Model) -> Result<Lot, StoreError> {
        let plot_ids = lot_plot_ids(&self.db, row.id).await?;
        let parent_rows = lot_parents::Entity::find()
            .filter(lot_parents::Column::ChildLotId.eq(row.id))
            .all(&self.db)
            .await?;
        let child_rows = lot_parents::Entity::find()
            .filter(lot_parents::Column::ParentLotId.eq(row.id))
            .order_by_asc(lot_parents::Column::ChildLotId)
            .all(&self.db)
            .await?;
        let parents = self.links(parent_rows, |r| r.parent_lot_id).await?;
        let children = self.links(child_rows, |r| r.child_lot_id).await?;
        Ok(Lot {
            status: LotStatus::parse(&row.status, "status").map_err(|e| StoreError::Corrupt(e.to_string()))?,
            initial_quantity: initial_quantity(&self.db, &row).await?,
            id: row.id,
            cooperative_id: row.cooperative_id,
            code: row.code,
            product_id: row.product_id,
            created_at: row.created_at,
            genesis: row.genesis,
            head: row.head,
            event_count: row.event_count,
            plot_ids,
            parents,
            children,
        })
    }

    /// One lot of a cooperative by code.
    pub async fn lot(&self, cooperative_id: i64, code: &str) -> Result<Lot, StoreError> {
        let row = self.lot_row(&self.db, cooperative_id, code).await?;
        self.lot_from_row(row).await
    }

    /// Who may work a lot of a cooperative, by code, in one query (its plots), for a caller that
    /// needs nothing else of it (appends); [`StoreError::NotFound`] when there is no such lot.
    pub async fn lot_access(&self, cooperative_id: i64, code: &str) -> Result<LotAccess, StoreError> {
        let statement = lot_access_statement(cooperative_id, code, self.db.get_database_backend());
        let rows = self.db.query_all_raw(statement).await?;
        if rows.is_empty() {
            return Err(StoreError::not_found("lot"));
        }
        Ok(LotAccess {
            cooperative_id,
            plot_ids: rows
                .iter()
                .map(|row| row.try_get::<Option<i64>>("", "plot_id"))
                .filter_map(Result::transpose)
                .collect::<Result<_, _>>()?,
        })
    }

    /// The cooperative's lots, newest first; for a member, only lots on plots they work.
    pub async fn lots(&self, cooperative_id: i64, only_for_member: Option<i64>) -> Result<Vec<Lot>, StoreError> {
        let rows = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(cooperative_id))
            .order_by_desc(lots::Column::Id)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let lot = self.lot_from_row(row).await?;
            if let Some(member_id) = only_for_member
                && !self.member_works_any(member_id, &lot.plot_ids).await?
            {
                continue;
            }
            out.push(lot);
        }
        Ok(out)
    }

    /// A lot's stored events in chain order, with the head recorded beside each.
    pub async fn events(&self, cooperative_id: i64, code: &str) -> Result<Vec<StoredEvent>, StoreError> {
        let lot = self.lot_row(&self.db, cooperative_id, code).await?;
        let rows = events::Entity::find()
            .filter(events::Column::LotId.eq(lot.id))
            .order_by_asc(events::Column::Seq)
            .all(&self.db)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(StoredEvent {
                    event: event_from_row(row).map_err(StoreError::Corrupt)?,
                    lot_code: lot.code.clone(),
                    head: row.head.clone(),
                })
            })
            .collect()
    }

    /// The lot, its events (readable ones), what it still holds, and whether its chain is intact.
    pub async fn history(&self, cooperative_id: i64, code: &str) -> Result<LotHistory, StoreError> {
        let row = self.lot_row(&self.db, cooperative_id, code).await?;
        let initial = initial_quantity(&self.db, &row).await?;
        let rows = events::Entity::find()
            .filter(events::Column::LotId.eq(row.id))
            .order_by_asc(events::Column::Seq)
            .all(&self.db)
            .await?;
        let (chain, _) = self.verify_rows(&row, &rows).await?;
        let events: Vec<StoredEvent> = rows
            .iter()
            .filter_map(|r| {
                event_from_row(r).ok().map(|event| StoredEvent {
                    event,
                    lot_code: row.code.clone(),
                    head: r.head.clone(),
                })
            })
            .collect();
        let state = farm_log::LotState::from_events(initial, events.iter().map(|e| e.event.clone()));
        let available = [
            farm_log::Dimension::Mass,
            farm_log::Dimension::Volume,
            farm_log::Dimension::Count,
        ]
        .into_iter()
        .filter_map(|d| {
            let value = state.available(d);
            (value > rust_decimal::Decimal::ZERO).then(|| Quantity {
                value: value.normalize(),
                unit: farm_log::Unit::base_of(d),
            })
        })
        .collect();
        Ok(LotHistory {
            lot: self.lot_from_row(row).await?,
            available,
            events,
            chain,
        })
    }
}
