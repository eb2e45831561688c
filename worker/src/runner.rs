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
use crate::store::{ClaimedJob, StoreError};

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

/// Messages admitted by pacing, by job: their message id and the pacing permit.
type Admitted = HashMap<uuid::Uuid, (i64, Admission)>;

/// What a task of the loop finished with.
enum Done {
    /// A claim statement came back: publish what it claimed, settle the rest.
    Claimed { claimed: Result<Vec<ClaimedJob>, StoreError>, admitted: Admitted },
    /// A publish job ended (`None`: recording its outcome failed).
    Published(Option<Outcome>),
}

/// Most claim statements in flight at once: while one runs, the loop reads and paces the next
/// batch, so neither the database round trip nor the read leaves the other idle.
const CONCURRENT_CLAIMS: usize = 2;

/// Runs until `stop` is set, then finishes in-flight work within the deadline.
pub async fn run(ctx: PublishContext, registry: Arc<Registry>, config: RunnerConfig, stop: Arc<AtomicBool>) -> anyhow::Result<RunStats> {
    let mut loop_state = Loop { ctx, registry, tasks: JoinSet::new(), stats: RunStats::default(), claims: HashMap::new(), publishing: 0 };
    let mut last_tick = tokio::time::Instant::now() - config.tick_every;
    let mut last_sweep = tokio::time::Instant::now() - config.sweep_every;
    let lease = f64::from(config.visibility_timeout_secs);
    let ctx = loop_state.ctx.clone();

    while !stop.load(Ordering::Relaxed) {
        metrics::gauge!(m::HEARTBEAT).set(chrono::Utc::now().timestamp() as f64);
        while let Some(done) = loop_state.tasks.try_join_next_with_id() {
            loop_state.finished(done).await;
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
        let claiming: usize = loop_state.claims.values().sum();
        let room = config.max_in_flight.saturating_sub(loop_state.publishing + claiming);
        if room == 0 || loop_state.claims.len() >= CONCURRENT_CLAIMS {
            if let Some(done) = loop_state.tasks.join_next_with_id().await {
                loop_state.finished(done).await;
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
            // Nothing to read: wait for a task if any is running (it may free room or bring
            // a claim back), else poll again shortly.
            tokio::select! {
                Some(done) = loop_state.tasks.join_next_with_id() => loop_state.finished(done).await,
                () = tokio::time::sleep(config.idle_poll) => {}
            }
            continue;
        }

        // Pace before claiming: a job that must wait is not touched, only hidden again.
        let mut admitted = Admitted::new();
        let mut postponed = Vec::new();
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
                    postponed.push((msg.msg_id, secs));
                }
            }
        }
        if let Err(e) = ctx.store.postpone(&postponed).await {
            // They reappear after the visibility timeout instead.
            tracing::warn!(error = %e, count = postponed.len(), "postponing paced messages failed");
        }
        if admitted.is_empty() {
            continue;
        }
        let ids: Vec<uuid::Uuid> = admitted.keys().copied().collect();
        let size = ids.len();
        let store = ctx.store.clone();
        let task = loop_state.tasks.spawn(async move {
            let claimed = store.claim(&ids, lease).await;
            Done::Claimed { claimed, admitted }
        });
        loop_state.claims.insert(task.id(), size);
    }

    tracing::info!(in_flight = loop_state.tasks.len(), "stopping: finishing in-flight jobs");
    let deadline = tokio::time::sleep(config.shutdown_deadline);
    tokio::pin!(deadline);
    loop {
        tokio::select! {
            // Claims that come back are still published: their jobs are held by this worker.
            next = loop_state.tasks.join_next_with_id() => match next {
                Some(done) => loop_state.finished(done).await,
                None => break,
            },
            () = &mut deadline => {
                tracing::warn!(abandoned = loop_state.tasks.len(), "shutdown deadline reached; their messages will be redelivered");
                loop_state.tasks.abort_all();
                break;
            }
        }
    }
    Ok(loop_state.stats)
}

