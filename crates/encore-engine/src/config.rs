//! The merchant's campaign configuration (version 1): types, and a parser that reports every
//! fault with its JSON path. The Function reads it lazily (campaign headers first, the steps of
//! a campaign only when it is chosen); the server validates a whole document strictly.

use std::fmt;

use crate::json::{JsonNode, Path};
use crate::money::{parse_decimal, Currency, MoneyError};
use crate::time::parse_rfc3339;

/// The configuration versions this engine reads.
pub const SUPPORTED_VERSION: i64 = 1;

/// At most this many offers are shown, and accepted, per purchase (Shopify's guidance).
pub const MAX_OFFERS_PER_PURCHASE: i64 = 3;

// The keys of each level, in the order the Function reads them: what decides whether a
// campaign applies first, its steps (and a step's offer) last. The provider walks every value
// before the one asked for, so the server stores configurations in this order.
/// The document's keys.
pub const ROOT_KEYS: &[&str] = &["version", "defaults", "campaigns"];
/// A campaign's keys.
pub const CAMPAIGN_KEYS: &[&str] = &[
    "id",
    "name",
    "status",
    "priority",
    "schedule",
    "entryStep",
    "triggers",
    "guardrails",
    "experiment",
    "steps",
];
/// A step's keys.
pub const STEP_KEYS: &[&str] = &["id", "onAccept", "onDecline", "experiment", "offer"];
/// An offer's keys.
pub const OFFER_KEYS: &[&str] = &[
    "products",
    "auto",
    "quantity",
    "discount",
    "subscription",
    "shipping",
    "refill",
    "copy",
];

/// One fault in a configuration: where it is and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigFault {
    /// A JSON path such as `$.campaigns[2].steps[0].offer.discount.percent`.
    pub path: String,
    /// What is wrong, in words a merchant can act on.
    pub message: String,
}

impl fmt::Display for ConfigFault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// An amount of money from the configuration ("50.00"), in minor units of the shop currency.
///
/// The configuration is always read with the shop currency, so an amount that currency cannot
/// write ("0.50" in JPY) is a fault at its JSON path: refused when saved, a broken campaign in
/// the Function — never read as zero, "free" or "no condition".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(i64);

impl Amount {
    /// An amount of `minor` units of the shop currency.
    pub const fn from_minor(minor: i64) -> Amount {
        Amount(minor)
    }

    /// The amount in minor units of the shop currency.
    pub const fn minor(self) -> i64 {
        self.0
    }
}

/// Encore's default `maxOfferPrice` per shop currency, in whole units: round amounts near the
/// seed's rule of thumb, "under $50" (set in late 2026; a merchant sets their own in
/// `defaults.guardrails.maxOfferPrice`). Sorted by code for a binary search. A currency not
/// listed has no default absolute cap; the share-of-purchase cap still applies.
const DEFAULT_MAX_OFFER_PRICE: &[([u8; 3], i64)] = &[
    (*b"AED", 185),
    (*b"AUD", 75),
    (*b"BHD", 19),
    (*b"BRL", 270),
    (*b"CAD", 70),
    (*b"CHF", 45),
    (*b"CLP", 47_000),
    (*b"CNY", 350),
    (*b"COP", 200_000),
    (*b"CZK", 1_200),
    (*b"DKK", 350),
    (*b"EUR", 50),
    (*b"GBP", 40),
    (*b"HKD", 400),
    (*b"HUF", 18_000),
    (*b"IDR", 800_000),
    (*b"ILS", 185),
    (*b"INR", 4_000),
    (*b"ISK", 7_000),
    (*b"JOD", 35),
    (*b"JPY", 7_500),
    (*b"KRW", 70_000),
    (*b"KWD", 15),
    (*b"MXN", 900),
    (*b"MYR", 220),
    (*b"NOK", 550),
    (*b"NZD", 85),
    (*b"OMR", 19),
    (*b"PHP", 2_800),
    (*b"PLN", 200),
    (*b"QAR", 180),
    (*b"RON", 230),
    (*b"SAR", 190),
    (*b"SEK", 550),
    (*b"SGD", 65),
    (*b"THB", 1_700),
    (*b"TWD", 1_600),
    (*b"USD", 50),
    (*b"VND", 1_300_000),
    (*b"ZAR", 900),
];

/// Encore's default `maxOfferPrice` for a shop in `currency`, if the currency has one.
pub fn default_max_offer_price(currency: Currency) -> Option<Amount> {
    let code: [u8; 3] = currency.code().as_bytes().try_into().ok()?;
    let index = DEFAULT_MAX_OFFER_PRICE
        .binary_search_by(|(c, _)| c.cmp(&code))
        .ok()?;
    let whole = DEFAULT_MAX_OFFER_PRICE[index].1;
    Some(Amount(whole * 10i64.pow(u32::from(currency.exponent()))))
}

/// Where the `maxOfferPrice` in force comes from, so a reason can say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CapSource {
    /// Encore's default for the shop currency ([`default_max_offer_price`]).
    CurrencyDefault,
    /// The shop's `defaults.guardrails`.
    ShopDefaults,
    /// The campaign's own `guardrails`.
    Campaign,
}

/// A percentage in basis points (hundredths of a percent): 15% = 1500, 12.5% = 1250.
pub type BasisPoints = i64;

/// Campaign status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Paused,
    Draft,
}

/// Guardrails; every field absent in an override keeps the shop-wide value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GuardrailOverrides {
    pub max_offer_price: Option<Amount>,
    pub max_share_of_purchase: Option<BasisPoints>,
    pub min_purchase: Option<Amount>,
    pub refund_rate_pause: Option<BasisPoints>,
    pub refund_rate_min_accepts: Option<i64>,
    pub margin_floor: Option<BasisPoints>,
}

