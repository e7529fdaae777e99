//! Typed reads on top of the generated operations: the shop, customers, orders and bulk
//! operations, with Shopify's strings turned into typed ids and minor units.

use std::time::{Duration, Instant};

use super::client::AdminClient;
use super::error::{AdminError, UserError};
use super::operations::{
    bulk_operation_by_id, bulk_operation_run_query, catalog_bulk, customer_facts,
    inventory_item_levels, order_attribution, orders_bulk, orders_search, post_purchase_app_in_use,
    selling_plans_bulk, shop_facts, BulkOperationById, BulkOperationRunQuery, CustomerFacts,
    InventoryItemLevels, OrderAttribution, OrdersSearch, PostPurchaseAppInUse, ShopFacts,
};
use crate::domain::ShopDomain;
use crate::ids::{
    BulkOperationId, CustomerId, InventoryItemId, LineItemId, LocationId, OrderId, ProductId,
    ShopId, VariantId,
};
use crate::money::minor_units;
use crate::secret::Secret;

/// The shop's facts Encore prices and reports with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shop {
    pub id: ShopId,
    pub name: String,
    pub domain: ShopDomain,
    /// ISO 4217 code of the shop's currency.
    pub currency: String,
    pub plan: String,
    pub partner_development: bool,
    pub shopify_plus: bool,
}

/// What customer triggers read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: CustomerId,
    pub tags: Vec<String>,
    /// Orders Shopify counts for the customer (the purchase just made may be among them).
    pub number_of_orders: u64,
    pub amount_spent_minor: i64,
    pub currency: String,
    /// When the customer's latest order was created (RFC 3339), if they have one.
    pub last_order_at: Option<String>,
}

/// An inventory item's available stock at one location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryLevel {
    pub location: LocationId,
    pub available: i64,
    /// RFC 3339.
    pub updated_at: String,
}

/// An order's lines and Encore's metafields, for attribution.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub id: OrderId,
    pub name: String,
    pub created_at: String,
    pub cancelled_at: Option<String>,
    pub currency: String,
    pub customer: Option<CustomerId>,
    pub lines: Vec<OrderLine>,
    pub metafields: Vec<Metafield>,
}

/// One order line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderLine {
    pub id: LineItemId,
    pub variant: Option<VariantId>,
    pub product: Option<ProductId>,
    pub quantity: i64,
    /// After removals and refunds.
    pub current_quantity: i64,
    pub unit_price_minor: i64,
    /// The line's total after line-level discounts (a post-purchase offer's `ExplicitDiscount`
    /// is one), in the shop currency's minor units.
    pub discounted_total_minor: i64,
    /// The currency of the line's shop money (the order's shop currency).
    pub currency: String,
    pub selling_plan: Option<String>,
}

/// An order found by a search, with the metafields of one namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundOrder {
    pub id: OrderId,
    pub metafields: Vec<Metafield>,
}

/// An order metafield.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Metafield {
    pub namespace: String,
    pub key: String,
    pub kind: String,
    pub value: String,
}

/// A bulk operation's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkStatus {
    Created,
    Running,
    Completed,
    Canceling,
    Canceled,
    Failed,
    Expired,
}

impl BulkStatus {
    /// True once the operation will not change any more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            Self::Completed | Self::Canceled | Self::Failed | Self::Expired
        )
    }
}

/// A polled bulk operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkOperation {
    pub id: BulkOperationId,
    pub status: BulkStatus,
    pub error_code: Option<String>,
    pub object_count: u64,
    pub root_object_count: u64,
    /// The JSONL file once completed (absent for an empty result).
    pub url: Option<String>,
    pub partial_data_url: Option<String>,
}

fn decode<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> Result<T, AdminError> {
    result.map_err(|e| AdminError::Decode(format!("{what}: {e}")))
}

fn count(what: &str, text: &str) -> Result<u64, AdminError> {
    decode(what, text.parse::<u64>())
}

