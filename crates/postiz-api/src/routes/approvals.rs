//! Approvals: the workspace's policy (and per-account overrides), a post's approval state, the
//! review queue, and decisions.
//!
//! The database is the gate (migration `20261203020000_create_post_approvals.sql`): a post whose
//! policy is not satisfied cannot become `scheduled`, whoever asks, and refuses it with SQLSTATE
//! PZ409; a decision the caller may not make is refused with PZ403. These handlers read the state
//! the database computes (`postiz.post_approval`) and decode it once into [`ApprovalState`].

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::Transaction;
use uuid::Uuid;

use super::approval_state::{self, ApprovalState, ApprovalStep, Decision};
use super::posts::{self, ChangeStatus, EditableStatus, PostView};
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::extract::ConfirmedUser;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// At most this many steps in a policy, and approvals per step (as the table's check).
const MAX_STEPS: usize = 10;
const MAX_REQUIRED: i32 = 20;
const MAX_MEMBERS: usize = 50;
const MAX_NOTE: usize = 5000;

/// A policy as stored: the workspace's (`social_account_id` null) or an account's override.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PolicyView {
    /// Null for the workspace's policy.
    pub social_account_id: Option<Uuid>,
    /// Ordered steps; empty means no approval needed.
    pub steps: Vec<ApprovalStep>,
    /// Whether authors may approve their own posts.
    pub allow_self_approval: bool,
    /// Who changed it last.
    pub updated_by: Option<Uuid>,
    /// When (null: never set, approvals off).
    pub updated_at: Option<DateTime<Utc>>,
}

/// `GET …/approval-policy`: the workspace's policy and every account override.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Policies {
    /// The workspace's policy (off when never set).
    pub workspace: PolicyView,
    /// Overrides, by account.
    pub accounts: Vec<PolicyView>,
}

/// Body of `PUT …/approval-policy`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetPolicy {
    /// Set an override for this account instead of the workspace's policy.
    #[serde(default)]
    pub social_account_id: Option<Uuid>,
    /// Ordered steps; empty turns approvals off (for an override: exempts the account).
    pub steps: Vec<ApprovalStep>,
    /// Whether authors may approve their own posts (default no).
    #[serde(default)]
    pub allow_self_approval: bool,
}

/// One logged decision.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DecisionView {
    /// Id.
    pub id: i64,
    /// The decision.
    pub decision: Decision,
    /// Note.
    pub note: Option<String>,
    /// Who decided.
    pub decided_by: Option<Uuid>,
    /// Their name (null when they are no longer a member); a client's, as typed, for a decision
    /// made through a review link.
    pub decided_by_name: Option<String>,
    /// Set for a decision made through a review link: "via review link <label>".
    pub via_review_link: Option<String>,
    /// The post version it was about.
    pub round: i32,
    /// Whether it is about the current version (older ones no longer count).
    pub current: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A post's approval state and its decisions, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApprovalView {
    /// State.
    #[serde(flatten)]
    pub state: ApprovalState,
    /// Every decision on this post, newest first.
    pub decisions: Vec<DecisionView>,
}

/// State plus decisions.
pub(crate) async fn load(tx: &Transaction<'_>, ws: Uuid, post: Uuid) -> Result<Option<ApprovalView>, ApiError> {
    let Some(state) = approval_state::load(tx, ws, post).await? else {
        return Ok(None);
    };
    let rows = tx
        .query(
            "select d.id, d.decision::text, d.note, d.decided_by, d.round, d.round = $3, d.created_at, coalesce(n.name, d.reviewer_name),
                    case when d.reviewer_name is not null then
                      'via review link ' || coalesce((select l.label from postiz.review_links l
                                                       where l.workspace_id = d.workspace_id and l.id = d.review_link_id), '(deleted)') end
             from postiz.approval_decisions d
             left join postiz_private.workspace_member_names($1) n on n.user_id = d.decided_by
             where d.workspace_id = $1 and d.post_id = $2
             order by d.id desc",
            &[&ws, &post, &state.round],
        )
        .await?;
    let decisions = rows
        .iter()
        .map(|r| {
            Ok(DecisionView {
                id: r.get(0),
                decision: Decision::from_label(r.get(1))?,
                note: r.get(2),
                decided_by: r.get(3),
                decided_by_name: r.get(7),
                via_review_link: r.get(8),
                round: r.get(4),
                current: r.get(5),
                created_at: r.get(6),
            })
        })
        .collect::<Result<_, ApiError>>()?;
    Ok(Some(ApprovalView { state, decisions }))
}

fn policy_view(r: &tokio_postgres::Row) -> Result<PolicyView, ApiError> {
    let steps: Value = r.get(1);
    Ok(PolicyView {
        social_account_id: r.get(0),
        steps: serde_json::from_value(steps).map_err(|e| ApiError::internal(&format!("a stored approval step we cannot read: {e}")))?,
        allow_self_approval: r.get(2),
        updated_by: r.get(3),
        updated_at: r.get(4),
    })
}

