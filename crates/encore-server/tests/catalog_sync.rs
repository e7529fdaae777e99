//! Catalog sync over real HTTP against the simulated Shopify, on SQLite and PostgreSQL: a bulk
//! sync feeding the real offer Function, failures that leave the previous catalog live, the
//! per-shop queue of bulk work, and webhooks that arrive late, twice or broken.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use encore_app::catalog_sync::access::StaticAccess;
use encore_app::catalog_sync::SyncOptions;
use encore_server::Running;
use encore_shopify::admin::{AdminClient, AdminConfig, RetryPolicy};
use encore_shopify::host::ShopifyHost;
use encore_shopify::oauth::{AppCredentials, TokenClient};
use encore_shopify::{Secret, ShopDomain};
use serde_json::{json, Value};
use shopify_sim::bulk::BulkFaults;
use shopify_sim::store::{Product, Variant};
use shopify_sim::{payloads, Sim, SimConfig, StoreSpec};

struct World {
    sim: Sim,
    server: Running,
    client: Client,
    spec: StoreSpec,
    token: Secret,
}

fn sim_config() -> SimConfig {
    SimConfig {
        client_id: API_KEY.into(),
        client_secret: SECRET.into(),
        bulk_duration: Duration::from_millis(150),
        ..SimConfig::default()
    }
}

fn admin_config(sim: &Sim) -> AdminConfig {
    AdminConfig {
        host: ShopifyHost::custom(&sim.host_template()).unwrap(),
        timeout: Duration::from_secs(5),
        retry: RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(10),
            max_delay: Duration::from_millis(40),
        },
        ..AdminConfig::default()
    }
}

