//! The packed form of a JSON document: what the server hands the offer Function as one string
//! (a metafield `value`), read in place by [`Packed`] without allocating or parsing.
//!
//! The Function's provider walks every value of its input before the one asked for and costs
//! hundreds of instructions per value, but skips a string in O(1). A JSON document packed into
//! one string is therefore nearly free to receive, and this layout makes it cheap to read:
//! every value says how long it is, so a reader skips what it does not need without decoding
//! it; an array has an offset table, so its element `i` is found in O(1); numbers are binary
//! digits, not decimal text. It is ASCII framing around the document's own UTF-8 strings, so the
//! packed form is a valid UTF-8 string (a GraphQL `String`).
//!
//! Layout, after the [`HEADER`] (`<n>` is an unsigned number in [varint digits](#numbers)):
//!
//! | value | encoding |
//! | --- | --- |
//! | null, true, false | `n`, `t`, `f` |
//! | integer `v` with \|v\| ≤ 2^53 | `i<v>`, or `m<-v>` when negative |
//! | any other number | `d<len><JSON text>` |
//! | string | `s<len><UTF-8 bytes>` |
//! | array | `a<body len><count><w><count offsets of w fixed digits><elements>` |
//! | object | `o<body len><count>` then per member `<key len><key><value>` |
//!
//! A body length counts from after its own digits to the end of the value; an array's offsets
//! count from the start of its elements; `w` is one fixed digit. Numbers are written most
//! significant first in base 16: a varint's last digit is one of `` ` `` to `o` (0x60–0x6F),
//! the digits before it `@` to `O` (0x40–0x4F); fixed digits are all of the first kind.
//!
//! A packed string is made by [`pack`] (on the server, from the merchant's JSON) and is never
//! trusted: a truncated or altered string reads as absent values, never a panic.

use crate::json::JsonNode;

/// The first bytes of a packed document: the layout's version.
pub const HEADER: &str = "EP1";

/// Integers above 2^53 in magnitude are not exact as the Wasm API's numbers: packed as other
/// numbers, as the Function has always read them.
const MAX_EXACT_INT: u64 = 1 << 53;

/// A varint has at most this many digits (64 bits); longer is a corrupt string.
const MAX_DIGITS: usize = 16;

/// A value inside a packed document, read in place.
#[derive(Clone, Copy, Debug)]
pub struct Packed<'a> {
    bytes: &'a [u8],
    text: &'a str,
    /// Where the value's tag is; past the end for a document that is not packed.
    at: usize,
}

impl<'a> Packed<'a> {
    /// The root value of a packed document. A string without the [`HEADER`] reads as a value
    /// of no kind (every accessor answers `None`).
    pub fn open(text: &'a str) -> Packed<'a> {
        let at = if text.starts_with(HEADER) {
            HEADER.len()
        } else {
            text.len()
        };
        Packed {
            bytes: text.as_bytes(),
            text,
            at,
        }
    }

    fn tag(&self) -> u8 {
        self.bytes.get(self.at).copied().unwrap_or(0)
    }

    /// Reads a varint at `at`: its value and the position after it.
    fn varint(&self, mut at: usize) -> Option<(u64, usize)> {
        let mut value: u64 = 0;
        for _ in 0..MAX_DIGITS {
            let c = *self.bytes.get(at)?;
            at += 1;
            match c & 0xF0 {
                0x40 => value = (value << 4) | u64::from(c & 0x0F),
                0x60 => return Some(((value << 4) | u64::from(c & 0x0F), at)),
                _ => return None,
            }
        }
        None
    }

    fn len_at(&self, at: usize) -> Option<(usize, usize)> {
        let (v, next) = self.varint(at)?;
        Some((usize::try_from(v).ok()?, next))
    }

    /// The position after the value at `at`.
    fn skip(&self, at: usize) -> Option<usize> {
        match *self.bytes.get(at)? {
            b'n' | b't' | b'f' => Some(at + 1),
            b'i' | b'm' => Some(self.varint(at + 1)?.1),
            b'd' | b's' | b'a' | b'o' => {
                let (len, body) = self.len_at(at + 1)?;
                body.checked_add(len).filter(|end| *end <= self.bytes.len())
            }
            _ => None,
        }
    }

    /// A string-like value's bytes (`s` and `d`): its range.
    fn text_range(&self, tag: u8) -> Option<(usize, usize)> {
        if self.tag() != tag {
            return None;
        }
        let (len, start) = self.len_at(self.at + 1)?;
        Some((start, start.checked_add(len)?))
    }

    /// The string, borrowed from the packed document.
    pub fn str(&self) -> Option<&'a str> {
        let (start, end) = self.text_range(b's')?;
        self.text.get(start..end)
    }

