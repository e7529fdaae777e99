//! A simulated Shopify on loopback, for Encore's tests and demo.
//!
//! Shopify cannot be reached from CI, so this stands in for it at the edge only, speaking
//! Shopify's wire formats: the token endpoint (token exchange, refresh with rotating refresh
//! tokens, authorization code), the Admin GraphQL endpoint answering Encore's own operations in
//! the 2026-10 schema's shapes with `extensions.cost` and a leaky-bucket rate limit, bulk
//! operations (the catalog, and order histories from `encore-mining`'s generator) whose JSONL is
//! streamed from the simulator, and webhooks signed like Shopify's
//! with payloads built from Shopify's example payloads. It is not a GraphQL engine: it answers
//! the operations Encore sends, by operation name (see docs/shopify.md for its limits).
//!
//! Every shop is served under `http://127.0.0.1:{port}/{shop}` (use it as the client's host
//! template `…/{shop}`).

mod admin;
pub mod bulk;
pub mod inventory;
pub mod orders;
pub mod payloads;
pub mod selling_plans;
mod session;
mod simulation;
mod state;
pub mod store;
mod tokens;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;

pub use session::mint_session_token;
pub use state::{SimCustomer, SimOrder, SimOrderLine};
pub use store::StoreSpec;

use state::Shared;

/// How the simulator behaves.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub client_id: String,
    pub client_secret: String,
    /// The only API version served (others answer 404).
    pub api_version: String,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    /// The cost bucket: Shopify's standard is 2000 points restored at 100 per second.
    pub bucket_max: f64,
    pub restore_rate: f64,
    /// How long a bulk operation runs before it completes.
    pub bulk_duration: Duration,
    /// Write some child rows after the next product's row (Shopify does not promise adjacency
    /// without groupObjects).
    pub detach_collections: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        Self {
            client_id: "sim-client-id".into(),
            client_secret: "sim-client-secret".into(),
            api_version: "2026-10".into(),
            access_token_ttl: Duration::from_secs(3600),
            refresh_token_ttl: Duration::from_secs(90 * 24 * 3600),
            bucket_max: 2000.0,
            restore_rate: 100.0,
            bulk_duration: Duration::from_millis(200),
            detach_collections: false,
        }
    }
}

