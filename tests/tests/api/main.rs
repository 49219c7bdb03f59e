//! End-to-end tests of the JSON API: the real router on port 0, a fresh database per test, on
//! SQLite and (when reachable) PostgreSQL.

mod app;
mod app_authz;
mod app_listings;
mod app_season;
mod authz;
mod chain;
mod concurrency;
mod diary_import;
mod durability;
mod epcis;
mod errors;
mod events;
mod helpers;
mod kept_records;
mod labels;
mod listings;
mod openapi;
mod pages;
mod phone;
mod plans;
mod replicas;
mod resolver;
mod robustness;
mod verdicts;
