//! Properties over random small order sets, against a count-everything-by-hand oracle.

use encore_mining::{Day, Miner, MinerConfig, Order, OrderId, RankOptions, Suggestion, Window};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

const IDS: [&str; 6] = ["1", "10", "2", "7", "70", "9"];

fn orders() -> impl Strategy<Value = Vec<Order>> {
    prop::collection::vec(
        (0u64..40, prop::collection::vec(0usize..IDS.len(), 0..6)),
        0..40,
    )
    .prop_map(|rows| {
        rows.into_iter()
            // An order has one creation day: ids that repeat (redeliveries) repeat the day.
            .map(|(id, lines)| Order {
                id: OrderId(id),
                day: Day(100 + (id % 6) as u32),
                products: lines.into_iter().map(|i| IDS[i].to_string()).collect(),
            })
            .collect()
    })
}

fn every_pair() -> RankOptions {
    RankOptions {
        top_k: 100,
        min_support: 1,
        demotion: None,
    }
}

fn config(window: Window) -> MinerConfig {
    MinerConfig {
        window,
        max_basket: 4,
    }
}

fn mined(orders: &[Order], window: Window, today: u32) -> Miner {
    let mut miner = Miner::new(config(window), Day(today));
    for o in orders {
        miner.add_order(o);
    }
    miner
}

/// The baskets that count: first occurrence of each id, in the window, 1..=4 distinct products.
fn counted(orders: &[Order], start: u32) -> Vec<BTreeSet<&str>> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for o in orders {
        if seen.contains(&o.id) || o.day.0 < start {
            continue;
        }
        let basket: BTreeSet<&str> = o.products.iter().map(String::as_str).collect();
        if !basket.is_empty() && basket.len() <= 4 {
            seen.insert(o.id);
            out.push(basket);
        }
    }
    out
}

proptest! {
    #[test]
    fn figures_match_counting_every_pair_by_hand(orders in orders()) {
        let ranking = mined(&orders, Window::AllHistory, 105).rank(&every_pair());
        let baskets = counted(&orders, 0);
        let n = baskets.len() as u128;
        let count = |p: &str| baskets.iter().filter(|b| b.contains(p)).count() as u128;
        let mut want: BTreeMap<(&str, &str), u128> = BTreeMap::new();
        for b in &baskets {
            for &x in b {
                for &y in b {
                    if x != y {
                        *want.entry((x, y)).or_default() += 1;
                    }
                }
            }
        }
        let got: BTreeMap<(&str, &str), &Suggestion> = ranking
            .suggestions
            .iter()
            .map(|s| ((s.product_id.as_str(), s.suggested_product_id.as_str()), s))
            .collect();
        prop_assert_eq!(got.len(), want.len());
        for ((a, b), support) in want {
            let s = got[&(a, b)];
            prop_assert_eq!(u128::from(s.support), support);
            // Rounded half up: 2·|x·den − num| ≤ den, and a half goes up.
            let (num, den) = (support * 10_000, count(a));
            let c = u128::from(s.confidence_bp);
            prop_assert!(2 * c * den + den > 2 * num && 2 * c * den <= 2 * num + den);
            let (num, den) = (support * n * 1000, count(a) * count(b));
            let l = s.lift_permille as u128;
            prop_assert!(2 * l * den + den > 2 * num && 2 * l * den <= 2 * num + den);
        }
        // Each product's list is best first, ties by id bytes; products in id byte order.
        for w in ranking.suggestions.windows(2) {
            let (x, y) = (&w[0], &w[1]);
            prop_assert!(x.product_id <= y.product_id);
            if x.product_id == y.product_id {
                prop_assert!(
                    x.lift_permille > y.lift_permille
                        || (x.lift_permille == y.lift_permille
                            && x.suggested_product_id < y.suggested_product_id)
                );
            }
        }
    }

    #[test]
    fn any_split_into_a_bulk_run_and_single_orders_gives_the_batch_figures(
        orders in orders(), split in 0usize..40, k in 1usize..4, min_support in 1u32..3,
    ) {
        let options = RankOptions { top_k: k, min_support, demotion: None };
        let batch = mined(&orders, Window::AllHistory, 105);
        let split = split.min(orders.len());
        let mut incremental = Miner::from_checkpoint(
            &mined(&orders[..split], Window::AllHistory, 105).checkpoint(),
        ).expect("a checkpoint");
        for o in &orders[split..] {
            incremental.add_order(o);
        }
        prop_assert_eq!(incremental.rank(&options), batch.rank(&options));
    }

    #[test]
    fn the_figures_do_not_depend_on_the_order_orders_arrive_in(
        orders in orders(), seed in any::<u64>(),
    ) {
        // Distinct ids: which of two orders sharing an id counts depends on arrival.
        let mut seen = BTreeSet::new();
        let mut unique: Vec<Order> = orders.into_iter().filter(|o| seen.insert(o.id)).collect();
        let forward = mined(&unique, Window::AllHistory, 105).rank(&every_pair());
        let len = unique.len().max(1);
        unique.rotate_left(seed as usize % len);
        unique.reverse();
        prop_assert_eq!(mined(&unique, Window::AllHistory, 105).rank(&every_pair()), forward);
    }

    #[test]
    fn a_moved_window_equals_mining_only_the_days_still_in_it(
        orders in orders(), days in 1u32..4, moved in 0u32..6,
    ) {
        let window = Window::Days(days);
        let mut rolling = mined(&orders, window, 105);
        rolling.advance_to(Day(105 + moved));
        let start = Day(105 + moved).window_start(days).0;
        let kept: Vec<Order> = orders.iter().filter(|o| o.day.0 >= Day(105).window_start(days).0).cloned().collect();
        let fresh = mined(&kept, window, 105 + moved);
        prop_assert_eq!(rolling.orders_in_window(), counted(&kept, start).len() as u64);
        prop_assert_eq!(rolling.rank(&every_pair()), fresh.rank(&every_pair()));
    }

    #[test]
    fn damaged_checkpoints_give_an_error_or_a_miner_never_a_panic(
        orders in orders(), at in any::<prop::sample::Index>(), byte in any::<u8>(),
    ) {
        let mut bytes = mined(&orders, Window::Days(3), 105).checkpoint();
        let i = at.index(bytes.len());
        bytes[i] = byte;
        if let Ok(miner) = Miner::from_checkpoint(&bytes) {
            let _ = miner.rank(&every_pair());
        }
    }
}
