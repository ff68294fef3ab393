//! Command-line parsing and dispatch; each subcommand lives in its own module.

mod healthcheck;
mod host;
mod migrate;
mod probe;
mod serve;
mod settings;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Pulsar: phase-timed website checks and host health, live.
#[derive(Debug, Parser)]
#[command(name = "pulsar", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check a URL once (or --count times) and show where the time went.
    Probe(probe::ProbeArgs),
    /// Show this host's CPU, memory, disks, network, processes and threads.
    Host(host::HostArgs),
    /// Run the whole product in one process: API, dashboard, scheduler, worker and host
    /// sampler, with an embedded database in --data-dir.
    Serve(serve::ServerArgs),
    /// Serve the API, dashboard and live events over PostgreSQL and Redis (and schedule
    /// checks, unless --no-scheduler); run as many as needed.
    Api(serve::ServerArgs),
    /// Run checks from the shared queue and report this host; run as many as needed.
    Worker(serve::ServerArgs),
    /// Apply the database schema (PostgreSQL with --database-url, else the embedded
    /// database) and exit.
    Migrate(migrate::MigrateArgs),
    /// Ask the Pulsar process beside this one for /healthz (a container's HEALTHCHECK);
    /// exit 0 when healthy, 1 when not.
    Healthcheck(healthcheck::HealthcheckArgs),
}

/// Runs the chosen subcommand; `Ok` carries the exit status for expected outcomes
/// (a failed check exits non-zero without being an error of the program).
pub(crate) fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Probe(args) => probe::run(args),
        Command::Host(args) => host::run(args),
        Command::Serve(args) => serve::run(serve::Mode::Serve, args),
        Command::Api(args) => serve::run(serve::Mode::Api, args),
        Command::Worker(args) => serve::run(serve::Mode::Worker, args),
        Command::Migrate(args) => migrate::run(args),
        Command::Healthcheck(args) => healthcheck::run(args),
    }
}
