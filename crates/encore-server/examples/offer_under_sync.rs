//! Benchmark: the latency of `POST /api/post-purchase/offer` while the catalog changes under it —
//! a full catalog sync from the simulated Shopify's bulk operation running again and again, and
//! a stream of signed `inventory_levels/update` webhooks over HTTP — against the same offers on
//! a quiet catalog. The real offer Function, SQLite by default (`ENCORE_DATABASE_URL=postgres://…`
//! for PostgreSQL).
//!
//!     cargo run --release -p encore-server --example offer_under_sync -- [VARIANTS] [SECONDS] [WEBHOOKS_PER_S] [CONCURRENCY]
//!
//! Defaults: 20,000 variants (4 per product), 10 s per phase, 20 webhooks/s, 8 offers in flight.
//! Needs scripts/build-wasm.sh's artifacts (or ENCORE_FUNCTION_WASM / ENCORE_PROVIDER_WASM). The
//! simulator, the load client and the webhook sender run in this process on the same cores as
//! the server. It also prints what one full facts load costs at this size: the price every
//! stock webhook used to make every instance pay on its next offer.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use encore_app::catalog_sync::access::StaticAccess;
use encore_app::catalog_sync::run::full_sync;
use encore_app::catalog_sync::SyncOptions;
use encore_app::host_runner::HostRunner;
use encore_server::settings::Settings;
use encore_shopify::admin::AdminConfig;
use encore_shopify::host::ShopifyHost;
use encore_shopify::oauth::{AppCredentials, TokenClient};
use encore_shopify::{Secret, ShopDomain};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use shopify_sim::store::Product;
use shopify_sim::{payloads, Sim, SimConfig, StoreSpec};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SHOP: &str = "bench-shop.myshopify.com";
const KEY: &str = "bench-key";
const SECRET: &str = "bench-secret";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let mut arg = |default: u64| {
        args.next()
            .map_or(default, |a| a.parse().expect("a number"))
    };
    let variants = arg(20_000);
    let seconds = arg(10);
    let webhooks_per_second = arg(20);
    let concurrency = arg(8) as usize;
    let phase = Duration::from_secs(seconds);

    // Errors only (a webhook the server could not apply says why), on stderr.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("error"))
        .with_writer(std::io::stderr)
        .init();

    let sim_config = SimConfig {
        client_id: KEY.into(),
        client_secret: SECRET.into(),
        bulk_duration: Duration::from_millis(100),
        ..SimConfig::default()
    };
    let sim = Sim::start(sim_config).await.unwrap();
    let spec = StoreSpec {
        seed: 42,
        products: variants / 4,
        variants_per_product: 4,
        currency: "USD".into(),
    };
    sim.add_shop(SHOP, spec.clone());

    let dir = tempfile::tempdir().unwrap();
    let vars: HashMap<String, String> = [
        ("SHOPIFY_API_KEY", KEY),
        ("SHOPIFY_API_SECRET", SECRET),
        ("ENCORE_LISTEN", "127.0.0.1:0"),
        // A benchmark-only key (base64 of 32 zero bytes): no shop credentials are stored.
        (
            "ENCORE_ENCRYPTION_KEY",
            "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        ),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([(
        "ENCORE_DATABASE_URL".into(),
        format!("sqlite://{}", dir.path().join("bench.sqlite").display()),
    )])
    .chain(std::env::vars().filter(|(k, _)| {
        k == "ENCORE_FUNCTION_WASM" || k == "ENCORE_PROVIDER_WASM" || k == "ENCORE_DATABASE_URL"
    }))
    .collect();
    let settings = Settings::from_vars(&vars, false).unwrap();
    let runner = Arc::new(
        HostRunner::load(&settings.function_wasm, settings.provider_wasm.as_deref())
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let server = encore_server::start(settings, runner).await.unwrap();
    let state = server.state.clone();
    let store = state.store.clone();
    store
        .upsert_shop(SHOP, "USD", encore_app::clock::now())
        .await
        .unwrap();

    let shop = ShopDomain::parse(SHOP).unwrap();
    let host = ShopifyHost::custom(&sim.host_template()).unwrap();
    let token = TokenClient::new(
        reqwest::Client::new(),
        host.clone(),
        AppCredentials {
            client_id: KEY.into(),
            client_secret: Secret::new(SECRET),
        },
        Duration::from_secs(5),
    )
    .exchange_session_token(&shop, &sim.session_token(SHOP, 1, encore_app::clock::now()))
    .await
    .unwrap()
    .access_token;
    state.sync.set_access(Arc::new(StaticAccess::new(
        reqwest::Client::new(),
        AdminConfig {
            host,
            ..AdminConfig::default()
        },
        token,
    )));
    state.sync.set_options(SyncOptions {
        poll_every: Duration::from_millis(20),
        ..SyncOptions::default()
    });
    let started = Instant::now();
    let report = full_sync(&store, &state.sync, &shop, &|_| {})
        .await
        .expect("the first sync");
    println!(
        "{:?}, {} variants synced in {:.2} s",
        store.backend(),
        report.variants,
        started.elapsed().as_secs_f64()
    );

    // Campaigns as a shop has them: the bought product triggers an offer of stocked variants.
    let bought = spec.product(0);
    let stocked: Vec<String> = (1..spec.products)
        .map(|i| spec.product(i))
        .flat_map(|p| p.variants)
        .filter(|v| v.tracked && v.deny_when_out_of_stock && v.quantity > 0)
        .take(20)
        .map(|v| v.id.to_string())
        .collect();
    let campaigns: Vec<Value> = stocked
        .chunks(4)
        .enumerate()
        .map(|(i, offer)| {
            json!({"id": format!("c{i}"), "status": "active", "priority": i,
                   "triggers": {"products": [bought.id.to_string()]},
                   "steps": [{"id": "upsell", "offer": {"products": offer, "discount": {"percent": 10}}}]})
        })
        .collect();
    store
        .put_config(
            SHOP,
            &json!({"version": 1, "campaigns": campaigns}),
            encore_app::clock::now(),
        )
        .await
        .unwrap();

    let mut full_load = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let facts = encore_app::facts_cache::load_uncached(&store, SHOP)
            .await
            .unwrap();
        full_load.push(t.elapsed().as_secs_f64() * 1000.0);
        std::hint::black_box(facts);
    }
    println!(
        "one full facts load of {} variants: {:.1} ms (best of 3)",
        report.variants,
        full_load.iter().copied().fold(f64::MAX, f64::min)
    );

    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency * 2)
        .build()
        .unwrap();
    let run_id = encore_app::clock::now();
    // Warm up: caches, connections, the Function's first runs.
    offers(
        &http,
        &base,
        &bought,
        &format!("warm-{run_id}"),
        4,
        Duration::from_secs(1),
    )
    .await;

    let counts = state.facts.counts();
    let quiet = offers(
        &http,
        &base,
        &bought,
        &format!("quiet-{run_id}"),
        concurrency,
        phase,
    )
    .await;
    report_latency("offers, quiet catalog", &quiet, phase);
    let after_quiet = state.facts.counts();

    // Under change: syncs back to back and webhooks at a steady rate, for one phase.
    let stop = Arc::new(AtomicBool::new(false));
    let syncs = AtomicU64::new(0);
    let syncing = async {
        while !stop.load(Ordering::Relaxed) {
            full_sync(&store, &state.sync, &shop, &|_| {})
                .await
                .expect("a re-sync");
            syncs.fetch_add(1, Ordering::Relaxed);
        }
    };
    let refused = AtomicU64::new(0);
    let webhook_latency = async {
        let mut lat = Vec::new();
        let every = Duration::from_secs_f64(1.0 / webhooks_per_second.max(1) as f64);
        let mut tick = tokio::time::interval(every);
        let url = format!("{base}/webhooks/shopify");
        let mut n = 0u64;
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            n += 1;
            let product = spec.product(1 + n * 7919 % (spec.products - 1));
            let variant = &product.variants[(n % 4) as usize];
            let body = payloads::inventory_level(
                variant.inventory_item_id,
                7001,
                (n % 9) as i64,
                &encore_app::clock::rfc3339(encore_app::clock::now() + 5),
            );
            let t = Instant::now();
            let status = sim
                .deliver_webhook(
                    &url,
                    SHOP,
                    "inventory_levels/update",
                    &format!("bench-{run_id}-{n}"),
                    body.to_string().as_bytes(),
                )
                .await
                .unwrap();
            // Shopify retries a webhook that is not answered 2xx; count them.
            if !status.is_success() {
                refused.fetch_add(1, Ordering::Relaxed);
            }
            lat.push(t.elapsed());
        }
        lat
    };
    let load = async {
        let lat = offers(
            &http,
            &base,
            &bought,
            &format!("busy-{run_id}"),
            concurrency,
            phase,
        )
        .await;
        stop.store(true, Ordering::Relaxed);
        lat
    };
    let (busy, webhooks, ()) = tokio::join!(load, webhook_latency, syncing);
    report_latency("offers, syncing + webhooks", &busy, phase);
    report_latency("  inventory webhooks", &webhooks, phase);
    println!(
        "  {} webhooks answered with an error (Shopify would retry them)",
        refused.load(Ordering::Relaxed)
    );
    let end = state.facts.counts();
    println!(
        "  {} full syncs completed; facts cache: {} full loads, {} patches during the quiet phase; {} full loads, {} patches under change",
        syncs.load(Ordering::Relaxed),
        after_quiet.full_loads - counts.full_loads,
        after_quiet.patches - counts.patches,
        end.full_loads - after_quiet.full_loads,
        end.patches - after_quiet.patches,
    );
    server.stop().await;
}

