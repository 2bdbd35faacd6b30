//! A serialized JSON object written again with one member set (a per-attempt nonce), in the
//! member order of `serde_json::Map`, without building the map.

use super::{WireError, json_error};
use crate::rawjson::MemberName;
use serde::Serialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use std::borrow::Cow;
use std::fmt;

/// Up to this many members are kept on the stack; a larger object takes a vector.
const STACK_MEMBERS: usize = 32;

/// The JSON object `object` (compact, as serde_json writes it) with the member `name` set to
/// `value`: the bytes of reading `object` into a `serde_json::Map`, `insert(name, value)`,
/// then writing it compactly. Members are in key order and `name` replaces a member of that
/// name. Neither the map nor owned copies of the members are made: a flat object of text
/// and integer members (every request body) is read in place; one with nested objects,
/// arrays, fractional numbers or escaped names goes through the map itself.
///
/// ```
/// use paysig::wire::json_with_member;
/// let bytes = json_with_member(br#"{"d":"x","b":1}"#, "c", "n0nce").unwrap();
/// assert_eq!(bytes, br#"{"b":1,"c":"n0nce","d":"x"}"#);
/// assert!(json_with_member(b"[1]", "c", "n").is_err());
/// ```
pub fn json_with_member(
    object: &[u8],
    name: &str,
    value: &(impl Serialize + ?Sized),
) -> Result<Vec<u8>, WireError> {
    let mut stack = [("", None::<&RawValue>); STACK_MEMBERS];
    let mut heap = Vec::new();
    let mut reader = serde_json::Deserializer::from_slice(object);
    let read = (&mut reader)
        .deserialize_map(Members {
            stack: &mut stack,
            heap: &mut heap,
            len: 0,
        })
        .and_then(|flat| reader.end().map(|()| flat));
    let members: &mut [(&str, Option<&RawValue>)] = match read {
        Ok(Flat::Stack(n)) => &mut stack[..n],
        Ok(Flat::Heap) => &mut heap,
        Ok(Flat::Nested) => return through_map(object, name, value),
        Err(e) => {
            return Err(WireError::NotAnObject {
                kind: kind_of(object, &e),
            });
        }
    };
    // A later member of the same name wins, as in the map.
    members.sort_by(|a, b| a.0.cmp(b.0));
    let mut out = Vec::with_capacity(object.len() + 64);
    out.push(b'{');
    let mut first = true;
    let mut placed = false;
    let mut i = 0;
    while i < members.len() {
        let (k, v) = members[i];
        // Equal names sort together, in their order (a stable sort): keep the last.
        if members.get(i + 1).is_some_and(|next| next.0 == k) {
            i += 1;
            continue;
        }
        i += 1;
        if !placed && k >= name {
            member(&mut out, &mut first, name)?;
            serde_json::to_writer(&mut out, value).map_err(json_error)?;
            placed = true;
            if k == name {
                continue;
            }
        }
        member(&mut out, &mut first, k)?;
        out.extend_from_slice(v.map_or("null", RawValue::get).as_bytes());
    }
    if !placed {
        member(&mut out, &mut first, name)?;
        serde_json::to_writer(&mut out, value).map_err(json_error)?;
    }
    out.push(b'}');
    Ok(out)
}

/// `"name":`, after a comma unless first.
fn member(out: &mut Vec<u8>, first: &mut bool, name: &str) -> Result<(), WireError> {
    if !std::mem::take(first) {
        out.push(b',');
    }
    serde_json::to_writer(&mut *out, name).map_err(json_error)?;
    out.push(b':');
    Ok(())
}

/// The general case, through the map itself.
fn through_map(
    object: &[u8],
    name: &str,
    value: &(impl Serialize + ?Sized),
) -> Result<Vec<u8>, WireError> {
    let mut map: serde_json::Map<String, serde_json::Value> =
        serde_json::from_slice(object).map_err(json_error)?;
    map.insert(
        name.to_owned(),
        serde_json::to_value(value).map_err(json_error)?,
    );
    serde_json::to_vec(&map).map_err(json_error)
}

fn kind_of(object: &[u8], e: &serde_json::Error) -> &'static str {
    match object.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'[') => "sequence",
        Some(b'"') => "string",
        Some(b't' | b'f') => "bool",
        Some(b'n') => "null",
        Some(b'-' | b'0'..=b'9') => "number",
        _ if e.is_syntax() || e.is_eof() => "invalid JSON",
        _ => "map",
    }
}

