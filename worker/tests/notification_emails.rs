//! Notification emails against a real SMTP server: `aiosmtpd` 1.4.6 from PyPI, installed by this
//! test into a venv cached under `target/peers/aiosmtpd` and run on 127.0.0.1 with its Mailbox
//! handler (every accepted message is a file in a maildir the test reads).
//!
//! Proves: a post's failure (written as the worker writes it, as service_role) becomes exactly one
//! delivered email with the recipient, the subject and a link to the post, and no secret; with
//! the server down the email waits (pending, message hidden for a backoff) and, once the server
//! is up, is delivered exactly once however often the job runs; an email found in flight from an
//! earlier attempt is marked unconfirmed and never sent again; a day's digest goes out once; with
//! SMTP AUTH required (aiosmtpd's Controller with an authenticator) the mailer signs in and the
//! message arrives, and a wrong password leaves the email waiting with a clear reason in the job's
//! log and record, neither of which shows a password.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use postiz_testkit::pypi;

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use postiz_config::{EmailSettings, SmtpTls};
use postiz_testkit::TestDatabase;
use postiz_worker::jobs::Job;
use postiz_worker::jobs::queue_digests::QueueDigests;
use postiz_worker::jobs::send_notification_emails::{EmailJobConfig, SendNotificationEmails};
use postiz_worker::mailer::Mailer;
use secrecy::SecretString;
use uuid::Uuid;

const AIOSMTPD: &str = "aiosmtpd==1.4.6";
const APP_URL: &str = "https://app.example.com/dashboard/postiz";

/// The venv's python with `aiosmtpd` installed.
fn python() -> PathBuf {
    pypi::python("aiosmtpd", AIOSMTPD)
}

/// A running aiosmtpd writing what it accepts into `maildir`.
struct SmtpServer {
    child: Child,
}

