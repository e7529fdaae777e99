-- Operations: the customer each decision's purchase named (customer data requests), indexes for
-- pruning by age (retention), and the customer data requests Shopify sent.

-- The post-purchase token's customer id, when it named one. Cleared by customers/redact.
ALTER TABLE decisions ADD COLUMN customer_id TEXT;
CREATE INDEX decisions_by_customer ON decisions (shop, customer_id);
CREATE INDEX decisions_by_age ON decisions (created_at);
CREATE INDEX webhook_receipts_by_age ON webhook_receipts (received_at);

-- customers/data_request deliveries: who asked, for which orders. The export is built from the
-- other tables when the merchant fetches it, so nothing else about the customer is copied here.
CREATE TABLE data_requests (
    shop TEXT NOT NULL,
    -- Shopify's data_request.id.
    request_id TEXT NOT NULL,
    customer_id TEXT NOT NULL,
    -- Shopify's orders_requested: a JSON array of order ids as strings.
    orders_requested TEXT NOT NULL,
    received_at INTEGER NOT NULL,
    PRIMARY KEY (shop, request_id)
);
CREATE INDEX data_requests_by_age ON data_requests (received_at);
