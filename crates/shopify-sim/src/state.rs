//! The simulator's shops: tokens, cost bucket, bulk operations, customers and orders.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use encore_mining::generate::HistorySpec;
use encore_mining::Day;

use crate::store::StoreSpec;
use crate::SimConfig;

pub(crate) struct Shared {
    pub config: SimConfig,
    pub base_url: String,
    shops: Mutex<HashMap<String, ShopState>>,
}

/// A customer the Admin API can read.
#[derive(Debug, Clone)]
pub struct SimCustomer {
    pub id: u64,
    pub tags: Vec<String>,
    pub number_of_orders: u64,
    /// Decimal string in the shop's currency.
    pub amount_spent: String,
}

/// An order the Admin API can read.
#[derive(Debug, Clone)]
pub struct SimOrder {
    pub id: u64,
    pub name: String,
    pub customer: Option<u64>,
    pub lines: Vec<SimOrderLine>,
    /// RFC 3339, UTC (`2026-11-30T10:00:00Z`): what `created_at:` searches compare.
    pub created_at: String,
    /// The order's shop-money currency; `None` is the shop's.
    pub currency: Option<String>,
    /// (namespace, key, type, value)
    pub metafields: Vec<(String, String, String, String)>,
    /// The shipping address's country code (`US`); `None`: no shipping address.
    pub shipping_country: Option<String>,
    /// The buyer's language at checkout (`customerLocale`).
    pub customer_locale: Option<String>,
}

/// A line of a simulated order.
#[derive(Debug, Clone)]
pub struct SimOrderLine {
    pub id: u64,
    pub variant: Option<u64>,
    pub product: Option<u64>,
    pub quantity: i64,
    pub unit_price: String,
    /// Line-level discounts on the whole line (a post-purchase offer's ExplicitDiscount),
    /// minor units; `discountedTotalSet` is `quantity × unit_price − discount`.
    pub discount_minor: i64,
}

pub(crate) struct AccessToken {
    pub expires_at: Option<Instant>,
    pub pair: u64,
}

pub(crate) struct RefreshToken {
    pub expires_at: Instant,
    pub pair: u64,
    /// The pair issued when this token was used; it stays usable until that pair is first used.
    pub replaced_by: Option<u64>,
}

/// What a bulk operation reads.
#[derive(Clone)]
pub(crate) enum BulkQuery {
    /// The catalog's products, variants, collections and selling plan groups.
    Catalog,
    /// The order history's orders created on or after `since` (all of them when `None`).
    Orders {
        history: HistorySpec,
        since: Option<Day>,
    },
    /// The selling plan groups, their plans and what they apply to (`crate::selling_plans`).
    SellingPlans,
}

pub(crate) struct BulkOp {
    pub id: u64,
    pub created: Instant,
    pub query: BulkQuery,
    pub spec: StoreSpec,
    /// (objectCount, rootObjectCount), computed once the operation completed (it walks the
    /// whole store or history).
    pub object_count: std::sync::Arc<std::sync::OnceLock<(u64, u64)>>,
    /// What goes wrong with its result file.
    pub faults: crate::bulk::BulkFaults,
}

pub(crate) struct ShopState {
    pub domain: String,
    pub spec: StoreSpec,
    pub access: HashMap<String, AccessToken>,
    pub refresh: HashMap<String, RefreshToken>,
    pub codes: HashMap<String, Instant>,
    pub next_pair: u64,
    pub available: f64,
    pub bucket_at: Instant,
    pub throttle_next: u32,
    pub fail_next: VecDeque<u16>,
    /// Delays before the next Admin GraphQL answers, one per request.
    pub delay_next: VecDeque<Duration>,
    /// Inventory levels set by tests: (item, location) → (available, updated_at).
    pub levels: HashMap<(u64, u64), (i64, String)>,
    pub bulk_ops: Vec<BulkOp>,
    /// Taken by the next bulk operation.
    pub next_bulk_faults: crate::bulk::BulkFaults,
    pub customers: HashMap<u64, SimCustomer>,
    pub orders: HashMap<u64, SimOrder>,
    /// The generated order history the orders bulk query reads (none: the shop has no orders).
    pub order_history: Option<HistorySpec>,
    pub admin_requests: u64,
    /// The shop's access tokens expire when its Admin request count reaches this.
    pub expire_tokens_at: Option<u64>,
    pub throttled: u64,
    /// Token endpoint requests by grant (`token_exchange`, `refresh_token`, `authorization_code`).
    pub grants: HashMap<&'static str, u64>,
    /// The next this many token answers are lost after the grant took effect.
    pub lose_token_answers: u32,
    /// Whether the merchant chose the app under Settings → Checkout → Post-purchase page.
    pub post_purchase_app_in_use: bool,
}

