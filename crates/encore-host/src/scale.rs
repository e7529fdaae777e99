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

const MIN_FACTOR: f64 = 1.0;
const MAX_FACTOR: f64 = 10.0;

/// Computes the limits scale factor for `input` from the schema's `@scaleLimits` directives on
/// the fields the `query` selects. Returns 1.0 when nothing is rated.
pub fn scale_factor(schema_sdl: &str, query: &str, input: &Value) -> Result<f64, HostError> {
    Ok(ScalePlan::new(schema_sdl, query)?.factor(input))
}

/// A field the query selects whose definition carries `@scaleLimits`.
#[derive(Debug, Clone, PartialEq)]
pub struct RatedField {
    /// Response keys from the root; lists along the way are walked through.
    pub path: Vec<String>,
    pub rate: f64,
}

/// The rated fields of a schema and query, found once: parsing the schema is most of the cost
/// of a factor, and a server computes one per run.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalePlan {
    rated: Vec<RatedField>,
}

impl ScalePlan {
    /// Parses `schema_sdl` and `query` and collects the rated fields the query selects.
    pub fn new(schema_sdl: &str, query: &str) -> Result<Self, HostError> {
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
        let input = Value::Object(Map::new());
        let rated = Orchestrator::<_, _, _, RatedFields>::analyze(
            &document, &schema, None, &variables, &cache, &input,
        )
        .map_err(|e| HostError::Schema {
            message: format!("query: {e:?}"),
        })?;
        Ok(Self { rated })
    }

    pub fn rated_fields(&self) -> &[RatedField] {
        &self.rated
    }

    /// The factor for `input`: for each rated field, `length × rate` summed over its
    /// occurrences (length of a list or string, 1 for anything else, including a missing value
    /// under a present parent); the largest sum, clamped to 1..=10.
    pub fn factor(&self, input: &Value) -> f64 {
        self.factor_from(|path| {
            let (last, parents_path) = path.split_last()?;
            let mut parents = vec![input];
            for key in parents_path {
                let mut next = Vec::new();
                for parent in parents {
                    match parent.as_object().and_then(|o| o.get(key)) {
                        Some(Value::Array(items)) => next.extend(items),
                        Some(value) => next.push(value),
                        None => {}
                    }
                }
                parents = next;
            }
            Some(
                parents
                    .iter()
                    .map(|p| match p.as_object().and_then(|o| o.get(last)) {
                        Some(Value::String(s)) => s.len(),
                        Some(Value::Array(a)) => a.len(),
                        _ => 1,
                    })
                    .sum(),
            )
        })
        .unwrap_or(MIN_FACTOR)
    }

    /// The factor from `total_length(path)`: the summed length of the rated field's
    /// occurrences, for a caller that knows its input's lists without a JSON value. `None`
    /// when the caller does not know a rated path.
    pub fn factor_from(&self, total_length: impl Fn(&[String]) -> Option<usize>) -> Option<f64> {
        let mut factor = MIN_FACTOR;
        for field in &self.rated {
            factor = factor.max(total_length(&field.path)? as f64 * field.rate);
        }
        Some(factor.clamp(MIN_FACTOR, MAX_FACTOR))
    }
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

/// Collects the rated fields while the orchestrator walks the query against the schema.
struct RatedFields<'a> {
    path: Vec<&'a str>,
    rated: Vec<RatedField>,
}

type Doc<'a> = ExecutableDocument<'a>;
type Schema<'a> = SchemaDefinition<'a, DefaultContext>;

impl<'a> Visitor<'a, Doc<'a>, Schema<'a>, Map<String, Value>> for RatedFields<'a> {
    type ExtraInfo = &'a Value;

    fn new(
        _operation: &'a <Doc<'a> as bluejay_core::executable::ExecutableDocument>::OperationDefinition,
        _schema: &'a Schema<'a>,
        _variables: &'a Map<String, Value>,
        _cache: &'a Cache<'a, Doc<'a>, Schema<'a>>,
        _input: &'a Value,
    ) -> Self {
        Self {
            path: Vec::new(),
            rated: Vec::new(),
        }
    }

    fn visit_field(
        &mut self,
        field: &'a <Doc<'a> as bluejay_core::executable::ExecutableDocument>::Field,
        definition: &'a <Schema<'a> as CoreSchemaDefinition>::FieldDefinition,
        _scoped_type: bluejay_core::definition::TypeDefinitionReference<'a, Schema<'a>>,
        _included: bool,
    ) {
        self.path.push(field.response_key());
        if let Some(rate) = rate(definition) {
            let path: Vec<String> = self.path.iter().map(|k| k.to_string()).collect();
            // A path selected twice (fragments, aliases) counts once, at its larger rate, like
            // function-runner's max.
            match self.rated.iter_mut().find(|r| r.path == path) {
                Some(known) => known.rate = known.rate.max(rate),
                None => self.rated.push(RatedField { path, rate }),
            }
        }
    }

    fn leave_field(
        &mut self,
        _field: &'a <Doc<'a> as bluejay_core::executable::ExecutableDocument>::Field,
        _definition: &'a <Schema<'a> as CoreSchemaDefinition>::FieldDefinition,
        _scoped_type: bluejay_core::definition::TypeDefinitionReference<'a, Schema<'a>>,
        _included: bool,
    ) {
        self.path.pop();
    }
}

impl<'a> Analyzer<'a, Doc<'a>, Schema<'a>, Map<String, Value>> for RatedFields<'a> {
    type Output = Vec<RatedField>;

    fn into_output(self) -> Vec<RatedField> {
        self.rated
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
    fn a_plan_lists_the_selected_rated_fields_and_computes_from_lengths() {
        let plan = ScalePlan::new(
            SCHEMA,
            "query { cart { lines { parts { id } } } other { id } }",
        )
        .unwrap();
        let paths: Vec<Vec<&str>> = plan
            .rated_fields()
            .iter()
            .map(|r| r.path.iter().map(String::as_str).collect())
            .collect();
        assert_eq!(
            paths,
            [
                vec!["cart", "lines"],
                vec!["cart", "lines", "parts"],
                vec!["other"]
            ]
        );
        // 600 × 0.01 = 6 beats 100 × 0.005 and 20 × 0.1.
        let lengths = |p: &[String]| match p.last().map(String::as_str) {
            Some("other") => Some(600),
            Some("lines") => Some(100),
            Some("parts") => Some(20),
            _ => None,
        };
        assert_eq!(plan.factor_from(lengths), Some(6.0));
        // A caller that does not know a rated path gets no factor rather than a wrong one.
        assert_eq!(plan.factor_from(|p| (p.len() == 1).then_some(1)), None);
    }

    #[test]
    fn bad_schema_or_query_is_an_error() {
        let err = scale_factor("type {", "query { a }", &json!({})).unwrap_err();
        assert!(err.to_string().contains("schema"), "{err}");
        let err = scale_factor(SCHEMA, "query {", &json!({})).unwrap_err();
        assert!(err.to_string().contains("query"), "{err}");
    }
}
