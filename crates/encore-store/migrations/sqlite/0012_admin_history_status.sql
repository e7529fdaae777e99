-- The admin's History and Store status pages (docs/admin.md).

-- The campaigns' history: who changed which campaign when, and what, one row per campaign (or
-- the configuration's shop-wide keys) that a saved configuration version changed. It lives
-- beside config_versions, which keeps every version's whole document.
CREATE TABLE config_audit (
    shop TEXT NOT NULL REFERENCES shops(domain),
    -- The configuration version the save created.
    version INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    -- NULL: the configuration's shop-wide keys (defaults, …) rather than one campaign.
    campaign_id TEXT,
    -- created | changed | removed | unchanged (a save that changed nothing)
    change TEXT NOT NULL,
    -- JSON array of the top-level keys that differ from the previous version.
    fields TEXT NOT NULL,
    -- staff (a session token naming a staff member) | merchant (a session without one) | operator
    actor_kind TEXT NOT NULL,
    -- The staff member's id: the session token's sub.
    actor_id TEXT,
    -- A save made on an older version than the live one, merged onto the live one.
    base_version INTEGER,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (shop, version, seq)
);

-- Store status: the instructions each offer Function run executed (NULL before this column
-- existed, and for runs the host did not measure), for the merchant's recent-runs figure.
ALTER TABLE decisions ADD COLUMN instructions INTEGER;

-- Store status: signed webhook deliveries Encore could not handle (a bad payload, storage
-- unavailable), per shop and topic. Kept 30 days (pruned when a new one is recorded).
CREATE TABLE webhook_failures (
    shop TEXT NOT NULL,
    topic TEXT NOT NULL,
    failed_at INTEGER NOT NULL,
    error TEXT NOT NULL
);
CREATE INDEX webhook_failures_by_shop ON webhook_failures (shop, failed_at);
CREATE INDEX webhook_receipts_by_shop ON webhook_receipts (shop, topic, received_at);
