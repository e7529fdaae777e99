//! Verification of the post-purchase `inputData.token` that Shopify signs (HS256, app secret).
//!
//! Shopify's post-purchase JWT specification: a Shopify-issued token has `iss` = "shopify",
//! `sub` = the initial purchase's referenceId, `iat`, `exp`, no `jti`, and the signed
//! `input_data` (the extension's `inputData` without the token). It has no `aud` or `dest`
//! (unlike admin session tokens); an `aud`, if one is ever present, must be our API key.
//! Everything the server uses about the purchase comes from this verified `input_data`.

use crate::ids::{CustomerId, ProductId, SellingPlanId, VariantId};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::Value;

/// Clock tolerance for `exp`, `nbf` and `iat`, in seconds.
pub const LEEWAY_SECONDS: u64 = 60;
/// The largest post-purchase token the server reads, in bytes.
///
/// Sized from the largest purchase the offer Function can take: its input limits scale with the
/// number of purchase lines up to 10× (`@scaleLimits`), and a token this large carries
/// more lines than the scaled limits accept (docs/post-purchase-api.md has the measurements).
/// Larger tokens are refused with `token_too_large` before they are verified.
pub const MAX_TOKEN_BYTES: usize = 4 * 1024 * 1024;
/// The issuer of every Shopify-signed post-purchase token.
pub const SHOPIFY_ISSUER: &str = "shopify";

/// Why a token was refused. The message is safe to return to a client and to log: it never
/// contains the token or any claim value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("missing token (send {{\"token\": inputData.token}} in the JSON body, or Authorization: Bearer <inputData.token>)")]
    Missing,
    #[error("the Authorization header and the body's token are different tokens")]
    Conflicting,
    #[error("malformed token")]
    Malformed,
    #[error("token algorithm must be HS256")]
    WrongAlgorithm,
    #[error("token signature does not match the app's API secret")]
    BadSignature,
    #[error("token expired")]
    Expired,
    #[error("token not valid yet")]
    NotYetValid,
    #[error("token issued in the future")]
    IssuedInFuture,
    #[error("token issuer must be \"shopify\"")]
    WrongIssuer,
    #[error("token audience is not this app")]
    WrongAudience,
    #[error("token lacks the {0} claim")]
    MissingClaim(&'static str),
    #[error("token input_data is invalid: {0}")]
    BadInputData(String),
    #[error("token subject does not match the purchase's referenceId")]
    SubjectMismatch,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    sub: Option<String>,
    iat: Option<i64>,
    #[allow(dead_code)]
    exp: Option<i64>,
    aud: Option<Value>,
    input_data: Option<Value>,
}

/// A purchase line as the post-purchase page gives it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineItem {
    pub product_id: String,
    pub product_title: String,
    pub variant_id: String,
    pub variant_title: Option<String>,
    pub quantity: i64,
    pub total_shop: Money,
    pub total_presentment: Money,
    pub selling_plan_id: Option<String>,
}

/// An amount as decimal text and a currency code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Money {
    pub amount: String,
    pub currency_code: String,
}

/// The verified content of an `inputData.token`.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedPurchase {
    pub shop_domain: String,
    pub reference_id: String,
    pub customer_id: Option<String>,
    pub destination_country_code: Option<String>,
    pub total_shop: Money,
    pub total_presentment: Money,
    pub lines: Vec<LineItem>,
    pub locale: String,
    /// The token's `iat`: the changeset we sign must not be older than the purchase.
    pub issued_at: i64,
}

/// Verifies Shopify's post-purchase tokens with the app's secret and API key.
#[derive(Clone)]
pub struct TokenVerifier {
    key: DecodingKey,
    api_key: String,
}

impl TokenVerifier {
    pub fn new(api_secret: &str, api_key: &str) -> Self {
        Self {
            key: DecodingKey::from_secret(api_secret.as_bytes()),
            api_key: api_key.to_string(),
        }
    }

