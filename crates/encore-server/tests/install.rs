//! Install and authentication over real HTTP against the simulated Shopify, on SQLite and
//! PostgreSQL: the code grant and token exchange, refresh before expiry and on 401 (one refresh
//! per shop across instances), a lost refresh answer, invalid_grant, forged input refused with
//! nothing stored, app/uninstalled, and tokens that never reach logs or answers.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::*;
use encore_app::credentials::AccessError;
use encore_app::vault::{EncryptionKey, Sealed, Vault};
use encore_server::Running;
use encore_shopify::{Secret, ShopDomain};
use serde_json::{json, Value};
use shopify_sim::{Sim, SimConfig, StoreSpec};
use sqlx::Row;

const APP_URL: &str = "https://encore.test";

/// Everything every server in this file logged (at trace level for Encore's crates).
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "trace,encore_server=trace,encore_shopify=trace,hyper=debug,reqwest=trace,sqlx=debug",
            ))
            .with_ansi(false)
            .with_writer(move || Capture(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        buffer
    })
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

async fn sim(access_ttl_seconds: u64, refresh_ttl_seconds: u64) -> Sim {
    logs();
    let sim = Sim::start(SimConfig {
        client_id: API_KEY.into(),
        client_secret: SECRET.into(),
        access_token_ttl: Duration::from_secs(access_ttl_seconds),
        refresh_token_ttl: Duration::from_secs(refresh_ttl_seconds),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.add_shop(
        SHOP,
        StoreSpec {
            currency: "EUR".into(),
            ..StoreSpec::default()
        },
    );
    sim
}

const HOUR: u64 = 3600;
const DAYS_90: u64 = 90 * 24 * 3600;

async fn server(db: &Db, sim: &Sim) -> Running {
    let mut settings = settings(db);
    settings.app_url = Some(APP_URL.into());
    settings.shopify_host =
        encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
    settings.app.retention.every = None;
    encore_server::start(settings, ScriptedRunner::new())
        .await
        .unwrap()
}

fn shop() -> ShopDomain {
    ShopDomain::parse(SHOP).unwrap()
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn base(running: &Running) -> String {
    format!("http://{}", running.addr)
}

/// Every answer body this test saw, to search for tokens afterwards.
#[derive(Default)]
struct Answers(Mutex<String>);

impl Answers {
    async fn send(
        &self,
        request: reqwest::RequestBuilder,
    ) -> (u16, reqwest::header::HeaderMap, Value) {
        let response = request.send().await.unwrap();
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap();
        let mut all = self.0.lock().unwrap();
        for (name, value) in &headers {
            all.push_str(&format!("{name}: {value:?}\n"));
        }
        all.push_str(&text);
        (
            status,
            headers,
            serde_json::from_str(&text).unwrap_or(Value::Null),
        )
    }
}

async fn install_by_session(running: &Running, sim: &Sim, answers: &Answers) -> Value {
    let token = sim.session_token(SHOP, 42, now());
    let (status, _, body) = answers
        .send(
            http()
                .post(format!("{}/api/session/install", base(running)))
                .bearer_auth(token),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn status_of(running: &Running, answers: &Answers) -> Value {
    let (status, _, body) = answers
        .send(
            http()
                .get(format!("{}/api/session/status?shop={SHOP}", base(running)))
                .bearer_auth(ADMIN),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn shop_row(db: &Db) -> Option<(String, Option<i64>)> {
    let pool = pool(db).await;
    let row = sqlx::query("SELECT currency_code, uninstalled_at FROM shops WHERE domain = $1")
        .bind(SHOP)
        .fetch_optional(&pool)
        .await
        .unwrap();
    pool.close().await;
    row.map(|r| (r.get(0), r.get(1)))
}

async fn pool(db: &Db) -> sqlx::AnyPool {
    sqlx::any::install_default_drivers();
    sqlx::any::AnyPoolOptions::new()
        .max_connections(1)
        .connect(&db.url())
        .await
        .unwrap()
}

/// Ages the stored access token as if it had lived 59 of its 60 minutes.
async fn age_access_token(db: &Db) {
    let pool = pool(db).await;
    sqlx::query("UPDATE shop_credentials SET access_expires_at = $1 WHERE shop = $2")
        .bind(now() + 60)
        .bind(SHOP)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
}

/// The shop's stored tokens, decrypted with the tests' key (what must never leak).
async fn stored_tokens(db: &Db) -> Vec<String> {
    let pool = pool(db).await;
    let row = sqlx::query(
        "SELECT key_id, access_token, refresh_token FROM shop_credentials WHERE shop = $1",
    )
    .bind(SHOP)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    let vault = Vault::new(EncryptionKey::parse(ENCRYPTION_KEY).unwrap(), &[]);
    let key_id: i64 = row.get(0);
    let texts: Vec<String> = [row.get::<String, _>(1), row.get::<String, _>(2)].into();
    texts
        .into_iter()
        .map(|text| {
            assert!(!text.contains("shpat_") && !text.contains("shprt_"));
            vault
                .open(&shop(), &Sealed { key_id, text })
                .unwrap()
                .expose()
                .to_string()
        })
        .collect()
}

async fn facts(running: &Running) -> Result<encore_shopify::admin::Shop, AccessError> {
    let mut admin = running.state.credentials.admin_client(&shop()).await?;
    admin
        .call(async |client, token| client.shop_facts(token).await)
        .await
}

#[tokio::test]
async fn the_code_grant_installs_a_shop_once_and_a_replayed_state_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        let (status, headers, _) = answers
            .send(http().get(format!("{}/auth?shop={SHOP}", base(&running))))
            .await;
        assert_eq!(status, 303);
        let location = url::Url::parse(headers["location"].to_str().unwrap()).unwrap();
        assert_eq!(
            location.path(),
            format!("/{SHOP}/admin/oauth/authorize"),
            "{location}"
        );
        let param = |name: &str| {
            location
                .query_pairs()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into_owned())
                .unwrap()
        };
        assert_eq!(param("redirect_uri"), format!("{APP_URL}/auth/callback"));
        assert_eq!(param("client_id"), API_KEY);
        assert!(param("scope").contains("read_products"));
        let callback = sim
            .authorize(SHOP, &param("redirect_uri"), &param("state"), now())
            .unwrap();
        let query = callback.split_once('?').unwrap().1.to_string();
        let (status, headers, body) = answers
            .send(http().get(format!("{}/auth/callback?{query}", base(&running))))
            .await;
        assert_eq!(status, 303, "{body}");
        assert_eq!(
            headers["location"],
            format!("https://{SHOP}/admin/apps/{API_KEY}").as_str()
        );
        assert_eq!(shop_row(&db).await, Some(("EUR".to_string(), None)));
        let status = status_of(&running, &answers).await;
        assert_eq!(status["installed"], true);
        assert_eq!(status["needsReauthorization"], false);
        assert!(status["refreshExpiresAt"].as_i64().unwrap() > now() + 89 * 24 * 3600);
        assert_eq!(facts(&running).await.unwrap().currency, "EUR");

        // The same callback again: the state was consumed, the code is not exchanged again.
        let (status, _, body) = answers
            .send(http().get(format!("{}/auth/callback?{query}", base(&running))))
            .await;
        assert_eq!(status, 400);
        assert_eq!(body["error"], "invalid_state");
        assert_eq!(sim.token_requests(SHOP, "authorization_code"), 1);
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn a_tampered_callback_an_unknown_state_or_a_foreign_shop_is_refused_and_nothing_is_stored() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        let (status, _, body) = answers
            .send(http().get(format!("{}/auth?shop=evil.example.com", base(&running))))
            .await;
        assert_eq!(status, 400, "{body}");

        let (_, headers, _) = answers
            .send(http().get(format!("{}/auth?shop={SHOP}", base(&running))))
            .await;
        let location = url::Url::parse(headers["location"].to_str().unwrap()).unwrap();
        let state = location
            .query_pairs()
            .find(|(k, _)| k == "state")
            .unwrap()
            .1
            .into_owned();
        let callback = sim
            .authorize(SHOP, &format!("{APP_URL}/auth/callback"), &state, now())
            .unwrap();
        let query = callback.split_once('?').unwrap().1;
        // Another shop written over the signed one: the HMAC no longer matches.
        let tampered = query.replace(SHOP, "other-shop.myshopify.com");
        let (status, _, body) = answers
            .send(http().get(format!("{}/auth/callback?{tampered}", base(&running))))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_callback"))
        );
        // Signed, but with a state this server never issued.
        let unknown = sim
            .authorize(
                SHOP,
                &format!("{APP_URL}/auth/callback"),
                "not-issued",
                now(),
            )
            .unwrap();
        let (status, _, body) = answers
            .send(http().get(format!(
                "{}/auth/callback?{}",
                base(&running),
                unknown.split_once('?').unwrap().1
            )))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_state"))
        );
        // Signed with the app secret, but for a domain that is not a shop.
        let t = now().to_string();
        let params = [
            ("code", "abc"),
            ("shop", "evil.example.com"),
            ("state", state.as_str()),
            ("timestamp", t.as_str()),
        ];
        let hmac = encore_shopify::oauth::sign_callback(&Secret::new(SECRET), &params);
        let foreign =
            format!("code=abc&shop=evil.example.com&state={state}&timestamp={t}&hmac={hmac}");
        let (status, _, body) = answers
            .send(http().get(format!("{}/auth/callback?{foreign}", base(&running))))
            .await;
        assert_eq!(
            (status, body["error"].as_str()),
            (400, Some("invalid_callback"))
        );
        assert_eq!(sim.token_requests(SHOP, "authorization_code"), 0);
        assert_eq!(shop_row(&db).await, None);
        assert_eq!(status_of(&running, &answers).await["hasCredentials"], false);
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn a_session_token_installs_the_shop_by_token_exchange_and_forged_ones_store_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        let campaigns = format!("{}/api/campaigns", base(&running));

        // Forged (another app's secret), expired, and for another app: 401 with the header
        // that makes App Bridge fetch a new token and retry; nothing exchanged or stored.
        let forged = shopify_sim::mint_session_token(
            &SimConfig {
                client_id: API_KEY.into(),
                client_secret: "not-the-app-secret".into(),
                ..SimConfig::default()
            },
            SHOP,
            42,
            now(),
            60,
        );
        let expired = sim.session_token(SHOP, 42, now() - 120);
        let other_app = shopify_sim::mint_session_token(
            &SimConfig {
                client_id: "another-app".into(),
                client_secret: SECRET.into(),
                ..SimConfig::default()
            },
            SHOP,
            42,
            now(),
            60,
        );
        for bad in [&forged, &expired, &other_app] {
            let (status, headers, body) =
                answers.send(http().get(&campaigns).bearer_auth(bad)).await;
            assert_eq!(status, 401, "{body}");
            assert_eq!(body["error"], "invalid_session_token");
            assert_eq!(headers[encore_server::error::RETRY_INVALID_SESSION], "1");
        }
        let (status, headers, _) = answers.send(http().get(&campaigns)).await;
        assert_eq!(status, 401);
        assert_eq!(headers[encore_server::error::RETRY_INVALID_SESSION], "1");
        assert_eq!(sim.token_requests(SHOP, "token_exchange"), 0);
        assert_eq!(shop_row(&db).await, None);

        // A good session on a shop without credentials installs it on the spot.
        let session = sim.session_token(SHOP, 42, now());
        let (status, _, body) = answers
            .send(http().get(&campaigns).bearer_auth(&session))
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["shop"], SHOP);
        assert_eq!(sim.token_requests(SHOP, "token_exchange"), 1);
        assert_eq!(shop_row(&db).await, Some(("EUR".to_string(), None)));
        // Installed: the next request exchanges nothing.
        let (status, _, _) = answers
            .send(http().get(&campaigns).bearer_auth(&session))
            .await;
        assert_eq!(status, 200);
        assert_eq!(sim.token_requests(SHOP, "token_exchange"), 1);
        // The explicit install exchanges again (it picks up newly granted scopes).
        let body = install_by_session(&running, &sim, &answers).await;
        assert_eq!(body["installed"], true);
        assert_eq!(sim.token_requests(SHOP, "token_exchange"), 2);
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn a_session_acts_on_its_own_shop_only() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = sim(HOUR, DAYS_90).await;
    sim.add_shop("other-shop.myshopify.com", StoreSpec::default());
    let running = server(&db, &sim).await;
    let answers = Answers::default();
    install_by_session(&running, &sim, &answers).await;
    let config = json!({"version": 1, "campaigns": []});
    let session = sim.session_token(SHOP, 42, now());
    for request in [
        http().get(format!(
            "{}/api/campaigns?shop=other-shop.myshopify.com",
            base(&running)
        )),
        http()
            .put(format!(
                "{}/api/campaigns?shop=other-shop.myshopify.com",
                base(&running)
            ))
            .json(&config),
        http().get(format!(
            "{}/api/analytics/summary?shop=other-shop.myshopify.com",
            base(&running)
        )),
        http().get(format!(
            "{}/api/session/status?shop=other-shop.myshopify.com",
            base(&running)
        )),
    ] {
        let (status, _, body) = answers.send(request.bearer_auth(&session)).await;
        assert_eq!((status, body["error"].as_str()), (403, Some("other_shop")));
    }
    // Operator-only routes do not take a session at all.
    let (status, _, _) = answers
        .send(
            http()
                .put(format!(
                    "{}/api/shops/other-shop.myshopify.com",
                    base(&running)
                ))
                .bearer_auth(&session)
                .json(&json!({"currencyCode": "USD"})),
        )
        .await;
    assert_eq!(status, 401);
    let pool = pool(&db).await;
    let others: i64 = sqlx::query("SELECT COUNT(*) FROM shops WHERE domain <> $1")
        .bind(SHOP)
        .fetch_one(&pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(others, 0);
    assert_eq!(
        sim.token_requests("other-shop.myshopify.com", "token_exchange"),
        0
    );
    running.stop().await;
}

#[tokio::test]
async fn a_token_near_expiry_is_refreshed_before_it_is_used() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        install_by_session(&running, &sim, &answers).await;
        assert!(facts(&running).await.is_ok());
        assert_eq!(
            sim.token_requests(SHOP, "refresh_token"),
            0,
            "an hour left: no refresh"
        );
        // A minute left, inside the five-minute margin: refreshed before the call.
        age_access_token(&db).await;
        let before = stored_tokens(&db).await;
        let requests = sim.admin_requests(SHOP);
        assert_eq!(facts(&running).await.unwrap().domain, shop());
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 1);
        assert_eq!(sim.admin_requests(SHOP), requests + 1, "no 401 on the way");
        let after = stored_tokens(&db).await;
        assert_ne!(before[0], after[0]);
        assert_ne!(
            before[1], after[1],
            "the refresh token rotates with the pair"
        );
        let status = status_of(&running, &answers).await;
        assert!(status["accessExpiresAt"].as_i64().unwrap() > now() + 3000);
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn a_401_refreshes_once_and_retries_the_call_once() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        install_by_session(&running, &sim, &answers).await;
        // Shopify expires the token before Encore expected: 401, one refresh, one retry.
        sim.expire_access_tokens(SHOP);
        let requests = sim.admin_requests(SHOP);
        assert_eq!(facts(&running).await.unwrap().currency, "EUR");
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 1);
        assert_eq!(sim.admin_requests(SHOP), requests + 2);
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn two_instances_refreshing_one_shop_at_once_send_one_refresh_to_shopify() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let a = server(&db, &sim).await;
        let b = server(&db, &sim).await;
        let answers = Answers::default();
        install_by_session(&a, &sim, &answers).await;
        age_access_token(&db).await;
        // Both instances find the token inside the refresh margin at the same moment, several
        // callers each.
        let calls = (0..4).flat_map(|_| [&a, &b]).map(|running| async move {
            running
                .state
                .credentials
                .admin_client(&shop())
                .await
                .map(|admin| admin.token().expose().to_string())
        });
        let tokens: Vec<String> = futures_util::future::join_all(calls)
            .await
            .into_iter()
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 1);
        assert!(
            tokens.iter().all(|t| *t == tokens[0]),
            "everyone uses the one new token"
        );
        assert_eq!(stored_tokens(&db).await[0], tokens[0]);
        a.stop().await;
        b.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn a_lost_refresh_answer_is_recovered_with_the_previous_refresh_token() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        install_by_session(&running, &sim, &answers).await;
        let installed = stored_tokens(&db).await;

        // One answer lost: the refresh is retried at once with the same refresh token.
        sim.expire_access_tokens(SHOP);
        sim.lose_next_token_answers(SHOP, 1);
        assert_eq!(facts(&running).await.unwrap().currency, "EUR");
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 2);

        // Two lost: this call fails and stores nothing; the next one recovers.
        sim.expire_access_tokens(SHOP);
        sim.lose_next_token_answers(SHOP, 2);
        let kept = stored_tokens(&db).await;
        assert_ne!(kept, installed);
        assert!(matches!(
            facts(&running).await,
            Err(AccessError::Refresh { .. })
        ));
        assert_eq!(
            stored_tokens(&db).await,
            kept,
            "nothing stored from a lost answer"
        );
        let status = status_of(&running, &answers).await;
        assert_eq!(status["needsReauthorization"], false);
        assert_eq!(facts(&running).await.unwrap().currency, "EUR");
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 5);
        // The recovered pair is a working pair: it refreshes again.
        sim.expire_access_tokens(SHOP);
        assert!(facts(&running).await.is_ok());
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 6);
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn invalid_grant_marks_the_shop_for_reauthorization_without_retrying_and_a_session_restores_it(
) {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        install_by_session(&running, &sim, &answers).await;
        sim.revoke_tokens(SHOP);
        assert!(matches!(
            facts(&running).await,
            Err(AccessError::NeedsReauthorization(_))
        ));
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 1);
        // Asked again, the shop is not refreshed again.
        for _ in 0..3 {
            assert!(matches!(
                facts(&running).await,
                Err(AccessError::NeedsReauthorization(_))
            ));
        }
        assert_eq!(
            running
                .state
                .credentials
                .refresh_idle_shops(now() + 89 * 24 * 3600)
                .await
                .unwrap(),
            0
        );
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 1);
        assert_eq!(
            status_of(&running, &answers).await["needsReauthorization"],
            true
        );
        // The merchant opens Encore: the session's token exchange re-authorizes the shop.
        let session = sim.session_token(SHOP, 42, now());
        let (status, _, _) = answers
            .send(
                http()
                    .get(format!("{}/api/campaigns", base(&running)))
                    .bearer_auth(session),
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            status_of(&running, &answers).await["needsReauthorization"],
            false
        );
        assert!(facts(&running).await.is_ok());
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn idle_shops_are_refreshed_before_their_refresh_token_lapses() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    // Refresh tokens that lapse in three days: inside the seven-day sweep window.
    let sim = sim(HOUR, 3 * 24 * 3600).await;
    let running = server(&db, &sim).await;
    let answers = Answers::default();
    install_by_session(&running, &sim, &answers).await;
    let before = stored_tokens(&db).await;
    let credentials = &running.state.credentials;
    assert_eq!(credentials.refresh_idle_shops(now()).await.unwrap(), 1);
    assert_eq!(sim.token_requests(SHOP, "refresh_token"), 1);
    assert_ne!(stored_tokens(&db).await[1], before[1]);
    running.stop().await;

    let db = Db::Sqlite(dir.path().join("second.sqlite"));
    let sim = self::sim(HOUR, DAYS_90).await;
    let running = server(&db, &sim).await;
    install_by_session(&running, &sim, &answers).await;
    assert_eq!(
        running
            .state
            .credentials
            .refresh_idle_shops(now())
            .await
            .unwrap(),
        0,
        "a refresh token with 90 days left is not touched"
    );
    assert_eq!(sim.token_requests(SHOP, "refresh_token"), 0);
    running.stop().await;
}

