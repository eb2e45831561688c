//! The demo host: a plain dashboard shell standing in for the host app. It has its own login
//! (demo users, Supabase-shaped sessions in the `@supabase/ssr` cookie), serves the UI bundle at
//! `/dashboard/postiz/pkg/…`, mounts the module at `/dashboard/postiz` (and every deep link under
//! it), and runs the module API in-process under `/dashboard/postiz/api` on the same origin, so
//! the module rides on the host's session: no second login.

mod pages;
mod seed;
mod session;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use clap::Parser;
use postiz_api::auth::{SessionVerifier, VerifierConfig, cookie_name_for};
use postiz_api::routes::connect::ConnectState;
use postiz_api::{AppState, router};
use postiz_providers::{HttpClient, HttpSettings, Registry};
use postiz_vault::Keyring;
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;

use crate::session::Issuer;

/// Command-line options (each also readable from the environment).
#[derive(Debug, Parser)]
struct Cli {
    /// Base URL of the sandbox network (enables it in the API's registry).
    #[arg(long, env = "POSTIZ_SANDBOX_URL")]
    sandbox_url: Option<url::Url>,
    /// The built UI bundle (`cargo xtask ui`).
    #[arg(long, env = "POSTIZ_UI_DIR", default_value = "target/ui/pkg")]
    ui_dir: PathBuf,
    /// Superuser connection for seeding `auth.users` (default: the database URL as `supabase_admin`).
    #[arg(long, env = "POSTIZ_DEMO_SEED_DB_URL")]
    seed_db_url: Option<String>,
    /// Access-token lifetime in seconds (short values exercise the module's refresh path).
    #[arg(long, env = "POSTIZ_DEMO_TOKEN_TTL_SECS", default_value_t = 3600)]
    token_ttl_secs: i64,
    /// Do not write the demo data.
    #[arg(long)]
    no_seed: bool,
}

/// The host's own state.
#[derive(Clone, Debug)]
struct Host {
    issuer: Arc<Issuer>,
    ui_dir: Arc<PathBuf>,
    base_route: Arc<String>,
    api_base: Arc<String>,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let settings = postiz_config::load().context("loading configuration")?;
    let secrets = postiz_config::Secrets::from_env().context("reading secrets from the environment")?;
    let jwt_secret = secrets.jwt_secret.clone().context("SUPABASE_JWT_SECRET must be set: the demo host signs sessions with it")?;
    let db_url = settings.database_url(&secrets);
    let pool = postiz_db::connect_pool(&db_url, settings.database.pool_size)?;
    let keyring = match &secrets.token_encryption_keys {
        Some(spec) => Some(Arc::new(Keyring::parse(spec).context("POSTIZ_TOKEN_ENCRYPTION_KEYS")?)),
        None => None,
    };

    if !cli.no_seed {
        let url = match &cli.seed_db_url {
            Some(u) => u.clone(),
            None => superuser_url(secrecy::ExposeSecret::expose_secret(&db_url)),
        };
        seed::seed(&url, keyring.as_deref()).await?;
        tracing::info!("demo data seeded");
    }

    let supabase = settings.supabase.url.trim_end_matches('/').to_owned();
    let cookie = cookie_name_for(&supabase).context("SUPABASE_URL has no host")?;
    let verifier = SessionVerifier::new(VerifierConfig {
        hs256_secret: Some(jwt_secret.clone()),
        jwks: None,
        issuer: format!("{supabase}/auth/v1"),
        audience: settings.supabase.jwt_audience.clone(),
        leeway_secs: 5,
    });
    let http = HttpClient::new(HttpSettings::default()).context("building the HTTP client")?;
    let registry = Arc::new(Registry::with_defaults(&http, cli.sandbox_url.clone()));
    let state = AppState {
        pool,
        verifier: Arc::new(verifier),
        session_cookie: Some(cookie.clone()),
        allowed_origins: vec![settings.server.public_url.trim_end_matches('/').to_owned(), format!("http://{}", settings.server.bind)],
        registry: Arc::clone(&registry),
    };
    let base_path = settings.server.base_path.clone();
    let mut api = router(state, &base_path);
    if let Some(keyring) = keyring {
        let connect = ConnectState {
            registry,
            service_pool: postiz_db::service_pool(&db_url, 4)?,
            keyring,
            clients: postiz_oauth::OAuthClients::from_settings(&settings.oauth).context("[oauth] settings")?,
            http: postiz_oauth::http_client(Duration::from_secs(u64::from(settings.worker.provider_timeout_secs))),
            guard: http,
            redirect_url: url::Url::parse(&settings.oauth_redirect_url()).context("oauth redirect url")?,
            state_ttl: Duration::from_secs(u64::from(settings.oauth.state_ttl_secs)),
            client_name: settings.oauth.client_name.clone(),
        };
        api = api.layer(axum::Extension(Arc::new(connect)));
    }
    // Media storage and the public API's rate limit, as the API binary sets them up.
    let media = postiz_api::routes::media::MediaState::from_settings(&settings.media).context("[media] storage")?;
    api = api
        .layer(axum::Extension(Arc::new(media)))
        .layer(axum::Extension(Arc::new(postiz_api::routes::public::PublicApi::from_settings(&settings.public_api))));

