-- Co-purchase mining (docs/mining.md "In the server"): imports of the order history through a
-- bulk operation, the miner's checkpoints, and orders/create deliveries waiting to be counted.

-- One row per import of the shop's order history: its state, counters and error, for the
-- status and for a restarted import to resume.
CREATE TABLE mining_runs (
    shop TEXT NOT NULL REFERENCES shops(domain),
    run_id INTEGER NOT NULL,
    -- waiting | running | complete | failed
    state TEXT NOT NULL,
    bulk_operation_id TEXT,
    -- The window's first day (days since 1970-01-01) the bulk query searched from; NULL: all
    -- history.
    first_day INTEGER,
    started_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    finished_at INTEGER,
    expected_objects INTEGER,
    lines INTEGER NOT NULL DEFAULT 0,
    -- Orders read from the bulk result: where a resumed import continues.
    position INTEGER NOT NULL DEFAULT 0,
    counted INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0,
    outside_window INTEGER NOT NULL DEFAULT 0,
    too_large INTEGER NOT NULL DEFAULT 0,
    no_products INTEGER NOT NULL DEFAULT 0,
    undated INTEGER NOT NULL DEFAULT 0,
    malformed INTEGER NOT NULL DEFAULT 0,
    late_lines INTEGER NOT NULL DEFAULT 0,
    -- The run this one resumed (an interrupted import's bulk result and checkpoint).
    resumed_from INTEGER,
    error TEXT,
    PRIMARY KEY (shop, run_id)
);

-- The miner's state (encore-mining's versioned checkpoint bytes): a running import's latest,
-- and the live miner's (the last complete import's, with orders/create counted since). The
-- bytes (25 per order in the window) are written in parts of 64 KiB, each its own short write,
-- so SQLite's one writer is never held for long; `generation` names the complete set of parts.
CREATE TABLE mining_checkpoints (
    shop TEXT NOT NULL REFERENCES shops(domain),
    run_id INTEGER NOT NULL,
    position INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    written_at INTEGER NOT NULL,
    PRIMARY KEY (shop, run_id)
);
CREATE TABLE mining_checkpoint_parts (
    shop TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    generation INTEGER NOT NULL,
    part INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (shop, run_id, generation, part)
);

-- orders/create deliveries, written with their receipt: counted into the live miner, and kept
-- until an import whose bulk operation started after them has completed (it read them too).
CREATE TABLE mining_inbox (
    shop TEXT NOT NULL REFERENCES shops(domain),
    order_id TEXT NOT NULL,
    -- The order's UTC day (days since 1970-01-01).
    day INTEGER NOT NULL,
    -- JSON array of the product ids of its line items.
    products TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (shop, order_id)
);
