//! Configuration: defaults, then an optional file, then the environment. Every variable is
//! listed once in [`VARIABLES`] (and documented in `docs/CONFIGURATION.md`; a test keeps the two
//! in step). A value that does not parse is a startup error naming the variable; an empty value
//! counts as unset, as docker compose passes unset `${VAR}`s.
//!
//! The file (`--config PATH` or `SIGHTLINE_CONFIG`) uses the environment's names, one
//! `NAME=value` per line (dotenv syntax). Unknown names in it are reported as warnings.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, anyhow, bail};
use sightline_domain::{ApiKeyPair, Email, OrgId, ProjectId};
use sightline_server::services::blobs::S3Settings;
use sightline_server::services::identity::{HeadlessInit, InitProject, InitUser};
use sightline_store::{StoreOptions, Synchronous};

pub struct Variable {
    pub name: &'static str,
    pub default: Option<&'static str>,
}

const fn var(name: &'static str, default: Option<&'static str>) -> Variable {
    Variable { name, default }
}

pub const DEFAULT_DATABASE_URL: &str = "sqlite://data/sightline.db";

/// Every variable Sightline reads.
pub const VARIABLES: &[Variable] = &[
    var("SIGHTLINE_CONFIG", None),
    var("DATABASE_URL", Some(DEFAULT_DATABASE_URL)),
    var("DATABASE_MAX_CONNECTIONS", Some("10")),
    var("SQLITE_SYNCHRONOUS", Some("FULL")),
    var("PORT", Some("3000")),
    var("OTLP_GRPC_PORT", Some("4317")),
    var("HOSTNAME", Some("0.0.0.0")),
    var("NEXTAUTH_URL", None),
    var("SALT", None),
    var("ENCRYPTION_KEY", None),
    var("LANGFUSE_LLM_CONNECTION_WHITELISTED_HOST", None),
    var("LANGFUSE_LLM_CONNECTION_WHITELISTED_IPS", None),
    var("LANGFUSE_LLM_CONNECTION_WHITELISTED_IP_SEGMENTS", None),
    var("SIGHTLINE_WORKERS", Some("4")),
    var("SIGHTLINE_JOB_LEASE_SECONDS", Some("120")),
    var("LANGFUSE_LLM_AS_JUDGE_QUEUE_RETRY_MAX_ATTEMPTS", Some("4")),
    var(
        "LANGFUSE_LLM_AS_JUDGE_QUEUE_RETRY_MAX_AGE_SECONDS",
        Some("7200"),
    ),
    var("SIGHTLINE_BLOB_DIR", Some("data/blobs")),
    var("LANGFUSE_S3_MEDIA_UPLOAD_BUCKET", None),
    var("LANGFUSE_S3_MEDIA_UPLOAD_REGION", None),
    var("LANGFUSE_S3_MEDIA_UPLOAD_ENDPOINT", None),
    var("LANGFUSE_S3_MEDIA_UPLOAD_ACCESS_KEY_ID", None),
    var("LANGFUSE_S3_MEDIA_UPLOAD_SECRET_ACCESS_KEY", None),
    var("LANGFUSE_S3_MEDIA_UPLOAD_FORCE_PATH_STYLE", Some("false")),
    var("LANGFUSE_S3_MEDIA_UPLOAD_PREFIX", None),
    var("LANGFUSE_S3_BATCH_EXPORT_BUCKET", None),
    var("LANGFUSE_S3_BATCH_EXPORT_REGION", None),
    var("LANGFUSE_S3_BATCH_EXPORT_ENDPOINT", None),
    var("LANGFUSE_S3_BATCH_EXPORT_ACCESS_KEY_ID", None),
    var("LANGFUSE_S3_BATCH_EXPORT_SECRET_ACCESS_KEY", None),
    var("LANGFUSE_S3_BATCH_EXPORT_FORCE_PATH_STYLE", Some("false")),
    var("LANGFUSE_S3_BATCH_EXPORT_PREFIX", None),
    var("LANGFUSE_S3_MEDIA_MAX_CONTENT_LENGTH", Some("1000000000")),
    var(
        "LANGFUSE_S3_MEDIA_DOWNLOAD_URL_EXPIRY_SECONDS",
        Some("3600"),
    ),
    var("LOG_LEVEL", Some("info")),
    var("LOG_FORMAT", Some("text")),
    var("LANGFUSE_INIT_ORG_ID", None),
    var("LANGFUSE_INIT_ORG_NAME", None),
    var("LANGFUSE_INIT_PROJECT_ID", None),
    var("LANGFUSE_INIT_PROJECT_NAME", None),
    var("LANGFUSE_INIT_PROJECT_RETENTION", None),
    var("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", None),
    var("LANGFUSE_INIT_PROJECT_SECRET_KEY", None),
    var("LANGFUSE_INIT_USER_EMAIL", None),
    var("LANGFUSE_INIT_USER_NAME", None),
    var("LANGFUSE_INIT_USER_PASSWORD", None),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        match raw.to_ascii_lowercase().as_str() {
            "text" => Ok(LogFormat::Text),
            "json" => Ok(LogFormat::Json),
            _ => Err("expected text or json".into()),
        }
    }
}

