//! The demo host: a plain dashboard shell standing in for the host app. It has its own login
//! (demo users, Supabase-shaped sessions in the `@supabase/ssr` cookie), serves the UI bundle at
//! `/dashboard/postiz/pkg/…`, mounts the module at `/dashboard/postiz` (and every deep link under
//! it), and runs the module API in-process under `/dashboard/postiz/api` on the same origin, so
//! the module rides on the host's session: no second login.

mod auth_server;
mod auth_store;
mod mailbox;
mod pages;
mod seed;
mod session;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use axum::extract::{Form, Query, State};
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

use crate::auth_store::AuthStore;
use crate::mailbox::Mailbox;
use crate::session::{CookieSession, Issuer};

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
    /// Serve the module API's Prometheus metrics at `/metrics` on this address.
    #[arg(long, env = "POSTIZ_API_METRICS")]
    metrics: Option<std::net::SocketAddr>,
}

/// The host's own state (and its stand-in for Supabase Auth's).
#[derive(Clone, Debug)]
struct Host {
    issuer: Arc<Issuer>,
    store: AuthStore,
    mailbox: Arc<Mailbox>,
    /// The host's origin (`server.public_url`): links in emails, allowed redirects.
    origin: Arc<String>,
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
    if let Some(bind) = cli.metrics {
        postiz_api::metrics::start(bind).context("installing the metrics recorder")?;
    }
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
            None => url_as(secrecy::ExposeSecret::expose_secret(&db_url), "supabase_admin"),
        };
        seed::seed(&url, keyring.as_deref()).await?;
        tracing::info!("demo data seeded");
    }
    // Standing in for Supabase Auth, the host reads and writes schema `auth` as Auth does.
    let auth_url = url_as(secrecy::ExposeSecret::expose_secret(&db_url), "supabase_auth_admin");
    let store = AuthStore::new(postiz_db::connect_pool(&auth_url.into(), 4)?);

    let supabase = settings.supabase.url.trim_end_matches('/').to_owned();
    let cookie = cookie_name_for(&supabase).context("SUPABASE_URL has no host")?;
    let issuer = Arc::new(Issuer::new(&supabase, cookie.clone(), jwt_secret.clone(), cli.token_ttl_secs));
    // The module asks Supabase Auth (here: this host, at SUPABASE_URL) whether a session still
    // stands before sensitive actions, with the project's anon key, as against a real project.
    let anon_key = issuer.api_key("anon").context("making the local anon key")?;
    let service_key = secrecy::SecretString::from(issuer.api_key("service_role").context("making the local service-role key")?);
    let verifier = SessionVerifier::new(VerifierConfig {
        hs256_secret: Some(jwt_secret.clone()),
        jwks: None,
        issuer: format!("{supabase}/auth/v1"),
        audience: settings.supabase.jwt_audience.clone(),
        leeway_secs: 5,
    })
    .with_session_check(postiz_api::auth::SessionCheck::new(
        &supabase,
        &anon_key,
        Duration::from_secs(settings.supabase.session_check_secs),
    ));
    tracing::info!(
        auth = %format!("{supabase}/auth/v1"),
        "standing in for Supabase Auth: sessions are confirmed before sensitive actions, invite emails land in /mailbox"
    );
    let http = HttpClient::new(HttpSettings { private_allow: settings.private_servers.allow.clone(), ..HttpSettings::default() })
        .context("building the HTTP client")?;
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
    let media = postiz_api::routes::media::MediaState::from_settings(&settings).context("[media] storage")?;
    if let Some(public) =
        postiz_api::routes::media_public::PublicMedia::from_env(media.storage.clone()).context("POSTIZ_MEDIA_URL_SECRET")?
    {
        api = api.layer(axum::Extension(Arc::new(public)));
    }
    // Invitees without an account get the stand-in's invite email, as with the service-role key.
    let landing = url::Url::parse(&settings.invite_redirect_url()).context("supabase.invite_redirect_url")?;
    let emails = postiz_api::auth::InviteEmails::new(&supabase, service_key, landing, Duration::from_secs(10))
        .context("building the Supabase Auth client")?;
    api = api
        .layer(axum::Extension(Arc::new(emails)))
        .layer(axum::Extension(Arc::new(media)))
        .layer(axum::Extension(Arc::new(postiz_api::routes::public::PublicApi::from_settings(&settings.public_api))));

    let base_route = "/dashboard/postiz".to_owned();
    let host = Host {
        issuer,
        store,
        mailbox: Arc::new(Mailbox::default()),
        origin: Arc::new(settings.server.public_url.trim_end_matches('/').to_owned()),
        ui_dir: Arc::new(cli.ui_dir.clone()),
        base_route: Arc::new(base_route.clone()),
        api_base: Arc::new(format!("/{}", base_path.trim_matches('/'))),
    };
    let app = host_routes(host).merge(api);

    let listener =
        tokio::net::TcpListener::bind(settings.server.bind).await.with_context(|| format!("binding {}", settings.server.bind))?;
    // As the API binary: no ~40 ms delayed-ACK stall per kept-alive response.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::warn!(error = %e, "could not set TCP_NODELAY");
        }
    });
    tracing::info!(url = %format!("http://{}{base_route}", settings.server.bind), ui = %cli.ui_dir.display(), "demo host listening");
    axum::serve(listener, app).with_graceful_shutdown(shutdown()).await?;
    Ok(())
}

