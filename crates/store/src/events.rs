//! Appending to lots: serialized per lot on both backends, validated against the lot's folded
//! history, hashed into the chain, and idempotent by event id.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, FixedOffset};
use farm_log::chain::{ChainHead, ParentLink, link};
use farm_log::event::EventDraft;
use farm_log::{
    Event, EventBody, FieldError, InputSnapshot, LotCode, LotState, LotStatus, Note, Quantity, ValidationContext,
    ValidationErrors,
};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{events, input_products, lot_checks, lots, plots};
use crate::integrity::{
    LotIntegrity, bump_revisions, current_check, descendants, epoch, folded_of, integrity_of, save_lot_check,
    verify_fully,
};
use crate::lots::{DerivedParent, event_from_row, event_to_row, insert_derived_lot, parse_head};
use crate::{Lot, Principal, Store, StoreError, StoredEvent, now};

/// One event to append, and the lot it goes to.
#[derive(Debug, Clone)]
pub struct AppendItem {
    /// The lot's code.
    pub lot_code: String,
    /// The event as the client sent it.
    pub draft: EventDraft,
}

/// What happened to one appended event.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum AppendOutcome {
    /// Newly stored.
    Created {
        /// The stored event.
        event: StoredEvent,
    },
    /// Already stored under this id with the same content: nothing was written.
    Existing {
        /// The stored event.
        event: StoredEvent,
    },
}

impl AppendOutcome {
    /// The stored event, new or not.
    pub fn event(&self) -> &StoredEvent {
        match self {
            AppendOutcome::Created { event } | AppendOutcome::Existing { event } => event,
        }
    }

    /// True when it was newly stored.
    pub fn is_created(&self) -> bool {
        matches!(self, AppendOutcome::Created { .. })
    }
}

/// One lot going into a merge.
#[derive(Debug, Clone)]
pub struct MergeInput {
    /// The input lot.
    pub lot_code: LotCode,
    /// How much of it goes in.
    pub quantity: Quantity,
    /// The id of the merging event appended to it (client-chosen, for idempotency).
    pub event_id: Uuid,
}

/// Several lots merged into one new lot.
#[derive(Debug, Clone)]
pub struct MergeRequest {
    /// The new lot's code.
    pub output_code: LotCode,
    /// Its product; the first input's product when absent.
    pub product_id: Option<i64>,
    /// When the merge happened.
    pub occurred_at: DateTime<FixedOffset>,
    /// Optional note on each merging event.
    pub note: Option<Note>,
    /// The inputs (at least two distinct lots).
    pub inputs: Vec<MergeInput>,
}

/// A lot being appended to inside one transaction.
struct LotWork {
    row: lots::Model,
    plot_ids: Vec<i64>,
    /// The plots' total area in m², for the per-area bounds.
    area_m2: Option<rust_decimal::Decimal>,
    state: LotState,
    head: ChainHead,
    count: u64,
    changed: bool,
    /// The integrity epoch its check was made at, and what the check found.
    epoch: i64,
    integrity: LotIntegrity,
    /// Lots made from it: what their pages show of it changes with its events.
    descendants: Vec<i64>,
}

/// One append transaction: lots locked in a fixed order, their states folded once, events added
/// one after another, lot heads written at the end.
struct AppendTxn<'a> {
    store: &'a Store,
    txn: DatabaseTransaction,
    principal: &'a Principal,
    lots: HashMap<String, LotWork>,
    inputs: HashMap<i64, Option<InputSnapshot>>,
    seen_in_batch: HashMap<Uuid, (String, AppendOutcome)>,
    /// Rows already stored under the ids this transaction was asked to append (looked up once).
    stored: HashMap<String, events::Model>,
    /// New event rows, written together at commit (one multi-row insert per chunk).
    pending: Vec<events::ActiveModel>,
}

/// Rows per multi-row insert: well under SQLite's and PostgreSQL's bound-parameter limits.
const INSERT_CHUNK: usize = 500;

