//! Reading an answer: the HTTP status, then `result_code`, then the operation's fields.

use super::*;
use paysig::rawjson::MemberName;

/// Reads an answer: HTTP status, then `result_code`, then the operation's fields.
pub(super) fn decode<T>(
    operation: &'static str,
    resp: Response,
    parse: impl FnOnce(&[u8]) -> Result<T, serde_json::Error>,
) -> Result<T, Error> {
    let resp = resp
        .require_success()
        .map_err(crate::error::http(operation))?;
    let decode_error = |e: serde_json::Error| Error::Decode {
        operation,
        reason: e.to_string(),
    };
    // The status alone first (nothing allocated on success); the whole envelope only for a
    // refusal, to report its message.
    let status: Status = serde_json::from_slice(&resp.body).map_err(decode_error)?;
    if status.result_code != ResultCode::Ok {
        let envelope: Envelope = serde_json::from_slice(&resp.body).map_err(decode_error)?;
        return Err(Error::Api {
            operation,
            code: envelope.result_code,
            msg: envelope.result_msg.unwrap_or_default(),
            err_detail: envelope.err_detail,
        });
    }
    parse(&resp.body).map_err(|e| Error::Decode {
        operation,
        reason: e.to_string(),
    })
}

/// Reads an answer as [`decode`] does, in one pass over the body on success: the envelope's
/// members are taken aside while the rest is read into `T`. Anything unusual (a refusal, a
/// missing or repeated `result_code`, a body `T` cannot be read from) is read again by
/// [`decode`], so that its error is the same.
pub(super) fn decode_one<T: DeserializeOwned>(
    operation: &'static str,
    resp: Response,
) -> Result<T, Error> {
    if (200..300).contains(&resp.status)
        && let Ok(Tapped {
            value,
            result_code: Some(ResultCode::Ok),
            repeated: false,
        }) = serde_json::from_slice::<Tapped<T>>(&resp.body)
    {
        return Ok(value);
    }
    decode(operation, resp, |b| serde_json::from_slice(b))
}

/// `T` read from an answer object whose envelope members ([`Envelope`]'s) are set aside.
struct Tapped<T> {
    value: T,
    result_code: Option<ResultCode>,
    /// An envelope member came twice (the answer then has no one reading).
    repeated: bool,
}

impl<'de, T: serde::Deserialize<'de>> serde::Deserialize<'de> for Tapped<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(std::marker::PhantomData<T>);
        impl<'de, T: serde::Deserialize<'de>> serde::de::Visitor<'de> for V<T> {
            type Value = Tapped<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an answer object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Tapped<T>, A::Error> {
                let mut tap = Tap {
                    map,
                    result_code: None,
                    seen: [false; 3],
                    repeated: false,
                };
                let value = T::deserialize(serde::de::value::MapAccessDeserializer::new(&mut tap))?;
                Ok(Tapped {
                    value,
                    result_code: tap.result_code,
                    repeated: tap.repeated,
                })
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

/// The members of [`Envelope`], in the order of `Tap::seen`.
const ENVELOPE_MEMBERS: [&str; 3] = ["result_code", "result_msg", "err_detail"];

/// A map that hands every member to `T` but the envelope's, which it reads itself (the
/// texts only skipped: they matter only on a refusal, which is read again).
struct Tap<A> {
    map: A,
    result_code: Option<ResultCode>,
    seen: [bool; 3],
    repeated: bool,
}

impl<'de, A: serde::de::MapAccess<'de>> serde::de::MapAccess<'de> for &mut Tap<A> {
    type Error = A::Error;

    fn next_key_seed<K: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        use serde::de::IntoDeserializer;
        while let Some(MemberName(name)) = self.map.next_key::<MemberName<'de>>()? {
            let Some(i) = ENVELOPE_MEMBERS.iter().position(|m| *m == name) else {
                return match name {
                    std::borrow::Cow::Borrowed(n) => seed
                        .deserialize(serde::de::value::BorrowedStrDeserializer::new(n))
                        .map(Some),
                    std::borrow::Cow::Owned(n) => seed.deserialize(n.into_deserializer()).map(Some),
                };
            };
            self.repeated |= std::mem::replace(&mut self.seen[i], true);
            if i == 0 {
                self.result_code = Some(self.map.next_value()?);
            } else {
                self.map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(None)
    }

    fn next_value_seed<S: serde::de::DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<S::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

/// `result_code` of [`Envelope`], read without its texts.
#[derive(serde::Deserialize)]
struct Status {
    result_code: ResultCode,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::BillsPage;

    fn answer(status: u16, body: &str) -> Response {
        let url = Url::parse("http://127.0.0.1:1/1/rest/bills").unwrap();
        Response::new(url, status, body.as_bytes().to_vec())
    }

    const BILL: &str = r#"{"bill_no":"b1","total_fee":1,"channel":"WX","title":"t","spay_result":true,"created_time":1}"#;

    #[test]
    fn one_pass_reads_the_page_wherever_the_envelope_members_are() {
        for body in [
            format!(
                r#"{{"result_code":0,"result_msg":"OK","err_detail":"","count":1,"bills":[{BILL}]}}"#
            ),
            format!(
                r#"{{"count":1,"bills":[{BILL}],"err_detail":"","result_msg":"OK","result_code":0}}"#
            ),
            format!(r#"{{"count":1,"\u0072esult_code":0,"bills":[{BILL}]}}"#),
        ] {
            let page: BillsPage = decode_one("bills", answer(200, &body)).unwrap();
            let two_pass: BillsPage =
                decode("bills", answer(200, &body), |b| serde_json::from_slice(b)).unwrap();
            assert_eq!(page, two_pass, "{body}");
            assert_eq!(page.count, Some(1));
            assert_eq!(page.bills[0].bill_no, "b1");
        }
    }

    #[test]
    fn one_pass_errors_are_the_two_pass_ones() {
        let cases = [
            // A refusal, its message reported (the page fields absent or present).
            (
                200,
                r#"{"result_code":7,"result_msg":"NO_SUCH_BILL","err_detail":"none here"}"#,
            ),
            (
                200,
                r#"{"bills":[],"result_code":7,"result_msg":"NO_SUCH_BILL"}"#,
            ),
            // No result_code, a repeated one, no bills, a malformed bill, not JSON.
            (200, r#"{"bills":[]}"#),
            (200, r#"{"result_code":0,"bills":[],"result_code":7}"#),
            (200, r#"{"result_code":0,"result_msg":"OK"}"#),
            (200, r#"{"result_code":0,"bills":[{"bill_no":"b1"}]}"#),
            (200, "<html>"),
            (502, r#"{"result_code":0,"bills":[]}"#),
        ];
        for (status, body) in cases {
            let one = decode_one::<BillsPage>("bills", answer(status, body)).unwrap_err();
            let two =
                decode::<BillsPage>("bills", answer(status, body), |b| serde_json::from_slice(b))
                    .unwrap_err();
            assert_eq!(one.to_string(), two.to_string(), "{body}");
        }
        let e = decode_one::<BillsPage>(
            "bills",
            answer(
                200,
                r#"{"result_code":7,"result_msg":"NO_SUCH_BILL","err_detail":"none here"}"#,
            ),
        )
        .unwrap_err();
        assert!(
            matches!(e, Error::Api { ref msg, .. } if msg == "NO_SUCH_BILL"),
            "{e}"
        );
        let e = decode_one::<BillsPage>(
            "bills",
            answer(200, r#"{"result_code":0,"bills":[],"result_code":7}"#),
        )
        .unwrap_err();
        assert!(matches!(e, Error::Decode { .. }), "{e}");
    }
}
