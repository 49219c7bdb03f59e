//! What the browser tests share: starting the app and the browser together, issuing a label on
//! a demo lot, appending events, and the addresses of the public pages.

use tests::browser::Browser;

use crate::helpers::{TestApp, spawn_demo};

/// A browser and an app with the demo cooperatives on a fresh SQLite database; `None` when the
/// browser tools are missing (the skip has been announced).
pub async fn start(test: &str) -> Option<(Browser, TestApp)> {
    let browser = Browser::launch(test).await?;
    Some((browser, spawn_demo("sqlite").await))
}
