//! A shop's permanent domain (`{name}.myshopify.com`), validated once at the edge.

use std::fmt;

/// A validated `*.myshopify.com` domain, lower-case. Shopify names a shop by it in every
/// request (session tokens, OAuth callbacks, webhooks); anything else is refused.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShopDomain(String);

const SUFFIX: &str = ".myshopify.com";

/// Why a shop domain was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopDomainError {
    #[error("a shop domain must end in .myshopify.com")]
    NotMyshopify,
    #[error("a shop name must be 1-60 letters, digits or inner hyphens")]
    BadName,
    #[error("expected https://{{shop}}{0}")]
    BadUrl(&'static str),
}

impl ShopDomain {
    /// Parses `name.myshopify.com` (any letter case; stored lower-case).
    pub fn parse(text: &str) -> Result<Self, ShopDomainError> {
        let lower = text.to_ascii_lowercase();
        let name = lower
            .strip_suffix(SUFFIX)
            .ok_or(ShopDomainError::NotMyshopify)?;
        let valid = !name.is_empty()
            && name.len() <= 60
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !name.starts_with('-')
            && !name.ends_with('-');
        if !valid {
            return Err(ShopDomainError::BadName);
        }
        Ok(Self(lower))
    }

    /// Parses `https://{shop}` followed by exactly `path` (session tokens' `dest` and `iss`).
    pub fn from_url(url: &str, path: &'static str) -> Result<Self, ShopDomainError> {
        let host = url
            .strip_prefix("https://")
            .and_then(|rest| rest.strip_suffix(path))
            .ok_or(ShopDomainError::BadUrl(path))?;
        Self::parse(host)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The shop's name without `.myshopify.com`.
    pub fn name(&self) -> &str {
        &self.0[..self.0.len() - SUFFIX.len()]
    }
}

impl fmt::Display for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ShopDomain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShopDomain({})", self.0)
    }
}

impl std::str::FromStr for ShopDomain {
    type Err = ShopDomainError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for ShopDomain {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for ShopDomain {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_myshopify_domain_is_accepted_and_lower_cased() {
        let shop = ShopDomain::parse("Encore-Demo.myshopify.com").unwrap();
        assert_eq!(shop.as_str(), "encore-demo.myshopify.com");
        assert_eq!(shop.name(), "encore-demo");
    }

    #[test]
    fn other_domains_and_odd_names_are_refused() {
        for bad in [
            "encore.example.com",
            "myshopify.com",
            ".myshopify.com",
            "evil.com/.myshopify.com",
            "a.b.myshopify.com",
            "-shop.myshopify.com",
            "shop-.myshopify.com",
            "shop_x.myshopify.com",
            "shop.myshopify.com.evil.com",
            "https://shop.myshopify.com",
            "",
        ] {
            assert!(ShopDomain::parse(bad).is_err(), "{bad} was accepted");
        }
    }

    #[test]
    fn urls_name_the_shop_only_with_https_and_the_exact_path() {
        let shop = ShopDomain::from_url("https://a-shop.myshopify.com/admin", "/admin").unwrap();
        assert_eq!(shop.as_str(), "a-shop.myshopify.com");
        assert!(ShopDomain::from_url("http://a-shop.myshopify.com", "").is_err());
        assert!(ShopDomain::from_url("https://a-shop.myshopify.com/admin/x", "/admin").is_err());
    }
}
