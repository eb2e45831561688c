//! The process `cargo xtask bench media` measures (built in release): `generate <dir>` writes
//! the inputs (a 24 MP photo-like JPEG, a PNG declaring 100 MP); `transform <network> <file>`
//! reads one, times `make_variant` for that network's rules, prints one line of numbers, then
//! waits for its standard input to close so the caller can read its peak RSS.

use std::io::Read;
use std::time::Instant;

use postiz_domain::Network;
use postiz_media::{AspectFit, Original, Target, make_variant, samples};
use postiz_providers::ContentRules;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        ["generate", dir] => {
            let dir = std::path::Path::new(dir);
            std::fs::create_dir_all(dir)?;
            let photo = samples::jpeg(&samples::photo(6000, 4000), 92, Some(samples::exif(1, true)));
            std::fs::write(dir.join("photo-24mp.jpg"), &photo)?;
            std::fs::write(dir.join("declared-100mp.png"), samples::declared_png(10_000, 10_000))?;
            println!("photo-24mp.jpg {} bytes", photo.len());
        }
        ["transform", network, file] => {
            let network: Network = network.parse()?;
            let bytes = std::fs::read(file)?;
            let rules = &ContentRules::for_network(network).media;
            let name = std::path::Path::new(file).file_name().and_then(|n| n.to_str()).unwrap_or("input");
            let started = Instant::now();
            let result = make_variant(&Original { name, bytes: &bytes }, &Target { network, rules, fit: AspectFit::Refuse });
            let elapsed = started.elapsed();
            match result {
                Ok(v) => println!(
                    "ok ms={:.1} in_bytes={} out_bytes={} size={}x{} format={} encodes={}",
                    elapsed.as_secs_f64() * 1000.0,
                    bytes.len(),
                    v.bytes.len(),
                    v.width,
                    v.height,
                    v.format.mime(),
                    v.encodes
                ),
                Err(refusal) => println!("refused ms={:.3} code={} message={refusal}", elapsed.as_secs_f64() * 1000.0, refusal.code()),
            }
            // Hold until the caller has read /proc/<pid>/status.
            let mut rest = Vec::new();
            std::io::stdin().read_to_end(&mut rest)?;
        }
        _ => return Err("usage: bench_media generate <dir> | transform <network> <file>".into()),
    }
    Ok(())
}
