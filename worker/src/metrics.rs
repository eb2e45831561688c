//! Prometheus metrics: names in one place, the exporter, and the gauges sampled from the database.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::store::{PUBLISH_QUEUE, Store};

/// Publish outcomes per network and outcome (counter).
pub const PUBLISH_OUTCOMES: &str = "postiz_publish_outcomes_total";
/// Time from claim to recorded outcome, per network (histogram, seconds).
pub const PUBLISH_DURATION: &str = "postiz_publish_duration_seconds";
/// Actual publish time minus scheduled time (histogram, seconds).
pub const LATENESS: &str = "postiz_publish_lateness_seconds";
/// Retries scheduled, per network (counter).
pub const RETRIES: &str = "postiz_publish_retries_total";
/// Token failures that sent an account to reconnect, per network (counter).
pub const TOKEN_REFRESH_FAILURES: &str = "postiz_token_refresh_failures_total";
/// Token refreshes per network and outcome (`refreshed`, `revoked`, `transient`, …) (counter).
pub const TOKEN_REFRESHES: &str = "postiz_token_refreshes_total";
/// Messages in the publish queue (gauge).
pub const QUEUE_DEPTH: &str = "postiz_queue_depth";
/// Age of the oldest message in the publish queue (gauge, seconds).
pub const QUEUE_OLDEST_AGE: &str = "postiz_queue_oldest_age_seconds";
/// Jobs due more than a minute ago that no worker has started (gauge).
pub const JOBS_OVERDUE: &str = "postiz_jobs_overdue";
/// Unix time of this worker's last loop (gauge).
pub const HEARTBEAT: &str = "postiz_worker_heartbeat_timestamp_seconds";

/// Every metric name the alert rules may use.
pub const ALL: [&str; 10] = [
    PUBLISH_OUTCOMES,
    PUBLISH_DURATION,
    LATENESS,
    RETRIES,
    TOKEN_REFRESH_FAILURES,
    TOKEN_REFRESHES,
    QUEUE_DEPTH,
    QUEUE_OLDEST_AGE,
    JOBS_OVERDUE,
    HEARTBEAT,
];

/// Installs the global recorder.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let buckets = [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0];
    Ok(PrometheusBuilder::new().set_buckets(&buckets)?.install_recorder()?)
}

/// Serves `/metrics` on `bind` until the process ends.
pub async fn serve(bind: SocketAddr, handle: PrometheusHandle) -> anyhow::Result<()> {
    // The histograms' buffers are drained here between scrapes: a recorder installed without
    // the exporter's own listener does not do it.
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            upkeep.run_upkeep();
        }
    });
    let app = Router::new().route("/metrics", get(move || std::future::ready(handle.render())));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    tracing::info!(address = %bind, "metrics endpoint listening");
    axum::serve(listener, app).await?;
    Ok(())
}

/// Samples queue depth, oldest age and overdue jobs every `every`.
pub async fn sample_forever(store: Store, every: Duration) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        if let Err(e) = sample(&store).await {
            tracing::warn!(error = %e, "sampling queue metrics failed");
        }
    }
}

async fn sample(store: &Store) -> anyhow::Result<()> {
    let client = store.pool().get().await?;
    let m = postiz_db::pgmq::metrics(&**client, PUBLISH_QUEUE).await?;
    metrics::gauge!(QUEUE_DEPTH).set(m.queue_length as f64);
    metrics::gauge!(QUEUE_OLDEST_AGE).set(f64::from(m.oldest_msg_age_sec.unwrap_or(0)));
    let overdue: i64 = client
        .query_one(
            "select count(*) from postiz.queue_jobs where completed_at is null and status = 'queued' and run_at < now() - interval '1 minute'",
            &[],
        )
        .await?
        .get(0);
    metrics::gauge!(JOBS_OVERDUE).set(overdue as f64);
    Ok(())
}
