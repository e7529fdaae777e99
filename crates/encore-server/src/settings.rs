//! Server settings from the environment, an optional `KEY=VALUE` file, and `--demo` defaults.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use encore_app::settings::{self as app_settings, AppSettings, RetentionSettings};

/// The documented development credentials of the demo shop (never use them for a real app).
pub mod demo {
    pub const SHOP: &str = "encore-demo.myshopify.com";
    pub const API_KEY: &str = "encore-demo-key";
    pub const API_SECRET: &str = "encore-demo-secret";
    pub const ADMIN_TOKEN: &str = "encore-demo-admin";
    pub const DATABASE_URL: &str = "sqlite://.encore/demo.sqlite";
}

/// A setting problem, said so the operator can fix it.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("SHOPIFY_API_SECRET is not set: it is the app's client secret from the Partner Dashboard (or run `encore-server --demo` to try Encore with the demo shop)")]
    MissingSecret,
    #[error("SHOPIFY_API_KEY is not set: it is the app's client id from the Partner Dashboard")]
    MissingApiKey,
    #[error("ENCORE_DATABASE_URL is not set: use sqlite://PATH (one file) or postgres://USER:PASS@HOST/DB")]
    MissingDatabase,
    #[error("ENCORE_LISTEN={0} is not an address like 127.0.0.1:8080")]
    BadListen(String),
    #[error("cannot read the settings file {path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{path}:{line}: expected KEY=VALUE")]
    FileSyntax { path: PathBuf, line: usize },
    #[error("{0}: {1}")]
    Bad(&'static str, String),
    #[error("ENCORE_ENCRYPTION_KEY is not set: shop access tokens are encrypted at rest with it (32 random bytes in base64: `openssl rand -base64 32`); keep it outside the database")]
    MissingEncryptionKey,
    #[error("{0} {1}")]
    BadKey(&'static str, encore_app::vault::KeyError),
    #[error("--demo runs with the demo shop's development credentials only, and {0} is set to something else: demo mode signs preview tokens and changesets for purchases anyone can make up, so it must never hold an app's real secret. Unset {0} to run the demo, or run without --demo")]
    DemoWithRealCredentials(&'static str),
}

/// The scopes Encore asks for: shopify.app.toml's `[access_scopes] scopes` (see its comments).
pub const DEFAULT_SCOPES: &str = "read_products,read_inventory,read_orders,read_customers";

/// Everything the server needs to start.
#[derive(Clone)]
pub struct Settings {
    pub api_key: String,
    pub api_secret: String,
    pub database_url: String,
    pub listen: SocketAddr,
    /// Bearer token for the admin routes; admin routes answer 503 when unset.
    pub admin_token: Option<String>,
    /// The optimized offer Function wasm.
    pub function_wasm: PathBuf,
    /// The Function provider wasm (encore-host's build of shopify_function_provider).
    pub provider_wasm: Option<PathBuf>,
    /// Demo mode: demo data, the /demo preview page.
    pub demo: bool,
    /// Largest request body, in bytes.
    pub body_limit: usize,
    /// Allowed CORS origins for the post-purchase API; empty = any origin.
    pub cors_origins: Vec<String>,
    /// Log as JSON lines instead of text.
    pub log_json: bool,
    /// Bearer token for `GET /metrics` (the admin token works too); see docs/operations.md.
    pub metrics_token: Option<String>,
    /// The use cases' settings: retention windows (`ENCORE_RETENTION_*`), the attribution
    /// window (`ENCORE_ATTRIBUTION_WINDOW_MINUTES`, default 120), the reconciler's period
    /// (`ENCORE_RECONCILE_EVERY_MINUTES`, default 5; `never`: only the webhooks' own work), the
    /// idle-token sweep (`ENCORE_REFRESH_SWEEP_MINUTES`, default 60), the co-purchase refresh
    /// (`ENCORE_MINING_REFRESH_HOURS`, default 24; 0: never) and the wait for the buyer's facts
    /// (`ENCORE_CUSTOMER_FACTS_BUDGET_MS`, default 300).
    pub app: AppSettings,
    /// Encrypts shop credentials at rest (`ENCORE_ENCRYPTION_KEY`, previous keys for rotation).
    pub vault: encore_app::vault::Vault,
    /// Where Shopify reaches this server over HTTPS (`ENCORE_APP_URL`): the authorization-code
    /// grant redirects to `{app_url}/auth/callback`. Unset: `/auth` answers 503.
    pub app_url: Option<String>,
    /// Shopify's base URL per shop (`ENCORE_SHOPIFY_HOST`, default `https://{shop}`; the
    /// simulated Shopify in tests and the demo).
    pub shopify_host: encore_shopify::host::ShopifyHost,
    /// Scopes the authorization-code grant asks for (`ENCORE_SCOPES`).
    pub scopes: String,
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("api_key", &self.api_key)
            .field("api_secret", &"***")
            .field(
                "database_url",
                &encore_store::redact_url(&self.database_url),
            )
            .field("listen", &self.listen)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "***"))
            .field("function_wasm", &self.function_wasm)
            .field("demo", &self.demo)
            .field("metrics_token", &self.metrics_token.as_ref().map(|_| "***"))
            .field("app", &self.app)
            .field("vault", &self.vault)
            .field("app_url", &self.app_url)
            .field("shopify_host", &self.shopify_host)
            .field("scopes", &self.scopes)
            .finish()
    }
}

