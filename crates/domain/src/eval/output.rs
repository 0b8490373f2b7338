//! An evaluator's output definition (`packages/shared/src/features/evals/outputDefinition.ts`):
//! what the judge is asked to return (`{reasoning, score}` as a JSON schema for the provider's
//! structured output) and how its answer becomes scores.

use serde_json::{Map, Value, json};

use crate::ingest::ScoreDataType;

/// The score part of an output definition.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputDefinition {
    Numeric {
        reasoning: String,
        score: String,
        min: Option<f64>,
        max: Option<f64>,
    },
    Boolean {
        reasoning: String,
        score: String,
    },
    Categorical {
        reasoning: String,
        score: String,
        categories: Vec<String>,
        multiple: bool,
    },
}

/// A definition that cannot be used, with the field it is about (`["score", "categories"]`).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct OutputError {
    pub path: Vec<String>,
    pub message: String,
}

fn refuse(path: &[&str], message: impl Into<String>) -> OutputError {
    OutputError {
        path: path.iter().map(|p| (*p).to_owned()).collect(),
        message: message.into(),
    }
}

fn description(object: &Map<String, Value>, field: &str) -> Result<String, OutputError> {
    match object.get(field) {
        Some(Value::Object(inner)) => match inner.get("description") {
            Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
            _ => Err(refuse(
                &[field, "description"],
                format!("{field}.description is required"),
            )),
        },
        _ => Err(refuse(
            &[field],
            format!("{field} is required: an object with a description"),
        )),
    }
}

fn bound(score: &Map<String, Value>, field: &str) -> Result<Option<f64>, OutputError> {
    match score.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(_) => Err(refuse(
            &["score", field],
            format!("{field} must be a number"),
        )),
    }
}

/// The judge's answer turned into score values.
#[derive(Debug, Clone, PartialEq)]
pub struct Judgement {
    pub reasoning: String,
    /// One per score to write: (data type, numeric value, string value).
    pub scores: Vec<(ScoreDataType, Option<f64>, Option<String>)>,
}

impl OutputDefinition {
    /// Reads the public API's shape (`{dataType, reasoning: {description}, score: {...}}`),
    /// also the stored one (which adds `version: 2`), and Langfuse's legacy stored shape
    /// `{score: "<instructions>", reasoning: "<instructions>"}` (numeric).
    pub fn parse(value: &Value) -> Result<OutputDefinition, OutputError> {
        let Value::Object(object) = value else {
            return Err(refuse(&[], "outputDefinition must be an object"));
        };
        if let (Some(Value::String(score)), Some(Value::String(reasoning))) =
            (object.get("score"), object.get("reasoning"))
        {
            return Ok(OutputDefinition::Numeric {
                reasoning: reasoning.clone(),
                score: score.clone(),
                min: None,
                max: None,
            });
        }
        let data_type = match object.get("dataType") {
            Some(Value::String(t)) => t.as_str(),
            _ => {
                return Err(refuse(
                    &["dataType"],
                    "dataType is required: NUMERIC, BOOLEAN or CATEGORICAL",
                ));
            }
        };
        let reasoning = description(object, "reasoning")?;
        let score_text = description(object, "score")?;
        let score = object
            .get("score")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        match data_type {
            "NUMERIC" => {
                let (min, max) = (bound(&score, "minValue")?, bound(&score, "maxValue")?);
                if let (Some(min), Some(max)) = (min, max)
                    && min > max
                {
                    return Err(refuse(
                        &["score", "minValue"],
                        "minValue must not exceed maxValue",
                    ));
                }
                Ok(OutputDefinition::Numeric {
                    reasoning,
                    score: score_text,
                    min,
                    max,
                })
            }
            "BOOLEAN" => Ok(OutputDefinition::Boolean {
                reasoning,
                score: score_text,
            }),
            "CATEGORICAL" => {
                let Some(Value::Array(raw)) = score.get("categories") else {
                    return Err(refuse(
                        &["score", "categories"],
                        "score.categories is required for CATEGORICAL",
                    ));
                };
                let mut categories: Vec<String> = Vec::new();
                for item in raw {
                    let Some(text) = item.as_str().map(str::trim).filter(|t| !t.is_empty()) else {
                        return Err(refuse(
                            &["score", "categories"],
                            "categories must be non-empty strings",
                        ));
                    };
                    if categories.iter().any(|known| known == text) {
                        return Err(refuse(
                            &["score", "categories"],
                            format!("category '{text}' appears twice"),
                        ));
                    }
                    categories.push(text.to_owned());
                }
                if categories.len() < 2 {
                    return Err(refuse(
                        &["score", "categories"],
                        "a CATEGORICAL output needs at least two categories",
                    ));
                }
                let multiple = match score.get("shouldAllowMultipleMatches") {
                    None | Some(Value::Null) => false,
                    Some(Value::Bool(b)) => *b,
                    Some(_) => {
                        return Err(refuse(
                            &["score", "shouldAllowMultipleMatches"],
                            "shouldAllowMultipleMatches must be a boolean",
                        ));
                    }
                };
                Ok(OutputDefinition::Categorical {
                    reasoning,
                    score: score_text,
                    categories,
                    multiple,
                })
            }
            other => Err(refuse(
                &["dataType"],
                format!("dataType '{other}' is not one of NUMERIC, BOOLEAN, CATEGORICAL"),
            )),
        }
    }

