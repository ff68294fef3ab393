//! `pulsar host`: this host's CPU, memory, disks, network, processes and threads.
//!
//! Rates need two samples, so a one-shot run samples twice, `--rate-window-ms` apart
//! (default 250 ms), and prints the second; `--json` does the same so its rates are present.
//! `--watch` prints at once and then every SECS: its first print has no rates yet. A one-shot
//! run exits 1 when no section at all could be read.

mod render;

use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use pulsar_host::{HostCollector, HostSnapshot, Section};

/// Time between the two samples of a one-shot run.
const DEFAULT_RATE_WINDOW_MS: u64 = 250;
/// The shortest `--watch` interval: sampling more often than this measures the sampler.
const MIN_WATCH: Duration = Duration::from_millis(100);

#[derive(Debug, clap::Args)]
pub(crate) struct HostArgs {
    /// Print the snapshot as proto3 JSON (with --watch, one line per snapshot).
    #[arg(long)]
    json: bool,
    /// Keep printing a snapshot every SECS seconds (decimals allowed); rates from the
    /// second print on.
    #[arg(long, value_name = "SECS", value_parser = parse_watch)]
    watch: Option<Duration>,
    /// Milliseconds between the two samples of a one-shot run; 0 takes a single sample,
    /// whose rates are unknown.
    #[arg(long, value_name = "MS", default_value_t = DEFAULT_RATE_WINDOW_MS)]
    rate_window_ms: u64,
    /// Processes in each of the top lists (by CPU, by memory).
    #[arg(long, value_name = "N", default_value_t = pulsar_host::DEFAULT_TOP_N)]
    top: usize,
    /// Where procfs is mounted (a container reading its host's: e.g. /host/proc).
    #[arg(long, value_name = "DIR", default_value = pulsar_host::DEFAULT_PROC_ROOT)]
    proc_root: PathBuf,
    /// Where sysfs is mounted.
    #[arg(long, value_name = "DIR", default_value = pulsar_host::DEFAULT_SYS_ROOT)]
    sys_root: PathBuf,
    /// The root whose mounts are measured (a container reading its host's: e.g. /host/root).
    #[arg(long, value_name = "DIR", default_value = pulsar_host::DEFAULT_ROOT_FS)]
    root_fs: PathBuf,
    /// Also list pseudo filesystems (proc, sysfs, cgroup, overlay ...).
    #[arg(long)]
    all_filesystems: bool,
}

fn parse_watch(text: &str) -> Result<Duration, String> {
    let seconds: f64 = text
        .parse()
        .map_err(|_| format!("`{text}` is not a number of seconds"))?;
    let every = Duration::try_from_secs_f64(seconds)
        .map_err(|_| format!("`{text}` is not a usable number of seconds"))?;
    if every < MIN_WATCH {
        return Err(format!("at least {} s", MIN_WATCH.as_secs_f64()));
    }
    Ok(every)
}

pub(crate) fn run(args: HostArgs) -> anyhow::Result<ExitCode> {
    let mut builder = HostCollector::builder()
        .top_n(args.top)
        .proc_root(&args.proc_root)
        .sys_root(&args.sys_root)
        .root_fs(&args.root_fs);
    if args.all_filesystems {
        builder = builder.all_filesystems();
    }
    let mut collector = builder.build();
    let result = match args.watch {
        None => one_shot(&mut collector, &args),
        Some(every) => watch(&mut collector, &args, every).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => Ok(code),
        // `pulsar host --watch 1 | head` ends here: not an error of ours.
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(err) => Err(err.into()),
    }
}

