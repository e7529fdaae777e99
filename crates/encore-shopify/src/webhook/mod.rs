//! Shopify webhooks: the signature over the raw body, the delivery headers and typed payloads.

mod payloads;

use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub use payloads::*;

use crate::domain::ShopDomain;
use crate::secret::Secret;

/// True when `header` (X-Shopify-Hmac-Sha256) is the base64 HMAC-SHA256 of the raw `body` with
/// the app's client secret. Compared in constant time; a missing or non-base64 header is false.
pub fn signature_is_valid(client_secret: &Secret, body: &[u8], header: Option<&str>) -> bool {
    let Some(given) = header.and_then(|h| {
        base64::engine::general_purpose::STANDARD
            .decode(h.trim())
            .ok()
    }) else {
        return false;
    };
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The value of X-Shopify-Hmac-Sha256 for `body` (for the simulator and tests).
pub fn sign(client_secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// A delivery's headers, read after its signature was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub topic: Topic,
    pub shop: ShopDomain,
    /// X-Shopify-Webhook-Id: the same for every retry of one delivery (the idempotency key).
    pub webhook_id: String,
    pub api_version: Option<String>,
    /// X-Shopify-Triggered-At, as sent (RFC 3339).
    pub triggered_at: Option<String>,
}

/// Why a delivery's headers were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeliveryError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("X-Shopify-Shop-Domain is not a *.myshopify.com domain")]
    BadShop,
}

impl Delivery {
    /// Reads the headers through `get` (a lookup by lower-case header name).
    pub fn from_headers<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Self, DeliveryError> {
        let required = |name: &'static str| {
            get(name)
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or(DeliveryError::MissingHeader(name))
        };
        Ok(Self {
            topic: Topic::parse(required("x-shopify-topic")?),
            shop: ShopDomain::parse(required("x-shopify-shop-domain")?)
                .map_err(|_| DeliveryError::BadShop)?,
            webhook_id: required("x-shopify-webhook-id")?.to_string(),
            api_version: get("x-shopify-api-version").map(str::to_string),
            triggered_at: get("x-shopify-triggered-at").map(str::to_string),
        })
    }
}

/// The topics Encore subscribes to; any other arrives as `Other`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Topic {
    ProductsCreate,
    ProductsUpdate,
    ProductsDelete,
    InventoryLevelsUpdate,
    CollectionsUpdate,
    OrdersCreate,
    OrdersEdited,
    OrdersCancelled,
    RefundsCreate,
    AppUninstalled,
    CustomersDataRequest,
    CustomersRedact,
    ShopRedact,
    Other(String),
}

const TOPICS: &[(&str, Topic)] = &[
    ("products/create", Topic::ProductsCreate),
    ("products/update", Topic::ProductsUpdate),
    ("products/delete", Topic::ProductsDelete),
    ("inventory_levels/update", Topic::InventoryLevelsUpdate),
    ("collections/update", Topic::CollectionsUpdate),
    ("orders/create", Topic::OrdersCreate),
    ("orders/edited", Topic::OrdersEdited),
    ("orders/cancelled", Topic::OrdersCancelled),
    ("refunds/create", Topic::RefundsCreate),
    ("app/uninstalled", Topic::AppUninstalled),
    ("customers/data_request", Topic::CustomersDataRequest),
    ("customers/redact", Topic::CustomersRedact),
    ("shop/redact", Topic::ShopRedact),
];

impl Topic {
    pub fn parse(text: &str) -> Self {
        TOPICS
            .iter()
            .find(|(name, _)| *name == text)
            .map(|(_, topic)| topic.clone())
            .unwrap_or_else(|| Topic::Other(text.to_string()))
    }

    /// The topic as Shopify names it (`products/update`).
    pub fn as_str(&self) -> &str {
        match self {
            Topic::Other(name) => name,
            known => TOPICS
                .iter()
                .find(|(_, topic)| topic == known)
                .map(|(name, _)| *name)
                .unwrap_or_default(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_over_the_exact_body_is_valid_and_any_change_is_not() {
        let secret = Secret::new("hush");
        let body = br#"{"id":1}"#;
        let header = sign(&secret, body);
        assert!(signature_is_valid(&secret, body, Some(&header)));
        assert!(!signature_is_valid(&secret, br#"{"id":2}"#, Some(&header)));
        assert!(!signature_is_valid(
            &Secret::new("other"),
            body,
            Some(&header)
        ));
        assert!(!signature_is_valid(&secret, body, None));
        assert!(!signature_is_valid(&secret, body, Some("not base64!")));
    }

    #[test]
    fn topics_round_trip_and_unknown_ones_are_kept() {
        for (name, topic) in TOPICS {
            assert_eq!(&Topic::parse(name), topic);
            assert_eq!(topic.as_str(), *name);
        }
        assert_eq!(
            Topic::parse("carts/update"),
            Topic::Other("carts/update".into())
        );
    }

    #[test]
    fn delivery_headers_need_topic_shop_and_id() {
        let headers = [
            ("x-shopify-topic", "products/update"),
            ("x-shopify-shop-domain", "a.myshopify.com"),
            ("x-shopify-webhook-id", "b54557e4"),
            ("x-shopify-api-version", "2026-10"),
        ];
        let get = |name: &str| headers.iter().find(|(k, _)| *k == name).map(|(_, v)| *v);
        let delivery = Delivery::from_headers(get).unwrap();
        assert_eq!(delivery.topic, Topic::ProductsUpdate);
        assert_eq!(delivery.webhook_id, "b54557e4");

        let no_id = |name: &str| {
            if name == "x-shopify-webhook-id" {
                None
            } else {
                get(name)
            }
        };
        assert_eq!(
            Delivery::from_headers(no_id),
            Err(DeliveryError::MissingHeader("x-shopify-webhook-id"))
        );
        let bad_shop = |name: &str| {
            if name == "x-shopify-shop-domain" {
                Some("evil.com")
            } else {
                get(name)
            }
        };
        assert_eq!(
            Delivery::from_headers(bad_shop),
            Err(DeliveryError::BadShop)
        );
    }
}
