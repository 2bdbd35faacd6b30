//! Starting, controlling and stopping the four servers.

use crate::credentials::{
    BeeCloudCredentials, MifengCredentials, PooulCredentials, SunmiCredentials,
};
use crate::received::{self, Received};
use crate::shared::Shared;
use crate::store::{NotificationRecord, Order};
use crate::{
    Faults, ProviderKind, SandboxConfig, SandboxError, control, dashboard, faults, providers,
};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use url::Url;

/// Entry point: `Sandbox::start(config).await`.
#[derive(Debug)]
pub struct Sandbox;

impl Sandbox {
    /// Generates the sandbox credentials and keys, binds one 127.0.0.1 port per provider and
    /// one for the dashboard, and serves them until [`RunningSandbox::shutdown`] (or drop, which aborts the servers).
    /// Must be called inside a Tokio runtime.
    pub async fn start(config: SandboxConfig) -> Result<RunningSandbox, SandboxError> {
        let ports = config.ports;
        let shared = Arc::new(Shared::new(config)?);
        let (stop_tx, stop_rx) = watch::channel(false);
        let received = Arc::new(Received::default());
        let mut urls = Vec::with_capacity(4);
        let mut servers = Vec::new();
        for p in ProviderKind::ALL {
            let port = match p {
                ProviderKind::Sunmi => ports.sunmi,
                ProviderKind::Pooul => ports.pooul,
                ProviderKind::BeeCloud => ports.beecloud,
                ProviderKind::Mifeng => ports.mifeng,
            };
            let listener =
                tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
                    .await
                    .map_err(|source| SandboxError::Bind {
                        provider: p,
                        source,
                    })?;
            let addr = listener.local_addr().map_err(|source| SandboxError::Bind {
                provider: p,
                source,
            })?;
            let url = Url::parse(&format!("http://{addr}/")).map_err(|e| SandboxError::Config {
                reason: format!("listening address {addr}: {e}"),
            })?;
            urls.push(url);
            let app = providers::router(p)
                .merge(control::router(p))
                .layer(axum::middleware::from_fn_with_state(
                    Arc::clone(&shared),
                    faults::inject,
                ))
                // Outermost: counts every request that arrived, faulted or not.
                .layer(axum::middleware::from_fn_with_state(
                    (Arc::clone(&received), p),
                    received::count,
                ))
                .with_state(Arc::clone(&shared));
            let mut rx = stop_rx.clone();
            servers.push(tokio::spawn(async move {
                let stopped = async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                };
                if let Err(e) = axum::serve(listener, app)
                    .with_graceful_shutdown(stopped)
                    .await
                {
                    tracing::warn!(provider = %p, error = %e, "sandbox server stopped");
                }
            }));
            tracing::info!(provider = %p, %addr, "sandbox listening");
        }
        shared.set_provider_urls(urls.iter().map(Url::to_string).collect());
        let listener =
            tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, ports.dashboard)))
                .await
                .map_err(|source| SandboxError::BindDashboard { source })?;
        let addr = listener
            .local_addr()
            .map_err(|source| SandboxError::BindDashboard { source })?;
        let dashboard_url =
            Url::parse(&format!("http://{addr}/")).map_err(|e| SandboxError::Config {
                reason: format!("listening address {addr}: {e}"),
            })?;
        let app = dashboard::router().with_state(Arc::clone(&shared));
        let mut rx = stop_rx.clone();
        servers.push(tokio::spawn(async move {
            let stopped = async move {
                let _ = rx.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, app)
                .with_graceful_shutdown(stopped)
                .await
            {
                tracing::warn!(error = %e, "sandbox dashboard stopped");
            }
        }));
        tracing::info!(%addr, "sandbox dashboard listening");
        Ok(RunningSandbox {
            shared,
            urls,
            dashboard_url,
            stop: stop_tx,
            servers,
            received,
        })
    }
}

/// A started sandbox. Dropping it aborts its servers; [`shutdown`](Self::shutdown) stops them
/// gracefully.
pub struct RunningSandbox {
    shared: Arc<Shared>,
    // In ProviderKind::ALL order.
    urls: Vec<Url>,
    dashboard_url: Url,
    stop: watch::Sender<bool>,
    servers: Vec<JoinHandle<()>>,
    received: Arc<Received>,
}

impl std::fmt::Debug for RunningSandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RunningSandbox")
            .field("urls", &self.urls)
            .field("dashboard_url", &self.dashboard_url)
            .finish_non_exhaustive()
    }
}

impl RunningSandbox {
    /// The base URL of a provider's server (`http://127.0.0.1:<port>/`): give it to the SDK
    /// client as `Environment::Custom(url)`; the documented paths follow it unchanged.
    pub fn base_url(&self, p: ProviderKind) -> Url {
        self.urls[p as usize].clone()
    }

    /// How many requests for `path` (e.g. `/v2/pay/pay`) reached `p`'s server, counted
    /// before any fault (a 5xx or a dropped answer still counts): a request the SDK reports
    /// as never sent must not be among them, and a create or refund sent once counts once.
    pub fn received(&self, p: ProviderKind, path: &str) -> u64 {
        self.received.get(p, path)
    }

    /// The dashboard (`http://127.0.0.1:<port>/`): the web page that shows and steers the
    /// sandbox, and the global control API (`/_sandbox/faults`, `/_sandbox/events`).
    pub fn dashboard_url(&self) -> Url {
        self.dashboard_url.clone()
    }

    /// The faults in force now (they start as [`SandboxConfig::faults`]) and their seed.
    pub fn faults(&self) -> (Faults, u64) {
        self.shared.faults()
    }

