//! Label batches: the cooperative's signing key, issuing labels for a lot (pre-label checks, the
//! quantity cap, random serials, a signed batch record), resolving a scanned serial against the
//! history it was printed with, and scan counts that are batched in memory and flushed.

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::{DateTime, FixedOffset};
use farm_log::chain::{genesis, link};
use farm_log::prelabel::{self, LineageLot};
use farm_log::validate::show_date;
use farm_log::{ChainHead, Dimension, EventBody, FieldError, LotState, Quantity, ValidationErrors};
use label::{BaseUrl, BatchRecord, CoopSigningKey, LabelFace, LabelLink, PublicKey, Serial, SignedBatch};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, Statement,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{cooperative_keys, events, label_batches, labels, lot_parents, lots, scan_flushes};
use crate::integrity::Reason;
use crate::lots::{event_from_row, genesis_input, initial_quantity, parse_head};
use crate::{Principal, Store, StoreError, now, timestamp_text};

/// Most labels one batch may hold (one print run).
pub const MAX_LABELS_PER_BATCH: u32 = 10_000;

/// What a leader asks for.
#[derive(Debug, Clone)]
pub struct IssueRequest {
    /// The lot's code.
    pub lot_code: String,
    /// How many labels.
    pub count: u32,
    /// What one labelled pack holds, e.g. 1 KGM.
    pub pack_size: Quantity,
    /// Where the labels' links point.
    pub base_url: BaseUrl,
    /// A leader's reason to print labels for a lot past its use-by date, recorded as an
    /// `override` event before the labels; without it such a lot gets none.
    pub past_use_by_reason: Option<farm_log::Note>,
}

/// A published signing key.
#[derive(Debug, Clone, Serialize)]
pub struct CooperativeKey {
    /// Short id (hex) that batch records name.
    pub key_id: String,
    /// The ed25519 public key.
    pub public_key: String,
    /// The algorithm.
    pub algorithm: &'static str,
    /// When it was made.
    pub created_at: String,
}

/// One printed label.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedLabel {
    /// Its serial.
    pub serial: String,
    /// Its place in the batch, from 1.
    pub position: u32,
    /// The URL in its QR code.
    pub url: String,
}

/// A signed label batch and its labels.
#[derive(Debug, Clone, Serialize)]
pub struct LabelBatch {
    /// The signed record, its serials, the public key and the signature: verifiable offline.
    pub signed: SignedBatch,
    /// The labels in print order.
    pub labels: Vec<IssuedLabel>,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct PendingScan {
    pub(crate) count: u64,
    pub(crate) first: DateTime<FixedOffset>,
    last: DateTime<FixedOffset>,
}

/// Scans counted in memory until the next flush, so a scan never waits on a database write.
/// A crash loses at most the scans since the last flush.
///
/// A flush sets the new counts aside under a number and writes them, with that number as this
/// process's last flush (`scan_flushes`), in one transaction. An answer reads the label's
/// stored count and that number in one query, and adds the counts set aside only when the
/// number it read is older than theirs: before the commit it adds them, after it the stored
/// count holds them. So answers never wait for a flush to write or to commit.
#[derive(Debug)]
pub(crate) struct ScanBuffer {
    /// This process's row in `scan_flushes` (random, so replicas and restarts never share one).
    pub(crate) process: String,
    pending: Mutex<ScanCounts>,
    /// Readers hold it from reading a label's stored count until they have added what is
    /// unwritten; a flush holds it exclusively only to forget the counts it committed, so that
    /// no answer that read the count before the commit finds them gone.
    pub(crate) gate: tokio::sync::RwLock<()>,
    /// One flush at a time (PostgreSQL has no single-writer lock to order them).
    flushing: tokio::sync::Mutex<()>,
}

impl Default for ScanBuffer {
    fn default() -> Self {
        Self {
            process: Uuid::new_v4().to_string(),
            pending: Mutex::default(),
            gate: tokio::sync::RwLock::default(),
            flushing: tokio::sync::Mutex::default(),
        }
    }
}

#[derive(Debug, Default)]
struct ScanCounts {
    /// Counted since the last flush began.
    new: HashMap<String, PendingScan>,
    /// Set aside for the flush under way, not yet forgotten.
    flushing: HashMap<String, PendingScan>,
    /// The number of the flush writing `flushing`; the last flush's when nothing is set aside.
    number: i64,
}

impl ScanCounts {
    /// One more scan of a label, at `at`.
    fn add(&mut self, serial: &str, at: DateTime<FixedOffset>) {
        let entry = self.new.entry(serial.to_owned()).or_insert(PendingScan {
            count: 0,
            first: at,
            last: at,
        });
        entry.count = entry.count.saturating_add(1);
        entry.last = at;
    }

    /// A label's counts that a stored count written up to flush `flushed` does not hold: the
    /// new ones, and those set aside unless their flush is already committed.
    fn unwritten(&self, serial: &str, flushed: i64) -> Option<PendingScan> {
        let aside = if flushed < self.number {
            self.flushing.get(serial)
        } else {
            None
        };
        match (self.new.get(serial), aside) {
            (Some(a), Some(b)) => Some(PendingScan {
                count: a.count.saturating_add(b.count),
                first: Ord::min(a.first, b.first),
                last: Ord::max(a.last, b.last),
            }),
            (a, b) => a.or(b).copied(),
        }
    }
}

impl ScanBuffer {
    /// Counts a scan; returns what a stored count written up to flush `flushed` lacks.
    pub(crate) fn record(&self, serial: &str, at: DateTime<FixedOffset>, flushed: i64) -> Option<PendingScan> {
        let mut counts = self.pending.lock().ok()?;
        counts.add(serial, at);
        counts.unwritten(serial, flushed)
    }

