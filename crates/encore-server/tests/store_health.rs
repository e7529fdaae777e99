//! Store status over real HTTP on SQLite and PostgreSQL: per webhook topic the deliveries
//! handled and the signed ones that failed, and the shop's recent Function runs with the
//! instructions each executed (`GET /api/store-health`).

mod common;

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use base64::Engine;
use common::*;
use encore_app::input::FunctionInput;
use encore_app::runner::{OfferRunner, RunOutcome};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const PHONE: (&str, &str, &str) = ("1", "101", "500.00");

/// The scripted Function, reporting 100,000 more instructions on each run than the last.
struct Counted {
    inner: Arc<ScriptedRunner>,
    next: AtomicU64,
}

impl OfferRunner for Counted {
    fn run(&self, input: &FunctionInput) -> RunOutcome {
        self.inner.run(input)
    }
    fn run_counted(&self, input: &FunctionInput) -> (RunOutcome, Option<u64>) {
        let n = self.next.fetch_add(1, Ordering::SeqCst) + 1;
        (self.inner.run(input), Some(n * 100_000))
    }
    fn describe(&self) -> String {
        "counted".into()
    }
}

async fn deliver(c: &Client, topic: &str, body: &Value) -> u16 {
    let bytes = body.to_string().into_bytes();
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(&bytes);
    let signature = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    c.http
        .post(format!("{}/webhooks/shopify", c.base))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", SHOP)
        .header("x-shopify-webhook-id", uuid::Uuid::new_v4().to_string())
        .header("x-shopify-hmac-sha256", signature)
        .body(bytes)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn store_status_counts_each_topics_deliveries_and_failures_and_the_functions_instructions() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let runner = Arc::new(Counted {
            inner: ScriptedRunner::new(),
            next: AtomicU64::new(0),
        });
        let server = start(&db, runner).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let path = format!("/api/store-health?shop={SHOP}");
        let (s, empty) = c.admin_get(&path).await;
        assert_eq!(s, 200, "{empty}");
        assert_eq!(empty["function"]["runs"], 0);
        assert_eq!(empty["function"]["median"], Value::Null);

        for i in 0..3 {
            let token = token_for(&input_data(&format!("ref-health-{i}"), &[PHONE]));
            let (s, b) = c.offer(&token, json!({})).await;
            assert_eq!(s, 200, "{b}");
        }
        let redact = json!({"shop_domain": SHOP, "customer": {"id": 5001}, "orders_to_redact": []});
        assert_eq!(deliver(&c, "customers/redact", &redact).await, 200);
        assert_eq!(
            deliver(&c, "refunds/create", &json!({"no": "refund"})).await,
            400
        );

        let (s, health) = c.admin_get(&path).await;
        assert_eq!(s, 200, "{health}");
        let f = &health["function"];
        assert_eq!(
            (f["runs"].as_i64(), f["offered"].as_i64()),
            (Some(3), Some(3)),
            "{f}"
        );
        assert_eq!(
            (f["median"].as_u64(), f["p95"].as_u64(), f["max"].as_u64()),
            (Some(200_000), Some(300_000), Some(300_000))
        );
        assert_eq!(f["limit"], 11_000_000);
        let topic = |name: &str| {
            health["webhooks"]
                .as_array()
                .unwrap()
                .iter()
                .find(|t| t["topic"] == name)
                .unwrap_or_else(|| panic!("no {name} in {health}"))
                .clone()
        };
        let redacted = topic("customers/redact");
        assert_eq!(
            (redacted["received"].as_i64(), redacted["failures"].as_i64()),
            (Some(1), Some(0))
        );
        assert!(redacted["lastReceivedAt"].as_str().unwrap().ends_with('Z'));
        let refunds = topic("refunds/create");
        assert_eq!(
            (refunds["received"].as_i64(), refunds["failures"].as_i64()),
            (Some(0), Some(1))
        );
        assert!(
            refunds["lastFailure"]
                .as_str()
                .unwrap()
                .contains("refunds/create"),
            "{refunds}"
        );
        assert_eq!(
            topic("shop/redact")["received"],
            0,
            "every subscribed topic is listed"
        );
        server.stop().await;
        db.dispose().await;
    }
}
