//! The SMTP side of notification emails (`lettre`): one transport built from `[email]` and the
//! `POSTIZ_SMTP_*` secrets, and what a send attempt's failure means for a retry.

use std::time::Duration;

use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use postiz_config::{EmailSettings, SmtpTls};
use secrecy::{ExposeSecret, SecretString};

/// Why the mailer could not be built (bad configuration, said with the setting's name).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailerError {
    /// `[email] from` is not an address.
    #[error("email.from must be an address such as `Planner <planner@example.com>`: {0}")]
    From(String),
    /// The TLS parameters for `smtp_host` could not be made.
    #[error("email.smtp_host: cannot set up TLS for this host: {0}")]
    Tls(String),
}

/// What one send attempt came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sent {
    /// The server accepted the message (its reply, for the record).
    Accepted(String),
    /// Nothing was delivered and trying again later may work: the server could not be reached
    /// (checked before the message was offered) or answered 4xx.
    Retry(String),
    /// The server refused the message for good (5xx).
    Refused(String),
    /// The exchange broke after the message was offered: the server may have accepted it. Never
    /// sent again (that could deliver it twice).
    Unknown(String),
}

/// Whether the server refused to let us sign in (RFC 4954: 535 bad credentials, 534 a stronger
/// mechanism needed, 530 authentication required, 538 encryption required for it). Nothing was
/// offered, so the email waits for the operator to fix the credentials.
fn refused_credentials(e: &lettre::transport::smtp::Error) -> bool {
    e.status().is_some_and(|code| matches!(code.to_string().as_str(), "530" | "534" | "535" | "538"))
}

/// The SMTP transport and the sender.
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    /// The domain of the sender, for Message-IDs.
    domain: String,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the credentials: never printed.
        f.debug_struct("Mailer").field("from", &self.from.email.to_string()).finish_non_exhaustive()
    }
}

impl Mailer {
    /// Builds the transport from `[email]` and the optional credentials.
    pub fn new(settings: &EmailSettings, credentials: Option<(SecretString, SecretString)>) -> Result<Self, MailerError> {
        let from: Mailbox = settings.from.parse().map_err(|e: lettre::address::AddressError| MailerError::From(e.to_string()))?;
        let host = settings.smtp_host.trim().to_owned();
        let tls = match settings.smtp_tls {
            SmtpTls::None => Tls::None,
            SmtpTls::Starttls => Tls::Required(TlsParameters::new(host.clone()).map_err(|e| MailerError::Tls(e.to_string()))?),
            SmtpTls::Tls => Tls::Wrapper(TlsParameters::new(host.clone()).map_err(|e| MailerError::Tls(e.to_string()))?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host)
            .port(settings.smtp_port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(u64::from(settings.timeout_secs.max(1)))));
        if let Some((user, password)) = credentials {
            builder = builder.credentials(Credentials::new(user.expose_secret().to_owned(), password.expose_secret().to_owned()));
        }
        let domain = from.email.domain().to_owned();
        Ok(Self { transport: builder.build(), from, domain })
    }

    /// The sender.
    pub fn from(&self) -> &Mailbox {
        &self.from
    }

    /// The Message-ID of outbox row `email_id`: the same on every attempt, so a receiver that
    /// deduplicates by Message-ID drops a copy too.
    pub fn message_id(&self, email_id: i64) -> String {
        format!("<postiz-notification-{email_id}@{}>", self.domain)
    }

    /// Sends `message`. The server is first asked for a NOOP on a connection of its own: a
    /// server that cannot be reached then is known to have received nothing ([`Sent::Retry`]).
    pub async fn send(&self, message: &Message) -> Sent {
        match self.transport.test_connection().await {
            Ok(true) => {}
            Ok(false) => return Sent::Retry("the SMTP server did not answer NOOP".into()),
            Err(e) if refused_credentials(&e) => {
                return Sent::Retry(format!(
                    "the SMTP server refused the user name or password (POSTIZ_SMTP_USERNAME, POSTIZ_SMTP_PASSWORD): {e}"
                ));
            }
            Err(e) => return Sent::Retry(format!("the SMTP server cannot be reached: {e}")),
        }
        match self.transport.send(message.clone()).await {
            Ok(reply) => Sent::Accepted(format!("{} {}", reply.code(), reply.message().collect::<Vec<_>>().join(" "))),
            Err(e) if e.is_transient() => Sent::Retry(e.to_string()),
            Err(e) if e.is_permanent() => Sent::Refused(e.to_string()),
            Err(e) => Sent::Unknown(e.to_string()),
        }
    }
}
