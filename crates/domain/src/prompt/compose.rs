//! Prompt composition: a prompt may embed another (text) prompt with
//! `@@@langfusePrompt:name=<name>|version=<n>@@@` or `@@@langfusePrompt:name=<name>|label=<l>@@@`.
//! [`resolve`] replaces the tags recursively, as Langfuse's `PromptService` does: at most
//! [`MAX_NESTING_DEPTH`] levels, no cycles, no reference to another version of the root's own
//! name, every reference must exist and be a text prompt. It also returns the resolution graph.

use std::collections::HashSet;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::{Value, json};

use super::content::PromptType;

/// A chain of references deeper than this is refused (the root is level 0).
pub const MAX_NESTING_DEPTH: usize = 5;

static TAG: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"@@@langfusePrompt:(.*?)@@@").expect("valid regex"));

/// What a tag points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum DependencyRef {
    Version { name: String, version: i64 },
    Label { name: String, label: String },
}

impl DependencyRef {
    pub fn name(&self) -> &str {
        match self {
            DependencyRef::Version { name, .. } | DependencyRef::Label { name, .. } => name,
        }
    }

    fn describe(&self) -> String {
        match self {
            DependencyRef::Version { name, version } => format!("{name} - version {version}"),
            DependencyRef::Label { name, label } => format!("{name} - label {label}"),
        }
    }
}

/// A stored prompt version as composition needs it.
#[derive(Debug, Clone, PartialEq)]
pub struct PromptNode {
    pub id: String,
    pub name: String,
    pub version: i64,
    pub r#type: PromptType,
    pub prompt: Value,
}

/// A prompt with its tags replaced, and the graph (`None` when it references nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub prompt: Value,
    pub graph: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CompositionError {
    #[error("Maximum nesting depth exceeded ({MAX_NESTING_DEPTH})")]
    TooDeep,
    #[error("Circular dependency detected involving prompt '{name}' version {version}")]
    Cycle { name: String, version: i64 },
    #[error("Prompt dependency not found: {0}")]
    Missing(String),
    #[error("Prompt dependency is not a text prompt: {0}")]
    NotText(String),
}

/// The well-formed tags in `prompt` (a text or the JSON of a chat), each once, with the exact
/// text of the tag. Malformed tags (name not first, not exactly two parts, a version that is
/// not an integer) are left as they are.
pub fn dependency_refs(prompt: &Value) -> Vec<(String, DependencyRef)> {
    let text = prompt.to_string();
    let mut found: Vec<(String, DependencyRef)> = Vec::new();
    for capture in TAG.captures_iter(&text) {
        let tag = capture[0].to_owned();
        if found.iter().any(|(known, _)| *known == tag) {
            continue;
        }
        if let Some(reference) = parse_tag(&capture[1]) {
            found.push((tag, reference));
        }
    }
    found
}

fn parse_tag(inner: &str) -> Option<DependencyRef> {
    let parts: Vec<&str> = inner.split('|').collect();
    if parts.len() != 2 || !parts[0].starts_with("name=") {
        return None;
    }
    let value = |part: &str| -> (String, String) {
        let mut pieces = part.split('=');
        let key = pieces.next().unwrap_or_default().to_owned();
        let value = pieces.next().unwrap_or_default().to_owned();
        (key, value)
    };
    let (_, name) = value(parts[0]);
    if name.is_empty() {
        return None;
    }
    let (key, raw) = value(parts[1]);
    match key.as_str() {
        "version" if !raw.is_empty() => raw
            .parse::<i64>()
            .ok()
            .map(|version| DependencyRef::Version { name, version }),
        "label" if !raw.is_empty() => Some(DependencyRef::Label { name, label: raw }),
        _ => None,
    }
}

