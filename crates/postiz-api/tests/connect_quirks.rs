//! Network-specific exchange and refresh quirks against wiremock: Meta's long-lived token swap
//! and Page tokens chosen in a second step, Bluesky sessions refreshed at their own endpoint,
//! token responses without `token_type` or `refresh_token`, and reconnects that must keep the
//! stored refresh token (Postiz #1884).
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod common;
mod connect_support;

use std::sync::Arc;
use std::time::Duration;

use connect_support::*;
use postiz_oauth::OAuthClients;
use postiz_providers::bluesky::BlueskyProvider;
use postiz_providers::facebook::FacebookProvider;
use postiz_providers::{HttpClient, Network, OAuthClient, Registry};
use postiz_vault::{Binding, Field, Sealed};
use postiz_worker::tokens::{Refreshed, SweepConfig, TokenError, Tokens};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use uuid::Uuid;
use wiremock::matchers::{body_string_contains, header, method, path, path_regex, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The stored tokens of `account`, decrypted.
async fn stored(app: &ConnectApp, account: Uuid) -> (String, Option<String>) {
    let row = app
        .app
        .db
        .superuser()
        .await
        .query_one(
            "select workspace_id, access_token_key_id, access_token_nonce, access_token_ciphertext,
                    refresh_token_key_id, refresh_token_nonce, refresh_token_ciphertext
             from postiz.credentials where social_account_id = $1",
            &[&account],
        )
        .await
        .expect("credentials");
    let ws: Uuid = row.get(0);
    let b = |field| Binding { workspace_id: ws, social_account_id: account, field };
    let access = app
        .keyring
        .decrypt(&Sealed { key_id: row.get(1), nonce: row.get(2), ciphertext: row.get(3) }, &b(Field::AccessToken))
        .expect("access");
    let refresh = row.get::<_, Option<String>>(4).map(|key_id| {
        app.keyring.decrypt(&Sealed { key_id, nonce: row.get(5), ciphertext: row.get(6) }, &b(Field::RefreshToken)).expect("refresh")
    });
    (access.expose_secret().to_owned(), refresh.map(|r| r.expose_secret().to_owned()))
}

fn tokens(app: &ConnectApp, clients: OAuthClients) -> Arc<Tokens> {
    let pool = postiz_db::service_pool(&SecretString::from(app.app.db.url()), 4).expect("pool");
    Arc::new(Tokens::new(
        pool,
        Arc::clone(&app.keyring),
        Arc::clone(&app.registry),
        clients,
        postiz_oauth::http_client(Duration::from_secs(5)),
    ))
}

#[tokio::test]
async fn facebook_swaps_for_a_long_lived_token_and_stores_the_chosen_pages_token() {
    let graph = MockServer::start().await;
    // The standard code exchange (POST), then the long-lived swap (GET) at the same path.
    Mock::given(method("POST"))
        .and(path_regex(r"^/v[0-9.]+/oauth/access_token$"))
        .and(body_string_contains("code=fb-code"))
        .and(body_string_contains("client_secret=fb-secret"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "short-token", "token_type": "bearer", "expires_in": 3600})),
        )
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v[0-9.]+/oauth/access_token$"))
        .and(query_param("grant_type", "fb_exchange_token"))
        .and(query_param("fb_exchange_token", "short-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "long-token", "token_type": "bearer", "expires_in": 5_183_944})),
        )
        .expect(1)
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v[0-9.]+/me$"))
        .and(header("authorization", "Bearer long-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "fb-user-1", "name": "Fiona"})))
        .mount(&graph)
        .await;
    Mock::given(method("GET"))
        .and(path_regex(r"^/v[0-9.]+/me/accounts$"))
        .and(header("authorization", "Bearer long-token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"data": [
            {"id": "page-1", "name": "Page One", "access_token": "page-token-1", "tasks": ["CREATE_CONTENT"]},
            {"id": "page-2", "name": "Page Two", "access_token": "page-token-2", "tasks": ["CREATE_CONTENT"]}
        ]})))
        .mount(&graph)
        .await;

    let provider = FacebookProvider::new(HttpClient::for_tests()).with_base_url(graph.uri().parse().unwrap());
    let clients = OAuthClients::new().with(
        Network::Facebook,
        OAuthClient { client_id: "fb-app".into(), client_secret: Some(SecretString::from("fb-secret".to_owned())) },
    );
    let app = ConnectApp::new(Registry::new().with(Arc::new(provider)), clients).await;

    let url = app.start(&app.owner, "facebook").await;
    assert!(url.query_pairs().any(|(k, v)| k == "scope" && v.contains(',') && !v.contains(' ')), "Meta joins scopes with commas: {url}");
    assert!(!url.query_pairs().any(|(k, _)| k == "code_challenge"), "no PKCE where the network does not take it");
    let (status, body) = app.callback(&app.owner, "facebook", "fb-code", &state_of(&url)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "choose_target");
    assert_eq!(body["targets"].as_array().map(Vec::len), Some(2));
    let shown = body.to_string();
    assert!(!shown.contains("page-token") && !shown.contains("long-token"), "no token in the choices: {shown}");
    assert_eq!(app.count("select count(*) from postiz.social_accounts").await, 0, "nothing stored before the choice");

    let pending = body["pending_id"].as_str().unwrap();
    let (status, body) = app.post(&app.owner, &format!("/connect/pending/{pending}/complete"), json!({"target_id": "page-2"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["external_id"], "page-2");
    assert_eq!(body["account"]["display_name"], "Page Two");
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored(&app, account).await, ("page-token-2".to_owned(), None), "the Page's own token, not the user's");
    assert_eq!(app.count("select count(*) from postiz.pending_connections").await, 0, "the pending row is gone");
    let (status, _) = app.post(&app.owner, &format!("/connect/pending/{pending}/complete"), json!({"target_id": "page-1"})).await;
    assert_eq!(status, 404, "a pending connection completes once");
}

