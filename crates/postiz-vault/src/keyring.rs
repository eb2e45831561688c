use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use secrecy::{ExposeSecret, SecretString};

use crate::{Binding, Sealed, VaultError};

/// The encryption keys: the current one (used to encrypt) and older ones (still decrypt).
pub struct Keyring {
    /// `(id, cipher)`, current first.
    keys: Vec<(String, Aes256Gcm)>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<&str> = self.keys.iter().map(|(id, _)| id.as_str()).collect();
        f.debug_struct("Keyring").field("key_ids", &ids).finish_non_exhaustive()
    }
}

impl Keyring {
    /// Parses `id:base64,id:base64,…` (current key first), as in `POSTIZ_TOKEN_ENCRYPTION_KEYS`.
    pub fn parse(spec: &SecretString) -> Result<Self, VaultError> {
        let spec = spec.expose_secret();
        if spec.trim().is_empty() {
            return Err(VaultError::NoKeys);
        }
        let mut keys: Vec<(String, Aes256Gcm)> = Vec::new();
        for (i, entry) in spec.split(',').enumerate() {
            let position = i + 1;
            let bad = |problem: &str| VaultError::BadKey { position, problem: problem.into() };
            let (id, b64) = entry
                .trim()
                .split_once(':')
                .ok_or_else(|| bad("expected `id:base64key`, e.g. `k1:` followed by `openssl rand -base64 32`"))?;
            let id = id.trim();
            if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(bad("the key id must be non-empty letters, digits, '-' or '_'"));
            }
            if keys.iter().any(|(known, _)| known == id) {
                return Err(bad("duplicate key id"));
            }
            let bytes = STANDARD.decode(b64.trim()).map_err(|_| bad("the key is not valid base64"))?;
            if bytes.len() != 32 {
                return Err(VaultError::BadKey {
                    position,
                    problem: format!("the key must decode to 32 bytes, it decodes to {}", bytes.len()),
                });
            }
            let cipher = Aes256Gcm::new_from_slice(&bytes).map_err(|_| bad("unusable key"))?;
            keys.push((id.to_owned(), cipher));
        }
        Ok(Self { keys })
    }

    /// Reads `POSTIZ_TOKEN_ENCRYPTION_KEYS` through the settings layer's secret.
    pub fn from_secret(secret: Option<&SecretString>) -> Result<Self, VaultError> {
        secret.map_or(Err(VaultError::NoKeys), Self::parse)
    }

    /// A keyring with fixed, well-known keys. Tests only.
    #[cfg(any(test, debug_assertions))]
    pub fn for_testing() -> Self {
        let spec = format!("test-current:{},test-old:{}", STANDARD.encode([7u8; 32]), STANDARD.encode([9u8; 32]));
        Self::parse(&SecretString::from(spec)).unwrap_or_else(|_| unreachable!("fixed test keys are valid"))
    }

    /// Id of the key new ciphertexts are made with.
    pub fn current_key_id(&self) -> &str {
        &self.keys[0].0
    }

    /// Encrypts `plaintext` under the current key, bound to `binding`.
    pub fn encrypt(&self, plaintext: &SecretString, binding: &Binding) -> Sealed {
        let (id, cipher) = &self.keys[0];
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let aad = binding.aad();
        let ciphertext = cipher
            .encrypt(&nonce, Payload { msg: plaintext.expose_secret().as_bytes(), aad: &aad })
            // Only fails for inputs beyond GCM's 64 GiB limit, which no token approaches.
            .unwrap_or_else(|_| unreachable!("AES-GCM encryption of a short token cannot fail"));
        Sealed { key_id: id.clone(), nonce: nonce.to_vec(), ciphertext }
    }

    /// Decrypts a stored ciphertext, checking that it belongs to `binding`.
    pub fn decrypt(&self, sealed: &Sealed, binding: &Binding) -> Result<SecretString, VaultError> {
        let (_, cipher) =
            self.keys.iter().find(|(id, _)| *id == sealed.key_id).ok_or_else(|| VaultError::UnknownKey(sealed.key_id.clone()))?;
        if sealed.nonce.len() != 12 {
            return Err(VaultError::BadNonce(sealed.nonce.len()));
        }
        let aad = binding.aad();
        let plain = cipher
            .decrypt(Nonce::from_slice(&sealed.nonce), Payload { msg: &sealed.ciphertext, aad: &aad })
            .map_err(|_| VaultError::Authentication)?;
        String::from_utf8(plain).map(SecretString::from).map_err(|_| VaultError::NotUtf8)
    }

    /// True when `sealed` is not under the current key (rotation still has work to do).
    pub fn needs_rotation(&self, sealed: &Sealed) -> bool {
        sealed.key_id != self.current_key_id()
    }

    /// Re-encrypts under the current key (decrypting with whichever key made it).
    pub fn reseal(&self, sealed: &Sealed, binding: &Binding) -> Result<Sealed, VaultError> {
        Ok(self.encrypt(&self.decrypt(sealed, binding)?, binding))
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use uuid::Uuid;

    use super::*;
    use crate::Field;

    fn binding(field: Field) -> Binding {
        Binding { workspace_id: Uuid::from_u128(1), social_account_id: Uuid::from_u128(2), field }
    }

    fn key(byte: u8) -> String {
        STANDARD.encode([byte; 32])
    }

    #[test]
    fn round_trip_under_current_key() {
        let ring = Keyring::for_testing();
        let sealed = ring.encrypt(&SecretString::from("tok-abc"), &binding(Field::AccessToken));
        assert_eq!(sealed.key_id, "test-current");
        assert_eq!(sealed.nonce.len(), 12);
        let back = ring.decrypt(&sealed, &binding(Field::AccessToken)).unwrap();
        assert_eq!(back.expose_secret(), "tok-abc");
    }

    #[test]
    fn same_plaintext_twice_gives_different_ciphertexts() {
        let ring = Keyring::for_testing();
        let a = ring.encrypt(&SecretString::from("same"), &binding(Field::AccessToken));
        let b = ring.encrypt(&SecretString::from("same"), &binding(Field::AccessToken));
        assert_ne!(a.nonce, b.nonce);
        assert_ne!(a.ciphertext, b.ciphertext);
    }

    #[test]
    fn ciphertext_moved_to_another_field_or_account_fails() {
        let ring = Keyring::for_testing();
        let sealed = ring.encrypt(&SecretString::from("refresh-1"), &binding(Field::RefreshToken));
        assert_eq!(ring.decrypt(&sealed, &binding(Field::AccessToken)).unwrap_err(), VaultError::Authentication);
        let other_account = Binding { social_account_id: Uuid::from_u128(3), ..binding(Field::RefreshToken) };
        assert_eq!(ring.decrypt(&sealed, &other_account).unwrap_err(), VaultError::Authentication);
        let other_ws = Binding { workspace_id: Uuid::from_u128(9), ..binding(Field::RefreshToken) };
        assert_eq!(ring.decrypt(&sealed, &other_ws).unwrap_err(), VaultError::Authentication);
    }

    #[test]
    fn tampered_ciphertext_fails() {
        let ring = Keyring::for_testing();
        let mut sealed = ring.encrypt(&SecretString::from("x"), &binding(Field::AccessToken));
        sealed.ciphertext[0] ^= 1;
        assert_eq!(ring.decrypt(&sealed, &binding(Field::AccessToken)).unwrap_err(), VaultError::Authentication);
    }

    #[test]
    fn old_key_still_decrypts_and_reseal_moves_to_current() {
        let old = Keyring::parse(&SecretString::from(format!("k1:{}", key(1)))).unwrap();
        let sealed = old.encrypt(&SecretString::from("legacy"), &binding(Field::AccessToken));
        let rotated = Keyring::parse(&SecretString::from(format!("k2:{},k1:{}", key(2), key(1)))).unwrap();
        assert!(rotated.needs_rotation(&sealed));
        let resealed = rotated.reseal(&sealed, &binding(Field::AccessToken)).unwrap();
        assert_eq!(resealed.key_id, "k2");
        assert!(!rotated.needs_rotation(&resealed));
        let only_new = Keyring::parse(&SecretString::from(format!("k2:{}", key(2)))).unwrap();
        assert_eq!(only_new.decrypt(&resealed, &binding(Field::AccessToken)).unwrap().expose_secret(), "legacy");
        assert_eq!(only_new.decrypt(&sealed, &binding(Field::AccessToken)).unwrap_err(), VaultError::UnknownKey("k1".into()));
    }

    #[test]
    fn a_key_relabelled_with_another_id_does_not_decrypt() {
        let ring = Keyring::parse(&SecretString::from(format!("k2:{},k1:{}", key(2), key(1)))).unwrap();
        let mut sealed = ring.encrypt(&SecretString::from("t"), &binding(Field::AccessToken));
        sealed.key_id = "k1".into();
        assert_eq!(ring.decrypt(&sealed, &binding(Field::AccessToken)).unwrap_err(), VaultError::Authentication);
    }

    #[test]
    fn bad_key_specs_say_what_to_fix() {
        let cases = [
            ("", "not set"),
            ("k1", "id:base64key"),
            ("k1:not-base64!!", "base64"),
            (&*format!("k1:{}", STANDARD.encode([1u8; 16])), "32 bytes, it decodes to 16"),
            (&*format!("k1:{},k1:{}", key(1), key(2)), "duplicate"),
            (&*format!(":{}", key(1)), "key id"),
        ];
        for (spec, expected) in cases {
            let err = Keyring::parse(&SecretString::from(spec.to_owned())).unwrap_err().to_string();
            assert!(err.contains(expected), "{spec:?} → {err}");
        }
    }

    #[test]
    fn debug_output_shows_no_secrets() {
        let spec = format!("k1:{}", key(5));
        let ring = Keyring::parse(&SecretString::from(spec.clone())).unwrap();
        let sealed = ring.encrypt(&SecretString::from("plain-token-value"), &binding(Field::AccessToken));
        let shown = format!("{ring:?} {sealed:?} {:?}", ring.decrypt(&sealed, &binding(Field::AccessToken)));
        assert!(!shown.contains(&key(5)) && !shown.contains("plain-token-value"), "{shown}");
        assert!(shown.contains("k1"));
    }

    proptest! {
        #[test]
        fn any_text_round_trips(text in ".{0,300}", ws in any::<u128>(), acct in any::<u128>()) {
            let ring = Keyring::for_testing();
            let b = Binding { workspace_id: Uuid::from_u128(ws), social_account_id: Uuid::from_u128(acct), field: Field::AppPassword };
            let sealed = ring.encrypt(&SecretString::from(text.clone()), &b);
            let back = ring.decrypt(&sealed, &b).unwrap();
            prop_assert_eq!(back.expose_secret(), text.as_str());
        }
    }
}
