//! The `@scaleLimits` factor: how much a large input raises the instruction, input and output limits.
//!
//! Same rule as function-runner's scale-limits analyzer: for every field of the query whose
//! schema definition carries `@scaleLimits(rate: Float)`, and every occurrence of that field
//! in the input, `length × rate` (length of a list or string, 1 for anything else, including a
//! missing value). Occurrences of one field path are summed (for example a rated list nested in
//! another list); the factor is the largest sum over field paths, clamped to 1..=10.

use crate::HostError;
use bluejay_core::definition::{prelude::*, SchemaDefinition as CoreSchemaDefinition};
use bluejay_core::{AsIter, Directive, Value as CoreValue, ValueReference};
use bluejay_parser::ast::definition::{
    DefaultContext, DefinitionDocument, FieldDefinition, SchemaDefinition,
};
use bluejay_parser::ast::executable::ExecutableDocument;
use bluejay_parser::ast::Parse;
use bluejay_parser::Error as ParseError;
use bluejay_validator::executable::operation::{Analyzer, Orchestrator, Visitor};
use bluejay_validator::executable::Cache;
use serde_json::{Map, Value};
use std::collections::HashMap;

const MIN_FACTOR: f64 = 1.0;
const MAX_FACTOR: f64 = 10.0;

/// Computes the limits scale factor for `input` from the schema's `@scaleLimits` directives on
/// the fields the `query` selects. Returns 1.0 when nothing is rated.
pub fn scale_factor(schema_sdl: &str, query: &str, input: &Value) -> Result<f64, HostError> {
    let definitions = DefinitionDocument::<DefaultContext>::parse(schema_sdl)
        .result
        .map_err(|errors| schema_error("schema", schema_sdl, errors))?;
    let schema = SchemaDefinition::try_from(&definitions)
        .map_err(|errors| schema_error("schema", schema_sdl, errors))?;
    let document = ExecutableDocument::parse(query)
        .result
        .map_err(|errors| schema_error("query", query, errors))?;
    let cache = Cache::new(&document, &schema);
    let variables = Map::new();
    Orchestrator::<_, _, _, ScaleLimits>::analyze(
        &document, &schema, None, &variables, &cache, input,
    )
    .map_err(|e| HostError::Schema {
        message: format!("query: {e:?}"),
    })
}

fn schema_error<E: Into<ParseError>>(what: &str, source: &str, errors: Vec<E>) -> HostError {
    let message = ParseError::into_graphql_errors(source, errors)
        .into_iter()
        .map(|e| match e.locations.first() {
            Some(l) => format!("{what} {}:{}: {}", l.line, l.col, e.message),
            None => format!("{what}: {}", e.message),
        })
        .collect::<Vec<_>>()
        .join("; ");
    HostError::Schema { message }
}

struct ScaleLimits<'a> {
    /// For each field being visited, the input values it was found in (flattened over lists).
    values: Vec<Vec<&'a Value>>,
    path: Vec<&'a str>,
    /// `length × rate` per (field path, occurrence).
    rates: HashMap<(Vec<&'a str>, usize), f64>,
}

type Doc<'a> = ExecutableDocument<'a>;
type Schema<'a> = SchemaDefinition<'a, DefaultContext>;

impl<'a> Visitor<'a, Doc<'a>, Schema<'a>, Map<String, Value>> for ScaleLimits<'a> {
    type ExtraInfo = &'a Value;

    fn new(
        _operation: &'a <Doc<'a> as bluejay_core::executable::ExecutableDocument>::OperationDefinition,
        _schema: &'a Schema<'a>,
        _variables: &'a Map<String, Value>,
        _cache: &'a Cache<'a, Doc<'a>, Schema<'a>>,
        input: &'a Value,
    ) -> Self {
        Self {
            values: vec![vec![input]],
            path: Vec::new(),
            rates: HashMap::new(),
        }
    }

    fn visit_field(
        &mut self,
        field: &'a <Doc<'a> as bluejay_core::executable::ExecutableDocument>::Field,
        definition: &'a <Schema<'a> as CoreSchemaDefinition>::FieldDefinition,
        _scoped_type: bluejay_core::definition::TypeDefinitionReference<'a, Schema<'a>>,
        _included: bool,
    ) {
        let key = field.response_key();
        self.path.push(key);
        let rate = rate(definition);
        let mut nested = Vec::new();
        let parents = self.values.last().map(Vec::as_slice).unwrap_or_default();
        for (index, parent) in parents.iter().enumerate() {
            let value = parent.as_object().and_then(|o| o.get(key));
            if let Some(rate) = rate {
                let length = match value {
                    Some(Value::String(s)) => s.len(),
                    Some(Value::Array(a)) => a.len(),
                    _ => 1,
                };
                let entry = self.rates.entry((self.path.clone(), index)).or_default();
                *entry = entry.max(length as f64 * rate);
            }
            match value {
                Some(Value::Array(items)) => nested.extend(items),
                Some(value) => nested.push(value),
                None => {}
            }
        }
        self.values.push(nested);
    }

    fn leave_field(
        &mut self,
        _field: &'a <Doc<'a> as bluejay_core::executable::ExecutableDocument>::Field,
        _definition: &'a <Schema<'a> as CoreSchemaDefinition>::FieldDefinition,
        _scoped_type: bluejay_core::definition::TypeDefinitionReference<'a, Schema<'a>>,
        _included: bool,
    ) {
        self.path.pop();
        self.values.pop();
    }
}

