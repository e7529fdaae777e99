//! JSON <-> MessagePack the way function-runner converts Function input and output.

use serde_json::Value;

/// Encodes JSON input as MessagePack with `rmp_serde`, like function-runner: integers become
/// the smallest MessagePack int, other numbers f64, strings/arrays/objects as such.
pub fn json_to_msgpack(value: &Value) -> Result<Vec<u8>, String> {
    rmp_serde::to_vec(value).map_err(|e| format!("cannot encode the input as MessagePack: {e}"))
}

/// Decodes MessagePack output into JSON with `rmp_serde`, like function-runner. Floats stay
/// floats (`5.0` prints as `5.0`), exactly as function-runner prints them; NaN/infinity become
/// `null` (serde_json cannot represent them).
pub fn msgpack_to_json(bytes: &[u8]) -> Result<Value, String> {
    rmp_serde::from_slice::<Value>(bytes).map_err(|e| format!("Invalid MessagePack output: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn round_trips_numbers_like_function_runner() {
        let input = json!({"a": 1, "b": -2, "c": 1.5, "d": 18446744073709551615u64, "e": 3.0});
        let bytes = json_to_msgpack(&input).unwrap();
        assert_eq!(msgpack_to_json(&bytes).unwrap(), input);
        // 1 encodes as a positive fixint, one byte.
        assert_eq!(json_to_msgpack(&json!(1)).unwrap(), vec![1]);
        assert_eq!(
            msgpack_to_json(&json_to_msgpack(&json!(3.0)).unwrap())
                .unwrap()
                .to_string(),
            "3.0"
        );
    }

    #[test]
    fn garbage_output_is_an_error() {
        assert!(msgpack_to_json(&[]).is_err());
        assert!(msgpack_to_json(&[0xc1]).is_err());
    }
}
