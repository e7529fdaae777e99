//! OAuth with Shopify: the authorization-code grant's URLs and signed callback, and the token
//! endpoint's three grants (token exchange, refresh, authorization code).
//!
//! Encore asks for expiring offline tokens (`expiring=1`): an access token lives an hour and
//! comes with a refresh token that Shopify replaces on every use. Storing the pair, refreshing in
//! time and serializing refreshes per shop are the caller's job; this module only speaks the wire.

use std::time::Duration;

use hmac::{Hmac, Mac};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Sha256;

use crate::domain::ShopDomain;
use crate::host::ShopifyHost;
use crate::secret::Secret;

/// The app's client id (API key) and client secret.
#[derive(Debug, Clone)]
pub struct AppCredentials {
    pub client_id: String,
    pub client_secret: Secret,
}

/// How long a callback's `timestamp` stays acceptable.
pub const CALLBACK_MAX_AGE_SECONDS: i64 = 3600;

/// A fresh `state` nonce for the authorization-code grant: 32 random bytes, hex.
pub fn state_nonce() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// Where to send the merchant to grant `scopes` (offline access, the default mode).
pub fn install_url(
    host: &ShopifyHost,
    shop: &ShopDomain,
    client_id: &str,
    scopes: &str,
    redirect_uri: &str,
    state: &str,
) -> String {
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("client_id", client_id)
        .append_pair("scope", scopes)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .finish();
    format!("{}?{query}", host.authorize_url(shop))
}

/// A verified `/auth/callback` query. Checking `state` against the nonce issued for this
/// browser (once) is the caller's job.
#[derive(Debug, Clone)]
pub struct Callback {
    pub shop: ShopDomain,
    pub code: Secret,
    pub state: String,
    pub timestamp: i64,
    /// Base64 of the admin's host, when Shopify sends it.
    pub host: Option<String>,
}

/// Why a callback was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    #[error("the callback has no hmac")]
    MissingHmac,
    #[error("the callback's hmac does not match (tampered or another app's)")]
    BadHmac,
    #[error("the callback lacks {0}")]
    Missing(&'static str),
    #[error("the callback repeats the parameter {0}")]
    Repeated(String),
    #[error("the callback's shop is not a *.myshopify.com domain")]
    BadShop,
    #[error("the callback's timestamp is too old or in the future")]
    Stale,
}

/// The message Shopify signs for a callback: every parameter except `hmac`, sorted by name,
/// form-encoded and joined with `&`.
pub fn callback_message<'a>(params: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = params.into_iter().filter(|(k, _)| *k != "hmac").collect();
    pairs.sort();
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// Verifies a callback's raw query string (HMAC-SHA256, hex, constant-time) at `now`.
pub fn verify_callback(
    client_secret: &Secret,
    raw_query: &str,
    now: i64,
) -> Result<Callback, CallbackError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw_query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    for (i, (k, _)) in pairs.iter().enumerate() {
        if pairs[..i].iter().any(|(seen, _)| seen == k) {
            return Err(CallbackError::Repeated(k.clone()));
        }
    }
    let get = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    let given = get("hmac").ok_or(CallbackError::MissingHmac)?;
    let given = hex::decode(given).map_err(|_| CallbackError::BadHmac)?;
    let message = callback_message(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    // verify_slice compares in constant time.
    mac.verify_slice(&given)
        .map_err(|_| CallbackError::BadHmac)?;

    let shop = ShopDomain::parse(get("shop").ok_or(CallbackError::Missing("shop"))?)
        .map_err(|_| CallbackError::BadShop)?;
    let timestamp: i64 = get("timestamp")
        .ok_or(CallbackError::Missing("timestamp"))?
        .parse()
        .map_err(|_| CallbackError::Missing("timestamp"))?;
    if timestamp < now - CALLBACK_MAX_AGE_SECONDS || timestamp > now + 60 {
        return Err(CallbackError::Stale);
    }
    Ok(Callback {
        shop,
        code: Secret::new(get("code").ok_or(CallbackError::Missing("code"))?),
        state: get("state")
            .ok_or(CallbackError::Missing("state"))?
            .to_string(),
        timestamp,
        host: get("host").map(str::to_string),
    })
}

