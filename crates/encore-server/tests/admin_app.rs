//! The embedded admin's server side over real HTTP: its page and assets, and the read routes
//! its pages use (shop facts with Encore's default cap, the catalog, a purchase's decisions).
//! The pages themselves are tested in headless Chromium by scripts/test-admin.sh.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn the_app_url_serves_the_admin_page_framed_only_by_the_shops_admin() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let running = start(&db, ScriptedRunner::new()).await;
    let c = Client::new(&running);
    for path in ["/", "/app", "/app/campaigns/edit/phone-case"] {
        let r = c
            .http
            .get(format!("{}{path}?shop={SHOP}&host=x", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(
            r.headers()["content-security-policy"],
            format!("frame-ancestors https://{SHOP} https://admin.shopify.com;").as_str()
        );
        let html = r.text().await.unwrap();
        assert!(html.contains(&format!(
            r#"<meta name="shopify-api-key" content="{API_KEY}">"#
        )));
        assert!(html.contains("https://cdn.shopify.com/shopifycloud/app-bridge.js"));
    }
    let r = c
        .http
        .get(format!("{}/admin-assets/js/main.js", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/javascript"));
    // The browser engine, typed so that `WebAssembly.instantiateStreaming` accepts it.
    let r = c
        .http
        .get(format!("{}/admin-assets/engine/encore_web_bg.wasm", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "application/wasm");
    assert!(r.bytes().await.unwrap().starts_with(b"\0asm"));
    let r = c
        .http
        .get(format!("{}/admin-assets/../Cargo.toml", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    running.stop().await;
}

#[tokio::test]
async fn the_admin_reads_the_shop_its_catalog_and_a_purchases_decisions() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let running = start(&db, ScriptedRunner::new()).await;
    let c = Client::new(&running);
    setup_shop(&c).await;

    let (s, shop) = c.admin_get(&format!("/api/shop?shop={SHOP}")).await;
    assert_eq!(s, 200, "{shop}");
    assert_eq!(shop["currencyCode"], "USD");
    assert_eq!(shop["currencyExponent"], 2);
    assert_eq!(shop["defaultMaxOfferPrice"], "50.00");

    let (s, catalog) = c.admin_get(&format!("/api/catalog?shop={SHOP}")).await;
    assert_eq!(s, 200, "{catalog}");
    let phone = catalog["products"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["id"] == "1")
        .expect("the phone");
    assert_eq!(phone["variants"][0]["id"], "101");
    assert_eq!(phone["variants"][0]["price"], "500.00");
    assert_eq!(phone["variants"][0]["inventory"]["available"], 5);
    assert!(phone["variants"][0].get("product").is_none());

    let (s, _) = c
        .admin_get(&format!("/api/purchases/never-seen/decisions?shop={SHOP}"))
        .await;
    assert_eq!(s, 404);
    let input = input_data("ref-why", &[("1", "101", "500.00")]);
    let (s, offer) = c.offer(&token_for(&input), json!({})).await;
    assert_eq!(s, 200, "{offer}");
    let (s, why) = c
        .admin_get(&format!("/api/purchases/ref-why/decisions?shop={SHOP}"))
        .await;
    assert_eq!(s, 200, "{why}");
    assert_eq!(why["decisions"][0]["seq"], 0);
    assert!(why["decisions"][0]["reasons"].is_array());

    let r = c
        .http
        .get(format!("{}/api/catalog?shop={SHOP}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        401,
        "the operator token (later: a session) is required"
    );
    running.stop().await;
}
