//! `cargo xtask ui`: builds the embedded UI bundle offline — the wasm32 target (added through
//! rustup when missing), `cargo build -p embed-ui --profile wasm-release`, the bindgen step via
//! `wasm-bindgen-cli-support` used as a library, optionally `wasm-opt` from the npm package
//! `binaryen` — into `target/ui/pkg/` (served by the demo host) and a versioned copy in
//! `target/ui/dist/postiz-ui-<version>-<hash>/`: content-named module and glue, the entry file,
//! brotli and gzip copies of each (`ui_assets`), and `manifest.json`. Prints raw, gzip and brotli
//! sizes and fails above the budget.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail};
use clap::Args;
use sha2::{Digest, Sha256};

use crate::root;
use crate::ui_assets::{self, ENTRY, GLUE, WASM};

const TARGET: &str = "wasm32-unknown-unknown";
const PROFILE: &str = "wasm-release";
/// The module's whole download, brotli-compressed.
const BUDGET_BROTLI: usize = 600 * 1024;
/// The binaryen release whose `-Oz` output loads (Debian 12's v108 does not).
const BINARYEN: &str = "binaryen@132.0.0";

/// Options of `cargo xtask ui`.
#[derive(Args, Debug, Default)]
pub struct UiArgs {
    /// Also run `wasm-opt -Oz` (npm `binaryen`, installed into `target/ui-tools` on first use).
    #[arg(long)]
    pub wasm_opt: bool,
}

/// Where the current bundle is served from.
pub fn pkg_dir() -> PathBuf {
    root().join("target/ui/pkg")
}

fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".into())
}

fn ensure_target() -> anyhow::Result<()> {
    let out = Command::new("rustup").args(["target", "list", "--installed"]).output();
    let installed = out.as_ref().map(|o| String::from_utf8_lossy(&o.stdout).lines().any(|l| l.trim() == TARGET)).unwrap_or(false);
    if installed {
        return Ok(());
    }
    println!("adding the {TARGET} target (rustup target add {TARGET})");
    let status =
        Command::new("rustup").args(["target", "add", TARGET]).status().context("running rustup (is the toolchain managed by rustup?)")?;
    if !status.success() {
        bail!("`rustup target add {TARGET}` failed");
    }
    Ok(())
}

fn wasm_opt(input: &Path) -> anyhow::Result<()> {
    let tools = root().join("target/ui-tools");
    let bin = tools.join("node_modules/.bin/wasm-opt");
    if !bin.exists() {
        std::fs::create_dir_all(&tools)?;
        println!("installing {BINARYEN} into {}", tools.display());
        let status = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--prefix", &tools.to_string_lossy(), BINARYEN])
            .status()
            .context("running npm (needed only for --wasm-opt)")?;
        if !status.success() {
            bail!("npm install {BINARYEN} failed");
        }
    }
    let status = Command::new(&bin)
        .arg("-Oz")
        .arg("--enable-bulk-memory")
        .arg("--enable-nontrapping-float-to-int")
        .arg("--enable-sign-ext")
        .arg("--enable-mutable-globals")
        .arg("--enable-reference-types")
        .arg("--enable-multivalue")
        .arg(input)
        .arg("-o")
        .arg(input)
        .status()
        .context("running wasm-opt")?;
    if !status.success() {
        bail!("wasm-opt failed");
    }
    Ok(())
}

fn kb(n: usize) -> String {
    format!("{:.1} KB", n as f64 / 1024.0)
}

