//! Connection health (issue 18): the pre-flight check verifies an account's token before its
//! scheduled posts are due, against a real database and a wiremock Mastodon server, and the
//! expiry warning tells people a week before a credential that cannot be renewed runs out.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

mod support;

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use postiz_domain::Network;
use postiz_oauth::OAuthClients;
use postiz_oauth::store::{NewConnection, load_credentials, save_connection, save_instance_app, save_refreshed};
use postiz_providers::mastodon::MastodonProvider;
use postiz_providers::{ClientRegistration, HttpClient, OAuthClient, Registry, TokenSet};
use postiz_worker::jobs::preflight_accounts::{PreflightAccounts, PreflightConfig, PreflightStats};
use postiz_worker::jobs::warn_expiring_tokens::WarnExpiringTokens;
use postiz_worker::tokens::{Refreshed, SweepConfig, Tokens};
use secrecy::SecretString;
use serde_json::json;
use support::Fixture;
use uuid::Uuid;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const VERIFY: &str = "/api/v1/accounts/verify_credentials";

struct World {
    f: Fixture,
    server: MockServer,
    account: Uuid,
    author: Uuid,
    admin: Uuid,
    viewer: Uuid,
}

async fn world() -> World {
    let f = Fixture::new().await;
    let server = MockServer::start().await;
    let mut ids = Vec::new();
    for (email, role) in [("ada@example.com", "editor"), ("grace@example.com", "admin"), ("vic@example.com", "viewer")] {
        let id = f.db.create_user(email).await.id;
        f.admin
            .execute(
                "insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, $3::text::postiz.workspace_role)",
                &[&f.workspace, &id, &role],
            )
            .await
            .unwrap();
        ids.push(id);
    }
    let conn = NewConnection {
        workspace_id: f.workspace,
        network: Network::Mastodon,
        external_account_id: "109".into(),
        external_page_id: None,
        handle: Some("alice".into()),
        display_name: Some("Alice".into()),
        avatar_url: None,
        server: Some(server.uri().parse().unwrap()),
        instance_app_id: None,
        meta: json!({}),
    };
    let tokens = TokenSet {
        access_token: SecretString::from("alice-token".to_owned()),
        refresh_token: None,
        expires_in: None,
        refresh_expires_in: None,
        scopes: vec![],
    };
    let account = save_connection(&f.admin, &f.keyring, &conn, &tokens, None).await.unwrap().id;
    World { f, server, account, author: ids[0], admin: ids[1], viewer: ids[2] }
}

impl World {
    /// A post by the author on the account, due in `minutes`.
    async fn post_in(&self, minutes: i64) -> Uuid {
        self.post_by(self.author, minutes).await
    }

    /// A post by `author` on the account, due in `minutes`.
    async fn post_by(&self, author: Uuid, minutes: i64) -> Uuid {
        let post = self.f.post("Launch day", &[self.account], Utc::now() + chrono::Duration::minutes(minutes)).await;
        self.f.admin.execute("update postiz.posts set author_id = $2 where id = $1", &[&post, &author]).await.unwrap();
        post
    }

    fn registry() -> Arc<Registry> {
        Arc::new(Registry::new().with(Arc::new(MastodonProvider::new(HttpClient::for_tests()))))
    }

    fn job(&self) -> PreflightAccounts {
        PreflightAccounts {
            store: self.f.store(),
            registry: Self::registry(),
            keyring: Arc::clone(&self.f.keyring),
            tokens: None,
            config: PreflightConfig { before: Duration::from_secs(2 * 3600), ..PreflightConfig::default() },
        }
    }

    /// The pre-flight with token refresh, as the worker runs it.
    fn job_with_tokens(&self) -> PreflightAccounts {
        PreflightAccounts { tokens: Some(self.tokens()), ..self.job() }
    }

    fn tokens(&self) -> Arc<Tokens> {
        Arc::new(Tokens::new(
            self.f.store().pool().clone(),
            Arc::clone(&self.f.keyring),
            Self::registry(),
            OAuthClients::new(),
            reqwest::Client::new(),
        ))
    }

