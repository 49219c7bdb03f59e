//! A lot's public record, built once per stamp and kept in the database so that the first scan
//! of a label after a restart, or on another replica, reads one row instead of assembling the
//! lot from a score of queries. Each row is sealed with a key the database does not hold, so a
//! hand edit of a kept record is refused and rebuilt rather than shown. The body is deflated
//! JSON, a fraction of its size.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

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
            .await?;
        // A kept record is trusted under the stamp the lot row shows. The application only
        // ever moves a lot's head forward with its count; moving the count back, or the head
        // without the count, is a hand edit that could bring an older record back into use
        // (a recall undone on the page): it moves the integrity epoch, as other edits do.
        let statement = match manager.get_database_backend() {
            DbBackend::Postgres => {
                "CREATE TRIGGER nguon_tamper_lots_head AFTER UPDATE OF head, event_count ON lots FOR EACH ROW \
                 WHEN (NEW.event_count < OLD.event_count \
                 OR (NEW.event_count = OLD.event_count AND NEW.head IS DISTINCT FROM OLD.head)) \
                 EXECUTE FUNCTION nguon_tamper()"
            }
            _ => {
                "CREATE TRIGGER nguon_tamper_lots_head AFTER UPDATE OF head, event_count ON lots \
                 WHEN NEW.event_count < OLD.event_count \
                 OR (NEW.event_count = OLD.event_count AND NEW.head IS NOT OLD.head) \
                 BEGIN UPDATE integrity SET epoch = epoch + 1 WHERE id = 1; END"
            }
        };
        manager.get_connection().execute_unprepared(statement).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statement = match manager.get_database_backend() {
            DbBackend::Postgres => "DROP TRIGGER IF EXISTS nguon_tamper_lots_head ON lots",
            _ => "DROP TRIGGER IF EXISTS nguon_tamper_lots_head",
        };
        manager.get_connection().execute_unprepared(statement).await?;
        manager
            .drop_table(Table::drop().table(PublicSnapshots::Table).to_owned())
            .await
    }
}
