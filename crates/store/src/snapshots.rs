//! A lot's public record kept in the database under the stamp it was built at
//! (ARCHITECTURE.md, "Verdicts"): the first process that needs a lot's record at a new stamp
//! assembles it (a score of queries) and keeps it; every later scan of any label of that lot,
//! after a restart or on another replica, reads it back in one query by lot id and stamp.
//!
//! A kept record is used only under exactly the stamp the request just read, so it is never
//! staler than the database; and it is sealed with a keyed blake3 hash whose key the database
//! does not hold, so a record edited by hand fails its seal and is rebuilt from the events
//! rather than shown.

use std::collections::HashMap;
use std::sync::Arc;

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Order, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set, StatementBuilder};

use crate::entities::{lots, public_snapshots};
use crate::point_reads::Columns;
use crate::scan::{stamp_columns, stamp_from};
use crate::verify::VerifyProgress;
use crate::{LotStamp, PublicLot, Store, StoreError, now, timestamp_text};

/// Lots [`Store::keep_public_records`] reads, builds (two at a time) and keeps in one go.
const KEEP_WINDOW: u64 = 256;

/// How old a kept record sealed by another key must be before a server replaces it at the same
/// stamp: long enough that two running processes with different keys do not fight over a row,
/// short enough that a restarted process without a secret gets the use of its records back.
const FOREIGN_RECORD_HOURS: i64 = 1;

/// A kept record as stored: the stamp it was built at, the deflated JSON, the seal.
#[derive(Debug, Clone)]
pub(crate) struct KeptRecord {
    pub(crate) stamp: String,
    pub(crate) body: Vec<u8>,
    pub(crate) seal: String,
}

/// Kept records written at once beside requests; a request that finds them all busy leaves its
/// record unkept (a later request keeps it), so a burst of first scans never queues writes.
pub(crate) const WRITERS: usize = 2;

/// A key for this process alone.
pub(crate) fn random_key() -> [u8; 32] {
    rand::random()
}

/// The seal key derived from a configured secret.
pub(crate) fn key_from(secret: &str) -> [u8; 32] {
    blake3::derive_key("nguon 2026-12 public record seal", secret.as_bytes())
}

/// The shape of a kept record and how it is assembled: bump it whenever `PublicLot` or
/// [`Store::public_lot`] changes what a record says, so records kept by an older build are
/// rebuilt rather than shown.
const RECORD_FORMAT: u32 = 1;

/// The stamp as kept beside a record: the record format, then every field in a fixed order.
fn stamp_key(stamp: &LotStamp) -> String {
    format!("{RECORD_FORMAT}:{}", serde_json::to_string(stamp).unwrap_or_default())
}

fn seal(key: &[u8; 32], lot_id: i64, stamp: &str, body: &[u8]) -> String {
    let mut hasher = blake3::Hasher::new_keyed(key);
    hasher.update(&lot_id.to_le_bytes());
    hasher.update(&(stamp.len() as u64).to_le_bytes());
    hasher.update(stamp.as_bytes());
    hasher.update(body);
    hasher.finalize().to_hex().to_string()
}

/// A record as kept: JSON, deflated (records repeat their cooperative's profile, plots and
/// certificates, and deflate to a fraction of their size).
fn pack(lot: &PublicLot) -> Result<Vec<u8>, StoreError> {
    let json = serde_json::to_vec(lot).map_err(|e| StoreError::Corrupt(format!("public record: {e}")))?;
    crate::pages::deflate(&json).map_err(|e| StoreError::Corrupt(format!("public record: {e}")))
}

