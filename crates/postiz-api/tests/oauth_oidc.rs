//! The authorization-code + PKCE flow, refresh, refresh-token rotation and key rotation against
//! a real OAuth2/OIDC server (oidc-provider, started by the tests), through our API and the
//! worker's token lifecycle.

mod common;
mod connect_support;

use std::sync::Arc;
use std::time::Duration;

use connect_support::*;
use postiz_oauth::grant::{Endpoints, GrantError, refresh_grant};
use postiz_providers::{OAuthClient, Provider, Registry};
use postiz_vault::{Binding, Field, Keyring, Sealed};
use postiz_worker::tokens::{Refreshed, SweepConfig, Tokens};
use secrecy::{ExposeSecret, SecretString};
use uuid::Uuid;

fn registry(peer: &OidcPeer) -> (Registry, OidcNetwork) {
    let network = OidcNetwork::new(peer.issuer.clone());
    (Registry::new().with(Arc::new(network.clone())), network)
}

async fn connect_x(app: &ConnectApp, login: &str) -> Uuid {
    let url = app.start(&app.owner, "x").await;
    let (code, state) = authorize(&url, login).await;
    let (status, body) = app.callback(&app.owner, "x", &code, &state).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["status"], "connected", "{body}");
    body["account"]["id"].as_str().expect("account id").parse().expect("uuid")
}

/// The stored tokens, decrypted with the test keyring.
async fn stored(app: &ConnectApp, keyring: &Keyring, account: Uuid) -> (SecretString, Option<SecretString>) {
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
        .expect("credentials row");
    let ws: Uuid = row.get(0);
    let b = |field| Binding { workspace_id: ws, social_account_id: account, field };
    let access =
        keyring.decrypt(&Sealed { key_id: row.get(1), nonce: row.get(2), ciphertext: row.get(3) }, &b(Field::AccessToken)).expect("access");
    let refresh = row.get::<_, Option<String>>(4).map(|key_id| {
        keyring.decrypt(&Sealed { key_id, nonce: row.get(5), ciphertext: row.get(6) }, &b(Field::RefreshToken)).expect("refresh")
    });
    (access, refresh)
}

fn tokens_for(app: &ConnectApp, keyring: Arc<Keyring>, client_id: &str) -> Arc<Tokens> {
    let pool = postiz_db::service_pool(&SecretString::from(app.app.db.url()), 4).expect("pool");
    Arc::new(Tokens::new(
        pool,
        keyring,
        Arc::clone(&app.registry),
        oidc_clients(client_id),
        postiz_oauth::http_client(Duration::from_secs(5)),
    ))
}

