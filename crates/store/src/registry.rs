//! The cooperative's registries: plots and who works them, products, and input products.

use std::str::FromStr;

use farm_log::{GeoPoint, InputKind, Quantity, Unit};
use rust_decimal::Decimal;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::{input_products, members, plot_assignments, plots, products};
use crate::{
    InputProduct, NewInputProduct, NewPlot, NewProduct, Plot, Product, Store, StoreError, now, timestamp_text,
};

pub(crate) fn quantity_from_columns(value: &str, unit: &str) -> Result<Quantity, StoreError> {
    let value = Decimal::from_str(value).map_err(|e| StoreError::Corrupt(format!("quantity {value}: {e}")))?;
    let unit = Unit::from_code_or_name(unit).ok_or_else(|| StoreError::Corrupt(format!("unit {unit}")))?;
    Quantity::new(value, unit, "quantity").map_err(|e| StoreError::Corrupt(e.to_string()))
}

pub(crate) fn product_from_row(row: products::Model) -> Product {
    let name = match &row.variety {
        Some(variety) => format!("{} {}", row.commodity, variety),
        None => row.commodity.clone(),
    };
    Product {
        id: row.id,
        cooperative_id: row.cooperative_id,
        commodity: row.commodity,
        variety: row.variety,
        gtin: row.gtin,
        name,
        photo: row.photo,
        shelf_life_days: row.shelf_life_days.and_then(|d| u32::try_from(d).ok()),
    }
}

impl Store {
    fn plot_from_row(row: plots::Model, member_ids: Vec<i64>) -> Result<Plot, StoreError> {
        let area = quantity_from_columns(&row.area_value, &row.area_unit)?;
        let location = match (row.lat_micro, row.lon_micro) {
            (Some(lat_micro), Some(lon_micro)) => Some(GeoPoint { lat_micro, lon_micro }.into()),
            _ => None,
        };
        Ok(Plot {
            id: row.id,
            cooperative_id: row.cooperative_id,
            name: row.name,
            area_display: area.display_vi(),
            area,
            commune: row.commune,
            location,
            growing_area_code: row.growing_area_code,
            member_ids,
        })
    }

    /// Adds a plot.
    pub async fn create_plot(&self, cooperative_id: i64, plot: NewPlot) -> Result<Plot, StoreError> {
        let _guard = self.write_guard().await;
        let row = plots::ActiveModel {
            cooperative_id: Set(cooperative_id),
            name: Set(plot.name.to_string()),
            area_value: Set(plot.area.value.to_string()),
            area_unit: Set(plot.area.unit.code().to_owned()),
            commune: Set(plot.commune.to_string()),
            lat_micro: Set(plot.location.map(|l| l.lat_micro)),
            lon_micro: Set(plot.location.map(|l| l.lon_micro)),
            growing_area_code: Set(plot.growing_area_code.map(|c| c.to_string())),
            created_at: Set(timestamp_text(&now())),
            ..Default::default()
        }
        .insert(&self.db)
        .await
        .map_err(|e| {
            StoreError::unique(
                e,
                "name",
                "A plot with this name already exists.",
                "Đã có thửa ruộng/mảnh vườn mang tên này.",
            )
        })?;
        Self::plot_from_row(row, Vec::new())
    }

    /// The cooperative's plots.
    pub async fn plots(&self, cooperative_id: i64) -> Result<Vec<Plot>, StoreError> {
        let rows = plots::Entity::find()
            .filter(plots::Column::CooperativeId.eq(cooperative_id))
            .order_by_asc(plots::Column::Id)
            .all(&self.db)
            .await?;
        let ids: Vec<i64> = rows.iter().map(|p| p.id).collect();
        let assignments = plot_assignments::Entity::find()
            .filter(plot_assignments::Column::PlotId.is_in(ids))
            .order_by_asc(plot_assignments::Column::MemberId)
            .all(&self.db)
            .await?;
        rows.into_iter()
            .map(|row| {
                let members = assignments
                    .iter()
                    .filter(|a| a.plot_id == row.id)
                    .map(|a| a.member_id)
                    .collect();
                Self::plot_from_row(row, members)
            })
            .collect()
    }

    /// One plot of a cooperative.
    pub async fn plot(&self, cooperative_id: i64, plot_id: i64) -> Result<Plot, StoreError> {
        self.plots(cooperative_id)
            .await?
            .into_iter()
            .find(|p| p.id == plot_id)
            .ok_or(StoreError::not_found("plot"))
    }

    /// Assigns a member to a plot (both of this cooperative); assigning twice is harmless.
    pub async fn assign_plot(&self, cooperative_id: i64, plot_id: i64, member_id: i64) -> Result<Plot, StoreError> {
        let plot = self.plot(cooperative_id, plot_id).await?;
        members::Entity::find_by_id(member_id)
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or_else(|| {
                StoreError::Invalid(
                    farm_log::FieldError::new(
                        "member_id",
                        "unknown_member",
                        "Không có thành viên này trong HTX.",
                        "No such member in this cooperative.",
                    )
                    .into(),
                )
            })?;
        if !plot.member_ids.contains(&member_id) {
            let _guard = self.write_guard().await;
            plot_assignments::ActiveModel {
                plot_id: Set(plot_id),
                member_id: Set(member_id),
            }
            .insert(&self.db)
            .await?;
        }
        self.plot(cooperative_id, plot_id).await
    }