    /// A Mastodon account that renews its token at the mock server's `/oauth/token` (its client
    /// registration stored as a connection stores it): access token `{handle}-token` expiring
    /// in `expires`, refresh token `{handle}-refresh` lasting `refresh_lasts`.
    async fn refreshable(&self, handle: &str, expires: Duration, refresh_lasts: Option<Duration>) -> Uuid {
        let server = self.server.uri();
        let registration = ClientRegistration {
            client: OAuthClient { client_id: "planner".into(), client_secret: Some(SecretString::from("app-secret".to_owned())) },
            auth_url: format!("{server}/oauth/authorize").parse().unwrap(),
            token_url: format!("{server}/oauth/token").parse().unwrap(),
            scopes: vec!["read".into(), "write".into()],
        };
        let (app, _) = save_instance_app(
            &self.f.admin,
            &self.f.keyring,
            Network::Mastodon,
            &server,
            "https://planner.example/callback",
            &registration,
        )
        .await
        .unwrap();
        let conn = NewConnection {
            workspace_id: self.f.workspace,
            network: Network::Mastodon,
            external_account_id: format!("ext-{handle}"),
            external_page_id: None,
            handle: Some(handle.into()),
            display_name: None,
            avatar_url: None,
            server: Some(server.parse().unwrap()),
            instance_app_id: Some(app),
            meta: json!({}),
        };
        let tokens = TokenSet {
            access_token: SecretString::from(format!("{handle}-token")),
            refresh_token: Some(SecretString::from(format!("{handle}-refresh"))),
            expires_in: Some(expires),
            refresh_expires_in: refresh_lasts,
            scopes: vec![],
        };
        save_connection(&self.f.admin, &self.f.keyring, &conn, &tokens, None).await.unwrap().id
    }

    /// The token endpoint answers the next `times` refreshes with `status` and `body`.
    async fn token_answers(&self, status: u16, body: serde_json::Value, times: u64) {
        Mock::given(method("POST"))
            .and(path("/oauth/token"))
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .up_to_n_times(times)
            .expect(times)
            .mount(&self.server)
            .await;
    }

    async fn status(&self) -> String {
        self.f.admin.query_one("select status::text from postiz.social_accounts where id = $1", &[&self.account]).await.unwrap().get(0)
    }

    /// (recipient, post_id, details) of the account's notifications of `kind`.
    async fn notifications(&self, kind: &str) -> Vec<(Uuid, Option<Uuid>, serde_json::Value)> {
        self.f
            .admin
            .query(
                "select user_id, post_id, details from postiz.notifications
                 where social_account_id = $1 and kind::text = $2 order by user_id",
                &[&self.account, &kind],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2)))
            .collect()
    }

    async fn verify_answers(&self, status: u16, times: u64) {
        Mock::given(method("GET"))
            .and(path(VERIFY))
            .and(header("authorization", "Bearer alice-token"))
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(json!({"id": "109", "username": "alice", "error": "The access token was revoked"})),
            )
            .expect(times)
            .mount(&self.server)
            .await;
    }
}

