//! One websocket session with a Nostr relay (NIP-01): send an event and wait for the relay's
//! `OK`, or ask for events and collect them until `EOSE`.
//!
//! The connection goes only to addresses the private-address guard permits (resolved here, not
//! by the websocket library), so a relay URL a user typed cannot reach an internal service.

use std::net::SocketAddr;
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use nostr::{Event, Filter, JsonUtil};
use postiz_domain::Network;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use url::Url;

use crate::ProviderError;
use crate::http::{HttpSettings, permitted_addrs};

const NETWORK: Network = Network::Nostr;

/// A byte stream a websocket runs over: plain TCP (`ws://`) or TLS (`wss://`).
trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

static TLS: LazyLock<TlsConnector> = LazyLock::new(|| {
    let roots = RootCertStore { roots: webpki_roots::TLS_SERVER_ROOTS.to_vec() };
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    #[expect(clippy::expect_used, reason = "ring supports the default protocol versions; this cannot fail")]
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS 1.2 and 1.3 with ring")
        .with_root_certificates(roots)
        .with_no_client_auth();
    TlsConnector::from(Arc::new(config))
});

/// What the relay answered to an event (`["OK", id, accepted, message]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Accepted {
    /// The relay already had this event (`duplicate:`), which is as good as storing it.
    pub duplicate: bool,
}

/// An open session with one relay.
pub(crate) struct Relay {
    ws: WebSocketStream<Box<dyn Io>>,
    url: Url,
    timeout: Duration,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay").field("url", &self.url.as_str()).finish_non_exhaustive()
    }
}

/// The relay's host for messages (never a path or query: some relays take tokens there).
fn host(url: &Url) -> String {
    url.host_str().unwrap_or("the relay").to_owned()
}

impl Relay {
    /// Connects to `url` (`wss://` or `ws://`). Failures here happened before anything was sent.
    pub(crate) async fn open(url: &Url, settings: &HttpSettings) -> Result<Self, ProviderError> {
        let tls = match url.scheme() {
            "wss" => true,
            "ws" => false,
            _ => return Err(ProviderError::rejected(NETWORK, format!("the relay address must start with wss:// (it is {})", host(url)))),
        };
        let addrs: Vec<SocketAddr> =
            permitted_addrs(url, &settings.private_allow).await.map_err(|why| ProviderError::rejected(NETWORK, why))?;
        let name = url.host_str().unwrap_or_default().to_owned();
        let timeout = settings.request_timeout;
        let connect = async {
            let mut last = None;
            for addr in &addrs {
                match TcpStream::connect(addr).await {
                    Ok(tcp) => return Ok(tcp),
                    Err(err) => last = Some(err),
                }
            }
            Err(last.unwrap_or_else(|| std::io::Error::other("no address")))
        };
        let tcp = tokio::time::timeout(settings.connect_timeout, connect)
            .await
            .map_err(|_| ProviderError::transient(NETWORK, format!("{} did not answer in time", host(url))))?
            .map_err(|err| ProviderError::transient(NETWORK, format!("could not reach {}: {err}", host(url))))?;
        let stream: Box<dyn Io> = if tls {
            let server = ServerName::try_from(name.clone())
                .map_err(|_| ProviderError::rejected(NETWORK, format!("{name} is not a valid host name")))?;
            let tls = tokio::time::timeout(settings.connect_timeout, TLS.connect(server, tcp))
                .await
                .map_err(|_| ProviderError::transient(NETWORK, format!("{name} did not finish the TLS handshake in time")))?
                .map_err(|err| ProviderError::transient(NETWORK, format!("TLS with {name} failed: {err}")))?;
            Box::new(tls)
        } else {
            Box::new(tcp)
        };
        let (ws, _) = tokio::time::timeout(timeout, tokio_tungstenite::client_async(url.as_str(), stream))
            .await
            .map_err(|_| ProviderError::transient(NETWORK, format!("{name} did not open the websocket in time")))?
            .map_err(|err| ProviderError::transient(NETWORK, format!("{name} refused the websocket: {err}")))?;
        Ok(Self { ws, url: url.clone(), timeout })
    }

