//! The per-shop facts an offer reads (live config, catalog, co-purchases), cached per instance
//! and kept true across instances.
//!
//! - **Versioned and consistent.** A load reads the shop's `data_version` and every table in one
//!   snapshot (one read transaction; REPEATABLE READ on PostgreSQL), and the facts carry the
//!   version they were read at — never the version the caller happened to see.
//! - **Single-flight.** Loads of one shop are serialized on this instance: concurrent misses wait
//!   for the one load in flight and use its result, and since each load starts after the
//!   previous one ended, an older snapshot can never replace a newer one.
//! - **Incremental.** Catalog webhooks write the products they changed next to the version bump
//!   (`facts_changes`, `Tx::record_change`). A load that finds every version since the cached one
//!   in that log re-reads only those products (an inventory update: one product) and shares the
//!   rest with the cached facts; anything else (a config, a full sync's switch, an operator
//!   load) reloads everything.
//! - **Across instances.** On PostgreSQL a trigger on `shops` sends `NOTIFY encore_facts` with
//!   the shop and its new version when a change commits (migration 0009); every instance
//!   listens ([`listen`]) and refreshes a shop it has cached before the next offer asks. The
//!   version check on every offer stays the safety net for a notification lost to a dropped
//!   connection. SQLite is one instance: its version check is enough.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use serde_json::Value;

use encore_store::facts::{Notifications, Snapshot};
use encore_store::shops::ShopRow;
use encore_store::{Backend, Store, StoreError};

/// The products changed since the cached version above which a load reloads everything.
const MAX_PATCHED_PRODUCTS: usize = 500;

/// The PostgreSQL channel the `shops` trigger notifies.
pub const CHANNEL: &str = "encore_facts";

/// A config's compiled forms, by the shop currency code each was compiled for.
type CompiledConfigs = Vec<(String, Arc<str>)>;

/// Everything about a shop that changes only through admin writes, syncs and catalog webhooks.
#[derive(Debug, Clone, Default)]
pub struct ShopFacts {
    /// The shop's `data_version` in the snapshot these facts were read from.
    pub data_version: i64,
    /// The shop row's `created_at`: a shop redacted and installed again starts its versions over.
    pub shop_created_at: i64,
    /// The live config, the merchant's JSON in canonical key order: set only by
    /// [`ShopFacts::set_config`], which also drops its compiled forms.
    config: Option<Value>,
    /// The live config compiled (`encore_engine::compiled`) as the Function's metafield
    /// `value`, per shop currency: compiled at the first offer of a config version (and
    /// currency), shared by every copy of these facts, not per offer
    /// ([`ShopFacts::compiled_config`]).
    compiled_config: Arc<Mutex<CompiledConfigs>>,
    /// The product facts the live config's triggers name: all a purchased line carries into
    /// the Function input (computed once per config version).
    pub named_facts: encore_engine::named_facts::NamedFacts,
    /// Some live campaign has a customer trigger (the offer reads the buyer's facts only then).
    pub reads_customer: bool,
    /// Product facts by product id: {id, title, imageUrl, tags, productType, vendor, collectionIds}.
    pub products: BTreeMap<String, Arc<Value>>,
    /// CatalogVariant objects as the Function's input has them (with `product`), grouped by
    /// product id, each group by variant id: shared between versions, replaced per product.
    pub catalog: BTreeMap<String, Arc<Vec<Value>>>,
    /// The product id of every variant in `catalog`: an offer looks up the few variants its
    /// campaigns name instead of walking the catalog. Shared between versions until a change
    /// adds or removes variants.
    pub variant_products: Arc<HashMap<String, String>>,
    /// Co-purchase pairs ({productId, suggestedProductId, liftPermille}) by purchased product
    /// id, each list in the order loaded: an offer reads the pairs of the products bought, not
    /// every pair of the shop (a mined shop has tens of thousands).
    pub co_purchases: BTreeMap<String, Vec<Value>>,
}

impl ShopFacts {
    /// Sets the live config (put in canonical key order) and the product facts its triggers
    /// name; its compiled forms are made again as offers ask for them.
    pub fn set_config(&mut self, config: Option<&Value>) {
        self.config = config.map(encore_engine::config::canonical_order);
        self.compiled_config = Arc::default();
        self.named_facts = self
            .config
            .as_ref()
            .map(encore_engine::named_facts::NamedFacts::of_config)
            .unwrap_or_default();
    }

    /// The live config, the merchant's JSON in canonical key order.
    pub fn config(&self) -> Option<&Value> {
        self.config.as_ref()
    }

