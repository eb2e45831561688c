//! Contract tests for every adapter, in one test binary (one link step on a 2-core machine).
//! Each network module runs the shared `conformance` suite, then its own request-shape tests.

#![expect(clippy::unwrap_used, reason = "tests")]

#[macro_use]
mod conformance;

mod bluesky;
mod bluesky_pds;
mod devto;
mod discord;
mod facebook;
mod instagram;
mod linkedin;
mod mastodon;
mod media_host;
mod nostr;
mod sandbox;
mod slack;
mod telegram;
mod threads;
mod tiktok;
mod validation;
mod x;
mod youtube;
