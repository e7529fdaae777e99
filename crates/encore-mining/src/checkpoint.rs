//! Checkpoints: the whole miner as versioned bytes, to resume a run or keep a shop's counts
//! between runs. Loading checks every index and count it relies on, so bad bytes give an
//! error, never a panic or a wrong figure that could be caught cheaply.

use crate::counts::{Counts, Pair};
use crate::day::Day;
use crate::miner::{Miner, MinerConfig, Progress};
use crate::order::OrderId;
use crate::products::Products;
use crate::window::{DayLog, OrderLog, Window};
use serde::{Deserialize, Serialize};
use std::fmt;

/// What every checkpoint starts with; the number is the format's version.
const MAGIC: &[u8] = b"encore-mining checkpoint 1\n";

#[derive(Serialize, Deserialize)]
struct Snapshot {
    window: Window,
    max_basket: u32,
    today: Day,
    progress: Progress,
    products: Vec<String>,
    orders: u64,
    items: Vec<u32>,
    /// (lo, hi, count), sorted, so equal states give equal bytes.
    pairs: Vec<(u32, u32, u32)>,
    days: Vec<SnapshotDay>,
}

#[derive(Serialize, Deserialize)]
struct SnapshotDay {
    day: Day,
    ids: Vec<u64>,
    ends: Vec<u32>,
    products: Vec<u32>,
}

/// Why bytes are not a checkpoint this version can resume.
#[derive(Debug)]
#[non_exhaustive]
pub enum CheckpointError {
    /// They do not start like a version-1 checkpoint.
    NotACheckpoint,
    /// They are cut short or malformed.
    Decode(postcard::Error),
    /// They decode, but their parts disagree (named).
    Inconsistent(&'static str),
}

impl fmt::Display for CheckpointError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckpointError::NotACheckpoint => {
                write!(f, "not an encore-mining version 1 checkpoint")
            }
            CheckpointError::Decode(e) => write!(f, "checkpoint does not decode: {e}"),
            CheckpointError::Inconsistent(what) => write!(f, "checkpoint is inconsistent: {what}"),
        }
    }
}

impl std::error::Error for CheckpointError {}

impl Miner {
    /// The miner's whole state as bytes; [`Miner::from_checkpoint`] gives it back.
    pub fn checkpoint(&self) -> Vec<u8> {
        let mut pairs: Vec<(u32, u32, u32)> = self
            .counts
            .pairs
            .iter()
            .map(|(p, &c)| (p.lo, p.hi, c))
            .collect();
        pairs.sort_unstable();
        let snapshot = Snapshot {
            window: self.config.window,
            max_basket: self.config.max_basket,
            today: self.today,
            progress: self.progress,
            products: self.products.ids().map(str::to_owned).collect(),
            orders: self.counts.orders,
            items: self.counts.items.clone(),
            pairs,
            days: self
                .log
                .days
                .iter()
                .map(|(&day, log)| SnapshotDay {
                    day,
                    ids: log.ids.iter().map(|id| id.0).collect(),
                    ends: log.ends.clone(),
                    products: log.products.clone(),
                })
                .collect(),
        };
        let mut bytes = MAGIC.to_vec();
        // Serializing plain integers, strings and sequences into a Vec cannot fail.
        bytes.extend(postcard::to_allocvec(&snapshot).unwrap_or_default());
        bytes
    }

    /// Resumes a miner from [`Miner::checkpoint`]'s bytes.
    pub fn from_checkpoint(bytes: &[u8]) -> Result<Miner, CheckpointError> {
        let body = bytes
            .strip_prefix(MAGIC)
            .ok_or(CheckpointError::NotACheckpoint)?;
        let s: Snapshot = postcard::from_bytes(body).map_err(CheckpointError::Decode)?;
        let bad = CheckpointError::Inconsistent;
        let n = s.products.len();
        let products = Products::from_ids(s.products).ok_or(bad("a product id repeats"))?;
        if s.items.len() > n {
            return Err(bad("counts for more products than there are"));
        }
        let keep_baskets = matches!(s.window, Window::Days(_));
        let mut log = OrderLog::new(keep_baskets);
        let mut recount = vec![0u32; n];
        for d in s.days {
            let day_log = DayLog {
                ids: Vec::new(),
                ends: d.ends,
                products: d.products,
            };
            let baskets: Vec<&[u32]> = if keep_baskets {
                if day_log.ends.windows(2).any(|w| w[0] > w[1])
                    || day_log.ends.last().map_or(0, |&e| e as usize) != day_log.products.len()
                {
                    return Err(bad("a day's basket ends are out of order"));
                }
                day_log.baskets().collect()
            } else if day_log.ends.is_empty() && day_log.products.is_empty() {
                vec![&[]; d.ids.len()]
            } else {
                return Err(bad("baskets are logged for a window that never expires"));
            };
            if baskets.len() != d.ids.len() {
                return Err(bad("a day's baskets and order ids differ in number"));
            }
            for (&id, basket) in d.ids.iter().zip(baskets) {
                if basket.windows(2).any(|w| w[0] >= w[1])
                    || basket.iter().any(|&p| p as usize >= n)
                {
                    return Err(bad("a basket is not sorted distinct known products"));
                }
                for &p in basket {
                    recount[p as usize] += 1;
                }
                if !log.push(OrderId(id), d.day, basket) {
                    return Err(bad("an order id is logged twice"));
                }
            }
        }
        if log.len() as u64 != s.orders {
            return Err(bad("the order count differs from the orders logged"));
        }
        let mut items = s.items;
        items.resize(n, 0);
        if keep_baskets && items != recount {
            return Err(bad("a product's count differs from the baskets logged"));
        }
        let mut pairs = rustc_hash::FxHashMap::default();
        pairs.reserve(s.pairs.len());
        for (lo, hi, c) in s.pairs {
            if lo >= hi || hi as usize >= n || c == 0 {
                return Err(bad(
                    "a pair is not two distinct known products with a count",
                ));
            }
            if pairs.insert(Pair { lo, hi }, c).is_some() {
                return Err(bad("a pair is counted twice"));
            }
        }
        Ok(Miner {
            config: MinerConfig {
                window: s.window,
                max_basket: s.max_basket,
            },
            today: s.today,
            products,
            counts: Counts {
                orders: s.orders,
                items,
                pairs,
            },
            log,
            progress: s.progress,
        })
    }
}
