//! Shopify webhooks over real HTTP on SQLite and PostgreSQL: HMAC verification, one handling
//! per delivery, and the compliance topics acting on the stored data.

mod common;

use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

const PHONE: (&str, &str, &str) = ("1", "101", "500.00");

fn hmac_of(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

async fn deliver(
    c: &Client,
    topic: &str,
    id: &str,
    body: &Value,
    signature: Option<String>,
) -> (u16, Value) {
    let bytes = body.to_string().into_bytes();
    let mut req = c
        .http
        .post(format!("{}/webhooks/shopify", c.base))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", SHOP)
        .header("x-shopify-webhook-id", id);
    if let Some(sig) = signature
        .or_else(|| Some(hmac_of(&bytes, SECRET)))
        .filter(|s| !s.is_empty())
    {
        req = req.header("x-shopify-hmac-sha256", sig);
    }
    let r = req.body(bytes).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhooks_are_verified_handled_once_and_redact_data() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let runner = ScriptedRunner::new();
        let server = start(&db, runner.clone()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let redact = json!({"shop_domain": SHOP, "customer": {"id": 5001, "email": "x@example.com"}, "orders_to_redact": []});

        // Forged, missing and wrong-secret signatures are refused and change nothing.
        let (s, _) = deliver(
            &c,
            "customers/redact",
            "w-1",
            &redact,
            Some("bm90IGEgc2lnbmF0dXJl".into()),
        )
        .await;
        assert_eq!(s, 401);
        let (s, _) = deliver(&c, "customers/redact", "w-1", &redact, Some(String::new())).await;
        assert_eq!(s, 401);
        let wrong = hmac_of(redact.to_string().as_bytes(), "another-secret");
        let (s, _) = deliver(&c, "customers/redact", "w-1", &redact, Some(wrong)).await;
        assert_eq!(s, 401);
        let (s, _) = c
            .offer(&token_for(&input_data("ref-before", &[PHONE])), json!({}))
            .await;
        assert_eq!(s, 200);
        let last_customer = || runner.inputs.lock().unwrap().last().unwrap()["customer"].clone();
        assert_eq!(last_customer()["id"], "5001", "the customer is still known");

        // A signed customers/redact deletes the customer's facts; a redelivery is a no-op.
        let (s, b) = deliver(&c, "customers/redact", "w-1", &redact, None).await;
        assert_eq!((s, &b["ok"]), (200, &json!(true)), "{b}");
        let (s, b) = deliver(&c, "customers/redact", "w-1", &redact, None).await;
        assert_eq!((s, &b["duplicate"]), (200, &json!(true)), "{b}");
        let (s, _) = c
            .offer(&token_for(&input_data("ref-after", &[PHONE])), json!({}))
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            last_customer(),
            Value::Null,
            "the redacted customer is gone"
        );

        // Order topics take Shopify's payloads (attribution: tests/attribution.rs); one that
        // does not fit is refused and not taken for handled, so the fixed redelivery is.
        let (s, b) = deliver(
            &c,
            "orders/edited",
            "w-orders/edited",
            &json!({"id": 1}),
            None,
        )
        .await;
        assert_eq!(s, 400, "{b}");
        for topic in ["orders/edited", "refunds/create", "orders/cancelled"] {
            let example = shopify_sim::payloads::example(topic).unwrap();
            let (s, b) = deliver(&c, topic, &format!("w-{topic}"), &example, None).await;
            assert_eq!((s, &b["duplicate"]), (200, &Value::Null), "{topic}: {b}");
            let (s, b) = deliver(&c, topic, &format!("w-{topic}"), &example, None).await;
            assert_eq!((s, &b["duplicate"]), (200, &json!(true)), "{topic}: {b}");
        }
        // Topics Encore only acknowledges (customers/data_request: tests/operations.rs).
        let (s, _) = deliver(&c, "app/uninstalled", "w-app", &json!({"id": 1}), None).await;
        assert_eq!(s, 200);
        let (s, _) = c
            .offer(&token_for(&input_data("ref-still", &[PHONE])), json!({}))
            .await;
        assert_eq!(s, 200, "uninstall alone keeps the shop until shop/redact");

        // shop/redact deletes the shop: its purchases are then unknown.
        let (s, _) = deliver(
            &c,
            "shop/redact",
            "w-shop",
            &json!({"shop_domain": SHOP}),
            None,
        )
        .await;
        assert_eq!(s, 200);
        let (s, _) = c
            .offer(&token_for(&input_data("ref-gone", &[PHONE])), json!({}))
            .await;
        assert_eq!(s, 404);
        let (s, b) = c
            .admin_get(&format!("/api/campaigns/versions?shop={SHOP}"))
            .await;
        assert_eq!(s, 404, "the shop's configurations are gone too: {b}");
        server.stop().await;
        db.dispose().await;
    }
}