    /// The live config compiled for a shop whose currency is `currency_code`: compiled once
    /// per config version and currency.
    pub fn compiled_config(&self, currency_code: &str) -> Option<Arc<str>> {
        let config = self.config.as_ref()?;
        let mut compiled = self
            .compiled_config
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if let Some((_, text)) = compiled.iter().find(|(code, _)| code == currency_code) {
            return Some(Arc::clone(text));
        }
        let text: Arc<str> = Arc::from(encore_engine::compiled::compile(config, currency_code));
        compiled.push((currency_code.to_owned(), Arc::clone(&text)));
        Some(text)
    }

    /// Replaces the co-purchase pairs, grouped by their `productId`.
    pub fn set_co_purchases(&mut self, pairs: impl IntoIterator<Item = Value>) {
        self.co_purchases.clear();
        for pair in pairs {
            let product = pair
                .get("productId")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            self.co_purchases.entry(product).or_default().push(pair);
        }
    }

    /// Facts from product rows and variant rows `(product id, variant id, data)`; the variants
    /// get their product embedded, as the Function reads them.
    pub fn from_rows(
        products: impl IntoIterator<Item = (String, Value)>,
        variants: impl IntoIterator<Item = (String, String, Value)>,
    ) -> Self {
        let products: BTreeMap<String, Arc<Value>> = products
            .into_iter()
            .map(|(id, p)| (id, Arc::new(p)))
            .collect();
        let mut grouped: BTreeMap<String, BTreeMap<String, Value>> = BTreeMap::new();
        let mut variant_products = HashMap::new();
        for (product, variant, data) in variants {
            variant_products.insert(variant.clone(), product.clone());
            grouped.entry(product).or_default().insert(variant, data);
        }
        let catalog = grouped
            .into_iter()
            .map(|(product, variants)| {
                let group = embed(products.get(&product), variants.into_values());
                (product, Arc::new(group))
            })
            .collect();
        Self {
            products,
            catalog,
            variant_products: Arc::new(variant_products),
            ..Self::default()
        }
    }

    /// A variant by id, as the Function reads it, with its product id.
    pub fn variant(&self, id: &str) -> Option<(&str, &Value)> {
        let (_, product) = self.variant_products.get_key_value(id)?;
        let found = self.catalog.get(product)?.iter().find(|v| v["id"] == id)?;
        Some((product.as_str(), found))
    }

    /// Every variant, by product id then variant id.
    pub fn variants(&self) -> impl Iterator<Item = &Value> {
        self.catalog.values().flat_map(|group| group.iter())
    }
}

fn embed(product: Option<&Arc<Value>>, variants: impl Iterator<Item = Value>) -> Vec<Value> {
    variants
        .map(|mut data| {
            if let (Some(obj), Some(p)) = (data.as_object_mut(), product) {
                obj.insert("product".into(), (**p).clone());
            }
            data
        })
        .collect()
}

/// How the cache got its facts (for the benchmark and the tests).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheCounts {
    /// Everything read.
    pub full_loads: u64,
    /// Only the changed products read.
    pub patches: u64,
    /// Refreshes started by another instance's notification.
    pub notified: u64,
}

#[derive(Default)]
struct Slot {
    current: Mutex<Option<Arc<ShopFacts>>>,
    /// Held while loading: one load per shop at a time on this instance.
    loading: tokio::sync::Mutex<()>,
}

impl Slot {
    fn current(&self) -> Option<Arc<ShopFacts>> {
        self.current.lock().expect("facts slot").clone()
    }
}

/// The per-shop facts of this instance.
#[derive(Default)]
pub struct FactsCache {
    shops: Mutex<HashMap<String, Arc<Slot>>>,
    counts: Mutex<CacheCounts>,
}

impl FactsCache {
    fn slot(&self, shop: &str) -> Arc<Slot> {
        self.shops
            .lock()
            .expect("facts cache")
            .entry(shop.to_string())
            .or_default()
            .clone()
    }

    /// The cached facts of a shop, if any (whatever their version).
    pub fn peek(&self, shop: &str) -> Option<Arc<ShopFacts>> {
        let slot = self.shops.lock().expect("facts cache").get(shop).cloned();
        slot.and_then(|s| s.current())
    }

    pub fn counts(&self) -> CacheCounts {
        *self.counts.lock().expect("facts counts")
    }

    /// Forgets a shop (uninstalled or redacted).
    pub fn forget(&self, shop: &str) {
        self.shops.lock().expect("facts cache").remove(shop);
    }

