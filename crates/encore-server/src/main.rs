//! `encore-server`: Encore's post-purchase API server (see README for settings).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use std::time::Duration;

use encore_app::catalog_sync::access::{AdminAccess, StaticAccess};
use encore_app::catalog_sync::run::{full_sync, Progress};
use encore_app::catalog_sync::{SyncOptions, Syncer};
use encore_app::credentials::Credentials;
use encore_app::host_runner::HostRunner;
use encore_app::mining::import::{import, ImportProgress};
use encore_app::mining::{Mining, MiningOptions};
use encore_server::settings::Settings;
use encore_shopify::ShopDomain;
use encore_store::Store;
use indicatif::{ProgressBar, ProgressStyle};

/// mimalloc: the request path allocates many small JSON values; glibc's malloc spent a fifth
/// of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: encore-server [--demo] [--config FILE]
       encore-server sync --shop SHOP.myshopify.com
       encore-server mine --shop SHOP.myshopify.com [--all-history]

  sync            run one full catalog sync of the shop through a bulk operation, with a
                  progress bar, with the credentials the shop's install stored (the server's
                  settings: ENCORE_DATABASE_URL, SHOPIFY_API_KEY, SHOPIFY_API_SECRET,
                  ENCORE_ENCRYPTION_KEY, ENCORE_SHOPIFY_HOST; --config FILE as for the server),
                  or with ENCORE_SHOPIFY_ADMIN_TOKEN when it is set (a custom app's token)

  mine            import the shop's order history through a bulk operation, mine its
                  co-purchases and publish the suggestions auto offers read, with a progress
                  bar (the same variables as sync; --all-history when the shop granted
                  read_all_orders, else the last 60 days); see docs/mining.md

  --demo          run with the demo shop on an embedded SQLite file, with the demo shop's
                  development credentials (refused when SHOPIFY_API_SECRET or
                  SHOPIFY_API_KEY is set to anything else)
  --config FILE   read KEY=VALUE settings from FILE (the environment wins)

settings: SHOPIFY_API_KEY, SHOPIFY_API_SECRET, ENCORE_DATABASE_URL (sqlite://PATH or
postgres://...), ENCORE_LISTEN (default 127.0.0.1:8080), ENCORE_ADMIN_TOKEN,
ENCORE_FUNCTION_WASM, ENCORE_PROVIDER_WASM, ENCORE_CORS_ORIGINS, ENCORE_BODY_LIMIT,
ENCORE_LOG_FORMAT=json, RUST_LOG, ENCORE_METRICS_TOKEN, ENCORE_RETENTION_DECISIONS_DAYS
(default 400), ENCORE_RETENTION_WEBHOOKS_DAYS (30), ENCORE_RETENTION_DATA_REQUESTS_DAYS (90),
ENCORE_RETENTION_EVERY_MINUTES (60); see docs/operations.md; ENCORE_ENCRYPTION_KEY
(required outside --demo), ENCORE_ENCRYPTION_PREVIOUS_KEYS, ENCORE_APP_URL, ENCORE_SHOPIFY_HOST,
ENCORE_SCOPES, ENCORE_REFRESH_SWEEP_MINUTES (60); see docs/install.md; ENCORE_SHOPIFY_ADMIN_TOKEN
(the sync CLI's token); see docs/catalog-sync.md; ENCORE_CUSTOMER_FACTS_BUDGET_MS (300); see
docs/customer-facts.md; ENCORE_ATTRIBUTION_WINDOW_MINUTES (120), ENCORE_RECONCILE_EVERY_MINUTES (5);
see docs/analytics.md";

fn main() -> ExitCode {
    let mut demo = false;
    let mut config: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1).peekable();
    if args.peek().map(String::as_str) == Some("sync") {
        args.next();
        return sync_command(args.collect());
    }
    if args.peek().map(String::as_str) == Some("mine") {
        args.next();
        return mine_command(args.collect());
    }
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--demo" => demo = true,
            "--config" => match args.next() {
                Some(p) => config = Some(p.into()),
                None => return usage_error("--config needs a file"),
            },
            "-h" | "--help" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => return usage_error(&format!("unknown argument {other}")),
        }
    }
    let settings = match Settings::load(config.as_deref(), demo) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("encore-server: {e}");
            return ExitCode::from(2);
        }
    };
    init_tracing(settings.log_json);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(run(settings))
}