fn content_digest(lot_code: &str, actor: i64, draft: &EventDraft) -> String {
    let mut draft = draft.clone();
    if let Some(input) = draft.body.applied_input_mut() {
        input.snapshot = None;
    }
    let json = serde_json::to_vec(&(lot_code, actor, &draft)).unwrap_or_default();
    blake3::Hash::from_bytes(blake3::derive_key("nguon 2026-11 append content digest v1", &json))
        .to_hex()
        .to_string()
}

fn prefixed(errors: ValidationErrors, prefix: &str) -> StoreError {
    StoreError::Invalid(if prefix.is_empty() {
        errors
    } else {
        errors.within(prefix)
    })
}

fn field(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_owned()
    } else {
        format!("{prefix}.{name}")
    }
}

impl<'a> AppendTxn<'a> {
    /// Starts the work in `txn` (a write transaction, or a savepoint within one).
    async fn begin(
        store: &'a Store,
        txn: DatabaseTransaction,
        principal: &'a Principal,
        codes: BTreeSet<String>,
        with_history: &BTreeSet<String>,
        ids: impl IntoIterator<Item = Uuid>,
    ) -> Result<Self, StoreError> {
        let mut work = Self {
            store,
            txn,
            principal,
            lots: HashMap::new(),
            inputs: HashMap::new(),
            seen_in_batch: HashMap::new(),
            stored: HashMap::new(),
            pending: Vec::new(),
        };
        // Lock in ascending code order so two batches touching the same lots cannot deadlock.
        for code in codes {
            let history = with_history.contains(&code);
            work.load(&code, history).await?;
        }
        // The lots are locked, so no other writer can store these ids in them meanwhile.
        let ids: Vec<String> = ids.into_iter().map(|id| id.to_string()).collect();
        for chunk in ids.chunks(INSERT_CHUNK) {
            for row in events::Entity::find()
                .filter(events::Column::Id.is_in(chunk.iter().cloned()))
                .all(&work.txn)
                .await?
            {
                work.stored.insert(row.id.clone(), row);
            }
        }
        Ok(work)
    }