    /// What a stored count written up to flush `flushed` lacks, counting nothing.
    pub(crate) fn peek(&self, serial: &str, flushed: i64) -> Option<PendingScan> {
        self.pending.lock().ok()?.unwritten(serial, flushed)
    }

    /// Counts a scan of a label whose stored count the caller does not read.
    pub(crate) fn count(&self, serial: &str, at: DateTime<FixedOffset>) {
        if let Ok(mut counts) = self.pending.lock() {
            counts.add(serial, at);
        }
    }

    fn is_empty(&self) -> bool {
        self.pending.lock().map_or(true, |p| p.new.is_empty())
    }

    /// Sets the new counts aside for writing as a new flush (a copy and its number are
    /// returned); answers go on adding them until the flush is committed.
    fn begin_flush(&self) -> Option<(HashMap<String, PendingScan>, i64)> {
        let mut counts = self.pending.lock().ok()?;
        let new = std::mem::take(&mut counts.new);
        merge_into(&mut counts.flushing, new);
        counts.number = counts.number.checked_add(1)?;
        Some((counts.flushing.clone(), counts.number))
    }

    /// The counts set aside are committed (`written`) and forgotten, or go back to be written
    /// next time.
    fn end_flush(&self, written: bool) {
        if let Ok(mut counts) = self.pending.lock() {
            let flushed = std::mem::take(&mut counts.flushing);
            if !written {
                merge_into(&mut counts.new, flushed);
            }
        }
    }
}

/// Adds counts to others, label by label.
fn merge_into(into: &mut HashMap<String, PendingScan>, counts: HashMap<String, PendingScan>) {
    for (serial, scan) in counts {
        let entry = into.entry(serial).or_insert(PendingScan { count: 0, ..scan });
        entry.count = entry.count.saturating_add(scan.count);
        entry.first = Ord::min(entry.first, scan.first);
        entry.last = Ord::max(entry.last, scan.last);
    }
}

/// If a flush is dropped before it ends, puts its counts back to be written next time — or,
/// once they are committed, forgets them (never written twice).
struct FlushUnderWay<'a> {
    buffer: &'a ScanBuffer,
    committed: bool,
    ended: bool,
}

impl Drop for FlushUnderWay<'_> {
    fn drop(&mut self) {
        if !self.ended {
            self.buffer.end_flush(self.committed);
        }
    }
}

/// A Vietnamese phone as it is read aloud: `0912 345 670` (other forms unchanged).
fn spaced_phone(phone: &str) -> String {
    if phone.len() == 10 && phone.bytes().all(|b| b.is_ascii_digit()) {
        format!("{} {} {}", &phone[..4], &phone[4..7], &phone[7..])
    } else {
        phone.to_owned()
    }
}

fn quantity_text(q: &Quantity) -> String {
    format!("{} {}", q.value.normalize(), q.unit.code())
}

fn invalid(field: &str, code: &'static str, vi: String, en: String) -> StoreError {
    let mut errors = ValidationErrors::default();
    errors.push(FieldError::new(field, code, vi, en));
    StoreError::Invalid(errors)
}

fn show(value: Decimal, unit: farm_log::Unit) -> String {
    format!("{} {}", value.normalize(), unit.name_vi())
}

async fn signing_key(db: &impl ConnectionTrait, cooperative_id: i64) -> Result<CoopSigningKey, StoreError> {
    let existing = cooperative_keys::Entity::find()
        .filter(cooperative_keys::Column::CooperativeId.eq(cooperative_id))
        .order_by_desc(cooperative_keys::Column::Id)
        .one(db)
        .await?;
    if let Some(row) = existing {
        let secret = ChainHead::from_hex(&row.secret_key)
            .ok_or_else(|| StoreError::Corrupt(format!("cooperative {cooperative_id}'s signing key")))?;
        return Ok(CoopSigningKey::from_secret_bytes(secret.0));
    }
    create_signing_key(db, cooperative_id).await
}

/// Makes and stores a new key pair for a cooperative.
pub(crate) async fn create_signing_key(
    db: &impl ConnectionTrait,
    cooperative_id: i64,
) -> Result<CoopSigningKey, StoreError> {
    let key = CoopSigningKey::generate(&mut rand::rng());
    let public = key.public_key();
    cooperative_keys::ActiveModel {
        cooperative_id: Set(cooperative_id),
        key_id: Set(public.key_id()),
        public_key: Set(public.to_string()),
        secret_key: Set(ChainHead(key.secret_bytes()).to_hex()),
        created_at: Set(timestamp_text(&now())),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(key)
}

/// One ancestor of a lot, as it stood when it was packed or merged into its child.
pub(crate) struct Ancestor {
    /// The ancestor's id.
    pub(crate) id: i64,
    /// The lot made from it (the starting lot for a direct parent).
    pub(crate) child_id: i64,
    /// Its history cut at the event that made the child, plus later recalls and corrections.
    pub(crate) lineage: LineageLot,
}

/// A lot's ancestors as they stood when each was packed or merged into its child.
pub(crate) struct Ancestry {
    /// Nearest first.
    pub(crate) lots: Vec<Ancestor>,
    /// Why an ancestor's history no longer hashes to the head its child committed to.
    pub(crate) altered: Option<(String, String)>,
}

/// When a lot was made ready for sale, which its use-by date counts from: the packing or
/// merging that made it, else its own latest packing, else its latest harvest.
pub(crate) async fn made_at(
    db: &impl ConnectionTrait,
    row: &lots::Model,
    own: &[farm_log::Event],
) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
    let via: Vec<String> = lot_parents::Entity::find()
        .select_only()
        .column(lot_parents::Column::ViaEventId)
        .filter(lot_parents::Column::ChildLotId.eq(row.id))
        .into_tuple()
        .all(db)
        .await?;
    let mut made = None;
    for id in via {
        if let Some(event) = events::Entity::find_by_id(id).one(db).await?
            && let Ok(event) = event_from_row(&event)
        {
            made = Ord::max(made, Some(event.occurred_at));
        }
    }
    let last = |wanted: fn(&EventBody) -> bool| own.iter().filter(|e| wanted(&e.body)).map(|e| e.occurred_at).max();
    Ok(made
        .or_else(|| last(|b| matches!(b, EventBody::Packing { .. })))
        .or_else(|| last(|b| matches!(b, EventBody::Harvest { .. }))))
}

