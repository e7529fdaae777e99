//! Shops in 0-, 2- and 3-decimal currencies set up as a new merchant would (admin routes, no
//! maxOfferPrice), with the real offer Function, over real HTTP, on SQLite and PostgreSQL:
//! default caps per currency, rounding ties through the signed changeset, amounts the shop
//! currency cannot write refused at save, and a damaged stored decision answered without a panic.

mod common;

use common::*;
use serde_json::{json, Value};

/// A purchase of one line in `currency`, with the token Shopify would sign.
fn purchase_token(reference: &str, currency: &str, amount: &str) -> String {
    let money = json!({"amount": amount, "currencyCode": currency});
    let input = json!({
        "extensionPoint": "Checkout::PostPurchase::ShouldRender",
        "initialPurchase": {
            "referenceId": reference,
            "customerId": 5001,
            "destinationCountryCode": "JP",
            "totalPriceSet": {"shopMoney": money, "presentmentMoney": money},
            "lineItems": [{
                "product": {"id": 1, "title": "Phone", "variant": {"id": 101, "title": "Default"}, "metafields": []},
                "quantity": 1,
                "totalPriceSet": {"shopMoney": money, "presentmentMoney": money}
            }]
        },
        "locale": "en",
        "shop": {"id": 1, "domain": SHOP, "metafields": []},
        "version": "unstable"
    });
    token_for(&input)
}

/// The shop in `currency` with a phone (101) and two accessories (111 at `accessory`, 121 at
/// `dear`), and one campaign offering 121 then 111 at 25% off, with no guardrails of its own.
async fn shop_in(c: &Client, currency: &str, accessory: &str, dear: &str) {
    let (s, b) = c
        .admin_put(
            &format!("/api/shops/{SHOP}"),
            json!({"currencyCode": currency}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = c
        .admin_put(
            &format!("/api/catalog?shop={SHOP}"),
            json!({"products": [
                {"id": "1", "title": "Phone", "variants": [{"id": "101", "price": "1"}]},
                {"id": "11", "title": "Case", "variants": [{"id": "111", "price": accessory}]},
                {"id": "12", "title": "Stand", "variants": [{"id": "121", "price": dear}]}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = c
        .admin_put(
            &format!("/api/campaigns?shop={SHOP}"),
            json!({"version": 1, "campaigns": [{"id": "acc", "triggers": {"products": ["1"]},
                "steps": [{"id": "s", "offer": {"products": ["121", "111"], "discount": {"percent": 25}}}]}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}

fn discount_of(answer: &Value) -> Value {
    let token = answer["offers"][0]["changesetToken"]
        .as_str()
        .expect("an offer");
    let claims = decode_changeset(token);
    claims["changes"][0]["discount"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_currency_gets_a_default_cap_and_ties_go_to_the_buyer_in_the_signed_changeset() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        // (currency, purchase, accessory price, dearer accessory over the default cap, the
        // accessory's price after 25% off with the discount rounded half away from zero, the
        // discount Shopify is told, the cap the reason names)
        let cases = [
            ("JPY", "98000", "1998", "12000", "1498", "500", "7500"),
            ("USD", "980.00", "19.98", "98.00", "14.98", "5.00", "50.00"),
            (
                "KWD", "250.000", "1.998", "24.000", "1.498", "0.500", "15.000",
            ),
        ];
        let runner = real_function_runner();
        for (i, (currency, total, accessory, dear, price, off, cap)) in cases.iter().enumerate() {
            let running = start(&db, runner.clone()).await;
            let c = Client::new(&running);
            shop_in(&c, currency, accessory, dear).await;
            let reference = format!("r-{currency}-{i}");
            let (s, answer) = c
                .offer(&purchase_token(&reference, currency, total), json!({}))
                .await;
            assert_eq!(s, 200, "{currency}: {answer}");
            assert_eq!(answer["render"], true, "{currency}: {answer}");
            let prices = &answer["offers"][0]["products"][0]["shopPrices"];
            assert_eq!(
                answer["offers"][0]["products"][0]["variantId"], "111",
                "{currency}: {answer}"
            );
            assert_eq!(prices["offerPrice"], *price, "{currency}");
            let discount = discount_of(&answer);
            assert_eq!(
                discount["valueType"], "fixed_amount",
                "{currency}: {discount}"
            );
            assert_eq!(
                discount["value"].as_f64(),
                off.parse::<f64>().ok(),
                "{currency}: the signed discount reproduces the price"
            );
            let over_cap = answer["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .find(|r| r["code"] == "PRICE_OVER_CAP")
                .unwrap_or_else(|| panic!("{currency}: the dearer accessory is over the cap"));
            let detail = over_cap["detail"].as_str().unwrap();
            assert!(
                detail.contains(&format!("the cap {cap}"))
                    && detail.contains(&format!("Encore's default for {currency}")),
                "{currency}: {detail}"
            );
            running.stop().await;
        }
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn amounts_a_shop_currency_cannot_write_are_refused_at_save_and_the_live_version_stays() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let running = start(&db, real_function_runner()).await;
        let c = Client::new(&running);
        shop_in(&c, "JPY", "1998", "9800").await;
        let (s, b) = c
            .admin_put(
                &format!("/api/campaigns?shop={SHOP}"),
                json!({"version": 1, "campaigns": [{"id": "broken",
                    "triggers": {"purchaseValue": {"min": "100.50"}},
                    "steps": [{"id": "s", "offer": {"products": ["111"], "shipping": {"price": "4.99"}}}]}]}),
            )
            .await;
        assert_eq!(s, 422, "{b}");
        let paths: Vec<&str> = b["faults"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["path"].as_str().unwrap())
            .collect();
        assert_eq!(
            paths,
            [
                "$.campaigns[0].triggers.purchaseValue.min",
                "$.campaigns[0].steps[0].offer.shipping.price"
            ]
        );
        assert!(b["faults"][0]["message"]
            .as_str()
            .unwrap()
            .contains("JPY, which has no decimal places"));
        let (s, live) = c.admin_get(&format!("/api/campaigns?shop={SHOP}")).await;
        assert_eq!(s, 200);
        assert_eq!(live["version"], 1, "the previous version stays live");
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_damaged_stored_decision_is_answered_with_no_offer_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let running = start(&db, real_function_runner()).await;
        let c = Client::new(&running);
        shop_in(&c, "USD", "19.98", "98.00").await;
        let token = purchase_token("r-damaged", "USD", "980.00");
        let (s, first) = c.offer(&token, json!({})).await;
        assert_eq!((s, &first["render"]), (200, &json!(true)), "{first}");

        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&db.url()).await.unwrap();
        sqlx::query("UPDATE decisions SET changes = 'not json' WHERE reference_id = 'r-damaged'")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;

        let (s, again) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{again}");
        assert_eq!(
            again["render"], false,
            "nothing is signed from a damaged row"
        );
        assert_eq!(again["reasons"][0]["code"], "STORED_DECISION_UNREADABLE");
        running.stop().await;
        db.dispose().await;
    }
}
