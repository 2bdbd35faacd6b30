//! State shared by the four servers: config, keys, store, random source, notify sender.

use crate::credentials::{
    BeeCloudCredentials, MifengCredentials, PooulCredentials, SunmiCredentials,
};
use crate::store::{Change, Order, OrderStatus, Store};
use crate::{Faults, ProviderKind, SandboxConfig, SandboxError, SandboxKeys};
use paysig::http::{HttpClient, HttpConfig, RetryPolicy};
use paysig::{RsaPrivateKey, SecretString};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::future::Future;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::Duration;
use time::OffsetDateTime;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub(crate) struct Keys {
    pub sunmi_platform: RsaPrivateKey,
    pub pooul_platform: RsaPrivateKey,
}

pub(crate) struct Shared {
    pub config: SandboxConfig,
    pub sunmi: SunmiCredentials,
    pub pooul: PooulCredentials,
    pub beecloud: BeeCloudCredentials,
    pub mifeng: MifengCredentials,
    pub keys: Keys,
    // Read-mostly: queries share it, so concurrent queries never wait for each other.
    store: RwLock<Store>,
    ids: Mutex<StdRng>,
    faults: Mutex<FaultState>,
    // Whether any request fault (latency, 5xx, drop) is set: without one, a request takes
    // neither the faults lock nor a draw (see `fault_draws`).
    request_faults: AtomicBool,
    changes: broadcast::Sender<Change>,
    // Set at shutdown: ends the dashboard's event streams, which would hold the server open.
    closing: watch::Sender<bool>,
    // The provider base URLs, in ProviderKind::ALL order, once bound (for the dashboard).
    provider_urls: std::sync::OnceLock<Vec<String>>,
    pub http: HttpClient,
    tasks: Mutex<Vec<JoinHandle<()>>>,
}

/// The fault settings in force and their random sources. Requests and notifies draw from
/// separate generators: notify attempts run on timers, so sharing one would make the request
/// faults of a seed depend on timing.
struct FaultState {
    faults: Faults,
    seed: u64,
    requests: StdRng,
    notifies: StdRng,
}

impl FaultState {
    fn new(faults: Faults, seed: u64) -> FaultState {
        FaultState {
            faults,
            seed,
            requests: StdRng::seed_from_u64(seed),
            notifies: StdRng::seed_from_u64(seed ^ 0x0071_f1e5),
        }
    }
}

/// Locks a mutex, recovering the data if a holder panicked (state stays usable for tests).
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

const DIGITS: &[u8] = b"0123456789";
const HEX: &[u8] = b"0123456789abcdef";
const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

fn pick(rng: &mut StdRng, alphabet: &[u8], n: usize) -> String {
    (0..n)
        .map(|_| alphabet[rng.random_range(0..alphabet.len())] as char)
        .collect()
}

/// Whether a request meets any fault: latency, 5xx answers or dropped connections.
fn has_request_faults(f: &Faults) -> bool {
    !f.latency.is_zero() || f.error_5xx_ratio > 0.0 || f.drop_ratio > 0.0
}

