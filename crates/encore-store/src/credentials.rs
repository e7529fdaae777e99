//! The `shop_credentials` and `shops` SQL of install, refresh and uninstall (SQLite and PostgreSQL).
//!
//! Tokens arrive here already sealed by the vault; this module never sees a plaintext token.
//! The refresh lease is one conditional `UPDATE … RETURNING` (both backends), so exactly one
//! instance wins it whatever the interleaving.

use sqlx::Row;

use crate::{Store, StoreError};

type Result<T> = std::result::Result<T, StoreError>;

/// A sealed value as stored: the key id and base64 of nonce ‖ ciphertext ‖ tag (the server's
/// vault seals and opens it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sealed {
    pub key_id: i64,
    pub text: String,
}

/// A shop's stored credentials (sealed).
#[derive(Debug, Clone)]
pub struct CredentialRow {
    pub access: Sealed,
    pub refresh: Option<Sealed>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub scopes: String,
    pub needs_reauthorization: bool,
    pub version: i64,
}

/// A pair to store: sealed tokens and when they lapse.
pub struct NewPair {
    pub access: Sealed,
    pub refresh: Option<Sealed>,
    pub access_expires_at: Option<i64>,
    pub refresh_expires_at: Option<i64>,
    pub scopes: String,
}

const COLUMNS: &str = "key_id, access_token, refresh_token, access_expires_at, \
     refresh_expires_at, scopes, needs_reauthorization, version";

fn row_of(r: &sqlx::any::AnyRow) -> CredentialRow {
    let key_id: i64 = r.get(0);
    CredentialRow {
        access: Sealed {
            key_id,
            text: r.get(1),
        },
        refresh: r
            .get::<Option<String>, _>(2)
            .map(|text| Sealed { key_id, text }),
        access_expires_at: r.get(3),
        refresh_expires_at: r.get(4),
        scopes: r.get(5),
        needs_reauthorization: r.get::<i64, _>(6) != 0,
        version: r.get(7),
    }
}

/// The shop's credentials, if it has any.
pub async fn load(store: &Store, shop: &str) -> Result<Option<CredentialRow>> {
    // The writer pool: right after another instance (or this one) stored a pair, a waiting
    // refresh must see it; on PostgreSQL both pools are one.
    let row = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM shop_credentials WHERE shop = $1"
    ))
    .bind(shop)
    .fetch_optional(store.writer())
    .await?;
    Ok(row.as_ref().map(row_of))
}

/// Takes the shop's refresh lease until `until` if nobody holds it and the stored pair is still
/// `version`; `None` when another instance holds it or already refreshed.
pub async fn take_lease(
    store: &Store,
    shop: &str,
    version: i64,
    holder: &str,
    now: i64,
    until: i64,
) -> Result<Option<CredentialRow>> {
    let row = sqlx::query(&format!(
        "UPDATE shop_credentials SET lease_until = $1, lease_holder = $2 \
         WHERE shop = $3 AND version = $4 AND lease_until < $5 AND needs_reauthorization = 0 \
         RETURNING {COLUMNS}"
    ))
    .bind(until)
    .bind(holder)
    .bind(shop)
    .bind(version)
    .bind(now)
    .fetch_optional(store.writer())
    .await?;
    Ok(row.as_ref().map(row_of))
}

