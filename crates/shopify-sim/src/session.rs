//! App Bridge session tokens, minted as Shopify's admin does for an embedded app.

use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::json;

use crate::SimConfig;

/// A session token for `shop` and staff member `user`, issued at `now`, valid `ttl` seconds.
pub fn mint_session_token(config: &SimConfig, shop: &str, user: u64, now: i64, ttl: i64) -> String {
    let claims = json!({
        "iss": format!("https://{shop}/admin"),
        "dest": format!("https://{shop}"),
        "aud": config.client_id,
        "sub": user.to_string(),
        "exp": now + ttl,
        "nbf": now,
        "iat": now,
        "jti": format!("{:032x}", rand::random::<u128>()),
        "sid": format!("{:032x}", rand::random::<u128>()),
    });
    encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(config.client_secret.as_bytes()),
    )
    .expect("HS256 signing cannot fail")
}
