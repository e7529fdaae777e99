//! Installing Encore on a shop: an offline token from the embedded page's session token (token
//! exchange) or from the authorization-code grant's code, then the shop's currency read with it
//! from the Admin API and shop and tokens stored together.

use encore_engine::Currency;
use encore_shopify::oauth::OfflineToken;
use encore_shopify::{Secret, ShopDomain};
use encore_store::StoreError;

use crate::app::App;

/// Why a shop could not be installed.
#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    /// Shopify did not give or confirm the install (said for the merchant).
    #[error("{0}")]
    Failed(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Token exchange of a verified App Bridge session token, then the install.
pub async fn by_session_token(
    app: &App,
    shop: &ShopDomain,
    session_token: &str,
) -> Result<(), InstallError> {
    let token = app
        .credentials
        .token_client()
        .exchange_session_token(shop, session_token)
        .await
        .map_err(|e| InstallError::Failed(format!("token exchange: {e}")))?;
    complete(app, shop, &token).await
}

/// The authorization-code grant's code exchanged, then the install.
pub async fn by_code(app: &App, shop: &ShopDomain, code: &Secret) -> Result<(), InstallError> {
    let token = app
        .credentials
        .token_client()
        .exchange_code(shop, code)
        .await
        .map_err(|e| InstallError::Failed(format!("code grant: {e}")))?;
    complete(app, shop, &token).await
}

/// Reads the shop's currency with the new token and stores shop and tokens together.
async fn complete(app: &App, shop: &ShopDomain, token: &OfflineToken) -> Result<(), InstallError> {
    let facts = app
        .credentials
        .client_for(shop)
        .shop_facts(&token.access_token)
        .await
        .map_err(|e| InstallError::Failed(format!("reading the shop: {e}")))?;
    if facts.domain != *shop {
        return Err(InstallError::Failed(format!(
            "the token belongs to {}, not {shop}",
            facts.domain
        )));
    }
    let currency = Currency::from_code(&facts.currency).ok_or_else(|| {
        InstallError::Failed(format!(
            "the shop's currency {} is not an ISO 4217 code Encore knows",
            facts.currency
        ))
    })?;
    app.credentials
        .store_install(shop, currency.code(), token)
        .await?;
    app.facts.forget(shop.as_str());
    tracing::info!(shop = %shop, currency = currency.code(), scopes = %token.scope, "shop installed");
    Ok(())
}
