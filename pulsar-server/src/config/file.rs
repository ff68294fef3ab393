//! The config file (TOML): `[server]` settings, `[[monitors]]`, `[[channels]]` and
//! `[[maintenance]]` windows. It is
//! read whole and checked before anything is applied: a bad file is refused with its line
//! and field.

use std::collections::BTreeSet;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use super::Layer;
use super::declared::{Declared, DeclaredChannel, DeclaredMonitor, DeclaredWindow};

/// The config file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    #[serde(default)]
    server: Layer,
    monitors: Option<Vec<Spanned<DeclaredMonitor>>>,
    channels: Option<Vec<Spanned<DeclaredChannel>>>,
    maintenance: Option<Vec<Spanned<DeclaredWindow>>>,
}

/// A checked config file: its settings layer and the objects it declares.
#[derive(Debug, Clone, Default)]
pub struct ConfigFile {
    pub server: Layer,
    pub declared: Declared,
}

/// Why a config file was refused: where, and what to fix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based; `None` when the file could not be read at all.
    pub line: Option<usize>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.line {
            Some(line) => write!(f, "{}:{line}: {}", self.path.display(), self.message),
            None => write!(f, "{}: {}", self.path.display(), self.message),
        }
    }
}

impl std::error::Error for ConfigError {}

