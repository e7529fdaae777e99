//! Each shop's Admin API access: stored tokens (sealed by the vault), refreshed in time, one
//! refresh per shop at a time across every server instance.
//!
//! **The one entry point for the rest of Encore is [`Credentials::admin_client`]**: it gives a
//! [`ShopAdmin`] — the shop's [`AdminClient`] (one per shop, so calls share its cost budget)
//! with an access token that is good for at least [`REFRESH_MARGIN_SECONDS`]. Send calls through
//! [`ShopAdmin::call`], which refreshes once on a 401 and calls again once:
//!
//! ```ignore
//! let mut admin = state.credentials.admin_client(&shop).await?;
//! let facts = admin.call(async |client, token| client.shop_facts(token).await).await?;
//! ```
//!
//! Refresh protocol (expiring offline tokens, ../docs/install.md):
//! - a token within [`REFRESH_MARGIN_SECONDS`] of expiry, or one Shopify answered 401 for, is
//!   refreshed by whoever takes the shop's lease (a conditional `UPDATE … RETURNING` on the
//!   stored pair's version); everyone else waits for the version to move and uses the new token;
//! - the new access and refresh token are stored together, releasing the lease, in one
//!   statement, and only by the lease holder;
//! - a refresh whose answer is lost (timeout, broken connection, 5xx) stores nothing and keeps
//!   the previous refresh token: Shopify accepts it again until its replacement is first used,
//!   so the next attempt recovers;
//! - `invalid_grant` marks the shop `needs_reauthorization`, once: no retry loop (the embedded
//!   admin's next session token exchange, or a new code grant, clears it);
//! - [`Credentials::refresh_idle_shops`] (the server's sweeper) refreshes idle shops whose refresh token lapses within
//!   [`IDLE_REFRESH_WITHIN_SECONDS`] (a refresh token lives 90 days).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use encore_shopify::admin::{AdminClient, AdminConfig, AdminError};
use encore_shopify::oauth::{AppCredentials, OfflineToken, TokenClient, TokenRequestError};
use encore_shopify::{Secret, ShopDomain};
use serde::Serialize;

use crate::clock::now;
use crate::vault::{OpenError, Vault};
use encore_store::{Store, StoreError};

pub use encore_store::credentials::NewPair;

/// Refresh an access token this long before it expires.
pub const REFRESH_MARGIN_SECONDS: i64 = 300;
/// The sweeper refreshes shops whose refresh token lapses within this (7 days).
pub const IDLE_REFRESH_WITHIN_SECONDS: i64 = 7 * 24 * 3600;
/// How long a refresh lease lasts: well beyond the token request's timeout, so a lease never
/// runs out while its holder still waits for Shopify.
const LEASE_SECONDS: i64 = 30;
const TOKEN_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a caller waits for another instance's refresh before giving up.
const WAIT_FOR_OTHERS: Duration = Duration::from_secs(35);
const POLL: Duration = Duration::from_millis(100);

/// Why the shop's Admin API cannot be used now.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AccessError {
    #[error("Encore is not installed on {0}")]
    NotInstalled(ShopDomain),
    #[error("{0} must open Encore again to re-authorize it: Shopify refused its refresh token")]
    NeedsReauthorization(ShopDomain),
    #[error("the access token of {shop} could not be refreshed: {source}")]
    Refresh {
        shop: ShopDomain,
        source: TokenRequestError,
    },
    #[error("another instance's token refresh for {0} did not finish in time")]
    RefreshBusy(ShopDomain),
    #[error(transparent)]
    Credentials(#[from] OpenError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Admin(#[from] AdminError),
}

/// What the status route shows about a shop's access (never a token).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccessStatus {
    pub shop: ShopDomain,
    /// The shop row exists and no app/uninstalled arrived since the last install.
    pub installed: bool,
    pub has_credentials: bool,
    pub needs_reauthorization: bool,
    pub scopes: Vec<String>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
}

/// Token storage, refresh and Admin clients for every shop (one per server).
#[derive(Clone)]
pub struct Credentials {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    vault: Vault,
    tokens: TokenClient,
    http: reqwest::Client,
    admin: AdminConfig,
    /// One Admin client per shop: it models the shop's cost budget.
    clients: Mutex<HashMap<ShopDomain, Arc<AdminClient>>>,
    /// One refresh per shop per process; the database lease does the same across processes.
    local: Mutex<HashMap<ShopDomain, Arc<tokio::sync::Mutex<()>>>>,
}

/// The shop's Admin client with a fresh token. See the module documentation.
pub struct ShopAdmin {
    credentials: Credentials,
    client: Arc<AdminClient>,
    token: Secret,
}

