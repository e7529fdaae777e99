//! Encore's offer engine: pure pick-and-price logic on its own types (campaigns, triggers,
//! funnel, experiments, guardrails, money). No I/O, no Shopify wire types, no floats for money.

pub mod compiled;
pub mod config;
pub mod context_record;
pub mod decide;
pub mod experiment;
pub mod facts;
#[cfg(feature = "serde_json")]
pub mod function_output;
pub mod input;
pub mod json;
pub mod line_record;
pub mod money;
#[cfg(feature = "serde_json")]
pub mod named_facts;
pub mod offer_record;
pub mod pack;
pub mod packed_facts;
pub mod pricing;
#[cfg(feature = "serde_json")]
pub mod readable_input;
pub mod reason;
pub mod record;
pub mod time;
pub mod triggers;

pub use decide::{
    plan, Change, Context, Copy, Decision, ExplicitDiscount, Offer, OfferProduct, Plan,
};
pub use facts::{
    auto_suggestions, CatalogVariant, Customer, FactNeeds, Facts, Funnel, InventoryPolicy,
    MemoryFacts, OfferStat, Purchase, PurchaseLine, Suggestion,
};
pub use money::Currency;
pub use reason::{Reason, ReasonCode};
