//! Shopify's cost-based rate limit: a leaky bucket the client models from `extensions.cost`, so
//! it waits before a call would be throttled instead of being throttled.

use std::time::{Duration, Instant};

use serde::Deserialize;

/// `extensions.cost` of an Admin API answer.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct QueryCost {
    pub requested_query_cost: Option<f64>,
    pub actual_query_cost: Option<f64>,
    pub throttle_status: ThrottleStatus,
}

/// `extensions.cost.throttleStatus`: the bucket after this call.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ThrottleStatus {
    pub maximum_available: f64,
    pub currently_available: f64,
    pub restore_rate: f64,
}

/// The client's view of the shop's bucket.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bucket {
    status: ThrottleStatus,
    observed: Instant,
}

impl Bucket {
    pub(crate) fn observed(status: ThrottleStatus, at: Instant) -> Self {
        Self {
            status,
            observed: at,
        }
    }

    /// Points available at `now`: what Shopify reported, refilled at its restore rate.
    pub(crate) fn available(&self, now: Instant) -> f64 {
        let refilled =
            now.saturating_duration_since(self.observed).as_secs_f64() * self.status.restore_rate;
        (self.status.currently_available + refilled).min(self.status.maximum_available)
    }

    /// How long to wait at `now` before a call costing `cost` fits, and takes those points so
    /// concurrent callers queue behind it.
    pub(crate) fn reserve(&mut self, cost: f64, now: Instant) -> Duration {
        let cost = cost.min(self.status.maximum_available);
        let available = self.available(now);
        let wait = wait_for(cost - available, self.status.restore_rate);
        self.status.currently_available = available - cost;
        self.observed = now;
        wait
    }
}

/// The time to restore `missing` points at `restore_rate` per second.
pub(crate) fn wait_for(missing: f64, restore_rate: f64) -> Duration {
    if missing <= 0.0 || restore_rate <= 0.0 || !missing.is_finite() {
        return Duration::ZERO;
    }
    Duration::from_secs_f64((missing / restore_rate).min(60.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(available: f64) -> ThrottleStatus {
        ThrottleStatus {
            maximum_available: 2000.0,
            currently_available: available,
            restore_rate: 100.0,
        }
    }

    #[test]
    fn a_call_that_fits_the_bucket_goes_at_once() {
        let now = Instant::now();
        let mut bucket = Bucket::observed(status(500.0), now);
        assert_eq!(bucket.reserve(100.0, now), Duration::ZERO);
        assert_eq!(bucket.available(now), 400.0);
    }

    #[test]
    fn a_call_beyond_the_bucket_waits_for_the_restore_rate() {
        let now = Instant::now();
        let mut bucket = Bucket::observed(status(50.0), now);
        assert_eq!(bucket.reserve(250.0, now), Duration::from_secs(2));
        // The next caller queues behind the reservation.
        assert_eq!(bucket.reserve(100.0, now), Duration::from_secs(3));
    }

    #[test]
    fn the_bucket_refills_up_to_its_maximum() {
        let now = Instant::now();
        let bucket = Bucket::observed(status(1950.0), now);
        assert_eq!(bucket.available(now + Duration::from_secs(10)), 2000.0);
    }
}
