//! The simulator's co-purchase pairs (`GET /api/simulation/co-purchases`) are the rows the
//! offer Function's input carries for a real purchase of the same products: the same pairs, in
//! the same order, whatever order the products are named in; other products' pairs left out.

mod common;

use common::*;
use serde_json::{json, Value};

#[tokio::test]
async fn the_simulator_gets_the_pairs_the_function_input_has_for_the_same_purchase() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let runner = ScriptedRunner::new();
        let server = start(&db, runner.clone()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let (s, b) = c
            .admin_put(
                &format!("/api/campaigns?shop={SHOP}"),
                json!({"version": 1, "campaigns": [{"id": "pairs", "triggers": {"products": ["1"]},
                    "steps": [{"id": "s1", "offer": {"auto": true, "discount": {"percent": 10}}}]}]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (s, b) = c
            .admin_put(
                &format!("/api/co-purchases?shop={SHOP}"),
                json!({"pairs": [
                    {"productId": "11", "suggestedProductId": "1", "liftPermille": 1200},
                    {"productId": "1", "suggestedProductId": "11", "liftPermille": 2500},
                    {"productId": "1", "suggestedProductId": "40", "liftPermille": 1800},
                    {"productId": "7", "suggestedProductId": "11", "liftPermille": 9000},
                ]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");

        let token = token_for(&input_data(
            "ref-pairs",
            &[("11", "111", "20.00"), ("1", "101", "500.00")],
        ));
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{b}");
        let function_pairs =
            facts_of(runner.inputs.lock().unwrap().last().unwrap())["coPurchases"].clone();
        assert_eq!(
            function_pairs.as_array().unwrap().len(),
            3,
            "{function_pairs}"
        );

        for products in ["1,11", "11,1", " 11 , 1,1"] {
            let (s, b) = c
                .admin_get(&format!(
                    "/api/simulation/co-purchases?shop={SHOP}&products={products}"
                ))
                .await;
            assert_eq!(s, 200, "{b}");
            assert_eq!(b["coPurchases"], function_pairs, "{products}");
        }
        let (_, b) = c
            .admin_get(&format!(
                "/api/simulation/co-purchases?shop={SHOP}&products=7"
            ))
            .await;
        assert_eq!(
            b["coPurchases"],
            json!([{"productId": "7", "suggestedProductId": "11", "liftPermille": 9000}])
        );
        let (_, b) = c
            .admin_get(&format!("/api/simulation/co-purchases?shop={SHOP}"))
            .await;
        assert_eq!(b["coPurchases"], Value::Array(vec![]));
        server.stop().await;
        db.dispose().await;
    }
}
