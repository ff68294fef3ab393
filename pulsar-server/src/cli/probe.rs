//! `pulsar probe`.

use std::process::ExitCode;

#[derive(Debug, clap::Args)]
pub(crate) struct ProbeArgs {}

pub(crate) fn run(_args: ProbeArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("`pulsar probe` is not available in this build yet")
}