    /// Locks a lot and gets what validating its next events needs: the folded state its kept
    /// check holds when that check still stands (no history read, whatever the lot's length),
    /// else — or when `with_history` (a correction needs the events) — its whole history,
    /// verified. A lot whose record was altered and not acknowledged is refused.
    async fn load(&mut self, code: &str, with_history: bool) -> Result<(), StoreError> {
        let row = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(self.principal.cooperative_id))
            .filter(lots::Column::Code.eq(code))
            .lock_exclusive()
            .one(&self.txn)
            .await?
            .ok_or(StoreError::not_found("lot"))?;
        let epoch = epoch(&self.txn).await?;
        let kept = lot_checks::Entity::find_by_id(row.id).one(&self.txn).await?;
        let quick = current_check(kept.as_ref(), &row, epoch)
            .filter(|check| !with_history && check.verdict != "altered")
            .and_then(|check| Some((integrity_of(check), folded_of(check, &row)?)));
        let (integrity, state) = match quick {
            Some((integrity, folded)) => (integrity, LotState::from_folded(folded)),
            None => {
                let full = verify_fully(&self.txn, &row).await?;
                (full.integrity, full.state)
            }
        };
        if let LotIntegrity::Altered(reason) = &integrity {
            return Err(StoreError::conflict(
                "lot",
                format!(
                    "Lot {code}'s stored diary was changed outside the application ({}) Nothing more can be logged until a leader acknowledges it.",
                    reason.en
                ),
                format!(
                    "Nhật ký của lô {code} đã bị sửa ngoài ứng dụng ({}) Không thể ghi thêm cho đến khi ban quản lý xác nhận việc này.",
                    reason.vi
                ),
            ));
        }
        let plot_ids = crate::lots::lot_plot_ids(&self.txn, row.id).await?;
        let area_m2 = plot_area(&self.txn, &plot_ids).await?;
        let head = parse_head(&row.head)?;
        let count = u64::try_from(row.event_count).map_err(|_| StoreError::Corrupt("event count".into()))?;
        let descendants = descendants(&self.txn, row.id).await?;
        self.lots.insert(
            code.to_owned(),
            LotWork {
                row,
                plot_ids,
                area_m2,
                state,
                head,
                count,
                changed: false,
                epoch,
                integrity,
                descendants,
            },
        );
        Ok(())
    }

    async fn snapshot(&mut self, input_product_id: i64) -> Result<Option<InputSnapshot>, StoreError> {
        if let Some(known) = self.inputs.get(&input_product_id) {
            return Ok(known.clone());
        }
        let row = input_products::Entity::find_by_id(input_product_id)
            .filter(input_products::Column::CooperativeId.eq(self.principal.cooperative_id))
            .one(&self.txn)
            .await?;
        let snapshot = match row {
            Some(row) => {
                let product = self.store.input_from_row(row)?;
                Some(InputSnapshot {
                    trade_name: product.trade_name,
                    kind: product.kind,
                    active_ingredients: product.active_ingredients,
                    registration_number: product.registration_number,
                    phi_days: product.phi_days,
                })
            }
            None => None,
        };
        self.inputs.insert(input_product_id, snapshot.clone());
        Ok(snapshot)
    }

    /// Appends one item; `digest` is its [`content_digest`], computed by the caller before the
    /// write lock was taken.
    async fn append(
        &mut self,
        prefix: &str,
        item: AppendItem,
        digest: String,
        allow_merging: bool,
    ) -> Result<AppendOutcome, StoreError> {
        let AppendItem { lot_code, draft } = item;
        if matches!(draft.body, EventBody::Merging { .. }) && !allow_merging {
            return Err(FieldError::new(
                field(prefix, "type"),
                "use_merge",
                "Gộp lô được ghi qua chức năng gộp lô (POST /merges), để lô mới được tạo cùng lúc.",
                "Merging is recorded through the merge endpoint (POST /merges), which creates the output lot at the same time.",
            )
            .into());
        }
        if let Some((seen_digest, outcome)) = self.seen_in_batch.get(&draft.id) {
            return if *seen_digest == digest {
                Ok(AppendOutcome::Existing {
                    event: outcome.event().clone(),
                })
            } else {
                Err(id_conflict(prefix))
            };
        }
        if let Some(existing) = self.stored.get(&draft.id.to_string()) {
            let work = self.lots.get(&lot_code).ok_or(StoreError::not_found("lot"))?;
            if existing.content_digest != digest || existing.lot_id != work.row.id {
                return Err(id_conflict(prefix));
            }
            let event = event_from_row(existing).map_err(StoreError::Corrupt)?;
            return Ok(AppendOutcome::Existing {
                event: StoredEvent {
                    event,
                    lot_code,
                    head: existing.head.clone(),
                },
            });
        }
        for (i, photo) in draft.photos.iter().enumerate() {
            let stored = crate::entities::media::Entity::find_by_id((photo.to_hex(), "full".to_owned()))
                .one(&self.txn)
                .await?;
            if stored.is_none() {
                return Err(FieldError::new(
                    field(prefix, &format!("photos[{i}]")),
                    "unknown_photo",
                    "Chưa có ảnh này trên máy chủ: hãy tải ảnh lên trước rồi ghi nhật ký.",
                    "No photo with this hash has been uploaded: upload the photo first, then log the event.",
                )
                .into());
            }
        }
        let mut body = draft.body.clone();
        if let Some(applied) = body.applied_input_mut() {
            applied.snapshot = self.snapshot(applied.input_product_id).await?;
        }
        let work = self.lots.get_mut(&lot_code).ok_or(StoreError::not_found("lot"))?;
        let event = Event {
            id: draft.id,
            seq: work.count + 1,
            occurred_at: draft.occurred_at,
            recorded_at: now(),
            actor: self.principal.member_id,
            note: draft.note.clone(),
            location: draft.location,
            photos: draft.photos.clone(),
            body,
        };
        let context = ValidationContext {
            actor_role: self.principal.role,
            banned: &self.store.banned,
            area_m2: work.area_m2,
        };
        work.state.check(&event, &context).map_err(|e| prefixed(e, prefix))?;
        crate::listings::check_not_sold(&self.txn, &work.row, &work.state, &event.body)
            .await?
            .map_or(Ok(()), |errors| Err(prefixed(errors, prefix)))?;
        let head = link(&work.head, &event);
        self.pending.push(event_to_row(&event, work.row.id, &head, &digest)?);
        if let EventBody::Packing { children } = &event.body {
            let parent_code = LotCode::parse(&work.row.code, "code").map_err(|e| StoreError::Corrupt(e.to_string()))?;
            for (i, child) in children.iter().enumerate() {
                insert_derived_lot(
                    &self.txn,
                    work.row.cooperative_id,
                    &child.code,
                    work.row.product_id,
                    &work.plot_ids,
                    vec![DerivedParent {
                        lot_id: work.row.id,
                        link: ParentLink {
                            lot_code: parent_code.clone(),
                            head,
                            quantity: child.quantity,
                        },
                        via_event_id: event.id,
                    }],
                    &field(prefix, &format!("children[{i}].code")),
                )
                .await?;
            }
        }
        work.state.push(event.clone());
        work.head = head;
        work.count += 1;
        work.changed = true;
        let outcome = AppendOutcome::Created {
            event: StoredEvent {
                event,
                lot_code,
                head: head.to_hex(),
            },
        };
        self.seen_in_batch.insert(draft.id, (digest, outcome.clone()));
        Ok(outcome)
    }

    async fn commit(mut self) -> Result<(), StoreError> {
        // The lots first: the database counts an event row beyond its lot's count as an
        // alteration (ARCHITECTURE.md, "Verdicts").
        for work in self.lots.values().filter(|w| w.changed) {
            let mut row: lots::ActiveModel = work.row.clone().into();
            row.head = Set(work.head.to_hex());
            row.event_count = Set(work.count as i64);
            row.status = Set(work.state.status.as_str().to_owned());
            row.update(&self.txn).await?;
        }
        let pending = std::mem::take(&mut self.pending);
        let mut rows = pending.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<events::ActiveModel> = rows.by_ref().take(INSERT_CHUNK).collect();
            events::Entity::insert_many(chunk).exec(&self.txn).await.map_err(|e| {
                // Only an id stored concurrently in another lot can get here.
                StoreError::unique(
                    e,
                    "id",
                    "An event id in this request is already used.",
                    "Một mã sự kiện trong yêu cầu này đã được dùng.",
                )
            })?;
        }
        for work in self.lots.values().filter(|w| w.changed) {
            save_lot_check(
                &self.txn,
                work.row.id,
                work.epoch,
                work.count as i64,
                &work.head.to_hex(),
                &work.integrity,
                Some(&work.state.folded()),
            )
            .await?;
            bump_revisions(&self.txn, &work.descendants).await?;
        }
        self.txn.commit().await?;
        Ok(())
    }
}

