//! App Bridge session tokens: the JWT the embedded admin page sends with every request.
//!
//! Shopify signs them HS256 with the app's client secret. A token names the shop twice
//! (`dest` = `https://{shop}`, `iss` = `https://{shop}/admin`), the app in `aud` (the client id)
//! and the staff member in `sub`; it lives one minute. Verification checks all of it against a
//! clock the caller passes, so tests control time and production uses the system clock.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde::Deserialize;

use crate::domain::ShopDomain;
use crate::ids::StaffMemberId;
use crate::secret::Secret;

/// Clock tolerance for `exp` and `nbf`: Shopify's clocks and ours may differ by a few seconds.
pub const LEEWAY_SECONDS: i64 = 5;

/// A verified session token: which shop and which staff member the request acts for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionToken {
    pub shop: ShopDomain,
    /// `sub`: the staff member using the admin, when Shopify names one.
    pub user: Option<StaffMemberId>,
    /// `exp`, unix seconds.
    pub expires_at: i64,
    /// `sid`: the admin session.
    pub session_id: Option<String>,
    /// `jti`: unique per token.
    pub token_id: Option<String>,
}

/// Why a session token was refused. Messages never contain the token or claim values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SessionTokenError {
    #[error("malformed session token")]
    Malformed,
    #[error("session token algorithm must be HS256")]
    WrongAlgorithm,
    #[error("session token signature does not match the app's client secret")]
    BadSignature,
    #[error("session token expired")]
    Expired,
    #[error("session token not valid yet")]
    NotYetValid,
    #[error("session token is for another app")]
    WrongAudience,
    #[error("session token lacks the {0} claim")]
    MissingClaim(&'static str),
    #[error("session token's {0} does not name a *.myshopify.com shop")]
    BadShop(&'static str),
    #[error("session token's dest and iss name different shops")]
    ShopMismatch,
    #[error("session token's sub is not a staff member id")]
    BadSubject,
}

#[derive(Deserialize)]
struct Claims {
    iss: Option<String>,
    dest: Option<String>,
    aud: Option<Audience>,
    sub: Option<String>,
    exp: Option<i64>,
    nbf: Option<i64>,
    sid: Option<String>,
    jti: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

/// Verifies session tokens for one app.
#[derive(Clone)]
pub struct SessionVerifier {
    key: DecodingKey,
    client_id: String,
}

impl std::fmt::Debug for SessionVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionVerifier")
            .field("client_id", &self.client_id)
            .finish_non_exhaustive()
    }
}

impl SessionVerifier {
    pub fn new(client_id: &str, client_secret: &Secret) -> Self {
        Self {
            key: DecodingKey::from_secret(client_secret.expose().as_bytes()),
            client_id: client_id.to_string(),
        }
    }

    /// Verifies signature, algorithm, audience, shop and times at `now` (unix seconds).
    pub fn verify(&self, token: &str, now: i64) -> Result<SessionToken, SessionTokenError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| SessionTokenError::Malformed)?;
        if header.alg != Algorithm::HS256 {
            return Err(SessionTokenError::WrongAlgorithm);
        }
        // jsonwebtoken checks the signature only; every claim is checked below against the
        // caller's clock, with errors that say which check failed.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.validate_exp = false;
        validation.validate_nbf = false;
        validation.validate_aud = false;
        validation.required_spec_claims.clear();
        let claims = jsonwebtoken::decode::<Claims>(token, &self.key, &validation)
            .map_err(|e| match e.kind() {
                jsonwebtoken::errors::ErrorKind::InvalidSignature => {
                    SessionTokenError::BadSignature
                }
                _ => SessionTokenError::Malformed,
            })?
            .claims;

        let exp = claims.exp.ok_or(SessionTokenError::MissingClaim("exp"))?;
        if now > exp + LEEWAY_SECONDS {
            return Err(SessionTokenError::Expired);
        }
        let nbf = claims.nbf.ok_or(SessionTokenError::MissingClaim("nbf"))?;
        if now + LEEWAY_SECONDS < nbf {
            return Err(SessionTokenError::NotYetValid);
        }
        let audience_ok = match claims.aud.ok_or(SessionTokenError::MissingClaim("aud"))? {
            Audience::One(aud) => aud == self.client_id,
            Audience::Many(list) => list.contains(&self.client_id),
        };
        if !audience_ok {
            return Err(SessionTokenError::WrongAudience);
        }
        let dest = claims.dest.ok_or(SessionTokenError::MissingClaim("dest"))?;
        let iss = claims.iss.ok_or(SessionTokenError::MissingClaim("iss"))?;
        let shop =
            ShopDomain::from_url(&dest, "").map_err(|_| SessionTokenError::BadShop("dest"))?;
        let issuer_shop =
            ShopDomain::from_url(&iss, "/admin").map_err(|_| SessionTokenError::BadShop("iss"))?;
        if shop != issuer_shop {
            return Err(SessionTokenError::ShopMismatch);
        }
        let user = match claims.sub {
            Some(sub) => {
                Some(StaffMemberId::parse(&sub).map_err(|_| SessionTokenError::BadSubject)?)
            }
            None => None,
        };
        Ok(SessionToken {
            shop,
            user,
            expires_at: exp,
            session_id: claims.sid,
            token_id: claims.jti,
        })
    }
}