/// A port number, or `off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct OptionalPort(Option<u16>);

impl FromStr for OptionalPort {
    type Err = String;

    fn from_str(raw: &str) -> Result<Self, Self::Err> {
        if raw.eq_ignore_ascii_case("off") {
            return Ok(OptionalPort(None));
        }
        raw.parse()
            .map(|port| OptionalPort(Some(port)))
            .map_err(|_| "expected a port number (0-65535) or off".into())
    }
}

/// A value that must not be printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret<T>(T);

impl<T> Secret<T> {
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Secret<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

#[derive(Debug)]
pub struct Config {
    pub database_url: String,
    pub database_max_connections: u32,
    pub sqlite_synchronous: Synchronous,
    pub port: u16,
    /// Port of the OTLP/gRPC trace service; `None` when turned off.
    pub otlp_grpc_port: Option<u16>,
    pub hostname: String,
    /// The public base URL of the UI (`NEXTAUTH_URL`); https makes session cookies `Secure`.
    pub public_url: Option<String>,
    pub salt: Option<Secret<String>>,
    /// AES-256 key for secrets stored at rest; required only by features that encrypt (LLM
    /// connections). Validated at start so a bad key fails before it is first needed.
    pub encryption_key: Option<Secret<[u8; 32]>>,
    /// Private hosts and addresses LLM connection base URLs may point at (SSRF allow-list).
    pub llm_hosts: sightline_llm::HostPolicy,
    /// Jobs (evaluations) this process runs at once; 0 runs no workers in `serve`.
    pub workers: usize,
    /// How long a claimed job belongs to its worker before another may take it.
    pub job_lease: std::time::Duration,
    /// Retries of retryable LLM errors of evaluations.
    pub eval_retry: sightline_server::services::evals::execute::RetryPolicy,
    /// `SIGHTLINE_BLOB_DIR`: where media and exports are kept when no bucket is set.
    pub blob_dir: std::path::PathBuf,
    /// `LANGFUSE_S3_MEDIA_UPLOAD_*`: the media bucket, and the key prefix (also in a directory).
    pub media_s3: Option<S3Settings>,
    pub media_prefix: String,
    /// `LANGFUSE_S3_BATCH_EXPORT_*`: the exports' bucket and key prefix.
    pub export_s3: Option<S3Settings>,
    pub export_prefix: String,
    pub media_max_bytes: u64,
    pub media_url_ttl: std::time::Duration,
    pub log_level: String,
    pub log_format: LogFormat,
    pub init: HeadlessInit,
    /// Problems that are not errors (unknown names in the file), logged once logging is up.
    pub warnings: Vec<String>,
}

impl Config {
    /// Reads the file named by `file` (or by `SIGHTLINE_CONFIG`), then the process environment.
    pub fn load(file: Option<&Path>) -> anyhow::Result<Config> {
        let env: HashMap<String, String> = std::env::vars().collect();
        let file = file.map(Path::to_path_buf).or_else(|| {
            env.get("SIGHTLINE_CONFIG")
                .filter(|p| !p.is_empty())
                .map(Into::into)
        });
        let file_values = match &file {
            Some(path) => read_file(path)?,
            None => Vec::new(),
        };
        Config::from_sources(file_values, &env)
    }

