//! The row-level security matrix: every table in `postiz` (read from `pg_tables`, so a new table
//! fails this test until it is added here) × select/insert/update/delete × eight actors, each
//! check asserting the real outcome of a statement aimed at workspace A's fixture rows.
//!
//! Allowed means: a select sees the row, a write affects exactly one row. Denied means: the
//! statement is refused with 42501 (no grant, or a `with check` violation) or touches no row
//! (filtered by a `using` clause). Any other outcome (a constraint error, two rows) fails the test,
//! because it would mean the check proves nothing. Every check runs inside a savepoint that is
//! rolled back, so each one starts from the same fixture.
//!
//! Run with `--nocapture` to print the whole grid.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use postiz_testkit::{Session, TestDatabase, TestUser};
use tokio_postgres::error::SqlState;

const WS_A: &str = "aaaaaaaa-0000-4000-8000-000000000000";
const WS_B: &str = "bbbbbbbb-0000-4000-8000-000000000000";
const ACCOUNT_A1: &str = "aaaaaaaa-0000-4000-8000-0000000000a1";
const ACCOUNT_A2: &str = "aaaaaaaa-0000-4000-8000-0000000000a2";
const POST_A1: &str = "aaaaaaaa-0000-4000-8000-0000000000b1";
const POST_A2: &str = "aaaaaaaa-0000-4000-8000-0000000000b2";
const VARIANT_A1: &str = "aaaaaaaa-0000-4000-8000-0000000000c1";
const TARGET_A1: &str = "aaaaaaaa-0000-4000-8000-0000000000d1";
const TAG_A1: &str = "aaaaaaaa-0000-4000-8000-0000000000e1";
const TAG_A2: &str = "aaaaaaaa-0000-4000-8000-0000000000e2";
const COMMENT_A1: &str = "aaaaaaaa-0000-4000-8000-0000000000f1";
const MEDIA_A1: &str = "aaaaaaaa-0000-4000-8000-000000000101";
const OAUTH_STATE_A1: &str = "aaaaaaaa-0000-4000-8000-000000000201";
const PENDING_A1: &str = "aaaaaaaa-0000-4000-8000-000000000202";
const INSTANCE_APP_1: &str = "aaaaaaaa-0000-4000-8000-000000000203";
const DELETION_1: &str = "aaaaaaaa-0000-4000-8000-000000000204";
const MEDIA_A2: &str = "aaaaaaaa-0000-4000-8000-000000000102";
const UPLOAD_A1: &str = "aaaaaaaa-0000-4000-8000-000000000111";
const UPLOAD_A2: &str = "aaaaaaaa-0000-4000-8000-000000000112";
const SCHEDULE_A1: &str = "aaaaaaaa-0000-4000-8000-000000000201";
const JOB_A1: &str = "aaaaaaaa-0000-4000-8000-000000000301";
const INVITE_A1: &str = "aaaaaaaa-0000-4000-8000-000000000401";
const WEBHOOK_A1: &str = "aaaaaaaa-0000-4000-8000-000000000501";
const API_KEY_A1: &str = "aaaaaaaa-0000-4000-8000-000000000601";
const POLICY_A1: &str = "aaaaaaaa-0000-4000-8000-000000000701";
/// A client review link to POST_A1.
const REVIEW_LINK_A1: &str = "aaaaaaaa-0000-4000-8000-000000000901";
/// The admin's notification (and its email), ids given by the fixture.
const NOTIFICATION_1: i64 = 9001;
/// An outgoing webhook endpoint of A and one delivery to it.
const ENDPOINT_A1: &str = "aaaaaaaa-0000-4000-8000-000000000801";
const DELIVERY_1: i64 = 9101;
/// A post waiting for approval, with no author (so every member may review it).
const POST_A3: &str = "aaaaaaaa-0000-4000-8000-0000000000b3";

/// Who runs the statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Actor {
    Anon,
    Outsider,
    Viewer,
    Editor,
    Admin,
    Owner,
    /// Owner of workspace B, nothing in A.
    OtherOwner,
    ServiceRole,
}

const ACTORS: [Actor; 8] =
    [Actor::Anon, Actor::Outsider, Actor::Viewer, Actor::Editor, Actor::Admin, Actor::Owner, Actor::OtherOwner, Actor::ServiceRole];

impl Actor {
    fn short(self) -> &'static str {
        match self {
            Actor::Anon => "anon",
            Actor::Outsider => "outsd",
            Actor::Viewer => "viewr",
            Actor::Editor => "editr",
            Actor::Admin => "admin",
            Actor::Owner => "owner",
            Actor::OtherOwner => "oth.o",
            Actor::ServiceRole => "srvce",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Select,
    Insert,
    Update,
    Delete,
}

const OPS: [Op; 4] = [Op::Select, Op::Insert, Op::Update, Op::Delete];

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Select => "select",
            Op::Insert => "insert",
            Op::Update => "update",
            Op::Delete => "delete",
        }
    }
}

/// Who may do something: workspace members from a minimum role up, plus service_role.
fn from(min: Actor) -> Vec<Actor> {
    let ladder = [Actor::Viewer, Actor::Editor, Actor::Admin, Actor::Owner];
    let start = ladder.iter().position(|a| *a == min).expect("a workspace role");
    let mut out = ladder[start..].to_vec();
    out.push(Actor::ServiceRole);
    out
}

fn service_only() -> Vec<Actor> {
    vec![Actor::ServiceRole]
}

/// One operation on one table: the statement and who may run it.
struct Check {
    sql: String,
    allowed: Vec<Actor>,
}

fn check(sql: impl Into<String>, allowed: Vec<Actor>) -> Check {
    Check { sql: sql.into(), allowed }
}

/// A table's four checks, in `OPS` order.
struct TableCase {
    table: &'static str,
    checks: [Check; 4],
}

/// The users the statements name (besides the actors).
struct Fixture {
    /// A viewer of A who is not an actor: the member whose role and membership are changed.
    member2: TestUser,
    /// A user in no workspace: the member being added.
    newcomer: TestUser,
    /// The workspace admin's id (the decider service_role names).
    admin: uuid::Uuid,
}

