//! A post-purchase API request: the body read whole, Shopify's token taken from it or from `Authorization`, verified.
//!
//! The extension sends `{"token": inputData.token, …}` in the JSON body: a large purchase's token
//! is hundreds of kilobytes, more than HTTP servers and proxies take in a header. The
//! `Authorization: Bearer` header is still accepted; when both are sent they must be the same
//! token. The body is always read to its end before any answer (see [`crate::body`]).

use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::http::{header, HeaderMap};
use serde_json::{json, Value};

use crate::body::read_capped;
use crate::error::ApiError;
use crate::state::AppState;
use encore_app::clock::now;
use encore_shopify::post_purchase::token::{bearer, TokenError, VerifiedPurchase, MAX_TOKEN_BYTES};

/// The largest post-purchase request body: the largest token and room for the event fields.
pub const BODY_LIMIT: usize = MAX_TOKEN_BYTES + 64 * 1024;

/// A post-purchase request whose token verified, with the rest of its JSON body (`{}` when the
/// body is empty; the `token` field removed).
pub struct PurchaseRequest {
    pub purchase: VerifiedPurchase,
    pub body: Value,
}

impl FromRequest<Arc<AppState>> for PurchaseRequest {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let (parts, body) = req.into_parts();
        let bytes = read_capped(body, BODY_LIMIT).await?;
        let from_header = header_token(&parts.headers)?;
        // A header token is checked before the body is parsed: a caller without a valid token
        // learns nothing about how its body is read.
        let header_purchase = match from_header {
            Some(token) => {
                check_size(token, true)?;
                Some(state.verifier.verify(token, now())?)
            }
            None => None,
        };
        let mut body: Value = if bytes.iter().all(u8::is_ascii_whitespace) {
            json!({})
        } else {
            serde_json::from_slice(&bytes).map_err(|e| ApiError::BadJson(e.to_string()))?
        };
        let from_body = match body.as_object_mut().and_then(|o| o.remove("token")) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s),
            Some(_) => return Err(ApiError::BadRequest("token must be a string".into())),
        };
        let purchase = match (header_purchase, from_header, from_body.as_deref()) {
            (Some(_), Some(h), Some(b)) if h != b.trim() => {
                return Err(TokenError::Conflicting.into())
            }
            (Some(purchase), _, _) => purchase,
            (None, _, Some(b)) => {
                check_size(b.trim(), false)?;
                state.verifier.verify(b.trim(), now())?
            }
            (None, _, None) => return Err(TokenError::Missing.into()),
        };
        Ok(PurchaseRequest { purchase, body })
    }
}

/// The `Authorization: Bearer` token, if the header is there.
fn header_token(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    match headers.get(header::AUTHORIZATION) {
        None => Ok(None),
        Some(v) => Ok(Some(bearer(v.to_str().ok())?)),
    }
}

fn check_size(token: &str, in_header: bool) -> Result<(), ApiError> {
    if token.len() > MAX_TOKEN_BYTES {
        return Err(ApiError::TokenTooLarge {
            size: token.len(),
            limit: MAX_TOKEN_BYTES,
            in_header,
        });
    }
    Ok(())
}