    pub fn data_type(&self) -> ScoreDataType {
        match self {
            OutputDefinition::Numeric { .. } => ScoreDataType::Numeric,
            OutputDefinition::Boolean { .. } => ScoreDataType::Boolean,
            OutputDefinition::Categorical { .. } => ScoreDataType::Categorical,
        }
    }

    fn parts(&self) -> (&str, &str) {
        match self {
            OutputDefinition::Numeric {
                reasoning, score, ..
            }
            | OutputDefinition::Boolean { reasoning, score }
            | OutputDefinition::Categorical {
                reasoning, score, ..
            } => (reasoning, score),
        }
    }

    /// The public API's shape (no `version`).
    pub fn to_public(&self) -> Value {
        let (reasoning, description) = self.parts();
        let score = match self {
            OutputDefinition::Numeric { min, max, .. } => {
                json!({"description": description, "minValue": min, "maxValue": max})
            }
            OutputDefinition::Boolean { .. } => json!({"description": description}),
            OutputDefinition::Categorical {
                categories,
                multiple,
                ..
            } => json!({
                "description": description,
                "categories": categories,
                "shouldAllowMultipleMatches": multiple,
            }),
        };
        json!({
            "dataType": self.data_type().as_str(),
            "reasoning": {"description": reasoning},
            "score": score,
        })
    }

    /// The stored shape: the public one with `version: 2`.
    pub fn to_stored(&self) -> Value {
        let mut value = self.to_public();
        if let Value::Object(object) = &mut value {
            object.insert("version".to_owned(), json!(2));
        }
        value
    }

    /// The JSON schema the judge's answer must follow: `{reasoning, score}`.
    pub fn json_schema(&self) -> Value {
        let (reasoning, description) = self.parts();
        let score = match self {
            OutputDefinition::Numeric { .. } => {
                json!({"type": "number", "description": description})
            }
            OutputDefinition::Boolean { .. } => {
                json!({"type": "boolean", "description": description})
            }
            OutputDefinition::Categorical {
                categories,
                multiple: false,
                ..
            } => json!({"type": "string", "enum": categories, "description": description}),
            OutputDefinition::Categorical { categories, .. } => json!({
                "type": "array",
                "items": {"type": "string", "enum": categories},
                "description": description,
            }),
        };
        json!({
            "type": "object",
            "properties": {
                "reasoning": {"type": "string", "description": reasoning},
                "score": score,
            },
            "required": ["reasoning", "score"],
            "additionalProperties": false,
        })
    }

