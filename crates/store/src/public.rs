//! What the public lookup site reads and what a leader sets for it: the cooperative's profile,
//! certificates, product photos and shelf life, stored photos, and the assembled views of a lot
//! (its history, its parents' histories one step back, recalls anywhere upstream) and of a
//! cooperative.

use std::collections::{BTreeSet, HashSet};

use chrono::{DateTime, FixedOffset, NaiveDate};
use farm_log::{CertificateScheme, Event, EventBody, FieldError, GrowerDisplay, Role};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, IntoActiveModel, QueryFilter, QueryOrder, QuerySelect, Set};
use serde::{Deserialize, Serialize};

use crate::entities::{certificates, cooperatives, lots, media, members, plot_assignments, products};
use crate::labels::ancestry;
use crate::lots::event_from_row;
use crate::registry::product_from_row;
use crate::{
    Certificate, Cooperative, CooperativeProfile, Lot, NewCertificate, Plot, Product, Store, StoreError, now,
    timestamp_text,
};

/// How many lots the cooperative page lists.
pub const PUBLIC_LOTS_LISTED: u64 = 30;

/// One stored size of a photo.
#[derive(Debug, Clone)]
pub struct StoredMedia {
    /// `image/jpeg`.
    pub content_type: String,
    /// Pixels.
    pub width: u32,
    /// Pixels.
    pub height: u32,
    /// The encoded image.
    pub bytes: Vec<u8>,
}

/// A photo ready to store: its hash and each size.
#[derive(Debug, Clone)]
pub struct NewMedia {
    /// blake3 of the full-size variant's bytes, hex.
    pub hash: String,
    /// (variant name, stored image).
    pub variants: Vec<(String, StoredMedia)>,
}

/// A recall that concerns a lot: its own, or one of a lot it came from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RecallNotice {
    /// The recalled lot.
    pub lot_code: String,
    /// Why.
    pub reason: String,
    /// When it was recalled.
    pub at: DateTime<FixedOffset>,
}

/// A parent lot as it stood when this lot was made from it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ParentHistory {
    /// The parent.
    pub lot: Lot,
    /// Its product (usually the same).
    pub product: Product,
    /// Its plots.
    pub plots: Vec<Plot>,
    /// Its history up to the packing or merging that made this lot, plus later recalls and
    /// corrections of earlier events.
    pub events: Vec<Event>,
}

/// Everything a public lot or label page shows.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PublicLot {
    /// Who made it.
    pub cooperative: Cooperative,
    /// What it is.
    pub product: Product,
    /// The lot.
    pub lot: Lot,
    /// Where it grew (its own plots, else its parents').
    pub plots: Vec<Plot>,
    /// The households that grew it, as the cooperative chooses to show them (empty when hidden).
    pub growers: Vec<String>,
    /// Its whole stored history in chain order, corrections included.
    pub events: Vec<Event>,
    /// The lots it was made from, one step back.
    pub parents: Vec<ParentHistory>,
    /// Recalls of this lot or any lot upstream.
    pub recalls: Vec<RecallNotice>,
    /// Certificates covering it (the cooperative's, or this product's).
    pub certificates: Vec<Certificate>,
    /// When it was harvested (its own harvest, else its parents').
    pub harvested_at: Option<DateTime<FixedOffset>>,
    /// When it was packed (the packing that made it, else its own packing).
    pub packed_at: Option<DateTime<FixedOffset>>,
    /// The last day it may be eaten or sold: its product's shelf life from its packing (or,
    /// never packed, its harvest). None when the product has no shelf life or it is not
    /// harvested yet.
    pub use_by: Option<NaiveDate>,
    /// Whether its record (and the records it was made from) still hash as recorded.
    pub integrity: crate::LotIntegrity,
    /// What it was read at: while the stamp is unchanged, this is still true.
    pub stamp: crate::LotStamp,
}