impl Settings {
    /// What the shops' credentials need of these settings.
    pub fn credentials(&self) -> encore_app::credentials::CredentialSettings {
        encore_app::credentials::CredentialSettings {
            shopify_host: self.shopify_host.clone(),
            api_key: self.api_key.clone(),
            api_secret: self.api_secret.clone(),
            vault: self.vault.clone(),
        }
    }

    /// Reads settings: process environment first, then `file` (KEY=VALUE lines), then demo
    /// defaults when `demo` is set.
    pub fn load(file: Option<&Path>, demo: bool) -> Result<Self, SettingsError> {
        let mut vars: HashMap<String, String> = HashMap::new();
        if let Some(path) = file {
            let text = std::fs::read_to_string(path).map_err(|source| SettingsError::File {
                path: path.to_path_buf(),
                source,
            })?;
            for (i, line) in text.lines().enumerate() {
                let line = line.trim();
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let (k, v) = line
                    .strip_prefix("export ")
                    .unwrap_or(line)
                    .split_once('=')
                    .ok_or(SettingsError::FileSyntax {
                        path: path.to_path_buf(),
                        line: i + 1,
                    })?;
                vars.insert(k.trim().to_string(), v.trim().trim_matches('"').to_string());
            }
        }
        for (k, v) in std::env::vars() {
            if !v.is_empty() {
                vars.insert(k, v);
            }
        }
        Self::from_vars(&vars, demo)
    }

