-- Attribution: which order each accepted offer joined, the order lines it added, and what was
-- refunded or cancelled of them. Money is integer minor units of the shop currency.

-- The purchase's value before any offer (initialPurchase.totalPriceSet.shopMoney), as the
-- post-purchase token gave it: the base of AOV lift.
ALTER TABLE decisions ADD COLUMN purchase_total TEXT;
ALTER TABLE decisions ADD COLUMN purchase_currency TEXT;

-- Orders Encore has heard of (orders/edited, refunds/create, orders/cancelled or the
-- reconciler's search). state: 'pending' until read through the Admin API, then 'read';
-- 'missing' when the Admin API has no such order; 'foreign_currency' when the order's shop
-- money is not in the shop's currency (kept, not counted).
CREATE TABLE attribution_orders (
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    state TEXT NOT NULL,
    currency_code TEXT,
    cancelled INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    seen_at INTEGER NOT NULL,
    read_at INTEGER,
    -- Bumped by every recomputation of the order's refunds: its first write takes the row's
    -- lock, so two deliveries for one order never recompute at once.
    revision INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop, order_id)
);
CREATE INDEX attribution_orders_pending ON attribution_orders (state, seen_at);

-- Line items an orders/edited delivery added ({id, delta}): which line a refill joined.
CREATE TABLE order_edit_additions (
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    line_item_id TEXT NOT NULL,
    delta INTEGER NOT NULL,
    PRIMARY KEY (shop, order_id, line_item_id)
);

-- Decision ↔ order ↔ line: the units an accepted decision added to an order line and what the
-- buyer paid for them; refunded_* are recomputed from refund_lines (docs/analytics.md).
CREATE TABLE offer_lines (
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    line_item_id TEXT NOT NULL,
    decision_id TEXT NOT NULL REFERENCES decisions(id),
    variant_id TEXT NOT NULL,
    units INTEGER NOT NULL,
    line_quantity INTEGER NOT NULL,
    amount_minor INTEGER NOT NULL,
    refunded_units INTEGER NOT NULL DEFAULT 0,
    refunded_minor INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (shop, order_id, line_item_id, decision_id)
);
CREATE INDEX offer_lines_by_decision ON offer_lines (decision_id);

-- Every refunded line Shopify reported (offer or not, before or after the order was read), once
-- per (refund, line): the facts refunds are recomputed from.
CREATE TABLE refund_lines (
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    refund_id TEXT NOT NULL,
    line_item_id TEXT NOT NULL,
    quantity INTEGER NOT NULL,
    subtotal_minor INTEGER NOT NULL,
    currency_code TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (shop, refund_id, line_item_id)
);
CREATE INDEX refund_lines_by_order ON refund_lines (shop, order_id);

-- Decision ↔ order: the order an accepted decision's metafield was found on. status:
-- 'confirmed' (its lines were found and counted), 'foreign_currency' (the order's shop money
-- is not the shop's currency: not counted), 'unmatched' (the order names the decision but has
-- no line of its variants).
CREATE TABLE decision_orders (
    decision_id TEXT PRIMARY KEY REFERENCES decisions(id),
    shop TEXT NOT NULL,
    order_id TEXT NOT NULL,
    status TEXT NOT NULL,
    linked_at INTEGER NOT NULL
);
CREATE INDEX decision_orders_by_order ON decision_orders (shop, order_id);
