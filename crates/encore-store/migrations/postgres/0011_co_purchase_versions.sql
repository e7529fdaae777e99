-- Mined co-purchase suggestions live in co_purchases beside the pairs loaded by hand, as
-- versions: a publication writes version N+1 in batches while offers read N, then switches
-- co_purchase_versions.live_version in one small transaction (with data_version), so offers
-- never see half a result. Version 0 is the pairs loaded through PUT /api/co-purchases.
ALTER TABLE co_purchases ADD COLUMN version BIGINT NOT NULL DEFAULT 0;
-- Orders with both products, and confidence in basis points (NULL for pairs loaded by hand).
ALTER TABLE co_purchases ADD COLUMN support BIGINT;
ALTER TABLE co_purchases ADD COLUMN confidence_bp BIGINT;
ALTER TABLE co_purchases DROP CONSTRAINT co_purchases_pkey;
ALTER TABLE co_purchases ADD PRIMARY KEY (shop, version, product_id, suggested_product_id);

-- Which mined version offers read, and what it was made from.
CREATE TABLE co_purchase_versions (
    shop TEXT PRIMARY KEY REFERENCES shops(domain),
    live_version BIGINT NOT NULL,
    -- The highest version ever started (a publication that died leaves rows above live).
    last_version BIGINT NOT NULL,
    published_at BIGINT NOT NULL,
    suggestions BIGINT NOT NULL,
    orders_in_window BIGINT NOT NULL,
    min_support BIGINT NOT NULL,
    run_id BIGINT
);
