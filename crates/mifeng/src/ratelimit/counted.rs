//! Counts every slot asked of whichever limiter the client uses (feature `metrics`).

use super::{Lane, Pace, RateLimiter};
use crate::Error;
use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// Wraps the client's limiter (the local one, the Redis one or the caller's own), so each is
/// measured the same way and none needs to know about metrics.
#[derive(Debug)]
pub(crate) struct Counted(pub(crate) Arc<dyn RateLimiter>);

#[async_trait]
impl RateLimiter for Counted {
    async fn acquire(
        &self,
        mch_id: &str,
        pace: Pace,
        max_wait: Duration,
        lane: Lane,
    ) -> Result<(), Error> {
        let started = Instant::now();
        let slot = self.0.acquire(mch_id, pace, max_wait, lane).await;
        let lane = match lane {
            Lane::Call => "call",
            Lane::Token => "token",
        };
        let result = match &slot {
            Ok(()) => "ok",
            Err(Error::RateLimited { .. }) => "rate_limited",
            // A shared limiter's store failed (Redis unreachable).
            Err(_) => "error",
        };
        metrics::counter!(
            super::METRIC_WAITS,
            "mch_id" => mch_id.to_owned(),
            "lane" => lane,
            "result" => result,
        )
        .increment(1);
        if slot.is_ok() {
            metrics::histogram!(
                super::METRIC_WAIT_SECONDS,
                "mch_id" => mch_id.to_owned(),
                "lane" => lane,
            )
            .record(started.elapsed().as_secs_f64());
        }
        slot
    }
}
