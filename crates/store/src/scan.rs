//! The scan path: what a label or lot page must read on every request to know that what it
//! keeps in memory is still true (one indexed read: [`Store::scan_label`], [`Store::lot_stamp`]),
//! and the shared, expensive part it keeps per batch ([`Store::batch_view`]).

use label::{BatchRecord, PublicKey, Serial};
use sea_orm::sea_query::{Alias, Expr, ExprTrait, JoinType, Query, SelectStatement};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QuerySelect, StatementBuilder};

use crate::entities::{
    batch_checks, cooperative_keys, cooperatives, integrity, kept_pages, label_batches, labels, lots, products,
    scan_flushes,
};
use crate::integrity::{Reason, epoch, save_batch_check};
use crate::point_reads::{Columns, PointReads, Prepared};
use crate::{Store, StoreError, timestamp_text};

/// What a lot's public pages depend on, read in one query: while none of it moves, a page
/// built from it is still true (the lot's own events move its head and count, an event upstream
/// its revision, the cooperative's profile, products, plots, members and certificates its
/// revision, any alteration the epoch).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct LotStamp {
    /// The lot.
    pub lot_id: i64,
    /// Its cooperative.
    pub cooperative_id: i64,
    /// Its code.
    pub code: String,
    /// Its recorded head.
    pub head: String,
    /// Its recorded event count.
    pub event_count: i64,
    /// Its recorded status.
    pub status: String,
    /// Moved by events on lots upstream.
    pub revision: i64,
    /// The cooperative's content revision.
    pub cooperative_revision: i64,
    /// The integrity epoch.
    pub epoch: i64,
}

/// A scanned label as read on every scan.
#[derive(Debug, Clone)]
pub struct ScannedLabel {
    /// The serial.
    pub serial: String,
    /// Its batch (the batch row may be gone: then `lot` is `None`).
    pub batch_id: String,
    /// The URL printed in its QR code.
    pub url: String,
    /// Scans so far: stored, plus what this process counted since the last flush.
    pub scan_count: u64,
    /// When it was first scanned (stored, else counted here since the last flush).
    pub first_scanned_at: Option<String>,
    /// The batch's check code (the digest of its frozen chain head), when the batch is there.
    pub digest: Option<String>,
    /// What its lot's pages depend on, when the batch and the lot are there.
    pub lot: Option<LotStamp>,
    /// The integrity epoch read with it.
    pub epoch: i64,
    /// What the database keeps of the label's batch and its label page, read in the same query,
    /// for a caller that has neither in memory: [`Store::kept_batch_of`], [`Store::kept_page_of`].
    pub kept: Kept,
}

/// A batch's kept check and its kept label page, as read with a scanned label (raw: the caller
/// parses them only when it has neither in memory).
#[derive(Debug, Clone, Default)]
pub struct Kept {
    batch: Option<KeptBatch>,
    pub(crate) page: Option<crate::pages::KeptPage>,
}

#[derive(Debug, Clone)]
struct KeptBatch {
    record: String,
    signature: String,
    public_key: String,
    verdict: String,
    reason: Option<String>,
    reason_vi: Option<String>,
}

/// A label batch as a scan needs it: the signed record and whether it still verifies. The same
/// for every label of the batch, so it is kept once per batch and integrity epoch.
#[derive(Debug, Clone)]
pub struct BatchView {
    /// The batch.
    pub batch_id: String,
    /// The signed record, as stored.
    pub record: BatchRecord,
    /// The signature.
    pub signature: String,
    /// The public key it verifies with.
    pub public_key: String,
    /// Why the batch no longer verifies (signature, serial list, the history it froze, a lot
    /// upstream), when it does not.
    pub altered: Option<Reason>,
    /// The epoch it was checked at.
    pub epoch: i64,
}

