//! Offer statistics per shop, reused for a second: they feed guardrails over many purchases,
//! so a short delay is harmless, and this instance's own changes are seen at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long a server reuses a shop's offer statistics. They feed guardrails over many
/// purchases (refund rates), so another instance's accepts may be this late; this instance's
/// own accepts are seen at once.
pub const OFFER_STATS_MAX_AGE: Duration = Duration::from_secs(1);

/// Offer statistics per shop, reused for [`OFFER_STATS_MAX_AGE`].
#[derive(Default)]
pub struct StatsCache {
    shops: Mutex<HashMap<String, CachedStats>>,
}

#[derive(Default)]
struct CachedStats {
    /// The statistics and when their read began.
    stats: Option<(Instant, Arc<Vec<Value>>)>,
    /// Bumped by every change this instance makes: a read that began before a change does
    /// not go into the cache after it.
    generation: u64,
}

/// What a lookup found: fresh statistics, or the generation a new read starts at.
pub enum StatsLookup {
    Fresh(Arc<Vec<Value>>),
    Stale { generation: u64 },
}

impl StatsCache {
    /// The shop's statistics if they are fresh at `now`.
    pub fn lookup(&self, shop: &str, now: Instant) -> StatsLookup {
        let shops = self.shops.lock().expect("cache lock");
        let cached = shops.get(shop);
        match cached.and_then(|c| c.stats.as_ref()) {
            Some((read_at, stats)) if now.duration_since(*read_at) < OFFER_STATS_MAX_AGE => {
                StatsLookup::Fresh(stats.clone())
            }
            _ => StatsLookup::Stale {
                generation: cached.map_or(0, |c| c.generation),
            },
        }
    }

    /// Keeps statistics whose read began at `read_at` in `generation`, unless this instance
    /// changed them since.
    pub fn store(&self, shop: &str, generation: u64, read_at: Instant, stats: Arc<Vec<Value>>) {
        let mut shops = self.shops.lock().expect("cache lock");
        let cached = shops.entry(shop.to_string()).or_default();
        if cached.generation == generation {
            cached.stats = Some((read_at, stats));
        }
    }

    /// Forgets the shop's statistics, and any read of them still in flight.
    pub fn changed(&self, shop: &str) {
        let mut shops = self.shops.lock().expect("cache lock");
        let cached = shops.entry(shop.to_string()).or_default();
        cached.stats = None;
        cached.generation += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statistics_are_reused_for_a_second_and_never_outlive_a_change() {
        let cache = StatsCache::default();
        let t0 = Instant::now();
        let before = Arc::new(vec![json!({"accepts": 0})]);
        let StatsLookup::Stale { generation } = cache.lookup("s", t0) else {
            panic!("an empty cache has nothing fresh")
        };
        cache.store("s", generation, t0, before.clone());
        assert!(
            matches!(cache.lookup("s", t0 + Duration::from_millis(999)), StatsLookup::Fresh(s) if s == before)
        );
        assert!(matches!(
            cache.lookup("s", t0 + OFFER_STATS_MAX_AGE),
            StatsLookup::Stale { .. }
        ));

        // A read begins, an accept on this instance changes the statistics, the read ends:
        // its older result must not be reused.
        cache.changed("s");
        let StatsLookup::Stale { generation } = cache.lookup("s", t0) else {
            panic!("a change forgets the statistics")
        };
        cache.changed("s");
        cache.store("s", generation, t0, before);
        assert!(matches!(cache.lookup("s", t0), StatsLookup::Stale { .. }));
        // Another shop is not affected.
        assert!(matches!(
            cache.lookup("other", t0),
            StatsLookup::Stale { generation: 0 }
        ));
    }
}
