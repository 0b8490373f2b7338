//! Variable mapping (`features.md` §2.2): where each `{{variable}}` of an evaluator's prompt
//! comes from, an optional JSONPath selector (RFC 9535, `serde_json_path`), and the compiled
//! prompt.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

static SLOT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\{\{\s*([\w.]+)\s*\}\}").expect("valid regex"));

/// What a variable is filled from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Input,
    Output,
    Metadata,
    ToolCalls,
    ExpectedOutput,
    ExperimentItemMetadata,
}

impl Source {
    pub const ALL: [Source; 6] = [
        Source::Input,
        Source::Output,
        Source::Metadata,
        Source::ToolCalls,
        Source::ExpectedOutput,
        Source::ExperimentItemMetadata,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Source::Input => "input",
            Source::Output => "output",
            Source::Metadata => "metadata",
            Source::ToolCalls => "tool_calls",
            Source::ExpectedOutput => "expected_output",
            Source::ExperimentItemMetadata => "experiment_item_metadata",
        }
    }

    pub fn parse(raw: &str) -> Option<Source> {
        Source::ALL.into_iter().find(|s| s.as_str() == raw)
    }
}

/// One variable's mapping as the API sends and reads it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Mapping {
    pub variable: String,
    pub source: Source,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub json_path: Option<String>,
}

/// Why a mapping cannot be used; `code` is the unstable API's error code.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct MappingError {
    pub code: &'static str,
    pub message: String,
    pub variables: Vec<String>,
}

/// A checked JSONPath selector.
#[derive(Debug, Clone)]
pub struct JsonPath(serde_json_path::JsonPath);

impl JsonPath {
    pub fn parse(raw: &str) -> Result<JsonPath, String> {
        if !raw.trim_start().starts_with('$') {
            return Err("a JSONPath must start with '$'".to_owned());
        }
        serde_json_path::JsonPath::parse(raw.trim())
            .map(JsonPath)
            .map_err(|e| format!("invalid JSONPath: {e}"))
    }

    /// One match gives the value, several a list of them, none `None`.
    pub fn select(&self, value: &Value) -> Option<Value> {
        let found = self.0.query(value).all();
        match found.as_slice() {
            [] => None,
            [one] => Some((*one).clone()),
            many => Some(Value::Array(many.iter().map(|v| (*v).clone()).collect())),
        }
    }
}

impl Mapping {
    /// The mapped value of `column`: the selector applied to the (JSON-decoded, when it is a
    /// string holding JSON) column, or the column itself without a selector.
    pub fn pick(&self, column: Option<&Value>) -> Option<Value> {
        let column = column?;
        let Some(raw) = &self.json_path else {
            return Some(column.clone());
        };
        let Ok(path) = JsonPath::parse(raw) else {
            return Some(column.clone());
        };
        let decoded = decode(column);
        path.select(&decoded)
    }
}

/// A string that holds JSON, decoded (repeatedly, as SDKs sometimes encode twice).
fn decode(value: &Value) -> Value {
    let mut current = value.clone();
    for _ in 0..3 {
        match &current {
            Value::String(text) => match serde_json::from_str::<Value>(text) {
                Ok(inner) if inner.is_object() || inner.is_array() || inner.is_string() => {
                    current = inner
                }
                _ => break,
            },
            _ => break,
        }
    }
    current
}

