//! Nguồn's persistence on SQLite (the embedded default) or PostgreSQL, through sea-orm.
//!
//! This is the only crate that knows sea-orm. It maps rows to `farm-log` types and back, runs
//! migrations, serializes appends to a lot so its chain stays linear, and makes appends
//! idempotent by event id.

mod accounts;
mod admin;
mod appends;
mod checkpoint;
mod entities;
mod error;
mod events;
mod explain;
mod exports;
mod import;
mod integrity;
mod labels;
mod listings;
mod lots;
mod packs;
mod pages;
mod point_reads;
mod public;
mod records;
mod registry;
mod scan;
mod season;
mod snapshots;
mod verify;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use migration::{Migrator, MigratorTrait};
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{ConnectOptions, Database, DatabaseConnection, DbBackend};

pub use accounts::{LOCKOUT_MINUTES, MAX_FAILED_LOGINS, SignIn};
/// The WAL size, in pages, at which a writing connection checkpoints itself on SQLite.
pub use checkpoint::WRITER_BOUND as SQLITE_WRITER_CHECKPOINT_PAGES;
pub use error::StoreError;
pub use events::{AppendItem, AppendOutcome, MergeInput, MergeRequest};
pub use explain::QueryPlan;
pub use exports::ExportLot;
pub use import::{
    DiaryImportContext, DiaryImportFailure, DiaryImportReport, DiaryRowProblem, ImportProgress, ImportReport,
    NoProgress,
};
pub use integrity::{LotIntegrity, Reason};
pub use labels::{CooperativeKey, IssueRequest, IssuedLabel, LabelBatch, MAX_LABELS_PER_BATCH};
pub use listings::{Listing, ListingLot, ListingVersion, NewMovement, StockMovement};
pub use packs::same_pack;
pub use public::{
    LotSummary, NewMedia, PUBLIC_LOTS_LISTED, ParentHistory, PublicCooperative, PublicLot, RecallNotice, StoredMedia,
};
pub use records::*;
pub use scan::{BatchView, CatalogStamp, LotMark, LotStamp, ScannedLabel};
pub use season::{InputUsage, LotOverview, LotPack, MemberDetails, Shipment};
pub use verify::{BatchVerification, LotVerification, VerifyProgress, VerifyReport};

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: DatabaseConnection,
    /// SQLite allows one writer at a time; taking this lock before a write transaction turns
    /// lock-upgrade failures ("database is locked") into orderly waiting.
    sqlite_writer: Arc<tokio::sync::Mutex<()>>,
    banned: Arc<farm_log::BannedList>,
    /// Label scans counted since the last flush.
    scans: Arc<labels::ScanBuffer>,
    /// Bumped after every write that can change what a page shows (scan flushes excepted), so
    /// callers can cache what they read and know when to read again.
    generation: Arc<AtomicU64>,
    /// What the last background re-verification found altered (a digest of it).
    last_reverify: Arc<std::sync::Mutex<Option<[u8; 32]>>>,
    /// How many lots whole-database verification holds at once (see [`Store::verify_all`]).
    verify_window: u64,
    /// The key that seals kept public records (`snapshots.rs`); never stored in the database.
    seal_key: [u8; 32],
    /// Kept public records written at once, beside the requests that built them.
    snapshot_writes: Arc<tokio::sync::Semaphore>,
    /// The SQLite database's file, when it is one: whole-database verification reads its
    /// events there on connections of its own (`verify.rs`).
    sqlite_file: Option<Arc<std::path::Path>>,
    /// On a SQLite file, the scan's and the lot page's one query run on read-only connections
    /// of their own (`point_reads.rs`).
    scan_reads: Option<Arc<scan::ScanReads>>,
    /// Label pages waiting to be kept (`pages.rs`).
    pages: Arc<pages::PageWrites>,
    /// On a SQLite file, the thread that checkpoints the WAL after writes (`checkpoint.rs`).
    checkpointer: Option<Arc<checkpoint::Checkpointer>>,
    /// On SQLite, appends waiting to be written together (`appends.rs`).
    appends: Option<Arc<appends::AppendQueue>>,
}

