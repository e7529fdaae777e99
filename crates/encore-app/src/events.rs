//! The buyer's events on a decision (shown, accepted, declined, or not shown because Shopify
//! priced the offer differently), recorded once each against the purchase that made it.

use encore_shopify::post_purchase::token::VerifiedPurchase;
use encore_store::decisions::{EventEffect, EventKind, NewEvent};
use encore_store::StoreError;

use crate::app::App;

/// One event as the extension reported it, already read and checked.
pub struct BuyerEvent<'a> {
    pub kind: EventKind,
    /// Shopify's `applyChangeset` status: processed, partially_processed or unprocessed.
    pub status: Option<&'a str>,
    /// Shopify's errors, as JSON text.
    pub errors: Option<&'a str>,
    /// A price mismatch's amounts, as JSON text.
    pub detail: Option<&'a str>,
}

/// Why an event was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum EventError {
    #[error("no such decision for this purchase")]
    UnknownDecision,
    #[error("this decision offered nothing, so it cannot be shown, accepted or declined")]
    NothingOffered,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Records `event` on the decision `decision_id` of `purchase` (a repeat is a no-op).
pub async fn record(
    state: &App,
    purchase: &VerifiedPurchase,
    decision_id: &str,
    event: &BuyerEvent<'_>,
    now: i64,
) -> Result<(), EventError> {
    let BuyerEvent { kind, status, .. } = *event;
    let decision = state
        .store
        .decision(decision_id)
        .await?
        .filter(|d| d.shop == purchase.shop_domain && d.reference_id == purchase.reference_id)
        .ok_or(EventError::UnknownDecision)?;
    if !decision.render {
        return Err(EventError::NothingOffered);
    }
    let accepted_ok = !matches!(status, Some("unprocessed"));
    let effect = state
        .store
        .record_event(
            &decision,
            &NewEvent {
                kind,
                status,
                errors: event.errors,
                detail: event.detail,
                accepted_ok,
            },
            now,
        )
        .await?;
    if kind == EventKind::Accepted && effect != EventEffect::Duplicate {
        state.offer_stats_changed(&decision.shop);
    }
    if let Some(detail) = event.detail {
        tracing::warn!(
            decision = %decision.id,
            campaign = decision.campaign_id.as_deref().unwrap_or("-"),
            step = decision.step_id.as_deref().unwrap_or("-"),
            %detail,
            "Shopify prices this offer differently: the extension did not show it"
        );
    }
    tracing::info!(
        decision = %decision.id,
        event = kind.as_str(),
        status = status.unwrap_or("-"),
        duplicate = matches!(effect, EventEffect::Duplicate),
        "event"
    );
    Ok(())
}
