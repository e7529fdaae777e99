//! Records: engine values written field after field in a fixed order, with no keys, and read
//! back in that order by a [`Cursor`]. What the server compiles for the offer Function (the
//! configuration, each purchased line) so the Function reads every field it needs once and
//! never asks for a key, present or absent; and what the Function answers with (its offer and
//! its reasons), so it hands the provider one string instead of one per key and value.
//!
//! The text is ASCII framing around the values' own UTF-8 strings, so a record is a valid
//! GraphQL `String` (and a metafield value). Numbers are the varint digits of [`crate::pack`]:
//! base 16, most significant first, the last digit one of `` ` `` to `o` (0x60–0x6F) and the
//! digits before it `@` to `O` (0x40–0x4F). A field is, by type:
//!
//! | type | written as |
//! | --- | --- |
//! | unsigned count, `bool` | one varint (`false` 0, `true` 1) |
//! | `i64` | its zigzag varint (0, −1, 1, −2, … as 0, 1, 2, 3, …) |
//! | string | its byte length, then its bytes |
//! | `Option<T>` | 0, or 1 then the value |
//! | `Vec<T>` | the count, then each element |
//! | enum | the variant's number, then its fields |
//! | struct | its fields in declaration order |
//!
//! A record is never trusted: reading one never panics, and a truncated one, or one whose
//! framing was altered, reads as `None`. A record carries no checksum, so an altered digit
//! reads as another value: records are written by Encore's server (which alone stores them)
//! and by the offer Function (its offer and reasons, read back by the server that ran it).

/// Something written and read as a record.
pub trait Record: Sized {
    /// Appends the value's fields to `w`.
    fn write(&self, w: &mut Writer);
    /// Reads a value written by [`Record::write`]; `None` when the text is not one.
    fn read(c: &mut Cursor<'_>) -> Option<Self>;
}

/// A record being written.
#[derive(Debug, Default)]
pub struct Writer {
    out: String,
}

impl Writer {
    /// A record starting with `header` (the kind and version of what follows).
    pub fn new(header: &str) -> Writer {
        Writer {
            out: header.to_owned(),
        }
    }

    /// A record starting with `header`, with room for `bytes` more without growing.
    pub fn with_capacity(header: &str, bytes: usize) -> Writer {
        let mut out = String::with_capacity(header.len() + bytes);
        out.push_str(header);
        Writer { out }
    }

    /// An unsigned number. One digit (counts, flags, short lengths) is written inline.
    #[inline(always)]
    pub fn uint(&mut self, v: u64) {
        if v < 0x10 {
            self.out.push(char::from(0x60 | v as u8));
        } else {
            self.long_uint(v);
        }
    }

    fn long_uint(&mut self, v: u64) {
        // Two digits (the lengths of ids, codes and words) without the loop: the Function
        // writes its offer and reasons with this.
        if v < 0x100 {
            self.out.push(char::from(0x40 | (v >> 4) as u8));
            self.out.push(char::from(0x60 | (v & 0x0F) as u8));
            return;
        }
        let digits = (64 - v.leading_zeros()).div_ceil(4).max(1);
        for i in (0..digits).rev() {
            let digit = ((v >> (i * 4)) & 0x0F) as u8;
            let base = if i == 0 { 0x60 } else { 0x40 };
            self.out.push(char::from(base | digit));
        }
    }

    /// A string: its length, then its bytes.
    pub fn str(&mut self, s: &str) {
        self.uint(s.len() as u64);
        self.out.push_str(s);
    }

    /// The record.
    pub fn finish(self) -> String {
        self.out
    }

    /// Writes a section that a reader can skip without reading it: its length, then what
    /// `f` writes.
    pub fn section(&mut self, f: impl FnOnce(&mut Writer)) {
        let mut inner = Writer::default();
        f(&mut inner);
        self.str(&inner.out);
    }
}

/// Reads a record from the start, field after field.
#[derive(Debug, Clone, Copy)]
pub struct Cursor<'a> {
    text: &'a str,
    at: usize,
}

/// A varint has at most this many digits (64 bits); longer is a corrupt record.
const MAX_DIGITS: usize = 16;