fn cases(f: &Fixture) -> Vec<TableCase> {
    let member2 = f.member2.id;
    let newcomer = f.newcomer.id;
    let all_signed_in =
        vec![Actor::Outsider, Actor::Viewer, Actor::Editor, Actor::Admin, Actor::Owner, Actor::OtherOwner, Actor::ServiceRole];
    vec![
        TableCase {
            table: "plans",
            checks: [
                check("select 1 from postiz.plans where code = 'default'", all_signed_in.clone()),
                check("insert into postiz.plans (code, name) values ('matrix', 'Matrix')", service_only()),
                check("update postiz.plans set name = 'Renamed' where code = 'spare'", service_only()),
                check("delete from postiz.plans where code = 'spare'", service_only()),
            ],
        },
        TableCase {
            table: "workspaces",
            checks: [
                check(format!("select 1 from postiz.workspaces where id = '{WS_A}'"), from(Actor::Viewer)),
                // Creating a workspace of one's own: any signed-in user.
                check("insert into postiz.workspaces (name, slug) values ('New', 'matrix-new')", all_signed_in),
                check(format!("update postiz.workspaces set name = 'Renamed' where id = '{WS_A}'"), from(Actor::Admin)),
                check(format!("delete from postiz.workspaces where id = '{WS_A}'"), from(Actor::Owner)),
            ],
        },
        TableCase {
            table: "workspace_members",
            checks: [
                check(
                    format!("select 1 from postiz.workspace_members where workspace_id = '{WS_A}' and user_id = '{member2}'"),
                    from(Actor::Viewer),
                ),
                check(
                    format!("insert into postiz.workspace_members (workspace_id, user_id, role) values ('{WS_A}', '{newcomer}', 'viewer')"),
                    from(Actor::Admin),
                ),
                check(
                    format!("update postiz.workspace_members set role = 'viewer' where workspace_id = '{WS_A}' and user_id = '{member2}'"),
                    from(Actor::Admin),
                ),
                check(
                    format!("delete from postiz.workspace_members where workspace_id = '{WS_A}' and user_id = '{member2}'"),
                    from(Actor::Admin),
                ),
            ],
        },
        TableCase {
            table: "workspace_invites",
            checks: [
                check(format!("select 1 from postiz.workspace_invites where id = '{INVITE_A1}'"), from(Actor::Admin)),
                check(
                    format!(
                        "insert into postiz.workspace_invites (workspace_id, email, role, token_hash) values ('{WS_A}', 'new@example.com', 'editor', sha256('matrix'))"
                    ),
                    from(Actor::Admin),
                ),
                check(format!("update postiz.workspace_invites set role = 'editor' where id = '{INVITE_A1}'"), from(Actor::Admin)),
                check(format!("delete from postiz.workspace_invites where id = '{INVITE_A1}'"), from(Actor::Admin)),
            ],
        },
        TableCase {
            table: "social_accounts",
            checks: [
                check(format!("select 1 from postiz.social_accounts where id = '{ACCOUNT_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.social_accounts (workspace_id, network, external_account_id) values ('{WS_A}', 'linkedin', 'new-1')"
                    ),
                    from(Actor::Admin),
                ),
                check(format!("update postiz.social_accounts set handle = '@renamed' where id = '{ACCOUNT_A1}'"), from(Actor::Admin)),
                check(format!("delete from postiz.social_accounts where id = '{ACCOUNT_A2}'"), from(Actor::Admin)),
            ],
        },
        TableCase {
            table: "credentials",
            checks: [
                check(format!("select 1 from postiz.credentials where social_account_id = '{ACCOUNT_A1}'"), service_only()),
                check(
                    format!(
                        "insert into postiz.credentials (workspace_id, social_account_id, access_token_key_id, access_token_nonce, access_token_ciphertext) \
                         values ('{WS_A}', '{ACCOUNT_A2}', 'k1', '\\x0102030405060708090a0b0c', '\\x01')"
                    ),
                    service_only(),
                ),
                check(format!("update postiz.credentials set expires_at = now() where social_account_id = '{ACCOUNT_A1}'"), service_only()),
                check(format!("delete from postiz.credentials where social_account_id = '{ACCOUNT_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "account_checks",
            checks: [
                // Members read their accounts' health (the Accounts screen); the worker writes it.
                check(format!("select 1 from postiz.account_checks where social_account_id = '{ACCOUNT_A1}'"), from(Actor::Viewer)),
                check(
                    format!("insert into postiz.account_checks (workspace_id, social_account_id) values ('{WS_A}', '{ACCOUNT_A2}')"),
                    service_only(),
                ),
                check(
                    format!("update postiz.account_checks set checked_at = now() where social_account_id = '{ACCOUNT_A1}'"),
                    service_only(),
                ),
                check(format!("delete from postiz.account_checks where social_account_id = '{ACCOUNT_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "oauth_states",
            checks: [
                check(format!("select 1 from postiz.oauth_states where id = '{OAUTH_STATE_A1}'"), service_only()),
                check(
                    format!(
                        "insert into postiz.oauth_states (state_hash, user_id, workspace_id, network, redirect_uri, expires_at) \
                         values (sha256('state-new'), '{owner}', '{WS_A}', 'x', 'https://app/cb', now() + interval '5 minutes')",
                        owner = newcomer
                    ),
                    service_only(),
                ),
                check(format!("update postiz.oauth_states set used_at = now() where id = '{OAUTH_STATE_A1}'"), service_only()),
                check(format!("delete from postiz.oauth_states where id = '{OAUTH_STATE_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "pending_connections",
            checks: [
                check(format!("select 1 from postiz.pending_connections where id = '{PENDING_A1}'"), service_only()),
                check(
                    format!(
                        "insert into postiz.pending_connections (user_id, workspace_id, network, login, access_token_key_id, access_token_nonce, access_token_ciphertext, expires_at) \
                         values ('{owner}', '{WS_A}', 'facebook', '{{}}', 'k1', '\\x0102030405060708090a0b0c', '\\x01', now() + interval '5 minutes')",
                        owner = newcomer
                    ),
                    service_only(),
                ),
                check(format!("update postiz.pending_connections set targets = '[]' where id = '{PENDING_A1}'"), service_only()),
                check(format!("delete from postiz.pending_connections where id = '{PENDING_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "instance_apps",
            checks: [
                check(format!("select 1 from postiz.instance_apps where id = '{INSTANCE_APP_1}'"), service_only()),
                check(
                    "insert into postiz.instance_apps (network, server_url, redirect_uri, client_id, auth_url, token_url) \
                     values ('mastodon', 'https://other.example', 'https://app/cb', 'c2', 'https://other.example/oauth/authorize', 'https://other.example/oauth/token')",
                    service_only(),
                ),
                check(format!("update postiz.instance_apps set scopes = '{{read}}' where id = '{INSTANCE_APP_1}'"), service_only()),
                check(format!("delete from postiz.instance_apps where id = '{INSTANCE_APP_1}'"), service_only()),
            ],
        },
        TableCase {
            table: "data_deletion_requests",
            checks: [
                check(format!("select 1 from postiz.data_deletion_requests where id = '{DELETION_1}'"), service_only()),
                check(
                    "insert into postiz.data_deletion_requests (network, confirmation_code, event_key, accounts) \
                     values ('facebook', '0123456789abcdef0123456789abcdef', 'deletion:new:1', 0)",
                    service_only(),
                ),
                check(format!("update postiz.data_deletion_requests set accounts = 2 where id = '{DELETION_1}'"), service_only()),
                // Kept as the record of what was done: nobody removes one.
                check(format!("delete from postiz.data_deletion_requests where id = '{DELETION_1}'"), vec![]),
            ],
        },
        TableCase {
            table: "posts",
            checks: [
                check(format!("select 1 from postiz.posts where id = '{POST_A1}'"), from(Actor::Viewer)),
                check(format!("insert into postiz.posts (workspace_id, content) values ('{WS_A}', 'new post')"), from(Actor::Editor)),
                check(format!("update postiz.posts set content = 'edited' where id = '{POST_A1}'"), from(Actor::Editor)),
                check(format!("delete from postiz.posts where id = '{POST_A2}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "post_variants",
            checks: [
                check(format!("select 1 from postiz.post_variants where id = '{VARIANT_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.post_variants (workspace_id, post_id, network, text_override) values ('{WS_A}', '{POST_A1}', 'bluesky', 'short')"
                    ),
                    from(Actor::Editor),
                ),
                check(format!("update postiz.post_variants set text_override = 'edited' where id = '{VARIANT_A1}'"), from(Actor::Editor)),
                check(format!("delete from postiz.post_variants where id = '{VARIANT_A1}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "post_targets",
            checks: [
                check(format!("select 1 from postiz.post_targets where id = '{TARGET_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.post_targets (workspace_id, post_id, social_account_id) values ('{WS_A}', '{POST_A2}', '{ACCOUNT_A1}')"
                    ),
                    from(Actor::Editor),
                ),
                check(format!("update postiz.post_targets set status = 'canceled' where id = '{TARGET_A1}'"), from(Actor::Editor)),
                check(format!("delete from postiz.post_targets where id = '{TARGET_A1}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "tags",
            checks: [
                check(format!("select 1 from postiz.tags where id = '{TAG_A1}'"), from(Actor::Viewer)),
                check(format!("insert into postiz.tags (workspace_id, name) values ('{WS_A}', 'new tag')"), from(Actor::Editor)),
                check(format!("update postiz.tags set name = 'renamed' where id = '{TAG_A1}'"), from(Actor::Editor)),
                check(format!("delete from postiz.tags where id = '{TAG_A2}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "post_tags",
            checks: [
                check(format!("select 1 from postiz.post_tags where post_id = '{POST_A1}' and tag_id = '{TAG_A1}'"), from(Actor::Viewer)),
                check(
                    format!("insert into postiz.post_tags (workspace_id, post_id, tag_id) values ('{WS_A}', '{POST_A1}', '{TAG_A2}')"),
                    from(Actor::Editor),
                ),
                // A link has nothing to edit: no client may update it.
                check(
                    format!("update postiz.post_tags set created_at = now() where post_id = '{POST_A1}' and tag_id = '{TAG_A1}'"),
                    service_only(),
                ),
                check(format!("delete from postiz.post_tags where post_id = '{POST_A1}' and tag_id = '{TAG_A1}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "post_comments",
            checks: [
                check(format!("select 1 from postiz.post_comments where id = '{COMMENT_A1}'"), from(Actor::Viewer)),
                check(
                    format!("insert into postiz.post_comments (workspace_id, post_id, body) values ('{WS_A}', '{POST_A1}', 'looks good')"),
                    from(Actor::Editor),
                ),
                // The comment is the editor's: only its author edits it.
                check(
                    format!("update postiz.post_comments set body = 'edited' where id = '{COMMENT_A1}'"),
                    vec![Actor::Editor, Actor::ServiceRole],
                ),
                // Its author, or an admin moderating.
                check(
                    format!("delete from postiz.post_comments where id = '{COMMENT_A1}'"),
                    vec![Actor::Editor, Actor::Admin, Actor::Owner, Actor::ServiceRole],
                ),
            ],
        },
        TableCase {
            table: "media_assets",
            checks: [
                check(format!("select 1 from postiz.media_assets where id = '{MEDIA_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.media_assets (workspace_id, path, mime_type, bytes, sha256) values ('{WS_A}', '{WS_A}/new.png', 'image/png', 1, sha256('new'))"
                    ),
                    from(Actor::Editor),
                ),
                check(format!("update postiz.media_assets set width = 640 where id = '{MEDIA_A1}'"), from(Actor::Editor)),
                check(format!("delete from postiz.media_assets where id = '{MEDIA_A2}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "media_uploads",
            checks: [
                // Resumable uploads in progress are an editor's working state; viewers never see them.
                check(format!("select 1 from postiz.media_uploads where id = '{UPLOAD_A1}'"), from(Actor::Editor)),
                check(format!("insert into postiz.media_uploads (workspace_id, total_bytes) values ('{WS_A}', 10)"), from(Actor::Editor)),
                check(format!("update postiz.media_uploads set received_bytes = 5 where id = '{UPLOAD_A1}'"), from(Actor::Editor)),
                check(format!("delete from postiz.media_uploads where id = '{UPLOAD_A2}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "storage_deletions",
            checks: [
                // Objects of a deleted library file waiting for removal: editors record and clear them.
                check(format!("select 1 from postiz.storage_deletions where path = '{WS_A}/gone/thumbnail.png'"), from(Actor::Editor)),
                check(
                    format!("insert into postiz.storage_deletions (workspace_id, path) values ('{WS_A}', '{WS_A}/x/original.png')"),
                    from(Actor::Editor),
                ),
                // Members never rewrite a record; service_role may only because the sweep locks rows.
                check(
                    format!("update postiz.storage_deletions set path = '{WS_A}/y' where path = '{WS_A}/gone/thumbnail.png'"),
                    service_only(),
                ),
                check(format!("delete from postiz.storage_deletions where path = '{WS_A}/gone/original.png'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "post_media",
            checks: [
                check(
                    format!("select 1 from postiz.post_media where post_id = '{POST_A1}' and media_id = '{MEDIA_A1}'"),
                    from(Actor::Viewer),
                ),
                check(
                    format!(
                        "insert into postiz.post_media (workspace_id, post_id, media_id, position) values ('{WS_A}', '{POST_A1}', '{MEDIA_A2}', 1)"
                    ),
                    from(Actor::Editor),
                ),
                check(
                    format!("update postiz.post_media set alt_text = 'a cat' where post_id = '{POST_A1}' and media_id = '{MEDIA_A1}'"),
                    from(Actor::Editor),
                ),
                check(
                    format!("delete from postiz.post_media where post_id = '{POST_A1}' and media_id = '{MEDIA_A1}'"),
                    from(Actor::Editor),
                ),
            ],
        },
        TableCase {
            table: "schedules",
            checks: [
                check(format!("select 1 from postiz.schedules where id = '{SCHEDULE_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.schedules (workspace_id, kind, post_id, starts_at) values ('{WS_A}', 'once', '{POST_A2}', now())"
                    ),
                    from(Actor::Editor),
                ),
                check(format!("update postiz.schedules set priority = 7 where id = '{SCHEDULE_A1}'"), from(Actor::Editor)),
                check(format!("delete from postiz.schedules where id = '{SCHEDULE_A1}'"), from(Actor::Editor)),
            ],
        },
        TableCase {
            table: "queue_jobs",
            checks: [
                check(format!("select 1 from postiz.queue_jobs where id = '{JOB_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.queue_jobs (workspace_id, target_id, occurrence, network, scheduled_at, run_at) values ('{WS_A}', '{TARGET_A1}', '2031-01-01', 'mastodon', now(), now())"
                    ),
                    service_only(),
                ),
                check(
                    format!("update postiz.queue_jobs set status = 'succeeded', completed_at = now() where id = '{JOB_A1}'"),
                    service_only(),
                ),
                check(format!("delete from postiz.queue_jobs where id = '{JOB_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "analytics_events",
            checks: [
                check(format!("select 1 from postiz.analytics_events where target_id = '{TARGET_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.analytics_events (workspace_id, social_account_id, metric, value, bucket_start) values ('{WS_A}', '{ACCOUNT_A1}', 'followers', 10, '2030-01-01')"
                    ),
                    service_only(),
                ),
                check(format!("update postiz.analytics_events set value = 99 where target_id = '{TARGET_A1}'"), service_only()),
                check(format!("delete from postiz.analytics_events where target_id = '{TARGET_A1}'"), service_only()),
            ],
        },
        TableCase {
            // Account watches exist from the accounts' insert (a trigger starts them).
            table: "analytics_watches",
            checks: [
                check(
                    format!("select 1 from postiz.analytics_watches where social_account_id = '{ACCOUNT_A1}' and target_id is null"),
                    from(Actor::Viewer),
                ),
                check(
                    format!(
                        "insert into postiz.analytics_watches (workspace_id, social_account_id, target_id, network, next_fetch_at) values ('{WS_A}', '{ACCOUNT_A1}', '{TARGET_A1}', 'mastodon', now())"
                    ),
                    service_only(),
                ),
                check(
                    format!(
                        "update postiz.analytics_watches set last_error = 'x' where social_account_id = '{ACCOUNT_A1}' and target_id is null"
                    ),
                    service_only(),
                ),
                check(format!("delete from postiz.analytics_watches where social_account_id = '{ACCOUNT_A2}'"), service_only()),
            ],
        },
        TableCase {
            table: "analytics_snapshots",
            checks: [
                check(format!("select 1 from postiz.analytics_snapshots where target_id = '{TARGET_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.analytics_snapshots (workspace_id, social_account_id, target_id, bucket_start, observed_at, raw) values ('{WS_A}', '{ACCOUNT_A1}', '{TARGET_A1}', '2030-01-02', '2030-01-02', '{{}}')"
                    ),
                    service_only(),
                ),
                check(
                    format!("update postiz.analytics_snapshots set raw = '{{\"x\": 1}}' where target_id = '{TARGET_A1}'"),
                    service_only(),
                ),
                check(format!("delete from postiz.analytics_snapshots where target_id = '{TARGET_A1}'"), service_only()),
            ],
        },
        TableCase {
            // The fixture's analytics event rolled itself up into these.
            table: "analytics_daily",
            checks: [
                check(format!("select 1 from postiz.analytics_daily where target_id = '{TARGET_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.analytics_daily (workspace_id, social_account_id, network, target_id, subject_id, metric, day, level, gain, observed_at) values ('{WS_A}', '{ACCOUNT_A1}', 'mastodon', '{TARGET_A1}', '{TARGET_A1}', 'likes', '2031-01-01', 1, 1, now())"
                    ),
                    service_only(),
                ),
                check(format!("update postiz.analytics_daily set level = 9 where target_id = '{TARGET_A1}'"), service_only()),
                check(format!("delete from postiz.analytics_daily where target_id = '{TARGET_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "media_variants",
            checks: [
                check(format!("select 1 from postiz.media_variants where media_id = '{MEDIA_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.media_variants (workspace_id, media_id, profile, path, mime_type, bytes, width, height, sha256) values ('{WS_A}', '{MEDIA_A1}', 'bluesky-refuse-0000bbbb', '{WS_A}/{MEDIA_A1}/variant-bluesky-refuse-0000bbbb.jpg', 'image/jpeg', 1, 1, 1, sha256('v2'))"
                    ),
                    service_only(),
                ),
                // A variant is written once: nobody updates it, not even the worker.
                check(format!("update postiz.media_variants set bytes = 2 where media_id = '{MEDIA_A1}'"), vec![]),
                check(format!("delete from postiz.media_variants where media_id = '{MEDIA_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "analytics_latest",
            checks: [
                check(format!("select 1 from postiz.analytics_latest where target_id = '{TARGET_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.analytics_latest (workspace_id, social_account_id, target_id, subject_id, metric, level, day, observed_at) values ('{WS_A}', '{ACCOUNT_A1}', '{TARGET_A1}', '{TARGET_A1}', 'impressions', 1, '2031-01-01', now())"
                    ),
                    service_only(),
                ),
                check(format!("update postiz.analytics_latest set level = 9 where target_id = '{TARGET_A1}'"), service_only()),
                check(format!("delete from postiz.analytics_latest where target_id = '{TARGET_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "analytics_cadence",
            checks: [
                check("select 1 from postiz.analytics_cadence where step = 1", service_only()),
                check("insert into postiz.analytics_cadence (step, after_publishing) values (99, '90 days')", service_only()),
                check("update postiz.analytics_cadence set after_publishing = '2 hours' where step = 1", service_only()),
                check("delete from postiz.analytics_cadence where step = 6", service_only()),
            ],
        },
        TableCase {
            table: "analytics_rollups",
            checks: [
                check(
                    format!("select 1 from postiz.analytics_rollups where workspace_id = '{WS_A}' and social_account_id = '{ACCOUNT_A1}'"),
                    from(Actor::Viewer),
                ),
                check(
                    format!(
                        "insert into postiz.analytics_rollups (workspace_id, social_account_id, metric, day, gain) values ('{WS_A}', '{ACCOUNT_A1}', 'likes', '2031-01-01', 1)"
                    ),
                    service_only(),
                ),
                check(
                    format!(
                        "update postiz.analytics_rollups set gain = 9 where workspace_id = '{WS_A}' and social_account_id = '{ACCOUNT_A1}'"
                    ),
                    service_only(),
                ),
                check(
                    format!("delete from postiz.analytics_rollups where workspace_id = '{WS_A}' and social_account_id = '{ACCOUNT_A1}'"),
                    service_only(),
                ),
            ],
        },
        TableCase {
            table: "webhook_events",
            checks: [
                check(format!("select 1 from postiz.webhook_events where id = '{WEBHOOK_A1}'"), from(Actor::Admin)),
                check(
                    format!(
                        "insert into postiz.webhook_events (network, payload, signature_valid, workspace_id) values ('mastodon', '{{}}', true, '{WS_A}')"
                    ),
                    service_only(),
                ),
                check(format!("update postiz.webhook_events set processed_at = now() where id = '{WEBHOOK_A1}'"), service_only()),
                check(format!("delete from postiz.webhook_events where id = '{WEBHOOK_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "api_keys",
            checks: [
                check(format!("select 1 from postiz.api_keys where id = '{API_KEY_A1}'"), from(Actor::Admin)),
                check(
                    format!(
                        "insert into postiz.api_keys (workspace_id, name, prefix, key_hash) values ('{WS_A}', 'ci', 'pzk_new0', sha256('new key'))"
                    ),
                    from(Actor::Admin),
                ),
                check(format!("update postiz.api_keys set revoked_at = now() where id = '{API_KEY_A1}'"), from(Actor::Admin)),
                check(format!("delete from postiz.api_keys where id = '{API_KEY_A1}'"), from(Actor::Admin)),
            ],
        },
        TableCase {
            table: "approval_policies",
            checks: [
                check(format!("select 1 from postiz.approval_policies where id = '{POLICY_A1}'"), from(Actor::Viewer)),
                // An override for one account; only admins shape approvals.
                check(
                    format!(
                        "insert into postiz.approval_policies (workspace_id, social_account_id, steps) values ('{WS_A}', '{ACCOUNT_A2}', '[]')"
                    ),
                    from(Actor::Admin),
                ),
                check(
                    format!("update postiz.approval_policies set allow_self_approval = true where id = '{POLICY_A1}'"),
                    from(Actor::Admin),
                ),
                check(format!("delete from postiz.approval_policies where id = '{POLICY_A1}'"), from(Actor::Admin)),
            ],
        },
        TableCase {
            table: "approval_decisions",
            checks: [
                check(
                    format!("select 1 from postiz.approval_decisions where post_id = '{POST_A3}' and decided_by = '{member2}'"),
                    from(Actor::Viewer),
                ),
                // Members decide as themselves (the policy's step admits viewers); service_role
                // names a decider who qualifies (the admin).
                check(
                    format!(
                        "insert into postiz.approval_decisions (workspace_id, post_id, decision, decided_by) values ('{WS_A}', '{POST_A3}', 'approved', coalesce(auth.uid(), '{}'))",
                        f.admin
                    ),
                    from(Actor::Viewer),
                ),
                // Append-only: nobody rewrites or removes a decision, not even service_role.
                check(format!("update postiz.approval_decisions set note = 'x' where post_id = '{POST_A3}'"), vec![]),
                check(format!("delete from postiz.approval_decisions where post_id = '{POST_A3}'"), vec![]),
            ],
        },
        TableCase {
            table: "notifications",
            checks: [
                // A person sees and marks only their own (the admin's here); the triggers write them.
                check(format!("select 1 from postiz.notifications where id = {NOTIFICATION_1}"), vec![Actor::Admin, Actor::ServiceRole]),
                check(
                    format!(
                        "insert into postiz.notifications (workspace_id, user_id, kind, delivery) values ('{WS_A}', '{}', 'post_failed', 'in_app')",
                        f.admin
                    ),
                    service_only(),
                ),
                check(
                    format!("update postiz.notifications set read_at = now() where id = {NOTIFICATION_1}"),
                    vec![Actor::Admin, Actor::ServiceRole],
                ),
                check(format!("delete from postiz.notifications where id = {NOTIFICATION_1}"), service_only()),
            ],
        },
        TableCase {
            table: "notification_preferences",
            checks: [
                check(
                    format!("select 1 from postiz.notification_preferences where user_id = '{}' and kind = 'post_failed'", f.admin),
                    vec![Actor::Admin, Actor::ServiceRole],
                ),
                // Each member chooses for themselves (service_role names the admin).
                check(
                    format!(
                        "insert into postiz.notification_preferences (workspace_id, user_id, kind, delivery) values ('{WS_A}', coalesce(auth.uid(), '{}'), 'post_published', 'email')",
                        f.admin
                    ),
                    from(Actor::Viewer),
                ),
                check(
                    format!("update postiz.notification_preferences set delivery = 'off' where user_id = '{}'", f.admin),
                    vec![Actor::Admin, Actor::ServiceRole],
                ),
                check(
                    format!("delete from postiz.notification_preferences where user_id = '{}'", f.admin),
                    vec![Actor::Admin, Actor::ServiceRole],
                ),
            ],
        },
        TableCase {
            table: "notification_emails",
            checks: [
                check(format!("select 1 from postiz.notification_emails where id = {NOTIFICATION_1}"), service_only()),
                check(
                    format!(
                        "insert into postiz.notification_emails (workspace_id, user_id, digest_day) values ('{WS_A}', '{}', '2030-01-02')",
                        f.admin
                    ),
                    service_only(),
                ),
                check(format!("update postiz.notification_emails set status = 'sent' where id = {NOTIFICATION_1}"), service_only()),
                check(format!("delete from postiz.notification_emails where id = {NOTIFICATION_1}"), service_only()),
            ],
        },
        TableCase {
            table: "webhook_endpoints",
            checks: [
                check(format!("select 1 from postiz.webhook_endpoints where id = '{ENDPOINT_A1}'"), from(Actor::Viewer)),
                check(
                    format!(
                        "insert into postiz.webhook_endpoints (workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext) values ('{WS_A}', 'https://hooks.example/new', 'k1', '\\x00', '\\x00')"
                    ),
                    from(Actor::Admin),
                ),
                check(format!("update postiz.webhook_endpoints set enabled = false where id = '{ENDPOINT_A1}'"), from(Actor::Admin)),
                check(format!("delete from postiz.webhook_endpoints where id = '{ENDPOINT_A1}'"), from(Actor::Admin)),
            ],
        },
        TableCase {
            table: "webhook_deliveries",
            checks: [
                check(format!("select 1 from postiz.webhook_deliveries where id = {DELIVERY_1}"), from(Actor::Viewer)),
                // Written by the event triggers and the worker only.
                check(
                    format!(
                        "insert into postiz.webhook_deliveries (workspace_id, endpoint_id, event_id, event_type, payload) values ('{WS_A}', '{ENDPOINT_A1}', gen_random_uuid(), 'webhook.test', '{{}}')"
                    ),
                    service_only(),
                ),
                check(format!("update postiz.webhook_deliveries set status = 'delivered' where id = {DELIVERY_1}"), service_only()),
                check(format!("delete from postiz.webhook_deliveries where id = {DELIVERY_1}"), service_only()),
            ],
        },
        TableCase {
            table: "review_links",
            checks: [
                check(format!("select 1 from postiz.review_links where id = '{REVIEW_LINK_A1}'"), from(Actor::Viewer)),
                // Admins share (as themselves: created_by is the caller's); the token's hash only.
                check(
                    format!(
                        "insert into postiz.review_links (workspace_id, label, post_id, token_hash) values ('{WS_A}', 'client', '{POST_A1}', sha256('another token'))"
                    ),
                    from(Actor::Admin),
                ),
                check(format!("update postiz.review_links set revoked_at = now() where id = '{REVIEW_LINK_A1}'"), from(Actor::Admin)),
                // Revoked, never deleted, by people (the workspace's deletion takes them).
                check(format!("delete from postiz.review_links where id = '{REVIEW_LINK_A1}'"), service_only()),
            ],
        },
        TableCase {
            table: "activity_logs",
            checks: [
                check(
                    format!("select 1 from postiz.activity_logs where workspace_id = '{WS_A}' and action = 'post.created'"),
                    from(Actor::Viewer),
                ),
                check(
                    format!(
                        "insert into postiz.activity_logs (workspace_id, action, entity_type) values ('{WS_A}', 'post.failed', 'post')"
                    ),
                    service_only(),
                ),
                check(
                    format!(
                        "update postiz.activity_logs set details = '{{\"x\": 1}}' where workspace_id = '{WS_A}' and action = 'post.created'"
                    ),
                    service_only(),
                ),
                check(
                    format!("delete from postiz.activity_logs where workspace_id = '{WS_A}' and action = 'post.created'"),
                    service_only(),
                ),
            ],
        },
    ]
}

/// Workspace A with every kind of row, workspace B owned by someone else; arranged as the
/// superuser (no claims, so triggers record no activity).
async fn arrange(db: &TestDatabase, users: &Users) -> Fixture {
    let su = db.superuser().await;
    let owner = users.owner.id;
    let other = users.other_owner.id;
    let (admin, editor, viewer, member2) = (users.admin.id, users.editor.id, users.viewer.id, users.member2.id);
    su.batch_execute(&format!(
        "
        insert into postiz.plans (code, name) values ('spare', 'Spare');
        insert into postiz.workspaces (id, name, slug, created_by) values
          ('{WS_A}', 'A', 'tenant-a', '{owner}'), ('{WS_B}', 'B', 'tenant-b', '{other}');
        insert into postiz.workspace_members (workspace_id, user_id, role) values
          ('{WS_A}', '{admin}', 'admin'), ('{WS_A}', '{editor}', 'editor'),
          ('{WS_A}', '{viewer}', 'viewer'), ('{WS_A}', '{member2}', 'editor');
        insert into postiz.workspace_invites (id, workspace_id, email, role, token_hash) values
          ('{INVITE_A1}', '{WS_A}', 'invited@example.com', 'viewer', sha256('token-a1'));
        insert into postiz.social_accounts (id, workspace_id, network, external_account_id, handle) values
          ('{ACCOUNT_A1}', '{WS_A}', 'mastodon', 'm-1', '@a1'),
          ('{ACCOUNT_A2}', '{WS_A}', 'bluesky', 'b-1', '@a2');
        insert into postiz.credentials (workspace_id, social_account_id, access_token_key_id, access_token_nonce, access_token_ciphertext)
          values ('{WS_A}', '{ACCOUNT_A1}', 'k1', '\\x0102030405060708090a0b0c', '\\xdeadbeef');
        insert into postiz.posts (id, workspace_id, author_id, content, scheduled_at) values
          ('{POST_A1}', '{WS_A}', '{editor}', 'first', '2030-01-01'),
          ('{POST_A2}', '{WS_A}', '{editor}', 'second', null);
        insert into postiz.posts (id, workspace_id, author_id, content, status) values
          ('{POST_A3}', '{WS_A}', null, 'for review', 'pending_approval');
        insert into postiz.approval_policies (id, workspace_id, steps) values
          ('{POLICY_A1}', '{WS_A}', '[{{\"min_role\": \"viewer\", \"required\": 3}}]');
        insert into postiz.approval_decisions (workspace_id, post_id, decision, decided_by) values
          ('{WS_A}', '{POST_A3}', 'approved', '{member2}');
        insert into postiz.review_links (id, workspace_id, label, post_id, token_hash, created_by) values
          ('{REVIEW_LINK_A1}', '{WS_A}', 'client', '{POST_A1}', sha256('review token a1'), '{admin}');
        insert into postiz.post_variants (id, workspace_id, post_id, network) values ('{VARIANT_A1}', '{WS_A}', '{POST_A1}', 'mastodon');
        insert into postiz.post_targets (id, workspace_id, post_id, social_account_id) values
          ('{TARGET_A1}', '{WS_A}', '{POST_A1}', '{ACCOUNT_A1}');
        insert into postiz.tags (id, workspace_id, name) values ('{TAG_A1}', '{WS_A}', 'one'), ('{TAG_A2}', '{WS_A}', 'two');
        insert into postiz.post_tags (workspace_id, post_id, tag_id) values ('{WS_A}', '{POST_A1}', '{TAG_A1}');
        insert into postiz.post_comments (id, workspace_id, post_id, author_id, body) values
          ('{COMMENT_A1}', '{WS_A}', '{POST_A1}', '{editor}', 'first!');
        insert into postiz.media_assets (id, workspace_id, path, mime_type, bytes, sha256) values
          ('{MEDIA_A1}', '{WS_A}', '{WS_A}/1.png', 'image/png', 1, sha256('1')),
          ('{MEDIA_A2}', '{WS_A}', '{WS_A}/2.png', 'image/png', 1, sha256('2'));
        insert into postiz.post_media (workspace_id, post_id, media_id) values ('{WS_A}', '{POST_A1}', '{MEDIA_A1}');
        insert into postiz.media_variants (workspace_id, media_id, profile, path, mime_type, bytes, width, height, sha256) values
          ('{WS_A}', '{MEDIA_A1}', 'instagram-refuse-0000aaaa', '{WS_A}/{MEDIA_A1}/variant-instagram-refuse-0000aaaa.jpg', 'image/jpeg', 1, 1, 1, sha256('v1'));
        insert into postiz.media_uploads (id, workspace_id, total_bytes) values
          ('{UPLOAD_A1}', '{WS_A}', 100), ('{UPLOAD_A2}', '{WS_A}', 100);
        insert into postiz.storage_deletions (workspace_id, path) values
          ('{WS_A}', '{WS_A}/gone/original.png'), ('{WS_A}', '{WS_A}/gone/thumbnail.png');
        insert into postiz.schedules (id, workspace_id, kind, post_id, starts_at) values
          ('{SCHEDULE_A1}', '{WS_A}', 'once', '{POST_A1}', '2030-01-01');
        insert into postiz.queue_jobs (id, workspace_id, target_id, schedule_id, occurrence, network, scheduled_at, run_at) values
          ('{JOB_A1}', '{WS_A}', '{TARGET_A1}', '{SCHEDULE_A1}', '2030-01-01', 'mastodon', '2030-01-01', '2030-01-01');
        insert into postiz.analytics_events (workspace_id, social_account_id, target_id, metric, value, bucket_start) values
          ('{WS_A}', '{ACCOUNT_A1}', '{TARGET_A1}', 'likes', 3, '2030-01-01');
        insert into postiz.analytics_snapshots (workspace_id, social_account_id, target_id, bucket_start, observed_at, raw) values
          ('{WS_A}', '{ACCOUNT_A1}', '{TARGET_A1}', '2030-01-01', '2030-01-01', '{{}}');
        insert into postiz.webhook_events (id, network, payload, signature_valid, workspace_id, social_account_id) values
          ('{WEBHOOK_A1}', 'mastodon', '{{}}', true, '{WS_A}', '{ACCOUNT_A1}');
        insert into postiz.api_keys (id, workspace_id, name, prefix, key_hash) values
          ('{API_KEY_A1}', '{WS_A}', 'ci', 'pzk_0000', sha256('key-a1'));
        insert into postiz.activity_logs (workspace_id, actor_id, actor_kind, action, entity_type, entity_id) values
          ('{WS_A}', '{editor}', 'user', 'post.created', 'post', '{POST_A1}');
        insert into postiz.oauth_states (id, state_hash, user_id, workspace_id, network, redirect_uri, expires_at) values
          ('{OAUTH_STATE_A1}', sha256('state-a1'), '{admin}', '{WS_A}', 'x', 'https://app/cb', '2030-01-01');
        insert into postiz.pending_connections (id, user_id, workspace_id, network, login, access_token_key_id, access_token_nonce, access_token_ciphertext, expires_at) values
          ('{PENDING_A1}', '{admin}', '{WS_A}', 'facebook', '{{}}', 'k1', '\\x0102030405060708090a0b0c', '\\xdeadbeef', '2030-01-01');
        insert into postiz.data_deletion_requests (id, network, confirmation_code, event_key, accounts) values
          ('{DELETION_1}', 'facebook', 'fedcba9876543210fedcba9876543210', 'deletion:a1:1', 1);
        insert into postiz.instance_apps (id, network, server_url, redirect_uri, client_id, auth_url, token_url) values
          ('{INSTANCE_APP_1}', 'mastodon', 'https://mastodon.example', 'https://app/cb', 'c1', 'https://mastodon.example/oauth/authorize', 'https://mastodon.example/oauth/token');
        insert into postiz.notifications (id, workspace_id, user_id, kind, delivery, post_id) overriding system value values
          ({NOTIFICATION_1}, '{WS_A}', '{admin}', 'post_failed', 'email', '{POST_A1}');
        insert into postiz.notification_emails (id, workspace_id, user_id, notification_id) overriding system value values
          ({NOTIFICATION_1}, '{WS_A}', '{admin}', {NOTIFICATION_1});
        insert into postiz.notification_preferences (workspace_id, user_id, kind, delivery) values
          ('{WS_A}', '{admin}', 'post_failed', 'in_app');
        insert into postiz.account_checks (social_account_id, workspace_id, checked_at, outcome) values
          ('{ACCOUNT_A1}', '{WS_A}', now(), 'ok');
        insert into postiz.webhook_endpoints (id, workspace_id, url, secret_key_id, secret_nonce, secret_ciphertext) values
          ('{ENDPOINT_A1}', '{WS_A}', 'https://hooks.example/a1', 'k1', '\\x0102030405060708090a0b0c', '\\xdeadbeef');
        insert into postiz.webhook_deliveries (id, workspace_id, endpoint_id, event_id, event_type, payload) overriding system value values
          ({DELIVERY_1}, '{WS_A}', '{ENDPOINT_A1}', gen_random_uuid(), 'webhook.test', '{{}}');
        "
    ))
    .await
    .expect("arrange the fixture");
    Fixture { member2: users.member2.clone(), newcomer: users.newcomer.clone(), admin: users.admin.id }
}

struct Users {
    owner: TestUser,
    admin: TestUser,
    editor: TestUser,
    viewer: TestUser,
    member2: TestUser,
    outsider: TestUser,
    other_owner: TestUser,
    newcomer: TestUser,
}

async fn session_for(db: &TestDatabase, users: &Users, actor: Actor) -> Session {
    match actor {
        Actor::Anon => db.as_anon().await,
        Actor::Outsider => db.as_user(&users.outsider).await,
        Actor::Viewer => db.as_user(&users.viewer).await,
        Actor::Editor => db.as_user(&users.editor).await,
        Actor::Admin => db.as_user(&users.admin).await,
        Actor::Owner => db.as_user(&users.owner).await,
        Actor::OtherOwner => db.as_user(&users.other_owner).await,
        Actor::ServiceRole => db.as_service().await,
    }
}

/// What a statement did.
enum Outcome {
    /// Rows seen (select) or affected (writes).
    Rows(u64),
    /// Refused with 42501: missing grant or `with check` violation.
    Refused(String),
    /// Anything else: the check is broken, not the policy.
    Broken(String),
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Outcome::Rows(n) => write!(f, "{n} row(s)"),
            Outcome::Refused(message) => write!(f, "refused: {message}"),
            Outcome::Broken(message) => write!(f, "error: {message}"),
        }
    }
}

async fn run(session: &Session, op: Op, sql: &str) -> Outcome {
    session.batch("savepoint matrix_check").await.expect("savepoint");
    let result = match op {
        Op::Select => session.query(sql, &[]).await.map(|rows| rows.len() as u64),
        _ => session.execute(sql, &[]).await,
    };
    session.batch("rollback to savepoint matrix_check").await.expect("rollback to savepoint");
    match result {
        Ok(n) => Outcome::Rows(n),
        Err(e) => match e.as_db_error() {
            Some(db) if db.code() == &SqlState::INSUFFICIENT_PRIVILEGE => Outcome::Refused(db.message().to_owned()),
            Some(db) => Outcome::Broken(format!("{}: {}", db.code().code(), db.message())),
            None => Outcome::Broken(e.to_string()),
        },
    }
}

#[tokio::test]
async fn every_table_every_command_every_actor() {
    let db = TestDatabase::new().await;
    let users = Users {
        owner: db.create_user("owner@example.com").await,
        admin: db.create_user("admin@example.com").await,
        editor: db.create_user("editor@example.com").await,
        viewer: db.create_user("viewer@example.com").await,
        member2: db.create_user("member2@example.com").await,
        outsider: db.create_user("outsider@example.com").await,
        other_owner: db.create_user("other-owner@example.com").await,
        newcomer: db.create_user("newcomer@example.com").await,
    };
    let fixture = arrange(&db, &users).await;
    let cases = cases(&fixture);

    // The matrix covers exactly the tables that exist.
    let tables: BTreeSet<String> = db
        .client()
        .await
        .query("select tablename::text from pg_tables where schemaname = 'postiz'", &[])
        .await
        .expect("list postiz tables")
        .iter()
        .map(|r| r.get(0))
        .collect();
    let covered: BTreeSet<String> = cases.iter().map(|c| c.table.to_owned()).collect();
    assert_eq!(
        tables.difference(&covered).collect::<Vec<_>>(),
        Vec::<&String>::new(),
        "tables without RLS matrix checks: add them to cases()"
    );
    assert_eq!(covered.difference(&tables).collect::<Vec<_>>(), Vec::<&String>::new(), "matrix checks for tables that do not exist");

    let mut grid = String::new();
    let _ =
        writeln!(grid, "{:<18} {:<6} {}", "table", "op", ACTORS.iter().map(|a| format!("{:>5}", a.short())).collect::<Vec<_>>().join(" "));
    let mut failures = Vec::new();
    let (mut allowed_checks, mut denied_checks) = (0, 0);
    let mut outcomes = vec![vec![String::new(); ACTORS.len()]; cases.len() * OPS.len()];

    for (a, actor) in ACTORS.iter().enumerate() {
        let session = session_for(&db, &users, *actor).await;
        for (t, case) in cases.iter().enumerate() {
            for (o, op) in OPS.iter().enumerate() {
                let check = &case.checks[o];
                let expect_allowed = check.allowed.contains(actor);
                let outcome = run(&session, *op, &check.sql).await;
                let (cell, ok) = match (&outcome, expect_allowed) {
                    (Outcome::Rows(1), true) => ("Y", true),
                    (Outcome::Rows(0), false) => ("-", true),
                    (Outcome::Refused(_), false) => ("x", true),
                    _ => ("!", false),
                };
                if expect_allowed {
                    allowed_checks += 1
                } else {
                    denied_checks += 1
                }
                if !ok {
                    failures.push(format!(
                        "{} {} as {:?}: expected {}, got {}\n    {}",
                        op.name(),
                        case.table,
                        actor,
                        if expect_allowed { "one row" } else { "refusal or no row" },
                        outcome,
                        check.sql
                    ));
                }
                outcomes[t * OPS.len() + o][a] = cell.to_owned();
            }
        }
    }
    for (t, case) in cases.iter().enumerate() {
        for (o, op) in OPS.iter().enumerate() {
            let cells = outcomes[t * OPS.len() + o].iter().map(|c| format!("{c:>5}")).collect::<Vec<_>>().join(" ");
            let _ = writeln!(grid, "{:<18} {:<6} {}", case.table, op.name(), cells);
        }
    }
    println!("{grid}Y = allowed (one row), - = filtered (no row), x = refused (42501), ! = unexpected");
    println!(
        "{} checks over {} tables: {} expected allowed, {} expected denied",
        allowed_checks + denied_checks,
        cases.len(),
        allowed_checks,
        denied_checks
    );
    assert!(failures.is_empty(), "{} RLS matrix failures:\n{}", failures.len(), failures.join("\n"));
}

/// One statement beyond the table grid: who gets one row; every other actor listed in `actors`
/// must be refused or see nothing.
struct Finding {
    what: &'static str,
    op: Op,
    sql: String,
    allowed: Vec<Actor>,
    actors: Vec<Actor>,
}

/// The outside review's findings (issue 14), in the matrix so they stay fixed: nobody but
/// service_role writes where a token goes; one rule for granting roles on every path; plan
/// triggers refuse to look at another workspace (B's plan forbids linkedin and is full, so a
/// plan answer instead of RLS's refusal would show as an unexpected error).
#[tokio::test]
async fn review_findings_stay_fixed() {
    let db = TestDatabase::new().await;
    let users = Users {
        owner: db.create_user("owner@example.com").await,
        admin: db.create_user("admin@example.com").await,
        editor: db.create_user("editor@example.com").await,
        viewer: db.create_user("viewer@example.com").await,
        member2: db.create_user("member2@example.com").await,
        outsider: db.create_user("outsider@example.com").await,
        other_owner: db.create_user("other-owner@example.com").await,
        newcomer: db.create_user("newcomer@example.com").await,
    };
    let f = arrange(&db, &users).await;
    db.superuser()
        .await
        .batch_execute(&format!(
            "insert into postiz.plans (code, name, networks_allowed, max_social_accounts, allow_recurring)
               values ('strict', 'Strict', '{{mastodon}}', 0, false);
             update postiz.workspaces set plan = 'strict' where id = '{WS_B}';
             insert into postiz.posts (id, workspace_id, content) values ('bbbbbbbb-0000-4000-8000-0000000000b1', '{WS_B}', 'b');"
        ))
        .await
        .expect("a strict plan for B");
    let (member2, newcomer) = (f.member2.id, f.newcomer.id);
    let everyone = ACTORS.to_vec();
    let not_b = vec![Actor::Anon, Actor::Outsider, Actor::Viewer, Actor::Editor, Actor::Admin, Actor::Owner];
    let owners = vec![Actor::Owner, Actor::ServiceRole];
    let findings = [
        Finding {
            what: "rewrite an account's meta (its recorded server)",
            op: Op::Update,
            sql: format!(
                "update postiz.social_accounts set meta = '{{\"server_url\": \"https://evil.example\"}}' where id = '{ACCOUNT_A1}'"
            ),
            allowed: service_only(),
            actors: everyone.clone(),
        },
        Finding {
            what: "point an account at another page",
            op: Op::Update,
            sql: format!("update postiz.social_accounts set external_page_id = 'other' where id = '{ACCOUNT_A1}'"),
            allowed: service_only(),
            actors: everyone.clone(),
        },
        Finding {
            what: "change where a credential's tokens go",
            op: Op::Update,
            sql: format!("update postiz.credentials set server_url = 'https://evil.example' where social_account_id = '{ACCOUNT_A1}'"),
            allowed: service_only(),
            actors: everyone.clone(),
        },
        Finding {
            what: "add a member as admin",
            op: Op::Insert,
            sql: format!("insert into postiz.workspace_members (workspace_id, user_id, role) values ('{WS_A}', '{newcomer}', 'admin')"),
            allowed: owners.clone(),
            actors: everyone.clone(),
        },
        Finding {
            what: "promote a member to admin",
            op: Op::Update,
            sql: format!("update postiz.workspace_members set role = 'admin' where workspace_id = '{WS_A}' and user_id = '{member2}'"),
            allowed: owners.clone(),
            actors: everyone.clone(),
        },
        Finding {
            what: "invite an admin",
            op: Op::Insert,
            sql: format!(
                "insert into postiz.workspace_invites (workspace_id, email, role, token_hash) values ('{WS_A}', 'boss@example.com', 'admin', sha256('boss'))"
            ),
            allowed: owners.clone(),
            actors: everyone.clone(),
        },
        Finding {
            what: "raise a pending invitation to admin",
            op: Op::Update,
            sql: format!("update postiz.workspace_invites set role = 'admin' where id = '{INVITE_A1}'"),
            allowed: owners,
            actors: everyone,
        },
        Finding {
            what: "connect an account into B (a network B's plan forbids)",
            op: Op::Insert,
            sql: format!(
                "insert into postiz.social_accounts (workspace_id, network, external_account_id) values ('{WS_B}', 'linkedin', 'l-9')"
            ),
            allowed: vec![],
            actors: not_b.clone(),
        },
        Finding {
            what: "connect an account into B (B is at its account limit)",
            op: Op::Insert,
            sql: format!(
                "insert into postiz.social_accounts (workspace_id, network, external_account_id) values ('{WS_B}', 'mastodon', 'm-9')"
            ),
            allowed: vec![],
            actors: not_b.clone(),
        },
        Finding {
            what: "create a recurring schedule in B (B's plan forbids them)",
            op: Op::Insert,
            sql: format!(
                "insert into postiz.schedules (workspace_id, kind, post_id, starts_at, rrule) values ('{WS_B}', 'recurring', 'bbbbbbbb-0000-4000-8000-0000000000b1', now(), 'FREQ=DAILY')"
            ),
            allowed: vec![],
            actors: not_b,
        },
    ];
    let mut failures = Vec::new();
    for actor in ACTORS {
        let session = session_for(&db, &users, actor).await;
        for finding in findings.iter().filter(|f| f.actors.contains(&actor)) {
            let outcome = run(&session, finding.op, &finding.sql).await;
            let ok = matches!(
                (&outcome, finding.allowed.contains(&actor)),
                (Outcome::Rows(1), true) | (Outcome::Rows(0) | Outcome::Refused(_), false)
            );
            if !ok {
                failures.push(format!("{} as {actor:?}: got {outcome}", finding.what));
            }
        }
    }
    assert!(failures.is_empty(), "{} review findings regressed:\n{}", failures.len(), failures.join("\n"));
}
