//! The server with the real optimized offer Function (encore-host) on the demo shop's data,
//! over real HTTP, on SQLite and PostgreSQL. Needs the wasm artifacts: run
//! `scripts/build-wasm.sh` first (or point ENCORE_FUNCTION_WASM / ENCORE_PROVIDER_WASM at them).

mod common;

use std::collections::HashMap;

use common::*;
use encore_server::settings::{demo, Settings};
use serde_json::{json, Value};

fn demo_settings(db: &Db) -> Settings {
    let vars: HashMap<String, String> = [
        ("ENCORE_DATABASE_URL".to_string(), db.url()),
        ("ENCORE_LISTEN".to_string(), "127.0.0.1:0".to_string()),
    ]
    .into_iter()
    .collect();
    Settings::from_vars(&vars, true).unwrap()
}

fn samples() -> Vec<Value> {
    let v: Value = serde_json::from_str(encore_server::demo::PURCHASES).unwrap();
    v["purchases"].as_array().unwrap().clone()
}

/// A Shopify-style token for a demo sample, signed with the demo secret.
fn demo_token(sample: &Value, reference: &str) -> String {
    let mut purchase = sample["initialPurchase"].clone();
    purchase["referenceId"] = json!(reference);
    let t = now();
    let claims = json!({
        "iss": "shopify", "sub": reference, "iat": t - 2, "exp": t + 3600,
        "input_data": {
            "extensionPoint": "Checkout::PostPurchase::ShouldRender",
            "initialPurchase": purchase, "locale": "en",
            "shop": {"id": 1, "domain": demo::SHOP, "metafields": []}, "version": "unstable"
        }
    });
    sign(&claims, demo::API_SECRET)
}