impl std::fmt::Debug for ShopAdmin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ShopAdmin")
            .field("shop", self.client.shop())
            .field("token", &self.token)
            .finish()
    }
}

impl ShopAdmin {
    pub fn shop(&self) -> &ShopDomain {
        self.client.shop()
    }

    /// The client, for a call that handles 401 itself (prefer [`ShopAdmin::call`]).
    pub fn client(&self) -> &AdminClient {
        &self.client
    }

    /// The access token (goes on the wire only: never log it).
    pub fn token(&self) -> &Secret {
        &self.token
    }

    /// Runs `f` with the client and token; on a 401 refreshes once and runs it once more.
    pub async fn call<T>(
        &mut self,
        f: impl AsyncFn(&AdminClient, &Secret) -> Result<T, AdminError>,
    ) -> Result<T, AccessError> {
        match f(&self.client, &self.token).await {
            Err(AdminError::Unauthorized) => {
                self.after_unauthorized().await?;
                Ok(f(&self.client, &self.token).await?)
            }
            other => Ok(other?),
        }
    }

    /// Shopify answered 401 to this token: takes the token another refresh stored meanwhile,
    /// or refreshes. For callers that cannot pass [`ShopAdmin::call`] a closure (a future that
    /// must be `Send` for `tokio::spawn`); make the failed call once more after it.
    pub async fn after_unauthorized(&mut self) -> Result<(), AccessError> {
        tracing::info!(shop = %self.shop(), "Shopify answered 401: refreshing the access token once");
        self.token = self
            .credentials
            .after_unauthorized(self.client.shop(), &self.token)
            .await?;
        Ok(())
    }
}

/// Asks Shopify for a merchant who is waiting: the answer, or `None` after `budget`. The ask
/// runs on as its own task past the budget (the Admin client's retries of a failing Shopify
/// take seconds, and a token refresh must not be cut off between Shopify's answer and its
/// store), but the page is told at once.
pub async fn ask_within<T: Send + 'static>(
    budget: Duration,
    ask: impl std::future::Future<Output = Result<T, AccessError>> + Send + 'static,
) -> Option<Result<T, AccessError>> {
    match tokio::time::timeout(budget, tokio::spawn(ask)).await {
        Ok(Ok(answer)) => Some(answer),
        Ok(Err(_)) | Err(_) => None,
    }
}

/// What credentials need from the server's settings.
#[derive(Clone)]
pub struct CredentialSettings {
    pub shopify_host: encore_shopify::host::ShopifyHost,
    pub api_key: String,
    pub api_secret: String,
    pub vault: Vault,
}

