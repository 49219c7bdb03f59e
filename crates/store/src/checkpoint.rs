//! WAL checkpoints on a SQLite file, off the writer's path.
//!
//! In WAL mode a commit appends pages to the `-wal` file; a checkpoint copies them back into the
//! database file and syncs it. SQLite's automatic checkpoint runs inside the commit that takes
//! the WAL past 1,000 pages, on the writing connection, so append batches waited behind it in
//! turn (16 % of the writing thread in the growth benchmark, `docs/performance.md`), and a page
//! that every batch changes (an index's) was copied and synced again every 1,000 pages.
//!
//! The writing connections checkpoint only at [`WRITER_BOUND`] pages; that is what makes
//! appends faster (at the SQL level, 100-row transactions ran ~1.8× as fast). So that the
//! database file does not lag the WAL by up to that much — a backup of the `.db` file, a crash
//! recovery that must replay the WAL, readers looking pages up in a long WAL — a thread of the
//! store's own, on a connection of its own, checkpoints in `PASSIVE` mode a moment after writes:
//! it copies pages while the writer goes on (a passive checkpoint never blocks a writer or a
//! reader, and never waits for one).
//!
//! A passive checkpoint cannot copy pages committed after it began, and SQLite starts the WAL
//! over only once every page in it has been copied; under writes that never pause that moment
//! may not come. Then the commit that takes the WAL to `WRITER_BOUND` pages copies what this
//! thread has not yet copied (a few hundred milliseconds of writes) and the WAL starts over: it
//! stays under about `WRITER_BOUND` pages whatever the load.

use std::path::Path;
use std::sync::mpsc::{Receiver, SyncSender, TryRecvError};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Pages in the WAL at which a writing connection checkpoints itself (SQLite's default is 1,000;
/// 10,000 pages of 4 KiB is 40 MiB of WAL at most).
pub const WRITER_BOUND: u32 = 10_000;

/// How long the checkpointer waits after a write before it checkpoints, so that the writes of
/// a busy moment are copied together (one sync of the database file for all of them).
const GATHER: Duration = Duration::from_millis(200);

/// The store's handle on its checkpointing thread; the thread ends when the last handle (the
/// last clone of the store) is dropped.
#[derive(Debug)]
pub(crate) struct Checkpointer {
    wake: SyncSender<()>,
}

impl Checkpointer {
    /// Opens a connection to `path` and starts the thread that checkpoints through it.
    pub(crate) fn start(path: &Path) -> Result<Self, StoreError> {
        let unavailable =
            |e: &dyn std::fmt::Display| StoreError::Unavailable(format!("checkpointing {}: {e}", path.display()));
        let connection = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(|e| unavailable(&e))?;
        // The database file is synced after each checkpoint, as the writers' commits are.
        connection
            .execute_batch("PRAGMA synchronous = FULL;")
            .map_err(|e| unavailable(&e))?;
        let (wake, woken) = std::sync::mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("nguon-checkpoint".into())
            .spawn(move || run(&connection, &woken))
            .map_err(|e| unavailable(&e))?;
        Ok(Self { wake })
    }

    /// Tells the thread that a write committed. Never waits: a wake-up already pending covers
    /// this write too.
    pub(crate) fn wrote(&self) {
        let _ = self.wake.try_send(());
    }
}

fn run(connection: &Connection, woken: &Receiver<()>) {
    while woken.recv().is_ok() {
        std::thread::sleep(GATHER);
        let last = matches!(woken.try_recv(), Err(TryRecvError::Disconnected));
        // A checkpoint already running (another process's, on the same file) makes this one
        // return at once and leaves the work to that one.
        if let Err(e) = connection.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %e, "WAL checkpoint failed; SQLite's own checkpoint will copy the pages");
        }
        if last {
            break;
        }
    }
}
