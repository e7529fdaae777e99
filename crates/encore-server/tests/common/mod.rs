//! Test harness: Shopify-style token minting, servers on loopback over SQLite files and PostgreSQL databases.
#![allow(dead_code)]

use std::collections::HashMap;
use std::sync::Arc;

use encore_app::runner::OfferRunner;
use encore_server::settings::Settings;
use encore_server::Running;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde_json::{json, Value};

pub const SECRET: &str = "test-secret-0123456789";
pub const API_KEY: &str = "test-api-key";
pub const ADMIN: &str = "test-admin-token";
pub const SHOP: &str = "test-shop.myshopify.com";
/// base64 of 32 bytes (0..=31): the tests' ENCORE_ENCRYPTION_KEY.
pub const ENCRYPTION_KEY: &str = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";

pub fn now() -> i64 {
    encore_app::clock::now()
}

/// A post-purchase `input_data` with one line per (product id, variant id, amount).
pub fn input_data(reference_id: &str, lines: &[(&str, &str, &str)]) -> Value {
    let total: f64 = lines.iter().map(|l| l.2.parse::<f64>().unwrap()).sum();
    let total = format!("{total:.2}");
    json!({
        "extensionPoint": "Checkout::PostPurchase::ShouldRender",
        "initialPurchase": {
            "referenceId": reference_id,
            "customerId": 5001,
            "destinationCountryCode": "US",
            "totalPriceSet": {
                "shopMoney": {"amount": total, "currencyCode": "USD"},
                "presentmentMoney": {"amount": total, "currencyCode": "USD"}
            },
            "lineItems": lines.iter().map(|(p, v, a)| json!({
                "product": {"id": p.parse::<u64>().unwrap(), "title": "Product", "variant": {"id": v.parse::<u64>().unwrap(), "title": "Default"}, "metafields": []},
                "quantity": 1,
                "totalPriceSet": {"shopMoney": {"amount": a, "currencyCode": "USD"}, "presentmentMoney": {"amount": a, "currencyCode": "USD"}}
            })).collect::<Vec<_>>()
        },
        "locale": "en",
        "shop": {"id": 1, "domain": SHOP, "metafields": []},
        "version": "unstable"
    })
}

/// Signs claims as Shopify does (HS256 with the app secret).
pub fn sign(claims: &Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

/// A valid Shopify-issued token for `input`.
pub fn token_for(input: &Value) -> String {
    let reference = input["initialPurchase"]["referenceId"].as_str().unwrap();
    let t = now();
    sign(
        &json!({"iss": "shopify", "sub": reference, "iat": t - 5, "exp": t + 3600, "input_data": input}),
        SECRET,
    )
}

/// Decodes and checks a changeset token the server signed.
pub fn decode_changeset(token: &str) -> Value {
    let mut v = Validation::new(Algorithm::HS256);
    v.required_spec_claims.clear();
    v.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_secret(SECRET.as_bytes()), &v)
        .expect("changeset token verifies with the app secret")
        .claims
}

/// The raw payload text of a JWT (to check exact number text).
pub fn payload_text(token: &str) -> String {
    use std::io::Read;
    let part = token.split('.').nth(1).unwrap();
    let mut s = part.replace('-', "+").replace('_', "/");
    while !s.len().is_multiple_of(4) {
        s.push('=');
    }
    // Minimal base64 decoder.
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = Vec::new();
    let (mut buf, mut bits) = (0u32, 0);
    for c in s.bytes().filter(|c| *c != b'=') {
        buf = (buf << 6) | A.iter().position(|a| *a == c).unwrap() as u32;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buf >> bits) as u8);
            buf &= (1 << bits) - 1;
        }
    }
    let mut text = String::new();
    out.as_slice().read_to_string(&mut text).unwrap();
    text
}

/// Which database a test runs on.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(std::path::PathBuf),
    Postgres(String),
}

impl Db {
    pub fn url(&self) -> String {
        match self {
            Db::Sqlite(p) => format!("sqlite://{}", p.display()),
            Db::Postgres(u) => u.clone(),
        }
    }

    /// Drops a PostgreSQL test database once its test is done with it (the server stopped).
    /// A test that panics leaves its database behind, to look at.
    pub async fn dispose(self) {
        let Db::Postgres(url) = self else { return };
        let (Ok(base), Some((_, name))) = (
            std::env::var("ENCORE_TEST_POSTGRES_URL"),
            url.rsplit_once('/'),
        ) else {
            return;
        };
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&base)
            .await
            .expect("connect to ENCORE_TEST_POSTGRES_URL");
        // FORCE cannot end an autovacuum worker that happens to be in the database (it is not
        // the test role's): wait for it to finish and try again.
        let mut attempts = 0;
        loop {
            attempts += 1;
            match sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut conn)
                .await
            {
                Ok(_) => break,
                Err(e) if attempts < 20 => {
                    eprintln!("dropping {name} failed ({e}); trying again");
                    tokio::time::sleep(std::time::Duration::from_millis(250)).await;
                }
                Err(e) => panic!("drop the test database: {e}"),
            }
        }
        conn.close().await.ok();
    }
}

