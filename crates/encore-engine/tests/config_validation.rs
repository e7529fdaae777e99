//! The server's validation of whole configurations: every fault with its JSON path.

use encore_engine::config::{default_max_offer_price, validate_json, Amount};
use encore_engine::Currency;
use serde_json::json;

fn currency(code: &str) -> Currency {
    Currency::from_code(code).expect("ISO 4217")
}

fn faults(config: serde_json::Value) -> Vec<String> {
    faults_in(config, "USD")
}

fn faults_in(config: serde_json::Value, code: &str) -> Vec<String> {
    validate_json(&config, currency(code))
        .err()
        .unwrap_or_default()
        .iter()
        .map(ToString::to_string)
        .collect()
}

#[test]
fn a_valid_configuration_is_accepted() {
    let config = json!({"version": 1, "defaults": {"guardrails": {"maxOfferPrice": "40.00"}}, "campaigns": [
        {"id": "a", "priority": 2, "triggers": {"products": ["1"]}, "steps": [
            {"id": "up", "offer": {"products": ["10", ["11", "12"]], "discount": {"percent": "12.5"}}, "onDecline": "down"},
            {"id": "down", "offer": {"auto": {"maxCandidates": 3}, "discount": {"amountOff": "2.00"}}}]}]});
    let parsed = validate_json(&config, currency("USD")).expect("valid");
    assert_eq!(parsed.campaigns.len(), 1);
    assert_eq!(parsed.campaigns[0].steps.len(), 2);
}

#[test]
fn every_fault_is_reported_with_its_path() {
    let got = faults(json!({"version": 1, "campaigns": [
        {"id": "a", "priorty": 2, "steps": [
            {"id": "up", "offer": {"products": ["10"], "discount": {"percent": 150}}, "onDecline": "nowhere"}]},
        {"id": "a", "steps": [{"id": "s", "offer": {"products": [], "discount": {"amountOff": 5}}}]}]}));
    assert_eq!(
        got,
        vec![
            "$.campaigns[0].priorty: is not a known setting; expected one of: id, name, status, priority, schedule, entryStep, triggers, guardrails, experiment, steps",
            "$.campaigns[0].steps[0].offer.discount.percent: must be between 0 and 100",
            "$.campaigns[0].steps[0].onDecline: no step has the id \"nowhere\"",
            "$.campaigns[1].steps[0].offer.products: must be a non-empty list of variant ids, or of pairs of variant ids",
            "$.campaigns[1].steps[0].offer.discount.amountOff: write money as a string such as \"50.00\", not a number",
            "$.campaigns[1].id: campaign id \"a\" is used twice",
        ]
    );
}

#[test]
fn unknown_versions_and_shapes_are_refused() {
    assert_eq!(
        faults(json!({"version": 2})),
        vec!["$.version: version 2 is not supported; this Encore reads version 1"]
    );
    assert_eq!(
        faults(json!([])),
        vec!["$: the configuration must be a JSON object, not array"]
    );
    assert_eq!(
        faults(json!({"campaigns": []})),
        vec!["$.version: is missing; write \"version\": 1"]
    );
}

#[test]
fn amounts_the_shop_currency_cannot_write_are_refused_at_their_paths() {
    let config = json!({"version": 1, "defaults": {"guardrails": {"minPurchase": "10.5"}}, "campaigns": [
        {"id": "a", "triggers": {"purchaseValue": {"min": "1000.50"}, "customer": {"minAmountSpent": "0.01"}},
         "steps": [{"id": "s", "offer": {"products": ["10"], "discount": {"amountOff": "1.50"},
                    "subscription": {"initialShippingPrice": "0.99"},
                    "shipping": {"price": "4.99"}}}]}]});
    let why = "cannot be written in the shop currency JPY, which has no decimal places";
    assert_eq!(
        faults_in(config.clone(), "JPY"),
        vec![
            format!("$.defaults.guardrails.minPurchase: \"10.5\" {why}"),
            format!("$.campaigns[0].triggers.purchaseValue.min: \"1000.50\" {why}"),
            format!("$.campaigns[0].triggers.customer.minAmountSpent: \"0.01\" {why}"),
            format!("$.campaigns[0].steps[0].offer.discount.amountOff: \"1.50\" {why}"),
            format!(
                "$.campaigns[0].steps[0].offer.subscription.initialShippingPrice: \"0.99\" {why}"
            ),
            format!("$.campaigns[0].steps[0].offer.shipping.price: \"4.99\" {why}"),
        ]
    );
    // The same document is fine in a 2-decimal currency; a 3-decimal one takes a third place.
    assert_eq!(faults_in(config, "USD"), Vec::<String>::new());
    let kwd = json!({"version": 1, "campaigns": [{"id": "a", "steps": [{"id": "s",
        "offer": {"products": ["10"], "discount": {"fixedPrice": "1.2345"}}}]}]});
    assert_eq!(
        faults_in(kwd.clone(), "KWD"),
        vec!["$.campaigns[0].steps[0].offer.discount.fixedPrice: \"1.2345\" cannot be written in the shop currency KWD, which has 3 decimal places"]
    );
    let parsed = validate_json(
        &json!({"version": 1, "defaults": {"guardrails": {"maxOfferPrice": "12.345"}}}),
        currency("KWD"),
    )
    .expect("valid in KWD");
    assert_eq!(
        parsed.defaults.guardrails.max_offer_price,
        Some(Amount::from_minor(12_345))
    );
}

#[test]
fn every_currency_with_a_default_cap_gets_it_in_its_own_minor_units() {
    let minor = |code: &str| default_max_offer_price(currency(code)).map(Amount::minor);
    assert_eq!(minor("USD"), Some(5_000));
    assert_eq!(minor("JPY"), Some(7_500));
    assert_eq!(minor("KRW"), Some(70_000));
    assert_eq!(minor("KWD"), Some(15_000));
    assert_eq!(minor("IDR"), Some(80_000_000));
    // No default for a currency without an entry: the share-of-purchase cap alone applies.
    assert_eq!(minor("XOF"), None);
}
