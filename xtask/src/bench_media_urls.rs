//! `cargo xtask bench media-urls`: how fast the release API binary serves signed public media
//! links (`GET {base}/media/public/{token}/{name}`, what Instagram's or Slack's fetcher
//! requests) for an object in the local store. Prints requests/s, MB/s, latency p50/p99/max and
//! the API's CPU per request at a few client concurrencies; asserts nothing.
//!
//! Setup: a scratch database (the API binary wants one to start; the route itself reads none),
//! a temporary media directory holding one object of each size, a fresh
//! `POSTIZ_MEDIA_URL_SECRET`, and links signed the way the worker signs them. Latency is wall
//! time at the client over loopback from sending the request to the last body byte. The client
//! runs in this process on the same machine, so on a small machine it competes with the server
//! for CPU: numbers are a floor for the route, not its ceiling.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use clap::Args;
use postiz_storage::media_link::MediaLinkKey;
use postiz_storage::public_url::PublicUrls;
use postiz_testkit::TestDatabase;
use secrecy::SecretString;
use uuid::Uuid;

use crate::bench_worker::process_cpu_ms;
use crate::root;

/// Options of `bench media-urls`.
#[derive(Args, Debug)]
pub struct MediaUrlsArgs {
    /// Object sizes in bytes.
    #[arg(long, value_delimiter = ',', default_values_t = [1_048_576usize, 4_096])]
    sizes: Vec<usize>,
    /// Requests in flight at once (one line each).
    #[arg(long, value_delimiter = ',', default_values_t = [1usize, 8, 32])]
    concurrency: Vec<usize>,
    /// Measured requests per line.
    #[arg(long, default_value_t = 2000)]
    requests: usize,
    /// Unmeasured requests before each line.
    #[arg(long, default_value_t = 100)]
    warmup: usize,
}

pub async fn run(args: MediaUrlsArgs) -> anyhow::Result<()> {
    println!("building the release API binary…");
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "--quiet", "-p", "postiz-api", "--bin", "postiz-api"])
        .current_dir(root())
        .status()?;
    if !status.success() {
        bail!("release build of postiz-api failed");
    }
    let db = TestDatabase::new().await;
    let dir = tempfile_dir()?;
    let secret = crate::services::random_secret()?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let base = format!("http://127.0.0.1:{port}/dashboard/postiz/api");
    let urls = PublicUrls::signed(MediaLinkKey::new(SecretString::from(secret.clone())), &base, Duration::from_secs(3600))?;
    let workspace = Uuid::new_v4();
    let mut objects = Vec::new();
    for &size in &args.sizes {
        let path = format!("{workspace}/{}/original.jpg", Uuid::new_v4());
        let file = dir.join(&path);
        std::fs::create_dir_all(file.parent().context("object dir")?)?;
        let bytes: Vec<u8> = (0..size).map(|i| (i.wrapping_mul(2_654_435_761) >> 11) as u8).collect();
        std::fs::write(&file, &bytes)?;
        objects.push((size, urls.url_for(workspace, &path, "image/jpeg").await?, bytes));
    }

    let api = Api::start(&db.url(), &dir, &secret, port)?;
    let client = reqwest::Client::builder().pool_max_idle_per_host(64).build()?;
    let started = Instant::now();
    while client.get(format!("{base}/health")).send().await.is_err() {
        ensure!(started.elapsed() < Duration::from_secs(20), "the API did not start");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "\n{:>9} {:>5} {:>9} {:>9} {:>9} {:>9} {:>9} {:>12}",
        "object", "conc", "req/s", "MB/s", "p50 ms", "p99 ms", "max ms", "API CPU/req"
    );
    for (size, url, bytes) in &objects {
        // Once, checked: the link serves exactly the object.
        let body = client.get(url.clone()).send().await?.error_for_status()?.bytes().await?;
        ensure!(body.as_ref() == bytes.as_slice(), "the link served other bytes than the object");
        for &concurrency in &args.concurrency {
            burst(&client, url, concurrency.max(1), args.warmup).await?;
            let cpu_before = process_cpu_ms(api.child.id())?;
            let t = Instant::now();
            let mut latencies = burst(&client, url, concurrency.max(1), args.requests).await?;
            let wall = t.elapsed().as_secs_f64();
            let cpu = process_cpu_ms(api.child.id())? - cpu_before;
            latencies.sort();
            let n = latencies.len();
            let pct = |q: f64| latencies[((q * n as f64).ceil() as usize).clamp(1, n) - 1].as_secs_f64() * 1000.0;
            println!(
                "{:>9} {concurrency:>5} {:>9.0} {:>9.1} {:>9.2} {:>9.2} {:>9.2} {:>9.3} ms",
                human(*size),
                n as f64 / wall,
                (n * size) as f64 / wall / 1_048_576.0,
                pct(0.50),
                pct(0.99),
                pct(1.0),
                cpu / n as f64,
            );
        }
    }
    api.stop();
    std::fs::remove_dir_all(&dir).ok();
    Ok(())
}

/// `total` GETs of `url` with `concurrency` in flight; each request's time to its last byte.
async fn burst(client: &reqwest::Client, url: &url::Url, concurrency: usize, total: usize) -> anyhow::Result<Vec<Duration>> {
    let per_task = total.div_ceil(concurrency);
    let mut tasks = Vec::with_capacity(concurrency);
    for _ in 0..concurrency {
        let (client, url) = (client.clone(), url.clone());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(per_task);
            for _ in 0..per_task {
                let t = Instant::now();
                let mut response = client.get(url.clone()).send().await?.error_for_status()?;
                while response.chunk().await?.is_some() {}
                times.push(t.elapsed());
            }
            anyhow::Ok(times)
        }));
    }
    let mut all = Vec::with_capacity(total);
    for task in tasks {
        all.extend(task.await??);
    }
    Ok(all)
}

fn human(bytes: usize) -> String {
    if bytes >= 1_048_576 { format!("{} MiB", bytes / 1_048_576) } else { format!("{} KiB", bytes / 1024) }
}

/// A fresh directory under `target/` for the benchmark's objects.
fn tempfile_dir() -> anyhow::Result<std::path::PathBuf> {
    let dir = root().join("target/bench-media-urls").join(Uuid::new_v4().simple().to_string());
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}

struct Api {
    child: Child,
}

impl Api {
    fn start(db_url: &str, media_dir: &std::path::Path, secret: &str, port: u16) -> anyhow::Result<Self> {
        let child = Command::new(root().join("target/release/postiz-api"))
            .env("SUPABASE_DB_URL", db_url)
            .env("SUPABASE_URL", "http://127.0.0.1:9")
            .env("POSTIZ_CONFIG", "/nonexistent/config.toml")
            .env("POSTIZ__SERVER__BIND", format!("127.0.0.1:{port}"))
            .env("POSTIZ__MEDIA__LOCAL_DIR", media_dir)
            .env("POSTIZ_MEDIA_URL_SECRET", secret)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting postiz-api")?;
        Ok(Self { child })
    }

    fn stop(mut self) {
        self.child.kill().ok();
        self.child.wait().ok();
    }
}
