use std::time::Duration;

use crate::services::{self, LocalSecrets, Service};
use crate::{db, settings};

/// Where the sandbox network listens locally.
const SANDBOX_BIND: &str = "127.0.0.1:7979";
/// Where the worker serves Prometheus metrics locally.
const METRICS_BIND: &str = "127.0.0.1:9187";
/// Where the module API (in the demo host) serves its Prometheus metrics locally.
const API_METRICS_BIND: &str = "127.0.0.1:9188";

/// The README's first command. Starts the database, the sandbox network, the publish worker and
/// the module API, prints where everything is, then waits for Ctrl-C or `cargo xtask stop`.
pub async fn run() -> anyhow::Result<()> {
    services::stop_recorded()?; // leftovers of a previous run that was killed
    crate::debian::ensure_optional(crate::debian::FFMPEG);
    let (cluster, started) = db::up().await?;
    db::print_location(&cluster, started);
    println!("building the services…");
    services::build()?;
    crate::ui::build(&crate::ui::UiArgs::default())?;
    let s = settings()?;
    let secrets = LocalSecrets::load_or_create()?;
    let sandbox_url = format!("http://{SANDBOX_BIND}");
    let env = vec![
        ("SUPABASE_DB_URL", cluster.url("postgres", "postgres")),
        ("SUPABASE_JWT_SECRET", secrets.jwt_secret.clone()),
        ("POSTIZ_TOKEN_ENCRYPTION_KEYS", secrets.encryption_keys.clone()),
        ("POSTIZ_SANDBOX_URL", sandbox_url.clone()),
        // Signs public media links; the worker and the demo host's API share it. A new one per
        // run: links live an hour at most anyway.
        ("POSTIZ_MEDIA_URL_SECRET", services::random_secret()?),
        // Servers people run next to the demo (a PDS, a Mastodon stand-in, files to import)
        // listen on loopback, which user-entered server addresses may not reach unless the
        // operator lists it ([private_servers] allow). A deployment lists its intranet instead.
        ("POSTIZ__PRIVATE_SERVERS__ALLOW", r#"["127.0.0.0/8", "::1/128", "localhost"]"#.into()),
        ("RUST_LOG", "info".into()),
    ];
    let running: Vec<Service> = vec![
        services::spawn("sandbox", "postiz-sandbox", &["--bind", SANDBOX_BIND], &env)?,
        services::spawn("worker", "postiz-worker", &["run", "--metrics", METRICS_BIND], &env)?,
        // The demo host serves the module page, the UI bundle and the module API on one origin.
        services::spawn("demo-host", "postiz-demo-host", &["--metrics", API_METRICS_BIND], &env)?,
    ];
    services::write_pids(&running)?;
    let mut running = running;

    println!(
        "\nrunning:\n  demo host       {public}/dashboard/postiz  (sign in as a demo user; the module shares the session)\n  mailbox         {public}/mailbox  (invite emails; the demo host stands in for Supabase Auth)\n  module API      {public}{base}/health\n  sandbox network {sandbox_url}/_control/posts\n  worker metrics  http://{METRICS_BIND}/metrics\n  API metrics     http://{API_METRICS_BIND}/metrics\n  logs            .postiz/logs/\n\npress Ctrl-C (or run `cargo xtask stop`) to stop everything",
        public = s.server.public_url.trim_end_matches('/'),
        base = s.server.base_path,
    );
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            signal = tokio::signal::ctrl_c() => {
                signal?;
                println!("stopping…");
                return stop().await;
            }
            _ = tick.tick() => {
                if !cluster.is_running() {
                    println!("database stopped from elsewhere; stopping the services");
                    services::stop_recorded()?;
                    return Ok(());
                }
                for service in &mut running {
                    if let Ok(Some(status)) = service.child.try_wait() {
                        println!("{} exited ({status}); see .postiz/logs/{}.log — stopping everything", service.name, service.name);
                        return stop().await;
                    }
                }
            }
        }
    }
}

/// Stops everything `run` started: the services (gracefully), then the database.
pub async fn stop() -> anyhow::Result<()> {
    let stopped = tokio::task::spawn_blocking(services::stop_recorded).await??;
    if !stopped.is_empty() {
        println!("stopped {}", stopped.join(", "));
    }
    let cluster = crate::cluster()?;
    let down = tokio::task::spawn_blocking(move || cluster.stop()).await??;
    println!("{}", if down { "database stopped" } else { "database was not running" });
    Ok(())
}
