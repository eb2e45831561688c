//! The module API server.

use std::sync::Arc;

use anyhow::Context;
use axum::serve::ListenerExt;
use clap::Parser;
use postiz_api::auth::{JwksCache, SessionVerifier, VerifierConfig, cookie_name_for};
use postiz_api::{AppState, router};
use postiz_providers::{HttpClient, HttpSettings, Registry};
use secrecy::ExposeSecret;

/// Command-line options (each also readable from the environment).
#[derive(Debug, Parser)]
struct Cli {
    /// Base URL of the sandbox network, when it is enabled (as for the worker).
    #[arg(long, env = "POSTIZ_SANDBOX_URL")]
    sandbox_url: Option<url::Url>,
    /// Serve Prometheus metrics (requests by route and status, latency) at `/metrics` on this
    /// address, e.g. 127.0.0.1:9188; a listener of its own, not reachable through the API.
    #[arg(long, env = "POSTIZ_API_METRICS")]
    metrics: Option<std::net::SocketAddr>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let settings = postiz_config::load().context("loading configuration")?;
    let secrets = postiz_config::Secrets::from_env().context("reading secrets from the environment")?;
    if let Some(bind) = cli.metrics {
        postiz_api::metrics::start(bind).context("installing the metrics recorder")?;
    }
    let pool = postiz_db::connect_pool(&settings.database_url(&secrets), settings.database.pool_size)?;
    let service_pool = postiz_db::service_pool(&settings.database_url(&secrets), settings.database.pool_size.div_ceil(4).max(2))?;
    let keyring = match secrets.token_encryption_keys.as_ref() {
        Some(keys) => Some(Arc::new(postiz_vault::Keyring::parse(keys).context("POSTIZ_TOKEN_ENCRYPTION_KEYS")?)),
        None => None,
    };

