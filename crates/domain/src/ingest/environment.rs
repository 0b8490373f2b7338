//! Environment names as Langfuse normalises them (wire-spec §2.2): lower-cased, leading
//! `langfuse`, `langfuse-`, `langfuse_` prefixes stripped repeatedly, at most 40 characters, and
//! `[a-z0-9-_]+` or else `default`.

pub const DEFAULT_ENVIRONMENT: &str = "default";

/// Environments the UI's traces and observations tables leave out unless a filter names them:
/// Langfuse's `DEFAULT_SIDEBAR_HIDDEN_ENVIRONMENTS`
/// (`packages/shared/src/features/filters/internalEnvironments.ts`) and the environment of
/// Sightline's recorded playground runs.
pub const HIDDEN_BY_DEFAULT: &[&str] = &[
    "langfuse-playground",
    "langfuse-prompt-experiment",
    "langfuse-llm-as-a-judge",
    "langfuse-code-eval",
    "langfuse-natural-language-filter",
    "langfuse-evaluation",
    "sdk-experiment",
];

/// The filter that leaves [`HIDDEN_BY_DEFAULT`] out.
pub fn hide_internal() -> crate::filter::FilterCondition {
    crate::filter::FilterCondition {
        column: "environment".into(),
        key: None,
        test: crate::filter::Test::Options(
            crate::filter::OptionsOperator::NoneOf,
            HIDDEN_BY_DEFAULT.iter().map(|e| (*e).to_owned()).collect(),
        ),
    }
}

pub fn normalize_environment(raw: Option<&str>) -> String {
    let Some(raw) = raw else {
        return DEFAULT_ENVIRONMENT.to_owned();
    };
    let mut name = raw.trim().to_lowercase();
    loop {
        let stripped = name
            .strip_prefix("langfuse-")
            .or_else(|| name.strip_prefix("langfuse_"))
            .or_else(|| name.strip_prefix("langfuse"));
        match stripped {
            Some(rest) => name = rest.to_owned(),
            None => break,
        }
    }
    let name: String = name.chars().take(40).collect();
    let valid = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_');
    if valid {
        name
    } else {
        DEFAULT_ENVIRONMENT.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::normalize_environment;

    #[test]
    fn environments_are_normalised_like_langfuse() {
        assert_eq!(normalize_environment(None), "default");
        assert_eq!(normalize_environment(Some("Production")), "production");
        assert_eq!(normalize_environment(Some("langfuse-staging")), "staging");
        assert_eq!(normalize_environment(Some("langfuse_langfuse-dev")), "dev");
        assert_eq!(normalize_environment(Some("langfuse")), "default");
        assert_eq!(normalize_environment(Some("has space")), "default");
        assert_eq!(normalize_environment(Some(&"a".repeat(50))), "a".repeat(40));
        assert_eq!(
            normalize_environment(Some("sdk-experiment")),
            "sdk-experiment"
        );
    }
}
