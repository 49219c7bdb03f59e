//! Browser sessions for the cooperative's app, kept in the database through the store (so a
//! restart signs nobody out and several server processes share them).

use store::Store;
use tower_sessions::SessionStore;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{Error, Result};

/// A [`SessionStore`] over [`Store`]'s `sessions` table.
#[derive(Debug, Clone)]
pub struct DbSessions {
    store: Store,
}

impl DbSessions {
    /// Sessions kept by `store`.
    pub fn new(store: Store) -> Self {
        Self { store }
    }
}

fn backend(error: store::StoreError) -> Error {
    Error::Backend(error.to_string())
}

#[async_trait::async_trait]
impl SessionStore for DbSessions {
    async fn create(&self, record: &mut Record) -> Result<()> {
        // A fresh id is 128 random bits; a clash is next to impossible, but never overwrite.
        while self
            .store
            .session_exists(&record.id.to_string())
            .await
            .map_err(backend)?
        {
            record.id = Id::default();
        }
        self.save(record).await
    }

    async fn save(&self, record: &Record) -> Result<()> {
        let data = serde_json::to_string(&record.data).map_err(|e| Error::Encode(e.to_string()))?;
        self.store
            .save_session(
                &record.id.to_string(),
                &data,
                record.expiry_date.unix_timestamp(),
                record.data.get(super::MEMBER_KEY).and_then(serde_json::Value::as_i64),
            )
            .await
            .map_err(backend)
    }

    async fn load(&self, id: &Id) -> Result<Option<Record>> {
        let Some((data, expires_at)) = self.store.load_session(&id.to_string()).await.map_err(backend)? else {
            return Ok(None);
        };
        let data = serde_json::from_str(&data).map_err(|e| Error::Decode(e.to_string()))?;
        Ok(Some(Record {
            id: *id,
            data,
            expiry_date: OffsetDateTime::from_unix_timestamp(expires_at).map_err(|e| Error::Decode(e.to_string()))?,
        }))
    }

    async fn delete(&self, id: &Id) -> Result<()> {
        self.store.delete_session(&id.to_string()).await.map_err(backend)
    }
}
