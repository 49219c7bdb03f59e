//! Signing in to the cooperative's app: passwords (argon2id), failed attempts and lockout, and
//! browser sessions kept in the database.
//!
//! A phone number is unique within a cooperative, not across them; a person in two
//! cooperatives with the same password is asked which one they mean.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, FixedOffset};
use farm_log::{Password, PhoneNumber, Role};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

use crate::entities::{cooperatives, members, sessions};
use crate::{Principal, Store, StoreError, now, timestamp_text};

/// Failed sign-ins in a row that lock an account.
pub const MAX_FAILED_LOGINS: i32 = 5;
/// How long a locked account stays locked unless a leader unlocks it.
pub const LOCKOUT_MINUTES: i64 = 15;

/// What a sign-in attempt came to.
#[derive(Debug, Clone)]
pub enum SignIn {
    /// The phone and password match one active member.
    Signed(Principal),
    /// No active member with this phone has this password (an unknown phone looks the same).
    Wrong {
        /// Attempts left before the account locks, when the phone is known.
        attempts_left: Option<i32>,
    },
    /// Too many failed attempts: no password is checked until then.
    Locked {
        /// When the lock ends by itself.
        until: DateTime<FixedOffset>,
    },
    /// The password matches this person in several cooperatives: which one?
    Choose(Vec<(i64, String)>),
}

/// Hashes a password with argon2id and a random salt into a PHC string. Deliberately slow: call
/// it off the async threads.
fn hash_password(password: &str) -> Result<String, StoreError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| StoreError::Corrupt(format!("hashing a password failed: {e}")))
}

fn password_matches(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| Argon2::default().verify_password(password.as_bytes(), &hash).is_ok())
}

async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Corrupt(format!("password worker failed: {e}")))
}

/// A hash of a password nobody has, checked when the phone is unknown so that an unknown phone
/// takes as long to refuse as a wrong password.
fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password("nguon decoy password, never set").unwrap_or_default())
}

pub(crate) fn locked_until(row: &members::Model) -> Option<DateTime<FixedOffset>> {
    row.locked_until
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .filter(|until| *until > now())
}

impl Store {
    /// Sets (or resets) a member's password and clears any lockout. Leaders do this; there is
    /// no e-mail to send a reset link to.
    pub async fn set_password(
        &self,
        cooperative_id: i64,
        member_id: i64,
        password: &Password,
    ) -> Result<(), StoreError> {
        let row = members::Entity::find_by_id(member_id)
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .one(&self.db)
            .await?
            .ok_or(StoreError::not_found("member"))?;
        let password = password.expose().to_owned();
        let hash = blocking(move || hash_password(&password)).await??;
        let _guard = self.quiet_write_guard().await;
        members::ActiveModel {
            id: Set(row.id),
            password_hash: Set(Some(hash)),
            failed_logins: Set(0),
            locked_until: Set(None),
            ..Default::default()
        }
        .update(&self.db)
        .await?;
        // Whoever was signed in as this member with the old password is signed out.
        sessions::Entity::delete_many()
            .filter(sessions::Column::MemberId.eq(row.id))
            .exec(&self.db)
            .await?;
        Ok(())
    }

    /// Lifts a lockout before it ends by itself.
    pub async fn unlock_member(&self, cooperative_id: i64, member_id: i64) -> Result<(), StoreError> {
        let _guard = self.quiet_write_guard().await;
        self.update_member(
            cooperative_id,
            member_id,
            &[
                (members::Column::FailedLogins, Expr::value(0)),
                (members::Column::LockedUntil, Expr::value(Option::<String>::None)),
            ],
        )
        .await
    }

    /// Enables or disables a member. A disabled member cannot sign in, and their sessions and
    /// tokens stop working at their next request.
    pub async fn set_member_active(&self, cooperative_id: i64, member_id: i64, active: bool) -> Result<(), StoreError> {
        let _guard = self.write_guard().await;
        self.update_member(
            cooperative_id,
            member_id,
            &[(members::Column::Active, Expr::value(active))],
        )
        .await
    }

    /// Sets columns of one member of a cooperative (the caller holds the write guard).
    async fn update_member(
        &self,
        cooperative_id: i64,
        member_id: i64,
        columns: &[(members::Column, sea_orm::sea_query::SimpleExpr)],
    ) -> Result<(), StoreError> {
        let mut update = members::Entity::update_many();
        for (column, value) in columns {
            update = update.col_expr(*column, value.clone());
        }
        let done = update
            .filter(members::Column::Id.eq(member_id))
            .filter(members::Column::CooperativeId.eq(cooperative_id))
            .exec(&self.db)
            .await?;
        if done.rows_affected == 0 {
            return Err(StoreError::not_found("member"));
        }
        Ok(())
    }

