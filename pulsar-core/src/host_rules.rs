//! Host alert rules: when a host's samples say it is overloaded (CPU, memory, a full mount,
//! zombies, threads near the kernel's limit, load above its cores) or has stopped reporting.
//! Each condition fires after a run of breaching samples and resolves after a run of good
//! ones, so one spike or one quiet sample changes nothing.

use std::time::{Duration, SystemTime};

use crate::proto::v1;

/// The thresholds of a host's rules. [`HostRules::default`] holds the documented defaults;
/// any of them can be set per host.
#[derive(Debug, Clone, PartialEq)]
pub struct HostRules {
    /// CPU busy (all cores) above this percentage.
    pub cpu_busy_pct: f64,
    /// Available memory below this percentage of the total.
    pub memory_available_pct: f64,
    /// A mount's space, or its inodes, used above this percentage.
    pub disk_used_pct: f64,
    /// More zombie processes than this.
    pub zombies: u64,
    /// Threads above this percentage of the kernel's `threads-max`.
    pub threads_pct: f64,
    /// The 1-minute load above the logical cores times this.
    pub load_per_core: f64,
    /// A host is silent once no sample came for this many sampling intervals.
    pub silent_intervals: u32,
    /// Breaching samples in a row before a condition fires (CPU has its own).
    pub fire_after: u32,
    /// Breaching samples in a row before the CPU condition fires: CPU is busy in bursts.
    pub cpu_fire_after: u32,
    /// Good samples in a row before a firing condition resolves.
    pub resolve_after: u32,
}

impl Default for HostRules {
    /// CPU above 90 % for 60 samples (5 minutes at the default 5 s interval); available
    /// memory below 10 %; a mount or its inodes above 90 %; more than 5 zombies; threads
    /// above 90 % of `threads-max`; load above 2 × cores; silent after 3 intervals; other
    /// conditions fire after 3 samples; all resolve after 3 good ones.
    fn default() -> Self {
        Self {
            cpu_busy_pct: 90.0,
            memory_available_pct: 10.0,
            disk_used_pct: 90.0,
            zombies: 5,
            threads_pct: 90.0,
            load_per_core: 2.0,
            silent_intervals: 3,
            fire_after: 3,
            cpu_fire_after: 60,
            resolve_after: 3,
        }
    }
}

/// What a condition is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostRule {
    CpuBusy,
    MemoryLow,
    DiskFull,
    InodesFull,
    Zombies,
    Threads,
    Load,
    Silent,
}

impl HostRule {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CpuBusy => "cpu_busy",
            Self::MemoryLow => "memory_low",
            Self::DiskFull => "disk_full",
            Self::InodesFull => "inodes_full",
            Self::Zombies => "zombies",
            Self::Threads => "threads",
            Self::Load => "load",
            Self::Silent => "silent",
        }
    }
}

/// One condition of one sample: whether it breaches its rule, with the value and the limit.
#[derive(Debug, Clone, PartialEq)]
pub struct HostCondition {
    pub rule: HostRule,
    /// What it is about when a host has several: the mount point; empty otherwise.
    pub subject: String,
    pub breached: bool,
    pub value: f64,
    pub limit: f64,
    /// For a message: `mount / 93.1 % full (limit 90 %)`.
    pub detail: String,
}

impl HostCondition {
    /// `rule` or `rule:subject`: the key a condition's memory is kept under.
    pub fn key(&self) -> String {
        if self.subject.is_empty() {
            self.rule.as_str().to_owned()
        } else {
            format!("{}:{}", self.rule.as_str(), self.subject)
        }
    }
}

