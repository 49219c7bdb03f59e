//! Chain verification of stored lots: one lot for the history API, every lot for `nguon verify`.

use std::collections::HashMap;
use std::sync::Arc;

use farm_log::chain::GenesisInput;
use farm_log::{ChainStatus, Event};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde::Serialize;

use chrono::DateTime;
use farm_log::{LotCode, ParentLink};
use sea_orm::ConnectionTrait;

use sea_orm::Set;

use crate::entities::{
    batch_checks, cooperative_keys, events, label_batches, labels, lot_checks, lot_parents, lot_plots, lots,
};
use crate::integrity::{LotWalk, replacing_batch_check, replacing_lot_check};
use crate::lots::{genesis_input, parse_head};
use crate::registry::quantity_from_columns;
use crate::{Store, StoreError};

mod sqlite;

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

/// A label batch that no longer verifies.
#[derive(Debug, Clone, Serialize)]
pub struct BatchVerification {
    /// The cooperative.
    pub cooperative_id: i64,
    /// The batch.
    pub batch_id: String,
    /// Its lot's code.
    pub lot_code: String,
    /// What is wrong, in plain words.
    pub reason: String,
}

/// What `nguon verify` found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    /// Every lot, intact or where it was altered.
    pub lots: Vec<LotVerification>,
    /// The label batches that no longer verify.
    pub batches: Vec<BatchVerification>,
}

/// Told how far a walk over every lot has come.
pub trait VerifyProgress: Send + Sync {
    /// Called once with the totals before the walk.
    fn start(&self, lots: u64, events: u64);
    /// Called as events are checked.
    fn advance(&self, events: u64);
}

/// Progress nobody watches (the background re-verification).
pub(crate) struct Quiet;

impl VerifyProgress for Quiet {
    fn start(&self, _: u64, _: u64) {}
    fn advance(&self, _: u64) {}
}

/// How many events one verification page reads, per core: enough to amortize the query, few
/// enough that the rows held at once stay a few MB.
const PAGE: u64 = 10_000;

/// How many lots one verification window holds (their rows, identities and results are read and
/// checked a window at a time, so memory does not grow with the number of lots).
pub(crate) const WINDOW: u64 = 10_000;

