//! Load benchmark of `POST /api/post-purchase/offer` on loopback with SQLite and the real offer
//! Function, on purchases like tests/fixtures/bench-typical.json (3 lines, 20 campaigns, 50
//! candidates). Every request is a new purchase (token verification, Function run, decision
//! insert, signing), then a pass of retries (stored decision, fresh signature).
//!
//!   cargo run --release -p encore-server --example load -- [REQUESTS] [CONCURRENCY] [SECONDS] [MINING_ORDERS] [MINING_PRODUCTS]
//!
//! With MINING_ORDERS, a third measurement follows: new purchases while an import of a
//! generated history of that many orders over MINING_PRODUCTS products (default 50,000) runs
//! (the simulated Shopify in the same process serves the orders bulk operation; passes of
//! REQUESTS new purchases are repeated until the import ends), then the import's own time.
//!
//! Defaults: 5000 requests, 16 in flight, at most 30 s; a fresh SQLite file unless
//! ENCORE_DATABASE_URL names another database (PostgreSQL, say). Needs scripts/build-wasm.sh's
//! artifacts. The load client runs in the same process, on the same cores, as the server: the
//! CPU per request it prints is the server's, the Function's and the client's together (a
//! PostgreSQL server's is not in it).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use encore_app::host_runner::HostRunner;
use encore_server::settings::Settings;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

/// mimalloc: the request path allocates many small JSON values; glibc's malloc spent a fifth
/// of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const SECRET: &str = "bench-secret";
const SHOP: &str = "bench.myshopify.com";

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let total: usize = args.first().and_then(|a| a.parse().ok()).unwrap_or(5000);
    let concurrency: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(16);
    let max_time = Duration::from_secs(args.get(2).and_then(|a| a.parse().ok()).unwrap_or(30));
    let mining_orders: u64 = args.get(3).and_then(|a| a.parse().ok()).unwrap_or(0);
    let mining_products: u32 = args.get(4).and_then(|a| a.parse().ok()).unwrap_or(50_000);

    // The server's logging as `encore-server` runs it (default filter, JSON lines), formatted
    // per request like in production and written to a sink instead of the terminal.
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(
            "info,sqlx=warn,tower_http=info",
        ))
        .with_target(false)
        .json()
        .with_writer(std::io::sink)
        .init();
    let fixture_path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../tests/fixtures/readable/bench-typical.json"
    );
    let fixture: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture_path).expect("bench-typical.json"))
            .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let vars: HashMap<String, String> = [
        ("SHOPIFY_API_KEY", "bench-key"),
        ("SHOPIFY_API_SECRET", SECRET),
        ("ENCORE_LISTEN", "127.0.0.1:0"),
        // A benchmark-only key (base64 of 32 zero bytes): no shop credentials are stored here.
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
        HostRunner::load(
            &settings.function_wasm.clone(),
            settings.provider_wasm.as_deref(),
        )
        .unwrap_or_else(|e| panic!("{e}")),
    );
    {
        use encore_app::runner::OfferRunner;
        let input = encore_app::input::FunctionInput::from_json(&fixture).unwrap();
        let t0 = Instant::now();
        let n = 300;
        for _ in 0..n {
            std::hint::black_box(runner.run(&input));
        }
        let per = t0.elapsed().as_secs_f64() / n as f64;
        println!(
            "offer Function alone (bench-typical, one thread): {:.0} runs/s, {:.2} ms per run",
            1.0 / per,
            per * 1000.0
        );
    }
    let server = encore_server::start(settings, runner).await.unwrap();
    setup(&server.state.store, &fixture).await;
    let base = format!("http://{}/api/post-purchase/offer", server.addr);

    // Purchases new to the database even when ENCORE_DATABASE_URL is one kept between runs.
    let run_id = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let tokens: Vec<String> = (0..total)
        .map(|i| token(&fixture, &format!("bench-{run_id}-{i}")))
        .collect();
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()
        .unwrap();
    // Warm up (first compile of caches, connections).
    for t in tokens.iter().take(20) {
        let r = http
            .post(&base)
            .bearer_auth(t)
            .body("{}")
            .send()
            .await
            .unwrap();
        assert!(r.status().is_success());
    }
    for (label, tokens) in [
        ("new purchases", &tokens[20..]),
        ("retries (stored decisions)", &tokens[20..]),
    ] {
        let cpu_before = process_cpu_seconds();
        let (lat, elapsed, offers, errors) = run(&http, &base, tokens, concurrency, max_time).await;
        let cpu = process_cpu_seconds() - cpu_before;
        report(label, &lat, elapsed, offers, errors);
        println!(
            "  CPU (server, Function and load client together): {:.2} ms per request",
            cpu * 1000.0 / lat.len().max(1) as f64
        );
    }
    if mining_orders > 0 {
        while_mining(
            &server,
            &http,
            &base,
            &fixture,
            (mining_orders, mining_products),
            (total, concurrency, max_time),
        )
        .await;
    }
    server.stop().await;
}

