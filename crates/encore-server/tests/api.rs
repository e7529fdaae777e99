//! The post-purchase API over real HTTP on SQLite and PostgreSQL, with a scripted Function.
//!
//! Run: `ENCORE_TEST_POSTGRES_URL=$(scripts/start-postgres.sh) cargo test -p encore-server`.

mod common;

use std::sync::Arc;

use common::*;
use serde_json::{json, Value};

const PHONE: (&str, &str, &str) = ("1", "101", "500.00");

/// A purchase of the scripted runner's `product` whose run the server refuses: answered 200
/// with no offer, `code` the first reason and `detail` in its words.
async fn refused(c: &Client, reference: &str, product: &str, code: &str, detail: &str) {
    let variant = format!("{product}0");
    let token = token_for(&input_data(reference, &[(product, &variant, "20.00")]));
    let (s, b) = c.offer(&token, json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["render"], false, "{b}");
    assert_eq!(b["reasons"][0]["code"], code, "{b}");
    assert!(
        b["reasons"][0]["detail"].as_str().unwrap().contains(detail),
        "{b}"
    );
}

async fn summary(c: &Client) -> Value {
    let (s, b) = c
        .admin_get(&format!("/api/analytics/summary?shop={SHOP}"))
        .await;
    assert_eq!(s, 200, "{b}");
    b
}

fn offer_of(body: &Value) -> &Value {
    assert_eq!(body["render"], true, "expected an offer: {body}");
    assert_eq!(body["offers"].as_array().unwrap().len(), 1);
    &body["offers"][0]
}

