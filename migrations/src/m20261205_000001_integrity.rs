//! What makes a verdict cheap to keep true (ARCHITECTURE.md, "Verdicts"):
//!
//! - `integrity.epoch`, one number that database triggers move whenever a row the chain or a
//!   label covers is updated or deleted, or an event or label row appears that the application
//!   did not write in order. The application only ever inserts those rows, so the epoch stands
//!   still in normal use and moves at once on an edit by hand.
//! - `lot_checks`: per lot, the epoch at which its chain (and its ancestors' up to the packing
//!   that made it) was last verified, the head and count verified, the verdict, and the lot's
//!   folded state for validating the next append without reading its history.
//! - `batch_checks`: per label batch, the epoch at which its signature, serial list and frozen
//!   chain head were last verified, and the verdict.
//! - `lots.revision`, moved by the application when a lot upstream gets an event (a recall or a
//!   correction there changes what this lot's pages show); `cooperatives.revision` and
//!   `cooperatives.catalog_revision`, moved by triggers on what the public pages and the catalog
//!   show (profile, products, plots, members, certificates; listings, sales, feed tokens).
//! - indexes: the cooperative page's newest lots, and label batches by chain head (a scanned
//!   check code finds its batch even when the label row is gone).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Integrity {
    Table,
    Id,
    Epoch,
}

#[derive(DeriveIden)]
enum Lots {
    Table,
    Id,
    CooperativeId,
    Revision,
}

#[derive(DeriveIden)]
enum Cooperatives {
    Table,
    Revision,
    CatalogRevision,
}

#[derive(DeriveIden)]
enum LotChecks {
    Table,
    LotId,
    Epoch,
    EventCount,
    Head,
    Verdict,
    Reason,
    ReasonVi,
    Folded,
    CheckedAt,
}

#[derive(DeriveIden)]
enum BatchChecks {
    Table,
    BatchId,
    Epoch,
    Verdict,
    Reason,
    ReasonVi,
    CheckedAt,
}

#[derive(DeriveIden)]
enum LabelBatches {
    Table,
    Id,
    ChainHead,
}

/// Tables whose every update or delete is an alteration: the application never does either.
const TAMPER_ON_UPDATE_OR_DELETE: [&str; 5] = [
    "events",
    "lot_parents",
    "lot_plots",
    "label_batches",
    "cooperative_keys",
];

/// What moves `cooperatives.revision` (what public pages show of a cooperative) and with which
/// columns of an update; `members` only by what a page shows of them.
const COOPERATIVE_CONTENT: [(&str, &str); 4] = [
    ("products", ""),
    ("plots", ""),
    ("certificates", ""),
    ("members", "name, role, active"),
];