fn usage_error(msg: &str) -> ExitCode {
    eprintln!("encore-server: {msg}\n\n{USAGE}");
    ExitCode::from(2)
}

fn init_tracing(json: bool) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,tower_http=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    if json {
        builder.json().init();
    } else {
        builder.init();
    }
}

async fn run(settings: Settings) -> ExitCode {
    let runner = match HostRunner::load(&settings.function_wasm, settings.provider_wasm.as_deref())
    {
        Ok(r) => Arc::new(r),
        Err(e) => {
            eprintln!("encore-server: {e}");
            return ExitCode::from(2);
        }
    };
    let demo = settings.demo;
    let running = match encore_server::start(settings, runner).await {
        Ok(r) => r,
        Err(e) => {
            eprintln!("encore-server: {e}");
            return ExitCode::from(2);
        }
    };
    let base = format!("http://{}", running.addr);
    tracing::info!(addr = %running.addr, "encore-server listening");
    println!("encore-server listening on {base}");
    if demo {
        println!(
            "demo shop {shop}: open {base}/demo to preview offers",
            shop = encore_server::settings::demo::SHOP
        );
        println!(
            "  development credentials (demo only): API key {key}, API secret {secret}, admin token {admin}",
            key = encore_server::settings::demo::API_KEY,
            secret = encore_server::settings::demo::API_SECRET,
            admin = encore_server::settings::demo::ADMIN_TOKEN,
        );
    }
    shutdown_signal().await;
    tracing::info!("shutting down");
    running.stop().await;
    ExitCode::SUCCESS
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Where the sync CLI's Admin API access comes from.
enum SyncAccess {
    /// `ENCORE_SHOPIFY_ADMIN_TOKEN`.
    Static(StaticAccess),
    /// The shop's stored credentials, opened and refreshed with the server's settings.
    Stored(Box<Settings>),
}

/// `encore-server sync --shop SHOP`: one full catalog sync with a progress bar.
fn sync_command(args: Vec<String>) -> ExitCode {
    let (mut shop, mut config) = (None, None);
    let mut args = args.into_iter();
    while let Some(arg) = args.next() {
        match (arg.as_str(), args.next()) {
            ("--shop", Some(s)) => shop = Some(s),
            ("--config", Some(f)) => config = Some(PathBuf::from(f)),
            _ => return usage_error("sync needs --shop SHOP.myshopify.com [--config FILE]"),
        }
    }
    let Some(shop) = shop else {
        return usage_error("sync needs --shop SHOP.myshopify.com");
    };
    let shop = match ShopDomain::parse(&shop) {
        Ok(s) => s,
        Err(e) => return usage_error(&e.to_string()),
    };
    // A static token when one is given; otherwise the shop's stored credentials, which need
    // the server's settings (the app secret refreshes tokens, the encryption key opens them).
    let (database_url, access) = match StaticAccess::from_vars(env_var) {
        Err(e) => return usage_error(&e),
        Ok(Some(access)) => match env_var("ENCORE_DATABASE_URL") {
            Some(url) => (url, SyncAccess::Static(access)),
            None => return usage_error("ENCORE_DATABASE_URL is not set"),
        },
        Ok(None) => match Settings::load(config.as_deref(), false) {
            Ok(settings) => (
                settings.database_url.clone(),
                SyncAccess::Stored(Box::new(settings)),
            ),
            Err(e) => {
                eprintln!("encore-server: {e} (the sync reads the shop's stored credentials with the server's settings, or set ENCORE_SHOPIFY_ADMIN_TOKEN)");
                return ExitCode::from(2);
            }
        },
    };
    init_tracing(false);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let store = match Store::connect(&database_url).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("encore-server: {e}");
                return ExitCode::from(2);
            }
        };
        let access: Arc<dyn AdminAccess> = match access {
            SyncAccess::Static(access) => Arc::new(access),
            SyncAccess::Stored(settings) => Arc::new(Credentials::new(&settings.credentials(), store.clone())),
        };
        let syncer = Syncer::new(access);
        syncer.set_options(SyncOptions {
            poll_every: Duration::from_millis(500),
            ..SyncOptions::default()
        });
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} lines ({per_sec}, {eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        let shown = bar.clone();
        let observe = move |p: &Progress| {
            if let Some(total) = p.expected_objects {
                shown.set_length(total);
            }
            shown.set_position(p.lines);
            shown.set_message(format!(
                "{:?}: {} products, {} variants, {} malformed",
                p.state, p.products, p.variants, p.malformed
            ));
        };
        let result = full_sync(&store, &syncer, &shop, &observe).await;
        bar.finish();
        store.close().await;
        match result {
            Ok(report) => {
                let seconds = report.elapsed.as_secs_f64();
                println!(
                    "synced {shop}: {} products, {} variants ({:.0} variants/s), {} malformed lines skipped, {} products not active",
                    report.products,
                    report.variants,
                    report.variants as f64 / seconds.max(1e-9),
                    report.malformed,
                    report.skipped,
                    shop = shop.as_str(),
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("encore-server: sync of {} failed (the previous catalog stays live): {e}", shop.as_str());
                ExitCode::FAILURE
            }
        }
    })
}

