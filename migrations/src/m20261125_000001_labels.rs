//! Labels: each cooperative's signing keys, signed label batches and the labels in them with
//! their scan counts.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cooperatives {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Lots {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CooperativeKeys {
    Table,
    Id,
    CooperativeId,
    KeyId,
    PublicKey,
    SecretKey,
    CreatedAt,
}

#[derive(DeriveIden)]
enum LabelBatches {
    Table,
    Id,
    CooperativeId,
    LotId,
    Count,
    PackSize,
    ChainHead,
    EventCount,
    IssuedAt,
    IssuedBy,
    KeyId,
    Record,
    Signature,
}

#[derive(DeriveIden)]
enum Labels {
    Table,
    Serial,
    BatchId,
    Position,
    Url,
    ScanCount,
    FirstScannedAt,
    LastScannedAt,
}

fn fk(
    from_table: impl IntoIden,
    from_col: impl IntoIden,
    to_table: impl IntoIden,
    to_col: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from_table, from_col)
        .to(to_table, to_col)
        .on_delete(ForeignKeyAction::Restrict)
        .on_update(ForeignKeyAction::Restrict)
        .to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CooperativeKeys::Table)
                    .col(big_pk_auto(CooperativeKeys::Id))
                    .col(big_integer(CooperativeKeys::CooperativeId))
                    .col(string_uniq(CooperativeKeys::KeyId))
                    .col(string(CooperativeKeys::PublicKey))
                    .col(string(CooperativeKeys::SecretKey))
                    .col(string(CooperativeKeys::CreatedAt))
                    .foreign_key(&mut fk(
                        CooperativeKeys::Table,
                        CooperativeKeys::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LabelBatches::Table)
                    .col(string(LabelBatches::Id).primary_key())
                    .col(big_integer(LabelBatches::CooperativeId))
                    .col(big_integer(LabelBatches::LotId))
                    .col(big_integer(LabelBatches::Count))
                    .col(string(LabelBatches::PackSize))
                    .col(string(LabelBatches::ChainHead))
                    .col(big_integer(LabelBatches::EventCount))
                    .col(string(LabelBatches::IssuedAt))
                    .col(big_integer(LabelBatches::IssuedBy))
                    .col(string(LabelBatches::KeyId))
                    .col(text(LabelBatches::Record))
                    .col(string(LabelBatches::Signature))
                    .foreign_key(&mut fk(
                        LabelBatches::Table,
                        LabelBatches::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .foreign_key(&mut fk(LabelBatches::Table, LabelBatches::LotId, Lots::Table, Lots::Id))
                    .foreign_key(&mut fk(
                        LabelBatches::Table,
                        LabelBatches::IssuedBy,
                        Members::Table,
                        Members::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("label_batches_lot")
                    .table(LabelBatches::Table)
                    .col(LabelBatches::LotId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Labels::Table)
                    .col(string(Labels::Serial).primary_key())
                    .col(string(Labels::BatchId))
                    .col(big_integer(Labels::Position))
                    .col(string(Labels::Url))
                    .col(big_integer(Labels::ScanCount).default(0))
                    .col(string_null(Labels::FirstScannedAt))
                    .col(string_null(Labels::LastScannedAt))
                    .foreign_key(&mut fk(
                        Labels::Table,
                        Labels::BatchId,
                        LabelBatches::Table,
                        LabelBatches::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("labels_batch_position")
                    .table(Labels::Table)
                    .col(Labels::BatchId)
                    .col(Labels::Position)
                    .unique()
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Labels::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LabelBatches::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CooperativeKeys::Table).to_owned())
            .await
    }
}
