//! Background jobs beside publishing, each in its own file with its name and cadence as
//! constants. Every job is idempotent: a watch or row it handles is leased in Postgres, so any
//! number of worker processes may run it at once, and a crash only delays the work.

pub mod ingest_analytics;