impl Store {
    /// Verifies a lot from its row and its event rows (in seq order), returning the status and the
    /// events that could be read.
    pub(crate) async fn verify_rows(
        &self,
        lot: &lots::Model,
        rows: &[events::Model],
    ) -> Result<(ChainStatus, Vec<Event>), StoreError> {
        let identity = genesis_input(&self.db, lot).await?;
        let mut walk = LotWalk::start(&identity, lot)?;
        for row in rows {
            walk.feed(row);
        }
        let (chain, state) = walk.finish(&identity, lot)?;
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

    /// Verifies every lot and every label batch. Lots are taken a window at a time (10,000 lots
    /// unless [`Store::verifying_in_windows_of`] says otherwise), each window split into
    /// contiguous ranges of ids verified in parallel, one per core, each reading its lots' rows,
    /// identities and events (in (lot, seq) order) itself: memory stays flat however many lots
    /// and events there are (only every lot's id, cooperative and code are held throughout). The
    /// head each label batch froze is checked as its lot's events stream past. Then the batches:
    /// each record's signature, and its list of labels against the digest it signed.
    pub async fn verify_all(&self, progress: &dyn VerifyProgress) -> Result<VerifyReport, StoreError> {
        self.verify_everything(progress, false).await
    }

    /// [`Store::verify_all`], keeping what it verified as checks made at the integrity epoch it
    /// started at, so pages and appends need not verify it again (after an upgrade from a
    /// version without kept checks, and in the server's background pass).
    pub async fn verify_and_keep(&self, progress: &dyn VerifyProgress) -> Result<VerifyReport, StoreError> {
        self.verify_everything(progress, true).await
    }

    async fn verify_everything(&self, progress: &dyn VerifyProgress, keep: bool) -> Result<VerifyReport, StoreError> {
        // The epoch first: what this pass finds is kept as checks made at it (see "Verdicts" in
        // ARCHITECTURE.md), so that pages need not verify again what it just verified.
        let epoch = crate::integrity::epoch(&self.db).await?;
        // Every lot's cooperative and code (label batches and parents name lots by them) and the
        // totals for the progress bar: a few tens of bytes per lot. Rows, identities and events
        // are read by each range below.
        let names = self.lot_names().await?;
        let ids: Vec<i64> = names.iter().map(|(id, ..)| *id).collect();
        let total_events = names.iter().fold(0u64, |sum, (.., count)| {
            sum.saturating_add(u64::try_from(*count).unwrap_or(0))
        });
        let codes: Arc<HashMap<i64, (i64, String)>> = Arc::new(
            names
                .into_iter()
                .map(|(id, cooperative_id, code, _)| (id, (cooperative_id, code)))
                .collect(),
        );
        progress.start(ids.len() as u64, total_events);
        let frozen = Arc::new(frozen_heads(&self.db).await?);
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
        let mut report = VerifyReport::default();
        // The identities of lots made from others, kept for tracing a bad lot to what was made
        // from it (most lots have no parents).
        let mut with_parents: HashMap<i64, GenesisInput> = HashMap::new();
        let window = usize::try_from(self.verify_window).unwrap_or(usize::MAX).max(1);
        for window in ids.chunks(window) {
            let per_part = window.len().div_ceil(parts).max(1);
            let (advance, mut advanced) = tokio::sync::mpsc::unbounded_channel::<u64>();
            let mut tasks = Vec::with_capacity(parts);
            for part in window.chunks(per_part) {
                let (Some(first), Some(last)) = (part.first(), part.last()) else {
                    continue;
                };
                let range = RangeOfLots {
                    first: *first,
                    last: *last,
                    codes: Arc::clone(&codes),
                    frozen: Arc::clone(&frozen),
                    keep: keep.then_some(epoch),
                };
                let store = self.clone();
                let advance = advance.clone();
                tasks.push(tokio::spawn(async move { store.verify_range(range, advance).await }));
            }
            drop(advance);
            while let Some(count) = advanced.recv().await {
                progress.advance(count);
            }
            for task in tasks {
                let checked = task
                    .await
                    .map_err(|e| StoreError::Corrupt(format!("verification task: {e}")))??;
                report.lots.extend(checked.lots);
                report.batches.extend(checked.batches);
                if keep {
                    with_parents.extend(checked.with_parents);
                }
            }
        }
        report.batches.extend(self.verify_batches(&codes).await?);
        report.batches.sort_by(|a, b| a.batch_id.cmp(&b.batch_id));
        report.batches.dedup_by(|a, b| a.batch_id == b.batch_id);
        if keep {
            self.keep_what_verified(&report, &with_parents, &codes, &frozen, epoch)
                .await?;
        }
        Ok(report)
    }

    /// Every lot's id, cooperative, code and event count, by id.
    async fn lot_names(&self) -> Result<Vec<(i64, i64, String, i64)>, StoreError> {
        if let Some(path) = self.sqlite_file.clone() {
            return tokio::task::spawn_blocking(move || sqlite::Reader::open(&path)?.lot_names())
                .await
                .map_err(|e| StoreError::Corrupt(format!("verification task: {e}")))?;
        }
        Ok(lots::Entity::find()
            .select_only()
            .columns([
                lots::Column::Id,
                lots::Column::CooperativeId,
                lots::Column::Code,
                lots::Column::EventCount,
            ])
            .order_by_asc(lots::Column::Id)
            .into_tuple::<(i64, i64, String, i64)>()
            .all(&self.db)
            .await?)
    }

    /// The checks this pass kept for lots whose own chain is intact hold only when nothing
    /// upstream and none of their label batches is altered either: those are taken back; every
    /// batch of a lot that stands gets its check.
    async fn keep_what_verified(
        &self,
        report: &VerifyReport,
        with_parents: &HashMap<i64, GenesisInput>,
        codes: &HashMap<i64, (i64, String)>,
        frozen: &HashMap<i64, Vec<Frozen>>,
        epoch: i64,
    ) -> Result<(), StoreError> {
        let by_code: HashMap<(i64, &str), i64> = codes
            .iter()
            .map(|(id, (coop, code))| ((*coop, code.as_str()), *id))
            .collect();
        let mut tainted: std::collections::BTreeSet<i64> = report
            .lots
            .iter()
            .filter(|l| !l.status.is_intact())
            .filter_map(|l| by_code.get(&(l.cooperative_id, l.lot_code.as_str())).copied())
            .collect();
        let bad_batches: std::collections::HashSet<&str> = report.batches.iter().map(|b| b.batch_id.as_str()).collect();
        for (lot_id, batches) in frozen {
            if batches.iter().any(|b| bad_batches.contains(b.batch_id.as_str())) {
                tainted.insert(*lot_id);
            }
        }
        // Whatever was made from a tainted lot is tainted (parents are listed by code).
        let mut children: HashMap<i64, Vec<i64>> = HashMap::new();
        for (child, identity) in with_parents {
            let coop = identity.cooperative_id;
            for parent in &identity.parents {
                if let Some(parent_id) = by_code.get(&(coop, parent.lot_code.as_ref())) {
                    children.entry(*parent_id).or_default().push(*child);
                }
            }
        }
        let mut queue: Vec<i64> = tainted.iter().copied().collect();
        while let Some(lot) = queue.pop() {
            for child in children.get(&lot).into_iter().flatten() {
                if tainted.insert(*child) {
                    queue.push(*child);
                }
            }
        }
        let _guard = self.quiet_write_guard().await;
        let tainted: Vec<i64> = tainted.into_iter().collect();
        for chunk in tainted.chunks(500) {
            lot_checks::Entity::delete_many()
                .filter(lot_checks::Column::LotId.is_in(chunk.to_vec()))
                .filter(lot_checks::Column::Epoch.eq(epoch))
                .exec(&self.db)
                .await?;
        }
        let tainted: std::collections::HashSet<i64> = tainted.into_iter().collect();
        let good: Vec<&str> = frozen
            .iter()
            .filter(|(lot, _)| !tainted.contains(*lot))
            .flat_map(|(_, batches)| batches.iter().map(|b| b.batch_id.as_str()))
            .filter(|id| !bad_batches.contains(id))
            .collect();
        let now = crate::timestamp_text(&crate::now());
        for chunk in good.chunks(500) {
            batch_checks::Entity::insert_many(chunk.iter().map(|id| batch_checks::ActiveModel {
                batch_id: Set((*id).to_owned()),
                epoch: Set(epoch),
                verdict: Set("intact".to_owned()),
                reason: Set(None),
                reason_vi: Set(None),
                checked_at: Set(now.clone()),
            }))
            .on_conflict(replacing_batch_check())
            .exec(&self.db)
            .await?;
        }
        Ok(())
    }

    /// Keeps, for lots whose own chain this pass found intact, what it folded (taken back at
    /// the end if something upstream or a label batch turns out altered).
    async fn keep_lot_checks(&self, kept: &mut Vec<lot_checks::ActiveModel>) -> Result<(), StoreError> {
        if kept.is_empty() {
            return Ok(());
        }
        let rows = std::mem::take(kept);
        let _guard = self.quiet_write_guard().await;
        for chunk in rows.chunks(500) {
            lot_checks::Entity::insert_many(chunk.to_vec())
                .on_conflict(replacing_lot_check())
                .exec(&self.db)
                .await?;
        }
        Ok(())
    }

    /// Every batch's record and labels, a page of batches at a time.
    async fn verify_batches(&self, lots: &HashMap<i64, (i64, String)>) -> Result<Vec<BatchVerification>, StoreError> {
        let keys: HashMap<String, Option<label::PublicKey>> = cooperative_keys::Entity::find()
            .all(&self.db)
            .await?
            .into_iter()
            .map(|k| (k.key_id, label::PublicKey::parse(&k.public_key).ok()))
            .collect();
        let mut problems = Vec::new();
        let mut after: Option<String> = None;
        loop {
            let mut query = label_batches::Entity::find()
                .order_by_asc(label_batches::Column::Id)
                .limit(BATCH_PAGE);
            if let Some(after) = &after {
                query = query.filter(label_batches::Column::Id.gt(after.clone()));
            }
            let page = query.all(&self.db).await?;
            let Some(last) = page.last() else {
                break;
            };
            after = Some(last.id.clone());
            let ids: Vec<String> = page.iter().map(|b| b.id.clone()).collect();
            let mut serials: HashMap<String, Vec<(i64, String)>> = HashMap::with_capacity(page.len());
            for (batch_id, position, serial) in labels::Entity::find()
                .select_only()
                .columns([
                    labels::Column::BatchId,
                    labels::Column::Position,
                    labels::Column::Serial,
                ])
                .filter(labels::Column::BatchId.is_in(ids))
                .order_by_asc(labels::Column::BatchId)
                .order_by_asc(labels::Column::Position)
                .into_tuple::<(String, i64, String)>()
                .all(&self.db)
                .await?
            {
                serials.entry(batch_id).or_default().push((position, serial));
            }
            for batch in &page {
                let (cooperative_id, lot_code) = lots
                    .get(&batch.lot_id)
                    .cloned()
                    .unwrap_or((batch.cooperative_id, String::new()));
                let listed = serials.remove(&batch.id).unwrap_or_default();
                if let Some(reason) = batch_problem(batch, &keys, &listed, &lot_code) {
                    problems.push(BatchVerification {
                        cooperative_id,
                        batch_id: batch.id.clone(),
                        lot_code,
                        reason,
                    });
                }
            }
        }
        Ok(problems)
    }

    /// Verifies the lots whose ids are in `range`, reporting events checked on `advance`: their
    /// rows, identities and events (in (lot, seq) order), and the batches whose frozen head is
    /// not what their lot recorded at that point. On a SQLite file all of it is read in one read
    /// transaction on a connection of the range's own (see [`sqlite::Reader`]); otherwise
    /// through the pool, the events in pages of `PAGE`.
    async fn verify_range(
        &self,
        range: RangeOfLots,
        advance: tokio::sync::mpsc::UnboundedSender<u64>,
    ) -> Result<CheckedRange, StoreError> {
        let checked_at = crate::timestamp_text(&crate::now());
        let (first, last) = (range.first, range.last);
        let (mut kept, checked) = if let Some(path) = self.sqlite_file.clone() {
            tokio::task::spawn_blocking(move || {
                let reader = sqlite::Reader::open(&path)?;
                let lot_rows = reader.lots(first, last)?;
                let identities = identities(
                    &lot_rows,
                    reader.plots(first, last)?,
                    reader.parents(first, last)?,
                    &range.codes,
                )?;
                let mut check = RangeCheck::new(&lot_rows, &identities, &range.frozen, range.keep, checked_at);
                let mut unreported = 0u64;
                reader.events(first, last, |row| {
                    check.row(row)?;
                    unreported += 1;
                    if unreported == SQLITE_PROGRESS_EVERY {
                        let _ = advance.send(std::mem::take(&mut unreported));
                    }
                    Ok(())
                })?;
                let _ = advance.send(unreported);
                let (kept, lots, batches) = check.finish()?;
                Ok::<_, StoreError>((kept, CheckedRange::new(lots, batches, identities)))
            })
            .await
            .map_err(|e| StoreError::Corrupt(format!("verification task: {e}")))??
        } else {
            let lot_rows = lots::Entity::find()
                .filter(lots::Column::Id.between(first, last))
                .order_by_asc(lots::Column::Id)
                .all(&self.db)
                .await?;
            let plots = lot_plots::Entity::find()
                .select_only()
                .columns([lot_plots::Column::LotId, lot_plots::Column::PlotId])
                .filter(lot_plots::Column::LotId.between(first, last))
                .into_tuple::<(i64, i64)>()
                .all(&self.db)
                .await?;
            let parents = lot_parents::Entity::find()
                .filter(lot_parents::Column::ChildLotId.between(first, last))
                .all(&self.db)
                .await?;
            let identities = identities(&lot_rows, plots, parents, &range.codes)?;
            let mut check = RangeCheck::new(&lot_rows, &identities, &range.frozen, range.keep, checked_at);
            // Before every row of the range's first lot, whatever its seq.
            let mut cursor = (first.saturating_sub(1), i64::MAX);
            loop {
                let page = events_page(last, cursor).all(&self.db).await?;
                let Some(end) = page.last() else {
                    break;
                };
                cursor = (end.lot_id, end.seq);
                for row in &page {
                    check.row(row)?;
                }
                let _ = advance.send(page.len() as u64);
                self.keep_lot_checks(&mut check.kept).await?;
            }
            let (kept, lots, batches) = check.finish()?;
            (kept, CheckedRange::new(lots, batches, identities))
        };
        self.keep_lot_checks(&mut kept).await?;
        Ok(checked)
    }
}

/// The next page of events to verify: up to `PAGE` rows after `after` (a (lot, seq) pair) in
/// (lot, seq) order, of lots up to `last`. A row-value comparison, which both backends answer
/// from the (lot_id, seq) index (the equivalent OR of two conditions makes SQLite rescan from the
/// start each page), and only an upper bound on the lot: PostgreSQL without statistics
/// (autovacuum off, or just after a bulk load) guesses that a two-sided range matches a few rows
/// and sorts the whole range for every page (0.9 s a page against 5 ms, 1,000 lots × 1,000
/// events); a one-sided one it reads in index order.
pub(crate) fn events_page(last: i64, after: (i64, i64)) -> sea_orm::Select<events::Entity> {
    events::Entity::find()
        .filter(events::Column::LotId.lte(last))
        .filter(
            Expr::tuple([Expr::col(events::Column::LotId), Expr::col(events::Column::Seq)])
                .gt(Expr::tuple([Expr::val(after.0), Expr::val(after.1)])),
        )
        .order_by_asc(events::Column::LotId)
        .order_by_asc(events::Column::Seq)
        .limit(PAGE)
}

/// A contiguous range of lots one task verifies, and what it needs of the rest.
struct RangeOfLots {
    /// The lowest lot id.
    first: i64,
    /// The highest lot id.
    last: i64,
    /// Every lot's cooperative and code, by id (parents name lots in other ranges).
    codes: Arc<HashMap<i64, (i64, String)>>,
    /// Every batch's frozen head, by lot.
    frozen: Arc<HashMap<i64, Vec<Frozen>>>,
    /// The epoch to keep intact lots' checks at, when keeping.
    keep: Option<i64>,
}

/// What a range's verification found.
struct CheckedRange {
    lots: Vec<LotVerification>,
    batches: Vec<BatchVerification>,
    /// The identities of its lots made from others.
    with_parents: Vec<(i64, GenesisInput)>,
}

impl CheckedRange {
    fn new(
        lots: Vec<LotVerification>,
        batches: Vec<BatchVerification>,
        identities: HashMap<i64, GenesisInput>,
    ) -> Self {
        Self {
            lots,
            batches,
            with_parents: identities
                .into_iter()
                .filter(|(_, identity)| !identity.parents.is_empty())
                .collect(),
        }
    }
}

/// How many event rows a SQLite read checks between two reports to the progress bar.
const SQLITE_PROGRESS_EVERY: u64 = 4_096;

/// The check of a contiguous range of lots as their events stream past in (lot, seq) order.
struct RangeCheck<'a> {
    lot_rows: &'a [lots::Model],
    identities: &'a HashMap<i64, GenesisInput>,
    frozen: &'a HashMap<i64, Vec<Frozen>>,
    /// The epoch to keep intact lots' checks at, when keeping.
    keep: Option<i64>,
    checked_at: String,
    results: Vec<LotVerification>,
    batches: Vec<BatchVerification>,
    /// Checks of intact lots not yet written.
    kept: Vec<lot_checks::ActiveModel>,
    /// The next lot to close.
    lot_index: usize,
    /// The lot whose events are streaming: its index and its walk so far.
    current: Option<(usize, LotWalk)>,
}

