//! [`code_enum!`](crate::code_enum): the one way a provider crate declares a code enum.
//!
//! A provider may add codes at any time; a new one must reach the caller as received, never be
//! folded into a known one. So every code enum has an `Unknown` arm holding the raw value, and
//! reads leniently (a JSON number where a string is documented, and the reverse).

/// Declares a provider code enum with an `Unknown` arm that keeps the raw value.
///
/// Two forms, by the wire type of the code:
/// - `string Name { Variant = "raw", ... }`: `Unknown(String)`, `as_str()`, `From<&str>`,
///   `FromStr` (never fails), `Display` and `Serialize` as the raw text, lenient
///   `Deserialize` (a JSON number is read as its text).
/// - `int Name { Variant = 1, ... }`: `Unknown(i64)` (the raw value is a number, kept as one),
///   `code()`, `From<i64>`, `FromStr` (decimal digits), `Display` as the number, `Serialize`
///   as the integer, lenient `Deserialize` (a digit string is read as its number).
///
/// Both derive `Debug, Clone, PartialEq, Eq, Hash` (and `Copy` for `int`).
///
/// ```
/// paysig::code_enum! {
///     /// A state.
///     int State {
///         /// 0: paid.
///         Paid = 0,
///     }
/// }
/// paysig::code_enum! {
///     /// A channel.
///     string Channel {
///         /// `WX`: WeChat.
///         WeChat = "WX",
///     }
/// }
/// assert_eq!(State::from(0), State::Paid);
/// assert_eq!(State::from(7), State::Unknown(7));
/// assert_eq!("3".parse::<State>().unwrap(), State::Unknown(3));
/// assert_eq!(Channel::from("ALI"), Channel::Unknown("ALI".into()));
/// assert_eq!(Channel::WeChat.as_str(), "WX");
/// let c: Channel = serde_json::from_str("\"WX\"").unwrap();
/// assert_eq!(c.to_string(), "WX");
/// ```
#[macro_export]
macro_rules! code_enum {
    (
        $(#[$meta:meta])*
        string $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $raw:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value the document does not list, kept as received.
            Unknown(String),
        }

        impl $name {
            /// The wire value.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $raw, )*
                    $name::Unknown(raw) => raw.as_str(),
                }
            }
        }

        impl ::core::convert::From<&str> for $name {
            fn from(raw: &str) -> Self {
                match raw {
                    $( $raw => $name::$variant, )*
                    other => $name::Unknown(other.to_owned()),
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::convert::Infallible;
            fn from_str(raw: &str) -> ::core::result::Result<Self, Self::Err> {
                Ok($name::from(raw))
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::lenient::string(d).map(|s| $name::from(s.as_str()))
            }
        }
    };
    (
        $(#[$meta:meta])*
        int $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $raw:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value the document does not list, kept as received.
            Unknown(i64),
        }

        impl $name {
            /// The wire value.
            pub fn code(self) -> i64 {
                match self {
                    $( $name::$variant => $raw, )*
                    $name::Unknown(raw) => raw,
                }
            }
        }

        impl ::core::convert::From<i64> for $name {
            fn from(raw: i64) -> Self {
                match raw {
                    $( $raw => $name::$variant, )*
                    other => $name::Unknown(other),
                }
            }
        }

        impl ::core::str::FromStr for $name {
            type Err = ::core::num::ParseIntError;
            fn from_str(raw: &str) -> ::core::result::Result<Self, Self::Err> {
                raw.parse::<i64>().map($name::from)
            }
        }

        impl ::core::fmt::Display for $name {
            fn fmt(&self, f: &mut ::core::fmt::Formatter<'_>) -> ::core::fmt::Result {
                write!(f, "{}", self.code())
            }
        }

        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(
                &self,
                s: S,
            ) -> ::core::result::Result<S::Ok, S::Error> {
                s.serialize_i64(self.code())
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(
                d: D,
            ) -> ::core::result::Result<Self, D::Error> {
                $crate::lenient::number::<D, i64>(d).map($name::from)
            }
        }
    };
}

#[cfg(test)]
mod tests {
    crate::code_enum! {
        /// Test codes.
        int Num {
            /// 1.
            One = 1,
            /// -1.
            MinusOne = -1,
        }
    }
    crate::code_enum! {
        /// Test codes.
        string Text {
            /// "a".
            A = "a",
        }
    }

    #[test]
    fn unknown_values_keep_their_raw_form() {
        assert_eq!(Num::from(-1), Num::MinusOne);
        assert_eq!(Num::from(9), Num::Unknown(9));
        assert_eq!(Num::Unknown(9).code(), 9);
        assert_eq!(serde_json::from_str::<Num>("\"1\"").unwrap(), Num::One);
        assert_eq!(serde_json::from_str::<Num>("-1").unwrap(), Num::MinusOne);
        assert!(serde_json::from_str::<Num>("\"x\"").is_err());
        assert!("x".parse::<Num>().is_err());
        assert_eq!(serde_json::to_string(&Num::Unknown(9)).unwrap(), "9");
        assert_eq!(Text::from("b"), Text::Unknown("b".into()));
        assert_eq!(
            serde_json::from_str::<Text>("7").unwrap(),
            Text::Unknown("7".into())
        );
        assert_eq!(serde_json::to_string(&Text::A).unwrap(), "\"a\"");
        assert_eq!(Text::Unknown("b".into()).to_string(), "b");
    }
}
