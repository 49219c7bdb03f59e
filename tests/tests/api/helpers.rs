//! Spawning the real app on port 0 with a fresh database, on SQLite always and on PostgreSQL
//! whenever one is reachable.

use reqwest::{Client, Method, StatusCode};
use sea_orm::{ConnectionTrait, Database};
use serde_json::{Value, json};
use server::AppState;
use store::Store;

/// Where PostgreSQL is looked for when `NGUON_TEST_POSTGRES_URL` is not set.
const DEFAULT_POSTGRES: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// The secret the tests' servers seal kept public records with, as a deployment configures
/// one (`seal_secret`) so that its replicas share them.
pub const TEST_SEAL: &str = "the tests' seal secret";

/// A running app with its own database.
pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub store: Store,
    pub backend: &'static str,
    pub coops: Vec<DemoCoop>,
    /// The database's URL (a SQLite file's path), for a second server on the same database.
    pub database_url: String,
    /// Stops and starts the server on its address (the database stays).
    pub server: ServerControl,
    _dir: Option<std::sync::Arc<tempfile::TempDir>>,
}

/// The app's server, which a test may stop and start again on the same address with the same
/// database: a phone can lose the server (switched off, out of reach) as well as its signal.
pub struct ServerControl {
    address: std::net::SocketAddr,
    state: AppState,
    running: tokio::sync::Mutex<Option<(tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>)>>,
}

