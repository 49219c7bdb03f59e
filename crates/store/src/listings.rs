//! Marketplace listings: versions (never updated, so a listing's price history stays), stock
//! derived from the packed lots a listing sells from less recorded sales and write-offs, and the
//! unguessable token in a cooperative's feed URLs.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use catalog::{Availability, ListingFields, ListingStatus, LotStock, MovementKind, PriceVnd};
use chrono::{DateTime, FixedOffset};
use farm_log::{Dimension, FieldError, Gtin, LotCode, LotStatus, Note, PhotoHash, Quantity, Unit, ValidationErrors};
use rust_decimal::Decimal;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
    TransactionTrait,
};
use serde::Serialize;
use uuid::Uuid;

use crate::entities::{feed_tokens, listing_versions, listings, lot_parents, lots, media, members, stock_movements};
use crate::labels::event_rows;
use crate::lots::{event_from_row, initial_quantity};
use crate::registry::quantity_from_columns;
use crate::{Principal, Store, StoreError, now, timestamp_text};

/// One lot a listing sells from, as it stands now.
#[derive(Debug, Clone, Serialize)]
pub struct ListingLot {
    /// The lot's code.
    pub code: String,
    /// Its product.
    pub product_id: i64,
    /// Its status.
    pub status: LotStatus,
    /// Recalled itself or upstream: sells nothing.
    pub recalled: bool,
    /// Past its use-by date: sells nothing.
    pub expired: bool,
    /// What it holds now in the pack size's dimension, in that dimension's base unit: what
    /// packing put in, less what later packing, merging or a recorded shipping took out (0 once
    /// the lot is closed).
    #[serde(with = "rust_decimal::serde::str")]
    pub held: Decimal,
    /// What was sold or written off from it (by any listing), in the same unit.
    #[serde(with = "rust_decimal::serde::str")]
    pub moved: Decimal,
    /// Whole sale units left in it.
    pub units: u64,
    /// The pack sizes QR labels were issued for on it (their GTIN is the product's).
    pub labelled_packs: Vec<Quantity>,
}

/// A listing as it stands: its current version, its lots and its derived stock.
#[derive(Debug, Clone)]
pub struct Listing {
    /// Id, stable across versions.
    pub id: i64,
    /// Its cooperative.
    pub cooperative_id: i64,
    /// The current version (1 for a new listing).
    pub version: i32,
    /// Active, paused or archived.
    pub status: ListingStatus,
    /// The current version's fields.
    pub fields: ListingFields,
    /// When it was first listed.
    pub created_at: DateTime<FixedOffset>,
    /// When its current version was made.
    pub updated_at: DateTime<FixedOffset>,
    /// Its lots, in the order they are sold from, with their stock.
    pub lots: Vec<ListingLot>,
    /// Whole sale units it can sell (recalled lots count nothing).
    pub units: u64,
    /// The latest time anything it shows changed: a version, a sale, an event on one of its
    /// lots (a recall).
    pub last_change: DateTime<FixedOffset>,
}

impl Listing {
    /// In stock when active with at least one whole sale unit left.
    pub fn availability(&self) -> Availability {
        if self.status == ListingStatus::Active && self.units > 0 {
            Availability::InStock
        } else {
            Availability::OutOfStock
        }
    }

    /// The lot a buyer gets now: the first with stock, else the first one listed.
    pub fn selling_lot(&self) -> &str {
        self.lots
            .iter()
            .find(|lot| lot.units > 0)
            .or_else(|| self.lots.first())
            .map_or("", |lot| lot.code.as_str())
    }

    /// Every lot it sells from is recalled.
    pub fn recalled(&self) -> bool {
        !self.lots.is_empty() && self.lots.iter().all(|lot| lot.recalled)
    }

