//! The packed form of a JSON document: what the server hands the offer Function as one string
//! (a metafield `value`), read in place by [`Packed`] without allocating or parsing.
//!
//! The Function's provider walks every value of its input before the one asked for and costs
//! hundreds of instructions per value, but skips a string in O(1). A JSON document packed into
//! one string is therefore nearly free to receive, and this layout makes it cheap to read:
//! an array has an offset table, so its element `i` is found in O(1), and an object a table of
//! its keys, sorted, with their values' offsets, so a member is found by a binary search that
//! reads a few keys and no value; numbers
//! are hexadecimal digits read in a few instructions, not decimal text. It is ASCII framing around the document's own UTF-8 strings, so the
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
//! | array | `a<count><w><count offsets of w fixed digits><elements>` |
//! | object | `o<count><w><index><table><values>`: the index is each table entry's position (`w` fixed digits); the table per member `<key len><key><offset: w fixed digits>`, sorted by key length, then key bytes |
//!
//! An array's offsets count from the start of its elements; an object's index positions and
//! value offsets from the start of its table; `w` is one fixed digit. Element `i` is found from
//! its offset, and a member by a binary search over the index that compares a key's length
//! before its bytes (the order the table is sorted in): no value is ever skipped over, and a
//! catalog of n variants costs log2(n) key reads, not n. Members are listed in that order too. Numbers are written most
//! significant first in base 16: a varint's last digit is one of `` ` `` to `o` (0x60–0x6F),
//! the digits before it `@` to `O` (0x40–0x4F); fixed digits are all of the first kind.
//!
//! A packed string is made by [`pack`] (on the server: the offer Function's facts,
//! [`crate::packed_facts`]) and is never trusted: a truncated or altered string reads as absent
//! values, never a panic.

use crate::json::JsonNode;

/// The first bytes of a packed document: the layout's version.
pub const HEADER: &str = "EP2";