/// Guardrails in force for a campaign.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Guardrails {
    /// Offer price × quantity (all products of the offer) at most this; `None` until set by the
    /// shop or campaign, then Encore's default for the shop currency applies (if it has one).
    pub max_offer_price: Option<Amount>,
    /// Where `max_offer_price` comes from.
    pub max_offer_price_source: CapSource,
    /// Offer price at most this share of the purchase's merchandise subtotal. Default 25%.
    pub max_share_of_purchase: BasisPoints,
    /// No offer below this merchandise subtotal. Default 0.
    pub min_purchase: Amount,
    /// Pause an offer whose refunded units exceed this share of accepted units. Default 5%.
    pub refund_rate_pause: BasisPoints,
    /// ... once it has at least this many accepts. Default 20.
    pub refund_rate_min_accepts: i64,
    /// When unit cost is known: (price − cost) at least this share of the price. Default none.
    pub margin_floor: Option<BasisPoints>,
}

impl Default for Guardrails {
    fn default() -> Self {
        Guardrails {
            max_offer_price: None,
            max_offer_price_source: CapSource::CurrencyDefault,
            max_share_of_purchase: 2500,
            min_purchase: Amount::from_minor(0),
            refund_rate_pause: 500,
            refund_rate_min_accepts: 20,
            margin_floor: None,
        }
    }
}

impl Guardrails {
    /// These guardrails with overrides applied; `source` is whose overrides they are.
    pub fn with(mut self, o: &GuardrailOverrides, source: CapSource) -> Guardrails {
        if let Some(v) = o.max_offer_price {
            self.max_offer_price = Some(v);
            self.max_offer_price_source = source;
        }
        if let Some(v) = o.max_share_of_purchase {
            self.max_share_of_purchase = v;
        }
        if let Some(v) = o.min_purchase {
            self.min_purchase = v;
        }
        if let Some(v) = o.refund_rate_pause {
            self.refund_rate_pause = v;
        }
        if let Some(v) = o.refund_rate_min_accepts {
            self.refund_rate_min_accepts = v;
        }
        if o.margin_floor.is_some() {
            self.margin_floor = o.margin_floor;
        }
        self
    }
}

/// Shop-wide settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Defaults {
    pub guardrails: Guardrails,
    /// Offers shown per purchase, at most 3.
    pub max_offers_per_purchase: i64,
}

/// First order or returning customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerOrders {
    First,
    Returning,
}

/// When a campaign applies. Within a list any value matches; all given lists must match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Triggers {
    pub products: Vec<String>,
    pub variants: Vec<String>,
    pub collections: Vec<String>,
    pub tags: Vec<String>,
    pub product_types: Vec<String>,
    pub vendors: Vec<String>,
    /// Merchandise subtotal range, shop currency, inclusive.
    pub purchase_min: Option<Amount>,
    pub purchase_max: Option<Amount>,
    pub customer_tags_include: Vec<String>,
    pub customer_tags_exclude: Vec<String>,
    pub customer_orders: Option<CustomerOrders>,
    pub customer_min_orders: Option<i64>,
    pub customer_min_amount_spent: Option<Amount>,
    pub countries_include: Vec<String>,
    pub countries_exclude: Vec<String>,
    pub exclude_products: Vec<String>,
    pub exclude_tags: Vec<String>,
}

/// A campaign without its steps: enough to decide whether it applies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignHeader {
    pub id: String,
    pub status: Status,
    /// Higher wins.
    pub priority: i64,
    pub starts_at: Option<i64>,
    pub ends_at: Option<i64>,
    pub triggers: Triggers,
    pub guardrails: GuardrailOverrides,
    /// The first step; default the first of `steps`.
    pub entry_step: Option<String>,
    /// A campaign-wide experiment; a step's own experiment takes precedence.
    pub experiment: Option<Experiment>,
}

/// A whole campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    pub header: CampaignHeader,
    pub steps: Vec<Step>,
}

/// A funnel step: an offer and where the buyer goes next.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub id: String,
    pub offer: OfferSpec,
    pub on_accept: Option<String>,
    pub on_decline: Option<String>,
    pub experiment: Option<Experiment>,
}

/// Where an offer's products come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProductSource {
    /// Candidates tried in order; each is 1 or 2 variant ids offered together.
    Candidates(Vec<Vec<String>>),
    /// The best co-purchase suggestions for the purchased products, by lift.
    Auto {
        max_candidates: i64,
        min_lift_permille: i64,
    },
}

/// How the offer price is derived from the variant price (per unit).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Discount {
    None,
    Percent(BasisPoints),
    AmountOff(Amount),
    FixedPrice(Amount),
}

/// "Subscribe and save": offer the variant with a selling plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionSpec {
    /// A specific selling plan; default the variant's first.
    pub selling_plan_id: Option<String>,
    pub initial_shipping_price: Amount,
    pub recurring_shipping_price: Amount,
    pub shipping_title: Option<String>,
}

/// Shipping charged for the offer; absent means free.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShippingSpec {
    pub price: Amount,
    pub title: String,
}

/// The words shown with an offer, in one locale.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CopyText {
    pub headline: Option<String>,
    pub body: Option<String>,
    pub accept_label: Option<String>,
    pub decline_label: Option<String>,
}

/// An offer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferSpec {
    pub products: ProductSource,
    pub quantity: i64,
    pub discount: Discount,
    pub discount_title: Option<String>,
    pub subscription: Option<SubscriptionSpec>,
    pub shipping: Option<ShippingSpec>,
    /// A refill or consumable: may offer a product already in the purchase.
    pub refill: bool,
    /// Copy per locale ("en", "fr", "fr-CA"), in document order.
    pub copy: Vec<(String, CopyText)>,
}

/// An A/B experiment: arms with weights.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Experiment {
    pub id: String,
    pub arms: Vec<Arm>,
}

/// One arm; what it sets replaces the offer's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arm {
    pub id: String,
    pub weight: i64,
    pub discount: Option<Discount>,
    pub products: Option<ProductSource>,
    pub copy: Option<Vec<(String, CopyText)>>,
}