impl<'a> Cursor<'a> {
    /// A cursor after `header`; `None` when `text` does not start with it.
    pub fn open(text: &'a str, header: &str) -> Option<Cursor<'a>> {
        text.starts_with(header).then_some(Cursor {
            text,
            at: header.len(),
        })
    }

    /// An unsigned number. One digit (under 16: most counts, lengths, flags and variants) is
    /// read inline.
    #[inline(always)]
    pub fn uint(&mut self) -> Option<u64> {
        let c = *self.text.as_bytes().get(self.at)?;
        if c & 0xF0 == 0x60 {
            self.at += 1;
            return Some(u64::from(c & 0x0F));
        }
        self.long_uint()
    }

    fn long_uint(&mut self) -> Option<u64> {
        // The position is moved once, at the end: not stored back on every digit.
        let digits = self.text.as_bytes().get(self.at..)?;
        // Two digits (most lengths over 15, a campaign's sections) without the loop.
        if let [high, low, ..] = digits {
            if high & 0xF0 == 0x40 && low & 0xF0 == 0x60 {
                self.at += 2;
                return Some(u64::from(high & 0x0F) << 4 | u64::from(low & 0x0F));
            }
        }
        let mut value: u64 = 0;
        for (i, &c) in digits.iter().take(MAX_DIGITS).enumerate() {
            value = (value << 4) | u64::from(c & 0x0F);
            match c & 0xF0 {
                0x40 => {}
                0x60 => {
                    self.at += i + 1;
                    return Some(value);
                }
                _ => return None,
            }
        }
        None
    }

    /// A count or length.
    #[inline(always)]
    pub fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.uint()?).ok()
    }

    /// A string, borrowed from the record.
    pub fn str(&mut self) -> Option<&'a str> {
        let len = self.usize()?;
        let end = self.at.checked_add(len)?;
        let s = self.text.get(self.at..end)?;
        self.at = end;
        Some(s)
    }

    /// A section written by [`Writer::section`]: a cursor over it, and this cursor moved past.
    pub fn section(&mut self) -> Option<Cursor<'a>> {
        let inner = self.str()?;
        Some(Cursor { text: inner, at: 0 })
    }

    /// Whether the whole record has been read.
    pub fn at_end(&self) -> bool {
        self.at == self.text.len()
    }
}

impl Record for u64 {
    fn write(&self, w: &mut Writer) {
        w.uint(*self);
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        c.uint()
    }
}

impl Record for bool {
    fn write(&self, w: &mut Writer) {
        w.uint(u64::from(*self));
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        match c.uint()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
}

impl Record for i64 {
    fn write(&self, w: &mut Writer) {
        w.uint(((*self << 1) ^ (*self >> 63)) as u64);
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        let z = c.uint()?;
        Some(((z >> 1) as i64) ^ -((z & 1) as i64))
    }
}

impl Record for String {
    fn write(&self, w: &mut Writer) {
        w.str(self);
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        c.str().map(str::to_owned)
    }
}

impl<T: Record> Record for Option<T> {
    fn write(&self, w: &mut Writer) {
        match self {
            None => w.uint(0),
            Some(v) => {
                w.uint(1);
                v.write(w);
            }
        }
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        match c.uint()? {
            0 => Some(None),
            1 => Some(Some(T::read(c)?)),
            _ => None,
        }
    }
}

impl<T: Record> Record for Vec<T> {
    fn write(&self, w: &mut Writer) {
        w.uint(self.len() as u64);
        for v in self {
            v.write(w);
        }
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        let count = c.usize()?;
        if count == 0 {
            return Some(Vec::new());
        }
        // Bounded: a corrupt count must not reserve memory for it (an element may be large).
        let mut out = Vec::with_capacity(count.min(16));
        for _ in 0..count {
            out.push(T::read(c)?);
        }
        Some(out)
    }
}

impl<A: Record, B: Record> Record for (A, B) {
    fn write(&self, w: &mut Writer) {
        self.0.write(w);
        self.1.write(w);
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        Some((A::read(c)?, B::read(c)?))
    }
}

impl<T: Record, E: Record> Record for Result<T, E> {
    fn write(&self, w: &mut Writer) {
        match self {
            Ok(v) => {
                w.uint(0);
                v.write(w);
            }
            Err(e) => {
                w.uint(1);
                e.write(w);
            }
        }
    }
    fn read(c: &mut Cursor<'_>) -> Option<Self> {
        match c.uint()? {
            0 => Some(Ok(T::read(c)?)),
            1 => Some(Err(E::read(c)?)),
            _ => None,
        }
    }
}

/// Implements [`Record`] for a struct: its fields in the order listed (write them in
/// declaration order, so the layout reads like the type).
#[macro_export]
macro_rules! record_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::record::Record for $ty {
            fn write(&self, w: &mut $crate::record::Writer) {
                $( $crate::record::Record::write(&self.$field, w); )*
            }
            fn read(c: &mut $crate::record::Cursor<'_>) -> Option<Self> {
                Some($ty { $( $field: $crate::record::Record::read(c)?, )* })
            }
        }
    };
}