/// A running simulator. Dropping it leaves the server running until the runtime ends.
#[derive(Clone)]
pub struct Sim {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Sim {
    /// Binds 127.0.0.1 on a free port and serves in the background.
    pub async fn start(config: SimConfig) -> std::io::Result<Sim> {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(config, format!("http://{addr}")));
        let app = router(shared.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Ok(Sim { addr, shared })
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:{port}/{shop}`: the host template for Encore's clients.
    pub fn host_template(&self) -> String {
        format!("http://{}/{{shop}}", self.addr)
    }

    pub fn config(&self) -> &SimConfig {
        &self.shared.config
    }

    /// Adds (or replaces) a shop with a generated store.
    pub fn add_shop(&self, shop: &str, spec: StoreSpec) {
        self.shared.add_shop(shop, spec);
    }

    /// Replaces the shop's generated store, keeping its tokens and everything else: the
    /// merchant edited the catalog (products or variants removed, others unchanged).
    pub fn replace_store(&self, shop: &str, spec: StoreSpec) {
        self.shared.with_shop(shop, |s| s.spec = spec);
    }

    /// A session token as App Bridge would give the embedded admin page of `shop`.
    pub fn session_token(&self, shop: &str, user: u64, now: i64) -> String {
        mint_session_token(&self.shared.config, shop, user, now, 60)
    }

    /// Makes every access token of the shop expired (the next Admin call answers 401).
    pub fn expire_access_tokens(&self, shop: &str) {
        self.shared.with_shop(shop, |s| s.expire_access_tokens());
    }

    /// The merchant chooses (or stops choosing) the app as the shop's post-purchase app.
    pub fn set_post_purchase_app(&self, shop: &str, in_use: bool) {
        self.shared
            .with_shop(shop, |s| s.post_purchase_app_in_use = in_use);
    }

    /// The shop's access tokens expire just before its Admin request number `n` (as counted by
    /// [`Sim::admin_requests`]) is answered: a 401 in the middle of a series of calls.
    pub fn expire_access_tokens_at(&self, shop: &str, n: u64) {
        self.shared
            .with_shop(shop, |s| s.expire_tokens_at = Some(n));
    }

    /// The next `n` Admin calls of the shop answer THROTTLED whatever the bucket holds.
    pub fn throttle_next(&self, shop: &str, n: u32) {
        self.shared.with_shop(shop, |s| s.throttle_next = n);
    }

    /// The next Admin calls of the shop answer these HTTP statuses, in order.
    pub fn fail_next(&self, shop: &str, statuses: &[u16]) {
        self.shared
            .with_shop(shop, |s| s.fail_next.extend(statuses.iter().copied()));
    }

    /// Delays each of the next Admin GraphQL answers of `shop` by `delay`, `n` of them.
    pub fn delay_next(&self, shop: &str, n: usize, delay: Duration) {
        self.shared
            .with_shop(shop, |s| s.delay_next.extend(std::iter::repeat_n(delay, n)));
    }

    /// Stocks `item` at `location` (RFC 3339 `updated_at`), as `inventoryItem.inventoryLevels`
    /// reads it; the home location's level is overridden too.
    pub fn put_inventory_level(
        &self,
        shop: &str,
        item: u64,
        location: u64,
        available: i64,
        updated_at: &str,
    ) {
        self.shared.with_shop(shop, |s| {
            s.levels
                .insert((item, location), (available, updated_at.to_string()))
        });
    }

    /// The shop's next catalog bulk operation writes a broken line or breaks off its download.
    pub fn fault_next_bulk(&self, shop: &str, faults: bulk::BulkFaults) {
        self.shared.with_shop(shop, |s| s.next_bulk_faults = faults);
    }

    /// How many Admin GraphQL requests the shop received (every attempt counts).
    pub fn admin_requests(&self, shop: &str) -> u64 {
        self.shared
            .with_shop(shop, |s| s.admin_requests)
            .unwrap_or(0)
    }

    /// How many THROTTLED answers the shop got.
    pub fn throttled_answers(&self, shop: &str) -> u64 {
        self.shared.with_shop(shop, |s| s.throttled).unwrap_or(0)
    }

    /// How many token endpoint requests of `grant` (`token_exchange`, `refresh_token`,
    /// `authorization_code`) reached the shop, refused ones included.
    pub fn token_requests(&self, shop: &str, grant: &str) -> u64 {
        self.shared
            .with_shop(shop, |s| s.grants.get(grant).copied().unwrap_or(0))
            .unwrap_or(0)
    }

    /// The next `n` token answers of the shop are lost: the grant takes effect (a refresh
    /// rotates the pair) but the connection breaks before the client reads the answer.
    pub fn lose_next_token_answers(&self, shop: &str, n: u32) {
        self.shared.with_shop(shop, |s| s.lose_token_answers = n);
    }

    /// Revokes every token of the shop, as uninstalling the app does: refreshes then answer
    /// `invalid_grant` and Admin calls 401.
    pub fn revoke_tokens(&self, shop: &str) {
        self.shared.with_shop(shop, |s| s.revoke_tokens());
    }

    pub fn put_customer(&self, shop: &str, customer: SimCustomer) {
        self.shared
            .with_shop(shop, |s| s.customers.insert(customer.id, customer));
    }

    /// Gives the shop a generated order history (the mining crate's generator): what the
    /// orders bulk query reads, in Shopify's JSONL shapes.
    pub fn set_order_history(&self, shop: &str, history: encore_mining::generate::HistorySpec) {
        self.shared
            .with_shop(shop, |s| s.order_history = Some(history));
    }

    pub fn put_order(&self, shop: &str, order: SimOrder) {
        self.shared
            .with_shop(shop, |s| s.orders.insert(order.id, order));
    }

    /// The URL the simulated admin sends a merchant to after granting (the OAuth callback),
    /// signed like Shopify's, for an install through `/admin/oauth/authorize`.
    pub fn authorize(
        &self,
        shop: &str,
        redirect_uri: &str,
        state: &str,
        now: i64,
    ) -> Option<String> {
        tokens::authorize(&self.shared, shop, redirect_uri, state, now)
    }

    /// Signs and POSTs a webhook to `url` like Shopify; returns the HTTP status.
    pub async fn deliver_webhook(
        &self,
        url: &str,
        shop: &str,
        topic: &str,
        webhook_id: &str,
        body: &[u8],
    ) -> reqwest::Result<reqwest::StatusCode> {
        payloads::deliver(&self.shared.config, url, shop, topic, webhook_id, body).await
    }
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route(
            "/{shop}/admin/oauth/access_token",
            post(tokens::access_token),
        )
        .route(
            "/{shop}/admin/api/{version}/graphql.json",
            post(admin::graphql),
        )
        .route("/{shop}/bulk/{file}", get(bulk::download))
        .with_state(shared)
}
