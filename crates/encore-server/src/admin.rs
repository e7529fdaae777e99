//! Admin routes: campaign configs, versions and analytics for the merchant (App Bridge session
//! or operator token, see `session`); shops, catalog, customers and co-purchases loaded by
//! scripts (operator token only).

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use encore_engine::Currency;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::body::JsonBody;
use crate::error::ApiError;
use crate::session::{AdminShop, Operator};
use crate::state::AppState;
use encore_app::campaigns::{self, Saved};
use encore_app::clock::{now, rfc3339};
use encore_app::loads;
use encore_store::configs::history::Actor;
use encore_store::shops::ShopRow;

#[derive(Deserialize)]
struct ShopQuery {
    shop: Option<String>,
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/api/shops/{domain}", put(put_shop))
        .route("/api/campaigns", get(get_campaigns).put(put_campaigns))
        .route("/api/campaigns/versions", get(get_versions))
        .route("/api/campaigns/history", get(get_history))
        .route("/api/campaigns/versions/{version}", get(get_version))
        .route("/api/catalog", put(put_catalog))
        .route("/api/customers", put(put_customers))
        .route("/api/co-purchases", put(put_co_purchases))
        .route("/api/analytics/summary", get(get_summary))
        .route("/api/analytics", get(get_analytics))
}

async fn shop_of(state: &AppState, q: &ShopQuery) -> Result<ShopRow, ApiError> {
    let domain = q
        .shop
        .as_deref()
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::BadRequest("add ?shop=<shop>.myshopify.com".into()))?
        .to_ascii_lowercase();
    state
        .store
        .shop(&domain)
        .await?
        .ok_or(ApiError::UnknownShop(domain))
}

async fn put_shop(
    State(state): State<Arc<AppState>>,
    _: Operator,
    Path(domain): Path<String>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let currency = body
        .get("currencyCode")
        .and_then(Value::as_str)
        .filter(|c| Currency::from_code(c).is_some())
        .ok_or_else(|| {
            ApiError::BadRequest("currencyCode must be an ISO 4217 code such as \"USD\"".into())
        })?;
    let domain = domain.to_ascii_lowercase();
    state.store.upsert_shop(&domain, currency, now()).await?;
    Ok(Json(json!({"shop": domain, "currencyCode": currency})))
}

