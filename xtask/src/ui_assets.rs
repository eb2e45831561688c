//! The served shape of the UI bundle, written by `cargo xtask ui` after the bindgen step:
//!
//! - the wasm module and its JS glue under names carrying their content's hash
//!   (`postiz_embed_ui_bg-<hash>.wasm`, `postiz_embed_ui-<hash>.js`; the glue is rewritten to
//!   name the hashed module first, so its own hash covers the module's), which hosts cache for a
//!   year;
//! - the entry file the host imports (`postiz.js`, from `embed-ui/js/postiz.js`) under its fixed
//!   name, rewritten to import those names, which hosts revalidate on every load;
//! - brotli (quality 11) and gzip (level 9) copies of every file beside it (`.br`, `.gz`), which
//!   `postiz_api::bundle` (tower-http's `ServeDir`) picks from `Accept-Encoding`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context, bail};
use sha2::{Digest, Sha256};

/// bindgen's names, as `embed-ui/js/postiz.js` imports them.
pub const GLUE: &str = "postiz_embed_ui.js";
pub const WASM: &str = "postiz_embed_ui_bg.wasm";
pub const ENTRY: &str = "postiz.js";

/// One served file and its sizes.
#[derive(Debug, Clone, PartialEq)]
pub struct Served {
    pub name: String,
    pub raw: usize,
    pub gzip: usize,
    pub brotli: usize,
}

/// What [`fingerprint`] wrote.
#[derive(Debug)]
pub struct Assets {
    pub glue: String,
    pub wasm: String,
    /// Entry first, then glue, then wasm.
    pub files: Vec<Served>,
}

/// `stem-<first 10 hex digits of sha256>.ext` (the shape `postiz_api::bundle::is_content_named`
/// recognises).
pub fn content_name(name: &str, bytes: &[u8]) -> String {
    let hash = hex::encode(Sha256::digest(bytes));
    match name.rsplit_once('.') {
        Some((stem, ext)) => format!("{stem}-{}.{ext}", &hash[..10]),
        None => format!("{name}-{}", &hash[..10]),
    }
}

/// Replaces the one quoted occurrence of `./{from}` in `text` by `./{to}`; an error when the
/// text does not name it (a changed template or bindgen output must not ship unhashed names).
fn rename_reference(text: &str, from: &str, to: &str, what: &str) -> anyhow::Result<String> {
    let mut out = text.to_owned();
    let mut found = false;
    for quote in ['"', '\''] {
        for prefix in ["./", ""] {
            let needle = format!("{quote}{prefix}{from}{quote}");
            if out.contains(&needle) {
                out = out.replace(&needle, &format!("{quote}{prefix}{to}{quote}"));
                found = true;
            }
        }
    }
    if !found {
        bail!("{what} does not name {from}: cannot point it at {to}");
    }
    Ok(out)
}

pub fn gzip(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes)?;
    Ok(e.finish()?)
}

pub fn brotli(bytes: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut out = Vec::new();
    {
        let mut w = brotli::CompressorWriter::new(&mut out, 4096, 11, 22);
        w.write_all(bytes)?;
    }
    Ok(out)
}

/// Writes `name` with its `.br` and `.gz` copies into `dir`.
fn write_served(dir: &Path, name: &str, bytes: &[u8]) -> anyhow::Result<Served> {
    let (gz, br) = (gzip(bytes)?, brotli(bytes)?);
    std::fs::write(dir.join(name), bytes).with_context(|| format!("writing {name}"))?;
    std::fs::write(dir.join(format!("{name}.gz")), &gz)?;
    std::fs::write(dir.join(format!("{name}.br")), &br)?;
    Ok(Served { name: name.to_owned(), raw: bytes.len(), gzip: gz.len(), brotli: br.len() })
}

