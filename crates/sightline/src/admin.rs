//! `sightline admin …`: users, organizations, memberships, projects and API keys from the shell.
//! Each command calls the same service functions as the API.

use anyhow::Context;
use sightline_domain::time::{now_ms, to_iso};
use sightline_domain::{Email, OrgId, ProjectId, Role, password};
use sightline_server::services::{exports, identity, retention};
use sightline_store::Store;

use crate::cli::{
    AdminCommand, KeyCommand, MemberCommand, OrgCommand, ProjectCommand, UserCommand,
};
use crate::config::Config;
use crate::migrate::open_migrated;

pub async fn run(config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    let store = open_migrated(config).await?;
    let result = dispatch(&store, config, command).await;
    store.close().await;
    result
}

/// `admin project export`: one export run here, not by a worker.
async fn export(
    store: &Store,
    config: &Config,
    project: &ProjectId,
    table: &str,
    format: &str,
) -> anyhow::Result<()> {
    let format = exports::Format::parse(format)
        .with_context(|| format!("--format: '{format}' is not csv, json or jsonl"))?;
    let query = match table {
        "traces" => exports::ExportQuery::Traces(Default::default()),
        "observations" => exports::ExportQuery::Observations(Default::default()),
        "scores" => exports::ExportQuery::Scores(Default::default()),
        "sessions" => exports::ExportQuery::Sessions(Default::default()),
        other => {
            anyhow::bail!("--table: '{other}' is not traces, observations, scores or sessions")
        }
    };
    if store.metadata().project(project).await?.is_none() {
        anyhow::bail!("--project: no project {project}");
    }
    let salt = salt(store, config).await?;
    let state = sightline_server::AppState::with_settings(
        store.clone(),
        salt,
        crate::serve::settings(config)?,
    );
    let export = exports::create(&state, project, None, &query, format).await?;
    exports::run(&state, project, &export.id).await?;
    let done = store
        .metadata()
        .export(project, &export.id)
        .await?
        .context("the export vanished")?;
    match (&done.object_key, done.status) {
        (Some(key), sightline_store::ExportStatus::Completed) => {
            let storage = &state.blobs().exports;
            let place = if storage.bucket() == "local" {
                config.blob_dir.join(key).display().to_string()
            } else {
                format!("s3://{}/{key}", storage.bucket())
            };
            println!("export {}: {} rows in {place}", done.id, done.rows_written);
            Ok(())
        }
        _ => anyhow::bail!(
            "export {} failed: {}",
            done.id,
            done.log.unwrap_or_default()
        ),
    }
}