impl ShopState {
    fn new(domain: &str, spec: StoreSpec, bucket_max: f64) -> Self {
        Self {
            domain: domain.to_string(),
            spec,
            access: HashMap::new(),
            refresh: HashMap::new(),
            codes: HashMap::new(),
            next_pair: 1,
            available: bucket_max,
            bucket_at: Instant::now(),
            throttle_next: 0,
            fail_next: VecDeque::new(),
            delay_next: VecDeque::new(),
            levels: HashMap::new(),
            bulk_ops: Vec::new(),
            next_bulk_faults: Default::default(),
            customers: HashMap::new(),
            orders: HashMap::new(),
            order_history: None,
            admin_requests: 0,
            expire_tokens_at: None,
            throttled: 0,
            grants: HashMap::new(),
            lose_token_answers: 0,
            post_purchase_app_in_use: false,
        }
    }

    pub fn expire_access_tokens(&mut self) {
        let past = Instant::now() - Duration::from_secs(1);
        for token in self.access.values_mut() {
            token.expires_at = Some(past);
        }
    }

    /// Revokes every token of the shop (what uninstalling the app does on Shopify's side).
    pub fn revoke_tokens(&mut self) {
        self.access.clear();
        self.refresh.clear();
    }

    /// Issues a new access token (and, when expiring, a refresh token) as one pair.
    pub fn issue(&mut self, config: &SimConfig, expiring: bool) -> Issued {
        let pair = self.next_pair;
        self.next_pair += 1;
        let access = format!("shpat_{:032x}", rand::random::<u128>());
        let now = Instant::now();
        self.access.insert(
            access.clone(),
            AccessToken {
                expires_at: expiring.then(|| now + config.access_token_ttl),
                pair,
            },
        );
        let refresh = expiring.then(|| {
            let token = format!("shprt_{:032x}", rand::random::<u128>());
            self.refresh.insert(
                token.clone(),
                RefreshToken {
                    expires_at: now + config.refresh_token_ttl,
                    pair,
                    replaced_by: None,
                },
            );
            token
        });
        Issued {
            access,
            refresh,
            pair,
        }
    }

    /// The first use of pair `pair` retires the refresh token it replaced.
    pub fn pair_used(&mut self, pair: u64) {
        self.refresh
            .retain(|_, token| token.replaced_by != Some(pair));
    }

    /// Refills the bucket to now and takes `cost` if it fits.
    pub fn take(&mut self, config: &SimConfig, cost: f64) -> Result<f64, f64> {
        let now = Instant::now();
        let refill = now.duration_since(self.bucket_at).as_secs_f64() * config.restore_rate;
        self.available = (self.available + refill).min(config.bucket_max);
        self.bucket_at = now;
        if cost > self.available {
            return Err(self.available);
        }
        self.available -= cost;
        Ok(self.available)
    }
}

pub(crate) struct Issued {
    pub access: String,
    pub refresh: Option<String>,
    pub pair: u64,
}

impl Shared {
    pub fn new(config: SimConfig, base_url: String) -> Self {
        Self {
            config,
            base_url,
            shops: Mutex::new(HashMap::new()),
        }
    }

    pub fn add_shop(&self, shop: &str, spec: StoreSpec) {
        let state = ShopState::new(shop, spec, self.config.bucket_max);
        self.shops
            .lock()
            .expect("sim lock")
            .insert(shop.to_string(), state);
    }

    /// Runs `f` on the shop's state; `None` for an unknown shop.
    pub fn with_shop<T>(&self, shop: &str, f: impl FnOnce(&mut ShopState) -> T) -> Option<T> {
        self.shops.lock().expect("sim lock").get_mut(shop).map(f)
    }
}
