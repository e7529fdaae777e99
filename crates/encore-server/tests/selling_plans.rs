//! Selling plans in a full sync over real HTTP against the simulated Shopify, on SQLite and
//! PostgreSQL: a second bulk operation reads each group's plans and what it applies to, and
//! every synced variant carries exactly the plans it can be bought with.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use encore_app::catalog_sync::access::StaticAccess;
use encore_app::catalog_sync::SyncOptions;
use encore_shopify::admin::AdminConfig;
use encore_shopify::host::ShopifyHost;
use encore_shopify::oauth::{AppCredentials, TokenClient};
use encore_shopify::{Secret, ShopDomain};
use serde_json::{json, Value};
use shopify_sim::{selling_plans, Sim, SimConfig, StoreSpec};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_synced_variant_carries_the_selling_plans_it_can_be_bought_with() {
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
        let spec = StoreSpec {
            seed: 3,
            products: 30,
            variants_per_product: 2,
            currency: "USD".into(),
        };
        sim.add_shop(SHOP, spec.clone());
        let server = start(&db, ScriptedRunner::new()).await;
        let client = Client::new(&server);
        let (s, b) = client
            .admin_put(
                &format!("/api/shops/{SHOP}"),
                json!({"currencyCode": "USD"}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
        let host = ShopifyHost::custom(&sim.host_template()).unwrap();
        let token = TokenClient::new(
            reqwest::Client::new(),
            host.clone(),
            AppCredentials {
                client_id: API_KEY.into(),
                client_secret: Secret::new(SECRET),
            },
            Duration::from_secs(5),
        )
        .exchange_session_token(
            &ShopDomain::parse(SHOP).unwrap(),
            &sim.session_token(SHOP, 1, now()),
        )
        .await
        .unwrap()
        .access_token;
        server.state.sync.set_access(Arc::new(StaticAccess::new(
            reqwest::Client::new(),
            AdminConfig {
                host,
                ..AdminConfig::default()
            },
            token,
        )));
        server.state.sync.set_options(SyncOptions {
            poll_every: Duration::from_millis(30),
            busy_retry: Duration::from_millis(30),
            ..SyncOptions::default()
        });
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
            tokio::time::sleep(Duration::from_millis(20)).await;
        }

        let live = encore_app::facts_cache::load_uncached(&server.state.store, SHOP)
            .await
            .unwrap();
        let (mut with_plans, mut variant_only) = (0, 0);
        for index in 0..spec.products {
            let product = spec.product(index);
            for (position, variant) in product.variants.iter().enumerate() {
                let want: Vec<Value> = selling_plans::plans_of(&spec, index, position)
                    .into_iter()
                    .map(|id| json!({"id": id.to_string()}))
                    .collect();
                let id = variant.id.to_string();
                let got = live
                    .variants()
                    .find(|v| v["id"] == id.as_str())
                    .unwrap_or_else(|| panic!("variant {} is live", variant.id));
                assert_eq!(got["sellingPlans"], json!(want), "variant {}", variant.id);
                with_plans += usize::from(!want.is_empty());
                variant_only += usize::from(index % 10 == 7 && position == 0);
            }
        }
        // The store has both kinds: whole products in a group, and single variants.
        assert!(with_plans > variant_only && variant_only > 0);
        server.stop().await;
        db.dispose().await;
    }
}