    /// The products of its lots, without repeats.
    pub fn product_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.lots.iter().map(|lot| lot.product_id).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// One version of a listing, for its history.
#[derive(Debug, Clone, Serialize)]
pub struct ListingVersion {
    /// 1, 2, …
    pub version: i32,
    /// Status in this version.
    pub status: ListingStatus,
    /// Title in this version.
    pub title_vi: String,
    /// Price in this version, in đồng.
    pub price_vnd: u64,
    /// Pack size in this version.
    pub pack_size: Quantity,
    /// Lot codes in this version.
    pub lots: Vec<String>,
    /// When it was made.
    pub created_at: DateTime<FixedOffset>,
    /// Who made it.
    pub created_by: String,
}

/// A sale or write-off as recorded, per lot it drew from.
#[derive(Debug, Clone, Serialize)]
pub struct StockMovement {
    /// The client's id for the request (several rows share it when a sale spans lots).
    pub movement_id: String,
    /// Sale or write-off.
    pub kind: MovementKind,
    /// Sale units.
    pub units: u64,
    /// The lot they came from.
    pub lot_code: String,
    /// What the units held, in the base unit.
    pub quantity: Quantity,
    /// A note, e.g. the buyer or why it was written off.
    pub note: Option<String>,
    /// When.
    pub recorded_at: DateTime<FixedOffset>,
    /// Who recorded it.
    pub recorded_by: String,
}

/// A sale or write-off to record.
#[derive(Debug, Clone)]
pub struct NewMovement {
    /// The client's id: sending the same request again records nothing new.
    pub id: Uuid,
    /// Sale or write-off.
    pub kind: MovementKind,
    /// Whole sale units, at least 1.
    pub units: u64,
    /// Optional note.
    pub note: Option<Note>,
}

fn parse_time(text: &str) -> Result<DateTime<FixedOffset>, StoreError> {
    DateTime::parse_from_rfc3339(text).map_err(|e| StoreError::Corrupt(format!("timestamp {text:?}: {e}")))
}

fn fields_from_row(row: &listing_versions::Model) -> Result<ListingFields, StoreError> {
    let bad = |e: FieldError| StoreError::Corrupt(format!("listing version {}: {e}", row.id));
    let opt = |text: &Option<String>| text.as_deref().filter(|t| !t.is_empty()).unwrap_or("").to_owned();
    Ok(ListingFields {
        title_vi: catalog::Title::parse(&row.title_vi, "title_vi").map_err(bad)?,
        title_en: catalog::Title::parse_optional(&opt(&row.title_en), "title_en").map_err(bad)?,
        description_vi: catalog::Description::parse_optional(&opt(&row.description_vi), "description_vi")
            .map_err(bad)?,
        description_en: catalog::Description::parse_optional(&opt(&row.description_en), "description_en")
            .map_err(bad)?,
        price: u64::try_from(row.price_vnd)
            .ok()
            .and_then(PriceVnd::new)
            .ok_or_else(|| StoreError::Corrupt(format!("listing version {}: price", row.id)))?,
        pack_size: quantity_from_columns(&row.pack_value, &row.pack_unit)?,
        gtin: row
            .gtin
            .as_deref()
            .map(|g| Gtin::parse(g, "gtin"))
            .transpose()
            .map_err(bad)?,
        category: catalog::Category::parse_optional(&opt(&row.category), "category").map_err(bad)?,
        photos: row
            .photos
            .split_whitespace()
            .map(|p| PhotoHash::parse(p, "photos"))
            .collect::<Result<_, _>>()
            .map_err(bad)?,
        lots: row
            .lots
            .split_whitespace()
            .map(|c| LotCode::parse(c, "lots"))
            .collect::<Result<_, _>>()
            .map_err(bad)?,
    })
}

fn joined<T: ToString>(items: &[T]) -> String {
    items.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
}

/// The lot and every lot upstream of it: is any recalled?
async fn recalled_upstream(db: &impl ConnectionTrait, lot: &lots::Model) -> Result<bool, StoreError> {
    let mut queue = vec![lot.id];
    let mut seen = HashSet::new();
    while let Some(id) = queue.pop() {
        if !seen.insert(id) {
            continue;
        }
        let Some(row) = lots::Entity::find_by_id(id).one(db).await? else {
            continue;
        };
        if row.status == LotStatus::Recalled.as_str() {
            return Ok(true);
        }
        for link in lot_parents::Entity::find()
            .filter(lot_parents::Column::ChildLotId.eq(id))
            .all(db)
            .await?
        {
            queue.push(link.parent_lot_id);
        }
    }
    Ok(false)
}

/// What was recorded as sold or written off from a lot, per dimension, in base units.
async fn moved_from(db: &impl ConnectionTrait, lot_id: i64) -> Result<BTreeMap<Dimension, Decimal>, StoreError> {
    let mut moved: BTreeMap<Dimension, Decimal> = BTreeMap::new();
    for movement in stock_movements::Entity::find()
        .filter(stock_movements::Column::LotId.eq(lot_id))
        .all(db)
        .await?
    {
        let quantity = quantity_from_columns(&movement.quantity_value, &movement.quantity_unit)?;
        let total = moved.entry(quantity.unit.dimension()).or_default();
        *total = total.checked_add(quantity.in_base_unit()).unwrap_or(Decimal::MAX);
    }
    Ok(moved)
}

/// What a lot holds for sale, read once and shared by every listing that sells from it.
struct LotFacts {
    row: lots::Model,
    status: LotStatus,
    /// It or a lot upstream is recalled.
    recalled: bool,
    /// Its use-by date has passed.
    expired: bool,
    /// Per dimension, in base units: what it holds (packing put in, less later packing or
    /// merging and recorded shipping; nothing once closed).
    held: BTreeMap<Dimension, Decimal>,
    /// Per dimension, in base units: what was sold or written off from it.
    moved: BTreeMap<Dimension, Decimal>,
    last_event_at: Option<DateTime<FixedOffset>>,
    /// The pack sizes its labels were issued for.
    labelled_packs: Vec<Quantity>,
}

impl LotFacts {
    async fn read(db: &impl ConnectionTrait, row: lots::Model) -> Result<Self, StoreError> {
        let rows = event_rows(db, row.id).await?;
        let last_event_at = match rows.last() {
            Some(last) => Some(parse_time(&last.recorded_at)?),
            None => None,
        };
        // An event that cannot be read is an alteration its pages report; stock is counted
        // from the rest rather than taking the whole catalog down.
        let events: Vec<_> = rows.iter().filter_map(|r| event_from_row(r).ok()).collect();
        let state = farm_log::LotState::from_events(initial_quantity(db, &row).await?, events);
        let shelf_life = crate::entities::products::Entity::find_by_id(row.product_id)
            .one(db)
            .await?
            .and_then(|p| p.shelf_life_days)
            .and_then(|d| u32::try_from(d).ok());
        let made = crate::labels::made_at(db, &row, state.events()).await?;
        let expired = crate::public::use_by(made, shelf_life).is_some_and(|day| now().date_naive() > day);
        let status = LotStatus::parse(&row.status, "status").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut held: BTreeMap<Dimension, Decimal> = BTreeMap::new();
        // A closed lot is finished: nothing more is sold from it.
        if status != LotStatus::Closed {
            for dimension in state.held.keys() {
                held.insert(*dimension, state.available(*dimension));
            }
            // What left by a recorded shipping (to a supermarket, a trader) is not for sale.
            for event in state.effective_events() {
                if let farm_log::EventBody::Shipping {
                    quantity: Some(quantity),
                    ..
                } = &event.body
                {
                    let left = held.entry(quantity.unit.dimension()).or_default();
                    *left = left.checked_sub(quantity.in_base_unit()).unwrap_or(Decimal::MIN);
                }
            }
        }
        let moved = moved_from(db, row.id).await?;
        let labelled_packs = crate::packs::labelled_packs(db, row.id).await?;
        Ok(Self {
            labelled_packs,
            recalled: recalled_upstream(db, &row).await?,
            expired,
            row,
            status,
            held,
            moved,
            last_event_at,
        })
    }

