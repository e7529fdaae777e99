//! Saving a shop's campaign configuration: checked with the engine's own parser, every amount
//! read in the shop currency, then stored as a new version — merged onto the live one when it
//! was edited from an older version, and checked again as merged.

use encore_engine::Currency;
use encore_store::configs::history::{Actor, SaveOutcome};
use encore_store::shops::ShopRow;
use encore_store::{Store, StoreError};
use serde_json::Value;

/// A fault of a configuration: its JSON path and what is wrong there.
pub type Fault = (String, String);

/// Why a configuration was not saved (nothing was).
#[derive(Debug, thiserror::Error)]
pub enum SaveError {
    #[error("the shop currency {0} is not an ISO 4217 code; PUT the shop again")]
    ShopCurrency(String),
    /// Faults of the document as sent, or of it merged onto the live version.
    #[error("the campaign configuration has {} fault(s)", .0.len())]
    Invalid(Vec<Fault>),
    #[error("baseVersion {0} is not a version of this shop's configuration")]
    UnknownBase(i64),
    /// A save edited from an older version changed what the live version `live` also changed
    /// (campaign ids or shop-wide keys).
    #[error("version {live} changed {} since this edit began: {}", .subjects.len(), .subjects.join(", "))]
    Conflict { live: i64, subjects: Vec<String> },
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A saved configuration: its version, and the live version a stale edit was merged onto.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Saved {
    pub version: i64,
    pub merged_onto: Option<i64>,
}

/// Validates a campaign configuration with the engine's own parser, reading every amount in
/// the shop currency (an amount it cannot write is refused at its path).
pub fn validate_config(config: &Value, currency: Currency) -> Result<(), Vec<Fault>> {
    encore_engine::config::validate_json(config, currency)
        .map(|_| ())
        .map_err(|faults| faults.into_iter().map(|f| (f.path, f.message)).collect())
}

/// Saves `config` for `shop` as edited from `base_version` (the live one when `None`).
pub async fn save(
    store: &Store,
    shop: &ShopRow,
    config: &Value,
    base_version: Option<i64>,
    actor: &Actor,
    now: i64,
) -> Result<Saved, SaveError> {
    let currency = Currency::from_code(&shop.currency_code)
        .ok_or_else(|| SaveError::ShopCurrency(shop.currency_code.clone()))?;
    // The document as sent is checked first, so its faults point into what the caller sent.
    validate_config(config, currency).map_err(SaveError::Invalid)?;
    let outcome = store
        .save_config(&shop.domain, config, base_version, actor, now, |merged| {
            validate_config(merged, currency)
        })
        .await?;
    match outcome {
        SaveOutcome::Saved {
            version,
            merged_onto,
        } => {
            tracing::info!(shop = %shop.domain, version, ?merged_onto, "campaign config accepted");
            Ok(Saved {
                version,
                merged_onto,
            })
        }
        SaveOutcome::UnknownBase(base) => Err(SaveError::UnknownBase(base)),
        SaveOutcome::Conflict { live, subjects } => Err(SaveError::Conflict { live, subjects }),
        SaveOutcome::Invalid(faults) => Err(SaveError::Invalid(faults)),
    }
}
