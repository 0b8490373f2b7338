//! Structured logs on stderr, as text or JSON (`LOG_FORMAT`), filtered by `LOG_LEVEL`.
//! Stdout is kept for what a command prints for its user (keys, listings).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat};

/// PostgreSQL's notices, which sqlx logs at `info` (`relation "_sqlx_migrations" already exists,
/// skipping` on every command), are left out below `warn` unless `LOG_LEVEL` names `sqlx` or
/// asks for `debug` or `trace` everywhere.
const QUIET_SQLX_NOTICES: &str = "sqlx::postgres::notice=warn";

pub fn init(config: &Config) {
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter(&config.log_level))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    match config.log_format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .init(),
        LogFormat::Text => builder.init(),
    }
}

/// The filter `LOG_LEVEL` describes, with [`QUIET_SQLX_NOTICES`] added unless it asks for them.
fn filter(log_level: &str) -> EnvFilter {
    // The filter was validated when the configuration was loaded.
    let filter = EnvFilter::try_new(log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let verbose_default = log_level
        .split(',')
        .map(|directive| directive.trim().to_ascii_lowercase())
        .any(|directive| directive == "debug" || directive == "trace");
    if verbose_default || log_level.contains("sqlx") {
        return filter;
    }
    match QUIET_SQLX_NOTICES.parse() {
        Ok(directive) => filter.add_directive(directive),
        Err(_) => filter,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlx_notices_are_quiet_unless_asked_for() {
        for quiet in ["info", "warn", "info,sightline=debug", "error"] {
            let filter = filter(quiet).to_string();
            assert!(filter.contains(QUIET_SQLX_NOTICES), "{quiet}: {filter}");
        }
        for asked in [
            "debug",
            "info,sqlx=info",
            "trace",
            "warn,sqlx::postgres::notice=info",
        ] {
            let filter = filter(asked).to_string();
            assert!(!filter.contains(QUIET_SQLX_NOTICES), "{asked}: {filter}");
        }
    }
}