/// The total area of some plots in m², when every one of them has a readable area.
async fn plot_area(
    db: &impl sea_orm::ConnectionTrait,
    plot_ids: &[i64],
) -> Result<Option<rust_decimal::Decimal>, StoreError> {
    if plot_ids.is_empty() {
        return Ok(None);
    }
    let rows = plots::Entity::find()
        .filter(plots::Column::Id.is_in(plot_ids.to_vec()))
        .all(db)
        .await?;
    let mut total = rust_decimal::Decimal::ZERO;
    for row in &rows {
        match crate::registry::quantity_from_columns(&row.area_value, &row.area_unit) {
            Ok(area) if area.unit.dimension() == farm_log::Dimension::Area => {
                total = total
                    .checked_add(area.in_base_unit())
                    .unwrap_or(rust_decimal::Decimal::MAX);
            }
            _ => return Ok(None),
        }
    }
    Ok((rows.len() == plot_ids.len()).then_some(total))
}

/// One append request: its events and what was worked out of them before any lock.
pub(crate) struct AppendJob {
    principal: Principal,
    items: Vec<AppendItem>,
    batch: bool,
    codes: BTreeSet<String>,
    with_history: BTreeSet<String>,
    digests: Vec<String>,
}

impl AppendJob {
    fn new(principal: &Principal, items: Vec<AppendItem>, batch: bool) -> Self {
        let codes = items.iter().map(|i| i.lot_code.clone()).collect();
        let with_history = items
            .iter()
            .filter(|i| matches!(i.draft.body, EventBody::Correction { .. }))
            .map(|i| i.lot_code.clone())
            .collect();
        let digests = items
            .iter()
            .map(|i| content_digest(&i.lot_code, principal.member_id, &i.draft))
            .collect();
        Self {
            principal: principal.clone(),
            items,
            batch,
            codes,
            with_history,
            digests,
        }
    }

