//! Operations over real HTTP: `/metrics` counting offers (the real Function's instructions),
//! webhooks and refusals; retention pruning rows at controlled ages on SQLite and PostgreSQL;
//! customer data requests in Shopify's example payload shape, answered with an export.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use common::*;
use encore_app::host_runner::HostRunner;
use encore_server::settings::{demo, Settings};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use sqlx::Row;

const PHONE: (&str, &str, &str) = ("1", "101", "500.00");
const DAY: i64 = 86_400;

// ---- helpers ----------------------------------------------------------------------------

fn hmac_of(body: &[u8], secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// Delivers a webhook signed with `secret` (or with `signature` as given).
async fn deliver(
    c: &Client,
    shop: &str,
    topic: &str,
    id: &str,
    body: &Value,
    secret: &str,
    signature: Option<&str>,
) -> (u16, Value) {
    let bytes = body.to_string().into_bytes();
    let sig = signature.map_or_else(|| hmac_of(&bytes, secret), str::to_owned);
    let r = c
        .http
        .post(format!("{}/webhooks/shopify", c.base))
        .header("content-type", "application/json")
        .header("x-shopify-topic", topic)
        .header("x-shopify-shop-domain", shop)
        .header("x-shopify-webhook-id", id)
        .header("x-shopify-hmac-sha256", sig)
        .body(bytes)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn get_with(c: &Client, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut req = c.http.get(format!("{}{}", c.base, path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap()
}

/// The scraped metrics text.
async fn scrape(c: &Client, token: &str) -> String {
    let r = get_with(c, "/metrics", Some(token)).await;
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "text/plain; version=0.0.4; charset=utf-8"
    );
    r.text().await.unwrap()
}

/// The value of one series (name with its exact label set), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .map_or(0.0, |v| v.parse().unwrap())
}

fn real_runner() -> Arc<HostRunner> {
    let function = std::env::var("ENCORE_FUNCTION_WASM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            encore_app::host_runner::default_artifact_dir().join("encore-offer.wasm")
        });
    let provider = std::env::var("ENCORE_PROVIDER_WASM")
        .ok()
        .map(std::path::PathBuf::from);
    Arc::new(
        HostRunner::load(&function, provider.as_deref()).unwrap_or_else(|e| {
            panic!("{e}\n(the real-Function tests need scripts/build-wasm.sh's artifacts)")
        }),
    )
}

/// A Shopify-style token for the demo shop's phone sample (its offer is a phone case).
fn demo_phone_token(reference: &str) -> String {
    let samples: Value = serde_json::from_str(encore_server::demo::PURCHASES).unwrap();
    let sample = samples["purchases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "phone")
        .unwrap();
    let mut purchase = sample["initialPurchase"].clone();
    purchase["referenceId"] = json!(reference);
    let t = now();
    sign(
        &json!({
            "iss": "shopify", "sub": reference, "iat": t - 2, "exp": t + 3600,
            "input_data": {
                "extensionPoint": "Checkout::PostPurchase::ShouldRender",
                "initialPurchase": purchase, "locale": "en",
                "shop": {"id": 1, "domain": demo::SHOP, "metafields": []}, "version": "unstable"
            }
        }),
        demo::API_SECRET,
    )
}

/// Test settings with the background pruner off (tests prune when they choose).
fn quiet_settings(db: &Db) -> Settings {
    let mut s = settings(db);
    s.app.retention.every = None;
    s
}

/// A second connection to the server's database, to age rows and look for orphans.
async fn database(db: &Db) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url())
        .await
        .unwrap()
}

