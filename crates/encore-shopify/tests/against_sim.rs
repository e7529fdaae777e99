//! The client against the simulated Shopify over real HTTP on loopback: install and token
//! grants, refresh-token rotation, the Admin API with throttling and retries, and a bulk sync
//! of a generated catalog streamed through the JSONL reader.

use std::time::{Duration, Instant};

use encore_engine::money::Currency;
use encore_shopify::admin::{AdminClient, AdminConfig, AdminError, BulkStatus, RetryPolicy};
use encore_shopify::bulk::{download, CatalogAssembler, CatalogEntry, CatalogReader};
use encore_shopify::host::ShopifyHost;
use encore_shopify::ids::{CustomerId, OrderId};
use encore_shopify::oauth::{
    verify_callback, AppCredentials, OAuthErrorCode, TokenClient, TokenRequestError,
};
use encore_shopify::session::SessionVerifier;
use encore_shopify::{Secret, ShopDomain};
use shopify_sim::{Sim, SimConfig, SimCustomer, SimOrder, SimOrderLine, StoreSpec};

const SHOP: &str = "encore-demo.myshopify.com";

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

struct Fixture {
    sim: Sim,
    shop: ShopDomain,
    tokens: TokenClient,
    admin: AdminClient,
}

async fn fixture(config: SimConfig, spec: StoreSpec) -> Fixture {
    let sim = Sim::start(config.clone()).await.unwrap();
    sim.add_shop(SHOP, spec);
    let host = ShopifyHost::custom(&sim.host_template()).unwrap();
    let http = reqwest::Client::new();
    let shop = ShopDomain::parse(SHOP).unwrap();
    let credentials = AppCredentials {
        client_id: config.client_id.clone(),
        client_secret: Secret::new(config.client_secret.clone()),
    };
    let tokens = TokenClient::new(
        http.clone(),
        host.clone(),
        credentials,
        Duration::from_secs(5),
    );
    let admin = AdminClient::new(
        http,
        AdminConfig {
            host,
            timeout: Duration::from_secs(5),
            retry: RetryPolicy {
                max_attempts: 4,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(80),
            },
            ..AdminConfig::default()
        },
        shop.clone(),
    );
    Fixture {
        sim,
        shop,
        tokens,
        admin,
    }
}

async fn installed(f: &Fixture) -> encore_shopify::oauth::OfflineToken {
    let session = f.sim.session_token(SHOP, 42, now());
    f.tokens
        .exchange_session_token(&f.shop, &session)
        .await
        .unwrap()
}

#[tokio::test]
async fn token_exchange_gives_an_expiring_offline_token_that_reads_the_shop() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let session = f.sim.session_token(SHOP, 42, now());
    let config = f.sim.config();
    let verified = SessionVerifier::new(
        &config.client_id,
        &Secret::new(config.client_secret.clone()),
    )
    .verify(&session, now())
    .unwrap();
    let token = f
        .tokens
        .exchange_session_token(&verified.shop, &session)
        .await
        .unwrap();
    assert_eq!(token.expires_in, Some(3600));
    assert!(token.refresh_token.is_some());
    assert_eq!(token.refresh_token_expires_in, Some(90 * 24 * 3600));

    let shop = f.admin.shop_facts(&token.access_token).await.unwrap();
    assert_eq!(shop.domain, f.shop);
    assert_eq!(shop.currency, "USD");
    assert!(shop.partner_development);
}

#[tokio::test]
async fn a_forged_session_token_or_a_wrong_secret_gets_no_token() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let forged = shopify_sim::mint_session_token(
        &SimConfig {
            client_secret: "forged".into(),
            ..SimConfig::default()
        },
        SHOP,
        42,
        now(),
        60,
    );
    let refused = f
        .tokens
        .exchange_session_token(&f.shop, &forged)
        .await
        .unwrap_err();
    assert!(
        matches!(refused, TokenRequestError::Refused { status: 400, code: OAuthErrorCode::Other(ref c), .. } if c == "invalid_subject_token"),
        "{refused:?}"
    );
    let expired = f.sim.session_token(SHOP, 42, now() - 600);
    assert!(f
        .tokens
        .exchange_session_token(&f.shop, &expired)
        .await
        .is_err());

    let wrong_secret = TokenClient::new(
        reqwest::Client::new(),
        ShopifyHost::custom(&f.sim.host_template()).unwrap(),
        AppCredentials {
            client_id: "sim-client-id".into(),
            client_secret: Secret::new("nope"),
        },
        Duration::from_secs(5),
    );
    let session = f.sim.session_token(SHOP, 42, now());
    let refused = wrong_secret
        .exchange_session_token(&f.shop, &session)
        .await
        .unwrap_err();
    assert!(matches!(
        refused,
        TokenRequestError::Refused {
            code: OAuthErrorCode::InvalidClient,
            ..
        }
    ));
}