/// What earlier batches of a lot labelled, in base units of one dimension.
async fn labelled_quantity(
    db: &impl ConnectionTrait,
    lot_id: i64,
    dimension: Dimension,
) -> Result<Decimal, StoreError> {
    let mut total = Decimal::ZERO;
    for batch in label_batches::Entity::find()
        .filter(label_batches::Column::LotId.eq(lot_id))
        .all(db)
        .await?
    {
        let size =
            Quantity::parse(&batch.pack_size, None, "pack_size").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if size.unit.dimension() == dimension {
            total += size.in_base_unit() * Decimal::from(batch.count);
        }
    }
    Ok(total)
}

pub(crate) async fn event_rows(db: &impl ConnectionTrait, lot_id: i64) -> Result<Vec<events::Model>, StoreError> {
    Ok(events::Entity::find()
        .filter(events::Column::LotId.eq(lot_id))
        .order_by_asc(events::Column::Seq)
        .all(db)
        .await?)
}

/// What is wrong with a batch's own record, when anything is: its signature, that it is the
/// batch's and names its lot, and that the batch's labels are the ones signed. (The history it
/// froze and the lots upstream are checked by the caller.)
pub(crate) async fn batch_record_problem(
    db: &impl ConnectionTrait,
    record: &BatchRecord,
    batch: &label_batches::Model,
    lot_row: &lots::Model,
    public_key: &PublicKey,
) -> Result<Option<Reason>, StoreError> {
    let altered = |en: &str, vi: &str| {
        Ok(Some(Reason {
            en: en.to_owned(),
            vi: vi.to_owned(),
        }))
    };
    let signature = label::BatchSignature::parse(&batch.signature);
    if signature
        .and_then(|s| label::verify_record(record, &s, public_key))
        .is_err()
    {
        return altered(
            "The label batch's signature does not match its record.",
            "Chữ ký của lô tem không khớp với bản ghi.",
        );
    }
    if record.batch_id != batch.id
        || record.lot_code.as_ref() != lot_row.code
        || record.cooperative_id != lot_row.cooperative_id
        || i64::from(record.count) != batch.count
        || record.chain_head.to_hex() != batch.chain_head
        || i64::try_from(record.event_count).ok() != Some(batch.event_count)
    {
        return altered(
            "The label batch no longer points at the lot it was signed for.",
            "Lô tem không còn trỏ đúng lô hàng đã được ký.",
        );
    }
    if serials_altered(db, batch).await? {
        return altered(
            "The batch's list of labels is not the one that was signed: a label was removed, added or renamed.",
            "Danh sách tem của lô tem không còn đúng như khi được ký: có tem đã bị xoá, thêm hoặc đổi mã.",
        );
    }
    Ok(None)
}

/// Whether a batch's stored labels, in print order, are no longer the serials it signed.
pub(crate) async fn serials_altered(
    db: &impl ConnectionTrait,
    batch: &label_batches::Model,
) -> Result<bool, StoreError> {
    let record: BatchRecord = match serde_json::from_str(&batch.record) {
        Ok(record) => record,
        Err(_) => return Ok(true),
    };
    let rows: Vec<(String, i64)> = labels::Entity::find()
        .select_only()
        .column(labels::Column::Serial)
        .column(labels::Column::Position)
        .filter(labels::Column::BatchId.eq(&batch.id))
        .order_by_asc(labels::Column::Position)
        .into_tuple()
        .all(db)
        .await?;
    let in_order = rows
        .iter()
        .enumerate()
        .all(|(i, (_, position))| usize::try_from(*position).is_ok_and(|p| p == i + 1));
    let serials: Result<Vec<Serial>, _> = rows.iter().map(|(s, _)| Serial::parse(s)).collect();
    Ok(!in_order || serials.map(|s| label::serials_digest(&s)).ok().as_ref() != Some(&record.serials_digest))
}

