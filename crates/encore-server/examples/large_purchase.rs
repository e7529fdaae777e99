//! Very large purchases through `POST /api/post-purchase/offer` on loopback: the demo shop, the
//! real offer Function, tokens signed like Shopify's with one phone line (so a campaign matches)
//! and N-1 other lines. Prints, per size, the token's bytes, the answers and their latencies.
//!
//!   cargo run --release -p encore-server --example large_purchase -- [LINES,LINES,...] [TRIES] [header|body]
//!
//! Defaults: 1, 500, 1000, 1300, 2000, 3000, 4000, 5000, 6000 lines, 3 tries each (each a new purchase),
//! the token in the JSON body. Needs scripts/build-wasm.sh's artifacts.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use encore_app::host_runner::HostRunner;
use encore_server::settings::{demo, Settings};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{json, Value};

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// A Shopify-style token for a purchase of `lines` lines: the demo phone and lines of products
/// the shop's campaigns do not name, with titles of a typical length.
fn token(reference: &str, lines: usize) -> String {
    let bag = |amount: &str| {
        json!({"shopMoney": {"amount": amount, "currencyCode": "USD"},
               "presentmentMoney": {"amount": amount, "currencyCode": "USD"}})
    };
    let mut items = vec![json!({
        "product": {"id": 1001, "title": "Aurora phone", "metafields": [],
                    "variant": {"id": 2001, "title": "128 GB", "metafields": []}},
        "quantity": 1, "totalPriceSet": bag("799.00")})];
    for i in 1..lines {
        items.push(json!({
            "product": {"id": 7_000_000_000u64 + i as u64, "title": format!("Organic cotton tee {i}"), "metafields": [],
                        "variant": {"id": 8_000_000_000u64 + i as u64, "title": "Medium / Black", "metafields": []}},
            "quantity": 1, "totalPriceSet": bag("12.50")}));
    }
    let total = format!("{}.{:02}", 799 + (lines - 1) * 25 / 2, (lines - 1) % 2 * 50);
    let now = encore_app::clock::now();
    let claims = json!({"iss": "shopify", "sub": reference, "iat": now, "exp": now + 600, "input_data": {
        "extensionPoint": "Checkout::PostPurchase::ShouldRender",
        "initialPurchase": {"referenceId": reference, "customerId": 7001, "destinationCountryCode": "US",
                            "totalPriceSet": bag(&total), "lineItems": items},
        "locale": "en", "shop": {"id": 1, "domain": demo::SHOP, "metafields": []}, "version": "unstable"}});
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(demo::API_SECRET.as_bytes()),
    )
    .unwrap()
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = args
        .first()
        .map(|a| a.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 500, 1000, 1300, 2000, 3000, 4000, 5000, 6000]);
    let tries: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let in_header = args.get(2).is_some_and(|a| a == "header");

    let dir = tempfile::tempdir().unwrap();
    let vars: HashMap<String, String> = [
        (
            "ENCORE_DATABASE_URL".to_string(),
            format!("sqlite://{}", dir.path().join("large.sqlite").display()),
        ),
        ("ENCORE_LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ]
    .into_iter()
    .chain(std::env::vars().filter(|(k, _)| {
        k == "ENCORE_FUNCTION_WASM" || k == "ENCORE_PROVIDER_WASM" || k == "ENCORE_DATABASE_URL"
    }))
    .collect();
    let settings = Settings::from_vars(&vars, true).unwrap();
    let runner = Arc::new(
        HostRunner::load(&settings.function_wasm, settings.provider_wasm.as_deref())
            .unwrap_or_else(|e| panic!("{e}")),
    );
    let running = encore_server::start(settings, runner).await.unwrap();
    let url = format!("http://{}/api/post-purchase/offer", running.addr);
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    println!(
        "token in the {}; {tries} tries per size",
        if in_header {
            "Authorization header"
        } else {
            "JSON body"
        }
    );
    println!("lines\ttoken bytes\tanswers (status render reason ms)");
    for lines in sizes {
        let mut answers = Vec::new();
        let mut size = 0;
        for t in 0..tries {
            let token = token(&format!("large-{lines}-{t}"), lines);
            size = token.len();
            let request = if in_header {
                http.post(&url).bearer_auth(&token).json(&json!({}))
            } else {
                http.post(&url).json(&json!({ "token": token }))
            };
            let started = Instant::now();
            let answer = match request.send().await {
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body: Value = r.json().await.unwrap_or(Value::Null);
                    let what = if body["render"] == true {
                        "offer".to_string()
                    } else if let Some(code) = body["error"].as_str() {
                        code.to_string()
                    } else {
                        let last = body["reasons"]
                            .as_array()
                            .and_then(|r| r.last())
                            .cloned()
                            .unwrap_or(Value::Null);
                        match (last["code"].as_str(), last["detail"].as_str()) {
                            (Some(code), Some(detail)) if code.starts_with("FUNCTION_") => {
                                format!("{code} ({detail})")
                            }
                            (code, _) => code.unwrap_or("-").to_string(),
                        }
                    };
                    format!("{status} {what} {}", started.elapsed().as_millis())
                }
                Err(e) => format!("transport error ({e})"),
            };
            answers.push(answer);
        }
        println!("{lines}\t{size}\t{}", answers.join(" | "));
    }
    running.stop().await;
}
