-- Encore's store: shops, campaign configs (every accepted version), catalog and customer facts,
-- co-purchase pairs, offer statistics, and per purchase the funnel, decisions and events.
-- Times are unix seconds; JSON documents are stored as text.

CREATE TABLE shops (
    domain TEXT PRIMARY KEY,
    currency_code TEXT NOT NULL,
    -- Bumped by every admin write, so instances can cache a shop's facts by version.
    data_version INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
);

CREATE TABLE config_versions (
    shop TEXT NOT NULL REFERENCES shops(domain),
    version INTEGER NOT NULL,
    config TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (shop, version)
);

CREATE TABLE catalog_products (
    shop TEXT NOT NULL REFERENCES shops(domain),
    product_id TEXT NOT NULL,
    -- {id, title, imageUrl, tags, productType, vendor, collectionIds}
    data TEXT NOT NULL,
    PRIMARY KEY (shop, product_id)
);

CREATE TABLE catalog_variants (
    shop TEXT NOT NULL REFERENCES shops(domain),
    variant_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    -- {id, title, price, compareAtPrice, unitCost, requiresShipping, inventory, sellingPlans}
    data TEXT NOT NULL,
    PRIMARY KEY (shop, variant_id)
);

CREATE TABLE customers (
    shop TEXT NOT NULL REFERENCES shops(domain),
    customer_id TEXT NOT NULL,
    -- {id, tags, numberOfOrders, amountSpent: {amount}}
    data TEXT NOT NULL,
    PRIMARY KEY (shop, customer_id)
);

CREATE TABLE co_purchases (
    shop TEXT NOT NULL REFERENCES shops(domain),
    product_id TEXT NOT NULL,
    suggested_product_id TEXT NOT NULL,
    lift_permille INTEGER NOT NULL,
    PRIMARY KEY (shop, product_id, suggested_product_id)
);

CREATE TABLE offer_stats (
    shop TEXT NOT NULL REFERENCES shops(domain),
    campaign_id TEXT NOT NULL,
    step_id TEXT NOT NULL,
    accepts INTEGER NOT NULL DEFAULT 0,
    accepted_units INTEGER NOT NULL DEFAULT 0,
    refunded_units INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop, campaign_id, step_id)
);

-- Where each purchase is in its funnel. seq counts the decisions taken so far: a decision is
-- unique per (purchase, seq), which makes retried offer requests idempotent.
CREATE TABLE funnels (
    shop TEXT NOT NULL REFERENCES shops(domain),
    reference_id TEXT NOT NULL,
    seq INTEGER NOT NULL DEFAULT 0,
    campaign_id TEXT,
    step_id TEXT,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop, reference_id)
);

CREATE TABLE decisions (
    id TEXT PRIMARY KEY,
    shop TEXT NOT NULL REFERENCES shops(domain),
    reference_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    -- 1 when the Function offered something.
    render INTEGER NOT NULL,
    campaign_id TEXT,
    step_id TEXT,
    experiment_id TEXT,
    arm_id TEXT,
    next_on_accept TEXT,
    next_on_decline TEXT,
    -- The Function's offer (products, copy, ids) and reasons, as it returned them.
    offer TEXT,
    reasons TEXT NOT NULL,
    -- The Shopify-shape changes that every changeset token of this decision signs.
    changes TEXT,
    offer_amount TEXT,
    currency_code TEXT,
    -- Variant and product ids the offer adds (JSON arrays), for the funnel's accepted lists.
    variant_ids TEXT NOT NULL DEFAULT '[]',
    product_ids TEXT NOT NULL DEFAULT '[]',
    units INTEGER NOT NULL DEFAULT 0,
    shown INTEGER NOT NULL DEFAULT 0,
    -- NULL until the buyer answers: accepted, declined or accept_failed.
    outcome TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (shop, reference_id, seq)
);
CREATE INDEX decisions_by_shop ON decisions (shop, created_at);

CREATE TABLE events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    decision_id TEXT NOT NULL REFERENCES decisions(id),
    event TEXT NOT NULL,
    status TEXT,
    errors TEXT,
    created_at INTEGER NOT NULL,
    UNIQUE (decision_id, event)
);
