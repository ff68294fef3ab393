//! `pulsar`: the command-line frontend over Pulsar's crates.

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            // One line, no backtrace: the user fixes the input and runs again.
            eprintln!("pulsar: {err:#}");
            ExitCode::from(2)
        }
    }
}
