//! The settings every server subcommand takes: flags (each with its `PULSAR_*` variable),
//! over the config file, over the defaults (see `pulsar_server::config`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use pulsar_server::config::{ConfigFile, Layer, RetentionLayer, Settings, TargetPolicySetting};

#[derive(Debug, Args)]
pub(crate) struct SettingsArgs {
    /// Config file (TOML): settings under [server], and monitors and channels to apply.
    #[arg(long, env = "PULSAR_CONFIG")]
    config: Option<PathBuf>,
    /// Delete monitors (and channels) the config file declares none of, when it declares
    /// that kind at all.
    #[arg(long, env = "PULSAR_PRUNE")]
    prune: bool,
    /// Address to serve the API, dashboard and WebSocket on [default: 127.0.0.1:8080].
    #[arg(long, env = "PULSAR_LISTEN")]
    listen: Option<SocketAddr>,
    /// Directory of the embedded database [default: ./pulsar-data].
    #[arg(long, env = "PULSAR_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Serve the built dashboard in this directory instead of the embedded one.
    #[arg(long, env = "PULSAR_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// PostgreSQL (postgres://user:password@host/db); with --redis-url, runs distributed.
    #[arg(long, env = "PULSAR_DATABASE_URL", hide_env_values = true)]
    database_url: Option<String>,
    /// Redis (redis://host:6379) for the shared queue and live events.
    #[arg(long, env = "PULSAR_REDIS_URL", hide_env_values = true)]
    redis_url: Option<String>,
    /// Start of every Redis key [default: pulsar].
    #[arg(long, env = "PULSAR_REDIS_PREFIX")]
    redis_prefix: Option<String>,
    /// This process's worker name, unique per process [default: <hostname>-<pid>].
    #[arg(long, env = "PULSAR_WORKER_NAME")]
    name: Option<String>,
    /// A region label recorded with every result.
    #[arg(long, env = "PULSAR_REGION")]
    region: Option<String>,
    /// Checks run at once [default: 64].
    #[arg(long, env = "PULSAR_CONCURRENCY")]
    concurrency: Option<usize>,
    /// How often this host is sampled, e.g. 5s or 1m [default: 5s].
    #[arg(long, env = "PULSAR_HOST_INTERVAL", value_parser = pulsar_core::parse_duration)]
    host_interval: Option<Duration>,
    /// Raw results kept, e.g. 7d [default: 7d].
    #[arg(long, env = "PULSAR_RETAIN_RESULTS", value_parser = pulsar_core::parse_duration)]
    retain_results: Option<Duration>,
    /// Minute rollups kept [default: 30d].
    #[arg(long, env = "PULSAR_RETAIN_MINUTE_ROLLUPS", value_parser = pulsar_core::parse_duration)]
    retain_minute_rollups: Option<Duration>,
    /// Hour and day rollups kept [default: 400d].
    #[arg(long, env = "PULSAR_RETAIN_HOUR_ROLLUPS", value_parser = pulsar_core::parse_duration)]
    retain_hour_rollups: Option<Duration>,
    /// Host samples kept [default: 7d].
    #[arg(long, env = "PULSAR_RETAIN_HOST_SAMPLES", value_parser = pulsar_core::parse_duration)]
    retain_host_samples: Option<Duration>,
    /// Notification delivery log kept [default: 30d].
    #[arg(long, env = "PULSAR_RETAIN_DELIVERIES", value_parser = pulsar_core::parse_duration)]
    retain_deliveries: Option<Duration>,
    /// Token that every write call must present (Authorization: Bearer <token>).
    #[arg(long, env = "PULSAR_ADMIN_TOKEN", hide_env_values = true)]
    admin_token: Option<String>,
    /// Reads need the admin token too.
    #[arg(long, env = "PULSAR_PRIVATE_READS", num_args = 0..=1, default_missing_value = "true")]
    private_reads: Option<bool>,
    /// Serve beyond loopback without an admin token.
    #[arg(long, env = "PULSAR_ALLOW_UNAUTHENTICATED", num_args = 0..=1, default_missing_value = "true")]
    allow_unauthenticated: Option<bool>,
    /// Browser origins allowed to call the API from other sites, comma-separated.
    #[arg(long, env = "PULSAR_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Option<Vec<String>>,
    /// Which addresses checks may reach [default: off].
    #[arg(long, env = "PULSAR_TARGET_POLICY", value_enum)]
    target_policy: Option<TargetPolicySetting>,
    /// A worker starts no new check while its runtime runs later than this, e.g. 1ms
    /// [default: 1ms].
    #[arg(long, env = "PULSAR_MAX_SCHEDULING_DELAY", value_parser = pulsar_core::parse_duration)]
    max_scheduling_delay: Option<Duration>,
    /// Where `pulsar worker` serves /healthz, /readyz and /metrics [default: none].
    #[arg(long, env = "PULSAR_METRICS_LISTEN")]
    metrics_listen: Option<SocketAddr>,
    /// Where people reach the dashboard, e.g. https://pulsar.example.com: notifications link
    /// to the monitor's page under it [default: no link].
    #[arg(long, env = "PULSAR_PUBLIC_URL")]
    public_url: Option<String>,
    /// The name this host's samples are stored under [default: the kernel's hostname].
    #[arg(long, env = "PULSAR_HOST_NAME")]
    host_name: Option<String>,
    /// Where the host's procfs is mounted, e.g. /host/proc in a container [default: /proc].
    #[arg(long, env = "PULSAR_HOST_PROC")]
    host_proc: Option<PathBuf>,
    /// Where the host's sysfs is mounted [default: /sys].
    #[arg(long, env = "PULSAR_HOST_SYS")]
    host_sys: Option<PathBuf>,
    /// Where the host's root filesystem is mounted, for its mounts' sizes [default: /].
    #[arg(long, env = "PULSAR_HOST_ROOT_FS")]
    host_root_fs: Option<PathBuf>,
    /// Do not schedule checks in this API process (another process does).
    #[arg(long, env = "PULSAR_NO_SCHEDULER", num_args = 0..=1, default_missing_value = "true")]
    no_scheduler: Option<bool>,
}

