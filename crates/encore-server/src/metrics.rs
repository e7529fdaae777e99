//! Operational metrics in the Prometheus text format (0.0.4), served by [`crate::scrape`].
//!
//! One registry per server (not a process-wide recorder), so two servers in one process — the
//! tests start many — count separately. Every label has a bounded set of values: routes are the
//! router's matched paths (`unmatched` otherwise), webhook topics are the ones Encore subscribes
//! to (`other` otherwise), failure codes are the server's own reason codes. The metric list and
//! meanings are in docs/operations.md.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

use encore_app::counters::FunctionOutcome;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: &'static str,
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabels {
    code: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct WebhookLabels {
    topic: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TableLabels {
    table: &'static str,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

/// The webhook topics Encore subscribes to (shopify.app.toml); any other is counted as `other`.
pub const WEBHOOK_TOPICS: [&str; 7] = [
    "orders/create",
    "orders/edited",
    "refunds/create",
    "app/uninstalled",
    "customers/data_request",
    "customers/redact",
    "shop/redact",
];

/// What became of one webhook delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// Verified and acted on (or acknowledged, for topics Encore only records).
    Handled,
    /// A delivery id seen before: acknowledged, not handled again.
    Duplicate,
    /// The HMAC did not match: refused with 401.
    BadHmac,
    /// Verified but refused (missing headers, bad JSON) or storage failed.
    Error,
}

impl WebhookOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            WebhookOutcome::Handled => "handled",
            WebhookOutcome::Duplicate => "duplicate",
            WebhookOutcome::BadHmac => "bad_hmac",
            WebhookOutcome::Error => "error",
        }
    }

    const ALL: [WebhookOutcome; 4] = [
        WebhookOutcome::Handled,
        WebhookOutcome::Duplicate,
        WebhookOutcome::BadHmac,
        WebhookOutcome::Error,
    ];
}

/// The tables retention prunes (the `table` label of the pruned-rows counter).
pub const PRUNED_TABLES: [&str; 5] = [
    "decisions",
    "events",
    "funnels",
    "webhook_receipts",
    "data_requests",
];

