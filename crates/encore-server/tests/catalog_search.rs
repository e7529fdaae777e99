//! The editor's catalog pickers over real HTTP on SQLite and PostgreSQL: products, variants,
//! tags, types and vendors from the loaded catalog, collections as a `collections/update`
//! webhook names them (`GET /api/catalog/search`).

mod common;

use base64::Engine;
use common::*;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

async fn search(c: &Client, kind: &str, q: &str) -> (u16, Value) {
    c.admin_get(&format!(
        "/api/catalog/search?shop={SHOP}&kind={kind}&q={q}"
    ))
    .await
}

fn values(answer: &Value) -> Vec<&str> {
    answer["matches"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["value"].as_str().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_picker_finds_its_kind_in_the_synced_catalog() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = start(&db, ScriptedRunner::new()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;

        let (s, b) = search(&c, "products", "PHO").await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(values(&b), ["1"], "case-insensitive: {b}");
        assert_eq!(b["matches"][0]["label"], "Phone");
        assert_eq!(b["matches"][0]["detail"], "Acme");
        let (_, b) = search(&c, "variants", "case").await;
        assert_eq!(values(&b), ["111"], "{b}");
        let (_, b) = search(&c, "tags", "").await;
        assert_eq!(
            values(&b),
            ["accessory", "phone"],
            "every tag for an empty search"
        );
        let (_, b) = search(&c, "types", "phon").await;
        assert_eq!(values(&b), ["Phones"]);
        let (_, b) = search(&c, "vendors", "acm").await;
        assert_eq!(values(&b), ["Acme"]);
        assert_eq!(b["matches"][0]["products"], 1);

        // Collections have titles only once Shopify named them.
        let (_, b) = search(&c, "collections", "pho").await;
        assert_eq!(values(&b), Vec::<&str>::new());
        let body = json!({"id": 77, "handle": "phones", "title": "Phones and more", "updated_at": "2026-11-30T10:00:00-05:00"}).to_string();
        let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
        mac.update(body.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        let delivered = c
            .http
            .post(format!("{}/webhooks/shopify", c.base))
            .header("content-type", "application/json")
            .header("x-shopify-topic", "collections/update")
            .header("x-shopify-shop-domain", SHOP)
            .header("x-shopify-webhook-id", "collection-77")
            .header("x-shopify-hmac-sha256", signature)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(delivered.status(), 200);
        let (_, b) = search(&c, "collections", "pho").await;
        assert_eq!(values(&b), ["77"], "{b}");
        assert_eq!(b["matches"][0]["label"], "Phones and more");

        let (s, b) = search(&c, "colours", "x").await;
        assert_eq!(s, 400, "an unknown kind is refused: {b}");
        server.stop().await;
        db.dispose().await;
    }
}
