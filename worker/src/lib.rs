//! The publish worker as a library, so tests and benchmarks drive the same code as the binary.
//!
//! Flow: the ticker turns due schedule occurrences into `queue_jobs` rows and pgmq messages
//! (`postiz_private.service_enqueue_due`); the runner reads messages, paces per account,
//! claims jobs with a lease, and runs each through the publish state machine, which records
//! every step before and after each provider request.

pub mod backoff;
pub mod jobs;
pub mod mailer;
pub mod media_variants;
pub mod metrics;
pub mod pacing;
pub mod publish;
pub mod recorder;
pub mod rotate;
pub mod runner;
pub mod store;
pub mod ticker;
pub mod tokens;
pub mod uploads;
