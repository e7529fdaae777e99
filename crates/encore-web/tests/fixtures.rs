//! Every offer Function fixture (tests/fixtures: `*.input.json` and the benchmarks) through
//! the browser engine natively: its answer must equal the Function's recorded output, for the
//! packed input the Function reads and for its readable source (tests/fixtures/readable, the
//! shape the admin's simulator sends). The same comparison runs on the built wasm in Chromium
//! (web/test/engine.browser.test.js).

use std::path::{Path, PathBuf};

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// (input, recorded output) of every fixture, sorted by name: the inputs in `inputs`.
fn fixture_pairs(inputs: &Path) -> Vec<(PathBuf, PathBuf)> {
    let dir = fixtures_dir();
    let mut pairs: Vec<(PathBuf, PathBuf)> = std::fs::read_dir(inputs)
        .expect("tests/fixtures")
        .filter_map(|e| {
            let path = e.expect("entry").path();
            let name = path.file_name()?.to_str()?.to_owned();
            let stem = name.strip_suffix(".input.json").or_else(|| {
                name.strip_suffix(".json")
                    .filter(|s| s.starts_with("bench-"))
            })?;
            (!stem.ends_with(".output"))
                .then(|| (path.clone(), dir.join(format!("{stem}.output.json"))))
        })
        .collect();
    pairs.sort();
    pairs
}

#[test]
fn the_browser_engine_answers_every_fixture_as_the_function_does() {
    answers_as_recorded(&fixtures_dir());
}

#[test]
fn the_browser_engine_packs_a_readable_input_and_answers_as_the_function_does() {
    answers_as_recorded(&fixtures_dir().join("readable"));
}