    /// How many events it carries.
    pub(crate) fn len(&self) -> usize {
        self.items.len()
    }

    /// Appends every event in `txn` and commits it (a savepoint is released), or leaves it to
    /// roll back on the first error. The caller holds the write guard.
    pub(crate) async fn run(self, store: &Store, txn: DatabaseTransaction) -> Result<Vec<AppendOutcome>, StoreError> {
        let Self {
            principal,
            items,
            batch,
            codes,
            with_history,
            digests,
        } = self;
        let ids: Vec<Uuid> = items.iter().map(|i| i.draft.id).collect();
        let mut work = AppendTxn::begin(store, txn, &principal, codes, &with_history, ids).await?;
        let mut outcomes = Vec::with_capacity(items.len());
        for (i, (item, digest)) in items.into_iter().zip(digests).enumerate() {
            let prefix = if batch { format!("events[{i}]") } else { String::new() };
            outcomes.push(work.append(&prefix, item, digest, false).await?);
        }
        work.commit().await?;
        Ok(outcomes)
    }
}

fn id_conflict(prefix: &str) -> StoreError {
    StoreError::conflict(
        &field(prefix, "id"),
        "This event id was already used for different content. Send a new id for a new event.",
        "Mã sự kiện này đã được dùng cho một nội dung khác. Hãy dùng mã mới cho sự kiện mới.",
    )
}

impl Store {
    /// Appends events atomically: all are stored or none. `batch` reports errors as
    /// `events[i].field`. Re-sent events (same id, same content) come back as `Existing`.
    ///
    /// On SQLite, batches that arrive while another is being written are written together,
    /// each in a savepoint of one transaction ([`crate::appends`]).
    pub async fn append(
        &self,
        principal: &Principal,
        items: Vec<AppendItem>,
        batch: bool,
    ) -> Result<Vec<AppendOutcome>, StoreError> {
        let job = AppendJob::new(principal, items, batch);
        if let Some(queue) = &self.appends {
            return queue.submit(self, job).await;
        }
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        job.run(self, txn).await
    }

