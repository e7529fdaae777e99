//! Encore's use cases, without HTTP: what the server's handlers, its background tasks and the
//! CLI call. They reach the database only through `encore-store`, Shopify's formats through
//! `encore-shopify` and the Function through `encore-host`; nothing here knows axum.
//!
//! - The offer pipeline: [`facts_cache`] (a shop's config, catalog and co-purchases, one
//!   snapshot per load, patched per product), [`input`] (the Function input in query order),
//!   [`runner`]/[`host_runner`] (the Function in encore-host under Shopify's limits).
//! - [`catalog`]: Shopify's records in the catalog tables' shapes, and catalog webhooks applied
//!   with their receipt.
//! - [`credentials`]: each shop's stored tokens and its Admin API client, refreshed in time;
//!   [`vault`]: shop tokens sealed at rest.
//! - [`analytics`]: the merchant's report.
//!
//! [`app::App`] holds the parts they share (store, credentials, caches, runner), built from
//! plain [`settings::AppSettings`]; [`counters`] is what they count for the server's metrics.

pub mod analytics;
pub mod app;
pub mod attribution;
pub mod campaigns;
pub mod catalog;
pub mod catalog_search;
pub mod catalog_sync;
pub mod checkout_setting;
pub mod clock;
pub mod counters;
pub mod credentials;
pub mod customer_facts;
pub mod data_request;
pub mod events;
pub mod facts_cache;
pub mod host_runner;
pub mod input;
pub mod install;
pub mod loads;
pub mod mining;
pub mod offer;
pub mod offer_stats;
pub mod reconcile;
pub mod retention;
pub mod runner;
pub mod settings;
pub mod simulation_orders;
pub mod store_health;
pub mod sweeper;
pub mod vault;
pub mod webhooks;