/// Held for the length of a write: the single-writer lock on SQLite, and on drop a bump of the
/// store's generation and a wake-up of the WAL checkpointer.
pub(crate) struct WriteGuard<'a> {
    _sqlite: Option<tokio::sync::MutexGuard<'a, ()>>,
    generation: Option<&'a AtomicU64>,
    checkpointer: Option<&'a checkpoint::Checkpointer>,
}

impl Drop for WriteGuard<'_> {
    fn drop(&mut self) {
        if let Some(generation) = self.generation {
            generation.fetch_add(1, Ordering::Release);
        }
        if let Some(checkpointer) = self.checkpointer {
            checkpointer.wrote();
        }
    }
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend_name())
            .finish_non_exhaustive()
    }
}

/// Turns `./nguon.db`, `sqlite:…` or `postgres://…` into a URL sea-orm accepts.
pub fn normalize_database_url(url: &str) -> String {
    if url.starts_with("postgres://") || url.starts_with("postgresql://") || url.starts_with("sqlite:") {
        url.to_owned()
    } else {
        format!("sqlite://{url}?mode=rwc")
    }
}

/// The file of a `sqlite:` URL, unless it names an in-memory database.
fn sqlite_file(url: &str) -> Option<Arc<std::path::Path>> {
    let rest = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:"))?;
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let in_memory = path.is_empty() || path == ":memory:" || query.split('&').any(|pair| pair == "mode=memory");
    let path = std::path::Path::new(path);
    (!in_memory && path.is_file()).then(|| Arc::from(path))
}

