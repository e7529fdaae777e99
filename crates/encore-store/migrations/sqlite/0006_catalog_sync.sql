-- Catalog sync: full syncs from a bulk operation into a staging generation that replaces the
-- live catalog in one transaction, and incremental updates from webhooks that never let an
-- older update overwrite a newer one. The live tables keep their shape; two columns are added.

-- Shopify's updatedAt of the product the row was written from, as unix seconds (NULL for rows
-- written through the admin routes): a webhook older than the row is ignored.
ALTER TABLE catalog_products ADD COLUMN updated_at INTEGER;
-- The variant's inventory item (inventory_levels/update names items, not variants).
ALTER TABLE catalog_variants ADD COLUMN inventory_item_id TEXT;
CREATE INDEX catalog_variants_by_item ON catalog_variants (shop, inventory_item_id);
CREATE INDEX catalog_variants_by_product ON catalog_variants (shop, product_id);

-- One row per full sync: its state, counts and error, for the sync status and for a restarted
-- sync to find (and discard) a partial generation.
CREATE TABLE catalog_syncs (
    shop TEXT NOT NULL REFERENCES shops(domain),
    sync_id INTEGER NOT NULL,
    -- waiting | running | complete | failed
    state TEXT NOT NULL,
    bulk_operation_id TEXT,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER,
    products INTEGER NOT NULL DEFAULT 0,
    variants INTEGER NOT NULL DEFAULT 0,
    expected_objects INTEGER,
    lines INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    skipped INTEGER NOT NULL DEFAULT 0,
    -- The first malformed lines (JSON [{line, reason}]) and the error that ended a failed sync.
    malformed_lines TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    PRIMARY KEY (shop, sync_id)
);

-- The generation a running sync writes; copied over the live catalog when it completes.
CREATE TABLE catalog_staging_products (
    shop TEXT NOT NULL,
    sync_id INTEGER NOT NULL,
    product_id TEXT NOT NULL,
    updated_at INTEGER,
    data TEXT NOT NULL,
    PRIMARY KEY (shop, sync_id, product_id)
);
CREATE TABLE catalog_staging_variants (
    shop TEXT NOT NULL,
    sync_id INTEGER NOT NULL,
    variant_id TEXT NOT NULL,
    product_id TEXT NOT NULL,
    inventory_item_id TEXT,
    data TEXT NOT NULL,
    PRIMARY KEY (shop, sync_id, variant_id)
);

-- Products removed by products/delete (or no longer active), with when: a late update older
-- than the removal does not bring the product back, and a full sync that read it before the
-- removal does not either.
CREATE TABLE catalog_removed_products (
    shop TEXT NOT NULL,
    product_id TEXT NOT NULL,
    removed_at INTEGER NOT NULL,
    PRIMARY KEY (shop, product_id)
);

-- Stock per inventory item and location from inventory_levels/update; a variant's available
-- quantity is their sum.
CREATE TABLE inventory_levels (
    shop TEXT NOT NULL,
    inventory_item_id TEXT NOT NULL,
    location_id TEXT NOT NULL,
    -- NULL when the item is not stocked at the location.
    available INTEGER,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop, inventory_item_id, location_id)
);

-- Collections from collections/update (names for the admin; membership comes with full syncs).
CREATE TABLE catalog_collections (
    shop TEXT NOT NULL,
    collection_id TEXT NOT NULL,
    handle TEXT NOT NULL,
    title TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop, collection_id)
);
