//! Embeds pulsar-host alone: two samples one second apart (rates need both), a few lines of
//! what they show, then the second snapshot as the proto3 JSON other processes receive.
//!
//! Run: `cargo run -p pulsar-examples --example host_snapshot`

use std::time::Duration;

use pulsar_host::{HostCollector, Section};

fn main() -> anyhow::Result<()> {
    let mut collector = HostCollector::builder().top_n(3).build();
    let first = collector.collect();
    // The first snapshot has counts and sizes but no rates yet.
    let busy = first.cpu.as_ref().and_then(|c| c.total.as_ref()?.busy_pct);
    println!("first sample: cpu busy = {busy:?} (no rates before a second sample)");

    std::thread::sleep(Duration::from_secs(1));
    let snapshot = collector.collect();

    if let (Some(info), Some(cpu)) = (&snapshot.info, &snapshot.cpu) {
        println!(
            "{} · {} {} · up {} s · load {:.2} on {} cores",
            snapshot.hostname,
            info.os_name,
            info.os_version,
            info.uptime_seconds,
            cpu.load1,
            info.logical_cores
        );
        if let Some(busy) = cpu.total.as_ref().and_then(|t| t.busy_pct) {
            println!(
                "cpu busy over the last {} ms: {busy:.1}%",
                snapshot.rate_interval_ms
            );
        }
    }
    if let Some(tasks) = &snapshot.tasks {
        let (processes, threads) = (
            tasks.processes.unwrap_or_default(),
            tasks.threads.unwrap_or_default(),
        );
        println!(
            "{} processes ({} zombie, {} stopped), {} threads ({} running, {} in disk sleep)",
            processes.total,
            processes.zombie,
            processes.stopped,
            threads.total,
            threads.running,
            threads.disk_sleep
        );
    }
    for process in &snapshot.top_by_cpu {
        println!(
            "  {:>7} {:<16} {:>6.1}% cpu {:>8} KiB rss {:>4} threads",
            process.pid,
            process.name,
            process.cpu_pct.unwrap_or(0.0),
            process.rss_bytes / 1024,
            process.threads
        );
    }
    for missing in &snapshot.unavailable {
        println!("unavailable: {}: {}", missing.section, missing.reason);
    }

    // Only some sections, e.g. for a cheap liveness beat.
    let mut light = HostCollector::builder()
        .sections([Section::Cpu, Section::Memory])
        .build();
    let light = light.collect();
    println!("a light snapshot has tasks: {}", light.tasks.is_some());

    println!("{}", serde_json::to_string_pretty(&snapshot)?);
    Ok(())
}