pub(crate) fn stamp_columns(select: &mut SelectStatement) {
    select
        .expr_as(Expr::col((lots::Entity, lots::Column::Id)), Alias::new("lot_id"))
        .expr_as(
            Expr::col((lots::Entity, lots::Column::CooperativeId)),
            Alias::new("cooperative_id"),
        )
        .expr_as(Expr::col((lots::Entity, lots::Column::Code)), Alias::new("code"))
        .expr_as(Expr::col((lots::Entity, lots::Column::Head)), Alias::new("head"))
        .expr_as(
            Expr::col((lots::Entity, lots::Column::EventCount)),
            Alias::new("event_count"),
        )
        .expr_as(Expr::col((lots::Entity, lots::Column::Status)), Alias::new("status"))
        .expr_as(
            Expr::col((lots::Entity, lots::Column::Revision)),
            Alias::new("revision"),
        )
        .expr_as(
            Expr::col((cooperatives::Entity, cooperatives::Column::Revision)),
            Alias::new("cooperative_revision"),
        )
        .expr_as(
            Expr::col((integrity::Entity, integrity::Column::Epoch)),
            Alias::new("epoch"),
        )
        .join(
            JoinType::LeftJoin,
            cooperatives::Entity,
            Expr::col((cooperatives::Entity, cooperatives::Column::Id))
                .equals((lots::Entity, lots::Column::CooperativeId)),
        )
        .join(
            JoinType::LeftJoin,
            integrity::Entity,
            Expr::col((integrity::Entity, integrity::Column::Id)).eq(1),
        );
}

/// The one query a scan makes: the label row, its batch's head, its lot's stamp, what is kept of
/// the batch, the lot and the batch's label page in `lang`.
pub(crate) fn scan_statement(
    serial: &str,
    lang: &str,
    process: &str,
    backend: sea_orm::DbBackend,
) -> sea_orm::Statement {
    let mut select = Query::select();
    select
        .columns([
            (labels::Entity, labels::Column::Serial),
            (labels::Entity, labels::Column::BatchId),
            (labels::Entity, labels::Column::Url),
            (labels::Entity, labels::Column::ScanCount),
            (labels::Entity, labels::Column::FirstScannedAt),
        ])
        .column((label_batches::Entity, label_batches::Column::ChainHead))
        .from(labels::Entity)
        .join(
            JoinType::LeftJoin,
            label_batches::Entity,
            Expr::col((label_batches::Entity, label_batches::Column::Id))
                .equals((labels::Entity, labels::Column::BatchId)),
        )
        .join(
            JoinType::LeftJoin,
            lots::Entity,
            Expr::col((lots::Entity, lots::Column::Id)).equals((label_batches::Entity, label_batches::Column::LotId)),
        )
        .and_where(Expr::col((labels::Entity, labels::Column::Serial)).eq(serial));
    // This process's last committed scan-count flush, read with the count (see `ScanBuffer`).
    select
        .expr_as(
            Expr::col((scan_flushes::Entity, scan_flushes::Column::Flushed)),
            Alias::new("flushed"),
        )
        .join(
            JoinType::LeftJoin,
            scan_flushes::Entity,
            Expr::col((scan_flushes::Entity, scan_flushes::Column::Process)).eq(process),
        );
    stamp_columns(&mut select);
    // The batch's record, key and check at this epoch. The lot's kept public record is not read
    // here: a scan whose label page is kept needs none of it, and a scan that renders reads it
    // then (`Store::public_lot_at`), so no scan pays for a row it does not use.
    kept_batch_columns(&mut select);
    let page = |column| (kept_pages::Entity, column);
    select
        .expr_as(Expr::col(page(kept_pages::Column::Key)), Alias::new("page_key"))
        .expr_as(Expr::col(page(kept_pages::Column::Body)), Alias::new("page_body"))
        .expr_as(Expr::col(page(kept_pages::Column::Seal)), Alias::new("page_seal"))
        .join(
            JoinType::LeftJoin,
            kept_pages::Entity,
            Expr::col(page(kept_pages::Column::BatchId))
                .equals((labels::Entity, labels::Column::BatchId))
                .and(Expr::col(page(kept_pages::Column::Lang)).eq(lang)),
        );
    StatementBuilder::build(&select, &backend)
}