    /// An object's member count and the position of its first member.
    fn members(&self) -> Option<(usize, usize)> {
        if self.tag() != b'o' {
            return None;
        }
        let (_, body) = self.len_at(self.at + 1)?;
        self.len_at(body)
    }

    /// Calls `visit` with each member's key bytes and value position until it returns `Some`.
    fn find_member<T>(&self, mut visit: impl FnMut(&'a [u8], usize) -> Option<T>) -> Option<T> {
        let (count, mut at) = self.members()?;
        for _ in 0..count {
            let (key_len, key_start) = self.len_at(at)?;
            let value = key_start.checked_add(key_len)?;
            let key = self.bytes.get(key_start..value)?;
            if let Some(found) = visit(key, value) {
                return Some(found);
            }
            at = self.skip(value)?;
        }
        None
    }

    fn value_at(&self, at: usize) -> Packed<'a> {
        Packed { at, ..*self }
    }

    /// An array's count, offset width and the positions of its offset table and elements.
    fn array(&self) -> Option<(usize, usize, usize, usize)> {
        if self.tag() != b'a' {
            return None;
        }
        let (_, body) = self.len_at(self.at + 1)?;
        let (count, width_at) = self.len_at(body)?;
        let width = usize::from(self.bytes.get(width_at)? & 0x0F);
        let table = width_at + 1;
        let elements = count.checked_mul(width)?.checked_add(table)?;
        Some((count, width, table, elements))
    }

    /// The members of an object in document order, with borrowed keys.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Packed<'a>)> + 'a {
        let this = *self;
        let mut state = this.members();
        std::iter::from_fn(move || {
            let (count, at) = state?;
            if count == 0 {
                return None;
            }
            let (key_len, key_start) = this.len_at(at)?;
            let value = key_start.checked_add(key_len)?;
            let key = this.text.get(key_start..value)?;
            state = this.skip(value).map(|next| (count - 1, next));
            Some((key, this.value_at(value)))
        })
    }
}

impl JsonNode for Packed<'_> {
    fn get(&self, key: &str) -> Option<Self> {
        let key = key.as_bytes();
        let at = self.find_member(|k, value| (k == key).then_some(value))?;
        let value = self.value_at(at);
        (value.tag() != b'n').then_some(value)
    }

    fn array_len(&self) -> Option<usize> {
        self.array().map(|(count, ..)| count)
    }

    fn at(&self, index: usize) -> Option<Self> {
        let (count, width, table, elements) = self.array()?;
        if index >= count {
            return None;
        }
        let digits = self
            .bytes
            .get(table + index * width..table + (index + 1) * width)?;
        let offset = digits
            .iter()
            .fold(0usize, |v, d| (v << 4) | usize::from(d & 0x0F));
        Some(self.value_at(elements.checked_add(offset)?))
    }

    fn as_str(&self) -> Option<String> {
        self.str().map(str::to_owned)
    }

    fn as_i64(&self) -> Option<i64> {
        let negative = match self.tag() {
            b'i' => false,
            b'm' => true,
            _ => return None,
        };
        let (v, _) = self.varint(self.at + 1)?;
        let v = i64::try_from(v).ok()?;
        Some(if negative { -v } else { v })
    }

    fn as_bool(&self) -> Option<bool> {
        match self.tag() {
            b't' => Some(true),
            b'f' => Some(false),
            _ => None,
        }
    }

    fn is_number(&self) -> bool {
        matches!(self.tag(), b'i' | b'm' | b'd')
    }

    fn is_object(&self) -> bool {
        self.tag() == b'o'
    }

    fn keys(&self) -> Option<Vec<String>> {
        self.members()?;
        Some(self.entries().map(|(k, _)| k.to_owned()).collect())
    }

    fn kind(&self) -> &'static str {
        match self.tag() {
            b'n' => "null",
            b't' | b'f' => "boolean",
            b'i' | b'm' | b'd' => "number",
            b's' => "string",
            b'a' => "array",
            b'o' => "object",
            _ => "unreadable packed value",
        }
    }
}

