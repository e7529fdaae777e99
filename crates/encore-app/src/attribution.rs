//! Attribution: ties accepted offers to their orders and order lines, and refunds and
//! cancellations of those lines back to the offers (and to the refund-rate guardrail).
//!
//! Webhooks only record facts (an order to read, the lines an edit added, refunded lines, a
//! cancellation); the order itself is read through the Admin API by [`read_order`], called by
//! the reconciler (`reconcile`). An order's `encore.offer-N` metafields, written by the offer
//! Function, name the decisions that joined it (`referenceId` + `seq`). Refunds are recomputed
//! from every refunded line Shopify reported for the order, so deliveries may repeat and arrive
//! in any order: the result depends only on the set of facts. The split rule for a line shared by
//! offer units and earlier units is "offer units are refunded first" (docs/analytics.md).

use std::collections::{BTreeMap, HashMap};

use encore_shopify::admin::{AdminClient, AdminError, FoundOrder, Metafield, Order, OrderLine};
use encore_shopify::ids::OrderId;
use encore_shopify::secret::Secret;
use encore_shopify::webhook::{OrderEditedPayload, OrderPayload, RefundPayload};
use serde::Deserialize;

use encore_store::attribution::{
    LinkStatus, NamedDecision as Named, NewOfferLine, OfferLineRow, OrderState, RefundLine,
};
use encore_store::{Store, StoreError};

use crate::credentials::{AccessError, ShopAdmin};

/// The metafield namespace the offer Function writes (`encore_engine::decide`).
pub const NAMESPACE: &str = "encore";

/// Why attribution could not do its work.
#[derive(Debug, thiserror::Error)]
pub enum AttributionError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the Admin API failed: {0}")]
    Admin(#[from] AdminError),
    #[error(transparent)]
    Access(#[from] crate::credentials::AccessError),
}

type Result<T> = std::result::Result<T, AttributionError>;

/// What an `encore.offer-N` metafield says (the decision's identity and what it offered).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OfferMetafield {
    pub campaign_id: String,
    pub step_id: String,
    pub reference_id: String,
    pub seq: i64,
}

impl OfferMetafield {
    /// The offer metafields among an order's, skipping any that are not Encore's offer shape
    /// (older Functions wrote no `referenceId`; those cannot name a decision).
    pub fn read_all(metafields: &[Metafield]) -> Vec<OfferMetafield> {
        metafields
            .iter()
            .filter(|m| m.namespace == NAMESPACE && m.key.starts_with("offer-"))
            .filter_map(|m| match serde_json::from_str(&m.value) {
                Ok(v) => Some(v),
                Err(e) => {
                    tracing::warn!(key = %m.key, error = %e, "an encore metafield names no decision");
                    None
                }
            })
            .collect()
    }
}

/// One change of a stored decision that adds units of a variant.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StoredChange {
    #[serde(rename_all = "camelCase")]
    AddVariant { variant_id: u64, quantity: i64 },
    #[serde(rename_all = "camelCase")]
    AddSubscription { variant_id: u64, quantity: i64 },
    #[serde(other)]
    Other,
}

/// The variants and units a decision's signed changes add, in order.
fn added_units(changes: Option<&str>) -> Vec<(u64, i64)> {
    let Some(text) = changes else {
        return Vec::new();
    };
    serde_json::from_str::<Vec<StoredChange>>(text)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|c| match c {
            StoredChange::AddVariant {
                variant_id,
                quantity,
            }
            | StoredChange::AddSubscription {
                variant_id,
                quantity,
            } => Some((variant_id, quantity)),
            StoredChange::Other => None,
        })
        .collect()
}

async fn note_order(store: &Store, shop: &str, order: OrderId, now: i64) -> Result<()> {
    Ok(store
        .note_order(shop, &order.get().to_string(), now)
        .await?)
}

/// `orders/edited`: keeps the lines the edit added and queues the order to be read.
pub async fn order_edited(
    store: &Store,
    shop: &str,
    payload: &OrderEditedPayload,
    now: i64,
) -> Result<()> {
    let edit = &payload.order_edit;
    let order = edit.order_id.get().to_string();
    let mut tx = store.begin().await?;
    for added in &edit.line_items.additions {
        tx.add_edit_addition(shop, &order, &added.id.get().to_string(), added.delta)
            .await?;
    }
    tx.commit().await?;
    note_order(store, shop, edit.order_id, now).await
}

