//! Outgoing webhooks against a real receiver that verifies every delivery with the official
//! `standardwebhooks` package (PyPI, 1.0.0), installed by this test into a venv cached under
//! `target/peers/standardwebhooks` and run as a small `http.server` on 127.0.0.1. The receiver
//! logs what it verified (and anything it could not) to a file the test reads, and answers with
//! the status written in a mode file (an outage), or 204.
//!
//! Proves: events written by the triggers (a target queued, publishing, published) are each
//! delivered and verified once the receiver recovers from answering 503 and from being down,
//! none lost; the attempts record the response codes; repeated failures disable the endpoint and
//! notify the admins, and its deliveries wait; an address in a private network is refused
//! without the operator's allow list.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use postiz_testkit::pypi;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use postiz_providers::http::PrivateAllowList;
use postiz_testkit::TestDatabase;
use postiz_vault::{Binding, Field, Keyring};
use postiz_worker::jobs::Job;
use postiz_worker::jobs::deliver_webhooks::{DeliverWebhooks, WebhookJobConfig, message_id, new_secret};
use secrecy::SecretString;
use uuid::Uuid;

const STANDARDWEBHOOKS: &str = "standardwebhooks==1.0.0";

const RECEIVER: &str = r#"
import json, sys
from http.server import HTTPServer, BaseHTTPRequestHandler
from standardwebhooks.webhooks import Webhook

port, secret, log_path, mode_path = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
wh = Webhook(secret)

def log(entry):
    with open(log_path, "a") as f:
        f.write(json.dumps(entry) + "\n")

class Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
        try:
            mode = open(mode_path).read().strip()
        except FileNotFoundError:
            mode = "ok"
        if mode != "ok":
            self.send_response(int(mode))
            self.end_headers()
            return
        headers = {k.lower(): v for k, v in self.headers.items()}
        try:
            payload = wh.verify(body, headers)
        except Exception as e:
            log({"verified": False, "error": repr(e)})
            self.send_response(401)
            self.end_headers()
            return
        log({"verified": True, "id": headers["webhook-id"], "payload": payload})
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass

HTTPServer(("127.0.0.1", port), Handler).serve_forever()
"#;

/// The venv's python with `standardwebhooks` installed.
fn python() -> PathBuf {
    pypi::python("standardwebhooks", STANDARDWEBHOOKS)
}

/// A running receiver.
struct Receiver {
    child: Child,
}

