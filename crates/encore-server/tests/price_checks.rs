//! `price_mismatch` events: the extension did not show an offer because Shopify's
//! calculateChangeset priced it differently. Stored with the decision, shown to the merchant in
//! the analytics summary, and changing neither the decision nor the funnel. SQLite and
//! PostgreSQL, over HTTP.

mod common;

use common::*;
use serde_json::json;

const PHONE: (&str, &str, &str) = ("1", "101", "500.00");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_mismatch_is_recorded_for_the_merchant_and_leaves_the_funnel_where_it_was() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = start(&db, ScriptedRunner::new()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let token = token_for(&input_data("ref-mismatch", &[PHONE]));
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{b}");
        let decision = b["offers"][0]["decisionId"].as_str().unwrap().to_string();

        let mismatch = json!({"decisionId": decision, "event": "price_mismatch",
            "currencyCode": "EUR", "expected": "36.80", "calculated": "32.20",
            "status": "processed", "errors": []});
        for _ in 0..2 {
            let (s, b) = c.event(&token, mismatch.clone()).await;
            assert_eq!(s, 200, "{db:?}: {b}");
        }

        let (s, summary) = c
            .admin_get(&format!("/api/analytics/summary?shop={SHOP}"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            summary["offersShown"], 0,
            "an offer that failed its check was not shown"
        );
        assert_eq!(summary["priceMismatches"]["count"], 1, "{summary}");
        let latest = &summary["priceMismatches"]["latest"][0];
        assert_eq!(latest["decisionId"], decision.as_str());
        assert_eq!(latest["campaignId"], "c1");
        assert_eq!(latest["stepId"], "upsell");
        assert_eq!(
            latest["prices"],
            json!({"currencyCode": "EUR", "expected": "36.80", "calculated": "32.20"})
        );
        assert_eq!(latest["shopifyStatus"], "processed");

        // The funnel did not move: asking again gives the same decision.
        let (_, again) = c.offer(&token, json!({})).await;
        assert_eq!(again["offers"][0]["decisionId"], decision.as_str());

        // Shopify could not price it: calculated is null, Shopify's errors are kept.
        let token = token_for(&input_data("ref-unpriced", &[PHONE]));
        let (_, b) = c.offer(&token, json!({})).await;
        let unpriced = b["offers"][0]["decisionId"].as_str().unwrap().to_string();
        let (s, b) = c
            .event(
                &token,
                json!({"decisionId": unpriced, "event": "price_mismatch", "currencyCode": "USD",
                "expected": "16.00", "calculated": null, "status": "unprocessed",
                "errors": [{"code": "insufficient_inventory", "message": "sold out"}]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let (_, summary) = c
            .admin_get(&format!("/api/analytics/summary?shop={SHOP}"))
            .await;
        assert_eq!(summary["priceMismatches"]["count"], 2);
        let newest = &summary["priceMismatches"]["latest"][0];
        assert_eq!(newest["decisionId"], unpriced.as_str());
        assert_eq!(newest["prices"]["calculated"], serde_json::Value::Null);
        assert_eq!(
            newest["shopifyErrors"][0]["code"], "insufficient_inventory",
            "{newest}"
        );
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_price_mismatch_without_its_amounts_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let server = start(&db, ScriptedRunner::new()).await;
    let c = Client::new(&server);
    setup_shop(&c).await;
    let token = token_for(&input_data("ref-bad-mismatch", &[PHONE]));
    let (_, b) = c.offer(&token, json!({})).await;
    let decision = b["offers"][0]["decisionId"].clone();
    let base = json!({"decisionId": decision, "event": "price_mismatch",
        "currencyCode": "EUR", "expected": "36.80", "calculated": "32.20"});
    for (field, value, words) in [
        ("currencyCode", json!("euro"), "currencyCode"),
        ("currencyCode", serde_json::Value::Null, "currencyCode"),
        ("expected", json!(36.8), "expected"),
        ("expected", json!("36,80"), "expected"),
        ("calculated", json!("1e3"), "calculated"),
    ] {
        let mut body = base.clone();
        body[field] = value;
        let (s, b) = c.event(&token, body).await;
        assert_eq!((s, b["error"].as_str()), (400, Some("bad_request")), "{b}");
        assert!(b["message"].as_str().unwrap().contains(words), "{b}");
    }
    let (_, summary) = c
        .admin_get(&format!("/api/analytics/summary?shop={SHOP}"))
        .await;
    assert_eq!(summary["priceMismatches"]["count"], 0);
    server.stop().await;
}
