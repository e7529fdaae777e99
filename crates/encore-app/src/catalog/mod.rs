//! The catalog from Shopify's side: its records in the shapes of the catalog tables ([`rows`])
//! and catalog webhooks applied in one transaction with their receipt ([`incremental`]). Full
//! syncs (the bulk operation and its staging) are still the server's `catalog_sync`.

pub mod incremental;
pub mod rows;
