//! The pgmq calls the worker makes, using only signatures that exist in pgmq 1.4.4 (Supabase's
//! oldest), 1.5.x and the 1.11 SQL install we use locally. Columns are selected by name because
//! their order changed between versions.

use chrono::{DateTime, Utc};
use serde_json::Value;
use tokio_postgres::{Error, GenericClient, Row};

/// A message read from a queue.
#[derive(Debug, Clone)]
pub struct Message {
    /// Queue-unique id.
    pub msg_id: i64,
    /// How many times it has been read (1 on first delivery).
    pub read_ct: i32,
    /// When it was sent.
    pub enqueued_at: DateTime<Utc>,
    /// When it becomes visible again unless deleted or archived.
    pub vt: DateTime<Utc>,
    /// The payload.
    pub message: Value,
}

impl Message {
    fn from_row(row: &Row) -> Self {
        Self {
            msg_id: row.get("msg_id"),
            read_ct: row.get("read_ct"),
            enqueued_at: row.get("enqueued_at"),
            vt: row.get("vt"),
            message: row.get("message"),
        }
    }
}

/// Depth and age of a queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueMetrics {
    /// Messages in the queue, visible or not.
    pub queue_length: i64,
    /// Age in seconds of the oldest message, if any.
    pub oldest_msg_age_sec: Option<i32>,
    /// Messages ever sent.
    pub total_messages: i64,
}

/// Sends `message`, invisible for `delay_secs` seconds. Returns its id.
pub async fn send(client: &impl GenericClient, queue: &str, message: &Value, delay_secs: i32) -> Result<i64, Error> {
    let row = client.query_one("select * from pgmq.send($1::text, $2::jsonb, $3::integer)", &[&queue, message, &delay_secs]).await?;
    Ok(row.get(0))
}

/// Reads up to `qty` visible messages, hiding them for `vt_secs` seconds.
pub async fn read(client: &impl GenericClient, queue: &str, vt_secs: i32, qty: i32) -> Result<Vec<Message>, Error> {
    let rows = client
        .query(
            "select msg_id, read_ct, enqueued_at, vt, message from pgmq.read($1::text, $2::integer, $3::integer)",
            &[&queue, &vt_secs, &qty],
        )
        .await?;
    Ok(rows.iter().map(Message::from_row).collect())
}

/// Makes a message visible again `vt_secs` seconds from now (0: at once). Used for backoff and
/// to extend a lease.
pub async fn set_vt(client: &impl GenericClient, queue: &str, msg_id: i64, vt_secs: i32) -> Result<bool, Error> {
    let rows = client.query("select msg_id from pgmq.set_vt($1::text, $2::bigint, $3::integer)", &[&queue, &msg_id, &vt_secs]).await?;
    Ok(!rows.is_empty())
}

/// Hides each message `msg_ids[i]` for `vt_secs[i]` seconds, in one statement (one round trip
/// for a whole batch of paced messages). Uses the scalar `set_vt`, which every pgmq version has.
/// Returns how many messages were still there.
pub async fn set_vt_many(client: &impl GenericClient, queue: &str, msg_ids: &[i64], vt_secs: &[i32]) -> Result<u64, Error> {
    let row = client
        .query_one(
            "select count(*) from unnest($2::bigint[], $3::integer[]) as m(id, secs)
             cross join lateral pgmq.set_vt($1::text, m.id, m.secs) v",
            &[&queue, &msg_ids, &vt_secs],
        )
        .await?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or_default())
}

/// Moves a message to the archive table (history kept). False when it was already gone.
pub async fn archive(client: &impl GenericClient, queue: &str, msg_id: i64) -> Result<bool, Error> {
    let row = client.query_one("select pgmq.archive($1::text, $2::bigint)", &[&queue, &msg_id]).await?;
    Ok(row.get(0))
}

/// Moves several messages to the archive table in one call; returns how many were still there.
pub async fn archive_many(client: &impl GenericClient, queue: &str, msg_ids: &[i64]) -> Result<u64, Error> {
    let row = client.query_one("select count(*) from pgmq.archive($1::text, $2::bigint[])", &[&queue, &msg_ids]).await?;
    Ok(u64::try_from(row.get::<_, i64>(0)).unwrap_or_default())
}

/// Deletes a message. False when it was already gone.
pub async fn delete(client: &impl GenericClient, queue: &str, msg_id: i64) -> Result<bool, Error> {
    let row = client.query_one("select pgmq.delete($1::text, $2::bigint)", &[&queue, &msg_id]).await?;
    Ok(row.get(0))
}

/// Queue depth and oldest age.
pub async fn metrics(client: &impl GenericClient, queue: &str) -> Result<QueueMetrics, Error> {
    let row = client.query_one("select queue_length, oldest_msg_age_sec, total_messages from pgmq.metrics($1::text)", &[&queue]).await?;
    Ok(QueueMetrics {
        queue_length: row.get("queue_length"),
        oldest_msg_age_sec: row.get("oldest_msg_age_sec"),
        total_messages: row.get("total_messages"),
    })
}