#[tokio::test]
async fn a_revoked_token_found_ahead_of_its_post_tells_the_author_and_admins_once() {
    let w = world().await;
    w.verify_answers(401, 1).await;
    // An outgoing webhook endpoint of the workspace (its secret is never used: nothing delivers here).
    w.f.admin
        .execute(
            "insert into postiz.webhook_endpoints (workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext)
             values ($1, 'https://hooks.example/health', 'k1', '\\x0102030405060708090a0b0c', '\\x01')",
            &[&w.f.workspace],
        )
        .await
        .unwrap();
    let post = w.post_in(90).await;
    // A later post on the same account in the same window: still one check.
    let later = w.post_in(100).await;
    // The viewer wrote one too (a viewer who was an editor once): they cannot act on it.
    w.post_by(w.viewer, 95).await;

    let first = w.job().round().await.unwrap();
    assert_eq!(first, PreflightStats { needs_reconnect: 1, ..PreflightStats::default() });
    assert_eq!(w.status().await, "needs_reconnect");

    let told = w.notifications("account_needs_reconnect").await;
    let mut expected = vec![w.author, w.admin];
    expected.sort();
    assert_eq!(told.iter().map(|t| t.0).collect::<Vec<_>>(), expected, "the author and the admin, not the viewer");
    assert!(told.iter().all(|t| t.0 != w.viewer));
    for (_, post_id, details) in &told {
        assert_eq!(*post_id, None, "not the notification's post: deleting it must not delete the notice");
        assert_eq!(details["post_id"], post.to_string(), "the first post at risk is named, not {later}");
        assert_eq!(details["network"], "mastodon");
        assert_eq!(details["handle"], "alice");
        assert_eq!(details["time_zone"], "Europe/Berlin");
        let local = details["scheduled_local"].as_str().unwrap();
        assert!(local.ends_with("(Europe/Berlin)"), "{local}");
    }
    // In words, as the inbox and the email show it.
    let event: postiz_domain::NotificationEvent = serde_json::from_value(
        w.f.admin
            .query_one(
                &format!(
                    "select {} from postiz.notifications n where n.user_id = $1 and n.kind = 'account_needs_reconnect'",
                    postiz_db::notifications::EVENT_JSON
                ),
                &[&w.author],
            )
            .await
            .unwrap()
            .get(0),
    )
    .unwrap();
    assert_eq!(event.headline(), "Your Mastodon account alice needs reconnecting");
    assert!(event.detail().unwrap().contains("before its next post, due "), "{:?}", event.detail());

    // The change is logged with where it was found, and the check is recorded.
    let source: String =
        w.f.admin
            .query_one(
                "select details ->> 'source' from postiz.activity_logs where entity_id = $1 and action = 'account.needs_reconnect'",
                &[&w.account],
            )
            .await
            .unwrap()
            .get(0);
    assert_eq!(source, "preflight");
    // The account-status webhook event goes out once.
    let hooks: Vec<serde_json::Value> =
        w.f.admin
            .query("select payload from postiz.webhook_deliveries where event_type = 'account.status_changed'", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert!(hooks[0].to_string().contains("needs_reconnect"), "{}", hooks[0]);
    let outcome: String =
        w.f.admin.query_one("select outcome from postiz.account_checks where social_account_id = $1", &[&w.account]).await.unwrap().get(0);
    assert_eq!(outcome, "needs_reconnect");

    // Run again: the account is no longer active, nothing is asked and nobody is told twice.
    let second = w.job().round().await.unwrap();
    assert_eq!(second, PreflightStats::default());
    assert_eq!(w.notifications("account_needs_reconnect").await.len(), 2);
    assert_eq!(w.f.count("select count(*) from postiz.webhook_deliveries where event_type = 'account.status_changed'").await, 1);
    w.server.verify().await;
}

#[tokio::test]
async fn two_workers_racing_make_one_provider_call() {
    let w = world().await;
    Mock::given(method("GET"))
        .and(path(VERIFY))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"id": "109", "username": "alice"})).set_delay(Duration::from_millis(300)),
        )
        .expect(1)
        .mount(&w.server)
        .await;
    w.post_in(60).await;
    let (a, b) = (w.job(), w.job());
    let (ra, rb) = tokio::join!(a.round(), b.round());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.ok + rb.ok, 1, "{ra:?} {rb:?}");
    // Checked within this window: a third run asks nothing.
    assert_eq!(w.job().round().await.unwrap(), PreflightStats::default());
    assert_eq!(w.status().await, "active");
    assert!(w.notifications("account_needs_reconnect").await.is_empty());
    w.server.verify().await;
}

#[tokio::test]
async fn a_transient_failure_changes_nothing_and_is_checked_again_later() {
    let w = world().await;
    w.verify_answers(503, 3).await; // the adapter retries a read twice
    w.post_in(30).await;
    let first = w.job().round().await.unwrap();
    assert_eq!(first, PreflightStats { retry: 1, ..PreflightStats::default() });
    assert_eq!(w.status().await, "active");
    assert!(w.notifications("account_needs_reconnect").await.is_empty());
    let (retry_at, checked_at): (Option<chrono::DateTime<Utc>>, Option<chrono::DateTime<Utc>>) = {
        let r =
            w.f.admin
                .query_one("select retry_at, checked_at from postiz.account_checks where social_account_id = $1", &[&w.account])
                .await
                .unwrap();
        (r.get(0), r.get(1))
    };
    assert!(retry_at.unwrap() > Utc::now(), "tried again later");
    assert!(checked_at.is_none(), "not counted as checked");
    // Before then, nothing is asked.
    assert_eq!(w.job().round().await.unwrap(), PreflightStats::default());
    w.server.verify().await;

    // Later, the network answers and the check passes.
    w.server.reset().await;
    w.verify_answers(200, 1).await;
    w.f.admin
        .execute("update postiz.account_checks set retry_at = now() - interval '1 second' where social_account_id = $1", &[&w.account])
        .await
        .unwrap();
    assert_eq!(w.job().round().await.unwrap(), PreflightStats { ok: 1, ..PreflightStats::default() });
    assert_eq!(w.status().await, "active");
    w.server.verify().await;
}

#[tokio::test]
async fn a_post_outside_the_window_causes_no_call() {
    let w = world().await;
    w.verify_answers(401, 0).await;
    w.post_in(5 * 60).await;
    assert_eq!(w.job().round().await.unwrap(), PreflightStats::default());
    assert_eq!(w.status().await, "active");
    assert_eq!(w.f.count("select count(*) from postiz.account_checks").await, 0);
    w.server.verify().await;
}