impl SettingsArgs {
    /// The settings: flags and environment, over the config file, over the defaults.
    pub(crate) fn load(self) -> anyhow::Result<Settings> {
        let file = match &self.config {
            Some(path) => ConfigFile::load(path).context("the config file is refused")?,
            None => ConfigFile::default(),
        };
        let prune = self.prune;
        let mut settings = self.layer().or(file.server).resolve();
        settings.declared = file.declared;
        settings.prune = prune;
        Ok(settings)
    }

    fn layer(self) -> Layer {
        Layer {
            listen: self.listen,
            data_dir: self.data_dir,
            web_dir: self.web_dir,
            database_url: self.database_url,
            redis_url: self.redis_url,
            redis_prefix: self.redis_prefix,
            name: self.name,
            region: self.region,
            concurrency: self.concurrency,
            host_interval: self.host_interval,
            admin_token: self.admin_token,
            private_reads: self.private_reads,
            allow_unauthenticated: self.allow_unauthenticated,
            cors_origins: self.cors_origins,
            target_policy: self.target_policy,
            scheduler: self.no_scheduler.map(|off| !off),
            max_scheduling_delay: self.max_scheduling_delay,
            metrics_listen: self.metrics_listen,
            public_url: self.public_url,
            host_name: self.host_name,
            host_proc: self.host_proc,
            host_sys: self.host_sys,
            host_root_fs: self.host_root_fs,
            host_rules: Default::default(),
            retention: RetentionLayer {
                results: self.retain_results,
                minute_rollups: self.retain_minute_rollups,
                hour_rollups: self.retain_hour_rollups,
                host_samples: self.retain_host_samples,
                deliveries: self.retain_deliveries,
            },
        }
    }
}
