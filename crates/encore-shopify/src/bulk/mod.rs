//! Bulk-operation JSONL: the catalog query's result read line by line and joined into products,
//! and the orders query's joined into orders ([`OrderReader`]).
//!
//! A bulk query's result is one JSON object per line; a row of a nested connection names its
//! parent by `__parentId`. [`CatalogAssembler`] turns lines into [`CatalogEntry`]s without I/O;
//! [`CatalogReader`] (async) and [`CatalogLines`] (blocking) feed it from a stream, so memory
//! holds one product and its children, never the file. Malformed lines are skipped and counted.
//! [`SellingPlanIndex`] reads the selling plans query's result (the plans are too deep to be
//! read with the catalog).

mod assemble;
pub mod download;
mod orders;
mod read;
mod rows;
mod selling_plans;

pub use assemble::{CatalogAssembler, CatalogEntry, CatalogStats, Child, Malformed};
pub use orders::{OrderAssembler, OrderReader, OrderRecord, OrderStats, PENDING_ORDERS};
pub use read::{CatalogLines, CatalogReader, MAX_LINE_BYTES};
pub use rows::{
    CollectionRef, InventoryItem, InventoryPolicy, ProductRecord, ProductStatus,
    SellingPlanGroupRef, VariantRecord,
};
pub use selling_plans::{SellingPlanIndex, SellingPlanRows};
