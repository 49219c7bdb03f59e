//! The public lookup site: what a cooperative shows buyers about itself (a description and how
//! growers are named), certificates (VietGAP, organic …), product photos and shelf life, and
//! stored photos by their blake3 hash.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cooperatives {
    Table,
    Id,
    Description,
    GrowerDisplay,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    Photo,
    ShelfLifeDays,
}

#[derive(DeriveIden)]
enum Certificates {
    Table,
    Id,
    CooperativeId,
    ProductId,
    Scheme,
    Number,
    Body,
    Scope,
    ValidFrom,
    ValidTo,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Media {
    Table,
    Hash,
    Variant,
    ContentType,
    Width,
    Height,
    Bytes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Cooperatives::Table)
                    .add_column(text_null(Cooperatives::Description))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cooperatives::Table)
                    .add_column(string(Cooperatives::GrowerDisplay).default("name"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(string_null(Products::Photo))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Products::Table)
                    .add_column(integer_null(Products::ShelfLifeDays))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Certificates::Table)
                    .col(big_pk_auto(Certificates::Id))
                    .col(big_integer(Certificates::CooperativeId))
                    .col(big_integer_null(Certificates::ProductId))
                    .col(string(Certificates::Scheme))
                    .col(string(Certificates::Number))
                    .col(string(Certificates::Body))
                    .col(string_null(Certificates::Scope))
                    .col(string(Certificates::ValidFrom))
                    .col(string(Certificates::ValidTo))
                    .col(string(Certificates::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certificates::Table, Certificates::CooperativeId)
                            .to(Cooperatives::Table, Cooperatives::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Certificates::Table, Certificates::ProductId)
                            .to(Products::Table, Products::Id)
                            .on_delete(ForeignKeyAction::Restrict),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("certificates_cooperative")
                    .table(Certificates::Table)
                    .col(Certificates::CooperativeId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .col(string(Media::Hash))
                    .col(string(Media::Variant))
                    .col(string(Media::ContentType))
                    .col(integer(Media::Width))
                    .col(integer(Media::Height))
                    .col(blob(Media::Bytes))
                    .col(string(Media::CreatedAt))
                    .primary_key(Index::create().col(Media::Hash).col(Media::Variant))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(Media::Table).to_owned()).await?;
        manager
            .drop_table(Table::drop().table(Certificates::Table).to_owned())
            .await?;
        for column in [Products::ShelfLifeDays, Products::Photo] {
            manager
                .alter_table(Table::alter().table(Products::Table).drop_column(column).to_owned())
                .await?;
        }
        for column in [Cooperatives::GrowerDisplay, Cooperatives::Description] {
            manager
                .alter_table(Table::alter().table(Cooperatives::Table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