/// Moves a purchase's decisions, events and funnel `days` into the past.
async fn age_purchase(pool: &sqlx::AnyPool, reference: &str, days: i64) {
    let at = now() - days * DAY;
    for sql in [
        "UPDATE events SET created_at = $1 WHERE decision_id IN \
         (SELECT id FROM decisions WHERE reference_id = $2)",
        "UPDATE decisions SET created_at = $1 WHERE reference_id = $2",
        "UPDATE funnels SET updated_at = $1 WHERE reference_id = $2",
    ] {
        sqlx::query(sql)
            .bind(at)
            .bind(reference)
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn count(pool: &sqlx::AnyPool, sql: &str) -> i64 {
    sqlx::query(sql)
        .fetch_one(pool)
        .await
        .unwrap()
        .get::<i64, _>(0)
}

async fn prune_now(c: &Client) -> Value {
    let r = c
        .http
        .post(format!("{}/api/retention/prune", c.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    let b: Value = r.json().await.unwrap();
    assert_eq!(s, 200, "{b}");
    b
}

fn purchase_of(reference: &str, customer: Option<u64>) -> Value {
    let mut input = input_data(reference, &[PHONE]);
    input["initialPurchase"]["customerId"] = json!(customer);
    input
}

/// Shopify's example `customers/data_request` payload for `customer` and request `id`.
fn data_request_payload(customer: u64, id: u64) -> Value {
    let mut p: Value =
        serde_json::from_str(include_str!("fixtures/shopify/customers-data-request.json")).unwrap();
    p["shop_domain"] = json!(SHOP);
    p["customer"]["id"] = json!(customer);
    p["data_request"]["id"] = json!(id);
    p
}

// ---- metrics ----------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_real_function_runs_requests_by_route_and_webhook_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let vars: HashMap<String, String> = [
        ("ENCORE_DATABASE_URL".to_string(), db.url()),
        ("ENCORE_LISTEN".to_string(), "127.0.0.1:0".to_string()),
        (
            "ENCORE_METRICS_TOKEN".to_string(),
            "scrape-token".to_string(),
        ),
        ("ENCORE_RETENTION_EVERY_MINUTES".to_string(), "never".into()),
    ]
    .into_iter()
    .collect();
    let settings = Settings::from_vars(&vars, true).unwrap();
    let server = encore_server::start(settings, real_runner()).await.unwrap();
    let c = Client::new(&server);

    // Protected: no token and a wrong token are refused; the metrics token and the admin
    // token are both accepted.
    let r = get_with(&c, "/metrics", None).await;
    assert_eq!(r.status().as_u16(), 401);
    let r = get_with(&c, "/metrics", Some("not-the-token")).await;
    assert_eq!(r.status().as_u16(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "invalid_metrics_token");
    let before = scrape(&c, demo::ADMIN_TOKEN).await;
    let offers = r#"encore_http_requests_total{method="POST",route="/api/post-purchase/offer",status="200"}"#;
    let refused = r#"encore_http_requests_total{method="GET",route="/metrics",status="401"}"#;
    assert_eq!(sample(&before, refused), 2.0, "{before}");
    assert_eq!(sample(&before, offers), 0.0);
    assert_eq!(sample(&before, "encore_function_instructions_count"), 0.0);

    // An offer through the real Function: one run with an offer, its instructions counted.
    let token = demo_phone_token("metrics-1");
    let (s, b) = c.offer(&token, json!({})).await;
    assert_eq!((s, &b["render"]), (200, &json!(true)), "{b}");
    // A retry answers from the stored decision: a request, not a run.
    let (s, _) = c.offer(&token, json!({})).await;
    assert_eq!(s, 200);
    let after = scrape(&c, "scrape-token").await;
    assert_eq!(sample(&after, offers), 2.0, "{after}");
    assert_eq!(
        sample(
            &after,
            r#"encore_http_request_duration_seconds_count{method="POST",route="/api/post-purchase/offer"}"#
        ),
        2.0
    );
    assert_eq!(
        sample(&after, r#"encore_function_runs_total{outcome="offer"}"#),
        1.0
    );
    assert_eq!(sample(&after, "encore_function_instructions_count"), 1.0);
    let instructions = sample(&after, "encore_function_instructions_sum");
    // The phone sample costs the real Function a few hundred thousand instructions; far from
    // zero and far below Shopify's 11 million.
    assert!(
        (10_000.0..11_000_000.0).contains(&instructions),
        "{instructions}"
    );

    // Routes are their patterns, never raw paths; an unknown path is "unmatched".
    let r = get_with(
        &c,
        &format!("/api/campaigns/versions/1?shop={}", demo::SHOP),
        Some(demo::ADMIN_TOKEN),
    )
    .await;
    assert_eq!(r.status().as_u16(), 200);
    let r = get_with(&c, "/no/such/route-4711", None).await;
    assert_eq!(r.status().as_u16(), 404);
    let text = scrape(&c, "scrape-token").await;
    assert_eq!(
        sample(
            &text,
            r#"encore_http_requests_total{method="GET",route="/api/campaigns/versions/{version}",status="200"}"#
        ),
        1.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"encore_http_requests_total{method="GET",route="unmatched",status="404"}"#
        ),
        1.0
    );
    assert!(!text.contains("4711") && !text.contains("versions/1\""));

    // Webhooks: handled, the same delivery again, a forged signature, a verified delivery
    // that cannot be read.
    let edited = shopify_sim::payloads::example("orders/edited").unwrap();
    let series = |topic: &str, outcome: &str| {
        format!(r#"encore_webhooks_total{{topic="{topic}",outcome="{outcome}"}}"#)
    };
    assert_eq!(sample(&text, &series("orders/edited", "handled")), 0.0);
    let shop = demo::SHOP;
    let secret = demo::API_SECRET;
    let (s, _) = deliver(&c, shop, "orders/edited", "m-1", &edited, secret, None).await;
    assert_eq!(s, 200);
    let (s, _) = deliver(&c, shop, "orders/edited", "m-1", &edited, secret, None).await;
    assert_eq!(s, 200);
    let forged = hmac_of(edited.to_string().as_bytes(), "not-the-secret");
    let (s, _) = deliver(
        &c,
        shop,
        "orders/edited",
        "m-2",
        &edited,
        secret,
        Some(&forged),
    )
    .await;
    assert_eq!(s, 401);
    let (s, _) = deliver(&c, shop, "made/up", "m-3", &edited, secret, Some(&forged)).await;
    assert_eq!(s, 401);
    let unreadable = json!({"shop_domain": shop});
    let (s, _) = deliver(
        &c,
        shop,
        "customers/data_request",
        "m-4",
        &unreadable,
        secret,
        None,
    )
    .await;
    assert_eq!(s, 400);
    let text = scrape(&c, "scrape-token").await;
    assert_eq!(sample(&text, &series("orders/edited", "handled")), 1.0);
    assert_eq!(sample(&text, &series("orders/edited", "duplicate")), 1.0);
    assert_eq!(sample(&text, &series("orders/edited", "bad_hmac")), 1.0);
    assert_eq!(sample(&text, &series("other", "bad_hmac")), 1.0);
    assert_eq!(
        sample(&text, &series("customers/data_request", "error")),
        1.0
    );
    assert!(
        !text.contains("made/up"),
        "unverified topics are not labels"
    );

    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_function_failures_by_code_and_no_instructions_a_runner_did_not_count() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let server = encore_server::start(quiet_settings(&db), ScriptedRunner::new())
        .await
        .unwrap();
    let c = Client::new(&server);
    setup_shop(&c).await;
    // The scripted Function goes over its limits for product 999 and returns changes that
    // cannot be signed for product 998.
    for (reference, product) in [("f-1", "999"), ("f-2", "999"), ("f-3", "998")] {
        let input = input_data(reference, &[(product, "9", "1.00")]);
        let (s, b) = c.offer(&token_for(&input), json!({})).await;
        assert_eq!((s, &b["render"]), (200, &json!(false)), "{b}");
    }
    let (s, _) = c
        .offer(&token_for(&input_data("f-4", &[PHONE])), json!({}))
        .await;
    assert_eq!(s, 200);
    let text = scrape(&c, ADMIN).await;
    assert_eq!(
        sample(
            &text,
            r#"encore_function_failures_total{code="FUNCTION_LIMIT_EXCEEDED"}"#
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            r#"encore_function_failures_total{code="FUNCTION_OUTPUT_INVALID"}"#
        ),
        1.0
    );
    assert_eq!(
        sample(&text, r#"encore_function_runs_total{outcome="failed"}"#),
        3.0
    );
    assert_eq!(
        sample(&text, r#"encore_function_runs_total{outcome="offer"}"#),
        1.0
    );
    assert_eq!(
        sample(&text, "encore_function_instructions_count"),
        0.0,
        "the scripted runner counts no instructions, so none are reported"
    );
    server.stop().await;
}

// ---- retention --------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retention_prunes_whole_purchases_past_the_window_and_keeps_everything_newer() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = encore_server::start(quiet_settings(&db), ScriptedRunner::new())
            .await
            .unwrap();
        let c = Client::new(&server);
        setup_shop(&c).await;
        let pool = database(&db).await;

        // "walked": upsell shown and declined, then the downsell: 2 decisions, 2 events and a
        // funnel row, all 401 days old.
        let walked = token_for(&purchase_of("walked", Some(5001)));
        let (_, b) = c.offer(&walked, json!({})).await;
        let first = b["offers"][0]["decisionId"].clone();
        for event in ["shown", "declined"] {
            let (s, _) = c
                .event(&walked, json!({"decisionId": first, "event": event}))
                .await;
            assert_eq!(s, 200);
        }
        let (_, b) = c.offer(&walked, json!({})).await;
        assert_eq!(b["offers"][0]["stepId"], "downsell");
        age_purchase(&pool, "walked", 401).await;
        // More old purchases than one batch holds, so pruning has to go on to the next.
        for i in 0..230 {
            let (s, _) = c
                .offer(
                    &token_for(&purchase_of(&format!("bulk-{i}"), None)),
                    json!({}),
                )
                .await;
            assert_eq!(s, 200);
        }
        sqlx::query("UPDATE decisions SET created_at = $1 WHERE reference_id LIKE 'bulk-%'")
            .bind(now() - 500 * DAY)
            .execute(&pool)
            .await
            .unwrap();
        // "inside": 399 days old, inside the 400-day window.
        let (s, _) = c
            .offer(&token_for(&purchase_of("inside", None)), json!({}))
            .await;
        assert_eq!(s, 200);
        age_purchase(&pool, "inside", 399).await;
        // "straddling": its first decision and its funnel's move are old, its second decision
        // is from today.
        let straddling = token_for(&purchase_of("straddling", None));
        let (_, b) = c.offer(&straddling, json!({})).await;
        let (s, _) = c
            .event(
                &straddling,
                json!({"decisionId": b["offers"][0]["decisionId"], "event": "declined"}),
            )
            .await;
        assert_eq!(s, 200);
        let (_, b) = c.offer(&straddling, json!({})).await;
        let straddling_second = b["offers"][0]["decisionId"].clone();
        for sql in [
            "UPDATE decisions SET created_at = $1 WHERE reference_id = 'straddling' AND seq = 0",
            "UPDATE funnels SET updated_at = $1 WHERE reference_id = 'straddling'",
        ] {
            sqlx::query(sql)
                .bind(now() - 800 * DAY)
                .execute(&pool)
                .await
                .unwrap();
        }
        // "answered-late": its only decision is old, but the buyer declined it today.
        let late = token_for(&purchase_of("answered-late", None));
        let (_, b) = c.offer(&late, json!({})).await;
        let late_decision = b["offers"][0]["decisionId"].clone();
        age_purchase(&pool, "answered-late", 800).await;
        let (s, _) = c
            .event(
                &late,
                json!({"decisionId": late_decision, "event": "declined"}),
            )
            .await;
        assert_eq!(s, 200);
        // Webhook receipts 31 and 29 days old; data requests 91 and 89 days old.
        for id in ["r-old", "r-new"] {
            let edited = shopify_sim::payloads::example("orders/edited").unwrap();
            let (s, _) = deliver(&c, SHOP, "orders/edited", id, &edited, SECRET, None).await;
            assert_eq!(s, 200);
        }
        for id in [1, 2] {
            let body = data_request_payload(5001, id);
            let (s, _) = deliver(
                &c,
                SHOP,
                "customers/data_request",
                &format!("dr-{id}"),
                &body,
                SECRET,
                None,
            )
            .await;
            assert_eq!(s, 200);
        }
        for (sql, days) in [
            (
                "UPDATE webhook_receipts SET received_at = $1 WHERE webhook_id = 'r-old'",
                31,
            ),
            (
                "UPDATE webhook_receipts SET received_at = $1 WHERE webhook_id = 'r-new'",
                29,
            ),
            (
                "UPDATE data_requests SET received_at = $1 WHERE request_id = '1'",
                91,
            ),
            (
                "UPDATE data_requests SET received_at = $1 WHERE request_id = '2'",
                89,
            ),
        ] {
            sqlx::query(sql)
                .bind(now() - days * DAY)
                .execute(&pool)
                .await
                .unwrap();
        }

        let b = prune_now(&c).await;
        assert_eq!(
            b["pruned"],
            json!({"decisions": 232, "events": 2, "funnels": 1, "webhookReceipts": 1, "dataRequests": 1,
                   "attributionOrders": 0, "refundLines": 0, "orderEditAdditions": 0}),
            "{db:?}"
        );
        assert_eq!(
            b["windowsDays"],
            json!({"decisions": 400, "webhookReceipts": 30, "dataRequests": 90})
        );
        // Nothing is left half-pruned: no event without its decision, no funnel without its
        // purchase's decisions.
        assert_eq!(
            count(
                &pool,
                "SELECT COUNT(*) FROM events e WHERE NOT EXISTS \
                 (SELECT 1 FROM decisions d WHERE d.id = e.decision_id)"
            )
            .await,
            0
        );
        assert_eq!(
            count(
                &pool,
                "SELECT COUNT(*) FROM funnels f WHERE NOT EXISTS (SELECT 1 FROM decisions d \
                 WHERE d.shop = f.shop AND d.reference_id = f.reference_id)"
            )
            .await,
            0
        );
        let (s, summary) = c
            .admin_get(&format!("/api/analytics/summary?shop={SHOP}"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(
            summary["decisions"], 4,
            "inside, straddling's two, answered-late: {summary}"
        );

        // The straddling purchase is whole: a retry answers its stored second decision.
        let (_, b) = c.offer(&straddling, json!({})).await;
        assert_eq!(b["offers"][0]["decisionId"], straddling_second);
        // The purchase answered today goes on to its next step.
        let (_, b) = c.offer(&late, json!({})).await;
        assert_eq!(b["offers"][0]["stepId"], "downsell");
        // The pruned purchase starts over from its first step, as a new purchase would.
        let (_, b) = c.offer(&walked, json!({})).await;
        assert_eq!(b["offers"][0]["stepId"], "upsell");
        assert_ne!(b["offers"][0]["decisionId"], first);
        // A pruned receipt no longer stops a redelivery; a kept one does.
        let edited = shopify_sim::payloads::example("orders/edited").unwrap();
        let (_, b) = deliver(&c, SHOP, "orders/edited", "r-old", &edited, SECRET, None).await;
        assert_eq!(b["duplicate"], Value::Null, "{b}");
        let (_, b) = deliver(&c, SHOP, "orders/edited", "r-new", &edited, SECRET, None).await;
        assert_eq!(b["duplicate"], true);
        let (_, list) = c
            .admin_get(&format!("/api/data-requests?shop={SHOP}"))
            .await;
        assert_eq!(list["dataRequests"].as_array().unwrap().len(), 1);
        assert_eq!(list["dataRequests"][0]["id"], "2");

        // Pruned rows are counted; a second run finds nothing.
        let text = scrape(&c, ADMIN).await;
        assert_eq!(
            sample(
                &text,
                r#"encore_retention_pruned_rows_total{table="decisions"}"#
            ),
            232.0
        );
        assert_eq!(
            sample(
                &text,
                r#"encore_retention_pruned_rows_total{table="events"}"#
            ),
            2.0
        );
        let b = prune_now(&c).await;
        assert_eq!(
            b["pruned"],
            json!({"decisions": 0, "events": 0, "funnels": 0, "webhookReceipts": 0, "dataRequests": 0,
                   "attributionOrders": 0, "refundLines": 0, "orderEditAdditions": 0})
        );
        pool.close().await;
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_background_task_prunes_without_being_asked() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let mut settings = settings(&db);
    settings.app.retention.every = Some(Duration::from_millis(200));
    let server = encore_server::start(settings, ScriptedRunner::new())
        .await
        .unwrap();
    let c = Client::new(&server);
    setup_shop(&c).await;
    let pool = database(&db).await;
    let (s, _) = c
        .offer(&token_for(&purchase_of("old", None)), json!({}))
        .await;
    assert_eq!(s, 200);
    age_purchase(&pool, "old", 401).await;
    let mut pruned = 0.0;
    for _ in 0..100 {
        let text = scrape(&c, ADMIN).await;
        pruned = sample(
            &text,
            r#"encore_retention_pruned_rows_total{table="decisions"}"#,
        );
        if pruned > 0.0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(pruned, 1.0);
    assert_eq!(count(&pool, "SELECT COUNT(*) FROM decisions").await, 0);
    pool.close().await;
    server.stop().await;
}

// ---- customer data requests -------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_customer_data_request_is_answered_with_what_encore_holds_on_the_customer() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = encore_server::start(quiet_settings(&db), ScriptedRunner::new())
            .await
            .unwrap();
        let c = Client::new(&server);
        setup_shop(&c).await;

        // Customer 5001: "accepted" (offer shown and accepted) and "open" (offered only);
        // customer 6002: "someone-else".
        let accepted = token_for(&purchase_of("accepted", Some(5001)));
        let (_, b) = c.offer(&accepted, json!({})).await;
        let decision = b["offers"][0]["decisionId"].clone();
        for (event, status) in [("shown", Value::Null), ("accepted", json!("processed"))] {
            let (s, _) = c
                .event(
                    &accepted,
                    json!({"decisionId": decision, "event": event, "status": status}),
                )
                .await;
            assert_eq!(s, 200);
        }
        for (reference, customer) in [("open", 5001), ("someone-else", 6002)] {
            let (s, _) = c
                .offer(
                    &token_for(&purchase_of(reference, Some(customer))),
                    json!({}),
                )
                .await;
            assert_eq!(s, 200);
        }

        // A verified payload without the request's id is refused and not taken as handled:
        // the same delivery with the whole payload is then handled.
        let payload = data_request_payload(5001, 9999);
        let mut partial = payload.clone();
        partial.as_object_mut().unwrap().remove("data_request");
        let topic = "customers/data_request";
        let (s, b) = deliver(&c, SHOP, topic, "d-1", &partial, SECRET, None).await;
        assert_eq!((s, &b["error"]), (400, &json!("bad_request")), "{b}");
        let (s, b) = deliver(&c, SHOP, topic, "d-1", &payload, SECRET, None).await;
        assert_eq!((s, &b["duplicate"]), (200, &Value::Null), "{b}");
        let (s, b) = deliver(&c, SHOP, topic, "d-1", &payload, SECRET, None).await;
        assert_eq!((s, &b["duplicate"]), (200, &json!(true)));

        let (s, list) = c
            .admin_get(&format!("/api/data-requests?shop={SHOP}"))
            .await;
        assert_eq!(s, 200, "{list}");
        let listed = &list["dataRequests"];
        assert_eq!(listed.as_array().unwrap().len(), 1);
        assert_eq!(listed[0]["id"], "9999");
        assert_eq!(listed[0]["customerId"], "5001");
        assert_eq!(
            listed[0]["ordersRequested"],
            json!(["299938", "280263", "220458"])
        );

        let path = format!("/api/data-requests/9999?shop={SHOP}");
        let r = get_with(&c, &path, None).await;
        assert_eq!(r.status().as_u16(), 401, "the export needs the admin token");
        let (s, export) = c.admin_get(&path).await;
        assert_eq!(s, 200, "{export}");
        assert_eq!(export["shop"], SHOP);
        assert_eq!(export["dataRequest"]["id"], "9999");
        assert_eq!(
            export["customer"],
            json!({"id": "5001", "tags": ["vip"], "numberOfOrders": 3, "amountSpent": {"amount": "812.50"}})
        );
        let text = export.to_string();
        assert!(
            !text.contains("john@example.com") && !text.contains("555-625-1199"),
            "the payload's email and phone are not kept"
        );
        let purchases = export["purchases"].as_array().unwrap();
        let references: Vec<&str> = purchases
            .iter()
            .map(|p| p["referenceId"].as_str().unwrap())
            .collect();
        assert_eq!(
            references,
            ["accepted", "open"],
            "only the customer's purchases"
        );
        let p = &purchases[0];
        assert_eq!(p["funnel"]["seq"], 1);
        assert_eq!(p["funnel"]["stepId"], "final");
        let d = &p["decisions"][0];
        assert_eq!(d["id"], decision);
        assert_eq!(d["offered"], true);
        assert_eq!(d["outcome"], "accepted");
        assert_eq!(d["offerAmount"], "16.00");
        assert_eq!(d["offer"]["products"][0]["variantId"], "111");
        assert_eq!(d["reasons"][0]["code"], "TRIGGER_PRODUCTS_NOT_MATCHED");
        let events: Vec<(&str, &Value)> = d["events"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| (e["event"].as_str().unwrap(), &e["status"]))
            .collect();
        assert_eq!(
            events,
            [("shown", &Value::Null), ("accepted", &json!("processed"))]
        );
        assert_eq!(purchases[1]["funnel"], Value::Null);
        assert_eq!(purchases[1]["decisions"][0]["outcome"], Value::Null);
        let (s, _) = c
            .admin_get(&format!("/api/data-requests/1234?shop={SHOP}"))
            .await;
        assert_eq!(s, 404);

        // customers/redact removes the request and the link from purchases to the customer:
        // a later request finds nothing held.
        let redact = json!({"shop_id": 954889, "shop_domain": SHOP,
            "customer": {"id": 5001, "email": "john@example.com", "phone": "555-625-1199"},
            "orders_to_redact": [299938]});
        let (s, _) = deliver(&c, SHOP, "customers/redact", "d-2", &redact, SECRET, None).await;
        assert_eq!(s, 200);
        let (s, _) = c.admin_get(&path).await;
        assert_eq!(s, 404);
        let later = data_request_payload(5001, 10000);
        let (s, _) = deliver(&c, SHOP, topic, "d-3", &later, SECRET, None).await;
        assert_eq!(s, 200);
        let (s, export) = c
            .admin_get(&format!("/api/data-requests/10000?shop={SHOP}"))
            .await;
        assert_eq!(s, 200);
        assert_eq!(export["customer"], Value::Null);
        assert_eq!(export["purchases"], json!([]));
        server.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn old_attribution_orders_are_pruned_whole_unless_a_kept_decision_links_to_them() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let server = encore_server::start(quiet_settings(&db), ScriptedRunner::new())
            .await
            .unwrap();
        let c = Client::new(&server);
        setup_shop(&c).await;
        let pool = database(&db).await;
        // Orders 11 (a refund), 22 (an edit) and 33 (a refund, linked to a kept decision) were
        // heard of 401 days ago; 44 (a refund) today.
        for (order, topic) in [
            (11, "refunds/create"),
            (22, "orders/edited"),
            (33, "refunds/create"),
            (44, "refunds/create"),
        ] {
            let mut body = shopify_sim::payloads::example(topic).unwrap();
            match topic {
                "refunds/create" => {
                    body["order_id"] = json!(order);
                    body["id"] = json!(order * 100);
                }
                _ => body["order_edit"]["order_id"] = json!(order),
            }
            let (s, b) = deliver(&c, SHOP, topic, &format!("o-{order}"), &body, SECRET, None).await;
            assert_eq!(s, 200, "{b}");
        }
        let (_, b) = c
            .offer(&token_for(&purchase_of("linked", None)), json!({}))
            .await;
        let decision = b["offers"][0]["decisionId"].as_str().unwrap().to_string();
        sqlx::query(
            "INSERT INTO decision_orders (decision_id, shop, order_id, status, linked_at) \
             VALUES ($1, $2, '33', 'confirmed', $3)",
        )
        .bind(&decision)
        .bind(SHOP)
        .bind(now())
        .execute(&pool)
        .await
        .unwrap();
        sqlx::query(
            "UPDATE attribution_orders SET seen_at = $1 WHERE order_id IN ('11', '22', '33')",
        )
        .bind(now() - 401 * DAY)
        .execute(&pool)
        .await
        .unwrap();

        let b = prune_now(&c).await;
        assert_eq!(b["pruned"]["attributionOrders"], 2, "{b}");
        assert_eq!(
            b["pruned"]["refundLines"], 5,
            "the example refund's five lines"
        );
        assert_eq!(b["pruned"]["orderEditAdditions"], 1, "{b}");
        let kept = |table: &'static str| {
            let pool = pool.clone();
            async move {
                let rows = sqlx::query(&format!(
                    "SELECT DISTINCT order_id FROM {table} ORDER BY order_id"
                ))
                .fetch_all(&pool)
                .await
                .unwrap();
                rows.iter()
                    .map(|r| r.get::<String, _>(0))
                    .collect::<Vec<_>>()
            }
        };
        assert_eq!(kept("attribution_orders").await, ["33", "44"]);
        assert_eq!(kept("refund_lines").await, ["33", "44"]);
        assert!(kept("order_edit_additions").await.is_empty());
        assert_eq!(prune_now(&c).await["pruned"]["attributionOrders"], 0);
        pool.close().await;
        server.stop().await;
        db.dispose().await;
    }
}
