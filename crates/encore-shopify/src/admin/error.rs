//! What can go wrong talking to the Admin API, in terms a caller (and a merchant) can act on.

use std::fmt;

use serde::Deserialize;

/// A top-level GraphQL error (`errors[]`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphqlError {
    pub message: String,
    #[serde(default)]
    pub extensions: Option<GraphqlErrorExtensions>,
}

/// `errors[].extensions`: Shopify's machine-readable code (`THROTTLED`, `ACCESS_DENIED`, …).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct GraphqlErrorExtensions {
    pub code: Option<String>,
}

impl GraphqlError {
    pub fn code(&self) -> Option<&str> {
        self.extensions.as_ref()?.code.as_deref()
    }
}

/// A mutation's `userErrors[]` entry: input the merchant or Encore must change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserError {
    /// The path to the input field, when Shopify names one.
    pub field: Vec<String>,
    pub message: String,
    /// Shopify's code (`OPERATION_IN_PROGRESS`, `INVALID`, …).
    pub code: Option<String>,
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.field.is_empty() {
            write!(f, "{}: ", self.field.join("."))?;
        }
        f.write_str(&self.message)?;
        if let Some(code) = &self.code {
            write!(f, " ({code})")?;
        }
        Ok(())
    }
}

/// Why an Admin API call failed. Retries already happened where they help: what arrives here
/// needs a decision by the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AdminError {
    /// 401: the access token expired or was revoked. Refresh it once and call again; if that
    /// fails too, the shop must authorize the app again.
    #[error("Shopify refused the access token (401)")]
    Unauthorized,
    /// 403 or ACCESS_DENIED: the app lacks a scope or protected-data approval.
    #[error("the app is not allowed to read this ({0}); the merchant must grant the access")]
    Forbidden(String),
    /// 402, 404 or 423: the shop is frozen, gone or locked.
    #[error("the shop is unavailable (HTTP {status})")]
    ShopUnavailable { status: u16 },
    #[error("Shopify kept throttling the app after {attempts} attempts")]
    Throttled { attempts: u32 },
    #[error("Shopify answered HTTP {status} after {attempts} attempts")]
    Server { status: u16, attempts: u32 },
    #[error("the Admin API call timed out after {attempts} attempts")]
    Timeout { attempts: u32 },
    #[error("the Admin API could not be reached: {0}")]
    Transport(String),
    #[error("Shopify refused the request with HTTP {status}")]
    Http { status: u16 },
    #[error("Shopify answered with errors: {}", join_messages(.0))]
    Graphql(Vec<GraphqlError>),
    #[error("Shopify refused the input: {}", join(.0))]
    UserErrors(Vec<UserError>),
    #[error("the Admin API's answer could not be read: {0}")]
    Decode(String),
    /// `wait_for_bulk` gave up: the bulk operation still runs (it may finish later).
    #[error("the bulk operation did not finish in time")]
    BulkDeadline,
}

impl AdminError {
    /// True for `bulkOperationRunQuery`'s OPERATION_IN_PROGRESS: the shop's previous bulk query
    /// still runs; queue and try later.
    pub fn is_bulk_in_progress(&self) -> bool {
        matches!(self, AdminError::UserErrors(errors)
            if errors.iter().any(|e| e.code.as_deref() == Some("OPERATION_IN_PROGRESS")))
    }
}

fn join(errors: &[UserError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

fn join_messages(errors: &[GraphqlError]) -> String {
    errors
        .iter()
        .map(|e| match e.code() {
            Some(code) => format!("{} ({code})", e.message),
            None => e.message.clone(),
        })
        .collect::<Vec<_>>()
        .join("; ")
}
