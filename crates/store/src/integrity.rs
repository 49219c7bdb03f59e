//! Keeping verdicts true without re-hashing on every read (ARCHITECTURE.md, "Verdicts").
//!
//! Database triggers move `integrity.epoch` on any update or delete of a row the chain or a
//! label covers (the application only inserts them). A lot or a label batch verified at the
//! current epoch, with the head and count it was verified at, is known to be as verified: nothing
//! it covers has changed since. `lot_checks` keeps that per lot, with the lot's folded state, so
//! an append validates against the fold instead of re-reading the history; `batch_checks` keeps
//! it per label batch. An edit that bypasses the triggers (dropped triggers, the file edited
//! byte by byte) is caught by the background re-verification ([`Store::reverify_all`]).

use std::collections::BTreeSet;

use farm_log::chain::{ChainVerifier, GenesisInput, StoredLink, initial_holding};
use farm_log::{ChainHead, ChainStatus, Event, FoldedLot, LotState};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};
use uuid::Uuid;

use crate::entities::{
    batch_checks, cooperative_keys, events, integrity, label_batches, lot_checks, lot_parents, lots,
};
use crate::labels::{ancestry, batch_record_problem, event_rows};
use crate::lots::{event_from_row, genesis_input, parse_head};
use crate::{Store, StoreError, now, timestamp_text};

/// What a lot's stored record says about itself, as a buyer and an appender need it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum LotIntegrity {
    /// Its chain and its ancestors' (up to the packing that made it) hash as recorded.
    Intact,
    /// Its chain was altered and a leader acknowledged exactly that alteration: logging may go
    /// on, buyers are still told the record was changed.
    Acknowledged(Reason),
    /// Its own chain is intact (or acknowledged) but a lot it was made from was changed after
    /// the packing.
    AncestorAltered(Reason),
    /// Its chain is intact (or acknowledged) but a label batch printed for it was changed: its
    /// signature, its list of labels, or the head it froze. Logging goes on; buyers are told.
    LabelsAltered(Reason),
    /// Its chain was altered and nobody acknowledged it: nothing more can be logged.
    Altered(Reason),
}

/// Why, in English and Vietnamese.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    /// In English.
    pub en: String,
    /// In Vietnamese.
    pub vi: String,
}

impl LotIntegrity {
    fn as_str(&self) -> &'static str {
        match self {
            LotIntegrity::Intact => "intact",
            LotIntegrity::Acknowledged(_) => "acknowledged",
            LotIntegrity::AncestorAltered(_) => "ancestor_altered",
            LotIntegrity::LabelsAltered(_) => "labels_altered",
            LotIntegrity::Altered(_) => "altered",
        }
    }

    /// What a buyer is told: anything but intact is an altered record.
    pub fn for_buyers(&self) -> farm_log::Integrity {
        match self {
            LotIntegrity::Intact => farm_log::Integrity::Intact,
            _ => farm_log::Integrity::Altered,
        }
    }

    /// Why it is not intact, when it is not.
    pub fn reason(&self) -> Option<&Reason> {
        match self {
            LotIntegrity::Intact => None,
            LotIntegrity::Acknowledged(r)
            | LotIntegrity::AncestorAltered(r)
            | LotIntegrity::LabelsAltered(r)
            | LotIntegrity::Altered(r) => Some(r),
        }
    }

    fn from_columns(verdict: &str, en: Option<String>, vi: Option<String>) -> Self {
        let reason = || Reason {
            en: en.clone().unwrap_or_default(),
            vi: vi.clone().unwrap_or_default(),
        };
        match verdict {
            "intact" => LotIntegrity::Intact,
            "acknowledged" => LotIntegrity::Acknowledged(reason()),
            "ancestor_altered" => LotIntegrity::AncestorAltered(reason()),
            "labels_altered" => LotIntegrity::LabelsAltered(reason()),
            _ => LotIntegrity::Altered(reason()),
        }
    }
}