/// The host's own pages and session endpoints (the module API is merged in next to them).
/// Nothing they answer is cached: the session endpoints hand out tokens.
fn host_routes(host: Host) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/dashboard") }))
        .route("/login", get(login_page).post(login))
        .route("/logout", post(logout))
        .route("/auth/session", get(current_session))
        .route("/auth/refresh", post(refresh))
        // Supabase Auth's endpoints the module calls (SUPABASE_URL is this host locally).
        .route("/auth/v1/health", get(auth_server::health))
        .route("/auth/v1/user", get(auth_server::user))
        .route("/auth/v1/invite", post(auth_server::invite))
        .route("/auth/v1/verify", get(auth_server::verify))
        .route("/mailbox", get(mailbox_page))
        .route("/dashboard", get(dashboard))
        .route("/dashboard/postiz", get(module_page))
        // The bundle: content-named files cached for a year, the entry revalidated, brotli or
        // gzip as the browser accepts (postiz_api::bundle).
        .nest_service("/dashboard/postiz/pkg", postiz_api::bundle::service(host.ui_dir.as_path()))
        .route("/dashboard/postiz/{*rest}", get(module_page))
        .with_state(host)
        .layer(axum::middleware::from_fn(postiz_api::response_policy::no_store))
}

/// The database URL with `user` as the user (local clusters trust loopback logins).
fn url_as(url: &str, user: &str) -> String {
    match url.split_once("://").and_then(|(scheme, rest)| rest.split_once('@').map(|(_, host)| (scheme, host))) {
        Some((scheme, host)) => format!("{scheme}://{user}@{host}"),
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

/// The signed-in user: the one the session cookie's refresh token names, if we signed it and
/// its session still stands (not signed out here or everywhere).
async fn signed_in(host: &Host, headers: &HeaderMap) -> Option<(seed::DemoUser, CookieSession)> {
    let cookie = host.issuer.verified(&cookie_header(headers))?;
    match host.store.session_user(cookie.session_id, cookie.user).await {
        // Only confirmed users sign in here (as `AuthStore::user` lists them).
        Ok(Ok(standing)) if !standing.json["email_confirmed_at"].is_null() => Some((standing.user, cookie)),
        Ok(_) => None,
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "reading the session");
            None
        }
    }
}

/// Where to send the browser after signing in: `next` when it is a path on this host, else none.
///
/// An allow-list, not a search for bad forms: browsers read `\` as `/`, drop tabs and newlines
/// inside URLs and trim control characters and spaces, so `/\evil.test`, `/<TAB>/evil.test` or
/// `\\evil.test` all lead off-site although none starts with `//`. Accepted: a single `/`
/// followed by anything but `/` or `\`, with no backslash, whitespace or control character
/// anywhere, also after one more percent-decoding (in case something on the way decodes again);
/// and resolving it against a stand-in origin must leave that origin unchanged. The answer is
/// the path, query and fragment as the `url` crate re-serializes them.
fn local_next(next: &str) -> Option<String> {
    fn plain_local_path(s: &str) -> bool {
        let mut chars = s.chars();
        chars.next() == Some('/')
            && !matches!(chars.next(), Some('/' | '\\'))
            && !s.chars().any(|c| c == '\\' || c.is_whitespace() || c.is_control())
    }
    if !plain_local_path(next) {
        return None;
    }
    let path = next.split(['?', '#']).next().unwrap_or_default();
    let decoded = percent_decode(path)?;
    if !plain_local_path(&decoded) {
        return None;
    }
    let base = url::Url::parse("http://demo-host.invalid/").ok()?;
    let resolved = base.join(next).ok()?;
    if resolved.origin() != base.origin() {
        return None;
    }
    // The url crate normalises dot segments (`/.//evil.test` becomes `//evil.test`): the path
    // it hands back must pass the same test as the one given.
    if !plain_local_path(resolved.path()) {
        return None;
    }
    let mut out = resolved.path().to_owned();
    if let Some(q) = resolved.query() {
        out.push('?');
        out.push_str(q);
    }
    if let Some(f) = resolved.fragment() {
        out.push('#');
        out.push_str(f);
    }
    Some(out)
}

