//! Past orders for the editor's simulator ("Try it on a purchase"): the merchant finds an
//! order by its name (`#1001`) or picks a recent one, and the simulator replays it as the
//! purchase — its lines at the prices paid, where it shipped, the buyer's language and the
//! customer's facts — read from Shopify's Admin API when asked, never stored.

use std::time::Duration;

use serde::Serialize;

use encore_engine::Currency;
use encore_shopify::admin::{PastOrder, MAX_PAST_ORDERS};
use encore_shopify::ShopDomain;

use encore_store::StoreError;

use crate::checkout_setting::Unknown;
use crate::credentials::{self, AccessError, Credentials};

/// Why past orders were not looked up.
#[derive(Debug, thiserror::Error)]
pub enum PastOrdersError {
    /// The typed name could be Shopify search syntax, not an order name.
    #[error("{0:?} is not an order name like #1001")]
    NotAName(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// How many recent orders the list offers when no name is searched.
const RECENT: i64 = 10;

/// How long the merchant waits for Shopify before being told it is unavailable.
const LOOKUP_BUDGET: Duration = Duration::from_secs(4);

/// The answer of the server's `GET /api/simulation/orders?shop=[&name=#1001]`: `{orders: [...]}` newest first, or
/// `{orders: null, unavailableBecause}` when Shopify cannot be asked now (the same reasons as
/// `GET /api/checkout-setting`).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PastOrders {
    pub orders: Option<Vec<SimulatedOrder>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unavailable_because: Option<Unknown>,
}

/// An order as the simulator takes it: ids in the synced catalog's form (numbers as text),
/// amounts as decimal text in the order's shop currency.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatedOrder {
    pub name: String,
    pub created_at: String,
    pub currency_code: String,
    pub country: Option<String>,
    pub locale: Option<String>,
    pub customer: Option<SimulatedCustomer>,
    pub lines: Vec<SimulatedLine>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatedCustomer {
    pub id: String,
    pub number_of_orders: u64,
    pub amount_spent: String,
    pub tags: Vec<String>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SimulatedLine {
    /// `None` when the product or variant has been deleted since.
    pub product_id: Option<String>,
    pub variant_id: Option<String>,
    pub quantity: i64,
    pub unit_price: String,
}

/// The order search for a name the merchant typed: `name:#1001` (digits alone take Shopify's
/// default `#` prefix; a shop's own prefix, `EU-1001`, is kept). Names are an optional `#` then
/// letters, digits, `-` or `_`; anything else is refused rather than passed into Shopify's
/// search syntax.
fn name_search(typed: &str) -> Result<Option<String>, PastOrdersError> {
    let name = typed.trim();
    if name.is_empty() {
        return Ok(None);
    }
    let bare = name.strip_prefix('#').unwrap_or(name);
    if bare.is_empty()
        || bare.len() > 40
        || !bare
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(PastOrdersError::NotAName(name.to_string()));
    }
    let prefix = if name.starts_with('#') || bare.chars().all(|c| c.is_ascii_digit()) {
        "#"
    } else {
        ""
    };
    Ok(Some(format!("name:{prefix}{bare}")))
}

fn amount(minor: i64, currency: &str) -> String {
    // The client decoded the amount with this currency, so it is one the engine knows.
    Currency::from_code(currency).map_or_else(|| minor.to_string(), |c| c.format(minor))
}

fn simulated(order: PastOrder) -> SimulatedOrder {
    SimulatedOrder {
        customer: order.customer.map(|c| SimulatedCustomer {
            id: c.id.get().to_string(),
            number_of_orders: c.number_of_orders,
            amount_spent: amount(c.amount_spent_minor, &c.currency),
            tags: c.tags,
        }),
        lines: order
            .lines
            .iter()
            .map(|l| SimulatedLine {
                product_id: l.product.map(|p| p.get().to_string()),
                variant_id: l.variant.map(|v| v.get().to_string()),
                quantity: l.quantity,
                unit_price: amount(l.unit_price_minor, &order.currency),
            })
            .collect(),
        name: order.name,
        created_at: order.created_at,
        currency_code: order.currency,
        country: order.country,
        locale: order.locale,
    }
}

/// The shop's orders named `name` (`#1001` or `1001`), or its most recent ones when `name` is
/// empty, asked of Shopify within a few seconds.
pub async fn past_orders(
    credentials: &Credentials,
    shop: &str,
    name: &str,
) -> Result<PastOrders, PastOrdersError> {
    let search = name_search(name)?;
    let unavailable = |because| PastOrders {
        orders: None,
        unavailable_because: Some(because),
    };
    let Ok(domain) = ShopDomain::parse(shop) else {
        return Ok(unavailable(Unknown::NotInstalled));
    };
    let first = if search.is_some() {
        MAX_PAST_ORDERS
    } else {
        RECENT
    };
    let lookup = {
        let domain = domain.clone();
        // Asked in a task of its own (the answer may come after the budget): it owns a handle.
        let credentials = credentials.clone();
        async move {
            // The token is good for at least five minutes (`admin_client`).
            let admin = credentials.admin_client(&domain).await?;
            let orders = admin
                .client()
                .orders_for_simulation(admin.token(), search.as_deref(), first)
                .await?;
            Ok::<_, AccessError>(orders)
        }
    };
    let Some(asked) = credentials::ask_within(LOOKUP_BUDGET, lookup).await else {
        tracing::warn!(shop = %domain, "past orders for the simulator: Shopify did not answer within {LOOKUP_BUDGET:?}");
        return Ok(unavailable(Unknown::ShopifyUnavailable));
    };
    Ok(match asked {
        Ok(orders) => PastOrders {
            orders: Some(orders.into_iter().map(simulated).collect()),
            unavailable_because: None,
        },
        Err(AccessError::NotInstalled(_)) => unavailable(Unknown::NotInstalled),
        Err(AccessError::NeedsReauthorization(_)) => unavailable(Unknown::NeedsReauthorization),
        Err(AccessError::Store(e)) => return Err(e.into()),
        Err(e) => {
            tracing::warn!(shop = %domain, error = %e, "could not read past orders for the simulator");
            unavailable(Unknown::ShopifyUnavailable)
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_order_name_becomes_a_name_search_with_its_hash() {
        assert_eq!(
            name_search(" #1001 ").unwrap().as_deref(),
            Some("name:#1001")
        );
        assert_eq!(name_search("1001").unwrap().as_deref(), Some("name:#1001"));
        assert_eq!(
            name_search("EU-1001_b").unwrap().as_deref(),
            Some("name:EU-1001_b")
        );
        assert_eq!(name_search("  ").unwrap(), None);
    }

    #[test]
    fn search_syntax_in_a_name_is_refused() {
        for typed in ["#", "1001 OR 1002", "name:1", "10'01", "#10*"] {
            assert!(name_search(typed).is_err(), "{typed}");
        }
    }
}
