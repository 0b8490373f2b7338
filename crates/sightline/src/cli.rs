//! Command-line interface. Configuration comes from the environment and the optional file
//! (see `docs/CONFIGURATION.md`); the flags here only choose what to do.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "sightline",
    version,
    about = "Sightline: an open-source LLM engineering platform that speaks Langfuse's public API.",
    long_about = "Sightline: an open-source LLM engineering platform that speaks Langfuse's public API.\n\n\
        With no command, `serve` runs. Configuration comes from environment variables and an \
        optional file; see docs/CONFIGURATION.md. By default the data lives in ./data/sightline.db."
)]
pub struct Cli {
    /// A configuration file of NAME=value lines (same names as the environment variables,
    /// which take precedence). Also read from SIGHTLINE_CONFIG.
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: migrates the database, applies headless initialization (LANGFUSE_INIT_*)
    /// or, on a fresh instance, creates a default organization, project, owner and key pair and
    /// prints them once; then serves the public API until SIGTERM or SIGINT.
    Serve,
    /// Run only the job workers (evaluations), for deployments that run them apart from the
    /// servers; they share the server's database and settings.
    Worker,
    /// Apply pending database migrations and exit. `serve` also does this on start.
    Migrate,
    /// Manage users, organizations, memberships, projects and API keys.
    #[command(subcommand)]
    Admin(AdminCommand),
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Users who sign in to the UI.
    #[command(subcommand)]
    User(UserCommand),
    /// Organizations.
    #[command(subcommand)]
    Org(OrgCommand),
    /// Organization memberships and per-project role overrides.
    #[command(subcommand)]
    Member(MemberCommand),
    /// Projects.
    #[command(subcommand)]
    Project(ProjectCommand),
    /// Project API keys (pk-lf-… / sk-lf-…).
    #[command(subcommand)]
    Key(KeyCommand),
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user. Without --password a random password is generated and printed.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: Option<String>,
        /// At least 8 characters. Also read from SIGHTLINE_ADMIN_PASSWORD.
        #[arg(long, env = "SIGHTLINE_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
    /// List users.
    List,
}

#[derive(Debug, Subcommand)]
pub enum OrgCommand {
    /// Create an organization.
    Create {
        #[arg(long)]
        name: String,
        /// Use this id instead of a generated one.
        #[arg(long)]
        id: Option<String>,
    },
    /// List organizations.
    List,
    /// Create an organization API key pair for the admin API (`/api/public/organizations/*`,
    /// `/api/public/projects*`); the secret key is printed once.
    CreateKey {
        #[arg(long)]
        org: String,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemberCommand {
    /// Give a user a role in an organization (OWNER, ADMIN, MEMBER, VIEWER, NONE), and
    /// optionally a different role on one of its projects.
    Set(MemberSetArgs),
    /// List the members of an organization.
    List {
        #[arg(long)]
        org: String,
    },
}

#[derive(Debug, Args)]
pub struct MemberSetArgs {
    #[arg(long)]
    pub org: String,
    #[arg(long)]
    pub email: String,
    #[arg(long)]
    pub role: String,
    /// A project of the organization to set a role override on.
    #[arg(long, requires = "project_role")]
    pub project: Option<String>,
    /// The role on --project; NONE means "inherit the organization role".
    #[arg(long, requires = "project")]
    pub project_role: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ProjectCommand {
    /// Create a project in an organization.
    Create {
        #[arg(long)]
        org: String,
        #[arg(long)]
        name: String,
        /// Use this id instead of a generated one.
        #[arg(long)]
        id: Option<String>,
        /// Data retention in days (at least 3; 0 for none): once a day (UTC) the workers delete
        /// the project's traces, observations and scores older than that; prompts, datasets
        /// and settings are kept. Reported by the API as `retentionDays`.
        #[arg(long)]
        retention_days: Option<i64>,
    },
    /// List projects, optionally of one organization.
    List {
        #[arg(long)]
        org: Option<String>,
    },
    /// Set a project's data retention in days (at least 3; 0 for none). Once a day (UTC) the
    /// workers delete its traces, observations and scores older than that.
    Retention {
        #[arg(long)]
        project: String,
        #[arg(long)]
        days: i64,
    },
    /// Apply a project's retention now instead of at the next daily run: enqueues its
    /// retention job, which the workers of a running server (or of the next one) carry out.
    ApplyRetention {
        #[arg(long)]
        project: String,
    },
    /// Export all of a project's traces, observations, scores or sessions now, in this process,
    /// to the exports' blob storage (as the UI's Export does, without filters); prints where
    /// the file is.
    Export {
        #[arg(long)]
        project: String,
        /// traces, observations, scores or sessions.
        #[arg(long)]
        table: String,
        /// csv, json or jsonl.
        #[arg(long, default_value = "jsonl")]
        format: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeyCommand {
    /// Create a key pair for a project; the secret key is printed once and never again.
    Create {
        #[arg(long)]
        project: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// List a project's keys (secrets redacted).
    List {
        #[arg(long)]
        project: String,
    },
    /// Revoke a key by its public key or id. Other running servers stop accepting it within
    /// 10 seconds.
    Revoke { key: String },
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// The help of `admin project create --retention-days`.
    fn retention_help() -> String {
        let mut cli = Cli::command();
        let create = cli
            .find_subcommand_mut("admin")
            .and_then(|admin| admin.find_subcommand_mut("project"))
            .and_then(|project| project.find_subcommand_mut("create"))
            .expect("admin project create");
        let argument = create
            .get_arguments()
            .find(|argument| argument.get_long() == Some("retention-days"))
            .expect("--retention-days");
        let help = [argument.get_help(), argument.get_long_help()];
        help.iter().flatten().map(ToString::to_string).collect()
    }

    #[test]
    fn retention_help_says_what_is_deleted_and_when() {
        let help = retention_help();
        assert!(help.contains("once a day (UTC)"), "{help}");
        assert!(
            help.contains("traces, observations and scores older than that"),
            "{help}"
        );
        assert!(help.contains("prompts, datasets"), "{help}");
    }
}
