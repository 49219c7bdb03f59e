//! Whole-database verification's reads on a SQLite file: a read-only connection of each
//! range's own, in one read transaction, so every row a range checks comes from one snapshot and
//! none crosses the pool's worker thread (which hands every row over a channel and copies each
//! value twice: several times the cost of reading it here). PostgreSQL reads through the pool.

use std::path::Path;

use rusqlite::{Connection, OpenFlags, Row};

use crate::StoreError;
use crate::entities::{events, lot_parents, lots};

/// A read transaction on a connection of its own to the SQLite file.
pub(super) struct Reader {
    conn: Connection,
}

fn failed(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(format!("reading the database for verification: {e}"))
}

impl Reader {
    /// Opens `path` read-only and starts a read transaction (its snapshot is taken at the first
    /// read).
    pub(super) fn open(path: &Path) -> Result<Self, StoreError> {
        let conn =
            Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX)
                .map_err(failed)?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).map_err(failed)?;
        conn.execute_batch("BEGIN").map_err(failed)?;
        Ok(Self { conn })
    }

    /// Every row `sql` returns for `params`, each made by `make`.
    fn all<T, P: rusqlite::Params>(
        &self,
        sql: &str,
        params: P,
        make: impl FnMut(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>, StoreError> {
        let mut statement = self.conn.prepare(sql).map_err(failed)?;
        let rows = statement.query_map(params, make).map_err(failed)?;
        rows.collect::<Result<_, _>>().map_err(failed)
    }

    /// Every lot's id, cooperative, code and event count, by id.
    pub(super) fn lot_names(&self) -> Result<Vec<(i64, i64, String, i64)>, StoreError> {
        self.all(
            "SELECT id, cooperative_id, code, event_count FROM lots ORDER BY id",
            [],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?, row.get(3)?)),
        )
    }

    /// The rows of lots `first..=last`, by id.
    pub(super) fn lots(&self, first: i64, last: i64) -> Result<Vec<lots::Model>, StoreError> {
        self.all(
            "SELECT id, cooperative_id, code, product_id, status, created_at, genesis, head, event_count, \
             revision FROM lots WHERE id BETWEEN ?1 AND ?2 ORDER BY id",
            [first, last],
            |row| {
                Ok(lots::Model {
                    id: row.get(0)?,
                    cooperative_id: row.get(1)?,
                    code: row.get(2)?,
                    product_id: row.get(3)?,
                    status: row.get(4)?,
                    created_at: row.get(5)?,
                    genesis: row.get(6)?,
                    head: row.get(7)?,
                    event_count: row.get(8)?,
                    revision: row.get(9)?,
                })
            },
        )
    }

    /// The (lot, plot) pairs of lots `first..=last`.
    pub(super) fn plots(&self, first: i64, last: i64) -> Result<Vec<(i64, i64)>, StoreError> {
        self.all(
            "SELECT lot_id, plot_id FROM lot_plots WHERE lot_id BETWEEN ?1 AND ?2",
            [first, last],
            |row| Ok((row.get(0)?, row.get(1)?)),
        )
    }

    /// The parent links of lots `first..=last`.
    pub(super) fn parents(&self, first: i64, last: i64) -> Result<Vec<lot_parents::Model>, StoreError> {
        self.all(
            "SELECT child_lot_id, parent_lot_id, parent_head, quantity_value, quantity_unit, via_event_id \
             FROM lot_parents WHERE child_lot_id BETWEEN ?1 AND ?2",
            [first, last],
            |row| {
                Ok(lot_parents::Model {
                    child_lot_id: row.get(0)?,
                    parent_lot_id: row.get(1)?,
                    parent_head: row.get(2)?,
                    quantity_value: row.get(3)?,
                    quantity_unit: row.get(4)?,
                    via_event_id: row.get(5)?,
                })
            },
        )
    }

    /// Streams the events of lots `first..=last` in (lot, seq) order to `each`, one row at a
    /// time in the same buffers.
    pub(super) fn events(
        &self,
        first: i64,
        last: i64,
        mut each: impl FnMut(&events::Model) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut statement = self
            .conn
            .prepare(
                "SELECT id, lot_id, seq, kind, occurred_at, recorded_at, actor_member_id, note, lat_micro, \
                 lon_micro, body, head, content_digest, photos FROM events \
                 WHERE lot_id BETWEEN ?1 AND ?2 ORDER BY lot_id, seq",
            )
            .map_err(failed)?;
        let mut rows = statement.query([first, last]).map_err(failed)?;
        let mut event = events::Model {
            id: String::new(),
            lot_id: 0,
            seq: 0,
            kind: String::new(),
            occurred_at: String::new(),
            recorded_at: String::new(),
            actor_member_id: 0,
            note: None,
            lat_micro: None,
            lon_micro: None,
            body: String::new(),
            head: String::new(),
            content_digest: String::new(),
            photos: None,
        };
        while let Some(row) = rows.next().map_err(failed)? {
            text_into(row, 0, &mut event.id)?;
            event.lot_id = row.get(1).map_err(failed)?;
            event.seq = row.get(2).map_err(failed)?;
            text_into(row, 3, &mut event.kind)?;
            text_into(row, 4, &mut event.occurred_at)?;
            text_into(row, 5, &mut event.recorded_at)?;
            event.actor_member_id = row.get(6).map_err(failed)?;
            optional_text_into(row, 7, &mut event.note)?;
            event.lat_micro = row.get(8).map_err(failed)?;
            event.lon_micro = row.get(9).map_err(failed)?;
            text_into(row, 10, &mut event.body)?;
            text_into(row, 11, &mut event.head)?;
            text_into(row, 12, &mut event.content_digest)?;
            optional_text_into(row, 13, &mut event.photos)?;
            each(&event)?;
        }
        Ok(())
    }
}

/// Copies a text column into `out`, reusing its buffer.
fn text_into(row: &Row<'_>, column: usize, out: &mut String) -> Result<(), StoreError> {
    let value = row
        .get_ref(column)
        .and_then(|v| v.as_str().map_err(rusqlite::Error::from))
        .map_err(|e| StoreError::Corrupt(format!("event column {column}: {e}")))?;
    out.clear();
    out.push_str(value);
    Ok(())
}

/// Copies a nullable text column into `out`, reusing its buffer.
fn optional_text_into(row: &Row<'_>, column: usize, out: &mut Option<String>) -> Result<(), StoreError> {
    let value = row
        .get_ref(column)
        .and_then(|v| v.as_str_or_null().map_err(rusqlite::Error::from))
        .map_err(|e| StoreError::Corrupt(format!("event column {column}: {e}")))?;
    match (value, out.as_mut()) {
        (None, _) => *out = None,
        (Some(value), Some(buffer)) => {
            buffer.clear();
            buffer.push_str(value);
        }
        (Some(value), None) => *out = Some(value.to_owned()),
    }
    Ok(())
}
