//! A headless Chromium driven over WebDriver (fantoccini ↔ a `chromedriver` this process spawns),
//! sized like a small phone (360×740 CSS pixels), for the tests of the public lookup pages:
//! open a page, read its text and elements, evaluate JavaScript, save a screenshot, and run
//! axe-core's accessibility checks.
//!
//! The browser, its driver and axe-core are outside cargo (Debian `chromium` and
//! `chromium-driver`, npm `axe-core` under `tests/browser/`). When one is missing,
//! [`Browser::launch`] says so loudly on stderr and returns `None` so the test can return early;
//! with `NGUON_REQUIRE_TOOLS=1` (as in CI) it panics instead.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

/// The Chromium the Debian package installs (a wrapper script that sets Debian's flags).
pub const CHROMIUM: &str = "/usr/bin/chromium";

/// The viewport every test page is rendered in: a small Android phone, in CSS pixels.
pub const VIEWPORT: (u32, u32) = (360, 740);

/// The languages the browser asks pages in (Accept-Language), like a phone set to Vietnamese.
pub const LANGUAGES: [&str; 2] = ["vi-VN", "vi"];

/// How long [`Browser::find`] waits for an element to appear.
const ELEMENT_WAIT: Duration = Duration::from_secs(5);

/// How long chromedriver may take to start listening.
const DRIVER_START: Duration = Duration::from_secs(20);

/// How long a command sent to chromedriver outside fantoccini may take to be answered.
const DRIVER_COMMAND: Duration = Duration::from_secs(30);

/// Where `npm ci --prefix tests/browser` puts axe-core.
fn axe_script_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("browser/node_modules/axe-core/axe.min.js")
}

/// Whether everything a browser test needs is here. When something is missing: panics under
/// `NGUON_REQUIRE_TOOLS=1`, otherwise prints a loud skip line naming the test and returns false.
fn tools_present(test: &str) -> bool {
    let mut missing = Vec::new();
    if !Path::new(CHROMIUM).exists() {
        missing.push(format!("{CHROMIUM} (apt-get install chromium)"));
    }
    if find_in_path("chromedriver").is_none() {
        missing.push("chromedriver (apt-get install chromium-driver)".to_owned());
    }
    if !axe_script_path().exists() {
        missing.push(format!(
            "{} (npm ci --prefix tests/browser)",
            axe_script_path().display()
        ));
    }
    if missing.is_empty() {
        return true;
    }
    let missing = missing.join(", ");
    assert!(
        std::env::var("NGUON_REQUIRE_TOOLS").as_deref() != Ok("1"),
        "NGUON_REQUIRE_TOOLS=1 but the browser test {test} cannot run: missing {missing}"
    );
    // Written to the stderr handle, not with eprintln!, which the test harness captures.
    let message = format!("\n*** SKIPPING browser test {test}: missing {missing} ***\n");
    let _ = std::io::stderr().write_all(message.as_bytes());
    false
}

fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// A free TCP port on the loopback interface (free when asked; chromedriver binds it next).
fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// The chromedriver process. It is started in its own process group, so dropping it ends the
/// driver and every Chromium process it started, even when a test panics half-way.
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is the driver's pid (process_group(0) below).
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A headless Chromium session in a fresh profile, with a 360×740 viewport, asking for
/// Vietnamese pages.
pub struct Browser {
    client: Client,
    test: String,
    /// The port chromedriver listens on, for the commands fantoccini has no method for.
    port: u16,
    // Dropped after the client: the driver (and its browsers) first, then the profile folder.
    _driver: Driver,
    _profile: tempfile::TempDir,
}

/// One accessibility rule axe-core found broken on a page.
#[derive(Clone, Debug)]
pub struct Violation {
    /// The axe rule id, such as `color-contrast`.
    pub id: String,
    /// `minor`, `moderate`, `serious` or `critical`.
    pub impact: String,
    /// What the rule asks for, in one line.
    pub help: String,
    /// The CSS selectors of the offending elements.
    pub targets: Vec<String>,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "[{}] {}: {} — at {}",
            self.impact,
            self.id,
            self.help,
            self.targets.join(" | ")
        )
    }
}

