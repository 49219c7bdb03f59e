//! Marketplace listings: what a cooperative sells, from which packed lots, at what price.
//!
//! - `listings`: one row per listing, its current version and status.
//! - `listing_versions`: every version of a listing's fields, never updated, so the price history
//!   stays visible. Photos are space-separated blake3 hashes, lots space-separated lot codes (in
//!   the order they are sold from).
//! - `stock_movements`: what was sold or written off, per lot, never updated. One request may
//!   draw from several lots and then writes several rows with the same `movement_id` (the
//!   client's id, which makes the request idempotent). The quantity is in the base unit of the
//!   pack size's dimension, so it stays right if a later version changes the pack size.
//! - `feed_tokens`: the unguessable token in each cooperative's feed URLs, rotated by a leader.

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
enum Listings {
    Table,
    Id,
    CooperativeId,
    Version,
    Status,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ListingVersions {
    Table,
    Id,
    ListingId,
    Version,
    TitleVi,
    TitleEn,
    DescriptionVi,
    DescriptionEn,
    PriceVnd,
    PackValue,
    PackUnit,
    Gtin,
    Category,
    Photos,
    Lots,
    Status,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden)]
enum StockMovements {
    Table,
    Id,
    MovementId,
    ListingId,
    LotId,
    Kind,
    Units,
    QuantityValue,
    QuantityUnit,
    Note,
    RecordedAt,
    RecordedBy,
}

#[derive(DeriveIden)]
enum FeedTokens {
    Table,
    CooperativeId,
    Token,
    CreatedAt,
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
                    .table(Listings::Table)
                    .col(big_pk_auto(Listings::Id))
                    .col(big_integer(Listings::CooperativeId))
                    .col(integer(Listings::Version))
                    .col(string(Listings::Status))
                    .col(string(Listings::CreatedAt))
                    .col(string(Listings::UpdatedAt))
                    .foreign_key(&mut fk(
                        Listings::Table,
                        Listings::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("listings_cooperative")
                    .table(Listings::Table)
                    .col(Listings::CooperativeId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ListingVersions::Table)
                    .col(big_pk_auto(ListingVersions::Id))
                    .col(big_integer(ListingVersions::ListingId))
                    .col(integer(ListingVersions::Version))
                    .col(text(ListingVersions::TitleVi))
                    .col(text_null(ListingVersions::TitleEn))
                    .col(text_null(ListingVersions::DescriptionVi))
                    .col(text_null(ListingVersions::DescriptionEn))
                    .col(big_integer(ListingVersions::PriceVnd))
                    .col(string(ListingVersions::PackValue))
                    .col(string(ListingVersions::PackUnit))
                    .col(string_null(ListingVersions::Gtin))
                    .col(text_null(ListingVersions::Category))
                    .col(text(ListingVersions::Photos))
                    .col(text(ListingVersions::Lots))
                    .col(string(ListingVersions::Status))
                    .col(string(ListingVersions::CreatedAt))
                    .col(big_integer(ListingVersions::CreatedBy))
                    .foreign_key(&mut fk(
                        ListingVersions::Table,
                        ListingVersions::ListingId,
                        Listings::Table,
                        Listings::Id,
                    ))
                    .foreign_key(&mut fk(
                        ListingVersions::Table,
                        ListingVersions::CreatedBy,
                        Members::Table,
                        Members::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("listing_versions_listing_version")
                    .table(ListingVersions::Table)
                    .col(ListingVersions::ListingId)
                    .col(ListingVersions::Version)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(StockMovements::Table)
                    .col(big_pk_auto(StockMovements::Id))
                    .col(string(StockMovements::MovementId))
                    .col(big_integer(StockMovements::ListingId))
                    .col(big_integer(StockMovements::LotId))
                    .col(string(StockMovements::Kind))
                    .col(big_integer(StockMovements::Units))
                    .col(string(StockMovements::QuantityValue))
                    .col(string(StockMovements::QuantityUnit))
                    .col(text_null(StockMovements::Note))
                    .col(string(StockMovements::RecordedAt))
                    .col(big_integer(StockMovements::RecordedBy))
                    .foreign_key(&mut fk(
                        StockMovements::Table,
                        StockMovements::ListingId,
                        Listings::Table,
                        Listings::Id,
                    ))
                    .foreign_key(&mut fk(
                        StockMovements::Table,
                        StockMovements::LotId,
                        Lots::Table,
                        Lots::Id,
                    ))
                    .foreign_key(&mut fk(
                        StockMovements::Table,
                        StockMovements::RecordedBy,
                        Members::Table,
                        Members::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stock_movements_movement_lot")
                    .table(StockMovements::Table)
                    .col(StockMovements::MovementId)
                    .col(StockMovements::LotId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stock_movements_lot")
                    .table(StockMovements::Table)
                    .col(StockMovements::LotId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("stock_movements_listing")
                    .table(StockMovements::Table)
                    .col(StockMovements::ListingId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FeedTokens::Table)
                    .col(big_integer(FeedTokens::CooperativeId).primary_key())
                    .col(string_uniq(FeedTokens::Token))
                    .col(string(FeedTokens::CreatedAt))
                    .foreign_key(&mut fk(
                        FeedTokens::Table,
                        FeedTokens::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            FeedTokens::Table.into_iden(),
            StockMovements::Table.into_iden(),
            ListingVersions::Table.into_iden(),
            Listings::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