/// A fresh SQLite file in `dir`.
pub fn sqlite_db(dir: &tempfile::TempDir) -> Db {
    Db::Sqlite(dir.path().join("encore.sqlite"))
}

/// A fresh PostgreSQL database, or None when ENCORE_SKIP_POSTGRES=1. Panics when
/// ENCORE_TEST_POSTGRES_URL is unset otherwise: CI must not silently skip PostgreSQL.
pub async fn postgres_db() -> Option<Db> {
    let Ok(base) = std::env::var("ENCORE_TEST_POSTGRES_URL") else {
        if std::env::var("ENCORE_SKIP_POSTGRES").as_deref() == Ok("1") {
            eprintln!("ENCORE_SKIP_POSTGRES=1: skipping the PostgreSQL half of this test");
            return None;
        }
        panic!(
            "ENCORE_TEST_POSTGRES_URL is not set. Start one with \
             `export ENCORE_TEST_POSTGRES_URL=$(scripts/start-postgres.sh)` \
             or set ENCORE_SKIP_POSTGRES=1 to skip PostgreSQL explicitly."
        );
    };
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(&base)
        .await
        .expect("connect to ENCORE_TEST_POSTGRES_URL");
    let name = format!("encore_t_{}", uuid::Uuid::new_v4().simple());
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create a test database (the role needs CREATEDB)");
    conn.close().await.ok();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    Some(Db::Postgres(format!("{prefix}/{name}")))
}

/// Both backends for a test: SQLite always, PostgreSQL unless explicitly skipped.
pub async fn backends(dir: &tempfile::TempDir) -> Vec<Db> {
    let mut v = vec![sqlite_db(dir)];
    if let Some(pg) = postgres_db().await {
        v.push(pg);
    }
    v
}

pub fn settings(db: &Db) -> Settings {
    let vars: HashMap<String, String> = [
        ("SHOPIFY_API_KEY", API_KEY),
        ("SHOPIFY_API_SECRET", SECRET),
        ("ENCORE_ADMIN_TOKEN", ADMIN),
        ("ENCORE_LISTEN", "127.0.0.1:0"),
        ("ENCORE_BODY_LIMIT", "65536"),
        ("ENCORE_ENCRYPTION_KEY", ENCRYPTION_KEY),
        // Tests run attribution passes themselves: a background pass at start-up would read the
        // orders a test queues before the test's own pass does.
        ("ENCORE_RECONCILE_EVERY_MINUTES", "never"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .chain([("ENCORE_DATABASE_URL".to_string(), db.url())])
    .collect();
    Settings::from_vars(&vars, false).unwrap()
}

/// The real optimized offer Function through encore-host (`scripts/build-wasm.sh`'s artifacts,
/// or ENCORE_FUNCTION_WASM / ENCORE_PROVIDER_WASM).
pub fn real_function_runner() -> Arc<encore_app::host_runner::HostRunner> {
    let function = std::env::var("ENCORE_FUNCTION_WASM")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            encore_app::host_runner::default_artifact_dir().join("encore-offer.wasm")
        });
    let provider = std::env::var("ENCORE_PROVIDER_WASM")
        .ok()
        .map(std::path::PathBuf::from);
    Arc::new(
        encore_app::host_runner::HostRunner::load(&function, provider.as_deref()).unwrap_or_else(
            |e| panic!("{e}\n(the real-Function tests need scripts/build-wasm.sh's artifacts)"),
        ),
    )
}

pub async fn start(db: &Db, runner: Arc<dyn OfferRunner>) -> Running {
    encore_server::start(settings(db), runner).await.unwrap()
}

pub struct Client {
    pub base: String,
    pub http: reqwest::Client,
}

impl Client {
    pub fn new(running: &Running) -> Self {
        Client {
            base: format!("http://{}", running.addr),
            http: reqwest::Client::new(),
        }
    }