#[tokio::test]
async fn bluesky_sessions_refresh_at_their_own_endpoint_and_a_401_revokes() {
    let pds = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.createSession"))
        .and(body_string_contains("app-pass-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"did": "did:plc:abc", "handle": "ann.test", "accessJwt": "bsky-access-1", "refreshJwt": "bsky-refresh-1"}),
        ))
        .mount(&pds)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.refreshSession"))
        .and(header("authorization", "Bearer bsky-refresh-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"did": "did:plc:abc", "handle": "ann.test", "accessJwt": "bsky-access-2", "refreshJwt": "bsky-refresh-2"}),
        ))
        .expect(1)
        .mount(&pds)
        .await;
    Mock::given(method("POST"))
        .and(path("/xrpc/com.atproto.server.refreshSession"))
        .and(header("authorization", "Bearer bsky-refresh-2"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({"error": "ExpiredToken", "message": "Token has been revoked"})))
        .mount(&pds)
        .await;

    let provider = BlueskyProvider::new(HttpClient::for_tests()).with_base_url(pds.uri().parse().unwrap());
    let app = ConnectApp::new(Registry::new().with(Arc::new(provider)), OAuthClients::new()).await;
    let (status, body) = app
        .post(
            &app.owner,
            "/connect/bluesky/credentials",
            json!({"workspace_id": app.workspace, "identifier": "ann.test", "password": "app-pass-1"}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["external_id"], "did:plc:abc");
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    assert_eq!(stored(&app, account).await, ("bsky-access-1".to_owned(), Some("bsky-refresh-1".to_owned())));

    let tokens = tokens(&app, OAuthClients::new());
    assert!(matches!(tokens.if_expiring(account, Duration::from_secs(60)).await.unwrap(), Refreshed::NotDue), "two hours left");
    assert!(matches!(tokens.if_expiring(account, Duration::from_secs(3 * 3600)).await.unwrap(), Refreshed::Refreshed(_)));
    assert_eq!(stored(&app, account).await, ("bsky-access-2".to_owned(), Some("bsky-refresh-2".to_owned())), "rotation stored");

    let stats = tokens
        .sweep_once(&SweepConfig { window: Duration::from_secs(3 * 3600), pace: Duration::ZERO, ..SweepConfig::default() })
        .await
        .unwrap();
    assert_eq!(stats.failed, 1, "{stats:?}");
    assert_eq!(app.count(&format!("select count(*) from postiz.social_accounts where id = '{account}' and status = 'revoked'")).await, 1);
    assert_eq!(stored(&app, account).await.0, "bsky-access-2", "a failed refresh writes nothing");
}

/// An OAuth2 network on wiremock (the OIDC test adapter pointed at the mock).
async fn mock_x() -> (MockServer, ConnectApp) {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/me"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"sub": "x-user-1"})))
        .mount(&server)
        .await;
    let network = OidcNetwork::new(server.uri().parse().unwrap());
    let clients = OAuthClients::new()
        .with(Network::X, OAuthClient { client_id: "x-app".into(), client_secret: Some(SecretString::from("x-secret".to_owned())) });
    let app = ConnectApp::new(Registry::new().with(Arc::new(network)), clients).await;
    (server, app)
}

async fn oauth_connect(app: &ConnectApp, code: &str) -> (u16, serde_json::Value) {
    let url = app.start(&app.owner, "x").await;
    app.callback(&app.owner, "x", code, &state_of(&url)).await
}

#[tokio::test]
async fn reconnect_without_a_new_refresh_token_keeps_the_stored_one() {
    let (server, app) = mock_x().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("code=first"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "a1", "token_type": "Bearer", "refresh_token": "r1", "expires_in": 7200})),
        )
        .mount(&server)
        .await;
    // LinkedIn-style answer: no token_type, expiry as a string, no refresh token.
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("code=second"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"access_token": "a2", "expires_in": "5184000", "scope": "read,write"})),
        )
        .mount(&server)
        .await;

    let (status, body) = oauth_connect(&app, "first").await;
    assert_eq!(status, 200, "{body}");
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    // The account was paused meanwhile: a reconnect resumes it.
    app.app
        .db
        .superuser()
        .await
        .execute("update postiz.social_accounts set status = 'needs_reconnect' where id = $1", &[&account])
        .await
        .unwrap();

    let (status, body) = oauth_connect(&app, "second").await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["id"], account.to_string(), "same account, updated in place");
    assert_eq!(body["account"]["reconnected"], true);
    assert_eq!(stored(&app, account).await, ("a2".to_owned(), Some("r1".to_owned())), "new access token, refresh token kept");
    assert_eq!(app.count(&format!("select count(*) from postiz.social_accounts where id = '{account}' and status = 'active'")).await, 1);
    let scopes: Vec<String> =
        app.query_one(&format!("select scopes from postiz.credentials where social_account_id = '{account}'")).await.get(0);
    assert_eq!(scopes, ["read", "write"]);
    let secs: f64 = app
        .query_one(&format!(
            "select extract(epoch from expires_at - now())::float8 from postiz.credentials where social_account_id = '{account}'"
        ))
        .await
        .get(0);
    assert!((5_183_000.0..=5_184_000.0).contains(&secs), "{secs}");
    assert_eq!(app.count("select count(*) from postiz.activity_logs where action = 'account.reconnected'").await, 1);
}