impl Store {
    /// Connects to SQLite (WAL, foreign keys on, synchronous=FULL so commits survive power loss)
    /// or PostgreSQL, by the URL's scheme. On SQLite, temporary storage is kept in memory: a
    /// multi-row insert inside a transaction (an append batch) keeps a statement journal of
    /// every page it touches, which SQLite otherwise spills to a temporary file past 64 KiB —
    /// written on every batch (docs/performance.md, "Statement journals"). In memory it holds
    /// the pages one statement touches, or, for appends written together in savepoints
    /// (`appends.rs`), the pages the group touches (at most 1,000 events: a few MB). On a
    /// SQLite file, a thread of the store's own checkpoints the WAL after writes, so that
    /// commits do not wait for it (`checkpoint.rs`).
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let url = normalize_database_url(url);
        let mut options = ConnectOptions::new(url.clone());
        options
            .sqlx_logging(false)
            .connect_timeout(Duration::from_secs(10))
            .acquire_timeout(Duration::from_secs(30));
        if url.starts_with("sqlite:") {
            options.max_connections(8).map_sqlx_sqlite_opts(|o| {
                o.journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full)
                    .foreign_keys(true)
                    .busy_timeout(Duration::from_secs(30))
                    .pragma("temp_store", "memory")
                    .pragma("wal_autocheckpoint", checkpoint::WRITER_BOUND.to_string())
                    .create_if_missing(true)
            });
        } else {
            options.max_connections(16);
        }
        let db = Database::connect(options)
            .await
            .map_err(|e| StoreError::Unavailable(e.to_string()))?;
        let scans = Arc::new(labels::ScanBuffer::default());
        let sqlite_file = sqlite_file(&url);
        let scan_reads = match &sqlite_file {
            Some(path) => Some(Arc::new(scan::ScanReads::new(path.clone(), &scans.process)?)),
            None => None,
        };
        let checkpointer = match &sqlite_file {
            Some(path) => Some(Arc::new(checkpoint::Checkpointer::start(path)?)),
            None => None,
        };
        let appends = (db.get_database_backend() == DbBackend::Sqlite).then(Arc::default);
        Ok(Self {
            db,
            sqlite_writer: Arc::new(tokio::sync::Mutex::new(())),
            banned: Arc::new(farm_log::BannedList::vietnam()),
            scans,
            generation: Arc::new(AtomicU64::new(0)),
            last_reverify: Arc::new(std::sync::Mutex::new(None)),
            verify_window: verify::WINDOW,
            seal_key: snapshots::random_key(),
            snapshot_writes: Arc::new(tokio::sync::Semaphore::new(snapshots::WRITERS)),
            sqlite_file,
            scan_reads,
            pages: Arc::default(),
            checkpointer,
            appends,
        })
    }

    /// This store, sealing the public records it keeps with a key derived from `secret`, so
    /// that they outlive the process and serve every replica given the same secret. Without
    /// one, each process seals with a random key: records kept by another process, or before
    /// a restart, are rebuilt on first use.
    #[must_use]
    pub fn sealing_with(mut self, secret: &str) -> Self {
        self.seal_key = snapshots::key_from(secret);
        self
    }

    /// This store, verifying the whole database `lots` lots at a time (at least one; the
    /// default holds 10,000): fewer hold less in memory and make more queries.
    #[must_use]
    pub fn verifying_in_windows_of(mut self, lots: u64) -> Self {
        self.verify_window = lots.max(1);
        self
    }

    /// Applies every pending migration.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None).await.map_err(StoreError::from)
    }

    /// "sqlite" or "postgres".
    pub fn backend_name(&self) -> &'static str {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => "sqlite",
            DbBackend::Postgres => "postgres",
            _ => "other",
        }
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.map_err(StoreError::from)
    }

    /// The banned-ingredient list the store validates against.
    pub fn banned(&self) -> &farm_log::BannedList {
        &self.banned
    }

    /// Takes the single-writer lock on SQLite (PostgreSQL locks rows instead); when the guard
    /// is dropped, the generation moves on.
    async fn write_guard(&self) -> WriteGuard<'_> {
        self.writing_under(self.sqlite_lock().await)
    }

    /// The write guard over a single-writer lock already taken (`appends.rs` takes it first,
    /// to see whether anything waits before it counts as a write).
    fn writing_under<'a>(&'a self, lock: Option<tokio::sync::MutexGuard<'a, ()>>) -> WriteGuard<'a> {
        WriteGuard {
            _sqlite: lock,
            generation: Some(&self.generation),
            checkpointer: self.checkpointer.as_deref(),
        }
    }

    /// Begins a transaction that will write. On SQLite it takes the database's write lock at
    /// once (a no-op UPDATE), so that another process writing to the same file makes it wait
    /// (`busy_timeout`) instead of both reading first and one failing to upgrade ("database is
    /// locked") — the in-process writer lock cannot see other processes.
    pub(crate) async fn begin_write(&self) -> Result<sea_orm::DatabaseTransaction, StoreError> {
        use sea_orm::{ConnectionTrait, TransactionTrait};
        let txn = self.db.begin().await?;
        if self.db.get_database_backend() == DbBackend::Sqlite {
            txn.execute_unprepared("UPDATE integrity SET epoch = epoch WHERE 0")
                .await?;
        }
        Ok(txn)
    }

    /// The single-writer lock alone, for writes no page shows (scan counts).
    async fn quiet_write_guard(&self) -> WriteGuard<'_> {
        WriteGuard {
            _sqlite: self.sqlite_lock().await,
            generation: None,
            checkpointer: self.checkpointer.as_deref(),
        }
    }

    async fn sqlite_lock(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self.db.get_database_backend() {
            DbBackend::Sqlite => Some(self.sqlite_writer.lock().await),
            _ => None,
        }
    }

    /// A number that changes after every write this store made that a page could show. Data
    /// read after observing generation `g` is current until the generation differs from `g`
    /// (writes by other processes, or by hand, are not seen: cache with a time limit too).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// The raw connection, for tests and benchmarks that must reach under the API (e.g. to
    /// tamper with a stored event).
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }
}

/// The current time in Vietnam (+07:00), as every server timestamp is stored.
pub fn now() -> chrono::DateTime<chrono::FixedOffset> {
    chrono::Utc::now().with_timezone(&farm_log::VIETNAM_OFFSET)
}

/// The stored text of a timestamp.
pub(crate) fn timestamp_text(at: &chrono::DateTime<chrono::FixedOffset>) -> String {
    farm_log::canonical::canonical_datetime(at)
}
