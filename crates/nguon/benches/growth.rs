//! Does Nguồn stay fast as lots and cooperatives grow? (issue 16; figures go in
//! `docs/performance.md`). Every figure is printed beside its anchor measured in the same run.
//!
//! 1. **HTTP append as lots grow**: the real server on port 0; 4 clients, each appending
//!    100-event batches (`POST …/events/batch`) to its own lot until every lot holds
//!    `NGUON_GROWTH_EVENTS` events (default 100,000). Throughput per tenth of the run shows
//!    whether an append's cost depends on the lot's length. Anchor: the database's own CLI
//!    loading the very same rows, 100 per transaction (`sqlite3`; `psql` on PostgreSQL).
//! 2. **`nguon verify`** (the real binary, whole process, peak RSS from `/usr/bin/time`) on two
//!    shapes: 1,000 lots × 1,000 events and 100,000 lots × 10 events, on SQLite and on
//!    PostgreSQL. Anchor: `b3sum`-style hashing of the same bytes is not what verification does,
//!    so the anchor is the database's own CLI (`sqlite3`, `psql`) reading every event row
//!    (`SELECT … ORDER BY lot_id, seq`).
//! 3. **Public pages** (cooperative, catalog, lot) on the demo database and on a cooperative with
//!    `NGUON_GROWTH_LOTS` lots (default 100,000): p50 of sequential requests that each do the
//!    page's work (see `page_urls`), and the ratio (goal ≤ 1.5×).
//!
//! Run: `cargo bench -p nguon --bench growth`. Knobs: `NGUON_GROWTH_EVENTS`,
//! `NGUON_GROWTH_LOTS` (0 skips the pages), `NGUON_GROWTH_PARTS` (which parts run, of
//! `append verify pages`; default all), `NGUON_BENCH_POSTGRES_URL` (also run the append and
//! verify parts on PostgreSQL; `none` skips), `NGUON_BENCH_DIR` (keep filled databases between runs).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::print_stdout,
    clippy::print_stderr,
    missing_docs
)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

mod common;
use common::{draft, env_usize, event_json, farm, have};

use farm_log::LotCode;
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use store::{AppendItem, NewLot, Store};

const CLIENTS: usize = 4;
const BATCH: usize = 100;

/// A server on port 0 over `store`; its base URL.
async fn serve(store: &Store) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let labels = server::api::LabelSettings {
        base_url: label::BaseUrl::parse(&base).unwrap(),
        font: Err("the growth benchmark prints no labels".to_owned()),
    };
    let state = server::AppState::new(store.clone(), labels).reverifying_every(Duration::ZERO);
    tokio::spawn(async move {
        let _ = server::serve(listener, state, std::future::pending()).await;
    });
    base
}

/// Part 1 on one backend: prints each tenth's throughput, the whole run's, and returns it.
async fn http_append(store: &Store, label: &str, events_per_lot: usize) -> f64 {
    let farm = farm(store, CLIENTS, "G").await;
    let base = serve(store).await;
    let total = events_per_lot * CLIENTS;
    let done = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let started = Instant::now();
    let mut clients = Vec::new();
    for lot in farm.lots.clone() {
        let (base, token, done) = (base.clone(), farm.token.clone(), done.clone());
        let (coop, fertilizer) = (farm.coop, farm.fertilizer);
        clients.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut n = 0;
            while n < events_per_lot {
                let size = BATCH.min(events_per_lot - n);
                let events: Vec<Value> = (n..n + size)
                    .map(|i| {
                        let mut e = event_json(fertilizer, i);
                        e["lot_code"] = json!(lot);
                        e
                    })
                    .collect();
                let response = client
                    .post(format!("{base}/api/v1/cooperatives/{coop}/events/batch"))
                    .bearer_auth(&token)
                    .json(&json!({ "events": events }))
                    .send()
                    .await
                    .unwrap();
                assert!(
                    response.status().is_success(),
                    "{}",
                    response.text().await.unwrap_or_default()
                );
                n += size;
                done.fetch_add(size, std::sync::atomic::Ordering::Relaxed);
            }
        }));
    }
    // Throughput per tenth of the run, to see whether it falls as the lots grow.
    let mut tenths = Vec::new();
    let mut last = (Instant::now(), 0usize);
    for tenth in 1..=10 {
        let mark = total * tenth / 10;
        while done.load(std::sync::atomic::Ordering::Relaxed) < mark {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let now = (Instant::now(), done.load(std::sync::atomic::Ordering::Relaxed));
        tenths.push((now.1 - last.1) as f64 / now.0.duration_since(last.0).as_secs_f64());
        last = now;
    }
    for client in clients {
        client.await.unwrap();
    }
    let whole = total as f64 / started.elapsed().as_secs_f64();
    let shown: Vec<String> = tenths.iter().map(|r| format!("{r:.0}")).collect();
    println!("{label} HTTP append, {CLIENTS} clients × {BATCH}-event batches, lots growing to {events_per_lot}:");
    println!("  events/s per tenth of the run: {}", shown.join(" "));
    println!(
        "  whole run {whole:.0} events/s; last tenth / first tenth = {:.2} (flat ≈ 1)",
        tenths[9] / tenths[0]
    );
    whole
}

