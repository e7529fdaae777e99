//! Shop credentials encrypted at rest: XChaCha20-Poly1305 with the shop domain as associated data.
//!
//! The key comes from `ENCORE_ENCRYPTION_KEY` (base64 of 32 bytes, optionally `ID:` first);
//! earlier keys stay readable through `ENCORE_ENCRYPTION_PREVIOUS_KEYS` while rows are rewritten
//! with the current one (every refresh rewrites a shop's row, so an active shop moves to a new
//! key within the hour). Every write draws a fresh random 24-byte nonce (XChaCha's nonce is long
//! enough for random nonces to never repeat in practice). The shop domain is authenticated with
//! the ciphertext, so a row copied to another shop does not decrypt.

use std::collections::HashMap;
use std::fmt;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use encore_shopify::{Secret, ShopDomain};

const NONCE_LEN: usize = 24;

/// One 32-byte key and the id stored beside what it encrypted.
#[derive(Clone)]
pub struct EncryptionKey {
    pub id: i64,
    bytes: [u8; 32],
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey(id {}, ***)", self.id)
    }
}

/// Why a key setting was refused (the message never contains the key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("is not base64 (make one with `openssl rand -base64 32`)")]
    NotBase64,
    #[error("must decode to exactly 32 bytes (got {0})")]
    WrongLength(usize),
    #[error("has a key id that is not a positive number (write ID:BASE64)")]
    BadId,
}

impl EncryptionKey {
    /// Parses `BASE64` (key id 1) or `ID:BASE64`.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let (id, b64) = match text.split_once(':') {
            Some((id, b64)) => (
                id.trim()
                    .parse::<i64>()
                    .ok()
                    .filter(|i| *i > 0)
                    .ok_or(KeyError::BadId)?,
                b64,
            ),
            None => (1, text),
        };
        let raw = STANDARD
            .decode(b64.trim())
            .map_err(|_| KeyError::NotBase64)?;
        let bytes: [u8; 32] = raw
            .as_slice()
            .try_into()
            .map_err(|_| KeyError::WrongLength(raw.len()))?;
        Ok(Self { id, bytes })
    }

    /// The demo's fixed development key (demo mode only; never for a real shop).
    pub fn demo() -> Self {
        use sha2::Digest;
        let digest = sha2::Sha256::digest(b"encore demo development key: not a secret");
        Self {
            id: 1,
            bytes: digest.into(),
        }
    }
}

pub use encore_store::credentials::Sealed;

/// Why a stored value could not be opened.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error("the credentials were sealed with key id {0}, which is not configured (add it to ENCORE_ENCRYPTION_PREVIOUS_KEYS)")]
    UnknownKey(i64),
    #[error("the stored credentials do not decrypt for this shop (damaged, another key, or copied from another shop)")]
    Damaged,
}

/// Seals and opens shop credentials.
#[derive(Clone)]
pub struct Vault {
    current: EncryptionKey,
    keys: HashMap<i64, XChaCha20Poly1305>,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Vault")
            .field("current_key_id", &self.current.id)
            .finish_non_exhaustive()
    }
}

impl Vault {
    /// A vault writing with `current` and reading rows of `current` and `previous`.
    pub fn new(current: EncryptionKey, previous: &[EncryptionKey]) -> Self {
        let keys = previous
            .iter()
            .chain(std::iter::once(&current))
            .map(|k| (k.id, XChaCha20Poly1305::new((&k.bytes).into())))
            .collect();
        Self { current, keys }
    }

    /// The id new rows are written with.
    pub fn current_key_id(&self) -> i64 {
        self.current.id
    }

    /// Encrypts `secret` for `shop` with the current key and a fresh nonce.
    pub fn seal(&self, shop: &ShopDomain, secret: &Secret) -> Sealed {
        let cipher = &self.keys[&self.current.id];
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let payload = Payload {
            msg: secret.expose().as_bytes(),
            aad: shop.as_str().as_bytes(),
        };
        // Encryption fails only for messages over 256 GiB.
        let ciphertext = cipher
            .encrypt(&nonce, payload)
            .expect("a token is far below XChaCha20-Poly1305's message limit");
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Sealed {
            key_id: self.current.id,
            text: STANDARD.encode(out),
        }
    }

