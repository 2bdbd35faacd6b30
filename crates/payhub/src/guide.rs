//! # Walkthrough: from `payhub sandbox` to a verified notify in your own axum app
//!
//! Every Rust snippet below compiles (they are doctests). The runnable whole is
//! `crates/payhub/examples/axum_webhooks.rs`, which starts the sandbox in-process instead.
//!
//! ## 1. Start the sandbox
//!
//! The sandbox speaks all four providers' protocols on loopback, with sandbox-only keys:
//!
//! ```sh
//! cargo install --path crates/payhub-cli    # the `payhub` binary
//! payhub sandbox                            # keys kept in ./.payhub-sandbox
//! ```
//!
//! It prints each provider's base URL, a `payhub.toml` for this sandbox (save it, or let
//! `payhub sandbox --write-config payhub.toml` write it), and `export` lines that put its
//! secrets into environment variables. Run those lines in the shell that starts your app:
//! the TOML names the variables, never the secrets. Leave the sandbox running.
//!
//! ## 2. Depend on `payhub`
//!
//! ```toml
//! [dependencies]
//! payhub = { version = "0.1", features = ["axum"] }   # all four providers by default
//! axum = "0.8"
//! tokio = { version = "1", features = ["rt-multi-thread", "macros", "net"] }
//! ```
//!
//! `payhub` re-exports what its signatures use ([`Money`](crate::Money),
//! [`Verified`](crate::Verified), [`SecretString`](crate::SecretString), the
//! [`async_trait`](macro@crate::async_trait) attribute, the provider crates), so it is the only payhub
//! crate you list.
//!
//! ## 3. Build the hub from the file
//!
//! ```no_run
//! let hub = payhub::Hub::from_path("payhub.toml")?;
//! println!("configured: {:?}", hub.providers());
//! # Ok::<(), payhub::Error>(())
//! ```
//!
//! A misspelt key, a missing variable or a bad key is an [`Error::Config`](crate::Error::Config)
//! naming the key (and its line) or the variable, never a secret. Every key:
//! [`crate::config`].
//!
//! ## 4. Let the hub see your orders
//!
//! The hub checks every notify against the order you created: unknown order or another
//! amount, and the notify is refused. [`MemoryOrders`](crate::notify::MemoryOrders) does for
//! a test; in your app, implement [`OrderLookup`](crate::OrderLookup) over your table:
//!
//! ```
//! use payhub::{BoxError, Money, OrderLookup, OrderRecord, Provider};
//!
//! struct Orders(/* your database pool */);
//!
//! #[payhub::async_trait]
//! impl OrderLookup for Orders {
//!     async fn find_order(
//!         &self,
//!         provider: Provider,
//!         order_no: &str,
//!     ) -> Result<Option<OrderRecord>, BoxError> {
//!         // SELECT amount_fen FROM orders WHERE provider = $1 AND order_no = $2
//!         let amount_fen: Option<u64> = None;
//!         Ok(amount_fen.map(|fen| OrderRecord { amount: Money::from_fen(fen) }))
//!     }
//! }
//! ```
//!
//! ## 5. Say what a paid order does
//!
//! Your [`NotificationHandler`](crate::axum::NotificationHandler) receives each notify once it
//! is verified, matched to its order and de-duplicated. The provider is acknowledged only
//! when it returns `Ok`; an `Err` makes the provider send it again. Make it idempotent on
//! [`Notification::dedup_key`](crate::Notification::dedup_key) (see [`crate::notify`]).
//!
//! ```
//! use payhub::axum::NotificationHandler;
//! use payhub::{BoxError, Notification, PaymentStatus, Verified};
//!
//! struct Fulfil;
//!
//! #[payhub::async_trait]
//! impl NotificationHandler for Fulfil {
//!     async fn handle(&self, event: Verified<Notification>) -> Result<(), BoxError> {
//!         if event.status == PaymentStatus::Succeeded {
//!             // UPDATE orders SET paid = true WHERE ... (with event.dedup_key() in the
//!             // same transaction)
//!             println!("paid: {} {} {}", event.provider, event.order_no, event.amount);
//!         }
//!         Ok(())
//!     }
//! }
//! ```
//!
//! ## 6. Mount the notify route and create a payment
//!
//! ```no_run
//! # use payhub::axum::NotificationHandler;
//! # use payhub::{BoxError, Notification, Verified};
//! # struct Fulfil;
//! # #[payhub::async_trait]
//! # impl NotificationHandler for Fulfil {
//! #     async fn handle(&self, _: Verified<Notification>) -> Result<(), BoxError> { Ok(()) }
//! # }
//! use payhub::axum::notify_router;
//! use payhub::notify::MemoryOrders;
//! use payhub::{Hub, Money, PayMethod, PaymentRequest, Provider};
//! use std::sync::Arc;
//!
//! #[tokio::main]
//! async fn main() -> Result<(), Box<dyn std::error::Error>> {
//!     let hub = Arc::new(Hub::from_path("payhub.toml")?);
//!     let orders = Arc::new(MemoryOrders::default());
//!     let app = axum::Router::new().nest(
//!         "/payhub",
//!         notify_router(hub.clone(), orders.clone(), Arc::new(Fulfil)),
//!     );
//!     let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//!     let server = tokio::spawn(async move { axum::serve(listener, app).await });
//!
//!     // Record the order, then create it; the notify comes back to our route.
//!     let amount = Money::parse_yuan("9.90")?;
//!     orders.insert(Provider::Sunmi, "T1001", amount);
//!     let created = hub
//!         .create_payment(
//!             Provider::Sunmi,
//!             &PaymentRequest::new(
//!                 "T1001",
//!                 amount,
//!                 "iced tea",
//!                 "http://127.0.0.1:3000/payhub/notify/sunmi",
//!                 PayMethod::WechatMini { app_id: "wx1".into(), open_id: "o1".into() },
//!             ),
//!         )
//!         .await?;
//!     println!("{:?}", created.action);
//!     server.await??; // serve notifies until stopped
//!     Ok(())
//! }
//! ```
//!
//! ## 7. Pay in the sandbox
//!
//! The simulated payer pays order `T1001` on the sandbox's Sunmi port (printed in step 1):
//!
//! ```sh
//! curl -X POST http://127.0.0.1:<sunmi port>/_sandbox/orders/T1001/pay
//! ```
//!
//! (or click it on the sandbox's dashboard). The sandbox signs a Sunmi notify with its key and
//! posts it to the order's `notify_url`; your route verifies it, finds `T1001` with 9.90,
//! calls `Fulfil`, and answers Sunmi's `success`. `paid: sunmi T1001 9.90` is printed.
//!
//! To send a notify to your route without creating an order yourself:
//! `payhub trigger sunmi pay-success --to http://127.0.0.1:3000/payhub/notify/sunmi`.
//!
//! ## 8. When a notify is refused
//!
//! The route answers a short reason code (`verification_failed`, `order_mismatch`,
//! `body_too_large`, ...: the table is in [`crate::axum`]) and logs the details with
//! `tracing`. Install a subscriber to read them (`RUST_LOG=payhub=debug`; see
//! [`crate::axum`]'s "Logging"). The sandbox's dashboard and `GET /_sandbox/notifications`
//! show each delivery attempt and the answer it got.
//!
//! ## 9. Go live
//!
//! In `payhub.toml`, replace each `base_url` with `environment = "production"` and the
//! sandbox's identifiers with yours; export your real secrets under the same variable names.
//! Your code does not change.