    /// Checks a phone number and password. Counts failures per account and locks it for
    /// [`LOCKOUT_MINUTES`] after [`MAX_FAILED_LOGINS`] in a row; a success resets the count.
    /// `cooperative_id` narrows the search when the person said which cooperative they mean.
    pub async fn sign_in(
        &self,
        phone: &PhoneNumber,
        password: &Password,
        cooperative_id: Option<i64>,
    ) -> Result<SignIn, StoreError> {
        let mut query = members::Entity::find()
            .filter(members::Column::Phone.eq(phone.as_ref()))
            .filter(members::Column::Active.eq(true))
            .filter(members::Column::PasswordHash.is_not_null());
        if let Some(cooperative_id) = cooperative_id {
            query = query.filter(members::Column::CooperativeId.eq(cooperative_id));
        }
        let candidates = query.order_by_asc(members::Column::Id).all(&self.db).await?;
        if candidates.is_empty() {
            let password = password.expose().to_owned();
            blocking(move || password_matches(&password, decoy_hash())).await?;
            return Ok(SignIn::Wrong { attempts_left: None });
        }
        // A locked account is not checked at all, so guessing cannot go on while it is locked.
        let open: Vec<members::Model> = candidates
            .iter()
            .filter(|row| locked_until(row).is_none())
            .cloned()
            .collect();
        if open.is_empty() {
            let until = candidates.iter().filter_map(locked_until).min().unwrap_or_else(now);
            return Ok(SignIn::Locked { until });
        }
        let hashes: Vec<(i64, String)> = open
            .iter()
            .map(|row| (row.id, row.password_hash.clone().unwrap_or_default()))
            .collect();
        let password = password.expose().to_owned();
        let matched: Vec<i64> = blocking(move || {
            hashes
                .into_iter()
                .filter(|(_, hash)| password_matches(&password, hash))
                .map(|(id, _)| id)
                .collect()
        })
        .await?;
        let _guard = self.quiet_write_guard().await;
        match matched.as_slice() {
            [] => {
                let mut attempts_left = MAX_FAILED_LOGINS;
                for row in &open {
                    let failed = row.failed_logins + 1;
                    let lock = failed >= MAX_FAILED_LOGINS;
                    attempts_left = attempts_left.min(MAX_FAILED_LOGINS - failed).max(0);
                    members::ActiveModel {
                        id: Set(row.id),
                        failed_logins: Set(if lock { 0 } else { failed }),
                        locked_until: Set(lock.then(|| timestamp_text(&(now() + Duration::minutes(LOCKOUT_MINUTES))))),
                        ..Default::default()
                    }
                    .update(&self.db)
                    .await?;
                }
                if attempts_left == 0 {
                    return Ok(SignIn::Locked {
                        until: now() + Duration::minutes(LOCKOUT_MINUTES),
                    });
                }
                Ok(SignIn::Wrong {
                    attempts_left: Some(attempts_left),
                })
            }
            [id] => {
                let row = open
                    .iter()
                    .find(|row| row.id == *id)
                    .ok_or(StoreError::not_found("member"))?;
                members::ActiveModel {
                    id: Set(row.id),
                    failed_logins: Set(0),
                    locked_until: Set(None),
                    ..Default::default()
                }
                .update(&self.db)
                .await?;
                Ok(SignIn::Signed(principal_from_row(row)?))
            }
            several => {
                let ids: Vec<i64> = open
                    .iter()
                    .filter(|row| several.contains(&row.id))
                    .map(|row| row.cooperative_id)
                    .collect();
                let names = cooperatives::Entity::find()
                    .filter(cooperatives::Column::Id.is_in(ids))
                    .order_by_asc(cooperatives::Column::Id)
                    .all(&self.db)
                    .await?
                    .into_iter()
                    .map(|c| (c.id, c.name))
                    .collect();
                Ok(SignIn::Choose(names))
            }
        }
    }

    /// The member behind a browser session, if they are still active.
    pub async fn session_principal(&self, member_id: i64) -> Result<Option<Principal>, StoreError> {
        match members::Entity::find_by_id(member_id).one(&self.db).await? {
            Some(row) if row.active => Ok(Some(principal_from_row(&row)?)),
            _ => Ok(None),
        }
    }

