//! Validation of a `Draft` before anything is written: ids must exist in the workspace (RLS
//! hides every other workspace's rows, so "exists" means "exists for the caller"), content must
//! pass each network's rules, schedules must parse and be allowed by the plan.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use postiz_domain::{ComposedPost, MediaKind, MediaRef, Network, NetworkSettings, PostVariant, ThreadItem, VideoTraits};
use postiz_providers::Registry;
use serde_json::Value;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::model::{Draft, ScheduleInput};
use crate::ApiError;
use crate::checks::{Fields, check_time_zone};
use crate::occurrences::RecurringSpec;
use crate::routes::composer_options::AccountRules;
use crate::routes::media_alt::check_alt;

/// A schedule ready to store, with the values the database will hold.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum PlannedSchedule {
    /// Own row, kind `once`.
    Once { at: DateTime<Utc>, time_zone: String },
    /// Own row, kind `recurring`; `starts_at` is the rule's first occurrence.
    Recurring { starts_at: DateTime<Utc>, rrule: String, time_zone: String, ends_at: Option<DateTime<Utc>> },
    /// Pool membership; `create_pool` when the tag has no evergreen schedule yet.
    Evergreen { tag_id: Uuid, create_pool: Option<NewPool> },
}

/// An evergreen schedule to create for a tag.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct NewPool {
    pub starts_at: DateTime<Utc>,
    pub rrule: String,
    pub time_zone: String,
    pub ends_at: Option<DateTime<Utc>>,
    pub options: Value,
}

impl PlannedSchedule {
    /// `posts.scheduled_at`: the calendar's time axis.
    pub(crate) fn scheduled_at(&self) -> Option<DateTime<Utc>> {
        match self {
            PlannedSchedule::Once { at, .. } => Some(*at),
            PlannedSchedule::Recurring { starts_at, .. } => Some(*starts_at),
            PlannedSchedule::Evergreen { .. } => None,
        }
    }
}

/// What the checks learnt that writing needs.
#[derive(Debug)]
pub(crate) struct Checked {
    pub schedule: Option<PlannedSchedule>,
}

/// Workspace facts the checks need.
#[derive(Debug)]
struct WorkspaceFacts {
    time_zone: String,
    plan: String,
    allow_recurring: bool,
    allow_evergreen: bool,
}

/// Normalises a rule for storage: no `RRULE:` prefix, upper case (the table's check wants
/// upper-case keys; values are case-insensitive to the parser).
pub(crate) fn normalize_rrule(rule: &str) -> String {
    rule.trim().trim_start_matches("RRULE:").trim_start_matches("rrule:").to_ascii_uppercase()
}

