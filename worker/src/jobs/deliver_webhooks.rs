//! `deliver_webhook`: drains the pgmq `webhooks` queue, one message per row of
//! `postiz.webhook_deliveries` (written with its event by the triggers of
//! `20261206020000_create_webhook_endpoints.sql`), and POSTs the event to its endpoint signed per
//! the Standard Webhooks specification.
//!
//! At-least-once: the delivery row is only marked `delivered` after a 2xx, so a crash between
//! the request and the record sends it again, with the same `webhook-id` (receivers drop
//! repeats). No transaction or row lock is held during the request: the message's visibility
//! timeout keeps other workers off it. Any other answer, a timeout, a refused connection or an
//! address the SSRF guard refuses is a failed attempt: its code and a short reason (never a
//! secret or the receiver's body) are recorded, the message is hidden for a doubling backoff,
//! and after `max_attempts` the delivery is `failed`. Failed attempts in a row count on the
//! endpoint; after `disable_after_failures` of them, or failures for longer than
//! `disable_after`, the endpoint is disabled and its admins are notified
//! (`postiz_private.service_disable_webhook_endpoint`). A disabled endpoint's deliveries wait
//! (`pending`, message archived) until it is turned on again, which queues them anew. Proven by
//! `worker/tests/webhook_deliveries.rs` against a receiver verifying with the `standardwebhooks`
//! package.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use postiz_db::pgmq;
use postiz_providers::http::{PrivateAllowList, check_user_url};
use postiz_vault::{Binding, Field, Keyring, Sealed};
use secrecy::ExposeSecret;
use serde::Deserialize;
use sha2::Sha256;
use url::Url;
use uuid::Uuid;

use super::Job;

/// The queue the event triggers send to.
pub const WEBHOOKS_QUEUE: &str = "webhooks";
/// The event an admin sends from the settings to check an endpoint.
const TEST_EVENT: &str = "webhook.test";

/// The job's knobs.
#[derive(Debug, Clone)]
pub struct WebhookJobConfig {
    /// Attempts before a delivery is `failed`.
    pub max_attempts: i32,
    /// First retry delay; doubles per attempt, at most `retry_cap`.
    pub retry_base: Duration,
    /// Longest retry delay.
    pub retry_cap: Duration,
    /// Failed attempts in a row (across the endpoint's deliveries) that disable it.
    pub disable_after_failures: i32,
    /// An endpoint failing without a success for this long is disabled at its next failure.
    pub disable_after: Duration,
    /// Time allowed for one request, answer included.
    pub timeout: Duration,
    /// How often the queue is read when it was empty.
    pub every: Duration,
    /// Private networks and hosts endpoint URLs may reach (`[private_servers] allow`).
    pub private_allow: PrivateAllowList,
}

impl Default for WebhookJobConfig {
    /// 12 attempts from 30 s doubling to at most 1 h (about 8 hours in all), disabled after
    /// 10 failures in a row or 24 h of failures, 10 s per request.
    fn default() -> Self {
        Self {
            max_attempts: 12,
            retry_base: Duration::from_secs(30),
            retry_cap: Duration::from_secs(3600),
            disable_after_failures: 10,
            disable_after: Duration::from_secs(24 * 3600),
            timeout: Duration::from_secs(10),
            every: Duration::from_secs(1),
            private_allow: PrivateAllowList::default(),
        }
    }
}

/// The delivery job.
#[derive(Debug)]
pub struct DeliverWebhooks {
    /// The database (service role).
    pub pool: deadpool_postgres::Pool,
    /// Opens the endpoints' signing secrets.
    pub keyring: Arc<Keyring>,
    /// Knobs.
    pub config: WebhookJobConfig,
    http: reqwest::Client,
}

#[derive(Debug, Deserialize)]
struct Envelope {
    job: String,
    data: EnvelopeData,
}

#[derive(Debug, Deserialize)]
struct EnvelopeData {
    delivery_id: i64,
}

/// What was done with one message, for the log and the tests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Handled {
    /// Answered with a 2xx and recorded.
    Delivered,
    /// Failed; tried again after a backoff.
    Retrying,
    /// Out of attempts (or undeliverable): `failed`.
    Failed,
    /// The endpoint is disabled: the delivery waits for it.
    Held,
    /// Already final (or gone): the message was dropped.
    Done,
}

/// The Standard Webhooks headers for one attempt: `webhook-id`, `webhook-timestamp` and
/// `webhook-signature` (`v1,` and the base64 HMAC-SHA256 over `{id}.{timestamp}.{body}`, keyed
/// with the base64-decoded part of `secret` after `whsec_`).
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> anyhow::Result<String> {
    let key = STANDARD.decode(secret.strip_prefix("whsec_").unwrap_or(secret)).context("the signing secret is not base64 after whsec_")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).context("HMAC key")?;
    mac.update(format!("{id}.{timestamp}.{body}").as_bytes());
    Ok(format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes())))
}