impl Browser {
    /// Starts chromedriver on a free port and opens a Chromium session for the test named
    /// `test` (the name screenshots are saved under). `None` when the tools are missing and
    /// `NGUON_REQUIRE_TOOLS` is not `1`: the test should return at once.
    pub async fn launch(test: &str) -> Option<Browser> {
        if !tools_present(test) {
            return None;
        }
        let profile = tempfile::tempdir().expect("a temporary profile folder");
        let port = free_port();
        let chromedriver = find_in_path("chromedriver").expect("chromedriver");
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .process_group(0)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let driver = Driver { child };
        wait_for_port(port).await;

        let (width, height) = VIEWPORT;
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("browserName".to_owned(), json!("chrome"));
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({
                "binary": CHROMIUM,
                "args": [
                    "--headless",
                    "--no-sandbox",
                    "--disable-gpu",
                    "--disable-quic",
                    "--disable-background-networking",
                    "--no-first-run",
                    "--disable-component-update",
                    "--disable-sync",
                    "--disable-dev-shm-usage",
                    format!("--user-data-dir={}", profile.path().display()),
                    format!("--lang={}", LANGUAGES[0]),
                ],
                // A Vietnamese buyer's phone: pages are asked for in Vietnamese first.
                "prefs": { "intl.accept_languages": LANGUAGES.join(",") },
                "mobileEmulation": {
                    "deviceMetrics": { "width": width, "height": height, "pixelRatio": 2 }
                },
            }),
        );
        let connector = hyper_util::client::legacy::connect::HttpConnector::new();
        let client = ClientBuilder::new(connector)
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("open a Chromium session through chromedriver");
        Some(Browser {
            client,
            test: test.to_owned(),
            port,
            _driver: driver,
            _profile: profile,
        })
    }

    /// The WebDriver client, for anything the helpers below do not cover.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Navigates to `url` and waits for the page to load.
    pub async fn open(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
    }

    /// The address of the page shown now.
    pub async fn url(&self) -> String {
        self.client.current_url().await.expect("current URL").to_string()
    }

    /// The text of the page as a reader sees it (`innerText` of the body).
    pub async fn text(&self) -> String {
        self.find("body").await.text().await.expect("page text")
    }

    /// The first element matching the CSS `selector`, waiting up to 5 s for it to appear.
    pub async fn find(&self, selector: &str) -> Element {
        match self
            .client
            .wait()
            .at_most(ELEMENT_WAIT)
            .for_element(Locator::Css(selector))
            .await
        {
            Ok(element) => element,
            Err(error) => panic!("no element {selector} on {}: {error}", self.url_or_unknown().await),
        }
    }

    /// Every element matching the CSS `selector` now (possibly none; no waiting).
    pub async fn find_all(&self, selector: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("look for {selector}: {e}"))
    }

    /// Evaluates JavaScript in the page (`return` gives a value back). WebDriver runs it outside
    /// the page's Content-Security-Policy, so this works on pages that allow no script at all.
    pub async fn eval(&self, script: &str) -> Value {
        self.client
            .execute(script, Vec::new())
            .await
            .unwrap_or_else(|e| panic!("evaluate {script}: {e}"))
    }

    /// Saves a PNG of the viewport as `browser-screenshots/<test>.png` in the cargo target folder
    /// (`CARGO_TARGET_DIR` or the workspace's `target/`), prints and returns the path.
    pub async fn screenshot(&self) -> PathBuf {
        let png = self.client.screenshot().await.expect("take a screenshot");
        let dir = std::env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
            .join("browser-screenshots");
        std::fs::create_dir_all(&dir).expect("create the screenshot folder");
        let path = dir.join(format!("{}.png", self.test));
        std::fs::write(&path, png).expect("write the screenshot");
        let _ = writeln!(std::io::stderr(), "screenshot: {}", path.display());
        path
    }

    /// Runs axe-core on the page shown now and returns every violation it reports.
    pub async fn axe(&self) -> Vec<Violation> {
        let source = std::fs::read_to_string(axe_script_path()).expect("read axe.min.js");
        // Injected through WebDriver (not a <script> element), which the page's CSP allows.
        let loaded = self
            .client
            .execute(&format!("{source}\n;return typeof axe;"), Vec::new())
            .await
            .expect("inject axe-core");
        assert_eq!(loaded, json!("object"), "axe-core did not load");
        let answer = self
            .client
            .execute_async(
                r#"const done = arguments[arguments.length - 1];
                axe.run(document, { resultTypes: ["violations"] })
                    .then(result => done(result.violations.map(v => ({
                        id: v.id,
                        impact: v.impact || "unknown",
                        help: v.help,
                        targets: v.nodes.map(n => n.target.join(" ")),
                    }))))
                    .catch(error => done({ error: String(error) }));"#,
                Vec::new(),
            )
            .await
            .expect("run axe-core");
        let violations = answer.as_array().unwrap_or_else(|| panic!("axe-core failed: {answer}"));
        let text = |v: &Value, key: &str| v[key].as_str().unwrap_or_default().to_owned();
        violations
            .iter()
            .map(|v| Violation {
                id: text(v, "id"),
                impact: text(v, "impact"),
                help: text(v, "help"),
                targets: v["targets"]
                    .as_array()
                    .map(|t| t.iter().filter_map(|s| s.as_str().map(str::to_owned)).collect())
                    .unwrap_or_default(),
            })
            .collect()
    }

    /// Asserts axe-core finds no `serious` or `critical` violation on the page shown now; on
    /// failure the message lists each violation's id, impact, help and elements.
    pub async fn assert_accessible(&self) {
        let violations = self.axe().await;
        let page = self.url_or_unknown().await;
        for lesser in violations
            .iter()
            .filter(|v| v.impact != "serious" && v.impact != "critical")
        {
            let _ = writeln!(std::io::stderr(), "axe-core on {page} (not failing): {lesser}");
        }
        let grave: Vec<String> = violations
            .iter()
            .filter(|v| v.impact == "serious" || v.impact == "critical")
            .map(ToString::to_string)
            .collect();
        assert!(
            grave.is_empty(),
            "axe-core found serious or critical violations on {page}:\n{}",
            grave.join("\n")
        );
    }

    /// Cuts the page's network off (`true`) or gives it back (`false`), like a phone losing and
    /// finding its signal: chromedriver's `chromium/network_conditions` command, which emulates
    /// the conditions in the page through the DevTools protocol. Offline, `navigator.onLine` is
    /// false in the page, its `offline` event fires, and requests the page makes fail; back
    /// online, the `online` event fires.
    ///
    /// The emulation is the page's: a service worker runs in a target of its own, which
    /// chromedriver does not emulate (see the offline browser test for what that means).
    pub async fn set_offline(&self, offline: bool) {
        self.network_conditions(offline, 0, -1, -1).await;
    }

    /// Slows the page's network to a mobile line: `latency_ms` added to each request,
    /// throughput in bytes per second each way (400 kbit/s is 50,000 bytes/s). The same
    /// chromedriver command as [`Browser::set_offline`], so it is the page's only; `-1` lifts
    /// a limit.
    pub async fn set_throughput(&self, latency_ms: u64, download_bytes_per_s: i64, upload_bytes_per_s: i64) {
        self.network_conditions(false, latency_ms, download_bytes_per_s, upload_bytes_per_s)
            .await;
    }

    async fn network_conditions(&self, offline: bool, latency_ms: u64, download: i64, upload: i64) {
        let session = self
            .client
            .session_id()
            .await
            .expect("the session id")
            .expect("an open session");
        // Not through `Client::issue_cmd`: its `WebDriverCompatibleCommand` trait is written in
        // `url::Url` and `http::Method`, which fantoccini does not re-export.
        let body = json!({
            "network_conditions": {
                "offline": offline,
                "latency": latency_ms,
                "download_throughput": download,
                "upload_throughput": upload,
            }
        });
        let answer = self
            .driver_command(
                "POST",
                &format!("/session/{session}/chromium/network_conditions"),
                &body,
            )
            .await;
        assert!(
            answer.get("value").is_some_and(Value::is_null),
            "chromedriver refused to set the network {}: {answer}",
            if offline { "offline" } else { "online" }
        );
    }

    /// Sends one WebDriver command to chromedriver over a plain HTTP/1.1 connection of its own
    /// and returns its JSON answer (`{"value": …}`), whatever its status.
    async fn driver_command(&self, method: &str, path: &str, body: &Value) -> Value {
        let request = {
            let body = body.to_string();
            format!(
                "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\
                 Content-Type: application/json; charset=utf-8\r\nContent-Length: {length}\r\n\
                 Connection: close\r\n\r\n{body}",
                port = self.port,
                length = body.len(),
            )
        };
        let port = self.port;
        let what = format!("{method} {path}");
        tokio::task::spawn_blocking(move || {
            let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port))
                .unwrap_or_else(|e| panic!("connect to chromedriver for {what}: {e}"));
            stream.set_read_timeout(Some(DRIVER_COMMAND)).expect("a read timeout");
            stream
                .write_all(request.as_bytes())
                .unwrap_or_else(|e| panic!("send {what} to chromedriver: {e}"));
            // Read to the end of the answer: chromedriver may keep the connection open.
            let mut response = Vec::new();
            let mut buffer = [0_u8; 8192];
            loop {
                if answer_complete(&response) {
                    break;
                }
                let read = stream
                    .read(&mut buffer)
                    .unwrap_or_else(|e| panic!("read chromedriver's answer to {what}: {e}"));
                if read == 0 {
                    break;
                }
                response.extend_from_slice(&buffer[..read]);
            }
            let split = response.windows(4).position(|w| w == b"\r\n\r\n").unwrap_or_else(|| {
                panic!(
                    "chromedriver's answer to {what} has no body: {}",
                    String::from_utf8_lossy(&response)
                )
            });
            let (head, body) = (String::from_utf8_lossy(&response[..split]), &response[split + 4..]);
            let body = if head.to_ascii_lowercase().contains("transfer-encoding: chunked") {
                unchunk(body)
            } else {
                body.to_vec()
            };
            serde_json::from_slice(&body).unwrap_or_else(|e| {
                panic!(
                    "chromedriver's answer to {what} is not JSON ({e}): {head}\n\n{}",
                    String::from_utf8_lossy(&body)
                )
            })
        })
        .await
        .expect("the chromedriver command")
    }

    /// Ends the session (Chromium exits) and then the driver.
    pub async fn close(self) {
        let Browser { client, _driver, .. } = self;
        let _ = client.close().await;
    }

    async fn url_or_unknown(&self) -> String {
        match self.client.current_url().await {
            Ok(url) => url.to_string(),
            Err(_) => "(unknown page)".to_owned(),
        }
    }
}

