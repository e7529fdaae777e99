//! The buyer's facts for customer triggers (tags, orders, amount spent): read from the Admin API
//! on the first offer of each purchase, kept in `customers`, and never waited for longer than a
//! budget on the offer path.
//!
//! **What the Function gets** (`Customer` in schema.graphql): the customer's orders and amount
//! spent *with the purchase on the post-purchase page included*, so `numberOfOrders == 1` means
//! "this is their first order". Shopify has created that order when the page opens, but its
//! counters may not include it yet. Encore reads `lastOrder.createdAt` with the counts: when the
//! customer's latest order was created at most [`THIS_ORDER_WINDOW`] before the purchase's token
//! was issued, the counts already include the purchase; otherwise Encore adds it (one order, the
//! purchase's total in shop money). A second order placed within that window of the first is
//! taken for the purchase itself (counted once too few) — which keeps a "first order" offer from a
//! returning buyer only in that rare case, never the other way round.
//!
//! **Cache.** A read is stored with the purchase it was made for (`read_for`) and serves every
//! later step of that purchase, on any instance. A read for another purchase does not: a new
//! purchase is the customer ordering again, so its first offer reads again. Rows loaded by the
//! operator route (`PUT /api/customers`, no `read_at`) are taken as given and never read from
//! Shopify.
//!
//! **Budget.** The read runs in its own task, one per (shop, customer) at a time on this
//! instance; the offer waits at most `ENCORE_CUSTOMER_FACTS_BUDGET_MS` (300 by default). Past it,
//! or when the read fails, the offer is decided as for an unknown customer and says so with a
//! `CUSTOMER_FACTS_LATE` / `CUSTOMER_FACTS_UNAVAILABLE` reason; a late read still lands in the
//! cache for the purchase's next step. No read happens when no live campaign has a customer
//! trigger, or when the shop was never installed (its customers come from the operator route).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use encore_engine::Currency;
use encore_shopify::ids::CustomerId;
use encore_shopify::ShopDomain;
use serde_json::{json, Value};
use tokio::sync::watch;

use crate::credentials::{AccessError, Credentials};
use encore_shopify::post_purchase::token::VerifiedPurchase;
use encore_store::customers::StoredCustomer;
use encore_store::Store;

/// How long before the purchase's token the customer's latest order may have been created and
/// still be taken for the purchase itself (Shopify creates the order, then opens the page).
pub const THIS_ORDER_WINDOW_SECONDS: i64 = 15 * 60;

/// The default budget for the read on the offer path.
pub const DEFAULT_BUDGET: Duration = Duration::from_millis(300);

/// Why the offer was decided without the customer's facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Missing {
    pub code: &'static str,
    pub detail: String,
}

impl Missing {
    /// The reason as the decision's reasons list has them.
    pub fn reason(&self) -> Value {
        json!({"code": self.code, "campaignId": null, "stepId": null, "variantId": null, "detail": self.detail})
    }
}

/// What the offer path gets: the Function's `customer` (or none), and why it is missing.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ForOffer {
    pub customer: Option<Value>,
    pub missing: Option<Missing>,
}

type ReadOutcome = Result<Option<StoredCustomer>, String>;

/// A read in flight: its result, once there is one.
type InFlight = watch::Receiver<Option<ReadOutcome>>;

/// Reads customers from the Admin API, one read per (shop, customer) at a time.
#[derive(Clone)]
pub struct CustomerFacts {
    store: Store,
    credentials: Credentials,
    budget: Duration,
    /// By (shop, customer id).
    in_flight: Arc<Mutex<HashMap<(String, u64), InFlight>>>,
}

impl CustomerFacts {
    pub fn new(store: Store, credentials: Credentials, budget: Duration) -> Self {
        Self {
            store,
            credentials,
            budget,
            in_flight: Arc::default(),
        }
    }

