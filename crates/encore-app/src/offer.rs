//! The offer pipeline: verified purchase → Function input → Function run → stored decision → signed answer.

use std::sync::Arc;

use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{json, Value};

use encore_engine::Currency;

use crate::app::App;
use crate::clock::rfc3339;
use crate::counters::FunctionOutcome;
use crate::customer_facts::ForOffer;
use crate::facts_cache::ShopFacts;
use crate::input::{self, FunctionInput, InputParts};
use crate::runner::RunOutcome;
use encore_shopify::post_purchase::token::VerifiedPurchase;
use encore_store::customers::StoredCustomer;
use encore_store::decisions::{DecisionRow, FunnelRow, PurchaseState};
use encore_store::shops::ShopRow;
use encore_store::StoreError;

/// Why there is no answer for a purchase (as opposed to an answer of no offer).
#[derive(Debug, thiserror::Error)]
pub enum OfferError {
    #[error("shop {0} is not installed on this Encore server")]
    UnknownShop(String),
    #[error("storage is unavailable")]
    Store(#[from] StoreError),
    /// The runner is closing (the process is shutting down).
    #[error("the server is shutting down")]
    Unavailable,
}

/// One offer as the extension receives it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferOut {
    pub decision_id: String,
    pub campaign_id: Option<String>,
    pub step_id: Option<String>,
    pub experiment_id: Option<String>,
    pub arm_id: Option<String>,
    pub products: Value,
    pub copy: Value,
    pub changes: Box<RawValue>,
    pub changeset_token: String,
}

/// The answer of `POST /api/post-purchase/offer`.
#[derive(Serialize)]
pub struct OfferResponse {
    pub render: bool,
    pub offers: Vec<OfferOut>,
    pub reasons: Value,
}

/// A decision not yet stored (or one that must not be, like a failed run).
pub enum Decided {
    /// A stored (or storable) decision.
    Decision(Box<DecisionRow>),
    /// The Function failed; answer no offer with this reason and store nothing.
    Failed { code: &'static str, detail: String },
}

impl Decided {
    /// What the metrics count of this decision.
    pub fn outcome(&self) -> FunctionOutcome {
        match self {
            Decided::Decision(d) if d.render => FunctionOutcome::Offer,
            Decided::Decision(_) => FunctionOutcome::NoOffer,
            Decided::Failed { code, .. } => FunctionOutcome::Failed { code },
        }
    }
}

/// The shop's facts at its current data_version (cached; see `facts_cache`).
pub async fn facts(state: &App, shop: &ShopRow) -> Result<Arc<ShopFacts>, OfferError> {
    Ok(state.facts.get(&state.store, shop).await?)
}

/// Runs the Function for `purchase` at `funnel` and turns its output into a decision row,
/// with the instructions the run executed when the host measured them.
pub async fn decide(
    state: &App,
    shop: &ShopRow,
    purchase: &VerifiedPurchase,
    funnel: &FunnelRow,
    decisions: &[DecisionRow],
    customer: Option<StoredCustomer>,
    now: i64,
) -> Result<(Option<FunctionInput>, Decided, Option<u64>), OfferError> {
    let facts = facts(state, shop).await?;
    let ForOffer { customer, missing } = state
        .customer_facts
        .for_offer(
            purchase,
            &shop.currency_code,
            customer,
            facts.reads_customer,
        )
        .await;
    let offer_stats = state.offer_stats(&shop.domain).await?;
    let built = input::build(
        purchase,
        InputParts {
            currency_code: &shop.currency_code,
            facts: &facts,
            customer,
            funnel: input::funnel_json(funnel, decisions),
            offer_stats: &offer_stats,
            now_rfc3339: rfc3339(now),
        },
    );
    let input = match built {
        Ok(input) => Arc::new(input),
        Err(detail) => {
            tracing::warn!(detail = %detail, "offer Function input cannot be built; answering no offer");
            let code = "FUNCTION_FAILED";
            let decided = Decided::Failed { code, detail };
            state.counters.function_decided(decided.outcome(), None);
            return Ok((None, decided, None));
        }
    };
    let (outcome, instructions) = run_function(state, input.clone()).await?;
    let mut decided = match outcome {
        RunOutcome::Failed { code, detail } => {
            tracing::warn!(code, detail = %detail, "offer Function failed; answering no offer");
            Decided::Failed { code, detail }
        }
        RunOutcome::Output(output) => {
            match decision_from_output(shop, purchase, funnel.seq, &output) {
                Ok(mut d) => {
                    d.pair = Currency::from_code(&shop.currency_code).and_then(|currency| {
                        crate::mining::pairs::behind(&facts, currency, purchase, &d)
                    });
                    Decided::Decision(Box::new(d))
                }
                Err(detail) => {
                    tracing::warn!(detail = %detail, "offer Function output cannot be signed; answering no offer");
                    Decided::Failed {
                        code: "FUNCTION_OUTPUT_INVALID",
                        detail,
                    }
                }
            }
        }
    };
    if let (Decided::Decision(d), Some(missing)) = (&mut decided, &missing) {
        add_reason_first(d, missing.reason());
    }
    state
        .counters
        .function_decided(decided.outcome(), instructions);
    Ok((Some(Arc::unwrap_or_clone(input)), decided, instructions))
}

/// Puts a server reason (such as missing customer facts) before the Function's own.
fn add_reason_first(d: &mut DecisionRow, reason: Value) {
    let mut reasons = match serde_json::from_str::<Value>(&d.reasons) {
        Ok(Value::Array(r)) => r,
        _ => Vec::new(),
    };
    reasons.insert(0, reason);
    d.reasons = Value::Array(reasons).to_string();
}

/// Runs the Function, bounded by the run permits (one per core).
///
/// An input within Shopify's unscaled input limit has the unscaled instruction limit (11M:
/// about 2 ms here, bench-large's 10M take 1.95 ms), so its run stays on the request's own
/// worker thread: handing every run to the blocking pool and back cost about a third of the
/// throughput in thread switches. A larger input, whose limits scale up to 10×, runs on the
/// blocking pool so it cannot hold an async worker for long.
async fn run_function(
    state: &App,
    input: Arc<FunctionInput>,
) -> Result<(RunOutcome, Option<u64>), OfferError> {
    let _permit = state
        .run_permits
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| OfferError::Unavailable)?;
    let runner = state.runner.clone();
    let counted = move |input: &FunctionInput| runner.run_counted(input);
    let panicked = |message: String| {
        let outcome = RunOutcome::Failed {
            code: "FUNCTION_FAILED",
            detail: format!("the Function run panicked: {message}"),
        };
        (outcome, None)
    };
    if input.msgpack().len() <= encore_host::Limits::shopify().input_bytes {
        return Ok(
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| counted(&input)))
                .unwrap_or_else(|payload| {
                    panicked(
                        payload
                            .downcast_ref::<&str>()
                            .map(|s| s.to_string())
                            .or_else(|| payload.downcast_ref::<String>().cloned())
                            .unwrap_or_default(),
                    )
                }),
        );
    }
    match tokio::task::spawn_blocking(move || counted(&input)).await {
        Ok(outcome) => Ok(outcome),
        Err(e) => Ok(panicked(e.to_string())),
    }
}

