/// Why a key could not be loaded or a value could not be (de)crypted. Never carries secret data.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum VaultError {
    /// `POSTIZ_TOKEN_ENCRYPTION_KEYS` is not set.
    #[error("POSTIZ_TOKEN_ENCRYPTION_KEYS is not set; generate a key with `openssl rand -base64 32` and set it as `k1:<that value>`")]
    NoKeys,
    /// One entry of the key list is malformed.
    #[error("POSTIZ_TOKEN_ENCRYPTION_KEYS entry {position}: {problem}")]
    BadKey {
        /// 1-based position in the list.
        position: usize,
        /// What is wrong, and how to fix it.
        problem: String,
    },
    /// The ciphertext names a key we do not have.
    #[error(
        "ciphertext was made with key `{0}`, which is not in POSTIZ_TOKEN_ENCRYPTION_KEYS; add it back (behind the current key) until rotation has finished"
    )]
    UnknownKey(String),
    /// Authentication failed: wrong key, tampered data, or a ciphertext moved to another row/field.
    #[error("ciphertext does not authenticate for this account and field (tampered, swapped or wrong key)")]
    Authentication,
    /// The nonce column does not hold 12 bytes.
    #[error("nonce must be 12 bytes, found {0}")]
    BadNonce(usize),
    /// Decrypted bytes are not UTF-8 (a token is always text).
    #[error("decrypted credential is not UTF-8 text")]
    NotUtf8,
}
