//! The real `nguon` binary, as an operator uses it: demo data, verification after tampering,
//! administration commands and `serve --demo`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};

use sea_orm::{ConnectionTrait, Database};
use store::Store;

fn nguon(database: &str, args: &[&str]) -> Output {
    nguon_with(database, args, &[])
}

fn nguon_with(database: &str, args: &[&str], env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nguon"))
        .arg("--database")
        .arg(database)
        .args(args)
        .env_remove("NGUON_DATABASE_URL")
        .env_remove("NGUON_SEAL_SECRET")
        .env("NGUON_LOG", "warn")
        .envs(env.iter().copied())
        .output()
        .expect("run nguon")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Fresh databases to run against: a SQLite file always, PostgreSQL when reachable.
async fn databases(dir: &tempfile::TempDir) -> Vec<String> {
    use std::io::Write;
    let mut list = vec![dir.path().join("cli.db").to_string_lossy().into_owned()];
    let admin = std::env::var("NGUON_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match tokio::time::timeout(std::time::Duration::from_secs(5), Database::connect(admin.as_str())).await {
        Ok(Ok(db)) => {
            let old = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT datname FROM pg_database WHERE datname LIKE 'nguon_cli_%'",
                ))
                .await
                .unwrap_or_default();
            for row in old {
                if let Ok(name) = row.try_get::<String>("", "datname")
                    && made_over_three_hours_ago(&name)
                {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                }
            }
            let name = format!("nguon_cli_{}_{}", unix_seconds(), uuid_like());
            db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create database");
            let base = admin
                .rsplit_once('/')
                .map(|(b, _)| b.to_owned())
                .unwrap_or(admin.clone());
            list.push(format!("{base}/{name}"));
        }
        _ => {
            assert!(
                std::env::var("NGUON_REQUIRE_POSTGRES").as_deref() != Ok("1"),
                "NGUON_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at {admin}"
            );
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPING PostgreSQL for CLI tests: not reachable at {admin} ***\n"
            );
        }
    }
    list
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Whether a CLI test database (`nguon_cli_{unix seconds}_{…}`) is left by a run that has ended:
/// the tests of this file, and other runs on the same server, go on side by side.
fn made_over_three_hours_ago(name: &str) -> bool {
    let made = name
        .strip_prefix("nguon_cli_")
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(secs, _)| secs.parse::<u64>().ok());
    made.is_none_or(|secs| secs.saturating_add(3 * 3600) < unix_seconds())
}