/// Why a chain is altered, in both languages, from what the verifier found.
pub(crate) fn chain_reason(code: &str, chain: &ChainStatus) -> Reason {
    match chain {
        ChainStatus::Altered { at_seq: 0, .. } => Reason {
            en: format!(
                "Lot {code}'s identity (its product, plots, parents or creation time) was changed after it was recorded."
            ),
            vi: format!(
                "Thông tin gốc của lô {code} (sản phẩm, thửa ruộng, lô gốc hoặc ngày tạo) đã bị sửa sau khi ghi."
            ),
        },
        ChainStatus::Altered { at_seq, reason, .. } if reason.starts_with("the lot is marked") => Reason {
            en: format!("Lot {code}'s status was changed by hand and no longer matches its diary (event {at_seq})."),
            vi: format!("Trạng thái của lô {code} đã bị sửa tay, không còn khớp với nhật ký."),
        },
        ChainStatus::Altered { at_seq, .. } => Reason {
            en: format!("Event {at_seq} of lot {code}, or one after it, was changed or removed after it was recorded."),
            vi: format!("Nhật ký thứ {at_seq} của lô {code} (hoặc sau đó) đã bị sửa hoặc xoá sau khi ghi."),
        },
        ChainStatus::Intact { .. } => Reason {
            en: String::new(),
            vi: String::new(),
        },
    }
}

/// A lot verified from every stored row.
pub(crate) struct FullCheck {
    /// What it says.
    pub integrity: LotIntegrity,
    /// What the chain alone says.
    pub chain: ChainStatus,
    /// The events that could be read, in chain order.
    pub events: Vec<Event>,
    /// The digest of the stored history, as an acknowledgement appended now would name it.
    pub history: ChainHead,
    /// The readable events folded (with every event at hand, corrections included).
    pub state: LotState,
}

/// The lot row's status is a cache of what its history says; a chain that hashes right but a
/// status that disagrees (a recall hidden by editing the column) is altered.
pub(crate) fn check_status(row: &lots::Model, state: &LotState, chain: ChainStatus) -> ChainStatus {
    let ChainStatus::Intact { events: count, .. } = &chain else {
        return chain;
    };
    if state.status.as_str() == row.status {
        chain
    } else {
        ChainStatus::Altered {
            at_seq: *count,
            event_id: None,
            reason: format!(
                "the lot is marked {} but its history says {}",
                row.status,
                state.status.as_str()
            ),
            acknowledged_by: None,
        }
    }
}

pub(crate) fn stored_link(row: &events::Model) -> StoredLink {
    StoredLink {
        event_id: Uuid::parse_str(&row.id).unwrap_or(Uuid::nil()),
        seq: u64::try_from(row.seq).unwrap_or(0),
        event: event_from_row(row),
        recorded_head: parse_head(&row.head).unwrap_or(ChainHead([0; 32])),
    }
}

/// One lot's stored history walked in seq order: its chain link by link, and the events that can
/// still be read, to be folded at the end. The one walk behind every verification of a lot.
pub(crate) struct LotWalk {
    verifier: ChainVerifier,
    events: Vec<Event>,
}

impl LotWalk {
    /// Starts at the lot's genesis, hashed from `identity`.
    pub(crate) fn start(identity: &GenesisInput, row: &lots::Model) -> Result<Self, StoreError> {
        Ok(Self {
            verifier: ChainVerifier::start(identity, &parse_head(&row.genesis)?),
            events: Vec::with_capacity(usize::try_from(row.event_count).unwrap_or(0).min(1_024)),
        })
    }

    /// Feeds the next stored event row.
    pub(crate) fn feed(&mut self, stored: &events::Model) {
        let link = stored_link(stored);
        self.verifier.feed(&link);
        if let Ok(event) = link.event {
            self.events.push(event);
        }
    }

    /// The digest of every row fed so far (what an acknowledgement appended next would name).
    pub(crate) fn stored_history(&self) -> ChainHead {
        self.verifier.stored_history()
    }

    /// Ends the walk: the chain against the lot's recorded head and count, the events folded
    /// from what the lot started with, and the lot's status column against that fold.
    pub(crate) fn finish(
        self,
        identity: &GenesisInput,
        row: &lots::Model,
    ) -> Result<(ChainStatus, LotState), StoreError> {
        let chain = self
            .verifier
            .finish(&parse_head(&row.head)?, u64::try_from(row.event_count).unwrap_or(0));
        let state = LotState::from_events(initial_holding(&identity.parents), self.events);
        Ok((check_status(row, &state, chain), state))
    }
}

