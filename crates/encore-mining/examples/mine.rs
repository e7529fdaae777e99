//! Benchmark: mine a generated order history (default 1,000,000 orders over 50,000 products),
//! report time, peak memory, and how well the planted pairs are recovered; then a checkpoint,
//! a resume, a day of expiry and a batch of `orders/create` orders.
//!
//!     cargo run --release -p encore-mining --example mine -- [orders] [products] [seed] [bar‰]
//!
//! `bar‰` is the lift a suggestion must reach to count as strong (default 10000: lift 10).
//! The progress bar goes to stderr; the figures to stdout.

use encore_mining::generate::{History, HistorySpec, Recovery};
use encore_mining::{Day, Miner, MinerConfig, RankOptions};
use indicatif::{ProgressBar, ProgressStyle};
use std::ops::ControlFlow;
use std::time::Instant;

/// The process's peak resident set (VmHWM) in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn arg<T: std::str::FromStr>(at: usize, default: T) -> T {
    std::env::args()
        .nth(at)
        .map(|a| {
            a.parse()
                .unwrap_or_else(|_| panic!("argument {at} is not a number: {a}"))
        })
        .unwrap_or(default)
}

fn main() {
    let orders: u64 = arg(1, 1_000_000);
    let products: u32 = arg(2, 50_000);
    let seed: u64 = arg(3, 1);
    let bar_permille: i64 = arg(4, 10_000);
    let spec = HistorySpec::new(seed, orders, products);
    println!(
        "history: {orders} orders, {products} products, seed {seed}, {} planted pairs, {} days",
        spec.planted_pairs, spec.days
    );
    println!("peak RSS at start: {:.1} MiB", peak_rss_mib());

    let t = Instant::now();
    let lines: usize = History::new(spec.clone()).map(|o| o.products.len()).sum();
    let generation = t.elapsed();
    println!(
        "generating alone: {:.2} s ({lines} lines, {:.2} per order)",
        generation.as_secs_f64(),
        lines as f64 / orders as f64
    );

    let history = History::new(spec.clone());
    let planted = history.planted().to_vec();
    let mut miner = Miner::new(MinerConfig::for_shop(false), spec.last_day);
    let bar = ProgressBar::new(orders).with_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} orders {per_sec} eta {eta}")
            .expect("a valid template"),
    );
    let t = Instant::now();
    miner.feed(history, 10_000, |m| {
        bar.set_position(m.progress().position);
        ControlFlow::Continue(())
    });
    let mining = t.elapsed();
    bar.finish_and_clear();
    let p = miner.progress();
    println!(
        "mining (generating included): {:.2} s — counted {}, too large {}, products {}, distinct pairs {}",
        mining.as_secs_f64(),
        p.counted,
        p.too_large,
        miner.products_seen(),
        miner.distinct_pairs()
    );
    println!("peak RSS after mining: {:.1} MiB", peak_rss_mib());

    let options = RankOptions::for_window(miner.orders_in_window());
    let t = Instant::now();
    let ranking = miner.rank(&options);
    println!(
        "ranking (top {}, min support {}): {:.2} s — {} suggestions",
        options.top_k,
        options.min_support,
        t.elapsed().as_secs_f64(),
        ranking.suggestions.len()
    );
    let recovery = Recovery::measure(&ranking.suggestions, &planted, bar_permille);
    println!(
        "strong suggestions (lift ≥ {bar_permille}‰): {}; planted directions {}; strong and planted {}",
        recovery.strong, recovery.planted_directions, recovery.strong_planted
    );
    println!(
        "precision {:.4}, recall {:.4}",
        recovery.precision(),
        recovery.recall()
    );
    println!("peak RSS after ranking: {:.1} MiB", peak_rss_mib());
    println!(
        "mining + ranking: {:.2} s",
        mining.as_secs_f64() + t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let bytes = miner.checkpoint();
    let write = t.elapsed();
    let t = Instant::now();
    let resumed = Miner::from_checkpoint(&bytes).expect("the checkpoint just written");
    println!(
        "checkpoint: {:.1} MiB, written in {:.2} s, read back in {:.2} s",
        bytes.len() as f64 / 1048576.0,
        write.as_secs_f64(),
        t.elapsed().as_secs_f64()
    );
    drop((resumed, bytes));

    // The next day: one day of orders leaves the window, a day of orders/create arrives.
    let next = Day(spec.last_day.0 + 1);
    let t = Instant::now();
    miner.advance_to(next);
    println!(
        "advancing one day: {:.3} s — {} orders expired",
        t.elapsed().as_secs_f64(),
        miner.progress().expired
    );
    let day_orders = orders / u64::from(spec.days);
    let mut webhooks = HistorySpec::new(seed + 1, day_orders, products);
    webhooks.days = 1;
    webhooks.last_day = next;
    webhooks.first_order_id = spec.first_order_id + orders;
    webhooks.planted_pairs = 0;
    let day: Vec<_> = History::new(webhooks).collect();
    let t = Instant::now();
    for o in &day {
        miner.add_order(o);
    }
    let added = t.elapsed();
    println!(
        "{} orders/create one by one: {:.3} s ({:.2} µs each)",
        day.len(),
        added.as_secs_f64(),
        added.as_secs_f64() * 1e6 / day.len().max(1) as f64
    );
    println!("peak RSS at the end: {:.1} MiB", peak_rss_mib());
}