impl<'a> RangeCheck<'a> {
    fn new(
        lot_rows: &'a [lots::Model],
        identities: &'a HashMap<i64, GenesisInput>,
        frozen: &'a HashMap<i64, Vec<Frozen>>,
        keep: Option<i64>,
        checked_at: String,
    ) -> Self {
        Self {
            lot_rows,
            identities,
            frozen,
            keep,
            checked_at,
            results: Vec::with_capacity(lot_rows.len()),
            batches: Vec::new(),
            kept: Vec::new(),
            lot_index: 0,
            current: None,
        }
    }

    fn identity(&self, index: usize) -> Result<&'a GenesisInput, StoreError> {
        self.identities
            .get(&self.lot_rows[index].id)
            .ok_or_else(|| StoreError::Corrupt("identity".into()))
    }

    fn start(&self, index: usize) -> Result<LotWalk, StoreError> {
        LotWalk::start(self.identity(index)?, &self.lot_rows[index])
    }

    /// Feeds one event row.
    fn row(&mut self, row: &events::Model) -> Result<(), StoreError> {
        // Close every lot before this event's lot (including lots without events).
        while self.lot_index < self.lot_rows.len() && self.lot_rows[self.lot_index].id < row.lot_id {
            self.close()?;
        }
        let index = self.lot_index;
        if index >= self.lot_rows.len() || self.lot_rows[index].id != row.lot_id {
            return Ok(()); // An event whose lot row is gone: that lot's count check reports it.
        }
        if !matches!(self.current, Some((current, _)) if current == index) {
            self.current = Some((index, self.start(index)?));
        }
        for batch in self.frozen.get(&row.lot_id).into_iter().flatten() {
            if i64::try_from(batch.event_count).ok() == Some(row.seq) && batch.head != row.head {
                self.batches.push(batch.problem(&self.lot_rows[index]));
            }
        }
        if let Some((_, walk)) = self.current.as_mut() {
            walk.feed(row);
        }
        Ok(())
    }

    /// Closes the next lot: its chain against its row, its status, its batches frozen before
    /// any event, and the check to keep when it is intact.
    fn close(&mut self) -> Result<(), StoreError> {
        let index = self.lot_index;
        let walk = match self.current.take() {
            Some((current, walk)) if current == index => walk,
            _ => self.start(index)?,
        };
        let row = &self.lot_rows[index];
        let (status, state) = walk.finish(self.identity(index)?, row)?;
        // A batch frozen before any event froze the genesis.
        for batch in self.frozen.get(&row.id).into_iter().flatten() {
            if batch.event_count == 0 && batch.head != row.genesis {
                self.batches.push(batch.problem(row));
            }
        }
        if let (Some(epoch), true) = (self.keep, status.is_intact()) {
            self.kept.push(lot_checks::ActiveModel {
                lot_id: Set(row.id),
                epoch: Set(epoch),
                event_count: Set(row.event_count),
                head: Set(row.head.clone()),
                verdict: Set("intact".to_owned()),
                reason: Set(None),
                reason_vi: Set(None),
                folded: Set(serde_json::to_string(&state.folded()).ok()),
                checked_at: Set(self.checked_at.clone()),
            });
        }
        self.results.push(LotVerification {
            cooperative_id: row.cooperative_id,
            lot_code: row.code.clone(),
            status,
        });
        self.lot_index += 1;
        Ok(())
    }

    /// Closes every lot left; the checks to keep, the results and the batch problems.
    #[allow(clippy::type_complexity)]
    fn finish(
        mut self,
    ) -> Result<
        (
            Vec<lot_checks::ActiveModel>,
            Vec<LotVerification>,
            Vec<BatchVerification>,
        ),
        StoreError,
    > {
        while self.lot_index < self.lot_rows.len() {
            self.close()?;
        }
        Ok((self.kept, self.results, self.batches))
    }
}

