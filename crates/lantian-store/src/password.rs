//! Password hashing with Argon2id (memory-hard), in PHC string form.

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

/// How much work a hash costs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strength {
    /// People's passwords: Argon2id, 19 MiB, 2 passes (the OWASP baseline).
    User,
    /// Device passwords, checked once per connection: Argon2id, 4 MiB, 1 pass.
    Device,
}

fn hasher(s: Strength) -> Argon2<'static> {
    let params = match s {
        Strength::User => Params::new(19 * 1024, 2, 1, None),
        Strength::Device => Params::new(4 * 1024, 1, 1, None),
    };
    Argon2::new(
        Algorithm::Argon2id,
        Version::V0x13,
        params.unwrap_or_default(),
    )
}

pub fn hash(password: &str, strength: Strength) -> String {
    let salt = SaltString::generate(&mut OsRng);
    hasher(strength)
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .unwrap_or_default()
}

/// A random password of `len` characters from an alphabet without look-alikes.
pub fn random(len: usize) -> String {
    use argon2::password_hash::rand_core::RngCore;
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = vec![0u8; len];
    OsRng.fill_bytes(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

/// Whether `password` matches the PHC string `hash` (whatever parameters it records).
pub fn verify(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_differ_by_salt() {
        let a = hash("123456", Strength::Device);
        let b = hash("123456", Strength::Device);
        assert_ne!(a, b);
        assert!(a.starts_with("$argon2id$"));
        assert!(verify("123456", &a) && verify("123456", &b));
        assert!(!verify("123457", &a));
        assert!(!verify("123456", "not a hash"));
    }
}
