-- The products each catalog webhook changed, by the data_version it bumped the shop to
-- (facts_cache.rs): a cache that finds every version since its own here re-reads only those
-- products instead of the whole catalog. The last 1000 versions per shop are kept.
CREATE TABLE facts_changes (
    shop TEXT NOT NULL,
    data_version INTEGER NOT NULL,
    -- JSON array of product ids.
    product_ids TEXT NOT NULL,
    PRIMARY KEY (shop, data_version)
);
