//! Co-purchase mining's storage: import runs and checkpoints, the orders/create inbox, and the
//! published co-purchase versions.

pub mod publish;
pub mod runs;
pub mod status;