/// The last day a lot may be eaten or sold: `shelf_life_days` after the day (in Vietnam) it
/// was packed. None without a shelf life or a packing day, or past the calendar's end.
pub fn use_by(packed: Option<DateTime<FixedOffset>>, shelf_life_days: Option<u32>) -> Option<NaiveDate> {
    let day = packed?.with_timezone(&farm_log::VIETNAM_OFFSET).date_naive();
    day.checked_add_days(chrono::Days::new(u64::from(shelf_life_days?)))
}

/// A lot as listed on the cooperative page.
#[derive(Debug, Clone)]
pub struct LotSummary {
    /// Code.
    pub code: String,
    /// Product name.
    pub product: String,
    /// Status.
    pub status: farm_log::LotStatus,
    /// When created.
    pub created_at: String,
}

/// Everything the public cooperative page shows.
#[derive(Debug, Clone)]
pub struct PublicCooperative {
    /// The cooperative.
    pub cooperative: Cooperative,
    /// Its certificates, newest first.
    pub certificates: Vec<Certificate>,
    /// Its products.
    pub products: Vec<Product>,
    /// Its most recent lots.
    pub lots: Vec<LotSummary>,
}

fn certificate_from_row(row: certificates::Model) -> Result<Certificate, StoreError> {
    let day = |text: &str| {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(format!("certificate date: {e}")))
    };
    Ok(Certificate {
        scheme: CertificateScheme::parse(&row.scheme, "scheme").map_err(|e| StoreError::Corrupt(e.to_string()))?,
        valid_from: day(&row.valid_from)?,
        valid_to: day(&row.valid_to)?,
        id: row.id,
        cooperative_id: row.cooperative_id,
        product_id: row.product_id,
        number: row.number,
        body: row.body,
        scope: row.scope,
        scan: row.scan,
    })
}

fn date_order_error() -> StoreError {
    FieldError::new(
        "valid_to",
        "dates_out_of_order",
        "Ngày hết hiệu lực phải sau ngày cấp.",
        "The certificate must end after it starts (valid_to after valid_from).",
    )
    .into()
}

impl Store {
    /// Sets how the cooperative shows itself to buyers.
    pub async fn set_cooperative_profile(
        &self,
        cooperative_id: i64,
        profile: CooperativeProfile,
    ) -> Result<Cooperative, StoreError> {
        let _guard = self.write_guard().await;
        let row = cooperatives::Entity::find_by_id(cooperative_id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("cooperative"))?;
        let mut active = row.into_active_model();
        active.description = Set(profile.description.map(|d| d.to_string()));
        active.grower_display = Set(profile.grower_display.as_str().to_owned());
        crate::admin::cooperative_from_row(active.update(&self.db).await?)
    }