#[tokio::test]
async fn a_token_expiring_in_six_days_warns_once() {
    let w = world().await;
    // The Mastodon token has no refresh token: its own expiry is the credential's.
    w.f.admin
        .execute("update postiz.credentials set expires_at = now() + interval '6 days' where social_account_id = $1", &[&w.account])
        .await
        .unwrap();
    // Another account whose token expires in ten days: not yet.
    let other = w.f.account("far").await;
    w.f.admin
        .execute("update postiz.credentials set expires_at = now() + interval '10 days' where social_account_id = $1", &[&other])
        .await
        .unwrap();

    let job = WarnExpiringTokens { pool: w.f.store().pool().clone(), ahead: WarnExpiringTokens::DEFAULT_AHEAD };
    let (a, b) = tokio::join!(job.round(), job.round());
    assert_eq!(a.unwrap() + b.unwrap(), 1, "two runs at once warn once");
    assert_eq!(job.round().await.unwrap(), 0, "and a later run not again");

    let told = w.notifications("token_expiring").await;
    assert_eq!(told.iter().map(|t| t.0).collect::<Vec<_>>(), vec![w.admin], "the admin (nobody connected it through the API here)");
    let details = &told[0].2;
    assert_eq!(details["network"], "mastodon");
    assert!(details["expires_local"].as_str().unwrap().ends_with("(Europe/Berlin)"));
    let none_for_other: i64 =
        w.f.admin.query_one("select count(*) from postiz.notifications where social_account_id = $1", &[&other]).await.unwrap().get(0);
    assert_eq!(none_for_other, 0);

    // Reconnected with a new token that again expires within the week: a new expiry, one new warning.
    w.f.admin
        .execute("update postiz.credentials set expires_at = now() + interval '5 days' where social_account_id = $1", &[&w.account])
        .await
        .unwrap();
    assert_eq!(job.round().await.unwrap(), 1);
    assert_eq!(w.notifications("token_expiring").await.len(), 2);
}

#[tokio::test]
async fn a_refresh_token_the_network_gave_a_lifetime_is_stored_and_warned_of() {
    let w = world().await;
    // LinkedIn-like: a 60-day access token renewed by a refresh token that itself lasts six more days.
    let conn = NewConnection {
        workspace_id: w.f.workspace,
        network: Network::Mastodon,
        external_account_id: "110".into(),
        external_page_id: None,
        handle: Some("bob".into()),
        display_name: None,
        avatar_url: None,
        server: Some(w.server.uri().parse().unwrap()),
        instance_app_id: None,
        meta: json!({}),
    };
    let tokens = TokenSet {
        access_token: SecretString::from("bob-token".to_owned()),
        refresh_token: Some(SecretString::from("bob-refresh".to_owned())),
        expires_in: Some(Duration::from_secs(60 * 86_400)),
        refresh_expires_in: Some(Duration::from_secs(6 * 86_400)),
        scopes: vec![],
    };
    let bob = save_connection(&w.f.admin, &w.f.keyring, &conn, &tokens, None).await.unwrap().id;
    let days: f64 = w
        .f
        .admin
        .query_one(
            "select extract(epoch from refresh_expires_at - now())::float8 / 86400 from postiz.credentials where social_account_id = $1",
            &[&bob],
        )
        .await
        .unwrap()
        .get(0);
    assert!((5.99..=6.0).contains(&days), "{days}");

    let job = WarnExpiringTokens { pool: w.f.store().pool().clone(), ahead: WarnExpiringTokens::DEFAULT_AHEAD };
    assert_eq!(job.round().await.unwrap(), 1, "the refresh token's expiry, not the access token's, is the one that matters");
    assert_eq!(job.round().await.unwrap(), 0);
}

