//! Sign-in attempts, limited in memory per email and per client address: after too many
//! failures within the window, attempts are refused (even with the right password) until the
//! oldest failure leaves the window. Each replica counts its own attempts.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures of one email address allowed within [`WINDOW`].
pub const MAX_FAILURES_PER_EMAIL: usize = 5;
/// Failures from one client address allowed within [`WINDOW`] (higher: a proxy or office may
/// put many users behind one address).
pub const MAX_FAILURES_PER_IP: usize = 30;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Keys tracked before old ones are pruned, bounding memory.
const MAX_KEYS: usize = 100_000;

#[derive(Default)]
pub struct SignInLimiter {
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl SignInLimiter {
    /// `Err(wait)` when the email or the address has used up its failures.
    pub fn check(&self, email: Option<&str>, ip: Option<&str>) -> Result<(), Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("limiter lock");
        let mut wait = None;
        for (key, max) in keys(email, ip) {
            if let Some(times) = failures.get_mut(&key) {
                prune(times, now);
                if times.len() >= max {
                    let oldest = times[times.len() - max];
                    let left = WINDOW.saturating_sub(now.duration_since(oldest));
                    wait = Some(wait.map_or(left, |w: Duration| w.max(left)));
                }
            }
        }
        wait.map_or(Ok(()), Err)
    }

    pub fn record_failure(&self, email: Option<&str>, ip: Option<&str>) {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("limiter lock");
        if failures.len() >= MAX_KEYS {
            failures.retain(|_, times| {
                prune(times, now);
                !times.is_empty()
            });
        }
        for (key, _) in keys(email, ip) {
            failures.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in forgets the email's failures (not the address's).
    pub fn record_success(&self, email: &str) {
        self.failures
            .lock()
            .expect("limiter lock")
            .remove(&format!("email:{email}"));
    }
}

fn keys(email: Option<&str>, ip: Option<&str>) -> Vec<(String, usize)> {
    let mut keys = Vec::with_capacity(2);
    if let Some(email) = email {
        keys.push((format!("email:{email}"), MAX_FAILURES_PER_EMAIL));
    }
    if let Some(ip) = ip {
        keys.push((format!("ip:{ip}"), MAX_FAILURES_PER_IP));
    }
    keys
}

fn prune(times: &mut VecDeque<Instant>, now: Instant) {
    while times
        .front()
        .is_some_and(|first| now.duration_since(*first) >= WINDOW)
    {
        times.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_is_limited_after_max_failures() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES_PER_EMAIL {
            assert!(limiter.check(Some("a@b.c"), Some("1.2.3.4")).is_ok());
            limiter.record_failure(Some("a@b.c"), Some("1.2.3.4"));
        }
        let wait = limiter.check(Some("a@b.c"), Some("5.6.7.8")).unwrap_err();
        assert!(wait > Duration::from_secs(60));
        assert!(limiter.check(Some("other@b.c"), Some("5.6.7.8")).is_ok());
    }

    #[test]
    fn address_is_limited_across_emails() {
        let limiter = SignInLimiter::default();
        for n in 0..MAX_FAILURES_PER_IP {
            limiter.record_failure(Some(&format!("user{n}@b.c")), Some("9.9.9.9"));
        }
        assert!(limiter.check(Some("fresh@b.c"), Some("9.9.9.9")).is_err());
        assert!(limiter.check(None, Some("1.1.1.1")).is_ok());
    }

    #[test]
    fn success_forgets_the_email() {
        let limiter = SignInLimiter::default();
        for _ in 0..MAX_FAILURES_PER_EMAIL {
            limiter.record_failure(Some("a@b.c"), None);
        }
        limiter.record_success("a@b.c");
        assert!(limiter.check(Some("a@b.c"), None).is_ok());
    }
}