fn pct(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// Every condition `sample` can be judged on under `rules`: sections the sample lacks (no
/// CPU figure on a first sample, a mount without inodes) are left out, not counted as good.
pub fn host_conditions(rules: &HostRules, sample: &v1::HostSnapshot) -> Vec<HostCondition> {
    let mut out = Vec::new();
    let mut add = |rule, subject: &str, value: f64, limit: f64, breached: bool, detail| {
        out.push(HostCondition {
            rule,
            subject: subject.to_owned(),
            breached,
            value,
            limit,
            detail,
        });
    };
    let cpu = sample.cpu.as_ref();
    if let Some(busy) = cpu.and_then(|c| c.total.as_ref()).and_then(|t| t.busy_pct) {
        let limit = rules.cpu_busy_pct;
        let detail = format!("CPU {busy:.1} % busy (limit {limit} %)");
        add(HostRule::CpuBusy, "", busy, limit, busy > limit, detail);
    }
    if let Some(memory) = &sample.memory
        && let Some(available) = pct(memory.available_bytes, memory.total_bytes)
    {
        let limit = rules.memory_available_pct;
        let detail = format!("{available:.1} % of memory available (limit {limit} %)");
        add(
            HostRule::MemoryLow,
            "",
            available,
            limit,
            available < limit,
            detail,
        );
    }
    for fs in &sample.filesystems {
        let limit = rules.disk_used_pct;
        if let Some(used) = pct(fs.used_bytes, fs.size_bytes) {
            let detail = format!("{} {used:.1} % full (limit {limit} %)", fs.mount_point);
            add(
                HostRule::DiskFull,
                &fs.mount_point,
                used,
                limit,
                used > limit,
                detail,
            );
        }
        if let Some(used) = pct(fs.inodes_used, fs.inodes_total) {
            let detail = format!(
                "{} inodes {used:.1} % used (limit {limit} %)",
                fs.mount_point
            );
            add(
                HostRule::InodesFull,
                &fs.mount_point,
                used,
                limit,
                used > limit,
                detail,
            );
        }
    }
    if let Some(tasks) = &sample.tasks {
        if let Some(processes) = &tasks.processes {
            let zombies = processes.zombie;
            let limit = rules.zombies;
            let detail = format!("{zombies} zombie processes (limit {limit})");
            add(
                HostRule::Zombies,
                "",
                zombies as f64,
                limit as f64,
                zombies > limit,
                detail,
            );
        }
        let threads = tasks.threads.as_ref().map_or(0, |t| t.total);
        if let Some(used) = pct(threads, tasks.threads_max) {
            let limit = rules.threads_pct;
            let detail = format!(
                "{threads} threads, {used:.1} % of threads-max {} (limit {limit} %)",
                tasks.threads_max
            );
            add(HostRule::Threads, "", used, limit, used > limit, detail);
        }
    }
    let cores = sample.info.as_ref().map_or(0, |i| i.logical_cores);
    if let Some(cpu) = cpu
        && cores > 0
    {
        let limit = f64::from(cores) * rules.load_per_core;
        let load = cpu.load1;
        let detail = format!("load {load:.2} on {cores} cores (limit {limit:.1})");
        add(HostRule::Load, "", load, limit, load > limit, detail);
    }
    out
}

/// The silence condition of a host last heard from at `last_seen`, sampling every
/// `interval`, judged at `now`.
pub fn silence(
    rules: &HostRules,
    last_seen: SystemTime,
    interval: Duration,
    now: SystemTime,
) -> HostCondition {
    let quiet = now.duration_since(last_seen).unwrap_or_default();
    let limit = interval * rules.silent_intervals.max(1);
    HostCondition {
        rule: HostRule::Silent,
        subject: String::new(),
        breached: quiet > limit,
        value: quiet.as_secs_f64(),
        limit: limit.as_secs_f64(),
        detail: format!(
            "no sample for {} (limit {})",
            crate::time::human_duration(quiet),
            crate::time::human_duration(limit)
        ),
    }
}

/// What a condition remembers between samples.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HostRuleMemory {
    /// Breaching samples in a row.
    pub breached: u32,
    /// Good samples in a row.
    pub good: u32,
    pub firing: bool,
}

/// The memory after one more judged sample, and what to tell with it: `Some(true)` at the
/// sample where a breaching run reaches `fire_after` (the condition fires), `Some(false)`
/// where a good run reaches `resolve_after` (it resolves). Telling twice is harmless (the
/// store keeps whether it fires), so a process that restarts and forgot its runs still
/// resolves what an earlier run of it opened.
pub fn host_rule_step(
    memory: HostRuleMemory,
    breached: bool,
    fire_after: u32,
    resolve_after: u32,
) -> (HostRuleMemory, Option<bool>) {
    let mut next = HostRuleMemory {
        breached: if breached {
            memory.breached.saturating_add(1)
        } else {
            0
        },
        good: if breached {
            0
        } else {
            memory.good.saturating_add(1)
        },
        firing: memory.firing,
    };
    let change = if next.breached == fire_after.max(1) {
        next.firing = true;
        Some(true)
    } else if next.good == resolve_after.max(1) {
        next.firing = false;
        Some(false)
    } else {
        None
    };
    (next, change)
}

