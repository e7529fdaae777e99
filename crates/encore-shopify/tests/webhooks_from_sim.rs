//! Webhooks delivered by the simulator over HTTP, signed like Shopify's, are verified and typed;
//! a delivery signed with another secret or with a changed body is refused.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use encore_shopify::webhook::{signature_is_valid, Delivery, Payload, Topic};
use encore_shopify::Secret;
use shopify_sim::{Sim, SimConfig, StoreSpec};

type Received = Arc<Mutex<Vec<(Delivery, Payload)>>>;

/// A receiver that does what Encore's webhook route must: verify, read headers, parse.
async fn receiver(secret: &str) -> (String, Received) {
    let received: Received = Arc::default();
    let secret = Secret::new(secret);
    let store = received.clone();
    let app = Router::new().route(
        "/webhooks/shopify",
        post(move |headers: HeaderMap, body: Bytes| {
            let (secret, store) = (secret.clone(), store.clone());
            async move {
                let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
                if !signature_is_valid(&secret, &body, header("x-shopify-hmac-sha256")) {
                    return StatusCode::UNAUTHORIZED;
                }
                let Ok(delivery) = Delivery::from_headers(header) else {
                    return StatusCode::BAD_REQUEST;
                };
                let Ok(payload) = Payload::parse(&delivery.topic, &body) else {
                    return StatusCode::UNPROCESSABLE_ENTITY;
                };
                store.lock().unwrap().push((delivery, payload));
                StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/webhooks/shopify", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, received)
}

const SHOP: &str = "encore-demo.myshopify.com";

#[tokio::test]
async fn a_product_update_for_a_generated_product_arrives_verified_and_typed() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let spec = StoreSpec::default();
    sim.add_shop(SHOP, spec.clone());
    let (url, received) = receiver(&sim.config().client_secret).await;
    let product = spec.product(4);
    let body = shopify_sim::payloads::product(&product, "USD", "2026-11-30T10:00:00Z").to_string();
    let status = sim
        .deliver_webhook(&url, SHOP, "products/update", "wh-1", body.as_bytes())
        .await
        .unwrap();
    assert_eq!(status, 200);
    let received = received.lock().unwrap();
    let (delivery, payload) = &received[0];
    assert_eq!(delivery.topic, Topic::ProductsUpdate);
    assert_eq!(delivery.webhook_id, "wh-1");
    assert_eq!(delivery.api_version.as_deref(), Some("2026-10"));
    let Payload::ProductUpsert(p) = payload else {
        panic!("{payload:?}")
    };
    assert_eq!(p.id.get(), product.id);
    assert_eq!(p.variants.len(), product.variants.len());
    assert_eq!(
        p.variants[0].inventory_item_id.map(|i| i.get()),
        Some(product.variants[0].inventory_item_id)
    );
}

#[tokio::test]
async fn a_delivery_signed_with_another_secret_is_refused_and_not_read() {
    let forger = Sim::start(SimConfig {
        client_secret: "forged".into(),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let (url, received) = receiver(&SimConfig::default().client_secret).await;
    let body = shopify_sim::payloads::inventory_level(5, 6, 3, "2026-11-30T10:00:00Z").to_string();
    let status = forger
        .deliver_webhook(
            &url,
            SHOP,
            "inventory_levels/update",
            "wh-2",
            body.as_bytes(),
        )
        .await
        .unwrap();
    assert_eq!(status, 401);
    assert!(received.lock().unwrap().is_empty());
}

#[tokio::test]
async fn a_body_changed_after_signing_is_refused() {
    let secret = SimConfig::default().client_secret;
    let (url, received) = receiver(&secret).await;
    let body = shopify_sim::payloads::inventory_level(5, 6, 3, "2026-11-30T10:00:00Z").to_string();
    let signature = shopify_sim::payloads::sign(&secret, body.as_bytes());
    let tampered = body.replace("\"available\":3", "\"available\":300");
    assert_ne!(tampered, body);
    let status = reqwest_post(&url, &signature, tampered).await;
    assert_eq!(status, 401);
    assert!(received.lock().unwrap().is_empty());
}

async fn reqwest_post(url: &str, signature: &str, body: String) -> u16 {
    let client = reqwest::Client::new();
    client
        .post(url)
        .header("X-Shopify-Topic", "inventory_levels/update")
        .header("X-Shopify-Hmac-Sha256", signature)
        .header("X-Shopify-Shop-Domain", SHOP)
        .header("X-Shopify-Webhook-Id", "wh-3")
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}