/// A whole validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShopConfig {
    pub version: i64,
    pub defaults: Defaults,
    pub campaigns: Vec<Campaign>,
}

/// Validates a whole configuration strictly (unknown keys, step references, duplicate ids).
///
/// Amounts are read in `currency`, the shop currency: one it cannot write is a fault.
pub fn validate<N: JsonNode + Clone>(
    root: &N,
    currency: Currency,
) -> Result<ShopConfig, Vec<ConfigFault>> {
    let mut r = Reader::<true>::new(currency);
    let doc = open_with(&mut r, root);
    let mut campaigns = Vec::new();
    if let Some(doc) = &doc {
        let mut seen = Vec::<String>::new();
        for i in 0..doc.campaign_count() {
            let Some(node) = doc.campaign_node(i) else {
                continue;
            };
            let root_path = Path::Root;
            let list = root_path.key("campaigns");
            let path = list.index(i);
            let header = r.campaign_header(&node, &path);
            let steps = r.steps(&node, &path);
            if let (Some(header), Some(steps)) = (header, steps) {
                if seen.contains(&header.id) {
                    r.fault(
                        &path.key("id"),
                        format!("campaign id \"{}\" is used twice", header.id),
                    );
                }
                seen.push(header.id.clone());
                r.check_step_references(&header, &steps, &path);
                campaigns.push(Campaign { header, steps });
            }
        }
    }
    match doc {
        Some(doc) if r.faults.is_empty() => Ok(ShopConfig {
            version: doc.version,
            defaults: doc.defaults,
            campaigns,
        }),
        _ => Err(r.faults),
    }
}

/// An offer's quantity and discount read as a decision reads them, with the faults of those
/// two settings only (paths below `$`, the offer): the admin's price preview, which must not
/// wait for the rest of the configuration to be valid.
pub fn offer_pricing<N: JsonNode>(
    offer: &N,
    currency: Currency,
) -> Result<(i64, Discount), Vec<ConfigFault>> {
    let mut r = Reader::<true>::new(currency);
    let root = Path::Root;
    let quantity = r.int(offer, "quantity", &root, 1, 100).unwrap_or(1);
    let discount = r.discount(offer, &root).map_or(Discount::None, |(d, _)| d);
    if r.faults.is_empty() {
        Ok((quantity, discount))
    } else {
        Err(r.faults)
    }
}

/// Validates a configuration given as `serde_json` (the server's admin API).
#[cfg(feature = "serde_json")]
pub fn validate_json(
    value: &serde_json::Value,
    currency: Currency,
) -> Result<ShopConfig, Vec<ConfigFault>> {
    validate(&value, currency)
}

/// The configuration with its keys in the order of [`CAMPAIGN_KEYS`] and its kin, unknown keys
/// after them: what the server hands the Function.
#[cfg(feature = "serde_json")]
pub fn canonical_order(config: &serde_json::Value) -> serde_json::Value {
    use serde_json::{Map, Value};
    fn ordered(value: &Value, order: &[&str], child: &dyn Fn(&str, &Value) -> Value) -> Value {
        let Value::Object(map) = value else {
            return value.clone();
        };
        let known = order.iter().copied().filter(|k| map.contains_key(*k));
        let unknown = map
            .keys()
            .map(String::as_str)
            .filter(|k| !order.contains(k));
        let mut out = Map::new();
        for key in known.chain(unknown) {
            out.insert(key.to_owned(), child(key, &map[key]));
        }
        Value::Object(out)
    }
    let list = |value: &Value, each: &dyn Fn(&Value) -> Value| match value {
        Value::Array(items) => Value::Array(items.iter().map(each).collect()),
        other => other.clone(),
    };
    let offer = |v: &Value| ordered(v, OFFER_KEYS, &|_, v| v.clone());
    let step = |v: &Value| {
        ordered(v, STEP_KEYS, &|k, v| {
            if k == "offer" {
                offer(v)
            } else {
                v.clone()
            }
        })
    };
    let campaign = |v: &Value| {
        ordered(v, CAMPAIGN_KEYS, &|k, v| {
            if k == "steps" {
                list(v, &step)
            } else {
                v.clone()
            }
        })
    };
    ordered(config, ROOT_KEYS, &|k, v| {
        if k == "campaigns" {
            list(v, &campaign)
        } else {
            v.clone()
        }
    })
}

/// A configuration opened lazily: version and defaults read, campaigns read on demand.
pub struct ConfigDoc<N> {
    pub version: i64,
    /// The shop currency every amount is read in.
    pub currency: Currency,
    pub defaults: Defaults,
    campaigns: Option<N>,
    count: usize,
}

impl<N: JsonNode + Clone> ConfigDoc<N> {
    /// The number of campaigns.
    pub fn campaign_count(&self) -> usize {
        self.count
    }

    fn campaign_node(&self, index: usize) -> Option<N> {
        self.campaigns.as_ref()?.at(index)
    }

    /// The header of campaign `index`, or the faults that make it unusable.
    pub fn campaign_header(&self, index: usize) -> Result<CampaignHeader, Vec<ConfigFault>> {
        let mut r = Reader::<false>::new(self.currency);
        let root = Path::Root;
        let list = root.key("campaigns");
        let path = list.index(index);
        let header = self
            .campaign_node(index)
            .and_then(|node| r.campaign_header(&node, &path));
        match header {
            Some(h) if r.faults.is_empty() => Ok(h),
            _ => Err(r.faults),
        }
    }

    /// The step `step_id` of campaign `index`: `Ok(None)` when it has no such step.
    pub fn campaign_step(
        &self,
        index: usize,
        step_id: &str,
    ) -> Result<Option<Step>, Vec<ConfigFault>> {
        let mut found = None;
        self.each_step(index, |id, read| {
            if id != step_id {
                return true;
            }
            found = Some(read());
            false
        });
        found.transpose()
    }

