//! Benchmark: a full catalog sync of a generated store through the simulated Shopify's bulk
//! operation into the store (SQLite by default, `ENCORE_DATABASE_URL=postgres://…` for
//! PostgreSQL), reporting variants per second and peak memory.
//!
//!     cargo run --release -p encore-server --example catalog_sync -- [VARIANTS] [PER_PRODUCT]
//!
//! Peak memory is VmHWM from /proc/self/status (the process's resident high-water mark, the
//! simulator included: it runs in this process); run it at two sizes to see it stay flat.

use std::sync::Arc;
use std::time::{Duration, Instant};

use encore_app::catalog_sync::access::StaticAccess;
use encore_app::catalog_sync::run::full_sync;
use encore_app::catalog_sync::{SyncOptions, Syncer};
use encore_shopify::admin::AdminConfig;
use encore_shopify::host::ShopifyHost;
use encore_shopify::oauth::{AppCredentials, TokenClient};
use encore_shopify::{Secret, ShopDomain};
use encore_store::Store;
use shopify_sim::{Sim, SimConfig, StoreSpec};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SHOP: &str = "bench-shop.myshopify.com";

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let variants: u64 = args
        .next()
        .map_or(100_000, |a| a.parse().expect("VARIANTS"));
    let per_product: u64 = args.next().map_or(4, |a| a.parse().expect("PER_PRODUCT"));
    let dir = tempfile::tempdir().unwrap();
    let url = std::env::var("ENCORE_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.path().join("bench.sqlite").display()));
    let store = Store::connect(&url).await.expect("the database");
    store.upsert_shop(SHOP, "USD", 0).await.unwrap();

    let config = SimConfig {
        bulk_duration: Duration::from_millis(50),
        ..SimConfig::default()
    };
    let sim = Sim::start(config.clone()).await.unwrap();
    let spec = StoreSpec {
        seed: 42,
        products: variants / per_product,
        variants_per_product: per_product,
        currency: "USD".into(),
    };
    sim.add_shop(SHOP, spec);
    let host = ShopifyHost::custom(&sim.host_template()).unwrap();
    let shop = ShopDomain::parse(SHOP).unwrap();
    let token = TokenClient::new(
        reqwest::Client::new(),
        host.clone(),
        AppCredentials {
            client_id: config.client_id.clone(),
            client_secret: Secret::new(config.client_secret.clone()),
        },
        Duration::from_secs(5),
    )
    .exchange_session_token(&shop, &sim.session_token(SHOP, 1, encore_app::clock::now()))
    .await
    .unwrap()
    .access_token;
    let syncer = Syncer::new(Arc::new(StaticAccess::new(
        reqwest::Client::new(),
        AdminConfig {
            host,
            ..AdminConfig::default()
        },
        token,
    )));
    syncer.set_options(SyncOptions {
        poll_every: Duration::from_millis(20),
        ..SyncOptions::default()
    });
    // The first sync fills an empty catalog; the second replaces it, as every later sync does.
    for run in ["first sync", "re-sync"] {
        let before = peak_rss_kib();
        let started = Instant::now();
        let report = full_sync(&store, &syncer, &shop, &|_| {})
            .await
            .expect("the sync");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "{run} on {:?}: {} products, {} variants in {:.2} s = {:.0} variants/s; peak RSS {:.1} MiB before, {:.1} MiB after",
            store.backend(),
            report.products,
            report.variants,
            seconds,
            report.variants as f64 / seconds,
            before as f64 / 1024.0,
            peak_rss_kib() as f64 / 1024.0,
        );
    }
    store.close().await;
}
