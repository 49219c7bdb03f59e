//! Browser tests of the public lookup site: the real app on port 0 with a fresh SQLite database
//! per test, read by a headless Chromium with a phone-sized viewport (`tests::browser`). The
//! pages render the same on both backends, so these run on SQLite only; the API suite covers
//! PostgreSQL.

// The API suite's app spawning, shared rather than copied; the browser tests use part of it.
#[allow(dead_code)]
#[path = "../api/helpers.rs"]
mod helpers;

mod accessibility;
mod app;
mod app_listings;
mod buyer;
mod catalog;
mod harness;
mod label_page;
mod language;
mod leader;
mod not_found;
mod offline;
mod recall;
mod season;
mod support;
mod xss;
