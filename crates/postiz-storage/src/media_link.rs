//! Signed links to one stored object, for networks that fetch media by URL (the `local`
//! backend's `GET …/media/public/{token}/{name}` route in the module API).
//!
//! A token is `base64url(payload ‖ tag)` where
//! `payload = expires_at (u64 big-endian unix seconds) ‖ mime length (u8) ‖ mime ‖ object path`
//! and `tag = HMAC-SHA-256(key, DOMAIN ‖ payload)`. It is stateless (no row per link, nothing to
//! clean up) and grants exactly one GET of one object until it expires: the object path is
//! inside the signature, so no other object, listing or prefix of the bucket is reachable
//! with it. What it shows is that path (`<workspace id>/<asset id>/original.<ext>`, random
//! ids) and the type; nothing about the backend, the bucket or other objects.
//!
//! Checks on the way in: the tag first (constant time, via `hmac`'s `verify_slice`), then the
//! expiry, then the path's shape ([`is_workspace_object`]), so a forged token learns nothing
//! from timing or from which check failed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;
use uuid::Uuid;

/// Separates these tags from any other use of the same key.
const DOMAIN: &[u8] = b"postiz media link v1\0";
/// HMAC-SHA-256 output.
const TAG_LEN: usize = 32;
/// Longest MIME type a token carries (RFC 6838 allows 127 characters per name).
const MAX_MIME_LEN: usize = 255;
/// Longest object path a token carries; ours are under 100 bytes.
const MAX_PATH_LEN: usize = 1024;

/// The server secret that signs and checks media links (`POSTIZ_MEDIA_URL_SECRET`).
#[derive(Clone)]
pub struct MediaLinkKey {
    key: SecretString,
}

impl std::fmt::Debug for MediaLinkKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MediaLinkKey([REDACTED])")
    }
}

/// What a valid token grants: one object, served as `mime`, until `expires_at`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedObject {
    /// The object path in the store.
    pub path: String,
    /// The type it is served as (the one recorded on its media row).
    pub mime: String,
    /// Unix seconds after which the link is refused.
    pub expires_at: u64,
}

impl SignedObject {
    /// Seconds the link is still valid at `now` (unix seconds); 0 once expired.
    pub fn remaining(&self, now: u64) -> u64 {
        self.expires_at.saturating_sub(now)
    }
}

/// Why a token is refused. The route answers 403 for the first three and 404 for the last:
/// a path outside a workspace never resolves, whoever signed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkRefused {
    /// Not a token at all (bad base64, too short, bad fields).
    #[error("this media link is not valid")]
    Malformed,
    /// The tag does not match: tampered with, or signed with another key.
    #[error("this media link is not valid")]
    BadSignature,
    /// Past its expiry.
    #[error("this media link has expired")]
    Expired,
    /// The path is not an object inside a workspace.
    #[error("no such media")]
    OutsideWorkspace,
}

/// Why a link could not be made.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LinkError {
    /// The path is not an object of that workspace (`<workspace>/<asset>/<file>`).
    #[error("{0:?} is not a media object of the workspace")]
    BadPath(String),
    /// The MIME type is not `type/subtype` in plain ASCII.
    #[error("{0:?} is not a media type")]
    BadMime(String),
}

impl MediaLinkKey {
    /// A key from the secret (at least 32 characters, checked by `postiz-config`).
    pub fn new(secret: SecretString) -> Self {
        Self { key: secret }
    }

