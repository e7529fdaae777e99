//! A generator of realistic order histories, reproducible from a seed, for tests and
//! benchmarks: Zipf-popular products, basket sizes like real stores' (most orders 1–3 items, a
//! long tail) and a few planted complementary pairs that mining should find.
//!
//! The model (docs/mining.md "The generator"):
//! - Products are ranked by popularity; a line picks rank r (0-based) with probability
//!   ∝ 1/(r+1)^s (Zipf, s = `zipf_exponent`). Product ids are 13-digit numbers like Shopify's,
//!   shuffled so that id order says nothing about popularity.
//! - An order has k lines, k drawn from [`basket_size_weights`]; lines are drawn independently,
//!   so an order may repeat a product (two variants of one product).
//! - A planted pair (A, B): A is a moderately popular product (ranks n/1000 ..< n/25), B a
//!   long-tail one (ranks n/10 ..< n); every product is in at most one pair. Each line of A
//!   brings a line of B into the order with the pair's `attach_permille` chance (150–450‰).
//! - Orders are dated evenly over `days` days ending with `last_day`, ids counting up from
//!   `first_order_id`, like a bulk operation sorted by creation.

use crate::day::Day;
use crate::order::{Order, OrderId};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Relative frequencies (out of 1000) of orders with 1, 2, … 60 lines (index k−1). 1: 50%,
/// 2: 24%, 3: 11%, 4: 6%, 5: 3.5%, 6–10: 0.8% each, 11–60: 1.5% together with weight ∝ 1/k².
pub fn basket_size_weights() -> Vec<f64> {
    let mut w = vec![500.0, 240.0, 110.0, 60.0, 35.0];
    w.extend([8.0; 5]);
    let tail: f64 = (11..=60).map(|k| 1.0 / f64::from(k * k)).sum();
    w.extend((11..=60).map(|k| 15.0 / f64::from(k * k) / tail));
    w
}

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct HistorySpec {
    pub seed: u64,
    pub orders: u64,
    pub products: u32,
    pub zipf_exponent: f64,
    pub planted_pairs: u32,
    pub days: u32,
    pub last_day: Day,
    pub first_order_id: u64,
}

impl HistorySpec {
    /// `orders` over `products` with Zipf exponent 1, 50 planted pairs, 60 days ending on
    /// 2026-11-26.
    pub fn new(seed: u64, orders: u64, products: u32) -> HistorySpec {
        HistorySpec {
            seed,
            orders,
            products,
            zipf_exponent: 1.0,
            planted_pairs: 50,
            days: 60,
            last_day: Day(20_783),
            first_order_id: 5_100_000_000_000,
        }
    }
}

/// A complementary pair the generator planted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlantedPair {
    pub product_id: String,
    pub complement_id: String,
    pub attach_permille: u32,
}

/// The orders of a [`HistorySpec`], generated one at a time.
#[derive(Debug, Clone)]
pub struct History {
    spec: HistorySpec,
    rng: ChaCha8Rng,
    /// Product id of each popularity rank.
    ids: Vec<String>,
    popularity_cdf: Vec<f64>,
    size_cdf: Vec<f64>,
    /// For each rank: its planted complement's rank and attach chance.
    complement: Vec<Option<(u32, u32)>>,
    planted: Vec<PlantedPair>,
    next: u64,
}

fn cdf(weights: impl Iterator<Item = f64>) -> Vec<f64> {
    let mut sum = 0.0;
    let mut out: Vec<f64> = weights
        .map(|w| {
            sum += w;
            sum
        })
        .collect();
    for c in &mut out {
        *c /= sum;
    }
    out
}

fn draw(rng: &mut ChaCha8Rng, cdf: &[f64]) -> usize {
    let u: f64 = rng.gen();
    cdf.partition_point(|&c| c <= u)
        .min(cdf.len().saturating_sub(1))
}

