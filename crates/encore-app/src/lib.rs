//! Encore's use cases, without HTTP: what the server's handlers, its background tasks and the
//! CLI call. They reach the database only through `encore-store`, Shopify's formats through
//! `encore-shopify` and the Function through `encore-host`; nothing here knows axum.
//!
//! [`app::App`] holds the parts they share (store, credentials, caches, runner, the sync and
//! mining coordinators), built from plain [`settings::AppSettings`]; [`counters`] is what they
//! count for the server's metrics. Each use case returns its own error type.
//!
//! - The offer: [`offer`] (verify → decide → record → sign), [`facts_cache`] (a shop's config,
//!   catalog and co-purchases, one snapshot per load, patched per product), [`offer_stats`],
//!   [`customer_facts`] (the buyer's facts within a budget), [`input`] (the Function input in
//!   query order), [`runner`]/[`host_runner`] (the Function in encore-host under Shopify's
//!   limits), [`events`] (shown, accepted, declined, price mismatches).
//! - The catalog: [`catalog`] (Shopify's records in the tables' shapes, webhooks applied with
//!   their receipt), [`catalog_sync`] (full syncs through a bulk operation), [`catalog_search`].
//! - [`mining`]: order history imports, `orders/create`, publication and the schedule.
//! - [`attribution`] and [`reconcile`]: webhook facts and the background pass that ties
//!   accepted offers to orders; [`analytics`]: the merchant's report; [`store_health`].
//! - The merchant's shop: [`install`], [`credentials`] (tokens and the Admin API client,
//!   refreshed in time; [`sweeper`] for idle shops), [`vault`] (tokens sealed at rest),
//!   [`campaigns`] (saves checked in the shop currency), [`checkout_setting`],
//!   [`simulation_orders`], [`loads`] (the operator's documents).
//! - [`webhooks`] (each delivery's effect, committed before it is recorded), [`data_request`]
//!   and [`retention`] (compliance and pruning).

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