async fn policies(tx: &Transaction<'_>, ws: Uuid) -> Result<Policies, ApiError> {
    let rows = tx
        .query(
            "select social_account_id, steps, allow_self_approval, updated_by, updated_at from postiz.approval_policies
             where workspace_id = $1 order by social_account_id nulls first",
            &[&ws],
        )
        .await?;
    let mut workspace =
        PolicyView { social_account_id: None, steps: Vec::new(), allow_self_approval: false, updated_by: None, updated_at: None };
    let mut accounts = Vec::new();
    for r in &rows {
        let p = policy_view(r)?;
        if p.social_account_id.is_none() {
            workspace = p;
        } else {
            accounts.push(p);
        }
    }
    Ok(Policies { workspace, accounts })
}

/// `GET /workspaces/{ws}/approval-policy` (any member): the policy and the account overrides.
pub async fn get_policy(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Policies>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let out = policies(&tx, ws).await?;
    tx.commit().await?;
    Ok(Json(out))
}

/// `PUT /workspaces/{ws}/approval-policy` (admin+): sets the workspace's policy, or an account's
/// override with `social_account_id`. Scheduled posts the new policy does not approve go back to
/// pending approval (the database does it).
pub async fn set_policy(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids(ws): Ids<Uuid>,
    JsonBody(body): JsonBody<SetPolicy>,
) -> Result<Json<Policies>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let members: Vec<Uuid> =
        tx.query("select user_id from postiz.workspace_members where workspace_id = $1", &[&ws]).await?.iter().map(|r| r.get(0)).collect();
    let mut fields = Fields::default();
    if let Some(account) = body.social_account_id
        && tx.query_opt("select 1 from postiz.social_accounts where workspace_id = $1 and id = $2", &[&ws, &account]).await?.is_none()
    {
        fields.push("social_account_id", "is not an account of this workspace");
    }
    if body.steps.len() > MAX_STEPS {
        fields.push("steps", format!("at most {MAX_STEPS} steps"));
    }
    for (i, step) in body.steps.iter().enumerate() {
        if step.min_role.is_none() && step.members.is_empty() {
            fields.push(format!("steps.{i}"), "name who may approve: a minimum role, reviewers, or both");
        }
        if !(1..=MAX_REQUIRED).contains(&step.required) {
            fields.push(format!("steps.{i}.required"), format!("must be between 1 and {MAX_REQUIRED} approvals"));
        }
        if step.members.len() > MAX_MEMBERS {
            fields.push(format!("steps.{i}.members"), format!("at most {MAX_MEMBERS} reviewers"));
        }
        for (j, m) in step.members.iter().enumerate() {
            if !members.contains(m) {
                fields.push(format!("steps.{i}.members.{j}"), "is not a member of this workspace");
            }
        }
        if step.min_role.is_none() && usize::try_from(step.required).is_ok_and(|r| r > step.members.len()) {
            fields.push(
                format!("steps.{i}.required"),
                format!("needs {} approvals but names only {} reviewers", step.required, step.members.len()),
            );
        }
    }
    fields.finish()?;
    let steps = serde_json::to_value(&body.steps).map_err(|e| ApiError::internal(&e))?;
    tx.execute(
        "insert into postiz.approval_policies (workspace_id, social_account_id, steps, allow_self_approval)
         values ($1, $2, $3, $4)
         on conflict (workspace_id, social_account_id)
         do update set steps = excluded.steps, allow_self_approval = excluded.allow_self_approval",
        &[&ws, &body.social_account_id, &steps, &body.allow_self_approval],
    )
    .await?;
    let out = policies(&tx, ws).await?;
    tx.commit().await?;
    Ok(Json(out))
}