/// Integers above 2^53 in magnitude are not exact as the Wasm API's numbers: packed as other
/// numbers, as the Function has always read them.
#[cfg(any(test, feature = "serde_json"))]
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

    /// Reads a varint at `at`: its value and the position after it. One digit (under 16: most
    /// keys' and short strings' lengths) is read inline.
    #[inline(always)]
    fn varint(&self, at: usize) -> Option<(u64, usize)> {
        let c = *self.bytes.get(at)?;
        if c & 0xF0 == 0x60 {
            return Some((u64::from(c & 0x0F), at + 1));
        }
        self.long_varint(at)
    }

    fn long_varint(&self, mut at: usize) -> Option<(u64, usize)> {
        // Two digits (most records' and keys' lengths over 15) without the loop.
        if let Some(&[high, low]) = self.bytes.get(at..at.checked_add(2)?) {
            if high & 0xF0 == 0x40 && low & 0xF0 == 0x60 {
                return Some((u64::from(high & 0x0F) << 4 | u64::from(low & 0x0F), at + 2));
            }
        }
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

    /// Reads `width` fixed digits at `at`.
    #[inline(always)]
    fn fixed(&self, at: usize, width: usize) -> Option<usize> {
        let digits = self.bytes.get(at..at.checked_add(width)?)?;
        Some(
            digits
                .iter()
                .fold(0usize, |v, d| (v << 4) | usize::from(d & 0x0F)),
        )
    }

    #[inline(always)]
    fn len_at(&self, at: usize) -> Option<(usize, usize)> {
        let (v, next) = self.varint(at)?;
        Some((usize::try_from(v).ok()?, next))
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

    /// An object's member table: count, offset width and the index's start (the table and
    /// its offsets start `count` × width digits later).
    #[inline(always)]
    fn members(&self) -> Option<(usize, usize, usize)> {
        if self.tag() != b'o' {
            return None;
        }
        let (count, width_at) = self.len_at(self.at + 1)?;
        let width = usize::from(self.bytes.get(width_at)? & 0x0F);
        Some((count, width, width_at + 1))
    }

    /// The position of member `key`'s value: a binary search over the index, reading keys
    /// alone (see the module doc).
    fn member(&self, key: &[u8]) -> Option<usize> {
        let (count, width, index) = self.members()?;
        let table = index.checked_add(count.checked_mul(width)?)?;
        let (mut low, mut high) = (0, count);
        while low < high {
            let middle = low + (high - low) / 2;
            let entry = table.checked_add(self.fixed(index + middle * width, width)?)?;
            let (key_len, key_start) = self.len_at(entry)?;
            let key_end = key_start.checked_add(key_len)?;
            let order = key_len.cmp(&key.len()).then_with(|| {
                self.bytes
                    .get(key_start..key_end)
                    .unwrap_or_default()
                    .cmp(key)
            });
            match order {
                std::cmp::Ordering::Less => low = middle + 1,
                std::cmp::Ordering::Greater => high = middle,
                std::cmp::Ordering::Equal => {
                    return table.checked_add(self.fixed(key_end, width)?);
                }
            }
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
        let (count, width_at) = self.len_at(self.at + 1)?;
        let width = usize::from(self.bytes.get(width_at)? & 0x0F);
        let table = width_at + 1;
        let elements = count.checked_mul(width)?.checked_add(table)?;
        Some((count, width, table, elements))
    }

    /// The members of an object in the packed order (key length, then key bytes: the order
    /// [`Packed::member`] searches), with borrowed keys.
    pub fn entries(&self) -> impl Iterator<Item = (&'a str, Packed<'a>)> + 'a {
        let this = *self;
        let mut state = this.members().and_then(|(count, width, index)| {
            let table = index.checked_add(count.checked_mul(width)?)?;
            Some((count, width, table, table))
        });
        std::iter::from_fn(move || {
            let (count, width, table, at) = state?;
            if count == 0 {
                return None;
            }
            let (key_len, key_start) = this.len_at(at)?;
            let offset_at = key_start.checked_add(key_len)?;
            let key = this.text.get(key_start..offset_at)?;
            let value = table.checked_add(this.fixed(offset_at, width)?)?;
            state = Some((count - 1, width, table, offset_at + width));
            Some((key, this.value_at(value)))
        })
    }
}

impl JsonNode for Packed<'_> {
    fn get(&self, key: &str) -> Option<Self> {
        let value = self.value_at(self.member(key.as_bytes())?);
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

/// Appends `v` as a varint (packing happens on the server and in tools, never in the Function).
#[cfg(any(test, feature = "serde_json"))]
fn push_varint(out: &mut String, v: u64) {
    let digits = (64 - v.leading_zeros()).div_ceil(4).max(1);
    for i in (0..digits).rev() {
        let d = ((v >> (4 * i)) & 0x0F) as u8;
        out.push(char::from(if i == 0 { 0x60 | d } else { 0x40 | d }));
    }
}

/// Appends `len` bytes' worth of framing: a varint of a length.
#[cfg(any(test, feature = "serde_json"))]
fn push_len(out: &mut String, len: usize) {
    push_varint(out, len as u64);
}

#[cfg(feature = "serde_json")]
mod write {
    use super::{push_len, push_varint, Packed, HEADER, MAX_EXACT_INT};
    use serde_json::{Number, Value};

    /// The packed form of `value`, with its [`HEADER`].
    pub fn pack(value: &Value) -> String {
        let mut out = String::from(HEADER);
        value_into(&mut out, value);
        out
    }

    /// The JSON a packed value reads as: what the Function sees of it (for tests and tools).
    pub fn unpack(p: Packed) -> Value {
        use crate::json::JsonNode;
        match p.kind() {
            "boolean" => Value::Bool(p.as_bool() == Some(true)),
            "number" => match p.as_i64() {
                Some(v) => Value::from(v),
                None => p
                    .text_range(b'd')
                    .and_then(|(start, end)| p.text.get(start..end))
                    .and_then(|t| serde_json::from_str(t).ok())
                    .unwrap_or(Value::Null),
            },
            "string" => Value::String(p.as_str().unwrap_or_default()),
            "array" => Value::Array(
                (0..p.array_len().unwrap_or(0))
                    .filter_map(|i| p.at(i))
                    .map(unpack)
                    .collect(),
            ),
            "object" => Value::Object(
                p.entries()
                    .map(|(k, v)| (k.to_owned(), unpack(v)))
                    .collect(),
            ),
            _ => Value::Null,
        }
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
                let width = width_of(offsets.last().copied().unwrap_or(0));
                out.push('a');
                push_len(out, items.len());
                out.push(char::from(0x60 | width as u8));
                for offset in offsets {
                    push_fixed(out, offset, width);
                }
                out.push_str(&elements);
            }
            Value::Object(members) => {
                // Sorted by key length, then key bytes: the order `Packed::member` searches.
                let mut sorted: Vec<(&String, &Value)> = members.iter().collect();
                sorted.sort_by(|a, b| a.0.len().cmp(&b.0.len()).then_with(|| a.0.cmp(b.0)));
                let mut values = String::new();
                let mut offsets = Vec::with_capacity(sorted.len());
                for (_, member) in &sorted {
                    offsets.push(values.len());
                    value_into(&mut values, member);
                }
                // Offsets count from the table's start, so they include the table, whose size
                // depends on their width: the narrowest width that fits.
                let keys: usize = sorted
                    .iter()
                    .map(|(k, _)| varint_len(k.len()) + k.len())
                    .sum();
                let last = offsets.last().copied().unwrap_or(0);
                let width = (1..=16)
                    .find(|w| {
                        keys + sorted.len() * w + last
                            < 1usize.checked_shl(4 * *w as u32).unwrap_or(usize::MAX)
                    })
                    .unwrap_or(16);
                let table_len = keys + sorted.len() * width;
                out.push('o');
                push_len(out, sorted.len());
                out.push(char::from(0x60 | width as u8));
                let mut entry = 0;
                for (key, _) in &sorted {
                    push_fixed(out, entry, width);
                    entry += varint_len(key.len()) + key.len() + width;
                }
                for ((key, _), offset) in sorted.iter().zip(offsets) {
                    push_len(out, key.len());
                    out.push_str(key);
                    push_fixed(out, table_len + offset, width);
                }
                out.push_str(&values);
            }
        }
    }

    /// How many digits the varint of `v` has.
    fn varint_len(v: usize) -> usize {
        ((usize::BITS - v.leading_zeros()).div_ceil(4).max(1)) as usize
    }

    /// How many fixed digits an offset table needs for offsets up to `last`.
    fn width_of(last: usize) -> usize {
        (usize::BITS - last.leading_zeros()).div_ceil(4).max(1) as usize
    }

    fn push_fixed(out: &mut String, v: usize, width: usize) {
        for i in (0..width).rev() {
            out.push(char::from(0x60 | ((v >> (4 * i)) & 0x0F) as u8));
        }
    }
}