/// Walks from a lot to every ancestor. For each parent link it re-hashes the parent's history up
/// to the packing or merging event named in the link and compares it with the parent head the
/// child's genesis committed to, so an edit anywhere upstream is caught, and it folds only that
/// part of the parent's history (what came later, e.g. the next crop, is not this produce).
pub(crate) async fn ancestry(db: &impl ConnectionTrait, row: &lots::Model) -> Result<Ancestry, StoreError> {
    let mut result = Ancestry {
        lots: Vec::new(),
        altered: None,
    };
    let mut queue = vec![row.clone()];
    let mut seen = std::collections::HashSet::new();
    while let Some(child) = queue.pop() {
        let links = lot_parents::Entity::find()
            .filter(lot_parents::Column::ChildLotId.eq(child.id))
            .all(db)
            .await?;
        for parent_link in links {
            if !seen.insert((parent_link.parent_lot_id, parent_link.via_event_id.clone())) {
                continue;
            }
            let Some(parent) = lots::Entity::find_by_id(parent_link.parent_lot_id).one(db).await? else {
                result.altered.get_or_insert_with(|| {
                    (
                        format!(
                            "A lot that lot {} was made from is missing from the records.",
                            child.code
                        ),
                        format!("Một lô gốc của lô {} không còn trong sổ.", child.code),
                    )
                });
                continue;
            };
            let rows = event_rows(db, parent.id).await?;
            let upto = rows.iter().position(|r| r.id == parent_link.via_event_id);
            let cut = upto.map_or(0, |i| i + 1);
            let events: Result<Vec<_>, _> = rows[..cut].iter().map(event_from_row).collect();
            let mut head = genesis(&genesis_input(db, &parent).await?);
            let mut events = events.unwrap_or_default();
            for event in &events {
                head = link(&head, event);
            }
            let cut_ids: std::collections::HashSet<Uuid> = events.iter().map(|e| e.id).collect();
            let intact = upto.is_some() && events.len() == upto.map_or(0, |i| i + 1);
            if (!intact || head.to_hex() != parent_link.parent_head) && result.altered.is_none() {
                result.altered = Some((
                    format!(
                        "The history of lot {}, which lot {} was made from, was changed after the packing.",
                        parent.code, child.code
                    ),
                    format!(
                        "Nhật ký của lô gốc {} (lô {} được tách/gộp từ lô này) đã bị sửa sau khi đóng gói.",
                        parent.code, child.code
                    ),
                ));
            }
            // What happened to the parent later still concerns this produce when it is a recall,
            // or a correction of something before the packing (e.g. a spraying date).
            for row in &rows[cut..] {
                if let Ok(event) = event_from_row(row) {
                    let concerns = match &event.body {
                        EventBody::Recall { .. } => true,
                        EventBody::Correction { corrects, .. } => cut_ids.contains(corrects),
                        _ => false,
                    };
                    if concerns {
                        events.push(event);
                    }
                }
            }
            result.lots.push(Ancestor {
                id: parent.id,
                child_id: child.id,
                lineage: LineageLot {
                    code: parent.code.clone(),
                    state: LotState::from_events(initial_quantity(db, &parent).await?, events),
                },
            });
            queue.push(parent);
        }
    }
    Ok(result)
}

impl Store {
    /// The cooperative's public signing keys, newest first.
    pub async fn cooperative_keys(&self, cooperative_id: i64) -> Result<Vec<CooperativeKey>, StoreError> {
        self.cooperative(cooperative_id).await?;
        Ok(cooperative_keys::Entity::find()
            .filter(cooperative_keys::Column::CooperativeId.eq(cooperative_id))
            .order_by_desc(cooperative_keys::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| CooperativeKey {
                key_id: row.key_id,
                public_key: row.public_key,
                algorithm: "ed25519",
                created_at: row.created_at,
            })
            .collect())
    }

