//! Shared setup for the connect-flow tests: the API with its connect extension, a workspace
//! owned by a signed-in user, a real OAuth2/OIDC server (oidc-provider, installed from npm by
//! this module into `.postiz/peers/oidc`), a test adapter that talks to it, and a browser stand-in
//! that logs in and consents with a cookie jar.
#![allow(dead_code)]
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use axum::body::Body;
use axum::http::{Request, header};
use postiz_api::routes::connect::ConnectState;
use postiz_oauth::OAuthClients;
use postiz_providers::{
    AccountInfo, AccountRef, Connection, ContentRules, HttpClient, Network, OAuth2Spec, OAuthClient, Provider, ProviderError,
    PublishRequest, PublishedItem, Registry, RemotePost,
};
use postiz_testkit::TestUser;
use postiz_vault::Keyring;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use url::Url;
use uuid::Uuid;

use crate::common::{BASE, TestApp, token_for};

/// The redirect URI registered with the test clients of the OIDC peer.
pub const REDIRECT: &str = "http://127.0.0.1:9999/cb";

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The running OIDC peer (one per test binary; it exits when the test process ends, because it
/// watches its stdin).
pub struct OidcPeer {
    pub issuer: Url,
    _child: std::sync::Mutex<Child>,
}

static PEER: OnceLock<OidcPeer> = OnceLock::new();

impl OidcPeer {
    /// Installs (`npm ci` into `.postiz/peers/oidc` when `node_modules` is missing) and starts
    /// the peer once per test binary.
    pub fn shared() -> &'static OidcPeer {
        PEER.get_or_init(|| {
            let dir = install_peer();
            let mut child = Command::new("node")
                .arg("server.mjs")
                .current_dir(&dir)
                .env("REDIRECT_URI", REDIRECT)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::null())
                .spawn()
                .expect("start node server.mjs (is node installed?)");
            let stdout = child.stdout.take().expect("peer stdout");
            let mut lines = BufReader::new(stdout).lines();
            let port = loop {
                let line = lines.next().expect("the OIDC peer exited before listening").expect("read peer output");
                if let Some(port) = line.strip_prefix("LISTENING ") {
                    break port.trim().to_owned();
                }
            };
            // Keep draining stdout so the peer never blocks on a full pipe.
            std::thread::spawn(move || for _ in lines {});
            OidcPeer { issuer: Url::parse(&format!("http://127.0.0.1:{port}")).expect("issuer"), _child: std::sync::Mutex::new(child) }
        })
    }

    pub fn url(&self, path: &str) -> Url {
        self.issuer.join(path).expect("peer url")
    }
}