    /// Settings from a map of variables (tests use this directly).
    pub fn from_vars(
        vars: &HashMap<String, String>,
        demo_mode: bool,
    ) -> Result<Self, SettingsError> {
        let get = |k: &str| vars.get(k).filter(|v| !v.is_empty()).cloned();
        if demo_mode {
            // Demo mode mints tokens for caller-chosen purchases: it may only ever hold the
            // documented development credentials, never a real app's.
            for (name, demo_value) in [
                ("SHOPIFY_API_SECRET", demo::API_SECRET),
                ("SHOPIFY_API_KEY", demo::API_KEY),
            ] {
                if get(name).is_some_and(|v| v != demo_value) {
                    return Err(SettingsError::DemoWithRealCredentials(name));
                }
            }
        }
        let api_secret = match (get("SHOPIFY_API_SECRET"), demo_mode) {
            (Some(s), _) => s,
            (None, true) => demo::API_SECRET.to_string(),
            (None, false) => return Err(SettingsError::MissingSecret),
        };
        let api_key = match (get("SHOPIFY_API_KEY"), demo_mode) {
            (Some(s), _) => s,
            (None, true) => demo::API_KEY.to_string(),
            (None, false) => return Err(SettingsError::MissingApiKey),
        };
        let database_url = match (get("ENCORE_DATABASE_URL"), demo_mode) {
            (Some(s), _) => s,
            (None, true) => demo::DATABASE_URL.to_string(),
            (None, false) => return Err(SettingsError::MissingDatabase),
        };
        let listen_text = get("ENCORE_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let listen = listen_text
            .parse()
            .map_err(|_| SettingsError::BadListen(listen_text.clone()))?;
        let admin_token =
            get("ENCORE_ADMIN_TOKEN").or_else(|| demo_mode.then(|| demo::ADMIN_TOKEN.to_string()));
        let artifacts = encore_app::host_runner::default_artifact_dir();
        let function_wasm = get("ENCORE_FUNCTION_WASM")
            .map(PathBuf::from)
            .unwrap_or_else(|| artifacts.join("encore-offer.wasm"));
        let provider_wasm = get("ENCORE_PROVIDER_WASM").map(PathBuf::from);
        let body_limit = match get("ENCORE_BODY_LIMIT") {
            Some(v) => v.parse().map_err(|_| {
                SettingsError::Bad("ENCORE_BODY_LIMIT", format!("{v} is not a number of bytes"))
            })?,
            None => 256 * 1024,
        };
        let cors_origins = get("ENCORE_CORS_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|s| s.trim().to_string())
                    .filter(|s| !s.is_empty() && s != "*")
                    .collect()
            })
            .unwrap_or_default();
        let log_json = get("ENCORE_LOG_FORMAT").is_some_and(|v| v.eq_ignore_ascii_case("json"));
        let metrics_token = get("ENCORE_METRICS_TOKEN");
        let retention = retention_from_vars(&get)?;
        let attribution_window = match get("ENCORE_ATTRIBUTION_WINDOW_MINUTES") {
            Some(v) => match v.parse::<u64>() {
                Ok(m) if m > 0 => std::time::Duration::from_secs(m * 60),
                _ => {
                    return Err(SettingsError::Bad(
                        "ENCORE_ATTRIBUTION_WINDOW_MINUTES",
                        format!("{v} is not a positive number of minutes"),
                    ))
                }
            },
            None => std::time::Duration::from_secs(120 * 60),
        };
        let vault = vault_from(&get, demo_mode)?;
        let app_url = get("ENCORE_APP_URL").map(|u| u.trim_end_matches('/').to_string());
        let shopify_host = match get("ENCORE_SHOPIFY_HOST") {
            Some(t) => encore_shopify::host::ShopifyHost::custom(&t).ok_or_else(|| {
                SettingsError::Bad(
                    "ENCORE_SHOPIFY_HOST",
                    format!("{t} must contain {{shop}}, like https://{{shop}}"),
                )
            })?,
            None => encore_shopify::host::ShopifyHost::shopify(),
        };
        let scopes = get("ENCORE_SCOPES").unwrap_or_else(|| DEFAULT_SCOPES.to_string());
        let refresh_sweep = match get("ENCORE_REFRESH_SWEEP_MINUTES") {
            Some(v) => std::time::Duration::from_secs(
                v.parse::<u64>().ok().filter(|m| *m > 0).ok_or_else(|| {
                    SettingsError::Bad(
                        "ENCORE_REFRESH_SWEEP_MINUTES",
                        format!("{v} is not a positive number of minutes"),
                    )
                })? * 60,
            ),
            None => std::time::Duration::from_secs(3600),
        };
        let reconcile_every = count_or_never(
            "ENCORE_RECONCILE_EVERY_MINUTES",
            get("ENCORE_RECONCILE_EVERY_MINUTES"),
        )?
        .unwrap_or(Some(encore_app::reconcile::DEFAULT_EVERY_MINUTES))
        .map(|m| std::time::Duration::from_secs(u64::from(m) * 60));
        let mining_refresh = match get("ENCORE_MINING_REFRESH_HOURS") {
            Some(v) => match v.parse::<u64>() {
                Ok(0) => None,
                Ok(h) => Some(std::time::Duration::from_secs(h.saturating_mul(3600))),
                Err(_) => {
                    return Err(SettingsError::Bad(
                        "ENCORE_MINING_REFRESH_HOURS",
                        format!("{v} is not a whole number of hours (0: never)"),
                    ))
                }
            },
            None => Some(std::time::Duration::from_secs(24 * 3600)),
        };
        let customer_facts_budget = match get("ENCORE_CUSTOMER_FACTS_BUDGET_MS") {
            Some(v) => std::time::Duration::from_millis(v.parse::<u64>().map_err(|_| {
                SettingsError::Bad(
                    "ENCORE_CUSTOMER_FACTS_BUDGET_MS",
                    format!("{v} is not a number of milliseconds"),
                )
            })?),
            None => encore_app::customer_facts::DEFAULT_BUDGET,
        };
        Ok(Self {
            api_key,
            api_secret,
            database_url,
            listen,
            admin_token,
            function_wasm,
            provider_wasm,
            demo: demo_mode,
            body_limit,
            cors_origins,
            log_json,
            metrics_token,
            app: AppSettings {
                retention,
                attribution_window,
                reconcile_every,
                refresh_sweep,
                mining_refresh,
                customer_facts_budget,
            },
            vault,
            app_url,
            shopify_host,
            scopes,
        })
    }
}

