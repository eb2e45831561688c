//! `PATCH /workspaces/{ws}/media/{id}` `{"alt_text"}`: the asset's default alternative text,
//! edited in the library. A post that attaches the asset without alt text of its own
//! (`post_media.alt_text` null) publishes with this one, so describing a picture once in the
//! library reaches every network that takes alt text; a post's own alt text wins. The same
//! request sets `aspect_fit` (refuse, pad or crop), which the worker's copies, the
//! schedule-time check and the library's fits all honour.

use axum::Json;
use axum::extract::State;
use postiz_domain::AspectFit;
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

/// Body of `PATCH …/media/{id}`: each field given replaces the stored one.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMedia {
    /// What the picture or video shows, for people who cannot see it; empty or null removes it,
    /// absent keeps it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    pub alt_text: Option<Option<String>>,
    /// An image outside a network's width/height range: `refuse` (the default), `pad` with
    /// white bars, or `crop` the middle, in the copy made for that network.
    #[serde(default)]
    pub aspect_fit: Option<String>,
}

/// Distinguishes `"alt_text": null` (Some(None), clears) from an absent key (None, keeps).
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
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

/// `PATCH /workspaces/{ws}/media/{id}` (editor+): sets or clears the default alt text, and sets
/// what the worker does with an image outside a network's aspect range.
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    links: MediaLinks,
    Ids((ws, id)): Ids<(Uuid, Uuid)>,
    JsonBody(body): JsonBody<UpdateMedia>,
) -> Result<Json<MediaView>, ApiError> {
    let mut fields = Fields::default();
    let set_alt = body.alt_text.is_some();
    let alt = clean_alt(body.alt_text.flatten().as_deref(), &mut fields);
    let fit = match body.aspect_fit.as_deref().map(str::parse::<AspectFit>) {
        None => None,
        Some(Ok(fit)) => Some(fit.as_str()),
        Some(Err(e)) => {
            fields.push("aspect_fit", format!("must be refuse, pad or crop; got {:?}", e.0));
            None
        }
    };
    fields.finish()?;
    let mut client = state.pool.get().await?;
    let tx = user_tx(&mut client, &user).await?;
    require_role(&tx, ws, Role::Editor).await?;
    let row = tx
        .query_opt(
            &format!(
                "update postiz.media_assets
                 set alt_text = case when $4 then $3 else alt_text end, aspect_fit = coalesce($5, aspect_fit)
                 where workspace_id = $1 and id = $2 returning {MEDIA_COLUMNS}"
            ),
            &[&ws, &id, &alt, &set_alt, &fit],
        )
        .await?
        .ok_or_else(ApiError::not_found)?;
    // The answer is what the library shows: alt text counts towards each network's limit.
    let mut one = [media_view(&row).linked(&links)];
    super::media_fits::annotate(&tx, ws, &mut one).await?;
    tx.commit().await?;
    tracing::info!(media.id = %id, workspace.id = %ws, has_alt = alt.is_some(), aspect_fit = fit, "media details changed");
    let [view] = one;
    Ok(Json(view))
}
