//! Durable storage on SQLite (default, one WAL file) or PostgreSQL, through sqlx's `Any` driver.
//!
//! The SQL is written once for both backends (numbered `$n` parameters, `ON CONFLICT`,
//! `COUNT(CASE …)`); the schema has one migration directory per backend because the DDL
//! differs in little ways. Writes that must not double-count are single conditional
//! statements inside a transaction whose first statement is a write, so SQLite never has to
//! upgrade a read lock and PostgreSQL needs no explicit row locks.

pub mod attribution;
pub mod catalog;
pub mod co_purchases;
pub mod configs;
pub mod credentials;
pub mod customers;
pub mod data_requests;
pub mod decisions;
pub mod facts;
pub mod mining;
pub mod retention;
pub mod shops;
pub mod statistics;
pub mod tx;
pub mod webhooks;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

pub use tx::Tx;

/// A storage failure, with what the operator can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("ENCORE_DATABASE_URL must start with sqlite:// or postgres:// (got {0})")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database schema: {0}")]
    Migrate(#[source] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    /// A task that was writing stopped before it finished (its writes may be partial).
    #[error("database error: {0}")]
    Interrupted(String),
    #[error("stored JSON is corrupt: {0}")]
    Json(#[from] serde_json::Error),
}

type Result<T> = std::result::Result<T, StoreError>;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The connection pools and the backend they speak to.
#[derive(Clone)]
pub struct Store {
    /// Reads (and, on PostgreSQL, everything).
    pool: AnyPool,
    /// Writes. On SQLite one connection: SQLite has one writer at a time, and writers that
    /// find the lock taken sleep in its busy handler for milliseconds; queueing them here
    /// instead keeps the latency tail short. On PostgreSQL the same pool as reads.
    writer: AnyPool,
    backend: Backend,
}

impl Store {
    /// Opens (creating if needed) and migrates the database at `url`.
    pub async fn connect(url: &str) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let (backend, url) = if url.starts_with("sqlite:") {
            let mut u = url.to_string();
            if !u.contains("mode=") && !u.contains(":memory:") {
                u.push_str(if u.contains('?') {
                    "&mode=rwc"
                } else {
                    "?mode=rwc"
                });
            }
            (Backend::Sqlite, u)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            (Backend::Postgres, url.to_string())
        } else {
            return Err(StoreError::UnsupportedUrl(redact_url(url)));
        };
        let options = AnyConnectOptions::from_str(&url).map_err(StoreError::Connect)?;
        let pool_options = |max_connections| {
            AnyPoolOptions::new()
                .max_connections(max_connections)
                .min_connections(1)
                .acquire_timeout(Duration::from_secs(10))
                .after_connect(move |conn, _meta| {
                    Box::pin(async move {
                        if backend == Backend::Sqlite {
                            conn.execute("PRAGMA busy_timeout = 10000").await?;
                            conn.execute("PRAGMA synchronous = NORMAL").await?;
                            conn.execute("PRAGMA foreign_keys = ON").await?;
                        }
                        Ok(())
                    })
                })
        };
        let (pool, writer) = match backend {
            // Each connection to :memory: is its own database: one connection does all.
            Backend::Sqlite if url.contains(":memory:") => {
                // Kept for good: a recycled connection would take the database with it.
                let pool = pool_options(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                (pool.clone(), pool)
            }
            Backend::Sqlite => {
                let writer = pool_options(1)
                    .connect_with(options.clone())
                    .await
                    .map_err(StoreError::Connect)?;
                // Persistent in the file: readers never wait for the writer.
                writer.execute("PRAGMA journal_mode = WAL").await?;
                let readers = pool_options(8)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                (readers, writer)
            }
            Backend::Postgres => {
                let pool = pool_options(16)
                    .connect_with(options)
                    .await
                    .map_err(StoreError::Connect)?;
                (pool.clone(), pool)
            }
        };
        let migrator = match backend {
            Backend::Sqlite => sqlx::migrate!("./migrations/sqlite"),
            Backend::Postgres => sqlx::migrate!("./migrations/postgres"),
        };
        migrator.run(&writer).await.map_err(StoreError::Migrate)?;
        Ok(Self {
            pool,
            writer,
            backend,
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The read pool, for modules that keep their own SQL (retention, data requests).
    pub(crate) fn reader(&self) -> &AnyPool {
        &self.pool
    }

    /// The write pool (one connection on SQLite), for modules that keep their own SQL.
    pub(crate) fn writer(&self) -> &AnyPool {
        &self.writer
    }

    /// A cheap round trip, for readiness.
    pub async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    pub async fn close(&self) {
        self.pool.close().await;
        self.writer.close().await;
    }
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let creds = &url[s + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..s], user, &url[at + 1..])
        }
        _ => url.to_string(),
    }
}
