//! A label page as the public site rendered it, kept per label batch and language, so that a
//! scan of any label of a batch — after a restart, on another replica, or one of a hundred
//! thousand batches no process can hold in memory — reads it with the label in one query instead
//! of rendering the lot again. The body is opaque to the database (the site's own packing of the
//! page, compressed); `key` is everything the page depends on, as the site wrote it, and each row
//! is sealed with a key the database does not hold, so a hand edit is refused, never shown.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum KeptPages {
    Table,
    BatchId,
    Lang,
    Key,
    Body,
    Seal,
    KeptAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(KeptPages::Table)
                    .col(text(KeptPages::BatchId))
                    .col(text(KeptPages::Lang))
                    .col(text(KeptPages::Key))
                    .col(blob(KeptPages::Body))
                    .col(text(KeptPages::Seal))
                    .col(text(KeptPages::KeptAt))
                    .primary_key(Index::create().col(KeptPages::BatchId).col(KeptPages::Lang))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(KeptPages::Table).to_owned())
            .await
    }
}
