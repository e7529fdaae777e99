//! Attribution and analytics over real HTTP on SQLite and PostgreSQL, against the simulated
//! Shopify: webhooks shaped like Shopify's examples (duplicated, out of order, for unknown
//! orders and shops), the reconciler's Admin API reads and searches, refunds reaching the
//! offer statistics, and the analytics report's exact figures and CSV.

mod common;

use std::time::Duration;

use common::*;
use encore_app::analytics::{self, Range};
use encore_app::attribution::AdminCalls;
use encore_app::reconcile;
use encore_shopify::admin::{AdminClient, AdminConfig, RetryPolicy};
use encore_shopify::host::ShopifyHost;
use encore_shopify::oauth::{AppCredentials, TokenClient};
use encore_shopify::{Secret, ShopDomain};
use serde_json::{json, Value};
use shopify_sim::{Sim, SimConfig, SimOrder, SimOrderLine, StoreSpec};

const PHONE: (&str, &str, &str) = ("1", "101", "500.00");

struct Shopify {
    sim: Sim,
    admin: AdminClient,
    token: Secret,
}

impl Shopify {
    /// The pass's Admin calls with this test's client and token.
    fn calls(&self) -> AdminCalls<'_> {
        AdminCalls::Fixed {
            client: &self.admin,
            token: &self.token,
        }
    }
}

async fn shopify() -> Shopify {
    shopify_for(SHOP, API_KEY, SECRET).await
}

async fn shopify_for(shop_domain: &str, key: &str, secret: &str) -> Shopify {
    let config = SimConfig {
        client_id: key.into(),
        client_secret: secret.into(),
        ..SimConfig::default()
    };
    let sim = Sim::start(config.clone()).await.unwrap();
    sim.add_shop(shop_domain, StoreSpec::default());
    let host = ShopifyHost::custom(&sim.host_template()).unwrap();
    let http = reqwest::Client::new();
    let shop = ShopDomain::parse(shop_domain).unwrap();
    let tokens = TokenClient::new(
        http.clone(),
        host.clone(),
        AppCredentials {
            client_id: config.client_id.clone(),
            client_secret: Secret::new(config.client_secret.clone()),
        },
        Duration::from_secs(5),
    );
    let token = tokens
        .exchange_session_token(&shop, &sim.session_token(shop_domain, 42, now()))
        .await
        .unwrap()
        .access_token;
    let admin = AdminClient::new(
        http,
        AdminConfig {
            host,
            timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_attempts: 3,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(40),
            },
            ..AdminConfig::default()
        },
        shop,
    );
    Shopify { sim, admin, token }
}