/// Signs a callback query the way Shopify does (for the simulator and tests).
pub fn sign_callback(client_secret: &Secret, params: &[(&str, &str)]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(client_secret.expose().as_bytes())
        .expect("HMAC takes any key length");
    mac.update(callback_message(params.iter().copied()).as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// An offline access token as the token endpoint returns it. For an expiring token all four
/// lifetimes are present; a non-expiring token has only `access_token` and `scope`.
#[derive(Debug, Clone, Deserialize)]
pub struct OfflineToken {
    pub access_token: Secret,
    pub scope: String,
    /// Seconds the access token lives (3600 for expiring offline tokens).
    pub expires_in: Option<u64>,
    pub refresh_token: Option<Secret>,
    /// Seconds the refresh token lives (at most 90 days).
    pub refresh_token_expires_in: Option<u64>,
}

impl OfflineToken {
    /// When the access token expires, for a token received at `now` (unix seconds).
    pub fn expires_at(&self, now: i64) -> Option<i64> {
        self.expires_in.map(|s| now + s as i64)
    }

    /// When the refresh token lapses, for a token received at `now`.
    pub fn refresh_expires_at(&self, now: i64) -> Option<i64> {
        self.refresh_token_expires_in.map(|s| now + s as i64)
    }

    /// The granted scopes.
    pub fn scopes(&self) -> impl Iterator<Item = &str> {
        self.scope
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
    }
}

/// An OAuth error code from the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthErrorCode {
    /// The code, subject token or refresh token is invalid, used or expired: the shop must
    /// authorize the app again (do not retry).
    InvalidGrant,
    /// The client id or secret is wrong.
    InvalidClient,
    InvalidRequest,
    Other(String),
}

impl OAuthErrorCode {
    fn from_wire(code: &str) -> Self {
        match code {
            "invalid_grant" => Self::InvalidGrant,
            "invalid_client" => Self::InvalidClient,
            "invalid_request" => Self::InvalidRequest,
            other => Self::Other(other.to_string()),
        }
    }
}

/// Why a token request failed.
#[derive(Debug, Clone, thiserror::Error)]
#[non_exhaustive]
pub enum TokenRequestError {
    #[error("Shopify refused the token request ({status}): {code:?} {description}")]
    Refused {
        status: u16,
        code: OAuthErrorCode,
        description: String,
    },
    #[error("the token request timed out")]
    Timeout,
    #[error("the token endpoint could not be reached: {0}")]
    Transport(String),
    #[error("the token endpoint's answer could not be read: {0}")]
    Decode(String),
}

impl TokenRequestError {
    /// True when only a new authorization by the merchant can help.
    pub fn needs_reauthorization(&self) -> bool {
        matches!(
            self,
            Self::Refused {
                code: OAuthErrorCode::InvalidGrant,
                ..
            }
        )
    }
}

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const OFFLINE_TOKEN: &str = "urn:shopify:params:oauth:token-type:offline-access-token";

#[derive(Serialize)]
struct TokenRequest<'a> {
    client_id: &'a str,
    client_secret: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    grant_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    subject_token_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    requested_token_type: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expiring: Option<&'a str>,
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    error: Option<String>,
    error_description: Option<String>,
}

/// Calls a shop's token endpoint for one app.
#[derive(Debug, Clone)]
pub struct TokenClient {
    http: reqwest::Client,
    host: ShopifyHost,
    credentials: AppCredentials,
    timeout: Duration,
}

impl TokenClient {
    pub fn new(
        http: reqwest::Client,
        host: ShopifyHost,
        credentials: AppCredentials,
        timeout: Duration,
    ) -> Self {
        Self {
            http,
            host,
            credentials,
            timeout,
        }
    }

    fn request(&self) -> TokenRequest<'_> {
        TokenRequest {
            client_id: &self.credentials.client_id,
            client_secret: self.credentials.client_secret.expose(),
            grant_type: None,
            subject_token: None,
            subject_token_type: None,
            requested_token_type: None,
            refresh_token: None,
            code: None,
            expiring: Some("1"),
        }
    }

    /// Token exchange: the admin page's session token (already verified) for an expiring
    /// offline token.
    pub async fn exchange_session_token(
        &self,
        shop: &ShopDomain,
        session_token: &str,
    ) -> Result<OfflineToken, TokenRequestError> {
        let body = TokenRequest {
            grant_type: Some(TOKEN_EXCHANGE),
            subject_token: Some(session_token),
            subject_token_type: Some(ID_TOKEN),
            requested_token_type: Some(OFFLINE_TOKEN),
            ..self.request()
        };
        self.post(shop, &body).await
    }

    /// Refresh grant: a new access token and a new refresh token (the old one is replaced).
    pub async fn refresh(
        &self,
        shop: &ShopDomain,
        refresh_token: &Secret,
    ) -> Result<OfflineToken, TokenRequestError> {
        let body = TokenRequest {
            grant_type: Some("refresh_token"),
            refresh_token: Some(refresh_token.expose()),
            ..self.request()
        };
        self.post(shop, &body).await
    }

    /// Authorization-code grant: the verified callback's code for an expiring offline token.
    pub async fn exchange_code(
        &self,
        shop: &ShopDomain,
        code: &Secret,
    ) -> Result<OfflineToken, TokenRequestError> {
        let body = TokenRequest {
            code: Some(code.expose()),
            ..self.request()
        };
        self.post(shop, &body).await
    }

    async fn post(
        &self,
        shop: &ShopDomain,
        body: &TokenRequest<'_>,
    ) -> Result<OfflineToken, TokenRequestError> {
        let response = self
            .http
            .post(self.host.token_url(shop))
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body)
            .timeout(self.timeout)
            .send()
            .await
            .map_err(transport_error)?;
        let status = response.status();
        let bytes = response.bytes().await.map_err(transport_error)?;
        if status.is_success() {
            return serde_json::from_slice(&bytes)
                .map_err(|e| TokenRequestError::Decode(e.to_string()));
        }
        let parsed: Option<OAuthErrorBody> = serde_json::from_slice(&bytes).ok();
        let (code, description) = match parsed {
            Some(OAuthErrorBody {
                error: Some(code),
                error_description,
            }) => (
                OAuthErrorCode::from_wire(&code),
                error_description.unwrap_or_default(),
            ),
            _ => (
                OAuthErrorCode::Other(format!("http {status}")),
                String::new(),
            ),
        };
        Err(TokenRequestError::Refused {
            status: status.as_u16(),
            code,
            description,
        })
    }
}