/// Where the members were put, or that the object is not flat (nested values, escaped
/// names).
enum Flat {
    Stack(usize),
    Heap,
    Nested,
}

/// Reads the members of a flat object, borrowed from the input.
struct Members<'s, 'a> {
    stack: &'s mut [(&'a str, Option<&'a RawValue>); STACK_MEMBERS],
    heap: &'s mut Vec<(&'a str, Option<&'a RawValue>)>,
    len: usize,
}

impl<'de: 'a, 'a> Visitor<'de> for Members<'_, 'a> {
    type Value = Flat;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<M: MapAccess<'de>>(mut self, mut map: M) -> Result<Flat, M::Error> {
        // A name with escapes cannot be borrowed: read as a `String`, it sends the whole
        // object through the map.
        while let Some(MemberName(key)) = map.next_key::<MemberName<'de>>()? {
            let value: &'de RawValue = map.next_value()?;
            let (Cow::Borrowed(key), true) = (key, flat(value.get())) else {
                // The rest is read too: the reader checks the object to its end.
                while map
                    .next_entry::<de::IgnoredAny, de::IgnoredAny>()?
                    .is_some()
                {}
                return Ok(Flat::Nested);
            };
            if self.len < STACK_MEMBERS {
                self.stack[self.len] = (key, Some(value));
            } else {
                if self.heap.is_empty() {
                    self.heap.extend_from_slice(&self.stack[..]);
                }
                self.heap.push((key, Some(value)));
            }
            self.len += 1;
        }
        Ok(if self.len <= STACK_MEMBERS {
            Flat::Stack(self.len)
        } else {
            Flat::Heap
        })
    }
}

/// Text, `true`/`false`/`null`, or an integer: written back exactly as the map would.
fn flat(raw: &str) -> bool {
    match raw.as_bytes().first() {
        Some(b'"' | b't' | b'f' | b'n') => true,
        Some(b'-' | b'0'..=b'9') => raw.bytes().all(|b| b == b'-' || b.is_ascii_digit()),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn through_the_map(object: &serde_json::Value, name: &str, value: &str) -> Vec<u8> {
        let mut map = object.as_object().unwrap().clone();
        map.insert(name.to_owned(), value.into());
        serde_json::to_vec(&map).unwrap()
    }

    /// Pinned to `Map::insert` + `to_vec`, on the fast path and the map path alike: should
    /// serde_json's members ever keep insertion order (its `preserve_order` feature), this
    /// fails rather than sending other bytes than were signed before.
    #[test]
    fn a_member_is_written_where_map_insert_puts_it() {
        let many: serde_json::Map<String, serde_json::Value> = (0..40)
            .rev()
            .map(|i| (format!("k{i:02}"), serde_json::Value::from(i)))
            .collect();
        let objects = [
            serde_json::json!({"b": 1, "d": "x\"é\u{1}", "f": true, "a": null, "n": -7}),
            serde_json::json!({"b": 1, "d": {"z": [1, "é"], "a": null}, "f": 1.5}),
            serde_json::json!({"q\"uoted": 1, "b": 2}),
            serde_json::json!({}),
            serde_json::Value::Object(many),
        ];
        for object in &objects {
            let bytes = serde_json::to_vec(object).unwrap();
            for name in [
                "a",
                "b",
                "c",
                "d",
                "f",
                "g",
                "k20",
                "nonce_str",
                "",
                "q\"uoted",
            ] {
                assert_eq!(
                    json_with_member(&bytes, name, "v\u{1}").unwrap(),
                    through_the_map(object, name, "v\u{1}"),
                    "{object} {name:?}"
                );
            }
        }
    }

    #[test]
    fn a_repeated_member_keeps_its_last_value_as_the_map_does() {
        let bytes = json_with_member(br#"{"b":1,"a":2,"b":3}"#, "n", &0).unwrap();
        assert_eq!(bytes, br#"{"a":2,"b":3,"n":0}"#);
    }

    #[test]
    fn anything_but_an_object_is_refused_with_its_kind() {
        for (json, kind) in [
            (&b"[1]"[..], "sequence"),
            (b"\"s\"", "string"),
            (b"7", "number"),
            (b"{\"a\":", "invalid JSON"),
            (b"{\"a\":1} {}", "invalid JSON"),
        ] {
            match json_with_member(json, "n", "v") {
                Err(WireError::NotAnObject { kind: k }) => assert_eq!(k, kind),
                other => panic!("{json:?}: {other:?}"),
            }
        }
    }
}
