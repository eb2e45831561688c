//! Installing a test peer once under `target/peers/`, shared by every test binary of a run and
//! by later runs.

use std::path::Path;
use std::time::Duration;

/// Runs `install` unless `marker` exists, then writes `marker`. A directory lock next to `dir`
/// keeps parallel test binaries from installing at once: the others wait for the marker, and
/// break a lock older than `stale_after` (left by an installer that was killed).
pub(crate) fn install_once(dir: &Path, marker: &Path, stale_after: Duration, install: impl FnOnce()) {
    if marker.exists() {
        return;
    }
    let parent = dir.parent().expect("a peer directory has a parent");
    std::fs::create_dir_all(parent).expect("creating target/peers");
    let name = dir.file_name().expect("a peer directory has a name").to_string_lossy();
    let lock = parent.join(format!(".{name}-lock"));
    while std::fs::create_dir(&lock).is_err() {
        if marker.exists() {
            return;
        }
        // The lock's own age, so a lock left by a killed run is broken at once by the next.
        let age = std::fs::metadata(&lock).and_then(|m| m.modified()).ok().and_then(|t| t.elapsed().ok());
        if age.is_some_and(|age| age > stale_after) {
            let _ = std::fs::remove_dir(&lock);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    if marker.exists() {
        let _ = std::fs::remove_dir(&lock);
        return;
    }
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        install();
        std::fs::write(marker, b"").expect("writing the install marker");
    }));
    let _ = std::fs::remove_dir(&lock);
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}
