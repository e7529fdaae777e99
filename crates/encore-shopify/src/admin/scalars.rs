//! How the Admin schema's custom scalars arrive in JSON, for the generated operations.
//!
//! Shopify serializes these as strings (`Money` "19.99", `UnsignedInt64` "50", `DateTime`
//! RFC 3339); the typed layers above convert them (money through `encore_engine::money`).
#![allow(clippy::upper_case_acronyms)]

pub type ID = String;
pub type DateTime = String;
pub type Decimal = String;
pub type Money = String;
pub type URL = String;
pub type UnsignedInt64 = String;