fn transport_error(e: reqwest::Error) -> TokenRequestError {
    if e.is_timeout() {
        TokenRequestError::Timeout
    } else {
        TokenRequestError::Transport(e.without_url().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "hush";

    fn signed_query(params: &[(&str, &str)]) -> String {
        let hmac = sign_callback(&Secret::new(SECRET), params);
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            q.append_pair(k, v);
        }
        q.append_pair("hmac", &hmac);
        q.finish()
    }

    const PARAMS: &[(&str, &str)] = &[
        ("code", "0907a61c0c8d55e99db179b68161bc00"),
        ("host", "YWRtaW4uc2hvcGlmeS5jb20vc3RvcmUvYQ=="),
        ("shop", "a.myshopify.com"),
        ("state", "nonce-1"),
        ("timestamp", "1700000000"),
    ];

    #[test]
    fn a_signed_callback_is_accepted_in_any_parameter_order() {
        let mut reversed = PARAMS.to_vec();
        reversed.reverse();
        let cb = verify_callback(
            &Secret::new(SECRET),
            &signed_query(&reversed),
            1_700_000_010,
        )
        .unwrap();
        assert_eq!(cb.shop.as_str(), "a.myshopify.com");
        assert_eq!(cb.state, "nonce-1");
        assert_eq!(cb.code.expose(), "0907a61c0c8d55e99db179b68161bc00");
    }

    #[test]
    fn a_tampered_callback_is_refused() {
        let query = signed_query(PARAMS).replace("a.myshopify.com", "b.myshopify.com");
        assert_eq!(
            verify_callback(&Secret::new(SECRET), &query, 1_700_000_010).unwrap_err(),
            CallbackError::BadHmac
        );
        let other_app =
            verify_callback(&Secret::new("other"), &signed_query(PARAMS), 1_700_000_010);
        assert_eq!(other_app.unwrap_err(), CallbackError::BadHmac);
    }

    #[test]
    fn a_callback_without_hmac_or_with_repeated_or_stale_parameters_is_refused() {
        let secret = Secret::new(SECRET);
        assert_eq!(
            verify_callback(&secret, "shop=a.myshopify.com&code=1", 0).unwrap_err(),
            CallbackError::MissingHmac
        );
        let repeated = format!("{}&shop=b.myshopify.com", signed_query(PARAMS));
        assert!(matches!(
            verify_callback(&secret, &repeated, 1_700_000_010),
            Err(CallbackError::Repeated(_))
        ));
        assert_eq!(
            verify_callback(&secret, &signed_query(PARAMS), 1_700_000_000 + 7200).unwrap_err(),
            CallbackError::Stale
        );
    }

    #[test]
    fn a_signed_callback_for_a_foreign_domain_is_refused() {
        let params = [
            ("code", "c"),
            ("shop", "evil.example.com"),
            ("state", "s"),
            ("timestamp", "1700000000"),
        ];
        assert_eq!(
            verify_callback(&Secret::new(SECRET), &signed_query(&params), 1_700_000_000)
                .unwrap_err(),
            CallbackError::BadShop
        );
    }

    #[test]
    fn the_install_url_carries_the_grant_parameters_encoded() {
        let shop = ShopDomain::parse("a.myshopify.com").unwrap();
        let url = install_url(
            &ShopifyHost::shopify(),
            &shop,
            "key",
            "read_products,read_orders",
            "https://encore.example.com/auth/callback",
            "n1",
        );
        assert_eq!(
            url,
            "https://a.myshopify.com/admin/oauth/authorize?client_id=key&scope=read_products%2Cread_orders&redirect_uri=https%3A%2F%2Fencore.example.com%2Fauth%2Fcallback&state=n1"
        );
    }

    #[test]
    fn state_nonces_are_long_and_fresh() {
        let (a, b) = (state_nonce(), state_nonce());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    #[test]
    fn token_debug_output_hides_both_tokens() {
        let token: OfflineToken = serde_json::from_str(
            r#"{"access_token":"shpat_abc","scope":"read_products","expires_in":3600,
                "refresh_token":"shprt_def","refresh_token_expires_in":7776000}"#,
        )
        .unwrap();
        let shown = format!("{token:?}");
        assert!(!shown.contains("shpat_abc") && !shown.contains("shprt_def"));
        assert_eq!(token.expires_at(100), Some(3700));
        assert_eq!(token.scopes().collect::<Vec<_>>(), ["read_products"]);
    }
}