/// Encore on `db` with the real Function, a simulated shop generated from `spec`, installed
/// through token exchange.
async fn world(db: &Db, spec: StoreSpec) -> World {
    let sim = Sim::start(sim_config()).await.unwrap();
    sim.add_shop(SHOP, spec.clone());
    let server = start(db, real_function_runner()).await;
    let client = Client::new(&server);
    let (s, b) = client
        .admin_put(
            &format!("/api/shops/{SHOP}"),
            json!({"currencyCode": "USD"}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let shop = ShopDomain::parse(SHOP).unwrap();
    let tokens = TokenClient::new(
        reqwest::Client::new(),
        ShopifyHost::custom(&sim.host_template()).unwrap(),
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
    server.state.sync.set_access(Arc::new(StaticAccess::new(
        reqwest::Client::new(),
        admin_config(&sim),
        token.clone(),
    )));
    server.state.sync.set_options(SyncOptions {
        poll_every: Duration::from_millis(40),
        busy_retry: Duration::from_millis(40),
        batch_products: 7,
        ..SyncOptions::default()
    });
    World {
        sim,
        server,
        client,
        spec,
        token,
    }
}

impl World {
    /// Starts a sync through the admin route and polls the status until it ends.
    async fn sync(&self) -> Value {
        let r = self
            .client
            .http
            .post(format!("{}/api/sync?shop={SHOP}", self.client.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 202);
        let queued = r.json::<Value>().await.unwrap()["latest"]["syncId"].clone();
        assert!(queued.is_i64(), "the answer shows the queued sync");
        self.wait_for_sync(&queued).await
    }

    /// Polls until sync `id` finished; returns the status.
    async fn wait_for_sync(&self, id: &Value) -> Value {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let status = self.status().await;
            let latest = &status["latest"];
            if &latest["syncId"] == id
                && matches!(latest["state"].as_str(), Some("complete" | "failed"))
            {
                return status;
            }
            assert!(Instant::now() < deadline, "the sync did not end: {status}");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    async fn status(&self) -> Value {
        let (s, status) = self
            .client
            .admin_get(&format!("/api/sync/status?shop={SHOP}"))
            .await;
        assert_eq!(s, 200, "{status}");
        status
    }

    async fn deliver(&self, topic: &str, id: &str, body: &Value) -> u16 {
        let url = format!("{}/webhooks/shopify", self.client.base);
        self.sim
            .deliver_webhook(&url, SHOP, topic, id, body.to_string().as_bytes())
            .await
            .unwrap()
            .as_u16()
    }

    /// The live catalog as the offer path loads it: variant data by variant id.
    async fn live_variants(&self) -> std::collections::HashMap<String, Value> {
        let store = &self.server.state.store;
        let facts = encore_app::facts_cache::load_uncached(store, SHOP)
            .await
            .unwrap();
        facts
            .variants()
            .map(|v| (v["id"].as_str().unwrap().to_string(), v.clone()))
            .collect()
    }

    async fn stop(self, db: Db) {
        self.server.stop().await;
        db.dispose().await;
    }
}

/// The first product after `from` whose variants are all stocked, tracked and not sold when
/// out of stock (so that selling one out takes it out of offers).
fn stocked_product(spec: &StoreSpec, from: u64) -> Product {
    (from..spec.products)
        .map(|i| spec.product(i))
        .find(|p| {
            p.variants
                .iter()
                .all(|v| v.tracked && v.deny_when_out_of_stock && v.quantity > 0)
        })
        .expect("the generated store has a stocked, tracked product")
}

fn minor(text: &str) -> i64 {
    let (units, cents) = text.split_once('.').unwrap();
    units.parse::<i64>().unwrap() * 100 + cents.parse::<i64>().unwrap()
}

fn purchase_token(reference: &str, bought: &Product) -> String {
    let v = &bought.variants[0];
    let price = format!("{}.{:02}", v.price_minor / 100, v.price_minor % 100);
    token_for(&input_data(
        reference,
        &[(&bought.id.to_string(), &v.id.to_string(), &price)],
    ))
}

fn spec() -> StoreSpec {
    StoreSpec {
        seed: 11,
        products: 30,
        variants_per_product: 3,
        currency: "USD".into(),
    }
}

#[tokio::test]
async fn a_synced_catalog_prices_offers_and_a_stock_webhook_removes_a_variant_within_a_second() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, spec()).await;
        let status = w.sync().await;
        let latest = &status["latest"];
        assert_eq!(latest["state"], "complete", "{status}");
        assert_eq!(latest["products"], 30);
        assert_eq!(latest["variants"], 90);
        assert_eq!(latest["malformed"], 0);
        assert_eq!(status["liveVariants"], 90);
        assert!(status["lastCompleteAt"].as_i64().is_some(), "{status}");

        let bought = w.spec.product(0);
        let offered = stocked_product(&w.spec, 1);
        let config = json!({"version": 1, "campaigns": [{
            "id": "synced", "status": "active", "priority": 0,
            "triggers": {"products": [bought.id.to_string()]},
            "steps": [{"id": "upsell", "offer": {"products": [offered.variants[1].id.to_string()], "discount": {"percent": 10}}}],
        }]});
        let (s, b) = w
            .client
            .admin_put(&format!("/api/campaigns?shop={SHOP}"), config)
            .await;
        assert_eq!(s, 200, "{b}");

        let (s, b) = w
            .client
            .offer(&purchase_token("sync-1", &bought), json!({}))
            .await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["render"], true, "{b}");
        let product = &b["offers"][0]["products"][0];
        let variant_id: u64 = product["variantId"].as_str().unwrap().parse().unwrap();
        let variant: &Variant = offered
            .variants
            .iter()
            .find(|v| v.id == variant_id)
            .expect("a variant of the offered product");
        // 10% off the synced price, ties rounded half away from zero.
        let want = (variant.price_minor * 90 + 50) / 100;
        assert_eq!(
            minor(product["shopPrices"]["offerPrice"].as_str().unwrap()),
            want,
            "{b}"
        );

        // The variant sells out at its (only) location.
        let body =
            payloads::inventory_level(variant.inventory_item_id, 7001, 0, &time_text(now() + 5));
        assert_eq!(
            w.deliver("inventory_levels/update", "stock-1", &body).await,
            200
        );
        let sent = Instant::now();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let (s, b) = w
                .client
                .offer(
                    &purchase_token(&format!("sync-after-{attempt}"), &bought),
                    json!({}),
                )
                .await;
            assert_eq!(s, 200, "{b}");
            let still = b["offers"][0]["products"][0]["variantId"].as_str()
                == Some(variant_id.to_string().as_str());
            if !still {
                assert_eq!(b["render"], false, "{b}");
                assert!(
                    b["reasons"].to_string().contains("OUT_OF_STOCK"),
                    "out of stock is the reason: {b}"
                );
                break;
            }
            assert!(
                sent.elapsed() < Duration::from_secs(1),
                "the sold-out variant was still offered a second after its webhook: {b}"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert_eq!(
            w.live_variants().await[&variant_id.to_string()]["inventory"]["available"],
            0
        );
        w.stop(db).await;
    }
}

fn time_text(unix: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(unix)
        .unwrap()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap()
}

#[tokio::test]
async fn a_sync_that_fails_midway_or_cannot_reach_shopify_leaves_the_previous_catalog_live() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, spec()).await;
        let hand_made = json!({"products": [{"id": "1", "title": "Kept", "variants": [
            {"id": "11", "price": "5.00", "inventory": {"tracked": true, "available": 3}}
        ]}]});
        let (s, b) = w
            .client
            .admin_put(&format!("/api/catalog?shop={SHOP}"), hand_made)
            .await;
        assert_eq!(s, 200, "{b}");

        // The download breaks off after 12 products (two batches were staged).
        w.sim.fault_next_bulk(
            SHOP,
            BulkFaults {
                cut_after: Some(12),
                ..BulkFaults::default()
            },
        );
        let status = w.sync().await;
        assert_eq!(status["latest"]["state"], "failed", "{status}");
        assert!(
            status["latest"]["error"]
                .as_str()
                .unwrap()
                .contains("reading the bulk result failed"),
            "{status}"
        );
        assert_eq!(status["liveVariants"], 1, "{status}");
        assert_eq!(status["lastCompleteAt"], Value::Null);
        let live = w.live_variants().await;
        assert_eq!(live["11"]["price"], "5.00");

        // Shopify answers 503 to every attempt.
        w.sim.fail_next(SHOP, &[503, 503, 503]);
        let status = w.sync().await;
        assert_eq!(status["latest"]["state"], "failed", "{status}");
        assert!(
            status["latest"]["error"].as_str().unwrap().contains("503"),
            "{status}"
        );
        assert_eq!(w.live_variants().await.len(), 1);

        // Nothing of the broken syncs lingers: the next one replaces the catalog whole.
        let status = w.sync().await;
        assert_eq!(status["latest"]["state"], "complete", "{status}");
        let live = w.live_variants().await;
        assert_eq!(live.len(), 90);
        assert!(
            !live.contains_key("11"),
            "a product Shopify does not have was kept"
        );
        w.stop(db).await;
    }
}

