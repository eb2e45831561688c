//! Request extractors that answer in the API's error shape: JSON bodies (415 unless sent as
//! JSON, 422 naming the field, unknown fields included), path ids (a malformed id is a resource
//! that does not exist: 404) and query strings (400).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use serde::de::DeserializeOwned;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::{ApiError, FieldError};

/// A JSON body. Errors name the field by its path (`variants.x.text`, `targets[0]`), so
/// `#[serde(deny_unknown_fields)]` reports typos where they are. A body not declared as JSON
/// (`Content-Type: application/json`, or a `+json` type) is refused with 415 before it is read:
/// an HTML form or a `text/plain` fetch from another site cannot reach a JSON endpoint.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        parse_json(&bytes).map(JsonBody)
    }
}

/// A [`JsonBody`] and the SHA-256 of its canonical form ([`canonical_json`]): the same JSON
/// value written with its object keys sorted and no whitespace, so that a retry of a request
/// hashes the same however its client formats it, and a different request does not.
#[derive(Debug, Clone)]
pub struct HashedJsonBody<T> {
    /// The parsed body.
    pub value: T,
    /// SHA-256 of the canonical JSON.
    pub sha256: [u8; 32],
}

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for HashedJsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = json_bytes(req, state).await?;
        // Field errors first, as for any JSON body; a body that parses as `T` is valid JSON.
        let value = parse_json(&bytes)?;
        let json: Value =
            serde_json::from_slice(&bytes).map_err(|e| ApiError::bad_request("bad_json", format!("the body is not valid JSON: {e}")))?;
        Ok(Self { value, sha256: Sha256::digest(canonical_json(&json)).into() })
    }
}

/// `value` as canonical JSON: object keys sorted (by their UTF-8 bytes), no whitespace, strings
/// and numbers as serde_json writes them.
pub(crate) fn canonical_json(value: &Value) -> Vec<u8> {
    fn write(value: &Value, out: &mut String) {
        match value {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push(':');
                    write(v, out);
                }
                out.push('}');
            }
            Value::Array(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    write(v, out);
                }
                out.push(']');
            }
            scalar => out.push_str(&scalar.to_string()),
        }
    }
    let mut out = String::new();
    write(value, &mut out);
    out.into_bytes()
}

/// Whether the request declares a JSON body: `application/json` or `application/<x>+json`,
/// parameters (`; charset=utf-8`) allowed.
fn declares_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) else { return false };
    let essence = value.split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    essence == "application/json" || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The body bytes of a request that declares JSON; 415 (before reading the body) otherwise.
async fn json_bytes<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, ApiError> {
    if !declares_json(req.headers()) {
        let got = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        return Err(ApiError::unsupported_content_type(got.as_deref()));
    }
    Bytes::from_request(req, state).await.map_err(|e| ApiError::bad_request("bad_body", e.body_text()))
}

/// Parses a JSON document into `T`, naming the failing field.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let message = strip_position(&inner.to_string());
        if inner.is_data() {
            let field = if path.is_empty() || path == "." { "body".to_owned() } else { path };
            ApiError::validation(vec![FieldError { field, message }])
        } else {
            ApiError::bad_request("bad_json", format!("the body is not valid JSON: {message}"))
        }
    })?;
    de.end().map_err(|e| ApiError::bad_request("bad_json", format!("the body is not valid JSON: {e}")))?;
    Ok(value)
}

/// serde_json appends " at line L column C"; the field path says more to a client.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(i) => message[..i].to_owned(),
        None => message.to_owned(),
    }
}

/// Path parameters; anything that does not parse (a malformed uuid) is a 404, as an unknown id is.
#[derive(Debug, Clone)]
pub struct Ids<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Ids<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Path::<T>::from_request_parts(parts, state).await.map(|Path(t)| Ids(t)).map_err(|_| ApiError::not_found())
    }
}

/// Query parameters; a malformed value is a 400 naming the problem.
#[derive(Debug, Clone)]
pub struct Params<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Params<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Query::<T>::from_request_parts(parts, state)
            .await
            .map(|Query(t)| Params(t))
            .map_err(|e| ApiError::bad_request("bad_query", e.body_text()))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialization is under test")]
    struct Outer {
        name: String,
        inner: Option<Inner>,
        #[serde(default)]
        list: Vec<u32>,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only deserialization is under test")]
    struct Inner {
        when: u32,
    }

    fn field_of(json: &str) -> String {
        let err = parse_json::<Outer>(json.as_bytes()).unwrap_err();
        assert_eq!(err.status(), axum::http::StatusCode::UNPROCESSABLE_ENTITY);
        format!("{err:?}")
    }

    #[test]
    fn unknown_and_mistyped_fields_are_named_by_path() {
        assert!(field_of(r#"{"name":"a","inner":{"wen":1}}"#).contains("field: \"inner.wen\""));
        assert!(field_of(r#"{"name":"a","list":[1,"x"]}"#).contains("field: \"list[1]\""));
        assert!(field_of(r#"{"nme":"a"}"#).contains("field: \"nme\""));
    }

    #[test]
    fn canonical_json_sorts_keys_at_every_depth_and_drops_whitespace() {
        let a: Value = serde_json::from_str(r#"{ "b": [1, {"y": "é", "x": null}], "a": true }"#).expect("json");
        let b: Value = serde_json::from_str(r#"{"a":true,"b":[1,{"x":null,"y":"\u00e9"}]}"#).expect("json");
        assert_eq!(canonical_json(&a), r#"{"a":true,"b":[1,{"x":null,"y":"é"}]}"#.as_bytes().to_vec());
        assert_eq!(canonical_json(&a), canonical_json(&b));
        let reordered: Value = serde_json::from_str(r#"{"b":[{"x":null,"y":"é"},1],"a":true}"#).expect("json");
        assert_ne!(canonical_json(&a), canonical_json(&reordered), "array order is meaningful");
    }

    #[test]
    fn json_content_types_are_recognised() {
        let with = |ct: Option<&str>| {
            let mut h = HeaderMap::new();
            if let Some(ct) = ct {
                h.insert(header::CONTENT_TYPE, ct.parse().expect("header"));
            }
            declares_json(&h)
        };
        for yes in ["application/json", "application/json; charset=utf-8", "Application/JSON", "application/merge-patch+json"] {
            assert!(with(Some(yes)), "{yes}");
        }
        for no in [
            None,
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            Some("multipart/form-data; boundary=x"),
            Some("application/jsonx"),
        ] {
            assert!(!with(no), "{no:?}");
        }
    }

    #[test]
    fn broken_json_is_a_400() {
        let err = parse_json::<Outer>(b"{\"name\":").unwrap_err();
        assert_eq!(err.code(), "bad_json");
    }
}
