//! The Admin GraphQL API: typed operations and the client that sends them.

pub mod operations;
pub mod scalars;
