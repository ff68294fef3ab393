//! Embeds pulsar-core alone: validate a monitor, classify what a probe saw, and print the
//! proto3 JSON a browser or another process would receive.
//!
//! Run: `cargo run -p pulsar-examples --example core_rules`

use std::time::{Duration, SystemTime};

use pulsar_core::{
    CheckResult, Expectations, Header, HopReport, Monitor, Phases, ProbeReport, classify, proto::v1,
};

fn main() -> anyhow::Result<()> {
    let mut monitor = Monitor::new("checkout", "https://shop.example/health");
    monitor.interval = Duration::from_secs(30);
    monitor.expect = Expectations {
        degraded_above: Some(Duration::from_millis(300)),
        ..Expectations::default()
    };
    monitor.validate()?;

    // A bad monitor reports every broken field at once.
    let mut bad = Monitor::new("", "ftp://shop.example");
    bad.check.headers.push(Header::new("X-Injected\r\n", "x"));
    if let Err(err) = bad.validate() {
        for field in err.field_errors() {
            println!("rejected {field}");
        }
    }

    // What a slow but successful check looks like, and the verdict on it.
    let ms = Duration::from_millis;
    let phases = Phases {
        dns: Some(ms(12)),
        connect: Some(ms(30)),
        tls: Some(ms(61)),
        ttfb: Some(ms(240)),
        download: Some(ms(8)),
        total: Some(ms(352)),
    };
    let report = ProbeReport {
        url: monitor.check.url.clone(),
        started_at: SystemTime::now(),
        hops: vec![HopReport {
            status: Some(200),
            phases,
            ..HopReport::default()
        }],
        phases,
        failure: None,
        body_assertion_held: None,
    };
    let verdict = classify(&report, &monitor.expect);
    println!("verdict: {} ({})", verdict.outcome, verdict.reason);

    let result = CheckResult::new(
        monitor.id,
        SystemTime::now(),
        "example",
        "local",
        report,
        verdict,
    );
    let wire: v1::CheckResult = result.into();
    println!("{}", serde_json::to_string_pretty(&wire)?);
    Ok(())
}