/// Adds a label batch's record, signature and signing key and its check kept at the current
/// epoch (`batch_record`, `batch_signature`, `batch_public_key`, `check_verdict`,
/// `check_reason`, `check_reason_vi`) to a query that already has `label_batches` and
/// `integrity`; read back with [`kept_batch_from`].
fn kept_batch_columns(select: &mut SelectStatement) {
    let batch = |column| (label_batches::Entity, column);
    let check = |column| (batch_checks::Entity, column);
    select
        .expr_as(
            Expr::col(batch(label_batches::Column::Record)),
            Alias::new("batch_record"),
        )
        .expr_as(
            Expr::col(batch(label_batches::Column::Signature)),
            Alias::new("batch_signature"),
        )
        .expr_as(
            Expr::col((cooperative_keys::Entity, cooperative_keys::Column::PublicKey)),
            Alias::new("batch_public_key"),
        )
        .expr_as(
            Expr::col(check(batch_checks::Column::Verdict)),
            Alias::new("check_verdict"),
        )
        .expr_as(
            Expr::col(check(batch_checks::Column::Reason)),
            Alias::new("check_reason"),
        )
        .expr_as(
            Expr::col(check(batch_checks::Column::ReasonVi)),
            Alias::new("check_reason_vi"),
        )
        .join(
            JoinType::LeftJoin,
            cooperative_keys::Entity,
            Expr::col((cooperative_keys::Entity, cooperative_keys::Column::KeyId))
                .equals(batch(label_batches::Column::KeyId)),
        )
        .join(
            JoinType::LeftJoin,
            batch_checks::Entity,
            Expr::col(check(batch_checks::Column::BatchId))
                .equals(batch(label_batches::Column::Id))
                .and(
                    Expr::col(check(batch_checks::Column::Epoch)).equals((integrity::Entity, integrity::Column::Epoch)),
                ),
        );
}

/// What [`kept_batch_columns`] read: `None` without a batch, key or check at this epoch.
fn kept_batch_from(row: &impl Columns) -> Result<Option<KeptBatch>, StoreError> {
    Ok(
        match (
            row.text("batch_record")?,
            row.text("batch_signature")?,
            row.text("batch_public_key")?,
            row.text("check_verdict")?,
        ) {
            (Some(record), Some(signature), Some(public_key), Some(verdict)) => Some(KeptBatch {
                record,
                signature,
                public_key,
                verdict,
                reason: row.text("check_reason")?,
                reason_vi: row.text("check_reason_vi")?,
            }),
            _ => None,
        },
    )
}

fn kept_from(row: &impl Columns) -> Result<Kept, StoreError> {
    let batch = kept_batch_from(row)?;
    let page = match (row.text("page_key")?, row.bytes("page_body")?, row.text("page_seal")?) {
        (Some(key), Some(body), Some(seal)) => Some(crate::pages::KeptPage { key, body, seal }),
        _ => None,
    };
    Ok(Kept { batch, page })
}

/// The one query a lot page makes to know whether what it keeps is still true.
pub(crate) fn stamp_statement(cooperative_id: i64, code: &str, backend: sea_orm::DbBackend) -> sea_orm::Statement {
    let mut select = Query::select();
    select
        .from(lots::Entity)
        .and_where(Expr::col((lots::Entity, lots::Column::CooperativeId)).eq(cooperative_id))
        .and_where(Expr::col((lots::Entity, lots::Column::Code)).eq(code));
    stamp_columns(&mut select);
    StatementBuilder::build(&select, &backend)
}

pub(crate) fn stamp_from(row: &impl Columns) -> Result<Option<LotStamp>, StoreError> {
    let Some(lot_id) = row.int("lot_id")? else {
        return Ok(None);
    };
    Ok(Some(LotStamp {
        lot_id,
        cooperative_id: row.need_int("cooperative_id")?,
        code: row.need_text("code")?,
        head: row.need_text("head")?,
        event_count: row.need_int("event_count")?,
        status: row.need_text("status")?,
        revision: row.need_int("revision")?,
        cooperative_revision: row.int("cooperative_revision")?.unwrap_or(-1),
        epoch: row.int("epoch")?.unwrap_or(0),
    }))
}

/// The scan's and the lot page's queries, and the read of a lot's kept record, prepared for
/// point reads of a SQLite file (see `point_reads.rs`).
#[derive(Debug)]
pub(crate) struct ScanReads {
    reads: PointReads,
    scan: Prepared,
    stamp: Prepared,
    kept_record: Prepared,
}

/// Stand-ins for the values each call gives, when the statements are built once.
const SERIAL_MARKER: &str = "\u{0}serial";
const LANG_MARKER: &str = "\u{0}lang";
const CODE_MARKER: &str = "\u{0}code";
const COOPERATIVE_MARKER: i64 = i64::MIN + 7;
const LOT_MARKER: i64 = i64::MIN + 11;
const STAMP_MARKER: &str = "\u{0}stamp";

