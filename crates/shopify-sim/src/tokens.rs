//! `POST /{shop}/admin/oauth/access_token`: token exchange, refresh and authorization code, and
//! the signed redirect of an authorization-code install.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use hmac::{Hmac, Mac};
use jsonwebtoken::{decode, Algorithm, DecodingKey, Validation};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::Sha256;

use crate::state::{Issued, Shared};

const TOKEN_EXCHANGE: &str = "urn:ietf:params:oauth:grant-type:token-exchange";
const ID_TOKEN: &str = "urn:ietf:params:oauth:token-type:id_token";
const OFFLINE: &str = "urn:shopify:params:oauth:token-type:offline-access-token";
const SCOPES: &str = "read_products,read_inventory,read_orders";

fn oauth_error(status: StatusCode, code: &str, description: &str) -> Response {
    (
        status,
        Json(json!({"error": code, "error_description": description})),
    )
        .into_response()
}

/// Accepts a JSON object or a form body, as Shopify does.
fn params(body: &[u8]) -> Option<HashMap<String, String>> {
    if body.first() == Some(&b'{') {
        let object: HashMap<String, Value> = serde_json::from_slice(body).ok()?;
        Some(
            object
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect(),
        )
    } else {
        serde_urlencoded::from_bytes(body).ok()
    }
}

/// A refused grant: the OAuth error code and its description (always HTTP 400).
struct Refusal(&'static str, &'static str);

#[derive(Deserialize)]
struct SessionClaims {
    dest: String,
    iss: String,
}

pub(crate) async fn access_token(
    State(shared): State<Arc<Shared>>,
    Path(shop): Path<String>,
    body: Bytes,
) -> Response {
    let Some(p) = params(&body) else {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            "invalid_request",
            "unreadable body",
        );
    };
    let config = &shared.config;
    if p.get("client_id") != Some(&config.client_id)
        || p.get("client_secret") != Some(&config.client_secret)
    {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client", "unknown client");
    }
    let expiring = p.get("expiring").map(String::as_str) == Some("1");
    let grant = p.get("grant_type").map(String::as_str);
    let outcome = shared.with_shop(&shop, |state| -> Result<(Issued, bool), Refusal> {
        let name = match grant {
            Some(TOKEN_EXCHANGE) => "token_exchange",
            Some("refresh_token") => "refresh_token",
            None if p.contains_key("code") => "authorization_code",
            _ => "other",
        };
        *state.grants.entry(name).or_default() += 1;
        let issued = match grant {
            Some(TOKEN_EXCHANGE) => {
                if p.get("subject_token_type").map(String::as_str) != Some(ID_TOKEN)
                    || p.get("requested_token_type").map(String::as_str) != Some(OFFLINE)
                {
                    return Err(Refusal("invalid_request", "unsupported token types"));
                }
                let token = p
                    .get("subject_token")
                    .map(String::as_str)
                    .unwrap_or_default();
                let mut validation = Validation::new(Algorithm::HS256);
                validation.set_audience(&[&config.client_id]);
                validation.leeway = 5;
                let claims = decode::<SessionClaims>(
                    token,
                    &DecodingKey::from_secret(config.client_secret.as_bytes()),
                    &validation,
                )
                .map_err(|_| {
                    Refusal(
                        "invalid_subject_token",
                        "the session token is invalid or expired",
                    )
                })?
                .claims;
                if claims.dest != format!("https://{shop}")
                    || claims.iss != format!("https://{shop}/admin")
                {
                    return Err(Refusal(
                        "invalid_subject_token",
                        "the session token is for another shop",
                    ));
                }
                Ok(state.issue(config, expiring))
            }
            Some("refresh_token") => {
                let given = p.get("refresh_token").cloned().unwrap_or_default();
                let now = Instant::now();
                let Some(token) = state.refresh.get(&given) else {
                    return Err(Refusal("invalid_grant", "unknown or retired refresh token"));
                };
                if token.expires_at <= now {
                    return Err(Refusal("invalid_grant", "the refresh token expired"));
                }
                let (own_pair, unused_replacement) = (token.pair, token.replaced_by);
                // Using this token is the first use of its own pair: its predecessor retires.
                state.pair_used(own_pair);
                // Retrying a token whose replacement was never used: that replacement is void.
                if let Some(replacement) = unused_replacement {
                    state.refresh.retain(|_, t| t.pair != replacement);
                }
                let issued = state.issue(config, true);
                if let Some(token) = state.refresh.get_mut(&given) {
                    token.replaced_by = Some(issued.pair);
                }
                Ok(issued)
            }
            None if p.contains_key("code") => {
                let code = p.get("code").cloned().unwrap_or_default();
                match state.codes.remove(&code) {
                    Some(expires) if expires > Instant::now() => Ok(state.issue(config, expiring)),
                    _ => Err(Refusal("invalid_grant", "unknown, used or expired code")),
                }
            }
            _ => Err(Refusal("unsupported_grant_type", "unsupported grant")),
        }?;
        let lose = state.lose_token_answers > 0;
        if lose {
            state.lose_token_answers -= 1;
        }
        Ok((issued, lose))
    });
    match outcome {
        None => (StatusCode::NOT_FOUND, "shop not found").into_response(),
        Some(Err(Refusal(code, description))) => {
            oauth_error(StatusCode::BAD_REQUEST, code, description)
        }
        Some(Ok((_, true))) => lost_answer(),
        Some(Ok((issued, false))) => {
            let mut body = json!({"access_token": issued.access, "scope": SCOPES});
            if let Some(refresh) = issued.refresh {
                body["expires_in"] = json!(config.access_token_ttl.as_secs());
                body["refresh_token"] = json!(refresh);
                body["refresh_token_expires_in"] = json!(config.refresh_token_ttl.as_secs());
            }
            Json(body).into_response()
        }
    }
}

/// A 200 whose body breaks off: the client cannot read the answer (a lost answer).
fn lost_answer() -> Response {
    let broken = futures_util::stream::once(async {
        Err::<bytes::Bytes, std::io::Error>(std::io::Error::other("connection lost"))
    });
    (StatusCode::OK, axum::body::Body::from_stream(broken)).into_response()
}

/// Grants the app on `shop` and returns the signed callback URL Shopify would redirect to.
pub(crate) fn authorize(
    shared: &Shared,
    shop: &str,
    redirect_uri: &str,
    state: &str,
    now: i64,
) -> Option<String> {
    let code = format!("{:032x}", rand::random::<u128>());
    shared.with_shop(shop, |s| {
        s.codes
            .insert(code.clone(), Instant::now() + Duration::from_secs(600))
    })?;
    let name = shop.trim_end_matches(".myshopify.com");
    let host =
        base64::engine::general_purpose::STANDARD.encode(format!("admin.shopify.com/store/{name}"));
    let timestamp = now.to_string();
    let mut params = vec![
        ("code", code.as_str()),
        ("host", host.as_str()),
        ("shop", shop),
        ("state", state),
        ("timestamp", timestamp.as_str()),
    ];
    params.sort();
    let message = serde_urlencoded::to_string(&params).expect("pairs encode");
    let mut mac = Hmac::<Sha256>::new_from_slice(shared.config.client_secret.as_bytes())
        .expect("any key length");
    mac.update(message.as_bytes());
    let hmac = hex_lower(&mac.finalize().into_bytes());
    Some(format!("{redirect_uri}?{message}&hmac={hmac}"))
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
