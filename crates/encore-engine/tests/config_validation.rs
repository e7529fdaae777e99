//! The server's validation of whole configurations: every fault with its JSON path.

use encore_engine::config::validate_json;
use serde_json::json;

fn faults(config: serde_json::Value) -> Vec<String> {
    validate_json(&config)
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
    let parsed = validate_json(&config).expect("valid");
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