    /// Records a certificate.
    pub async fn add_certificate(
        &self,
        cooperative_id: i64,
        certificate: NewCertificate,
    ) -> Result<Certificate, StoreError> {
        if certificate.valid_to < certificate.valid_from {
            return Err(date_order_error());
        }
        if let Some(product_id) = certificate.product_id {
            self.product_for_field(cooperative_id, product_id).await?;
        }
        let _guard = self.write_guard().await;
        let row = certificates::ActiveModel {
            cooperative_id: Set(cooperative_id),
            product_id: Set(certificate.product_id),
            scheme: Set(certificate.scheme.as_str().to_owned()),
            number: Set(certificate.number.to_string()),
            body: Set(certificate.body.to_string()),
            scope: Set(certificate.scope.map(|s| s.to_string())),
            valid_from: Set(certificate.valid_from.format("%Y-%m-%d").to_string()),
            valid_to: Set(certificate.valid_to.format("%Y-%m-%d").to_string()),
            created_at: Set(timestamp_text(&now())),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        certificate_from_row(row)
    }

    /// Attaches a scan of the paper certificate (already stored in `media` by its hash).
    pub async fn set_certificate_scan(
        &self,
        cooperative_id: i64,
        certificate_id: i64,
        scan: &NewMedia,
    ) -> Result<Certificate, StoreError> {
        let row = certificates::Entity::find_by_id(certificate_id)
            .filter(certificates::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("certificate"))?;
        self.store_media(scan).await?;
        let _guard = self.write_guard().await;
        let row = certificates::ActiveModel {
            id: Set(row.id),
            scan: Set(Some(scan.hash.clone())),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        certificate_from_row(row)
    }

    /// The cooperative's certificates, latest expiry first.
    pub async fn certificates(&self, cooperative_id: i64) -> Result<Vec<Certificate>, StoreError> {
        certificates::Entity::find()
            .filter(certificates::Column::CooperativeId.eq(cooperative_id))
            .order_by_desc(certificates::Column::ValidTo)
            .order_by_asc(certificates::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(certificate_from_row)
            .collect()
    }

    /// Sets a product's shelf life (days after packing), or clears it.
    pub async fn set_product_shelf_life(
        &self,
        cooperative_id: i64,
        product_id: i64,
        days: Option<u32>,
    ) -> Result<Product, StoreError> {
        self.update_product(cooperative_id, product_id, |row| {
            row.shelf_life_days = Set(days.and_then(|d| i32::try_from(d).ok()));
        })
        .await
    }

    /// Stores a photo (once per hash) and makes it the product's photo.
    pub async fn set_product_photo(
        &self,
        cooperative_id: i64,
        product_id: i64,
        photo: NewMedia,
    ) -> Result<Product, StoreError> {
        self.product(cooperative_id, product_id).await?;
        self.store_media(&photo).await?;
        self.update_product(cooperative_id, product_id, |row| {
            row.photo = Set(Some(photo.hash.clone()))
        })
        .await
    }

    async fn update_product(
        &self,
        cooperative_id: i64,
        product_id: i64,
        change: impl FnOnce(&mut products::ActiveModel),
    ) -> Result<Product, StoreError> {
        let _guard = self.write_guard().await;
        let row = products::Entity::find_by_id(product_id)
            .filter(products::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("product"))?;
        let mut active = row.into_active_model();
        change(&mut active);
        Ok(product_from_row(active.update(&self.db).await?))
    }

    /// Stores every size of a photo unless it is already there.
    pub async fn store_media(&self, photo: &NewMedia) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        for (variant, image) in &photo.variants {
            let exists = media::Entity::find_by_id((photo.hash.clone(), variant.clone()))
                .select_only()
                .column(media::Column::Hash)
                .into_tuple::<String>()
                .one(&self.db)
                .await?
                .is_some();
            if exists {
                continue;
            }
            media::ActiveModel {
                hash: Set(photo.hash.clone()),
                variant: Set(variant.clone()),
                content_type: Set(image.content_type.clone()),
                width: Set(i32::try_from(image.width).unwrap_or(i32::MAX)),
                height: Set(i32::try_from(image.height).unwrap_or(i32::MAX)),
                bytes: Set(image.bytes.clone()),
                created_at: Set(timestamp_text(&now())),
            }
            .insert(&self.db)
            .await?;
        }
        Ok(())
    }

    /// One stored size of a photo.
    pub async fn media(&self, hash: &str, variant: &str) -> Result<Option<StoredMedia>, StoreError> {
        Ok(media::Entity::find_by_id((hash.to_owned(), variant.to_owned()))
            .one(&self.db)
            .await?
            .map(|row| StoredMedia {
                content_type: row.content_type,
                width: u32::try_from(row.width).unwrap_or(0),
                height: u32::try_from(row.height).unwrap_or(0),
                bytes: row.bytes,
            }))
    }

    /// The cooperative and lot code of a lot named by its product's GTIN and its code, as a GS1
    /// Digital Link names it.
    pub async fn lot_by_gtin(&self, gtin: &str, code: &str) -> Result<Option<(i64, String)>, StoreError> {
        let product_ids: Vec<i64> = products::Entity::find()
            .select_only()
            .column(products::Column::Id)
            .filter(products::Column::Gtin.eq(gtin))
            .into_tuple()
            .all(&self.db)
            .await?;
        let found = lots::Entity::find()
            .filter(lots::Column::ProductId.is_in(product_ids))
            .filter(lots::Column::Code.eq(code))
            .one(&self.db)
            .await?;
        if let Some(row) = found {
            return Ok(Some((row.cooperative_id, row.code)));
        }
        // A lot whose product was changed behind the application's back no longer has this
        // GTIN, but the labels printed for it say it had: find it through their signed records,
        // so the buyer sees an altered record rather than "unknown".
        for row in lots::Entity::find()
            .filter(lots::Column::Code.eq(code))
            .limit(50)
            .all(&self.db)
            .await?
        {
            let records: Vec<String> = crate::entities::label_batches::Entity::find()
                .select_only()
                .column(crate::entities::label_batches::Column::Record)
                .filter(crate::entities::label_batches::Column::LotId.eq(row.id))
                .into_tuple()
                .all(&self.db)
                .await?;
            let named = records.iter().any(|text| {
                serde_json::from_str::<label::BatchRecord>(text)
                    .is_ok_and(|record| record.gtin.as_ref().is_some_and(|g| g.as_ref() == gtin))
            });
            if named {
                return Ok(Some((row.cooperative_id, row.code)));
            }
        }
        Ok(None)
    }

    /// The product with this GTIN, when one cooperative has it.
    pub async fn product_by_gtin(&self, gtin: &str) -> Result<Option<Product>, StoreError> {
        Ok(products::Entity::find()
            .filter(products::Column::Gtin.eq(gtin))
            .order_by_asc(products::Column::Id)
            .one(&self.db)
            .await?
            .map(product_from_row))
    }

    /// Everything the public page of a lot shows, and whether its record is intact.
    pub async fn public_lot(&self, cooperative_id: i64, code: &str) -> Result<PublicLot, StoreError> {
        // The stamp first: what is read after it is at least as new, so a page kept under the
        // stamp is never older than the stamp says.
        let stamp = self
            .lot_stamp(cooperative_id, code)
            .await?
            .ok_or(StoreError::not_found("lot"))?;
        let row = self.lot_row(&self.db, cooperative_id, code).await?;
        let cooperative = self.cooperative(cooperative_id).await?;
        let lot = self.lot_from_row(row.clone()).await?;
        let product = self.product_any(lot.product_id).await?;
        let (integrity, full) = self.lot_integrity(&row).await?;
        let events = match full {
            Some(full) => full.events,
            None => self.lot_events(row.id).await?,
        };
        let ancestry = ancestry(&self.db, &row).await?;
        // The cooperative's plots, read once for the lot and its parents.
        let all_plots = self.plots(cooperative_id).await?;
        let plots_by_id =
            |ids: &[i64]| -> Vec<Plot> { all_plots.iter().filter(|p| ids.contains(&p.id)).cloned().collect() };
        let mut parents = Vec::new();
        let mut recalls = recalls_in(&lot.code, &events);
        for ancestor in &ancestry.lots {
            recalls.extend(recalls_in(&ancestor.lineage.code, ancestor.lineage.state.events()));
            if ancestor.child_id != row.id {
                continue;
            }
            let Some(parent_row) = lots::Entity::find_by_id(ancestor.id).one(&self.db).await? else {
                continue;
            };
            let parent = self.lot_from_row(parent_row).await?;
            parents.push(ParentHistory {
                product: self.product(cooperative_id, parent.product_id).await?,
                plots: plots_by_id(&parent.plot_ids),
                events: ancestor.lineage.state.events().to_vec(),
                lot: parent,
            });
        }
        let mut plot_ids: BTreeSet<i64> = lot.plot_ids.iter().copied().collect();
        if plot_ids.is_empty() {
            plot_ids.extend(parents.iter().flat_map(|p| p.lot.plot_ids.iter().copied()));
        }
        let plot_ids: Vec<i64> = plot_ids.into_iter().collect();
        let plots = plots_by_id(&plot_ids);
        let growers = match cooperative.grower_display {
            GrowerDisplay::Hidden => Vec::new(),
            GrowerDisplay::Name => self.growers(&plot_ids).await?,
        };
        let certificates = self
            .certificates(cooperative_id)
            .await?
            .into_iter()
            .filter(|c| c.product_id.is_none_or(|id| id == product.id))
            .collect();
        let harvested_at = last_of(&events, |b| matches!(b, EventBody::Harvest { .. })).or_else(|| {
            parents
                .iter()
                .filter_map(|p| last_of(&p.events, |b| matches!(b, EventBody::Harvest { .. })))
                .max()
        });
        let made_by: HashSet<&str> = lot.parents.iter().map(|l| l.via_event_id.as_str()).collect();
        let packed_at = parents
            .iter()
            .flat_map(|p| p.events.iter())
            .filter(|e| made_by.contains(e.id.to_string().as_str()))
            .map(|e| e.occurred_at)
            .max()
            .or_else(|| last_of(&events, |b| matches!(b, EventBody::Packing { .. })));
        let use_by = use_by(packed_at.or(harvested_at), product.shelf_life_days);
        Ok(PublicLot {
            use_by,
            integrity,
            stamp,
            cooperative,
            product,
            lot,
            plots,
            growers,
            events,
            parents,
            recalls,
            certificates,
            harvested_at,
            packed_at,
        })
    }

    /// Everything the public page of a cooperative shows.
    pub async fn public_cooperative(&self, cooperative_id: i64) -> Result<PublicCooperative, StoreError> {
        let cooperative = self.cooperative(cooperative_id).await?;
        let products = self.products(cooperative_id).await?;
        let rows = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(cooperative_id))
            .order_by_desc(lots::Column::Id)
            .limit(PUBLIC_LOTS_LISTED)
            .all(&self.db)
            .await?;
        let lots = rows
            .into_iter()
            .map(|row| {
                Ok(LotSummary {
                    product: products
                        .iter()
                        .find(|p| p.id == row.product_id)
                        .map(|p| p.name.clone())
                        .unwrap_or_default(),
                    status: farm_log::LotStatus::parse(&row.status, "status")
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    code: row.code,
                    created_at: row.created_at,
                })
            })
            .collect::<Result<_, StoreError>>()?;
        Ok(PublicCooperative {
            certificates: self.certificates(cooperative_id).await?,
            cooperative,
            products,
            lots,
        })
    }

    /// A lot's readable events in chain order (one that cannot be read is an alteration its
    /// integrity reports; the page shows the rest).
    async fn lot_events(&self, lot_id: i64) -> Result<Vec<Event>, StoreError> {
        Ok(crate::labels::event_rows(&self.db, lot_id)
            .await?
            .iter()
            .filter_map(|row| event_from_row(row).ok())
            .collect())
    }

    /// Names of the active member households assigned to these plots.
    async fn growers(&self, plot_ids: &[i64]) -> Result<Vec<String>, StoreError> {
        let member_ids: Vec<i64> = plot_assignments::Entity::find()
            .filter(plot_assignments::Column::PlotId.is_in(plot_ids.to_vec()))
            .all(&self.db)
            .await?
            .into_iter()
            .map(|a| a.member_id)
            .collect();
        Ok(members::Entity::find()
            .filter(members::Column::Id.is_in(member_ids))
            .filter(members::Column::Active.eq(true))
            .filter(members::Column::Role.eq(Role::Member.as_str()))
            .order_by_asc(members::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|m| m.name)
            .collect())
    }
}

fn recalls_in(code: &str, events: &[Event]) -> Vec<RecallNotice> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            EventBody::Recall { reason } => Some(RecallNotice {
                lot_code: code.to_owned(),
                reason: reason.to_string(),
                at: e.occurred_at,
            }),
            _ => None,
        })
        .collect()
}

fn last_of(events: &[Event], wanted: impl Fn(&EventBody) -> bool) -> Option<DateTime<FixedOffset>> {
    events.iter().filter(|e| wanted(&e.body)).map(|e| e.occurred_at).max()
}