    /// Every step of campaign `index` that has a string id, in document order: its id and the
    /// step or its faults, as [`ConfigDoc::campaign_step`] reads it (what the server compiles,
    /// [`crate::compiled`]).
    pub fn campaign_steps(&self, index: usize) -> Vec<(String, Result<Step, Vec<ConfigFault>>)> {
        let mut steps = Vec::new();
        self.each_step(index, |id, read| {
            steps.push((id.to_owned(), read()));
            true
        });
        steps
    }

    /// Calls `visit` with the id of each step of campaign `index` that has a string id, and a
    /// function that reads that step, while `visit` answers `true`.
    fn each_step(
        &self,
        index: usize,
        mut visit: impl FnMut(&str, &mut dyn FnMut() -> Result<Step, Vec<ConfigFault>>) -> bool,
    ) {
        let root = Path::Root;
        let list = root.key("campaigns");
        let path = list.index(index);
        let steps_path = path.key("steps");
        let Some(steps) = self.campaign_node(index).and_then(|n| n.get("steps")) else {
            return;
        };
        for i in 0..steps.array_len().unwrap_or(0) {
            let Some(step) = steps.at(i) else { continue };
            let Some(id) = step.get("id").and_then(|v| v.as_str()) else {
                continue;
            };
            let mut read = || {
                let mut r = Reader::<false>::new(self.currency);
                match r.step(&step, &steps_path.index(i)) {
                    Some(s) if r.faults.is_empty() => Ok(s),
                    _ => Err(r.faults),
                }
            };
            if !visit(&id, &mut read) {
                return;
            }
        }
    }

    /// The id of the first step of campaign `index`.
    pub fn first_step_id(&self, index: usize) -> Option<String> {
        self.campaign_node(index)?
            .get("steps")?
            .at(0)?
            .get("id")?
            .as_str()
    }
}

/// Opens a configuration for lazy reading: checks the version and reads the defaults.
///
/// Amounts are read in `currency`, the shop currency: one it cannot write is a fault.
pub fn open<N: JsonNode + Clone>(
    root: &N,
    currency: Currency,
) -> Result<ConfigDoc<N>, Vec<ConfigFault>> {
    let mut r = Reader::<false>::new(currency);
    match open_with(&mut r, root) {
        Some(doc) if r.faults.is_empty() => Ok(doc),
        _ => Err(r.faults),
    }
}

fn open_with<N: JsonNode + Clone, const STRICT: bool>(
    r: &mut Reader<STRICT>,
    root: &N,
) -> Option<ConfigDoc<N>> {
    let path = Path::Root;
    if !root.is_object() {
        r.fault(
            &path,
            format!(
                "the configuration must be a JSON object, not {}",
                root.kind()
            ),
        );
        return None;
    }
    r.check_keys(root, &path, ROOT_KEYS);
    let version_path = path.key("version");
    let version = match root.get("version") {
        None => {
            r.fault(&version_path, "is missing; write \"version\": 1");
            return None;
        }
        Some(v) => match v.as_i64() {
            Some(SUPPORTED_VERSION) => SUPPORTED_VERSION,
            Some(other) => {
                r.fault(
                    &version_path,
                    format!("version {other} is not supported; this Encore reads version {SUPPORTED_VERSION}"),
                );
                return None;
            }
            None => {
                r.fault(
                    &version_path,
                    format!("must be the number {SUPPORTED_VERSION}, not {}", v.kind()),
                );
                return None;
            }
        },
    };
    let mut defaults = Defaults {
        guardrails: Guardrails::default(),
        max_offers_per_purchase: MAX_OFFERS_PER_PURCHASE,
    };
    if let Some(node) = r.object(root, "defaults", &path) {
        let dpath = path.key("defaults");
        r.check_keys(&node, &dpath, &["guardrails", "maxOffersPerPurchase"]);
        let overrides = r.guardrails(&node, &dpath);
        defaults.guardrails = defaults
            .guardrails
            .with(&overrides, CapSource::ShopDefaults);
        if let Some(max) = r.int(
            &node,
            "maxOffersPerPurchase",
            &dpath,
            1,
            MAX_OFFERS_PER_PURCHASE,
        ) {
            defaults.max_offers_per_purchase = max;
        }
    }
    let campaigns_path = path.key("campaigns");
    let (campaigns, count) = match root.get("campaigns") {
        None => (None, 0),
        Some(list) => match list.array_len() {
            Some(n) => (Some(list), n),
            None => {
                r.fault(
                    &campaigns_path,
                    format!("must be a list of campaigns, not {}", list.kind()),
                );
                return None;
            }
        },
    };
    Some(ConfigDoc {
        version,
        currency: r.currency,
        defaults,
        campaigns,
        count,
    })
}

/// Reads values, collecting faults with their paths. `STRICT` (the server's validation) also
/// refuses unknown keys; it is a constant so the Function's wasm carries no code for it.
struct Reader<const STRICT: bool> {
    faults: Vec<ConfigFault>,
    /// The shop currency amounts are read in.
    currency: Currency,
}

impl<const STRICT: bool> Reader<STRICT> {
    fn new(currency: Currency) -> Self {
        Reader {
            faults: Vec::new(),
            currency,
        }
    }

    fn fault(&mut self, path: &Path, message: impl Into<String>) {
        self.faults.push(ConfigFault {
            path: path.to_string(),
            message: message.into(),
        });
    }

    /// In strict mode, refuses keys a merchant probably misspelled.
    fn check_keys<N: JsonNode>(&mut self, node: &N, path: &Path, allowed: &[&str]) {
        if !STRICT {
            return;
        }
        for key in node.keys().unwrap_or_default() {
            if !allowed.contains(&key.as_str()) {
                self.fault(
                    &path.key(&key),
                    format!(
                        "is not a known setting; expected one of: {}",
                        allowed.join(", ")
                    ),
                );
            }
        }
    }

