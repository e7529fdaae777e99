//! Streams a finished bulk operation's JSONL file (a signed URL, no access token needed).

use std::time::Duration;

use futures_util::TryStreamExt;
use tokio::io::AsyncBufRead;

use crate::admin::AdminError;

/// Opens `url` and returns its body as a buffered stream. `timeout` bounds the whole download
/// (Shopify's files can be large: give it minutes, not seconds).
pub async fn open(
    http: &reqwest::Client,
    url: &str,
    timeout: Duration,
) -> Result<impl AsyncBufRead + Unpin, AdminError> {
    let response = http.get(url).timeout(timeout).send().await.map_err(|e| {
        if e.is_timeout() {
            AdminError::Timeout { attempts: 1 }
        } else {
            AdminError::Transport(e.without_url().to_string())
        }
    })?;
    let status = response.status();
    if !status.is_success() {
        return Err(AdminError::Http {
            status: status.as_u16(),
        });
    }
    let body = response.bytes_stream().map_err(std::io::Error::other);
    Ok(tokio::io::BufReader::with_capacity(
        64 * 1024,
        tokio_util::io::StreamReader::new(body),
    ))
}
