//! `sightline`: one binary with explicit roles. `serve` (the default) runs the API; `migrate`
//! applies database migrations; `admin` manages users, organizations, projects and API keys.

mod admin;
mod cli;
mod config;
mod logging;
mod migrate;
mod serve;
mod worker;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::Config;

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match Config::load(cli.config.as_deref()) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("sightline: configuration error: {error:#}");
            return std::process::ExitCode::from(2);
        }
    };
    logging::init(&config);
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("sightline: cannot start the async runtime: {error}");
            return std::process::ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve::run(config).await,
            Command::Worker => worker::run(config).await,
            Command::Migrate => migrate::run(&config).await,
            Command::Admin(command) => admin::run(&config, command).await,
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("sightline: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
