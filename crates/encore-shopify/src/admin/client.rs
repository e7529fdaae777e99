//! The Admin GraphQL client for one shop: typed operations over HTTP with a timeout on every
//! call, the cost budget respected, and retries where they help.
//!
//! - Before a call, the client waits until the shop's bucket (modelled from the last
//!   `extensions.cost`) holds the operation's last requested cost.
//! - THROTTLED answers wait for the missing points; 429 honours Retry-After; 5xx and timeouts
//!   back off exponentially with jitter. Attempts are bounded.
//! - Mutations are not resent after a timeout or a lost connection (Shopify may have run them).
//! - 401 comes back at once as [`AdminError::Unauthorized`] so the caller can refresh once.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use graphql_client::{GraphQLQuery, QueryBody};
use rand::Rng;
use serde::Deserialize;

use super::cost::{wait_for, Bucket, QueryCost};
use super::error::{AdminError, GraphqlError};
use crate::domain::ShopDomain;
use crate::host::{ShopifyHost, API_VERSION};
use crate::secret::Secret;

/// How often and how patiently to retry.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    /// The first backoff; it doubles per attempt up to `max_delay`, with jitter.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(10),
        }
    }
}

/// Where and how the client talks to Shopify.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    pub host: ShopifyHost,
    pub api_version: String,
    /// Per HTTP call.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl Default for AdminConfig {
    fn default() -> Self {
        Self {
            host: ShopifyHost::shopify(),
            api_version: API_VERSION.to_string(),
            timeout: Duration::from_secs(20),
            retry: RetryPolicy::default(),
        }
    }
}

/// The cost assumed for an operation the client has not sent yet.
const FIRST_CALL_COST: f64 = 10.0;

/// An Admin API client for one shop. Share one per shop: it keeps the shop's cost budget.
#[derive(Debug)]
pub struct AdminClient {
    http: reqwest::Client,
    config: AdminConfig,
    shop: ShopDomain,
    url: String,
    budget: Mutex<Budget>,
}

#[derive(Debug, Default)]
struct Budget {
    bucket: Option<Bucket>,
    /// The last requested cost per operation name.
    costs: HashMap<&'static str, f64>,
}

#[derive(Deserialize)]
struct Envelope<T> {
    data: Option<T>,
    #[serde(default)]
    errors: Vec<GraphqlError>,
    extensions: Option<Extensions>,
}

#[derive(Deserialize)]
struct Extensions {
    cost: Option<QueryCost>,
}

/// One attempt's outcome.
enum Attempt<T> {
    Done(T),
    /// Worth another try after the given pause (or the backoff).
    Retry(AdminError, Option<Duration>),
    Fail(AdminError),
}

impl AdminClient {
    pub fn new(http: reqwest::Client, config: AdminConfig, shop: ShopDomain) -> Self {
        let url = config.host.graphql_url(&shop, &config.api_version);
        Self {
            http,
            config,
            shop,
            url,
            budget: Mutex::new(Budget::default()),
        }
    }

    pub fn shop(&self) -> &ShopDomain {
        &self.shop
    }

    /// Sends `Q` with `variables` and returns its data.
    pub async fn execute<Q: GraphQLQuery>(
        &self,
        token: &Secret,
        variables: Q::Variables,
    ) -> Result<Q::ResponseData, AdminError> {
        let body = Q::build_query(variables);
        let resend_after_loss = !is_mutation(body.query);
        let max = self.config.retry.max_attempts.max(1);
        let mut attempt = 1;
        loop {
            let wait = self.reserve(body.operation_name);
            if !wait.is_zero() {
                tracing::debug!(shop = %self.shop, operation = body.operation_name, wait_ms = wait.as_millis() as u64, "waiting for the cost budget");
                tokio::time::sleep(wait).await;
            }
            match self.attempt::<Q>(token, &body, resend_after_loss).await {
                Attempt::Done(data) => return Ok(data),
                Attempt::Fail(error) => return Err(error),
                Attempt::Retry(error, pause) => {
                    if attempt >= max {
                        return Err(with_attempts(error, attempt));
                    }
                    let pause = pause.unwrap_or_else(|| self.backoff(attempt));
                    tracing::info!(shop = %self.shop, operation = body.operation_name, attempt, pause_ms = pause.as_millis() as u64, error = %error, "retrying an Admin API call");
                    tokio::time::sleep(pause).await;
                    attempt += 1;
                }
            }
        }
    }