impl Shared {
    pub fn new(config: SandboxConfig) -> Result<Shared, SandboxError> {
        if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
            return Err(SandboxError::Config {
                reason: format!("time_scale must be > 0, got {}", config.time_scale),
            });
        }
        config.faults.check()?;
        if config.mifeng_rate_limit_per_sec == 0 {
            return Err(SandboxError::Config {
                reason: "mifeng_rate_limit_per_sec must be at least 1".into(),
            });
        }
        let mut rng = StdRng::seed_from_u64(config.seed ^ 0x5ab0_c0de);
        let secret = |rng: &mut StdRng, n| SecretString::from(pick(rng, ALNUM, n));
        let keys = match &config.keys {
            Some(k) => k.clone(),
            None => SandboxKeys::generate()?,
        };
        let (sunmi_platform, pooul_platform, pooul_merchant) = (
            keys.sunmi_platform,
            keys.pooul_platform,
            keys.pooul_merchant,
        );
        let sunmi = SunmiCredentials {
            app_id: format!("sm{}", pick(&mut rng, HEX, 13)),
            app_key: SecretString::from(pick(&mut rng, HEX, 32)),
            merchant_no: format!("8202{}", pick(&mut rng, DIGITS, 11)),
            msn: format!("V206D{}", pick(&mut rng, DIGITS, 8)),
            platform_public_key: sunmi_platform.public_key(),
        };
        let pooul = PooulCredentials {
            merchant_id: format!("5{}", pick(&mut rng, DIGITS, 15)),
            merchant_private_key: pooul_merchant,
            platform_public_key: pooul_platform.public_key(),
        };
        let beecloud = BeeCloudCredentials {
            app_id: format!(
                "{}-{}-{}-{}-{}",
                pick(&mut rng, HEX, 8),
                pick(&mut rng, HEX, 4),
                pick(&mut rng, HEX, 4),
                pick(&mut rng, HEX, 4),
                pick(&mut rng, HEX, 12)
            ),
            app_key: secret(&mut rng, 36),
            app_secret: secret(&mut rng, 36),
            master_secret: secret(&mut rng, 36),
        };
        let mifeng = MifengCredentials {
            mch_id: format!("100{}", pick(&mut rng, DIGITS, 4)),
            secret: SecretString::from(pick(&mut rng, b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 32)),
        };
        let http = HttpClient::new(HttpConfig {
            connect_timeout: config.notify_timeout,
            timeout: config.notify_timeout,
            user_agent: concat!("payhub-sandbox/", env!("CARGO_PKG_VERSION")).to_owned(),
            retry: RetryPolicy::none(),
        })?;
        // Lagging dashboards skip to the newest changes; they re-read the state anyway.
        let (changes, _) = broadcast::channel(1024);
        Ok(Shared {
            keys: Keys {
                sunmi_platform,
                pooul_platform,
            },
            sunmi,
            pooul,
            beecloud,
            mifeng,
            store: RwLock::new(Store::new(changes.clone())),
            ids: Mutex::new(rng),
            faults: Mutex::new(FaultState::new(config.faults, config.seed)),
            request_faults: AtomicBool::new(has_request_faults(&config.faults)),
            changes,
            closing: watch::channel(false).0,
            provider_urls: std::sync::OnceLock::new(),
            http,
            tasks: Mutex::new(Vec::new()),
            config,
        })
    }

    /// The store, to change it (or to read it where a change may follow).
    pub fn store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store, only to read it: queries take this, so they run side by side.
    pub fn store_read(&self) -> RwLockReadGuard<'_, Store> {
        self.store
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A scaled delay: documented seconds divided by `time_scale`.
    pub fn scaled(&self, d: Duration) -> Duration {
        Duration::from_secs_f64(d.as_secs_f64() / self.config.time_scale)
    }

    pub fn digits(&self, n: usize) -> String {
        pick(&mut lock(&self.ids), DIGITS, n)
    }

    pub fn hex(&self, n: usize) -> String {
        pick(&mut lock(&self.ids), HEX, n)
    }

    pub fn alnum(&self, n: usize) -> String {
        pick(&mut lock(&self.ids), ALNUM, n)
    }

    /// The faults in force and two draws in [0, 1): (drop, 5xx), in a fixed order so a seed
    /// replays the same faults. `None` while no request fault is set: the hot path then takes
    /// no lock, and requests without faults do not move the sequence (a seed replays the same
    /// faults from when they are set, however many requests came before).
    pub fn fault_draws(&self) -> Option<(Faults, f64, f64)> {
        if !self.request_faults.load(Ordering::Acquire) {
            return None;
        }
        let mut st = lock(&self.faults);
        if !has_request_faults(&st.faults) {
            return None;
        }
        let (d, e) = (st.requests.random::<f64>(), st.requests.random::<f64>());
        Some((st.faults, d, e))
    }

    /// Whether to drop this notify attempt ([`Faults::drop_notify_ratio`]).
    pub fn notify_dropped(&self) -> bool {
        let mut st = lock(&self.faults);
        let ratio = st.faults.drop_notify_ratio;
        ratio > 0.0 && st.notifies.random::<f64>() < ratio
    }

    /// The faults in force and their seed.
    pub fn faults(&self) -> (Faults, u64) {
        let st = lock(&self.faults);
        (st.faults, st.seed)
    }

    /// Replaces the faults; a `seed` restarts both random sequences from it.
    pub fn set_faults(&self, faults: Faults, seed: Option<u64>) -> Result<(), SandboxError> {
        faults.check()?;
        {
            let mut st = lock(&self.faults);
            match seed {
                Some(seed) => *st = FaultState::new(faults, seed),
                None => st.faults = faults,
            }
            // Under the lock, so the flag and the faults never disagree for long.
            self.request_faults
                .store(has_request_faults(&faults), Ordering::Release);
        }
        let _ = self.changes.send(Change::Faults);
        Ok(())
    }

    /// Live changes, for the dashboard's server-sent events.
    pub fn subscribe(&self) -> broadcast::Receiver<Change> {
        self.changes.subscribe()
    }

    pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(fut);
        let mut tasks = lock(&self.tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
    }

    /// The provider base URLs, in `ProviderKind::ALL` order (empty before they are bound).
    pub fn provider_urls(&self) -> &[String] {
        self.provider_urls.get().map(Vec::as_slice).unwrap_or(&[])
    }

    pub fn set_provider_urls(&self, urls: Vec<String>) {
        let _ = self.provider_urls.set(urls);
    }

    /// Becomes `true` at shutdown.
    pub fn closing(&self) -> watch::Receiver<bool> {
        self.closing.subscribe()
    }

    pub fn abort_tasks(&self) {
        self.closing.send_replace(true);
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }

    pub fn default_notify_url(&self, p: ProviderKind) -> Option<String> {
        self.store().default_notify.get(&p).cloned()
    }
}

impl Shared {
    /// The order expires unpaid: it is closed (no notify: the providers notify payments).
    pub fn expire(&self, p: ProviderKind, order_no: &str) -> Result<Order, SandboxError> {
        let mut store = self.store();
        let o = store
            .order_mut(p, order_no)
            .ok_or_else(|| SandboxError::OrderNotFound {
                provider: p,
                order_no: order_no.to_owned(),
            })?;
        if !o.status.awaits_payment() {
            return Err(SandboxError::NotAwaitingPayment {
                provider: p,
                order_no: order_no.to_owned(),
                status: o.status,
            });
        }
        o.status = OrderStatus::Closed;
        o.settled_at = Some(OffsetDateTime::now_utc());
        Ok(o.clone())
    }
}
