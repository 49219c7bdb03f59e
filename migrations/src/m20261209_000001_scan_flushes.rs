//! Which of a process's scan-count flushes has committed, written in the same transaction as
//! the counts. A label's answer reads it with the label, so it knows whether the stored count
//! already holds the counts that process set aside for writing, and need not wait for the
//! commit of a flush under way to add them exactly once (`labels.rs`, `ScanBuffer`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum ScanFlushes {
    Table,
    Process,
    Flushed,
    FlushedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(ScanFlushes::Table)
                    .col(text(ScanFlushes::Process).primary_key())
                    .col(big_integer(ScanFlushes::Flushed))
                    .col(text(ScanFlushes::FlushedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ScanFlushes::Table).to_owned())
            .await
    }
}
