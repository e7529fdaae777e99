//! Shared server state: the use cases' [`App`] plus what only HTTP needs (settings, token
//! verifiers, metrics).

use std::ops::Deref;
use std::sync::Arc;

use crate::settings::Settings;
use encore_app::app::App;
use encore_app::runner::OfferRunner;
use encore_shopify::post_purchase::token::TokenVerifier;
use encore_store::Store;

/// Everything a request handler needs; derefs to the [`App`] its use cases take.
pub struct AppState {
    pub app: Arc<App>,
    pub settings: Settings,
    pub verifier: TokenVerifier,
    /// Counters and histograms for `GET /metrics` (also the app's counters).
    pub metrics: Arc<crate::metrics::Metrics>,
    /// Verifies the embedded admin's App Bridge session tokens.
    pub sessions: encore_shopify::session::SessionVerifier,
}

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.app
    }
}

impl AppState {
    pub fn new(settings: Settings, store: Store, runner: Arc<dyn OfferRunner>) -> Arc<Self> {
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let app = Arc::new(App::new(
            settings.app.clone(),
            &settings.credentials(),
            store,
            runner,
            metrics.clone(),
        ));
        Arc::new(Self {
            verifier: TokenVerifier::new(&settings.api_secret, &settings.api_key),
            sessions: encore_shopify::session::SessionVerifier::new(
                &settings.api_key,
                &encore_shopify::Secret::new(settings.api_secret.clone()),
            ),
            settings,
            metrics,
            app,
        })
    }
}