    /// The shop's facts at `shop.data_version` or newer: cached, patched or loaded.
    pub async fn get(&self, store: &Store, shop: &ShopRow) -> Result<Arc<ShopFacts>, StoreError> {
        let slot = self.slot(&shop.domain);
        let fresh = |f: &Option<Arc<ShopFacts>>| {
            f.as_ref()
                .filter(|f| f.data_version == shop.data_version)
                .cloned()
        };
        if let Some(f) = fresh(&slot.current()) {
            return Ok(f);
        }
        let _loading = slot.loading.lock().await;
        // A load that ran while this one waited may have brought it.
        if let Some(f) = fresh(&slot.current()) {
            return Ok(f);
        }
        self.refresh(store, &shop.domain, &slot).await
    }

    /// Brings a cached shop up to date in the background after another instance's change.
    fn notified(self: &Arc<Self>, store: &Store, shop: &str, version: i64) {
        let Some(slot) = self.shops.lock().expect("facts cache").get(shop).cloned() else {
            return; // never asked for here: nothing to refresh
        };
        if version == 0 {
            self.forget(shop);
            return;
        }
        if slot.current().is_some_and(|f| f.data_version >= version) {
            return; // this instance's own change, already loaded
        }
        self.counts.lock().expect("facts counts").notified += 1;
        let (this, store, shop) = (self.clone(), store.clone(), shop.to_string());
        tokio::spawn(async move {
            let _loading = slot.loading.lock().await;
            if slot.current().is_some_and(|f| f.data_version >= version) {
                return;
            }
            if let Err(e) = this.refresh(&store, &shop, &slot).await {
                tracing::warn!(shop = %shop, error = %e, "facts refresh after a notification failed; the next offer reloads");
            }
        });
    }

