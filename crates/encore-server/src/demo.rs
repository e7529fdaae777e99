//! Demo mode: the demo shop's data (crates/encore-server/demo/) and the /demo preview page.

use std::sync::Arc;

use axum::Router;

use crate::settings::demo::SHOP;
use crate::state::AppState;
use crate::store::{Store, StoreError};

/// Seeds the demo shop (idempotent: upserts, and a config version only when it changed).
pub async fn seed(store: &Store) -> Result<(), StoreError> {
    let now = crate::offer::now();
    store.upsert_shop(SHOP, "USD", now).await?;
    Ok(())
}

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
}