    /// Changes the faults while the sandbox runs (all providers, notifies included). With a
    /// `seed`, the fault draws restart from it, so the same requests meet the same faults.
    ///
    /// ```no_run
    /// # async fn demo(sandbox: payhub_sandbox::RunningSandbox) -> Result<(), payhub_sandbox::SandboxError> {
    /// use payhub_sandbox::Faults;
    /// use std::time::Duration;
    /// sandbox.set_faults(
    ///     Faults { latency: Duration::from_millis(300), error_5xx_ratio: 0.1, ..Faults::default() },
    ///     Some(7),
    /// )?;
    /// # Ok(()) }
    /// ```
    pub fn set_faults(&self, faults: Faults, seed: Option<u64>) -> Result<(), SandboxError> {
        self.shared.set_faults(faults, seed)
    }

    /// Sunmi credentials and the sandbox's Sunmi notify public key.
    pub fn sunmi(&self) -> &SunmiCredentials {
        &self.shared.sunmi
    }

    /// Pooul merchant id, merchant private key and platform public key.
    pub fn pooul(&self) -> &PooulCredentials {
        &self.shared.pooul
    }

    /// BeeCloud app id and secrets.
    pub fn beecloud(&self) -> &BeeCloudCredentials {
        &self.shared.beecloud
    }

    /// Mifeng mch_id and secret.
    pub fn mifeng(&self) -> &MifengCredentials {
        &self.shared.mifeng
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.shared.config
    }

    /// Sets (or clears) the app-level notify URL of a provider: Sunmi's configured callback,
    /// BeeCloud's webhook (BeeCloud requests carry no notify URL), and the fallback for Pooul
    /// and Mifeng orders created without one.
    pub fn set_notify_url(&self, p: ProviderKind, url: Option<Url>) {
        let mut store = self.shared.store();
        match url {
            Some(u) => store.default_notify.insert(p, u.to_string()),
            None => store.default_notify.remove(&p),
        };
    }

    /// The simulated payer pays the order (by merchant order number); its notify is sent.
    pub fn pay(&self, p: ProviderKind, order_no: &str) -> Result<Order, SandboxError> {
        self.shared.settle(p, order_no, true)
    }

    /// The simulated payer's payment fails.
    pub fn fail(&self, p: ProviderKind, order_no: &str) -> Result<Order, SandboxError> {
        self.shared.settle(p, order_no, false)
    }

    /// Adds an order as if it had been created through the provider's API, without the
    /// request (fixtures for a demo, a load test's stored orders). Its numbers (merchant,
    /// provider, Sunmi `platformId`, refund numbers) are indexed like a created order's.
    /// No notify is sent and auto-pay does not apply.
    ///
    /// Refused with [`SandboxError::OrderExists`] when its merchant or provider number is taken.
    pub fn insert_order(&self, order: Order) -> Result<(), SandboxError> {
        let mut store = self.shared.store();
        let p = order.provider;
        if store.order(p, &order.order_no).is_some()
            || store
                .order_by(p, crate::store::OrderKey::PlatformNo, &order.platform_no)
                .is_some()
        {
            return Err(SandboxError::OrderExists {
                provider: p,
                order_no: order.order_no,
            });
        }
        store.insert(order);
        Ok(())
    }

    /// The order expires unpaid: it is closed, as when the payer never pays.
    pub fn expire(&self, p: ProviderKind, order_no: &str) -> Result<Order, SandboxError> {
        self.shared.expire(p, order_no)
    }

    /// Sends the pay notify of a paid (or, for Mifeng, failed) order again, with the same
    /// retry schedule, to `to` or else to its usual address: a webhook trigger for a
    /// developer's endpoint. `Ok(false)` when the provider sends no notify for the outcome or
    /// there is no address.
    pub fn resend_pay_notify(
        &self,
        p: ProviderKind,
        order_no: &str,
        to: Option<Url>,
    ) -> Result<bool, SandboxError> {
        self.shared
            .resend_pay_notification(p, order_no, to.map(|u| u.to_string()))
    }

    /// This provider's sandbox credentials and keys as JSON (private keys as PKCS#8 PEM, the
    /// secrets in clear): what `GET /_sandbox/credentials` answers, for printing to a
    /// developer. Sandbox-only secrets.
    pub fn credentials_json(&self, p: ProviderKind) -> serde_json::Value {
        control::credentials_json(&self.shared, p)
    }

    /// The order as the sandbox holds it, by merchant order number.
    pub fn order_state(&self, p: ProviderKind, order_no: &str) -> Option<Order> {
        self.shared.store().order(p, order_no).cloned()
    }

    /// Every notification of a provider so far, with each delivery attempt.
    pub fn notifications_delivered(&self, p: ProviderKind) -> Vec<NotificationRecord> {
        self.shared
            .store()
            .notifications
            .iter()
            .filter(|n| n.provider == p)
            .cloned()
            .collect()
    }

    /// Waits until a notification of the order is acknowledged (polling every 5 ms), or
    /// `timeout` passes. Returns the acknowledged record.
    pub async fn wait_acknowledged(
        &self,
        p: ProviderKind,
        order_no: &str,
        timeout: Duration,
    ) -> Option<NotificationRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let found = self
                .shared
                .store()
                .notifications_of(p, order_no)
                .find(|n| n.acknowledged)
                .cloned();
            if found.is_some() || tokio::time::Instant::now() >= deadline {
                return found;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// Stops the servers (open connections get up to 2 s) and the pending notify deliveries.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        self.shared.abort_tasks();
        for server in self.servers.drain(..) {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(2), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.shared.abort_tasks();
        for server in &self.servers {
            server.abort();
        }
    }
}