/// Checks everything; `schedule_is_new` says whether the schedule was given in this request
/// (a stored schedule whose time has passed does not block an edit of the text).
///
/// `rules` holds what the networks said the target accounts may do (TikTok's creator info),
/// asked before the transaction; settings outside it are refused naming the field by label.
pub(crate) async fn check(
    tx: &Transaction<'_>,
    registry: &Registry,
    rules: &AccountRules,
    ws: Uuid,
    draft: &Draft,
    schedule_is_new: bool,
    now: DateTime<Utc>,
) -> Result<Checked, ApiError> {
    let mut fields = Fields::default();
    let facts = tx
        .query_one(
            "select w.time_zone, p.code, p.allow_recurring, p.allow_evergreen
             from postiz.workspaces w join postiz.plans p on p.code = w.plan where w.id = $1",
            &[&ws],
        )
        .await?;
    let facts =
        WorkspaceFacts { time_zone: facts.get(0), plan: facts.get(1), allow_recurring: facts.get(2), allow_evergreen: facts.get(3) };

    if !draft.metadata.is_object() {
        fields.push("metadata", "must be a JSON object");
    }
    if draft.content.chars().count() > 100_000 {
        fields.push("content", "must be at most 100000 characters");
    }

    // Targets: accounts of this workspace, each once.
    let rows =
        tx.query("select id, network from postiz.social_accounts where workspace_id = $1 and id = any($2)", &[&ws, &draft.targets]).await?;
    let accounts: HashMap<Uuid, String> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let mut networks: Vec<Network> = Vec::new();
    for (i, id) in draft.targets.iter().enumerate() {
        if draft.targets[..i].contains(id) {
            fields.push(format!("targets[{i}]"), "is listed twice");
            continue;
        }
        match accounts.get(id) {
            None => fields.push(format!("targets[{i}]"), "no such account in this workspace"),
            Some(name) => match name.parse::<Network>() {
                Ok(n) => networks.push(n),
                Err(_) => fields.push(format!("targets[{i}]"), format!("the {name} network is not supported")),
            },
        }
    }
    if draft.targets.len() > 100 {
        fields.push("targets", "at most 100 accounts per post");
    }

    // Tags.
    let rows = tx.query("select id from postiz.tags where workspace_id = $1 and id = any($2)", &[&ws, &draft.tags]).await?;
    let tags: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    for (i, id) in draft.tags.iter().enumerate() {
        if draft.tags[..i].contains(id) {
            fields.push(format!("tags[{i}]"), "is listed twice");
        } else if !tags.contains(id) {
            fields.push(format!("tags[{i}]"), "no such tag in this workspace");
        }
    }

    // Media: the post's own, and each thread reply's.
    let mut media_ids: Vec<Uuid> = draft.media.iter().map(|m| m.id).collect();
    for v in draft.variants.values() {
        media_ids.extend(v.thread.iter().flat_map(|t| t.media_items().map(|m| m.id)));
    }
    let rows = tx
        .query(
            "select id, mime_type, bytes, width, height, duration_ms, name, alt_text,
                    video_codec, audio_codec, frame_rate::float8, aspect_fit
             from postiz.media_assets
             where workspace_id = $1 and id = any($2)",
            &[&ws, &media_ids],
        )
        .await?;
    let library: HashMap<Uuid, MediaRef> = rows
        .iter()
        .filter_map(|r| {
            let mime: String = r.get(1);
            let kind = media_kind(&mime)?;
            Some((
                r.get(0),
                MediaRef {
                    id: r.get::<_, Uuid>(0).into(),
                    kind,
                    mime,
                    size_bytes: u64::try_from(r.get::<_, i64>(2)).unwrap_or(0),
                    width: r.get::<_, Option<i32>>(3).and_then(|w| u32::try_from(w).ok()),
                    height: r.get::<_, Option<i32>>(4).and_then(|h| u32::try_from(h).ok()),
                    duration_ms: r.get::<_, Option<i32>>(5).and_then(|d| u64::try_from(d).ok()),
                    // The library's default; a post's own alt text replaces it below.
                    alt: r.get(7),
                    name: r.get(6),
                    video: VideoTraits { video_codec: r.get(8), audio_codec: r.get(9), frame_rate: r.get(10) },
                    // A value the table's check constraint does not allow cannot be stored.
                    aspect_fit: r.get::<_, String>(11).parse().unwrap_or_default(),
                },
            ))
        })
        .collect();
    let known: Vec<Uuid> = rows.iter().map(|r| r.get(0)).collect();
    let media_error = |fields: &mut Fields, field: String, id: &Uuid| -> Option<MediaRef> {
        match library.get(id) {
            Some(m) => Some(m.clone()),
            None if known.contains(id) => {
                fields.push(field, "this file type cannot be posted (images, GIFs and videos only)");
                None
            }
            None => {
                fields.push(field, "no such media in this workspace");
                None
            }
        }
    };
    let mut main_media = Vec::new();
    for (i, m) in draft.media.iter().enumerate() {
        if draft.media[..i].iter().any(|o| o.id == m.id) {
            fields.push(format!("media[{i}]"), "is listed twice");
            continue;
        }
        if let Some(mut r) = media_error(&mut fields, format!("media[{i}]"), &m.id) {
            if let Some(alt) = &m.alt {
                check_alt(alt, &format!("media[{i}].alt"), &mut fields);
                r.alt = Some(alt.clone());
            }
            main_media.push(r);
        }
    }

    // Content per network: every network with a target or a variant.
    let mut composed = ComposedPost::default();
    let mut all: Vec<Network> = networks.clone();
    all.extend(draft.variants.keys().copied());
    all.sort();
    all.dedup();
    for network in all {
        let input = draft.variants.get(&network).cloned().unwrap_or_default();
        if let Some(n) = settings_network(&input.settings)
            && n != network.as_str()
            && !(n == "linkedin" && network == Network::LinkedInPage)
        {
            fields.push(format!("variants.{}.settings", network.as_str()), format!("these settings are for {n}"));
        }
        let mut thread = Vec::new();
        for (i, item) in input.thread.iter().enumerate() {
            let mut media = Vec::new();
            for (j, m) in item.media_items().enumerate() {
                let field = format!("variants.{}.thread[{i}].media[{j}]", network.as_str());
                if let Some(mut r) = media_error(&mut fields, field.clone(), &m.id) {
                    // A reply's own alt text wins over the library's, as on the main post.
                    if let Some(alt) = m.alt {
                        check_alt(&alt, &format!("{field}.alt"), &mut fields);
                        r.alt = Some(alt);
                    }
                    media.push(r);
                }
            }
            thread.push(ThreadItem { text: item.text.clone(), media });
        }
        composed.variants.insert(
            network,
            PostVariant {
                text: input.text.clone().unwrap_or_else(|| draft.content.clone()),
                media: main_media.clone(),
                thread,
                first_comment: input.first_comment.clone(),
                settings: input.settings.clone(),
            },
        );
    }
    for e in registry.validate(&composed) {
        fields.push(e.field, e.message);
    }
    if let Some(tiktok) = composed.variants.get(&Network::TikTok)
        && let NetworkSettings::TikTok(settings) = &tiktok.settings
    {
        let videos = tiktok.media.iter().filter(|m| m.kind == MediaKind::Video);
        let is_video = videos.clone().next().is_some();
        let video_ms = videos.filter_map(|m| m.duration_ms).max();
        for id in draft.targets.iter().filter(|id| rules.tiktok.contains_key(id)) {
            for p in rules.tiktok[id].problems(settings, is_video, video_ms) {
                let field =
                    if p.field == "video" { "variants.tiktok.media".to_owned() } else { format!("variants.tiktok.settings.{}", p.field) };
                fields.push(field, p.labelled(Network::TikTok));
            }
        }
    }

    // Schedule.
    let schedule = match &draft.schedule {
        None => None,
        Some(s) => plan_schedule(tx, ws, s, &facts, &tags, schedule_is_new, now, &mut fields).await?,
    };
    if draft.status == "scheduled" {
        if draft.schedule.is_none() {
            fields.push("schedule", "a scheduled post needs a schedule; save it as a draft otherwise");
        }
        if draft.targets.is_empty() {
            fields.push("targets", "a scheduled post needs at least one account");
        }
    }
    fields.finish()?;
    Ok(Checked { schedule })
}

