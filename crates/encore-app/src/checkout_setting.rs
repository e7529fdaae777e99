//! Whether Encore is the shop's post-purchase app, asked of Shopify for the admin's Getting
//! started page: until the merchant chooses Encore under Settings → Checkout → Post-purchase
//! page, Shopify shows buyers no offer however well the campaigns are built.

use std::time::Duration;

use serde::Serialize;

use encore_shopify::ShopDomain;
use encore_store::StoreError;

use crate::credentials::{self, AccessError, Credentials};

/// How long the Getting started page waits for Shopify before saying it is unavailable.
const ASK_BUDGET: Duration = Duration::from_secs(4);

/// The answer of the server's `GET /api/checkout-setting`: `{postPurchaseAppInUse: true|false}` from Shopify, or
/// `{postPurchaseAppInUse: null, unknownBecause}` when Shopify cannot be asked now; the page
/// then says why instead of guessing.
#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct CheckoutSetting {
    pub post_purchase_app_in_use: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown_because: Option<Unknown>,
}

#[derive(Debug, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Unknown {
    /// No stored credentials: the demo shop, or a shop loaded by the operator.
    NotInstalled,
    /// Shopify refused the refresh token; the merchant must open Encore again.
    NeedsReauthorization,
    /// Shopify answered with an error or not at all.
    ShopifyUnavailable,
}

/// Asks Shopify, within a few seconds, whether Encore is `shop`'s post-purchase app.
pub async fn checkout_setting(
    credentials: &Credentials,
    shop: &str,
) -> Result<CheckoutSetting, StoreError> {
    let unknown = |because| CheckoutSetting {
        post_purchase_app_in_use: None,
        unknown_because: Some(because),
    };
    let Ok(domain) = ShopDomain::parse(shop) else {
        return Ok(unknown(Unknown::NotInstalled));
    };
    let ask = {
        let domain = domain.clone();
        // Asked in a task of its own (the answer may come after the budget): it owns a handle.
        let credentials = credentials.clone();
        async move {
            let mut admin = credentials.admin_client(&domain).await?;
            admin
                .call(async |client, token| client.post_purchase_app_in_use(token).await)
                .await
        }
    };
    let Some(asked) = credentials::ask_within(ASK_BUDGET, ask).await else {
        tracing::warn!(shop = %domain, "Shopify did not say within {ASK_BUDGET:?} whether Encore is the post-purchase app");
        return Ok(unknown(Unknown::ShopifyUnavailable));
    };
    Ok(match asked {
        Ok(in_use) => CheckoutSetting {
            post_purchase_app_in_use: Some(in_use),
            unknown_because: None,
        },
        Err(AccessError::NotInstalled(_)) => unknown(Unknown::NotInstalled),
        Err(AccessError::NeedsReauthorization(_)) => unknown(Unknown::NeedsReauthorization),
        Err(AccessError::Store(e)) => return Err(e),
        Err(e) => {
            tracing::warn!(shop = %domain, error = %e, "could not ask Shopify whether Encore is the post-purchase app");
            unknown(Unknown::ShopifyUnavailable)
        }
    })
}
