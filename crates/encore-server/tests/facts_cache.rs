//! The facts cache over real HTTP against the simulated Shopify, on SQLite and PostgreSQL:
//! concurrent misses load once, an inventory webhook re-reads only its product, and on
//! PostgreSQL a webhook handled by one instance refreshes another instance's cache through
//! LISTEN/NOTIFY before any offer asks it.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use encore_app::catalog_sync::access::StaticAccess;
use encore_app::catalog_sync::SyncOptions;
use encore_app::facts_cache::ShopFacts;
use encore_server::Running;
use encore_shopify::admin::{AdminConfig, RetryPolicy};
use encore_shopify::host::ShopifyHost;
use encore_shopify::oauth::{AppCredentials, TokenClient};
use encore_shopify::{Secret, ShopDomain};
use serde_json::{json, Value};
use shopify_sim::store::Product;
use shopify_sim::{payloads, Sim, SimConfig, StoreSpec};

fn spec() -> StoreSpec {
    StoreSpec {
        seed: 5,
        products: 40,
        variants_per_product: 3,
        currency: "USD".into(),
    }
}

async fn sim() -> Sim {
    let sim = Sim::start(SimConfig {
        client_id: API_KEY.into(),
        client_secret: SECRET.into(),
        bulk_duration: Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_shop(SHOP, spec());
    sim
}

/// A server on `db` whose syncs read `sim` with a token from token exchange.
async fn server(db: &Db, sim: &Sim) -> (Running, Client) {
    let server = start(db, ScriptedRunner::new()).await;
    let client = Client::new(&server);
    let shop = ShopDomain::parse(SHOP).unwrap();
    let host = ShopifyHost::custom(&sim.host_template()).unwrap();
    let tokens = TokenClient::new(
        reqwest::Client::new(),
        host.clone(),
        AppCredentials {
            client_id: API_KEY.into(),
            client_secret: Secret::new(SECRET),
        },
        Duration::from_secs(5),
    );
    let token = tokens
        .exchange_session_token(&shop, &sim.session_token(SHOP, 1, now()))
        .await
        .unwrap()
        .access_token;
    let admin = AdminConfig {
        host,
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        },
        ..AdminConfig::default()
    };
    server.state.sync.set_access(Arc::new(StaticAccess::new(
        reqwest::Client::new(),
        admin,
        token,
    )));
    server.state.sync.set_options(SyncOptions {
        poll_every: Duration::from_millis(30),
        busy_retry: Duration::from_millis(30),
        ..SyncOptions::default()
    });
    (server, client)
}

/// Creates the shop and runs a full sync through the admin route to its end.
async fn synced(client: &Client) {
    let (s, b) = client
        .admin_put(
            &format!("/api/shops/{SHOP}"),
            json!({"currencyCode": "USD"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = client
        .http
        .post(format!("{}/api/sync?shop={SHOP}", client.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 202);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (_, status) = client
            .admin_get(&format!("/api/sync/status?shop={SHOP}"))
            .await;
        match status["latest"]["state"].as_str() {
            Some("complete") => return,
            Some("failed") => panic!("the sync failed: {status}"),
            _ => {}
        }
        assert!(Instant::now() < deadline, "the sync did not end: {status}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn purchase(reference: &str, bought: &Product) -> String {
    let v = &bought.variants[0];
    let price = format!("{}.{:02}", v.price_minor / 100, v.price_minor % 100);
    token_for(&input_data(
        reference,
        &[(&bought.id.to_string(), &v.id.to_string(), &price)],
    ))
}

async fn offer(client: &Client, reference: &str) {
    let (s, b) = client
        .offer(&purchase(reference, &spec().product(0)), json!({}))
        .await;
    assert_eq!(s, 200, "{b}");
}

async fn deliver(sim: &Sim, client: &Client, topic: &str, id: &str, body: &Value) {
    let url = format!("{}/webhooks/shopify", client.base);
    let status = sim
        .deliver_webhook(&url, SHOP, topic, id, body.to_string().as_bytes())
        .await
        .unwrap();
    assert_eq!(status.as_u16(), 200);
}

fn available(facts: &ShopFacts, product: &Product) -> Value {
    facts.catalog[&product.id.to_string()][0]["inventory"]["available"].clone()
}

fn time_text(unix: i64) -> String {
    encore_app::clock::rfc3339(unix)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_misses_load_once_and_a_stock_webhook_rereads_only_its_product() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim().await;
        let (server, client) = server(&db, &sim).await;
        synced(&client).await;
        let cache = &server.state.facts;

        // Eight offers miss at once (the sync's switch moved the version): one load.
        let before = cache.counts();
        let offers = (0..8).map(|i| {
            let client = &client;
            async move { offer(client, &format!("together-{i}")).await }
        });
        futures_util::future::join_all(offers).await;
        let after = cache.counts();
        assert_eq!(after.full_loads, before.full_loads + 1, "{after:?}");
        let warm = cache.peek(SHOP).unwrap();
        assert_eq!(warm.variants().count(), 120);

        // One variant sells out: the next offer re-reads that product only.
        let sold = spec().product(7);
        let body = payloads::inventory_level(
            sold.variants[0].inventory_item_id,
            7001,
            0,
            &time_text(now() + 5),
        );
        deliver(&sim, &client, "inventory_levels/update", "stock-1", &body).await;
        offer(&client, "after-stock").await;
        let patched = cache.counts();
        assert_eq!(patched.full_loads, after.full_loads, "{patched:?}");
        assert_eq!(patched.patches, after.patches + 1, "{patched:?}");
        let now_facts = cache.peek(SHOP).unwrap();
        assert_eq!(now_facts.data_version, warm.data_version + 1);
        assert_eq!(available(&now_facts, &sold), 0);
        // The loaded facts are the database's, and untouched products are shared, not copied.
        let uncached = encore_app::facts_cache::load_uncached(&server.state.store, SHOP)
            .await
            .unwrap();
        assert!(now_facts.variants().eq(uncached.variants()));
        let other = spec().product(8).id.to_string();
        assert!(Arc::ptr_eq(
            &warm.catalog[&other],
            &now_facts.catalog[&other]
        ));
        assert!(Arc::ptr_eq(
            &warm.variant_products,
            &now_facts.variant_products
        ));

        // A product update that drops a variant: patched, and its variant index follows.
        let mut trimmed = spec().product(9);
        let dropped = trimmed.variants.pop().unwrap().id.to_string();
        let body = payloads::product(&trimmed, "USD", &time_text(now() + 10));
        deliver(&sim, &client, "products/update", "trim-1", &body).await;
        offer(&client, "after-trim").await;
        assert_eq!(cache.counts().full_loads, patched.full_loads);
        let trimmed_facts = cache.peek(SHOP).unwrap();
        let uncached = encore_app::facts_cache::load_uncached(&server.state.store, SHOP)
            .await
            .unwrap();
        assert!(trimmed_facts.variants().eq(uncached.variants()));
        assert_eq!(trimmed_facts.variant_products, uncached.variant_products);
        assert!(trimmed_facts.variant(&dropped).is_none());
        let patched = cache.counts();

        // A config change is not in the change log: everything is read again.
        let (s, b) = client
            .admin_put(
                &format!("/api/campaigns?shop={SHOP}"),
                json!({"version": 1, "campaigns": []}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        offer(&client, "after-config").await;
        assert_eq!(cache.counts().full_loads, patched.full_loads + 1);
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_webhook_on_one_instance_refreshes_another_instances_cache_before_any_offer() {
    let Some(db) = postgres_db().await else {
        return;
    };
    let sim = sim().await;
    let (a, client_a) = server(&db, &sim).await;
    let (b, client_b) = server(&db, &sim).await;
    synced(&client_a).await;
    offer(&client_a, "warm-a").await;
    offer(&client_b, "warm-b").await;
    let warm = b.state.facts.peek(SHOP).unwrap();
    let before = b.state.facts.counts();

    // Instance A handles the webhook; B gets no request at all.
    let sold = spec().product(3);
    let body = payloads::inventory_level(
        sold.variants[0].inventory_item_id,
        7001,
        0,
        &time_text(now() + 5),
    );
    deliver(&sim, &client_a, "inventory_levels/update", "stock-a", &body).await;
    let version = a
        .state
        .store
        .shop(SHOP)
        .await
        .unwrap()
        .unwrap()
        .data_version;
    assert_eq!(version, warm.data_version + 1);
    let sent = Instant::now();
    loop {
        let facts = b.state.facts.peek(SHOP).unwrap();
        if facts.data_version == version {
            assert_eq!(available(&facts, &sold), 0);
            break;
        }
        assert!(
            sent.elapsed() < Duration::from_secs(1),
            "instance B did not hear of the change within a second"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let after = b.state.facts.counts();
    assert_eq!(after.notified, before.notified + 1, "{after:?}");
    assert_eq!(after.patches, before.patches + 1, "{after:?}");
    assert_eq!(after.full_loads, before.full_loads, "{after:?}");
    a.stop().await;
    b.stop().await;
    db.dispose().await;
}
