//! The de-duplication store trait and its in-memory implementation.

use crate::error::BoxError;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// What [`DedupStore::claim`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClaimState {
    /// New: the caller now holds the claim and must complete or release it.
    Claimed,
    /// Another worker holds a live claim.
    InFlight,
    /// Processed before.
    Done,
}

/// Where processed notifications are remembered. Implementations must make `claim` atomic:
/// two concurrent claims of one key never both get [`ClaimState::Claimed`].
#[async_trait]
pub trait DedupStore: Send + Sync {
    /// Claims `key` for `processing` time, unless it is claimed or done.
    async fn claim(&self, key: &str, processing: Duration) -> Result<ClaimState, BoxError>;
    /// Marks `key` done for `done` time.
    async fn complete(&self, key: &str, done: Duration) -> Result<(), BoxError>;
    /// Drops a claim so the key can be claimed again.
    async fn release(&self, key: &str) -> Result<(), BoxError>;
}

#[derive(Debug, Clone, Copy)]
enum Entry {
    Processing(Instant),
    Done(Instant),
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
}

#[async_trait]
impl DedupStore for MemoryDedup {
    async fn claim(&self, key: &str, processing: Duration) -> Result<ClaimState, BoxError> {
        let now = Instant::now();
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, e| match e {
            Entry::Processing(until) | Entry::Done(until) => *until > now,
        });
        match map.get(key) {
            Some(Entry::Done(_)) => Ok(ClaimState::Done),
            Some(Entry::Processing(_)) => Ok(ClaimState::InFlight),
            None => {
                map.insert(key.to_owned(), Entry::Processing(now + processing));
                Ok(ClaimState::Claimed)
            }
        }
    }

    async fn complete(&self, key: &str, done: Duration) -> Result<(), BoxError> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        map.insert(key.to_owned(), Entry::Done(Instant::now() + done));
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), BoxError> {
        let mut map = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(Entry::Processing(_)) = map.get(key) {
            map.remove(key);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn claim_complete_release_cycle() {
        let s = MemoryDedup::new();
        let t = Duration::from_secs(60);
        assert_eq!(s.claim("k", t).await.unwrap(), ClaimState::Claimed);
        assert_eq!(s.claim("k", t).await.unwrap(), ClaimState::InFlight);
        s.release("k").await.unwrap();
        assert_eq!(s.claim("k", t).await.unwrap(), ClaimState::Claimed);
        s.complete("k", t).await.unwrap();
        assert_eq!(s.claim("k", t).await.unwrap(), ClaimState::Done);
        s.release("k").await.unwrap();
        assert_eq!(
            s.claim("k", t).await.unwrap(),
            ClaimState::Done,
            "release never undoes a completion"
        );
    }

    #[tokio::test]
    async fn an_abandoned_claim_expires() {
        let s = MemoryDedup::new();
        assert_eq!(
            s.claim("k", Duration::from_millis(20)).await.unwrap(),
            ClaimState::Claimed
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(
            s.claim("k", Duration::from_secs(1)).await.unwrap(),
            ClaimState::Claimed
        );
    }
}