    fn object<N: JsonNode>(&mut self, node: &N, key: &str, path: &Path) -> Option<N> {
        let value = node.get(key)?;
        if value.is_object() {
            Some(value)
        } else {
            self.fault(
                &path.key(key),
                format!("must be an object, not {}", value.kind()),
            );
            None
        }
    }

    fn string<N: JsonNode>(&mut self, node: &N, key: &str, path: &Path) -> Option<String> {
        let value = node.get(key)?;
        match value.as_str() {
            Some(s) => Some(s),
            None => {
                self.fault(
                    &path.key(key),
                    format!("must be a string, not {}", value.kind()),
                );
                None
            }
        }
    }

    fn required_id<N: JsonNode>(&mut self, node: &N, path: &Path, what: &str) -> Option<String> {
        match self.string(node, "id", path) {
            Some(id) if !id.trim().is_empty() && id.len() <= 64 => Some(id),
            Some(_) => {
                self.fault(
                    &path.key("id"),
                    format!("the {what} id must be 1 to 64 characters"),
                );
                None
            }
            None => {
                if node.get("id").is_none() {
                    self.fault(&path.key("id"), format!("every {what} needs an id"));
                }
                None
            }
        }
    }

    fn int<N: JsonNode>(
        &mut self,
        node: &N,
        key: &str,
        path: &Path,
        min: i64,
        max: i64,
    ) -> Option<i64> {
        let value = node.get(key)?;
        match value.as_i64() {
            Some(n) if (min..=max).contains(&n) => Some(n),
            Some(n) => {
                self.fault(
                    &path.key(key),
                    format!("{n} is out of range; use {min} to {max}"),
                );
                None
            }
            None => {
                self.fault(
                    &path.key(key),
                    format!("must be a whole number, not {}", value.kind()),
                );
                None
            }
        }
    }

    fn boolean<N: JsonNode>(&mut self, node: &N, key: &str, path: &Path) -> Option<bool> {
        let value = node.get(key)?;
        let b = value.as_bool();
        if b.is_none() {
            self.fault(
                &path.key(key),
                format!("must be true or false, not {}", value.kind()),
            );
        }
        b
    }

    fn amount<N: JsonNode>(&mut self, node: &N, key: &str, path: &Path) -> Option<Amount> {
        let value = node.get(key)?;
        let Some(text) = value.as_str() else {
            self.fault(
                &path.key(key),
                format!(
                    "write money as a string such as \"50.00\", not a {}",
                    value.kind()
                ),
            );
            return None;
        };
        match self.currency.parse(&text) {
            Ok(v) if v >= 0 => Some(Amount(v)),
            Ok(_) => {
                self.fault(
                    &path.key(key),
                    format!("\"{text}\" is negative; amounts are 0 or more"),
                );
                None
            }
            Err(MoneyError::TooPrecise { exponent }) => {
                let places = match exponent {
                    0 => "no decimal places".to_owned(),
                    1 => "1 decimal place".to_owned(),
                    n => format!("{n} decimal places"),
                };
                self.fault(
                    &path.key(key),
                    format!(
                        "\"{text}\" cannot be written in the shop currency {}, which has {places}",
                        self.currency
                    ),
                );
                None
            }
            Err(e) => {
                self.fault(&path.key(key), format!("\"{text}\" {e}"));
                None
            }
        }
    }

    /// A percentage: a whole number (15) or a decimal string with up to 2 decimals ("12.5").
    fn percent<N: JsonNode>(
        &mut self,
        node: &N,
        key: &str,
        path: &Path,
        max_bp: i64,
    ) -> Option<BasisPoints> {
        let value = node.get(key)?;
        let parsed = if let Some(n) = value.as_i64() {
            n.checked_mul(100)
        } else if let Some(text) = value.as_str() {
            parse_decimal(&text, 2).ok()
        } else {
            None
        };
        match parsed {
            Some(bp) if (0..=max_bp).contains(&bp) => Some(bp),
            Some(_) => {
                self.fault(
                    &path.key(key),
                    format!("must be between 0 and {}", max_bp / 100),
                );
                None
            }
            None => {
                let hint = if value.is_number() {
                    " (write fractions as a string such as \"12.5\")"
                } else {
                    ""
                };
                self.fault(
                    &path.key(key),
                    format!("must be a percentage such as 15 or \"12.5\"{hint}"),
                );
                None
            }
        }
    }