    /// Checks signature, algorithm and claims at `now` (unix seconds) and returns the purchase.
    pub fn verify(&self, token: &str, now: i64) -> Result<VerifiedPurchase, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::WrongAlgorithm);
        }
        let mut v = Validation::new(Algorithm::HS256);
        v.leeway = LEEWAY_SECONDS;
        v.validate_exp = true;
        v.validate_nbf = true;
        v.validate_aud = false;
        v.set_required_spec_claims(&["exp", "iss", "sub"]);
        v.set_issuer(&[SHOPIFY_ISSUER]);
        // We check times against our own `now` below too (tests pass a clock); jsonwebtoken
        // uses the system clock, which is the same in production.
        let data = jsonwebtoken::decode::<Claims>(token, &self.key, &v).map_err(map_jwt_error)?;
        let c = data.claims;
        if c.iss.as_deref() != Some(SHOPIFY_ISSUER) {
            return Err(TokenError::WrongIssuer);
        }
        let iat = c.iat.ok_or(TokenError::MissingClaim("iat"))?;
        if iat > now + LEEWAY_SECONDS as i64 {
            return Err(TokenError::IssuedInFuture);
        }
        if let Some(exp) = c.exp {
            if exp + (LEEWAY_SECONDS as i64) < now {
                return Err(TokenError::Expired);
            }
        }
        if let Some(aud) = &c.aud {
            let ok = match aud {
                Value::String(s) => *s == self.api_key,
                Value::Array(list) => list.iter().any(|a| a.as_str() == Some(&self.api_key)),
                _ => false,
            };
            if !ok {
                return Err(TokenError::WrongAudience);
            }
        }
        let sub = c.sub.ok_or(TokenError::MissingClaim("sub"))?;
        let input = c.input_data.ok_or(TokenError::MissingClaim("input_data"))?;
        let purchase = parse_input_data(&input, iat)?;
        if purchase.reference_id != sub {
            return Err(TokenError::SubjectMismatch);
        }
        Ok(purchase)
    }
}

fn map_jwt_error(e: jsonwebtoken::errors::Error) -> TokenError {
    use jsonwebtoken::errors::ErrorKind as K;
    match e.kind() {
        K::InvalidSignature => TokenError::BadSignature,
        K::InvalidAlgorithm | K::InvalidAlgorithmName => TokenError::WrongAlgorithm,
        K::ExpiredSignature => TokenError::Expired,
        K::ImmatureSignature => TokenError::NotYetValid,
        K::InvalidIssuer => TokenError::WrongIssuer,
        K::InvalidAudience => TokenError::WrongAudience,
        K::MissingRequiredClaim(c) => TokenError::MissingClaim(match c.as_str() {
            "exp" => "exp",
            "iss" => "iss",
            "sub" => "sub",
            _ => "required",
        }),
        _ => TokenError::Malformed,
    }
}

fn bad(msg: impl Into<String>) -> TokenError {
    TokenError::BadInputData(msg.into())
}

/// An id given as a JSON number, a numeric string or a GID of resource `T`, as its number's text:
/// the one normalizer every Shopify id goes through ([`crate::ids`]), so ids from the
/// token compare equal to the synced catalog's and the Admin API's.
fn id_text<T>(v: &Value, what: &str) -> Result<String, TokenError>
where
    T: for<'de> Deserialize<'de> + Into<u64>,
{
    T::deserialize(v)
        .map(|id| Into::<u64>::into(id).to_string())
        .map_err(|e| bad(format!("{what} is not an id: {e}")))
}

fn money(v: Option<&Value>, what: &str) -> Result<Money, TokenError> {
    let o = v
        .and_then(Value::as_object)
        .ok_or_else(|| bad(format!("{what} is missing")))?;
    let amount = match o.get("amount") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad(format!("{what}.amount is missing"))),
    };
    let currency_code = o
        .get("currencyCode")
        .and_then(Value::as_str)
        .ok_or_else(|| bad(format!("{what}.currencyCode is missing")))?
        .to_string();
    Ok(Money {
        amount,
        currency_code,
    })
}

fn money_bag(v: Option<&Value>, what: &str) -> Result<(Money, Money), TokenError> {
    let bag = v.ok_or_else(|| bad(format!("{what} is missing")))?;
    Ok((
        money(bag.get("shopMoney"), &format!("{what}.shopMoney"))?,
        money(
            bag.get("presentmentMoney"),
            &format!("{what}.presentmentMoney"),
        )?,
    ))
}