/// New purchases while an import of `orders` generated orders runs, pass after pass until it
/// ends; then the import's own figures.
async fn while_mining(
    server: &encore_server::Running,
    http: &reqwest::Client,
    base: &str,
    fixture: &Value,
    (orders, products): (u64, u32),
    (total, concurrency, max_time): (usize, usize, Duration),
) {
    use encore_app::catalog_sync::access::StaticAccess;
    use encore_shopify::{Secret, ShopDomain};

    let sim = shopify_sim::Sim::start(shopify_sim::SimConfig {
        client_id: "bench-key".into(),
        client_secret: SECRET.into(),
        bulk_duration: Duration::from_millis(200),
        ..shopify_sim::SimConfig::default()
    })
    .await
    .unwrap();
    let now = encore_app::clock::now();
    sim.add_shop(SHOP, shopify_sim::StoreSpec::default());
    sim.set_order_history(
        SHOP,
        encore_mining::generate::HistorySpec {
            last_day: encore_mining::Day((now / 86_400) as u32),
            ..encore_mining::generate::HistorySpec::new(1, orders, products)
        },
    );
    let shop = ShopDomain::parse(SHOP).unwrap();
    let host = encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
    let access_token = encore_shopify::oauth::TokenClient::new(
        reqwest::Client::new(),
        host.clone(),
        encore_shopify::oauth::AppCredentials {
            client_id: "bench-key".into(),
            client_secret: Secret::new(SECRET),
        },
        Duration::from_secs(10),
    )
    .exchange_session_token(&shop, &sim.session_token(SHOP, 1, now))
    .await
    .unwrap()
    .access_token;
    let state = server.state.clone();
    state.mining.set_access(Arc::new(StaticAccess::new(
        reqwest::Client::new(),
        encore_shopify::admin::AdminConfig {
            host,
            ..Default::default()
        },
        access_token,
    )));
    state.mining.set_options(encore_app::mining::MiningOptions {
        poll_every: Duration::from_millis(100),
        ..Default::default()
    });
    let import = tokio::spawn(async move {
        encore_app::mining::import::import(&state.store, &state.mining, &state.sync, &shop, &|_| {})
            .await
    });
    let cpu_before = process_cpu_seconds();
    let started = Instant::now();
    let (mut lat, mut offers, mut errors, mut pass) = (Vec::new(), 0, 0, 0);
    while !import.is_finished() {
        pass += 1;
        let tokens: Vec<String> = (0..total)
            .map(|i| token(fixture, &format!("mining-{now}-{pass}-{i}")))
            .collect();
        let pass_at = started.elapsed();
        let (l, _, o, e) = run(http, base, &tokens, concurrency, max_time).await;
        let slowest = l.iter().max().copied().unwrap_or_default();
        if slowest > Duration::from_millis(250) {
            println!(
                "  pass {pass} (from {:.1} s): slowest {:.0} ms",
                pass_at.as_secs_f64(),
                slowest.as_secs_f64() * 1000.0
            );
        }
        lat.extend(l);
        offers += o;
        errors += e;
    }
    let elapsed = started.elapsed();
    let cpu = process_cpu_seconds() - cpu_before;
    report(
        &format!("new purchases while mining {orders} orders over {products} products"),
        &lat,
        elapsed,
        offers,
        errors,
    );
    println!(
        "  CPU (server, Function, load client, simulated Shopify and mining together): {:.2} ms per request",
        cpu * 1000.0 / lat.len().max(1) as f64
    );
    match import.await.unwrap() {
        Ok(r) => println!(
            "import: {} orders read in {:.2} s ({:.0} orders/s) under load, {} counted, {} distinct pairs, {} suggestions published (version {})",
            r.counts.position,
            r.elapsed.as_secs_f64(),
            r.counts.position as f64 / r.elapsed.as_secs_f64(),
            r.counts.counted,
            r.distinct_pairs,
            r.publication.suggestions,
            r.publication.version
        ),
        Err(e) => println!("import failed: {e}"),
    }
    // The control: the same load with no mining, and one data_version bump (what a
    // publication does) a second in, so every offer in flight reloads the shop's facts.
    let store = server.state.store.clone();
    let bump = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_secs(1)).await;
        store.upsert_co_purchases(SHOP, &[]).await
    });
    let tokens: Vec<String> = (0..total)
        .map(|i| token(fixture, &format!("reload-{now}-{i}")))
        .collect();
    let (l, elapsed, o, e) = run(http, base, &tokens, concurrency, max_time).await;
    bump.await.unwrap().unwrap();
    report(
        "new purchases after the import, facts reloaded once (no mining)",
        &l,
        elapsed,
        o,
        e,
    );
}