#[tokio::test]
async fn an_expired_access_token_is_a_distinct_401_and_one_refresh_recovers() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let first = installed(&f).await;
    f.sim.expire_access_tokens(SHOP);
    assert_eq!(
        f.admin.shop_facts(&first.access_token).await.unwrap_err(),
        AdminError::Unauthorized
    );
    assert_eq!(f.sim.admin_requests(SHOP), 1, "a 401 is not retried");

    let second = f
        .tokens
        .refresh(&f.shop, first.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    assert_ne!(
        second.refresh_token, first.refresh_token,
        "refresh tokens rotate"
    );
    f.admin.shop_facts(&second.access_token).await.unwrap();

    // The replacement is in use: the first refresh token is retired.
    let retired = f
        .tokens
        .refresh(&f.shop, first.refresh_token.as_ref().unwrap())
        .await
        .unwrap_err();
    assert!(retired.needs_reauthorization(), "{retired:?}");
}

#[tokio::test]
async fn a_lost_refresh_answer_is_recovered_with_the_previous_refresh_token() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let first = installed(&f).await;
    let r1 = first.refresh_token.unwrap();
    let lost = f.tokens.refresh(&f.shop, &r1).await.unwrap();
    // The answer never reached storage: the caller retries with the token it still has.
    let recovered = f.tokens.refresh(&f.shop, &r1).await.unwrap();
    f.admin.shop_facts(&recovered.access_token).await.unwrap();
    let void = f
        .tokens
        .refresh(&f.shop, lost.refresh_token.as_ref().unwrap())
        .await
        .unwrap_err();
    assert!(void.needs_reauthorization());
    let next = f
        .tokens
        .refresh(&f.shop, recovered.refresh_token.as_ref().unwrap())
        .await
        .unwrap();
    assert!(next.refresh_token.is_some());
}

#[tokio::test]
async fn the_authorization_code_grant_installs_once_per_code() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let redirect = "https://encore.example.com/auth/callback";
    let callback_url = f.sim.authorize(SHOP, redirect, "nonce-1", now()).unwrap();
    let query = callback_url.split_once('?').unwrap().1;
    let secret = Secret::new(f.sim.config().client_secret.clone());
    let callback = verify_callback(&secret, query, now()).unwrap();
    assert_eq!(
        (callback.shop.as_str(), callback.state.as_str()),
        (SHOP, "nonce-1")
    );
    let token = f
        .tokens
        .exchange_code(&callback.shop, &callback.code)
        .await
        .unwrap();
    assert_eq!(token.expires_in, Some(3600));
    let again = f
        .tokens
        .exchange_code(&callback.shop, &callback.code)
        .await
        .unwrap_err();
    assert!(again.needs_reauthorization());

    let tampered = query.replace("nonce-1", "nonce-2");
    assert!(verify_callback(&secret, &tampered, now()).is_err());
}

#[tokio::test]
async fn throttled_answers_are_waited_out_and_retried() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let token = installed(&f).await.access_token;
    f.sim.throttle_next(SHOP, 2);
    f.admin.shop_facts(&token).await.unwrap();
    assert_eq!(f.sim.throttled_answers(SHOP), 2);
    assert_eq!(f.sim.admin_requests(SHOP), 3);

    f.sim.throttle_next(SHOP, 10);
    let gave_up = f.admin.shop_facts(&token).await.unwrap_err();
    assert_eq!(gave_up, AdminError::Throttled { attempts: 4 });
}

