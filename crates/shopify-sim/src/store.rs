//! A generated store: products, variants, collections and selling plan groups computed from a
//! seed and an index, so a store of any size costs no memory until it is changed.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// What to generate.
#[derive(Debug, Clone)]
pub struct StoreSpec {
    pub seed: u64,
    pub products: u64,
    pub variants_per_product: u64,
    /// ISO 4217 code; prices are written with its minor unit (2 decimals unless JPY-like).
    pub currency: String,
}

impl Default for StoreSpec {
    fn default() -> Self {
        Self {
            seed: 7,
            products: 20,
            variants_per_product: 3,
            currency: "USD".into(),
        }
    }
}

/// One generated product with its children.
#[derive(Debug, Clone, PartialEq)]
pub struct Product {
    pub id: u64,
    pub title: String,
    pub handle: String,
    pub product_type: String,
    pub vendor: String,
    pub tags: Vec<String>,
    pub updated_at: String,
    pub requires_selling_plan: bool,
    pub image_url: Option<String>,
    pub collections: Vec<Collection>,
    pub selling_plan_groups: Vec<(u64, String)>,
    pub variants: Vec<Variant>,
}

/// A generated variant. Prices are in minor units.
#[derive(Debug, Clone, PartialEq)]
pub struct Variant {
    pub id: u64,
    pub title: String,
    pub sku: String,
    pub price_minor: i64,
    pub compare_at_minor: Option<i64>,
    pub deny_when_out_of_stock: bool,
    pub quantity: i64,
    pub inventory_item_id: u64,
    pub tracked: bool,
    pub requires_shipping: bool,
    pub unit_cost_minor: Option<i64>,
}

/// A collection (a product belongs to one or two of a shop's 12).
#[derive(Debug, Clone, PartialEq)]
pub struct Collection {
    pub id: u64,
    pub handle: String,
    pub title: String,
}

const TYPES: &[&str] = &[
    "Phone",
    "Case",
    "Camera",
    "Memory Card",
    "Coffee",
    "Pods",
    "Dog Food",
    "Cookbook",
];
const VENDORS: &[&str] = &["Acme", "Northwind", "Globex", "Initech"];
const ADJECTIVES: &[&str] = &["Classic", "Pro", "Mini", "Everyday", "Deluxe", "Travel"];
const SIZES: &[&str] = &[
    "Small", "Medium", "Large", "XL", "XXL", "Red", "Blue", "Green",
];
const COLLECTIONS: &[&str] = &[
    "accessories",
    "audio",
    "bestsellers",
    "coffee",
    "gifts",
    "kitchen",
    "new-arrivals",
    "outdoor",
    "pets",
    "photo",
    "sale",
    "travel",
];

/// Ids are offset so that products, variants and items never share a number (as in Shopify,
/// where they are separate sequences but real ids are large).
pub const PRODUCT_BASE: u64 = 8_000_000_000;
pub const VARIANT_BASE: u64 = 40_000_000_000;
pub const ITEM_BASE: u64 = 50_000_000_000;
pub const COLLECTION_BASE: u64 = 400_000_000;
pub const SELLING_PLAN_GROUP_BASE: u64 = 900_000;

impl StoreSpec {
    pub fn variant_count(&self) -> u64 {
        self.products * self.variants_per_product
    }

    /// The product at `index` (0-based), the same for the same seed every time.
    pub fn product(&self, index: u64) -> Product {
        let mut rng =
            ChaCha8Rng::seed_from_u64(self.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ index);
        let product_type = TYPES[rng.gen_range(0..TYPES.len())];
        let adjective = ADJECTIVES[rng.gen_range(0..ADJECTIVES.len())];
        let id = PRODUCT_BASE + index + 1;
        let title = format!("{adjective} {product_type} {}", index + 1);
        let handle = title.to_lowercase().replace(' ', "-");
        let first = rng.gen_range(0..COLLECTIONS.len());
        let mut collections = vec![collection(first)];
        if rng.gen_bool(0.4) {
            collections.push(collection(
                (first + 1 + rng.gen_range(0..COLLECTIONS.len() - 1)) % COLLECTIONS.len(),
            ));
        }
        let subscribable = index % 10 == 3;
        let exponent_scale = if self.currency == "JPY" { 1 } else { 100 };
        let base_price = rng.gen_range(5..300) as i64 * exponent_scale
            - if exponent_scale == 100 { 1 } else { 0 };
        let variants = (0..self.variants_per_product)
            .map(|v| {
                let variant_index = index * self.variants_per_product + v;
                let price_minor = base_price + v as i64 * exponent_scale;
                let tracked = rng.gen_bool(0.9);
                Variant {
                    id: VARIANT_BASE + variant_index + 1,
                    title: SIZES[(v as usize) % SIZES.len()].to_string(),
                    sku: format!("SKU-{}-{}", index + 1, v + 1),
                    price_minor,
                    compare_at_minor: rng.gen_bool(0.3).then(|| price_minor + price_minor / 5),
                    deny_when_out_of_stock: rng.gen_bool(0.85),
                    quantity: if tracked { rng.gen_range(-2..60) } else { 0 },
                    inventory_item_id: ITEM_BASE + variant_index + 1,
                    tracked,
                    requires_shipping: product_type != "Cookbook" || v == 0,
                    unit_cost_minor: rng.gen_bool(0.7).then(|| price_minor * 2 / 5),
                }
            })
            .collect();
        Product {
            id,
            handle,
            product_type: product_type.to_string(),
            vendor: VENDORS[rng.gen_range(0..VENDORS.len())].to_string(),
            tags: [
                product_type.to_lowercase(),
                format!("tier-{}", rng.gen_range(1..4)),
            ]
            .into(),
            updated_at: "2026-11-30T09:00:00Z".to_string(),
            requires_selling_plan: false,
            image_url: rng.gen_bool(0.8).then(|| {
                format!(
                    "https://cdn.shopify.com/s/files/1/0000/0001/products/{}.jpg",
                    id
                )
            }),
            collections,
            selling_plan_groups: if subscribable {
                vec![(
                    SELLING_PLAN_GROUP_BASE + 1,
                    "Subscribe and save".to_string(),
                )]
            } else {
                Vec::new()
            },
            variants,
            title,
        }
    }
}

fn collection(i: usize) -> Collection {
    let handle = COLLECTIONS[i];
    Collection {
        id: COLLECTION_BASE + i as u64 + 1,
        handle: handle.to_string(),
        title: handle.replace('-', " "),
    }
}

/// Formats minor units as Shopify's decimal string in `currency`.
pub fn decimal(minor: i64, currency: &str) -> String {
    if currency == "JPY" || currency == "KRW" {
        return minor.to_string();
    }
    let sign = if minor < 0 { "-" } else { "" };
    let m = minor.unsigned_abs();
    format!("{sign}{}.{:02}", m / 100, m % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_store_and_another_seed_another() {
        let a = StoreSpec::default();
        let b = StoreSpec {
            seed: 8,
            ..StoreSpec::default()
        };
        assert_eq!(a.product(5), a.product(5));
        assert_ne!(a.product(5), b.product(5));
        assert_eq!(a.product(5).variants.len(), 3);
    }
}
