//! Canonical parameter strings: which pairs are signed, in which order, how they are joined.

use crate::SignError;
use crate::params::Params;

/// Whether pairs with an empty value take part in the string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EmptyValues {
    /// `k=` stays in the string (Sunmi).
    Keep,
    /// Pairs with an empty value are left out.
    Drop,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Order {
    Sorted,
    Fixed(Vec<String>),
}

/// The rules that turn [`Params`] into the string that is signed.
///
/// ```
/// use paysig::{CanonicalRules, Params};
/// let p = Params::new().with("b", "2").with("sign", "X").with("a", "").with("c", "3");
/// let rules = CanonicalRules::sorted().exclude(["sign"]);
/// assert_eq!(rules.build(&p).unwrap(), "a=&b=2&c=3");
/// assert_eq!(rules.clone().drop_empty().build(&p).unwrap(), "b=2&c=3");
/// let fixed = CanonicalRules::fixed(["c", "b"]);
/// assert_eq!(fixed.build(&p).unwrap(), "c=3&b=2");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanonicalRules {
    order: Order,
    exclude: Vec<String>,
    empty: EmptyValues,
}

impl CanonicalRules {
    /// All pairs sorted by key bytes (ASCII order), empty values kept.
    pub fn sorted() -> Self {
        CanonicalRules {
            order: Order::Sorted,
            exclude: Vec::new(),
            empty: EmptyValues::Keep,
        }
    }

    /// Exactly these keys in this order; a key missing from the params is an error.
    pub fn fixed<I, S>(keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        CanonicalRules {
            order: Order::Fixed(keys.into_iter().map(Into::into).collect()),
            exclude: Vec::new(),
            empty: EmptyValues::Keep,
        }
    }

    /// Leaves these keys out (e.g. `sign`, image parameters).
    pub fn exclude<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.exclude.extend(keys.into_iter().map(Into::into));
        self
    }

    /// Leaves out pairs whose value is empty.
    pub fn drop_empty(mut self) -> Self {
        self.empty = EmptyValues::Drop;
        self
    }

    /// Keeps pairs whose value is empty (the default).
    pub fn keep_empty(mut self) -> Self {
        self.empty = EmptyValues::Keep;
        self
    }

    fn takes(&self, k: &str, v: &str) -> bool {
        !self.exclude.iter().any(|e| e == k) && (self.empty == EmptyValues::Keep || !v.is_empty())
    }

    /// Builds `k=v&k=v` (no secret appended; see [`crate::Md5Signer`] for that).
    pub fn build(&self, params: &Params) -> Result<String, SignError> {
        let mut out =
            String::with_capacity(params.iter().map(|(k, v)| k.len() + v.len() + 2).sum());
        self.write(params, |piece| out.push_str(piece))?;
        Ok(out)
    }

    /// Hands the canonical string to `sink` piece by piece, in order (`k`, `=`, `v`, `&`, ...),
    /// without building it: a signer feeds its hash directly. Returns whether anything was
    /// written (an empty canonical string changes how a key suffix is joined).
    pub(crate) fn write(
        &self,
        params: &Params,
        mut sink: impl FnMut(&str),
    ) -> Result<bool, SignError> {
        let mut any = false;
        let mut pair = |k: &str, v: &str| {
            if any {
                sink("&");
            }
            any = true;
            sink(k);
            sink("=");
            sink(v);
        };
        match &self.order {
            Order::Sorted => {
                let taken = || params.iter().filter(|(k, v)| self.takes(k, v));
                // Pairs that arrive in key order (a caller that builds them sorted) stream as
                // they are: no copy, no sort. `<=` keeps equal keys in arrival order, exactly
                // as the stable sort below would.
                if taken().is_sorted_by(|a, b| a.0.bytes().le(b.0.bytes())) {
                    for (k, v) in taken() {
                        pair(k, v);
                    }
                    return Ok(any);
                }
                // Up to this many pairs are sorted on the stack (every documented request
                // has fewer); more go to the heap.
                const ON_STACK: usize = 32;
                let mut stack = [("", ""); ON_STACK];
                let mut heap: Vec<(&str, &str)>;
                let pairs: &mut [(&str, &str)] = if params.len() <= ON_STACK {
                    let mut n = 0;
                    for p in taken() {
                        stack[n] = p;
                        n += 1;
                    }
                    &mut stack[..n]
                } else {
                    heap = taken().collect();
                    &mut heap
                };
                // Stable sort by raw key bytes. Byte by byte rather than `str::cmp`: keys are
                // short and mostly differ in their first bytes, where a memcmp call per
                // comparison costs more than the comparison. Same order as `str::cmp`.
                pairs.sort_by(|a, b| a.0.bytes().cmp(b.0.bytes()));
                for (k, v) in pairs.iter() {
                    pair(k, v);
                }
            }
            Order::Fixed(keys) => {
                for k in keys {
                    let v = params
                        .get(k)
                        .ok_or_else(|| SignError::MissingField { field: k.clone() })?;
                    if self.takes(k, v) {
                        pair(k, v);
                    }
                }
            }
        }
        Ok(any)
    }
}