#[tokio::test]
async fn refresh_without_a_new_refresh_token_keeps_it_and_a_5xx_changes_nothing() {
    let (server, app) = mock_x().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=authorization_code"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "a1", "token_type": "bearer", "refresh_token": "r1", "expires_in": 60})),
        )
        .mount(&server)
        .await;
    let (_, body) = oauth_connect(&app, "c").await;
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    let clients = OAuthClients::new()
        .with(Network::X, OAuthClient { client_id: "x-app".into(), client_secret: Some(SecretString::from("x-secret".to_owned())) });
    let tokens = tokens(&app, clients);

    // The token endpoint is down: nothing changes, the sweep defers.
    let down = Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .respond_with(ResponseTemplate::new(503))
        .mount_as_scoped(&server)
        .await;
    let stats = tokens.sweep_once(&SweepConfig { pace: Duration::ZERO, ..SweepConfig::default() }).await.unwrap();
    assert_eq!((stats.deferred, stats.failed), (1, 0), "{stats:?}");
    assert_eq!(stored(&app, account).await, ("a1".to_owned(), Some("r1".to_owned())));
    assert_eq!(app.count("select count(*) from postiz.social_accounts where status = 'active'").await, 1);
    drop(down);

    Mock::given(method("POST"))
        .and(path("/token"))
        .and(body_string_contains("grant_type=refresh_token"))
        .and(body_string_contains("refresh_token=r1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"access_token": "a2", "expires_in": 3600})))
        .expect(1)
        .mount(&server)
        .await;
    let stats = tokens.sweep_once(&SweepConfig { pace: Duration::ZERO, ..SweepConfig::default() }).await.unwrap();
    assert_eq!(stats.refreshed, 1, "{stats:?}");
    assert_eq!(stored(&app, account).await, ("a2".to_owned(), Some("r1".to_owned())), "refresh token kept when none is returned");

    // invalid_client is ours to fix: the user is asked to reconnect, not told it was revoked.
    let e = TokenError::Refresh(postiz_oauth::RefreshError::Failed("invalid_client".into()));
    assert_eq!(e.account_status(), Some("needs_reconnect"));
}

#[tokio::test]
async fn mastodon_registers_once_per_instance_and_connects_with_pkce() {
    use postiz_providers::mastodon::MastodonProvider;
    let instance = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/v1/apps"))
        .and(body_string_contains("redirect_uris"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"client_id": "inst-client", "client_secret": "inst-secret", "name": "Postiz tests"})),
        )
        .expect(1)
        .mount(&instance)
        .await;
    Mock::given(method("POST"))
        .and(path("/oauth/token"))
        .and(body_string_contains("client_id=inst-client"))
        .and(body_string_contains("code_verifier="))
        .and(body_string_contains("code=m-code"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"access_token": "m-token", "token_type": "Bearer", "scope": "read write", "created_at": 1})),
        )
        .mount(&instance)
        .await;
    Mock::given(method("GET"))
        .and(path("/api/v1/accounts/verify_credentials"))
        .and(header("authorization", "Bearer m-token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"id": "109", "username": "mia", "display_name": "Mia", "avatar": "https://files.example/a.png"})),
        )
        .mount(&instance)
        .await;

    let app = ConnectApp::new(Registry::new().with(Arc::new(MastodonProvider::new(HttpClient::for_tests()))), OAuthClients::new()).await;
    let start = |server: String| {
        let app = &app;
        async move { app.post(&app.owner, "/connect/mastodon/start", json!({"workspace_id": app.workspace, "server_url": server})).await }
    };
    let (status, body) = app.post(&app.owner, "/connect/mastodon/start", json!({"workspace_id": app.workspace})).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("server_url")), "{body}");
    let (status, first) = start(instance.uri()).await;
    assert_eq!(status, 200, "{first}");
    let (status, second) = start(format!("{}/some/path", instance.uri())).await;
    assert_eq!(status, 200, "{second}");
    assert_eq!(app.count("select count(*) from postiz.instance_apps").await, 1, "one registration per instance");
    let url = url::Url::parse(second["authorization_url"].as_str().unwrap()).unwrap();
    assert!(url.as_str().starts_with(&format!("{}/oauth/authorize", instance.uri())), "{url}");
    assert!(url.query_pairs().any(|(k, v)| k == "client_id" && v == "inst-client"));
    let secret_in_clear = app.count("select count(*) from postiz.instance_apps t where t::text like '%inst-secret%'").await;
    assert_eq!(secret_in_clear, 0, "the instance's client secret is sealed");

    let (status, body) = app.callback(&app.owner, "mastodon", "m-code", &state_of(&url)).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["handle"], "mia");
    let account = body["account"]["id"].as_str().unwrap();
    // Where the tokens go is stored with the credential (the only place the worker reads it);
    // meta keeps a display copy.
    let row = app
        .query_one(&format!(
            "select c.server_url, c.instance_app_id::text, a.external_account_id, a.meta ->> 'server_url', i.server_url
             from postiz.social_accounts a join postiz.credentials c on c.social_account_id = a.id
             join postiz.instance_apps i on i.id = c.instance_app_id
             where a.id = '{account}'"
        ))
        .await;
    assert_eq!(row.get::<_, Option<String>>(0).as_deref(), Some(instance.uri().as_str()), "the worker's AccountRef.server");
    assert!(row.get::<_, Option<String>>(1).is_some(), "refreshes find the instance's client");
    assert_eq!(row.get::<_, String>(2), "109");
    assert_eq!(row.get::<_, Option<String>>(3).as_deref(), Some(instance.uri().as_str()), "display copy");
    assert_eq!(row.get::<_, String>(4).trim_end_matches('/'), instance.uri(), "the registration is the server's");
}

