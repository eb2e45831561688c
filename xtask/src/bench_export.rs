//! The export part of `cargo xtask bench analytics`: one workspace's readings streamed as CSV
//! through the real API binary (release build), timed, with the API process's memory sampled
//! while it streams. The goal is a growth of at most 30 MB for a million rows: the export reads
//! pages of 2,000 rows and writes each out before reading the next.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use tokio_postgres::Client;

use crate::bench_worker::rss_kb;
use crate::root;

const JWT_SECRET: &str = "bench-export-jwt-secret-bench-export-jwt-secret";

/// Adds readings to workspace 0 until it holds `rows` in the last year, then exports them.
pub async fn run(admin: &Client, db_url: &str, rows: u64) -> anyhow::Result<()> {
    let (ws, owner): (String, String) = {
        let r = admin
            .query_one(
                "select w.id::text, m.user_id::text from postiz.workspaces w
                 join postiz.workspace_members m on m.workspace_id = w.id and m.role = 'owner'
                 where w.id = md5('ws0')::uuid",
                &[],
            )
            .await?;
        (r.get(0), r.get(1))
    };
    let have: i64 = admin
        .query_one("select count(*) from postiz.analytics_events where workspace_id = $1::text::uuid and bucket_start > now() - interval '364 days'", &[&ws])
        .await?
        .get(0);
    let missing = i64::try_from(rows)? - have;
    if missing > 0 {
        let t = Instant::now();
        // Hourly readings of the workspace's targets going back from now, one metric each.
        admin.execute("set session_replication_role = replica", &[]).await?;
        admin
            .execute(
                "insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start, observed_at)
                 select t.workspace_id, t.social_account_id, t.id, 'views', k,
                        date_trunc('hour', now()) - make_interval(hours => k::int), date_trunc('hour', now()) - make_interval(hours => k::int)
                 from (select * from postiz.post_targets where workspace_id = $1::text::uuid order by id) t,
                      generate_series(1, 8000) k
                 limit $2",
                &[&ws, &missing],
            )
            .await
            .context("adding readings for the export")?;
        admin.execute("set session_replication_role = origin", &[]).await?;
        eprintln!("added {missing} readings for the export in {:.0} s", t.elapsed().as_secs_f64());
    }

    println!("building the release API binary…");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "-p", "postiz-api", "--bin", "postiz-api"])
        .current_dir(root())
        .status()?;
    if !status.success() {
        bail!("release build of postiz-api failed");
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let api = Api::start(db_url, port)?;
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}/dashboard/postiz/api");
    let token = jwt(&owner)?;
    // Wait until it answers.
    let started = Instant::now();
    while client.get(format!("{base}/health")).send().await.is_err() {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(20), "the API did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let idle_kb = api.rss_kb()?;
    let peak = Arc::new(AtomicU64::new(idle_kb));
    let done = Arc::new(AtomicBool::new(false));
    let sampler = {
        let (peak, done, pid) = (Arc::clone(&peak), Arc::clone(&done), api.child.id());
        tokio::spawn(async move {
            while !done.load(Ordering::Relaxed) {
                if let Ok(kb) = rss_kb(pid) {
                    peak.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        })
    };
    let from = (chrono::Utc::now() - chrono::Duration::days(364)).date_naive();
    let t = Instant::now();
    let mut response = client
        .get(format!("{base}/workspaces/{ws}/analytics/export?kind=snapshots&format=csv&from={from}"))
        .bearer_auth(&token)
        .send()
        .await?
        .error_for_status()
        .context("export request")?;
    let (mut bytes, mut lines) = (0u64, 0u64);
    while let Some(chunk) = response.chunk().await? {
        bytes += chunk.len() as u64;
        lines += chunk.iter().filter(|b| **b == b'\n').count() as u64;
    }
    let elapsed = t.elapsed();
    done.store(true, Ordering::Relaxed);
    sampler.await.ok();
    let peak_kb = peak.load(Ordering::Relaxed);
    let growth_mb = (peak_kb.saturating_sub(idle_kb)) as f64 / 1024.0;
    println!(
        "export: {} rows ({:.1} MB of CSV) in {:.1} s ({:.0} rows/s); API RSS {:.1} MB idle, {:.1} MB peak: growth {growth_mb:.1} MB (goal ≤ 30 MB: {})",
        lines.saturating_sub(1),
        bytes as f64 / 1_048_576.0,
        elapsed.as_secs_f64(),
        lines as f64 / elapsed.as_secs_f64(),
        idle_kb as f64 / 1024.0,
        peak_kb as f64 / 1024.0,
        if growth_mb <= 30.0 { "yes" } else { "NO" }
    );
    api.stop();
    Ok(())
}

struct Api {
    child: Child,
}

impl Api {
    fn start(db_url: &str, port: u16) -> anyhow::Result<Self> {
        let child = Command::new(root().join("target/release/postiz-api"))
            .env("SUPABASE_DB_URL", db_url)
            .env("SUPABASE_JWT_SECRET", JWT_SECRET)
            .env("SUPABASE_URL", "http://127.0.0.1:9")
            .env("POSTIZ_CONFIG", "/nonexistent/config.toml")
            .env("POSTIZ__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("POSTIZ__DATABASE__POOL_SIZE", "8")
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting postiz-api")?;
        Ok(Self { child })
    }

    fn rss_kb(&self) -> anyhow::Result<u64> {
        rss_kb(self.child.id())
    }

    fn stop(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}

/// A Supabase-shaped HS256 session token for `user` (what the host's Auth would issue).
fn jwt(user: &str) -> anyhow::Result<String> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs();
    let claims = serde_json::json!({
        "sub": user, "role": "authenticated", "aud": "authenticated", "iss": "http://127.0.0.1:9/auth/v1",
        "email": "bench@example.com", "iat": now, "exp": now + 3600,
    });
    let key = jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes());
    Ok(jsonwebtoken::encode(&jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256), &claims, &key)?)
}
