//! Mining on small order sets whose figures are computed by hand (docs/mining.md).

use encore_mining::{
    Added, Day, Demotion, Fed, Miner, MinerConfig, Order, OrderId, RankOptions, Ranking,
    RefundRate, Window,
};
use std::ops::ControlFlow;

fn order(id: u64, day: u32, products: &[&str]) -> Order {
    Order {
        id: OrderId(id),
        day: Day(day),
        products: products.iter().map(|p| p.to_string()).collect(),
    }
}

fn miner_of(orders: &[Order]) -> Miner {
    let mut miner = Miner::new(MinerConfig::for_shop(false), Day(10));
    for o in orders {
        assert_eq!(miner.add_order(o), Added::Counted);
    }
    miner
}

/// (product, suggested, support, confidence in basis points, lift in permille) rows.
fn rows(r: &Ranking) -> Vec<(&str, &str, u32, u32, i64)> {
    r.suggestions
        .iter()
        .map(|s| {
            (
                s.product_id.as_str(),
                s.suggested_product_id.as_str(),
                s.support,
                s.confidence_bp,
                s.lift_permille,
            )
        })
        .collect()
}

fn every_pair() -> RankOptions {
    RankOptions {
        top_k: 100,
        min_support: 1,
        demotion: None,
    }
}

/// Seven orders over A, B, C, D. N = 7; A in 4 orders, B in 4, C in 3, D in 2.
fn seven_orders() -> Vec<Order> {
    vec![
        order(1, 10, &["A", "B"]),
        order(2, 10, &["A", "C"]),
        order(3, 10, &["A", "D"]),
        order(4, 10, &["A"]),
        order(5, 10, &["B", "C"]),
        order(6, 10, &["B"]),
        order(7, 10, &["B", "D", "C"]),
    ]
}

#[test]
fn support_confidence_and_lift_match_the_hand_computed_figures() {
    let miner = miner_of(&seven_orders());
    assert_eq!(miner.orders_in_window(), 7);
    // lift(A,B) = 1×7×1000/(4×4) = 437.5 → 438 (half up); lift(B,C) = 2×7000/(4×3) =
    // 1166.67 → 1167; confidence(C→B) = 2/3 → 6667 bp. Ties (C: B and D at 1167; D: A and B
    // at 875) go to the id that sorts first.
    assert_eq!(
        rows(&miner.rank(&every_pair())),
        vec![
            ("A", "D", 1, 2500, 875),
            ("A", "C", 1, 2500, 583),
            ("A", "B", 1, 2500, 438),
            ("B", "C", 2, 5000, 1167),
            ("B", "D", 1, 2500, 875),
            ("B", "A", 1, 2500, 438),
            ("C", "B", 2, 6667, 1167),
            ("C", "D", 1, 3333, 1167),
            ("C", "A", 1, 3333, 583),
            ("D", "C", 1, 5000, 1167),
            ("D", "A", 1, 5000, 875),
            ("D", "B", 1, 5000, 875),
        ]
    );
}

#[test]
fn ties_go_to_the_product_id_that_sorts_first_by_bytes_as_in_the_engine() {
    let miner = miner_of(&[
        order(1, 10, &["X", "9"]),
        order(2, 10, &["X", "10"]),
        order(3, 10, &["X"]),
    ]);
    let ranking = miner.rank(&every_pair());
    let x: Vec<_> = rows(&ranking).into_iter().filter(|r| r.0 == "X").collect();
    assert_eq!(
        x,
        vec![("X", "10", 1, 3333, 1000), ("X", "9", 1, 3333, 1000)]
    );
}

#[test]
fn pairs_below_the_minimum_support_are_never_suggested() {
    let miner = miner_of(&seven_orders());
    let options = RankOptions {
        min_support: 2,
        ..every_pair()
    };
    assert_eq!(
        rows(&miner.rank(&options)),
        vec![("B", "C", 2, 5000, 1167), ("C", "B", 2, 6667, 1167)]
    );
    let options = RankOptions {
        min_support: 3,
        ..every_pair()
    };
    assert!(miner.rank(&options).suggestions.is_empty());
}

