//! App Bridge session tokens: the simulator's tokens verify; forged, expired, misdirected and
//! malformed ones are refused with the reason.

use encore_shopify::session::{SessionTokenError, SessionVerifier};
use encore_shopify::Secret;
use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::{json, Value};
use shopify_sim::SimConfig;

const NOW: i64 = 1_790_000_000;
const SHOP: &str = "encore-demo.myshopify.com";

fn verifier(config: &SimConfig) -> SessionVerifier {
    SessionVerifier::new(
        &config.client_id,
        &Secret::new(config.client_secret.clone()),
    )
}

fn claims() -> Value {
    json!({
        "iss": format!("https://{SHOP}/admin"),
        "dest": format!("https://{SHOP}"),
        "aud": SimConfig::default().client_id,
        "sub": "42",
        "exp": NOW + 60,
        "nbf": NOW,
        "iat": NOW,
        "jti": "j1",
        "sid": "s1",
    })
}

fn sign(claims: &Value, secret: &str, alg: Algorithm) -> String {
    encode(
        &Header::new(alg),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn check(claims: &Value) -> Result<encore_shopify::session::SessionToken, SessionTokenError> {
    let config = SimConfig::default();
    verifier(&config).verify(&sign(claims, &config.client_secret, Algorithm::HS256), NOW)
}

fn with(change: impl FnOnce(&mut Value)) -> Value {
    let mut c = claims();
    change(&mut c);
    c
}

#[test]
fn a_token_minted_like_app_bridge_verifies_to_its_shop_and_user() {
    let config = SimConfig::default();
    let token = shopify_sim::mint_session_token(&config, SHOP, 42, NOW, 60);
    let session = verifier(&config).verify(&token, NOW + 10).unwrap();
    assert_eq!(session.shop.as_str(), SHOP);
    assert_eq!(session.user.map(|u| u.get()), Some(42));
    assert_eq!(session.expires_at, NOW + 60);
}

#[test]
fn a_token_signed_with_another_secret_is_refused() {
    let forged = sign(&claims(), "not-the-app-secret", Algorithm::HS256);
    assert_eq!(
        verifier(&SimConfig::default()).verify(&forged, NOW),
        Err(SessionTokenError::BadSignature)
    );
}

#[test]
fn an_expired_token_is_refused_past_the_leeway_only() {
    assert!(check(&with(|c| c["exp"] = json!(NOW - 4))).is_ok());
    assert_eq!(
        check(&with(|c| c["exp"] = json!(NOW - 6))),
        Err(SessionTokenError::Expired)
    );
}

#[test]
fn a_token_not_valid_yet_is_refused_past_the_leeway_only() {
    assert!(check(&with(|c| c["nbf"] = json!(NOW + 4))).is_ok());
    assert_eq!(
        check(&with(|c| c["nbf"] = json!(NOW + 6))),
        Err(SessionTokenError::NotYetValid)
    );
}

#[test]
fn a_token_for_another_app_is_refused() {
    assert_eq!(
        check(&with(|c| c["aud"] = json!("another-app"))),
        Err(SessionTokenError::WrongAudience)
    );
    assert_eq!(
        check(&with(|c| {
            c.as_object_mut().unwrap().remove("aud");
        })),
        Err(SessionTokenError::MissingClaim("aud"))
    );
}

#[test]
fn dest_and_iss_must_name_the_same_myshopify_shop() {
    assert_eq!(
        check(&with(
            |c| c["iss"] = json!("https://other.myshopify.com/admin")
        )),
        Err(SessionTokenError::ShopMismatch)
    );
    assert_eq!(
        check(&with(|c| c["dest"] = json!("https://evil.example.com"))),
        Err(SessionTokenError::BadShop("dest"))
    );
    assert_eq!(
        check(&with(|c| c["iss"] = json!(format!("https://{SHOP}")))),
        Err(SessionTokenError::BadShop("iss"))
    );
    assert_eq!(
        check(&with(|c| c["dest"] = json!(format!("http://{SHOP}")))),
        Err(SessionTokenError::BadShop("dest"))
    );
}

#[test]
fn another_algorithm_and_garbage_are_refused() {
    let config = SimConfig::default();
    let hs512 = sign(&claims(), &config.client_secret, Algorithm::HS512);
    assert_eq!(
        verifier(&config).verify(&hs512, NOW),
        Err(SessionTokenError::WrongAlgorithm)
    );
    // alg "none": a header Shopify never sends, with no signature.
    let none = format!(
        "{}.{}.",
        base64url(r#"{"alg":"none","typ":"JWT"}"#),
        base64url(&claims().to_string())
    );
    assert!(verifier(&config).verify(&none, NOW).is_err());
    assert_eq!(
        verifier(&config).verify("not.a.token", NOW),
        Err(SessionTokenError::Malformed)
    );
}

fn base64url(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text)
}

#[test]
fn a_subject_that_is_not_a_staff_member_id_is_refused() {
    assert_eq!(
        check(&with(|c| c["sub"] = json!("gid://shopify/Customer/42"))),
        Err(SessionTokenError::BadSubject)
    );
}