/// Builds the bundle; returns the directory served as `/dashboard/postiz/pkg/`.
pub fn build(args: &UiArgs) -> anyhow::Result<PathBuf> {
    ensure_target()?;
    println!("building embed-ui for {TARGET} (profile {PROFILE})…");
    let status = Command::new(cargo())
        .args(["build", "--quiet", "-p", "embed-ui", "--target", TARGET, "--profile", PROFILE])
        .current_dir(root())
        .status()
        .context("running cargo build for embed-ui")?;
    if !status.success() {
        bail!("building embed-ui failed");
    }
    let input = root().join(format!("target/{TARGET}/{PROFILE}/embed_ui.wasm"));
    // One staging directory per build: several `cargo xtask ui` (or e2e runs) in one checkout
    // must not delete each other's files halfway.
    let staging = root().join(format!("target/ui/staging-{}", std::process::id()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)?;
    }
    std::fs::create_dir_all(&staging)?;
    wasm_bindgen_cli_support::Bindgen::new()
        .input_path(&input)
        .web(true)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        // The library defaults this to true (the CLI to false); without it `init()` fails.
        .omit_default_module_path(false)
        .typescript(false)
        .out_name("postiz_embed_ui")
        .generate(&staging)
        .map_err(|e| anyhow::anyhow!("wasm-bindgen: {e}"))?;
    let wasm = staging.join(WASM);
    let bytes = std::fs::read(&wasm)?;
    std::fs::write(&wasm, strip_custom(&bytes, &["name"])?)?;
    if args.wasm_opt {
        wasm_opt(&wasm)?;
    }
    if walk(&staging)?.len() != 2 {
        // Snippets would be imported by the glue under names we do not hash or precompress.
        bail!("bindgen wrote more than {GLUE} and {WASM} into {}: the bundle step handles only those", staging.display());
    }
    let template = std::fs::read_to_string(root().join("embed-ui/js/postiz.js")).context("reading embed-ui/js/postiz.js")?;
    let assets = ui_assets::fingerprint(&staging, &template)?;

    // Sizes, and a content hash for the versioned copy.
    let mut hasher = Sha256::new();
    let (mut raw, mut gz, mut br) = (0, 0, 0);
    println!("\n{:<44} {:>10} {:>10} {:>10}", "file (served as brotli, gzip or as is)", "raw", "gzip", "brotli");
    for f in &assets.files {
        hasher.update(std::fs::read(staging.join(&f.name))?);
        raw += f.raw;
        gz += f.gzip;
        br += f.brotli;
        println!("{:<44} {:>10} {:>10} {:>10}", f.name, kb(f.raw), kb(f.gzip), kb(f.brotli));
    }
    println!("{:<44} {:>10} {:>10} {:>10}", "total", kb(raw), kb(gz), kb(br));
    let hash = hex::encode(hasher.finalize())[..10].to_owned();
    let version = env!("CARGO_PKG_VERSION");
    // Hosts read `files` to preload the module and its glue next to the entry import.
    let manifest = serde_json::json!({
        "version": version,
        "hash": hash,
        "entry": ENTRY,
        "files": { "glue": assets.glue, "wasm": assets.wasm },
        "bytes": { "raw": raw, "gzip": gz, "brotli": br },
    });
    std::fs::write(staging.join("manifest.json"), format!("{manifest}\n"))?;

    let dist = root().join(format!("target/ui/dist/postiz-ui-{version}-{hash}"));
    copy_dir(&staging, &dist)?;
    let pkg = pkg_dir();
    // Swap the served directory: the old one aside, the new one in, the old one gone. Another
    // build landing in between is replaced (the newer bundle wins either way).
    let old = root().join(format!("target/ui/pkg-old-{}", std::process::id()));
    if pkg.exists() {
        std::fs::rename(&pkg, &old).ok();
    }
    if std::fs::rename(&staging, &pkg).is_err() {
        std::fs::remove_dir_all(&pkg).ok();
        std::fs::rename(&staging, &pkg).with_context(|| format!("moving the bundle into {}", pkg.display()))?;
    }
    std::fs::remove_dir_all(&old).ok();
    println!("\nbundle {version}-{hash}: {} (versioned copy: {})", pkg.display(), dist.display());
    if br > BUDGET_BROTLI {
        bail!("the bundle is {} brotli, over the {} budget", kb(br), kb(BUDGET_BROTLI));
    }
    println!("brotli total {} of the {} budget", kb(br), kb(BUDGET_BROTLI));
    Ok(pkg)
}

fn leb128(bytes: &[u8], mut i: usize) -> anyhow::Result<(usize, usize)> {
    let (mut value, mut shift) = (0usize, 0);
    loop {
        let b = *bytes.get(i).context("truncated wasm")?;
        i += 1;
        value |= usize::from(b & 0x7f) << shift;
        shift += 7;
        if b < 0x80 {
            return Ok((value, i));
        }
    }
}

/// Drops the custom sections named in `names` (the `name` section holds function names for
/// debugging: about 60 % of the file, useless to users).
fn strip_custom(bytes: &[u8], names: &[&str]) -> anyhow::Result<Vec<u8>> {
    if bytes.get(..4) != Some(b"\0asm") {
        bail!("not a wasm module");
    }
    let mut out = bytes[..8].to_vec();
    let mut i = 8;
    while i < bytes.len() {
        let start = i;
        let id = bytes[i];
        let (len, body) = leb128(bytes, i + 1)?;
        let end = body + len;
        let drop = id == 0 && {
            let (n, at) = leb128(bytes, body)?;
            bytes.get(at..at + n).is_some_and(|name| names.iter().any(|x| x.as_bytes() == name))
        };
        if !drop {
            out.extend_from_slice(bytes.get(start..end).context("truncated wasm section")?);
        }
        i = end;
    }
    Ok(out)
}

fn walk(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir)? {
        let p = e?.path();
        if p.is_dir() { out.extend(walk(&p)?) } else { out.push(p) }
    }
    Ok(out)
}

fn copy_dir(from: &Path, to: &Path) -> anyhow::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let p = e?.path();
        let dest = to.join(p.file_name().context("file name")?);
        if p.is_dir() { copy_dir(&p, &dest)? } else { std::fs::copy(&p, &dest).map(|_| ())? }
    }
    Ok(())
}