/// `%XX` escapes decoded (as UTF-8, lossily); `None` for a malformed escape.
fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

/// Where a sign-in goes when `next` is absent or refused.
const DEFAULT_NEXT: &str = "/dashboard/postiz";

fn with_cookies(mut response: Response, cookies: Vec<String>) -> Response {
    for c in cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            response.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    response
}

#[derive(Deserialize)]
struct LoginQuery {
    next: Option<String>,
    error: Option<String>,
}

async fn login_page(State(host): State<Host>, Query(q): Query<LoginQuery>) -> Response {
    let next = q.next.as_deref().and_then(local_next).unwrap_or_else(|| DEFAULT_NEXT.to_owned());
    let problem = match q.error.as_deref() {
        Some("invite_link") => Some("This invite link was used already or has expired: ask for a new invitation."),
        _ => None,
    };
    match host.store.sign_in_list().await {
        Ok(users) => Html(pages::login(&users, &next, problem)).into_response(),
        Err(e) => (StatusCode::SERVICE_UNAVAILABLE, format!("the users cannot be read: {e}")).into_response(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    user: Uuid,
    next: Option<String>,
}

async fn login(State(host): State<Host>, Form(form): Form<LoginForm>) -> Response {
    let Ok(Some(user)) = host.store.user(form.user).await else {
        return (StatusCode::BAD_REQUEST, "unknown demo user").into_response();
    };
    let signed = match host.store.start_session(user.id).await {
        Ok(session_id) => host.issuer.session(&user, session_id),
        Err(e) => Err(e),
    };
    match signed {
        Ok((_, session)) => {
            // Only paths on this host: never an open redirect.
            let next = form.next.as_deref().and_then(local_next).unwrap_or_else(|| DEFAULT_NEXT.to_owned());
            with_cookies(Redirect::to(&next).into_response(), host.issuer.set_cookies(&session))
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, format!("signing failed: {e}")).into_response(),
    }
}

#[derive(Deserialize)]
struct LogoutForm {
    /// `global` signs out every session of the user (`supabase.auth.signOut({ scope: 'global' })`).
    scope: Option<String>,
}

/// Signing out ends the session in `auth.sessions` (or all of the user's), so tokens already
/// handed out stop passing `GET /auth/v1/user` although they have not expired.
async fn logout(State(host): State<Host>, headers: HeaderMap, Form(form): Form<LogoutForm>) -> Response {
    if let Some(cookie) = host.issuer.verified(&cookie_header(&headers)) {
        let ended = match form.scope.as_deref() {
            Some("global") => host.store.end_all_sessions(cookie.user).await.map(|_| ()),
            _ => host.store.end_session(cookie.session_id).await,
        };
        if let Err(e) = ended {
            // The browser forgets the session anyway; its tokens stand until they expire.
            tracing::error!(error = %format!("{e:#}"), "ending the session in auth.sessions failed");
            let page = Html("<p>You are signed out in this browser, but the session could not be ended everywhere: try again.</p>");
            return with_cookies((StatusCode::SERVICE_UNAVAILABLE, page).into_response(), host.issuer.clear_cookies());
        }
    }
    with_cookies(Redirect::to("/login").into_response(), host.issuer.clear_cookies())
}

/// What a host's `supabase.auth.getSession()` would answer (for bearer-mode embedding), for a
/// session we signed that still stands.
async fn current_session(State(host): State<Host>, headers: HeaderMap) -> Response {
    match signed_in(&host, &headers).await {
        Some((_, s)) => axum::Json(json!({ "access_token": s.value["access_token"], "expires_at": s.value["expires_at"] })).into_response(),
        None => (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "signed out" }))).into_response(),
    }
}

