//! Reading the host's `@supabase/ssr` session cookie.
//!
//! Name: `sb-<first DNS label of the Supabase URL>-auth-token`. A long value is split into
//! `<name>.0`, `<name>.1`, …; readers use `<name>` if present, else concatenate the chunks up to the
//! first missing index. Value: `base64-` + base64url(JSON) (the default), or the raw JSON,
//! URL-encoded. Anything undecodable counts as no cookie, as in `@supabase/ssr`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use percent_encoding::percent_decode_str;
use serde_json::Value;

/// The default cookie name for a Supabase project URL (`https://abcd.supabase.co` → `sb-abcd-auth-token`).
pub fn cookie_name_for(supabase_url: &str) -> Option<String> {
    let host = url_host(supabase_url)?;
    let label = host.split('.').next().filter(|l| !l.is_empty())?;
    Some(format!("sb-{label}-auth-token"))
}

fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split(['/', '?', '#']).next()?;
    let host_port = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    Some(host_port.split(':').next().unwrap_or(host_port))
}

/// The access token held in the session cookie `name`, from a `Cookie` header value.
pub fn access_token_from_cookie_header(header: &str, name: &str) -> Option<String> {
    let pairs: Vec<(&str, &str)> = header.split(';').filter_map(|p| p.trim().split_once('=')).map(|(k, v)| (k.trim(), v.trim())).collect();
    let get = |key: &str| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| *v);
    let value = match get(name) {
        Some(v) => v.to_owned(),
        None => {
            let mut joined = String::new();
            for i in 0.. {
                match get(&format!("{name}.{i}")) {
                    Some(chunk) => joined.push_str(chunk),
                    None => break,
                }
            }
            if joined.is_empty() {
                return None;
            }
            joined
        }
    };
    let session = decode_session(&value)?;
    session.get("access_token")?.as_str().map(str::to_owned)
}

fn decode_session(value: &str) -> Option<Value> {
    let value = percent_decode_str(value.trim_matches('"')).decode_utf8().ok()?;
    let json = match value.strip_prefix("base64-") {
        Some(b64) => {
            let cleaned: String = b64.chars().filter(|c| !c.is_whitespace() && *c != '=').collect();
            String::from_utf8(URL_SAFE_NO_PAD.decode(cleaned).ok()?).ok()?
        }
        None => value.into_owned(),
    };
    serde_json::from_str(&json).ok().filter(Value::is_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NAME: &str = "sb-abcd-auth-token";

    fn session(token: &str) -> String {
        serde_json::json!({"access_token": token, "token_type": "bearer", "refresh_token": "r1",
                           "expires_at": 1, "user": {"id": "u"}})
        .to_string()
    }

    #[test]
    fn name_follows_the_first_label_of_the_project_host() {
        assert_eq!(cookie_name_for("https://abcd.supabase.co").as_deref(), Some(NAME));
        assert_eq!(cookie_name_for("http://127.0.0.1:8787").as_deref(), Some("sb-127-auth-token"));
        assert_eq!(cookie_name_for("https://auth.example.com/").as_deref(), Some("sb-auth-auth-token"));
        assert_eq!(cookie_name_for("nonsense"), None);
    }

    #[test]
    fn reads_a_single_base64_cookie() {
        let v = format!("base64-{}", URL_SAFE_NO_PAD.encode(session("tok1")));
        let header = format!("theme=dark; {NAME}={v}; other=1");
        assert_eq!(access_token_from_cookie_header(&header, NAME).as_deref(), Some("tok1"));
    }

    #[test]
    fn reads_chunked_cookies_in_index_order() {
        let v = format!("base64-{}", URL_SAFE_NO_PAD.encode(session(&"t".repeat(5000))));
        let (a, rest) = v.split_at(1500);
        let (b, c) = rest.split_at(1500);
        // Deliberately out of order in the header, with an unrelated chunk-like cookie.
        let header = format!("{NAME}.2={c}; {NAME}.0={a}; x=y; {NAME}.1={b}; {NAME}-code-verifier=zzz");
        assert_eq!(access_token_from_cookie_header(&header, NAME), Some("t".repeat(5000)));
    }

    #[test]
    fn reads_raw_url_encoded_json() {
        let v: String = percent_encoding::utf8_percent_encode(&session("raw-tok"), percent_encoding::NON_ALPHANUMERIC).to_string();
        assert_eq!(access_token_from_cookie_header(&format!("{NAME}={v}"), NAME).as_deref(), Some("raw-tok"));
    }

    #[test]
    fn tolerates_padding_and_prefers_the_unchunked_cookie() {
        let padded = format!("base64-{}==", URL_SAFE_NO_PAD.encode(session("whole")));
        let header = format!("{NAME}.0=garbage; {NAME}={padded}");
        assert_eq!(access_token_from_cookie_header(&header, NAME).as_deref(), Some("whole"));
    }

    #[test]
    fn broken_or_missing_cookie_is_no_session() {
        assert_eq!(access_token_from_cookie_header("a=b", NAME), None);
        assert_eq!(access_token_from_cookie_header(&format!("{NAME}=base64-!!!"), NAME), None);
        assert_eq!(access_token_from_cookie_header(&format!("{NAME}.1=abc"), NAME), None, "chunks start at .0");
        let no_token = format!("base64-{}", URL_SAFE_NO_PAD.encode("{\"user\":{}}"));
        assert_eq!(access_token_from_cookie_header(&format!("{NAME}={no_token}"), NAME), None);
    }
}