impl ScanReads {
    pub(crate) fn new(path: std::sync::Arc<std::path::Path>, process: &str) -> Result<Self, StoreError> {
        let backend = sea_orm::DbBackend::Sqlite;
        Ok(Self {
            reads: PointReads::new(path),
            scan: Prepared::new(
                scan_statement(SERIAL_MARKER, LANG_MARKER, process, backend),
                &[SERIAL_MARKER.into(), LANG_MARKER.into()],
            )?,
            stamp: Prepared::new(
                stamp_statement(COOPERATIVE_MARKER, CODE_MARKER, backend),
                &[COOPERATIVE_MARKER.into(), CODE_MARKER.into()],
            )?,
            kept_record: Prepared::new(
                crate::snapshots::kept_record_statement(LOT_MARKER, STAMP_MARKER, backend),
                &[LOT_MARKER.into(), STAMP_MARKER.into()],
            )?,
        })
    }
}

/// What the scan's query read, but the scan count's unwritten part.
struct ScanRow {
    stored: u64,
    first: Option<String>,
    flushed: i64,
    batch_id: String,
    url: String,
    digest: Option<String>,
    lot: Option<LotStamp>,
    kept: Kept,
}

fn scan_row(row: &impl Columns) -> Result<ScanRow, StoreError> {
    let digest = row
        .text("chain_head")?
        .as_deref()
        .and_then(farm_log::ChainHead::from_hex)
        .map(|h| label::Digest::of_head(&h.0).to_string());
    Ok(ScanRow {
        stored: u64::try_from(row.need_int("scan_count")?).unwrap_or(0),
        first: row.text("first_scanned_at")?,
        flushed: row.int("flushed")?.unwrap_or(0),
        batch_id: row.need_text("batch_id")?,
        url: row.need_text("url")?,
        digest,
        lot: stamp_from(row)?,
        kept: kept_from(row)?,
    })
}

impl Store {
    /// The point reads and the statement that read a lot's kept record, on a SQLite file.
    pub(crate) fn kept_record_reads(&self) -> Option<(&PointReads, &Prepared)> {
        self.scan_reads
            .as_deref()
            .map(|reads| (&reads.reads, &reads.kept_record))
    }

    /// Reads a scanned label and what its pages depend on in one indexed query, with what is kept
    /// of its batch, its lot and its batch's label page in `lang` ("vi" or "en"), counting the
    /// scan in memory when `count` says so. `None` when no label has this serial.
    pub async fn scan_label(
        &self,
        serial: &Serial,
        lang: &str,
        count: bool,
    ) -> Result<Option<ScannedLabel>, StoreError> {
        let serial = serial.to_string();
        // Read and counted under the scan gate, so a flush does not forget the counts it
        // committed while this answer may still need them (see `ScanBuffer`).
        let _reading = self.scans.gate.read().await;
        let row = match &self.scan_reads {
            Some(reads) => reads
                .reads
                .one(&reads.scan, &[serial.clone().into(), lang.to_owned().into()], |row| {
                    scan_row(row)
                })?,
            None => {
                let backend = self.db.get_database_backend();
                let statement = scan_statement(&serial, lang, &self.scans.process, backend);
                match self.db.query_one_raw(statement).await? {
                    Some(row) => Some(scan_row(&row)?),
                    None => None,
                }
            }
        };
        let Some(row) = row else {
            return Ok(None);
        };
        let pending = if count {
            self.scans.record(&serial, crate::now(), row.flushed)
        } else {
            self.scans.peek(&serial, row.flushed)
        };
        Ok(Some(ScannedLabel {
            kept: row.kept,
            scan_count: row.stored.saturating_add(pending.map_or(0, |p| p.count)),
            first_scanned_at: row.first.or_else(|| pending.map(|p| timestamp_text(&p.first))),
            batch_id: row.batch_id,
            url: row.url,
            serial,
            digest: row.digest,
            epoch: row.lot.as_ref().map_or(0, |l| l.epoch),
            lot: row.lot,
        }))
    }

    /// What a lot's pages depend on, in one indexed query; `None` when there is no such lot.
    pub async fn lot_stamp(&self, cooperative_id: i64, code: &str) -> Result<Option<LotStamp>, StoreError> {
        if let Some(reads) = &self.scan_reads {
            let given = [cooperative_id.into(), code.to_owned().into()];
            return Ok(reads.reads.one(&reads.stamp, &given, |row| stamp_from(row))?.flatten());
        }
        let statement = stamp_statement(cooperative_id, code, self.db.get_database_backend());
        match self.db.query_one_raw(statement).await? {
            Some(row) => stamp_from(&row),
            None => Ok(None),
        }
    }