impl Credentials {
    /// Shopify's host, the app's API key and secret, the vault that seals tokens at rest.
    pub fn new(settings: &CredentialSettings, store: Store) -> Self {
        let http = reqwest::Client::new();
        let tokens = TokenClient::new(
            http.clone(),
            settings.shopify_host.clone(),
            AppCredentials {
                client_id: settings.api_key.clone(),
                client_secret: Secret::new(settings.api_secret.clone()),
            },
            TOKEN_TIMEOUT,
        );
        let admin = AdminConfig {
            host: settings.shopify_host.clone(),
            ..AdminConfig::default()
        };
        Self {
            inner: Arc::new(Inner {
                store,
                vault: settings.vault.clone(),
                tokens,
                http,
                admin,
                clients: Mutex::new(HashMap::new()),
                local: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// The token endpoint client (install flows).
    pub fn token_client(&self) -> &TokenClient {
        &self.inner.tokens
    }

    /// The shop's shared Admin client.
    pub fn client_for(&self, shop: &ShopDomain) -> Arc<AdminClient> {
        let mut clients = self.inner.clients.lock().expect("clients lock");
        clients
            .entry(shop.clone())
            .or_insert_with(|| {
                Arc::new(AdminClient::new(
                    self.inner.http.clone(),
                    self.inner.admin.clone(),
                    shop.clone(),
                ))
            })
            .clone()
    }

    /// See [`admin_client`].
    pub async fn admin_client(&self, shop: &ShopDomain) -> Result<ShopAdmin, AccessError> {
        let token = self.fresh_token(shop).await?;
        Ok(ShopAdmin {
            credentials: self.clone(),
            client: self.client_for(shop),
            token,
        })
    }

    /// True when the shop has credentials that do not need the merchant (expired access tokens
    /// count: they refresh).
    pub async fn usable(&self, shop: &ShopDomain) -> Result<bool, StoreError> {
        Ok(
            encore_store::credentials::load(&self.inner.store, shop.as_str())
                .await?
                .is_some_and(|row| !row.needs_reauthorization),
        )
    }

    /// Stores an install's first token pair and the shop's currency (creating the shop).
    pub async fn store_install(
        &self,
        shop: &ShopDomain,
        currency: &str,
        token: &OfflineToken,
    ) -> Result<(), StoreError> {
        let now = now();
        encore_store::credentials::install(
            &self.inner.store,
            shop.as_str(),
            currency,
            &self.seal_pair(shop, token, None, now),
            now,
        )
        .await
    }

    /// app/uninstalled: deletes the tokens at once and marks the shop uninstalled.
    pub async fn uninstall(&self, shop: &ShopDomain) -> Result<(), StoreError> {
        encore_store::credentials::uninstall(&self.inner.store, shop.as_str(), now()).await?;
        self.inner
            .clients
            .lock()
            .expect("clients lock")
            .remove(shop);
        Ok(())
    }

    /// What the status route shows.
    pub async fn status(&self, shop: &ShopDomain) -> Result<AccessStatus, StoreError> {
        let row = encore_store::credentials::load(&self.inner.store, shop.as_str()).await?;
        let shop_row = self.inner.store.shop(shop.as_str()).await?;
        Ok(AccessStatus {
            shop: shop.clone(),
            installed: shop_row.is_some_and(|s| !s.uninstalled),
            has_credentials: row.is_some(),
            needs_reauthorization: row.as_ref().is_some_and(|r| r.needs_reauthorization),
            scopes: row
                .as_ref()
                .map(|r| {
                    r.scopes
                        .split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
            access_expires_at: row.as_ref().and_then(|r| r.access_expires_at),
            refresh_expires_at: row.as_ref().and_then(|r| r.refresh_expires_at),
        })
    }

    fn seal_pair(
        &self,
        shop: &ShopDomain,
        token: &OfflineToken,
        previous_refresh: Option<&Secret>,
        now: i64,
    ) -> NewPair {
        let vault = &self.inner.vault;
        NewPair {
            access: vault.seal(shop, &token.access_token),
            // Shopify always sends a new refresh token with a refreshed pair; if one ever came
            // without, the previous one is the only one that can still work.
            refresh: token
                .refresh_token
                .as_ref()
                .or(previous_refresh)
                .map(|r| vault.seal(shop, r)),
            access_expires_at: token.expires_at(now),
            refresh_expires_at: token.refresh_expires_at(now),
            scopes: token.scope.clone(),
        }
    }

    async fn fresh_token(&self, shop: &ShopDomain) -> Result<Secret, AccessError> {
        let row = encore_store::credentials::load(&self.inner.store, shop.as_str())
            .await?
            .ok_or_else(|| AccessError::NotInstalled(shop.clone()))?;
        if row.needs_reauthorization {
            return Err(AccessError::NeedsReauthorization(shop.clone()));
        }
        match row.access_expires_at {
            Some(expires) if expires - now() <= REFRESH_MARGIN_SECONDS && row.refresh.is_some() => {
                self.refresh(shop, row.version).await
            }
            _ => Ok(self.inner.vault.open(shop, &row.access)?),
        }
    }

    /// After Shopify answered 401 for `rejected`: the stored token if another refresh already
    /// replaced it, else a refresh.
    async fn after_unauthorized(
        &self,
        shop: &ShopDomain,
        rejected: &Secret,
    ) -> Result<Secret, AccessError> {
        let row = encore_store::credentials::load(&self.inner.store, shop.as_str())
            .await?
            .ok_or_else(|| AccessError::NotInstalled(shop.clone()))?;
        if row.needs_reauthorization {
            return Err(AccessError::NeedsReauthorization(shop.clone()));
        }
        let stored = self.inner.vault.open(shop, &row.access)?;
        if stored != *rejected {
            return Ok(stored);
        }
        if row.refresh.is_none() {
            // A non-expiring token that Shopify refuses was revoked: only the merchant can help.
            encore_store::credentials::mark_needs_reauthorization(
                &self.inner.store,
                shop.as_str(),
                now(),
            )
            .await?;
            return Err(AccessError::NeedsReauthorization(shop.clone()));
        }
        self.refresh(shop, row.version).await
    }

    /// Replaces the pair stored as `seen_version`, or waits for whoever is replacing it.
    async fn refresh(&self, shop: &ShopDomain, seen_version: i64) -> Result<Secret, AccessError> {
        let local = self
            .inner
            .local
            .lock()
            .expect("local lock")
            .entry(shop.clone())
            .or_default()
            .clone();
        let _one_per_process = local.lock().await;
        let deadline = Instant::now() + WAIT_FOR_OTHERS;
        let store = &self.inner.store;
        loop {
            let holder = uuid::Uuid::new_v4().to_string();
            let now = now();
            if let Some(row) = encore_store::credentials::take_lease(
                store,
                shop.as_str(),
                seen_version,
                &holder,
                now,
                now + LEASE_SECONDS,
            )
            .await?
            {
                return self.refresh_holding_lease(shop, row, &holder).await;
            }
            let row = encore_store::credentials::load(store, shop.as_str())
                .await?
                .ok_or_else(|| AccessError::NotInstalled(shop.clone()))?;
            if row.needs_reauthorization {
                return Err(AccessError::NeedsReauthorization(shop.clone()));
            }
            if row.version != seen_version {
                return Ok(self.inner.vault.open(shop, &row.access)?);
            }
            if Instant::now() >= deadline {
                return Err(AccessError::RefreshBusy(shop.clone()));
            }
            tokio::time::sleep(POLL).await;
        }
    }

    async fn refresh_holding_lease(
        &self,
        shop: &ShopDomain,
        row: encore_store::credentials::CredentialRow,
        holder: &str,
    ) -> Result<Secret, AccessError> {
        let store = &self.inner.store;
        let refresh_token = match &row.refresh {
            Some(sealed) => match self.inner.vault.open(shop, sealed) {
                Ok(token) => token,
                Err(e) => {
                    encore_store::credentials::release_lease(store, shop.as_str(), holder).await?;
                    return Err(e.into());
                }
            },
            None => {
                encore_store::credentials::mark_needs_reauthorization(store, shop.as_str(), now())
                    .await?;
                return Err(AccessError::NeedsReauthorization(shop.clone()));
            }
        };
        let mut answer = self.inner.tokens.refresh(shop, &refresh_token).await;
        if answer.as_ref().is_err_and(answer_may_be_lost) {
            // Shopify may have rotated the pair and the answer never arrived: the same refresh
            // token is accepted again until its replacement is first used, so retry it now.
            tracing::info!(shop = %shop, "the refresh answer was lost; retrying with the same refresh token");
            answer = self.inner.tokens.refresh(shop, &refresh_token).await;
        }
        match answer {
            Ok(token) => {
                let now = now();
                let pair = self.seal_pair(shop, &token, Some(&refresh_token), now);
                if encore_store::credentials::store_refreshed(
                    store,
                    shop.as_str(),
                    holder,
                    &pair,
                    now,
                )
                .await?
                {
                    tracing::info!(shop = %shop, "access token refreshed");
                    Ok(token.access_token)
                } else {
                    // A reinstall replaced the pair while Shopify answered: use what is stored.
                    tracing::warn!(shop = %shop, "the refresh lease was lost; using the stored token");
                    let row = encore_store::credentials::load(store, shop.as_str())
                        .await?
                        .ok_or_else(|| AccessError::NotInstalled(shop.clone()))?;
                    Ok(self.inner.vault.open(shop, &row.access)?)
                }
            }
            Err(e) if e.needs_reauthorization() => {
                tracing::warn!(shop = %shop, error = %e, "Shopify refused the refresh token: the shop needs re-authorization");
                encore_store::credentials::mark_needs_reauthorization(store, shop.as_str(), now())
                    .await?;
                Err(AccessError::NeedsReauthorization(shop.clone()))
            }
            Err(e) => {
                tracing::warn!(shop = %shop, error = %e, "token refresh failed; the previous refresh token is kept for the next attempt");
                encore_store::credentials::release_lease(store, shop.as_str(), holder).await?;
                Err(AccessError::Refresh {
                    shop: shop.clone(),
                    source: e,
                })
            }
        }
    }

    /// Refreshes every shop whose refresh token lapses before `now` +
    /// [`IDLE_REFRESH_WITHIN_SECONDS`]; returns how many were refreshed.
    pub async fn refresh_idle_shops(&self, now: i64) -> Result<usize, StoreError> {
        let lapsing = encore_store::credentials::lapsing(
            &self.inner.store,
            now + IDLE_REFRESH_WITHIN_SECONDS,
        )
        .await?;
        let mut refreshed = 0;
        for (shop, version) in lapsing {
            let Ok(shop) = ShopDomain::parse(&shop) else {
                continue;
            };
            match self.refresh(&shop, version).await {
                Ok(_) => refreshed += 1,
                Err(e) => {
                    tracing::warn!(shop = %shop, error = %e, "idle shop's refresh failed")
                }
            }
        }
        Ok(refreshed)
    }
}

/// True for failures after which Shopify may have rotated the pair without our hearing it.
fn answer_may_be_lost(e: &TokenRequestError) -> bool {
    match e {
        TokenRequestError::Timeout | TokenRequestError::Transport(_) => true,
        TokenRequestError::Refused { status, .. } => *status >= 500,
        _ => false,
    }
}
