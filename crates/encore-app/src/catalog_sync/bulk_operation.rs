//! Starting a shop's bulk operation and waiting for it to finish: shared by the catalog query
//! (`run`), the selling plans query (`selling_plans`) and the order history mining reads, and
//! why a sync stops.

use std::time::{Duration, Instant};

use encore_shopify::admin::{AdminError, BulkOperation, BulkStatus};
use encore_shopify::ids::BulkOperationId;
use encore_shopify::ShopDomain;

use super::access::{AccessError, AdminAccess, ShopAdmin};
use super::SyncOptions;
use crate::clock::now;
use encore_store::catalog::generation;
use encore_store::{Store, StoreError};

/// Why a bulk operation gave no result: the part of a catalog sync's and an order history
/// import's failures they share.
#[derive(Debug, thiserror::Error)]
pub enum BulkError {
    #[error(transparent)]
    Access(#[from] AccessError),
    #[error("Shopify's Admin API: {0}")]
    Admin(#[from] AdminError),
    #[error("the bulk operation ended {status:?}{}", .code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Ended {
        status: BulkStatus,
        code: Option<String>,
    },
    #[error("reading the bulk result failed after {lines} lines: {source}")]
    Download {
        lines: u64,
        #[source]
        source: std::io::Error,
    },
}

/// Why a full sync stopped. The live catalog is untouched whatever the error.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("no shop {0} in Encore's store")]
    UnknownShop(String),
    #[error("{0} uninstalled Encore: its catalog is not synced until it installs again")]
    Uninstalled(String),
    #[error("the shop's currency {0} is not an ISO 4217 code Encore knows")]
    Currency(String),
    #[error(transparent)]
    Bulk(#[from] BulkError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<AdminError> for SyncError {
    fn from(e: AdminError) -> Self {
        SyncError::Bulk(e.into())
    }
}

impl From<AccessError> for SyncError {
    fn from(e: AccessError) -> Self {
        SyncError::Bulk(e.into())
    }
}

/// Starts a bulk operation with `start`. OPERATION_IN_PROGRESS (a bulk query started elsewhere,
/// say by another tool of the app) is waited out, polling every `poll_every` for at most
/// `bulk_deadline`, then the start is tried again. Shared by every bulk query of the shop (the
/// catalog, selling plans, the orders mining reads).
pub(crate) async fn start_bulk<F, Fut>(
    admin: &ShopAdmin,
    bulk_deadline: Duration,
    poll_every: Duration,
    start: F,
) -> Result<BulkOperationId, AdminError>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<BulkOperationId, AdminError>>,
{
    let started = Instant::now();
    loop {
        match start().await {
            Ok(id) => return Ok(id),
            Err(e) if e.is_bulk_in_progress() && started.elapsed() < bulk_deadline => {
                let running = running_operation(&e);
                tracing::info!(shop = admin.client.shop().as_str(), running = ?running.map(|id| id.gid()), "another bulk operation of the shop runs; waiting for it");
                match running {
                    Some(other) => {
                        let left = bulk_deadline.saturating_sub(started.elapsed());
                        match admin
                            .client
                            .wait_for_bulk(&admin.token, other, poll_every, left)
                            .await
                        {
                            Ok(_) | Err(AdminError::Decode(_)) => {}
                            Err(e) => return Err(e),
                        }
                    }
                    None => tokio::time::sleep(poll_every).await,
                }
            }
            Err(e) => return Err(e),
        }
    }
}

/// The operation named in OPERATION_IN_PROGRESS's message ("… already in progress: gid://…").
pub(crate) fn running_operation(error: &AdminError) -> Option<BulkOperationId> {
    let AdminError::UserErrors(errors) = error else {
        return None;
    };
    errors.iter().find_map(|e| {
        let at = e.message.find("gid://shopify/BulkOperation/")?;
        let gid: String = e.message[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '/'))
            .collect();
        BulkOperationId::parse(&gid).ok()
    })
}

/// What a poll of a bulk operation writes to the sync's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Heartbeat {
    /// The operation's id too: the catalog's, which an interrupted sync resumes.
    Record,
    /// Only that the sync is alive (the selling plans' operation).
    Only,
}

/// Polls the operation until it is final, waking early on bulk_operations/finish; each poll is
/// the sync's heartbeat.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn wait(
    store: &Store,
    sync_id: i64,
    access: &dyn AdminAccess,
    shop: &ShopDomain,
    id: BulkOperationId,
    options: &SyncOptions,
    finished: &tokio::sync::Notify,
    heartbeat: Heartbeat,
) -> Result<BulkOperation, SyncError> {
    let started = Instant::now();
    loop {
        let notified = finished.notified();
        // Asked again at every poll: a bulk operation can outlast an access token.
        let admin = access.admin(shop).await?;
        let op = admin
            .client
            .bulk_operation(&admin.token, id)
            .await?
            .ok_or_else(|| AdminError::Decode(format!("bulk operation {id} not found")))?;
        if op.status.is_final() {
            return Ok(op);
        }
        if started.elapsed() >= options.bulk_deadline {
            return Err(AdminError::BulkDeadline.into());
        }
        match heartbeat {
            Heartbeat::Record => {
                generation::set_bulk(store, shop.as_str(), sync_id, &id.gid(), None, now()).await?
            }
            Heartbeat::Only => generation::heartbeat(store, shop.as_str(), sync_id, now()).await?,
        }
        tokio::select! {
            _ = tokio::time::sleep(options.poll_every) => {}
            _ = notified => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_shopify::admin::UserError;

    #[test]
    fn the_running_operation_is_read_from_operation_in_progress() {
        let error = AdminError::UserErrors(vec![UserError {
            field: vec![],
            message: "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/5000001.".into(),
            code: Some("OPERATION_IN_PROGRESS".into()),
        }]);
        assert_eq!(
            running_operation(&error).map(|id| id.get()),
            Some(5_000_001)
        );
        assert_eq!(running_operation(&AdminError::BulkDeadline), None);
    }
}
