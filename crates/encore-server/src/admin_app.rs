//! The merchant's embedded admin: its page at the app URL and its static assets, compiled into
//! the binary from `web/app/` (plain ES modules and CSS: there is no build step to forget).
//!
//! The page names the app's API key in the `shopify-api-key` meta tag App Bridge reads, and
//! allows framing only by the Shopify admin (`frame-ancestors`), as Shopify requires of
//! embedded apps.

use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

const PAGE: &str = include_str!("../web/app/index.html");

/// Every asset the page loads: (name under /admin-assets/, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("admin.css", CSS, include_bytes!("../web/app/admin.css")),
    ("js/main.js", JS, include_bytes!("../web/app/js/main.js")),
    ("js/auth.js", JS, include_bytes!("../web/app/js/auth.js")),
    ("js/api.js", JS, include_bytes!("../web/app/js/api.js")),
    (
        "js/analytics-data.js",
        JS,
        include_bytes!("../web/app/js/analytics-data.js"),
    ),
    ("js/dom.js", JS, include_bytes!("../web/app/js/dom.js")),
    ("js/i18n.js", JS, include_bytes!("../web/app/js/i18n.js")),
    (
        "js/messages-en.js",
        JS,
        include_bytes!("../web/app/js/messages-en.js"),
    ),
    (
        "js/messages-fr.js",
        JS,
        include_bytes!("../web/app/js/messages-fr.js"),
    ),
    ("js/money.js", JS, include_bytes!("../web/app/js/money.js")),
    (
        "js/campaigns.js",
        JS,
        include_bytes!("../web/app/js/campaigns.js"),
    ),
    (
        "js/editor.js",
        JS,
        include_bytes!("../web/app/js/editor.js"),
    ),
    (
        "js/analytics.js",
        JS,
        include_bytes!("../web/app/js/analytics.js"),
    ),
    (
        "js/charts.js",
        JS,
        include_bytes!("../web/app/js/charts.js"),
    ),
    (
        "js/catalog-picker.js",
        JS,
        include_bytes!("../web/app/js/catalog-picker.js"),
    ),
    (
        "js/history.js",
        JS,
        include_bytes!("../web/app/js/history.js"),
    ),
    ("js/why.js", JS, include_bytes!("../web/app/js/why.js")),
    (
        "js/status.js",
        JS,
        include_bytes!("../web/app/js/status.js"),
    ),
    ("js/start.js", JS, include_bytes!("../web/app/js/start.js")),
    (
        "js/templates.js",
        JS,
        include_bytes!("../web/app/js/templates.js"),
    ),
    (
        "js/catalog-warnings.js",
        JS,
        include_bytes!("../web/app/js/catalog-warnings.js"),
    ),
    // The offer engine in the browser (crates/encore-web, built and checked by
    // scripts/build-web-engine.sh) and the editor modules that use it.
    (
        "js/engine.js",
        JS,
        include_bytes!("../web/app/js/engine.js"),
    ),
    (
        "js/simulation.js",
        JS,
        include_bytes!("../web/app/js/simulation.js"),
    ),
    (
        "js/simulator.js",
        JS,
        include_bytes!("../web/app/js/simulator.js"),
    ),
    (
        "engine/encore_web.js",
        JS,
        include_bytes!("../web/app/engine/encore_web.js"),
    ),
    (
        "engine/encore_web_bg.wasm",
        WASM,
        include_bytes!("../web/app/engine/encore_web_bg.wasm"),
    ),
];
const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
// `WebAssembly.instantiateStreaming` requires this type.
const WASM: &str = "application/wasm";

pub fn routes() -> Router<Arc<AppState>> {
    Router::new()
        .route("/", get(page))
        .route("/app", get(page))
        .route("/app/{*rest}", get(page))
        .route("/admin-assets/{*name}", get(asset))
}

#[derive(Deserialize)]
struct PageQuery {
    shop: Option<String>,
}

/// Whether `shop` is a permanent `*.myshopify.com` domain (the only thing put in the CSP).
fn is_shop_domain(shop: &str) -> bool {
    shop.strip_suffix(".myshopify.com").is_some_and(|name| {
        !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
    })
}

fn escape_attribute(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

async fn page(State(state): State<Arc<AppState>>, Query(q): Query<PageQuery>) -> Response {
    let html = PAGE.replace(
        "%SHOPIFY_API_KEY%",
        &escape_attribute(&state.settings.api_key),
    );
    // Shopify asks embedded apps to allow framing by the shop's admin only.
    let ancestors = match q.shop.as_deref().map(str::to_ascii_lowercase) {
        Some(shop) if is_shop_domain(&shop) => {
            format!("frame-ancestors https://{shop} https://admin.shopify.com;")
        }
        _ => "frame-ancestors https://admin.shopify.com;".to_string(),
    };
    let mut response = (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        html,
    )
        .into_response();
    if let Ok(csp) = HeaderValue::from_str(&ancestors) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, content_type, bytes)) => (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, *content_type),
                // Assets change with the binary; revalidating on loopback-cheap requests keeps a
                // new deploy from mixing old and new modules.
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *bytes,
        )
            .into_response(),
        None => ApiError::NotFound(format!("no admin asset {name}")).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_permanent_shop_domains_reach_the_frame_ancestors_policy() {
        assert!(is_shop_domain("encore-demo.myshopify.com"));
        assert!(!is_shop_domain("evil.com; script-src *"));
        assert!(!is_shop_domain(".myshopify.com"));
        assert!(!is_shop_domain("a.b.myshopify.com"));
    }

    #[test]
    fn the_api_key_cannot_break_out_of_its_attribute() {
        assert_eq!(
            escape_attribute("k\"><script>"),
            "k&quot;&gt;&lt;script&gt;"
        );
    }

    #[test]
    fn every_module_and_stylesheet_under_web_app_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web/app");
        let mut on_disk: Vec<String> = ["js", "engine"]
            .into_iter()
            .flat_map(|sub| {
                std::fs::read_dir(dir.join(sub))
                    .unwrap()
                    .map(move |e| format!("{sub}/{}", e.unwrap().file_name().to_string_lossy()))
            })
            .chain(["admin.css".to_string()])
            .collect();
        on_disk.sort();
        let mut served: Vec<String> = ASSETS.iter().map(|(n, _, _)| n.to_string()).collect();
        served.sort();
        assert_eq!(served, on_disk, "add new files to ASSETS");
    }
}