    /// The Function's `customer` for this purchase. `stored` is the purchase's customer row as
    /// the offer's first read found it; `wanted` is false when no live campaign reads customers.
    pub async fn for_offer(
        &self,
        purchase: &VerifiedPurchase,
        currency: &str,
        stored: Option<StoredCustomer>,
        wanted: bool,
    ) -> ForOffer {
        let Some(customer) = purchase.customer_id.as_deref() else {
            return ForOffer::default();
        };
        let known = |s: StoredCustomer| ForOffer {
            customer: Some(for_function(&s, purchase, currency)),
            missing: None,
        };
        match stored {
            Some(s) if s.read_at.is_none() || s.read_for == Some(purchase.reference_id.clone()) => {
                return known(s)
            }
            _ if !wanted => return ForOffer::default(),
            _ => {}
        }
        let missing = |code, detail: String| ForOffer {
            customer: None,
            missing: Some(Missing { code, detail }),
        };
        let (Ok(shop), Some(id)) = (
            ShopDomain::parse(&purchase.shop_domain),
            customer.parse().ok().and_then(CustomerId::new),
        ) else {
            return missing(
                "CUSTOMER_FACTS_UNAVAILABLE",
                format!("customer id {customer:?} is not a Shopify customer id"),
            );
        };
        let mut rx = self.read(shop, id, currency, &purchase.reference_id);
        let waited = tokio::time::timeout(self.budget, rx.wait_for(Option::is_some)).await;
        let outcome = match waited {
            Ok(Ok(outcome)) => outcome.clone().expect("waited for a value"),
            Ok(Err(_)) => Err("the read ended without an answer".into()),
            Err(_) => {
                return missing(
                    "CUSTOMER_FACTS_LATE",
                    format!(
                        "Shopify did not answer within {} ms; decided as for an unknown customer",
                        self.budget.as_millis()
                    ),
                )
            }
        };
        match outcome {
            Ok(Some(s)) => known(s),
            Ok(None) => missing(
                "CUSTOMER_FACTS_UNAVAILABLE",
                format!("Shopify has no customer {customer}"),
            ),
            // Not installed: the shop's customers come from the operator route, and this one
            // was not loaded.
            Err(e) if e == NOT_INSTALLED => ForOffer::default(),
            Err(e) => missing(
                "CUSTOMER_FACTS_UNAVAILABLE",
                format!("{e}; decided as for an unknown customer"),
            ),
        }
    }

    /// The running read of this customer, or a new one.
    fn read(&self, shop: ShopDomain, id: CustomerId, currency: &str, purchase: &str) -> InFlight {
        let key = (shop.as_str().to_string(), id.get());
        let mut in_flight = self.in_flight.lock().expect("in-flight lock");
        if let Some(rx) = in_flight.get(&key) {
            return rx.clone();
        }
        let (tx, rx) = watch::channel(None);
        in_flight.insert(key.clone(), rx.clone());
        drop(in_flight);
        let this = self.clone();
        let (currency, purchase) = (currency.to_string(), purchase.to_string());
        tokio::spawn(async move {
            let outcome = this.read_and_store(&shop, id, &currency, &purchase).await;
            if let Err(e) = &outcome {
                if e != NOT_INSTALLED {
                    tracing::warn!(shop = %shop, customer = id.get(), error = %e, "customer facts could not be read");
                }
            }
            this.in_flight.lock().expect("in-flight lock").remove(&key);
            let _ = tx.send(Some(outcome));
        });
        rx
    }

    async fn read_and_store(
        &self,
        shop: &ShopDomain,
        id: CustomerId,
        shop_currency: &str,
        purchase: &str,
    ) -> ReadOutcome {
        let admin = match self.credentials.admin_client(shop).await {
            Ok(admin) => admin,
            Err(AccessError::NotInstalled(_)) => return Err(NOT_INSTALLED.into()),
            Err(e) => return Err(e.to_string()),
        };
        let read_at = crate::clock::now();
        // The token is good for at least five minutes (`admin_client`); a 401 fails this read
        // and the purchase's next step reads again.
        let customer = admin
            .client()
            .customer(admin.token(), id)
            .await
            .map_err(|e| e.to_string())?;
        let Some(c) = customer else {
            return Ok(None);
        };
        // Triggers compare amounts in the shop currency, as Shopify reports amountSpent.
        let currency = Currency::from_code(&c.currency)
            .filter(|_| c.currency.eq_ignore_ascii_case(shop_currency))
            .ok_or_else(|| {
                format!(
                    "amountSpent is in {}, not the shop currency {shop_currency}",
                    c.currency
                )
            })?;
        let last_order_at = match c.last_order_at.as_deref() {
            Some(text) => Some(
                crate::catalog::rows::unix_seconds(text)
                    .ok_or_else(|| format!("lastOrder.createdAt {text:?} is not RFC 3339"))?,
            ),
            None => None,
        };
        let stored = StoredCustomer {
            data: json!({
                "id": id.get().to_string(),
                "tags": c.tags,
                "numberOfOrders": c.number_of_orders,
                "amountSpent": {"amount": currency.format(c.amount_spent_minor), "currencyCode": c.currency},
            }),
            read_at: Some(read_at),
            read_for: Some(purchase.to_string()),
            last_order_at,
        };
        self.store
            .save_customer(shop.as_str(), &stored)
            .await
            .map_err(|e| e.to_string())?;
        Ok(Some(stored))
    }
}

