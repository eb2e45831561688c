//! A post's approval state as the database computes it (`postiz.post_approval`), decoded once
//! into [`ApprovalState`]; shared by the approval routes and the post view. No handlers here.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio_postgres::Transaction;
use uuid::Uuid;

use crate::ApiError;
use crate::access::Role;

/// One step of a policy: who may approve (a role at or above `min_role`, or one of `members`)
/// and how many approvals it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApprovalStep {
    /// Members with this role or higher may approve.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub min_role: Option<Role>,
    /// These members may approve (whatever their role).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub members: Vec<Uuid>,
    /// Approvals needed (1-20), from distinct people.
    pub required: i32,
}

/// A decision kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Decision {
    /// Counts toward the open step.
    Approved,
    /// Sent back for good (until the post is edited).
    Rejected,
    /// Sent back with changes to make.
    ChangesRequested,
}

impl Decision {
    const ALL: [Decision; 3] = [Decision::Approved, Decision::Rejected, Decision::ChangesRequested];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Decision::Approved => "approved",
            Decision::Rejected => "rejected",
            Decision::ChangesRequested => "changes_requested",
        }
    }

    /// The `postiz.approval_decision` label as stored; an unknown one is an error, never a guess.
    pub(crate) fn from_label(label: &str) -> Result<Self, ApiError> {
        Self::ALL
            .into_iter()
            .find(|d| d.as_str() == label)
            .ok_or_else(|| ApiError::internal(&format!("a stored approval decision we do not know: {label:?}")))
    }
}

/// The decision that sent the current version back.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct Blocked {
    /// `rejected` or `changes_requested`.
    pub decision: Decision,
    /// The reviewer's note.
    pub note: Option<String>,
    /// Who.
    pub decided_by: Option<Uuid>,
    /// When.
    pub decided_at: DateTime<Utc>,
}

/// Progress of one step of one policy that applies to the post.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct StepState {
    /// The policy.
    pub policy_id: Uuid,
    /// The account whose override it is (null: the workspace's policy).
    pub social_account_id: Option<Uuid>,
    /// 1-based position in the policy.
    pub position: i32,
    /// Role at or above which members may approve it.
    #[schema(value_type = Option<String>)]
    pub min_role: Option<Role>,
    /// Named reviewers.
    pub members: Vec<Uuid>,
    /// Approvals needed.
    pub required: i32,
    /// Whose approvals count for it so far.
    pub approved_by: Vec<Uuid>,
    /// Done.
    pub satisfied: bool,
    /// The step reviewers decide now.
    pub open: bool,
}

/// A post's approval state as the database computes it (`postiz.post_approval`).
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ApprovalState {
    /// Whether any policy applies.
    pub required: bool,
    /// Whether it may be scheduled.
    pub approved: bool,
    /// Version of the post decisions belong to (bumped by each edit).
    pub round: i32,
    /// The rejection or change request that blocks this version.
    pub blocked: Option<Blocked>,
    /// What is missing, for people ("This post needs 1 more approval from an admin …").
    pub missing: Option<String>,
    /// Steps of every policy that applies.
    pub steps: Vec<StepState>,
    /// Whether the caller may decide now.
    pub may_decide: bool,
    /// Why not, when not.
    pub refusal: Option<String>,
}

/// The approval state of one post, or `None` when the caller cannot see it.
pub(crate) async fn load(tx: &Transaction<'_>, ws: Uuid, post: Uuid) -> Result<Option<ApprovalState>, ApiError> {
    let row = tx.query_one("select postiz.post_approval($1, $2)", &[&ws, &post]).await?;
    row.get::<_, Option<Value>>(0).map(decode).transpose()
}

/// What `postiz.post_approval` answered, decoded.
pub(crate) fn decode(value: Value) -> Result<ApprovalState, ApiError> {
    serde_json::from_value(value).map_err(|e| ApiError::internal(&format!("postiz.post_approval answered a shape we do not know: {e}")))
}
