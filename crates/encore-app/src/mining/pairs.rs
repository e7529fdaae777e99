//! The co-purchase pair behind each `auto` offer, and the refund rate of each pair's offers:
//! what demotes a pair whose offers come back (docs/mining.md, "Demotion").
//!
//! At decision time, [`behind`] finds the pair (purchased product A → offered product B) that
//! made an `auto` offer suggest B, from the same co-purchase rows and purchased lines the
//! Function read and through the engine's own rule (`encore_engine::auto_suggestions`); it is
//! stored with the decision. At publication, `Store::pair_refunds` sums, per pair, the units
//! attribution confirmed on orders and the units refunded or cancelled since.

use encore_engine::config::{self, ProductSource};
use encore_engine::{auto_suggestions, Currency, Suggestion};
use encore_mining::{Demotion, RankOptions, RefundRate};
use serde_json::Value;

use crate::facts_cache::ShopFacts;
use encore_shopify::post_purchase::token::VerifiedPurchase;
use encore_store::co_purchases::PairRefunds;
use encore_store::decisions::{DecisionRow, SuggestedPair};
use encore_store::{Store, StoreError};

/// The pair that made the decision's `auto` offer suggest its product; `None` for an offer
/// whose products were named (or no offer, or a configuration that no longer reads).
pub fn behind(
    facts: &ShopFacts,
    currency: Currency,
    purchase: &VerifiedPurchase,
    decision: &DecisionRow,
) -> Option<SuggestedPair> {
    let (campaign_id, step_id) = (
        decision.campaign_id.as_deref()?,
        decision.step_id.as_deref()?,
    );
    let doc = config::open(&facts.config()?, currency).ok()?;
    let index = (0..doc.campaign_count()).find(|&i| {
        doc.campaign_header(i)
            .is_ok_and(|header| header.id == campaign_id)
    })?;
    let header = doc.campaign_header(index).ok()?;
    let step = doc.campaign_step(index, step_id).ok()??;
    // The arm the Function assigned is in the decision; its products replace the step's.
    let experiment = step.experiment.as_ref().or(header.experiment.as_ref());
    let arm = experiment.and_then(|e| {
        e.arms
            .iter()
            .find(|a| Some(&a.id) == decision.arm_id.as_ref())
    });
    let source = arm
        .and_then(|a| a.products.as_ref())
        .unwrap_or(&step.offer.products);
    let ProductSource::Auto {
        max_candidates,
        min_lift_permille,
    } = source
    else {
        return None;
    };
    let mut purchased: Vec<&str> = purchase
        .lines
        .iter()
        .map(|l| l.product_id.as_str())
        .collect();
    purchased.sort_unstable();
    purchased.dedup();
    let suggestions: Vec<Suggestion> = purchased
        .iter()
        .filter_map(|p| facts.co_purchases.get(*p))
        .flatten()
        .filter_map(suggestion)
        .collect();
    let offered: Vec<String> = serde_json::from_str(&decision.product_ids).ok()?;
    auto_suggestions(suggestions, *max_candidates, *min_lift_permille)
        .into_iter()
        .find(|s| offered.contains(&s.suggested_product_id))
        .map(|s| SuggestedPair {
            product_id: s.product_id,
            suggested_product_id: s.suggested_product_id,
        })
}

/// A co-purchase row as the Function reads it (`productId`, `suggestedProductId`,
/// `liftPermille`); a row it could not read is not one it chose from.
fn suggestion(row: &Value) -> Option<Suggestion> {
    Some(Suggestion {
        product_id: row.get("productId")?.as_str()?.to_string(),
        suggested_product_id: row.get("suggestedProductId")?.as_str()?.to_string(),
        lift_permille: i64::from(i32::try_from(row.get("liftPermille")?.as_i64()?).ok()?),
    })
}

/// The demotion mining ranks with: the shop's refund-rate threshold
/// (`defaults.guardrails.refundRatePausePercent`, 5% unless set) over the pairs whose offers
/// have at least `refundRateMinAccepts` confirmed units (20 unless set) — the guardrail's own
/// minimum sample, so a pair is judged on as much evidence as a campaign step is paused on.
pub fn demotion(guardrails: &config::Guardrails, pairs: &[PairRefunds]) -> Demotion {
    let min_units = guardrails.refund_rate_min_accepts.max(1);
    Demotion {
        threshold_bp: u32::try_from(guardrails.refund_rate_pause).unwrap_or(u32::MAX),
        refund_rates: pairs
            .iter()
            .filter(|p| p.accepted_units >= min_units)
            .map(|p| RefundRate {
                product_id: p.pair.product_id.clone(),
                suggested_product_id: p.pair.suggested_product_id.clone(),
                refund_rate_bp: rate_bp(p.refunded_units, p.accepted_units),
            })
            .collect(),
    }
}

/// Refunded per accepted unit in basis points, rounded down (the miner compares it strictly
/// above the threshold, so rounding down never demotes a pair at the threshold); `accepted > 0`.
fn rate_bp(refunded: i64, accepted: i64) -> u32 {
    let bp = i128::from(refunded.clamp(0, accepted)) * 10_000 / i128::from(accepted);
    u32::try_from(bp).unwrap_or(u32::MAX)
}

/// The demotion of the shop's next ranking: the pairs whose offers were refunded above the
/// shop's refund-rate threshold (read from its live configuration now).
pub async fn shop_demotion(store: &Store, shop: &str) -> Result<Demotion, StoreError> {
    let currency = store
        .shop(shop)
        .await?
        .and_then(|s| Currency::from_code(&s.currency_code));
    let config = store.live_config(shop).await?.map(|(_, config)| config);
    let guardrails = match (currency, &config) {
        (Some(currency), Some(config)) => config::open(&config, currency)
            .map(|doc| doc.defaults.guardrails)
            .unwrap_or_default(),
        _ => config::Guardrails::default(),
    };
    let pairs = store.pair_refunds(shop).await?;
    Ok(demotion(&guardrails, &pairs))
}

/// [`RankOptions::for_window`] with `demotion`.
pub fn rank_options(orders_in_window: u64, demotion: Demotion) -> RankOptions {
    RankOptions {
        demotion: Some(demotion),
        ..RankOptions::for_window(orders_in_window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refunds(product: &str, accepted: i64, refunded: i64) -> PairRefunds {
        PairRefunds {
            pair: SuggestedPair {
                product_id: product.into(),
                suggested_product_id: "b".into(),
            },
            accepted_units: accepted,
            refunded_units: refunded,
        }
    }

    #[test]
    fn only_pairs_with_the_guardrail_s_minimum_sample_are_judged() {
        let guardrails = config::Guardrails::default();
        let d = demotion(
            &guardrails,
            &[
                refunds("a", 19, 19),
                refunds("c", 20, 2),
                refunds("e", 40, 60),
            ],
        );
        assert_eq!(d.threshold_bp, 500);
        let rates: Vec<(&str, u32)> = d
            .refund_rates
            .iter()
            .map(|r| (r.product_id.as_str(), r.refund_rate_bp))
            .collect();
        // 19 units are below the sample of 20; 2 of 20 is 10%; more refunds than units is 100%.
        assert_eq!(rates, [("c", 1000), ("e", 10_000)]);
    }

    #[test]
    fn a_refund_rate_just_under_a_basis_point_rounds_down() {
        assert_eq!(rate_bp(1, 3), 3333);
        assert_eq!(rate_bp(0, 7), 0);
    }
}
