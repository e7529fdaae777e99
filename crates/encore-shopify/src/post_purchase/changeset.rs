//! Signing of changeset tokens for `applyChangeset` (HS256 with the app secret).
//!
//! Claims per Shopify's post-purchase JWT specification for partner-issued tokens: `iss` = the
//! app's API key, `jti` unique (UUID v4), `sub` = the initial purchase's referenceId, `iat` in
//! seconds (Shopify refuses changesets signed before the purchase completed, so `iat` is never
//! earlier than the purchase token's own `iat`), and `changes` exactly as converted from the
//! offer Function's output.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::Serialize;
use serde_json::value::RawValue;

#[derive(Serialize)]
struct ChangesetClaims<'a> {
    iss: &'a str,
    jti: String,
    iat: i64,
    sub: &'a str,
    changes: &'a RawValue,
}

/// Signs changesets with the app's credentials.
#[derive(Clone)]
pub struct ChangesetSigner {
    key: EncodingKey,
    api_key: String,
}

impl ChangesetSigner {
    pub fn new(api_secret: &str, api_key: &str) -> Self {
        Self {
            key: EncodingKey::from_secret(api_secret.as_bytes()),
            api_key: api_key.to_string(),
        }
    }

    /// A fresh token for `changes` (Shopify-shape JSON array) on purchase `reference_id`.
    pub fn sign(
        &self,
        reference_id: &str,
        changes: &RawValue,
        now: i64,
        purchase_issued_at: i64,
    ) -> String {
        let claims = ChangesetClaims {
            iss: &self.api_key,
            jti: uuid::Uuid::new_v4().to_string(),
            iat: now.max(purchase_issued_at),
            sub: reference_id,
            changes,
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.key)
            .expect("HS256 signing of serializable claims cannot fail")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use jsonwebtoken::{DecodingKey, Validation};

    #[test]
    fn signs_exact_changes_and_claims() {
        let signer = ChangesetSigner::new("s3cret", "key-1");
        let changes = RawValue::from_string(
            r#"[{"type":"add_variant","variantId":1,"quantity":1,"discount":{"value":0.10,"valueType":"fixed_amount","title":"t"}}]"#.into(),
        )
        .unwrap();
        let token = signer.sign("ref-9", &changes, 1_700_000_000, 1_700_000_100);
        // The payload text keeps "0.10" exactly.
        let payload = token.split('.').nth(1).unwrap();
        let bytes = base64_url_decode(payload);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(r#""value":0.10"#), "{text}");
        let mut v = Validation::new(Algorithm::HS256);
        v.required_spec_claims.clear();
        v.validate_exp = false;
        let d = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &DecodingKey::from_secret(b"s3cret"),
            &v,
        )
        .unwrap();
        assert_eq!(d.claims["iss"], "key-1");
        assert_eq!(d.claims["sub"], "ref-9");
        assert_eq!(d.claims["iat"], 1_700_000_100);
        assert_eq!(d.claims["jti"].as_str().unwrap().len(), 36);
        let t2 = signer.sign("ref-9", &changes, 1_700_000_000, 0);
        assert_ne!(token, t2, "jti must differ");
    }

    fn base64_url_decode(s: &str) -> Vec<u8> {
        const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = Vec::new();
        let (mut buf, mut bits) = (0u32, 0);
        for c in s.bytes() {
            let v = A.iter().position(|&a| a == c).unwrap() as u32;
            buf = (buf << 6) | v;
            bits += 6;
            if bits >= 8 {
                bits -= 8;
                out.push((buf >> bits) as u8);
                buf &= (1 << bits) - 1;
            }
        }
        out
    }
}
