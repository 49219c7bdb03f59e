//! The queries every scan, page, append and verification makes are answered from indexes on
//! both backends, so their cost does not grow with the number of lots or labels
//! (`Store::explain_hot_queries`: SQLite's `EXPLAIN QUERY PLAN`, PostgreSQL's `EXPLAIN` with
//! sequential scans priced as on a large table).

use crate::helpers::{backends, spawn_demo};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_hot_queries_are_answered_from_indexes_on_both_backends() {
    for backend in backends().await {
        let app = spawn_demo(backend).await;
        let plans = app.store.explain_hot_queries().await.expect("plans");
        assert!(plans.len() >= 10, "[{backend}] {} plans", plans.len());
        for plan in &plans {
            assert!(!plan.plan.is_empty(), "[{backend}] {}: no plan", plan.name);
            assert!(
                !plan.scans_a_big_table,
                "[{backend}] {} reads a whole table:\n{}",
                plan.name, plan.plan
            );
            // Lists read in order from an index, never sorted after reading: a cooperative with
            // 100,000 lots would sort them all for the 30 its page shows.
            if [
                "a cooperative's newest lots",
                "a lot's events in order",
                "a batch's labels in print order",
                "the next page of events to verify",
            ]
            .contains(&plan.name)
            {
                assert!(!plan.sorts, "[{backend}] {} sorts its rows:\n{}", plan.name, plan.plan);
            }
        }
    }
}
