//! `[email]`: the SMTP server notification emails go through, and the SMTP credentials
//! (env-only secrets `POSTIZ_SMTP_USERNAME` / `POSTIZ_SMTP_PASSWORD`).

use secrecy::SecretString;
use serde::Deserialize;

use crate::ConfigError;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP, upgraded with STARTTLS; refused if the server does not offer it (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (SMTPS, port 465).
    Tls,
    /// No encryption at all: only for a relay on the same machine or a test server.
    None,
}

/// `[email]` section. Email is off until `smtp_host` and `from` are set; notifications then wait
/// in the outbox (they are kept, not lost) and reach the inbox either way.
#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct EmailSettings {
    /// SMTP server host name; empty: email is off.
    pub smtp_host: String,
    /// SMTP port (587 for STARTTLS, 465 for TLS, 25 or a test port for none).
    pub smtp_port: u16,
    /// `starttls` (default), `tls` or `none`.
    pub smtp_tls: SmtpTls,
    /// The sender, e.g. `Planner <planner@example.com>`.
    pub from: String,
    /// Seconds one SMTP exchange may take before it is abandoned.
    pub timeout_secs: u32,
    /// Sending attempts before an email is given up (marked failed, logged).
    pub max_attempts: u32,
    /// Local hour (the workspace's zone) from which a day's digest is sent.
    pub digest_hour: u32,
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self {
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            from: String::new(),
            timeout_secs: 30,
            max_attempts: 8,
            digest_hour: 8,
        }
    }
}

impl EmailSettings {
    /// Whether emails are sent at all (`smtp_host` and `from` set).
    pub fn enabled(&self) -> bool {
        !self.smtp_host.trim().is_empty() && !self.from.trim().is_empty()
    }
}

/// The variables holding the SMTP user name and password.
pub const SMTP_CREDENTIAL_VARS: [&str; 2] = ["POSTIZ_SMTP_USERNAME", "POSTIZ_SMTP_PASSWORD"];

/// The SMTP credentials from the environment: both, or `None` when neither is set.
pub fn smtp_credentials() -> Result<Option<(SecretString, SecretString)>, ConfigError> {
    smtp_credentials_from(|name| std::env::var(name).ok())
}

/// [`smtp_credentials`] through `lookup`. One without the other is an error naming the missing one.
pub fn smtp_credentials_from(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<(SecretString, SecretString)>, ConfigError> {
    let [user_var, password_var] = SMTP_CREDENTIAL_VARS;
    let read = |name: &'static str| match lookup(name) {
        Some(v) if v.trim().is_empty() => Err(ConfigError::EmptySecret(name)),
        other => Ok(other.map(SecretString::from)),
    };
    match (read(user_var)?, read(password_var)?) {
        (Some(user), Some(password)) => Ok(Some((user, password))),
        (None, None) => Ok(None),
        (Some(_), None) => Err(ConfigError::MissingSecret(password_var)),
        (None, Some(_)) => Err(ConfigError::MissingSecret(user_var)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_come_in_pairs() {
        assert!(smtp_credentials_from(|_| None).expect("none").is_none());
        let both = |n: &str| Some(format!("{n}-value"));
        assert!(smtp_credentials_from(both).expect("both").is_some());
        let only_user = |n: &str| (n == "POSTIZ_SMTP_USERNAME").then(|| "u".to_owned());
        assert!(matches!(smtp_credentials_from(only_user), Err(ConfigError::MissingSecret("POSTIZ_SMTP_PASSWORD"))));
    }

    #[test]
    fn email_is_off_until_host_and_sender_are_set() {
        assert!(!EmailSettings::default().enabled());
        let on = EmailSettings { smtp_host: "smtp.example.com".into(), from: "Planner <p@example.com>".into(), ..EmailSettings::default() };
        assert!(on.enabled());
    }
}
