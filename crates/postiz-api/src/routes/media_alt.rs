//! `PATCH /workspaces/{ws}/media/{id}` `{"alt_text"}`: the asset's default alternative text,
//! edited in the library. A post that attaches the asset without alt text of its own
//! (`post_media.alt_text` null) publishes with this one, so describing a picture once in the
//! library reaches every network that takes alt text; a post's own alt text wins.

use axum::Json;
use axum::extract::State;
use serde::Deserialize;
use uuid::Uuid;

use super::media::{MEDIA_COLUMNS, MediaLinks, MediaView, media_view};
use crate::access::{Role, require_role, user_tx};
use crate::auth::AuthUser;
use crate::checks::Fields;
use crate::input::{Ids, JsonBody};
use crate::{ApiError, AppState};

/// Longest alt text kept (characters); each network's own limit is checked when a post is
/// scheduled and shown in the library's fits.
pub const MAX_ALT_TEXT: usize = 2000;

/// Body of `PATCH …/media/{id}`.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMedia {
    /// What the picture or video shows, for people who cannot see it; empty or null removes it.
    pub alt_text: Option<String>,
}

/// The alt text to store: trimmed, none when empty; a refusal names `alt_text`.
pub(crate) fn clean_alt(raw: Option<&str>, fields: &mut Fields) -> Option<String> {
    let alt = raw.map(str::trim).filter(|a| !a.is_empty())?;
    check_alt(alt, "alt_text", fields);
    Some(alt.to_owned())
}

/// The checks every alt text passes wherever it is set (the library's default, or a post's own
/// for one attached file), refusals naming `field`. Each network's shorter limit is checked
/// with the post's other rules.
pub(crate) fn check_alt(alt: &str, field: &str, fields: &mut Fields) {
    let n = alt.chars().count();
    if n > MAX_ALT_TEXT {
        fields.push(field, format!("may be at most {MAX_ALT_TEXT} characters; this has {n}"));
    }
    if alt.chars().any(|c| c.is_control() && c != '\n') {
        fields.push(field, "may not contain control characters (line breaks are fine)");
    }
}

/// `PATCH /workspaces/{ws}/media/{id}` (editor+): sets or clears the default alt text.
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    links: MediaLinks,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<UpdateMedia>,
) -> Result<Json<MediaView>, ApiError> {
    let mut fields = Fields::default();
    let alt = clean_alt(body.alt_text.as_deref(), &mut fields);
    fields.finish()?;
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let row = tx
        .query_opt(
            &format!("update postiz.media_assets set alt_text = $3 where workspace_id = $1 and id = $2 returning {MEDIA_COLUMNS}"),
            &[&ws, &id, &alt],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    // The answer is what the library shows: alt text counts towards each network's limit.
    let mut one = [media_view(&row).linked(&links)];
    super::media_fits::annotate(&tx, ws, &mut one).await?;
    tx.commit().await?;
    tracing::info!(media.id = %id, workspace.id = %ws, has_alt = alt.is_some(), "media alt text changed");
    let [view] = one;
    Ok(Json(view))
}