/// The error text of a shop without credentials (not an error for the offer).
const NOT_INSTALLED: &str = "not installed";

/// True when Shopify's figures already count the purchase on the page (see the module docs).
pub fn counts_this_purchase(last_order_at: Option<i64>, purchase_issued_at: i64) -> bool {
    last_order_at.is_some_and(|at| at >= purchase_issued_at - THIS_ORDER_WINDOW_SECONDS)
}

/// The Function's `customer` from a stored row: operator rows as loaded; Shopify's figures with
/// the purchase added when Shopify had not counted it yet.
pub fn for_function(s: &StoredCustomer, purchase: &VerifiedPurchase, currency: &str) -> Value {
    let mut data = s.data.clone();
    if s.read_at.is_none() || counts_this_purchase(s.last_order_at, purchase.issued_at) {
        return data;
    }
    if let Some(n) = data.get("numberOfOrders").and_then(Value::as_u64) {
        data["numberOfOrders"] = json!(n.saturating_add(1));
    }
    // The purchase's total is added only in the shop currency; a total that cannot be read
    // leaves the amount as Shopify gave it (under-counting, never inventing money).
    let added = Currency::from_code(currency).and_then(|c| {
        let spent = c
            .parse(data.pointer("/amountSpent/amount")?.as_str()?)
            .ok()?;
        if !purchase
            .total_shop
            .currency_code
            .eq_ignore_ascii_case(currency)
        {
            return None;
        }
        let total = c.parse(&purchase.total_shop.amount).ok()?;
        Some(c.format(spent.saturating_add(total)))
    });
    if let Some(amount) = added {
        data["amountSpent"]["amount"] = json!(amount);
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;
    use encore_shopify::post_purchase::token::Money;

    fn purchase(issued_at: i64, total: &str) -> VerifiedPurchase {
        let money = Money {
            amount: total.into(),
            currency_code: "USD".into(),
        };
        VerifiedPurchase {
            shop_domain: "s.myshopify.com".into(),
            reference_id: "r".into(),
            customer_id: Some("7".into()),
            destination_country_code: None,
            total_shop: money.clone(),
            total_presentment: money,
            lines: vec![],
            locale: "en".into(),
            issued_at,
        }
    }

    fn read(orders: u64, spent: &str, read_at: i64, last_order_at: Option<i64>) -> StoredCustomer {
        StoredCustomer {
            data: json!({"id": "7", "tags": ["vip"], "numberOfOrders": orders, "amountSpent": {"amount": spent}}),
            read_at: Some(read_at),
            read_for: Some("r".into()),
            last_order_at,
        }
    }

    #[test]
    fn a_first_order_shopify_has_not_counted_yet_is_added_so_the_function_sees_one_order() {
        let p = purchase(10_000, "25.50");
        let c = for_function(&read(0, "0.00", 10_001, None), &p, "USD");
        assert_eq!(c["numberOfOrders"], 1);
        assert_eq!(c["amountSpent"]["amount"], "25.50");
    }

    #[test]
    fn a_purchase_shopify_already_counted_is_not_counted_twice() {
        let p = purchase(10_000, "25.50");
        let c = for_function(&read(1, "25.50", 10_001, Some(10_000 - 30)), &p, "USD");
        assert_eq!(c["numberOfOrders"], 1);
        assert_eq!(c["amountSpent"]["amount"], "25.50");
    }

    #[test]
    fn an_order_older_than_the_window_is_an_earlier_order_and_the_purchase_is_added() {
        let p = purchase(10_000, "10.00");
        let earlier = 10_000 - THIS_ORDER_WINDOW_SECONDS - 1;
        let c = for_function(&read(4, "100.00", 10_001, Some(earlier)), &p, "USD");
        assert_eq!(c["numberOfOrders"], 5);
        assert_eq!(c["amountSpent"]["amount"], "110.00");
    }

    #[test]
    fn operator_loaded_customers_are_taken_as_given() {
        let p = purchase(10_000, "10.00");
        let mut s = read(3, "812.50", 0, None);
        s.read_at = None;
        assert_eq!(for_function(&s, &p, "USD"), s.data);
    }

    #[test]
    fn a_total_in_another_currency_is_not_added_to_the_amount_spent() {
        let mut p = purchase(10_000, "10.00");
        p.total_shop.currency_code = "EUR".into();
        let c = for_function(&read(2, "50.00", 10_001, None), &p, "USD");
        assert_eq!(c["numberOfOrders"], 3);
        assert_eq!(c["amountSpent"]["amount"], "50.00");
    }
}
