//! Encore server: verifies post-purchase tokens, runs the offer Function, signs changesets, stores decisions.
//!
//! The binary (`encore-server`) is a thin `main` over [`serve`]; tests build the same router
//! with [`start`] on a loopback port.

pub mod admin;
pub mod admin_app;
pub mod admin_lookup;
pub mod api;
pub mod body;
pub mod catalog_search;
pub mod catalog_sync;
pub mod checkout_setting;
pub mod data_request;
pub mod demo;
pub mod error;
pub mod install;
pub mod metrics;
pub mod mining;
pub mod purchase_request;
pub mod retention;
pub mod scrape;
pub mod serve;
pub mod session;
pub mod settings;
pub mod simulation_orders;
pub mod simulation_pairs;
pub mod state;
pub mod store_health;
pub mod webhooks;

use std::net::SocketAddr;
use std::sync::Arc;

use crate::settings::Settings;
use crate::state::AppState;
use encore_app::runner::OfferRunner;
use encore_store::Store;

/// A server that failed to start, with what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Settings(#[from] settings::SettingsError),
    #[error(transparent)]
    Store(#[from] encore_store::StoreError),
    #[error(transparent)]
    Function(#[from] encore_app::host_runner::LoadError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    pub state: Arc<AppState>,
    shutdown: tokio::sync::oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
    /// The background retention task, if it runs.
    pruner: Option<tokio::task::JoinHandle<()>>,
    /// Refreshes idle shops' tokens before their refresh tokens lapse.
    sweeper: tokio::task::JoinHandle<()>,
    /// The attribution reconciler (`reconcile`).
    reconciler: Option<tokio::task::JoinHandle<()>>,
    /// Hears other instances' changes on PostgreSQL (`facts_cache::listen`).
    facts_listener: Option<tokio::task::JoinHandle<()>>,
    /// Publishes the orders/create counted since the last publication (`mining::incremental`).
    publisher: tokio::task::JoinHandle<()>,
    /// Resumes unfinished imports and refreshes co-purchases on schedule (`mining::schedule`).
    mining_schedule: tokio::task::JoinHandle<()>,
}

impl Running {
    /// Stops accepting, finishes in-flight requests, closes the database.
    pub async fn stop(self) {
        if let Some(pruner) = self.pruner {
            pruner.abort();
        }
        self.sweeper.abort();
        if let Some(reconciler) = self.reconciler {
            reconciler.abort();
        }
        if let Some(listener) = self.facts_listener {
            listener.abort();
        }
        self.publisher.abort();
        self.mining_schedule.abort();
        let _ = self.shutdown.send(());
        let _ = self.task.await;
        self.state.store.close().await;
    }
}

/// Opens the store (seeding the demo shop in demo mode), binds, and serves in the background.
pub async fn start(
    settings: Settings,
    runner: Arc<dyn OfferRunner>,
) -> Result<Running, StartError> {
    if let Some(dir) = settings
        .database_url
        .strip_prefix("sqlite://")
        .and_then(|p| std::path::Path::new(p.split('?').next().unwrap_or(p)).parent())
    {
        if !dir.as_os_str().is_empty() {
            let _ = std::fs::create_dir_all(dir);
        }
    }
    let store = Store::connect(&settings.database_url).await?;
    if settings.demo {
        demo::seed(&store).await?;
    }
    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: settings.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: settings.listen,
        source,
    })?;
    let state = AppState::new(settings, store, runner);
    let app = api::router(state.clone());
    let pruner = encore_app::retention::spawn(state.app.clone());
    let sweeper = encore_app::sweeper::spawn_sweeper(state.app.clone());
    let reconciler = encore_app::reconcile::spawn(state.app.clone());
    let facts_listener = encore_app::facts_cache::listen(
        state.facts.clone(),
        state.store.clone(),
        state.settings.database_url.clone(),
    );
    let publisher = encore_app::mining::incremental::spawn(state.app.clone());
    let mining_schedule = encore_app::mining::schedule::spawn(state.app.clone());
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        serve::serve(listener, app, async {
            let _ = rx.await;
        })
        .await;
    });
    Ok(Running {
        addr,
        state,
        shutdown: tx,
        task,
        pruner,
        sweeper,
        reconciler,
        facts_listener,
        publisher,
        mining_schedule,
    })
}
