//! The foundation schema: cooperatives, members, tokens, plots, products, input products, lots,
//! lot genealogy and the append-only event log.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Cooperatives {
    Table,
    Id,
    Name,
    Address,
    Province,
    Commune,
    Phone,
    Region,
    Gs1CompanyPrefix,
    Gln,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    CooperativeId,
    Name,
    Phone,
    Role,
    Active,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    MemberId,
    TokenHash,
    Label,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Plots {
    Table,
    Id,
    CooperativeId,
    Name,
    AreaValue,
    AreaUnit,
    Commune,
    LatMicro,
    LonMicro,
    GrowingAreaCode,
    CreatedAt,
}

#[derive(DeriveIden)]
enum PlotAssignments {
    Table,
    PlotId,
    MemberId,
}

#[derive(DeriveIden)]
enum Products {
    Table,
    Id,
    CooperativeId,
    Commodity,
    Variety,
    Gtin,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InputProducts {
    Table,
    Id,
    CooperativeId,
    Kind,
    TradeName,
    ActiveIngredients,
    RegistrationNumber,
    PhiDays,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Lots {
    Table,
    Id,
    CooperativeId,
    Code,
    ProductId,
    Status,
    CreatedAt,
    Genesis,
    Head,
    EventCount,
}

#[derive(DeriveIden)]
enum LotPlots {
    Table,
    LotId,
    PlotId,
}

#[derive(DeriveIden)]
enum LotParents {
    Table,
    ChildLotId,
    ParentLotId,
    ParentHead,
    QuantityValue,
    QuantityUnit,
    ViaEventId,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    LotId,
    Seq,
    Kind,
    OccurredAt,
    RecordedAt,
    ActorMemberId,
    Note,
    LatMicro,
    LonMicro,
    Body,
    Head,
    ContentDigest,
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
                    .table(Cooperatives::Table)
                    .col(big_pk_auto(Cooperatives::Id))
                    .col(string(Cooperatives::Name))
                    .col(string(Cooperatives::Address))
                    .col(string(Cooperatives::Province))
                    .col(string(Cooperatives::Commune))
                    .col(string(Cooperatives::Phone))
                    .col(string(Cooperatives::Region))
                    .col(string_null(Cooperatives::Gs1CompanyPrefix))
                    .col(string_null(Cooperatives::Gln))
                    .col(string(Cooperatives::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(big_pk_auto(Members::Id))
                    .col(big_integer(Members::CooperativeId))
                    .col(string(Members::Name))
                    .col(string(Members::Phone))
                    .col(string(Members::Role))
                    .col(boolean(Members::Active))
                    .col(string(Members::CreatedAt))
                    .foreign_key(&mut fk(
                        Members::Table,
                        Members::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("members_cooperative_phone")
                    .table(Members::Table)
                    .col(Members::CooperativeId)
                    .col(Members::Phone)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(big_pk_auto(ApiTokens::Id))
                    .col(big_integer(ApiTokens::MemberId))
                    .col(string_uniq(ApiTokens::TokenHash))
                    .col(string(ApiTokens::Label))
                    .col(string(ApiTokens::CreatedAt))
                    .col(string_null(ApiTokens::RevokedAt))
                    .foreign_key(&mut fk(
                        ApiTokens::Table,
                        ApiTokens::MemberId,
                        Members::Table,
                        Members::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Plots::Table)
                    .col(big_pk_auto(Plots::Id))
                    .col(big_integer(Plots::CooperativeId))
                    .col(string(Plots::Name))
                    .col(string(Plots::AreaValue))
                    .col(string(Plots::AreaUnit))
                    .col(string(Plots::Commune))
                    .col(integer_null(Plots::LatMicro))
                    .col(integer_null(Plots::LonMicro))
                    .col(string_null(Plots::GrowingAreaCode))
                    .col(string(Plots::CreatedAt))
                    .foreign_key(&mut fk(
                        Plots::Table,
                        Plots::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("plots_cooperative_name")
                    .table(Plots::Table)
                    .col(Plots::CooperativeId)
                    .col(Plots::Name)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlotAssignments::Table)
                    .col(big_integer(PlotAssignments::PlotId))
                    .col(big_integer(PlotAssignments::MemberId))
                    .primary_key(
                        Index::create()
                            .col(PlotAssignments::PlotId)
                            .col(PlotAssignments::MemberId),
                    )
                    .foreign_key(&mut fk(
                        PlotAssignments::Table,
                        PlotAssignments::PlotId,
                        Plots::Table,
                        Plots::Id,
                    ))
                    .foreign_key(&mut fk(
                        PlotAssignments::Table,
                        PlotAssignments::MemberId,
                        Members::Table,
                        Members::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Products::Table)
                    .col(big_pk_auto(Products::Id))
                    .col(big_integer(Products::CooperativeId))
                    .col(string(Products::Commodity))
                    .col(string_null(Products::Variety))
                    .col(string_null(Products::Gtin))
                    .col(string(Products::CreatedAt))
                    .foreign_key(&mut fk(
                        Products::Table,
                        Products::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InputProducts::Table)
                    .col(big_pk_auto(InputProducts::Id))
                    .col(big_integer(InputProducts::CooperativeId))
                    .col(string(InputProducts::Kind))
                    .col(string(InputProducts::TradeName))
                    .col(text(InputProducts::ActiveIngredients))
                    .col(string_null(InputProducts::RegistrationNumber))
                    .col(integer_null(InputProducts::PhiDays))
                    .col(string(InputProducts::CreatedAt))
                    .foreign_key(&mut fk(
                        InputProducts::Table,
                        InputProducts::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Lots::Table)
                    .col(big_pk_auto(Lots::Id))
                    .col(big_integer(Lots::CooperativeId))
                    .col(string(Lots::Code))
                    .col(big_integer(Lots::ProductId))
                    .col(string(Lots::Status))
                    .col(string(Lots::CreatedAt))
                    .col(string(Lots::Genesis))
                    .col(string(Lots::Head))
                    .col(big_integer(Lots::EventCount))
                    .foreign_key(&mut fk(
                        Lots::Table,
                        Lots::CooperativeId,
                        Cooperatives::Table,
                        Cooperatives::Id,
                    ))
                    .foreign_key(&mut fk(Lots::Table, Lots::ProductId, Products::Table, Products::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lots_cooperative_code")
                    .table(Lots::Table)
                    .col(Lots::CooperativeId)
                    .col(Lots::Code)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LotPlots::Table)
                    .col(big_integer(LotPlots::LotId))
                    .col(big_integer(LotPlots::PlotId))
                    .primary_key(Index::create().col(LotPlots::LotId).col(LotPlots::PlotId))
                    .foreign_key(&mut fk(LotPlots::Table, LotPlots::LotId, Lots::Table, Lots::Id))
                    .foreign_key(&mut fk(LotPlots::Table, LotPlots::PlotId, Plots::Table, Plots::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LotParents::Table)
                    .col(big_integer(LotParents::ChildLotId))
                    .col(big_integer(LotParents::ParentLotId))
                    .col(string(LotParents::ParentHead))
                    .col(string(LotParents::QuantityValue))
                    .col(string(LotParents::QuantityUnit))
                    .col(string(LotParents::ViaEventId))
                    .primary_key(Index::create().col(LotParents::ChildLotId).col(LotParents::ParentLotId))
                    .foreign_key(&mut fk(
                        LotParents::Table,
                        LotParents::ChildLotId,
                        Lots::Table,
                        Lots::Id,
                    ))
                    .foreign_key(&mut fk(
                        LotParents::Table,
                        LotParents::ParentLotId,
                        Lots::Table,
                        Lots::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lot_parents_parent")
                    .table(LotParents::Table)
                    .col(LotParents::ParentLotId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(string(Events::Id).primary_key())
                    .col(big_integer(Events::LotId))
                    .col(big_integer(Events::Seq))
                    .col(string(Events::Kind))
                    .col(string(Events::OccurredAt))
                    .col(string(Events::RecordedAt))
                    .col(big_integer(Events::ActorMemberId))
                    .col(text_null(Events::Note))
                    .col(integer_null(Events::LatMicro))
                    .col(integer_null(Events::LonMicro))
                    .col(text(Events::Body))
                    .col(string(Events::Head))
                    .col(string(Events::ContentDigest))
                    .foreign_key(&mut fk(Events::Table, Events::LotId, Lots::Table, Lots::Id))
                    .foreign_key(&mut fk(
                        Events::Table,
                        Events::ActorMemberId,
                        Members::Table,
                        Members::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("events_lot_seq")
                    .table(Events::Table)
                    .col(Events::LotId)
                    .col(Events::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Events::Table.into_iden(),
            LotParents::Table.into_iden(),
            LotPlots::Table.into_iden(),
            Lots::Table.into_iden(),
            InputProducts::Table.into_iden(),
            Products::Table.into_iden(),
            PlotAssignments::Table.into_iden(),
            Plots::Table.into_iden(),
            ApiTokens::Table.into_iden(),
            Members::Table.into_iden(),
            Cooperatives::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
