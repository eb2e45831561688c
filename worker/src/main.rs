//! `postiz-worker`: publishes scheduled posts and runs the other background jobs
//! (`postiz_worker::jobs`: analytics ingestion, the token sweep, the upload sweep).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use clap::{Parser, Subcommand};
use postiz_providers::{HttpClient, HttpSettings, Registry};
use postiz_worker::backoff::RetryPolicy;
use postiz_worker::jobs::Jobs;
use postiz_worker::jobs::deliver_webhooks::{DeliverWebhooks, WebhookJobConfig};
use postiz_worker::jobs::preflight_accounts::{PreflightAccounts, PreflightConfig};
use postiz_worker::jobs::publish_posts::PublishPosts;
use postiz_worker::jobs::queue_digests::QueueDigests;
use postiz_worker::jobs::refresh_tokens::RefreshTokens;
use postiz_worker::jobs::send_notification_emails::{EmailJobConfig, SendNotificationEmails};
use postiz_worker::jobs::sweep_uploads::SweepUploads;
use postiz_worker::jobs::warn_expiring_tokens::WarnExpiringTokens;
use postiz_worker::pacing::Pacer;
use postiz_worker::publish::PublishContext;
use postiz_worker::runner::RunnerConfig;
use postiz_worker::store::Store;

