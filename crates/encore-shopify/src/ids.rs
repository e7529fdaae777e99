//! One typed id per Shopify resource, whatever form it arrived in.
//!
//! The post-purchase token and webhook payloads carry plain numbers (`7`, `"7"`); the Admin API
//! carries GIDs (`gid://shopify/ProductVariant/7`). Both parse into the same [`VariantId`], so
//! synced data, triggers and guardrails compare ids of one form. A GID of another resource
//! (`gid://shopify/Product/7` where a variant is expected) is refused, not silently accepted.

use std::fmt;

/// Why an id was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    #[error("expected a positive {expected} id or gid://shopify/{expected}/<n>")]
    Malformed { expected: &'static str },
    #[error("expected a gid://shopify/{expected}/… id, got a {found} id")]
    WrongResource {
        expected: &'static str,
        found: String,
    },
}

/// Parses `digits` or `gid://shopify/{resource}/{digits}` (an optional `?query` after the
/// number, as some GIDs carry, is ignored) into a positive u64.
fn parse_id(text: &str, resource: &'static str) -> Result<u64, IdError> {
    let malformed = IdError::Malformed { expected: resource };
    let text = text.trim();
    let digits = match text.strip_prefix("gid://shopify/") {
        Some(rest) => {
            let (kind, number) = rest.split_once('/').ok_or(malformed.clone())?;
            if kind != resource {
                return Err(IdError::WrongResource {
                    expected: resource,
                    found: kind.to_string(),
                });
            }
            number.split_once('?').map_or(number, |(n, _)| n)
        }
        None => text,
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed);
    }
    match digits.parse::<u64>() {
        Ok(0) | Err(_) => Err(malformed),
        Ok(n) => Ok(n),
    }
}

macro_rules! shopify_id {
    ($(#[$doc:meta])* $name:ident, $resource:literal) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(u64);

        impl $name {
            /// The resource name in this id's GID.
            pub const RESOURCE: &'static str = $resource;

            /// A positive number; `None` for 0.
            pub fn new(n: u64) -> Option<Self> {
                (n > 0).then_some(Self(n))
            }

            /// Parses a number or a GID of this resource.
            pub fn parse(text: &str) -> Result<Self, IdError> {
                parse_id(text, $resource).map(Self)
            }

            pub fn get(self) -> u64 {
                self.0
            }

            /// The Admin API's form, `gid://shopify/{resource}/{n}`.
            pub fn gid(self) -> String {
                format!("gid://shopify/{}/{}", $resource, self.0)
            }
        }

        impl From<$name> for u64 {
            fn from(id: $name) -> u64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            /// Displays the GID, the form the Admin API takes.
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "gid://shopify/{}/{}", $resource, self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl std::str::FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, IdError> {
                Self::parse(s)
            }
        }

        impl serde::Serialize for $name {
            /// Serializes as the GID.
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            /// Accepts a JSON number, a numeric string or a GID of this resource.
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                d.deserialize_any(IdVisitor($resource)).map(Self)
            }
        }
    };
}

struct IdVisitor(&'static str);

impl serde::de::Visitor<'_> for IdVisitor {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a positive {} id or its GID", self.0)
    }

    fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<u64, E> {
        if n == 0 {
            return Err(E::custom(IdError::Malformed { expected: self.0 }));
        }
        Ok(n)
    }

    fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<u64, E> {
        u64::try_from(n)
            .map_err(|_| E::custom(IdError::Malformed { expected: self.0 }))
            .and_then(|n| self.visit_u64(n))
    }

    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<u64, E> {
        parse_id(s, self.0).map_err(E::custom)
    }
}

shopify_id!(/** A product. */ ProductId, "Product");
shopify_id!(/** A product variant. */ VariantId, "ProductVariant");
shopify_id!(/** A customer. */ CustomerId, "Customer");
shopify_id!(/** An order. */ OrderId, "Order");
shopify_id!(/** An order's line item. */ LineItemId, "LineItem");
shopify_id!(/** A collection. */ CollectionId, "Collection");
shopify_id!(/** A variant's inventory item (stock is kept per item and location). */ InventoryItemId, "InventoryItem");
shopify_id!(/** A stock location. */ LocationId, "Location");
shopify_id!(/** A selling plan (subscription terms). */ SellingPlanId, "SellingPlan");
shopify_id!(/** A group of selling plans. */ SellingPlanGroupId, "SellingPlanGroup");
shopify_id!(/** A refund. */ RefundId, "Refund");
shopify_id!(/** A bulk operation. */ BulkOperationId, "BulkOperation");
shopify_id!(/** A staff member (a session token's `sub`). */ StaffMemberId, "StaffMember");
shopify_id!(/** The shop itself. */ ShopId, "Shop");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_and_gids_normalize_to_the_same_id() {
        let from_number = VariantId::parse("642667041472713922").unwrap();
        let from_gid = VariantId::parse("gid://shopify/ProductVariant/642667041472713922").unwrap();
        assert_eq!(from_number, from_gid);
        assert_eq!(
            from_number.gid(),
            "gid://shopify/ProductVariant/642667041472713922"
        );
        assert_eq!(VariantId::parse(&from_gid.gid()).unwrap(), from_gid);
    }

    #[test]
    fn json_numbers_strings_and_gids_deserialize_alike() {
        let ids: Vec<ProductId> =
            serde_json::from_str(r#"[7, "7", "gid://shopify/Product/7"]"#).unwrap();
        assert!(ids.iter().all(|id| id.get() == 7));
        assert_eq!(
            serde_json::to_string(&ids[0]).unwrap(),
            r#""gid://shopify/Product/7""#
        );
    }

    #[test]
    fn a_gid_of_another_resource_is_refused() {
        assert_eq!(
            VariantId::parse("gid://shopify/Product/7"),
            Err(IdError::WrongResource {
                expected: "ProductVariant",
                found: "Product".into()
            })
        );
        assert!(serde_json::from_str::<VariantId>(r#""gid://shopify/Product/7""#).is_err());
    }

    #[test]
    fn zero_negative_and_non_numeric_ids_are_refused() {
        for bad in [
            "0",
            "-7",
            "+7",
            "7.0",
            "",
            "gid://shopify/Product/",
            "gid://shopify/Product/x",
            "gid://shopify/Product",
            "gid://other/Product/7",
            "18446744073709551616",
        ] {
            assert!(ProductId::parse(bad).is_err(), "{bad} was accepted");
        }
        assert!(serde_json::from_str::<ProductId>("0").is_err());
        assert!(serde_json::from_str::<ProductId>("-3").is_err());
        assert!(serde_json::from_str::<ProductId>("1.5").is_err());
    }

    #[test]
    fn a_gid_with_a_query_keeps_its_number() {
        let item = InventoryItemId::parse("gid://shopify/InventoryItem/5?foo=bar").unwrap();
        assert_eq!(item.get(), 5);
    }
}