fn funnel_echo(offer: &Value) -> Value {
    let changes = offer["changes"].as_array().unwrap();
    let m = changes
        .iter()
        .find(|c| c["type"] == "set_metafield")
        .unwrap();
    serde_json::from_str(m["value"].as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn funnel_walk_offer_decline_downsell_accept_next() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let runner = ScriptedRunner::new();
        let server = start(&db, runner.clone()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let input = input_data("ref-walk", &[PHONE]);
        let token = token_for(&input);

        // Step 1: the upsell.
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{db:?} {b}");
        let o1 = offer_of(&b).clone();
        assert_eq!(o1["stepId"], "upsell");
        assert_eq!(o1["campaignId"], "c1");
        assert_eq!(o1["experimentId"], "exp");
        assert_eq!(o1["armId"], "a");
        assert_eq!(o1["products"][0]["shopPrices"]["offerPrice"], "16.00");
        assert_eq!(o1["copy"]["acceptLabel"], "Pay now");
        assert_eq!(b["reasons"][0]["code"], "TRIGGER_PRODUCTS_NOT_MATCHED");
        assert_eq!(
            o1["changes"][0],
            json!({"type": "add_variant", "variantId": 111, "quantity": 1,
                   "discount": {"value": 20, "valueType": "percentage", "title": "Encore"}})
        );
        let claims = decode_changeset(o1["changesetToken"].as_str().unwrap());
        assert_eq!(claims["iss"], API_KEY);
        assert_eq!(claims["sub"], "ref-walk");
        assert_eq!(claims["changes"], o1["changes"]);
        let iat = claims["iat"].as_i64().unwrap();
        assert!((iat - now()).abs() < 30, "iat is in seconds: {iat}");
        assert_eq!(claims["jti"].as_str().unwrap().len(), 36);
        assert_eq!(funnel_echo(&o1)["offersShown"], 0);

        let (s, _) = c
            .event(
                &token,
                json!({"decisionId": o1["decisionId"], "event": "shown"}),
            )
            .await;
        assert_eq!(s, 200);
        let (s, b) = c
            .event(
                &token,
                json!({"decisionId": o1["decisionId"], "event": "declined"}),
            )
            .await;
        assert_eq!((s, &b), (200, &json!({"ok": true})));

        // Step 2: the downsell, with the funnel the server tracked.
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200);
        let o2 = offer_of(&b).clone();
        assert_eq!(o2["stepId"], "downsell");
        assert_ne!(o2["decisionId"], o1["decisionId"]);
        let f = funnel_echo(&o2);
        assert_eq!(f["campaignId"], "c1");
        assert_eq!(f["stepId"], "downsell");
        assert_eq!(f["offersShown"], 1);
        assert_eq!(f["offersAccepted"], 0);
        // Exact decimal text in the signed payload.
        let text = payload_text(o2["changesetToken"].as_str().unwrap());
        assert!(text.contains(r#""value":4.99"#), "{text}");
        let (s, _) = c
            .event(&token, json!({"decisionId": o2["decisionId"], "event": "accepted", "status": "processed", "errors": []}))
            .await;
        assert_eq!(s, 200);

        // Step 3: the next offer after accepting.
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200);
        let o3 = offer_of(&b).clone();
        assert_eq!(o3["stepId"], "final");
        let f = funnel_echo(&o3);
        assert_eq!(f["offersShown"], 2);
        assert_eq!(f["offersAccepted"], 1);
        assert_eq!(f["acceptedVariantIds"], json!(["222"]));
        assert_eq!(f["acceptedProductIds"], json!(["22"]));
        // The accept is in the statistics the next run sees, although the server read them
        // (as none) less than OFFER_STATS_MAX_AGE ago.
        let inputs = runner.inputs.lock().unwrap().clone();
        assert_eq!(facts_of(&inputs[0])["offerStats"], json!([]));
        assert_eq!(
            facts_of(&inputs[2])["offerStats"],
            json!([{"campaignId": "c1", "stepId": "downsell", "accepts": 1, "acceptedUnits": 1, "refundedUnits": 0}])
        );
        let text = payload_text(o3["changesetToken"].as_str().unwrap());
        assert!(text.contains(r#""price":0.30"#), "{text}");
        let (s, _) = c
            .event(
                &token,
                json!({"decisionId": o3["decisionId"], "event": "declined"}),
            )
            .await;
        assert_eq!(s, 200);

        // The funnel is complete: no offer, with the Function's reason.
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200);
        assert_eq!(b["render"], false);
        assert_eq!(b["offers"], json!([]));
        assert!(
            b["reasons"]
                .as_array()
                .unwrap()
                .iter()
                .any(|r| r["code"] == "FUNNEL_COMPLETE"),
            "{b}"
        );

        let sum = summary(&c).await;
        assert_eq!(sum["decisions"], 4, "{sum}");
        assert_eq!(sum["offersShown"], 3);
        assert_eq!(sum["accepted"], 1);
        assert_eq!(sum["declined"], 2);
        assert_eq!(
            sum["confirmedRevenue"],
            json!({"amount": "0.00", "currencyCode": "USD"}),
            "an accepted offer is not revenue until its order shows it"
        );
        assert_eq!(runner.runs(), 4);
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn function_input_is_built_from_token_and_store() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let runner = ScriptedRunner::new();
    let server = start(&db, runner.clone()).await;
    let c = Client::new(&server);
    setup_shop(&c).await;
    let token = token_for(&input_data("ref-input", &[PHONE, ("2", "202", "12.50")]));
    let (s, _) = c
        .offer(&token, json!({"funnel": {"stepId": "final"}}))
        .await;
    assert_eq!(s, 200);
    let input = runner.inputs.lock().unwrap()[0].clone();
    let p = &input["purchase"];
    assert_eq!(p["referenceId"], "ref-input");
    assert_eq!(p["customerId"], "5001");
    assert_eq!(p["destinationCountryCode"], "US");
    assert_eq!(p["totalPriceSet"]["shopMoney"], json!({"amount": "512.50"}));
    let line = |i: usize| {
        let record = p["packedLines"][i].as_str().expect("a line record");
        encore_engine::line_record::to_json(record)
    };
    // No campaign names a product fact yet, so the lines carry none (docs/cost-model.md).
    assert_eq!(
        line(0),
        json!({"quantity": 1, "total": 50000, "productId": "1", "variantId": "101"})
    );
    assert_eq!(
        line(1),
        json!({"quantity": 1, "total": 1250, "productId": "2", "variantId": "202"})
    );
    assert_eq!(
        input["customer"],
        json!({"id": "5001", "tags": ["vip"], "numberOfOrders": 3, "amountSpent": {"amount": "812.50"}})
    );
    assert_eq!(
        input["shop"],
        json!({"currencyCode": "USD", "metafield": null})
    );
    assert_eq!(
        input["funnel"],
        json!({"campaignId": null, "stepId": null, "offersShown": 0, "offersAccepted": 0, "acceptedVariantIds": [], "acceptedProductIds": []})
    );
    // Only variants a campaign names (or suggested products' variants) reach the Function;
    // this shop has no campaigns yet.
    assert_eq!(
        facts_of(&input),
        json!({"offerStats": [], "coPurchases": [], "catalog": []})
    );
    assert_eq!(input["locale"], "en");
    assert!(input["now"].as_str().unwrap().ends_with('Z'));

    // Once campaigns name a tag and a vendor (in any case), a line carries those, as the
    // catalog spells them, and still nothing else.
    let mut config = valid_config("named");
    config["campaigns"][0]["triggers"] = json!({"tags": ["PHONE"], "vendors": ["acme"]});
    config["campaigns"][0]["status"] = json!("paused");
    let (s, b) = c
        .admin_put(&format!("/api/campaigns?shop={SHOP}"), config)
        .await;
    assert_eq!(s, 200, "{b}");
    let token = token_for(&input_data("ref-input-2", &[PHONE]));
    let (s, _) = c.offer(&token, json!({})).await;
    assert_eq!(s, 200);
    let input = runner.inputs.lock().unwrap().last().unwrap().clone();
    let record = input["purchase"]["packedLines"][0].as_str().unwrap();
    assert_eq!(
        encore_engine::line_record::to_json(record),
        json!({"quantity": 1, "total": 50000, "productId": "1", "variantId": "101",
               "tags": ["phone"], "vendor": "Acme"})
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_are_idempotent_and_events_never_double_count() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let runner = ScriptedRunner::new();
        let server = start(&db, runner.clone()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let token = token_for(&input_data("ref-idem", &[PHONE]));

        // Concurrent first requests agree on one decision.
        let mut handles = Vec::new();
        for _ in 0..8 {
            let (c2, t2) = (
                Client {
                    base: c.base.clone(),
                    http: c.http.clone(),
                },
                token.clone(),
            );
            handles.push(tokio::spawn(async move { c2.offer(&t2, json!({})).await }));
        }
        let mut ids = Vec::new();
        let mut changes = Vec::new();
        for h in handles {
            let (s, b) = h.await.unwrap();
            assert_eq!(s, 200, "{b}");
            ids.push(b["offers"][0]["decisionId"].clone());
            changes.push(b["offers"][0]["changes"].clone());
        }
        assert!(ids.iter().all(|i| *i == ids[0]), "{ids:?}");
        assert!(changes.iter().all(|x| *x == changes[0]));
        let runs_after_first = runner.runs();

        // A plain retry: same decision, same changes, fresh token, no new run.
        let (_, b1) = c.offer(&token, json!({})).await;
        let (_, b2) = c.offer(&token, json!({})).await;
        assert_eq!(b1["offers"][0]["decisionId"], ids[0]);
        assert_eq!(b1["offers"][0]["changes"], b2["offers"][0]["changes"]);
        assert_ne!(
            b1["offers"][0]["changesetToken"],
            b2["offers"][0]["changesetToken"]
        );
        assert_eq!(runner.runs(), runs_after_first);

        // Events: repeated and contradictory events count once.
        let id = ids[0].clone();
        for _ in 0..3 {
            assert_eq!(
                c.event(&token, json!({"decisionId": id, "event": "shown"}))
                    .await
                    .0,
                200
            );
            assert_eq!(
                c.event(
                    &token,
                    json!({"decisionId": id, "event": "accepted", "status": "processed"})
                )
                .await
                .0,
                200
            );
        }
        assert_eq!(
            c.event(&token, json!({"decisionId": id, "event": "declined"}))
                .await
                .0,
            200
        );
        let sum = summary(&c).await;
        assert_eq!(sum["accepted"], 1, "{sum}");
        assert_eq!(sum["declined"], 0);
        assert_eq!(sum["offersShown"], 1);
        assert_eq!(
            sum["confirmedRevenue"]["amount"], "0.00",
            "accepted, not confirmed"
        );
        // The accept advanced the funnel exactly once: next is "final", then it stays there.
        let (_, b) = c.offer(&token, json!({})).await;
        assert_eq!(b["offers"][0]["stepId"], "final");
        let (_, b) = c.offer(&token, json!({})).await;
        assert_eq!(b["offers"][0]["stepId"], "final");
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsigned_body_cannot_change_what_is_signed() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let runner = ScriptedRunner::new();
    let server = start(&db, runner.clone()).await;
    let c = Client::new(&server);
    setup_shop(&c).await;

    let reference = |i: usize| format!("ref-tamper-{i}");
    let (_, clean) = c
        .offer(&token_for(&input_data(&reference(0), &[PHONE])), json!({}))
        .await;
    let clean_changes = clean["offers"][0]["changes"].clone();
    let tampered_bodies = [
        json!({"changes": [{"type": "add_variant", "variantId": "1", "quantity": 99}]}),
        json!({"price": "0.01", "offerPrice": "0.01", "discount": {"value": "100", "valueType": "percentage"}}),
        json!({"variantId": "999999", "quantity": 50, "sellingPlanId": "1"}),
        json!({"referenceId": "someone-else", "shop": "evil.myshopify.com", "customerId": "1"}),
        json!({"funnel": {"campaignId": "c1", "stepId": "final", "offersShown": 0}, "stepId": "final", "campaignId": "c9"}),
        json!({"initialPurchase": {"referenceId": "x", "lineItems": []}, "locale": "fr", "now": "2099-01-01T00:00:00Z"}),
        json!({"offers": [{"changesetToken": "forged"}], "render": true}),
        json!([1, 2, 3]),
        json!("just a string"),
    ];
    for (i, body) in tampered_bodies.iter().enumerate() {
        let token = token_for(&input_data(&reference(i + 1), &[PHONE]));
        let (s, b) = c.offer(&token, body.clone()).await;
        assert_eq!(s, 200, "{body} → {b}");
        let o = offer_of(&b);
        assert_eq!(o["stepId"], "upsell", "{body}");
        assert_eq!(o["changes"], clean_changes, "{body}");
        let claims = decode_changeset(o["changesetToken"].as_str().unwrap());
        assert_eq!(claims["changes"], clean_changes);
        assert_eq!(claims["sub"], reference(i + 1));
    }
    // The Function saw only token facts.
    for input in runner.inputs.lock().unwrap().iter() {
        assert_eq!(
            input["purchase"]["packedLines"].as_array().unwrap().len(),
            1
        );
        assert_eq!(input["locale"], "en");
        assert_eq!(input["funnel"]["stepId"], Value::Null);
    }

    // Events cannot touch another purchase's decision, nor skip steps by naming one.
    let victim = clean["offers"][0]["decisionId"].clone();
    let attacker = token_for(&input_data("ref-attacker", &[PHONE]));
    let (s, _) = c
        .event(
            &attacker,
            json!({"decisionId": victim, "event": "accepted", "status": "processed"}),
        )
        .await;
    assert_eq!(s, 404);
    let token0 = token_for(&input_data(&reference(0), &[PHONE]));
    let (s, _) = c
        .event(&token0, json!({"decisionId": victim, "event": "declined", "nextStepOnDecline": "final", "stepId": "final"}))
        .await;
    assert_eq!(s, 200);
    let (_, b) = c.offer(&token0, json!({})).await;
    assert_eq!(b["offers"][0]["stepId"], "downsell");
    // Bad event bodies.
    for bad in [
        json!({"event": "declined"}),
        json!({"decisionId": victim, "event": "bought"}),
        json!({"decisionId": victim, "event": "accepted", "status": "done"}),
        json!({"decisionId": victim, "event": "accepted", "errors": "nope"}),
    ] {
        assert_eq!(c.event(&token0, bad.clone()).await.0, 400, "{bad}");
    }
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_tokens_are_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let runner = ScriptedRunner::new();
    let server = start(&db, runner.clone()).await;
    let c = Client::new(&server);
    setup_shop(&c).await;
    let input = input_data("ref-bad", &[PHONE]);
    let t = now();
    let claims = |patch: Value| {
        let mut base = json!({"iss": "shopify", "sub": "ref-bad", "iat": t - 5, "exp": t + 600, "input_data": input});
        for (k, v) in patch.as_object().unwrap() {
            if v.is_null() {
                base.as_object_mut().unwrap().remove(k);
            } else {
                base[k] = v.clone();
            }
        }
        base
    };
    let good = sign(&claims(json!({})), SECRET);
    let mut forged = good.clone();
    forged.pop();
    forged.push(if good.ends_with('A') { 'B' } else { 'A' });
    let (h, p, _) = {
        let parts: Vec<&str> = good.split('.').collect();
        (
            parts[0].to_string(),
            parts[1].to_string(),
            parts[2].to_string(),
        )
    };
    let hs512 = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS512),
        &claims(json!({})),
        &jsonwebtoken::EncodingKey::from_secret(SECRET.as_bytes()),
    )
    .unwrap();
    let none_alg = format!("eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.{p}.");
    let cases: Vec<(&str, String)> = vec![
        ("forged signature", forged),
        ("wrong secret", sign(&claims(json!({})), "another-secret")),
        (
            "expired",
            sign(&claims(json!({"iat": t - 7200, "exp": t - 3600})), SECRET),
        ),
        (
            "not yet valid",
            sign(&claims(json!({"nbf": t + 3600})), SECRET),
        ),
        (
            "issued in the future",
            sign(&claims(json!({"iat": t + 3600})), SECRET),
        ),
        ("no exp", sign(&claims(json!({"exp": null})), SECRET)),
        ("no iat", sign(&claims(json!({"iat": null})), SECRET)),
        (
            "wrong issuer",
            sign(&claims(json!({"iss": "someone"})), SECRET),
        ),
        (
            "wrong audience",
            sign(&claims(json!({"aud": "another-app"})), SECRET),
        ),
        (
            "sub mismatch",
            sign(&claims(json!({"sub": "ref-other"})), SECRET),
        ),
        (
            "no input_data",
            sign(&claims(json!({"input_data": null})), SECRET),
        ),
        (
            "input_data without purchase",
            sign(
                &claims(json!({"input_data": {"shop": {"domain": SHOP}}})),
                SECRET,
            ),
        ),
        ("HS512", hs512),
        ("alg none", none_alg),
        ("two parts", format!("{h}.{p}")),
        ("garbage", "not-a-jwt".into()),
        ("empty", String::new()),
    ];
    for (what, token) in &cases {
        let (s, b) = c.offer(token, json!({})).await;
        assert_eq!(s, 401, "{what}: {b}");
        assert_eq!(b["error"], "invalid_token", "{what}");
        let (s, _) = c
            .event(token, json!({"decisionId": "x", "event": "shown"}))
            .await;
        assert_eq!(s, 401, "{what}");
    }
    // No header at all, or not a bearer.
    assert_eq!(
        c.post_raw("/api/post-purchase/offer", None, b"{}".to_vec())
            .await
            .0,
        401
    );
    let r = c
        .http
        .post(format!("{}/api/post-purchase/offer", c.base))
        .header("authorization", format!("Basic {good}"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(runner.runs(), 0);
    assert_eq!(summary(&c).await["decisions"], 0);
    // A matching audience is fine; the good token works.
    let with_aud = sign(&claims(json!({"aud": API_KEY})), SECRET);
    assert_eq!(c.offer(&with_aud, json!({})).await.0, 200);
    assert_eq!(c.offer(&good, json!({})).await.0, 200);
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_oversized_unknown_and_failing() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let runner = ScriptedRunner::new();
    let server = start(&db, runner.clone()).await;
    let c = Client::new(&server);
    setup_shop(&c).await;
    let token = token_for(&input_data("ref-misc", &[PHONE]));

    let (s, b) = c
        .post_raw(
            "/api/post-purchase/offer",
            Some(&token),
            b"{\"a\": ".to_vec(),
        )
        .await;
    assert_eq!(s, 400);
    assert_eq!(b["error"], "malformed_json");
    assert!(b["message"].as_str().unwrap().contains("EOF"), "{b}");
    let (s, b) = c
        .post_raw("/api/post-purchase/events", Some(&token), b"nope".to_vec())
        .await;
    assert_eq!((s, b["error"].as_str()), (400, Some("malformed_json")));
    // Post-purchase bodies carry the token: their limit is the largest token's, not
    // ENCORE_BODY_LIMIT (65,536 here), which admin bodies keep.
    let big = format!("{{\"pad\": \"{}\"}}", "x".repeat(70_000));
    let (s, b) = c
        .post_raw(
            "/api/post-purchase/offer",
            Some(&token),
            big.clone().into_bytes(),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let r = c
        .http
        .put(format!("{}/api/customers?shop={SHOP}", c.base))
        .bearer_auth(ADMIN)
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 413);
    let b: Value = r.json().await.unwrap();
    assert_eq!(b["error"], "body_too_large", "{b}");
    let over = format!(
        "{{\"pad\": \"{}\"}}",
        "x".repeat(encore_server::purchase_request::BODY_LIMIT)
    );
    let (s, b) = c
        .post_raw("/api/post-purchase/offer", Some(&token), over.into_bytes())
        .await;
    assert_eq!(
        (s, b["error"].as_str()),
        (413, Some("body_too_large")),
        "{b}"
    );
    // An empty body is fine.
    assert_eq!(
        c.post_raw("/api/post-purchase/offer", Some(&token), vec![])
            .await
            .0,
        200
    );

    // Unknown shop.
    let mut other = input_data("ref-other-shop", &[PHONE]);
    other["shop"]["domain"] = json!("nobody.myshopify.com");
    let (s, b) = c.offer(&token_for(&other), json!({})).await;
    assert_eq!((s, b["error"].as_str()), (404, Some("unknown_shop")));
    assert_eq!(
        c.admin_get("/api/campaigns?shop=nobody.myshopify.com")
            .await
            .0,
        404
    );
    assert_eq!(c.admin_get("/nothing-here").await.0, 404);

    // A Function over its limits: no offer, a reason, 200, nothing stored (a retry runs again).
    let token = token_for(&input_data("ref-limit", &[("999", "9990", "20.00")]));
    for _ in 0..2 {
        let (s, b) = c.offer(&token, json!({})).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["render"], false);
        assert_eq!(b["reasons"][0]["code"], "FUNCTION_LIMIT_EXCEEDED");
    }
    // A runner that panics (the host never should): no offer, a reason, the server lives on.
    refused(
        &c,
        "ref-panic",
        "997",
        "FUNCTION_FAILED",
        "panicked: scripted panic",
    )
    .await;
    // A Function whose changes cannot be signed: no offer.
    refused(
        &c,
        "ref-invalid",
        "998",
        "FUNCTION_OUTPUT_INVALID",
        "discount.value",
    )
    .await;
    // A Function whose offer does not read: no offer, and nothing signed or stored.
    refused(
        &c,
        "ref-cut-offer",
        "995",
        "FUNCTION_OUTPUT_INVALID",
        "not an offer record",
    )
    .await;
    // A Function whose reasons do not read: no offer, and no decision stored without them.
    refused(
        &c,
        "ref-cut-reasons",
        "996",
        "FUNCTION_OUTPUT_INVALID",
        "not reason records",
    )
    .await;
    let sum = summary(&c).await;
    assert_eq!(
        sum["decisions"], 1,
        "only ref-misc's decision is stored: {sum}"
    );

    // Admin routes need the admin token.
    let r = c
        .http
        .get(format!("{}/api/campaigns?shop={SHOP}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    let r = c
        .http
        .get(format!("{}/api/analytics/summary?shop={SHOP}", c.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);

    // Health, readiness, CORS preflight with a request id.
    let r = c
        .http
        .get(format!("{}/healthz", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    let r = c
        .http
        .get(format!("{}/readyz", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let r = c
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/post-purchase/offer", c.base),
        )
        .header("origin", "https://checkout.shopify.com")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let runner = ScriptedRunner::new();
        let server = start(&db, runner.clone()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let token = token_for(&input_data("ref-restart", &[PHONE]));
        let (_, b) = c.offer(&token, json!({})).await;
        let first = b["offers"][0].clone();
        c.event(
            &token,
            json!({"decisionId": first["decisionId"], "event": "declined"}),
        )
        .await;
        server.stop().await;

        let runner2 = ScriptedRunner::new();
        let server = start(&db, runner2.clone()).await;
        let c = Client::new(&server);
        let (_, b) = c.offer(&token, json!({})).await;
        assert_eq!(b["offers"][0]["stepId"], "downsell", "{db:?}");
        assert_eq!(funnel_echo(&b["offers"][0])["offersShown"], 1);
        let sum = summary(&c).await;
        assert_eq!(sum["decisions"], 2);
        assert_eq!(sum["declined"], 1);
        // A retried event for the pre-restart decision still does not double count.
        c.event(
            &token,
            json!({"decisionId": first["decisionId"], "event": "declined"}),
        )
        .await;
        assert_eq!(summary(&c).await["declined"], 1);
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn campaign_configs_are_validated_versioned_and_live() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let runner = ScriptedRunner::new();
        let server = start(&db, runner.clone()).await;
        let c = Client::new(&server);
        setup_shop(&c).await;
        let path = format!("/api/campaigns?shop={SHOP}");
        let (s, b) = c.admin_get(&path).await;
        assert_eq!((s, &b["version"]), (200, &Value::Null));

        let good = valid_config("first");
        let (s, b) = c.admin_put(&path, good.clone()).await;
        assert_eq!(s, 200, "{b}");
        assert_eq!(b["version"], 1);
        let bad = json!({"version": 1, "campaigns": [{"id": "c1", "status": "sometimes", "steps": [{"id": "s1", "offer": {"products": [], "discount": {"percent": 250}}}]}]});
        let (s, b) = c.admin_put(&path, bad).await;
        assert_eq!(s, 422, "{b}");
        assert_eq!(b["error"], "invalid_config");
        let faults = b["faults"].as_array().unwrap();
        assert!(faults.len() >= 2, "{b}");
        assert!(
            faults
                .iter()
                .all(|f| f["path"].as_str().unwrap().starts_with("$.")),
            "{b}"
        );
        assert!(
            faults
                .iter()
                .any(|f| f["path"].as_str().unwrap().contains("campaigns[0]")),
            "{b}"
        );
        let (s, b) = c.admin_get(&path).await;
        assert_eq!((s, &b["version"], &b["config"]), (200, &json!(1), &good));

        let second = valid_config("second");
        let (_, b) = c.admin_put(&path, second.clone()).await;
        assert_eq!(b["version"], 2);
        let (_, b) = c
            .admin_get(&format!("/api/campaigns/versions?shop={SHOP}"))
            .await;
        assert_eq!(b["versions"].as_array().unwrap().len(), 2);
        let (_, b) = c
            .admin_get(&format!("/api/campaigns/versions/1?shop={SHOP}"))
            .await;
        assert_eq!(b["config"], good);

        // The live config reaches the Function compiled for the shop currency, as the
        // metafield's value.
        let token = token_for(&input_data("ref-config", &[PHONE]));
        c.offer(&token, json!({})).await;
        let input = runner.inputs.lock().unwrap().last().unwrap().clone();
        let compiled = encore_engine::compiled::compile(
            &encore_engine::config::canonical_order(&second),
            "USD",
        );
        assert_eq!(input["shop"]["metafield"]["value"], compiled);
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_input_over_the_unscaled_limit_is_still_answered() {
    // Runs of inputs within Shopify's unscaled input limit stay on the request's worker; a
    // larger one (here a suggested product with 800 long-titled variants) goes to the
    // blocking pool. Either way the buyer gets an answer.
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let runner = ScriptedRunner::new();
    let server = start(&db, runner.clone()).await;
    let c = Client::new(&server);
    setup_shop(&c).await;
    // In four requests: each stays under the admin body limit.
    for part in 0..4 {
        let variants: Vec<Value> = (part * 200..(part + 1) * 200)
            .map(|i| json!({"id": format!("9{i:04}"), "title": "x".repeat(200), "price": "1.00"}))
            .collect();
        let (s, b) = c
            .admin_put(
                &format!("/api/catalog?shop={SHOP}"),
                json!({"products": [{"id": "big", "title": "Big", "variants": variants}]}),
            )
            .await;
        assert_eq!(s, 200, "{b}");
    }
    let (s, b) = c
        .admin_put(
            &format!("/api/co-purchases?shop={SHOP}"),
            json!({"pairs": [{"productId": "1", "suggestedProductId": "big", "liftPermille": 3000}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let token = token_for(&input_data("ref-large", &[PHONE]));
    let (s, b) = c.offer(&token, json!({})).await;
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["render"], true, "{b}");
    let input = runner.inputs.lock().unwrap().last().unwrap().clone();
    assert_eq!(facts_of(&input)["catalog"].as_array().unwrap().len(), 800);
    let size = encore_app::input::FunctionInput::from_json(&input)
        .unwrap()
        .msgpack()
        .len();
    assert!(
        size > encore_host::Limits::shopify().input_bytes,
        "the premise: {size} B is over the unscaled limit"
    );
    server.stop().await;
}

fn valid_config(id: &str) -> Value {
    json!({
        "version": 1,
        "campaigns": [{
            "id": id,
            "status": "active",
            "priority": 10,
            "triggers": {"products": ["1"]},
            "steps": [{"id": "s1", "offer": {"products": ["111"], "discount": {"percent": 20}}}]
        }]
    })
}

#[allow(dead_code)]
fn _assert_send(_: Arc<ScriptedRunner>) {}
