//! The Admin GraphQL API: typed operations generated from `graphql/`, the client that sends them,
//! and typed answers for what Encore reads.

mod client;
mod cost;
mod error;
pub mod operations;
mod reads;
pub mod scalars;
mod simulation;

pub use client::{AdminClient, AdminConfig, RetryPolicy};
pub use cost::{QueryCost, ThrottleStatus};
pub use error::{AdminError, GraphqlError, UserError};
pub use reads::*;
pub use simulation::{PastCustomer, PastOrder, PastOrderLine, MAX_PAST_ORDERS};
