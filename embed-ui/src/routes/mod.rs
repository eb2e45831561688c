//! One file per screen.

pub mod accounts;
pub mod activity;
pub mod analytics;
pub mod calendar;
pub mod composer;
pub mod inbox;
pub mod invite;
pub mod media;
pub mod media_detail;
pub mod network_settings;
pub mod post_detail;
pub mod posts;
pub mod review;
pub mod review_links;
pub mod settings;
