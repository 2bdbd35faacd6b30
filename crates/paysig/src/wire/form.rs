//! The serde `Serializer` behind [`super::ToWire::to_params`]: a struct or map becomes
//! ordered pairs, each field one scalar written as text, `None` no pair at all.

use super::WireError;
use crate::Params;
use serde::Serialize;
use serde::ser::{self, Impossible};
use std::borrow::Cow;
use std::collections::HashSet;

/// The request itself: only a struct or a map has named fields.
pub(super) struct TopSerializer;

fn not_object<T>(kind: &'static str) -> Result<T, WireError> {
    Err(WireError::NotAnObject { kind })
}

impl ser::Serializer for TopSerializer {
    type Ok = Params;
    type Error = WireError;
    type SerializeSeq = Impossible<Params, WireError>;
    type SerializeTuple = Impossible<Params, WireError>;
    type SerializeTupleStruct = Impossible<Params, WireError>;
    type SerializeTupleVariant = Impossible<Params, WireError>;
    type SerializeMap = Pairs;
    type SerializeStruct = Pairs;
    type SerializeStructVariant = Impossible<Params, WireError>;

    fn serialize_bool(self, _: bool) -> Result<Params, WireError> {
        not_object("bool")
    }
    fn serialize_i8(self, _: i8) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_i16(self, _: i16) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_i32(self, _: i32) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_i64(self, _: i64) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_u8(self, _: u8) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_u16(self, _: u16) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_u32(self, _: u32) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_u64(self, _: u64) -> Result<Params, WireError> {
        not_object("integer")
    }
    fn serialize_f32(self, _: f32) -> Result<Params, WireError> {
        not_object("float")
    }
    fn serialize_f64(self, _: f64) -> Result<Params, WireError> {
        not_object("float")
    }
    fn serialize_char(self, _: char) -> Result<Params, WireError> {
        not_object("string")
    }
    fn serialize_str(self, _: &str) -> Result<Params, WireError> {
        not_object("string")
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Params, WireError> {
        not_object("bytes")
    }
    fn serialize_none(self) -> Result<Params, WireError> {
        not_object("none")
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Params, WireError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Params, WireError> {
        not_object("unit")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Params, WireError> {
        not_object("unit")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<Params, WireError> {
        not_object("enum variant")
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Params, WireError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Params, WireError> {
        not_object("enum variant")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, WireError> {
        not_object("sequence")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, WireError> {
        not_object("tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, WireError> {
        not_object("tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, WireError> {
        not_object("enum variant")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Pairs, WireError> {
        Ok(Pairs::default())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Pairs, WireError> {
        Ok(Pairs::default())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, WireError> {
        not_object("enum variant")
    }
}

/// The pairs written so far, and the key of a map entry whose value is next.
#[derive(Default)]
pub(super) struct Pairs {
    params: Params,
    /// Every name written, once there are more than [`LINEAR`] (fewer are compared in place).
    seen: Option<HashSet<String>>,
    key: Option<String>,
}

/// Up to this many pairs, a repeated name is looked for among the pairs themselves.
const LINEAR: usize = 32;

/// A field's name: a struct's, which lives as long as the program, or a map key, owned.
enum Name {
    Static(&'static str),
    Owned(String),
}

impl Name {
    fn as_str(&self) -> &str {
        match self {
            Name::Static(s) => s,
            Name::Owned(s) => s,
        }
    }
}

impl Pairs {
    fn field<T: ?Sized + Serialize>(&mut self, name: Name, value: &T) -> Result<(), WireError> {
        // Written in place after the values before it: no `String` per value.
        let out = self.params.value_buffer();
        let start = out.len();
        let written = value.serialize(Scalar {
            field: name.as_str(),
            out,
        })?;
        if written.is_none() {
            return Ok(());
        }
        if self.repeats(name.as_str()) {
            return Err(WireError::DuplicateField {
                field: name.as_str().to_owned(),
            });
        }
        let key = match name {
            Name::Static(n) => Cow::Borrowed(n),
            Name::Owned(n) => Cow::Owned(n),
        };
        self.params.push_written(key, start);
        Ok(())
    }

    /// Whether `name` was written already: a scan of the few pairs, a set beyond them.
    fn repeats(&mut self, name: &str) -> bool {
        if self.seen.is_none() && self.params.len() < LINEAR {
            return self.params.keys().any(|k| k == name);
        }
        let params = &self.params;
        let seen = self
            .seen
            .get_or_insert_with(|| params.keys().map(str::to_owned).collect());
        !seen.insert(name.to_owned())
    }
}

impl ser::SerializeStruct for Pairs {
    type Ok = Params;
    type Error = WireError;
    fn serialize_field<T: ?Sized + Serialize>(
        &mut self,
        name: &'static str,
        value: &T,
    ) -> Result<(), WireError> {
        self.field(Name::Static(name), value)
    }
    fn skip_field(&mut self, _: &'static str) -> Result<(), WireError> {
        Ok(())
    }
    fn end(self) -> Result<Params, WireError> {
        Ok(self.params)
    }
}

impl ser::SerializeMap for Pairs {
    type Ok = Params;
    type Error = WireError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), WireError> {
        let mut k = String::new();
        match key.serialize(Scalar {
            field: "(key)",
            out: &mut k,
        })? {
            Some(()) => {
                self.key = Some(k);
                Ok(())
            }
            None => Err(WireError::Unsupported {
                field: "(key)".into(),
                kind: "none",
            }),
        }
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), WireError> {
        let key = self.key.take().ok_or_else(|| WireError::Serialize {
            reason: "a map value without a key".into(),
        })?;
        self.field(Name::Owned(key), value)
    }
    fn end(self) -> Result<Params, WireError> {
        Ok(self.params)
    }
}

/// One field's value, appended to `out`: `Some(())`, or `None` (nothing written) for an
/// absent field.
struct Scalar<'a> {
    field: &'a str,
    out: &'a mut String,
}

impl Scalar<'_> {
    fn text(self, v: &str) -> Result<Text, WireError> {
        self.out.push_str(v);
        Ok(Some(()))
    }

    /// Decimal digits, two at a time, without the formatting machinery (amounts in fen and
    /// timestamps are written so).
    fn unsigned(self, mut v: u64) -> Result<Text, WireError> {
        const PAIRS: &[u8; 200] = b"0001020304050607080910111213141516171819\
            2021222324252627282930313233343536373839\
            4041424344454647484950515253545556575859\
            6061626364656667686970717273747576777879\
            8081828384858687888990919293949596979899";
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        while v >= 100 {
            let pair = 2 * (v % 100) as usize;
            v /= 100;
            at -= 2;
            digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        }
        if v >= 10 {
            let pair = 2 * v as usize;
            at -= 2;
            digits[at..at + 2].copy_from_slice(&PAIRS[pair..pair + 2]);
        } else {
            at -= 1;
            digits[at] = b'0' + v as u8;
        }
        // ASCII digits only.
        let text = std::str::from_utf8(&digits[at..]).unwrap_or_default();
        self.text(text)
    }

    fn signed(self, v: i64) -> Result<Text, WireError> {
        if v < 0 {
            self.out.push('-');
        }
        self.unsigned(v.unsigned_abs())
    }

    fn display(self, v: impl std::fmt::Display) -> Result<Text, WireError> {
        use std::fmt::Write;
        // Writing into a `String` cannot fail.
        let _ = write!(self.out, "{v}");
        Ok(Some(()))
    }
}

impl Scalar<'_> {
    fn unsupported<T>(&self, kind: &'static str) -> Result<T, WireError> {
        Err(WireError::Unsupported {
            field: self.field.to_owned(),
            kind,
        })
    }
}

type Text = Option<()>;

impl ser::Serializer for Scalar<'_> {
    type Ok = Text;
    type Error = WireError;
    type SerializeSeq = Impossible<Text, WireError>;
    type SerializeTuple = Impossible<Text, WireError>;
    type SerializeTupleStruct = Impossible<Text, WireError>;
    type SerializeTupleVariant = Impossible<Text, WireError>;
    type SerializeMap = Impossible<Text, WireError>;
    type SerializeStruct = Impossible<Text, WireError>;
    type SerializeStructVariant = Impossible<Text, WireError>;

    fn serialize_bool(self, v: bool) -> Result<Text, WireError> {
        self.text(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<Text, WireError> {
        self.signed(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<Text, WireError> {
        self.signed(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<Text, WireError> {
        self.signed(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<Text, WireError> {
        self.signed(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Text, WireError> {
        self.display(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Text, WireError> {
        self.unsigned(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<Text, WireError> {
        self.unsigned(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<Text, WireError> {
        self.unsigned(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<Text, WireError> {
        self.unsigned(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Text, WireError> {
        self.display(v)
    }
    // Money is integer fen or decimal text; a float on the wire would be a rounding away.
    fn serialize_f32(self, _: f32) -> Result<Text, WireError> {
        self.unsupported("float")
    }
    fn serialize_f64(self, _: f64) -> Result<Text, WireError> {
        self.unsupported("float")
    }
    fn serialize_char(self, v: char) -> Result<Text, WireError> {
        self.display(v)
    }
    fn serialize_str(self, v: &str) -> Result<Text, WireError> {
        self.text(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<Text, WireError> {
        self.unsupported("byte string")
    }
    fn serialize_none(self) -> Result<Text, WireError> {
        Ok(None)
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<Text, WireError> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Text, WireError> {
        self.unsupported("unit")
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<Text, WireError> {
        self.unsupported("unit")
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<Text, WireError> {
        self.text(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<Text, WireError> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<Text, WireError> {
        self.unsupported("enum variant with data")
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, WireError> {
        self.unsupported("sequence")
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, WireError> {
        self.unsupported("tuple")
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, WireError> {
        self.unsupported("tuple")
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, WireError> {
        self.unsupported("enum variant with data")
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, WireError> {
        self.unsupported("map")
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, WireError> {
        self.unsupported("struct")
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, WireError> {
        self.unsupported("enum variant with data")
    }
}

#[cfg(test)]
mod tests {
    use crate::wire::{ToWire, WireError};
    use serde::ser::{Serialize, SerializeMap, Serializer};

    /// A map written with the given keys, in order, repeats included.
    struct Entries(Vec<String>);

    impl Serialize for Entries {
        fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            let mut m = s.serialize_map(Some(self.0.len()))?;
            for (i, k) in self.0.iter().enumerate() {
                m.serialize_entry(k, &i)?;
            }
            m.end()
        }
    }

    #[test]
    fn a_repeated_name_is_refused_among_few_pairs_and_among_many() {
        for n in [3usize, 31, 32, 33, 80] {
            let names: Vec<String> = (0..n).map(|i| format!("k{i}")).collect();
            let params = Entries(names.clone()).to_params().unwrap();
            assert_eq!(params.len(), n);
            assert_eq!(params.get("k0"), Some("0"));
            for repeat in [0, n / 2, n - 1] {
                let mut with = names.clone();
                with.push(format!("k{repeat}"));
                match Entries(with).to_params() {
                    Err(WireError::DuplicateField { field }) => {
                        assert_eq!(field, format!("k{repeat}"), "{n} pairs")
                    }
                    other => panic!("{n} pairs, k{repeat} twice: {other:?}"),
                }
            }
        }
    }

    #[derive(serde::Serialize)]
    struct Ints {
        a: i64,
        b: i64,
        c: u64,
        d: u64,
        e: i8,
        f: u16,
        g: i32,
        h: u128,
    }

    #[test]
    fn integers_are_written_as_their_display() {
        let cases = [
            Ints {
                a: i64::MIN,
                b: -1,
                c: u64::MAX,
                d: 0,
                e: i8::MIN,
                f: u16::MAX,
                g: -10,
                h: u128::MAX,
            },
            Ints {
                a: i64::MAX,
                b: 0,
                c: 10,
                d: 9,
                e: 0,
                f: 100,
                g: i32::MIN,
                h: 0,
            },
        ];
        for v in cases {
            let p = v.to_params().unwrap();
            let expected = [
                v.a.to_string(),
                v.b.to_string(),
                v.c.to_string(),
                v.d.to_string(),
                v.e.to_string(),
                v.f.to_string(),
                v.g.to_string(),
                v.h.to_string(),
            ];
            let got: Vec<&str> = p.iter().map(|(_, x)| x).collect();
            assert_eq!(got, expected);
        }
        #[derive(serde::Serialize)]
        struct One {
            v: u64,
        }
        let powers = (0..20).map(|e| 10u64.pow(e));
        let around = powers.flat_map(|p| [p - 1, p, p + 1]);
        for v in (0..10_000).chain(around).chain([u64::MAX, u64::MAX - 1]) {
            let p = One { v }.to_params().unwrap();
            assert_eq!(p.get("v"), Some(v.to_string().as_str()));
        }
    }
}
