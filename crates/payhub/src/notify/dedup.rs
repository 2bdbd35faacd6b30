//! The de-duplication store trait and its in-memory implementation.

use crate::error::BoxError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Proof of holding a claim: only its holder can release it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimToken(String);

impl ClaimToken {
    /// A fresh random token.
    pub fn new() -> Self {
        ClaimToken(paysig::nonce())
    }

    /// The token's text (for stores that persist it).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ClaimToken {
    fn default() -> Self {
        Self::new()
    }
}

/// What [`DedupStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimState {
    /// New: the caller now holds the claim and must complete or release it with the token.
    Claimed(ClaimToken),
    /// Another worker holds a live claim.
    InFlight,
    /// Processed before.
    Done,
}

/// Where processed notifications are remembered. Implementations must make `claim` atomic
/// (two concurrent claims of one key never both get [`ClaimState::Claimed`]) and `release`
/// a compare-and-delete on the token (a worker whose claim expired cannot release the claim
/// another worker took since).
#[async_trait]
pub trait DedupStore: Send + Sync {
    /// Claims `key` for `processing` time, unless it is claimed or done.
    async fn claim(&self, key: &str, processing: Duration) -> Result<ClaimState, BoxError>;
    /// Marks `key` done for `done` time. "Done" means processed at least once, so it is set
    /// whoever holds the claim; the answer says whether `token` still held it (when not, the
    /// claim had expired and another worker may have processed the notification too).
    async fn complete(
        &self,
        key: &str,
        token: &ClaimToken,
        done: Duration,
    ) -> Result<bool, BoxError>;
    /// Drops the claim if `token` still holds it, so the key can be claimed again.
    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), BoxError>;
    /// True when `key` was processed (a replay can be acknowledged without any other work).
    async fn is_done(&self, key: &str) -> Result<bool, BoxError>;
}

#[derive(Debug, Clone)]
enum Entry {
    Processing(Instant, ClaimToken),
    Done(Instant),
}

impl Entry {
    fn live(&self, now: Instant) -> bool {
        match self {
            Entry::Processing(until, _) | Entry::Done(until) => *until > now,
        }
    }
}

/// In-process store (the default). For several processes use `RedisDedup` (feature `redis`).
#[derive(Debug, Default)]
pub struct MemoryDedup {
    entries: Mutex<HashMap<String, Entry>>,
}

impl MemoryDedup {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        map.retain(|_, e| e.live(now));
        map
    }
}

#[async_trait]
impl DedupStore for MemoryDedup {
    async fn claim(&self, key: &str, processing: Duration) -> Result<ClaimState, BoxError> {
        let mut map = self.entries();
        match map.get(key) {
            Some(Entry::Done(_)) => Ok(ClaimState::Done),
            Some(Entry::Processing(..)) => Ok(ClaimState::InFlight),
            None => {
                let token = ClaimToken::new();
                map.insert(
                    key.to_owned(),
                    Entry::Processing(Instant::now() + processing, token.clone()),
                );
                Ok(ClaimState::Claimed(token))
            }
        }
    }

    async fn complete(
        &self,
        key: &str,
        token: &ClaimToken,
        done: Duration,
    ) -> Result<bool, BoxError> {
        let mut map = self.entries();
        let held = matches!(map.get(key), Some(Entry::Processing(_, t)) if t == token);
        map.insert(key.to_owned(), Entry::Done(Instant::now() + done));
        Ok(held)
    }

    async fn release(&self, key: &str, token: &ClaimToken) -> Result<(), BoxError> {
        let mut map = self.entries();
        if matches!(map.get(key), Some(Entry::Processing(_, t)) if t == token) {
            map.remove(key);
        }
        Ok(())
    }

    async fn is_done(&self, key: &str) -> Result<bool, BoxError> {
        Ok(matches!(self.entries().get(key), Some(Entry::Done(_))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(s: ClaimState) -> ClaimToken {
        match s {
            ClaimState::Claimed(t) => t,
            other => panic!("expected a claim, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn claim_complete_release_cycle() {
        let s = MemoryDedup::new();
        let t = Duration::from_secs(60);
        let a = token(s.claim("k", t).await.unwrap());
        assert_eq!(s.claim("k", t).await.unwrap(), ClaimState::InFlight);
        s.release("k", &a).await.unwrap();
        let b = token(s.claim("k", t).await.unwrap());
        assert!(!s.is_done("k").await.unwrap());
        assert!(s.complete("k", &b, t).await.unwrap());
        assert!(s.is_done("k").await.unwrap());
        assert_eq!(s.claim("k", t).await.unwrap(), ClaimState::Done);
        s.release("k", &b).await.unwrap();
        assert_eq!(
            s.claim("k", t).await.unwrap(),
            ClaimState::Done,
            "release never undoes a completion"
        );
    }

    #[tokio::test]
    async fn an_expired_claims_holder_cannot_release_its_successors_claim() {
        let s = MemoryDedup::new();
        let stale = token(s.claim("k", Duration::from_millis(20)).await.unwrap());
        tokio::time::sleep(Duration::from_millis(40)).await;
        let fresh = token(s.claim("k", Duration::from_secs(60)).await.unwrap());
        s.release("k", &stale).await.unwrap();
        assert_eq!(
            s.claim("k", Duration::from_secs(60)).await.unwrap(),
            ClaimState::InFlight,
            "the fresh claim survives"
        );
        // The stale worker finishing still marks the notification processed, and says its
        // claim was lost.
        assert!(
            !s.complete("k", &stale, Duration::from_secs(60))
                .await
                .unwrap()
        );
        assert!(s.is_done("k").await.unwrap());
        s.release("k", &fresh).await.unwrap();
        assert!(s.is_done("k").await.unwrap());
    }
}
