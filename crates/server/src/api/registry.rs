//! Plots, products and the input-product registry.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use farm_log::{GeoPoint, Gtin, InputKind, Quantity, ShortText};
use serde::Deserialize;
use store::{InputProduct, NewInputProduct, NewPlot, NewProduct, Plot, Product};
use utoipa::ToSchema;

use super::{ApiPath, optional};
use crate::AppState;
use crate::access::{leader_of, member_of};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};

/// The cooperative's plots.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/plots", tag = "plots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), responses((status = 200, description = "Plots", body = Value)))]
pub async fn list_plots(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Vec<Plot>>, AppError> {
    member_of(&principal, coop_id)?;
    Ok(Json(state.store.plots(coop_id).await?))
}

/// A new plot.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPlotRequest {
    /// The name the farmer uses, e.g. "Ruộng Đồng Chùa".
    pub name: String,
    /// Area with unit: "2 sào", "1,5 ha", "3600 m2" (sào and công by the cooperative's region).
    pub area: String,
    /// Commune.
    pub commune: String,
    /// Latitude in degrees.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude in degrees.
    #[serde(default)]
    pub lon: Option<f64>,
    /// Mã số vùng trồng.
    #[serde(default)]
    pub growing_area_code: Option<String>,
}

/// Adds a plot (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/plots", tag = "plots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = NewPlotRequest,
    responses((status = 201, description = "Added", body = Value), (status = 422, description = "Invalid field")))]
pub async fn create_plot(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewPlotRequest>,
) -> Result<(StatusCode, Json<Plot>), AppError> {
    leader_of(&principal, coop_id)?;
    let cooperative = state.store.cooperative(coop_id).await?;
    let plot = request.parse(cooperative.region)?;
    Ok((StatusCode::CREATED, Json(state.store.create_plot(coop_id, plot).await?)))
}

impl NewPlotRequest {
    /// The plot, every field checked (sào and công read by the cooperative's region).
    pub(crate) fn parse(&self, region: farm_log::Region) -> Result<NewPlot, AppError> {
        let request = self;
        let area = Quantity::parse(&request.area, Some(region), "area")?;
        if area.unit.dimension() != farm_log::Dimension::Area {
            return Err(AppError::invalid(farm_log::FieldError::new(
                "area",
                "not_an_area",
                "Diện tích phải có đơn vị diện tích (m², sào, công, ha).",
                "The area needs an area unit (MTK, HAR, sào, công).",
            )));
        }
        let location = match (request.lat, request.lon) {
            (Some(lat), Some(lon)) => Some(GeoPoint::from_degrees(lat, lon, "lat")?),
            (None, None) => None,
            _ => {
                return Err(AppError::invalid(farm_log::FieldError::new(
                    if request.lat.is_none() { "lat" } else { "lon" },
                    "incomplete_location",
                    "Cần cả vĩ độ và kinh độ.",
                    "Both latitude and longitude are needed.",
                )));
            }
        };
        Ok(NewPlot {
            name: ShortText::parse(&request.name, "name")?,
            area,
            commune: ShortText::parse(&request.commune, "commune")?,
            location,
            growing_area_code: optional(request.growing_area_code.as_deref(), |t| {
                ShortText::parse(t, "growing_area_code")
            })?,
        })
    }
}

/// Assigns a member to a plot.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AssignPlotRequest {
    /// The member.
    pub member_id: i64,
}

/// Assigns a member to a plot (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/plots/{plot_id}/members", tag = "plots", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("plot_id" = i64, Path, description = "Plot id")),
    request_body = AssignPlotRequest, responses((status = 200, description = "The plot with its members", body = Value)))]
pub async fn assign_plot(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, plot_id)): ApiPath<(i64, i64)>,
    ApiJson(request): ApiJson<AssignPlotRequest>,
) -> Result<Json<Plot>, AppError> {
    leader_of(&principal, coop_id)?;
    Ok(Json(
        state.store.assign_plot(coop_id, plot_id, request.member_id).await?,
    ))
}

/// The cooperative's products.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/products", tag = "products", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), responses((status = 200, description = "Products", body = Value)))]
pub async fn list_products(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Vec<Product>>, AppError> {
    member_of(&principal, coop_id)?;
    Ok(Json(state.store.products(coop_id).await?))
}

/// A new product.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewProductRequest {
    /// Commodity, e.g. "Gạo", "Bưởi".
    pub commodity: String,
    /// Variety, e.g. "ST25", "Da xanh".
    #[serde(default)]
    pub variety: Option<String>,
    /// GTIN (8, 12, 13 or 14 digits with a valid check digit).
    #[serde(default)]
    pub gtin: Option<String>,
}

/// Adds a product (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/products", tag = "products", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = NewProductRequest,
    responses((status = 201, description = "Added", body = Value), (status = 422, description = "Invalid field")))]
pub async fn create_product(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewProductRequest>,
) -> Result<(StatusCode, Json<Product>), AppError> {
    leader_of(&principal, coop_id)?;
    let product = request.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_product(coop_id, product).await?),
    ))
}

impl NewProductRequest {
    /// The product, every field checked.
    pub(crate) fn parse(&self) -> Result<NewProduct, AppError> {
        Ok(NewProduct {
            commodity: ShortText::parse(&self.commodity, "commodity")?,
            variety: optional(self.variety.as_deref(), |t| ShortText::parse(t, "variety"))?,
            gtin: optional(self.gtin.as_deref(), |t| Gtin::parse(t, "gtin"))?,
        })
    }
}

/// The input-product registry.
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/input-products", tag = "input products", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), responses((status = 200, description = "Input products", body = Value)))]
pub async fn list_input_products(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Vec<InputProduct>>, AppError> {
    member_of(&principal, coop_id)?;
    Ok(Json(state.store.input_products(coop_id).await?))
}

/// A new fertilizer or pesticide.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewInputProductRequest {
    /// `fertilizer` or `pesticide`.
    pub kind: String,
    /// Trade name, e.g. "Anvil 5SC".
    pub trade_name: String,
    /// Active ingredients (hoạt chất).
    pub active_ingredients: Vec<String>,
    /// Registration number.
    #[serde(default)]
    pub registration_number: Option<String>,
    /// Pre-harvest interval in days (required for pesticides).
    #[serde(default)]
    pub phi_days: Option<u32>,
}

/// Adds an input product (leaders). One with a banned active ingredient is stored flagged and
/// can never be applied.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/input-products", tag = "input products", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = NewInputProductRequest,
    responses((status = 201, description = "Added", body = Value), (status = 422, description = "Invalid field")))]
pub async fn create_input_product(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewInputProductRequest>,
) -> Result<(StatusCode, Json<InputProduct>), AppError> {
    leader_of(&principal, coop_id)?;
    let input = request.parse()?;
    Ok((
        StatusCode::CREATED,
        Json(state.store.create_input_product(coop_id, input).await?),
    ))
}

impl NewInputProductRequest {
    /// The input product, every field checked.
    pub(crate) fn parse(&self) -> Result<NewInputProduct, AppError> {
        let active_ingredients = self
            .active_ingredients
            .iter()
            .enumerate()
            .map(|(i, a)| ShortText::parse(a, &format!("active_ingredients[{i}]")))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(NewInputProduct {
            kind: InputKind::parse(&self.kind, "kind")?,
            trade_name: ShortText::parse(&self.trade_name, "trade_name")?,
            active_ingredients,
            registration_number: optional(self.registration_number.as_deref(), |t| {
                ShortText::parse(t, "registration_number")
            })?,
            phi_days: self.phi_days,
        })
    }
}