/// Verifies a lot from its stored rows: its own chain (acknowledgements included), its status
/// column, and its ancestors up to the packing or merging that made it.
pub(crate) async fn verify_fully(db: &impl ConnectionTrait, row: &lots::Model) -> Result<FullCheck, StoreError> {
    let rows = event_rows(db, row.id).await?;
    let identity = genesis_input(db, row).await?;
    let mut walk = LotWalk::start(&identity, row)?;
    for stored in &rows {
        walk.feed(stored);
    }
    let history = walk.stored_history();
    let (chain, state) = walk.finish(&identity, row)?;
    let events = state.events().to_vec();
    let ancestors = ancestry(db, row).await?.altered;
    let labels = labels_problem(db, row, &rows).await?;
    let integrity = match (&chain, ancestors, labels) {
        (
            ChainStatus::Altered {
                acknowledged_by: None, ..
            },
            _,
            _,
        ) => LotIntegrity::Altered(chain_reason(&row.code, &chain)),
        (_, Some((en, vi)), _) => LotIntegrity::AncestorAltered(Reason { en, vi }),
        (_, None, Some(reason)) => LotIntegrity::LabelsAltered(reason),
        (ChainStatus::Altered { .. }, None, None) => LotIntegrity::Acknowledged(chain_reason(&row.code, &chain)),
        (ChainStatus::Intact { .. }, None, None) => LotIntegrity::Intact,
    };
    Ok(FullCheck {
        integrity,
        chain,
        events,
        history,
        state,
    })
}

/// What is wrong with the label batches printed for a lot, when anything is: each batch's own
/// record (signature, labels) and that the head it froze is the one recorded at that point of
/// the lot's stored history.
async fn labels_problem(
    db: &impl ConnectionTrait,
    row: &lots::Model,
    rows: &[events::Model],
) -> Result<Option<Reason>, StoreError> {
    for batch in label_batches::Entity::find()
        .filter(label_batches::Column::LotId.eq(row.id))
        .all(db)
        .await?
    {
        let broken = || Reason {
            en: format!(
                "Label batch {} of lot {} was changed after it was printed.",
                batch.id, row.code
            ),
            vi: format!("Lô tem {} của lô {} đã bị sửa sau khi in.", batch.id, row.code),
        };
        let Ok(record) = serde_json::from_str::<label::BatchRecord>(&batch.record) else {
            return Ok(Some(broken()));
        };
        let key = cooperative_keys::Entity::find()
            .filter(cooperative_keys::Column::KeyId.eq(&batch.key_id))
            .one(db)
            .await?
            .and_then(|k| label::PublicKey::parse(&k.public_key).ok());
        let Some(key) = key else {
            return Ok(Some(broken()));
        };
        if let Some(reason) = batch_record_problem(db, &record, &batch, row, &key).await? {
            return Ok(Some(reason));
        }
        let frozen = match record.event_count {
            0 => Some(row.genesis.clone()),
            n => rows
                .iter()
                .find(|r| u64::try_from(r.seq).ok() == Some(n))
                .map(|r| r.head.clone()),
        };
        if frozen.as_deref() != Some(record.chain_head.to_hex().as_str()) {
            return Ok(Some(Reason {
                en: format!(
                    "Lot {}'s history up to the printing of batch {} no longer matches the head its labels carry.",
                    row.code, batch.id
                ),
                vi: format!(
                    "Nhật ký của lô {} đến lúc in lô tem {} không còn khớp với mã xác thực trên tem.",
                    row.code, batch.id
                ),
            }));
        }
    }
    Ok(None)
}

/// The current integrity epoch.
pub(crate) async fn epoch(db: &impl ConnectionTrait) -> Result<i64, StoreError> {
    Ok(integrity::Entity::find_by_id(1)
        .one(db)
        .await?
        .map_or(0, |row| row.epoch))
}

/// A kept check, when it still holds for the lot as it is now.
pub(crate) fn current_check<'c>(
    check: Option<&'c lot_checks::Model>,
    row: &lots::Model,
    epoch: i64,
) -> Option<&'c lot_checks::Model> {
    check.filter(|c| c.epoch == epoch && c.event_count == row.event_count && c.head == row.head)
}