async fn run(
    http: &reqwest::Client,
    base: &str,
    tokens: &[String],
    concurrency: usize,
    max_time: Duration,
) -> (Vec<Duration>, Duration, usize, usize) {
    let next = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let tokens = Arc::new(tokens.to_vec());
    let start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let (http, base, next, tokens) =
            (http.clone(), base.to_string(), next.clone(), tokens.clone());
        tasks.push(tokio::spawn(async move {
            let mut lat = Vec::new();
            let (mut offers, mut errors) = (0, 0);
            loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= tokens.len() || start.elapsed() > max_time {
                    break;
                }
                let t0 = Instant::now();
                let r = http
                    .post(&base)
                    .bearer_auth(&tokens[i])
                    .body("{}")
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        let b: Value = r.json().await.unwrap_or(Value::Null);
                        lat.push(t0.elapsed());
                        if b["render"] == true {
                            offers += 1;
                        }
                    }
                    _ => errors += 1,
                }
            }
            (lat, offers, errors)
        }));
    }
    let mut all = Vec::new();
    let (mut offers, mut errors) = (0, 0);
    for t in tasks {
        let (l, o, e) = t.await.unwrap();
        all.extend(l);
        offers += o;
        errors += e;
    }
    (all, start.elapsed(), offers, errors)
}

/// User + system CPU time of this process so far (Linux /proc; 0 elsewhere), in seconds.
fn process_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which may contain spaces) start at ") ".
    let fields: Vec<&str> = stat
        .rsplit_once(") ")
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|f| f.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    // utime and stime are fields 14 and 15 of stat, indexes 11 and 12 after the name (which
    // ends field 2); USER_HZ is 100 on Linux.
    (ticks(11) + ticks(12)) / 100.0
}

fn report(label: &str, lat: &[Duration], elapsed: Duration, offers: usize, errors: usize) {
    let mut v: Vec<f64> = lat.iter().map(|d| d.as_secs_f64() * 1000.0).collect();
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let pct = |p: f64| {
        v.get(((v.len() as f64 * p).ceil() as usize).saturating_sub(1))
            .copied()
            .unwrap_or(0.0)
    };
    println!(
        "{label}: {} requests in {:.2} s = {:.0} req/s; p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {offers} with an offer, {errors} errors",
        v.len(),
        elapsed.as_secs_f64(),
        v.len() as f64 / elapsed.as_secs_f64(),
        pct(0.50),
        pct(0.90),
        pct(0.99),
        v.last().copied().unwrap_or(0.0)
    );
}