fn sqlite_statements() -> Vec<String> {
    let bump = "UPDATE integrity SET epoch = epoch + 1 WHERE id = 1;";
    let mut out = Vec::new();
    for table in TAMPER_ON_UPDATE_OR_DELETE {
        for op in ["UPDATE", "DELETE"] {
            out.push(format!(
                "CREATE TRIGGER nguon_tamper_{table}_{} AFTER {op} ON {table} BEGIN {bump} END",
                op.to_lowercase()
            ));
        }
    }
    out.push(format!(
        "CREATE TRIGGER nguon_tamper_events_insert AFTER INSERT ON events \
         WHEN NEW.seq > (SELECT event_count FROM lots WHERE id = NEW.lot_id) BEGIN {bump} END"
    ));
    out.push(format!(
        "CREATE TRIGGER nguon_tamper_lots_update AFTER UPDATE OF cooperative_id, code, product_id, created_at, genesis \
         ON lots BEGIN {bump} END"
    ));
    out.push(format!(
        "CREATE TRIGGER nguon_tamper_lots_delete AFTER DELETE ON lots BEGIN {bump} END"
    ));
    out.push(format!(
        "CREATE TRIGGER nguon_tamper_labels_update AFTER UPDATE OF serial, batch_id, position, url ON labels \
         BEGIN {bump} END"
    ));
    out.push(format!(
        "CREATE TRIGGER nguon_tamper_labels_delete AFTER DELETE ON labels BEGIN {bump} END"
    ));
    out.push(format!(
        "CREATE TRIGGER nguon_tamper_labels_insert AFTER INSERT ON labels \
         WHEN NEW.position < 1 OR NEW.position > (SELECT count FROM label_batches WHERE id = NEW.batch_id) \
         BEGIN {bump} END"
    ));
    let coop = |key: &str| format!("UPDATE cooperatives SET revision = revision + 1 WHERE id = {key};");
    for (table, columns) in COOPERATIVE_CONTENT {
        let of = if columns.is_empty() {
            String::new()
        } else {
            format!(" OF {columns}")
        };
        out.push(format!(
            "CREATE TRIGGER nguon_content_{table}_insert AFTER INSERT ON {table} BEGIN {} END",
            coop("NEW.cooperative_id")
        ));
        out.push(format!(
            "CREATE TRIGGER nguon_content_{table}_update AFTER UPDATE{of} ON {table} BEGIN {} {} END",
            coop("OLD.cooperative_id"),
            coop("NEW.cooperative_id")
        ));
        out.push(format!(
            "CREATE TRIGGER nguon_content_{table}_delete AFTER DELETE ON {table} BEGIN {} END",
            coop("OLD.cooperative_id")
        ));
    }
    for op in ["INSERT", "DELETE"] {
        let row = if op == "INSERT" { "NEW" } else { "OLD" };
        out.push(format!(
            "CREATE TRIGGER nguon_content_plot_assignments_{} AFTER {op} ON plot_assignments BEGIN {} END",
            op.to_lowercase(),
            coop(&format!("(SELECT cooperative_id FROM plots WHERE id = {row}.plot_id)"))
        ));
    }
    out.push(format!(
        "CREATE TRIGGER nguon_content_cooperatives_update AFTER UPDATE OF name, address, province, commune, phone, \
         region, gln, description, grower_display ON cooperatives BEGIN {} END",
        coop("NEW.id")
    ));
    let catalog =
        |key: &str| format!("UPDATE cooperatives SET catalog_revision = catalog_revision + 1 WHERE id = {key};");
    for table in ["listings", "feed_tokens"] {
        for op in ["INSERT", "UPDATE", "DELETE"] {
            let row = if op == "DELETE" { "OLD" } else { "NEW" };
            out.push(format!(
                "CREATE TRIGGER nguon_catalog_{table}_{} AFTER {op} ON {table} BEGIN {} END",
                op.to_lowercase(),
                catalog(&format!("{row}.cooperative_id"))
            ));
        }
    }
    out.push(format!(
        "CREATE TRIGGER nguon_catalog_stock_movements_insert AFTER INSERT ON stock_movements BEGIN {} END",
        catalog("(SELECT cooperative_id FROM listings WHERE id = NEW.listing_id)")
    ));
    out
}

