//! Who calls the admin routes, as axum extractors: the embedded admin's App Bridge session
//! (acts on its own shop only) or the operator token (scripts; any shop).
//!
//! `Authorization: Bearer <token>`: the operator token is compared first (in constant time);
//! anything else shaped like a JWT is verified as a session token with encore_shopify's
//! verifier (HS256 with the app secret, `aud` = client id, `dest`/`iss` naming the same
//! `*.myshopify.com` shop, `exp`/`nbf` with 5 s of leeway). A refused session token answers 401
//! with `X-Shopify-Retry-Invalid-Session-Request: 1`, as Shopify's app libraries do, so the
//! admin front end fetches a new token from App Bridge and retries once.
//!
//! A verified session for a shop without usable credentials (never installed, uninstalled,
//! or needing re-authorization) is exchanged for an offline token on the spot
//! (`encore_app::install::by_session_token`): managed installation gives Encore nothing until
//! then.

use std::sync::Arc;

use axum::extract::{FromRequestParts, Query};
use axum::http::header;
use axum::http::request::Parts;
use encore_shopify::ids::StaffMemberId;
use encore_shopify::{Secret, ShopDomain};
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;
use encore_app::clock::now;
use encore_store::shops::ShopRow;

/// Compares a configured token with a given one in time that does not depend on where they differ.
pub fn same_secret(expected: &str, given: &str) -> bool {
    let (a, b) = (expected.as_bytes(), given.as_bytes());
    let mut diff = a.len() ^ b.len();
    for i in 0..a.len().max(b.len()) {
        diff |= (a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0)) as usize;
    }
    diff == 0
}

/// A verified App Bridge session.
#[derive(Debug, Clone)]
pub struct MerchantSession {
    pub shop: ShopDomain,
    /// The staff member, when Shopify names one.
    pub user: Option<StaffMemberId>,
    /// The session token itself: the subject of a token exchange.
    pub(crate) token: Secret,
    /// This request installed the shop (token exchange) before its handler ran.
    pub installed_now: bool,
}

/// Who is calling.
#[derive(Debug, Clone)]
pub enum Caller {
    /// The operator token: any shop, named by `?shop=`.
    Operator,
    /// A merchant in the embedded admin: their own shop only.
    Merchant(MerchantSession),
}

impl From<&Caller> for encore_store::configs::history::Actor {
    fn from(caller: &Caller) -> Self {
        use encore_store::configs::history::Actor;
        match caller {
            Caller::Operator => Actor::Operator,
            // The store keeps the staff member as its GID.
            Caller::Merchant(session) => session
                .user
                .map_or(Actor::Merchant, |id| Actor::Staff(id.to_string())),
        }
    }
}

/// Extractor for routes that only the operator token may call.
pub struct Operator;

/// Extractor for the merchant-facing admin routes: a session or the operator token.
pub struct AdminCaller(pub Caller);

#[derive(Deserialize)]
struct ShopQuery {
    shop: Option<String>,
}

fn bearer_of(parts: &Parts) -> Option<&str> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| encore_shopify::post_purchase::token::bearer(Some(h)).ok())
}

fn is_operator(state: &AppState, given: &str) -> bool {
    state
        .settings
        .admin_token
        .as_deref()
        .is_some_and(|expected| same_secret(expected, given))
}

/// A JWT has three dot-separated parts; an operator token is never meant to look like one.
fn looks_like_jwt(token: &str) -> bool {
    token.split('.').count() == 3
}

impl FromRequestParts<Arc<AppState>> for Operator {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        if state.settings.admin_token.is_none() {
            return Err(ApiError::AdminDisabled);
        }
        match bearer_of(parts) {
            Some(given) if is_operator(state, given) => Ok(Operator),
            _ => Err(ApiError::AdminUnauthorized),
        }
    }
}

impl FromRequestParts<Arc<AppState>> for MerchantSession {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let token = bearer_of(parts).ok_or(ApiError::SessionMissing)?;
        verify_session(state, token).await
    }
}

impl FromRequestParts<Arc<AppState>> for AdminCaller {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let Some(given) = bearer_of(parts) else {
            return Err(ApiError::SessionMissing);
        };
        if is_operator(state, given) {
            return Ok(AdminCaller(Caller::Operator));
        }
        if looks_like_jwt(given) {
            return Ok(AdminCaller(Caller::Merchant(
                verify_session(state, given).await?,
            )));
        }
        Err(if state.settings.admin_token.is_none() {
            ApiError::AdminDisabled
        } else {
            ApiError::AdminUnauthorized
        })
    }
}