    /// Sends `event` once and waits for the relay's verdict on it. After the send, a lost
    /// connection or a missing answer is `OutcomeUnknown`: the relay may have stored it.
    pub(crate) async fn publish(&mut self, event: &Event) -> Result<Accepted, ProviderError> {
        let frame = json!(["EVENT", event]).to_string();
        self.ws
            .send(Message::text(frame))
            .await
            .map_err(|err| ProviderError::transient(NETWORK, format!("sending to {}: {err}", host(&self.url))))?;
        let id = event.id.to_hex();
        let deadline = tokio::time::Instant::now() + self.timeout;
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| ProviderError::outcome_unknown(NETWORK, format!("{} did not confirm the note in time", host(&self.url))))?;
            let Some(message) = next else {
                return Err(ProviderError::outcome_unknown(
                    NETWORK,
                    format!("{} closed the connection before confirming the note", host(&self.url)),
                ));
            };
            let text = match message {
                Ok(Message::Text(t)) => t,
                Ok(_) => continue,
                Err(err) => {
                    return Err(ProviderError::outcome_unknown(NETWORK, format!("{} dropped the connection: {err}", host(&self.url))));
                }
            };
            let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(&text) else { continue };
            if parts.first().and_then(Value::as_str) != Some("OK") || parts.get(1).and_then(Value::as_str) != Some(id.as_str()) {
                continue; // NOTICE, AUTH challenges, other subscriptions.
            }
            let accepted = parts.get(2).and_then(Value::as_bool).unwrap_or(false);
            let message = parts.get(3).and_then(Value::as_str).unwrap_or_default();
            return verdict(&self.url, accepted, message);
        }
    }

    /// Events matching `filter`, until the relay says it has sent every stored one (`EOSE`).
    pub(crate) async fn query(&mut self, filter: &Filter) -> Result<Vec<Event>, ProviderError> {
        let sub = "postiz";
        let filter: Value = serde_json::from_str(&filter.as_json()).unwrap_or(Value::Null);
        self.ws
            .send(Message::text(json!(["REQ", sub, filter]).to_string()))
            .await
            .map_err(|err| ProviderError::transient(NETWORK, format!("asking {}: {err}", host(&self.url))))?;
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut events = Vec::new();
        loop {
            let next = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .map_err(|_| ProviderError::transient(NETWORK, format!("{} did not finish answering in time", host(&self.url))))?;
            let text = match next {
                Some(Ok(Message::Text(t))) => t,
                Some(Ok(_)) => continue,
                Some(Err(err)) => {
                    return Err(ProviderError::transient(NETWORK, format!("{} dropped the connection: {err}", host(&self.url))));
                }
                None => return Err(ProviderError::transient(NETWORK, format!("{} closed the connection", host(&self.url)))),
            };
            let Ok(Value::Array(parts)) = serde_json::from_str::<Value>(&text) else { continue };
            match (parts.first().and_then(Value::as_str), parts.get(1).and_then(Value::as_str)) {
                (Some("EVENT"), Some(s)) if s == sub => {
                    // Only events whose id and signature check out: a relay can send anything.
                    if let Some(event) = parts.get(2).and_then(|e| Event::from_json(e.to_string()).ok()).filter(|e| e.verify().is_ok()) {
                        events.push(event);
                    }
                }
                (Some("EOSE"), Some(s)) if s == sub => break,
                (Some("CLOSED"), Some(s)) if s == sub => {
                    let why = parts.get(2).and_then(Value::as_str).unwrap_or_default();
                    return Err(ProviderError::transient(NETWORK, format!("{} ended the query: {why}", host(&self.url))));
                }
                _ => {}
            }
        }
        let _ = self.ws.send(Message::text(json!(["CLOSE", sub]).to_string())).await;
        Ok(events)
    }

    /// Closes the session politely (errors ignored: the work is done).
    pub(crate) async fn close(mut self) {
        let _ = self.ws.close(None).await;
    }
}

/// The relay's answer classified by NIP-01's machine-readable prefixes.
fn verdict(url: &Url, accepted: bool, message: &str) -> Result<Accepted, ProviderError> {
    let (prefix, rest) = message.split_once(':').map_or(("", message), |(p, r)| (p.trim(), r.trim()));
    if accepted {
        return Ok(Accepted { duplicate: prefix == "duplicate" });
    }
    let relay = host(url);
    let said = if rest.is_empty() { String::new() } else { format!(" ({rest})") };
    match prefix {
        "duplicate" => Ok(Accepted { duplicate: true }),
        "rate-limited" => Err(ProviderError::RateLimited { network: NETWORK, retry_after: None }),
        // Nothing was stored; the same note may go again later.
        "error" => Err(ProviderError::transient(NETWORK, format!("{relay} could not store the note{said}"))),
        "auth-required" => Err(ProviderError::rejected(
            NETWORK,
            format!(
                "{relay} only accepts notes from signed-in clients (NIP-42), which this scheduler does not do yet; choose another relay{said}"
            ),
        )),
        "pow" => Err(ProviderError::rejected(NETWORK, format!("{relay} asks for proof of work on every note; choose another relay{said}"))),
        "blocked" | "restricted" => Err(ProviderError::rejected(
            NETWORK,
            format!("{relay} does not accept notes from this key; check that the relay lets you post{said}"),
        )),
        _ => Err(ProviderError::rejected(NETWORK, format!("{relay} refused the note{said}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("wss://relay.example/").expect("url")
    }

    #[test]
    fn relay_answers_are_sorted_by_their_prefix() {
        assert_eq!(verdict(&url(), true, "").expect("ok"), Accepted { duplicate: false });
        assert_eq!(verdict(&url(), true, "duplicate: already have this event").expect("ok"), Accepted { duplicate: true });
        assert_eq!(verdict(&url(), false, "duplicate: already have it").expect("ok"), Accepted { duplicate: true });
        assert!(matches!(verdict(&url(), false, "rate-limited: slow down"), Err(ProviderError::RateLimited { .. })));
        assert!(matches!(verdict(&url(), false, "error: could not connect to the database"), Err(ProviderError::Transient { .. })));
        for refusal in
            ["blocked: you are banned", "pow: difficulty 25 required", "invalid: bad signature", "auth-required: sign in", "whatever"]
        {
            let err = verdict(&url(), false, refusal).expect_err(refusal);
            assert!(matches!(err, ProviderError::Rejected { .. }), "{refusal}: {err}");
            assert!(err.to_string().contains("relay.example"), "{err}");
        }
    }
}
