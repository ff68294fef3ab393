//! `pulsar`: the command-line frontend over Pulsar's crates.

mod cli;

use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    let args = match cli::Cli::try_parse() {
        Ok(args) => args,
        Err(err) => return usage_error(&err),
    };
    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            // One line, no backtrace: the user fixes the input and runs again.
            eprintln!("pulsar: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `--help` and `--version` print as clap writes them; a usage error is one line, like every
/// other error of the program (clap's own adds a usage block and a hint).
fn usage_error(err: &clap::Error) -> ExitCode {
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        let _ = err.print();
        return match err.kind() {
            ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => ExitCode::from(2),
            _ => ExitCode::SUCCESS,
        };
    }
    // The message is clap's first paragraph (a missing argument is named on a line of its
    // own); the usage block and the tips after it are left out.
    let rendered = err.render().to_string();
    let paragraph: Vec<&str> = rendered
        .lines()
        .take_while(|line| !line.trim().is_empty())
        .map(str::trim)
        .collect();
    let message = paragraph.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    eprintln!("pulsar: {message} (see --help)");
    ExitCode::from(2)
}