fn answers_as_recorded(inputs: &Path) {
    let pairs = fixture_pairs(inputs);
    assert!(
        pairs.len() >= 50,
        "expected the fixture set, found {}",
        pairs.len()
    );
    let mut failures = Vec::new();
    for (input_path, output_path) in &pairs {
        let input = std::fs::read_to_string(input_path).expect("read input");
        let expected: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(output_path).expect("recorded output"))
                .expect("recorded output is JSON");
        let got: serde_json::Value = match encore_web::decide_json(&input) {
            Ok(text) => serde_json::from_str(&text).expect("the answer is JSON"),
            Err(e) => {
                failures.push(format!("{}: refused: {e}", input_path.display()));
                continue;
            }
        };
        if got != expected {
            failures.push(format!(
                "{}:\n  expected {expected}\n  got      {got}",
                input_path.display()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures differ:\n{}",
        failures.len(),
        pairs.len(),
        failures.join("\n")
    );
}

#[test]
fn an_answer_reads_as_the_admin_shows_it_and_damaged_records_are_refused() {
    let input = std::fs::read_to_string(fixtures_dir().join("bench-typical.json")).expect("read");
    let answer = encore_web::decide_json(&input).expect("answer");
    let read: serde_json::Value =
        serde_json::from_str(&encore_web::read_output_json(&answer).expect("read")).expect("JSON");
    assert_eq!(read["offer"]["campaignId"], "winner", "{read}");
    assert_eq!(
        read["offer"]["products"][0]["shopPrices"]["offerPrice"], "21.24",
        "{read}"
    );
    assert_eq!(read["offer"]["changes"][0]["type"], "add_variant", "{read}");
    let reasons = read["reasons"].as_array().expect("a list");
    assert_eq!(reasons[0]["code"], "TRIGGER_PRODUCTS_NOT_MATCHED", "{read}");
    assert_eq!(reasons[0]["campaignId"], "campaign-00", "{read}");
    let mut output: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    let offer = output["offer"]
        .as_str()
        .expect("the offer's record")
        .to_owned();
    output["offer"] = offer[..offer.len() - 1].into();
    assert!(encore_web::read_output_json(&output.to_string()).is_err());
    let mut output: serde_json::Value = serde_json::from_str(&answer).expect("JSON");
    output["reasons"] = "[]".into();
    assert!(encore_web::read_output_json(&output.to_string()).is_err());
}

#[test]
fn an_offer_reads_back_byte_for_byte_as_the_typed_output_wrote_it() {
    // The changes of every kind as the Function's typed output wrote them, key order included:
    // what the server stores and exports.
    let cases = [
        (
            "seed-dog-food-subscribe-and-save",
            r#"[{"type":"add_subscription","variantId":"2004","quantity":1,"sellingPlanId":"9001","discount":{"value":"9.00","valueType":"fixed_amount","title":"Subscribe & save 15%"},"initialShippingPrice":"0.00","recurringShippingPrice":"0.00","shippingOption":{"title":"Free delivery","presentmentTitle":"Free delivery"}},{"type":"set_metafield","namespace":"encore","key":"offer-1","value":"{\"campaignId\":\"dog-subscribe\",\"stepId\":\"subscribe\",\"referenceId\":\"r-1001\",\"seq\":0}","valueType":"json_string"}]"#,
        ),
        (
            "offer-charges-shipping",
            r#"[{"type":"add_variant","variantId":"2201","quantity":1,"discount":{"value":"10","valueType":"percentage","title":"10% off"}},{"type":"add_shipping_line","price":"4.99","title":"Standard shipping","presentmentTitle":"Standard shipping"},{"type":"set_metafield","namespace":"encore","key":"offer-1","value":"{\"campaignId\":\"ship\",\"stepId\":\"s\",\"referenceId\":\"r-1001\",\"seq\":0}","valueType":"json_string"}]"#,
        ),
    ];
    for (name, changes) in cases {
        let output = std::fs::read_to_string(fixtures_dir().join(format!("{name}.output.json")))
            .expect("recorded output");
        let read: serde_json::Value =
            serde_json::from_str(&encore_web::read_output_json(&output).expect("read"))
                .expect("JSON");
        assert_eq!(read["offer"]["changes"].to_string(), changes, "{name}");
    }
}

#[test]
fn validation_gives_the_engine_s_faults_with_their_paths() {
    let config = r#"{"version": 1, "campaigns": [{"id": "c", "name": "C", "status": "active",
        "steps": [{"id": "s", "offer": {"products": ["1"], "discount": {"percent": 150}}}]}]}"#;
    let faults: serde_json::Value =
        serde_json::from_str(&encore_web::validate_json(config, "USD").expect("validated"))
            .expect("JSON");
    assert_eq!(
        faults[0]["path"],
        "$.campaigns[0].steps[0].offer.discount.percent"
    );
    let valid = config.replace("150", "15");
    assert_eq!(encore_web::validate_json(&valid, "USD").unwrap(), "[]");
}

#[test]
fn an_input_that_is_not_the_function_s_shape_is_refused_with_the_reason() {
    let e = encore_web::decide_json(r#"{"locale": "en"}"#).unwrap_err();
    assert!(e.contains("missing field"), "{e}");
    // A readable context is typed as input.graphql types it: an order count that is not an
    // Int is refused, not read as 0.
    let readable =
        std::fs::read_to_string(fixtures_dir().join("readable/seed-phone-case.input.json"))
            .expect("a readable fixture");
    let mut input: serde_json::Value = serde_json::from_str(&readable).expect("JSON");
    input["funnel"]["offersShown"] = serde_json::json!("3");
    let e = encore_web::decide_json(&input.to_string()).unwrap_err();
    assert!(
        e.contains("offersShown") || e.contains("invalid type"),
        "{e}"
    );
    // With neither a context nor its readable parts, the input is refused with what is missing.
    input.as_object_mut().unwrap().remove("funnel");
    let e = encore_web::decide_json(&input.to_string()).unwrap_err();
    assert!(e.contains("missing field `context`"), "{e}");
}
