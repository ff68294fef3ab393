//! Settings, from four places in order of precedence: command-line flags, then `PULSAR_*`
//! environment variables (clap reads both into one [`Layer`]), then the optional TOML config
//! file's `[server]` table, then the defaults here. The file can also declare monitors and
//! notification channels ([`declared`]).

pub mod declared;
mod env;
pub mod file;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use pulsar_probe::TargetPolicy;
use pulsar_store::Retention;
use serde::Deserialize;

pub use file::{ConfigError, ConfigFile};

/// Where the API listens unless told otherwise: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
/// Where the embedded database lives unless told otherwise.
pub const DEFAULT_DATA_DIR: &str = "pulsar-data";
/// Checks a worker runs at once unless told otherwise.
pub const DEFAULT_CONCURRENCY: usize = 64;
/// How often a process samples its host unless told otherwise.
pub const DEFAULT_HOST_INTERVAL: Duration = Duration::from_secs(5);
/// The start of every Redis key and channel unless told otherwise.
pub const DEFAULT_REDIS_PREFIX: &str = "pulsar";

/// One source of settings: each field is set or left to the next source.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layer {
    pub listen: Option<SocketAddr>,
    pub data_dir: Option<PathBuf>,
    pub web_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub redis_url: Option<String>,
    pub redis_prefix: Option<String>,
    pub name: Option<String>,
    pub region: Option<String>,
    pub concurrency: Option<usize>,
    #[serde(default, deserialize_with = "duration")]
    pub host_interval: Option<Duration>,
    pub admin_token: Option<String>,
    pub private_reads: Option<bool>,
    pub allow_unauthenticated: Option<bool>,
    pub cors_origins: Option<Vec<String>>,
    pub target_policy: Option<TargetPolicySetting>,
    pub scheduler: Option<bool>,
    #[serde(default, deserialize_with = "duration")]
    pub max_scheduling_delay: Option<Duration>,
    pub metrics_listen: Option<SocketAddr>,
    pub public_url: Option<String>,
    pub host_name: Option<String>,
    pub host_proc: Option<PathBuf>,
    pub host_sys: Option<PathBuf>,
    pub host_root_fs: Option<PathBuf>,
    #[serde(default)]
    pub retention: RetentionLayer,
    /// This host's alert rules (`[server.host_rules]`); unset ones keep their defaults.
    #[serde(default)]
    pub host_rules: HostRulesLayer,
}

/// Overrides of the host alert rules' defaults ([`pulsar_core::HostRules`]).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostRulesLayer {
    pub cpu_busy_pct: Option<f64>,
    pub memory_available_pct: Option<f64>,
    pub disk_used_pct: Option<f64>,
    pub zombies: Option<u64>,
    pub threads_pct: Option<f64>,
    pub load_per_core: Option<f64>,
    pub silent_intervals: Option<u32>,
    pub fire_after: Option<u32>,
    pub cpu_fire_after: Option<u32>,
    pub resolve_after: Option<u32>,
}

impl HostRulesLayer {
    fn or(self, lower: Self) -> Self {
        Self {
            cpu_busy_pct: self.cpu_busy_pct.or(lower.cpu_busy_pct),
            memory_available_pct: self.memory_available_pct.or(lower.memory_available_pct),
            disk_used_pct: self.disk_used_pct.or(lower.disk_used_pct),
            zombies: self.zombies.or(lower.zombies),
            threads_pct: self.threads_pct.or(lower.threads_pct),
            load_per_core: self.load_per_core.or(lower.load_per_core),
            silent_intervals: self.silent_intervals.or(lower.silent_intervals),
            fire_after: self.fire_after.or(lower.fire_after),
            cpu_fire_after: self.cpu_fire_after.or(lower.cpu_fire_after),
            resolve_after: self.resolve_after.or(lower.resolve_after),
        }
    }