/// The session callback: a fresh token for the signed-in user, also written to the cookie. The
/// user is the one our signed refresh token names ([`signed_in`]); a cookie we did not sign is
/// 401, whatever user it claims.
async fn refresh(State(host): State<Host>, headers: HeaderMap) -> Response {
    let Some((user, cookie)) = signed_in(&host, &headers).await else {
        return (StatusCode::UNAUTHORIZED, axum::Json(json!({ "error": "signed out" }))).into_response();
    };
    if let Err(e) = host.store.touch_session(cookie.session_id).await {
        tracing::warn!(error = %format!("{e:#}"), "could not mark the session refreshed");
    }
    match host.issuer.session(&user, cookie.session_id) {
        Ok((token, session)) => {
            with_cookies(axum::Json(json!({ "access_token": token })).into_response(), host.issuer.set_cookies(&session))
        }
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

async fn dashboard(State(host): State<Host>, headers: HeaderMap) -> Response {
    match signed_in(&host, &headers).await {
        Some((user, _)) => Html(pages::dashboard(&user)).into_response(),
        None => Redirect::to("/login?next=/dashboard").into_response(),
    }
}

/// The emails the stand-in for Supabase Auth sent (open to anyone who can reach the demo host,
/// as Inbucket is on a local Supabase stack).
async fn mailbox_page(State(host): State<Host>) -> Html<String> {
    Html(pages::mailbox(&host.mailbox.all()))
}

/// `/dashboard/postiz` and every deep link under it: the host shell with the module mounted.
async fn module_page(State(host): State<Host>, headers: HeaderMap, uri: axum::http::Uri) -> Response {
    let Some((user, _)) = signed_in(&host, &headers).await else {
        let next = uri.path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_default();
        return Redirect::to(&format!("/login?next={}", pages::url_encode(&next))).into_response();
    };
    let files = std::fs::read_to_string(host.ui_dir.join("manifest.json"))
        .ok()
        .and_then(|m| serde_json::from_str::<serde_json::Value>(&m).ok())
        .and_then(|m| {
            Some(pages::BundleFiles { glue: m["files"]["glue"].as_str()?.to_owned(), wasm: m["files"]["wasm"].as_str()?.to_owned() })
        });
    let built = host.ui_dir.join("postiz.js").exists();
    Html(pages::module(&user, &host.base_route, &host.api_base, files.as_ref(), built)).into_response()
}

#[cfg(test)]
mod tests {
    use base64::Engine;
    use secrecy::SecretString;
    use serde_json::Value;

    use postiz_api::auth::{AuthError, AuthHealth, InviteEmailOutcome, InviteEmails, SessionCheck};
    use postiz_testkit::TestDatabase;

    use super::*;

    const COOKIE: &str = "sb-demo-auth-token";

    #[test]
    fn next_is_a_path_on_this_host_or_nothing() {
        for (next, want) in [
            ("/dashboard", Some("/dashboard")),
            ("/dashboard/postiz/w/abc/calendar?session=bearer#top", Some("/dashboard/postiz/w/abc/calendar?session=bearer#top")),
            ("/dashboard/postiz/%E2%9C%93", Some("/dashboard/postiz/%E2%9C%93")),
            ("/dashboard/é", Some("/dashboard/%C3%A9")),
            ("/a/../b", Some("/b")),
        ] {
            assert_eq!(local_next(next).as_deref(), want, "{next:?}");
        }
        for evil in [
            "//evil.test",
            "/\\evil.test/",
            "\\\\evil.test",
            "\\/evil.test",
            "/\t/evil.test",
            "/\n/evil.test",
            "/\r/evil.test",
            "\t//evil.test",
            " /evil.test",
            "/evil.test\u{0}",
            "/x\u{7f}",
            "/x\u{85}",
            "/x y",
            "/%5Cevil.test",
            "/%5cevil.test",
            "/%2F%2Fevil.test",
            "/%2f/evil.test",
            "/.//evil.test",
            "/%2e//evil.test",
            "/x/..//evil.test",
            "/%09/evil.test",
            "/%zz",
            "https://evil.test/",
            "http:evil.test",
            "javascript:alert(1)",
            "evil.test",
            "",
        ] {
            assert_eq!(local_next(evil), None, "{evil:?}");
        }
    }

    /// The host's routes on 127.0.0.1:0 over a fresh database with the demo users, standing in
    /// for Supabase Auth at its own origin (as `cargo xtask run` has it): its base URL, issuer
    /// and database.
    async fn serve() -> (String, Arc<Issuer>, TestDatabase) {
        let db = TestDatabase::new().await;
        seed::seed(&db.url_for("supabase_admin"), None).await.expect("seed");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let issuer = Arc::new(Issuer::new(&base, COOKIE.into(), SecretString::from("demo-host-test-secret"), 3600));
        let pool = postiz_db::connect_pool(&SecretString::from(db.url_for("supabase_auth_admin")), 2).expect("pool");
        let host = Host {
            issuer: Arc::clone(&issuer),
            store: AuthStore::new(pool),
            mailbox: Arc::new(Mailbox::default()),
            origin: Arc::new(base.clone()),
            ui_dir: Arc::new(PathBuf::from("/nonexistent/ui")),
            base_route: Arc::new("/dashboard/postiz".into()),
            api_base: Arc::new("/dashboard/postiz/api".into()),
        };
        tokio::spawn(async move { axum::serve(listener, host_routes(host)).await });
        (base, issuer, db)
    }

    fn client() -> reqwest::Client {
        reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().expect("client")
    }

    fn form(pairs: &[(&str, &str)]) -> String {
        pairs.iter().map(|(k, v)| format!("{k}={}", pages::url_encode(v))).collect::<Vec<_>>().join("&")
    }

    /// Signs in as `user` with `next`; the answer.
    async fn sign_in(base: &str, user: Uuid, next: &str) -> reqwest::Response {
        client()
            .post(format!("{base}/login"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("user", &user.to_string()), ("next", next)]))
            .send()
            .await
            .expect("login")
    }

    fn location(r: &reqwest::Response) -> String {
        r.headers()[header::LOCATION].to_str().expect("ascii").to_owned()
    }

    #[tokio::test]
    async fn sign_in_redirects_only_to_paths_on_this_host() {
        let (base, _, _db) = serve().await;
        let alice = seed::users()[0].id;
        for evil in ["//evil.test/", "/\\evil.test/", "\\\\evil.test", "/\t/evil.test", "/%5Cevil.test", "https://evil.test/"] {
            let r = sign_in(&base, alice, evil).await;
            assert_eq!(r.status(), StatusCode::SEE_OTHER, "{evil:?}");
            assert_eq!(location(&r), "/dashboard/postiz", "{evil:?}");
        }
        let r = sign_in(&base, alice, "/dashboard/postiz/w/abc/calendar?session=bearer").await;
        assert_eq!(location(&r), "/dashboard/postiz/w/abc/calendar?session=bearer");
        // The login page does not carry a refused `next` into its form either.
        let page = client().get(format!("{base}/login?next=%2F%5Cevil.test")).send().await.expect("page").text().await.expect("html");
        assert!(!page.contains("evil.test"), "{page}");
    }

    /// The `Cookie` header a browser sends after `answer` set its cookies.
    fn cookie_of(answer: &reqwest::Response) -> String {
        answer
            .headers()
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter(|c| !c.contains("Max-Age=0"))
            .map(|c| c.split(';').next().unwrap_or_default().to_owned())
            .collect::<Vec<_>>()
            .join("; ")
    }

    /// The access token in the session cookie `cookie`.
    fn access_token(cookie: &str) -> String {
        postiz_api::auth::access_token_from_cookie_header(cookie, COOKIE).expect("an access token in the cookie")
    }

    async fn sign_out(base: &str, cookie: &str, scope: &str) -> reqwest::Response {
        client()
            .post(format!("{base}/logout"))
            .header(header::COOKIE, cookie)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form(&[("scope", scope)]))
            .send()
            .await
            .expect("logout")
    }

    /// The module's own client for Supabase Auth, pointed at the host (a fresh one each time, so
    /// that no earlier yes is remembered).
    fn session_check(base: &str, issuer: &Issuer) -> SessionCheck {
        SessionCheck::new(base, &issuer.api_key("anon").expect("anon key"), Duration::from_secs(30))
    }

    #[tokio::test]
    async fn signing_out_ends_the_session_for_the_module_as_supabase_auth_does() {
        let (base, issuer, _db) = serve().await;
        let alice = seed::users()[0].id;
        // Alice signed in in two browsers.
        let (laptop, phone) =
            (cookie_of(&sign_in(&base, alice, "/dashboard").await), cookie_of(&sign_in(&base, alice, "/dashboard").await));
        assert_eq!(session_check(&base, &issuer).health().await, AuthHealth::Reachable(format!("GoTrue {}", env!("CARGO_PKG_VERSION"))));
        for cookie in [&laptop, &phone] {
            assert_eq!(session_check(&base, &issuer).confirm(&access_token(cookie)).await, Ok(()));
        }
        // Signing out on the phone ends that session only.
        let r = sign_out(&base, &phone, "local").await;
        assert_eq!(location(&r), "/login");
        assert_eq!(session_check(&base, &issuer).confirm(&access_token(&phone)).await, Err(AuthError::SessionEnded));
        assert_eq!(session_check(&base, &issuer).confirm(&access_token(&laptop)).await, Ok(()));
        let r = client().post(format!("{base}/auth/refresh")).header(header::COOKIE, &phone).send().await.expect("refresh");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "an ended session is not renewed");
        // A refresh keeps the session: the renewed token stands as long as the session does.
        let r = client().post(format!("{base}/auth/refresh")).header(header::COOKIE, &laptop).send().await.expect("refresh");
        assert_eq!(r.status(), StatusCode::OK);
        let renewed = r.json::<Value>().await.expect("json")["access_token"].as_str().expect("token").to_owned();
        assert_eq!(issuer.access(&renewed).map(|(_, s)| s), issuer.access(&access_token(&laptop)).map(|(_, s)| s));

        // Signed out everywhere from a third browser: every token ends, though none expired.
        let desk = cookie_of(&sign_in(&base, alice, "/dashboard").await);
        sign_out(&base, &desk, "global").await;
        for token in [access_token(&laptop), renewed] {
            assert_eq!(session_check(&base, &issuer).confirm(&token).await, Err(AuthError::SessionEnded));
        }
        let r = client().get(format!("{base}/dashboard")).header(header::COOKIE, &laptop).send().await.expect("page");
        assert_eq!(location(&r), "/login?next=/dashboard", "the host's own pages see it too");

        // What Supabase Auth answers without a key, without a token, and for a token not its own.
        let r = client().get(format!("{base}/auth/v1/user")).bearer_auth(access_token(&laptop)).send().await.expect("user");
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert_eq!(r.json::<Value>().await.expect("json")["message"], "Invalid API key");
        let anon = issuer.api_key("anon").expect("key");
        let r = client().get(format!("{base}/auth/v1/user")).header("apikey", &anon).send().await.expect("user");
        assert_eq!(r.json::<Value>().await.expect("json")["error_code"], "no_authorization");
        let r = client().get(format!("{base}/auth/v1/user")).header("apikey", &anon).bearer_auth(&anon).send().await.expect("user");
        assert_eq!((r.status(), r.json::<Value>().await.expect("json")["error_code"].clone()), (StatusCode::FORBIDDEN, json!("bad_jwt")));
    }

    #[tokio::test]
    async fn an_invite_email_signs_the_invitee_in_once_and_lands_on_the_invitation() {
        let (base, issuer, db) = serve().await;
        let landing = url::Url::parse(&format!("{base}/dashboard/postiz/invite")).expect("url");
        let service_key = SecretString::from(issuer.api_key("service_role").expect("key"));
        let emails = InviteEmails::new(&base, service_key, landing, Duration::from_secs(5)).expect("client");
        assert_eq!(emails.send("Carol@Example.test", "workspace-invite-token", "Acme").await, InviteEmailOutcome::Sent);
        // Someone with an account is not sent one: the module shows them the invitation.
        assert_eq!(emails.send("alice@acme.test", "another-token", "Acme").await, InviteEmailOutcome::HasAccount);
        // The anon key may not invite.
        let anon = InviteEmails::new(
            &base,
            SecretString::from(issuer.api_key("anon").expect("key")),
            emails.redirect_for(""),
            Duration::from_secs(5),
        )
        .expect("client");
        assert!(
            matches!(anon.send("dave@example.test", "t", "Acme").await, InviteEmailOutcome::Refused(why) if why.contains("service key"))
        );

        let page = client().get(format!("{base}/mailbox")).send().await.expect("mailbox").text().await.expect("html");
        assert!(page.contains("You have been invited to Acme") && page.contains("Carol@Example.test"), "{page}");
        assert!(!page.contains("dave@"), "nothing sent for a refused request");
        let link =
            page.split("class=\"host-mail-link\" href=\"").nth(1).and_then(|r| r.split('"').next()).expect("a link").replace("&amp;", "&");
        assert!(link.starts_with(&format!("{base}/auth/v1/verify?")), "{link}");
        let invited: Vec<(Option<String>,)> = db
            .superuser()
            .await
            .query("select email_confirmed_at::text from auth.users where email = 'carol@example.test' and invited_at is not null", &[])
            .await
            .expect("query")
            .iter()
            .map(|r| (r.get(0),))
            .collect();
        assert_eq!(invited, vec![(None,)], "invited, not confirmed yet");

        // Following the link confirms Carol, signs her in and lands on the invitation.
        let r = client().get(&link).send().await.expect("verify");
        assert_eq!(location(&r), "/dashboard/postiz/invite?invite=workspace-invite-token");
        let carol = cookie_of(&r);
        assert_eq!(session_check(&base, &issuer).confirm(&access_token(&carol)).await, Ok(()));
        let token_user = issuer.access(&access_token(&carol)).map(|(u, _)| u);
        let carol_id: Uuid =
            db.superuser().await.query_one("select id from auth.users where email = 'carol@example.test'", &[]).await.expect("id").get(0);
        assert_eq!(token_user, Some(carol_id));
        let login = client().get(format!("{base}/login")).send().await.expect("login").text().await.expect("html");
        assert!(login.contains(r#"data-user="carol@example.test""#), "she can sign in again later");
        // A second use of the link says so on the sign-in page.
        let again = client().get(&link).send().await.expect("verify");
        assert_eq!(location(&again), "/login?error=invite_link");
        let page = client().get(format!("{base}/login?error=invite_link")).send().await.expect("login").text().await.expect("html");
        assert!(page.contains("This invite link was used already or has expired"), "{page}");
        // Invited again after confirming: she has an account now.
        assert_eq!(emails.send("carol@example.test", "t2", "Acme").await, InviteEmailOutcome::HasAccount);
    }

    /// A `Cookie` header holding `session` as `@supabase/ssr` would.
    fn cookie_with(session: &Value) -> String {
        format!("{COOKIE}=base64-{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(session.to_string()))
    }

    #[tokio::test]
    async fn refresh_refuses_a_cookie_the_host_did_not_sign() {
        let (base, issuer, _db) = serve().await;
        let users = seed::users();
        let (alice, bob) = (users[0].clone(), users[1].clone());
        // A session cookie written by hand naming Bob, as the old host accepted it.
        let forged = cookie_with(&json!({
            "access_token": "anything", "token_type": "bearer", "expires_at": 0,
            "refresh_token": "demo-0123456789abcdef", "user": {"id": bob.id},
        }));
        // And one whose refresh token is signed, but with another secret.
        let elsewhere = Issuer::new("http://127.0.0.1:54321", COOKIE.into(), SecretString::from("some other secret"), 3600);
        let foreign = cookie_with(&elsewhere.session(&bob, Uuid::new_v4()).expect("session").1);
        for (what, cookie) in [("forged", &forged), ("foreign", &foreign)] {
            let r = client().post(format!("{base}/auth/refresh")).header(header::COOKIE, cookie).send().await.expect("refresh");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
            assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
            let r = client().get(format!("{base}/auth/session")).header(header::COOKIE, cookie).send().await.expect("session");
            assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "{what}");
            let r = client().get(format!("{base}/dashboard")).header(header::COOKIE, cookie).send().await.expect("page");
            assert_eq!(location(&r), "/login?next=/dashboard", "{what}");
        }

        // The cookie sign-in sets is refreshed, for the user it names, and is not cached.
        let cookie = cookie_of(&sign_in(&base, alice.id, "/dashboard").await);
        let r = client().post(format!("{base}/auth/refresh")).header(header::COOKIE, &cookie).send().await.expect("refresh");
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store", "a fresh access token");
        let token = r.json::<Value>().await.expect("json")["access_token"].as_str().expect("token").to_owned();
        let payload = token.split('.').nth(1).expect("jwt");
        let claims: Value =
            serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).expect("b64")).expect("claims");
        assert_eq!(claims["sub"], alice.id.to_string());
        assert_eq!(claims["iss"], issuer.issuer);
    }
}