/// Prints one snapshot; exits 1 when nothing at all could be read (a wrong `--proc-root`).
fn one_shot(collector: &mut HostCollector, args: &HostArgs) -> io::Result<ExitCode> {
    let snapshot = sample_with_rates(collector, Duration::from_millis(args.rate_window_ms));
    let mut out = io::stdout().lock();
    write_one_shot(&mut out, &snapshot, args)?;
    out.flush()?;
    let nothing_read = snapshot.unavailable.len() >= Section::ALL.len();
    Ok(if nothing_read {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// Two samples `window` apart, so the one printed has rates; one sample if `window` is 0.
fn sample_with_rates(collector: &mut HostCollector, window: Duration) -> HostSnapshot {
    let first = collector.collect();
    if window.is_zero() {
        return first;
    }
    std::thread::sleep(window);
    collector.collect()
}

fn write_one_shot(
    out: &mut impl Write,
    snapshot: &HostSnapshot,
    args: &HostArgs,
) -> io::Result<()> {
    if args.json {
        serde_json::to_writer_pretty(&mut *out, snapshot)?;
        writeln!(out)
    } else {
        out.write_all(render::summary(snapshot, args.top).as_bytes())
    }
}

fn watch(collector: &mut HostCollector, args: &HostArgs, every: Duration) -> io::Result<()> {
    let clear_screen = !args.json && io::stdout().is_terminal();
    let mut next = Instant::now();
    loop {
        let snapshot = collector.collect();
        print_watched(&snapshot, args, clear_screen)?;
        // Keep the cadence steady whatever sampling and printing cost.
        next += every;
        let now = Instant::now();
        if next > now {
            std::thread::sleep(next - now);
        } else {
            next = now;
        }
    }
}

fn print_watched(snapshot: &HostSnapshot, args: &HostArgs, clear_screen: bool) -> io::Result<()> {
    let mut out = io::stdout().lock();
    if args.json {
        serde_json::to_writer(&mut out, snapshot)?;
        writeln!(out)?;
    } else {
        if clear_screen {
            // Home the cursor and clear, as top does, instead of scrolling.
            out.write_all(b"\x1b[H\x1b[2J")?;
        } else {
            writeln!(out)?;
        }
        out.write_all(render::summary(snapshot, args.top).as_bytes())?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        host: HostArgs,
    }

    fn parse(args: &[&str]) -> Result<HostArgs, clap::Error> {
        Cli::try_parse_from(std::iter::once("host").chain(args.iter().copied())).map(|c| c.host)
    }

    #[test]
    fn defaults_take_two_samples_250_ms_apart_from_the_standard_roots() {
        let args = parse(&[]).unwrap();
        assert_eq!(args.rate_window_ms, 250);
        assert_eq!(args.top, pulsar_host::DEFAULT_TOP_N);
        assert_eq!(args.proc_root, PathBuf::from("/proc"));
        assert!(!args.json && args.watch.is_none() && !args.all_filesystems);
    }

    #[test]
    fn watch_takes_decimal_seconds_and_refuses_tiny_or_odd_values() {
        let args = parse(&["--watch", "1.5", "--json"]).unwrap();
        assert_eq!(args.watch, Some(Duration::from_millis(1500)));
        assert!(parse(&["--watch", "0"]).is_err());
        assert!(parse(&["--watch", "0.01"]).is_err());
        assert!(parse(&["--watch", "-1"]).is_err());
        assert!(parse(&["--watch", "soon"]).is_err());
        assert!(parse(&["--watch", "inf"]).is_err());
    }

    #[test]
    fn one_shot_json_is_proto3_json_with_rates() {
        let args = parse(&["--json", "--rate-window-ms", "50"]).unwrap();
        let mut collector = HostCollector::builder()
            .sections([pulsar_host::Section::Cpu])
            .build();
        let snapshot =
            sample_with_rates(&mut collector, Duration::from_millis(args.rate_window_ms));
        let mut out = Vec::new();
        write_one_shot(&mut out, &snapshot, &args).unwrap();
        let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert!(json["rateIntervalMs"].as_str().is_some_and(|ms| ms != "0"));
        assert!(json["cpu"]["contextSwitchesPerSec"].is_number());
        assert!(json["cpu"]["total"]["busyPct"].is_number());
    }

    #[test]
    fn one_shot_text_is_the_summary_and_a_zero_window_has_no_rates() {
        let args = parse(&["--rate-window-ms", "0"]).unwrap();
        let mut collector = HostCollector::default();
        let snapshot = sample_with_rates(&mut collector, Duration::ZERO);
        assert_eq!(snapshot.rate_interval_ms, 0);
        let mut out = Vec::new();
        write_one_shot(&mut out, &snapshot, &args).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with(&snapshot.hostname), "{text}");
        assert!(text.contains("rates unknown"), "{text}");
    }
}