    fn strings<N: JsonNode>(&mut self, node: &N, key: &str, path: &Path) -> Vec<String> {
        let Some(list) = node.get(key) else {
            return Vec::new();
        };
        let list_path = path.key(key);
        let Some(len) = list.array_len() else {
            self.fault(
                &list_path,
                format!("must be a list of strings, not {}", list.kind()),
            );
            return Vec::new();
        };
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            match list.at(i).and_then(|v| v.as_str()) {
                Some(s) => out.push(s),
                None => self.fault(&list_path.index(i), "must be a string"),
            }
        }
        out
    }

    fn guardrails<N: JsonNode>(&mut self, parent: &N, parent_path: &Path) -> GuardrailOverrides {
        let mut g = GuardrailOverrides::default();
        let Some(node) = self.object(parent, "guardrails", parent_path) else {
            return g;
        };
        let path = parent_path.key("guardrails");
        self.check_keys(
            &node,
            &path,
            &[
                "maxOfferPrice",
                "maxShareOfPurchasePercent",
                "minPurchase",
                "refundRatePausePercent",
                "refundRateMinAccepts",
                "marginFloorPercent",
            ],
        );
        g.max_offer_price = self.amount(&node, "maxOfferPrice", &path);
        g.max_share_of_purchase = self.percent(&node, "maxShareOfPurchasePercent", &path, 10_000);
        g.min_purchase = self.amount(&node, "minPurchase", &path);
        g.refund_rate_pause = self.percent(&node, "refundRatePausePercent", &path, 10_000);
        g.refund_rate_min_accepts = self.int(&node, "refundRateMinAccepts", &path, 0, 1_000_000);
        g.margin_floor = self.percent(&node, "marginFloorPercent", &path, 9_900);
        g
    }

    fn campaign_header<N: JsonNode + Clone>(
        &mut self,
        node: &N,
        path: &Path,
    ) -> Option<CampaignHeader> {
        if !node.is_object() {
            self.fault(
                path,
                format!("a campaign must be an object, not {}", node.kind()),
            );
            return None;
        }
        self.check_keys(node, path, CAMPAIGN_KEYS);
        let id = self.required_id(node, path, "campaign");
        if STRICT {
            let _ = self.string(node, "name", path);
        }
        let status = match self.string(node, "status", path).as_deref() {
            None => Status::Active,
            Some("active") => Status::Active,
            Some("paused") => Status::Paused,
            Some("draft") => Status::Draft,
            Some(other) => {
                self.fault(
                    &path.key("status"),
                    format!("\"{other}\" is not a status; use active, paused or draft"),
                );
                Status::Paused
            }
        };
        let priority = self
            .int(node, "priority", path, -1_000_000, 1_000_000)
            .unwrap_or(0);
        let (mut starts_at, mut ends_at) = (None, None);
        if let Some(schedule) = self.object(node, "schedule", path) {
            let spath = path.key("schedule");
            self.check_keys(&schedule, &spath, &["start", "end"]);
            starts_at = self.timestamp(&schedule, "start", &spath);
            ends_at = self.timestamp(&schedule, "end", &spath);
            if let (Some(s), Some(e)) = (starts_at, ends_at) {
                if e <= s {
                    self.fault(&spath.key("end"), "must be after start");
                }
            }
        }
        let triggers = self.triggers(node, path);
        let guardrails = self.guardrails(node, path);
        let entry_step = self.string(node, "entryStep", path);
        let experiment = self.experiment(node, path);
        match node.get("steps").and_then(|s| s.array_len()) {
            Some(n) if n > 0 => {}
            _ => self.fault(
                &path.key("steps"),
                "a campaign needs a list of at least one step",
            ),
        }
        Some(CampaignHeader {
            id: id?,
            status,
            priority,
            starts_at,
            ends_at,
            triggers,
            guardrails,
            entry_step,
            experiment,
        })
    }

    fn timestamp<N: JsonNode>(&mut self, node: &N, key: &str, path: &Path) -> Option<i64> {
        let text = self.string(node, key, path)?;
        let parsed = parse_rfc3339(&text);
        if parsed.is_none() {
            self.fault(
                &path.key(key),
                format!("\"{text}\" is not an RFC 3339 time such as \"2026-11-27T00:00:00Z\""),
            );
        }
        parsed
    }

    fn triggers<N: JsonNode>(&mut self, campaign: &N, campaign_path: &Path) -> Triggers {
        let mut t = Triggers::default();
        let Some(node) = self.object(campaign, "triggers", campaign_path) else {
            return t;
        };
        let path = campaign_path.key("triggers");
        self.check_keys(
            &node,
            &path,
            &[
                "products",
                "variants",
                "collections",
                "tags",
                "productTypes",
                "vendors",
                "purchaseValue",
                "customer",
                "countries",
                "exclude",
            ],
        );
        t.products = self.strings(&node, "products", &path);
        t.variants = self.strings(&node, "variants", &path);
        t.collections = self.strings(&node, "collections", &path);
        t.tags = self.strings(&node, "tags", &path);
        t.product_types = self.strings(&node, "productTypes", &path);
        t.vendors = self.strings(&node, "vendors", &path);
        if let Some(value) = self.object(&node, "purchaseValue", &path) {
            let vpath = path.key("purchaseValue");
            self.check_keys(&value, &vpath, &["min", "max"]);
            t.purchase_min = self.amount(&value, "min", &vpath);
            t.purchase_max = self.amount(&value, "max", &vpath);
            if let (Some(min), Some(max)) = (t.purchase_min, t.purchase_max) {
                if max.0 < min.0 {
                    self.fault(&vpath.key("max"), "must not be below min");
                }
            }
        }
        if let Some(customer) = self.object(&node, "customer", &path) {
            let cpath = path.key("customer");
            self.check_keys(
                &customer,
                &cpath,
                &[
                    "tagsInclude",
                    "tagsExclude",
                    "orders",
                    "minOrders",
                    "minAmountSpent",
                ],
            );
            t.customer_tags_include = self.strings(&customer, "tagsInclude", &cpath);
            t.customer_tags_exclude = self.strings(&customer, "tagsExclude", &cpath);
            t.customer_orders = match self.string(&customer, "orders", &cpath).as_deref() {
                None => None,
                Some("first") => Some(CustomerOrders::First),
                Some("returning") => Some(CustomerOrders::Returning),
                Some(other) => {
                    self.fault(
                        &cpath.key("orders"),
                        format!("\"{other}\" is not first or returning"),
                    );
                    None
                }
            };
            t.customer_min_orders = self.int(&customer, "minOrders", &cpath, 0, 1_000_000_000);
            t.customer_min_amount_spent = self.amount(&customer, "minAmountSpent", &cpath);
        }
        if let Some(countries) = self.object(&node, "countries", &path) {
            let cpath = path.key("countries");
            self.check_keys(&countries, &cpath, &["include", "exclude"]);
            t.countries_include = self.strings(&countries, "include", &cpath);
            t.countries_exclude = self.strings(&countries, "exclude", &cpath);
        }
        if let Some(exclude) = self.object(&node, "exclude", &path) {
            let epath = path.key("exclude");
            self.check_keys(&exclude, &epath, &["products", "tags"]);
            t.exclude_products = self.strings(&exclude, "products", &epath);
            t.exclude_tags = self.strings(&exclude, "tags", &epath);
        }
        t
    }

    fn steps<N: JsonNode + Clone>(&mut self, campaign: &N, path: &Path) -> Option<Vec<Step>> {
        let list = campaign.get("steps")?;
        let list_path = path.key("steps");
        let mut steps: Vec<Step> = Vec::new();
        for i in 0..list.array_len().unwrap_or(0) {
            let step_path = list_path.index(i);
            let Some(node) = list.at(i) else { continue };
            if let Some(step) = self.step(&node, &step_path) {
                if steps.iter().any(|s| s.id == step.id) {
                    self.fault(
                        &step_path.key("id"),
                        format!("step id \"{}\" is used twice in this campaign", step.id),
                    );
                }
                steps.push(step);
            }
        }
        Some(steps)
    }

    fn check_step_references(&mut self, header: &CampaignHeader, steps: &[Step], path: &Path) {
        let known = |id: &str| steps.iter().any(|s| s.id == id);
        if let Some(entry) = &header.entry_step {
            if !known(entry) {
                self.fault(
                    &path.key("entryStep"),
                    format!("no step has the id \"{entry}\""),
                );
            }
        }
        let list_path = path.key("steps");
        for (i, step) in steps.iter().enumerate() {
            let step_path = list_path.index(i);
            for (key, target) in [
                ("onAccept", &step.on_accept),
                ("onDecline", &step.on_decline),
            ] {
                if let Some(target) = target {
                    if !known(target) {
                        self.fault(
                            &step_path.key(key),
                            format!("no step has the id \"{target}\""),
                        );
                    }
                }
            }
        }
    }

    fn step<N: JsonNode + Clone>(&mut self, node: &N, path: &Path) -> Option<Step> {
        if !node.is_object() {
            self.fault(
                path,
                format!("a step must be an object, not {}", node.kind()),
            );
            return None;
        }
        self.check_keys(node, path, STEP_KEYS);
        let id = self.required_id(node, path, "step");
        let offer = match self.object(node, "offer", path) {
            Some(offer) => self.offer(&offer, &path.key("offer")),
            None => {
                if node.get("offer").is_none() {
                    self.fault(&path.key("offer"), "every step needs an offer");
                }
                None
            }
        };
        let on_accept = self.string(node, "onAccept", path);
        let on_decline = self.string(node, "onDecline", path);
        let experiment = self.experiment(node, path);
        Some(Step {
            id: id?,
            offer: offer?,
            on_accept,
            on_decline,
            experiment,
        })
    }

    fn offer<N: JsonNode>(&mut self, node: &N, path: &Path) -> Option<OfferSpec> {
        self.check_keys(node, path, OFFER_KEYS);
        let products = match (node.get("products").is_some(), node.get("auto").is_some()) {
            (true, false) => self.candidates(node, path).map(ProductSource::Candidates),
            (false, true) => self.auto(node, path),
            (true, true) => {
                self.fault(
                    &path.key("auto"),
                    "an offer has either products or auto, not both",
                );
                None
            }
            (false, false) => {
                self.fault(
                    &path.key("products"),
                    "an offer needs products (a list of variant ids) or auto",
                );
                None
            }
        };
        let quantity = self.int(node, "quantity", path, 1, 100).unwrap_or(1);
        let (discount, discount_title) =
            self.discount(node, path).unwrap_or((Discount::None, None));
        let subscription = self.subscription(node, path);
        let shipping = self.shipping(node, path);
        let refill = self.boolean(node, "refill", path).unwrap_or(false);
        let copy = self.copy(node, path).unwrap_or_default();
        Some(OfferSpec {
            products: products?,
            quantity,
            discount,
            discount_title,
            subscription,
            shipping,
            refill,
            copy,
        })
    }

    fn candidates<N: JsonNode>(&mut self, node: &N, path: &Path) -> Option<Vec<Vec<String>>> {
        let list = node.get("products")?;
        let list_path = path.key("products");
        let len = match list.array_len() {
            Some(n) if n > 0 => n,
            _ => {
                self.fault(
                    &list_path,
                    "must be a non-empty list of variant ids, or of pairs of variant ids",
                );
                return None;
            }
        };
        let mut out = Vec::with_capacity(len);
        for i in 0..len {
            let item_path = list_path.index(i);
            let Some(item) = list.at(i) else { continue };
            if let Some(id) = item.as_str() {
                out.push(vec![id]);
                continue;
            }
            let ids: Vec<String> = match item.array_len() {
                Some(n @ 1..=2) => (0..n)
                    .filter_map(|j| item.at(j).and_then(|v| v.as_str()))
                    .collect(),
                _ => Vec::new(),
            };
            if ids.is_empty() || Some(ids.len()) != item.array_len() {
                self.fault(
                    &item_path,
                    "must be a variant id or a list of 1 or 2 variant ids",
                );
            } else {
                out.push(ids);
            }
        }
        Some(out)
    }

    fn auto<N: JsonNode>(&mut self, node: &N, path: &Path) -> Option<ProductSource> {
        let auto = node.get("auto")?;
        let apath = path.key("auto");
        if auto.as_bool() == Some(true) {
            return Some(ProductSource::Auto {
                max_candidates: 5,
                min_lift_permille: 1000,
            });
        }
        if !auto.is_object() {
            self.fault(&apath, "must be true or an object such as {\"maxCandidates\": 5, \"minLiftPermille\": 1200}");
            return None;
        }
        self.check_keys(&auto, &apath, &["maxCandidates", "minLiftPermille"]);
        let max_candidates = self.int(&auto, "maxCandidates", &apath, 1, 20).unwrap_or(5);
        let min_lift_permille = self
            .int(&auto, "minLiftPermille", &apath, 0, 1_000_000)
            .unwrap_or(1000);
        Some(ProductSource::Auto {
            max_candidates,
            min_lift_permille,
        })
    }

    fn discount<N: JsonNode>(
        &mut self,
        node: &N,
        path: &Path,
    ) -> Option<(Discount, Option<String>)> {
        let d = self.object(node, "discount", path)?;
        let dpath = path.key("discount");
        self.check_keys(&d, &dpath, &["percent", "amountOff", "fixedPrice", "title"]);
        let title = self.string(&d, "title", &dpath);
        let given = ["percent", "amountOff", "fixedPrice"]
            .iter()
            .filter(|k| d.get(k).is_some())
            .count();
        if given != 1 {
            self.fault(
                &dpath,
                "give exactly one of percent, amountOff or fixedPrice",
            );
            return None;
        }
        let discount = if d.get("percent").is_some() {
            Discount::Percent(self.percent(&d, "percent", &dpath, 10_000)?)
        } else if d.get("amountOff").is_some() {
            Discount::AmountOff(self.amount(&d, "amountOff", &dpath)?)
        } else {
            Discount::FixedPrice(self.amount(&d, "fixedPrice", &dpath)?)
        };
        Some((discount, title))
    }

    fn subscription<N: JsonNode>(&mut self, node: &N, path: &Path) -> Option<SubscriptionSpec> {
        let s = self.object(node, "subscription", path)?;
        let spath = path.key("subscription");
        self.check_keys(
            &s,
            &spath,
            &[
                "sellingPlanId",
                "initialShippingPrice",
                "recurringShippingPrice",
                "shippingTitle",
            ],
        );
        Some(SubscriptionSpec {
            selling_plan_id: self.string(&s, "sellingPlanId", &spath),
            initial_shipping_price: self
                .amount(&s, "initialShippingPrice", &spath)
                .unwrap_or(Amount::from_minor(0)),
            recurring_shipping_price: self
                .amount(&s, "recurringShippingPrice", &spath)
                .unwrap_or(Amount::from_minor(0)),
            shipping_title: self.string(&s, "shippingTitle", &spath),
        })
    }

    fn shipping<N: JsonNode>(&mut self, node: &N, path: &Path) -> Option<ShippingSpec> {
        let s = self.object(node, "shipping", path)?;
        let spath = path.key("shipping");
        self.check_keys(&s, &spath, &["price", "title"]);
        let price = self.amount(&s, "price", &spath);
        if s.get("price").is_none() {
            self.fault(
                &spath.key("price"),
                "shipping needs a price; leave shipping out for free shipping",
            );
        }
        let title = self
            .string(&s, "title", &spath)
            .unwrap_or_else(|| "Shipping".to_owned());
        Some(ShippingSpec {
            price: price?,
            title,
        })
    }

    fn copy<N: JsonNode>(&mut self, node: &N, path: &Path) -> Option<Vec<(String, CopyText)>> {
        let c = self.object(node, "copy", path)?;
        let cpath = path.key("copy");
        let mut out = Vec::new();
        for locale in c.keys().unwrap_or_default() {
            let lpath = cpath.key(&locale);
            let Some(text) = c.get(&locale) else { continue };
            if !text.is_object() {
                self.fault(
                    &lpath,
                    format!("copy for a locale must be an object, not {}", text.kind()),
                );
                continue;
            }
            self.check_keys(
                &text,
                &lpath,
                &["headline", "body", "acceptLabel", "declineLabel"],
            );
            let copy = CopyText {
                headline: self.string(&text, "headline", &lpath),
                body: self.string(&text, "body", &lpath),
                accept_label: self.string(&text, "acceptLabel", &lpath),
                decline_label: self.string(&text, "declineLabel", &lpath),
            };
            out.push((locale, copy));
        }
        Some(out)
    }

    fn experiment<N: JsonNode>(&mut self, node: &N, path: &Path) -> Option<Experiment> {
        let e = self.object(node, "experiment", path)?;
        let epath = path.key("experiment");
        self.check_keys(&e, &epath, &["id", "arms"]);
        let id = self.required_id(&e, &epath, "experiment");
        let arms_path = epath.key("arms");
        let arms_node = e.get("arms");
        let len = arms_node.as_ref().and_then(|a| a.array_len()).unwrap_or(0);
        if len < 1 {
            self.fault(&arms_path, "an experiment needs a list of at least one arm");
            return None;
        }
        let arms_node = arms_node?;
        let mut arms: Vec<Arm> = Vec::with_capacity(len);
        let mut total_weight = 0i64;
        for i in 0..len {
            let apath = arms_path.index(i);
            let Some(arm) = arms_node.at(i).filter(|a| a.is_object()) else {
                self.fault(&apath, "an arm must be an object");
                continue;
            };
            self.check_keys(
                &arm,
                &apath,
                &["id", "weight", "discount", "products", "auto", "copy"],
            );
            let arm_id = self.required_id(&arm, &apath, "arm");
            let weight = self.int(&arm, "weight", &apath, 0, 1_000_000).unwrap_or(1);
            total_weight += weight;
            let discount = self.discount(&arm, &apath).map(|(d, _)| d);
            let products = if arm.get("products").is_some() {
                self.candidates(&arm, &apath).map(ProductSource::Candidates)
            } else if arm.get("auto").is_some() {
                self.auto(&arm, &apath)
            } else {
                None
            };
            let copy = self.copy(&arm, &apath);
            if let Some(arm_id) = arm_id {
                if arms.iter().any(|a| a.id == arm_id) {
                    self.fault(
                        &apath.key("id"),
                        format!("arm id \"{arm_id}\" is used twice"),
                    );
                }
                arms.push(Arm {
                    id: arm_id,
                    weight,
                    discount,
                    products,
                    copy,
                });
            }
        }
        if total_weight <= 0 {
            self.fault(&arms_path, "the arms' weights must add up to more than 0");
        }
        Some(Experiment { id: id?, arms })
    }
}