    /// Its stock in sale units of `pack_size`.
    fn stock(&self, pack_size: &Quantity) -> ListingLot {
        let stock = self.as_stock(pack_size);
        ListingLot {
            code: self.row.code.clone(),
            product_id: self.row.product_id,
            status: self.status,
            recalled: self.recalled,
            expired: self.expired,
            held: stock.held,
            moved: stock.moved,
            units: stock.units(pack_size),
            labelled_packs: self.labelled_packs.clone(),
        }
    }

    fn as_stock(&self, pack_size: &Quantity) -> LotStock {
        let dimension = pack_size.unit.dimension();
        LotStock {
            code: self.row.code.clone(),
            held: self
                .held
                .get(&dimension)
                .copied()
                .unwrap_or_default()
                .max(Decimal::ZERO),
            moved: self.moved.get(&dimension).copied().unwrap_or_default(),
            // Neither a recalled lot nor one past its use-by date may be sold.
            recalled: self.recalled || self.expired,
        }
    }
}

/// Goods recorded as sold or written off from a packed lot are gone: packing or merging may
/// take only what is left after them (the lot state's own check knows nothing of sales). `None`
/// when the event takes nothing or no more than is left.
pub(crate) async fn check_not_sold(
    db: &impl ConnectionTrait,
    lot: &lots::Model,
    state: &farm_log::LotState,
    body: &farm_log::EventBody,
) -> Result<Option<ValidationErrors>, StoreError> {
    let taken: Vec<(String, Quantity)> = match body {
        farm_log::EventBody::Packing { children } => children
            .iter()
            .enumerate()
            .map(|(i, child)| (format!("children[{i}].quantity"), child.quantity))
            .collect(),
        farm_log::EventBody::Merging { quantity, .. } => vec![("quantity".to_owned(), *quantity)],
        _ => return Ok(None),
    };
    let sold = moved_from(db, lot.id).await?;
    let mut errors = ValidationErrors::default();
    for (dimension, sold) in sold {
        let wanted: Decimal = taken
            .iter()
            .filter(|(_, q)| q.unit.dimension() == dimension)
            .map(|(_, q)| q.in_base_unit())
            .sum();
        let left = (state.available(dimension) - sold).max(Decimal::ZERO);
        if wanted > left {
            let base = Unit::base_of(dimension);
            let show = |value: Decimal| {
                Quantity {
                    value: value.normalize(),
                    unit: base,
                }
                .display_vi()
            };
            let field = taken
                .iter()
                .find(|(_, q)| q.unit.dimension() == dimension)
                .map(|(f, _)| f.clone())
                .unwrap_or_default();
            errors.push(FieldError::new(
                field,
                "already_sold",
                format!(
                    "Lô {} đã ghi bán hoặc hao hụt {}: chỉ còn {} để đóng gói hoặc gộp, không đủ {}.",
                    lot.code,
                    show(sold),
                    show(left),
                    show(wanted)
                ),
                format!(
                    "{} of lot {} was recorded as sold or written off: only {} is left to pack or merge, not {}.",
                    show(sold).replace(',', "."),
                    lot.code,
                    show(left).replace(',', "."),
                    show(wanted).replace(',', ".")
                ),
            ));
        }
    }
    Ok((!errors.0.is_empty()).then_some(errors))
}

/// Lot facts read during one request, so listings that share a lot read it once.
type LotMemo = HashMap<i64, Arc<LotFacts>>;

async fn lot_facts(
    db: &impl ConnectionTrait,
    row: lots::Model,
    memo: &mut LotMemo,
) -> Result<Arc<LotFacts>, StoreError> {
    if let Some(facts) = memo.get(&row.id) {
        return Ok(facts.clone());
    }
    let id = row.id;
    let facts = Arc::new(LotFacts::read(db, row).await?);
    memo.insert(id, facts.clone());
    Ok(facts)
}

impl Store {
    /// The lots a listing names, checked: each exists in the cooperative, was made by packing
    /// (or merging) and holds something measured like the pack size; the photos are uploaded.
    /// Lots in `kept` (already listed) may since have been recalled or closed: they stay, and
    /// sell nothing.
    async fn check_listing(
        &self,
        db: &impl ConnectionTrait,
        cooperative_id: i64,
        fields: &ListingFields,
        kept: &[LotCode],
    ) -> Result<(), StoreError> {
        let mut errors = ValidationErrors::default();
        let dimension = fields.pack_size.unit.dimension();
        for (i, code) in fields.lots.iter().enumerate() {
            let field = format!("lots[{i}]");
            let Some(row) = lots::Entity::find()
                .filter(lots::Column::CooperativeId.eq(cooperative_id))
                .filter(lots::Column::Code.eq(AsRef::<str>::as_ref(code)))
                .one(db)
                .await?
            else {
                errors.push(FieldError::new(
                    field,
                    "unknown_lot",
                    format!("HTX không có lô {code}."),
                    format!("The cooperative has no lot {code}."),
                ));
                continue;
            };
            if !kept.contains(code)
                && (row.status == LotStatus::Recalled.as_str() || row.status == LotStatus::Closed.as_str())
            {
                let recalled = row.status == LotStatus::Recalled.as_str();
                errors.push(FieldError::new(
                    field,
                    if recalled { "lot_recalled" } else { "lot_closed" },
                    if recalled {
                        format!("Lô {code} đã bị thu hồi: không được bán.")
                    } else {
                        format!("Lô {code} đã kết thúc: không còn hàng để bán.")
                    },
                    if recalled {
                        format!("Lot {code} has been recalled: it cannot be sold.")
                    } else {
                        format!("Lot {code} is closed: nothing is left to sell.")
                    },
                ));
                continue;
            }
            let initial = initial_quantity(db, &row).await?;
            match initial {
                None => errors.push(FieldError::new(
                    field,
                    "lot_not_packed",
                    format!("Lô {code} chưa đóng gói: chỉ bán được lô đã đóng gói (tạo từ bước Đóng gói)."),
                    format!("Lot {code} is not packed: only lots made by packing can be sold."),
                )),
                Some(holding) if holding.unit.dimension() != dimension => errors.push(FieldError::new(
                    "pack_size",
                    "unit_mismatch",
                    format!(
                        "Lô {code} được đóng gói theo {}, không đo được theo quy cách {}.",
                        holding.unit.name_vi(),
                        fields.pack_size.display_vi()
                    ),
                    format!(
                        "Lot {code} was packed in {}; it cannot be sold in packs of {} {}.",
                        holding.unit.name_en(),
                        fields.pack_size.value,
                        fields.pack_size.unit.code()
                    ),
                )),
                Some(_) => {}
            }
        }
        for (i, photo) in fields.photos.iter().enumerate() {
            let found = media::Entity::find()
                .filter(media::Column::Hash.eq(photo.to_hex()))
                .select_only()
                .column(media::Column::Hash)
                .into_tuple::<String>()
                .one(db)
                .await?;
            if found.is_none() {
                errors.push(FieldError::new(
                    format!("photos[{i}]"),
                    "unknown_photo",
                    "Chưa có ảnh này trên máy chủ: hãy tải ảnh lên trước.",
                    "No photo with this hash has been uploaded: upload it first.",
                ));
            }
        }
        let codes: Vec<String> = fields.lots.iter().map(ToString::to_string).collect();
        if let Some(error) =
            crate::packs::check_listing_gtin(db, cooperative_id, fields.gtin.as_ref(), &fields.pack_size, &codes)
                .await?
        {
            errors.push(error);
        }
        errors.into_result().map_err(StoreError::Invalid)
    }