/// How many label batches one verification page reads.
const BATCH_PAGE: u64 = 1_000;

/// The identity of each lot of `lot_rows` as hashed into its genesis, from its row, its
/// (lot, plot) pairs and its parent links; `codes` names every lot (a parent may be in another
/// range).
fn identities(
    lot_rows: &[lots::Model],
    plot_pairs: Vec<(i64, i64)>,
    parent_links: Vec<lot_parents::Model>,
    codes: &HashMap<i64, (i64, String)>,
) -> Result<HashMap<i64, GenesisInput>, StoreError> {
    let mut plots: HashMap<i64, Vec<i64>> = HashMap::new();
    for (lot_id, plot_id) in plot_pairs {
        plots.entry(lot_id).or_default().push(plot_id);
    }
    let mut parents: HashMap<i64, Vec<ParentLink>> = HashMap::new();
    for link in parent_links {
        let Some((_, code)) = codes.get(&link.parent_lot_id) else {
            continue; // A parent row gone: the child's genesis no longer matches, reported there.
        };
        parents.entry(link.child_lot_id).or_default().push(ParentLink {
            lot_code: LotCode::parse(code, "code").map_err(|e| StoreError::Corrupt(e.to_string()))?,
            head: parse_head(&link.parent_head)?,
            quantity: quantity_from_columns(&link.quantity_value, &link.quantity_unit)?,
        });
    }
    let mut out = HashMap::with_capacity(lot_rows.len());
    for row in lot_rows {
        let mut plot_ids = plots.remove(&row.id).unwrap_or_default();
        plot_ids.sort_unstable();
        out.insert(
            row.id,
            GenesisInput {
                cooperative_id: row.cooperative_id,
                lot_code: LotCode::parse(&row.code, "code").map_err(|e| StoreError::Corrupt(e.to_string()))?,
                product_id: row.product_id,
                plot_ids,
                created_at: DateTime::parse_from_rfc3339(&row.created_at)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                parents: parents.remove(&row.id).unwrap_or_default(),
            },
        );
    }
    Ok(out)
}

