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

use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set, StatementBuilder};

use crate::entities::{lots, public_snapshots};
use crate::scan::{stamp_columns, stamp_from};
use crate::verify::VerifyProgress;
use crate::{LotStamp, PublicLot, Store, StoreError, now, timestamp_text};

/// Lots whose records are built side by side, and kept in one transaction, by
/// [`Store::keep_public_records`].
const KEEP_CHUNK: usize = 64;

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

/// The stamp as kept beside a record: every field, in a fixed order.
fn stamp_key(stamp: &LotStamp) -> String {
    serde_json::to_string(stamp).unwrap_or_default()
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
    use std::io::Write;
    let json = serde_json::to_vec(lot).map_err(|e| StoreError::Corrupt(format!("public record: {e}")))?;
    let mut encoder =
        flate2::write::DeflateEncoder::new(Vec::with_capacity(json.len() / 3), flate2::Compression::fast());
    encoder
        .write_all(&json)
        .and_then(|()| encoder.finish())
        .map_err(|e| StoreError::Corrupt(format!("public record: {e}")))
}

fn unpack(body: &[u8]) -> Result<PublicLot, String> {
    use std::io::Read;
    let mut json = Vec::with_capacity(body.len().saturating_mul(4));
    flate2::read::DeflateDecoder::new(body)
        .read_to_end(&mut json)
        .map_err(|e| e.to_string())?;
    serde_json::from_slice(&json).map_err(|e| e.to_string())
}

impl Store {
    /// Everything a lot's public pages show, as of `stamp` (just read by the caller): the kept
    /// record when one was built at exactly this stamp and its seal holds, else assembled now
    /// and kept for the next request.
    pub async fn public_lot_at(&self, stamp: &LotStamp) -> Result<Arc<PublicLot>, StoreError> {
        if let Some(lot) = self.kept_public_lot(stamp).await? {
            return Ok(Arc::new(lot));
        }
        let lot = Arc::new(self.public_lot(stamp.cooperative_id, &stamp.code).await?);
        if lot.stamp == *stamp {
            self.keep_public_lot(lot.clone());
        }
        Ok(lot)
    }

    /// The record kept at exactly `stamp`, when its seal holds.
    async fn kept_public_lot(&self, stamp: &LotStamp) -> Result<Option<PublicLot>, StoreError> {
        let key = stamp_key(stamp);
        let Some(row) = public_snapshots::Entity::find_by_id(stamp.lot_id)
            .filter(public_snapshots::Column::Stamp.eq(key.as_str()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let kept = KeptRecord {
            stamp: row.stamp,
            body: row.body,
            seal: row.seal,
        };
        Ok(self.open_kept(&kept, stamp))
    }

    /// A kept record's lot, when it was kept at exactly `stamp` and its seal holds.
    pub(crate) fn open_kept(&self, kept: &KeptRecord, stamp: &LotStamp) -> Option<PublicLot> {
        if kept.stamp != stamp_key(stamp) {
            return None;
        }
        if kept.seal != seal(&self.seal_key, stamp.lot_id, &kept.stamp, &kept.body) {
            // Another process's key, or a hand edit: either way, not trusted.
            tracing::debug!(lot = stamp.lot_id, "kept public record not sealed by this key: rebuilt");
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
        self.write_public_lots(std::slice::from_ref(lot)).await
    }

    /// Writes lots' kept records in one statement, replacing those of another stamp.
    async fn write_public_lots(&self, lots: &[PublicLot]) -> Result<(), StoreError> {
        if lots.is_empty() {
            return Ok(());
        }
        let built_at = timestamp_text(&now());
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
                    // A record at the same stamp sealed by another process's key stays: it
                    // serves that process, and overwriting it would only start a tug of war.
                    .action_and_where(
                        Expr::col((public_snapshots::Entity, public_snapshots::Column::Stamp))
                            .ne(Expr::col((Alias::new("excluded"), public_snapshots::Column::Stamp))),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await?;
        Ok(())
    }

    /// Builds and keeps the public record of every lot that has none at its current stamp (as
    /// after an upgrade, or before a promotion that will send buyers to many labels at once);
    /// `progress` counts lots. How many were built.
    pub async fn keep_public_records(&self, progress: &dyn VerifyProgress) -> Result<u64, StoreError> {
        let mut select = Query::select();
        select.from(lots::Entity);
        stamp_columns(&mut select);
        let rows = self
            .db
            .query_all_raw(StatementBuilder::build(&select, &self.db.get_database_backend()))
            .await?;
        let kept: HashMap<i64, String> = public_snapshots::Entity::find()
            .select_only()
            .columns([public_snapshots::Column::LotId, public_snapshots::Column::Stamp])
            .into_tuple::<(i64, String)>()
            .all(&self.db)
            .await?
            .into_iter()
            .collect();
        let mut missing = Vec::new();
        for row in &rows {
            if let Some(stamp) = stamp_from(row)?
                && kept.get(&stamp.lot_id) != Some(&stamp_key(&stamp))
            {
                missing.push(stamp);
            }
        }
        drop(kept);
        let total = missing.len() as u64;
        progress.start(total, total);
        for chunk in missing.chunks(KEEP_CHUNK) {
            // Two builders, as many as the cores a small server has.
            let (first, second) = chunk.split_at(chunk.len() / 2);
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
            let mut lots = join(a.await)?;
            lots.extend(join(b.await)?);
            self.write_public_lots(&lots).await?;
            progress.advance(chunk.len() as u64);
        }
        Ok(total)
    }

    /// Whether a record is kept for this lot at exactly this stamp under this store's key.
    pub async fn has_kept_public_lot(&self, stamp: &LotStamp) -> Result<bool, StoreError> {
        Ok(self.kept_public_lot(stamp).await?.is_some())
    }
}
