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
//!   fsync is done); if the COMMIT fails, every request in the group that was not refused hears
//!   that nothing of it was stored;
//! - a database error in one request (not a refusal: a full disk, an I/O error, which may end
//!   the whole transaction in SQLite) stops the group there: the transaction is rolled back, that
//!   request gets its error, those written before it hear that nothing was stored, and those
//!   not tried yet wait for the next group;
//! - requests are written in the order they arrived, so a second batch to a lot sees the
//!   first's events, as it would if written after it;
//! - a group holds at most [`MAX_GROUP_EVENTS`] events (a single larger request is written
//!   alone), so one waiting request is not held up by an unbounded backlog;
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

    /// Puts jobs back at the front of the queue, in their order.
    fn requeue(&self, jobs: impl DoubleEndedIterator<Item = (AppendJob, Reply)>) {
        if let Ok(mut waiting) = self.waiting.lock() {
            for job in jobs.rev() {
                waiting.jobs.push_front(job);
            }
        }
    }
}

/// Unless disarmed (the task ended because nothing waits, and `next_group` marked it stopped),
/// marks the writing task stopped and fails whatever still waits when the task ends otherwise —
/// a panic (a bug) or its runtime shutting down: each waiting caller hears "interrupted"
/// instead of waiting forever, and the next append starts a new task.
struct Writing<'a> {
    queue: &'a AppendQueue,
    armed: bool,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        if self.armed
            && let Ok(mut waiting) = self.queue.waiting.lock()
        {
            waiting.writing = false;
            waiting.jobs.clear();
        }
    }
}

/// A refusal (a rule broken, an id reused, a lot not found) is decided before or by a single
/// statement, which SQLite undoes alone: the transaction goes on. Any other error may have
/// ended the transaction itself (SQLite does on a full disk or an I/O error).
fn is_refusal(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Invalid(_) | StoreError::NotFound { .. } | StoreError::Conflict { .. }
    )
}

fn not_stored(why: &str) -> StoreError {
    StoreError::Unavailable(format!("{why}; nothing of this request was stored, send it again"))
}