    /// Layers `file` values under `env` values; only names in [`VARIABLES`] are read from `env`.
    pub fn from_sources(
        file: Vec<(String, String)>,
        env: &HashMap<String, String>,
    ) -> anyhow::Result<Config> {
        let mut warnings = Vec::new();
        let mut values = HashMap::new();
        for (name, value) in file {
            if VARIABLES.iter().any(|v| v.name == name) {
                values.insert(name, value);
            } else {
                warnings.push(format!(
                    "unknown variable {name} in the configuration file is ignored"
                ));
            }
        }
        for variable in VARIABLES {
            if let Some(value) = env.get(variable.name) {
                values.insert(variable.name.to_owned(), value.clone());
            }
        }
        let source = Source { values };
        let encryption_key = source
            .raw("ENCRYPTION_KEY")
            .map(|raw| parse_encryption_key(raw).map(Secret))
            .transpose()
            .context("ENCRYPTION_KEY")?;
        let llm_hosts = sightline_llm::HostPolicy::from_lists(
            source
                .raw("LANGFUSE_LLM_CONNECTION_WHITELISTED_HOST")
                .unwrap_or_default(),
            source
                .raw("LANGFUSE_LLM_CONNECTION_WHITELISTED_IPS")
                .unwrap_or_default(),
            source
                .raw("LANGFUSE_LLM_CONNECTION_WHITELISTED_IP_SEGMENTS")
                .unwrap_or_default(),
        )
        .map_err(|e| anyhow!("LANGFUSE_LLM_CONNECTION_WHITELISTED_*: {e}"))?;
        let log_level = source.string("LOG_LEVEL");
        tracing_subscriber::EnvFilter::try_new(&log_level)
            .map_err(|e| anyhow!("LOG_LEVEL: '{log_level}' is not a log filter ({e})"))?;
        let hostname = source.string("HOSTNAME");
        let database_url = source.string("DATABASE_URL");
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            bail!("DATABASE_URL: expected sqlite://PATH, postgres://… or postgresql://…");
        }
        let public_url = source.raw("NEXTAUTH_URL").map(str::to_owned);
        if public_url
            .as_deref()
            .is_some_and(|url| !(url.starts_with("http://") || url.starts_with("https://")))
        {
            bail!("NEXTAUTH_URL: expected http://… or https://…");
        }
        let config = Config {
            database_url,
            public_url,
            database_max_connections: source.parsed("DATABASE_MAX_CONNECTIONS")?,
            sqlite_synchronous: source.parsed("SQLITE_SYNCHRONOUS")?,
            port: source.parsed("PORT")?,
            otlp_grpc_port: source.parsed::<OptionalPort>("OTLP_GRPC_PORT")?.0,
            hostname,
            salt: source.raw("SALT").map(|salt| Secret(salt.to_owned())),
            encryption_key,
            llm_hosts,
            workers: source.parsed("SIGHTLINE_WORKERS")?,
            job_lease: std::time::Duration::from_secs_f64(
                source
                    .parsed::<f64>("SIGHTLINE_JOB_LEASE_SECONDS")?
                    .clamp(1.0, 86_400.0),
            ),
            eval_retry: sightline_server::services::evals::execute::RetryPolicy {
                attempts: source.parsed("LANGFUSE_LLM_AS_JUDGE_QUEUE_RETRY_MAX_ATTEMPTS")?,
                max_age_ms: (source
                    .parsed::<f64>("LANGFUSE_LLM_AS_JUDGE_QUEUE_RETRY_MAX_AGE_SECONDS")?
                    * 1000.0) as i64,
            },
            blob_dir: source.string("SIGHTLINE_BLOB_DIR").into(),
            media_s3: s3_settings(&source, "MEDIA_UPLOAD")?,
            media_prefix: source.string("LANGFUSE_S3_MEDIA_UPLOAD_PREFIX"),
            export_s3: s3_settings(&source, "BATCH_EXPORT")?,
            export_prefix: source.string("LANGFUSE_S3_BATCH_EXPORT_PREFIX"),
            media_max_bytes: source.parsed("LANGFUSE_S3_MEDIA_MAX_CONTENT_LENGTH")?,
            media_url_ttl: std::time::Duration::from_secs(
                source
                    .parsed::<u64>("LANGFUSE_S3_MEDIA_DOWNLOAD_URL_EXPIRY_SECONDS")?
                    .clamp(1, 7 * 24 * 3600),
            ),
            log_level,
            log_format: source.parsed("LOG_FORMAT")?,
            init: headless_init(&source)?,
            warnings,
        };
        if config.database_max_connections == 0 {
            bail!("DATABASE_MAX_CONNECTIONS: must be at least 1");
        }
        Ok(config)
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            url: self.database_url.clone(),
            max_connections: self.database_max_connections,
            sqlite_synchronous: self.sqlite_synchronous,
        }
    }
}

