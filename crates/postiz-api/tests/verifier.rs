//! Supabase access-token verification: HS256 secret and JWKS (ES256/RS256) keys.
#![allow(clippy::unwrap_used, reason = "test fixtures: a broken fixture should panic right there")]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{Jwk, JwkSet};
use jsonwebtoken::{Algorithm, EncodingKey, Header, encode};
use postiz_api::auth::{AuthError, JwksCache, SessionVerifier, VerifierConfig};
use secrecy::SecretString;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "test-jwt-secret-with-at-least-32-characters";
const ISSUER: &str = "https://abcd.supabase.co/auth/v1";
const USER: &str = "7f1b5a1e-3c2d-4e5f-8a9b-0c1d2e3f4a5b";
const JWKS_PATH: &str = "/auth/v1/.well-known/jwks.json";

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

fn claims() -> Value {
    json!({
        "iss": ISSUER, "sub": USER, "aud": "authenticated", "role": "authenticated",
        "exp": now() + 3600, "iat": now(), "email": "user@example.com", "session_id": USER,
        "app_metadata": {"provider": "email"}, "user_metadata": {}, "aal": "aal1", "is_anonymous": false,
    })
}

fn with(mut c: Value, key: &str, v: Value) -> Value {
    c[key] = v;
    c
}

fn hs256(c: &Value, secret: &str) -> String {
    encode(&Header::new(Algorithm::HS256), c, &EncodingKey::from_secret(secret.as_bytes())).unwrap()
}

fn pem(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn es_key(name: &str) -> EncodingKey {
    EncodingKey::from_ec_pem(&pem(name)).unwrap()
}

fn rs_key() -> EncodingKey {
    EncodingKey::from_rsa_pem(&pem("test-rs256.pem")).unwrap()
}

fn signed(c: &Value, alg: Algorithm, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.into());
    encode(&header, c, key).unwrap()
}

fn public_jwk(key: &EncodingKey, alg: Algorithm, kid: &str) -> Jwk {
    let mut jwk = Jwk::from_encoding_key(key, alg).unwrap();
    jwk.common.key_id = Some(kid.into());
    jwk
}

fn verifier(jwks: Option<JwksCache>, secret: Option<&str>) -> SessionVerifier {
    SessionVerifier::new(VerifierConfig {
        hs256_secret: secret.map(|s| SecretString::from(s.to_owned())),
        jwks,
        issuer: ISSUER.into(),
        audience: "authenticated".into(),
        leeway_secs: 30,
    })
}

fn hs_verifier() -> SessionVerifier {
    verifier(None, Some(SECRET))
}

async fn jwks_server(keys: Vec<Jwk>) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(JwkSet { keys }))
        .mount(&server)
        .await;
    server
}

fn cache(server: &MockServer) -> JwksCache {
    JwksCache::new(format!("{}{JWKS_PATH}", server.uri()), reqwest::Client::new())
}

#[tokio::test]
async fn valid_hs256_token_yields_the_user_and_all_claims() {
    let user = hs_verifier().verify(&hs256(&claims(), SECRET)).await.unwrap();
    assert_eq!(user.id.to_string(), USER);
    assert_eq!(user.email.as_deref(), Some("user@example.com"));
    assert_eq!(user.claims["session_id"], USER, "claims are passed on whole");
}

#[tokio::test]
async fn expired_token_is_refused_with_a_machine_readable_reason() {
    let err = hs_verifier().verify(&hs256(&with(claims(), "exp", json!(now() - 120)), SECRET)).await.unwrap_err();
    assert_eq!(err, AuthError::Expired);
    assert_eq!(err.code(), "token_expired");
}

#[tokio::test]
async fn small_clock_skew_is_tolerated() {
    let token = hs256(&with(claims(), "exp", json!(now() - 10)), SECRET);
    assert!(hs_verifier().verify(&token).await.is_ok());
}

#[tokio::test]
async fn token_not_yet_valid_is_refused() {
    let token = hs256(&with(claims(), "nbf", json!(now() + 600)), SECRET);
    assert_eq!(hs_verifier().verify(&token).await.unwrap_err(), AuthError::NotYetValid);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims().to_string());
    let err = hs_verifier().verify(&format!("{header}.{payload}.")).await.unwrap_err();
    assert!(matches!(err, AuthError::UnsupportedAlgorithm(_)), "{err:?}");
}

