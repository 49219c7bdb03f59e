//! Cooperatives, members, API tokens and authentication.

use farm_log::{GrowerDisplay, Region, Role};
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::{api_tokens, cooperatives, members, plot_assignments};
use crate::{
    Cooperative, IssuedToken, Member, NewCooperative, NewMember, Principal, Store, StoreError, TokenInfo, now,
    timestamp_text,
};

/// The prefix every API token starts with, so a leaked one is easy to recognise.
pub const TOKEN_PREFIX: &str = "nguon_";

fn hash_token(token: &str) -> String {
    blake3::Hash::from_bytes(blake3::derive_key("nguon 2026-11 api token hash v1", token.as_bytes()))
        .to_hex()
        .to_string()
}

/// 160 random bits as 40 hex digits: an unguessable part of a URL (feed links).
pub(crate) fn random_token() -> String {
    let mut bytes = [0u8; 20];
    rand::rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn new_token_secret() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{TOKEN_PREFIX}{hex}")
}

pub(crate) fn cooperative_from_row(row: cooperatives::Model) -> Result<Cooperative, StoreError> {
    Ok(Cooperative {
        region: Region::parse(&row.region, "region").map_err(|e| StoreError::Corrupt(e.to_string()))?,
        id: row.id,
        name: row.name,
        address: row.address,
        province: row.province,
        commune: row.commune,
        phone: row.phone,
        gs1_company_prefix: row.gs1_company_prefix,
        gln: row.gln,
        created_at: row.created_at,
        description: row.description,
        grower_display: GrowerDisplay::parse(&row.grower_display, "grower_display")
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
    })
}

async fn member_from_row(db: &impl ConnectionTrait, row: members::Model) -> Result<Member, StoreError> {
    let plot_ids = plot_assignments::Entity::find()
        .filter(plot_assignments::Column::MemberId.eq(row.id))
        .order_by_asc(plot_assignments::Column::PlotId)
        .all(db)
        .await?
        .into_iter()
        .map(|a| a.plot_id)
        .collect();
    let locked_until = crate::accounts::locked_until(&row).map(|t| timestamp_text(&t));
    Ok(Member {
        role: Role::parse(&row.role, "role").map_err(|e| StoreError::Corrupt(e.to_string()))?,
        id: row.id,
        cooperative_id: row.cooperative_id,
        name: row.name,
        phone: row.phone,
        active: row.active,
        plot_ids,
        has_password: row.password_hash.is_some(),
        locked_until,
        created_at: row.created_at,
    })
}

async fn insert_member(
    db: &impl ConnectionTrait,
    cooperative_id: i64,
    member: &NewMember,
) -> Result<members::Model, StoreError> {
    members::ActiveModel {
        cooperative_id: Set(cooperative_id),
        name: Set(member.name.to_string()),
        phone: Set(member.phone.to_string()),
        role: Set(member.role.as_str().to_owned()),
        active: Set(true),
        created_at: Set(timestamp_text(&now())),
        ..Default::default()
    }
    .insert(db)
    .await
    .map_err(|e| {
        StoreError::unique(
            e,
            "phone",
            "A member with this phone number already exists in the cooperative.",
            "Số điện thoại này đã có trong HTX.",
        )
    })
}

async fn insert_token(db: &impl ConnectionTrait, member_id: i64, label: &str) -> Result<IssuedToken, StoreError> {
    let token = new_token_secret();
    let row = api_tokens::ActiveModel {
        member_id: Set(member_id),
        token_hash: Set(hash_token(&token)),
        label: Set(label.to_owned()),
        created_at: Set(timestamp_text(&now())),
        revoked_at: Set(None),
        ..Default::default()
    }
    .insert(db)
    .await?;
    Ok(IssuedToken {
        token_id: row.id,
        member_id,
        token,
        label: row.label,
    })
}

