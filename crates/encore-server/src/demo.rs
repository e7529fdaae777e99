//! Demo mode: seeds the demo shop from crates/encore-server/demo/ and serves the /demo preview page.
//!
//! The preview mints a Shopify-style token for the purchase a person picks or edits (with the
//! documented demo secret: `--demo` refuses to start with any other), runs it through the same verification and offer pipeline as
//! the extension's requests, and shows the offer, its price, the changeset that would be
//! signed and the reasons for everything passed over. Previews are not stored.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::body::JsonBody;
use crate::error::ApiError;
use crate::settings::demo::{API_SECRET, SHOP};
use crate::state::AppState;
use encore_app::clock::now;
use encore_app::offer::{self, Decided};
use encore_store::decisions::FunnelRow;
use encore_store::{Store, StoreError};

pub const CAMPAIGNS: &str = include_str!("../demo/campaigns.json");
pub const CATALOG: &str = include_str!("../demo/catalog.json");
pub const CUSTOMERS: &str = include_str!("../demo/customers.json");
pub const PURCHASES: &str = include_str!("../demo/purchases.json");
const PAGE: &str = include_str!("../demo/preview.html");

/// Seeds the demo shop (idempotent: upserts; a new config version only when it changed).
pub async fn seed(store: &Store) -> Result<(), StoreError> {
    let now = now();
    let usd = encore_engine::Currency::from_code("USD").expect("USD is ISO 4217");
    store.upsert_shop(SHOP, usd.code(), now).await?;
    let catalog: Value = serde_json::from_str(CATALOG)?;
    match encore_app::loads::parse_catalog(&catalog) {
        Ok(products) => store.upsert_catalog(SHOP, &products).await?,
        Err(e) => tracing::error!(error = %e, "demo catalog is invalid"),
    }
    let customers: Value = serde_json::from_str(CUSTOMERS)?;
    match encore_app::loads::parse_customers(&customers) {
        Ok(c) => store.upsert_customers(SHOP, &c).await?,
        Err(e) => tracing::error!(error = %e, "demo customers are invalid"),
    }
    let config: Value = serde_json::from_str(CAMPAIGNS)?;
    match encore_app::campaigns::validate_config(&config, usd) {
        Ok(()) => {
            let live = store.live_config(SHOP).await?;
            if live.as_ref().map(|(_, c)| c) != Some(&config) {
                let v = store.put_config(SHOP, &config, now).await?;
                tracing::info!(version = v, "demo campaigns stored");
            }
        }
        Err(faults) => {
            for (path, message) in faults {
                tracing::error!(%path, %message, "demo campaigns are invalid");
            }
        }
    }
    Ok(())
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/demo", get(page))
        .route("/demo/api/samples", get(samples))
        .route("/demo/api/preview", post(preview))
}

async fn page() -> impl IntoResponse {
    Html(PAGE)
}

async fn samples() -> impl IntoResponse {
    let purchases: Value = serde_json::from_str(PURCHASES).unwrap_or(json!({"purchases": []}));
    let config: Value = serde_json::from_str(CAMPAIGNS).unwrap_or(Value::Null);
    Json(json!({"shop": SHOP, "purchases": purchases["purchases"], "campaigns": config}))
}

/// Body: `{initialPurchase, locale?, funnel?: {campaignId, stepId, offersShown, offersAccepted}}`.
async fn preview(
    State(state): State<Arc<AppState>>,
    body: Result<JsonBody, ApiError>,
) -> Result<Json<Value>, ApiError> {
    let JsonBody(body) = body?;
    let purchase_json = body
        .get("initialPurchase")
        .cloned()
        .ok_or_else(|| ApiError::BadRequest("initialPurchase is required".into()))?;
    let reference = purchase_json
        .get("referenceId")
        .and_then(Value::as_str)
        .unwrap_or("demo-preview")
        .to_string();
    let t = now();
    let input_data = json!({
        "extensionPoint": "Checkout::PostPurchase::ShouldRender",
        "initialPurchase": purchase_json,
        "locale": body.get("locale").and_then(Value::as_str).unwrap_or("en"),
        "shop": {"id": 1, "domain": SHOP, "metafields": []},
        "version": "demo"
    });
    let claims = json!({"iss": "shopify", "sub": reference, "iat": t, "exp": t + 3600, "input_data": input_data});
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        // Always the documented demo secret, whatever the settings hold (settings refuse
        // --demo with any other): a preview must never mint a token a real app would accept.
        &jsonwebtoken::EncodingKey::from_secret(API_SECRET.as_bytes()),
    )
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let purchase = state.verifier.verify(&token, t)?;
    let shop = state
        .store
        .shop(&purchase.shop_domain)
        .await?
        .ok_or_else(|| ApiError::UnknownShop(purchase.shop_domain.clone()))?;
    let f = body.get("funnel").cloned().unwrap_or(Value::Null);
    let funnel = FunnelRow {
        seq: 0,
        campaign_id: f
            .get("campaignId")
            .and_then(Value::as_str)
            .map(str::to_string),
        step_id: f.get("stepId").and_then(Value::as_str).map(str::to_string),
    };
    let customer = match &purchase.customer_id {
        Some(id) => state.store.customer(&shop.domain, id).await?.map(|data| {
            encore_store::customers::StoredCustomer {
                data,
                read_at: None,
                read_for: None,
                last_order_at: None,
            }
        }),
        None => None,
    };
    let (input, decided, _) =
        offer::decide(&state, &shop, &purchase, &funnel, &[], customer, t).await?;
    let answer = match decided {
        Decided::Failed { code, detail } => {
            serde_json::to_value(offer::failed_response(code, &detail))
        }
        Decided::Decision(d) => {
            serde_json::to_value(offer::respond_stored(&state, &d, &purchase, t))
        }
    }
    .map_err(|e| ApiError::BadRequest(e.to_string()))?;
    let signed = answer["offers"]
        .get(0)
        .and_then(|o| o["changesetToken"].as_str())
        .and_then(decode_claims);
    let input = input.map(|i| i.to_json());
    // The input as the Function reads it (its records and packed facts), and the same input
    // with those shown as the readable parts they hold.
    let readable = input.as_ref().map(encore_engine::readable_input::read);
    Ok(Json(json!({
        "answer": answer,
        "signedClaims": signed,
        "functionInput": input,
        "readableInput": readable,
    })))
}

fn decode_claims(token: &str) -> Option<Value> {
    let mut v = jsonwebtoken::Validation::new(jsonwebtoken::Algorithm::HS256);
    v.insecure_disable_signature_validation();
    v.required_spec_claims.clear();
    v.validate_exp = false;
    jsonwebtoken::decode::<Value>(token, &jsonwebtoken::DecodingKey::from_secret(b""), &v)
        .ok()
        .map(|d| d.claims)
}