impl ServerControl {
    fn serve(
        listener: tokio::net::TcpListener,
        state: AppState,
    ) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = server::serve(listener, state, async move {
                let _ = stopped.await;
            })
            .await;
        });
        (stop, task)
    }

    /// Stops the server: open connections are closed, and the port refuses new ones until
    /// [`ServerControl::start`].
    pub async fn stop(&self) {
        let Some((stop, task)) = self.running.lock().await.take() else {
            return;
        };
        let _ = stop.send(());
        let mut task = task;
        if tokio::time::timeout(std::time::Duration::from_secs(10), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while tokio::net::TcpStream::connect(self.address).await.is_ok() {
            assert!(
                std::time::Instant::now() < deadline,
                "the server still answers after stopping"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// Starts the server again on the same address (waiting for the port to be free).
    pub async fn start(&self) {
        let mut running = self.running.lock().await;
        if running.is_some() {
            return;
        }
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
        let listener = loop {
            match tokio::net::TcpListener::bind(self.address).await {
                Ok(listener) => break listener,
                Err(error) => {
                    assert!(
                        std::time::Instant::now() < deadline,
                        "could not listen on {} again: {error}",
                        self.address
                    );
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                }
            }
        };
        *running = Some(Self::serve(listener, self.state.clone()));
    }
}

/// A demo cooperative with a token per role.
#[derive(Clone, Debug)]
pub struct DemoCoop {
    pub id: i64,
    pub leader: String,
    /// A member assigned to the plot of the cooperative's first lot.
    pub member: String,
    /// A member not assigned to that plot.
    pub other_member: String,
    pub inspector: Option<String>,
}

async fn postgres_admin_url() -> Option<String> {
    static CHECKED: tokio::sync::OnceCell<Option<String>> = tokio::sync::OnceCell::const_new();
    CHECKED.get_or_init(find_postgres).await.clone()
}

/// Looks for PostgreSQL once per test run and drops databases left by earlier, ended runs.
async fn find_postgres() -> Option<String> {
    use std::io::Write;
    let url = std::env::var("NGUON_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_POSTGRES.to_owned());
    let reachable = tokio::time::timeout(std::time::Duration::from_secs(5), Database::connect(url.as_str())).await;
    match reachable {
        Ok(Ok(db)) => {
            let old = db
                .query_all_raw(sea_orm::Statement::from_string(
                    db.get_database_backend(),
                    "SELECT datname FROM pg_database WHERE datname LIKE 'nguon_test_%'",
                ))
                .await
                .unwrap_or_default();
            for row in old {
                if let Ok(name) = row.try_get::<String>("", "datname")
                    && left_by_an_old_run(&name, "nguon_test_")
                {
                    let _ = db
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                        .await;
                }
            }
            let _ = db.close().await;
            Some(url)
        }
        _ => {
            if std::env::var("NGUON_REQUIRE_POSTGRES").is_ok_and(|v| v == "1") {
                panic!("NGUON_REQUIRE_POSTGRES=1 but PostgreSQL is not reachable at {url}");
            }
            // Written straight to stderr so the test harness does not swallow it.
            let _ = writeln!(
                std::io::stderr(),
                "\n*** SKIPPING PostgreSQL: not reachable at {url}; these tests ran on SQLite only. Set NGUON_TEST_POSTGRES_URL to a server. ***\n"
            );
            None
        }
    }
}

fn unix_seconds() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Whether a test database (named `{prefix}{unix seconds}_{uuid}`) was made over three hours ago,
/// so by a run that has ended: test runs side by side on one server must not drop each other's.
fn left_by_an_old_run(name: &str, prefix: &str) -> bool {
    let made = name
        .strip_prefix(prefix)
        .and_then(|rest| rest.split_once('_'))
        .and_then(|(secs, _)| secs.parse::<u64>().ok());
    made.is_none_or(|secs| secs.saturating_add(3 * 3600) < unix_seconds())
}

async fn fresh_store(backend: &'static str) -> (Store, String, Option<std::sync::Arc<tempfile::TempDir>>) {
    match backend {
        "sqlite" => {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("nguon-test.db");
            let url = path.to_str().expect("utf-8 path").to_owned();
            let store = Store::connect(&url).await.expect("open sqlite").sealing_with(TEST_SEAL);
            (store, url, Some(std::sync::Arc::new(dir)))
        }
        _ => {
            let admin = postgres_admin_url().await.expect("postgres url");
            let name = format!("nguon_test_{}_{}", unix_seconds(), uuid::Uuid::new_v4().simple());
            let db = Database::connect(admin.as_str()).await.expect("connect postgres");
            db.execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                .await
                .expect("create database");
            let _ = db.close().await;
            let base = admin.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin);
            let url = format!("{base}/{name}");
            let store = Store::connect(&url)
                .await
                .expect("open postgres")
                .sealing_with(TEST_SEAL);
            (store, url, None)
        }
    }
}

/// Backends to run on: SQLite always, PostgreSQL when reachable.
pub async fn backends() -> Vec<&'static str> {
    let mut list = vec!["sqlite"];
    if postgres_admin_url().await.is_some() {
        list.push("postgres");
    }
    list
}

/// An app on an empty, migrated database.
pub async fn spawn_empty(backend: &'static str) -> TestApp {
    spawn_empty_with(backend, server::REVERIFY_EVERY).await
}

/// An app with the demo loaded whose background verification runs every `every`.
pub async fn spawn_demo_reverifying(backend: &'static str, every: std::time::Duration) -> TestApp {
    let app = spawn_empty_with(backend, every).await;
    with_demo(app).await
}

async fn spawn_empty_with(backend: &'static str, reverify_every: std::time::Duration) -> TestApp {
    let (store, database_url, dir) = fresh_store(backend).await;
    store.migrate().await.expect("migrate");
    serve_store(store, backend, database_url, dir, reverify_every, None).await
}

async fn serve_store(
    store: Store,
    backend: &'static str,
    database_url: String,
    dir: Option<std::sync::Arc<tempfile::TempDir>>,
    reverify_every: std::time::Duration,
    public_url: Option<&str>,
) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind port 0");
    let base = format!("http://{}", listener.local_addr().expect("address"));
    let labels = server::api::LabelSettings {
        base_url: label::BaseUrl::parse(public_url.unwrap_or(&base)).expect("base url"),
        font: nguon::labels::load_font(std::path::Path::new(nguon::config::DEFAULT_LABEL_FONT))
            .map(std::sync::Arc::new),
    };
    let state = AppState::new(store.clone(), labels).reverifying_every(reverify_every);
    let address = listener.local_addr().expect("address");
    let running = ServerControl::serve(listener, state.clone());
    TestApp {
        base,
        client: Client::new(),
        store,
        backend,
        coops: Vec::new(),
        database_url,
        server: ServerControl {
            address,
            state,
            running: tokio::sync::Mutex::new(Some(running)),
        },
        _dir: dir,
    }
}

impl TestApp {
    /// A second server on the same database, with its own connections, caches and scan
    /// counters, as another `nguon serve` process behind the same load balancer would be.
    pub async fn second_server(&self) -> TestApp {
        let store = Store::connect(&self.database_url)
            .await
            .expect("open the same database")
            .sealing_with(TEST_SEAL);
        let mut app = serve_store(
            store,
            self.backend,
            self.database_url.clone(),
            self._dir.clone(),
            server::REVERIFY_EVERY,
            // Behind one load balancer both print and link the same public address.
            Some(&self.base),
        )
        .await;
        app.coops = self.coops.clone();
        app
    }
}

/// An app with the demo cooperatives loaded, and tokens for each role.
pub async fn spawn_demo(backend: &'static str) -> TestApp {
    with_demo(spawn_empty(backend).await).await
}

async fn with_demo(mut app: TestApp) -> TestApp {
    let summary = nguon::demo::load(&app.store).await.expect("demo loads");
    for (id, _, _, leader) in summary.cooperatives {
        let members = app.store.members(id).await.expect("members");
        let lots = app.store.lots(id, None).await.expect("lots");
        let first_lot = lots.iter().min_by_key(|l| l.id).expect("a lot");
        let token_for = |member: &store::Member| member.id;
        let assigned = members
            .iter()
            .find(|m| m.role == farm_log::Role::Member && m.plot_ids.iter().any(|p| first_lot.plot_ids.contains(p)))
            .expect("an assigned member");
        let other = members
            .iter()
            .find(|m| m.role == farm_log::Role::Member && !m.plot_ids.iter().any(|p| first_lot.plot_ids.contains(p)))
            .expect("an unassigned member");
        let inspector = members.iter().find(|m| m.role == farm_log::Role::Inspector);
        let member = app
            .store
            .issue_token(token_for(assigned), "test")
            .await
            .expect("token")
            .token;
        let other_member = app
            .store
            .issue_token(token_for(other), "test")
            .await
            .expect("token")
            .token;
        let inspector = match inspector {
            Some(i) => Some(app.store.issue_token(i.id, "test").await.expect("token").token),
            None => None,
        };
        app.coops.push(DemoCoop {
            id,
            leader,
            member,
            other_member,
            inspector,
        });
    }
    app
}

impl TestApp {
    /// Sends a request with an optional token and JSON body; returns status and JSON (or Null).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body read");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// Sends raw bytes (a photo) with a content type.
    pub async fn upload(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .header("content-type", content_type)
            .body(bytes);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body read");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    /// The demo vegetable cooperative (north), whose first lot is `CN-2609-01`.
    pub fn veg(&self) -> &DemoCoop {
        &self.coops[0]
    }

    /// A new growing lot of the vegetable cooperative on the first plot of `member_id`, made
    /// through the API by its leader.
    pub async fn growing_lot(&self, code: &str, member_id: i64) -> String {
        let coop = self.veg().id;
        let members = self.store.members(coop).await.expect("members");
        let plot = members.iter().find(|m| m.id == member_id).expect("member").plot_ids[0];
        let products = self.store.products(coop).await.expect("products");
        let (status, body) = self
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots"),
                &self.veg().leader,
                serde_json::json!({ "code": code, "product_id": products[0].id, "plot_ids": [plot] }),
            )
            .await;
        assert_eq!(status, reqwest::StatusCode::CREATED, "create {code}: {body}");
        code.to_owned()
    }

    /// A lot of the vegetable cooperative on `member_id`'s plot, harvested and packed today
    /// through the API, whose product then keeps 2 days: stock close to its use-by date.
    /// Returns the packed lot's code (`{code}-A`).
    pub async fn packed_today_keeping_two_days(&self, code: &str, member_id: i64) -> String {
        let veg = self.veg().id;
        let lot = self.growing_lot(code, member_id).await;
        let now = store::now().to_rfc3339();
        let packed = format!("{lot}-A");
        for mut event in [
            json!({ "type": "harvest", "occurred_at": now, "quantity": "200 kg" }),
            json!({ "type": "packing", "occurred_at": now, "children": [{ "code": packed, "quantity": "150 kg" }] }),
        ] {
            event["id"] = json!(new_id());
            let (status, body) = self
                .post(
                    &format!("/api/v1/cooperatives/{veg}/lots/{lot}/events"),
                    &self.veg().leader,
                    event,
                )
                .await;
            assert_eq!(status, StatusCode::CREATED, "{body}");
        }
        let product = self.store.lot(veg, &lot).await.expect("lot").product_id;
        self.store
            .set_product_shelf_life(veg, product, Some(2))
            .await
            .expect("shelf life");
        packed
    }

    /// The sequence numbers of a vegetable-cooperative lot's stored events, as its leader reads them.
    pub async fn event_seqs(&self, code: &str) -> Vec<i64> {
        let coop = self.veg().id;
        let (status, events) = self
            .get(
                &format!("/api/v1/cooperatives/{coop}/lots/{code}/events"),
                &self.veg().leader,
            )
            .await;
        assert_eq!(status, StatusCode::OK, "[{}] {events}", self.backend);
        events
            .as_array()
            .expect("list")
            .iter()
            .map(|e| e["seq"].as_i64().expect("seq"))
            .collect()
    }

    /// The demo pomelo cooperative (south).
    pub fn pomelo(&self) -> &DemoCoop {
        &self.coops[1]
    }

    /// The id of an input product by trade name prefix.
    pub async fn input_id(&self, coop: i64, trade_name_prefix: &str) -> i64 {
        let inputs = self.store.input_products(coop).await.expect("inputs");
        inputs
            .iter()
            .find(|i| i.trade_name.starts_with(trade_name_prefix))
            .expect("input exists")
            .id
    }

    /// Creates a fresh growing lot in the vegetable cooperative on the assigned member's plot.
    pub async fn new_veg_lot(&self, code: &str) -> Value {
        let coop = self.veg().id;
        let plot = self
            .store
            .plots(coop)
            .await
            .expect("plots")
            .into_iter()
            .find(|p| p.name == "Ruộng Đồng Chùa")
            .expect("plot");
        let product = self.store.products(coop).await.expect("products")[0].id;
        let (status, body) = self
            .post(
                &format!("/api/v1/cooperatives/{coop}/lots"),
                &self.veg().leader,
                json!({ "code": code, "product_id": product, "plot_ids": [plot.id] }),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "[{}] {body}", self.backend);
        body
    }
}

/// A fresh event id.
pub fn new_id() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A moment `days` days before now, at +07:00, as events carry it: the demo is always a season
/// that just ended, so steps added by a test are dated relative to today too.
pub fn days_ago(days: i64) -> String {
    (store::now() - chrono::Duration::days(days)).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// A real PNG photo of `width` × `height` pixels.
pub fn png_photo(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| {
        image::Rgb([(x * 3 % 256) as u8, (y * 5 % 256) as u8, 120])
    });
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgb8(image)
        .write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)
        .expect("png");
    bytes
}
