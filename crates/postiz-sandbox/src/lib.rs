#![doc = include_str!("../README.md")]

mod faults;
mod metrics;
mod server;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::sync::watch;

pub use faults::{Fault, FaultMix};
pub use metrics::{AccountMetrics, PostMetrics, account_metrics, post_metrics};
pub use server::{PostsReport, RecordedPost};

use server::State;

/// How to run the sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// Address to listen on; must be loopback. Port 0 picks a free port.
    pub bind: SocketAddr,
    /// Return the first post for a repeated `Idempotency-Key` (Mastodon-like) instead of
    /// creating another one (X-like, the default).
    pub honor_idempotency_key: bool,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self { bind: SocketAddr::from(([127, 0, 0, 1], 0)), honor_idempotency_key: false }
    }
}

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The bind address is not loopback.
    #[error("the sandbox binds loopback only; {0} is not a loopback address (use 127.0.0.1)")]
    NotLoopback(SocketAddr),
    /// Binding failed.
    #[error("could not listen: {0}")]
    Io(#[source] std::io::Error),
}

/// A running sandbox. Dropping it stops the server (hanging requests are released).
#[derive(Debug)]
pub struct Sandbox {
    url: String,
    addr: SocketAddr,
    state: Arc<Mutex<State>>,
    shutdown: watch::Sender<bool>,
    task: Option<tokio::task::JoinHandle<()>>,
}

impl Sandbox {
    /// Binds and starts serving in the background of the current Tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<Self, StartError> {
        if !config.bind.ip().is_loopback() {
            return Err(StartError::NotLoopback(config.bind));
        }
        let listener = tokio::net::TcpListener::bind(config.bind).await.map_err(StartError::Io)?;
        let addr = listener.local_addr().map_err(StartError::Io)?;
        let url = format!("http://{addr}");
        let state = Arc::new(Mutex::new(State::new(url.clone(), config.honor_idempotency_key)));
        let (shutdown, rx) = watch::channel(false);
        let app = server::router(state.clone(), rx.clone());
        let mut stop = rx;
        let task = tokio::spawn(async move {
            let serve = axum::serve(listener, app).with_graceful_shutdown(async move {
                let _ = stop.wait_for(|s| *s).await;
            });
            if let Err(err) = serve.await {
                tracing::warn!(error = %err, "sandbox server stopped with an error");
            }
        });
        Ok(Self { url, addr, state, shutdown, task: Some(task) })
    }

    /// Base URL, e.g. `http://127.0.0.1:41234`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything recorded so far.
    pub fn posts(&self) -> PostsReport {
        server::lock(&self.state).report()
    }

    /// Queues a fault for the next publish call.
    pub fn push_fault(&self, fault: Fault) {
        server::lock(&self.state).faults.push_back(fault);
    }

    /// Sets (or clears) a random fault mix for publish calls without a queued fault.
    pub fn set_mix(&self, mix: Option<FaultMix>) {
        server::lock(&self.state).set_mix(mix);
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
