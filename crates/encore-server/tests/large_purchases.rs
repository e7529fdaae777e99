//! Very large purchases over real TCP, with the real offer Function on the demo shop's data: the
//! same answer every time up to the largest token the server takes, in the body or in the
//! `Authorization` header, and a JSON refusal (never a reset) beyond it. Needs
//! scripts/build-wasm.sh's artifacts.

mod common;

use std::collections::HashMap;
use std::sync::Arc;

use common::*;
use encore_app::host_runner::HostRunner;
use encore_server::settings::{demo, Settings};
use encore_shopify::post_purchase::token::MAX_TOKEN_BYTES;
use serde_json::{json, Value};

const TRIES: usize = 3;

async fn demo_server(dir: &tempfile::TempDir) -> encore_server::Running {
    let vars: HashMap<String, String> = [
        (
            "ENCORE_DATABASE_URL".to_string(),
            format!("sqlite://{}", dir.path().join("demo.sqlite").display()),
        ),
        ("ENCORE_LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ]
    .into_iter()
    .chain(
        std::env::vars()
            .filter(|(k, _)| k == "ENCORE_FUNCTION_WASM" || k == "ENCORE_PROVIDER_WASM"),
    )
    .collect();
    let settings = Settings::from_vars(&vars, true).unwrap();
    let runner = HostRunner::load(&settings.function_wasm, settings.provider_wasm.as_deref())
        .unwrap_or_else(|e| panic!("{e}\n(these tests need scripts/build-wasm.sh's artifacts)"));
    encore_server::start(settings, Arc::new(runner))
        .await
        .unwrap()
}

/// A token signed like Shopify's for a purchase of `lines` lines: the demo phone (so the
/// phone → case campaign matches) and other products with titles of a typical length.
fn purchase_token(reference: &str, lines: usize) -> String {
    let bag = |amount: &str| {
        json!({"shopMoney": {"amount": amount, "currencyCode": "USD"},
               "presentmentMoney": {"amount": amount, "currencyCode": "USD"}})
    };
    let mut items = vec![json!({
        "product": {"id": 1001, "title": "Aurora phone", "metafields": [],
                    "variant": {"id": 2001, "title": "128 GB", "metafields": []}},
        "quantity": 1, "totalPriceSet": bag("799.00")})];
    items.extend((1..lines).map(|i| {
        json!({
            "product": {"id": 7_000_000_000u64 + i as u64, "title": format!("Organic cotton tee {i}"), "metafields": [],
                        "variant": {"id": 8_000_000_000u64 + i as u64, "title": "Medium / Black", "metafields": []}},
            "quantity": 1, "totalPriceSet": bag("12.50")})
    }));
    let cents = 79_900 + (lines as u64 - 1) * 1_250;
    let total = format!("{}.{:02}", cents / 100, cents % 100);
    let t = now();
    sign(
        &json!({"iss": "shopify", "sub": reference, "iat": t - 2, "exp": t + 600, "input_data": {
            "extensionPoint": "Checkout::PostPurchase::ShouldRender",
            "initialPurchase": {"referenceId": reference, "customerId": 7001, "destinationCountryCode": "US",
                                "totalPriceSet": bag(&total), "lineItems": items},
            "locale": "en", "shop": {"id": 1, "domain": demo::SHOP, "metafields": []}, "version": "unstable"}}),
        demo::API_SECRET,
    )
}

/// Where the token travels.
#[derive(Clone, Copy, Debug)]
enum Carrier {
    Body,
    Header,
}

async fn ask(http: &reqwest::Client, base: &str, token: &str, carrier: Carrier) -> (u16, Value) {
    let url = format!("{base}/api/post-purchase/offer");
    let request = match carrier {
        Carrier::Body => http.post(url).json(&json!({ "token": token })),
        Carrier::Header => http.post(url).bearer_auth(token).json(&json!({})),
    };
    let response = request
        .send()
        .await
        .unwrap_or_else(|e| panic!("no answer for a {} B token ({carrier:?}): {e}", token.len()));
    let status = response.status().as_u16();
    let body = response
        .json()
        .await
        .unwrap_or_else(|e| panic!("the {status} answer is not JSON: {e}"));
    (status, body)
}

/// What an answer says, for comparing tries: status, offer step or reason / error code.
fn gist(status: u16, body: &Value) -> String {
    let what = if body["render"] == true {
        format!("offer {}", body["offers"][0]["stepId"])
    } else if let Some(code) = body["error"].as_str() {
        code.to_string()
    } else {
        format!("no offer {}", body["reasons"])
    };
    format!("{status} {what}")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purchases_of_1_and_1300_lines_get_the_same_offer_every_time_in_the_body_or_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(&dir).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    for lines in [1, 1300] {
        for carrier in [Carrier::Body, Carrier::Header] {
            let mut gists = Vec::new();
            for t in 0..TRIES {
                // A new purchase each time: every try runs the Function.
                let token = purchase_token(&format!("large-{lines}-{carrier:?}-{t}"), lines);
                if lines == 1300 {
                    assert!(token.len() > 450_000, "{} B", token.len());
                }
                let (status, body) = ask(&http, &base, &token, carrier).await;
                gists.push(gist(status, &body));
            }
            assert_eq!(
                gists,
                vec!["200 offer \"upsell\"".to_string(); TRIES],
                "{lines} lines, token in the {carrier:?}"
            );
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_over_the_limit_is_refused_in_json_after_the_request_is_read_every_time() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(&dir).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    // Lines are of equal size: a purchase whose token is just over the limit (within the
    // body's room for other fields), and one far over it.
    let line_bytes = purchase_token("probe", 2001).len() - purchase_token("probe", 1001).len();
    let base_bytes = purchase_token("probe", 1).len();
    let lines_for = |bytes: usize| (bytes - base_bytes) / (line_bytes / 1000) + 1;
    let just_over = purchase_token("just-over", lines_for(MAX_TOKEN_BYTES + 16 * 1024));
    let far_over = purchase_token("far-over", lines_for(MAX_TOKEN_BYTES * 5 / 4));
    assert!(just_over.len() > MAX_TOKEN_BYTES);
    assert!(just_over.len() < encore_server::purchase_request::BODY_LIMIT - 64);
    for (token, carrier, status, code) in [
        (&just_over, Carrier::Body, 413, "token_too_large"),
        (&just_over, Carrier::Header, 431, "token_too_large"),
        // Over the body's limit: refused as a body, after it was read.
        (&far_over, Carrier::Body, 413, "body_too_large"),
        // Within the head hyper reads (twice the largest token): the API's own refusal.
        (&far_over, Carrier::Header, 431, "token_too_large"),
    ] {
        for _ in 0..TRIES {
            let (s, body) = ask(&http, &base, token, carrier).await;
            assert_eq!(
                (s, body["error"].as_str()),
                (status, Some(code)),
                "{carrier:?}: {body}"
            );
        }
    }
    let (_, body) = ask(&http, &base, &just_over, Carrier::Body).await;
    let message = body["message"].as_str().unwrap();
    assert!(
        message.contains(&format!("{} bytes", just_over.len()))
            && message.contains(&MAX_TOKEN_BYTES.to_string()),
        "{message}"
    );
    // The connection pool survived: the next purchase on it is answered as usual.
    let (s, body) = ask(&http, &base, &purchase_token("after", 1), Carrier::Body).await;
    assert_eq!(gist(s, &body), "200 offer \"upsell\"");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_token_in_both_places_must_be_the_same_token() {
    let dir = tempfile::tempdir().unwrap();
    let server = demo_server(&dir).await;
    let base = format!("http://{}", server.addr);
    let http = reqwest::Client::new();
    let one = purchase_token("both-1", 1);
    let other = purchase_token("both-2", 1);
    let post = |header: &str, body_token: &str| {
        http.post(format!("{base}/api/post-purchase/offer"))
            .bearer_auth(header)
            .json(&json!({ "token": body_token }))
            .send()
    };
    let r = post(&one, &one).await.unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = post(&one, &other).await.unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_token");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("different tokens"),
        "{body}"
    );
    let r = http
        .post(format!("{base}/api/post-purchase/offer"))
        .json(&json!({ "token": 42 }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = http
        .post(format!("{base}/api/post-purchase/offer"))
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    server.stop().await;
}
