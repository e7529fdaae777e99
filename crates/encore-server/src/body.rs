//! Request bodies read whole up to a limit; a larger one is still read to its end before the
//! refusal. [`JsonBody`] is the extractor the JSON routes take.
//!
//! A server that answers 413 while the client is still sending and then closes the socket makes
//! the kernel reset the connection, and the client often sees the reset instead of the answer
//! (hyper does not linger on close). So a body over the limit is read on, and dropped, up to
//! [`DRAIN_FACTOR`] times the limit; only past that bound does the server stop reading and close
//! the connection after answering.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, Request};
use http_body_util::BodyExt;
use serde_json::{json, Value};

use crate::error::ApiError;
use crate::state::AppState;

/// How far past its limit a body is read (and dropped) before the refusal, as a multiple of the
/// limit.
pub const DRAIN_FACTOR: usize = 4;

/// The whole body when it is at most `limit` bytes; [`ApiError::TooLarge`] otherwise.
pub async fn read_capped(mut body: Body, limit: usize) -> Result<Bytes, ApiError> {
    let drain_bound = limit.saturating_mul(DRAIN_FACTOR);
    let mut kept: Vec<u8> = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = body.frame().await {
        let frame = frame
            .map_err(|e| ApiError::BadRequest(format!("cannot read the request body: {e}")))?;
        let Ok(data) = frame.into_data() else {
            continue; // trailers
        };
        total = total.saturating_add(data.len());
        if total <= limit {
            kept.extend_from_slice(&data);
        } else if total > drain_bound {
            tracing::warn!(
                limit,
                read = total,
                "request body far over its limit: refused without reading the rest"
            );
            return Err(ApiError::TooLarge {
                limit,
                read_whole: false,
            });
        } else {
            kept = Vec::new();
        }
    }
    if total > limit {
        return Err(ApiError::TooLarge {
            limit,
            read_whole: true,
        });
    }
    Ok(Bytes::from(kept))
}

/// A JSON request body: 413 over the limit (read to its end first, see [`read_capped`]), 400
/// with the parser's words when malformed, and `{}` when empty. Extra fields are the handler's
/// business.
pub struct JsonBody(pub Value);

impl FromRequest<Arc<AppState>> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &Arc<AppState>) -> Result<Self, ApiError> {
        let bytes = read_capped(req.into_body(), state.settings.body_limit).await?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(JsonBody(json!({})));
        }
        serde_json::from_slice(&bytes)
            .map(JsonBody)
            .map_err(|e| ApiError::BadJson(e.to_string()))
    }
}