/// `DELETE /workspaces/{ws}/approval-policy/accounts/{account}` (admin+; 204): the account
/// follows the workspace's policy again.
pub async fn delete_override(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids((ws, account)): Ids<(Uuid, Uuid)>,
) -> Result<StatusCode, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Admin).await?;
    let n = tx.execute("delete from postiz.approval_policies where workspace_id = $1 and social_account_id = $2", &[&ws, &account]).await?;
    if n == 0 {
        return Err(ApiError::not_found());
    }
    tx.commit().await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /workspaces/{ws}/posts/{id}/approval` (any member): state and decisions.
pub async fn get_post(
    State(state): State<AppState>,
    user: AuthUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
) -> Result<Json<ApprovalView>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    let out = load(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok(Json(out))
}

/// Body of `POST /workspaces/{ws}/posts/{id}/decisions`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Decide {
    /// `approved`, `rejected` or `changes_requested`.
    pub decision: Decision,
    /// Required for `rejected` and `changes_requested` (at most 5000 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// Answer of a decision: the post afterwards, and whether the approval scheduled it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Decided {
    /// The post, with its approval state.
    #[schema(value_type = Object)]
    pub post: PostView,
    /// True when this approval completed the policy and the post was scheduled.
    pub scheduled: bool,
    /// Why a fully approved post could not be scheduled (e.g. its time has passed).
    pub not_scheduled_reason: Option<String>,
}

/// `POST /workspaces/{ws}/posts/{id}/decisions` (201): approve, reject (note required) or request
/// changes (note required). The database decides who may (403 `review_refused` with the reason).
/// An approval that completes the post's policy schedules it, as `POST …/status` would; when that
/// is refused (a one-off time now past) the approval stands and `not_scheduled_reason` says why.
pub async fn decide(
    State(state): State<AppState>,
    ConfirmedUser(user): ConfirmedUser,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<Decide>,
) -> Result<(StatusCode, Json<Decided>), ApiError> {
    let mut fields = Fields::default();
    let note = body.note.as_deref().map(str::trim).filter(|n| !n.is_empty());
    if body.decision != Decision::Approved && note.is_none() {
        fields.push("note", "say what should change (a note is required to reject or to ask for changes)");
    }
    if note.is_some_and(|n| n.chars().count() > MAX_NOTE) {
        fields.push("note", format!("must be at most {MAX_NOTE} characters"));
    }
    fields.finish()?;
    let approved_now = {
        let mut client = state.pool.get().await?;
        let tx = user_tx(&mut client, &user).await?;
        require_role(&tx, ws, Role::Viewer).await?;
        tx.query_opt("select 1 from postiz.posts where workspace_id = $1 and id = $2", &[&ws, &id])
            .await?
            .ok_or_else(ApiError::not_found)?;
        tx.execute(
            "insert into postiz.approval_decisions (workspace_id, post_id, decision, note) values ($1, $2, $3::text::postiz.approval_decision, $4)",
            &[&ws, &id, &body.decision.as_str(), &note],
        )
        .await?;
        let state_after = approval_state::load(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
        tx.commit().await?;
        body.decision == Decision::Approved && state_after.approved
    };
    let (mut scheduled, mut reason) = (false, None);
    if approved_now {
        match posts::set_status(
            State(state.clone()),
            user.clone(),
            Ids((ws, id)),
            JsonBody(ChangeStatus { status: EditableStatus::Scheduled }),
        )
        .await
        {
            Ok(_) => scheduled = true,
            Err(e) => reason = Some(e.message().to_owned()),
        }
    }
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    let post = posts::load_view(&tx, ws, id).await?.ok_or_else(ApiError::not_found)?;
    tx.commit().await?;
    Ok((StatusCode::CREATED, Json(Decided { post, scheduled, not_scheduled_reason: reason })))
}

/// A post waiting for a decision the caller may make.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueItem {
    /// Post id.
    pub id: Uuid,
    /// The first 280 characters.
    pub content_preview: String,
    /// Who wrote it.
    pub author_id: Option<Uuid>,
    /// When it is due.
    pub scheduled_at: Option<DateTime<Utc>>,
    /// Networks it goes to.
    pub networks: Vec<String>,
    /// Its approval state (what is missing).
    pub approval: ApprovalState,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
}

/// `GET /workspaces/{ws}/review-queue` (any member): posts waiting for approval that the caller
/// may decide on now, soonest due first; `count` is what the nav shows.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Queue {
    /// How many.
    pub count: usize,
    /// The posts.
    pub posts: Vec<QueueItem>,
}

/// `GET /workspaces/{ws}/review-queue`.
pub async fn queue(State(state): State<AppState>, user: AuthUser, Ids(ws): Ids<Uuid>) -> Result<Json<Queue>, ApiError> {
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Viewer).await?;
    // Posts waiting for approval are few (a review backlog, not the calendar): state per post.
    let rows = tx
        .query(
            "select p.id, left(p.content, 280), p.author_id, p.scheduled_at, p.updated_at, postiz.post_approval(p.workspace_id, p.id),
                    coalesce((select array_agg(distinct a.network order by a.network) from postiz.post_targets t
                              join postiz.social_accounts a on a.workspace_id = t.workspace_id and a.id = t.social_account_id
                              where t.workspace_id = p.workspace_id and t.post_id = p.id), '{}')
             from postiz.posts p
             where p.workspace_id = $1 and p.status = 'pending_approval'
             order by p.scheduled_at nulls last, p.created_at
             limit 500",
            &[&ws],
        )
        .await?;
    tx.commit().await?;
    let mut posts = Vec::new();
    for r in &rows {
        let Some(value) = r.get::<_, Option<Value>>(5) else {
            continue;
        };
        let approval = approval_state::decode(value)?;
        if !approval.may_decide {
            continue;
        }
        posts.push(QueueItem {
            id: r.get(0),
            content_preview: r.get(1),
            author_id: r.get(2),
            scheduled_at: r.get(3),
            updated_at: r.get(4),
            networks: r.get(6),
            approval,
        });
    }
    Ok(Json(Queue { count: posts.len(), posts }))
}
