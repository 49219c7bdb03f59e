//! Storage benchmarks for the foundation (figures go in `docs/performance.md`):
//!
//! 1. durable batch append with hash chaining through `Store::append`, on SQLite and PostgreSQL,
//!    and the ratio to loading the very same rows with the database's own CLI (`sqlite3`, `psql`)
//!    in one transaction;
//! 2. `nguon verify` (the real binary) over a SQLite database of ≥ 1,000,000 events.
//!
//! Run with `cargo bench -p nguon --bench storage`. Knobs (environment):
//! `NGUON_BENCH_APPEND_EVENTS` (default 50,000, 0 skips), `NGUON_BENCH_VERIFY_EVENTS` (default
//! 1,000,000, 0 skips), `NGUON_BENCH_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`), `NGUON_BENCH_DIR` (keep the filled verification
//! database there and reuse it on the next run).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{Farm, draft, env_usize, farm, have};

use sea_orm::{ConnectionTrait, Database};
use store::{AppendItem, Store};

const APPEND_GOAL: f64 = 5_000.0;
const VERIFY_GOAL: f64 = 200_000.0;
const EVENTS_PER_LOT: usize = 1_000;
const BATCH: usize = 500;

/// Appends `events` events, `EVENTS_PER_LOT` per lot, in batches of `BATCH` (the API's batch
/// size). Returns the time spent in `Store::append` only.
async fn append_all(store: &Store, farm: &Farm, events: usize) -> Duration {
    let mut spent = Duration::ZERO;
    let mut done = 0;
    for code in &farm.lots {
        let mut n = 0;
        while n < EVENTS_PER_LOT && done < events {
            let size = BATCH.min(EVENTS_PER_LOT - n).min(events - done);
            let items: Vec<AppendItem> = (n..n + size)
                .map(|i| AppendItem {
                    lot_code: code.clone(),
                    draft: draft(farm.fertilizer, i),
                })
                .collect();
            let started = Instant::now();
            store.append(&farm.principal, items, true).await.unwrap();
            spent += started.elapsed();
            n += size;
            done += size;
        }
    }
    spent
}

fn rate(events: usize, spent: Duration) -> f64 {
    events as f64 / spent.as_secs_f64()
}

fn report(what: &str, events: usize, spent: Duration, goal: Option<f64>) -> f64 {
    let per_second = rate(events, spent);
    let goal = goal
        .map(|g| format!("  goal ≥ {g:.0}/s, ratio to goal {:.2}", per_second / g))
        .unwrap_or_default();
    println!(
        "{what:<44} {events:>9} events in {:>8.3} s = {per_second:>9.0} events/s{goal}",
        spent.as_secs_f64()
    );
    per_second
}

fn run(command: &mut Command) -> Duration {
    let started = Instant::now();
    let output = command.output().expect("the tool runs");
    let spent = started.elapsed();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    spent
}

