//! Prompt names and labels, validated as Langfuse validates them: names may be folder paths
//! (`folder/sub/name`), labels are short lowercase slugs and `latest` is managed by the server.

use std::fmt;
use std::sync::LazyLock;

use regex::Regex;

/// Placed on each newly created version automatically; never set by hand.
pub const LATEST_LABEL: &str = "latest";
/// The label a fetch without version or label asks for.
pub const PRODUCTION_LABEL: &str = "production";

const NAME_MAX_CHARS: usize = 255;
/// Names of the UI's static prompt pages; only the exact name is refused.
const RESERVED_NAMES: [&str; 3] = ["new", "metrics", "prompt-detail"];
const LABEL_MAX_CHARS: usize = 36;

static HTML_TAG: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"<[^<>]*>").expect("valid regex"));
static LABEL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[a-z0-9_\-.]+$").expect("valid regex"));

/// A valid prompt name (trimmed).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PromptName(String);

impl PromptName {
    /// Checks `raw` in Langfuse's order and returns the first rule it breaks.
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw.is_empty() {
            return Err("Prompt name cannot be empty".into());
        }
        if HTML_TAG.is_match(raw) {
            return Err("Prompt name cannot contain HTML tags".into());
        }
        if raw.contains('|') {
            return Err("Prompt name cannot contain '|' character".into());
        }
        if raw.starts_with('/') {
            return Err("Name cannot start with a slash".into());
        }
        if raw.contains("//") {
            return Err("Name cannot contain consecutive slashes".into());
        }
        if raw.ends_with('/') {
            return Err("Name cannot end with a slash".into());
        }
        let name = raw.trim();
        if name.is_empty() {
            return Err("Name cannot be empty".into());
        }
        if RESERVED_NAMES.contains(&name) {
            return Err(format!("Prompt name cannot be '{name}'"));
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err(format!(
                "Prompt name cannot be longer than {NAME_MAX_CHARS} characters"
            ));
        }
        Ok(PromptName(name.to_owned()))
    }

    /// A name read back from the store.
    pub fn from_trusted(raw: String) -> Self {
        PromptName(raw)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PromptName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A label that may be set by hand: valid and not `latest`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Label(String);

impl Label {
    pub fn parse(raw: &str) -> Result<Self, String> {
        if raw == LATEST_LABEL {
            return Err("Label 'latest' is always assigned to the latest prompt version".into());
        }
        Self::parse_any(raw)
    }

    /// Like [`Label::parse`] but accepts `latest` (to select by it, or to mark it protected).
    pub fn parse_any(raw: &str) -> Result<Self, String> {
        let chars = raw.chars().count();
        if chars == 0 || chars > LABEL_MAX_CHARS {
            return Err(format!(
                "Label '{raw}' must be 1 to {LABEL_MAX_CHARS} characters"
            ));
        }
        if !LABEL.is_match(raw) {
            return Err(format!(
                "Label '{raw}': Label must be lowercase alphanumeric with optional underscores, hyphens, or periods"
            ));
        }
        Ok(Label(raw.to_owned()))
    }

    /// Parses each label, dropping repeats and keeping the first order.
    pub fn parse_list(raw: &[String]) -> Result<Vec<Label>, String> {
        let mut labels: Vec<Label> = Vec::with_capacity(raw.len());
        for item in raw {
            let label = Label::parse(item)?;
            if !labels.contains(&label) {
                labels.push(label);
            }
        }
        Ok(labels)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_follow_langfuse_rules() {
        for good in [
            "greeting",
            "folder/sub/my-prompt",
            "with space",
            "metrics/foo",
            "foo/new",
            "Ünïcode",
        ] {
            assert_eq!(PromptName::parse(good).unwrap().as_str(), good);
        }
        assert_eq!(PromptName::parse("  padded ").unwrap().as_str(), "padded");
        for (bad, message) in [
            ("", "cannot be empty"),
            ("   ", "cannot be empty"),
            ("a|b", "'|'"),
            ("/a", "start with a slash"),
            ("a//b", "consecutive slashes"),
            ("a/", "end with a slash"),
            ("<b>x</b>", "HTML"),
            ("new", "cannot be 'new'"),
            ("metrics", "cannot be 'metrics'"),
            ("prompt-detail", "cannot be 'prompt-detail'"),
        ] {
            let error = PromptName::parse(bad).unwrap_err();
            assert!(error.contains(message), "{bad}: {error}");
        }
        assert!(PromptName::parse(&"a".repeat(256)).is_err());
        assert!(PromptName::parse(&"a".repeat(255)).is_ok());
    }

    #[test]
    fn labels_are_lowercase_slugs_and_latest_is_reserved() {
        for good in ["production", "staging-2", "v1.2", "a_b", "0"] {
            assert!(Label::parse(good).is_ok(), "{good}");
        }
        for bad in ["", "Prod", "with space", "ä", "a/b", &"a".repeat(37)] {
            assert!(Label::parse(bad).is_err(), "{bad}");
        }
        assert!(Label::parse("latest").unwrap_err().contains("latest"));
        assert!(Label::parse_any("latest").is_ok());
        let labels = Label::parse_list(&["b".into(), "a".into(), "b".into()]).unwrap();
        assert_eq!(
            labels.iter().map(Label::as_str).collect::<Vec<_>>(),
            ["b", "a"]
        );
    }
}
