//! Incremental, resumed and checkpointed runs give exactly the figures of one uninterrupted run.

use encore_mining::generate::{History, HistorySpec};
use encore_mining::{
    Added, CheckpointError, Day, Fed, Miner, MinerConfig, Order, RankOptions, Window,
};
use std::ops::ControlFlow;

fn history() -> Vec<Order> {
    History::new(HistorySpec::new(7, 20_000, 2_000)).collect()
}

fn every_pair() -> RankOptions {
    RankOptions {
        top_k: usize::MAX,
        min_support: 1,
        demotion: None,
    }
}

fn new_miner() -> Miner {
    Miner::new(
        MinerConfig::for_shop(false),
        HistorySpec::new(7, 1, 1).last_day,
    )
}

fn uninterrupted(orders: &[Order]) -> Miner {
    let mut miner = new_miner();
    let fed = miner.feed(orders.iter().cloned(), 1000, |_| ControlFlow::Continue(()));
    assert_eq!(fed, Fed::Finished);
    miner
}

#[test]
fn a_run_resumed_from_a_checkpoint_ends_byte_for_byte_like_an_uninterrupted_one() {
    let orders = history();
    let whole = uninterrupted(&orders);

    let mut first = new_miner();
    let mut saved = Vec::new();
    let fed = first.feed(orders.iter().cloned(), 1000, |m| {
        saved = m.checkpoint();
        if m.progress().position >= 7000 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    assert_eq!(fed, Fed::Stopped);
    drop(first);

    let mut resumed = Miner::from_checkpoint(&saved).expect("a checkpoint it wrote");
    assert_eq!(resumed.progress().position, 7000);
    let skip = resumed.progress().position as usize;
    let fed = resumed.feed(orders.iter().skip(skip).cloned(), 1000, |_| {
        ControlFlow::Continue(())
    });
    assert_eq!(fed, Fed::Finished);
    assert_eq!(resumed.checkpoint(), whole.checkpoint());
    assert_eq!(resumed.rank(&every_pair()), whole.rank(&every_pair()));
}

#[test]
fn a_resumed_run_that_reads_its_source_again_from_the_start_counts_every_order_once() {
    let orders = history();
    let whole = uninterrupted(&orders);
    let mut miner = new_miner();
    miner.feed(orders[..5000].iter().cloned(), 1000, |_| {
        ControlFlow::Continue(())
    });
    let mut resumed = Miner::from_checkpoint(&miner.checkpoint()).expect("a checkpoint");
    resumed.start_source();
    resumed.feed(orders.iter().cloned(), 1000, |_| ControlFlow::Continue(()));
    // Every order counted before is a duplicate now (orders too large were never counted).
    assert_eq!(resumed.progress().duplicates, miner.progress().counted);
    assert!(miner.progress().counted > 4900);
    assert_eq!(resumed.orders_in_window(), whole.orders_in_window());
    assert_eq!(resumed.rank(&every_pair()), whole.rank(&every_pair()));
}

#[test]
fn orders_added_one_by_one_after_a_bulk_run_match_one_batch_of_all_of_them() {
    let orders = history();
    let whole = uninterrupted(&orders);
    let mut miner = new_miner();
    miner.feed(orders[..12_000].iter().cloned(), 1000, |_| {
        ControlFlow::Continue(())
    });
    for o in &orders[12_000..] {
        assert_ne!(miner.add_order(o), Added::Duplicate);
    }
    assert_eq!(miner.rank(&every_pair()), whole.rank(&every_pair()));
    assert_eq!(
        miner.rank(&RankOptions::default()),
        whole.rank(&RankOptions::default())
    );
}

#[test]
fn a_window_moved_day_by_day_matches_mining_only_the_days_left_in_it() {
    let orders = history();
    let config = MinerConfig {
        window: Window::Days(20),
        max_basket: 32,
    };
    let first_day = orders[0].day;
    let mut rolling = Miner::new(config, Day(first_day.0 + 19));
    let mut at = 0;
    for today in first_day.0 + 19..=first_day.0 + 70 {
        rolling.advance_to(Day(today));
        while at < orders.len() && orders[at].day.0 <= today {
            rolling.add_order(&orders[at]);
            at += 1;
        }
    }
    let last = Day(first_day.0 + 70);
    let mut fresh = Miner::new(config, last);
    for o in orders.iter().filter(|o| o.day >= last.window_start(20)) {
        fresh.add_order(o);
    }
    assert!(rolling.progress().expired > 0);
    assert_eq!(rolling.orders_in_window(), fresh.orders_in_window());
    assert_eq!(rolling.distinct_pairs(), fresh.distinct_pairs());
    assert_eq!(rolling.rank(&every_pair()), fresh.rank(&every_pair()));
}

#[test]
fn a_checkpoint_of_all_history_resumes_with_its_order_ids_known() {
    let orders = history();
    let mut miner = Miner::new(MinerConfig::for_shop(true), Day(0));
    miner.feed(orders.iter().cloned(), 1000, |_| ControlFlow::Continue(()));
    let mut resumed = Miner::from_checkpoint(&miner.checkpoint()).expect("a checkpoint");
    assert_eq!(resumed.add_order(&orders[3]), Added::Duplicate);
    assert_eq!(resumed.rank(&every_pair()), miner.rank(&every_pair()));
}

#[test]
fn bytes_that_are_not_a_whole_checkpoint_are_refused_with_an_error() {
    let mut miner = new_miner();
    miner.feed(history().into_iter().take(60), 1000, |_| {
        ControlFlow::Continue(())
    });
    let bytes = miner.checkpoint();
    assert!(matches!(
        Miner::from_checkpoint(b"hello"),
        Err(CheckpointError::NotACheckpoint)
    ));
    for cut in 0..bytes.len() {
        assert!(
            Miner::from_checkpoint(&bytes[..cut]).is_err(),
            "{cut} bytes of {} were accepted",
            bytes.len()
        );
    }
}
