//! `encore-server`: Encore's post-purchase API server (see README for settings).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use encore_server::host_runner::HostRunner;
use encore_server::settings::Settings;

/// mimalloc: the request path allocates many small JSON values; glibc's malloc spent a fifth
/// of the server's CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: encore-server [--demo] [--config FILE]

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
ENCORE_SCOPES, ENCORE_REFRESH_SWEEP_MINUTES (60); see docs/install.md";

fn main() -> ExitCode {
    let mut demo = false;
    let mut config: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
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