fn unpack(body: &[u8]) -> Result<PublicLot, String> {
    let json = crate::pages::inflate(body).map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

/// The record kept for a lot at exactly a stamp (its key, [`stamp_key`]).
pub(crate) fn kept_record_statement(lot_id: i64, stamp: &str, backend: sea_orm::DbBackend) -> sea_orm::Statement {
    let column = |c| (public_snapshots::Entity, c);
    let mut select = Query::select();
    select
        .columns([
            column(public_snapshots::Column::Stamp),
            column(public_snapshots::Column::Body),
            column(public_snapshots::Column::Seal),
        ])
        .from(public_snapshots::Entity)
        .and_where(Expr::col(column(public_snapshots::Column::LotId)).eq(lot_id))
        .and_where(Expr::col(column(public_snapshots::Column::Stamp)).eq(stamp));
    StatementBuilder::build(&select, &backend)
}

fn kept_record_from(row: &impl Columns) -> Result<Option<KeptRecord>, StoreError> {
    Ok(match (row.text("stamp")?, row.bytes("body")?, row.text("seal")?) {
        (Some(stamp), Some(body), Some(seal)) => Some(KeptRecord { stamp, body, seal }),
        _ => None,
    })
}

impl Store {
    /// Everything a lot's public pages show, as of `stamp` (just read by the caller): the kept
    /// record when one was built at exactly this stamp and its seal holds, else assembled now
    /// and kept for the next request.
    pub async fn public_lot_at(&self, stamp: &LotStamp) -> Result<Arc<PublicLot>, StoreError> {
        match self.kept_public_lot(stamp).await? {
            Some(lot) => Ok(Arc::new(lot)),
            None => self.build_public_lot(stamp).await,
        }
    }

    /// A lot's public record assembled now and kept for the next request, for a caller that
    /// already knows none is kept at `stamp` (see [`Store::public_lot_at`]).
    pub async fn build_public_lot(&self, stamp: &LotStamp) -> Result<Arc<PublicLot>, StoreError> {
        let lot = Arc::new(self.public_lot(stamp.cooperative_id, &stamp.code).await?);
        if lot.stamp == *stamp {
            self.keep_public_lot(lot.clone());
        }
        Ok(lot)
    }

    /// The record kept at exactly `stamp`, when its seal holds: one indexed read by lot id and
    /// stamp (a point read on a SQLite file, as the scan's own query).
    async fn kept_public_lot(&self, stamp: &LotStamp) -> Result<Option<PublicLot>, StoreError> {
        let key = stamp_key(stamp);
        let kept = match self.kept_record_reads() {
            Some((reads, statement)) => reads.one(statement, &[stamp.lot_id.into(), key.into()], |row| {
                kept_record_from(row)
            })?,
            None => {
                let statement = kept_record_statement(stamp.lot_id, &key, self.db.get_database_backend());
                match self.db.query_one_raw(statement).await? {
                    Some(row) => Some(kept_record_from(&row)?),
                    None => None,
                }
            }
        };
        Ok(kept.flatten().and_then(|kept| self.open_kept(&kept, stamp)))
    }

    /// Whether a kept record was kept at exactly `stamp` and its seal holds under this key.
    fn holds(&self, kept: &KeptRecord, stamp: &LotStamp) -> bool {
        kept.stamp == stamp_key(stamp) && kept.seal == seal(&self.seal_key, stamp.lot_id, &kept.stamp, &kept.body)
    }

    /// A kept record's lot, when it was kept at exactly `stamp` and its seal holds.
    pub(crate) fn open_kept(&self, kept: &KeptRecord, stamp: &LotStamp) -> Option<PublicLot> {
        if !self.holds(kept, stamp) {
            // Another stamp, another process's key, or a hand edit: not used.
            tracing::debug!(lot = stamp.lot_id, "kept public record not usable here: rebuilt");
            return None;
        }
        match unpack(&kept.body) {
            Ok(lot) if lot.stamp == *stamp => Some(lot),
            Ok(_) => None,
            Err(error) => {
                tracing::warn!(lot = stamp.lot_id, %error, "kept public record unreadable: rebuilt");
                None
            }
        }
    }

    /// Keeps a record beside the request that built it, unless every writer is busy.
    fn keep_public_lot(&self, lot: Arc<PublicLot>) {
        let Ok(permit) = self.snapshot_writes.clone().try_acquire_owned() else {
            return;
        };
        let store = self.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(error) = store.write_public_lot(&lot).await {
                tracing::warn!(lot = lot.stamp.lot_id, %error, "could not keep a lot's public record");
            }
        });
    }

    /// Writes a lot's kept record, replacing one of another stamp.
    async fn write_public_lot(&self, lot: &PublicLot) -> Result<(), StoreError> {
        self.write_public_lots(std::slice::from_ref(lot), false).await
    }

    /// Writes lots' kept records in one statement, replacing those of another stamp, those of
    /// the same stamp kept over an hour ago, and — `replace_all`, for the operator's pass, which
    /// has checked them — any.
    async fn write_public_lots(&self, lots: &[PublicLot], replace_all: bool) -> Result<(), StoreError> {
        if lots.is_empty() {
            return Ok(());
        }
        let built_at = timestamp_text(&now());
        let foreign_cutoff = timestamp_text(&(now() - chrono::Duration::hours(FOREIGN_RECORD_HOURS)));
        let mut rows = Vec::with_capacity(lots.len());
        for lot in lots {
            let stamp = stamp_key(&lot.stamp);
            let body = pack(lot)?;
            rows.push(public_snapshots::ActiveModel {
                lot_id: Set(lot.stamp.lot_id),
                seal: Set(seal(&self.seal_key, lot.stamp.lot_id, &stamp, &body)),
                stamp: Set(stamp),
                body: Set(body),
                built_at: Set(built_at.clone()),
            });
        }
        let _guard = self.quiet_write_guard().await;
        public_snapshots::Entity::insert_many(rows)
            .on_conflict(
                OnConflict::column(public_snapshots::Column::LotId)
                    .update_columns([
                        public_snapshots::Column::Stamp,
                        public_snapshots::Column::Body,
                        public_snapshots::Column::Seal,
                        public_snapshots::Column::BuiltAt,
                    ])
                    // A recent record at the same stamp (sealed by another running process's
                    // key, or a hand edit) stays: overwriting it would start a tug of war.
                    .action_and_where_option((!replace_all).then(|| {
                        let kept = |column| (public_snapshots::Entity, column);
                        Expr::col(kept(public_snapshots::Column::Stamp))
                            .ne(Expr::col((Alias::new("excluded"), public_snapshots::Column::Stamp)))
                            .or(Expr::col(kept(public_snapshots::Column::BuiltAt)).lt(foreign_cutoff.clone()))
                    }))
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Builds and keeps the public record of every lot that has no usable one at its current
    /// stamp (as after an upgrade, or before a promotion that will send buyers to many labels
    /// at once), a window of lots at a time; a kept record whose seal fails under this store's
    /// key is replaced. `progress` counts lots. How many records were built.
    pub async fn keep_public_records(&self, progress: &dyn VerifyProgress) -> Result<u64, StoreError> {
        let total = lots::Entity::find().count(&self.db).await?;
        progress.start(total, total);
        let mut after = 0_i64;
        let mut built_in_all = 0_u64;
        loop {
            let mut select = Query::select();
            select
                .from(lots::Entity)
                .and_where(Expr::col((lots::Entity, lots::Column::Id)).gt(after))
                .order_by((lots::Entity, lots::Column::Id), Order::Asc)
                .limit(KEEP_WINDOW);
            stamp_columns(&mut select);
            let rows = self
                .db
                .query_all_raw(StatementBuilder::build(&select, &self.db.get_database_backend()))
                .await?;
            let mut stamps = Vec::with_capacity(rows.len());
            for row in &rows {
                stamps.extend(stamp_from(row)?);
            }
            let Some(last) = stamps.last() else {
                break;
            };
            after = last.lot_id;
            let kept: HashMap<i64, KeptRecord> = public_snapshots::Entity::find()
                .filter(public_snapshots::Column::LotId.is_in(stamps.iter().map(|s| s.lot_id)))
                .all(&self.db)
                .await?
                .into_iter()
                .map(|row| {
                    let kept = KeptRecord {
                        stamp: row.stamp,
                        body: row.body,
                        seal: row.seal,
                    };
                    (row.lot_id, kept)
                })
                .collect();
            let missing: Vec<LotStamp> = stamps
                .iter()
                .filter(|stamp| kept.get(&stamp.lot_id).is_none_or(|k| !self.holds(k, stamp)))
                .cloned()
                .collect();
            // Two builders, as many as the cores a small server has.
            let (first, second) = missing.split_at(missing.len() / 2);
            let build = |part: Vec<LotStamp>| {
                let store = self.clone();
                tokio::spawn(async move {
                    let mut built = Vec::with_capacity(part.len());
                    for stamp in part {
                        // A lot that cannot be read now (gone, corrupt) is left for its first scan.
                        match store.public_lot(stamp.cooperative_id, &stamp.code).await {
                            Ok(lot) => built.push(lot),
                            Err(error) => tracing::warn!(lot = stamp.lot_id, %error, "public record not built"),
                        }
                    }
                    built
                })
            };
            let (a, b) = (build(first.to_vec()), build(second.to_vec()));
            let join = |r: Result<_, tokio::task::JoinError>| r.map_err(|e| StoreError::Corrupt(e.to_string()));
            let mut built = join(a.await)?;
            built.extend(join(b.await)?);
            self.write_public_lots(&built, true).await?;
            built_in_all += built.len() as u64;
            progress.advance(stamps.len() as u64);
        }
        Ok(built_in_all)
    }

    /// Whether a record is kept for this lot at exactly this stamp under this store's key.
    pub async fn has_kept_public_lot(&self, stamp: &LotStamp) -> Result<bool, StoreError> {
        Ok(self.kept_public_lot(stamp).await?.is_some())
    }
}
