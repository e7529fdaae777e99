//! The install routes, over `encore_app::install`: the embedded path (token exchange of an App
//! Bridge session token) and the authorization-code grant (`/auth` → Shopify →
//! `/auth/callback`), both ending in an expiring offline token stored with the shop's currency
//! read from the Admin API.
//!
//! Routes: `GET /auth?shop=`, `GET /auth/callback`, `POST /api/session/install` (the embedded
//! page, session token) and `GET /api/session/status` (session or operator token): whether the
//! shop is installed, its scopes, token lifetimes and `needsReauthorization` — never a token.

use std::sync::Arc;

use axum::extract::{Query, RawQuery, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use encore_shopify::oauth;
use encore_shopify::{Secret, ShopDomain};
use serde::Deserialize;

use crate::error::ApiError;
use crate::session::{AdminCaller, MerchantSession};
use crate::state::AppState;
use encore_app::clock::now;
use encore_app::credentials::AccessStatus;
use encore_app::install;

/// How long a `state` nonce of the authorization-code grant may wait for its callback.
pub const STATE_TTL_SECONDS: i64 = 600;

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/auth", get(begin))
        .route("/auth/callback", get(callback))
        .route("/api/session/install", post(install_embedded))
        .route("/api/session/status", get(status))
}

#[derive(Deserialize)]
struct ShopQuery {
    shop: Option<String>,
}

/// `GET /auth?shop=`: remembers a one-time state nonce and sends the merchant to Shopify.
async fn begin(
    State(state): State<Arc<AppState>>,
    Query(q): Query<ShopQuery>,
) -> Result<Response, ApiError> {
    let app_url = state
        .settings
        .app_url
        .as_deref()
        .ok_or(ApiError::InstallDisabled)?;
    let shop = ShopDomain::parse(q.shop.as_deref().unwrap_or_default())
        .map_err(|e| ApiError::BadRequest(format!("shop: {e}")))?;
    let nonce = oauth::state_nonce();
    let now = now();
    state
        .store
        .put_oauth_state(&nonce, shop.as_str(), now + STATE_TTL_SECONDS, now)
        .await?;
    let url = oauth::install_url(
        &state.settings.shopify_host,
        &shop,
        &state.settings.api_key,
        &state.settings.scopes,
        &format!("{app_url}/auth/callback"),
        &nonce,
    );
    Ok(Redirect::to(&url).into_response())
}

/// `GET /auth/callback`: HMAC, shop and timestamp checked, the state consumed exactly once,
/// the code exchanged, the shop installed; then on to the app in the shop's admin.
async fn callback(
    State(state): State<Arc<AppState>>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let secret = Secret::new(state.settings.api_secret.clone());
    let now = now();
    let verified = oauth::verify_callback(&secret, query.as_deref().unwrap_or_default(), now)
        .map_err(ApiError::Callback)?;
    if !state
        .store
        .take_oauth_state(&verified.state, verified.shop.as_str(), now)
        .await?
    {
        return Err(ApiError::InstallState);
    }
    install::by_code(&state, &verified.shop, &verified.code).await?;
    Ok(Redirect::to(&format!(
        "https://{}/admin/apps/{}",
        verified.shop, state.settings.api_key
    ))
    .into_response())
}

/// `POST /api/session/install`: the embedded page installs (or re-authorizes) its shop.
async fn install_embedded(
    State(state): State<Arc<AppState>>,
    session: MerchantSession,
) -> Result<Json<AccessStatus>, ApiError> {
    // The extractor already exchanged the token when the shop had no usable credentials;
    // otherwise exchange now, which also picks up scopes granted since.
    if !session.installed_now {
        install::by_session_token(&state, &session.shop, session.token.expose()).await?;
    }
    Ok(Json(state.credentials.status(&session.shop).await?))
}

/// `GET /api/session/status`.
async fn status(
    State(state): State<Arc<AppState>>,
    caller: AdminCaller,
    Query(q): Query<ShopQuery>,
) -> Result<Json<AccessStatus>, ApiError> {
    let shop = caller.shop_domain(q.shop.as_deref())?;
    Ok(Json(state.credentials.status(&shop).await?))
}