fn read_file(path: &Path) -> anyhow::Result<Vec<(String, String)>> {
    dotenvy::from_path_iter(path)
        .with_context(|| format!("cannot read configuration file {}", path.display()))?
        .map(|item| item.with_context(|| format!("in configuration file {}", path.display())))
        .collect()
}

/// `LANGFUSE_S3_<purpose>_*`: a bucket when `_BUCKET` is set.
fn s3_settings(source: &Source, purpose: &str) -> anyhow::Result<Option<S3Settings>> {
    let name = |field: &str| format!("LANGFUSE_S3_{purpose}_{field}");
    let Some(bucket) = source.raw(&name("BUCKET")) else {
        return Ok(None);
    };
    let owned = |field: &str| source.raw(&name(field)).map(str::to_owned);
    Ok(Some(S3Settings {
        bucket: bucket.to_owned(),
        region: owned("REGION"),
        endpoint: owned("ENDPOINT"),
        access_key_id: owned("ACCESS_KEY_ID"),
        secret_access_key: owned("SECRET_ACCESS_KEY"),
        force_path_style: source.parsed(&name("FORCE_PATH_STYLE"))?,
    }))
}

struct Source {
    values: HashMap<String, String>,
}

impl Source {
    /// The set, non-empty value of `name`.
    fn raw(&self, name: &str) -> Option<&str> {
        self.values
            .get(name)
            .map(|value| value.trim())
            .filter(|value| !value.is_empty())
    }

    fn default_of(name: &str) -> Option<&'static str> {
        VARIABLES
            .iter()
            .find(|v| v.name == name)
            .and_then(|v| v.default)
    }

    fn string(&self, name: &str) -> String {
        self.raw(name)
            .or_else(|| Self::default_of(name))
            .unwrap_or_default()
            .to_owned()
    }

    fn parsed<T: FromStr>(&self, name: &str) -> anyhow::Result<T>
    where
        T::Err: fmt::Display,
    {
        let raw = self.string(name);
        raw.parse()
            .map_err(|e| anyhow!("{name}: '{raw}' is not valid ({e})"))
    }

    fn optional<T: FromStr>(&self, name: &str) -> anyhow::Result<Option<T>>
    where
        T::Err: fmt::Display,
    {
        self.raw(name)
            .map(|raw| {
                raw.parse()
                    .map_err(|e| anyhow!("{name}: '{raw}' is not valid ({e})"))
            })
            .transpose()
    }
}

