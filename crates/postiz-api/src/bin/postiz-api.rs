//! The module API server.

use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use postiz_api::auth::{JwksCache, SessionVerifier, VerifierConfig, cookie_name_for};
use postiz_api::{AppState, router};
use postiz_providers::{HttpClient, HttpSettings, Registry};

/// Command-line options (each also readable from the environment).
#[derive(Debug, Parser)]
struct Cli {
    /// Base URL of the sandbox network, when it is enabled (as for the worker).
    #[arg(long, env = "POSTIZ_SANDBOX_URL")]
    sandbox_url: Option<url::Url>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let settings = postiz_config::load().context("loading configuration")?;
    let secrets = postiz_config::Secrets::from_env().context("reading secrets from the environment")?;
    let pool = postiz_db::connect_pool(&settings.database_url(&secrets), settings.database.pool_size)?;

    let supabase = settings.supabase.url.trim_end_matches('/').to_owned();
    let verifier = SessionVerifier::new(VerifierConfig {
        hs256_secret: secrets.jwt_secret,
        jwks: Some(JwksCache::new(format!("{supabase}/auth/v1/.well-known/jwks.json"), reqwest::Client::new())),
        issuer: format!("{supabase}/auth/v1"),
        audience: settings.supabase.jwt_audience.clone(),
        leeway_secs: 30,
    });
    // The API only reads the adapters' rules and descriptions; it never calls a network.
    let http = HttpClient::new(HttpSettings::default()).context("building the HTTP client")?;
    let state = AppState {
        pool,
        verifier: Arc::new(verifier),
        session_cookie: cookie_name_for(&supabase),
        allowed_origins: vec![settings.server.public_url.clone()],
        registry: Arc::new(Registry::with_defaults(&http, cli.sandbox_url)),
    };
    let app = router(state, &settings.server.base_path);
    let listener = tokio::net::TcpListener::bind(settings.server.bind)
        .await
        .with_context(|| format!("binding {}", settings.server.bind))?;
    tracing::info!(address = %settings.server.bind, base_path = %settings.server.base_path, "postiz API listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {},
    }
}
