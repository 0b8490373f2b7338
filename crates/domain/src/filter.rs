//! The advanced `filter` query parameter of Langfuse's list endpoints: a JSON array of conditions
//! `{type, column, operator, value, key?}` (wire-spec §5.1). This module checks the syntax — that
//! every condition is one of Langfuse's condition types with an operator and value of that type;
//! which columns a list can be filtered on, and how, is the store's business.

use serde_json::Value;

use crate::time::Millis;

/// One condition of a filter.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FilterCondition {
    /// The column id as the client sent it (`userId`, `metadata`, `scores_avg`, …).
    pub column: String,
    /// The key of an object column (a metadata key, a score name).
    pub key: Option<String>,
    pub test: Test,
}

/// What a condition asks of its column: Langfuse's condition types with their operators, each
/// carrying a value of its own type.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum Test {
    /// `datetime`.
    Datetime(Comparison, Millis),
    /// `string` and, with a key, `stringObject`.
    Text(TextOperator, String),
    /// `number` and, with a key, `numberObject`.
    Number(Comparison, f64),
    /// `stringOptions`, `categoryOptions` (with a key) and `arrayOptions`.
    Options(OptionsOperator, Vec<String>),
    /// `boolean` and, with a key, `booleanObject`: `=` is `true`, `<>` is `false` in `equal`.
    Boolean { equal: bool, value: bool },
    /// `null`: `is null` when `true`, `is not null` when `false`.
    Null(bool),
}

/// `>`, `<`, `>=`, `<=` and `=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Comparison {
    Equal,
    Greater,
    Less,
    GreaterOrEqual,
    LessOrEqual,
}

