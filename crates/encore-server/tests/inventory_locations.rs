//! Stock at locations that have not reported, over real HTTP against the simulated Shopify on
//! SQLite and PostgreSQL: the first level a location reports for an item brings the item's other
//! locations with it (read once from the Admin API), so a variant's stock counts them.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use shopify_sim::inventory::HOME_LOCATION;
use shopify_sim::store::Product;
use shopify_sim::{payloads, Sim, SimConfig, StoreSpec};

const WAREHOUSE: u64 = 7002;

fn spec() -> StoreSpec {
    StoreSpec {
        seed: 9,
        products: 20,
        variants_per_product: 2,
        currency: "USD".into(),
    }
}

fn stocked(spec: &StoreSpec) -> Product {
    (0..spec.products)
        .map(|i| spec.product(i))
        .find(|p| p.variants.iter().all(|v| v.tracked && v.quantity > 0))
        .expect("a tracked, stocked product")
}

async fn available(server: &encore_server::Running, variant: u64) -> Value {
    let live = encore_app::facts_cache::load_uncached(&server.state.store, SHOP)
        .await
        .unwrap();
    let id = variant.to_string();
    let available =
        live.variants().find(|v| v["id"] == id.as_str()).unwrap()["inventory"]["available"].clone();
    available
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_location_that_never_reported_still_counts_when_another_reports_first() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = Sim::start(SimConfig {
            client_id: API_KEY.into(),
            client_secret: SECRET.into(),
            bulk_duration: Duration::from_millis(100),
            ..SimConfig::default()
        })
        .await
        .unwrap();
        sim.add_shop(SHOP, spec());
        let product = stocked(&spec());
        let variant = &product.variants[0];
        // The item is also stocked at a warehouse that will not send a webhook.
        sim.put_inventory_level(
            SHOP,
            variant.inventory_item_id,
            WAREHOUSE,
            7,
            "2026-11-30T09:30:00Z",
        );
        let mut settings = settings(&db);
        settings.shopify_host =
            encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
        settings.app.retention.every = None;
        let server = encore_server::start(settings, ScriptedRunner::new())
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
        assert_eq!(r.status().as_u16(), 200);
        // A full sync with the stored credentials (the server's own access).
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
                Some("complete") => break,
                Some("failed") => panic!("the sync failed: {status}"),
                _ => assert!(Instant::now() < deadline, "{status}"),
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        // The home location reports 3: the warehouse's 7 still count.
        let url = format!("{}/webhooks/shopify", client.base);
        let deliver = |id: &'static str, location: u64, available: i64| {
            let body = payloads::inventory_level(
                variant.inventory_item_id,
                location,
                available,
                &encore_app::clock::rfc3339(now() + 5),
            );
            let (sim, url) = (sim.clone(), url.clone());
            async move {
                sim.deliver_webhook(
                    &url,
                    SHOP,
                    "inventory_levels/update",
                    id,
                    body.to_string().as_bytes(),
                )
                .await
                .unwrap()
                .as_u16()
            }
        };
        let reads = sim.admin_requests(SHOP);
        assert_eq!(deliver("home-1", HOME_LOCATION, 3).await, 200);
        assert_eq!(available(&server, variant.id).await, json!(10));
        assert_eq!(
            sim.admin_requests(SHOP),
            reads + 1,
            "one read of the item's levels"
        );

        // Later reports are summed with what is stored, without asking Shopify again.
        assert_eq!(deliver("warehouse-1", WAREHOUSE, 0).await, 200);
        assert_eq!(available(&server, variant.id).await, json!(3));
        assert_eq!(sim.admin_requests(SHOP), reads + 1);
        server.stop().await;
        db.dispose().await;
    }
}
