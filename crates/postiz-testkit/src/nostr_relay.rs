//! A real Nostr relay for tests: `nostr-relay` from PyPI (SQLite storage, loopback only), on a
//! free port, stopped and its files removed on drop.
#![allow(clippy::unwrap_used, clippy::expect_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The version the tests were written against.
const REQUIREMENT: &str = "nostr-relay==1.14";

/// A running relay.
#[derive(Debug)]
pub struct NostrRelay {
    child: Child,
    dir: PathBuf,
    /// `ws://127.0.0.1:{port}/`.
    pub url: String,
}

impl Drop for NostrRelay {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl NostrRelay {
    /// Installs the relay on first use, starts it and waits until it accepts connections.
    pub async fn start() -> Self {
        let python = tokio::task::spawn_blocking(|| crate::pypi::python("nostr-relay", REQUIREMENT)).await.unwrap();
        let bin = python.parent().unwrap().join("nostr-relay");
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("postiz-nostr-relay-{port}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("config.yaml");
        std::fs::write(
            &config,
            format!(
                "relay_name: postiz test relay\n\
                 storage:\n  sqlalchemy.url: sqlite+aiosqlite:///{db}\n  num_concurrent_reqs: 4\n  num_concurrent_adds: 1\n  \
                 validators:\n    - nostr_relay.validators.is_signed\n    - nostr_relay.validators.is_recent\n\
                 gunicorn:\n  bind: 127.0.0.1:{port}\n  workers: 1\n  loglevel: warning\n  reload: false\n\
                 authentication:\n  enabled: false\nmessage_timeout: 60\nsubscription_limit: 32\nmax_limit: 6000\n",
                db = dir.join("nostr.sqlite3").display()
            ),
        )
        .unwrap();
        let child = Command::new(&bin)
            .arg("-c")
            .arg(&config)
            .args(["serve", "--use-uvicorn"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", bin.display()));
        let relay = Self { child, dir, url: format!("ws://127.0.0.1:{port}/") };
        // uvicorn listens once the app has started.
        let started = Instant::now();
        while tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            assert!(started.elapsed() < Duration::from_secs(60), "nostr-relay did not start on port {port}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        relay
    }
}