/// Whether `response` holds a whole HTTP/1.1 answer: its head, and all of the body its
/// `Content-Length` announces (or the last chunk of a chunked body).
fn answer_complete(response: &[u8]) -> bool {
    let Some(split) = response.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    let head = String::from_utf8_lossy(&response[..split]).to_ascii_lowercase();
    let body = &response[split + 4..];
    if let Some(length) = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|length| length.trim().parse::<usize>().ok())
    {
        return body.len() >= length;
    }
    head.contains("transfer-encoding: chunked") && body.ends_with(b"0\r\n\r\n")
}

/// The body of an HTTP/1.1 response sent in chunks, put back together.
fn unchunk(mut chunked: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    while let Some(end) = chunked.windows(2).position(|w| w == b"\r\n") {
        let line = String::from_utf8_lossy(&chunked[..end]);
        let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        let rest = &chunked[end + 2..];
        if size == 0 || rest.len() < size {
            break;
        }
        body.extend_from_slice(&rest[..size]);
        chunked = rest[size..].strip_prefix(b"\r\n").unwrap_or(&rest[size..]);
    }
    body
}

/// Waits until something listens on `port` (chromedriver has started).
async fn wait_for_port(port: u16) {
    let start = Instant::now();
    while TcpStream::connect((Ipv4Addr::LOCALHOST, port)).is_err() {
        assert!(
            start.elapsed() < DRIVER_START,
            "chromedriver did not listen on port {port} within {DRIVER_START:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