    /// Whether a member works at least one of these plots.
    pub async fn member_works_any(&self, member_id: i64, plot_ids: &[i64]) -> Result<bool, StoreError> {
        Ok(plot_assignments::Entity::find()
            .filter(plot_assignments::Column::MemberId.eq(member_id))
            .filter(plot_assignments::Column::PlotId.is_in(plot_ids.to_vec()))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Adds a product.
    pub async fn create_product(&self, cooperative_id: i64, product: NewProduct) -> Result<Product, StoreError> {
        let _guard = self.write_guard().await;
        let row = products::ActiveModel {
            cooperative_id: Set(cooperative_id),
            commodity: Set(product.commodity.to_string()),
            variety: Set(product.variety.map(|v| v.to_string())),
            gtin: Set(product.gtin.map(|g| g.to_string())),
            created_at: Set(timestamp_text(&now())),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        Ok(product_from_row(row))
    }

    /// The cooperative's products.
    pub async fn products(&self, cooperative_id: i64) -> Result<Vec<Product>, StoreError> {
        Ok(products::Entity::find()
            .filter(products::Column::CooperativeId.eq(cooperative_id))
            .order_by_asc(products::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(product_from_row)
            .collect())
    }

    /// One product of a cooperative.
    pub async fn product(&self, cooperative_id: i64, product_id: i64) -> Result<Product, StoreError> {
        products::Entity::find_by_id(product_id)
            .filter(products::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .map(product_from_row)
            .ok_or(StoreError::not_found("product"))
    }

    /// The product a lot row names, for its public pages. A lot's product can only be gone or
    /// foreign when the row was edited by hand, which its chain reports as an alteration; the
    /// page still shows the lot (as altered), naming the product as unknown.
    pub(crate) async fn product_any(&self, product_id: i64) -> Result<Product, StoreError> {
        Ok(products::Entity::find_by_id(product_id)
            .one(&self.db)
            .await?
            .map(product_from_row)
            .unwrap_or(Product {
                id: product_id,
                cooperative_id: 0,
                commodity: "?".into(),
                variety: None,
                gtin: None,
                name: "?".into(),
                photo: None,
                shelf_life_days: None,
            }))
    }

    /// A product named by a request's `product_id`: a missing one is an invalid field, not a 404.
    pub(crate) async fn product_for_field(&self, cooperative_id: i64, product_id: i64) -> Result<Product, StoreError> {
        self.product(cooperative_id, product_id)
            .await
            .map_err(|error| match error {
                StoreError::NotFound { .. } => farm_log::FieldError::new(
                    "product_id",
                    "unknown_product",
                    "Không có sản phẩm này trong HTX.",
                    "No such product in this cooperative.",
                )
                .into(),
                other => other,
            })
    }

    pub(crate) fn input_from_row(&self, row: input_products::Model) -> Result<InputProduct, StoreError> {
        let active_ingredients: Vec<String> =
            serde_json::from_str(&row.active_ingredients).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let banned_ingredients = active_ingredients
            .iter()
            .filter(|i| self.banned.find(i).is_some())
            .cloned()
            .collect();
        Ok(InputProduct {
            kind: InputKind::parse(&row.kind, "kind").map_err(|e| StoreError::Corrupt(e.to_string()))?,
            id: row.id,
            cooperative_id: row.cooperative_id,
            trade_name: row.trade_name,
            active_ingredients,
            registration_number: row.registration_number,
            phi_days: row.phi_days.and_then(|d| u32::try_from(d).ok()),
            banned_ingredients,
        })
    }

    /// Adds an input product to the registry. Banned products may be registered (so the registry
    /// matches what is in the shed) but can never be applied.
    pub async fn create_input_product(
        &self,
        cooperative_id: i64,
        input: NewInputProduct,
    ) -> Result<InputProduct, StoreError> {
        if input.kind == InputKind::Pesticide && input.phi_days.is_none() {
            return Err(farm_log::FieldError::new(
                "phi_days",
                "required",
                "Thuốc BVTV cần có thời gian cách ly (số ngày).",
                "A pesticide needs its pre-harvest interval in days.",
            )
            .into());
        }
        if input.phi_days.is_some_and(|d| d > 365) {
            return Err(farm_log::FieldError::new(
                "phi_days",
                "out_of_range",
                "Thời gian cách ly phải từ 0 đến 365 ngày.",
                "The pre-harvest interval must be 0–365 days.",
            )
            .into());
        }
        if input.active_ingredients.is_empty() || input.active_ingredients.len() > 10 {
            return Err(farm_log::FieldError::new(
                "active_ingredients",
                "required",
                "Cần từ 1 đến 10 hoạt chất.",
                "List 1 to 10 active ingredients.",
            )
            .into());
        }
        let ingredients: Vec<String> = input.active_ingredients.iter().map(ToString::to_string).collect();
        let _guard = self.write_guard().await;
        let row = input_products::ActiveModel {
            cooperative_id: Set(cooperative_id),
            kind: Set(input.kind.as_str().to_owned()),
            trade_name: Set(input.trade_name.to_string()),
            active_ingredients: Set(
                serde_json::to_string(&ingredients).map_err(|e| StoreError::Corrupt(e.to_string()))?
            ),
            registration_number: Set(input.registration_number.map(|r| r.to_string())),
            phi_days: Set(input.phi_days.map(|d| d as i32)),
            created_at: Set(timestamp_text(&now())),
            ..Default::default()
        }
        .insert(&self.db)
        .await?;
        self.input_from_row(row)
    }

    /// The cooperative's input products.
    pub async fn input_products(&self, cooperative_id: i64) -> Result<Vec<InputProduct>, StoreError> {
        input_products::Entity::find()
            .filter(input_products::Column::CooperativeId.eq(cooperative_id))
            .order_by_asc(input_products::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|row| self.input_from_row(row))
            .collect()
    }
}
