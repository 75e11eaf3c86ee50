//! The network deadline of one run: every call gets what is left of it as its operation timeout
//! (retries included), so a black-holed endpoint costs the deadline and not a sum of per-attempt
//! timeouts. Time a person spends (typing an MFA code, or another run's prompt we wait for) is
//! not network time: it moves the deadline on.

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::anyhow;

/// Shared by the runner (which waits for people and locks) and its [`super::Network`].
#[derive(Clone)]
pub struct Deadline(Rc<Inner>);

struct Inner {
    budget: Duration,
    ends: Cell<Instant>,
    /// How to change it, for the error (the settings live above this layer).
    advice: &'static str,
}

impl Deadline {
    /// Starts now.
    pub fn new(budget: Duration, advice: &'static str) -> Deadline {
        Deadline(Rc::new(Inner {
            budget,
            ends: Cell::new(Instant::now() + budget),
            advice,
        }))
    }

    /// What is left of it (zero once passed).
    pub fn remaining(&self) -> Duration {
        self.0.ends.get().saturating_duration_since(Instant::now())
    }

    /// Gives back time that was a person's, not the network's.
    pub fn extend(&self, by: Duration) {
        self.0.ends.set(self.0.ends.get() + by);
    }

    /// The error for `step` at `endpoint` when the deadline ran out.
    pub fn passed(&self, step: &str, endpoint: &str) -> anyhow::Error {
        anyhow!(
            "{step}: no answer from {endpoint} within the {} s deadline; {}",
            self.0.budget.as_secs(),
            self.0.advice
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extending_gives_time_back() {
        let d = Deadline::new(Duration::from_secs(0), "advice");
        assert_eq!(d.remaining(), Duration::ZERO);
        d.extend(Duration::from_secs(60));
        assert!(d.remaining() > Duration::from_secs(50));
        assert_eq!(
            d.passed("AssumeRole r", "http://127.0.0.1:1").to_string(),
            "AssumeRole r: no answer from http://127.0.0.1:1 within the 0 s deadline; advice"
        );
    }
}