#[tokio::test]
async fn code_pkce_refresh_rotation_and_key_rotation_end_to_end() {
    let peer = OidcPeer::shared();
    let (registry, network) = registry(peer);
    let app = ConnectApp::new(registry, oidc_clients("postiz-public")).await;

    // Start: PKCE S256 and a state we only keep hashed.
    let url = app.start(&app.owner, "x").await;
    let q: std::collections::HashMap<_, _> = url.query_pairs().into_owned().collect();
    assert_eq!(q["code_challenge_method"], "S256");
    assert!(url.as_str().starts_with(peer.issuer.as_str()));
    let state = state_of(&url);
    let stored_hashes = app
        .count(&format!(
            "select count(*) from postiz.oauth_states where state_hash = sha256('{state}'::bytea) and pkce_ciphertext is not null"
        ))
        .await;
    assert_eq!(stored_hashes, 1, "only the state's hash and the sealed verifier are stored");
    assert_eq!(app.count(&format!("select count(*) from postiz.oauth_states t where t::text like '%{state}%' or position(convert_to('{state}', 'UTF8') in t.state_hash) > 0")).await, 0);

    // The browser logs in and consents; the UI page posts code + state back.
    let (code, returned) = authorize(&url, "alice").await;
    assert_eq!(returned, state);
    let (status, body) = app.callback(&app.owner, "x", &code, &state).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["account"]["external_id"], "alice");
    assert_eq!(body["account"]["reconnected"], false);
    let account: Uuid = body["account"]["id"].as_str().unwrap().parse().unwrap();
    let keyring = Arc::clone(&app.keyring);
    let (access, refresh) = stored(&app, &keyring, account).await;
    network.account_info(&access, None).await.expect("the stored access token works");
    let first_refresh = refresh.expect("offline_access gave a refresh token");
    assert_eq!(app.count("select count(*) from postiz.activity_logs where action = 'account.connected' and actor_id is not null").await, 1);

    // Refresh (the sweep's path): the public client's refresh token rotates.
    let tokens = tokens_for(&app, Arc::clone(&keyring), "postiz-public");
    let refreshed = tokens.if_expiring(account, Duration::from_secs(3600)).await.expect("refresh");
    assert!(matches!(refreshed, Refreshed::Refreshed(_)));
    let (access2, refresh2) = stored(&app, &keyring, account).await;
    let second_refresh = refresh2.expect("rotated refresh token stored");
    assert_ne!(second_refresh.expose_secret(), first_refresh.expose_secret(), "rotated");
    assert_ne!(access2.expose_secret(), access.expose_secret());
    network.account_info(&access2, None).await.expect("new access token works");

    // The spent refresh token is refused by the server: invalid_grant.
    let spec = match network.connection() {
        postiz_providers::Connection::OAuth2(spec) => spec,
        _ => unreachable!(),
    };
    let client = OAuthClient { client_id: "postiz-public".into(), client_secret: None };
    let reuse =
        refresh_grant(&postiz_oauth::http_client(Duration::from_secs(5)), &Endpoints::from_spec(&spec), &client, &first_refresh).await;
    assert!(matches!(reuse, Err(GrantError::InvalidGrant { .. })), "{reuse:?}");

    // Reconnect the same account: tokens replaced in place, one account row.
    let again = connect_x(&app, "alice").await;
    assert_eq!(again, account, "reconnect updates the existing account");
    assert_eq!(app.count("select count(*) from postiz.social_accounts").await, 1);

    // Key rotation: everything moves to the new key and still works.
    let (_, refresh_before) = stored(&app, &keyring, account).await;
    let rotated =
        Arc::new(Keyring::parse(&SecretString::from(format!("k2:{},test-current:{}", base64_key(2), base64_key(7)))).expect("keys"));
    let service = postiz_db::service_pool(&SecretString::from(app.app.db.url()), 2).expect("pool");
    let stats = postiz_worker::rotate::rotate_keys(&service, &rotated, 10, |_| {}).await.expect("rotate");
    assert!(stats.rows("credentials") >= 1);
    assert_eq!(
        app.count("select count(*) from postiz.credentials where access_token_key_id <> 'k2' or refresh_token_key_id <> 'k2'").await,
        0
    );
    let (_, refresh_after) = stored(&app, &rotated, account).await;
    assert_eq!(refresh_after.expect("kept").expose_secret(), refresh_before.expect("had").expose_secret());
    let tokens = tokens_for(&app, Arc::clone(&rotated), "postiz-public");
    assert!(matches!(
        tokens.if_expiring(account, Duration::from_secs(3600)).await.expect("refresh after rotation"),
        Refreshed::Refreshed(_)
    ));

    // A spent refresh token stored back (as after a lost race) is revocation: the sweep marks
    // the account revoked, pauses it and logs it.
    let ws: Uuid =
        app.query_one(&format!("select workspace_id from postiz.credentials where social_account_id = '{account}'")).await.get(0);
    let spent = rotated.encrypt(&first_refresh, &Binding { workspace_id: ws, social_account_id: account, field: Field::RefreshToken });
    app.app
        .db
        .superuser()
        .await
        .execute(
            "update postiz.credentials set refresh_token_key_id = $2, refresh_token_nonce = $3, refresh_token_ciphertext = $4, expires_at = now() where social_account_id = $1",
            &[&account, &spent.key_id, &spent.nonce, &spent.ciphertext],
        )
        .await
        .unwrap();
    let stats = tokens.sweep_once(&SweepConfig { pace: Duration::ZERO, ..SweepConfig::default() }).await.expect("sweep");
    assert_eq!(stats.failed, 1, "{stats:?}");
    assert_eq!(app.count(&format!("select count(*) from postiz.social_accounts where id = '{account}' and status = 'revoked'")).await, 1);
    assert_eq!(app.count("select count(*) from postiz.activity_logs where action = 'account.revoked'").await, 1);
}

