//! The order-history generator: reproducible, shaped like a store's orders, with pairs to find.

use encore_mining::generate::{basket_size_weights, History, HistorySpec, Recovery};
use encore_mining::{Miner, MinerConfig, RankOptions};
use std::collections::HashSet;
use std::ops::ControlFlow;

#[test]
fn the_same_seed_gives_the_same_orders_and_another_seed_others() {
    let a: Vec<_> = History::new(HistorySpec::new(3, 2000, 1000)).collect();
    let b: Vec<_> = History::new(HistorySpec::new(3, 2000, 1000)).collect();
    let c: Vec<_> = History::new(HistorySpec::new(4, 2000, 1000)).collect();
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn most_orders_hold_one_to_three_lines_and_a_few_more_than_ten() {
    let orders = 200_000;
    let mut spec = HistorySpec::new(5, orders, 5000);
    spec.planted_pairs = 0;
    let mut sizes = vec![0u64; 61];
    for o in History::new(spec) {
        sizes[o.products.len()] += 1;
    }
    let share = |range: std::ops::RangeInclusive<usize>| {
        range.map(|k| sizes[k]).sum::<u64>() as f64 / orders as f64
    };
    let weights = basket_size_weights();
    let total: f64 = weights.iter().sum();
    let expected =
        |range: std::ops::RangeInclusive<usize>| range.map(|k| weights[k - 1]).sum::<f64>() / total;
    // 200,000 draws: a share's standard error is below 0.0012; allow 5 of them.
    for range in [1..=1, 2..=2, 3..=3, 1..=3, 11..=60] {
        let (got, want) = (share(range.clone()), expected(range.clone()));
        assert!((got - want).abs() < 0.006, "{range:?}: {got} vs {want}");
    }
    assert!(expected(1..=3) > 0.84);
}

#[test]
fn planted_pairs_are_disjoint() {
    let history = History::new(HistorySpec::new(9, 10, 50_000));
    let planted = history.planted();
    assert_eq!(planted.len(), 50);
    let ids: HashSet<&str> = planted
        .iter()
        .flat_map(|p| [p.product_id.as_str(), p.complement_id.as_str()])
        .collect();
    assert_eq!(ids.len(), 100);
    assert!(planted
        .iter()
        .all(|p| (150..=450).contains(&p.attach_permille)));
}

#[test]
fn mining_a_small_generated_history_finds_its_planted_pairs() {
    let mut spec = HistorySpec::new(11, 100_000, 5000);
    spec.planted_pairs = 20;
    let history = History::new(spec.clone());
    let planted = history.planted().to_vec();
    let mut miner = Miner::new(MinerConfig::for_shop(false), spec.last_day);
    miner.feed(history, 10_000, |_| ControlFlow::Continue(()));
    let ranking = miner.rank(&RankOptions::for_window(miner.orders_in_window()));
    let recovery = Recovery::measure(&ranking.suggestions, &planted, 10_000);
    assert_eq!(recovery.planted_directions, 40);
    assert!(recovery.recall() >= 0.95, "{recovery:?}");
    assert!(recovery.precision() >= 0.95, "{recovery:?}");
}
