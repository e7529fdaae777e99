//! The buyer's facts for customer triggers, read from the simulated Shopify's Admin API over real
//! HTTP on SQLite and PostgreSQL: counted with the purchase on the page, read once per purchase
//! (and once at a time), never waited for past the budget, and not read at all when no campaign
//! asks.

mod common;

use std::time::{Duration, Instant};

use common::*;
use encore_server::Running;
use serde_json::{json, Value};
use shopify_sim::{Sim, SimConfig, SimCustomer, SimOrder, StoreSpec};

const CUSTOMER: u64 = 5001;
const PHONE: (&str, &str, &str) = ("1", "101", "500.00");

struct World {
    sim: Sim,
    server: Running,
    client: Client,
    runner: std::sync::Arc<ScriptedRunner>,
}

/// Encore on `db` with the scripted Function, installed on a simulated shop through token
/// exchange, with `config` live and the operator's catalog.
async fn world(db: &Db, budget: Duration, config: Value) -> World {
    let sim = Sim::start(SimConfig {
        client_id: API_KEY.into(),
        client_secret: SECRET.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_shop(SHOP, StoreSpec::default());
    let mut settings = settings(db);
    settings.shopify_host =
        encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
    settings.app.retention.every = None;
    settings.app.customer_facts_budget = budget;
    let runner = ScriptedRunner::new();
    let server = encore_server::start(settings, runner.clone())
        .await
        .unwrap();
    let client = Client::new(&server);
    let r = client
        .http
        .post(format!("{}/api/session/install", client.base))
        .bearer_auth(sim.session_token(SHOP, 42, now()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());
    let (s, b) = client
        .admin_put(
            &format!("/api/catalog?shop={SHOP}"),
            json!({"products": [
                {"id": "1", "title": "Phone", "variants": [{"id": "101", "price": "500.00"}]},
                {"id": "11", "title": "Case", "variants": [{"id": "111", "price": "20.00"}]}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = client
        .admin_put(&format!("/api/campaigns?shop={SHOP}"), config)
        .await;
    assert_eq!(s, 200, "{b}");
    World {
        sim,
        server,
        client,
        runner,
    }
}

fn config(customer: Value) -> Value {
    json!({
        "version": 1,
        "campaigns": [{
            "id": "c1", "status": "active", "priority": 10,
            "triggers": {"products": ["1"], "customer": customer},
            "steps": [{"id": "s1", "offer": {"products": ["111"], "discount": {"percent": 20}}}]
        }]
    })
}

fn first_orders_only() -> Value {
    config(json!({"orders": "first"}))
}

impl World {
    /// The offer for a new purchase; the Function's input and the answer.
    async fn offer(&self, reference: &str) -> (Value, Value) {
        let token = token_for(&input_data(reference, &[PHONE]));
        let (s, b) = self.client.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{b}");
        (self.last_input(), b)
    }

    fn last_input(&self) -> Value {
        self.runner.inputs.lock().unwrap().last().unwrap().clone()
    }

    /// Declines the purchase's offer and asks for its next step.
    async fn next_step(&self, reference: &str, decision: &Value) -> (Value, Value) {
        let token = token_for(&input_data(reference, &[PHONE]));
        let (s, _) = self
            .client
            .event(&token, json!({"decisionId": decision, "event": "declined"}))
            .await;
        assert_eq!(s, 200);
        let (s, b) = self.client.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{b}");
        (self.last_input(), b)
    }

    fn reads(&self) -> u64 {
        self.sim.admin_requests(SHOP)
    }

    fn customer(&self, orders: u64, spent: &str) {
        self.sim.put_customer(
            SHOP,
            SimCustomer {
                id: CUSTOMER,
                tags: vec!["newsletter".into()],
                number_of_orders: orders,
                amount_spent: spent.into(),
            },
        );
    }

    async fn stop(self, db: Db) {
        self.server.stop().await;
        db.dispose().await;
    }
}

fn first_reason(answer: &Value) -> &Value {
    &answer["reasons"][0]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_first_time_buyer_is_read_once_per_purchase_and_counted_with_the_purchase_on_the_page() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, Duration::from_secs(2), first_orders_only()).await;
        // Shopify has not counted the purchase yet: no orders, nothing spent.
        w.customer(0, "0.00");
        let before = w.reads();
        let (input, answer) = w.offer("first-purchase").await;
        assert_eq!(w.reads(), before + 1, "one Admin read for the purchase");
        assert_eq!(
            input["customer"],
            json!({"id": "5001", "numberOfOrders": 1, "amountSpent": {"amount": "500.00"}, "tags": ["newsletter"]}),
            "this purchase is the customer's first order"
        );
        assert_ne!(first_reason(&answer)["code"], "CUSTOMER_FACTS_LATE");

        // The purchase's next step uses the stored read: no second call to Shopify.
        let decision = answer["offers"][0]["decisionId"].clone();
        let (input, _) = w.next_step("first-purchase", &decision).await;
        assert_eq!(input["funnel"]["stepId"], "downsell");
        assert_eq!(input["customer"]["numberOfOrders"], 1);
        assert_eq!(w.reads(), before + 1);

        // A later purchase is the customer ordering again: read again. This time Shopify has
        // created and counted the order on the page (its latest order is a minute old).
        w.customer(2, "540.00");
        w.sim.put_order(
            SHOP,
            SimOrder {
                shipping_country: None,
                customer_locale: None,
                id: 9001,
                name: "#1002".into(),
                customer: Some(CUSTOMER),
                lines: vec![],
                created_at: encore_app::clock::rfc3339(now() - 60),
                currency: None,
                metafields: vec![],
            },
        );
        let (input, _) = w.offer("second-purchase").await;
        assert_eq!(w.reads(), before + 2);
        assert_eq!(
            input["customer"]["numberOfOrders"], 2,
            "counted once, not twice"
        );
        assert_eq!(input["customer"]["amountSpent"]["amount"], "540.00");
        w.stop(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_shopify_is_not_waited_for_past_the_budget_and_the_reasons_say_so() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, Duration::from_millis(200), first_orders_only()).await;
        w.customer(3, "120.00");
        w.sim.delay_next(SHOP, 1, Duration::from_millis(1200));
        let started = Instant::now();
        let (input, answer) = w.offer("slow").await;
        let took = started.elapsed();
        assert!(took < Duration::from_millis(900), "waited {took:?}");
        assert_eq!(
            input["customer"],
            Value::Null,
            "decided as for an unknown customer"
        );
        assert_eq!(
            first_reason(&answer)["code"],
            "CUSTOMER_FACTS_LATE",
            "{answer}"
        );

        // The late read still lands, and serves the purchase's next step.
        tokio::time::sleep(Duration::from_millis(1400)).await;
        let decision = answer["offers"][0]["decisionId"].clone();
        let reads = w.reads();
        let (input, answer) = w.next_step("slow", &decision).await;
        assert_eq!(input["customer"]["numberOfOrders"], 4);
        assert_eq!(input["customer"]["amountSpent"]["amount"], "620.00");
        assert_ne!(first_reason(&answer)["code"], "CUSTOMER_FACTS_LATE");
        assert_eq!(w.reads(), reads);

        // Shopify refusing the read (403 is not retried): unavailable, said so, no offer lost
        // to an error.
        w.sim.fail_next(SHOP, &[403]);
        let (input, answer) = w.offer("refused").await;
        assert_eq!(input["customer"], Value::Null);
        assert_eq!(
            first_reason(&answer)["code"],
            "CUSTOMER_FACTS_UNAVAILABLE",
            "{answer}"
        );
        w.stop(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_purchases_of_one_customer_share_one_read() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, Duration::from_secs(3), first_orders_only()).await;
        w.customer(7, "70.00");
        w.sim.delay_next(SHOP, 1, Duration::from_millis(300));
        let before = w.reads();
        let offers = (0..8).map(|i| {
            let token = token_for(&input_data(&format!("together-{i}"), &[PHONE]));
            let client = &w.client;
            async move { client.offer(&token, json!({})).await }
        });
        for (s, b) in futures_util::future::join_all(offers).await {
            assert_eq!(s, 200, "{b}");
            assert_ne!(first_reason(&b)["code"], "CUSTOMER_FACTS_LATE", "{b}");
        }
        assert_eq!(
            w.reads(),
            before + 1,
            "one read for eight purchases at once"
        );
        let inputs = w.runner.inputs.lock().unwrap().clone();
        assert!(inputs
            .iter()
            .rev()
            .take(8)
            .all(|i| i["customer"]["numberOfOrders"] == 8));
        w.stop(db).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_customer_is_read_when_no_campaign_has_a_customer_condition() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, Duration::from_secs(2), config(json!({}))).await;
        w.customer(1, "10.00");
        let before = w.reads();
        let (input, _) = w.offer("no-trigger").await;
        assert_eq!(w.reads(), before);
        assert_eq!(input["customer"], Value::Null);
        w.stop(db).await;
    }
}
