//! Counts every slot asked of whichever limiter the client uses (feature `metrics`).

use super::{Lane, Pace, RateLimiter};
use crate::Error;
use async_trait::async_trait;
use metrics::{Key, Label, Level, Metadata};
use std::sync::Arc;
use std::time::Duration;
use tokio::time::Instant;

/// What the `metrics` macros would attach to these metrics.
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

const LANES: [(Lane, &str); 2] = [(Lane::Call, "call"), (Lane::Token, "token")];
const RESULTS: [&str; 3] = ["ok", "rate_limited", "error"];

/// Wraps the client's limiter (the local one, the Redis one or the caller's own), so each is
/// measured the same way and none needs to know about metrics.
///
/// The keys of the client's own `mch_id` are made once: a slot then records without building
/// labels (two vectors and two copies of the `mch_id` per call before). The recorder is still
/// looked up per slot, as the `metrics` macros do, so one installed later is still used.
#[derive(Debug)]
pub(crate) struct Counted {
    inner: Arc<dyn RateLimiter>,
    mch_id: String,
    /// [`super::METRIC_WAITS`] per lane, per result (in [`LANES`] and [`RESULTS`] order).
    waits: [[Key; 3]; 2],
    /// [`super::METRIC_WAIT_SECONDS`] per lane.
    wait_seconds: [Key; 2],
}

impl Counted {
    pub(crate) fn new(inner: Arc<dyn RateLimiter>, mch_id: &str) -> Self {
        let label = || Label::new("mch_id", mch_id.to_owned());
        Counted {
            inner,
            mch_id: mch_id.to_owned(),
            waits: LANES.map(|(_, lane)| {
                RESULTS.map(|result| {
                    Key::from_parts(
                        super::METRIC_WAITS,
                        vec![
                            label(),
                            Label::new("lane", lane),
                            Label::new("result", result),
                        ],
                    )
                })
            }),
            wait_seconds: LANES.map(|(_, lane)| {
                Key::from_parts(
                    super::METRIC_WAIT_SECONDS,
                    vec![label(), Label::new("lane", lane)],
                )
            }),
        }
    }

    fn record(&self, mch_id: &str, lane: usize, result: usize, waited: Option<Duration>) {
        if mch_id != self.mch_id {
            // Not the client's own merchant (a limiter shared in some other way): keys made
            // for this slot.
            let (lane, result) = (LANES[lane].1, RESULTS[result]);
            let mch_id = mch_id.to_owned();
            metrics::counter!(super::METRIC_WAITS, "mch_id" => mch_id.clone(), "lane" => lane, "result" => result)
                .increment(1);
            if let Some(w) = waited {
                metrics::histogram!(super::METRIC_WAIT_SECONDS, "mch_id" => mch_id, "lane" => lane)
                    .record(w.as_secs_f64());
            }
            return;
        }
        metrics::with_recorder(|r| {
            r.register_counter(&self.waits[lane][result], &METADATA)
                .increment(1);
            if let Some(w) = waited {
                r.register_histogram(&self.wait_seconds[lane], &METADATA)
                    .record(w.as_secs_f64());
            }
        });
    }
}

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
        let slot = self.inner.acquire(mch_id, pace, max_wait, lane).await;
        let lane = LANES.iter().position(|(l, _)| *l == lane).unwrap_or(0);
        let result = match &slot {
            Ok(()) => 0,
            Err(Error::RateLimited { .. }) => 1,
            // A shared limiter's store failed (Redis unreachable).
            Err(_) => 2,
        };
        let waited = slot.is_ok().then(|| started.elapsed());
        self.record(mch_id, lane, result, waited);
        slot
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use metrics::{
        Counter, CounterFn, Gauge, Histogram, HistogramFn, KeyName, Recorder, SharedString, Unit,
    };
    use std::sync::Mutex;

    /// Every increment and every recorded wait, as `name{labels sorted}`.
    #[derive(Default)]
    struct Rows(Mutex<Vec<String>>);

    struct Recorded(Arc<Rows>, String);
    impl CounterFn for Recorded {
        fn increment(&self, n: u64) {
            self.0.0.lock().unwrap().push(format!("{} +{n}", self.1));
        }
        fn absolute(&self, _: u64) {}
    }
    impl HistogramFn for Recorded {
        fn record(&self, _: f64) {
            self.0.0.lock().unwrap().push(format!("{} wait", self.1));
        }
    }

    struct Rec(Arc<Rows>);
    impl Rec {
        fn row(&self, key: &Key) -> Arc<Recorded> {
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            Arc::new(Recorded(
                self.0.clone(),
                format!("{}{{{}}}", key.name(), labels.join(",")),
            ))
        }
    }
    impl Recorder for Rec {
        fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
        fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
            Counter::from_arc(self.row(key))
        }
        fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
            Gauge::noop()
        }
        fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
            Histogram::from_arc(self.row(key))
        }
    }

    #[derive(Debug)]
    struct Refuses;
    #[async_trait]
    impl RateLimiter for Refuses {
        async fn acquire(&self, _: &str, _: Pace, wait: Duration, lane: Lane) -> Result<(), Error> {
            match lane {
                Lane::Call => Ok(()),
                _ => Err(Error::RateLimited { max_wait: wait }),
            }
        }
    }

    /// The keys made once record what the macros recorded: the same names and labels, another
    /// merchant's slots under its own `mch_id`, a wait only for a slot given.
    #[test]
    fn each_slot_is_counted_under_its_merchant_lane_and_result() {
        let rows = Arc::new(Rows::default());
        let recorder = Rec(rows.clone());
        let counted = Counted::new(Arc::new(Refuses), "m1");
        let pace = Pace {
            per_second: std::num::NonZeroU32::new(20).unwrap(),
            window: Duration::from_secs(1),
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap();
        metrics::with_local_recorder(&recorder, || {
            rt.block_on(async {
                for (mch, lane) in [("m1", Lane::Call), ("m1", Lane::Token), ("m2", Lane::Call)] {
                    let _ = counted.acquire(mch, pace, Duration::ZERO, lane).await;
                }
            })
        });
        let (waits, seconds) = (
            super::super::METRIC_WAITS,
            super::super::METRIC_WAIT_SECONDS,
        );
        assert_eq!(
            *rows.0.lock().unwrap(),
            vec![
                format!("{waits}{{lane=call,mch_id=m1,result=ok}} +1"),
                format!("{seconds}{{lane=call,mch_id=m1}} wait"),
                format!("{waits}{{lane=token,mch_id=m1,result=rate_limited}} +1"),
                format!("{waits}{{lane=call,mch_id=m2,result=ok}} +1"),
                format!("{seconds}{{lane=call,mch_id=m2}} wait"),
            ]
        );
    }
}