impl CanonicalRules {
    /// Builds the string of a message *received*, and refuses it unless it has one reading.
    ///
    /// `k=v&k=v` is not escaped, so a value holding `&x=` produces the same bytes as a value
    /// and a separate field `x`: a signature over such a string would vouch for fields that
    /// were never signed apart. Read back (split at `&`, then at the first `=`), the string
    /// must give exactly the pairs that went in; it does exactly when no signed name is empty
    /// or holds `&` or `=`, and no signed value holds `&`. Anything else is
    /// [`SignError::Ambiguous`] naming the field. Use it for notifies; requests we build
    /// ourselves use [`CanonicalRules::build`].
    ///
    /// ```
    /// use paysig::{CanonicalRules, Params, SignError};
    /// let rules = CanonicalRules::sorted().exclude(["sign"]);
    /// let honest = Params::new().with("a", "1").with("b", "x=y");
    /// assert_eq!(rules.build_unambiguous(&honest).unwrap(), "a=1&b=x=y");
    /// // `a=1&b=2` could be a="1&b=2" or a="1", b="2": refused.
    /// let shifted = Params::new().with("a", "1&b=2");
    /// assert!(matches!(rules.build_unambiguous(&shifted), Err(SignError::Ambiguous { field }) if field == "a"));
    /// ```
    pub fn build_unambiguous(&self, params: &Params) -> Result<String, SignError> {
        for (k, v) in params.iter() {
            if !self.takes(k, v) {
                continue;
            }
            if let Order::Fixed(keys) = &self.order
                && !keys.iter().any(|f| f == k)
            {
                continue;
            }
            if k.is_empty() || k.contains(['&', '=']) || v.contains('&') {
                return Err(SignError::Ambiguous {
                    field: k.to_owned(),
                });
            }
        }
        self.build(params)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sunmi_documented_string_a() {
        // sunmi.txt §2.1.2 step 1.
        let p = Params::new()
            .with("orderId", "sda1212")
            .with("msn", "V206D88200036")
            .with("amount", "1")
            .with("oriOrderId", "148983452364238")
            .with("app_id", "sm5b9b4daef3463")
            .with("businessId", "453975342343")
            .with("charset", "utf8")
            .with("sign", "ignored");
        assert_eq!(
            CanonicalRules::sorted()
                .exclude(["sign"])
                .build(&p)
                .unwrap(),
            "amount=1&app_id=sm5b9b4daef3463&businessId=453975342343&charset=utf8&msn=V206D88200036&orderId=sda1212&oriOrderId=148983452364238"
        );
    }

    #[test]
    fn fixed_order_reports_the_missing_field() {
        let p = Params::new().with("a", "1");
        assert!(matches!(
            CanonicalRules::fixed(["a", "b"]).build(&p),
            Err(SignError::MissingField { field }) if field == "b"
        ));
    }

    #[test]
    fn one_reading_refuses_each_separator() {
        let rules = CanonicalRules::sorted().exclude(["sign"]);
        for (k, v) in [
            ("a", "1&b=2"),
            ("a", "&"),
            ("a=b", "1"),
            ("a&b", "1"),
            ("", "1"),
        ] {
            let p = Params::new().with(k, v).with("z", "9");
            assert_eq!(
                rules.build_unambiguous(&p),
                Err(SignError::Ambiguous { field: k.into() }),
                "{k:?}={v:?}"
            );
        }
        // Excluded and unsigned fields cannot make the signed string ambiguous.
        let p = Params::new().with("sign", "a&b").with("a", "x=y");
        assert_eq!(rules.build_unambiguous(&p).unwrap(), "a=x=y");
        let fixed = CanonicalRules::fixed(["a"]);
        let p = Params::new().with("a", "1").with("other", "&");
        assert_eq!(fixed.build_unambiguous(&p).unwrap(), "a=1");
    }

    #[test]
    fn sorted_input_streams_the_same_bytes_as_the_sort() {
        let rules = CanonicalRules::sorted().exclude(["sign"]);
        // Already in order, with a repeated key (push allows one): arrival order is kept,
        // as the stable sort keeps it.
        let sorted = Params::new()
            .with("a", "1")
            .with("b", "first")
            .with("b", "second")
            .with("sign", "X")
            .with("c", "");
        assert_eq!(rules.build(&sorted).unwrap(), "a=1&b=first&b=second&c=");
        let shuffled = Params::new()
            .with("c", "")
            .with("b", "first")
            .with("sign", "X")
            .with("a", "1")
            .with("b", "second");
        assert_eq!(
            rules.build(&shuffled).unwrap(),
            rules.build(&sorted).unwrap()
        );
        // Excluded and dropped pairs do not count as out of order.
        let p = Params::new().with("z", "").with("a", "1").with("b", "2");
        assert_eq!(rules.clone().drop_empty().build(&p).unwrap(), "a=1&b=2");
        assert_eq!(rules.build(&p).unwrap(), "a=1&b=2&z=");
    }
}