fn opt_str(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_string)
}

/// Reads the Function's `FunctionRunResult` into a decision row (not yet stored).
pub fn decision_from_output(
    shop: &ShopRow,
    purchase: &VerifiedPurchase,
    seq: i64,
    output: &Value,
) -> Result<DecisionRow, String> {
    let read = encore_engine::function_output::read(output)?;
    let mut d = DecisionRow {
        id: uuid::Uuid::new_v4().to_string(),
        shop: shop.domain.clone(),
        reference_id: purchase.reference_id.clone(),
        seq,
        render: false,
        campaign_id: None,
        step_id: None,
        experiment_id: None,
        arm_id: None,
        next_on_accept: None,
        next_on_decline: None,
        offer: None,
        reasons: read.reasons.to_string(),
        changes: None,
        offer_amount: None,
        currency_code: None,
        variant_ids: "[]".into(),
        product_ids: "[]".into(),
        units: 0,
        shown: false,
        outcome: None,
        pair: None,
    };
    let Some(offer) = &read.offer else {
        return Ok(d);
    };
    let changes = encore_shopify::post_purchase::changes::to_shopify(
        offer.get("changes").unwrap_or(&Value::Null),
    )
    .map_err(|e| e.to_string())?;
    let products = offer
        .get("products")
        .and_then(Value::as_array)
        .filter(|p| !p.is_empty())
        .ok_or("the Function's offer has no products")?;
    // The accepted revenue this decision would bring, in the shop currency's minor units: the
    // sum of the Function's own offer prices, read with the engine's money rules.
    let mut amount = 0i64;
    let mut currency: Option<Currency> = None;
    let mut units = 0i64;
    let mut variant_ids = Vec::new();
    let mut product_ids = Vec::new();
    for (i, p) in products.iter().enumerate() {
        let c = p
            .pointer("/shopPrices/currencyCode")
            .and_then(Value::as_str)
            .and_then(Currency::from_code)
            .ok_or_else(|| {
                format!("offer.products[{i}].shopPrices.currencyCode is not an ISO 4217 code")
            })?;
        let price = p
            .pointer("/shopPrices/offerPrice")
            .and_then(Value::as_str)
            .and_then(|text| c.parse(text).ok())
            .ok_or_else(|| format!("offer.products[{i}].shopPrices.offerPrice is not a decimal"))?;
        amount = amount.saturating_add(price);
        currency.get_or_insert(c);
        units += p.get("quantity").and_then(Value::as_i64).unwrap_or(1);
        if let Some(v) = p.get("variantId").and_then(Value::as_str) {
            variant_ids.push(v.to_string());
        }
        if let Some(v) = p.get("productId").and_then(Value::as_str) {
            product_ids.push(v.to_string());
        }
    }
    d.render = true;
    d.campaign_id = opt_str(offer, "campaignId");
    d.step_id = opt_str(offer, "stepId");
    d.experiment_id = opt_str(offer, "experimentId");
    d.arm_id = opt_str(offer, "armId");
    d.next_on_accept = opt_str(offer, "nextStepOnAccept");
    d.next_on_decline = opt_str(offer, "nextStepOnDecline");
    d.offer = Some(offer.to_string());
    d.changes = Some(changes.get().to_string());
    d.offer_amount = currency.map(|c| c.format(amount));
    d.currency_code = currency.map(|c| c.code().to_owned());
    d.variant_ids = json!(variant_ids).to_string();
    d.product_ids = json!(product_ids).to_string();
    d.units = units;
    Ok(d)
}