    /// A fresh random key (tests and benchmarks; a real deployment shares one key between the
    /// API and the worker).
    pub fn random() -> Self {
        Self::new(SecretString::from(format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())))
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
        mac.update(DOMAIN);
        mac
    }

    /// A token for object `path` of `workspace`, served as `mime`, valid until `expires_at`.
    pub fn sign(&self, workspace: Uuid, path: &str, mime: &str, expires_at: u64) -> Result<String, LinkError> {
        if !is_workspace_object(path, Some(workspace)) {
            return Err(LinkError::BadPath(path.to_owned()));
        }
        if !is_mime(mime) {
            return Err(LinkError::BadMime(mime.to_owned()));
        }
        let mut bytes = Vec::with_capacity(8 + 1 + mime.len() + path.len() + TAG_LEN);
        bytes.extend_from_slice(&expires_at.to_be_bytes());
        bytes.push(u8::try_from(mime.len()).map_err(|_| LinkError::BadMime(mime.to_owned()))?);
        bytes.extend_from_slice(mime.as_bytes());
        bytes.extend_from_slice(path.as_bytes());
        let mut mac = self.mac();
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes());
        Ok(URL_SAFE_NO_PAD.encode(bytes))
    }

    /// A token valid for `ttl` from now.
    pub fn sign_for(&self, workspace: Uuid, path: &str, mime: &str, ttl: Duration) -> Result<String, LinkError> {
        self.sign(workspace, path, mime, unix_now().saturating_add(ttl.as_secs()))
    }

    /// What `token` grants at `now` (unix seconds), or why it grants nothing.
    pub fn verify(&self, token: &str, now: u64) -> Result<SignedObject, LinkRefused> {
        // Decoding a huge "token" would be wasted work: no real one is near this long.
        if token.len() > 4 * (8 + 1 + MAX_MIME_LEN + MAX_PATH_LEN + TAG_LEN) / 3 + 4 {
            return Err(LinkRefused::Malformed);
        }
        let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| LinkRefused::Malformed)?;
        if bytes.len() < 8 + 1 + TAG_LEN {
            return Err(LinkRefused::Malformed);
        }
        let (payload, tag) = bytes.split_at(bytes.len() - TAG_LEN);
        let mut mac = self.mac();
        mac.update(payload);
        mac.verify_slice(tag).map_err(|_| LinkRefused::BadSignature)?;
        let (expiry, rest) = payload.split_at(8);
        let expires_at = u64::from_be_bytes(expiry.try_into().map_err(|_| LinkRefused::Malformed)?);
        let (&mime_len, rest) = rest.split_first().ok_or(LinkRefused::Malformed)?;
        let (mime, path) = rest.split_at_checked(usize::from(mime_len)).ok_or(LinkRefused::Malformed)?;
        let (Ok(mime), Ok(path)) = (std::str::from_utf8(mime), std::str::from_utf8(path)) else {
            return Err(LinkRefused::Malformed);
        };
        if now >= expires_at {
            return Err(LinkRefused::Expired);
        }
        if !is_workspace_object(path, None) {
            return Err(LinkRefused::OutsideWorkspace);
        }
        Ok(SignedObject { path: path.to_owned(), mime: mime.to_owned(), expires_at })
    }
}

/// Whether `path` is a media object inside a workspace: `<workspace uuid>/<segment>/…/<file>`,
/// at least three segments, none empty, `.` or `..`, no backslashes or control characters,
/// and not the chunks of a resumable upload (`<ws>/uploads/…`). With `workspace`, the first
/// segment must be that workspace.
pub fn is_workspace_object(path: &str, workspace: Option<Uuid>) -> bool {
    let mut segments = path.split('/');
    let Some(ws) = segments.next().and_then(|first| Uuid::try_parse(first).ok().filter(|ws| ws.hyphenated().to_string() == first)) else {
        // Not a workspace id, or not its canonical spelling (one object, one path).
        return false;
    };
    let rest: Vec<&str> = segments.collect();
    let plain = |s: &&str| !s.is_empty() && *s != "." && *s != ".." && !s.chars().any(|c| c == '\\' || c.is_control());
    path.len() <= MAX_PATH_LEN && workspace.is_none_or(|w| w == ws) && rest.len() >= 2 && rest.iter().all(plain) && rest[0] != "uploads"
}

fn is_mime(mime: &str) -> bool {
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$&-^_.+".contains(&b));
    mime.len() <= MAX_MIME_LEN && mime.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}