/// Turns bindgen's output in `dir` (`postiz_embed_ui.js`, `postiz_embed_ui_bg.wasm`) and the
/// entry template into the served bundle described above; bindgen's names are removed.
pub fn fingerprint(dir: &Path, entry_template: &str) -> anyhow::Result<Assets> {
    let wasm_bytes = std::fs::read(dir.join(WASM)).with_context(|| format!("reading {WASM}"))?;
    let wasm = content_name(WASM, &wasm_bytes);
    let glue_text = std::fs::read_to_string(dir.join(GLUE)).with_context(|| format!("reading {GLUE}"))?;
    // bindgen's default path for `init()` without arguments; the entry passes the URL itself,
    // but the glue should not name a file that is not served.
    let glue_text = rename_reference(&glue_text, WASM, &wasm, "the bindgen glue")?;
    let glue = content_name(GLUE, glue_text.as_bytes());
    let entry_text = rename_reference(entry_template, GLUE, &glue, "embed-ui/js/postiz.js")?;
    let entry_text = rename_reference(&entry_text, WASM, &wasm, "embed-ui/js/postiz.js")?;
    std::fs::remove_file(dir.join(WASM))?;
    std::fs::remove_file(dir.join(GLUE))?;
    let files = vec![
        write_served(dir, ENTRY, entry_text.as_bytes())?,
        write_served(dir, &glue, glue_text.as_bytes())?,
        write_served(dir, &wasm, &wasm_bytes)?,
    ];
    Ok(Assets { glue, wasm, files })
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    const TEMPLATE: &str =
        "import init from \"./postiz_embed_ui.js\";\nconst url = new URL(\"./postiz_embed_ui_bg.wasm\", import.meta.url);\n";

    fn staged() -> tempfile_free::Dir {
        let dir = tempfile_free::Dir::new();
        std::fs::write(dir.0.join(WASM), b"\0asm\x01\0\0\0 module body module body module body").expect("write");
        std::fs::write(dir.0.join(GLUE), "export default function init(p) { p ??= new URL('postiz_embed_ui_bg.wasm', import.meta.url); }")
            .expect("write");
        dir
    }

    /// A scratch directory under `target/` removed on drop (xtask has no tempfile dependency).
    mod tempfile_free {
        pub struct Dir(pub std::path::PathBuf);
        impl Dir {
            pub fn new() -> Dir {
                let p = crate::root().join(format!("target/xtask-test-{}", uuid::Uuid::new_v4()));
                std::fs::create_dir_all(&p).expect("mkdir");
                Dir(p)
            }
        }
        impl Drop for Dir {
            fn drop(&mut self) {
                std::fs::remove_dir_all(&self.0).ok();
            }
        }
    }

    #[test]
    fn names_carry_the_content_hash() {
        let a = content_name("postiz_embed_ui_bg.wasm", b"one");
        assert!(a.starts_with("postiz_embed_ui_bg-") && a.ends_with(".wasm") && a.len() == "postiz_embed_ui_bg-".len() + 10 + 5, "{a}");
        assert_eq!(a, content_name("postiz_embed_ui_bg.wasm", b"one"));
        assert_ne!(a, content_name("postiz_embed_ui_bg.wasm", b"two"));
    }

    #[test]
    fn the_entry_imports_the_hashed_files_and_every_file_has_compressed_copies() {
        let dir = staged();
        let assets = fingerprint(&dir.0, TEMPLATE).expect("fingerprint");
        let entry = std::fs::read_to_string(dir.0.join(ENTRY)).expect("entry");
        assert!(entry.contains(&format!("\"./{}\"", assets.glue)) && entry.contains(&format!("\"./{}\"", assets.wasm)), "{entry}");
        assert!(!entry.contains(GLUE) && !entry.contains(WASM), "{entry}");
        let glue = std::fs::read_to_string(dir.0.join(&assets.glue)).expect("glue");
        assert!(glue.contains(&format!("'{}'", assets.wasm)), "{glue}");
        assert!(!dir.0.join(WASM).exists() && !dir.0.join(GLUE).exists(), "bindgen's names are gone");
        assert_eq!(assets.files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(), [ENTRY, assets.glue.as_str(), assets.wasm.as_str()]);
        for f in &assets.files {
            let raw = std::fs::read(dir.0.join(&f.name)).expect("raw");
            let mut from_br = Vec::new();
            brotli::Decompressor::new(std::fs::File::open(dir.0.join(format!("{}.br", f.name))).expect("br"), 4096)
                .read_to_end(&mut from_br)
                .expect("brotli");
            let mut from_gz = Vec::new();
            flate2::read::GzDecoder::new(std::fs::File::open(dir.0.join(format!("{}.gz", f.name))).expect("gz"))
                .read_to_end(&mut from_gz)
                .expect("gzip");
            assert_eq!((from_br == raw, from_gz == raw, f.raw), (true, true, raw.len()), "{}", f.name);
        }
    }

    #[test]
    fn a_template_that_does_not_import_the_glue_is_refused() {
        let dir = staged();
        let err = fingerprint(&dir.0, "import init from \"./elsewhere.js\";").expect_err("refused");
        assert!(err.to_string().contains("does not name postiz_embed_ui.js"), "{err}");
    }
}
