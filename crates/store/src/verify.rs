//! Chain verification of stored lots: one lot for the history API, every lot for `nguon verify`.

use std::collections::HashMap;
use std::sync::Arc;

use farm_log::chain::{ChainVerifier, GenesisInput, initial_holding};
use farm_log::{ChainStatus, Event, LotState};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use crate::entities::{events, lots};
use crate::integrity::{check_status, stored_link};
use crate::lots::{genesis_input, parse_head};
use crate::{Store, StoreError};

/// One lot's verification result.
#[derive(Debug, Clone, Serialize)]
pub struct LotVerification {
    /// The cooperative.
    pub cooperative_id: i64,
    /// The lot's code.
    pub lot_code: String,
    /// Intact, or where it was altered.
    pub status: ChainStatus,
}

/// Told how far a walk over every lot has come.
pub trait VerifyProgress {
    /// Called once with the totals before the walk.
    fn start(&self, lots: u64, events: u64);
    /// Called as events are checked.
    fn advance(&self, events: u64);
}

/// How many events one verification page reads: large pages amortize the per-query cost (50,000
/// verified ~40% faster than 5,000) and hold tens of MB, whatever the database's size.
const PAGE: u64 = 50_000;

impl Store {
    /// Verifies a lot from its row and its event rows (in seq order), returning the status and the
    /// events that could be read.
    pub(crate) async fn verify_rows(
        &self,
        lot: &lots::Model,
        rows: &[events::Model],
    ) -> Result<(ChainStatus, Vec<Event>), StoreError> {
        let identity = genesis_input(&self.db, lot).await?;
        let mut verifier = ChainVerifier::start(&identity, &parse_head(&lot.genesis)?);
        let mut events = Vec::with_capacity(rows.len());
        for row in rows {
            let link = stored_link(row);
            verifier.feed(&link);
            if let Ok(event) = link.event {
                events.push(event);
            }
        }
        let chain = verifier.finish(&parse_head(&lot.head)?, u64::try_from(lot.event_count).unwrap_or(0));
        let state = LotState::from_events(initial_holding(&identity.parents), events);
        let chain = check_status(lot, &state, chain);
        Ok((chain, state.events().to_vec()))
    }

    /// Verifies one lot's chain.
    pub async fn verify_lot(&self, cooperative_id: i64, code: &str) -> Result<ChainStatus, StoreError> {
        let row = self.lot_row(&self.db, cooperative_id, code).await?;
        let rows = events::Entity::find()
            .filter(events::Column::LotId.eq(row.id))
            .order_by_asc(events::Column::Seq)
            .all(&self.db)
            .await?;
        Ok(self.verify_rows(&row, &rows).await?.0)
    }

    /// Verifies every lot, streaming events in pages in (lot, seq) order so memory stays flat
    /// however many events there are. The lots are split into contiguous ranges verified in
    /// parallel, one per core, each over its own connection.
    pub async fn verify_all(&self, progress: &dyn VerifyProgress) -> Result<Vec<LotVerification>, StoreError> {
        let lot_rows = lots::Entity::find()
            .order_by_asc(lots::Column::Id)
            .all(&self.db)
            .await?;
        let total_events: i64 = lot_rows.iter().map(|l| l.event_count).sum();
        progress.start(lot_rows.len() as u64, u64::try_from(total_events).unwrap_or(0));
        let mut identities: HashMap<i64, GenesisInput> = HashMap::with_capacity(lot_rows.len());
        for row in &lot_rows {
            identities.insert(row.id, genesis_input(&self.db, row).await?);
        }
        let identities = Arc::new(identities);
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        let per_part = lot_rows.len().div_ceil(parts).max(1);
        let (advance, mut advanced) = tokio::sync::mpsc::unbounded_channel::<u64>();
        let mut tasks = Vec::with_capacity(parts);
        for chunk in lot_rows.chunks(per_part) {
            let store = self.clone();
            let chunk = chunk.to_vec();
            let identities = Arc::clone(&identities);
            let advance = advance.clone();
            tasks.push(tokio::spawn(async move {
                store.verify_range(&chunk, &identities, &advance).await
            }));
        }
        drop(advance);
        while let Some(count) = advanced.recv().await {
            progress.advance(count);
        }
        let mut results = Vec::with_capacity(lot_rows.len());
        for task in tasks {
            let part = task
                .await
                .map_err(|e| StoreError::Corrupt(format!("verification task: {e}")))??;
            results.extend(part);
        }
        Ok(results)
    }