/// Waits until `n` backends of the test database wait for a lock.
async fn until_waiting_for_locks(w: &World, n: i64) {
    for _ in 0..200 {
        let waiting =
            w.f.count("select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'").await;
        if waiting >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{n} backends never waited for a lock");
}

#[tokio::test]
async fn the_expiry_warning_and_the_claim_take_accounts_in_one_order_and_never_deadlock() {
    let w = world().await;
    Mock::given(method("GET"))
        .and(path(VERIFY))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "109", "username": "alice"})))
        .mount(&w.server)
        .await;
    let other = w.f.account("second").await;
    let (first, second) = if w.account < other { (w.account, other) } else { (other, w.account) };
    // The warning takes the accounts by expiry and the claim by their posts' times, the other
    // way round from account order: `first` expires first but posts last.
    for (account, days, minutes) in [(first, 2, 60), (second, 3, 30)] {
        w.f.admin
            .execute(
                "update postiz.credentials set expires_at = now() + make_interval(days => $2),
                        refresh_expires_at = now() + make_interval(days => $2)
                 where social_account_id = $1",
                &[&account, &days],
            )
            .await
            .unwrap();
        w.f.post("Due", &[account], Utc::now() + chrono::Duration::minutes(minutes)).await;
    }
    // Hold the warning right after it claimed `first` (its notification waits on this lock) …
    let blocker = w.f.db.superuser().await;
    blocker.batch_execute("begin; lock table postiz.notifications in share mode").await.unwrap();
    let warn = WarnExpiringTokens { pool: w.f.store().pool().clone(), ahead: WarnExpiringTokens::DEFAULT_AHEAD };
    let warning = tokio::spawn(async move { warn.round().await });
    until_waiting_for_locks(&w, 1).await;
    // … while the pre-flight claims both.
    let job = w.job();
    let claiming = tokio::spawn(async move { job.round().await });
    until_waiting_for_locks(&w, 2).await;
    blocker.batch_execute("commit").await.unwrap();

    let (warned, claimed) =
        tokio::time::timeout(Duration::from_secs(20), async { (warning.await.unwrap(), claiming.await.unwrap()) }).await.unwrap();
    assert_eq!(warned.unwrap(), 2, "both accounts warned of");
    let stats = claimed.unwrap();
    assert_eq!(stats.ok + stats.retry, 2, "both accounts claimed: {stats:?}");
}

#[tokio::test]
async fn refreshes_in_the_last_week_keep_the_expiry_and_warn_once() {
    let w = world().await;
    let bob = w.refreshable("bob", Duration::from_secs(60), Some(Duration::from_secs(6 * 86_400))).await;
    let warn = WarnExpiringTokens { pool: w.f.store().pool().clone(), ahead: WarnExpiringTokens::DEFAULT_AHEAD };
    assert_eq!(warn.round().await.unwrap(), 1);
    let stored = || async {
        w.f.admin
            .query_one("select refresh_expires_at from postiz.credentials where social_account_id = $1", &[&bob])
            .await
            .unwrap()
            .get::<_, chrono::DateTime<Utc>>(0)
    };
    let before = stored().await;
    let tokens = w.tokens();

    // LinkedIn-like: the refresh token's remaining lifetime, a few seconds off the stored expiry.
    w.token_answers(
        200,
        json!({"access_token": "bob-token-2", "token_type": "Bearer", "refresh_token": "bob-refresh-2", "expires_in": 60,
               "refresh_token_expires_in": 6 * 86_400 - 7}),
        1,
    )
    .await;
    assert!(matches!(tokens.if_expiring(bob, Duration::from_secs(3600)).await.unwrap(), Refreshed::Refreshed(_)));
    assert_eq!(warn.round().await.unwrap(), 0, "not warned of again after a refresh");
    assert_eq!(stored().await, before, "an expiry within the hour of the stored one is the same expiry");

    // A refresh that does not say the refresh token's lifetime keeps it.
    w.token_answers(
        200,
        json!({"access_token": "bob-token-3", "token_type": "Bearer", "refresh_token": "bob-refresh-3", "expires_in": 60}),
        1,
    )
    .await;
    assert!(matches!(tokens.if_expiring(bob, Duration::from_secs(3600)).await.unwrap(), Refreshed::Refreshed(_)));
    assert_eq!(stored().await, before);
    assert_eq!(warn.round().await.unwrap(), 0);

    let told: i64 =
        w.f.admin
            .query_one("select count(*) from postiz.notifications where social_account_id = $1 and kind = 'token_expiring'", &[&bob])
            .await
            .unwrap()
            .get(0);
    assert_eq!(told, 1, "one notification (the admin) for two refreshes in the last week");
    w.server.verify().await;
}

impl World {
    /// A post by the author on `account`, due in `minutes`.
    async fn post_on(&self, account: Uuid, minutes: i64) -> Uuid {
        let post = self.f.post("Launch day", &[account], Utc::now() + chrono::Duration::minutes(minutes)).await;
        self.f.admin.execute("update postiz.posts set author_id = $2 where id = $1", &[&post, &self.author]).await.unwrap();
        post
    }