    pub async fn admin_put(&self, path: &str, body: Value) -> (u16, Value) {
        let r = self
            .http
            .put(format!("{}{}", self.base, path))
            .bearer_auth(ADMIN)
            .json(&body)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn admin_get(&self, path: &str) -> (u16, Value) {
        let r = self
            .http
            .get(format!("{}{}", self.base, path))
            .bearer_auth(ADMIN)
            .send()
            .await
            .unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_raw(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> (u16, Value) {
        let mut req = self
            .http
            .post(format!("{}{}", self.base, path))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let r = req.send().await.unwrap();
        let s = r.status().as_u16();
        (s, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn offer(&self, token: &str, body: Value) -> (u16, Value) {
        self.post_raw(
            "/api/post-purchase/offer",
            Some(token),
            body.to_string().into_bytes(),
        )
        .await
    }

    pub async fn event(&self, token: &str, body: Value) -> (u16, Value) {
        self.post_raw(
            "/api/post-purchase/events",
            Some(token),
            body.to_string().into_bytes(),
        )
        .await
    }
}

/// A stand-in for the offer Function with a three-step funnel, for plumbing tests:
/// upsell (variant 111: 20.00 → 16.00, 20% off) → on decline downsell (variant 222: 9.99 →
/// 5.00, fixed 4.99 off) → on accept final (variant 333 + shipping 0.30). It echoes the
/// funnel it was given in a set_metafield change, so tests can see what the server passed.
/// A purchase of product 999 makes it "exceed its limits"; product 998 makes it return
/// changes that cannot be signed.
pub struct ScriptedRunner {
    pub runs: std::sync::atomic::AtomicUsize,
    pub inputs: std::sync::Mutex<Vec<Value>>,
}

impl ScriptedRunner {
    pub fn new() -> Arc<Self> {
        Arc::new(ScriptedRunner {
            runs: Default::default(),
            inputs: Default::default(),
        })
    }
    pub fn runs(&self) -> usize {
        self.runs.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// The scripted offer for `step`: prices in USD minor units, written by the engine's own offer
/// record writer as the Function writes its offers.
fn scripted_offer(step: &str, funnel: &Value) -> encore_engine::Offer {
    use encore_engine::pricing::Prices;
    use encore_engine::{Change, Copy, Currency, ExplicitDiscount, Offer, OfferProduct};
    let (variant, product, price, offer_price, discount, vt, on_accept, on_decline) = match step {
        "upsell" => (
            "111",
            "11",
            2000,
            1600,
            "20",
            "percentage",
            Some("final"),
            Some("downsell"),
        ),
        "downsell" => (
            "222",
            "22",
            999,
            500,
            "4.99",
            "fixed_amount",
            Some("final"),
            None,
        ),
        _ => ("333", "33", 110, 10, "1.00", "fixed_amount", None, None),
    };
    let prices = Prices {
        currency: Currency::from_code("USD").expect("USD"),
        original: price,
        offer: offer_price,
        savings: price - offer_price,
        compare_at: None,
        savings_percent: 20,
    };
    let mut changes = vec![
        Change::AddVariant {
            variant_id: variant.into(),
            quantity: 1,
            discount: Some(ExplicitDiscount {
                value: discount.into(),
                value_type: vt,
                title: "Encore".into(),
            }),
        },
        Change::SetMetafield {
            namespace: "encore".into(),
            key: "funnel".into(),
            value: funnel.to_string(),
            value_type: "json_string",
        },
    ];
    if step == "final" {
        changes.push(Change::AddShippingLine {
            price: "0.30".into(),
            title: "Shipping".into(),
        });
    }
    Offer {
        campaign_id: "c1".into(),
        step_id: step.into(),
        experiment_id: Some("exp".into()),
        arm_id: Some("a".into()),
        next_step_on_accept: on_accept.map(Into::into),
        next_step_on_decline: on_decline.map(Into::into),
        products: vec![OfferProduct {
            product_id: product.into(),
            variant_id: variant.into(),
            title: format!("Product {product}"),
            variant_title: None,
            image_url: None,
            quantity: 1,
            selling_plan_id: None,
            shop_prices: prices,
            presentment_prices: prices,
        }],
        changes,
        copy: Copy {
            locale: "en".into(),
            headline: "Add this".into(),
            body: "Goes well".into(),
            accept_label: "Pay now".into(),
            decline_label: "Decline".into(),
        },
    }
}

/// The packed `facts` of a Function input (offer statistics, co-purchase pairs, catalog), as JSON.
pub fn facts_of(input: &Value) -> Value {
    let packed = input["facts"].as_str().expect("the input's packed facts");
    encore_engine::packed_facts::to_json(packed)
}

/// A Function input with its context record shown as the readable `funnel`, `customer` and
/// purchase ids and totals it holds (`encore_engine::context_record::to_json`), beside the
/// record itself: what the scripted runner decides on and what tests look at.
pub fn readable_context(mut input: Value) -> Value {
    let record = input["context"]
        .as_str()
        .expect("the input's context record");
    let context = encore_engine::context_record::to_json(record);
    assert!(
        !context.is_null(),
        "the context is not a context record: {record}"
    );
    input["funnel"] = context["funnel"].clone();
    input["customer"] = context["customer"].clone();
    if let (Some(purchase), Some(read)) = (
        input["purchase"].as_object_mut(),
        context["purchase"].as_object(),
    ) {
        purchase.extend(read.clone());
    }
    input
}

impl OfferRunner for ScriptedRunner {
    fn run(&self, input: &encore_app::input::FunctionInput) -> encore_app::runner::RunOutcome {
        use encore_app::runner::RunOutcome;
        use encore_engine::{Reason, ReasonCode};
        self.runs.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let input = &readable_context(input.to_json());
        self.inputs.lock().unwrap().push(input.clone());
        let lines: Vec<Value> = input["purchase"]["packedLines"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|l| l.as_str())
            .map(encore_engine::line_record::to_json)
            .collect();
        let products: Vec<&str> = lines
            .iter()
            .filter_map(|l| l["productId"].as_str())
            .collect();
        if products.contains(&"997") {
            panic!("scripted panic");
        }
        if products.contains(&"999") {
            return RunOutcome::Failed {
                code: "FUNCTION_LIMIT_EXCEEDED",
                detail: "instruction limit exceeded (11000000)".into(),
            };
        }
        let funnel = &input["funnel"];
        // The reasons as the Function writes them: one record.
        let reasons = |list: &[(ReasonCode, &str, &str)]| {
            let list: Vec<Reason> = list
                .iter()
                .map(|&(code, campaign, detail)| Reason {
                    code,
                    campaign_id: Some(campaign.to_owned()),
                    step_id: None,
                    variant_id: None,
                    detail: detail.to_owned(),
                })
                .collect();
            json!(encore_engine::reason::write_records(&list))
        };
        let passed = (ReasonCode::TriggerProductsNotMatched, "c0", "not matched");
        let offer = |o: &encore_engine::Offer| json!(encore_engine::offer_record::write(o));
        if products.contains(&"998") {
            let mut o = scripted_offer("upsell", funnel);
            if let encore_engine::Change::AddVariant {
                discount: Some(d), ..
            } = &mut o.changes[0]
            {
                d.value = "1e9".into();
            }
            return RunOutcome::Output(json!({"offer": offer(&o), "reasons": reasons(&[passed])}));
        }
        if products.contains(&"995") {
            // An offer cut short: not a record the engine reads.
            let whole = encore_engine::offer_record::write(&scripted_offer("upsell", funnel));
            let cut = &whole[..whole.len() / 2];
            return RunOutcome::Output(json!({"offer": cut, "reasons": reasons(&[passed])}));
        }
        if products.contains(&"996") {
            // Reasons cut short: not a record the engine reads.
            let cut = reasons(&[passed]).as_str().unwrap()[..9].to_owned();
            return RunOutcome::Output(json!({"offer": null, "reasons": cut}));
        }
        let step = match (funnel["campaignId"].as_str(), funnel["stepId"].as_str()) {
            (None, _) => "upsell",
            (Some(_), Some(s)) => s,
            (Some(_), None) => {
                let complete = (ReasonCode::FunnelComplete, "c1", "funnel complete");
                return RunOutcome::Output(
                    json!({"offer": null, "reasons": reasons(&[passed, complete])}),
                );
            }
        };
        let o = scripted_offer(step, funnel);
        RunOutcome::Output(json!({"offer": offer(&o), "reasons": reasons(&[passed])}))
    }
    fn describe(&self) -> String {
        "scripted".into()
    }
}

/// Creates the test shop with a catalog entry and a customer.
pub async fn setup_shop(c: &Client) {
    let (s, _) = c
        .admin_put(
            &format!("/api/shops/{SHOP}"),
            json!({"currencyCode": "USD"}),
        )
        .await;
    assert_eq!(s, 200);
    let (s, b) = c
        .admin_put(
            &format!("/api/catalog?shop={SHOP}"),
            json!({"products": [
                {"id": "1", "title": "Phone", "tags": ["phone"], "productType": "Phones", "vendor": "Acme", "collectionIds": ["77"],
                 "variants": [{"id": "101", "price": "500.00", "inventory": {"tracked": true, "available": 5, "policy": "DENY"}}]},
                {"id": "11", "title": "Case", "tags": ["accessory"], "variants": [{"id": "111", "price": "20.00"}]}
            ]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
    let (s, b) = c
        .admin_put(
            &format!("/api/customers?shop={SHOP}"),
            json!({"customers": [{"id": "5001", "tags": ["vip"], "numberOfOrders": 3, "amountSpent": {"amount": "812.50"}}]}),
        )
        .await;
    assert_eq!(s, 200, "{b}");
}