fn token(fixture: &Value, reference: &str) -> String {
    let p = &fixture["purchase"];
    let money = |a: &Value| json!({"shopMoney": {"amount": a, "currencyCode": "USD"}, "presentmentMoney": {"amount": a, "currencyCode": "USD"}});
    let lines: Vec<Value> = p["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            json!({"product": {"id": l["product"]["id"], "title": "P", "variant": {"id": l["product"]["variant"]["id"], "title": "V"}},
                   "quantity": l["quantity"], "totalPriceSet": money(&l["totalPriceSet"]["shopMoney"]["amount"])})
        })
        .collect();
    let t = encore_app::clock::now();
    let claims = json!({"iss": "shopify", "sub": reference, "iat": t, "exp": t + 3600, "input_data": {
        "initialPurchase": {"referenceId": reference, "customerId": p["customerId"], "destinationCountryCode": p["destinationCountryCode"],
                            "totalPriceSet": money(&p["totalPriceSet"]["shopMoney"]["amount"]), "lineItems": lines},
        "locale": fixture["locale"], "shop": {"domain": SHOP}}});
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap()
}

async fn setup(store: &encore_store::Store, f: &Value) {
    let now = encore_app::clock::now();
    store.upsert_shop(SHOP, "USD", now).await.unwrap();
    store
        .put_config(SHOP, &f["shop"]["metafield"]["jsonValue"], now)
        .await
        .unwrap();
    // Products: the purchased ones (facts only) and the catalog's, grouped with their variants.
    let mut products: BTreeMap<String, (Value, Vec<Value>)> = BTreeMap::new();
    for l in f["purchase"]["lines"].as_array().unwrap() {
        let p = &l["product"];
        products.entry(p["id"].as_str().unwrap().into()).or_insert((
            json!({"id": p["id"], "title": "Purchased", "tags": p["tags"], "productType": p["productType"],
                   "vendor": p["vendor"], "collectionIds": p["collectionIds"]}),
            vec![],
        ));
    }
    for v in f["catalog"].as_array().unwrap() {
        let p = &v["product"];
        let entry = products
            .entry(p["id"].as_str().unwrap().into())
            .or_insert((p.clone(), vec![]));
        let mut variant = v.clone();
        variant.as_object_mut().unwrap().remove("product");
        entry.1.push(variant);
    }
    let doc = json!({"products": products.into_values().map(|(mut p, vs)| { p["variants"] = json!(vs); p }).collect::<Vec<_>>()});
    let parsed = encore_app::loads::parse_catalog(&doc).unwrap();
    store.upsert_catalog(SHOP, &parsed).await.unwrap();
    let c = &f["customer"];
    store
        .upsert_customers(SHOP, &[(c["id"].as_str().unwrap().into(), c.clone())])
        .await
        .unwrap();
    let pairs: Vec<(String, String, i64)> = f["coPurchases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["productId"].as_str().unwrap().into(),
                p["suggestedProductId"].as_str().unwrap().into(),
                p["liftPermille"].as_i64().unwrap(),
            )
        })
        .collect();
    store.upsert_co_purchases(SHOP, &pairs).await.unwrap();
    let stats: Vec<(String, String, i64, i64, i64)> = f["offerStats"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["campaignId"].as_str().unwrap().into(),
                s["stepId"].as_str().unwrap().into(),
                s["accepts"].as_i64().unwrap(),
                s["acceptedUnits"].as_i64().unwrap(),
                s["refundedUnits"].as_i64().unwrap(),
            )
        })
        .collect();
    store.upsert_offer_stats(SHOP, &stats).await.unwrap();
}
