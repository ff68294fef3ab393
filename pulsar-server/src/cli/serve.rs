//! `pulsar serve`, `pulsar api` and `pulsar worker`: each parses its settings and runs the
//! library's function of the same name until Ctrl-C or SIGTERM.

use std::process::ExitCode;

use anyhow::Context;
use clap::Args;
use pulsar_server::config::Settings;
use tokio::net::TcpListener;

use super::settings::SettingsArgs;

#[derive(Debug, Args)]
pub(crate) struct ServerArgs {
    #[command(flatten)]
    settings: SettingsArgs,
    /// How log lines are written: human-readable text, or one JSON object per line.
    #[arg(long, env = "PULSAR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Which of the three a process runs.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Mode {
    Serve,
    Api,
    Worker,
}

/// Logs at `RUST_LOG`'s levels (default info), as text or JSON lines on stderr.
fn init_logs(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let logs = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    match format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
}

pub(crate) fn run(mode: Mode, args: ServerArgs) -> anyhow::Result<ExitCode> {
    let settings = args.settings.load()?;
    init_logs(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let stop = stop_signal()?;
        match mode {
            Mode::Serve => {
                let listener = listen(&settings).await?;
                pulsar_server::serve::serve(listener, settings, stop).await
            }
            Mode::Api => {
                let listener = listen(&settings).await?;
                pulsar_server::serve::api(listener, settings, stop).await
            }
            Mode::Worker => pulsar_server::serve::worker(settings, stop).await,
        }
    })?;
    Ok(ExitCode::SUCCESS)
}

async fn listen(settings: &Settings) -> anyhow::Result<TcpListener> {
    TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("cannot listen on {}", settings.listen))
}

/// A future that resolves on Ctrl-C or SIGTERM. The handlers are installed here, before the
/// server starts, so a signal that arrives while it starts up is not lost (and does not
/// kill the process the default way).
fn stop_signal() -> anyhow::Result<impl std::future::Future<Output = ()> + Send + 'static> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let mut interrupt = signal(SignalKind::interrupt()).context("cannot watch Ctrl-C")?;
        let mut terminate = signal(SignalKind::terminate()).context("cannot watch SIGTERM")?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            let _ = tokio::signal::ctrl_c().await;
        })
    }
}
