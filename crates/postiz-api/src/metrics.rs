//! Prometheus metrics of the API, as the worker has them: requests by route, method and status,
//! and their latency by route. The route is the matched template (`/…/workspaces/{ws}/posts`),
//! never the path itself, so ids do not multiply the series; requests that match no route count
//! as `unmatched`. Served on a listener of its own (`--metrics`), not under the public API.

use std::net::SocketAddr;
use std::time::Instant;

use axum::Router;
use axum::extract::{MatchedPath, Request};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;
use metrics_exporter_prometheus::{BuildError, PrometheusBuilder, PrometheusHandle};

/// Requests answered, by route, method and status (counter).
pub const REQUESTS: &str = "postiz_api_requests_total";
/// Time to answer a request (its headers), by route and method (histogram, seconds).
pub const REQUEST_DURATION: &str = "postiz_api_request_duration_seconds";

/// Counts and times every request (a `from_fn` middleware, outside the routes).
pub async fn layer(request: Request, next: Next) -> Response {
    let route = request.extensions().get::<MatchedPath>().map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = method_label(request.method()).to_owned();
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!(REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status).increment(1);
    metrics::histogram!(REQUEST_DURATION, "route" => route, "method" => method).record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label: the standard ones by name, anything else (a client may send any
/// token) as `other`, so that no client can grow the series without end.
fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    }
}

/// Installs the process's recorder (once per process).
pub fn install() -> Result<PrometheusHandle, BuildError> {
    let buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
    PrometheusBuilder::new().set_buckets(&buckets)?.install_recorder()
}

/// Installs the recorder and serves it on `bind` in the background (what a binary's `--metrics`
/// does); a listener that stops is logged.
pub fn start(bind: SocketAddr) -> Result<(), BuildError> {
    let handle = install()?;
    tokio::spawn(async move {
        if let Err(e) = serve(bind, handle).await {
            tracing::error!(error = %e, address = %bind, "the metrics endpoint stopped");
        }
    });
    Ok(())
}

/// `GET /metrics` rendering `handle`.
pub fn routes(handle: PrometheusHandle) -> Router {
    Router::new().route("/metrics", get(move || std::future::ready(handle.render())))
}

/// Serves [`routes`] on `bind` until the process ends, and keeps the histograms' buffers drained
/// between scrapes (a recorder installed without the exporter's own listener does not).
pub async fn serve(bind: SocketAddr, handle: PrometheusHandle) -> std::io::Result<()> {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(address = %bind, "API metrics endpoint listening");
    axum::serve(listener, routes(handle)).await
}
