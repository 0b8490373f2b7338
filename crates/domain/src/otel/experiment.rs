//! The experiment attributes SDK experiment runs put on every span of a dataset item
//! (wire-spec §7.4), decoded and nothing more.

use serde_json::{Map, Value};

use super::attributes::{Attributes, first_text, get_truthy, parse_iso, parse_json_text};
use crate::time::Millis;

const PREFIX: &str = "langfuse.experiment.";

/// What a span says about the experiment run and dataset item it belongs to.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExperimentAttributes {
    /// The experiment (dataset run) id.
    pub id: Option<String>,
    /// The run name.
    pub name: Option<String>,
    pub description: Option<String>,
    /// The run's metadata, a JSON object.
    pub metadata: Option<Value>,
    pub dataset_id: Option<String>,
    /// The dataset item id, or a hash of the input for local items.
    pub item_id: Option<String>,
    /// The dataset version the item was read at.
    pub item_version: Option<Millis>,
    /// The item's metadata, a JSON object.
    pub item_metadata: Option<Value>,
    /// The id of the span that ran the task for this item.
    pub root_observation_id: Option<String>,
    pub expected_output: Option<Value>,
}

/// `None` when the span carries no `langfuse.experiment.*` attribute.
pub(super) fn extract(attributes: &Attributes) -> Option<ExperimentAttributes> {
    if !attributes.keys().any(|key| key.starts_with(PREFIX)) {
        return None;
    }
    let field = |name: &str| first_text(attributes, &[&format!("{PREFIX}{name}")]);
    Some(ExperimentAttributes {
        id: field("id"),
        name: field("name"),
        description: field("description"),
        metadata: object(attributes, "metadata"),
        dataset_id: field("dataset.id"),
        item_id: field("item.id"),
        item_version: field("item.version").and_then(|raw| parse_iso(&raw)),
        item_metadata: object(attributes, "item.metadata"),
        root_observation_id: field("item.root_observation_id"),
        expected_output: get_truthy(attributes, &format!("{PREFIX}item.expected_output"))
            .map(parse_json_text),
    })
}

/// `<prefix><name>` as a JSON object, plus `<prefix><name>.<key>` values; `None` when empty.
fn object(attributes: &Attributes, name: &str) -> Option<Value> {
    let key = format!("{PREFIX}{name}");
    let mut object = match get_truthy(attributes, &key).map(parse_json_text) {
        Some(Value::Object(object)) => object,
        _ => Map::new(),
    };
    let field_prefix = format!("{key}.");
    for (attribute, value) in attributes {
        if let Some(field) = attribute.strip_prefix(&field_prefix) {
            object.insert(field.to_owned(), parse_json_text(value));
        }
    }
    (!object.is_empty()).then_some(Value::Object(object))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn experiment_attributes_are_decoded() {
        let attributes = json!({
            "langfuse.experiment.id": "run-1",
            "langfuse.experiment.name": "baseline",
            "langfuse.experiment.description": "first try",
            "langfuse.experiment.metadata": "{\"model\": \"gpt-4o\"}",
            "langfuse.experiment.metadata.extra": "\"yes\"",
            "langfuse.experiment.dataset.id": "ds-1",
            "langfuse.experiment.item.id": "item-1",
            "langfuse.experiment.item.version": "2024-01-01T00:00:00Z",
            "langfuse.experiment.item.metadata.difficulty": "\"hard\"",
            "langfuse.experiment.item.root_observation_id": "00f067aa0ba902b7",
            "langfuse.experiment.item.expected_output": "{\"answer\": 42}",
        });
        let attributes = attributes.as_object().cloned().unwrap_or_default();
        assert_eq!(
            extract(&attributes),
            Some(ExperimentAttributes {
                id: Some("run-1".into()),
                name: Some("baseline".into()),
                description: Some("first try".into()),
                metadata: Some(json!({"model": "gpt-4o", "extra": "yes"})),
                dataset_id: Some("ds-1".into()),
                item_id: Some("item-1".into()),
                item_version: Some(1_704_067_200_000),
                item_metadata: Some(json!({"difficulty": "hard"})),
                root_observation_id: Some("00f067aa0ba902b7".into()),
                expected_output: Some(json!({"answer": 42})),
            })
        );
    }

    #[test]
    fn spans_outside_experiments_have_none_and_bad_versions_are_dropped() {
        assert_eq!(extract(&Attributes::new()), None);
        let attributes = json!({"langfuse.experiment.item.version": "v2"});
        let attributes = attributes.as_object().cloned().unwrap_or_default();
        assert_eq!(extract(&attributes).and_then(|e| e.item_version), None);
    }
}
