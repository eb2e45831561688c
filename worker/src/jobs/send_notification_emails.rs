//! `send_notification_email`: drains the pgmq `notify` queue, one message per outbox row of
//! `postiz.notification_emails` (a notification's email, or a day's digest), and sends it over
//! SMTP ([`crate::mailer`]).
//!
//! Never two emails for one event: the row's status is the record, written around the SMTP
//! exchange the way the publish path marks an item in flight. The row goes `pending → sending`
//! (committed) before the message is offered, and `sending → sent` with the message deleted
//! after. A server that cannot be reached (checked first) or answers 4xx leaves it `pending`
//! and hides the message for a backoff: an outage loses nothing. A 5xx, or running out of
//! attempts, is `failed` (archived). A row found still `sending` (the worker died, or the
//! exchange broke, after the server may have accepted the message) becomes `unconfirmed` and is
//! not sent again. Proven by `worker/tests/notification_emails.rs` against a real SMTP server.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use lettre::Message;
use lettre::message::header::ContentType;
use postiz_db::notifications::{EVENT_JSON, NOTIFY_QUEUE};
use postiz_db::pgmq;
use postiz_domain::NotificationEvent;
use serde::Deserialize;
use uuid::Uuid;

use super::Job;
use crate::mailer::{Mailer, Sent};

/// The job's knobs.
#[derive(Debug, Clone)]
pub struct EmailJobConfig {
    /// The planner's address as people open it (`https://app.example.com/dashboard/postiz`):
    /// links in emails go below it.
    pub app_url: String,
    /// Attempts before an email is `failed`.
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt, at most an hour.
    pub retry_base: Duration,
    /// How long a read message stays hidden (longer than an SMTP exchange may take).
    pub visibility_timeout_secs: i32,
    /// How often the queue is read when it was empty.
    pub every: Duration,
}

/// The email job.
#[derive(Debug)]
pub struct SendNotificationEmails {
    /// The database (service role).
    pub pool: deadpool_postgres::Pool,
    /// The SMTP server.
    pub mailer: Arc<Mailer>,
    /// Knobs.
    pub config: EmailJobConfig,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    job: String,
    data: EnvelopeData,
}

#[derive(Debug, Deserialize)]
struct EnvelopeData {
    email_id: i64,
}

/// What was done with one message, for the log and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Sent and recorded.
    Sent,
    /// Left pending, to try again after a backoff.
    Retrying,
    /// Given up (refused, out of attempts, no address).
    Failed,
    /// Found in flight from an earlier attempt: marked unconfirmed, not sent again.
    Unconfirmed,
    /// Already final (or gone): the message was dropped.
    Done,
}

impl Job for SendNotificationEmails {
    const NAME: &'static str = "send_notification_email";
    const QUEUE: Option<&'static str> = Some(NOTIFY_QUEUE);
    const EVERY: Duration = Duration::from_secs(1);

    fn every(&self) -> Duration {
        self.config.every
    }

    /// Reads and handles messages until the queue has none visible.
    async fn run_once(&self) -> anyhow::Result<u64> {
        let mut handled = 0;
        loop {
            let client = self.pool.get().await.context("database pool")?;
            let batch =
                pgmq::read(&**client, NOTIFY_QUEUE, self.config.visibility_timeout_secs, 16).await.context("reading the notify queue")?;
            drop(client);
            if batch.is_empty() {
                return Ok(handled);
            }
            for msg in batch {
                let outcome = self.handle(&msg).await;
                match outcome {
                    Ok(h) => tracing::info!(job.msg_id = msg.msg_id, job.attempt = msg.read_ct, outcome = ?h, "notification email handled"),
                    Err(e) => {
                        tracing::warn!(job.msg_id = msg.msg_id, error = %e, "notification email failed to record; the message comes back")
                    }
                }
                handled += 1;
            }
        }
    }
}

/// A notification as the email tells it.
struct Item {
    event: NotificationEvent,
    excerpt: Option<String>,
}