/// A new signing secret: `whsec_` and 32 random bytes in base64.
pub fn new_secret() -> String {
    let bytes: [u8; 32] = rand::random();
    format!("whsec_{}", STANDARD.encode(bytes))
}

/// The `webhook-id` of an event.
pub fn message_id(event_id: Uuid) -> String {
    format!("msg_{}", event_id.simple())
}

/// What one request came to.
enum Attempt {
    Ok(u16),
    Failed { code: Option<u16>, reason: String },
}

impl DeliverWebhooks {
    /// The job, with its HTTP client (redirects off, DNS answers checked by the SSRF guard).
    pub fn new(pool: deadpool_postgres::Pool, keyring: Arc<Keyring>, config: WebhookJobConfig) -> anyhow::Result<Self> {
        let http = postiz_providers::http::guarded_client_builder(&config.private_allow)
            .user_agent("postiz-webhooks/1")
            .connect_timeout(config.timeout.min(Duration::from_secs(10)))
            .timeout(config.timeout)
            .build()
            .context("webhook HTTP client")?;
        Ok(Self { pool, keyring, config, http })
    }
}

impl Job for DeliverWebhooks {
    const NAME: &'static str = "deliver_webhook";
    const QUEUE: Option<&'static str> = Some(WEBHOOKS_QUEUE);
    const EVERY: Duration = Duration::from_secs(1);

    fn every(&self) -> Duration {
        self.config.every
    }

    /// Reads and handles messages until none is visible, or one comes back in the same round
    /// (a zero backoff would otherwise retry it in a loop).
    async fn run_once(&self) -> anyhow::Result<u64> {
        let mut handled = 0;
        let mut seen = HashSet::new();
        loop {
            let client = self.pool.get().await.context("database pool")?;
            let vt = i32::try_from(self.config.timeout.as_secs().saturating_mul(3).max(30)).unwrap_or(60);
            let batch = pgmq::read(&**client, WEBHOOKS_QUEUE, vt, 16).await.context("reading the webhooks queue")?;
            drop(client);
            if batch.is_empty() {
                return Ok(handled);
            }
            let mut again = false;
            for msg in batch {
                if !seen.insert(msg.msg_id) {
                    // Read twice in one round: give it back for the next.
                    let client = self.pool.get().await.context("database pool")?;
                    pgmq::set_vt(&**client, WEBHOOKS_QUEUE, msg.msg_id, 0).await?;
                    again = true;
                    continue;
                }
                match self.handle(&msg).await {
                    Ok(h) => tracing::info!(job.msg_id = msg.msg_id, job.attempt = msg.read_ct, outcome = ?h, "webhook delivery handled"),
                    Err(e) => {
                        tracing::warn!(job.msg_id = msg.msg_id, error = %e, "webhook delivery failed to record; the message comes back")
                    }
                }
                handled += 1;
            }
            if again {
                return Ok(handled);
            }
        }
    }
}