    /// The rules, with a default for everything left unset.
    pub fn resolve(self) -> pulsar_core::HostRules {
        let d = pulsar_core::HostRules::default();
        pulsar_core::HostRules {
            cpu_busy_pct: self.cpu_busy_pct.unwrap_or(d.cpu_busy_pct),
            memory_available_pct: self.memory_available_pct.unwrap_or(d.memory_available_pct),
            disk_used_pct: self.disk_used_pct.unwrap_or(d.disk_used_pct),
            zombies: self.zombies.unwrap_or(d.zombies),
            threads_pct: self.threads_pct.unwrap_or(d.threads_pct),
            load_per_core: self.load_per_core.unwrap_or(d.load_per_core),
            silent_intervals: self.silent_intervals.unwrap_or(d.silent_intervals),
            fire_after: self.fire_after.unwrap_or(d.fire_after),
            cpu_fire_after: self.cpu_fire_after.unwrap_or(d.cpu_fire_after),
            resolve_after: self.resolve_after.unwrap_or(d.resolve_after),
        }
    }
}

/// How long each kind of data is kept (`[server.retention]`).
#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionLayer {
    #[serde(default, deserialize_with = "duration")]
    pub results: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub minute_rollups: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub hour_rollups: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub host_samples: Option<Duration>,
    #[serde(default, deserialize_with = "duration")]
    pub deliveries: Option<Duration>,
}

/// Which addresses checks may reach: `off` (any; the self-hosting default) or
/// `public-only` (no loopback, private, link-local or metadata address).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum TargetPolicySetting {
    #[default]
    Off,
    PublicOnly,
}

impl From<TargetPolicySetting> for TargetPolicy {
    fn from(setting: TargetPolicySetting) -> Self {
        match setting {
            TargetPolicySetting::Off => TargetPolicy::AllowAll,
            TargetPolicySetting::PublicOnly => TargetPolicy::PublicOnly,
        }
    }
}

fn duration<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
    let text = String::deserialize(d)?;
    pulsar_core::parse_duration(&text)
        .map(Some)
        .map_err(serde::de::Error::custom)
}

impl Layer {
    /// This layer, with what it leaves unset taken from `lower`.
    pub fn or(self, lower: Layer) -> Layer {
        Layer {
            listen: self.listen.or(lower.listen),
            data_dir: self.data_dir.or(lower.data_dir),
            web_dir: self.web_dir.or(lower.web_dir),
            database_url: self.database_url.or(lower.database_url),
            redis_url: self.redis_url.or(lower.redis_url),
            redis_prefix: self.redis_prefix.or(lower.redis_prefix),
            name: self.name.or(lower.name),
            region: self.region.or(lower.region),
            concurrency: self.concurrency.or(lower.concurrency),
            host_interval: self.host_interval.or(lower.host_interval),
            admin_token: self.admin_token.or(lower.admin_token),
            private_reads: self.private_reads.or(lower.private_reads),
            allow_unauthenticated: self.allow_unauthenticated.or(lower.allow_unauthenticated),
            cors_origins: self.cors_origins.or(lower.cors_origins),
            target_policy: self.target_policy.or(lower.target_policy),
            scheduler: self.scheduler.or(lower.scheduler),
            max_scheduling_delay: self.max_scheduling_delay.or(lower.max_scheduling_delay),
            metrics_listen: self.metrics_listen.or(lower.metrics_listen),
            public_url: self.public_url.or(lower.public_url),
            host_name: self.host_name.or(lower.host_name),
            host_proc: self.host_proc.or(lower.host_proc),
            host_sys: self.host_sys.or(lower.host_sys),
            host_root_fs: self.host_root_fs.or(lower.host_root_fs),
            host_rules: self.host_rules.or(lower.host_rules),
            retention: RetentionLayer {
                results: self.retention.results.or(lower.retention.results),
                minute_rollups: self
                    .retention
                    .minute_rollups
                    .or(lower.retention.minute_rollups),
                hour_rollups: self.retention.hour_rollups.or(lower.retention.hour_rollups),
                host_samples: self.retention.host_samples.or(lower.retention.host_samples),
                deliveries: self.retention.deliveries.or(lower.retention.deliveries),
            },
        }
    }