    let base_route = "/dashboard/postiz".to_owned();
    let host = Host {
        issuer: Arc::new(Issuer::new(&supabase, cookie, jwt_secret, cli.token_ttl_secs)),
        ui_dir: Arc::new(cli.ui_dir.clone()),
        base_route: Arc::new(base_route.clone()),
        api_base: Arc::new(format!("/{}", base_path.trim_matches('/'))),
    };
    let app = Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/auth/session", get(current_session))
        .route("/auth/refresh", post(refresh))
        .route("/dashboard", get(dashboard))
        .route("/dashboard/postiz", get(module_page))
        .route("/dashboard/postiz/pkg/{*file}", get(asset))
        .route("/dashboard/postiz/{*rest}", get(module_page))
        .with_state(host)
        .merge(api);

    let listener = tokio::net::TcpListener::bind(settings.server.bind).await.with_context(|| format!("binding {}", settings.server.bind))?;
    tracing::info!(url = %format!("http://{}{base_route}", settings.server.bind), ui = %cli.ui_dir.display(), "demo host listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

/// The database URL with `supabase_admin` as the user (local clusters trust loopback logins).
fn superuser_url(url: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| rest.split_once('@').map(|(_, host)| (scheme, host))) {
        Some((scheme, host)) => format!("{scheme}://supabase_admin@{host}"),
        None => url.to_owned(),
    }
}

async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = async { match term.as_mut() { Some(t) => { t.recv().await; } None => std::future::pending().await } } => {},
    }
}

fn cookie_header(headers: &HeaderMap) -> String {
    headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok()).collect::<Vec<_>>().join("; ")
}

/// The signed-in demo user, from the session cookie.
fn signed_in(host: &Host, headers: &HeaderMap) -> Option<seed::DemoUser> {
    let session = host.issuer.read(&cookie_header(headers))?;
    let id: Uuid = session["user"]["id"].as_str()?.parse().ok()?;
    seed::users().into_iter().find(|u| u.id == id)
}

fn with_cookies(mut response: Response, cookies: Vec<String>) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

async fn login_page(Query(q): Query<Next>) -> Html<String> {
    Html(pages::login(&seed::users(), q.next.as_deref().unwrap_or("/dashboard/postiz")))
}

#[derive(Deserialize)]
struct LoginForm {
    user: Uuid,
    next: Option<String>,
}

async fn login(State(host): State<Host>, Form(form): Form<LoginForm>) -> Response {
    let Some(user) = seed::users().into_iter().find(|u| u.id == form.user) else {
        return (StatusCode::BAD_REQUEST, "unknown demo user").into_response();
    };
    match host.issuer.session(&user) {
        Ok((_, session)) => {
            // Only local paths: never an open redirect.
            let next = form.next.filter(|n| n.starts_with('/') && !n.starts_with("//")).unwrap_or_else(|| "/dashboard/postiz".into());
            with_cookies(Redirect::to(&next).into_response(), host.issuer.set_cookies(&session))
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("signing failed: {e}")).into_response(),
    }
}

async fn logout(State(host): State<Host>) -> Response {
    with_cookies(Redirect::to("/login").into_response(), host.issuer.clear_cookies())
}

/// What a host's `supabase.auth.getSession()` would answer (for bearer-mode embedding).
async fn current_session(State(host): State<Host>, headers: HeaderMap) -> Response {
    match host.issuer.read(&cookie_header(&headers)) {
        Some(s) => axum::Json(json!({ "access_token": s["access_token"], "expires_at": s["expires_at"] })).into_response(),
        None => (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "signed out" }))).into_response(),
    }
}

/// The session callback: a fresh token for the signed-in user, also written to the cookie.
async fn refresh(State(host): State<Host>, headers: HeaderMap) -> Response {
    let Some(user) = signed_in(&host, &headers) else {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "signed out" }))).into_response();
    };
    match host.issuer.session(&user) {
        Ok((token, session)) => with_cookies(axum::Json(json!({ "access_token": token })).into_response(), host.issuer.set_cookies(&session)),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn dashboard(State(host): State<Host>, headers: HeaderMap) -> Response {
    match signed_in(&host, &headers) {
        Some(user) => Html(pages::dashboard(&user)).into_response(),
        None => Redirect::to("/login?next=/dashboard").into_response(),
    }
}

/// `/dashboard/postiz` and every deep link under it: the host shell with the module mounted.
async fn module_page(State(host): State<Host>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let Some(user) = signed_in(&host, &headers) else {
        let next = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
        return Redirect::to(&format!("/login?next={}", pages::url_encode(&next))).into_response();
    };
    let version = std::fs::read_to_string(host.ui_dir.join("manifest.json"))
        .ok()
        .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
        .and_then(|m| m["hash"].as_str().map(str::to_owned))
        .unwrap_or_else(|| "dev".into());
    let built = host.ui_dir.join("postiz.js").exists();
    Html(pages::module(&user, &host.base_route, &host.api_base, &version, built)).into_response()
}

/// The bundle's files (`/dashboard/postiz/pkg/…`).
async fn asset(State(host): State<Host>, Path(file): Path<String>) -> Response {
    if file.split('/').any(|p| p.is_empty() || p == ".." || p.starts_with('.')) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let path = host.ui_dir.join(&file);
    let Ok(bytes) = tokio::fs::read(&path).await else { return StatusCode::NOT_FOUND.into_response() };
    let kind = match path.extension().and_then(|e| e.to_str()) {
        Some("js") => "text/javascript; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("css") => "text/css",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, kind), (header::CACHE_CONTROL, "no-cache")], bytes).into_response()
}