fn uuid_like() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{nanos:x}{}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_exits_nonzero_naming_the_altered_lot_and_event() {
    let dir = tempfile::tempdir().expect("temp dir");
    for database in databases(&dir).await {
        let loaded = nguon(&database, &["demo"]);
        assert!(
            loaded.status.success(),
            "{database}: {}",
            String::from_utf8_lossy(&loaded.stderr)
        );
        assert!(stdout(&loaded).contains("API token: nguon_"), "{}", stdout(&loaded));
        let again = nguon(&database, &["demo"]);
        assert!(
            stdout(&again).contains("already loaded"),
            "loading twice does not duplicate: {}",
            stdout(&again)
        );

        let clean = nguon(&database, &["verify"]);
        assert!(clean.status.success(), "{database}: {}", stdout(&clean));
        assert!(stdout(&clean).contains("All 8 lots intact"), "{}", stdout(&clean));

        let store = Store::connect(&database).await.expect("open");
        // After an upgrade, one pass keeps what it verified for the pages to use.
        store
            .connection()
            .execute_unprepared("DELETE FROM lot_checks")
            .await
            .expect("forget the checks");
        let kept = nguon(&database, &["verify", "--keep-checks"]);
        assert!(kept.status.success(), "{database}: {}", stdout(&kept));
        let checks = store
            .connection()
            .query_one_raw(sea_orm::Statement::from_string(
                store.connection().get_database_backend(),
                "SELECT COUNT(*) AS n FROM lot_checks WHERE verdict = 'intact'".to_owned(),
            ))
            .await
            .expect("count")
            .expect("a row")
            .try_get::<i64>("", "n")
            .expect("n");
        assert_eq!(checks, 8, "{database}: every intact lot has its check");
        // The lots' public records are kept too, sealed with the secret the servers are given;
        // without one they could not be trusted, and the operator is told so.
        assert!(
            stderr(&kept).contains("public records not kept"),
            "{database}: {}",
            stderr(&kept)
        );
        let sealed = nguon_with(
            &database,
            &["verify", "--keep-checks"],
            &[("NGUON_SEAL_SECRET", "the cli test's secret")],
        );
        assert!(sealed.status.success(), "{database}: {}", stderr(&sealed));
        let server = Store::connect(&database)
            .await
            .expect("open")
            .sealing_with("the cli test's secret");
        for coop in server.cooperatives().await.expect("coops") {
            for lot in server.lots(coop.id, None).await.expect("lots") {
                let stamp = server.lot_stamp(coop.id, &lot.code).await.expect("stamp").expect("lot");
                assert!(
                    server.has_kept_public_lot(&stamp).await.expect("kept?"),
                    "{database}: {} has no kept public record",
                    lot.code
                );
                assert!(
                    !store.has_kept_public_lot(&stamp).await.expect("kept?"),
                    "another key trusts it"
                );
            }
        }
        let lot = store.lot(1, "CN-2609-01").await.expect("lot");
        let events = store.events(1, "CN-2609-01").await.expect("events");
        let harvest = events
            .iter()
            .find(|e| e.event.body.kind() == farm_log::EventKind::Harvest)
            .expect("a harvest");
        store
            .connection()
            .execute_unprepared(&format!(
                "UPDATE events SET body = REPLACE(body, '1.2', '1.9') WHERE id = '{}'",
                harvest.event.id
            ))
            .await
            .expect("tamper");
        let tampered = nguon(&database, &["verify"]);
        let report = stdout(&tampered);
        assert_eq!(tampered.status.code(), Some(1), "{database}: {report}");
        assert!(
            report.contains(&format!("lot {} at event {}", lot.code, harvest.event.seq)),
            "{report}"
        );
        assert!(report.contains(&harvest.event.id.to_string()), "{report}");
        assert!(report.contains("1 of 8 lots altered"), "{report}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_exits_nonzero_naming_a_label_batch_whose_labels_were_changed_or_deleted() {
    let dir = tempfile::tempdir().expect("temp dir");
    for database in databases(&dir).await {
        assert!(nguon(&database, &["demo"]).status.success());
        for (case, change) in [
            (
                "a changed serial",
                "UPDATE labels SET serial = 'ABCDEFGHJKMNPQRS' WHERE position = 2",
            ),
            ("a deleted label row", "DELETE FROM labels WHERE position = 3"),
        ] {
            let issued = nguon(
                &database,
                &[
                    "labels",
                    "issue",
                    "--coop",
                    "1",
                    "--lot",
                    "CN-2609-01-B",
                    "--count",
                    "3",
                    "--pack-size",
                    "1 kg",
                ],
            );
            assert!(
                issued.status.success(),
                "{database}: {}",
                String::from_utf8_lossy(&issued.stderr)
            );
            let clean = nguon(&database, &["verify"]);
            assert!(clean.status.success(), "{database}: {}", stdout(&clean));
            let store = Store::connect(&database).await.expect("open");
            let batch: String = store
                .label_batches(1, "CN-2609-01-B")
                .await
                .expect("batches")
                .first()
                .expect("a batch")
                .batch_id
                .clone();
            store
                .connection()
                .execute_unprepared(&format!("{change} AND batch_id = '{batch}'"))
                .await
                .expect("tamper");
            let tampered = nguon(&database, &["verify"]);
            let report = stdout(&tampered);
            assert_eq!(tampered.status.code(), Some(1), "{database} {case}: {report}");
            assert!(
                report.contains(&format!("label batch {batch} (lot CN-2609-01-B)")),
                "{database} {case}: {report}"
            );
            // The next case starts from a clean database.
            store
                .connection()
                .execute_unprepared(&format!(
                    "DELETE FROM labels WHERE batch_id = '{batch}'; DELETE FROM batch_checks WHERE batch_id = '{batch}'; DELETE FROM label_batches WHERE id = '{batch}'"
                ))
                .await
                .expect("clean up");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn administration_commands_create_members_and_revoke_tokens() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("admin.db").to_string_lossy().into_owned();
    let created = nguon(
        &database,
        &[
            "coop",
            "create",
            "--name",
            "HTX Lúa gạo Hải Hậu",
            "--address",
            "Xóm 3",
            "--province",
            "Nam Định",
            "--commune",
            "Xã Hải Toàn",
            "--phone",
            "0228 377 1234",
            "--region",
            "north",
            "--leader-name",
            "Đỗ Văn Lực",
            "--leader-phone",
            "0987 654 321",
        ],
    );
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let leader_token = stdout(&created)
        .split_whitespace()
        .find(|w| w.starts_with("nguon_"))
        .expect("token printed")
        .to_owned();

    let added = nguon(
        &database,
        &[
            "member",
            "add",
            "--coop",
            "1",
            "--name",
            "Hộ ông Đỗ Văn Hải",
            "--phone",
            "0987 654 322",
        ],
    );
    assert!(added.status.success(), "{}", String::from_utf8_lossy(&added.stderr));
    let member_token = stdout(&added)
        .split_whitespace()
        .find(|w| w.starts_with("nguon_"))
        .expect("token printed")
        .to_owned();
    let token_id: i64 = stdout(&added)
        .split("API token ")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .and_then(|s| s.parse().ok())
        .expect("token id printed");

    let store = Store::connect(&database).await.expect("open");
    assert_eq!(
        store.authenticate(&leader_token).await.expect("auth").map(|p| p.role),
        Some(farm_log::Role::Leader)
    );
    assert!(store.authenticate(&member_token).await.expect("auth").is_some());
    let revoked = nguon(&database, &["token", "revoke", &token_id.to_string()]);
    assert!(revoked.status.success(), "{}", String::from_utf8_lossy(&revoked.stderr));
    assert!(
        store.authenticate(&member_token).await.expect("auth").is_none(),
        "a revoked token no longer works"
    );

    let bad = nguon(
        &database,
        &["member", "add", "--coop", "1", "--name", "X", "--phone", "123"],
    );
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--phone"),
        "the flag is named: {}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let duplicate = nguon(
        &database,
        &["member", "add", "--coop", "1", "--name", "Y", "--phone", "0987654322"],
    );
    assert_eq!(
        duplicate.status.code(),
        Some(1),
        "a phone already in the cooperative is refused"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_with_demo_answers_on_the_printed_address_with_the_printed_token() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("serve.db").to_string_lossy().into_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nguon"))
        .args(["--database", &database, "serve", "--demo", "--bind", "127.0.0.1:0"])
        .env("NGUON_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nguon serve");
    // stdout is read to its end on a thread of its own: a reader that went away early would
    // close the pipe under the server's next line.
    let (lines_tx, lines_rx) = std::sync::mpsc::channel::<String>();
    let out = child.stdout.take().expect("stdout");
    std::thread::spawn(move || {
        for line in BufReader::new(out).lines().map_while(Result::ok) {
            let _ = lines_tx.send(line);
        }
    });
    let mut stdout_lines: Vec<String> = Vec::new();
    while let Ok(line) = lines_rx.recv_timeout(std::time::Duration::from_secs(120)) {
        let last = line.contains("cooperative 2:");
        stdout_lines.push(line);
        if last {
            break;
        }
    }
    let token = stdout_lines
        .iter()
        .flat_map(|l| l.split_whitespace())
        .find(|w| w.starts_with("nguon_"))
        .expect("token")
        .to_owned();
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    let address = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).expect("read") > 0, "serve exited early");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    let client = reqwest::Client::new();
    let health = client.get(format!("{address}/healthz")).send().await.expect("healthz");
    assert_eq!(health.status(), reqwest::StatusCode::OK);
    let me = client
        .get(format!("{address}/api/v1/me"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("me");
    assert_eq!(me.status(), reqwest::StatusCode::OK);
    let _ = child.kill();
    let _ = child.wait();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_sent_request_cannot_keep_the_server_from_stopping_and_the_last_scans_are_written() {
    let dir = tempfile::tempdir().expect("temp dir");
    let database = dir.path().join("stop.db").to_string_lossy().into_owned();
    assert!(nguon(&database, &["demo"]).status.success());
    let json = dir.path().join("batch.json");
    let issued = nguon(
        &database,
        &[
            "labels",
            "issue",
            "--coop",
            "1",
            "--lot",
            "CN-2609-01-A",
            "--count",
            "1",
            "--pack-size",
            "1 kg",
            "--json",
            json.to_str().expect("path"),
        ],
    );
    assert!(issued.status.success(), "{}", String::from_utf8_lossy(&issued.stderr));
    let batch: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json).expect("batch file")).expect("batch json");
    let serial = batch["serials"][0].as_str().expect("a serial").to_owned();
    let mut child = Command::new(env!("CARGO_BIN_EXE_nguon"))
        .args(["--database", &database, "serve", "--bind", "127.0.0.1:0"])
        .env("NGUON_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn nguon serve");
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr"));
    let mut line = String::new();
    let address = loop {
        line.clear();
        assert!(stderr.read_line(&mut line).expect("read") > 0, "serve exited early");
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.trim().to_owned();
        }
    };
    std::thread::spawn(move || for _ in stderr.lines() {});
    // A buyer scans the label: counted in memory, written at the next flush or at shutdown.
    let page = reqwest::get(format!("{address}/l/{serial}")).await.expect("label page");
    assert_eq!(page.status(), reqwest::StatusCode::OK);
    // Someone sends half a request's headers, someone else half a body, then nothing.
    let host = address.trim_start_matches("http://").to_owned();
    let mut half_headers = std::net::TcpStream::connect(&host).expect("connect");
    std::io::Write::write_all(&mut half_headers, b"GET /htx/1 HTTP/1.1\r\nHost: x\r\nAccept: text/ht")
        .expect("half the headers");
    let mut half = std::net::TcpStream::connect(&host).expect("connect");
    std::io::Write::write_all(
        &mut half,
        b"POST /app/dang-nhap HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nphone=09",
    )
    .expect("half a body");
    std::thread::sleep(std::time::Duration::from_millis(300));
    let stopped_at = std::time::Instant::now();
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(
            stopped_at.elapsed() < std::time::Duration::from_secs(30),
            "the server is still running 30 s after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    };
    assert!(status.success(), "{status}");
    assert!(
        stopped_at.elapsed() < std::time::Duration::from_secs(25),
        "stopped within the shutdown deadline (10 s) and the body timeout: {:?}",
        stopped_at.elapsed()
    );
    drop(half);
    drop(half_headers);
    let store = Store::connect(&database).await.expect("open");
    let count: i64 = store
        .connection()
        .query_one_raw(sea_orm::Statement::from_string(
            store.connection().get_database_backend(),
            format!("SELECT scan_count FROM labels WHERE serial = '{serial}'"),
        ))
        .await
        .expect("query")
        .expect("the label")
        .try_get("", "scan_count")
        .expect("count");
    assert_eq!(count, 1, "the scan counted in memory was written at shutdown");
}

#[test]
fn labels_issue_prints_a_sheet_that_decodes_and_a_batch_that_verifies_offline() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("labels.db").to_string_lossy().into_owned();
    assert!(nguon(&db, &["demo"]).status.success());
    let pdf = dir.path().join("tem.pdf");
    let json = dir.path().join("batch.json");
    let output = nguon(
        &db,
        &[
            "labels",
            "issue",
            "--coop",
            "1",
            "--lot",
            "CN-2609-01-A",
            "--count",
            "30",
            "--pack-size",
            "1KGM",
            "--layout",
            "3x8",
            "--pdf",
            pdf.to_str().expect("path"),
            "--json",
            json.to_str().expect("path"),
        ],
    );
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    assert!(
        stdout(&output).contains("Issued 30 labels for lot CN-2609-01-A"),
        "{}",
        stdout(&output)
    );

    let batch: serde_json::Value = serde_json::from_slice(&std::fs::read(&json).expect("json")).expect("parse");
    assert_eq!(batch["serials"].as_array().map(Vec::len), Some(30));
    let verified = nguon(&db, &["labels", "verify", json.to_str().expect("path")]);
    assert!(verified.status.success(), "{}", stdout(&verified));
    assert!(stdout(&verified).starts_with("VALID"), "{}", stdout(&verified));
    assert!(
        stdout(&verified).contains("key inside the file"),
        "{}",
        stdout(&verified)
    );
    let public_key = batch["public_key"].as_str().expect("key");
    let pinned = nguon(
        &db,
        &["labels", "verify", json.to_str().expect("path"), "--key", public_key],
    );
    assert!(pinned.status.success() && !stdout(&pinned).contains("key inside the file"));
    let other_key = format!(
        "{}{}",
        if public_key.starts_with('a') { "b" } else { "a" },
        &public_key[1..]
    );
    let wrong = nguon(
        &db,
        &["labels", "verify", json.to_str().expect("path"), "--key", &other_key],
    );
    assert!(
        !wrong.status.success(),
        "a batch signed by another key is refused: {}",
        stdout(&wrong)
    );

    // One flipped signature digit, or one serial swapped, and the batch no longer verifies.
    let mut tampered = batch.clone();
    let signature = tampered["signature"].as_str().expect("signature").to_owned();
    let flipped = if signature.starts_with('0') { "1" } else { "0" };
    tampered["signature"] = serde_json::Value::String(format!("{flipped}{}", &signature[1..]));
    let bad = dir.path().join("tampered.json");
    std::fs::write(&bad, tampered.to_string()).expect("write");
    let output = nguon(&db, &["labels", "verify", bad.to_str().expect("path")]);
    assert!(!output.status.success());
    assert!(stdout(&output).starts_with("INVALID"), "{}", stdout(&output));
    let mut swapped = batch.clone();
    swapped["serials"][0] = batch["serials"][1].clone();
    std::fs::write(&bad, swapped.to_string()).expect("write");
    assert!(
        !nguon(&db, &["labels", "verify", bad.to_str().expect("path")])
            .status
            .success()
    );

    // The cap: the lot holds 600 kg, 30 are labelled, so 571 more 1 kg labels are refused.
    let output = nguon(
        &db,
        &[
            "labels",
            "issue",
            "--coop",
            "1",
            "--lot",
            "CN-2609-01-A",
            "--count",
            "571",
            "--pack-size",
            "1 kg",
        ],
    );
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("At most 570 labels"), "{stderr}");

    // Without a font that has Vietnamese letters nothing is issued, and the error says what to install.
    let output = Command::new(env!("CARGO_BIN_EXE_nguon"))
        .args([
            "--database",
            &db,
            "labels",
            "issue",
            "--coop",
            "1",
            "--lot",
            "CN-2609-01-A",
            "--count",
            "1",
        ])
        .args([
            "--pack-size",
            "1 kg",
            "--pdf",
            dir.path().join("none.pdf").to_str().expect("path"),
        ])
        .env("NGUON_LABEL_FONT", dir.path().join("missing.ttf"))
        .output()
        .expect("run nguon");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("fonts-dejavu-core") && stderr.contains("missing.ttf"),
        "{stderr}"
    );
    assert!(!dir.path().join("none.pdf").exists());

    let sheet = std::fs::read(&pdf).expect("pdf");
    assert!(sheet.starts_with(b"%PDF"));
    let Some(scanned) = tests::decode_sheet(&sheet, &label::SheetLayout::parse("3x8").expect("layout")) else {
        return;
    };
    assert_eq!(scanned.len(), 30, "one code per label");
    let scanned: std::collections::BTreeSet<String> = scanned.into_iter().collect();
    let store_urls = {
        let runtime = tokio::runtime::Runtime::new().expect("runtime");
        runtime.block_on(async {
            let store = Store::connect(&db).await.expect("open");
            let batch_id = batch["record"]["batch_id"].as_str().expect("batch id").to_owned();
            store
                .label_batch(1, &batch_id)
                .await
                .expect("batch")
                .labels
                .into_iter()
                .map(|l| l.url)
                .collect::<std::collections::BTreeSet<_>>()
        })
    };
    assert_eq!(store_urls.len(), 30);
    assert_eq!(
        scanned, store_urls,
        "every label on the sheet decodes to exactly its issued URL"
    );
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_epcis_writes_a_document_that_import_epcis_replays_into_another_database_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = dir.path().join("source.db").to_string_lossy().into_owned();
    let target = dir.path().join("target.db").to_string_lossy().into_owned();
    assert!(nguon(&source, &["demo"]).status.success());
    let file = dir.path().join("htx.jsonld");
    let file_arg = file.to_string_lossy().into_owned();
    let exported = nguon(&source, &["export", "epcis", "--coop", "1", "--output", &file_arg]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    assert!(
        stderr(&exported).contains("EPCIS events from 4 lots written"),
        "{}",
        stderr(&exported)
    );
    let document: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).expect("file")).expect("JSON");
    let total = document["epcisBody"]["eventList"].as_array().map_or(0, Vec::len);
    assert!(total > 10, "{total}");
    // One lot's genealogy, and a date range, to standard output.
    let one = nguon(&source, &["export", "epcis", "--coop", "1", "--lot", "CC-2608-02"]);
    let one: serde_json::Value = serde_json::from_slice(&one.stdout).expect("JSON on stdout");
    assert!(
        one["epcisBody"]["eventList"]
            .as_array()
            .is_some_and(|l| !l.is_empty() && l.len() < total)
    );
    let bad = nguon(&source, &["export", "epcis", "--coop", "1", "--from", "32/13/2026"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("--from"), "{}", stderr(&bad));

    let created = nguon(
        &target,
        &[
            "coop",
            "create",
            "--name",
            "HTX Nhận",
            "--address",
            "Thôn 1",
            "--province",
            "Hà Nội",
            "--commune",
            "Tây Tựu",
            "--phone",
            "0243 765 4321",
            "--leader-name",
            "Chị Lan",
            "--leader-phone",
            "0912 000 111",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));
    let dry = nguon(&target, &["import", "epcis", &file_arg, "--coop", "1", "--dry-run"]);
    assert!(dry.status.success(), "{}", stderr(&dry));
    assert!(stdout(&dry).starts_with("would add 15 events"), "{}", stdout(&dry));
    let real = nguon(&target, &["import", "epcis", &file_arg, "--coop", "1"]);
    assert!(real.status.success(), "{}", stderr(&real));
    assert!(
        stdout(&real).starts_with("added 15 events (0 already there)"),
        "{}",
        stdout(&real)
    );
    let again = nguon(&target, &["import", "epcis", &file_arg, "--coop", "1"]);
    assert!(
        stdout(&again).starts_with("added 0 events (15 already there)"),
        "{}",
        stdout(&again)
    );
    let verify = nguon(&target, &["verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_diary_reports_bad_rows_by_line_writes_a_good_file_once() {
    let dir = tempfile::tempdir().expect("temp dir");
    for database in databases(&dir).await {
        assert!(nguon(&database, &["demo"]).status.success());
        let store = Store::connect(&database).await.expect("store");
        let plot = store
            .plots(1)
            .await
            .expect("plots")
            .into_iter()
            .find(|p| p.name == "Ruộng Bãi Sau")
            .expect("plot");
        let product = store.products(1).await.expect("products")[0].id;
        store
            .create_lot(
                1,
                store::NewLot {
                    code: farm_log::LotCode::parse("CN-2611-09", "code").expect("code"),
                    product_id: product,
                    plot_ids: vec![plot.id],
                },
            )
            .await
            .expect("lot");
        let sample = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../fixtures/nhat-ky-cai-ngot-bai-sau.csv"
        );
        let bad = dir.path().join("sai.csv");
        std::fs::write(
            &bad,
            "Ngày,Công việc,Lượng\n03/09/2026,Bón lót,2 bao\n04/09/2026,Gieo hạt,\n",
        )
        .expect("file");
        let refused = nguon(
            &database,
            &[
                "import",
                "diary",
                &bad.to_string_lossy(),
                "--coop",
                "1",
                "--lot",
                "CN-2611-09",
            ],
        );
        assert!(!refused.status.success());
        let message = stderr(&refused);
        assert!(
            message.contains("sai.csv:2") && message.contains("sai.csv:3"),
            "{message}"
        );
        assert!(message.contains("nothing was written"), "{message}");
        let run = |dry: bool| {
            let mut args = vec!["import", "diary", sample, "--coop", "1", "--lot", "CN-2611-09"];
            if dry {
                args.push("--dry-run");
            }
            nguon(&database, &args)
        };
        let dry = run(true);
        assert!(
            stdout(&dry).contains("would add 9 events"),
            "{}{}",
            stdout(&dry),
            stderr(&dry)
        );
        assert!(store.events(1, "CN-2611-09").await.expect("events").is_empty());
        let first = run(false);
        assert!(
            stdout(&first).contains("added 9 events"),
            "{}{}",
            stdout(&first),
            stderr(&first)
        );
        let second = run(false);
        assert!(
            stdout(&second).contains("added 0 events to lot CN-2611-09; 9 were already there"),
            "{}",
            stdout(&second)
        );
        assert_eq!(store.events(1, "CN-2611-09").await.expect("events").len(), 9);
    }
}
