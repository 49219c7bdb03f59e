//! The caller, cooperatives, members and tokens.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use farm_log::{PhoneNumber, Role, ShortText};
use serde::Deserialize;
use store::{Cooperative, IssuedToken, Member, NewMember, Principal, TokenInfo};
use utoipa::ToSchema;

use super::ApiPath;
use crate::AppState;
use crate::access::{leader_of, member_of, overseer_of};
use crate::error::AppError;
use crate::extract::{ApiJson, Auth};

/// Who the token belongs to.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth", security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Value), (status = 401, description = "No valid token")))]
pub async fn me(Auth(principal): Auth) -> Json<Principal> {
    Json(principal)
}

/// One cooperative (members of it only).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}", tag = "cooperatives", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")),
    responses((status = 200, description = "The cooperative", body = Value), (status = 403, description = "Another cooperative")))]
pub async fn get_cooperative(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Cooperative>, AppError> {
    member_of(&principal, coop_id)?;
    Ok(Json(state.store.cooperative(coop_id).await?))
}

/// The cooperative's members (leaders and inspectors).
#[utoipa::path(get, path = "/api/v1/cooperatives/{coop_id}/members", tag = "members", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")),
    responses((status = 200, description = "Members", body = Value)))]
pub async fn list_members(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
) -> Result<Json<Vec<Member>>, AppError> {
    overseer_of(&principal, coop_id)?;
    Ok(Json(state.store.members(coop_id).await?))
}

/// A new member.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewMemberRequest {
    /// Name, e.g. "Hộ ông Nguyễn Văn An".
    pub name: String,
    /// Phone number.
    pub phone: String,
    /// `leader`, `member` or `inspector`.
    pub role: String,
}

/// Adds a member (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/members", tag = "members", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id")), request_body = NewMemberRequest,
    responses((status = 201, description = "Added", body = Value), (status = 409, description = "Phone already used"), (status = 422, description = "Invalid field")))]
pub async fn add_member(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath(coop_id): ApiPath<i64>,
    ApiJson(request): ApiJson<NewMemberRequest>,
) -> Result<(StatusCode, Json<Member>), AppError> {
    leader_of(&principal, coop_id)?;
    let member = NewMember {
        name: ShortText::parse(&request.name, "name")?,
        phone: PhoneNumber::parse(&request.phone, "phone")?,
        role: Role::parse(&request.role, "role")?,
    };
    Ok((
        StatusCode::CREATED,
        Json(state.store.add_member(coop_id, member).await?),
    ))
}

/// What a token is for.
#[derive(Debug, Deserialize, ToSchema, Default)]
pub struct IssueTokenRequest {
    /// A label, e.g. "điện thoại của chị Lan".
    #[serde(default)]
    pub label: Option<String>,
}

/// Issues an API token for a member (leaders). The secret is in this answer only.
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/members/{member_id}/tokens", tag = "members", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("member_id" = i64, Path, description = "Member id")),
    request_body = IssueTokenRequest,
    responses((status = 201, description = "Token issued", body = Value)))]
pub async fn issue_token(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, member_id)): ApiPath<(i64, i64)>,
    ApiJson(request): ApiJson<IssueTokenRequest>,
) -> Result<(StatusCode, Json<IssuedToken>), AppError> {
    leader_of(&principal, coop_id)?;
    let member = state.store.member(coop_id, member_id).await?;
    let label = super::optional(request.label.as_deref(), |t| ShortText::parse(t, "label"))?
        .map(|l| l.to_string())
        .unwrap_or_else(|| "API token".into());
    Ok((
        StatusCode::CREATED,
        Json(state.store.issue_token(member.id, &label).await?),
    ))
}

/// Revokes a token of a member of the cooperative (leaders).
#[utoipa::path(post, path = "/api/v1/cooperatives/{coop_id}/tokens/{token_id}/revoke", tag = "members", security(("bearer" = [])),
    params(("coop_id" = i64, Path, description = "Cooperative id"), ("token_id" = i64, Path, description = "Token id")),
    responses((status = 200, description = "Revoked", body = Value)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Auth(principal): Auth,
    ApiPath((coop_id, token_id)): ApiPath<(i64, i64)>,
) -> Result<Json<TokenInfo>, AppError> {
    leader_of(&principal, coop_id)?;
    let (_, token_coop) = state.store.token(token_id).await?;
    if token_coop != coop_id {
        return Err(AppError::NotFound("token"));
    }
    Ok(Json(state.store.revoke_token(token_id).await?))
}
