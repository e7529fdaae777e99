//! The miner: counts orders into the window incrementally, expires old days, and feeds a
//! source of orders with progress reports and cancellation.

use crate::counts::Counts;
use crate::day::Day;
use crate::order::Order;
use crate::products::{Index, Products};
use crate::window::{OrderLog, Window};
use serde::{Deserialize, Serialize};
use std::ops::ControlFlow;

/// How a miner counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MinerConfig {
    pub window: Window,
    /// Orders with more distinct products than this are not counted at all (wholesale and
    /// test orders; one order of n products makes n(n−1)/2 pairs).
    pub max_basket: u32,
}

impl MinerConfig {
    /// Orders with at most 32 distinct products count: at most 496 pairs per order.
    pub const DEFAULT_MAX_BASKET: u32 = 32;

    /// The default configuration for a shop (see [`Window::for_shop`]).
    pub fn for_shop(read_all_orders: bool) -> MinerConfig {
        MinerConfig {
            window: Window::for_shop(read_all_orders),
            max_basket: MinerConfig::DEFAULT_MAX_BASKET,
        }
    }
}

/// What became of one order given to the miner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Added {
    /// Counted into the window.
    Counted,
    /// Its id was already counted (a redelivery, or a resumed source read again).
    Duplicate,
    /// Placed before the window's first day.
    OutsideWindow,
    /// More distinct products than `max_basket`.
    TooLarge,
    /// No product ids (custom items only, say).
    NoProducts,
}

/// Counters for the admin's status and a progress bar; kept in checkpoints.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Orders taken by [`Miner::feed`] from the current source since [`Miner::start_source`]:
    /// where a resumed run continues.
    pub position: u64,
    pub counted: u64,
    pub duplicates: u64,
    pub outside_window: u64,
    pub too_large: u64,
    pub no_products: u64,
    /// Counted orders that later left the window.
    pub expired: u64,
}

/// How a [`Miner::feed`] ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// The source ran out.
    Finished,
    /// The progress callback asked to stop (cancellation); `Progress::position` says where.
    Stopped,
}

/// A shop's co-purchase counts over its window of orders.
#[derive(Debug, Clone)]
pub struct Miner {
    pub(crate) config: MinerConfig,
    pub(crate) today: Day,
    pub(crate) products: Products,
    pub(crate) counts: Counts,
    pub(crate) log: OrderLog,
    pub(crate) progress: Progress,
}

impl Miner {
    /// An empty miner whose window ends with `today`.
    pub fn new(config: MinerConfig, today: Day) -> Miner {
        Miner {
            config,
            today,
            products: Products::default(),
            counts: Counts::default(),
            log: OrderLog::new(matches!(config.window, Window::Days(_))),
            progress: Progress::default(),
        }
    }

    pub fn config(&self) -> MinerConfig {
        self.config
    }

    pub fn today(&self) -> Day {
        self.today
    }

    pub fn progress(&self) -> Progress {
        self.progress
    }

    /// Orders counted in the window now (N in the definitions).
    pub fn orders_in_window(&self) -> u64 {
        self.counts.orders
    }

    /// Distinct products ever seen in counted orders.
    pub fn products_seen(&self) -> usize {
        self.products.len()
    }

    /// Distinct pairs bought together at least once in the window.
    pub fn distinct_pairs(&self) -> usize {
        self.counts.pairs.len()
    }

    /// Counts one order (from the bulk operation or an `orders/create` webhook). An order id
    /// counts once however often it is given.
    pub fn add_order(&mut self, order: &Order) -> Added {
        let added = self.count(order);
        let p = &mut self.progress;
        match added {
            Added::Counted => p.counted += 1,
            Added::Duplicate => p.duplicates += 1,
            Added::OutsideWindow => p.outside_window += 1,
            Added::TooLarge => p.too_large += 1,
            Added::NoProducts => p.no_products += 1,
        }
        added
    }

    fn count(&mut self, order: &Order) -> Added {
        if self.log.contains(order.id) {
            return Added::Duplicate;
        }
        if self
            .config
            .window
            .start(self.today)
            .is_some_and(|start| order.day < start)
        {
            return Added::OutsideWindow;
        }
        let mut ids: Vec<&str> = order.products.iter().map(String::as_str).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.is_empty() {
            return Added::NoProducts;
        }
        if ids.len() > self.config.max_basket as usize {
            return Added::TooLarge;
        }
        // Past 2^32 distinct products (never, in memory) an order is refused as too large.
        let Some(mut basket) = ids
            .iter()
            .map(|id| self.products.intern(id))
            .collect::<Option<Vec<Index>>>()
        else {
            return Added::TooLarge;
        };
        basket.sort_unstable();
        self.counts.add(&basket);
        self.log.push(order.id, order.day, &basket);
        Added::Counted
    }

    /// Moves the window's last day to `today` (never backwards) and takes back the orders of
    /// the days that left it.
    pub fn advance_to(&mut self, today: Day) {
        if today <= self.today {
            return;
        }
        self.today = today;
        if let Some(start) = self.config.window.start(today) {
            let counts = &mut self.counts;
            self.progress.expired += self
                .log
                .expire_before(start, |basket| counts.remove(basket));
        }
    }

    /// Starts reading a new source of orders (a new bulk operation): `position` goes back to 0.
    pub fn start_source(&mut self) {
        self.progress.position = 0;
    }

    /// Counts the orders of a source, calling `on_progress` after every `report_every` orders
    /// and once at the end. The callback may checkpoint, draw a progress bar or publish the
    /// status; returning `Break` stops the run (cancellation) with every order taken so far
    /// counted. Resume with `source.skip(progress().position)`: orders read twice count once.
    pub fn feed<I>(
        &mut self,
        orders: I,
        report_every: u64,
        mut on_progress: impl FnMut(&Miner) -> ControlFlow<()>,
    ) -> Fed
    where
        I: IntoIterator<Item = Order>,
    {
        let every = report_every.max(1);
        for order in orders {
            self.progress.position += 1;
            self.add_order(&order);
            if self.progress.position.is_multiple_of(every) && on_progress(self).is_break() {
                return Fed::Stopped;
            }
        }
        // The source is done whatever the last report answers.
        let _ = on_progress(self);
        Fed::Finished
    }
}
