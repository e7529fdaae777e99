//! Suggestions from the counts: support, confidence and lift in integers, a minimum support,
//! demotion of refunded pairs, and the top K per product in the engine's order.

use crate::miner::Miner;
use crate::products::Index;
use rustc_hash::FxHashSet;

/// How suggestions are chosen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankOptions {
    /// Suggestions kept per product.
    pub top_k: usize,
    /// Pairs bought together in fewer orders than this are never suggested.
    pub min_support: u32,
    /// Pairs whose offers were refunded too often, left out.
    pub demotion: Option<Demotion>,
}

impl RankOptions {
    /// 20 per product: the most candidates an `auto` offer may take (`maxCandidates` ≤ 20).
    pub const DEFAULT_TOP_K: usize = 20;
    /// A pair must have been bought together in 10 orders of the window: below that, chance
    /// meetings of mid-popular products reach lifts above 10 (docs/mining.md "Minimum support").
    pub const DEFAULT_MIN_SUPPORT: u32 = 10;

    /// The defaults, with a minimum support that grows with the window: 10, plus 10 for each
    /// tenfold beyond a million orders (20 from 10 million, 30 from 100 million). Chance
    /// meetings get likelier as pairs multiply, but slowly: a support that grew in proportion
    /// to the window would drop real complements of long-tail products (docs/mining.md).
    pub fn for_window(orders_in_window: u64) -> RankOptions {
        let mut min_support = RankOptions::DEFAULT_MIN_SUPPORT;
        let mut tenfold = 10_000_000u64;
        while orders_in_window >= tenfold {
            min_support += 10;
            match tenfold.checked_mul(10) {
                Some(next) => tenfold = next,
                None => break,
            }
        }
        RankOptions {
            min_support,
            ..RankOptions::default()
        }
    }
}

impl Default for RankOptions {
    fn default() -> RankOptions {
        RankOptions {
            top_k: RankOptions::DEFAULT_TOP_K,
            min_support: RankOptions::DEFAULT_MIN_SUPPORT,
            demotion: None,
        }
    }
}

/// Suggesting `suggested_product_id` after `product_id` stops when its offers' refund rate is
/// above `threshold_bp` (strictly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Demotion {
    pub threshold_bp: u32,
    pub refund_rates: Vec<RefundRate>,
}

/// Refunded units per accepted unit of the offers that suggested one product after another,
/// in basis points (1/10,000), as the refund-rate guardrail measures it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRate {
    pub product_id: String,
    pub suggested_product_id: String,
    pub refund_rate_bp: u32,
}

/// One suggestion: after `product_id`, offer `suggested_product_id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub product_id: String,
    pub suggested_product_id: String,
    /// Orders in the window containing both products.
    pub support: u32,
    /// P(suggested | product) in basis points, rounded half up.
    pub confidence_bp: u32,
    /// Lift × 1000, rounded half up: the engine's `liftPermille`.
    pub lift_permille: i64,
}

impl From<&Suggestion> for encore_engine::Suggestion {
    fn from(s: &Suggestion) -> encore_engine::Suggestion {
        encore_engine::Suggestion {
            product_id: s.product_id.clone(),
            suggested_product_id: s.suggested_product_id.clone(),
            lift_permille: s.lift_permille,
        }
    }
}

/// The suggestions of every product, by product id (bytes), then best first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranking {
    pub suggestions: Vec<Suggestion>,
    /// Pairs (one direction each) with the minimum support left out by demotion.
    pub demoted: usize,
}

/// `num / den` rounded half up; `den > 0`.
fn div_half_up(num: u128, den: u128) -> u128 {
    (2 * num + den) / (2 * den)
}

/// Lift × 1000 rounded half up: `support × orders × 1000 / (count_a × count_b)`, where
/// `orders` is N, `count_a` and `count_b` the orders containing each product. `None` when a
/// count is zero. Symmetric in a and b.
pub fn lift_permille(support: u32, orders: u64, count_a: u32, count_b: u32) -> Option<i64> {
    let den = u128::from(count_a) * u128::from(count_b);
    if den == 0 {
        return None;
    }
    let num = u128::from(support) * u128::from(orders) * 1000;
    Some(i64::try_from(div_half_up(num, den)).unwrap_or(i64::MAX))
}

/// P(B | A) in basis points rounded half up: `support × 10,000 / count_a`. `None` when
/// `count_a` is zero.
pub fn confidence_bp(support: u32, count_a: u32) -> Option<u32> {
    if count_a == 0 {
        return None;
    }
    let bp = div_half_up(u128::from(support) * 10_000, u128::from(count_a));
    Some(u32::try_from(bp).unwrap_or(u32::MAX))
}

