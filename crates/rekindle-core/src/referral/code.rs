//! Referral codes: eight characters a person can read aloud or type from a poster.
//!
//! A code is drawn from a hash of the person's id and an attempt number, so it is stable for
//! a person and needs no randomness here; the store keeps the code it accepted (unique per
//! workspace, a collision takes the next attempt) and follows merges from it.

use sha2::{Digest, Sha256};

use crate::PersonId;

/// Crockford's base 32: digits and capitals without I, L, O and U, which are misread.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// Characters in a code: 40 bits, so collisions are rare and retried.
pub const CODE_LEN: usize = 8;

/// The code to offer `person` on the `attempt`-th try (0 first).
pub fn code_candidate(person: PersonId, attempt: u32) -> String {
    let digest = Sha256::new().chain_update(person.0.as_bytes()).chain_update(attempt.to_be_bytes()).finalize();
    let bits = u64::from_be_bytes(digest[..8].try_into().expect("8 bytes"));
    (0..CODE_LEN).map(|i| ALPHABET[((bits >> (59 - 5 * i)) & 31) as usize] as char).collect()
}

/// The code as typed (trimmed, any case), if it has a code's shape.
pub fn looks_like_code(text: &str) -> Option<String> {
    let code = text.trim().to_ascii_uppercase();
    (code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_stable_distinct_and_readable() {
        let a = PersonId(uuid::Uuid::from_u128(1));
        let b = PersonId(uuid::Uuid::from_u128(2));
        assert_eq!(code_candidate(a, 0), code_candidate(a, 0));
        assert_ne!(code_candidate(a, 0), code_candidate(a, 1));
        assert_ne!(code_candidate(a, 0), code_candidate(b, 0));
        let c = code_candidate(a, 0);
        assert_eq!(looks_like_code(&c.to_lowercase()), Some(c.clone()));
        assert!(!c.contains(['I', 'L', 'O', 'U']));
    }

    #[test]
    fn other_identifiers_do_not_look_like_codes() {
        for s in ["o19x0000001", "m19-3", "+8613800000000", "ABCDEFGI", "ABC", ""] {
            assert_eq!(looks_like_code(s), None, "{s}");
        }
    }
}