/// Offers the scripted upsell (variant 111, 20.00 at 20% off = 16.00) to a purchase of 500.00
/// and answers it; returns the decision id.
async fn answered_offer(c: &Client, reference: &str, answer: &str) -> String {
    let token = token_for(&input_data(reference, &[PHONE]));
    let (s, offer) = c.offer(&token, json!({})).await;
    assert_eq!(s, 200, "{offer}");
    let id = offer["offers"][0]["decisionId"]
        .as_str()
        .unwrap()
        .to_string();
    let (s, b) = c
        .event(
            &token,
            json!({"decisionId": id, "event": answer, "status": "processed", "errors": []}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    id
}

/// The order Shopify holds after the upsell was accepted: the phone and the case line (20.00
/// less the offer's 4.00), with the metafield the offer Function writes.
fn order_with_upsell(id: u64, reference: &str, currency: Option<&str>) -> SimOrder {
    SimOrder {
        shipping_country: None,
        customer_locale: None,
        id,
        name: format!("#{id}"),
        customer: Some(5001),
        lines: vec![
            SimOrderLine {
                id: id * 10 + 1,
                variant: Some(101),
                product: Some(1),
                quantity: 1,
                unit_price: "500.00".into(),
                discount_minor: 0,
            },
            SimOrderLine {
                id: id * 10 + 2,
                variant: Some(111),
                product: Some(11),
                quantity: 1,
                unit_price: "20.00".into(),
                discount_minor: 400,
            },
        ],
        created_at: encore_app::clock::rfc3339(now() - 60),
        currency: currency.map(str::to_string),
        metafields: vec![(
            "encore".into(),
            "offer-1".into(),
            "json".into(),
            json!({"campaignId": "c1", "stepId": "upsell", "experimentId": "exp", "armId": "a",
                   "referenceId": reference, "seq": 0})
            .to_string(),
        )],
    }
}

fn edited(order: u64, line: u64) -> Value {
    let mut body = shopify_sim::payloads::example("orders/edited").unwrap();
    body["order_edit"]["order_id"] = json!(order);
    body["order_edit"]["line_items"]["additions"] = json!([{"id": line, "delta": 1}]);
    body["order_edit"]["line_items"]["removals"] = json!([]);
    body
}

fn refund(refund: u64, order: u64, lines: &[(u64, i64, &str)], currency: &str) -> Value {
    let mut body = shopify_sim::payloads::example("refunds/create").unwrap();
    let template = body["refund_line_items"][0].clone();
    body["id"] = json!(refund);
    body["order_id"] = json!(order);
    body["refund_line_items"] = lines
        .iter()
        .map(|(line, quantity, amount)| {
            let mut row = template.clone();
            row["line_item_id"] = json!(line);
            row["quantity"] = json!(quantity);
            row["subtotal_set"] = json!({
                "shop_money": {"amount": amount, "currency_code": currency},
                "presentment_money": {"amount": amount, "currency_code": currency}});
            row
        })
        .collect();
    body
}

async fn deliver(shopify: &Shopify, c: &Client, shop: &str, topic: &str, id: &str, body: &Value) {
    let status = shopify
        .sim
        .deliver_webhook(
            &format!("{}/webhooks/shopify", c.base),
            shop,
            topic,
            id,
            body.to_string().as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200, "{topic} {id}");
}

fn stats_of(stats: &[Value]) -> (i64, i64, i64) {
    let s = stats
        .iter()
        .find(|s| s["stepId"] == "upsell")
        .expect("upsell stats");
    (
        s["accepts"].as_i64().unwrap(),
        s["acceptedUnits"].as_i64().unwrap(),
        s["refundedUnits"].as_i64().unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refund_before_the_edit_is_kept_applied_once_and_reaches_the_offer_statistics() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let shopify = shopify().await;
        let server = start(&db, ScriptedRunner::new()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let store = &server.state.store;
        let shop = store.shop(SHOP).await.unwrap().unwrap();
        answered_offer(&c, "ref-1", "accepted").await;
        shopify
            .sim
            .put_order(SHOP, order_with_upsell(7001, "ref-1", None));

        // The refund of the case line arrives first, twice, and once more under another id.
        let r = refund(91, 7001, &[(70012, 1, "16.00")], "USD");
        deliver(&shopify, &c, SHOP, "refunds/create", "r-1", &r).await;
        deliver(&shopify, &c, SHOP, "refunds/create", "r-1", &r).await;
        deliver(&shopify, &c, SHOP, "refunds/create", "r-1-again", &r).await;
        assert_eq!(stats_of(&store.offer_stats(SHOP).await.unwrap()), (1, 1, 0));

        // Then the edit; the reconciler reads the order and applies the kept refund.
        deliver(
            &shopify,
            &c,
            SHOP,
            "orders/edited",
            "e-1",
            &edited(7001, 70012),
        )
        .await;
        let window = Duration::from_secs(7200);
        let pass = reconcile::pass(store, &mut shopify.calls(), &shop, window, now())
            .await
            .unwrap();
        assert_eq!(
            (pass.orders_read, pass.decisions_confirmed),
            (1, 1),
            "{pass:?}"
        );
        assert_eq!(stats_of(&store.offer_stats(SHOP).await.unwrap()), (1, 1, 1));

        // A refund larger than what was sold (5 units of a 1-unit line) is clamped; a refund
        // of the phone line is not the offer's.
        let big = refund(
            92,
            7001,
            &[(70012, 5, "80.00"), (70011, 1, "500.00")],
            "USD",
        );
        deliver(&shopify, &c, SHOP, "refunds/create", "r-2", &big).await;
        assert_eq!(stats_of(&store.offer_stats(SHOP).await.unwrap()), (1, 1, 1));

        let range = Range::parse(None, None, now()).unwrap();
        let report = analytics::report(store, &shop, range, window, now())
            .await
            .unwrap();
        let t = &report.totals;
        assert_eq!((t.offers_shown, t.accepted, t.confirmed), (1, 1, 1));
        assert_eq!(t.confirmed_revenue.amount, "16.00");
        assert_eq!(
            (t.refunded_units, t.refunded_amount.amount.as_str()),
            (1, "16.00")
        );
        assert_eq!(t.net_revenue.amount, "0.00");
        assert_eq!(t.refund_rate, Some(1.0));

        // A second read of the same order changes nothing.
        let again = encore_app::attribution::read_order(
            store,
            &mut shopify.calls(),
            SHOP,
            "USD",
            encore_shopify::ids::OrderId::new(7001).unwrap(),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(
            again,
            encore_app::attribution::ReadOutcome::Read { confirmed: 1 }
        );
        assert_eq!(stats_of(&store.offer_stats(SHOP).await.unwrap()), (1, 1, 1));
        let report2 = analytics::report(store, &shop, range, window, now())
            .await
            .unwrap();
        assert_eq!(report2.totals, report.totals);

        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn orders_no_webhook_named_are_found_and_analytics_counts_only_what_is_confirmed() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let shopify = shopify().await;
        let server = start(&db, ScriptedRunner::new()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let store = &server.state.store;
        let shop = store.shop(SHOP).await.unwrap().unwrap();
        // ref-a: accepted, its order found by search (no webhook). ref-b: accepted, never on an
        // order. ref-c: accepted, order in EUR. ref-d: declined. ref-e: accepted, order
        // cancelled.
        answered_offer(&c, "ref-a", "accepted").await;
        answered_offer(&c, "ref-b", "accepted").await;
        answered_offer(&c, "ref-c", "accepted").await;
        answered_offer(&c, "ref-d", "declined").await;
        answered_offer(&c, "ref-e", "accepted").await;
        shopify
            .sim
            .put_order(SHOP, order_with_upsell(8001, "ref-a", None));
        shopify
            .sim
            .put_order(SHOP, order_with_upsell(8003, "ref-c", Some("EUR")));
        shopify
            .sim
            .put_order(SHOP, order_with_upsell(8005, "ref-e", None));

        // Webhooks for an unknown shop and an unknown order are acknowledged and lose nothing.
        let stray = refund(99, 123456, &[(1, 1, "1.00")], "USD");
        deliver(
            &shopify,
            &c,
            "unknown-shop.myshopify.com",
            "refunds/create",
            "u-1",
            &stray,
        )
        .await;
        deliver(&shopify, &c, SHOP, "refunds/create", "u-2", &stray).await;
        let mut cancelled = shopify_sim::payloads::example("orders/cancelled").unwrap();
        cancelled["id"] = json!(8005);
        deliver(&shopify, &c, SHOP, "orders/cancelled", "x-1", &cancelled).await;

        // The search starts after its grace period.
        let later = now() + reconcile::SEARCH_GRACE + 60;
        let window = Duration::from_secs(7200);
        let pass = reconcile::pass(store, &mut shopify.calls(), &shop, window, later)
            .await
            .unwrap();
        assert_eq!(pass.errors, 0, "{pass:?}");
        assert_eq!(pass.orders_found_by_search, 2, "ref-a and ref-c: {pass:?}");

        // Within the window ref-b is pending; three hours on it is unconfirmed.
        let range = Range::parse(None, None, now()).unwrap();
        let soon = analytics::report(store, &shop, range, window, later)
            .await
            .unwrap();
        assert_eq!(soon.totals.pending, 1);
        let report = analytics::report(store, &shop, range, window, now() + 3 * 3600)
            .await
            .unwrap();
        let t = &report.totals;
        // Hand-computed: 5 shown, 4 accepted, 1 declined; confirmed ref-a (16.00) and ref-e
        // (16.00, cancelled: refunded in full); ref-c in EUR; ref-b unconfirmed.
        assert_eq!((t.offers_shown, t.accepted, t.declined), (5, 4, 1));
        assert_eq!(t.conversion_rate, Some(0.8));
        assert_eq!(
            (t.confirmed, t.pending, t.unconfirmed, t.foreign_currency),
            (2, 0, 1, 1)
        );
        assert_eq!(t.confirmed_revenue.amount, "32.00");
        assert_eq!(
            (t.refunded_units, t.refunded_amount.amount.as_str()),
            (1, "16.00")
        );
        assert_eq!(t.refund_rate, Some(0.5));
        assert_eq!(t.net_revenue.amount, "16.00");
        // 1600 / 5 shown = 320 minor units.
        assert_eq!(t.revenue_per_offer_shown.as_ref().unwrap().amount, "3.20");
        // AOV: ref-a and ref-e had a confirmed offer (500.00 each, net +16.00 and 0.00).
        let with = &report.aov.with_confirmed_offer;
        assert_eq!(
            (with.purchases, with.original_value.amount.as_str()),
            (2, "1000.00")
        );
        assert_eq!(with.aov_after.as_ref().unwrap().amount, "508.00");
        let all = &report.aov.shown_an_offer;
        assert_eq!(
            (all.purchases, all.original_value.amount.as_str()),
            (5, "2500.00")
        );
        assert_eq!(all.lift, Some(1600.0 / 250_000.0));
        // The funnel: four accepted upsells went to the final step's offer? No: each purchase
        // saw one offer here, so every transition ends the funnel.
        assert!(report.funnel.iter().all(|f| f.to_step_id.is_none()));
        assert_eq!(report.funnel.iter().map(|f| f.purchases).sum::<i64>(), 5);
        // One arm only: nothing to compare, and never a comparison below the minimum sample.
        assert_eq!(report.experiments.len(), 1);
        assert!(report.experiments[0].comparisons.is_empty());
        assert_eq!(stats_of(&store.offer_stats(SHOP).await.unwrap()), (4, 4, 1));

        // The same report through the API, as JSON and CSV.
        let (s, body) = c.admin_get(&format!("/api/analytics?shop={SHOP}")).await;
        assert_eq!(s, 200, "{body}");
        assert_eq!(body["totals"]["offersShown"], 5);
        assert_eq!(body["totals"]["confirmedRevenue"]["amount"], "32.00");
        // The all-time summary counts the same confirmed revenue: four accepts (64.00 of offer
        // prices), of which ref-b's was never found and ref-c's order is in EUR.
        let (s, sum) = c
            .admin_get(&format!("/api/analytics/summary?shop={SHOP}"))
            .await;
        assert_eq!(s, 200, "{sum}");
        assert_eq!(sum["accepted"], 4, "{sum}");
        assert_eq!(
            (
                &sum["confirmedRevenue"]["amount"],
                &sum["refundedAmount"]["amount"],
                &sum["netRevenue"]["amount"]
            ),
            (&json!("32.00"), &json!("16.00"), &json!("16.00")),
            "{sum}"
        );
        let csv = c
            .http
            .get(format!("{}/api/analytics?shop={SHOP}&format=csv", c.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(csv.status().as_u16(), 200);
        let text = csv.text().await.unwrap();
        let mut lines = text.lines();
        assert!(lines
            .next()
            .unwrap()
            .starts_with("day,campaign_id,step_id,"));
        let row: Vec<&str> = lines.next().unwrap().split(',').collect();
        assert_eq!(
            &row[1..9],
            ["c1", "upsell", "exp", "a", "USD", "5", "4", "1"]
        );
        assert_eq!(row[15], "32.00");
        let (s, _) = c
            .admin_get(&format!(
                "/api/analytics?shop={SHOP}&from=2026-12-02&to=2026-12-01"
            ))
            .await;
        assert_eq!(s, 400);

        server.stop().await;
        db.dispose().await;
    }
}

/// A Shopify-style token for a demo sample, signed with the demo secret.
fn demo_token(sample: &Value, reference: &str) -> String {
    use encore_server::settings::demo;
    let mut purchase = sample["initialPurchase"].clone();
    purchase["referenceId"] = json!(reference);
    let t = now();
    let claims = json!({
        "iss": "shopify", "sub": reference, "iat": t - 2, "exp": t + 3600,
        "input_data": {
            "extensionPoint": "Checkout::PostPurchase::ShouldRender",
            "initialPurchase": purchase, "locale": "en",
            "shop": {"id": 1, "domain": demo::SHOP, "metafields": []}, "version": "unstable"
        }
    });
    sign(&claims, demo::API_SECRET)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offer_whose_units_come_back_pauses_itself_through_the_real_function() {
    use encore_server::settings::{demo, Settings};
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let vars: std::collections::HashMap<String, String> = [
        ("ENCORE_DATABASE_URL".to_string(), db.url()),
        ("ENCORE_LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ]
    .into_iter()
    .collect();
    let server = encore_server::start(
        Settings::from_vars(&vars, true).unwrap(),
        real_function_runner(),
    )
    .await
    .unwrap();
    let c = Client::new(&server);
    let shopify = shopify_for(demo::SHOP, demo::API_KEY, demo::API_SECRET).await;
    let store = &server.state.store;
    let shop = store.shop(demo::SHOP).await.unwrap().unwrap();
    let purchases: Value = serde_json::from_str(encore_server::demo::PURCHASES).unwrap();
    let phone = purchases["purchases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "phone")
        .unwrap()
        .clone();

    // 20 buyers accept the phone-case offer (the guardrail's minimum sample by default).
    for i in 0..20u64 {
        let reference = format!("boomerang-{i}");
        let token = demo_token(&phone, &reference);
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{b}");
        let o = &b["offers"][0];
        assert_eq!(o["campaignId"], "phone-case", "{b}");
        let metafield = o["changes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|ch| ch["type"] == "set_metafield")
            .expect("the Function names its decision on the order")
            .clone();
        let value: Value = serde_json::from_str(metafield["value"].as_str().unwrap()).unwrap();
        assert_eq!(
            (value["referenceId"].as_str(), value["seq"].as_i64()),
            (Some(reference.as_str()), Some(0))
        );
        let (s, e) = c
            .event(
                &token,
                json!({"decisionId": o["decisionId"], "event": "accepted", "status": "processed"}),
            )
            .await;
        assert_eq!(s, 200, "{e}");
        let order = 9100 + i;
        let variant = o["changes"][0]["variantId"].as_u64().unwrap();
        shopify.sim.put_order(
            demo::SHOP,
            SimOrder {
                shipping_country: None,
                customer_locale: None,
                id: order,
                name: format!("#{order}"),
                customer: None,
                lines: vec![SimOrderLine {
                    id: order * 10 + 2,
                    variant: Some(variant),
                    product: None,
                    quantity: 1,
                    unit_price: o["products"][0]["shopPrices"]["offerPrice"]
                        .as_str()
                        .unwrap()
                        .into(),
                    discount_minor: 0,
                }],
                created_at: encore_app::clock::rfc3339(now() - 30),
                currency: None,
                metafields: vec![(
                    "encore".into(),
                    metafield["key"].as_str().unwrap().into(),
                    "json".into(),
                    metafield["value"].as_str().unwrap().into(),
                )],
            },
        );
        deliver(
            &shopify,
            &c,
            demo::SHOP,
            "orders/edited",
            &format!("e-{i}"),
            &edited(order, order * 10 + 2),
        )
        .await;
    }
    let pass = reconcile::pass(
        store,
        &mut shopify.calls(),
        &shop,
        Duration::from_secs(7200),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(pass.decisions_confirmed, 20, "{pass:?}");

    // The next buyer still gets the offer; then two of the twenty come back (10% > 5%).
    let (_, b) = c
        .offer(&demo_token(&phone, "before-refunds"), json!({}))
        .await;
    assert_eq!(b["offers"][0]["campaignId"], "phone-case", "{b}");
    for i in 0..2u64 {
        let order = 9100 + i;
        let price = "23.99";
        let r = refund(500 + i, order, &[(order * 10 + 2, 1, price)], "USD");
        deliver(
            &shopify,
            &c,
            demo::SHOP,
            "refunds/create",
            &format!("r-{i}"),
            &r,
        )
        .await;
    }
    let (s, b) = c
        .offer(&demo_token(&phone, "after-refunds"), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
    let paused = b["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["code"] == "REFUND_RATE_PAUSED" && r["campaignId"] == "phone-case");
    assert!(paused, "the refunded step pauses itself: {b}");
    server.stop().await;
}

/// An orders/create payload (Shopify's example) for an order of the demo's `products` today.
fn order_created(id: u64, products: &[&str]) -> Value {
    use encore_mining::generate::HistorySpec;
    use encore_mining::{Day, Order, OrderId};
    let today = Day((now() / 86_400) as u32);
    let spec = HistorySpec {
        first_order_id: id,
        last_day: today,
        ..HistorySpec::new(9, 1, 10)
    };
    let order = Order {
        id: OrderId(id),
        day: today,
        products: products.iter().map(|p| p.to_string()).collect(),
    };
    shopify_sim::orders::order_created(&spec, &order)
}

/// The demo shop's live co-purchase pairs, (product, suggested product).
async fn live_pairs(store: &encore_store::Store) -> Vec<(String, String)> {
    let facts = encore_app::facts_cache::load_uncached(store, encore_server::settings::demo::SHOP)
        .await
        .unwrap();
    facts
        .co_purchases
        .values()
        .flatten()
        .map(|p| {
            (
                p["productId"].as_str().unwrap().to_string(),
                p["suggestedProductId"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mined_pair_whose_offer_is_refunded_is_demoted_and_the_next_pair_is_offered() {
    use encore_server::settings::{demo, Settings};
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let vars: std::collections::HashMap<String, String> = [
        ("ENCORE_DATABASE_URL".to_string(), db.url()),
        ("ENCORE_LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ]
    .into_iter()
    .collect();
    let server = encore_server::start(
        Settings::from_vars(&vars, true).unwrap(),
        real_function_runner(),
    )
    .await
    .unwrap();
    let c = Client::new(&server);
    let shopify = shopify_for(demo::SHOP, demo::API_KEY, demo::API_SECRET).await;
    let state = &server.state;
    let store = &state.store;
    let shop = store.shop(demo::SHOP).await.unwrap().unwrap();

    // One campaign: what the shop's buyers buy with what was bought. Pairs are judged on the
    // shop's guardrails: a single confirmed unit is the sample here (refundRateMinAccepts 1),
    // and more than 5% refunded demotes. The campaign's own guardrail waits for 100 accepts,
    // so the step itself is not paused and the demotion alone is seen.
    let config = json!({"version": 1,
        "defaults": {"guardrails": {"refundRatePausePercent": 5, "refundRateMinAccepts": 1}},
        "campaigns": [{"id": "learned", "status": "active", "priority": 0, "triggers": {},
            "guardrails": {"refundRateMinAccepts": 100},
            "steps": [{"id": "cross", "offer": {
                "auto": {"maxCandidates": 3, "minLiftPermille": 500},
                "discount": {"percent": 10}}}]}]});
    let r = c
        .http
        .put(format!("{}/api/campaigns?shop={}", c.base, demo::SHOP))
        .bearer_auth(demo::ADMIN_TOKEN)
        .json(&config)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200, "{}", r.text().await.unwrap());

    // The store's orders: phone + case 10 times, phone + charger 10 times, charger + screen
    // protector 5 times. N = 25: lift(phone, case) = 10 × 25 / (20 × 10) = 1250‰, lift(phone,
    // charger) = 10 × 25 / (20 × 15) = 833‰.
    let baskets = [
        (10, ["1001", "1101"]),
        (10, ["1001", "1301"]),
        (5, ["1301", "1201"]),
    ];
    let mut id = 8_000_000_000_000u64;
    for (times, basket) in baskets {
        for _ in 0..times {
            id += 1;
            let body = order_created(id, &basket);
            deliver(
                &shopify,
                &c,
                demo::SHOP,
                "orders/create",
                &format!("oc-{id}"),
                &body,
            )
            .await;
        }
    }
    encore_app::mining::incremental::refresh(store, &state.mining, demo::SHOP)
        .await
        .unwrap();
    let pairs = live_pairs(store).await;
    assert!(pairs.contains(&("1001".into(), "1101".into())), "{pairs:?}");

    let purchases: Value = serde_json::from_str(encore_server::demo::PURCHASES).unwrap();
    let phone = purchases["purchases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "phone")
        .unwrap()
        .clone();
    let token = demo_token(&phone, "learned-1");
    let (s, b) = c.offer(&token, json!({})).await;
    assert_eq!(s, 200, "{b}");
    let o = &b["offers"][0];
    assert_eq!(
        (
            o["campaignId"].as_str(),
            o["products"][0]["productId"].as_str()
        ),
        (Some("learned"), Some("1101")),
        "the best pair's product is offered: {b}"
    );
    let decision = store
        .decision(o["decisionId"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        decision.pair,
        Some(encore_store::decisions::SuggestedPair {
            product_id: "1001".into(),
            suggested_product_id: "1101".into(),
        })
    );

    // Accepted; the order shows the case; the buyer sends it back.
    let (s, e) = c
        .event(
            &token,
            json!({"decisionId": o["decisionId"], "event": "accepted", "status": "processed"}),
        )
        .await;
    assert_eq!(s, 200, "{e}");
    let metafield = o["changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|ch| ch["type"] == "set_metafield")
        .unwrap()
        .clone();
    let order = 9300;
    let price = o["products"][0]["shopPrices"]["offerPrice"]
        .as_str()
        .unwrap()
        .to_string();
    shopify.sim.put_order(
        demo::SHOP,
        SimOrder {
            id: order,
            name: format!("#{order}"),
            customer: None,
            lines: vec![SimOrderLine {
                id: order * 10 + 2,
                variant: o["changes"][0]["variantId"].as_u64(),
                product: None,
                quantity: 1,
                unit_price: price.clone(),
                discount_minor: 0,
            }],
            created_at: encore_app::clock::rfc3339(now() - 30),
            currency: None,
            shipping_country: None,
            customer_locale: None,
            metafields: vec![(
                "encore".into(),
                metafield["key"].as_str().unwrap().into(),
                "json".into(),
                metafield["value"].as_str().unwrap().into(),
            )],
        },
    );
    deliver(
        &shopify,
        &c,
        demo::SHOP,
        "orders/edited",
        "e-learned",
        &edited(order, order * 10 + 2),
    )
    .await;
    let pass = reconcile::pass(
        store,
        &mut shopify.calls(),
        &shop,
        Duration::from_secs(7200),
        now(),
    )
    .await
    .unwrap();
    assert_eq!(pass.decisions_confirmed, 1, "{pass:?}");
    let r = refund(700, order, &[(order * 10 + 2, 1, &price)], "USD");
    deliver(&shopify, &c, demo::SHOP, "refunds/create", "r-learned", &r).await;

    // The next publication leaves phone → case out (case → phone stays: one direction).
    encore_app::mining::incremental::refresh(store, &state.mining, demo::SHOP)
        .await
        .unwrap();
    let pairs = live_pairs(store).await;
    assert!(
        !pairs.contains(&("1001".into(), "1101".into())),
        "{pairs:?}"
    );
    assert!(pairs.contains(&("1101".into(), "1001".into())), "{pairs:?}");
    assert!(pairs.contains(&("1001".into(), "1301".into())), "{pairs:?}");

    // The next phone buyer is offered the next pair's product: the charger.
    let (s, b) = c.offer(&demo_token(&phone, "learned-2"), json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(
        b["offers"][0]["products"][0]["productId"].as_str(),
        Some("1301"),
        "{b}"
    );
    let next = store
        .decision(b["offers"][0]["decisionId"].as_str().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        next.pair.map(|p| (p.product_id, p.suggested_product_id)),
        Some(("1001".into(), "1301".into()))
    );
    server.stop().await;
}