    let supabase = settings.supabase.url.trim_end_matches('/').to_owned();
    let verifier = SessionVerifier::new(VerifierConfig {
        hs256_secret: secrets.jwt_secret,
        jwks: Some(JwksCache::new(format!("{supabase}/auth/v1/.well-known/jwks.json"), reqwest::Client::new())),
        issuer: format!("{supabase}/auth/v1"),
        audience: settings.supabase.jwt_audience.clone(),
        leeway_secs: 30,
    });
    let verifier = if let Some(anon_key) = secrets.anon_key.as_ref().filter(|k| !k.expose_secret().trim().is_empty()) {
        tracing::info!(supabase = %supabase, "sessions are confirmed with Supabase Auth before sensitive actions");
        verifier.with_session_check(postiz_api::auth::SessionCheck::new(
            &supabase,
            anon_key.expose_secret().trim(),
            std::time::Duration::from_secs(settings.supabase.session_check_secs),
        ))
    } else {
        tracing::warn!(
            "SUPABASE_ANON_KEY is not set: sessions are not confirmed with Supabase Auth before sensitive actions (a signed-out session stays usable until its token expires)"
        );
        verifier
    };
    // Rules and descriptions for the API; the connect endpoints also call networks with it.
    let http = HttpClient::new(HttpSettings { private_allow: settings.private_servers.allow.clone(), ..HttpSettings::default() })
        .context("building the HTTP client")?;
    let registry = Arc::new(Registry::with_defaults(&http, cli.sandbox_url));
    let oauth_clients = postiz_oauth::OAuthClients::from_settings(&settings.oauth).context("[oauth] clients")?;
    // OAuth networks without a configured client are listed but not offered for connecting;
    // say which, and what turns each on.
    for network in registry.networks() {
        if let (Some(p), None) = (registry.get(network), oauth_clients.get(network))
            && matches!(p.connection(), postiz_providers::Connection::OAuth2(_))
        {
            tracing::info!(
                network = network.as_str(),
                "{network} is not offered for connecting: set [oauth.clients.{}] client_id and POSTIZ_OAUTH_{}_CLIENT_SECRET",
                network.as_str(),
                network.as_str().to_ascii_uppercase()
            );
        }
    }
    // Connecting accounts calls networks and writes credentials as service_role; it needs the
    // encryption keys. Without them the connect endpoints answer 503.
    let connect = match keyring {
        Some(keyring) => Some(Arc::new(postiz_api::routes::connect::ConnectState {
            registry: Arc::clone(&registry),
            service_pool,
            keyring,
            clients: oauth_clients,
            http: postiz_oauth::http_client(std::time::Duration::from_secs(30)),
            guard: HttpClient::new(HttpSettings { private_allow: settings.private_servers.allow.clone(), ..HttpSettings::default() })
                .context("building the HTTP client")?,
            redirect_url: url::Url::parse(&settings.oauth_redirect_url()).context("oauth.redirect_url")?,
            state_ttl: std::time::Duration::from_secs(u64::from(settings.oauth.state_ttl_secs)),
            client_name: settings.oauth.client_name.clone(),
        })),
        None => {
            tracing::warn!("POSTIZ_TOKEN_ENCRYPTION_KEYS is not set: connecting accounts is disabled");
            None
        }
    };
    let state = AppState {
        pool,
        verifier: Arc::new(verifier),
        session_cookie: cookie_name_for(&supabase),
        allowed_origins: vec![settings.server.public_url.clone()],
        registry,
    };
    let mut app = router(state, &settings.server.base_path);
    if let Some(connect) = connect {
        app = app.layer(axum::Extension(connect));
    }
    // Invitees without an account get Supabase Auth's invite email (service-role key needed).
    match secrets.service_role_key.clone().filter(|k| !k.expose_secret().trim().is_empty()) {
        Some(key) => {
            let landing = url::Url::parse(&settings.invite_redirect_url()).context("supabase.invite_redirect_url")?;
            tracing::info!(supabase = %supabase, landing = %landing, "invitees without an account get Supabase Auth's invite email");
            let emails = postiz_api::auth::InviteEmails::new(&supabase, key, landing, std::time::Duration::from_secs(10))
                .context("building the Supabase Auth client")?;
            app = app.layer(axum::Extension(Arc::new(emails)));
        }
        None => tracing::info!(
            "SUPABASE_SERVICE_ROLE_KEY is not set: invitations are passed on as codes or shown in the module, Supabase Auth sends no invite emails"
        ),
    }
    // Media storage ([media]: a local directory by default, Supabase Storage's S3 endpoint in
    // production) and the public API's per-key rate limit ([public_api]).
    let media = postiz_api::routes::media::MediaState::from_settings(&settings).context("[media] storage")?;
    tracing::info!(media.storage = ?media.storage, "media storage ready");
    // Signed public media links (the worker makes them with the same POSTIZ_MEDIA_URL_SECRET).
    match postiz_api::routes::media_public::PublicMedia::from_env(media.storage.clone()).context("POSTIZ_MEDIA_URL_SECRET")? {
        Some(public) => app = app.layer(axum::Extension(Arc::new(public))),
        None if settings.media.backend == "local" => tracing::warn!("POSTIZ_MEDIA_URL_SECRET is not set: public media links are off"),
        None => {}
    }
    app = app
        .layer(axum::Extension(Arc::new(media)))
        .layer(axum::Extension(Arc::new(postiz_api::routes::public::PublicApi::from_settings(&settings.public_api))));
    let listener = tokio::net::TcpListener::bind(settings.server.bind)
        .await
        .with_context(|| format!("binding {}", settings.server.bind))?
        // Without TCP_NODELAY a response written as headers then body waits for the peer's
        // delayed ACK: about 40 ms per request on a kept-alive connection (bench media-urls).
        .tap_io(|tcp| {
            if let Err(e) = tcp.set_nodelay(true) {
                tracing::warn!(error = %e, "could not set TCP_NODELAY");
            }
        });
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
