//! The window of orders that counts: 60 days unless the shop granted `read_all_orders`, and
//! the log of counted orders that lets old ones expire and a repeated order id count once.

use crate::day::Day;
use crate::order::OrderId;
use crate::products::Index;
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Which orders count, relative to the miner's "today".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Window {
    /// Orders placed on the last `n` days, today included; older ones expire.
    Days(u32),
    /// Every order ever counted; nothing expires.
    AllHistory,
}

impl Window {
    /// The window Shopify lets an app read without `read_all_orders`.
    pub const DEFAULT_DAYS: u32 = 60;

    /// The window for a shop: all history when it granted `read_all_orders`, else 60 days.
    pub fn for_shop(read_all_orders: bool) -> Window {
        if read_all_orders {
            Window::AllHistory
        } else {
            Window::Days(Window::DEFAULT_DAYS)
        }
    }

    /// The first day that counts when today is `today`; `None` when every day counts.
    pub fn start(self, today: Day) -> Option<Day> {
        match self {
            Window::Days(n) => Some(today.window_start(n)),
            Window::AllHistory => None,
        }
    }
}

/// The orders counted on one day. `ends[i]` is where order `i`'s basket ends in `products`;
/// baskets are kept only when the window can expire them.
#[derive(Debug, Clone, Default)]
pub(crate) struct DayLog {
    pub(crate) ids: Vec<OrderId>,
    pub(crate) ends: Vec<u32>,
    pub(crate) products: Vec<Index>,
}

impl DayLog {
    pub(crate) fn baskets(&self) -> impl Iterator<Item = &[Index]> {
        let mut start = 0usize;
        self.ends.iter().map(move |&end| {
            let basket = &self.products[start..end as usize];
            start = end as usize;
            basket
        })
    }
}

#[derive(Debug, Clone)]
pub(crate) struct OrderLog {
    pub(crate) keep_baskets: bool,
    pub(crate) days: BTreeMap<Day, DayLog>,
    seen: FxHashSet<OrderId>,
}

impl OrderLog {
    pub(crate) fn new(keep_baskets: bool) -> OrderLog {
        OrderLog {
            keep_baskets,
            days: BTreeMap::new(),
            seen: FxHashSet::default(),
        }
    }

    pub(crate) fn contains(&self, id: OrderId) -> bool {
        self.seen.contains(&id)
    }

    /// Orders in the log.
    pub(crate) fn len(&self) -> usize {
        self.seen.len()
    }

    /// Logs a counted order; `false` (and nothing logged) if its id is already there.
    pub(crate) fn push(&mut self, id: OrderId, day: Day, basket: &[Index]) -> bool {
        if !self.seen.insert(id) {
            return false;
        }
        let log = self.days.entry(day).or_default();
        log.ids.push(id);
        if self.keep_baskets {
            log.products.extend_from_slice(basket);
            log.ends.push(log.products.len() as u32);
        }
        true
    }

    /// Removes the days before `start`, handing each removed basket to `uncount`; returns the
    /// number of orders removed.
    pub(crate) fn expire_before(&mut self, start: Day, mut uncount: impl FnMut(&[Index])) -> u64 {
        let kept = self.days.split_off(&start);
        let expired = std::mem::replace(&mut self.days, kept);
        let mut n = 0;
        for log in expired.values() {
            for basket in log.baskets() {
                uncount(basket);
            }
            for id in &log.ids {
                self.seen.remove(id);
            }
            n += log.ids.len() as u64;
        }
        n
    }
}