fn base64_key(byte: u8) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode([byte; 32])
}

#[tokio::test]
async fn concurrent_refreshes_spend_the_rotating_refresh_token_once() {
    let peer = OidcPeer::shared();
    let (registry, _) = registry(peer);
    let app = ConnectApp::new(registry, oidc_clients("postiz-public")).await;
    let account = connect_x(&app, "bob").await;
    let nonce: Vec<u8> =
        app.query_one(&format!("select access_token_nonce from postiz.credentials where social_account_id = '{account}'")).await.get(0);
    let tokens = tokens_for(&app, Arc::clone(&app.keyring), "postiz-public");

    // Eight jobs refused at once, each holding the same old token.
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (tokens, nonce) = (Arc::clone(&tokens), nonce.clone());
        tasks.spawn(async move { tokens.after_unauthorized(account, &nonce).await });
    }
    let (mut refreshed, mut reused, mut fresh) = (0, 0, Vec::new());
    while let Some(done) = tasks.join_next().await {
        match done.unwrap().expect("every job gets a token") {
            Refreshed::Refreshed(t) => {
                refreshed += 1;
                fresh.push(t.expose_secret().to_owned());
            }
            Refreshed::Reused(t) => {
                reused += 1;
                fresh.push(t.expose_secret().to_owned());
            }
            Refreshed::NotDue => unreachable!(),
        }
    }
    assert_eq!((refreshed, reused), (1, 7), "one refresh, seven reuses");
    fresh.dedup();
    assert_eq!(fresh.len(), 1, "all jobs continue with the same new token");
    // Had any job refreshed again, the server would have refused the spent token and the account
    // would be revoked.
    assert_eq!(app.count(&format!("select count(*) from postiz.social_accounts where id = '{account}' and status = 'active'")).await, 1);
}

#[tokio::test]
async fn expired_access_token_is_refreshed_during_publish_then_published_once() {
    let peer = OidcPeer::shared();
    let (registry, network) = registry(peer);
    let app = ConnectApp::new(registry, oidc_clients("postiz-shortlived")).await;
    let account = connect_x(&app, "carol").await;
    let first_nonce: Vec<u8> =
        app.query_one(&format!("select access_token_nonce from postiz.credentials where social_account_id = '{account}'")).await.get(0);
    // The access token lives two seconds.
    tokio::time::sleep(Duration::from_millis(2500)).await;

    app.schedule_now(account, "hello").await;
    let tokens = tokens_for(&app, Arc::clone(&app.keyring), "postiz-shortlived");
    app.run_worker_until(
        "oidc-test-worker",
        tokens,
        "select count(*) from postiz.post_targets where status in ('published', 'failed', 'pending')",
    )
    .await;

    let status: String = app.query_one("select status::text from postiz.post_targets").await.get(0);
    assert_eq!(status, "published");
    assert_eq!(network.publishes.load(std::sync::atomic::Ordering::SeqCst), 1, "published exactly once, after the refresh");
    assert_eq!(app.count("select attempt::bigint from postiz.queue_jobs").await, 1, "the retry happened inside the same attempt");
    let nonce: Vec<u8> =
        app.query_one(&format!("select access_token_nonce from postiz.credentials where social_account_id = '{account}'")).await.get(0);
    assert_ne!(nonce, first_nonce, "the refreshed token was stored");
    assert_eq!(app.count(&format!("select count(*) from postiz.social_accounts where id = '{account}' and status = 'active'")).await, 1);
}