#[test]
fn each_product_keeps_only_its_top_k_suggestions() {
    let miner = miner_of(&seven_orders());
    let options = RankOptions {
        top_k: 1,
        ..every_pair()
    };
    assert_eq!(
        rows(&miner.rank(&options)),
        vec![
            ("A", "D", 1, 2500, 875),
            ("B", "C", 2, 5000, 1167),
            ("C", "B", 2, 6667, 1167),
            ("D", "C", 1, 5000, 1167),
        ]
    );
}

fn demoting(rates: &[(&str, &str, u32)]) -> RankOptions {
    RankOptions {
        demotion: Some(Demotion {
            threshold_bp: 500,
            refund_rates: rates
                .iter()
                .map(|&(a, b, bp)| RefundRate {
                    product_id: a.into(),
                    suggested_product_id: b.into(),
                    refund_rate_bp: bp,
                })
                .collect(),
        }),
        ..every_pair()
    }
}

#[test]
fn a_pair_refunded_above_the_threshold_is_demoted_in_its_own_direction_only() {
    let miner = miner_of(&seven_orders());
    let ranking = miner.rank(&RankOptions {
        top_k: 2,
        ..demoting(&[("C", "B", 501), ("A", "D", 500), ("A", "unknown", 9000)])
    });
    assert_eq!(ranking.demoted, 1);
    assert_eq!(
        rows(&ranking),
        vec![
            // A → D is refunded exactly at the threshold: kept.
            ("A", "D", 1, 2500, 875),
            ("A", "C", 1, 2500, 583),
            // B → C stays: the refunds were of C's offers of B.
            ("B", "C", 2, 5000, 1167),
            ("B", "D", 1, 2500, 875),
            // C → B is gone and the next pair takes its place.
            ("C", "D", 1, 3333, 1167),
            ("C", "A", 1, 3333, 583),
            ("D", "C", 1, 5000, 1167),
            ("D", "A", 1, 5000, 875),
        ]
    );
}

#[test]
fn a_basket_that_repeats_a_product_counts_it_once() {
    let repeated = miner_of(&[
        order(1, 10, &["A", "B", "A"]),
        order(2, 10, &["A", "A"]),
        order(3, 10, &["B", "C", "C"]),
    ]);
    let plain = miner_of(&[
        order(1, 10, &["A", "B"]),
        order(2, 10, &["A"]),
        order(3, 10, &["B", "C"]),
    ]);
    assert_eq!(repeated.rank(&every_pair()), plain.rank(&every_pair()));
    let a_b = &repeated.rank(&every_pair()).suggestions[0];
    assert_eq!((a_b.support, a_b.confidence_bp), (1, 5000));
}

#[test]
fn an_order_id_counts_once_however_often_it_arrives() {
    let mut miner = miner_of(&seven_orders());
    let before = miner.rank(&every_pair());
    assert_eq!(
        miner.add_order(&order(5, 10, &["B", "C"])),
        Added::Duplicate
    );
    // Same id, other contents (an edited order redelivered): still the first version counts.
    assert_eq!(
        miner.add_order(&order(6, 10, &["A", "B"])),
        Added::Duplicate
    );
    assert_eq!(miner.rank(&every_pair()), before);
    assert_eq!(miner.progress().duplicates, 2);
}

#[test]
fn orders_too_large_or_without_products_are_not_counted_and_are_reported() {
    let config = MinerConfig {
        window: Window::Days(60),
        max_basket: 3,
    };
    let mut miner = Miner::new(config, Day(10));
    assert_eq!(
        miner.add_order(&order(1, 10, &["A", "B", "C", "D"])),
        Added::TooLarge
    );
    assert_eq!(
        miner.add_order(&order(2, 10, &["A", "B", "C", "C", "B"])),
        Added::Counted
    );
    assert_eq!(miner.add_order(&order(3, 10, &[])), Added::NoProducts);
    assert_eq!(miner.orders_in_window(), 1);
    assert_eq!(miner.distinct_pairs(), 3);
    let p = miner.progress();
    assert_eq!((p.counted, p.too_large, p.no_products), (1, 1, 1));
    // Products of an order that was not counted are not known to the miner.
    assert_eq!(miner.products_seen(), 3);
}

