//! Environment names as Langfuse normalises them (wire-spec §2.2): lower-cased, leading
//! `langfuse`, `langfuse-`, `langfuse_` prefixes stripped repeatedly, at most 40 characters, and
//! `[a-z0-9-_]+` or else `default`.

pub const DEFAULT_ENVIRONMENT: &str = "default";

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
