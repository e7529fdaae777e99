//! The co-purchase counts: orders, orders per product, orders per pair of products.
//!
//! A pair is stored once, as its two indices packed into one `u64` (smaller index high), with
//! a `u32` count: 12 bytes of key and value per distinct pair in the hash table.

use crate::products::Index;
use rustc_hash::FxHashMap;
use std::hash::{Hash, Hasher};

/// An unordered pair of products, `lo < hi`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Pair {
    pub(crate) lo: Index,
    pub(crate) hi: Index,
}

impl Hash for Pair {
    // One 64-bit write instead of two 32-bit ones: the pair table's hot path.
    fn hash<H: Hasher>(&self, state: &mut H) {
        state.write_u64((u64::from(self.lo) << 32) | u64::from(self.hi));
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Counts {
    /// Orders counted (each with 1..=max basket distinct products).
    pub(crate) orders: u64,
    /// Orders containing each product, by index.
    pub(crate) items: Vec<u32>,
    /// Orders containing both products of a pair; pairs at zero are removed.
    pub(crate) pairs: FxHashMap<Pair, u32>,
}

impl Counts {
    /// Counts one order; `basket` is sorted and without repeats.
    pub(crate) fn add(&mut self, basket: &[Index]) {
        self.orders += 1;
        for (k, &a) in basket.iter().enumerate() {
            let a_at = a as usize;
            if a_at >= self.items.len() {
                self.items.resize(a_at + 1, 0);
            }
            self.items[a_at] = self.items[a_at].saturating_add(1);
            for &b in &basket[k + 1..] {
                let count = self.pairs.entry(Pair { lo: a, hi: b }).or_insert(0);
                *count = count.saturating_add(1);
            }
        }
    }

    /// Takes back one order counted by `add` with the same basket.
    pub(crate) fn remove(&mut self, basket: &[Index]) {
        self.orders = self.orders.saturating_sub(1);
        for (k, &a) in basket.iter().enumerate() {
            if let Some(c) = self.items.get_mut(a as usize) {
                *c = c.saturating_sub(1);
            }
            for &b in &basket[k + 1..] {
                let pair = Pair { lo: a, hi: b };
                if let Some(c) = self.pairs.get_mut(&pair) {
                    *c -= 1;
                    if *c == 0 {
                        self.pairs.remove(&pair);
                    }
                }
            }
        }
    }

    pub(crate) fn item(&self, i: Index) -> u32 {
        self.items.get(i as usize).copied().unwrap_or(0)
    }
}