impl History {
    pub fn new(spec: HistorySpec) -> History {
        let n = spec.products.max(1);
        let mut setup = ChaCha8Rng::seed_from_u64(spec.seed);
        let mut numbers: Vec<u64> = (0..u64::from(n)).collect();
        for i in (1..numbers.len()).rev() {
            numbers.swap(i, setup.gen_range(0..=i));
        }
        let ids: Vec<String> = numbers
            .iter()
            .map(|k| (8_000_000_000_000 + k).to_string())
            .collect();
        let s = spec.zipf_exponent;
        let popularity_cdf = cdf((0..n).map(|r| 1.0 / f64::from(r + 1).powf(s)));
        let size_cdf = cdf(basket_size_weights().into_iter());

        let mut complement = vec![None; n as usize];
        let mut planted = Vec::new();
        let (a_lo, a_hi) = (n / 1000, n / 25);
        let (b_lo, b_hi) = (n / 10, n);
        let room = (a_hi - a_lo).min(b_hi - b_lo);
        let mut used = vec![false; n as usize];
        for _ in 0..spec.planted_pairs.min(room / 2) {
            let mut pick = |lo: u32, hi: u32, rng: &mut ChaCha8Rng| loop {
                let r = rng.gen_range(lo..hi);
                if !used[r as usize] {
                    used[r as usize] = true;
                    return r;
                }
            };
            let a = pick(a_lo, a_hi, &mut setup);
            let b = pick(b_lo, b_hi, &mut setup);
            let attach = setup.gen_range(150..=450);
            complement[a as usize] = Some((b, attach));
            planted.push(PlantedPair {
                product_id: ids[a as usize].clone(),
                complement_id: ids[b as usize].clone(),
                attach_permille: attach,
            });
        }
        let mut rng = ChaCha8Rng::seed_from_u64(spec.seed);
        rng.set_stream(1);
        History {
            spec,
            rng,
            ids,
            popularity_cdf,
            size_cdf,
            complement,
            planted,
            next: 0,
        }
    }

    /// The pairs planted, in the order they were chosen.
    pub fn planted(&self) -> &[PlantedPair] {
        &self.planted
    }
}

impl Iterator for History {
    type Item = Order;

    fn next(&mut self) -> Option<Order> {
        let spec = &self.spec;
        if self.next >= spec.orders {
            return None;
        }
        let i = self.next;
        self.next += 1;
        let days = u64::from(spec.days.max(1));
        let offset = (i * days / spec.orders) as u32;
        let day = Day(spec.last_day.0.saturating_sub(spec.days.max(1) - 1) + offset);

        let lines = draw(&mut self.rng, &self.size_cdf) + 1;
        let mut products = Vec::with_capacity(lines + 1);
        for _ in 0..lines {
            let r = draw(&mut self.rng, &self.popularity_cdf);
            products.push(self.ids[r].clone());
            if let Some((b, attach)) = self.complement[r] {
                if self.rng.gen_range(0..1000) < attach {
                    products.push(self.ids[b as usize].clone());
                }
            }
        }
        Some(Order {
            id: OrderId(spec.first_order_id + i),
            day,
            products,
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = usize::try_from(self.spec.orders - self.next).unwrap_or(usize::MAX);
        (left, Some(left))
    }
}

/// How well a ranking recovers the planted pairs (docs/mining.md "Precision and recall").
/// A suggestion is *strong* when its lift is at least the bar; a planted pair {A, B} is found
/// in a direction when B is a strong suggestion of A (and the other direction: A of B).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recovery {
    /// Planted pairs × 2 directions.
    pub planted_directions: usize,
    /// Strong suggestions in the ranking.
    pub strong: usize,
    /// Strong suggestions that are a direction of a planted pair.
    pub strong_planted: usize,
}

impl Recovery {
    pub fn measure(
        suggestions: &[crate::Suggestion],
        planted: &[PlantedPair],
        min_lift_permille: i64,
    ) -> Recovery {
        let planted_set: std::collections::HashSet<(&str, &str)> = planted
            .iter()
            .flat_map(|p| {
                [
                    (p.product_id.as_str(), p.complement_id.as_str()),
                    (p.complement_id.as_str(), p.product_id.as_str()),
                ]
            })
            .collect();
        let strong: Vec<_> = suggestions
            .iter()
            .filter(|s| s.lift_permille >= min_lift_permille)
            .collect();
        let strong_planted = strong
            .iter()
            .filter(|s| {
                planted_set.contains(&(s.product_id.as_str(), s.suggested_product_id.as_str()))
            })
            .count();
        Recovery {
            planted_directions: planted_set.len(),
            strong: strong.len(),
            strong_planted,
        }
    }

    /// Strong suggestions that are planted, over all strong suggestions (1 when there are none).
    pub fn precision(&self) -> f64 {
        if self.strong == 0 {
            return 1.0;
        }
        self.strong_planted as f64 / self.strong as f64
    }

    /// Planted directions found among the strong suggestions, over all planted directions.
    pub fn recall(&self) -> f64 {
        if self.planted_directions == 0 {
            return 1.0;
        }
        self.strong_planted as f64 / self.planted_directions as f64
    }
}
