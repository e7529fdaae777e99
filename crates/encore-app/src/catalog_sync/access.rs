//! The seam between the sync and a shop's Admin API access: who gives the client and token.
//!
//! The sync asks an [`AdminAccess`] for a shop's [`ShopAdmin`] when it starts and at every
//! poll (so a token that expires during a long bulk operation is refreshed). The server uses
//! the stored, refreshed credentials (`credentials::Credentials`); [`StaticAccess`] serves one
//! token for every shop: the CLI and the benchmark use it with a token the simulated Shopify
//! (or a custom app) issued.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use encore_shopify::admin::{AdminClient, AdminConfig};
use encore_shopify::host::ShopifyHost;
use encore_shopify::{Secret, ShopDomain};

/// A shop's Admin API client (one per shop: it keeps the shop's cost budget) and its token.
#[derive(Clone)]
pub struct ShopAdmin {
    pub client: Arc<AdminClient>,
    pub token: Secret,
}

/// Why there is no Admin API access for a shop.
#[derive(Debug, thiserror::Error)]
pub enum AccessError {
    #[error("Encore has no Admin API access to {0}: install the app on the shop (or set ENCORE_SHOPIFY_ADMIN_TOKEN for the CLI)")]
    NotConfigured(String),
    #[error(transparent)]
    Credentials(#[from] crate::credentials::AccessError),
}

/// A boxed future, so that the access can live behind `dyn`.
pub type AccessFuture<'a> =
    Pin<Box<dyn Future<Output = Result<ShopAdmin, AccessError>> + Send + 'a>>;

/// Gives the Admin API client and a valid token for a shop.
pub trait AdminAccess: Send + Sync {
    fn admin<'a>(&'a self, shop: &'a ShopDomain) -> AccessFuture<'a>;
}

/// The stored credentials: a token refreshed before it expires, the shop's shared client.
impl AdminAccess for crate::credentials::Credentials {
    fn admin<'a>(&'a self, shop: &'a ShopDomain) -> AccessFuture<'a> {
        Box::pin(async move {
            let admin = self.admin_client(shop).await?;
            Ok(ShopAdmin {
                client: self.client_for(shop),
                token: admin.token().clone(),
            })
        })
    }
}

/// No access at all: every sync fails with [`AccessError::NotConfigured`].
pub struct NoAccess;

impl AdminAccess for NoAccess {
    fn admin<'a>(&'a self, shop: &'a ShopDomain) -> AccessFuture<'a> {
        Box::pin(async move { Err(AccessError::NotConfigured(shop.as_str().to_string())) })
    }
}

/// One access token for every shop, at a fixed Shopify host.
pub struct StaticAccess {
    http: reqwest::Client,
    config: AdminConfig,
    token: Secret,
    clients: Mutex<HashMap<ShopDomain, Arc<AdminClient>>>,
}

impl StaticAccess {
    pub fn new(http: reqwest::Client, config: AdminConfig, token: Secret) -> Self {
        Self {
            http,
            config,
            token,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// `ENCORE_SHOPIFY_ADMIN_TOKEN` (required) and `ENCORE_SHOPIFY_HOST` (a template with
    /// `{shop}`, default `https://{shop}`; the simulator's is `http://127.0.0.1:PORT/{shop}`).
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Option<Self>, String> {
        let Some(token) = get("ENCORE_SHOPIFY_ADMIN_TOKEN") else {
            return Ok(None);
        };
        let host = match get("ENCORE_SHOPIFY_HOST") {
            None => ShopifyHost::shopify(),
            Some(template) => ShopifyHost::custom(&template).ok_or_else(|| {
                format!("ENCORE_SHOPIFY_HOST={template} must be a URL template containing {{shop}}")
            })?,
        };
        let config = AdminConfig {
            host,
            ..AdminConfig::default()
        };
        Ok(Some(Self::new(http_client(), config, Secret::new(token))))
    }
}

/// The HTTP client for the Admin API and bulk downloads: connections are reused per host.
pub fn http_client() -> reqwest::Client {
    reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .unwrap_or_default()
}

impl AdminAccess for StaticAccess {
    fn admin<'a>(&'a self, shop: &'a ShopDomain) -> AccessFuture<'a> {
        let client = self
            .clients
            .lock()
            .expect("clients lock")
            .entry(shop.clone())
            .or_insert_with(|| {
                Arc::new(AdminClient::new(
                    self.http.clone(),
                    self.config.clone(),
                    shop.clone(),
                ))
            })
            .clone();
        let token = self.token.clone();
        Box::pin(async move { Ok(ShopAdmin { client, token }) })
    }
}
