//! TLS to PostgreSQL with libpq's meaning of `sslmode` and `sslrootcert`, so a Supabase
//! connection string works as the Supabase dashboard gives it:
//!
//! - `disable`: plain; `prefer` (the default): TLS when the server offers it; `require`: TLS or
//!   nothing. None of these checks the server's certificate unless `sslrootcert` names a CA file,
//!   in which case the chain must lead to it (libpq does the same);
//! - `verify-ca`: the chain must lead to `sslrootcert`; `verify-full`: that, and the certificate
//!   must name the host.
//!
//! tokio-postgres knows only the first three modes and no `sslrootcert`: this module takes both
//! out of the URL and turns them into the rustls configuration.

use std::sync::Arc;

use rustls::client::WebPkiServerVerifier;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio_postgres::config::SslMode;
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::PoolError;

/// How much of the server's certificate is checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Check {
    /// Encrypt only (libpq `prefer`/`require` without a root certificate).
    Nothing,
    /// The chain must lead to the given CA.
    Chain,
    /// The chain, and the certificate must name the host.
    ChainAndHost,
}

/// A connection string made ready for tokio-postgres, and the TLS connector it needs.
pub(crate) fn configure(url: &str) -> Result<(tokio_postgres::Config, MakeRustlsConnect), PoolError> {
    let (url, mode, root_cert) = take_tls_options(url);
    let mut config: tokio_postgres::Config = url.parse().map_err(|e: tokio_postgres::Error| PoolError::BadUrl(e.to_string()))?;
    let check = match (mode.as_deref(), &root_cert) {
        (Some("verify-full"), Some(_)) => Check::ChainAndHost,
        (Some("verify-ca"), Some(_)) => Check::Chain,
        (Some(m @ ("verify-full" | "verify-ca")), None) => {
            return Err(PoolError::BadUrl(format!("sslmode={m} needs sslrootcert (the CA file to verify the server against)")));
        }
        (_, Some(_)) => Check::Chain,
        (_, None) => Check::Nothing,
    };
    if matches!(mode.as_deref(), Some("verify-full" | "verify-ca")) {
        config.ssl_mode(SslMode::Require);
    }
    let roots = match &root_cert {
        Some(path) => Some(load_roots(path)?),
        None => None,
    };
    Ok((config, MakeRustlsConnect::new(client_config(check, roots)?)))
}

/// Removes `sslrootcert`, and `sslmode` when it is `verify-ca`/`verify-full`, from a URL's query.
fn take_tls_options(url: &str) -> (String, Option<String>, Option<String>) {
    let Some((base, query)) = url.split_once('?') else {
        return (url.to_owned(), None, None);
    };
    let (mut mode, mut root_cert, mut kept) = (None, None, Vec::new());
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded =
            || url::form_urlencoded::parse(format!("v={value}").as_bytes()).next().map(|(_, v)| v.into_owned()).unwrap_or_default();
        match key {
            "sslrootcert" => root_cert = Some(decoded()),
            "sslmode" => {
                let value = decoded();
                if !matches!(value.as_str(), "verify-ca" | "verify-full") {
                    kept.push(pair);
                }
                mode = Some(value);
            }
            _ => kept.push(pair),
        }
    }
    let url = if kept.is_empty() { base.to_owned() } else { format!("{base}?{}", kept.join("&")) };
    (url, mode, root_cert)
}

fn load_roots(path: &str) -> Result<RootCertStore, PoolError> {
    let mut roots = RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(path).map_err(|e| PoolError::Tls(format!("cannot read sslrootcert {path}: {e}")))?;
    for cert in certs {
        let cert = cert.map_err(|e| PoolError::Tls(format!("sslrootcert {path} is not PEM certificates: {e}")))?;
        roots.add(cert).map_err(|e| PoolError::Tls(format!("sslrootcert {path}: {e}")))?;
    }
    if roots.is_empty() {
        return Err(PoolError::Tls(format!("sslrootcert {path} holds no certificate")));
    }
    Ok(roots)
}

fn client_config(check: Check, roots: Option<RootCertStore>) -> Result<rustls::ClientConfig, PoolError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(|e| PoolError::Tls(e.to_string()))?;
    let chain = match (check, roots) {
        (Check::Nothing, _) | (_, None) => None,
        (_, Some(roots)) => Some(
            WebPkiServerVerifier::builder_with_provider(Arc::new(roots), Arc::clone(&provider))
                .build()
                .map_err(|e| PoolError::Tls(e.to_string()))?,
        ),
    };
    let verifier = Verifier { chain, check_host: check == Check::ChainAndHost, provider };
    Ok(builder.dangerous().with_custom_certificate_verifier(Arc::new(verifier)).with_no_client_auth())
}

/// The server's certificate as libpq checks it. Without `chain` (libpq's `require` without a
/// root certificate) the session is encrypted and the handshake signed by the presented
/// certificate's key, but who the certificate belongs to is not checked. With it the chain must
/// lead to the configured CA, and the certificate must name the host only when `check_host`
/// (`verify-full`).
#[derive(Debug)]
struct Verifier {
    chain: Option<Arc<WebPkiServerVerifier>>,
    check_host: bool,
    provider: Arc<CryptoProvider>,
}

impl ServerCertVerifier for Verifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let Some(chain) = &self.chain else {
            return Ok(ServerCertVerified::assertion());
        };
        match chain.verify_server_cert(end_entity, intermediates, server_name, ocsp_response, now) {
            Err(rustls::Error::InvalidCertificate(CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. }))
                if !self.check_host =>
            {
                Ok(ServerCertVerified::assertion())
            }
            other => other,
        }
    }

    // The handshake signatures are checked in every mode, with the provider's algorithms (what
    // the WebPKI verifier would use too).
    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.provider.signature_verification_algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verify_modes_and_root_cert_leave_the_url_and_other_options_stay() {
        let (url, mode, root) =
            take_tls_options("postgresql://u:p%40ss@h:5432/db?sslmode=verify-full&application_name=w&sslrootcert=%2Fetc%2Fca.crt");
        assert_eq!(url, "postgresql://u:p%40ss@h:5432/db?application_name=w");
        assert_eq!((mode.as_deref(), root.as_deref()), (Some("verify-full"), Some("/etc/ca.crt")));

        let (url, mode, root) = take_tls_options("postgresql://h/db?sslmode=require");
        assert_eq!((url.as_str(), mode.as_deref(), root), ("postgresql://h/db?sslmode=require", Some("require"), None));

        let (url, mode, _) = take_tls_options("postgresql://h/db");
        assert_eq!((url.as_str(), mode), ("postgresql://h/db", None));
    }

    #[test]
    fn verifying_without_a_root_certificate_is_refused_by_name() {
        let err = configure("postgresql://h/db?sslmode=verify-full").err().expect("verify-full without a CA is refused");
        assert!(err.to_string().contains("sslrootcert"), "{err}");
        let err = configure("postgresql://h/db?sslrootcert=/nonexistent/ca.crt").err().expect("a missing CA file is refused");
        assert!(err.to_string().contains("/nonexistent/ca.crt"), "{err}");
    }

    #[test]
    fn verify_modes_ask_tokio_postgres_for_tls() {
        let (config, _) = configure("postgresql://h/db").unwrap();
        assert_eq!(config.get_ssl_mode(), SslMode::Prefer);
        let (config, _) = configure("postgresql://h/db?sslmode=disable").unwrap();
        assert_eq!(config.get_ssl_mode(), SslMode::Disable);
    }
}
