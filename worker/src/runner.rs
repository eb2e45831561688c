//! The worker loop: read a batch, pace, claim, publish concurrently; tick the enqueuer; stop
//! gracefully.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use postiz_providers::Registry;
use tokio::task::JoinSet;

use crate::metrics as m;
use crate::pacing::{Admission, Wait};
use crate::publish::{self, Outcome, PublishContext};

/// Knobs of the loop, with defaults that suit one small machine.
#[derive(Debug, Clone)]
pub struct RunnerConfig {
    /// Messages read per batch.
    pub batch_size: i32,
    /// Visibility timeout (and job lease) in seconds; longer than the provider timeout.
    pub visibility_timeout_secs: i32,
    /// Most jobs in flight at once.
    pub max_in_flight: usize,
    /// Pause between reads when the queue is empty.
    pub idle_poll: Duration,
    /// How often the enqueuer runs.
    pub tick_every: Duration,
    /// How far ahead the enqueuer looks (messages are delayed to their exact time).
    pub horizon: Duration,
    /// How often to look for due jobs whose message was lost.
    pub sweep_every: Duration,
    /// How long in-flight jobs may take to finish after SIGTERM.
    pub shutdown_deadline: Duration,
    /// Run the enqueuer in this process (off when another component, e.g. pg_cron, owns it).
    pub enqueue: bool,
}

impl Default for RunnerConfig {
    fn default() -> Self {
        Self {
            batch_size: 64,
            visibility_timeout_secs: 120,
            max_in_flight: 512,
            idle_poll: Duration::from_millis(20),
            tick_every: Duration::from_secs(1),
            // Enqueued this far ahead, messages stay invisible until their exact time: a burst
            // due in one second is already in the queue when it falls due.
            horizon: Duration::from_secs(10),
            sweep_every: Duration::from_secs(30),
            shutdown_deadline: Duration::from_secs(25),
            enqueue: true,
        }
    }
}

/// Counts of what the loop did, for tests and the drain benchmark.
#[derive(Debug, Default, Clone)]
pub struct RunStats {
    /// Outcomes seen.
    pub outcomes: HashMap<&'static str, u64>,
}

