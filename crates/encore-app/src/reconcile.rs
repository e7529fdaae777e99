//! The attribution reconciler: reads the orders webhooks queued, and finds the orders of accepted
//! offers that no webhook named.
//!
//! No Shopify source states that `orders/edited` fires for post-purchase changes, so Encore does
//! not depend on it: every pass also searches, through the Admin API, for the order of each
//! accepted decision not yet tied to one (accepted at least [`SEARCH_GRACE`] ago, at most the
//! attribution window). Shopify's order search cannot filter on a JSON metafield, so the search
//! narrows by the purchase's customer (when the token named one) and by creation time (the order
//! is created before the post-purchase page opens), and the `encore.offer-N` metafields of the
//! orders found are compared with the decision's identity.

use std::sync::Arc;
use std::time::Duration;

use encore_shopify::ids::OrderId;
use encore_shopify::ShopDomain;
use encore_store::attribution::AcceptedWithoutOrder;

use crate::app::App;
use crate::attribution::{self, AdminCalls, AttributionError, OfferMetafield};
use encore_store::shops::ShopRow;
use encore_store::Store;

/// How long after an accept the reconciler starts searching (webhooks usually come first).
pub const SEARCH_GRACE: i64 = 5 * 60;

/// How far before the decision an order may have been created: the post-purchase page stays
/// open for up to about an hour after checkout.
const ORDER_BEFORE_DECISION: i64 = 90 * 60;

/// Pages of 50 orders read per search without a customer (a busy shop's time window).
const MAX_PAGES_WITHOUT_CUSTOMER: usize = 4;

/// Orders read per pass.
const ORDERS_PER_PASS: i64 = 50;

/// What one pass did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PassReport {
    pub orders_read: usize,
    pub decisions_confirmed: usize,
    pub searches: usize,
    pub orders_found_by_search: usize,
    pub errors: usize,
}

/// Default for ENCORE_RECONCILE_EVERY_MINUTES: how often the background reconciler runs a pass
/// over every installed shop.
pub const DEFAULT_EVERY_MINUTES: u32 = 5;

/// Runs a pass over every shop with usable credentials now (orders queued while the server was
/// down) and then each `settings.reconcile_every`, until aborted; nothing when that is `never`.
pub fn spawn(app: Arc<App>) -> Option<tokio::task::JoinHandle<()>> {
    let every = app.settings.reconcile_every?;
    Some(tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let domains = match app.store.shop_domains().await {
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "the reconciler cannot list shops");
                    continue;
                }
            };
            for domain in &domains {
                let shop = match app.store.shop(domain).await {
                    Ok(Some(shop)) if !shop.uninstalled => shop,
                    Ok(_) => continue,
                    Err(e) => {
                        tracing::warn!(error = %e, "the reconciler cannot read a shop");
                        continue;
                    }
                };
                let Ok(domain) = ShopDomain::parse(&shop.domain) else {
                    continue;
                };
                let mut admin = match app.credentials.admin_client(&domain).await {
                    Ok(admin) => admin,
                    Err(e) => {
                        tracing::debug!(shop = %shop.domain, error = %e, "no Admin API access: attribution pass skipped");
                        continue;
                    }
                };
                let window = app.settings.attribution_window;
                let now = crate::clock::now();
                match pass(
                    &app.store,
                    &mut AdminCalls::Stored(&mut admin),
                    &shop,
                    window,
                    now,
                )
                .await
                {
                    Ok(report) => {
                        if report.orders_read > 0 {
                            app.offer_stats_changed(&shop.domain);
                        }
                        tracing::info!(shop = %shop.domain, ?report, "attribution pass");
                    }
                    Err(e) => {
                        tracing::warn!(shop = %shop.domain, error = %e, "attribution pass failed")
                    }
                }
            }
        }
    }))
}

/// One pass over a shop: queued orders first, then searches for accepted decisions with no
/// order yet. `window` is the attribution window (ENCORE_ATTRIBUTION_WINDOW_MINUTES).
pub async fn pass(
    store: &Store,
    admin: &mut AdminCalls<'_>,
    shop: &ShopRow,
    window: Duration,
    now: i64,
) -> Result<PassReport, AttributionError> {
    let mut report = PassReport::default();
    let pending = store
        .pending_attribution_orders(&shop.domain, ORDERS_PER_PASS)
        .await?;
    for order_id in &pending {
        let Some(order) = order_id.parse().ok().and_then(OrderId::new) else {
            continue;
        };
        read(store, admin, shop, order, now, &mut report).await;
    }

    let window = window.as_secs() as i64;
    let waiting = store
        .accepted_without_order(
            &shop.domain,
            now - window,
            now - SEARCH_GRACE,
            ORDERS_PER_PASS,
        )
        .await?;
    for AcceptedWithoutOrder {
        reference_id: reference,
        seq,
        customer_id: customer,
        created_at: at,
    } in waiting
    {
        let mut query = format!(
            "created_at:>='{}' created_at:<='{}'",
            crate::clock::rfc3339(at - ORDER_BEFORE_DECISION),
            crate::clock::rfc3339(at + 60),
        );
        let pages = match customer
            .as_deref()
            .and_then(|c| encore_shopify::ids::CustomerId::parse(c).ok())
        {
            Some(c) => {
                query = format!("customer_id:{} {query}", c.get());
                2
            }
            None => MAX_PAGES_WITHOUT_CUSTOMER,
        };
        report.searches += 1;
        let found = match admin.search_orders(&query, pages).await {
            Ok(found) => found,
            Err(e) => {
                tracing::warn!(shop = %shop.domain, error = %e, "order search failed");
                report.errors += 1;
                continue;
            }
        };
        for o in found {
            let names_it = OfferMetafield::read_all(&o.metafields)
                .iter()
                .any(|m| m.reference_id == reference && m.seq == seq);
            if names_it {
                report.orders_found_by_search += 1;
                read(store, admin, shop, o.id, now, &mut report).await;
                break;
            }
        }
    }
    Ok(report)
}

async fn read(
    store: &Store,
    admin: &mut AdminCalls<'_>,
    shop: &ShopRow,
    order: OrderId,
    now: i64,
    report: &mut PassReport,
) {
    match attribution::read_order(store, admin, &shop.domain, &shop.currency_code, order, now).await
    {
        Ok(outcome) => {
            report.orders_read += 1;
            if let attribution::ReadOutcome::Read { confirmed } = outcome {
                report.decisions_confirmed += confirmed;
            }
        }
        Err(e) => {
            tracing::warn!(shop = %shop.domain, order = order.get(), error = %e, "reading an order failed");
            report.errors += 1;
        }
    }
}