    async fn insert_version(
        db: &impl ConnectionTrait,
        listing_id: i64,
        version: i32,
        status: ListingStatus,
        fields: &ListingFields,
        by: i64,
        at: &str,
    ) -> Result<(), StoreError> {
        listing_versions::ActiveModel {
            listing_id: Set(listing_id),
            version: Set(version),
            title_vi: Set(fields.title_vi.to_string()),
            title_en: Set(fields.title_en.as_ref().map(ToString::to_string)),
            description_vi: Set(fields.description_vi.as_ref().map(ToString::to_string)),
            description_en: Set(fields.description_en.as_ref().map(ToString::to_string)),
            price_vnd: Set(i64::try_from(fields.price.get()).unwrap_or(i64::MAX)),
            pack_value: Set(fields.pack_size.value.to_string()),
            pack_unit: Set(fields.pack_size.unit.code().to_owned()),
            gtin: Set(fields.gtin.as_ref().map(ToString::to_string)),
            category: Set(fields.category.as_ref().map(ToString::to_string)),
            photos: Set(fields
                .photos
                .iter()
                .map(PhotoHash::to_hex)
                .collect::<Vec<_>>()
                .join(" ")),
            lots: Set(joined(&fields.lots)),
            status: Set(status.as_str().to_owned()),
            created_at: Set(at.to_owned()),
            created_by: Set(by),
            ..Default::default()
        }
        .insert(db)
        .await?;
        Ok(())
    }

