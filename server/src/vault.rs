//! Agent keys kept so they can be given back (`GET /agents/{id}/api-key`) without keeping them in
//! plaintext: sealed with ChaCha20-Poly1305 under a key derived from the server secret, and looked
//! up by their SHA-256 like every other key.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{ChaCha20Poly1305, Nonce};
use sha2::{Digest, Sha256};

/// Seals and opens agent keys.
pub struct Vault {
    cipher: ChaCha20Poly1305,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 == 1 {
        return None;
    }
    (0..text.len()).step_by(2).map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok()).collect()
}

impl Vault {
    /// The vault of a server secret.
    pub fn new(server_secret: &[u8]) -> Vault {
        let mut h = Sha256::new();
        h.update(b"vectrade agent keys\0");
        h.update(server_secret);
        let key = h.finalize();
        Vault { cipher: ChaCha20Poly1305::new_from_slice(&key).expect("a SHA-256 digest is a 32-byte key") }
    }

    /// `plain` sealed under a fresh random nonce, as hex (nonce then ciphertext and tag).
    pub fn seal(&self, plain: &str) -> String {
        let mut nonce = [0u8; 12];
        getrandom::fill(&mut nonce).expect("the operating system's random generator is available");
        let n = Nonce::try_from(&nonce[..]).expect("12 bytes");
        let sealed = self.cipher.encrypt(&n, plain.as_bytes()).expect("sealing a short text cannot fail");
        format!("{}{}", hex(&nonce), hex(&sealed))
    }

    /// The text `seal` sealed, or `None` when it was not sealed by this vault (or was altered).
    pub fn open(&self, sealed: &str) -> Option<String> {
        let bytes = unhex(sealed)?;
        if bytes.len() < 12 {
            return None;
        }
        let n = Nonce::try_from(&bytes[..12]).ok()?;
        let plain = self.cipher.decrypt(&n, &bytes[12..]).ok()?;
        String::from_utf8(plain).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sealed_keys_open_only_under_their_own_secret_and_never_show_in_the_seal() {
        let v = Vault::new(b"secret one");
        let sealed = v.seal("ak_live_abcdef");
        assert!(!sealed.contains("ak_live"));
        assert_ne!(sealed, v.seal("ak_live_abcdef"), "each seal has its own nonce");
        assert_eq!(v.open(&sealed).as_deref(), Some("ak_live_abcdef"));
        assert_eq!(Vault::new(b"secret two").open(&sealed), None);
        let mut tampered = sealed.clone();
        tampered.replace_range(30..32, if &sealed[30..32] == "00" { "01" } else { "00" });
        assert_eq!(v.open(&tampered), None);
        assert_eq!(v.open("zz"), None);
    }
}