impl Store {
    /// The writing task: groups of waiting appends, each in one transaction, until none waits.
    async fn write_appends(&self) {
        let Some(queue) = self.appends.as_deref() else {
            return;
        };
        let mut writing = Writing { queue, armed: true };
        loop {
            let lock = self.sqlite_lock().await;
            let group = queue.next_group();
            if group.is_empty() {
                writing.armed = false;
                return;
            }
            let guard = self.writing_under(lock);
            let txn = match self.begin_write().await {
                Ok(txn) => txn,
                Err(e) => {
                    drop(guard);
                    let why = format!("the database could not start the write ({e})");
                    for (_, reply) in group {
                        let _ = reply.send(Err(not_stored(&why)));
                    }
                    continue;
                }
            };
            let mut done = Vec::with_capacity(group.len());
            let mut jobs = group.into_iter();
            let mut broken = None;
            for (job, reply) in jobs.by_ref() {
                // A savepoint per job: a refused job's writes (a packed child lot, say) are
                // rolled back to it when the job drops it, and the transaction goes on.
                let outcome = match txn.begin().await {
                    Ok(savepoint) => job.run(self, savepoint).await,
                    Err(e) => Err(e.into()),
                };
                match outcome {
                    Err(error) if !is_refusal(&error) => {
                        broken = Some((reply, error));
                        break;
                    }
                    outcome => done.push((reply, outcome)),
                }
            }
            let committed = match broken {
                // The transaction may be gone: roll it back, fail the jobs written in it, and
                // put the ones not tried yet back for the next group.
                Some((reply, error)) => {
                    drop(txn);
                    let why = format!("a request written together with this one failed ({error})");
                    let _ = reply.send(Err(error));
                    queue.requeue(jobs);
                    Err(why)
                }
                None => txn
                    .commit()
                    .await
                    .map_err(|e| format!("the write could not be committed ({e})")),
            };
            drop(guard);
            for (reply, outcome) in done {
                let _ = reply.send(match (&committed, outcome) {
                    (Ok(()), outcome) => outcome,
                    // A refusal stays true whatever became of the others.
                    (Err(_), Err(refusal)) => Err(refusal),
                    (Err(why), Ok(_)) => Err(not_stored(why)),
                });
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use farm_log::{LotCode, PhoneNumber, Quantity, Region, Role, ShortText};
    use serde_json::json;

    use crate::{AppendItem, NewCooperative, NewLot, NewMember, NewPlot, NewProduct, Principal, Store, StoreError};

    fn text(s: &str) -> ShortText {
        ShortText::parse(s, "test").unwrap()
    }

    fn item(lot: &str, event: serde_json::Value) -> AppendItem {
        let mut event = event;
        event["id"] = json!(uuid::Uuid::new_v4());
        AppendItem {
            lot_code: lot.to_owned(),
            draft: farm_log::draft::parse_draft(&event, "").unwrap(),
        }
    }

    fn irrigation(day: u32) -> serde_json::Value {
        json!({ "type": "irrigation", "occurred_at": format!("2026-10-{day:02}T06:00:00+07:00"), "amount": "100 lít" })
    }

    /// A cooperative's leader and two lots on one plot, the second harvested.
    async fn farm(store: &Store) -> Principal {
        let (coop, _, token) = store
            .create_cooperative(
                NewCooperative {
                    name: text("HTX Thử"),
                    address: text("Thôn 1"),
                    province: text("Hà Nội"),
                    commune: text("Tây Tựu"),
                    phone: PhoneNumber::parse("0912000000", "phone").unwrap(),
                    region: Region::North,
                    gs1_company_prefix: None,
                    gln: None,
                },
                NewMember {
                    name: text("Nguyễn Văn Thử"),
                    phone: PhoneNumber::parse("0912000001", "phone").unwrap(),
                    role: Role::Leader,
                },
            )
            .await
            .unwrap();
        let principal = store.authenticate(&token.token).await.unwrap().unwrap();
        let plot = store
            .create_plot(
                coop.id,
                NewPlot {
                    name: text("Ruộng 1"),
                    area: Quantity::parse("1 ha", None, "area").unwrap(),
                    commune: text("Tây Tựu"),
                    location: None,
                    growing_area_code: None,
                },
            )
            .await
            .unwrap();
        let product = store
            .create_product(
                coop.id,
                NewProduct {
                    commodity: text("Cải ngọt"),
                    variety: None,
                    gtin: None,
                },
            )
            .await
            .unwrap();
        for code in ["L-1", "L-2"] {
            store
                .create_lot(
                    coop.id,
                    NewLot {
                        code: LotCode::parse(code, "code").unwrap(),
                        product_id: product.id,
                        plot_ids: vec![plot.id],
                    },
                )
                .await
                .unwrap();
        }
        let harvest = json!({ "type": "harvest", "occurred_at": "2026-10-01T07:00:00+07:00", "quantity": "500 kg" });
        store
            .append(&principal, vec![item("L-2", harvest)], false)
            .await
            .unwrap();
        principal
    }

    /// Three appends queued while another write holds the lock are written as one group: the
    /// refused one, which had already packed a child lot, leaves nothing; the two around it
    /// are stored, in order.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_group_keeps_its_good_requests_and_drops_all_of_a_refused_one() {
        let path = std::env::temp_dir().join(format!("nguon-appends-{}.db", uuid::Uuid::new_v4()));
        let store = Store::connect(path.to_str().unwrap()).await.unwrap();
        store.migrate().await.unwrap();
        let principal = farm(&store).await;
        let reused = item("L-1", irrigation(2));
        store.append(&principal, vec![reused.clone()], false).await.unwrap();

        let held = store.sqlite_lock().await;
        let first = vec![item("L-1", irrigation(3)), item("L-2", irrigation(3))];
        let packing = json!({ "type": "packing", "occurred_at": "2026-10-04T08:00:00+07:00",
                              "children": [ { "code": "L-2-A", "quantity": "10 kg" } ] });
        let mut other = reused.clone();
        other.draft.note = Some(farm_log::Note::parse("khác", "note").unwrap());
        let refused = vec![item("L-1", irrigation(4)), item("L-2", packing), other];
        let last = vec![item("L-2", irrigation(5))];
        let mut tasks = Vec::new();
        for items in [first, refused, last] {
            let (writer, principal) = (store.clone(), principal.clone());
            tasks.push(tokio::spawn(
                async move { writer.append(&principal, items, true).await },
            ));
            // Queued in this order.
            let queued = tasks.len();
            while store.appends.as_ref().unwrap().waiting.lock().unwrap().jobs.len() < queued {
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        }
        drop(held);
        let mut outcomes = Vec::new();
        for task in tasks {
            outcomes.push(task.await.unwrap());
        }
        assert_eq!(outcomes[0].as_ref().unwrap().len(), 2);
        match &outcomes[1] {
            Err(StoreError::Conflict { field, .. }) => assert_eq!(field, "events[2].id"),
            other => panic!("the reused id is refused: {other:?}"),
        }
        assert_eq!(outcomes[2].as_ref().unwrap().len(), 1);

        let coop = principal.cooperative_id;
        assert!(matches!(
            store.lot(coop, "L-2-A").await,
            Err(StoreError::NotFound { .. })
        ));
        let seqs = |events: Vec<crate::StoredEvent>| events.iter().map(|e| e.event.seq).collect::<Vec<_>>();
        assert_eq!(seqs(store.events(coop, "L-1").await.unwrap()), vec![1, 2]);
        assert_eq!(seqs(store.events(coop, "L-2").await.unwrap()), vec![1, 2, 3]);
        let l2 = store.lot(coop, "L-2").await.unwrap();
        assert_eq!(l2.event_count, 3);
        drop(store);
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
    }
}