/// What a refund delivery came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundEffect {
    /// Kept; the order's offers were recomputed (it was read before).
    Applied,
    /// Kept until the order is read (a refund before the edit, or an order not yet seen), or
    /// dropped for an order read before that carries no offer.
    Kept,
}

/// `refunds/create`: keeps every refunded line in shop money, then recomputes the order's
/// offer refunds if the order was read. A line whose shop money is not in the shop's currency
/// is refused (logged), not converted.
pub async fn refund_created(
    store: &Store,
    shop: &str,
    shop_currency: &str,
    payload: &RefundPayload,
    now: i64,
) -> Result<RefundEffect> {
    let order = payload.order_id.get().to_string();
    if order_state(store, shop, &order).await? == Some(OrderState::NoOffers) {
        // Read before and it carries no offer: nothing of this refund is Encore's.
        return Ok(RefundEffect::Kept);
    }
    let mut tx = store.begin().await?;
    for line in &payload.refund_line_items {
        let money = &line.subtotal_set.shop_money;
        if money.currency_code != shop_currency {
            tracing::warn!(
                order = %order, refund = payload.id.get(), currency = %money.currency_code,
                shop_currency, "a refund line in another currency than the shop's is not counted"
            );
            continue;
        }
        let minor = match money.minor_units() {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(order = %order, error = %e, "a refund line's amount is unreadable");
                continue;
            }
        };
        tx.add_refund_line(
            shop,
            &order,
            &RefundLine {
                refund_id: payload.id.get().to_string(),
                line_item_id: line.line_item_id.get().to_string(),
                quantity: line.quantity.max(0),
                subtotal_minor: minor.max(0),
                currency_code: money.currency_code.clone(),
                created_at: payload.created_at.clone(),
            },
        )
        .await?;
    }
    tx.commit().await?;
    note_order(store, shop, payload.order_id, now).await?;
    if order_state(store, shop, &order).await? == Some(OrderState::Read) {
        recompute_refunds(store, shop, &order).await?;
        Ok(RefundEffect::Applied)
    } else {
        Ok(RefundEffect::Kept)
    }
}

/// `orders/cancelled`: every offer unit of the order counts as refunded (in full), whatever
/// refunds also arrive for it.
pub async fn order_cancelled(
    store: &Store,
    shop: &str,
    payload: &OrderPayload,
    now: i64,
) -> Result<()> {
    note_order(store, shop, payload.id, now).await?;
    let order = payload.id.get().to_string();
    store.mark_order_cancelled(shop, &order).await?;
    if order_state(store, shop, &order).await? == Some(OrderState::Read) {
        recompute_refunds(store, shop, &order).await?;
    }
    Ok(())
}

async fn order_state(store: &Store, shop: &str, order: &str) -> Result<Option<OrderState>> {
    Ok(store.order_state(shop, order).await?)
}

/// What reading an order found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadOutcome {
    /// The decisions confirmed on the order.
    Read { confirmed: usize },
    /// The Admin API has no such order.
    Missing,
    /// The order carries no Encore offer (its refund lines are dropped).
    NoOffers,
    /// The order's shop money is in another currency than the shop's: linked, not counted.
    ForeignCurrency { currency: String },
}

/// Reads `order` through the Admin API and records it with [`record_order`].
pub async fn read_order(
    store: &Store,
    admin: &mut AdminCalls<'_>,
    shop: &str,
    shop_currency: &str,
    order: OrderId,
    now: i64,
) -> Result<ReadOutcome> {
    note_order(store, shop, order, now).await?;
    match admin.order(order).await {
        Ok(Some(o)) => record_order(store, shop, shop_currency, &o, now).await,
        Ok(None) => {
            set_state(store, shop, order, OrderState::Missing, None, now).await?;
            Ok(ReadOutcome::Missing)
        }
        Err(e) => {
            store
                .record_order_read_error(shop, &order.get().to_string(), &e.to_string())
                .await?;
            Err(e.into())
        }
    }
}

async fn set_state(
    store: &Store,
    shop: &str,
    order: OrderId,
    state: OrderState,
    currency: Option<&str>,
    now: i64,
) -> Result<()> {
    Ok(store
        .set_order_state(shop, &order.get().to_string(), state, currency, now)
        .await?)
}