/// The wire name of a generated enum value (`USD`, `OPERATION_IN_PROGRESS`): the generated
/// enums serialize to it, including `Other(..)` for values newer than the schema.
fn wire_name(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

impl AdminClient {
    /// The shop's currency, plan and permanent domain.
    pub async fn shop_facts(&self, token: &Secret) -> Result<Shop, AdminError> {
        let data = self
            .execute::<ShopFacts>(token, shop_facts::Variables {})
            .await?;
        let shop = data.shop;
        Ok(Shop {
            id: decode("shop.id", ShopId::parse(&shop.id))?,
            name: shop.name,
            domain: decode(
                "shop.myshopifyDomain",
                ShopDomain::parse(&shop.myshopify_domain),
            )?,
            currency: wire_name(shop.currency_code),
            plan: shop.plan.public_display_name,
            partner_development: shop.plan.partner_development,
            shopify_plus: shop.plan.shopify_plus,
        })
    }

    /// Whether the merchant has chosen this app under Settings → Checkout → Post-purchase page
    /// (Shopify shows no app's post-purchase offers until one is chosen).
    pub async fn post_purchase_app_in_use(&self, token: &Secret) -> Result<bool, AdminError> {
        let data = self
            .execute::<PostPurchaseAppInUse>(token, post_purchase_app_in_use::Variables {})
            .await?;
        Ok(data
            .current_app_installation
            .app
            .is_post_purchase_app_in_use)
    }

    /// A customer's tags, order count and amount spent; `None` when Shopify has no such customer.
    pub async fn customer(
        &self,
        token: &Secret,
        id: CustomerId,
    ) -> Result<Option<Customer>, AdminError> {
        let data = self
            .execute::<CustomerFacts>(token, customer_facts::Variables { id: id.gid() })
            .await?;
        let Some(c) = data.customer else {
            return Ok(None);
        };
        let currency = wire_name(c.amount_spent.currency_code);
        Ok(Some(Customer {
            id: decode("customer.id", CustomerId::parse(&c.id))?,
            tags: c.tags,
            number_of_orders: count("customer.numberOfOrders", &c.number_of_orders)?,
            amount_spent_minor: decode(
                "customer.amountSpent",
                minor_units(&c.amount_spent.amount, &currency),
            )?,
            currency,
            last_order_at: c.last_order.map(|o| o.created_at),
        }))
    }

    /// An inventory item's available stock per location (its first 50 locations); `None` when
    /// Shopify has no such item.
    pub async fn inventory_levels(
        &self,
        token: &Secret,
        item: InventoryItemId,
    ) -> Result<Option<Vec<InventoryLevel>>, AdminError> {
        let data = self
            .execute::<InventoryItemLevels>(
                token,
                inventory_item_levels::Variables { id: item.gid() },
            )
            .await?;
        let Some(found) = data.inventory_item else {
            return Ok(None);
        };
        found
            .inventory_levels
            .nodes
            .into_iter()
            .map(|level| {
                Ok(InventoryLevel {
                    location: decode(
                        "inventoryLevel.location.id",
                        LocationId::parse(&level.location.id),
                    )?,
                    available: level
                        .quantities
                        .iter()
                        .find(|q| q.name == "available")
                        .map(|q| q.quantity)
                        .unwrap_or(0),
                    updated_at: level.updated_at,
                })
            })
            .collect::<Result<Vec<_>, AdminError>>()
            .map(Some)
    }

    /// An order's lines (every page) and the metafields in `namespace`; `None` when absent.
    pub async fn order(
        &self,
        token: &Secret,
        id: OrderId,
        namespace: &str,
    ) -> Result<Option<Order>, AdminError> {
        let mut after = None;
        let mut order: Option<Order> = None;
        loop {
            let variables = order_attribution::Variables {
                id: id.gid(),
                namespace: namespace.to_string(),
                after: after.take(),
            };
            let data = self.execute::<OrderAttribution>(token, variables).await?;
            let Some(o) = data.order else {
                return Ok(None);
            };
            let page = o.line_items.page_info;
            let mut lines = Vec::with_capacity(o.line_items.nodes.len());
            for line in o.line_items.nodes {
                let money = line.original_unit_price_set.shop_money;
                let currency = wire_name(money.currency_code);
                let discounted = line.discounted_total_set.shop_money;
                let discounted_currency = wire_name(discounted.currency_code);
                lines.push(OrderLine {
                    id: decode("lineItem.id", LineItemId::parse(&line.id))?,
                    variant: line
                        .variant
                        .map(|v| decode("lineItem.variant.id", VariantId::parse(&v.id)))
                        .transpose()?,
                    product: line
                        .product
                        .map(|p| decode("lineItem.product.id", ProductId::parse(&p.id)))
                        .transpose()?,
                    quantity: line.quantity,
                    current_quantity: line.current_quantity,
                    unit_price_minor: decode(
                        "lineItem.originalUnitPriceSet",
                        minor_units(&money.amount, &currency),
                    )?,
                    discounted_total_minor: decode(
                        "lineItem.discountedTotalSet",
                        minor_units(&discounted.amount, &discounted_currency),
                    )?,
                    currency,
                    selling_plan: line.selling_plan.and_then(|p| p.selling_plan_id),
                });
            }
            match order.as_mut() {
                Some(existing) => existing.lines.extend(lines),
                None => {
                    order = Some(Order {
                        id: decode("order.id", OrderId::parse(&o.id))?,
                        name: o.name,
                        created_at: o.created_at,
                        cancelled_at: o.cancelled_at,
                        currency: wire_name(o.currency_code),
                        customer: o
                            .customer
                            .map(|c| decode("order.customer.id", CustomerId::parse(&c.id)))
                            .transpose()?,
                        lines,
                        metafields: o
                            .metafields
                            .nodes
                            .into_iter()
                            .map(|m| Metafield {
                                namespace: m.namespace,
                                key: m.key,
                                kind: m.type_,
                                value: m.value,
                            })
                            .collect(),
                    })
                }
            }
            match (page.has_next_page, page.end_cursor) {
                (true, Some(cursor)) => after = Some(cursor),
                _ => return Ok(order),
            }
        }
    }

    /// Every order matching `query` (Shopify's order search syntax), with its metafields in
    /// `namespace`, following pages up to `max_pages` of 50.
    pub async fn search_orders(
        &self,
        token: &Secret,
        query: &str,
        namespace: &str,
        max_pages: usize,
    ) -> Result<Vec<FoundOrder>, AdminError> {
        let mut found = Vec::new();
        let mut after = None;
        for _ in 0..max_pages {
            let variables = orders_search::Variables {
                query: query.to_string(),
                namespace: namespace.to_string(),
                after: after.take(),
            };
            let data = self.execute::<OrdersSearch>(token, variables).await?;
            for o in data.orders.nodes {
                found.push(FoundOrder {
                    id: decode("order.id", OrderId::parse(&o.id))?,
                    metafields: o
                        .metafields
                        .nodes
                        .into_iter()
                        .map(|m| Metafield {
                            namespace: m.namespace,
                            key: m.key,
                            kind: m.type_,
                            value: m.value,
                        })
                        .collect(),
                });
            }
            match (
                data.orders.page_info.has_next_page,
                data.orders.page_info.end_cursor,
            ) {
                (true, Some(cursor)) => after = Some(cursor),
                _ => break,
            }
        }
        Ok(found)
    }

    /// Starts a bulk query. OPERATION_IN_PROGRESS (the shop's previous bulk query still runs)
    /// comes back as user errors; see [`AdminError::is_bulk_in_progress`].
    pub async fn start_bulk_query(
        &self,
        token: &Secret,
        query: &str,
    ) -> Result<BulkOperationId, AdminError> {
        let data = self
            .execute::<BulkOperationRunQuery>(
                token,
                bulk_operation_run_query::Variables {
                    query: query.to_string(),
                },
            )
            .await?;
        let payload = data
            .bulk_operation_run_query
            .ok_or_else(|| AdminError::Decode("bulkOperationRunQuery is null".into()))?;
        if !payload.user_errors.is_empty() {
            return Err(AdminError::UserErrors(
                payload
                    .user_errors
                    .into_iter()
                    .map(|e| UserError {
                        field: e.field.unwrap_or_default(),
                        message: e.message,
                        code: e.code.map(wire_name),
                    })
                    .collect(),
            ));
        }
        let operation = payload
            .bulk_operation
            .ok_or_else(|| AdminError::Decode("no bulk operation and no user errors".into()))?;
        decode("bulkOperation.id", BulkOperationId::parse(&operation.id))
    }

    /// Starts the catalog's bulk query (`graphql/catalog_bulk.graphql`).
    pub async fn start_catalog_bulk(&self, token: &Secret) -> Result<BulkOperationId, AdminError> {
        self.start_bulk_query(token, catalog_bulk::QUERY).await
    }

    /// Starts the selling plans' bulk query (`graphql/selling_plans_bulk.graphql`).
    pub async fn start_selling_plans_bulk(
        &self,
        token: &Secret,
    ) -> Result<BulkOperationId, AdminError> {
        self.start_bulk_query(token, selling_plans_bulk::QUERY)
            .await
    }

    /// Starts the bulk query of the orders created on or after `first_day` (days since
    /// 1970-01-01, UTC; `None` for all history) — `graphql/orders_bulk.graphql`.
    pub async fn start_orders_bulk(
        &self,
        token: &Secret,
        first_day: Option<u32>,
    ) -> Result<BulkOperationId, AdminError> {
        self.start_bulk_query(token, &orders_bulk_query(first_day))
            .await
    }

    /// One bulk operation's state; `None` when Shopify does not know the id.
    pub async fn bulk_operation(
        &self,
        token: &Secret,
        id: BulkOperationId,
    ) -> Result<Option<BulkOperation>, AdminError> {
        use bulk_operation_by_id::BulkOperationStatus as S;
        let data = self
            .execute::<BulkOperationById>(token, bulk_operation_by_id::Variables { id: id.gid() })
            .await?;
        let Some(op) = data.bulk_operation else {
            return Ok(None);
        };
        let status = match op.status {
            S::CREATED => BulkStatus::Created,
            S::RUNNING => BulkStatus::Running,
            S::COMPLETED => BulkStatus::Completed,
            S::CANCELING => BulkStatus::Canceling,
            S::CANCELED => BulkStatus::Canceled,
            S::FAILED => BulkStatus::Failed,
            S::EXPIRED => BulkStatus::Expired,
            S::Other(other) => {
                return Err(AdminError::Decode(format!("unknown bulk status {other}")))
            }
        };
        Ok(Some(BulkOperation {
            id: decode("bulkOperation.id", BulkOperationId::parse(&op.id))?,
            status,
            error_code: op.error_code.map(wire_name),
            object_count: count("bulkOperation.objectCount", &op.object_count)?,
            root_object_count: count("bulkOperation.rootObjectCount", &op.root_object_count)?,
            url: op.url,
            partial_data_url: op.partial_data_url,
        }))
    }

    /// Polls a bulk operation every `every` until it is final or `deadline` passes.
    pub async fn wait_for_bulk(
        &self,
        token: &Secret,
        id: BulkOperationId,
        every: Duration,
        deadline: Duration,
    ) -> Result<BulkOperation, AdminError> {
        let started = Instant::now();
        loop {
            let op = self
                .bulk_operation(token, id)
                .await?
                .ok_or_else(|| AdminError::Decode(format!("bulk operation {id} not found")))?;
            if op.status.is_final() {
                return Ok(op);
            }
            if started.elapsed() >= deadline {
                return Err(AdminError::BulkDeadline);
            }
            tokio::time::sleep(every).await;
        }
    }
}

/// The search date in `graphql/orders_bulk.graphql`, replaced with the window's first day.
const ORDERS_SINCE_PLACEHOLDER: &str = "created_at:>=1970-01-01";

/// The orders bulk query's text for a window starting on `first_day` (days since 1970-01-01).
/// Shopify's search compares `created_at` in the shop's time zone; the miner dates orders by
/// their UTC day and leaves out the few the search lets in from the day before.
pub fn orders_bulk_query(first_day: Option<u32>) -> String {
    let query = orders_bulk::QUERY;
    match first_day {
        None => query.to_string(),
        Some(day) => {
            let (y, m, d) = civil_from_days(i64::from(day));
            query.replacen(
                ORDERS_SINCE_PLACEHOLDER,
                &format!("created_at:>={y:04}-{m:02}-{d:02}"),
                1,
            )
        }
    }
}

/// The proleptic Gregorian date of a day number (days since 1970-01-01), by the usual
/// era-of-400-years arithmetic.
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod orders_bulk_tests {
    use super::*;

    #[test]
    fn the_orders_query_searches_from_the_window_s_first_day() {
        assert!(orders_bulk::QUERY.contains(ORDERS_SINCE_PLACEHOLDER));
        let query = orders_bulk_query(Some(20_724));
        assert!(query.contains("created_at:>=2026-09-28"), "{query}");
        assert!(!query.contains(ORDERS_SINCE_PLACEHOLDER));
        assert_eq!(orders_bulk_query(None), orders_bulk::QUERY);
    }

    #[test]
    fn day_numbers_become_calendar_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(59), (1970, 3, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(20_783), (2026, 11, 26));
    }
}