async fn get_campaigns(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<Value>, ApiError> {
    let live = state.store.live_config(&shop.domain).await?;
    Ok(Json(match live {
        Some((version, config)) => {
            json!({"shop": shop.domain, "version": version, "config": config})
        }
        None => json!({"shop": shop.domain, "version": null, "config": null}),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SaveQuery {
    /// The version the caller edited: a save on an older one is merged onto the live one.
    base_version: Option<i64>,
}

async fn put_campaigns(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, caller }: AdminShop,
    Query(q): Query<SaveQuery>,
    JsonBody(config): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let Saved {
        version,
        merged_onto,
    } = campaigns::save(
        &state.store,
        &shop,
        &config,
        q.base_version,
        &Actor::from(&caller),
        now(),
    )
    .await?;
    Ok(Json(
        json!({"shop": shop.domain, "version": version, "mergedOnto": merged_onto}),
    ))
}

#[derive(Deserialize)]
struct HistoryQuery {
    campaign: Option<String>,
}

/// Entries `GET /api/campaigns/history` returns at most.
const HISTORY_LIMIT: i64 = 500;

/// `GET /api/campaigns/history?shop=[&campaign=]`: who changed which campaign when and what,
/// newest first (with the shop-wide changes when one campaign is asked for).
async fn get_history(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
    Query(q): Query<HistoryQuery>,
) -> Result<Json<Value>, ApiError> {
    let campaign = q.campaign.as_deref().filter(|c| !c.is_empty());
    let entries = state
        .store
        .config_history(&shop.domain, campaign, HISTORY_LIMIT)
        .await?;
    let entries: Vec<Value> = entries
        .into_iter()
        .map(|e| {
            let at = rfc3339(e.created_at);
            let mut v = json!(e);
            v["createdAt"] = json!(at);
            v
        })
        .collect();
    Ok(Json(json!({"shop": shop.domain, "entries": entries})))
}

async fn get_versions(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<Value>, ApiError> {
    let versions: Vec<Value> = state
        .store
        .config_versions(&shop.domain)
        .await?
        .into_iter()
        .map(|(v, at)| json!({"version": v, "createdAt": rfc3339(at)}))
        .collect();
    Ok(Json(json!({"shop": shop.domain, "versions": versions})))
}

async fn get_version(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
    Path(version): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let config = state
        .store
        .config_version(&shop.domain, version)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("no config version {version}")))?;
    Ok(Json(
        json!({"shop": shop.domain, "version": version, "config": config}),
    ))
}

async fn put_catalog(
    State(state): State<Arc<AppState>>,
    _: Operator,
    Query(q): Query<ShopQuery>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let shop = shop_of(&state, &q).await?;
    let products = loads::parse_catalog(&body)?;
    let variants: usize = products.iter().map(|p| p.2.len()).sum();
    state.store.upsert_catalog(&shop.domain, &products).await?;
    Ok(Json(
        json!({"shop": shop.domain, "products": products.len(), "variants": variants}),
    ))
}

async fn put_customers(
    State(state): State<Arc<AppState>>,
    _: Operator,
    Query(q): Query<ShopQuery>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let shop = shop_of(&state, &q).await?;
    let customers = loads::parse_customers(&body)?;
    state
        .store
        .upsert_customers(&shop.domain, &customers)
        .await?;
    Ok(Json(
        json!({"shop": shop.domain, "customers": customers.len()}),
    ))
}

async fn put_co_purchases(
    State(state): State<Arc<AppState>>,
    _: Operator,
    Query(q): Query<ShopQuery>,
    JsonBody(body): JsonBody,
) -> Result<Json<Value>, ApiError> {
    let shop = shop_of(&state, &q).await?;
    let pairs = loads::parse_co_purchases(&body)?;
    state
        .store
        .upsert_co_purchases(&shop.domain, &pairs)
        .await?;
    Ok(Json(json!({"shop": shop.domain, "pairs": pairs.len()})))
}

async fn get_summary(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
) -> Result<Json<Value>, ApiError> {
    let s = state.store.summary(&shop.domain).await?;
    // Confirmed revenue only (offer units attribution found on orders), in the shop currency:
    // an accepted offer is not revenue until its order shows it (docs/analytics.md).
    let currency = Currency::from_code(&shop.currency_code);
    let money = |minor: i64| json!({"amount": currency.map(|c| c.format(minor)), "currencyCode": shop.currency_code});
    Ok(Json(json!({
        "shop": shop.domain,
        "decisions": s.decisions,
        "offers": s.offers,
        "offersShown": s.shown,
        "accepted": s.accepted,
        "declined": s.declined,
        "confirmedRevenue": money(s.confirmed_revenue_minor),
        "refundedAmount": money(s.refunded_minor),
        "netRevenue": money(s.confirmed_revenue_minor.saturating_sub(s.refunded_minor)),
        // Offers the extension did not show because Shopify priced them differently.
        "priceMismatches": {
            "count": s.price_mismatches,
            "latest": s.latest_price_mismatches.iter().map(|m| {
                let json_text = |t: &Option<String>| {
                    t.as_deref().and_then(|t| serde_json::from_str::<Value>(t).ok()).unwrap_or(Value::Null)
                };
                json!({
                    "decisionId": m.decision_id,
                    "campaignId": m.campaign_id,
                    "stepId": m.step_id,
                    "prices": json_text(&m.detail),
                    "shopifyStatus": m.status,
                    "shopifyErrors": json_text(&m.errors),
                    "at": encore_app::clock::rfc3339(m.created_at),
                })
            }).collect::<Vec<_>>(),
        },
    })))
}

/// The report's range and format; the shop comes from the session (or the operator's `?shop=`).
#[derive(Deserialize)]
struct AnalyticsQuery {
    from: Option<String>,
    to: Option<String>,
    format: Option<String>,
}

/// `GET /api/analytics?from=YYYY-MM-DD&to=YYYY-MM-DD[&format=csv]`: the report of
/// docs/analytics.md as JSON, or its day rows as CSV.
async fn get_analytics(
    State(state): State<Arc<AppState>>,
    AdminShop { shop, .. }: AdminShop,
    Query(q): Query<AnalyticsQuery>,
) -> Result<axum::response::Response, ApiError> {
    use axum::http::header;
    use axum::response::IntoResponse;
    let range = encore_app::analytics::Range::parse(q.from.as_deref(), q.to.as_deref(), now())
        .map_err(ApiError::BadRequest)?;
    let report = encore_app::analytics::report(
        &state.store,
        &shop,
        range,
        state.settings.app.attribution_window,
        now(),
    )
    .await
    .map_err(|e| match e {
        encore_app::analytics::AnalyticsError::Store(s) => ApiError::Store(s),
        other => ApiError::Conflict(other.to_string()),
    })?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(report).into_response()),
        Some("csv") => {
            let text = encore_app::analytics::csv(&report)
                .map_err(|e| ApiError::BadRequest(format!("cannot write CSV: {e}")))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"encore-{}-{}-{}.csv\"",
                            report.shop, report.from, report.to
                        ),
                    ),
                ],
                text,
            )
                .into_response())
        }
        Some(other) => Err(ApiError::BadRequest(format!(
            "format must be json or csv (got {other})"
        ))),
    }
}