/// Now in unix seconds.
pub fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    const WS: &str = "7a1c6f1e-3b7d-4a53-9a55-0d3cf2f8b1a2";

    fn ws() -> Uuid {
        Uuid::parse_str(WS).expect("uuid")
    }

    fn path() -> String {
        format!("{WS}/0b8f9a7e-55a1-4a0e-8d3e-1f0c4d2b9e77/original.jpg")
    }

    #[test]
    fn a_token_grants_its_object_and_type_until_it_expires() {
        let key = MediaLinkKey::random();
        let token = key.sign(ws(), &path(), "image/jpeg", 1_000).expect("signs");
        let granted = key.verify(&token, 999).expect("valid");
        assert_eq!(granted, SignedObject { path: path(), mime: "image/jpeg".into(), expires_at: 1_000 });
        assert_eq!(granted.remaining(400), 600);
        assert_eq!(key.verify(&token, 1_000), Err(LinkRefused::Expired));
        assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'), "URL-safe as it is: {token}");
    }

    #[test]
    fn any_changed_byte_or_another_key_is_refused() {
        let key = MediaLinkKey::random();
        let token = key.sign(ws(), &path(), "image/jpeg", u64::MAX).expect("signs");
        let bytes = URL_SAFE_NO_PAD.decode(&token).expect("base64");
        for i in 0..bytes.len() {
            let mut changed = bytes.clone();
            changed[i] ^= 0x01;
            assert_eq!(key.verify(&URL_SAFE_NO_PAD.encode(&changed), 0), Err(LinkRefused::BadSignature), "byte {i}");
        }
        assert_eq!(MediaLinkKey::random().verify(&token, 0), Err(LinkRefused::BadSignature));
        // A later expiry spliced in (the attack a tag over the path alone would allow).
        let shorter = key.sign(ws(), &path(), "image/jpeg", 10).expect("signs");
        let mut spliced = URL_SAFE_NO_PAD.decode(&shorter).expect("base64");
        spliced[..8].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(key.verify(&URL_SAFE_NO_PAD.encode(&spliced), 100), Err(LinkRefused::BadSignature));
        assert_eq!(key.verify("", 0), Err(LinkRefused::Malformed));
        assert_eq!(key.verify("not base64!", 0), Err(LinkRefused::Malformed));
        assert_eq!(key.verify(&"A".repeat(10_000), 0), Err(LinkRefused::Malformed));
    }

    #[test]
    fn only_objects_inside_the_named_workspace_can_be_signed() {
        let key = MediaLinkKey::random();
        let other = Uuid::new_v4();
        assert!(matches!(key.sign(other, &path(), "image/jpeg", 10), Err(LinkError::BadPath(_))), "another workspace's object");
        for bad in [
            format!("{WS}/../{other}/a/original.jpg"),
            format!("{WS}/a/../original.jpg"),
            format!("{WS}/./original.jpg"),
            format!("{WS}//original.jpg"),
            format!("{WS}/original.jpg"),
            format!("{WS}/uploads/u/00000000000000000000"),
            format!("{WS}/a\\b/original.jpg"),
            format!("/{WS}/a/original.jpg"),
            format!("{}/a/original.jpg", WS.to_uppercase()),
            "../etc/passwd".into(),
            String::new(),
        ] {
            assert!(key.sign(ws(), &bad, "image/jpeg", 10).is_err(), "{bad}");
            assert!(!is_workspace_object(&bad, None), "{bad}");
        }
        assert!(matches!(key.sign(ws(), &path(), "image/jpeg\r\nx: y", 10), Err(LinkError::BadMime(_))));
        assert!(matches!(key.sign(ws(), &path(), "jpeg", 10), Err(LinkError::BadMime(_))));
    }

    #[test]
    fn a_validly_signed_path_outside_a_workspace_never_resolves() {
        // Only the key holder can mint such a token; the route still refuses it.
        let key = MediaLinkKey::random();
        let mut bytes = 10u64.to_be_bytes().to_vec();
        bytes.push(10);
        bytes.extend_from_slice(b"image/jpeg../etc/passwd");
        let mut mac = key.mac();
        mac.update(&bytes);
        bytes.extend_from_slice(&mac.finalize().into_bytes());
        assert_eq!(key.verify(&URL_SAFE_NO_PAD.encode(bytes), 0), Err(LinkRefused::OutsideWorkspace));
    }

    #[test]
    fn the_key_is_not_printed() {
        let key = MediaLinkKey::new(SecretString::from("s3cr3t-value-that-is-long-enough-000".to_owned()));
        assert!(!format!("{key:?}").contains("s3cr3t"));
    }
}