/// The credentials vault: `ENCORE_ENCRYPTION_KEY` (required outside demo mode; the demo
/// derives a fixed development key) and `ENCORE_ENCRYPTION_PREVIOUS_KEYS` (`ID:BASE64,…`).
fn vault_from(
    get: &impl Fn(&str) -> Option<String>,
    demo_mode: bool,
) -> Result<encore_app::vault::Vault, SettingsError> {
    use encore_app::vault::{EncryptionKey, Vault};
    let current = match (get("ENCORE_ENCRYPTION_KEY"), demo_mode) {
        (Some(text), _) => EncryptionKey::parse(&text)
            .map_err(|e| SettingsError::BadKey("ENCORE_ENCRYPTION_KEY", e))?,
        (None, true) => EncryptionKey::demo(),
        (None, false) => return Err(SettingsError::MissingEncryptionKey),
    };
    let previous = get("ENCORE_ENCRYPTION_PREVIOUS_KEYS")
        .map(|list| {
            list.split(',')
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| {
                    EncryptionKey::parse(k)
                        .map_err(|e| SettingsError::BadKey("ENCORE_ENCRYPTION_PREVIOUS_KEYS", e))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .transpose()?
        .unwrap_or_default();
    Ok(Vault::new(current, &previous))
}

/// A variable's value: unset (`None`), `never` (`Some(None)`) or a whole number ≥ 1.
pub(crate) fn count_or_never(
    key: &'static str,
    value: Option<String>,
) -> Result<Option<Option<u32>>, SettingsError> {
    match value {
        None => Ok(None),
        Some(v) if v.eq_ignore_ascii_case("never") => Ok(Some(None)),
        Some(v) => match v.parse::<u32>() {
            Ok(n) if n >= 1 => Ok(Some(Some(n))),
            _ => Err(SettingsError::Bad(
                key,
                format!("{v} is not a whole number ≥ 1 or \"never\""),
            )),
        },
    }
}

/// Reads the ENCORE_RETENTION_* variables through `get`; unset ones take the defaults.
pub fn retention_from_vars(
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<RetentionSettings, SettingsError> {
    let read = |key: &'static str, default: u32| {
        count_or_never(key, get(key)).map(|v| v.unwrap_or(Some(default)))
    };
    let every = read(
        "ENCORE_RETENTION_EVERY_MINUTES",
        app_settings::DEFAULT_EVERY_MINUTES,
    )?;
    Ok(RetentionSettings {
        decisions_days: read(
            "ENCORE_RETENTION_DECISIONS_DAYS",
            app_settings::DEFAULT_DECISIONS_DAYS,
        )?,
        webhook_receipts_days: read(
            "ENCORE_RETENTION_WEBHOOKS_DAYS",
            app_settings::DEFAULT_WEBHOOK_RECEIPTS_DAYS,
        )?,
        data_requests_days: read(
            "ENCORE_RETENTION_DATA_REQUESTS_DAYS",
            app_settings::DEFAULT_DATA_REQUESTS_DAYS,
        )?,
        every: every.map(|m| Duration::from_secs(u64::from(m) * 60)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn missing_secret_outside_demo_is_an_error() {
        let e = Settings::from_vars(&vars(&[("SHOPIFY_API_KEY", "k")]), false).unwrap_err();
        assert!(e.to_string().contains("SHOPIFY_API_SECRET"));
    }

    #[test]
    fn demo_fills_in_documented_defaults() {
        let s = Settings::from_vars(&vars(&[]), true).unwrap();
        assert_eq!(s.api_secret, demo::API_SECRET);
        assert_eq!(s.api_key, demo::API_KEY);
        assert_eq!(s.admin_token.as_deref(), Some(demo::ADMIN_TOKEN));
        assert_eq!(s.listen.to_string(), "127.0.0.1:8080");
        assert!(!format!("{s:?}").contains(demo::API_SECRET));
    }

    #[test]
    fn outside_demo_mode_the_encryption_key_is_required_and_checked() {
        let base = [
            ("SHOPIFY_API_KEY", "k"),
            ("SHOPIFY_API_SECRET", "s"),
            ("ENCORE_DATABASE_URL", "sqlite://x.sqlite"),
        ];
        let e = Settings::from_vars(&vars(&base), false).unwrap_err();
        assert!(matches!(e, SettingsError::MissingEncryptionKey), "{e}");
        let mut short = base.to_vec();
        short.push(("ENCORE_ENCRYPTION_KEY", "c2hvcnQ="));
        let e = Settings::from_vars(&vars(&short), false).unwrap_err();
        assert!(e.to_string().contains("exactly 32 bytes"), "{e}");
        assert!(!e.to_string().contains("c2hvcnQ="));
        let mut good = base.to_vec();
        good.push((
            "ENCORE_ENCRYPTION_KEY",
            "7:AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=",
        ));
        let s = Settings::from_vars(&vars(&good), false).unwrap();
        assert_eq!(s.vault.current_key_id(), 7);
        assert!(!format!("{s:?}").contains("AAECAwQF"));
    }

    #[test]
    fn demo_refuses_an_apps_real_secret_or_key() {
        for name in ["SHOPIFY_API_SECRET", "SHOPIFY_API_KEY"] {
            let e = Settings::from_vars(&vars(&[(name, "shpss_real")]), true).unwrap_err();
            assert!(
                matches!(e, SettingsError::DemoWithRealCredentials(n) if n == name),
                "{e}"
            );
            assert!(!e.to_string().contains("shpss_real"), "{e}");
        }
        let s = Settings::from_vars(
            &vars(&[
                ("SHOPIFY_API_SECRET", demo::API_SECRET),
                ("SHOPIFY_API_KEY", demo::API_KEY),
            ]),
            true,
        )
        .unwrap();
        assert_eq!(s.api_secret, demo::API_SECRET);
        let real = vars(&[
            ("SHOPIFY_API_SECRET", "shpss_real"),
            ("SHOPIFY_API_KEY", "k"),
        ]);
        let s = Settings::from_vars(
            &real
                .into_iter()
                .chain([
                    ("ENCORE_DATABASE_URL".into(), "sqlite://x".into()),
                    (
                        "ENCORE_ENCRYPTION_KEY".into(),
                        "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=".into(),
                    ),
                ])
                .collect(),
            false,
        )
        .unwrap();
        assert_eq!(s.api_secret, "shpss_real");
    }

    #[test]
    fn bad_listen_is_explained() {
        let e = Settings::from_vars(&vars(&[("ENCORE_LISTEN", "nope")]), true).unwrap_err();
        assert!(e.to_string().contains("ENCORE_LISTEN=nope"));
    }

    #[test]
    fn the_reconciler_runs_every_five_minutes_unless_told_otherwise() {
        let every =
            |v: &[(&str, &str)]| Settings::from_vars(&vars(v), true).map(|s| s.app.reconcile_every);
        use std::time::Duration;
        assert_eq!(every(&[]).unwrap(), Some(Duration::from_secs(300)));
        let key = "ENCORE_RECONCILE_EVERY_MINUTES";
        assert_eq!(every(&[(key, "1")]).unwrap(), Some(Duration::from_secs(60)));
        assert_eq!(every(&[(key, "never")]).unwrap(), None);
        let e = every(&[(key, "0")]).unwrap_err();
        assert!(e.to_string().contains(key), "{e}");
    }
}

#[cfg(test)]
mod retention_tests {
    use super::*;
    use encore_app::settings::RetentionSettings;
    use std::collections::HashMap;

    fn read(pairs: &[(&str, &str)]) -> Result<RetentionSettings, SettingsError> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        retention_from_vars(&|k| vars.get(k).cloned())
    }

    #[test]
    fn unset_windows_take_the_documented_defaults() {
        assert_eq!(read(&[]).unwrap(), RetentionSettings::default());
        assert_eq!(read(&[]).unwrap().decisions_days, Some(400));
        assert_eq!(read(&[]).unwrap().webhook_receipts_days, Some(30));
    }

    #[test]
    fn never_keeps_rows_forever_and_zero_is_refused() {
        let s = read(&[
            ("ENCORE_RETENTION_DECISIONS_DAYS", "never"),
            ("ENCORE_RETENTION_EVERY_MINUTES", "NEVER"),
            ("ENCORE_RETENTION_WEBHOOKS_DAYS", "7"),
        ])
        .unwrap();
        assert_eq!(s.decisions_days, None);
        assert_eq!(s.every, None);
        assert_eq!(s.webhook_receipts_days, Some(7));
        for bad in ["0", "-3", "1.5", "soon"] {
            let e = read(&[("ENCORE_RETENTION_WEBHOOKS_DAYS", bad)]).unwrap_err();
            assert!(
                e.to_string().contains("ENCORE_RETENTION_WEBHOOKS_DAYS"),
                "{e}"
            );
        }
    }
}
