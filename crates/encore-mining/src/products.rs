//! Product ids interned as dense indices, so counts are arrays and pairs pack into 64 bits.

use rustc_hash::FxHashMap;

/// A product's dense index: its position in the order products were first seen.
pub(crate) type Index = u32;

#[derive(Debug, Clone, Default)]
pub(crate) struct Products {
    ids: Vec<Box<str>>,
    index: FxHashMap<Box<str>, Index>,
}

impl Products {
    /// Rebuilds the table from ids in index order; `None` if an id repeats.
    pub(crate) fn from_ids(ids: Vec<String>) -> Option<Products> {
        let mut products = Products::default();
        for id in ids {
            if products.index.contains_key(id.as_str()) {
                return None;
            }
            products.intern(&id)?;
        }
        Some(products)
    }

    /// The index of this product id, adding it when new; `None` past 2^32 products.
    pub(crate) fn intern(&mut self, id: &str) -> Option<Index> {
        if let Some(&i) = self.index.get(id) {
            return Some(i);
        }
        let i = Index::try_from(self.ids.len()).ok()?;
        let boxed: Box<str> = id.into();
        self.ids.push(boxed.clone());
        self.index.insert(boxed, i);
        Some(i)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Index> {
        self.index.get(id).copied()
    }

    pub(crate) fn id(&self, i: Index) -> &str {
        &self.ids[i as usize]
    }

    pub(crate) fn len(&self) -> usize {
        self.ids.len()
    }

    pub(crate) fn ids(&self) -> impl Iterator<Item = &str> {
        self.ids.iter().map(|s| &**s)
    }

    /// Each product's position when ids are sorted by bytes — the engine's tie order — so ties
    /// compare two integers instead of two strings.
    pub(crate) fn byte_order_ranks(&self) -> Vec<u32> {
        let mut by_id: Vec<Index> = (0..self.ids.len() as Index).collect();
        by_id.sort_unstable_by(|&a, &b| self.ids[a as usize].cmp(&self.ids[b as usize]));
        let mut rank = vec![0; self.ids.len()];
        for (r, &i) in by_id.iter().enumerate() {
            rank[i as usize] = r as u32;
        }
        rank
    }
}
