//! The `prompts` scenario: creates text and chat prompts of several versions through
//! `POST /api/public/v2/prompts`, then times `GET /api/public/v2/prompts/{name}?label=production`
//! as the SDKs fetch a prompt when their cache is cold or stale.

use serde_json::{Value, json};

use crate::probe::{Check, Query, Target, encode};
use crate::text::Rng;

pub const PROMPTS: usize = 20;
const TARGET_GET: Target = Target {
    percentile: 99.0,
    ms: 2.0,
};

/// One prompt name: the bodies of its versions in the order they are posted, and the version
/// that ends up labelled `production`.
#[derive(Debug)]
pub struct PromptSpec {
    pub name: String,
    pub versions: Vec<Value>,
    pub production: u64,
}

/// `count` prompts named after `run` (so runs never share a prompt): text and chat alternately,
/// one to four versions; with more than one, `production` is on the one before last and
/// `staging` on the last. Every fourth name sits in a folder (`bench-<run>/…`).
pub fn specs(run: &str, count: usize) -> Vec<PromptSpec> {
    (0..count)
        .map(|i| {
            let name = if i % 4 == 0 {
                format!("bench-{run}/support-{i:02}")
            } else {
                format!("bench-{run}-assistant-{i:02}")
            };
            let versions = 1 + i % 4;
            let production = versions.saturating_sub(1).max(1);
            let bodies = (1..=versions)
                .map(|version| {
                    let mut labels = Vec::new();
                    if version == production {
                        labels.push("production");
                    }
                    if version == versions && versions > 1 {
                        labels.push("staging");
                    }
                    body(&name, i % 2 == 1, version, &labels)
                })
                .collect();
            PromptSpec {
                name,
                versions: bodies,
                production: production as u64,
            }
        })
        .collect()
}

fn body(name: &str, chat: bool, version: usize, labels: &[&str]) -> Value {
    let system = format!(
        "You are a support assistant for {{{{product}}}} (revision {version}). Answer briefly, \
         cite the documents you were given and never invent order numbers."
    );
    let mut body = json!({
        "name": name,
        "labels": labels,
        "tags": ["bench", "support"],
        "config": {"model": "gpt-4o", "temperature": 0.2, "max_tokens": 512},
        "commitMessage": format!("revision {version}"),
    });
    if chat {
        body["type"] = json!("chat");
        body["prompt"] = json!([
            {"role": "system", "content": system},
            {"type": "placeholder", "name": "history"},
            {"role": "user", "content": "{{question}}"},
        ]);
    } else {
        body["type"] = json!("text");
        body["prompt"] = json!(format!("{system}\n\nQuestion: {{{{question}}}}"));
    }
    body
}

/// `requests` fetches of the production version, names in random order.
pub fn query(specs: &[PromptSpec], requests: usize, seed: u64) -> Query {
    let mut rng = Rng::new(seed);
    let picks: Vec<&PromptSpec> = (0..requests)
        .map(|_| &specs[rng.below(specs.len().max(1) as u64) as usize])
        .collect();
    Query {
        name: "prompt by name, label production".to_owned(),
        target: Some(TARGET_GET),
        paths: picks
            .iter()
            .map(|spec| {
                format!(
                    "/api/public/v2/prompts/{}?label=production",
                    encode(&spec.name)
                )
            })
            .collect(),
        check: picks
            .iter()
            .map(|spec| Check::Prompt {
                name: spec.name.clone(),
                version: spec.production,
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prompts_mix_types_versions_and_labels() {
        let specs = specs("t1", PROMPTS);
        assert_eq!(specs.len(), 20);
        let chat = specs
            .iter()
            .filter(|s| s.versions[0]["type"] == "chat")
            .count();
        assert_eq!(chat, 10);
        assert!(specs.iter().any(|s| s.name.contains('/')));
        for spec in &specs {
            let production: Vec<usize> = spec
                .versions
                .iter()
                .enumerate()
                .filter(|(_, b)| {
                    b["labels"]
                        .as_array()
                        .unwrap()
                        .contains(&json!("production"))
                })
                .map(|(i, _)| i + 1)
                .collect();
            assert_eq!(production, [spec.production as usize], "{}", spec.name);
        }
        let four = &specs[3];
        assert_eq!((four.versions.len(), four.production), (4, 3));
        assert_eq!(four.versions[3]["labels"], json!(["staging"]));
        assert_eq!(specs[1].versions[1]["prompt"][1]["type"], "placeholder");
        assert!(
            specs[0].versions[0]["prompt"]
                .as_str()
                .unwrap()
                .contains("{{question}}")
        );
    }

    #[test]
    fn fetches_encode_folder_names_and_expect_the_production_version() {
        let specs = specs("t1", 4);
        let query = query(&specs, 100, 2);
        assert_eq!(query.paths.len(), 100);
        let folder = query
            .paths
            .iter()
            .position(|p| p.starts_with("/api/public/v2/prompts/bench-t1%2Fsupport-00?"))
            .unwrap();
        assert_eq!(
            query.check[folder],
            Check::Prompt {
                name: "bench-t1/support-00".into(),
                version: 1
            }
        );
    }
}