impl SendNotificationEmails {
    /// Handles one message (see the module docs for the states).
    pub async fn handle(&self, msg: &pgmq::Message) -> anyhow::Result<Handled> {
        let Ok(envelope) = serde_json::from_value::<Envelope>(msg.message.clone()) else {
            let client = self.pool.get().await?;
            pgmq::archive(&**client, NOTIFY_QUEUE, msg.msg_id).await?;
            tracing::warn!(job.msg_id = msg.msg_id, "archived a malformed notify message");
            return Ok(Handled::Failed);
        };
        if envelope.job != Self::NAME {
            let client = self.pool.get().await?;
            pgmq::archive(&**client, NOTIFY_QUEUE, msg.msg_id).await?;
            return Ok(Handled::Failed);
        }
        let email_id = envelope.data.email_id;
        let mut client = self.pool.get().await?;

        // Claim: read the row under a lock and decide.
        let tx = client.transaction().await?;
        let row = tx
            .query_opt(
                "select e.status::text, e.attempts, e.workspace_id, e.notification_id, e.digest_day, u.email, w.name
                 from postiz.notification_emails e
                 join auth.users u on u.id = e.user_id
                 join postiz.workspaces w on w.id = e.workspace_id
                 where e.id = $1 for update of e",
                &[&email_id],
            )
            .await?;
        let Some(row) = row else {
            pgmq::delete(&*tx, NOTIFY_QUEUE, msg.msg_id).await?;
            tx.commit().await?;
            return Ok(Handled::Done);
        };
        let status: String = row.get(0);
        let attempts: i32 = row.get(1);
        let workspace_id: Uuid = row.get(2);
        let notification_id: Option<i64> = row.get(3);
        let address: Option<String> = row.get(5);
        let workspace_name: String = row.get(6);
        match status.as_str() {
            "pending" => {}
            "sending" => {
                // An earlier attempt offered it and never recorded the answer.
                tx.execute(
                    "update postiz.notification_emails set status = 'unconfirmed',
                       last_result = 'an earlier attempt stopped after offering the message; not sent again' where id = $1",
                    &[&email_id],
                )
                .await?;
                pgmq::archive(&*tx, NOTIFY_QUEUE, msg.msg_id).await?;
                tx.commit().await?;
                tracing::warn!(email.id = email_id, "notification email may or may not have been delivered; not sending it again");
                return Ok(Handled::Unconfirmed);
            }
            _ => {
                pgmq::delete(&*tx, NOTIFY_QUEUE, msg.msg_id).await?;
                tx.commit().await?;
                return Ok(Handled::Done);
            }
        }
        let Some(address) = address.filter(|a| !a.trim().is_empty()) else {
            return self.give_up(tx, email_id, msg.msg_id, "the recipient has no email address").await;
        };
        let items = self.items(&tx, email_id, notification_id).await?;
        if items.is_empty() {
            // The notifications went with their post or workspace.
            pgmq::delete(&*tx, NOTIFY_QUEUE, msg.msg_id).await?;
            tx.execute(
                "update postiz.notification_emails set status = 'failed', last_result = 'nothing left to tell' where id = $1",
                &[&email_id],
            )
            .await?;
            tx.commit().await?;
            return Ok(Handled::Done);
        }
        let message = match self.compose(email_id, &address, &workspace_name, workspace_id, notification_id.is_none(), &items) {
            Ok(m) => m,
            Err(e) => return self.give_up(tx, email_id, msg.msg_id, &format!("the message cannot be written: {e}")).await,
        };
        tx.commit().await?;

        // Mark in flight and commit before the message is offered.
        let marked = client
            .execute(
                "update postiz.notification_emails set status = 'sending', attempts = attempts + 1, sending_since = now()
                 where id = $1 and status = 'pending'",
                &[&email_id],
            )
            .await?;
        if marked == 0 {
            return Ok(Handled::Done);
        }
        let attempt = attempts + 1;
        let outcome = self.mailer.send(&message).await;

        let tx = client.transaction().await?;
        let handled = match outcome {
            Sent::Accepted(reply) => {
                tx.execute(
                    "update postiz.notification_emails set status = 'sent', sent_at = now(), last_result = left($2, 2000) where id = $1",
                    &[&email_id, &reply],
                )
                .await?;
                pgmq::delete(&*tx, NOTIFY_QUEUE, msg.msg_id).await?;
                Handled::Sent
            }
            Sent::Retry(why) if attempt < self.config.max_attempts => {
                tx.execute(
                    "update postiz.notification_emails set status = 'pending', sending_since = null, last_result = left($2, 2000) where id = $1",
                    &[&email_id, &why],
                )
                .await?;
                let delay = self.backoff(attempt);
                pgmq::set_vt(&*tx, NOTIFY_QUEUE, msg.msg_id, delay).await?;
                tracing::warn!(email.id = email_id, job.attempt = attempt, retry_in_secs = delay, reason = %why, "notification email not sent; will retry");
                Handled::Retrying
            }
            Sent::Retry(why) | Sent::Refused(why) => {
                tx.execute(
                    "update postiz.notification_emails set status = 'failed', sending_since = null, last_result = left($2, 2000) where id = $1",
                    &[&email_id, &why],
                )
                .await?;
                pgmq::archive(&*tx, NOTIFY_QUEUE, msg.msg_id).await?;
                tracing::warn!(email.id = email_id, job.attempt = attempt, reason = %why, "notification email given up");
                Handled::Failed
            }
            Sent::Unknown(why) => {
                tx.execute(
                    "update postiz.notification_emails set status = 'unconfirmed', last_result = left($2, 2000) where id = $1",
                    &[&email_id, &why],
                )
                .await?;
                pgmq::archive(&*tx, NOTIFY_QUEUE, msg.msg_id).await?;
                tracing::warn!(email.id = email_id, reason = %why, "notification email may or may not have been delivered; not sending it again");
                Handled::Unconfirmed
            }
        };
        tx.commit().await?;
        Ok(handled)
    }

