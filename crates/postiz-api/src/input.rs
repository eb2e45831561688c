//! Request extractors that answer in the API's error shape: JSON bodies (422 naming the field,
//! unknown fields included), path ids (a malformed id is a resource that does not exist: 404) and
//! query strings (400).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Path, Query, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::{ApiError, FieldError};

/// A JSON body. Errors name the field by its path (`variants.x.text`, `targets[0]`), so
/// `#[serde(deny_unknown_fields)]` reports typos where they are.
#[derive(Debug, Clone)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|e| ApiError::bad_request("bad_body", e.body_text()))?;
        parse_json(&bytes).map(JsonBody)
    }
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
    fn broken_json_is_a_400() {
        let err = parse_json::<Outer>(b"{\"name\":").unwrap_err();
        assert_eq!(err.code(), "bad_json");
    }
}
