//! The client's notify entry points. They live with the client, not in `notify`, so that
//! `notify` (parsing and the signature) does not depend on the client that calls it.

use super::Client;
use crate::NotifyError;
use crate::config::NotifyTrust;
use crate::model::{NotifyState, OrderState};
use crate::notify::{Notification, NotifyOutcome, parse_pairs_limited, verify_notify_limited};
use paysig::Verified;

impl Client {
    /// Verifies a notify body with the inferred signature scheme ([`crate::notify`]), an absent
    /// `param` treated as [`crate::Config::notify_absent_param`] says and a body longer than
    /// [`crate::Config::notify_body_limit`] refused unread, and checks that it is for this
    /// client's `mch_id`.
    /// The headers are not read (the inferred scheme carries everything in the body); they
    /// are taken so that the entry point is the same in every payhub provider crate.
    pub fn verify_notify(
        &self,
        _headers: &paysig::http::HeaderMap,
        body: &[u8],
    ) -> Result<Verified<Notification>, NotifyError> {
        let cfg = self.config();
        let n = verify_notify_limited(
            body,
            &cfg.secret,
            cfg.notify_absent_param,
            cfg.notify_body_limit,
        )?;
        self.check_merchant(&n.mch_id)?;
        Ok(n)
    }

    /// Confirms a notify by querying the order it names (mifeng.md §订单查询): the state and
    /// amount come from the query, the body only says which order to look at. For users who
    /// do not trust the unconfirmed signature scheme.
    pub async fn confirm_notify_by_query(&self, body: &[u8]) -> Result<NotifyOutcome, NotifyError> {
        let claimed = parse_pairs_limited(body, self.config().notify_body_limit)?;
        let order_no = claimed
            .get("order_no")
            .filter(|v| !v.is_empty())
            .ok_or_else(|| NotifyError::MissingField {
                field: "order_no".into(),
            })?
            .to_owned();
        let queried = self
            .query(&order_no)
            .await
            .map_err(|e| NotifyError::Query(Box::new(e)))?
            .data;
        self.check_merchant(&queried.mch_id)?;
        if let Some(out) = claimed.get("out_order_no")
            && out != queried.out_order_no
        {
            return Err(NotifyError::QueryMismatch {
                field: "out_order_no",
                notified: out.to_owned(),
                queried: queried.out_order_no,
            });
        }
        Ok(NotifyOutcome {
            order_no: queried.order_no.clone(),
            out_order_no: queried.out_order_no.clone(),
            paid: queried.state == OrderState::Success,
            money: queried.money,
            signed: None,
            queried: Some(queried),
        })
    }

    /// Handles a notify as [`crate::Config::notify_trust`] says. Answer [`crate::ACK`] only
    /// after `Ok`, [`NotifyOutcome::check_amount`] and fulfilment succeeded.
    ///
    /// With [`NotifyTrust::SignatureAndQuery`] (the default) the signed notify and the queried
    /// order must agree on order numbers, amount, and on "paid".
    pub async fn handle_notify(&self, body: &[u8]) -> Result<NotifyOutcome, NotifyError> {
        match self.config().notify_trust {
            NotifyTrust::QueryOnly => self.confirm_notify_by_query(body).await,
            NotifyTrust::SignatureOnly => {
                let signed = self.verify_notify(&paysig::http::HeaderMap::new(), body)?;
                Ok(NotifyOutcome {
                    order_no: signed.order_no.clone(),
                    out_order_no: signed.out_order_no.clone(),
                    paid: signed.state == NotifyState::Success,
                    money: signed.money,
                    signed: Some(signed),
                    queried: None,
                })
            }
            NotifyTrust::SignatureAndQuery => {
                let signed = self.verify_notify(&paysig::http::HeaderMap::new(), body)?;
                let mut outcome = self.confirm_notify_by_query(body).await?;
                if signed.money != outcome.money {
                    return Err(NotifyError::QueryMismatch {
                        field: "money",
                        notified: signed.money.to_yuan_string(),
                        queried: outcome.money.to_yuan_string(),
                    });
                }
                let signed_paid = signed.state == NotifyState::Success;
                if signed_paid != outcome.paid {
                    return Err(NotifyError::QueryMismatch {
                        field: "state",
                        notified: signed.state.to_string(),
                        queried: outcome
                            .queried
                            .as_ref()
                            .map(|q| q.state.to_string())
                            .unwrap_or_default(),
                    });
                }
                outcome.signed = Some(signed);
                Ok(outcome)
            }
        }
    }

    fn check_merchant(&self, got: &str) -> Result<(), NotifyError> {
        let expected = &self.config().mch_id;
        if got == expected {
            Ok(())
        } else {
            Err(NotifyError::MerchantMismatch {
                expected: expected.clone(),
                got: got.to_owned(),
            })
        }
    }
}
