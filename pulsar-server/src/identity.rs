//! Who this process is: the host it runs on and the name its worker reports under.

/// The kernel's name for this host (empty where it cannot be read).
pub fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// `<hostname>-<pid>`: unique per process on a host, the default worker name.
pub fn default_worker_name() -> String {
    let host = Some(hostname())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "pulsar".to_owned());
    format!("{host}-{}", std::process::id())
}