#[derive(Debug, Clone, Copy)]
struct Entry {
    lift: i64,
    /// The suggested product's place in byte order: ties go to the smaller.
    tie: u32,
    other: Index,
    support: u32,
}

impl Entry {
    fn before(&self, other: &Entry) -> bool {
        self.lift > other.lift || (self.lift == other.lift && self.tie < other.tie)
    }
}

/// Keeps `list` the best `k` entries, best first.
fn offer(list: &mut Vec<Entry>, k: usize, e: Entry) {
    if list.len() == k {
        match list.last() {
            Some(last) if e.before(last) => {
                list.pop();
            }
            _ => return,
        }
    }
    let at = list.partition_point(|x| x.before(&e));
    list.insert(at, e);
}

impl Miner {
    /// The top suggestions of every product from the counts now.
    pub fn rank(&self, options: &RankOptions) -> Ranking {
        let counts = &self.counts;
        let n_products = self.products.len();
        let byte_rank = self.products.byte_order_ranks();
        let demoted_pairs: FxHashSet<(Index, Index)> = options
            .demotion
            .iter()
            .flat_map(|d| {
                d.refund_rates
                    .iter()
                    .filter(move |r| r.refund_rate_bp > d.threshold_bp)
            })
            .filter_map(|r| {
                Some((
                    self.products.get(&r.product_id)?,
                    self.products.get(&r.suggested_product_id)?,
                ))
            })
            .collect();
        let mut top: Vec<Vec<Entry>> = vec![Vec::new(); n_products];
        let mut demoted = 0;
        if options.top_k > 0 {
            for (pair, &support) in &counts.pairs {
                if support < options.min_support {
                    continue;
                }
                let (a, b) = (pair.lo, pair.hi);
                let Some(lift) =
                    lift_permille(support, counts.orders, counts.item(a), counts.item(b))
                else {
                    continue;
                };
                for (from, to) in [(a, b), (b, a)] {
                    if demoted_pairs.contains(&(from, to)) {
                        demoted += 1;
                        continue;
                    }
                    let (Some(list), Some(&tie)) =
                        (top.get_mut(from as usize), byte_rank.get(to as usize))
                    else {
                        continue;
                    };
                    let e = Entry {
                        lift,
                        tie,
                        other: to,
                        support,
                    };
                    offer(list, options.top_k, e);
                }
            }
        }
        let mut by_id: Vec<Index> = (0..n_products as Index).collect();
        by_id.sort_unstable_by_key(|&i| byte_rank[i as usize]);
        let mut suggestions = Vec::new();
        for from in by_id {
            for e in &top[from as usize] {
                let Some(confidence_bp) = confidence_bp(e.support, counts.item(from)) else {
                    continue;
                };
                suggestions.push(Suggestion {
                    product_id: self.products.id(from).to_owned(),
                    suggested_product_id: self.products.id(e.other).to_owned(),
                    support: e.support,
                    confidence_bp,
                    lift_permille: e.lift,
                });
            }
        }
        Ranking {
            suggestions,
            demoted,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lift_and_confidence_round_half_up() {
        // 1 × 7 × 1000 / (4 × 4) = 437.5
        assert_eq!(lift_permille(1, 7, 4, 4), Some(438));
        // 2 × 7 × 1000 / (4 × 3) = 1166.67
        assert_eq!(lift_permille(2, 7, 4, 3), Some(1167));
        // 1 × 10,000 / 32 = 312.5
        assert_eq!(confidence_bp(1, 32), Some(313));
        assert_eq!(confidence_bp(1, 3), Some(3333));
        assert_eq!(lift_permille(1, 7, 0, 4), None);
        assert_eq!(confidence_bp(1, 0), None);
    }

    #[test]
    fn the_minimum_support_grows_by_ten_with_each_tenfold_of_the_window_past_a_million() {
        assert_eq!(RankOptions::for_window(0).min_support, 10);
        assert_eq!(RankOptions::for_window(9_999_999).min_support, 10);
        assert_eq!(RankOptions::for_window(10_000_000).min_support, 20);
        assert_eq!(RankOptions::for_window(99_999_999).min_support, 20);
        assert_eq!(RankOptions::for_window(100_000_000).min_support, 30);
        assert_eq!(RankOptions::for_window(u64::MAX).min_support, 140);
        assert_eq!(RankOptions::for_window(1_000_000).top_k, 20);
    }

    #[test]
    fn lift_of_extreme_counts_saturates_instead_of_overflowing() {
        assert_eq!(lift_permille(u32::MAX, u64::MAX, 1, 1), Some(i64::MAX));
    }
}