#[tokio::test]
async fn a_second_sync_and_a_bulk_operation_started_elsewhere_are_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, spec()).await;
        // Another tool of the app starts a bulk query first: Shopify allows one per shop.
        let other = AdminClient::new(
            reqwest::Client::new(),
            admin_config(&w.sim),
            ShopDomain::parse(SHOP).unwrap(),
        );
        other.start_catalog_bulk(&w.token).await.unwrap();
        // Two syncs asked for at once: the second waits for the first.
        for _ in 0..2 {
            let r = w
                .client
                .http
                .post(format!("{}/api/sync?shop={SHOP}", w.client.base))
                .bearer_auth(ADMIN)
                .send()
                .await
                .unwrap();
            assert_eq!(r.status().as_u16(), 202);
        }
        let pool = sqlx_pool(&db).await;
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let rows = sqlx::query_as::<_, (i64, String, Option<String>)>(
                "SELECT sync_id, state, error FROM catalog_syncs WHERE shop = $1 ORDER BY sync_id",
            )
            .bind(SHOP)
            .fetch_all(&pool)
            .await
            .unwrap();
            if rows.len() == 2 && rows.iter().all(|r| r.1 != "waiting" && r.1 != "running") {
                assert!(
                    rows.iter().all(|r| r.1 == "complete"),
                    "both syncs complete, none failed with OPERATION_IN_PROGRESS: {rows:?}"
                );
                break;
            }
            assert!(Instant::now() < deadline, "{rows:?}");
            tokio::time::sleep(Duration::from_millis(30)).await;
        }
        pool.close().await;
        assert_eq!(w.live_variants().await.len(), 90);
        w.stop(db).await;
    }
}