/// The server's counters and histograms.
pub struct Metrics {
    registry: Registry,
    http_requests: Family<RequestLabels, Counter>,
    http_duration: HistogramFamily<RouteLabels>,
    function_runs: Family<OutcomeLabels, Counter>,
    function_instructions: Histogram,
    function_failures: Family<CodeLabels, Counter>,
    webhooks: Family<WebhookLabels, Counter>,
    pruned_rows: Family<TableLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("encore");
        let http_requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests answered, by method, matched route and status",
            http_requests.clone(),
        );
        // 0.5 ms … 16 s: a stored decision is answered in well under a millisecond, a large
        // purchase's scaled Function run can take tens of milliseconds.
        let http_duration: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(|| Histogram::new(exponential_buckets(0.0005, 2.0, 16)));
        registry.register_with_unit(
            "http_request_duration",
            "Time from a request's arrival to its response, by method and matched route",
            Unit::Seconds,
            http_duration.clone(),
        );
        let function_runs = Family::<OutcomeLabels, Counter>::default();
        registry.register(
            "function_runs",
            "Offer Function decisions: offer, no_offer (the Function chose nothing) or failed",
            function_runs.clone(),
        );
        // 10 thousand … 164 million: Shopify's limit is 11 million, scaled up to 10× for
        // large purchases.
        let function_instructions = Histogram::new(exponential_buckets(10_000.0, 2.0, 15));
        registry.register(
            "function_instructions",
            "Instructions each offer Function run executed (function-runner's count)",
            function_instructions.clone(),
        );
        let function_failures = Family::<CodeLabels, Counter>::default();
        registry.register(
            "function_failures",
            "Offer Function runs that gave no decision, by reason code",
            function_failures.clone(),
        );
        let webhooks = Family::<WebhookLabels, Counter>::default();
        registry.register(
            "webhooks",
            "Shopify webhook deliveries by topic and outcome (handled, duplicate, bad_hmac, error)",
            webhooks.clone(),
        );
        let pruned_rows = Family::<TableLabels, Counter>::default();
        registry.register(
            "retention_pruned_rows",
            "Rows deleted by retention, by table",
            pruned_rows.clone(),
        );
        // Series with a known, small label set exist from the start at 0, so a rate over the
        // first increment is right.
        for outcome in ["offer", "no_offer", "failed"] {
            let _ = function_runs.get_or_create(&OutcomeLabels { outcome });
        }
        for topic in WEBHOOK_TOPICS.into_iter().chain(["other"]) {
            for outcome in WebhookOutcome::ALL {
                let _ = webhooks.get_or_create(&WebhookLabels {
                    topic,
                    outcome: outcome.as_str(),
                });
            }
        }
        // The server's failure codes (host_runner::failure_code and the offer pipeline's).
        for code in [
            "FUNCTION_FAILED",
            "FUNCTION_LIMIT_EXCEEDED",
            "FUNCTION_OUTPUT_INVALID",
        ] {
            let _ = function_failures.get_or_create(&CodeLabels { code });
        }
        for table in PRUNED_TABLES {
            let _ = pruned_rows.get_or_create(&TableLabels { table });
        }
        Self {
            registry,
            http_requests,
            http_duration,
            function_runs,
            function_instructions,
            function_failures,
            webhooks,
            pruned_rows,
        }
    }

    /// The registry in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut out, &self.registry);
        out
    }

    pub(crate) fn request(&self, method: &'static str, route: String, status: u16, seconds: f64) {
        self.http_duration
            .get_or_create(&RouteLabels {
                method,
                route: route.clone(),
            })
            .observe(seconds);
        self.http_requests
            .get_or_create(&RequestLabels {
                method,
                route,
                status,
            })
            .inc();
    }

    /// One webhook delivery; `topic` is the unverified header, reduced to a known topic.
    pub fn webhook(&self, topic: Option<&str>, outcome: WebhookOutcome) {
        let topic = WEBHOOK_TOPICS
            .into_iter()
            .find(|t| Some(*t) == topic)
            .unwrap_or("other");
        self.webhooks
            .get_or_create(&WebhookLabels {
                topic,
                outcome: outcome.as_str(),
            })
            .inc();
    }
}

impl encore_app::counters::Counters for Metrics {
    /// One decision of the offer Function, with the instructions its run executed when the
    /// runner counted them.
    fn function_decided(&self, outcome: FunctionOutcome, instructions: Option<u64>) {
        if let Some(n) = instructions {
            self.function_instructions.observe(n as f64);
        }
        let outcome = match outcome {
            FunctionOutcome::Offer => "offer",
            FunctionOutcome::NoOffer => "no_offer",
            FunctionOutcome::Failed { code } => {
                self.function_failures
                    .get_or_create(&CodeLabels { code })
                    .inc();
                "failed"
            }
        };
        self.function_runs
            .get_or_create(&OutcomeLabels { outcome })
            .inc();
    }

    fn pruned(&self, table: &'static str, rows: u64) {
        self.pruned_rows
            .get_or_create(&TableLabels { table })
            .inc_by(rows);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_webhook_topic_is_counted_as_other_not_as_itself() {
        let m = Metrics::new();
        m.webhook(Some("x/attacker-chosen-topic"), WebhookOutcome::BadHmac);
        m.webhook(None, WebhookOutcome::Error);
        let text = m.render();
        assert!(
            text.contains(r#"encore_webhooks_total{topic="other",outcome="bad_hmac"} 1"#),
            "{text}"
        );
        assert!(text.contains(r#"encore_webhooks_total{topic="other",outcome="error"} 1"#));
        assert!(!text.contains("attacker"));
    }
}
