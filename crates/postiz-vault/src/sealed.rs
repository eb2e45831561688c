/// A ciphertext as stored: the key id, the nonce and the ciphertext with its GCM tag.
#[derive(Clone, PartialEq, Eq)]
pub struct Sealed {
    /// Id of the key it was made with.
    pub key_id: String,
    /// 12 random bytes, unique per encryption.
    pub nonce: Vec<u8>,
    /// Ciphertext followed by the 16-byte tag.
    pub ciphertext: Vec<u8>,
}

impl Sealed {
    /// A sealed value from its three nullable columns: `None` unless all three are stored.
    pub fn from_columns(key_id: Option<String>, nonce: Option<Vec<u8>>, ciphertext: Option<Vec<u8>>) -> Option<Self> {
        Some(Self { key_id: key_id?, nonce: nonce?, ciphertext: ciphertext? })
    }
}

impl std::fmt::Debug for Sealed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sealed").field("key_id", &self.key_id).field("ciphertext_len", &self.ciphertext.len()).finish_non_exhaustive()
    }
}
