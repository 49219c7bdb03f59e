//! One GTIN per trade item: the pack sizes a lot's QR labels were issued for, and the rule that
//! a listing selling another pack size may not carry the labels' GTIN (the product's).

use farm_log::{FieldError, Gtin, Quantity};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};

use crate::StoreError;
use crate::entities::{label_batches, lots, products};

/// The pack sizes labels were issued for on a lot, each once.
pub(crate) async fn labelled_packs(db: &impl ConnectionTrait, lot_id: i64) -> Result<Vec<Quantity>, StoreError> {
    let mut packs: Vec<Quantity> = Vec::new();
    for batch in label_batches::Entity::find()
        .filter(label_batches::Column::LotId.eq(lot_id))
        .all(db)
        .await?
    {
        let pack =
            Quantity::parse(&batch.pack_size, None, "pack_size").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if !packs.iter().any(|p| same_pack(p, &pack)) {
            packs.push(pack);
        }
    }
    Ok(packs)
}

/// Whether two pack sizes are the same trade item's (1 kg and 1000 g are).
pub fn same_pack(a: &Quantity, b: &Quantity) -> bool {
    a.unit.dimension() == b.unit.dimension() && a.in_base_unit() == b.in_base_unit()
}

/// Refuses a listing's own GTIN when it is the GTIN on the labels of a lot it sells and the
/// listing sells another pack size than those labels were printed for: a GTIN names one trade
/// item, so a 500 g bag cannot reuse the 1 kg bag's GTIN.
pub(crate) async fn check_listing_gtin(
    db: &impl ConnectionTrait,
    cooperative_id: i64,
    gtin: Option<&Gtin>,
    pack_size: &Quantity,
    lot_codes: &[String],
) -> Result<Option<FieldError>, StoreError> {
    let Some(gtin) = gtin else { return Ok(None) };
    for code in lot_codes {
        let Some(lot) = lots::Entity::find()
            .filter(lots::Column::CooperativeId.eq(cooperative_id))
            .filter(lots::Column::Code.eq(code.as_str()))
            .one(db)
            .await?
        else {
            continue;
        };
        let product_gtin = products::Entity::find_by_id(lot.product_id)
            .one(db)
            .await?
            .and_then(|p| p.gtin);
        if product_gtin.as_deref() != Some(gtin.as_ref()) {
            continue;
        }
        let packs = labelled_packs(db, lot.id).await?;
        if !packs.is_empty() && !packs.iter().any(|p| same_pack(p, pack_size)) {
            let labelled = packs.iter().map(Quantity::display_vi).collect::<Vec<_>>().join(", ");
            return Ok(Some(FieldError::new(
                "gtin",
                "gtin_other_pack",
                format!(
                    "Mã GTIN {gtin} là của gói {labelled} in trên tem lô {code}; gói {} là mặt hàng khác, cần mã GTIN riêng (hoặc để trống).",
                    pack_size.display_vi()
                ),
                format!(
                    "GTIN {gtin} is the one on lot {code}'s labels, printed for packs of {labelled}; packs of {} {} are another trade item and need a GTIN of their own (or none).",
                    pack_size.value,
                    pack_size.unit.code()
                ),
            )));
        }
    }
    Ok(None)
}