/// Resolves `root`'s tags with `lookup` (which finds the version a reference names).
pub fn resolve(
    root: &PromptNode,
    lookup: &dyn Fn(&DependencyRef) -> Option<PromptNode>,
) -> Result<Resolved, CompositionError> {
    let mut resolver = Resolver {
        root,
        lookup,
        seen: HashSet::new(),
        edges: serde_json::Map::new(),
    };
    let prompt = resolver.resolve(root, 0)?;
    let graph = (!resolver.edges.is_empty()).then(|| {
        json!({
            "root": {"id": root.id, "name": root.name, "version": root.version},
            "dependencies": Value::Object(resolver.edges),
        })
    });
    Ok(Resolved { prompt, graph })
}

struct Resolver<'a> {
    root: &'a PromptNode,
    lookup: &'a dyn Fn(&DependencyRef) -> Option<PromptNode>,
    seen: HashSet<String>,
    edges: serde_json::Map<String, Value>,
}

impl Resolver<'_> {
    fn resolve(&mut self, current: &PromptNode, level: usize) -> Result<Value, CompositionError> {
        if level >= MAX_NESTING_DEPTH {
            return Err(CompositionError::TooDeep);
        }
        if self.seen.contains(&current.id)
            || (current.name == self.root.name && current.id != self.root.id)
        {
            return Err(CompositionError::Cycle {
                name: current.name.clone(),
                version: current.version,
            });
        }
        let refs = dependency_refs(&current.prompt);
        if refs.is_empty() {
            return Ok(current.prompt.clone());
        }
        self.seen.insert(current.id.clone());
        let mut text = current.prompt.to_string();
        for (tag, reference) in refs {
            let dependency = (self.lookup)(&reference)
                .ok_or_else(|| CompositionError::Missing(reference.describe()))?;
            if dependency.r#type != PromptType::Text {
                return Err(CompositionError::NotText(reference.describe()));
            }
            if let Value::Array(list) = self
                .edges
                .entry(current.id.clone())
                .or_insert_with(|| json!([]))
            {
                list.push(json!({
                    "id": dependency.id,
                    "name": dependency.name,
                    "version": dependency.version,
                }));
            }
            let resolved = self.resolve(&dependency, level + 1)?;
            let resolved_text = resolved.as_str().unwrap_or_default();
            let escaped = Value::String(resolved_text.to_owned()).to_string();
            text = text.replace(&tag, &escaped[1..escaped.len() - 1]);
        }
        self.seen.remove(&current.id);
        Ok(serde_json::from_str(&text).unwrap_or_else(|_| current.prompt.clone()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, name: &str, version: i64, prompt: Value) -> PromptNode {
        PromptNode {
            id: id.into(),
            name: name.into(),
            version,
            r#type: if prompt.is_string() {
                PromptType::Text
            } else {
                PromptType::Chat
            },
            prompt,
        }
    }

    fn lookup_in(
        nodes: Vec<(DependencyRef, PromptNode)>,
    ) -> impl Fn(&DependencyRef) -> Option<PromptNode> {
        move |reference| {
            nodes
                .iter()
                .find(|(known, _)| known == reference)
                .map(|(_, node)| node.clone())
        }
    }

    fn version(name: &str, version: i64) -> DependencyRef {
        DependencyRef::Version {
            name: name.into(),
            version,
        }
    }

    fn label(name: &str, label: &str) -> DependencyRef {
        DependencyRef::Label {
            name: name.into(),
            label: label.into(),
        }
    }

    #[test]
    fn tags_parse_like_langfuse() {
        let refs = dependency_refs(&json!(
            "a @@@langfusePrompt:name=base|version=2@@@ b @@@langfusePrompt:name=f/x|label=prod@@@ \
             @@@langfusePrompt:version=1|name=x@@@ @@@langfusePrompt:name=x|version=one@@@ \
             @@@langfusePrompt:name=x@@@ @@@langfusePrompt:name=base|version=2@@@"
        ));
        let refs: Vec<DependencyRef> = refs.into_iter().map(|(_, r)| r).collect();
        assert_eq!(refs, [version("base", 2), label("f/x", "prod")]);
    }

    #[test]
    fn resolves_text_and_chat_recursively_with_a_graph() {
        let leaf = node("leaf", "leaf", 1, json!("say \"hi\""));
        let middle = node(
            "mid",
            "mid",
            3,
            json!("mid[@@@langfusePrompt:name=leaf|label=production@@@]"),
        );
        let lookup = lookup_in(vec![
            (label("leaf", "production"), leaf),
            (version("mid", 3), middle),
        ]);
        let root = node(
            "root",
            "root",
            1,
            json!([{"role": "system", "content": "@@@langfusePrompt:name=mid|version=3@@@ {{x}}"}]),
        );
        let resolved = resolve(&root, &lookup).unwrap();
        assert_eq!(
            resolved.prompt,
            json!([{"role": "system", "content": "mid[say \"hi\"] {{x}}"}])
        );
        assert_eq!(
            resolved.graph.unwrap(),
            json!({
                "root": {"id": "root", "name": "root", "version": 1},
                "dependencies": {
                    "root": [{"id": "mid", "name": "mid", "version": 3}],
                    "mid": [{"id": "leaf", "name": "leaf", "version": 1}],
                }
            })
        );
        let plain = node("p", "p", 1, json!("no tags"));
        assert_eq!(resolve(&plain, &lookup).unwrap().graph, None);
    }

    #[test]
    fn refuses_missing_cycles_chat_dependencies_and_depth() {
        let none = |_: &DependencyRef| None;
        let root = node(
            "r",
            "r",
            1,
            json!("@@@langfusePrompt:name=gone|version=1@@@"),
        );
        assert_eq!(
            resolve(&root, &none).unwrap_err().to_string(),
            "Prompt dependency not found: gone - version 1"
        );

        let a = node("a", "a", 1, json!("@@@langfusePrompt:name=b|version=1@@@"));
        let b = node("b", "b", 1, json!("@@@langfusePrompt:name=a|version=1@@@"));
        let lookup = lookup_in(vec![(version("a", 1), a.clone()), (version("b", 1), b)]);
        assert!(matches!(
            resolve(&a, &lookup),
            Err(CompositionError::Cycle { .. })
        ));

        let own_name = node(
            "new",
            "a",
            2,
            json!("@@@langfusePrompt:name=a|version=1@@@"),
        );
        let plain_a = node("a", "a", 1, json!("plain"));
        let lookup = lookup_in(vec![(version("a", 1), plain_a)]);
        assert!(matches!(
            resolve(&own_name, &lookup),
            Err(CompositionError::Cycle { .. })
        ));

        let chat = node("c", "c", 1, json!([{"role": "user", "content": "x"}]));
        let lookup = lookup_in(vec![(version("c", 1), chat)]);
        let root = node("r", "r", 1, json!("@@@langfusePrompt:name=c|version=1@@@"));
        assert!(matches!(
            resolve(&root, &lookup),
            Err(CompositionError::NotText(_))
        ));

        // p0 → p1 → … → p5: p5 sits at level 5.
        let chain: Vec<(DependencyRef, PromptNode)> = (1..=6)
            .map(|i| {
                let text = if i < 6 {
                    format!("@@@langfusePrompt:name=p{}|version=1@@@", i + 1)
                } else {
                    "end".into()
                };
                (
                    version(&format!("p{i}"), 1),
                    node(&format!("p{i}"), &format!("p{i}"), 1, json!(text)),
                )
            })
            .collect();
        let lookup = lookup_in(chain);
        let root = node(
            "p0",
            "p0",
            1,
            json!("@@@langfusePrompt:name=p1|version=1@@@"),
        );
        assert_eq!(resolve(&root, &lookup), Err(CompositionError::TooDeep));
        let shallow = node(
            "p2x",
            "p2x",
            1,
            json!("@@@langfusePrompt:name=p3|version=1@@@"),
        );
        assert_eq!(resolve(&shallow, &lookup).unwrap().prompt, json!("end"));
    }
}