    /// The settings, with a default for everything left unset.
    pub fn resolve(self) -> Settings {
        let defaults = Retention::default();
        let retention = Retention {
            raw_results: self.retention.results.unwrap_or(defaults.raw_results),
            minute_rollups: self
                .retention
                .minute_rollups
                .unwrap_or(defaults.minute_rollups),
            hour_rollups: self.retention.hour_rollups.unwrap_or(defaults.hour_rollups),
            host_samples: self.retention.host_samples.unwrap_or(defaults.host_samples),
            deliveries: self.retention.deliveries.unwrap_or(defaults.deliveries),
            ..defaults
        };
        Settings {
            listen: self
                .listen
                .unwrap_or_else(|| DEFAULT_LISTEN.parse().expect("a valid address")),
            data_dir: self.data_dir.unwrap_or_else(|| DEFAULT_DATA_DIR.into()),
            web_dir: self.web_dir,
            database_url: self.database_url.filter(|url| !url.is_empty()),
            redis_url: self.redis_url.filter(|url| !url.is_empty()),
            redis_prefix: self
                .redis_prefix
                .unwrap_or_else(|| DEFAULT_REDIS_PREFIX.into()),
            name: self
                .name
                .filter(|name| !name.is_empty())
                .unwrap_or_else(crate::identity::default_worker_name),
            region: self.region.unwrap_or_default(),
            concurrency: self.concurrency.unwrap_or(DEFAULT_CONCURRENCY).max(1),
            host_interval: self.host_interval.unwrap_or(DEFAULT_HOST_INTERVAL),
            retention,
            admin_token: self.admin_token.filter(|token| !token.is_empty()),
            private_reads: self.private_reads.unwrap_or(false),
            allow_unauthenticated: self.allow_unauthenticated.unwrap_or(false),
            cors_origins: self.cors_origins.unwrap_or_default(),
            target_policy: self.target_policy.unwrap_or_default(),
            scheduler: self.scheduler.unwrap_or(true),
            max_scheduling_delay: self
                .max_scheduling_delay
                .unwrap_or(crate::worker::DEFAULT_MAX_DELAY),
            metrics_listen: self.metrics_listen,
            public_url: self
                .public_url
                .map(|url| url.trim_end_matches('/').to_owned())
                .filter(|url| !url.is_empty()),
            host: HostSource {
                name: self.host_name.filter(|name| !name.is_empty()),
                proc_root: self.host_proc,
                sys_root: self.host_sys,
                root_fs: self.host_root_fs,
            },
            host_rules: self.host_rules.resolve(),
            declared: declared::Declared::default(),
            prune: false,
        }
    }
}

/// Everything a Pulsar process is told, every field decided.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Where the API listens (`serve` and `api`).
    pub listen: SocketAddr,
    /// The embedded database's directory (`serve`).
    pub data_dir: PathBuf,
    /// A built dashboard to serve instead of the one the binary embeds.
    pub web_dir: Option<PathBuf>,
    /// PostgreSQL, for the distributed roles.
    pub database_url: Option<String>,
    /// Redis (queue and bus), for the distributed roles.
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    /// This process's worker name, recorded with its results: unique per process.
    pub name: String,
    /// A region label recorded with every result.
    pub region: String,
    /// Checks run at once.
    pub concurrency: usize,
    /// How often the process samples its host.
    pub host_interval: Duration,
    /// What the store keeps, and so what the retention role prunes.
    pub retention: Retention,
    /// Writes need `Authorization: Bearer <token>` when set.
    pub admin_token: Option<String>,
    /// Reads need the token too.
    pub private_reads: bool,
    /// Serve beyond loopback without a token.
    pub allow_unauthenticated: bool,
    /// Browser origins allowed to call the API from another site (CORS); none by default.
    pub cors_origins: Vec<String>,
    pub target_policy: TargetPolicySetting,
    /// Whether an `api` process also schedules checks.
    pub scheduler: bool,
    /// The runtime's scheduling delay above which a worker starts no new check.
    pub max_scheduling_delay: Duration,
    /// Where a worker serves `/healthz`, `/readyz` and `/metrics`; none by default.
    pub metrics_listen: Option<SocketAddr>,
    /// Where people reach the dashboard (`https://pulsar.example.com`): notifications link
    /// to the monitor's page under it. None: messages carry no link.
    pub public_url: Option<String>,
    /// Which host the sampler reports, and under what name.
    pub host: HostSource,
    /// When this host's alerts fire; the notifier also judges silence by them.
    pub host_rules: pulsar_core::HostRules,
    /// Monitors and channels the config file declares, applied at start by `serve` and `api`.
    pub declared: declared::Declared,
    /// Applying deletes what a declared kind has and the file does not.
    pub prune: bool,
}

