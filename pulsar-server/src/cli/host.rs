//! `pulsar host`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct HostArgs {}

pub(crate) fn run(_args: HostArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`pulsar host` is not available in this build yet")
}
