//! Past orders as the admin's simulator replays them (`graphql/orders_for_simulation.graphql`):
//! a purchase's lines, destination, language and customer, typed and in minor units.

use super::client::AdminClient;
use super::error::AdminError;
use super::operations::{orders_for_simulation, OrdersForSimulation};
use crate::ids::{CustomerId, OrderId, ProductId, VariantId};
use crate::money::minor_units;
use crate::secret::Secret;

/// The most orders one lookup asks for (the query reads 50 lines of each).
pub const MAX_PAST_ORDERS: i64 = 25;

/// A past order, as a purchase to simulate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastOrder {
    pub id: OrderId,
    /// The merchant's name for it (`#1001`).
    pub name: String,
    /// RFC 3339.
    pub created_at: String,
    /// ISO 4217 code of the order's shop money.
    pub currency: String,
    /// The buyer's language at checkout (`fr`, `en-CA`), when Shopify recorded one.
    pub locale: Option<String>,
    /// ISO 3166 alpha-2 code of the shipping address; `None` without one (a digital order).
    pub country: Option<String>,
    pub customer: Option<PastCustomer>,
    pub lines: Vec<PastOrderLine>,
}

/// The customer of a past order, as customer triggers read them today.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastCustomer {
    pub id: CustomerId,
    pub tags: Vec<String>,
    pub number_of_orders: u64,
    pub amount_spent_minor: i64,
    pub currency: String,
}

/// One line of a past order (its first 50).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastOrderLine {
    /// `None` when the variant or product has since been deleted.
    pub variant: Option<VariantId>,
    pub product: Option<ProductId>,
    pub quantity: i64,
    /// The unit price before discounts, in the order's shop-money minor units.
    pub unit_price_minor: i64,
}

fn decode<T, E: std::fmt::Display>(what: &str, result: Result<T, E>) -> Result<T, AdminError> {
    result.map_err(|e| AdminError::Decode(format!("{what}: {e}")))
}

/// The wire name of a generated enum value (`USD`, `FR`).
fn wire_name(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(name)) => name,
        _ => String::new(),
    }
}

impl AdminClient {
    /// Up to `first` (at most [`MAX_PAST_ORDERS`]) orders, newest first: those Shopify's order
    /// search `search` finds (`name:#1001`), or the most recent when `None`.
    pub async fn orders_for_simulation(
        &self,
        token: &Secret,
        search: Option<&str>,
        first: i64,
    ) -> Result<Vec<PastOrder>, AdminError> {
        let variables = orders_for_simulation::Variables {
            query: search.map(str::to_string),
            first: first.clamp(1, MAX_PAST_ORDERS),
        };
        let data = self
            .execute::<OrdersForSimulation>(token, variables)
            .await?;
        data.orders.nodes.into_iter().map(past_order).collect()
    }
}

fn past_order(
    o: orders_for_simulation::OrdersForSimulationOrdersNodes,
) -> Result<PastOrder, AdminError> {
    let customer = match o.customer {
        None => None,
        Some(c) => {
            let currency = wire_name(c.amount_spent.currency_code);
            Some(PastCustomer {
                id: decode("customer.id", CustomerId::parse(&c.id))?,
                tags: c.tags,
                number_of_orders: decode(
                    "customer.numberOfOrders",
                    c.number_of_orders.parse::<u64>(),
                )?,
                amount_spent_minor: decode(
                    "customer.amountSpent",
                    minor_units(&c.amount_spent.amount, &currency),
                )?,
                currency,
            })
        }
    };
    let lines = o
        .line_items
        .nodes
        .into_iter()
        .map(|line| {
            let money = line.original_unit_price_set.shop_money;
            let currency = wire_name(money.currency_code);
            Ok(PastOrderLine {
                variant: line
                    .variant
                    .map(|v| decode("lineItem.variant.id", VariantId::parse(&v.id)))
                    .transpose()?,
                product: line
                    .product
                    .map(|p| decode("lineItem.product.id", ProductId::parse(&p.id)))
                    .transpose()?,
                quantity: line.quantity,
                unit_price_minor: decode(
                    "lineItem.originalUnitPriceSet",
                    minor_units(&money.amount, &currency),
                )?,
            })
        })
        .collect::<Result<Vec<_>, AdminError>>()?;
    Ok(PastOrder {
        id: decode("order.id", OrderId::parse(&o.id))?,
        name: o.name,
        created_at: o.created_at,
        currency: wire_name(o.currency_code),
        locale: o.customer_locale,
        country: o
            .shipping_address
            .and_then(|a| a.country_code_v2)
            .map(wire_name),
        customer,
        lines,
    })
}
