//! The HTTP/1 listener: hyper with a head buffer that holds the largest post-purchase token, and graceful shutdown.
//!
//! `axum::serve` keeps hyper's default head limit (about 408 KiB): a large purchase's token in
//! `Authorization` got a bare 431 and a closed connection, or not, depending on how the bytes
//! arrived. Here the limit is [`MAX_HEAD_BYTES`], twice the largest token, so a token the server
//! takes always fits, and one up to twice that size gets the API's JSON refusal. Only a head
//! beyond that still gets hyper's own empty 431; it is logged.

use std::future::Future;
use std::time::Duration;

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;

use encore_shopify::post_purchase::token::MAX_TOKEN_BYTES;

/// The largest request head (request line and headers) hyper reads.
pub const MAX_HEAD_BYTES: usize = 2 * MAX_TOKEN_BYTES + 64 * 1024;

/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);

/// Serves `app` on `listener` until `shutdown` resolves, then waits for open requests to end.
pub async fn serve(listener: TcpListener, app: Router, shutdown: impl Future<Output = ()>) {
    let mut http = hyper::server::conn::http1::Builder::new();
    http.max_buf_size(MAX_HEAD_BYTES)
        .timer(TokioTimer::new())
        .header_read_timeout(HEAD_TIMEOUT);
    let graceful = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => stream,
                Err(e) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        let connection =
            http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(app.clone()));
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                if e.is_parse_too_large() {
                    tracing::warn!(
                        limit = MAX_HEAD_BYTES,
                        "request head too large: answered 431 by hyper and closed"
                    );
                } else {
                    tracing::debug!(error = %e, "connection ended with an error");
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
}