impl<'a> Analyzer<'a, Doc<'a>, Schema<'a>, Map<String, Value>> for ScaleLimits<'a> {
    type Output = f64;

    fn into_output(self) -> f64 {
        let mut per_path: HashMap<Vec<&str>, f64> = HashMap::new();
        for ((path, _), rate) in self.rates {
            *per_path.entry(path).or_default() += rate;
        }
        per_path
            .into_values()
            .fold(MIN_FACTOR, f64::max)
            .clamp(MIN_FACTOR, MAX_FACTOR)
    }
}

/// `rate` of the field's `@scaleLimits`, if any. Like function-runner, only a Float literal counts.
fn rate(definition: &FieldDefinition<DefaultContext>) -> Option<f64> {
    definition
        .directives()
        .into_iter()
        .flat_map(|directives| directives.iter())
        .find(|directive| directive.name() == "scaleLimits")
        .and_then(|directive| directive.arguments())
        .and_then(|arguments| arguments.iter().find(|argument| argument.name() == "rate"))
        .and_then(|argument| match argument.value().as_ref() {
            ValueReference::Float(rate) => Some(rate),
            _ => None,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const SCHEMA: &str = r#"
        schema { query: Input }
        directive @scaleLimits(rate: Float!) on FIELD_DEFINITION
        type Input { cart: Cart!, other: [Item!]! @scaleLimits(rate: 0.01) }
        type Cart { lines: [Line!]! @scaleLimits(rate: 0.005), note: String }
        type Line { id: ID!, parts: [Item!]! @scaleLimits(rate: 0.1) }
        type Item { id: ID! }
    "#;

    fn lines(n: usize, parts: usize) -> Value {
        let line = json!({"id": "1", "parts": vec![json!({"id": "p"}); parts]});
        Value::Array(vec![line; n])
    }

    #[test]
    fn small_inputs_have_factor_one() {
        let input = json!({"cart": {"lines": lines(3, 0)}, "other": []});
        let f = scale_factor(
            SCHEMA,
            "query { cart { lines { id } } other { id } }",
            &input,
        )
        .unwrap();
        assert_eq!(f, 1.0);
    }

    #[test]
    fn factor_is_length_times_rate_max_over_fields() {
        let input =
            json!({"cart": {"lines": lines(400, 0)}, "other": vec![json!({"id": "x"}); 300]});
        let q = "query { cart { lines { id } } other { id } }";
        assert_eq!(scale_factor(SCHEMA, q, &input).unwrap(), 3.0);
        // Only fields the query selects count.
        assert_eq!(
            scale_factor(SCHEMA, "query { cart { lines { id } } }", &input).unwrap(),
            2.0
        );
    }

    #[test]
    fn nested_rated_lists_sum_over_occurrences_and_clamp() {
        // 30 lines × 5 parts × 0.1 = 15 -> clamped to 10.
        let input = json!({"cart": {"lines": lines(30, 5)}});
        let q = "query { cart { lines { parts { id } } } }";
        assert_eq!(scale_factor(SCHEMA, q, &input).unwrap(), 10.0);
        // 4 lines × 3 parts × 0.1 = 1.2
        let input = json!({"cart": {"lines": lines(4, 3)}});
        assert!((scale_factor(SCHEMA, q, &input).unwrap() - 1.2).abs() < 1e-9);
    }

    #[test]
    fn bad_schema_or_query_is_an_error() {
        let err = scale_factor("type {", "query { a }", &json!({})).unwrap_err();
        assert!(err.to_string().contains("schema"), "{err}");
        let err = scale_factor(SCHEMA, "query {", &json!({})).unwrap_err();
        assert!(err.to_string().contains("query"), "{err}");
    }
}