    /// Decrypts a value sealed for `shop`.
    pub fn open(&self, shop: &ShopDomain, sealed: &Sealed) -> Result<Secret, OpenError> {
        let cipher = self
            .keys
            .get(&sealed.key_id)
            .ok_or(OpenError::UnknownKey(sealed.key_id))?;
        let raw = STANDARD
            .decode(&sealed.text)
            .map_err(|_| OpenError::Damaged)?;
        if raw.len() < NONCE_LEN {
            return Err(OpenError::Damaged);
        }
        let (nonce, ciphertext) = raw.split_at(NONCE_LEN);
        let plain = cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: shop.as_str().as_bytes(),
                },
            )
            .map_err(|_| OpenError::Damaged)?;
        String::from_utf8(plain)
            .map(Secret::new)
            .map_err(|_| OpenError::Damaged)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(name: &str) -> ShopDomain {
        ShopDomain::parse(&format!("{name}.myshopify.com")).unwrap()
    }

    fn key(id: i64, fill: u8) -> EncryptionKey {
        EncryptionKey::parse(&format!("{id}:{}", STANDARD.encode([fill; 32]))).unwrap()
    }

    #[test]
    fn a_sealed_token_opens_for_its_shop_only() {
        let vault = Vault::new(key(1, 7), &[]);
        let token = Secret::new("shpat_0123456789");
        let sealed = vault.seal(&shop("a"), &token);
        assert!(!sealed.text.contains("shpat"));
        assert_eq!(vault.open(&shop("a"), &sealed).unwrap(), token);
        assert_eq!(
            vault.open(&shop("b"), &sealed).unwrap_err(),
            OpenError::Damaged
        );
    }

    #[test]
    fn every_seal_uses_a_new_nonce() {
        let vault = Vault::new(key(1, 7), &[]);
        let token = Secret::new("shpat_same");
        assert_ne!(
            vault.seal(&shop("a"), &token).text,
            vault.seal(&shop("a"), &token).text
        );
    }

    #[test]
    fn rows_of_a_previous_key_open_and_new_rows_use_the_current_key() {
        let old = Vault::new(key(1, 1), &[]);
        let sealed = old.seal(&shop("a"), &Secret::new("shprt_x"));
        let rotated = Vault::new(key(2, 2), &[key(1, 1)]);
        assert_eq!(
            rotated.open(&shop("a"), &sealed).unwrap().expose(),
            "shprt_x"
        );
        assert_eq!(rotated.seal(&shop("a"), &Secret::new("y")).key_id, 2);
        let forgotten = Vault::new(key(2, 2), &[]);
        assert_eq!(
            forgotten.open(&shop("a"), &sealed).unwrap_err(),
            OpenError::UnknownKey(1)
        );
    }

    #[test]
    fn a_tampered_row_does_not_open() {
        let vault = Vault::new(key(1, 7), &[]);
        let mut sealed = vault.seal(&shop("a"), &Secret::new("shpat_x"));
        let mut raw = STANDARD.decode(&sealed.text).unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        sealed.text = STANDARD.encode(raw);
        assert_eq!(
            vault.open(&shop("a"), &sealed).unwrap_err(),
            OpenError::Damaged
        );
    }

    #[test]
    fn bad_keys_are_explained_without_echoing_them() {
        assert_eq!(
            EncryptionKey::parse("not base64!").unwrap_err(),
            KeyError::NotBase64
        );
        assert_eq!(
            EncryptionKey::parse(&STANDARD.encode([0u8; 16])).unwrap_err(),
            KeyError::WrongLength(16)
        );
        assert_eq!(
            EncryptionKey::parse(&format!("x:{}", STANDARD.encode([0u8; 32]))).unwrap_err(),
            KeyError::BadId
        );
        assert!(!format!("{:?}", key(3, 9)).contains("CQkJ"));
    }
}