    async fn attempt<Q: GraphQLQuery>(
        &self,
        token: &Secret,
        body: &QueryBody<Q::Variables>,
        resend_after_loss: bool,
    ) -> Attempt<Q::ResponseData> {
        let sent = self
            .http
            .post(&self.url)
            .header("X-Shopify-Access-Token", token.expose())
            .header(reqwest::header::ACCEPT, "application/json")
            .json(body)
            .timeout(self.config.timeout)
            .send()
            .await;
        let response = match sent {
            Ok(response) => response,
            Err(e) => return self.lost(e, resend_after_loss),
        };
        let status = response.status().as_u16();
        let retry_after = retry_after(&response);
        let bytes = match response.bytes().await {
            Ok(bytes) => bytes,
            Err(e) => return self.lost(e, resend_after_loss),
        };
        match status {
            200..=299 => {}
            401 => return Attempt::Fail(AdminError::Unauthorized),
            403 => {
                return Attempt::Fail(AdminError::Forbidden(
                    String::from_utf8_lossy(&bytes).chars().take(200).collect(),
                ))
            }
            402 | 404 | 423 => return Attempt::Fail(AdminError::ShopUnavailable { status }),
            429 => return Attempt::Retry(AdminError::Throttled { attempts: 0 }, retry_after),
            500..=599 => {
                return Attempt::Retry(
                    AdminError::Server {
                        status,
                        attempts: 0,
                    },
                    None,
                )
            }
            _ => return Attempt::Fail(AdminError::Http { status }),
        }
        let envelope: Envelope<Q::ResponseData> = match serde_json::from_slice(&bytes) {
            Ok(envelope) => envelope,
            Err(e) => return Attempt::Fail(AdminError::Decode(e.to_string())),
        };
        let cost = envelope.extensions.and_then(|e| e.cost);
        if let Some(cost) = &cost {
            self.observe(body.operation_name, cost);
        }
        if envelope
            .errors
            .iter()
            .any(|e| e.code() == Some("THROTTLED"))
        {
            let pause = cost.map(|c| {
                let wanted = c.requested_query_cost.unwrap_or(FIRST_CALL_COST);
                wait_for(
                    wanted - c.throttle_status.currently_available,
                    c.throttle_status.restore_rate,
                )
            });
            return Attempt::Retry(AdminError::Throttled { attempts: 0 }, pause);
        }
        if envelope
            .errors
            .iter()
            .any(|e| e.code() == Some("ACCESS_DENIED"))
        {
            let message = envelope
                .errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; ");
            return Attempt::Fail(AdminError::Forbidden(message));
        }
        if envelope
            .errors
            .iter()
            .any(|e| e.code() == Some("INTERNAL_SERVER_ERROR"))
        {
            return Attempt::Retry(AdminError::Graphql(envelope.errors), None);
        }
        // Partial data with errors is not used: a half-read answer must not look complete.
        if !envelope.errors.is_empty() {
            return Attempt::Fail(AdminError::Graphql(envelope.errors));
        }
        match envelope.data {
            Some(data) => Attempt::Done(data),
            None => Attempt::Fail(AdminError::Decode("the answer has no data".into())),
        }
    }

    fn lost<T>(&self, e: reqwest::Error, resend: bool) -> Attempt<T> {
        let error = if e.is_timeout() {
            AdminError::Timeout { attempts: 0 }
        } else {
            AdminError::Transport(e.without_url().to_string())
        };
        if resend {
            Attempt::Retry(error, None)
        } else {
            Attempt::Fail(with_attempts(error, 1))
        }
    }

    fn reserve(&self, operation: &'static str) -> Duration {
        let mut budget = self.budget.lock().expect("budget lock");
        let cost = budget
            .costs
            .get(operation)
            .copied()
            .unwrap_or(FIRST_CALL_COST);
        match budget.bucket.as_mut() {
            Some(bucket) => bucket.reserve(cost, Instant::now()),
            None => Duration::ZERO,
        }
    }

    fn observe(&self, operation: &'static str, cost: &QueryCost) {
        let mut budget = self.budget.lock().expect("budget lock");
        budget.bucket = Some(Bucket::observed(cost.throttle_status, Instant::now()));
        if let Some(requested) = cost.requested_query_cost {
            budget.costs.insert(operation, requested);
        }
    }

    /// Exponential backoff with equal jitter: half the step fixed, half random.
    fn backoff(&self, attempt: u32) -> Duration {
        let policy = &self.config.retry;
        let step = policy
            .base_delay
            .saturating_mul(1u32 << (attempt - 1).min(16))
            .min(policy.max_delay);
        let half = step / 2;
        half + half.mul_f64(rand::thread_rng().gen::<f64>())
    }
}

fn with_attempts(error: AdminError, attempts: u32) -> AdminError {
    match error {
        AdminError::Throttled { .. } => AdminError::Throttled { attempts },
        AdminError::Server { status, .. } => AdminError::Server { status, attempts },
        AdminError::Timeout { .. } => AdminError::Timeout { attempts },
        other => other,
    }
}

fn retry_after(response: &reqwest::Response) -> Option<Duration> {
    let value = response.headers().get(reqwest::header::RETRY_AFTER)?;
    let seconds: f64 = value.to_str().ok()?.trim().parse().ok()?;
    (seconds.is_finite() && seconds >= 0.0).then(|| Duration::from_secs_f64(seconds.min(60.0)))
}

/// True when the document's first operation is a mutation (comments skipped).
fn is_mutation(document: &str) -> bool {
    document
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty() && !line.starts_with('#'))
        .is_some_and(|line| line.starts_with("mutation"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutations_are_recognised_after_comments() {
        assert!(is_mutation("# a comment\n\nmutation X { a }"));
        assert!(!is_mutation("# mutation in a comment\nquery X { a }"));
    }

    #[test]
    fn backoff_grows_and_stays_bounded() {
        let client = AdminClient::new(
            reqwest::Client::new(),
            AdminConfig::default(),
            ShopDomain::parse("a.myshopify.com").unwrap(),
        );
        for attempt in 1..10 {
            let step = Duration::from_millis(500)
                .saturating_mul(1 << (attempt - 1))
                .min(Duration::from_secs(10));
            let pause = client.backoff(attempt);
            assert!(pause >= step / 2 && pause <= step, "{attempt}: {pause:?}");
        }
    }
}