#[tokio::test]
async fn app_uninstalled_deletes_the_tokens_stops_offers_and_a_reinstall_brings_them_back() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        install_by_session(&running, &sim, &answers).await;
        let client = Client::new(&running);
        let input = input_data("ref-uninstall", &[("632910392", "808950810", "199.00")]);
        let (status, before) = client.offer(&token_for(&input), json!({})).await;
        assert_eq!(status, 200, "{before}");
        assert_ne!(before["reasons"][0]["code"], "SHOP_UNINSTALLED");

        let payload = shopify_sim::payloads::example("app/uninstalled").unwrap();
        let status = sim
            .deliver_webhook(
                &format!("{}/webhooks/shopify", base(&running)),
                SHOP,
                "app/uninstalled",
                "uninstall-1",
                payload.to_string().as_bytes(),
            )
            .await
            .unwrap();
        assert_eq!(status.as_u16(), 200);
        let input = input_data("ref-after", &[("632910392", "808950810", "199.00")]);
        let (status, after) = client.offer(&token_for(&input), json!({})).await;
        assert_eq!(status, 200);
        assert_eq!(after["render"], false);
        assert_eq!(after["reasons"][0]["code"], "SHOP_UNINSTALLED");
        let status = status_of(&running, &answers).await;
        assert_eq!(
            (
                status["installed"].as_bool(),
                status["hasCredentials"].as_bool()
            ),
            (Some(false), Some(false))
        );
        assert!(matches!(
            facts(&running).await,
            Err(AccessError::NotInstalled(_))
        ));
        // The data stays until shop/redact.
        assert_eq!(shop_row(&db).await.unwrap().0, "EUR");

        // Reinstall (the merchant opens Encore again): offers come back.
        install_by_session(&running, &sim, &answers).await;
        assert_eq!(shop_row(&db).await, Some(("EUR".to_string(), None)));
        let input = input_data("ref-back", &[("632910392", "808950810", "199.00")]);
        let (_, back) = client.offer(&token_for(&input), json!({})).await;
        assert_ne!(back["reasons"][0]["code"], "SHOP_UNINSTALLED");
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn tokens_never_appear_in_logs_answers_or_the_database_and_a_copied_row_does_not_decrypt() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = sim(HOUR, DAYS_90).await;
    let running = server(&db, &sim).await;
    let answers = Answers::default();
    let mut seen = Vec::new();
    install_by_session(&running, &sim, &answers).await;
    seen.extend(stored_tokens(&db).await);
    age_access_token(&db).await;
    // Refresh before expiry, on 401, after a lost answer: every pair is seen by the logs.
    facts(&running).await.unwrap();
    seen.extend(stored_tokens(&db).await);
    sim.expire_access_tokens(SHOP);
    sim.lose_next_token_answers(SHOP, 1);
    facts(&running).await.unwrap();
    seen.extend(stored_tokens(&db).await);
    let admin = running
        .state
        .credentials
        .admin_client(&shop())
        .await
        .unwrap();
    let debug = format!(
        "{admin:?} {:?} {:?}",
        running.state.settings,
        running.state.credentials.status(&shop()).await.unwrap()
    );
    status_of(&running, &answers).await;
    let logged = String::from_utf8(logs().lock().unwrap().clone()).unwrap();
    assert!(
        logged.contains("access token refreshed"),
        "the capture works"
    );
    let answered = answers.0.lock().unwrap().clone();
    for token in &seen {
        assert!(!logged.contains(token.as_str()), "a token was logged");
        assert!(!answered.contains(token.as_str()), "a token was answered");
        assert!(
            !debug.contains(token.as_str()),
            "a token is in Debug output"
        );
    }

    // A row copied to another shop does not decrypt there.
    let pool = pool(&db).await;
    sqlx::query(
        "INSERT INTO shop_credentials (shop, key_id, access_token, refresh_token, \
         access_expires_at, refresh_expires_at, scopes, updated_at) \
         SELECT 'copy-shop.myshopify.com', key_id, access_token, refresh_token, \
         $1, refresh_expires_at, scopes, updated_at FROM shop_credentials WHERE shop = $2",
    )
    .bind(now() + 3600)
    .bind(SHOP)
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
    let copy = ShopDomain::parse("copy-shop.myshopify.com").unwrap();
    assert!(matches!(
        running.state.credentials.admin_client(&copy).await,
        Err(AccessError::Credentials(_))
    ));
    running.stop().await;
}