/// Offers for new purchases of `bought` from `concurrency` clients for `phase`; latencies.
async fn offers(
    http: &reqwest::Client,
    base: &str,
    bought: &Product,
    prefix: &str,
    concurrency: usize,
    phase: Duration,
) -> Vec<Duration> {
    let url = format!("{base}/api/post-purchase/offer");
    let until = Instant::now() + phase;
    let clients = (0..concurrency).map(|c| {
        let (http, url) = (http.clone(), url.clone());
        async move {
            let mut lat = Vec::new();
            let mut i = 0;
            while Instant::now() < until {
                i += 1;
                let token = purchase_token(&format!("{prefix}-{c}-{i}"), bought);
                let t = Instant::now();
                let r = http
                    .post(&url)
                    .bearer_auth(token)
                    .body("{}")
                    .send()
                    .await
                    .unwrap();
                assert!(r.status().is_success(), "offer answered {}", r.status());
                let _ = r.bytes().await;
                lat.push(t.elapsed());
            }
            lat
        }
    });
    futures_util::future::join_all(clients)
        .await
        .into_iter()
        .flatten()
        .collect()
}

fn report_latency(label: &str, lat: &[Duration], phase: Duration) {
    let mut ms: Vec<f64> = lat.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    ms.sort_by(f64::total_cmp);
    let pct = |p: f64| {
        ms.get(((ms.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{label}: {} in {:.0} s ({:.0}/s); p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms.len(),
        phase.as_secs_f64(),
        ms.len() as f64 / phase.as_secs_f64(),
        pct(0.50),
        pct(0.99),
        ms.last().copied().unwrap_or(0.0),
    );
}

fn purchase_token(reference: &str, bought: &Product) -> String {
    let v = &bought.variants[0];
    let amount = format!("{}.{:02}", v.price_minor / 100, v.price_minor % 100);
    let money = json!({"shopMoney": {"amount": amount, "currencyCode": "USD"}, "presentmentMoney": {"amount": amount, "currencyCode": "USD"}});
    let t = encore_app::clock::now();
    let claims = json!({"iss": "shopify", "sub": reference, "iat": t, "exp": t + 3600, "input_data": {
        "initialPurchase": {"referenceId": reference, "customerId": 5001, "destinationCountryCode": "US",
            "totalPriceSet": money,
            "lineItems": [{"product": {"id": bought.id, "title": "P", "variant": {"id": v.id, "title": "V"}},
                           "quantity": 1, "totalPriceSet": money}]},
        "locale": "en", "shop": {"domain": SHOP}}});
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}