fn run(command: &mut Command) -> (Duration, std::process::Output) {
    let started = Instant::now();
    let output = command.output().expect("the tool runs");
    let spent = started.elapsed();
    assert!(
        output.status.success(),
        "{command:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
            .chars()
            .take(2_000)
            .collect::<String>()
    );
    (spent, output)
}

/// INSERT statements, grouped `per` to a transaction.
fn in_transactions(inserts: &str, per: usize) -> String {
    let mut out = String::new();
    for (i, line) in inserts.lines().filter(|l| l.starts_with("INSERT")).enumerate() {
        if i % per == 0 {
            if i > 0 {
                out.push_str("COMMIT;\n");
            }
            out.push_str("BEGIN;\n");
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str("COMMIT;\n");
    out
}

async fn sqlite_append(dir: &Path, events_per_lot: usize) {
    let path = dir.join("growth-append.db");
    let _ = std::fs::remove_file(&path);
    let store = Store::connect(path.to_str().unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    let ours = http_append(&store, "SQLite", events_per_lot).await;
    drop(store);
    if !have("sqlite3") {
        eprintln!("SKIPPED the sqlite3 anchor: sqlite3 not found");
        return;
    }
    // The table and its indexes, not the triggers (they name tables the anchor does not have).
    let schema = run(Command::new("sqlite3").arg(&path).arg(
        "SELECT sql || ';' FROM sqlite_master WHERE tbl_name = 'events' AND type IN ('table', 'index') AND sql IS NOT NULL",
    ))
    .1
    .stdout;
    let inserts = run(Command::new("sqlite3")
        .arg(&path)
        .arg(".mode insert events")
        .arg("SELECT * FROM events ORDER BY lot_id, seq"))
    .1
    .stdout;
    let inserts = String::from_utf8_lossy(&inserts);
    let rows: Vec<&str> = inserts.lines().filter(|l| l.starts_with("INSERT")).collect();
    let schema = String::from_utf8_lossy(&schema);
    // The same rows with the CLI's own settings (the goal's anchor), then with the WAL
    // checkpointed as seldom as the store's writers checkpoint it (like for like). Each tenth
    // of the rows is loaded and timed on its own (one sqlite3 process each, on the same file),
    // so the anchor's own slowing as the database grows shows beside ours.
    let rate = |name: &str, pragmas: &str| {
        let anchor = dir.join(format!("growth-anchor-{name}.db"));
        let _ = std::fs::remove_file(&anchor);
        let script = dir.join(format!("growth-anchor-{name}.sql"));
        let mut spent = Duration::ZERO;
        let mut tenths = Vec::new();
        for tenth in 0..10 {
            let part = &rows[rows.len() * tenth / 10..rows.len() * (tenth + 1) / 10];
            let schema = if tenth == 0 { schema.as_ref() } else { "" };
            std::fs::write(
                &script,
                format!("{pragmas}{schema}{}", in_transactions(&part.join("\n"), BATCH)),
            )
            .unwrap();
            let (took, _) = run(Command::new("sqlite3")
                .arg(&anchor)
                .arg(format!(".read {}", script.display())));
            spent += took;
            tenths.push(part.len() as f64 / took.as_secs_f64());
        }
        ((events_per_lot * CLIENTS) as f64 / spent.as_secs_f64(), tenths)
    };
    let pages = store::SQLITE_WRITER_CHECKPOINT_PAGES;
    let durable = "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n";
    let (theirs, tenths) = rate("default", durable);
    let (seldom, _) = rate("seldom", &format!("{durable}PRAGMA wal_autocheckpoint={pages};\n"));
    let shown: Vec<String> = tenths.iter().map(|r| format!("{r:.0}")).collect();
    println!("  anchor: sqlite3 CLI, the same rows, {BATCH} per transaction: {theirs:.0} rows/s");
    println!(
        "  anchor rows/s per tenth: {}; last tenth / first tenth = {:.2}",
        shown.join(" "),
        tenths[9] / tenths[0]
    );
    println!("  ratio HTTP append / sqlite3 = {:.2} (goal ≥ 0.5)", ours / theirs);
    println!(
        "  like for like: sqlite3 with wal_autocheckpoint={pages}: {seldom:.0} rows/s, ratio {:.2}",
        ours / seldom
    );
}

async fn postgres_append(admin_url: &str, events_per_lot: usize) {
    let Ok(admin) = Database::connect(admin_url).await else {
        eprintln!("SKIPPED PostgreSQL: no server at {admin_url}");
        return;
    };
    let name = format!("nguon_growth_{}", std::process::id());
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    let url = format!("{}/{name}", admin_url.rsplit_once('/').map_or(admin_url, |(s, _)| s));
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();
    let ours = http_append(&store, "PostgreSQL", events_per_lot).await;
    drop(store);
    if have("psql") && have("pg_dump") {
        run(Command::new("psql").args([&url, "-qc", "CREATE TABLE anchor_events (LIKE events INCLUDING ALL)"]));
        let dump = run(Command::new("pg_dump").args(["--data-only", "--inserts", "--table=events", &url]))
            .1
            .stdout;
        let inserts =
            String::from_utf8_lossy(&dump).replace("INSERT INTO public.events ", "INSERT INTO public.anchor_events ");
        let script = std::env::temp_dir().join(format!("{name}.sql"));
        std::fs::write(&script, in_transactions(&inserts, BATCH)).unwrap();
        let (spent, _) = run(Command::new("psql").args([&url, "-q", "-f", script.to_str().unwrap()]));
        let theirs = (events_per_lot * CLIENTS) as f64 / spent.as_secs_f64();
        println!("  anchor: psql, the same rows, {BATCH} per transaction: {theirs:.0} rows/s");
        println!("  ratio HTTP append / psql = {:.2} (goal ≥ 0.8)", ours / theirs);
        let _ = std::fs::remove_file(script);
    }
    admin
        .execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
}

/// Fills the empty database at `url` with `lots` lots × `per_lot` events through `Store::append`.
async fn fill(url: &str, lots: usize, per_lot: usize) {
    let store = Store::connect(url).await.unwrap();
    store.migrate().await.unwrap();
    let started = Instant::now();
    let farm = farm(&store, lots, "G").await;
    // Many lots per transaction when they are small, 500 events per batch when they are long.
    let mut items = Vec::new();
    for code in &farm.lots {
        for n in 0..per_lot {
            items.push(AppendItem {
                lot_code: code.clone(),
                draft: draft(farm.fertilizer, n),
            });
            if items.len() == 500 {
                store
                    .append(&farm.principal, std::mem::take(&mut items), true)
                    .await
                    .unwrap();
            }
        }
    }
    if !items.is_empty() {
        store.append(&farm.principal, items, true).await.unwrap();
    }
    println!(
        "(filled {lots} lots × {per_lot} events in {:.0} s)",
        started.elapsed().as_secs_f64()
    );
}

/// Fills (once) a SQLite database of `lots` lots × `per_lot` events.
async fn filled(dir: &Path, lots: usize, per_lot: usize) -> PathBuf {
    let path = dir.join(format!("growth-verify-{lots}x{per_lot}.db"));
    let done = dir.join(format!("growth-verify-{lots}x{per_lot}.done"));
    if path.exists() && done.exists() {
        return path;
    }
    let _ = std::fs::remove_file(&path);
    fill(path.to_str().unwrap(), lots, per_lot).await;
    std::fs::write(done, b"").unwrap();
    path
}

/// Fills (once: a marker in `dir` says it is done) a PostgreSQL database of `lots` lots ×
/// `per_lot` events on the server of `admin_url`; its URL, or `None` when there is no server.
async fn filled_postgres(dir: &Path, admin_url: &str, lots: usize, per_lot: usize) -> Option<String> {
    let Ok(admin) = Database::connect(admin_url).await else {
        eprintln!("SKIPPED PostgreSQL verification: no server at {admin_url}");
        return None;
    };
    let name = format!("nguon_growth_verify_{lots}x{per_lot}");
    let url = format!("{}/{name}", admin_url.rsplit_once('/').map_or(admin_url, |(s, _)| s));
    let done = dir.join(format!("growth-verify-pg-{lots}x{per_lot}.done"));
    let exists = admin
        .query_one_raw(sea_orm::Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        ))
        .await
        .unwrap()
        .is_some();
    if exists && done.exists() {
        return Some(url);
    }
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .unwrap();
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await
        .unwrap();
    fill(&url, lots, per_lot).await;
    std::fs::write(done, b"").unwrap();
    Some(url)
}

/// Runs `nguon verify` on `database`, printing its rate and peak RSS beside the goals.
fn run_verify(label: &str, database: &str, lots: usize, per_lot: usize) {
    let events = lots * per_lot;
    let nguon = env!("CARGO_BIN_EXE_nguon");
    let (spent, output) = if Path::new("/usr/bin/time").exists() {
        run(Command::new("/usr/bin/time")
            .args(["-f", "peak-rss-kb %M", nguon, "--database", database, "verify"])
            .env("NO_COLOR", "1"))
    } else {
        run(Command::new(nguon).args(["--database", database, "verify"]))
    };
    let rss = String::from_utf8_lossy(&output.stderr)
        .lines()
        .find_map(|l| {
            l.strip_prefix("peak-rss-kb ")
                .and_then(|k| k.trim().parse::<f64>().ok())
        })
        .map_or("?".to_owned(), |kb| format!("{:.0}", kb / 1024.0));
    let rate = events as f64 / spent.as_secs_f64();
    println!(
        "{label} `nguon verify`, {lots} lots × {per_lot} events: {:.2} s, {rate:.0} events/s (goal ≥ 500,000: {:.2}×), peak RSS {rss} MB (goal ≤ 150)",
        spent.as_secs_f64(),
        rate / 500_000.0
    );
}

/// The anchor printed under a verification: the database's own CLI reading every event row in
/// (lot, seq) order.
fn print_read_anchor(cli: &str, read: Duration, events: usize) {
    println!(
        "  anchor: {cli} reading every event row in order: {:.2} s ({:.0} rows/s)",
        read.as_secs_f64(),
        events as f64 / read.as_secs_f64()
    );
}

/// The query both anchors run: every event row in (lot, seq) order, summed so nothing is printed.
const READ_EVERY_EVENT: &str =
    "SELECT count(*), sum(length(body)), sum(length(head)) FROM (SELECT body, head FROM events ORDER BY lot_id, seq) e";

async fn verify(dir: &Path, lots: usize, per_lot: usize) {
    let path = filled(dir, lots, per_lot).await;
    run_verify("SQLite", path.to_str().unwrap(), lots, per_lot);
    if have("sqlite3") {
        let (read, _) = run(Command::new("sqlite3").arg(&path).arg(READ_EVERY_EVENT));
        print_read_anchor("sqlite3", read, lots * per_lot);
    }
}

/// Verification on PostgreSQL: the same shapes, the same binary; anchor `psql`.
async fn verify_postgres(dir: &Path, admin_url: &str, lots: usize, per_lot: usize) {
    let Some(url) = filled_postgres(dir, admin_url, lots, per_lot).await else {
        return;
    };
    run_verify("PostgreSQL", &url, lots, per_lot);
    if have("psql") {
        let (read, _) = run(Command::new("psql").args([&url, "-qAtc", READ_EVERY_EVENT]));
        print_read_anchor("psql", read, lots * per_lot);
    }
}

/// p50 of sequential GETs of `urls` (each once, in order), in ms.
async fn p50(client: &reqwest::Client, urls: &[String]) -> f64 {
    let mut times = Vec::with_capacity(urls.len());
    for url in urls {
        let started = Instant::now();
        let response = client.get(url).send().await.unwrap();
        assert!(response.status().is_success(), "{url}: {}", response.status());
        let _ = response.bytes().await.unwrap();
        times.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The three public pages of cooperative `coop` on a server at `base`, as lists of URLs whose
/// every request does the page's work: the cooperative page is built per request (no page
/// cache), the lot page is asked for up to 400 *different* lots once each (a lot's data is
/// cached by its stamp, so a repeat would be a cache hit), and the catalog, cached on what its
/// stamp query reads, is asked 400 times (the figure is that stamp read plus the render).
async fn page_urls(store: &Store, base: &str, coop: i64) -> [(&'static str, Vec<String>); 3] {
    let lots = store.lots(coop, None).await.unwrap();
    let step = (lots.len() / 400).max(1);
    let lot_urls = lots
        .iter()
        .step_by(step)
        .take(400)
        .map(|lot| format!("{base}/htx/{coop}/lo/{}", lot.code.as_str()))
        .collect();
    [
        ("cooperative", vec![format!("{base}/htx/{coop}"); 400]),
        ("catalog", vec![format!("{base}/htx/{coop}/san-pham"); 400]),
        ("lot", lot_urls),
    ]
}

async fn pages(dir: &Path, lots: usize) {
    // The demo database: its first cooperative.
    let demo = dir.join("growth-demo.db");
    let _ = std::fs::remove_file(&demo);
    let store = Store::connect(demo.to_str().unwrap()).await.unwrap();
    store.migrate().await.unwrap();
    nguon::demo::load(&store).await.unwrap();
    let base = serve(&store).await;
    let client = reqwest::Client::new();
    let mut demo_p50 = Vec::new();
    for (what, urls) in page_urls(&store, &base, 1).await {
        demo_p50.push((what, urls.len(), p50(&client, &urls).await));
    }
    // A cooperative with `lots` lots (each with a few events) beside the demo, once.
    let path = dir.join(format!("growth-pages-{lots}.db"));
    let done = dir.join(format!("growth-pages-{lots}.done"));
    let big = Store::connect(path.to_str().unwrap()).await.unwrap();
    big.migrate().await.unwrap();
    if !done.exists() {
        let started = Instant::now();
        nguon::demo::load(&big).await.unwrap();
        let farm = farm(&big, 0, "G").await;
        let leader = farm.principal.clone();
        let plot = big.plots(farm.coop).await.unwrap()[0].id;
        let product = big.products(farm.coop).await.unwrap()[0].id;
        let mut items = Vec::new();
        for i in 0..lots {
            let code = format!("L-{i:06}");
            big.create_lot(
                farm.coop,
                NewLot {
                    code: LotCode::parse(&code, "code").unwrap(),
                    product_id: product,
                    plot_ids: vec![plot],
                },
            )
            .await
            .unwrap();
            for n in 0..3 {
                items.push(AppendItem {
                    lot_code: code.clone(),
                    draft: draft(farm.fertilizer, n),
                });
            }
            if items.len() >= 300 {
                big.append(&leader, std::mem::take(&mut items), true).await.unwrap();
            }
        }
        if !items.is_empty() {
            big.append(&leader, items, true).await.unwrap();
        }
        println!(
            "(made a cooperative of {lots} lots in {:.0} s)",
            started.elapsed().as_secs_f64()
        );
        std::fs::write(&done, b"").unwrap();
    }
    let coop = big.cooperatives().await.unwrap().last().unwrap().id;
    let base = serve(&big).await;
    println!("public pages, p50 of sequential GETs (ms): demo cooperative → a cooperative of {lots} lots");
    for ((what, demo_n, demo_ms), (_, urls)) in demo_p50.iter().zip(page_urls(&big, &base, coop).await) {
        let big_ms = p50(&client, &urls).await;
        println!(
            "  {what:<12} {demo_ms:>7.2} ({demo_n} GETs) → {big_ms:>7.2} ({} GETs)   ratio {:.2} (goal ≤ 1.5)",
            urls.len(),
            big_ms / demo_ms
        );
    }
}

#[tokio::main]
async fn main() {
    let events_per_lot = env_usize("NGUON_GROWTH_EVENTS", 100_000);
    let page_lots = env_usize("NGUON_GROWTH_LOTS", 100_000);
    let parts = std::env::var("NGUON_GROWTH_PARTS").unwrap_or_else(|_| "append verify pages".into());
    let postgres = std::env::var("NGUON_BENCH_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let temp = tempfile::tempdir().unwrap();
    let dir = std::env::var_os("NGUON_BENCH_DIR").map_or_else(|| temp.path().to_path_buf(), PathBuf::from);
    std::fs::create_dir_all(&dir).unwrap();
    println!(
        "growth benchmark — {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        chrono::Utc::now().format("%Y-%m-%dT%H:%MZ")
    );
    if parts.contains("append") && events_per_lot > 0 {
        sqlite_append(&dir, events_per_lot).await;
        if postgres != "none" {
            postgres_append(&postgres, events_per_lot).await;
        }
    }
    if parts.contains("verify") {
        verify(&dir, 1_000, 1_000).await;
        verify(&dir, 100_000, 10).await;
        if postgres != "none" {
            verify_postgres(&dir, &postgres, 1_000, 1_000).await;
            verify_postgres(&dir, &postgres, 100_000, 10).await;
        }
    }
    if parts.contains("pages") && page_lots > 0 {
        pages(&dir, page_lots).await;
    }
}
