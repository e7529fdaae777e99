//! Order histories as Shopify gives them: the orders bulk query's JSONL (an order row, then a
//! row per line item naming it by `__parentId`, in the 2026-10 schema's field names) and the
//! `orders/create` payload (Shopify's example with the order's values written over it). The
//! orders come from `encore-mining`'s generator, so tests know which pairs were planted.

use bytes::Bytes;
use encore_mining::generate::{History, HistorySpec};
use encore_mining::{Day, Order};
use serde_json::{json, Value};

use crate::payloads::example;

/// An order's `createdAt`: its day, with the time of day spread by its place in the history so
/// that creation order is id order.
pub fn created_at(spec: &HistorySpec, order: &Order) -> String {
    let (y, m, d) = order.day.ymd();
    let i = order.id.0.saturating_sub(spec.first_order_id);
    let days = u64::from(spec.days.max(1));
    let orders = spec.orders.max(1);
    let seconds = (i * days % orders) * 86_400 / orders;
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    )
}

/// The line item id of an order's `k`-th line.
pub fn line_item_id(order: &Order, k: usize) -> u64 {
    order.id.0 * 1000 + k as u64
}

/// The orders of `spec` that a search `created_at:>=since` finds.
pub fn orders_since(spec: &HistorySpec, since: Option<Day>) -> impl Iterator<Item = Order> {
    History::new(spec.clone()).filter(move |o| since.is_none_or(|s| o.day >= s))
}

/// (objectCount, rootObjectCount) of an orders bulk operation.
pub(crate) fn object_count(spec: &HistorySpec, since: Option<Day>) -> (u64, u64) {
    orders_since(spec, since).fold((0, 0), |(objects, roots), o| {
        (objects + 1 + o.products.len() as u64, roots + 1)
    })
}

/// The result file, one order and its line items per chunk.
pub(crate) fn chunks(spec: HistorySpec, since: Option<Day>) -> impl Iterator<Item = Bytes> {
    let times = spec.clone();
    orders_since(&spec, since).map(move |order| {
        let gid = format!("gid://shopify/Order/{}", order.id.0);
        let mut out = json!({"id": gid, "createdAt": created_at(&times, &order)}).to_string();
        out.push('\n');
        for (k, product) in order.products.iter().enumerate() {
            out.push_str(
                &json!({
                    "id": format!("gid://shopify/LineItem/{}", line_item_id(&order, k)),
                    "quantity": 1,
                    "product": {"id": format!("gid://shopify/Product/{product}")},
                    "__parentId": gid,
                })
                .to_string(),
            );
            out.push('\n');
        }
        Bytes::from(out)
    })
}

/// The day a search `created_at:>=YYYY-MM-DD` starts on; `None` when the query has no such
/// search (all history).
pub(crate) fn since(query: &str) -> Option<Day> {
    let at = query.find("created_at:>=")? + "created_at:>=".len();
    let date = query.get(at..at + 10)?;
    Day::from_rfc3339(&format!("{date}T00:00:00Z"))
}

/// `orders/create` for a generated order: Shopify's example with the order's id, time and a
/// line item per product (each of quantity 1, at the example line's price).
pub fn order_created(spec: &HistorySpec, order: &Order) -> Value {
    let mut body = example("orders/create").expect("vendored");
    let template = body["line_items"][0].clone();
    body["id"] = json!(order.id.0);
    body["admin_graphql_api_id"] = json!(format!("gid://shopify/Order/{}", order.id.0));
    body["name"] = json!(format!("#{}", order.id.0 % 1_000_000));
    body["created_at"] = json!(created_at(spec, order));
    body["line_items"] = order
        .products
        .iter()
        .enumerate()
        .map(|(k, product)| {
            let mut line = template.clone();
            let id = line_item_id(order, k);
            line["id"] = json!(id);
            line["admin_graphql_api_id"] = json!(format!("gid://shopify/LineItem/{id}"));
            line["product_id"] = json!(product.parse::<u64>().ok());
            line["quantity"] = json!(1);
            line["current_quantity"] = json!(1);
            line
        })
        .collect();
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_search_date_is_read_from_the_bulk_query() {
        assert_eq!(
            since("orders(query: \"created_at:>=2026-09-28\", sortKey: CREATED_AT)"),
            Some(Day(20_724))
        );
        assert_eq!(since("orders(sortKey: CREATED_AT)"), None);
    }

    #[test]
    fn creation_times_follow_order_ids_within_a_day() {
        let spec = HistorySpec::new(1, 600, 50);
        let times: Vec<(Day, String)> = History::new(spec.clone())
            .map(|o| (o.day, created_at(&spec, &o)))
            .collect();
        for pair in times.windows(2) {
            assert!(pair[0].1 < pair[1].1, "{pair:?}");
            assert_eq!(Day::from_rfc3339(&pair[0].1), Some(pair[0].0));
        }
    }
}