/// The integrity a kept check records.
pub(crate) fn integrity_of(check: &lot_checks::Model) -> LotIntegrity {
    LotIntegrity::from_columns(&check.verdict, check.reason.clone(), check.reason_vi.clone())
}

/// The fold a kept check holds, when its status still matches the lot row's (a status edited
/// by hand makes the check void).
pub(crate) fn folded_of(check: &lot_checks::Model, row: &lots::Model) -> Option<FoldedLot> {
    let folded: FoldedLot = serde_json::from_str(check.folded.as_deref()?).ok()?;
    (LotState::from_folded(folded.clone()).status.as_str() == row.status).then_some(folded)
}

/// Keeps (or replaces) a lot's check.
pub(crate) async fn save_lot_check(
    db: &impl ConnectionTrait,
    lot_id: i64,
    epoch: i64,
    event_count: i64,
    head: &str,
    integrity: &LotIntegrity,
    folded: Option<&FoldedLot>,
) -> Result<(), StoreError> {
    let reason = integrity.reason();
    let row = lot_checks::ActiveModel {
        lot_id: Set(lot_id),
        epoch: Set(epoch),
        event_count: Set(event_count),
        head: Set(head.to_owned()),
        verdict: Set(integrity.as_str().to_owned()),
        reason: Set(reason.map(|r| r.en.clone())),
        reason_vi: Set(reason.map(|r| r.vi.clone())),
        folded: Set(folded.and_then(|f| serde_json::to_string(f).ok())),
        checked_at: Set(timestamp_text(&now())),
    };
    lot_checks::Entity::insert(row)
        .on_conflict(replacing_lot_check())
        .exec(db)
        .await?;
    Ok(())
}

/// A kept lot check replaces the lot's earlier one, whole.
pub(crate) fn replacing_lot_check() -> OnConflict {
    OnConflict::column(lot_checks::Column::LotId)
        .update_columns([
            lot_checks::Column::Epoch,
            lot_checks::Column::EventCount,
            lot_checks::Column::Head,
            lot_checks::Column::Verdict,
            lot_checks::Column::Reason,
            lot_checks::Column::ReasonVi,
            lot_checks::Column::Folded,
            lot_checks::Column::CheckedAt,
        ])
        .to_owned()
}

/// A kept batch check replaces the batch's earlier one, whole.
pub(crate) fn replacing_batch_check() -> OnConflict {
    OnConflict::column(batch_checks::Column::BatchId)
        .update_columns([
            batch_checks::Column::Epoch,
            batch_checks::Column::Verdict,
            batch_checks::Column::Reason,
            batch_checks::Column::ReasonVi,
            batch_checks::Column::CheckedAt,
        ])
        .to_owned()
}

/// Keeps (or replaces) a label batch's check.
pub(crate) async fn save_batch_check(
    db: &impl ConnectionTrait,
    batch_id: &str,
    epoch: i64,
    altered: Option<&Reason>,
) -> Result<(), StoreError> {
    let row = batch_checks::ActiveModel {
        batch_id: Set(batch_id.to_owned()),
        epoch: Set(epoch),
        verdict: Set(if altered.is_some() { "altered" } else { "intact" }.to_owned()),
        reason: Set(altered.map(|r| r.en.clone())),
        reason_vi: Set(altered.map(|r| r.vi.clone())),
        checked_at: Set(timestamp_text(&now())),
    };
    batch_checks::Entity::insert(row)
        .on_conflict(replacing_batch_check())
        .exec(db)
        .await?;
    Ok(())
}

/// Moves the revision of lots whose pages show something of a lot that just got an event.
pub(crate) async fn bump_revisions(db: &impl ConnectionTrait, lot_ids: &[i64]) -> Result<(), StoreError> {
    if lot_ids.is_empty() {
        return Ok(());
    }
    lots::Entity::update_many()
        .col_expr(lots::Column::Revision, Expr::col(lots::Column::Revision).add(1))
        .filter(lots::Column::Id.is_in(lot_ids.to_vec()))
        .exec(db)
        .await?;
    Ok(())
}