#[tokio::test]
async fn getting_started_learns_from_shopify_whether_encore_is_the_post_purchase_app() {
    let dir = tempfile::tempdir().unwrap();
    let db = sqlite_db(&dir);
    let sim = sim(HOUR, DAYS_90).await;
    let running = server(&db, &sim).await;
    let answers = Answers::default();
    let setting = || async {
        let (status, _, body) = answers
            .send(
                http()
                    .get(format!("{}/api/checkout-setting", base(&running)))
                    .bearer_auth(sim.session_token(SHOP, 42, now())),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    };

    // Loaded by the operator but never installed: nothing to ask Shopify with.
    let (status, _, _) = answers
        .send(
            http()
                .put(format!("{}/api/shops/{SHOP}", base(&running)))
                .bearer_auth(ADMIN)
                .json(&json!({"currencyCode": "USD"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _, body) = answers
        .send(
            http()
                .get(format!(
                    "{}/api/checkout-setting?shop={SHOP}",
                    base(&running)
                ))
                .bearer_auth(ADMIN),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        json!({"postPurchaseAppInUse": null, "unknownBecause": "not_installed"})
    );

    install_by_session(&running, &sim, &answers).await;
    assert_eq!(setting().await, json!({"postPurchaseAppInUse": false}));
    sim.set_post_purchase_app(SHOP, true);
    assert_eq!(setting().await, json!({"postPurchaseAppInUse": true}));
    // Shopify refusing the call is shown as unknown, never as "off".
    sim.fail_next(SHOP, &[423]);
    assert_eq!(
        setting().await,
        json!({"postPurchaseAppInUse": null, "unknownBecause": "shopify_unavailable"})
    );
    // Shopify slow to answer (or failing while the Admin client's retries go on): the page is
    // told within its budget (4 s) instead of waiting for Shopify.
    sim.delay_next(SHOP, 1, Duration::from_secs(7));
    let asked = std::time::Instant::now();
    assert_eq!(
        setting().await,
        json!({"postPurchaseAppInUse": null, "unknownBecause": "shopify_unavailable"})
    );
    let waited = asked.elapsed();
    assert!(
        waited >= Duration::from_secs(4) && waited < Duration::from_secs(6),
        "answered after {waited:?}"
    );
    running.stop().await;
}

/// Queues an order that webhooks named, waiting to be read through the Admin API.
async fn queue_order(db: &Db, sim: &Sim, id: u64) {
    sim.put_order(
        SHOP,
        shopify_sim::SimOrder {
            shipping_country: None,
            customer_locale: None,
            id,
            name: format!("#{id}"),
            customer: None,
            lines: vec![],
            created_at: "2026-11-30T10:00:00Z".into(),
            currency: None,
            metafields: vec![],
        },
    );
    let pool = pool(db).await;
    sqlx::query(
        "INSERT INTO attribution_orders (shop, order_id, state, seen_at) VALUES ($1, $2, 'pending', $3)",
    )
    .bind(SHOP)
    .bind(id.to_string())
    .bind(now())
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;
}

async fn pending_orders(db: &Db) -> i64 {
    let pool = pool(db).await;
    let n = sqlx::query_scalar(
        "SELECT COUNT(*) FROM attribution_orders WHERE shop = $1 AND state = 'pending'",
    )
    .bind(SHOP)
    .fetch_one(&pool)
    .await
    .unwrap();
    pool.close().await;
    n
}

#[tokio::test]
async fn the_background_reconciler_reads_orders_queued_while_the_server_was_down() {
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        install_by_session(&running, &sim, &Answers::default()).await;
        running.stop().await;
        for id in [8101u64, 8102] {
            queue_order(&db, &sim, id).await;
        }
        let mut settings = settings(&db);
        settings.shopify_host =
            encore_shopify::host::ShopifyHost::custom(&sim.host_template()).unwrap();
        settings.app.retention.every = None;
        settings.app.reconcile_every = Some(Duration::from_secs(3600));
        let running = encore_server::start(settings, ScriptedRunner::new())
            .await
            .unwrap();
        // The first pass runs at start-up, not an interval later.
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while pending_orders(&db).await > 0 {
            assert!(std::time::Instant::now() < deadline, "orders still pending");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        running.stop().await;
        db.dispose().await;
    }
}

#[tokio::test]
async fn a_401_in_the_middle_of_a_reconciler_pass_refreshes_once_and_the_pass_goes_on() {
    use encore_app::attribution::AdminCalls;
    use encore_app::reconcile;
    let dir = tempfile::tempdir().unwrap();
    for db in backends(&dir).await {
        let sim = sim(HOUR, DAYS_90).await;
        let running = server(&db, &sim).await;
        let answers = Answers::default();
        install_by_session(&running, &sim, &answers).await;
        // Three orders queued by webhooks, waiting to be read through the Admin API.
        for id in [8001u64, 8002, 8003] {
            queue_order(&db, &sim, id).await;
        }
        let shop_row = running.state.store.shop(SHOP).await.unwrap().unwrap();
        let mut admin = running
            .state
            .credentials
            .admin_client(&shop())
            .await
            .unwrap();
        // The first order is read; the token expires before the second.
        sim.expire_access_tokens_at(SHOP, sim.admin_requests(SHOP) + 2);
        let report = reconcile::pass(
            &running.state.store,
            &mut AdminCalls::Stored(&mut admin),
            &shop_row,
            std::time::Duration::from_secs(7200),
            now(),
        )
        .await
        .unwrap();
        assert_eq!((report.orders_read, report.errors), (3, 0), "{report:?}");
        assert_eq!(sim.token_requests(SHOP, "refresh_token"), 1);
        assert_eq!(stored_tokens(&db).await[0], admin.token().expose());
        running.stop().await;
        db.dispose().await;
    }
}
