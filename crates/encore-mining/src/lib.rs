//! Co-purchase mining for `auto` offers: which products a shop's buyers buy together, as
//! support, confidence and lift (`liftPermille`, the figure the engine's `auto` offers read),
//! computed in integers over a window of orders. Pure: no database, no HTTP, no clock.
//!
//! A [`Miner`] counts orders one at a time (a bulk operation's, then `orders/create`'s), counts
//! each order id once, expires days that leave the window, and checkpoints to bytes so a run
//! resumes where it stopped. [`Miner::rank`] turns the counts into each product's top
//! suggestions. [`generate`] makes realistic order histories for tests and benchmarks.
//! Every definition is in docs/mining.md.

mod checkpoint;
mod counts;
mod day;
pub mod generate;
mod miner;
mod order;
mod products;
mod rank;
mod window;

pub use checkpoint::CheckpointError;
pub use day::Day;
pub use miner::{Added, Fed, Miner, MinerConfig, Progress};
pub use order::{Order, OrderId};
pub use rank::{
    confidence_bp, lift_permille, Demotion, RankOptions, Ranking, RefundRate, Suggestion,
};
pub use window::Window;
