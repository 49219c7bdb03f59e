//! A lot's public record, built once per stamp and kept in the database so that the first scan
//! of a label after a restart, or on another replica, reads one row instead of assembling the
//! lot from a score of queries. Each row is sealed with a key the database does not hold, so a
//! hand edit of a kept record is refused and rebuilt rather than shown. The body is deflated
//! JSON, a fraction of its size.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum PublicSnapshots {
    Table,
    LotId,
    Stamp,
    Body,
    Seal,
    BuiltAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(PublicSnapshots::Table)
                    .col(big_integer(PublicSnapshots::LotId).primary_key())
                    .col(text(PublicSnapshots::Stamp))
                    .col(blob(PublicSnapshots::Body))
                    .col(text(PublicSnapshots::Seal))
                    .col(text(PublicSnapshots::BuiltAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PublicSnapshots::Table).to_owned())
            .await
    }
}