impl SmtpServer {
    fn start(port: u16, maildir: &Path) -> Self {
        let child = Command::new(python())
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(maildir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd");
        // Ready when the port accepts a connection (polled, never a fixed sleep).
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "aiosmtpd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child }
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// aiosmtpd's Controller with SMTP AUTH required (PLAIN and LOGIN, offered without TLS for this
/// test only): argv port, maildir, user name, password.
const AUTH_SERVER: &str = r#"
import sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword
port, maildir, user, password = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode(), sys.argv[4].encode()
def check(server, session, envelope, mechanism, data):
    ok = isinstance(data, LoginPassword) and data.login == user and data.password == password
    return AuthResult(success=ok, handled=False)
Controller(Mailbox(maildir), hostname="127.0.0.1", port=port, authenticator=check,
           auth_required=True, auth_require_tls=False).start()
threading.Event().wait()
"#;

impl SmtpServer {
    /// A server that accepts mail only after AUTH as `user` with `password`.
    fn start_with_auth(port: u16, maildir: &Path, user: &str, password: &str) -> Self {
        let child = Command::new(python())
            .args(["-c", AUTH_SERVER, &port.to_string()])
            .arg(maildir)
            .args([user, password])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start aiosmtpd with auth");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "aiosmtpd did not listen on {port}");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child }
    }
}

/// What the job logs, for the test that reads it.
#[derive(Clone, Default)]
struct Capture(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
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

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// Undoes quoted-printable (RFC 2045 §6.7: soft line breaks and `=XX` octets), as a mail client
/// reads the body lettre wrote.
fn unquote(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(std::str::from_utf8(&bytes[i + 1..(i + 3).min(bytes.len())]).unwrap_or(""), 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The messages delivered to `maildir` (its `new/` files), as text with the body decoded.
fn delivered(maildir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(maildir.join("new")) else { return Vec::new() };
    let mut out: Vec<String> = entries.filter_map(|e| e.ok()).map(|e| unquote(&std::fs::read_to_string(e.path()).unwrap())).collect();
    out.sort();
    out
}

struct World {
    db: TestDatabase,
    workspace: Uuid,
    account: Uuid,
    author: Uuid,
    maildir: PathBuf,
    port: u16,
}

async fn world() -> World {
    let db = TestDatabase::new().await;
    let su = db.superuser().await;
    let author = db.create_user("ada@example.com").await.id;
    let workspace: Uuid = su
        .query_one(
            "insert into postiz.workspaces (name, slug, time_zone) values ('Acme', $1, 'UTC') returning id",
            &[&format!("acme-{}", &Uuid::new_v4().simple().to_string()[..8])],
        )
        .await
        .unwrap()
        .get(0);
    su.execute("insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, 'editor')", &[&workspace, &author])
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
    let maildir = std::env::temp_dir().join(format!("postiz-maildir-{}", Uuid::new_v4().simple()));
    World { db, workspace, account, author, maildir, port: free_port() }
}

impl World {
    /// A scheduled post by the author that the network then refuses: the target fails as the
    /// worker records it (service_role), which writes the notification and its email.
    async fn failed_post(&self, text: &str) -> Uuid {
        let su = self.db.superuser().await;
        let post: Uuid = su
            .query_one(
                "insert into postiz.posts (workspace_id, author_id, status, content) values ($1, $2, 'scheduled', $3) returning id",
                &[&self.workspace, &self.author, &text],
            )
            .await
            .unwrap()
            .get(0);
        su.execute(
            "insert into postiz.post_targets (workspace_id, post_id, social_account_id) values ($1, $2, $3)",
            &[&self.workspace, &post, &self.account],
        )
        .await
        .unwrap();
        let service = self.db.as_service().await;
        service
            .execute(
                "update postiz.post_targets set status = 'failed', last_error_message = 'Mastodon refused the post: Text character limit of 500 exceeded' where post_id = $1",
                &[&post],
            )
            .await
            .unwrap();
        service.commit().await.unwrap();
        post
    }

    fn job(&self) -> SendNotificationEmails {
        self.job_signed_in(None)
    }

    /// The job with SMTP credentials (user name, password).
    fn job_signed_in(&self, credentials: Option<(&str, &str)>) -> SendNotificationEmails {
        let credentials = credentials.map(|(u, p)| (SecretString::from(u), SecretString::from(p)));
        let settings = EmailSettings {
            smtp_host: "127.0.0.1".into(),
            smtp_port: self.port,
            smtp_tls: SmtpTls::None,
            from: "Planner <planner@example.com>".into(),
            timeout_secs: 5,
            ..EmailSettings::default()
        };
        SendNotificationEmails {
            pool: postiz_db::service_pool(&SecretString::from(self.db.url()), 4).unwrap(),
            mailer: Arc::new(Mailer::new(&settings, credentials).unwrap()),
            config: EmailJobConfig {
                app_url: APP_URL.into(),
                max_attempts: 5,
                retry_base: Duration::from_secs(1),
                visibility_timeout_secs: 30,
                every: Duration::from_millis(200),
            },
        }
    }

    async fn status(&self) -> Vec<(String, i32)> {
        self.db
            .superuser()
            .await
            .query("select status::text, attempts from postiz.notification_emails order by id", &[])
            .await
            .unwrap()
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect()
    }

    async fn queued(&self) -> i64 {
        self.db.superuser().await.query_one("select count(*) from pgmq.q_notify", &[]).await.unwrap().get(0)
    }
}

#[tokio::test]
async fn a_failed_post_is_one_email_with_its_link_and_an_outage_delays_it_without_loss_or_repeat() {
    let w = world().await;
    let post = w.failed_post("Launch day: our new planner is here").await;
    let job = w.job();

    // Server down: nothing delivered, the email waits, its message hidden for the backoff.
    assert_eq!(job.run_once().await.unwrap(), 1);
    assert_eq!(w.status().await, [("pending".to_owned(), 1)]);
    assert_eq!(w.queued().await, 1, "the message stays in the queue");
    assert_eq!(job.run_once().await.unwrap(), 0, "hidden until its backoff ends");

    // Server up: after the backoff the job delivers it, once, however often it runs.
    let _server = SmtpServer::start(w.port, &w.maildir);
    let deadline = Instant::now() + Duration::from_secs(20);
    while w.status().await[0].0 != "sent" {
        assert!(Instant::now() < deadline, "not delivered after the outage: {:?}", w.status().await);
        job.run_once().await.unwrap();
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for _ in 0..3 {
        job.run_once().await.unwrap();
    }
    assert_eq!(w.status().await, [("sent".to_owned(), 2)], "two attempts: the outage, then the delivery");
    assert_eq!(w.queued().await, 0);
    let mail = delivered(&w.maildir);
    assert_eq!(mail.len(), 1, "exactly one email: {mail:?}");
    let m = &mail[0];
    assert!(m.contains("To: ada@example.com"), "{m}");
    assert!(m.contains("From: Planner <planner@example.com>"), "{m}");
    assert!(m.contains("Subject: Your post failed on Mastodon (Acme)"), "{m}");
    assert!(m.contains(&format!("{APP_URL}/w/{}/posts/{post}", w.workspace)), "a link to the post: {m}");
    assert!(m.contains("Text character limit of 500 exceeded"), "the network's reason: {m}");
    assert!(m.contains("Message-ID: <postiz-notification-"), "{m}");
    // No secret: not the database address, not the SMTP configuration.
    assert!(!m.contains(&w.db.url()) && !m.contains("postgres"), "{m}");
}

#[tokio::test]
async fn an_email_found_in_flight_is_never_sent_again() {
    let w = world().await;
    w.failed_post("Launch day").await;
    let _server = SmtpServer::start(w.port, &w.maildir);
    // A worker that marked it sending and died before recording the answer.
    w.db.superuser().await.execute("update postiz.notification_emails set status = 'sending', attempts = 1", &[]).await.unwrap();
    let job = w.job();
    job.run_once().await.unwrap();
    assert_eq!(w.status().await, [("unconfirmed".to_owned(), 1)]);
    assert_eq!(w.queued().await, 0, "archived, not retried");
    assert!(delivered(&w.maildir).is_empty());
}

#[tokio::test]
async fn a_daily_digest_gathers_the_day_and_goes_out_once() {
    let w = world().await;
    w.db.superuser()
        .await
        .execute(
            "insert into postiz.notification_preferences (workspace_id, user_id, kind, delivery) values ($1, $2, 'post_failed', 'digest')",
            &[&w.workspace, &w.author],
        )
        .await
        .unwrap();
    let first = w.failed_post("Morning post").await;
    let second = w.failed_post("Evening post").await;
    assert_eq!(w.queued().await, 0, "digest notifications send nothing at once");
    let _server = SmtpServer::start(w.port, &w.maildir);
    let digests = QueueDigests { pool: postiz_db::service_pool(&SecretString::from(w.db.url()), 2).unwrap(), send_hour: 0 };
    assert_eq!(digests.run_once().await.unwrap(), 1);
    assert_eq!(digests.run_once().await.unwrap(), 0, "one digest per day");
    let job = w.job();
    job.run_once().await.unwrap();
    job.run_once().await.unwrap();
    let mail = delivered(&w.maildir);
    assert_eq!(mail.len(), 1, "{mail:?}");
    let m = &mail[0];
    assert!(m.contains("Subject: Your day in Acme: 2 notifications"), "{m}");
    for post in [first, second] {
        assert!(m.contains(&format!("{APP_URL}/w/{}/posts/{post}", w.workspace)), "{m}");
    }
    // A failure after today's digest waits for tomorrow's.
    w.failed_post("Late post").await;
    assert_eq!(digests.run_once().await.unwrap(), 0);
}

#[tokio::test]
async fn an_invitation_to_another_workspace_is_one_email_that_leads_to_the_invitations() {
    let w = world().await;
    let su = w.db.superuser().await;
    let inviter = w.db.create_user("olga@example.com").await.id;
    su.execute("update auth.users set raw_user_meta_data = '{\"full_name\": \"Olga Owner\"}' where id = $1", &[&inviter]).await.unwrap();
    let other: Uuid = su
        .query_one(
            "insert into postiz.workspaces (name, slug, time_zone) values ('Globex', $1, 'UTC') returning id",
            &[&format!("globex-{}", &Uuid::new_v4().simple().to_string()[..8])],
        )
        .await
        .unwrap()
        .get(0);
    su.execute("insert into postiz.workspace_members (workspace_id, user_id, role) values ($1, $2, 'owner')", &[&other, &inviter])
        .await
        .unwrap();
    // The token the invitee would be sent; only its hash is stored, and the email never carries it.
    let token = format!("invite-token-{}", Uuid::new_v4().simple());
    su.execute(
        "insert into postiz.workspace_invites (workspace_id, email, role, token_hash, invited_by)
         values ($1, 'Ada@Example.com', 'admin', sha256(convert_to($2, 'UTF8')), $3)",
        &[&other, &token, &inviter],
    )
    .await
    .unwrap();
    assert_eq!(w.queued().await, 1);
    let _server = SmtpServer::start(w.port, &w.maildir);
    let job = w.job();
    job.run_once().await.unwrap();
    assert_eq!(w.status().await, [("sent".to_owned(), 1)]);
    let mail = delivered(&w.maildir);
    assert_eq!(mail.len(), 1, "{mail:?}");
    let m = &mail[0];
    assert!(m.contains("To: ada@example.com"), "{m}");
    assert!(m.contains("Subject: Olga Owner invited you to join Globex (Acme)"), "told in the invitee's own workspace: {m}");
    assert!(m.contains("You would join as an admin."), "{m}");
    assert!(m.contains(&format!("Open it: {APP_URL}/invite")), "a link to the invitations: {m}");
    assert!(!m.contains(&token), "never the invitation's token: {m}");
}

#[tokio::test]
async fn with_smtp_auth_the_mailer_signs_in_and_a_wrong_password_is_a_clear_error_that_never_shows_it() {
    // The job's log, read by this test (this thread only).
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt().with_writer(capture.clone()).with_ansi(false).finish();
    let _log = tracing::subscriber::set_default(subscriber);
    let w = world().await;
    let password = format!("smtp-pass-{}", Uuid::new_v4().simple());
    let wrong = format!("not-it-{}", Uuid::new_v4().simple());
    let _server = SmtpServer::start_with_auth(w.port, &w.maildir, "planner", &password);

    // A wrong password: nothing is sent, the email waits, and the log says why in words.
    let post = w.failed_post("Launch day").await;
    let bad = w.job_signed_in(Some(("planner", &wrong)));
    assert_eq!(bad.run_once().await.unwrap(), 1);
    assert_eq!(w.status().await, [("pending".to_owned(), 1)], "kept for after the fix");
    assert!(delivered(&w.maildir).is_empty());
    let result: String = w.db.superuser().await.query_one("select last_result from postiz.notification_emails", &[]).await.unwrap().get(0);
    assert!(result.contains("refused the user name or password (POSTIZ_SMTP_USERNAME, POSTIZ_SMTP_PASSWORD)"), "{result}");
    assert!(result.contains("535"), "the server's answer: {result}");
    let log = String::from_utf8(capture.0.lock().unwrap().clone()).unwrap();
    assert!(log.contains("refused the user name or password"), "{log}");
    for secret in [&wrong, &password] {
        use base64::Engine as _;
        let plain = base64::engine::general_purpose::STANDARD.encode(format!("\0planner\0{secret}"));
        for shown in [secret.as_str(), plain.as_str(), &base64::engine::general_purpose::STANDARD.encode(secret)] {
            assert!(!log.contains(shown) && !result.contains(shown), "a password in the log or the record: {log}");
        }
    }

    // The right password: signed in, delivered once (the message waited, hidden for its backoff).
    w.db.superuser().await.query("select pgmq.set_vt('notify', msg_id, 0) from pgmq.q_notify", &[]).await.unwrap();
    let good = w.job_signed_in(Some(("planner", &password)));
    good.run_once().await.unwrap();
    assert_eq!(w.status().await, [("sent".to_owned(), 2)]);
    let mail = delivered(&w.maildir);
    assert_eq!(mail.len(), 1, "{mail:?}");
    assert!(mail[0].contains(&format!("{APP_URL}/w/{}/posts/{post}", w.workspace)), "{}", mail[0]);
    assert!(!mail[0].contains(&password), "{}", mail[0]);
}
