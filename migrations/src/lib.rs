//! Nguồn's database schema as sea-orm migrations, for SQLite and PostgreSQL alike.
//!
//! Migrations describe tables with `sea_query` identifiers only and never import the store's
//! entities: an entity may change shape later, a shipped migration must not.

pub use sea_orm_migration::prelude::*;

mod m20261122_000001_foundation;
mod m20261125_000001_labels;
mod m20261126_000001_lookup;
mod m20261127_000001_accounts;
mod m20261127_000002_event_photos;
mod m20261127_000003_certificate_scans;
mod m20261128_000001_listings;
mod m20261205_000001_integrity;
mod m20261205_000002_session_members;
mod m20261207_000001_app_season;
mod m20261208_000001_public_snapshots;
mod m20261209_000001_scan_flushes;
mod m20261210_000001_kept_pages;

/// Runs every migration in order.
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261122_000001_foundation::Migration),
            Box::new(m20261125_000001_labels::Migration),
            Box::new(m20261126_000001_lookup::Migration),
            Box::new(m20261127_000001_accounts::Migration),
            Box::new(m20261127_000002_event_photos::Migration),
            Box::new(m20261127_000003_certificate_scans::Migration),
            Box::new(m20261128_000001_listings::Migration),
            Box::new(m20261205_000001_integrity::Migration),
            Box::new(m20261205_000002_session_members::Migration),
            Box::new(m20261207_000001_app_season::Migration),
            Box::new(m20261208_000001_public_snapshots::Migration),
            Box::new(m20261209_000001_scan_flushes::Migration),
            Box::new(m20261210_000001_kept_pages::Migration),
        ]
    }
}