impl DeliverWebhooks {
    /// Handles one message (see the module docs).
    pub async fn handle(&self, msg: &pgmq::Message) -> anyhow::Result<Handled> {
        let client = self.pool.get().await?;
        let Ok(envelope) = serde_json::from_value::<Envelope>(msg.message.clone()) else {
            pgmq::archive(&**client, WEBHOOKS_QUEUE, msg.msg_id).await?;
            tracing::warn!(job.msg_id = msg.msg_id, "archived a malformed webhooks message");
            return Ok(Handled::Failed);
        };
        if envelope.job != Self::NAME {
            pgmq::archive(&**client, WEBHOOKS_QUEUE, msg.msg_id).await?;
            return Ok(Handled::Failed);
        }
        let delivery_id = envelope.data.delivery_id;
        let row = client
            .query_opt(
                "select d.status::text, d.attempts, d.event_id, d.payload::text, d.workspace_id, e.id, e.url, e.enabled,
                        e.secret_key_id, e.secret_nonce, e.secret_ciphertext,
                        e.previous_secret_key_id, e.previous_secret_nonce, e.previous_secret_ciphertext,
                        coalesce(e.previous_secret_expires_at > now(), false), d.event_type
                 from postiz.webhook_deliveries d
                 join postiz.webhook_endpoints e on e.id = d.endpoint_id
                 where d.id = $1",
                &[&delivery_id],
            )
            .await?;
        let Some(row) = row else {
            pgmq::delete(&**client, WEBHOOKS_QUEUE, msg.msg_id).await?;
            return Ok(Handled::Done);
        };
        let status: String = row.get(0);
        if status != "pending" {
            pgmq::delete(&**client, WEBHOOKS_QUEUE, msg.msg_id).await?;
            return Ok(Handled::Done);
        }
        let attempts: i32 = row.get(1);
        let event_id: Uuid = row.get(2);
        let body: String = row.get(3);
        let workspace_id: Uuid = row.get(4);
        let endpoint_id: Uuid = row.get(5);
        let url: String = row.get(6);
        let enabled: bool = row.get(7);
        // A test event goes to a turned-off endpoint too (an admin checks it works before turning
        // it on again), once: it neither retries nor counts toward the endpoint's failures.
        let probe = !enabled && row.get::<_, String>(15) == TEST_EVENT;
        if !enabled && !probe {
            // Turning the endpoint on again queues its pending deliveries anew.
            pgmq::archive(&**client, WEBHOOKS_QUEUE, msg.msg_id).await?;
            return Ok(Handled::Held);
        }
        let sealed = Sealed { key_id: row.get(8), nonce: row.get(9), ciphertext: row.get(10) };
        let binding = Binding { workspace_id, social_account_id: endpoint_id, field: Field::WebhookSecret };
        let secret = match self.keyring.decrypt(&sealed, &binding) {
            Ok(s) => s,
            Err(e) => {
                tracing::error!(webhook.endpoint = %endpoint_id, error = %e, "webhook signing secret cannot be opened");
                client
                    .execute(
                        "update postiz.webhook_deliveries set status = 'failed', last_attempt_at = now(),
                           last_error = 'the endpoint''s signing secret cannot be read; rotate its secret' where id = $1",
                        &[&delivery_id],
                    )
                    .await?;
                pgmq::archive(&**client, WEBHOOKS_QUEUE, msg.msg_id).await?;
                return Ok(Handled::Failed);
            }
        };
        // After a rotation the replaced secret signs beside the new one for a day. One that
        // cannot be opened is left out: the current secret's signature is still there.
        let previous = match (row.get::<_, Option<String>>(11), row.get::<_, Option<Vec<u8>>>(12), row.get::<_, Option<Vec<u8>>>(13)) {
            (Some(key_id), Some(nonce), Some(ciphertext)) if row.get::<_, bool>(14) => {
                match self.keyring.decrypt(&Sealed { key_id, nonce, ciphertext }, &binding) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        tracing::warn!(webhook.endpoint = %endpoint_id, error = %e, "the previous webhook signing secret cannot be opened; signing with the current one only");
                        None
                    }
                }
            }
            _ => None,
        };
        drop(client);

        let mut secrets = vec![secret.expose_secret()];
        secrets.extend(previous.as_ref().map(|p| p.expose_secret()));
        let attempt = self.post(&url, &secrets, &message_id(event_id), body).await;
        let attempt_no = attempts + 1;
        let mut client = self.pool.get().await?;
        let tx = client.transaction().await?;
        let handled = match attempt {
            Attempt::Ok(code) => {
                tx.execute(
                    "update postiz.webhook_deliveries set status = 'delivered', attempts = attempts + 1, last_attempt_at = now(),
                       delivered_at = now(), last_response_code = $2, last_error = null where id = $1",
                    &[&delivery_id, &i32::from(code)],
                )
                .await?;
                if !probe {
                    tx.execute(
                        "update postiz.webhook_endpoints set consecutive_failures = 0, failing_since = null
                         where id = $1 and (consecutive_failures <> 0 or failing_since is not null)",
                        &[&endpoint_id],
                    )
                    .await?;
                }
                pgmq::delete(&*tx, WEBHOOKS_QUEUE, msg.msg_id).await?;
                Handled::Delivered
            }
            Attempt::Failed { code, reason } => {
                let code = code.map(i32::from);
                let give_up = probe || attempt_no >= self.config.max_attempts;
                let delay = self.backoff(attempt_no);
                tx.execute(
                    "update postiz.webhook_deliveries set attempts = attempts + 1, last_attempt_at = now(),
                       last_response_code = $2, last_error = left($3, 500),
                       status = case when $4 then 'failed'::postiz.webhook_delivery_status else status end,
                       next_attempt_at = now() + make_interval(secs => $5)
                     where id = $1",
                    &[&delivery_id, &code, &reason, &give_up, &f64::from(delay)],
                )
                .await?;
                if !probe {
                    self.count_failure(&tx, endpoint_id, &reason).await?;
                }
                if give_up {
                    pgmq::archive(&*tx, WEBHOOKS_QUEUE, msg.msg_id).await?;
                    tracing::warn!(webhook.delivery = delivery_id, job.attempt = attempt_no, reason = %reason, "webhook delivery given up");
                    Handled::Failed
                } else {
                    pgmq::set_vt(&*tx, WEBHOOKS_QUEUE, msg.msg_id, delay).await?;
                    tracing::warn!(webhook.delivery = delivery_id, job.attempt = attempt_no, retry_in_secs = delay, reason = %reason, "webhook not delivered; will retry");
                    Handled::Retrying
                }
            }
        };
        tx.commit().await?;
        Ok(handled)
    }

    /// One more failure in a row for `endpoint_id`; past the configured count or time, the
    /// endpoint is turned off (its admins are told once, by `service_disable_webhook_endpoint`).
    async fn count_failure(&self, tx: &tokio_postgres::Transaction<'_>, endpoint_id: Uuid, reason: &str) -> anyhow::Result<()> {
        let streak = tx
            .query_one(
                "update postiz.webhook_endpoints set consecutive_failures = consecutive_failures + 1,
                   failing_since = coalesce(failing_since, now())
                 where id = $1
                 returning consecutive_failures, failing_since <= now() - make_interval(secs => $2)",
                &[&endpoint_id, &self.config.disable_after.as_secs_f64()],
            )
            .await?;
        let failures: i32 = streak.get(0);
        let too_long: bool = streak.get(1);
        if failures >= self.config.disable_after_failures || too_long {
            let why = format!("It failed {failures} time{} in a row (last: {reason}).", if failures == 1 { "" } else { "s" });
            let disabled: bool =
                tx.query_one("select postiz_private.service_disable_webhook_endpoint($1, $2)", &[&endpoint_id, &why]).await?.get(0);
            if disabled {
                tracing::warn!(webhook.endpoint = %endpoint_id, failures, "webhook endpoint disabled after repeated failures");
            }
        }
        Ok(())
    }

    /// One POST signed with each of `secrets` (the current one first; space-separated
    /// signatures, as Standard Webhooks specifies for rotation); the SSRF guard first (names
    /// are checked again as they resolve).
    async fn post(&self, url: &str, secrets: &[&str], id: &str, body: String) -> Attempt {
        let parsed = match Url::parse(url) {
            Ok(u) => u,
            Err(_) => return Attempt::Failed { code: None, reason: "the endpoint URL is not a valid address".into() },
        };
        if let Err(reason) = check_user_url(&parsed, &self.config.private_allow).await {
            return Attempt::Failed { code: None, reason };
        }
        let timestamp = chrono::Utc::now().timestamp();
        let signature = match secrets.iter().map(|secret| sign(secret, id, timestamp, &body)).collect::<anyhow::Result<Vec<_>>>() {
            Ok(s) => s.join(" "),
            Err(_) => return Attempt::Failed { code: None, reason: "the endpoint's signing secret is malformed".into() },
        };
        let sent = self
            .http
            .post(parsed)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(resp) if resp.status().is_success() => Attempt::Ok(resp.status().as_u16()),
            Ok(resp) => {
                let status = resp.status();
                Attempt::Failed { code: Some(status.as_u16()), reason: format!("the endpoint answered {}", status) }
            }
            Err(e) if e.is_timeout() => {
                Attempt::Failed { code: None, reason: format!("no answer within {} s", self.config.timeout.as_secs()) }
            }
            Err(e) if e.is_connect() => {
                Attempt::Failed { code: None, reason: "the endpoint could not be reached (connection failed)".into() }
            }
            Err(_) => Attempt::Failed { code: None, reason: "the request to the endpoint failed".into() },
        }
    }

    /// Seconds before the next attempt: `retry_base` doubled per attempt, at most `retry_cap`.
    fn backoff(&self, attempt: i32) -> i32 {
        let base = self.config.retry_base.as_secs_f64().max(0.0);
        let secs = base * 2f64.powi(attempt.saturating_sub(1).min(20));
        secs.min(self.config.retry_cap.as_secs_f64()).ceil() as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_the_specification_example() {
        // The example of the Standard Webhooks specification (and its libraries' tests).
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        let sig = sign(secret, id, 1614265330, body).expect("sign");
        assert_eq!(sig, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
    }

    #[test]
    fn new_secrets_are_whsec_and_32_bytes() {
        let s = new_secret();
        let raw = STANDARD.decode(s.strip_prefix("whsec_").expect("prefix")).expect("base64");
        assert_eq!(raw.len(), 32);
        assert_ne!(s, new_secret());
    }
}