#[tokio::test]
async fn refused_app_password_foreign_pending_and_missing_setup_answer_clearly() {
    let sandbox = postiz_sandbox::Sandbox::start(postiz_sandbox::SandboxConfig::default()).await.unwrap();
    let provider = postiz_providers::sandbox::SandboxProvider::new(HttpClient::for_tests(), sandbox.url().parse().unwrap());
    let app = ConnectApp::new(Registry::new().with(Arc::new(provider)), OAuthClients::new()).await;
    // The sandbox refuses the token "expired".
    let (status, body) = app
        .post(&app.owner, "/connect/sandbox/credentials", json!({"workspace_id": app.workspace, "identifier": "me", "password": "expired"}))
        .await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("credentials_rejected")), "{body}");
    let (status, body) =
        app.post(&app.owner, "/connect/sandbox/credentials", json!({"workspace_id": app.workspace, "identifier": "me"})).await;
    assert_eq!((status, body["error"]["fields"][0]["field"].as_str()), (422, Some("password")), "{body}");
    let (status, _) = app.post(&app.owner, "/connect/sandbox/start", json!({"workspace_id": app.workspace})).await;
    assert_eq!(status, 400, "app-password networks do not start an OAuth flow");
    let (status, _) = app.post(&app.owner, "/connect/myspace/credentials", json!({"workspace_id": app.workspace})).await;
    assert_eq!(status, 404);
    assert_eq!(app.count("select count(*) from postiz.credentials").await, 0);

    // Someone else's pending connection is not found.
    let other = app.app.db.create_user("other@example.com").await;
    let (status, _) = app.post(&other, &format!("/connect/pending/{}/complete", Uuid::new_v4()), json!({"target_id": "x"})).await;
    assert_eq!(status, 404);

    // A server started without encryption keys: 503, saying what is missing.
    let bare = common::TestApp::new().await;
    let user = bare.db.create_user("bare@example.com").await;
    let request = axum::http::Request::builder()
        .method("POST")
        .uri(format!("{}/connect/x/start", common::BASE))
        .header("authorization", format!("Bearer {}", common::token_for(&user)))
        .header("content-type", "application/json")
        .body(axum::body::Body::from(json!({"workspace_id": Uuid::new_v4()}).to_string()))
        .unwrap();
    let (res, body) = bare.send(request).await;
    assert_eq!(res.status(), 503);
    assert!(body["error"]["message"].as_str().unwrap().contains("POSTIZ_TOKEN_ENCRYPTION_KEYS"), "{body}");
}
