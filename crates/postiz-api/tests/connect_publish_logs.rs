//! Connect → publish with every log line captured: the token must appear in no log line, no
//! `Debug` output and no database column in clear.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod common;
mod connect_support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::sandbox::SandboxProvider;
use postiz_providers::{Credentials, HttpClient, Provider, Registry};
use postiz_sandbox::{Sandbox, SandboxConfig};
use postiz_worker::tokens::Tokens;
use secrecy::SecretString;
use serde_json::json;
use uuid::Uuid;

/// Every log line of this test binary.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

#[tokio::test]
async fn connect_then_publish_never_shows_the_token() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt().with_writer(capture.clone()).with_max_level(tracing::Level::TRACE).with_ansi(false).finish();
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber of this test binary");

    let token = format!("sandbox-secret-{}", Uuid::new_v4().simple());
    let sandbox = Sandbox::start(SandboxConfig::default()).await.unwrap();
    let provider = SandboxProvider::new(HttpClient::for_tests(), sandbox.url().parse().unwrap());
    let app = ConnectApp::new(Registry::new().with(Arc::new(provider.clone())), OAuthClients::new()).await;

    // Connect through the API (app-password style: the password is the sandbox's token).
    let (status, body) = app
        .post(
            &app.owner,
            "/connect/sandbox/credentials",
            json!({"workspace_id": app.workspace, "identifier": "logcheck", "password": token}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    assert!(!body.to_string().contains(&token));

    // Publish it with the worker.
    app.schedule_now(account, "no secrets here").await;
    let db = app.app.db.superuser().await;
    let pool = postiz_db::service_pool(&SecretString::from(app.app.db.url()), 4).unwrap();
    let tokens = Arc::new(Tokens::new(
        pool.clone(),
        Arc::clone(&app.keyring),
        Arc::clone(&app.registry),
        OAuthClients::new(),
        postiz_oauth::http_client(Duration::from_secs(5)),
    ));
    let ctx = app
        .run_worker_until("log-test-worker", Arc::clone(&tokens), "select count(*) from postiz.post_targets where status = 'published'")
        .await;
    assert_eq!(sandbox.posts().posts.len(), 1, "published");

    // Debug output of everything that held the token on its way.
    let connected = provider
        .login(&Credentials { identifier: "logcheck".into(), password: SecretString::from(token.clone()), server: None })
        .await
        .unwrap();
    let client = pool.get().await.unwrap();
    let creds = postiz_oauth::store::load_credentials(&**client, account, false).await.unwrap().unwrap();
    let debug = format!(
        "{connected:?} {:?} {creds:?} {tokens:?} {ctx:?} {:?} {:?}",
        connected.tokens,
        Credentials { identifier: "x".into(), password: SecretString::from(token.clone()), server: None },
        postiz_oauth::grant::Pkce::new(),
    );
    assert_eq!(debug.matches(&token).count(), 0, "Debug output shows the token: {debug}");

    // The logs: plenty of them, none with the token.
    let logs = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("social account connected"), "the capture works:\n{logs}");
    assert!(logs.contains("publish job finished"), "the capture works");
    let hits: Vec<&str> = logs.lines().filter(|l| l.contains(&token)).collect();
    assert!(hits.is_empty(), "{} log line(s) show the token:\n{}", hits.len(), hits.join("\n"));

    // The database: no column of any postiz table holds it in clear, as text or bytes.
    let hex: String = token.bytes().map(|b| format!("{b:02x}")).collect();
    let tables: Vec<String> = db
        .query("select tablename::text from pg_tables where schemaname = 'postiz'", &[])
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(tables.len() > 10);
    for table in tables {
        let n: i64 = db
            .query_one(
                &format!("select count(*) from postiz.{table} t where t::text like '%' || $1 || '%' or t::text like '%' || $2 || '%'"),
                &[&token, &hex],
            )
            .await
            .unwrap()
            .get(0);
        assert_eq!(n, 0, "postiz.{table} holds the token in clear");
    }
}