    /// Verifies a contiguous range of lots (ascending ids), reporting events checked on `advance`.
    async fn verify_range(
        &self,
        lot_rows: &[lots::Model],
        identities: &HashMap<i64, GenesisInput>,
        advance: &tokio::sync::mpsc::UnboundedSender<u64>,
    ) -> Result<Vec<LotVerification>, StoreError> {
        let (Some(first), Some(last)) = (lot_rows.first(), lot_rows.last()) else {
            return Ok(Vec::new());
        };
        let (first_id, last_id) = (first.id, last.id);
        let mut results = Vec::with_capacity(lot_rows.len());
        let mut lot_index = 0usize;
        let mut current: Option<(usize, ChainVerifier, Vec<Event>)> = None;
        let mut cursor: Option<(i64, i64)> = None;
        let finish = |index: usize,
                      verifier: ChainVerifier,
                      events: Vec<Event>,
                      results: &mut Vec<LotVerification>|
         -> Result<(), StoreError> {
            let row = &lot_rows[index];
            let identity = identities
                .get(&row.id)
                .ok_or_else(|| StoreError::Corrupt("identity".into()))?;
            let chain = verifier.finish(&parse_head(&row.head)?, u64::try_from(row.event_count).unwrap_or(0));
            let state = LotState::from_events(initial_holding(&identity.parents), events);
            results.push(LotVerification {
                cooperative_id: row.cooperative_id,
                lot_code: row.code.clone(),
                status: check_status(row, &state, chain),
            });
            Ok(())
        };
        let start = |index: usize| -> Result<ChainVerifier, StoreError> {
            let row = &lot_rows[index];
            let identity = identities
                .get(&row.id)
                .ok_or_else(|| StoreError::Corrupt("identity".into()))?;
            Ok(ChainVerifier::start(identity, &parse_head(&row.genesis)?))
        };
        loop {
            let mut query = events::Entity::find()
                .filter(events::Column::LotId.between(first_id, last_id))
                .order_by_asc(events::Column::LotId)
                .order_by_asc(events::Column::Seq)
                .limit(PAGE);
            if let Some((lot_id, seq)) = cursor {
                // A row-value comparison, which both backends answer from the (lot_id, seq) index;
                // the equivalent OR of two conditions makes SQLite rescan from the start each page.
                query = query.filter(
                    Expr::tuple([Expr::col(events::Column::LotId), Expr::col(events::Column::Seq)])
                        .gt(Expr::tuple([Expr::val(lot_id), Expr::val(seq)])),
                );
            }
            let page = query.all(&self.db).await?;
            if page.is_empty() {
                break;
            }
            for row in &page {
                // Close every lot before this event's lot (including lots without events).
                while lot_index < lot_rows.len() && lot_rows[lot_index].id < row.lot_id {
                    let (verifier, events) = match current.take() {
                        Some((index, verifier, events)) if index == lot_index => (verifier, events),
                        _ => (start(lot_index)?, Vec::new()),
                    };
                    finish(lot_index, verifier, events, &mut results)?;
                    lot_index += 1;
                }
                if lot_index >= lot_rows.len() || lot_rows[lot_index].id != row.lot_id {
                    continue; // An event whose lot row is gone: that lot's count check reports it.
                }
                if !matches!(current, Some((index, _, _)) if index == lot_index) {
                    current = Some((lot_index, start(lot_index)?, Vec::new()));
                }
                if let Some((_, verifier, events)) = current.as_mut() {
                    let link = stored_link(row);
                    verifier.feed(&link);
                    if let Ok(event) = link.event {
                        events.push(event);
                    }
                }
            }
            let _ = advance.send(page.len() as u64);
            cursor = page.last().map(|r| (r.lot_id, r.seq));
        }
        while lot_index < lot_rows.len() {
            let (verifier, events) = match current.take() {
                Some((index, verifier, events)) if index == lot_index => (verifier, events),
                _ => (start(lot_index)?, Vec::new()),
            };
            finish(lot_index, verifier, events, &mut results)?;
            lot_index += 1;
        }
        Ok(results)
    }
}