/// How many breaching samples `rule` needs under `rules` before it fires.
pub fn samples_to_fire(rules: &HostRules, rule: HostRule) -> u32 {
    match rule {
        HostRule::CpuBusy => rules.cpu_fire_after,
        // A silent host sends no samples to count: silence fires when first judged so.
        HostRule::Silent => 1,
        _ => rules.fire_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> v1::HostSnapshot {
        v1::HostSnapshot {
            hostname: "web-1".into(),
            info: Some(v1::HostInfo {
                logical_cores: 4,
                ..Default::default()
            }),
            cpu: Some(v1::CpuStats {
                total: Some(v1::CpuTimes {
                    busy_pct: Some(35.0),
                    ..Default::default()
                }),
                load1: 1.5,
                ..Default::default()
            }),
            memory: Some(v1::MemoryStats {
                total_bytes: 8 << 30,
                available_bytes: 4 << 30,
                ..Default::default()
            }),
            filesystems: vec![v1::FilesystemStats {
                mount_point: "/".into(),
                size_bytes: 100,
                used_bytes: 50,
                inodes_total: 1000,
                inodes_used: 10,
                ..Default::default()
            }],
            tasks: Some(v1::TaskStats {
                processes: Some(v1::StateCounts {
                    zombie: 0,
                    ..Default::default()
                }),
                threads: Some(v1::StateCounts {
                    total: 800,
                    ..Default::default()
                }),
                threads_max: 63_000,
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn breached(sample: &v1::HostSnapshot) -> Vec<String> {
        host_conditions(&HostRules::default(), sample)
            .into_iter()
            .filter(|c| c.breached)
            .map(|c| c.key())
            .collect()
    }

    #[test]
    fn a_healthy_host_breaches_nothing_and_every_section_is_judged() {
        let conditions = host_conditions(&HostRules::default(), &sample());
        let keys: Vec<_> = conditions.iter().map(HostCondition::key).collect();
        assert_eq!(
            keys,
            [
                "cpu_busy",
                "memory_low",
                "disk_full:/",
                "inodes_full:/",
                "zombies",
                "threads",
                "load"
            ]
        );
        assert!(breached(&sample()).is_empty());
    }

    #[test]
    fn each_rule_breaches_past_its_threshold() {
        let mut s = sample();
        s.cpu.as_mut().unwrap().total.as_mut().unwrap().busy_pct = Some(97.0);
        s.cpu.as_mut().unwrap().load1 = 8.5;
        s.memory.as_mut().unwrap().available_bytes = 512 << 20;
        s.filesystems[0].used_bytes = 95;
        s.filesystems[0].inodes_used = 950;
        let tasks = s.tasks.as_mut().unwrap();
        tasks.processes.as_mut().unwrap().zombie = 6;
        tasks.threads.as_mut().unwrap().total = 60_000;
        assert_eq!(
            breached(&s),
            [
                "cpu_busy",
                "memory_low",
                "disk_full:/",
                "inodes_full:/",
                "zombies",
                "threads",
                "load"
            ]
        );
        let full = &host_conditions(&HostRules::default(), &s)[2];
        assert_eq!(full.detail, "/ 95.0 % full (limit 90 %)");
    }

    #[test]
    fn missing_sections_are_left_out_not_judged_good() {
        let mut s = sample();
        s.cpu.as_mut().unwrap().total.as_mut().unwrap().busy_pct = None;
        s.memory = None;
        s.filesystems[0].inodes_total = 0;
        s.info = None;
        let keys: Vec<_> = host_conditions(&HostRules::default(), &s)
            .iter()
            .map(HostCondition::key)
            .collect();
        assert_eq!(keys, ["disk_full:/", "zombies", "threads"]);
    }

    #[test]
    fn a_condition_fires_after_a_run_and_resolves_after_another() {
        let mut memory = HostRuleMemory::default();
        let mut changes = Vec::new();
        // breach, good, breach ×3 (fires), good ×2, breach, good ×3 (resolves), good: told
        // once each way.
        let samples = [
            true, false, true, true, true, false, false, true, false, false, false, false,
        ];
        for breached in samples {
            let (next, change) = host_rule_step(memory, breached, 3, 3);
            memory = next;
            changes.push(change);
        }
        let fired: Vec<_> = changes
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i, c)))
            .collect();
        assert_eq!(fired, [(4, true), (10, false)]);
    }

    #[test]
    fn a_host_is_silent_after_its_intervals_pass() {
        let rules = HostRules::default();
        let seen = SystemTime::UNIX_EPOCH + Duration::from_secs(1000);
        let interval = Duration::from_secs(5);
        let at = |s| seen + Duration::from_secs(s);
        assert!(!silence(&rules, seen, interval, at(15)).breached);
        let quiet = silence(&rules, seen, interval, at(16));
        assert!(quiet.breached);
        assert_eq!(quiet.detail, "no sample for 16.0 s (limit 15.0 s)");
        assert_eq!(samples_to_fire(&rules, HostRule::Silent), 1);
        assert_eq!(samples_to_fire(&rules, HostRule::CpuBusy), 60);
    }
}