    /// A label batch's signed record and whether it still verifies: from its kept check when
    /// that was made at the current integrity epoch, else checked now (signature, that the
    /// record is the batch's and its lot's, the serial list, the history up to the printing, the
    /// lots upstream) and kept.
    pub async fn batch_view(&self, batch_id: &str) -> Result<BatchView, StoreError> {
        match self.kept_batch_view(batch_id).await? {
            Some(view) => Ok(view),
            None => self.check_batch(batch_id).await,
        }
    }

    /// A label batch's signed record and whether it still verifies, for a caller that already
    /// knows no check is kept at the current epoch: checked now and kept (see
    /// [`Store::batch_view`]).
    pub async fn check_batch(&self, batch_id: &str) -> Result<BatchView, StoreError> {
        let epoch = epoch(&self.db).await?;
        let batch = label_batches::Entity::find_by_id(batch_id.to_owned())
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("label batch"))?;
        let record: BatchRecord =
            serde_json::from_str(&batch.record).map_err(|e| StoreError::Corrupt(format!("batch record: {e}")))?;
        let public_key = self.public_key(&batch.key_id).await?;
        let kept = batch_checks::Entity::find_by_id(batch_id.to_owned())
            .one(&self.db)
            .await?
            .filter(|c| c.epoch == epoch);
        let altered = match kept {
            Some(check) if check.verdict == "intact" => None,
            Some(check) => Some(Reason {
                en: check.reason.unwrap_or_default(),
                vi: check.reason_vi.unwrap_or_default(),
            }),
            None => {
                let lot = lots::Entity::find_by_id(batch.lot_id).one(&self.db).await?;
                let altered = match &lot {
                    Some(lot) => self.judge(&record, &batch, lot, &public_key).await?,
                    None => Some(Reason {
                        en: "The lot this label batch was printed for is missing from the records.".into(),
                        vi: "Lô hàng của lô tem này không còn trong sổ.".into(),
                    }),
                };
                let _guard = self.quiet_write_guard().await;
                save_batch_check(&self.db, batch_id, epoch, altered.as_ref()).await?;
                altered
            }
        };
        Ok(BatchView {
            batch_id: batch.id,
            record,
            signature: batch.signature,
            public_key: public_key.to_string(),
            altered,
            epoch,
        })
    }

    /// A batch checked at the current integrity epoch, read in one query (the batch, its key,
    /// the epoch and the kept check); `None` when there is no such check.
    async fn kept_batch_view(&self, batch_id: &str) -> Result<Option<BatchView>, StoreError> {
        let mut select = Query::select();
        select
            .column((label_batches::Entity, label_batches::Column::Id))
            .expr_as(
                Expr::col((integrity::Entity, integrity::Column::Epoch)),
                Alias::new("epoch"),
            )
            .from(label_batches::Entity)
            .join(
                JoinType::LeftJoin,
                integrity::Entity,
                Expr::col((integrity::Entity, integrity::Column::Id)).eq(1),
            )
            .and_where(Expr::col((label_batches::Entity, label_batches::Column::Id)).eq(batch_id));
        kept_batch_columns(&mut select);
        let statement = StatementBuilder::build(&select, &self.db.get_database_backend());
        let Some(row) = self.db.query_one_raw(statement).await? else {
            return Ok(None);
        };
        match kept_batch_from(&row)? {
            Some(kept) => kept
                .view(
                    row.try_get("", "id")?,
                    row.try_get::<Option<i64>>("", "epoch")?.unwrap_or(0),
                )
                .map(Some),
            None => Ok(None),
        }
    }

    /// The scanned label's batch as checked at the epoch read with it, when a check was kept.
    pub fn kept_batch_of(&self, label: &ScannedLabel) -> Result<Option<BatchView>, StoreError> {
        match &label.kept.batch {
            Some(kept) => kept.view(label.batch_id.clone(), label.epoch).map(Some),
            None => Ok(None),
        }
    }

    /// For a serial no label row has: a batch that the scanned link points at (by its lot, or
    /// by the check code) whose list of labels no longer matches what was signed. Then the
    /// label may well have been one of it, deleted or renamed: the record was altered, which is
    /// what the buyer must hear rather than "unknown".
    pub async fn damaged_batch_for(
        &self,
        gtin_and_lot: Option<(&str, &str)>,
        digest: Option<&label::Digest>,
    ) -> Result<Option<(BatchView, LotStamp)>, StoreError> {
        let mut candidates: Vec<label_batches::Model> = Vec::new();
        if let Some((gtin, code)) = gtin_and_lot {
            let product_ids: Vec<i64> = products::Entity::find()
                .select_only()
                .column(products::Column::Id)
                .filter(products::Column::Gtin.eq(gtin))
                .into_tuple()
                .all(&self.db)
                .await?;
            let lot_ids: Vec<i64> = lots::Entity::find()
                .select_only()
                .column(lots::Column::Id)
                .filter(lots::Column::Code.eq(code))
                .filter(lots::Column::ProductId.is_in(product_ids))
                .into_tuple()
                .all(&self.db)
                .await?;
            candidates.extend(
                label_batches::Entity::find()
                    .filter(label_batches::Column::LotId.is_in(lot_ids))
                    .all(&self.db)
                    .await?,
            );
        }
        if let Some(digest) = digest {
            let prefix: String = digest.as_bytes().iter().map(|b| format!("{b:02x}")).collect();
            candidates.extend(
                label_batches::Entity::find()
                    .filter(label_batches::Column::ChainHead.between(format!("{prefix}0"), format!("{prefix}g")))
                    .all(&self.db)
                    .await?,
            );
        }
        for batch in candidates {
            let stored: i64 = labels::Entity::find()
                .filter(labels::Column::BatchId.eq(&batch.id))
                .count(&self.db)
                .await
                .map(|n| i64::try_from(n).unwrap_or(i64::MAX))?;
            if stored == batch.count && !crate::labels::serials_altered(&self.db, &batch).await? {
                continue;
            }
            let view = self.batch_view(&batch.id).await?;
            let Some(lot) = lots::Entity::find_by_id(batch.lot_id).one(&self.db).await? else {
                continue;
            };
            if let Some(stamp) = self.lot_stamp(lot.cooperative_id, &lot.code).await? {
                return Ok(Some((view, stamp)));
            }
        }
        Ok(None)
    }
}

