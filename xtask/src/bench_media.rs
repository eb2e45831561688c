//! `cargo xtask bench media`: per-network image variants (`postiz-media`) in a release-built
//! process, one process per case so each peak RSS (`VmHWM`) is that case's alone: a 24 MP
//! photo-like JPEG (generated, with EXIF and GPS) to Instagram's rules (JPEG, ≤ 1,440 wide) and
//! to Bluesky's 1,000,000-byte cap, and a PNG declaring 100 MP (10,000 × 10,000) refused from its
//! header. Goal on 2 cores: ≤ 1.5 s and ≤ 200 MB each. Prints numbers; asserts nothing.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use anyhow::{Context, bail};

use crate::bench_worker::peak_rss_kb;
use crate::root;

pub fn run() -> anyhow::Result<()> {
    println!("building the release benchmark process (postiz-media example bench_media)…");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = Command::new(&cargo)
        .args(["build", "--release", "--quiet", "-p", "postiz-media", "--example", "bench_media"])
        .current_dir(root())
        .status()?;
    if !status.success() {
        bail!("release build failed");
    }
    let exe = root().join("target/release/examples/bench_media");
    let dir = root().join("target/bench-media");
    let out = Command::new(&exe).arg("generate").arg(&dir).output()?;
    if !out.status.success() {
        bail!("generating inputs failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    print!("input: {}", String::from_utf8_lossy(&out.stdout));
    let photo = dir.join("photo-24mp.jpg");
    let bomb = dir.join("declared-100mp.png");
    for (label, network, file) in [
        ("24 MP JPEG -> Instagram", "instagram", &photo),
        ("24 MP JPEG -> Bluesky (1 MB cap)", "bluesky", &photo),
        ("24 MP JPEG -> X (5 MB cap)", "x", &photo),
        ("100 MP PNG header -> refused", "bluesky", &bomb),
    ] {
        let mut child = Command::new(&exe).arg("transform").arg(network).arg(file).stdin(Stdio::piped()).stdout(Stdio::piped()).spawn()?;
        let mut line = String::new();
        BufReader::new(child.stdout.take().context("stdout")?).read_line(&mut line)?;
        // The transform is done and the process waits on stdin: its high-water mark is final.
        let peak = peak_rss_kb(child.id())?;
        drop(child.stdin.take());
        child.wait()?;
        println!("{label:<36} peak_rss={:.1} MB  {}", peak as f64 / 1024.0, line.trim());
    }
    Ok(())
}