async fn sqlite_append(dir: &Path, events: usize) {
    let path = dir.join("append.db");
    let store = Store::connect(path.to_str().unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    let farm = farm(&store, events.div_ceil(EVENTS_PER_LOT), "B").await;
    let spent = append_all(&store, &farm, events).await;
    let ours = report(
        "SQLite  Store::append (WAL, synchronous=FULL)",
        events,
        spent,
        Some(APPEND_GOAL),
    );
    drop(store);

    if !have("sqlite3") {
        eprintln!("SKIPPED the sqlite3 CLI baseline: sqlite3 not found (apt-get install sqlite3)");
        return;
    }
    // The same rows, as INSERT statements dumped by sqlite3 itself, into an events table with
    // the same schema and indexes, in one transaction with the same durability settings.
    let schema = Command::new("sqlite3")
        .arg(&path)
        .arg(".schema events")
        .output()
        .unwrap();
    let inserts = Command::new("sqlite3")
        .arg(&path)
        .arg(".mode insert events")
        .arg("SELECT * FROM events ORDER BY lot_id, seq")
        .output()
        .unwrap();
    let script = dir.join("baseline.sql");
    let mut sql = b"PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n".to_vec();
    sql.extend_from_slice(&schema.stdout);
    sql.extend_from_slice(b"BEGIN;\n");
    sql.extend_from_slice(&inserts.stdout);
    sql.extend_from_slice(b"COMMIT;\n");
    std::fs::write(&script, sql).unwrap();
    let baseline = dir.join("baseline.db");
    let spent = run(Command::new("sqlite3")
        .arg(&baseline)
        .arg(format!(".read {}", script.display())));
    let theirs = report("SQLite  sqlite3 CLI, same rows, one transaction", events, spent, None);
    println!("SQLite  ratio Store::append / sqlite3 CLI: {:.3}", ours / theirs);
}

async fn postgres_append(admin_url: &str, events: usize) {
    let Ok(admin) = Database::connect(admin_url).await else {
        eprintln!("SKIPPED PostgreSQL: no server at {admin_url}");
        return;
    };
    let name = format!("nguon_bench_{}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = match admin_url.rsplit_once('/') {
        Some((server, _)) => format!("{server}/{name}"),
        None => unreachable!("a postgres URL has a path"),
    };
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let farm = farm(&store, events.div_ceil(EVENTS_PER_LOT), "B").await;
    let spent = append_all(&store, &farm, events).await;
    let ours = report("Postgres Store::append", events, spent, Some(APPEND_GOAL));
    drop(store);

    if have("psql") && have("pg_dump") {
        // Same rows into a table with the same columns, defaults and indexes, loaded by psql from
        // pg_dump's INSERT statements in one transaction.
        run(Command::new("psql").args([&url, "-qc", "CREATE TABLE bench_events (LIKE events INCLUDING ALL)"]));
        let dump = Command::new("pg_dump")
            .args(["--data-only", "--inserts", "--table=events", &url])
            .output()
            .unwrap();
        let sql = String::from_utf8(dump.stdout)
            .unwrap()
            .replace("INSERT INTO public.events ", "INSERT INTO public.bench_events ");
        let script = std::env::temp_dir().join(format!("{name}.sql"));
        std::fs::write(&script, sql).unwrap();
        let spent = run(Command::new("psql").args([&url, "-q", "-1", "-f", script.to_str().unwrap()]));
        let theirs = report("Postgres psql, same rows, one transaction", events, spent, None);
        println!("Postgres ratio Store::append / psql: {:.3}", ours / theirs);
        let _ = std::fs::remove_file(script);
    } else {
        eprintln!("SKIPPED the psql baseline: psql/pg_dump not found (apt-get install postgresql-client)");
    }
    let settings = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            "SELECT current_setting('fsync') || ' / ' || current_setting('synchronous_commit')",
        ))
        .await
        .ok()
        .flatten()
        .and_then(|row| row.try_get_by_index::<String>(0).ok())
        .unwrap_or_default();
    println!("Postgres fsync / synchronous_commit: {settings}");
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

async fn verify_throughput(dir: &Path, events: usize) {
    let path = dir.join(format!("verify-{events}.db"));
    if path.exists() {
        println!("(reusing {})", path.display());
    } else {
        let store = Store::connect(path.to_str().unwrap()).await.unwrap();
        store.migrate().await.unwrap();
        let farm = farm(&store, events.div_ceil(EVENTS_PER_LOT), "B").await;
        let started = Instant::now();
        append_all(&store, &farm, events).await;
        println!(
            "(filled {} lots with {events} events in {:.1} s)",
            farm.lots.len(),
            started.elapsed().as_secs_f64()
        );
    }
    let spent = run(Command::new(env!("CARGO_BIN_EXE_nguon"))
        .args(["--database", path.to_str().unwrap(), "verify"])
        .env("NO_COLOR", "1"));
    report(
        "SQLite  `nguon verify` (whole process)",
        events,
        spent,
        Some(VERIFY_GOAL),
    );
}

#[tokio::main]
async fn main() {
    // `cargo bench` passes `--bench`; ignore arguments.
    let append_events = env_usize("NGUON_BENCH_APPEND_EVENTS", 50_000);
    let verify_events = env_usize("NGUON_BENCH_VERIFY_EVENTS", 1_000_000);
    let postgres = std::env::var("NGUON_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let dir = tempfile::tempdir().unwrap();
    // NGUON_BENCH_DIR keeps the filled verification database between runs.
    let keep = std::env::var_os("NGUON_BENCH_DIR").map(std::path::PathBuf::from);
    println!("batch size {BATCH}, {EVENTS_PER_LOT} events per lot");
    if append_events > 0 {
        sqlite_append(dir.path(), append_events).await;
        postgres_append(&postgres, append_events).await;
    }
    if verify_events > 0 {
        verify_throughput(keep.as_deref().unwrap_or(dir.path()), verify_events).await;
    }
}
