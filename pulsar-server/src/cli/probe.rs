//! `pulsar probe URL`: one phase-timed check (or `--count N`), as a waterfall or as JSON.

mod json;
mod waterfall;

use std::io::{IsTerminal, Write};
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use pulsar_core::{CheckSpec, Expectations, Header, Outcome, PhasePercentiles, classify};
use pulsar_probe::{IpFamily, Prober};

#[derive(Debug, clap::Args)]
pub(crate) struct ProbeArgs {
    /// The http:// or https:// URL to check.
    url: String,
    /// HTTP method (default GET, or POST with --data).
    #[arg(short = 'X', long)]
    method: Option<String>,
    /// A request header, repeatable.
    #[arg(short = 'H', long = "header", value_name = "NAME: VALUE")]
    headers: Vec<String>,
    /// Request body (makes the default method POST).
    #[arg(short = 'd', long)]
    data: Option<String>,
    /// Overall deadline of one check, e.g. 5s, 500ms, 1m (at most 24h).
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    timeout: Duration,
    /// Report a redirect instead of following it.
    #[arg(long)]
    no_follow: bool,
    /// Redirect hops to follow before failing.
    #[arg(long, default_value_t = pulsar_core::DEFAULT_MAX_REDIRECTS)]
    max_redirects: u32,
    /// Ask only this nameserver (UDP), e.g. 127.0.0.1:5353; default: the system resolver.
    #[arg(long, value_name = "IP:PORT", value_parser = parse_nameserver)]
    dns_server: Option<SocketAddr>,
    /// Also trust the CA certificates in this PEM file; a self-signed server certificate
    /// may be given as itself.
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// Do not verify the server certificate (still reports it).
    #[arg(short = 'k', long)]
    insecure: bool,
    /// Use IPv4 addresses only.
    #[arg(short = '4', conflicts_with = "ipv6")]
    ipv4: bool,
    /// Use IPv6 addresses only.
    #[arg(short = '6')]
    ipv6: bool,
    /// Run this many checks, then print p50/p95/p99 per phase.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    count: u32,
    /// Time between the starts of two checks with --count.
    #[arg(long, default_value = "1s", value_parser = parse_duration)]
    interval: Duration,
    /// One JSON object per check, one per line (see the README for the contract).
    #[arg(long)]
    json: bool,
}

pub(crate) fn run(args: ProbeArgs) -> anyhow::Result<ExitCode> {
    let spec = spec(&args)?;
    let family = match (args.ipv4, args.ipv6) {
        (true, _) => IpFamily::V4,
        (_, true) => IpFamily::V6,
        _ => IpFamily::Any,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(async {
        let prober = Prober::builder()
            .dns_server(args.dns_server)
            .extra_ca_file(args.ca_file.clone())
            .ip_family(family)
            .build()?;
        checks(&prober, &spec, &args).await
    })
}

async fn checks(prober: &Prober, spec: &CheckSpec, args: &ProbeArgs) -> anyhow::Result<ExitCode> {
    let expect = Expectations::default();
    let style = waterfall::Style {
        color: std::io::stdout().is_terminal()
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()),
    };
    let mut stdout = std::io::stdout().lock();
    let mut outcomes = Vec::new();
    let mut phases = Vec::new();
    let mut next_start = tokio::time::Instant::now();
    for n in 1..=args.count as usize {
        tokio::time::sleep_until(next_start).await;
        next_start += args.interval;
        let report = prober.check(spec).await;
        let verdict = classify(&report, &expect);
        if args.json {
            serde_json::to_writer(&mut stdout, &json::check(&report, &verdict))?;
            writeln!(stdout)?;
        } else if args.count == 1 {
            write!(stdout, "{}", waterfall::render(&report, &verdict, style))?;
        } else {
            writeln!(stdout, "{}", waterfall::line(n, &report, &verdict))?;
        }
        stdout.flush()?;
        outcomes.push(verdict.outcome);
        phases.push(report.phases);
    }
    let down = outcomes.iter().filter(|o| **o == Outcome::Down).count();
    if args.count > 1 {
        let rows = PhasePercentiles::over(&phases);
        if args.json {
            serde_json::to_writer(&mut stdout, &json::summary(&outcomes, &rows))?;
            writeln!(stdout)?;
        } else {
            write!(
                stdout,
                "{}",
                waterfall::percentiles(&rows, outcomes.len(), down)
            )?;
        }
    }
    Ok(if down > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The check the options describe, validated with the same rules as a monitor's request.
fn spec(args: &ProbeArgs) -> anyhow::Result<CheckSpec> {
    let mut spec = CheckSpec::get(args.url.trim());
    spec.method = match (&args.method, &args.data) {
        (Some(method), _) => method.to_ascii_uppercase(),
        (None, Some(_)) => "POST".to_owned(),
        (None, None) => "GET".to_owned(),
    };
    for raw in &args.headers {
        let (name, value) = raw
            .split_once(':')
            .with_context(|| format!("header {raw:?} is not \"Name: value\""))?;
        spec.headers.push(Header::new(name.trim(), value.trim()));
    }
    if let Some(data) = &args.data {
        spec.body = data.clone();
        if !spec
            .headers
            .iter()
            .any(|h| h.name.eq_ignore_ascii_case("content-type"))
        {
            // What curl sends with -d, so the same command line means the same request.
            spec.headers.push(Header::new(
                "Content-Type",
                "application/x-www-form-urlencoded",
            ));
        }
    }
    spec.timeout = args.timeout;
    spec.follow_redirects = !args.no_follow;
    spec.max_redirects = args.max_redirects;
    spec.verify_tls = !args.insecure;
    spec.validate().map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(spec)
}

/// A duration (see [`pulsar_core::parse_duration`]) of at most 24 h: a check's timeout or
/// the pause between repeated checks.
fn parse_duration(raw: &str) -> Result<Duration, String> {
    let duration = pulsar_core::parse_duration(raw)?;
    if duration > Duration::from_secs(86_400) {
        return Err(format!("{:?} must be at most 24h", raw.trim()));
    }
    Ok(duration)
}

/// `IP:PORT`, `[IPv6]:PORT`, or a bare IP (port 53).
fn parse_nameserver(raw: &str) -> Result<SocketAddr, String> {
    raw.parse::<SocketAddr>()
        .or_else(|_| raw.parse::<IpAddr>().map(|ip| SocketAddr::new(ip, 53)))
        .map_err(|_| format!("{raw:?} is not IP:PORT"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_in_the_units_people_type() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86_400)));
        assert!(parse_duration("25h").is_err());
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("5 parsecs").is_err());
        assert!(parse_duration("fast").is_err());
    }

    #[test]
    fn nameserver_with_or_without_port() {
        assert_eq!(
            parse_nameserver("127.0.0.1:5353"),
            Ok("127.0.0.1:5353".parse().unwrap())
        );
        assert_eq!(parse_nameserver("::1"), Ok("[::1]:53".parse().unwrap()));
        assert!(parse_nameserver("dns.example").is_err());
    }
}