async fn sqlx_pool(db: &Db) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::AnyPool::connect(&db.url()).await.unwrap()
}

#[tokio::test]
async fn webhooks_out_of_order_twice_or_broken_never_lose_or_undo_a_newer_change() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, spec()).await;
        assert_eq!(w.sync().await["latest"]["state"], "complete");
        let mut product = w.spec.product(4);
        let variant = product.variants[0].id.to_string();
        let t = now();

        // The newer update arrives first, the older one after it.
        product.variants[0].price_minor = 7700;
        let newer = payloads::product(&product, "USD", &time_text(t + 20));
        product.variants[0].price_minor = 100;
        let older = payloads::product(&product, "USD", &time_text(t + 10));
        assert_eq!(w.deliver("products/update", "p-newer", &newer).await, 200);
        assert_eq!(w.deliver("products/update", "p-older", &older).await, 200);
        assert_eq!(w.live_variants().await[&variant]["price"], "77.00");

        // A redelivery of a level is recognised by its id and changes nothing.
        let item = product.variants[0].inventory_item_id;
        let five = payloads::inventory_level(item, 7001, 5, &time_text(t + 30));
        let nine = payloads::inventory_level(item, 7001, 9, &time_text(t + 40));
        assert_eq!(
            w.deliver("inventory_levels/update", "lvl-1", &five).await,
            200
        );
        let version = w
            .server
            .state
            .store
            .shop(SHOP)
            .await
            .unwrap()
            .unwrap()
            .data_version;
        assert_eq!(
            w.deliver("inventory_levels/update", "lvl-1", &nine).await,
            200
        );
        assert_eq!(
            w.live_variants().await[&variant]["inventory"]["available"],
            5
        );
        assert_eq!(
            w.server
                .state
                .store
                .shop(SHOP)
                .await
                .unwrap()
                .unwrap()
                .data_version,
            version
        );
        // Levels are kept per location and summed.
        let other_location = payloads::inventory_level(item, 7002, 4, &time_text(t + 41));
        assert_eq!(
            w.deliver("inventory_levels/update", "lvl-2", &other_location)
                .await,
            200
        );
        assert_eq!(
            w.live_variants().await[&variant]["inventory"]["available"],
            9
        );

        // A delivery that cannot be applied is not recorded: its retry, fixed, is applied.
        let mut broken = payloads::product(&product, "USD", &time_text(t + 50));
        broken["variants"][0]["price"] = json!("12.3.4");
        assert_eq!(w.deliver("products/update", "p-retry", &broken).await, 400);
        product.variants[0].price_minor = 1234;
        let fixed = payloads::product(&product, "USD", &time_text(t + 50));
        assert_eq!(w.deliver("products/update", "p-retry", &fixed).await, 200);
        assert_eq!(w.live_variants().await[&variant]["price"], "12.34");
        // The update kept what the payload does not carry: the stock from the levels.
        assert_eq!(
            w.live_variants().await[&variant]["inventory"]["available"],
            9
        );

        // A deleted product stays deleted against an update older than the deletion.
        let delete = json!({"id": product.id});
        assert_eq!(w.deliver("products/delete", "p-delete", &delete).await, 200);
        let stale = payloads::product(&product, "USD", &time_text(t - 3600));
        assert_eq!(w.deliver("products/update", "p-stale", &stale).await, 200);
        assert!(!w.live_variants().await.contains_key(&variant));

        // shop/redact deletes what the sync and the webhooks kept, too.
        let redact = json!({"shop_id": 1, "shop_domain": SHOP});
        assert_eq!(w.deliver("shop/redact", "redact-1", &redact).await, 200);
        let pool = sqlx_pool(&db).await;
        for table in [
            "catalog_syncs",
            "inventory_levels",
            "catalog_removed_products",
            "catalog_products",
        ] {
            let left: i64 =
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table} WHERE shop = $1"))
                    .bind(SHOP)
                    .fetch_one(&pool)
                    .await
                    .unwrap();
            assert_eq!(left, 0, "{table} kept rows of a redacted shop");
        }
        pool.close().await;
        w.stop(db).await;
    }
}

