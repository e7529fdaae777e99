-- Mined co-purchase suggestions live in co_purchases beside the pairs loaded by hand, as
-- versions: a publication writes version N+1 in batches while offers read N, then switches
-- co_purchase_versions.live_version in one small transaction (with data_version), so offers
-- never see half a result. Version 0 is the pairs loaded through PUT /api/co-purchases.
CREATE TABLE co_purchases_versioned (
    shop TEXT NOT NULL REFERENCES shops(domain),
    version INTEGER NOT NULL DEFAULT 0,
    product_id TEXT NOT NULL,
    suggested_product_id TEXT NOT NULL,
    lift_permille INTEGER NOT NULL,
    -- Orders with both products, and confidence in basis points (NULL for pairs loaded by hand).
    support INTEGER,
    confidence_bp INTEGER,
    PRIMARY KEY (shop, version, product_id, suggested_product_id)
);
INSERT INTO co_purchases_versioned (shop, version, product_id, suggested_product_id, lift_permille)
    SELECT shop, 0, product_id, suggested_product_id, lift_permille FROM co_purchases;
DROP TABLE co_purchases;
ALTER TABLE co_purchases_versioned RENAME TO co_purchases;

-- Which mined version offers read, and what it was made from.
CREATE TABLE co_purchase_versions (
    shop TEXT PRIMARY KEY REFERENCES shops(domain),
    live_version INTEGER NOT NULL,
    -- The highest version ever started (a publication that died leaves rows above live).
    last_version INTEGER NOT NULL,
    published_at INTEGER NOT NULL,
    suggestions INTEGER NOT NULL,
    orders_in_window INTEGER NOT NULL,
    min_support INTEGER NOT NULL,
    run_id INTEGER
);
