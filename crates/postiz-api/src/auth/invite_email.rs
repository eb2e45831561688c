//! Invite emails for people without an account, sent by the host's Supabase Auth.
//!
//! `POST {project}/auth/v1/invite?redirect_to=…` with the service-role key (what supabase-js's
//! `auth.admin.inviteUserByEmail(email, { redirectTo })` sends). Auth creates the user and mails
//! a link that signs them in and lands on the module's acceptance screen, the workspace
//! invitation's token in the redirect. The `supabase-auth` crate's `invite_user_by_email` cannot
//! pass `redirect_to`, so this one request is made here with reqwest.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use serde_json::json;

/// What Supabase Auth answered to an invite request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InviteEmailOutcome {
    /// Auth accepted it and sends the email.
    Sent,
    /// The address already has a confirmed account (`email_exists`): the module shows the
    /// invitation to that user instead.
    HasAccount,
    /// Auth refused (rate limit, a key without admin rights, a bad address): nothing was sent,
    /// asking again may work. The text is for admins and holds no secret.
    Refused(String),
    /// No answer (timeout, connection dropped): the email may or may not have been sent.
    Unknown(String),
}

/// Asks the host's Supabase Auth to send invite emails.
pub struct InviteEmails {
    http: reqwest::Client,
    invite_url: String,
    service_key: SecretString,
    redirect_base: url::Url,
}

impl std::fmt::Debug for InviteEmails {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InviteEmails")
            .field("invite_url", &self.invite_url)
            .field("redirect_base", &self.redirect_base.as_str())
            .finish_non_exhaustive()
    }
}

/// Auth's error body (`msg` today; `message`/`error_description` in older releases).
#[derive(Debug, Default, Deserialize)]
struct AuthErrorBody {
    #[serde(default)]
    error_code: Option<String>,
    #[serde(default)]
    msg: Option<String>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    error_description: Option<String>,
}

impl InviteEmails {
    /// Invites through the project at `project_url` with its service-role key; the email's link
    /// lands on `redirect_base` with `?invite=<token>` added.
    pub fn new(project_url: &str, service_key: SecretString, redirect_base: url::Url, timeout: Duration) -> reqwest::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder().timeout(timeout).build()?,
            invite_url: format!("{}/auth/v1/invite", project_url.trim_end_matches('/')),
            service_key,
            redirect_base,
        })
    }

    /// Where the invitee lands after following the email's link.
    pub fn redirect_for(&self, token: &str) -> url::Url {
        let mut url = self.redirect_base.clone();
        url.query_pairs_mut().append_pair("invite", token);
        url
    }

    /// Asks Auth to email `email` an invitation to `workspace_name` whose token is `token`.
    pub async fn send(&self, email: &str, token: &str, workspace_name: &str) -> InviteEmailOutcome {
        let key = self.service_key.expose_secret();
        let answer = self
            .http
            .post(&self.invite_url)
            .query(&[("redirect_to", self.redirect_for(token).as_str())])
            .header("apikey", key)
            .bearer_auth(key)
            .json(&json!({ "email": email, "data": { "invited_to_workspace": workspace_name } }))
            .send()
            .await;
        let response = match answer {
            Ok(r) => r,
            // Connecting failed: the request never reached Auth.
            Err(e) if e.is_connect() => return InviteEmailOutcome::Refused("Supabase Auth could not be reached".into()),
            Err(e) if e.is_timeout() => return InviteEmailOutcome::Unknown("Supabase Auth did not answer in time".into()),
            Err(_) => return InviteEmailOutcome::Unknown("the connection to Supabase Auth broke off".into()),
        };
        let status = response.status();
        if status.is_success() {
            return InviteEmailOutcome::Sent;
        }
        let body: AuthErrorBody = response.json().await.unwrap_or_default();
        let code = body.error_code.as_deref().unwrap_or("");
        if matches!(code, "email_exists" | "user_already_exists") {
            return InviteEmailOutcome::HasAccount;
        }
        let said = body.msg.or(body.message).or(body.error_description).unwrap_or_default();
        let said: String = said.chars().take(160).collect();
        let reason = match status.as_u16() {
            429 => "Supabase Auth's email rate limit was reached; try again later".to_owned(),
            401 | 403 => "Supabase Auth refused the module's service key: ask the operator to check it".to_owned(),
            s if s >= 500 => format!("Supabase Auth failed ({s})"),
            s if said.is_empty() => format!("Supabase Auth refused the invitation ({s})"),
            s => format!("Supabase Auth refused the invitation ({s}): {said}"),
        };
        InviteEmailOutcome::Refused(reason)
    }
}
