//! The queries public pages, scans, appends and verification run most, as the database plans
//! them: each must be answered from an index (never a scan of a whole lots, events, labels or
//! batches table), whatever the cooperative's size. Tests check the plans on both backends.

use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
    TransactionTrait,
};

use crate::entities::{events, label_batches, labels, listings, lot_parents, lots, stock_movements};
use crate::{Store, StoreError};

/// One hot query and how the database plans it.
#[derive(Debug, Clone)]
pub struct QueryPlan {
    /// What it is for.
    pub name: &'static str,
    /// The plan, one line per step, as the database prints it.
    pub plan: String,
    /// Whether some step reads a whole table that grows with the data (lots, events, labels,
    /// label batches, lot parents, stock movements, listings) instead of using an index.
    pub scans_a_big_table: bool,
    /// Whether the rows are sorted after they are read (an ORDER BY no index answers): for a
    /// `LIMIT` over a large cooperative, that reads and sorts all of its rows.
    pub sorts: bool,
}

/// Tables that grow with a cooperative's work.
const BIG_TABLES: [&str; 7] = [
    "lots",
    "events",
    "labels",
    "label_batches",
    "lot_parents",
    "stock_movements",
    "listings",
];

impl Store {
    /// The hot queries (with example values) and their plans.
    pub async fn explain_hot_queries(&self) -> Result<Vec<QueryPlan>, StoreError> {
        let backend = self.db.get_database_backend();
        let serial = label::Serial::parse("ABCDEFGHJKMNPQRS").map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let queries: Vec<(&'static str, Statement)> = vec![
            (
                "a scanned label and its lot's stamp",
                crate::scan::scan_statement(&serial.to_string(), "vi", &self.scans.process, backend),
            ),
            (
                "a lot's stamp by code",
                crate::scan::stamp_statement(1, "CN-2609-01", backend),
            ),
            (
                "who may log on a lot (each append)",
                crate::lots::lot_access_statement(1, "CN-2609-01", backend),
            ),
            (
                "a cooperative's newest lots",
                lots::Entity::find()
                    .filter(lots::Column::CooperativeId.eq(1))
                    .order_by_desc(lots::Column::Id)
                    .limit(crate::PUBLIC_LOTS_LISTED)
                    .build(backend),
            ),
            (
                "a lot's events in order",
                events::Entity::find()
                    .filter(events::Column::LotId.eq(1))
                    .order_by_asc(events::Column::Seq)
                    .build(backend),
            ),
            (
                "the next page of events to verify",
                crate::verify::events_page(1_000, (10, 5)).build(backend),
            ),
            (
                "the lots made from a lot",
                lot_parents::Entity::find()
                    .filter(lot_parents::Column::ParentLotId.eq(1))
                    .build(backend),
            ),
            (
                "a batch's labels in print order",
                labels::Entity::find()
                    .filter(labels::Column::BatchId.eq("b"))
                    .order_by_asc(labels::Column::Position)
                    .build(backend),
            ),
            (
                "batches by a scanned check code",
                label_batches::Entity::find()
                    .filter(label_batches::Column::ChainHead.between("0a1b2c0", "0a1b2cg"))
                    .build(backend),
            ),
            (
                "a lot's label batches",
                label_batches::Entity::find()
                    .filter(label_batches::Column::LotId.eq(1))
                    .build(backend),
            ),
            (
                "what was sold from a lot",
                stock_movements::Entity::find()
                    .filter(stock_movements::Column::LotId.eq(1))
                    .build(backend),
            ),
            (
                "a cooperative's listings",
                listings::Entity::find()
                    .filter(listings::Column::CooperativeId.eq(1))
                    .order_by_desc(listings::Column::Id)
                    .build(backend),
            ),
        ];
        let mut plans = Vec::with_capacity(queries.len());
        // One connection for all of it (a transaction), so the setting below holds for each.
        let txn = self.db.begin().await?;
        // PostgreSQL plans small tables as sequential scans (or bitmap scans and a sort)
        // whatever their indexes: ask how it would answer with those priced as on a large table,
        // so the plan shows whether an index can answer, in order.
        if backend == DbBackend::Postgres {
            for setting in ["enable_seqscan", "enable_bitmapscan", "enable_sort"] {
                txn.execute_unprepared(&format!("SET LOCAL {setting} = off")).await?;
            }
        }
        for (name, statement) in queries {
            let explain = Statement {
                sql: match backend {
                    DbBackend::Postgres => format!("EXPLAIN {}", statement.sql),
                    _ => format!("EXPLAIN QUERY PLAN {}", statement.sql),
                },
                ..statement
            };
            let rows = txn.query_all_raw(explain).await?;
            let lines: Vec<String> = rows
                .iter()
                .filter_map(|row| {
                    row.try_get::<String>("", "QUERY PLAN")
                        .or_else(|_| row.try_get::<String>("", "detail"))
                        .ok()
                })
                .collect();
            let scans_a_big_table = lines.iter().any(|line| {
                BIG_TABLES.iter().any(|table| match backend {
                    DbBackend::Postgres => line.contains(&format!("Seq Scan on {table}")),
                    _ => {
                        let line = line.trim();
                        (line == format!("SCAN {table}") || line.starts_with(&format!("SCAN {table} ")))
                            && !line.contains("USING")
                    }
                })
            });
            let sorts = lines.iter().any(|line| match backend {
                DbBackend::Postgres => line.trim_start().starts_with("Sort") || line.contains("->  Sort"),
                _ => line.contains("USE TEMP B-TREE FOR ORDER BY"),
            });
            plans.push(QueryPlan {
                name,
                plan: lines.join("\n"),
                scans_a_big_table,
                sorts,
            });
        }
        txn.rollback().await?;
        Ok(plans)
    }
}