    /// Issues a batch of labels for a lot: pre-label checks, the quantity cap, random serials,
    /// and a batch record signed with the cooperative's key, all in one transaction.
    pub async fn issue_labels(&self, principal: &Principal, request: IssueRequest) -> Result<LabelBatch, StoreError> {
        if request.count == 0 || request.count > MAX_LABELS_PER_BATCH {
            return Err(invalid(
                "count",
                "out_of_range",
                format!("Số tem phải từ 1 đến {MAX_LABELS_PER_BATCH}."),
                format!("The number of labels must be between 1 and {MAX_LABELS_PER_BATCH}."),
            ));
        }
        let cooperative = self.cooperative(principal.cooperative_id).await?;
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let row = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(principal.cooperative_id))
            .filter(lots::Column::Code.eq(&request.lot_code))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("lot"))?;
        let epoch = crate::integrity::epoch(&txn).await?;
        let full = crate::integrity::verify_fully(&txn, &row).await?;
        if let Some(reason) = full.integrity.reason() {
            return Err(StoreError::conflict(
                "lot",
                format!(
                    "Lot {}'s stored history does not verify ({}), so no labels can vouch for it.",
                    row.code, reason.en
                ),
                format!(
                    "Nhật ký của lô {} không còn nguyên vẹn ({}) nên không thể in tem xác nhận.",
                    row.code, reason.vi
                ),
            ));
        }
        let product = self.product(principal.cooperative_id, row.product_id).await?;
        let mut row = row;
        let mut state = full.state;
        let made = made_at(&txn, &row, state.events()).await?;
        let use_by = crate::public::use_by(made, product.shelf_life_days);
        if let Some(day) = use_by.filter(|day| now().date_naive() > *day) {
            let Some(reason) = request.past_use_by_reason.clone() else {
                return Err(invalid(
                    "past_use_by_reason",
                    "past_use_by",
                    format!(
                        "Lô {} đã quá hạn sử dụng từ {}: không in tem. Nếu vẫn phải in (ví dụ hạn dùng khai sai), ban quản lý ghi rõ lý do.",
                        row.code,
                        day.format("%d/%m/%Y")
                    ),
                    format!(
                        "Lot {} is past its use-by date ({}): no labels. If they must be printed (say the shelf life was entered wrong), a leader gives the reason.",
                        row.code,
                        day.format("%d/%m/%Y")
                    ),
                ));
            };
            let previous_head = parse_head(&row.head)?;
            let seq = u64::try_from(row.event_count).map_err(|_| StoreError::Corrupt("event count".into()))? + 1;
            let body = EventBody::Override {
                rule: farm_log::OverrideRule::LabelPastUseBy,
                reason,
            };
            let (_, updated, folded) =
                crate::events::append_own_event(&txn, principal, &self.banned, &row, state, seq, previous_head, body)
                    .await?;
            row = updated;
            state = folded;
        }
        let ancestry = ancestry(&txn, &row).await?;
        if let Some((en, vi)) = ancestry.altered {
            return Err(StoreError::conflict("lot", en, vi));
        }
        let mut lineage = vec![LineageLot {
            code: row.code.clone(),
            state,
        }];
        let ancestor_ids: Vec<i64> = ancestry.lots.iter().map(|a| a.id).collect();
        lineage.extend(ancestry.lots.into_iter().map(|a| a.lineage));
        let problems = prelabel::check(&lineage, &self.banned, now());
        if !problems.0.is_empty() {
            return Err(StoreError::Invalid(problems));
        }
        self.check_cap(&txn, &row, &lineage[0].state, &ancestor_ids, &request)
            .await?;

        let key = signing_key(&txn, principal.cooperative_id).await?;
        let serials: Vec<Serial> = (0..request.count).map(|_| Serial::random(&mut rand::rng())).collect();
        let head = parse_head(&row.head)?;
        let digest = label::Digest::of_head(&head.0);
        let lot_code = farm_log::LotCode::parse(&row.code, "lot").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let gtin = product
            .gtin
            .as_deref()
            .map(|g| farm_log::Gtin::parse(g, "gtin"))
            .transpose()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let batch_id = Uuid::now_v7().to_string();
        let record = BatchRecord {
            format_version: label::sign::BATCH_FORMAT_VERSION,
            cooperative_id: cooperative.id,
            cooperative_name: cooperative.name.clone(),
            batch_id: batch_id.clone(),
            lot_code: lot_code.clone(),
            gtin: gtin.clone(),
            product_name: product.name.clone(),
            count: request.count,
            pack_size: quantity_text(&request.pack_size),
            chain_head: head,
            event_count: u64::try_from(row.event_count).unwrap_or(0),
            issued_at: timestamp_text(&now()),
            issued_by: principal.member_id,
            serials_digest: String::new(),
            key_id: String::new(),
        };
        let signed = label::sign(&key, record, serials.clone()).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        label_batches::ActiveModel {
            id: Set(batch_id.clone()),
            cooperative_id: Set(cooperative.id),
            lot_id: Set(row.id),
            count: Set(i64::from(request.count)),
            pack_size: Set(signed.record.pack_size.clone()),
            chain_head: Set(signed.record.chain_head.to_hex()),
            event_count: Set(row.event_count),
            issued_at: Set(signed.record.issued_at.clone()),
            issued_by: Set(principal.member_id),
            key_id: Set(signed.record.key_id.clone()),
            record: Set(serde_json::to_string(&signed.record).map_err(|e| StoreError::Corrupt(e.to_string()))?),
            signature: Set(signed.signature.to_string()),
        }
        .insert(&txn)
        .await?;
        let mut issued = Vec::with_capacity(serials.len());
        for (i, serial) in serials.iter().enumerate() {
            let link = match &gtin {
                Some(gtin) => LabelLink::DigitalLink {
                    base: request.base_url.clone(),
                    gtin: gtin.clone(),
                    lot: lot_code.clone(),
                    serial: *serial,
                    digest,
                },
                None => LabelLink::Short {
                    base: request.base_url.clone(),
                    serial: *serial,
                    digest,
                },
            };
            issued.push(IssuedLabel {
                serial: serial.to_string(),
                position: u32::try_from(i + 1).unwrap_or(u32::MAX),
                url: link.to_url(),
            });
        }
        for chunk in issued.chunks(500) {
            labels::Entity::insert_many(chunk.iter().map(|l| labels::ActiveModel {
                serial: Set(l.serial.clone()),
                batch_id: Set(batch_id.clone()),
                position: Set(i64::from(l.position)),
                url: Set(l.url.clone()),
                scan_count: Set(0),
                first_scanned_at: Set(None),
                last_scanned_at: Set(None),
            }))
            .exec(&txn)
            .await?;
        }
        // Everything the batch and the lot were just checked for holds at this epoch.
        crate::integrity::save_batch_check(&txn, &batch_id, epoch, None).await?;
        crate::integrity::save_lot_check(
            &txn,
            row.id,
            epoch,
            row.event_count,
            &row.head,
            &crate::LotIntegrity::Intact,
            Some(&lineage[0].state.folded()),
        )
        .await?;
        txn.commit().await?;
        Ok(LabelBatch { signed, labels: issued })
    }

    /// Labels × pack size may not exceed what the lot holds less what earlier batches labelled.
    async fn check_cap(
        &self,
        db: &impl ConnectionTrait,
        row: &lots::Model,
        state: &LotState,
        ancestor_ids: &[i64],
        request: &IssueRequest,
    ) -> Result<(), StoreError> {
        let dimension = request.pack_size.unit.dimension();
        let base = farm_log::Unit::base_of(dimension);
        let pack = show(request.pack_size.value, request.pack_size.unit);
        if state.held.get(&dimension).is_none_or(|held| *held <= Decimal::ZERO) {
            let kind_vi = match dimension {
                Dimension::Mass => "khối lượng",
                Dimension::Volume => "thể tích",
                Dimension::Count => "số lượng (cái, trái)",
                _ => "đơn vị này",
            };
            return Err(invalid(
                "pack_size",
                "unit_mismatch",
                format!("Lô {} không có {kind_vi} để dán tem theo quy cách {}.", row.code, pack),
                format!(
                    "Lot {} holds nothing measured like {}; use the unit its harvest or packing was recorded in.",
                    row.code, pack
                ),
            ));
        }
        let labelled = labelled_quantity(db, row.id, dimension).await?;
        let mut remaining = state.available(dimension) - labelled;
        // Everything labelled under an ancestor (on it or on any lot made from it) came out of
        // what that ancestor held, so it can never exceed that.
        let mut ancestors = ancestor_ids.to_vec();
        ancestors.sort_unstable();
        ancestors.dedup();
        for ancestor in ancestors {
            let ancestor_row = lots::Entity::find_by_id(ancestor)
                .one(db)
                .await?
                .ok_or_else(|| StoreError::Corrupt("ancestor lot".into()))?;
            let events = event_rows(db, ancestor)
                .await?
                .iter()
                .map(event_from_row)
                .collect::<Result<Vec<_>, _>>()
                .map_err(StoreError::Corrupt)?;
            let held = LotState::from_events(initial_quantity(db, &ancestor_row).await?, events)
                .held
                .get(&dimension)
                .copied()
                .unwrap_or_default();
            let mut under = labelled_quantity(db, ancestor, dimension).await?;
            for descendant in crate::integrity::descendants(db, ancestor).await? {
                under += labelled_quantity(db, descendant, dimension).await?;
            }
            remaining = remaining.min(held - under);
        }
        let remaining = remaining.max(Decimal::ZERO);
        let per_label = request.pack_size.in_base_unit();
        let wanted = per_label * Decimal::from(request.count);
        if wanted > remaining {
            let can = (remaining / per_label).floor();
            return Err(invalid(
                "count",
                "exceeds_lot_quantity",
                format!(
                    "Vượt quá sản lượng của lô {}: {} tem × {} = {}, nhưng lô chỉ còn {} chưa dán tem. Có thể in tối đa {} tem.",
                    row.code,
                    request.count,
                    pack,
                    show(wanted, base),
                    show(remaining, base),
                    can
                ),
                format!(
                    "More than lot {} holds: {} labels × {} = {}, but only {} is left unlabelled. At most {} labels can be issued.",
                    row.code,
                    request.count,
                    pack,
                    show(wanted, base),
                    show(remaining, base),
                    can
                ),
            ));
        }
        Ok(())
    }

    /// A batch with its labels, for reprinting and for offline verification.
    pub async fn label_batch(&self, cooperative_id: i64, batch_id: &str) -> Result<LabelBatch, StoreError> {
        let batch = label_batches::Entity::find_by_id(batch_id.to_owned())
            .filter(label_batches::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("label batch"))?;
        let rows = labels::Entity::find()
            .filter(labels::Column::BatchId.eq(batch_id))
            .order_by_asc(labels::Column::Position)
            .all(&self.db)
            .await?;
        let public_key = self.public_key(&batch.key_id).await?;
        let record: BatchRecord =
            serde_json::from_str(&batch.record).map_err(|e| StoreError::Corrupt(format!("batch record: {e}")))?;
        let serials = rows
            .iter()
            .map(|r| Serial::parse(&r.serial))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(LabelBatch {
            signed: SignedBatch {
                record,
                serials,
                public_key,
                signature: label::BatchSignature::parse(&batch.signature)
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
            },
            labels: rows
                .into_iter()
                .map(|r| IssuedLabel {
                    serial: r.serial,
                    position: u32::try_from(r.position).unwrap_or(0),
                    url: r.url,
                })
                .collect(),
        })
    }

    /// What each label of a batch shows when printed, in print order: the product, what one
    /// pack holds (as the lot was packed in the app, else the batch's pack size), the pack and
    /// use-by dates, the cooperative and its phone, the certificates valid today, the serial.
    pub async fn label_faces(&self, cooperative_id: i64, batch_id: &str) -> Result<Vec<LabelFace>, StoreError> {
        let batch = self.label_batch(cooperative_id, batch_id).await?;
        let record = &batch.signed.record;
        let lot_row = self.lot_row(&self.db, cooperative_id, record.lot_code.as_ref()).await?;
        let packed = self.pack_date(&lot_row).await?;
        let product = self.product(cooperative_id, lot_row.product_id).await?;
        let cooperative = self.cooperative(cooperative_id).await?;
        let today = now().date_naive();
        let mut marks: Vec<&'static str> = self
            .certificates(cooperative_id)
            .await?
            .iter()
            .filter(|c| c.valid_on(today) && c.product_id.is_none_or(|p| p == product.id))
            .map(|c| c.scheme.display_name())
            .collect();
        marks.sort_unstable();
        marks.dedup();
        let pack_size = match self.lot_pack(cooperative_id, &lot_row.code).await? {
            Some(pack) => pack.label_text(),
            None => Quantity::parse(&record.pack_size, None, "pack_size")
                .map(|q| q.display_vi())
                .unwrap_or_else(|_| record.pack_size.clone()),
        };
        let use_by = product
            .shelf_life_days
            .map(|days| show_date(&(packed + chrono::Duration::days(i64::from(days)))));
        Ok(batch
            .labels
            .iter()
            .zip(&batch.signed.serials)
            .map(|(l, serial)| LabelFace {
                url: l.url.clone(),
                product_name: record.product_name.clone(),
                lot_code: record.lot_code.to_string(),
                pack_date: show_date(&packed),
                cooperative_name: record.cooperative_name.clone(),
                serial_short: serial.short(),
                certificate_mark: (!marks.is_empty()).then(|| marks.join(", ")),
                pack_size: Some(pack_size.clone()),
                use_by: use_by.clone(),
                cooperative_phone: Some(spaced_phone(&cooperative.phone)).filter(|p| !p.is_empty()),
            })
            .collect())
    }

    /// When the lot was packed: the packing event that made it, else its latest harvest or
    /// packing.
    async fn pack_date(&self, lot_row: &lots::Model) -> Result<DateTime<FixedOffset>, StoreError> {
        let via = lot_parents::Entity::find()
            .filter(lot_parents::Column::ChildLotId.eq(lot_row.id))
            .one(&self.db)
            .await?;
        if let Some(via) = via
            && let Some(event) = events::Entity::find_by_id(via.via_event_id).one(&self.db).await?
            && let Ok(event) = event_from_row(&event)
        {
            return Ok(event.occurred_at);
        }
        let rows = events::Entity::find()
            .filter(events::Column::LotId.eq(lot_row.id))
            .filter(events::Column::Kind.is_in(["harvest", "packing"]))
            .order_by_desc(events::Column::Seq)
            .one(&self.db)
            .await?;
        Ok(match rows.as_ref().map(event_from_row) {
            Some(Ok(event)) => event.occurred_at,
            _ => now(),
        })
    }

    /// The lot's label batches, newest first.
    pub async fn label_batches(&self, cooperative_id: i64, lot_code: &str) -> Result<Vec<BatchRecord>, StoreError> {
        let row = self.lot_row(&self.db, cooperative_id, lot_code).await?;
        label_batches::Entity::find()
            .filter(label_batches::Column::LotId.eq(row.id))
            .order_by_desc(label_batches::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|b| serde_json::from_str(&b.record).map_err(|e| StoreError::Corrupt(format!("batch record: {e}"))))
            .collect()
    }

    pub(crate) async fn public_key(&self, key_id: &str) -> Result<PublicKey, StoreError> {
        let row = cooperative_keys::Entity::find()
            .filter(cooperative_keys::Column::KeyId.eq(key_id))
            .one(&self.db)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("signing key {key_id} is missing")))?;
        PublicKey::parse(&row.public_key).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    /// Checks the signature over the stored record, that the record is the batch's and its
    /// lot's, that the batch's labels are the ones signed, that the lots upstream still hash to
    /// what the lot committed to, and that the lot's events up to the issue point hash to the
    /// signed chain head. Why not, when not.
    pub(crate) async fn judge(
        &self,
        record: &BatchRecord,
        batch: &label_batches::Model,
        lot_row: &lots::Model,
        public_key: &PublicKey,
    ) -> Result<Option<Reason>, StoreError> {
        let altered = |en: String, vi: String| Ok(Some(Reason { en, vi }));
        if let Some(reason) = batch_record_problem(&self.db, record, batch, lot_row, public_key).await? {
            return Ok(Some(reason));
        }
        if let Some((en, vi)) = ancestry(&self.db, lot_row).await?.altered {
            return altered(en, vi);
        }
        let issued_count = record.event_count;
        let rows = events::Entity::find()
            .filter(events::Column::LotId.eq(lot_row.id))
            .filter(events::Column::Seq.lte(i64::try_from(issued_count).unwrap_or(i64::MAX)))
            .order_by_asc(events::Column::Seq)
            .limit(issued_count)
            .all(&self.db)
            .await?;
        let identity = genesis_input(&self.db, lot_row).await?;
        if genesis(&identity).to_hex() != lot_row.genesis {
            return altered(
                format!(
                    "Lot {}'s identity (its product, plots, parents or creation time) was changed after the labels were printed.",
                    lot_row.code
                ),
                format!(
                    "Thông tin gốc của lô {} (sản phẩm, thửa ruộng, lô gốc hoặc ngày tạo) đã bị sửa sau khi in tem.",
                    lot_row.code
                ),
            );
        }
        let mut head = genesis(&identity);
        let mut expected_seq = 1u64;
        for row in &rows {
            let event = match event_from_row(row) {
                Ok(event) if event.seq == expected_seq => event,
                _ => {
                    return altered(
                        format!("Event {expected_seq} of the lot can no longer be read as it was."),
                        format!("Sự kiện thứ {expected_seq} của lô không còn như lúc in tem."),
                    );
                }
            };
            head = link(&head, &event);
            expected_seq += 1;
        }
        if expected_seq - 1 != issued_count {
            return altered(
                format!(
                    "The lot had {issued_count} events when the label was printed; only {} remain.",
                    expected_seq - 1
                ),
                format!(
                    "Lúc in tem lô có {issued_count} sự kiện; nay chỉ còn {}.",
                    expected_seq - 1
                ),
            );
        }
        if head != record.chain_head {
            return altered(
                "The lot's history up to the printing no longer hashes to the label's digest: a recorded event was changed.".into(),
                "Nhật ký của lô đến lúc in tem không còn khớp với mã xác thực trên tem: một sự kiện đã bị sửa.".into(),
            );
        }
        Ok(None)
    }

    /// Counts one more scan of a label already known to exist (the caller resolved it earlier
    /// and kept what it found); it is written with the next flush.
    pub fn count_scan(&self, serial: &str) {
        self.scans.count(serial, now());
    }

    /// Writes the scans counted since the last flush; on failure they are kept for the next one.
    /// Returns how many labels were updated. Answers go on meanwhile: see [`ScanBuffer`].
    pub async fn flush_scans(&self) -> Result<usize, StoreError> {
        if self.scans.is_empty() {
            return Ok(0);
        }
        let _one_flush = self.scans.flushing.lock().await;
        // Another flush may have written them while this one waited.
        if self.scans.is_empty() {
            return Ok(0);
        }
        let _guard = self.quiet_write_guard().await;
        let txn = self.begin_write().await?;
        let Some((scans, number)) = self.scans.begin_flush() else {
            return Ok(0);
        };
        let mut under_way = FlushUnderWay {
            buffer: &self.scans,
            committed: false,
            ended: false,
        };
        write_scans(&txn, &scans).await?;
        mark_flush(&txn, &self.scans.process, number).await?;
        txn.commit().await?;
        under_way.committed = true;
        // Answers that read the count before the commit may still be adding what was set aside.
        let _forgetting = self.scans.gate.write().await;
        self.scans.end_flush(true);
        under_way.ended = true;
        Ok(scans.len())
    }
}