fn postgres_statements() -> Vec<String> {
    let mut out = vec![
        "CREATE FUNCTION nguon_tamper() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN UPDATE integrity SET epoch = epoch + 1 WHERE id = 1; RETURN NULL; END $$"
            .to_owned(),
        // Statement-level with the inserted rows at hand: one call per multi-row insert, not per row.
        "CREATE FUNCTION nguon_tamper_events_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF EXISTS (SELECT 1 FROM nguon_inserted i JOIN lots l ON l.id = i.lot_id WHERE i.seq > l.event_count) \
         THEN UPDATE integrity SET epoch = epoch + 1 WHERE id = 1; END IF; RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION nguon_tamper_labels_inserted() RETURNS trigger LANGUAGE plpgsql AS $$ \
         BEGIN IF EXISTS (SELECT 1 FROM nguon_inserted i LEFT JOIN label_batches b ON b.id = i.batch_id \
         WHERE b.id IS NULL OR i.position < 1 OR i.position > b.count) \
         THEN UPDATE integrity SET epoch = epoch + 1 WHERE id = 1; END IF; RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION nguon_content() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF TG_OP <> 'INSERT' THEN UPDATE cooperatives SET revision = revision + 1 WHERE id = OLD.cooperative_id; END IF; \
         IF TG_OP <> 'DELETE' THEN UPDATE cooperatives SET revision = revision + 1 WHERE id = NEW.cooperative_id; END IF; \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION nguon_content_self() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         UPDATE cooperatives SET revision = revision + 1 WHERE id = NEW.id; RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION nguon_content_assignment() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF TG_OP = 'DELETE' THEN UPDATE cooperatives SET revision = revision + 1 \
           WHERE id = (SELECT cooperative_id FROM plots WHERE id = OLD.plot_id); \
         ELSE UPDATE cooperatives SET revision = revision + 1 \
           WHERE id = (SELECT cooperative_id FROM plots WHERE id = NEW.plot_id); END IF; \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION nguon_catalog() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         IF TG_OP = 'DELETE' THEN UPDATE cooperatives SET catalog_revision = catalog_revision + 1 WHERE id = OLD.cooperative_id; \
         ELSE UPDATE cooperatives SET catalog_revision = catalog_revision + 1 WHERE id = NEW.cooperative_id; END IF; \
         RETURN NULL; END $$"
            .to_owned(),
        "CREATE FUNCTION nguon_catalog_movement() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN \
         UPDATE cooperatives SET catalog_revision = catalog_revision + 1 \
         WHERE id = (SELECT cooperative_id FROM listings WHERE id = NEW.listing_id); RETURN NULL; END $$"
            .to_owned(),
    ];
    for table in TAMPER_ON_UPDATE_OR_DELETE {
        out.push(format!(
            "CREATE TRIGGER nguon_tamper_{table} AFTER UPDATE OR DELETE ON {table} \
             FOR EACH STATEMENT EXECUTE FUNCTION nguon_tamper()"
        ));
    }
    out.push(
        "CREATE TRIGGER nguon_tamper_events_insert AFTER INSERT ON events REFERENCING NEW TABLE AS nguon_inserted \
         FOR EACH STATEMENT EXECUTE FUNCTION nguon_tamper_events_inserted()"
            .to_owned(),
    );
    out.push(
        "CREATE TRIGGER nguon_tamper_lots_update AFTER UPDATE OF cooperative_id, code, product_id, created_at, genesis \
         ON lots FOR EACH STATEMENT EXECUTE FUNCTION nguon_tamper()"
            .to_owned(),
    );
    out.push(
        "CREATE TRIGGER nguon_tamper_lots_delete AFTER DELETE ON lots FOR EACH STATEMENT EXECUTE FUNCTION nguon_tamper()"
            .to_owned(),
    );
    out.push(
        "CREATE TRIGGER nguon_tamper_labels_update AFTER UPDATE OF serial, batch_id, position, url ON labels \
         FOR EACH STATEMENT EXECUTE FUNCTION nguon_tamper()"
            .to_owned(),
    );
    out.push(
        "CREATE TRIGGER nguon_tamper_labels_delete AFTER DELETE ON labels FOR EACH STATEMENT EXECUTE FUNCTION nguon_tamper()"
            .to_owned(),
    );
    out.push(
        "CREATE TRIGGER nguon_tamper_labels_insert AFTER INSERT ON labels REFERENCING NEW TABLE AS nguon_inserted \
         FOR EACH STATEMENT EXECUTE FUNCTION nguon_tamper_labels_inserted()"
            .to_owned(),
    );
    for (table, columns) in COOPERATIVE_CONTENT {
        let of = if columns.is_empty() {
            String::new()
        } else {
            format!(" OF {columns}")
        };
        out.push(format!(
            "CREATE TRIGGER nguon_content_{table}_write AFTER INSERT OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION nguon_content()"
        ));
        out.push(format!(
            "CREATE TRIGGER nguon_content_{table}_update AFTER UPDATE{of} ON {table} \
             FOR EACH ROW EXECUTE FUNCTION nguon_content()"
        ));
    }
    out.push(
        "CREATE TRIGGER nguon_content_plot_assignments AFTER INSERT OR DELETE ON plot_assignments \
         FOR EACH ROW EXECUTE FUNCTION nguon_content_assignment()"
            .to_owned(),
    );
    out.push(
        "CREATE TRIGGER nguon_content_cooperatives AFTER UPDATE OF name, address, province, commune, phone, region, gln, \
         description, grower_display ON cooperatives FOR EACH ROW EXECUTE FUNCTION nguon_content_self()"
            .to_owned(),
    );
    for table in ["listings", "feed_tokens"] {
        out.push(format!(
            "CREATE TRIGGER nguon_catalog_{table} AFTER INSERT OR UPDATE OR DELETE ON {table} \
             FOR EACH ROW EXECUTE FUNCTION nguon_catalog()"
        ));
    }
    out.push(
        "CREATE TRIGGER nguon_catalog_stock_movements AFTER INSERT ON stock_movements \
         FOR EACH ROW EXECUTE FUNCTION nguon_catalog_movement()"
            .to_owned(),
    );
    out
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Integrity::Table)
                    .col(integer(Integrity::Id).primary_key())
                    .col(big_integer(Integrity::Epoch).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .exec_stmt(
                Query::insert()
                    .into_table(Integrity::Table)
                    .columns([Integrity::Id, Integrity::Epoch])
                    .values_panic([1.into(), 0.into()])
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Lots::Table)
                    .add_column(big_integer(Lots::Revision).default(0))
                    .to_owned(),
            )
            .await?;
        // SQLite alters one column per statement.
        manager
            .alter_table(
                Table::alter()
                    .table(Cooperatives::Table)
                    .add_column(big_integer(Cooperatives::Revision).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cooperatives::Table)
                    .add_column(big_integer(Cooperatives::CatalogRevision).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(LotChecks::Table)
                    .col(big_integer(LotChecks::LotId).primary_key())
                    .col(big_integer(LotChecks::Epoch))
                    .col(big_integer(LotChecks::EventCount))
                    .col(string(LotChecks::Head))
                    .col(string(LotChecks::Verdict))
                    .col(text_null(LotChecks::Reason))
                    .col(text_null(LotChecks::ReasonVi))
                    .col(text_null(LotChecks::Folded))
                    .col(string(LotChecks::CheckedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(LotChecks::Table, LotChecks::LotId)
                            .to(Lots::Table, Lots::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(BatchChecks::Table)
                    .col(string(BatchChecks::BatchId).primary_key())
                    .col(big_integer(BatchChecks::Epoch))
                    .col(string(BatchChecks::Verdict))
                    .col(text_null(BatchChecks::Reason))
                    .col(text_null(BatchChecks::ReasonVi))
                    .col(string(BatchChecks::CheckedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("lots_cooperative_newest")
                    .table(Lots::Table)
                    .col(Lots::CooperativeId)
                    .col(Lots::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("label_batches_chain_head")
                    .table(LabelBatches::Table)
                    .col(LabelBatches::ChainHead)
                    .col(LabelBatches::Id)
                    .to_owned(),
            )
            .await?;
        let statements = match manager.get_database_backend() {
            DbBackend::Postgres => postgres_statements(),
            _ => sqlite_statements(),
        };
        let db = manager.get_connection();
        for statement in statements {
            db.execute_unprepared(&statement).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let postgres = manager.get_database_backend() == DbBackend::Postgres;
        let names: Vec<String> = match postgres {
            true => postgres_statements(),
            false => sqlite_statements(),
        }
        .iter()
        .filter_map(|s| {
            let rest = s.strip_prefix("CREATE TRIGGER ")?;
            let name = rest.split_whitespace().next()?;
            let table = rest.split(" ON ").nth(1)?.split_whitespace().next()?;
            Some(if postgres {
                format!("DROP TRIGGER IF EXISTS {name} ON {table}")
            } else {
                format!("DROP TRIGGER IF EXISTS {name}")
            })
        })
        .collect();
        for statement in names {
            db.execute_unprepared(&statement).await?;
        }
        if postgres {
            for function in [
                "nguon_tamper",
                "nguon_tamper_events_inserted",
                "nguon_tamper_labels_inserted",
                "nguon_content",
                "nguon_content_self",
                "nguon_content_assignment",
                "nguon_catalog",
                "nguon_catalog_movement",
            ] {
                db.execute_unprepared(&format!("DROP FUNCTION IF EXISTS {function}()"))
                    .await?;
            }
        }
        for index in ["lots_cooperative_newest", "label_batches_chain_head"] {
            manager
                .drop_index(Index::drop().name(index).if_exists().to_owned())
                .await?;
        }
        manager
            .drop_table(Table::drop().table(BatchChecks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(LotChecks::Table).to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cooperatives::Table)
                    .drop_column(Cooperatives::CatalogRevision)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cooperatives::Table)
                    .drop_column(Cooperatives::Revision)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(Table::alter().table(Lots::Table).drop_column(Lots::Revision).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Integrity::Table).to_owned())
            .await
    }
}
