-- Install and authentication: each shop's offline access token and refresh token (encrypted),
-- the refresh lease that serializes refreshes across server instances, the authorization-code
-- grant's state nonces, and whether the app is installed.

-- Set by app/uninstalled (offers stop, data stays until shop/redact); cleared by a reinstall.
ALTER TABLE shops ADD COLUMN uninstalled_at INTEGER;

CREATE TABLE shop_credentials (
    shop TEXT PRIMARY KEY,
    -- Which ENCORE_ENCRYPTION_KEY sealed the two tokens (rotation).
    key_id INTEGER NOT NULL,
    -- base64(nonce || XChaCha20-Poly1305 ciphertext), the shop domain as associated data.
    access_token TEXT NOT NULL,
    refresh_token TEXT,
    -- Unix seconds; NULL for a non-expiring token.
    access_expires_at INTEGER,
    refresh_expires_at INTEGER,
    scopes TEXT NOT NULL,
    -- 1 once a refresh was refused with invalid_grant: only the merchant can fix it.
    needs_reauthorization INTEGER NOT NULL DEFAULT 0,
    -- Bumped by every stored pair: a waiting instance sees that another one refreshed.
    version INTEGER NOT NULL DEFAULT 1,
    -- One refresh per shop at a time across instances: taken by a conditional UPDATE.
    lease_until INTEGER NOT NULL DEFAULT 0,
    lease_holder TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX shop_credentials_by_refresh_expiry ON shop_credentials (refresh_expires_at);

-- Authorization-code grant: each nonce is consumed once, before it expires.
CREATE TABLE oauth_states (
    nonce TEXT PRIMARY KEY,
    shop TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
