//! The `encore-server` binary: refuses to start without a secret or an encryption key, refuses
//! `--demo` with an app's real credentials, and `--demo` keeps its state across a SIGKILL (SQLite
//! WAL file). Needs scripts/build-wasm.sh's artifacts.

mod common;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use encore_server::settings::demo;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_encore-server");

#[test]
fn missing_secret_outside_demo_mode_stops_with_a_clear_message() {
    let out = Command::new(BIN)
        .env_remove("SHOPIFY_API_SECRET")
        .env("SHOPIFY_API_KEY", "k")
        .env("ENCORE_DATABASE_URL", "sqlite:///tmp/never-created.sqlite")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SHOPIFY_API_SECRET is not set"), "{err}");
    let out = Command::new(BIN)
        .env("SHOPIFY_API_SECRET", "s")
        .env("SHOPIFY_API_KEY", "k")
        .env("ENCORE_DATABASE_URL", "sqlite:///tmp/never-created.sqlite")
        .env_remove("ENCORE_ENCRYPTION_KEY")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ENCORE_ENCRYPTION_KEY is not set"), "{err}");
    let out = Command::new(BIN).arg("--bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn demo_mode_refuses_to_start_with_an_apps_real_credentials() {
    for (name, value) in [
        ("SHOPIFY_API_SECRET", "shpss_a_real_app_secret"),
        ("SHOPIFY_API_KEY", "a-real-client-id"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("demo.sqlite");
        let out = Command::new(BIN)
            .arg("--demo")
            .env_remove("SHOPIFY_API_SECRET")
            .env_remove("SHOPIFY_API_KEY")
            .env(name, value)
            .env("ENCORE_LISTEN", format!("127.0.0.1:{}", free_port()))
            .env("ENCORE_DATABASE_URL", format!("sqlite://{}", db.display()))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{name}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{name} is set to something else")),
            "{err}"
        );
        assert!(!err.contains(value), "the credential is not echoed: {err}");
        assert!(String::from_utf8_lossy(&out.stdout).is_empty());
        assert!(!db.exists(), "nothing was opened or seeded");
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn spawn(db: &str, port: u16) -> Child {
    Command::new(BIN)
        .arg("--demo")
        .env("ENCORE_LISTEN", format!("127.0.0.1:{port}"))
        .env("ENCORE_DATABASE_URL", db)
        .env_remove("SHOPIFY_API_SECRET")
        .env_remove("SHOPIFY_API_KEY")
        .env_remove("ENCORE_ADMIN_TOKEN")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

async fn wait_ready(base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Ok(r) = reqwest::get(format!("{base}/readyz")).await {
            if r.status().is_success() {
                return;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("encore-server exited early with {status} (are the wasm artifacts built?)");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("encore-server did not become ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_state_survives_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("demo.sqlite").display());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(&db, port);
    wait_ready(&base, &mut child).await;

    let phone: Value = serde_json::from_str::<Value>(encore_server::demo::PURCHASES).unwrap()
        ["purchases"][0]
        .clone();
    let t = now();
    let mut purchase = phone_purchase(&phone);
    purchase.insert("referenceId".into(), json!("kill-1"));
    let claims = json!({"iss": "shopify", "sub": "kill-1", "iat": t, "exp": t + 600, "input_data": {
        "initialPurchase": purchase, "locale": "en", "shop": {"domain": demo::SHOP}}});
    let token = sign(&claims, demo::API_SECRET);
    let http = reqwest::Client::new();
    let offer = |http: reqwest::Client, base: String, token: String| async move {
        http.post(format!("{base}/api/post-purchase/offer"))
            .bearer_auth(token)
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    let b = offer(http.clone(), base.clone(), token.clone()).await;
    assert_eq!(b["offers"][0]["stepId"], "upsell", "{b}");
    let r = http
        .post(format!("{base}/api/post-purchase/events"))
        .bearer_auth(&token)
        .json(&json!({"decisionId": b["offers"][0]["decisionId"], "event": "declined"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    child.kill().unwrap(); // SIGKILL: no graceful shutdown.
    child.wait().unwrap();

    let mut child = spawn(&db, port);
    wait_ready(&base, &mut child).await;
    let b = offer(http.clone(), base.clone(), token.clone()).await;
    assert_eq!(b["offers"][0]["stepId"], "downsell", "{b}");
    child.kill().unwrap();
    child.wait().unwrap();
}

/// The sample's initialPurchase without its referenceId, as a JSON object to splice.
fn phone_purchase(sample: &Value) -> serde_json::Map<String, Value> {
    let mut p = sample["initialPurchase"].as_object().unwrap().clone();
    p.remove("referenceId");
    p
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sync_cli_syncs_a_shop_with_the_credentials_its_install_stored() {
    use shopify_sim::{Sim, SimConfig, StoreSpec};
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = Sim::start(SimConfig {
            client_id: API_KEY.into(),
            client_secret: SECRET.into(),
            bulk_duration: Duration::from_millis(100),
            ..SimConfig::default()
        })
        .await
        .unwrap();
        let spec = StoreSpec {
            products: 12,
            variants_per_product: 2,
            ..StoreSpec::default()
        };
        sim.add_shop(SHOP, spec);
        // Installed through a server (token exchange), which then stops.
        let mut s = settings(&db);
        s.shopify_host = encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
        s.app.retention.every = None;
        let server = encore_server::start(s, ScriptedRunner::new())
            .await
            .unwrap();
        let r = reqwest::Client::new()
            .post(format!("http://{}/api/session/install", server.addr))
            .bearer_auth(sim.session_token(SHOP, 42, now()))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        server.stop().await;

        let (url, host) = (db.url(), sim.host_template());
        let out = tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .args(["sync", "--shop", SHOP])
                .env("ENCORE_DATABASE_URL", url)
                .env("SHOPIFY_API_KEY", API_KEY)
                .env("SHOPIFY_API_SECRET", SECRET)
                .env("ENCORE_ENCRYPTION_KEY", ENCRYPTION_KEY)
                .env("ENCORE_SHOPIFY_HOST", host)
                .env_remove("ENCORE_SHOPIFY_ADMIN_TOKEN")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{stdout}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(stdout.contains("12 products, 24 variants"), "{stdout}");
        let store = encore_store::Store::connect(&db.url()).await.unwrap();
        let live = encore_app::facts_cache::load_uncached(&store, SHOP)
            .await
            .unwrap();
        assert_eq!(live.variants().count(), 24);
        store.close().await;

        // Without credentials or a token, the CLI says what is missing.
        let url = db.url();
        let out = tokio::task::spawn_blocking(move || {
            Command::new(BIN)
                .args(["sync", "--shop", "other-shop.myshopify.com"])
                .env("ENCORE_DATABASE_URL", url)
                .env("SHOPIFY_API_KEY", API_KEY)
                .env("SHOPIFY_API_SECRET", SECRET)
                .env("ENCORE_ENCRYPTION_KEY", ENCRYPTION_KEY)
                .env_remove("ENCORE_SHOPIFY_ADMIN_TOKEN")
                .output()
                .unwrap()
        })
        .await
        .unwrap();
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("other-shop.myshopify.com"), "{err}");
        db.dispose().await;
    }
}