    /// Loads (or patches) under the slot's loading lock and installs the result.
    async fn refresh(
        &self,
        store: &Store,
        shop: &str,
        slot: &Slot,
    ) -> Result<Arc<ShopFacts>, StoreError> {
        let base = slot.current();
        let (facts, how) = load(store, shop, base.as_deref()).await?;
        let facts = match (how, base) {
            (How::Unchanged, Some(base)) => base,
            _ => Arc::new(facts),
        };
        {
            let mut counts = self.counts.lock().expect("facts counts");
            match how {
                How::Full => counts.full_loads += 1,
                How::Patched => counts.patches += 1,
                How::Unchanged => {}
            }
        }
        *slot.current.lock().expect("facts slot") = Some(facts.clone());
        Ok(facts)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    Full,
    Patched,
    Unchanged,
}

/// Loads a shop's facts in one snapshot, patching `base` when the change log allows.
async fn load(
    store: &Store,
    shop: &str,
    base: Option<&ShopFacts>,
) -> Result<(ShopFacts, How), StoreError> {
    let mut snapshot = store.snapshot().await?;
    let Some((version, created_at)) = snapshot.shop_version(shop).await? else {
        snapshot.end().await?;
        return Ok((ShopFacts::default(), How::Full));
    };
    let result = match base.filter(|b| b.shop_created_at == created_at) {
        Some(b) if b.data_version == version => (ShopFacts::default(), How::Unchanged),
        Some(b) if b.data_version < version => {
            match snapshot
                .changed_products(shop, b.data_version, version, MAX_PATCHED_PRODUCTS)
                .await?
            {
                Some(changed) => (
                    patch(&mut snapshot, shop, b, version, &changed).await?,
                    How::Patched,
                ),
                None => (
                    full(&mut snapshot, shop, version, created_at).await?,
                    How::Full,
                ),
            }
        }
        _ => (
            full(&mut snapshot, shop, version, created_at).await?,
            How::Full,
        ),
    };
    snapshot.end().await?;
    Ok(result)
}

/// `base` with the changed products (and their variants) read again.
async fn patch(
    snapshot: &mut Snapshot,
    shop: &str,
    base: &ShopFacts,
    version: i64,
    changed: &BTreeSet<String>,
) -> Result<ShopFacts, StoreError> {
    let mut facts = base.clone();
    facts.data_version = version;
    let mut before: BTreeSet<String> = BTreeSet::new();
    for id in changed {
        facts.products.remove(id);
        if let Some(group) = facts.catalog.remove(id) {
            before.extend(
                group
                    .iter()
                    .filter_map(|v| v["id"].as_str().map(str::to_string)),
            );
        }
    }
    if changed.is_empty() {
        return Ok(facts);
    }
    let rows = snapshot.catalog_of(shop, Some(changed)).await?;
    let fresh = ShopFacts::from_rows(rows.products, rows.variants);
    // An inventory update keeps the same variants: the index is shared as it is.
    let after: BTreeSet<&String> = fresh.variant_products.keys().collect();
    if after.len() != before.len() || after.iter().any(|v| !before.contains(*v)) {
        let index = Arc::make_mut(&mut facts.variant_products);
        for gone in &before {
            index.remove(gone);
        }
        index.extend(
            fresh
                .variant_products
                .iter()
                .map(|(v, p)| (v.clone(), p.clone())),
        );
    }
    facts.products.extend(fresh.products);
    facts.catalog.extend(fresh.catalog);
    Ok(facts)
}

/// Everything, in the snapshot.
async fn full(
    snapshot: &mut Snapshot,
    shop: &str,
    version: i64,
    created_at: i64,
) -> Result<ShopFacts, StoreError> {
    let config = snapshot.live_config(shop).await?;
    let rows = snapshot.catalog_of(shop, None).await?;
    let pairs = snapshot.live_co_purchases(shop).await?;
    let mut facts = ShopFacts::from_rows(rows.products, rows.variants);
    facts.data_version = version;
    facts.shop_created_at = created_at;
    facts.reads_customer = config_reads_customer(config.as_ref());
    facts.set_config(config.as_ref());
    facts.set_co_purchases(pairs.into_iter().map(|p| {
        serde_json::json!({
            "productId": p.product_id,
            "suggestedProductId": p.suggested_product_id,
            "liftPermille": p.lift_permille,
        })
    }));
    Ok(facts)
}

/// Loads a shop's facts without a cache (the admin's catalog view, tests).
pub async fn load_uncached(store: &Store, shop: &str) -> Result<ShopFacts, StoreError> {
    Ok(load(store, shop, None).await?.0)
}

/// True when some campaign of the live configuration has a customer trigger (the only reason to
/// read a customer on the offer path).
pub fn config_reads_customer(config: Option<&Value>) -> bool {
    config
        .and_then(|c| c.get("campaigns"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|campaign| {
            campaign
                .pointer("/triggers/customer")
                .and_then(Value::as_object)
                .is_some_and(|c| !c.is_empty())
        })
}

/// Listens for other instances' changes (PostgreSQL only) until the task is aborted. sqlx's
/// listener reconnects by itself; what was sent while it was away is caught by the offers'
/// version check.
pub fn listen(
    cache: Arc<FactsCache>,
    store: Store,
    url: String,
) -> Option<tokio::task::JoinHandle<()>> {
    if store.backend() != Backend::Postgres {
        return None;
    }
    Some(tokio::spawn(async move {
        loop {
            let mut listener = match Notifications::connect(&url).await {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot listen for facts changes; retrying in 5 s");
                    tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(CHANNEL).await {
                tracing::warn!(error = %e, "LISTEN {CHANNEL} failed; retrying in 5 s");
                tokio::time::sleep(std::time::Duration::from_secs(5)).await;
                continue;
            }
            loop {
                match listener.recv().await {
                    Ok(payload) => {
                        let Some((shop, version)) = payload.rsplit_once(' ') else {
                            continue;
                        };
                        if let Ok(version) = version.parse::<i64>() {
                            cache.notified(&store, shop, version);
                        }
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "facts notifications interrupted; listening again");
                        break;
                    }
                }
            }
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_campaigns_with_customer_conditions_make_the_offer_read_customers() {
        let without = json!({"campaigns": [{"triggers": {"products": ["1"]}}, {"triggers": {"customer": {}}}]});
        let with = json!({"campaigns": [{"triggers": {}}, {"triggers": {"customer": {"orders": "first"}}}]});
        assert!(!config_reads_customer(Some(&without)));
        assert!(config_reads_customer(Some(&with)));
        assert!(!config_reads_customer(None));
    }

    #[test]
    fn variants_come_grouped_by_product_and_ordered_with_their_product_embedded() {
        let facts = ShopFacts::from_rows(
            [("p2".to_string(), json!({"id": "p2", "title": "Two"}))],
            [
                ("p2".to_string(), "v9".to_string(), json!({"id": "v9"})),
                ("p1".to_string(), "v5".to_string(), json!({"id": "v5"})),
                ("p2".to_string(), "v3".to_string(), json!({"id": "v3"})),
            ],
        );
        let ids: Vec<&str> = facts.variants().filter_map(|v| v["id"].as_str()).collect();
        assert_eq!(ids, ["v5", "v3", "v9"]);
        assert_eq!(facts.catalog["p2"][0]["product"]["title"], "Two");
        assert_eq!(facts.catalog["p1"][0].get("product"), None);
    }
}