/// Where the sampler reads its host from. In a container, mount the host's `/proc`, `/sys`
/// and `/` read-only (say at `/host/proc`, `/host/sys` and `/host/root`) and point these at
/// them, so the numbers are the host's and not the container's.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HostSource {
    /// The identity samples are stored under; none: the kernel's hostname.
    pub name: Option<String>,
    pub proc_root: Option<PathBuf>,
    pub sys_root: Option<PathBuf>,
    /// The root of the mounts measured.
    pub root_fs: Option<PathBuf>,
}

impl HostSource {
    /// The identity this host's samples are stored under: the name given, else its
    /// hostname (read as the collector reads it).
    pub fn identity(&self) -> String {
        match &self.name {
            Some(name) => name.clone(),
            None => pulsar_host::host_name(
                self.root_fs
                    .as_deref()
                    .unwrap_or(std::path::Path::new(pulsar_host::DEFAULT_ROOT_FS)),
            ),
        }
    }

    /// A collector of this host.
    pub fn collector(&self) -> pulsar_host::HostCollector {
        let mut builder = pulsar_host::HostCollector::builder();
        if let Some(name) = &self.name {
            builder = builder.host(name);
        }
        if let Some(path) = &self.proc_root {
            builder = builder.proc_root(path);
        }
        if let Some(path) = &self.sys_root {
            builder = builder.sys_root(path);
        }
        if let Some(path) = &self.root_fs {
            builder = builder.root_fs(path);
        }
        builder.build()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Layer::default().resolve()
    }
}

impl Settings {
    /// Refuses to serve an open API beyond loopback: without an admin token, anyone who
    /// can reach the address could change or delete every monitor.
    pub fn check_exposure(&self, address: SocketAddr) -> Result<(), String> {
        if address.ip().is_loopback() || self.admin_token.is_some() || self.allow_unauthenticated {
            return Ok(());
        }
        Err(format!(
            "refusing to serve on {address} without an admin token: set PULSAR_ADMIN_TOKEN \
             (or --admin-token), or pass --allow-unauthenticated to serve it open"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_higher_layer_wins_field_by_field_and_defaults_fill_the_rest() {
        let flags = Layer {
            concurrency: Some(8),
            ..Layer::default()
        };
        let file = Layer {
            concurrency: Some(2),
            region: Some("eu".into()),
            retention: RetentionLayer {
                results: Some(Duration::from_secs(86_400)),
                ..RetentionLayer::default()
            },
            ..Layer::default()
        };
        let settings = flags.or(file).resolve();
        assert_eq!(settings.concurrency, 8);
        assert_eq!(settings.region, "eu");
        assert_eq!(settings.retention.raw_results, Duration::from_secs(86_400));
        assert_eq!(
            settings.retention.hour_rollups,
            Retention::default().hour_rollups
        );
        assert_eq!(settings.listen, DEFAULT_LISTEN.parse().unwrap());
        assert_eq!(settings.host_interval, DEFAULT_HOST_INTERVAL);
        assert!(settings.scheduler);
        assert!(!settings.name.is_empty());
    }

    #[test]
    fn an_open_api_is_refused_beyond_loopback() {
        let open = Settings::default();
        let public: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert!(
            open.check_exposure("127.0.0.1:8080".parse().unwrap())
                .is_ok()
        );
        assert!(open.check_exposure("[::1]:8080".parse().unwrap()).is_ok());
        let refused = open.check_exposure(public).unwrap_err();
        assert!(refused.contains("--allow-unauthenticated"), "{refused}");
        let token = Settings {
            admin_token: Some("s3cret".into()),
            ..Settings::default()
        };
        assert!(token.check_exposure(public).is_ok());
        let allowed = Settings {
            allow_unauthenticated: true,
            ..Settings::default()
        };
        assert!(allowed.check_exposure(public).is_ok());
    }
}
