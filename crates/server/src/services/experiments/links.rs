//! The runs and run items that SDK experiment spans name (wire-spec §7.4), as links for
//! [`sightline_store::DatasetStore::write_experiment_links`].

use std::collections::HashSet;

use serde_json::json;
use sha2::{Digest, Sha256};
use sightline_domain::otel::SpanExperiment;
use sightline_domain::time::Millis;
use sightline_store::ExperimentLink;

/// The runs and run items that SDK experiment spans name (wire-spec §7.4): one run per
/// experiment id and one run item per experiment item, whose id is the item's root observation
/// per trace: its id is derived from the experiment, trace and item ids, so the spans of an
/// item, sent in any number of exports, make one run item, linked to the item's root
/// observation (the span that ran it). Spans without an experiment id, name or item id are
/// ignored.
pub fn experiment_links(experiments: &[SpanExperiment], now: Millis) -> Vec<ExperimentLink> {
    let mut seen: HashSet<(String, String)> = HashSet::new();
    let mut links = Vec::new();
    for span in experiments {
        let attributes = &span.attributes;
        let (Some(run_id), Some(run_name), Some(item_id)) =
            (&attributes.id, &attributes.name, &attributes.item_id)
        else {
            continue;
        };
        let observation_id = attributes
            .root_observation_id
            .clone()
            .unwrap_or_else(|| span.observation_id.clone());
        let seed = json!([run_id, span.trace_id, item_id]).to_string();
        let run_item_id: String = Sha256::digest(seed.as_bytes())
            .iter()
            .take(16)
            .map(|byte| format!("{byte:02x}"))
            .collect();
        if !seen.insert((run_id.clone(), run_item_id.clone())) {
            continue;
        }
        links.push(ExperimentLink {
            run_id: run_id.clone(),
            run_name: run_name.clone(),
            description: attributes.description.clone(),
            metadata: attributes.metadata.clone(),
            dataset_id: attributes.dataset_id.clone(),
            run_item_id,
            dataset_item_id: item_id.clone(),
            trace_id: span.trace_id.clone(),
            observation_id: Some(observation_id),
            dataset_item_version: attributes.item_version,
            expected_output: attributes.expected_output.clone(),
            item_metadata: attributes.item_metadata.clone(),
            created_at: now,
        });
    }
    links
}

#[cfg(test)]
mod tests {
    use sightline_domain::otel::ExperimentAttributes;

    use super::*;

    fn span(observation: &str, trace: &str, item: Option<&str>) -> SpanExperiment {
        SpanExperiment {
            observation_id: observation.into(),
            trace_id: trace.into(),
            attributes: ExperimentAttributes {
                id: Some("exp".into()),
                name: Some("run".into()),
                dataset_id: Some("ds".into()),
                item_id: item.map(Into::into),
                root_observation_id: Some(format!("{trace}-task")),
                ..ExperimentAttributes::default()
            },
        }
    }

    #[test]
    fn one_link_per_experiment_trace_and_item() {
        let spans = [
            span("root-1", "t1", Some("i1")),
            span("task-1", "t1", Some("i1")),
            span("root-2", "t2", Some("i2")),
            span("no-item", "t3", None),
        ];
        let links = experiment_links(&spans, 7);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].observation_id.as_deref(), Some("t1-task"));
        assert_eq!((links[0].run_id.as_str(), links[0].created_at), ("exp", 7));
        assert_eq!(links[0].run_item_id.len(), 32);
        assert_ne!(links[0].run_item_id, links[1].run_item_id);
        // The same spans in another export make the same run item ids.
        assert_eq!(
            experiment_links(&spans[1..2], 9)[0].run_item_id,
            links[0].run_item_id
        );
    }
}
