//! Where a shop's Shopify endpoints live: `https://{shop}` for real, a loopback simulator in tests.

use crate::domain::ShopDomain;

/// The Admin API version Encore speaks: shopify.app.toml's `[webhooks] api_version`, and the
/// schema build.rs checks the queries against.
pub const API_VERSION: &str = "2026-10";

/// A base URL template in which `{shop}` stands for the shop's domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopifyHost {
    template: String,
}

impl ShopifyHost {
    /// The real Shopify: `https://{shop}`.
    pub fn shopify() -> Self {
        Self {
            template: "https://{shop}".to_string(),
        }
    }

    /// Another base, such as the simulator's `http://127.0.0.1:4000/{shop}`. `None` when the
    /// template does not contain `{shop}`.
    pub fn custom(template: &str) -> Option<Self> {
        template.contains("{shop}").then(|| Self {
            template: template.trim_end_matches('/').to_string(),
        })
    }

    /// The shop's base URL, without a trailing slash.
    pub fn base(&self, shop: &ShopDomain) -> String {
        self.template.replace("{shop}", shop.as_str())
    }

    /// `…/admin/oauth/authorize`: where the authorization-code grant sends the merchant.
    pub fn authorize_url(&self, shop: &ShopDomain) -> String {
        format!("{}/admin/oauth/authorize", self.base(shop))
    }

    /// `…/admin/oauth/access_token`: token exchange, refresh and code grant.
    pub fn token_url(&self, shop: &ShopDomain) -> String {
        format!("{}/admin/oauth/access_token", self.base(shop))
    }

    /// `…/admin/api/{version}/graphql.json`.
    pub fn graphql_url(&self, shop: &ShopDomain, version: &str) -> String {
        format!("{}/admin/api/{version}/graphql.json", self.base(shop))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_are_built_from_the_shop_domain() {
        let shop = ShopDomain::parse("a.myshopify.com").unwrap();
        assert_eq!(
            ShopifyHost::shopify().graphql_url(&shop, API_VERSION),
            "https://a.myshopify.com/admin/api/2026-10/graphql.json"
        );
        let sim = ShopifyHost::custom("http://127.0.0.1:9/{shop}/").unwrap();
        assert_eq!(
            sim.token_url(&shop),
            "http://127.0.0.1:9/a.myshopify.com/admin/oauth/access_token"
        );
        assert!(ShopifyHost::custom("http://127.0.0.1:9").is_none());
    }
}
