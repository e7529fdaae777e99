//! The simulator's past orders (`GET /api/simulation/orders`) over real HTTP against the
//! simulated Shopify: an order found by name or among the recent ones, read through the
//! `OrdersForSimulation` query as the purchase to replay; a name that is not one refused;
//! Shopify failing or the shop never installed said as such, never an empty list.

mod common;

use common::*;
use encore_server::Running;
use serde_json::{json, Value};
use shopify_sim::{Sim, SimConfig, SimCustomer, SimOrder, SimOrderLine, StoreSpec};

async fn sim() -> Sim {
    let sim = Sim::start(SimConfig {
        client_id: API_KEY.into(),
        client_secret: SECRET.into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_shop(
        SHOP,
        StoreSpec {
            currency: "EUR".into(),
            ..StoreSpec::default()
        },
    );
    sim
}

async fn server(db: &Db, sim: &Sim) -> Running {
    let mut settings = settings(db);
    settings.shopify_host =
        encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
    settings.app.retention.every = None;
    encore_server::start(settings, ScriptedRunner::new())
        .await
        .unwrap()
}

fn line(id: u64, variant: u64, product: u64, quantity: i64, price: &str) -> SimOrderLine {
    SimOrderLine {
        id,
        variant: Some(variant),
        product: Some(product),
        quantity,
        unit_price: price.into(),
        discount_minor: 0,
    }
}

/// Three orders a day apart: #1001 a guest's, shipped to Canada in French; #1002 and #1003 a
/// returning customer's, #1003 with a deleted variant.
fn orders(sim: &Sim) {
    sim.put_customer(
        SHOP,
        SimCustomer {
            id: 77,
            tags: vec!["vip".into()],
            number_of_orders: 4,
            amount_spent: "412.50".into(),
        },
    );
    let order =
        |id: u64, day: u32, customer, lines, country: Option<&str>, locale: Option<&str>| {
            SimOrder {
                id,
                name: format!("#{}", 1000 + id),
                customer,
                lines,
                created_at: format!("2026-11-{day:02}T10:00:00Z"),
                currency: None,
                metafields: vec![],
                shipping_country: country.map(str::to_string),
                customer_locale: locale.map(str::to_string),
            }
        };
    sim.put_order(
        SHOP,
        order(
            1,
            20,
            None,
            vec![line(11, 501, 50, 2, "19.9")],
            Some("CA"),
            Some("fr-CA"),
        ),
    );
    sim.put_order(
        SHOP,
        order(
            2,
            21,
            Some(77),
            vec![line(21, 502, 50, 1, "24.00"), line(22, 601, 60, 3, "5.5")],
            Some("DE"),
            Some("de"),
        ),
    );
    let mut gone = line(31, 0, 0, 1, "9.99");
    gone.variant = None;
    gone.product = None;
    sim.put_order(SHOP, order(3, 22, Some(77), vec![gone], None, None));
}

async fn get(running: &Running, sim: &Sim, query: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(format!(
            "http://{}/api/simulation/orders{query}",
            running.addr
        ))
        .bearer_auth(sim.session_token(SHOP, 42, now()))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn an_order_found_by_name_comes_back_as_the_purchase_to_simulate() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = sim().await;
    orders(&sim);
    // The first session token installs the shop (token exchange), as the embedded admin does.
    let running = server(&db, &sim).await;

    let (status, body) = get(&running, &sim, "?name=%231002").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"orders": [{
            "name": "#1002",
            "createdAt": "2026-11-21T10:00:00Z",
            "currencyCode": "EUR",
            "country": "DE",
            "locale": "de",
            "customer": {"id": "77", "numberOfOrders": 4, "amountSpent": "412.50", "tags": ["vip"]},
            "lines": [
                {"productId": "50", "variantId": "502", "quantity": 1, "unitPrice": "24.00"},
                {"productId": "60", "variantId": "601", "quantity": 3, "unitPrice": "5.50"},
            ],
        }]})
    );
    // Digits alone are the default name; a name no order has finds nothing.
    let (_, body) = get(&running, &sim, "?name=1001").await;
    assert_eq!(body["orders"][0]["name"], "#1001");
    assert_eq!(body["orders"][0]["customer"], Value::Null);
    assert_eq!(body["orders"][0]["locale"], "fr-CA");
    assert_eq!(body["orders"][0]["lines"][0]["unitPrice"], "19.90");
    let (_, body) = get(&running, &sim, "?name=%239999").await;
    assert_eq!(body, json!({"orders": []}));
    running.stop().await;
}

#[tokio::test]
async fn without_a_name_the_recent_orders_come_newest_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = sim().await;
    orders(&sim);
    let running = server(&db, &sim).await;
    let (status, body) = get(&running, &sim, "").await;
    assert_eq!(status, 200, "{body}");
    let names: Vec<&str> = body["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["#1003", "#1002", "#1001"]);
    // A deleted variant stays a line, without ids, for the admin to say so.
    assert_eq!(
        body["orders"][0]["lines"],
        json!([{"productId": null, "variantId": null, "quantity": 1, "unitPrice": "9.99"}])
    );
    assert_eq!(body["orders"][0]["country"], Value::Null);
    running.stop().await;
}

#[tokio::test]
async fn search_syntax_typed_as_a_name_is_refused_before_shopify_is_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = sim().await;
    let running = server(&db, &sim).await;
    let (_, body) = get(&running, &sim, "").await;
    assert_eq!(body, json!({"orders": []}));
    let asked = sim.admin_requests(SHOP);
    let (status, body) = get(&running, &sim, "?name=1001%20OR%20created_at%3A%3E2020").await;
    assert_eq!(status, 400, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("not an order name like #1001"),
        "{body}"
    );
    assert_eq!(sim.admin_requests(SHOP), asked);
    running.stop().await;
}

#[tokio::test]
async fn shopify_failing_or_a_shop_never_installed_is_said_not_shown_as_no_orders() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = sim().await;
    orders(&sim);
    let running = server(&db, &sim).await;
    let (_, body) = get(&running, &sim, "?name=1001").await;
    assert_eq!(body["orders"].as_array().unwrap().len(), 1);
    sim.fail_next(SHOP, &[503, 503, 503, 503, 503, 503]);
    let (status, body) = get(&running, &sim, "?name=1001").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"orders": null, "unavailableBecause": "shopify_unavailable"})
    );

    // A shop loaded by the operator has no credentials to ask Shopify with.
    let other = "loaded-shop.myshopify.com";
    let c = reqwest::Client::new();
    let put = c
        .put(format!("http://{}/api/shops/{other}", running.addr))
        .bearer_auth(ADMIN)
        .json(&json!({"currencyCode": "USD"}))
        .send()
        .await
        .unwrap();
    assert_eq!(put.status().as_u16(), 200);
    let body: Value = c
        .get(format!(
            "http://{}/api/simulation/orders?shop={other}",
            running.addr
        ))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        body,
        json!({"orders": null, "unavailableBecause": "not_installed"})
    );
    running.stop().await;
}