#[tokio::test]
async fn a_malformed_jsonl_line_is_skipped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let w = world(&db, spec()).await;
    w.sim.fault_next_bulk(
        SHOP,
        BulkFaults {
            malformed_after: Some(3),
            ..BulkFaults::default()
        },
    );
    let status = w.sync().await;
    let latest = &status["latest"];
    assert_eq!(latest["state"], "complete", "{status}");
    assert_eq!(latest["malformed"], 1);
    assert_eq!(latest["variants"], 90);
    let first = &latest["malformedLines"][0];
    assert!(first["line"].as_u64().unwrap() > 3, "{status}");
    assert!(first["reason"].as_str().is_some_and(|r| !r.is_empty()));
    w.stop(db).await;
}

#[tokio::test]
async fn a_re_sync_drops_what_the_merchant_deleted_and_leaves_unchanged_rows_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let w = world(&db, spec()).await;
        let status = w.sync().await;
        assert_eq!(status["latest"]["state"], "complete", "{status}");
        let before = w.live_variants().await;
        assert_eq!(before.len(), 90);

        // In Shopify, without a webhook: the last product deleted, the others untouched.
        let fewer = StoreSpec {
            products: 29,
            ..spec()
        };
        w.sim.replace_store(SHOP, fewer.clone());
        let status = w.sync().await;
        assert_eq!(status["latest"]["state"], "complete", "{status}");
        let after = w.live_variants().await;
        assert_eq!(after.len(), 87);
        for variant in spec().product(29).variants {
            assert!(
                !after.contains_key(&variant.id.to_string()),
                "a deleted product's variant stayed"
            );
        }
        for (id, variant) in &after {
            assert_eq!(
                &before[id], variant,
                "variant {id} changed without a change in Shopify"
            );
        }
        let pool = sqlx_pool(&db).await;
        let products: Vec<(String,)> =
            sqlx::query_as("SELECT product_id FROM catalog_products WHERE shop = $1")
                .bind(SHOP)
                .fetch_all(&pool)
                .await
                .unwrap();
        assert_eq!(products.len(), 29, "{products:?}");
        pool.close().await;

        // Then every product loses a variant (the generator renumbers variants, so most of
        // those left now belong to another product than before).
        let edited = StoreSpec {
            variants_per_product: 2,
            ..fewer
        };
        w.sim.replace_store(SHOP, edited.clone());
        let status = w.sync().await;
        assert_eq!(status["latest"]["state"], "complete", "{status}");
        let after = w.live_variants().await;
        let expected: std::collections::HashMap<String, String> = (0..29)
            .map(|i| edited.product(i))
            .flat_map(|p| {
                p.variants
                    .into_iter()
                    .map(move |v| (v.id.to_string(), p.title.clone()))
            })
            .collect();
        assert_eq!(after.len(), expected.len());
        for (id, title) in &expected {
            assert_eq!(
                &after[id]["product"]["title"], title,
                "variant {id} is under its product"
            );
        }
        w.stop(db).await;
    }
}
