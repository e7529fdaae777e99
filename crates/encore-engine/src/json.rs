//! Read-only access to JSON values, so the same parser reads a configuration lazily from the
//! Function's input and eagerly from `serde_json` on the server, with JSON paths for faults.

use std::fmt;

/// A JSON value the configuration parser can read. Implemented by the Function adapter for
/// the Wasm API's lazy values and here for `serde_json::Value`.
pub trait JsonNode: Sized {
    /// The member `key` of an object; `None` when absent, null, or not an object.
    fn get(&self, key: &str) -> Option<Self>;
    /// The length of an array; `None` when not an array.
    fn array_len(&self) -> Option<usize>;
    /// The element `index` of an array.
    fn at(&self, index: usize) -> Option<Self>;
    /// The value as a string; `None` when not a string.
    fn as_str(&self) -> Option<String>;
    /// The value as an integer; `None` when not a number with an integral value.
    fn as_i64(&self) -> Option<i64>;
    /// The value as a boolean.
    fn as_bool(&self) -> Option<bool>;
    /// Whether the value is a number (integral or not).
    fn is_number(&self) -> bool;
    /// Whether the value is an object.
    fn is_object(&self) -> bool;
    /// The keys of an object, in the document's order (a packed document sorts them: see
    /// [`crate::pack`]); `None` when not an object.
    fn keys(&self) -> Option<Vec<String>>;
    /// What kind of value this is, for messages: "string", "number", "object", …
    fn kind(&self) -> &'static str;
}

/// A JSON path such as `$.campaigns[2].steps[0].offer`, built only when a fault is reported.
#[derive(Clone, Copy)]
pub enum Path<'a> {
    /// The document root, `$`.
    Root,
    /// An object member.
    Key(&'a Path<'a>, &'a str),
    /// An array element.
    Index(&'a Path<'a>, usize),
}

impl<'a> Path<'a> {
    /// The path of member `key` below this one.
    pub fn key(&'a self, key: &'a str) -> Path<'a> {
        Path::Key(self, key)
    }

    /// The path of element `index` below this one.
    pub fn index(&'a self, index: usize) -> Path<'a> {
        Path::Index(self, index)
    }
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Path::Root => f.write_str("$"),
            Path::Key(parent, key) => write!(f, "{parent}.{key}"),
            Path::Index(parent, index) => write!(f, "{parent}[{index}]"),
        }
    }
}

#[cfg(feature = "serde_json")]
impl JsonNode for &serde_json::Value {
    fn get(&self, key: &str) -> Option<Self> {
        self.as_object()?.get(key).filter(|v| !v.is_null())
    }
    fn array_len(&self) -> Option<usize> {
        self.as_array().map(Vec::len)
    }
    fn at(&self, index: usize) -> Option<Self> {
        self.as_array()?.get(index)
    }
    fn as_str(&self) -> Option<String> {
        serde_json::Value::as_str(self).map(str::to_owned)
    }
    fn as_i64(&self) -> Option<i64> {
        serde_json::Value::as_i64(self)
    }
    fn as_bool(&self) -> Option<bool> {
        serde_json::Value::as_bool(self)
    }
    fn is_number(&self) -> bool {
        serde_json::Value::is_number(self)
    }
    fn is_object(&self) -> bool {
        serde_json::Value::is_object(self)
    }
    fn keys(&self) -> Option<Vec<String>> {
        self.as_object().map(|o| o.keys().cloned().collect())
    }
    fn kind(&self) -> &'static str {
        match self {
            serde_json::Value::Null => "null",
            serde_json::Value::Bool(_) => "boolean",
            serde_json::Value::Number(_) => "number",
            serde_json::Value::String(_) => "string",
            serde_json::Value::Array(_) => "array",
            serde_json::Value::Object(_) => "object",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_render_like_jsonpath() {
        let root = Path::Root;
        let campaigns = root.key("campaigns");
        let second = campaigns.index(2);
        let offer = second.key("offer");
        assert_eq!(offer.to_string(), "$.campaigns[2].offer");
    }
}