#[tokio::test]
async fn wrong_state_is_refused() {
    let peer = OidcPeer::shared();
    let app = ConnectApp::new(registry(peer).0, oidc_clients("postiz-public")).await;
    let url = app.start(&app.owner, "x").await;
    let (code, _) = authorize(&url, "dave").await;
    let (status, body) = app.callback(&app.owner, "x", &code, "not-the-state").await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("oauth_state_invalid")), "{body}");
    assert_eq!(app.count("select count(*) from postiz.credentials").await, 0);
}

#[tokio::test]
async fn replayed_state_is_refused() {
    let peer = OidcPeer::shared();
    let app = ConnectApp::new(registry(peer).0, oidc_clients("postiz-public")).await;
    let url = app.start(&app.owner, "x").await;
    let (code, state) = authorize(&url, "erin").await;
    assert_eq!(app.callback(&app.owner, "x", &code, &state).await.0, 200);
    let (status, body) = app.callback(&app.owner, "x", &code, &state).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("oauth_state_used")), "{body}");
}

#[tokio::test]
async fn another_users_state_is_refused_and_not_burned() {
    let peer = OidcPeer::shared();
    let app = ConnectApp::new(registry(peer).0, oidc_clients("postiz-public")).await;
    let mallory = app.app.db.create_user("mallory@example.com").await;
    let _ = ConnectApp::workspace_for(&app.app, &mallory).await;
    let url = app.start(&app.owner, "x").await;
    let (code, state) = authorize(&url, "frank").await;

    let (status, body) = app.callback(&mallory, "x", &code, &state).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("oauth_state_invalid")), "{body}");
    assert_eq!(app.count("select count(*) from postiz.social_accounts").await, 0);
    // A state bound to `x` does not finish another network's flow either.
    let (status, _) = app.callback(&app.owner, "linkedin", &code, &state).await;
    assert_eq!(status, 404, "no linkedin adapter in this registry");

    let (status, body) = app.callback(&app.owner, "x", &code, &state).await;
    assert_eq!(status, 200, "the owner still finishes the flow: {body}");
}

#[tokio::test]
async fn wrong_pkce_verifier_is_refused_by_the_server() {
    let peer = OidcPeer::shared();
    let app = ConnectApp::new(registry(peer).0, oidc_clients("postiz-public")).await;
    let url = app.start(&app.owner, "x").await;
    let state = state_of(&url);
    // Swap the stored verifier for another (validly sealed) one.
    let row = app.query_one(&format!("select id, workspace_id from postiz.oauth_states where state_hash = sha256('{state}'::bytea)")).await;
    let (id, ws): (Uuid, Uuid) = (row.get(0), row.get(1));
    let other = postiz_oauth::grant::Pkce::new();
    let sealed = app.keyring.encrypt(&other.verifier, &Binding { workspace_id: ws, social_account_id: id, field: Field::PkceVerifier });
    app.app
        .db
        .superuser()
        .await
        .execute(
            "update postiz.oauth_states set pkce_key_id = $2, pkce_nonce = $3, pkce_ciphertext = $4 where id = $1",
            &[&id, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
        )
        .await
        .unwrap();
    let (code, _) = authorize(&url, "gina").await;
    let (status, body) = app.callback(&app.owner, "x", &code, &state).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("oauth_code_rejected")), "{body}");
    assert_eq!(app.count("select count(*) from postiz.credentials").await, 0);
}