/// The loop's tasks and counts.
struct Loop {
    ctx: PublishContext,
    registry: Arc<Registry>,
    tasks: JoinSet<Done>,
    stats: RunStats,
    /// Claim tasks in flight, with how many jobs each holds.
    claims: HashMap<tokio::task::Id, usize>,
    /// Publish tasks running.
    publishing: usize,
}

impl Loop {
    async fn finished(&mut self, done: Result<(tokio::task::Id, Done), tokio::task::JoinError>) {
        let id = match &done {
            Ok((id, _)) => *id,
            Err(e) => e.id(),
        };
        let was_claim = self.claims.remove(&id).is_some();
        if !was_claim {
            self.publishing = self.publishing.saturating_sub(1);
        }
        match done {
            Ok((_, Done::Claimed { claimed, mut admitted })) => self.start(claimed, &mut admitted).await,
            Ok((_, Done::Published(outcome))) => {
                let label = outcome.map_or("store_error", Outcome::label);
                *self.stats.outcomes.entry(label).or_default() += 1;
            }
            Err(e) => {
                // A claim task that died leaves its messages to reappear after their
                // visibility timeout; a publish task's job is recovered from its row.
                tracing::error!(error = %e, claim = was_claim, "a worker task died");
                *self.stats.outcomes.entry("aborted").or_default() += 1;
            }
        }
    }

    /// Spawns a publish task per claimed job and settles the messages of the others.
    async fn start(&mut self, claimed: Result<Vec<ClaimedJob>, StoreError>, admitted: &mut Admitted) {
        let ctx = &self.ctx;
        let claimed = match claimed {
            Ok(c) => c,
            Err(e) => {
                // Nothing was claimed (one statement): show the messages again shortly rather
                // than after the whole visibility timeout.
                tracing::warn!(error = %e, "claiming jobs failed");
                let again: Vec<(i64, i32)> = admitted.values().map(|(msg_id, _)| (*msg_id, 1)).collect();
                ctx.store.postpone(&again).await.ok();
                return;
            }
        };
        let unclaimed: Vec<uuid::Uuid> = admitted.keys().filter(|id| !claimed.iter().any(|c| c.id == **id)).copied().collect();
        if !unclaimed.is_empty() {
            settle_unclaimed(ctx, &unclaimed, admitted).await;
        }
        for job in claimed {
            let Some((_, admission)) = admitted.remove(&job.id) else { continue };
            let Some(provider) = self.registry.get(job.network).map(Arc::clone) else {
                tracing::error!(network = %job.network, "no adapter registered for this network");
                ctx.store
                    .finish(&job, crate::store::Final::Failed, "network_unavailable", "This network is not enabled on this server.")
                    .await
                    .ok();
                continue;
            };
            let ctx = ctx.clone();
            self.publishing += 1;
            self.tasks.spawn(async move {
                let _admission = admission;
                match publish::run(&ctx, provider.as_ref(), job).await {
                    Ok(outcome) => Done::Published(Some(outcome)),
                    Err(e) => {
                        // The row keeps its lease; the message reappears after its visibility
                        // timeout and the job is recovered from its recorded state.
                        tracing::error!(error = %e, "recording a publish outcome failed");
                        Done::Published(None)
                    }
                }
            });
        }
    }
}

async fn settle_unclaimable_inner(ctx: &PublishContext, ids: &[uuid::Uuid], admitted: &Admitted) -> anyhow::Result<()> {
    let mut archive = Vec::new();
    let mut later = Vec::new();
    for (id, verdict) in ctx.store.unclaimable(ids).await? {
        let Some((msg_id, _)) = admitted.get(&id) else { continue };
        match verdict {
            crate::store::Unclaimable::Archive => archive.push(*msg_id),
            crate::store::Unclaimable::Later(secs) => later.push((*msg_id, secs)),
        }
    }
    ctx.store.archive(&archive).await?;
    ctx.store.postpone(&later).await?;
    Ok(())
}

async fn settle_unclaimed(ctx: &PublishContext, ids: &[uuid::Uuid], admitted: &mut Admitted) {
    if let Err(e) = settle_unclaimable_inner(ctx, ids, admitted).await {
        tracing::warn!(error = %e, "settling unclaimable messages failed");
    }
    for id in ids {
        admitted.remove(id);
    }
}
