//! What the cooperative's app keeps beside the chain to carry a season through (none of it is
//! provenance, so none of it is hashed):
//!
//! - `input_usage`: what an input's label says about how much to use, typed by a leader: the
//!   typical rate per area (kept per hectare in the base unit of its dimension, kg or L), and for
//!   pesticides the dose per sprayer tank (e.g. 20 ml per 16-litre tank). Amounts far outside the
//!   rate are questioned before they are stored.
//! - `lot_packs`: how a packed lot was packed in the app (bags of 500 g, boxes of 10 kg, or
//!   fruit sold by the piece with an average weight), so its labels say the same without it
//!   being typed twice.
//! - `shipment_contacts`: a telephone number for the receiver of a shipping event, for the
//!   leader to call in a recall; kept off the chain because the chain is public.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum InputProducts {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Lots {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum InputUsage {
    Table,
    InputProductId,
    RateLow,
    RateHigh,
    RateUnit,
    TankDoseValue,
    TankDoseUnit,
    TankLitres,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum LotPacks {
    Table,
    LotId,
    PackWord,
    PackValue,
    PackUnit,
    PerPiece,
    Packs,
    CreatedAt,
}

#[derive(DeriveIden)]
enum ShipmentContacts {
    Table,
    EventId,
    LotId,
    Phone,
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
                    .table(InputUsage::Table)
                    .col(big_integer(InputUsage::InputProductId).primary_key())
                    .col(string_null(InputUsage::RateLow))
                    .col(string_null(InputUsage::RateHigh))
                    .col(string_null(InputUsage::RateUnit))
                    .col(string_null(InputUsage::TankDoseValue))
                    .col(string_null(InputUsage::TankDoseUnit))
                    .col(string_null(InputUsage::TankLitres))
                    .col(string(InputUsage::UpdatedAt))
                    .foreign_key(&mut fk(
                        InputUsage::Table,
                        InputUsage::InputProductId,
                        InputProducts::Table,
                        InputProducts::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LotPacks::Table)
                    .col(big_integer(LotPacks::LotId).primary_key())
                    .col(string(LotPacks::PackWord))
                    .col(string(LotPacks::PackValue))
                    .col(string(LotPacks::PackUnit))
                    .col(boolean(LotPacks::PerPiece))
                    .col(big_integer(LotPacks::Packs))
                    .col(string(LotPacks::CreatedAt))
                    .foreign_key(&mut fk(LotPacks::Table, LotPacks::LotId, Lots::Table, Lots::Id))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ShipmentContacts::Table)
                    .col(string(ShipmentContacts::EventId).primary_key())
                    .col(big_integer(ShipmentContacts::LotId))
                    .col(string(ShipmentContacts::Phone))
                    .foreign_key(&mut fk(
                        ShipmentContacts::Table,
                        ShipmentContacts::LotId,
                        Lots::Table,
                        Lots::Id,
                    ))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ShipmentContacts::Table.into_iden(),
            LotPacks::Table.into_iden(),
            InputUsage::Table.into_iden(),
        ] {
            manager.drop_table(Table::drop().table(table).to_owned()).await?;
        }
        Ok(())
    }
}
