//! [`HostCollector`]: takes snapshots, keeping what the next one needs for rates.

use std::sync::Arc;
use std::time::{Instant, SystemTime};

use pulsar_core::proto::v1::HostSnapshot;

use crate::config::Config;
use crate::cpu::CpuSampler;
use crate::disks::DiskSampler;
use crate::info::InfoSampler;
use crate::networks::NetworkSampler;
use crate::read::unavailable;
use crate::tasks::TaskSampler;
use crate::{HostCollectorBuilder, Section};

/// Takes [`HostSnapshot`]s of the host it runs on (or of the host whose `/proc` and `/sys`
/// it was pointed at).
///
/// Rates (CPU split, bytes per second, CPU % per process) compare a sample with the
/// previous one over the real time between them, so the first snapshot carries none: its
/// rates are absent, never 0. Sampling is blocking file I/O: call [`HostCollector::collect`]
/// from a thread that may block, or `collect_async` from async code.
#[derive(Debug)]
pub struct HostCollector {
    config: Arc<Config>,
    /// `None` only while an async sample runs, or after one was cancelled.
    sampler: Option<Box<Sampler>>,
}

impl Default for HostCollector {
    fn default() -> Self {
        Self::builder().build()
    }
}

impl HostCollector {
    pub fn builder() -> HostCollectorBuilder {
        HostCollectorBuilder::default()
    }

    pub(crate) fn from_config(config: Arc<Config>) -> Self {
        Self {
            sampler: Some(Box::new(Sampler::new(config.clone()))),
            config,
        }
    }

    /// Takes one snapshot, blocking while it reads. Never fails: a section that cannot be
    /// read is listed in `unavailable` with the reason, and the rest is still there.
    pub fn collect(&mut self) -> HostSnapshot {
        let config = &self.config;
        self.sampler
            .get_or_insert_with(|| Box::new(Sampler::new(config.clone())))
            .sample()
    }

    /// [`HostCollector::collect`] on tokio's blocking pool, so the runtime's worker threads
    /// never wait on `/proc`.
    ///
    /// If the returned future is dropped before it completes, the sample still finishes in
    /// the background but its counters are lost: the next snapshot has no rates.
    #[cfg(feature = "tokio")]
    pub async fn collect_async(&mut self) -> Result<HostSnapshot, crate::HostError> {
        let config = &self.config;
        let mut sampler = self
            .sampler
            .take()
            .unwrap_or_else(|| Box::new(Sampler::new(config.clone())));
        let joined = tokio::task::spawn_blocking(move || {
            let snapshot = sampler.sample();
            (sampler, snapshot)
        })
        .await;
        match joined {
            Ok((sampler, snapshot)) => {
                self.sampler = Some(sampler);
                Ok(snapshot)
            }
            Err(err) if err.is_panic() => {
                let payload = err.into_panic();
                let message = payload
                    .downcast_ref::<&str>()
                    .map(|s| (*s).to_owned())
                    .or_else(|| payload.downcast_ref::<String>().cloned())
                    .unwrap_or_else(|| "unknown panic".to_owned());
                Err(crate::HostError::Panicked(message))
            }
            Err(_) => Err(crate::HostError::Cancelled),
        }
    }
}

/// Buffers and previous counters of every section.
#[derive(Debug)]
struct Sampler {
    config: Arc<Config>,
    /// One read buffer for every small file, so steady sampling does not allocate for it.
    text: Vec<u8>,
    previous_at: Option<Instant>,
    info: InfoSampler,
    cpu: CpuSampler,
    disks: DiskSampler,
    networks: NetworkSampler,
    tasks: TaskSampler,
}

impl Sampler {
    fn new(config: Arc<Config>) -> Self {
        Self {
            config,
            text: Vec::with_capacity(16 * 1024),
            previous_at: None,
            info: InfoSampler::default(),
            cpu: CpuSampler::default(),
            disks: DiskSampler::default(),
            networks: NetworkSampler::default(),
            tasks: TaskSampler::default(),
        }
    }

