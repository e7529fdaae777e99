//! Shopify's wire formats for Encore: everything whose shape Shopify dictates and nothing else.
//!
//! Session tokens, OAuth and token exchange, typed ids and shop domains, webhook signatures and
//! payloads, the Admin GraphQL client (typed operations generated from `graphql/` against
//! Shopify's real 2026-10 schema) and bulk-operation JSONL. No database and no HTTP server:
//! callers store what these types give them.

pub mod admin;
pub mod bulk;
pub mod domain;
pub mod host;
pub mod ids;
pub mod money;
pub mod oauth;
pub mod post_purchase;
pub mod secret;
pub mod session;
pub mod webhook;

pub use domain::ShopDomain;
pub use secret::Secret;
