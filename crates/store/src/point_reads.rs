//! The scan path's reads on a SQLite file: one indexed query per request, run on read-only
//! connections of the store's own, synchronously on the request's thread.
//!
//! sqlx's SQLite driver runs each pooled connection on a thread of its own and hands every
//! statement and every row over channels; for a point read of a cached page that hand-off (thread
//! wake-ups, futexes, copies) costs several times the read itself. Here the request's thread
//! steps SQLite directly. Each statement runs outside any transaction, so it reads the latest
//! committed state, exactly as a pooled read would: in WAL mode a reader never waits for the
//! writer, and a committed write by this process, another process or a hand edit is seen by the
//! next read. PostgreSQL reads through the pool.

use std::path::Path;
use std::sync::{Arc, Mutex};

use rusqlite::types::Value;
use rusqlite::{Connection, OpenFlags, Row};

use crate::StoreError;

/// Connections kept idle at most; more are opened when more requests read at once, and closed
/// after. Requests read synchronously, so about one per worker thread is ever in use.
const MAX_IDLE: usize = 16;

/// Read-only connections to one SQLite file.
pub(crate) struct PointReads {
    path: Arc<Path>,
    idle: Mutex<Vec<Connection>>,
}

impl std::fmt::Debug for PointReads {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointReads")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

pub(crate) fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("reading the database: {e}"))
}

/// A statement built once by sea-query, with the places of the values that change per call.
#[derive(Debug)]
pub(crate) struct Prepared {
    sql: String,
    values: Vec<Value>,
    /// For each of `values`, which of the caller's values goes there, if any.
    given: Vec<Option<usize>>,
}

impl Prepared {
    /// `statement` as built with `markers` where the caller's values go (each must occur once
    /// among the statement's values and be unlike every other value).
    pub(crate) fn new(statement: sea_orm::Statement, markers: &[sea_orm::Value]) -> Result<Self, StoreError> {
        use sea_orm::sea_query::Value as V;
        let mut values = Vec::new();
        let mut given = Vec::new();
        for value in statement.values.map(|v| v.0).unwrap_or_default() {
            let marker = markers.iter().position(|m| *m == value);
            given.push(marker);
            values.push(match value {
                _ if marker.is_some() => Value::Null,
                V::String(Some(text)) => Value::Text(text),
                V::Int(Some(n)) => Value::Integer(n.into()),
                V::BigInt(Some(n)) => Value::Integer(n),
                other => {
                    return Err(StoreError::Corrupt(format!(
                        "unexpected value in a point read: {other:?}"
                    )));
                }
            });
        }
        if (0..markers.len()).any(|m| given.iter().filter(|g| **g == Some(m)).count() != 1) {
            return Err(StoreError::Corrupt("a point read lost one of its parameters".into()));
        }
        Ok(Self {
            sql: statement.sql,
            values,
            given,
        })
    }
}

impl PointReads {
    pub(crate) fn new(path: Arc<Path>) -> Self {
        Self {
            path,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(failed)?;
        // A reader waits only while a crashed writer's log is recovered.
        conn.busy_timeout(std::time::Duration::from_secs(5)).map_err(failed)?;
        Ok(conn)
    }

    /// The first row `statement` returns with `given` in its markers' places, made by `make`.
    pub(crate) fn one<T>(
        &self,
        statement: &Prepared,
        given: &[Value],
        make: impl FnOnce(&Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Option<T>, StoreError> {
        let taken = self.idle.lock().ok().and_then(|mut idle| idle.pop());
        let conn = match taken {
            Some(conn) => conn,
            None => self.open()?,
        };
        let result = (|| {
            let mut prepared = conn.prepare_cached(&statement.sql).map_err(failed)?;
            let params = statement
                .values
                .iter()
                .zip(&statement.given)
                .map(|(value, at)| at.and_then(|at| given.get(at)).unwrap_or(value));
            let mut rows = prepared.query(rusqlite::params_from_iter(params)).map_err(failed)?;
            match rows.next().map_err(failed)? {
                Some(row) => make(row).map(Some),
                None => Ok(None),
            }
        })();
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
        result
    }
}

/// A result row read by column name, from sea-orm or from a point read.
pub(crate) trait Columns {
    fn int(&self, name: &str) -> Result<Option<i64>, StoreError>;
    fn text(&self, name: &str) -> Result<Option<String>, StoreError>;
    fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// A column that may not be NULL.
    fn need_int(&self, name: &str) -> Result<i64, StoreError> {
        self.int(name)?.ok_or_else(|| null(name))
    }

    /// A text column that may not be NULL.
    fn need_text(&self, name: &str) -> Result<String, StoreError> {
        self.text(name)?.ok_or_else(|| null(name))
    }
}

fn null(name: &str) -> StoreError {
    StoreError::Corrupt(format!("{name} is NULL"))
}

impl Columns for sea_orm::QueryResult {
    fn int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        Ok(self.try_get("", name)?)
    }
    fn text(&self, name: &str) -> Result<Option<String>, StoreError> {
        Ok(self.try_get("", name)?)
    }
    fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.try_get("", name)?)
    }
}

impl Columns for Row<'_> {
    fn int(&self, name: &str) -> Result<Option<i64>, StoreError> {
        self.get(name).map_err(failed)
    }
    fn text(&self, name: &str) -> Result<Option<String>, StoreError> {
        self.get(name).map_err(failed)
    }
    fn bytes(&self, name: &str) -> Result<Option<Vec<u8>>, StoreError> {
        self.get(name).map_err(failed)
    }
}