    /// Merges lots into a new one: a merging event on each input, then the output lot whose
    /// genesis commits to every input's head. Re-sending the same merge returns the same lot.
    pub async fn merge(&self, principal: &Principal, request: MergeRequest) -> Result<Lot, StoreError> {
        let distinct: BTreeSet<String> = request.inputs.iter().map(|i| i.lot_code.to_string()).collect();
        if distinct.len() < 2 || distinct.len() != request.inputs.len() {
            return Err(FieldError::new(
                "inputs",
                "need_two_lots",
                "Cần ít nhất hai lô khác nhau để gộp.",
                "A merge needs at least two different lots.",
            )
            .into());
        }
        if let Some(product_id) = request.product_id {
            self.product_for_field(principal.cooperative_id, product_id).await?;
        }
        let _guard = self.write_guard().await;
        let ids: Vec<Uuid> = request.inputs.iter().map(|i| i.event_id).collect();
        let txn = self.begin_write().await?;
        let mut work = AppendTxn::begin(self, txn, principal, distinct, &BTreeSet::new(), ids).await?;
        let mut parents = Vec::new();
        let mut all_existing = true;
        for (i, input) in request.inputs.iter().enumerate() {
            let draft = EventDraft {
                id: input.event_id,
                occurred_at: request.occurred_at,
                note: request.note.clone(),
                location: None,
                photos: Vec::new(),
                body: EventBody::Merging {
                    output_lot: request.output_code.clone(),
                    quantity: input.quantity,
                },
            };
            let item = AppendItem {
                lot_code: input.lot_code.to_string(),
                draft,
            };
            let digest = content_digest(&item.lot_code, principal.member_id, &item.draft);
            let outcome = work.append(&format!("inputs[{i}]"), item, digest, true).await?;
            all_existing &= !outcome.is_created();
            let lot = &work.lots[input.lot_code.as_ref()];
            parents.push(DerivedParent {
                lot_id: lot.row.id,
                link: ParentLink {
                    lot_code: input.lot_code.clone(),
                    head: ChainHead::from_hex(&outcome.event().head)
                        .ok_or_else(|| StoreError::Corrupt("head".into()))?,
                    quantity: input.quantity,
                },
                via_event_id: input.event_id,
            });
        }
        if all_existing {
            drop(work);
            drop(_guard);
            return self.lot(principal.cooperative_id, request.output_code.as_ref()).await;
        }
        let first = &work.lots[request.inputs[0].lot_code.as_ref()];
        let product_id = request.product_id.unwrap_or(first.row.product_id);
        let plot_ids: BTreeSet<i64> = work.lots.values().flat_map(|w| w.plot_ids.iter().copied()).collect();
        let plot_ids: Vec<i64> = plot_ids.into_iter().collect();
        let mut total = std::collections::BTreeMap::new();
        for input in &request.inputs {
            *total
                .entry(input.quantity.unit.dimension())
                .or_insert(rust_decimal::Decimal::ZERO) += input.quantity.in_base_unit();
        }
        if total.len() != 1 {
            return Err(FieldError::new(
                "inputs",
                "mixed_units",
                "Các lô gộp phải cùng loại đơn vị (cùng khối lượng, hoặc cùng thể tích, hoặc cùng số cái).",
                "Merged quantities must all be masses, or all volumes, or all counts.",
            )
            .into());
        }
        let row = insert_derived_lot(
            &work.txn,
            principal.cooperative_id,
            &request.output_code,
            product_id,
            &plot_ids,
            parents,
            "output_code",
        )
        .await?;
        debug_assert_eq!(row.status, LotStatus::Packed.as_str());
        work.commit().await?;
        drop(_guard);
        self.lot_from_row(row).await
    }
}

impl Store {
    /// Recalls a lot and every lot made from it, at any depth, in one atomic append: the lot
    /// gets `reason`, each derived lot a reason naming where the recall came from. Lots already
    /// recalled are left as they are. Returns the codes recalled now, the lot's own first.
    pub async fn recall_cascade(
        &self,
        principal: &Principal,
        code: &str,
        reason: &farm_log::Note,
        reason_for_derived: impl Fn(&str) -> String,
    ) -> Result<Vec<String>, StoreError> {
        let root = self.lot(principal.cooperative_id, code).await?;
        let mut order = vec![root.clone()];
        let mut seen: BTreeSet<String> = BTreeSet::from([root.code.clone()]);
        let mut next = 0;
        while next < order.len() {
            let children: Vec<String> = order[next].children.iter().map(|c| c.lot_code.clone()).collect();
            for child in children {
                if seen.insert(child.clone()) {
                    order.push(self.lot(principal.cooperative_id, &child).await?);
                }
            }
            next += 1;
        }
        let now = crate::now();
        let mut items = Vec::new();
        for lot in order.iter().filter(|lot| lot.status != farm_log::LotStatus::Recalled) {
            let reason = if lot.code == root.code {
                reason.clone()
            } else {
                farm_log::Note::parse(&reason_for_derived(&root.code), "reason")?
            };
            items.push(AppendItem {
                lot_code: lot.code.clone(),
                draft: farm_log::event::EventDraft {
                    id: Uuid::now_v7(),
                    occurred_at: now,
                    note: None,
                    location: None,
                    photos: Vec::new(),
                    body: farm_log::EventBody::Recall { reason },
                },
            });
        }
        let codes = items.iter().map(|i| i.lot_code.clone()).collect();
        if !items.is_empty() {
            self.append(principal, items, true).await?;
        }
        Ok(codes)
    }
}