impl Comparison {
    /// The SQL operator.
    pub fn sql(self) -> &'static str {
        match self {
            Comparison::Equal => "=",
            Comparison::Greater => ">",
            Comparison::Less => "<",
            Comparison::GreaterOrEqual => ">=",
            Comparison::LessOrEqual => "<=",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TextOperator {
    Equal,
    Contains,
    DoesNotContain,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum OptionsOperator {
    AnyOf,
    NoneOf,
    /// Only for `arrayOptions`.
    AllOf,
}

/// Why a filter was refused: the zod-style path of the offending field and a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct FilterError {
    /// `["filter", 0, "operator"]`-style path, as strings and indexes.
    pub path: Vec<Value>,
    pub message: String,
}

impl FilterError {
    fn at(index: usize, field: &str, message: impl Into<String>) -> Self {
        FilterError {
            path: vec![
                Value::from("filter"),
                Value::from(index),
                Value::from(field),
            ],
            message: message.into(),
        }
    }
}

/// Parses the `filter` parameter: a JSON array of conditions (empty means no filter).
pub fn parse_filter(raw: &str) -> Result<Vec<FilterCondition>, FilterError> {
    let value: Value = serde_json::from_str(raw).map_err(|e| FilterError {
        path: vec![Value::from("filter")],
        message: format!("Invalid filter: not valid JSON ({e})"),
    })?;
    let Value::Array(items) = value else {
        return Err(FilterError {
            path: vec![Value::from("filter")],
            message: "Invalid filter: expected a JSON array of conditions".into(),
        });
    };
    items
        .iter()
        .enumerate()
        .map(|(index, item)| parse_condition(index, item))
        .collect()
}

fn parse_condition(index: usize, item: &Value) -> Result<FilterCondition, FilterError> {
    let Some(object) = item.as_object() else {
        return Err(FilterError {
            path: vec![Value::from("filter"), Value::from(index)],
            message: "Expected a condition object {type, column, operator, value}".into(),
        });
    };
    let text_field = |field: &str| -> Result<&str, FilterError> {
        object.get(field).and_then(Value::as_str).ok_or_else(|| {
            FilterError::at(index, field, format!("Expected `{field}` to be a string"))
        })
    };
    let kind = text_field("type")?;
    let column = text_field("column")?.to_owned();
    let operator = text_field("operator")?;
    let value = object.get("value").unwrap_or(&Value::Null);
    let key = match object.get("key") {
        None | Some(Value::Null) => None,
        Some(Value::String(key)) => Some(key.clone()),
        Some(_) => {
            return Err(FilterError::at(
                index,
                "key",
                "Expected `key` to be a string",
            ));
        }
    };
    let keyed = matches!(
        kind,
        "stringObject" | "numberObject" | "booleanObject" | "categoryOptions"
    );
    if keyed && key.as_deref().is_none_or(str::is_empty) {
        return Err(FilterError::at(
            index,
            "key",
            format!("A `{kind}` condition needs a `key`"),
        ));
    }
    let bad_operator = |allowed: &str| {
        FilterError::at(
            index,
            "operator",
            format!("Invalid operator '{operator}' for type '{kind}'; expected one of {allowed}"),
        )
    };
    let bad_value = |expected: &str| {
        FilterError::at(
            index,
            "value",
            format!("Expected {expected} for type '{kind}'"),
        )
    };
    let test = match kind {
        "datetime" => {
            let comparison = ordering(operator).ok_or_else(|| bad_operator("> < >= <="))?;
            let millis = value
                .as_str()
                .and_then(|raw| crate::ingest::serde_util::datetime::parse(raw).ok())
                .ok_or_else(|| bad_value("an ISO 8601 datetime with offset"))?;
            Test::Datetime(comparison, millis)
        }
        "string" | "stringObject" => {
            let operator = text_operator(operator).ok_or_else(|| {
                bad_operator("=, contains, does not contain, starts with, ends with")
            })?;
            let text = value.as_str().ok_or_else(|| bad_value("a string"))?;
            Test::Text(operator, text.to_owned())
        }
        "number" | "numberObject" => {
            let comparison = match operator {
                "=" => Comparison::Equal,
                other => ordering(other).ok_or_else(|| bad_operator("= > < >= <="))?,
            };
            let number = match value {
                Value::Number(number) => number.as_f64(),
                Value::String(text) => text.trim().parse::<f64>().ok(),
                _ => None,
            }
            .filter(|number| number.is_finite())
            .ok_or_else(|| bad_value("a number"))?;
            Test::Number(comparison, number)
        }
        "stringOptions" | "categoryOptions" | "arrayOptions" => {
            let operator = match operator {
                "any of" => OptionsOperator::AnyOf,
                "none of" => OptionsOperator::NoneOf,
                "all of" if kind == "arrayOptions" => OptionsOperator::AllOf,
                _ if kind == "arrayOptions" => return Err(bad_operator("any of, none of, all of")),
                _ => return Err(bad_operator("any of, none of")),
            };
            let options = value
                .as_array()
                .and_then(|items| {
                    items
                        .iter()
                        .map(|item| item.as_str().map(str::to_owned))
                        .collect::<Option<Vec<_>>>()
                })
                .ok_or_else(|| bad_value("an array of strings"))?;
            Test::Options(operator, options)
        }
        "boolean" | "booleanObject" => {
            let equal = match operator {
                "=" => true,
                "<>" => false,
                _ => return Err(bad_operator("=, <>")),
            };
            let value = match value {
                Value::Bool(value) => *value,
                Value::String(text) if text == "true" => true,
                Value::String(text) if text == "false" => false,
                _ => return Err(bad_value("a boolean")),
            };
            Test::Boolean { equal, value }
        }
        "null" => match operator {
            "is null" => Test::Null(true),
            "is not null" => Test::Null(false),
            _ => return Err(bad_operator("is null, is not null")),
        },
        other => {
            return Err(FilterError::at(
                index,
                "type",
                format!(
                    "Unknown condition type '{other}'; expected datetime, string, number, \
                     stringOptions, categoryOptions, arrayOptions, stringObject, numberObject, \
                     booleanObject, boolean or null"
                ),
            ));
        }
    };
    Ok(FilterCondition { column, key, test })
}

fn ordering(operator: &str) -> Option<Comparison> {
    Some(match operator {
        ">" => Comparison::Greater,
        "<" => Comparison::Less,
        ">=" => Comparison::GreaterOrEqual,
        "<=" => Comparison::LessOrEqual,
        _ => return None,
    })
}

fn text_operator(operator: &str) -> Option<TextOperator> {
    Some(match operator {
        "=" => TextOperator::Equal,
        "contains" => TextOperator::Contains,
        "does not contain" => TextOperator::DoesNotContain,
        "starts with" => TextOperator::StartsWith,
        "ends with" => TextOperator::EndsWith,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(raw: &str) -> FilterCondition {
        let mut conditions = parse_filter(raw).expect("valid filter");
        assert_eq!(conditions.len(), 1);
        conditions.remove(0)
    }

    #[test]
    fn every_condition_type_parses() {
        assert_eq!(parse_filter("[]"), Ok(Vec::new()));
        assert_eq!(
            one(r#"[{"type":"datetime","column":"timestamp","operator":">=","value":"2024-01-01T00:00:00Z"}]"#).test,
            Test::Datetime(Comparison::GreaterOrEqual, 1_704_067_200_000)
        );
        assert_eq!(
            one(r#"[{"type":"string","column":"name","operator":"starts with","value":"chat"}]"#)
                .test,
            Test::Text(TextOperator::StartsWith, "chat".into())
        );
        let number = one(r#"[{"type":"number","column":"latency","operator":">","value":"1.5"}]"#);
        assert_eq!(number.test, Test::Number(Comparison::Greater, 1.5));
        let options = one(
            r#"[{"type":"arrayOptions","column":"tags","operator":"all of","value":["a","b"]}]"#,
        );
        assert_eq!(
            options.test,
            Test::Options(OptionsOperator::AllOf, vec!["a".into(), "b".into()])
        );
        let object = one(
            r#"[{"type":"numberObject","column":"scores_avg","key":"quality","operator":"<=","value":0.5}]"#,
        );
        assert_eq!(object.key.as_deref(), Some("quality"));
        assert_eq!(
            one(r#"[{"type":"boolean","column":"bookmarked","operator":"<>","value":true}]"#).test,
            Test::Boolean {
                equal: false,
                value: true
            }
        );
        assert_eq!(
            one(r#"[{"type":"null","column":"userId","operator":"is not null","value":""}]"#).test,
            Test::Null(false)
        );
    }

    #[test]
    fn bad_filters_name_the_offending_field() {
        let cases = [
            ("not json", vec![Value::from("filter")]),
            (r#"{"type":"string"}"#, vec![Value::from("filter")]),
            (r#"[1]"#, vec![Value::from("filter"), Value::from(0)]),
            (
                r#"[{"type":"string","column":"name","operator":">","value":"x"}]"#,
                vec![
                    Value::from("filter"),
                    Value::from(0),
                    Value::from("operator"),
                ],
            ),
            (
                r#"[{"type":"number","column":"latency","operator":">","value":"fast"}]"#,
                vec![Value::from("filter"), Value::from(0), Value::from("value")],
            ),
            (
                r#"[{"type":"datetime","column":"timestamp","operator":">","value":"2024-01-01T00:00:00"}]"#,
                vec![Value::from("filter"), Value::from(0), Value::from("value")],
            ),
            (
                r#"[{"type":"stringOptions","column":"name","operator":"all of","value":["a"]}]"#,
                vec![
                    Value::from("filter"),
                    Value::from(0),
                    Value::from("operator"),
                ],
            ),
            (
                r#"[{"type":"stringObject","column":"metadata","operator":"=","value":"a"}]"#,
                vec![Value::from("filter"), Value::from(0), Value::from("key")],
            ),
            (
                r#"[{"type":"regex","column":"name","operator":"=","value":"a"}]"#,
                vec![Value::from("filter"), Value::from(0), Value::from("type")],
            ),
        ];
        for (raw, path) in cases {
            let error = parse_filter(raw).expect_err(raw);
            assert_eq!(error.path, path, "{raw}");
            assert!(!error.message.is_empty());
        }
    }
}