    /// A stored session's data and expiry (unix seconds), unless it has expired.
    pub async fn load_session(&self, id: &str) -> Result<Option<(String, i64)>, StoreError> {
        let unix_now = chrono::Utc::now().timestamp();
        Ok(sessions::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .filter(|row| row.expires_at > unix_now)
            .map(|row| (row.data, row.expires_at)))
    }

    /// Stores (inserts or replaces) a session's data and expiry (unix seconds).
    pub async fn save_session(
        &self,
        id: &str,
        data: &str,
        expires_at: i64,
        member_id: Option<i64>,
    ) -> Result<(), StoreError> {
        use sea_orm::sea_query::OnConflict;
        let _guard = self.quiet_write_guard().await;
        sessions::Entity::insert(sessions::ActiveModel {
            id: Set(id.to_owned()),
            data: Set(data.to_owned()),
            expires_at: Set(expires_at),
            member_id: Set(member_id),
        })
        .on_conflict(
            OnConflict::column(sessions::Column::Id)
                .update_columns([
                    sessions::Column::Data,
                    sessions::Column::ExpiresAt,
                    sessions::Column::MemberId,
                ])
                .to_owned(),
        )
        .exec(&self.db)
        .await?;
        Ok(())
    }

    /// Whether a session id is taken (expired or not).
    pub async fn session_exists(&self, id: &str) -> Result<bool, StoreError> {
        Ok(sessions::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Forgets a session (signing out).
    pub async fn delete_session(&self, id: &str) -> Result<(), StoreError> {
        let _guard = self.quiet_write_guard().await;
        sessions::Entity::delete_by_id(id.to_owned()).exec(&self.db).await?;
        Ok(())
    }

    /// Deletes expired sessions; returns how many.
    pub async fn delete_expired_sessions(&self) -> Result<u64, StoreError> {
        let _guard = self.quiet_write_guard().await;
        let done = sessions::Entity::delete_many()
            .filter(sessions::Column::ExpiresAt.lte(chrono::Utc::now().timestamp()))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }
}

fn principal_from_row(row: &members::Model) -> Result<Principal, StoreError> {
    Ok(Principal {
        role: Role::parse(&row.role, "role").map_err(|e| StoreError::Corrupt(e.to_string()))?,
        member_id: row.id,
        name: row.name.clone(),
        cooperative_id: row.cooperative_id,
        token_id: 0,
    })
}

impl Store {
    /// The last event of `kind` a member recorded, on any lot (a member belongs to one
    /// cooperative): forms start from the product and dose they used last time.
    pub async fn last_event_by(
        &self,
        member_id: i64,
        kind: farm_log::EventKind,
    ) -> Result<Option<farm_log::Event>, StoreError> {
        use crate::entities::events;
        let row = events::Entity::find()
            .filter(events::Column::ActorMemberId.eq(member_id))
            .filter(events::Column::Kind.eq(kind.as_str()))
            .order_by_desc(events::Column::RecordedAt)
            .one(&self.db)
            .await?;
        row.map(|row| crate::lots::event_from_row(&row).map_err(StoreError::Corrupt))
            .transpose()
    }
}

impl Store {
    /// Whether another cooperative has a lot with this code (the app answers 403 rather than
    /// 404 for someone else's lot, as the API does).
    pub async fn lot_code_elsewhere(&self, cooperative_id: i64, code: &str) -> Result<bool, StoreError> {
        use crate::entities::lots;
        Ok(lots::Entity::find()
            .filter(lots::Column::Code.eq(code))
            .filter(lots::Column::CooperativeId.ne(cooperative_id))
            .one(&self.db)
            .await?
            .is_some())
    }

    /// Whether this member id belongs to another cooperative.
    pub async fn member_elsewhere(&self, cooperative_id: i64, member_id: i64) -> Result<bool, StoreError> {
        Ok(members::Entity::find_by_id(member_id)
            .one(&self.db)
            .await?
            .is_some_and(|row| row.cooperative_id != cooperative_id))
    }
}

impl Store {
    /// Whether another cooperative has a label batch with this id.
    pub async fn label_batch_elsewhere(&self, cooperative_id: i64, batch_id: &str) -> Result<bool, StoreError> {
        use crate::entities::label_batches;
        Ok(label_batches::Entity::find_by_id(batch_id.to_owned())
            .one(&self.db)
            .await?
            .is_some_and(|row| row.cooperative_id != cooperative_id))
    }
}