    /// Lists something new: version 1, active.
    pub async fn create_listing(&self, principal: &Principal, fields: ListingFields) -> Result<Listing, StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.db.begin().await?;
        self.check_listing(&txn, principal.cooperative_id, &fields, &[]).await?;
        let at = timestamp_text(&now());
        let row = listings::ActiveModel {
            cooperative_id: Set(principal.cooperative_id),
            version: Set(1),
            status: Set(ListingStatus::Active.as_str().to_owned()),
            created_at: Set(at.clone()),
            updated_at: Set(at.clone()),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        Self::insert_version(
            &txn,
            row.id,
            1,
            ListingStatus::Active,
            &fields,
            principal.member_id,
            &at,
        )
        .await?;
        txn.commit().await?;
        drop(_guard);
        self.listing(principal.cooperative_id, row.id).await
    }

    /// A new version with new fields (status kept). Unchanged fields make no new version. With
    /// `based_on`, the version the leader edited: when someone saved a newer one meanwhile, the
    /// edit is refused (409 on `version`) instead of silently undoing theirs.
    pub async fn update_listing(
        &self,
        principal: &Principal,
        listing_id: i64,
        fields: ListingFields,
        based_on: Option<i32>,
    ) -> Result<Listing, StoreError> {
        self.new_version(principal, listing_id, Some(fields), None, based_on)
            .await
    }

    /// A new version with a new status (fields kept). The same status makes no new version.
    pub async fn set_listing_status(
        &self,
        principal: &Principal,
        listing_id: i64,
        status: ListingStatus,
    ) -> Result<Listing, StoreError> {
        self.new_version(principal, listing_id, None, Some(status), None).await
    }