fn media_kind(mime: &str) -> Option<MediaKind> {
    if mime == "image/gif" {
        Some(MediaKind::Gif)
    } else if mime.starts_with("image/") {
        Some(MediaKind::Image)
    } else if mime.starts_with("video/") {
        Some(MediaKind::Video)
    } else {
        None
    }
}

/// The network a settings value is for (`None` for the defaults).
fn settings_network(settings: &NetworkSettings) -> Option<String> {
    if *settings == NetworkSettings::None {
        return None;
    }
    serde_json::to_value(settings).ok()?.get("network")?.as_str().map(str::to_owned)
}

#[expect(clippy::too_many_arguments, reason = "one private step of `check`, named arguments read better than a struct")]
async fn plan_schedule(
    tx: &Transaction<'_>,
    ws: Uuid,
    schedule: &ScheduleInput,
    facts: &WorkspaceFacts,
    tags: &[Uuid],
    is_new: bool,
    now: DateTime<Utc>,
    fields: &mut Fields,
) -> Result<Option<PlannedSchedule>, ApiError> {
    let before = fields.0.len();
    let planned = match schedule {
        ScheduleInput::Once { at, time_zone } => {
            let zone = time_zone.clone().unwrap_or_else(|| facts.time_zone.clone());
            check_time_zone(tx, fields, "schedule.time_zone", &zone).await?;
            if is_new && *at <= now {
                fields.push("schedule.at", "is in the past; pick a time from now on");
            }
            PlannedSchedule::Once { at: *at, time_zone: zone }
        }
        ScheduleInput::Recurring { starts_at, rrule, time_zone, ends_at } => {
            let zone = time_zone.clone().unwrap_or_else(|| facts.time_zone.clone());
            if !facts.allow_recurring {
                fields.push("schedule.kind", format!("the {} plan does not include recurring schedules", facts.plan));
            }
            check_time_zone(tx, fields, "schedule.time_zone", &zone).await?;
            if is_new && *starts_at <= now {
                fields.push("schedule.starts_at", "is in the past; pick a time from now on");
            }
            if ends_at.is_some_and(|e| e <= *starts_at) {
                fields.push("schedule.ends_at", "must be after starts_at");
            }
            let rule = normalize_rrule(rrule);
            let first = first_occurrence(&rule, *starts_at, *ends_at, &zone, "schedule", fields);
            PlannedSchedule::Recurring { starts_at: first.unwrap_or(*starts_at), rrule: rule, time_zone: zone, ends_at: *ends_at }
        }
        ScheduleInput::Evergreen { tag_id, rrule, starts_at, time_zone, ends_at, options } => {
            if !facts.allow_evergreen {
                fields.push("schedule.kind", format!("the {} plan does not include evergreen schedules", facts.plan));
            }
            if !tags.contains(tag_id) {
                let exists = tx.query_opt("select 1 from postiz.tags where workspace_id = $1 and id = $2", &[&ws, tag_id]).await?.is_some();
                if !exists {
                    fields.push("schedule.tag_id", "no such tag in this workspace");
                }
            }
            let pool = tx
                .query_opt(
                    "select rrule from postiz.schedules
                     where workspace_id = $1 and tag_id = $2 and kind = 'evergreen' and status <> 'canceled'",
                    &[&ws, tag_id],
                )
                .await?;
            let create_pool = match (pool, rrule) {
                (Some(_), None) => None,
                (Some(row), Some(r)) => {
                    if row.get::<_, Option<String>>(0).as_deref() != Some(normalize_rrule(r).as_str()) {
                        fields.push(
                            "schedule.rrule",
                            "this tag is an evergreen pool already with another cadence; change the pool's schedule instead",
                        );
                    }
                    None
                }
                (None, None) => {
                    fields.push("schedule.rrule", "this tag is not an evergreen pool yet: give the pool's cadence");
                    None
                }
                (None, Some(r)) => {
                    let zone = time_zone.clone().unwrap_or_else(|| facts.time_zone.clone());
                    check_time_zone(tx, fields, "schedule.time_zone", &zone).await?;
                    let start = starts_at.unwrap_or(now);
                    if starts_at.is_some_and(|s| s < now) {
                        fields.push("schedule.starts_at", "is in the past; pick a time from now on");
                    }
                    if options.as_ref().is_some_and(|o| !o.is_object()) {
                        fields.push("schedule.options", "must be a JSON object");
                    }
                    let rule = normalize_rrule(r);
                    let first = first_occurrence(&rule, start, *ends_at, &zone, "schedule", fields);
                    Some(NewPool {
                        starts_at: first.unwrap_or(start),
                        rrule: rule,
                        time_zone: zone,
                        ends_at: *ends_at,
                        options: options.clone().unwrap_or_else(|| Value::Object(Default::default())),
                    })
                }
            };
            PlannedSchedule::Evergreen { tag_id: *tag_id, create_pool }
        }
    };
    Ok((fields.0.len() == before).then_some(planned))
}

/// The rule's first occurrence at or after `starts_at` (so the first run is on the rule), or a
/// field error naming what is wrong.
fn first_occurrence(
    rule: &str,
    starts_at: DateTime<Utc>,
    ends_at: Option<DateTime<Utc>>,
    zone: &str,
    prefix: &str,
    fields: &mut Fields,
) -> Option<DateTime<Utc>> {
    postiz_schedule::parse_zone(zone)?; // an unknown zone is reported by the zone check
    let spec = RecurringSpec { rrule: rule.to_owned(), starts_at, ends_at: None, time_zone: zone.to_owned() };
    match spec.recurrence() {
        Err(e) => {
            fields.push(format!("{prefix}.{}", e.field), e.message);
            None
        }
        Ok(r) => match r.next_after(starts_at - chrono::Duration::seconds(1)) {
            Some(t) if ends_at.is_none_or(|e| t <= e) => Some(t),
            _ => {
                fields.push(format!("{prefix}.rrule"), "the rule has no occurrence from starts_at on");
                None
            }
        },
    }
}
