//! `pulsar serve`: parses its options and runs [`pulsar_server::serve::serve`] until Ctrl-C
//! or SIGTERM.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use pulsar_server::identity::default_worker_name;
use pulsar_server::serve::{
    DEFAULT_CONCURRENCY, DEFAULT_DATA_DIR, DEFAULT_LISTEN, ServeConfig, serve,
};

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Address to serve the API on.
    #[arg(long, env = "PULSAR_LISTEN", default_value = DEFAULT_LISTEN)]
    listen: SocketAddr,
    /// Directory of the embedded database.
    #[arg(long, env = "PULSAR_DATA_DIR", default_value = DEFAULT_DATA_DIR)]
    data_dir: PathBuf,
    /// This process's worker name, recorded with its results [default: <hostname>-<pid>].
    #[arg(long, env = "PULSAR_WORKER_NAME")]
    name: Option<String>,
    /// A region label recorded with every result.
    #[arg(long, env = "PULSAR_REGION", default_value = "")]
    region: String,
    /// Checks run at once.
    #[arg(long, env = "PULSAR_CONCURRENCY", default_value_t = DEFAULT_CONCURRENCY)]
    concurrency: usize,
    /// How log lines are written: human-readable text, or one JSON object per line.
    #[arg(long, env = "PULSAR_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
    /// How often this host is sampled, e.g. 5s or 1m.
    #[arg(long, env = "PULSAR_HOST_INTERVAL", default_value = "5s", value_parser = parse_interval)]
    host_interval: Duration,
}

fn parse_interval(text: &str) -> Result<Duration, String> {
    let (number, unit) = text.split_at(
        text.find(|c: char| !c.is_ascii_digit())
            .unwrap_or(text.len()),
    );
    let n: u64 = number
        .parse()
        .map_err(|_| format!("not a duration: {text:?}"))?;
    let interval = match unit {
        "s" => Duration::from_secs(n),
        "m" => Duration::from_secs(n * 60),
        _ => return Err(format!("not a duration: {text:?} (use s or m)")),
    };
    if interval.is_zero() {
        return Err("must be at least 1s".into());
    }
    Ok(interval)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
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

pub(crate) fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    init_logs(args.log_format);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .with_context(|| format!("cannot listen on {}", args.listen))?;
        let config = ServeConfig {
            data_dir: args.data_dir,
            name: args.name.unwrap_or_else(default_worker_name),
            region: args.region,
            concurrency: args.concurrency,
            host_interval: args.host_interval,
        };
        serve(listener, config, stop_signal()).await
    })?;
    Ok(ExitCode::SUCCESS)
}

/// Resolves on Ctrl-C or SIGTERM.
async fn stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