#[cfg(feature = "serde_json")]
pub use write::{pack, unpack};

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{json, Value};

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
        assert_eq!(root.get("a").unwrap().str().map(str::len), Some(70_000));
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
        // Members are listed in the order they are searched: by key length, then bytes.
        assert_eq!(
            root.keys().unwrap(),
            ["long", "version", "defaults", "campaigns"]
        );
    }

    #[test]
    fn every_member_of_a_large_object_is_found_and_no_other() {
        // Keys of every length from 1 to 4 digits, as variant ids of a catalog, plus long ones.
        let mut doc = serde_json::Map::new();
        for i in (0..3000).step_by(7) {
            doc.insert(i.to_string(), json!(i));
            doc.insert(format!("gid://shopify/ProductVariant/{i}"), json!(-i));
        }
        let packed = pack(&Value::Object(doc.clone()));
        let root = Packed::open(&packed);
        for (key, value) in &doc {
            assert_eq!(
                root.get(key).and_then(|v| v.as_i64()),
                value.as_i64(),
                "{key}"
            );
        }
        for absent in [
            "",
            "1",
            "3001",
            "00",
            "gid://shopify/ProductVariant/1",
            "~",
            "é",
        ] {
            assert!(root.get(absent).is_none(), "{absent}");
        }
        assert_eq!(root.keys().map(|k| k.len()), Some(doc.len()));
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