/// How many labels one statement of a flush updates (four bound values each).
const FLUSH_CHUNK: usize = 500;

/// Records flush `number` as this process's last committed one (in the flush's transaction), and
/// forgets processes that have not flushed for a week (none of them has counts set aside).
async fn mark_flush(txn: &DatabaseTransaction, process: &str, number: i64) -> Result<(), StoreError> {
    let now = now();
    scan_flushes::Entity::insert(scan_flushes::ActiveModel {
        process: Set(process.to_owned()),
        flushed: Set(number),
        flushed_at: Set(timestamp_text(&now)),
    })
    .on_conflict(
        OnConflict::column(scan_flushes::Column::Process)
            .update_columns([scan_flushes::Column::Flushed, scan_flushes::Column::FlushedAt])
            .to_owned(),
    )
    .exec(txn)
    .await?;
    let week_ago = now - chrono::Duration::days(7);
    scan_flushes::Entity::delete_many()
        .filter(scan_flushes::Column::FlushedAt.lt(timestamp_text(&week_ago)))
        .exec(txn)
        .await?;
    Ok(())
}

async fn write_scans(txn: &DatabaseTransaction, scans: &HashMap<String, PendingScan>) -> Result<(), StoreError> {
    // In serial order, so two processes flushing at once lock rows in the same order; a few
    // hundred labels per statement (one UPDATE each held SQLite's writer for about a second at
    // 5,000 scans/s). Values are bound, never spliced into the text.
    let mut ordered: Vec<(&String, &PendingScan)> = scans.iter().collect();
    ordered.sort_unstable_by_key(|(serial, _)| *serial);
    let backend = txn.get_database_backend();
    for chunk in ordered.chunks(FLUSH_CHUNK) {
        let mut values = Vec::with_capacity(chunk.len().saturating_mul(4));
        let mut rows = Vec::with_capacity(chunk.len());
        for (serial, scan) in chunk {
            let n = values.len();
            rows.push(match backend {
                DbBackend::Postgres => format!("(${}, CAST(${} AS BIGINT), ${}, ${})", n + 1, n + 2, n + 3, n + 4),
                _ => "(?, CAST(? AS BIGINT), ?, ?)".to_owned(),
            });
            values.push(sea_orm::Value::from((*serial).clone()));
            values.push(sea_orm::Value::from(i64::try_from(scan.count).unwrap_or(i64::MAX)));
            values.push(sea_orm::Value::from(timestamp_text(&scan.first)));
            values.push(sea_orm::Value::from(timestamp_text(&scan.last)));
        }
        let sql = format!(
            "UPDATE labels SET scan_count = labels.scan_count + v.column2, \
             first_scanned_at = COALESCE(labels.first_scanned_at, v.column3), last_scanned_at = v.column4 \
             FROM (VALUES {}) AS v WHERE labels.serial = v.column1",
            rows.join(", ")
        );
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, values))
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: u32) -> DateTime<FixedOffset> {
        DateTime::parse_from_rfc3339(&format!("2026-12-06T08:{minute:02}:00+07:00")).expect("time")
    }

    #[test]
    fn counts_set_aside_are_added_only_to_a_count_read_before_their_flush_committed() {
        let buffer = ScanBuffer::default();
        buffer.count("A", at(1));
        buffer.count("A", at(2));
        let (aside, number) = buffer.begin_flush().expect("flush");
        assert_eq!(number, 1);
        assert_eq!(aside["A"].count, 2);
        // A third scan while the flush writes: an answer that read the count before the commit
        // (last committed flush 0) lacks all three; one that read it after lacks only the third.
        let before = buffer.record("A", at(3), 0).expect("unwritten");
        assert_eq!((before.count, before.first, before.last), (3, at(1), at(3)));
        let after = buffer.peek("A", 1).expect("unwritten");
        assert_eq!((after.count, after.first), (1, at(3)));
        buffer.end_flush(true);
        assert_eq!(buffer.peek("A", 1).map(|p| p.count), Some(1));
        // A failed flush puts its counts back, under the next number.
        let (_, number) = buffer.begin_flush().expect("flush");
        assert_eq!(number, 2);
        buffer.end_flush(false);
        assert_eq!(buffer.peek("A", 2).map(|p| p.count), Some(1));
        assert!(buffer.peek("B", 0).is_none());
    }

    #[test]
    fn a_flush_dropped_after_its_commit_never_writes_its_counts_again() {
        let buffer = ScanBuffer::default();
        buffer.count("A", at(1));
        // Dropped while writing: the counts go back, to be written by the next flush.
        buffer.begin_flush().expect("flush");
        drop(FlushUnderWay {
            buffer: &buffer,
            committed: false,
            ended: false,
        });
        let (aside, _) = buffer.begin_flush().expect("flush");
        assert_eq!(aside["A"].count, 1);
        // Dropped after its commit (waiting to forget): they are in the database, so forgotten.
        drop(FlushUnderWay {
            buffer: &buffer,
            committed: true,
            ended: false,
        });
        assert!(buffer.is_empty());
        assert!(buffer.peek("A", 0).is_none());
    }
}
