//! Group commit of appends on SQLite: batches that arrive while another is being written are
//! written together, each in a savepoint of one transaction, and committed once.
//!
//! SQLite has one writer. While one batch holds it, the others wait; without grouping each of
//! them then pays a whole transaction of its own: BEGIN, taking the write lock, COMMIT with its
//! fsync, and a WAL frame for every page it touched, though the lot rows, the lots' checks and
//! the tail pages of the events table and its indexes are the same pages the batch before
//! wrote. Here one task writes whatever is waiting:
//!
//! - each request is still all-or-nothing: it runs in a savepoint, and a request that fails
//!   (a rule broken, an id reused) rolls back to its savepoint alone, its error going to its
//!   caller while the others in the group are kept;
//! - no caller hears "stored" before the group's COMMIT has returned (synchronous=FULL, so the
//!   fsync is done); if the COMMIT fails, every request in the group gets the failure and none
//!   of them is stored;
//! - requests are written in the order they arrived, so a second batch to a lot sees the
//!   first's events, as it would if written after it;
//! - a group holds at most [`MAX_GROUP_EVENTS`] events, so one waiting request is not held up
//!   by an unbounded backlog;
//! - the writing task is spawned, so a caller that goes away (a phone losing signal mid-sync)
//!   does not roll back the others' work; its own batch is stored, and its re-send is answered
//!   as already stored, by event id.
//!
//! PostgreSQL has no single writer, and its commits already share their WAL flushes, so there
//! each request writes its own transaction.

use std::collections::VecDeque;
use std::sync::Mutex;

use sea_orm::TransactionTrait;
use tokio::sync::oneshot;

use crate::events::{AppendJob, AppendOutcome};
use crate::{Store, StoreError};

/// The most events one group commit writes (whole requests: a single larger request, up to
/// the API's 500 events, is written alone).
pub(crate) const MAX_GROUP_EVENTS: usize = 1_000;

type Reply = oneshot::Sender<Result<Vec<AppendOutcome>, StoreError>>;

#[derive(Default)]
struct Waiting {
    jobs: VecDeque<(AppendJob, Reply)>,
    /// Whether a task is writing (and will look at `jobs` again before it stops).
    writing: bool,
}

/// Appends waiting to be written on a SQLite database.
#[derive(Default)]
pub(crate) struct AppendQueue {
    waiting: Mutex<Waiting>,
}

impl std::fmt::Debug for AppendQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppendQueue").finish_non_exhaustive()
    }
}

fn interrupted() -> StoreError {
    StoreError::Unavailable(
        "the write was interrupted; send the request again (events already stored are answered as stored)".into(),
    )
}

impl AppendQueue {
    /// Queues `job`, starts a writing task if none is running, and waits for the job's outcome.
    pub(crate) async fn submit(&self, store: &Store, job: AppendJob) -> Result<Vec<AppendOutcome>, StoreError> {
        let (reply, outcome) = oneshot::channel();
        let start = {
            let mut waiting = self.waiting.lock().map_err(|_| interrupted())?;
            waiting.jobs.push_back((job, reply));
            !std::mem::replace(&mut waiting.writing, true)
        };
        if start {
            let store = store.clone();
            tokio::spawn(async move { store.write_appends().await });
        }
        outcome.await.unwrap_or_else(|_| Err(interrupted()))
    }

    /// The next group in arrival order: whole jobs up to [`MAX_GROUP_EVENTS`] events (at least
    /// one job). Empty means nothing waits, and the writing task has been marked stopped.
    fn next_group(&self) -> Vec<(AppendJob, Reply)> {
        let Ok(mut waiting) = self.waiting.lock() else {
            return Vec::new();
        };
        let mut group = Vec::new();
        let mut events = 0usize;
        while let Some((job, _)) = waiting.jobs.front() {
            if !group.is_empty() && events.saturating_add(job.len()) > MAX_GROUP_EVENTS {
                break;
            }
            events = events.saturating_add(job.len());
            group.extend(waiting.jobs.pop_front());
        }
        if group.is_empty() {
            waiting.writing = false;
        }
        group
    }
}

/// If the writing task ends by a panic (a bug), marks it stopped and fails whatever still
/// waits: each waiting caller hears "interrupted" instead of waiting forever, and the next
/// append starts a new task. (A task that ends normally was marked stopped by `next_group`.)
struct Writing<'a>(&'a AppendQueue);

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if std::thread::panicking()
            && let Ok(mut waiting) = self.0.waiting.lock()
        {
            waiting.writing = false;
            waiting.jobs.clear();
        }
    }
}

impl Store {
    /// The writing task: groups of waiting appends, each in one transaction, until none waits.
    async fn write_appends(&self) {
        let Some(queue) = self.appends.as_deref() else {
            return;
        };
        let _writing = Writing(queue);
        loop {
            let guard = self.write_guard().await;
            let group = queue.next_group();
            if group.is_empty() {
                return;
            }
            let mut replies = Vec::with_capacity(group.len());
            let committed = match self.begin_write().await {
                Ok(txn) => {
                    for (job, reply) in group {
                        let outcome = match txn.begin().await {
                            Ok(savepoint) => job.run(self, savepoint).await,
                            Err(e) => Err(e.into()),
                        };
                        replies.push((reply, outcome));
                    }
                    txn.commit().await.map_err(StoreError::from)
                }
                Err(e) => {
                    replies.extend(group.into_iter().map(|(_, reply)| (reply, Ok(Vec::new()))));
                    Err(e)
                }
            };
            drop(guard);
            match committed {
                Ok(()) => {
                    for (reply, outcome) in replies {
                        let _ = reply.send(outcome);
                    }
                }
                Err(e) => {
                    let message = format!("the write could not be committed ({e}); nothing of this request was stored");
                    for (reply, _) in replies {
                        let _ = reply.send(Err(StoreError::Unavailable(message.clone())));
                    }
                }
            }
        }
    }
}
