//! State shared by the four servers: config, keys, store, random source, notify sender.

use crate::credentials::{
    BeeCloudCredentials, MifengCredentials, PooulCredentials, SunmiCredentials,
};
use crate::store::{NotifyEvent, Order, OrderStatus, Store};
use crate::{ProviderKind, SandboxConfig, SandboxError, SandboxKeys, notify, providers};
use paysig::http::{HttpClient, HttpConfig, RetryPolicy};
use paysig::{RsaPrivateKey, SecretString};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;
use time::OffsetDateTime;
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
    store: Mutex<Store>,
    ids: Mutex<StdRng>,
    fault_rng: Mutex<StdRng>,
    pub http: HttpClient,
    tasks: Mutex<Vec<JoinHandle<()>>>,
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

impl Shared {
    pub fn new(config: SandboxConfig) -> Result<Shared, SandboxError> {
        if !(config.time_scale.is_finite() && config.time_scale > 0.0) {
            return Err(SandboxError::Config {
                reason: format!("time_scale must be > 0, got {}", config.time_scale),
            });
        }
        for (name, r) in [
            ("error_5xx_ratio", config.faults.error_5xx_ratio),
            ("drop_ratio", config.faults.drop_ratio),
        ] {
            if !(0.0..=1.0).contains(&r) {
                return Err(SandboxError::Config {
                    reason: format!("{name} must be within 0.0..=1.0, got {r}"),
                });
            }
        }
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
        Ok(Shared {
            keys: Keys {
                sunmi_platform,
                pooul_platform,
            },
            sunmi,
            pooul,
            beecloud,
            mifeng,
            store: Mutex::new(Store::default()),
            ids: Mutex::new(rng),
            fault_rng: Mutex::new(StdRng::seed_from_u64(config.seed)),
            http,
            tasks: Mutex::new(Vec::new()),
            config,
        })
    }

    pub fn store(&self) -> MutexGuard<'_, Store> {
        lock(&self.store)
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

    /// Two draws in [0, 1): (drop, 5xx), in a fixed order so a seed replays the same faults.
    pub fn fault_draws(&self) -> (f64, f64) {
        let mut r = lock(&self.fault_rng);
        (r.random::<f64>(), r.random::<f64>())
    }

    pub fn spawn(&self, fut: impl Future<Output = ()> + Send + 'static) {
        let handle = tokio::spawn(fut);
        let mut tasks = lock(&self.tasks);
        tasks.retain(|t| !t.is_finished());
        tasks.push(handle);
    }

    pub fn abort_tasks(&self) {
        for t in lock(&self.tasks).drain(..) {
            t.abort();
        }
    }

    pub fn default_notify_url(&self, p: ProviderKind) -> Option<String> {
        self.store().default_notify.get(&p).cloned()
    }

    /// After a create: the simulated payer pays after `auto_pay` (scaled), if configured.
    pub fn schedule_auto_pay(self: &Arc<Self>, p: ProviderKind, order_no: &str) {
        if let Some(delay) = self.config.auto_pay {
            let me = Arc::clone(self);
            let order_no = order_no.to_owned();
            let delay = self.scaled(delay);
            self.spawn(async move {
                tokio::time::sleep(delay).await;
                // Already settled by the control API: nothing to do.
                let _ = me.settle(p, &order_no, true);
            });
        }
    }

    /// The simulated payer pays (`paid`) or fails the order; the pay notify is sent.
    pub fn settle(
        self: &Arc<Self>,
        p: ProviderKind,
        order_no: &str,
        paid: bool,
    ) -> Result<Order, SandboxError> {
        let order = {
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
            o.status = if paid {
                OrderStatus::Paid
            } else {
                OrderStatus::Failed
            };
            o.settled_at = Some(OffsetDateTime::now_utc());
            o.clone()
        };
        let event = if paid {
            NotifyEvent::PaySucceeded
        } else {
            NotifyEvent::PayFailed
        };
        if let Some(out) = providers::pay_notification(self, &order, event, None) {
            notify::deliver(self, p, &order.order_no, event, out);
        }
        Ok(order)
    }
}

impl Shared {
    /// Sends the pay notify of a settled order again, to `to` (or its usual address).
    pub fn resend_pay_notification(
        self: &Arc<Self>,
        p: ProviderKind,
        order_no: &str,
        to: Option<String>,
    ) -> Result<bool, SandboxError> {
        let order = self.store().order(p, order_no).cloned().ok_or_else(|| {
            SandboxError::OrderNotFound {
                provider: p,
                order_no: order_no.to_owned(),
            }
        })?;
        let event = match order.status {
            OrderStatus::Paid => NotifyEvent::PaySucceeded,
            OrderStatus::Failed => NotifyEvent::PayFailed,
            status => {
                return Err(SandboxError::NotSettled {
                    provider: p,
                    order_no: order_no.to_owned(),
                    status,
                });
            }
        };
        match providers::pay_notification(self, &order, event, to) {
            Some(out) => {
                notify::deliver(self, p, order_no, event, out);
                Ok(true)
            }
            None => Ok(false),
        }
    }
}
