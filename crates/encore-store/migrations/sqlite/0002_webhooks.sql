-- Webhook deliveries already handled, by Shopify's X-Shopify-Webhook-Id: a redelivery is
-- acknowledged without being handled twice.
CREATE TABLE webhook_receipts (
    webhook_id TEXT PRIMARY KEY,
    shop TEXT NOT NULL,
    topic TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