/// Appends `v` as a varint.
fn push_varint(out: &mut String, v: u64) {
    let digits = (64 - v.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        let d = ((v >> (4 * i)) & 0x0F) as u8;
        out.push(char::from(if i == 0 { 0x60 | d } else { 0x40 | d }));
    }
}

/// Appends `len` bytes' worth of framing: a varint of a length.
fn push_len(out: &mut String, len: usize) {
    push_varint(out, len as u64);
}

#[cfg(feature = "serde_json")]
mod write {
    use super::{push_len, push_varint, HEADER, MAX_EXACT_INT};
    use serde_json::{Number, Value};

    /// The packed form of `value`, with its [`HEADER`].
    pub fn pack(value: &Value) -> String {
        let mut out = String::from(HEADER);
        value_into(&mut out, value);
        out
    }

    /// The offer Function's input with its readable parts packed: the configuration
    /// metafield's `jsonValue` becomes the packed `value` the Function reads. Anything else,
    /// and an input already packed, is kept as it is.
    pub fn pack_input(input: &Value) -> Value {
        let mut packed = input.clone();
        if let Some(metafield) = packed
            .pointer_mut("/shop/metafield")
            .and_then(Value::as_object_mut)
        {
            if let Some(json) = metafield.remove("jsonValue") {
                metafield.insert("value".to_owned(), Value::String(pack(&json)));
            }
        }
        packed
    }

    fn number_into(out: &mut String, n: &Number) {
        let exact = if let Some(v) = n.as_i64() {
            Some(v)
        } else if n.is_u64() {
            None
        } else {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() <= MAX_EXACT_INT as f64)
                .map(|f| f as i64)
        };
        match exact.filter(|v| v.unsigned_abs() <= MAX_EXACT_INT) {
            Some(v) => {
                out.push(if v < 0 { 'm' } else { 'i' });
                push_varint(out, v.unsigned_abs());
            }
            None => {
                let text = n.to_string();
                out.push('d');
                push_len(out, text.len());
                out.push_str(&text);
            }
        }
    }

    fn value_into(out: &mut String, value: &Value) {
        match value {
            Value::Null => out.push('n'),
            Value::Bool(true) => out.push('t'),
            Value::Bool(false) => out.push('f'),
            Value::Number(n) => number_into(out, n),
            Value::String(s) => {
                out.push('s');
                push_len(out, s.len());
                out.push_str(s);
            }
            Value::Array(items) => {
                let mut elements = String::new();
                let mut offsets = Vec::with_capacity(items.len());
                for item in items {
                    offsets.push(elements.len());
                    value_into(&mut elements, item);
                }
                let last = offsets.last().copied().unwrap_or(0);
                let width = (usize::BITS - last.leading_zeros()).div_ceil(4).max(1) as usize;
                let mut body = String::new();
                push_len(&mut body, items.len());
                body.push(char::from(0x60 | width as u8));
                for offset in offsets {
                    for i in (0..width).rev() {
                        body.push(char::from(0x60 | ((offset >> (4 * i)) & 0x0F) as u8));
                    }
                }
                body.push_str(&elements);
                out.push('a');
                push_len(out, body.len());
                out.push_str(&body);
            }
            Value::Object(members) => {
                let mut body = String::new();
                push_len(&mut body, members.len());
                for (key, member) in members {
                    push_len(&mut body, key.len());
                    body.push_str(key);
                    value_into(&mut body, member);
                }
                out.push('o');
                push_len(out, body.len());
                out.push_str(&body);
            }
        }
    }
}