/// The extension's answer for a stored decision, with a freshly signed changeset token.
///
/// A stored decision that does not decode (a damaged row) is an error, never a guess: nothing is
/// signed from it and the caller answers no offer.
fn respond(
    state: &App,
    d: &DecisionRow,
    purchase: &VerifiedPurchase,
    now: i64,
) -> Result<OfferResponse, String> {
    let damaged = |what: &str, e: serde_json::Error| {
        format!("the stored decision {}'s {what} is not JSON: {e}", d.id)
    };
    let reasons: Value = serde_json::from_str(&d.reasons).map_err(|e| damaged("reasons", e))?;
    let mut offers = Vec::new();
    if d.render {
        let (Some(offer), Some(changes)) = (&d.offer, &d.changes) else {
            return Err(format!(
                "the stored decision {} offers something but has no offer or changes",
                d.id
            ));
        };
        let offer: Value = serde_json::from_str(offer).map_err(|e| damaged("offer", e))?;
        let changes = RawValue::from_string(changes.clone()).map_err(|e| damaged("changes", e))?;
        let token = state
            .signer
            .sign(&d.reference_id, &changes, now, purchase.issued_at);
        offers.push(OfferOut {
            decision_id: d.id.clone(),
            campaign_id: d.campaign_id.clone(),
            step_id: d.step_id.clone(),
            experiment_id: d.experiment_id.clone(),
            arm_id: d.arm_id.clone(),
            products: offer.get("products").cloned().unwrap_or(json!([])),
            copy: offer.get("copy").cloned().unwrap_or(Value::Null),
            changes,
            changeset_token: token,
        });
    }
    Ok(OfferResponse {
        render: !offers.is_empty(),
        offers,
        reasons,
    })
}

/// The answer for a stored decision, or no offer (logged) when the stored row is damaged.
pub fn respond_stored(
    state: &App,
    d: &DecisionRow,
    purchase: &VerifiedPurchase,
    now: i64,
) -> OfferResponse {
    respond(state, d, purchase, now).unwrap_or_else(|detail| {
        tracing::error!(decision = %d.id, detail = %detail, "stored decision is unreadable; answering no offer");
        failed_response("STORED_DECISION_UNREADABLE", &detail)
    })
}

/// No offer, because the Function could not decide.
pub fn failed_response(code: &str, detail: &str) -> OfferResponse {
    OfferResponse {
        render: false,
        offers: vec![],
        reasons: json!([{"code": code, "campaignId": null, "stepId": null, "variantId": null, "detail": detail}]),
    }
}

/// The answer to `POST /api/post-purchase/offer` for a verified purchase.
pub async fn offer(
    state: &App,
    purchase: &VerifiedPurchase,
    now: i64,
) -> Result<OfferResponse, OfferError> {
    let PurchaseState {
        shop,
        funnel,
        decisions,
        customer,
    } = state
        .store
        .purchase_state(
            &purchase.shop_domain,
            &purchase.reference_id,
            purchase.customer_id.as_deref(),
        )
        .await?
        .ok_or_else(|| OfferError::UnknownShop(purchase.shop_domain.clone()))?;
    if shop.uninstalled {
        // Nothing is stored and nothing signed: the merchant removed Encore.
        return Ok(failed_response(
            "SHOP_UNINSTALLED",
            "Encore is not installed on this shop",
        ));
    }
    if let Some(existing) = decisions.iter().find(|d| d.seq == funnel.seq) {
        return Ok(respond_stored(state, existing, purchase, now));
    }
    let (_, decided, instructions) =
        decide(state, &shop, purchase, &funnel, &decisions, customer, now).await?;
    match decided {
        Decided::Failed { code, detail } => Ok(failed_response(code, &detail)),
        Decided::Decision(d) => {
            let stored = state
                .store
                .insert_decision(
                    &d,
                    purchase.customer_id.as_deref(),
                    Some((
                        &purchase.total_shop.amount,
                        &purchase.total_shop.currency_code,
                    )),
                    instructions,
                    now,
                )
                .await?;
            tracing::info!(
                decision = %stored.id,
                seq = stored.seq,
                render = stored.render,
                campaign = stored.campaign_id.as_deref().unwrap_or("-"),
                step = stored.step_id.as_deref().unwrap_or("-"),
                "decision"
            );
            Ok(respond_stored(state, &stored, purchase, now))
        }
    }
}