    async fn status_of(&self, account: Uuid) -> String {
        self.f.admin.query_one("select status::text from postiz.social_accounts where id = $1", &[&account]).await.unwrap().get(0)
    }

    /// Recipients of the notifications about `account`, sorted.
    async fn told_about(&self, account: Uuid) -> Vec<Uuid> {
        self.f
            .admin
            .query(
                "select user_id from postiz.notifications where social_account_id = $1 and kind = 'account_needs_reconnect' order by user_id",
                &[&account],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect()
    }

    /// The verify call with `token` answers `status`, `times` times.
    async fn verify_with(&self, token: &str, status: u16, times: u64) {
        Mock::given(method("GET"))
            .and(path(VERIFY))
            .and(header("authorization", format!("Bearer {token}").as_str()))
            .respond_with(
                ResponseTemplate::new(status).set_body_json(json!({"id": "1", "username": "u", "error": "The access token is invalid"})),
            )
            .up_to_n_times(times)
            .expect(times)
            .mount(&self.server)
            .await;
    }

    fn author_and_admin(&self) -> Vec<Uuid> {
        let mut expected = vec![self.author, self.admin];
        expected.sort();
        expected
    }
}

#[tokio::test]
async fn a_refused_token_that_a_refresh_renews_passes_the_check() {
    let w = world().await;
    let carol = w.refreshable("carol", Duration::from_secs(3600), None).await;
    w.post_on(carol, 45).await;
    w.verify_with("carol-token", 401, 1).await;
    w.token_answers(
        200,
        json!({"access_token": "carol-token-2", "token_type": "Bearer", "refresh_token": "carol-refresh-2", "expires_in": 3600}),
        1,
    )
    .await;
    let before: Vec<u8> =
        w.f.admin
            .query_one("select access_token_nonce from postiz.credentials where social_account_id = $1", &[&carol])
            .await
            .unwrap()
            .get(0);

    assert_eq!(w.job_with_tokens().round().await.unwrap(), PreflightStats { ok: 1, ..PreflightStats::default() });
    assert_eq!(w.status_of(carol).await, "active");
    assert!(w.told_about(carol).await.is_empty());
    let (outcome, nonce): (String, Vec<u8>) = {
        let r =
            w.f.admin
                .query_one(
                    "select k.outcome, c.access_token_nonce from postiz.account_checks k
                 join postiz.credentials c on c.social_account_id = k.social_account_id where k.social_account_id = $1",
                    &[&carol],
                )
                .await
                .unwrap();
        (r.get(0), r.get(1))
    };
    assert_eq!(outcome, "ok");
    assert_ne!(nonce, before, "the renewed token is stored");
    w.server.verify().await;
}

#[tokio::test]
async fn a_refresh_answered_invalid_grant_revokes_the_account_and_tells_its_people_once() {
    let w = world().await;
    let dave = w.refreshable("dave", Duration::from_secs(3600), None).await;
    w.post_on(dave, 45).await;
    // The viewer wrote one of dave's posts too: they cannot reconnect nor reschedule, so are not told.
    let by_viewer = w.post_on(dave, 50).await;
    w.f.admin.execute("update postiz.posts set author_id = $2 where id = $1", &[&by_viewer, &w.viewer]).await.unwrap();
    w.verify_with("dave-token", 401, 1).await;
    w.token_answers(400, json!({"error": "invalid_grant", "error_description": "The refresh token was revoked"}), 1).await;

    assert_eq!(w.job_with_tokens().round().await.unwrap(), PreflightStats { needs_reconnect: 1, ..PreflightStats::default() });
    assert_eq!(w.status_of(dave).await, "revoked");
    assert_eq!(w.told_about(dave).await, w.author_and_admin(), "the author and the admin");
    // A second round asks nothing and tells nobody again.
    assert_eq!(w.job_with_tokens().round().await.unwrap(), PreflightStats::default());
    assert_eq!(w.told_about(dave).await.len(), 2);
    w.server.verify().await;
}

#[tokio::test]
async fn the_token_sweep_answered_invalid_grant_tells_the_same_people_once() {
    let w = world().await;
    let erin = w.refreshable("erin", Duration::from_secs(60), None).await;
    w.post_on(erin, 300).await;
    w.token_answers(400, json!({"error": "invalid_grant"}), 1).await;
    let config = SweepConfig { pace: Duration::ZERO, ..SweepConfig::default() };
    let stats = w.tokens().sweep_once(&config).await.unwrap();
    assert_eq!(stats.failed, 1, "{stats:?}");
    assert_eq!(w.status_of(erin).await, "revoked");
    assert_eq!(w.told_about(erin).await, w.author_and_admin());
    assert_eq!(w.tokens().sweep_once(&config).await.unwrap().failed, 0, "a revoked account is not swept again");
    assert_eq!(w.told_about(erin).await.len(), 2);
    w.server.verify().await;
}

#[tokio::test]
async fn reconnecting_an_account_starts_its_health_afresh() {
    let w = world().await;
    w.verify_answers(401, 1).await;
    w.post_in(60).await;
    assert_eq!(w.job().round().await.unwrap(), PreflightStats { needs_reconnect: 1, ..PreflightStats::default() });
    let checks = "select count(*) from postiz.account_checks";
    assert_eq!(w.f.count(checks).await, 1);

    // Reconnected (the connect flow stores the connection through save_connection).
    let conn = NewConnection {
        workspace_id: w.f.workspace,
        network: Network::Mastodon,
        external_account_id: "109".into(),
        external_page_id: None,
        handle: Some("alice".into()),
        display_name: Some("Alice".into()),
        avatar_url: None,
        server: Some(w.server.uri().parse().unwrap()),
        instance_app_id: None,
        meta: json!({}),
    };
    let tokens = TokenSet {
        access_token: SecretString::from("alice-new-token".to_owned()),
        refresh_token: None,
        expires_in: None,
        refresh_expires_in: None,
        scopes: vec![],
    };
    let saved = save_connection(&w.f.admin, &w.f.keyring, &conn, &tokens, Some(w.admin)).await.unwrap();
    assert!(saved.reconnected);
    assert_eq!(w.status().await, "active");
    assert_eq!(w.f.count(checks).await, 0, "the old connection's \"needs reconnecting\" is not shown for the new one");

    // And the new token is checked in this window, not taken as checked.
    w.verify_with("alice-new-token", 200, 1).await;
    assert_eq!(w.job().round().await.unwrap(), PreflightStats { ok: 1, ..PreflightStats::default() });
    w.server.verify().await;
}

impl World {
    /// Waits until the mock server received `n` requests.
    async fn until_requests(&self, n: usize) {
        for _ in 0..200 {
            if self.server.received_requests().await.unwrap().len() >= n {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        panic!("the network never received {n} requests");
    }

    /// The first verify call answers `status` after `delay`; later ones answer 200.
    async fn slow_then_fine(&self, status: u16, delay: Duration) {
        Mock::given(method("GET"))
            .and(path(VERIFY))
            .respond_with(ResponseTemplate::new(status).set_body_json(json!({"error": "The access token is invalid"})).set_delay(delay))
            .up_to_n_times(1)
            .expect(1)
            .mount(&self.server)
            .await;
        Mock::given(method("GET"))
            .and(path(VERIFY))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": "109", "username": "alice"})))
            .mount(&self.server)
            .await;
    }

    async fn check_row(&self) -> (Option<String>, Option<Uuid>, Option<String>) {
        let r = self
            .f
            .admin
            .query_one("select outcome, lease_id, last_error from postiz.account_checks where social_account_id = $1", &[&self.account])
            .await
            .unwrap();
        (r.get(0), r.get(1), r.get(2))
    }
}

#[tokio::test]
async fn a_worker_whose_lease_was_taken_over_records_nothing() {
    let w = world().await;
    w.slow_then_fine(401, Duration::from_millis(1500)).await;
    w.post_in(60).await;
    let slow = w.job();
    let first = tokio::spawn(async move { slow.round().await });
    w.until_requests(1).await;
    // Its lease runs out mid-call; a second worker takes the account over and finds the token fine.
    w.f.admin
        .execute("update postiz.account_checks set lease_until = now() - interval '1 second' where social_account_id = $1", &[&w.account])
        .await
        .unwrap();
    assert_eq!(w.job().round().await.unwrap(), PreflightStats { ok: 1, ..PreflightStats::default() });
    // The first worker's late "refused" changes nothing.
    assert_eq!(first.await.unwrap().unwrap(), PreflightStats { needs_reconnect: 1, ..PreflightStats::default() });
    assert_eq!(w.status().await, "active");
    assert!(w.notifications("account_needs_reconnect").await.is_empty());
    assert_eq!(w.check_row().await, (Some("ok".into()), None, None), "the second worker's record stands");
    assert_eq!(w.f.count("select count(*) from postiz.activity_logs where action = 'account.needs_reconnect'").await, 0);
    w.server.verify().await;
}

#[tokio::test]
async fn a_network_that_does_not_answer_in_time_is_asked_again_later() {
    let w = world().await;
    w.slow_then_fine(200, Duration::from_secs(3)).await;
    w.post_in(60).await;
    let job = PreflightAccounts { config: PreflightConfig { check_timeout: Duration::from_millis(200), ..w.job().config }, ..w.job() };
    let started = std::time::Instant::now();
    assert_eq!(job.round().await.unwrap(), PreflightStats { retry: 1, ..PreflightStats::default() });
    assert!(started.elapsed() < Duration::from_secs(2), "{:?}", started.elapsed());
    let (outcome, lease, error) = w.check_row().await;
    assert_eq!((outcome.as_deref(), lease), (Some("retry"), None));
    assert_eq!(error.as_deref(), Some("Mastodon did not answer within 200ms"));
    assert_eq!(w.status().await, "active");
}

#[tokio::test]
async fn a_refusal_of_a_token_renewed_meanwhile_does_not_pause_the_account() {
    let w = world().await;
    w.slow_then_fine(401, Duration::from_millis(1000)).await;
    w.post_in(60).await;
    let job = w.job();
    let check = tokio::spawn(async move { job.round().await });
    w.until_requests(1).await;
    // While the old token is being refused, another job renews it.
    let creds = load_credentials(&w.f.admin, w.account, false).await.unwrap().unwrap();
    let renewed = TokenSet {
        access_token: SecretString::from("alice-renewed".to_owned()),
        refresh_token: None,
        expires_in: Some(Duration::from_secs(3600)),
        refresh_expires_in: None,
        scopes: vec![],
    };
    assert!(save_refreshed(&w.f.admin, &w.f.keyring, &creds, &renewed).await.unwrap());
    check.await.unwrap().unwrap();
    assert_eq!(w.status().await, "active", "the new token was never refused");
    assert!(w.notifications("account_needs_reconnect").await.is_empty());
    let (outcome, lease, _) = w.check_row().await;
    assert_eq!((outcome.as_deref(), lease), (Some("retry"), None));
    // Checked again at once, with the new token.
    assert_eq!(w.job().round().await.unwrap(), PreflightStats { ok: 1, ..PreflightStats::default() });
    w.server.verify().await;
}

#[tokio::test]
async fn each_occurrence_of_a_recurring_post_is_checked_ahead_not_only_the_first() {
    let w = world().await;
    // A daily post whose first occurrence went out yesterday; the next is due in 30 minutes.
    let post = w.post_in(-24 * 60).await;
    w.f.admin.execute("update postiz.posts set status = 'published' where id = $1", &[&post]).await.unwrap();
    w.f.admin.execute("update postiz.post_targets set status = 'published' where post_id = $1", &[&post]).await.unwrap();
    w.f.admin
        .execute(
            "insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule, time_zone)
             values ($1, 'recurring', $2, now() - interval '1 day', 'FREQ=DAILY', 'UTC')",
            &[&w.f.workspace, &post],
        )
        .await
        .unwrap();
    w.f.admin
        .execute(
            "update postiz.schedules set next_run_at = now() + interval '30 minutes', last_run_at = now() - interval '1 day' where post_id = $1",
            &[&post],
        )
        .await
        .unwrap();
    w.verify_answers(200, 1).await;
    assert_eq!(w.job().round().await.unwrap(), PreflightStats { ok: 1, ..PreflightStats::default() }, "the next occurrence is checked");
    assert_eq!(w.job().round().await.unwrap(), PreflightStats::default(), "once per window");
    w.server.verify().await;

    // The occurrence after, a day later: checked again when its own window opens, not before.
    w.f.admin.execute("update postiz.account_checks set checked_at = now() - interval '1 day'", &[]).await.unwrap();
    w.f.admin.execute("update postiz.schedules set next_run_at = now() + interval '5 hours' where post_id = $1", &[&post]).await.unwrap();
    assert_eq!(w.job().round().await.unwrap(), PreflightStats::default(), "outside the window: no call");
    w.f.admin
        .execute("update postiz.schedules set next_run_at = now() + interval '90 minutes' where post_id = $1", &[&post])
        .await
        .unwrap();
    w.server.reset().await;
    w.verify_answers(401, 1).await;
    let stats = w.job().round().await.unwrap();
    assert_eq!(stats.needs_reconnect, 1, "{stats:?}");
    assert_eq!(w.status().await, "needs_reconnect");
    let told = w.notifications("account_needs_reconnect").await;
    assert!(told.iter().any(|(who, ..)| *who == w.admin), "its admins are told: {told:?}");
    w.server.verify().await;
}
