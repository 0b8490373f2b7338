//! Score validation (wire-spec §2.2 ScoreBody, §5.6): shared by `score-create` events and
//! `POST /api/public/scores`.

use serde::Deserialize;
use serde_json::Value;

use crate::ingest::environment::normalize_environment;
use crate::ingest::serde_util::{datetime, validate_id};
use crate::ingest::{ScoreDataType, ScorePatch, ScoreSource};
use crate::time::Millis;

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScoreBody {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    pub value: Value,
    #[serde(default)]
    pub trace_id: Option<String>,
    #[serde(default)]
    pub session_id: Option<String>,
    #[serde(default)]
    pub dataset_run_id: Option<String>,
    #[serde(default)]
    pub observation_id: Option<String>,
    #[serde(default)]
    pub environment: Option<String>,
    #[serde(default)]
    pub comment: Option<String>,
    #[serde(default)]
    pub metadata: Option<Value>,
    #[serde(default)]
    pub source: Option<ScoreSource>,
    #[serde(default)]
    pub execution_trace_id: Option<String>,
    #[serde(default)]
    pub queue_id: Option<String>,
    #[serde(default)]
    pub data_type: Option<ScoreDataType>,
    #[serde(default)]
    pub config_id: Option<String>,
    #[serde(default, deserialize_with = "datetime::optional")]
    pub timestamp: Option<Millis>,
}

/// Validates a score body; `default_timestamp` applies when the body has none.
pub fn validate_score(body: ScoreBody, default_timestamp: Millis) -> Result<ScorePatch, String> {
    let id = match body.id {
        Some(id) => {
            validate_id(&id, "id")?;
            id
        }
        None => uuid::Uuid::new_v4().simple().to_string()[..16].to_owned(),
    };
    if body.name.trim().is_empty() {
        return Err("name: must not be empty".into());
    }
    let targets = [&body.trace_id, &body.session_id, &body.dataset_run_id]
        .iter()
        .filter(|target| target.is_some())
        .count();
    if targets != 1 {
        return Err("exactly one of traceId, sessionId and datasetRunId must be set".into());
    }
    if body.observation_id.is_some() && body.trace_id.is_none() {
        return Err("observationId requires traceId".into());
    }
    let data_type = match (body.data_type, &body.value) {
        (Some(data_type), _) => data_type,
        (None, Value::Number(_)) => ScoreDataType::Numeric,
        (None, Value::String(_)) => ScoreDataType::Categorical,
        (None, _) => return Err("value: expected a number or a string".into()),
    };
    let (value, string_value) = match (data_type, &body.value) {
        (ScoreDataType::Numeric, Value::Number(number)) => (number.as_f64(), None),
        (ScoreDataType::Boolean, Value::Number(number)) => match number.as_f64() {
            Some(v) if v == 0.0 || v == 1.0 => (
                Some(v),
                Some(if v == 1.0 { "True" } else { "False" }.to_owned()),
            ),
            _ => return Err("value: a BOOLEAN score must be 0 or 1".into()),
        },
        (ScoreDataType::Categorical, Value::String(text)) => (None, Some(text.clone())),
        (ScoreDataType::Categorical, Value::Number(number)) => {
            (number.as_f64(), Some(number.to_string()))
        }
        (ScoreDataType::Text | ScoreDataType::Correction, Value::String(text)) => {
            if data_type == ScoreDataType::Text && (text.is_empty() || text.chars().count() > 500) {
                return Err("value: a TEXT score must be 1 to 500 characters".into());
            }
            (None, Some(text.clone()))
        }
        (data_type, _) => {
            return Err(format!("value: type does not match dataType {data_type}"));
        }
    };
    if data_type == ScoreDataType::Correction && body.config_id.is_some() {
        return Err("configId: must be absent for CORRECTION scores".into());
    }
    Ok(ScorePatch {
        id,
        name: body.name,
        timestamp: body.timestamp.unwrap_or(default_timestamp),
        environment: normalize_environment(body.environment.as_deref()),
        data_type,
        value,
        string_value,
        source: body.source.unwrap_or(ScoreSource::Api),
        trace_id: body.trace_id,
        observation_id: body.observation_id,
        session_id: body.session_id,
        dataset_run_id: body.dataset_run_id,
        comment: body.comment,
        metadata: body.metadata,
        config_id: body.config_id,
        queue_id: body.queue_id,
        execution_trace_id: body.execution_trace_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn score(value: Value) -> Result<ScorePatch, String> {
        let body: ScoreBody = serde_json::from_value(value).map_err(|e| e.to_string())?;
        validate_score(body, 1_000)
    }

    #[test]
    fn data_types_are_inferred_and_checked() {
        let numeric = score(json!({"name": "q", "value": 0.5, "traceId": "t"})).unwrap();
        assert_eq!(
            (numeric.data_type, numeric.value),
            (ScoreDataType::Numeric, Some(0.5))
        );
        let categorical = score(json!({"name": "q", "value": "good", "traceId": "t"})).unwrap();
        assert_eq!(categorical.data_type, ScoreDataType::Categorical);
        assert_eq!(categorical.string_value.as_deref(), Some("good"));
        let boolean =
            score(json!({"name": "q", "value": 1, "dataType": "BOOLEAN", "sessionId": "s"}))
                .unwrap();
        assert_eq!(boolean.string_value.as_deref(), Some("True"));
        assert_eq!(boolean.timestamp, 1_000);
        assert_eq!(boolean.environment, "default");
        assert!(
            score(json!({"name": "q", "value": 2, "dataType": "BOOLEAN", "traceId": "t"})).is_err()
        );
        assert!(
            score(json!({"name": "q", "value": "x", "dataType": "NUMERIC", "traceId": "t"}))
                .is_err()
        );
        assert!(
            score(json!({"name": "q", "value": "", "dataType": "TEXT", "traceId": "t"})).is_err()
        );
    }

    #[test]
    fn exactly_one_target() {
        assert!(score(json!({"name": "q", "value": 1})).is_err());
        assert!(score(json!({"name": "q", "value": 1, "traceId": "t", "sessionId": "s"})).is_err());
        assert!(
            score(json!({"name": "q", "value": 1, "sessionId": "s", "observationId": "o"}))
                .is_err()
        );
        assert!(score(json!({"name": "", "value": 1, "traceId": "t"})).is_err());
    }
}