/// Every lot made, directly or not, from `lot_id`.
pub(crate) async fn descendants(db: &impl ConnectionTrait, lot_id: i64) -> Result<Vec<i64>, StoreError> {
    let mut found = BTreeSet::new();
    let mut queue = vec![lot_id];
    while let Some(parent) = queue.pop() {
        let children: Vec<i64> = lot_parents::Entity::find()
            .select_only()
            .column(lot_parents::Column::ChildLotId)
            .filter(lot_parents::Column::ParentLotId.eq(parent))
            .into_tuple()
            .all(db)
            .await?;
        for child in children {
            if found.insert(child) {
                queue.push(child);
            }
        }
    }
    Ok(found.into_iter().collect())
}

impl Store {
    /// Verifies the whole database (as `nguon verify` does) and, when what it finds altered is
    /// not what the last pass found, moves the integrity epoch, so every kept verdict is checked
    /// again on its next read. This is what bounds how long an alteration the triggers cannot
    /// see (triggers dropped, the file edited byte by byte) goes unseen: one interval between
    /// passes plus one pass. Returns whether the epoch moved.
    pub async fn reverify_all(&self) -> Result<bool, StoreError> {
        let report = self.verify_and_keep(&crate::verify::Quiet).await?;
        let mut found = blake3::Hasher::new();
        for lot in report.lots.iter().filter(|l| !l.status.is_intact()) {
            found.update(format!("{}/{}:{:?}\n", lot.cooperative_id, lot.lot_code, lot.status).as_bytes());
        }
        for batch in &report.batches {
            found.update(format!("{}:{}\n", batch.batch_id, batch.reason).as_bytes());
        }
        let found = *found.finalize().as_bytes();
        let changed = {
            let mut last = self
                .last_reverify
                .lock()
                .map_err(|_| StoreError::Corrupt("re-verification state".into()))?;
            let clean = report.lots.iter().all(|l| l.status.is_intact()) && report.batches.is_empty();
            let changed = match *last {
                Some(previous) => previous != found,
                None => !clean,
            };
            *last = Some(found);
            changed
        };
        if changed {
            let _guard = self.quiet_write_guard().await;
            integrity::Entity::update_many()
                .col_expr(integrity::Column::Epoch, Expr::col(integrity::Column::Epoch).add(1))
                .filter(integrity::Column::Id.eq(1))
                .exec(&self.db)
                .await?;
        }
        Ok(changed)
    }

    /// The current integrity epoch (moves on any alteration the database's triggers see).
    pub async fn integrity_epoch(&self) -> Result<i64, StoreError> {
        epoch(&self.db).await
    }

    /// A lot's integrity as it stands now: from its kept check when that still holds, else
    /// verified from every row (and the check kept for the next reader, unless the lot changed
    /// meanwhile). Returns the readable events too when it had to read them.
    pub(crate) async fn lot_integrity(
        &self,
        row: &lots::Model,
    ) -> Result<(LotIntegrity, Option<FullCheck>), StoreError> {
        let epoch = epoch(&self.db).await?;
        let kept = lot_checks::Entity::find_by_id(row.id).one(&self.db).await?;
        if let Some(check) = current_check(kept.as_ref(), row, epoch)
            && (check.verdict != "intact" || folded_of(check, row).is_some())
        {
            return Ok((integrity_of(check), None));
        }
        let full = verify_fully(&self.db, row).await?;
        self.keep_lot_check(row, epoch, &full).await?;
        Ok((full.integrity.clone(), Some(full)))
    }

    /// Keeps what a read found, unless the lot moved on meanwhile (an append keeps its own).
    async fn keep_lot_check(&self, row: &lots::Model, epoch: i64, full: &FullCheck) -> Result<(), StoreError> {
        let folded = match &full.integrity {
            LotIntegrity::Altered(_) => None,
            _ => Some(full.state.folded()),
        };
        let _guard = self.quiet_write_guard().await;
        let txn = self.begin_write().await?;
        let now_row = lots::Entity::find_by_id(row.id).lock_exclusive().one(&txn).await?;
        if now_row.is_some_and(|r| r.head == row.head && r.event_count == row.event_count) {
            save_lot_check(
                &txn,
                row.id,
                epoch,
                row.event_count,
                &row.head,
                &full.integrity,
                folded.as_ref(),
            )
            .await?;
        }
        txn.commit().await?;
        Ok(())
    }
}