/// Implements [`Record`] for a struct most of whose fields usually keep their `Default` value
/// (triggers, guardrail overrides): a mask of the fields that differ from it (bit `i` for the
/// `i`th field listed), then only those fields. A reader then spends nothing on the others.
#[macro_export]
macro_rules! record_sparse_struct {
    ($ty:ident { $($field:ident),* $(,)? }) => {
        impl $crate::record::Record for $ty {
            fn write(&self, w: &mut $crate::record::Writer) {
                let default = $ty::default();
                let mut mask = 0u64;
                let mut bit = 1u64;
                $(
                    if self.$field != default.$field {
                        mask |= bit;
                    }
                    bit <<= 1;
                )*
                let _ = bit;
                w.uint(mask);
                $(
                    if self.$field != default.$field {
                        $crate::record::Record::write(&self.$field, w);
                    }
                )*
            }
            fn read(c: &mut $crate::record::Cursor<'_>) -> Option<Self> {
                let mask = c.uint()?;
                let mut out = $ty::default();
                let mut bit = 1u64;
                $(
                    if mask & bit != 0 {
                        out.$field = $crate::record::Record::read(c)?;
                    }
                    bit <<= 1;
                )*
                let _ = bit;
                Some(out)
            }
        }
    };
}

/// Implements [`Record`] for an enum whose variants have no fields: each its number in the list.
#[macro_export]
macro_rules! record_unit_enum {
    ($ty:ident { $($variant:ident),* $(,)? }) => {
        impl $crate::record::Record for $ty {
            fn write(&self, w: &mut $crate::record::Writer) {
                let all = [$($ty::$variant),*];
                let n = all.iter().position(|v| v == self).unwrap_or(0);
                w.uint(n as u64);
            }
            fn read(c: &mut $crate::record::Cursor<'_>) -> Option<Self> {
                let all = [$($ty::$variant),*];
                all.get(c.usize()?).copied()
            }
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip<T: Record + PartialEq + std::fmt::Debug>(v: &T) {
        let mut w = Writer::new("T1");
        v.write(&mut w);
        let text = w.finish();
        let mut c = Cursor::open(&text, "T1").unwrap();
        assert_eq!(T::read(&mut c).as_ref(), Some(v));
        assert!(c.at_end());
    }

    proptest! {
        #[test]
        fn numbers_strings_and_lists_read_back_as_written(
            n in any::<i64>(),
            u in any::<u64>(),
            s in ".*",
            list in proptest::collection::vec((any::<i64>(), proptest::option::of(".{0,8}")), 0..5),
        ) {
            round_trip(&n);
            round_trip(&u);
            round_trip(&s);
            round_trip(&list);
            round_trip(&Ok::<_, String>(s.clone()));
            round_trip(&Err::<i64, _>(s));
        }
    }

    #[test]
    fn a_cut_or_altered_record_reads_as_none_never_a_panic() {
        let mut w = Writer::new("T1");
        vec![(-5i64, Some("ünïcode".to_owned())), (70_000, None)].write(&mut w);
        let text = w.finish();
        for cut in 0..text.len() {
            let Some(part) = text.get(..cut) else {
                continue;
            };
            if let Some(mut c) = Cursor::open(part, "T1") {
                assert_eq!(<Vec<(i64, Option<String>)>>::read(&mut c), None, "{part}");
            }
        }
        for (i, _) in text.char_indices().skip(2) {
            for replacement in ['z', '@', 'o', '`'] {
                let mut altered = text.clone();
                let end = i + altered[i..].chars().next().unwrap().len_utf8();
                altered.replace_range(i..end, &replacement.to_string());
                let mut c = Cursor::open(&altered, "T1").unwrap();
                // Whatever it reads, it reads without panicking.
                let _ = <Vec<(i64, Option<String>)>>::read(&mut c);
            }
        }
    }

    #[test]
    fn a_text_without_the_header_is_not_opened() {
        assert!(Cursor::open("EP1s", "T1").is_none());
    }
}