    async fn new_version(
        &self,
        principal: &Principal,
        listing_id: i64,
        fields: Option<ListingFields>,
        status: Option<ListingStatus>,
        based_on: Option<i32>,
    ) -> Result<Listing, StoreError> {
        let guard = self.write_guard().await;
        let txn = self.db.begin().await?;
        let row = listings::Entity::find_by_id(listing_id)
            .filter(listings::Column::CooperativeId.eq(principal.cooperative_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("listing"))?;
        if let Some(based_on) = based_on.filter(|v| *v != row.version) {
            return Err(StoreError::conflict(
                "version",
                format!(
                    "This listing was changed by someone else since you opened it (version {based_on}, now {}). Open it again and make your change on the current version.",
                    row.version
                ),
                format!(
                    "Sản phẩm này vừa được người khác sửa sau khi bạn mở (phiên bản {based_on}, nay là {}). Hãy mở lại và sửa trên phiên bản mới nhất.",
                    row.version
                ),
            ));
        }
        let current = current_version(&txn, &row).await?;
        let current_fields = fields_from_row(&current)?;
        let current_status =
            ListingStatus::parse(&row.status, "status").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let new_fields = fields.unwrap_or_else(|| current_fields.clone());
        let new_status = status.unwrap_or(current_status);
        if new_fields == current_fields && new_status == current_status {
            drop(txn);
            drop(guard);
            return self.listing(principal.cooperative_id, listing_id).await;
        }
        if new_fields != current_fields {
            self.check_listing(&txn, principal.cooperative_id, &new_fields, &current_fields.lots)
                .await?;
        }
        let at = timestamp_text(&now());
        let version = row.version + 1;
        Self::insert_version(&txn, row.id, version, new_status, &new_fields, principal.member_id, &at).await?;
        let mut active: listings::ActiveModel = row.into();
        active.version = Set(version);
        active.status = Set(new_status.as_str().to_owned());
        active.updated_at = Set(at);
        active.update(&txn).await?;
        txn.commit().await?;
        drop(guard);
        self.listing(principal.cooperative_id, listing_id).await
    }

    /// One listing as it stands, with its stock.
    pub async fn listing(&self, cooperative_id: i64, listing_id: i64) -> Result<Listing, StoreError> {
        let row = listings::Entity::find_by_id(listing_id)
            .filter(listings::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("listing"))?;
        listing_from_row(&self.db, row, &mut LotMemo::new()).await
    }

    /// Whether a listing with this id exists in another cooperative (so the answer is 403, not 404).
    pub async fn listing_elsewhere(&self, cooperative_id: i64, listing_id: i64) -> Result<bool, StoreError> {
        Ok(listings::Entity::find_by_id(listing_id)
            .filter(listings::Column::CooperativeId.ne(cooperative_id))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// The cooperative's listings, newest first; archived ones only when asked.
    pub async fn listings(&self, cooperative_id: i64, include_archived: bool) -> Result<Vec<Listing>, StoreError> {
        let mut query = listings::Entity::find().filter(listings::Column::CooperativeId.eq(cooperative_id));
        if !include_archived {
            query = query.filter(listings::Column::Status.ne(ListingStatus::Archived.as_str()));
        }
        let rows = query.order_by_desc(listings::Column::Id).all(&self.db).await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut memo = LotMemo::new();
        for row in rows {
            let id = row.id;
            match listing_from_row(&self.db, row, &mut memo).await {
                Ok(listing) => out.push(listing),
                // One listing that can no longer be read (stored before a bound it breaks, or
                // edited by hand) must not take the cooperative's catalog and feeds down.
                Err(StoreError::Corrupt(why)) => {
                    tracing::warn!(listing = id, %why, "a listing cannot be read; left out")
                }
                Err(error) => return Err(error),
            }
        }
        Ok(out)
    }

    /// When any listing of the cooperative last changed (archived ones included: archiving
    /// changes what the feeds hold).
    pub async fn listings_updated_at(&self, cooperative_id: i64) -> Result<Option<DateTime<FixedOffset>>, StoreError> {
        // Every stored timestamp is written at +07:00, so the text orders as the time does.
        let latest: Option<String> = listings::Entity::find()
            .filter(listings::Column::CooperativeId.eq(cooperative_id))
            .select_only()
            .column(listings::Column::UpdatedAt)
            .order_by_desc(listings::Column::UpdatedAt)
            .into_tuple()
            .one(&self.db)
            .await?;
        latest.as_deref().map(parse_time).transpose()
    }

    /// Every version of a listing, newest first.
    pub async fn listing_versions(
        &self,
        cooperative_id: i64,
        listing_id: i64,
    ) -> Result<Vec<ListingVersion>, StoreError> {
        self.listing(cooperative_id, listing_id).await?;
        let rows = listing_versions::Entity::find()
            .filter(listing_versions::Column::ListingId.eq(listing_id))
            .order_by_desc(listing_versions::Column::Version)
            .all(&self.db)
            .await?;
        let names = member_names(&self.db, cooperative_id).await?;
        rows.iter()
            .map(|row| {
                let fields = fields_from_row(row)?;
                Ok(ListingVersion {
                    version: row.version,
                    status: ListingStatus::parse(&row.status, "status")
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    title_vi: fields.title_vi.to_string(),
                    price_vnd: fields.price.get(),
                    pack_size: fields.pack_size,
                    lots: fields.lots.iter().map(ToString::to_string).collect(),
                    created_at: parse_time(&row.created_at)?,
                    created_by: names.get(&row.created_by).cloned().unwrap_or_default(),
                })
            })
            .collect()
    }

    /// Records a sale or write-off of whole sale units, drawn from the listing's lots in order.
    /// More than the stock is refused (422, field `units`) and nothing is recorded. The same
    /// movement id again with the same content returns what was recorded; with other content, 409.
    pub async fn record_movement(
        &self,
        principal: &Principal,
        listing_id: i64,
        movement: NewMovement,
    ) -> Result<Vec<StockMovement>, StoreError> {
        let guard = self.write_guard().await;
        let txn = self.db.begin().await?;
        let row = listings::Entity::find_by_id(listing_id)
            .filter(listings::Column::CooperativeId.eq(principal.cooperative_id))
            .lock_exclusive()
            .one(&txn)
            .await?
            .ok_or(StoreError::not_found("listing"))?;
        let movement_id = movement.id.to_string();
        let earlier = stock_movements::Entity::find()
            .filter(stock_movements::Column::MovementId.eq(movement_id.clone()))
            .all(&txn)
            .await?;
        if !earlier.is_empty() {
            let same = earlier
                .iter()
                .all(|m| m.listing_id == listing_id && m.kind == movement.kind.as_str())
                && earlier.iter().map(|m| m.units).sum::<i64>() == i64::try_from(movement.units).unwrap_or(-1)
                && earlier[0].note.as_deref() == movement.note.as_ref().map(AsRef::<str>::as_ref);
            drop(txn);
            drop(guard);
            if !same {
                return Err(StoreError::conflict(
                    "id",
                    "This movement id was already used for a different sale or write-off.",
                    "Mã giao dịch này đã được dùng cho một lần bán/hao hụt khác.",
                ));
            }
            return self.movements_with_id(principal.cooperative_id, &movement_id).await;
        }
        if movement.units == 0 {
            return Err(FieldError::new(
                "units",
                "not_positive",
                "Số lượng phải từ 1 trở lên.",
                "The number of units must be at least 1.",
            )
            .into());
        }
        let version = current_version(&txn, &row).await?;
        let fields = fields_from_row(&version)?;
        // Lock the lots (PostgreSQL) so two listings selling the same lot cannot both take its
        // last units.
        // Rows are locked one by one in code order (byte order, as appends lock them), so a sale
        // and a packing, merge or recall touching the same lots cannot deadlock.
        let codes: Vec<String> = fields.lots.iter().map(ToString::to_string).collect();
        let mut in_lock_order = codes.clone();
        in_lock_order.sort();
        let mut locked = Vec::with_capacity(codes.len());
        for code in &in_lock_order {
            if let Some(lot) = lots::Entity::find()
                .filter(lots::Column::CooperativeId.eq(principal.cooperative_id))
                .filter(lots::Column::Code.eq(code.as_str()))
                .lock_exclusive()
                .one(&txn)
                .await?
            {
                locked.push(lot);
            }
        }
        locked.sort_by_key(|lot| codes.iter().position(|c| *c == lot.code));
        let mut now_lots = Vec::new();
        for lot in locked {
            now_lots.push(LotFacts::read(&txn, lot).await?);
        }
        let stocks: Vec<LotStock> = now_lots.iter().map(|l| l.as_stock(&fields.pack_size)).collect();
        let drawn = catalog::stock::allocate(&stocks, &fields.pack_size, movement.units).map_err(|available| {
            FieldError::new(
                "units",
                "exceeds_stock",
                format!(
                    "Không đủ hàng: muốn ghi {} {} đơn vị, nhưng chỉ còn {} đơn vị (quy cách {}) trong các lô chưa thu hồi, chưa kết thúc.",
                    movement.kind.name_vi().to_lowercase(),
                    movement.units,
                    available,
                    fields.pack_size.display_vi()
                ),
                format!(
                    "Not enough stock: {} units asked, only {} whole units of {} {} are left in lots that are neither recalled nor closed.",
                    movement.units, available, fields.pack_size.value, fields.pack_size.unit.code()
                ),
            )
        })?;
        let at = timestamp_text(&now());
        let base = Unit::base_of(fields.pack_size.unit.dimension());
        for (index, units) in drawn {
            let quantity = fields.pack_size.in_base_unit() * Decimal::from(units);
            stock_movements::ActiveModel {
                movement_id: Set(movement_id.clone()),
                listing_id: Set(listing_id),
                lot_id: Set(now_lots[index].row.id),
                kind: Set(movement.kind.as_str().to_owned()),
                units: Set(i64::try_from(units).unwrap_or(i64::MAX)),
                quantity_value: Set(quantity.normalize().to_string()),
                quantity_unit: Set(base.code().to_owned()),
                note: Set(movement.note.as_ref().map(ToString::to_string)),
                recorded_at: Set(at.clone()),
                recorded_by: Set(principal.member_id),
                ..Default::default()
            }
            .insert(&txn)
            .await
            .map_err(|e| {
                StoreError::unique(
                    e,
                    "id",
                    "This movement was recorded at the same moment by another request.",
                    "Giao dịch này vừa được ghi bởi một yêu cầu khác.",
                )
            })?;
        }
        let mut active: listings::ActiveModel = row.into();
        active.updated_at = Set(at);
        active.update(&txn).await?;
        txn.commit().await?;
        drop(guard);
        self.movements_with_id(principal.cooperative_id, &movement_id).await
    }

    async fn movements_with_id(
        &self,
        cooperative_id: i64,
        movement_id: &str,
    ) -> Result<Vec<StockMovement>, StoreError> {
        let rows = stock_movements::Entity::find()
            .filter(stock_movements::Column::MovementId.eq(movement_id))
            .order_by_asc(stock_movements::Column::Id)
            .all(&self.db)
            .await?;
        movements_from_rows(&self.db, cooperative_id, rows).await
    }

    /// A listing's sales and write-offs, newest first.
    pub async fn stock_movements(
        &self,
        cooperative_id: i64,
        listing_id: i64,
    ) -> Result<Vec<StockMovement>, StoreError> {
        self.listing(cooperative_id, listing_id).await?;
        let rows = stock_movements::Entity::find()
            .filter(stock_movements::Column::ListingId.eq(listing_id))
            .order_by_desc(stock_movements::Column::Id)
            .all(&self.db)
            .await?;
        movements_from_rows(&self.db, cooperative_id, rows).await
    }

    /// The token in the cooperative's feed URLs, made on first use (two first uses at once
    /// agree on one token).
    pub async fn feed_token(&self, cooperative_id: i64) -> Result<String, StoreError> {
        if let Some(row) = feed_tokens::Entity::find_by_id(cooperative_id).one(&self.db).await? {
            return Ok(row.token);
        }
        let _guard = self.write_guard().await;
        let txn = self.db.begin().await?;
        feed_tokens::Entity::insert(feed_tokens::ActiveModel {
            cooperative_id: Set(cooperative_id),
            token: Set(crate::admin::random_token()),
            created_at: Set(timestamp_text(&now())),
        })
        .on_conflict(
            OnConflict::column(feed_tokens::Column::CooperativeId)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        let row = feed_tokens::Entity::find_by_id(cooperative_id)
            .one(&txn)
            .await?
            .ok_or_else(|| StoreError::Corrupt("feed token vanished".into()))?;
        txn.commit().await?;
        Ok(row.token)
    }

    /// A new token for the cooperative's feed URLs; the old URLs stop working at once.
    pub async fn rotate_feed_token(&self, cooperative_id: i64) -> Result<String, StoreError> {
        let token = crate::admin::random_token();
        let _guard = self.write_guard().await;
        // One statement, so two rotations at once both succeed and the later one wins.
        feed_tokens::Entity::insert(feed_tokens::ActiveModel {
            cooperative_id: Set(cooperative_id),
            token: Set(token.clone()),
            created_at: Set(timestamp_text(&now())),
        })
        .on_conflict(
            OnConflict::column(feed_tokens::Column::CooperativeId)
                .update_columns([feed_tokens::Column::Token, feed_tokens::Column::CreatedAt])
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await?;
        Ok(token)
    }

    /// The cooperative whose feeds `token` opens, and when the token was made.
    pub async fn cooperative_by_feed_token(
        &self,
        token: &str,
    ) -> Result<Option<(i64, DateTime<FixedOffset>)>, StoreError> {
        match feed_tokens::Entity::find()
            .filter(feed_tokens::Column::Token.eq(token))
            .one(&self.db)
            .await?
        {
            Some(row) => Ok(Some((row.cooperative_id, parse_time(&row.created_at)?))),
            None => Ok(None),
        }
    }
}

async fn current_version(
    db: &impl ConnectionTrait,
    row: &listings::Model,
) -> Result<listing_versions::Model, StoreError> {
    listing_versions::Entity::find()
        .filter(listing_versions::Column::ListingId.eq(row.id))
        .filter(listing_versions::Column::Version.eq(row.version))
        .one(db)
        .await?
        .ok_or_else(|| StoreError::Corrupt(format!("listing {} has no version {}", row.id, row.version)))
}

async fn listing_from_row(
    db: &impl ConnectionTrait,
    row: listings::Model,
    memo: &mut LotMemo,
) -> Result<Listing, StoreError> {
    let version = current_version(db, &row).await?;
    let fields = fields_from_row(&version)?;
    let mut lots_now = Vec::with_capacity(fields.lots.len());
    let updated_at = parse_time(&row.updated_at)?;
    let mut last_change = updated_at;
    for code in &fields.lots {
        let Some(lot) = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(row.cooperative_id))
            .filter(lots::Column::Code.eq(AsRef::<str>::as_ref(code)))
            .one(db)
            .await?
        else {
            continue;
        };
        let facts = lot_facts(db, lot, memo).await?;
        if let Some(at) = facts.last_event_at {
            last_change = last_change.max(at);
        }
        lots_now.push(facts.stock(&fields.pack_size));
    }
    let units = lots_now.iter().fold(0u64, |total, l| total.saturating_add(l.units));
    Ok(Listing {
        id: row.id,
        cooperative_id: row.cooperative_id,
        version: row.version,
        status: ListingStatus::parse(&row.status, "status").map_err(|e| StoreError::Corrupt(e.to_string()))?,
        fields,
        created_at: parse_time(&row.created_at)?,
        updated_at,
        lots: lots_now,
        units,
        last_change,
    })
}

async fn member_names(db: &impl ConnectionTrait, cooperative_id: i64) -> Result<BTreeMap<i64, String>, StoreError> {
    Ok(members::Entity::find()
        .filter(members::Column::CooperativeId.eq(cooperative_id))
        .all(db)
        .await?
        .into_iter()
        .map(|m| (m.id, m.name))
        .collect())
}

async fn movements_from_rows(
    db: &impl ConnectionTrait,
    cooperative_id: i64,
    rows: Vec<stock_movements::Model>,
) -> Result<Vec<StockMovement>, StoreError> {
    let names = member_names(db, cooperative_id).await?;
    let mut codes: BTreeMap<i64, String> = BTreeMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        if let std::collections::btree_map::Entry::Vacant(slot) = codes.entry(row.lot_id) {
            let code = lots::Entity::find_by_id(row.lot_id)
                .one(db)
                .await?
                .map(|l| l.code)
                .unwrap_or_default();
            slot.insert(code);
        }
        out.push(StockMovement {
            movement_id: row.movement_id.clone(),
            kind: MovementKind::parse(&row.kind, "kind").map_err(|e| StoreError::Corrupt(e.to_string()))?,
            units: u64::try_from(row.units).map_err(|e| StoreError::Corrupt(format!("units: {e}")))?,
            lot_code: codes.get(&row.lot_id).cloned().unwrap_or_default(),
            quantity: quantity_from_columns(&row.quantity_value, &row.quantity_unit)?,
            note: row.note.clone(),
            recorded_at: parse_time(&row.recorded_at)?,
            recorded_by: names.get(&row.recorded_by).cloned().unwrap_or_default(),
        });
    }
    Ok(out)
}
