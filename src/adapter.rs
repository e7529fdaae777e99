//! Reads the typed Function input into engine types and writes the engine's decision back.
//! The only module that knows both Shopify's Function types and the engine's.

use encore_engine::input::FunctionInput;
use encore_engine::{offer_record, reason, Decision};

use crate::schema::{self, run as input};

/// Runs the engine on the Function input.
pub fn run(input: &input::Input) -> schema::FunctionRunResult {
    // One decision, then the process ends; its allocator never frees.
    let decision = encore_engine::input::decide_once(input);
    write_decision(decision)
}

impl FunctionInput for input::Input {
    fn locale(&self) -> &str {
        input::Input::locale(self)
    }
    fn now(&self) -> &str {
        input::Input::now(self)
    }
    fn shop_currency_code(&self) -> &str {
        self.shop().currency_code()
    }
    fn config(&self) -> Option<&str> {
        self.shop().metafield().map(|m| m.value().as_str())
    }
    fn context(&self) -> &str {
        input::Input::context(self)
    }
    fn line_count(&self) -> usize {
        input::Input::purchase(self).packed_lines().len()
    }
    fn packed_line(&self, index: usize) -> &str {
        &input::Input::purchase(self).packed_lines()[index]
    }
    fn facts(&self) -> &str {
        input::Input::facts(self)
    }
}

// The decision becomes two records, the offer's and the reasons': one string each.

fn write_decision(decision: Decision) -> schema::FunctionRunResult {
    let result = schema::FunctionRunResult {
        offer: decision.offer.as_ref().map(offer_record::write),
        reasons: reason::write_records(&decision.reasons),
    };
    // The process ends with this answer and its allocator never frees: dropping the decision
    // would only walk its strings.
    std::mem::forget(decision);
    result
}
