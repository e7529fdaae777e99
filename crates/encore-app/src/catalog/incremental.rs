//! Catalog webhooks: products/create|update|delete, inventory_levels/update and
//! collections/update, each applied in one transaction together with its delivery receipt, so
//! a delivery is recorded as handled exactly when its effect is committed.
//!
//! Deliveries arrive late, twice and out of order. A redelivery finds its receipt and changes
//! nothing; an update older than what is stored (Shopify's `updated_at`, compared as instants)
//! is recorded and ignored; a removed product stays removed against older updates.

use std::collections::{BTreeSet, HashMap};

use encore_engine::money::Currency;
use encore_shopify::webhook::{
    CollectionPayload, InventoryLevelPayload, Payload, ProductPayload, Topic,
};
use serde_json::Value;

use super::rows::{self, KeptVariantFacts, PayloadError};
use encore_store::tx::Tx;
use encore_store::{Store, StoreError};

/// The delivery a change came with.
#[derive(Debug, Clone)]
pub struct Receipt<'a> {
    pub webhook_id: &'a str,
    pub shop: &'a str,
    pub topic: &'a str,
}

/// What a delivery came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    /// The catalog changed (and the shop's data_version with it).
    Changed,
    /// Older than what is stored, or about a shop or item Encore does not know: recorded only.
    Ignored,
    /// This delivery was handled before.
    Duplicate,
}

/// Why a catalog webhook could not be applied (nothing was recorded).
#[derive(Debug, thiserror::Error)]
pub enum IncrementalError {
    #[error(transparent)]
    Payload(#[from] PayloadError),
    #[error("updated_at {0:?} is not an RFC 3339 time")]
    Time(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<serde_json::Error> for IncrementalError {
    fn from(e: serde_json::Error) -> Self {
        Self::Store(e.into())
    }
}

type Result<T> = std::result::Result<T, IncrementalError>;

/// True for the topics this module applies.
pub fn is_catalog_topic(topic: &Topic) -> bool {
    matches!(
        topic,
        Topic::ProductsCreate
            | Topic::ProductsUpdate
            | Topic::ProductsDelete
            | Topic::InventoryLevelsUpdate
            | Topic::CollectionsUpdate
    )
}

/// Applies a catalog delivery and records its receipt in the same transaction.
pub async fn apply(
    store: &Store,
    receipt: &Receipt<'_>,
    payload: &Payload,
    now: i64,
) -> Result<Applied> {
    // The receipt first: a redelivery stops here.
    let Some(mut tx) = store
        .begin_delivery(receipt.webhook_id, receipt.shop, receipt.topic, now)
        .await?
    else {
        return Ok(Applied::Duplicate);
    };
    let currency = tx.lock_shop(receipt.shop).await?;
    // The products this delivery changed, for the caches to re-read (facts_cache).
    let mut touched = BTreeSet::new();
    let applied = match (currency, payload) {
        (None, _) => Applied::Ignored,
        (Some(code), Payload::ProductUpsert(p)) => {
            let currency = Currency::from_code(&code).ok_or_else(|| PayloadError {
                variant: String::new(),
                reason: format!("the shop's currency {code} is unknown"),
            })?;
            touched.insert(p.id.get().to_string());
            upsert_product(&mut tx, receipt.shop, p, &currency, now).await?
        }
        (Some(_), Payload::ProductDelete(d)) => {
            let id = d.id.get().to_string();
            tx.remove_product(receipt.shop, &id, now).await?;
            touched.insert(id);
            Applied::Changed
        }
        (Some(_), Payload::InventoryLevel(l)) => {
            inventory_level(&mut tx, receipt.shop, l, &mut touched).await?
        }
        (Some(_), Payload::Collection(c)) => collection(&mut tx, receipt.shop, c).await?,
        (Some(_), _) => Applied::Ignored,
    };
    if applied == Applied::Changed {
        tx.record_change(receipt.shop, &touched).await?;
    }
    tx.commit().await?;
    Ok(applied)
}

fn time_of(text: Option<&str>) -> Result<Option<i64>> {
    text.map(|t| rows::unix_seconds(t).ok_or_else(|| IncrementalError::Time(t.to_string())))
        .transpose()
}

async fn upsert_product(
    tx: &mut Tx,
    shop: &str,
    p: &ProductPayload,
    currency: &Currency,
    now: i64,
) -> Result<Applied> {
    let id = p.id.get().to_string();
    let incoming = time_of(p.updated_at.as_deref())?;
    let (known, stored) = tx.product_known_at(shop, &id).await?;
    if let (Some(known), Some(incoming)) = (known, incoming) {
        if incoming < known {
            return Ok(Applied::Ignored);
        }
    }
    if p.status
        .as_deref()
        .is_some_and(|s| !s.eq_ignore_ascii_case("active"))
    {
        tx.remove_product(shop, &id, incoming.unwrap_or(now))
            .await?;
        return Ok(Applied::Changed);
    }
    let kept: HashMap<String, Value> = tx.product_variants(shop, &id).await?;
    let mut levels: HashMap<u64, i64> = HashMap::new();
    for item in p.variants.iter().filter_map(|v| v.inventory_item_id) {
        if let Some(sum) = tx.levels_sum(shop, &item.get().to_string()).await? {
            levels.insert(item.get(), sum);
        }
    }
    let collections = stored
        .as_ref()
        .and_then(|d| d.get("collectionIds").cloned())
        .unwrap_or_else(|| Value::Array(Vec::new()));
    let (product, variants) =
        rows::product_from_webhook(p, collections, currency, |v| KeptVariantFacts {
            data: kept.get(&v.id.get().to_string()).cloned(),
            levels_sum: v
                .inventory_item_id
                .and_then(|i| levels.get(&i.get()).copied()),
        })?;
    tx.replace_product(shop, &product, &variants, now).await?;
    Ok(Applied::Changed)
}

/// Keeps the level per item and location; the item's variants take the sum over locations
/// (the Function applies tracking and the out-of-stock policy to it).
async fn inventory_level(
    tx: &mut Tx,
    shop: &str,
    l: &InventoryLevelPayload,
    touched: &mut BTreeSet<String>,
) -> Result<Applied> {
    let at = time_of(Some(&l.updated_at))?.unwrap_or_default();
    let item = l.inventory_item_id.get().to_string();
    let location = l.location_id.get().to_string();
    if !tx
        .upsert_inventory_level(shop, &item, &location, l.available, at)
        .await?
    {
        return Ok(Applied::Ignored);
    }
    let sum = tx.levels_sum(shop, &item).await?.unwrap_or_default();
    let variants = tx.item_variants(shop, &item).await?;
    if variants.is_empty() {
        return Ok(Applied::Ignored);
    }
    for mut v in variants {
        touched.insert(v.product_id);
        if let Some(inventory) = v.data.get_mut("inventory").and_then(Value::as_object_mut) {
            inventory.insert("available".into(), Value::from(sum));
        }
        tx.set_variant_data(shop, &v.variant_id, &v.data).await?;
    }
    Ok(Applied::Changed)
}

/// Keeps a collection's handle and title (the payload does not list its products; membership
/// comes with full syncs). The Function reads only collection ids, so offers do not change.
async fn collection(tx: &mut Tx, shop: &str, c: &CollectionPayload) -> Result<Applied> {
    let at = time_of(c.updated_at.as_deref())?.unwrap_or_default();
    tx.upsert_collection(shop, &c.id.get().to_string(), &c.handle, &c.title, at)
        .await?;
    Ok(Applied::Ignored)
}