fn is_demo_shop(state: &AppState, shop: &ShopDomain) -> bool {
    state.settings.demo && shop.as_str() == crate::settings::demo::SHOP
}

async fn verify_session(state: &Arc<AppState>, token: &str) -> Result<MerchantSession, ApiError> {
    let verified = state
        .sessions
        .verify(token, now())
        .map_err(ApiError::SessionToken)?;
    let mut session = MerchantSession {
        shop: verified.shop,
        user: verified.user,
        token: Secret::new(token),
        installed_now: false,
    };
    if is_demo_shop(state, &session.shop) {
        // The demo shop is seeded, never installed: there is no Shopify to exchange its
        // session with. Its sessions are signed with the demo's documented secret, which
        // demo mode alone accepts (settings refuse a real secret with --demo).
        return Ok(session);
    }
    if !state.credentials.usable(&session.shop).await? {
        encore_app::install::by_session_token(state, &session.shop, session.token.expose()).await?;
        session.installed_now = true;
    }
    Ok(session)
}

impl AdminCaller {
    /// The shop this request acts on: the session's own shop (a `?shop=` naming another is
    /// refused), or the operator's `?shop=`.
    pub fn shop_domain(&self, asked: Option<&str>) -> Result<ShopDomain, ApiError> {
        let asked = asked.filter(|s| !s.is_empty());
        match &self.0 {
            Caller::Merchant(session) => match asked {
                None => Ok(session.shop.clone()),
                Some(other) if other.eq_ignore_ascii_case(session.shop.as_str()) => {
                    Ok(session.shop.clone())
                }
                Some(_) => Err(ApiError::OtherShop),
            },
            Caller::Operator => {
                let text = asked
                    .ok_or_else(|| ApiError::BadRequest("add ?shop=<shop>.myshopify.com".into()))?;
                ShopDomain::parse(text).map_err(|e| ApiError::BadRequest(format!("shop: {e}")))
            }
        }
    }
}

/// Extractor: the installed shop a merchant-facing admin request acts on (see
/// [`AdminCaller::shop_domain`]), read from the store; 404 for a shop Encore does not know.
pub struct AdminShop {
    pub shop: ShopRow,
    pub caller: Caller,
}

impl FromRequestParts<Arc<AppState>> for AdminShop {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &Arc<AppState>,
    ) -> Result<Self, ApiError> {
        let AdminCaller(caller) = AdminCaller::from_request_parts(parts, state).await?;
        let Query(q) = Query::<ShopQuery>::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::BadRequest(e.body_text()))?;
        let domain = AdminCaller(caller.clone()).shop_domain(q.shop.as_deref())?;
        let shop = state
            .store
            .shop(domain.as_str())
            .await?
            .ok_or_else(|| ApiError::UnknownShop(domain.to_string()))?;
        Ok(AdminShop { shop, caller })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn merchant(shop: &str) -> AdminCaller {
        AdminCaller(Caller::Merchant(MerchantSession {
            shop: ShopDomain::parse(shop).unwrap(),
            user: None,
            token: Secret::new("t"),
            installed_now: false,
        }))
    }

    #[test]
    fn a_session_acts_on_its_own_shop_only() {
        let a = merchant("a.myshopify.com");
        assert_eq!(a.shop_domain(None).unwrap().as_str(), "a.myshopify.com");
        assert_eq!(
            a.shop_domain(Some("A.myshopify.com")).unwrap().as_str(),
            "a.myshopify.com"
        );
        assert!(matches!(
            a.shop_domain(Some("b.myshopify.com")),
            Err(ApiError::OtherShop)
        ));
    }

    #[test]
    fn the_operator_names_a_valid_shop() {
        let op = AdminCaller(Caller::Operator);
        assert!(matches!(op.shop_domain(None), Err(ApiError::BadRequest(_))));
        assert!(matches!(
            op.shop_domain(Some("evil.example.com")),
            Err(ApiError::BadRequest(_))
        ));
        assert_eq!(
            op.shop_domain(Some("b.myshopify.com")).unwrap().as_str(),
            "b.myshopify.com"
        );
    }

    #[test]
    fn constant_time_comparison_still_compares() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}