/// Copies the committed peer files into `.postiz/peers/oidc` and installs `oidc-provider` there
/// with `npm ci` when it is not installed yet. A directory lock keeps parallel test binaries
/// from installing at once.
fn install_peer() -> PathBuf {
    let source = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/peers/oidc");
    let dir = root().join(".postiz/peers/oidc");
    std::fs::create_dir_all(&dir).expect("create .postiz/peers/oidc");
    let lock = dir.join(".install-lock");
    let started = std::time::Instant::now();
    while std::fs::create_dir(&lock).is_err() {
        if started.elapsed() > Duration::from_secs(180) {
            // A crashed installer left its lock behind.
            let _ = std::fs::remove_dir(&lock);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    let install = || {
        let mut changed = false;
        for file in ["package.json", "package-lock.json", "server.mjs"] {
            let want = std::fs::read(source.join(file)).expect("read committed peer file");
            let have = std::fs::read(dir.join(file)).ok();
            if have.as_deref() != Some(want.as_slice()) {
                std::fs::write(dir.join(file), &want).expect("write peer file");
                changed |= file != "server.mjs";
            }
        }
        if changed || !dir.join("node_modules/oidc-provider/package.json").exists() {
            let status = Command::new("npm")
                .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
                .current_dir(&dir)
                .status()
                .expect("run npm (is npm installed?)");
            assert!(status.success(), "npm ci for the OIDC test peer failed");
        }
    };
    let outcome = std::panic::catch_unwind(install);
    let _ = std::fs::remove_dir(&lock);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    dir
}

/// An OAuth2 adapter against the OIDC peer, standing in for a real network (registered as `x`).
/// `publish` checks the token at the userinfo endpoint, so an expired token gets a real 401.
#[derive(Debug, Clone)]
pub struct OidcNetwork {
    pub issuer: Url,
    pub http: reqwest::Client,
    pub publishes: Arc<std::sync::atomic::AtomicUsize>,
}

impl OidcNetwork {
    pub fn new(issuer: Url) -> Self {
        Self { issuer, http: reqwest::Client::new(), publishes: Arc::default() }
    }

    async fn me(&self, token: &SecretString) -> Result<Value, ProviderError> {
        let res = self
            .http
            .get(self.issuer.join("/me").expect("url"))
            .bearer_auth(token.expose_secret())
            .send()
            .await
            .map_err(|e| ProviderError::Transient { network: Network::X, source: e.without_url().to_string().into() })?;
        if res.status() == reqwest::StatusCode::UNAUTHORIZED {
            return Err(ProviderError::Unauthorized { network: Network::X, reason: "invalid_token".into() });
        }
        if !res.status().is_success() {
            return Err(ProviderError::Transient { network: Network::X, source: format!("HTTP {}", res.status()).into() });
        }
        res.json().await.map_err(|e| ProviderError::Transient { network: Network::X, source: e.to_string().into() })
    }
}

#[async_trait]
impl Provider for OidcNetwork {
    fn network(&self) -> Network {
        Network::X
    }

    fn connection(&self) -> Connection {
        Connection::OAuth2(OAuth2Spec {
            auth_url: self.issuer.join("/auth").expect("url"),
            token_url: self.issuer.join("/token").expect("url"),
            scopes: vec!["openid".into(), "offline_access".into()],
            scope_separator: " ",
            pkce: true,
            // oidc-provider issues refresh tokens only with offline_access *and* consent.
            extra_auth_params: vec![("prompt".into(), "consent".into())],
            client_auth_basic: false,
            custom_refresh: false,
            client_id_param: "client_id",
        })
    }

    fn rules(&self) -> &ContentRules {
        ContentRules::for_network(Network::X)
    }

    async fn account_info(&self, token: &SecretString, _server: Option<&Url>) -> Result<AccountInfo, ProviderError> {
        let me = self.me(token).await?;
        let sub = me["sub"].as_str().unwrap_or_default().to_owned();
        Ok(AccountInfo { id: sub.clone(), handle: Some(sub), name: None, avatar: None, server: None })
    }

    async fn publish(&self, token: &SecretString, _account: &AccountRef, post: &PublishRequest) -> Result<RemotePost, ProviderError> {
        self.me(token).await?;
        self.publishes.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        let id = format!("oidc-{}", post.idempotency_key);
        Ok(RemotePost { id: id.clone(), url: None, items: vec![PublishedItem { index: 0, id, url: None, cid: None }] })
    }
}

/// The API with connect enabled, a workspace and its owner.
pub struct ConnectApp {
    pub app: TestApp,
    pub keyring: Arc<Keyring>,
    pub owner: TestUser,
    pub workspace: Uuid,
    pub registry: Arc<Registry>,
}

impl ConnectApp {
    /// `registry` holds the adapters under test; `clients` the OAuth clients.
    pub async fn new(registry: Registry, clients: OAuthClients) -> Self {
        Self::with_keyring(registry, clients, Arc::new(Keyring::for_testing())).await
    }

    pub async fn with_keyring(registry: Registry, clients: OAuthClients, keyring: Arc<Keyring>) -> Self {
        Self::with_parts(registry, clients, keyring, HttpClient::for_tests()).await
    }

    /// `guard` checks the server addresses users enter (built from the operator's
    /// `[private_servers] allow` in production).
    pub async fn with_guard(registry: Registry, clients: OAuthClients, guard: HttpClient) -> Self {
        Self::with_parts(registry, clients, Arc::new(Keyring::for_testing()), guard).await
    }

    async fn with_parts(registry: Registry, clients: OAuthClients, keyring: Arc<Keyring>, guard: HttpClient) -> Self {
        let mut app = TestApp::new().await;
        let registry = Arc::new(registry);
        let connect = ConnectState {
            registry: Arc::clone(&registry),
            service_pool: postiz_db::service_pool(&SecretString::from(app.db.url()), 4).expect("service pool"),
            keyring: Arc::clone(&keyring),
            clients,
            http: postiz_oauth::http_client(Duration::from_secs(5)),
            guard,
            redirect_url: Url::parse(REDIRECT).expect("redirect"),
            state_ttl: Duration::from_secs(600),
            client_name: "Postiz tests".into(),
        };
        app.router = app.router.layer(axum::Extension(Arc::new(connect)));
        let owner = app.db.create_user(&format!("owner-{}@example.com", Uuid::new_v4().simple())).await;
        let workspace = Self::workspace_for(&app, &owner).await;
        Self { app, keyring, owner, workspace, registry }
    }

    /// A workspace created by `user` (its owner).
    pub async fn workspace_for(app: &TestApp, user: &TestUser) -> Uuid {
        app.db
            .superuser()
            .await
            .query_one(
                "insert into postiz.workspaces (name, slug, created_by) values ('Acme', $1, $2) returning id",
                &[&format!("acme-{}", &Uuid::new_v4().simple().to_string()[..8]), &user.id],
            )
            .await
            .expect("workspace")
            .get(0)
    }

    /// POST `body` to `path` as `user`.
    pub async fn post(&self, user: &TestUser, path: &str, body: Value) -> (u16, Value) {
        let request = Request::builder()
            .method("POST")
            .uri(format!("{BASE}{path}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", token_for(user)))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request");
        let (res, json) = self.app.send(request).await;
        (res.status().as_u16(), json)
    }

    /// Starts an OAuth connect for `network` as `user`; returns the authorization URL.
    pub async fn start(&self, user: &TestUser, network: &str) -> Url {
        let (status, body) = self.post(user, &format!("/connect/{network}/start"), json!({"workspace_id": self.workspace})).await;
        assert_eq!(status, 200, "{body}");
        Url::parse(body["authorization_url"].as_str().expect("authorization_url")).expect("url")
    }

    /// The callback as the UI page posts it.
    pub async fn callback(&self, user: &TestUser, network: &str, code: &str, state: &str) -> (u16, Value) {
        self.post(user, &format!("/connect/{network}/callback"), json!({"code": code, "state": state})).await
    }

    pub async fn query_one(&self, sql: &str) -> tokio_postgres::Row {
        self.app.db.superuser().await.query_one(sql, &[]).await.expect(sql)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        self.query_one(sql).await.get(0)
    }

    /// A post with `content` on `account`, scheduled once for now.
    pub async fn schedule_now(&self, account: Uuid, content: &str) -> Uuid {
        let db = self.app.db.superuser().await;
        let post: Uuid = db
            .query_one(
                "insert into postiz.posts (workspace_id, status, content, scheduled_at) values ($1, 'scheduled', $2, now()) returning id",
                &[&self.workspace, &content],
            )
            .await
            .unwrap()
            .get(0);
        db.execute(
            "insert into postiz.post_targets (workspace_id, post_id, social_account_id) values ($1, $2, $3)",
            &[&self.workspace, &post, &account],
        )
        .await
        .unwrap();
        db.execute(
            "insert into postiz.schedules (workspace_id, kind, post_id, starts_at, time_zone) values ($1, 'once', $2, now(), 'UTC')",
            &[&self.workspace, &post],
        )
        .await
        .unwrap();
        post
    }

    /// Runs the real worker loop (refreshing tokens through `tokens`) until `until` counts a row
    /// or 30 s pass, then stops it; returns the context it ran with.
    pub async fn run_worker_until(
        &self,
        worker_id: &str,
        tokens: Arc<postiz_worker::tokens::Tokens>,
        until: &str,
    ) -> postiz_worker::publish::PublishContext {
        let pool = postiz_db::service_pool(&SecretString::from(self.app.db.url()), 4).unwrap();
        let store = postiz_worker::store::Store::new(pool, worker_id);
        let ctx = postiz_worker::publish::PublishContext {
            recorder: postiz_worker::recorder::Recorder::spawn(store.clone()),
            store,
            keyring: Arc::clone(&self.keyring),
            pacer: Arc::new(postiz_worker::pacing::Pacer::default()),
            retry: postiz_worker::backoff::RetryPolicy { base: Duration::from_secs(1), ..Default::default() },
            lease_secs: 60.0,
            tokens: Some(tokens),
            media: None,
            public_urls: None,
        };
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let config = postiz_worker::runner::RunnerConfig { shutdown_deadline: Duration::from_secs(5), ..Default::default() };
        let worker = tokio::spawn(postiz_worker::runner::run(ctx.clone(), Arc::clone(&self.registry), config, Arc::clone(&stop)));
        let started = std::time::Instant::now();
        while started.elapsed() < Duration::from_secs(30) && self.count(until).await == 0 {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        worker.await.unwrap().unwrap();
        ctx
    }
}

/// Clients for the OIDC peer: the network `x` uses `client_id`.
pub fn oidc_clients(client_id: &str) -> OAuthClients {
    OAuthClients::new().with(Network::X, OAuthClient { client_id: client_id.into(), client_secret: None })
}

/// Plays the user's browser at the OIDC peer: follows redirects, logs in as `login`, consents,
/// and returns `(code, state)` from the redirect to our callback page.
pub async fn authorize(authorization_url: &Url, login: &str) -> (String, String) {
    let http = reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().expect("browser");
    let mut url = authorization_url.clone();
    for _ in 0..12 {
        let res = http.get(url.clone()).send().await.expect("GET");
        if res.status().is_redirection() {
            let next = url.join(res.headers()[header::LOCATION].to_str().expect("location")).expect("redirect");
            if next.as_str().starts_with(REDIRECT) {
                let q: std::collections::HashMap<_, _> = next.query_pairs().into_owned().collect();
                assert!(!q.contains_key("error"), "authorization failed: {next}");
                return (q["code"].clone(), q["state"].clone());
            }
            url = next;
            continue;
        }
        let html = res.text().await.expect("interaction page");
        let prompt = if html.contains(r#"name="prompt" value="login""#) { "login" } else { "consent" };
        let form: Vec<(&str, &str)> =
            if prompt == "login" { vec![("prompt", "login"), ("login", login), ("password", "x")] } else { vec![("prompt", "consent")] };
        let res = http.post(url.clone()).form(&form).send().await.expect("POST interaction");
        assert!(res.status().is_redirection(), "interaction {prompt} answered {}", res.status());
        url = url.join(res.headers()[header::LOCATION].to_str().expect("location")).expect("redirect");
    }
    panic!("no redirect to the callback after 12 steps");
}

/// The state carried by an authorization URL.
pub fn state_of(url: &Url) -> String {
    url.query_pairs().find(|(k, _)| k == "state").map(|(_, v)| v.into_owned()).expect("state")
}