fn parse_encryption_key(raw: &str) -> anyhow::Result<[u8; 32]> {
    if raw.len() != 64 {
        bail!("must be 64 hexadecimal characters (256 bits), e.g. from `openssl rand -hex 32`");
    }
    let bytes = hex::decode(raw).map_err(|_| anyhow!("must be hexadecimal"))?;
    Ok(bytes.try_into().expect("64 hex characters are 32 bytes"))
}

fn headless_init(source: &Source) -> anyhow::Result<HeadlessInit> {
    let given = |name: &str| source.raw(name).is_some();
    let Some(org_id) = source.raw("LANGFUSE_INIT_ORG_ID") else {
        if let Some(other) = VARIABLES
            .iter()
            .map(|v| v.name)
            .find(|name| name.starts_with("LANGFUSE_INIT_") && given(name))
        {
            bail!(
                "{other} is set, but LANGFUSE_INIT_ORG_ID is not; headless initialization needs it"
            );
        }
        return Ok(HeadlessInit::default());
    };
    let org_id = OrgId::parse(org_id).context("LANGFUSE_INIT_ORG_ID")?;
    let org_name = source
        .raw("LANGFUSE_INIT_ORG_NAME")
        .unwrap_or("Provisioned Organization")
        .to_owned();

    let project = match source.raw("LANGFUSE_INIT_PROJECT_ID") {
        None => {
            for name in [
                "LANGFUSE_INIT_PROJECT_NAME",
                "LANGFUSE_INIT_PROJECT_RETENTION",
                "LANGFUSE_INIT_PROJECT_PUBLIC_KEY",
                "LANGFUSE_INIT_PROJECT_SECRET_KEY",
            ] {
                if given(name) {
                    bail!("{name} is set, but LANGFUSE_INIT_PROJECT_ID is not");
                }
            }
            None
        }
        Some(id) => {
            let retention_days: Option<i64> = source.optional("LANGFUSE_INIT_PROJECT_RETENTION")?;
            if retention_days.is_some_and(|days| days < 3) {
                bail!("LANGFUSE_INIT_PROJECT_RETENTION: must be at least 3 (days)");
            }
            let keys = match (
                source.raw("LANGFUSE_INIT_PROJECT_PUBLIC_KEY"),
                source.raw("LANGFUSE_INIT_PROJECT_SECRET_KEY"),
            ) {
                (Some(public_key), Some(secret_key)) => {
                    Some(ApiKeyPair::parse(public_key, secret_key).context(
                        "LANGFUSE_INIT_PROJECT_PUBLIC_KEY / LANGFUSE_INIT_PROJECT_SECRET_KEY",
                    )?)
                }
                (None, None) => None,
                _ => bail!(
                    "LANGFUSE_INIT_PROJECT_PUBLIC_KEY and LANGFUSE_INIT_PROJECT_SECRET_KEY must be set together"
                ),
            };
            Some(InitProject {
                id: ProjectId::parse(id).context("LANGFUSE_INIT_PROJECT_ID")?,
                name: source
                    .raw("LANGFUSE_INIT_PROJECT_NAME")
                    .unwrap_or("Provisioned Project")
                    .to_owned(),
                retention_days,
                keys,
            })
        }
    };

    let user = match (
        source.raw("LANGFUSE_INIT_USER_EMAIL"),
        source.raw("LANGFUSE_INIT_USER_PASSWORD"),
    ) {
        (Some(email), Some(password)) => {
            if password.chars().count() < sightline_domain::password::MIN_PASSWORD_LEN {
                bail!(
                    "LANGFUSE_INIT_USER_PASSWORD: must be at least {} characters",
                    sightline_domain::password::MIN_PASSWORD_LEN
                );
            }
            Some(InitUser {
                email: Email::parse(email).context("LANGFUSE_INIT_USER_EMAIL")?,
                name: source.raw("LANGFUSE_INIT_USER_NAME").map(str::to_owned),
                password: password.to_owned(),
            })
        }
        (None, None) => {
            if given("LANGFUSE_INIT_USER_NAME") {
                bail!("LANGFUSE_INIT_USER_NAME is set, but LANGFUSE_INIT_USER_EMAIL is not");
            }
            None
        }
        _ => bail!("LANGFUSE_INIT_USER_EMAIL and LANGFUSE_INIT_USER_PASSWORD must be set together"),
    };

    Ok(HeadlessInit {
        org: Some((org_id, org_name)),
        project,
        user,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(pairs: &[(&str, &str)]) -> anyhow::Result<Config> {
        Config::from_sources(Vec::new(), &env(pairs))
    }

    #[test]
    fn defaults_need_nothing() {
        let config = load(&[]).unwrap();
        assert_eq!(config.database_url, DEFAULT_DATABASE_URL);
        assert_eq!(config.port, 3000);
        assert_eq!(config.otlp_grpc_port, Some(4317));
        assert_eq!(config.hostname, "0.0.0.0");
        assert_eq!(config.sqlite_synchronous, Synchronous::Full);
        assert_eq!(config.log_format, LogFormat::Text);
        assert!(config.init.is_empty());
        assert!(config.salt.is_none());
    }

    #[test]
    fn unparseable_values_name_the_variable() {
        for (name, value) in [
            ("PORT", "abc"),
            ("PORT", "70000"),
            ("OTLP_GRPC_PORT", "grpc"),
            ("OTLP_GRPC_PORT", "-1"),
            ("SQLITE_SYNCHRONOUS", "OFF"),
            ("LOG_FORMAT", "xml"),
            ("LOG_LEVEL", "info,,=[["),
            ("DATABASE_MAX_CONNECTIONS", "-1"),
            ("DATABASE_URL", "mysql://localhost/db"),
            ("ENCRYPTION_KEY", "abcd"),
            ("ENCRYPTION_KEY", &"zz".repeat(32)),
        ] {
            let error = format!("{:#}", load(&[(name, value)]).unwrap_err());
            assert!(error.contains(name), "{name}={value}: {error}");
        }
    }

    #[test]
    fn otlp_grpc_port_is_a_port_or_off() {
        assert_eq!(
            load(&[("OTLP_GRPC_PORT", "14317")]).unwrap().otlp_grpc_port,
            Some(14317)
        );
        assert_eq!(
            load(&[("OTLP_GRPC_PORT", "off")]).unwrap().otlp_grpc_port,
            None
        );
        assert_eq!(
            load(&[("OTLP_GRPC_PORT", "OFF")]).unwrap().otlp_grpc_port,
            None
        );
        assert_eq!(
            load(&[("OTLP_GRPC_PORT", "")]).unwrap().otlp_grpc_port,
            Some(4317)
        );
    }

    #[test]
    fn empty_values_count_as_unset() {
        let config = load(&[("PORT", ""), ("LANGFUSE_INIT_ORG_ID", "")]).unwrap();
        assert_eq!(config.port, 3000);
        assert!(config.init.is_empty());
    }

    #[test]
    fn environment_overrides_file_and_unknown_file_names_warn() {
        let file = vec![
            ("PORT".to_string(), "4000".to_string()),
            ("HOSTNAME".to_string(), "127.0.0.1".to_string()),
            ("PORTT".to_string(), "1".to_string()),
        ];
        let config = Config::from_sources(file, &env(&[("PORT", "5000")])).unwrap();
        assert_eq!(config.port, 5000);
        assert_eq!(config.hostname, "127.0.0.1");
        assert_eq!(config.warnings.len(), 1);
        assert!(config.warnings[0].contains("PORTT"));
    }

    #[test]
    fn encryption_key_is_64_hex_chars_and_not_printed() {
        let key = "ab".repeat(32);
        let config = load(&[("ENCRYPTION_KEY", &key), ("SALT", "pepper")]).unwrap();
        assert_eq!(
            config.encryption_key.as_ref().unwrap().expose(),
            &[0xab; 32]
        );
        let printed = format!("{config:?}");
        assert!(!printed.contains(&key) && !printed.contains("pepper"));
    }

    #[test]
    fn headless_init_is_complete_or_rejected() {
        let full = load(&[
            ("LANGFUSE_INIT_ORG_ID", "org"),
            ("LANGFUSE_INIT_ORG_NAME", "Org"),
            ("LANGFUSE_INIT_PROJECT_ID", "proj"),
            ("LANGFUSE_INIT_PROJECT_RETENTION", "30"),
            ("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "pk-lf-1"),
            ("LANGFUSE_INIT_PROJECT_SECRET_KEY", "sk-lf-1"),
            ("LANGFUSE_INIT_USER_EMAIL", "Ops@Example.com"),
            ("LANGFUSE_INIT_USER_PASSWORD", "long enough"),
        ])
        .unwrap();
        let project = full.init.project.as_ref().unwrap();
        assert_eq!(project.retention_days, Some(30));
        assert_eq!(project.name, "Provisioned Project");
        assert_eq!(
            full.init.user.as_ref().unwrap().email.as_str(),
            "ops@example.com"
        );
        assert!(!format!("{:?}", full.init).contains("long enough"));

        for bad in [
            vec![("LANGFUSE_INIT_PROJECT_ID", "p")],
            vec![
                ("LANGFUSE_INIT_ORG_ID", "o"),
                ("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "pk-lf-1"),
            ],
            vec![
                ("LANGFUSE_INIT_ORG_ID", "o"),
                ("LANGFUSE_INIT_PROJECT_ID", "p"),
                ("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "pk-lf-1"),
            ],
            vec![
                ("LANGFUSE_INIT_ORG_ID", "o"),
                ("LANGFUSE_INIT_PROJECT_ID", "p"),
                ("LANGFUSE_INIT_PROJECT_PUBLIC_KEY", "key"),
                ("LANGFUSE_INIT_PROJECT_SECRET_KEY", "sk-lf-1"),
            ],
            vec![
                ("LANGFUSE_INIT_ORG_ID", "o"),
                ("LANGFUSE_INIT_PROJECT_ID", "p"),
                ("LANGFUSE_INIT_PROJECT_RETENTION", "1"),
            ],
            vec![
                ("LANGFUSE_INIT_ORG_ID", "o"),
                ("LANGFUSE_INIT_USER_EMAIL", "a@b.c"),
            ],
            vec![
                ("LANGFUSE_INIT_ORG_ID", "o"),
                ("LANGFUSE_INIT_USER_EMAIL", "not-an-email"),
                ("LANGFUSE_INIT_USER_PASSWORD", "long enough"),
            ],
            vec![
                ("LANGFUSE_INIT_ORG_ID", "o"),
                ("LANGFUSE_INIT_USER_EMAIL", "a@b.c"),
                ("LANGFUSE_INIT_USER_PASSWORD", "short"),
            ],
        ] {
            assert!(load(&bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn every_variable_is_documented() {
        let doc = include_str!("../../../docs/CONFIGURATION.md");
        let documented: Vec<&str> = doc
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split('`').next())
            .collect();
        let mut known: Vec<&str> = VARIABLES.iter().map(|v| v.name).collect();
        let mut documented_sorted = documented.clone();
        known.sort_unstable();
        documented_sorted.sort_unstable();
        assert_eq!(
            documented_sorted, known,
            "docs/CONFIGURATION.md and VARIABLES differ"
        );
    }
}