fn opt_string(v: Option<&Value>) -> Option<String> {
    v.and_then(Value::as_str).map(str::to_string)
}

/// Reads `input_data` (`{extensionPoint, initialPurchase, locale, shop, version}`).
pub fn parse_input_data(input: &Value, issued_at: i64) -> Result<VerifiedPurchase, TokenError> {
    let shop_domain = input
        .pointer("/shop/domain")
        .and_then(Value::as_str)
        .filter(|d| !d.is_empty())
        .ok_or_else(|| bad("shop.domain is missing"))?
        .to_ascii_lowercase();
    let p = input
        .get("initialPurchase")
        .filter(|p| p.is_object())
        .ok_or_else(|| bad("initialPurchase is missing"))?;
    let reference_id = match p.get("referenceId") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => return Err(bad("initialPurchase.referenceId is missing")),
    };
    let customer_id = match p.get("customerId") {
        None | Some(Value::Null) => None,
        Some(v) => Some(id_text::<CustomerId>(v, "initialPurchase.customerId")?),
    };
    let (total_shop, total_presentment) =
        money_bag(p.get("totalPriceSet"), "initialPurchase.totalPriceSet")?;
    let items = p
        .get("lineItems")
        .and_then(Value::as_array)
        .ok_or_else(|| bad("initialPurchase.lineItems is missing"))?;
    let mut lines = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let at = |f: &str| format!("initialPurchase.lineItems[{i}].{f}");
        let product = item
            .get("product")
            .ok_or_else(|| bad(format!("{} is missing", at("product"))))?;
        let variant = product
            .get("variant")
            .ok_or_else(|| bad(format!("{} is missing", at("product.variant"))))?;
        let (total_shop, total_presentment) =
            money_bag(item.get("totalPriceSet"), &at("totalPriceSet"))?;
        lines.push(LineItem {
            product_id: id_text::<ProductId>(
                product.get("id").unwrap_or(&Value::Null),
                &at("product.id"),
            )?,
            product_title: opt_string(product.get("title")).unwrap_or_default(),
            variant_id: id_text::<VariantId>(
                variant.get("id").unwrap_or(&Value::Null),
                &at("product.variant.id"),
            )?,
            variant_title: opt_string(variant.get("title")),
            quantity: item
                .get("quantity")
                .and_then(Value::as_i64)
                .ok_or_else(|| bad(format!("{} is missing", at("quantity"))))?,
            total_shop,
            total_presentment,
            selling_plan_id: match item.get("sellingPlanId") {
                None | Some(Value::Null) => None,
                Some(v) => Some(id_text::<SellingPlanId>(v, &at("sellingPlanId"))?),
            },
        });
    }
    Ok(VerifiedPurchase {
        shop_domain,
        reference_id,
        customer_id,
        destination_country_code: opt_string(p.get("destinationCountryCode")),
        total_shop,
        total_presentment,
        lines,
        locale: opt_string(input.get("locale")).unwrap_or_else(|| "en".into()),
        issued_at,
    })
}

/// Takes the token out of an `Authorization: Bearer …` header value.
pub fn bearer(header: Option<&str>) -> Result<&str, TokenError> {
    let h = header.ok_or(TokenError::Missing)?.trim();
    let (scheme, token) = h.split_once(' ').ok_or(TokenError::Missing)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(TokenError::Missing);
    }
    Ok(token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn ids_from_the_token_go_through_the_one_normalizer() {
        for same in [
            json!(7),
            json!("7"),
            json!("gid://shopify/ProductVariant/7"),
        ] {
            assert_eq!(id_text::<VariantId>(&same, "v").unwrap(), "7", "{same}");
        }
        for refused in [
            json!("gid://shopify/Product/7"),
            json!("abc"),
            json!(0),
            json!(-7),
            json!(""),
        ] {
            assert!(
                id_text::<VariantId>(&refused, "v").is_err(),
                "accepted {refused}"
            );
        }
    }
}