/// Stores a refreshed pair and releases the lease, in one statement (so in one transaction):
/// the access and refresh token never belong to different pairs. False when the lease was
/// lost meanwhile (a reinstall, or an expired lease taken over), and nothing was stored.
pub async fn store_refreshed(
    store: &Store,
    shop: &str,
    holder: &str,
    pair: &NewPair,
    now: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE shop_credentials SET key_id = $1, access_token = $2, refresh_token = $3, \
         access_expires_at = $4, refresh_expires_at = $5, scopes = $6, version = version + 1, \
         lease_until = 0, lease_holder = NULL, updated_at = $7 \
         WHERE shop = $8 AND lease_holder = $9",
    )
    .bind(pair.access.key_id)
    .bind(&pair.access.text)
    .bind(pair.refresh.as_ref().map(|r| r.text.as_str()))
    .bind(pair.access_expires_at)
    .bind(pair.refresh_expires_at)
    .bind(&pair.scopes)
    .bind(now)
    .bind(shop)
    .bind(holder)
    .execute(store.writer())
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives the lease back without storing anything (the refresh failed; the previous refresh
/// token stays, and retrying it is how a lost answer is recovered).
pub async fn release_lease(store: &Store, shop: &str, holder: &str) -> Result<()> {
    sqlx::query(
        "UPDATE shop_credentials SET lease_until = 0, lease_holder = NULL \
         WHERE shop = $1 AND lease_holder = $2",
    )
    .bind(shop)
    .bind(holder)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// Marks the shop as needing the merchant's authorization again and releases the lease.
pub async fn mark_needs_reauthorization(store: &Store, shop: &str, now: i64) -> Result<()> {
    sqlx::query(
        "UPDATE shop_credentials SET needs_reauthorization = 1, lease_until = 0, \
         lease_holder = NULL, updated_at = $1 WHERE shop = $2",
    )
    .bind(now)
    .bind(shop)
    .execute(store.writer())
    .await?;
    Ok(())
}

/// Creates or updates the shop (currency, installed again) and stores its first pair, in one
/// transaction. A refresh in flight elsewhere loses its lease and discards its answer.
pub async fn install(
    store: &Store,
    shop: &str,
    currency: &str,
    pair: &NewPair,
    now: i64,
) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "INSERT INTO shops (domain, currency_code, data_version, created_at) VALUES ($1, $2, 1, $3) \
         ON CONFLICT (domain) DO UPDATE SET currency_code = excluded.currency_code, \
         data_version = shops.data_version + 1, uninstalled_at = NULL",
    )
    .bind(shop)
    .bind(currency)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO shop_credentials (shop, key_id, access_token, refresh_token, \
         access_expires_at, refresh_expires_at, scopes, needs_reauthorization, version, \
         lease_until, lease_holder, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 0, 1, 0, NULL, $8) \
         ON CONFLICT (shop) DO UPDATE SET key_id = excluded.key_id, \
         access_token = excluded.access_token, refresh_token = excluded.refresh_token, \
         access_expires_at = excluded.access_expires_at, \
         refresh_expires_at = excluded.refresh_expires_at, scopes = excluded.scopes, \
         needs_reauthorization = 0, version = shop_credentials.version + 1, lease_until = 0, \
         lease_holder = NULL, updated_at = excluded.updated_at",
    )
    .bind(shop)
    .bind(pair.access.key_id)
    .bind(&pair.access.text)
    .bind(pair.refresh.as_ref().map(|r| r.text.as_str()))
    .bind(pair.access_expires_at)
    .bind(pair.refresh_expires_at)
    .bind(&pair.scopes)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// app/uninstalled: the tokens go at once, the shop is marked uninstalled (its data stays
/// until shop/redact) and its data_version moves so every instance's cache notices.
pub async fn uninstall(store: &Store, shop: &str, now: i64) -> Result<()> {
    let mut tx = store.writer().begin().await?;
    sqlx::query(
        "UPDATE shops SET uninstalled_at = $1, data_version = data_version + 1 WHERE domain = $2",
    )
    .bind(now)
    .bind(shop)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM shop_credentials WHERE shop = $1")
        .bind(shop)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

/// Shops whose refresh token lapses before `before` and can still be refreshed, with the
/// version of their pair.
pub async fn lapsing(store: &Store, before: i64) -> Result<Vec<(String, i64)>> {
    let rows = sqlx::query(
        "SELECT shop, version FROM shop_credentials WHERE refresh_expires_at < $1 \
         AND refresh_token IS NOT NULL AND needs_reauthorization = 0 ORDER BY refresh_expires_at",
    )
    .bind(before)
    .fetch_all(store.reader())
    .await?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

impl Store {
    /// Keeps an authorization-code grant's state nonce until `expires_at`; expired nonces go
    /// with each new one, so the table stays as small as the installs in flight.
    pub async fn put_oauth_state(
        &self,
        nonce: &str,
        shop: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<()> {
        sqlx::query("DELETE FROM oauth_states WHERE expires_at < $1")
            .bind(now)
            .execute(&self.writer)
            .await?;
        sqlx::query("INSERT INTO oauth_states (nonce, shop, expires_at) VALUES ($1, $2, $3)")
            .bind(nonce)
            .bind(shop)
            .bind(expires_at)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Consumes a state nonce issued for `shop` that has not expired: true exactly once.
    pub async fn take_oauth_state(&self, nonce: &str, shop: &str, now: i64) -> Result<bool> {
        // One statement: of two concurrent callbacks with the same state, one gets the row.
        let consumed = sqlx::query(
            "DELETE FROM oauth_states WHERE nonce = $1 AND shop = $2 AND expires_at >= $3 \
             RETURNING nonce",
        )
        .bind(nonce)
        .bind(shop)
        .bind(now)
        .fetch_optional(&self.writer)
        .await?;
        Ok(consumed.is_some_and(|r| r.get::<String, _>(0) == nonce))
    }
}
