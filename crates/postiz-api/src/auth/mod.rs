//! Who is calling: the host's Supabase session, verified on every request.
//!
//! Tokens arrive as `Authorization: Bearer …` or, on the host's own origin, in the
//! `@supabase/ssr` cookie. We never refresh a session ourselves: refresh tokens are single-use and
//! belong to the host, so an expired token gets a 401 whose `code` tells the UI to ask the host
//! for a fresh one.

mod cookie;
mod error;
mod invite_email;
mod jwks;
mod session_check;
mod user;
mod verifier;

pub use cookie::{access_token_from_cookie_header, cookie_name_for};
pub use error::AuthError;
pub use invite_email::{InviteEmailOutcome, InviteEmails};
pub use jwks::JwksCache;
pub use session_check::{AuthHealth, SessionCheck};
pub use user::AuthUser;
pub use verifier::{SessionVerifier, VerifierConfig};