/// Ties an order read from the Admin API to the decisions its metafields name: one
/// `decision_orders` row per decision, one `offer_lines` row per (line, decision) with the
/// units the offer added and what the buyer paid for them; then recomputes refunds.
pub async fn record_order(
    store: &Store,
    shop: &str,
    shop_currency: &str,
    order: &Order,
    now: i64,
) -> Result<ReadOutcome> {
    let order_key = order.id.get().to_string();
    note_order(store, shop, order.id, now).await?;
    let offers = OfferMetafield::read_all(&order.metafields);
    let mut named = Vec::new();
    for m in &offers {
        match store.named_decision(shop, &m.reference_id, m.seq).await? {
            Some(d) => {
                if d.campaign_id.as_deref() != Some(m.campaign_id.as_str()) {
                    tracing::warn!(order = %order_key, decision = %d.id, "an order's metafield names a decision of another campaign");
                    continue;
                }
                named.push(d);
            }
            None => {
                tracing::warn!(order = %order_key, reference = %m.reference_id, seq = m.seq, "an order names a decision Encore does not have")
            }
        }
    }
    if named.is_empty() {
        set_state(store, shop, order.id, OrderState::NoOffers, None, now).await?;
        store.drop_refund_lines(shop, &order_key).await?;
        return Ok(ReadOutcome::NoOffers);
    }
    named.sort_by_key(|d| d.seq);
    let foreign =
        order.currency != shop_currency || order.lines.iter().any(|l| l.currency != shop_currency);
    if foreign {
        tracing::warn!(order = %order_key, currency = %order.currency, shop_currency, "an offer's order is in another currency than the shop's: not counted");
        let mut tx = store.begin().await?;
        for d in &named {
            tx.link_order(shop, &order_key, &d.id, LinkStatus::ForeignCurrency, now)
                .await?;
        }
        tx.commit().await?;
        set_state(
            store,
            shop,
            order.id,
            OrderState::ForeignCurrency,
            Some(&order.currency),
            now,
        )
        .await?;
        return Ok(ReadOutcome::ForeignCurrency {
            currency: order.currency.clone(),
        });
    }
    let additions = store.edit_additions(shop, &order_key).await?;
    let placed = place_units(&named, &order.lines, &additions);
    let mut tx = store.begin().await?;
    let mut confirmed = 0;
    for d in &named {
        // A decision the buyer did not accept cannot have joined the order; a metafield for it
        // means the accept event was lost, so the order is the better witness.
        if d.outcome.as_deref() != Some("accepted") {
            tracing::warn!(order = %order_key, decision = %d.id, outcome = ?d.outcome, "an order carries an offer not recorded as accepted");
        }
        let lines: Vec<&Placement> = placed.iter().filter(|p| p.decision == d.id).collect();
        let status = if lines.is_empty() {
            LinkStatus::Unmatched
        } else {
            LinkStatus::Confirmed
        };
        if !lines.is_empty() {
            confirmed += 1;
        }
        tx.link_order(shop, &order_key, &d.id, status, now).await?;
        for p in lines {
            tx.add_offer_line(
                shop,
                &order_key,
                &NewOfferLine {
                    line_item_id: &p.line,
                    decision_id: &d.id,
                    variant_id: p.variant.to_string(),
                    units: p.units,
                    line_quantity: p.line_quantity,
                    amount_minor: p.amount,
                },
            )
            .await?;
        }
    }
    if order.cancelled_at.is_some() {
        tx.mark_order_cancelled(shop, &order_key).await?;
    }
    tx.commit().await?;
    set_state(
        store,
        shop,
        order.id,
        OrderState::Read,
        Some(&order.currency),
        now,
    )
    .await?;
    recompute_refunds(store, shop, &order_key).await?;
    Ok(ReadOutcome::Read { confirmed })
}

/// Offer units placed on an order line.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Placement {
    decision: String,
    line: String,
    variant: u64,
    units: i64,
    line_quantity: i64,
    amount: i64,
}