/// `encore-server mine --shop SHOP [--all-history]`: one import of the order history with a
/// progress bar.
fn mine_command(args: Vec<String>) -> ExitCode {
    let (shop, all_history) = match args.as_slice() {
        [flag, shop] if flag == "--shop" => (shop, false),
        [flag, shop, all] if flag == "--shop" && all == "--all-history" => (shop, true),
        _ => return usage_error("mine needs --shop SHOP.myshopify.com [--all-history]"),
    };
    let shop = match ShopDomain::parse(shop) {
        Ok(s) => s,
        Err(e) => return usage_error(&e.to_string()),
    };
    let Some(database_url) = env_var("ENCORE_DATABASE_URL") else {
        return usage_error("ENCORE_DATABASE_URL is not set");
    };
    let access = match StaticAccess::from_vars(env_var) {
        Ok(Some(access)) => Arc::new(access),
        Ok(None) => return usage_error("ENCORE_SHOPIFY_ADMIN_TOKEN is not set"),
        Err(e) => return usage_error(&e),
    };
    init_tracing(false);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime");
    runtime.block_on(async move {
        let store = match Store::connect(&database_url).await {
            Ok(s) => s,
            Err(e) => {
                eprintln!("encore-server: {e}");
                return ExitCode::from(2);
            }
        };
        let syncer = Syncer::new(access.clone());
        let mining = Mining::new(access);
        mining.set_options(MiningOptions {
            poll_every: Duration::from_millis(500),
            read_all_orders: all_history,
            ..MiningOptions::default()
        });
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {msg} [{bar:30}] {pos}/{len} lines ({per_sec}, {eta} left)",
            )
            .expect("a valid template")
            .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(200));
        let shown = bar.clone();
        let observe = move |p: &ImportProgress| {
            if let Some(total) = p.expected_objects {
                shown.set_length(total);
            }
            let c = &p.counts;
            shown.set_position(c.lines);
            shown.set_message(format!(
                "{:?}: {} orders, {} counted, {} duplicates, {} too large, {} malformed",
                p.state, c.position, c.counted, c.duplicates, c.too_large, c.malformed
            ));
        };
        let result = import(&store, &mining, &syncer, &shop, &observe).await;
        bar.finish();
        store.close().await;
        match result {
            Ok(report) => {
                let seconds = report.elapsed.as_secs_f64();
                println!(
                    "mined {shop}: {} orders read ({:.0} orders/s), {} counted, {} in the window, {} distinct pairs; version {} live with {} suggestions (minimum support {})",
                    report.counts.position,
                    report.counts.position as f64 / seconds.max(1e-9),
                    report.counts.counted,
                    report.orders_in_window,
                    report.distinct_pairs,
                    report.publication.version,
                    report.publication.suggestions,
                    report.publication.min_support,
                    shop = shop.as_str(),
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("encore-server: mining {} failed (the previous suggestions stay live): {e}", shop.as_str());
                ExitCode::FAILURE
            }
        }
    })
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