#[tokio::test]
async fn token_signed_with_another_secret_is_refused() {
    let err = hs_verifier().verify(&hs256(&claims(), "another-secret-another-secret-123")).await.unwrap_err();
    assert!(matches!(err, AuthError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn wrong_audience_and_wrong_issuer_are_refused() {
    let v = hs_verifier();
    let aud = hs256(&with(claims(), "aud", json!("anon")), SECRET);
    assert_eq!(v.verify(&aud).await.unwrap_err(), AuthError::WrongAudience);
    let iss = hs256(&with(claims(), "iss", json!("https://other.supabase.co/auth/v1")), SECRET);
    assert_eq!(v.verify(&iss).await.unwrap_err(), AuthError::WrongIssuer);
}

#[tokio::test]
async fn tampered_payload_is_refused() {
    let token = hs256(&claims(), SECRET);
    let parts: Vec<&str> = token.split('.').collect();
    let evil = URL_SAFE_NO_PAD.encode(with(claims(), "sub", json!("00000000-0000-0000-0000-000000000001")).to_string());
    let err = hs_verifier().verify(&format!("{}.{evil}.{}", parts[0], parts[2])).await.unwrap_err();
    assert!(matches!(err, AuthError::Invalid(_)), "{err:?}");
}

#[tokio::test]
async fn anon_and_service_role_tokens_are_not_users() {
    let v = hs_verifier();
    let anon = hs256(&with(claims(), "role", json!("anon")), SECRET);
    assert_eq!(v.verify(&anon).await.unwrap_err(), AuthError::WrongRole("anon".into()));
    let service = hs256(&with(claims(), "role", json!("service_role")), SECRET);
    assert_eq!(v.verify(&service).await.unwrap_err(), AuthError::WrongRole("service_role".into()));
}

#[tokio::test]
async fn missing_required_claims_are_refused() {
    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    assert!(matches!(hs_verifier().verify(&hs256(&c, SECRET)).await.unwrap_err(), AuthError::Invalid(_)));
}

#[tokio::test]
async fn es256_and_rs256_tokens_verify_through_the_jwks() {
    let es = es_key("test-es256.pem");
    let rs = rs_key();
    let server = jwks_server(vec![public_jwk(&es, Algorithm::ES256, "es-1"), public_jwk(&rs, Algorithm::RS256, "rs-1")]).await;
    let v = verifier(Some(cache(&server)), None);
    assert!(v.verify(&signed(&claims(), Algorithm::ES256, "es-1", &es)).await.is_ok());
    assert!(v.verify(&signed(&claims(), Algorithm::RS256, "rs-1", &rs)).await.is_ok());
    assert_eq!(server.received_requests().await.unwrap().len(), 1, "the set is cached");
}

#[tokio::test]
async fn hs256_is_refused_when_the_project_has_no_shared_secret() {
    // Algorithm confusion: a token "signed" with HS256 must not pass when only JWKS keys are trusted.
    let server = jwks_server(vec![public_jwk(&es_key("test-es256.pem"), Algorithm::ES256, "es-1")]).await;
    let v = verifier(Some(cache(&server)), None);
    let err = v.verify(&hs256(&claims(), SECRET)).await.unwrap_err();
    assert_eq!(err, AuthError::UnsupportedAlgorithm("HS256".into()));
}

#[tokio::test]
async fn key_used_with_another_algorithm_is_refused() {
    let rs = rs_key();
    let server = jwks_server(vec![public_jwk(&rs, Algorithm::RS256, "rs-1")]).await;
    let v = verifier(Some(cache(&server)), None);
    let es_token = signed(&claims(), Algorithm::ES256, "rs-1", &es_key("test-es256.pem"));
    assert!(matches!(v.verify(&es_token).await.unwrap_err(), AuthError::Invalid(_)));
}

#[tokio::test]
async fn token_signed_by_an_unpublished_key_is_refused() {
    let server = jwks_server(vec![public_jwk(&es_key("test-es256.pem"), Algorithm::ES256, "es-1")]).await;
    let v = verifier(Some(cache(&server)), None);
    let forged = signed(&claims(), Algorithm::ES256, "es-1", &es_key("test-es256-rotated.pem"));
    assert!(matches!(v.verify(&forged).await.unwrap_err(), AuthError::Invalid(_)));
}

#[tokio::test]
async fn unknown_kid_refetches_once_then_is_rate_limited() {
    let old = es_key("test-es256.pem");
    let new = es_key("test-es256-rotated.pem");
    let server = MockServer::start().await;
    // First fetch: only the old key. Later fetches: the rotated set.
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(ResponseTemplate::new(200).set_body_json(JwkSet { keys: vec![public_jwk(&old, Algorithm::ES256, "old")] }))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(JWKS_PATH))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(JwkSet { keys: vec![public_jwk(&old, Algorithm::ES256, "old"), public_jwk(&new, Algorithm::ES256, "new")] }),
        )
        .mount(&server)
        .await;
    let v = verifier(Some(cache(&server).with_min_refetch_interval(Duration::ZERO)), None);
    assert!(v.verify(&signed(&claims(), Algorithm::ES256, "old", &old)).await.is_ok());
    // A token under the newly rotated key: unknown kid → one refetch → accepted.
    assert!(v.verify(&signed(&claims(), Algorithm::ES256, "new", &new)).await.is_ok());
    assert_eq!(server.received_requests().await.unwrap().len(), 2);

    // With the default 30 s interval, a burst of unknown kids causes at most one more fetch.
    let limited = verifier(Some(cache(&server)), None);
    for i in 0..5 {
        let err = limited.verify(&signed(&claims(), Algorithm::ES256, &format!("bogus-{i}"), &new)).await.unwrap_err();
        assert_eq!(err, AuthError::UnknownKey(format!("bogus-{i}")));
    }
    assert_eq!(server.received_requests().await.unwrap().len(), 3, "one fetch for the whole burst");
}

#[tokio::test]
async fn unreachable_jwks_is_reported_as_unavailable() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(ResponseTemplate::new(503)).mount(&server).await;
    let v = verifier(Some(cache(&server)), None);
    let err = v.verify(&signed(&claims(), Algorithm::ES256, "k", &es_key("test-es256.pem"))).await.unwrap_err();
    assert_eq!(err, AuthError::KeysUnavailable);
}
