//! The endpoint's authorization token: 32 random bytes, hex, compared in constant time so that
//! the time an answer takes says nothing about how much of a guess was right.

use anyhow::{anyhow, Result};

use crate::creds::Secret;

/// A new random token.
pub fn generate() -> Result<Secret> {
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| anyhow!("cannot get random bytes for the server's token: {e}"))?;
    Ok(Secret::new(hex::encode(bytes)))
}

/// True when `given` is exactly `token`. Every byte is looked at whatever differs; only the
/// length (public: every token is 64 characters) can end the comparison early.
pub fn matches(token: &Secret, given: &[u8]) -> bool {
    let want = token.expose().as_bytes();
    if want.len() != given.len() {
        return false;
    }
    let diff = want
        .iter()
        .zip(given)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    // Keep the optimiser from turning the fold into an early exit.
    std::hint::black_box(diff) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_hex_and_match_only_exactly() {
        let a = generate().unwrap();
        let b = generate().unwrap();
        assert_eq!(a.expose().len(), 64);
        assert!(a.expose().bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a.expose(), b.expose());
        assert!(matches(&a, a.expose().as_bytes()));
        assert!(!matches(&a, b.expose().as_bytes()));
        assert!(!matches(&a, &a.expose().as_bytes()[..63]));
        assert!(!matches(&a, format!("{} ", a.expose()).as_bytes()));
        assert!(!matches(&a, b""));
        let mut flipped = a.expose().as_bytes().to_vec();
        flipped[63] ^= 1;
        assert!(!matches(&a, &flipped));
    }
}