/// Places each decision's added units on the order's lines of the same variant: lines an
/// `orders/edited` named first, then the newest line (Shopify numbers lines upwards), never
/// more units on a line than it holds. What the offer units cost the buyer is the line's
/// discounted total less its other units at the original unit price (the offer's discount is
/// a line-level discount on its own units), shared by units when several offers joined a line.
fn place_units(named: &[Named], lines: &[OrderLine], additions: &[String]) -> Vec<Placement> {
    let mut room: HashMap<String, i64> = lines
        .iter()
        .map(|l| (l.id.get().to_string(), l.quantity))
        .collect();
    let mut placed: Vec<Placement> = Vec::new();
    for d in named {
        for (variant, quantity) in added_units(d.changes.as_deref()) {
            let mut candidates: Vec<&OrderLine> = lines
                .iter()
                .filter(|l| l.variant.map(|v| v.get()) == Some(variant))
                .collect();
            candidates.sort_by_key(|l| (additions.contains(&l.id.get().to_string()), l.id.get()));
            let mut left = quantity;
            for line in candidates.into_iter().rev() {
                if left == 0 {
                    break;
                }
                let key = line.id.get().to_string();
                let free = room.get(&key).copied().unwrap_or(0);
                let units = left.min(free);
                if units <= 0 {
                    continue;
                }
                room.insert(key.clone(), free - units);
                left -= units;
                placed.push(Placement {
                    decision: d.id.clone(),
                    line: key,
                    variant,
                    units,
                    line_quantity: line.quantity,
                    amount: 0,
                });
            }
            if left > 0 {
                tracing::warn!(decision = %d.id, variant, missing = left, "an offer's units are not all on the order");
            }
        }
    }
    // Amounts per line: the offer pool shared by units, the remainder to the last placement.
    for line in lines {
        let key = line.id.get().to_string();
        let on_line: Vec<usize> = (0..placed.len())
            .filter(|&i| placed[i].line == key)
            .collect();
        let offer_units: i64 = on_line.iter().map(|&i| placed[i].units).sum();
        if offer_units == 0 {
            continue;
        }
        let other_units = line.quantity - offer_units;
        let pool = (line.discounted_total_minor - other_units * line.unit_price_minor)
            .clamp(0, line.discounted_total_minor.max(0));
        let mut given = 0;
        for (n, &i) in on_line.iter().enumerate() {
            let share = if n + 1 == on_line.len() {
                pool - given
            } else {
                pool * placed[i].units / offer_units
            };
            placed[i].amount = share;
            given += share;
        }
    }
    placed
}