    fn sample(&mut self) -> HostSnapshot {
        let started = Instant::now();
        let taken_at_unix_ms = pulsar_core::unix_ms(SystemTime::now());
        let elapsed = self.previous_at.map(|previous| started - previous);
        self.previous_at = Some(started);
        let config = Arc::clone(&self.config);
        let buf = &mut self.text;
        let mut snapshot = HostSnapshot {
            hostname: host_name(&config.root_fs),
            host: config.host.clone().unwrap_or_default(),
            taken_at_unix_ms,
            rate_interval_ms: elapsed
                .map_or(0, |e| u64::try_from(e.as_millis()).unwrap_or(u64::MAX)),
            ..HostSnapshot::default()
        };
        let mut missing = Vec::new();
        let mut note =
            |section: Section, reason: String| missing.push(unavailable(section, reason));

        let stat_read = if config.wants(Section::Cpu) || config.wants(Section::Info) {
            self.cpu.read(&config.proc_root, buf)
        } else {
            Err(String::new())
        };
        if config.wants(Section::Info) {
            let stat = self.cpu.current();
            match self
                .info
                .collect(&config.proc_root, buf, stat, taken_at_unix_ms)
            {
                Ok(info) => snapshot.info = Some(info),
                Err(reason) => note(Section::Info, reason),
            }
        }
        if config.wants(Section::Cpu) {
            match stat_read.and_then(|()| self.cpu.stats(&config.proc_root, buf, elapsed)) {
                Ok(cpu) => snapshot.cpu = Some(cpu),
                Err(reason) => note(Section::Cpu, reason),
            }
        }
        self.cpu.advance();
        if config.wants(Section::Memory) {
            match crate::memory::collect(&config.proc_root, buf) {
                Ok(memory) => snapshot.memory = Some(memory),
                Err(reason) => note(Section::Memory, reason),
            }
        }
        if config.wants(Section::Filesystems) {
            match crate::filesystems::collect(&config, buf) {
                Ok(filesystems) => snapshot.filesystems = filesystems,
                Err(reason) => note(Section::Filesystems, reason),
            }
        }
        if config.wants(Section::Disks) {
            match self
                .disks
                .collect(&config.proc_root, &config.sys_root, buf, elapsed)
            {
                Ok(disks) => snapshot.disks = disks,
                Err(reason) => note(Section::Disks, reason),
            }
        }
        if config.wants(Section::Networks) {
            match self
                .networks
                .collect(&config.proc_root, &config.sys_root, buf, elapsed)
            {
                Ok(networks) => snapshot.networks = networks,
                Err(reason) => note(Section::Networks, reason),
            }
        }
        let with_tasks = config.wants(Section::Tasks);
        let with_processes = config.wants(Section::Processes);
        if with_tasks || with_processes {
            match self
                .tasks
                .collect(&config, buf, with_tasks, with_processes, elapsed)
            {
                Ok(sections) => {
                    snapshot.tasks = sections.tasks;
                    snapshot.top_by_cpu = sections.top_by_cpu;
                    snapshot.top_by_memory = sections.top_by_memory;
                }
                Err(reason) => {
                    if with_tasks {
                        note(Section::Tasks, reason.clone());
                    }
                    if with_processes {
                        note(Section::Processes, reason);
                    }
                }
            }
        }
        snapshot.unavailable = missing;
        snapshot
    }
}

/// The host's name: the kernel's, or, when the measured root is mounted elsewhere (a
/// container reading its host), that root's `/etc/hostname`, since the kernel's name there
/// is the container's. What [`HostSnapshot::hostname`] holds.
pub fn host_name(root_fs: &std::path::Path) -> String {
    let own = || sysinfo::System::host_name().unwrap_or_default();
    if root_fs == std::path::Path::new(crate::config::DEFAULT_ROOT_FS) {
        return own();
    }
    match std::fs::read_to_string(root_fs.join("etc/hostname")) {
        Ok(name) if !name.trim().is_empty() => name.trim().to_owned(),
        _ => own(),
    }
}