/// The head a label batch froze, and at which event of its lot.
struct Frozen {
    batch_id: String,
    cooperative_id: i64,
    event_count: u64,
    head: String,
}

impl Frozen {
    fn problem(&self, lot: &lots::Model) -> BatchVerification {
        BatchVerification {
            cooperative_id: self.cooperative_id,
            batch_id: self.batch_id.clone(),
            lot_code: lot.code.clone(),
            reason: format!(
                "the head it was printed with is not the one lot {} recorded at event {}",
                lot.code, self.event_count
            ),
        }
    }
}

/// Every batch's frozen head, by lot.
async fn frozen_heads(db: &impl ConnectionTrait) -> Result<HashMap<i64, Vec<Frozen>>, StoreError> {
    let mut out: HashMap<i64, Vec<Frozen>> = HashMap::new();
    for (batch_id, cooperative_id, lot_id, event_count, head) in label_batches::Entity::find()
        .select_only()
        .columns([
            label_batches::Column::Id,
            label_batches::Column::CooperativeId,
            label_batches::Column::LotId,
            label_batches::Column::EventCount,
            label_batches::Column::ChainHead,
        ])
        .into_tuple::<(String, i64, i64, i64, String)>()
        .all(db)
        .await?
    {
        out.entry(lot_id).or_default().push(Frozen {
            batch_id,
            cooperative_id,
            event_count: u64::try_from(event_count).unwrap_or(u64::MAX),
            head,
        });
    }
    Ok(out)
}

