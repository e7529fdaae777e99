-- Customer facts read from the Admin API (customer_facts.rs): when Encore read them, for which
-- purchase (referenceId: the read serves that purchase's later steps only), and when the
-- customer's latest order was created as Shopify said then (to tell whether the purchase on the
-- post-purchase page was already counted). All NULL for rows the operator route loads, which
-- are taken as given.
ALTER TABLE customers ADD COLUMN read_at INTEGER;
ALTER TABLE customers ADD COLUMN read_for TEXT;
ALTER TABLE customers ADD COLUMN last_order_at INTEGER;