fn verify_changeset(token: &str, reference: &str) -> Value {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    let claims = jsonwebtoken::decode::<Value>(
        token,
        &jsonwebtoken::DecodingKey::from_secret(demo::API_SECRET.as_bytes()),
        &v,
    )
    .expect("signed with the app secret")
    .claims;
    assert_eq!(claims["iss"], demo::API_KEY);
    assert_eq!(claims["sub"], reference);
    assert!(claims["jti"].as_str().unwrap().len() == 36);
    claims
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_use_cases_through_the_real_function() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let server = encore_server::start(demo_settings(&db), real_function_runner())
        .await
        .unwrap();
    let c = Client::new(&server);
    let expected = [
        ("phone", Some(("phone-case", "2101", "23.99"))),
        ("camera", Some(("camera-card", "2102", "20.40"))),
        ("coffee", Some(("coffee-refill", "2103", "21.60"))),
        ("dog-food", Some(("dog-subscribe", "2004", "50.99"))),
        ("cookbook", Some(("cookbook-planner", "2105", "7.00"))),
        ("skincare", Some(("skincare-serum", "2106", "5.00"))),
        ("laptop", None),
    ];
    for sample in samples() {
        let name = sample["name"].as_str().unwrap();
        let want = expected.iter().find(|e| e.0 == name).unwrap().1;
        let reference = format!("seed-{name}");
        let (s, b) = c.offer(&demo_token(&sample, &reference), json!({})).await;
        assert_eq!(s, 200, "{name}: {b}");
        match want {
            Some((campaign, variant, price)) => {
                assert_eq!(b["render"], true, "{name}: {b}");
                let o = &b["offers"][0];
                assert_eq!(o["campaignId"], campaign, "{name}");
                assert_eq!(o["products"][0]["variantId"], variant, "{name}");
                let total: f64 = o["products"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|p| {
                        p["shopPrices"]["offerPrice"]
                            .as_str()
                            .unwrap()
                            .parse::<f64>()
                            .unwrap()
                    })
                    .sum();
                assert_eq!(format!("{total:.2}"), price, "{name}");
                let claims = verify_changeset(o["changesetToken"].as_str().unwrap(), &reference);
                assert_eq!(claims["changes"], o["changes"]);
                assert_eq!(
                    o["changes"][0]["variantId"],
                    json!(variant.parse::<u64>().unwrap())
                );
                if name == "dog-food" {
                    assert_eq!(o["changes"][0]["type"], "add_subscription");
                    assert_eq!(o["changes"][0]["sellingPlanId"], 9001);
                }
            }
            None => {
                assert_eq!(b["render"], false, "{name}: {b}");
                let codes: Vec<&str> = b["reasons"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter_map(|r| r["code"].as_str())
                    .collect();
                assert!(codes.contains(&"PRICE_OVER_CAP"), "{name}: {codes:?}");
            }
        }
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn phone_funnel_walk_with_the_real_function() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = encore_server::start(demo_settings(&db), real_function_runner())
            .await
            .unwrap();
        let c = Client::new(&server);
        let phone = samples()
            .into_iter()
            .find(|s| s["name"] == "phone")
            .unwrap();
        let reference = "walk-phone";
        let token = demo_token(&phone, reference);

        let (_, b) = c.offer(&token, json!({})).await;
        let upsell = b["offers"][0].clone();
        assert_eq!(upsell["stepId"], "upsell", "{db:?} {b}");
        let text = payload_text(upsell["changesetToken"].as_str().unwrap());
        assert!(
            text.contains(r#""value":6.00"#),
            "exact decimal text: {text}"
        );
        // Tampered body: same signed changes.
        let (_, again) = c
            .offer(
                &token,
                json!({"variantId": "2107", "price": "0.01", "changes": [], "stepId": "charger"}),
            )
            .await;
        assert_eq!(again["offers"][0]["changes"], upsell["changes"]);
        assert_eq!(again["offers"][0]["decisionId"], upsell["decisionId"]);
        c.event(
            &token,
            json!({"decisionId": upsell["decisionId"], "event": "shown"}),
        )
        .await;
        c.event(
            &token,
            json!({"decisionId": upsell["decisionId"], "event": "declined"}),
        )
        .await;

        let (_, b) = c.offer(&token, json!({})).await;
        let downsell = b["offers"][0].clone();
        assert_eq!(downsell["stepId"], "downsell", "{b}");
        assert_eq!(downsell["products"][0]["shopPrices"]["offerPrice"], "9.00");
        verify_changeset(downsell["changesetToken"].as_str().unwrap(), reference);
        c.event(&token, json!({"decisionId": downsell["decisionId"], "event": "accepted", "status": "processed"})).await;

        let (_, b) = c.offer(&token, json!({})).await;
        let charger = b["offers"][0].clone();
        assert_eq!(charger["stepId"], "charger", "{b}");
        assert_eq!(charger["products"][0]["shopPrices"]["offerPrice"], "20.00");
        c.event(&token, json!({"decisionId": charger["decisionId"], "event": "accepted", "status": "processed"})).await;
        // Retried accept: counted once.
        c.event(&token, json!({"decisionId": charger["decisionId"], "event": "accepted", "status": "processed"})).await;

        let (_, b) = c.offer(&token, json!({})).await;
        assert_eq!(b["render"], false, "the funnel is complete: {b}");
        assert!(!b["reasons"].as_array().unwrap().is_empty());

        let (_, sum) = c
            .http
            .get(format!(
                "{}/api/analytics/summary?shop={}",
                c.base,
                demo::SHOP
            ))
            .bearer_auth(demo::ADMIN_TOKEN)
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .map(|v| (0, v))
            .unwrap();
        assert_eq!(sum["accepted"], 2, "{sum}");
        assert_eq!(sum["declined"], 1);
        assert_eq!(sum["offersShown"], 3);
        assert_eq!(
            sum["confirmedRevenue"],
            json!({"amount": "0.00", "currencyCode": "USD"}),
            "accepted offers no order confirmed are not revenue"
        );
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_preview_page_and_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let server = encore_server::start(demo_settings(&db), real_function_runner())
        .await
        .unwrap();
    let c = Client::new(&server);
    let page = c
        .http
        .get(format!("{}/demo", c.base))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("post-purchase offer preview"));
    let skincare = samples()
        .into_iter()
        .find(|s| s["name"] == "skincare")
        .unwrap();
    let r: Value = c
        .http
        .post(format!("{}/demo/api/preview", c.base))
        .json(&json!({"initialPurchase": skincare["initialPurchase"], "locale": "en"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        r["answer"]["offers"][0]["products"][0]["shopPrices"]["offerPrice"], "5.00",
        "{r}"
    );
    assert_eq!(
        r["signedClaims"]["changes"],
        r["answer"]["offers"][0]["changes"]
    );
    let line = r["functionInput"]["purchase"]["packedLines"][0]
        .as_str()
        .expect("a packed line");
    let line = encore_engine::line_record::to_json(line);
    assert_eq!(line["vendor"], "Glow");
    // The same input with its records shown as what they hold, for the page.
    let readable = &r["readableInput"];
    assert_eq!(readable["purchase"]["lines"][0], line, "{readable}");
    assert_eq!(
        readable["purchase"]["referenceId"], skincare["initialPurchase"]["referenceId"],
        "{readable}"
    );
    assert!(readable["funnel"]["offersShown"].is_number(), "{readable}");
    // Previews are not stored.
    let (_, sum) = c
        .admin_get_with(
            demo::ADMIN_TOKEN,
            &format!("/api/analytics/summary?shop={}", demo::SHOP),
        )
        .await;
    assert_eq!(sum["decisions"], 0, "{sum}");
    server.stop().await;
}

trait AdminWith {
    async fn admin_get_with(&self, token: &str, path: &str) -> (u16, Value);
}

impl AdminWith for Client {
    async fn admin_get_with(&self, token: &str, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.json().await.unwrap_or(Value::Null))
    }
}