impl Receiver {
    fn start(port: u16, secret: &str, dir: &Path) -> Self {
        let script = dir.join("receiver.py");
        std::fs::write(&script, RECEIVER).unwrap();
        let child = Command::new(python())
            .arg(&script)
            .arg(port.to_string())
            .arg(secret)
            .arg(dir.join("log.jsonl"))
            .arg(dir.join("mode"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the receiver");
        // Ready when the port accepts a connection (polled, never a fixed sleep).
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "the receiver did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child }
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

struct World {
    db: TestDatabase,
    workspace: Uuid,
    admin: Uuid,
    target: Uuid,
    endpoint: Uuid,
    secret: String,
    dir: PathBuf,
    port: u16,
}

async fn world() -> World {
    let db = TestDatabase::new().await;
    let su = db.superuser().await;
    let admin = db.create_user("ada@example.com").await.id;
    let workspace: Uuid = su
        .query_one(
            "insert into postiz.workspaces (name, slug, time_zone) values ('Acme', $1, 'UTC') returning id",
            &[&format!("acme-{}", &Uuid::new_v4().simple().to_string()[..8])],
        )
        .await
        .unwrap()
        .get(0);
    su.execute("insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, 'admin')", &[&workspace, &admin])
        .await
        .unwrap();
    let account: Uuid = su
        .query_one(
            "insert into postiz.social_accounts (workspace_id, network, external_account_id, handle) values ($1, 'mastodon', 'acme', 'acme@social.example') returning id",
            &[&workspace],
        )
        .await
        .unwrap()
        .get(0);
    let post: Uuid = su
        .query_one("insert into postiz.posts (workspace_id, status, content) values ($1, 'scheduled', 'Hello') returning id", &[&workspace])
        .await
        .unwrap()
        .get(0);
    let target: Uuid = su
        .query_one(
            "insert into postiz.post_targets (workspace_id, post_id, social_account_id) values ($1, $2, $3) returning id",
            &[&workspace, &post, &account],
        )
        .await
        .unwrap()
        .get(0);
    let port = free_port();
    let endpoint = Uuid::new_v4();
    let secret = new_secret();
    let sealed = Keyring::for_testing().encrypt(
        &SecretString::from(secret.clone()),
        &Binding { workspace_id: workspace, social_account_id: endpoint, field: Field::WebhookSecret },
    );
    su.execute(
        "insert into postiz.webhook_endpoints (id, workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext) values ($1, $2, $3, $4, $5, $6)",
        &[&endpoint, &workspace, &format!("http://127.0.0.1:{port}/hooks"), &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
    )
    .await
    .unwrap();
    let dir = std::env::temp_dir().join(format!("postiz-webhooks-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    World { db, workspace, admin, target, endpoint, secret, dir, port }
}

impl World {
    /// The target's status changes as the worker records it (service_role): each is an event.
    async fn target_becomes(&self, status: &str) {
        let service = self.db.as_service().await;
        service.execute(&format!("update postiz.post_targets set status = '{status}' where id = $1"), &[&self.target]).await.unwrap();
        service.commit().await.unwrap();
    }

    fn job(&self, config: WebhookJobConfig) -> DeliverWebhooks {
        DeliverWebhooks::new(
            postiz_db::service_pool(&SecretString::from(self.db.url()), 4).unwrap(),
            Arc::new(Keyring::for_testing()),
            config,
        )
        .unwrap()
    }

    /// Retries at once (a zero backoff), the loopback receiver allowed.
    fn config(&self) -> WebhookJobConfig {
        WebhookJobConfig {
            max_attempts: 20,
            retry_base: Duration::ZERO,
            disable_after_failures: 100,
            timeout: Duration::from_secs(5),
            private_allow: PrivateAllowList::parse(&["127.0.0.0/8"]).unwrap(),
            ..WebhookJobConfig::default()
        }
    }

    fn set_mode(&self, mode: &str) {
        std::fs::write(self.dir.join("mode"), mode).unwrap();
    }

    /// What the receiver logged.
    fn received(&self) -> Vec<serde_json::Value> {
        let Ok(text) = std::fs::read_to_string(self.dir.join("log.jsonl")) else { return Vec::new() };
        text.lines().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// (event type, status, attempts, last response code, last error) per delivery, in order.
    async fn deliveries(&self) -> Vec<(String, String, i32, Option<i32>, Option<String>)> {
        self.db
            .superuser()
            .await
            .query(
                "select event_type, status::text, attempts, last_response_code, last_error from postiz.webhook_deliveries where endpoint_id = $1 order by id",
                &[&self.endpoint],
            )
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4)))
            .collect()
    }
}

#[tokio::test]
async fn every_event_is_delivered_and_verified_after_an_outage() {
    let w = world().await;
    w.set_mode("503");
    let receiver = Receiver::start(w.port, &w.secret, &w.dir);
    for status in ["queued", "publishing", "published"] {
        w.target_becomes(status).await;
    }
    let job = w.job(w.config());

    // The receiver answers 503: every delivery is attempted, recorded and kept.
    assert_eq!(job.run_once().await.unwrap(), 3);
    let rows = w.deliveries().await;
    assert_eq!(rows.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(), ["post.queued", "post.publishing", "post.published"]);
    for (event, status, attempts, code, error) in &rows {
        assert_eq!((status.as_str(), *attempts, *code), ("pending", 1, Some(503)), "{event}");
        assert!(error.as_deref().unwrap_or_default().contains("503"), "{event}: {error:?}");
    }

    // The receiver is down: another failed attempt each, without a response code.
    drop(receiver);
    assert_eq!(job.run_once().await.unwrap(), 3);
    for (event, status, attempts, code, error) in w.deliveries().await {
        assert_eq!((status.as_str(), attempts, code), ("pending", 2, None), "{event}");
        assert!(error.as_deref().unwrap_or_default().contains("could not be reached"), "{event}: {error:?}");
    }
    let failures: i32 =
        w.db.superuser()
            .await
            .query_one("select consecutive_failures from postiz.webhook_endpoints where id = $1", &[&w.endpoint])
            .await
            .unwrap()
            .get(0);
    assert_eq!(failures, 6, "failed attempts in a row count on the endpoint");

    // Back up and answering: every event arrives, verified by the standardwebhooks library.
    w.set_mode("ok");
    let _receiver = Receiver::start(w.port, &w.secret, &w.dir);
    assert_eq!(job.run_once().await.unwrap(), 3);
    for (event, status, attempts, code, error) in w.deliveries().await {
        assert_eq!((status.as_str(), attempts, code, error), ("delivered", 3, Some(204), None), "{event}");
    }
    let received = w.received();
    assert!(received.iter().all(|r| r["verified"] == true), "every delivery verifies: {received:?}");
    let types: Vec<&str> = received.iter().map(|r| r["payload"]["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["post.queued", "post.publishing", "post.published"]);
    for r in &received {
        assert_eq!(r["payload"]["data"]["target_id"], w.target.to_string());
        assert_eq!(r["payload"]["data"]["workspace_id"], w.workspace.to_string());
        assert_eq!(r["payload"]["data"]["network"], "mastodon");
        assert!(r["payload"]["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    let event_ids: Vec<String> =
        w.db.superuser()
            .await
            .query("select event_id from postiz.webhook_deliveries where endpoint_id = $1 order by id", &[&w.endpoint])
            .await
            .unwrap()
            .iter()
            .map(|r| message_id(r.get(0)))
            .collect();
    let ids: Vec<String> = received.iter().map(|r| r["id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(ids, event_ids, "webhook-id is the event's, the same on every attempt");
    let body = serde_json::to_string(&received).unwrap();
    assert!(!body.contains(&w.secret), "the secret never travels");

    // Nothing more to send; a success reset the endpoint's failure count.
    assert_eq!(job.run_once().await.unwrap(), 0);
    assert_eq!(w.received().len(), 3);
    let failures: i32 =
        w.db.superuser()
            .await
            .query_one("select consecutive_failures from postiz.webhook_endpoints where id = $1", &[&w.endpoint])
            .await
            .unwrap()
            .get(0);
    assert_eq!(failures, 0);
}

#[tokio::test]
async fn repeated_failures_disable_the_endpoint_and_tell_its_admins() {
    let w = world().await;
    w.set_mode("500");
    let _receiver = Receiver::start(w.port, &w.secret, &w.dir);
    w.target_becomes("queued").await;
    w.target_becomes("publishing").await;
    let job = w.job(WebhookJobConfig { disable_after_failures: 3, ..w.config() });

    job.run_once().await.unwrap();
    job.run_once().await.unwrap();
    let su = w.db.superuser().await;
    let row = su
        .query_one("select enabled, disabled_reason, consecutive_failures from postiz.webhook_endpoints where id = $1", &[&w.endpoint])
        .await
        .unwrap();
    let (enabled, reason, failures): (bool, Option<String>, i32) = (row.get(0), row.get(1), row.get(2));
    assert!(!enabled, "disabled after 3 failures in a row");
    assert!(failures >= 3);
    let reason = reason.unwrap();
    assert!(reason.contains("in a row") && reason.contains("500"), "{reason}");

    let told = su
        .query(
            "select user_id, details ->> 'url', details ->> 'reason' from postiz.notifications where workspace_id = $1 and kind = 'webhook_disabled'",
            &[&w.workspace],
        )
        .await
        .unwrap();
    assert_eq!(told.len(), 1, "the admin is told once");
    assert_eq!(told[0].get::<_, Uuid>(0), w.admin);
    assert_eq!(told[0].get::<_, String>(1), format!("http://127.0.0.1:{}/hooks", w.port));

    // Its deliveries wait (pending, not retried while it is off).
    job.run_once().await.unwrap();
    let before: Vec<i32> = w.deliveries().await.iter().map(|r| r.2).collect();
    job.run_once().await.unwrap();
    let rows = w.deliveries().await;
    assert!(rows.iter().all(|r| r.1 == "pending"), "{rows:?}");
    assert_eq!(rows.iter().map(|r| r.2).collect::<Vec<_>>(), before, "no attempt while disabled");
    let queued: i64 = su.query_one("select count(*) from pgmq.q_webhooks", &[]).await.unwrap().get(0);
    assert_eq!(queued, 0, "their messages are set aside until it is turned on again");
    assert!(w.received().is_empty());

    // The admin sends a test event while it is off: it is tried once, and its failure neither
    // retries nor counts (nor tells anyone again).
    let test_event = "select postiz_private.emit_webhook_event($1, 'webhook.test', null, '{\"message\": \"test\"}'::jsonb, $2)";
    su.execute(test_event, &[&w.workspace, &w.endpoint]).await.unwrap();
    job.run_once().await.unwrap();
    let test = w.deliveries().await.into_iter().find(|r| r.0 == "webhook.test").unwrap();
    assert_eq!((test.1.as_str(), test.2, test.3), ("failed", 1, Some(500)), "{test:?}");
    let queued: i64 = su.query_one("select count(*) from pgmq.q_webhooks", &[]).await.unwrap().get(0);
    assert_eq!(queued, 0, "no retry of the test is waiting");
    let after: i32 =
        su.query_one("select consecutive_failures from postiz.webhook_endpoints where id = $1", &[&w.endpoint]).await.unwrap().get(0);
    assert_eq!(after, failures, "a test does not count toward the endpoint's failures");
    let told: i64 = su
        .query_one("select count(*) from postiz.notifications where workspace_id = $1 and kind = 'webhook_disabled'", &[&w.workspace])
        .await
        .unwrap()
        .get(0);
    assert_eq!(told, 1);
    // Fixed on the receiver's side, a test goes through (verified by the receiver), and the
    // endpoint stays off until an admin turns it on.
    w.set_mode("ok");
    su.execute(test_event, &[&w.workspace, &w.endpoint]).await.unwrap();
    job.run_once().await.unwrap();
    let got = w.received();
    assert_eq!(got.len(), 1, "{got:?}");
    assert_eq!(
        (&got[0]["verified"], &got[0]["payload"]["type"]),
        (&serde_json::json!(true), &serde_json::json!("webhook.test")),
        "{got:?}"
    );
    let enabled: bool = su.query_one("select enabled from postiz.webhook_endpoints where id = $1", &[&w.endpoint]).await.unwrap().get(0);
    assert!(!enabled);
    let held: Vec<_> = w.deliveries().await.into_iter().filter(|r| r.0 != "webhook.test").collect();
    assert!(!held.is_empty() && held.iter().all(|r| r.1 == "pending"), "the held deliveries still wait: {held:?}");
}

#[tokio::test]
async fn a_private_address_is_refused_without_the_allow_list() {
    let w = world().await;
    w.set_mode("ok");
    let _receiver = Receiver::start(w.port, &w.secret, &w.dir);
    w.target_becomes("queued").await;
    let job = w.job(WebhookJobConfig { private_allow: PrivateAllowList::default(), ..w.config() });
    assert_eq!(job.run_once().await.unwrap(), 1);
    let rows = w.deliveries().await;
    assert_eq!(rows.len(), 1);
    let (_, status, attempts, code, error) = &rows[0];
    assert_eq!((status.as_str(), *attempts, *code), ("pending", 1, None));
    assert!(error.as_deref().unwrap_or_default().contains("private or local network"), "{error:?}");
    assert!(w.received().is_empty(), "nothing reached the receiver");
}

#[tokio::test]
async fn after_a_rotation_receivers_with_either_secret_verify_until_the_old_one_expires() {
    let w = world().await;
    // Rotate as the API does: the current sealed secret moves to `previous_*` for a day.
    let new = new_secret();
    let sealed = Keyring::for_testing().encrypt(
        &SecretString::from(new.clone()),
        &Binding { workspace_id: w.workspace, social_account_id: w.endpoint, field: Field::WebhookSecret },
    );
    let su = w.db.superuser().await;
    su.execute(
        "update postiz.webhook_endpoints set previous_secret_key_id = secret_key_id, previous_secret_nonce = secret_nonce,
           previous_secret_ciphertext = secret_ciphertext, previous_secret_expires_at = now() + interval '1 day',
           secret_key_id = $2, secret_nonce = $3, secret_ciphertext = $4
         where id = $1",
        &[&w.endpoint, &sealed.key_id, &sealed.nonce, &sealed.ciphertext],
    )
    .await
    .unwrap();
    let job = w.job(w.config());

    // A receiver that still has the old secret verifies, and so does one with the new secret.
    let old_receiver = Receiver::start(w.port, &w.secret, &w.dir);
    w.target_becomes("queued").await;
    assert_eq!(job.run_once().await.unwrap(), 1);
    drop(old_receiver);
    let new_receiver = Receiver::start(w.port, &new, &w.dir);
    w.target_becomes("publishing").await;
    assert_eq!(job.run_once().await.unwrap(), 1);
    drop(new_receiver);
    let received = w.received();
    assert_eq!(received.len(), 2, "{received:?}");
    assert!(received.iter().all(|r| r["verified"] == true), "both secrets verify during the day: {received:?}");

    // Once the day is over only the new secret signs: the old receiver refuses.
    su.execute(
        "update postiz.webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = $1",
        &[&w.endpoint],
    )
    .await
    .unwrap();
    let _old_receiver = Receiver::start(w.port, &w.secret, &w.dir);
    w.target_becomes("published").await;
    job.run_once().await.unwrap();
    let received = w.received();
    assert_eq!(received.len(), 3, "{received:?}");
    assert_eq!(received[2]["verified"], false, "the expired secret no longer signs: {received:?}");
    let rows = w.deliveries().await;
    assert_eq!((rows[2].1.as_str(), rows[2].3), ("pending", Some(401)), "{rows:?}");
}