/// What is wrong with a batch's own record and its list of labels, when anything is.
fn batch_problem(
    batch: &label_batches::Model,
    keys: &HashMap<String, Option<label::PublicKey>>,
    listed: &[(i64, String)],
    lot_code: &str,
) -> Option<String> {
    let Ok(record) = serde_json::from_str::<label::BatchRecord>(&batch.record) else {
        return Some("its record can no longer be read".into());
    };
    let Some(Some(key)) = keys.get(&batch.key_id) else {
        return Some(format!("its signing key {} is missing", batch.key_id));
    };
    let signature = label::BatchSignature::parse(&batch.signature);
    if signature.and_then(|s| label::verify_record(&record, &s, key)).is_err() {
        return Some("its signature does not match its record".into());
    }
    if record.batch_id != batch.id
        || record.lot_code.as_ref() != lot_code
        || i64::from(record.count) != batch.count
        || record.chain_head.to_hex() != batch.chain_head
        || i64::try_from(record.event_count).ok() != Some(batch.event_count)
    {
        return Some("its row no longer says what its signed record says (lot, count or head)".into());
    }
    let in_order = listed
        .iter()
        .enumerate()
        .all(|(i, (position, _))| usize::try_from(*position).is_ok_and(|p| p == i + 1));
    let serials: Result<Vec<label::Serial>, _> = listed.iter().map(|(_, s)| label::Serial::parse(s)).collect();
    let digest = serials.map(|s| label::serials_digest(&s)).ok();
    if listed.len() != batch.count.try_into().unwrap_or(usize::MAX) || !in_order {
        return Some(format!(
            "it signed {} labels but {} are stored",
            batch.count,
            listed.len()
        ));
    }
    if digest.as_ref() != Some(&record.serials_digest) {
        return Some("its list of labels is not the one it signed (a serial was changed)".into());
    }
    None
}
