//! An acknowledged event reaches the SQLite database file itself within moments, not only its
//! write-ahead log: a copy of the `.db` file alone — what a backup that forgets the `-wal` file
//! holds — has it. The WAL is checkpointed after writes by the store's own thread, not only when
//! it has grown past SQLite's threshold inside some later commit.

use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{new_id, spawn_demo};

/// Whether a copy of the database file alone (no `-wal`) holds the event `id`.
fn file_alone_holds(database: &str, id: &str) -> bool {
    let dir = tempfile::tempdir().expect("temp dir");
    let copy = dir.path().join("copy.db");
    std::fs::copy(database, &copy).expect("copy the database file");
    let connection = rusqlite::Connection::open(&copy).expect("open the copy");
    // A file whose schema is still only in the WAL has no `events` table: it holds nothing.
    connection
        .query_row("SELECT count(*) FROM events WHERE id = ?1", [id], |row| {
            row.get::<_, i64>(0)
        })
        .is_ok_and(|count| count == 1)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_acknowledged_event_reaches_the_sqlite_file_itself_within_seconds() {
    let app = spawn_demo("sqlite").await;
    let coop = app.veg().id;
    app.new_veg_lot("CN-BACKUP-01").await;
    let id = new_id();
    let (status, body) = app
        .post(
            &format!("/api/v1/cooperatives/{coop}/lots/CN-BACKUP-01/events"),
            &app.veg().leader,
            json!({ "id": id, "type": "irrigation", "occurred_at": "2026-10-05T17:00:00+07:00", "amount": "200 lít" }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert!(
        !file_alone_holds(&app.database_url, &new_id()),
        "an event never sent is not in the copy"
    );
    // A small write leaves the WAL far below SQLite's own 1,000-page threshold: only the
    // store's checkpointer copies it into the file.
    let deadline = Instant::now() + Duration::from_secs(10);
    while !file_alone_holds(&app.database_url, &id) {
        assert!(
            Instant::now() < deadline,
            "the event is still only in the WAL 10 s after it was acknowledged"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