impl KeptBatch {
    fn view(&self, batch_id: String, epoch: i64) -> Result<BatchView, StoreError> {
        let record: BatchRecord =
            serde_json::from_str(&self.record).map_err(|e| StoreError::Corrupt(format!("batch record: {e}")))?;
        let public_key = PublicKey::parse(&self.public_key).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(BatchView {
            batch_id,
            record,
            signature: self.signature.clone(),
            public_key: public_key.to_string(),
            altered: (self.verdict != "intact").then(|| Reason {
                en: self.reason.clone().unwrap_or_default(),
                vi: self.reason_vi.clone().unwrap_or_default(),
            }),
            epoch,
        })
    }
}

/// What a cooperative's catalog and feeds depend on besides its listed lots, read in one query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CatalogStamp {
    /// The cooperative.
    pub cooperative_id: i64,
    /// Its content revision (name, products, certificates …).
    pub revision: i64,
    /// Its catalog revision (listings, sales, feed tokens).
    pub catalog_revision: i64,
    /// The integrity epoch.
    pub epoch: i64,
}

/// What a listed lot's stock depends on.
pub type LotMark = (String, String, i64, String, i64);

impl Store {
    /// What a cooperative's catalog depends on besides its lots; `None` for no such cooperative.
    pub async fn catalog_stamp(&self, cooperative_id: i64) -> Result<Option<CatalogStamp>, StoreError> {
        let Some(row) = cooperatives::Entity::find_by_id(cooperative_id).one(&self.db).await? else {
            return Ok(None);
        };
        Ok(Some(CatalogStamp {
            cooperative_id,
            revision: row.revision,
            catalog_revision: row.catalog_revision,
            epoch: epoch(&self.db).await?,
        }))
    }

    /// Code, head, event count, status and revision of some of a cooperative's lots, by code:
    /// when none of it moved, their stock did not either (sales move the catalog revision).
    pub async fn lot_marks(&self, cooperative_id: i64, codes: &[String]) -> Result<Vec<LotMark>, StoreError> {
        let mut marks: Vec<LotMark> = lots::Entity::find()
            .select_only()
            .columns([
                lots::Column::Code,
                lots::Column::Head,
                lots::Column::EventCount,
                lots::Column::Status,
                lots::Column::Revision,
            ])
            .filter(lots::Column::CooperativeId.eq(cooperative_id))
            .filter(lots::Column::Code.is_in(codes.iter().cloned()))
            .into_tuple()
            .all(&self.db)
            .await?;
        marks.sort();
        Ok(marks)
    }
}