#[tokio::test]
async fn the_client_waits_for_the_cost_budget_instead_of_being_throttled() {
    let config = SimConfig {
        bucket_max: 10.0,
        restore_rate: 50.0,
        ..SimConfig::default()
    };
    let f = fixture(config, StoreSpec::default()).await;
    let token = installed(&f).await.access_token;
    f.sim.put_customer(
        SHOP,
        SimCustomer {
            id: 7,
            tags: vec!["vip".into()],
            number_of_orders: 3,
            amount_spent: "120.50".into(),
        },
    );
    let started = Instant::now();
    for _ in 0..20 {
        let customer = f
            .admin
            .customer(&token, CustomerId::new(7).unwrap())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(customer.amount_spent_minor, 12050);
    }
    assert_eq!(f.sim.throttled_answers(SHOP), 0);
    // 20 calls of cost 2 from a bucket of 10 refilling at 50/s: at least 0.6 s of waiting.
    assert!(
        started.elapsed() >= Duration::from_millis(550),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn server_errors_and_429_are_retried_and_the_retries_are_bounded() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let token = installed(&f).await.access_token;
    f.sim.fail_next(SHOP, &[500, 503, 429]);
    f.admin.shop_facts(&token).await.unwrap();
    assert_eq!(f.sim.admin_requests(SHOP), 4);

    f.sim.fail_next(SHOP, &[502; 6]);
    assert_eq!(
        f.admin.shop_facts(&token).await.unwrap_err(),
        AdminError::Server {
            status: 502,
            attempts: 4
        }
    );
    f.sim.fail_next(SHOP, &[403]);
    assert!(matches!(
        f.admin.shop_facts(&token).await.unwrap_err(),
        AdminError::Forbidden(_)
    ));
}

#[tokio::test]
async fn customers_and_orders_read_with_typed_ids_and_every_page_of_lines() {
    let f = fixture(SimConfig::default(), StoreSpec::default()).await;
    let token = installed(&f).await.access_token;
    assert_eq!(
        f.admin
            .customer(&token, CustomerId::new(99).unwrap())
            .await
            .unwrap(),
        None
    );
    let lines = (1..=150)
        .map(|i| SimOrderLine {
            id: 10_000 + i,
            variant: Some(40_000_000_000 + i),
            product: None,
            quantity: 1,
            unit_price: "9.99".into(),
            discount_minor: 0,
        })
        .collect();
    f.sim.put_order(
        SHOP,
        SimOrder {
            shipping_country: None,
            customer_locale: None,
            id: 820982911,
            name: "#1001".into(),
            customer: Some(7),
            lines,
            created_at: "2026-11-30T10:00:00Z".into(),
            currency: None,
            metafields: vec![
                (
                    "encore".into(),
                    "offer".into(),
                    "json".into(),
                    r#"{"campaign":"c1"}"#.into(),
                ),
                (
                    "other".into(),
                    "x".into(),
                    "single_line_text_field".into(),
                    "y".into(),
                ),
            ],
        },
    );
    let order = f
        .admin
        .order(&token, OrderId::new(820982911).unwrap(), "encore")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(order.lines.len(), 150);
    assert_eq!(order.lines[149].id.get(), 10_150);
    assert_eq!(order.lines[0].unit_price_minor, 999);
    assert_eq!(order.customer, CustomerId::new(7));
    assert_eq!(order.metafields.len(), 1);
    assert_eq!(order.metafields[0].key, "offer");
}

#[tokio::test]
async fn a_bulk_sync_streams_a_generated_catalog_and_one_runs_at_a_time_per_shop() {
    let spec = StoreSpec {
        seed: 3,
        products: 300,
        variants_per_product: 3,
        currency: "USD".into(),
    };
    let f = fixture(SimConfig::default(), spec).await;
    let token = installed(&f).await.access_token;

    let invalid = f
        .admin
        .start_bulk_query(&token, "{ shop { id } }")
        .await
        .unwrap_err();
    assert!(
        matches!(&invalid, AdminError::UserErrors(e) if e[0].code.as_deref() == Some("INVALID"))
    );

    let id = f.admin.start_catalog_bulk(&token).await.unwrap();
    let busy = f.admin.start_catalog_bulk(&token).await.unwrap_err();
    assert!(busy.is_bulk_in_progress(), "{busy:?}");

    let op = f
        .admin
        .wait_for_bulk(
            &token,
            id,
            Duration::from_millis(50),
            Duration::from_secs(10),
        )
        .await
        .unwrap();
    assert_eq!(op.status, BulkStatus::Completed);
    assert_eq!(op.root_object_count, 300);

    let http = reqwest::Client::new();
    let body = download::open(&http, op.url.as_deref().unwrap(), Duration::from_secs(30))
        .await
        .unwrap();
    let mut reader = CatalogReader::new(
        body,
        CatalogAssembler::new(Currency::from_code("USD").unwrap()),
    );
    let (mut products, mut variants) = (0, 0);
    while let Some(entry) = reader.next().await.unwrap() {
        if let CatalogEntry::Product(p) = entry {
            products += 1;
            variants += p.variants.len();
        }
    }
    assert_eq!((products, variants), (300, 900));
    let stats = reader.stats();
    assert_eq!(stats.malformed, 0);
    assert_eq!(stats.lines, op.object_count);

    // The shop's bulk slot is free again.
    f.admin.start_catalog_bulk(&token).await.unwrap();
}

#[tokio::test]
async fn waiting_for_a_bulk_operation_gives_up_at_the_deadline() {
    let config = SimConfig {
        bulk_duration: Duration::from_secs(30),
        ..SimConfig::default()
    };
    let f = fixture(config, StoreSpec::default()).await;
    let token = installed(&f).await.access_token;
    let id = f.admin.start_catalog_bulk(&token).await.unwrap();
    let gave_up = f
        .admin
        .wait_for_bulk(
            &token,
            id,
            Duration::from_millis(20),
            Duration::from_millis(100),
        )
        .await
        .unwrap_err();
    assert_eq!(gave_up, AdminError::BulkDeadline);
}