impl Store {
    /// A leader acknowledges that a lot's stored history was altered outside the application,
    /// so that it can be logged on again: one `alteration_acknowledged` event naming the digest
    /// of exactly the stored history seen now (a later change is a new, unacknowledged
    /// alteration). Buyers go on being told the record was changed. A lot whose record is not
    /// altered has nothing to acknowledge (409).
    pub async fn acknowledge_alteration(
        &self,
        principal: &Principal,
        code: &str,
        explanation: Note,
    ) -> Result<StoredEvent, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let row = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(principal.cooperative_id))
            .filter(lots::Column::Code.eq(code))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("lot"))?;
        let epoch = epoch(&txn).await?;
        let full = verify_fully(&txn, &row).await?;
        if !full.chain.is_unacknowledged_alteration() {
            return Err(StoreError::conflict(
                "lot",
                format!(
                    "Lot {code}'s diary is not altered (or its alteration was already acknowledged): there is nothing to acknowledge."
                ),
                format!(
                    "Nhật ký của lô {code} không bị sửa (hoặc việc sửa đã được xác nhận): không có gì để xác nhận."
                ),
            ));
        }
        let previous_head = parse_head(&row.head)?;
        let max_seq: Option<i64> = events::Entity::find()
            .select_only()
            .column_as(events::Column::Seq.max(), "max_seq")
            .filter(events::Column::LotId.eq(row.id))
            .into_tuple()
            .one(&txn)
            .await?
            .flatten();
        let seq = u64::try_from(row.event_count.max(max_seq.unwrap_or(0)))
            .map_err(|_| StoreError::Corrupt("event count".into()))?
            + 1;
        let body = EventBody::AlterationAcknowledged {
            history: full.history,
            previous_head,
            explanation,
        };
        let (event, updated, _) = append_own_event(
            &txn,
            principal,
            &self.banned,
            &row,
            full.state,
            seq,
            previous_head,
            body,
        )
        .await?;
        let head = parse_head(&updated.head)?;
        let after = verify_fully(&txn, &updated).await?;
        if matches!(after.integrity, LotIntegrity::Altered(_)) {
            return Err(StoreError::Corrupt(format!(
                "lot {code}: the acknowledgement did not cover its alteration"
            )));
        }
        save_lot_check(
            &txn,
            row.id,
            epoch,
            updated.event_count,
            &updated.head,
            &after.integrity,
            Some(&after.state.folded()),
        )
        .await?;
        txn.commit().await?;
        Ok(StoredEvent {
            event,
            lot_code: row.code,
            head: head.to_hex(),
        })
    }
}

/// Appends one event the store makes itself (an acknowledgement, an override) inside a
/// transaction that holds the lot row locked: validated against `state`, linked from
/// `previous_head` at `seq`, the lot row written before the event row (the database counts an
/// event beyond its lot's count as an alteration), and the lots made from it told. Returns the
/// event, the lot row as written and the state with the event folded in.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn append_own_event(
    txn: &DatabaseTransaction,
    principal: &Principal,
    banned: &farm_log::BannedList,
    row: &lots::Model,
    mut state: LotState,
    seq: u64,
    previous_head: ChainHead,
    body: EventBody,
) -> Result<(Event, lots::Model, LotState), StoreError> {
    let at = now();
    let event = Event {
        id: Uuid::now_v7(),
        seq,
        occurred_at: at,
        recorded_at: at,
        actor: principal.member_id,
        note: None,
        location: None,
        photos: Vec::new(),
        body,
    };
    let context = ValidationContext {
        actor_role: principal.role,
        banned,
        area_m2: None,
    };
    state.check(&event, &context).map_err(StoreError::Invalid)?;
    let head = link(&previous_head, &event);
    state.push(event.clone());
    let mut lot: lots::ActiveModel = row.clone().into();
    lot.head = Set(head.to_hex());
    lot.event_count = Set(i64::try_from(seq).map_err(|_| StoreError::Corrupt("event count".into()))?);
    lot.status = Set(state.status.as_str().to_owned());
    let updated = lot.update(txn).await?;
    let draft = EventDraft {
        id: event.id,
        occurred_at: event.occurred_at,
        note: None,
        location: None,
        photos: Vec::new(),
        body: event.body.clone(),
    };
    let digest = content_digest(&row.code, principal.member_id, &draft);
    events::Entity::insert(event_to_row(&event, row.id, &head, &digest)?)
        .exec(txn)
        .await?;
    bump_revisions(txn, &descendants(txn, row.id).await?).await?;
    Ok((event, updated, state))
}