    /// Reads the judge's answer: the reasoning and one score (one per matched category for
    /// multi-match categorical outputs). An answer that does not fit is an error.
    pub fn judge(&self, answer: &Value) -> Result<Judgement, String> {
        let reasoning = answer
            .get("reasoning")
            .and_then(Value::as_str)
            .ok_or("the answer has no reasoning string")?
            .to_owned();
        let score = answer.get("score").ok_or("the answer has no score")?;
        let scores = match self {
            OutputDefinition::Numeric { min, max, .. } => {
                let value = match score {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().parse::<f64>().ok(),
                    _ => None,
                }
                .filter(|v| v.is_finite())
                .ok_or("the score is not a number")?;
                if min.is_some_and(|min| value < min) || max.is_some_and(|max| value > max) {
                    return Err(format!("the score {value} is outside the allowed range"));
                }
                vec![(ScoreDataType::Numeric, Some(value), None)]
            }
            OutputDefinition::Boolean { .. } => {
                let value = match score {
                    Value::Bool(b) => *b,
                    Value::String(s) if s.eq_ignore_ascii_case("true") => true,
                    Value::String(s) if s.eq_ignore_ascii_case("false") => false,
                    Value::Number(n) if n.as_f64() == Some(1.0) => true,
                    Value::Number(n) if n.as_f64() == Some(0.0) => false,
                    _ => return Err("the score is not a boolean".to_owned()),
                };
                let label = if value { "True" } else { "False" };
                vec![(
                    ScoreDataType::Boolean,
                    Some(if value { 1.0 } else { 0.0 }),
                    Some(label.to_owned()),
                )]
            }
            OutputDefinition::Categorical {
                categories,
                multiple,
                ..
            } => {
                let picked: Vec<&str> = match (score, multiple) {
                    (Value::String(s), _) => vec![s.as_str()],
                    (Value::Array(items), true) => {
                        items.iter().filter_map(Value::as_str).collect::<Vec<_>>()
                    }
                    _ => return Err("the score is not one of the categories".to_owned()),
                };
                if picked.is_empty() {
                    return Err("the answer picked no category".to_owned());
                }
                let mut labels: Vec<String> = Vec::new();
                for label in picked {
                    let known = categories
                        .iter()
                        .find(|c| c.as_str() == label.trim())
                        .ok_or_else(|| format!("'{label}' is not one of the categories"))?;
                    if !labels.contains(known) {
                        labels.push(known.clone());
                    }
                }
                labels
                    .into_iter()
                    .map(|label| (ScoreDataType::Categorical, None, Some(label)))
                    .collect()
            }
        };
        Ok(Judgement { reasoning, scores })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_are_checked_and_answers_become_scores() {
        let numeric = OutputDefinition::parse(&json!({
            "dataType": "NUMERIC",
            "reasoning": {"description": "why"},
            "score": {"description": "0..1", "minValue": 0, "maxValue": 1}
        }))
        .unwrap();
        let judged = numeric
            .judge(&json!({"reasoning": "fine", "score": 0.8}))
            .unwrap();
        assert_eq!(
            judged.scores,
            vec![(ScoreDataType::Numeric, Some(0.8), None)]
        );
        assert!(
            numeric
                .judge(&json!({"reasoning": "x", "score": 3}))
                .is_err()
        );
        assert_eq!(
            OutputDefinition::parse(&numeric.to_stored()).unwrap(),
            numeric
        );

        let legacy = OutputDefinition::parse(&json!({"score": "0 or 1", "reasoning": "why"}));
        assert!(matches!(legacy, Ok(OutputDefinition::Numeric { .. })));

        let no_score = OutputDefinition::parse(&json!({
            "dataType": "BOOLEAN", "reasoning": {"description": "why"}
        }))
        .unwrap_err();
        assert_eq!(no_score.path, vec!["score"]);

        let multi = OutputDefinition::parse(&json!({
            "dataType": "CATEGORICAL",
            "reasoning": {"description": "why"},
            "score": {"description": "which", "categories": ["a", "b", "c"], "shouldAllowMultipleMatches": true}
        }))
        .unwrap();
        let judged = multi
            .judge(&json!({"reasoning": "r", "score": ["a", "c"]}))
            .unwrap();
        assert_eq!(judged.scores.len(), 2);
        assert!(
            multi
                .judge(&json!({"reasoning": "r", "score": ["z"]}))
                .is_err()
        );
    }
}
