//! [`Reply`]: what every provider call returns on success.

/// A successful answer: the typed data, with the provider's message and request id where the
/// provider sends them.
///
/// Derefs to the data, so `reply.field` reads the data's field; [`Reply::into_inner`] takes
/// the data out.
///
/// ```
/// use paysig::Reply;
///
/// let reply = Reply::new(42_u32).with_request_id(Some("req-1".into()));
/// assert_eq!(*reply, 42);
/// assert_eq!(reply.request_id.as_deref(), Some("req-1"));
/// assert_eq!(reply.into_inner(), 42);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply<T> {
    /// The typed data of the answer.
    pub data: T,
    /// The provider's message (e.g. `"ok"`, `"success"`), when it sends one.
    pub msg: Option<String>,
    /// The provider's request id, for support requests, when it sends one.
    pub request_id: Option<String>,
}

impl<T> Reply<T> {
    /// A reply holding only data (a provider that sends neither message nor request id).
    pub fn new(data: T) -> Self {
        Reply {
            data,
            msg: None,
            request_id: None,
        }
    }

    /// The same reply with the provider's message.
    pub fn with_msg(mut self, msg: Option<String>) -> Self {
        self.msg = msg;
        self
    }

    /// The same reply with the provider's request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.request_id = request_id;
        self
    }

    /// The data, without message and request id.
    pub fn into_inner(self) -> T {
        self.data
    }

    /// The same reply around other data (message and request id kept).
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Reply<U> {
        Reply {
            data: f(self.data),
            msg: self.msg,
            request_id: self.request_id,
        }
    }
}

impl<T> std::ops::Deref for Reply<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.data
    }
}

impl<T> std::ops::DerefMut for Reply<T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.data
    }
}