impl ConfigFile {
    /// Reads and checks the file at `path`, with `${NAME}` taken from the environment.
    pub fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|e| ConfigError {
            path: path.to_owned(),
            line: None,
            message: format!("cannot read: {e}"),
        })?;
        Self::parse(path, &text, |name| std::env::var(name).ok())
    }

    /// Checks `text` (the contents of `path`), with `${NAME}` taken from `env`.
    pub fn parse(
        path: &Path,
        text: &str,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let refuse = |line: Option<usize>, message: String| ConfigError {
            path: path.to_owned(),
            line,
            message,
        };
        let expanded =
            super::env::expand(text, env).map_err(|(line, message)| refuse(Some(line), message))?;
        let line_at = |span: Range<usize>| expanded[..span.start].matches('\n').count() + 1;
        let raw: Raw = toml::from_str(&expanded).map_err(|e| {
            let line = e.span().map(line_at);
            refuse(line, e.message().trim().to_owned())
        })?;
        let checked = |kind: &str,
                       i: usize,
                       span: Range<usize>,
                       name: &str,
                       names: &mut BTreeSet<String>,
                       outcome: Result<(), String>| {
            let line = Some(line_at(span));
            outcome.map_err(|message| refuse(line, format!("{kind}[{i}] {name:?}: {message}")))?;
            if !names.insert(name.to_owned()) {
                return Err(refuse(
                    line,
                    format!("{kind}[{i}]: the name {name:?} is taken"),
                ));
            }
            Ok(())
        };
        let mut declared = Declared::default();
        if let Some(monitors) = raw.monitors {
            let mut names = BTreeSet::new();
            let mut kept = Vec::with_capacity(monitors.len());
            for (i, spanned) in monitors.iter().enumerate() {
                let spec = spanned.get_ref();
                let monitor = spec.to_monitor();
                let outcome = monitor.as_ref().map(|_| ()).map_err(Clone::clone);
                checked(
                    "monitors",
                    i,
                    spanned.span(),
                    &spec.name,
                    &mut names,
                    outcome,
                )?;
                kept.extend(monitor.ok());
            }
            declared.monitors = Some(kept);
        }
        if let Some(channels) = raw.channels {
            let mut names = BTreeSet::new();
            let mut kept = Vec::with_capacity(channels.len());
            for (i, spanned) in channels.iter().enumerate() {
                let spec = spanned.get_ref();
                let channel = spec.to_channel();
                let outcome = channel.as_ref().map(|_| ()).map_err(Clone::clone);
                checked(
                    "channels",
                    i,
                    spanned.span(),
                    &spec.name,
                    &mut names,
                    outcome,
                )?;
                kept.extend(channel.ok().map(|c| (c, spec.clone())));
            }
            declared.channels = Some(kept);
        }
        if let Some(windows) = raw.maintenance {
            let mut names = BTreeSet::new();
            let mut kept = Vec::with_capacity(windows.len());
            for (i, spanned) in windows.iter().enumerate() {
                let spec = spanned.get_ref();
                // Monitor names are resolved when applied; here every one stands for some
                // monitor, so the rest of the window is checked now.
                let placeholders = spec
                    .monitors
                    .iter()
                    .map(|name| (name.as_str(), pulsar_core::MonitorId::new()))
                    .collect();
                let outcome = spec.to_window(&placeholders).map(|_| ());
                checked(
                    "maintenance",
                    i,
                    spanned.span(),
                    &spec.name,
                    &mut names,
                    outcome,
                )?;
                kept.push(spec.clone());
            }
            declared.windows = Some(kept);
        }
        Ok(Self {
            server: raw.server,
            declared,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<ConfigFile, ConfigError> {
        let env = |name: &str| (name == "HOOK").then(|| "https://hooks.example/abc".to_owned());
        ConfigFile::parse(Path::new("pulsar.toml"), text, env)
    }

    #[test]
    fn host_rules_override_their_defaults_and_refuse_unknown_keys() {
        let file =
            parse("[server.host_rules]\nzombies = 0\ndisk_used_pct = 80\nload_per_core = 1.5\n")
                .unwrap();
        let rules = file.server.resolve().host_rules;
        assert_eq!((rules.zombies, rules.disk_used_pct), (0, 80.0));
        assert_eq!(
            rules.cpu_busy_pct,
            pulsar_core::HostRules::default().cpu_busy_pct
        );
        let error = parse("[server.host_rules]\nzombie = 1\n").unwrap_err();
        assert_eq!(error.line, Some(2), "{error}");
    }

    #[test]
    fn settings_monitors_and_channels_are_read() {
        let file = parse(
            r#"
[server]
listen = "0.0.0.0:9000"
host_interval = "10s"
target_policy = "public-only"
cors_origins = ["https://status.example"]

[server.retention]
results = "3d"

[[monitors]]
name = "home"
url = "https://example.com/"
interval = "30s"
timeout = "5s"
expected_status = [200, "300-399"]
body_contains = "Welcome"
labels = { team = "web" }
headers = { Authorization = "Bearer x" }

[[channels]]
name = "hooks"
kind = "webhook"
config = { url = "${HOOK}" }
monitors = ["home"]
"#,
        )
        .unwrap();
        assert_eq!(file.server.listen, Some("0.0.0.0:9000".parse().unwrap()));
        assert_eq!(
            file.server.retention.results,
            Some(std::time::Duration::from_secs(3 * 86_400))
        );
        let monitors = file.declared.monitors.unwrap();
        assert_eq!(monitors[0].interval.as_secs(), 30);
        assert_eq!(monitors[0].expect.status.len(), 2);
        assert!(monitors[0].check.body_assertion.is_some());
        let channels = file.declared.channels.unwrap();
        assert_eq!(channels[0].0.config["url"], "https://hooks.example/abc");
        assert_eq!(channels[0].1.monitors, ["home"]);
    }

    #[test]
    fn a_bad_file_is_refused_with_its_line_and_field() {
        let unknown = parse("[server]\nlisten = \"127.0.0.1:1\"\nlisen = 3\n").unwrap_err();
        assert_eq!(unknown.line, Some(3), "{unknown}");
        assert!(unknown.message.contains("lisen"), "{unknown}");

        let invalid = parse(
            "[[monitors]]\nname = \"a\"\nurl = \"https://a.example\"\n\n\
             [[monitors]]\nname = \"b\"\nurl = \"ftp://b.example\"\n",
        )
        .unwrap_err();
        assert_eq!(invalid.line, Some(5), "{invalid}");
        assert!(
            invalid
                .to_string()
                .starts_with("pulsar.toml:5: monitors[1] \"b\"")
        );
        assert!(invalid.message.contains("url"), "{invalid}");

        let typo =
            parse("[[monitors]]\nname = \"a\"\nurl = \"https://a.example\"\nintervall = \"5s\"\n")
                .unwrap_err();
        assert!(typo.message.contains("intervall"), "{typo}");

        let twice = parse(
            "[[monitors]]\nname = \"a\"\nurl = \"https://a.example\"\n\
             [[monitors]]\nname = \"a\"\nurl = \"https://b.example\"\n",
        )
        .unwrap_err();
        assert_eq!(twice.line, Some(4), "{twice}");

        let secret = parse(
            "[[channels]]\nname = \"x\"\nkind = \"webhook\"\nconfig = { url = \"${NOPE}\" }\n",
        )
        .unwrap_err();
        assert_eq!(secret.line, Some(4));
        assert!(secret.message.contains("NOPE"), "{secret}");

        let duration = parse("[server]\nhost_interval = \"soon\"\n").unwrap_err();
        assert_eq!(duration.line, Some(2), "{duration}");
    }
}