#[test]
fn days_that_leave_the_window_take_their_orders_with_them() {
    let config = MinerConfig {
        window: Window::Days(3),
        max_basket: 32,
    };
    let mut rolling = Miner::new(config, Day(10));
    assert_eq!(
        rolling.add_order(&order(1, 7, &["A", "B"])),
        Added::OutsideWindow
    );
    for o in [
        order(2, 8, &["A", "B"]),
        order(3, 8, &["A", "C"]),
        order(4, 9, &["A", "B"]),
        order(5, 10, &["B", "C"]),
    ] {
        assert_eq!(rolling.add_order(&o), Added::Counted);
    }
    rolling.advance_to(Day(11));
    assert_eq!(rolling.add_order(&order(6, 11, &["C"])), Added::Counted);
    assert_eq!(rolling.progress().expired, 2);
    assert_eq!(rolling.orders_in_window(), 3);
    // A pair whose orders all expired is gone from the table.
    assert_eq!(rolling.distinct_pairs(), 2);

    let mut fresh = Miner::new(config, Day(11));
    for o in [
        order(4, 9, &["A", "B"]),
        order(5, 10, &["B", "C"]),
        order(6, 11, &["C"]),
    ] {
        fresh.add_order(&o);
    }
    assert_eq!(rolling.rank(&every_pair()), fresh.rank(&every_pair()));
    // An expired order arriving again is outside the window, not counted anew.
    assert_eq!(
        rolling.add_order(&order(2, 8, &["A", "B"])),
        Added::OutsideWindow
    );
}

#[test]
fn all_history_never_expires_anything() {
    let mut miner = Miner::new(MinerConfig::for_shop(true), Day(10));
    assert_eq!(miner.add_order(&order(1, 0, &["A", "B"])), Added::Counted);
    miner.advance_to(Day(100_000));
    assert_eq!(miner.orders_in_window(), 1);
    assert_eq!(miner.add_order(&order(1, 0, &["A", "B"])), Added::Duplicate);
}

#[test]
fn the_window_never_moves_backwards() {
    let config = MinerConfig {
        window: Window::Days(3),
        max_basket: 32,
    };
    let mut miner = Miner::new(config, Day(10));
    miner.add_order(&order(1, 8, &["A", "B"]));
    miner.advance_to(Day(5));
    assert_eq!(miner.today(), Day(10));
    assert_eq!(miner.orders_in_window(), 1);
}

#[test]
fn feeding_reports_progress_every_so_many_orders_and_at_the_end() {
    let mut miner = Miner::new(MinerConfig::for_shop(false), Day(10));
    let orders: Vec<Order> = (0..25).map(|i| order(i, 10, &["A", "B"])).collect();
    let mut seen = Vec::new();
    let fed = miner.feed(orders, 10, |m| {
        seen.push(m.progress().position);
        ControlFlow::Continue(())
    });
    assert_eq!(fed, Fed::Finished);
    assert_eq!(seen, vec![10, 20, 25]);
}

#[test]
fn a_progress_callback_that_breaks_cancels_the_run_where_it_stands() {
    let mut miner = Miner::new(MinerConfig::for_shop(false), Day(10));
    let orders: Vec<Order> = (0..25).map(|i| order(i, 10, &["A", "B"])).collect();
    let fed = miner.feed(orders, 10, |m| {
        if m.progress().position >= 20 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(fed, Fed::Stopped);
    assert_eq!(miner.progress().position, 20);
    assert_eq!(miner.orders_in_window(), 20);
}

#[test]
fn suggestions_convert_to_the_engines_own_type_unchanged() {
    let miner = miner_of(&seven_orders());
    let ranking = miner.rank(&every_pair());
    let engine: Vec<encore_engine::Suggestion> =
        ranking.suggestions.iter().map(Into::into).collect();
    assert_eq!(
        engine[3],
        encore_engine::Suggestion {
            product_id: "B".into(),
            suggested_product_id: "C".into(),
            lift_permille: 1167,
        }
    );
}
