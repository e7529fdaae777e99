//! Lines in, products out: the JSONL join by `__parentId`, without I/O.

use std::borrow::Cow;

use encore_engine::money::Currency;
use serde::Deserialize;

use super::rows::{
    CollectionRef, InventoryItem, ProductRecord, ProductRow, SellingPlanGroupRef, VariantRecord,
    VariantRow,
};
use crate::ids::ProductId;

/// What the assembler gives back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CatalogEntry {
    /// A product with every child that followed it.
    Product(ProductRecord),
    /// A child whose product came earlier and was already given out. Shopify writes children
    /// after their parent, but without `groupObjects` it does not promise they are adjacent:
    /// store these by the parent's id.
    Detached { product: ProductId, child: Child },
}

/// A row under a product.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Child {
    Variant(VariantRecord),
    Collection(CollectionRef),
    SellingPlanGroup(SellingPlanGroupRef),
}

/// A skipped line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    /// 1-based line number.
    pub line: u64,
    pub reason: String,
}

/// Counts of what was read, for the sync status.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogStats {
    pub lines: u64,
    pub products: u64,
    pub variants: u64,
    pub collections: u64,
    pub selling_plan_groups: u64,
    pub detached: u64,
    pub malformed: u64,
    /// The first few malformed lines, for the merchant and the logs.
    pub first_malformed: Vec<Malformed>,
}

pub(super) const KEPT_MALFORMED: usize = 10;

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(rename = "__parentId", borrow, default)]
    parent: Option<Cow<'a, str>>,
}

/// Joins catalog lines into products. Holds one product at a time.
#[derive(Debug)]
pub struct CatalogAssembler {
    currency: Currency,
    current: Option<ProductRecord>,
    stats: CatalogStats,
}

impl CatalogAssembler {
    /// Prices are read in `currency`, the shop's (bulk rows carry no currency for prices).
    pub fn new(currency: Currency) -> Self {
        Self {
            currency,
            current: None,
            stats: CatalogStats::default(),
        }
    }

    pub fn stats(&self) -> &CatalogStats {
        &self.stats
    }

    /// Reads one line (without or with its newline). Returns the previous product when this
    /// line starts a new one, or a detached child.
    pub fn push_line(&mut self, line: &[u8]) -> Option<CatalogEntry> {
        self.stats.lines += 1;
        let line_no = self.stats.lines;
        let text = trim(line);
        if text.is_empty() {
            return None;
        }
        match self.read(text) {
            Ok(entry) => entry,
            Err(reason) => {
                self.stats.malformed += 1;
                if self.stats.first_malformed.len() < KEPT_MALFORMED {
                    self.stats.first_malformed.push(Malformed {
                        line: line_no,
                        reason,
                    });
                }
                None
            }
        }
    }

    /// The last product, once the input ended.
    pub fn finish(&mut self) -> Option<CatalogEntry> {
        self.current.take().map(|p| {
            self.stats.products += 1;
            CatalogEntry::Product(p)
        })
    }

    fn read(&mut self, text: &[u8]) -> Result<Option<CatalogEntry>, String> {
        let head: Head = serde_json::from_slice(text).map_err(|e| e.to_string())?;
        let resource = head
            .id
            .strip_prefix("gid://shopify/")
            .and_then(|rest| rest.split_once('/'))
            .map(|(kind, _)| kind)
            .ok_or_else(|| format!("id {:?} is not a GID", head.id))?;
        if resource == "Product" {
            if head.parent.is_some() {
                return Err("a product row has a __parentId".into());
            }
            let row: ProductRow = serde_json::from_slice(text).map_err(|e| e.to_string())?;
            let finished = self.finish();
            self.current = Some(product(row));
            return Ok(finished);
        }
        let parent = head
            .parent
            .ok_or_else(|| format!("a {resource} row has no __parentId"))?;
        let parent = ProductId::parse(&parent).map_err(|e| e.to_string())?;
        let child = match resource {
            "ProductVariant" => {
                let row: VariantRow = serde_json::from_slice(text).map_err(|e| e.to_string())?;
                Child::Variant(self.variant(row)?)
            }
            "Collection" => {
                Child::Collection(serde_json::from_slice(text).map_err(|e| e.to_string())?)
            }
            "SellingPlanGroup" => {
                Child::SellingPlanGroup(serde_json::from_slice(text).map_err(|e| e.to_string())?)
            }
            other => return Err(format!("unexpected {other} row")),
        };
        *child_count(&mut self.stats, &child) += 1;
        match self.current.as_mut() {
            Some(product) if product.id == parent => {
                match child {
                    Child::Variant(v) => product.variants.push(v),
                    Child::Collection(c) => product.collections.push(c),
                    Child::SellingPlanGroup(g) => product.selling_plan_groups.push(g),
                }
                Ok(None)
            }
            _ => {
                self.stats.detached += 1;
                Ok(Some(CatalogEntry::Detached {
                    product: parent,
                    child,
                }))
            }
        }
    }

    fn variant(&self, row: VariantRow) -> Result<VariantRecord, String> {
        let price = |text: &str| {
            self.currency
                .parse(text)
                .map_err(|e| format!("price {text:?} {e}"))
        };
        let unit_cost = match row.inventory_item.unit_cost {
            Some(cost) => Some((
                cost.minor_units().map_err(|e| e.to_string())?,
                cost.currency_code,
            )),
            None => None,
        };
        Ok(VariantRecord {
            id: row.id,
            title: row.title,
            sku: row.sku,
            price_minor: price(&row.price)?,
            compare_at_price_minor: row.compare_at_price.as_deref().map(price).transpose()?,
            inventory_policy: row.inventory_policy,
            sellable_online_quantity: row.sellable_online_quantity,
            inventory_quantity: row.inventory_quantity,
            available_for_sale: row.available_for_sale,
            updated_at: row.updated_at,
            inventory_item: InventoryItem {
                id: row.inventory_item.id,
                tracked: row.inventory_item.tracked,
                requires_shipping: row.inventory_item.requires_shipping,
                unit_cost,
            },
        })
    }
}

fn child_count<'s>(stats: &'s mut CatalogStats, child: &Child) -> &'s mut u64 {
    match child {
        Child::Variant(_) => &mut stats.variants,
        Child::Collection(_) => &mut stats.collections,
        Child::SellingPlanGroup(_) => &mut stats.selling_plan_groups,
    }
}

fn product(row: ProductRow) -> ProductRecord {
    let image = row
        .featured_media
        .and_then(|m| m.preview)
        .and_then(|p| p.image);
    ProductRecord {
        id: row.id,
        title: row.title,
        handle: row.handle,
        product_type: row.product_type,
        vendor: row.vendor,
        tags: row.tags,
        status: row.status,
        updated_at: row.updated_at,
        requires_selling_plan: row.requires_selling_plan,
        image_alt: image.as_ref().and_then(|i| i.alt_text.clone()),
        image_url: image.map(|i| i.url),
        collections: Vec::new(),
        selling_plan_groups: Vec::new(),
        variants: Vec::new(),
    }
}

pub(super) fn trim(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    &line[..end]
}
