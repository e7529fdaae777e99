//! The catalog's rows as `graphql/catalog_bulk.graphql` selects them, typed.

use serde::Deserialize;

use crate::ids::{CollectionId, InventoryItemId, ProductId, SellingPlanGroupId, VariantId};
use crate::money::WireMoney;

/// A product and what hangs under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRecord {
    pub id: ProductId,
    pub title: String,
    pub handle: String,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    pub updated_at: String,
    pub requires_selling_plan: bool,
    pub image_url: Option<String>,
    pub image_alt: Option<String>,
    pub collections: Vec<CollectionRef>,
    pub selling_plan_groups: Vec<SellingPlanGroupRef>,
    pub variants: Vec<VariantRecord>,
}

/// A product's status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductStatus {
    Active,
    Archived,
    Draft,
    Unlisted,
}

/// A variant, its price in minor units of the shop's currency.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantRecord {
    pub id: VariantId,
    pub title: String,
    pub sku: Option<String>,
    pub price_minor: i64,
    pub compare_at_price_minor: Option<i64>,
    pub inventory_policy: InventoryPolicy,
    /// What Shopify would sell online now (summed over the locations that sell online).
    pub sellable_online_quantity: i64,
    pub inventory_quantity: Option<i64>,
    pub available_for_sale: bool,
    pub updated_at: String,
    pub inventory_item: InventoryItem,
}

/// Whether a variant sells when out of stock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InventoryPolicy {
    Deny,
    Continue,
}

/// A variant's inventory item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryItem {
    pub id: InventoryItemId,
    pub tracked: bool,
    pub requires_shipping: bool,
    /// The unit cost in minor units of its own currency, when the merchant entered one.
    pub unit_cost: Option<(i64, String)>,
}

/// A collection the product belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CollectionRef {
    pub id: CollectionId,
    pub handle: String,
    pub title: String,
}

/// A selling plan group the product belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct SellingPlanGroupRef {
    pub id: SellingPlanGroupId,
    pub name: String,
}

/// A product line as Shopify writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProductRow {
    pub id: ProductId,
    pub title: String,
    pub handle: String,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    pub status: ProductStatus,
    pub updated_at: String,
    pub requires_selling_plan: bool,
    pub featured_media: Option<MediaRow>,
}

#[derive(Deserialize)]
pub(crate) struct MediaRow {
    pub preview: Option<PreviewRow>,
}

#[derive(Deserialize)]
pub(crate) struct PreviewRow {
    pub image: Option<ImageRow>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ImageRow {
    pub url: String,
    pub alt_text: Option<String>,
}

/// A variant line as Shopify writes it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VariantRow {
    pub id: VariantId,
    pub title: String,
    pub sku: Option<String>,
    pub price: String,
    pub compare_at_price: Option<String>,
    pub inventory_policy: InventoryPolicy,
    pub sellable_online_quantity: i64,
    pub inventory_quantity: Option<i64>,
    pub available_for_sale: bool,
    pub updated_at: String,
    pub inventory_item: InventoryItemRow,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InventoryItemRow {
    pub id: InventoryItemId,
    pub tracked: bool,
    pub requires_shipping: bool,
    pub unit_cost: Option<WireMoney>,
}