#[tokio::test]
async fn expired_code_is_refused_by_the_server() {
    let peer = OidcPeer::shared();
    // This client's codes live one second.
    let app = ConnectApp::new(registry(peer).0, oidc_clients("postiz-shortcode")).await;
    let url = app.start(&app.owner, "x").await;
    let (code, state) = authorize(&url, "hank").await;
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let (status, body) = app.callback(&app.owner, "x", &code, &state).await;
    assert_eq!((status, body["error"]["code"].as_str()), (400, Some("oauth_code_rejected")), "{body}");
}

#[tokio::test]
async fn editors_cannot_start_and_outsiders_do_not_see_the_workspace() {
    let peer = OidcPeer::shared();
    let app = ConnectApp::new(registry(peer).0, oidc_clients("postiz-public")).await;
    let editor = app.app.db.create_user("editor@example.com").await;
    let outsider = app.app.db.create_user("outsider@example.com").await;
    app.app
        .db
        .superuser()
        .await
        .execute(
            "insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, 'editor')",
            &[&app.workspace, &editor.id],
        )
        .await
        .unwrap();
    let body = serde_json::json!({"workspace_id": app.workspace});
    assert_eq!(app.post(&editor, "/connect/x/start", body.clone()).await.0, 403);
    assert_eq!(app.post(&outsider, "/connect/x/start", body).await.0, 404);
    assert_eq!(app.count("select count(*) from postiz.oauth_states").await, 0);
}

#[tokio::test]
async fn refused_token_whose_refresh_is_revoked_pauses_the_account_as_revoked() {
    let peer = OidcPeer::shared();
    let (registry, network) = registry(peer);
    let app = ConnectApp::new(registry, oidc_clients("postiz-shortlived")).await;
    let account = connect_x(&app, "ivan").await;
    let (_, refresh) = stored(&app, &app.keyring, account).await;
    let spent = refresh.expect("refresh token");
    // Spend the stored refresh token elsewhere (the network rotates it), leaving ours dead.
    let tokens = tokens_for(&app, Arc::clone(&app.keyring), "postiz-shortlived");
    assert!(matches!(tokens.if_expiring(account, Duration::from_secs(3600)).await.unwrap(), Refreshed::Refreshed(_)));
    let ws: Uuid =
        app.query_one(&format!("select workspace_id from postiz.credentials where social_account_id = '{account}'")).await.get(0);
    let sealed = app.keyring.encrypt(&spent, &Binding { workspace_id: ws, social_account_id: account, field: Field::RefreshToken });
    app.app
        .db
        .superuser()
        .await
        .execute(
            "update postiz.credentials set refresh_token_key_id = $2, refresh_token_nonce = $3, refresh_token_ciphertext = $4 where social_account_id = $1",
            &[&account, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
        )
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(2500)).await;

    app.schedule_now(account, "hi").await;
    app.run_worker_until(
        "oidc-revoke-worker",
        tokens,
        "select count(*) from postiz.queue_jobs where last_error_code = 'account_needs_reconnect'",
    )
    .await;

    assert_eq!(network.publishes.load(std::sync::atomic::Ordering::SeqCst), 0, "nothing went out");
    assert_eq!(app.count(&format!("select count(*) from postiz.social_accounts where id = '{account}' and status = 'revoked'")).await, 1);
    let row = app.query_one("select status::text, last_error_message from postiz.queue_jobs").await;
    assert_eq!(row.get::<_, String>(0), "pending", "paused, resumed on reconnect");
    assert!(row.get::<_, String>(1).starts_with("Reconnect this account: the network revoked its access"), "{}", row.get::<_, String>(1));
    assert_eq!(app.count("select count(*) from postiz.activity_logs where action = 'account.revoked'").await, 1);

    // Reconnecting resumes the paused job.
    let again = connect_x(&app, "ivan").await;
    assert_eq!(again, account);
    assert_eq!(
        app.count("select count(*) from postiz.queue_jobs where status = 'queued' and msg_id is not null").await,
        1,
        "back on the queue"
    );
    assert_eq!(app.count(&format!("select count(*) from postiz.social_accounts where id = '{account}' and status = 'active'")).await, 1);
}