#[cfg(feature = "serde_json")]
pub use write::{pack, pack_input};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

    /// The JSON a packed value reads as (what the Function sees of it).
    fn unpack(p: Packed) -> Value {
        match p.kind() {
            "null" => Value::Null,
            "boolean" => Value::Bool(p.as_bool().unwrap()),
            "number" => match p.as_i64() {
                Some(v) => json!(v),
                None => {
                    let (start, end) = p.text_range(b'd').unwrap();
                    serde_json::from_str(&p.text[start..end]).unwrap()
                }
            },
            "string" => Value::String(p.as_str().unwrap()),
            "array" => Value::Array(
                (0..p.array_len().unwrap())
                    .map(|i| unpack(p.at(i).unwrap()))
                    .collect(),
            ),
            "object" => Value::Object(
                p.entries()
                    .map(|(k, v)| (k.to_owned(), unpack(v)))
                    .collect(),
            ),
            other => panic!("{other}"),
        }
    }

    fn sample() -> Value {
        json!({
            "version": 1,
            "defaults": {"guardrails": {"maxOfferPrice": "50.00", "x": null}},
            "campaigns": [
                {"id": "c1", "priority": -300, "big": 9_007_199_254_740_994i64, "half": 0.5,
                 "whole": 2.0, "tags": ["été", "ß", ""], "ok": true, "no": false},
                [], {}, "plain", 17
            ],
            "long": "x".repeat(5000),
        })
    }

    #[test]
    fn a_packed_document_reads_as_the_json_it_was_packed_from() {
        let doc = sample();
        let packed = pack(&doc);
        let mut expected = doc.clone();
        // A whole float reads as an integer, as the Function's Wasm API reads it.
        expected["campaigns"][0]["whole"] = json!(2);
        assert_eq!(unpack(Packed::open(&packed)), expected);
    }

    #[test]
    fn members_and_elements_are_found_without_reading_their_neighbours() {
        let items: Vec<Value> = (0..300).map(|i| json!({"id": format!("v{i}")})).collect();
        let packed = pack(&json!({"a": "x".repeat(70_000), "items": items}));
        let root = Packed::open(&packed);
        let list = root.get("items").unwrap();
        assert_eq!(list.array_len(), Some(300));
        assert_eq!(list.at(299).unwrap().get("id").unwrap().str(), Some("v299"));
        assert!(list.at(300).is_none());
        assert!(root.get("missing").is_none());
        assert!(root.get("a").unwrap().is_number() == false);
    }

    #[test]
    fn null_members_read_as_absent_and_integers_beyond_2_53_are_not_integers() {
        let doc = sample();
        let packed = pack(&doc);
        let root = Packed::open(&packed);
        assert!(root
            .get("defaults")
            .unwrap()
            .get("guardrails")
            .unwrap()
            .get("x")
            .is_none());
        let c = root.get("campaigns").unwrap().at(0).unwrap();
        assert_eq!(c.get("priority").unwrap().as_i64(), Some(-300));
        assert!(c.get("big").unwrap().is_number());
        assert_eq!(c.get("big").unwrap().as_i64(), None);
        assert_eq!(c.get("half").unwrap().as_i64(), None);
        let keys: Vec<&String> = doc.as_object().unwrap().keys().collect();
        assert_eq!(root.keys().unwrap().iter().collect::<Vec<_>>(), keys);
    }

    #[test]
    fn a_packed_document_is_a_utf8_string_with_ascii_framing() {
        let packed = pack(&sample());
        assert!(packed.starts_with(HEADER));
        // Only the document's own strings bring non-ASCII bytes.
        let non_ascii = packed.bytes().filter(|b| !b.is_ascii()).count();
        assert_eq!(non_ascii, "ééß".len());
    }

    #[test]
    fn every_truncation_and_corruption_reads_without_panicking() {
        let packed = pack(&sample());
        let read_all = |p: Packed| {
            fn walk(p: Packed, depth: usize) {
                if depth > 8 {
                    return;
                }
                let _ = (p.kind(), p.as_i64(), p.as_str(), p.as_bool(), p.keys());
                for key in ["version", "campaigns", "id", "tags", "long"] {
                    if let Some(v) = p.get(key) {
                        walk(v, depth + 1);
                    }
                }
                for i in 0..p.array_len().unwrap_or(0).min(8) {
                    if let Some(v) = p.at(i) {
                        walk(v, depth + 1);
                    }
                }
            }
            walk(p, 0);
        };
        for end in 0..packed.len() {
            if let Some(prefix) = packed.get(..end) {
                read_all(Packed::open(prefix));
            }
        }
        let bytes = packed.as_bytes();
        for i in HEADER.len()..bytes.len().min(600) {
            for replacement in [b'`', b'o', b'O', b'@', b'a', b'z'] {
                let mut altered = bytes.to_vec();
                altered[i] = replacement;
                if let Ok(text) = std::str::from_utf8(&altered) {
                    read_all(Packed::open(text));
                }
            }
        }
        assert_eq!(
            Packed::open("{\"version\":1}").kind(),
            "unreadable packed value"
        );
    }
}