impl Store {
    /// Registers a cooperative with its first leader, returning the leader's first token.
    pub async fn create_cooperative(
        &self,
        cooperative: NewCooperative,
        leader: NewMember,
    ) -> Result<(Cooperative, Member, IssuedToken), StoreError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let row = cooperatives::ActiveModel {
            name: Set(cooperative.name.to_string()),
            address: Set(cooperative.address.to_string()),
            province: Set(cooperative.province.to_string()),
            commune: Set(cooperative.commune.to_string()),
            phone: Set(cooperative.phone.to_string()),
            region: Set(cooperative.region.as_str().to_owned()),
            gs1_company_prefix: Set(cooperative.gs1_company_prefix.map(|p| p.to_string())),
            gln: Set(cooperative.gln.map(|g| g.to_string())),
            created_at: Set(timestamp_text(&now())),
            ..Default::default()
        }
        .insert(&txn)
        .await?;
        let leader_row = insert_member(
            &txn,
            row.id,
            &NewMember {
                role: Role::Leader,
                ..leader
            },
        )
        .await?;
        let token = insert_token(&txn, leader_row.id, "first leader token").await?;
        crate::labels::create_signing_key(&txn, row.id).await?;
        let member = member_from_row(&txn, leader_row).await?;
        txn.commit().await?;
        Ok((cooperative_from_row(row)?, member, token))
    }

    /// One cooperative.
    pub async fn cooperative(&self, id: i64) -> Result<Cooperative, StoreError> {
        let row = cooperatives::Entity::find_by_id(id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("cooperative"))?;
        cooperative_from_row(row)
    }

    /// Every cooperative, oldest first.
    pub async fn cooperatives(&self) -> Result<Vec<Cooperative>, StoreError> {
        cooperatives::Entity::find()
            .order_by_asc(cooperatives::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(cooperative_from_row)
            .collect()
    }

    /// Adds a member to a cooperative.
    pub async fn add_member(&self, cooperative_id: i64, member: NewMember) -> Result<Member, StoreError> {
        let _guard = self.write_guard().await;
        let row = insert_member(&self.db, cooperative_id, &member).await?;
        member_from_row(&self.db, row).await
    }

    /// The cooperative's members, in the order they were added.
    pub async fn members(&self, cooperative_id: i64) -> Result<Vec<Member>, StoreError> {
        let rows = members::Entity::find()
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .order_by_asc(members::Column::Id)
            .all(&self.db)
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            out.push(member_from_row(&self.db, row).await?);
        }
        Ok(out)
    }

    /// One member of a cooperative.
    pub async fn member(&self, cooperative_id: i64, member_id: i64) -> Result<Member, StoreError> {
        let row = members::Entity::find_by_id(member_id)
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("member"))?;
        member_from_row(&self.db, row).await
    }

    /// Finds a member by phone within a cooperative.
    pub async fn member_by_phone(&self, cooperative_id: i64, phone: &str) -> Result<Member, StoreError> {
        let row = members::Entity::find()
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .filter(members::Column::Phone.eq(phone))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("member"))?;
        member_from_row(&self.db, row).await
    }

    /// Issues a new API token for a member; the secret is in the result and nowhere else.
    pub async fn issue_token(&self, member_id: i64, label: &str) -> Result<IssuedToken, StoreError> {
        let _guard = self.write_guard().await;
        insert_token(&self.db, member_id, label).await
    }

    /// A member's tokens, without secrets.
    pub async fn tokens(&self, member_id: i64) -> Result<Vec<TokenInfo>, StoreError> {
        Ok(api_tokens::Entity::find()
            .filter(api_tokens::Column::MemberId.eq(member_id))
            .order_by_asc(api_tokens::Column::Id)
            .all(&self.db)
            .await?
            .into_iter()
            .map(|t| TokenInfo {
                id: t.id,
                member_id: t.member_id,
                label: t.label,
                created_at: t.created_at,
                revoked_at: t.revoked_at,
            })
            .collect())
    }

    /// The token with this id, with the cooperative of its member.
    pub async fn token(&self, token_id: i64) -> Result<(TokenInfo, i64), StoreError> {
        let token = api_tokens::Entity::find_by_id(token_id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("token"))?;
        let member = members::Entity::find_by_id(token.member_id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("member"))?;
        Ok((
            TokenInfo {
                id: token.id,
                member_id: token.member_id,
                label: token.label,
                created_at: token.created_at,
                revoked_at: token.revoked_at,
            },
            member.cooperative_id,
        ))
    }

    /// Revokes a token; revoking twice is harmless.
    pub async fn revoke_token(&self, token_id: i64) -> Result<TokenInfo, StoreError> {
        let _guard = self.write_guard().await;
        let row = api_tokens::Entity::find_by_id(token_id)
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("token"))?;
        let row = if row.revoked_at.is_none() {
            let mut active: api_tokens::ActiveModel = row.into();
            active.revoked_at = Set(Some(timestamp_text(&now())));
            active.update(&self.db).await?
        } else {
            row
        };
        Ok(TokenInfo {
            id: row.id,
            member_id: row.member_id,
            label: row.label,
            created_at: row.created_at,
            revoked_at: row.revoked_at,
        })
    }

    /// Who a bearer token belongs to, if it is valid, unrevoked and its member active.
    pub async fn authenticate(&self, token: &str) -> Result<Option<Principal>, StoreError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let Some(row) = api_tokens::Entity::find()
            .filter(api_tokens::Column::TokenHash.eq(hash_token(token)))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        if row.revoked_at.is_some() {
            return Ok(None);
        }
        let Some(member) = members::Entity::find_by_id(row.member_id).one(&self.db).await? else {
            return Ok(None);
        };
        if !member.active {
            return Ok(None);
        }
        Ok(Some(Principal {
            role: Role::parse(&member.role, "role").map_err(|e| StoreError::Corrupt(e.to_string()))?,
            member_id: member.id,
            name: member.name,
            cooperative_id: member.cooperative_id,
            token_id: row.id,
        }))
    }
}