/// Runs until `stop` is set, then finishes in-flight work within the deadline.
pub async fn run(
    ctx: PublishContext,
    registry: Arc<Registry>,
    config: RunnerConfig,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<RunStats> {
    let mut tasks: JoinSet<Option<Outcome>> = JoinSet::new();
    let mut stats = RunStats::default();
    let mut last_tick = tokio::time::Instant::now() - config.tick_every;
    let mut last_sweep = tokio::time::Instant::now() - config.sweep_every;
    let lease = f64::from(config.visibility_timeout_secs);

    while !stop.load(Ordering::Relaxed) {
        metrics::gauge!(m::HEARTBEAT).set(chrono::Utc::now().timestamp() as f64);
        while let Some(done) = tasks.try_join_next() {
            record(&mut stats, done);
        }
        if config.enqueue && last_tick.elapsed() >= config.tick_every {
            last_tick = tokio::time::Instant::now();
            if let Err(e) = crate::ticker::tick(&ctx.store, config.horizon).await {
                tracing::warn!(error = %e, "enqueue tick failed");
            }
        }
        if last_sweep.elapsed() >= config.sweep_every {
            last_sweep = tokio::time::Instant::now();
            match ctx.store.sweep_lost().await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(count = n, "re-sent messages of jobs whose message was lost"),
                Err(e) => tracing::warn!(error = %e, "sweep failed"),
            }
        }
        let room = config.max_in_flight.saturating_sub(tasks.len());
        if room == 0 {
            if let Some(done) = tasks.join_next().await {
                record(&mut stats, done);
            }
            continue;
        }
        let qty = config.batch_size.min(i32::try_from(room).unwrap_or(i32::MAX));
        let (messages, malformed) = match ctx.store.read(config.visibility_timeout_secs, qty).await {
            Ok(read) => read,
            Err(e) => {
                tracing::warn!(error = %e, "reading the publish queue failed");
                tokio::time::sleep(Duration::from_secs(1)).await;
                continue;
            }
        };
        if !malformed.is_empty() {
            tracing::warn!(count = malformed.len(), "archiving malformed publish messages");
            ctx.store.archive(&malformed).await.ok();
        }
        if messages.is_empty() {
            tokio::time::sleep(config.idle_poll).await;
            continue;
        }

        // Pace before claiming: a job that must wait is not touched, only hidden again.
        let mut admitted: HashMap<uuid::Uuid, (i64, Admission)> = HashMap::new();
        for msg in &messages {
            match ctx.pacer.admit(msg.network, msg.account_id) {
                Ok(admission) => {
                    admitted.insert(msg.job_id, (msg.msg_id, admission));
                }
                Err(wait) => {
                    let secs = match wait {
                        Wait::Account(d) => i32::try_from(d.as_secs().max(1)).unwrap_or(3600),
                        Wait::Busy => 1,
                    };
                    ctx.store.postpone(msg.msg_id, secs).await.ok();
                }
            }
        }
        if admitted.is_empty() {
            continue;
        }
        let ids: Vec<uuid::Uuid> = admitted.keys().copied().collect();
        let claimed = match ctx.store.claim(&ids, lease).await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "claiming jobs failed");
                continue;
            }
        };
        let unclaimed: Vec<uuid::Uuid> = ids.iter().filter(|id| !claimed.iter().any(|c| c.id == **id)).copied().collect();
        if !unclaimed.is_empty() {
            settle_unclaimed(&ctx, &unclaimed, &mut admitted).await;
        }
        for job in claimed {
            let Some((_, admission)) = admitted.remove(&job.id) else { continue };
            let Some(provider) = registry.get(job.network).map(Arc::clone) else {
                tracing::error!(network = %job.network, "no adapter registered for this network");
                ctx.store
                    .finish(&job, crate::store::Final::Failed, "network_unavailable", "This network is not enabled on this server.")
                    .await
                    .ok();
                continue;
            };
            let ctx = ctx.clone();
            tasks.spawn(async move {
                let _admission = admission;
                match publish::run(&ctx, provider.as_ref(), job).await {
                    Ok(outcome) => Some(outcome),
                    Err(e) => {
                        // The row keeps its lease; the message reappears after its visibility
                        // timeout and the job is recovered from its recorded state.
                        tracing::error!(error = %e, "recording a publish outcome failed");
                        None
                    }
                }
            });
        }
    }

    tracing::info!(in_flight = tasks.len(), "stopping: finishing in-flight jobs");
    let deadline = tokio::time::sleep(config.shutdown_deadline);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            next = tasks.join_next() => match next {
                Some(done) => record(&mut stats, done),
                None => break,
            },
            () = &mut deadline => {
                tracing::warn!(abandoned = tasks.len(), "shutdown deadline reached; their messages will be redelivered");
                tasks.abort_all();
                break;
            }
        }
    }
    Ok(stats)
}

async fn settle_unclaimable_inner(ctx: &PublishContext, ids: &[uuid::Uuid], admitted: &HashMap<uuid::Uuid, (i64, Admission)>) -> anyhow::Result<()> {
    for (id, verdict) in ctx.store.unclaimable(ids).await? {
        let Some((msg_id, _)) = admitted.get(&id) else { continue };
        match verdict {
            crate::store::Unclaimable::Archive => ctx.store.archive(&[*msg_id]).await?,
            crate::store::Unclaimable::Later(secs) => ctx.store.postpone(*msg_id, secs).await?,
        }
    }
    Ok(())
}

async fn settle_unclaimed(ctx: &PublishContext, ids: &[uuid::Uuid], admitted: &mut HashMap<uuid::Uuid, (i64, Admission)>) {
    if let Err(e) = settle_unclaimable_inner(ctx, ids, admitted).await {
        tracing::warn!(error = %e, "settling unclaimable messages failed");
    }
    for id in ids {
        admitted.remove(id);
    }
}

fn record(stats: &mut RunStats, done: Result<Option<Outcome>, tokio::task::JoinError>) {
    let label = match done {
        Ok(Some(o)) => o.label(),
        Ok(None) => "store_error",
        Err(_) => "aborted",
    };
    *stats.outcomes.entry(label).or_default() += 1;
}