async fn dispatch(store: &Store, config: &Config, command: AdminCommand) -> anyhow::Result<()> {
    match command {
        AdminCommand::User(UserCommand::Create {
            email,
            name,
            password,
        }) => {
            let email = Email::parse(&email)?;
            let (password, generated) = match password {
                Some(password) => (password, false),
                None => (password::generate_password(), true),
            };
            let user =
                identity::create_user(store, &email, name.as_deref(), Some(&password)).await?;
            println!("created user {} ({})", user.email, user.id);
            if generated {
                println!("password: {password}");
            }
        }
        AdminCommand::User(UserCommand::List) => {
            for user in store.metadata().list_users().await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    user.id,
                    user.email,
                    user.name.unwrap_or_default(),
                    to_iso(user.created_at)
                );
            }
        }
        AdminCommand::Org(OrgCommand::Create { name, id }) => {
            let id = id.as_deref().map(OrgId::parse).transpose()?;
            let org = identity::create_organization(store, id, &name).await?;
            println!("created organization {} ({})", org.name, org.id);
        }
        AdminCommand::Org(OrgCommand::List) => {
            for org in store.metadata().list_organizations().await? {
                println!("{}\t{}\t{}", org.id, org.name, to_iso(org.created_at));
            }
        }
        AdminCommand::Member(MemberCommand::Set(args)) => {
            let org = OrgId::parse(&args.org)?;
            let email = Email::parse(&args.email)?;
            let role: Role = args.role.parse()?;
            let project_role = match (args.project, args.project_role) {
                (Some(project), Some(role)) => Some((ProjectId::parse(&project)?, role.parse()?)),
                _ => None,
            };
            identity::set_membership(store, &org, &email, role, project_role).await?;
            println!("{email} is {role} in organization {org}");
        }
        AdminCommand::Member(MemberCommand::List { org }) => {
            for member in store
                .metadata()
                .list_org_members(&OrgId::parse(&org)?)
                .await?
            {
                println!("{}\t{}\t{}", member.user.id, member.user.email, member.role);
            }
        }
        AdminCommand::Project(ProjectCommand::Create {
            org,
            name,
            id,
            retention_days,
        }) => {
            let org = OrgId::parse(&org)?;
            let id = id.as_deref().map(ProjectId::parse).transpose()?;
            let project = identity::create_project(store, &org, id, &name, retention_days).await?;
            println!("created project {} ({})", project.name, project.id);
        }
        AdminCommand::Project(ProjectCommand::List { org }) => {
            let org = org.as_deref().map(OrgId::parse).transpose()?;
            for project in store.metadata().list_projects(org.as_ref()).await? {
                println!("{}\t{}\t{}", project.id, project.org_id, project.name);
            }
        }
        AdminCommand::Project(ProjectCommand::Retention { project, days }) => {
            let project = ProjectId::parse(&project)?;
            identity::set_retention(store, &project, days).await?;
            match days {
                0 => println!("project {project}: no retention; nothing is deleted"),
                days => println!(
                    "project {project}: traces, observations and scores older than {days} days are deleted once a day (UTC)"
                ),
            }
        }
        AdminCommand::Project(ProjectCommand::ApplyRetention { project }) => {
            let project = ProjectId::parse(&project)?;
            retention::enqueue_now(store, &project, now_ms()).await?;
            println!("project {project}: retention job enqueued; the workers apply it");
        }
        AdminCommand::Project(ProjectCommand::Export {
            project,
            table,
            format,
        }) => export(store, config, &ProjectId::parse(&project)?, &table, &format).await?,
        AdminCommand::Org(OrgCommand::CreateKey { org, note }) => {
            let salt = salt(store, config).await?;
            let (key, secret) =
                identity::create_org_api_key(store, &salt, &OrgId::parse(&org)?, note).await?;
            println!("LANGFUSE_PUBLIC_KEY={}", key.public_key);
            println!("LANGFUSE_SECRET_KEY={secret}");
            println!("(an organization key for the admin API; the secret key is shown only now)");
        }
        AdminCommand::Key(KeyCommand::Create { project, note }) => {
            let salt = salt(store, config).await?;
            let created =
                identity::create_api_key(store, &salt, &ProjectId::parse(&project)?, note).await?;
            println!("LANGFUSE_PUBLIC_KEY={}", created.key.public_key);
            println!("LANGFUSE_SECRET_KEY={}", created.secret_key);
            println!("(the secret key is shown only now)");
        }
        AdminCommand::Key(KeyCommand::List { project }) => {
            for key in store
                .metadata()
                .list_api_keys(&ProjectId::parse(&project)?)
                .await?
            {
                println!(
                    "{}\t{}\t{}\t{}\tcreated {}\tlast used {}",
                    key.id,
                    key.public_key,
                    key.display_secret_key,
                    key.note.unwrap_or_default(),
                    to_iso(key.created_at),
                    key.last_used_at.map_or_else(|| "never".to_owned(), to_iso),
                );
            }
        }
        AdminCommand::Key(KeyCommand::Revoke { key }) => {
            if !store.metadata().delete_api_key(&key).await? {
                anyhow::bail!("no API key with id or public key {key}");
            }
            println!("revoked {key}");
        }
    }
    Ok(())
}

async fn salt(store: &Store, config: &Config) -> anyhow::Result<String> {
    identity::resolve_salt(store, config.salt.as_ref().map(|s| s.expose().as_str()))
        .await
        .context("cannot resolve the API key salt")
}