/// Checks that every variable is mapped exactly once, by a known variable, with a valid
/// selector and a source the target allows.
pub fn check_mappings(
    variables: &[String],
    mappings: &[Mapping],
    allows: impl Fn(Source) -> bool,
) -> Result<(), MappingError> {
    let mut seen: Vec<&str> = Vec::new();
    for mapping in mappings {
        if !variables.contains(&mapping.variable) {
            return Err(MappingError {
                code: "invalid_variable_mapping",
                message: format!(
                    "'{}' is not a variable of the evaluator's prompt",
                    mapping.variable
                ),
                variables: vec![mapping.variable.clone()],
            });
        }
        if seen.contains(&mapping.variable.as_str()) {
            return Err(MappingError {
                code: "duplicate_variable_mapping",
                message: format!("variable '{}' is mapped more than once", mapping.variable),
                variables: vec![mapping.variable.clone()],
            });
        }
        seen.push(&mapping.variable);
        if !allows(mapping.source) {
            return Err(MappingError {
                code: "invalid_variable_mapping",
                message: format!(
                    "source '{}' cannot be used for this target (variable '{}')",
                    mapping.source.as_str(),
                    mapping.variable
                ),
                variables: vec![mapping.variable.clone()],
            });
        }
        if let Some(path) = &mapping.json_path
            && let Err(message) = JsonPath::parse(path)
        {
            return Err(MappingError {
                code: "invalid_json_path",
                message: format!("variable '{}': {message}", mapping.variable),
                variables: vec![mapping.variable.clone()],
            });
        }
    }
    let missing: Vec<String> = variables
        .iter()
        .filter(|v| !seen.contains(&v.as_str()))
        .cloned()
        .collect();
    if !missing.is_empty() {
        return Err(MappingError {
            code: "missing_variable_mapping",
            message: format!("variables without a mapping: {}", missing.join(", ")),
            variables: missing,
        });
    }
    Ok(())
}

/// A value as text for the prompt: nothing for null, strings as they are, the rest as JSON.
pub fn stringify(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Fills `{{ name }}` slots (whitespace tolerant); slots without a value stay as they are.
pub fn compile_prompt(prompt: &str, values: &BTreeMap<String, String>) -> String {
    SLOT.replace_all(prompt, |captures: &regex::Captures<'_>| {
        values
            .get(&captures[1])
            .cloned()
            .unwrap_or_else(|| captures[0].to_owned())
    })
    .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mapping(variable: &str, source: Source, path: Option<&str>) -> Mapping {
        Mapping {
            variable: variable.into(),
            source,
            json_path: path.map(Into::into),
        }
    }

    #[test]
    fn selectors_pick_one_many_or_nothing() {
        let doc = json!({"messages": [{"content": "a"}, {"content": "b"}], "k": 1});
        let one = mapping("x", Source::Input, Some("$.k"));
        assert_eq!(one.pick(Some(&doc)), Some(json!(1)));
        let many = mapping("x", Source::Input, Some("$.messages[*].content"));
        assert_eq!(many.pick(Some(&doc)), Some(json!(["a", "b"])));
        let none = mapping("x", Source::Input, Some("$.nope"));
        assert_eq!(none.pick(Some(&doc)), None);
        let encoded = Value::String(doc.to_string());
        assert_eq!(one.pick(Some(&encoded)), Some(json!(1)));
    }

    #[test]
    fn mappings_are_checked() {
        let vars = vec!["query".to_owned(), "answer".to_owned()];
        let all = |_| true;
        let missing = check_mappings(&vars, &[mapping("query", Source::Input, None)], all);
        assert_eq!(missing.unwrap_err().code, "missing_variable_mapping");
        let bad_path = check_mappings(
            &vars,
            &[
                mapping("query", Source::Input, Some("$..[")),
                mapping("answer", Source::Output, None),
            ],
            all,
        );
        assert_eq!(bad_path.unwrap_err().code, "invalid_json_path");
        let twice = check_mappings(
            &vars,
            &[
                mapping("query", Source::Input, None),
                mapping("query", Source::Output, None),
            ],
            all,
        );
        assert_eq!(twice.unwrap_err().code, "duplicate_variable_mapping");
    }

    #[test]
    fn prompts_compile_whitespace_tolerant() {
        let values = BTreeMap::from([("a".to_owned(), "1".to_owned())]);
        assert_eq!(compile_prompt("x {{ a }} {{b}}", &values), "x 1 {{b}}");
    }
}