    async fn give_up(&self, tx: deadpool_postgres::Transaction<'_>, email_id: i64, msg_id: i64, why: &str) -> anyhow::Result<Handled> {
        tx.execute("update postiz.notification_emails set status = 'failed', last_result = $2 where id = $1", &[&email_id, &why]).await?;
        pgmq::archive(&*tx, NOTIFY_QUEUE, msg_id).await?;
        tx.commit().await?;
        tracing::warn!(email.id = email_id, reason = why, "notification email given up");
        Ok(Handled::Failed)
    }

    /// Seconds before the next attempt: `retry_base` doubled per attempt, at most an hour.
    fn backoff(&self, attempt: i32) -> i32 {
        let base = self.config.retry_base.as_secs_f64().max(0.0);
        let secs = base * 2f64.powi(attempt.saturating_sub(1).min(20));
        secs.min(3600.0).ceil() as i32
    }

    /// The notifications an email tells of: its own, or a digest's, oldest first.
    async fn items(
        &self,
        tx: &deadpool_postgres::Transaction<'_>,
        email_id: i64,
        notification_id: Option<i64>,
    ) -> anyhow::Result<Vec<Item>> {
        let sql = format!(
            "select n.id, {EVENT_JSON} as event, left(p.content, 280) as excerpt
             from postiz.notifications n
             left join postiz.posts p on p.workspace_id = n.workspace_id
                                    and p.id = coalesce(n.post_id, (n.details ->> 'post_id')::uuid)
             where ($2::bigint is not null and n.id = $2) or ($2::bigint is null and n.digest_email_id = $1)
             order by n.id"
        );
        let rows = tx.query(&sql, &[&email_id, &notification_id]).await?;
        rows.iter()
            .map(|r| {
                let id: i64 = r.get(0);
                let event: NotificationEvent =
                    serde_json::from_value(r.get(1)).with_context(|| format!("notification {id} does not decode as an event"))?;
                Ok(Item { event, excerpt: r.get(2) })
            })
            .collect()
    }

    /// Where an event leads in the planner.
    fn link(&self, workspace_id: Uuid, event: &NotificationEvent) -> String {
        let base = self.config.app_url.trim_end_matches('/');
        match (event, event.post_id()) {
            (NotificationEvent::WebhookDisabled { .. }, _) => format!("{base}/w/{workspace_id}/settings"),
            // The acceptance screen lists the invitations addressed to the signed-in person.
            (NotificationEvent::InviteReceived { .. }, _) => format!("{base}/invite"),
            (_, Some(post)) => format!("{base}/w/{workspace_id}/posts/{post}"),
            (_, None) => format!("{base}/w/{workspace_id}/accounts"),
        }
    }

    fn compose(
        &self,
        email_id: i64,
        address: &str,
        workspace: &str,
        workspace_id: Uuid,
        digest: bool,
        items: &[Item],
    ) -> anyhow::Result<Message> {
        let to = address.parse().with_context(|| "the recipient's address".to_owned())?;
        let mut body = String::new();
        let subject = if digest {
            body.push_str(&format!("What happened in {workspace}:\n\n"));
            for item in items {
                body.push_str(&format!("- {}\n  {}\n", item.event.headline(), self.link(workspace_id, &item.event)));
                if let Some(d) = item.event.detail() {
                    body.push_str(&format!("  {d}\n"));
                }
            }
            let n = items.len();
            format!("Your day in {workspace}: {n} notification{}", if n == 1 { "" } else { "s" })
        } else {
            let item = &items[0];
            body.push_str(&format!("{}\n\n", item.event.headline()));
            if let Some(d) = item.event.detail() {
                body.push_str(&format!("{d}\n\n"));
            }
            if let Some(excerpt) = item.excerpt.as_deref().filter(|e| !e.trim().is_empty()) {
                body.push_str(&format!("The post: \u{201c}{}\u{201d}\n\n", excerpt.trim()));
            }
            body.push_str(&format!("Open it: {}\n", self.link(workspace_id, &item.event)));
            format!("{} ({workspace})", item.event.headline())
        };
        body.push_str(&format!(
            "\n--\nSent by the planner of {workspace}. Choose what you are told, and how, in its Inbox: {}/w/{workspace_id}/inbox\n",
            self.config.app_url.trim_end_matches('/')
        ));
        Ok(Message::builder()
            .from(self.mailer.from().clone())
            .to(to)
            .subject(subject)
            .message_id(Some(self.mailer.message_id(email_id)))
            .header(ContentType::TEXT_PLAIN)
            .body(body)?)
    }
}