/// Recomputes the refunded units and amounts of every offer line of the order from all its
/// refund lines (and its cancellation), and moves the offer statistics by the difference.
pub async fn recompute_refunds(store: &Store, shop: &str, order: &str) -> Result<()> {
    let mut tx = store.begin().await?;
    // First a write: takes the order row's lock on PostgreSQL, the write lock on SQLite.
    let cancelled = tx.touch_order(shop, order).await?.unwrap_or(false);
    let mut lines: Vec<OfferLineRow> = tx.offer_lines(shop, order).await?;
    let mut by_line: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
    for (line, quantity, subtotal) in tx.refund_lines(shop, order).await? {
        by_line.entry(line).or_default().push((quantity, subtotal));
    }
    let new = allocate(&lines, &by_line, cancelled, order);
    let mut stats: BTreeMap<(String, String), i64> = BTreeMap::new();
    for (row, (units, minor)) in lines.iter_mut().zip(new) {
        if (units, minor) == (row.refunded_units, row.refunded_minor) {
            continue;
        }
        if let (Some(c), Some(s)) = (&row.campaign, &row.step) {
            *stats.entry((c.clone(), s.clone())).or_default() += units - row.refunded_units;
        }
        tx.set_line_refunds(shop, order, &row.line, &row.decision, units, minor)
            .await?;
        row.refunded_units = units;
        row.refunded_minor = minor;
    }
    for ((campaign, step), delta) in &stats {
        tx.add_refunded_units(shop, campaign, step, *delta).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The refunded (units, minor units) of each offer line row, in `rows`' order. Rows of one line
/// come newest decision first; the line's refunds are taken in delivery-independent order
/// (time, refund id) and consume offer units first, newest offer first. A refund line's amount
/// goes to the offer by its share of the refunded units (floor); the offer's refunded amount
/// never exceeds what it was paid, nor its units what it added.
fn allocate(
    rows: &[OfferLineRow],
    refunds: &BTreeMap<String, Vec<(i64, i64)>>,
    cancelled: bool,
    order: &str,
) -> Vec<(i64, i64)> {
    let mut out: Vec<(i64, i64)> = vec![(0, 0); rows.len()];
    if cancelled {
        return rows.iter().map(|r| (r.units, r.amount)).collect();
    }
    let mut start = 0;
    while start < rows.len() {
        let line = &rows[start].line;
        let end = start + rows[start..].iter().take_while(|r| &r.line == line).count();
        let line_quantity = rows[start].line_quantity;
        let mut refunded_total = 0;
        for &(quantity, subtotal) in refunds.get(line).map(Vec::as_slice).unwrap_or(&[]) {
            refunded_total += quantity;
            let mut left = quantity;
            for i in start..end {
                if left == 0 {
                    break;
                }
                let free = rows[i].units - out[i].0;
                let take = left.min(free);
                if take <= 0 {
                    continue;
                }
                let share = if take == quantity {
                    subtotal
                } else {
                    subtotal * take / quantity.max(1)
                };
                out[i].0 += take;
                out[i].1 = (out[i].1 + share).min(rows[i].amount);
                left -= take;
            }
        }
        if refunded_total > line_quantity {
            tracing::warn!(
                order, line = %line, refunded = refunded_total, sold = line_quantity,
                "refunds on a line exceed what was sold: clamped to the offer's units"
            );
        }
        start = end;
    }
    out
}

/// Who makes a pass's Admin API calls.
pub enum AdminCalls<'a> {
    /// The shop's stored credentials: a 401 in the middle of a pass (the token expired or was
    /// rotated elsewhere) refreshes the token once and the call is made again, and the rest of
    /// the pass uses the new token ([`ShopAdmin::call`]).
    Stored(&'a mut ShopAdmin),
    /// A client and a token held by the caller (tests, tools): a 401 is an error.
    Fixed {
        client: &'a AdminClient,
        token: &'a Secret,
    },
}

impl AdminCalls<'_> {
    fn parts(&self) -> (&AdminClient, &Secret) {
        match self {
            AdminCalls::Stored(admin) => (admin.client(), admin.token()),
            AdminCalls::Fixed { client, token } => (client, token),
        }
    }

    /// After a 401: true when there is a new token to make the call again with.
    async fn renewed(&mut self) -> std::result::Result<bool, AccessError> {
        match self {
            AdminCalls::Stored(admin) => admin.after_unauthorized().await.map(|()| true),
            AdminCalls::Fixed { .. } => Ok(false),
        }
    }

    /// The order with Encore's metafields ([`AdminClient::order`]).
    pub async fn order(&mut self, id: OrderId) -> std::result::Result<Option<Order>, AccessError> {
        let (client, token) = self.parts();
        match client.order(token, id, NAMESPACE).await {
            Err(AdminError::Unauthorized) if self.renewed().await? => {
                let (client, token) = self.parts();
                Ok(client.order(token, id, NAMESPACE).await?)
            }
            other => Ok(other?),
        }
    }

    /// Orders matching a search ([`AdminClient::search_orders`]).
    pub async fn search_orders(
        &mut self,
        query: &str,
        pages: usize,
    ) -> std::result::Result<Vec<FoundOrder>, AccessError> {
        let (client, token) = self.parts();
        match client.search_orders(token, query, NAMESPACE, pages).await {
            Err(AdminError::Unauthorized) if self.renewed().await? => {
                let (client, token) = self.parts();
                Ok(client.search_orders(token, query, NAMESPACE, pages).await?)
            }
            other => Ok(other?),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(
        line: &str,
        decision: &str,
        units: i64,
        line_quantity: i64,
        amount: i64,
    ) -> OfferLineRow {
        OfferLineRow {
            line: line.into(),
            decision: decision.into(),
            campaign: Some("c".into()),
            step: Some("s".into()),
            units,
            line_quantity,
            amount,
            refunded_units: 0,
            refunded_minor: 0,
        }
    }

    fn refunds(list: &[(&str, i64, i64)]) -> BTreeMap<String, Vec<(i64, i64)>> {
        let mut map: BTreeMap<String, Vec<(i64, i64)>> = BTreeMap::new();
        for (line, q, minor) in list {
            map.entry(line.to_string()).or_default().push((*q, *minor));
        }
        map
    }

    #[test]
    fn a_refund_on_a_refilled_line_takes_the_offer_units_first() {
        // 1 unit bought at 20.00, 2 offer units added at 15.00 each (30.00): 3 on the line.
        let rows = [row("L", "d", 2, 3, 3000)];
        assert_eq!(
            allocate(&rows, &refunds(&[("L", 1, 1500)]), false, "o"),
            [(1, 1500)]
        );
        assert_eq!(
            allocate(
                &rows,
                &refunds(&[("L", 1, 1500), ("L", 1, 1500)]),
                false,
                "o"
            ),
            [(2, 3000)]
        );
        // The third unit refunded is the original purchase's: the offer stays at 2 units.
        assert_eq!(
            allocate(&rows, &refunds(&[("L", 3, 5000)]), false, "o"),
            [(2, 3000)]
        );
    }

    #[test]
    fn refunds_larger_than_sold_are_clamped_to_the_offer() {
        let rows = [row("L", "d", 1, 1, 999)];
        assert_eq!(
            allocate(&rows, &refunds(&[("L", 5, 99_999)]), false, "o"),
            [(1, 999)]
        );
    }

    #[test]
    fn a_cancelled_order_refunds_every_offer_unit_in_full() {
        let rows = [row("L", "d", 2, 2, 1998), row("M", "e", 1, 4, 500)];
        assert_eq!(
            allocate(&rows, &refunds(&[]), true, "o"),
            [(2, 1998), (1, 500)]
        );
    }

    #[test]
    fn refunds_of_lines_without_offers_count_nothing() {
        let rows = [row("L", "d", 1, 1, 999)];
        assert_eq!(
            allocate(&rows, &refunds(&[("X", 1, 500)]), false, "o"),
            [(0, 0)]
        );
    }

    fn line(id: u64, variant: u64, quantity: i64, unit: i64, discounted: i64) -> OrderLine {
        OrderLine {
            id: encore_shopify::ids::LineItemId::new(id).unwrap(),
            variant: encore_shopify::ids::VariantId::new(variant),
            product: None,
            quantity,
            current_quantity: quantity,
            unit_price_minor: unit,
            discounted_total_minor: discounted,
            currency: "USD".into(),
            selling_plan: None,
        }
    }

    fn named(id: &str, seq: i64, variant: u64, quantity: i64) -> Named {
        Named {
            id: id.into(),
            seq,
            campaign_id: Some("c".into()),
            changes: Some(format!(
                r#"[{{"type":"add_variant","variantId":{variant},"quantity":{quantity}}}]"#
            )),
            outcome: Some("accepted".into()),
        }
    }

    #[test]
    fn a_refill_joining_a_bought_line_is_paid_the_discounted_total_less_the_bought_units() {
        // Bought 1 pod box at 20.00; the refill offer added 2 at 15.00 to the same line:
        // discounted total 50.00, of which 20.00 is the bought unit.
        let lines = [line(11, 7, 3, 2000, 5000), line(12, 8, 1, 900, 900)];
        let placed = place_units(&[named("d", 0, 7, 2)], &lines, &[]);
        assert_eq!(placed.len(), 1);
        assert_eq!(
            (
                placed[0].line.as_str(),
                placed[0].units,
                placed[0].line_quantity,
                placed[0].amount
            ),
            ("11", 2, 3, 3000)
        );
    }

    #[test]
    fn an_offer_goes_on_the_line_the_edit_added_and_never_beyond_a_line_s_units() {
        // Two lines of the variant: the edit named 21, so the offer's unit is there.
        let lines = [line(21, 7, 1, 1000, 800), line(20, 7, 1, 1000, 1000)];
        let placed = place_units(&[named("d", 0, 7, 1)], &lines, &["21".to_string()]);
        assert_eq!((placed[0].line.as_str(), placed[0].amount), ("21", 800));
        // An offer of 3 units finds only 2 on the order: 2 are placed, none invented.
        let placed = place_units(&[named("d", 0, 7, 3)], &lines, &[]);
        assert_eq!(placed.iter().map(|p| p.units).sum::<i64>(), 2);
    }

    #[test]
    fn stored_changes_give_the_variants_and_units_an_offer_added() {
        let changes = r#"[{"type":"add_variant","variantId":7,"quantity":2,"discount":{"value":10,"valueType":"percentage","title":"t"}},
            {"type":"add_shipping_line","price":1.5},{"type":"set_metafield","namespace":"encore","key":"offer-1","value":"{}","valueType":"json_string"}]"#;
        assert_eq!(added_units(Some(changes)), [(7, 2)]);
        assert_eq!(added_units(Some("not json")), []);
    }
}