#[derive(Parser, Debug)]
#[command(name = "postiz-worker", about = "Publishes scheduled posts from the pgmq queue", args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Without a subcommand the worker runs with these.
    #[command(flatten)]
    run: RunArgs,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// Serve Prometheus metrics on this address.
    #[arg(long, default_value = "127.0.0.1:9187")]
    metrics: std::net::SocketAddr,
    /// Base URL of the sandbox network, when it is enabled.
    #[arg(long, env = "POSTIZ_SANDBOX_URL")]
    sandbox_url: Option<url::Url>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run the worker (the default).
    Run(RunArgs),
    /// Run the enqueuer once and exit (what pg_cron does every minute on Supabase).
    EnqueueOnce,
    /// Re-encrypt every stored credential under the current key of POSTIZ_TOKEN_ENCRYPTION_KEYS
    /// (the first one), online and resumable. Keep the old keys listed behind it until this
    /// reports nothing left.
    RotateKeys {
        /// Rows per transaction.
        #[arg(long, default_value_t = 200)]
        batch: i64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()))
        .init();
    let settings = postiz_config::load().context("loading configuration")?;
    let secrets = postiz_config::Secrets::from_env().context("reading secrets")?;
    let pool = postiz_db::service_pool(&settings.database_url(&secrets), settings.database.pool_size)?;
    let worker_id = format!("{}-{}", hostname(), std::process::id());
    let store = Store::new(pool, worker_id);

    let cli = Cli::parse();
    match cli.command.unwrap_or(Command::Run(cli.run)) {
        Command::RotateKeys { batch } => {
            let keyring =
                postiz_vault::Keyring::from_secret(secrets.token_encryption_keys.as_ref()).context("POSTIZ_TOKEN_ENCRYPTION_KEYS")?;
            println!("re-encrypting stored credentials under key `{}`", keyring.current_key_id());
            let stats = postiz_worker::rotate::rotate_keys(store.pool(), &keyring, batch.max(1), |p| {
                println!("postiz.{}: {}/{} rows", p.table, p.done, p.total);
            })
            .await?;
            let total: u64 = stats.rotated.iter().map(|(_, n)| n).sum();
            println!("done: {total} rows re-encrypted; nothing is left under another key");
        }
        Command::EnqueueOnce => {
            let n = postiz_worker::ticker::tick(&store, std::time::Duration::from_secs(60)).await?;
            println!("enqueued {n} jobs");
        }
        Command::Run(RunArgs { metrics, sandbox_url }) => {
            let keyring =
                postiz_vault::Keyring::from_secret(secrets.token_encryption_keys.as_ref()).context("POSTIZ_TOKEN_ENCRYPTION_KEYS")?;
            let handle = postiz_worker::metrics::install()?;
            tokio::spawn(async move {
                if let Err(e) = postiz_worker::metrics::serve(metrics, handle).await {
                    tracing::error!(error = %e, "metrics endpoint stopped");
                }
            });
            tokio::spawn(postiz_worker::metrics::sample_forever(store.clone(), std::time::Duration::from_secs(5)));

            let http = HttpClient::new(HttpSettings {
                request_timeout: std::time::Duration::from_secs(u64::from(settings.worker.provider_timeout_secs)),
                private_allow: settings.private_servers.allow.clone(),
                ..HttpSettings::default()
            })?;
            let registry = Arc::new(Registry::with_defaults(&http, sandbox_url));
            let keyring = Arc::new(keyring);
            let clients = postiz_oauth::OAuthClients::from_settings(&settings.oauth).context("[oauth] clients")?;
            let tokens = Arc::new(postiz_worker::tokens::Tokens::new(
                store.pool().clone(),
                Arc::clone(&keyring),
                Arc::clone(&registry),
                clients,
                postiz_oauth::http_client(std::time::Duration::from_secs(u64::from(settings.worker.provider_timeout_secs))),
            ));
            let sweep = postiz_worker::tokens::SweepConfig {
                window: std::time::Duration::from_secs(u64::from(settings.oauth.refresh_ahead_secs)),
                every: std::time::Duration::from_secs(u64::from(settings.oauth.sweep_every_secs.max(1))),
                batch: i64::from(settings.oauth.sweep_batch),
                concurrency: usize::try_from(settings.oauth.sweep_concurrency).unwrap_or(4),
                pace: std::time::Duration::from_millis(settings.oauth.sweep_pace_ms),
            };
            // One pacer for publishing and analytics: one budget per account.
            let pacer = Arc::new(Pacer::default());
            let analytics = postiz_worker::jobs::ingest_analytics::IngestAnalytics {
                store: store.clone(),
                registry: Arc::clone(&registry),
                keyring: Arc::clone(&keyring),
                pacer: Arc::clone(&pacer),
                tokens: Some(Arc::clone(&tokens)),
            };
            analytics.set_cadence(&settings.analytics.post_cadence_hours).await.context("[analytics] post_cadence_hours")?;
            let storage = Arc::new(postiz_storage::MediaStorage::from_settings(&settings.media).context("[media] storage")?);
            let public_urls = postiz_storage::public_url::PublicUrls::from_settings(&settings, &storage).context("[media] public URLs")?;
            match &public_urls {
                Some(urls) => tracing::info!(media.public_urls = ?urls, "public media URLs ready"),
                None => tracing::warn!(
                    "POSTIZ_MEDIA_URL_SECRET is not set: no public media URLs, so Instagram, Threads and Slack refuse posts with media"
                ),
            }
            let ctx = PublishContext {
                recorder: postiz_worker::recorder::Recorder::spawn(store.clone()),
                store,
                keyring,
                pacer,
                retry: RetryPolicy {
                    max_attempts: i32::try_from(settings.worker.max_attempts).unwrap_or(6),
                    base: std::time::Duration::from_millis(settings.worker.retry_base_ms),
                    ..RetryPolicy::default()
                },
                lease_secs: f64::from(settings.worker.visibility_timeout_secs),
                media: Some(storage),
                public_urls: public_urls.map(Arc::new),
                tokens: Some(Arc::clone(&tokens)),
            };
            let config = RunnerConfig {
                batch_size: i32::try_from(settings.worker.batch_size).unwrap_or(64),
                visibility_timeout_secs: i32::try_from(settings.worker.visibility_timeout_secs).unwrap_or(120),
                max_in_flight: settings.worker.max_in_flight.max(1),
                ..RunnerConfig::default()
            };
            let stop = Arc::new(AtomicBool::new(false));
            let flag = Arc::clone(&stop);
            tokio::spawn(async move {
                let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = async { if let Some(t) = term.as_mut() { t.recv().await; } else { std::future::pending::<()>().await } } => {}
                }
                tracing::info!("stop requested");
                flag.store(true, Ordering::Relaxed);
            });
            let preflight = PreflightAccounts {
                store: ctx.store.clone(),
                registry: Arc::clone(&registry),
                keyring: Arc::clone(&ctx.keyring),
                tokens: Some(Arc::clone(&tokens)),
                config: PreflightConfig {
                    before: std::time::Duration::from_secs(u64::from(settings.worker.preflight_before_secs)),
                    ..PreflightConfig::default()
                },
            };
            let expiring = WarnExpiringTokens { pool: ctx.store.pool().clone(), ahead: WarnExpiringTokens::DEFAULT_AHEAD };
            let uploads = ctx.media.clone().map(|storage| SweepUploads { store: ctx.store.clone(), storage });
            let email_pool = ctx.store.pool().clone();
            let webhook_pool = ctx.store.pool().clone();
            let webhook_keyring = Arc::clone(&ctx.keyring);
            let mut jobs = Jobs::new(stop)
                .register(PublishPosts { ctx, registry: Arc::clone(&registry), config })
                .register(analytics)
                .register(RefreshTokens { tokens: Arc::clone(&tokens), config: sweep })
                .register(expiring);
            if settings.worker.preflight_before_secs > 0 {
                jobs = jobs.register(preflight);
            } else {
                tracing::info!("[worker] preflight_before_secs is 0: tokens are not verified before scheduled posts");
            }
            if let Some(uploads) = uploads {
                jobs = jobs.register(uploads);
            }
            if settings.email.enabled() {
                let credentials = postiz_config::smtp_credentials().context("SMTP credentials")?;
                let mailer = postiz_worker::mailer::Mailer::new(&settings.email, credentials).context("[email]")?;
                let emails = SendNotificationEmails {
                    pool: email_pool.clone(),
                    mailer: Arc::new(mailer),
                    config: EmailJobConfig {
                        app_url: format!("{}/dashboard/postiz", settings.server.public_url.trim_end_matches('/')),
                        max_attempts: i32::try_from(settings.email.max_attempts.max(1)).unwrap_or(8),
                        retry_base: std::time::Duration::from_secs(30),
                        visibility_timeout_secs: i32::try_from(settings.email.timeout_secs.saturating_mul(3).max(60)).unwrap_or(90),
                        every: std::time::Duration::from_secs(1),
                    },
                };
                let digests = QueueDigests { pool: email_pool, send_hour: i32::try_from(settings.email.digest_hour.min(23)).unwrap_or(8) };
                jobs = jobs.register(emails).register(digests);
            } else {
                tracing::warn!("[email] smtp_host or from is not set: notification emails wait in the outbox; the inbox works");
            }
            let webhooks = DeliverWebhooks::new(
                webhook_pool,
                Arc::clone(&webhook_keyring),
                WebhookJobConfig {
                    max_attempts: i32::try_from(settings.webhooks.max_attempts.max(1)).unwrap_or(12),
                    retry_base: std::time::Duration::from_secs(u64::from(settings.webhooks.retry_base_secs)),
                    disable_after_failures: i32::try_from(settings.webhooks.disable_after_failures.max(1)).unwrap_or(10),
                    disable_after: std::time::Duration::from_secs(u64::from(settings.webhooks.disable_after_hours.max(1)) * 3600),
                    timeout: std::time::Duration::from_secs(u64::from(settings.webhooks.timeout_secs.max(1))),
                    private_allow: settings.private_servers.allow.clone(),
                    ..WebhookJobConfig::default()
                },
            )?;
            jobs = jobs.register(webhooks);
            tracing::info!("worker started");
            jobs.wait().await?;
            tracing::info!("worker stopped");
        }
    }
    Ok(())
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname").map_or_else(|_| "worker".into(), |h| h.trim().to_owned())
}
